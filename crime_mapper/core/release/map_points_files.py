"""Map points from files and from the crimes, without QGIS, and written back to a GeoPackage.

The release pipeline (core.release.pipeline) takes its map points in one of these forms, all
readable in plain Python so the command line, Processing and the dock get the same points:

- a map points file: a GeoPackage table ``map_points`` (what build_map_points and
  ``write_map_points_gpkg`` write; WGS84 points, a ``label`` field) or a CSV
  (core.release.map_points.read_map_points_csv);
- a force's police.uk history (files, folders, monthly zips) through core.load.loader;
- the hexagon fallback over the release's own crimes.

:class:`MapPointsSpec` describes "where the map points come from" so that a worker thread (a
QgsTask) or the pipeline can resolve it after the cheap checks. The QGIS side
(qgis_bridge.map_points_io) extends it with layers (point layers, roads and addresses).
"""

from __future__ import annotations

import datetime
import math
import os
import sqlite3
import struct
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np
import pandas as pd

from ..common.feedback import Feedback
from ..common.layer_source import (
    LAYER_OPTION,
    LAYERS_NAMED,
    layer_of,
    source_options,
    split_layer_source,
)
from ..common.schema import REASONS
from ..common.staging import staged_outputs
from ..common.text_file import not_found, shown_line, shown_path
from ..io import gpkg_write
from ..io.gpkg_read import (
    WKB_TYPE_NAMES,
    GpkgReadError,
    blob_coordinates,
    blob_geometry_type,
    blob_is_empty,
    decode_point_rows,
    point_coordinates,
    read_only_uri,
)
from .map_points import (
    DEFAULT_MIN_ADDRESSES,
    MapPoints,
    MapPointsError,
    blank_sources_as_layer,
    check_sources,
    control_bytes,
    file_labels,
    map_points_from_arrays,
    map_points_from_history,
    map_points_hexagon_fallback,
    object_array,
    read_map_points_csv,
    same_text,
)

PathLike = Union[str, "os.PathLike[str]"]

MAP_POINTS_TABLE = "map_points"
# Field name -> gpkg_write dtype. Optional attributes are picked up from a layer that has them
# (a map_points layer written here, loaded back into QGIS, round-trips).
MAP_POINTS_FIELDS: dict[str, str] = {
    "label": "string",
    "source": "string",
    "addresses": "int64",
    "lsoa_code": "string",
    "lsoa_name": "string",
}
HEXAGON_WARNING = (
    "Hexagon fallback: these map points are hexagon centres, not "
    "street-level points; locations read 'On or near <area>'."
)


def no_geometry_warning(skipped: int) -> str:
    """The warning of map points features without a geometry (NULL or empty), skipped: one
    text for the QGIS layer reader (qgis_bridge.map_points_io.points_from_source) and the
    GeoPackage file reader, so that the command line and QGIS say the same of one layer."""
    return f"{skipped} feature(s) of the map points layer have no geometry and were not used."


class MapPointsInputError(MapPointsError):
    """A layer or file cannot give map points; raised before any work starts."""


_BINARY = (bytes, bytearray, memoryview)


def _is_binary(value: Any) -> bool:
    return isinstance(value, _BINARY) or type(value).__name__ == "QByteArray"


_DATES = ("QDate", "QDateTime", "QTime")


