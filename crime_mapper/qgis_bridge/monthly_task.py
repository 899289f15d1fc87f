"""The whole monthly release as a background QgsTask, for the dock's "Run the whole release".

Runs core.monthly.release.run_monthly_release with the QGIS step runners in a worker thread;
each step's state ("running", "done", "not run", "failed") reaches the dock through the
``stepChanged`` signal (queued to the main thread), progress through the task's own progress,
and Cancel through the task's cancel flag, checked between and inside steps. Every step writes
its files staged, so a cancelled or failed release leaves earlier outputs as they were.
"""

from __future__ import annotations

import traceback
from typing import Optional

from qgis.core import QgsTask
from qgis.PyQt.QtCore import pyqtSignal

from ..core.common.feedback import Cancelled
from ..core.monthly.config import ReleaseConfig
from ..core.monthly.release import MonthlyOutputs, MonthlyReleaseError, run_monthly_release
from .load_task import TaskFeedback


class MonthlyReleaseTask(QgsTask):
    """After the task: ``outputs`` (MonthlyOutputs or None), ``error`` (None, "Cancelled" or
    the reason and what to do), ``failed_step`` and ``details`` (a traceback, for the log)."""

    #: (step, state) as the run goes, on the main thread.
    stepChanged = pyqtSignal(str, str)  # noqa: N815 (Qt signal naming)

    def __init__(self, config: ReleaseConfig, month: str) -> None:
        super().__init__(f"crime_mapper: monthly release {month}", QgsTask.Flag.CanCancel)
        self.config = config
        self.month = month
        self.outputs: Optional[MonthlyOutputs] = None
        self.error: Optional[str] = None
        self.failed_step: Optional[str] = None
        self.details = ""

    def run(self) -> bool:  # worker thread
        from .monthly_release import QgisStepRunners

        try:
            self.outputs = run_monthly_release(
                self.config,
                self.month,
                runners=QgisStepRunners(),
                feedback=TaskFeedback(self),
                on_step=self.stepChanged.emit,
            )
        except Cancelled:
            self.error = "Cancelled"
            return False
        except MonthlyReleaseError as exc:
            self.error, self.failed_step = str(exc), exc.step
            return False
        except Exception as exc:  # noqa: BLE001 - shown in the dock, traceback in the log
            self.error = f"{type(exc).__name__}: {exc}"
            self.details = traceback.format_exc()
            return False
        return True
