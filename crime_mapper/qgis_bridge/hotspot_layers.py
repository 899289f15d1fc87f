"""Hotspot layers: crime points in, styled hexagon GeoPackages and KDE GeoTIFFs out.

The one implementation behind the four Processing algorithms (crime_mapper:hotspots_grid,
_kde, _gi, _change), the dock's Hotspots panel (through HotspotTask) and the benchmark, so a
hotspot layer looks the same however it was made. The statistics live in the pure-Python core
(core.hotspots.hexgrid, core.hotspots.getis_ord, core.hotspots.kde, core.hotspots.change); this
module turns a QGIS
layer into projected x/y arrays, writes the results as files and styles them.

Threads: the ``run_*`` functions only read and write files (a layer they open is created and
dropped in the calling thread) so they run in a QgsTask worker; :func:`hotspot_layer` and
:func:`add_hotspot_to_project` build the QGIS layer afterwards on the main thread.

Input, and the documented automatic choices (issue 4, "bad input"):
- a layer in a geographic CRS (WGS84 lon/lat, as the crimes GeoPackage is) is reprojected to
  one projected CRS chosen by core.common.projection.choose_crs: British National Grid (EPSG:27700),
  or Irish Transverse Mercator (EPSG:2157) when most points are in Northern Ireland. The
  choice is written to the output's notes and legend text;
- a layer in a projected CRS measured in metres is used as it is;
- a projected CRS in other units (US feet...) is refused with a clear error: cell sizes and
  bandwidths are in metres, and silently converting would hide the mistake;
- features without a geometry (crimes without a location) are skipped and counted;
- an empty layer, or no features in the chosen months/category, is a clear
  core.hotspots.hexgrid.HotspotInputError naming what the layer does hold; too many cells is
  core.hotspots.hexgrid.TooManyCells from the core, raised before any large array is allocated.

Speed: a GeoPackage layer written by crime_mapper (or any GeoPackage point table) is read
with one SQL query and its geometry blobs decoded with numpy (300,000 points in a fraction
of a second); other providers fall back to a QgsFeatureRequest loop. The hexagon layer is
written by the same numpy + sqlite3 route as core.io.gpkg_write (polygon blobs built in
one vectorised step, bulk-loaded R-tree), not feature by feature.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np
from qgis.core import (
    QgsFeatureRequest,
    QgsLayerTreeGroup,
    QgsMapLayer,
    QgsProject,
    QgsRasterLayer,
    QgsVectorLayer,
)

from ..compat import DISTANCE_METRES, RASTER_STAT_MAX, distance_unit_name
from ..core.common import palette
from ..core.common.feedback import Feedback
from ..core.common.geography import WGS84, transform
from ..core.common.staging import staged_outputs
from ..core.common.vocabulary import CATEGORY_NAMES, normalise_category
from ..core.hotspots.hexgrid import DEFAULT_MAX_CELLS, HotspotInputError, TooManyCells
from ..core.io import gpkg_write
from ..core.io.gpkg_read import point_coordinates
from .layers import gpkg_uri
from .renderers import (
    CHANGE_CLASS_FIELD,
    GI_CLASS_FIELD,
    change_renderer,
    gi_renderer,
    graduated_renderer,
    kde_raster_renderer,
)
from .styles import save_style

PathLike = Union[str, "os.PathLike[str]"]

HOTSPOTS_GROUP = "Hotspots"
GRID_TABLE = "hotspots"
LEGEND_PROPERTY = "crime_mapper/legend_text"
KIND_PROPERTY = "crime_mapper/hotspot_kind"
STYLE_NAME = "crime_mapper"
KINDS = ("grid", "gi", "kde", "change")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

# Field names tried, in order, for the category and month of each point: the internal
# crimes table (core.common.schema) first, then the police.uk public schema.
CATEGORY_FIELDS = ("crime_type", "Crime type", "category")
MONTH_FIELDS = ("month", "Month")


__all__ = ["HotspotInputError", "TooManyCells", "DEFAULT_MAX_CELLS"]


def _input_error(message: str) -> Exception:
    return HotspotInputError(message)


# --- settings parsing --------------------------------------------------------------------------


def parse_months(value: Any) -> list[str]:
    """Months from "2022-09,2022-10" (commas, semicolons or spaces), a list, or nothing.

    ValueError (a HotspotInputError) names any entry that is not YYYY-MM.
    """
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else re.split(r"[,;\s]+", str(value))
    months = [str(m).strip() for m in items if str(m).strip()]
    bad = [m for m in months if not _MONTH.match(m)]
    if bad:
        raise _input_error(f"months must be written YYYY-MM (e.g. 2022-10); not: {', '.join(bad)}")
    return sorted(set(months))


def parse_category(value: Optional[str]) -> Optional[str]:
    """A canonical category name, or None for all crimes ("", "All", None)."""
    if (
        value is None
        or not str(value).strip()
        or str(value).strip().lower() in ("all", "all crimes")
    ):
        return None
    name = normalise_category(str(value))
    if name is None:
        raise _input_error(
            f"unknown crime category {value!r}; use one of: " + ", ".join(CATEGORY_NAMES)
        )
    return name


def describe_months(months: Sequence[str]) -> str:
    if not months:
        return "all months"
    if len(months) == 1:
        return months[0]
    return f"{len(months)} months, {months[0]} to {months[-1]}"


# --- points from a layer -----------------------------------------------------------------------


@dataclass
class HotspotPoints:
    """Crime points ready for the core: projected metres, one CRS, optional month per point."""

    x: np.ndarray
    y: np.ndarray
    crs: str  # authority id of x/y, e.g. "EPSG:27700"
    months: Optional[np.ndarray] = None  # object array of "YYYY-MM", when requested
    source_name: str = ""
    category: Optional[str] = None
    month_filter: list[str] = field(default_factory=list)
    skipped_no_location: int = 0
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.x)

    def subject(self) -> str:
        """Plain words for what was counted, e.g. "Burglary, 2022-10"."""
        what = self.category or "all crimes"
        return f"{what}, {describe_months(self.month_filter)}"


def _find_field(names: Sequence[str], candidates: Sequence[str]) -> Optional[str]:
    lower = {n.lower(): n for n in names}
    for candidate in candidates:
        if candidate.lower() in lower:
            return lower[candidate.lower()]
    return None


def _gpkg_table(layer: QgsVectorLayer) -> Optional[tuple[str, str, str]]:
    """(path, table, geometry column) when the layer is a plain GeoPackage table we can read
    with SQL (no subset string, no joins), else None."""
    if layer.providerType() != "ogr" or layer.subsetString():
        return None
    parts = layer.source().split("|")
    path = parts[0]
    if not path.lower().endswith(".gpkg") or not os.path.isfile(path):
        return None
    table = None
    for part in parts[1:]:
        if part.startswith("layername="):
            table = part[len("layername=") :]
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            rows = conn.execute(
                "SELECT table_name, column_name FROM gpkg_geometry_columns"
            ).fetchall()
    except sqlite3.Error:
        return None
    for name, column in rows:
        if table is None or name == table:
            return path, name, column
    return None


def _read_gpkg(
    layer: QgsVectorLayer,
    spec: tuple[str, str, str],
    category_field: Optional[str],
    month_field: Optional[str],
    category: Optional[str],
    months: Sequence[str],
    want_months: bool,
) -> tuple[np.ndarray, np.ndarray, Optional[np.ndarray], int]:
    path, table, geom = spec
    q = gpkg_write.quote_identifier
    columns = [q(geom)] + ([q(month_field)] if want_months and month_field else [])
    where, args = [], []
    if category is not None:
        where.append(f"{q(category_field)} = ?")
        args.append(category)
    if months:
        where.append(f"{q(month_field)} IN ({', '.join('?' * len(months))})")
        args.extend(months)
    sql = f"SELECT {', '.join(columns)} FROM {q(table)}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        rows = conn.execute(sql, args).fetchall()
    if not rows:
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=object), 0
    if len(columns) == 1:
        x, y = point_coordinates([row[0] for row in rows])
        month_values = None
    else:
        x, y = point_coordinates([row[0] for row in rows])
        month_values = np.array([row[1] for row in rows], dtype=object)
    ok = np.isfinite(x) & np.isfinite(y)
    skipped = int((~ok).sum())
    return (x[ok], y[ok], month_values[ok] if month_values is not None else None, skipped)


def _read_features(
    layer: QgsVectorLayer,
    category_field: Optional[str],
    month_field: Optional[str],
    category: Optional[str],
    months: Sequence[str],
    want_months: bool,
    feedback: Feedback,
) -> tuple[np.ndarray, np.ndarray, Optional[np.ndarray], int]:
    """Any provider: a QgsFeatureRequest loop reading only the fields it needs."""
    from qgis.core import QgsExpression

    request = QgsFeatureRequest()
    filters = []
    if category is not None:
        filters.append(
            f"{QgsExpression.quotedColumnRef(category_field)} = "
            f"{QgsExpression.quotedValue(category)}"
        )
    if months:
        values = ", ".join(QgsExpression.quotedValue(m) for m in months)
        filters.append(f"{QgsExpression.quotedColumnRef(month_field)} IN ({values})")
    if filters:
        request.setFilterExpression(" AND ".join(filters))
    needed = [f for f in (month_field if want_months else None,) if f]
    request.setSubsetOfAttributes(needed, layer.fields())
    xs: list[float] = []
    ys: list[float] = []
    ms: list[str] = []
    skipped = 0
    total = max(layer.featureCount(), 1)
    for i, feature in enumerate(layer.getFeatures(request)):
        if i % 20_000 == 0:
            feedback.check()
            feedback.set_progress(20.0 * i / total)
        geometry = feature.geometry()
        if geometry is None or geometry.isNull() or geometry.isEmpty():
            skipped += 1
            continue
        point = geometry.asPoint() if not geometry.isMultipart() else geometry.centroid().asPoint()
        xs.append(point.x())
        ys.append(point.y())
        if want_months and month_field:
            ms.append(str(feature[month_field]))
    month_values = np.array(ms, dtype=object) if want_months and month_field else None
    return np.array(xs, dtype=np.float64), np.array(ys, dtype=np.float64), month_values, skipped


def _held_months(layer: QgsVectorLayer, month_field: Optional[str]) -> list[str]:
    if not month_field:
        return []
    index = layer.fields().indexOf(month_field)
    if index < 0:
        return []
    return sorted(
        str(v) for v in layer.uniqueValues(index, 500) if v is not None and str(v) != "NULL"
    )


def open_point_layer(source: Union[QgsVectorLayer, str]) -> QgsVectorLayer:
    """A point layer from a layer object or an OGR URI / path (e.g. "crimes.gpkg|layername=
    crimes", or a crimes GeoPackage path, which means its "crimes" table)."""
    if isinstance(source, QgsVectorLayer):
        layer = source
    else:
        uri = str(source)
        if uri.lower().endswith(".gpkg") and "|" not in uri:
            uri = gpkg_uri(uri, "crimes")
        layer = QgsVectorLayer(uri, "crimes", "ogr")
    if not layer.isValid():
        what = source.name() if isinstance(source, QgsVectorLayer) else str(source)
        raise _input_error(f"cannot open the point layer {what}")
    return layer


def points_from_layer(
    source: Union[QgsVectorLayer, str],
    *,
    category: Optional[str] = None,
    months: Any = None,
    want_months: bool = False,
    feedback: Optional[Feedback] = None,
) -> HotspotPoints:
    """Read a point layer's crimes (optionally one category and some months) into projected
    metres, applying the automatic CRS choice described in the module docstring."""
    feedback = feedback or Feedback()
    layer = open_point_layer(source)
    category = parse_category(category)
    month_list = parse_months(months)
    names = layer.fields().names()
    category_field = _find_field(names, CATEGORY_FIELDS)
    month_field = _find_field(names, MONTH_FIELDS)
    if category is not None and category_field is None:
        raise _input_error(
            f"the layer {layer.name()!r} has no crime type field "
            f"({' / '.join(CATEGORY_FIELDS)}): choose 'All' categories"
        )
    if (month_list or want_months) and month_field is None:
        raise _input_error(
            f"the layer {layer.name()!r} has no month field ({' / '.join(MONTH_FIELDS)})"
        )
    crs = layer.crs()
    if not crs.isValid():
        raise _input_error(
            f"the layer {layer.name()!r} has no coordinate reference system; "
            "set one (Layer Properties > Source) and run again"
        )

    spec = _gpkg_table(layer)
    if spec is not None:
        x, y, month_values, skipped = _read_gpkg(
            layer, spec, category_field, month_field, category, month_list, want_months
        )
    else:
        x, y, month_values, skipped = _read_features(
            layer, category_field, month_field, category, month_list, want_months, feedback
        )
    feedback.check()
    if len(x) == 0:
        if layer.featureCount() == 0:
            raise _input_error(
                f"the layer {layer.name()!r} is empty: there are no crimes to analyse"
            )
        if category is None and not month_list:
            raise _input_error(
                f"no crime in the layer {layer.name()!r} has a location ({skipped:,} without one)"
            )
        held = _held_months(layer, month_field)
        what = " and ".join(
            filter(
                None,
                [
                    f"category {category!r}" if category else "",
                    f"month(s) {', '.join(month_list)}" if month_list else "",
                ],
            )
        )
        hint = f"; the layer holds {held[0]} to {held[-1]}" if held else ""
        raise _input_error(
            f"no crimes with a location in {what} in the layer {layer.name()!r}{hint}"
        )

    notes: list[str] = []
    authid = crs.authid() or crs.toWkt()
    if crs.isGeographic():
        if authid.upper() != WGS84:
            x, y = transform(x, y, authid, WGS84)
        from ..core.common.projection import choose_crs

        target = choose_crs(x, y)
        x, y = transform(x, y, WGS84, target)
        name = (
            "British National Grid"
            if target.upper() == "EPSG:27700"
            else "Irish Transverse Mercator"
        )
        notes.append(
            f"The layer's CRS ({authid}) is geographic (degrees); the points were "
            f"projected to {name} ({target}), chosen automatically, so that cell "
            "sizes and distances are in metres."
        )
        out_crs = target
    else:
        if crs.mapUnits() != DISTANCE_METRES:
            unit = distance_unit_name(crs.mapUnits())
            raise _input_error(
                f"the layer's CRS ({authid}) is measured in {unit}, not metres: hotspot cell "
                "sizes and bandwidths are in metres. Reproject the layer to British National "
                "Grid (EPSG:27700) or Irish Transverse Mercator (EPSG:2157) first."
            )
        out_crs = authid
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.all():
        skipped += int((~ok).sum())
        x, y = x[ok], y[ok]
        month_values = month_values[ok] if month_values is not None else None
    if skipped:
        notes.append(f"{skipped:,} crimes without a location were left out.")
    return HotspotPoints(
        x=np.ascontiguousarray(x),
        y=np.ascontiguousarray(y),
        crs=out_crs,
        months=month_values,
        source_name=layer.name(),
        category=category,
        month_filter=month_list,
        skipped_no_location=skipped,
        notes=notes,
    )


# --- writing -----------------------------------------------------------------------------------


def _srs_row(crs: str) -> tuple[int, str, str, int, str, str]:
    """A gpkg_spatial_ref_sys row for an authority id (WKT from GDAL/PROJ)."""
    from osgeo import osr

    srs = osr.SpatialReference()
    if srs.SetFromUserInput(crs) != 0:
        raise ValueError(f"unknown CRS {crs!r}")
    authority = srs.GetAuthorityName(None) or "NONE"
    code = int(srs.GetAuthorityCode(None) or 99999)
    name = srs.GetName() or crs
    return code, name, authority, code, srs.ExportToWkt(), name


_POLY_HEADER = np.dtype(
    [
        ("magic", "S2"),
        ("version", "u1"),
        ("flags", "u1"),
        ("srs_id", "<i4"),
        ("minx", "<f8"),
        ("maxx", "<f8"),
        ("miny", "<f8"),
        ("maxy", "<f8"),
        ("byte_order", "u1"),
        ("wkb_type", "<u4"),
        ("rings", "<u4"),
        ("points", "<u4"),
    ]
)


def polygon_blobs(polygons: np.ndarray, srs_id: int) -> list[bytes]:
    """GeoPackage binary polygons (envelope + little-endian WKB, one closed ring each) for an
    (n, k, 2) array of rings, built in one vectorised step."""
    polygons = np.asarray(polygons, dtype=np.float64)
    n, k, _ = polygons.shape
    if k and not np.array_equal(polygons[:, 0], polygons[:, -1]):
        polygons = np.concatenate([polygons, polygons[:, :1]], axis=1)
        k += 1
    blob = np.dtype([("head", _POLY_HEADER), ("xy", "<f8", (k, 2))])
    packed = np.zeros(n, dtype=blob)
    head = packed["head"]
    head["magic"] = b"GP"
    head["flags"] = 0x03  # little endian, envelope [minx, maxx, miny, maxy]
    head["srs_id"] = srs_id
    head["minx"], head["maxx"] = polygons[:, :, 0].min(axis=1), polygons[:, :, 0].max(axis=1)
    head["miny"], head["maxy"] = polygons[:, :, 1].min(axis=1), polygons[:, :, 1].max(axis=1)
    head["byte_order"] = 1
    head["wkb_type"] = 3  # Polygon
    head["rings"] = 1
    head["points"] = k
    packed["head"] = head
    packed["xy"] = polygons
    raw = packed.tobytes()
    size = blob.itemsize
    return [raw[i : i + size] for i in range(0, n * size, size)]


def write_polygon_gpkg(
    path: PathLike,
    table: str,
    polygons: np.ndarray,
    columns: Sequence[tuple[str, str, np.ndarray]],
    crs: str,
    description: str = "",
) -> Path:
    """A new GeoPackage holding one polygon table: ``columns`` are (name, GeoPackage type
    ('INTEGER' | 'DOUBLE' | 'TEXT'), values). Same file layout as gpkg_write's point tables
    (metadata, bulk-loaded R-tree and GDAL's triggers), so it opens cleanly in QGIS and GDAL.
    """
    path = Path(path)
    if path.exists():
        raise FileExistsError(path)
    polygons = np.asarray(polygons, dtype=np.float64)
    n = len(polygons)
    srs = _srs_row(crs)
    srs_id = srs[0]
    q = gpkg_write.quote_identifier
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
        gpkg_write.create_metadata(conn)
        if srs_id != gpkg_write.WGS84_SRS_ID:
            conn.execute(
                "INSERT INTO gpkg_spatial_ref_sys (srs_id, srs_name, organization, "
                "organization_coordsys_id, definition, description) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                srs,
            )
        defs = "".join(f", {q(name)} {kind}" for name, kind, _ in columns)
        conn.execute(
            f'CREATE TABLE {q(table)} ("fid" INTEGER PRIMARY KEY AUTOINCREMENT '
            f'NOT NULL, "geom" POLYGON{defs})'
        )
        values = [range(1, n + 1), polygon_blobs(polygons, srs_id) if n else []]
        for _, kind, data in columns:
            arr = np.asarray(data)
            if kind == "DOUBLE":
                obj = arr.astype(np.float64).astype(object)
                obj[~np.isfinite(arr.astype(np.float64))] = None
                values.append(obj.tolist())
            elif kind == "INTEGER":
                values.append(arr.astype(np.int64).tolist())
            else:
                values.append([None if v is None else str(v) for v in arr.tolist()])
        marks = ", ".join("?" * len(values))
        conn.executemany(f"INSERT INTO {q(table)} VALUES ({marks})", zip(*values))
        if n:
            bounds = (
                float(polygons[:, :, 0].min()),
                float(polygons[:, :, 1].min()),
                float(polygons[:, :, 0].max()),
                float(polygons[:, :, 1].max()),
            )
        else:
            bounds = (None, None, None, None)
        conn.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, "
            "description, min_x, min_y, max_x, max_y, srs_id) VALUES "
            "(?, 'features', ?, ?, ?, ?, ?, ?, ?)",
            (table, table, description, *bounds, srs_id),
        )
        conn.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', 'POLYGON', ?, 0, 0)",
            (table, srs_id),
        )
        conn.execute("INSERT INTO gpkg_ogr_contents VALUES (?, ?)", (table, n))
        rtree = f"rtree_{table}_geom"
        conn.execute(f"CREATE VIRTUAL TABLE {q(rtree)} USING rtree(id, minx, maxx, miny, maxy)")
        if n:
            gpkg_write.bulk_load_rtree(
                conn,
                rtree,
                np.arange(1, n + 1),
                polygons[:, :, 0].min(axis=1),
                polygons[:, :, 1].min(axis=1),
                polygons[:, :, 0].max(axis=1),
                polygons[:, :, 1].max(axis=1),
            )
        conn.execute(
            "INSERT INTO gpkg_extensions VALUES (?, 'geom', 'gpkg_rtree_index', "
            "'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
            (table,),
        )
        for sql in gpkg_write.rtree_triggers(table, "geom"):
            conn.execute(sql)
        for sql in gpkg_write.feature_count_triggers(table):
            conn.execute(sql)
        conn.execute("COMMIT")
    finally:
        conn.close()
    return path


