"""The plugin shell against real QGIS: load/unload, the Processing provider, the dock, packaging.

Why these tests: a plugin that leaves a toolbar, a dock or a provider behind on unload breaks
every reload and upgrade in the analyst's QGIS; the dock must do its work in a QgsTask and
report back through the message bar and log; and the assembled folder must be what QGIS and
``qgis_process.bin`` actually load.
"""

from __future__ import annotations

import configparser
import importlib.util
import json
import os
import subprocess
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Callable

import pytest
from qgis.core import Qgis, QgsApplication, QgsProject, QgsVectorLayer
from qgis.PyQt.QtWidgets import QAction, QDockWidget, QToolBar

import crime_mapper
from crime_mapper.plugin import (
    ACTION_OBJECT_NAME,
    DOCK_OBJECT_NAME,
    TOOLBAR_OBJECT_NAME,
    CrimeMapperPlugin,
)
from crime_mapper.processing.provider import PROVIDER_ID
from crime_mapper.ui.dock import CrimeMapperDock

NORTHUMBRIA_STREET = Path("sample_data/police-uk/2022-07/2022-07-northumbria-street.csv")


def _footprint(iface, flush_events: Callable[[], None]) -> dict[str, int]:
    """Everything the plugin may add to QGIS, counted."""
    flush_events()
    main_window = iface.mainWindow()
    toolbars = main_window.findChildren(QToolBar)
    registry = QgsApplication.processingRegistry()
    return {
        "docks": len(main_window.findChildren(QDockWidget)),
        "toolbars": len(toolbars),
        "toolbar_actions": sum(len(toolbar.actions()) for toolbar in toolbars),
        "actions": len(main_window.findChildren(QAction)),
        "providers": len(registry.providers()),
        "crime_mapper_providers": sum(1 for p in registry.providers() if p.id() == PROVIDER_ID),
    }


@pytest.fixture
def plugin(qgis_iface, flush_events) -> CrimeMapperPlugin:
    """The plugin as QGIS creates it (classFactory + initGui); unloaded afterwards."""
    instance = crime_mapper.classFactory(qgis_iface)
    instance.initGui()
    yield instance
    instance.unload()
    flush_events()


def test_metadata_is_complete_and_single_sourced(repo_root: Path) -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(repo_root / "metadata.txt", encoding="utf-8")
    general = parser["general"]
    assert general["name"] == "Crime mapper"  # readable: the Plugin Manager shows it
    assert general["qgisMinimumVersion"] == "3.22"
    assert general["qgisMaximumVersion"] == "4.99"
    assert general["supportsQt6"] == "True"
    assert general["hasProcessingProvider"] == "yes"
    for key in ("description", "about", "version", "author", "category", "icon"):
        assert general[key].strip(), key
    assert crime_mapper.plugin_version() == general["version"]
    assert (repo_root / "crime_mapper" / general["icon"]).is_file()


def test_load_and_unload_twice_leaves_nothing_behind(qgis_iface, flush_events) -> None:
    baseline = _footprint(qgis_iface, flush_events)
    assert baseline["crime_mapper_providers"] == 0

    for _ in range(2):
        plugin = crime_mapper.classFactory(qgis_iface)
        assert isinstance(plugin, CrimeMapperPlugin)
        plugin.initGui()

        loaded = _footprint(qgis_iface, flush_events)
        assert loaded["docks"] == baseline["docks"] + 1
        assert loaded["toolbars"] == baseline["toolbars"] + 1
        assert loaded["toolbar_actions"] == baseline["toolbar_actions"] + 1
        assert loaded["providers"] == baseline["providers"] + 1
        assert loaded["crime_mapper_providers"] == 1
        main_window = qgis_iface.mainWindow()
        assert main_window.findChild(QDockWidget, DOCK_OBJECT_NAME) is plugin.dock
        toolbar = main_window.findChild(QToolBar, TOOLBAR_OBJECT_NAME)
        assert [a.objectName() for a in toolbar.actions()] == [ACTION_OBJECT_NAME]
        assert not plugin.action.icon().isNull()

        plugin.unload()
        assert _footprint(qgis_iface, flush_events) == baseline
        assert main_window.findChild(QDockWidget, DOCK_OBJECT_NAME) is None
        assert main_window.findChild(QToolBar, TOOLBAR_OBJECT_NAME) is None

        plugin.unload()  # a second unload must be harmless
        assert _footprint(qgis_iface, flush_events) == baseline


