"""The dock's monthly release as a QgsTask that runs the work in a child Python process.

Why: a release in a QgsTask *thread* froze QGIS for up to 16 s at national scale (bench
u_dock_release), because pandas/numpy hold Python's interpreter lock through long calls and
every Python slot of the user interface waits for it. :class:`ChildReleaseTask` starts
``python -m crime_mapper.qgis_bridge.release_child`` (see its protocol), and its own thread
only waits for lines: step states reach the dock through ``stepChanged``, progress through
the task's progress, Cancel asks the child to stop (then terminates it, then kills it), the
child's question before each commit (``ready``) is answered ``commit`` only while the user
has not cancelled, and the outputs come back as JSON for the dock to show and add to the map
on the main thread.

Which Python: inside QGIS ``sys.executable`` is the QGIS program, not an interpreter. The
child needs a Python of the same version that can import QGIS's bindings: the one named by
the ``CRIME_MAPPER_PYTHON`` environment variable or the ``crime_mapper/release/python``
setting, else ``sys.executable`` when it is a Python, else ``python3.X``/``python3``/
``python.exe`` beside QGIS's Python and on PATH. Each candidate is asked its version (in the
task's thread, never the user interface's); none fitting gives a clear message naming the
setting. The child gets the dock's import path (so the same plugin code and QGIS bindings)
and QGIS's prefix path.

Other loaded months: the task lists the internal crimes tables of the project's other loads
when it is made (main thread) and the child's anonymise step refuses map points at their
raw locations, as the Release tab and crime_mapper:anonymise do (issue 9).
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, Optional

from qgis.core import QgsProject, QgsTask
from qgis.PyQt.QtCore import pyqtSignal

from ..core.common.child_lines import (
    answer_commit,
    close_pipes,
    parse_event,
    read_lines,
    send_cancel,
)
from ..core.common.text_file import shown_path
from ..core.monthly.config import ReleaseConfig
from ..core.monthly.release import MonthlyOutputs

PYTHON_SETTING = "crime_mapper/release/python"
PYTHON_ENV = "CRIME_MAPPER_PYTHON"
CHILD_MODULE = "crime_mapper.qgis_bridge.release_child"
PACKAGE_PARENT = Path(__file__).resolve().parent.parent.parent
#: After Cancel: seconds for the child to stop by itself, then after SIGTERM, before a kill.
CANCEL_GRACE_S = 10.0
TERMINATE_GRACE_S = 5.0
_POLL_S = 0.1


class PythonNotFound(RuntimeError):
    """No Python interpreter able to run the release was found."""


def hotspot_from_dict(data: dict[str, Any]) -> Any:
    """A hotspot layer's record (core.monthly.outputs_json) as HotspotOutputs (ValueError
    or TypeError when a value is not of the type written)."""
    from ..core.monthly.outputs_json import hotspot_values
    from .hotspot_layers import HotspotOutputs

    return HotspotOutputs(**hotspot_values(data))


def outputs_from_json(data: dict[str, Any]) -> MonthlyOutputs:
    from ..core.monthly.outputs_json import outputs_from_dict

    return outputs_from_dict(data, hotspot_from_dict)


# --- the interpreter ------------------------------------------------------------------------


def _configured_python() -> str:
    value = os.environ.get(PYTHON_ENV, "")
    if not value:
        try:
            from qgis.core import QgsSettings

            setting = QgsSettings().value(PYTHON_SETTING, "")
            value = setting if isinstance(setting, str) else ""  # (a hand-edited list: none)
        except Exception:  # noqa: BLE001 - settings unavailable (no QGIS application)
            value = ""
    return value.strip()


def python_candidates() -> list[str]:
    """Interpreters to try, most specific first (see the module docstring)."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    found: list[str] = []
    configured = _configured_python()
    if configured:
        return [configured]
    exe = Path(sys.executable) if sys.executable else None
    if exe is not None and exe.name.lower().startswith("python"):
        found.append(str(exe))
    names = [f"python{version}", "python3", "python"]
    folders = []
    for prefix in dict.fromkeys((sys.exec_prefix, sys.base_exec_prefix, sys.prefix)):
        folders += [Path(prefix) / "bin", Path(prefix)]  # Linux/macOS; Windows (OSGeo4W)
    if exe is not None:
        folders += [exe.parent / "bin", exe.parent]  # macOS QGIS.app/Contents/MacOS/bin
    for folder in folders:
        for name in names:
            for suffix in ("", ".exe"):
                candidate = folder / f"{name}{suffix}"
                if candidate.is_file():
                    found.append(str(candidate))
    for name in names:
        which = shutil.which(name)
        if which:
            found.append(which)
    return list(dict.fromkeys(found))