KDE_NODATA = -9999.0


def write_density_tif(
    path: PathLike, density: np.ndarray, x_min: float, y_max: float, cell_m: float, crs: str
) -> Path:
    """The KDE surface as a single-band float32 GeoTIFF: CRS, north-up geotransform, LZW
    compression with a floating-point predictor, tiled, nodata declared (-9999; the surface
    itself has no nodata cells: 0 means no crime within the bandwidth)."""
    from osgeo import gdal, osr

    gdal.UseExceptions()
    density = np.asarray(density, dtype=np.float32)
    rows, cols = density.shape
    driver = gdal.GetDriverByName("GTiff")
    options = ["COMPRESS=LZW", "PREDICTOR=3", "TILED=YES"]
    if rows * cols * 4 > 3_000_000_000:
        options.append("BIGTIFF=YES")
    ds = driver.Create(str(path), cols, rows, 1, gdal.GDT_Float32, options=options)
    try:
        ds.SetGeoTransform((float(x_min), float(cell_m), 0.0, float(y_max), 0.0, -float(cell_m)))
        srs = osr.SpatialReference()
        srs.SetFromUserInput(crs)
        ds.SetProjection(srs.ExportToWkt())
        band = ds.GetRasterBand(1)
        band.SetNoDataValue(KDE_NODATA)
        band.SetDescription("crimes per km2")
        band.WriteArray(density)
        band.ComputeStatistics(False)
        band.FlushCache()
    finally:
        ds = None
    return Path(path)


