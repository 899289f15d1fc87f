"""The loader's vectorised shortcuts give exactly what the per-row work they replace gave.

Issue 15 made a force extract read as fast as a police.uk file by replacing per-row Python
work with column-wide numpy and once-per-distinct-value work: field counts of quoted rows
(a force extract's free-text notes are quoted on most rows), stripping crime references,
parsing dates and times, formatting months. Each shortcut is compared here with the plain
per-row computation on hostile values, so a shortcut that drifts fails a test. The
whole-load comparison against the previous commit, on real force-style extracts and several
hundred damaged ones, is tools/differential_load.py (its result is in the issue's notes).
"""

from __future__ import annotations

import csv
import io
import re
import sys
from io import BytesIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.load import readers, textscan
from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.load.row_checks import strip_text, to_float
from tests.support.raw_extract import make_raw_extract
from tests.support.scan_facts import scan_facts

ROOT = Path(__file__).resolve().parent.parent
LEICS_OCT = ROOT / "sample_data" / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"
sys.path.insert(0, str(ROOT / "tools"))
import differential_load  # noqa: E402


@pytest.fixture(scope="module")
def force_csv() -> tuple[bytes, object]:
    """A realistic force extract (quoted free text on most rows) and its profile."""
    from crime_mapper.core.release.map_points import map_points_from_history

    published = load_extracts([LEICS_OCT]).crimes
    extract = make_raw_extract(published, map_points_from_history(published), seed=15)
    buffer = BytesIO()
    extract.frame.to_csv(buffer, index=False)
    return buffer.getvalue(), extract.profile


def _csv_counts(data: bytes) -> list[tuple[int, int]]:
    """(first physical line, field count) of every non-blank record after the header, as
    Python's csv module reads the file."""
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    out, previous = [], 0
    for record in reader:
        start, previous = previous + 1, reader.line_num
        if record:
            out.append((start, len(record)))
    return out[1:]


def test_a_quoted_force_extract_takes_the_fast_scan_and_matches_the_exact_one(force_csv):
    data, _ = force_csv
    assert data.count(b'"') > 1000, "the extract must quote its free text for this test"
    _, header, end = textscan._header(data, "utf-8", ",")
    fast = textscan._fast_scan(data, "utf-8", "utf-8", ",", header, end, ())
    exact = textscan._scan(data, "utf-8", "utf-8", ",", header, end, (), True)
    assert fast is not None
    pd.testing.assert_frame_equal(fast.frame, exact.frame)
    assert fast.lines.tolist() == exact.lines.tolist()


def test_rows_checked_beside_the_parse_give_the_same_scan(force_csv, monkeypatch):
    """A large body has its rows checked in a thread while pandas parses it as two halves
    (coordinates taken as numbers before they are proved plain, the halves cut at a line feed
    before the rows are known to be lines): on damaged files (short and long rows, quoted
    line breaks, odd coordinates, blank lines) the scan equals checking first and parsing
    in one piece."""
    data, profile = force_csv
    lines = data.split(b"\n")
    header, rows = lines[0], [r for r in lines[1:] if r]
    names = header.decode().split(",")
    columns = {role: names.index(c) for role, c in profile.columns.items() if c in names}
    plain = (profile.columns["x"], profile.columns["y"])
    rng = np.random.default_rng(16)
    for number in range(40):
        body = []
        for row in rows[:120]:
            roll = rng.random()
            if roll < 0.02 * (number % 4):
                row = differential_load._damage(row, rng, columns)[0]
            elif roll < 0.1 and number % 5 == 0:
                row = b""
            body.append(row)
        sample = b"\n".join([header, *body]) + b"\n"
        _assert_same_scan_both_ways(sample, plain, monkeypatch, number)
    # rows damaged about the middle, where the body is cut in two
    body = rows[:121]
    for k in range(55, 66):
        for damaged in (
            body[k].replace(b'"', b'"a\nb ', 1),  # a quoted line break
            body[k] + b",extra",
            body[k].rsplit(b",", 1)[0],
            b"",
            body[k].replace(b",", b',"x\n",', 1),
        ):
            sample = b"\n".join([header, *body[:k], damaged, *body[k + 1 :]]) + b"\n"
            _assert_same_scan_both_ways(sample, plain, monkeypatch, (k, damaged))


