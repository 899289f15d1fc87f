"""The leak gate's segment scans run only on the segments a cheap necessary condition picks
(scan.digit_masked_hits, scan.segments_with_numbers): each prefiltered scan must give exactly
what scanning every segment gives, on texts built from the pieces its patterns are about
(Unicode digits, long fractions that round up, "+44", hours written every way) and on the
segments of real neighbourhood summaries pages."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.gate import checks, scan
from crime_mapper.core.gate.output_reader import read_output
from crime_mapper.core.publish.summaries_export import export_summaries
from tests.support.gate_text import PIECES
from tests.support.neighbourhood_data import committed_msoas, leicestershire, public_table


@pytest.fixture(scope="module")
def public() -> pd.DataFrame:
    """Leicestershire's published months (tests/support/neighbourhood_data)."""
    return public_table(leicestershire())


@pytest.fixture(scope="module")
def hoods() -> Any:
    """The committed Leicestershire MSOAs."""
    return committed_msoas(leicestershire())


NUMBER_PIECES = [
    "999.99999999999999999", "1000", "999", "458122.7", "458123", "301234.5", "1234567",
    "1234567.99999999999999", "0001234", "12345678", "1400000", "1399999.6", "-458123",
    "0" * 20 + "458123", "2021", "2022", "11,142", "52.0,88.7 103.3,46.7", "\u0664\u0665\u0668",
    "\u0661\u0662\u0665\u0667", "202210151030", "20221015", "1666000000", "15102022", "TQ",
    "SK 5804 0412", "NZ2208963784", "+44 116 496 0000", "(0116) 496 0000", "0116-496-0000",
    "1257hrs", "9.30pm", "12h45", "2315 h", "1st of May", "Oct 25th", "25 October", "3.22.0",
    "x", " ", "\n", "\n1", ";", ": ", "e", "E", "ab", "@", "jo@x.uk",
]  # fmt: skip
# dates with a time joined on (scan.JOINED_TIME) or glued on (scan.TIME_OF_DAY), epoch
# decimals, and a glued pair (scan.GLUED_EASTING)
JOINED_PIECES = [
    "20221015.1030", "20221015T103000Z", "15102022_1030", "202210151030Z", "15/10/2022.1030",
    "15.10.2022T10:30", "N301234.1234E458123", "15/10/20221030", "2022-10-15103000Z",
    "2022/10/151030", "1666000000.125", "1666000000000.5", "202210151030.5", "12345678.5",
    "20221015.25", "15.10.20221030", "1.15.10.20221030", "2022.10.151030", "1.2022.10.151030",
]  # fmt: skip
# axes on numbers and glued pairs (scan.AXIS_NUMBER)
AXIS_PIECES = ("N", "Easting", "NORTHING", "E458123N301234.5", "n301235e458123", "y1234")
RAW_METRES = np.array(sorted({1000, 458123, 301235, 1234568, 1399999, 1400000, 4568}))
KNOWN = np.array(sorted({458120, 458123, 1234, 5804, 1234568, 2021, 301230}))
STAMPS = {202210151030, 20221015, 1666000000, 15102022, 12345678, 151020221030}
EARLY_STAMPS = {12345678, 20221015}  # (early epoch seconds: checks._BARE_NUMBER_EARLY)


def _segments(rng: random.Random, n: int, extra: tuple[str, ...] = ()) -> list[str]:
    pool = PIECES + NUMBER_PIECES + JOINED_PIECES + list(extra)
    texts = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 30))) for _ in range(n)]
    index = scan.SegmentIndex()
    index.add(texts)
    return index.segments


def _same(fast: list, direct: list) -> bool:
    def norm(r: object) -> object:
        return r.tolist() if isinstance(r, np.ndarray) else r

    return [norm(r) for r in fast] == [norm(r) for r in direct]


