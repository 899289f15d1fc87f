"""A leak gate finding of a raw value (a name, a note's words) says where in the file it is:
a CSV's column and row, a GeoPackage's table, column and fid, a page's line and element, a
JSON file's key, a text file's line (core.gate.locate).

Why: "found in summaries/E01000001.html" left the analyst to search the file (or a folder
of thousands) for the cause. The place is found by reading the flagged file again only once
a finding exists, so a passing gate reads nothing more (the last test proves it).
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

from crime_mapper.core.gate import checks
from crime_mapper.core.gate.leak_gate import check_release
from tests.support.leak_world import (
    NAMES,
    copy_folder,
    expect_only,
    plant,
    write_csv,
    write_gpkg,
)
from tests.support.written_outputs import write_csv as write_release_csv


def _examples(report) -> list[str]:
    (check,) = [c for c in report.checks if c.name == "no_non_public_values"]
    assert not check.passed
    return check.examples


def test_release_csv_finding_names_column_and_row(world: dict, tmp_path: Path):
    public = world["public"].copy()
    public.loc[2, "Context"] = NAMES[0]
    _path, written = write_release_csv(tmp_path, public)  # (the release's own read of it)
    report = check_release(world["raw"], written, world["points"])
    expect_only(report, "no_non_public_values")
    assert (
        f"2022-10-force-street.csv: value of raw column extra_victim_name: {NAMES[0]!r}"
        " (at column 'Context' row 3)"
    ) in _examples(report)


def test_csv_value_in_another_case_inside_text(world: dict, tmp_path: Path):
    public = world["public"].copy()
    public.loc[5, "Location"] = f"On or near {NAMES[1].upper()} house"
    path = write_csv(public, tmp_path / "public.csv")  # (a file on disk, read by pandas)
    report = check_release(world["raw"], path, world["points"])
    (example,) = _examples(report)
    assert example.startswith("public.csv: value of raw column extra_victim_name inside text:")
    assert example.endswith(" (at column 'Location' row 6)")


def test_a_value_found_many_times_names_three_places_and_the_count(world: dict, tmp_path: Path):
    public = world["public"].copy()
    public.loc[10:49, "Context"] = NAMES[2]  # (40 rows: the 11th to the 50th)
    path = write_csv(public, tmp_path / "public.csv")
    report = check_release(world["raw"], path, world["points"])
    assert (
        f"public.csv: value of raw column extra_victim_name: {NAMES[2]!r}"
        " (at column 'Context' row 11; column 'Context' row 12; "
        "column 'Context' row 13; 40 places in all)"
    ) in _examples(report)


def test_dataframe_finding_names_column_and_row(world: dict):
    """A table handed to the gate (the summaries' call on the release they read) names
    its cells as the CSV it was read from does."""
    public = world["public"].copy()
    public.loc[[7, 30], "Location"] = f"On or near {NAMES[3]}"
    report = check_release(world["raw"], public, world["points"])
    assert (
        f"<DataFrame>: value of raw column extra_victim_name inside text: {NAMES[3]!r}"
        " (at column 'Location' row 8; column 'Location' row 31)"
    ) in _examples(report)


def test_geopackage_finding_names_table_column_and_fid(world: dict, tmp_path: Path):
    public = world["public"].copy()
    public.loc[4, "Context"] = NAMES[3]
    path = write_gpkg(public, tmp_path / "public.gpkg")  # (the real writer)
    with closing(sqlite3.connect(path)) as conn:  # (the fid the writer gave row 4)
        (fid,) = conn.execute(
            "SELECT fid FROM public_crimes WHERE Context = ?", (NAMES[3],)
        ).fetchone()
    report = check_release(world["raw"], path, world["points"])
    expect_only(report, "no_non_public_values")
    assert (
        f"public.gpkg: value of raw column extra_victim_name: {NAMES[3]!r}"
        f" (at table 'public_crimes' column 'Context' fid {fid})"
    ) in _examples(report)


def test_free_text_run_in_a_page_names_line_and_element(
    world: dict, clean_outputs: dict, tmp_path: Path
):
    site = copy_folder(clean_outputs["folder"], tmp_path)
    note = world["raw"]["extra_mo_notes"].iat[9]
    plant(
        site,
        "index.html",
        "<h1>",
        f"\n<div>\n<p>Officers said:\n{note}. Enquiries continue.</p></div>\n<h1>",
    )
    report = check_release(world["raw"], site, world["points"])
    expect_only(report, "no_non_public_values")
    found = [e for e in _examples(report) if "a run of words" in e]
    assert found and all(e.startswith("index.html: ") for e in found)
    assert all(e.endswith(" (at line 4 <p>)") for e in found), found
    assert note not in report.message()  # (never the whole free text, places included)


def test_name_in_geojson_names_its_key(world: dict, clean_outputs: dict, tmp_path: Path):
    site = copy_folder(clean_outputs["folder"], tmp_path)
    data = json.loads((site / "crimes.geojson").read_text(encoding="utf-8"))
    data["features"][2]["properties"]["victim"] = NAMES[1]
    (site / "crimes.geojson").write_text(json.dumps(data, indent=1), encoding="utf-8")
    report = check_release(world["raw"], site, world["points"])
    expect_only(report, "no_non_public_values")
    text = (site / "crimes.geojson").read_text(encoding="utf-8")
    line = text[: text.index(NAMES[1])].count("\n") + 1
    assert (
        f"crimes.geojson: value of raw column extra_victim_name: {NAMES[1]!r}"
        f" (at line {line:,} key features[2].properties.victim)"
    ) in _examples(report)


def test_name_in_a_data_script_and_a_text_file(world: dict, clean_outputs: dict, tmp_path: Path):
    site = copy_folder(clean_outputs["folder"], tmp_path)
    (site / "who.js").write_text(
        'window.WHO = {\n "team": "North",\n "seen": ["a", "' + NAMES[0] + '"]\n};\n',
        encoding="utf-8",
    )
    plant(site, "README.txt", "Month shown", f"Ask\n{NAMES[2]}.\nMonth shown")
    report = check_release(world["raw"], site, world["points"])
    examples = _examples(report)
    assert (
        f"who.js: value of raw column extra_victim_name: {NAMES[0]!r} (at line 3 key seen[1])"
    ) in examples
    assert (
        f"README.txt: value of raw column extra_victim_name inside text: {NAMES[2]!r} (at line 2)"
    ) in examples


def test_a_passing_gate_reads_no_file_again(world: dict, clean_outputs: dict, monkeypatch):
    """The place is looked for only once there is a finding: with the locator made to fail
    any check that calls it, every clean output still passes."""

    def refused(*_args, **_kwargs):
        raise AssertionError("a passing gate looked for a place")

    monkeypatch.setattr(checks, "locate", refused)
    for output in clean_outputs.values():
        report = check_release(world["raw"], output, world["points"])
        assert report.passed, report.message()
