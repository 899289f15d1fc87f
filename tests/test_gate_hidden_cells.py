"""Cells of a public output that a reader of the file sees but the leak gate did not read
(found by a hostile-input run): each must fail the gate, never pass it.

A CSV whose first data row has more fields than its header: pandas took the extra leading
cells as the table's index, which no check looked at, so a raw crime reference, its exact
date and time and its raw coordinates under a two-column header passed. Real raw extract,
map points and release (tests/support/leak_world).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from crime_mapper.core.gate.leak_gate import check_release
from tests.support.leak_world import copy_folder, raw_row


def _raw_cells(world: dict) -> list[str]:
    row = raw_row(world)
    return [
        str(row["crime_id"]),
        f"{row['longitude']:.5f}",
        f"{row['latitude']:.5f}",
        str(row["occurred_at"]),
    ]


@pytest.mark.parametrize("header", ["area,count", "notes"])
def test_a_first_row_longer_than_the_header_fails_the_gate(world, clean_outputs, tmp_path, header):
    site = copy_folder(clean_outputs["folder"], tmp_path)
    path = site / "summary.csv"
    path.write_text(f"{header}\n{','.join(_raw_cells(world))},E01,3\nE02,4\n", "utf-8")
    report = check_release(world["raw"], site, world["points"])
    assert not report.passed
    assert "summary.csv" in report.message()
    assert "more fields than the header" in report.message()
    shutil.rmtree(site)


def test_a_table_of_whole_rows_beside_the_pages_still_passes(world, clean_outputs, tmp_path):
    site = copy_folder(clean_outputs["folder"], tmp_path)
    (site / "summary.csv").write_text("area,count\nE01,3\nE02,4\n", "utf-8")
    assert check_release(world["raw"], site, world["points"]).passed
    shutil.rmtree(site)


def _gpkg_copy(clean_outputs: dict, tmp_path: Path) -> Path:
    path = tmp_path / "public.gpkg"
    shutil.copyfile(clean_outputs["gpkg"], path)
    return path


def test_the_clean_geopackage_with_its_triggers_still_passes(world, clean_outputs, tmp_path):
    path = _gpkg_copy(clean_outputs, tmp_path)
    assert check_release(world["raw"], path, world["points"]).passed


@pytest.mark.parametrize(
    "edit",
    ["blob table", "blob in the layer", "trigger literal", "system-named table", "fake rtree"],
)
def test_what_a_geopackage_hides_from_a_text_read_fails_the_gate(
    world, clean_outputs, tmp_path, edit
):
    """A raw extract stored as a BLOB (read as hex, which no check could read), a raw note in
    a trigger's SQL, a table named as a GeoPackage table (not read at all): each passed."""
    import sqlite3

    path = _gpkg_copy(clean_outputs, tmp_path)
    raw = ",".join(_raw_cells(world))
    conn = sqlite3.connect(path)
    for name in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):  # (its triggers')
        conn.create_function(name, 1, lambda _geometry: 0)
    layer = conn.execute("SELECT table_name FROM gpkg_contents").fetchone()[0]
    if edit == "blob table":
        conn.execute("CREATE TABLE b (x BLOB)")
        conn.execute("INSERT INTO b VALUES (?)", (raw.encode(),))
    elif edit == "blob in the layer":
        conn.execute(f'ALTER TABLE "{layer}" ADD COLUMN extra BLOB')
        conn.execute(f'UPDATE "{layer}" SET extra = ?', (raw.encode(),))
    elif edit == "trigger literal":
        conn.execute("CREATE TABLE t (x TEXT)")
        conn.execute(f"CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT '{raw}'; END")
    elif edit == "system-named table":
        conn.execute("CREATE TABLE gpkg_notes (x TEXT)")
        conn.execute("INSERT INTO gpkg_notes VALUES (?)", (raw,))
    else:
        conn.execute("CREATE TABLE rtree_notes_node (x TEXT)")
        conn.execute("INSERT INTO rtree_notes_node VALUES (?)", (raw,))
    conn.commit()
    conn.close()
    report = check_release(world["raw"], path, world["points"])
    assert not report.passed, edit