def _compare(segments: list[str], raw_metres=RAW_METRES, known=KNOWN) -> dict[str, int]:
    """Every prefiltered scan against its direct scan; how many segments each found in."""
    pairs = {
        "dates": (checks._date_bits, checks._date_bits_direct),
        "contacts": (checks._contact_flags, checks._contact_flags_direct),
        "hex": (checks._hex_tokens, checks._hex_tokens_direct),
        "metres": (
            lambda s: checks._metres_in(s, raw_metres),
            lambda s: checks._metres_in_direct(s, raw_metres),
        ),
        "grid": (
            lambda s: checks._grid_flags(s, known, 1 << 21),
            lambda s: checks._grid_flags_direct(s, known, 1 << 21),
        ),
        "grid_any": (
            lambda s: checks._grid_flags(s, known, -1),
            lambda s: checks._grid_flags_direct(s, known, -1),
        ),
        "timestamps": (
            lambda s: checks._raw_forms(s, STAMPS),
            lambda s: checks._raw_forms_direct(s, STAMPS),
        ),
        "early timestamps": (
            lambda s: checks._raw_forms(s, STAMPS, EARLY_STAMPS),
            lambda s: checks._raw_forms_direct(s, STAMPS, EARLY_STAMPS),
        ),
    }
    found = {}
    for name, (fast, direct) in pairs.items():
        want = direct(segments)
        got = fast(segments)
        assert _same(got, want), name
        found[name] = sum(1 for r in want if scan._found_something(r))
    return found


@pytest.mark.parametrize("seed", range(12))
def test_prefiltered_segment_scans_equal_the_direct_scans(seed: int):
    found = _compare(_segments(random.Random(seed), 150))
    # the pieces give findings of every kind (so a prefilter that drops one would fail)
    assert all(found.values()), found


@pytest.mark.parametrize("seed", range(6))
def test_prefiltered_scans_equal_the_direct_scans_with_axes_on_numbers(seed: int):
    """Numbers with their axis on them ("Easting458123", "E458123N301234.5") are digit runs
    as any number is: the grid and metre prefilters keep their segments."""
    found = _compare(_segments(random.Random(seed), 150, AXIS_PIECES))
    assert found["metres"] and found["grid"], found


def test_prefilters_keep_the_edge_cases():
    edge = [
        "999.99999999999999999",  # 1000.0 as a float: the whole metre 1000
        "1234567.99999999999999 m",  # a grid number whose floor is 1234568
        "0" * 20 + "458123",  # 26 digits, a raw metre after the leading zeros
        "\u0664\u0665\u0668\u0661\u0662\u0663",  # Arabic-Indic digits: 458123 to \d
        "+44 116 496 0000",
        "+44 \u0661\u0661\u0666 \u0664\u0669\u0666 \u0660\u0660\u0660\u0660",  # \d too
        "at 1257hrs",
        "\u0661\u0662\u0665\u0667hrs",  # (not a time: [01] is ASCII)
        "at \u0669:30",  # a time: \d takes any decimal digit
        "at 9.30pm on 1st of May",
        "seen Oct 25th",
        "logged 202210151030",
        "d41d8cd98f00b204e9800998ecf8427e",
        "SK 5804 0412",
    ]
    found = _compare(edge)
    assert found["metres"] == 4 and found["dates"] == 4 and found["contacts"] == 2
    assert found["hex"] == 1 and found["timestamps"] == 1 and found["grid"] >= 2


DATE_TIME_PIECES = [
    "Sept. 5", "May 1st, 2022", "\u017fep 5", "DEC 31", "dec.", " 31,", "sept", "\u212a",
    "15.10.2022", "2022.10/15", "2022.10.15", "15-10-2022", "9 a.m.", "12H45", "\u0663 pm",
    "3rd-Jan", "1\u00a0hrs", "1\u2003pm", "of", " of ", "th", "ST", "Oct ", "\u0661\u0665 ",
    "15/10/22", "5/1/99 ",
]  # fmt: skip
DATED = [
    "2022-10-15", "2022/10/15", "2022.10.15", "15/10/2022", "15.10.2022", "15-10-2022",
    "15/10/22", "15th October 2022", "Oct. 15, 2022", "at 10:30", "1257hrs",
    "12.57 hours", "12h57", "9.30 a.m.", "9pm", "25th of May", "Sept 25th", "May 1",
    "\u0661\u0665:\u0663\u0660", "\u017fept 5", "October 25", "December 1st, 2022",
    "FEBRUARY. 3", "june 9", "in march 12", "15/10/2022T10:30", "15-10-2022_103000Z",
    "15/10/20221030", "15-10-2022103000Z", "2022-10-151030", "2022/10/1510:30",
]  # fmt: skip
_DATE_TIME_PATTERNS = (
    [p for _k, p in scan.DATE_PATTERNS]
    + [scan.TIME_PATTERN]
    + [p for _k, p in scan.OTHER_TIME_PATTERNS]
)


