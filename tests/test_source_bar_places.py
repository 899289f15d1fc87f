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

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, ogr, osr
from qgis.core import (
    QgsProcessingParameterMultipleLayers,
    QgsProject,
    QgsRasterLayer,
    QgsVectorLayer,
)

from crime_mapper.compat import SOURCE_FILE
from crime_mapper.core.monthly.outputs_json import outputs_to_dict
from crime_mapper.core.monthly.release import LoadStep, MonthlyOutputs, StepRecord
from crime_mapper.qgis_bridge.run_load import run_load
from tests.support.monthly_config import MONTH, config_file

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


def _two_layer_gpkg(path: Path) -> Path:
    """A GeoPackage at ``path`` whose first layer ("areas", 1 point) is not its crimes
    ("crimes", 3 points)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    dataset = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    crs = osr.SpatialReference()
    crs.ImportFromEPSG(4326)
    for name, count in (("areas", 1), ("crimes", 3)):
        table = dataset.CreateLayer(name, crs, ogr.wkbPoint)
        for i in range(count):
            feature = ogr.Feature(table.GetLayerDefn())
            feature.SetGeometry(ogr.CreateGeometryFromWkt(f"POINT (-1.13 52.6{i})"))
            table.CreateFeature(feature)
    dataset = None
    return path


def test_processing_finds_a_geopackage_layer_whose_file_holds_a_bar(plain_crimes, tmp_path):
    from crime_mapper.processing.base import input_path_message

    barred = _barred_copy(plain_crimes, tmp_path)
    files = QgsProcessingParameterMultipleLayers("INPUTS", "Crimes files", SOURCE_FILE)
    assert input_path_message(files, f"{barred}|layername=crimes") is None
    missing = tmp_path / "c|d.gpkg"
    assert "not found" in (input_path_message(files, f"{missing}|layername=crimes") or "")


def test_layers_under_a_folder_named_with_a_bar_are_reloaded(plain_crimes, tmp_path):
    from crime_mapper.qgis_bridge.layers import reload_layers_on

    barred = _barred_copy(plain_crimes, tmp_path / "x|y")
    project = QgsProject()
    layer = QgsVectorLayer(f"{barred}|layername=crimes", "crimes", "ogr")
    assert layer.isValid() and layer.featureCount() > 3
    project.addMapLayer(layer)
    _replace_with_fewer(barred, 3)
    assert reload_layers_on(project, [barred]) == 1
    assert layer.featureCount() == 3


def test_a_density_surface_named_with_a_bar_is_read_from_its_own_file(tmp_path):
    """Its maximum (the renderer's top) came from the file ``a`` beside ``a|b.tif``."""
    from crime_mapper.qgis_bridge.hotspot_style import raster_max

    _write_tif(tmp_path / "a|b.tif", 7.0)
    _write_tif(tmp_path / "a", 3.0)  # (where the source was cut)
    layer = QgsRasterLayer(str(tmp_path / "a|b.tif"), "density", "gdal")
    assert layer.isValid()
    assert raster_max(layer) == 7.0


@pytest.mark.parametrize("layered", [False, True])
def test_the_hotspots_read_a_geopackage_named_with_a_bar_with_sql(plain_crimes, tmp_path, layered):
    from crime_mapper.qgis_bridge.hotspot_input import gpkg_point_table, points_from_layer

    barred = _barred_copy(plain_crimes, tmp_path / "x|y")
    source = f"{barred}|layername=crimes" if layered else str(barred)
    layer = QgsVectorLayer(source, "crimes", "ogr")
    assert layer.isValid()
    table = gpkg_point_table(layer)
    assert table is not None and table[:2] == (str(barred), "crimes")
    read = points_from_layer(layer)
    expected = points_from_layer(QgsVectorLayer(f"{plain_crimes}|layername=crimes", "", "ogr"))
    assert np.array_equal(read.x, expected.x) and np.array_equal(read.y, expected.y)


def test_a_crimes_geopackage_named_with_a_bar_is_read_as_its_crimes_table(tmp_path):
    """A crimes GeoPackage path means its "crimes" table: ``a|b.gpkg`` was opened as it
    was given, on the file's first layer."""
    from crime_mapper.qgis_bridge.hotspot_input import open_point_layer

    path = _two_layer_gpkg(tmp_path / "x|y" / "a|b.gpkg")
    layer = open_point_layer(str(path))
    assert layer.featureCount() == 3 and layer.source() == f"{path}|layername=crimes"


def test_the_hotspot_panel_writes_beside_crimes_in_a_folder_named_with_a_bar(
    qgis_iface, qgis_new_project, plain_crimes, tmp_path
):
    from crime_mapper.ui.hotspots_panel import HotspotsPanel

    barred = _barred_copy(plain_crimes, tmp_path / "x|y")
    panel = HotspotsPanel(qgis_iface)
    panel.set_crimes_source(str(barred))
    assert Path(panel.output_path()).parent == barred.parent


def test_the_guided_release_knows_its_layers_under_a_folder_named_with_a_bar(
    dock, plain_crimes, tmp_path
):
    """A release under ``out|bar``: "Add to map" added its layers a second time, and a
    re-run did not reload them (they showed the replaced files)."""
    panel = dock.guided_panel
    assert panel.open_config(config_file(tmp_path, out="out|bar/{month}"))
    panel.set_month(MONTH)
    out = tmp_path / "out|bar" / MONTH
    crimes = _barred_copy(plain_crimes, out / "load")
    # the entry as the release writes it (a dictionary made by hand here drifted from the
    # saved shape, which the reader refuses, and the test stopped testing the bar)
    outputs = outputs_to_dict(
        MonthlyOutputs(
            month=MONTH,
            out_dir=out,
            steps=[StepRecord(name="load", status="done", outputs=[crimes])],
            manifest=out / "manifest.json",
            load=LoadStep(
                written=[crimes], crimes=crimes, summary={}, reconciles=True, crimes_gpkg=crimes
            ),
        )
    )
    QgsProject.instance().writeEntry(SCOPE, "release/outputs", json.dumps(outputs))
    panel.restore()
    added = panel.add_layers()
    assert len(added) == 1 and added[0].source() == f"{crimes}|layername=crimes"
    assert panel.add_layers() == added and len(QgsProject.instance().mapLayers()) == 1
    _replace_with_fewer(crimes, 3)
    panel._reload_open_layers()  # (what a finished run does)
    assert added[0].featureCount() == 3


def test_a_geopackage_layer_chosen_by_its_number_is_read_from_that_layer(tmp_path):
    """``FILE.gpkg|layerid=1`` names no table: the fast reader read the file's first
    geometry table in its place (another layer's points); QGIS now reads the layer."""
    from crime_mapper.qgis_bridge.hotspot_input import gpkg_point_table, points_from_layer

    path = _two_layer_gpkg(tmp_path / "x|y" / "a|b.gpkg")
    layer = QgsVectorLayer(f"{path}|layerid=1", "crimes", "ogr")
    assert layer.isValid() and layer.featureCount() == 3
    assert len(points_from_layer(layer).x) == 3
    assert gpkg_point_table(layer) is None
