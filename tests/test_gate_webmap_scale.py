"""The leak gate's fast paths for a web map folder (megabytes of number-dense data scripts)
give exactly what the simpler code they replaced gave (kept here as the reference): numbers
taken without a Match object each, only the numbers that can be whole metres visited, and
texts a data script repeats thousands of times split and looked up once.

Each fast path is compared with its reference on random and hostile input made of the
pieces the patterns are about (signs, points, letters and NULs next to digits, Unicode
digits, newlines where the segment index cuts).
"""

from __future__ import annotations

import random
import re

import numpy as np
import pytest

from crime_mapper.core.gate import scan
from crime_mapper.core.gate.checks import _BARE_NUMBER, _metres_in
from tests.support.gate_text import SEGMENT_PATTERNS, random_segmented_text

NUMBER_PIECES = [
    "1", "12", "123", "1234", "12345", "451234", "1399999", "1400000", "1400001", "0999",
    "0001234", "1000", "999", "-", "--", ".", "..", ".5", ".05", "e", "E5", "x", "_", " ",
    ",", "[", "]", ":", '"', "\\", "\x00", "\n", "\n\n", "\u0661\u0662\u0663\u0664", "\u00b2",
    "+", "/", "1e5", "12345.0", "12345.5", "999.5", "999.4", "999.99999999999999999", "99.9",
    "N", "y", "E01013615", "n", "Y", "Easting", "NORTHING", "northing", "g", "3e", "\u017f",
    "Eastings", "northingS", "s", "ing", "fooNorthing", ".12", ".125", "\u0131", ".1234",
    ".123456",
]  # fmt: skip


def _numbers_text(rng: random.Random) -> str:
    return "".join(rng.choice(NUMBER_PIECES) for _ in range(rng.randint(0, 30)))


def _reference_metres_in(segments: list[str], raw_metres: np.ndarray) -> list[np.ndarray]:
    """checks._metres_in as it was (every scan.METRE_PLAIN_NUMBER match, from Match
    objects), with every number an axis letter is on too (scan.AXIS_NUMBER: "E457901")."""
    out = [np.zeros(0, dtype=np.int64)] * len(segments)
    for i, segment in enumerate(segments):
        found = list(scan.METRE_PLAIN_NUMBER.finditer(segment))
        found += list(scan.AXIS_NUMBER.finditer(segment))
        if found:
            values = np.array([float(m.group()) for m in found], dtype=np.float64)
            metres = scan.metre_candidates(values)
            out[i] = metres[scan.member(metres, raw_metres)]
    return out


@pytest.mark.parametrize("seed", range(30))
def test_numbers_reaching_1000_are_the_numbers_that_can(seed: int):
    """NUMBER_REACHING_1000 matches exactly METRE_PLAIN_NUMBER's matches with 4+ digits
    before the point, or 3 and a fraction (those whose float can be 1000 or more)."""
    rng = random.Random(seed)
    for _ in range(200):
        text = _numbers_text(rng)
        wanted = []
        for m in scan.METRE_PLAIN_NUMBER.finditer(text):
            whole, _, fraction = m.group().lstrip("-").partition(".")
            if len(whole) >= 4 or (len(whole) == 3 and fraction):
                wanted.append(m.group())
        assert scan.NUMBER_REACHING_1000.findall(text) == wanted, repr(text)


@pytest.mark.parametrize("seed", range(10))
def test_metre_numbers_are_those_reaching_1000_and_those_with_an_axis_letter(seed: int):
    """METRE_NUMBER, one scan, matches exactly what NUMBER_REACHING_1000 and AXIS_NUMBER
    ("E457901") match, neither taking a place the other would have matched."""
    rng = random.Random(seed)
    for _ in range(200):
        text = _numbers_text(rng)
        apart = [(m.start(), m.group()) for m in scan.NUMBER_REACHING_1000.finditer(text)]
        apart += [(m.start(), m.group()) for m in scan.AXIS_NUMBER.finditer(text)]
        together = [(m.start(), m.group()) for m in scan.METRE_NUMBER.finditer(text)]
        assert together == sorted(apart), repr(text)


