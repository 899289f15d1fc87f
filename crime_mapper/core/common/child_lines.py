"""The line protocol between QGIS and a plain Python process doing a long job for it.

Why one module: the dock's monthly release (qgis_bridge.release_process/release_child),
Processing's anonymise (qgis_bridge.anonymise_process/anonymise_child) and the web map made
from inside QGIS (core.publish.webmap_process/webmap_child) all run their work in a child
process that speaks JSON lines on its original stdout and listens for ``cancel`` on stdin.
The pieces both ends share live here, so the three stay one protocol. No QGIS, no pandas:
the children import this before anything heavy.

A child watches its input with :class:`StdinWatch`, never with a thread of its own: the
release forks children for work beside it only while no other Python thread runs
(core.common.forked.alone), so a thread blocked reading the input would keep every forked
speed-up of the command line from the child processes QGIS starts.

Every child asks before it moves outputs into place (:func:`commit_question`, answered by
:func:`answer_commit`): a Cancel pressed on any progress QGIS has shown is then kept to,
however far ahead of QGIS's reading the child ran. Anonymise's and the web map's children
ask once, before their one commit; the dock's release, which commits step by step, asks
before each commit point (core.common.staging.ask_before_commits)."""

from __future__ import annotations

import io
import json
import os
import queue
import select
import subprocess
import threading
import time
from typing import IO, Any, Callable, Optional, Union

from . import forked
from .feedback import Cancelled, Feedback

PROGRESS_EVERY_S = 0.2  # a child's progress lines at most this often (and always at 100)
#: The caller's answer to a child's ``ready`` that lets it move its outputs into place;
#: any other answer (``cancel``), or the end of its input, cancels them.
COMMIT = b"commit"


