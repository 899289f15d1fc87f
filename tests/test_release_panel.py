"""The Release panel against real QGIS: it refuses to start without its inputs, creates a
private salt, and runs a whole anonymise through its QgsTask (map points from a GeoPackage and
from a layer), adding the styled public layer and reporting through the message bar."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import pytest
from qgis.core import Qgis, QgsProject, QgsVectorLayer

from crime_mapper.core.release.map_points_files import read_map_points_gpkg, write_map_points_gpkg
from crime_mapper.core.release.release_files import create_salt_file
from crime_mapper.qgis_bridge.run_load import run_load
from crime_mapper.ui.release_panel import SOURCE_GPKG, SOURCE_LAYER, ReleasePanel

REPO = Path(__file__).resolve().parent.parent
LEICS_OCT_ZIP = REPO / "sample_data" / "police-uk" / "2022-10.zip"


@pytest.fixture(scope="module")
def release_inputs(tmp_path_factory) -> dict:
    from crime_mapper.core.release.map_points_files import history_points

    base = tmp_path_factory.mktemp("panel_inputs")
    load = run_load([LEICS_OCT_ZIP], base / "load")
    points = base / "points" / "map_points.gpkg"
    write_map_points_gpkg(history_points([LEICS_OCT_ZIP]), points)
    salt = create_salt_file(base / "secret" / "force.salt")
    return {"crimes": str(load.gpkg), "points": points, "salt": salt}


@pytest.fixture
def panel(qgis_iface) -> ReleasePanel:
    qgis_iface.messageBar().clear_messages()
    widget = ReleasePanel(qgis_iface)
    yield widget
    widget.shutdown()
    widget.deleteLater()


def _run(panel: ReleasePanel, wait_until) -> list[bool]:
    outcomes: list[bool] = []
    panel.anonymiseFinished.connect(outcomes.append)
    assert panel.start_anonymise() is True
    assert panel.current_task() is not None
    assert not panel.run_button.isEnabled() and panel.cancel_button.isEnabled()
    wait_until(lambda: bool(outcomes), "the panel's anonymise to finish")
    return outcomes


def test_panel_refuses_to_start_without_inputs(panel, qgis_iface, release_inputs, tmp_path):
    assert panel.start_anonymise() is False
    warnings = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Warning)
    assert any("load extracts first" in m for m in warnings)
    panel.set_crimes_source(release_inputs["crimes"])
    assert panel.start_anonymise() is False  # no output folder
    panel.set_output_dir(str(tmp_path / "out"))
    assert panel.start_anonymise() is False  # no salt
    warnings = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Warning)
    assert any("salt" in m for m in warnings)
    panel.set_salt_path(str(release_inputs["salt"]))
    panel.set_points_file(str(tmp_path / "missing.gpkg"))
    assert panel.start_anonymise() is False
    assert panel.current_task() is None
    assert not (tmp_path / "out").exists()


def test_panel_creates_a_private_salt(panel, tmp_path):
    path = tmp_path / "new.salt"
    assert panel.create_salt(str(path)) is True
    assert panel.salt_widget.filePath() == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(path.read_text().strip()) == 64
    assert panel.create_salt(str(path)) is False  # never overwritten


def test_panel_runs_an_anonymise_through_its_task(
    panel, qgis_iface, qgis_new_project, release_inputs, tmp_path, wait_until
):
    panel.set_crimes_source(release_inputs["crimes"])
    panel.set_points_file(str(release_inputs["points"]))
    assert panel.source_combo.currentIndex() == SOURCE_GPKG
    panel.set_salt_path(str(release_inputs["salt"]))
    panel.set_output_dir(str(tmp_path / "release"))
    panel.set_max_distance_km(20)
    outcomes = _run(panel, wait_until)
    assert outcomes == [True], panel.summary_view.toPlainText()
    assert panel.current_task() is None and panel.run_button.isEnabled()
    assert panel.audit_button.isEnabled()
    assert panel.progress_bar.value() == 100
    summary = panel.summary_view.toPlainText()
    for words in (
        "Rows in: 4,836",
        "Published at a map point",
        "without a location",
        "Withheld by rule: 0",
        "Rejected: 0",
        "Leak gate: passed",
    ):
        assert words in summary, summary
    csv = tmp_path / "release" / "2022-10-leicestershire-street.csv"
    assert csv.is_file()
    audit = json.loads((tmp_path / "release" / "audit.json").read_text())
    assert audit["reconciles"] and audit["leak_gate"]["passed"]
    successes = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Success)
    assert any("Release written" in m for m in successes)
    layers = [
        lyr
        for lyr in QgsProject.instance().mapLayers().values()
        if lyr.name().startswith("Public release")
    ]
    assert len(layers) == 1 and layers[0].featureCount() == 4836
    assert layers[0].renderer().classAttribute() == "Crime type"


def test_panel_anonymises_a_crimes_geopackage_named_with_a_bar(
    panel, qgis_new_project, release_inputs, tmp_path, wait_until
):
    """``a|b.gpkg`` is that file (core.common.layer_source's rule): the panel looked for
    the file before the ``|`` and said "No crimes to anonymise"."""
    import shutil

    crimes = tmp_path / "a|b.gpkg"
    shutil.copy(release_inputs["crimes"], crimes)
    panel.set_crimes_source(str(crimes))
    panel.set_points_file(str(release_inputs["points"]))
    panel.set_salt_path(str(release_inputs["salt"]))
    panel.set_output_dir(str(tmp_path / "release"))
    outcomes = _run(panel, wait_until)
    assert outcomes == [True], panel.summary_view.toPlainText()
    assert "Rows in: 4,836" in panel.summary_view.toPlainText()


def test_panel_takes_map_points_from_a_layer(
    panel, qgis_new_project, release_inputs, tmp_path, wait_until
):
    layer = QgsVectorLayer(f"{release_inputs['points']}|layername=map_points", "Map points", "ogr")
    assert layer.isValid()
    QgsProject.instance().addMapLayer(layer)
    panel.set_crimes_source(release_inputs["crimes"])
    panel.set_points_layer(layer, "lsoa_name")  # read feature by feature, in the task
    assert panel.source_combo.currentIndex() == SOURCE_LAYER
    assert panel.label_field_combo.currentField() == "lsoa_name"
    panel.set_salt_path(str(release_inputs["salt"]))
    panel.set_output_dir(str(tmp_path / "release"))
    outcomes = _run(panel, wait_until)
    assert outcomes == [True], panel.summary_view.toPlainText()
    text = (tmp_path / "release" / "2022-10-leicestershire-street.csv").read_text()
    points = read_map_points_gpkg(release_inputs["points"])
    assert f"On or near {points.lsoa_name[0]}" in text


def test_panel_reports_a_failed_anonymise(panel, qgis_iface, release_inputs, tmp_path, wait_until):
    out = tmp_path / "release"
    out.mkdir()
    salt = out / "inside.salt"  # a salt inside the release folder is refused by the task
    salt.write_bytes(release_inputs["salt"].read_bytes())
    panel.set_crimes_source(release_inputs["crimes"])
    panel.set_points_file(str(release_inputs["points"]))
    panel.set_salt_path(str(salt))
    panel.set_output_dir(str(out))
    outcomes = _run(panel, wait_until)
    assert outcomes == [False]
    assert "inside the output folder" in panel.summary_view.toPlainText()
    criticals = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Critical)
    assert any("Anonymise failed" in m for m in criticals)
    assert sorted(p.name for p in out.iterdir()) == ["inside.salt"]


def test_panel_derives_map_points_from_police_uk_history(
    panel, release_inputs, tmp_path, wait_until
):
    panel.set_crimes_source(release_inputs["crimes"])
    panel.set_history_files([str(LEICS_OCT_ZIP)])
    panel.set_salt_path(str(release_inputs["salt"]))
    panel.set_output_dir(str(tmp_path / "release"))
    outcomes = _run(panel, wait_until)
    assert outcomes == [True], panel.summary_view.toPlainText()
    manifest = json.loads((tmp_path / "release" / "release_manifest.json").read_text())
    assert manifest["inputs"]["map_points"]["files"][0]["name"] == "2022-10.zip"
    assert manifest["inputs"]["map_points"]["sources"] == ["police.uk history"]


class _Lines(logging.Handler):
    """Every line the plugin's logger writes, as its handlers are given it."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record.getMessage())


def test_the_log_names_a_release_folder_on_one_line(
    panel, qgis_new_project, release_inputs, tmp_path, wait_until
):
    """A release folder named ``out\\nLeak gate: passed`` put "Leak gate: passed" on a line
    of its own in the plugin's log ("Anonymise started -> ...") and in the summary ("Public
    CSV: ..."), where it read as the gate's verdict; each names the folder on its line."""
    from crime_mapper.logger import get_logger

    out = tmp_path / "out\nLeak gate: passed"
    shown = f"{tmp_path}/out\\nLeak gate: passed"
    panel.set_crimes_source(release_inputs["crimes"])
    panel.set_points_file(str(release_inputs["points"]))
    panel.set_salt_path(str(release_inputs["salt"]))
    panel.set_output_dir(str(out))
    lines = _Lines()
    get_logger().addHandler(lines)
    try:
        outcomes = _run(panel, wait_until)
    finally:
        get_logger().removeHandler(lines)
    assert outcomes == [True], panel.summary_view.toPlainText()
    assert lines.records[0] == f"Anonymise started -> {shown}"
    summary = lines.records[1].splitlines()
    assert summary.count("Leak gate: passed") == 1, summary  # (the gate's own line alone)
    assert f"Public CSV: {shown}/2022-10-leicestershire-street.csv" in summary, summary
    assert panel.summary_view.toPlainText().splitlines() == summary


def test_a_new_salt_is_named_on_one_line(panel, qgis_iface, tmp_path):
    """The message bar's "New salt written to PATH" printed a folder named ``secret\\nLeak
    gate: passed`` on two lines, the second read as the plugin's."""
    folder = tmp_path / "secret\nLeak gate: passed"
    folder.mkdir()
    assert panel.create_salt(str(folder / "new.salt")) is True
    infos = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Info)
    shown = f"{tmp_path}/secret\\nLeak gate: passed/new.salt"
    assert [m for m in infos if "New salt" in m] == [
        f"Crime mapper:New salt written to {shown} (readable only by you). Keep it secret, "
        "outside the release folder, and back it up: every Crime ID depends on it."
    ], infos
