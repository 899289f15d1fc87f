"""Progress and cancellation, without QGIS.

The core loaders run inside a QgsTask (dock) or a Processing algorithm; both adapt their own
progress/cancel mechanism onto this small interface so the core stays importable without QGIS.
"""

from __future__ import annotations


class Cancelled(Exception):
    """Raised inside core work when the user cancels; callers must leave old outputs intact."""


class Feedback:
    """Default feedback: no progress display, never cancelled. Subclass to adapt."""

    def set_progress(self, percent: float) -> None:
        """Report progress from 0 to 100."""

    def is_cancelled(self) -> bool:
        return False

    def check(self) -> None:
        """Raise Cancelled if the user asked to stop; call between units of work."""
        if self.is_cancelled():
            raise Cancelled("cancelled by the user")
