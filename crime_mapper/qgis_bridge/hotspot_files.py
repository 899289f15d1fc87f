"""The files a hotspot run writes: hexagon polygons as a GeoPackage, density as a GeoTIFF.

Why not QgsVectorFileWriter: a national grid has hundreds of thousands of cells, and a
per-feature loop costs seconds. The polygon table is written by the same numpy + sqlite3 route
as core.io.gpkg_write (polygon blobs built in one vectorised step, bulk-loaded R-tree, GDAL's
triggers and metadata through gpkg_write's public functions), so it opens cleanly in QGIS and
GDAL. The spatial reference rows and the GeoTIFF come from GDAL (osgeo), which is why this
module is on the QGIS side. GDAL errors are raised as exceptions only inside
:func:`gdal_exceptions`, never switched on for the whole QGIS process.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Union

import numpy as np

from ..core.io import gpkg_write

PathLike = Union[str, "os.PathLike[str]"]


@contextmanager
def gdal_exceptions() -> Iterator[None]:
    """GDAL raises Python exceptions inside the block, and is left as it was after it.

    ``gdal.UseExceptions()`` would switch every other plugin's GDAL calls to exceptions for
    the rest of the QGIS session; GDAL >= 3.7 has ``gdal.ExceptionMgr`` for exactly this
    scope, and on older GDAL the previous mode is restored by hand.
    """
    from osgeo import gdal, osr

    manager = getattr(gdal, "ExceptionMgr", None)
    if manager is not None:
        with manager(useExceptions=True), osr.ExceptionMgr(useExceptions=True):
            yield
        return
    gdal_before, osr_before = gdal.GetUseExceptions(), osr.GetUseExceptions()
    if not gdal_before:
        gdal.UseExceptions()
    if not osr_before:
        osr.UseExceptions()
    try:
        yield
    finally:  # undone in reverse order: GDAL keeps the switches on a stack
        if not osr_before:
            osr.DontUseExceptions()
        if not gdal_before:
            gdal.DontUseExceptions()


def srs_row(crs: str) -> tuple[int, str, str, int, str, str]:
    """A gpkg_spatial_ref_sys row for an authority id (WKT from GDAL/PROJ)."""
    from osgeo import osr

    srs = osr.SpatialReference()
    try:
        with gdal_exceptions():
            srs.SetFromUserInput(crs)
    except RuntimeError as exc:
        raise ValueError(f"unknown CRS {crs!r}") from exc
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
    srs = srs_row(crs)
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
            bounds = (None, None, None, None)  # type: ignore[assignment]  # an empty table
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
            "INSERT INTO gpkg_extensions VALUES (?, 'geom', ?, ?, ?)",
            (table, *gpkg_write.RTREE_EXTENSION),
        )
        for sql in gpkg_write.rtree_triggers(table, "geom"):
            conn.execute(sql)
        for sql in gpkg_write.feature_count_triggers(table):
            conn.execute(sql)
        conn.execute("COMMIT")
    finally:
        conn.close()
    return path


def write_density_tif(
    path: PathLike, density: np.ndarray, x_min: float, y_max: float, cell_m: float, crs: str
) -> Path:
    """The KDE surface as a single-band float32 GeoTIFF: CRS, north-up geotransform, LZW
    compression with a floating-point predictor, tiled. No nodata value is declared: every
    pixel is analysed (0 means no crime within the bandwidth), so none is missing."""
    from osgeo import gdal, osr

    density = np.asarray(density, dtype=np.float32)
    rows, cols = density.shape
    options = ["COMPRESS=LZW", "PREDICTOR=3", "TILED=YES"]
    if rows * cols * 4 > 3_000_000_000:
        options.append("BIGTIFF=YES")
    with gdal_exceptions():
        driver = gdal.GetDriverByName("GTiff")
        ds = driver.Create(str(path), cols, rows, 1, gdal.GDT_Float32, options=options)
        try:
            ds.SetGeoTransform(
                (float(x_min), float(cell_m), 0.0, float(y_max), 0.0, -float(cell_m))
            )
            srs = osr.SpatialReference()
            srs.SetFromUserInput(crs)
            ds.SetProjection(srs.ExportToWkt())
            band = ds.GetRasterBand(1)
            band.SetDescription("crimes per km2")
            band.WriteArray(density)
            band.ComputeStatistics(False)
            band.FlushCache()
        finally:
            ds = None
    return Path(path)
