"""The web map export run in a child Python process (core.publish.webmap_child), from a
caller that must not fork: a QGIS session (the Processing algorithm, the dock's Web map tab).

Why: inside QGIS the gated national export ran in one process, its halves taking turns on
one interpreter lock (some 7-8 s); the child is a plain Python process, so it exports as the
command line does, with the folder made in a forked child of its own beside the gate's raw
side (issue 12: at most 5 s). :func:`export_in_child` is run_webmap's contract from the
caller's side: the same WebmapResult, or the same exception (LeakError, WebmapInputError,
VendorMissing, NeighbourhoodError, ReleaseInputError, OSError with their messages, or
Cancelled), with progress and cancel.

Fail closed: only a ``finished`` line with a well-formed result, from a child that then
exits with 0, is success. A child that dies, is killed, is silent for ``silence_s``
(hung: it is killed) or says anything else is an error (ChildExportError, with the child's
last words); the export commits its folder only after the whole gate has passed in the
child, so no ungated folder is ever moved into place, and any staging folder a killed child
left beside the target is removed. Cancel: SIGTERM asks the child to stop at its next check
(the staged folder removed, the previous export kept); one that has not stopped after
CANCEL_GRACE_S is killed with everything it started (its process group). The child asks
before its swap (``ready``) and swaps only on child_lines.COMMIT, which is not given once
the user has cancelled: a Cancel pressed before that question was read always keeps the
previous export.
"""

from __future__ import annotations

import os
import pickle
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any, Callable, Optional, Union

from ..common.child_lines import answer_commit, close_pipes, parse_event, read_lines
from ..common.feedback import Cancelled, Feedback
from ..common.text_file import shown_path
from .webmap_export import WebmapResult

CHILD_MODULE = "crime_mapper.core.publish.webmap_child"
#: After Cancel: seconds for the child to stop by itself before it is killed.
CANCEL_GRACE_S = 10.0
#: A child that says nothing for this long is taken as hung, killed, and the export refused.
#: (It sends progress lines as it goes; the longest silent stretch of a national export is
#: a few seconds.)
SILENCE_S = 600.0
_POLL_S = 0.1


class ChildExportError(RuntimeError):
    """The child process failed in a way that is not one of the export's own errors (it
    died, hung, sent garbage or hit an unexpected error); ``details``: its last words."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details


def result_to_dict(result: WebmapResult) -> dict[str, Any]:
    """A WebmapResult as the JSON the child sends."""
    return {
        "out_dir": str(result.out_dir),
        "index": str(result.index),
        "crimes": int(result.crimes),
        "mapped": int(result.mapped),
        "points": int(result.points),
        "months": [str(m) for m in result.months],
        "bytes": int(result.bytes),
        "gate": str(result.gate),
        "warnings": [str(w) for w in result.warnings],
        "seconds": float(result.seconds),
        "beside": bool(result.beside),
    }


def result_from_dict(data: Any) -> WebmapResult:
    """The WebmapResult the child sent; ValueError unless every field has its type."""
    if not isinstance(data, dict):
        raise ValueError("the result is not an object")
    texts = {"out_dir", "index", "gate"}
    counts = {"crimes", "mapped", "points", "bytes"}
    lists = {"months", "warnings"}
    for key in texts:
        if not isinstance(data.get(key), str) or not data[key]:
            raise ValueError(f"the result's {key} is not a text")
    for key in counts:
        value = data.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"the result's {key} is not a count")
    for key in lists:
        value = data.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"the result's {key} is not a list of texts")
    seconds = data.get("seconds")
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
        raise ValueError("the result's seconds is not a number")
    if not isinstance(data.get("beside"), bool):
        raise ValueError("the result's beside is not true or false")
    return WebmapResult(
        out_dir=Path(data["out_dir"]),
        index=Path(data["index"]),
        crimes=data["crimes"],
        mapped=data["mapped"],
        points=data["points"],
        months=list(data["months"]),
        bytes=data["bytes"],
        gate=data["gate"],
        warnings=list(data["warnings"]),
        seconds=float(seconds),
        beside=data["beside"],
    )


def failure_from_event(event: Mapping[str, Any]) -> BaseException:
    """The exception a ``failed`` line stands for: its class (ERROR_KINDS, or OSError) with
    the child's message; ChildExportError for a kind it does not know."""
    import importlib

    from .webmap_child import ERROR_KINDS

    kind, message = event.get("kind"), str(event.get("message", ""))
    if kind == "OSError":
        errno, strerror = event.get("errno"), event.get("strerror")
        if isinstance(errno, int) and isinstance(strerror, str):
            filename = event.get("filename")
            if isinstance(filename, str):
                return OSError(errno, strerror, filename)
            return OSError(errno, strerror)
        return OSError(message)
    if isinstance(kind, str) and kind in ERROR_KINDS:
        module, name = ERROR_KINDS[kind]
        return getattr(importlib.import_module(module), name)(message)
    return ChildExportError(f"The web map export failed: {message}")


