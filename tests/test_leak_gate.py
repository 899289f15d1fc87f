"""The leak gate against real data: a clean release passes; each kind of leak, planted one at a
time in a CSV, a GeoPackage, a DataFrame and an export folder, fails the right check.

The raw table is a realistic force extract built from real police.uk rows (tests/
test_core_loader.make_force_extract), with every crime moved 40-160 m off its published point
(as a records system would hold it), a victim-name column and a Home Office offence-code
column added, and loaded through the real loader. Map points are derived from the bundled
Leicestershire police.uk history; the release is made by the real anonymiser.
"""

from __future__ import annotations

import gc
import hashlib
import json
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.gate import scan
from crime_mapper.core.gate.leak_gate import (
    CHECK_NAMES,
    LeakError,
    assert_release_safe,
    check_release,
)
from crime_mapper.core.io.gpkg_read import read_geopackage
from crime_mapper.core.io.gpkg_write import PointTable, write_geopackage
from crime_mapper.core.release.anonymise import anonymise
from crime_mapper.core.release.audit import attach_gate_report
from crime_mapper.core.release.map_points import (
    map_points_from_arrays,
)
from crime_mapper.core.release.public_schema import PUBLIC_COLUMNS
from tests.support.leak_world import (
    HO_CODES,
    NAMES,
    SALT,
    copy_folder,
    expect_only,
    failed,
    plant,
    raw_row,
    refs,
    write_csv,
    write_folder,
    write_gpkg,
)


# --- the clean release passes --------------------------------------------------------------------
def test_raw_extract_is_realistic(world: dict):
    raw = world["raw"]
    # the raw crimes are off their map points, with exact times, references and free text
    keys = scan.coordinate_keys(raw["longitude"], raw["latitude"])
    assert not np.isin(keys, world["points"].coordinate_keys()).any()
    assert raw["occurred_at"].notna().all()
    assert raw["crime_id"].str.startswith("LP/").all()


@pytest.mark.parametrize("kind", ["dataframe", "csv", "gpkg", "folder"])
def test_clean_release_passes(world: dict, clean_outputs: dict, kind: str):
    output = world["public"] if kind == "dataframe" else clean_outputs[kind]
    report = assert_release_safe(world["raw"], output, world["points"])
    assert report.passed and [c.name for c in report.checks] == list(CHECK_NAMES)
    assert "passed" in report.message()
    data = report.to_dict()
    assert data["passed"] is True and len(data["checks"]) == len(CHECK_NAMES)
    assert set(data["checks"][0]) == {"name", "passed", "detail", "examples"}
    audit = attach_gate_report({}, report)
    assert audit["leak_gate"]["checks"][5]["name"] == "no_non_public_values"


def test_clean_folder_reads_every_kind_of_file(world: dict, clean_outputs: dict):
    report = check_release(world["raw"], clean_outputs["folder"], world["points"])
    coords = next(c for c in report.checks if c.name == "coordinates_are_map_points")
    located = int((world["public"]["Longitude"] != "").sum())
    # inline JSON rows, the .js data points and the GeoJSON features are all seen
    assert f"all {3 * located} coordinates" in coords.detail


def test_gate_pauses_the_garbage_collector_and_restores_it(world: dict, clean_outputs: dict):
    """The collector is off while an output is read and checked (a national folder's
    millions of short-lived containers made it walk everything alive, ~2 s a call), and
    left as the caller had it: on or off, after a pass and after a failure."""
    started: list[int] = []

    def watch(phase: str, info: dict) -> None:
        if phase == "start":
            started.append(info["generation"])

    thresholds = gc.get_threshold()
    gc.set_threshold(10)  # (a collection every 10 containers kept: a small folder makes many)
    gc.callbacks.append(watch)
    try:
        for enabled in (True, False, True):
            (gc.enable if enabled else gc.disable)()
            started.clear()
            report = check_release(world["raw"], clean_outputs["folder"], world["points"])
            assert report.passed
            # no collection while the gate ran (over a hundred without the pause, at this
            # threshold); a few start as it returns, once the collector is back on
            assert len(started) <= 3 * int(enabled), started
            assert gc.isenabled() is enabled
            failing = check_release(world["raw"], Path("/nonexistent/out.csv"), world["points"])
            assert not failing.passed and gc.isenabled() is enabled
        started.clear()
        _ = [[i] for i in range(1000)]  # (the watch sees collections when they run)
        assert started
    finally:
        gc.callbacks.remove(watch)
        gc.set_threshold(*thresholds)
        gc.enable()


