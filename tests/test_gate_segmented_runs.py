"""The free-text check's runs from the distinct segments of the output's texts
(checks._texts_sharing_runs, scan.segmented_runs): the same run hashes as folding and hashing
every text whole, each placed in its own text, and the same findings as the direct search.

Synthetic data: hostile texts made here, and the leak-gate test world (tests/support/leak_world.py).
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from crime_mapper.core.gate import checks, scan
from crime_mapper.core.gate.context import GateContext, PreparedGate, fold_words_bytes
from crime_mapper.core.gate.leak_gate import check_release
from crime_mapper.core.gate.output_reader import Artifact, read_output
from tests.support.gate_text import planted, run_text
from tests.support.leak_world import expect_only


def _direct(texts: list[str], words: int) -> np.ndarray:
    """The run hashes free_text_findings takes: the texts folded whole, NUL-joined."""
    buf = fold_words_bytes("\x00".join(t.replace("\x00", " ") for t in texts))
    return scan.word_runs(buf, words)[2]


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("group", [1, 7, 1 << 21])
def test_segment_runs_are_the_runs_of_the_texts_folded_whole(
    seed: int, group: int, monkeypatch: pytest.MonkeyPatch
):
    """Hostile texts (NULs, lone surrogates, newlines a segment is cut at and ones it is not,
    odd spaces, texts of fewer words than a run, empty texts, repeats), in pieces of a few
    words or all at once: the same hashes, in the same order, as the direct path."""
    monkeypatch.setattr(scan, "_SEGMENTED_WORDS", group)
    rng = random.Random(seed)
    shared = [run_text(rng) for _ in range(6)]  # (a template's lines on many texts)
    texts = [
        "\n".join(rng.choice(shared + [run_text(rng)]) for _ in range(rng.randint(1, 6)))
        for _ in range(40)
    ]
    texts += ["", "\n", "a b c d e f", "a\nb\nc\nd\ne\nf", "a\x00b c d e f g", texts[3]]
    index = scan.SegmentIndex()
    index.add(texts[:20])  # (segments known before, and new ones)
    for words in (1, 2, 6, 8):
        runs = [h for h, _owners in scan.segmented_runs(*_folded(index, texts), words)]
        got = np.concatenate(runs) if runs else np.zeros(0, dtype=np.uint64)
        assert np.array_equal(got, _direct(texts, words)), words
    got = np.concatenate([h for h, _owners in checks._segment_runs(index, texts)])
    assert np.array_equal(got, _direct(texts, checks.FRAGMENT_WORDS))
    assert got.size > 50
    # each run placed in its own text: the runs of text k are text k's runs folded alone
    for words in (1, 6):
        placed: list[list[int]] = [[] for _ in texts]
        for hashes, owners in scan.segmented_runs(*_folded(index, texts), words):
            for h, k in zip(hashes.tolist(), owners(np.arange(hashes.size)).tolist()):
                placed[k].append(h)
        assert placed == [_direct([t], words).tolist() for t in texts], words


def _folded(index: scan.SegmentIndex, texts: list[str]) -> tuple[bytes, list[np.ndarray]]:
    ids = [index.ids(t) for t in texts]
    order = sorted({i for one in ids for i in one.tolist()}, reverse=True)  # (any order)
    place = {i: k for k, i in enumerate(order)}
    joined = "\x00".join(index.segments[i].replace("\x00", " ") for i in order)
    return fold_words_bytes(joined), [np.array([place[i] for i in one.tolist()]) for one in ids]


def test_segment_runs_reject_impossible_lengths():
    with pytest.raises(ValueError):
        list(scan.segmented_runs(b"a b", [np.array([0])], 0))
    assert list(scan.segmented_runs(b"", [], 6)) == []


def test_clean_pages_need_no_direct_search(
    world: dict,
    pages_site: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
):
    """400 templated pages and no raw note in them: the runs of their text are hashed from
    the distinct segments, no run shares a raw run's hash, and the direct search (which
    folds and hashes every page's text whole) is not run."""
    calls: list[int] = []
    real = checks.free_text_findings

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(checks, "free_text_findings", counting)
    report = check_release(world["raw"], pages_site, world["points"])
    assert report.passed, report.message()
    assert calls == []


def _direct_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The direct search over every text (as without a segment index)."""
    monkeypatch.setattr(checks, "_texts_sharing_runs", lambda ctx, texts, hashes: None)


@pytest.mark.parametrize(
    "extra",
    [
        "<p>{note}</p>",
        # the note's words across elements, lines and an attribute's neighbours
        "<p>{first} <b>{second}</b></p>",
        "<ul><li>{words0}</li><li>{words1}</li><li>{rest}</li></ul>",
        "<p>{upper}</p>",
        "<p title='{note}'>x</p>",
        "<pre>{lines}</pre>",
    ],
)
def test_a_planted_note_is_found_as_by_the_direct_search(
    world: dict,
    pages_site: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    extra: str,
):
    """A raw note planted on one of 400 pages, whole, split over elements or lines, upper
    case or in an attribute: the free-text finding is reported, and the whole report is the
    direct path's byte for byte."""
    note = str(world["raw"]["extra_mo_notes"].iat[4])
    words = note.split()
    assert len(words) >= 9
    filled = extra.format(
        note=note,
        first=" ".join(words[:3]),
        second=" ".join(words[3:]),
        words0=" ".join(words[:2]),
        words1=" ".join(words[2:4]),
        rest=" ".join(words[4:]),
        upper=note.upper(),
        lines="\n".join(words),
    )
    site = planted(pages_site, tmp_path, filled)
    report = check_release(world["raw"], site, world["points"])
    expect_only(report, "no_non_public_values")
    assert "a run of words from raw column" in report.message()
    _direct_path(monkeypatch)
    direct = check_release(world["raw"], site, world["points"])
    assert report.to_dict() == direct.to_dict() and report.message() == direct.message()


