"""What the dock's publishing tabs (Web map, Summaries) share: a form of inputs, a run as a
QgsTask with progress and Cancel, the outcome in the message bar, and a link to the result.

Why: the two tabs were written as copies of each other (the task's error handling, the
buttons, the running state, the missing-input check, the cancelled/failed messages), so a fix
to one had to be remembered in the other, and a third publishing tab would have been a third
copy. Here that is written once; a tab says only what differs: its form, the keyword
arguments of its core function, which of them it cannot run without, and what to show when it
has finished. ``PublishTask`` is the task side of the same split: one error policy (cancelled,
refused by the leak gate, a clear input error, or an unexpected error with its traceback),
and a subclass says only which core function it runs.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any, Optional

from qgis.core import Qgis, QgsTask
from qgis.PyQt.QtCore import QCoreApplication, QUrl
from qgis.PyQt.QtGui import QDesktopServices
from qgis.PyQt.QtWidgets import (
    QFormLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.common.feedback import Cancelled, Feedback
from ..qgis_bridge.load_task import TaskFeedback
from .task_runner import TaskRunner, notify, notify_lock_warnings
from .widgets import button_grid, file_widget, narrow_form, readable_width


def tr(text: str) -> str:
    """The text in QGIS's language (tools/translation_template.py collects it)."""
    return QCoreApplication.translate("PublishPanel", text)


def tr_noop(text: str) -> str:
    """Marks a tab's own text (its ``noun``, ``needs``, ``run_label``) for the template, in the
    tab's module context; :meth:`PublishPanel.own` translates it where it is shown."""
    return text


CSV_FILTER = "CSV files (*.csv *.CSV)"


class PublishTask(QgsTask):
    """A publishing run in the background. After it ends: ``done`` (what ``work`` returned,
    or None), ``error`` ("Cancelled" or why it failed), ``details`` (the traceback of an
    unexpected error).

    Subclasses set ``description``, ``what`` ("the web map": used in the leak gate's
    refusal) and ``holder`` (the run, as another run refused by its lock names it) and
    implement ``work``, ``gate_errors`` (the leak gate's refusals) and ``input_errors``
    (errors whose message is already meant for the user).

    ``work`` runs under the run lock of the output folder (``kwargs["out_dir"]``:
    core.common.run_lock.output_lock, as the command line and the monthly release take it),
    held by this (QGIS's) process from before anything is read until the child process
    doing the work, if any, has committed and ended. While another run holds it (the
    month's release writing the folder above the web map's), the task fails at once with
    the lock's words naming that run, and nothing is read or written. A run that goes ahead
    without the lock (no locks on the file system, a folder above the output that the user
    may not write) keeps the warning that says so in ``lock_warnings``: the tab shows it on
    the message bar and in the log, whatever the run's outcome.
    """

    description = "crime_mapper: publish"
    what = "the output"
    holder = "a tab of the Crime mapper panel"

    def __init__(self, kwargs: dict[str, Any]) -> None:
        super().__init__(self.description, QgsTask.Flag.CanCancel)
        self.kwargs = kwargs
        self.done: Any = None
        self.error: Optional[str] = None
        self.details = ""
        self.lock_warnings: list[str] = []

    def work(self, feedback: Feedback) -> Any:
        raise NotImplementedError

    def gate_errors(self) -> tuple[type[BaseException], ...]:
        raise NotImplementedError

    def input_errors(self) -> tuple[type[BaseException], ...]:
        raise NotImplementedError

    def run(self) -> bool:  # worker thread
        from ..core.common.run_lock import FolderBusy, output_lock

        gate_errors, input_errors = self.gate_errors(), self.input_errors()
        out = self.kwargs["out_dir"]
        try:
            warn = self.lock_warnings.append
            with output_lock(out, self.holder, out, name_lock=True, warn=warn):
                self.done = self.work(TaskFeedback(self))
        except Cancelled:
            self.error = "Cancelled"
            return False
        except gate_errors as exc:
            self.error = f"The leak gate refused {self.what}; nothing was changed.\n{exc}"
            return False
        except (*input_errors, FolderBusy, OSError) as exc:
            self.error = str(exc)
            self.details = str(getattr(exc, "details", "") or "")  # (a child's last words)
            return False
        except Exception as exc:  # noqa: BLE001 - reported to the user, never swallowed
            self.error = f"{type(exc).__name__}: {exc}"
            self.details = traceback.format_exc()
            return False
        return True


