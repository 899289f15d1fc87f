"""A month's digits are ASCII wherever a month is read.

Python's ``\\d`` matches the digits of every script, and each reader had its own month
pattern written with it: a police.uk file whose Month was "٢٠٢٢-10" (Arabic-Indic digits)
or "２０２２-10" (fullwidth) had those rows accepted as months of their own, beside
"2022-10", to be published and counted apart; the release configuration, the hotspots'
month list and a saved QA month took such a month too. One pattern (core.common.vocabulary
.MONTH_RE) now serves them all. Real sample rows, the real loader and command line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crime_mapper.core.common.csv_safety import safe_cell
from crime_mapper.core.common.vocabulary import MONTH_RE
from crime_mapper.core.hotspots.hexgrid import HotspotInputError
from crime_mapper.core.hotspots.selection import parse_months
from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.monthly.config import ConfigError, validate_month
from crime_mapper.core.qa.profile import MonthProfile

REPO = Path(__file__).resolve().parents[1]
STREET = REPO / "sample_data" / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"
OTHER_SCRIPTS = ["٢٠٢٢-10", "２０２２-10", "۲۰۲۲-10", "२०२२-10", "2022-١٠"]


@pytest.mark.parametrize("month", OTHER_SCRIPTS)
def test_the_one_month_pattern_takes_ascii_digits_only(month):
    assert MONTH_RE.fullmatch("2022-10")
    assert not MONTH_RE.fullmatch(month)


def test_a_street_file_month_in_other_digits_is_rejected_as_a_bad_month(tmp_path):
    """A file whose name gives no month (so no month mismatch could catch it)."""
    header, *rows = STREET.read_bytes().split(b"\r\n")
    rows = [r for r in rows if r][:8]
    damaged = [
        rows[i].replace(b",2022-10,", f",{month},".encode(), 1)
        for i, month in enumerate(OTHER_SCRIPTS)
    ]
    path = tmp_path / "street.csv"
    path.write_bytes(b"\r\n".join([header, *damaged, *rows[5:]]) + b"\r\n")
    result = load_extracts([path])
    assert sorted(map(str, result.crimes["month"].unique())) == ["2022-10"]
    assert len(result.crimes) == 3
    rejects = result.rejects
    assert len(rejects) == len(OTHER_SCRIPTS)
    assert set(rejects["reason"]) == {"bad_month"}
    assert [r for r in rejects["source_line"]] == [2, 3, 4, 5, 6]


@pytest.mark.parametrize("month", OTHER_SCRIPTS)
def test_the_release_month_in_other_digits_is_refused(month):
    with pytest.raises(ConfigError, match="YYYY-MM"):
        validate_month(month)


@pytest.mark.parametrize("month", OTHER_SCRIPTS)
def test_the_hotspots_months_in_other_digits_are_refused(month):
    with pytest.raises(HotspotInputError, match=re.escape(month)):
        parse_months(f"2022-09,{month}")


@pytest.mark.parametrize("month", OTHER_SCRIPTS)
def test_a_saved_qa_month_in_other_digits_is_refused(month):
    with pytest.raises(ValueError, match="YYYY-MM"):
        MonthProfile.from_dict({"month": month, "rows": 1, "source_format": "police.uk"})


def test_a_cell_starting_with_a_minus_and_other_digits_is_guarded():
    """Only ASCII numbers are left unguarded: a spreadsheet reads no other digits as a
    number, so "-٥" opens as a formula."""
    assert safe_cell("-5.25") == "-5.25"
    assert safe_cell("-٥") == "'-٥"
    assert safe_cell("+１") == "'+１"


@pytest.mark.parametrize("month", ["2022-10\x1f", "2022-10\u00a0", "\u20282022-10", "2022-10\x85"])
def test_a_release_month_loses_only_ordinary_spaces(month):
    """As every text setting of the configuration: the other characters str.strip took
    off (a unit separator, a no-break space, a line separator) were dropped unsaid."""
    with pytest.raises(ConfigError, match="YYYY-MM"):
        validate_month(month)
    assert validate_month(" 2022-10\t\r\n") == "2022-10"