def text_value(value: Any) -> str:
    """A field value as text: None and a QVariant NULL (from QGIS attributes) give "".
    A number reads as the text it is; a date or time (a QGIS date field's QDate) as its
    ISO text, as QGIS shows it. Binary data (a BLOB, a QByteArray), true/false, a list or
    a map are refused: str() would publish their Python repr ("On or near b'\\xc3(AB'",
    an LSOA code "PyQt5.QtCore.QDate(2022, 1, 1)", a label "['a', 'b']" or "True"); so are
    NaN and infinity (a double field's), which it published as "On or near nan"."""
    if value is None:
        return ""
    if _is_binary(value):
        raise MapPointsInputError("a text field holds binary data (a BLOB), not text")
    try:
        if hasattr(value, "isNull") and value.isNull():
            return ""
    except TypeError:
        pass
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        raise MapPointsInputError("a text field holds true/false, not text")
    if isinstance(value, (float, np.floating)) and not math.isfinite(value):
        raise MapPointsInputError(f"a text field holds the number {value}, not text")
    if isinstance(value, (int, float, np.integer, np.floating)):
        return str(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    kind = type(value).__name__
    if kind in _DATES:
        return str(getattr(value, f"toPy{kind[1:]}")().isoformat())
    raise MapPointsInputError(f"a text field holds a {kind}, not text")


# --- from the crimes ------------------------------------------------------------------------


def history_points(paths: Sequence[PathLike], feedback: Optional[Feedback] = None) -> MapPoints:
    """The distinct published points of a force's police.uk history (files, folders, zips)."""
    from ..load.loader import load_extracts

    if not paths:
        raise MapPointsInputError("no police.uk history files were given")
    for path in paths:
        if not Path(path).exists():
            raise MapPointsInputError(not_found("police.uk history", path))
    return history_points_from_load(load_extracts([str(p) for p in paths], feedback=feedback))


def history_points_from_load(result: Any) -> MapPoints:
    """The map points of a loaded police.uk history (a core.load.loader result).

    Refuses force extracts: their exact locations are what a release must hide, so they can
    never be map points."""
    crimes = result.crimes
    if not len(crimes):
        errors = "; ".join(f.error for f in result.files if f.error)
        raise MapPointsInputError(
            "the police.uk history files hold no street-level crimes"
            + (f" ({errors})" if errors else "")
        )
    if "source_format" in crimes and (crimes["source_format"].astype(str) != "police.uk").any():
        raise MapPointsInputError(
            "map points can only be derived from published police.uk street files; some of "
            "the files given are force extracts (their exact locations are not map points)"
        )
    points = map_points_from_history(crimes)
    points.warnings.extend(history_rejects(result))
    return points


def history_rejects(result: Any) -> list[str]:
    """One warning for the history rows the load rejected (a core.load.loader result): how
    many, by reason, and the first few by file and line. Each is a published point the map
    points do not have (a row whose coordinates read as Infinity or NaN, say), and the
    command said only how many crimes it used, so rows went missing without a word."""
    rejects = result.rejects
    if rejects is None or not len(rejects):
        return []
    reasons = rejects["reason"].astype(str).value_counts(sort=False).sort_index()
    shown = [
        f"{shown_line(Path(str(where)).name)} line {line}: {REASONS.get(str(why), str(why))} "
        f"({detail})"
        for where, line, why, detail in zip(
            rejects["source_file"][:3],
            rejects["source_line"][:3],
            rejects["reason"][:3],
            rejects["detail"][:3],
        )
    ]
    return [
        f"{len(rejects):,} row{'s' if len(rejects) != 1 else ''} of the police.uk history "
        f"{'were' if len(rejects) != 1 else 'was'} rejected and gave no map point ("
        + ", ".join(f"{why} {count:,}" for why, count in reasons.items())
        + "): "
        + "; ".join(shown)
        + ("; ..." if len(rejects) > len(shown) else "")
    ]


def hexagon_points(crimes: pd.DataFrame, size_m: float) -> MapPoints:
    """The hexagon fallback over a crimes table, labelled by LSOA name where known."""
    if size_m is None or not np.isfinite(size_m) or size_m <= 0:
        raise MapPointsInputError("the hexagon size must be a positive number of metres")
    names = (
        crimes["lsoa_name"].astype(object).where(crimes["lsoa_name"].notna(), "")
        if "lsoa_name" in crimes
        else None
    )
    return map_points_hexagon_fallback(
        crimes["longitude"].to_numpy(dtype=np.float64),
        crimes["latitude"].to_numpy(dtype=np.float64),
        float(size_m),
        area_names=names,
    )


# --- GeoPackage -----------------------------------------------------------------------------


def map_points_table(points: MapPoints, name: str = MAP_POINTS_TABLE) -> gpkg_write.PointTable:
    """The gpkg_write table of ``points`` (WGS84 point geometry, MAP_POINTS_FIELDS)."""
    frame = points.to_frame()
    warning = " ".join(points.warnings)
    description = "crime_mapper anonymous map points" + (f". {warning}" if warning else "")
    return gpkg_write.PointTable(name, frame, dict(MAP_POINTS_FIELDS), description=description)


def write_map_points_gpkg(
    points: MapPoints, path: PathLike, feedback: Optional[Feedback] = None
) -> Path:
    """Write ``points`` as table ``map_points`` of a new GeoPackage at ``path``, atomically
    (a failed or cancelled write leaves an existing file unchanged)."""
    path = Path(path)
    with staged_outputs() as stage:
        gpkg_write.write_geopackage(
            stage.path_for(path), [map_points_table(points)], feedback=feedback
        )
    return path


def read_map_points_gpkg(path: PathLike, table: str = MAP_POINTS_TABLE) -> MapPoints:
    """Map points from a GeoPackage table written by write_map_points_gpkg (or any WGS84
    point table with a ``label`` field; a label written "On or near X" is stored as "X",
    as core.release.map_points.file_labels says)."""
    path = Path(path)
    if not path.is_file():
        raise MapPointsInputError(not_found("map points GeoPackage", path))
    conn = sqlite3.connect(read_only_uri(path), uri=True)
    try:
        found = _read_gpkg_rows(conn, path, table)
    except sqlite3.DatabaseError as exc:  # (not SQLite, or damaged past reading)
        raise MapPointsInputError(
            f"{shown_path(path)} cannot be read as a GeoPackage ({exc})"
        ) from exc
    finally:
        conn.close()
    if isinstance(found, MapPoints):
        return found
    rows, wanted = found
    if not rows:
        raise MapPointsInputError(f"{shown_path(path)}: the {table!r} layer is empty")
    data = np.empty((len(rows), len(rows[0])), dtype=object)
    data[:] = rows  # one C-level transpose: zip(*rows) takes seconds at 750,000 points
    where = f"{shown_path(path)}: the {table!r} layer"
    data, warnings = _rows_with_geometry(data, where)
    for i, name in enumerate(wanted):
        if MAP_POINTS_FIELDS[name] != "string":
            continue
        binary = sum(map(_is_binary, data[:, i + 1].tolist()))
        if binary:
            raise MapPointsInputError(
                f"{shown_path(path)}: the {table!r} layer's {name!r} field holds binary data (a "
                f"BLOB) in {binary:,} rows, not text: store it as text"
            )
    blobs = data[:, 0].tolist()
    x, y = point_coordinates(blobs)
    _points_of_other_geometries(blobs, data[:, -1].tolist(), x, y, where)
    columns = {name: data[:, i + 1] for i, name in enumerate(wanted)}
    return _map_points_from_columns(x, y, columns, where=where, warnings=warnings)


def _rows_with_geometry(data: np.ndarray, where: str) -> tuple[np.ndarray, list[str]]:
    """The rows (geometry first) that hold a geometry, and the warning of those skipped.

    Why: the QGIS layer reader skips a feature with no (or an empty) geometry and says how
    many; this reader refused the layer ("missing or non-numeric coordinates"), so the
    command line refused a layer QGIS read. A layer with no geometry at all is refused, as
    the QGIS reader refuses it."""
    empty = np.fromiter(map(blob_is_empty, data[:, 0].tolist()), dtype=bool, count=len(data))
    if not empty.any():
        return data, []
    if empty.all():
        raise MapPointsInputError(f"{where} has no point with a geometry")
    return data[~empty], [no_geometry_warning(int(empty.sum()))]


# A map points table's geometries that are no point, as a refusal names them (by WKB type,
# gpkg_read.WKB_TYPE_NAMES), and what to do about them.
_LINES_ADVICE = (
    "make map points of roads with 'Build anonymous map points' (Roads), or take a point on "
    "each feature (QGIS Processing: Point on surface)"
)
_AREAS_ADVICE = "take a point on each feature (QGIS Processing: Point on surface)"
_NOT_POINTS = {
    2: ("lines", _LINES_ADVICE),
    3: ("polygons", _AREAS_ADVICE),
    4: (
        "MultiPoints of several points",
        "split them into single points (QGIS Processing: Multipart to singleparts), or choose "
        "the layer in QGIS as the map points layer, which makes a map point of each of their "
        "points",
    ),
    5: ("lines", _LINES_ADVICE),
    6: ("polygons", _AREAS_ADVICE),
    7: ("geometry collections", _AREAS_ADVICE),
}


def _points_of_other_geometries(
    blobs: list, fids: list, x: np.ndarray, y: np.ndarray, where: str
) -> None:
    """The rows left without a point by point_coordinates (NaN) whose geometry is a
    MultiPoint of one point get that point, as the QGIS layer reader reads a MultiPoint
    (qgis_bridge.map_points_io.points_from_source); a MapPointsInputError names the
    geometry type, how many features and the first one's fid when a row holds any other
    geometry (a line, a polygon, a MultiPoint of several points): MapPoints then said only
    that the points had "missing or non-numeric coordinates". Rows without a geometry, with
    an empty or damaged point, are left to MapPoints' own refusal."""
    found: dict[int, list] = {}
    for i in np.flatnonzero(~(np.isfinite(x) & np.isfinite(y))).tolist():
        kind = blob_geometry_type(blobs[i])
        if kind is None or kind == 1:
            continue
        if kind == 4:
            try:
                px, py = blob_coordinates(bytes(blobs[i]))
            except (GpkgReadError, struct.error, ValueError):  # (damaged past reading)
                continue
            if px.size == 1:
                x[i], y[i] = px[0], py[0]
                continue
        found.setdefault(kind, []).append(fids[i])
    if not found:
        return
    held = []
    for kind, rows in found.items():
        words = _NOT_POINTS.get(kind, ("geometries that are no points", _AREAS_ADVICE))[0]
        name = WKB_TYPE_NAMES.get(kind, f"WKB type {kind}")
        count = f"{len(rows):,} feature{'s' if len(rows) != 1 else ''}"
        held.append(f"{words} ({count} of type {name}, the first fid {rows[0]})")
    first = next(iter(found))
    advice = _NOT_POINTS.get(first, ("", _AREAS_ADVICE))[1]
    raise MapPointsInputError(
        f"{where} holds {' and '.join(held)}, but map points must be points, one per "
        f"feature (a MultiPoint of one point is read as that point): {advice}"
    )


def _read_gpkg_rows(
    conn: sqlite3.Connection, path: Path, table: str
) -> Union[MapPoints, tuple[list, list[str]]]:
    """The map points the bulk read makes, or (the rows, their columns after the geometry)
    for the row-by-row read. Every name the file gives (table, geometry column) is quoted as
    an SQL identifier: a GeoPackage is input like any other."""
    geom_row = conn.execute(
        "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?",
        (table,),
    ).fetchone()
    if geom_row is None:
        raise MapPointsInputError(_no_such_layer(conn, path, table))
    geom_col, srs_id = geom_row
    if not isinstance(srs_id, int) or srs_id != gpkg_write.WGS84_SRS_ID:
        raise MapPointsInputError(
            f"{shown_path(path)}: the {table!r} layer is not in WGS84 (EPSG:4326); load it in QGIS "
            "and choose it as a map points layer instead"
        )
    info = conn.execute(f"PRAGMA table_info({_quoted(table)})").fetchall()
    columns = [row[1] for row in info]
    declared = {row[1]: str(row[2] or "").upper() for row in info}
    if declared.get("addresses") == "BOOLEAN":  # (SQLite stores true as 1: a count of 1)
        raise MapPointsInputError(
            f"{shown_path(path)}: the {table!r} layer's 'addresses' field holds true/false, not a "
            "number of addresses; store each catchment's address count (-1 where not known)"
        )
    if "label" not in columns:
        raise MapPointsInputError(f"{shown_path(path)}: the {table!r} layer has no 'label' field")
    if geom_col not in columns:
        raise MapPointsInputError(
            f"{shown_path(path)}: the {table!r} layer has no column {geom_col!r}"
        )
    wanted = [c for c in MAP_POINTS_FIELDS if c in columns]
    bulk = _read_in_bulk(conn, table, geom_col, wanted, columns, path)
    # (a row without a point, a MultiPoint say, is read row by row, where it is named)
    if bulk is not None and np.isfinite(bulk[0]).all() and np.isfinite(bulk[1]).all():
        x, y, values, clean = bulk
        where = f"{shown_path(path)}: the {table!r} layer"
        return _map_points_from_columns(x, y, values, text_checked=clean, all_str=True, where=where)
    # (each row's fid last, for the refusals naming a feature)
    select = ", ".join(_quoted(c) for c in [geom_col, *wanted, "fid"])
    rows = conn.execute(f"SELECT {select} FROM {_quoted(table)} ORDER BY fid").fetchall()
    return rows, wanted


def _no_such_layer(conn: sqlite3.Connection, path: Path, table: str) -> str:
    """The refusal of a GeoPackage without the layer asked for: the layers it holds (the
    first LAYERS_NAMED, in the file's order, each with its geometry type) and how to
    choose one, so that the analyst can pick the map points among them."""
    found = conn.execute(
        "SELECT table_name, geometry_type_name FROM gpkg_geometry_columns ORDER BY rowid"
    ).fetchall()
    if not found:
        return (
            f"{shown_path(path)} has no {table!r} layer, nor any other layer with a geometry: map "
            "points are a point layer (as 'Build anonymous map points' writes)"
        )
    named = [f"{str(name)!r} ({str(kind).lower()})" for name, kind in found[:LAYERS_NAMED]]
    more = len(found) - len(named)
    listed = ", ".join(named) + (f" and {more:,} more" if more else "")
    layers = f"layer{'s' if len(found) != 1 else ''}"
    return (
        f"{shown_path(path)} has no {table!r} layer; its {layers}: {listed}. To read another "
        f"layer, give the file as '{shown_path(path)}|layername=LAYER' (on the command line, "
        "--points), or in QGIS add the layer and choose it as the map points layer"
    )


def _map_points_from_columns(
    x: np.ndarray,
    y: np.ndarray,
    values: dict[str, Any],
    text_checked: bool = False,
    all_str: bool = False,
    where: str = "",
    warnings: Sequence[str] = (),
) -> MapPoints:
    """Map points from the decoded coordinates and the table's columns (object arrays);
    ``text_checked``: the text columns are str without control characters (the bulk read
    proved it from the bytes); ``all_str``: every text column holds str only (the bulk
    read's split makes nothing else), so they are not looked at value by value for that;
    ``where``: the file and layer, named in errors about a value (address counts and sources
    are checked strictly: a count of 2.7, true or "many" was read as 2, 1 or unknown);
    ``warnings``: the read's own, said before the columns' (as the QGIS layer reader)."""

    def text(name: str) -> Optional[Any]:
        if name not in values:
            return None
        column = values[name]
        if all_str or pd.api.types.infer_dtype(column, skipna=False) == "string":
            return column  # every value already text: nothing to convert
        return [text_value(v) for v in column]

    def integers(name: str) -> Any:
        column = values[name]
        if pd.api.types.infer_dtype(column, skipna=False) == "integer":
            return column.astype(np.int64)
        return column  # (value by value, strictly, by address_counts)

    source = text("source")
    warnings = list(warnings)
    if source is None or not len(source):
        source = "layer"
    else:
        source = np.asarray(source, dtype=object)
        distinct = set(source.tolist())  # (one pass, for the checks and the warning)
        check_sources(distinct, where)
        source = blank_sources_as_layer(source, distinct)
        if "hexagon fallback" in distinct:
            warnings.append(HEXAGON_WARNING)
    addresses = integers("addresses") if "addresses" in values else None
    return map_points_from_arrays(
        x,
        y,
        file_labels(np.asarray(text("label"), dtype=object)),
        source=source,
        addresses=addresses,
        lsoa_code=text("lsoa_code"),
        lsoa_name=text("lsoa_name"),
        warnings=warnings,
        text_checked=text_checked,
        where=where,
        sources_checked=True,
    )


_SEPARATOR = "\x1f"  # between text values in one aggregate (a value holding it is refused)

# Names that would shadow the table's own rowid in SQL (the bulk read then does not run).
_ROWID_NAMES = {"rowid", "oid", "_rowid_"}


def _read_in_bulk(
    conn: sqlite3.Connection,
    table: str,
    geom_col: str,
    wanted: list[str],
    columns: list[str],
    path: Optional[Path] = None,
) -> Optional[tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], bool]]:
    """The table's points and columns read with aggregates (a few long strings instead of
    750,000 row tuples, which alone took seconds), or None when anything is not the plain
    case (a NULL or odd-sized geometry, a value that is not text where text is expected, a
    value holding the separator, text that is not UTF-8, a fid that is not the rowid...): the
    row-by-row read then runs and its results, warnings and errors stay the reference.

    Each column comes back as one aggregate: the text columns joined by a separator, the
    addresses as decimal text and the geometry blobs end to end, decoded as one 2-D byte
    array by gpkg_read.decode_point_rows. Whether every value is of the plain kind is one
    count of the rows passing comparisons (SQLite's opcodes, no function calls: typeof()
    checks cost a third of the read; an SQLite older than 3.30, without FILTER, refuses the
    query and the table is read row by row). The rows come in rowid order (a table scan,
    NOT INDEXED), which is the fid order once every fid is shown to be its row's rowid. The
    last item returned says whether the text holds no control character (seen in the
    bytes: MapPoints then does not look value by value).

    A large table (and a ``path`` to open more connections) is read as slices of its fid
    range on two connections in threads (SQLite lets go of Python's lock while it works),
    which also decode each slice's numbers (`_decode_numbers`); each slice's text is split
    here while the next ones are still being read.
    """
    if _ROWID_NAMES & {c.lower() for c in columns}:
        return None
    length = _geometry_length(conn, table, geom_col)
    if length is None:
        return None
    sql, texts, integers = _bulk_sql(table, geom_col, wanted)
    cuts = _fid_slices(conn, table) if path is not None else None
    if cuts is None or path is None:
        row = _aggregate(conn, sql, (length,))
        chunk = _decode_bulk(row, texts, integers, length) if row is not None else None
        return None if chunk is None or not chunk[0] else chunk[1:]
    # Every row is in exactly one slice: SQLite's comparisons order all non-NULL values (a
    # text, real or blob fid too), and a NULL fid, which no comparison holds for, is taken
    # by the last slice (its rows are then not the plain case, and the table is read row by
    # row). So the slices' counts add up to the table's rows without a count(*) scan.
    queries: list[tuple[str, tuple[int, ...]]] = [(f"{sql} AND fid <= ?", (length, cuts[0]))]
    queries += [(f"{sql} AND fid > ? AND fid <= ?", (length, a, b)) for a, b in zip(cuts, cuts[1:])]
    queries.append((f"{sql} AND (fid > ? OR fid IS NULL)", (length, cuts[-1])))
    local = threading.local()
    uri = read_only_uri(path)

    def read(query: tuple[str, tuple[int, ...]]) -> Optional[_Numbers]:
        own = getattr(local, "conn", None)
        if own is None:
            own = local.conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
            opened.append(own)
        return _decode_numbers(_aggregate(own, *query), texts, integers, length)

    opened: list[sqlite3.Connection] = []
    chunks = []
    with ThreadPoolExecutor(max_workers=_READERS, thread_name_prefix="map-points-read") as pool:
        try:
            for numbers in pool.map(read, queries):  # in order, each as soon as it is read
                chunk = _decode_texts(numbers, texts) if numbers is not None else None
                if chunk is None:
                    break
                chunks.append(chunk)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            for own in opened:
                own.close()
    if len(chunks) != len(queries):
        return None  # anything the plain case does not hold
    values = {name: np.concatenate([c[3][name] for c in chunks]) for name in texts + integers}
    return (
        np.concatenate([c[1] for c in chunks]),
        np.concatenate([c[2] for c in chunks]),
        values,
        all(c[4] for c in chunks),
    )