def request_bytes(
    releases: Any,
    out_dir: Any,
    *,
    raw: Any = None,
    points: Any = None,
    profile_path: Any = None,
    settings: Optional[Mapping[str, Any]] = None,
) -> bytes:
    """The request's first part as the child reads it (a size line, then the pickled
    arguments): all but the neighbourhoods (:func:`more_bytes`)."""
    return _part(
        {
            "releases": [str(r) for r in releases],
            "out_dir": str(out_dir),
            "raw": raw,
            "points": points,
            "profile_path": None if profile_path is None else str(profile_path),
            "settings": dict(settings or {}),
        }
    )


def more_bytes(neighbourhoods: Any) -> bytes:
    """The request's second part: the neighbourhoods (core Neighbourhoods, a summaries
    NeighbourhoodSource, or None)."""
    return _part({"neighbourhoods": neighbourhoods})


def _part(values: dict[str, Any]) -> bytes:
    body = pickle.dumps(values, protocol=pickle.HIGHEST_PROTOCOL)
    return b"%d\n" % len(body) + body


def _staging_folders(target: Path) -> set[Path]:
    """The staging folders beside ``target`` (core.publish.webmap_export._stage's names)."""
    try:
        return set(target.parent.glob(f".{target.name}.staging-*"))
    except OSError:
        return set()


def export_in_child(
    python: str,
    request: bytes,
    out_dir: Any,
    feedback: Optional[Feedback] = None,
    *,
    more: Union[bytes, Callable[[], bytes], None] = None,
    env: Optional[Mapping[str, str]] = None,
    cwd: Optional[str] = None,
    on_started: Optional[Callable[[int], None]] = None,
    silence_s: Optional[float] = None,
) -> WebmapResult:
    """Run the export ``request`` (request_bytes) in ``python -m`` CHILD_MODULE; see the
    module docstring. ``more``: the request's second part (more_bytes; None: no
    neighbourhoods), or a call making it, made here once the child has started so that
    the child opens the raw side meanwhile (what it raises stops the child and is raised
    here). ``out_dir``: the request's map folder (staging folders a killed child left
    beside it are removed). ``on_started``: called with the child's process id."""
    feedback = feedback or Feedback()
    feedback.check()
    target = Path(out_dir)
    before = _staging_folders(target)
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as stderr:
        try:
            child = subprocess.Popen(
                [python, "-m", CHILD_MODULE],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=dict(env) if env is not None else None,
                cwd=cwd,
                start_new_session=hasattr(os, "setsid"),
                **_no_window(),
            )
        except OSError as exc:
            raise ChildExportError(
                f"The web map export process could not start ({shown_path(python)}): {exc}"
            ) from exc
        if on_started is not None:
            on_started(child.pid)
        try:
            # (written by a thread: a child that does not read must not block this one)
            parts: queue.Queue = queue.Queue()
            parts.put(request)
            writer = threading.Thread(target=_write_parts, args=(child.stdin, parts))
            writer.daemon = True
            writer.start()
            try:
                parts.put(more() if callable(more) else more or more_bytes(None))
            except BaseException:
                _kill(child)
                raise
            finally:
                parts.put(None)
            outcome = _talk(child, feedback, silence_s or SILENCE_S)
        finally:
            _end(child)
            if child.returncode != 0:
                _remove_left(target, before, child.pid)
        stderr.seek(0)
        last_words = stderr.read()[-4000:]
    return _result(outcome, child.returncode, last_words)


def _remove_left(target: Path, before: set[Path], pid: int) -> None:
    """The staging folders the child (and its forked export) left beside ``target``: with
    a process group of its own (POSIX), exactly those named with that group
    (webmap_export.staging_prefix), so another export staging beside the same map at the
    same time keeps its own; else those that appeared while it ran."""
    if hasattr(os, "setsid") and hasattr(os, "getpgrp"):
        from .webmap_export import remove_staged_by

        remove_staged_by(target, group=pid)
        return
    for left in _staging_folders(target) - before:
        shutil.rmtree(left, ignore_errors=True)


def _no_window() -> dict[str, Any]:
    """Windows: start the child without a console window."""
    flag = getattr(subprocess, "CREATE_NO_WINDOW", 0)
    return {"creationflags": flag} if flag else {}


