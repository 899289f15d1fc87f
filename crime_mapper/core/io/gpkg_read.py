"""Read a GeoPackage's tables and geometry coordinates with plain sqlite3 and numpy.

Why not GDAL/QGIS: the leak gate lives in core (no QGIS imports) and must be able to open any
GeoPackage an exporter wrote, in any thread, quickly at national scale. A GeoPackage is an
SQLite file whose geometries are "GP" blobs (a small header, an optional envelope, then
standard or ISO WKB), so a few dozen lines of parsing are enough to see every coordinate.
Simple point blobs (the common case: 500,000 crimes) are decoded in one numpy step; anything
else (lines, polygons, multi-geometries, Z/M, big-endian) goes through a small WKB walker.
"""

from __future__ import annotations

import json
import os
import sqlite3
import struct
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union
from urllib.parse import quote

import numpy as np

from ..common.text_file import shown_line

if TYPE_CHECKING:
    from .gpkg_write import WrittenTable

# GP header envelope sizes (bytes) by envelope indicator (flags bits 1-3).
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
_SYSTEM_PREFIXES = ("gpkg_", "rtree_", "sqlite_", "gpkgext_")


class GpkgReadError(ValueError):
    """The file is not a GeoPackage we can read, or a geometry blob is malformed."""


@dataclass
class GpkgTable:
    """One user table of a GeoPackage.

    ``columns`` are the attribute columns in table order (the primary key and geometry column
    are reported separately so that a schema check can compare the rest). ``distinct`` holds
    each attribute column's distinct non-null values as strings: every text check only needs
    distinct values, and SQLite computes them far faster than Python could.
    """

    name: str
    data_type: str  # "features", "attributes", "tiles" or "" (not registered in gpkg_contents)
    columns: list[str]
    pk: Optional[str]
    geometry_column: Optional[str]
    geometry_type: str = ""
    srs_id: Optional[int] = None
    srs: Optional[str] = None  # "EPSG:4326" style authority id when known
    rows: int = 0
    distinct: dict[str, list[str]] = field(default_factory=dict)
    # the (x, y) text attribute columns asked for as pairs, and their distinct pairs in the
    # order SQLite's DISTINCT gives them (first occurrence); None: not read (the caller
    # queries them itself)
    pair_columns: Optional[tuple[str, str]] = None
    pairs: Optional[list[tuple[str, str]]] = None
    #: attribute columns holding a BLOB (given in ``distinct`` as hex, which no text check can
    #: read: a reader that must see every value refuses the file)
    blob_columns: list[str] = field(default_factory=list)
    x: np.ndarray = field(default_factory=lambda: np.zeros(0))  # every geometry vertex
    y: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: every column's declared type and default value as the file declares them (a default
    #: that is an SQL string literal unquoted): text a reader of the schema sees, in no cell
    declared_text: list[str] = field(default_factory=list)
    #: the table's (or view's) CREATE statement when it says more than its columns' names,
    #: declared types, key, NOT NULLs and defaults (a CHECK, a named constraint, a generated
    #: column's expression, a view's query): text a reader of the schema sees; "" when it
    #: says only those (:func:`_definition_beyond_columns`)
    definition: str = ""


@dataclass
class GpkgContents:
    """Everything readable in a GeoPackage: user tables plus free text from its metadata."""

    tables: list[GpkgTable]
    # gpkg_contents identifiers/descriptions, gpkg_metadata documents, triggers' and indexes' SQL
    metadata_text: list[str]
    #: tables and views named as the GeoPackage's or SQLite's own (gpkg_, rtree_, sqlite_,
    #: gpkgext_) that are none of those (:func:`_system_table_known`): not read as user
    #: tables, so a reader that must see every value (the leak gate) refuses the file
    unknown_system_tables: list[str] = field(default_factory=list)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _walk_wkb(data: bytes, pos: int, xs: list, ys: list) -> int:
    """Append every vertex of the WKB geometry at ``pos`` to xs/ys; return the end offset."""
    order = data[pos]
    if order not in (0, 1):
        raise GpkgReadError("bad WKB byte order")
    end = "<" if order == 1 else ">"
    (gtype,) = struct.unpack_from(end + "I", data, pos + 1)
    pos += 5
    has_z = bool(gtype & 0x80000000)
    has_m = bool(gtype & 0x40000000)
    gtype &= 0x0FFFFFFF
    if gtype >= 1000:
        dims, base = divmod(gtype, 1000)
        has_z = has_z or dims in (1, 3)
        has_m = has_m or dims in (2, 3)
        gtype = base
    ndim = 2 + int(has_z) + int(has_m)

    def points(count: int, at: int) -> int:
        if count:
            vals = np.frombuffer(
                data, dtype=np.dtype(end + "f8"), count=count * ndim, offset=at
            ).reshape(count, ndim)
            xs.append(vals[:, 0].copy())
            ys.append(vals[:, 1].copy())
        return at + count * ndim * 8

    if gtype == 1:  # Point (NaN coordinates = empty point)
        return points(1, pos)
    if gtype == 2:  # LineString
        (n,) = struct.unpack_from(end + "I", data, pos)
        return points(n, pos + 4)
    if gtype == 3:  # Polygon
        (rings,) = struct.unpack_from(end + "I", data, pos)
        pos += 4
        for _ in range(rings):
            (n,) = struct.unpack_from(end + "I", data, pos)
            pos = points(n, pos + 4)
        return pos
    if gtype in (4, 5, 6, 7):  # Multi* and GeometryCollection: nested WKB geometries
        (parts,) = struct.unpack_from(end + "I", data, pos)
        pos += 4
        for _ in range(parts):
            pos = _walk_wkb(data, pos, xs, ys)
        return pos
    raise GpkgReadError(f"unsupported WKB geometry type {gtype}")