def test_clean_release_with_empty_label_points_passes(world: dict, tmp_path: Path):
    base = world["points"]
    labels = base.label.copy()
    labels[::3] = ""  # as police.uk publishes: "On or near " and nothing after it
    points = map_points_from_arrays(
        base.longitude,
        base.latitude,
        labels,
        source="police.uk history",
        lsoa_code=base.lsoa_code,
        lsoa_name=base.lsoa_name,
    )
    release = anonymise(world["raw"], points, salt=SALT)
    assert (release.public["Location"] == "On or near ").any()
    for output in (
        release.public,
        write_csv(release.public, tmp_path / "p.csv"),
        write_folder(release.public, tmp_path / "site"),
    ):
        assert check_release(world["raw"], output, points).passed


def test_police_uk_history_as_raw_passes_its_own_release(world: dict):
    """Raw police.uk rows are already at map points; their published Crime IDs must not
    reappear (the release carries salted IDs)."""
    raw = world["history"]
    raw = raw[raw["month"] == "2022-10"].reset_index(drop=True)
    release = anonymise(raw, world["points"], salt=SALT)
    assert check_release(raw, release.public, world["points"]).passed
    leaked = release.public.copy()
    row = int(np.flatnonzero(raw["crime_id"].to_numpy() != "")[0])
    leaked.loc[0, "Crime ID"] = raw["crime_id"].iat[row]
    expect_only(check_release(raw, leaked, world["points"]), "no_source_references")


# --- coordinates ---------------------------------------------------------------------------------
def test_shifted_coordinate_in_dataframe(world: dict):
    public = world["public"].copy()
    i = int(np.flatnonzero(public["Longitude"] != "")[0])
    public.loc[i, "Longitude"] = f"{float(public.loc[i, 'Longitude']) + 0.0003:.6f}"
    report = check_release(world["raw"], public, world["points"])
    expect_only(report, "coordinates_are_map_points")
    assert public.loc[i, "Longitude"] in report.message()


def test_shifted_coordinate_in_csv(world: dict, tmp_path: Path):
    public = world["public"].copy()
    i = int(np.flatnonzero(public["Latitude"] != "")[2])
    public.loc[i, "Latitude"] = f"{float(public.loc[i, 'Latitude']) - 0.0011:.6f}"
    path = write_csv(public, tmp_path / "public.csv")
    report = check_release(world["raw"], path, world["points"])
    expect_only(report, "coordinates_are_map_points")
    assert "public.csv" in report.message()


def test_shifted_coordinate_in_geopackage(world: dict, tmp_path: Path):
    path = write_gpkg(world["public"], tmp_path / "public.gpkg", dx=0.00002)
    report = check_release(world["raw"], path, world["points"])
    expect_only(report, "coordinates_are_map_points")
    assert "public.gpkg" in report.message() and "geometry" in report.message()


def test_shifted_coordinate_in_geojson(world: dict, clean_outputs: dict, tmp_path: Path):
    site = copy_folder(clean_outputs["folder"], tmp_path)
    data = json.loads((site / "crimes.geojson").read_text(encoding="utf-8"))
    data["features"][1]["geometry"]["coordinates"][0] += 0.0005
    (site / "crimes.geojson").write_text(json.dumps(data), encoding="utf-8")
    report = check_release(world["raw"], site, world["points"])
    expect_only(report, "coordinates_are_map_points")
    assert "crimes.geojson" in report.message()


def test_raw_wgs84_coordinate_in_dataframe(world: dict):
    public = world["public"].copy()
    row = raw_row(world)
    i = int(np.flatnonzero(public["Longitude"] != "")[0])
    public.loc[i, "Longitude"] = f"{row['longitude']:.5f}"
    public.loc[i, "Latitude"] = f"{row['latitude']:.5f}"
    report = check_release(world["raw"], public, world["points"])
    expect_only(report, "coordinates_are_map_points", "no_raw_coordinates")
    assert "raw WGS84 coordinate" in report.message()


