"""The dock's Summaries tab: the form runs the same summaries as the command line in a QgsTask
(progress, the layer added styled), and Cancel leaves the previous output untouched."""

from __future__ import annotations

import pytest
from qgis.core import QgsGraduatedSymbolRenderer, QgsProject
from qgis.PyQt.QtGui import QDesktopServices

from crime_mapper.ui.summaries_panel import SummariesPanel
from tests.support.summaries_release import (
    FORCE_EXTRACT,
    FORCE_PROFILE,
    HOODS,
    POPULATION,
    make_release,
)


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return make_release(tmp_path_factory.mktemp("summaries_panel"))


def _fill(panel: SummariesPanel, release: dict, out) -> None:
    panel.release.setFilePath(str(release["csv"]))
    panel.raw.setFilePath(str(FORCE_EXTRACT))
    panel.profile.setFilePath(str(FORCE_PROFILE))
    panel.points.setFilePath(str(release["points"]))
    panel.boundaries.setFilePath(str(HOODS / "msoa11_leicestershire.geojson"))
    panel.code_field.setText("msoa11cd")
    panel.lookup.setFilePath(str(HOODS / "lsoa11_to_msoa11_leicestershire.csv"))
    panel.lookup_code.setText("msoa11cd")
    panel.lookup_name.setText("msoa11nm")
    panel.population.setFilePath(str(POPULATION))
    panel.out.setFilePath(str(out))


def test_panel_runs_summaries_in_a_task(qgis_iface, release, tmp_path, wait_until, monkeypatch):
    panel = SummariesPanel(qgis_iface)
    _fill(panel, release, tmp_path / "out")
    assert not panel.open_button.isEnabled()
    task = panel.start()
    assert task is not None and not panel.run_button.isEnabled()
    wait_until(lambda: not panel._runner.is_running(), "the summaries task")
    assert panel.last_outcome == "completed", panel.last_outcome
    assert (tmp_path / "out" / "neighbourhoods" / "index.html").is_file()
    assert panel.progress_bar.value() == 100 or panel.run_button.isEnabled()
    layers = QgsProject.instance().mapLayersByName("Neighbourhood summaries")
    assert layers and isinstance(layers[-1].renderer(), QgsGraduatedSymbolRenderer)
    QgsProject.instance().removeMapLayers([layer.id() for layer in layers])
    assert panel.open_button.isEnabled()
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    assert panel.open_in_browser()
    assert opened[0].toLocalFile() == str(tmp_path / "out" / "neighbourhoods" / "index.html")
    panel.shutdown()


def test_cancel_leaves_previous_output(qgis_iface, release, tmp_path, wait_until):
    out = tmp_path / "out"
    previous = out / "neighbourhoods"
    previous.mkdir(parents=True)
    (previous / "index.html").write_text("previous", encoding="utf-8")
    panel = SummariesPanel(qgis_iface)
    _fill(panel, release, out)
    task = panel.start()
    task.cancel()
    wait_until(lambda: not panel._runner.is_running(), "the cancelled task")
    assert panel.last_outcome == "cancelled"
    assert (previous / "index.html").read_text(encoding="utf-8") == "previous"
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    panel.shutdown()


def test_missing_inputs_are_named(qgis_iface):
    panel = SummariesPanel(qgis_iface)
    assert panel.start() is None
    panel.shutdown()


def test_bad_input_fails_with_its_message(qgis_iface, release, tmp_path, wait_until):
    panel = SummariesPanel(qgis_iface)
    _fill(panel, release, tmp_path / "out")
    panel.boundaries.setFilePath(str(tmp_path / "no_such.geojson"))
    panel.start()
    wait_until(lambda: not panel._runner.is_running(), "the failing task")
    assert panel.last_outcome.startswith("failed: "), panel.last_outcome
    assert "no_such.geojson" in panel.last_outcome
    assert "Traceback" not in panel.last_outcome and not panel.open_button.isEnabled()
    assert panel.run_button.isEnabled() and not panel.cancel_button.isEnabled()
    panel.shutdown()
