"""Screenshots of the dock docked in the real QGIS main window, at each step of a release,
at 1366x768 and 1920x1080 (issue 14, section 5): artefacts for people to look at.

The real QGIS desktop (QgisApp under Xvfb, as the plugin reload test) loads the plugin from
QGIS_PLUGINPATH, opens the bundled release configuration in the guided tab, runs the whole
release (run in its child process; the layers are added when it ends); the main window is
grabbed before, while running, after (with the steps' result buttons), and with the layers.
The PNGs go to artefacts/screenshots/qgis-<version>/ (CRIME_MAPPER_ARTEFACTS overrides; CI
keeps the folder). The test also checks what the pictures must show: the dock is docked and
visible, the guided tab is current, and every step reads Done after the run.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.support.monthly_config import MONTH, config_file
from tests.support.qgis_process import REPO, child_env, plugin_folder

ARTEFACTS = Path(os.environ.get("CRIME_MAPPER_ARTEFACTS", REPO / "artefacts"))

_SCRIPT = r"""
import json, time, traceback
from pathlib import Path
import qgis.utils as u
from qgis.core import Qgis, QgsApplication, QgsProject
from qgis.PyQt.QtCore import QCoreApplication, QTimer
from qgis.PyQt.QtWidgets import QDockWidget

out = {"shots": [], "dialogs": [], "messages": [], "sizes": []}


def note_messages(when):
    # every message-bar text, with the step it showed at (QGIS's transform warning included)
    for item in u.iface.messageBar().items():
        text = item.title() + ": " + item.text()
        if [when, text] not in out["messages"]:
            out["messages"].append([when, text])


def close_modal_dialogs():
    # a modal dialog (e.g. Select Transformation) would block the script for ever: note its
    # title and text, close it, and let the test fail naming it
    from qgis.PyQt.QtWidgets import QApplication, QLabel

    widget = QApplication.activeModalWidget()
    if widget is not None:
        texts = [label.text() for label in widget.findChildren(QLabel) if label.text()]
        out["dialogs"].append({"title": widget.windowTitle(), "text": texts[:5]})
        widget.close()


watchdog = QTimer()
watchdog.timeout.connect(close_modal_dialogs)
watchdog.start(2000)

