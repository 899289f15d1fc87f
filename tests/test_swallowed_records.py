"""A quote opened and never closed makes the rest of a file one record (as Python's csv
module reads it): one rejected row in the counts, which still reconcile, though the file
lost nearly all its crimes. The commands said "Counts reconcile: yes" and exited 0 with 4 of
2,407 crimes published. Now every command that loads says which file and which lines, exits
1 ("done, but an input file could be used only in part"), and a release's audit records it.

Real files: the bundled force extract and police.uk month with one quote planted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.load.mapping_profile import MappingProfile
from crime_mapper.core.load.validation_report import report_text, swallowed_records
from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE, HISTORY, make_salt, plain_cli

ROW = 5  # the data row the quote is planted in (1-based): the rest of the file follows it


def _damaged_force(path: Path, at_end: bool = False) -> tuple[Path, int]:
    """The force extract with a quote opened in one row's officer field and never closed
    (``at_end``: in the last row, so the record holds that line alone); its data rows."""
    lines = FORCE_EXTRACT.read_bytes().split(b"\r\n")
    header, rows = lines[0], [r for r in lines[1:] if r and b'"' not in r]
    index = len(rows) - 1 if at_end else ROW - 1
    fields = rows[index].split(b",")
    fields[7] = b'"PC 1 Smith'
    rows[index] = b",".join(fields)
    path.write_bytes(b"\r\n".join([header, *rows]) + b"\r\n")
    return path, len(rows)


def test_the_load_names_the_file_and_the_lines_it_lost(tmp_path):
    path, rows = _damaged_force(tmp_path / "2022-10-force.csv")
    result = load_extracts([str(path)], profile=MappingProfile.load(FORCE_PROFILE))
    assert len(result.crimes) == ROW - 1 and len(result.rejects) == 1
    damaged = swallowed_records(result.rejects)
    assert damaged == [
        f"2022-10-force.csv: a quote opened on line {ROW + 1} is never closed: the rest of the "
        f"file (lines {ROW + 1}-{rows + 1}) is this one record; none of those lines was "
        "loaded (close the quote and load the file again)"
    ]
    assert "Damaged files" in report_text(result) and damaged[0] in report_text(result)


def test_a_quote_left_open_on_the_last_line_is_an_ordinary_reject(tmp_path):
    path, rows = _damaged_force(tmp_path / "2022-10-force.csv", at_end=True)
    result = load_extracts([str(path)], profile=MappingProfile.load(FORCE_PROFILE))
    assert len(result.crimes) == rows - 1 and result.rejects["reason"].tolist() == [
        "unclosed_quote"
    ]
    assert swallowed_records(result.rejects) == []


@pytest.fixture(scope="module")
def damaged(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("swallowed")
    path, rows = _damaged_force(base / "2022-10-force.csv")
    return {"base": base, "path": path, "rows": rows}


def test_the_load_command_warns_and_exits_1(damaged):
    run = plain_cli("load", damaged["path"], "--profile", FORCE_PROFILE, "--out",
                    damaged["base"] / "load")  # fmt: skip
    assert run.returncode == 1, run.stderr
    assert "warning: 2022-10-force.csv: a quote opened on line 6 is never closed" in run.stderr
    assert "Damaged files" in run.stdout


def test_the_release_warns_exits_1_and_its_audit_says_so(damaged):
    base = damaged["base"]
    points = base / "points.csv"
    assert plain_cli("map-points", "history", *HISTORY, "--out", points).returncode == 0
    out = base / "release"
    salt = make_salt(base / "secret" / "s.salt")
    run = plain_cli("anonymise", damaged["path"], "--profile", FORCE_PROFILE, "--points",
                    points, "--salt-file", salt, "--out", out)  # fmt: skip
    assert run.returncode == 1, run.stderr
    assert "Counts reconcile: yes" in run.stdout  # (they do: one record, one reject)
    assert "Warning: 2022-10-force.csv: a quote opened on line 6" in run.stdout
    audit = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    assert any("never closed" in w and f"lines 6-{damaged['rows'] + 1}" in w
               for w in audit["warnings"])  # fmt: skip


def test_map_points_from_a_damaged_history_exit_1(tmp_path):
    month = HISTORY[0] / "2022-09-leicestershire-street.csv"
    lines = month.read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b",", b',"', 1)  # a quote opened in row 3's first field
    damaged = tmp_path / "2022-09-leicestershire-street.csv"
    damaged.write_bytes(b"\n".join(lines))
    run = plain_cli("map-points", "history", damaged, "--out", tmp_path / "points.csv")
    assert run.returncode == 1, run.stderr
    assert "is never closed" in run.stderr