# --- legend texts (plain words) ----------------------------------------------------------------


def _metres(value: float) -> str:
    return f"{value:,.0f} m" if value >= 10 else f"{value:g} m"


def grid_text(points: HotspotPoints, size_m: float) -> str:
    return (
        f"Crime counts on {_metres(size_m)} hexagons ({points.subject()}). Each hexagon "
        f"holds the number of crimes whose point falls inside it; hexagons are "
        f"{_metres(size_m)} from centre to neighbouring centre, on a fixed lattice in "
        f"{points.crs}, so the same cells appear every month and maps can be compared. "
        "Darker = more crimes; classes are quantiles of the counts."
    )


def gi_text(points: HotspotPoints, size_m: float, fdr: bool, rings: int = 1) -> str:
    neighbours = 3 * rings * (rings + 1)
    return (
        f"Getis-Ord Gi* on {_metres(size_m)} hexagons ({points.subject()}): cells whose "
        f"neighbourhood (the cell and its {neighbours} neighbours) has many more crimes "
        "(hot spot) or many fewer (cold spot) than the average over the whole area. "
        "Classes at 90/95/99% confidence (two-sided); false discovery rate (FDR) "
        f"correction {'on' if fdr else 'off'}"
        + (
            ": with many cells tested, fewer pass by chance."
            if fdr
            else ": with many cells tested, about 1 in 10 'hot spot, 90%' cells may be chance."
        )
        + " Internal analysis: exact data, not for publication."
    )


