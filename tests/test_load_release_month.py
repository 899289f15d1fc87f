"""A monthly release accepts only its own month's rows, whatever the files are called.

`month_mismatch` was checked only against a month in a file's name. A force extract saved
as "extract.csv" (or a police.uk street file renamed) holding a row of 2022-09 and one of
2022-11 was loaded whole by ``cli release CONFIG --month 2022-10``: both rows published,
the release named ``2022-09_2022-11-leicestershire-street.csv``. Now such rows are
rejected as month_mismatch naming the release's month, counted in the validation report
and the audit (which reconcile), and the release keeps its month's name.

Stop-and-search rows are held to the months crimes are: a search dated after today is
future_date, one before police.uk's first month early_date, with the same reasons.

Real files (the bundled extract, police.uk files), the real command line in plain Python.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.load.mapping_profile import MappingProfile
from crime_mapper.core.load.row_checks import BEFORE_POLICE_UK
from crime_mapper.core.load.validation_report import report_dict
from crime_mapper.core.monthly import toml_lite
from crime_mapper.core.release.crimes_input import open_crimes_source
from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE, HISTORY, make_salt, plain_cli
from tests.test_reject_cells_as_written import STOP, STREET, details, edited

MONTH = "2022-10"
NORTHUMBRIA_STREET = STOP.parent / "2022-07-northumbria-street.csv"
OUTCOMES = STOP.parent / "2022-07-northumbria-outcomes.csv"


def _force_extract_without_month(folder: Path) -> Path:
    """The bundled October extract saved without a month in its name, its first row dated
    in September and its second in November."""
    with open(FORCE_EXTRACT, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    at = rows[0].index("Offence Date")
    rows[1][at] = "30/09/2022"
    rows[2][at] = "01/11/2022"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "leicestershire-force-extract.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _release_config(tmp_path: Path, extract: Path, qa_history: Sequence[Path] = ()) -> Path:
    """A release of the extract: load and anonymise only (no hotspots or publishing; no QA
    unless given its history)."""
    data = {
        "release": {"force": "Leicestershire", "output": str(tmp_path / "out" / "{month}")},
        "load": {"inputs": [str(extract)], "profile": str(FORCE_PROFILE)},
        "anonymise": {
            "salt_file": str(make_salt(tmp_path / "secret" / "release.salt")),
            "map_points": {"kind": "history", "paths": [str(p) for p in HISTORY]},
        },
        "qa": {"enabled": bool(qa_history), "history": [str(p) for p in qa_history]},
        "hotspots": {"enabled": False},
        "publish": {"web_map": False, "summaries": False, "project": False},
    }
    path = tmp_path / "release.toml"
    path.write_text(toml_lite.dumps(data), encoding="utf-8")
    return path


def test_a_release_rejects_rows_of_another_month_from_a_file_named_without_one(
    tmp_path: Path,
) -> None:
    extract = _force_extract_without_month(tmp_path / "extracts")
    done = plain_cli("release", _release_config(tmp_path, extract), "--month", MONTH, "--no-qgis")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out" / MONTH
    with open(out / "internal" / "rejects.csv", newline="", encoding="utf-8") as handle:
        rejects = {int(r["source_line"]): r for r in csv.DictReader(handle)}
    assert {line: r["reason"] for line, r in rejects.items()} == {
        2: "month_mismatch",
        3: "month_mismatch",
    }
    assert rejects[2]["detail"] == (
        "date '30/09/2022', time '15:58': month 2022-09, the release is 2022-10"
    )
    assert rejects[3]["detail"].endswith(": month 2022-11, the release is 2022-10")
    report = json.loads((out / "internal" / "validation_report.json").read_text("utf-8"))
    assert report["rejected_by_reason"] == {"month_mismatch": 2}
    assert report["reconciles"] is True
    public = sorted(p.name for p in (out / "public").glob("*.csv"))
    assert public == ["2022-10-leicestershire-street.csv"]
    with open(out / "public" / public[0], newline="", encoding="utf-8") as handle:
        months = {row["Month"] for row in csv.DictReader(handle)}
    assert months == {MONTH}
    audit = json.loads((out / "public" / "audit.json").read_text("utf-8"))
    assert audit["totals"]["rejected"] == 2
    assert audit["totals"]["rows_in"] == report["totals"]["rows_read"]
    assert audit["totals"]["reconciles"] is True


def test_the_plain_release_qa_reads_the_extracts_for_its_month(tmp_path: Path) -> None:
    """The plain runner's load keeps no crimes GeoPackage, so its QA reads the extracts
    again: it read them without the release's month, and counted and checked the other
    months' rows as this month's crimes (the report's rows were not the load's)."""
    extract = _force_extract_without_month(tmp_path / "extracts")
    history = FORCE_EXTRACT.parents[1] / "police-uk" / "2022-09"
    config = _release_config(tmp_path, extract, qa_history=[history])
    done = plain_cli("release", config, "--month", MONTH, "--no-qgis")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out" / MONTH
    report = json.loads((out / "internal" / "validation_report.json").read_text("utf-8"))
    assert report["rejected_by_reason"] == {"month_mismatch": 2}
    (qa_json,) = out.rglob("qa_report.json")
    qa = json.loads(qa_json.read_text("utf-8"))
    assert qa["month"] == MONTH and qa["history_months"] == ["2022-09"]
    assert qa["rows"] == report["totals"]["accepted"] == report["totals"]["rows_read"] - 2


def test_a_renamed_street_file_is_held_to_the_release_month(tmp_path: Path) -> None:
    path = edited(STREET, tmp_path / "leicestershire-street.csv", {2: {"Month": "2022-11"}})
    result = load_extracts([path], release_month=MONTH)
    assert details(result) == {3: ("month_mismatch", "month '2022-11', the release is 2022-10")}
    assert report_dict(result)["reconciles"] is True
    assert set(result.crimes["month"].astype(str)) == {MONTH}
    # without a release month the file's rows are its own (a load of several months)
    assert details(load_extracts([path])) == {}


def test_extracts_read_again_for_the_release_are_held_to_its_month(tmp_path: Path) -> None:
    """A release continued in another process reads the extracts again (its load's table
    is gone): they are loaded for the month as the load step loaded them."""
    extract = _force_extract_without_month(tmp_path)
    read = open_crimes_source(
        [extract], profile=MappingProfile.load(FORCE_PROFILE), release_month=MONTH
    )
    assert sorted(read.rejects["reason"]) == ["month_mismatch", "month_mismatch"]
    assert set(read.crimes["month"].astype(str)) == {MONTH}


def _outcome_of_a_loaded_crime() -> int:
    """The data row number (from 1) of the first row of the real outcomes file whose crime
    is in the real street file of its month."""
    with open(NORTHUMBRIA_STREET, newline="", encoding="utf-8") as handle:
        street_ids = {row["Crime ID"] for row in csv.DictReader(handle) if row["Crime ID"]}
    with open(OUTCOMES, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return next(n for n, row in enumerate(rows[:30], start=1) if row["Crime ID"] in street_ids)


def test_outcome_rows_of_another_month_than_the_release_are_rejected(tmp_path: Path) -> None:
    """An outcome of a later month, loaded into a release, set its crime's outcome to one
    the release's month had not reached, and counted as accepted."""
    joined = _outcome_of_a_loaded_crime()
    stray = 2 if joined != 2 else 3
    path = edited(
        OUTCOMES,
        tmp_path / "northumbria-outcomes.csv",
        {
            joined: {"Month": "2022-08", "Outcome type": "Suspect charged"},
            stray: {"Month": "2022-06"},
        },
    )
    result = load_extracts([NORTHUMBRIA_STREET, path], release_month="2022-07")
    assert details(result) == {
        joined + 1: ("month_mismatch", "month '2022-08', the release is 2022-07"),
        stray + 1: ("month_mismatch", "month '2022-06', the release is 2022-07"),
    }
    assert report_dict(result)["reconciles"] is True
    outcomes = next(f for f in result.files if f.kind == "outcomes")
    assert (outcomes.rows_read, outcomes.accepted, outcomes.rejected) == (
        30,
        28,
        {"month_mismatch": 2},
    )
    assert "Suspect charged" not in set(result.crimes["last_outcome"].dropna().astype(str))
    assert set(result.crimes["last_outcome_month"].dropna().astype(str)) <= {"2022-07"}


