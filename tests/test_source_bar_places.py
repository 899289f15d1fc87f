"""Every place that reads a file from a source text reads it by core.common.layer_source's
one rule, so a file or folder named with a ``|`` (legal on Linux and macOS) is that file.

Why: after the crimes and map points sides, these places still cut a source at its first
``|``: Processing's check of a file input (``.../a|b.gpkg|layername=crimes`` was "not
found", the file ``.../a`` being checked), the dock's match of open layers to a release's
files and to files just replaced (under a release folder named ``x|y`` no layer matched, so
none was reloaded after a re-run and "Add to map" added them twice), the density surface's
maximum (``a|b.tif`` was read from a file ``a``), the hotspots' fast GeoPackage reader
(``a|b.gpkg`` read feature by feature), a crimes GeoPackage path given to the hotspots
(``a|b.gpkg`` opened on its first layer, not its crimes) and the hotspot panel's default
output folder. Real GeoPackages and GeoTIFFs, real QGIS layers, the real dock.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, osr
from qgis.core import (
    QgsProcessingParameterMultipleLayers,
)

from crime_mapper.compat import SOURCE_FILE
from crime_mapper.qgis_bridge.run_load import run_load

REPO = Path(__file__).resolve().parent.parent
STREET = REPO / "sample_data" / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"
SCOPE = "crime_mapper"


@pytest.fixture(scope="module")
def plain_crimes(qgis_app, tmp_path_factory) -> Path:
    """The load's crimes GeoPackage (real QGIS writes it), under a plain name."""
    return Path(run_load([STREET], tmp_path_factory.mktemp("load")).gpkg)


def _barred_copy(plain: Path, folder: Path) -> Path:
    """``plain`` copied to ``folder/a|b.gpkg``, the folder made (it may hold a ``|``)."""
    folder.mkdir(parents=True, exist_ok=True)
    barred = folder / "a|b.gpkg"
    shutil.copy(plain, barred)
    return barred


def _keep_first_crimes(gpkg: Path, kept: int) -> None:
    """Delete all but the first ``kept`` crimes, through GDAL (its GeoPackage triggers)."""
    dataset = gdal.OpenEx(str(gpkg), gdal.OF_VECTOR | gdal.OF_UPDATE)
    dataset.ExecuteSQL(f"DELETE FROM crimes WHERE fid > {kept}")
    dataset = None


def _replace_with_fewer(gpkg: Path, kept: int) -> None:
    """Replace ``gpkg`` by an atomic rename, as a re-run does, with fewer crimes."""
    new = gpkg.with_name("new.gpkg")
    shutil.copy(gpkg, new)
    _keep_first_crimes(new, kept)
    os.replace(new, gpkg)


def _write_tif(path: Path, highest: float) -> None:
    """A 2 x 2 GeoTIFF in British National Grid whose largest value is ``highest``."""
    dataset = gdal.GetDriverByName("GTiff").Create(str(path), 2, 2, 1, gdal.GDT_Float32)
    dataset.SetGeoTransform([450000.0, 100.0, 0.0, 300200.0, 0.0, -100.0])
    crs = osr.SpatialReference()
    crs.ImportFromEPSG(27700)
    dataset.SetProjection(crs.ExportToWkt())
    dataset.GetRasterBand(1).WriteArray(np.array([[1.0, 2.0], [0.5, highest]], dtype="float32"))
    dataset = None


def test_processing_finds_a_geopackage_layer_whose_file_holds_a_bar(plain_crimes, tmp_path):
    from crime_mapper.processing.base import input_path_message

    barred = _barred_copy(plain_crimes, tmp_path)
    files = QgsProcessingParameterMultipleLayers("INPUTS", "Crimes files", SOURCE_FILE)
    assert input_path_message(files, f"{barred}|layername=crimes") is None
    missing = tmp_path / "c|d.gpkg"
    assert "not found" in (input_path_message(files, f"{missing}|layername=crimes") or "")
