"""The leak gate classifies the distinct strings of a many-file output once
(GateContext._string_classes) instead of file by file: every file's classes (hex digests,
strings to check, their odd variants), its exact matches with the raw values and references,
its cells found in another case, and the free-text inputs are those of the per-file
classification, on hostile strings spread over many files; and the whole gate's reports on
planted leaks in templated pages are those of the per-file path."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Optional

import numpy as np
import pytest

from crime_mapper.core.gate import checks, context, scan
from crime_mapper.core.gate.context import GateContext, PreparedGate, ascii_lower
from crime_mapper.core.gate.leak_gate import check_release
from crime_mapper.core.gate.output_reader import Artifact
from tests.support.gate_text import PAGE, planted
from tests.support.leak_world import NAMES, expect_only, refs


@pytest.fixture(scope="module")
def prepared(world: dict) -> PreparedGate:
    return PreparedGate(world["raw"], world["points"], None, ["Hood 3", "hood 7"], 8)


def _pool(world: dict, prep: PreparedGate, rng: random.Random) -> list[str]:
    """Strings of every class, and near misses of each."""
    ref_list = refs(world)
    secrets = sorted(prep.secret_set)
    public = sorted(prep.public_strings)
    picked_refs = rng.sample(ref_list, 6)
    picked_secrets = rng.sample(secrets, 6)
    digests = [hashlib.sha256(r.encode()).hexdigest() for r in picked_refs[:2]]
    digests += [hashlib.md5(picked_refs[2].encode()).hexdigest().upper()]
    digests += [hashlib.sha1(picked_refs[3].encode()).hexdigest()]
    return (
        picked_refs
        + [r.lower() for r in picked_refs[:3]]
        + picked_secrets
        + [s.upper() for s in picked_secrets[:3]]
        + [ascii_lower(s) for s in picked_secrets[3:]]
        + rng.sample(public, 6)
        + digests
        + ["a" * 32, "f" * 40, "0" * 64, "a" * 33, "g" * 32, "\u00e9" * 32, "0" * 63]
        + ["2022-10", "2022-13", "2021-01 ", "Oct 2022", "", " ", "x"]
        + [f"  {picked_secrets[0]}", f"{picked_secrets[1]} ", "a  b", "'=1+2", "'@x", "'plain"]
        + [f"'={picked_refs[4]}", f"{NAMES[0]}\t", "tab\there", "nl\nthere", "nul\x00in"]
        + ["\u00a0nbsp", "line\u2028sep", "\ud800lone", "Ünïcode Straße", "Hood 3", "HOOD 7"]
        + [f"word {i}" for i in range(8)]
        + ["one two three four five six seven", "Crime in Hood 3 over the last twelve months"]
        # format characters (drawn as nothing): each string is also read as shown
        + [f"{picked_secrets[4][:2]}\u200b{picked_secrets[4][2:]}", "\u200b", "x\u00ad"]
        + [f"{public[0][:1]}\u2060{public[0][1:]}", f"\ufeff{picked_refs[5]}", "\u200dx"]
        + [f"{digests[0][:9]}\u00ad{digests[0][9:]}", f"a\u200b{'b' * 31}", "x"]
        + [f"{picked_secrets[5]}\u200e", "one\u200b two three four five six sev\u200ben"]
    )


def _artifacts(pool: list[str], rng: random.Random, n: int) -> list[Artifact]:
    arts = []
    for i in range(n):
        art = Artifact(name=f"page-{i}.html", kind=rng.choice(["html", "csv", "json"]))
        # a template's strings on every page, a page's own few
        art.strings = set(pool[:12]) | set(rng.sample(pool, rng.randint(0, len(pool) // 2)))
        art.strings.add(f"page {i} of {n}")
        art.texts = ["\n".join(sorted(art.strings))[:200]]
        arts.append(art)
    if n > 1:
        arts[1].strings = set()  # an artifact with no strings at all
    return arts


class CountingIndex(Mapping[str, str]):
    """A lookup table that counts the keys asked (as a FirstKeyIndex is asked)."""

    def __init__(self, data: dict[str, str]) -> None:
        self.data = data
        self.asked = 0

    def __contains__(self, key: object) -> bool:
        self.asked += 1
        return key in self.data

    def __getitem__(self, key: str) -> str:
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


def _per_file(prep: PreparedGate, arts: list[Artifact]) -> GateContext:
    ctx = GateContext(prep, arts, [])
    ctx.__dict__["_string_classes"] = None  # (a cached_property: the per-file path)
    return ctx


@pytest.mark.parametrize("seed", range(10))
def test_batch_classes_equal_the_per_file_classes(
    world: dict,
    prepared: PreparedGate,
    seed: int,
):
    rng = random.Random(seed)
    pool = _pool(world, prepared, rng)
    arts = _artifacts(pool, rng, rng.randint(2, 40))
    batch, direct = GateContext(prepared, arts, []), _per_file(prepared, arts)
    assert batch._string_classes is not None
    lowered = {ascii_lower(s): s for s in rng.sample(pool, 12)}
    indexes = [prepared.secret_lower_index, prepared.folded_reference_index, lowered, {}]
    found = 0
    for art in arts:
        hexes, other, variants = batch._classified(art)
        assert (hexes, other, variants) == direct._classified(art)
        assert batch.non_hex_strings(art) == direct.non_hex_strings(art)
        assert batch.hex_lengths(art).tolist() == direct.hex_lengths(art).tolist()
        assert batch.joined_strings(art) == direct.joined_strings(art)
        for values in (prepared.secret_set, prepared.reference_set, set(pool[:5]), set()):
            want = direct.exact_matches(art, values)
            assert batch.exact_matches(art, values) == want
            found += len(want)
        for index in indexes:
            want_keys = direct.lower_found(art, index)
            assert batch.lower_found(art, index) == want_keys
            assert want_keys == sorted(k for k in direct.other_lower(art) if k in index)
            found += len(want_keys)
    every_other = {s for art in arts for s in direct.other_strings(art)}
    listed = batch.distinct_other_strings()
    assert listed is not None and len(listed) == len(set(listed)) and set(listed) == every_other
    assert direct.distinct_other_strings() is None
    assert found > 0


def test_one_artifact_keeps_the_per_file_path(world: dict, prepared: PreparedGate):
    pool = _pool(world, prepared, random.Random(1))
    (art,) = _artifacts(pool, random.Random(1), 1)
    ctx = GateContext(prepared, [art], [])
    assert ctx._string_classes is None and ctx.distinct_other_strings() is None


def test_distinct_strings_are_classified_once(
    world: dict,
    prepared: PreparedGate,
    monkeypatch: pytest.MonkeyPatch,
):
    """30 files sharing a template: one hex test of the distinct strings (not one per
    file), one lookup per distinct lower-case string, and with nothing found no file's
    strings are lowered at all."""
    rng = random.Random(5)
    pool = _pool(world, prepared, rng)
    arts = _artifacts(pool, rng, 30)
    calls: list[int] = []
    real = scan.hex_mask_and_lengths

    def counting(strings):
        calls.append(len(strings))
        return real(strings)

    monkeypatch.setattr(scan, "hex_mask_and_lengths", counting)
    ctx = GateContext(prepared, arts, [])
    for art in arts:
        ctx._classified(art)
    distinct = set().union(*(a.strings for a in arts))
    assert calls == [len(distinct)]
    other = ctx.distinct_other_strings()
    assert other is not None
    lowered = {ascii_lower(s) for s in other}
    index = CountingIndex({"no such value": "no such value"})
    assert all(ctx.lower_found(art, index) == [] for art in arts)
    assert index.asked == len(lowered)
    assert ctx._lower == {}  # no file's strings lowered one by one
    intersected: list[int] = []

    class CountingSet(set):
        def intersection(self, *others):
            intersected.append(1)
            return super().intersection(*others)

    for art in arts:
        art.strings = CountingSet(art.strings)
    ctx = GateContext(prepared, arts, [])
    assert all(ctx.exact_matches(art, {"no such value"}) == set() for art in arts)
    assert intersected == []  # nothing in any file's strings: no file intersected
    want = _per_file(prepared, arts).exact_matches(arts[0], set(pool[:3]))
    assert want and ctx.exact_matches(arts[0], set(pool[:3])) == want
    assert intersected


@pytest.mark.parametrize(
    "extra, leak_checks",
    [
        ("<p>{secret}</p>", ["no_non_public_values"]),
        ("<p>{secret_upper}</p>", ["no_non_public_values"]),
        ("<p><b>{ref}</b></p>", ["no_source_references"]),
        ("<p>{ref_lower}</p>", ["no_source_references"]),
        ("<a title='{ref}'>x</a><p>{sha}</p>", ["no_source_references"]),
        ("<p>{note}</p>", ["no_non_public_values"]),
        ("<p>Ward {month}</p><p>Hood 3</p><p>HOOD 3</p>", []),
        ("<p>On or near 12 Acacia Avenue</p>", ["locations_are_anonymous"]),
        (
            "<p>ON OR NEAR flat 3 Elm Road</p><p>On or near High Street</p>",
            ["locations_are_anonymous"],
        ),
        ("<p>On or near High Street</p>", []),
    ],
)
def test_planted_leaks_report_as_the_per_file_path(
    world: dict,
    pages_site: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    extra: str,
    leak_checks: list[str],
):
    """The whole gate on 400 templated pages, a leak planted on two of them as a text
    node or attribute of its own (the strings the batch classifies), and a CSV of odd
    cells beside them: the report is the per-file path's, byte for byte."""
    raw = world["raw"]
    ref = refs(world)[5]
    secret = NAMES[2]
    filled = extra.format(
        secret=secret,
        secret_upper=NAMES[3].upper(),
        ref=ref,
        ref_lower=refs(world)[9].lower(),
        sha=hashlib.sha256(refs(world)[13].encode()).hexdigest(),
        note=raw["extra_mo_notes"].iat[4],
        month="2022-10",
    )
    site = planted(pages_site, tmp_path, filled)
    (site / "hood-33.html").write_text(
        PAGE.format(name="Hood 33", n=2, rate="0.2", extra=filled), encoding="utf-8"
    )
    (site / "strings.json").write_text(  # (a NUL inside a string: segments after it count)
        '{"a": "x\\u0000On or near 5 Elm Road"}'
        if leak_checks == ["locations_are_anonymous"]
        else '{"a": "x\\u0000On or near Elm Road"}',
        encoding="utf-8",
    )
    (site / "odd.csv").write_text(
        "Area,Note\n  Hood 3  ,'=1+1\nHood\t9,  spaced   out  \n", encoding="utf-8"
    )
    batched = check_release(raw, site, world["points"], extra_public_values=["Hood 3"])
    monkeypatch.setattr(
        context.GateContext, "_string_classes", property(lambda self: None)
    )  # the per-file path
    per_file = check_release(raw, site, world["points"], extra_public_values=["Hood 3"])
    assert batched.to_dict() == per_file.to_dict()
    assert batched.message() == per_file.message()
    if leak_checks:
        expect_only(batched, *leak_checks)
        assert "hood-217.html" in batched.message() or "run of words" in batched.message()
    else:
        assert batched.passed, batched.message()