# A number with its axis on it as it reads (lookbehinds first), written out here: a lone
# axis letter or an axis word (singular or plural, inside a longer word too) before it, the
# number's end or a glued N, X, Y or word (the end of a longer one too) after it
# ("E457901N308062"), or a lone N before it and a glued E after it ("N308062E457901"); or,
# the second of a glued pair, N, X, Y or a word after a digit, or a lone N, an integer
# northing of 4 to 7 digits and an E before it (after a northing with decimals: the easting
# is scan.GLUED_EASTING's)
_WORDS = ("easting", "eastings", "northing", "northings")
_NORTHINGS = [rf"\d{{{k}}}" for k in range(4, 8)]


def _plain_axis_number(end: str) -> str:
    word = "|".join(rf"(?<=(?i:{w}))" for w in _WORDS)
    glued_word = "|".join(rf"(?<=\d(?i:{w}))" for w in _WORDS)
    after_northing = "|".join(rf"(?<=(?<![\w.])[Nn]{n}[Ee])" for n in _NORTHINGS)
    return (
        rf"(?:(?<=(?<![\w.])[EeNnXxYy])|{word})\d{{4,7}}(?:\.\d+)?"
        rf"(?:{end}|(?=(?:[NnXxYy]|[A-Za-z]*?(?i:eastings?|northings?))\d))"
        r"|(?<=(?<![\w.])[Nn])\d{4,7}(?:\.\d+)?(?=[Ee]\d)"
        rf"|(?:(?<=\d[NnXxYy])|{glued_word}|{after_northing})\d{{4,7}}(?:\.\d+)?{end}"
    )


@pytest.mark.parametrize("seed", range(10))
def test_axis_numbers_are_those_written_out(seed: int):
    """AXIS_NUMBER (built from its pieces in scan) matches exactly the form written out."""
    plain = re.compile(_plain_axis_number(r"(?![\w]|\.\d)"))
    rng = random.Random(seed)
    for _ in range(200):
        text = _numbers_text(rng)
        want = [(m.start(), m.group()) for m in plain.finditer(text)]
        assert [(m.start(), m.group()) for m in scan.AXIS_NUMBER.finditer(text)] == want


# GLUED_EASTING as it reads: a lone N, a northing of 4 to 7 digits and any decimals, an E,
# and the easting (group 1), from the N on
_PLAIN_GLUED_EASTING = re.compile(r"(?<![\w.])[Nn]\d{4,7}\.\d+[Ee](\d{4,7}(?:\.\d+)?)(?![\w]|\.\d)")

# (glued northings, most of a pair, so that random texts hold glued pairs and near misses)
_GLUED_PIECES = ["N308062.1234E", "n1234.5e", "N1234567.123456", "xN308062.5E", "N308062.", "E"]


@pytest.mark.parametrize("seed", range(10))
def test_glued_eastings_are_those_written_out(seed: int):
    """GLUED_EASTING (from the northing's '.', for speed) finds exactly the eastings its
    plain form finds, and number_matches / numbers_by_segment add them to GRID_NUMBER's and
    METRE_NUMBER's numbers in order, none taken twice."""
    rng = random.Random(seed)
    pieces = NUMBER_PIECES + _GLUED_PIECES
    for _ in range(200):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        want = [(m.start(1), m.group(1)) for m in _PLAIN_GLUED_EASTING.finditer(text)]
        got = [(m.start(1), m.group(1)) for m in scan.GLUED_EASTING.finditer(text)]
        assert got == want, repr(text)
        for pattern in (scan.GRID_NUMBER, scan.METRE_NUMBER):
            alone = [(m.start(), m.group()) for m in pattern.finditer(text)]
            both = [(a, d) for a, _e, d in scan.number_matches(text, pattern)]
            assert both == sorted(alone + want), repr(text)
            segments = text.split("\n")
            by_segment = scan.numbers_by_segment(segments, pattern)
            for i, segment in enumerate(segments):
                numbers = [d for _a, _e, d in scan.number_matches(segment, pattern)]
                assert by_segment.get(i, []) == numbers, repr(segment)


