"""The dock's guided monthly release, driven like a user with pytest-qt (issue 14, sections
1 and 5): open a configuration, see the checks, run the whole release in the background,
cancel one, change an input and see later steps go out of date, reopen the project and find
the release as it was. Real QGIS (pytest-qgis), real files, the bundled sample data."""

from __future__ import annotations

import json

import pytest
from qgis.core import QgsProject
from qgis.PyQt.QtCore import Qt

from crime_mapper.core.monthly.config import read_config
from tests.test_monthly_release import MONTH, _config_file, _files

RELEASE_TIMEOUT_MS = 300_000  # hang guard only; nothing asserts how long it took


@pytest.fixture
def dock(qgis_iface, qgis_new_project, qtbot):
    from crime_mapper.ui.dock import CrimeMapperDock

    widget = CrimeMapperDock(qgis_iface)
    qtbot.addWidget(widget)
    yield widget
    widget.shutdown()


def _run(qtbot, panel, expect: bool = True) -> None:
    with qtbot.waitSignal(panel.releaseFinished, timeout=RELEASE_TIMEOUT_MS) as blocker:
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [expect], panel.summary_view.toPlainText()


def test_the_guided_release_is_the_first_tab_and_checks_inputs_inline(dock, tmp_path):
    assert dock.tabs.widget(0) is dock.guided_panel
    panel = dock.guided_panel
    titles = [
        panel.groups[s].title() for s in ("load", "check", "anonymise", "hotspots", "publish")
    ]
    assert titles == ["1. Load", "2. Check", "3. Anonymise", "4. Hotspots (internal)", "5. Publish"]
    assert panel.open_config(_config_file(tmp_path))
    panel.set_month("2022-13")
    assert "YYYY-MM" in panel.problems_view.text()
    assert not panel.run_button.isEnabled()
    panel.set_month(MONTH)
    assert panel.problems() == []
    assert panel.problems_view.text() == "Ready: every input is there."
    assert panel.run_button.isEnabled()
    panel.salt_widget.setFilePath(str(tmp_path / "no-such.salt"))
    assert f"Salt file not found: {tmp_path / 'no-such.salt'}" in panel.problems_view.text()
    assert not panel.run_button.isEnabled()
    assert not panel.run_release()  # refuses, says why, starts nothing
    assert panel.current_task() is None


def test_run_the_whole_release_then_change_an_input_then_cancel(dock, qtbot, tmp_path):
    panel = dock.guided_panel
    config_path = _config_file(tmp_path)
    assert panel.open_config(config_path)
    panel.set_month(MONTH)
    _run(qtbot, panel)
    assert [panel.state(s) for s in ("load", "check", "anonymise", "hotspots", "publish")] == [
        "done"
    ] * 5
    assert [panel.state_labels[s].text() for s in ("load", "publish")] == ["Done", "Done"]
    out = read_config(config_path).output_dir(MONTH)
    assert str(out / "manifest.json") in panel.summary_view.toPlainText()
    # the child process ran the same QGIS as the dock (3.22 or 3.40 under test)
    from crime_mapper.qgis_bridge.run_anonymise import qgis_version

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["software"]["qgis"] == qgis_version()
    assert panel.open_audit_button.isEnabled() and panel.open_folder_button.isEnabled()
    layers = panel.add_layers()
    assert [layer.isValid() for layer in layers] == [True] * len(layers) and len(layers) == 4
    assert QgsProject.instance().crs().authid() == "EPSG:27700"
    assert QgsProject.instance().transformContext().coordinateOperations()

    # an earlier step's input changes: that step and the later ones are out of date
    panel.distance_spin.setValue(19_000)
    assert panel.state("load") == "done"
    assert {panel.state(s) for s in ("anonymise", "hotspots", "publish")} == {"out of date"}
    panel.distance_spin.setValue(20_000)

    # cancel a release while its child process anonymises: every earlier output stays
    # byte-identical, no staged file is left behind, the child process is gone
    before = _files(out)
    with qtbot.waitSignal(panel.releaseFinished, timeout=RELEASE_TIMEOUT_MS) as blocker:
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
        task = panel.current_task()
        assert panel.cancel_button.isEnabled() and not panel.groups["load"].isEnabled()
        qtbot.waitUntil(lambda: panel.state("anonymise") == "running", timeout=RELEASE_TIMEOUT_MS)
        assert panel.state("load") == "done"
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [False]
    assert panel.summary_view.toPlainText() == "Cancelled: earlier outputs are unchanged."
    assert task.returncode is not None  # the child process ended
    assert _files(out) == before
    assert not [p for p in out.rglob("*") if p.name.startswith(".crime_mapper-stage")]
    assert panel.run_button.isEnabled() and panel.groups["load"].isEnabled()