def kde_text(points: HotspotPoints, cell_m: float, bandwidth_m: float, rule: str) -> str:
    return (
        f"Kernel density of crimes ({points.subject()}) in crimes per km², on "
        f"{_metres(cell_m)} cells. Each crime is spread smoothly over a circle of radius "
        f"{_metres(bandwidth_m)} (the bandwidth: {rule}); the surface is the sum, so "
        "darker = more crimes close by. Internal analysis: exact data."
    )


def change_text(
    points: HotspotPoints,
    size_m: float,
    current: Sequence[str],
    baseline: Sequence[str],
    fdr: bool,
    method: str = "",
) -> str:
    method = method or (
        "Poisson test of the current count per cell against the mean of the baseline months."
    )
    return (
        f"Change hotspots on {_metres(size_m)} hexagons ({points.category or 'all crimes'}"
        f"): cells where {describe_months(list(current))} has significantly more (or "
        f"fewer) crimes than usual in {describe_months(list(baseline))}. Method: {method} "
        f"False discovery rate correction {'on' if fdr else 'off'}. Internal analysis: "
        "exact data."
    )


# --- outputs and styling -----------------------------------------------------------------------


@dataclass
class HotspotOutputs:
    """What one hotspot run wrote; enough to build and explain the layer afterwards."""

    kind: str  # "grid" | "gi" | "kde" | "change"
    path: Path  # the GeoPackage or GeoTIFF
    title: str
    legend_text: str
    crs: str
    crimes: int
    cells: int
    qml: Optional[Path] = None
    sld: Optional[Path] = None
    table: str = GRID_TABLE
    notes: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def uri(self) -> str:
        return str(self.path) if self.kind == "kde" else gpkg_uri(self.path, self.table)

    @property
    def is_raster(self) -> bool:
        return self.kind == "kde"


