"""Write canonical pandas tables to a GeoPackage fast, with plain sqlite3 and numpy.

Why not QgsVectorFileWriter or OGR: a national month is ~500,000 crimes and the whole load
to a styled layer must take seconds. A per-feature Python loop (QgsFeature / ogr.Feature)
costs several seconds on its own; here every column is converted to a Python list in one
vectorised step, the point geometries are packed as GeoPackage binary blobs with numpy, and
SQLite ingests them in one transaction, many rows per INSERT statement (:func:`insert_rows`).
The R-tree spatial index is bulk-filled from the coordinate arrays (sorted along a
space-filling curve so the R-tree stays compact), and only then are the standard GeoPackage
R-tree triggers created, so that later edits in QGIS or GDAL keep the index right (those
triggers call ST_* functions that only GDAL/SpatiaLite register, which is why they must not
exist while we insert with plain sqlite3).

The file follows OGC GeoPackage 1.2 as GDAL writes it (same metadata tables, the
``gpkg_rtree_index`` extension row and GDAL's ``gpkg_ogr_contents`` feature count), so it
opens in QGIS and passes ``ogrinfo`` without warnings. This module imports nothing from
QGIS, so it can run in any thread.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np
import pandas as pd

from ..common.feedback import Feedback
from ..common.staging import file_sha256, sqlite_write_errors

# Rows per executemany call: small enough that Cancel answers within a fraction of a second
# at national scale, large enough that the per-call overhead is nil.
_CHUNK_ROWS = 50_000

# SQLite's page cache while writing, in KiB. Rows are appended, so the pages being filled are
# a handful; with the journal off, a page pushed out of a full cache is simply written to the
# file (the same bytes, sooner). A national public layer (158 MB) held whole in a 200 MB cache
# raised the writer's peak memory by ~145 MB for no measurable CPU (tests compare the files).
_CACHE_KIB = 16_000

GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"
GPKG_USER_VERSION = 10200  # GeoPackage 1.2, as GDAL 3.x writes by default

WGS84_SRS_ID = 4326
_WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,'
    'AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,'
    'AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],'
    'AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]'
)

# GeoPackage binary point: 8-byte "GP" header without envelope, then little-endian WKB point.
_POINT_BLOB = np.dtype(
    [
        ("magic", "S2"),
        ("version", "u1"),
        ("flags", "u1"),
        ("srs_id", "<i4"),
        ("byte_order", "u1"),
        ("wkb_type", "<u4"),
        ("x", "<f8"),
        ("y", "<f8"),
    ]
)
assert _POINT_BLOB.itemsize == 29


@dataclass
class PointTable:
    """One point layer to write: a DataFrame, which columns go in it and where x/y live.

    ``columns`` maps field name -> pandas dtype name as declared in core.common.schema (e.g.
    'category', 'string', 'int64', 'float64', 'bool', 'datetime64[ns]'); columns not
    listed are not written. Rows whose x or y is NaN get a NULL geometry.
    """

    name: str
    frame: pd.DataFrame
    columns: Mapping[str, str]
    x: str = "longitude"
    y: str = "latitude"
    description: str = ""
    srs_id: int = WGS84_SRS_ID
    spatial_index: bool = True
    extras: Sequence[str] = field(default_factory=tuple)  # more columns, written as TEXT


_GPKG_TYPES = {
    "int64": "INTEGER",
    "int32": "INTEGER",
    "float64": "DOUBLE",
    "bool": "BOOLEAN",
    "datetime64[ns]": "DATETIME",
}


def gpkg_type(dtype: str) -> str:
    """GeoPackage column type for a schema dtype; categories and strings become TEXT."""
    return _GPKG_TYPES.get(str(dtype), "TEXT")


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def column_values(series: pd.Series, dtype: str) -> list:
    """One column as a Python list ready for sqlite3, nulls as None, in vectorised steps.

    Doing this per column (instead of per row) is what makes 500,000 rows cheap: each
    branch is a handful of numpy operations and one ``tolist``.
    """
    return column_slices(series, dtype)(0, len(series))


ColumnSlices = Callable[[int, int], list]


def column_slices(series: pd.Series, dtype: str) -> ColumnSlices:
    """``values(start, stop)``: rows start..stop of :func:`column_values`, the column's
    vectorised preparation done once. Why: the writer hands sqlite3 one chunk of rows at a
    time, and a whole table's Python values at once (a national month's 27 columns) were a
    few hundred megabytes held only to be inserted."""
    kind = gpkg_type(dtype)
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = np.empty(len(series.cat.categories) + 1, dtype=object)
        cats[:-1] = [None if v is None else str(v) for v in series.cat.categories]
        cats[-1] = None
        codes = series.cat.codes.to_numpy()  # -1 for missing -> the trailing None
        return lambda start, stop: cats[codes[start:stop]].tolist()
    if kind == "DATETIME":
        values = pd.to_datetime(series, errors="coerce").to_numpy(dtype="datetime64[ms]")
        if np.isnat(values).all():
            return lambda start, stop: [None] * len(values[start:stop])
        # each distinct instant formatted once (a month of crimes has a few tens of
        # thousands of distinct times among 500,000 rows): the same text, a third the time
        distinct, inverse = np.unique(values.view(np.int64), return_inverse=True)
        instants = distinct.view("datetime64[ms]")
        text = np.datetime_as_string(instants, unit="ms").astype(object)
        text[np.isnat(instants)] = None
        return lambda start, stop: text[inverse[start:stop]].tolist()
    if kind == "BOOLEAN":
        if series.dtype == bool:
            flags = series.to_numpy().astype(np.int8)
            return lambda start, stop: flags[start:stop].tolist()
        out = series.astype(object)
        listed = [None if pd.isna(v) else int(bool(v)) for v in out]
        return lambda start, stop: listed[start:stop]
    if kind in ("INTEGER", "DOUBLE"):
        if series.dtype.kind in "iu":
            ints = series.to_numpy()
            return lambda start, stop: ints[start:stop].tolist()
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64")
        nan = np.isnan(values)
        if kind == "INTEGER":
            obj = values.astype(object)
            obj[~nan] = values[~nan].astype(np.int64).tolist()
            if nan.any():
                obj[nan] = None
            return lambda start, stop: obj[start:stop].tolist()

        def doubles(start: int, stop: int) -> list:
            floats: list = values[start:stop].tolist()
            for i in np.flatnonzero(nan[start:stop]).tolist():
                floats[i] = None
            return floats

        return doubles
    # TEXT: pandas "string", object or anything else
    obj = series.astype(object).to_numpy()
    # a column of str alone (every public column) has nothing missing: one type test per
    # value in C instead of pd.isna's several (a fifth of a second for the public layer)
    missing = None if _all_text(obj) else pd.isna(obj)
    if missing is not None and missing.any():
        obj = obj.copy()
        obj[missing] = None
    if series.dtype != object and not isinstance(series.dtype, pd.StringDtype):
        obj = np.array([None if v is None else str(v) for v in obj], dtype=object)
    return lambda start, stop: obj[start:stop].tolist()


def _all_text(values: np.ndarray) -> bool:
    """Whether every value of an object array is a str (then none is missing)."""
    return pd.api.types.infer_dtype(values, skipna=False) == "string"


def point_blobs(x: np.ndarray, y: np.ndarray, srs_id: int = WGS84_SRS_ID) -> list:
    """GeoPackage binary point blobs for each (x, y), as bytearray; None where either is
    NaN."""
    return point_blob_slices(x, y, srs_id)(0, len(x))


def point_blob_slices(x: np.ndarray, y: np.ndarray, srs_id: int = WGS84_SRS_ID) -> ColumnSlices:
    """``blobs(start, stop)``: rows start..stop of :func:`point_blobs`, packed once.

    Why bytearray: sqlite3 binds an exact int, float, str or bytearray as it is, and hands
    anything else, bytes included, to its adapter registry first (a lookup and attribute
    probes for each value: a quarter of a second for a national layer's half a million
    points). A bytearray is stored as the very BLOB the same bytes are (tests compare the
    files), and slicing one makes one as cheaply as slicing bytes."""
    n = len(x)
    packed = np.zeros(n, dtype=_POINT_BLOB)
    packed["magic"] = b"GP"
    packed["flags"] = 0x01  # little endian, no envelope, not empty
    packed["srs_id"] = srs_id
    packed["byte_order"] = 1
    packed["wkb_type"] = 1  # Point
    packed["x"] = x
    packed["y"] = y
    raw = bytearray(packed.tobytes())
    size = _POINT_BLOB.itemsize
    missing = np.isnan(x) | np.isnan(y)

    def blobs(start: int, stop: int) -> list:
        stop = min(stop, n)
        out: list[Optional[bytearray]] = [
            raw[i : i + size] for i in range(start * size, max(stop, start) * size, size)
        ]
        for i in np.flatnonzero(missing[start:stop]).tolist():
            out[i] = None
        return out

    return blobs


#: The gpkg_spatial_ref_sys rows every GeoPackage this tool writes holds (the two the
#: standard requires and WGS 84): fixed text, which the leak gate knows as the writer's
#: (core.io.gpkg_read: any other row's text is read and checked).
SRS_ROWS: tuple[tuple[str, int, str, int, str, str], ...] = (
    (
        "Undefined Cartesian SRS",
        -1,
        "NONE",
        -1,
        "undefined",
        "undefined Cartesian coordinate reference system",
    ),
    (
        "Undefined geographic SRS",
        0,
        "NONE",
        0,
        "undefined",
        "undefined geographic coordinate reference system",
    ),
    (
        "WGS 84 geodetic",
        WGS84_SRS_ID,
        "EPSG",
        4326,
        _WGS84_WKT,
        "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid",
    ),
)
#: gpkg_extensions' row for a layer's R-tree index, after its table and column names
RTREE_EXTENSION = (
    "gpkg_rtree_index",
    "http://www.geopackage.org/spec120/#extension_rtree",
    "write-only",
)


def create_metadata(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA application_id = {GPKG_APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {GPKG_USER_VERSION}")
    # Statement by statement: executescript() would commit the surrounding transaction.
    ddl = """
        CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL,
          srs_id INTEGER NOT NULL PRIMARY KEY, organization TEXT NOT NULL,
          organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL,
          description TEXT);
        CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY,
          data_type TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '',
          last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
          min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
          CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id)
            REFERENCES gpkg_spatial_ref_sys(srs_id));
        CREATE TABLE gpkg_ogr_contents (table_name TEXT NOT NULL PRIMARY KEY,
          feature_count INTEGER DEFAULT NULL);
        CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL,
          column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
          srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
          CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
          CONSTRAINT uk_gc_table_name UNIQUE (table_name),
          CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
          CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id)
            REFERENCES gpkg_spatial_ref_sys (srs_id));
        CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT,
          extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL,
          CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
        """
    for statement in ddl.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.executemany("INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", SRS_ROWS)


# SQLite's R-tree module stores a 2-D tree in nodes of at most 51 cells (RTREE_MAXCELLS);
# with the default 4 KiB page a node blob is 4 + 51 * 24 = 1228 bytes. A cell is the
# big-endian 64-bit rowid (or child node number) and four big-endian float32 bounds
# (minx, maxx, miny, maxy). Bounds are rounded outwards to float32, as SQLite itself does.
_RTREE_MAX_CELLS = 51
_RTREE_CELL = np.dtype(
    [("id", ">i8"), ("minx", ">f4"), ("maxx", ">f4"), ("miny", ">f4"), ("maxy", ">f4")]
)
_RTREE_NODE_BYTES = 4 + _RTREE_MAX_CELLS * _RTREE_CELL.itemsize


def _round_down_f32(v: np.ndarray) -> np.ndarray:
    f = v.astype(np.float32)
    over = f.astype(np.float64) > v
    f[over] = np.nextafter(f[over], np.float32(-np.inf))
    return f


def _round_up_f32(v: np.ndarray) -> np.ndarray:
    f = v.astype(np.float32)
    under = f.astype(np.float64) < v
    f[under] = np.nextafter(f[under], np.float32(np.inf))
    return f


def _str_order(cx: np.ndarray, cy: np.ndarray, capacity: int) -> np.ndarray:
    """Sort-Tile-Recursive order: vertical slices by x, each sorted by y.

    Every slice except the last holds exactly ``slices * capacity`` entries, so chunking the
    result sequentially by ``capacity`` never puts two slices in one node.
    """
    n = len(cx)
    nodes = -(-n // capacity)
    slices = max(1, int(np.ceil(np.sqrt(nodes))))
    by_x = np.argsort(cx, kind="stable")
    slice_of = np.empty(n, dtype=np.int64)
    slice_of[by_x] = np.arange(n) // (slices * capacity)
    return np.lexsort((cy, slice_of))


def _key_order(keys: np.ndarray, sorted_by: Optional[np.ndarray]) -> np.ndarray:
    """``np.argsort(keys, kind="stable")``, where ``sorted_by`` (if given) is the order that
    made ``keys`` from keys that were strictly increasing: its inverse, without a sort.

    Why: the R-tree's rowid map is appended in key order (no B-tree shuffling); sorting the
    half a million fids of a national layer back into order cost a sort of its own, when
    they were in order before the tree's sort. Distinct keys: the same order either way."""
    if sorted_by is None:
        return np.argsort(keys, kind="stable")
    inverse = np.empty(len(sorted_by), dtype=np.intp)
    inverse[sorted_by] = np.arange(len(sorted_by), dtype=np.intp)
    return inverse