# Tables smaller than this are read in one pass (threads and more connections cost more than
# they save); larger ones in _SLICES slices of their fid range, on _READERS connections.
_SLICED_FROM_ROWS = 100_000
_SLICES = 6
_READERS = 2


def _fid_slices(conn: sqlite3.Connection, table: str) -> Optional[list[int]]:
    """The fids cutting the table's fid range in _SLICES slices, for a table worth reading in
    slices (its fid range as wide as _SLICED_FROM_ROWS: only the speed depends on it), else
    None. min() and max() are asked apart: SQLite answers each alone from the primary key's
    b-tree, both together (and a count(*)) by a scan of the table."""
    try:
        (low,) = conn.execute(f"SELECT min(fid) FROM {_quoted(table)}").fetchone()
        (high,) = conn.execute(f"SELECT max(fid) FROM {_quoted(table)}").fetchone()
    except sqlite3.Error:
        return None
    if not isinstance(low, int) or not isinstance(high, int):
        return None
    if high - low + 1 < _SLICED_FROM_ROWS or high - low < _SLICES:
        return None
    step = (high - low) // _SLICES
    return [low + step * k for k in range(1, _SLICES)]


def _geometry_length(conn: sqlite3.Connection, table: str, geom_col: str) -> Optional[int]:
    """The length of one row's geometry blob (every row's must be the same for the bulk
    read), or None when that is not a point blob."""
    try:
        row = conn.execute(
            f"SELECT length({_quoted(geom_col)}), typeof({_quoted(geom_col)}) "
            f"FROM {_quoted(table)} LIMIT 1"
        ).fetchone()
    except sqlite3.Error:
        return None
    if row is None or row[1] != "blob" or not isinstance(row[0], int) or row[0] < 29:
        return None
    return int(row[0])


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _bulk_sql(table: str, geom_col: str, wanted: list[str]) -> tuple[str, list[str], list[str]]:
    """The aggregate query of `_read_in_bulk` (ending in a WHERE clause that more conditions
    can follow with AND; its one parameter is the geometry length), its text columns and its
    integer columns."""
    texts = [c for c in wanted if MAP_POINTS_FIELDS[c] == "string"]
    integers = [c for c in wanted if MAP_POINTS_FIELDS[c] != "string"]
    g = _quoted(geom_col)
    # SQLite orders NULL < numbers < text < blobs (whatever a column's affinity or collation:
    # '' is the least text, x'' the least blob), and a comparison with NULL is NULL, which
    # the FILTER does not count: so a row counts exactly when its text columns hold text,
    # its integer columns numbers (reals are told apart later by their decimal text), its
    # geometry is a blob of the first row's length and its fid is its rowid, a number.
    # (fid = rowid alone would hold for a text fid '10': the comparison converts it.)
    plain = [f"{g} >= x''", f"length({g}) = ?1", "fid = rowid AND fid < ''"]
    plain += [f"{_quoted(c)} >= '' AND {_quoted(c)} < x''" for c in texts]
    plain += [f"{_quoted(c)} < ''" for c in integers]
    # The separators are text literals: as a blob (X''), a function (char(31)) or a bound
    # parameter, SQLite converts or evaluates the separator again for every row (the whole
    # query, 750,000 points, one connection: 0.72-0.77 -> 0.54 s CPU). Blob or text, the
    # empty separator joins the same bytes.
    parts = [
        "count(*)",
        f"count(*) FILTER (WHERE {' AND '.join(plain)})",
        f"group_concat({g}, '')",
    ]
    parts += [f"group_concat({_quoted(c)}, '{_SEPARATOR}')" for c in texts]
    parts += [f"group_concat({_quoted(c)}, ',')" for c in integers]
    return f"SELECT {', '.join(parts)} FROM {_quoted(table)} NOT INDEXED WHERE 1", texts, integers


