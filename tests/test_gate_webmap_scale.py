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
from tests.test_gate_text_scale import SEGMENT_PATTERNS, _random_segmented_text

NUMBER_PIECES = [
    "1", "12", "123", "1234", "12345", "451234", "1399999", "1400000", "1400001", "0999",
    "0001234", "1000", "999", "-", "--", ".", "..", ".5", ".05", "e", "E5", "x", "_", " ",
    ",", "[", "]", ":", '"', "\\", "\x00", "\n", "\n\n", "\u0661\u0662\u0663\u0664", "\u00b2",
    "+", "/", "1e5", "12345.0", "12345.5",
]  # fmt: skip


def _numbers_text(rng: random.Random) -> str:
    return "".join(rng.choice(NUMBER_PIECES) for _ in range(rng.randint(0, 30)))


def _reference_metres_in(segments: list[str], raw_metres: np.ndarray) -> list[np.ndarray]:
    """checks._metres_in as it was: every scan.NUMBER match, from Match objects."""
    out = [np.zeros(0, dtype=np.int64)] * len(segments)
    for i, found in scan.matches_by_segment(segments, scan.NUMBER).items():
        values = np.array([float(m.group()) for m in found], dtype=np.float64)
        metres = scan.metre_candidates(values)
        out[i] = metres[scan.member(metres, raw_metres)]
    return out


@pytest.mark.parametrize("seed", range(30))
def test_four_digit_numbers_are_the_numbers_of_four_digits(seed: int):
    """NUMBER_4_DIGITS matches exactly NUMBER's matches with 4+ digits before the point."""
    rng = random.Random(seed)
    for _ in range(200):
        text = _numbers_text(rng)
        wanted = [
            m.group()
            for m in scan.NUMBER.finditer(text)
            if len(m.group().lstrip("-").split(".")[0]) >= 4
        ]
        assert scan.NUMBER_4_DIGITS.findall(text) == wanted, repr(text)


@pytest.mark.parametrize("seed", range(20))
def test_metres_in_equals_the_match_object_reference(seed: int):
    rng = random.Random(seed)
    segments = [_numbers_text(rng) for _ in range(300)]
    values = [float(v) for s in segments for v in scan.NUMBER.findall(s)]
    known = scan.metre_candidates(np.array(values + [451234.0], dtype=np.float64))
    raw_metres = np.unique(known[rng.random() < 0.5 :: 2]) if known.size else known
    got = _metres_in(segments, raw_metres)
    want = _reference_metres_in(segments, raw_metres)
    assert [g.tolist() for g in got] == [w.tolist() for w in want]
    assert sum(w.size for w in want) > 0 or seed > 5  # the cases do hold raw metres


@pytest.mark.parametrize("seed", range(20))
def test_strings_by_segment_equals_matches_by_segment(seed: int):
    rng = random.Random(seed)
    segments = [_random_segmented_text(rng) for _ in range(80)]
    segments += [_numbers_text(rng) for _ in range(80)]
    patterns = [p for p in SEGMENT_PATTERNS if not p.groups]
    patterns += [scan.NUMBER_4_DIGITS, _BARE_NUMBER]
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


# --- the lower-case and squeezed dicts first, for output text too large for the small search --
from tests.test_release_gate import (  # noqa: E402 - real raw extract, map points, outputs
    _extras,
    clean_outputs,  # noqa: F401 - a fixture
    outputs,  # noqa: F401 - a fixture
    world,  # noqa: F401 - a fixture
)


def test_lengths_from_the_dicts_equal_the_indexes(world: dict):  # noqa: F811
    """The small search's distinct lengths taken from the lower-case / squeezed dicts equal
    those of the indexes (fresh and base-derived preparations, every extras case)."""
    from crime_mapper.core.gate.context import PreparedGate

    raw, points = world["raw"], world["points"]
    base = PreparedGate(raw, points)
    for kw in _extras(world):
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


def test_dicts_first_give_the_same_reports(
    world: dict,  # noqa: F811
    outputs: list,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
):
    """With every output's text counted as large (so the dicts come first), the reports
    equal those of the index-first order, leaky outputs included."""
    from crime_mapper.core.gate import checks
    from crime_mapper.core.gate.leak_gate import check_release

    raw, points = world["raw"], world["points"]
    monkeypatch.setattr(scan, "SMALL_SEARCH_LOOKUPS", 64)
    taken: list[str] = []
    first = checks._patterns_first

    def spy(prep, view: str) -> None:
        taken.append(view)
        first(prep, view)

    monkeypatch.setattr(checks, "_patterns_first", spy)
    extras = _extras(world)
    dicts_first = [check_release(raw, o, points, **kw).to_dict() for o in outputs for kw in extras]
    assert {"secret_lower", "squeezed_keys"} <= set(taken)
    assert any(not r["passed"] for r in dicts_first)
    monkeypatch.setattr(checks, "_patterns_first", lambda prep, view: None)
    assert [check_release(raw, o, points, **kw).to_dict() for o in outputs for kw in extras] == (
        dicts_first
    )
