"""A force extract's dates read with the profile's "auto" date format are day first (UK), never
month first.

Why: asked for day-first dates, dateutil read a date whose day-first reading is no date
month first instead ("10/21/2022" as 21 October, "2022-13-05" as 13 May). A file written
month first (a US-set spreadsheet) then had those rows accepted, while each ambiguous date
("10/03/2022", the 3rd of October) was read day first, as 10 March: crimes published under
the wrong month, and nothing in the report said the file was month first. Each such date is
now a bad_date row showing its text. Real files, the real command line.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from crime_mapper.core.load.readers import _parse_date_texts
from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE, plain_cli

#: dates no day-first reading gives: each row must be rejected as bad_date
MONTH_FIRST = ["10/21/2022", "12/13/2022", "10/21/22", "2022-13-05", "10.31.2022"]
#: dates read day first (or year, month, day) as before, and the day each names
DAY_FIRST = {
    "21/10/2022": "2022-10-21",
    "03/10/2022": "2022-10-03",
    "3.10.22": "2022-10-03",
    "2022/10/05": "2022-10-05",
    "2022-10-05": "2022-10-05",
    "5 Oct 2022": "2022-10-05",
    "October 5, 2022": "2022-10-05",
}


def _extract(tmp_path: Path, dates: list[str]) -> Path:
    """The bundled force extract (named for October 2022) with its first rows' dates
    replaced by ``dates``."""
    with open(FORCE_EXTRACT, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    at = rows[0].index("Offence Date")
    for row, date in zip(rows[1:], dates):
        row[at] = date
    path = tmp_path / FORCE_EXTRACT.name
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _profile(tmp_path: Path, date_format: str) -> Path:
    with open(FORCE_PROFILE, encoding="utf-8") as handle:
        profile = json.load(handle)
    profile["date_format"] = date_format
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(profile), "utf-8")
    return path


def _load(tmp_path: Path, extract: Path, profile: Path) -> tuple[dict, dict[int, dict]]:
    out = tmp_path / "out"
    done = plain_cli("load", "--out", out, "--profile", profile, extract)
    assert done.returncode == 0, done.stderr
    assert "MM/DD" not in done.stderr  # (no pandas warning on the analyst's terminal)
    report = json.loads((out / "validation_report.json").read_text("utf-8"))
    with open(out / "rejects.csv", newline="", encoding="utf-8") as handle:
        rejects = {int(r["source_line"]): r for r in csv.DictReader(handle)}
    return report, rejects


def test_a_month_first_date_is_rejected_on_the_command_line(tmp_path: Path) -> None:
    dates = MONTH_FIRST + list(DAY_FIRST)
    report, rejects = _load(tmp_path, _extract(tmp_path, dates), _profile(tmp_path, "auto"))
    for line, date in enumerate(MONTH_FIRST, start=2):
        assert rejects[line]["reason"] == "bad_date", date
        assert rejects[line]["detail"].startswith(f"date {date!r}"), rejects[line]
    for line in range(len(MONTH_FIRST) + 2, len(dates) + 2):
        assert line not in rejects, (dates[line - 2], rejects[line])
    totals = report["totals"]
    assert totals["rows_read"] == totals["accepted"] + totals["rejected"]
    assert totals["rejected"] == len(rejects) == len(MONTH_FIRST)


def test_a_month_first_file_is_read_with_its_own_date_format(tmp_path: Path) -> None:
    """The remedy the rejects point to: the profile says the file is month first."""
    extract = _extract(tmp_path, ["10/21/2022", "10/03/2022"])
    _report, rejects = _load(tmp_path, extract, _profile(tmp_path, "%m/%d/%Y %H:%M"))
    assert 2 not in rejects and 3 not in rejects


@pytest.mark.parametrize("date", MONTH_FIRST)
def test_no_month_first_reading(date: str) -> None:
    for texts in ([date], ["01/01/2022", date], [f"{date} 15:58"]):
        assert pd.isna(_parse_date_texts(pd.Series(texts), "auto").iloc[-1]), texts


@pytest.mark.parametrize(("date", "day"), DAY_FIRST.items())
def test_day_first_dates_read_as_before(date: str, day: str) -> None:
    for texts in ([date], [f"{date} 15:58"], ["01/01/2022", date]):
        got = _parse_date_texts(pd.Series(texts), "auto").iloc[-1]
        assert str(got.date()) == day, texts