def read_only_uri(path: Union[str, os.PathLike[str]]) -> str:
    """The SQLite URI that opens ``path`` read-only. Why not ``f"file:{path}?mode=ro"``: in a
    URI a ``#`` starts a fragment and a ``?`` the parameters, so a folder named "Release #3"
    or "Q3?" opened another file (created empty, since ``mode=ro`` was cut off with the rest)
    and read no tables."""
    return sqlite_file_uri(Path(path).resolve().as_posix()) + "?mode=ro"


def sqlite_file_uri(posix_path: str) -> str:
    """``file:`` URI of an absolute path in forward-slash form, as SQLite reads one: the
    characters a URI gives a meaning percent-encoded (SQLite decodes them), an empty
    authority, then the path. Why not ``Path.as_uri``: for a Windows share
    (``//server/share/...``, where forces keep their data) it puts the server in the
    authority, which SQLite refuses; after an empty authority SQLite reads the path whole,
    and Windows opens ``//server/share`` as the share. A drive path (``C:/...``) takes the
    slash SQLite expects before its letter."""
    quoted = quote(posix_path, safe="/:")
    return "file://" + (quoted if quoted.startswith("/") else "/" + quoted)


def blob_coordinates(blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Every vertex of one GeoPackage geometry blob (empty arrays for an empty geometry)."""
    if len(blob) < 8 or blob[:2] != b"GP":
        raise GpkgReadError("geometry is not a GeoPackage binary blob")
    flags = blob[3]
    if flags & 0x10:  # empty geometry
        return np.zeros(0), np.zeros(0)
    envelope = (flags >> 1) & 0x07
    if envelope not in _ENVELOPE_BYTES:
        raise GpkgReadError("bad GeoPackage envelope indicator")
    xs: list = []
    ys: list = []
    _walk_wkb(blob, 8 + _ENVELOPE_BYTES[envelope], xs, ys)
    if not xs:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(xs), np.concatenate(ys)


# WKB geometry types by their code (an ISO code's last three digits; EWKB's flag bits off).
WKB_TYPE_NAMES = {
    1: "Point",
    2: "LineString",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}


def blob_geometry_type(blob: object) -> Optional[int]:
    """The WKB geometry type of one GeoPackage geometry blob (a WKB_TYPE_NAMES code, Z and M
    taken off), or None for no blob, an empty geometry or bytes that are no GeoPackage
    geometry: what a reader names when a row holds a line where a point is wanted."""
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        return None
    data = bytes(blob)
    if len(data) < 8 or data[:2] != b"GP" or data[3] & 0x10:
        return None
    envelope = (data[3] >> 1) & 0x07
    if envelope not in _ENVELOPE_BYTES:
        return None
    at = 8 + _ENVELOPE_BYTES[envelope]
    if len(data) < at + 5 or data[at] not in (0, 1):
        return None
    (gtype,) = struct.unpack_from("<I" if data[at] == 1 else ">I", data, at + 1)
    return (gtype & 0x0FFFFFFF) % 1000


def blob_is_empty(blob: object) -> bool:
    """Whether a geometry column's value holds no geometry: NULL, a GeoPackage blob flagged
    empty, or one whose every coordinate is NaN (``POINT EMPTY`` as GDAL writes it); what
    QGIS reads as a null or empty geometry. Bytes that are no GeoPackage geometry are not
    empty (a damaged value, for the reader to refuse)."""
    if blob is None:
        return True
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        return False
    try:
        x, y = blob_coordinates(bytes(blob))
    except (GpkgReadError, struct.error, ValueError, IndexError):
        return False
    return bool(np.isnan(x).all() and np.isnan(y).all())  # (True for no coordinate at all)


_FAST_POINT = np.dtype(
    [
        ("magic", "S2"),
        ("version", "u1"),
        ("flags", "u1"),
        ("srs", "<i4"),
        ("order", "u1"),
        ("type", "<u4"),
        ("x", "<f8"),
        ("y", "<f8"),
    ]
)


def geometry_coordinates(blobs: list) -> tuple[np.ndarray, np.ndarray]:
    """All vertices of a column of geometry blobs (None = no geometry, skipped).

    Plain 2D little-endian points without envelope (what gpkg_write and most tools write)
    are decoded in one vectorised step; other blobs go through the WKB walker.
    """
    present = [b for b in blobs if b is not None]
    if not present:
        return np.zeros(0), np.zeros(0)
    if all(len(b) == _FAST_POINT.itemsize for b in present):
        packed = np.frombuffer(b"".join(present), dtype=_FAST_POINT)
        if (
            (packed["magic"] == b"GP").all()
            and (packed["flags"] == 0x01).all()
            and (packed["order"] == 1).all()
            and (packed["type"] == 1).all()
        ):
            return packed["x"].copy(), packed["y"].copy()
    xs, ys = [], []
    for blob in present:
        if not isinstance(blob, (bytes, bytearray, memoryview)):
            raise GpkgReadError("geometry column holds a non-blob value")
        x, y = blob_coordinates(bytes(blob))
        xs.append(x)
        ys.append(y)
    return np.concatenate(xs), np.concatenate(ys)


def point_coordinates(blobs: list) -> tuple[np.ndarray, np.ndarray]:
    """x, y of GeoPackage point blobs (any envelope, either byte order); NaN for NULL, empty
    or non-point geometries. Vectorised: a national table of points decodes in a fraction of
    a second, where a per-blob struct loop takes seconds.

    Blobs are grouped by length (normally one group: every point blob of a table has the
    same layout) and each group is decoded as one 2-D byte array.
    """
    n = len(blobs)
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    if n == 0:
        return x, y
    try:
        _decode_by_length(blobs, np.array(list(map(len, blobs)), dtype=np.int64), x, y)
    except TypeError:  # NULL geometries among them, or values that are no blob (text, a
        # number: a damaged or hand-edited table), which are no points either
        x[:], y[:] = np.nan, np.nan
        lengths = [len(b) if isinstance(b, (bytes, bytearray, memoryview)) else 0 for b in blobs]
        _decode_by_length(blobs, np.array(lengths, dtype=np.int64), x, y)
    return x, y


def _decode_by_length(blobs: list, lengths: np.ndarray, x: np.ndarray, y: np.ndarray) -> None:
    """Decode the blobs of each length of at least a point's into x, y (TypeError if one of
    them is no bytes)."""
    n = len(blobs)
    for length in np.unique(lengths):
        if length < 29:  # NULL or too short for a point
            continue
        rows = np.flatnonzero(lengths == length)
        if rows.size == n:  # the usual case: one layout for the whole table
            raw = np.frombuffer(b"".join(blobs), dtype=np.uint8)
        else:
            raw = np.frombuffer(b"".join([blobs[i] for i in rows.tolist()]), dtype=np.uint8)
        decode_point_rows(raw.reshape(len(rows), int(length)), rows, x, y)


_ENVELOPE_SIZE = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def decode_point_rows(raw: np.ndarray, rows: np.ndarray, x: np.ndarray, y: np.ndarray) -> None:
    """Decode point blobs of one length, one per row of the 2-D byte array `raw`, into
    x[rows], y[rows]; rows that are empty or not points are left as they are (NaN)."""
    length = raw.shape[1]
    flags = raw[:, 3]
    empty = (flags & 0x10) != 0
    envelope = (flags >> 1) & 0x07
    for env_code in np.flatnonzero(np.bincount(envelope, minlength=8)):  # as np.unique
        sel = np.flatnonzero((envelope == env_code) & ~empty)
        if sel.size == 0 or int(env_code) not in _ENVELOPE_SIZE:
            continue
        off = 8 + _ENVELOPE_SIZE[int(env_code)]
        if off + 21 > length:
            continue
        # every row selected (the plain case): sel is then 0..n-1, the rows themselves
        sub = raw if sel.size == raw.shape[0] else raw[sel]
        little = sub[:, off] == 1
        wkb_type = np.where(
            little,
            sub[:, off + 1 : off + 5].copy().view("<u4").ravel(),
            sub[:, off + 1 : off + 5].copy().view(">u4").ravel(),
        )
        is_point = (wkb_type % 1000) == 1
        for order, endian in ((True, "<f8"), (False, ">f8")):
            pick = np.flatnonzero((little == order) & is_point)
            if pick.size == 0:
                continue
            block = sub if pick.size == sub.shape[0] else sub[pick]  # as above
            x[rows[sel[pick]]] = block[:, off + 5 : off + 13].copy().view(endian).ravel()
            y[rows[sel[pick]]] = block[:, off + 13 : off + 21].copy().view(endian).ravel()


def read_geopackage(
    path: str | Path,
    pair_columns: Optional[tuple[Sequence[str], Sequence[str]]] = None,
    fast: bool = True,
    pairs_only: bool = False,
    known: Optional[dict[str, WrittenTable]] = None,
) -> GpkgContents:
    """Open ``path`` read-only and return every user table with distinct values and vertices.

    Tables not registered in gpkg_contents are read too (as attribute tables): a leak could
    hide in any table, not only in the ones a GIS would show. ``pair_columns``: names of
    x-like and y-like attribute columns (the first of each present in a table) whose
    distinct text pairs are wanted too, when the one-scan read gives them for free.
    ``pairs_only``: a table's pair columns (when it has both) are wanted as pairs only: the
    one-scan read takes the pairs from one concatenation of each row's x, a separator and
    y, and when it gives them ``distinct`` leaves the two columns out (the leak gate reads
    coordinates as pairs and never looks at either column's values alone). ``fast=False``
    reads column by column only (the reference the one-scan read is tested against).
    ``known``: tables whose values the caller knows this very file holds (the writer's
    :class:`~core.io.gpkg_write.WrittenTable`, the file unchanged since): each is taken from
    them where :func:`_known_table` can prove the read would give the same, else read.
    """
    path = Path(path)
    uri = read_only_uri(path)
    try:
        conn = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise GpkgReadError(f"cannot open {shown_line(path.name)}: {exc}") from exc
    conn.text_factory = lambda b: b.decode("utf-8", errors="strict")
    try:
        master = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
        names = [name for kind, name, _t, _s in master if kind in ("table", "view")]
        if "gpkg_contents" not in names:
            raise GpkgReadError(
                f"{shown_line(path.name)} is not a GeoPackage (no gpkg_contents table)"
            )
        contents = {
            r[0]: (r[1] or "", r[2], r[3], r[4])
            for r in conn.execute(
                "SELECT table_name, data_type, srs_id, identifier, description FROM gpkg_contents"
            )
        }
        metadata_text = [str(v) for rec in contents.values() for v in rec[2:] if v]
        if "gpkg_metadata" in names:
            metadata_text += [
                str(r[0]) for r in conn.execute("SELECT metadata FROM gpkg_metadata") if r[0]
            ]
        geom_cols: dict[str, tuple[str, str, int]] = {}
        if "gpkg_geometry_columns" in names:
            for tname, col, gtype, srs in conn.execute(
                "SELECT table_name, column_name, geometry_type_name, srs_id "
                "FROM gpkg_geometry_columns"
            ):
                geom_cols[tname] = (col, gtype, srs)
        srs_names: dict[int, str] = {}
        if "gpkg_spatial_ref_sys" in names:
            for srs_id, org, org_id in conn.execute(
                "SELECT srs_id, organization, organization_coordsys_id FROM gpkg_spatial_ref_sys"
            ):
                if org and org_id is not None and int(org_id) > 0:
                    srs_names[srs_id] = f"{str(org).upper()}:{int(org_id)}"
        # a trigger's or an index's SQL is text the file holds (a literal in it, the index's
        # name, is a value anyone reads; SQLite's own indexes have none)
        metadata_text += [
            str(sql) for kind, _n, _t, sql in master if kind in ("trigger", "index") and sql
        ]
        metadata_text += _system_texts(conn, names)
        rtrees = _rtree_tables(master)
        unknown = [n for n in names if not _system_table_known(n, rtrees)]
        created = {n: sql for kind, n, _t, sql in master if kind in ("table", "view")}
        tables = []
        user = [n for n in names if not n.lower().startswith(_SYSTEM_PREFIXES)]
        for name in user:
            if known and name in known:
                table = _known_table(
                    conn,
                    name,
                    contents.get(name, ("",))[0],
                    geom_cols.get(name),
                    srs_names,
                    known[name],
                    pair_columns,
                    pairs_only,
                    created.get(name),
                )
                if table is not None:
                    tables.append(table)
                    continue
            tables.append(
                _read_table(
                    conn,
                    name,
                    contents.get(name, ("",))[0],
                    geom_cols.get(name),
                    srs_names,
                    pair_columns,
                    fast,
                    uri,
                    pairs_only,
                    created.get(name),
                )
            )
        return GpkgContents(
            tables=tables, metadata_text=metadata_text, unknown_system_tables=unknown
        )
    finally:
        conn.close()


#: the GeoPackage's and SQLite's own tables (OGC 12-128r18, GDAL's gpkg_ogr_contents)
_SYSTEM_TABLES = frozenset(
    {
        "gpkg_spatial_ref_sys", "gpkg_contents", "gpkg_ogr_contents", "gpkg_geometry_columns",
        "gpkg_extensions", "gpkg_metadata", "gpkg_metadata_reference", "gpkg_data_columns",
        "gpkg_data_column_constraints", "gpkg_tile_matrix", "gpkg_tile_matrix_set",
        "gpkg_2d_gridded_coverage_ancillary", "gpkg_2d_gridded_tile_ancillary",
        "sqlite_sequence", "sqlite_stat1", "sqlite_stat2", "sqlite_stat3", "sqlite_stat4",
    }
)  # fmt: skip
_RTREE_SHADOWS = ("_node", "_parent", "_rowid")


#: The GeoPackage's and SQLite's own tables whose text values are read whole (gpkg_contents
#: and gpkg_metadata are read above; an R-tree holds numbers): an SRS's name, definition and
#: description, a column's alias and description (gpkg_data_columns: QGIS shows them as the
#: field's alias and comment), an extension's definition, a table named in a count or a
#: sequence. Each is text a reader of the file can see.
_TEXT_SYSTEM_TABLES = (
    "gpkg_spatial_ref_sys", "gpkg_geometry_columns", "gpkg_data_columns",
    "gpkg_data_column_constraints", "gpkg_extensions", "gpkg_ogr_contents",
    "gpkg_metadata_reference", "gpkg_tile_matrix_set", "gpkg_tile_matrix",
    "gpkg_2d_gridded_coverage_ancillary", "gpkg_2d_gridded_tile_ancillary",
    "sqlite_sequence", "sqlite_stat1",
)  # fmt: skip
#: columns that hold the time the file (or a row's metadata) was written, which the
#: format asks writers to fill in: a write time, no crime's
_WRITE_TIMES = frozenset({"timestamp", "last_change"})
_SRS_COLUMNS = [
    "srs_name", "srs_id", "organization", "organization_coordsys_id", "definition", "description",
]  # fmt: skip


def _system_texts(conn: sqlite3.Connection, names: list[str]) -> list[str]:
    """Every text value of the GeoPackage's own tables (_TEXT_SYSTEM_TABLES) but the rows
    this tool's writers put there as they are (core.io.gpkg_write.SRS_ROWS: fixed text;
    an R-tree's extension row: its table and column names only) and the write times.

    Why: a raw reference as an SRS's name, an MO note as its description or as a column's
    alias in gpkg_data_columns, a timestamp in an SRS's definition, and a reference in
    gpkg_extensions, gpkg_ogr_contents or sqlite_sequence each passed the gate, which read
    only gpkg_contents and gpkg_metadata of these tables."""
    from .gpkg_write import RTREE_EXTENSION, SRS_ROWS  # (pandas: imported by the caller)

    present = {n.lower(): n for n in names}
    texts: list[str] = []
    for table in _TEXT_SYSTEM_TABLES:
        if table not in present:
            continue
        cursor = conn.execute(f"SELECT * FROM {_quote(present[table])}")
        columns = [str(d[0]).lower() for d in cursor.description]
        for row in cursor:
            if table == "gpkg_spatial_ref_sys" and columns == _SRS_COLUMNS and row in SRS_ROWS:
                continue
            if table == "gpkg_extensions" and tuple(row[2:5]) == RTREE_EXTENSION:
                row = row[:2]
            texts += [
                _as_text(v)
                for c, v in zip(columns, row)
                if isinstance(v, (str, bytes)) and c not in _WRITE_TIMES and v
            ]
    return texts


def _rtree_tables(master: list[tuple]) -> set[str]:
    """The lower-case names of the R-tree virtual tables among sqlite_master's rows."""
    return {
        str(n).lower()
        for kind, n, _t, sql in master
        if kind == "table"
        and str(n).lower().startswith("rtree_")
        and " ".join(str(sql or "").split()).upper().startswith("CREATE VIRTUAL TABLE")
        and "USING RTREE" in " ".join(str(sql or "").split()).upper()
    }


def _system_table_known(name: str, rtrees: set[str]) -> bool:
    """Whether a table or view is a user table (not named as a system one) or one of the
    GeoPackage's or SQLite's own: a standard table, an R-tree virtual table (``rtrees``:
    :func:`_rtree_tables`), or one of an existing R-tree's shadow tables."""
    lower = name.lower()
    if not lower.startswith(_SYSTEM_PREFIXES) or lower in _SYSTEM_TABLES:
        return True
    return lower in rtrees or any(
        lower == base + suffix for base in rtrees for suffix in _RTREE_SHADOWS
    )


def _read_table(
    conn: sqlite3.Connection,
    name: str,
    data_type: str,
    geom: Optional[tuple[str, str, int]],
    srs_names: dict[int, str],
    pair_columns: Optional[tuple[Sequence[str], Sequence[str]]] = None,
    fast: bool = True,
    uri: Optional[str] = None,
    pairs_only: bool = False,
    created: Any = None,
) -> GpkgTable:
    """One table read from the file; ``created``: its CREATE statement (sqlite_master's
    sql), kept as its definition where it says more than the columns."""
    qt = _quote(name)
    info = list(conn.execute(f"PRAGMA table_info({qt})"))
    pk = next((r[1] for r in info if r[5]), None)
    geom_col = geom[0] if geom else None
    columns = [r[1] for r in info if r[1] != pk and r[1] != geom_col]
    table = GpkgTable(
        name=name, data_type=data_type, columns=columns, pk=pk, geometry_column=geom_col
    )
    table.declared_text = _declared_text(info)
    table.definition = _definition_beyond_columns(created, name, info)
    table.rows = conn.execute(f"SELECT COUNT(*) FROM {qt}").fetchone()[0]
    if pair_columns is not None:
        x_col = next((c for c in columns if c in pair_columns[0]), None)
        y_col = next((c for c in columns if c in pair_columns[1]), None)
        if x_col is not None and y_col is not None:
            table.pair_columns = (x_col, y_col)
    geom_scan = geom_col if geom is not None and geom_col else None
    if geom_scan is not None and geom_scan in _indexed_columns(conn, qt):
        geom_scan = None  # an index could make SELECT of it come in another order
    scanned = _scan_table(conn, qt, table, geom_scan, uri, pairs_only) if fast else None
    unwanted: Sequence[str] = ()
    if pairs_only and scanned is not None and scanned.pairs is not None:
        # (their pairs came with the scan; otherwise they are read as before, so a value
        # that is not UTF-8 fails the read exactly as it did)
        unwanted = table.pair_columns or ()
    for col in columns:
        if col in unwanted:
            continue
        if scanned is not None and col in scanned.distinct:
            table.distinct[col] = scanned.distinct[col]
            continue
        values = conn.execute(f"SELECT DISTINCT {_quote(col)} FROM {qt}").fetchall()
        table.distinct[col] = [_as_text(v[0]) for v in values if v[0] is not None]
        if any(isinstance(v[0], (bytes, bytearray, memoryview)) for v in values):
            table.blob_columns.append(col)
    if scanned is not None:
        table.pairs = scanned.pairs
    if geom is not None and geom_col:
        table.geometry_type = geom[1]
        table.srs_id = geom[2]
        table.srs = srs_names.get(geom[2]) if geom[2] is not None else None
        if scanned is not None and scanned.points is not None:
            table.x, table.y = scanned.points
        else:
            blobs = [r[0] for r in conn.execute(f"SELECT {_quote(geom_col)} FROM {qt}")]
            table.x, table.y = geometry_coordinates(blobs)
    return table


def _known_table(
    conn: sqlite3.Connection,
    name: str,
    data_type: str,
    geom: Optional[tuple[str, str, int]],
    srs_names: dict[int, str],
    written: WrittenTable,
    pair_columns: Optional[tuple[Sequence[str], Sequence[str]]],
    pairs_only: bool,
    created: Any = None,
) -> Optional[GpkgTable]:
    """:func:`_read_table`'s answer for a table its writer describes (``written``), from
    the values it bound, when that answer is certain; None otherwise (the table is read).

    Certain only when the file's table is the writer's (the same columns, declared types,
    ``fid`` key and point geometry column, registered as such: read from the file now)
    and every attribute column is declared TEXT and holds exact str values without NUL
    (no NULL): a str bound into a TEXT column is stored as that text, and the read gives
    it back whole (UTF-8, no NUL to cut at). Then every read path gives each column's
    distinct values as a set of those str, the (x, y) pairs as first-occurrence distinct
    pairs (pairs_only: only when no value holds a char(1), as the scan asks; otherwise
    the caller's own SELECT DISTINCT would decide their order), and the point blobs the
    writer packs decode to its x and y, NULL geometries skipped, in fid order."""
    qt = _quote(name)
    info = list(conn.execute(f"PRAGMA table_info({qt})"))
    geom_col = geom[0] if geom else None
    if geom is None or geom_col != written.geometry_column:
        return None
    expect = [("fid", "INTEGER", 1), (geom_col, "POINT", 0)]
    expect += [(c, t, 0) for c, t in zip(written.columns, written.declared)]
    if [(r[1], r[2], r[5]) for r in info] != expect:
        return None
    if len(written.values) != len(written.columns) or _indexed_columns(conn, qt):
        return None
    rows = len(written.values[0]) if written.values else None
    distinct: dict[str, list[str]] = {}
    for col, kind, values in zip(written.columns, written.declared, written.values):
        if kind != "TEXT" or len(values) != rows or not {str}.issuperset(map(type, values)):
            return None
        seen = set(values)
        if "\x00" in "\x01".join(seen):
            return None
        distinct[col] = list(seen)
    if rows is None:
        return None  # (a table of no attribute column: read it)
    columns = list(written.columns)
    table = GpkgTable(
        name=name, data_type=data_type, columns=columns, pk="fid", geometry_column=geom_col
    )
    table.declared_text = _declared_text(info)
    table.definition = _definition_beyond_columns(created, name, info)
    table.rows = rows
    if pair_columns is not None:
        x_col = next((c for c in columns if c in pair_columns[0]), None)
        y_col = next((c for c in columns if c in pair_columns[1]), None)
        if x_col is not None and y_col is not None:
            table.pair_columns = (x_col, y_col)
    if table.pair_columns is not None:
        xs = written.values[columns.index(table.pair_columns[0])]
        ys = written.values[columns.index(table.pair_columns[1])]
        if (
            pairs_only
            and rows
            and (
                "\x01" in "".join(distinct[table.pair_columns[0]])
                or "\x01" in "".join(distinct[table.pair_columns[1]])
            )
        ):
            return None
        table.pairs = list(dict.fromkeys(zip(xs, ys)))
        if pairs_only:
            for col in table.pair_columns:
                del distinct[col]
    table.distinct = distinct
    table.geometry_type = geom[1]
    table.srs_id = geom[2]
    table.srs = srs_names.get(geom[2]) if geom[2] is not None else None
    if len(written.x):
        table.x = np.asarray(written.x, dtype=np.float64).copy()
        table.y = np.asarray(written.y, dtype=np.float64).copy()
    return table


def _definition_beyond_columns(sql: Any, name: str, info: list) -> str:
    """``sql``, a table's or view's CREATE statement as SQLite keeps it, unless it is
    exactly ``CREATE TABLE "name" (...)`` of its columns (``PRAGMA table_info`` rows), each
    ``"column" TYPE`` with its PRIMARY KEY (AUTOINCREMENT or not), NOT NULL and DEFAULT as
    the table declares them: the form this tool's writers (core.io.gpkg_write, the
    summaries' layer) use, which holds nothing the names, types and defaults do not. Then
    "". Why: the names, types and defaults are read apart (GpkgTable.declared_text); read
    as prose, a national layer's definition would cost the free-text check some 0.3 s to
    find nothing, as the writer's triggers did; anything else in a definition (a CHECK's
    literal, a generated column's expression, a view's WHERE) is text a reader sees."""
    if not sql:
        return ""
    text = str(sql)
    for autoincrement in (True, False):
        columns = []
        for _cid, column, kind, notnull, default, key in info:
            part = _quote(str(column)) + (f" {kind}" if kind else "")
            if key:
                part += " PRIMARY KEY AUTOINCREMENT" if autoincrement else " PRIMARY KEY"
            if notnull:
                part += " NOT NULL"
            if default is not None:
                part += f" DEFAULT {default}"
            columns.append(part)
        if text == f"CREATE TABLE {_quote(name)} ({', '.join(columns)})":
            return ""
    return text


def _declared_text(info: list) -> list[str]:
    """The declared types and default values of a table's columns (``PRAGMA table_info``
    rows), each once, in column order: a default that is one SQL string literal ('...')
    as the text it stands for, any other default expression as written."""
    out: dict[str, None] = {}
    for row in info:
        kind, default = row[2], row[4]
        if kind:
            out[str(kind)] = None
        if default is None:
            continue
        text = str(default)
        if (
            len(text) >= 2
            and text[0] == text[-1] == "'"
            and "'" not in text[1:-1].replace("''", "")
        ):
            text = text[1:-1].replace("''", "'")
        if text:
            out[text] = None
    return list(out)


def _indexed_columns(conn: sqlite3.Connection, qt: str) -> set[str]:
    """Columns of a table that some index holds (none on a plain GeoPackage table)."""
    out: set[str] = set()
    for index in conn.execute(f"PRAGMA index_list({qt})").fetchall():
        out.update(str(r[2]) for r in conn.execute(f"PRAGMA index_info({_quote(index[1])})"))
    return out


@dataclass
class _Scanned:
    """What one pass over a table gave (each part only where it is exactly what the
    column-by-column read would give; the rest is read that way)."""

    distinct: dict[str, list[str]]
    pairs: Optional[list[tuple[str, str]]]
    points: Optional[tuple[np.ndarray, np.ndarray]] = None  # geometry_coordinates' answer


def _scan_table(
    conn: sqlite3.Connection,
    qt: str,
    table: GpkgTable,
    geom_col: Optional[str] = None,
    uri: Optional[str] = None,
    pairs_only: bool = False,
) -> Optional[_Scanned]:
    """Every text column of a table in one scan: SQLite concatenates each column's values
    (NUL between them), so Python decodes one string per column instead of one object per
    cell, and the per-column ``SELECT DISTINCT`` (a temporary B-tree each) is not needed.

    A column is taken from the scan only when every non-NULL value in it is text and none
    holds a NUL (the number of NULs is exactly count - 1), so splitting gives back the
    values exactly; numbers and blobs (which SQLite would format differently from
    :func:`_as_text`) leave that column to the column-by-column read. Any SQLite error, or
    text that is not UTF-8, returns None: the caller reads the old way and reports what
    that finds. Distinct values come as a set (their order means nothing to a caller).

    Columns of few values (a large table's month, force, category, outcome: found on a
    sample of rows, :func:`_few_valued`) come as ``json_group_array(DISTINCT col COLLATE
    BINARY)`` instead: SQLite keeps a small B-tree of the distinct values and hands over
    a few dozen, where concatenating 500,000 cells and splitting them again cost several
    times as much. JSON keeps each value's type (a number is not a string, NULL is null;
    a blob makes SQLite fail the query) and escapes every character, so the values are
    exact, NULs included; the binary collation compares bytes, so a NOCASE column's
    "Margaret" and "MARGARET" stay two values. A column with a non-text value is left to
    the column-by-column read, as above. The sample only decides the speed, never a value.

    ``geom_col``: the geometry blobs come in the same scan, end to end, when they are what
    :func:`geometry_coordinates` decodes in one step (every non-NULL value a blob of the plain
    point's size, in table order); anything else leaves ``points`` None (the caller reads
    the blobs row by row, the reference).

    ``uri``: the file, for the scan of a large table to run as a few queries of a few columns
    each on connections of their own, two at a time (sqlite3 lets other threads run while
    SQLite steps: its per-value cost, about half the read, then takes half the wall time on
    two cores). The aggregate row is the same either way.

    ``pairs_only``: the pair columns come as one ``group_concat(x || char(1) || y,
    char(0))``, so the pairs are one split of 500,000 strings and a dict of them (not two
    splits, two sets of each column's values and a dict of 500,000 tuples). Taken only when
    every x and y is text (no NULL, number or blob, as the two concatenations ask), the
    split gives one piece per row and the text holds exactly one char(1) per row: then no
    value holds a NUL or a char(1), so each piece is one row's x and y, cut at its char(1).
    Otherwise the pairs are left to the caller (SELECT DISTINCT), as before.
    """
    columns = table.columns
    few = _few_valued(conn, qt, table) if table.rows >= FEW_VALUED_ROWS else []
    pair = table.pair_columns if pairs_only else None
    many = [c for c in columns if c not in few and (pair is None or c not in pair)]
    items: list[_Item] = []
    items.extend(("json", c) for c in few)
    items.extend(("concat", c) for c in many)
    if pair is not None:
        items.append(("pair", pair))
    if geom_col is not None:
        items.append(("geometry", geom_col))
    distinct: dict[str, list[str]] = {}
    full: dict[str, list[str]] = {}
    points_agg: Optional[tuple] = None
    pair_rows: Optional[list[tuple[str, str]]] = None
    total: Optional[int] = None
    groups = _aggregate_groups(conn, qt, items, uri, table.rows)
    try:
        for layout, row in groups:  # each group's columns are taken while others run
            if row is None and any(kind == "json" for kind, _col in layout):
                # (a blob makes json_group_array fail): those columns concatenated instead
                layout = [("concat" if kind == "json" else kind, col) for kind, col in layout]
                row = _query_row(conn, _select(qt, layout))
            if row is None or (total is not None and int(row[0]) != total):
                return None  # an SQLite error, or the file changed between the groups
            total = int(row[0])
            at = 1
            for kind, col in layout:
                width = _AGGREGATES[kind]
                values = row[at : at + width]
                at += width
                if not isinstance(col, str):  # (the pair)
                    taken, pair_rows = _take_pairs(values, total)
                    if not taken:
                        return None
                elif kind == "json":
                    if not _take_json_column(col, values[0], distinct):
                        return None
                elif kind == "concat":
                    joined, count, texts = values
                    if not _take_column(table, col, joined, count, texts, distinct, full):
                        return None
                else:
                    points_agg = tuple(values)
            del row
    finally:
        groups.close()
    if total is None:
        return None
    pairs = None
    if pair is not None:
        pairs = pair_rows
    elif table.pair_columns is not None:
        xs, ys = full.get(table.pair_columns[0]), full.get(table.pair_columns[1])
        if total == 0:
            pairs = []
        elif xs is not None and ys is not None and len(xs) == len(ys) == total:
            pairs = list(dict.fromkeys(zip(xs, ys)))  # first occurrence, as DISTINCT gives
    points = None
    if points_agg is not None:
        points = _scanned_points(points_agg)
    return _Scanned(distinct, pairs, points)


FEW_VALUED_ROWS = 50_000  # tables this large are sampled for columns of few values
_SAMPLE_ROWS = 1024  # rows looked at, spread over the table
_FEW_IN_SAMPLE = 64  # a column with at most this many distinct values among them
_AGGREGATES = {"json": 1, "concat": 3, "pair": 5, "geometry": 5}
# (kind, column): the pair's column is the (x, y) names
_Item = tuple[str, Union[str, tuple[str, str]]]


def _aggregate_sql(kind: str, column: Union[str, tuple[str, str]]) -> list[str]:
    if not isinstance(column, str):
        x, y = _quote(column[0]), _quote(column[1])
        return [
            f"group_concat({x} || char(1) || {y}, char(0))",
            f"count({x})",
            f"sum(typeof({x}) = 'text')",
            f"count({y})",
            f"sum(typeof({y}) = 'text')",
        ]
    q = _quote(column)
    if kind == "json":
        return [f"json_group_array(DISTINCT {q} COLLATE BINARY)"]
    if kind == "concat":
        return [f"group_concat({q}, char(0))", f"count({q})", f"sum(typeof({q}) = 'text')"]
    return [
        f"count({q})",
        f"sum(typeof({q}) = 'blob')",
        f"min(length({q}))",
        f"max(length({q}))",
        f"group_concat({q}, X'')",
    ]


def _select(qt: str, layout: list[_Item]) -> str:
    aggregates = [a for kind, col in layout for a in _aggregate_sql(kind, col)]
    return f"SELECT {', '.join(['count(*)'] + aggregates)} FROM {qt}"


def _few_valued(conn: sqlite3.Connection, qt: str, table: GpkgTable) -> list[str]:
    """The columns (not the x/y pair, which is read whole) with few distinct values among
    some rows spread over the table (by rowid). Anything odd (a view, a table without
    rowid, an error) gives none: every column is then concatenated, as before."""
    pair = table.pair_columns or ()
    candidates = [c for c in table.columns if c not in pair]
    if not candidates:
        return []
    factory = conn.text_factory
    conn.text_factory = bytes
    try:
        # (two queries: SQLite answers a lone min() or max() of the rowid from the b-tree's
        # ends, but both in one query with a scan of the whole table)
        lo = conn.execute(f"SELECT min(rowid) FROM {qt}").fetchone()[0]
        hi = conn.execute(f"SELECT max(rowid) FROM {qt}").fetchone()[0]
        if not isinstance(lo, int) or not isinstance(hi, int) or hi < lo:
            return []
        ids = sorted(set(np.linspace(lo, hi, _SAMPLE_ROWS).round().astype(np.int64).tolist()))
        cols = ", ".join(_quote(c) for c in candidates)
        rows = conn.execute(
            f"SELECT {cols} FROM {qt} WHERE rowid IN ({', '.join(map(str, ids))})"
        ).fetchall()
    except (sqlite3.Error, OverflowError, ValueError, TypeError):
        return []
    finally:
        conn.text_factory = factory
    if len(rows) < _SAMPLE_ROWS // 2:
        return []
    return [c for i, c in enumerate(candidates) if len({r[i] for r in rows}) <= _FEW_IN_SAMPLE]


def _take_json_column(col: str, array: Optional[bytes], distinct: dict[str, list[str]]) -> bool:
    """One column's distinct values from its ``json_group_array(DISTINCT ...)``: taken when
    every value is text or NULL (else left to the column-by-column read); False when the
    text is not UTF-8 or not the JSON array SQLite writes (the table is then read the old
    way)."""
    if not isinstance(array, bytes):
        return False
    try:
        values = json.loads(array.decode("utf-8"))
    except ValueError:  # (UnicodeDecodeError and JSONDecodeError are ValueErrors)
        return False
    if not isinstance(values, list):
        return False
    text = [v for v in values if v is not None]
    if all(type(v) is str for v in text):
        distinct[col] = text
    return True


def _take_column(
    table: GpkgTable,
    col: str,
    joined: Optional[bytes],
    count: Optional[int],
    texts: Optional[int],
    distinct: dict[str, list[str]],
    full: dict[str, list[str]],
) -> bool:
    """One column's distinct values from its aggregates, where they are exactly the
    column-by-column read's (else the column is left to that read); False when its text is
    not UTF-8 (the whole table is then read the old way)."""
    count = int(count or 0)
    if count == 0:
        distinct[col] = []
        return True
    if int(texts or 0) != count or joined is None:
        return True
    try:
        values = joined.decode("utf-8")
    except UnicodeDecodeError:
        return False
    split = values.split("\x00")
    del joined, values
    if len(split) != count:  # some value holds a NUL: the column is read the old way
        return True
    distinct[col] = list(set(split))
    if table.pair_columns is not None and col in table.pair_columns:
        full[col] = split
    return True


def _take_pairs(values: tuple, total: int) -> tuple[bool, Optional[list[tuple[str, str]]]]:
    """(False when the text is not UTF-8: the table is then read the old way; the distinct
    (x, y) pairs in first-occurrence order, or None when they are left to the caller) from
    the pair aggregates (see :func:`_scan_table`)."""
    joined, count_x, texts_x, count_y, texts_y = values
    if total == 0:
        return True, []
    if joined is None or any(int(v or 0) != total for v in (count_x, texts_x, count_y, texts_y)):
        return True, None  # a NULL, number or blob
    try:
        text = joined.decode("utf-8")
    except UnicodeDecodeError:
        return False, None
    del joined
    if text.count("\x01") != total:
        return True, None  # some value holds a char(1)
    rows = text.split("\x00")
    del text
    if len(rows) != total:
        return True, None  # some value holds a NUL
    flat = "\x01".join(dict.fromkeys(rows)).split("\x01")  # (first occurrence, as DISTINCT)
    return True, list(zip(flat[0::2], flat[1::2]))


THREADED_SCAN_ROWS = 50_000  # tables this large are scanned in column groups, two at a time
_SCAN_GROUPS = 3


def _aggregate_groups(
    conn: sqlite3.Connection,
    qt: str,
    items: list[_Item],
    uri: Optional[str],
    rows: int,
) -> Generator[tuple[list[_Item], Optional[tuple]], None, None]:
    """``SELECT count(*), <aggregates of items> FROM qt`` (text as bytes; each item a
    (kind, column) with :data:`_AGGREGATES` values), as (items, row) of item groups: row is
    (count(*), the group's aggregates), None for a group SQLite failed. Large tables: a few
    groups run on their own read-only connections two at a time, each yielded as soon as it
    is done (whatever the order), so the caller takes one group's values while SQLite runs
    the others. The pair and the geometry, whose values take the caller longest, come first;
    the distinct-value columns, which take it no time, last, so little of the caller's work
    is left when the last query ends."""
    threaded = uri is not None and rows >= THREADED_SCAN_ROWS
    layouts: list[list[_Item]]
    if not threaded or len(items) < 2:
        layouts = [items]
    else:
        first = [i for i in items if i[0] in ("pair", "geometry")]
        last = [i for i in items if i[0] == "json"]
        rest = [i for i in items if i not in first and i not in last]
        parts = max(1, min(_SCAN_GROUPS - (first != []) - (last != []), len(rest)))
        bounds = np.linspace(0, len(rest), parts + 1).round().astype(int).tolist()
        layouts = [first] + [rest[bounds[g] : bounds[g + 1]] for g in range(parts)] + [last]
        layouts = [lay for lay in layouts if lay]
    sqls = [_select(qt, lay) for lay in layouts]
    if len(sqls) == 1:
        yield layouts[0], _query_row(conn, sqls[0])
        return
    from concurrent.futures import ThreadPoolExecutor, as_completed

    assert uri is not None
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            pool.submit(_query_on_own_connection, uri, sql): lay for sql, lay in zip(sqls, layouts)
        }
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
        finally:
            for future in futures:
                future.cancel()  # (those not started; the pool waits for the others)


