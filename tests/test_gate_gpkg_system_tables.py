"""The text of a GeoPackage's own tables is read by the leak gate (core.io.gpkg_read.
_system_texts): an SRS's name, definition and description, a column's alias and description
in gpkg_data_columns (QGIS shows them as the field's alias and comment), an extension's
definition, the table names of gpkg_ogr_contents and sqlite_sequence; but not the rows this
tool's writers put there as they are (core.io.gpkg_write.SRS_ROWS, the R-tree's extension
row), nor the format's write times.

Found by a hostile sweep: a raw reference, an MO note or a timestamp in any of those passed
the gate, which read only gpkg_contents and gpkg_metadata of the GeoPackage's own tables.
Real GeoPackages from the writer (tests/support/leak_world) edited with sqlite3, the real
raw extract and map points.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from crime_mapper.core.gate.leak_gate import check_release
from crime_mapper.core.io.gpkg_read import read_geopackage
from crime_mapper.core.io.gpkg_write import SRS_ROWS
from tests.support.leak_world import NAMES, expect_only, raw_row, write_gpkg

_DATA_COLUMNS = (
    "CREATE TABLE gpkg_data_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, "
    "name TEXT, title TEXT, description TEXT, mime_type TEXT, constraint_name TEXT, "
    "CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name))"
)


def _edited(world: dict, tmp_path: Path, *statements: tuple[str, tuple]) -> Path:
    path = write_gpkg(world["public"], tmp_path / "public.gpkg")
    conn = sqlite3.connect(path)
    for sql, args in statements:
        conn.execute(sql, args)
    conn.commit()
    conn.close()
    return path


def _cases(world: dict) -> dict[str, tuple[list[tuple[str, tuple]], tuple[str, ...]]]:
    row = raw_row(world)
    ref = str(row["crime_id"])
    note = str(world["raw"]["extra_mo_notes"].iat[9])
    srs = "INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)"
    return {
        "a column's alias and description": (
            [
                (_DATA_COLUMNS, ()),
                (
                    "INSERT INTO gpkg_data_columns VALUES ('public_crimes', 'Context', ?, ?, ?, "
                    "NULL, NULL)",
                    ("Context", NAMES[1], note),
                ),
            ],
            ("no_non_public_values",),
        ),
        "an SRS named with a reference": (
            [(srs, (ref, 99001, "NONE", 99001, "undefined", "local grid"))],
            ("no_source_references",),
        ),
        "an SRS described with a note": (
            [(srs, ("local", 99002, "NONE", 99002, "undefined", note))],
            ("no_non_public_values",),
        ),
        "an SRS defined with a timestamp": (
            [(srs, ("local", 99003, "NONE", 99003, "LOCAL_CS[2022-10-21T15:58:00]", ""))],
            ("no_dates_finer_than_month",),
        ),
        "an extension's definition": (
            [
                (
                    "INSERT INTO gpkg_extensions VALUES ('public_crimes', NULL, 'x_notes', ?, "
                    "'read-write')",
                    (f"see {ref}",),
                )
            ],
            ("no_source_references",),
        ),
        "a feature count's table name": (
            [("INSERT INTO gpkg_ogr_contents VALUES (?, 0)", (NAMES[2],))],
            ("no_non_public_values",),
        ),
        "a sequence's table name": (
            [
                ("CREATE TABLE counter (id INTEGER PRIMARY KEY AUTOINCREMENT)", ()),
                ("INSERT INTO counter VALUES (NULL)", ()),
                ("UPDATE sqlite_sequence SET name = ? WHERE name = 'counter'", (NAMES[3],)),
            ],
            ("no_non_public_values",),
        ),
        "the writer's WGS 84 row described otherwise": (
            [("UPDATE gpkg_spatial_ref_sys SET description = ? WHERE srs_id = 4326", (note,))],
            ("no_non_public_values",),
        ),
    }


CASES = [
    "a column's alias and description",
    "an SRS named with a reference",
    "an SRS described with a note",
    "an SRS defined with a timestamp",
    "an extension's definition",
    "a feature count's table name",
    "a sequence's table name",
    "the writer's WGS 84 row described otherwise",
]


@pytest.mark.parametrize("case", CASES)
def test_a_raw_value_in_the_geopackages_own_tables_fails(world, tmp_path, case):
    statements, fails = _cases(world)[case]
    path = _edited(world, tmp_path, *statements)
    report = check_release(world["raw"], path, world["points"])
    expect_only(report, *fails)


def test_the_writers_own_rows_and_write_times_are_not_read(world, tmp_path):
    """(the control: the writer's file passes; its SRS rows' text, the R-tree extension's
    URL and the contents' write time are not among the texts; its names are)"""
    path = write_gpkg(world["public"], tmp_path / "public.gpkg")
    report = check_release(world["raw"], path, world["points"])
    assert report.passed, report.message()
    texts = read_geopackage(path).metadata_text
    fixed = {str(v) for row in SRS_ROWS for v in row if isinstance(v, str)}
    assert not fixed.intersection(texts)
    assert not any("geopackage.org" in t or "write-only" in t for t in texts)
    assert {"public_crimes", "geom"} <= set(texts)  # (the R-tree row's names, the counts')
    conn = sqlite3.connect(path)
    (written,) = conn.execute("SELECT last_change FROM gpkg_contents").fetchone()
    conn.close()
    assert written not in texts
