"""A force extract row whose date cell holds a time of day and whose time column another.

Why: the profile's date and time columns were joined and read as one text, and with the
"auto" date format the later time was taken without a word: "21/10/2022 16:00" beside a
time column of "17:00" was kept as 17:00. Which time the crime happened at cannot be told,
so the row is now bad_date, its detail saying why. A date's own time at midnight (a date
column exported with its empty time) gives way to the time column, and the same time given
twice is one time, whether each is written on the 24-hour clock or the 12-hour one ("16:00"
beside "4:00 PM"): those rows are read. Real files, the real command line.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from crime_mapper.core.load.readers import TWO_TIMES
from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE, plain_cli

#: (date cell, time cell) refused: two times
REFUSED = [
    ("21/10/2022 16:00", "17:00"),
    ("21/10/2022 16:00:00", "16:00:30"),
    ("2022-10-21T16:00:00", "17:00"),
    ("21/10/2022 16:00", "late"),
    (" 21/10/2022 9:05 ", "09:06"),
    ("21/10/2022 16:00", "4:00 AM"),
    ("21/10/2022 16:00", "16:00 PM"),  # (no hour on the 12-hour clock: unread)
    ("21/10/2022 04:00", "4:00 PM"),
]
#: (date cell, time cell) read as before
TAKEN = [
    ("21/10/2022 00:00", "17:00"),
    ("21/10/2022 00:00:00", "17:00"),
    ("21/10/2022 16:00", "16:00"),
    ("21/10/2022 16:00", "16:00:00"),
    ("21/10/2022 16:00", ""),
    ("21/10/2022", "17:00"),
    # one time written on the 24-hour clock and on the 12-hour one
    ("21/10/2022 16:00", "4:00 PM"),
    ("21/10/2022 16:00", "4:00pm"),
    ("21/10/2022 16:00:00", "4:00 p.m."),
    ("21/10/2022 12:30", "12:30 PM"),
    ("21/10/2022 04:00", "4:00 AM"),
    ("21/10/2022 4:00 PM", "16:00"),
    ("21/10/2022 12:00 AM", "17:00"),  # (midnight on the 12-hour clock)
]


def _extract(tmp_path: Path, cells: list[tuple[str, str]]) -> Path:
    """The bundled force extract (named for October 2022), its first rows' date and time
    cells replaced by ``cells``."""
    with open(FORCE_EXTRACT, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    at_date, at_time = rows[0].index("Offence Date"), rows[0].index("Offence Time")
    for row, (date, time) in zip(rows[1:], cells):
        row[at_date], row[at_time] = date, time
    path = tmp_path / FORCE_EXTRACT.name
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _profile(tmp_path: Path, date_format: str) -> Path:
    profile = json.loads(FORCE_PROFILE.read_text("utf-8"))
    profile["date_format"] = date_format
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(profile), "utf-8")
    return path


def _rejects(tmp_path: Path, cells: list[tuple[str, str]], date_format: str) -> dict:
    out = tmp_path / "out"
    extract, profile = _extract(tmp_path, cells), _profile(tmp_path, date_format)
    done = plain_cli("load", "--out", out, "--profile", profile, extract)
    assert done.returncode == 0, done.stderr
    with open(out / "rejects.csv", newline="", encoding="utf-8") as handle:
        return {int(r["source_line"]): r for r in csv.DictReader(handle)}


def test_two_times_are_refused_and_one_time_read(tmp_path: Path) -> None:
    rejects = _rejects(tmp_path, REFUSED + TAKEN, "auto")
    for line, (date, time) in enumerate(REFUSED, start=2):
        assert rejects[line]["reason"] == "bad_date", (date, time)
        assert rejects[line]["detail"] == f"date {date!r}, time {time!r}: {TWO_TIMES}"
    for line, cells in enumerate(TAKEN, start=len(REFUSED) + 2):
        assert line not in rejects, (cells, rejects[line])
    assert len(rejects) == len(REFUSED)


@pytest.mark.parametrize("date_format", ["%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S"])
def test_a_date_format_says_why_two_times_are_refused(tmp_path: Path, date_format) -> None:
    """Joined, two times read as no date with a format: the row was bad_date already, its
    detail now says why."""
    rejects = _rejects(tmp_path, [("21/10/2022 16:00", "17:00")], date_format)
    assert rejects[2]["detail"].endswith(TWO_TIMES)
