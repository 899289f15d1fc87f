"""A profile's two-digit year (``%y``) read into another century is not passed unnoticed.

Python reads ``%y`` "69" to "99" as 1969 to 1999 and "00" to "68" as 2000 to 2068. A year
typed wrong so is treated as any year typed wrong in full (core.common.months): a date in
the future is a future_date row; an old date can be real (an offence reported years later)
and is kept, but the load's report warns, naming its month, that it lies a year or more
from the month most crimes are in and before police.uk's data begins. Pinned here because
it was reported as silent. Real files, the real command line.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE, plain_cli


def test_a_two_digit_year_in_another_century_is_warned_or_rejected(tmp_path: Path) -> None:
    with open(FORCE_EXTRACT, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    at = rows[0].index("Offence Date")
    for row in rows[1:]:
        day, month, year = row[at].split("/")
        row[at] = f"{day}/{month}/{year[2:]}"
    rows[1][at], rows[2][at] = "21/10/69", "24/10/68"
    extract = tmp_path / "extract.csv"  # (no month in its name: no month_mismatch)
    with open(extract, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    profile = json.loads(FORCE_PROFILE.read_text("utf-8"))
    profile["date_format"] = "%d/%m/%y %H:%M"
    profile_path = tmp_path / "profile.json"
    profile_path.write_text(json.dumps(profile), "utf-8")
    out = tmp_path / "out"
    done = plain_cli("load", "--out", out, "--profile", profile_path, extract)
    assert done.returncode == 0, done.stderr
    assert "lie 12 months or more from 2022-10, the month most are in (1969-10: 1)" in done.stdout
    assert "1 row(s) are dated before 2010-12" in done.stdout
    with open(out / "rejects.csv", newline="", encoding="utf-8") as handle:
        rejects = {int(r["source_line"]): r for r in csv.DictReader(handle)}
    assert rejects[3]["reason"] == "future_date" and "'24/10/68'" in rejects[3]["detail"]
    assert 2 not in rejects
