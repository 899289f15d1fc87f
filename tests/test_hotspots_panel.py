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
