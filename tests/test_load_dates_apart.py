"""The force reader's dates and times parsed apart (`readers._parse_apart`): each distinct
date and time parsed once and added must give every row what parsing its joined text with
the profile's format gives, on real-looking and hostile texts, else the joined path runs."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.load import readers
from crime_mapper.core.load.row_checks import Factorized


def _direct(date: pd.Series, time: pd.Series, fmt: str) -> pd.Series:
    """Each row's joined text parsed with the format, row by row (no distinct values)."""
    d = date.str.strip()
    text = (d + " " + time.str.strip()).str.strip().where((d != "").to_numpy(), "")
    return readers._parse_with_format(text, fmt)


def _check(dates: list, times: list, fmt: str) -> pd.Series:
    date = pd.Series(dates, dtype=object, index=np.arange(len(dates)) + 7)
    time = pd.Series(times, dtype=object, index=date.index)
    got = readers._parse_dates(date, time, fmt)
    want = _direct(date, time, fmt)
    assert got.dtype == want.dtype
    pd.testing.assert_series_equal(got, want, check_names=False)
    assert list(got.index) == list(date.index)
    return got


def _taken(dates: list, times: list, fmt: str) -> bool:
    date = pd.Series(dates, dtype=object)
    time = pd.Series(times, dtype=object)
    return readers._parse_apart(Factorized(date), Factorized(time), fmt) is not None


PLAIN_FORMATS = ["%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d-%m-%Y %H:%M"]


@pytest.mark.parametrize("fmt", PLAIN_FORMATS)
def test_a_month_of_plain_dates_and_times_is_parsed_apart_and_equal(fmt: str) -> None:
    rng = random.Random(15)
    sep = fmt[2]
    seconds = fmt.endswith("%S")
    dates = [f"{rng.randint(1, 12):02d}{sep}{rng.randint(1, 12):02d}{sep}2022" for _ in range(3000)]
    times = [
        f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
        + (f":{rng.randint(0, 59):02d}" if seconds else "")
        for _ in range(3000)
    ]
    dates[5] = " " + dates[5] + "  "  # stripped, as the joined path strips
    times[6] = times[6] + " "
    assert _taken(dates, times, fmt)
    got = _check(dates, times, fmt)
    assert got.notna().all()


# each hostile value beside plain ones: parsed apart when it is sure to be the same, else
# the joined path; either way equal to the direct parse
HOSTILE_DATES = [
    "31/02/2022",
    "29/02/2023",
    "29/02/2024",
    "00/01/2022",
    "1/2/2022",
    "01/13/2022",
    "11/04/2262",
    "12/04/2262",
    "10/04/2262",
    "01/01/1677",
    "21/09/1677",
    "02/01/1678",
    "01/01/0001",
    "31/12/9999",
    "",
    "  ",
    "01/01/22",
    "01/01/2022 10:00",
    "01 /01/2022",
    "٠١/٠١/٢٠٢٢",
    "01-01-2022",
    "01.01.2022",
    "2022-01-01",
    "1/1/2022",
    " 1/1/2022",
    "NaT",
    "nan",
    "today",
    "01/01/2022\t",
]
HOSTILE_TIMES = [
    "24:00",
    "23:60",
    "23:59:60",
    "9:5",
    "9:05",
    "09:05:07",
    "",
    " ",
    "12:00 PM",
    "noon",
    "٠٩:٠٥",
    "23:59",
    "00:00",
    "10",
    "10:00:00:00",
    "10.00",
    "1:00",
]


@pytest.mark.parametrize("fmt", PLAIN_FORMATS + ["%d/%m/%Y %I:%M %p", "%Y-%m-%d %H:%M", "%d/%m/%Y"])
def test_hostile_dates_and_times_give_the_direct_parse(fmt: str) -> None:
    base_dates = ["05/10/2022", "06/10/2022", "17/10/2022"]
    base_times = ["10:15", "23:59", "00:00"]
    for bad_date, bad_time in itertools.product(HOSTILE_DATES, HOSTILE_TIMES[:4] + ["10:15"]):
        _check(base_dates + [bad_date], base_times + [bad_time], fmt)
    for bad_time in HOSTILE_TIMES:
        _check(base_dates + ["05/10/2022"], base_times + [bad_time], fmt)


def test_the_last_day_pandas_can_hold_is_not_added_past_its_limit() -> None:
    # 11 April 2262 parses, 23:59 parses, but their sum is past pandas' last nanosecond:
    # the joined text is no date, and the sum must not wrap round
    got = _check(["11/04/2262", "05/10/2022"], ["23:59", "10:00"], "%d/%m/%Y %H:%M")
    assert got.isna().tolist() == [True, False]
    assert not _taken(["11/04/2262"], ["00:00"], "%d/%m/%Y %H:%M")
    assert _taken(["10/04/2262", "02/01/1678"], ["23:59"] * 2, "%d/%m/%Y %H:%M")
    assert not _taken(["01/01/1678"], ["00:00"], "%d/%m/%Y %H:%M")


def test_apart_is_taken_only_for_the_plain_formats_and_texts() -> None:
    ok_d, ok_t = ["05/10/2022", "06/10/2022"], ["10:15", "23:59"]
    assert _taken(ok_d, ok_t, "%d/%m/%Y %H:%M")
    for fmt in ["%Y-%m-%d %H:%M", "%d/%m/%Y %I:%M %p", "%d/%m/%Y", "%d/%m/%Y  %H:%M", "auto", ""]:
        assert not _taken(ok_d, ok_t, fmt), fmt
    for bad in ["05/10/2022 ", "5 /10/2022", "٠٥/١٠/٢٠٢٢", "31/02/2022", ""]:
        assert _taken(
            ok_d + [bad.strip() if bad.endswith(" ") else bad], ok_t + ["10:15"], "%d/%m/%Y %H:%M"
        ) == (bad == "05/10/2022 "), bad
    for bad in ["24:00", "9 :05", "٠٩:٠٥", ""]:
        assert not _taken(ok_d + ["05/10/2022"], ok_t + [bad], "%d/%m/%Y %H:%M"), bad


def test_random_texts_give_the_direct_parse() -> None:
    rng = random.Random(1915)
    pieces = "0123456789/:.- "
    for fmt in PLAIN_FORMATS:
        for _ in range(40):
            dates = ["05/10/2022", "06/10/2022"] + [
                "".join(rng.choice(pieces) for _ in range(rng.randint(0, 11))) for _ in range(3)
            ]
            times = ["10:15", "23:59"] + [
                "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6))) for _ in range(3)
            ]
            _check(dates, times, fmt)


def test_no_rows_give_the_direct_parse() -> None:
    got = _check([], [], "%d/%m/%Y %H:%M")
    assert len(got) == 0
