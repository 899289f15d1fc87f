"""The gated web map with its folder staged by a forked child before the raw crimes are read.

Why (issue 12: the national map, gated against the raw crimes): a process started for the
export (the command line's ``webmap --raw``, the web map's own Python process under QGIS:
core.publish.webmap_child) must read the raw extract and its map points first (some 5 s
CPU nationally on this machine when loaded), and the export made beside
(core.publish.webmap_beside) forked its child only after that read. But staging the
folder (read the release, aggregate, write: some 4.5 s) needs nothing of the raw side, so
a child forked before the read stages it on the second core meanwhile. Once the raw side
is open and the folder staged, a second child, forked then (it shares the raw crimes
copy-on-write), runs the leak gate's checks of EARLY_CHILD_CHECKS on the staged folder
while this process runs the other three; the two reports are merged into the one
check_release gives (core.publish.webmap_beside.merged_report, which refuses unless
every check is there exactly once). Only this process moves the folder into place, once
both halves have passed. The folder's bytes are those of the export made here: the same
_stage call on the same options.

Failure and cancel, fail closed: until the staging child has said where the folder is, it
owns it (core.common.forked: a failure or a stop removes it, and this process removes
what a killed child left: remove_staged_by); from then on this process does, and removes
it on any failure, refusal or cancel. A checking child that dies, sends no report or
gives no answer within forked.ANSWER_DEADLINE_S makes the export refuse (its
RuntimeError), and is killed at once on a cancel, a failure or that deadline here (it only
reads). When a child cannot be forked, the export is made here as before.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Optional

from ..common.feedback import Feedback, ScaledFeedback
from ..common.gc_pause import gc_paused
from . import webmap_staging
from .webmap_export import (
    PageAreas,
    TileSource,
    WebmapOptions,
    WebmapResult,
    _gate_and_commit,
    _GateViews,
    _raw_gate_report,
    _stage,
    _Staged,
    _verdict,
    export_webmap,
    page_areas,
    page_tiles,
    remove_staged_by,
)
from .webmap_vendor import vendor_files

#: The checks the second child runs on the staged folder (the other three run here). Chosen
#: so that the two halves are about even nationally (CPU, each with the views its checks
#: compute, the folder's read included): these five some 3.6-3.9 s, ``public_schema``,
#: ``no_non_public_values`` and ``no_dates_finer_than_month`` some 3.3-3.4 s. (With the date
#: check in the child too, as until the 42nd session, the child took 4.0-4.2 s against
#: 2.9-3.1 s here, and this process waited a second for it. The contact and location
#: checks cost 0.1 s in the child, which has the lower-case views they share with the
#: reference check, and about a second here. The staging child has nothing of the raw
#: side, so unlike webmap_beside's split the checks all come after the read.)
EARLY_CHILD_CHECKS: tuple[str, ...] = (
    "coordinates_are_map_points",
    "no_raw_coordinates",
    "no_source_references",
    "no_contact_details",
    "locations_are_anonymous",
)

_POLL_S = 0.2  # how often this process checks its own cancel while the checking child works


def stages_early(options: WebmapOptions) -> bool:
    """Whether :func:`export_reading_raw` can fork its staging child now: the export asks
    for a child (``export_beside``: a process of its own), a second core is there, and no
    other Python thread runs (core.common.forked)."""
    from ..common import forked

    return bool(options.export_beside) and forked.available() and forked.alone()


def export_reading_raw(
    options: WebmapOptions, open_raw: Callable[[Feedback], Any], feedback: Feedback
) -> WebmapResult:
    """Export ``options`` (without its raw side) with the folder staged in a forked child
    while ``open_raw(feedback)`` opens the raw crimes here (progress 0-30; it returns
    core.publish.webmap_run.OpenedInputs); see the module docstring. Returns the
    WebmapResult with the raw load's file errors added to its warnings; raises what the
    export made here raises (the previous export untouched)."""
    with gc_paused():
        return _export_reading_raw(options, open_raw, feedback)


def _export_reading_raw(
    options: WebmapOptions, open_raw: Callable[[Feedback], Any], feedback: Feedback
) -> WebmapResult:
    started = time.perf_counter()
    tiles = page_tiles(options)
    target = Path(options.out_dir)
    vendor_files()  # fail before any work when the libraries are missing
    feedback.check()
    hoods = options.neighbourhoods
    areas = page_areas(hoods) if hoods is not None else None
    stager = _stager(options, tiles, target, areas) if stages_early(options) else None
    if stager is None:  # (no child: the raw side opened, then the export as before)
        opened = open_raw(feedback)
        _take_raw(options, opened)
        done = export_webmap(options, ScaledFeedback(feedback, 30.0, 100.0))
        done.warnings.extend(opened.file_errors)
        return done
    try:
        return _export_early(options, open_raw, feedback, started, target, areas, stager)
    except BaseException:
        stager.stop()  # (a child killed while writing leaves what it began)
        remove_staged_by(target, stager.pid)
        raise
    finally:
        stager.stop()  # (nothing once the folder was moved into place)
        if stager.folder is not None:
            webmap_staging.release(stager.folder)  # (moved, or removed: no longer held)


def _take_raw(options: WebmapOptions, opened: Any) -> None:
    options.raw, options.points = opened.crimes, opened.points
    options.release_gate = opened.release_gate if opened.crimes is not None else None


def _stager(
    options: WebmapOptions, tiles: Optional[TileSource], target: Path, areas: Optional[PageAreas]
) -> Any:
    """The staging child (core.publish.webmap_beside.StagedBeside, with no check of its
    own: it has no raw side); None when it cannot be forked (no memory or process left)."""
    from .webmap_beside import StagedBeside

    def stage(feedback: Feedback) -> _Staged:
        staged = _stage(options, feedback, tiles, target, areas)
        staged.inputs = None  # (the gate here has the raw crimes: not sent back)
        staged.areas = None  # (this process's own, the same: not sent back)
        return staged

    try:
        return StagedBeside(stage, lambda folder: None)
    except OSError:
        return None


def _export_early(
    options: WebmapOptions,
    open_raw: Callable[[Feedback], Any],
    feedback: Feedback,
    started: float,
    target: Path,
    areas: Optional[PageAreas],
    stager: Any,
) -> WebmapResult:
    from ..gate.context import CHECK_NAMES
    from .webmap_beside import merged_report

    opened = open_raw(feedback)
    _take_raw(options, opened)
    rest = ScaledFeedback(feedback, 30.0, 100.0)
    views = _GateViews(options, areas)
    stage = stager.staged(rest)
    webmap_staging.hold(stage)  # (the child that made it has not been waited for yet)
    rest.set_progress(40)
    checker = _checker(stage, options, views) if views.warms() else None
    try:
        if checker is None:  # (unusual inputs, or no child: the whole gate here)
            report = _raw_gate_report(stage, options, areas, views.prepared)
        else:
            here = [name for name in CHECK_NAMES if name not in EARLY_CHILD_CHECKS]
            mine = _raw_gate_report(stage, options, areas, views.prepared, here)
            report = merged_report([mine, _report_of(checker, rest)])
        staged, _ = stager.result(rest)
    finally:
        if checker is not None:
            checker.kill()  # (nothing once its report came: reaped)
        views.abandon()
    staged.areas = areas
    gate = _verdict(report, stage, target)
    done = _gate_and_commit(options, rest, started, target, views, staged, gate)
    done.beside = True
    done.warnings.extend(opened.file_errors)
    return done


def _checker(stage: Path, options: WebmapOptions, views: Any) -> Any:
    """The checking child (core.common.forked.ForkedCall) running EARLY_CHILD_CHECKS on the
    staged folder; None when it cannot be forked (another thread runs, or no memory or
    process is left): the checks then all run here."""
    from ..common import forked

    if not forked.alone():
        return None

    def check(_call: Any) -> Any:
        return _raw_gate_report(stage, options, views.areas, views.prepared, EARLY_CHILD_CHECKS)

    try:
        return forked.ForkedCall(check)
    except OSError:
        return None


def _report_of(checker: Any, feedback: Feedback) -> Any:
    """The checking child's report, checking this process's cancel while it works (a
    cancel raises here; the caller then kills the child: it only reads). A child with no
    answer within forked.ANSWER_DEADLINE_S is stuck: the export refuses (RuntimeError), as
    for a child that died, instead of waiting for it for ever."""
    from ..common import forked

    limit = time.monotonic() + forked.ANSWER_DEADLINE_S
    while not checker.ready(_POLL_S):
        feedback.check()
        if time.monotonic() >= limit:
            raise RuntimeError(
                "the leak gate's checking child gave no answer within "
                f"{forked.ANSWER_DEADLINE_S:g} s; it was stopped and nothing was published"
            )
    return checker.result()