def test_init_processing_then_gui_registers_one_provider(qgis_iface, flush_events) -> None:
    baseline = _footprint(qgis_iface, flush_events)
    plugin = crime_mapper.classFactory(qgis_iface)
    plugin.initProcessing()  # what qgis_process calls
    plugin.initProcessing()
    plugin.initGui()  # what the desktop calls
    plugin.initGui()
    try:
        footprint = _footprint(qgis_iface, flush_events)
        assert footprint["crime_mapper_providers"] == 1
        assert footprint["docks"] == baseline["docks"] + 1
        assert footprint["toolbar_actions"] == baseline["toolbar_actions"] + 1
    finally:
        plugin.unload()
    assert _footprint(qgis_iface, flush_events) == baseline


def test_provider_offers_the_load_algorithm(plugin: CrimeMapperPlugin) -> None:
    registry = QgsApplication.processingRegistry()
    provider = registry.providerById(PROVIDER_ID)
    assert provider is not None
    assert provider.name() == "Crime mapper"
    assert provider.versionInfo() == crime_mapper.plugin_version()
    assert "crime_mapper:load_extracts" in [alg.id() for alg in provider.algorithms()]
    assert registry.algorithmById("crime_mapper:load_extracts") is not None


def test_action_toggles_the_dock(plugin: CrimeMapperPlugin, qgis_iface, flush_events) -> None:
    main_window = qgis_iface.mainWindow()
    was_visible = main_window.isVisible()
    main_window.show()  # offscreen: real visibility without a display
    try:
        assert plugin.dock.isHidden()
        plugin.action.trigger()
        flush_events()
        assert plugin.dock.isVisible()
        assert plugin.action.isChecked()
        plugin.action.trigger()
        flush_events()
        assert plugin.dock.isHidden()
        assert not plugin.action.isChecked()
        # Closing the dock itself un-checks the toolbar button.
        plugin.action.trigger()
        flush_events()
        plugin.dock.close()
        flush_events()
        assert not plugin.action.isChecked()
    finally:
        if not was_visible:
            main_window.hide()


def test_dock_refuses_to_start_without_inputs(plugin: CrimeMapperPlugin, qgis_iface) -> None:
    qgis_iface.messageBar().clear_messages()
    dock = plugin.dock
    assert isinstance(dock, CrimeMapperDock)
    assert dock.start_load() is False
    assert dock.current_task() is None
    warnings = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Warning)
    assert any("Add at least one" in m for m in warnings)


def test_dock_loads_real_extract_in_a_task(
    plugin: CrimeMapperPlugin,
    qgis_iface,
    qgis_new_project,
    repo_root: Path,
    tmp_path: Path,
    wait_until,
) -> None:
    dock = plugin.dock
    qgis_iface.messageBar().clear_messages()
    source = repo_root / NORTHUMBRIA_STREET
    dock.add_inputs([str(source), str(source)])  # the same input twice is listed once
    assert dock.input_paths() == [os.path.normpath(str(source))]
    dock.set_output_dir(str(tmp_path / "out"))
    outcomes: list[bool] = []
    dock.loadFinished.connect(outcomes.append)

    assert dock.start_load() is True
    task = dock.current_task()
    assert task is not None
    assert not dock.load_button.isEnabled() and dock.cancel_button.isEnabled()
    wait_until(lambda: bool(outcomes), "the dock's load to finish")

    assert outcomes == [True], task.report_text
    assert dock.current_task() is None
    assert dock.load_button.isEnabled() and not dock.cancel_button.isEnabled()
    assert task.error is None
    assert task.report_text.strip()
    assert dock.report_view.toPlainText() == task.report_text
    assert dock.progress_bar.value() == 100
    successes = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Success)
    assert any("Load finished" in m for m in successes)

    layers = [
        layer
        for layer in QgsProject.instance().mapLayers().values()
        if isinstance(layer, QgsVectorLayer) and layer.isSpatial()
    ]
    assert layers, "the crimes layer was not added"
    assert all(layer.isValid() for layer in layers)
    assert sum(layer.featureCount() for layer in layers) > 0