# GRID_NUMBER as it reads (a lookbehind first), without and with an axis on it
_PLAIN_GRID_NUMBERS = (
    re.compile(r"(?<![\w.])\d{4,7}(?:\.\d+)?(?![\w]|\.\d)"),
    re.compile(_plain_axis_number(r"(?![\w]|\.\d)")),
)


@pytest.mark.parametrize("seed", range(10))
def test_grid_numbers_are_those_with_and_without_an_axis_letter(seed: int):
    """GRID_NUMBER (its first digit first, for speed) matches exactly what its plain form
    matches, with no word character before the digits or an axis on them."""
    rng = random.Random(seed)
    for _ in range(200):
        text = _numbers_text(rng)
        apart = [(m.start(), m.group()) for p in _PLAIN_GRID_NUMBERS for m in p.finditer(text)]
        together = [(m.start(), m.group()) for m in scan.GRID_NUMBER.finditer(text)]
        assert together == sorted(apart), repr(text)


def test_numbers_just_under_1000_still_give_the_metre_1000():
    """The float of 999.99999999999999999 is 1000.0, the raw whole metre 1000 to the
    reference, so the fast scan must find it too (999.5 is under 1000: no candidate)."""
    segments = ["at 999.5 m", "[999.99999999999999999]", "999.4", "999", "99.99"]
    raw_metres = np.array([999, 1000], dtype=np.int64)
    got = [g.tolist() for g in _metres_in(segments, raw_metres)]
    want = [w.tolist() for w in _reference_metres_in(segments, raw_metres)]
    assert got == want
    assert want == [[], [1000], [], [], []]


@pytest.mark.parametrize("seed", range(20))
def test_metres_in_equals_the_match_object_reference(seed: int):
    rng = random.Random(seed)
    segments = [_numbers_text(rng) for _ in range(300)]
    values = [float(v) for s in segments for v in scan.METRE_PLAIN_NUMBER.findall(s)]
    known = scan.metre_candidates(np.array(values + [451234.0], dtype=np.float64))
    raw_metres = np.unique(known[rng.random() < 0.5 :: 2]) if known.size else known
    got = _metres_in(segments, raw_metres)
    want = _reference_metres_in(segments, raw_metres)
    assert [g.tolist() for g in got] == [w.tolist() for w in want]
    assert sum(w.size for w in want) > 0 or seed > 5  # the cases do hold raw metres


@pytest.mark.parametrize("seed", range(20))
def test_strings_by_segment_equals_matches_by_segment(seed: int):
    rng = random.Random(seed)
    segments = [random_segmented_text(rng) for _ in range(80)]
    segments += [_numbers_text(rng) for _ in range(80)]
    patterns = [p for p in SEGMENT_PATTERNS if not p.groups]
    patterns += [scan.NUMBER_REACHING_1000, _BARE_NUMBER]
    for pattern in patterns:
        want = {
            i: [m.group() for m in found]
            for i, found in scan.matches_by_segment(segments, pattern).items()
        }
        assert scan.strings_by_segment(segments, pattern) == want, pattern.pattern
    with pytest.raises(ValueError):
        scan.strings_by_segment(segments, scan.OS_GRID)


def test_segment_index_answers_equal_texts_alike():
    """Texts equal in value but other objects (a data script's repeated labels, each its own
    string) are split once and answered alike, found or not; a scan runs once per segment."""
    scanned: list[str] = []

    def numbers(segments: list[str]) -> list[list[str]]:
        scanned.extend(segments)
        return [re.findall(r"\d+", s) for s in segments]

    base = ["On or near High Street", "Area 1234\nmore", "Park\n2022"]
    texts = ["".join(list(t)) for t in base * 50]  # equal values, distinct objects
    assert len({id(t) for t in texts}) == len(texts)
    index = scan.SegmentIndex()
    index.prepare("n", numbers, texts)
    fresh = scan.SegmentIndex()
    for text in texts:
        want = fresh.found(text, "n", lambda s: [re.findall(r"\d+", x) for x in s])
        assert index.found(text, "n", numbers) == want
    assert index.found("Area 1234\nmore", "n", numbers) == [["1234"]]
    assert index.found("Park\n2022", "n", numbers) == [["2022"]]  # "\n2" is not cut
    assert index.found("On or near High Street", "n", numbers) == []
    assert sorted(scanned) == sorted(set(scanned)) and len(scanned) == 4
    # an answer of nothing is remembered per scan, not shared between scans
    assert index.found("On or near High Street", "m", lambda s: [[1] for _ in s]) == [[1]]