def _assert_same_scan_both_ways(sample: bytes, plain: tuple, monkeypatch, label) -> None:
    """The scan of `sample` with checks beside a two-halves parse, and in one piece."""
    scans = []
    for threshold in (1 << 40, 0):
        monkeypatch.setattr(textscan, "_CHECK_BESIDE_FROM_BYTES", threshold)
        monkeypatch.setattr(textscan, "_HALVES_FROM_BYTES", threshold)
        try:
            scans.append(scan_facts(textscan.scan_csv(sample, plain_numeric=plain)))
        except Exception as exc:  # noqa: BLE001 - the same error either way
            scans.append((type(exc).__name__, str(exc)))
    assert scans[0] == scans[1], label


def test_field_counts_of_damaged_quoted_files_equal_the_csv_modules(force_csv):
    """Rows with quoted commas, doubled quotes and quoted line breaks, short and long rows:
    every row the scanner sets aside for its field count has the count the csv module gives,
    and every row it keeps has the header's count."""
    data, _ = force_csv
    lines = data.split(b"\n")
    header, rows = lines[0], [r for r in lines[1:] if r]
    rng = np.random.default_rng(15)
    names = header.decode().split(",")
    columns = {role: names.index(c) for role, c in force_csv[1].columns.items() if c in names}
    for number in range(60):
        body = []
        for row in rows[:150]:
            roll = rng.random()
            if roll < 0.06:
                row = row.rsplit(b",", 1)[0]
            elif roll < 0.12:
                row = row + b',"x, y",z'
            elif roll < 0.16:
                row = row.replace(b'"', b'"a ""quoted"", line\nbreak ', 1)
            elif roll < 0.2:
                row = row + b',""'
            elif roll < 0.3:
                row = differential_load._damage(row, rng, columns)[0]
            body.append(row)
        newline = b"\r\n" if number % 2 else b"\n"
        sample = newline.join([header, *body]) + newline
        try:
            sample.decode("utf-8")
        except UnicodeDecodeError:
            continue
        scan = textscan.scan_csv(sample)
        if scan.encoding != "utf-8" or b"\r" in sample.replace(b"\r\n", b""):
            continue  # read by the exact (csv module) path: not what this test is about
        expected = dict(_csv_counts(sample))
        for line, reason, detail in zip(scan.bad_lines, scan.bad_reasons, scan.bad_details):
            if reason == "wrong_field_count":
                assert detail.endswith(f"found {expected[line]}"), (number, line, detail)
        for line in scan.lines.tolist():
            assert expected[line] == len(names), (number, line)


@pytest.mark.parametrize(
    "edge",
    [" ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0", "\u1680",
     "\u2000", "\u2007", "\u2028", "\u2029", "\u202f", "\u3000", "\u200b", "\ufeff", ""],
)  # fmt: skip
def test_strip_text_equals_str_strip(edge: str):
    values = ["GM/22/1", "LC/22/2", "", "x", "Café"]
    for variant in ([edge + values[0]], [values[1] + edge], [edge], [edge + "a" + edge]):
        series = pd.Series(values + variant, dtype=object)
        assert strip_text(series).tolist() == series.str.strip().tolist()
    mixed = pd.Series(["a ", 1.5, None, " b"], dtype=object)
    pd.testing.assert_series_equal(strip_text(mixed), mixed.str.strip())
    joined = pd.Series(["a\x00", "b"], dtype=object)  # a NUL cannot fool the join
    pd.testing.assert_series_equal(strip_text(joined), joined.str.strip())


@pytest.mark.parametrize("edge", [chr(c) for c in range(128)] + ["  ", "\x00"])
def test_strip_text_of_ascii_columns_equals_str_strip(edge: str):
    """ASCII columns are looked at as bytes (every ASCII character at either end of a value,
    of the first and last values, of a blank-only value)."""
    values = ["GM/22/1", "LC/22/2", "", "x"]
    variants = ([edge + values[0]], [values[1] + edge], [edge], [edge + "a" + edge], ["a", edge])
    for variant in variants + ([edge] + values, values + [edge]):
        series = pd.Series(variant if len(variant) > 2 else values + variant, dtype=object)
        assert strip_text(series).tolist() == series.str.strip().tolist(), (edge, variant)


def test_every_whitespace_character_is_seen_by_strip_text():
    spaces = [chr(c) for c in range(0x3000 + 1) if chr(c).isspace()]
    for ch in spaces:
        series = pd.Series(["ref", "ref" + ch], dtype=object)
        assert strip_text(series).tolist() == ["ref", "ref"], repr(ch)


def _old_parse_dates(date: pd.Series, time, fmt: str) -> pd.Series:
    """The per-row implementation the per-distinct-value one replaced (the reference)."""
    text = date.str.strip()
    if time is not None:
        # (the one rule added since: a row without a date has no date-time, never today's)
        text = (text + " " + time.str.strip()).str.strip().where(date.str.strip() != "", "")
    return readers._parse_date_texts(text, fmt)