def style_hotspot_layer(
    layer: QgsMapLayer, kind: str, legend_text: str, title: Optional[str] = None
) -> None:
    """Renderer from the palette, aliases, and the plain-words explanation in the layer's
    abstract, metadata and a custom property (all kept in the QML)."""
    if kind == "kde":
        stats_max = _raster_max(layer)
        layer.setRenderer(kde_raster_renderer(layer.dataProvider(), stats_max))
    elif kind == "gi":
        layer.setRenderer(gi_renderer())
    elif kind == "change":
        layer.setRenderer(change_renderer())
    else:
        layer.setRenderer(graduated_renderer(layer, "count", "quantile", 5, "crimes"))
    if isinstance(layer, QgsVectorLayer):
        aliases = {
            "count": "Crimes",
            "q": "Column (q)",
            "r": "Row (r)",
            "z": "z-score",
            "p": "p-value",
            GI_CLASS_FIELD: "Gi* class",
            "class_label": "Meaning",
            CHANGE_CLASS_FIELD: "Change class",
            "baseline_mean": "Baseline mean",
            "current": "Current count",
            "x": "Centre x",
            "y": "Centre y",
            "expected": "Expected (floored baseline)",
            "ratio": "Current / expected",
            "p_decrease": "p-value (decrease)",
        }
        for index, name in enumerate(layer.fields().names()):
            if name in aliases:
                layer.setFieldAlias(index, aliases[name])
    layer.setAbstract(legend_text)
    if title:
        layer.setTitle(title)
    metadata = layer.metadata()
    metadata.setAbstract(legend_text)
    if title:
        metadata.setTitle(title)
    layer.setMetadata(metadata)
    layer.setCustomProperty(LEGEND_PROPERTY, legend_text)
    layer.setCustomProperty(KIND_PROPERTY, kind)


def _raster_max(layer: QgsMapLayer) -> float:

    stats = layer.dataProvider().bandStatistics(1, RASTER_STAT_MAX)
    return float(stats.maximumValue) if stats.maximumValue > 0 else 1.0


def legend_text(layer: QgsMapLayer) -> str:
    """The plain-words explanation stored on a hotspot layer ("" if none)."""
    return str(layer.customProperty(LEGEND_PROPERTY, "") or "")


def _store_style(
    out: HotspotOutputs, tmp_path: Path, qml_tmp: Optional[Path], sld_tmp: Optional[Path]
) -> None:
    """Style the freshly written file in this thread and store the style: the GeoPackage's
    default style (layer_styles) for a vector, a .qml beside it for a raster (QGIS loads a
    raster's same-name .qml as its default style), plus QML/SLD files when asked."""
    if out.kind == "kde":
        layer = QgsRasterLayer(str(tmp_path), out.title, "gdal")
    else:
        layer = QgsVectorLayer(gpkg_uri(tmp_path, out.table), out.title, "ogr")
    if not layer.isValid():
        raise RuntimeError(f"the hotspot file just written does not open: {tmp_path}")
    style_hotspot_layer(layer, out.kind, out.legend_text, out.title)
    if isinstance(layer, QgsVectorLayer):
        error = layer.saveStyleToDatabase(STYLE_NAME, "crime_mapper hotspot style", True, "")
        if error:
            raise RuntimeError(f"could not save the style into {tmp_path}: {error}")
    if qml_tmp is not None or sld_tmp is not None:
        save_style(layer, qml_tmp, sld_tmp)
    del layer


def _finish(
    out: HotspotOutputs,
    write,
    qml_path: Optional[PathLike],
    sld_path: Optional[PathLike],
    feedback: Feedback,
) -> HotspotOutputs:
    """Write through staging (a failed/cancelled run leaves previous outputs unchanged),
    style, and move everything into place together."""
    started = time.perf_counter()
    if out.kind == "kde" and qml_path is None:
        qml_path = out.path.with_suffix(".qml")
    with staged_outputs() as stage:
        tmp = stage.path_for(out.path)
        write(tmp)
        out.timings["write"] = time.perf_counter() - started
        feedback.check()
        started = time.perf_counter()
        qml_tmp = stage.path_for(qml_path) if qml_path else None
        sld_tmp = stage.path_for(sld_path) if sld_path else None
        _store_style(out, tmp, qml_tmp, sld_tmp)
        out.timings["style"] = time.perf_counter() - started
        feedback.check()
    out.qml = Path(qml_path) if qml_path else None
    out.sld = Path(sld_path) if sld_path else None
    feedback.set_progress(100.0)
    return out