def test_prepare_takes_each_distinct_text_once(monkeypatch: pytest.MonkeyPatch):
    """prepare looks each distinct text up once, however often the texts repeat it (a data
    script's 79,000 keys and names are 7,000 texts), and notes the same texts as found or
    not as preparing them one by one."""
    base = ["type", "Feature", "Area 1234\nmore", "name", "Park\n2022", "x 12"]
    texts = ["".join(list(t)) for t in base * 40]  # equal values, distinct objects

    def numbers(segments: list[str]) -> list[list[str]]:
        return [re.findall(r"\d+", s) for s in segments]

    index = scan.SegmentIndex()
    asked: list[str] = []
    ids = index.ids
    monkeypatch.setattr(index, "ids", lambda text: asked.append(text) or ids(text))
    index.prepare("n", numbers, texts)
    assert sorted(asked) == sorted(base)
    one_by_one = scan.SegmentIndex()
    for text in base:
        one_by_one.prepare("n", numbers, [text])
    assert index._nothing["n"] == one_by_one._nothing["n"] == {"type", "Feature", "name"}
    assert set(index.segments) == set(one_by_one.segments)
    for text in base:
        assert index.found(text, "n", numbers) == one_by_one.found(text, "n", numbers)


@pytest.mark.parametrize("seed", range(6))
def test_any_found_is_any_of_found(seed: int):
    """SegmentIndex.any_found(texts) answers what asking found() text by text answers, on
    texts with and without hits, repeated, empty, and asked before and after a prepare
    (data-script labels are asked for in one batch by checks._silent_scripts)."""
    rng = random.Random(seed)
    pieces = ["Park", "12", "1234", "x", "\n", "\n2022", " ", "Road 99", "", "\u0661\u0662"]

    def digits(segments: list[str]) -> list[list[str]]:
        return [re.findall(r"\d{3,}", s) for s in segments]

    for _ in range(60):
        texts = ["".join(rng.choice(pieces) for _ in range(rng.randrange(4))) for _ in range(8)]
        texts += rng.sample(texts, 3)
        index, reference = scan.SegmentIndex(), scan.SegmentIndex()
        if rng.random() < 0.5:
            index.prepare("d", digits, texts[: rng.randrange(len(texts))])
        for k in range(len(texts) + 1):
            want = any(reference.found(t, "d", digits) for t in texts[:k])
            assert index.any_found(texts[:k], "d", digits) == want, texts[:k]
    index = scan.SegmentIndex()
    assert not index.any_found([], "d", digits)
    assert index.any_found(["no", "Road 1999\nPark"], "d", digits)
    assert not index.any_found(["no", "Road 19\nPark"], "d", digits)


# --- the lower-case and squeezed dicts first, for output text too large for the small search --
from tests.support.leak_world import extras_cases, leaky_outputs  # noqa: E402


@pytest.fixture(scope="module")
def outputs(world: dict, clean_outputs: dict, tmp_path_factory: pytest.TempPathFactory) -> list:
    """Clean outputs and outputs with leaks the extras cases touch (leak_world)."""
    return leaky_outputs(world, clean_outputs, tmp_path_factory.mktemp("release_gate"))


