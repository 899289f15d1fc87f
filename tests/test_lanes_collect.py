"""The two lanes of `make test` (tools/test_both.sh) on real test files: together they run
every test, and only the tests that reach QGIS run on both; and each lane keeps its QGIS
settings apart from the other's.

Each selection is pytest's own, collected in a child process with the markers the lanes
pass: ``-m "not lane340"`` (the 3.22 lane) and ``-m "qgis or lane340"`` (the 3.40 lane).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.lanes import REPO, runs_on_340

#: An unmarked file of each lane, and a file whose tests reach QGIS (its tests run on both)
ON_340 = "tests/test_getis_ord.py"
ON_322 = "tests/test_month_counts.py"
ON_BOTH = "tests/test_cli.py"
FILES = (ON_340, ON_322, ON_BOTH)


def _collected(*marks: str) -> set[str]:
    """The test ids pytest collects from FILES with ``marks`` (one -m expression or none)."""
    argv = [sys.executable, "-m", "pytest", "--collect-only", "-q", *FILES]
    argv += ["-m", marks[0]] if marks else []
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return {line for line in done.stdout.splitlines() if "::" in line}


@pytest.fixture(scope="module")
def selections() -> dict[str, set[str]]:
    return {
        "all": _collected(),
        "qgis": _collected("qgis"),
        "322": _collected("not lane340"),
        "340": _collected("qgis or lane340"),
    }


def test_the_files_go_as_this_module_says() -> None:
    assert runs_on_340(ON_340) and not runs_on_340(ON_322)


def test_together_the_lanes_run_every_test(selections: dict[str, set[str]]) -> None:
    assert selections["all"]
    assert selections["322"] | selections["340"] == selections["all"]


def test_only_the_tests_that_reach_qgis_run_on_both(selections: dict[str, set[str]]) -> None:
    assert selections["322"] & selections["340"] == selections["qgis"]
    assert {t.split("::")[0] for t in selections["qgis"]} == {ON_BOTH}


def test_each_files_qgis_free_tests_run_on_its_lane_only(
    selections: dict[str, set[str]],
) -> None:
    def of(name: str, lane: str) -> set[str]:
        return {t for t in selections[lane] if t.startswith(name + "::")}

    assert of(ON_340, "340") == of(ON_340, "all") and not of(ON_340, "322")
    assert of(ON_322, "322") == of(ON_322, "all") and not of(ON_322, "340")
    assert of(ON_BOTH, "322") == of(ON_BOTH, "340") == of(ON_BOTH, "all")


def test_this_process_keeps_its_qgis_settings_in_its_lanes_folder() -> None:
    """pytest-qgis keeps the QGIS profile (settings, style and auth databases) in the
    checkout's .qgis-settings, in a folder of its own per PYTEST_XDIST_WORKER: each lane of
    tools/test_both.sh names itself so (shared, one lane's settings tests were seen by the
    other's dock tests). Outside the lanes (make test322) the folder is the shared one."""
    from qgis.core import QgsSettings

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    folder = REPO / ".qgis-settings"
    folder = folder / worker if worker else folder
    assert Path(QgsSettings().fileName()).resolve().is_relative_to((folder / "profiles").resolve())


def test_a_lane_named_as_the_script_names_it_gets_its_own_settings() -> None:
    """The test above, in a child process named as a lane: its settings are its own. (The
    name is this process's own: both lanes run this test, perhaps at the same moment.)"""
    probe = f"lane_probe_{os.getpid()}"
    env = dict(os.environ, PYTEST_XDIST_WORKER=probe)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    argv = [sys.executable, "-m", "pytest", "-q", __file__, "-k", "keeps_its_qgis_settings"]
    try:
        done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=600)  # fmt: skip
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        assert "1 passed" in done.stdout
        assert (REPO / ".qgis-settings" / probe / "profiles").is_dir()
    finally:
        shutil.rmtree(REPO / ".qgis-settings" / probe, ignore_errors=True)


def test_the_two_lanes_name_themselves_apart() -> None:
    script = (REPO / "tools" / "test_both.sh").read_text(encoding="utf-8")
    names = re.findall(r"^\s*PYTEST_XDIST_WORKER=(\w+) ", script, re.M)
    assert sorted(names) == ["lane322", "lane340"]
