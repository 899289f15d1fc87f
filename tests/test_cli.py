"""The command line, run as analysts and scheduled jobs run it: a subprocess on real files.

Why: a scripted monthly load must give the same accounting as the dock, fail with a clear
one-line message and a documented exit code, and never leave half-written outputs.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from crime_mapper.core.gate.leak_gate import CHECK_NAMES
from crime_mapper.core.load.mapping_profile import MappingProfile
from crime_mapper.core.release.map_points import CSV_COLUMNS
from crime_mapper.core.release.public_schema import PUBLIC_COLUMNS, read_public_csv
from tests.support.force_extract import make_force_extract
from tests.support.plain_cli import (
    FORCE_EXTRACT,
    FORCE_PROFILE,
    HISTORY,
    MONTH_ZIP,
    PUBLIC_NAME,
    make_salt,
    plain_cli,
)
from tests.support.qgis_process import child_env

ROOT = Path(__file__).resolve().parent.parent
MALFORMED = ROOT / "tests" / "data" / "malformed"
NOT_EXTRACT = MALFORMED / "not-a-crime-extract.csv"
EXAMPLE_PROFILE = ROOT / "crime_mapper" / "resources" / "profiles" / "example_force_rms.json"
OUTPUTS = ("rejects.csv", "validation_report.json", "validation_report.txt")


def cli(*args: str) -> subprocess.CompletedProcess:
    """python -m crime_mapper.cli ARGS from the source checkout, output captured."""
    env = child_env([ROOT])  # adds to PYTHONPATH: QGIS 3.40 comes in through it
    return subprocess.run(
        [sys.executable, "-m", "crime_mapper.cli", *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


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

    # alone, nothing was loaded: the previous outputs stay (they were replaced by a load of
    # no crime, exit 0 through Processing), and the error names the file
    run = cli("load", NOT_EXTRACT, "--out", out)
    assert run.returncode == 2 and "no input could be read as crimes" in run.stderr
    assert "not-a-crime-extract.csv: not a crime extract" in run.stderr
    assert read_report(out)["crimes"]["rows"] == zip_rows()


def test_input_and_profile_errors_exit_two_with_one_line(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = cli("load", tmp_path / "absent.csv", "--out", out)
    assert run.returncode == 2
    missing = f"Extract not found: {tmp_path / 'absent.csv'}"
    assert run.stderr.count("\n") == 1 and missing in run.stderr
    assert not out.exists()  # nothing is created when the load cannot run

    bad = tmp_path / "bad.json"
    bad.write_text('{"columns": {"colour": "X"}}', encoding="utf-8")
    run = cli("load", MONTH_ZIP, "--out", out, "--profile", bad)
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "unknown column roles" in run.stderr
    assert not (out / "validation_report.json").exists()

    run = cli("load", MONTH_ZIP, "--out", out, "--profile", tmp_path / "missing.json")
    # (the words of every command reading a profile: core.load.mapping_profile.load_profile)
    assert run.returncode == 2 and "mapping profile not found: " in run.stderr

    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    run = cli("load", MONTH_ZIP, "--out", blocker)
    assert run.returncode == 2 and run.stderr.startswith("crime_mapper: error: output folder")


def test_a_second_run_replaces_the_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("load", MONTH_ZIP, NOT_EXTRACT, "--out", out).returncode == 1
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
    assert report["totals"] == {"rows_read": 60, "accepted": 60, "no_location": 0, "rejected": 0}
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
    for role, column in (
        ("crime_ref", "CrimeRef"),
        ("x", "Easting"),
        ("y", "Northing"),
        ("date", "OffenceDate"),
        ("time", "OffenceTime"),
        ("offence", "Offence"),
        ("sensitive", "Sensitive"),
    ):
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


# --- the release without QGIS: map-points history, anonymise, check-release ------------------

PUBLIC_GPKG = "2022-10-leicestershire-street.gpkg"
RELEASE_FILES = sorted(
    [PUBLIC_NAME, PUBLIC_GPKG, "audit.json", "audit.html", "release_manifest.json"]
)


@pytest.fixture(scope="module")
def cli_release(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Map points from the published Sep+Oct history, then the synthetic force extract
    anonymised onto them, all through the plain-Python command line."""
    base = tmp_path_factory.mktemp("cli_release")
    points = base / "points" / "points.csv"
    mapped = plain_cli("map-points", "history", *HISTORY, "--out", points)
    salt = make_salt(base / "secret" / "force.salt")
    out = base / "release"
    anonymised = plain_cli(
        "anonymise",
        FORCE_EXTRACT,
        "--profile",
        FORCE_PROFILE,
        "--points",
        points,
        "--salt-file",
        salt,
        "--out",
        out,
    )
    return {
        "base": base,
        "points": points,
        "salt": salt,
        "out": out,
        "mapped": mapped,
        "anonymised": anonymised,
    }


