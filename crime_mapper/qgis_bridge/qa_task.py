"""The QA tab's background work: the release QA report and the "when" page, as QgsTasks.

run() executes in a QgsTaskManager worker thread and only reads inputs and writes the report
files (core.qa.run, the implementation the command line and Processing call); the panel shows
the outcome on the main thread. Cancel stops between steps; the report files are staged, so a
cancelled run leaves the previous report intact.
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from typing import Any, Optional

from qgis.core import QgsTask

from ..core.common.feedback import Cancelled
from ..logger import get_logger
from .load_task import TaskFeedback

LOG = get_logger()

#: The run, as another run refused by the report folder's lock names it.
HOLDER = "the QA tab of the Crime mapper panel"


class ReleaseQaTask(QgsTask):
    """Run the release QA. After it ends: ``run`` (core.qa.run.QaRun or None), ``error``
    (None, "Cancelled" or the message)."""

    def __init__(
        self,
        current: Sequence[str],
        history: Sequence[str],
        out_dir: str,
        *,
        profile_path: Optional[str] = None,
        history_profile_path: Optional[str] = None,
        points: Any = None,
        areas_path: Optional[str] = None,
        save_history: Optional[str] = None,
    ) -> None:
        super().__init__("crime_mapper: release QA", QgsTask.Flag.CanCancel)
        self.current = list(current)
        self.history = list(history)
        self.out_dir = out_dir
        self.options = dict(
            profile_path=profile_path, history_profile_path=history_profile_path,
            points=points, areas_path=areas_path, save_history=save_history,
        )  # fmt: skip
        self.run_result: Any = None
        self.error: Optional[str] = None
        self.details = ""
        # the run went ahead without its report folder's run lock (a parent the analyst may
        # not write): the QA tab shows each on its message bar, as the other tabs do
        self.lock_warnings: list[str] = []

    def run(self) -> bool:  # worker thread
        from ..core.common.run_lock import FolderBusy, LockNotWritten, output_lock
        from ..core.qa.run import run_qa_files

        try:
            # under the report folder's run lock, as the command line's qa: refused at once,
            # before anything is read, while another run (the month's release, whose check
            # step writes the same report into <month>/qa) writes it or the folder above it
            with output_lock(
                self.out_dir, HOLDER, self.out_dir, name_lock=True, warn=self.lock_warnings.append
            ):
                current = self.current[0] if len(self.current) == 1 else self.current
                self.run_result = run_qa_files(
                    current, self.history, out_dir=self.out_dir, feedback=TaskFeedback(self),
                    **self.options,
                )  # fmt: skip
        except Cancelled:
            self.error = "Cancelled"
            return False
        except (FolderBusy, LockNotWritten) as exc:  # (said as it is: nothing was written)
            self.error = str(exc)
            return False
        except Exception as exc:  # noqa: BLE001 - reported to the user, never swallowed
            self.error = f"{exc}" if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
            self.details = traceback.format_exc()
            return False
        return True

    def finished(self, result: bool) -> None:  # main thread
        if result and self.run_result is not None:
            LOG.info(f"Release QA: {self.run_result.report.verdict}")
        elif self.error != "Cancelled":
            LOG.error(f"Release QA failed: {self.error}\n{self.details}")


class WhenViewsTask(QgsTask):
    """Write the "when" page. After it ends: ``path`` or ``error``.

    It takes no run lock, as the command line's ``when``: the page is one named file that
    no release writes, so a page written beside a running release's files replaces none
    of them."""

    def __init__(
        self, current: Sequence[str], out_path: str, by: str, profile_path: Optional[str] = None,
        areas_path: Optional[str] = None, history: Sequence[str] = (),
        history_profile_path: Optional[str] = None,
    ) -> None:  # fmt: skip
        super().__init__("crime_mapper: when views", QgsTask.Flag.CanCancel)
        self.history = list(history)
        self.history_profile_path = history_profile_path
        self.current = list(current)
        self.out_path = out_path
        self.by = by
        self.profile_path = profile_path
        self.areas_path = areas_path
        self.path: Optional[str] = None
        self.error: Optional[str] = None

    def run(self) -> bool:  # worker thread
        from ..core.qa.run import crimes_for_when, read_area_lookup
        from ..core.qa.when import write_when_page

        try:
            current = self.current[0] if len(self.current) == 1 else self.current
            crimes = crimes_for_when(
                current, self.profile_path, self.history, self.history_profile_path
            )
            if self.isCanceled():
                self.error = "Cancelled"
                return False
            lookup = read_area_lookup(self.areas_path) if self.areas_path else None
            self.path = str(write_when_page(crimes, self.out_path, self.by, lookup))
        except Exception as exc:  # noqa: BLE001 - reported to the user
            self.error = f"{exc}" if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
            return False
        return True
