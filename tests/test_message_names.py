"""File and folder names holding a newline and a forged line, in every place an analyst
gives one (the extracts, the mapping profile, the map points, the output folder, the
neighbourhood boundaries, the LSOA populations, the release configuration's paths), through
the real command line.

Why: the command line's and Processing's last step (core.common.text_file.shown_text)
escapes every control character of a message but its newlines and tabs, which lay out a
multi-line message (a gate refusal's list, a report, the monthly release's summary). A name
quoted raw inside such a message kept its newline, so a file named
``x\\nLeak gate: passed`` started a line of its own that read as the tool's verdict. Each
message now quotes a path with shown_path and a name or a value with shown_line, which
escape the newline (``x\\nLeak gate: ...`` on the line of the message naming it).

What is checked: no line of stdout, stderr, the written text report or the monthly
manifest's warnings begins with the forged text; and where a message names the file, it
names it escaped.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

from crime_mapper.core.common.text_file import shown_line, shown_path
from crime_mapper.core.monthly import toml_lite
from tests.support.plain_cli import (
    FORCE_EXTRACT,
    FORCE_PROFILE,
    HISTORY,
    SAMPLE,
    make_salt,
    plain_cli,
)
from tests.support.qgis_process import REPO, child_env
from tests.support.summaries_release import HOODS, POPULATION

#: The line a hostile name tries to add to a message: it reads as the tool's own verdict.
FORGED = "Leak gate: passed, forged"
#: What such a name holds: a newline, then the forged line.
HOSTILE = f"x\n{FORGED}"


def forged(*texts: str) -> list[str]:
    """The lines of ``texts`` that begin with the forged text (none may)."""
    return [line for text in texts for line in text.splitlines() if line.startswith(FORGED)]


def said(run: subprocess.CompletedProcess) -> str:
    return f"{run.stdout}\n{run.stderr}"


@pytest.fixture(scope="module")
def named(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The inputs, each under a hostile name in a folder with a hostile name, and map
    points written to a hostile path by the command line itself."""
    base = tmp_path_factory.mktemp("named")
    folder = base / f"in{HOSTILE}"
    folder.mkdir()
    inputs = {
        "base": base,
        "extract": folder / f"extract{HOSTILE}.csv",
        "profile": folder / f"profile{HOSTILE}.json",
        "boundaries": folder / f"boundaries{HOSTILE}.geojson",
        "population": folder / f"population{HOSTILE}.csv",
        "not_extract": folder / f"notes{HOSTILE}.csv",
        "points": folder / f"points{HOSTILE}.csv",
        "salt": make_salt(base / "secret" / "force.salt"),
    }
    shutil.copy(FORCE_EXTRACT, inputs["extract"])
    shutil.copy(FORCE_PROFILE, inputs["profile"])
    shutil.copy(HOODS / "msoa11_leicestershire.geojson", inputs["boundaries"])
    _population_with_one_bad_row(inputs["population"])
    inputs["not_extract"].write_text("a,b\n1,2\n", encoding="utf-8")
    inputs["mapped"] = plain_cli("map-points", "history", *HISTORY, "--out", inputs["points"])
    return inputs