@pytest.mark.parametrize("fmt", ["auto", "%d/%m/%Y %H:%M"])
def test_a_time_without_a_date_is_a_bad_date_not_today(fmt, tmp_path):
    """A blank date beside a time was read by dateutil as today at that time: the crime was
    accepted and filed under the month the file was loaded in. It is a bad date."""
    when = readers._parse_dates(pd.Series(["", " ", "05/10/2022"]), pd.Series(["00:18"] * 3), fmt)
    assert when.isna().tolist() == [True, True, False]
    path = tmp_path / "extract.csv"
    path.write_text(
        "Crime Reference,Offence Date,Offence Time,Offence Description,Easting,Northing\n"
        "A1,,00:18,Burglary,456720,301555\nA2,05/10/2022,00:18,Burglary,456720,301555\n",
        encoding="utf-8",
    )
    from crime_mapper.core.load.mapping_profile import MappingProfile

    profile = MappingProfile.from_dict(
        {
            "columns": {"crime_ref": "Crime Reference", "date": "Offence Date",
                        "time": "Offence Time", "offence": "Offence Description",
                        "x": "Easting", "y": "Northing"},
            "crs": "EPSG:27700",
            "date_format": fmt,
        }
    )  # fmt: skip
    result = load_extracts([path], profile)
    assert result.crimes["crime_id"].tolist() == ["A2"]
    assert result.rejects["reason"].tolist() == ["bad_date"]


# The test puts every form in one column on purpose; pandas warns that such a mix may parse
# inconsistently, which is what the expected values check.
@pytest.mark.filterwarnings("ignore:Parsing dates in:UserWarning")
def test_the_automatic_format_never_fills_a_day_month_or_year_from_today():
    """dateutil fills what a text leaves out from today's date: a date column holding a bare
    time ("00:18") or a day without a year ("5 Oct") was accepted under a month nobody
    recorded. Such texts are bad dates; every whole date and month-year form reads as before."""
    bare = ["00:18", "14:30:07", "5 Oct", "Oct 5", "5th", "garbage 2022", "05/10", "2022"]
    assert readers._parse_date_texts(pd.Series(bare), "auto").isna().all()
    whole = {
        "05/10/2022": "2022-10-05 00:00:00", "5/10/22 14:30": "2022-10-05 14:30:00",
        "05-Oct-22": "2022-10-05 00:00:00", "Wed 5 Oct 2022 14:30": "2022-10-05 14:30:00",
        "October 5, 2022": "2022-10-05 00:00:00", "14:30 05/10/2022": "2022-10-05 14:30:00",
        "2022/10/05": "2022-10-05 00:00:00", "20221005": "2022-10-05 00:00:00",
        "Oct 2022": "2022-10-01 00:00:00", "10/2022": "2022-10-01 00:00:00",
    }  # fmt: skip
    got = readers._parse_date_texts(pd.Series(list(whole)), "auto").astype(str).tolist()
    assert got == list(whole.values())


DATES = ["05/10/2022", " 05/10/2022 ", "2022-10-05", "31/02/2022", "", "5/10/22", "10/05/2022",
         "2022-10-05T06:19:00", "5 Oct 2022", "\xa005/10/2022", "2022-10-05 06:19+01:00",
         "01/11/2022", "nonsense"]  # fmt: skip
TIMES = ["06:19", "", "25:00", " 6:19 ", "06:19:59", "noon", "23:59"]