@pytest.mark.parametrize("seed", range(8))
def test_every_date_and_time_match_is_hinted(seed: int):
    """scan.date_time_hints is a necessary condition for each of the 12 date and time
    patterns, one by one, on texts made of the pieces they are about (Unicode digits and
    spaces, the Kelvin sign and long s that IGNORECASE folds to k and s): a segment that a
    pattern matches in is always hinted."""
    rng = random.Random(seed)
    pool = PIECES + NUMBER_PIECES + DATE_TIME_PIECES
    texts = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 12))) for _ in range(400)]
    texts += [rng.choice(pool) + f" {form} " + rng.choice(pool) for form in DATED]
    index = scan.SegmentIndex()
    index.add(texts)
    segments = index.segments
    hinted = scan.date_time_hints(segments)
    for pattern in _DATE_TIME_PATTERNS:
        matched = [i for i, s in enumerate(segments) if pattern.search(s)]
        assert matched, pattern.pattern  # (DATED has a form of every pattern)
        assert hinted[matched].all(), [segments[i] for i in matched if not hinted[i]]
    masked = scan._digits_as_one(segments)
    assert _same(checks._date_bits_hinted(masked), checks._date_bits_direct(masked))


@pytest.mark.parametrize("seed", range(4))
def test_bare_number_flags_equal_a_search_in_each_segment(seed: int):
    """_bare_number_flags searches only the segments holding seven digits in a row (any
    decimal digits, as \\d takes): the flags are those of searching every segment."""
    rng = random.Random(seed)
    pool = PIECES + NUMBER_PIECES + JOINED_PIECES
    pool += ["\u0661" * 7, "1234567", "123456", ".", "a", ".10.", "2022"]
    texts = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 12))) for _ in range(400)]
    index = scan.SegmentIndex()
    index.add(texts)
    want = [bool(checks._BARE_NUMBER.search(s)) for s in index.segments]
    assert any(want) and not all(want)
    assert checks._bare_number_flags(index.segments) == want


def test_date_time_hints_on_each_pattern_and_on_template_text():
    """Each pattern's own forms are hinted; template text whose numbers are not dates or
    times (digit-masked lines of a summaries page) is not, so the 12 patterns run on almost
    nothing there."""
    assert scan.date_time_hints(DATED).all()
    for pattern in _DATE_TIME_PATTERNS:  # (each pattern has a form here)
        assert any(pattern.search(t) for t in DATED), pattern.pattern
    template = [
        "<td>11</td><td>1.1%</td>", "Oct 1111", "neighbourhood E11111111", "",
        "Crimes: 1,111 (11.1%)", "October 1111 (111)", "rate: 111.1", "\u0661\u0661\u0661\u0661",
    ]  # fmt: skip
    assert not scan.date_time_hints(template).any()
    template += DATED
    assert checks._date_bits_hinted(template) == checks._date_bits_direct(template)


@pytest.mark.parametrize("seed", range(4))
def test_texts_without_four_decimals_hold_no_pair(seed: int):
    """GateContext.output_coords skips texts where _DOT_4_DIGITS finds nothing: every
    coordinate pair in text holds it."""
    from crime_mapper.core.gate.context import _DOT_4_DIGITS

    rng = random.Random(seed)
    pool = PIECES + NUMBER_PIECES + ["52.6341", "-1.1345", "-1.13451,52.63412", "\u0665\u0662"]
    paired = 0
    for _ in range(400):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 30)))
        if scan.text_pairs(text)[0]:
            paired += 1
            assert _DOT_4_DIGITS.search(text) is not None, text
    assert paired > 20