def _hex_columns(q: np.ndarray, r: np.ndarray, grid) -> list[tuple[str, str, np.ndarray]]:
    from ..core.hotspots.hexgrid import hex_centres

    cx, cy = hex_centres(q, r, grid)
    return [("q", "INTEGER", q), ("r", "INTEGER", r), ("x", "DOUBLE", cx), ("y", "DOUBLE", cy)]


def _class_labels(classes: tuple[palette.ClassStyle, ...], values: np.ndarray) -> np.ndarray:
    lookup = {c.value: c.label for c in classes}
    labels = np.array([lookup[v] for v in range(-3, 4)], dtype=object)
    return labels[np.clip(np.asarray(values, dtype=np.int64), -3, 3) + 3]


def run_grid(
    points: HotspotPoints,
    out_path: PathLike,
    *,
    cell_size_m: float = 500.0,
    max_cells: int = DEFAULT_MAX_CELLS,
    rings: int = 0,
    qml_path: Optional[PathLike] = None,
    sld_path: Optional[PathLike] = None,
    feedback: Optional[Feedback] = None,
) -> HotspotOutputs:
    """Counts on a hexagon grid -> a styled polygon GeoPackage (graduated, quantiles)."""
    from ..core.hotspots.hexgrid import HexGrid, grid_counts, hex_polygons

    feedback = feedback or Feedback()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    grid = HexGrid(float(cell_size_m), points.crs)
    counts = grid_counts(points.x, points.y, grid, rings=rings, max_cells=max_cells)
    polygons = hex_polygons(counts.q, counts.r, grid)
    timings["compute"] = time.perf_counter() - started
    feedback.set_progress(50.0)
    feedback.check()
    title = f"Crime counts, {_metres(cell_size_m)} hexagons ({points.subject()})"
    out = HotspotOutputs(
        "grid",
        Path(out_path),
        title,
        grid_text(points, cell_size_m),
        points.crs,
        len(points),
        len(counts.q),
        notes=list(points.notes),
        timings=timings,
        facts={
            "cell_size_m": float(cell_size_m),
            "max_count": int(counts.count.max()) if len(counts.q) else 0,
        },
    )
    columns = _hex_columns(counts.q, counts.r, grid) + [("count", "INTEGER", counts.count)]
    return _finish(
        out,
        lambda p: write_polygon_gpkg(p, GRID_TABLE, polygons, columns, points.crs, title),
        qml_path,
        sld_path,
        feedback,
    )


def run_gi(
    points: HotspotPoints,
    out_path: PathLike,
    *,
    cell_size_m: float = 500.0,
    fdr: bool = False,
    rings: int = 1,
    max_cells: int = DEFAULT_MAX_CELLS,
    qml_path: Optional[PathLike] = None,
    sld_path: Optional[PathLike] = None,
    feedback: Optional[Feedback] = None,
) -> HotspotOutputs:
    """Getis-Ord Gi* on grid counts (occupied cells and a ring of empty neighbours) -> a
    GeoPackage with count, z, p, gi_class and its plain-words meaning, styled by class."""
    from ..core.hotspots.getis_ord import gi_star
    from ..core.hotspots.hexgrid import HexGrid, grid_counts, hex_polygons

    feedback = feedback or Feedback()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    grid = HexGrid(float(cell_size_m), points.crs)
    counts = grid_counts(points.x, points.y, grid, rings=rings, max_cells=max_cells)
    timings["grid"] = time.perf_counter() - started
    feedback.set_progress(30.0)
    feedback.check()
    started = time.perf_counter()
    gi = gi_star(counts.q, counts.r, counts.count, rings=rings, fdr=fdr)
    timings["gi_star"] = time.perf_counter() - started
    polygons = hex_polygons(counts.q, counts.r, grid)
    feedback.set_progress(60.0)
    feedback.check()
    classes = np.asarray(gi.hotspot_class, dtype=np.int64)
    points.notes.extend(str(w) for w in getattr(gi, "warnings", []) or [])
    title = f"Gi* hotspots, {_metres(cell_size_m)} hexagons ({points.subject()})"
    out = HotspotOutputs(
        "gi",
        Path(out_path),
        title,
        gi_text(points, cell_size_m, fdr, rings),
        points.crs,
        len(points),
        len(counts.q),
        notes=list(points.notes),
        timings=timings,
        facts={
            "cell_size_m": float(cell_size_m),
            "fdr": bool(fdr),
            "hot_cells": int((classes > 0).sum()),
            "cold_cells": int((classes < 0).sum()),
        },
    )
    columns = _hex_columns(counts.q, counts.r, grid) + [
        ("count", "INTEGER", counts.count),
        ("z", "DOUBLE", gi.z),
        ("p", "DOUBLE", gi.p),
        (GI_CLASS_FIELD, "INTEGER", classes),
        ("class_label", "TEXT", _class_labels(palette.GI_CLASSES, classes)),
    ]
    return _finish(
        out,
        lambda p: write_polygon_gpkg(p, GRID_TABLE, polygons, columns, points.crs, title),
        qml_path,
        sld_path,
        feedback,
    )


def run_kde(
    points: HotspotPoints,
    out_path: PathLike,
    *,
    cell_m: float = 50.0,
    bandwidth_m: Optional[float] = None,
    max_cells: Optional[int] = None,
    qml_path: Optional[PathLike] = None,
    sld_path: Optional[PathLike] = None,
    feedback: Optional[Feedback] = None,
) -> HotspotOutputs:
    """Kernel density surface (crimes per km²) -> a styled GeoTIFF (.qml beside it).
    ``bandwidth_m`` None or 0 = the core's documented automatic rule."""
    from ..core.hotspots.kde import DEFAULT_MAX_CELLS as KDE_MAX_CELLS
    from ..core.hotspots.kde import kde_surface

    feedback = feedback or Feedback()
    max_cells = int(max_cells) if max_cells else KDE_MAX_CELLS
    timings: dict[str, float] = {}
    started = time.perf_counter()
    result = kde_surface(
        points.x,
        points.y,
        cell_m=float(cell_m),
        bandwidth_m=float(bandwidth_m) if bandwidth_m else None,
        max_cells=max_cells,
    )
    timings["kde"] = time.perf_counter() - started
    feedback.set_progress(60.0)
    feedback.check()
    rows, cols = result.density.shape
    title = f"Crime density, {_metres(cell_m)} cells ({points.subject()})"
    out = HotspotOutputs(
        "kde",
        Path(out_path),
        title,
        kde_text(points, result.cell_m, result.bandwidth_m, result.bandwidth_rule),
        points.crs,
        len(points),
        rows * cols,
        notes=list(points.notes),
        timings=timings,
        facts={
            "cell_m": float(result.cell_m),
            "bandwidth_m": float(result.bandwidth_m),
            "bandwidth_rule": result.bandwidth_rule,
            "rows": rows,
            "cols": cols,
            "max_density": float(result.density.max()) if rows * cols else 0.0,
        },
    )
    return _finish(
        out,
        lambda p: write_density_tif(
            p, result.density, result.x_min, result.y_max, result.cell_m, points.crs
        ),
        qml_path,
        sld_path,
        feedback,
    )


