"""The dock's guided monthly release, driven like a user with pytest-qt (issue 14, sections
1 and 5): open a configuration, see the checks, run the whole release in the background,
cancel one, change an input and see later steps go out of date, reopen the project and find
the release as it was. Real QGIS (pytest-qgis), real files, the bundled sample data."""

from __future__ import annotations

import json
import os

import pytest
from qgis.core import QgsProject
from qgis.PyQt.QtCore import QCoreApplication, QObject, Qt, QUrl, pyqtSlot
from qgis.PyQt.QtGui import QDesktopServices

from crime_mapper.core.monthly.config import read_config
from tests.support.monthly_config import MONTH, config_file, folder_files

RELEASE_TIMEOUT_MS = 300_000  # hang guard only; nothing asserts how long it took


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
    config_path = config_file(tmp_path)
    assert panel.open_config(config_path)
    # the configuration's QA, web map and summaries settings are in the form, unchanged
    assert panel.qa_check.isChecked() and panel.webmap_check.isChecked()
    assert panel.summaries_check.isChecked()
    assert panel.hood_code_edit.text() == "msoa11cd"
    assert panel.config().to_dict() == read_config(config_path).to_dict()

    panel.set_month("2022-13")
    assert "YYYY-MM" in panel.release_problems.text() and not panel.release_problems.isHidden()
    assert panel.problems_view.text().startswith("Not ready")
    assert not panel.run_button.isEnabled()
    assert not panel.step_buttons["load"].isEnabled()
    panel.set_month(MONTH)
    assert panel.problems() == []
    assert panel.problems_view.text() == "Ready: every input is there."
    assert panel.run_button.isEnabled()
    assert panel.step_buttons["load"].isEnabled()
    # a later step waits for the earlier ones, and says so
    assert not panel.step_buttons["anonymise"].isEnabled()
    assert "Run the earlier step first: 1. Load" in panel.step_buttons["anonymise"].toolTip()

    # each problem shows under its own step; the load can still run without a salt
    panel.salt_widget.setFilePath(str(tmp_path / "no-such.salt"))
    missing = f"Salt file not found: {tmp_path / 'no-such.salt'}"
    assert missing in panel.step_problems["anonymise"].text()
    assert not panel.step_problems["anonymise"].isHidden()
    assert panel.step_problems["load"].isHidden()
    assert "3. Anonymise" in panel.problems_view.text()
    assert not panel.run_button.isEnabled()
    assert panel.step_buttons["load"].isEnabled()
    assert not panel.run_release()  # refuses, says why, starts nothing
    assert panel.current_task() is None

    # the summaries need neighbourhood outlines: shown under Publish
    panel.hood_boundaries_widget.setFilePath("")
    assert "neighbourhood outlines" in panel.step_problems["publish"].text()
    panel.summaries_check.setChecked(False)
    assert panel.step_problems["publish"].isHidden()
    assert panel.config().publish.summaries is False