def bulk_load_rtree(
    conn: sqlite3.Connection,
    rtree: str,
    ids: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    x_max: Optional[np.ndarray] = None,
    y_max: Optional[np.ndarray] = None,
) -> None:
    """Fill an empty SQLite R-tree virtual table with points by writing its nodes directly.

    For boxes (polygon layers, e.g. the hotspot hexagons) give the lower-left corner in
    ``x``/``y`` and the upper-right corner in ``x_max``/``y_max``.

    Inserting 500,000 rows through the R-tree module costs ~4 s (it splits nodes one
    insert at a time); packing the tree bottom-up with Sort-Tile-Recursive and writing the
    ``_node``, ``_parent`` and ``_rowid`` shadow tables costs a fraction of a second and
    gives a better-packed tree. ``SELECT rtreecheck(...)`` verifies the result (see tests).
    """
    q = quote_identifier
    if len(ids) == 0:
        return
    level_ids = ids.astype(np.int64)
    # ids in increasing order (a layer's fids, and every level's node numbers): a level's
    # key order is then the inverse of its sort, no second sort needed (_key_order)
    increasing = bool(np.all(level_ids[1:] > level_ids[:-1]))
    minx, maxx = _round_down_f32(x), _round_up_f32(x if x_max is None else x_max)
    miny, maxy = _round_down_f32(y), _round_up_f32(y if y_max is None else y_max)
    levels: list[tuple[Any, ...]] = []  # per level: cells in node order
    next_node = 2  # node 1 is the root, numbered last
    leaf = True
    while True:
        order = _str_order((minx + maxx) / 2.0, (miny + maxy) / 2.0, _RTREE_MAX_CELLS)
        level_ids, minx, maxx = level_ids[order], minx[order], maxx[order]
        miny, maxy = miny[order], maxy[order]
        count = len(level_ids)
        nodes = -(-count // _RTREE_MAX_CELLS)
        root = nodes == 1
        numbers = (
            np.array([1], dtype=np.int64)
            if root
            else np.arange(next_node, next_node + nodes, dtype=np.int64)
        )
        next_node += 0 if root else nodes
        levels.append((level_ids, minx, maxx, miny, maxy, numbers, leaf, increasing, order))
        if root:
            break
        starts = np.arange(0, count, _RTREE_MAX_CELLS)
        minx, maxx = np.minimum.reduceat(minx, starts), np.maximum.reduceat(maxx, starts)
        miny, maxy = np.minimum.reduceat(miny, starts), np.maximum.reduceat(maxy, starts)
        level_ids = numbers
        leaf = False
        increasing = True  # (node numbers are given in increasing order)

    depth = len(levels) - 1
    conn.execute(f"DELETE FROM {q(rtree + '_node')}")
    conn.execute(f"DELETE FROM {q(rtree + '_parent')}")
    conn.execute(f"DELETE FROM {q(rtree + '_rowid')}")
    for level, (cids, lminx, lmaxx, lminy, lmaxy, numbers, is_leaf, inc, order) in enumerate(
        levels
    ):
        count, nodes = len(cids), len(numbers)
        cells = np.zeros(nodes * _RTREE_MAX_CELLS, dtype=_RTREE_CELL)
        cells["id"][:count] = cids
        cells["minx"][:count], cells["maxx"][:count] = lminx, lmaxx
        cells["miny"][:count], cells["maxy"][:count] = lminy, lmaxy
        header = np.zeros((nodes, 2), dtype=">u2")
        header[:, 1] = _RTREE_MAX_CELLS
        header[-1, 1] = count - (nodes - 1) * _RTREE_MAX_CELLS
        if level == depth:
            header[0, 0] = depth
        blob = np.concatenate(
            [
                header.view(np.uint8).reshape(nodes, 4),
                cells.view(np.uint8).reshape(nodes, _RTREE_MAX_CELLS * _RTREE_CELL.itemsize),
            ],
            axis=1,
        )
        raw = blob.tobytes()
        conn.executemany(
            f"INSERT INTO {q(rtree + '_node')} VALUES (?, ?)",
            zip(
                numbers.tolist(),
                (raw[i : i + _RTREE_NODE_BYTES] for i in range(0, len(raw), _RTREE_NODE_BYTES)),
            ),
        )
        owner = np.repeat(numbers, _RTREE_MAX_CELLS)[:count]
        by_id = _key_order(cids, order if inc else None)  # append in key order
        table = rtree + ("_rowid" if is_leaf else "_parent")
        insert_pairs(conn, table, cids[by_id], owner[by_id])


# SQLite's oldest default limit on a statement's variables (SQLITE_MAX_VARIABLE_NUMBER before
# 3.32): a multi-row INSERT stays below it whatever SQLite the user's QGIS brings.
_MAX_VARIABLES = 999
# Rows per INSERT of insert_pairs: 200 variables.
_PAIRS_PER_STATEMENT = 100


def insert_pairs(
    conn: sqlite3.Connection, table: str, first: np.ndarray, second: np.ndarray
) -> None:
    """Append (first[i], second[i]) integer rows to ``table`` in order, 100 rows per INSERT.

    Why: for a two-integer row (an R-tree's rowid and parent maps, half a million rows at
    national scale) sqlite3's per-statement cost is most of the work; a statement of 100
    rows halves it. The rows go in in the same order, so the file's bytes are the same as
    one INSERT per row.
    """
    pairs = [first.astype(np.int64).tolist(), second.astype(np.int64).tolist()]
    insert_rows(conn, table, pairs, _PAIRS_PER_STATEMENT)


def insert_rows(
    conn: sqlite3.Connection,
    table: str,
    columns: Sequence[Optional[list]],
    rows_per_statement: Optional[int] = None,
    *,
    fixed: Optional[Mapping[int, str]] = None,
) -> None:
    """Append the rows whose values are ``columns`` (one list per column, all of one length)
    to ``table`` in order, many rows per INSERT statement.

    Why: with ``executemany`` of one row per statement, sqlite3's per-statement work
    (reset, bind loop, step, change count) costs more than SQLite's own insert: a national
    public layer of 14 columns took 1.7 s CPU where ``INSERT ... SELECT`` of the same rows
    takes 0.4 s. A statement of several rows (as many as keep it under :data:`_MAX_VARIABLES`
    unless ``rows_per_statement`` says) pays it once for all of them. The same values go in
    in the same order, bound as the same Python types, so the table and the file's bytes
    are those of one INSERT per row (tests compare them).

    ``fixed``: {column index: SQL literal} for columns whose every row holds one value (see
    :func:`constant_literal`), written into the statement instead of a variable; their
    entries in ``columns`` are not read (give None). Binding a value costs about as much
    as SQLite storing it, and a literal is parsed once per statement.
    """
    fixed = fixed or {}
    bound: list[list] = []
    for j, values in enumerate(columns):
        if j in fixed:
            continue
        if values is None:
            raise ValueError("every column that is not fixed needs its values")
        bound.append(values)
    width = len(bound)
    count = len(bound[0]) if width else 0
    if count == 0:
        return
    per = rows_per_statement or max(1, _MAX_VARIABLES // width)
    flat: list = [None] * (count * width)
    for j, values in enumerate(bound):
        flat[j::width] = values  # raises if a column's length differs: no row is cut short
    row = "(" + ", ".join(fixed.get(j, "?") for j in range(len(columns))) + ")"
    head = f"INSERT INTO {quote_identifier(table)} VALUES "
    whole = count // per * per
    step = per * width
    if whole:
        conn.executemany(
            head + ", ".join([row] * per),
            (flat[i : i + step] for i in range(0, whole * width, step)),
        )
    if whole < count:
        conn.execute(head + ", ".join([row] * (count - whole)), flat[whole * width :])


# the longest text written into a statement as a literal (longer constants are bound: a
# statement holds its literal once per row, and old SQLites cap a statement at 1 MB)
_MAX_LITERAL_CHARS = 200


def constant_literal(values: list) -> Optional[str]:
    """The SQL literal that stores what binding each of ``values`` stores, when they are
    all one value that has such a literal: None (NULL) or one str (TEXT, the same UTF-8
    bytes; at most :data:`_MAX_LITERAL_CHARS` characters, no NUL, encodable). Otherwise
    None: the column is bound value by value as before (numbers are never written as
    literals: a float's text is not always its value, and an out-of-range int must fail
    as it does when bound).

    Why: a month's public layer has columns of one value (Month, an empty Context), and
    binding half a million values each is about a tenth of its insert."""
    if not values:
        return None
    first = values[0]
    if first is not None and (
        type(first) is not str or len(first) > _MAX_LITERAL_CHARS or "\x00" in first
    ):
        return None
    # cheap looks at two more rows first (most columns differ there); types are compared
    # before values, so nothing but str == str and None is None is ever evaluated
    for probe in (values[-1], values[len(values) // 2]):
        if type(probe) is not type(first) or probe != first:
            return None
    if set(map(type, values)) != {type(first)}:  # (no subclass, nothing that compares equal)
        return None
    if first is None:
        return "NULL"
    try:
        first.encode("utf-8")
    except UnicodeEncodeError:
        return None  # (binding raises its own error, as before)
    if values.count(first) != len(values):
        return None
    return "'" + first.replace("'", "''") + "'"


def insert_layer_rows(conn: sqlite3.Connection, table: str, offset: int, columns: list) -> None:
    """Append rows ``offset + 1``.. of a layer table made by :func:`_write_table` (fid
    first, then ``columns``, one list per column), rows ``1..offset`` being there already.

    Why: the fid is left to SQLite (NULL into the INTEGER PRIMARY KEY gives the next rowid:
    offset + 1 and on, the same keys and the same AUTOINCREMENT sequence), and a column of
    one value in these rows goes in as a literal (:func:`constant_literal`): each is a
    value per row sqlite3 need not bind. The same rows in the same order: the same bytes
    as binding every fid and value (tests compare them)."""
    fixed = {0: "NULL"}
    for j, values in enumerate(columns, 1):
        literal = constant_literal(values)
        if literal is not None:
            fixed[j] = literal
    if len(fixed) > len(columns):  # every column fixed: the last one is bound, for the count
        del fixed[len(columns)]
    insert_rows(conn, table, [None, *columns], fixed=fixed)


def rtree_triggers(table: str, geom: str) -> list[str]:
    """The GeoPackage 1.2 R-tree maintenance triggers, exactly as GDAL writes them."""
    t, g = table, geom
    rt = f"rtree_{t}_{g}"
    qt, qg, qrt, fid = quote_identifier(t), quote_identifier(g), quote_identifier(rt), '"fid"'

    def trigger(suffix: str) -> str:  # (quoted: a table or column name may hold any text)
        return quote_identifier(f"{rt}_{suffix}")

    ins = (
        f"INSERT OR REPLACE INTO {qrt} VALUES (NEW.{fid},ST_MinX(NEW.{qg}), "
        f"ST_MaxX(NEW.{qg}),ST_MinY(NEW.{qg}), ST_MaxY(NEW.{qg}));"
    )
    return [
        f"CREATE TRIGGER {trigger('insert')} AFTER INSERT ON {qt} WHEN (new.{qg} NOT NULL AND "
        f"NOT ST_IsEmpty(NEW.{qg})) BEGIN {ins} END;",
        f"CREATE TRIGGER {trigger('update1')} AFTER UPDATE OF {qg} ON {qt} WHEN OLD.{fid} = "
        f"NEW.{fid} AND (NEW.{qg} NOTNULL AND NOT ST_IsEmpty(NEW.{qg})) BEGIN {ins} END;",
        f"CREATE TRIGGER {trigger('update2')} AFTER UPDATE OF {qg} ON {qt} WHEN OLD.{fid} = "
        f"NEW.{fid} AND (NEW.{qg} ISNULL OR ST_IsEmpty(NEW.{qg})) BEGIN DELETE FROM {qrt} "
        f"WHERE id = OLD.{fid}; END;",
        f"CREATE TRIGGER {trigger('update3')} AFTER UPDATE ON {qt} WHEN OLD.{fid} != NEW.{fid} AND "
        f"(NEW.{qg} NOTNULL AND NOT ST_IsEmpty(NEW.{qg})) BEGIN DELETE FROM {qrt} WHERE "
        f"id = OLD.{fid}; {ins} END;",
        f"CREATE TRIGGER {trigger('update4')} AFTER UPDATE ON {qt} WHEN OLD.{fid} != NEW.{fid} AND "
        f"(NEW.{qg} ISNULL OR ST_IsEmpty(NEW.{qg})) BEGIN DELETE FROM {qrt} WHERE id IN "
        f"(OLD.{fid}, NEW.{fid}); END;",
        f"CREATE TRIGGER {trigger('delete')} AFTER DELETE ON {qt} WHEN old.{qg} NOT NULL BEGIN "
        f"DELETE FROM {qrt} WHERE id = OLD.{fid}; END;",
    ]


def feature_count_triggers(table: str) -> list[str]:
    """GDAL's triggers that keep gpkg_ogr_contents.feature_count right after edits."""
    qt = quote_identifier(table)
    lit = "'" + table.replace("'", "''") + "'"
    return [
        f"CREATE TRIGGER {quote_identifier('trigger_insert_feature_count_' + table)} "
        f"AFTER INSERT ON {qt} BEGIN "
        f"UPDATE gpkg_ogr_contents SET feature_count = feature_count + 1 WHERE "
        f"lower(table_name) = lower({lit}); END;",
        f"CREATE TRIGGER {quote_identifier('trigger_delete_feature_count_' + table)} "
        f"AFTER DELETE ON {qt} BEGIN "
        f"UPDATE gpkg_ogr_contents SET feature_count = feature_count - 1 WHERE "
        f"lower(table_name) = lower({lit}); END;",
    ]


def _cut(whole: list) -> ColumnSlices:
    """``values(start, stop)`` of a column whose whole list of values is made already.

    Why: the release keeps every bound value of its public layer for the leak gate
    (:class:`WrittenTable`); one ``tolist`` of the column and a slice per chunk cost less
    than a ``tolist`` per chunk and copying each chunk into the kept list."""
    return lambda start, stop: whole[start:stop]


def _write_table(
    conn: sqlite3.Connection,
    spec: PointTable,
    feedback: Feedback,
    progress: tuple[float, float],
    geom: str = "geom",
    kept: Optional[list] = None,
) -> None:
    df = spec.frame
    fields = [(name, dtype) for name, dtype in spec.columns.items() if name in df.columns]
    fields += [(name, "string") for name in spec.extras if name in df.columns]
    if any(name.lower() in ("fid", geom) for name, _ in fields):
        raise ValueError(f"column names 'fid' and {geom!r} are reserved")
    defs = ", ".join(f"{quote_identifier(n)} {gpkg_type(t)}" for n, t in fields)
    qt = quote_identifier(spec.name)
    conn.execute(
        f'CREATE TABLE {qt} ("fid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
        f"{quote_identifier(geom)} POINT{', ' + defs if defs else ''})"
    )
    x = df[spec.x].to_numpy(dtype="float64") if len(df) else np.zeros(0)
    y = df[spec.y].to_numpy(dtype="float64") if len(df) else np.zeros(0)
    n = len(df)
    # each column prepared once, its Python values made one chunk of rows at a time
    slices = [point_blob_slices(x, y, spec.srs_id)]
    slices += [column_slices(df[name], dtype) for name, dtype in fields]
    start, end = progress
    inserted: list[list] = []  # (kept: every attribute value bound)
    if kept is not None:  # the whole columns are kept anyway: made at once, chunks cut from them
        inserted = [values(0, n) for values in slices[1:]]
        slices[1:] = [_cut(whole) for whole in inserted]
    for offset in range(0, max(n, 1), _CHUNK_ROWS):
        feedback.check()
        stop = min(offset + _CHUNK_ROWS, n)
        if stop > offset:
            chunk = [values(offset, stop) for values in slices]
            insert_layer_rows(conn, spec.name, offset, chunk)
            del chunk
        feedback.set_progress(start + (end - start) * 0.85 * stop / max(n, 1))
    del slices
    if kept is not None:
        missing = np.isnan(x) | np.isnan(y)  # (point_blob_slices' NULL geometries)
        kept.append(
            WrittenTable(
                name=spec.name,
                geometry_column=geom,
                columns=tuple(name for name, _ in fields),
                declared=tuple(gpkg_type(t) for _, t in fields),
                values=tuple(inserted),
                x=x[~missing].copy(),
                y=y[~missing].copy(),
            )
        )
    del inserted

    located = ~(np.isnan(x) | np.isnan(y))
    if located.any():
        bounds = (
            float(x[located].min()),
            float(y[located].min()),
            float(x[located].max()),
            float(y[located].max()),
        )
    else:
        bounds = (None, None, None, None)  # type: ignore[assignment]  # an empty table
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
        "min_x, min_y, max_x, max_y, srs_id) VALUES (?, 'features', ?, ?, ?, ?, ?, ?, ?)",
        (spec.name, spec.name, spec.description, *bounds, spec.srs_id),
    )
    conn.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?, ?, 'POINT', ?, 0, 0)",
        (spec.name, geom, spec.srs_id),
    )
    conn.execute("INSERT INTO gpkg_ogr_contents VALUES (?, ?)", (spec.name, n))

    if spec.spatial_index:
        rt = quote_identifier(f"rtree_{spec.name}_{geom}")
        conn.execute(f"CREATE VIRTUAL TABLE {rt} USING rtree(id, minx, maxx, miny, maxy)")
        idx = np.flatnonzero(located)
        bulk_load_rtree(conn, f"rtree_{spec.name}_{geom}", idx + 1, x[idx], y[idx])
        conn.execute(
            "INSERT INTO gpkg_extensions VALUES (?, ?, ?, ?, ?)",
            (spec.name, geom, *RTREE_EXTENSION),
        )
        for sql in rtree_triggers(spec.name, geom):
            conn.execute(sql)
    for sql in feature_count_triggers(spec.name):
        conn.execute(sql)


def write_geopackage(
    path: str | os.PathLike,
    tables: Sequence[PointTable],
    feedback: Optional[Feedback] = None,
    kept: Optional[list] = None,
) -> Path:
    """Create a new GeoPackage at ``path`` (which must not exist) holding ``tables``.

    Not atomic by itself: callers write to a temporary path (run_load.run_load does) and
    move it into place, so a failure never leaves a half-written file under the real name.
    ``feedback`` gets progress 0..100 over all tables and may cancel between chunks of rows
    (core.common.feedback.Cancelled is raised; the partial file is the caller's to delete).
    ``kept``: a list that gets one :class:`WrittenTable` per table written (what went in),
    for :func:`written_geopackage` once the caller is done with the file.
    """
    feedback = feedback or Feedback()
    total = sum(max(len(t.frame), 1) for t in tables) or 1
    path = Path(path)
    if path.exists():
        raise FileExistsError(path)
    with sqlite_write_errors(path):
        _write_all(path, tables, feedback, total, kept)
    return path


def _write_all(
    path: Path,
    tables: Sequence[PointTable],
    feedback: Feedback,
    total: int,
    kept: Optional[list] = None,
) -> None:
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")  # a fresh temp file: nothing to roll back to
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
        conn.execute("BEGIN")
        create_metadata(conn)
        done = 0
        for spec in tables:
            share = max(len(spec.frame), 1)
            span = (100.0 * done / total, 100.0 * (done + share) / total)
            _write_table(conn, spec, feedback, span, kept=kept)
            done += share
            feedback.set_progress(span[1])
        conn.execute("COMMIT")
    finally:
        conn.close()


@dataclass(frozen=True, eq=False)
class WrittenTable:
    """One layer table as :func:`write_geopackage` made it: its name, geometry column, the
    attribute columns (in table order) with their declared SQL types, every value bound
    into each (None for NULL; the Python objects given to sqlite3, rows in fid order), and
    the x and y of every non-NULL point geometry, in fid order.

    Why: the release's leak gate read back every value of the public layer it had just
    written (2-3 s CPU nationally). core.io.gpkg_read takes these instead only where the
    stored form is certain (a TEXT column all of whose values are exact str without NUL)
    and the file is still exactly the bytes hashed after writing (:class:`WrittenGpkg`)."""

    name: str
    geometry_column: str
    columns: tuple[str, ...]
    declared: tuple[str, ...]
    values: tuple[list, ...] = field(repr=False)
    x: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)


@dataclass(frozen=True, eq=False)
class WrittenGpkg:
    """A GeoPackage as written: its path, the SHA-256 and size of the file when its writer
    (and anything the caller did to it after, such as freezing its time stamps) was done,
    and the tables :func:`write_geopackage` kept. Anything that takes a path takes it as
    ``path`` (os.PathLike). The leak gate (core.gate.output_reader.read_written_gpkg) uses
    ``tables`` only while the file at ``path`` still has that size and SHA-256."""

    path: Path
    sha256: bytes
    size: int
    tables: tuple[WrittenTable, ...] = field(repr=False)

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    def __str__(self) -> str:
        return str(self.path)


def written_geopackage(path: str | os.PathLike, tables: Sequence[WrittenTable]) -> WrittenGpkg:
    """The file at ``path`` (closed, finished) hashed now, with the tables its writer kept."""
    path = Path(path)
    digest, size = file_sha256(path)
    return WrittenGpkg(path, digest, size, tuple(tables))
