"""crime_mapper:monthly_release run the way the toolbox runs it (issue 14): in a
QgsProcessingAlgRunnerTask, whose processAlgorithm runs in a task-manager thread while the
dialog's event loop goes on. It must report progress and each step, honour Cancel (earlier
outputs byte-identical, nothing staged left), read the project's other loads on the main
thread only (prepareAlgorithm), and touch no user-interface object from the worker (Qt warns
about objects used or parented across threads: none may appear).

Real Processing API, real task manager, real files (the bundled sample data); no mocks."""

from __future__ import annotations

import threading

import pytest
from qgis.core import (
    QgsApplication,
    QgsProcessingAlgorithm,
    QgsProcessingAlgRunnerTask,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProject,
)
from qgis.PyQt.QtCore import QtMsgType, qInstallMessageHandler, qWarning

from crime_mapper.core.monthly.config import read_config
from tests.support.monthly_config import MONTH, config_file, folder_files

TIMEOUT_MS = 600_000  # a hang guard only; nothing asserts how long a run took
#: What Qt says when an object is used from, or parented across, the wrong thread.
THREAD_WARNINGS = (
    "different thread",
    "another thread",
    "outside the GUI thread",
    "outside the main thread",
    "Cannot send events to objects owned by a different thread",
)


class RecordingFeedback(QgsProcessingFeedback):
    """What a Processing dialog sees: progress values and messages, with the thread each came
    from; optionally cancels itself once a step starts."""

    def __init__(self, cancel_at: str = "") -> None:
        super().__init__()
        self.progress: list[float] = []
        self.infos: list[str] = []
        self.threads: set[int] = set()
        self.cancel_at = cancel_at
        self.progressChanged.connect(self.progress.append)

    def pushInfo(self, info: str) -> None:  # noqa: N802 - QGIS API
        self.infos.append(info)
        self.threads.add(threading.get_ident())
        if self.cancel_at and info == f"{self.cancel_at}: running":
            self.cancel()
        super().pushInfo(info)


@pytest.fixture
def qt_warnings():
    """Every Qt warning while the test runs."""
    seen: list[str] = []

    def handler(kind, _context, message) -> None:
        if kind in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg):
            seen.append(message)

    previous = qInstallMessageHandler(handler)
    qWarning("the capture works")  # a warning is seen: the checks below can fail
    assert seen == ["the capture works"]
    seen.clear()
    yield seen
    qInstallMessageHandler(previous)


def _run_in_background(qtbot, parameters: dict, feedback: RecordingFeedback):
    """Run the algorithm as the toolbox does; (succeeded, results, algorithm)."""
    registry = QgsApplication.processingRegistry()
    algorithm = registry.algorithmById("crime_mapper:monthly_release").create()
    assert not (algorithm.flags() & QgsProcessingAlgorithm.Flag.FlagNoThreading)
    assert algorithm.flags() & QgsProcessingAlgorithm.Flag.FlagCanCancel
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    task = QgsProcessingAlgRunnerTask(algorithm, parameters, context, feedback)
    outcome: list[tuple[bool, dict]] = []
    task.executed.connect(lambda ok, results: outcome.append((ok, dict(results))))
    QgsApplication.taskManager().addTask(task)
    qtbot.waitUntil(lambda: bool(outcome), timeout=TIMEOUT_MS)
    return outcome[0]


def test_the_toolbox_run_reports_progress_and_steps_from_its_thread(
    provider, qgis_new_project, qtbot, tmp_path, qt_warnings
):
    config_path = config_file(tmp_path)
    feedback = RecordingFeedback()
    ok, results = _run_in_background(qtbot, {"CONFIG": str(config_path), "MONTH": MONTH}, feedback)
    assert ok, feedback.infos[-5:]
    out = read_config(config_path).output_dir(MONTH)
    assert results["MANIFEST"] == str(out / "manifest.json") and results["GATE_PASSED"]
    # progress went forward to the end; every step said when it ran and when it was done
    assert feedback.progress and feedback.progress[-1] == pytest.approx(100.0)
    assert max(feedback.progress) <= 100.0 and len(set(feedback.progress)) > 5
    for step in ("load", "check", "anonymise", "hotspots", "publish"):
        assert f"{step}: running" in feedback.infos and f"{step}: done" in feedback.infos
    # the work ran in the task manager's thread, not the user interface's
    assert feedback.threads and threading.main_thread().ident not in feedback.threads
    assert not [w for w in qt_warnings if any(t in w for t in THREAD_WARNINGS)], qt_warnings