def test_run_the_whole_release_then_change_an_input_then_cancel(dock, qtbot, tmp_path):
    panel = dock.guided_panel
    config_path = config_file(tmp_path)
    assert panel.open_config(config_path)
    panel.set_month(MONTH)
    with qtbot.waitSignal(panel.releaseFinished, timeout=RELEASE_TIMEOUT_MS) as blocker:
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
        whole = panel.current_task()
    assert blocker.args == [True], panel.summary_view.toPlainText()
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
    # the layers were added when the release ended; "Add to map" does not add them twice
    layers = list(QgsProject.instance().mapLayers().values())
    assert [layer.isValid() for layer in layers] == [True] * len(layers) and len(layers) == 4
    assert len(panel.add_layers()) == 4 and len(QgsProject.instance().mapLayers()) == 4
    _legends_hold_exactly_the_present_categories(layers)
    # they were opened and styled in the task's thread and handed to this one, which only
    # added them to the project
    assert whole.prepare_layers and whole.layers_error == ""
    assert sorted(layer.id() for _place, layer in whole.layers) == sorted(x.id() for x in layers)
    main_thread = QCoreApplication.instance().thread()
    assert all(layer.thread() == main_thread for layer in layers)
    assert QgsProject.instance().crs().authid() == "EPSG:27700"
    assert QgsProject.instance().transformContext().coordinateOperations()

    # an earlier step's input changes: that step and the later ones are out of date
    panel.distance_spin.setValue(19_000)
    assert panel.state("load") == "done"
    assert {panel.state(s) for s in ("anonymise", "hotspots", "publish")} == {"out of date"}
    panel.distance_spin.setValue(20_000)

    # cancel a release while its child process anonymises: every earlier output stays
    # byte-identical, no staged file is left behind, the child process is gone
    before = folder_files(out)
    with qtbot.waitSignal(panel.releaseFinished, timeout=RELEASE_TIMEOUT_MS) as blocker:
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
        task = panel.current_task()
        assert panel.cancel_button.isEnabled() and not panel.groups["load"].isEnabled()
        qtbot.waitUntil(lambda: panel.state("anonymise") == "running", timeout=RELEASE_TIMEOUT_MS)
        assert panel.state("load") == "done"
        assert panel.progress_bar.format() == "3. Anonymise: %p%"
        # the child yields the processors to QGIS's user interface
        if hasattr(os, "getpriority") and os.getpriority(os.PRIO_PROCESS, 0) < 19:
            child = os.getpriority(os.PRIO_PROCESS, task.pid)
            assert child > os.getpriority(os.PRIO_PROCESS, 0)
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [False]
    assert panel.summary_view.toPlainText() == (
        "Cancelled: the step under way changed nothing; the load, check steps finished "
        "before it, and their new files are in place."
    )
    # the steps say what happened: done before the cancel, cancelled, not run because of it
    steps = ("load", "check", "anonymise", "hotspots", "publish")
    assert [panel.state(s) for s in steps] == ["done", "done", "cancelled"] + [
        "not run, cancelled"
    ] * 2
    assert [panel.state_labels[s].text() for s in ("anonymise", "publish")] == [
        "Cancelled",
        "Not run: the release was cancelled",
    ]
    assert not panel.step_buttons["hotspots"].isEnabled()  # its predecessor is not done
    assert panel.step_buttons["anonymise"].isEnabled()  # the cancelled step can run again
    assert task.returncode is not None  # the child process ended
    assert folder_files(out) == before
    assert not [p for p in out.rglob("*") if p.name.startswith(".crime_mapper-stage")]
    assert panel.run_button.isEnabled() and panel.groups["load"].isEnabled()


def _legends_hold_exactly_the_present_categories(layers) -> None:
    """The categories kept were counted by the release's reports (not read from the layer on
    the user interface's thread): they must be what the layer's data holds."""
    from qgis.core import QgsCategorizedSymbolRenderer, QgsVectorLayer

    from crime_mapper.qgis_bridge.layers import style_crimes_layer
    from crime_mapper.qgis_bridge.run_anonymise import style_public_layer

    checked = 0
    for layer in layers:
        renderer = layer.renderer() if isinstance(layer, QgsVectorLayer) else None
        if not isinstance(renderer, QgsCategorizedSymbolRenderer) or "otspots" in layer.name():
            continue
        fresh = QgsVectorLayer(layer.source(), "fresh", "ogr")
        (style_public_layer if "Public" in layer.name() else style_crimes_layer)(fresh)
        styled = {str(c.value()) for c in fresh.renderer().categories()}
        index = layer.fields().indexOf(renderer.classAttribute())
        present = {str(v) for v in layer.uniqueValues(index) if v is not None}
        kept = {str(c.value()) for c in renderer.categories()}
        assert kept - {""} == (styled & present) - {""}, layer.name()
        checked += 1
    assert checked == 2  # the public layer and the internal crimes


def test_a_failing_step_is_marked_with_the_reason(dock, qtbot, tmp_path):
    panel = dock.guided_panel
    # a configuration file is not a mapping profile: the load step fails, nothing after runs
    assert panel.open_config(config_file(tmp_path))
    panel.profile_widget.setFilePath(str(config_file(tmp_path)))
    panel.set_month(MONTH)
    _run(qtbot, panel, expect=False)
    assert panel.state("load") == "failed"
    assert panel.state("anonymise") == "not run, failed"
    assert panel.state_labels["publish"].text() == "Not run: an earlier step failed"
    assert "The load step failed" in panel.summary_view.toPlainText()
    assert "What to do:" in panel.summary_view.toPlainText()