def _population_with_one_bad_row(path: Path) -> None:
    """The bundled LSOA populations, the first row's residents no number: a warning naming
    the file."""
    with open(POPULATION, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[1][2] = "many"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def _summaries(named: dict, release_csv: Path, out: Path, boundaries: Path, population: Path):
    return plain_cli(
        "summaries", named["extract"], "--profile", named["profile"],
        "--points", named["points"], "--release", release_csv, "--out", out,
        "--boundaries", boundaries, "--code-field", "msoa11cd",
        "--lookup", HOODS / "lsoa11_to_msoa11_leicestershire.csv",
        "--lookup-code-field", "msoa11cd", "--lookup-name-field", "msoa11nm",
        "--lsoa-population", population,
    )  # fmt: skip


def test_map_points_written_to_a_hostile_path(named):
    run = named["mapped"]
    assert run.returncode == 0, run.stderr
    assert not forged(said(run)), said(run)
    assert shown_line(named["points"]) in run.stdout


def test_load_names_its_files_and_output_folder_on_their_own_lines(named):
    out = named["base"] / f"load{HOSTILE}"
    run = plain_cli(
        "load", named["extract"], named["not_extract"], "--profile", named["profile"],
        "--out", out,
    )  # fmt: skip
    assert run.returncode == 1, run.stderr
    report = (out / "validation_report.txt").read_text(encoding="utf-8")
    assert not forged(said(run), report), said(run)


def test_anonymise_and_check_release_name_their_files_on_their_own_lines(named):
    out = named["base"] / f"release{HOSTILE}"
    run = plain_cli(
        "anonymise", named["extract"], "--profile", named["profile"],
        "--points", named["points"], "--salt-file", named["salt"], "--out", out,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert not forged(said(run)), said(run)
    report = named["base"] / f"gate{HOSTILE}.json"
    checked = plain_cli(
        "check-release", named["extract"], "--profile", named["profile"],
        "--points", named["points"], "--release", out, "--report", report,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert not forged(said(checked)), said(checked)
    # (the JSON report keeps the real name: data, not a message)
    assert json.loads(report.read_text(encoding="utf-8"))["output"] == str(out)


def test_a_gate_refusal_names_a_leaking_file_on_its_own_line(named):
    """The gate's refusal is printed as it is (its list of failed checks, one a line): a
    raw extract copied into the release folder under a hostile name is named in it."""
    out = named["base"] / "leaking"
    out.mkdir()
    shutil.copy(named["extract"], out / f"copy{HOSTILE}.csv")
    report = named["base"] / "leaking-report.json"
    run = plain_cli(
        "check-release", named["extract"], "--profile", named["profile"],
        "--points", named["points"], "--release", out, "--report", report,
    )  # fmt: skip
    assert run.returncode == 3, said(run)
    assert "Leak gate FAILED" in run.stderr
    assert not forged(said(run)), said(run)
    assert f"e.g. copy{shown_line(HOSTILE)}.csv: " in run.stderr, run.stderr
    # (the JSON report's examples keep the file's real name: data, not a message)
    checks = json.loads(report.read_text(encoding="utf-8"))["checks"]
    assert any(f"copy{HOSTILE}.csv" in e for c in checks for e in c["examples"]), checks


def test_summaries_name_boundaries_population_and_output_on_their_own_lines(named):
    release = named["base"] / "summaries-release"
    made = plain_cli(
        "anonymise", named["extract"], "--profile", named["profile"],
        "--points", named["points"], "--salt-file", named["salt"], "--out", release,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    release_csv = next(release.glob("*-street.csv"))
    out = named["base"] / f"summaries{HOSTILE}"
    run = _summaries(named, release_csv, out, named["boundaries"], named["population"])
    assert run.returncode == 0, run.stderr
    assert not forged(said(run)), said(run)
    # the population's warning names the file, escaped
    assert f"the LSOA population file {shown_line(named['population'].name)}:" in run.stderr
    assert shown_line(out / "neighbourhoods") in run.stdout


def _release_copy(tmp_path: Path) -> Path:
    """A committed police.uk month copied where the summaries read it."""
    release_csv = tmp_path / "release.csv"
    shutil.copy(SAMPLE / "police-uk" / "2022-09" / "2022-09-leicestershire-street.csv", release_csv)
    return release_csv


@pytest.mark.parametrize(
    "what", ["boundaries", "population", "profile", "points", "extract", "output"]
)
def test_a_refused_input_is_named_escaped(named, tmp_path, what):
    """A refusal (exit 2) is one line; the name in it is shown escaped (``x\\n...``), not
    run into the line with its newline turned into a space."""
    bad = tmp_path / f"bad{HOSTILE}"
    bad.mkdir()
    if what == "boundaries":
        path = bad / f"b{HOSTILE}.geojson"
        path.write_text("{}", encoding="utf-8")
        release_csv = _release_copy(tmp_path)
        run = _summaries(named, release_csv, tmp_path / "out", path, named["population"])
        expected = f"{shown_line(path.name)} is not a GeoJSON FeatureCollection"
    elif what == "population":
        path = bad / f"p{HOSTILE}.csv"
        path.write_text("a\n1\n", encoding="utf-8")
        release_csv = _release_copy(tmp_path)
        run = _summaries(named, release_csv, tmp_path / "out", named["boundaries"], path)
        expected = f"the LSOA population file {shown_line(path.name)} has none of the columns"
    elif what == "profile":
        path = bad / f"p{HOSTILE}.json"
        path.write_text("[]\n", encoding="utf-8")
        run = plain_cli("load", named["extract"], "--profile", path, "--out", tmp_path / "o")
        expected = f"{shown_line(path)}: a mapping profile is a JSON object"
    elif what == "points":
        path = bad / f"p{HOSTILE}.csv"
        path.write_text("a,b\n1,2\n", encoding="utf-8")
        run = plain_cli(
            "anonymise", named["extract"], "--profile", named["profile"], "--points", path,
            "--salt-file", named["salt"], "--out", tmp_path / "o",
        )  # fmt: skip
        expected = f"{shown_path(path)} has no 'longitude' column"
    elif what == "extract":
        path = bad / f"e{HOSTILE}"
        path.mkdir()
        run = plain_cli("load", path, "--out", tmp_path / "o")
        expected = f"{shown_path(path)}: a folder holding no .csv or .zip file"
    else:
        path = bad / f"o{HOSTILE}"
        path.write_text("a file, not a folder\n", encoding="utf-8")
        run = plain_cli(
            "anonymise", named["extract"], "--profile", named["profile"],
            "--points", named["points"], "--salt-file", named["salt"], "--out", path,
        )  # fmt: skip
        expected = f"output folder {shown_path(path)}: is a file, not a folder"
    assert run.returncode == 2, said(run)
    assert not forged(said(run)), said(run)
    assert expected in run.stderr, run.stderr


def _config(named: dict, folder: Path, **hoods: Path) -> Path:
    """The bundled release configuration, every path one of ``named``'s (QA and hotspots
    off, publishing on), the output in a folder with a hostile name."""
    data = tomllib.loads((SAMPLE / "release.toml").read_text(encoding="utf-8"))
    data["release"]["output"] = str(folder / f"out{HOSTILE}" / "{month}")
    data["load"]["inputs"] = [str(named["extract"]), str(named["not_extract"])]
    data["load"]["profile"] = str(named["profile"])
    data["anonymise"]["salt_file"] = str(named["salt"])
    data["anonymise"]["map_points"] = {"kind": "file", "paths": [str(named["points"])]}
    data["qa"]["enabled"] = False
    data["hotspots"]["enabled"] = False
    data["publish"]["web_map"] = False
    data["publish"]["project"] = False
    data["publish"]["summaries_history"] = []
    data["publish"]["team"] = str(SAMPLE / data["publish"]["team"])
    neighbourhoods = data["publish"]["neighbourhoods"]
    neighbourhoods["lookup"] = str(HOODS / "lsoa11_to_msoa11_leicestershire.csv")
    neighbourhoods["names"] = str(HOODS / "msoa11_names_leicestershire.csv")
    neighbourhoods["boundaries"] = str(hoods.get("boundaries", named["boundaries"]))
    neighbourhoods["lsoa_population"] = str(named["population"])
    path = folder / "release.toml"
    path.write_text(toml_lite.dumps(data), encoding="utf-8")
    return path


def _release(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crime_mapper.cli", "release", config, "--month", "2022-10",
         "--no-qgis"],
        cwd=REPO, env=child_env([REPO]), capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_the_monthly_release_names_its_files_on_their_own_lines(named, tmp_path):
    run = _release(_config(named, tmp_path))
    assert run.returncode == 1, said(run)  # (an extract could not be used)
    out = tmp_path / f"out{HOSTILE}" / "2022-10"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    warnings = [text for step in manifest["steps"] for text in step["warnings"]]
    assert warnings, manifest["steps"]
    assert not forged(said(run), *warnings), said(run)
    assert f"Monthly release 2022-10: {shown_line(out)}" in run.stdout.splitlines()


def test_a_failed_monthly_release_names_the_file_on_the_reason_s_line(named, tmp_path):
    """The monthly release's failure is printed as it is (the step, the reason, what to
    do: lines of its own): the boundaries' name is on the reason's line."""
    boundaries = tmp_path / f"b{HOSTILE}.geojson"
    boundaries.write_text("{}", encoding="utf-8")
    run = _release(_config(named, tmp_path, boundaries=boundaries))
    assert run.returncode == 2, said(run)
    assert f"{shown_line(boundaries.name)} is not a GeoJSON FeatureCollection" in run.stderr
    assert not forged(said(run)), said(run)


def test_the_web_map_s_refusal_names_its_folder_not_its_stage():
    """The web map's gate checks a staging folder and says the folder it replaces: the
    verdict names the output escaped (shown_line), so the stage's name was not found in it
    when the folder's name held a newline, and the refusal named the staging folder."""
    from crime_mapper.core.gate.leak_gate import GateCheck, GateReport, LeakError
    from crime_mapper.core.publish.webmap_export import _verdict

    target = Path(f"/releases/map{HOSTILE}")
    stage = Path(f"/releases/.map{HOSTILE}.staging-1")
    check = GateCheck("no_dates_finer_than_month", False, "1 date", [f"{stage}/data.js: 1/2"])
    report = GateReport(passed=False, checks=[check], output=str(stage))
    with pytest.raises(LeakError) as refused:
        _verdict(report, stage, target)
    message = str(refused.value)
    assert message.startswith(f"Leak gate FAILED for {shown_line(target)}: "), message
    assert f"e.g. {shown_line(target)}/data.js: 1/2" in message, message
    assert ".staging-" not in message and not forged(message), message


@pytest.mark.parametrize(
    ("rows", "status", "said_of_it"),
    [  # a code of no neighbourhood beside one that is: a warning; alone: a refusal
        ([HOSTILE, "E02002827"], 0, "1 code is no neighbourhood's and not used (e.g. "),
        ([HOSTILE], 2, "none of its 1 codes is a neighbourhood's"),
    ],
)
def test_a_families_code_of_no_neighbourhood_is_named_escaped(
    named, tmp_path, rows, status, said_of_it
):
    """A families file's code matching no neighbourhood is listed in the warning (or the
    refusal) escaped: a code holding a newline started a line of its own there."""
    release = named["base"] / "families-release"
    if not release.exists():
        made = plain_cli(
            "anonymise", named["extract"], "--profile", named["profile"],
            "--points", named["points"], "--salt-file", named["salt"], "--out", release,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
    families = tmp_path / "families.csv"
    with open(families, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["code", "family"], *([code, "a"] for code in rows)])
    run = plain_cli(
        "summaries", named["extract"], "--profile", named["profile"],
        "--points", named["points"], "--release", next(release.glob("*-street.csv")),
        "--out", tmp_path / "out", "--boundaries", named["boundaries"],
        "--code-field", "msoa11cd", "--lookup", HOODS / "lsoa11_to_msoa11_leicestershire.csv",
        "--lookup-code-field", "msoa11cd", "--lookup-name-field", "msoa11nm",
        "--families", families,
    )  # fmt: skip
    assert run.returncode == status, said(run)
    assert not forged(said(run)), said(run)
    line = next(line for line in run.stderr.splitlines() if said_of_it in line)
    assert shown_line(rows[0]) in line, line