def test_lengths_from_the_dicts_equal_the_indexes(world: dict):
    """The small search's distinct lengths taken from the lower-case / squeezed dicts equal
    those of the indexes (fresh and base-derived preparations, every extras case)."""
    from crime_mapper.core.gate.context import PreparedGate

    raw, points = world["raw"], world["points"]
    base = PreparedGate(raw, points)
    for kw in extras_cases(world):
        args = (
            kw.get("extra_allowed_coordinates"),
            kw.get("extra_public_values", ()),
            kw.get("min_catchment_addresses", 8),
        )
        made = [
            (PreparedGate(raw, points, *args), PreparedGate(raw, points, *args)),
            (
                PreparedGate(raw, points, *args, base=base),
                PreparedGate(raw, points, *args, base=base),
            ),
        ]
        for index_first, dict_first in made:
            dict_first.secret_lower  # noqa: B018
            dict_first.squeezed_keys  # noqa: B018
            assert dict_first.secret_lower_lengths == index_first.secret_lower_lengths
            assert dict_first.squeezed_lengths == index_first.squeezed_lengths
            assert set(dict_first.secret_lower_index) == set(index_first.secret_lower_index)
            # an index made of a dict (FirstKeyIndex.of) answers as the dict
            for index, full in (
                (dict_first.secret_lower_index, dict_first.secret_lower),
                (dict_first.squeezed_index, dict_first.squeezed_keys),
            ):
                assert list(index.as_dict.items()) == list(full.items())
                assert all(index[k] == v for k, v in list(full.items())[:50])


def test_dicts_first_give_the_same_reports(
    world: dict,
    outputs: list,
    monkeypatch: pytest.MonkeyPatch,
):
    """With every output's text counted as large (so the dicts come first), the reports
    equal those of the index-first order, leaky outputs included. The little-text proofs
    (checks._no_lowered_secret, _no_squeezed_reference) are off here: on these outputs they
    rule the lookups out, and the lookups are what this compares."""
    from crime_mapper.core.gate import checks
    from crime_mapper.core.gate.leak_gate import check_release

    raw, points = world["raw"], world["points"]
    monkeypatch.setattr(scan, "SMALL_SEARCH_LOOKUPS", 64)
    for proof in ("_no_lowered_secret", "_no_squeezed_reference"):
        monkeypatch.setattr(checks, proof, lambda ctx: False)
    taken: list[str] = []
    first = checks._patterns_first

    def spy(prep, view: str) -> None:
        taken.append(view)
        first(prep, view)

    monkeypatch.setattr(checks, "_patterns_first", spy)
    extras = extras_cases(world)
    dicts_first = [check_release(raw, o, points, **kw).to_dict() for o in outputs for kw in extras]
    assert {"secret_lower", "squeezed_keys"} <= set(taken)
    assert any(not r["passed"] for r in dicts_first)
    monkeypatch.setattr(checks, "_patterns_first", lambda prep, view: None)
    assert [check_release(raw, o, points, **kw).to_dict() for o in outputs for kw in extras] == (
        dicts_first
    )


# --- a web map's data scripts: bodies a number scan provably finds nothing in are not read ----
import hashlib  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from crime_mapper.core.gate import checks  # noqa: E402
from crime_mapper.core.gate.leak_gate import check_release  # noqa: E402


def _reference_silence(monkeypatch: pytest.MonkeyPatch) -> None:
    """The gate as before: every data-script body scanned by every number scan, and every
    number and position of the data read one element at a time
    (tests/test_gate_data_script_reader.py)."""
    from tests.support.gate_references import reference_timestamps, reference_walk

    reference_walk(monkeypatch)
    reference_timestamps(monkeypatch)

    def nothing_silent(ctx, key, segment_scan, numbers_may_find):
        checks._segments(ctx).prepare(key, segment_scan, checks._all_texts(ctx))
        return set()

    monkeypatch.setattr(checks, "_silent_scripts", nothing_silent)
    monkeypatch.setattr(checks, "_may_hold_hex_token", lambda text: True)


