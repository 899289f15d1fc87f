"""crime_mapper:anonymise's release in a separate Python process, for qgis_process and the
toolbox.

Why: inside QGIS the release may not fork (core.common.forked), so the work the command line
overlaps in a forked child runs one step after the other there. Run as a plain Python
process (qgis_bridge.anonymise_child) the release is the command line's, child processes
and all; the QGIS side only writes the public layer's style (QGIS is needed for that) while
the child starts, relays progress and cancel, and turns the child's outcome back into the
ReleaseOutputs or the error the release in this process would have given (LeakError,
ReleaseInputError, Cancelled, OSError/ValueError with the same words).

When the inputs are not plain files (a map points layer read through QGIS, derived points,
MapPoints in memory) or no fitting Python is found, :func:`run_anonymise_beside` runs the
release in this process, as before (qgis_bridge.run_anonymise): the same files either way.

Fail closed: a child that dies, is killed or sends something unreadable is an error here
(the release's outputs are staged in the child, so nothing half-made replaces the previous
release); a cancel asks the child to stop, then terminates it, then kills it.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Callable, Optional

from ..core.common.child_lines import (
    answer_commit,
    close_pipes,
    parse_event,
    read_lines,
    send_cancel,
)
from ..core.common.feedback import Cancelled, Feedback
from ..core.common.text_file import shown_path
from .anonymise_child import PATH_KEYS

if TYPE_CHECKING:
    from ..core.release.pipeline import ReleaseOutputs

DEFAULT_MAX_DISTANCE_M = 20_000.0  # (core.release.pipeline's, without importing pandas)
CHILD_MODULE = "crime_mapper.qgis_bridge.anonymise_child"
#: After a cancel: seconds for the child to stop by itself, then after SIGTERM, before a kill.
CANCEL_GRACE_S = 10.0
TERMINATE_GRACE_S = 5.0
#: A child that says nothing for this long is taken as hung: it is killed (with everything
#: it started) and the release refused. (It sends progress as it goes; a national release's
#: longest silent stretch is a few seconds.)
SILENCE_S = 600.0
_POLL_S = 0.1

_python: Optional[str] = None  # the interpreter found once per QGIS process


class ChildFailed(RuntimeError):
    """The release's process ended without a result, or with one that cannot be read."""


def _text_paths(value: Any) -> Optional[list[str]]:
    """``value`` as a list of path texts, or None when it is not (only) paths."""
    if isinstance(value, (str, os.PathLike)):
        return [os.fspath(value)]
    if isinstance(value, (list, tuple)) and all(isinstance(v, (str, os.PathLike)) for v in value):
        return [os.fspath(v) for v in value]
    return None


def points_request(points: Any) -> Any:
    """The map points as the child takes them (a file path, or a file/history spec as a
    dict), or None when they can only be read here (a QGIS layer, derived or ready points)."""
    from ..core.release.map_points_files import MapPointsSpec

    if isinstance(points, (str, os.PathLike)):
        return os.fspath(points)
    if (
        isinstance(points, MapPointsSpec)
        and points.kind in ("file", "history")
        and points.source is None
        and points.points is None
        and points.paths
    ):
        return {
            "kind": points.kind,
            "paths": [str(p) for p in points.paths],
            "description": points.description,
        }
    return None


def child_request(crimes: Any, points: Any, **kwargs: Any) -> Optional[dict[str, Any]]:
    """The child's request for run_anonymise's arguments, or None when some input cannot be
    handed to a plain Python process (then the release runs here)."""
    if set(kwargs) - {*PATH_KEYS, "max_distance_m", "other_crimes"}:
        return None  # (an argument the child does not know: the release runs here)
    crimes_paths = _text_paths(crimes)
    points_value = points_request(points)
    other = _text_paths(list(kwargs.get("other_crimes") or ()))
    if crimes_paths is None or points_value is None or other is None:
        return None
    request: dict[str, Any] = {
        "crimes": crimes_paths if not isinstance(crimes, (str, os.PathLike)) else crimes_paths[0],
        "points": points_value,
        "max_distance_m": kwargs.get("max_distance_m", DEFAULT_MAX_DISTANCE_M),
        "other_crimes": other,
    }
    for key in PATH_KEYS:
        value = kwargs.get(key)
        if value is not None and not isinstance(value, (str, os.PathLike)):
            return None  # e.g. ReleaseRules in memory
        request[key] = os.fspath(value) if value else None
    return request


