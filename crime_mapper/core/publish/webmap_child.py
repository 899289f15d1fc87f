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

- stdin: a line holding the byte count N of the request, then N bytes: the pickled dict of
  core.publish.webmap_run.run_webmap's arguments (``releases``, ``out_dir``, ``raw``,
  ``points``, ``profile_path``, ``neighbourhoods``, ``settings``), written by the process
  that started this one (never by anyone else: a pickle is code).
- cancel: SIGTERM (the caller's Cancel) marks the export cancelled, and it stops at its next
  check; so does the caller's end (this process is handed to another parent). No thread
  watches for it: a second Python thread would keep the export from forking
  (core.common.forked.alone). Where Python cannot fork (Windows), a ``cancel`` line on stdin
  or its end does the same, read by a thread.
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

import json
import os
import pickle
import signal
import sys
import threading
import time
import traceback
from typing import IO, Any

EXIT_OK, EXIT_FAILED, EXIT_CANCELLED, EXIT_ERROR = 0, 2, 3, 4
_PROGRESS_EVERY_S = 0.2
#: The request's size is at most this (its first line): a larger count is not a request.
MAX_REQUEST_BYTES = 1 << 31

#: Errors whose message is meant for the user, by the name the protocol gives them: the
#: ones the Processing algorithm and the dock's task show as they are.
ERROR_KINDS: dict[str, tuple[str, str]] = {
    "LeakError": ("crime_mapper.core.gate.leak_gate", "LeakError"),
    "WebmapInputError": ("crime_mapper.core.publish.webmap_inputs", "WebmapInputError"),
    "VendorMissing": ("crime_mapper.core.publish.webmap_vendor", "VendorMissing"),
    "NeighbourhoodError": ("crime_mapper.core.publish.neighbourhoods", "NeighbourhoodError"),
    "ReleaseInputError": ("crime_mapper.core.release.release_files", "ReleaseInputError"),
}


class _Protocol:
    """The JSON lines on the protocol stream (the original stdout)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, event: str, **values: Any) -> None:
        line = json.dumps({"event": event, **values}, ensure_ascii=False)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()


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


def _feedback(protocol: _Protocol, cancelled: Any) -> Any:
    from ..common.feedback import Feedback

    class ChildFeedback(Feedback):
        """Progress as (throttled) protocol lines; cancelled when the caller says so."""

        def __init__(self) -> None:
            self._sent, self._when = -1.0, 0.0

        def set_progress(self, percent: float) -> None:
            now = time.monotonic()
            value = round(max(0.0, min(100.0, float(percent))), 1)
            if value != self._sent and (now - self._when >= _PROGRESS_EVERY_S or value >= 100):
                self._sent, self._when = value, now
                protocol.send("progress", value=value)

        def is_cancelled(self) -> bool:
            return cancelled.is_set()

    return ChildFeedback()


def _watch_stdin(stream: IO[bytes], cancelled: _Cancel) -> None:
    """(Without fork only.) A ``cancel`` line, or the end of input, stops the export."""
    for line in stream:
        if line.strip() == b"cancel":
            break
    cancelled.set()


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


def run(request: dict[str, Any], protocol: _Protocol, cancelled: _Cancel) -> int:
    from ..common.feedback import Cancelled
    from .webmap_process import result_to_dict
    from .webmap_run import run_webmap

    try:
        settings = dict(request.get("settings") or {})
        settings["export_beside"] = True  # (a process of its own: core.common.forked)
        done = run_webmap(
            request["releases"],
            request["out_dir"],
            raw=request.get("raw"),
            points=request.get("points"),
            profile_path=request.get("profile_path"),
            neighbourhoods=request.get("neighbourhoods"),
            feedback=_feedback(protocol, cancelled),
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


def main() -> int:
    # the protocol keeps the real stdout; everything else printed (Python or C) goes to stderr
    protocol = _Protocol(os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8"))
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
    if not hasattr(os, "fork"):
        watch = threading.Thread(target=_watch_stdin, args=(sys.stdin.buffer, cancelled))
        watch.daemon = True
        watch.start()
    return run(request, protocol, cancelled)


if __name__ == "__main__":
    sys.exit(main())