class LineProtocol:
    """The child's side: one JSON object per line on the protocol stream, whole lines only
    (a lock, since the work's threads may report too)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        try:  # (a child forked for work beside must not keep the stream open: forked)
            forked.keep_from_children(stream.fileno())
        except (AttributeError, OSError, ValueError):  # (not a file: nothing to keep)
            pass

    def send(self, event: str, **values: Any) -> None:
        line = json.dumps({"event": event, **values}, ensure_ascii=False)
        if not line.isascii():
            try:
                line.encode("utf-8")
            except UnicodeEncodeError:  # (a file name's bytes that are no UTF-8, escaped
                # by os.fsdecode: sent as JSON escapes, the parent's text is the same)
                line = json.dumps({"event": event, **values})
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()


class ProgressFeedback(Feedback):
    """A child's feedback: progress as throttled protocol lines; cancelled when
    ``is_cancelled`` (the child's own watch on its caller) says so."""

    def __init__(self, protocol: LineProtocol, is_cancelled: Callable[[], bool]) -> None:
        self._protocol, self._cancelled = protocol, is_cancelled
        self._sent, self._when, self._latest = -1.0, 0.0, -1.0

    def set_progress(self, percent: float) -> None:
        now = time.monotonic()
        value = round(max(0.0, min(100.0, float(percent))), 1)
        self._latest = value
        if value != self._sent and (now - self._when >= PROGRESS_EVERY_S or value >= 100):
            self._sent, self._when = value, now
            self._protocol.send("progress", value=value)

    def send_latest(self) -> None:
        """Send the last progress given, if throttling held it back. Why: before the child
        asks its caller whether to commit (:func:`commit_question`), the caller must have
        seen where the work stands, so that what it decides from it (a Cancel pressed at a
        progress) is decided before the answer is given."""
        if self._latest >= 0 and self._latest != self._sent:
            self._sent, self._when = self._latest, time.monotonic()
            self._protocol.send("progress", value=self._latest)

    def is_cancelled(self) -> bool:
        return self._cancelled()


def commit_question(
    protocol: LineProtocol, feedback: ProgressFeedback, read_answer: Callable[[], bytes]
) -> Callable[[], None]:
    """A child's last step before it moves its outputs into place (gated, past its last
    check): its last progress, then ``ready``, then the caller's answer (``read_answer``,
    waiting for it); Cancelled unless that is COMMIT. Why: a Cancel pressed on any progress
    the caller has read is then always kept to, however far ahead of the caller's reading
    the child had run (a cancel that merely comes later can arrive after the swap)."""

    def ask() -> None:
        feedback.send_latest()
        protocol.send("ready")
        if read_answer().strip() != COMMIT:
            raise Cancelled("cancelled by the user")

    return ask


def answer_commit(child: subprocess.Popen, feedback: Feedback) -> bool:
    """The caller's answer to its child's ``ready``: COMMIT, unless the user has cancelled
    (the progress lines before the question have been relayed: a Cancel pressed on them
    counts). Whether it said COMMIT. Works on a text or a binary stdin."""
    commit = not feedback.is_cancelled()
    answer = (COMMIT if commit else b"cancel") + b"\n"
    try:
        assert child.stdin is not None
        if isinstance(child.stdin, io.TextIOBase):
            child.stdin.write(answer.decode("ascii"))
        else:
            child.stdin.write(answer)
        child.stdin.flush()
    except (OSError, ValueError):
        pass  # (the child is gone, or was told to stop already: its exit says the rest)
    return commit


def read_lines(stream: IO[Any], lines: queue.Queue) -> None:
    """The parent's reader thread: every line of the child's stdout, then None at its end."""
    try:
        for line in stream:
            lines.put(line)
    except (OSError, ValueError):  # (closed, or bytes that are no UTF-8: no more lines)
        _drain(stream)
    lines.put(None)


def _drain(stream: IO[Any]) -> None:
    """Read what is left of a stream no more lines can be taken from, to its end, and drop
    it: a child with more to say would otherwise block on a full pipe while its caller
    waits for it to exit (the caller takes the missing result as a failure)."""
    raw = getattr(stream, "buffer", stream)
    try:
        while raw.read(1 << 16):
            pass
    except (OSError, ValueError):  # (closed here: nothing to drain)
        pass


def parse_event(line: Union[str, bytes]) -> Optional[dict[str, Any]]:
    """A protocol line as its object; None for anything that is not a JSON object."""
    try:
        event = json.loads(line.decode("utf-8") if isinstance(line, bytes) else line)
    except (ValueError, RecursionError):  # (RecursionError: nested too deep to parse)
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


def close_pipes(child: subprocess.Popen) -> None:
    """Close this side of an ended child's stdin and stdout. Why: left to the garbage
    collector, a QGIS session keeps two descriptors of every child it ran until then
    (qgis_process warned of them, unclosed, at its exit); a reader thread still on the
    stdout sees the end of its stream (read_lines)."""
    for stream in (child.stdin, child.stdout):
        if stream is not None:
            try:
                stream.close()
            except (OSError, ValueError):  # (a broken pipe: the child went first)
                pass


class StdinWatch:
    """A child's input (the request line, then ``cancel``, or COMMIT when asked) read
    without a thread of its own.

    Why no thread: see the module docstring. Instead the input is looked at (``select``, no
    waiting) whenever the run asks whether it is cancelled. Only the process that made the
    watch reads the input: a child forked from it (whose work has its own stop signal,
    core.common.forked) that still calls it is told what the watch knew at the fork, and
    never takes a ``cancel`` line or the end of input meant for its parent."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = b""
        self._pid = os.getpid()
        self._answers: list[bytes] = []
        self._threaded = False
        self._reading = threading.Lock()  # (a commit asked on another thread: one reader)
        self.cancelled = False

    def _take(self, chunk: bytes) -> None:
        if not chunk:  # end of input: the QGIS side is gone
            self.cancelled = True
            return
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        if any(line.strip() == b"cancel" for line in lines):
            self.cancelled = True
        self._answers += [line for line in lines if line.strip() == COMMIT]

    def first_line(self) -> bytes:
        """The request line (waiting for it); what follows it is kept for :meth:`poll`."""
        while b"\n" not in self._buffer:
            chunk = os.read(self._fd, 1 << 16)
            if not chunk:
                line, self._buffer = self._buffer, b""
                self.cancelled = True
                return line
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        rest, self._buffer = self._buffer, b""
        if rest:
            self._take(rest)
        return line

    def poll(self) -> bool:
        """Whether the QGIS side asked to stop (or went away), without waiting."""
        if os.getpid() != self._pid:  # (a forked child: the input is its parent's)
            return self.cancelled
        if not self._reading.acquire(blocking=False):  # (answer() is reading: it takes all)
            return self.cancelled
        try:
            while not self.cancelled and select.select([self._fd], [], [], 0)[0]:
                self._take(os.read(self._fd, 1 << 12))
        finally:
            self._reading.release()
        return self.cancelled

    def answer(self) -> bytes:
        """The caller's answer to ``ready`` (commit_question), waiting for it: COMMIT, or
        ``cancel`` once it asked to stop or went away."""
        with self._reading:
            while not self.cancelled and not self._answers:
                if self._threaded:
                    time.sleep(0.01)
                else:
                    self._take(os.read(self._fd, 1 << 12))
            return b"cancel" if self.cancelled else self._answers.pop(0)

    def read_in_thread(self) -> None:
        """Where ``select`` cannot watch a pipe (Windows, which cannot fork either), read the
        input on a thread instead; :meth:`poll` then only reports what it found."""

        def read() -> None:
            while not self.cancelled:
                self._take(os.read(self._fd, 1 << 12))

        self.poll = lambda: self.cancelled  # type: ignore[method-assign]
        self._threaded = True
        threading.Thread(target=read, name="child-input", daemon=True).start()
