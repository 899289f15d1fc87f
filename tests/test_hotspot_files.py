"""qgis_bridge.hotspot_files: GDAL's exception mode is switched on only inside the writers.

``gdal.UseExceptions()`` at module level (as the hotspot writer used to call) changes GDAL for
the whole QGIS process and every other plugin; the writers now scope it.
"""

from __future__ import annotations

import numpy as np
import pytest
from osgeo import gdal, osr

from crime_mapper.qgis_bridge.hotspot_files import (
    gdal_exceptions,
    srs_row,
    write_density_tif,
)


def test_gdal_exception_mode_is_restored_after_writing(tmp_path):
    before = (gdal.GetUseExceptions(), osr.GetUseExceptions())
    path = write_density_tif(
        tmp_path / "d.tif",
        np.ones((3, 4), dtype=np.float32),
        450_000.0,
        120_000.0,
        50.0,
        "EPSG:27700",
    )
    assert (gdal.GetUseExceptions(), osr.GetUseExceptions()) == before
    ds = gdal.Open(str(path))
    assert (ds.RasterXSize, ds.RasterYSize) == (4, 3)
    assert ds.GetGeoTransform() == (450_000.0, 50.0, 0.0, 120_000.0, 0.0, -50.0)
    ds = None


def test_errors_inside_the_scope_raise_and_the_mode_is_restored_after_them():
    before = (gdal.GetUseExceptions(), osr.GetUseExceptions())
    with pytest.raises(ValueError, match="unknown CRS"):
        srs_row("EPSG:999999999")
    assert (gdal.GetUseExceptions(), osr.GetUseExceptions()) == before
    with pytest.raises(RuntimeError), gdal_exceptions():
        gdal.Open("/nonexistent/file.tif")
    assert (gdal.GetUseExceptions(), osr.GetUseExceptions()) == before
    assert srs_row("EPSG:27700")[:3] == (27700, "OSGB36 / British National Grid", "EPSG")
