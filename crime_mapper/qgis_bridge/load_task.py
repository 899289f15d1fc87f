"""The dock's background load: a QgsTask around run_load.

run() executes in a QgsTaskManager worker thread and only writes files (through run_load);
add_layers_to_project() runs afterwards on the main thread and builds the layers there, so
no QGIS layer ever crosses a thread.
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from typing import Optional

from qgis.core import QgsLayerTreeGroup, QgsProject, QgsTask

from ..core.common.feedback import Cancelled, Feedback
from ..logger import get_logger
from .layers import add_load_to_project
from .run_load import LoadOutputs, run_load

LOG = get_logger()

#: The run, as another run refused by the output folder's lock names it.
HOLDER = "the Load tab of the Crime mapper panel"


class TaskFeedback(Feedback):
    """core.common.feedback.Feedback over a QgsTask: progress bar and the task's Cancel button."""

    def __init__(self, task: QgsTask) -> None:
        self._task = task

    def set_progress(self, percent: float) -> None:
        self._task.setProgress(max(0.0, min(100.0, float(percent))))

    def is_cancelled(self) -> bool:
        return self._task.isCanceled()


class LoadExtractsTask(QgsTask):
    """Load extracts into ``output_dir`` in the background; then add the layers.

    After the task ends: ``outputs`` (a run_load.LoadOutputs, or None), ``report_text``
    (the readable validation report, or the error) and ``error`` (None on success,
    "Cancelled" if the user cancelled, otherwise the error message).
    """

    def __init__(
        self,
        paths: Sequence[str],
        output_dir: str,
        profile_path: Optional[str] = None,
        description: str = "crime_mapper: load extracts",
    ) -> None:
        super().__init__(description, QgsTask.Flag.CanCancel)
        self.paths = [str(p) for p in paths]
        self.output_dir = str(output_dir)
        self.profile_path = str(profile_path) if profile_path else None
        self.outputs: Optional[LoadOutputs] = None
        self.report_text: str = ""
        self.error: Optional[str] = None
        self.details: str = ""  # traceback of an unexpected failure, for the log
        # the run went ahead without its output folder's run lock (a parent the analyst may
        # not write): the dock shows each on its message bar, as the other tabs do
        self.lock_warnings: list[str] = []

    def run(self) -> bool:  # worker thread
        from ..core.common.run_lock import FolderBusy, LockNotWritten, output_lock

        try:
            # under the output folder's run lock, as the command line's load: refused at
            # once, before any extract is read, while another run (the month's release,
            # whose load writes the same files into <month>/internal) writes it or the
            # folder above it; held until the last output is in place
            with output_lock(
                self.output_dir, HOLDER, self.output_dir, name_lock=True,
                warn=self.lock_warnings.append,
            ):  # fmt: skip
                self.outputs = run_load(
                    self.paths,
                    self.output_dir,
                    profile_path=self.profile_path,
                    feedback=TaskFeedback(self),
                )
        except Cancelled:
            self.error = "Cancelled"
            self.report_text = "Load cancelled: previous outputs were left unchanged."
            return False
        except (FolderBusy, LockNotWritten) as exc:  # (said as it is: nothing was written)
            self.error = str(exc)
            self.report_text = f"Load did not start: {exc}"
            return False
        except Exception as exc:  # noqa: BLE001 - reported to the user, never swallowed
            self.error = f"{type(exc).__name__}: {exc}"
            self.details = traceback.format_exc()
            self.report_text = f"Load failed: {self.error}\nPrevious outputs were left unchanged."
            return False
        self.report_text = self.outputs.report_text
        return True

    def finished(self, result: bool) -> None:  # main thread
        if result and self.outputs is not None:
            LOG.info(self.report_text)
        elif self.error == "Cancelled" or self.isCanceled():
            self.error = self.error or "Cancelled"
            LOG.warning(self.report_text or "Load cancelled")
        else:
            LOG.error(f"{self.report_text}\n{self.details}")

    def add_layers_to_project(
        self, project: Optional[QgsProject] = None, group_name: Optional[str] = None
    ) -> Optional[QgsLayerTreeGroup]:
        """Main thread only: add the load's group (crimes, stop and search, rejects)."""
        if self.outputs is None:
            return None
        out = self.outputs
        return add_load_to_project(
            out.gpkg,
            group_name or out.title,
            rejects_csv=out.rejects_csv,
            has_stop_search=out.has_stop_search,
            rejected=out.rejected,
            project=project or QgsProject.instance(),
        )
