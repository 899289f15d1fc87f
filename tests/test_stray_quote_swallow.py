"""A stray quote that a later quote closes makes every line between one record, as Python's
csv module reads it: one rejected row (malformed_quotes) in counts that still reconcile. A
police.uk month of 60 crimes loaded as "Rows read 12", exit 0, not a word: the warning and
the exit 1 were given only to a quote never closed (unclosed_quote). Now any rejected
record of several physical lines is warned of by the load, the release and the map points,
and the report says how many physical lines such records hold, so rows read and ``wc -l``
can be compared.

A quoted cell that holds a line break and is read as one good row is not warned of.

Real files: the bundled police.uk month and force extract, cut short, with quotes planted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.load.mapping_profile import MappingProfile
from crime_mapper.core.load.validation_report import report_dict, report_text, swallowed_records
from crime_mapper.qgis_bridge.run_load import run_load
from tests.support.plain_cli import (
    FORCE_EXTRACT,
    FORCE_PROFILE,
    HISTORY,
    SAMPLE,
    make_salt,
    plain_cli,
)

MONTH = SAMPLE / "police-uk" / "2022-09" / "2022-09-leicestershire-street.csv"
NAME = "2022-09-leicestershire-street.csv"
ROWS = 60  # data rows kept from the bundled month
STRAY, CLOSE = 3, 51  # physical lines: the stray quote, the quoted Location that closes it


def _police_uk(folder: Path, quote_location: int, stray: bool = True) -> Path:
    """The month's header and first ROWS rows, the Location on line ``quote_location``
    quoted, and (``stray``) a quote at the start of line STRAY."""
    lines = MONTH.read_bytes().split(b"\r\n")[: ROWS + 1]
    fields = lines[quote_location - 1].split(b",")
    fields[6] = b'"' + fields[6] + b'"'
    lines[quote_location - 1] = b",".join(fields)
    if stray:
        lines[STRAY - 1] = b'"' + lines[STRAY - 1]
    path = folder / NAME
    path.write_bytes(b"\r\n".join(lines) + b"\r\n")
    return path


def _force(folder: Path) -> Path:
    """The force extract's header and three rows, the second two with a quoted MO Notes
    cell, and a quote at the start of line 2: it is closed by line 3's first quote."""
    lines = FORCE_EXTRACT.read_bytes().split(b"\r\n")
    quoted = [line for line in lines[1:] if b',"' in line]
    plain = [line for line in lines[1:] if line and b'"' not in line]
    path = folder / "2022-10-force.csv"
    path.write_bytes(b"\r\n".join([lines[0], b'"' + plain[0], *quoted[:2]]) + b"\r\n")
    return path


def _line_break_in_location(folder: Path) -> Path:
    """The police.uk rows with line 4's Location quoted and holding a line break."""
    path = _police_uk(folder, 4, stray=False)
    data = path.read_bytes().split(b"\r\n")
    data[3] = data[3].replace(b'"On or near ', b'"On or near\r\n', 1)
    assert data[3].count(b"\r\n") == 1
    path.write_bytes(b"\r\n".join(data))
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("stray_quote")


@pytest.fixture(scope="module")
def police_uk(folder) -> Path:
    (folder / "puk").mkdir()
    return _police_uk(folder / "puk", CLOSE)


def test_the_load_warns_of_the_lines_a_stray_quote_swallowed(police_uk):
    result = load_extracts([str(police_uk)])
    held = CLOSE - STRAY + 1
    assert len(result.rejects) == 1 and result.rejects["reason"].tolist() == ["malformed_quotes"]
    assert len(result.crimes) == ROWS - held
    assert swallowed_records(result.rejects) == [
        f"{NAME}: a quote swallowed lines {STRAY}-{CLOSE} ({held} physical lines) into one "
        "record, rejected as malformed_quotes: text follows a closing quote (the quotes "
        "would be dropped from the cell); none of those lines was loaded (look for a stray "
        f"quote from line {STRAY} on and load the file again)"
    ]
    report = report_dict(result)
    assert report["totals"]["rows_read"] == ROWS - held + 1 and report["reconciles"]
    assert report["swallowed_lines"] == held and report["files"][0]["swallowed_lines"] == held
    rows_read = report["files"][0]["rows_read"]
    assert rows_read - len(report["swallowed_records"]) + report["swallowed_lines"] == ROWS
    text = report_text(result)
    assert (
        "Damaged files: a quote made one record of many lines (1 rejected record(s) holding "
        f"{held} physical lines, each record one row read):" in text
    )