def test_cancel_from_the_toolbox_leaves_the_earlier_release_as_it_was(
    provider, qgis_new_project, qtbot, tmp_path, qt_warnings
):
    config_path = config_file(tmp_path)
    out = read_config(config_path).output_dir(MONTH)
    ok, _results = _run_in_background(
        qtbot, {"CONFIG": str(config_path), "MONTH": MONTH}, RecordingFeedback()
    )
    assert ok
    before = folder_files(out)

    feedback = RecordingFeedback(cancel_at="anonymise")
    ok, _results = _run_in_background(qtbot, {"CONFIG": str(config_path), "MONTH": MONTH}, feedback)
    assert not ok and feedback.isCanceled()
    assert "anonymise: done" not in feedback.infos and "publish: running" not in feedback.infos
    assert folder_files(out) == before
    assert not [p for p in out.rglob("*") if p.name.startswith(".crime_mapper-stage")]
    assert not [w for w in qt_warnings if any(t in w for t in THREAD_WARNINGS)], qt_warnings


def test_other_loads_are_listed_on_the_main_thread_before_the_run(
    provider, qgis_new_project, tmp_path
):
    """prepareAlgorithm (run on the main thread, in the task's constructor) lists the
    project's other loads; processAlgorithm (the worker) only uses that list, so the layer
    registry is never read from the worker."""
    from qgis.core import QgsVectorLayer

    from crime_mapper.qgis_bridge.layers import gpkg_uri
    from crime_mapper.qgis_bridge.run_load import run_load
    from tests.support.monthly_config import SAMPLE

    config = read_config(config_file(tmp_path))
    loaded = run_load(
        [config.input_paths(MONTH)[0]],
        tmp_path / "other",
        profile_path=config.optional_path(config.profile, MONTH),
    )
    layer = QgsVectorLayer(gpkg_uri(loaded.gpkg, "crimes"), "another month", "ogr")
    assert layer.isValid() and SAMPLE.is_dir()
    QgsProject.instance().addMapLayer(layer)
    algorithm = (
        QgsApplication.processingRegistry().algorithmById("crime_mapper:monthly_release").create()
    )
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    assert algorithm.prepare({"MONTH": MONTH}, context, QgsProcessingFeedback())
    assert algorithm.other_crimes == (f"{loaded.gpkg}|layername=crimes",)


class ErrorFeedback(RecordingFeedback):
    """RecordingFeedback that also keeps the errors Processing reports (a refused run's)."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: list[str] = []

    def reportError(self, error: str, fatalError: bool = False) -> None:  # noqa: N802, N803
        self.errors.append(error)
        super().reportError(error, fatalError)


def test_a_run_while_another_holds_the_month_is_refused_in_words(
    provider, qgis_new_project, qtbot, tmp_path
):
    """Processing shows the refusal the command line and the dock show, naming the run
    that holds the month's folder; nothing is written."""
    import os

    from crime_mapper.core.common.run_lock import folder_run_lock

    config_path = config_file(tmp_path)
    out = read_config(config_path).output_dir(MONTH)
    feedback = ErrorFeedback()
    with folder_run_lock(out, "monthly release by the scheduler"):
        ok, _results = _run_in_background(
            qtbot, {"CONFIG": str(config_path), "MONTH": MONTH}, feedback
        )
    assert not ok
    text = "\n".join(feedback.errors)
    assert "The release did not start:" in text, text
    assert f"monthly release by the scheduler, process {os.getpid()} on host" in text, text
    assert not [info for info in feedback.infos if info.endswith(": running")]
    assert not out.exists()
