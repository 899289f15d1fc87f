"""The command line, run as analysts and scheduled jobs run it: a subprocess on real files.

Why: a scripted monthly load must give the same accounting as the dock, fail with a clear
one-line message and a documented exit code, and never leave half-written outputs.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

from crime_mapper.core.profile import MappingProfile
from tests.test_core_loader import make_force_extract

ROOT = Path(__file__).resolve().parent.parent
MONTH_ZIP = ROOT / "sample_data" / "police-uk" / "2022-10.zip"
MALFORMED = ROOT / "tests" / "data" / "malformed"
NOT_EXTRACT = MALFORMED / "not-a-crime-extract.csv"
EXAMPLE_PROFILE = ROOT / "crime_mapper" / "resources" / "profiles" / "example_force_rms.json"
OUTPUTS = ("rejects.csv", "validation_report.json", "validation_report.txt")


def cli(*args: str) -> subprocess.CompletedProcess:
    """python -m crime_mapper.cli ARGS from the source checkout, output captured."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "crime_mapper.cli", *map(str, args)],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False)


def zip_rows() -> int:
    """Data rows of the street file inside the monthly zip (header and blanks excluded)."""
    with zipfile.ZipFile(MONTH_ZIP) as archive:
        names = [n for n in archive.namelist() if n.endswith("-street.csv")]
        lines = archive.read(names[0]).splitlines()
    return sum(1 for line in lines[1:] if line.strip())


def read_report(out: Path) -> dict:
    return json.loads((out / "validation_report.json").read_text(encoding="utf-8"))


def test_load_a_monthly_zip(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = cli("load", MONTH_ZIP, "--out", out)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    for name in OUTPUTS:
        assert (out / name).is_file(), name
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)  # no temporaries left
    report = read_report(out)
    rows = zip_rows()
    assert report["reconciles"]
    assert report["totals"]["rows_read"] == rows == report["totals"]["accepted"]
    assert report["totals"]["rejected"] == 0 and report["file_errors"] == []
    text = (out / "validation_report.txt").read_text(encoding="utf-8")
    assert text.strip() in run.stdout
    assert f"Rows read {rows:,} = accepted {rows:,} + rejected 0" in run.stdout
    with open(out / "rejects.csv", newline="", encoding="utf-8") as handle:
        assert len(list(csv.reader(handle))) == 1  # the header only


def test_rejected_rows_still_exit_zero(tmp_path: Path) -> None:
    out = tmp_path / "out"
    source = MALFORMED / "2022-10-bad-coordinates-street.csv"
    run = cli("load", source, "--out", out)
    assert run.returncode == 0, run.stderr
    report = read_report(out)
    assert report["reconciles"] and report["totals"]["rejected"] > 0
    with open(out / "rejects.csv", newline="", encoding="utf-8") as handle:
        rejects = list(csv.DictReader(handle))
    assert len(rejects) == report["totals"]["rejected"]
    assert {r["reason"] for r in rejects} == set(report["rejected_by_reason"])