class PublishPanel(QWidget):
    """Form, Run/Cancel, progress and "Open in browser" for one publishing output.

    Subclasses set the class attributes below and implement ``build_form``,
    ``task_arguments``, ``required``, ``make_task`` and ``completed``.
    """

    #: object names are "<prefix>_run", "<prefix>_cancel", "<prefix>_open"; the panel's is
    #: "crime_mapper_<prefix>_panel"
    prefix = "publish"
    #: the outcome messages: "<noun> cancelled; ...", "<noun> failed: ..."
    noun = "Publishing"
    #: "<needs> the release CSV, an output folder"
    needs = "Publishing needs"
    run_label = "Run"

    def __init__(self, iface: Any, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"crime_mapper_{self.prefix}_panel")
        self.iface = iface
        self._build_ui()
        self._runner = TaskRunner(
            self,
            self._on_completed,
            self._on_terminated,
            progress_bar=self.progress_bar,
            set_running=self._set_running,
        )
        self._set_running(False)
        #: "completed", "cancelled" or "failed: <why>" after a run (for the workflow and tests)
        self.last_outcome = ""
        #: the page "Open in browser" opens: the index.html of the last successful run
        self.last_index: Optional[Path] = None

    # --- what a tab says -------------------------------------------------------------------
    def build_form(self, form: QFormLayout) -> None:
        """Create the input widgets and add them to ``form``."""
        raise NotImplementedError

    def task_arguments(self) -> dict[str, Any]:
        """The core function's keyword arguments the form describes."""
        raise NotImplementedError

    def required(self, kwargs: dict[str, Any]) -> list[tuple[str, Any]]:
        """(what is missing, in words; the value that must not be empty) for each input the
        run cannot do without."""
        raise NotImplementedError

    def make_task(self, kwargs: dict[str, Any]) -> PublishTask:
        raise NotImplementedError

    def completed(self, task: Any) -> Path:
        """Show a successful run's outcome; return the page "Open in browser" opens."""
        raise NotImplementedError

    # --- form helpers ----------------------------------------------------------------------
    def own(self, text: str) -> str:
        """A tab's own text (``noun``, ``needs``, ``run_label``) in QGIS's language: its
        context is the tab's class, the context its module's tr() and tr_noop() use."""
        return QCoreApplication.translate(type(self).__name__, text)

    def _field(self, mode: str, name: str, tip: str, file_filter: str = "") -> Any:
        return file_widget(self, mode, object_name=name, tooltip=tip, file_filter=file_filter)

    def _text(self, name: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        return readable_width(edit)

    def _build_ui(self) -> None:
        layout = QVBoxLayout(self)
        form = narrow_form(QFormLayout())
        self.build_form(form)
        layout.addLayout(form)
        self.run_button = QPushButton(self.own(self.run_label), self)
        self.run_button.setObjectName(f"{self.prefix}_run")
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QPushButton(tr("Cancel"), self)
        self.cancel_button.setObjectName(f"{self.prefix}_cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.open_button = QPushButton(tr("Open in browser"), self)
        self.open_button.setObjectName(f"{self.prefix}_open")
        self.open_button.clicked.connect(self.open_in_browser)
        self.open_button.setEnabled(False)
        # two rows: three buttons side by side are wider than a dock at the side of QGIS
        layout.addLayout(button_grid([self.run_button, self.cancel_button, self.open_button]))
        self.progress_bar = QProgressBar(self)
        layout.addWidget(self.progress_bar)
        layout.addStretch(1)

    # --- running ---------------------------------------------------------------------------
    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def start(self) -> Optional[PublishTask]:
        """Check the form and run it in a task; None (and a warning naming what is missing)
        when it cannot run, or when a run is under way."""
        if self._runner.is_running():
            return None
        kwargs = self.task_arguments()
        missing = [label for label, value in self.required(kwargs) if not value]
        if missing:
            notify(
                self.iface,
                tr("{needs} {missing}").format(
                    needs=self.own(self.needs), missing=", ".join(missing)
                ),
                Qgis.MessageLevel.Warning,
            )
            return None
        task = self.make_task(kwargs)
        self._runner.start(task)
        return task

    def cancel(self) -> None:
        self._runner.cancel()

    def shutdown(self) -> None:
        self._runner.shutdown()

    def open_in_browser(self) -> bool:
        """Open the last successful run's page in the system browser."""
        if self.last_index is None or not self.last_index.is_file():
            return False
        return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.last_index))))

    def _on_completed(self, task: PublishTask) -> None:
        notify_lock_warnings(self.iface, task.lock_warnings)
        self.last_outcome = "completed"
        self.last_index = Path(self.completed(task))
        self.open_button.setEnabled(True)

    def _on_terminated(self, task: PublishTask) -> None:
        notify_lock_warnings(self.iface, task.lock_warnings)
        if task.error == "Cancelled" or (task.error is None and task.isCanceled()):
            self.last_outcome = "cancelled"
            notify(
                self.iface,
                tr("{noun} cancelled; nothing was changed.").format(noun=self.own(self.noun)),
                Qgis.MessageLevel.Info,
            )
            return
        self.last_outcome = f"failed: {task.error}"
        notify(
            self.iface,
            tr("{noun} failed: {error}").format(noun=self.own(self.noun), error=task.error),
            Qgis.MessageLevel.Critical,
        )
        if task.details:
            notify(None, task.details, Qgis.MessageLevel.Critical)
