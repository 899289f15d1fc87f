"""A little output text (a style file, a GeoPackage's metadata) gets the free-text verdict of
the full search without the raw notes being folded and hashed (issue 15): its runs are ruled
out by a word the raw notes do not hold, else the full search runs. Compared with the full
search on the real fixture, on the real public layer style and on planted leaks (a raw note's
run in another case and spacing, across XML elements, a victim's name, a reference).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from crime_mapper.core.gate import checks
from crime_mapper.core.gate.checks import _runs_may_be_raw, free_text_findings
from crime_mapper.core.gate.context import FRAGMENT_WORDS
from crime_mapper.core.gate.leak_gate import ReleaseGate, check_release
from crime_mapper.core.gate.output_reader import read_output


@pytest.fixture(scope="module")
def style_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The public layer's style as crime_mapper:anonymise writes it (real QGIS)."""
    from crime_mapper.qgis_bridge.run_anonymise import write_public_qml

    path = tmp_path_factory.mktemp("style") / "public.qml"
    write_public_qml(str(path))
    return path


def _full(prep, texts: list[str]) -> list[str]:
    raw_text, spans = prep.free_text
    return free_text_findings(texts, prep.public_fragments, raw_text, spans)


def _note(world: dict, i: int = 9) -> str:
    return str(world["raw"]["extra_mo_notes"].iat[i])


def _hostile_texts(world: dict) -> list[str]:
    note = _note(world)
    words = note.split()
    six = " ".join(words[:FRAGMENT_WORDS])
    name = str(world["raw"]["extra_victim_name"].iat[4])
    ref = str(world["raw"]["crime_id"].iat[5])
    return [
        six,
        six.upper(),
        "  ".join(words[1 : FRAGMENT_WORDS + 1]).title(),
        ",\n".join(words[2 : FRAGMENT_WORDS + 2]),
        "\x00 ".join(words[:FRAGMENT_WORDS]),
        " x ".join(words[:FRAGMENT_WORDS]) + "\x00".join(words[:FRAGMENT_WORDS]),
        f"Victim {name} attended the scene and wrote up notes today",
        f"Reference {ref} was closed with no further action taken today",
        "Entry forced via rear window of a house never seen before",
        "entry forced via rear window of flat",  # five words and a number: a run
        "neighbour heard glass " * 3,
        "Ünïcode entry — forced via rear window of flat 12 \ud800",
        "the quick brown fox jumps over the lazy dog near the park",
    ]


def test_small_path_rules_out_only_what_the_full_search_does_not_find(world: dict):
    prep = ReleaseGate(world["raw"], world["points"]).prepared()
    public = prep.public_fragments
    rng = random.Random(15)
    hostile = _hostile_texts(world)
    cases = [[t] for t in hostile] + [rng.sample(hostile, 3) for _ in range(40)]
    notes = [_note(world, i) for i in range(0, 60, 7)]
    for _ in range(40):  # pieces of real notes cut at random word edges, mixed with others
        words = rng.choice(notes).split()
        a = rng.randrange(len(words))
        cases.append([" ".join(words[a:] + rng.choice(hostile).split()[: rng.randrange(8)])])
    found_some = 0
    for texts in cases:
        # the texts _free_text_fragments searches (5+ spaces)
        texts = [t for t in texts if t.count(" ") >= FRAGMENT_WORDS - 1]
        if not texts:
            continue
        full = _full(prep, texts)
        found_some += bool(full)
        if not _runs_may_be_raw(prep, texts, public):
            assert full == [], texts
    assert found_some >= 10  # the planted runs are found: the comparison means something


def _report(raw, path: Path, points, monkeypatch: pytest.MonkeyPatch, small: bool) -> dict:
    with monkeypatch.context() as m:
        if not small:
            m.setattr(checks, "_FEW_TEXT_CHARS", -1)  # the full search for every output
        return check_release(raw, path, points).to_dict()


