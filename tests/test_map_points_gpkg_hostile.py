"""A map points GeoPackage that is damaged or hand-edited: each is refused with a
MapPointsError that says why, or read with every odd value handled, never a sqlite3, int()
or numpy traceback; and layer names holding quotes are written and read as any other.

Real files: map points made from a real police.uk month, written by the product's own
GeoPackage writer, then changed with SQL (the GeoPackage's triggers dropped first, as a
tool without SpatiaLite would) or by overwriting bytes."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from crime_mapper.core.io import gpkg_write
from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.release.map_points import MapPointsError, map_points_from_history
from crime_mapper.core.release.map_points_files import (
    int_value,
    map_points_table,
    read_map_points_file,
    text_value,
    write_map_points_gpkg,
)
from tests.support.gpkg_edits import edited_gpkg

MONTH = Path(__file__).resolve().parents[1] / "sample_data" / "police-uk" / "2022-09"


@pytest.fixture(scope="module")
def points():
    crimes = load_extracts([str(MONTH / "2022-09-leicestershire-street.csv")]).crimes
    return map_points_from_history(crimes.head(400))


@pytest.fixture(scope="module")
def written(points, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("points") / "map_points.gpkg"
    write_map_points_gpkg(points, path)
    return path


@pytest.mark.parametrize(
    "sql, reason",
    [
        ("UPDATE gpkg_geometry_columns SET srs_id = 'abc'", "not in WGS84"),
        ("UPDATE gpkg_geometry_columns SET column_name = 'ge\"om'", "has no column"),
        ("UPDATE map_points SET geom = 5 WHERE fid = 3", "missing or non-numeric coordinates"),
        (
            "UPDATE map_points SET geom = 'x' || printf('%.*c', 40, 'y') WHERE fid = 3",
            "missing or non-numeric coordinates",
        ),
        ("DROP TABLE gpkg_geometry_columns", "cannot be read as a GeoPackage"),
        ("ALTER TABLE map_points RENAME COLUMN label TO lbl", "no 'label' field"),
        ("DELETE FROM map_points", "is empty"),
        # text stored as a BLOB, valid UTF-8 or not: str() published its Python repr
        (
            "UPDATE map_points SET label = X'C3284142FF' WHERE fid % 7 = 0",
            "'label' field holds binary",
        ),
        (
            "UPDATE map_points SET lsoa_name = CAST('Leicester 001A' AS BLOB)",
            "'lsoa_name' field holds binary",
        ),
    ],
)
def test_a_damaged_table_is_refused_with_the_reason(written, tmp_path, sql, reason):
    with pytest.raises(MapPointsError, match=reason):
        read_map_points_file(edited_gpkg(written, tmp_path, sql))


@pytest.mark.parametrize("value", ["-1e308", "1e308", "'many'", "X'00FF'", "NULL"])
def test_an_address_count_no_integer_holds_reads_as_unknown(written, tmp_path, points, value):
    edited = edited_gpkg(
        written, tmp_path, f"UPDATE map_points SET addresses = {value} WHERE fid = 3"
    )
    read = read_map_points_file(edited)
    assert len(read) == len(points)
    assert read.addresses[2] == -1
    assert np.array_equal(np.delete(read.addresses, 2), np.delete(points.addresses, 2))


def test_text_value_refuses_binary_data():
    """A QGIS layer's binary field (a QByteArray) or a BLOB is no text to publish."""
    from qgis.PyQt.QtCore import QByteArray

    for value in (b"Main Street", bytearray(b"x"), memoryview(b"x"), QByteArray(b"x")):
        with pytest.raises(MapPointsError, match="binary data"):
            text_value(value)
    assert text_value(None) == "" and text_value("Main Street") == "Main Street"


def test_int_value_keeps_what_a_64_bit_integer_holds():
    assert int_value(9_000_000_000_000_000_000) == 9_000_000_000_000_000_000
    assert int_value(2**63) == -1 and int_value(-(2**63) - 1) == -1
    assert int_value(float("inf")) == -1 and int_value(float("nan")) == -1
    assert int_value("12") == 12 and int_value(None) == -1


def test_a_layer_name_with_quotes_is_written_and_read(points, tmp_path):
    for name in ('map"points', "map'points", 'a""b; DROP TABLE gpkg_contents'):
        path = tmp_path / "named.gpkg"
        path.unlink(missing_ok=True)
        gpkg_write.write_geopackage(path, [map_points_table(points, name)])
        read = read_map_points_file(f"{path}|layername={name}")
        assert read.label.tolist() == points.label.tolist()
        conn = sqlite3.connect(path)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        finally:
            conn.close()


def test_a_layer_name_that_is_not_there_is_refused(written):
    with pytest.raises(MapPointsError, match="has no"):
        read_map_points_file(f'{written}|layername=map"points')


def test_overwritten_bytes_give_map_points_or_a_map_points_error(written, tmp_path):
    data = written.read_bytes()
    rng = random.Random(4)
    for number in range(120):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 6)):
            at = rng.randrange(len(damaged))
            damaged[at : at + rng.randint(1, 8)] = rng.randbytes(rng.randint(1, 8))
        if number % 10 == 0:
            damaged = damaged[: rng.randrange(len(damaged))]
        path = tmp_path / f"{number}.gpkg"
        path.write_bytes(bytes(damaged))
        try:
            read_map_points_file(path)
        except MapPointsError:
            pass