def test_reopening_the_project_restores_the_release(dock, qtbot, tmp_path):
    panel = dock.guided_panel
    config_path = config_file(tmp_path)
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
    # and the results: every result button opens what the release wrote
    out = read_config(config_path).output_dir(MONTH)
    assert panel.open_audit_button.isEnabled()
    assert panel.result_path("publish", "web map") == out / "map" / "index.html"
    assert panel.result_buttons[("publish", "web map")].isEnabled()
    assert "Monthly release 2022-10" in panel.summary_view.toPlainText()
    # the outputs have their own project entry (written when a run ends, not with every
    # change of the form); a project saved when they were part of the state still opens
    state, _found = project.readEntry("crime_mapper", "release/state", "")
    assert json.loads(state)["states"]["anonymise"] == "done"  # as shown, saved again as is
    outputs, found = project.readEntry("crime_mapper", "release/outputs", "")
    assert found and json.loads(outputs)["month"] == MONTH and '"outputs"' not in state
    legacy = dict(json.loads(state), outputs=json.loads(outputs))
    project.writeEntry("crime_mapper", "release/state", json.dumps(legacy))
    project.removeEntry("crime_mapper", "release/outputs")
    panel.restore()
    assert panel.result_buttons[("publish", "web map")].isEnabled()
    assert project.readEntry("crime_mapper", "release/outputs", "")[0] == outputs


def test_reopening_the_project_keeps_the_load_facts_of_files_not_used(dock, tmp_path):
    """The saved results kept the load's steps and warnings but not its facts of the input
    files it could not use (LoadStep.file_errors, .damaged: what inputs_not_used, and so
    the release's exit 1, is made of), so a reopened project, and a step the dock then ran
    on its own from it, held a load that had used every file. Results saved before
    (version 2) still open, their load with none. A real project in a .qgz, read back."""
    from crime_mapper.core.monthly.outputs_json import outputs_to_dict
    from crime_mapper.core.monthly.release import LoadStep, MonthlyOutputs, StepRecord

    panel = dock.guided_panel
    assert panel.open_config(config_file(tmp_path))
    panel.set_month(MONTH)
    unused = ["notes.csv: not a crime extract"]
    swallowed = ["extract.csv: line 700: a quote never closed took 120 lines into one record"]
    out = tmp_path / "out" / MONTH
    outputs = MonthlyOutputs(
        MONTH,
        out,
        [StepRecord("load", "done", warnings=unused + swallowed)],
        out / "release_manifest.json",
        load=LoadStep([], None, {}, True, file_errors=unused, damaged=swallowed),
    )
    project = QgsProject.instance()
    saved = outputs_to_dict(outputs)
    before = {k: v for k, v in saved["load"].items() if k not in ("file_errors", "damaged")}
    older = {**saved, "version": 2, "load": before}  # (a project saved before)
    for data, found in ((saved, (unused, swallowed, True)), (older, ([], [], True))):
        # (as the dock keeps a run's results: core.monthly.outputs_json, in its own entry)
        project.writeEntry("crime_mapper", "release/outputs", json.dumps(data, sort_keys=True))
        project_path = tmp_path / "analyst.qgz"
        assert project.write(str(project_path))
        project.clear()
        assert project.read(str(project_path))
        again = panel._outputs
        assert again is not None
        assert panel.summary_view.toPlainText() == outputs.summary_text()
        assert again.inputs_not_used() == found, data["version"]


def test_save_and_reopen_a_configuration_and_recent_files(dock, tmp_path):
    panel = dock.guided_panel
    assert panel.open_config(config_file(tmp_path))
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
    config_path = config_file(tmp_path)
    assert panel.open_config(config_path)
    panel.set_month(MONTH)
    monkeypatch.setenv("CRIME_MAPPER_PYTHON", str(tmp_path / "no-python-here"))
    _run(qtbot, panel, expect=False)
    text = panel.summary_view.toPlainText()
    assert "separate Python" in text and "CRIME_MAPPER_PYTHON" in text, text
    assert not read_config(config_path).output_dir(MONTH).exists()


