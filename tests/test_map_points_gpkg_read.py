"""Map points read from a GeoPackage in bulk equal the row-by-row read, on hostile tables.

Issue 15: 750,000 map points must read from a GeoPackage in about a second, so the plain
case (WGS84 points, text labels, integer address counts) is read with one SQL pass of
aggregates and decoded with numpy. Anything unusual (NULLs, numbers or blobs where text is
expected, odd geometries, a value holding the separator, text that is not UTF-8) must fall
back to the row-by-row read, whose results, warnings and errors are the reference. Each
variant here is read both ways (the bulk reader switched off for the reference) and the
results must be identical, or fail with the identical error.
"""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

from crime_mapper.core.release import map_points_files
from crime_mapper.core.release.map_points import map_points_from_arrays

N = 400


def _points():
    rng = np.random.default_rng(15)
    lon = -1.5 + rng.random(N) * 0.2
    lat = 52.5 + rng.random(N) * 0.2
    lon[7] = lon[3]  # one duplicated place, merged with a warning
    lat[7] = lat[3]
    labels = [f"On or near Street {i}" for i in range(N)]
    labels[5] = "On or near Café Ëlan"
    return map_points_from_arrays(
        lon,
        lat,
        labels,
        source="police.uk history",
        addresses=rng.integers(-1, 50, N),
        lsoa_code=[f"E0100{i:04d}" for i in range(N)],
        lsoa_name=[f"Leicester {i:03d}A" for i in range(N)],
    )


def _big_endian_point(x: float, y: float) -> bytes:
    return b"GP\x00\x00" + struct.pack("<i", 4326) + b"\x00" + struct.pack(">Idd", 1, x, y)


def _enveloped_point(x: float, y: float) -> bytes:
    header = b"GP\x00\x03" + struct.pack("<i", 4326) + struct.pack("<4d", x, x, y, y)
    return header + b"\x01" + struct.pack("<Idd", 1, x, y)


VARIANTS: dict[str, Callable[[sqlite3.Connection], Any]] = {
    "plain": lambda c: None,
    "null label": lambda c: c.execute("UPDATE map_points SET label = NULL WHERE fid = 3"),
    "all labels null": lambda c: c.execute("UPDATE map_points SET label = NULL"),
    "integer label": lambda c: c.execute("UPDATE map_points SET label = 12 WHERE fid = 4"),
    "real label": lambda c: c.execute("UPDATE map_points SET label = 0.1 WHERE fid = 4"),
    "blob label": lambda c: c.execute("UPDATE map_points SET label = X'00ff' WHERE fid = 9"),
    "empty label": lambda c: c.execute("UPDATE map_points SET label = '' WHERE fid = 9"),
    "separator in label": lambda c: c.execute(
        "UPDATE map_points SET label = 'a' || char(31) || 'b' WHERE fid = 2"
    ),
    "separator and null": lambda c: (
        c.execute("UPDATE map_points SET label = 'a' || char(31) || 'b' WHERE fid = 2"),
        c.execute("UPDATE map_points SET label = NULL WHERE fid = 5"),
    ),
    "control character": lambda c: c.execute(
        "UPDATE map_points SET label = 'a' || char(10) || 'b' WHERE fid = 2"
    ),
    "not utf-8": lambda c: c.execute(
        "UPDATE map_points SET label = CAST(X'4361ff' AS TEXT) WHERE fid = 2"
    ),
    "text address": lambda c: c.execute("UPDATE map_points SET addresses = '12' WHERE fid = 2"),
    "null address": lambda c: c.execute("UPDATE map_points SET addresses = NULL WHERE fid = 2"),
    "real address": lambda c: c.execute("UPDATE map_points SET addresses = 2.7 WHERE fid = 2"),
    "null source": lambda c: c.execute("UPDATE map_points SET source = NULL"),
    "hexagon source": lambda c: c.execute(
        "UPDATE map_points SET source = 'hexagon fallback' WHERE fid = 2"
    ),
    "null geometry": lambda c: c.execute("UPDATE map_points SET geom = NULL WHERE fid = 2"),
    "big-endian geometry": lambda c: c.execute(
        "UPDATE map_points SET geom = ? WHERE fid = 2", (_big_endian_point(-1.4, 52.6),)
    ),
    "every geometry big-endian": lambda c: c.executemany(
        "UPDATE map_points SET geom = ? WHERE fid = ?",
        [(_big_endian_point(-1.4 + i * 1e-4, 52.6), i) for i in range(1, N + 1)],
    ),
    "enveloped geometry": lambda c: c.execute(
        "UPDATE map_points SET geom = ? WHERE fid = 2", (_enveloped_point(-1.4, 52.6),)
    ),
    "fid gap": lambda c: c.execute("DELETE FROM map_points WHERE fid BETWEEN 10 AND 20"),
    "empty table": lambda c: c.execute("DELETE FROM map_points"),
    # the same in the second half of the fid range (read in a thread when in halves)
    "late null label": lambda c: c.execute("UPDATE map_points SET label = NULL WHERE fid = 350"),
    "late separator and null": lambda c: (
        c.execute("UPDATE map_points SET label = 'a' || char(31) || 'b' WHERE fid = 390"),
        c.execute("UPDATE map_points SET label = NULL WHERE fid = 260"),
    ),
    "late blob source": lambda c: c.execute(
        "UPDATE map_points SET source = X'00ff' WHERE fid = 301"
    ),
    "late null geometry": lambda c: c.execute("UPDATE map_points SET geom = NULL WHERE fid = 399"),
    "late real address": lambda c: c.execute(
        "UPDATE map_points SET addresses = 2.7 WHERE fid = 201"
    ),
    "first half deleted": lambda c: c.execute("DELETE FROM map_points WHERE fid <= 200"),
    "one row": lambda c: c.execute("DELETE FROM map_points WHERE fid > 1"),
}