def test_raw_wgs84_coordinate_in_html_text(world: dict, clean_outputs: dict, tmp_path: Path):
    site = copy_folder(clean_outputs["folder"], tmp_path)
    row = raw_row(world)
    plant(
        site,
        "index.html",
        "<h1>",
        f"<p>Seen at {row['latitude']:.5f}, {row['longitude']:.5f}</p><h1>",
    )
    report = check_release(world["raw"], site, world["points"])
    expect_only(report, "coordinates_are_map_points", "no_raw_coordinates")
    assert "index.html" in report.message()


def test_raw_coordinate_in_js_data(world: dict, clean_outputs: dict, tmp_path: Path):
    site = copy_folder(clean_outputs["folder"], tmp_path)
    row = raw_row(world)
    plant(
        site,
        "data.js",
        '{"points": [',
        f'{{"points": [[{row["latitude"]:.6f}, {row["longitude"]:.6f}], ',
    )
    report = check_release(world["raw"], site, world["points"])
    expect_only(report, "coordinates_are_map_points", "no_raw_coordinates")
    assert "data.js" in report.message()


def test_raw_bng_to_the_metre_in_html(world: dict, clean_outputs: dict, tmp_path: Path):
    site = copy_folder(clean_outputs["folder"], tmp_path)
    row = raw_row(world)
    plant(
        site,
        "index.html",
        "<h1>",
        f"<p>Grid reference {row['source_x']:.0f} {row['source_y']:.0f}</p><h1>",
    )
    report = check_release(world["raw"], site, world["points"])
    expect_only(report, "no_raw_coordinates")
    assert "raw projected coordinate" in report.message()


def test_raw_bng_decimals_in_summary_csv(world: dict, clean_outputs: dict, tmp_path: Path):
    site = copy_folder(clean_outputs["folder"], tmp_path)
    row = raw_row(world)
    summary = pd.read_csv(site / "summary.csv", dtype=str)
    summary.loc[0, "crimes"] = f"{row['source_x'] + 0.4:.1f}"
    summary.loc[1, "crimes"] = f"{row['source_y'] - 0.3:.1f}"
    summary.to_csv(site / "summary.csv", index=False)
    report = check_release(world["raw"], site, world["points"])
    expect_only(report, "no_raw_coordinates")
    assert "summary.csv" in report.message()


def test_bng_geopackage_of_raw_points(world: dict, tmp_path: Path):
    """A GeoPackage in British National Grid holding the raw eastings/northings."""
    raw = world["raw"]
    public = world["public"].copy().reset_index(drop=True)
    public["_x"] = raw["source_x"].to_numpy()[: len(public)]
    public["_y"] = raw["source_y"].to_numpy()[: len(public)]
    path = tmp_path / "bng.gpkg"
    write_geopackage(
        path,
        [
            PointTable(
                "crimes",
                public,
                {c: "string" for c in PUBLIC_COLUMNS},
                x="_x",
                y="_y",
                srs_id=27700,
            )
        ],
    )
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO gpkg_spatial_ref_sys VALUES ('British National Grid', 27700, "
            "'EPSG', 27700, 'PROJCS[\"OSGB36 / British National Grid\"]', '')"
        )
    conn.close()
    report = check_release(raw, path, world["points"])
    # every crime at its true location: the disclosure check refuses it too
    expect_only(
        report, "coordinates_are_map_points", "no_raw_coordinates", "locations_are_anonymous"
    )