def test_an_outcomes_file_of_another_month_is_rejected_whole(tmp_path: Path) -> None:
    """The real July outcomes file, renamed, given to an October release: every row is
    month_mismatch (none joins October's crimes), and the file's rows reconcile."""
    path = tmp_path / "northumbria-outcomes.csv"
    path.write_bytes(OUTCOMES.read_bytes())
    result = load_extracts([STREET, path], release_month=MONTH)
    outcomes = next(f for f in result.files if f.kind == "outcomes")
    assert outcomes.accepted == 0 and outcomes.rows_read == 1683
    assert outcomes.rejected == {"month_mismatch": 1683}
    assert set(result.rejects["detail"]) == {"month '2022-07', the release is 2022-10"}
    assert report_dict(result)["reconciles"] is True
    # without a release month it is read as before (a load of several months)
    assert next(f for f in load_extracts([path]).files if f.kind == "outcomes").accepted == 1683


def test_an_outcomes_file_is_held_to_the_month_in_its_name(tmp_path: Path) -> None:
    path = edited(OUTCOMES, tmp_path / OUTCOMES.name, {4: {"Month": "2022-08"}})
    assert details(load_extracts([path])) == {
        5: ("month_mismatch", "month '2022-08', file name says 2022-07")
    }


def test_stop_and_search_dates_are_held_to_the_months_crimes_are(tmp_path: Path) -> None:
    path = edited(
        STOP,
        tmp_path / STOP.name,
        {
            1: {"Date": "2099-07-01T11:40:00+00:00"},
            2: {"Date": "1999-07-01T16:15:00+00:00"},
            3: {"Date": "2010-11-30T23:30:00+00:00"},  # 2010-11 in UTC and UK time
        },
    )
    result = load_extracts([path])
    assert details(result) == {
        2: ("future_date", "date '2099-07-01T11:40:00+00:00' is after today"),
        3: ("month_mismatch", "date '1999-07-01T16:15:00+00:00', file name says 2022-07"),
        4: ("month_mismatch", "date '2010-11-30T23:30:00+00:00', file name says 2022-07"),
    }
    renamed = path.rename(tmp_path / "northumbria-stop-and-search.csv")
    result = load_extracts([renamed])
    assert details(result) == {
        2: ("future_date", "date '2099-07-01T11:40:00+00:00' is after today"),
        3: ("early_date", f"date '1999-07-01T16:15:00+00:00' is {BEFORE_POLICE_UK}"),
        4: ("early_date", f"date '2010-11-30T23:30:00+00:00' is {BEFORE_POLICE_UK}"),
    }
    assert report_dict(result)["reconciles"] is True
    assert len(result.stop_search) == 27