@pytest.mark.parametrize("fmt", ["auto", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%d"])
@pytest.mark.parametrize("with_time", [True, False])
@pytest.mark.parametrize("missing", ["", "date", "time"])
def test_dates_parsed_once_per_distinct_value_equal_parsing_every_row(fmt, with_time, missing):
    """(Also with a missing value, not text, among the dates or the times: the distinct
    dates and times are then not stripped on their own.)"""
    rng = np.random.default_rng(len(fmt))
    n = 3000
    date = pd.Series(np.array(DATES, dtype=object)[rng.integers(0, len(DATES), n)])
    time = pd.Series(np.array(TIMES, dtype=object)[rng.integers(0, len(TIMES), n)])
    if missing:
        (date if missing == "date" else time).iloc[[5, 900]] = None
    date.index = pd.RangeIndex(7, 7 + n)  # a frame's index need not start at 0
    time.index = date.index
    time_col = time if with_time else None
    new = readers._parse_dates(date, time_col, fmt)
    old = _old_parse_dates(date, time_col, fmt)
    pd.testing.assert_series_equal(new, old)
    assert _outcome(lambda: readers._months(new)) == _outcome(
        lambda: old.dt.strftime("%Y-%m").fillna("").tolist()
    )


def _outcome(compute) -> object:
    """A value, or the exception it raised (a time zone among naive dates makes the column
    object-typed, which the loader reports as a defect for the file: the same either way)."""
    try:
        value = compute()
    except Exception as exc:  # noqa: BLE001 - the comparison is the point
        return (type(exc).__name__, str(exc))
    return value.tolist() if isinstance(value, pd.Series) else value


def test_months_of_an_empty_column():
    empty = pd.Series([], dtype="datetime64[ns]")
    assert readers._months(empty).tolist() == []


PLAIN = re.compile(r"-?[0-9]+(\.[0-9]+)?")
NUMBER_TEXTS = [
    "", "0", "-0", "-00", "5", "356720", "0356720", "-1.25", "1.5", "52.123456", "-0.0",
    "123456789012345", "1234567890123456", "5.", ".5", "-.5", "-", "--5", "1.2.3", "1-2",
    " 5", "5 ", "+5", "1e5", "nan", "inf", "5,0", '"5"', "\xa05", "٣", "0x10", "1_000",
]  # fmt: skip


def test_plain_numbers_are_exactly_the_plain_decimals():
    """The byte-level check accepts a value exactly when it is blank or -?digits[.digits] of at
    most 15 bytes, on every value alone and on the whole column at once."""
    texts = NUMBER_TEXTS + [str(v) for v in np.random.default_rng(3).normal(0, 1e5, 300)]
    for text in texts:
        data = (text + "\n").encode("utf-8")
        arr = np.frombuffer(data, dtype=np.uint8)
        span = (np.array([0]), np.array([len(text.encode("utf-8"))]))
        expected = text == "" or (len(text) <= 15 and PLAIN.fullmatch(text) is not None)
        assert textscan._plain_numbers(arr, *span) == expected, text


DIGITS = re.compile(rb"[0-9]*")
WORD_EDGE_VALUES = [
    b"", b"0", b"9", b"/", b":", b"5/", b"5:", b"\xba", b"\xb0", b"\x80", b"\xff", b"\x00",
    b"1\xba", b"12345678", b"1234567\xba", b"123456789", b"1.5", b"-5", b"\x3a\x39", b"\x7f",
]  # fmt: skip


def _column(values: list[bytes], tail: bytes = b"\n") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A column of `values`, one a line, as (bytes, starts, ends)."""
    data = b"\n".join(values) + tail
    ends = np.cumsum([len(v) + 1 for v in values]) - 1
    starts = ends - np.array([len(v) for v in values], dtype=np.int64)
    return np.frombuffer(data, dtype=np.uint8), starts.astype(np.int64), ends.astype(np.int64)


def _word_column(rng: np.random.Generator) -> list[bytes]:
    """Short values, mostly digits, some with one hostile byte (any of the 256)."""
    values = []
    for _ in range(int(rng.integers(1, 40))):
        value = bytearray(rng.integers(48, 58, size=int(rng.integers(0, 9))).astype(np.uint8))
        if value and rng.random() < 0.1:
            value[int(rng.integers(0, len(value)))] = int(rng.integers(0, 256))
        values.append(bytes(value))
    return values


def test_all_digits_answers_exactly_whether_every_value_is_digits():
    """The word-at-a-time check says yes exactly when every value is blank or ASCII digits
    (a byte beside '0'..'9', a byte from 0x80 whose add carries out, a NUL: each no), and
    when it says yes the byte-by-byte check agrees."""
    cases = [[v] for v in WORD_EDGE_VALUES] + [["356720", "", "431555"]]
    rng = np.random.default_rng(15)
    cases += [_word_column(rng) for _ in range(3000)]
    for values in cases:
        values = [v.encode() if isinstance(v, str) else v for v in values]
        arr, start, end = _column(values, tail=b"\n" * 8)
        width = int((end - start).max())
        expected = all(DIGITS.fullmatch(v) for v in values)
        if width > 8:
            assert not textscan._all_digits(arr, start, end - start, width)
            continue
        assert textscan._all_digits(arr, start, end - start, width) == expected, values
        if expected:
            assert textscan._plain_numbers(arr, start, end)


@pytest.mark.parametrize("tail", [b"", b"\n", b"\r\n", b"\n" * 8])
def test_plain_numbers_with_and_without_the_word_check_agree(tail, monkeypatch):
    """The plain-number verdict is the same with the word-at-a-time shortcut and without it,
    on hostile columns, long values (9-15 digits) and values in the file's last 8 bytes."""
    rng = np.random.default_rng(7)
    cases = [_word_column(rng) for _ in range(1500)]
    cases += [[b"123456789012345"], [b"1", b"123456789"], [b"5"], [b"12", b"3"], [b"1.5", b"7"]]
    verdicts = []
    for values in cases:
        arr, start, end = _column(values, tail)
        verdicts.append(textscan._plain_numbers(arr, start, end))
    monkeypatch.setattr(textscan, "_all_digits", lambda *args: False)
    for values, verdict in zip(cases, verdicts):
        arr, start, end = _column(values, tail)
        assert textscan._plain_numbers(arr, start, end) == verdict, values


def test_digit_only_coordinates_take_the_word_check(monkeypatch):
    """Whole-number eastings and northings (the common case) are proved plain by the word
    check alone, without the byte-by-byte array (which would cost ~4x as much)."""

    def no_windows(*args, **kwargs):
        raise AssertionError("the byte-by-byte check ran")

    arr, start, end = _column([b"356720", b"", b"98000", b"0"], tail=b"\n" * 8)
    monkeypatch.setattr(np.lib.stride_tricks, "sliding_window_view", no_windows)
    assert textscan._plain_numbers(arr, start, end)


def _force_file(rng: np.random.Generator, rows: int, odd: str, crlf: bool, quoted: bool) -> bytes:
    """A small force extract, with quoted fields before, between and after the coordinates
    (delimiters inside quotes too) or none; `odd` is put in one row's easting."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n" if crlf else "\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(["Ref", "Place", "Easting", "Note", "Northing", "Offence", "Date"])
    for i in range(rows):
        place = rng.choice(["High St", "Flat 2, 5 High St", 'The "Bell", Mill Lane', ""])
        note = rng.choice(["", "seen, left", "x", 'said "no"'])
        place, note = (place, note) if quoted else ("High St", "x")
        east = odd if i == rows // 2 else rng.choice(["356720", "356720.5", "", "400100"])
        north = "" if east == "" else rng.choice(["431555", "431555.25", "98000"])
        writer.writerow([f"R{i}", place, east, note, north, "Burglary", "05/10/2022"])
    text = out.getvalue()
    return (text[:-2] if crlf else text[:-1]).encode("utf-8") if rows % 2 else text.encode()


@pytest.mark.parametrize("odd", NUMBER_TEXTS)
@pytest.mark.parametrize("crlf", [False, True])
@pytest.mark.parametrize("quoted", [True, False])
@pytest.mark.parametrize("beside", [False, True])
def test_coordinates_parsed_as_numbers_only_where_the_text_path_gives_the_same(
    odd, crlf, quoted, beside, monkeypatch
):
    """With the x and y columns offered as plain numbers, the scan parses them as floats only
    when every value is blank or a plain decimal, and what the reader takes from them (the
    numbers and which are blank) equals reading them as text; every other column is the
    same text. Also with the rows checked in a thread while the body is parsed (as a large
    file is: the parse takes the columns as numbers before the checks have proved them)."""
    monkeypatch.setattr(textscan, "_CHECK_BESIDE_FROM_BYTES", 0 if beside else 1 << 40)
    monkeypatch.setattr(textscan, "_HALVES_FROM_BYTES", 0 if beside else 1 << 40)
    rng = np.random.default_rng(len(odd) + crlf)
    for rows in (40, 41):
        data = _force_file(rng, rows, odd, crlf, quoted)
        text = textscan.scan_csv(data)
        fast = textscan.scan_csv(data, plain_numeric=("Easting", "Northing"))
        plain = odd == "" or (len(odd) <= 15 and PLAIN.fullmatch(odd) is not None)
        assert (fast.frame["Easting"].dtype == np.float64) == plain, odd
        assert fast.frame["Northing"].dtype == np.float64
        for column in ("Easting", "Northing"):
            got, want = to_float(fast.frame[column]), to_float(text.frame[column])
            np.testing.assert_array_equal(got[1], want[1])
            assert got[0].tobytes() == want[0].tobytes(), (odd, column)
        others = [c for c in text.header if c not in ("Easting", "Northing")]
        pd.testing.assert_frame_equal(fast.frame[others], text.frame[others])
        np.testing.assert_array_equal(fast.lines, text.lines)


def test_months_formatted_once_per_month_equal_formatting_every_row():
    rng = np.random.default_rng(8)
    stamps = pd.to_datetime(rng.integers(-2_000_000_000, 4_000_000_000, 5000), unit="s")
    naive = pd.Series(stamps).where(rng.random(5000) > 0.1)  # NaT among them
    naive.index = pd.RangeIndex(3, 5003)
    for when in (naive, naive.dt.tz_localize("UTC"), naive.iloc[:0]):
        expected = when.dt.strftime("%Y-%m").fillna("")
        pd.testing.assert_series_equal(readers._months(when), expected)


@pytest.mark.parametrize(
    "case", ["alone", "duplicates", "with a police.uk file", "two force files", "empty"]
)
def test_force_categoricals_from_the_reader_equal_the_canonical_types(
    case, force_csv, tmp_path, monkeypatch
):
    """The force reader gives its text columns as categoricals with sorted categories built
    from codes (readers.sorted_categorical); the loaded table must be the one the canonical
    types made of the object columns it gave before: alone, with duplicate references (a
    value held only by a rejected duplicate is no category), among police.uk files (the
    categories sorted, not unioned in order of appearance), with another force file."""
    data, profile = force_csv
    header, *rows = data.split(b"\n")
    rows = [r for r in rows if r]
    first = tmp_path / "force-a.csv"
    paths = [first]
    if case == "duplicates":
        ref, rest = rows[3].split(b",", 1)
        twin = ref + b",07/09/2021" + rest.split(b",", 1)[1]  # a month no kept row has
        assert b"/2021" not in b"".join(rows)
        rows = rows + [twin, rows[10]]
    if case == "empty":
        rows = []
    first.write_bytes(b"\n".join([header, *rows]) + b"\n")
    if case == "with a police.uk file":
        paths = [LEICS_OCT, first]
    if case == "two force files":
        second = tmp_path / "force-b.csv"
        second.write_bytes(b"\n".join([header, *rows[::-3]]) + b"\n")
        paths = [first, second]
    new = load_extracts(paths, profile=profile)

    def as_objects(codes, uniques):  # what the reader gave before: the values themselves
        values = np.asarray(uniques, dtype=object)[np.asarray(codes, dtype=np.int64)]
        values[np.asarray(codes) < 0] = None
        return values

    monkeypatch.setattr(readers, "sorted_categorical", as_objects)
    old = load_extracts(paths, profile=profile)
    pd.testing.assert_frame_equal(new.crimes, old.crimes)
    for column in new.crimes.columns:
        if isinstance(new.crimes[column].dtype, pd.CategoricalDtype):
            assert list(new.crimes[column].cat.categories) == list(
                old.crimes[column].cat.categories
            ), column
    pd.testing.assert_frame_equal(new.rejects, old.rejects)
    assert [vars(f) for f in new.files] == [vars(f) for f in old.files]


def test_sorted_categorical_equals_astype_category():
    rng = np.random.default_rng(4)
    cases = [
        (np.array([], dtype=np.int64), np.array([], dtype=object)),
        (np.array([], dtype=np.int64), np.array(["a"], dtype=object)),
        (np.array([-1, -1]), np.array(["a"], dtype=object)),
        (np.array([0, 0, 0]), np.array(["only"], dtype=object)),
        (np.array([2, 0, -1, 2]), np.array(["b", "unused", "a", ""], dtype=object)),
        (np.array([0, 1, 2, 1]), np.array(["x", None, "x"], dtype=object)),
        (rng.integers(-1, 50, 5000), np.array([f"v{k}" for k in rng.permutation(60)], object)),
    ]
    for codes, uniques in cases:
        values = uniques[codes] if uniques.size else np.array([None] * codes.size, dtype=object)
        values = np.where(codes < 0, None, values)
        expected = pd.Series(values, dtype=object).astype("category")
        got = pd.Series(readers.sorted_categorical(codes, uniques))
        pd.testing.assert_series_equal(got, expected)
        assert list(got.cat.categories) == list(expected.cat.categories)
        assert got.cat.categories.dtype == expected.cat.categories.dtype


@pytest.mark.parametrize(
    "value", ["", "x.csv", "EPSG:27700", "force", "1", " padded ", "é\x00", "nan", "None"]
)
@pytest.mark.parametrize("n", [0, 1, 7, 300])
def test_constant_categorical_equals_the_sorted_categorical_of_zeros(value, n):
    """The one-valued columns built from int8 codes at once equal sorted_categorical's (and
    astype("category") of n copies): codes and their dtype, categories and their dtype."""
    got = readers.constant_categorical(value, n)
    expected = readers.sorted_categorical(np.zeros(n, dtype=np.int64), np.array([value], object))
    assert got.codes.dtype == expected.codes.dtype
    assert got.codes.tolist() == expected.codes.tolist()
    assert got.categories.dtype == expected.categories.dtype
    assert list(got.categories) == list(expected.categories)
    assert got.dtype == expected.dtype
    as_type = pd.Series(np.array([value] * n, dtype=object), dtype=object).astype("category")
    pd.testing.assert_series_equal(pd.Series(got), as_type)


def test_constant_categorical_of_a_value_that_is_not_a_str():
    """(Never given by read_force, which passes text; taken the sorted_categorical way.)"""
    for value in (None, 5):
        got = readers.constant_categorical(value, 3)
        expected = readers.sorted_categorical(
            np.zeros(3, dtype=np.int64), np.array([value], object)
        )
        assert got.codes.tolist() == expected.codes.tolist()
        assert list(got.categories) == list(expected.categories)


def _scan_all_ways(sample: bytes, plain: tuple, monkeypatch, encoding=None) -> list:
    """The scan's facts with the mostly distinct text columns cut from the bytes and parsed
    by pandas, each with the checks beside a two-halves parse and in one piece."""
    facts = []
    for own in (0, 1 << 40):
        for threshold in (1 << 40, 0):
            monkeypatch.setattr(textscan, "_OWN_TEXT_FROM_BYTES", own)
            monkeypatch.setattr(textscan, "_CHECK_BESIDE_FROM_BYTES", threshold)
            monkeypatch.setattr(textscan, "_HALVES_FROM_BYTES", threshold)
            try:
                scan = textscan.scan_csv(sample, encoding=encoding, plain_numeric=plain)
                facts.append(scan_facts(scan))
            except Exception as exc:  # noqa: BLE001 - the same error every way
                facts.append((type(exc).__name__, str(exc)))
    return facts


def test_text_columns_cut_from_the_bytes_equal_pandas_parse(force_csv, monkeypatch):
    """A large body's mostly distinct text columns (references, notes, officers) are cut
    from the bytes instead of made by pandas: on the force extract and on damaged copies of
    it the scan is the same either way, and the cut is taken on the clean ones."""
    data, profile = force_csv
    plain = (profile.columns["x"], profile.columns["y"])
    lines = data.split(b"\n")
    header, rows = lines[0], [r for r in lines[1:] if r]
    names = header.decode().split(",")
    columns = {role: names.index(c) for role, c in profile.columns.items() if c in names}
    cut = []
    insert = textscan._insert_own_text

    def spy(frame, own, values):
        cut.append(own)
        return insert(frame, own, values)

    monkeypatch.setattr(textscan, "_insert_own_text", spy)
    rng = np.random.default_rng(18)
    for number in range(24):
        body = []
        for row in rows[:300]:
            roll = rng.random()
            if roll < 0.01 * (number % 4):
                body.extend(differential_load._damage(row, rng, columns))
            else:
                body.append(row)
        sample = b"\n".join([header, *body]) + (b"\n" if number % 3 else b"")
        facts = _scan_all_ways(sample, plain, monkeypatch)
        assert all(f == facts[0] for f in facts[1:]), number
    assert cut and all(own for own in cut)
    notes = names.index("MO Notes") if "MO Notes" in names else None
    assert any(notes in own for own in cut), cut


_HOSTILE_TEXT = [
    '"he said ""stop"", twice"', '""""', '""', '"a,b"', '"trailing """', '" spaced "',
    " padded ", "", "Côte d'Azur", '"naïve, ""é"""', "plain", "'=formula", "x" * 300,
]  # fmt: skip