@pytest.mark.parametrize("seed", range(4))
def test_shared_runs_as_the_direct_hashes(
    world: dict,
    pages_site: Path,  # noqa: F811
    seed: int,
):
    """_texts_sharing_runs names exactly the texts whose own runs, folded whole as the direct
    path folds them, share a raw run's hash: pages read from disk (the segment index built
    by the text checks), artifacts with texts of hostile pieces, strings of several words,
    a note or a part of one placed on a random artifact's text or strings, or nowhere."""
    rng = random.Random(seed)
    prep = PreparedGate(world["raw"], world["points"], None, [], 8)
    _name, pages = read_output(pages_site)
    notes = [str(v) for v in world["raw"]["extra_mo_notes"].head(40)]
    for case in range(5):
        odd = []
        for i in range(12):
            art = Artifact(name=f"odd-{i}.html", kind="html")
            art.texts = [run_text(rng) for _ in range(rng.randint(0, 3))]
            art.strings = {run_text(rng) for _ in range(5)} | {"one two three four five six"}
            odd.append(art)
        if case:
            words = rng.choice(notes).split()
            k = rng.randint(0, max(len(words) - 6, 0))
            part = " ".join(words[k : k + 5 + case])
            target = rng.choice(odd)
            if case % 2:
                target.texts = target.texts + [f"x\n{part}\ny"]
            else:
                target.strings = target.strings | {part}
        picked = pages + odd
        ctx = GateContext(prep, picked, [])
        for _n, fn in checks.CHECKS[:3]:
            fn(ctx)  # (builds the segment index, as the gate does)
        assert checks._SEGMENT_INDEX.get(ctx) is not None
        texts: dict[str, None] = {}
        for art in ctx.readable:
            for text in art.texts:
                if text.count(" ") >= checks.FRAGMENT_WORDS - 1:
                    texts[text] = None
        for text in ctx.distinct_other_strings() or []:
            if text.count(" ") >= checks.FRAGMENT_WORDS - 1:
                texts[text] = None
        want = [
            t
            for t in texts
            if checks._runs_with_hashes(
                _direct([t], checks.FRAGMENT_WORDS), prep.free_text_hashes
            ).size
        ]
        assert checks._texts_sharing_runs(ctx, texts, prep.free_text_hashes) == want
        assert bool(want) == (case > 0)
        assert len(want) <= 1 or case == 0


def _a_public_run_of_a_note(world: dict) -> str:
    """Seven words of a raw note, taken as a public value (a neighbourhood's name here; in a
    national release, a map point's name that a note also mentions)."""
    note = str(world["raw"]["extra_mo_notes"].iat[4])
    return " ".join(note.split()[:7])


@pytest.mark.parametrize("many_runs", [False, True])
@pytest.mark.parametrize("with_leak", [False, True])
def test_a_public_run_a_note_shares_narrows_the_search(
    world: dict,
    pages_site: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    with_leak: bool,
    many_runs: bool,
):
    """One of 400 pages names a public value whose words a raw note holds (its runs share
    the note's hashes). The direct search is given that page's text alone, not the 400
    pages'; when those runs are all public it returns at once, the raw notes not walked.
    A real note planted on the same page is still found. Either way the report is the
    direct path's, byte for byte. ``many_runs``: the output's runs are looked up among the
    raw runs' sorted hashes (a national summaries folder's way), not the other way round."""
    if many_runs:
        monkeypatch.setattr(checks, "_FEW_OUTPUT_RUNS", 0)
    public = _a_public_run_of_a_note(world)
    extra = f"<p>{public}</p>"
    if with_leak:
        extra += f"<p>{world['raw']['extra_mo_notes'].iat[9]}</p>"
    site = planted(pages_site, tmp_path, extra)
    given: list[list[str]] = []
    walked: list[int] = []
    real_findings, real_runs = checks.free_text_findings, scan.iter_word_runs

    def findings(texts: list[str], public_runs, raw_text: bytes, *args, **kwargs):
        given.append(list(texts))

        def runs(buf: bytes, words: int):
            if buf is raw_text:
                walked.append(1)
            return real_runs(buf, words)

        monkeypatch.setattr(scan, "iter_word_runs", runs)
        try:
            return real_findings(texts, public_runs, raw_text, *args, **kwargs)
        finally:
            monkeypatch.setattr(scan, "iter_word_runs", real_runs)

    monkeypatch.setattr(checks, "free_text_findings", findings)
    report = check_release(world["raw"], site, world["points"], extra_public_values=[public])
    # (a finding: searched again in file order, to name the file the per-file path names)
    assert len(given) == 1 + with_leak and given[0] and sorted(given[0]) == sorted(given[-1])
    assert any(public in t for t in given[0])  # (the planted page's text, and...)
    assert sum(map(len, given[0])) < 2_000  # (...not the 400 pages' text)
    if with_leak:
        expect_only(report, "no_non_public_values")
        assert "a run of words from raw column" in report.message()
        assert walked
    else:
        assert report.passed, report.message()
        assert walked == []
    monkeypatch.setattr(checks, "free_text_findings", real_findings)
    _direct_path(monkeypatch)
    direct = check_release(world["raw"], site, world["points"], extra_public_values=[public])
    assert report.to_dict() == direct.to_dict() and report.message() == direct.message()
