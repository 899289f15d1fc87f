"""Coordinate transforms through QGIS, for installations whose Python has no pyproj.

QGIS always carries PROJ, and transforming through it also honours the datum
transformations the analyst configured in QGIS. pyproj is faster (vectorised), so this is
only the fallback: the plugin registers it at start-up and the core uses it only when
pyproj cannot be imported.
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCsException,
    QgsPointXY,
)

from ..core.common import geography
from ..core.common.text_file import shown_line
from .transform_context import uk_transform_context

#: The names a GeoPackage gives its "undefined" spatial reference systems (srs_id 0 and -1,
#: OGC 12-128r18 §1.1.2.1.2): GDAL reads them as a valid CRS with no authority.
_UNDEFINED_SRS_NAMES = ("undefined geographic srs", "undefined cartesian srs")


def unplaceable_crs(crs: Optional[QgsCoordinateReferenceSystem]) -> Optional[str]:
    """What is wrong with a layer's CRS when its coordinates cannot be placed on the earth
    ("no coordinate reference system", "an undefined coordinate reference system (...)"),
    else None.

    Why one rule: a shapefile without its .prj has no CRS, and a GeoPackage's "undefined"
    SRS is one QGIS calls valid, so a check of ``isValid()`` alone let the second through:
    its numbers were then read as longitude and latitude, or as metres of some grid, and
    drawn wherever they fall. Every reader of an analyst's layer asks this.
    """
    if crs is None or not crs.isValid():
        return "no coordinate reference system"
    if not crs.authid() and crs.description().strip().lower() in _UNDEFINED_SRS_NAMES:
        return f"an undefined coordinate reference system ({shown_line(crs.description())})"
    return None


def qgis_transform(
    x: np.ndarray, y: np.ndarray, source_crs: str, target_crs: str
) -> tuple[np.ndarray, np.ndarray]:
    """geography.TransformBackend implemented with QgsCoordinateTransform, in the project's
    transform context with the UK grid operations named (qgis_process and the command line run
    with an empty project: QGIS would warn about the missing OSTN15 grid on every run)."""
    transform = QgsCoordinateTransform(
        QgsCoordinateReferenceSystem(source_crs),
        QgsCoordinateReferenceSystem(target_crs),
        uk_transform_context(),
    )
    out_x = np.full(len(x), np.nan)
    out_y = np.full(len(y), np.nan)
    for i, (px, py) in enumerate(zip(x.tolist(), y.tolist())):
        if math.isnan(px) or math.isnan(py):
            continue
        try:
            point = transform.transform(QgsPointXY(px, py))
        except QgsCsException:
            continue
        out_x[i], out_y[i] = point.x(), point.y()
    return out_x, out_y


def qgis_area_of_use(crs: str) -> Optional[tuple[float, float, float, float]]:
    """geography.AreaOfUseBackend implemented with QGIS: the CRS's area of use (west, south,
    east, north, in degrees) as PROJ gives it to QGIS, or None when QGIS knows none."""
    bounds = QgsCoordinateReferenceSystem(crs).bounds()
    if bounds.isEmpty():
        return None
    return (bounds.xMinimum(), bounds.yMinimum(), bounds.xMaximum(), bounds.yMaximum())


def install_fallback() -> None:
    """Let the core transform, and look up a CRS's area of use (how a swap of x and y is
    told from a place outside the UK), through QGIS whenever pyproj cannot be imported."""
    geography.set_fallback_transform(qgis_transform)
    geography.set_fallback_area_of_use(qgis_area_of_use)