def test_hotspot_polygons_allowed_only_when_declared(world: dict, tmp_path: Path):
    """A summary polygon layer: its vertices are not map points unless the exporter passes
    them as extra_allowed_coordinates (derived from grid settings, not data)."""
    lon0, lat0 = -1.13, 52.63
    ring = np.array(
        [
            [lon0, lat0],
            [lon0 + 0.01, lat0],
            [lon0 + 0.01, lat0 + 0.01],
            [lon0, lat0 + 0.01],
            [lon0, lat0],
        ]
    )
    blob = (
        b"GP\x00\x01"
        + np.int32(4326).tobytes()
        + b"\x01"
        + np.uint32(3).tobytes()
        + np.uint32(1).tobytes()
        + np.uint32(5).tobytes()
        + ring.astype("<f8").tobytes()
    )
    path = tmp_path / "hotspots.gpkg"
    write_geopackage(path, [PointTable("seed", world["public"].iloc[:0], {})])
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE seed")
        conn.execute("DELETE FROM gpkg_contents")
        conn.execute("DELETE FROM gpkg_geometry_columns")
        conn.execute("CREATE TABLE grid (fid INTEGER PRIMARY KEY, geom POLYGON, count INTEGER)")
        conn.execute("INSERT INTO grid VALUES (1, ?, 7)", (blob,))
        conn.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
            "VALUES ('grid', 'features', 'grid', 4326)"
        )
        conn.execute(
            "INSERT INTO gpkg_geometry_columns VALUES ('grid', 'geom', 'POLYGON', 4326, 0, 0)"
        )
    conn.close()
    table = next(t for t in read_geopackage(path).tables if t.name == "grid")
    assert table.x.size == 5 and table.columns == ["count"]
    report = check_release(world["raw"], path, world["points"])
    expect_only(report, "coordinates_are_map_points")
    allowed = (ring[:, 0], ring[:, 1])
    assert check_release(
        world["raw"], path, world["points"], extra_allowed_coordinates=allowed
    ).passed


# --- dates and times -----------------------------------------------------------------------------
def test_exact_date_in_csv(world: dict, tmp_path: Path):
    public = world["public"].copy()
    public.loc[4, "Month"] = "2022-10-12"
    report = check_release(world["raw"], write_csv(public, tmp_path / "p.csv"), world["points"])
    expect_only(report, "no_dates_finer_than_month")
    assert "2022-10-12" in report.message()


@pytest.mark.parametrize(
    "text",
    [
        "12/10/2022",
        "12 Oct 2022",
        "2022-10-12T14:35:00",
        "27th October 2022",
        "October 12, 2022",
        "2022/10/12",
    ],
)
def test_exact_date_in_html(world: dict, clean_outputs: dict, tmp_path: Path, text: str):
    site = copy_folder(clean_outputs["folder"], tmp_path)
    plant(site, "index.html", "<h1>", f"<p>Reported {text}</p><h1>")
    report = check_release(world["raw"], site, world["points"])
    expect_only(report, "no_dates_finer_than_month")
    assert "index.html" in report.message()


def test_time_in_js_string(world: dict, clean_outputs: dict, tmp_path: Path):
    site = copy_folder(clean_outputs["folder"], tmp_path)
    plant(site, "data.js", "'Crime in October 2022'", "'Crime in October 2022 at 14:35'")
    report = check_release(world["raw"], site, world["points"])
    expect_only(report, "no_dates_finer_than_month")
    assert "14:35" in report.message()


def test_time_in_geopackage_context(world: dict, tmp_path: Path):
    public = world["public"].copy()
    public.loc[0, "Context"] = "Occurred 06:26"
    report = check_release(world["raw"], write_gpkg(public, tmp_path / "p.gpkg"), world["points"])
    expect_only(report, "no_dates_finer_than_month")


