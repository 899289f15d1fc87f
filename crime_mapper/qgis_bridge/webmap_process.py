"""The web map export from inside QGIS (the Processing algorithm, the dock's Web map tab):
gated against the raw crimes, it runs in a child Python process (core.publish.webmap_process).

Why: a QGIS process must not fork (core.common.forked), so the gated export ran its halves in
one process, taking turns on one interpreter lock (some 7-8 s nationally against the command
line's 4.8 s). The child is a plain Python process that forks as the command line does. The
same files, gate, messages and exceptions as core.publish.webmap_run.run_webmap.

What goes to the child: paths as they are (releases, raw extracts or the crimes GeoPackage of
a load, the profile, a neighbourhoods source), neighbourhoods read from a layer as the core
set (pickled), and map points: a file's description as it is, a QGIS layer's points (a
delimited text, memory or any non-GeoPackage layer, which the child could not open without
QGIS) read here first, as the in-process export read them.

Which Python: the dock's release process's (qgis_bridge.release_process.find_python: the
CRIME_MAPPER_PYTHON variable or the crime_mapper/release/python setting, else a Python of
QGIS's version beside QGIS or on PATH). With none, the export runs here as before (slower,
the same files) and says why. Without the raw crimes the export runs here too: it has no raw
side to prepare beside the folder, so a child would only add its start-up.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Callable, Optional

from ..core.common.feedback import Feedback, ScaledFeedback
from ..core.publish.webmap_export import WebmapResult

#: What the note says when no Python was found and the export runs in this process.
IN_PROCESS_NOTE = (
    "The web map is exported inside QGIS (slower), because no separate Python was found: {why}"
)

_found: dict[tuple[str, ...], str] = {}  # candidates -> the interpreter found among them


def child_python() -> str:
    """The interpreter for the child (release_process.find_python, remembered per list of
    candidates, so each export does not ask every candidate its version again)."""
    from .release_process import find_python, python_candidates

    key = tuple(python_candidates())
    if key not in _found:
        _found[key] = find_python()
    return _found[key]


def portable_points(points: Any, feedback: Feedback) -> Any:
    """Map points the child can resolve without QGIS: a QGIS layer's points read here (as
    MapPoints, with the pipeline's errors), a core description as the core's class, any
    other value (a path, MapPoints, None) as it is."""
    from ..core.release.map_points_files import MapPointsSpec as CoreSpec

    if not isinstance(points, CoreSpec) or type(points) is CoreSpec:
        return points
    if points.kind in ("points", "roads"):
        from ..core.release.map_points import MapPointsError
        from ..core.release.pipeline import resolve_points
        from ..core.release.release_files import ReleaseInputError

        try:
            resolved, _ = resolve_points(points, None, ScaledFeedback(feedback, 0, 5))
        except MapPointsError as exc:
            raise ReleaseInputError(f"Map points: {exc}") from exc
        except ValueError as exc:
            if isinstance(exc, ReleaseInputError):
                raise
            raise ReleaseInputError(str(exc)) from exc
        return resolved
    return CoreSpec(**{f.name: getattr(points, f.name) for f in fields(CoreSpec)})


def run_webmap_qgis(
    releases: Any,
    out_dir: Any,
    *,
    raw: Any = None,
    points: Any = None,
    profile_path: Any = None,
    neighbourhoods: Any = None,
    feedback: Optional[Feedback] = None,
    note: Optional[Callable[[str], None]] = None,
    read_neighbourhoods: Optional[Callable[[], Any]] = None,
    **settings: Any,
) -> WebmapResult:
    """run_webmap's arguments and contract (see the module docstring); ``note`` is told why
    the export runs in this process when no Python was found. ``read_neighbourhoods``
    (instead of ``neighbourhoods``): a call that reads them, made on this thread once the
    child has started, so the child opens the raw side meanwhile (made first, as before,
    when the export runs here); what it raises stops the export."""
    from ..core.publish.webmap_run import run_webmap

    feedback = feedback or Feedback()
    if read_neighbourhoods is not None and (raw is None or points is None):
        neighbourhoods = read_neighbourhoods()
    arguments = {
        "raw": raw,
        "points": points,
        "profile_path": profile_path,
        "neighbourhoods": neighbourhoods,
    }
    if raw is None or points is None:
        return run_webmap(releases, out_dir, feedback=feedback, **arguments, **settings)
    from .release_process import PythonNotFound

    try:
        python = child_python()
    except PythonNotFound as exc:
        if note is not None:
            note(IN_PROCESS_NOTE.format(why=exc))
        if read_neighbourhoods is not None:
            arguments["neighbourhoods"] = read_neighbourhoods()
        return run_webmap(releases, out_dir, feedback=feedback, **arguments, **settings)
    from ..core.publish.webmap_process import export_in_child, more_bytes, request_bytes
    from .release_process import PACKAGE_PARENT, child_environment

    portable = portable_points(points, feedback)
    feedback.check()
    request = request_bytes(
        releases, out_dir, raw=raw, points=portable, profile_path=profile_path, settings=settings
    )

    def more() -> bytes:
        hoods = read_neighbourhoods() if read_neighbourhoods is not None else neighbourhoods
        return more_bytes(hoods)

    return export_in_child(
        python,
        request,
        out_dir,
        feedback,
        more=more,
        env=child_environment(),
        cwd=str(PACKAGE_PARENT),
    )
