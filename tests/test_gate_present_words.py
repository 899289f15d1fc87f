"""The style gate's one-pass word lookup (checks._present_words) against a find per word.

A little output text (the public layer's style) is ruled out of the free-text search when
each of its 6-word runs has a word the raw notes do not hold. checks._runs_may_be_raw looks
for a couple of words one by one, then for every word still open in one numpy pass
(_present_words). That pass must say exactly what ``word in raw`` says for every word and
every buffer, and _runs_may_be_raw must rule a text out wherever a find per word (the path
it replaced) rules it out, and exactly where every run has a word that is not a whole word
of the raw notes (a word of their folded text: a word inside a longer one rules it out too).
"""

from __future__ import annotations

import random
import re
import types
from collections.abc import Collection, Iterable
from typing import Optional

import pytest

from crime_mapper.core.gate import checks
from crime_mapper.core.gate.checks import _present_words, _runs_may_be_raw, free_text_findings
from crime_mapper.core.gate.context import EXTRA_PREFIX, FRAGMENT_WORDS, fragments_of


def _by_find(raw: bytes, words: Iterable[str]) -> set[str]:
    return {w for w in words if w.encode("ascii") in raw}


def _old_runs_may_be_raw(prep, texts: Iterable[str], public: Collection[str]) -> bool:
    """checks._runs_may_be_raw as it was before the one-pass lookup (main at 6ce4bbd): a
    find per word, the word in most open runs first, at most 64 missing words."""
    runs = {run for text in texts for run in fragments_of(text) if run not in public}
    if not runs:
        return False
    if len(runs) > checks._FEW_RUNS:
        return True
    open_runs = [set(run.split(" ")) for run in runs]
    raw: Optional[bytes] = None
    passes = 0
    while passes <= 64:
        counts: dict[str, int] = {}
        for words in open_runs:
            for word in words:
                counts[word] = counts.get(word, 0) + 1
        word = max(counts, key=lambda w: (counts[w], len(w), w))
        if raw is None:
            values = [
                v for col, part in prep.secret_parts if col.startswith(EXTRA_PREFIX) for v in part
            ]
            raw = "\x00".join(values).encode("utf-8", errors="replace").lower()
        if word.encode("ascii") in raw:
            for words in open_runs:
                words.discard(word)
            if any(not words for words in open_runs):
                return True
        else:
            passes += 1
            open_runs = [words for words in open_runs if word not in words]
            if not open_runs:
                return False
    return True


def _exact(prep, texts: Iterable[str], public: Collection[str]) -> bool:
    """Whether some run (of at most _FEW_RUNS) has every word among the raw notes' words
    (maximal runs of ASCII digits and letters of each value, lowered), by a regex."""
    runs = {run for text in texts for run in fragments_of(text) if run not in public}
    if len(runs) > checks._FEW_RUNS:
        return True
    values = [v for col, part in prep.secret_parts if col.startswith(EXTRA_PREFIX) for v in part]
    raw = "\x00".join(values).encode("utf-8", errors="replace").lower()
    words = set(re.findall(rb"[0-9a-z]+", raw))
    return any(all(w.encode("ascii") in words for w in run.split(" ")) for run in runs)