def _version_of(python: str) -> Optional[str]:
    try:
        done = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            **_no_window(),
        )
    except (OSError, ValueError, subprocess.SubprocessError):  # (ValueError: a NUL in it)
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def find_python() -> str:
    """The interpreter for the child (see the module docstring); PythonNotFound otherwise."""
    want = f"{sys.version_info.major}.{sys.version_info.minor}"
    tried = []
    for candidate in python_candidates():
        got = _version_of(candidate)
        if got == want:
            return candidate
        # (shown: the path is a setting's or a variable's, and a newline in it must not
        # start a line of the message's own)
        # A NUL: a setting edited by hand (subprocess raised "embedded null byte" out of the
        # release, the anonymise step and the web map export)
        why = "a path cannot hold a NUL character" if "\x00" in candidate else "does not run"
        tried.append(f"{shown_path(candidate)} ({'Python ' + got if got else why})")
    raise PythonNotFound(
        f"The release runs in a separate Python {want} so that QGIS stays responsive, but "
        f"none was found (tried: {', '.join(tried) or 'nothing on PATH'}). Set the "
        f"{PYTHON_ENV} environment variable, or the QGIS setting {PYTHON_SETTING} (Settings > "
        f"Options > Advanced), to the Python {want} that runs QGIS's Python bindings."
    )


def _no_window() -> dict[str, Any]:
    """Windows: start a child without a console window."""
    flag = getattr(subprocess, "CREATE_NO_WINDOW", 0)
    return {"creationflags": flag} if flag else {}


def _background() -> dict[str, Any]:
    """Windows: the release's child without a console window and below normal priority, so
    QGIS's user interface is scheduled first (POSIX: the child lowers its own priority)."""
    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
    flags |= getattr(subprocess, "BELOW_NORMAL_PRIORITY_CLASS", 0)
    return {"creationflags": flags} if flags else {}


def child_environment() -> dict[str, str]:
    """The dock's environment, plus its import path (the plugin's parent folder first) and
    QGIS's prefix, headless."""
    env = dict(os.environ)
    entries = [str(PACKAGE_PARENT)]
    entries += [p for p in sys.path if p and os.path.exists(p)]
    entries += [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(entries))
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["PYTHONIOENCODING"] = "utf-8"
    try:
        from qgis.core import QgsApplication

        prefix = QgsApplication.prefixPath()
        if prefix:
            env.setdefault("QGIS_PREFIX_PATH", prefix)
    except Exception:  # noqa: BLE001 - no QGIS application: the child finds its own
        pass
    return env


def child_request(
    config: ReleaseConfig,
    month: str,
    steps: Optional[list[str]] = None,
    previous: Optional[dict[str, Any]] = None,
    other_crimes: Sequence[str] = (),
) -> dict[str, Any]:
    return {
        "config": config.to_dict(),
        "base_dir": str(config.base_dir),
        "source": str(config.source) if config.source else "",
        "month": month,
        "steps": list(steps or []),
        "previous": previous,
        "other_crimes": list(other_crimes),
    }


# --- the task -------------------------------------------------------------------------------