def test_digit_runs():
    seg, value, length, other = scan.digit_runs(
        ["a 12 b 003", "", "x" + "1" * 22 + "y", "\u00df 9", "99", "1" * 18]
    )
    assert seg.tolist() == [0, 0, 2, 4, 5]
    assert value.tolist() == [12, 3, -1, 99, 111111111111111111]
    assert length.tolist() == [2, 3, 22, 2, 18]
    assert other.tolist() == [False, False, False, True, False, False]
    rng = random.Random(9)
    segments = [
        "".join(
            rng.choice(["0", "1", "9", "5", "x", ".", " ", "12345678901234567"]) for _ in range(20)
        )
        for _ in range(400)
    ]
    seg, value, length, _other = scan.digit_runs(segments)
    want = [
        (i, int(run) if len(run) <= 18 else -1, len(run))
        for i, text in enumerate(segments)
        for run in re.findall(r"[0-9]+", text)
    ]
    assert list(zip(seg.tolist(), value.tolist(), length.tolist())) == want
    seg, value, length, _other = scan.digit_runs(segments, min_length=4)
    assert list(zip(seg.tolist(), value.tolist(), length.tolist())) == [
        w for w in want if w[2] >= 4
    ]
    flags = scan.segments_with_numbers(["a 7", "b", "\u00e9"], lambda v, n: v == 7)
    assert flags.tolist() == [True, False, True]  # not ASCII: always a candidate


def test_digit_masked_hits_and_candidates():
    segments = ["Nov 2021: 40", "15/10/2022", "Nov 2022: 58", "1/1/1111"]
    hits = scan.digit_masked_hits(segments, checks._date_bits_direct)
    assert hits.tolist() == [False, True, False, True]
    scanned: list[str] = []

    def direct(picked: list[str]) -> list[int]:
        scanned.extend(picked)
        return checks._date_bits_direct(picked)

    assert scan.scan_candidates(segments, direct, hits, 0) == checks._date_bits_direct(segments)
    assert scanned == ["15/10/2022", "1/1/1111"]
    with pytest.raises(ValueError):
        scan.digit_masked_hits(segments, lambda s: [])