def _aggregate(conn: sqlite3.Connection, sql: str, params: tuple) -> Optional[tuple]:
    """The one row of an aggregate query, text as bytes; None if SQLite refuses it (e.g. an
    aggregate longer than SQLite allows: the table is then read row by row)."""
    previous = conn.text_factory
    conn.text_factory = bytes
    try:
        return conn.execute(sql, params).fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.text_factory = previous


def _one_value_column(joined: bytes, n: int) -> Optional[np.ndarray]:
    """The column as an object array when its n values are all the same text (a map
    points table's ``source`` is one value), else None (then it is split as any other).
    The equality decides: the aggregate is exactly that value's bytes n times between
    separators, and the value holds no separator (it ends at the first), so splitting would
    give n copies of it; the whole decodes exactly when the value does (the separator is
    ASCII, so no UTF-8 character spans it). The length test is only a cheap early way out
    (it also covers no separator, one value: first is then -1)."""
    first = joined.find(b"\x1f")
    if len(joined) != n * (first + 1) - 1:
        return None
    value = joined[:first]
    if joined != (value + b"\x1f") * (n - 1) + value:
        return None
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return same_text(n, text)


_DECIMAL_LIST = np.zeros(256, dtype=bool)
_DECIMAL_LIST[np.frombuffer(b"0123456789-,", dtype=np.uint8)] = True