def test_stop_and_search_rows_of_another_month_than_the_release_are_rejected(
    tmp_path: Path,
) -> None:
    """Judged in UK time, as police.uk files them: 23:30 UTC on 30 June is 1 July."""
    path = edited(
        STOP,
        tmp_path / "northumbria-stop-and-search.csv",
        {1: {"Date": "2022-06-30T12:00:00+00:00"}, 2: {"Date": "2022-06-30T23:30:00+00:00"}},
    )
    result = load_extracts([path], release_month="2022-07")
    assert details(result) == {
        2: ("month_mismatch", "date '2022-06-30T12:00:00+00:00', the release is 2022-07"),
    }
    assert report_dict(result)["reconciles"] is True


def test_a_stop_and_search_file_of_a_header_alone_is_read(tmp_path: Path) -> None:
    """(The future_date check compares with today in the dates' time zone, which an empty
    column has too: a header alone failed with "an unexpected error".)"""
    path = tmp_path / "northumbria-stop-and-search.csv"
    path.write_text(STOP.read_text("utf-8").splitlines()[0] + "\n", "utf-8")
    result = load_extracts([path], release_month="2022-07")
    assert result.files[0].error is None and result.files[0].kind == "stop_and_search"
    assert len(result.stop_search) == 0 and report_dict(result)["reconciles"] is True