def _find_python() -> Optional[str]:
    """The child's interpreter, found once per QGIS process, or None.

    The one configured (qgis_bridge.release_process: the environment variable or setting)
    when there is one; else the first of release_process's candidates whose version is this
    Python's to the last digit (the build of the interpreter QGIS embeds, whose binary
    packages the child imports), else the first of the same major.minor version. They are
    asked one by one, and the search stops at the first exact one: asking every candidate
    (version managers' shims are slow scripts) took seconds on a busy machine."""
    global _python
    if _python is None:
        from .release_process import PythonNotFound, _configured_python, find_python

        if _configured_python():
            try:
                _python = find_python()
            except PythonNotFound:
                _python = ""
        else:
            _python = first_python(python_version) or ""
    return _python or None


def python_version(candidate: str) -> Optional[str]:
    """The candidate interpreter's "major.minor.micro", or None when it does not run."""
    from .release_process import _no_window

    try:
        done = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
            capture_output=True,
            text=True,
            timeout=30,
            **_no_window(),
        )
    except (OSError, ValueError, subprocess.SubprocessError):  # (ValueError: a NUL in it)
        return None
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def first_python(
    version_of: Callable[[str], Optional[str]], candidates: Optional[Sequence[str]] = None
) -> Optional[str]:
    """The first candidate of this very version, asked in order (stopping there), else the
    first of this major.minor; None when none fits."""
    import sys

    from .release_process import python_candidates

    exact = ".".join(str(part) for part in sys.version_info[:3])
    minor = ".".join(str(part) for part in sys.version_info[:2])
    fallback = None
    for candidate in python_candidates() if candidates is None else candidates:
        version = version_of(candidate)
        if version == exact:
            return candidate
        if fallback is None and version is not None and version.startswith(minor + "."):
            fallback = candidate
    return fallback


class StartedChild:
    """The child process, started before the release's inputs are known (see
    :func:`start_child`); handed to :func:`run_anonymise_beside` or :meth:`discard`-ed."""

    def __init__(self, python: str) -> None:
        from .release_process import _no_window, child_environment

        self.python = python
        self.stderr: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")
        try:
            self.process = subprocess.Popen(
                [python, "-m", CHILD_MODULE],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.stderr,
                env=child_environment(),
                text=True,
                encoding="utf-8",
                bufsize=1,
                # its own process group, so a hung child goes with whatever it forked
                start_new_session=os.name == "posix",
                **_no_window(),
            )
        except OSError as exc:
            self.stderr.close()
            raise ChildFailed(
                f"The anonymise process could not start ({shown_path(python)}): {exc}"
            ) from exc
        self.used = False

    def discard(self) -> None:
        """Stop the child if no release was handed to it (a no-op once one was)."""
        if self.used:
            return
        self.used = True
        _kill(self.process)
        self.close_pipes()
        self.stderr.close()

    def close_pipes(self) -> None:
        """This side of the child's stdin and stdout closed (it has ended)."""
        close_pipes(self.process)


def start_child() -> Optional[StartedChild]:
    """The child started now, so that its imports (pandas, numpy, the release: about half
    a second) overlap the algorithm's reading of its parameters; None when no Python fits
    or it cannot start (the release then runs as :func:`run_anonymise_beside` decides)."""
    python = _find_python()
    if python is None:
        return None
    try:
        return StartedChild(python)
    except ChildFailed:
        return None


def run_anonymise_beside(
    crimes: Any,
    points: Any,
    *,
    feedback: Optional[Feedback] = None,
    python: Optional[str] = None,
    started: Optional[StartedChild] = None,
    **kwargs: Any,
) -> ReleaseOutputs:
    """qgis_bridge.run_anonymise.run_anonymise (style and QGIS version included), run in a
    child Python process when the inputs allow it (see the module docstring). ``kwargs``:
    run_anonymise's keyword arguments (max_distance_m, rules, salt_file, profile_path, the
    output paths, qa_report, other_crimes). ``started``: a child started already
    (:func:`start_child`), used or stopped here. Same outputs, same errors."""
    from .run_anonymise import run_anonymise

    feedback = feedback or Feedback()
    request = child_request(crimes, points, **kwargs)
    if request is None:
        if started is not None:
            started.discard()
        return run_anonymise(crimes, points, feedback=feedback, **kwargs)
    if started is None:
        python = python or _find_python()
        if python is None:
            return run_anonymise(crimes, points, feedback=feedback, **kwargs)
        started = StartedChild(python)
    return _run_in_child(started, request, feedback)