@pytest.mark.parametrize("crlf", [False, True])
@pytest.mark.parametrize("last", [False, True])
@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_hostile_text_cut_from_the_bytes_equals_pandas(crlf, last, encoding, monkeypatch):
    """Doubled and quoted quotes, quoted delimiters, empty quoted fields, spaces, non-ASCII
    text (UTF-8 and cp1252), CRLF line ends, the cut column last on the line: each value cut
    from the bytes is the one pandas gives."""
    rng = np.random.default_rng(19)
    out = ["ref,note,x,y,kind" if not last else "ref,kind,x,y,note"]
    for k in range(400):
        note = _HOSTILE_TEXT[k % len(_HOSTILE_TEXT)] if k % 8 == 0 else f"note number {k}"
        if "," in note and not note.startswith('"'):
            note = f'"{note}"'
        x, y = f"{450000 + k}", f"{300000 + rng.integers(0, 9999)}"
        kind = ("A", "B")[k % 2]
        fields = [f"R{k:05d}", note, x, y, kind] if not last else [f"R{k:05d}", kind, x, y, note]
        out.append(",".join(fields))
    ending = "\r\n" if crlf else "\n"
    sample = (ending.join(out) + ending).encode(encoding)
    assert sample.count(b'""') > 20
    cut = []
    insert = textscan._insert_own_text

    def spy(frame, own, values):
        cut.append(own)
        return insert(frame, own, values)

    monkeypatch.setattr(textscan, "_insert_own_text", spy)
    facts = _scan_all_ways(sample, ("x", "y"), monkeypatch, encoding=encoding)
    assert all(f == facts[0] for f in facts[1:])
    assert cut and all(4 in own if last else 1 in own for own in cut), cut
    reference = pd.read_csv(io.BytesIO(sample), dtype=str, keep_default_na=False, encoding=encoding)
    monkeypatch.setattr(textscan, "_OWN_TEXT_FROM_BYTES", 0)
    scan = textscan.scan_csv(sample, encoding=encoding, plain_numeric=("x", "y"))
    column = "note"
    assert scan.frame[column].tolist() == reference[column].tolist()