def _read(path: Path, bulk: bool, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as patch:
        if not bulk:
            patch.setattr(map_points_files, "_read_in_bulk", lambda *args: None)
        try:
            points = map_points_files.read_map_points_file(path)
        except Exception as exc:  # noqa: BLE001 - the error itself is compared
            return ("raised", type(exc).__name__, str(exc))
    return {
        name: (getattr(points, name).dtype.str, getattr(points, name).tolist())
        for name in ("longitude", "latitude", "label", "source", "addresses", "lsoa_code",
                     "lsoa_name")
    } | {"warnings": points.warnings}  # fmt: skip


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("halves", [False, True])
def test_bulk_read_equals_the_row_by_row_read(variant, halves, tmp_path, monkeypatch):
    """Also with the table read as two halves of its fid range at once (as a national table
    is), whichever half the odd row falls in."""
    monkeypatch.setattr(map_points_files, "_HALVES_FROM_ROWS", 2 if halves else 10**9)
    path = tmp_path / "points.gpkg"
    map_points_files.write_map_points_gpkg(_points(), path)
    with sqlite3.connect(path) as conn:
        # the R-tree triggers need SpatiaLite functions; the reader does not use the index
        for (trigger,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            conn.execute(f'DROP TRIGGER "{trigger}"')
        VARIANTS[variant](conn)
    assert _read(path, True, monkeypatch) == _read(path, False, monkeypatch)


@pytest.mark.parametrize("halves", [False, True])
def test_the_plain_table_is_read_in_bulk(halves, tmp_path, monkeypatch):
    monkeypatch.setattr(map_points_files, "_HALVES_FROM_ROWS", 2 if halves else 10**9)
    path = tmp_path / "points.gpkg"
    map_points_files.write_map_points_gpkg(_points(), path)
    taken = []
    original = map_points_files._read_in_bulk

    def spy(*args):
        taken.append(original(*args) is not None)
        return None

    monkeypatch.setattr(map_points_files, "_read_in_bulk", spy)
    map_points_files.read_map_points_file(path)
    assert taken == [True]