def test_dock_reports_a_failed_load(
    plugin: CrimeMapperPlugin,
    qgis_iface,
    qgis_new_project,
    repo_root: Path,
    tmp_path: Path,
    wait_until,
) -> None:
    dock = plugin.dock
    qgis_iface.messageBar().clear_messages()
    not_a_folder = tmp_path / "occupied"
    not_a_folder.write_text("a file where the output folder should be\n", encoding="utf-8")
    dock.add_inputs([str(repo_root / NORTHUMBRIA_STREET)])
    dock.set_output_dir(str(not_a_folder))
    outcomes: list[bool] = []
    dock.loadFinished.connect(outcomes.append)

    assert dock.start_load() is True
    task = dock.current_task()
    wait_until(lambda: bool(outcomes), "the dock's load to fail")

    assert outcomes == [False]
    assert task.error is not None and task.error != "Cancelled"
    assert dock.report_view.toPlainText() == task.report_text
    criticals = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Critical)
    assert any("Load failed" in m for m in criticals)
    assert QgsProject.instance().count() == 0


def _build_tool(repo_root: Path) -> ModuleType:
    """tools/build_plugin.py, the script `make plugin` and `make package` run."""
    spec = importlib.util.spec_from_file_location(
        "crime_mapper_build_plugin", repo_root / "tools" / "build_plugin.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _build_plugin(repo_root: Path, out: Path) -> Path:
    return _build_tool(repo_root).assemble(out, repo_root)


def test_assembled_plugin_folder_and_zip(repo_root: Path, tmp_path: Path) -> None:
    plugin_dir = _build_plugin(repo_root, tmp_path / "build")
    assert plugin_dir.name == "crime_mapper"
    assert (plugin_dir / "metadata.txt").read_bytes() == (repo_root / "metadata.txt").read_bytes()
    assert (plugin_dir / "resources" / "icons" / "crime_mapper.svg").is_file()
    shipped = [p.relative_to(plugin_dir).as_posix() for p in plugin_dir.rglob("*")]
    assert not [p for p in shipped if "__pycache__" in p or p.endswith(".pyc")]
    assert not [p for p in shipped if p.split("/")[0] == "tests"]

    build_plugin = _build_tool(repo_root)
    first = build_plugin.write_zip(plugin_dir, tmp_path / "a.zip").read_bytes()
    plugin_dir = _build_plugin(repo_root, tmp_path / "build")  # rebuild: same bytes
    second = build_plugin.write_zip(plugin_dir, tmp_path / "b.zip").read_bytes()
    assert first == second
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        names = zf.namelist()
    assert all(name.startswith("crime_mapper/") for name in names)
    assert "crime_mapper/metadata.txt" in names
    assert "crime_mapper/__init__.py" in names


def test_qgis_process_finds_the_algorithm(repo_root: Path, tmp_path: Path) -> None:
    """QGIS_PLUGINPATH=<build> is all qgis_process needs, once the plugin is enabled."""
    _build_plugin(repo_root, tmp_path / "build")
    # QGIS 3.22's qgis_process loads only enabled plugins, as the desktop does.
    profile = tmp_path / "config" / "profiles" / "default" / "QGIS"
    profile.mkdir(parents=True)
    (profile / "QGIS3.ini").write_text("[PythonPlugins]\ncrime_mapper=true\n", encoding="utf-8")
    env = dict(os.environ)
    env["QGIS_PLUGINPATH"] = str(tmp_path / "build")
    env["QGIS_CUSTOM_CONFIG_PATH"] = str(tmp_path / "config")
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    result = subprocess.run(
        ["qgis_process.bin", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "crime_mapper:load_extracts" in result.stdout, result.stdout + result.stderr


_DESKTOP_CHECK = """
import json
import traceback
import qgis.utils as u
from qgis.core import QgsApplication
from qgis.PyQt.QtCore import QCoreApplication, QEvent, QTimer
from qgis.PyQt.QtWidgets import QAction, QDockWidget, QMenu, QToolBar

def footprint():
    QCoreApplication.processEvents()
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    mw = u.iface.mainWindow()
    registry = QgsApplication.processingRegistry()
    return {
        "docks": len(mw.findChildren(QDockWidget)),
        "toolbars": len(mw.findChildren(QToolBar)),
        "actions": len(mw.findChildren(QAction)),
        "menus": len(mw.findChildren(QMenu)),
        "providers": len(registry.providers()),
        "dock": mw.findChild(QDockWidget, "crime_mapper_dock") is not None,
        "algorithm": registry.algorithmById("crime_mapper:load_extracts") is not None,
    }

out = {}
try:
    out["active_at_start"] = "crime_mapper" in u.active_plugins
    out["loaded"] = footprint()
    for i in range(2):
        out["unload%d" % i] = u.unloadPlugin("crime_mapper")
        out["unloaded%d" % i] = footprint()
        out["start%d" % i] = u.loadPlugin("crime_mapper") and u.startPlugin("crime_mapper")
        out["reloaded%d" % i] = footprint()
    out["final_unload"] = u.unloadPlugin("crime_mapper")
    out["unloaded_final"] = footprint()
except Exception:
    out["error"] = traceback.format_exc()
finally:
    with open(RESULT, "w") as f:
        json.dump(out, f)
    QTimer.singleShot(0, QgsApplication.instance().quit)
"""


def test_qgis_desktop_reload_twice_leaves_nothing_behind(repo_root: Path, tmp_path: Path) -> None:
    """The real QGIS desktop (QgisApp under Xvfb), driven the way the Plugin Manager does it.

    The pytest-qgis interface stub does not build menus or dock areas; the real QgisApp does,
    and it is where leaks show (QGIS 3.22 never deletes an emptied plugin submenu).
    """
    _build_plugin(repo_root, tmp_path / "build")
    profile = tmp_path / "config" / "profiles" / "default" / "QGIS"
    profile.mkdir(parents=True)
    (profile / "QGIS3.ini").write_text(
        "[PythonPlugins]\ncrime_mapper=true\n[qgis]\ncheckVersion=false\n", encoding="utf-8"
    )
    result_path = tmp_path / "result.json"
    script = tmp_path / "check.py"
    script.write_text(f"RESULT = {str(result_path)!r}\n" + _DESKTOP_CHECK, encoding="utf-8")
    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)  # a real X server (Xvfb): QgisApp needs a clipboard
    env["QGIS_PLUGINPATH"] = str(tmp_path / "build")
    env["QGIS_CUSTOM_CONFIG_PATH"] = str(tmp_path / "config")
    run = subprocess.run(
        ["xvfb-run", "-a", "qgis", "--nologo", "--noversioncheck", "--code", str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result_path.is_file(), run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(result_path.read_text(encoding="utf-8"))
    assert "error" not in result, result.get("error")
    assert result["active_at_start"]
    loaded = result["loaded"]
    assert loaded["dock"] and loaded["algorithm"]
    unloaded = result["unloaded0"]
    assert not unloaded["dock"] and not unloaded["algorithm"]
    assert loaded["docks"] == unloaded["docks"] + 1
    assert loaded["toolbars"] == unloaded["toolbars"] + 1
    assert loaded["providers"] == unloaded["providers"] + 1
    for i in range(2):
        assert result[f"unload{i}"] is True and result[f"start{i}"] is True
        assert result[f"reloaded{i}"] == loaded
        assert result[f"unloaded{i}"] == unloaded
    assert result["final_unload"] is True
    assert result["unloaded_final"] == unloaded


def test_plugin_start_up_does_not_import_the_data_stack():
    """QGIS starts every enabled plugin at launch: pandas and the loader load on first use."""
    import sys

    code = (
        "import sys\n"
        "from qgis.core import QgsApplication\n"
        "app = QgsApplication([], False); app.initQgis()\n"
        "import crime_mapper.plugin, crime_mapper.ui.dock\n"
        "from crime_mapper.processing.provider import CrimeMapperProvider\n"
        "provider = CrimeMapperProvider(); provider.loadAlgorithms()\n"
        "assert provider.algorithms(), 'no algorithms listed'\n"
        "print(sorted(m for m in ('pandas', 'pyproj', 'crime_mapper.core.load.loader') "
        "if m in sys.modules))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=str(Path(__file__).resolve().parent.parent),
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "[]"