def test_fixed_categorical_equals_categorical_of_every_row():
    """The force reader's crime type and outcome columns are made from each distinct
    value's category (Factorized.fixed_categorical); they must equal the categorical of the
    per-row values the canonical types made before: unknown names, None, blanks, repeats."""
    from crime_mapper.core.common.schema import CRIME_TYPE_DTYPE, OUTCOME_DTYPE
    from crime_mapper.core.common.vocabulary import normalise_category, normalise_outcome
    from crime_mapper.core.load.row_checks import Factorized

    rng = np.random.default_rng(21)
    texts = [
        "Burglary", " burglary ", "ANTI-SOCIAL BEHAVIOUR", "Shoplifting", "", "  ", "nonsense",
        "Under investigation", "Offender sent to prison ", "unable to prosecute suspect",
        "Vehicle crime", "None", "nan",
    ]  # fmt: skip
    for size in (0, 1, 50, 3000):
        values = pd.Series(rng.choice(np.array(texts, dtype=object), size), dtype=object)
        keep = rng.random(size) < 0.8
        column = Factorized(values)
        for func, dtype in (
            (lambda v: normalise_category(v.strip()), CRIME_TYPE_DTYPE),
            (lambda v: normalise_outcome(v.strip()), OUTCOME_DTYPE),
        ):
            got = column.fixed_categorical(func, dtype, keep)
            expected = pd.Categorical(column.map(func)[keep], dtype=dtype)
            pd.testing.assert_extension_array_equal(got, expected)
            everything = column.fixed_categorical(func, dtype, np.ones(size, dtype=bool))
            pd.testing.assert_extension_array_equal(
                everything, pd.Categorical(column.map(func), dtype=dtype)
            )