class ChildReleaseTask(QgsTask):
    """The release (or some of its steps) in a child process.

    After the task: ``outputs`` (MonthlyOutputs or None), ``outputs_json`` (the same as the
    child sent it, for the project), ``error`` (None, "Cancelled" or the reason and what to
    do), ``failed_step``, ``details`` (a traceback or the child's last messages, for the
    log) and, after a failure or a cancel, ``partial_outputs``/``partial_json``."""

    #: (step, state) as the run goes, on the main thread.
    stepChanged = pyqtSignal(str, str)  # noqa: N815 (Qt signal naming)

    def __init__(
        self,
        config: ReleaseConfig,
        month: str,
        steps: Optional[list[str]] = None,
        previous: Optional[dict[str, Any]] = None,
        other_crimes: Optional[Sequence[str]] = None,
        prepare_layers: bool = False,
    ) -> None:
        what = f"steps {', '.join(steps)}" if steps else "monthly release"
        super().__init__(f"crime_mapper: {what} {month}", QgsTask.Flag.CanCancel)
        if other_crimes is None:  # made on the main thread: the project's other loads
            from .crimes_source import loaded_internal_crimes

            other_crimes = loaded_internal_crimes(QgsProject.instance())
        self.request = child_request(config, month, steps, previous, other_crimes)
        self.outputs: Optional[MonthlyOutputs] = None
        self.outputs_json: Optional[dict[str, Any]] = None
        self.error: Optional[str] = None
        self.failed_step: Optional[str] = None
        self.details = ""
        self.python = ""
        self.pid: Optional[int] = None
        #: after a failure or a cancel: what the steps before it wrote (JSON and rebuilt)
        self.partial_json: Optional[dict[str, Any]] = None
        self.partial_outputs: Optional[MonthlyOutputs] = None
        #: after a cancel: what it left, in words (core.monthly.release.cancelled_text)
        self.cancel_text = ""
        self.returncode: Optional[int] = None
        #: open and style the release's layers in the task's thread once it finished
        #: (monthly_release.prepare_release_layers): ``layers``, or why not in ``layers_error``
        self.prepare_layers = prepare_layers
        self.layers: Optional[list[tuple[str, Any]]] = None
        self.layers_error = ""
        #: made here, not on the user interface's thread: the outputs as the text the project
        #: keeps, and where each output is (both grow with a national release's summaries)
        self.outputs_text = ""
        self.summary = ""

    def run(self) -> bool:  # the task's thread: waits for lines, never computes
        try:
            self.python = find_python()
        except PythonNotFound as exc:
            self.error = str(exc)
            return False
        with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as stderr:
            try:
                child = subprocess.Popen(
                    [self.python, "-m", CHILD_MODULE],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=stderr,
                    env=child_environment(),
                    cwd=str(PACKAGE_PARENT),
                    text=True,
                    encoding="utf-8",
                    bufsize=1,
                    **_background(),
                )
            except OSError as exc:
                self.error = (
                    f"The release process could not start ({shown_path(self.python)}): {exc}"
                )
                return False
            self.pid = child.pid
            try:
                ok = self._talk(child)
            finally:
                # (it has ended: _talk waits for it; had _talk failed, the end of its
                # input asks it to stop, as the dock's cancel does)
                close_pipes(child)
            stderr.seek(0)
            self._last_words(stderr)
        if ok and self.prepare_layers and self.outputs is not None:
            self._prepare_layers(self.outputs)
        return ok

    def _prepare_layers(self, outputs: MonthlyOutputs) -> None:
        """The release's layers, opened and styled here and handed to the user interface's
        thread, which then only adds them to the project (the release is done whatever
        happens here: a failure is reported when the layers are added)."""
        from qgis.PyQt.QtCore import QCoreApplication

        from .monthly_release import prepare_release_layers

        app = QCoreApplication.instance()
        try:
            self.layers = prepare_release_layers(outputs, app.thread() if app else None)
        except Exception as exc:  # noqa: BLE001 - reported by the dock, the outputs stand
            self.layers, self.layers_error = None, f"{type(exc).__name__}: {exc}"

    def _talk(self, child: subprocess.Popen) -> bool:
        assert child.stdin is not None and child.stdout is not None
        lines: queue.Queue = queue.Queue()
        reader = threading.Thread(target=read_lines, args=(child.stdout, lines), daemon=True)
        reader.start()
        try:
            child.stdin.write(json.dumps(self.request) + "\n")
            child.stdin.flush()
        except OSError:
            pass  # the child is gone already: its exit code and stderr say why
        outcome: Optional[dict[str, Any]] = None
        cancel_sent: Optional[float] = None
        terminated: Optional[float] = None
        while True:
            try:
                line = lines.get(timeout=_POLL_S)
            except queue.Empty:
                line = ""
            if line is None:  # end of the child's output
                break
            if line:
                event = parse_event(line)
                if event is not None and event.get("event") in (
                    "finished",
                    "failed",
                    "cancelled",
                    "error",
                ):
                    outcome = event
                elif event is not None and event.get("event") == "ready":
                    from .load_task import TaskFeedback

                    # every line before it is shown: a Cancel pressed on them counts
                    answer_commit(child, TaskFeedback(self))
                elif event is not None:
                    self._on_event(event)
            if self.isCanceled():
                now = time.monotonic()
                if cancel_sent is None:
                    cancel_sent = now
                    send_cancel(child)
                elif terminated is None and now - cancel_sent > CANCEL_GRACE_S:
                    terminated = now
                    child.terminate()
                elif terminated is not None and now - terminated > TERMINATE_GRACE_S:
                    child.kill()
        self.returncode = child.wait()
        try:
            child.stdin.close()
        except (OSError, ValueError):
            pass
        return self._outcome(outcome)

    def _on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "progress":
            try:
                self.setProgress(max(0.0, min(100.0, float(event.get("value", 0)))))
            except (TypeError, ValueError):
                pass
        elif kind == "step":
            self.stepChanged.emit(str(event.get("step", "")), str(event.get("state", "")))

    def _outcome(self, event: Optional[dict[str, Any]]) -> bool:
        kind = (event or {}).get("event")
        if kind == "finished":
            try:
                self.outputs_json = event["outputs"]  # type: ignore[index]
                self.outputs = outputs_from_json(self.outputs_json or {})
                self.outputs_text = json.dumps(self.outputs_json, sort_keys=True)
                self.summary = self.outputs.summary_text()
            except (KeyError, ValueError, TypeError) as exc:
                self.error = f"The release's results could not be read: {exc}"
                return False
            return True  # it finished before a cancel reached it: the outputs are whole
        partial = (event or {}).get("outputs")
        if kind in ("cancelled", "failed") and isinstance(partial, dict):
            try:
                self.partial_outputs = outputs_from_json(partial)
                self.partial_json = partial
            except (ValueError, TypeError):
                self.partial_outputs = self.partial_json = None
        if kind == "cancelled" or (self.isCanceled() and kind is None):
            self.error = "Cancelled"
            text = (event or {}).get("message")
            self.cancel_text = text if isinstance(text, str) else ""
        elif kind == "failed":
            self.error = str(event.get("message"))  # type: ignore[union-attr]
            self.failed_step = str(event.get("step"))  # type: ignore[union-attr]
        elif kind == "error":
            self.error = str(event.get("message"))  # type: ignore[union-attr]
            self.details = str(event.get("details") or "")  # type: ignore[union-attr]
        else:
            self.error = (
                f"The release process ended without a result (exit code {self.returncode}); "
                "see the crime_mapper log for its messages. Earlier outputs are unchanged."
            )
        return False

    def _last_words(self, stderr: IO[str]) -> None:
        """The child's last messages, for the log when something went wrong."""
        if self.error is None or self.error == "Cancelled":
            return
        text = stderr.read()[-4000:]
        if text.strip():
            self.details = (self.details + "\n" if self.details else "") + text
