"""The QA tab against real QGIS: it refuses to start without its inputs, runs the release QA
through its QgsTask (a load's crimes GeoPackage against the bundled history), shows the
findings most severe first with their explanations, writes the "when" page, and sits in the
dock as a tab that a load fills in."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from qgis.core import Qgis

from crime_mapper.qgis_bridge.run_load import run_load
from crime_mapper.ui.qa_panel import QaPanel
from tests.support import qa_faults as faults


@pytest.fixture
def panel(qgis_iface) -> QaPanel:
    qgis_iface.messageBar().clear_messages()
    widget = QaPanel(qgis_iface)
    yield widget
    widget.shutdown()
    widget.deleteLater()


def _wait(signal, start, wait_until) -> bool:
    outcomes: list[bool] = []
    signal.connect(outcomes.append)
    assert start() is True
    wait_until(lambda: bool(outcomes), "the QA tab's task to finish")
    return outcomes[0]


def test_refuses_to_start_without_inputs(panel, qgis_iface, tmp_path):
    assert panel.start_qa() is False
    panel.set_current_files([str(faults.BUNDLED_MONTH)])
    assert panel.start_qa() is False  # no history
    panel.set_history_files([str(faults.BUNDLED_HISTORY)])
    assert panel.start_qa() is False  # no folder
    warnings = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Warning)
    assert any("history" in m for m in warnings) and any("folder" in m for m in warnings)
    assert panel.current_task() is None


def test_a_crimes_file_named_with_a_bar_is_that_file(panel, qgis_iface, tmp_path):
    """``a|b.csv`` is that file (core.common.layer_source's rule): the tab looked for the
    file before the ``|`` and asked for this month's extracts; now it asks for the history."""
    import shutil

    crimes = tmp_path / "a|b.csv"
    shutil.copy(faults.BUNDLED_RAW, crimes)
    panel.set_current_files([str(crimes)])
    assert panel.start_qa() is False  # no history
    warnings = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Warning)
    assert any("history" in m for m in warnings), warnings
    assert not any("this month's extracts" in m for m in warnings), warnings


def test_runs_the_qa_on_a_load_and_shows_findings(panel, qgis_iface, tmp_path, wait_until):
    broken = faults.drop_week(pd.read_csv(faults.BUNDLED_RAW, dtype=str, keep_default_na=False))
    raw = tmp_path / "2022-10-force-extract.csv"
    broken.to_csv(raw, index=False)
    from crime_mapper.core.load.mapping_profile import MappingProfile

    load = run_load([raw], tmp_path / "load", profile=MappingProfile.load(faults.BUNDLED_PROFILE))
    panel.set_crimes_source(str(load.gpkg))
    panel.set_history_files([str(faults.BUNDLED_HISTORY)])
    panel.set_output_dir(str(tmp_path / "qa"))
    assert _wait(panel.qaFinished, panel.start_qa, wait_until) is True
    table = panel.findings_table
    assert table.rowCount() == len(panel.report.findings) >= 1
    assert table.item(0, 0).text() == "High"
    assert "8–14 October" in table.item(0, 1).text()
    assert "typical day" in panel.explanation_view.toPlainText()
    assert "high-severity" in panel.verdict_label.text()
    report = json.loads(open(panel.report_json_path(), encoding="utf-8").read())
    assert report["counts"]["high"] == panel.report.counts()["high"]
    assert panel.report_button.isEnabled() and panel.run_button.isEnabled()
    warnings = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Warning)
    assert any("Release QA 2022-10" in m for m in warnings)

    # the when views of the same load
    panel.when_combo.setCurrentIndex(0)
    done = _wait(panel.whenFinished, lambda: panel.start_when_views(open_page=False), wait_until)
    assert done is True
    page = (tmp_path / "qa" / "when.html").read_text(encoding="utf-8")
    assert "Hour of day by day of week" in page and "Do not publish" in page


def test_a_failed_run_says_why(panel, tmp_path, wait_until):
    bad = tmp_path / "history.json"
    bad.write_text("{}", encoding="utf-8")
    panel.set_current_files([str(faults.BUNDLED_MONTH)])
    panel.set_history_files([str(bad)])
    panel.set_output_dir(str(tmp_path / "qa"))
    assert _wait(panel.qaFinished, panel.start_qa, wait_until) is False
    assert "not a QA history file" in panel.verdict_label.text()
    assert panel.report_json_path() is None


def test_a_history_month_left_out_is_a_warning(panel, qgis_iface, tmp_path, wait_until):
    """A later month given as history was left out of the baseline in silence. The file it
    came from is named on one line in the bar (a folder named with a line break and "Leak
    gate: passed" put a line of its own there), and exactly in the report."""
    history = json.loads(faults.BUNDLED_HISTORY.read_text(encoding="utf-8"))
    folder = tmp_path / "out\nLeak gate: passed"
    folder.mkdir()
    later = folder / "later.json"
    later.write_text(json.dumps([{**history[0], "month": "2022-11"}]), encoding="utf-8")
    panel.set_current_files([str(faults.BUNDLED_MONTH)])
    panel.set_history_files([str(faults.BUNDLED_HISTORY), str(later)])
    panel.set_output_dir(str(tmp_path / "qa"))
    assert _wait(panel.qaFinished, panel.start_qa, wait_until) is True
    why = "not before the release month 2022-10, left out"
    assert panel.report.history_left_out == [f"2022-11 from {later}: {why}"]
    shown = f"2022-11 from {tmp_path}/out\\nLeak gate: passed/later.json: {why}"
    warnings = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Warning)
    assert any(f"History months left out: {shown}" in m for m in warnings), warnings
    assert not any("\n" in m for m in warnings), warnings


def test_dock_has_the_qa_tab(qgis_iface):
    from crime_mapper.ui.dock import CrimeMapperDock

    dock = CrimeMapperDock(qgis_iface)
    try:
        labels = [dock.tabs.tabText(i) for i in range(dock.tabs.count())]
        assert "QA" in labels
        page = dock.tabs.widget(labels.index("QA"))
        assert dock.qa_panel in (page, getattr(page, "widget", lambda: None)())
        # a finished QA hands its report to the Release tab, whose release records it
        dock.qa_panel._report_json = "/reports/qa_report.json"
        dock.qa_panel.qaFinished.emit(True)
        assert dock.release_panel.qa_report_path == "/reports/qa_report.json"
    finally:
        dock.shutdown()
        dock.deleteLater()


def test_when_views_name_their_folder_on_one_line(panel, qgis_iface, tmp_path, wait_until):
    """The message bar's "When views written: PATH" printed a folder named ``out\\nLeak
    gate: passed`` on two lines, the second read as the plugin's."""
    from crime_mapper.core.load.mapping_profile import MappingProfile

    load = run_load(
        [faults.BUNDLED_RAW], tmp_path / "load", profile=MappingProfile.load(faults.BUNDLED_PROFILE)
    )
    panel.set_crimes_source(str(load.gpkg))
    panel.set_output_dir(str(tmp_path / "out\nLeak gate: passed"))
    panel.when_combo.setCurrentIndex(0)
    done = _wait(panel.whenFinished, lambda: panel.start_when_views(open_page=False), wait_until)
    assert done is True
    shown = f"{tmp_path}/out\\nLeak gate: passed/when.html"
    infos = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Info)
    assert [m for m in infos if "When views" in m] == [f"Crime mapper:When views written: {shown}"]
    assert (tmp_path / "out\nLeak gate: passed" / "when.html").is_file()
