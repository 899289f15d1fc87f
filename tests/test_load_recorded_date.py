"""A historic offence recorded this month is this month's crime, when the profile maps the
date it was recorded.

police.uk places a crime in the month it was recorded (reported), not the month it was
committed. A force extract's row for an offence committed in 2005 and recorded in October
2022 was rejected as early_date (before police.uk's first month), so October's release
lacked it. A profile may now map a ``recorded`` date column: the published month is then
that date's, and the early_date, future_date and month_mismatch checks apply to it; the
committed date (and time) must still read as a date and not lie in the future, and is kept,
internal only, as the crime's ``occurred_at``, which the leak gate refuses in any public
output. A profile without the column reads the extract as before.

Real files (the bundled extract with a recorded date column added), the real command line
in plain Python, the real leak gate.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pandas as pd

from crime_mapper.core.common.feedback import Feedback
from crime_mapper.core.common.schema import REASONS
from crime_mapper.core.gate.leak_gate import check_release
from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.load.mapping_profile import ROLES, MappingProfile, ProfileError
from crime_mapper.core.load.profile_checks import ROLE_TITLES, profile_problems
from crime_mapper.core.load.row_checks import BEFORE_POLICE_UK, committed_after_recorded
from crime_mapper.core.load.validation_report import report_dict, report_text
from crime_mapper.core.release.map_points_files import MapPointsSpec
from crime_mapper.core.release.pipeline import open_release_inputs
from tests.support.leak_world import failed
from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE, HISTORY, plain_cli
from tests.test_load_release_month import _release_config
from tests.test_reject_cells_as_written import details

MONTH = "2022-10"
COMMITTED = pd.Timestamp("2005-03-14 15:58")  # the historic offence's date and time

#: by data row (from 1): the committed date (None: as it is) and the recorded date
#: (None: the committed day, as every other row has)
ROWS = {
    1: ("14/03/2005", "21/10/2022"),  # committed in 2005, recorded this month: October's
    2: (None, "15/07/2005"),  # recorded before police.uk's first month
    3: (None, "01/11/2099"),  # recorded after today
    4: (None, "soon"),  # no date
    5: ("31/02/2022", None),  # the committed date is no date
    6: ("01/01/2099", None),  # committed after today
    7: ("29/09/2022", "30/09/2022"),  # recorded in another month than the release's
    8: (None, "21/10/2022 09:30"),  # recorded with a time of its own, as the format says
}


def _extract(folder: Path) -> Path:
    """The bundled extract (saved without a month in its name) with a "Recorded Date"
    column after the offence's time, ROWS changed."""
    with open(FORCE_EXTRACT, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    at = header.index("Offence Date")
    place = header.index("Offence Time") + 1
    header.insert(place, "Recorded Date")
    for number, row in enumerate(rows[1:], start=1):
        committed, recorded = ROWS.get(number, (None, None))
        row.insert(place, recorded or row[at])
        if committed:
            row[at] = committed
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "leicestershire-force-extract.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _profile(folder: Path) -> Path:
    data = json.loads(FORCE_PROFILE.read_text("utf-8"))
    data["columns"]["recorded"] = "Recorded Date"
    path = folder / "recorded.profile.json"
    path.write_text(json.dumps(data), "utf-8")
    return path


def _time(line: int) -> str:
    with open(FORCE_EXTRACT, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))[line - 2]["Offence Time"]


def test_the_published_month_is_the_recorded_dates(tmp_path: Path) -> None:
    extract = _extract(tmp_path)
    profile = MappingProfile.load(_profile(tmp_path))
    expected = {
        3: ("early_date", f"recorded date '15/07/2005' is {BEFORE_POLICE_UK}"),
        4: ("future_date", "recorded date '01/11/2099' is after today"),
        5: ("bad_date", "recorded date 'soon'"),
        6: ("bad_date", f"date '31/02/2022', time {_time(6)!r}"),
        7: ("future_date", f"date '01/01/2099', time {_time(7)!r} is after today"),
    }
    alone = load_extracts([extract], profile=profile)
    assert details(alone) == expected
    assert report_dict(alone)["reconciles"] is True
    assert set(alone.crimes["month"].astype(str)) == {"2022-09", MONTH}
    # for October's release, a month other than October's is named as the release's (as
    # a file name's month is named before the month's other checks)
    result = load_extracts([extract], profile=profile, release_month=MONTH)
    assert details(result) == {
        **expected,
        3: ("month_mismatch", "recorded date '15/07/2005': month 2005-07, the release is 2022-10"),
        8: (
            "month_mismatch",
            "recorded date '30/09/2022': month 2022-09, the release is 2022-10",
        ),
    }
    report = report_dict(result)
    assert report["reconciles"] is True
    crimes = result.crimes
    assert set(crimes["month"].astype(str)) == {MONTH}
    historic = crimes[crimes["source_line"] == 2]
    assert historic["occurred_at"].tolist() == [COMMITTED]  # kept, internal only
    assert historic["month"].astype(str).tolist() == [MONTH]
    assert (crimes["source_line"] == 9).sum() == 1  # recorded with a time: read
    assert not any(c.startswith("extra_recorded") for c in crimes.columns)  # (mapped)


