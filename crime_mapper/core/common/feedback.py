"""Progress and cancellation, without QGIS.

The core loaders run inside a QgsTask (dock) or a Processing algorithm; both adapt their own
progress/cancel mechanism onto this small interface so the core stays importable without QGIS.
"""

from __future__ import annotations


class Cancelled(Exception):
    """Raised inside core work when the user cancels; callers must leave old outputs intact."""


#: Set while a command's own process stops on Ctrl-C or SIGTERM (request_stop: the command
#: line's signal handler, never a QGIS session): every Feedback's check() then stops.
_STOP_REQUESTED: list[bool] = []


def request_stop() -> None:
    """Make every Feedback's check() of this process raise Cancelled from now on.

    Why: the command line stops on a signal by raising KeyboardInterrupt where the code
    stands, and a library may swallow that: pandas' CSV reader turned one into a parse
    error, which the loader records as that file's error before it reads the next file. The
    command then ran on as if nothing had come, and every later Ctrl-C was taken for one
    arriving during the clean-up and ignored, so it could not be stopped at all. With this
    flag set it stops, in order, at its next check between units of work."""
    if not _STOP_REQUESTED:
        _STOP_REQUESTED.append(True)


def clear_stop() -> None:
    """Forget :func:`request_stop` (the command that was stopping has returned)."""
    _STOP_REQUESTED.clear()


def stop_requested() -> bool:
    return bool(_STOP_REQUESTED)


class Feedback:
    """Default feedback: no progress display, cancelled only by :func:`request_stop`.
    Subclass to adapt."""

    def set_progress(self, percent: float) -> None:
        """Report progress from 0 to 100."""

    def is_cancelled(self) -> bool:
        return bool(_STOP_REQUESTED)

    def check(self) -> None:
        """Raise Cancelled if the user asked to stop; call between units of work."""
        if _STOP_REQUESTED or self.is_cancelled():
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