def pump(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QCoreApplication.processEvents()
        time.sleep(0.02)

def shot(name):
    pump(0.5)
    folder = Path(SHOTS) / ("qgis-" + Qgis.version().split("-")[0])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    u.iface.mainWindow().grab().save(str(path))
    out["shots"].append(str(path))
    note_messages(name)

try:
    out["qgis"] = Qgis.version()
    mw = u.iface.mainWindow()
    plugin = u.plugins["crime_mapper"]
    dock = mw.findChild(QDockWidget, "crime_mapper_dock")
    plugin.action.setChecked(True)
    panel = dock.guided_panel
    dock.tabs.setCurrentWidget(panel)
    for width, height in SIZES:
        mw.showNormal()
        mw.setMinimumSize(0, 0)
        mw.setGeometry(0, 0, width, height)
        mw.resize(width, height)
        dock.setUserVisible(True)
        pump(1.0)
        size = f"{width}x{height}"
        out["sizes"].append([size, mw.width(), mw.height()])
        shot(f"{size}-1-empty")
        panel.open_config(CONFIG)
        panel.set_month(MONTH)
        shot(f"{size}-2-configured")
        done = []
        panel.releaseFinished.connect(done.append)
        panel.run_release()
        pump(1.0)
        shot(f"{size}-3-running")
        deadline = time.monotonic() + 300
        while not done and time.monotonic() < deadline:
            pump(0.2)
        out[f"{size}-ok"] = done == [True]
        out[f"{size}-states"] = [panel.state_labels[s].text() for s in
                                 ("load", "check", "anonymise", "hotspots", "publish")]
        shot(f"{size}-4-released")
        out[f"{size}-results"] = [b.isEnabled() for b in panel.result_buttons.values()]
        panel.ensureWidgetVisible(panel.groups["publish"])
        shot(f"{size}-4b-results")
        panel.add_layers()  # added when the release ended: nothing is added twice
        out[f"{size}-layers"] = len(QgsProject.instance().mapLayers())
        u.iface.mapCanvas().setExtent(QgsProject.instance().viewSettings().defaultViewExtent())
        u.iface.mapCanvas().refreshAllLayers()
        pump(3.0)
        shot(f"{size}-5-layers")
        out[f"{size}-dock-visible"] = dock.isVisible() and not dock.isFloating()
        out[f"{size}-dock-area"] = int(mw.dockWidgetArea(dock))
        out[f"{size}-dock-height"] = dock.height()
        QgsProject.instance().clear()
        pump(0.5)
        # QGIS's own warning for the new project (its transform context is the user's
        # default, naming no UK operation, while the canvas is still in British National
        # Grid): noted, then cleared so that it does not appear in the next size's pictures
        note_messages(f"{size}-after-new-project")
        u.iface.messageBar().clearWidgets()
except Exception:
    out["error"] = traceback.format_exc()
finally:
    Path(RESULT).write_text(json.dumps(out))
    QTimer.singleShot(0, QgsApplication.instance().quit)
"""


def test_screenshots_of_the_dock_in_the_qgis_window(tmp_path):
    config = config_file(tmp_path)
    shots = ARTEFACTS / "screenshots"
    profile = tmp_path / "config" / "profiles" / "default" / "QGIS"
    profile.mkdir(parents=True)
    (profile / "QGIS3.ini").write_text(
        "[PythonPlugins]\ncrime_mapper=true\n[qgis]\ncheckVersion=false\nshowTips=false\n",
        encoding="utf-8",
    )
    result = tmp_path / "result.json"
    script = tmp_path / "shots.py"
    script.write_text(
        f"RESULT = {str(result)!r}\nSHOTS = {str(shots)!r}\nCONFIG = {str(config)!r}\n"
        f"MONTH = {MONTH!r}\nSIZES = [(1366, 768), (1920, 1080)]\n" + _SCRIPT,
        encoding="utf-8",
    )
    env = child_env(
        drop_checkout=True,
        QGIS_PLUGINPATH=str(plugin_folder(tmp_path)),
        QGIS_CUSTOM_CONFIG_PATH=str(tmp_path / "config"),
    )
    env.pop("QT_QPA_PLATFORM", None)  # a real X server (Xvfb)
    run = subprocess.run(
        [
            "xvfb-run",
            "-a",
            "-s",
            # 96 dpi: at Xvfb's default 100 dpi QGIS 3.40 (Qt high-DPI scaling) draws at
            # 1.04 device pixels per pixel, so a 1920x1080 window grabbed as 1999x1124
            "-screen 0 1920x1080x24 -dpi 96",
            "qgis",
            "--nologo",
            "--noversioncheck",
            "--code",
            str(script),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.is_file(), run.stdout[-3000:] + run.stderr[-3000:]
    out = json.loads(result.read_text(encoding="utf-8"))
    assert "error" not in out, out.get("error")
    assert out["dialogs"] == [], out["dialogs"]  # nobody is ever asked anything
    for size in ("1366x768", "1920x1080"):
        assert out[f"{size}-ok"], out
        assert out[f"{size}-states"] == ["Done"] * 5
        assert out[f"{size}-dock-visible"]
        assert all(out[f"{size}-results"]), out[f"{size}-results"]  # every result is there
        assert out[f"{size}-layers"] == 4
    assert len(out["shots"]) == 12
    assert out["sizes"] == [["1366x768", 1366, 768], ["1920x1080", 1920, 1080]]
    # the release and its layers never make QGIS warn about the UK datum transformation
    # (qgis_bridge.transform_context); QGIS's warning after a new project is its own
    warned = [m for m in out["messages"] if "preferred transform" in m[1]]
    assert not [m for m in warned if "after-new-project" not in m[0]], out["messages"]
    assert out["1366x768-dock-height"] < 768
    for path in out["shots"]:
        assert Path(path).stat().st_size > 10_000, path
        size = Path(path).name.split("-")[0]
        assert _png_size(Path(path)) == tuple(int(n) for n in size.split("x")), path


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header (IHDR)."""
    header = path.read_bytes()[:24]
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")