def _talk(child: subprocess.Popen, feedback: Feedback, silence_s: float) -> Optional[dict]:
    """Relay progress, pass on a cancel; the outcome line (None: none, or the child was
    cancelled without saying so, or went silent)."""
    assert child.stdout is not None
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=read_lines, args=(child.stdout, lines), daemon=True)
    reader.start()
    outcome: Optional[dict[str, Any]] = None
    cancel_sent: Optional[float] = None
    heard = time.monotonic()
    while True:
        try:
            line = lines.get(timeout=_POLL_S)
        except queue.Empty:
            line = b""
        now = time.monotonic()
        if line is None:  # the end of the child's output
            break
        if line:
            heard = now
            event = _parse(line)
            if event is None or outcome is not None:  # (nothing may follow the outcome)
                _kill(child)
                return {"event": "garbage", "line": line[:200].decode("utf-8", "replace")}
            if event.get("event") == "progress":
                _progress(feedback, event.get("value"))
            elif event.get("event") == "ready":
                answer_commit(child, feedback)
            else:
                outcome = event
        if cancel_sent is None and feedback.is_cancelled():
            cancel_sent = now
            _signal(child, signal.SIGTERM)
        elif cancel_sent is not None and now - cancel_sent > CANCEL_GRACE_S:
            _kill(child)
            break
        if now - heard > silence_s:
            _kill(child)
            return {"event": "silent", "seconds": silence_s}
    if cancel_sent is not None and (outcome or {}).get("event") != "finished":
        return {"event": "cancelled"}
    return outcome


def _progress(feedback: Feedback, value: Any) -> None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        feedback.set_progress(max(0.0, min(100.0, float(value))))


def _signal(child: subprocess.Popen, number: int) -> None:
    try:
        child.send_signal(number)
    except (OSError, ValueError):
        pass


def _kill(child: subprocess.Popen) -> None:
    """The child and whatever it started (its forked export: the same process group)."""
    if hasattr(os, "killpg") and hasattr(signal, "SIGKILL"):
        try:
            os.killpg(child.pid, signal.SIGKILL)
            return
        except OSError:
            pass
    try:
        child.kill()
    except OSError:
        pass


def _end(child: subprocess.Popen) -> None:
    """Wait for the child to leave (killing it if it does not), then for any process it
    left in its group: a forked export that outlived it is killed too."""
    try:
        child.wait(timeout=CANCEL_GRACE_S)
    except subprocess.TimeoutExpired:
        _kill(child)
        child.wait()
    if hasattr(os, "killpg") and hasattr(signal, "SIGKILL"):
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except OSError:
            pass  # (no process left in the group: the usual case)
    close_pipes(child)


def _write_parts(stream: IO[bytes], parts: queue.Queue) -> None:
    """Write each part as it comes, until None (the child gone: the rest is dropped)."""
    try:
        while True:
            part = parts.get()
            if part is None:
                return
            stream.write(part)
            stream.flush()
    except (OSError, ValueError):
        pass  # the child is gone already: its exit code and stderr say why


def _parse(line: bytes) -> Optional[dict[str, Any]]:
    """A protocol line, refused (None) unless it names its event."""
    event = parse_event(line)
    return event if event is not None and isinstance(event.get("event"), str) else None


def _result(outcome: Optional[dict[str, Any]], code: Optional[int], words: str) -> WebmapResult:
    """The outcome as the export's result or exception (see the module docstring)."""
    kind = (outcome or {}).get("event")
    if kind == "cancelled":
        raise Cancelled("cancelled by the user")
    if kind == "failed" and code != 0:
        raise failure_from_event(outcome or {})
    if kind == "error" and code != 0:
        raise ChildExportError(
            f"The web map export failed: {(outcome or {}).get('message')}",
            str((outcome or {}).get("details") or "") + words,
        )
    if kind == "finished" and code == 0:
        try:
            return result_from_dict((outcome or {}).get("result"))
        except ValueError as exc:
            raise ChildExportError(
                f"The web map export process sent a result that cannot be read ({exc}); the "
                "export is refused.",
                words,
            ) from exc
    if kind == "silent":
        why = f"said nothing for {(outcome or {}).get('seconds')} s and was stopped"
    elif kind == "garbage":
        why = f"said something it should not ({(outcome or {}).get('line')!r}) and was stopped"
    else:
        why = f"ended without a result (exit code {code})"
    raise ChildExportError(
        f"The web map export process {why}; the export is refused. See the crime_mapper "
        "log for its messages.",
        words,
    )