def test_free_text_inputs_are_the_per_file_inputs(
    world: dict,
    prepared: PreparedGate,
    monkeypatch: pytest.MonkeyPatch,
):
    """_free_text_fragments looks for runs in the same texts (as a set) either way."""
    rng = random.Random(2)
    pool = _pool(world, prepared, rng)
    note = world["raw"]["extra_mo_notes"].iat[2]
    arts = _artifacts(pool + [note, f"  {note} "], rng, 25)
    seen: list[set[str]] = []
    real = checks.free_text_findings

    def spy(texts, public, raw_text, spans, raw_hashes=None, **kwargs):
        seen.append(set(texts))
        return real(texts, public, raw_text, spans, raw_hashes, **kwargs)

    monkeypatch.setattr(checks, "free_text_findings", spy)
    batched = checks._free_text_fragments(GateContext(prepared, arts, []))
    per_file = checks._free_text_fragments(_per_file(prepared, arts))
    assert batched == per_file and batched
    assert len(seen) >= 2 and all(s == seen[0] for s in seen)  # (a finding: 3 calls)
    assert np.any([note in t for t in seen[0]])


@pytest.mark.parametrize("order", ["reversed", "shuffled", "sorted"])
def test_free_text_findings_name_the_per_file_files_whatever_the_set_order(
    world: dict, prepared: PreparedGate, monkeypatch: pytest.MonkeyPatch, order: str
):
    """A run that several distinct texts share (a note as written, in lower case, with a
    mark after it, each on its own page) is reported in the file the per-file path names
    (the first that shows it), whatever order the set of distinct strings comes in: that
    order follows the process's string hashing, and CI's 3.40 run once named page-8 where
    the per-file path said page-2."""
    note = world["raw"]["extra_mo_notes"].iat[2]
    arts = []
    for i, text in enumerate(["nothing here", note.lower(), note, f"{note}\u200e", note.upper()]):
        art = Artifact(name=f"page-{i}.html", kind="html")
        art.strings = {text, "Crime in Hood 3", f"page {i}"}
        art.texts = [f"page {i}"]
        arts.append(art)
    per_file = checks._free_text_fragments(_per_file(prepared, arts))
    assert per_file and all(f.startswith("page-1.html: a run of words") for f in per_file)
    real = GateContext.distinct_other_strings
    shuffle = random.Random(7).shuffle

    def reordered(self: GateContext) -> Optional[list[str]]:
        listed = real(self)
        if listed is None:
            return None
        if order == "reversed":
            listed.reverse()
        elif order == "sorted":
            listed.sort()
        else:
            shuffle(listed)
        return listed

    monkeypatch.setattr(GateContext, "distinct_other_strings", reordered)
    for _ in range(4):  # (the shuffle differs each time)
        assert checks._free_text_fragments(GateContext(prepared, arts, [])) == per_file


