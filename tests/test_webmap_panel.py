"""The dock's Web map tab: the form runs the same export as the command line in a QgsTask,
Cancel leaves the previous export untouched, and "Open in browser" opens the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crime_mapper.ui.webmap_panel import WebmapPanel
from tests.support.fake_python import install_fake_python

REPO = Path(__file__).resolve().parent.parent
OCT = REPO / "sample_data" / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"
LSOAS = REPO / "sample_data" / "boundaries" / "LSOA_Dec_2011_BSC_leicester_city.geojson"


def _fill(panel: WebmapPanel, out: Path) -> None:
    panel.release.setFilePath(str(OCT))
    panel.boundaries.setFilePath(str(LSOAS))
    panel.code_field.setText("LSOA11CD")
    panel.name_field.setText("LSOA11NM")
    panel.tiles.setCurrentIndex(1)  # none
    panel.out.setFilePath(str(out))


def test_panel_exports_in_a_task(qgis_iface, tmp_path, wait_until, monkeypatch):
    panel = WebmapPanel(qgis_iface)
    _fill(panel, tmp_path / "out")
    assert not panel.open_button.isEnabled()
    task = panel.start()
    assert task is not None and not panel.run_button.isEnabled()
    wait_until(lambda: not panel._runner.is_running(), "the web map task")
    assert panel.last_outcome == "completed", panel.last_outcome
    index = tmp_path / "out" / "map" / "index.html"
    assert index.is_file() and (tmp_path / "out" / "map" / "data" / "areas.js").is_file()
    assert panel.open_button.isEnabled()
    opened = []
    from qgis.PyQt.QtGui import QDesktopServices

    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    assert panel.open_in_browser()
    assert opened and opened[0].toLocalFile() == str(index)
    panel.shutdown()


def test_cancel_leaves_previous_export(qgis_iface, tmp_path, wait_until):
    out = tmp_path / "out"
    previous = out / "map"
    previous.mkdir(parents=True)
    (previous / "index.html").write_text("previous", encoding="utf-8")
    panel = WebmapPanel(qgis_iface)
    _fill(panel, out)
    task = panel.start()
    task.cancel()
    wait_until(lambda: not panel._runner.is_running(), "the cancelled task")
    assert panel.last_outcome == "cancelled"
    assert (previous / "index.html").read_text(encoding="utf-8") == "previous"
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    panel.shutdown()


def test_missing_inputs_are_named(qgis_iface):
    panel = WebmapPanel(qgis_iface)
    assert panel.start() is None
    panel.raw.setFilePath(str(OCT))
    panel.release.setFilePath(str(OCT))
    panel.out.setFilePath("/tmp/x")
    assert panel.start() is None  # raw extracts without map points
    panel.shutdown()


def test_panel_offers_a_hosted_address_for_large_csvs(qgis_iface, tmp_path, wait_until):
    """Not copied and not beside the release: the address field gives the page its link."""
    panel = WebmapPanel(qgis_iface)
    _fill(panel, tmp_path / "out")
    panel.copy_csv.setChecked(False)
    panel.csv_url.setText("https://data.example.org/crime/")
    assert panel.task_arguments()["csv_url"] == "https://data.example.org/crime/"
    panel.start()
    wait_until(lambda: not panel._runner.is_running(), "the web map task")
    assert panel.last_outcome == "completed", panel.last_outcome
    html = (tmp_path / "out" / "map" / "index.html").read_text(encoding="utf-8")
    assert 'href="https://data.example.org/crime/"' in html
    panel.shutdown()


# --- gated against the raw crimes: the export in a child process (qgis_bridge.webmap_process)


FORCE = REPO / "sample_data" / "force"


@pytest.fixture
def fake_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    return install_fake_python(tmp_path, monkeypatch)


def _fill_raw(panel: WebmapPanel, out: Path, tmp_path: Path) -> None:
    from tests.support.webmap_release import points_csv

    _fill(panel, out)
    panel.raw.setFilePath(str(FORCE / "2022-10-leicestershire-force-extract.csv"))
    panel.profile.setFilePath(str(FORCE / "leicestershire-force-extract.profile.json"))
    panel.points.setFilePath(str(points_csv(tmp_path)))


def test_gated_export_runs_in_a_child_and_opens(
    qgis_iface, tmp_path, wait_until, monkeypatch, fake_python
):
    panel = WebmapPanel(qgis_iface)
    _fill_raw(panel, tmp_path / "out", tmp_path)
    task = panel.start()
    assert task is not None
    wait_until(lambda: not panel._runner.is_running(), "the web map task")
    assert panel.last_outcome == "completed", panel.last_outcome
    assert fake_python["starts"]() == ["-m crime_mapper.core.publish.webmap_child"]
    assert task.done.beside  # (the child forked its export beside the gate's raw side)
    index = tmp_path / "out" / "map" / "index.html"
    opened = []
    from qgis.PyQt.QtGui import QDesktopServices

    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    assert panel.open_in_browser() and opened[0].toLocalFile() == str(index)
    panel.shutdown()


def test_gated_export_cancelled_in_the_child(qgis_iface, tmp_path, wait_until, fake_python):
    out = tmp_path / "out"
    previous = out / "map"
    previous.mkdir(parents=True)
    (previous / "index.html").write_text("previous", encoding="utf-8")
    panel = WebmapPanel(qgis_iface)
    _fill_raw(panel, out, tmp_path)
    task = panel.start()
    wait_until(lambda: bool(fake_python["starts"]()), "the child's start")
    task.cancel()
    wait_until(lambda: not panel._runner.is_running(), "the cancelled task")
    assert panel.last_outcome == "cancelled"
    assert [p.name for p in previous.iterdir()] == ["index.html"]
    assert (previous / "index.html").read_text(encoding="utf-8") == "previous"
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    panel.shutdown()


def test_a_dead_child_fails_with_its_last_words(
    qgis_iface, tmp_path, wait_until, monkeypatch, fake_python
):
    monkeypatch.setenv("CM_FAKE_MODE", "silent")
    panel = WebmapPanel(qgis_iface)
    _fill_raw(panel, tmp_path / "out", tmp_path)
    task = panel.start()
    wait_until(lambda: not panel._runner.is_running(), "the failed task")
    assert panel.last_outcome.startswith("failed: The web map export process ended without")
    assert task.error and "refused" in task.error
    assert not (tmp_path / "out" / "map").exists()
    panel.shutdown()