def test_without_a_recorded_column_the_committed_date_is_the_months(tmp_path: Path) -> None:
    """The same extract read with the bundled profile (no recorded role): as before, the
    historic offence is early_date and the recorded dates are an extra column."""
    extract = _extract(tmp_path)
    result = load_extracts([extract], profile=MappingProfile.load(FORCE_PROFILE))
    got = details(result)
    assert got[2] == ("early_date", f"date '14/03/2005', time {_time(2)!r} is {BEFORE_POLICE_UK}")
    assert set(got) == {2, 6, 7}
    assert "extra_recorded_date" in result.crimes.columns


def test_the_profile_maps_recorded_as_a_role_of_its_own(tmp_path: Path) -> None:
    assert "recorded" in ROLES and ROLE_TITLES["recorded"] == "Recorded date"
    profile = MappingProfile.load(_profile(tmp_path))
    assert profile.columns["recorded"] == "Recorded Date"
    assert profile_problems(profile) == []
    saved = tmp_path / "saved.json"
    profile.save(saved)
    assert MappingProfile.load(saved) == profile
    data = json.loads(FORCE_PROFILE.read_text("utf-8"))
    data["columns"]["recorded"] = data["columns"]["date"]  # one column for both dates
    try:
        MappingProfile.from_dict(data)
    except ProfileError as exc:
        assert "date and recorded" in str(exc)
    else:
        raise AssertionError("a profile reading the recorded date from the date column")