def _hostile_buffers(rng: random.Random) -> list[bytes]:
    tight = b"abcd"  # few letters: words share heads and differ in later bytes
    out = [b"", b"a", b"ab", b"abc", b"abcd", b"abcde", b"\x00\x00\x00\x00", bytes(range(256))]
    for n in (5, 7, 8, 9, 15, 16, 17, 63, 200, 5_000):
        out.append(bytes(rng.choice(tight) for _ in range(n)))
        out.append(bytes(rng.randrange(256) for _ in range(n)))  # NUL, high bytes, anything
        out.append("\x00".join(["crime", "Theft", "ünïcode x", ""] * (n // 20 + 1)).encode())
    return out


def _words_for(raw: bytes, rng: random.Random) -> list[str]:
    """Pieces of ``raw`` (every length at its start, its end, random places), each also with
    its first, a middle or its last byte changed or one byte longer, and others."""
    words: set[str] = {"a", "ab", "abc", "abcd", "abcde", "crime", "theft", "nicode", "code"}
    ascii_raw = bytes(b if 48 <= b <= 122 else 97 for b in raw)  # (words are ASCII)
    cuts = [(0, n) for n in range(1, 26)] + [(len(raw) - n, len(raw)) for n in range(1, 26)]
    cuts += [(a, a + rng.randrange(1, 26)) for a in (rng.randrange(max(len(raw), 1)),) * 30]
    for a, b in cuts:
        piece = ascii_raw[max(a, 0) : b]
        if not piece:
            continue
        text = piece.decode("ascii")
        words.add(text)
        for i in (0, len(text) // 2, len(text) - 1):
            words.add(text[:i] + ("a" if text[i] != "a" else "b") + text[i + 1 :])
        words.add(text + "a")
        words.add("d" + text)
    return sorted(words)


@pytest.mark.parametrize("chunk", [1, 3, 7, 1 << 20])
def test_present_words_is_a_find_per_word(monkeypatch: pytest.MonkeyPatch, chunk: int):
    monkeypatch.setattr(checks, "_PRESENT_CHUNK", chunk)  # windows cut into chunks anywhere
    rng = random.Random(chunk)
    for raw in _hostile_buffers(rng):
        words = _words_for(raw, rng)
        assert _present_words(raw, words) == _by_find(raw, words), raw[:40]


def test_present_words_many_words_share_hash_slots():
    """Thousands of words (the table's 65,536 slots shared): still only the words there."""
    rng = random.Random(5)
    raw = bytes(rng.choice(b"abcdefgh\x00 ") for _ in range(200_000))
    words = {
        "".join(rng.choice("abcdefgh") for _ in range(rng.randrange(4, 12))) for _ in range(20_000)
    }
    got = _present_words(raw, words)
    assert got == _by_find(raw, words)
    assert 0 < len(got) < len(words)  # (both kinds are there: the comparison means something)


def _prep(notes: list[str], officers: Optional[list[str]] = None):
    parts = [("extra_mo_notes", set(notes)), ("crime_id", {"REF-1"})]
    if officers is not None:
        parts.append(("extra_officer_in_case", set(officers)))
    return types.SimpleNamespace(secret_parts=parts)


_NOTES = [
    "Entry forced via rear window of flat 12, neighbour heard glass",
    "THE FT of a bicycle from a shed; suspect seen leaving on foot",  # "theft" only across words
    "Crim inal dam age to a parked vehicle overnight near the shops",
    "Ünïcode entry — forced via rear window of flat 12 \ud800 at night",
    "suspect\x00name withheld, reported by a neighbour in the morning",
    "",
]


def _texts() -> list[list[str]]:
    six = "entry forced via rear window of"
    return [
        [six],
        [six.upper()],
        ["theft of a bicycle from a shed"],  # every word there but "theft"
        ["the ft of a bicycle from a shed and more"],
        ["criminal damage to a parked vehicle overnight"],
        ["crim inal dam age to a parked vehicle"],
        ["unicode entry forced via rear window"],
        ["suspect name withheld reported by a neighbour"],
        ["qstring name value true and none of it here at all"],
        ["<qgis> style joinstyle outline offset diameter category theft crime"],
        [" ".join(f"w{i} x{i} y{i} z{i} q{i} r{i}" for i in range(40))],
        ["entry forced via rear window of", "qzxvq unheard of in any note today"],
        ["flat heard glass bicycle shed forced"],  # every word whole in the notes
        ["lass cycle orced ndow eighbour ight"],  # every word only inside one of theirs
        ["forced via rear window of nigh"],  # "nigh": the start of "night"
    ]


@pytest.mark.parametrize("officers", [None, ["PC Joanna Smith", "DC Theft Crime"]])
@pytest.mark.parametrize("scans", [0, 1, 2, 64])
def test_runs_may_be_raw_is_the_find_per_word_answer(
    monkeypatch: pytest.MonkeyPatch, officers: Optional[list[str]], scans: int
):
    monkeypatch.setattr(checks, "_FEW_RUN_SCANS", scans)  # one pass after 0, 1, 2... finds
    rng = random.Random(scans)
    cases = _texts() + [rng.sample(sum(_texts(), []), 3) for _ in range(20)]
    for notes in (_NOTES, _NOTES[:1], [""], []):
        prep = _prep(notes, officers)
        for texts in cases:
            new = _runs_may_be_raw(prep, texts, set())
            assert new == _exact(prep, texts, set()), (notes, texts)
            if not _old_runs_may_be_raw(prep, texts, set()):
                assert not new, (notes, texts)  # (nothing the old path ruled out comes back)


def test_runs_may_be_raw_on_real_notes(world: dict):
    """Real extract's notes: cut at random word edges and mixed with style-like words, the
    answer is the find-per-word one, and a text ruled out has no finding in the full search."""
    from crime_mapper.core.gate.leak_gate import ReleaseGate

    prep = ReleaseGate(world["raw"], world["points"]).prepared()
    public = prep.public_fragments
    notes = [str(world["raw"]["extra_mo_notes"].iat[i]) for i in range(0, 60, 7)]
    style = "qstring name value true and none crime theft joinstyle outline offset 0 mm".split()
    rng = random.Random(15)
    ruled_out = may_be = 0
    for _ in range(60):
        words = rng.choice(notes).split()
        a = rng.randrange(len(words))
        mixed = words[a : a + rng.randrange(2, 12)] + rng.sample(style, rng.randrange(0, 6))
        rng.shuffle(mixed) if rng.random() < 0.3 else None
        texts = [" ".join(mixed), " ".join(rng.sample(style, 8))]
        texts = [t for t in texts if t.count(" ") >= FRAGMENT_WORDS - 1]
        if not texts:
            continue
        new = _runs_may_be_raw(prep, texts, public)
        assert new == _exact(prep, texts, public), texts
        if not new:
            ruled_out += 1
            raw_text, spans = prep.free_text
            assert free_text_findings(texts, public, raw_text, spans) == [], texts
        else:
            may_be += 1
    assert ruled_out >= 5 and may_be >= 5  # (both answers were met)


def test_words_only_inside_longer_raw_words_rule_a_text_out():
    """A text each of whose runs has a word found in the raw notes only inside a longer word
    ("in" in "within", "fore" in "forecourt") cannot share a run with them: ruled out, where
    a find per word kept it (a public GeoPackage's SQLite trigger text against a national
    month's notes: its words "in", "id", "or" are inside note words, and the notes were
    folded and their runs hashed and sorted to find nothing)."""
    prep = _prep(["suspect seen within the forecourt of the building at night"])
    text = "seen in the fore court of the building at night today"
    assert _old_runs_may_be_raw(prep, [text], set())  # (every word inside the notes)
    assert not _runs_may_be_raw(prep, [text], set())
    raw_text = b"suspect seen within the forecourt of the building at night"
    assert free_text_findings([text], set(), raw_text, [(0, "extra_mo_notes")]) == []
    # one run of six whole words of the note: kept, and the full search finds it
    text = "seen within the forecourt of the"
    assert _runs_may_be_raw(prep, [text], set())
    assert free_text_findings([text], set(), raw_text, [(0, "extra_mo_notes")])