def _raw_values(test_world: dict) -> dict:
    raw = test_world["raw"]
    row = raw[np.isfinite(raw["source_x"].to_numpy(np.float64))].iloc[5]
    x, y = int(np.floor(row["source_x"])), int(np.floor(row["source_y"]))
    epoch = int(pd.Timestamp(raw["occurred_at"].dropna().iloc[0]).value // 1_000_000_000)
    times = pd.to_datetime(raw["occurred_at"].dropna()).drop_duplicates().iloc[:7]
    epochs = ",".join(str(int(t.value // 1_000_000_000)) for t in times)
    ref = str(raw["crime_id"].iloc[2])
    located = raw[np.isfinite(raw["longitude"].to_numpy(np.float64))]
    pairs = [
        f"[{lon:.6f},{lat:.6f}]"
        for lon, lat in zip(located["longitude"].iloc[:7], located["latitude"].iloc[:7])
    ]
    return {
        "x": x,
        "y": y,
        "epoch": epoch,
        "sha": hashlib.sha256(ref.encode()).hexdigest(),
        "wgs84": ",".join(pairs),
        "epochs": epochs,
    }


def _variants(test_world: dict) -> dict[str, tuple[str, str]]:
    """(old, new) replacements in data/points.js that hide a raw value in its JSON."""
    v = _raw_values(test_world)
    x, y, epoch, sha, wgs84 = v["x"], v["y"], v["epoch"], v["sha"], v["wgs84"]
    pos = '"point_label":{'
    return {
        "metre pair as numbers": _in_counts(f"{x},{y},"),
        "metre pair negative": _in_counts(f"-{x},-{y},"),
        "metre pair as floats": _in_counts(f"{x}.25,{y}.75,"),
        "pair in an escaped label": ('"labels":["', f'"labels":["At \\u0026 {x} {y}","'),
        "pair escaped only as written": ('"labels":["', f'"labels":["{x}\\u0041 {y}\\u0042","'),
        "pair in a plain label": ('"labels":["', f'"labels":["grid {x} {y}","'),
        # each label holds one raw number, so only the body as written shows the pair (the
        # labels are far apart among the artifact's sorted strings): the body is scanned
        # because a label has a finding of the number scan (checks._silent_scripts)
        "pair across two plain labels": ('"labels":["', f'"labels":["Zz {x}","Ab {y}","'),
        # (an axis letter on each number, "E457901 N308062": a pair as the spaced one is)
        "pair with axis letters": ('"labels":["', f'"labels":["grid E{x} N{y}","'),
        "axis-lettered pair across two labels": ('"labels":["', f'"labels":["Zz x{x}","y{y}","'),
        # (the points' own positions are letters: a GeoJSON member planted beside them)
        "pair as third coordinates": (pos, f'"more":{{"coordinates":[[0,0,{x}],[0,0,{y}]]}},{pos}'),
        "pair in signed exponents": _in_counts(f"0e+{x},0E-{y},"),
        "epoch as a number": _in_counts(f"{epoch},"),
        "epoch negative": _in_counts(f"-{epoch},"),
        "epoch in an exponent": _in_counts(f"0e+{epoch},"),
        "epoch in an escaped label": ('"labels":["', f'"labels":["\\u0041 {epoch}","'),
        "digest in a label": ('"labels":["', f'"labels":["{sha}","'),
        "digest escaped": ('"labels":["', f'"labels":["\\u0026{sha}","'),
        "os grid reference": ('"labels":["', f'"labels":["at \\u0026 {_os_ref(x, y)}","'),
        "grid reference in the head": ("window.CM_DATA", f"window.{_os_ref(x, y, '')}"),
        # the reader's numpy paths (flat int arrays, float positions) and where they give way
        "epoch beside an int beyond int64": _in_counts(f"{epoch},9223372036854775808,"),
        "epoch beside a boolean": _in_counts(f"true,{epoch},"),
        # a position's numbers are coordinates, not JSON numbers: only the body shows the
        # metres, so the body is scanned because they are raw metres
        "metre pair as a position": (pos, f'"more":{{"coordinates":[[{x}.0,{y}.0]]}},{pos}'),
        # 7 raw epochs walked one by one (a float among them): the first 5 in the body's
        # order when it is scanned, in the walk's (reversed) when only the numbers are
        "epochs among counts and a float": _in_counts(f"{v['epochs']},0.5,"),
        # 7 raw positions: the first 5 findings are reported, in the walk's order
        "raw WGS84 positions first": (pos, f'"more":{{"coordinates":[{wgs84}]}},{pos}'),
        "raw WGS84 positions beside an int one": (
            pos,
            f'"more":{{"coordinates":[[-1,52],{wgs84}]}},{pos}',
        ),
        # the per-point arrays are letters (core.common.letter_digits): numbers put among
        # them are decoded and checked as the numbers they are
        "epoch in the letters": _in_letters(epoch),
        "metre pair in the letters": _in_letters(x, y),
    }


def _in_counts(planted: str) -> tuple[str, str]:
    """(old, new) putting ``planted`` (numbers, each followed by a comma) first in an array
    of JSON integers beside the page's (its per-point arrays are letters)."""
    return '"months":[', f'"counts":[{planted}1,2,3,4],"months":['


def _in_letters(*numbers: int) -> tuple[str, str]:
    """(old, new) putting ``numbers`` first among the page's counts, written in letters."""
    from crime_mapper.core.common.letter_digits import naturals_to_letters

    old = '"entry_count":{"encoding":"naturals-base26","values":"'
    return old, old + naturals_to_letters(np.array(numbers))


def _os_ref(x: int, y: int, sep: str = " ") -> str:
    letters = "ABCDEFGHJKLMNOPQRSTUVWXYZ"
    e500, n500 = x // 500_000 + 2, y // 500_000
    first = letters[(3 - n500) * 5 + e500]
    e100, n100 = (x % 500_000) // 100_000, (y % 500_000) // 100_000
    second = letters[(4 - n100) * 5 + e100]
    return f"{first}{second}{sep}{x % 100_000:05d}{sep}{y % 100_000:05d}"


def test_data_script_bodies_are_silent_on_a_clean_export(
    world: dict,
    gated_webmap: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    """On a real export the number scans skip the data scripts' bodies (the proofs hold:
    every number listed, no raw value among them), with the report of reading them."""
    raw, points = world["raw"], world["points"]
    skipped: dict[str, int] = {}
    silent_scripts = checks._silent_scripts

    def spy(ctx, key, segment_scan, numbers_may_find):
        out = silent_scripts(ctx, key, segment_scan, numbers_may_find)
        skipped[key] = len(out)
        return out

    monkeypatch.setattr(checks, "_silent_scripts", spy)
    fast = check_release(raw, gated_webmap, points)
    assert fast.passed, fast.message()
    assert skipped["metres"] >= 1 and skipped["grid"] >= 1 and skipped["timestamps"] >= 1
    _reference_silence(monkeypatch)
    assert check_release(raw, gated_webmap, points).to_dict() == fast.to_dict()


@pytest.mark.parametrize("variant", list(range(27)))
def test_raw_values_hidden_in_data_scripts_are_found_as_before(
    world: dict,
    gated_webmap: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    variant: int,
):
    """A raw easting/northing, timestamp or reference digest planted in a data script's
    numbers, strings (plain and escaped), third coordinates, exponents or head: the gate
    refuses, with exactly the report of scanning every body."""
    name, (old, new) = list(_variants(world).items())[variant]
    site = tmp_path / "map"
    shutil.copytree(gated_webmap, site)
    js = site / "data" / "points.js"
    text = js.read_text(encoding="utf-8")
    assert text.count(old) >= 1, name
    js.write_text(text.replace(old, new, 1), encoding="utf-8")
    body = js.read_text(encoding="utf-8").split(" = ", 1)[1]
    json.loads(body.rstrip().rstrip(";"))  # still a data script
    raw, points = world["raw"], world["points"]
    fast = check_release(raw, site, points)
    _reference_silence(monkeypatch)
    reference = check_release(raw, site, points)
    assert fast.to_dict() == reference.to_dict(), name
    assert not reference.passed, name
