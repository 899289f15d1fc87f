"""The dock's Hotspots panel end to end in real QGIS: a run through the task manager adds a
styled layer to a "Hotspots" group; bad input gives a message, not a crash; quick styles."""

from __future__ import annotations

from pathlib import Path

import pytest
from qgis.core import QgsProject, QgsVectorLayer

from crime_mapper.compat import layer_abstract
from crime_mapper.qgis_bridge.hotspot_style import HOTSPOTS_GROUP, legend_text
from crime_mapper.qgis_bridge.run_load import run_load
from crime_mapper.ui.hotspots_panel import HotspotsPanel

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "police-uk"
LSOA = REPO / "sample_data" / "boundaries" / "LSOA_Dec_2011_BSC_leicester_city.geojson"


@pytest.fixture(scope="module")
def crimes_gpkg(qgis_app, tmp_path_factory) -> Path:
    return run_load(
        [
            SAMPLE / "2022-09" / "2022-09-leicestershire-street.csv",
            SAMPLE / "2022-10" / "2022-10-leicestershire-street.csv",
        ],
        tmp_path_factory.mktemp("load"),
    ).gpkg


def _run(panel: HotspotsPanel, wait_until) -> bool:
    outcome: list[bool] = []
    panel.runFinished.connect(outcome.append)
    assert panel.start_run()
    wait_until(lambda: bool(outcome), "the hotspot run")
    return outcome[0]


def test_panel_runs_gi_and_adds_styled_layer(
    qgis_iface, qgis_new_project, crimes_gpkg, tmp_path, wait_until
):
    panel = HotspotsPanel(qgis_iface)
    assert not panel.start_run()  # no source yet: a message, not a crash
    panel.set_crimes_source(str(crimes_gpkg))
    panel.set_method("gi")
    panel.fdr_check.setChecked(True)
    panel.months_edit.setText("2022-10")
    panel.output_edit.setFilePath(str(tmp_path / "gi.gpkg"))
    assert _run(panel, wait_until) is True
    group = QgsProject.instance().layerTreeRoot().findGroup(HOTSPOTS_GROUP)
    assert group is not None
    layer = group.findLayers()[0].layer()
    assert layer.name().startswith("Gi* hotspots, 500 m hexagons (all crimes, 2022-10)")
    assert layer.renderer().type() == "categorizedSymbol"
    assert "correction on" in legend_text(layer) and "Getis-Ord" in layer_abstract(layer)
    assert panel.progress_bar.value() == 100
    assert "cells from" in panel.status_label.text()

    # a second method lands in the same group, on top
    panel.set_method("kde")
    assert panel.cell_spin.value() == 50.0 and not panel.bandwidth_spin.isHidden()
    assert panel.months_edit.isHidden() is False and panel.current_edit.isHidden()
    panel.output_edit.setFilePath(str(tmp_path / "kde.tif"))
    panel.cell_spin.setValue(100.0)
    assert _run(panel, wait_until) is True
    names = [node.layer().name() for node in group.findLayers()]
    assert names[0].startswith("Crime density, 100 m cells") and len(names) == 2


def test_panel_reports_bad_input(qgis_iface, qgis_new_project, crimes_gpkg, tmp_path, wait_until):
    panel = HotspotsPanel(qgis_iface)
    panel.set_crimes_source(str(crimes_gpkg))
    panel.set_method("grid")
    panel.months_edit.setText("2019-01")
    panel.output_edit.setFilePath(str(tmp_path / "grid.gpkg"))
    assert _run(panel, wait_until) is False
    assert "holds 2022-09 to 2022-10" in panel.status_label.text()
    assert not (tmp_path / "grid.gpkg").exists()

    panel.months_edit.setText("last month")  # not YYYY-MM: refused before starting
    assert panel.start_run() is False
    panel.set_method("change")
    assert panel.start_run() is False  # no current month
    panel.current_edit.setText("2022-10")
    panel.output_edit.setFilePath(str(tmp_path / "change.gpkg"))
    assert _run(panel, wait_until) is True
    assert panel.last_outputs.facts["baseline"] == ["2022-09"]


def test_quick_styles(qgis_iface, qgis_new_project, crimes_gpkg):
    panel = HotspotsPanel(qgis_iface)
    points = QgsVectorLayer(f"{crimes_gpkg}|layername=crimes", "crimes", "ogr")
    assert panel.apply_heatmap_preview(points)
    assert points.renderer().type() == "heatmapRenderer"
    areas = QgsVectorLayer(str(LSOA), "areas", "ogr")
    assert not panel.apply_heatmap_preview(areas)  # not points: a message
    assert panel.apply_choropleth(areas, "Shape__Area", "equal_interval")
    assert areas.renderer().type() == "graduatedSymbol"
    assert not panel.apply_choropleth(points, "record_id")  # not polygons
    panel.shutdown()


