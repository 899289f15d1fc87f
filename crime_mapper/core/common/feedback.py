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


class CancelOnly(Feedback):
    """A job's cancel for work on another thread, without its progress: the thread that owns
    the feedback reports progress (a Qt feedback is not for other threads' progress), and
    the worker still stops when the user cancels."""

    def __init__(self, inner: Feedback) -> None:
        self._inner = inner

    def is_cancelled(self) -> bool:
        return self._inner.is_cancelled()


class ScaledFeedback(Feedback):
    """One stage's 0..100 progress mapped onto [start, end] of the caller's; cancel passes
    through. Lets a multi-stage job (read, snap, write...) show one progress bar."""

    def __init__(self, inner: Feedback, start: float, end: float) -> None:
        self._inner, self._start, self._end = inner, start, end

    def set_progress(self, percent: float) -> None:
        self._inner.set_progress(self._start + (self._end - self._start) * percent / 100.0)

    def is_cancelled(self) -> bool:
        return self._inner.is_cancelled()
