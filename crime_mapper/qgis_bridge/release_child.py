"""The dock's monthly release, run in a child Python process: ``python -m
crime_mapper.qgis_bridge.release_child``.

Why a process and not a thread: the release's pandas/numpy work holds Python's interpreter
lock for seconds at a time, and every Python slot of the QGIS user interface needs that lock,
so a release in a QgsTask thread froze QGIS for up to 16 s (bench u_dock_release). Here the
work has its own interpreter; the dock's task (qgis_bridge.release_process) only reads lines.

Protocol (all JSON, one object per line):

- stdin, first line: the request ``{"config": ReleaseConfig.to_dict(), "base_dir",
  "source", "month", "steps", "previous", "other_crimes"}`` (previous:
  core.monthly.outputs_json, or null; other_crimes: the internal crimes tables of the
  project's other loads, whose raw locations the map points must not be).
  Later lines: ``cancel`` asks the run to stop; end of input (the dock went away) does too;
  ``commit`` answers a ``ready``. The input is looked at whenever the run checks its
  cancel, not read on a thread: with no other Python thread the release forks its work
  beside it (the public GeoPackage, the load's tables, the web map, the gate's reads)
  exactly as the command line's does.
- stdout: ``{"event": "progress", "value"}``, ``{"event": "step", "step", "state"}``,
  ``{"event": "ready"}`` before every commit point (a step's outputs staged, gated and past
  their last check: the dock answers ``commit``, or ``cancel`` if the user has cancelled;
  only ``commit`` moves them into place: core.common.staging.ask_before_commits), then
  exactly one of ``{"event": "finished", "outputs"}``, ``{"event": "failed", "step",
  "message", "outputs"}``, ``{"event": "cancelled", "outputs"}`` or ``{"event": "error",
  "message", "details"}`` (after a failure or a cancel, outputs: what the steps before it
  wrote, or null).
  Anything else the libraries print goes to stderr (the protocol has stdout to itself).

The run is the command line's (qgis_bridge.monthly_release.run_headless: QGIS without a
display and the QGIS step runners), so the files are byte-identical to ``crime_mapper.cli
release`` and ``qgis_process``. Cancelling raises core.common.feedback.Cancelled inside the
run (a SIGTERM does too), so staged writes are dropped and earlier outputs stay as they were.
The child runs at a lower scheduling priority than QGIS, so the user interface comes first.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import Any, Callable

from ..core.common.child_lines import (
    LineProtocol,
    ProgressFeedback,
    StdinWatch,
    commit_question,
)
from ..core.common.staging import ask_before_commits

EXIT_OK, EXIT_FAILED, EXIT_CANCELLED, EXIT_ERROR = 0, 2, 3, 4
CHILD_NICENESS = 10


def _on_sigterm(_signum: int, _frame: Any) -> None:
    from ..core.common.feedback import Cancelled

    raise Cancelled("terminated by the dock")


def run(
    request: dict[str, Any],
    protocol: LineProtocol,
    cancelled: Callable[[], bool],
    answer: Callable[[], bytes],
) -> int:
    """The release the request asks for; ``cancelled``: whether the dock asked it to stop;
    ``answer``: the dock's answer to ``ready`` (waiting for it)."""
    from ..core.common.feedback import Cancelled
    from ..core.monthly.config import ConfigError, ReleaseConfig
    from ..core.monthly.outputs_json import outputs_from_dict, outputs_to_dict
    from ..core.monthly.release import MonthlyReleaseError, cancelled_text

    try:
        source = Path(request["source"]) if request.get("source") else None
        config = ReleaseConfig.from_dict(request["config"], request["base_dir"], source=source)
        month = str(request["month"])
        steps = list(request.get("steps") or ())
        from .release_process import hotspot_from_dict

        previous = request.get("previous")
        previous = outputs_from_dict(previous, hotspot_from_dict) if previous else None
    except (KeyError, TypeError, ValueError, ConfigError) as exc:
        protocol.send("error", message=f"the dock's request could not be read: {exc}", details="")
        return EXIT_ERROR
    try:
        from .monthly_release import run_headless

        options: dict[str, Any] = {
            "on_step": lambda step, state: protocol.send("step", step=step, state=state),
            "previous": previous,
            "other_crimes": [str(p) for p in request.get("other_crimes") or ()],
        }
        if steps:
            options["steps"] = steps
        feedback = ProgressFeedback(protocol, cancelled)
        ask_before_commits(commit_question(protocol, feedback, answer))
        outputs = run_headless(config, month, feedback, **options)
    except Cancelled as exc:
        protocol.send("cancelled", outputs=_partial(exc), message=cancelled_text(exc))
        return EXIT_CANCELLED
    except MonthlyReleaseError as exc:
        protocol.send("failed", step=exc.step, message=str(exc), outputs=_partial(exc))
        return EXIT_FAILED
    except Exception as exc:  # noqa: BLE001 - reported to the dock with the traceback
        protocol.send(
            "error", message=f"{type(exc).__name__}: {exc}", details=traceback.format_exc()
        )
        return EXIT_ERROR
    protocol.send("finished", outputs=outputs_to_dict(outputs))
    return EXIT_OK


def _lower_priority() -> None:
    """The release yields the processors to QGIS: on a busy two-core laptop (or while the
    snapping uses every core) the user interface's thread is scheduled first. Windows: the
    dock starts the child below normal priority (release_process)."""
    if hasattr(os, "nice"):
        try:
            os.nice(CHILD_NICENESS)
        except OSError:
            pass


def _partial(exc: BaseException) -> Any:
    """What the steps before a failure or a cancel wrote, as JSON (None if nothing)."""
    from ..core.monthly.outputs_json import outputs_to_dict
    from ..core.monthly.release import PARTIAL_OUTPUTS

    partial = getattr(exc, PARTIAL_OUTPUTS, None)
    return outputs_to_dict(partial) if partial is not None else None


def main() -> int:
    _lower_priority()
    # the protocol keeps the real stdout; everything else printed (Python or C) goes to stderr
    protocol = LineProtocol(os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8"))
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    # the dock's input is read without a thread, so the release may fork as the command
    # line's does (core.common.child_lines.StdinWatch)
    watch = StdinWatch(sys.stdin.fileno())
    try:
        request = json.loads(watch.first_line().decode("utf-8") or "null")
        if not isinstance(request, dict):
            raise ValueError("no request on the first line")
    except ValueError as exc:
        protocol.send("error", message=f"the dock's request could not be read: {exc}", details="")
        return EXIT_ERROR
    if os.name != "posix":
        watch.read_in_thread()
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, _on_sigterm)
    return run(request, protocol, watch.poll, watch.answer)


def leave(code: int) -> None:
    """End the process once its result is sent, without Python's teardown: after a release
    cancelled in its hotspots step, destroying what was left of QGIS's objects once QGIS had
    stopped crashed the process (SIGSEGV, after the ``cancelled`` line; on Windows a crash
    report). Nothing is left to do: every output is in place or removed, every forked child
    reaped, the protocol's last line flushed."""
    for stream in (sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


if __name__ == "__main__":
    leave(main())