# One aggregate row decoded but for its text columns' split: (rows, x, y, the integer
# columns, whether the text holds no control character but the separators, the text
# columns' aggregates).
_Numbers = tuple[int, np.ndarray, np.ndarray, dict[str, np.ndarray], bool, list[bytes]]


def _decode_bulk(
    row: tuple, texts: list[str], integers: list[str], length: int
) -> Optional[tuple[int, np.ndarray, np.ndarray, dict[str, np.ndarray], bool]]:
    """(rows, x, y, columns, whether the text holds no control character) of one aggregate
    row, or None unless it is the plain case."""
    numbers = _decode_numbers(row, texts, integers, length)
    return None if numbers is None else _decode_texts(numbers, texts)


def _decode_numbers(
    row: Optional[tuple], texts: list[str], integers: list[str], length: int
) -> Optional[_Numbers]:
    """What `_decode_bulk` makes of one aggregate row before the text columns are split:
    numpy work, mostly without Python's lock, so a reader thread does it beside the main
    thread's splitting. None unless it is the plain case."""
    if row is None:
        return None
    n, plain, blobs = row[:3]
    if n != plain:
        return None
    values: dict[str, np.ndarray] = {}
    if n == 0:
        for name in integers:
            values[name] = np.empty(0, dtype=np.int64)
        return 0, np.empty(0), np.empty(0), values, True, [b""] * len(texts)
    if len(blobs) != n * length:
        return None
    rest = row[3:]
    if any(joined is None for joined in rest):
        return None
    clean = True
    for joined in rest[: len(texts)]:
        # no control byte but the n - 1 separators: the text is what MapPoints keeps as it
        # is (UTF-8 never uses a byte below 0x80 inside a character), so it is not checked
        # value by value again
        clean = clean and control_bytes(np.frombuffer(joined, dtype=np.uint8)) == n - 1
    for name, joined in zip(integers, rest[len(texts) :]):
        # integers only: a real's text has a '.' or is Inf (SQLite has no NaN)
        if not _DECIMAL_LIST[np.frombuffer(joined, dtype=np.uint8)].all():
            return None
        numbers = np.fromstring(joined.decode("ascii"), dtype=np.int64, sep=",")
        if numbers.size != n:
            return None
        values[name] = numbers
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    raw = np.frombuffer(blobs, dtype=np.uint8).reshape(n, length)
    decode_point_rows(raw, np.arange(n), x, y)
    return n, x, y, values, clean, list(rest[: len(texts)])


