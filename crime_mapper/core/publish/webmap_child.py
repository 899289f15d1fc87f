"""The web map export in a Python process of its own: ``python -m
crime_mapper.core.publish.webmap_child`` (started by core.publish.webmap_process).

Why: a QGIS session must not fork (Qt's and GDAL's threads may hold locks a forked child
would wait on for ever: core.common.forked), so inside QGIS the gated export ran its read,
aggregation, writing and the leak gate's raw side as one process taking turns on one
interpreter lock (some 7-8 s nationally). This process is plain Python: it may fork, so the
export runs as the command line's ``webmap --raw`` does (``export_beside``: the folder made
in a forked child while this process prepares the gate's raw side), with the same files,
gate and messages. It imports no QGIS: everything it reads arrives as paths or core objects.

Protocol:

- stdin: the request in two parts, each a line holding its byte count N, then N bytes: a
  pickled dict written by the process that started this one (never by anyone else: a
  pickle is code). First core.publish.webmap_run.run_webmap's arguments but the
  neighbourhoods (``releases``, ``out_dir``, ``raw``, ``points``, ``profile_path``,
  ``settings``): the raw side is opened with them (open_gate_inputs) while the caller
  still reads its neighbourhoods (from a QGIS layer, some seconds nationally); then
  ``{"neighbourhoods"}``, and the export goes on (export_opened). The same calls as
  run_webmap, in the same order. Where this process may fork (POSIX, two cores), it waits
  for the neighbourhoods first and calls run_webmap itself: the folder is then staged by a
  forked child while the raw side is read (core.publish.webmap_early), which overlaps
  more (the release's staging, some 2.5 s idle) than the raw read did with the caller's
  outlines (some 1 s).
- cancel: SIGTERM (the caller's Cancel) marks the export cancelled, and it stops at its next
  check; so does the caller's end (this process is handed to another parent). No thread
  watches for it: a second Python thread would keep the export from forking
  (core.common.forked.alone). (Windows: SIGTERM ends the process; the caller then removes
  what it staged.)
- commit: once the folder is staged and the whole gate has passed, the last progress is
  sent, then ``{"event": "ready"}``, and the export waits for one line on stdin:
  ``commit`` (child_lines.COMMIT) moves the folder into place; anything else
  (``cancel``, or the end of input: the caller went away) cancels it. Why: a Cancel pressed
  before the caller read ``ready`` always leaves the previous export, however far ahead
  of the caller's reading of its progress this process had run (a SIGTERM alone can come
  after the swap).
- stdout: JSON lines, ``{"event": "progress", "value"}`` as it goes, then exactly one of
  ``{"event": "finished", "result"}`` (core.publish.webmap_process.result_to_dict),
  ``{"event": "cancelled"}``, ``{"event": "failed", "kind", "message"}`` (an error whose
  message is meant for the user, ``kind`` naming its class in ERROR_KINDS; OSError with its
  ``errno``, ``strerror`` and ``filename``) or ``{"event": "error", "message", "details"}``
  (anything else, with its traceback). Whatever else is printed goes to stderr.

A cancel raises Cancelled inside the export at its next check, so the staged folder is removed
and the previous export stays as it was (the forked child's too: core.common.forked).
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import traceback
from typing import IO, Any, Callable, Optional

from ..common.child_lines import LineProtocol, ProgressFeedback, commit_question

EXIT_OK, EXIT_FAILED, EXIT_CANCELLED, EXIT_ERROR = 0, 2, 3, 4
#: The request's size is at most this (its first line): a larger count is not a request.
MAX_REQUEST_BYTES = 1 << 31

#: Errors whose message is meant for the user, by the name the protocol gives them: the
#: ones the Processing algorithm and the dock's task show as they are. Each is named by the
#: module that defines it (a module that only imports it would not match, and its message
#: reached the user as "The web map export failed: ReleaseInputError: ..." with a traceback).
ERROR_KINDS: dict[str, tuple[str, str]] = {
    "LeakError": ("crime_mapper.core.gate.leak_gate", "LeakError"),
    "WebmapInputError": ("crime_mapper.core.publish.webmap_inputs", "WebmapInputError"),
    "VendorMissing": ("crime_mapper.core.publish.webmap_vendor", "VendorMissing"),
    "NeighbourhoodError": ("crime_mapper.core.publish.neighbourhoods", "NeighbourhoodError"),
    "ReleaseInputError": ("crime_mapper.core.release.release_limits", "ReleaseInputError"),
}


class _Cancel:
    """Whether the caller asked the export to stop (a flag a signal handler may set: the
    handler raises nothing, so no cleanup is cut short), or has gone away."""

    def __init__(self) -> None:
        self.asked = False
        self._parent = os.getppid()

    def set(self, *_args: Any) -> None:
        self.asked = True

    def is_set(self) -> bool:
        return self.asked or os.getppid() != self._parent


def read_request(stream: IO[bytes]) -> dict[str, Any]:
    """The request: a byte count line, then that many bytes of pickle (see the docstring)."""
    head = stream.readline(32)
    try:
        size = int(head.strip())
    except ValueError:
        raise ValueError("no request size on the first line") from None
    if not 0 < size <= MAX_REQUEST_BYTES:
        raise ValueError(f"a request of {size} bytes")
    body = stream.read(size)
    if len(body) != size:
        raise ValueError(f"the request ended after {len(body)} of {size} bytes")
    request = pickle.loads(body)
    if not isinstance(request, dict):
        raise ValueError("the request is not a dict")
    return request


def run(
    request: dict[str, Any], stdin: IO[bytes], protocol: LineProtocol, cancelled: _Cancel
) -> int:
    from ..common.feedback import Cancelled
    from .webmap_process import result_to_dict
    from .webmap_run import export_opened, open_gate_inputs, run_webmap, stages_before_reading

    try:
        settings = dict(request.get("settings") or {})
        settings["export_beside"] = True  # (a process of its own: core.common.forked)
        feedback = ProgressFeedback(protocol, cancelled.is_set)
        settings["before_commit"] = _asking_to_commit(
            stdin, protocol, feedback, settings.get("before_commit")
        )
        raw, points = request.get("raw"), request.get("points")
        if stages_before_reading(raw, points, settings):
            # (the folder is staged while the raw side is read, and the staging child needs
            # the neighbourhoods: they are waited for first)
            more = _more(stdin, protocol)
            if more is None:
                return EXIT_ERROR
            feedback.check()
            done = run_webmap(
                request["releases"],
                request["out_dir"],
                raw=raw,
                points=points,
                profile_path=request.get("profile_path"),
                neighbourhoods=more.get("neighbourhoods"),
                feedback=feedback,
                **settings,
            )
        else:
            opened = open_gate_inputs(raw, points, request.get("profile_path"), feedback)
            more = _more(stdin, protocol)
            if more is None:
                return EXIT_ERROR
            feedback.check()
            done = export_opened(
                request["releases"],
                request["out_dir"],
                opened,
                more.get("neighbourhoods"),
                feedback,
                **settings,
            )
    except Cancelled:
        protocol.send("cancelled")
        return EXIT_CANCELLED
    except OSError as exc:
        protocol.send(
            "failed",
            kind="OSError",
            message=str(exc),
            errno=exc.errno,
            strerror=exc.strerror,
            filename=None if exc.filename is None else os.fsdecode(exc.filename),
        )
        return EXIT_FAILED
    except Exception as exc:  # noqa: BLE001 - sent to the caller, raised there
        kind = type(exc).__name__
        if kind in ERROR_KINDS and type(exc).__module__ == ERROR_KINDS[kind][0]:
            protocol.send("failed", kind=kind, message=str(exc))
            return EXIT_FAILED
        protocol.send(
            "error", message=f"{type(exc).__name__}: {exc}", details=traceback.format_exc()
        )
        return EXIT_ERROR
    protocol.send("finished", result=result_to_dict(done))
    return EXIT_OK


def _asking_to_commit(
    stdin: IO[bytes],
    protocol: LineProtocol,
    feedback: ProgressFeedback,
    then: Optional[Callable[[], None]] = None,
) -> Callable[[], None]:
    """The export's last step before its swap: ``then`` (a caller's own hold), then ask the
    caller (see the docstring's commit)."""
    ask = commit_question(protocol, feedback, lambda: stdin.readline(64))

    def hold_then_ask() -> None:
        if then is not None:
            then()
        ask()

    return hold_then_ask


def _more(stdin: IO[bytes], protocol: LineProtocol) -> Optional[dict[str, Any]]:
    """The request's second part; None (the error sent) when it cannot be read."""
    try:
        return read_request(stdin)
    except Exception as exc:  # noqa: BLE001 - any unreadable request is refused
        message = f"the export's request could not be read: {exc}"
        protocol.send("error", message=message, details="")
        return None


def main() -> int:
    import importlib

    for module in ("webmap_run", "webmap_process"):  # (imported while the caller writes)
        importlib.import_module(f"{__package__}.{module}")

    # the protocol keeps the real stdout; everything else printed (Python or C) goes to stderr
    protocol = LineProtocol(os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8"))
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    try:
        request = read_request(sys.stdin.buffer)
    except Exception as exc:  # noqa: BLE001 - any unreadable request is refused
        protocol.send("error", message=f"the export's request could not be read: {exc}", details="")
        return EXIT_ERROR
    cancelled = _Cancel()
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, cancelled.set)
    return run(request, sys.stdin.buffer, protocol, cancelled)


if __name__ == "__main__":
    sys.exit(main())