def test_a_failing_step_is_marked_with_the_reason(dock, qtbot, tmp_path):
    panel = dock.guided_panel
    # a configuration file is not a mapping profile: the load step fails, nothing after runs
    assert panel.open_config(_config_file(tmp_path))
    panel.profile_widget.setFilePath(str(_config_file(tmp_path)))
    panel.set_month(MONTH)
    _run(qtbot, panel, expect=False)
    assert panel.state("load") == "failed"
    assert panel.state("anonymise") == "not run"
    assert "The load step failed" in panel.summary_view.toPlainText()
    assert "What to do:" in panel.summary_view.toPlainText()


def test_reopening_the_project_restores_the_release(dock, qtbot, tmp_path):
    panel = dock.guided_panel
    config_path = _config_file(tmp_path)
    assert panel.open_config(config_path)
    panel.set_month(MONTH)
    _run(qtbot, panel)
    saved = panel.config().to_dict()
    project = QgsProject.instance()
    project_path = tmp_path / "analyst.qgz"
    assert project.write(str(project_path))
    project.clear()
    assert panel.month() == "" and panel.state("anonymise") == "not run"
    assert project.read(str(project_path))
    assert panel.month() == MONTH
    assert panel.config().to_dict() == saved
    assert panel.state("anonymise") == "done"


def test_save_and_reopen_a_configuration_and_recent_files(dock, tmp_path):
    panel = dock.guided_panel
    assert panel.open_config(_config_file(tmp_path))
    panel.hotspots_check.setChecked(False)
    saved = panel.save_config(tmp_path / "next-month.toml")
    again = read_config(saved)
    assert again.hotspots.enabled is False
    assert again.hotspots.gi_cell_m == 250.0  # settings the form does not show are kept
    assert panel.recent_combo.itemData(1) == str(saved)


def test_the_dock_fits_a_laptop_screen(dock):
    """1366x768 leaves about 600 px for a dock under QGIS's toolbars: every tab scrolls."""
    for index in range(dock.tabs.count()):
        page = dock.tabs.widget(index)
        assert page.minimumSizeHint().height() <= 600, dock.tabs.tabText(index)


def test_the_guided_tab_fits_a_narrow_dock(dock):
    """QGIS opens a right-hand dock about 280 px wide: the steps wrap rather than clip."""
    assert dock.guided_panel.widget().minimumSizeHint().width() <= 280


def test_the_translation_template_holds_the_dock_texts(repo_root):
    """tr() texts (and tr_noop tables) reach the template translators start from."""
    import importlib.util
    import xml.etree.ElementTree as ET

    spec = importlib.util.spec_from_file_location(
        "translation_template", repo_root / "tools" / "translation_template.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    root = ET.fromstring(module.template_text().split("\n", 2)[2])
    texts = {
        (ctx.findtext("name"), msg.findtext("source"))
        for ctx in root.iter("context")
        for msg in ctx.iter("message")
    }
    for text in ("Run the whole release", "1. Load", "Out of date: an earlier step changed"):
        assert ("GuidedReleasePanel", text) in texts
    assert ("MonthlyReleaseAlgorithm", "Monthly release (every step)") in texts
    committed = (repo_root / "crime_mapper" / "i18n" / "crime_mapper.ts").read_text("utf-8")
    assert "<source>Run the whole release</source>" in committed


def test_hotspots_tab_new_user_faults(dock, qtbot):
    """Issue 14 section 4: a long status no longer squashes the form (the tab scrolls), the
    maximum cells read with separators, the publish group has no ellipsis, and the empty
    "Crime points" entry says it means the last load."""
    from qgis.PyQt.QtCore import QCoreApplication

    panel = dock.hotspots_panel
    dock.resize(300, 700)
    dock.show()
    dock.tabs.setCurrentIndex(3)  # Monthly release, Load, Release, Hotspots
    panel.status_label.setText("Gi* hotspots, 250 m hexagons: " + "a long legend text " * 60)
    for _ in range(5):
        QCoreApplication.processEvents()
    for widget in (panel.source_combo, panel.max_cells_spin, panel.output_edit):
        assert widget.height() >= widget.minimumSizeHint().height()
    panel.max_cells_spin.setValue(1_000_000)
    assert panel.max_cells_spin.text() in ("1,000,000", "1 000 000", "1.000.000")
    from qgis.PyQt.QtWidgets import QGroupBox

    assert [b.title() for b in panel.findChildren(QGroupBox) if b.title().endswith("…")] == []
    panel.set_crimes_source("/tmp/x/crimes.gpkg")
    assert panel.source_label.text() == "Crimes of the last load: crimes.gpkg"


def test_without_a_python_to_run_it_the_release_says_what_to_set(
    dock, qtbot, tmp_path, monkeypatch
):
    """The release runs in a child Python; when none can be found the dock says which
    setting names one, and nothing is written."""
    panel = dock.guided_panel
    config_path = _config_file(tmp_path)
    assert panel.open_config(config_path)
    panel.set_month(MONTH)
    monkeypatch.setenv("CRIME_MAPPER_PYTHON", str(tmp_path / "no-python-here"))
    _run(qtbot, panel, expect=False)
    text = panel.summary_view.toPlainText()
    assert "separate Python" in text and "CRIME_MAPPER_PYTHON" in text, text
    assert not read_config(config_path).output_dir(MONTH).exists()