def test_location_labels_are_looked_for_once_when_no_string_has_one(
    world: dict,
    prepared: PreparedGate,
    monkeypatch: pytest.MonkeyPatch,
):
    """With no address label in any file's strings (streets only, or no "On or near" at
    all), the address-label check joins the distinct strings once instead of every file's;
    with one, every file is looked at as before (and the finding is the per-file path's)."""
    rng = random.Random(4)
    pool = _pool(world, prepared, rng)
    arts = _artifacts([t for t in pool if "on or near" not in t.lower()], rng, 20)
    calls: list[int] = []
    real = checks._location_segments

    def counting(strings):
        calls.append(1)
        return real(strings)

    monkeypatch.setattr(checks, "_location_segments", counting)
    assert checks.check_locations_are_anonymous(GateContext(prepared, arts, [])).passed
    assert len(calls) == 1
    arts[3].strings.add("On or near High Street")  # a street: no address label
    arts[5].strings.add("x\x00On or near Mill Lane")
    calls.clear()
    assert checks.check_locations_are_anonymous(GateContext(prepared, arts, [])).passed
    assert len(calls) == 1
    arts[7].strings.add("On or near 14 Acacia Avenue")
    calls.clear()
    batched = checks.check_locations_are_anonymous(GateContext(prepared, arts, []))
    assert len(calls) == 1 + len(arts)
    per_file = checks.check_locations_are_anonymous(_per_file(prepared, arts))
    assert not batched.passed and batched == per_file
    assert "page-7.html" in batched.examples[0]


