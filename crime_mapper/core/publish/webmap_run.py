"""The web map export from paths: the one call the command line, Processing and the dock make.

Opens the raw crimes and map points the way check-release does (core.release.pipeline) when
they are given, so the full leak gate runs; without them the export is gated on the public
checks only (police.uk downloads have no raw table behind them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

from ..common.feedback import Feedback, ScaledFeedback
from .webmap_export import WebmapOptions, WebmapResult, export_webmap

PathLike = Union[str, Path]


@dataclass
class OpenedInputs:
    """The raw side of a gated export, opened (:func:`open_gate_inputs`): the raw crimes
    (None without them), their map points, the raw load's file errors and the release gate
    the folder and any linked CSV share."""

    crimes: Any = None
    points: Any = None
    file_errors: list[str] = field(default_factory=list)
    release_gate: Any = None


def run_webmap(
    releases: Sequence[PathLike],
    out_dir: PathLike,
    *,
    raw: Any = None,
    points: Any = None,
    profile_path: Optional[PathLike] = None,
    neighbourhoods: Any = None,
    feedback: Optional[Feedback] = None,
    release_gate: Any = None,
    **settings: Any,
) -> WebmapResult:
    """Export ``releases`` into ``out_dir`` (the map folder itself, e.g. <out>/map).

    ``raw``: extract paths (or a CrimesInput); ``points``: a map points file or MapPoints;
    both or neither. ``neighbourhoods``: a summaries NeighbourhoodSource (files) or a
    Neighbourhoods set (e.g. from a QGIS layer), as the summaries take it. ``settings``: the
    other WebmapOptions fields (title, tiles, summaries...). ``release_gate``: the
    release's core.gate.leak_gate.ReleaseGate (the monthly release passes the one its
    anonymise step used); with raw and points, one is made here otherwise, so the folder
    and any linked CSV share one raw-side preparation. Returns the WebmapResult, with the
    raw load's file errors added to its warnings. The two halves, :func:`open_gate_inputs`
    then :func:`export_opened` (a child process given the neighbourhoods while it opens the
    raw side calls them apart: core.publish.webmap_child). With ``export_beside`` and the
    raw side to read, the folder is staged by a forked child while it is read
    (core.publish.webmap_early): the same folder, verdict and errors.
    """
    feedback = feedback or Feedback()
    if _reads_raw(raw, points) and settings.get("export_beside"):
        from .webmap_early import export_reading_raw, stages_early

        _check_gate_inputs(raw, points)
        options = _options(releases, out_dir, None, neighbourhoods, **settings)
        if stages_early(options):  # (the folder staged while the raw side is read)

            def open_raw(fb: Feedback) -> OpenedInputs:
                return open_gate_inputs(raw, points, profile_path, fb, release_gate)

            return export_reading_raw(options, open_raw, feedback)
        neighbourhoods = options.neighbourhoods  # (read once)
    opened = open_gate_inputs(raw, points, profile_path, feedback, release_gate)
    return export_opened(releases, out_dir, opened, neighbourhoods, feedback, **settings)


def stages_before_reading(raw: Any, points: Any, settings: dict[str, Any]) -> bool:
    """Whether run_webmap stages the folder in a forked child before it reads the raw
    side (core.publish.webmap_early): asked for (``export_beside``), the raw side is to be
    read, and a child may be forked now (a second core, no other Python thread). A caller
    that gets the neighbourhoods late (core.publish.webmap_child) waits for them first then,
    since the staging child needs them."""
    from ..common import forked

    return (
        bool(settings.get("export_beside"))
        and _reads_raw(raw, points)
        and forked.available()
        and forked.alone()
    )


def _reads_raw(raw: Any, points: Any) -> bool:
    """Whether the raw crimes and map points are to be read (not handed over open, as
    the monthly release hands over what its anonymise step read)."""
    from ..release.crimes_input import CrimesInput
    from ..release.map_points import MapPoints

    if raw is None or points is None:
        return False
    return not (isinstance(raw, CrimesInput) and isinstance(points, MapPoints))


def _check_gate_inputs(raw: Any, points: Any) -> None:
    """What open_gate_inputs checks before it reads anything (both or neither; the
    extracts' paths), so that a bad path fails before any work."""
    from ..release.release_files import ReleaseInputError

    if (raw is None) != (points is None):
        raise ReleaseInputError(
            "the leak gate against the raw crimes needs both the raw extracts and the map "
            "points the release was snapped to"
        )
    if raw is not None and not hasattr(raw, "crimes"):
        from ..release.pipeline import check_crimes_paths

        check_crimes_paths(raw)


def open_gate_inputs(
    raw: Any,
    points: Any,
    profile_path: Optional[PathLike],
    feedback: Feedback,
    release_gate: Any = None,
) -> OpenedInputs:
    """run_webmap's first half: the raw crimes and map points opened (both or neither;
    progress 0-30), with the release gate to share."""
    _check_gate_inputs(raw, points)
    if raw is None:
        return OpenedInputs()
    from ..release.pipeline import open_release_inputs, release_profile

    profile = release_profile(profile_path)
    from .summaries_run import opened_inputs

    source, point_set = opened_inputs(raw, points, profile, feedback, open_release_inputs)
    crimes = source.crimes
    from ..gate.leak_gate import ReleaseGate

    if not isinstance(release_gate, ReleaseGate) or not release_gate.serves(crimes, point_set):
        release_gate = ReleaseGate(crimes, point_set)
    return OpenedInputs(crimes, point_set, list(source.file_errors), release_gate)


def export_opened(
    releases: Sequence[PathLike],
    out_dir: PathLike,
    opened: OpenedInputs,
    neighbourhoods: Any,
    feedback: Feedback,
    **settings: Any,
) -> WebmapResult:
    """run_webmap's second half: the neighbourhoods read, the folder exported and gated
    (progress 30-100 with the raw crimes, 0-100 without)."""
    options = _options(releases, out_dir, opened, neighbourhoods, **settings)
    gated = opened.crimes is not None
    result = export_webmap(options, ScaledFeedback(feedback, 30.0 if gated else 0, 100))
    result.warnings.extend(opened.file_errors)
    return result


def _options(
    releases: Sequence[PathLike],
    out_dir: PathLike,
    opened: Optional[OpenedInputs],
    neighbourhoods: Any,
    **settings: Any,
) -> WebmapOptions:
    """The export's options: the neighbourhoods read (a NeighbourhoodSource) or as given,
    the raw side from ``opened`` (None: not yet)."""
    hoods = None
    if neighbourhoods is not None:
        from .neighbourhoods import Neighbourhoods
        from .summaries_run import load_neighbourhoods

        hoods = (
            neighbourhoods
            if isinstance(neighbourhoods, Neighbourhoods)
            else load_neighbourhoods(neighbourhoods)
        )
    gated = opened is not None and opened.crimes is not None
    return WebmapOptions(
        inputs=list(releases),
        out_dir=out_dir,
        raw=opened.crimes if opened is not None else None,
        points=opened.points if opened is not None else None,
        neighbourhoods=hoods,
        release_gate=opened.release_gate if gated and opened is not None else None,
        **settings,
    )
