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
from .transform_context import uk_transform_context


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