@pytest.mark.parametrize("with_street", [False, True])
def test_force_crime_type_and_outcome_categoricals_equal_object_columns(
    with_street, force_csv, tmp_path, monkeypatch
):
    """The force reader's crime type and outcome categoricals (fixed_categorical) give the
    load the object columns gave: with an outcomes file joined onto the force crimes (later
    and earlier months), alone and beside a police.uk file."""
    from crime_mapper.core.load.row_checks import Factorized

    data, profile = force_csv
    header, *rows = [r for r in data.split(b"\n") if r]
    force = tmp_path / "force.csv"
    force.write_bytes(b"\n".join([header, *rows]) + b"\n")
    outcomes = tmp_path / "outcomes.csv"
    lines = ["Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
             "LSOA name,Outcome type"]  # fmt: skip
    for k, row in enumerate(rows[:60]):
        ref = row.split(b",", 1)[0].decode()
        month = ("2099-01", "2015-01")[k % 2]
        outcome = ("Offender given a caution", "Investigation complete; no suspect identified")
        lines.append(f"{ref},{month},X,X,,,,,,{outcome[k % 2 if k % 3 else 1]}")
    outcomes.write_text("\n".join(lines) + "\n", encoding="utf-8")
    paths = [force, outcomes] + ([LEICS_OCT] if with_street else [])
    new = load_extracts(paths, profile=profile)
    assert new.files[1].outcomes_joined > 0

    def as_objects(self, func, dtype, keep):  # what the reader gave before: the names
        return self.map(func)[keep]

    monkeypatch.setattr(Factorized, "fixed_categorical", as_objects)
    old = load_extracts(paths, profile=profile)
    pd.testing.assert_frame_equal(new.crimes, old.crimes)
    pd.testing.assert_frame_equal(new.rejects, old.rejects)
    assert [vars(f) for f in new.files] == [vars(f) for f in old.files]
