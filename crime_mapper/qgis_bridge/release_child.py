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
  Later lines: ``cancel`` asks the run to stop; end of input (the dock went away) does too.
- stdout: ``{"event": "progress", "value"}``, ``{"event": "step", "step", "state"}``, then
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
import threading
import traceback
from pathlib import Path
from typing import IO, Any

from ..core.common.child_lines import LineProtocol, ProgressFeedback

EXIT_OK, EXIT_FAILED, EXIT_CANCELLED, EXIT_ERROR = 0, 2, 3, 4
CHILD_NICENESS = 10


def _watch_stdin(stream: IO[str], cancelled: threading.Event) -> None:
    """Any ``cancel`` line, or the end of input (the dock is gone), stops the run."""
    for line in stream:
        if line.strip() == "cancel":
            break
    cancelled.set()


def _on_sigterm(_signum: int, _frame: Any) -> None:
    from ..core.common.feedback import Cancelled

    raise Cancelled("terminated by the dock")


def run(request: dict[str, Any], protocol: LineProtocol, cancelled: threading.Event) -> int:
    from ..core.common.feedback import Cancelled
    from ..core.monthly.config import ConfigError, ReleaseConfig
    from ..core.monthly.outputs_json import outputs_from_dict, outputs_to_dict
    from ..core.monthly.release import MonthlyReleaseError

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
        outputs = run_headless(
            config, month, ProgressFeedback(protocol, cancelled.is_set), **options
        )
    except Cancelled as exc:
        protocol.send("cancelled", outputs=_partial(exc))
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
    try:
        request = json.loads(sys.stdin.readline() or "null")
        if not isinstance(request, dict):
            raise ValueError("no request on the first line")
    except ValueError as exc:
        protocol.send("error", message=f"the dock's request could not be read: {exc}", details="")
        return EXIT_ERROR
    cancelled = threading.Event()
    threading.Thread(target=_watch_stdin, args=(sys.stdin, cancelled), daemon=True).start()
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, _on_sigterm)
    return run(request, protocol, cancelled)


if __name__ == "__main__":
    sys.exit(main())