def test_prefilters_on_real_summaries_pages(public, hoods, tmp_path: Path):
    """The segments of a real summaries folder (Leicestershire's MSOAs, the sample months):
    every prefiltered scan equals its direct scan, with raw metres and grid numbers taken
    from the numbers the pages show (so the direct scans find something)."""
    texts: list[str] = []

    class Passed:
        passed = True

        def message(self) -> str:
            return "passed"

    def gate(folder: Path, _hoods: object) -> Passed:
        _name, arts = read_output(folder)
        for art in arts:
            texts.extend(art.texts + art.code + ["\n\x00\n".join(sorted(art.strings))])
        return Passed()

    export_summaries(public, hoods, tmp_path, gate=gate)
    index = scan.SegmentIndex()
    index.add(texts)
    segments = index.segments
    assert len(segments) > 1000
    _seg, value, length, _other = scan.digit_runs(segments)
    shown = np.unique(value[(length >= 4) & (length <= 7)])
    picked = shown[:: max(1, shown.size // 40)]
    found = _compare(segments, raw_metres=np.unique(picked + 1), known=np.unique(picked))
    assert found["metres"] and found["grid"], found


def test_digit_masking_and_ascii_lowering_fast_paths():
    """The joined-text forms equal the per-value forms, ASCII or not (NULs inside too)."""
    from crime_mapper.core.gate.context import _ASCII_LOWER, ascii_lower, lower_all

    mixed = [
        "Ab1\x00Z9", "", "\u00c95x\u0663", "plain 0123456789", "\x00", "\ud800A7\udfff",
        "\U0001d538Z3", "\u0130\u212aQ", "\uff11\uff21",
    ]  # fmt: skip
    for values in (mixed, [v for v in mixed if v.isascii()]):
        assert scan._digits_as_one(values) == [v.translate(scan._ONE_DIGIT) for v in values]
        assert lower_all(values) == [v.translate(_ASCII_LOWER) for v in values]
        assert [ascii_lower(v) for v in values] == [v.translate(_ASCII_LOWER) for v in values]
    assert lower_all(["\u0130X", "K\u212a"]) == ["\u0130x", "k\u212a"]  # only A-Z folded


ODD_PIECES = [
    "a", "B", " ", "  ", "'", "=", "\t", "\n", "\x00", "\u00a0", "\u2028", "\u00e9", "2022-10",
    "2022-13", "1", "-", "x" * 32, "\x85", "\u3000",
]  # fmt: skip


@pytest.mark.parametrize("seed", range(6))
def test_month_and_odd_string_fast_paths(seed: int):
    """GateContext._classified's helpers against their per-string definitions."""
    from crime_mapper.core.common.vocabulary import MONTH_RE
    from crime_mapper.core.gate.context import _maybe_odd, _without_months

    def odd(t: str) -> bool:
        return t != t.strip() or "  " in t or not t.isprintable() or t.startswith("'")

    rng = random.Random(seed)
    for _ in range(300):
        pool = ODD_PIECES if rng.random() < 0.5 else ["a", "b", "2022-10", "1", "-", "x y"]
        strings = sorted(
            {"".join(rng.choice(pool) for _ in range(rng.randint(0, 4))) for _ in range(20)}
        )
        want = [t for t in strings if not (len(t) == 7 and MONTH_RE.fullmatch(t))]
        assert _without_months(strings) == want
        picked = _maybe_odd(strings)
        assert picked in ([], strings)
        assert [t for t in picked if odd(t)] == [t for t in strings if odd(t)]
    # a NUL inside one string (unprintable, so odd) among plain ones; an edge space; a quote
    for strings in (["a", "b\x00c"], ["\x00"], ["a", "b "], ["'=1", "b"], ["x\u00a0"]):
        assert _maybe_odd(strings) == strings
    assert _maybe_odd(["a", "b c", "2022-10", "\u00e9"]) == []
    hexes = ["a" * 32, "0" * 40, "f" * 64, "a" * 33, "g" * 32, "\u00e9" * 32, ""]
    assert scan.hex_mask(hexes).tolist() == [True, True, True, False, False, False, False]


_MASKED_TESTS = (
    checks._date_bits_direct,
    checks._bare_number_flags,
    checks._hex_tokens_direct,
    checks._contact_candidates,
    checks._os_grid_flags,
)


@pytest.mark.parametrize("seed", range(8))
def test_index_batches_mask_each_segment_once_with_the_same_hits(seed: int, monkeypatch):
    """A SegmentIndex's batches (scan.SegmentBatch) take each segment's digit-masked form
    from the index (SegmentIndex.masked_forms), masked the first time any scan asks: the
    hits of every masked test equal digit_masked_hits on the same segments as a plain
    list, over batches that overlap, repeat and grow with segments added later; and the
    segments are masked once in all, not once per scan."""
    rng = random.Random(seed)
    pool = PIECES + NUMBER_PIECES
    index = scan.SegmentIndex()
    hits_seen = 0
    for _round in range(4):  # texts added between rounds: the index (and its masks) grow
        texts = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 25))) for _ in range(60)]
        index.add(texts)
        n = len(index.segments)
        for test in _MASKED_TESTS:
            ids = np.unique(np.array(rng.sample(range(n), rng.randint(1, n)), dtype=np.int64))
            for batch_ids in (ids, np.arange(n, dtype=np.int64)):
                batch = scan.SegmentBatch(index, batch_ids)
                assert batch == [index.segments[i] for i in batch_ids.tolist()]
                got = scan.digit_masked_hits(batch, test)
                want = scan.digit_masked_hits(list(batch), test)
                assert got.tolist() == want.tolist(), test.__name__
                hits_seen += int(want.sum())
    assert hits_seen > 0
    masked: list[int] = []
    real_mask = scan._digits_as_one

    def counting(segments):
        masked.append(len(segments))
        return real_mask(segments)

    monkeypatch.setattr(scan, "_digits_as_one", counting)
    for test in _MASKED_TESTS:
        scan.digit_masked_hits(scan.SegmentBatch(index, np.arange(len(index.segments))), test)
    assert masked == []  # every segment's form is known already: nothing is masked again


class _CountingList(list):
    def __init__(self, items: list) -> None:
        super().__init__(items)
        self.asked = 0

    def __getitem__(self, i):
        self.asked += 1
        return super().__getitem__(i)


