"""A date before police.uk's first month is refused, its year written in two digits or four.

Python reads a profile's ``%y`` "69" to "99" as 1969 to 1999 and "00" to "68" as 2000 to
2068. Such a row was kept with a warning (1969) or rejected as future_date (2068), and a
row dated 1970 in full was kept the same way: each was published under a month police.uk
has no data for (its street-level data begins 2010-12), the release named 1969-10_2022-10.
Now a date before 2010-12 is an early_date row, whether its year was written "69" or
"1969", its detail naming the cells; a date after today is still future_date. Every row is
accepted or rejected with a reason, and the counts reconcile. Real files, the real command
line.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from crime_mapper.core.load.row_checks import BEFORE_POLICE_UK
from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE, plain_cli

#: (date cell with a two-digit year, the same with four, reason): the first rows' dates
CHANGED = [
    ("21/10/69", "21/10/1969", "early_date"),  # 1969 by Python's pivot
    ("30/11/10", "30/11/2010", "early_date"),  # a month before police.uk's first
    ("01/12/10", "01/12/2010", None),  # December 2010: police.uk's first month
    ("24/10/68", "24/10/2068", "future_date"),  # 2068 by the pivot
    ("31/12/99", "31/12/1999", "early_date"),
]


def _load(tmp_path: Path, years: int) -> tuple[dict, dict, str]:
    """(rejects by line, the validation report, the command's output) of the bundled
    extract (its name without a month: no month_mismatch) with its years written in
    `years` digits, read with the matching date format, and its first dates `CHANGED`."""
    with open(FORCE_EXTRACT, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    at = rows[0].index("Offence Date")
    for row in rows[1:]:
        day, month, year = row[at].split("/")
        row[at] = f"{day}/{month}/{year[4 - years :]}"
    for row, dates in zip(rows[1:], CHANGED):
        row[at] = dates[0 if years == 2 else 1]
    tmp_path.mkdir()
    extract = tmp_path / "extract.csv"
    with open(extract, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    profile = json.loads(FORCE_PROFILE.read_text("utf-8"))
    profile["date_format"] = "%d/%m/%y %H:%M" if years == 2 else "%d/%m/%Y %H:%M"
    profile_path = tmp_path / "profile.json"
    profile_path.write_text(json.dumps(profile), "utf-8")
    out = tmp_path / "out"
    done = plain_cli("load", "--out", out, "--profile", profile_path, extract)
    assert done.returncode == 0, done.stderr
    with open(out / "rejects.csv", newline="", encoding="utf-8") as handle:
        rejects = {int(r["source_line"]): r for r in csv.DictReader(handle)}
    report = json.loads((out / "validation_report.json").read_text("utf-8"))
    return rejects, report, done.stdout


def test_a_two_digit_year_before_police_uk_is_refused_naming_the_row(tmp_path: Path) -> None:
    rejects, report, stdout = _load(tmp_path / "two", years=2)
    for line, (date, _, reason) in enumerate(CHANGED, start=2):
        if reason is None:
            assert line not in rejects, (date, rejects[line])
        else:
            assert rejects[line]["reason"] == reason, date
            assert rejects[line]["detail"].startswith(f"date {date!r}, time "), date
    detail = rejects[2]["detail"]
    assert detail.endswith(f"'15:58' is {BEFORE_POLICE_UK}") and "'21/10/69'" in detail
    assert len(rejects) == sum(reason is not None for *_, reason in CHANGED)
    assert report["rejected_by_reason"] == {"early_date": 3, "future_date": 1}
    assert report["reconciles"] is True
    assert "are dated before 2010-12" not in stdout  # (refused, not kept with a warning)


def test_a_four_digit_year_is_held_to_the_same_months(tmp_path: Path) -> None:
    """The same dates with their years in full: the same rows refused for the same reasons
    (the rule is the month a date falls in, not how its year is written)."""
    two, _, _ = _load(tmp_path / "two", years=2)
    four, report, _ = _load(tmp_path / "four", years=4)
    assert {k: r["reason"] for k, r in four.items()} == {k: r["reason"] for k, r in two.items()}
    assert four[2]["detail"] == f"date '21/10/1969', time '15:58' is {BEFORE_POLICE_UK}"
    assert report["reconciles"] is True
