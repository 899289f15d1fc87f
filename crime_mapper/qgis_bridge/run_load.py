"""The one implementation of "load extracts and write the outputs".

The dock (through LoadExtractsTask), the Processing algorithm crime_mapper:load_extracts
and tools/demo.py all call ``run_load``, so a load gives the same files, the same style and
the same report however it was started. It runs in a worker thread: it writes files and
stores the style in them, but hands no QGIS layer back (layers are built afterwards, on the
main thread, by crime_mapper.qgis_bridge.layers).

Every output is first written to a temporary file in the output folder and renamed into
place only after all of them were written, so a load that fails or is cancelled leaves the
previous outputs exactly as they were.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Union

from qgis.core import QgsVectorLayer

from ..core.common import schema
from ..core.common.background import beside
from ..core.common.feedback import CancelOnly, Feedback, ScaledFeedback
from ..core.common.input_files import holding_message, input_holding_output, output_clash
from ..core.common.reproducible import canonical_xml, fixed_timestamp, freeze_geopackage
from ..core.common.staging import Staging
from ..core.common.text_file import shown_line
from ..core.io import gpkg_write
from ..core.load import validation_report as core_report
from ..core.load.load_run import refuse_when_nothing_was_read
from ..core.load.loader import load_extracts
from ..core.load.mapping_profile import MappingProfile
from ..core.load.sources import InputError
from ..core.release.crimes_input import INTERNAL_CRIMES_DESCRIPTION
from .layers import (
    CRIMES_TABLE,
    STOP_SEARCH_TABLE,
    gpkg_uri,
    save_styles,
    style_crimes_layer,
    style_stop_search_layer,
)

PathLike = Union[str, "os.PathLike[str]"]

DEFAULT_NAMES = core_report.OUTPUT_NAMES

# Share of the progress bar for each stage (reading dominates at national scale).
_READ_END, _WRITE_END, _STYLE_END = 60.0, 90.0, 97.0


@dataclass
class LoadOutputs:
    """What one load wrote, for the caller to show and to turn into layers."""

    gpkg: Path
    rejects_csv: Path
    report_json: Path
    report_text_path: Optional[Path]
    qml: Optional[Path]
    report_text: str
    title: str  # e.g. "Crimes 2022-10 (Leicestershire Police)": the layer group name
    crimes: int = 0
    mapped: int = 0
    stop_search: int = 0
    rejected: int = 0
    reconciles: bool = True
    file_errors: list[str] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)  # validation_report.swallowed_records
    timings: dict[str, float] = field(default_factory=dict)
    #: The crimes table written to the GeoPackage, kept only when asked (run_load's
    #: keep_table: the monthly release hands it to its anonymise step)
    table: Any = field(default=None, repr=False, compare=False)
    #: With run_load's gpkg_beside: call (on the caller's thread) to wait until the
    #: GeoPackage and its style are written, then move every output into place; it returns
    #: the GeoPackage's manifest entry as written (core.release.release_files.file_entry),
    #: or raises what stopped it (then nothing moved). Calling it again gives the same.
    settle: Optional[Callable[[], dict]] = field(default=None, repr=False, compare=False)
    #: Until settled: final path -> where the file waits (same name, same bytes)
    waiting: dict[Path, Path] = field(default_factory=dict, repr=False, compare=False)

    @property
    def crimes_uri(self) -> str:
        return gpkg_uri(self.gpkg, CRIMES_TABLE)

    @property
    def stop_search_uri(self) -> Optional[str]:
        return gpkg_uri(self.gpkg, STOP_SEARCH_TABLE) if self.stop_search else None

    @property
    def has_stop_search(self) -> bool:
        return self.stop_search > 0


def load_title(crimes, stop_search=None) -> str:
    """A group name that says what was loaded: months and force, e.g.
    "Crimes 2022-10 (Leicestershire Police)" or "Crimes 2022-09 to 2022-10 (3 forces)"."""
    frames = [f for f in (crimes, stop_search) if f is not None and len(f)]
    months = sorted({str(m) for f in frames for m in f["month"].dropna().unique()})
    forces = sorted(
        {str(v) for v in crimes["reported_by"].dropna().unique() if str(v)}
        if crimes is not None and len(crimes)
        else set()
    )
    if not months:
        return time.strftime("Crimes load %Y-%m-%d %H:%M")
    span = months[0] if len(months) == 1 else f"{months[0]} to {months[-1]}"
    if len(forces) == 1:
        return f"Crimes {span} ({forces[0]})"
    if forces:
        return f"Crimes {span} ({len(forces)} forces)"
    return f"Crimes {span}"


def _unique_extras(columns: Sequence[str]) -> list[str]:
    """extra_* columns, skipping ones whose names clash case-insensitively (SQLite would)."""
    seen = {c.lower() for c in schema.CRIME_COLUMNS} | {"fid", "geom"}
    out = []
    for name in columns:
        if name.startswith(schema.EXTRA_PREFIX) and name.lower() not in seen:
            seen.add(name.lower())
            out.append(name)
    return out


def run_load(
    paths: Sequence[PathLike],
    output_dir: Optional[PathLike] = None,
    *,
    profile_path: Optional[PathLike] = None,
    profile: Optional[MappingProfile] = None,
    feedback: Optional[Feedback] = None,
    gpkg_path: Optional[PathLike] = None,
    rejects_path: Optional[PathLike] = None,
    report_path: Optional[PathLike] = None,
    report_text_path: Optional[PathLike] = None,
    write_qml: bool = True,
    keep_table: bool = False,
    gpkg_beside: bool = False,
    gpkg_fork: bool = False,
    release_month: Optional[str] = None,
) -> LoadOutputs:
    """Load extracts and write the crimes GeoPackage (crimes and, if any, stop_search
    tables, default style inside), the QML beside it, the rejects CSV and the report.

    Output paths default to DEFAULT_NAMES inside ``output_dir``; explicit paths (as the
    Processing algorithm passes) win. The readable report goes to ``report_text_path`` only
    when one is given or ``output_dir`` is used. ``keep_table``: the outputs keep the
    crimes table (``table``), for a caller that goes on to use it in the same process
    (the monthly release) instead of reading the GeoPackage back. ``gpkg_beside``: the
    GeoPackage and its style are written in a thread beside the caller, who goes on with the
    table (the monthly release's anonymise step never reads the file) and calls the outputs'
    ``settle`` before anything reads the files: every output, the reports included, moves
    into place only then, all together, as without it. ``gpkg_fork`` (with ``gpkg_beside``):
    this is a process of its own (the monthly release's: core.common.forked, never a QGIS
    session), so the GeoPackage's tables are written in a forked child rather than a thread
    (see _settle_later; the same files). ``release_month``: the monthly release's month,
    whose rows alone are accepted (core.load.loader.load_extracts). Raises
    core.common.feedback.Cancelled if the user cancels; any exception leaves earlier outputs
    untouched.
    """
    feedback = feedback or Feedback()
    if output_dir is None and not (gpkg_path and rejects_path and report_path):
        raise ValueError("give output_dir, or all of gpkg_path, rejects_path and report_path")
    base = Path(output_dir) if output_dir is not None else None
    gpkg = Path(gpkg_path) if gpkg_path else base / DEFAULT_NAMES["gpkg"]
    rejects = Path(rejects_path) if rejects_path else base / DEFAULT_NAMES["rejects"]
    report_json = Path(report_path) if report_path else base / DEFAULT_NAMES["report_json"]
    report_txt: Optional[Path] = (
        Path(report_text_path)
        if report_text_path
        else base / DEFAULT_NAMES["report_text"]
        if base
        else None
    )
    qml = gpkg.with_suffix(".qml") if write_qml else None
    outputs = [gpkg, rejects, report_json, *([report_txt] if report_txt else [])]
    holding = input_holding_output(paths, {p.parent for p in outputs})
    if holding is not None:
        raise InputError(holding_message(holding))
    clash = output_clash(
        [*paths, profile_path],
        [("crimes GeoPackage", gpkg), ("rejects CSV", rejects), ("report", report_json),
         ("readable report", report_txt), ("style", qml)],
    )  # fmt: skip
    if clash is not None:
        raise InputError(clash)
    if profile is None and profile_path:
        profile = MappingProfile.load(profile_path)

    timings: dict[str, float] = {}
    started = time.perf_counter()
    result = load_extracts(
        [str(p) for p in paths],
        profile=profile,
        feedback=ScaledFeedback(feedback, 0.0, _READ_END),
        release_month=release_month,
    )
    timings["read_validate"] = time.perf_counter() - started
    refuse_when_nothing_was_read(result)
    feedback.check()

    stage = Staging()
    settle: Optional[Callable[[], dict]] = None
    crimes, stops = result.crimes, result.stop_search
    if gpkg_beside:  # the thread's own frames: the caller's use of the tables never meets it
        crimes, stops = crimes.copy(deep=False), stops.copy(deep=False)
    try:
        tmp_gpkg = stage.path_for(gpkg)  # staged first: moved into place first
        tmp_qml = stage.path_for(qml) if qml is not None else None

        def write_tables(feedback: Feedback) -> None:
            """1. the GeoPackage, built under a temporary name (no QGIS: a child may)"""
            started = time.perf_counter()
            _write_crimes_gpkg(
                crimes, stops, tmp_gpkg, ScaledFeedback(feedback, _READ_END, _WRITE_END)
            )
            feedback.set_progress(_WRITE_END)
            timings["geopackage"] = time.perf_counter() - started
            feedback.check()

        def write_gpkg(feedback: Feedback) -> None:
            """1. the GeoPackage; 2. the default style inside it, and the QML beside it"""
            write_tables(feedback)
            write_styles(feedback)

        def write_styles(feedback: Feedback) -> None:
            """2. the default style inside the GeoPackage, and the QML beside it (QGIS)"""
            started = time.perf_counter()
            _store_styles(tmp_gpkg, tmp_qml, has_stop_search=len(stops) > 0)
            # the same extracts give the same bytes: no wall clock, no Qt hash order
            months = list(crimes["month"].unique()) + list(stops["month"].unique())
            freeze_geopackage(tmp_gpkg, fixed_timestamp(months))
            if tmp_qml is not None:
                canonical_xml(tmp_qml)
            timings["style"] = time.perf_counter() - started
            feedback.set_progress(_STYLE_END)
            feedback.check()

        if not gpkg_beside:
            write_gpkg(feedback)

        # 3. rejects and report
        started = time.perf_counter()
        core_report.write_rejects_csv(result, stage.path_for(rejects))
        core_report.write_report_json(result, stage.path_for(report_json))
        text = core_report.report_text(result)
        if report_txt is not None:
            stage.path_for(report_txt).write_text(text + "\n", encoding="utf-8")
        timings["reports"] = time.perf_counter() - started
        feedback.check()
        # 4. everything moves into place together: now, or once the GeoPackage is written
        if gpkg_beside:
            settle = _settle_later(
                write_gpkg,
                tmp_gpkg,
                stage,
                feedback,
                (write_tables, write_styles) if gpkg_fork else None,
            )
        else:
            stage.commit()
    finally:
        if settle is None:
            stage.discard()  # (nothing, after a commit)
    feedback.set_progress(100.0)

    summary = core_report.report_dict(result)
    return LoadOutputs(
        gpkg=gpkg,
        rejects_csv=rejects,
        report_json=report_json,
        report_text_path=report_txt,
        qml=qml,
        report_text=text,
        title=load_title(result.crimes, result.stop_search),
        crimes=len(result.crimes),
        mapped=int(result.crimes["has_location"].sum()) if len(result.crimes) else 0,
        stop_search=len(result.stop_search),
        rejected=len(result.rejects),
        reconciles=bool(summary.get("reconciles", True)),
        file_errors=list(summary.get("file_errors", [])),
        damaged=list(summary.get("swallowed_records", [])),
        timings=timings,
        table=result.crimes if keep_table else None,
        settle=settle,
        waiting={final: tmp for tmp, final in stage.staged} if settle is not None else {},
    )


def _write_crimes_gpkg(crimes: Any, stops: Any, path: Path, feedback: Feedback) -> None:
    tables = [
        gpkg_write.PointTable(
            CRIMES_TABLE,
            crimes,
            {name: spec[0] for name, spec in schema.CRIME_COLUMNS.items()},
            description=INTERNAL_CRIMES_DESCRIPTION,
            extras=_unique_extras(list(crimes.columns)),
        )
    ]
    if len(stops):
        tables.append(
            gpkg_write.PointTable(
                STOP_SEARCH_TABLE,
                stops,
                {name: spec[0] for name, spec in schema.STOP_SEARCH_COLUMNS.items()},
                description="crime_mapper stop and search (internal)",
            )
        )
    gpkg_write.write_geopackage(path, tables, feedback=feedback)


def _settle_later(
    write_gpkg: Callable[[Feedback], None],
    gpkg: Path,
    stage: Staging,
    feedback: Feedback,
    parts: Optional[tuple[Callable[[Feedback], None], Callable[[Feedback], None]]] = None,
) -> Callable[[], dict]:
    """Start write_gpkg beside the caller (then the GeoPackage flushed to disk and hashed
    there, so that neither costs the caller); the returned settle waits for it and commits
    the stage on the caller's thread (or discards it and raises the thread's error).

    ``parts``: (write_tables, write_styles), write_gpkg's two halves, when the caller is a
    process of its own: the tables (some 4.5 s of CPU nationally, mostly Python building
    rows, which on a thread held the interpreter's lock against the anonymise step's work)
    are then written in a forked child (core.common.forked) when no other Python thread
    runs, and a thread here stores the styles once it is done (QGIS: never in the child),
    flushes and hashes (_tables_in_child); settle waits for that thread. The child's error
    is raised by settle as the thread's was; one that dies is an error too; a cancel stops
    it. Otherwise, as without ``parts``, a thread."""
    from ..core.release.release_files import file_entry

    def flush_hash() -> dict:
        with open(gpkg, "rb") as handle:  # the commit's own flush then finds it clean
            os.fsync(handle.fileno())
        return file_entry(gpkg)  # staged under its final name: the entry of the final file

    def write_flush_hash() -> dict:
        write_gpkg(CancelOnly(feedback))  # (the caller's next step reports progress)
        return flush_hash()

    written = _tables_in_child(parts, gpkg, feedback, flush_hash)
    if written is None:
        written = beside(write_flush_hash, "crimes-geopackage")
    settled: dict[str, Any] = {}

    def settle() -> dict:
        if "entry" not in settled and "error" not in settled:
            try:
                entry = written()
                stage.commit()
                settled["entry"] = entry
            except BaseException as exc:
                settled["error"] = exc
                raise
            finally:
                stage.discard()
        if "error" in settled:
            raise settled["error"]
        return settled["entry"]

    return settle


def _tables_in_child(
    parts: Optional[tuple[Callable[[Feedback], None], Callable[[Feedback], None]]],
    gpkg: Path,
    feedback: Feedback,
    flush_hash: Callable[[], dict],
) -> Optional[Callable[[], dict]]:
    """(see _settle_later) The tables written in a forked child, which also flushes them to
    disk (the quarter gigabyte's write-back is then the child's wait, not the settle's); a
    thread here waits for it, then stores the styles and flushes (their few pages) and
    hashes the file; the call returned waits for that thread. None: no child may be forked
    now (no parts, no second core, or another Python thread runs).

    Why a thread: done when the caller settled, the styles, the GeoPackage's freeze and its
    hash (about 1 s nationally, in QGIS, SQLite and hashlib, mostly without Python's lock)
    ran on one core between the release's anonymiser and its public GeoPackage's fork; on
    the thread they overlap the anonymise step. Nothing else changes: the same files, the
    stage committed by the caller's settle, the child's or the thread's error raised there."""
    from ..core.common.forked import ForkedCall, alone, available

    if parts is None or not (available() and alone()):
        return None
    write_tables, write_styles = parts

    def tables(call: Any) -> None:
        write_tables(call.feedback())
        with open(gpkg, "rb") as handle:
            os.fsync(handle.fileno())

    child = ForkedCall(tables)

    def written() -> dict:
        try:
            child.result(CancelOnly(feedback))
        finally:
            child.stop()  # (nothing once it has left; else it is stopped and waited for)
        write_styles(CancelOnly(feedback))
        return flush_hash()

    return beside(written, "crimes-geopackage styles")  # (no child is forked until settled)


def _store_styles(gpkg: Path, qml: Optional[Path], *, has_stop_search: bool) -> None:
    """Save the default styles into the GeoPackage (and the crimes QML beside it).

    The layers built here live and die in this (possibly worker) thread; nothing is handed
    to the main thread.
    """
    layer = QgsVectorLayer(gpkg_uri(gpkg, CRIMES_TABLE), "crimes", "ogr")
    if not layer.isValid():
        raise RuntimeError(f"the GeoPackage just written does not open: {shown_line(gpkg)}")
    style_crimes_layer(layer)
    save_styles(layer, qml)
    del layer
    if has_stop_search:
        stops = QgsVectorLayer(gpkg_uri(gpkg, STOP_SEARCH_TABLE), "stop_search", "ogr")
        if not stops.isValid():
            raise RuntimeError(f"the stop-and-search table does not open: {shown_line(gpkg)}")
        style_stop_search_layer(stops)
        save_styles(stops)
        del stops


def run_load_headless(
    paths: Sequence[PathLike], output_dir: PathLike, profile: Optional[MappingProfile] = None
) -> LoadOutputs:
    """:func:`run_load` from a plain Python process (the command line's ``load --gpkg``):
    the process's QGIS for the style, started without a display if none runs yet and left
    running for the next call (qgis_bridge.headless_app: QGIS cannot be stopped and started
    again in one process)."""
    from ..core.load.load_run import prepare_out_dir
    from .headless_app import start_qgis

    out_dir = prepare_out_dir(output_dir)
    start_qgis()
    return run_load([str(p) for p in paths], out_dir, profile=profile)