class _UrlCatcher(QObject):
    """Stands in for the desktop's browser and file manager: records what would open."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @pyqtSlot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url.toLocalFile())


@pytest.fixture
def opened():
    catcher = _UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "open")
    yield catcher.urls
    QDesktopServices.unsetUrlHandler("file")


def _run_step(qtbot, panel, step: str) -> None:
    assert panel.step_buttons[step].isEnabled(), panel.step_buttons[step].toolTip()
    with qtbot.waitSignal(panel.releaseFinished, timeout=RELEASE_TIMEOUT_MS) as blocker:
        qtbot.mouseClick(panel.step_buttons[step], Qt.MouseButton.LeftButton)
    assert blocker.args == [True], panel.summary_view.toPlainText()
    assert panel.state(step) == "done"


def test_one_step_at_a_time_gives_the_release_run_in_one_go(dock, qtbot, tmp_path, opened):
    """Each step's own Run button, in order, with its results as it goes; the release ends
    with the same files (manifest included) as the release run in one go."""
    from crime_mapper.core.monthly.release import run_monthly_release
    from crime_mapper.qgis_bridge.monthly_release import QgisStepRunners

    panel = dock.guided_panel
    config_path = config_file(tmp_path)
    assert panel.open_config(config_path)
    panel.set_month(MONTH)
    out = read_config(config_path).output_dir(MONTH)

    _run_step(qtbot, panel, "load")
    assert [panel.state(s) for s in ("check", "anonymise", "publish")] == ["not run"] * 3
    assert panel.step_buttons["check"].isEnabled()
    assert not panel.step_buttons["anonymise"].isEnabled()
    assert panel.result_buttons[("load", "report")].isEnabled()
    assert not panel.result_buttons[("publish", "web map")].isEnabled()
    assert not (out / "manifest.json").exists()  # not a whole release yet
    qtbot.mouseClick(panel.result_buttons[("load", "report")], Qt.MouseButton.LeftButton)
    assert opened == [str(out / "internal" / "validation_report.txt")]

    for step in ("check", "anonymise", "hotspots", "publish"):
        _run_step(qtbot, panel, step)
    assert (out / "manifest.json").is_file()
    assert QgsProject.instance().mapLayers() == {}  # single steps add nothing by themselves
    for button, path in (
        (panel.result_buttons[("publish", "web map")], out / "map" / "index.html"),
        (panel.open_audit_button, out / "public" / "audit.html"),
        (panel.result_buttons[("check", "report")], None),
        (panel.open_folder_button, out),
    ):
        assert button.isEnabled()
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        if path is not None:
            assert opened[-1] == str(path)
    assert opened[-2].endswith(".html") and "/qa/" in opened[-2]

    # the same release in one go (in this process, as the command line runs it)
    other = tmp_path / "one-go"
    (other / "secret").mkdir(parents=True)
    (other / "secret" / "release.salt").write_bytes(
        (tmp_path / "secret" / "release.salt").read_bytes()
    )
    config = read_config(config_file(other))
    run_monthly_release(config, MONTH, runners=QgisStepRunners())
    first, second = folder_files(out), folder_files(config.output_dir(MONTH))
    assert sorted(first) == sorted(second)
    differ = [name for name in first if first[name] != second[name]]
    assert differ == ["manifest.json"], differ  # its configuration names another folder
    one, two = json.loads(first["manifest.json"]), json.loads(second["manifest.json"])
    one.pop("configuration"), two.pop("configuration")
    assert one == two

    # an input of an earlier step changes, that step runs again: the later ones are out of
    # date until they run again, and may run again at once
    panel.distance_spin.setValue(19_000)
    assert panel.state("load") == "done" and panel.state("anonymise") == "out of date"
    _run_step(qtbot, panel, "anonymise")
    assert [panel.state(s) for s in ("hotspots", "publish")] == ["out of date"] * 2
    assert panel.step_buttons["hotspots"].isEnabled()
    assert not panel.step_buttons["publish"].isEnabled()  # hotspots first


def test_a_failed_step_is_put_right_and_run_again_on_its_own(dock, qtbot, tmp_path):
    """The whole release stops at Publish (the outlines file is not one); once the input is
    put right, Publish alone runs from what the earlier steps wrote, and the release ends
    with its manifest."""
    panel = dock.guided_panel
    config_path = config_file(tmp_path)
    assert panel.open_config(config_path)
    outlines = panel.hood_boundaries_widget.filePath()
    panel.hood_boundaries_widget.setFilePath(str(config_path))  # a TOML file, not outlines
    panel.set_month(MONTH)
    _run(qtbot, panel, expect=False)
    steps = ("load", "check", "anonymise", "hotspots", "publish")
    assert [panel.state(s) for s in steps] == ["done"] * 4 + ["failed"]
    assert "The publish step failed" in panel.summary_view.toPlainText()
    out = read_config(config_path).output_dir(MONTH)
    assert not (out / "manifest.json").exists()
    assert panel.open_audit_button.isEnabled()  # the anonymise step's results are there

    panel.hood_boundaries_widget.setFilePath(outlines)
    assert panel.state("publish") == "out of date" and panel.state("hotspots") == "done"
    _run_step(qtbot, panel, "publish")
    assert (out / "manifest.json").is_file()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [s["step"] for s in manifest["steps"]] == list(steps)
    assert panel.result_buttons[("publish", "web map")].isEnabled()


def test_the_tab_warms_up_when_shown_not_when_qgis_starts(dock, qtbot):
    """The plugin builds the dock, hidden, while QGIS starts; the release's modules (pandas
    among them) and the PROJ look-ups are only warmed once the analyst sees the tab."""
    panel = dock.guided_panel
    assert not panel.isVisible()
    assert panel._warmed_up is False
    dock.show()
    dock.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(panel.isVisible)
    assert panel._warmed_up is True


def test_done_names_a_release_folder_on_one_line(dock, qtbot, qgis_iface, tmp_path):
    """The message bar's "Done: FOLDER" printed a release folder named ``out\\nLeak gate:
    passed`` on two lines, the second read as the plugin's own."""
    from qgis.core import Qgis

    panel = dock.guided_panel
    assert panel.open_config(config_file(tmp_path, out="out\nLeak gate: passed/{month}"))
    panel.set_month(MONTH)
    qgis_iface.messageBar().clear_messages()
    _run_step(qtbot, panel, "load")
    done = [
        m for m in qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Success) if "Done" in m
    ]
    assert done == [f"Crime mapper:Done: {tmp_path}/out\\nLeak gate: passed/{MONTH}"], done


