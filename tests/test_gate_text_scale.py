"""The leak gate's text checks at national scale give the same findings as the simpler code
they replaced (kept here as the reference): the free-text run search, ...

Each fast path is compared with its reference on random and hostile input, where the inputs
are built so that the interesting cases (shared prefixes, hash groups, runs at value edges,
NULs, non-ASCII, public runs) happen often.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from crime_mapper.core.gate import scan
from crime_mapper.core.gate.checks import MAX_EXAMPLES, free_text_findings
from crime_mapper.core.gate.context import (
    FRAGMENT_WORDS,
    fold_words_bytes,
    fragments_of,
    short,
)


# --- free text: the reference is the old pattern search of the output's runs in the notes ----
def reference_free_text(
    texts: list[str], public: set[str], raw_text: bytes, spans: list[tuple[int, str]]
) -> list[str]:
    wanted: set[str] = set()
    for text in texts:
        if text.count(" ") >= FRAGMENT_WORDS - 1:
            wanted.update(fragments_of(text))
    wanted -= public
    if not wanted:
        return []
    patterns = scan.PatternSet(sorted(wanted), bounded=True)
    problems = []
    for i, pos in scan.find_substrings(raw_text, patterns, limit=MAX_EXAMPLES):
        column = spans[0][1] if spans else "?"
        for start, name in spans:
            if start <= pos:
                column = name
        problems.append(
            f"a run of words from raw column {column} appears: {short(patterns.values[i], 32)}"
        )
    return problems


WORDS = ["crime", "in", "the", "neighbourhood", "october", "2022", "12", "x", "Park", "of", "a1"]
ODD = ["\x00", "é", "Ünïcode", "—", "  ", "\t", "\n", "'", "<b>", "&amp;", "\ud800"]


def random_text(rng: random.Random, words: int) -> str:
    out = []
    for _ in range(words):
        out.append(rng.choice(WORDS) if rng.random() > 0.08 else rng.choice(ODD))
        out.append(" " if rng.random() > 0.1 else rng.choice([",", ". ", " - ", "\n", "  "]))
    return "".join(out)


def raw_free_text(columns: list[list[str]]) -> tuple[bytes, list[tuple[int, str]]]:
    """As PreparedGate.free_text folds the raw values (values of 6+ words, per column)."""
    parts, spans, offset = [], [], 0
    for n, values in enumerate(columns):
        long = [v for v in values if v.count(" ") >= FRAGMENT_WORDS - 1]
        if not long:
            continue
        chunk = fold_words_bytes("\x00".join(long))
        spans.append((offset, f"extra_notes_{n}"))
        parts.append(chunk)
        offset += len(chunk) + 1
    return b"\x00".join(parts), spans


@pytest.mark.parametrize("seed", range(60))
def test_free_text_runs_equal_the_pattern_search(seed: int):
    rng = random.Random(seed)
    columns = [[random_text(rng, rng.randint(1, 14)) for _ in range(rng.randint(1, 40))]]
    if rng.random() < 0.5:
        columns.append([random_text(rng, rng.randint(4, 10)) for _ in range(rng.randint(1, 9))])
    raw_text, spans = raw_free_text(columns)
    notes = [v for col in columns for v in col]
    texts = []
    for _ in range(rng.randint(1, 30)):
        text = random_text(rng, rng.randint(5, 30))
        if notes and rng.random() < 0.4:  # a note (or part of one) inside the page's text
            note = rng.choice(notes)
            cut = note[rng.randint(0, max(0, len(note) // 3)) :]
            text = text + rng.choice([" ", ": ", "\n"]) + cut + rng.choice(["", ". More"])
        texts.append(text)
    texts = [t for t in dict.fromkeys(texts) if t.count(" ") >= FRAGMENT_WORDS - 1]
    public: set[str] = set()
    for text in rng.sample(texts, k=min(len(texts), rng.randint(0, 3))):
        public.update(fragments_of(text)[:2])
    if len(raw_text) < scan.MIN_PATTERN_BYTES or not texts:
        return
    expected = reference_free_text(texts, public, raw_text, spans)
    assert free_text_findings(texts, public, raw_text, spans) == expected


def test_free_text_many_templated_pages_one_leak():
    """2,000 pages sharing their template's runs, notes that start like the template: the
    one page holding a note's run is found, with the reference's message."""
    hoods = [f"Hood {i} North" for i in range(2000)]
    texts = [
        f"Crime in {h}, October 2022. Neighbourhood summary for {h}: 12 crimes in the month "
        "compared with the force rate of 7 per 1,000 residents."
        for h in hoods
    ]
    notes = [
        f"Neighbour reported crime in the area of hood {i} north october 2022 suspect left"
        for i in range(3000)
    ]
    leak = "suspect climbed the garden wall behind the shops and left on foot"
    notes.append(f"Crime in Hood 5 North, October 2022. {leak}")
    texts[1432] += f" Officers said {leak}."
    raw_text, spans = raw_free_text([notes])
    expected = reference_free_text(texts, set(), raw_text, spans)
    assert expected and all("extra_notes_0" in p for p in expected)
    assert free_text_findings(texts, set(), raw_text, spans) == expected


def test_word_runs_are_the_python_runs():
    rng = random.Random(5)
    for _ in range(200):
        values = [random_text(rng, rng.randint(0, 12)) for _ in range(rng.randint(1, 6))]
        buf = fold_words_bytes("\x00".join(values))
        starts, ends, hashes = scan.word_runs(buf, 3)
        expected = []
        for piece_start, piece in _pieces(buf):
            words = piece.split(b" ")
            offsets = np.cumsum([0] + [len(w) + 1 for w in words])
            for i in range(len(words) - 2):
                if all(words[i : i + 3]):
                    s = piece_start + int(offsets[i])
                    expected.append((s, s + len(b" ".join(words[i : i + 3]))))
        assert list(zip(starts.tolist(), ends.tolist())) == expected
        runs = [buf[s:e] for s, e in zip(starts.tolist(), ends.tolist())]
        by_run: dict[bytes, set[int]] = {}
        for run, h in zip(runs, hashes.tolist()):
            by_run.setdefault(run, set()).add(h)
        assert all(len(h) == 1 for h in by_run.values())  # equal runs, equal hashes
        assert len(set(hashes.tolist())) == len(by_run)  # (no collision in this small set)


def _pieces(buf: bytes) -> list[tuple[int, bytes]]:
    out, pos = [], 0
    for piece in buf.split(b"\x00"):
        out.append((pos, piece))
        pos += len(piece) + 1
    return out


def test_word_runs_across_chunks(monkeypatch: pytest.MonkeyPatch):
    """Pieces of the buffer are cut at NULs: runs near a cut are all found, in order."""
    monkeypatch.setattr(scan, "_RUN_CHUNK", 64)
    rng = random.Random(9)
    values = [random_text(rng, rng.randint(0, 20)) for _ in range(300)]
    buf = fold_words_bytes("\x00".join(values))
    starts, ends, _ = scan.word_runs(buf, 6)
    monkeypatch.setattr(scan, "_RUN_CHUNK", 1 << 22)
    whole = scan.word_runs(buf, 6)
    assert starts.tolist() == whole[0].tolist() and ends.tolist() == whole[1].tolist()
