"""Shared pytest set-up for crime_mapper: real QGIS through pytest-qgis, headless.

pytest-qgis starts one QgsApplication for the session (GUI enabled, see pyproject.toml) and
provides the ``qgis_iface`` stub. QT_QPA_PLATFORM=offscreen comes from the Makefile's
environment, so no display is needed. This file only makes the source checkout importable
offers two small helpers for code that runs through the Qt event loop, and registers the
plugin's Processing provider for the algorithm tests.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Callable

import pytest
from qgis.PyQt.QtCore import QCoreApplication, QEvent, QEventLoop

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

# Upper bound for waiting on background work. It only keeps a broken run from hanging CI;
# nothing asserts how long the work took.
HANG_GUARD_SECONDS = 300.0


def flush_events() -> None:
    """Deliver queued events and deferred deletions (deleteLater) right now."""
    QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def wait_until(condition: Callable[[], bool], what: str = "condition") -> None:
    """Run the event loop until condition() holds (QgsTask results arrive through it)."""
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.005)
    flush_events()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The source checkout (metadata.txt, sample_data/, tools/)."""
    return REPO_ROOT


@pytest.fixture(name="flush_events")
def flush_events_fixture() -> Callable[[], None]:
    """:func:`flush_events`, for tests that check what deleteLater() removed."""
    return flush_events


@pytest.fixture(name="wait_until")
def wait_until_fixture() -> Callable[..., None]:
    """:func:`wait_until`, for tests that wait on a QgsTask through the event loop."""
    return wait_until


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium through Playwright, one per test module (tests.support.webmap_browser
    .launch: executable_path, no download)."""
    from playwright.sync_api import sync_playwright

    from tests.support.webmap_browser import launch

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


@pytest.fixture
def dock(qgis_iface, qgis_new_project, qtbot):
    """The plugin's dock in a fresh project, shut down (its tasks stopped) after the test."""
    from crime_mapper.ui.dock import CrimeMapperDock

    widget = CrimeMapperDock(qgis_iface)
    qtbot.addWidget(widget)
    yield widget
    widget.shutdown()


@pytest.fixture(scope="module")
def provider(qgis_processing):
    """The plugin's Processing provider, registered once (the plugin's own registration, if a
    test loaded the plugin, is reused)."""
    from qgis.core import QgsApplication

    from crime_mapper.processing.provider import CrimeMapperProvider

    registry = QgsApplication.processingRegistry()
    existing = registry.providerById("crime_mapper")
    if existing is not None:
        yield existing
        return
    instance = CrimeMapperProvider()
    assert registry.addProvider(instance)
    yield instance
    registry.removeProvider(instance)


def pytest_report_header(config) -> str:
    """Which QGIS the suite runs on: `make test` runs it on 3.22 and on 3.40."""
    from qgis.core import Qgis
    from qgis.PyQt.QtCore import QT_VERSION_STR

    return f"QGIS {Qgis.version()}, Qt {QT_VERSION_STR}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test that reaches QGIS ``qgis`` (tests/support/qgis_reach: its imports, the
    processes it starts, its fixtures), so `make test` runs the rest on one QGIS version only;
    and the rest that `make test` runs on its 3.40 lane ``lane340`` (tests/support/lanes.py).
    """
    from tests.support.lanes import relative_path, runs_on_340
    from tests.support.qgis_reach import item_reason

    for item in items:
        why = item_reason(item)
        if why:
            item.add_marker(pytest.mark.qgis(why))
        elif runs_on_340(relative_path(Path(str(item.path)))):
            item.add_marker(pytest.mark.lane340)


_EXIT_STATUS: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remember pytest's verdict for :func:`pytest_unconfigure`."""
    _EXIT_STATUS.append(int(exitstatus))


@pytest.hookimpl(tryfirst=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """End the process with pytest's own verdict once every result has been reported.

    Why: tearing down a QgsApplication that Python objects from hundreds of tests still
    reference (layers, layouts, tasks, widgets owned by both sides) can crash in C++ after
    the summary line, on some runs and not others. Such a crash says nothing about the code
    under test but turns a green run red. Every test has finished and been reported by now,
    so leaving without the teardown loses nothing; the exit status is pytest's.
    """
    status = _EXIT_STATUS[-1] if _EXIT_STATUS else 0
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The leak gate's test world (tests/support/leak_world.build_world): a real raw force
    extract, real map points, a real release. Per module, as each module's own was; a
    module that defines a ``world`` of its own uses that one."""
    from tests.support.leak_world import build_world

    return build_world(tmp_path_factory.mktemp("leakgate"))


@pytest.fixture(scope="module")
def clean_outputs(world: dict) -> dict:
    """The world's clean release as a CSV, a GeoPackage and a web-map style folder."""
    from tests.support.leak_world import write_clean_outputs

    return write_clean_outputs(world)


@pytest.fixture(scope="module")
def pages_site(clean_outputs: dict, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clean release folder plus 400 templated pages (tests/support/gate_text)."""
    from tests.support.gate_text import write_pages_site

    return write_pages_site(tmp_path_factory.mktemp("pages") / "site", clean_outputs["folder"])


@pytest.fixture(scope="module")
def release_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Map points and a salt for a release of the committed force extract
    (tests/support/written_outputs)."""
    from tests.support.written_outputs import make_release_inputs

    return make_release_inputs(tmp_path_factory.mktemp("written_csv"))


@pytest.fixture(scope="module")
def gated_webmap(
    world: dict, clean_outputs: dict, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The real web map export of the test world's release, gated against its raw table."""
    from crime_mapper.core.publish.webmap_export import WebmapOptions, export_webmap

    out = tmp_path_factory.mktemp("webmap_gate") / "map"
    export_webmap(
        WebmapOptions(
            inputs=[clean_outputs["csv"]],
            out_dir=out,
            tiles="none",
            raw=world["raw"],
            points=world["points"],
        )
    )
    return out