def _decode_texts(
    numbers: _Numbers, texts: list[str]
) -> Optional[tuple[int, np.ndarray, np.ndarray, dict[str, np.ndarray], bool]]:
    """`_decode_bulk`'s result from `_decode_numbers`': the text columns split (Python's
    str, so under its lock), or None when a value holds the separator or is not UTF-8."""
    n, x, y, values, clean, joined_texts = numbers
    for name, joined in zip(texts, joined_texts):
        if n == 0:
            values[name] = np.empty(0, dtype=object)
            continue
        column = _one_value_column(joined, n)
        if column is not None:
            values[name] = column
            continue
        try:
            pieces = joined.decode("utf-8").split(_SEPARATOR)
        except UnicodeDecodeError:
            return None
        if len(pieces) != n:  # a value holding the separator
            return None
        values[name] = object_array(pieces)
    return n, x, y, values, clean


def read_map_points_file(path: PathLike) -> MapPoints:
    """Map points from a .gpkg (table map_points, or layername= in the path) or a .csv.

    A source's QGIS options other than one ``layername=`` (a second one, a ``subset=``
    filter) are refused, not ignored: the points read would not be the ones the analyst
    named (found by a hostile-input sweep: every point was read)."""
    text, options = source_options(path)
    unread = [o for o in options if not o.startswith(LAYER_OPTION)]
    if unread or len(options) > 1:
        what = f"'{shown_line(unread[0][:60])}'" if unread else "a second layername="
        raise MapPointsInputError(
            f"{shown_path(text)}: {what} is a layer option the map points reader does not "
            "apply (it reads one whole layer, named by one layername=); export the points to "
            "use to a layer of their own"
        )
    layer = layer_of(options)
    table = MAP_POINTS_TABLE if layer is None else layer
    if text.lower().endswith(".gpkg"):
        return read_map_points_gpkg(text, table)
    if text.lower().endswith(".csv"):
        if not Path(text).is_file():
            raise MapPointsInputError(not_found("map points file", text))
        return read_map_points_csv(text)
    raise MapPointsInputError(f"{shown_path(text)}: map points come from a .gpkg or .csv file")