def test_a_release_publishes_the_historic_offence_and_the_gate_refuses_its_date(
    tmp_path: Path,
) -> None:
    extract = _extract(tmp_path / "extracts")
    profile_path = _profile(tmp_path)
    config = _release_config(tmp_path, extract)
    text = config.read_text("utf-8").replace(str(FORCE_PROFILE), str(profile_path))
    config.write_text(text, "utf-8")
    done = plain_cli("release", config, "--month", MONTH, "--no-qgis")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out" / MONTH
    report = json.loads((out / "internal" / "validation_report.json").read_text("utf-8"))
    assert report["rejected_by_reason"] == {"bad_date": 2, "future_date": 2, "month_mismatch": 2}
    assert report["reconciles"] is True
    audit = json.loads((out / "public" / "audit.json").read_text("utf-8"))
    assert audit["totals"]["rejected"] == 6 and audit["totals"]["reconciles"] is True
    public = out / "public" / "2022-10-leicestershire-street.csv"
    frame = pd.read_csv(public, dtype=str, keep_default_na=False)
    assert set(frame["Month"]) == {MONTH}

    # the leak gate, on the raw crimes as the release read them: the release is clean,
    # and a copy holding the committed date-time of the historic offence is refused
    raw, points, _ = open_release_inputs(
        [str(extract)],
        MapPointsSpec(kind="history", paths=[str(p) for p in HISTORY]),
        MappingProfile.load(profile_path),
        Feedback(),
        25,
        100,
    )
    assert (raw.crimes["occurred_at"] == COMMITTED).sum() == 1
    assert check_release(raw.crimes, public, points).passed
    for written in (COMMITTED.strftime("%Y%m%d%H%M"), str(COMMITTED.value // 1_000_000_000)):
        planted = tmp_path / "planted" / written / public.name
        planted.parent.mkdir(parents=True)
        shutil.copyfile(public, planted)
        changed = frame.copy()
        changed.loc[0, "Context"] = f"Logged {written}, reported this month"
        changed.to_csv(planted, index=False)
        gate = check_release(raw.crimes, planted, points)
        assert failed(gate) == {"no_dates_finer_than_month"}, gate.message()
        assert f"raw date/time written as the number {written}" in gate.message()


#: by data row (from 1): the committed date and time, the recorded date, and the verdict
#: (None: accepted)
ORDER = {
    1: ("22/10/2022", "10:00", "21/10/2022", "committed_after_recorded"),
    2: ("21/10/2022", "15:58", "21/10/2022", None),  # same day, recorded without a time
    3: ("21/10/2022", "15:58", "21/10/2022 00:00", None),  # midnight: a date alone
    4: ("21/10/2022", "15:58", "21/10/2022 09:30", "committed_after_recorded"),
    5: ("21/10/2022", "09:29", "21/10/2022 09:30", None),
    6: ("21/10/2022", "09:30", "21/10/2022 09:30", None),  # recorded as it happened
    7: ("31/10/2022", "19:06", "30/09/2022", "month_mismatch"),  # both: the month's stands
}


def _ordered_extract(folder: Path) -> Path:
    """The bundled extract's first ten rows, with a "Recorded Date" column (the committed
    day, as most rows have it) and ORDER's rows changed."""
    with open(FORCE_EXTRACT, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[:11]
    header = rows[0]
    at, time = header.index("Offence Date"), header.index("Offence Time")
    header.insert(time + 1, "Recorded Date")
    for number, row in enumerate(rows[1:], start=1):
        row.insert(time + 1, row[at])
        if number in ORDER:
            row[at], row[time], row[time + 1], _ = ORDER[number]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "leicestershire-force-extract.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_a_crime_committed_after_it_was_recorded_is_rejected(tmp_path: Path) -> None:
    """A crime cannot be recorded before it happened: such a row was published under its
    recorded month. A recorded date without a time of day is compared by day."""
    extract = _ordered_extract(tmp_path)
    profile = MappingProfile.load(_profile(tmp_path))
    result = load_extracts([extract], profile=profile, release_month=MONTH)
    assert details(result) == {
        2: (
            "committed_after_recorded",
            "date '22/10/2022', time '10:00' is after the recorded date '21/10/2022'",
        ),
        5: (
            "committed_after_recorded",
            "date '21/10/2022', time '15:58' is after the recorded date '21/10/2022 09:30'",
        ),
        8: ("month_mismatch", "recorded date '30/09/2022': month 2022-09, the release is 2022-10"),
    }
    report = report_dict(result)
    assert report["reconciles"] is True
    assert report["totals"] == {"rows_read": 10, "accepted": 7, "no_location": 1, "rejected": 3}
    assert report["reasons"]["committed_after_recorded"] == REASONS["committed_after_recorded"]
    assert f"committed_after_recorded: 2 ({REASONS['committed_after_recorded']})" in (
        report_text(result)
    )
    kept = set(result.crimes["source_line"])
    assert kept == {n + 1 for n, row in ORDER.items() if row[3] is None} | {9, 10, 11}
    # without a recorded column the committed date is the only one: nothing to compare
    plain = load_extracts([extract], profile=MappingProfile.load(FORCE_PROFILE))
    assert "committed_after_recorded" not in set(plain.rejects["reason"])


def test_committed_and_recorded_dates_with_and_without_offsets_compare_in_uk_time() -> None:
    """A committed time written with an offset is compared as the UK's wall clock reads it
    with a recorded date written without one (23:30 UTC on 21 October is 00:30 on the 22nd
    in British Summer Time)."""
    committed = pd.to_datetime(
        pd.Series(["2022-10-21T23:30:00+00:00", "2022-10-22T10:00:00+01:00", None]), utc=True
    )
    recorded = pd.Series(pd.to_datetime(["2022-10-22", "2022-10-22 09:30", "2022-10-01"]))
    assert committed_after_recorded(committed, recorded).tolist() == [False, True, False]
    early = pd.Series(pd.to_datetime(["2022-10-21", "2022-10-22 10:00", None]))
    assert committed_after_recorded(committed, early).tolist() == [True, False, False]


def test_the_profile_dialog_offers_and_saves_the_recorded_column(
    tmp_path: Path, qgis_iface
) -> None:
    from crime_mapper.ui.profile_dialog import ProfileDialog

    extract = _extract(tmp_path)
    dialog = ProfileDialog(profile_path=_profile(tmp_path), extract_path=extract)
    try:
        assert dialog.role_column("recorded") == "Recorded Date"
        assert dialog.validation_errors() == []
        saved = dialog.save_to(tmp_path / "again")
        assert MappingProfile.load(saved).columns["recorded"] == "Recorded Date"
        dialog.set_role_column("recorded", None)  # (none): the committed date's month
        assert "recorded" not in dialog.profile().columns
    finally:
        dialog.close()
        dialog.deleteLater()
