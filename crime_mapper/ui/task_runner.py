"""The one running QgsTask of a dock panel, and the panels' shared message helper.

Every panel (Load, Release, Hotspots) runs its work the same way: hand a QgsTask to the
task manager, show its progress, disable the form while it runs, handle the outcome on the
main thread, and on plugin unload stop listening and cancel. ``TaskRunner`` is that
plumbing, held by a panel (composition, not a mixin), so each panel only says what to do
with a finished task. ``notify`` is the panels' message bar + message log pair.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any, Optional

from qgis.core import Qgis, QgsApplication, QgsTask
from qgis.PyQt.QtCore import QCoreApplication, QObject
from qgis.PyQt.QtWidgets import QProgressBar

from ..core.common.text_file import shown_text
from ..logger import log_message


def tr(text: str) -> str:
    """The text in QGIS's language (tools/translation_template.py collects it)."""
    return QCoreApplication.translate("TaskRunner", text)


#: Tasks a runner stopped listening to (shutdown) that may still be running: held here until
#: they end, so a Python QgsTask subclass is never collected while its run() may execute.
_DRAINING: set[QgsTask] = set()


def notify(iface: Any, text: str, level: Any) -> None:
    """Message bar for the user (when there is an iface), message log (tag crime_mapper) for
    the record: the analyst sees it now and it is still in the log afterwards. Shown escaped
    (core.common.text_file.shown_text): the one gate of every panel's messages, which quote
    file names, layer names and values read from files; a bidi override there reordered
    the bar's line and hid what it named. The bar's text is HTML-escaped too: QGIS shows a
    message as rich text (after its bold title), so a file named ``<b>x</b>.csv`` read as a
    bold "x.csv" and one holding ``<a href=...>`` put a link in the bar that opened."""
    text = shown_text(text)
    if iface is not None:
        bar_text = html.escape(text, quote=False)
        iface.messageBar().pushMessage(tr("Crime mapper"), bar_text, level, 8)
    log_message(text, level)


def notify_lock_warnings(iface: Any, warnings: Sequence[str]) -> None:
    """A run that went ahead without its output folder's run lock (a parent the analyst may
    not write: core.common.run_lock), said on the message bar and in the log, each. Why one
    helper: the Web map and Summaries tabs said it, and the Load and QA tabs, which take the
    same lock, left it to the log."""
    for text in warnings:
        notify(iface, text, Qgis.MessageLevel.Warning)


#: How many of a run's warnings go to the message log (a national release's neighbourhood
#: outlines can give hundreds; the files the run wrote keep every one)
WARNINGS_LOGGED = 50


def notify_warnings(iface: Any, warnings: Sequence[str], headline: str) -> None:
    """A run's warnings (what was left out and why): the first on the message bar, with how
    many more there are, and each in the message log. ``headline``: the panel's translated
    text holding ``{first}``. Why one helper: the dock's Summaries tab showed its warnings
    this way, and the monthly release, which runs the same summaries, showed none."""
    if not warnings:
        return
    shown = list(warnings[:WARNINGS_LOGGED])
    for warning in shown[1:]:
        log_message(warning, Qgis.MessageLevel.Warning)
    more = len(warnings) - 1
    notify(
        iface,
        headline.format(first=shown[0])
        + (tr(" (and {more:,} more in the message log)").format(more=more) if more else ""),
        Qgis.MessageLevel.Warning,
    )


class TaskRunner(QObject):
    """Owns a panel's one running QgsTask from ``start`` until its outcome is handled.

    A QObject parented to the panel so the task's signals (progress is emitted from the
    worker thread) are delivered to it on the main thread, and so it lives as long as the
    panel. The Python reference to the task is kept until ``on_completed`` /
    ``on_terminated`` has run (they receive the task and read its results), or, after
    ``shutdown``, until the task itself ends. Signals are disconnected exactly once, before
    the outcome handler runs, so a late signal can never reach a panel that moved on.
    """

    def __init__(
        self,
        parent: QObject,
        on_completed: Callable[[Any], None],
        on_terminated: Callable[[Any], None],
        *,
        progress_bar: Optional[QProgressBar] = None,
        set_running: Optional[Callable[[bool], None]] = None,
    ) -> None:
        super().__init__(parent)
        self._on_completed_handler = on_completed
        self._on_terminated_handler = on_terminated
        self._progress_bar = progress_bar
        self._set_running = set_running
        self._task: Optional[QgsTask] = None

    @property
    def task(self) -> Optional[Any]:
        """The running task, or None when idle."""
        return self._task

    def is_running(self) -> bool:
        return self._task is not None

    def start(self, task: QgsTask) -> None:
        """Connect the task, keep it, tell the panel it runs, and queue it."""
        if self._task is not None:
            raise RuntimeError("a task is already running")  # panels check this first
        if self._progress_bar is not None:
            task.progressChanged.connect(self._on_progress)
        task.taskCompleted.connect(self._on_completed)
        task.taskTerminated.connect(self._on_terminated)
        self._task = task
        if self._progress_bar is not None:
            self._progress_bar.setValue(0)
        self._running(True)
        QgsApplication.taskManager().addTask(task)

    def cancel(self) -> None:
        """Ask the running task to stop; the outcome arrives through on_terminated."""
        if self._task is not None:
            self._task.cancel()

    def shutdown(self) -> None:
        """Stop listening to, and cancel, a running task (plugin unload): no handler runs."""
        task = self._finish()
        if task is not None:
            _DRAINING.add(task)
            release = lambda: _DRAINING.discard(task)  # noqa: E731 - tiny closure
            task.taskCompleted.connect(release)
            task.taskTerminated.connect(release)
            task.cancel()
        self._running(False)

    # --- internals -------------------------------------------------------------------------
    def _running(self, running: bool) -> None:
        if self._set_running is not None:
            self._set_running(running)

    def _on_progress(self, value: float) -> None:
        if self._progress_bar is not None:
            self._progress_bar.setValue(int(round(value)))

    def _finish(self) -> Optional[QgsTask]:
        """Forget the task and disconnect it (once); the caller holds it from here."""
        task, self._task = self._task, None
        if task is None:
            return None
        connections = [
            (task.taskCompleted, self._on_completed),
            (task.taskTerminated, self._on_terminated),
        ]
        if self._progress_bar is not None:
            connections.append((task.progressChanged, self._on_progress))
        for signal, slot in connections:
            try:
                signal.disconnect(slot)
            except (TypeError, RuntimeError):
                pass
        return task

    def _on_completed(self) -> None:
        self._end(self._on_completed_handler)

    def _on_terminated(self) -> None:
        self._end(self._on_terminated_handler)

    def _end(self, handler: Callable[[Any], None]) -> None:
        """Finish first (disconnect, form enabled again), then let the panel show the outcome."""
        task = self._finish()
        if task is not None:
            self._running(False)
            handler(task)
