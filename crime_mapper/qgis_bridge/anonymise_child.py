"""crime_mapper:anonymise's release, run in a plain Python process: ``python -m
crime_mapper.qgis_bridge.anonymise_child``.

Why a process of its own: inside a QGIS process (qgis_process, the desktop) the release may
not fork (core.common.forked: Qt's and GDAL's threads), so work that the command line runs
in a forked child beside the rest cannot overlap there. This process is plain Python: it
imports no QGIS, runs core.release.pipeline.run_anonymise exactly as the command line does
(the same code, so the same public files), and may fork. The QGIS side
(qgis_bridge.anonymise_process) adds what only QGIS can: it writes the public layer's style
before starting this process and gives its bytes (this process copies them into the staged
release, where the leak gate checks them as always), and it gives the QGIS version for the
manifest.

Protocol (JSON, one object per line):

- stdin, first line: the request (see :func:`run`); later lines: ``cancel`` asks the run to
  stop, and so does the end of input (the QGIS side went away). Once the release is staged
  and gated, its last progress and ``{"event": "ready"}`` are sent and it waits for the
  answer: ``commit`` moves it into place, ``cancel`` or the end of input replaces nothing
  (core.common.child_lines.commit_question).
- stdout: ``{"event": "progress", "value"}``, then exactly one of
  ``{"event": "finished", "outputs"}`` (core.release.pipeline.ReleaseOutputs as JSON),
  ``{"event": "failed", "kind", "message"}`` (kind: "cancelled", "leak" (the leak gate
  refused), "input" (ReleaseInputError), "os" or "value": the errors the algorithm reports
  in words) or ``{"event": "error", "message", "details"}`` (anything else, with its
  traceback). Whatever the libraries print goes to stderr.

Any failure leaves the previous release as it was (the pipeline stages every output).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import shutil
import signal
import sys
import traceback
from pathlib import Path
from typing import Any, Callable, Optional

from ..core.common.child_lines import (
    LineProtocol,
    ProgressFeedback,
    StdinWatch,
    commit_question,
)
from .release_child import EXIT_CANCELLED, EXIT_ERROR, EXIT_FAILED, EXIT_OK

#: request keys that are file paths (or None) passed to run_anonymise as they are
PATH_KEYS = (
    "output_dir",
    "rules",
    "salt_file",
    "profile_path",
    "public_csv_path",
    "public_gpkg_path",
    "audit_json_path",
    "audit_html_path",
    "manifest_path",
    "qa_report",
)


def outputs_to_dict(outputs: Any) -> dict[str, Any]:
    """core.release.pipeline.ReleaseOutputs as JSON-able values (paths as text)."""
    data = dataclasses.asdict(outputs)
    for key in ("public_csv", "public_gpkg", "audit_json", "audit_html", "manifest", "qml"):
        data[key] = str(data[key]) if data[key] is not None else None
    return data


def outputs_from_dict(data: dict[str, Any]) -> Any:
    """The ReleaseOutputs :func:`outputs_to_dict` sent (KeyError/TypeError when malformed)."""
    from ..core.release.pipeline import ReleaseOutputs

    values = dict(data)
    for key in ("public_csv", "public_gpkg", "audit_json", "audit_html", "manifest", "qml"):
        values[key] = Path(values[key]) if values[key] is not None else None
    return ReleaseOutputs(**values)


def style_copier(style: Optional[str]) -> Optional[Callable[[Path], None]]:
    """The pipeline's style writer: a copy of the style QGIS wrote (None: no style)."""
    if not style:
        return None

    def write(path: Path) -> None:
        shutil.copyfile(style, path)

    return write


def _points(request: dict[str, Any]) -> Any:
    from ..core.release.map_points_files import MapPointsSpec

    points = request["points"]
    if isinstance(points, dict):
        return MapPointsSpec(
            str(points["kind"]),
            paths=[str(p) for p in points["paths"]],
            description=str(points.get("description") or ""),
        )
    return str(points)


def run(
    request: dict[str, Any],
    protocol: LineProtocol,
    feedback: ProgressFeedback,
    answer: Callable[[], bytes],
) -> int:
    """The release the request describes: ``crimes`` (paths, or a crimes GeoPackage URI),
    ``points`` (a map points file, or a file/history MapPointsSpec as
    {"kind", "paths", "description"}), ``max_distance_m``, ``other_crimes``, ``style`` (the
    style file QGIS wrote, or null), ``qgis_version`` and :data:`PATH_KEYS`. ``answer``:
    the caller's answer to ``ready``, waited for (StdinWatch.answer)."""
    from ..core.common.feedback import Cancelled
    from ..core.gate.leak_gate import LeakError
    from ..core.release.pipeline import run_anonymise
    from ..core.release.release_files import ReleaseInputError

    try:
        crimes = request["crimes"]
        crimes = [str(p) for p in crimes] if isinstance(crimes, list) else str(crimes)
        points = _points(request)
        kwargs = {key: request.get(key) or None for key in PATH_KEYS}
        kwargs["max_distance_m"] = request["max_distance_m"]
        kwargs["other_crimes"] = [str(p) for p in request.get("other_crimes") or ()]
        kwargs["qgis_version"] = request.get("qgis_version")
        style_writer = style_copier(request.get("style"))
    except (KeyError, TypeError, ValueError) as exc:
        protocol.send("error", message=f"the request could not be read: {exc}", details="")
        return EXIT_ERROR
    try:
        outputs = run_anonymise(
            crimes,
            points,
            feedback=feedback,
            style_writer=style_writer,
            # a process of its own: the public GeoPackage written and gated in a forked
            # child beside the CSV's write and gate (core.release.gpkg_beside)
            fork_gpkg=True,
            before_commit=commit_question(protocol, feedback, answer),
            **kwargs,
        )
    except Cancelled as exc:
        protocol.send("failed", kind="cancelled", message=str(exc))
        return EXIT_CANCELLED
    except LeakError as exc:
        protocol.send("failed", kind="leak", message=str(exc))
        return EXIT_FAILED
    except ReleaseInputError as exc:
        protocol.send("failed", kind="input", message=str(exc))
        return EXIT_FAILED
    except (OSError, ValueError) as exc:
        kind = "os" if isinstance(exc, OSError) else "value"
        protocol.send("failed", kind=kind, message=str(exc))
        return EXIT_FAILED
    except Exception as exc:  # noqa: BLE001 - reported to the QGIS side with the traceback
        protocol.send(
            "error", message=f"{type(exc).__name__}: {exc}", details=traceback.format_exc()
        )
        return EXIT_ERROR
    protocol.send("finished", outputs=outputs_to_dict(outputs))
    return EXIT_OK


def _on_sigterm(_signum: int, _frame: Any) -> None:
    from ..core.common.feedback import Cancelled

    raise Cancelled("terminated by QGIS")


def main() -> int:
    # the protocol keeps the real stdout; everything else printed (Python or C) goes to stderr
    protocol = LineProtocol(os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8"))
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    watch = StdinWatch(sys.stdin.fileno())
    # imported while the QGIS side reads its parameters and writes the style
    importlib.import_module("..core.release.pipeline", __package__)

    try:
        request = json.loads(watch.first_line().decode("utf-8") or "null")
        if not isinstance(request, dict):
            raise ValueError("no request on the first line")
    except ValueError as exc:
        protocol.send("error", message=f"the request could not be read: {exc}", details="")
        return EXIT_ERROR
    if os.name != "posix":
        watch.read_in_thread()
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, _on_sigterm)
    return run(request, protocol, ProgressFeedback(protocol, watch.poll), watch.answer)


if __name__ == "__main__":
    sys.exit(main())
