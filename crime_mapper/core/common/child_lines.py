"""The line protocol between QGIS and a plain Python process doing a long job for it.

Why one module: the dock's monthly release (qgis_bridge.release_process/release_child),
Processing's anonymise (qgis_bridge.anonymise_process/anonymise_child) and the web map made
from inside QGIS (core.publish.webmap_process/webmap_child) all run their work in a child
process that speaks JSON lines on its original stdout and listens for ``cancel`` on stdin.
The pieces both ends share live here, so the three stay one protocol. No QGIS, no pandas:
the children import this before anything heavy."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from typing import IO, Any, Callable, Optional, Union

from .feedback import Feedback

PROGRESS_EVERY_S = 0.2  # a child's progress lines at most this often (and always at 100)


class LineProtocol:
    """The child's side: one JSON object per line on the protocol stream, whole lines only
    (a lock, since the work's threads may report too)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, event: str, **values: Any) -> None:
        line = json.dumps({"event": event, **values}, ensure_ascii=False)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()


class ProgressFeedback(Feedback):
    """A child's feedback: progress as throttled protocol lines; cancelled when
    ``is_cancelled`` (the child's own watch on its caller) says so."""

    def __init__(self, protocol: LineProtocol, is_cancelled: Callable[[], bool]) -> None:
        self._protocol, self._cancelled = protocol, is_cancelled
        self._sent, self._when = -1.0, 0.0

    def set_progress(self, percent: float) -> None:
        now = time.monotonic()
        value = round(max(0.0, min(100.0, float(percent))), 1)
        if value != self._sent and (now - self._when >= PROGRESS_EVERY_S or value >= 100):
            self._sent, self._when = value, now
            self._protocol.send("progress", value=value)

    def is_cancelled(self) -> bool:
        return self._cancelled()


def read_lines(stream: IO[Any], lines: queue.Queue) -> None:
    """The parent's reader thread: every line of the child's stdout, then None at its end."""
    try:
        for line in stream:
            lines.put(line)
    except (OSError, ValueError):
        pass
    lines.put(None)


def parse_event(line: Union[str, bytes]) -> Optional[dict[str, Any]]:
    """A protocol line as its object; None for anything that is not a JSON object."""
    try:
        event = json.loads(line.decode("utf-8") if isinstance(line, bytes) else line)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def send_cancel(child: subprocess.Popen) -> None:
    """Ask a text-mode child to stop: a ``cancel`` line, then its stdin closed."""
    try:
        assert child.stdin is not None
        child.stdin.write("cancel\n")
        child.stdin.flush()
        child.stdin.close()
    except (OSError, ValueError):
        pass
