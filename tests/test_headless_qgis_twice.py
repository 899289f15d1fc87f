"""The command line's QGIS runs, twice in one Python process.

Why: ``crime_mapper.cli.main(["release", ...])`` started QGIS (QgsApplication, initQgis) and
stopped it (exitQgis) on every call. QGIS cannot be stopped and started again in one
process: exitQgis() leaves QgsAuthManager's singleton pointing at the manager it deleted, the
next initQgis() adopts that pointer and the next exitQgis() deletes it again, so the second
call died with a segmentation fault (issue found by a test calling main twice with a
configuration that fails its check). Where QGIS already ran (the desktop's Python console, a
test session) even the first call stopped the running QGIS's registries under it, and the
second crashed the same way. qgis_bridge.headless_app now starts QGIS at most once per
process and stops it once, at exit, and never stops a QGIS it did not start.

A crash would kill the pytest process, so each twice-in-one-process run is a child Python
(the real command line, real QGIS, the bundled sample data) whose exit code and output are
checked.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.monthly_config import MONTH, config_file
from tests.support.plain_cli import MONTH_ZIP
from tests.support.qgis_process import REPO, child_env

#: Runs ``main`` twice for each command line given in sys.argv[1] (JSON), printing each
#: exit code; with "--qgis-running" the process starts QGIS first, as the desktop has, and
#: checks afterwards that it still works and is still the one QGIS (its owner stops it).
TWICE = """
import json, sys
from crime_mapper import cli
running = "--qgis-running" in sys.argv
if running:
    from qgis.core import QgsApplication
    app = QgsApplication([], False)
    app.initQgis()
for argv in json.loads(sys.argv[1]):
    for _ in range(2):
        print("exit", argv[0], cli.main(argv), flush=True)
if running:
    from qgis.core import QgsApplication, QgsProviderRegistry, QgsVectorLayer
    assert QgsApplication.instance() is app
    assert "ogr" in QgsProviderRegistry.instance().providerList()
    layer = QgsVectorLayer(sys.argv[-1] + "|layername=crimes", "after", "ogr")
    print("layer after the runs:", layer.isValid(), layer.featureCount(), flush=True)
    del layer
    app.exitQgis()
print("end", flush=True)
"""


def _twice(commands: list[list[str]], *extra: str) -> subprocess.CompletedProcess:
    import json

    return subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", TWICE, json.dumps(commands), *extra],
        cwd=REPO,
        env=child_env([REPO], PROJ_DEBUG="0"),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _failing_release(tmp_path: Path) -> list[str]:
    """``release`` with a configuration whose check fails (an unknown placeholder)."""
    path = config_file(tmp_path, release__output="out/{mon}")
    return ["release", str(path), "--month", MONTH]


def _says_twice(run: subprocess.CompletedProcess, command: str, code: int) -> None:
    assert run.returncode == 0, f"exit {run.returncode}\n{run.stdout}\n{run.stderr[-3000:]}"
    assert "Fatal Python error" not in run.stderr, run.stderr[-3000:]
    assert run.stdout.count(f"exit {command} {code}\n") == 2, run.stdout + run.stderr[-3000:]
    assert run.stdout.endswith("end\n"), run.stdout


def test_a_failed_release_twice_in_a_plain_process(tmp_path: Path) -> None:
    run = _twice([_failing_release(tmp_path)])
    _says_twice(run, "release", 2)
    assert run.stderr.count("the only placeholder is {month}") == 2, run.stderr[-3000:]
    assert not (tmp_path / "out").exists()


def test_load_with_gpkg_twice_in_a_plain_process(tmp_path: Path) -> None:
    """``load --gpkg`` started and stopped QGIS per call the same way. (Its second stop
    crashed on most runs, not all: the load reuses the freed manager's memory, and the second
    delete then hits whatever lives there. The failed release above crashes every time.)"""
    out = tmp_path / "load"
    run = _twice([["load", str(MONTH_ZIP), "--out", str(out), "--gpkg"]])
    _says_twice(run, "load", 0)
    assert (out / "crimes.gpkg").is_file() and (out / "crimes.qml").is_file()


def test_twice_where_qgis_already_runs_leaves_it_running(tmp_path: Path) -> None:
    """As from the QGIS desktop's Python console: the runs use the running QGIS and leave it
    working (the GeoPackage just written still opens through its providers) for its owner
    to stop."""
    out = tmp_path / "load"
    load = ["load", str(MONTH_ZIP), "--out", str(out), "--gpkg"]
    run = _twice([_failing_release(tmp_path), load], "--qgis-running", f"{out}/crimes.gpkg")
    _says_twice(run, "release", 2)
    _says_twice(run, "load", 0)
    assert "layer after the runs: True 4836" in run.stdout, run.stdout + run.stderr[-3000:]
