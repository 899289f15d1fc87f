"""Every leak gate finding about a particular value says where in the file it is, not only
the raw-value ones (tests/test_gate_finding_place.py): a coordinate that is no map point, a
raw crime's coordinate, a day-level date or a time, a raw timestamp written as a number, a
crime reference (as written, hashed, in another case, inside text), a phone number or an
e-mail address, an "On or near" address, a raw easting written in a page.

Why: "public.csv: dd/mm/yyyy date '25/10/2022'" left an analyst facing a refusal of a
national CSV of 500,000 rows to search it for the row. The place is found as the raw
values' is (core.gate.locate: the flagged file read again only once a finding exists), so a
passing gate reads nothing more (tests/test_gate_finding_place.py's last test), and a
failure to find a place never turns a refusal into a pass (the last tests here).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.common.position_codec import decode_positions, encode_positions
from crime_mapper.core.gate import checks, locate
from crime_mapper.core.gate.leak_gate import GateReport, check_release
from crime_mapper.core.io.gpkg_write import PointTable, write_geopackage
from crime_mapper.core.release.public_schema import PUBLIC_COLUMNS
from tests.support.leak_world import copy_folder, plant, raw_row, refs, write_csv, write_gpkg


def _examples(report: GateReport, name: str) -> list[str]:
    (check,) = [c for c in report.checks if c.name == name]
    assert not check.passed, report.message()
    return check.examples


def _raw_located(world: dict) -> pd.Series:
    """A raw crime with a location that is not at a map point (its coordinate leaks)."""
    raw = world["raw"]
    return raw[np.isfinite(raw["longitude"].to_numpy(np.float64))].iloc[7]


def _leaky_table(world: dict) -> pd.DataFrame:
    """The release with one leak of each kind in its own row (rows counted from 1 under
    the header: the table's index + 1)."""
    public = world["public"].copy()
    row = _raw_located(world)
    public.loc[5, "Longitude"] = f"{row['longitude']:.6f}"  # row 6: a raw coordinate
    public.loc[5, "Latitude"] = f"{row['latitude']:.6f}"
    public.loc[12, "Longitude"] = "-1.000001"  # row 13: no map point
    public.loc[12, "Latitude"] = "52.000001"
    public.loc[20, "Context"] = "Reported on 25/10/2022 at 14:35"  # row 21
    public.loc[33, "Context"] = "Call 0116 496 0123"  # row 34
    public.loc[41, "Crime ID"] = refs(world)[3]  # row 42
    public.loc[50, "Location"] = "On or near 12 High Street"  # row 51
    return public


def _expect_table_places(report: GateReport, name: str, cell: str, coords: str) -> None:
    """Each check names the row of its leak: ``cell``: a cell's place with {column} and
    {row}; ``coords``: a coordinate's with {row}."""
    not_points = _examples(report, "coordinates_are_map_points")
    assert any(
        e.startswith(f"{name}: (-1.000001, 52.000001) in ")
        and e.endswith(f" (at {coords.format(row=13)})")
        for e in not_points
    ), not_points
    raw_found = _examples(report, "no_raw_coordinates")
    assert any(
        "raw WGS84 coordinate" in e and e.endswith(f" (at {coords.format(row=6)})")
        for e in raw_found
    ), raw_found
    assert (
        f"{name}: dd/mm/yyyy date '25/10/2022' (at {cell.format(column='Context', row=21)})"
        in _examples(report, "no_dates_finer_than_month")
    )
    assert f"{name}: time '14:35' (at {cell.format(column='Context', row=21)})" in _examples(
        report, "no_dates_finer_than_month"
    )
    assert (
        f"{name}: phone number '0116 496 0123' (at {cell.format(column='Context', row=34)})"
        in _examples(report, "no_contact_details")
    )
    references = _examples(report, "no_source_references")
    assert any(
        e.startswith(f"{name}: source reference ")
        and e.endswith(f" (at {cell.format(column='Crime ID', row=42)})")
        for e in references
    ), references
    assert (
        f"{name}: an address, not a street, as a location: 'On or near 12 High Street'"
        f" (at {cell.format(column='Location', row=51)})"
    ) in _examples(report, "locations_are_anonymous")


def test_csv_findings_name_their_rows(world: dict, tmp_path: Path):
    path = write_csv(_leaky_table(world), tmp_path / "public.csv")  # (the release's writer)
    report = check_release(world["raw"], path, world["points"])
    _expect_table_places(
        report,
        "public.csv",
        "column '{column}' row {row}",
        "columns 'Longitude'/'Latitude' row {row}",
    )


def test_dataframe_findings_name_their_rows(world: dict):
    report = check_release(world["raw"], _leaky_table(world), world["points"])
    _expect_table_places(
        report,
        "<DataFrame>",
        "column '{column}' row {row}",
        "columns 'Longitude'/'Latitude' row {row}",
    )


def test_geopackage_findings_name_their_features(world: dict, tmp_path: Path):
    public = _leaky_table(world)
    path = write_gpkg(public, tmp_path / "public.gpkg")  # (the real writer)
    with closing(sqlite3.connect(path)) as conn:  # (the fid the writer gave each row)
        fids = [r[0] for r in conn.execute("SELECT fid FROM public_crimes ORDER BY fid")]
    assert len(fids) == len(public)
    report = check_release(world["raw"], path, world["points"])
    not_points = _examples(report, "coordinates_are_map_points")
    for where in ("attributes Longitude/Latitude", "geometry"):  # (both hold it)
        assert (
            f"public.gpkg: (-1.000001, 52.000001) in layer public_crimes {where}"
            f" (at table 'public_crimes' fid {fids[12]})"
        ) in not_points, not_points
    assert any(
        e.endswith(f" geometry (at table 'public_crimes' fid {fids[5]})")
        for e in _examples(report, "no_raw_coordinates")
    )
    assert (
        "public.gpkg: dd/mm/yyyy date '25/10/2022'"
        f" (at table 'public_crimes' column 'Context' fid {fids[20]})"
    ) in _examples(report, "no_dates_finer_than_month")
    assert (
        "public.gpkg: phone number '0116 496 0123'"
        f" (at table 'public_crimes' column 'Context' fid {fids[33]})"
    ) in _examples(report, "no_contact_details")
    assert any(
        e.endswith(f" (at table 'public_crimes' column 'Crime ID' fid {fids[41]})")
        for e in _examples(report, "no_source_references")
    )


def test_a_coordinate_found_many_times_names_three_rows_and_the_count(world: dict, tmp_path: Path):
    public = world["public"].copy()
    public.loc[30:39, "Longitude"] = "-1.000001"  # (10 rows: the 31st to the 40th)
    public.loc[30:39, "Latitude"] = "52.000001"
    path = write_csv(public, tmp_path / "public.csv")
    report = check_release(world["raw"], path, world["points"])
    assert (
        "public.csv: (-1.000001, 52.000001) in CSV Longitude/Latitude (at columns "
        "'Longitude'/'Latitude' row 31; columns 'Longitude'/'Latitude' row 32; "
        "columns 'Longitude'/'Latitude' row 33; 10 places in all)"
    ) in _examples(report, "coordinates_are_map_points")


def test_hashed_reference_names_its_cell(world: dict):
    public = world["public"].copy()
    public.loc[8, "Crime ID"] = hashlib.sha256(refs(world)[0].encode()).hexdigest().upper()
    report = check_release(world["raw"], public, world["points"])
    (example,) = _examples(report, "no_source_references")
    assert example.startswith("<DataFrame>: unsalted sha256 of source reference ")
    assert example.endswith(" (at column 'Crime ID' row 9)")


def test_web_map_folder_findings_name_lines_keys_and_elements(
    world: dict, clean_outputs: dict, tmp_path: Path
):
    site = copy_folder(clean_outputs["folder"], tmp_path)
    data = json.loads((site / "crimes.geojson").read_text(encoding="utf-8"))
    data["features"][3]["geometry"]["coordinates"][0] += 0.0005
    (site / "crimes.geojson").write_text(json.dumps(data, indent=1), encoding="utf-8")
    geojson = (site / "crimes.geojson").read_text(encoding="utf-8")
    moved = f"{data['features'][3]['geometry']['coordinates'][0]!r}"
    line = geojson[: geojson.index(moved)].count("\n") + 1
    (site / "points.js").write_text(  # (a web map's [lat, lon] in a data script)
        'window.POINTS = {\n "points": [\n  [52.61111, -1.11111]\n ]\n};\n', encoding="utf-8"
    )
    plant(
        site,
        "index.html",
        "<h1>",
        f"\n<p>Seen 25/10/2022,\nring <b>0116 496 0123</b></p>\n<h1 title='Case {refs(world)[7]}'>",
    )
    report = check_release(world["raw"], site, world["points"])
    not_points = _examples(report, "coordinates_are_map_points")
    assert any(
        e.startswith("crimes.geojson: ")
        and e.endswith(f" (at line {line} key features[3].geometry.coordinates)")
        for e in not_points
    ), not_points
    assert any(
        e.startswith("points.js: (-1.111110, 52.611110) ")
        and e.endswith(" (at line 3 key points[0])")
        for e in not_points
    ), not_points
    assert "index.html: dd/mm/yyyy date '25/10/2022' (at line 2 <p>)" in _examples(
        report, "no_dates_finer_than_month"
    )
    assert "index.html: phone number '0116 496 0123' (at line 3 <b>)" in _examples(
        report, "no_contact_details"
    )
    assert any(
        e.startswith("index.html: source reference ") and e.endswith(" (at line 4 <h1 title>)")
        for e in _examples(report, "no_source_references")
    )


def test_raw_timestamp_and_easting_in_text_name_their_lines(
    world: dict, clean_outputs: dict, tmp_path: Path
):
    site = copy_folder(clean_outputs["folder"], tmp_path)
    row = raw_row(world)
    epoch_ms = int(pd.Timestamp(row["occurred_at"]).value // 1_000_000)
    plant(
        site,
        "README.txt",
        "Month shown",
        f"Logged\nas {epoch_ms}\nGrid\nreference {row['source_x']:.0f} {row['source_y']:.0f}."
        "\nMonth shown",
    )
    report = check_release(world["raw"], site, world["points"])
    assert (f"README.txt: raw date/time written as the number {epoch_ms} (at line 2)") in (
        _examples(report, "no_dates_finer_than_month")
    )
    found = _examples(report, "no_raw_coordinates")
    assert any(e.startswith("README.txt: raw ") and e.endswith(" (at line 4)") for e in found), (
        found
    )


def test_a_place_never_shows_more_of_a_value_than_the_finding(world: dict, tmp_path: Path):
    """The finding cuts a long e-mail address (the gate's report is shown to people); its
    place names the column and row, not the address."""
    address = "margaret.thornbury.witness.statement@example.police.uk"
    public = world["public"].copy()
    public.loc[17, "Context"] = f"Write to {address}"
    report = check_release(world["raw"], write_csv(public, tmp_path / "p.csv"), world["points"])
    (example,) = _examples(report, "no_contact_details")
    assert example.endswith(" (at column 'Context' row 18)")
    assert address not in report.message()


# --- fail closed -----------------------------------------------------------------------------
def test_a_place_that_cannot_be_found_leaves_the_refusal(
    world: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A locator that breaks on a file: the findings stand as the checks wrote them, every
    check that failed still fails."""

    def broken(*_args, **_kwargs):
        raise OSError("the file went away")

    path = write_csv(_leaky_table(world), tmp_path / "public.csv")
    clean = check_release(world["raw"], path, world["points"])
    monkeypatch.setitem(locate._POINT_READERS, "csv", broken)
    monkeypatch.setitem(locate._READERS, "csv", broken)
    report = check_release(world["raw"], path, world["points"])
    assert not report.passed
    assert [c.name for c in report.failed()] == [c.name for c in clean.failed()]
    for check in report.failed():
        assert check.examples and not any(" (at " in e for e in check.examples)


def test_a_locator_that_raises_fails_the_check_closed(
    world: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """An error outside the locator's own guard (here: the locator itself raising) fails
    the check it was called from: never a pass."""

    def raising(*_args, **_kwargs):
        raise RuntimeError("locate broke")

    path = write_csv(_leaky_table(world), tmp_path / "public.csv")
    clean = check_release(world["raw"], path, world["points"])
    monkeypatch.setattr(checks, "locate", raising)
    report = check_release(world["raw"], path, world["points"])
    assert not report.passed
    assert {c.name for c in report.failed()} >= {c.name for c in clean.failed()}
    assert "locate broke" in report.message()


def test_projected_geopackage_feature_is_named_by_its_fid(world: dict, tmp_path: Path):
    """A layer in British National Grid with one crime at its raw easting and northing:
    its coordinate is found as the gate reads it (transformed to WGS84), by its feature."""
    raw = world["raw"]
    public = world["public"].copy().reset_index(drop=True)
    public["_x"] = 400000.0  # (the others: one place that is no crime's)
    public["_y"] = 300000.0
    public.loc[9, "_x"] = float(raw["source_x"].iat[9])
    public.loc[9, "_y"] = float(raw["source_y"].iat[9])
    public.loc[9, "Context"] = "moved"
    path = tmp_path / "bng.gpkg"
    table = PointTable("crimes", public, dict.fromkeys(PUBLIC_COLUMNS, "string"), "_x", "_y")
    write_geopackage(path, [replace(table, srs_id=27700)])
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(
            "INSERT INTO gpkg_spatial_ref_sys VALUES ('British National Grid', 27700, "
            "'EPSG', 27700, 'PROJCS[\"OSGB36 / British National Grid\"]', '')"
        )
        (fid,) = conn.execute("SELECT fid FROM crimes WHERE Context = 'moved'").fetchone()
    report = check_release(raw, path, world["points"])
    found = [e for e in _examples(report, "no_raw_coordinates") if "WGS84" in e]
    assert found and all(e.endswith(f" (at table 'crimes' fid {fid})") for e in found), found


def test_a_non_public_column_is_named_by_its_place(world: dict, tmp_path: Path):
    public = world["public"].copy()
    public.insert(4, "Officer", "PC 1234")  # (the 5th column)
    path = tmp_path / "public.csv"
    public.to_csv(path, index=False)
    report = check_release(world["raw"], path, world["points"])
    assert "public.csv (CSV): non-public columns 'Officer' (at column 5)" in _examples(
        report, "public_schema"
    )


def test_columns_out_of_order_name_the_first_out_of_place(world: dict):
    public = world["public"].copy()
    columns = list(public.columns)
    columns[6], columns[7] = columns[7], columns[6]  # (Location before Latitude)
    report = check_release(world["raw"], public[columns], world["points"])
    assert "<DataFrame> (table): columns out of order or repeated (at column 7)" in (
        _examples(report, "public_schema")
    )


def test_a_retyped_reference_names_its_file_and_place(
    world: dict, clean_outputs: dict, tmp_path: Path
):
    """A reference in another case and other punctuation ("lp-20003-22" for LP/20003/22)
    is found in the output's text squeezed as a whole, which named no file."""
    reference = refs(world)[3]
    retyped = "-".join(part.lower() for part in reference.split("/"))
    assert retyped != reference and len(retyped) >= 8
    public = world["public"].copy()
    public.loc[14, "Context"] = f"see {retyped} for more"
    report = check_release(world["raw"], write_csv(public, tmp_path / "p.csv"), world["points"])
    (example,) = _examples(report, "no_source_references")
    assert example.startswith("p.csv: source reference ") and " retyped " in example
    assert example.endswith(" (at column 'Context' row 15)")
    site = copy_folder(clean_outputs["folder"], tmp_path)
    plant(site, "index.html", "<h1>", f"\n<p>Ref\n{retyped.upper()}</p>\n<h1>")
    report = check_release(world["raw"], site, world["points"])
    (example,) = _examples(report, "no_source_references")
    assert example.startswith("index.html: source reference ") and " retyped " in example
    assert example.endswith(" (at line 3 <p>)")


def test_raw_timestamp_as_a_json_number_names_its_key(
    world: dict, clean_outputs: dict, tmp_path: Path
):
    site = copy_folder(clean_outputs["folder"], tmp_path)
    epoch_ms = int(pd.Timestamp(raw_row(world)["occurred_at"]).value // 1_000_000)
    (site / "log.js").write_text(
        f'window.LOG = {{\n "month": "2022-10",\n "seen": [1, {epoch_ms}]\n}};\n',
        encoding="utf-8",
    )
    report = check_release(world["raw"], site, world["points"])
    assert (
        f"log.js: raw date/time written as the number {epoch_ms} (at line 3 key seen[1])"
    ) in _examples(report, "no_dates_finer_than_month")


def test_a_web_map_point_is_named_by_its_position(world: dict, gated_webmap: Path, tmp_path: Path):
    """The real web map's points are one string of letters (core.common.position_codec):
    a point moved off its map point is named by its number among them."""
    site = tmp_path / "map"
    shutil.copytree(gated_webmap, site)
    (script,) = [p for p in site.rglob("*.js") if p.read_text("utf-8").startswith("window.CM_DATA")]
    text = script.read_text(encoding="utf-8")
    head, body = text.split("=", 1)
    data = json.loads(body.strip().removesuffix(";"))
    lon, lat = decode_positions(data["points"]["coordinates"])
    lon[2] += 0.001  # (the 3rd point)
    data["points"]["coordinates"] = encode_positions(lon, lat)
    script.write_text(f"{head}= {json.dumps(data)};\n", encoding="utf-8")
    report = check_release(world["raw"], site, world["points"])
    name = script.relative_to(site).as_posix()
    assert any(
        e.startswith(f"{name}: ({lon[2]:.6f}, ")
        and e.endswith(" (at key points.coordinates position 3)")
        for e in _examples(report, "coordinates_are_map_points")
    ), report.message()


def test_a_passing_gate_looks_for_no_place(
    world: dict, clean_outputs: dict, gated_webmap: Path, monkeypatch: pytest.MonkeyPatch
):
    """Every step that finds a place (the locator, the retyped reference's file, a
    column's number) made to fail: the clean outputs, the real web map too, still pass."""

    def refused(*_args, **_kwargs):
        raise AssertionError("a passing gate looked for a place")

    for step in ("locate", "_squeezed_in", "_columns_place"):
        monkeypatch.setattr(checks, step, refused)
    for output in [*clean_outputs.values(), world["public"], gated_webmap]:
        report = check_release(world["raw"], output, world["points"])
        assert report.passed, report.message()