def test_a_file_that_is_not_an_extract_exits_one_and_the_rest_loads(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = cli("load", MONTH_ZIP, NOT_EXTRACT, "--out", out)
    assert run.returncode == 1, run.stderr
    report = read_report(out)
    assert report["reconciles"]
    assert report["crimes"]["rows"] == zip_rows()
    assert len(report["file_errors"]) == 1
    assert "not-a-crime-extract.csv: not a crime extract" in report["file_errors"][0]
    assert "could not be used" in run.stdout and "not-a-crime-extract.csv" in run.stdout

    alone = tmp_path / "alone"
    run = cli("load", NOT_EXTRACT, "--out", alone)
    assert run.returncode == 1
    assert read_report(alone)["totals"]["rows_read"] == 0


def test_input_and_profile_errors_exit_two_with_one_line(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = cli("load", tmp_path / "absent.csv", "--out", out)
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "absent.csv: no such file or folder" in run.stderr
    assert not out.exists()  # nothing is created when the load cannot run

    bad = tmp_path / "bad.json"
    bad.write_text('{"columns": {"colour": "X"}}', encoding="utf-8")
    run = cli("load", MONTH_ZIP, "--out", out, "--profile", bad)
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "unknown column roles" in run.stderr
    assert not (out / "validation_report.json").exists()

    run = cli("load", MONTH_ZIP, "--out", out, "--profile", tmp_path / "missing.json")
    assert run.returncode == 2 and "cannot read mapping profile" in run.stderr

    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    run = cli("load", MONTH_ZIP, "--out", blocker)
    assert run.returncode == 2 and run.stderr.startswith("crime_mapper: error: output folder")


def test_a_second_run_replaces_the_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("load", NOT_EXTRACT, "--out", out).returncode == 1
    assert cli("load", MONTH_ZIP, "--out", out).returncode == 0
    assert read_report(out)["file_errors"] == []
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)


def test_force_extract_with_the_example_profile(tmp_path: Path) -> None:
    extract = tmp_path / "force-extract.csv"
    make_force_extract(extract, encoding="cp1252")
    out = tmp_path / "out"
    run = cli("load", extract, "--out", out, "--profile", EXAMPLE_PROFILE)
    assert run.returncode == 0, run.stderr
    report = read_report(out)
    assert report["profile"] == MappingProfile.load(EXAMPLE_PROFILE).name
    assert report["totals"] == {"rows_read": 60, "accepted": 60, "no_location": 0,
                                "rejected": 0}
    assert report["crimes"]["forces"] == ["Leicestershire Police"]


def test_help_documents_the_exit_codes() -> None:
    run = cli("load", "--help")
    assert run.returncode == 0
    for code in ("0  the load ran", "1  the load ran but", "2  nothing was loaded"):
        assert code in run.stdout
    assert "--gpkg" in run.stdout
    assert cli().returncode == 2  # no command: a usage error


def test_profile_detect_prints_and_saves_the_mapping(tmp_path: Path) -> None:
    extract = tmp_path / "force-extract.csv"
    make_force_extract(extract)
    saved = tmp_path / "detected.json"
    run = cli("profile", "detect", extract, "--save", saved)
    assert run.returncode == 0, run.stderr
    for role, column in (("crime_ref", "CrimeRef"), ("x", "Easting"), ("y", "Northing"),
                         ("date", "OffenceDate"), ("time", "OffenceTime"),
                         ("offence", "Offence"), ("sensitive", "Sensitive")):
        line = next(ln for ln in run.stdout.splitlines() if ln.split()[:1] == [role])
        assert f"'{column}'" in line, line
    assert "Beat, MO Notes" in run.stdout
    profile = MappingProfile.load(saved)
    assert profile.columns["x"] == "Easting" and profile.columns["offence"] == "Offence"

    as_json = cli("profile", "detect", extract, "--json")
    assert as_json.returncode == 0
    assert MappingProfile.from_dict(json.loads(as_json.stdout)).columns == profile.columns

    # the saved profile loads the extract
    out = tmp_path / "out"
    assert cli("load", extract, "--out", out, "--profile", saved).returncode == 0
    assert read_report(out)["totals"]["accepted"] == 60


def test_profile_detect_on_a_file_that_is_not_an_extract(tmp_path: Path) -> None:
    saved = tmp_path / "p.json"
    run = cli("profile", "detect", NOT_EXTRACT, "--save", saved)
    assert run.returncode == 1
    assert "cannot detect a complete profile" in run.stderr
    assert not saved.exists()
    run = cli("profile", "detect", MALFORMED / "binary-file.csv")
    assert run.returncode == 2 and run.stderr.count("\n") == 1


def test_load_with_gpkg_writes_the_geopackage(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = cli("load", MONTH_ZIP, "--out", out, "--gpkg")
    assert run.returncode == 0, run.stderr
    assert (out / "crimes.gpkg").is_file() and (out / "crimes.qml").is_file()
    for name in OUTPUTS:
        assert (out / name).is_file(), name
    with sqlite3.connect(out / "crimes.gpkg") as db:
        count = db.execute("SELECT COUNT(*) FROM crimes").fetchone()[0]
    assert count == zip_rows() == read_report(out)["crimes"]["rows"]
