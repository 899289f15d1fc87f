"""ui.task_runner.TaskRunner with a tiny real QgsTask through the real task manager: a task
that completes, one that fails, one cancelled, one shut down while running (no handler runs,
the Python task is still held until it ends), and the shared notify()."""

from __future__ import annotations

import threading

import pytest
from qgis.core import Qgis, QgsTask
from qgis.PyQt.QtWidgets import QProgressBar, QWidget

from crime_mapper.ui import task_runner
from crime_mapper.ui.task_runner import TaskRunner, notify


class GateTask(QgsTask):
    """Reports 40 %, then waits for the test to open the gate (or for Cancel)."""

    def __init__(self, succeed: bool = True) -> None:
        super().__init__("crime_mapper test task", QgsTask.Flag.CanCancel)
        self.succeed = succeed
        self.started = threading.Event()
        self.gate = threading.Event()

    def run(self) -> bool:  # worker thread
        self.setProgress(40.0)
        self.started.set()
        while not self.gate.wait(0.01):
            if self.isCanceled():
                return False
        return self.succeed


class Panel(QWidget):
    """What a dock panel gives the runner: handlers, a progress bar, a running flag."""

    def __init__(self) -> None:
        super().__init__()
        self.progress_bar = QProgressBar(self)
        self.progress_values: list[int] = []
        self.progress_bar.valueChanged.connect(self.progress_values.append)
        self.running: list[bool] = []
        self.outcomes: list[tuple[str, QgsTask]] = []
        self.cancelled: list[bool] = []  # read in the handler: the task manager deletes it after
        self.runner = TaskRunner(
            self,
            lambda t: self._outcome("completed", t),
            lambda t: self._outcome("terminated", t),
            progress_bar=self.progress_bar,
            set_running=self.running.append,
        )

    def _outcome(self, kind: str, task: QgsTask) -> None:
        self.cancelled.append(task.isCanceled())
        self.outcomes.append((kind, task))


@pytest.fixture
def panel(qgis_app) -> Panel:
    widget = Panel()
    yield widget
    widget.runner.shutdown()
    widget.deleteLater()


def _start(panel: Panel, task: GateTask, wait_until) -> None:
    panel.runner.start(task)
    assert panel.runner.task is task and panel.runner.is_running()
    assert panel.running == [True]
    wait_until(task.started.is_set, "the task to start")


def test_completed_task_reaches_the_completed_handler_once(panel, wait_until):
    task = GateTask()
    _start(panel, task, wait_until)
    with pytest.raises(RuntimeError):
        panel.runner.start(GateTask())  # one task at a time
    task.gate.set()
    wait_until(lambda: bool(panel.outcomes), "the outcome")
    assert panel.outcomes == [("completed", task)]
    assert panel.runner.task is None and panel.running == [True, False]
    assert 40 in panel.progress_values


def test_failed_task_reaches_the_terminated_handler(panel, wait_until):
    task = GateTask(succeed=False)
    _start(panel, task, wait_until)
    task.gate.set()
    wait_until(lambda: bool(panel.outcomes), "the outcome")
    assert panel.outcomes == [("terminated", task)] and panel.cancelled == [False]
    assert panel.runner.task is None and panel.running == [True, False]


def test_cancel_ends_in_the_terminated_handler(panel, wait_until):
    task = GateTask()
    _start(panel, task, wait_until)
    panel.runner.cancel()
    wait_until(lambda: bool(panel.outcomes), "the outcome")
    assert panel.outcomes == [("terminated", task)] and panel.cancelled == [True]
    assert panel.runner.task is None and panel.running == [True, False]
    panel.runner.cancel()  # idle: nothing to cancel, no error


def test_shutdown_while_running_cancels_without_calling_the_panel(panel, wait_until):
    task = GateTask()
    _start(panel, task, wait_until)
    ended: list[bool] = []
    task.taskTerminated.connect(lambda: ended.append(True))
    panel.runner.shutdown()
    assert panel.runner.task is None and panel.running == [True, False]
    assert task in task_runner._DRAINING  # still held while its run() may execute
    wait_until(lambda: bool(ended), "the cancelled task to end")
    assert panel.outcomes == []
    assert task not in task_runner._DRAINING
    panel.runner.shutdown()  # idle: nothing to do
    assert panel.running == [True, False, False]


def test_notify_shows_and_logs(qgis_iface):
    bar = qgis_iface.messageBar()
    bar.clear_messages()
    notify(qgis_iface, "something to say", Qgis.MessageLevel.Warning)
    assert any("something to say" in m for m in bar.get_messages(Qgis.MessageLevel.Warning))
    notify(None, "no iface: the log only", Qgis.MessageLevel.Info)  # no crash