# --- one description of "where the map points come from" ------------------------------------


@dataclass
class MapPointsSpec:
    """How to get the map points, resolvable in a worker thread.

    kind: "file" (``paths[0]`` = map points .gpkg or .csv), "history" (``paths`` = police.uk
    files), "hexagon" (``size_m``; the crimes come from the release), or "ready"
    (``points``). The QGIS side adds "points" (a point layer + ``label_field``) and "roads"
    (roads + ``name_field``, optional ``addresses``, ``k``) in qgis_bridge.map_points_io.
    """

    kind: str
    source: Any = None
    label_field: str = ""
    paths: list[str] = field(default_factory=list)
    addresses: Any = None
    k: int = DEFAULT_MIN_ADDRESSES
    size_m: float = 500.0
    points: Optional[MapPoints] = None
    description: str = ""

    @property
    def needs_crimes(self) -> bool:
        """True when the points are derived from the release's own crimes."""
        return self.kind == "hexagon"

    def resolve(
        self, crimes: Optional[pd.DataFrame] = None, feedback: Optional[Feedback] = None
    ) -> MapPoints:
        if self.kind == "ready" and self.points is not None:
            return self.points
        if self.kind == "file":
            if not self.paths:
                raise MapPointsInputError("no map points file was given")
            return read_map_points_file(self.paths[0])
        if self.kind == "history":
            return history_points(self.paths, feedback)
        if self.kind == "hexagon":
            if crimes is None:
                raise MapPointsInputError("the hexagon fallback needs the crimes")
            return hexagon_points(crimes, self.size_m)
        raise MapPointsInputError(f"unknown map points source {self.kind!r}")

    def layer(self) -> Optional[str]:
        """The GeoPackage layer a "file" source names (``|layername=``), for the manifest."""
        return split_layer_source(self.paths[0])[1] if self.kind == "file" and self.paths else None

    def input_files(self) -> list[Path]:
        """Files the map points were read from, for the release manifest."""
        if self.kind in ("file", "history"):
            from .release_files import input_files

            return input_files([split_layer_source(p)[0] for p in self.paths])
        return []