def test_map_points_history_without_qgis(cli_release: dict) -> None:
    run = cli_release["mapped"]
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    frame = pd.read_csv(cli_release["points"], dtype=str, keep_default_na=False)
    assert list(frame.columns) == list(CSV_COLUMNS)
    assert f"Map points: {len(frame):,} from " in run.stdout
    assert "(2022-09 to 2022-10)" in run.stdout
    assert set(frame["source"]) == {"police.uk history"}
    # every published Oct point is a map point
    with zipfile.ZipFile(MONTH_ZIP) as archive:
        name = next(n for n in archive.namelist() if n.endswith("-street.csv"))
        with archive.open(name) as handle:
            october = pd.read_csv(handle, dtype=str, keep_default_na=False)
    located = october[october["Longitude"] != ""]
    published = {
        (f"{float(x):.6f}", f"{float(y):.6f}")
        for x, y in zip(located["Longitude"], located["Latitude"])
    }
    assert published <= set(zip(frame["longitude"], frame["latitude"]))


def test_anonymise_and_check_release_without_qgis(cli_release: dict, tmp_path: Path) -> None:
    run = cli_release["anonymised"]
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    out = cli_release["out"]
    assert sorted(p.name for p in out.iterdir()) == RELEASE_FILES  # no temporaries left
    public = read_public_csv(out / PUBLIC_NAME)
    assert list(public.columns) == list(PUBLIC_COLUMNS)
    audit = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    totals = audit["totals"]
    assert audit["reconciles"] and totals["rows_in"] == 4836
    assert len(public) == totals["published_at_map_point"] + totals["published_without_location"]
    assert audit["leak_gate"]["passed"]
    assert audit["leak_gate"]["outputs"] == [PUBLIC_NAME, PUBLIC_GPKG]  # both public files
    assert {c["name"] for c in audit["leak_gate"]["checks"]} == set(CHECK_NAMES)
    assert f"Rows in: {totals['rows_in']:,}" in run.stdout and "Leak gate: passed" in run.stdout
    manifest = json.loads((out / "release_manifest.json").read_text(encoding="utf-8"))
    assert manifest["qgis_version"] == "none (command line)"
    assert manifest["release"]["leak_gate_passed"] and manifest["release"]["reconciles"]
    # the outputs list covers the public files and the audit, with the bytes they have now
    assert [o["name"] for o in manifest["outputs"]] == [
        PUBLIC_NAME,
        PUBLIC_GPKG,
        "audit.json",
        "audit.html",
    ]
    for entry in manifest["outputs"]:
        data = (out / entry["name"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["bytes"] == len(data)
    assert str(out) not in (out / "release_manifest.json").read_text(encoding="utf-8")

    for target in (out / PUBLIC_NAME, out):  # the CSV alone, and the whole release folder
        report = tmp_path / "report.json"
        check = plain_cli(
            "check-release",
            FORCE_EXTRACT,
            "--profile",
            FORCE_PROFILE,
            "--points",
            cli_release["points"],
            "--release",
            target,
            "--report",
            report,
        )
        assert check.returncode == 0, check.stderr
        assert "Leak gate passed" in check.stdout and check.stderr == ""
        data = json.loads(report.read_text(encoding="utf-8"))
        assert data["passed"] and len(data["checks"]) == len(CHECK_NAMES)

    # the same inputs and salt again: byte-identical release
    again = cli_release["base"] / "again"
    rerun = plain_cli(
        "anonymise",
        FORCE_EXTRACT,
        "--profile",
        FORCE_PROFILE,
        "--points",
        cli_release["points"],
        "--salt-file",
        cli_release["salt"],
        "--out",
        again,
    )
    assert rerun.returncode == 0, rerun.stderr
    for name in RELEASE_FILES:  # the manifest included: no wall-clock time, no folders
        assert (again / name).read_bytes() == (out / name).read_bytes(), name


def test_cli_public_csv_is_byte_identical_to_the_qgis_release(
    qgis_app, cli_release: dict, tmp_path: Path
) -> None:
    from crime_mapper.qgis_bridge.run_anonymise import run_anonymise

    assert cli_release["anonymised"].returncode == 0, cli_release["anonymised"].stderr
    outputs = run_anonymise(
        [FORCE_EXTRACT],
        cli_release["points"],
        None,
        cli_release["salt"],
        tmp_path / "qgis_release",
        profile_path=FORCE_PROFILE,
    )
    assert outputs.public_csv.name == PUBLIC_NAME
    for path in (outputs.public_csv, outputs.public_gpkg, outputs.audit_json, outputs.audit_html):
        assert path.read_bytes() == (cli_release["out"] / path.name).read_bytes(), path.name

    # one manifest builder: the same release, inputs, settings and outputs but for what only
    # QGIS adds (the style beside the GeoPackage, and the QGIS version)
    qgis_manifest = json.loads(outputs.manifest.read_text(encoding="utf-8"))
    cli_manifest = json.loads(
        (cli_release["out"] / "release_manifest.json").read_text(encoding="utf-8")
    )
    for section in ("manifest_version", "crime_mapper_version", "release", "inputs", "settings"):
        assert cli_manifest[section] == qgis_manifest[section], section
    assert cli_manifest["inputs"]["crimes"]["files"]  # the extract, fingerprinted
    assert cli_manifest["inputs"]["map_points"]["files"][0]["name"] == "points.csv"
    assert cli_manifest["qgis_version"] == "none (command line)"
    assert qgis_manifest["qgis_version"] not in ("", "none (command line)", "unknown")
    assert outputs.qml is not None
    qgis_outputs = [o for o in qgis_manifest["outputs"] if o["name"] != outputs.qml.name]
    assert qgis_outputs == cli_manifest["outputs"]


def test_anonymise_timings_name_every_step(
    cli_release: dict, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """--timings prints the pipeline's seconds per step on stderr, and changes no output."""
    from crime_mapper import cli as cli_module

    out = tmp_path / "timed"
    args = ["anonymise", str(FORCE_EXTRACT), "--profile", str(FORCE_PROFILE)]
    args += ["--points", str(cli_release["points"]), "--salt-file", str(cli_release["salt"])]
    assert cli_module.main([*args, "--out", str(out), "--timings"]) == 0
    err = capsys.readouterr().err
    steps = [
        line.split()[2] for line in err.splitlines() if line.startswith("crime_mapper: timing")
    ]
    for step in ("read_map_points", "read_crimes", "anonymise", "write_csv"):
        assert step in steps, err
    # the GeoPackage: written here, or (the command line forks it) waited for beside the gate
    assert "write_gpkg" in steps or "gpkg_beside_wait" in steps, err
    assert "leak_gate" in steps and steps[-1] == "steps"  # the total comes last
    for name in RELEASE_FILES:
        assert (out / name).read_bytes() == (cli_release["out"] / name).read_bytes(), name


def test_anonymise_publishing_nothing_warns(
    cli_release: dict, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """Every crime withheld by the rules: the command printed its counts (0 published among
    them) and said nothing else. It now warns, on its output and its error stream."""
    from crime_mapper import cli as cli_module
    from crime_mapper.core.common import vocabulary
    from crime_mapper.core.release.rules import ReleaseRules

    rules = tmp_path / "rules.json"
    ReleaseRules({name: "withhold" for name in vocabulary.all_category_names()}).save(rules)
    out = tmp_path / "nothing"
    args = ["anonymise", str(FORCE_EXTRACT), "--profile", str(FORCE_PROFILE), "--rules", rules]
    args += ["--points", str(cli_release["points"]), "--salt-file", str(cli_release["salt"])]
    assert cli_module.main([*map(str, args), "--out", str(out), "--no-gpkg"]) == 0
    captured = capsys.readouterr()
    assert "Warning: Nothing is published: all " in captured.out
    assert "crime_mapper: warning: nothing is published: every crime was withheld" in (captured.err)
    audit = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    assert audit["warnings"][0].startswith("Nothing is published: all ")


def test_anonymise_without_the_geopackage(
    cli_release: dict, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """--no-gpkg: the same public CSV, byte for byte, without the GeoPackage; the leak gate,
    audit and manifest cover the files written and nothing else."""
    from crime_mapper import cli as cli_module

    out = tmp_path / "csv_only"
    args = ["anonymise", str(FORCE_EXTRACT), "--profile", str(FORCE_PROFILE)]
    args += ["--points", str(cli_release["points"]), "--salt-file", str(cli_release["salt"])]
    assert cli_module.main([*args, "--out", str(out), "--no-gpkg", "--timings"]) == 0
    captured = capsys.readouterr()
    expected = sorted(name for name in RELEASE_FILES if name != PUBLIC_GPKG)
    assert sorted(p.name for p in out.iterdir()) == expected
    assert PUBLIC_GPKG not in captured.out and "Leak gate: passed" in captured.out
    steps = [
        line.split()[2]
        for line in captured.err.splitlines()
        if line.startswith("crime_mapper: timing")
    ]
    assert "write_gpkg" not in steps and "write_csv" in steps and "leak_gate" in steps
    full = cli_release["out"]
    assert (out / PUBLIC_NAME).read_bytes() == (full / PUBLIC_NAME).read_bytes()
    audit = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    full_audit = json.loads((full / "audit.json").read_text(encoding="utf-8"))
    assert audit["leak_gate"]["passed"] and audit["leak_gate"]["outputs"] == [PUBLIC_NAME]
    assert audit["totals"] == full_audit["totals"]
    manifest = json.loads((out / "release_manifest.json").read_text(encoding="utf-8"))
    assert [o["name"] for o in manifest["outputs"]] == [PUBLIC_NAME, "audit.json", "audit.html"]
    for entry in manifest["outputs"]:
        data = (out / entry["name"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()


def test_bad_salt_files_exit_two_before_any_output(cli_release: dict, tmp_path: Path) -> None:
    out = tmp_path / "release"
    absent_points = tmp_path / "no-such-points.csv"  # the salt is refused before this is read

    def anonymise(salt: Path) -> subprocess.CompletedProcess:
        return plain_cli(
            "anonymise",
            FORCE_EXTRACT,
            "--profile",
            FORCE_PROFILE,
            "--points",
            absent_points,
            "--salt-file",
            salt,
            "--out",
            out,
        )

    run = anonymise(tmp_path / "secret" / "missing.salt")
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "Salt file not found" in run.stderr
    assert not out.exists()

    (tmp_path / "salts").mkdir()
    run = anonymise(tmp_path / "salts")  # (said to "not exist")
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "salts is a folder" in run.stderr
    assert not out.exists()

    run = anonymise(make_salt(tmp_path / "secret" / "short.salt", "tooshort"))
    assert run.returncode == 2
    assert "is 8 bytes; at least 16 are needed" in run.stderr
    assert not out.exists()

    inside = make_salt(out / "force.salt")
    run = anonymise(inside)
    assert run.returncode == 2
    assert "is inside the output folder" in run.stderr
    assert [p.name for p in out.iterdir()] == ["force.salt"]  # nothing written beside it

    # with a good salt, the next check in line is reached
    run = anonymise(cli_release["salt"])
    assert run.returncode == 2 and "map points file not found" in run.stderr
    assert [p.name for p in out.iterdir()] == ["force.salt"]


def test_a_planted_leak_fails_check_release_with_exit_three(
    cli_release: dict, tmp_path: Path
) -> None:
    assert cli_release["anonymised"].returncode == 0, cli_release["anonymised"].stderr
    copy = tmp_path / "release-copy"
    shutil.copytree(cli_release["out"], copy)
    with open(FORCE_EXTRACT, newline="", encoding="utf-8") as handle:
        reference = next(csv.DictReader(handle))["Crime Reference"]
    public = copy / PUBLIC_NAME
    with open(public, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    rows[1][PUBLIC_COLUMNS.index("Context")] = f"see {reference}"
    with open(public, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)

    report = tmp_path / "report.json"
    run = plain_cli(
        "check-release",
        FORCE_EXTRACT,
        "--profile",
        FORCE_PROFILE,
        "--points",
        cli_release["points"],
        "--release",
        copy,
        "--report",
        report,
    )
    assert run.returncode == 3, run.stderr
    assert "Leak gate FAILED" in run.stderr and "- no_source_references:" in run.stderr
    assert run.stdout == ""
    data = json.loads(report.read_text(encoding="utf-8"))
    failed = [c["name"] for c in data["checks"] if not c["passed"]]
    assert not data["passed"] and failed == ["no_source_references"]
    # the original release is untouched and still passes
    run = plain_cli(
        "check-release",
        FORCE_EXTRACT,
        "--profile",
        FORCE_PROFILE,
        "--points",
        cli_release["points"],
        "--release",
        cli_release["out"],
    )
    assert run.returncode == 0, run.stderr


def test_release_commands_refuse_bad_inputs(cli_release: dict, tmp_path: Path) -> None:
    run = plain_cli("map-points", "history", tmp_path / "absent", "--out", tmp_path / "p.csv")
    assert run.returncode == 2 and f"not found: {tmp_path / 'absent'}" in run.stderr
    run = plain_cli("map-points", "history", *HISTORY, "--out", tmp_path / "p.gpkg")
    assert run.returncode == 2 and "written as a .csv" in run.stderr
    assert not (tmp_path / "p.csv").exists() and not (tmp_path / "p.gpkg").exists()

    out = tmp_path / "release"
    run = plain_cli(
        "anonymise",
        FORCE_EXTRACT,
        "--profile",
        FORCE_PROFILE,
        "--points",
        cli_release["points"],
        "--salt-file",
        cli_release["salt"],
        "--out",
        out,
        "--max-distance",
        "-5",
    )
    assert run.returncode == 2 and "--max-distance: must be a positive" in run.stderr
    no_category = tmp_path / "no-category.json"
    no_category.write_text(
        json.dumps(
            {
                "columns": {
                    "crime_ref": "Crime Reference",
                    "date": "Offence Date",
                    "x": "Easting",
                    "y": "Northing",
                }
            }
        ),
        encoding="utf-8",
    )
    run = plain_cli(
        "anonymise",
        FORCE_EXTRACT,
        "--profile",
        no_category,
        "--points",
        cli_release["points"],
        "--salt-file",
        cli_release["salt"],
        "--out",
        out,
    )
    assert run.returncode == 2 and "maps no column to a crime category" in run.stderr
    assert not out.exists()

    run = plain_cli(
        "check-release",
        FORCE_EXTRACT,
        "--profile",
        FORCE_PROFILE,
        "--points",
        cli_release["points"],
        "--release",
        tmp_path / "nothing-here",
    )
    missing = f"Output to check not found: {tmp_path / 'nothing-here'}"
    assert run.returncode == 2 and missing in run.stderr


def test_release_help_documents_the_exit_codes() -> None:
    for command, codes in (
        (("map-points", "history"), ("0  the map points", "2  nothing")),
        (("anonymise",), ("0  the release was written", "2  nothing", "3  the leak gate failed")),
        (("check-release",), ("0  the leak gate passed", "3  the leak")),
    ):
        run = plain_cli(*command, "--help")
        assert run.returncode == 0, run.stderr
        for code in codes:
            assert code in run.stdout, (command, code)
    run = plain_cli("--help")
    assert "3  the leak gate failed" in run.stdout


def test_anonymise_fails_closed_when_the_gate_fails(
    cli_release: dict,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    """A writer that leaks (a raw reference in Context) is stopped by the real gate on the
    staged CSV: exit 3, the previous release byte-identical, a new folder not even created."""
    from crime_mapper import cli as cli_module
    from crime_mapper.core.release import public_schema

    assert cli_release["anonymised"].returncode == 0, cli_release["anonymised"].stderr
    with open(FORCE_EXTRACT, newline="", encoding="utf-8") as handle:
        reference = next(csv.DictReader(handle))["Crime Reference"]
    real_writer = public_schema.write_public_csv

    def leaky_writer(public: pd.DataFrame, path: Path) -> None:
        public = public.copy()
        public.loc[public.index[0], "Context"] = reference
        real_writer(public, path)

    monkeypatch.setattr(public_schema, "write_public_csv", leaky_writer)
    previous = tmp_path / "previous"
    shutil.copytree(cli_release["out"], previous)
    before = {p.name: p.read_bytes() for p in previous.iterdir()}
    fresh = tmp_path / "fresh"
    for out in (previous, fresh):
        code = cli_module.main(
            [
                "anonymise",
                str(FORCE_EXTRACT),
                "--profile",
                str(FORCE_PROFILE),
                "--points",
                str(cli_release["points"]),
                "--salt-file",
                str(cli_release["salt"]),
                "--out",
                str(out),
            ]
        )
        err = capsys.readouterr().err
        assert code == 3
        assert "nothing was written" in err and "- no_source_references:" in err
    assert {p.name: p.read_bytes() for p in previous.iterdir()} == before
    assert not fresh.exists()


# --- the one dispatch shape --------------------------------------------------------------------


def test_every_error_the_command_line_reports_is_a_real_class() -> None:
    """The exit-code table names classes by module and name (so a command that fails early
    does not import the gate to say so): a renamed class would drop out of it silently."""
    import importlib

    from crime_mapper import cli as module

    for table in (module.GATE_ERRORS, module.INPUT_ERRORS):
        for dotted, name in table:
            found = getattr(importlib.import_module(f"crime_mapper.{dotted}"), name)
            assert isinstance(found, type) and issubclass(found, Exception), (dotted, name)


def test_an_unexpected_error_is_not_dressed_up_as_bad_input(monkeypatch, capsys) -> None:
    """A bug keeps its traceback; a core input error from any command is exit 2, one line;
    the gate's refusal is exit 3 with its text as it is."""
    from crime_mapper import cli as module
    from crime_mapper.core.gate.leak_gate import LeakError
    from crime_mapper.core.publish.neighbourhoods import NeighbourhoodError

    def failing(exc: Exception):
        def handler(_args) -> int:
            raise exc

        return handler

    real = module.build_parser

    def parser_with(handler):
        def build():
            parser = real()
            parser.set_defaults(handler=handler)
            for action in parser._subparsers._group_actions:
                for sub in action.choices.values():
                    sub.set_defaults(handler=handler)
            return parser

        return build

    monkeypatch.setattr(module, "build_parser", parser_with(failing(KeyError("bug"))))
    with pytest.raises(KeyError):
        module.main(["when", "x.csv", "--out", "y.html"])
    monkeypatch.setattr(
        module, "build_parser", parser_with(failing(NeighbourhoodError("no such\nfield")))
    )
    assert module.main(["when", "x.csv", "--out", "y.html"]) == 2
    assert capsys.readouterr().err == "crime_mapper: error: no such field\n"
    monkeypatch.setattr(module, "build_parser", parser_with(failing(LeakError("gate\nfailed"))))
    assert module.main(["when", "x.csv", "--out", "y.html"]) == 3
    assert capsys.readouterr().err == "crime_mapper: error: gate\nfailed\n"


def test_release_help_names_every_step_it_runs() -> None:
    """The help listed load, anonymise, hotspots and publish, and not the release QA
    ("check") that every run prints among its steps."""
    from crime_mapper.core.monthly.release import STEPS

    run = plain_cli("release", "--help")
    assert run.returncode == 0, run.stderr
    described = " ".join(run.stdout.split())  # (argparse wraps the description)
    listed = described[described.index("(") : described.index(")")]
    for step in STEPS:
        assert re.search(rf"\b{step}\b", listed), (step, listed)