def run_change(
    points: HotspotPoints,
    out_path: PathLike,
    *,
    current: Any,
    baseline: Any = None,
    cell_size_m: float = 500.0,
    fdr: bool = False,
    max_cells: int = DEFAULT_MAX_CELLS,
    qml_path: Optional[PathLike] = None,
    sld_path: Optional[PathLike] = None,
    feedback: Optional[Feedback] = None,
) -> HotspotOutputs:
    """Change hotspots: cells where the current month(s) are significantly above (or below)
    the baseline months -> a GeoPackage styled by change class. ``points`` must carry months
    (points_from_layer(..., want_months=True)). An empty baseline means every month in the
    layer before the first current month."""
    from ..core.hotspots.change import change_hotspots
    from ..core.hotspots.hexgrid import HexGrid, hex_polygons

    feedback = feedback or Feedback()
    current_months = parse_months(current)
    if not current_months:
        raise _input_error("choose the current month(s) to test, e.g. 2022-10")
    if points.months is None:
        raise _input_error("change hotspots need the month of each crime")
    baseline_months = parse_months(baseline)
    held = sorted({str(m) for m in np.unique(points.months)})
    if not baseline_months:
        baseline_months = [m for m in held if m < current_months[0]]
    overlap = sorted(set(current_months) & set(baseline_months))
    if overlap:
        raise _input_error(f"month(s) {', '.join(overlap)} are both current and baseline")
    if not baseline_months:
        raise _input_error(
            f"no baseline months before {current_months[0]}: the layer holds "
            f"{', '.join(held) or 'no months'}"
        )
    for label, wanted in (("current", current_months), ("baseline", baseline_months)):
        if not set(wanted) & set(held):
            raise _input_error(
                f"no crimes in the {label} month(s) {', '.join(wanted)}; the "
                f"layer holds {held[0]} to {held[-1]}"
                if held
                else f"no crimes in the {label} month(s)"
            )
    timings: dict[str, float] = {}
    started = time.perf_counter()
    grid = HexGrid(float(cell_size_m), points.crs)
    result = change_hotspots(
        points.x,
        points.y,
        points.months,
        current_months,
        baseline_months,
        grid,
        fdr=fdr,
        decreases=True,
    )
    if len(result.q) > max_cells:  # cells <= crimes, so memory was never at risk here
        raise TooManyCells(
            f"A {cell_size_m:g} m change grid has {len(result.q):,} cells, more "
            f"than the maximum of {max_cells:,}: choose larger hexagons."
        )
    timings["change"] = time.perf_counter() - started
    feedback.set_progress(60.0)
    feedback.check()
    fields = _change_fields(result)
    classes = fields.pop("classes")
    q, r = fields.pop("q"), fields.pop("r")
    polygons = hex_polygons(q, r, grid)
    method = str(getattr(result, "method", "") or "")
    title = (
        f"Change hotspots, {describe_months(current_months)} vs "
        f"{describe_months(baseline_months)}, {_metres(cell_size_m)} hexagons"
    )
    out = HotspotOutputs(
        "change",
        Path(out_path),
        title,
        change_text(points, cell_size_m, current_months, baseline_months, fdr, method),
        points.crs,
        len(points),
        len(q),
        notes=list(points.notes),
        timings=timings,
        facts={
            "cell_size_m": float(cell_size_m),
            "fdr": bool(fdr),
            "current": current_months,
            "baseline": baseline_months,
            "increase_cells": int((classes > 0).sum()),
            "decrease_cells": int((classes < 0).sum()),
        },
    )
    columns = (
        _hex_columns(q, r, grid)
        + [(name, kind, values) for name, (kind, values) in fields.items()]
        + [
            (CHANGE_CLASS_FIELD, "INTEGER", classes),
            ("class_label", "TEXT", _class_labels(palette.CHANGE_CLASSES, classes)),
        ]
    )
    return _finish(
        out,
        lambda p: write_polygon_gpkg(p, GRID_TABLE, polygons, columns, points.crs, title),
        qml_path,
        sld_path,
        feedback,
    )


def _change_fields(result: Any) -> dict[str, Any]:
    """The per-cell arrays of a core ChangeResult, mapped to output columns."""
    return {
        "q": np.asarray(result.q, dtype=np.int64),
        "r": np.asarray(result.r, dtype=np.int64),
        "classes": np.asarray(result.change_class, dtype=np.int64),
        "current": ("INTEGER", np.asarray(result.current)),
        "baseline_mean": ("DOUBLE", np.asarray(result.baseline_mean)),
        "expected": ("DOUBLE", np.asarray(result.expected)),
        "ratio": ("DOUBLE", np.asarray(result.ratio)),
        "p": ("DOUBLE", np.asarray(result.p)),
        "p_decrease": ("DOUBLE", np.asarray(result.p_decrease)),
    }


# --- layers on the main thread -----------------------------------------------------------------