def test_the_load_command_warns_and_exits_1(police_uk, folder):
    run = plain_cli("load", police_uk, "--out", folder / "puk_load")
    assert run.returncode == 1, run.stderr
    assert "Rows read 12 = accepted 11 + rejected 1" in run.stdout
    assert f"warning: {NAME}: a quote swallowed lines {STRAY}-{CLOSE} (49 physical" in run.stderr
    report = json.loads((folder / "puk_load" / "validation_report.json").read_text("utf-8"))
    assert report["swallowed_lines"] == 49 and len(report["swallowed_records"]) == 1


def test_the_dock_and_processing_load_report_it(police_uk, folder):
    """The dock shows, and the Processing algorithm logs, the load's report_text; their
    damaged list is what a monthly release warns of."""
    outputs = run_load([police_uk], folder / "qgis_load")
    assert len(outputs.damaged) == 1 and f"swallowed lines {STRAY}-{CLOSE}" in outputs.damaged[0]
    assert "Damaged files: a quote made one record of many lines" in outputs.report_text
    assert outputs.damaged[0] in outputs.report_text


def test_the_release_and_the_map_points_warn_and_exit_1(police_uk, folder):
    points = folder / "points.csv"
    history = plain_cli("map-points", "history", police_uk, "--out", points)
    assert history.returncode == 1, history.stderr
    assert f"a quote swallowed lines {STRAY}-{CLOSE}" in history.stderr
    assert plain_cli("map-points", "history", *HISTORY, "--out", points).returncode == 0
    out = folder / "release"
    salt = make_salt(folder / "secret" / "s.salt")
    run = plain_cli("anonymise", police_uk, "--points", points, "--salt-file", salt,
                    "--out", out, "--no-gpkg")  # fmt: skip
    assert run.returncode == 1, run.stderr
    assert "Counts reconcile: yes" in run.stdout
    assert f"Warning: {NAME}: a quote swallowed lines {STRAY}-{CLOSE}" in run.stdout
    audit = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    assert any(f"swallowed lines {STRAY}-{CLOSE}" in w for w in audit["warnings"])


def test_the_force_extract_variant_warns_and_exits_1(tmp_path):
    path = _force(tmp_path)
    result = load_extracts([str(path)], profile=MappingProfile.load(FORCE_PROFILE))
    assert report_dict(result)["totals"]["rows_read"] == 2 and len(result.crimes) == 1
    assert swallowed_records(result.rejects) == [
        "2022-10-force.csv: a quote swallowed lines 2-3 (2 physical lines) into one record, "
        "rejected as malformed_quotes: text follows a closing quote (the quotes would be "
        "dropped from the cell); none of those lines was loaded (look for a stray quote from "
        "line 2 on and load the file again)"
    ]
    run = plain_cli("load", path, "--profile", FORCE_PROFILE, "--out", tmp_path / "load")
    assert run.returncode == 1, run.stderr
    assert "warning: 2022-10-force.csv: a quote swallowed lines 2-3" in run.stderr


def test_a_quoted_line_break_read_as_one_good_row_is_not_warned_of(tmp_path):
    path = _line_break_in_location(tmp_path)
    result = load_extracts([str(path)])
    assert len(result.crimes) == ROWS and len(result.rejects) == 0
    assert "On or near\r\n" in result.crimes["location"].iloc[2]
    assert swallowed_records(result.rejects) == []
    report = report_dict(result)
    assert report["swallowed_lines"] == 0 and report["files"][0]["swallowed_lines"] == 0
    assert "Damaged files" not in report_text(result)
    run = plain_cli("load", path, "--out", tmp_path / "load")
    assert run.returncode == 0, run.stderr
    assert "warning" not in run.stderr