def test_the_team_and_families_files_are_in_the_form_and_saved(dock, tmp_path):
    """publish.team and publish.families: shown, checked and saved by the form (a
    configuration's files the form did not show were kept, but could not be set here)."""
    panel = dock.guided_panel
    assert panel.open_config(config_file(tmp_path))
    assert panel.team_widget.filePath().endswith("leicester-city-teams.json")
    families = tmp_path / "families.csv"
    families.write_text("code,family\nE02006851,centre\n", encoding="utf-8")
    panel.families_widget.setFilePath(str(families))
    again = read_config(panel.save_config(tmp_path / "next-month.toml"))
    assert again.publish.families == str(families)
    assert again.publish.team.endswith("leicester-city-teams.json")
    panel.set_month(MONTH)
    panel.team_widget.setFilePath(str(tmp_path / "missing.json"))
    found = panel.problems_by_step()["publish"]
    assert any(p.startswith("Team information not found") for p in found), found
    assert not panel.run_button.isEnabled()


def test_the_atlas_checkbox_is_saved_reopened_and_refused_without_summaries(dock, tmp_path):
    """publish.atlas: the form's "Also a PDF atlas" is saved to the file and set again when
    the file is opened (a configuration's atlas could not be set or seen in the dock), and
    the atlas without the summaries it is made from is a problem the form shows."""
    panel = dock.guided_panel
    assert panel.open_config(config_file(tmp_path))
    assert not panel.atlas_check.isChecked()  # (the bundled release makes none)
    panel.atlas_check.setChecked(True)
    saved = panel.save_config(tmp_path / "next-month.toml")
    assert read_config(saved).publish.atlas is True
    panel.atlas_check.setChecked(False)
    assert panel.open_config(saved)
    assert panel.atlas_check.isChecked()
    panel.set_month(MONTH)
    panel.summaries_check.setChecked(False)
    found = panel.problems_by_step()["publish"]
    assert any("publish.atlas" in p and "publish.summaries" in p for p in found), found
    assert not panel.run_button.isEnabled()


def test_the_small_count_threshold_is_saved_reopened_and_refused_with_the_web_map(dock, tmp_path):
    """publish.suppress_below: the form's "Small-count threshold" (Off by default) is saved
    to the file and set again when the file is opened, and with the web map on it is a
    problem the form shows, every Run button off (the map's points show every count)."""
    panel = dock.guided_panel
    assert panel.open_config(config_file(tmp_path))
    assert panel.suppress_spin.value() == 0  # (the bundled release hides nothing)
    assert panel.suppress_spin.text() == "Off"
    panel.summaries_check.setChecked(True)
    panel.webmap_check.setChecked(False)
    panel.suppress_spin.setValue(10)
    saved = panel.save_config(tmp_path / "next-month.toml")
    assert read_config(saved).publish.suppress_below == 10
    panel.suppress_spin.setValue(0)
    assert panel.open_config(saved)
    assert panel.suppress_spin.value() == 10
    panel.set_month(MONTH)
    assert not any("suppress_below" in p for p in panel.problems_by_step()["publish"])
    panel.webmap_check.setChecked(True)
    found = panel.problems_by_step()["publish"]
    assert any("publish.suppress_below" in p and "publish.web_map" in p for p in found), found
    assert not panel.run_button.isEnabled()
