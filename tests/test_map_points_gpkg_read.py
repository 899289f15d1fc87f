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

from crime_mapper.core.release import map_points, map_points_files
from crime_mapper.core.release.map_points import MapPointsError, map_points_from_arrays

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


def _rebuild(conn: sqlite3.Connection, fid_declaration: str, order: str, suffix: str = "") -> None:
    """The map_points table made again with another fid declaration (or table kind), its
    rows inserted in `order` (SQL ORDER BY text) so that rowids follow that order."""
    columns = [r[1] for r in conn.execute('PRAGMA table_info("map_points")')]
    rows = conn.execute(f"SELECT * FROM map_points ORDER BY {order}").fetchall()
    conn.execute("DROP TABLE map_points")
    conn.execute(
        f'CREATE TABLE map_points ("fid" {fid_declaration}, "geom" POINT, "label" TEXT, '
        f'"source" TEXT, "addresses" INTEGER, "lsoa_code" TEXT, "lsoa_name" TEXT){suffix}'
    )
    marks = ", ".join("?" for _ in columns)
    conn.executemany(f"INSERT INTO map_points ({', '.join(columns)}) VALUES ({marks})", rows)


def _resized_geometry(conn: sqlite3.Connection, fid: int, change: int) -> None:
    (blob,) = conn.execute("SELECT geom FROM map_points WHERE fid = ?", (fid,)).fetchone()
    blob = blob + b"\x00" * change if change > 0 else blob[:change]
    conn.execute("UPDATE map_points SET geom = ? WHERE fid = ?", (blob, fid))


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
    "delete character": lambda c: c.execute(
        "UPDATE map_points SET lsoa_name = 'a' || char(127) WHERE fid = 300"
    ),
    "tab beside non-ascii text": lambda c: c.execute(
        "UPDATE map_points SET label = 'Caf' || char(233) || char(9) || 'x' WHERE fid = 250"
    ),
    "c1 control character": lambda c: c.execute(
        "UPDATE map_points SET label = 'a' || char(133) || 'b' WHERE fid = 20"
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
    "middle deleted": lambda c: c.execute("DELETE FROM map_points WHERE fid BETWEEN 60 AND 340"),
    # geometries of other lengths whose total is still a multiple of the first's
    "longer and shorter geometry": lambda c: (
        _resized_geometry(c, 20, 1),
        _resized_geometry(c, 300, -1),
    ),
    "empty blob geometry": lambda c: c.execute("UPDATE map_points SET geom = X'' WHERE fid = 30"),
    "text geometry": lambda c: c.execute(
        "UPDATE map_points SET geom = CAST(geom AS TEXT) WHERE fid = 1"
    ),
    "first geometry null": lambda c: c.execute("UPDATE map_points SET geom = NULL WHERE fid = 1"),
    "large real address": lambda c: c.execute(
        "UPDATE map_points SET addresses = 1e20 WHERE fid = 250"
    ),
    "negative address": lambda c: c.execute("UPDATE map_points SET addresses = -7 WHERE fid = 8"),
    "huge address": lambda c: c.execute(
        "UPDATE map_points SET addresses = 9223372036854775807 WHERE fid = 8"
    ),
    "comma address and null address": lambda c: (
        c.execute("UPDATE map_points SET addresses = '1,2' WHERE fid = 2"),
        c.execute("UPDATE map_points SET addresses = NULL WHERE fid = 300"),
    ),
    "blob address": lambda c: c.execute("UPDATE map_points SET addresses = X'31' WHERE fid = 2"),
    "text integer in a text column": lambda c: c.execute(
        "UPDATE map_points SET lsoa_code = '123' WHERE fid = 2"
    ),
    "covering index": lambda c: c.execute(
        "CREATE INDEX every_column ON map_points "
        "(label DESC, source, addresses, lsoa_code, lsoa_name, geom)"
    ),
    "a column named rowid": lambda c: c.execute("ALTER TABLE map_points ADD COLUMN rowid TEXT"),
    "fid not the rowid, rows in reverse": lambda c: _rebuild(c, "INT PRIMARY KEY", "fid DESC"),
    "fid not the rowid, rows in order": lambda c: _rebuild(c, "INT PRIMARY KEY", "fid"),
    "fid as text": lambda c: _rebuild(c, "TEXT", "fid"),
    "null fid": lambda c: (
        _rebuild(c, "INTEGER", "fid"),
        c.execute("UPDATE map_points SET fid = NULL WHERE fid = 310"),
    ),
    "without rowid": lambda c: _rebuild(c, "INTEGER PRIMARY KEY", "fid", " WITHOUT ROWID"),
    "nocase labels": lambda c: (
        c.execute("ALTER TABLE map_points RENAME COLUMN label TO old_label"),
        c.execute("ALTER TABLE map_points ADD COLUMN label TEXT COLLATE NOCASE"),
        c.execute("UPDATE map_points SET label = old_label"),
    ),
    "one row": lambda c: c.execute("DELETE FROM map_points WHERE fid > 1"),
    # one value in a whole column (read without splitting) and near misses of it
    "last source differs, same length": lambda c: c.execute(
        "UPDATE map_points SET source = 'police.uk historx' WHERE fid = 400"
    ),
    "middle source differs, same length": lambda c: c.execute(
        "UPDATE map_points SET source = 'police.uk hist0ry' WHERE fid = 150"
    ),
    "first source differs, same length": lambda c: c.execute(
        "UPDATE map_points SET source = 'Police.uk history' WHERE fid = 1"
    ),
    "non-ascii source everywhere": lambda c: c.execute(
        "UPDATE map_points SET source = 'Caf' || char(233) || ' history'"
    ),
    "not utf-8 source everywhere": lambda c: c.execute(
        "UPDATE map_points SET source = CAST(X'4361ff' AS TEXT)"
    ),
    "empty source everywhere": lambda c: c.execute("UPDATE map_points SET source = ''"),
    "tab in every source": lambda c: c.execute("UPDATE map_points SET source = 'a' || char(9)"),
    "separator in every source": lambda c: c.execute(
        "UPDATE map_points SET source = 'a' || char(31) || 'a'"
    ),
    # numpy's unicode arrays drop trailing NULs: np.full(n, "a\x00", object) holds "a"
    "nul ending every source": lambda c: c.execute(
        "UPDATE map_points SET source = 'layer' || char(0)"
    ),
    "nul as every source": lambda c: c.execute("UPDATE map_points SET source = char(0)"),
    # a point flagged empty, of the same length (read in bulk, its row decoded apart from the
    # rest: both reads then skip it, with the warning of a feature without a geometry)
    "empty-flagged point": lambda c: c.execute(
        "UPDATE map_points SET geom = "
        "CAST(substr(geom, 1, 3) || X'11' || substr(geom, 5) AS BLOB) WHERE fid = 2"
    ),
    "late empty-flagged point": lambda c: c.execute(
        "UPDATE map_points SET geom = "
        "CAST(substr(geom, 1, 3) || X'11' || substr(geom, 5) AS BLOB) WHERE fid = 399"
    ),
    "one lsoa code everywhere": lambda c: c.execute(
        "UPDATE map_points SET lsoa_code = 'E01000001'"
    ),
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
    monkeypatch.setattr(map_points_files, "_SLICED_FROM_ROWS", 2 if halves else 10**9)
    path = tmp_path / "points.gpkg"
    map_points_files.write_map_points_gpkg(_points(), path)
    with sqlite3.connect(path) as conn:
        # the R-tree triggers need SpatiaLite functions; the reader does not use the index
        for (trigger,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            conn.execute(f'DROP TRIGGER "{trigger}"')
        VARIANTS[variant](conn)
    assert _read(path, True, monkeypatch) == _read(path, False, monkeypatch)


# Variants the bulk read must still take (they are plain in every way it checks); the rest
# of VARIANTS may go either way, as long as the result is the row-by-row read's.
BULK_VARIANTS = [
    "plain", "empty label", "control character", "delete character",
    "tab beside non-ascii text", "c1 control character", "hexagon source", "big-endian geometry",
    "every geometry big-endian", "fid gap", "first half deleted", "middle deleted",
    "negative address", "huge address", "text integer in a text column", "covering index",
    "fid not the rowid, rows in order", "nocase labels", "one row",
    "last source differs, same length", "first source differs, same length",
    "middle source differs, same length",
    "non-ascii source everywhere", "empty source everywhere", "tab in every source",
    "one lsoa code everywhere", "nul ending every source", "nul as every source",
]  # fmt: skip


@pytest.mark.parametrize("variant", BULK_VARIANTS)
@pytest.mark.parametrize("halves", [False, True])
def test_plain_tables_are_read_in_bulk(variant, halves, tmp_path, monkeypatch):
    monkeypatch.setattr(map_points_files, "_SLICED_FROM_ROWS", 2 if halves else 10**9)
    path = tmp_path / "points.gpkg"
    map_points_files.write_map_points_gpkg(_points(), path)
    with sqlite3.connect(path) as conn:
        for (trigger,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            conn.execute(f'DROP TRIGGER "{trigger}"')
        VARIANTS[variant](conn)
    taken = []
    original = map_points_files._read_in_bulk

    def spy(*args):
        taken.append(original(*args) is not None)
        return None

    monkeypatch.setattr(map_points_files, "_read_in_bulk", spy)
    try:  # (a source that is none, a negative count: refused by both reads alike)
        map_points_files.read_map_points_file(path)
    except MapPointsError:
        pass
    assert taken == [True]


def test_odd_rows_are_not_read_in_bulk(tmp_path, monkeypatch):
    """The checks refuse what they must (the equality test alone would also pass if every
    table were read row by row)."""
    monkeypatch.setattr(map_points_files, "_SLICED_FROM_ROWS", 2)
    refused = [
        "null label", "blob label", "separator in label",
        "not utf-8", "null address", "real address", "null geometry",
        "longer and shorter geometry", "empty blob geometry", "text geometry",
        "large real address", "comma address and null address", "blob address",
        "late blob source", "a column named rowid", "fid not the rowid, rows in reverse",
        "fid as text", "null fid", "without rowid", "not utf-8 source everywhere",
        "separator in every source",
    ]  # fmt: skip
    original = map_points_files._read_in_bulk
    for variant in refused:
        path = tmp_path / f"{len(list(tmp_path.iterdir()))}.gpkg"
        map_points_files.write_map_points_gpkg(_points(), path)
        with sqlite3.connect(path) as conn:
            for (trigger,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
                conn.execute(f'DROP TRIGGER "{trigger}"')
            VARIANTS[variant](conn)
        conn.close()
        taken = []

        def spy(*args, taken=taken):
            taken.append(original(*args) is not None)
            return None

        monkeypatch.setattr(map_points_files, "_read_in_bulk", spy)
        try:
            map_points_files.read_map_points_file(path)
        except Exception:  # noqa: BLE001 - only which read ran matters here
            pass
        assert taken == [False], variant


def test_control_bytes_are_map_points_control_characters():
    """Every byte value, against map_points' definition (0x00-0x1F and 0x7F)."""
    for byte in range(256):
        expected = 1 if byte < 0x20 or byte == 0x7F else 0
        codes = np.array([byte, 0x41], dtype=np.uint8)
        assert map_points.control_bytes(codes) == expected, byte
    every = np.arange(256, dtype=np.uint8)
    assert map_points.control_bytes(np.concatenate([every, every])) == 66


@pytest.mark.parametrize(
    "values",
    [
        ["a", "a", "a"], ["", ""], ["", "", "", ""], ["ab", "ab"], ["Café", "Café", "Café"],
        ["a", "a", "b"], ["b", "a", "a"], ["a", "b", "a"], ["a", "a", "b", "a", "a"], ["a", "ab"],
        ["ab", "a"], ["a", "a\x1fa"],
        ["a\x1fa", "a"], ["a\x1f", "a"], ["\x1f", ""], ["a"], [""], ["aa", "a", "a"],
    ],
)  # fmt: skip
def test_one_value_columns_equal_the_split(values):
    """The one-value shortcut returns the split's values exactly when all n pieces are one
    value, and gives way (None) otherwise."""
    joined = "\x1f".join(values).encode("utf-8")
    pieces = joined.decode("utf-8").split("\x1f")
    column = map_points_files._one_value_column(joined, len(values))
    if len(pieces) == len(values) and len(set(pieces)) == 1 and len(values) > 1:
        assert column is not None
        assert column.dtype == object and column.tolist() == pieces
        assert all(type(v) is str for v in column)
    else:
        assert column is None


@pytest.mark.parametrize("old_numpy", [False, True])
def test_object_array_equals_np_array(old_numpy, monkeypatch):
    """The split text's object array (np.fromiter where numpy makes object arrays from an
    iterator, np.array before 1.23) holds the very str given, in order."""
    if old_numpy:

        def refuse(*args, **kwargs):
            raise ValueError("cannot create object arrays from iterator")

        monkeypatch.setattr(map_points.np, "fromiter", refuse)
    for values in ([], ["a"], ["", "Café", "a\x1fb", "x" * 500], [str(i) for i in range(1000)]):
        got = map_points.object_array(values)
        assert got.dtype == object and got.shape == (len(values),)
        assert all(g is v for g, v in zip(got.tolist(), values))


@pytest.mark.parametrize("halves", [False, True])
def test_bulk_text_columns_hold_str_only(halves, tmp_path, monkeypatch):
    """The bulk read hands its text columns on as all str (all_str: not looked at value by
    value): each value of each text column is a str, in one pass and sliced."""
    monkeypatch.setattr(map_points_files, "_SLICED_FROM_ROWS", 2 if halves else 10**9)
    path = tmp_path / "points.gpkg"
    map_points_files.write_map_points_gpkg(_points(), path)
    seen = []
    original = map_points_files._map_points_from_columns

    def spy(x, y, values, text_checked=False, all_str=False, where=""):
        seen.append(all_str)
        if all_str:
            for name in ("label", "source", "lsoa_code", "lsoa_name"):
                assert all(type(v) is str for v in values[name].tolist()), name
        return original(x, y, values, text_checked=text_checked, all_str=all_str, where=where)

    monkeypatch.setattr(map_points_files, "_map_points_from_columns", spy)
    map_points_files.read_map_points_file(path)
    assert seen == [True]