def test_a_batch_of_every_segment_is_a_copy_of_them():
    """A batch of every segment in order (a prepared scan's usual batch) is the index's
    list copied at once, not gathered segment by segment; any other batch is gathered."""
    index = scan.SegmentIndex()
    index.add(_segments(random.Random(6), 80))
    n = len(index.segments)
    index.segments = _CountingList(index.segments)
    every = scan.SegmentBatch(index, np.arange(n, dtype=np.int64))
    assert index.segments.asked == 0 and every == list(index.segments)
    for ids in ([], [0], list(range(1, n)), list(range(n - 1)), [0, 0] + list(range(2, n))):
        batch = scan.SegmentBatch(index, np.array(ids, dtype=np.int64))
        assert batch == [list.__getitem__(index.segments, i) for i in ids]
    assert index.segments.asked > 0


def test_prepared_scans_mask_each_segment_once(monkeypatch):
    """The five masked scans of the gate, prepared over one index (as the checks run them),
    mask each segment once, and find what scanning every segment directly finds."""
    texts = _segments(random.Random(3), 400)
    index = scan.SegmentIndex()
    index.add(texts)
    masked: list[int] = []
    real_mask = scan._digits_as_one

    def counting(segments):
        masked.append(len(segments))
        return real_mask(segments)

    monkeypatch.setattr(scan, "_digits_as_one", counting)
    scans = {
        "dates": (checks._date_bits, checks._date_bits_direct),
        "contacts": (checks._contact_flags, checks._contact_flags_direct),
        "hex": (checks._hex_tokens, checks._hex_tokens_direct),
        "grid": (
            lambda s: checks._grid_flags(s, KNOWN, 1 << 21),
            lambda s: checks._grid_flags_direct(s, KNOWN, 1 << 21),
        ),
        "timestamps": (
            lambda s: checks._raw_forms(s, STAMPS),
            lambda s: checks._raw_forms_direct(s, STAMPS),
        ),
    }
    for key, (fast, direct) in scans.items():
        index.prepare(key, fast, texts)
        want = direct(index.segments)
        for text in texts:
            got = index.found(text, key, fast)
            ids = index.ids(text).tolist()
            expected = [want[i] for i in ids if scan._found_something(want[i])]
            assert _same(got, expected), key
    assert sum(masked) == len(index.segments)  # once in all, not once per scan


@pytest.mark.parametrize("seed", range(6))
def test_digit_runs_of_every_segment_are_kept_for_the_next_scan(seed: int, monkeypatch):
    """SegmentIndex.digit_runs_of_all equals digit_runs of the index's segments for any
    sequence of least lengths, as the index grows; a scan over every segment asks it, so
    the metre scan's runs (3 digits) serve the grid scan (4) without a second pass."""
    rng = random.Random(seed)
    index = scan.SegmentIndex()
    calls: list[int] = []
    real = scan.digit_runs

    def counting(segments, min_length=1):
        calls.append(min_length)
        return real(segments, min_length)

    for _round in range(3):
        index.add(_segments(rng, 40))
        for min_length in rng.sample([1, 2, 3, 4, 5, 7], 4):
            got = index.digit_runs_of_all(min_length)
            want = real(index.segments, min_length)
            assert [a.tolist() for a in got] == [a.tolist() for a in want], min_length
    monkeypatch.setattr(scan, "digit_runs", counting)
    index = scan.SegmentIndex()
    index.add(_segments(random.Random(seed), 120))
    every = np.arange(len(index.segments), dtype=np.int64)
    metres = checks._metres_in(scan.SegmentBatch(index, every), RAW_METRES)
    grid = checks._grid_flags(scan.SegmentBatch(index, every), KNOWN, 1 << 21)
    assert calls == [3]  # (the grid scan's 4 digits from the metre scan's runs)
    assert _same(metres, checks._metres_in_direct(index.segments, RAW_METRES))
    assert _same(grid, checks._grid_flags_direct(index.segments, KNOWN, 1 << 21))
    calls.clear()
    part = scan.SegmentBatch(index, every[1:])  # not every segment: runs of its own
    assert _same(checks._grid_flags(part, KNOWN, 1 << 21), grid[1:])
    assert calls == [4]