def _run_in_child(
    started: StartedChild, request: dict[str, Any], feedback: Feedback
) -> ReleaseOutputs:
    from .run_anonymise import qgis_version, write_public_qml

    started.used = True
    child = started.process
    with (
        started.stderr as stderr,
        tempfile.TemporaryDirectory(prefix="crime_mapper-style-") as folder,
    ):
        try:
            feedback.check()
            # the style is written while the child imports what it needs
            style = Path(folder) / "public.qml"
            write_public_qml(style)
            request = {**request, "style": str(style), "qgis_version": qgis_version()}
            outcome = _talk(child, request, feedback)
        except BaseException:
            _stop(child)
            raise
        finally:
            started.close_pipes()  # (the child has ended: waited for, or stopped)
        stderr.seek(0)
        return _outcome(outcome, child.returncode, stderr)


def _talk(child: subprocess.Popen, request: dict[str, Any], feedback: Feedback) -> Any:
    """Send the request, relay progress and cancel until the child's output ends; its last
    outcome event (or None)."""
    assert child.stdin is not None and child.stdout is not None
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=read_lines, args=(child.stdout, lines), daemon=True)
    reader.start()
    try:
        child.stdin.write(json.dumps(request) + "\n")
        child.stdin.flush()
    except OSError:
        pass  # the child is gone already: its exit code and stderr say why
    outcome: Optional[dict[str, Any]] = None
    cancel_sent: Optional[float] = None
    terminated: Optional[float] = None
    heard = time.monotonic()
    while True:
        try:
            line = lines.get(timeout=_POLL_S)
        except queue.Empty:
            line = ""
        if line is None:  # end of the child's output
            break
        if line:
            heard = time.monotonic()
        elif time.monotonic() - heard > SILENCE_S:
            _kill(child)
            raise ChildFailed(
                f"The anonymise process said nothing for {SILENCE_S:.0f} s and was stopped; "
                "earlier outputs are unchanged."
            )
        event = parse_event(line) if line else None
        if event is not None and event.get("event") in ("finished", "failed", "error"):
            outcome = event
        elif event is not None and event.get("event") == "ready":
            answer_commit(child, feedback)
        elif event is not None and event.get("event") == "progress":
            try:
                feedback.set_progress(max(0.0, min(100.0, float(event.get("value", 0)))))
            except (TypeError, ValueError):
                pass
        if feedback.is_cancelled():
            now = time.monotonic()
            if cancel_sent is None:
                cancel_sent = now
                send_cancel(child)
            elif terminated is None and now - cancel_sent > CANCEL_GRACE_S:
                terminated = now
                child.terminate()
            elif terminated is not None and now - terminated > TERMINATE_GRACE_S:
                _kill(child)
    child.wait()
    if cancel_sent is not None and (outcome is None or outcome.get("event") != "finished"):
        raise Cancelled("cancelled by the user")
    return outcome


def _outcome(event: Any, returncode: Optional[int], stderr: IO[str]) -> ReleaseOutputs:
    """The child's outcome as this process's: its outputs, or its error raised here."""
    from ..core.gate.leak_gate import LeakError
    from ..core.release.release_files import ReleaseInputError
    from .anonymise_child import outputs_from_dict

    kind = (event or {}).get("event")
    if kind == "finished" and returncode == 0:
        try:
            return outputs_from_dict(event["outputs"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ChildFailed(f"The anonymise process's results could not be read: {exc}") from exc
    if kind == "failed":
        message = str(event.get("message"))
        errors: dict[str, type[BaseException]] = {
            "cancelled": Cancelled,
            "leak": LeakError,
            "input": ReleaseInputError,
            "os": OSError,
            "value": ValueError,
        }
        raise errors.get(str(event.get("kind")), ChildFailed)(message)
    last = stderr.read()[-2000:].strip()
    if kind == "error":
        details = str(event.get("details") or "") or last
        raise ChildFailed(f"{event.get('message')}\n{details}".strip())
    raise ChildFailed(
        f"The anonymise process ended without a result (exit code {returncode}); earlier "
        f"outputs are unchanged." + (f"\n{last}" if last else "")
    )


def _stop(child: subprocess.Popen) -> None:
    """Stop a child whose caller failed: ask, then terminate, then kill."""
    if child.poll() is not None:
        return
    send_cancel(child)
    for action, grace in ((None, CANCEL_GRACE_S), (child.terminate, TERMINATE_GRACE_S)):
        if action is not None:
            action()
        try:
            child.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue
    _kill(child)


def _kill(child: subprocess.Popen) -> None:
    """Kill the child and whatever it started (its process group, on POSIX); reap it."""
    try:
        if os.name == "posix":
            os.killpg(child.pid, signal.SIGKILL)
        else:
            child.kill()
    except OSError:  # (gone already)
        pass
    child.wait()


__all__: Sequence[str] = ("run_anonymise_beside", "ChildFailed", "child_request")