def test_raw_timestamp_as_epoch_number(world: dict, clean_outputs: dict, tmp_path: Path):
    site = copy_folder(clean_outputs["folder"], tmp_path)
    epoch_ms = int(pd.Timestamp(raw_row(world)["occurred_at"]).value // 1_000_000)
    plant(site, "data.js", '{"points": [', f'{{"t": {epoch_ms}, "points": [')
    report = check_release(world["raw"], site, world["points"])
    expect_only(report, "no_dates_finer_than_month")
    assert str(epoch_ms) in report.message()


# --- references ----------------------------------------------------------------------------------
def test_raw_reference_in_csv_cell(world: dict, tmp_path: Path):
    public = world["public"].copy()
    public.loc[2, "Context"] = refs(world)[5]
    report = check_release(world["raw"], write_csv(public, tmp_path / "p.csv"), world["points"])
    expect_only(report, "no_source_references")
    assert "source reference" in report.message()


def test_raw_reference_inside_html_paragraph(world: dict, clean_outputs: dict, tmp_path: Path):
    site = copy_folder(clean_outputs["folder"], tmp_path)
    plant(site, "index.html", "<h1>", f"<p>Case {refs(world)[7]} was solved.</p><h1>")
    report = check_release(world["raw"], site, world["points"])
    expect_only(report, "no_source_references")


@pytest.mark.parametrize("algo,upper", [("md5", True), ("sha256", False), ("sha1", False)])
def test_unsalted_hash_of_reference(world: dict, algo: str, upper: bool):
    public = world["public"].copy()
    digest = getattr(hashlib, algo)(refs(world)[0].encode()).hexdigest()
    public.loc[0, "Crime ID"] = digest.upper() if upper else digest
    report = check_release(world["raw"], public, world["points"])
    expect_only(report, "no_source_references")
    assert f"unsalted {algo}" in report.message()


def test_unsalted_md5_in_geojson_property(world: dict, clean_outputs: dict, tmp_path: Path):
    site = copy_folder(clean_outputs["folder"], tmp_path)
    data = json.loads((site / "crimes.geojson").read_text(encoding="utf-8"))
    data["features"][0]["properties"]["id"] = hashlib.md5(refs(world)[3].encode()).hexdigest()
    (site / "crimes.geojson").write_text(json.dumps(data), encoding="utf-8")
    report = check_release(world["raw"], site, world["points"])
    expect_only(report, "no_source_references")
    assert "crimes.geojson" in report.message()


# --- non-public values ---------------------------------------------------------------------------
def test_offence_description_in_dataframe(world: dict):
    public = world["public"].copy()
    public.loc[1, "Crime type"] = "Theft from a motor vehicle"
    report = check_release(world["raw"], public, world["points"])
    expect_only(report, "no_non_public_values")
    assert "offence" in report.message()


def test_offence_code_in_summary_csv(world: dict, clean_outputs: dict, tmp_path: Path):
    site = copy_folder(clean_outputs["folder"], tmp_path)
    summary = pd.read_csv(site / "summary.csv", dtype=str)
    summary.loc[0, "LSOA name"] = HO_CODES[1]
    summary.to_csv(site / "summary.csv", index=False)
    report = check_release(world["raw"], site, world["points"])
    expect_only(report, "no_non_public_values")
    assert "extra_ho_code" in report.message()


def test_free_text_substring_in_html_paragraph(world: dict, clean_outputs: dict, tmp_path: Path):
    site = copy_folder(clean_outputs["folder"], tmp_path)
    note = world["raw"]["extra_mo_notes"].iat[9]
    plant(site, "index.html", "<h1>", f"<p>Officers said: {note}. Enquiries continue.</p><h1>")
    report = check_release(world["raw"], site, world["points"])
    expect_only(report, "no_non_public_values")
    message = report.message()
    assert "extra_mo_notes" in message and note not in message  # never the whole free text


def test_name_from_extra_column(world: dict, clean_outputs: dict, tmp_path: Path):
    site = copy_folder(clean_outputs["folder"], tmp_path)
    data = json.loads((site / "crimes.geojson").read_text(encoding="utf-8"))
    data["features"][2]["properties"]["victim"] = NAMES[1]
    (site / "crimes.geojson").write_text(json.dumps(data), encoding="utf-8")
    report = check_release(world["raw"], site, world["points"])
    expect_only(report, "no_non_public_values")
    assert "extra_victim_name" in report.message()


def test_name_inside_text_is_a_whole_word_match(world: dict, clean_outputs: dict, tmp_path: Path):
    site = copy_folder(clean_outputs["folder"], tmp_path)
    plant(site, "README.txt", "Published", f"Contact {NAMES[2]} for details. Published")
    report = check_release(world["raw"], site, world["points"])
    expect_only(report, "no_non_public_values")


def test_name_in_geopackage_cell(world: dict, tmp_path: Path):
    public = world["public"].copy()
    public.loc[3, "Location"] = f"On or near {NAMES[0]}"
    report = check_release(world["raw"], write_gpkg(public, tmp_path / "p.gpkg"), world["points"])
    expect_only(report, "no_non_public_values")


def test_value_hidden_after_a_nul_character(world: dict, tmp_path: Path):
    """pandas stops at NUL (its text hashing, and its C CSV parser): a cell "label\x00<name>"
    must not be read as "label" (which is public) and waved through. In a table it is found
    as a non-public value; a file holding NUL fails closed, since its parser cannot see past
    it."""
    public = world["public"].copy()
    public.loc[5, "Location"] = f"{public.loc[5, 'Location']}\x00{NAMES[0]}"
    expect_only(check_release(world["raw"], public, world["points"]), "no_non_public_values")
    path = tmp_path / "nul.csv"
    public.to_csv(path, index=False)
    report = check_release(world["raw"], path, world["points"])
    assert not report.passed and all(not c.passed for c in report.checks)
    assert "NUL" in report.message()


# --- schema and files ----------------------------------------------------------------------------
def test_extra_column_in_csv(world: dict, tmp_path: Path):
    public = world["public"].copy()
    public["Beat"] = ""
    path = tmp_path / "p.csv"
    public.to_csv(path, index=False)
    report = check_release(world["raw"], path, world["points"])
    expect_only(report, "public_schema")
    assert "Beat" in report.message() and "p.csv" in report.message()
    public["Beat"] = "Beat 4"  # the raw beat itself: a schema leak and a value leak
    public.to_csv(path, index=False)
    report = check_release(world["raw"], path, world["points"])
    expect_only(report, "public_schema", "no_non_public_values")


def test_extra_column_in_dataframe_and_geopackage(world: dict, tmp_path: Path):
    public = world["public"].copy()
    public["offence"] = ""
    expect_only(check_release(world["raw"], public, world["points"]), "public_schema")
    frame = world["public"].copy()
    frame["_x"] = pd.to_numeric(frame["Longitude"], errors="coerce")
    frame["_y"] = pd.to_numeric(frame["Latitude"], errors="coerce")
    columns = {c: "string" for c in PUBLIC_COLUMNS}
    columns["internal_note"] = "string"
    frame["internal_note"] = ""
    path = tmp_path / "p.gpkg"
    write_geopackage(path, [PointTable("crimes", frame, columns, x="_x", y="_y")])
    expect_only(check_release(world["raw"], path, world["points"]), "public_schema")


def test_unknown_file_type_in_folder(world: dict, clean_outputs: dict, tmp_path: Path):
    site = copy_folder(clean_outputs["folder"], tmp_path)
    (site / "crimes.xlsx").write_bytes(b"PK\x03\x04 not inspected")
    report = check_release(world["raw"], site, world["points"])
    assert failed(report) == set(CHECK_NAMES)
    assert "crimes.xlsx" in report.message()
    assert "unknown file type, cannot prove it is safe" in report.message()
    with pytest.raises(LeakError, match="unknown file type"):
        assert_release_safe(world["raw"], site, world["points"])


@pytest.mark.parametrize(
    "name,content",
    [
        ("data.json", b'{"a": "caf\xe9"}'),  # cp1252 bytes: not UTF-8
        ("broken.gpkg", b"this is not an SQLite file"),
        ("bad.geojson", b'{"type": "FeatureCollection", '),
    ],
)
def test_unreadable_file_fails_closed(
    world: dict, clean_outputs: dict, tmp_path: Path, name: str, content: bytes
):
    site = copy_folder(clean_outputs["folder"], tmp_path)
    (site / name).write_bytes(content)
    report = check_release(world["raw"], site, world["points"])
    assert failed(report) == set(CHECK_NAMES), report.message()
    assert name in report.message()


def test_missing_output_fails_closed(world: dict, tmp_path: Path):
    report = check_release(world["raw"], tmp_path / "nothing.csv", world["points"])
    assert failed(report) == set(CHECK_NAMES)


def test_check_exception_fails_that_check(world: dict):
    raw = world["raw"].drop(columns=["crime_id"])
    report = check_release(raw, world["public"], world["points"])
    assert failed(report) == {"no_source_references"}
    assert "could not run" in report.message()


# --- scanners ------------------------------------------------------------------------------------
def test_date_patterns_leave_months_coordinates_and_ids_alone():
    clean = (
        "2022-10 -1.144333,52.680018 Leicester 001A E01013615 v1.9.4 2010-2023 "
        "a?1:0 1:50000 03a91ff20e227fb19540177757ba7079a517c643eded85"
    )
    assert scan.find_dates(clean) == []
    for text in ("2022-10-12", "12/10/22", "12-10-2022", "1 Oct 2022", "09:05", "23:59:59"):
        assert scan.find_dates(f"x {text} y"), text


def test_substring_search_finds_patterns_across_chunks():
    hay = b"x" * (1 << 22) + b"Margaret Thornbury" + b"y" * 100 + b"Entry forced via rear"
    pats = [b"Margaret Thornbury", b"Entry forced via rear", b"not there at all"]
    hits = scan.find_substrings(hay, pats)
    assert sorted(i for i, _ in hits) == [0, 1]
    assert scan.find_substrings(b"Margaret Thornburys", pats[:1], [True]) == []


def test_text_pairs_either_order():
    lon, lat, _ = scan.text_pairs("at [52.680018, -1.144333] and lng: -1.149229, lat: 52.6830")
    assert lon == [-1.144333, -1.149229] and lat == [52.680018, 52.683]


def _find_all(haystack: bytes, pattern: bytes) -> list[int]:
    """Every (overlapping) offset of pattern, by bytes.find: the reference."""
    found, at = [], haystack.find(pattern)
    while at >= 0:
        found.append(at)
        at = haystack.find(pattern, at + 1)
    return found


def _is_word_byte(value: int) -> bool:
    return chr(value).isalnum()


def _reference(haystack: bytes, patterns: list[bytes], bounded: list[bool]) -> list:
    hits = []
    for i, pattern in enumerate(patterns):
        for at in _find_all(haystack, pattern):
            if bounded[i]:
                before = haystack[at - 1] if at > 0 else 0x20
                end = at + len(pattern)
                after = haystack[end] if end < len(haystack) else 0x20
                if _is_word_byte(before) or _is_word_byte(after):
                    continue
            hits.append((i, at))
    return sorted(hits)


def test_substring_search_agrees_with_bytes_find_on_random_input():
    """The hand-written search (uint64 anchors, bitmap, exact check) against bytes.find, on
    random haystacks over a small alphabet (so that near-misses sharing 7 of the 8 anchor
    bytes are common), patterns cut from the haystack and random ones, whole-word or not."""
    rng = np.random.default_rng(20221031)
    alphabet = np.frombuffer(b"ab a.b\x00\xffAB1", dtype=np.uint8)
    for case in range(300):
        size = int(rng.integers(8, 3_000))
        haystack = alphabet[rng.integers(0, alphabet.size, size)].tobytes()
        patterns, bounded = [], []
        for _ in range(int(rng.integers(1, 12))):
            length = int(rng.integers(8, 24))
            if rng.random() < 0.6 and size >= length:
                start = int(rng.integers(0, size - length + 1))
                patterns.append(haystack[start : start + length])
            else:
                patterns.append(alphabet[rng.integers(0, alphabet.size, length)].tobytes())
            bounded.append(bool(rng.random() < 0.3))
        got = sorted(scan.find_substrings(haystack, patterns, bounded, limit=10**9))
        assert got == _reference(haystack, patterns, bounded), case


def test_substring_search_agrees_with_bytes_find_across_chunk_edges():
    """Matches straddling the 4 MB chunk boundary, at the very start and at the very end."""
    rng = np.random.default_rng(7)
    chunk = 1 << 22
    haystack = bytearray(rng.integers(0, 256, chunk + 4_096, dtype=np.uint8).tobytes())
    planted = [b"Margaret Thornbury", b"Entry forced via rear", b"LE/22/005223 x"]
    # the first anchor (8 bytes) straddles the boundary; the third lies wholly in the second chunk
    for offset, pattern in ((chunk - 4, planted[0]), (0, planted[1]), (chunk + 40, planted[2])):
        haystack[offset : offset + len(pattern)] = pattern
    tail = b"at the end 12345"
    haystack[-len(tail) :] = tail
    haystack = bytes(haystack)
    patterns = [*planted, tail]
    got = sorted(scan.find_substrings(haystack, patterns, limit=10**9))
    assert got == _reference(haystack, patterns, [False] * len(patterns))
    assert {i for i, _ in got} == {0, 1, 2, 3}