def hotspot_layer(outputs: HotspotOutputs) -> QgsMapLayer:
    """The styled layer of a run (main thread). The style is re-applied in code so that the
    layer is right even if a default style was not picked up."""
    if outputs.is_raster:
        layer: QgsMapLayer = QgsRasterLayer(str(outputs.path), outputs.title, "gdal")
    else:
        layer = QgsVectorLayer(outputs.uri, outputs.title, "ogr")
    if not layer.isValid():
        raise RuntimeError(f"cannot open the hotspot output {outputs.path}")
    style_hotspot_layer(layer, outputs.kind, outputs.legend_text, outputs.title)
    return layer


def add_hotspot_to_project(
    outputs: HotspotOutputs, project: Optional[QgsProject] = None, group_name: str = HOTSPOTS_GROUP
) -> QgsMapLayer:
    """Add the styled hotspot layer at the top of a "Hotspots" group (created if missing)."""
    from .layers import reload_layers_on

    project = project or QgsProject.instance()
    reload_layers_on(project, [outputs.path])
    layer = hotspot_layer(outputs)
    root = project.layerTreeRoot()
    group = root.findGroup(group_name)
    if not isinstance(group, QgsLayerTreeGroup):
        group = root.insertGroup(0, group_name)
    project.addMapLayer(layer, False)
    group.insertLayer(0, layer)
    return layer


# --- publishing a hotspot grid -----------------------------------------------------------------


class PublishError(ValueError):
    """A public hotspot grid was asked for from something that is not the public release."""


def publish_hotspot_grid(
    public: Any,
    raw: Any,
    points: Any,
    out_path: PathLike,
    *,
    cell_size_m: float = 500.0,
    method: str = "grid",
    fdr: bool = False,
    category: Optional[str] = None,
    months: Any = None,
    max_cells: int = DEFAULT_MAX_CELLS,
    feedback: Optional[Feedback] = None,
) -> Path:
    """Write a hotspot grid for the public (GeoPackage, WGS84) from the public release table.

    Only the public release table (exactly core.release.public_schema.PUBLIC_COLUMNS: police.uk
    street schema, map-point coordinates) is accepted, never the internal crimes table, so
    the grid can only be built from coordinates that are already public. Counts (``method``
    "grid") or Gi* classes ("gi") on hexagons; the hexagon vertices come from the grid
    settings, not from the data, and are given to the leak gate
    (core.gate.leak_gate.assert_release_safe, with ``raw`` = the internal table and ``points`` =
    the map points) as the only coordinates allowed besides map points. The gate runs on the
    staged file before it is moved into place: a failing gate raises LeakError and leaves
    nothing (and any earlier file) unchanged.
    """
    import pandas as pd

    from ..core.common.projection import choose_crs
    from ..core.gate.leak_gate import assert_release_safe, prepare_gate
    from ..core.hotspots.hexgrid import HexGrid, grid_counts, hex_polygons
    from ..core.release.public_schema import PUBLIC_COLUMNS

    feedback = feedback or Feedback()
    if not isinstance(public, pd.DataFrame):
        raise PublishError(
            "a public hotspot grid is built from the public release table "
            "(a police.uk street-schema DataFrame) only"
        )
    if list(public.columns) != list(PUBLIC_COLUMNS):
        extra = [str(c) for c in public.columns if c not in PUBLIC_COLUMNS]
        found = f"non-public columns {', '.join(extra[:6])}" if extra else "other columns"
        raise PublishError(
            "a public hotspot grid can only be built from the public release table "
            f"(police.uk street columns: {', '.join(PUBLIC_COLUMNS)}); this table has "
            f"{found}. Anonymise first, then publish from the release."
        )
    if method not in ("grid", "gi"):
        raise PublishError("method must be 'grid' or 'gi'")
    # The release itself first: the grid's file holds only hexagon corners, so a crime moved
    # off its map point in an edited release would be counted where the public must not see
    # it, and no check of the grid file could tell.
    gate = prepare_gate(raw, points)
    assert_release_safe(raw, public, points, prepared=gate)
    feedback.check()
    frame = public
    category = parse_category(category)
    month_list = parse_months(months)
    if category is not None:
        frame = frame[frame["Crime type"] == category]
    if month_list:
        frame = frame[frame["Month"].isin(month_list)]
    lon = pd.to_numeric(frame["Longitude"], errors="coerce").to_numpy(dtype=np.float64)
    lat = pd.to_numeric(frame["Latitude"], errors="coerce").to_numpy(dtype=np.float64)
    ok = np.isfinite(lon) & np.isfinite(lat)
    lon, lat = lon[ok], lat[ok]
    if len(lon) == 0:
        raise _input_error("no published crimes with a location in the chosen months/category")
    crs = choose_crs(lon, lat)
    x, y = transform(lon, lat, WGS84, crs)
    grid = HexGrid(float(cell_size_m), crs)
    rings = 1 if method == "gi" else 0
    counts = grid_counts(x, y, grid, rings=rings, max_cells=max_cells)
    feedback.check()
    # vertices from the settings (q, r, size, CRS), then to WGS84 for the web
    polygons = hex_polygons(counts.q, counts.r, grid)
    n, k, _ = polygons.shape
    vlon, vlat = transform(polygons[:, :, 0].ravel(), polygons[:, :, 1].ravel(), crs, WGS84)
    vlon, vlat = np.round(vlon, 6), np.round(vlat, 6)
    wgs = np.stack([vlon.reshape(n, k), vlat.reshape(n, k)], axis=2)
    columns: list[tuple[str, str, np.ndarray]] = [("count", "INTEGER", counts.count)]
    if method == "gi":
        from ..core.hotspots.getis_ord import gi_star

        gi = gi_star(counts.q, counts.r, counts.count, rings=rings, fdr=fdr)
        classes = np.asarray(gi.hotspot_class, dtype=np.int64)
        columns += [
            (GI_CLASS_FIELD, "INTEGER", classes),
            ("class_label", "TEXT", _class_labels(palette.GI_CLASSES, classes)),
        ]
    with staged_outputs() as stage:
        tmp = stage.path_for(out_path)
        write_polygon_gpkg(
            tmp,
            GRID_TABLE,
            wgs,
            columns,
            WGS84,
            f"Public hotspot grid, {_metres(cell_size_m)} hexagons",
        )
        feedback.check()
        assert_release_safe(raw, tmp, points, extra_allowed_coordinates=(vlon, vlat))
    return Path(out_path)