def _query_row(conn: sqlite3.Connection, sql: str) -> Optional[tuple]:
    factory = conn.text_factory
    conn.text_factory = bytes
    try:
        return conn.execute(sql).fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.text_factory = factory


def _query_on_own_connection(uri: str, sql: str) -> Optional[tuple]:
    try:
        conn = sqlite3.connect(uri, uri=True)
    except sqlite3.Error:
        return None
    try:
        return _query_row(conn, sql)
    finally:
        conn.close()


def _scanned_points(agg: tuple) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """x, y of the scan's geometry aggregates when geometry_coordinates would decode them
    in its one vectorised step (plain little-endian 2D points without envelope); else None."""
    count, blobs_n, shortest, longest, blobs = agg
    count = int(count or 0)
    if count == 0 or int(blobs_n or 0) != count:
        return None  # no geometry (geometry_coordinates answers empty arrays) or not blobs
    size = _FAST_POINT.itemsize
    if shortest != size or longest != size or blobs is None or len(blobs) != count * size:
        return None
    packed = np.frombuffer(blobs, dtype=_FAST_POINT)
    if not (
        (packed["magic"] == b"GP").all()
        and (packed["flags"] == 0x01).all()
        and (packed["order"] == 1).all()
        and (packed["type"] == 1).all()
    ):
        return None
    return packed["x"].copy(), packed["y"].copy()


def _as_text(value: object) -> str:
    """A cell as the text a reader of the file would see (blobs as hex: still checkable)."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    return str(value)