def test_real_style_file_skips_the_raw_notes_and_passes(world: dict, style_file: Path):
    gate = ReleaseGate(world["raw"], world["points"])
    prep = gate.prepared()
    _kind, artifacts = read_output(style_file)
    texts = [t for a in artifacts for t in a.texts if t.count(" ") >= FRAGMENT_WORDS - 1]
    assert texts and not _runs_may_be_raw(prep, texts, prep.public_fragments)
    report = check_release(world["raw"], style_file, world["points"], prepared=gate)
    assert report.passed, report.message()
    assert gate.prepared() is prep
    assert "free_text" not in prep.__dict__  # the raw notes were never folded for it
    assert check_release(world["raw"], style_file, world["points"]).to_dict() == report.to_dict()


@pytest.mark.parametrize("planted", range(6))
def test_style_file_with_planted_leak_same_report_as_full_search(
    world: dict,
    style_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    planted: int,
):
    note = _note(world, 9 + planted)
    words = note.split()
    plants = [
        f"<note>{note}</note>",
        f"<prop k='label' v='{note.upper()}'/>",
        "".join(f"<w>{w}</w>\n" for w in words[1 : FRAGMENT_WORDS + 2]),
        f"<prop k='n' v='{'  '.join(words[:FRAGMENT_WORDS]).title()}'/>",
        f"<prop k='o' v='{world['raw']['extra_victim_name'].iat[4]}'/>",
        f"<prop k='r' v='case {world['raw']['crime_id'].iat[5]} closed'/>",
    ]
    text = style_file.read_text(encoding="utf-8")
    cut = text.rindex("</qgis>")
    path = tmp_path / "public.qml"
    path.write_text(text[:cut] + plants[planted] + text[cut:], encoding="utf-8")
    small = _report(world["raw"], path, world["points"], monkeypatch, small=True)
    full = _report(world["raw"], path, world["points"], monkeypatch, small=False)
    assert small == full
    assert not small["passed"]  # every plant is a leak the gate finds


def test_notes_already_hashed_the_full_search_runs_without_the_word_passes(
    world: dict,
    style_file: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    """Once an earlier output of the release had the raw notes folded and hashed, a little
    text goes straight to the full search (its runs looked up among the notes' hashes): the
    word passes over the notes would only be paid on top (a web map's texts paid ~1.8 s of
    them nationally before giving up)."""
    gate = ReleaseGate(world["raw"], world["points"])
    before = check_release(world["raw"], style_file, world["points"], prepared=gate).to_dict()
    base = gate.prepared()
    base.free_text_hashes  # noqa: B018 - an earlier output's full search computed them
    calls: list[int] = []
    real = checks._runs_may_be_raw
    monkeypatch.setattr(checks, "_runs_may_be_raw", lambda *a: calls.append(1) or real(*a))
    after = check_release(world["raw"], style_file, world["points"], prepared=gate)
    assert after.to_dict() == before and after.passed
    # a preparation with extras borrows the base's notes: ready too
    extras = gate.prepared(extra_public_values=["Somewhere Park"])
    assert extras is not base and checks._free_text_ready(extras)
    assert calls == []
    fresh = ReleaseGate(world["raw"], world["points"])
    check_release(world["raw"], style_file, world["points"], prepared=fresh)
    assert calls == [1]  # (not yet hashed: the passes may spare the folding)


def test_too_many_runs_for_the_passes_search_as_before(world: dict):
    """More runs than _FEW_RUNS: the full search, even where one missing word would rule them
    all out (the passes are for a style file's few hundred runs)."""
    prep = ReleaseGate(world["raw"], world["points"]).prepared()
    public = prep.public_fragments
    many = [f"qzxvq unheard w{i} among these words" for i in range(checks._FEW_RUNS + 1)]
    assert _runs_may_be_raw(prep, many, public)
    assert not _runs_may_be_raw(prep, many[: checks._FEW_RUNS], public)  # ruled out by "qzxvq"
    assert _full(prep, many) == []
