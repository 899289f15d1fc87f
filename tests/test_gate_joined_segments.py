"""The leak gate's segment index takes an artifact's joined strings (GateContext.joined_strings)
from each distinct string's own segments (scan.SegmentIndex.add_joined) instead of splitting
every joined text: the segments of each text, in order, must be exactly those of a split of
the text itself, whatever the strings hold (newlines where a cut depends on what follows,
NULs, the separator itself, empty strings, Unicode whitespace and digits), in whatever
order the texts come and the strings repeat."""

from __future__ import annotations

import random

import pytest

from crime_mapper.core.gate import checks, scan
from crime_mapper.core.gate.context import GateContext, PreparedGate
from crime_mapper.core.gate.output_reader import Artifact
from crime_mapper.core.gate.scan import JOINED_SEP, SEGMENT_CUT, SegmentIndex

# characters whose place beside a newline decides a cut, and others
_ALPHABET = [
    "\n", "\n", "\x00", "h", "a", "p", "H", "A", "P", "x", "Z", " ", "\t", "\r", "1", "9",
    "(", ")", "[", "\u2028", "\x1c", "\x85", "\u0663", "\u00e9", "'", "=", JOINED_SEP,
]  # fmt: skip


def _segments_of(index: SegmentIndex, text: str) -> list[str]:
    return [index.segments[i] for i in index.ids(text).tolist()]


def _value(rng: random.Random) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 6)))


def test_the_separator_is_always_a_cut():
    """What add_joined rests on: SEGMENT_CUT cuts at the separator's first newline, before
    whatever string follows it."""
    assert SEGMENT_CUT.match(JOINED_SEP)
    for first in ["", "h", "1", " ", "\n", "x"]:
        parts = SEGMENT_CUT.split("a" + JOINED_SEP + first)
        assert parts[0] == "a"


@pytest.mark.parametrize("seed", range(6))
def test_joined_texts_have_the_segments_of_their_split(seed):
    rng = random.Random(seed)
    pool = [_value(rng) for _ in range(60)] + ["", "\n", "h", "\nh", "x\n", "\x00\n", "a\n\n"]
    index = SegmentIndex()
    texts = []
    for _ in range(400):
        values = [rng.choice(pool) for _ in range(rng.choice([0, 1, 2, 3, 5, 12]))]
        if rng.random() < 0.5:
            values = sorted(set(values))  # (as GateContext gives them: distinct, sorted)
        text = JOINED_SEP.join(values)
        index.add_joined(text, values)
        index.add([rng.choice(pool) + "\n" + rng.choice(pool)])  # (plain texts between)
        texts.append(text)
    for text in texts:
        assert _segments_of(index, text) == SEGMENT_CUT.split(text), repr(text)
    # every segment is distinct and known by its id
    assert len(set(index.segments)) == len(index.segments)
    assert all(index._ids[s] == i for i, s in enumerate(index.segments))


def test_a_text_split_before_is_kept():
    """A joined text the index has already split (a reader child's, say) keeps its ids."""
    index = SegmentIndex()
    values = ["alpha", "hotel", "12 main", "x\ny"]
    text = JOINED_SEP.join(values)
    before = index.ids(text)
    index.add_joined(text, values)
    assert index.ids(text) is before
    assert _segments_of(index, text) == SEGMENT_CUT.split(text)


def test_an_output_s_index_has_each_joined_text_s_split(world):
    """Through the gate's own index (checks.segment_index) over artifacts holding hostile
    strings: each artifact's joined strings and its texts have the segments of their split."""
    rng = random.Random(7)
    prepared = PreparedGate(world["raw"], world["points"], None, [], 8)
    pool = [_value(rng) for _ in range(80)] + sorted(prepared.secret_set)[:20]
    pool += ["Crime in Hood 3", "2022-10", "a" * 32, "", "  spaced  ", "'=1+2", "nl\nthere"]
    arts = []
    for i in range(40):
        art = Artifact(name=f"page-{i}.html", kind="html")
        art.strings = set(rng.sample(pool, rng.randint(0, 40)))
        art.texts = ["\n".join(sorted(art.strings))[:300]]
        arts.append(art)
    ctx = GateContext(prepared, arts)
    index = checks.segment_index(ctx)
    for art in ctx.readable:
        joined = ctx.joined_strings(art)
        assert joined == JOINED_SEP.join(ctx.other_strings(art))
        for text in [joined, *art.texts]:
            assert _segments_of(index, text) == SEGMENT_CUT.split(text)
    assert scan.JOINED_SEP == JOINED_SEP