def test_an_output_that_cannot_be_opened_is_named_on_one_line(qgis_app, tmp_path):
    """The Hotspots tab shows "Published to ..., but adding the layer failed: ..." with this
    message: a file named with a newline started a line of its own there."""
    from crime_mapper.qgis_bridge.hotspot_layers import HotspotOutputs
    from crime_mapper.qgis_bridge.hotspot_style import hotspot_layer

    path = tmp_path / "grid\nLeak gate: passed.gpkg"
    path.write_bytes(b"not a GeoPackage")
    outputs = HotspotOutputs("grid", path, "Grid", "", "EPSG:27700", 0, 0)
    with pytest.raises(RuntimeError) as failed:
        hotspot_layer(outputs)
    wanted = f"cannot open the hotspot output {tmp_path}/grid\\nLeak gate: passed.gpkg"
    assert str(failed.value) == wanted


def _one_crime_gpkg(path: Path, epsg: int) -> QgsVectorLayer:
    """A real GeoPackage point layer in EPSG:``epsg`` holding one crime in Leicester (British
    National Grid 460000, 300000), written by GDAL."""
    from osgeo import ogr, osr

    bng, crs = osr.SpatialReference(), osr.SpatialReference()
    bng.ImportFromEPSG(27700)
    crs.ImportFromEPSG(epsg)
    for srs in (bng, crs):
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    point = ogr.CreateGeometryFromWkt("POINT (460000 300000)")
    point.AssignSpatialReference(bng)
    point.TransformTo(crs)
    source = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    table = source.CreateLayer("crimes", crs, ogr.wkbPoint)
    feature = ogr.Feature(table.GetLayerDefn())
    feature.SetGeometry(point)
    table.CreateFeature(feature)
    source = None  # closed: written
    layer = QgsVectorLayer(f"{path}|layername=crimes", f"crimes {epsg}", "ogr")
    assert layer.isValid() and layer.crs().authid() == f"EPSG:{epsg}"
    return layer


def _drawn_radius_m(layer: QgsVectorLayer, map_crs) -> float:
    """How far from the crime the heatmap colours the map, in metres on the ground: the map
    (400 px over a 2 km square around the crime, in ``map_crs``) is drawn by QGIS and the
    coloured pixels of its middle row counted."""
    from qgis.core import (
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsMapRendererSequentialJob,
        QgsMapSettings,
        QgsPointXY,
        QgsRectangle,
    )
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    to_map = QgsCoordinateTransform(
        QgsCoordinateReferenceSystem("EPSG:27700"), map_crs, QgsProject.instance()
    )
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(map_crs)
    settings.setOutputSize(QSize(400, 400))
    settings.setBackgroundColor(QColor(0, 0, 0, 0))
    settings.setExtent(
        QgsRectangle(
            to_map.transform(QgsPointXY(459000, 299000)),
            to_map.transform(QgsPointXY(461000, 301000)),
        )
    )
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    row = image.height() // 2
    coloured = [x for x in range(image.width()) if QColor.fromRgba(image.pixel(x, row)).alpha()]
    assert coloured, "the heatmap drew nothing"
    return (coloured[-1] - coloured[0] + 1) * (2000 / image.width()) / 2


@pytest.mark.parametrize("epsg", [27700, 3857, 4326])
def test_heatmap_preview_radius_is_300_m_on_the_ground(
    qgis_iface, qgis_new_project, tmp_path, epsg
):
    """The preview's radius was 300 map units: about 185 m on the ground in a Web Mercator
    project and, in a longitude/latitude one, 4 mm on screen whatever the scale. It is now
    300 m on the ground in each, as the message says."""
    from crime_mapper.compat import RENDER_MAP_UNITS, RENDER_METRES_IN_MAP_UNITS

    layer = _one_crime_gpkg(tmp_path / f"crimes_{epsg}.gpkg", epsg)
    QgsProject.instance().setCrs(layer.crs())  # as QGIS does for a project's first layer
    panel = HotspotsPanel(qgis_iface)
    assert panel.apply_heatmap_preview(layer)
    renderer = layer.renderer()
    if epsg == 3857:  # metres 1 / cos(52.6°) too large: 300 m is some 494 map units there
        assert renderer.radiusUnit() == RENDER_MAP_UNITS
        assert renderer.radius() == pytest.approx(494, abs=2)
    else:
        assert renderer.radiusUnit() == RENDER_METRES_IN_MAP_UNITS
        assert renderer.radius() == 300.0
    assert _drawn_radius_m(layer, layer.crs()) == pytest.approx(300, abs=15)