@pytest.mark.parametrize("seed", range(6))
def test_location_labels_as_the_per_file_path(world: dict, seed: int):
    """Address labels planted in random files (a public value among them, one after a NUL
    inside a string, streets that are not addresses): the same findings either way."""
    labels = [
        "On or near 12 Acacia Avenue",
        "x\x00ON OR NEAR flat 2 Elm Road",
        "On or near Unit 4 Park Lane",
        "On or near High Street",
        "on or near no. 9 Mill Lane",
    ]
    prep = PreparedGate(world["raw"], world["points"], None, [labels[0], labels[2]], 8)
    rng = random.Random(seed)
    pool = [t for t in _pool(world, prep, rng) if "on or near" not in t.lower()]
    findings = 0
    for _ in range(8):
        arts = _artifacts(pool, rng, rng.randint(2, 12))
        for label in rng.sample(labels, rng.randint(0, 3)):
            rng.choice(arts).strings.add(label)
        batched = checks.check_locations_are_anonymous(GateContext(prep, arts, []))
        per_file = checks.check_locations_are_anonymous(_per_file(prep, arts))
        assert batched == per_file
        findings += not batched.passed
    assert findings
    # files of a string or two, the label one of them
    for label in labels:
        arts = [Artifact(name="a.json", kind="json"), Artifact(name="b.json", kind="json")]
        arts[0].strings, arts[1].strings = {label}, {"b", "zz"}
        batched = checks.check_locations_are_anonymous(GateContext(prep, arts, []))
        assert batched == checks.check_locations_are_anonymous(_per_file(prep, arts))
        assert batched.passed == (label == labels[3])


@pytest.mark.parametrize("reverse", [False, True])
def test_a_files_address_label_finding_does_not_follow_the_set_order(
    prepared: PreparedGate, monkeypatch: pytest.MonkeyPatch, reverse: bool
):
    """A file with two "On or near <house number>" labels is reported with the least of
    them, in whatever order its strings' set gives them (that order follows the process's
    string hashing; the report was the first label met)."""
    arts = []
    for i in range(2):
        art = Artifact(name=f"page-{i}.csv", kind="csv")
        art.strings = {"On or near 5 Elm Road", "On or near 12 Oak Road", f"Hood {i}"}
        arts.append(art)
    real = GateContext.non_hex_strings
    monkeypatch.setattr(
        GateContext,
        "non_hex_strings",
        lambda self, art: sorted(real(self, art), reverse=reverse),
    )
    check = checks.check_locations_are_anonymous(GateContext(prepared, arts, []))
    labels = [e for e in check.examples if "an address, not a street" in e]
    assert labels == [
        f"page-{i}.csv: an address, not a street, as a location: 'On or near 12 Oak Road'"
        for i in range(2)
    ], check.examples