def test_the_qgis_release_holds_its_load_to_the_month(tmp_path: Path) -> None:
    """The release run by QGIS (its load writes the internal crimes GeoPackage, which the
    later steps take): the same rows rejected, none of them in the GeoPackage."""
    import sqlite3

    from crime_mapper.core.monthly.config import read_config
    from crime_mapper.core.monthly.release import run_monthly_release
    from crime_mapper.qgis_bridge.monthly_release import QgisStepRunners

    extract = _force_extract_without_month(tmp_path / "extracts")
    config = read_config(_release_config(tmp_path, extract))
    done = run_monthly_release(config, MONTH, runners=QgisStepRunners())
    out = done.out_dir
    with open(out / "internal" / "rejects.csv", newline="", encoding="utf-8") as handle:
        reasons = {int(r["source_line"]): r["reason"] for r in csv.DictReader(handle)}
    assert reasons == {2: "month_mismatch", 3: "month_mismatch"}
    (gpkg,) = (out / "internal").glob("*.gpkg")
    with sqlite3.connect(gpkg) as db:
        months = {m for (m,) in db.execute("SELECT DISTINCT month FROM crimes")}
    assert months == {MONTH}
    assert sorted(p.name for p in (out / "public").glob("*.csv")) == [
        "2022-10-leicestershire-street.csv"
    ]
    audit = json.loads((out / "public" / "audit.json").read_text("utf-8"))
    assert audit["totals"]["rejected"] == 2 and audit["totals"]["reconciles"] is True


def test_cli_qa_month_counts_the_rows_the_load_accepts(tmp_path: Path) -> None:
    """``cli qa`` read the extracts without a release month, so its rows included the other
    months' rows a release's load rejects; ``--month`` loads them for the month, as the load
    does. Without it the rows are counted as before."""
    extract = _force_extract_without_month(tmp_path / "extracts")
    history = FORCE_EXTRACT.parents[1] / "police-uk" / "2022-09"
    loaded = report_dict(
        load_extracts([extract], profile=MappingProfile.load(FORCE_PROFILE), release_month=MONTH)
    )
    assert loaded["rejected_by_reason"] == {"month_mismatch": 2}
    qa = ["qa", extract, "--profile", FORCE_PROFILE, "--history", history]
    done = plain_cli(*qa, "--out", tmp_path / "month", "--month", MONTH)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "month" / "qa_report.json").read_text("utf-8"))
    assert report["month"] == MONTH and report["history_months"] == ["2022-09"]
    assert report["rows"] == loaded["totals"]["accepted"] == loaded["totals"]["rows_read"] - 2
    done = plain_cli(*qa, "--out", tmp_path / "any")
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "any" / "qa_report.json").read_text("utf-8"))
    assert report["rows"] == loaded["totals"]["rows_read"]


def test_cli_qa_refuses_a_month_that_is_no_month(tmp_path: Path) -> None:
    """A bad --month is refused as the release refuses one (exit 2, saying YYYY-MM) before
    anything is read or written."""
    history = FORCE_EXTRACT.parents[1] / "police-uk" / "2022-09"
    for bad in ("2022-13", "10/2022", "2022-1"):
        out = tmp_path / "qa"
        done = plain_cli(
            "qa", FORCE_EXTRACT, "--profile", FORCE_PROFILE, "--history", history,
            "--out", out, "--month", bad,
        )  # fmt: skip
        assert done.returncode == 2, done.stderr
        assert done.stderr == (
            "crime_mapper: error: --month: the month must be YYYY-MM (for example 2022-10), "
            f"not {bad!r}\n"
        )
        assert not out.exists()
