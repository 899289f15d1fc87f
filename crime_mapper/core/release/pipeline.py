"""The one release pipeline: checks, anonymise, staging, leak gate, audit, manifest.

Every way of making a public release runs :func:`run_anonymise`: the command line
(crime_mapper.cli, plain Python for scheduled jobs), the Processing algorithm
crime_mapper:anonymise and the Release panel's background task (both through
qgis_bridge.run_anonymise, which adds only the QGIS style and version). So a release gives the
same files however it was made:

- the public CSV in police.uk's format, named like police.uk's own files
  (``<YYYY-MM>-<force>-street.csv``, or ``<first>_<last>-<force>-street.csv`` for several
  months);
- the public GeoPackage (table ``public_crimes``: exactly the police.uk street columns as
  fields, WGS84 points at the map points; rows published without a location are kept with a
  NULL geometry, so the layer's count equals the CSV's); the QGIS side adds a QML style;
- the audit (JSON and a readable HTML page) and a release manifest (inputs with SHA-256,
  settings, salt fingerprint, output checksums, crime_mapper version; no wall-clock time, so
  the same release gives the same manifest bytes).

Every check that can fail on the inputs (crimes paths, salt file, distance, rules, profile,
output folder, map points, crimes) runs before anything is written. All outputs are staged
(core.common.staging) and the leak gate (core.gate.leak_gate) checks the staged public CSV and
GeoPackage *before* they replace anything: a failed gate, an error or a cancel leaves the
previous release byte-identical (and a folder the run created is removed again if empty).

:func:`run_check_release` is the gate on its own (check-release, crime_mapper:check_release)
and :func:`run_history_map_points` the map points from a police.uk history (map-points
history). Imports no QGIS.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Union

import numpy as np
import pandas as pd

from ..common.background import beside
from ..common.feedback import CancelOnly, Feedback, ScaledFeedback
from ..common.input_files import holding_message, input_holding_output, output_clash
from ..common.layer_source import source_file, split_layer_source
from ..common.reproducible import fixed_timestamp, freeze_geopackage
from ..common.staging import staged_outputs
from ..common.text_file import (
    UnresolvablePath,
    not_found,
    os_error_text,
    resolved_path,
    shown_line,
    shown_path,
)
from ..io import gpkg_write
from ..load.validation_report import swallowed_records
from . import csv_beside, gpkg_beside
from .crimes_input import CrimesInput, load_profile, open_crimes_source, raw_locations
from .map_points import MapPoints, MapPointsError
from .map_points_files import MapPointsSpec, read_map_points_file
from .release_files import (
    RELEASE_NAMES,
    ReleaseInputError,
    build_manifest,
    combined_gate_entry,
    gate_error_message,
    map_points_entry,
    map_points_file_entry,
    public_csv_name,
    read_described,
    read_salt,
    write_manifest,
)
from .release_limits import check_max_distance

PathLike = Union[str, "os.PathLike[str]"]
CrimesLike = Union[CrimesInput, PathLike, Sequence[PathLike]]
# Writes the public layer's style file at the given (staged) path: the QGIS side passes one.
StyleWriter = Callable[[Path], None]

PUBLIC_TABLE = "public_crimes"
DEFAULT_MAX_DISTANCE_M = 20_000.0

# Shares of the progress bar.
_POINTS_END, _CRIMES_END, _ANON_END, _WRITE_END, _GATE_END = 10.0, 40.0, 75.0, 88.0, 96.0


# --- outputs --------------------------------------------------------------------------------


@dataclass
class ReleaseOutputs:
    """What one release wrote, for the caller to show."""

    public_csv: Path
    public_gpkg: Optional[Path]  # None when the caller asked for the CSV alone
    audit_json: Path
    audit_html: Path
    manifest: Path
    qml: Optional[Path]
    audit: dict
    rows_in: int = 0
    published_at_map_point: int = 0
    published_without_location: int = 0
    withheld_by_rule: int = 0
    rejected: int = 0
    published_rows: int = 0
    gate_passed: bool = False
    reconciles: bool = False
    warnings: list[str] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)  # input files that could not be used
    #: records a quote made of many lines (validation_report.swallowed_records)
    damaged: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step, in run order

    @property
    def public_uri(self) -> str:
        return f"{self.public_gpkg}|layername={PUBLIC_TABLE}"

    @property
    def written(self) -> list[Path]:
        """Every file the release wrote, in manifest order (the manifest last)."""
        files = [self.public_csv]
        files += [self.public_gpkg] if self.public_gpkg is not None else []
        files += [self.qml] if self.qml is not None else []
        return files + [self.audit_json, self.audit_html, self.manifest]

    def summary_text(self) -> str:
        """A short readable summary for the panel, the log and Processing."""
        lines = [
            f"Rows in: {self.rows_in:,}",
            f"Published at a map point: {self.published_at_map_point:,}",
            f"Published without a location: {self.published_without_location:,}",
            f"Withheld by rule: {self.withheld_by_rule:,}",
            f"Rejected: {self.rejected:,}",
            f"Counts reconcile: {'yes' if self.reconciles else 'NO'}",
            f"Leak gate: {'passed' if self.gate_passed else 'FAILED'}",
            f"Public CSV: {shown_line(self.public_csv)}",  # (a newline in it starts no line)
        ]
        lines += [f"Warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def public_point_table(public: pd.DataFrame) -> gpkg_write.PointTable:
    """The public table as a GeoPackage point layer: PUBLIC_COLUMNS as text fields (the same
    text as the CSV), geometry from Longitude/Latitude, NULL geometry where blank."""
    from .public_schema import PUBLIC_COLUMNS, PUBLIC_LAYER_DESCRIPTION

    frame = public.copy(deep=False)  # the columns added below go into this frame alone
    frame["__x"] = pd.to_numeric(frame["Longitude"].replace("", np.nan), errors="coerce")
    frame["__y"] = pd.to_numeric(frame["Latitude"].replace("", np.nan), errors="coerce")
    return gpkg_write.PointTable(
        PUBLIC_TABLE,
        frame,
        {c: "string" for c in PUBLIC_COLUMNS},
        x="__x",
        y="__y",
        description=PUBLIC_LAYER_DESCRIPTION,
    )


def _gpkg_writer(public: pd.DataFrame, tmp_gpkg: Path) -> Callable[[Feedback], Any]:
    """write(feedback): the public GeoPackage at ``tmp_gpkg``, frozen (fixed timestamps), as
    the gate takes it: the layer's values as written while the file is still exactly these
    bytes (core.gate.output_reader.read_written_gpkg), else the path."""

    def write(feedback: Feedback) -> Any:
        kept: list = []
        gpkg_write.write_geopackage(
            tmp_gpkg, [public_point_table(public)], feedback=feedback, kept=kept
        )
        freeze_geopackage(tmp_gpkg, fixed_timestamp(public["Month"].unique().tolist()))
        return gpkg_write.written_geopackage(tmp_gpkg, kept)

    return write


class StepClock:
    """Wall-clock seconds per step of one run, so a slow release can say where its time went
    (the command line's --timings, the benchmarks). Never part of any output file."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, step: str) -> None:
        """Charge the time since the previous lap to ``step``."""
        now = time.perf_counter()
        self.timings[step] = self.timings.get(step, 0.0) + (now - self._last)
        self._last = now


# --- checks before any work -----------------------------------------------------------------


def check_output_folder(folder: PathLike, what: str = "output folder") -> None:
    """Refuse an output folder that is a file, a loop of symbolic links (or in one) or
    cannot be created, without creating it. Why the loop: it was "not writable"."""
    folder = Path(folder)
    try:
        resolved_path(folder)
    except UnresolvablePath as exc:
        raise ReleaseInputError(f"The {what} {exc}") from exc
    if folder.exists() and not folder.is_dir():
        raise ReleaseInputError(f"{what} {shown_path(folder)}: is a file, not a folder")
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK):
        raise ReleaseInputError(f"{what} {shown_path(folder)}: not writable")


def check_crimes_paths(crimes: CrimesLike) -> None:
    """Every crimes path given must exist (found before any folder is made or file read)."""
    if isinstance(crimes, CrimesInput):
        return
    paths = _crimes_paths(crimes)
    if not paths:
        raise ReleaseInputError("no crimes input given")
    for path in paths:
        if not Path(source_file(path)).exists():
            raise ReleaseInputError(not_found("Crimes input", path))


def check_inputs_apart(
    crimes: CrimesLike, other_crimes: Sequence[PathLike], out_dirs: Sequence[Path]
) -> None:
    """Refuse an extracts folder that holds an output folder (see
    core.common.input_files.input_holding_output): the next run would read this one's
    public CSV back as crimes."""
    holding = input_holding_output([*_crimes_paths(crimes), *other_crimes], out_dirs)
    if holding is not None:
        raise ReleaseInputError(holding_message(holding))


def explicit_outputs(
    csv: Any, gpkg: Any, audit_json: Any, audit_html: Any, manifest: Any, qml: Any = None
) -> list[tuple[str, Any]]:
    """The release's output paths named for a message (None: not written, or not known yet)."""
    return [
        ("public CSV", csv),
        ("public GeoPackage", gpkg),
        ("audit JSON", audit_json),
        ("audit HTML", audit_html),
        ("manifest", manifest),
        ("public layer's style", qml),
    ]


def _refuse_clash(inputs: Sequence[Any], outputs: Sequence[tuple[str, Any]]) -> None:
    clash = output_clash(inputs, outputs)
    if clash is not None:
        raise ReleaseInputError(clash)


def _crimes_paths(crimes: CrimesLike) -> list[Any]:
    """The paths a CrimesLike names (none for a CrimesInput, a table already read)."""
    if isinstance(crimes, CrimesInput):
        return []
    return [crimes] if isinstance(crimes, (str, os.PathLike)) else list(crimes)


def _points_paths(points: Any) -> list[Any]:
    """The files a map points input names: a path, or a MapPointsSpec's files."""
    if isinstance(points, (str, os.PathLike)):
        return [points]
    return list(getattr(points, "paths", None) or [])


def load_rules(rules: Any) -> tuple[Any, Optional[Path]]:
    """(ReleaseRules, the rules file or None) from a ReleaseRules, a rules JSON path, or
    None / "" for the documented defaults."""
    from .rules import DEFAULT_RULES, ReleaseRules, ReleaseRulesError

    if rules is None or rules == "":
        return DEFAULT_RULES, None
    if isinstance(rules, ReleaseRules):
        return rules, None
    path = Path(rules)
    if not path.is_file():
        raise ReleaseInputError(not_found("Release rules file", path))
    try:
        return ReleaseRules.load(path), path
    except (ReleaseRulesError, OSError) as exc:
        raise ReleaseInputError(str(exc)) from exc


def release_profile(path: Optional[PathLike]) -> Any:
    """The mapping profile checked as every release checks it (it must map a category)."""
    try:
        return load_profile(path)
    except ValueError as exc:
        raise ReleaseInputError(str(exc)) from exc


def resolve_points(
    points: Any, crimes: Optional[pd.DataFrame], feedback: Feedback
) -> tuple[MapPoints, dict]:
    """(MapPoints, manifest entry) from MapPoints, a MapPointsSpec or a map points file."""
    if isinstance(points, MapPoints):
        return points, map_points_entry(points)
    if isinstance(points, MapPointsSpec):
        resolved = points.resolve(crimes, feedback)
        return resolved, map_points_entry(
            resolved,
            points.description or f"map points ({points.kind})",
            points.input_files(),
            points.layer(),
        )
    if isinstance(points, (str, os.PathLike)):
        file = Path(split_layer_source(points)[0])
        if not file.is_file():
            resolved = read_map_points_file(points)  # its own clear error
            return resolved, map_points_file_entry(resolved, points)
        resolved, as_read = read_described(file, lambda _: read_map_points_file(points))
        # the file as it was read, not as it is at the end (and not hashed a second time)
        return resolved, map_points_file_entry(resolved, points, as_read)
    raise ReleaseInputError(
        f"map points must be MapPoints, a MapPointsSpec or a file, not {type(points).__name__}"
    )


def other_raw_locations(sources: Sequence[PathLike], profile: Any) -> tuple:
    """(lon, lat) arrays of other months' raw crimes (crimes_input.raw_locations), with a
    source that cannot be read raised as ReleaseInputError: a check that cannot be made
    stops the release rather than passing it unchecked."""
    if not sources:
        return ()
    try:
        return raw_locations(sources, profile)
    except ValueError as exc:
        raise ReleaseInputError(f"Other months' crimes: {exc}") from exc


def open_release_inputs(
    crimes: CrimesLike,
    points: Any,
    profile: Any,
    feedback: Feedback,
    points_end: float,
    crimes_end: float,
    clock: Optional[StepClock] = None,
    on_points: Optional[Callable[[MapPoints], None]] = None,
    release_month: Optional[str] = None,
) -> tuple[CrimesInput, MapPoints, dict]:
    """The crimes and the map points (points first, unless derived from the crimes), with
    every input error raised as ReleaseInputError. ``release_month``: extracts read here
    are loaded for that month (core.load.loader.load_extracts).

    ``on_points`` is called with the map points as soon as they are read: in the points'
    worker thread when they are read beside the crimes (so work that needs only the points,
    such as the snapping index, overlaps the crimes read), else on this thread. It should
    not raise: an error in it is raised here either way, as one of the points' read."""
    clock = clock or StepClock()
    try:
        if _readable_beside(points, crimes):
            return _read_both(
                crimes,
                points,
                profile,
                feedback,
                points_end,
                crimes_end,
                clock,
                on_points,
                release_month,
            )
        needs_crimes = isinstance(points, MapPointsSpec) and points.needs_crimes
        point_set: Optional[MapPoints] = None
        entry: dict = {}
        if not needs_crimes:
            point_set, entry = resolve_points(points, None, ScaledFeedback(feedback, 0, points_end))
            if on_points is not None:
                on_points(point_set)
            clock.lap("read_map_points")
        feedback.set_progress(points_end)
        feedback.check()
        source = (
            crimes
            if isinstance(crimes, CrimesInput)
            else open_crimes_source(
                crimes,
                profile=profile,
                feedback=ScaledFeedback(feedback, points_end, crimes_end),
                release_month=release_month,
            )
        )
        clock.lap("read_crimes")
        feedback.check()
        if point_set is None:
            point_set, entry = resolve_points(points, source.crimes, feedback)
            if on_points is not None:
                on_points(point_set)
            clock.lap("read_map_points")
    except MapPointsError as exc:
        raise ReleaseInputError(f"Map points: {exc}") from exc
    except ValueError as exc:
        if isinstance(exc, ReleaseInputError):
            raise
        raise ReleaseInputError(str(exc)) from exc
    feedback.set_progress(crimes_end)
    return source, point_set, entry


def _readable_beside(points: Any, crimes: CrimesLike) -> bool:
    """Whether the map points can be read in a thread while the crimes are read: files
    (read with sqlite3, pandas and numpy, which let go of Python's lock for much of their
    work), not QGIS layers (read on the thread that owns them) nor points derived from the
    crimes, and only when the crimes are still to be read."""
    if isinstance(crimes, CrimesInput):
        return False
    if isinstance(points, (str, os.PathLike)):
        return True
    return isinstance(points, MapPointsSpec) and points.kind in ("file", "history")


def _read_both(
    crimes: CrimesLike,
    points: Any,
    profile: Any,
    feedback: Feedback,
    points_end: float,
    crimes_end: float,
    clock: StepClock,
    on_points: Optional[Callable[[MapPoints], None]] = None,
    release_month: Optional[str] = None,
) -> tuple[CrimesInput, MapPoints, dict]:
    """The map points read in a thread while this thread reads the crimes: on two cores the
    two reads overlap. Errors are raised as when the points are read first: a map points
    error wins over a crimes error. The clock charges ``read_crimes`` with the crimes read
    and ``read_map_points`` with what the points took beyond it (``on_points`` included)."""
    assert not isinstance(crimes, CrimesInput)  # (_readable_beside)
    cancel = CancelOnly(feedback)

    def read_points() -> tuple[MapPoints, dict]:
        read = resolve_points(points, None, cancel)
        if on_points is not None and not cancel.is_cancelled():
            on_points(read[0])
        return read

    points_read = beside(read_points, "map-points")
    try:
        feedback.check()  # where the points-first order checks, between the two reads
        source = open_crimes_source(
            crimes,
            profile=profile,
            feedback=ScaledFeedback(feedback, points_end, crimes_end),
            release_month=release_month,
        )
    except BaseException:
        try:
            points_read()
        except BaseException as points_error:  # noqa: BLE001 - the points were read first
            raise points_error from None
        raise
    clock.lap("read_crimes")
    point_set, entry = points_read()
    clock.lap("read_map_points")
    feedback.check()
    feedback.set_progress(crimes_end)
    return source, point_set, entry


def _fingerprint_in_background(salt: bytes) -> threading.Thread:
    """Start the salt's fingerprint (a deliberately slow key derivation, about a third of a
    second, which hashlib computes without holding Python's lock) on a second core while
    the inputs are read; the audit's call then finds it computed (public_schema caches it)."""
    from . import public_schema

    worker = threading.Thread(
        target=public_schema.salt_fingerprint, args=(salt,), name="salt-fingerprint", daemon=True
    )
    worker.start()
    return worker


def _snapping_index(points: MapPoints) -> dict[int, Any]:
    """{id(points): its snapping index} (projection and k-d trees, most of a second at
    national scale, in C without Python's lock), built while the crimes are still being
    read; {} when it cannot be built here, so anonymise builds it itself and reports the
    error where it always has."""
    from .snapping import MapPointIndex

    try:
        return {id(points): MapPointIndex(points)}
    except Exception:  # noqa: BLE001 - anonymise builds it again and raises its own error
        return {}


def _hashed_beside(paths: Sequence[Path]) -> Callable[[], None]:
    """Start taking the SHA-256 of the staged public files on a thread (hashlib lets go of
    Python's lock for large blocks); the call returned waits for it.

    Why: the leak gate reads those files next, mostly on the caller's thread, and the
    manifest then read them all again to hash them, a quarter of a gigabyte nationally.
    Hashed beside the gate, each digest is remembered by release_files.file_entry for the
    very same file (device, inode, size, modification time), and the manifest takes it.
    A failure here is left to the manifest, which then hashes the file itself and reports
    its own error. (A written file the gate proves to be its writer's bytes is hashed by
    the gate itself, which remembers that digest: such files are not given here.)"""
    from .release_files import file_entry

    if not paths:
        return lambda: None

    def work() -> None:
        for path in paths:
            try:
                file_entry(path)
            except Exception:  # noqa: BLE001 - the manifest's own reading reports it
                return

    return beside(work, name="sha256")


@contextlib.contextmanager
def _removed_if_left_empty(folders: Sequence[Path]):
    """Folders this run creates are removed again when it fails and leaves them empty."""
    created = [f for f in dict.fromkeys(folders) if not f.exists()]
    try:
        yield
    except BaseException:
        for folder in created:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if empty
        raise


# --- the release ----------------------------------------------------------------------------


def run_anonymise(
    crimes: CrimesLike,
    points: Any,
    rules: Any = None,
    salt_file: Optional[PathLike] = None,
    output_dir: Optional[PathLike] = None,
    *,
    max_distance_m: Union[float, str] = DEFAULT_MAX_DISTANCE_M,  # (text: as written)
    profile_path: Optional[PathLike] = None,
    feedback: Optional[Feedback] = None,
    public_csv_path: Optional[PathLike] = None,
    public_gpkg_path: Optional[PathLike] = None,
    audit_json_path: Optional[PathLike] = None,
    audit_html_path: Optional[PathLike] = None,
    manifest_path: Optional[PathLike] = None,
    style_writer: Optional[StyleWriter] = None,
    qgis_version: Optional[str] = None,
    qa_report: Optional[PathLike] = None,
    other_raw: tuple = (),
    other_crimes: Sequence[PathLike] = (),
    write_gpkg: bool = True,
    gate: Any = None,
    fork_gpkg: bool = False,
    before_fork: Optional[Callable[[], Any]] = None,
    while_waiting: Optional[Callable[[], Any]] = None,
    before_commit: Optional[Callable[[], None]] = None,
) -> ReleaseOutputs:
    """Anonymise the crimes onto the map points and write the whole release, or nothing.

    ``crimes``: a CrimesInput, a crimes GeoPackage path, or extract paths (with an optional
    ``profile_path``). ``points``: MapPoints, a MapPointsSpec or a map points .gpkg/.csv.
    ``rules``: a ReleaseRules, a rules JSON path, or None for the documented defaults.
    Output paths default to police.uk-style names inside ``output_dir``; explicit paths (as
    the Processing algorithm passes) win. ``style_writer`` writes the public layer's style
    beside the GeoPackage (``<name>.qml``; the QGIS side passes one), ``qgis_version`` is what
    the manifest records (None: no QGIS made the release). ``qa_report``: this month's
    ``qa_report.json`` (core.qa), whose verdict and findings the audit and manifest record
    (the release goes ahead whatever they say). Raises ReleaseInputError (bad
    inputs, before any output is touched), core.gate.leak_gate.LeakError (gate failed;
    nothing replaced) or core.common.feedback.Cancelled.
    ``other_raw``: (lon, lat) arrays of other loaded months' raw crimes, whose
    locations must not be map points (core/release/disclosure.py); ``other_crimes``: the
    same as crimes GeoPackages (``path|layername=crimes``, as the QGIS side passes the
    project's other loaded months) or extract files (the command line's ``--other-crimes``,
    read with ``profile_path``). ``write_gpkg=False`` writes the public CSV without the
    public GeoPackage (and so without its style): a scheduled job that publishes the CSV
    alone need not pay for a file nobody reads; the gate, audit and manifest are unchanged
    but for the file they no longer list. ``gate``: the release's
    core.gate.leak_gate.ReleaseGate, shared with its other outputs' gates (used when it
    serves these crimes and map points, which it does when built from them or from equal
    ones; otherwise one is made here). ``fork_gpkg``: this is a process of its own (the
    command line's release, the dock's release process; never a QGIS session), so the public
    GeoPackage may be written and gated in a forked child beside the CSV's write and gate
    (core.release.gpkg_beside: the same files and reports), and with no GeoPackage the CSV
    written by a child while its cells are gated here (core.release.csv_beside: the same);
    ``before_fork()`` then first ends the caller's own work on other threads (a child is
    forked only when no other Python thread runs; the monthly release settles its load,
    whose crimes GeoPackage is written on a thread beside this step), its error raised.
    ``while_waiting()``: the caller's own work, run when this process has checked the CSV
    and would wait for that child (the monthly release reads its publish step's
    neighbourhoods there); it must not raise, and its value is not used here.
    ``before_commit()``: called once everything is staged, gated and past its last check,
    just before it is moved into place (a child process asks its caller there:
    core.common.child_lines.commit_question); what it raises (Cancelled) replaces nothing.
    """
    from ..gate.leak_gate import LeakError, ReleaseGate, check_release
    from ..gate.output_reader import hashes_afresh
    from . import public_schema
    from .anonymise import AnonymiseError, anonymise
    from .audit import account_for_the_load, attach_gate_report, write_audit

    feedback = feedback or Feedback()
    clock = StepClock()
    explicit = [public_csv_path, audit_json_path, audit_html_path, manifest_path]
    explicit += [public_gpkg_path] if write_gpkg else []
    if output_dir is None and not all(explicit):
        raise ReleaseInputError("give an output folder, or every output path")
    base = Path(output_dir) if output_dir is not None else None
    out_dirs = ([base] if base is not None else []) + [Path(p).parent for p in explicit if p]

    # 1. every cheap check first: nothing has been read (but the salt) or written yet
    check_crimes_paths(crimes)
    check_inputs_apart(crimes, other_crimes, out_dirs)
    inputs = [*_crimes_paths(crimes), *other_crimes, salt_file, profile_path, qa_report]
    inputs += [p for p in (points, rules) if isinstance(p, (str, os.PathLike))]
    _refuse_clash(inputs, explicit_outputs(
        public_csv_path, public_gpkg_path if write_gpkg else None, audit_json_path,
        audit_html_path, manifest_path,
    ))  # fmt: skip
    salt = read_salt(salt_file, out_dirs)
    distance = check_max_distance(max_distance_m)
    rules_entry = profile_entry = None
    if isinstance(rules, (str, os.PathLike)) and rules and Path(rules).is_file():
        (rules_obj, rules_path), rules_entry = read_described(rules, load_rules)
    else:
        rules_obj, rules_path = load_rules(rules)
    if profile_path and Path(profile_path).is_file():
        profile, profile_entry = read_described(profile_path, release_profile)
    else:
        profile = release_profile(profile_path)
    for folder in out_dirs:
        check_output_folder(folder)
    fingerprinting = _fingerprint_in_background(salt)
    try:
        clock.lap("checks")

        # 2. map points and crimes (the snapping index built as soon as the points are read)
        indexed: dict[int, Any] = {}
        source, point_set, points_entry = open_release_inputs(
            crimes, points, profile, feedback, _POINTS_END, _CRIMES_END, clock,
            on_points=lambda p: indexed.update(_snapping_index(p)),
        )  # fmt: skip
        other_raw = tuple(other_raw) + other_raw_locations(other_crimes, profile)
        # the leak gate's raw side, prepared in the background while the release is made below
        # (nothing here changes the crimes or map points; the gate waits for it before a check)
        if not isinstance(gate, ReleaseGate) or not gate.serves(source.crimes, point_set):
            gate = ReleaseGate(source.crimes, point_set)
        gate.warm_up()  # (a GeoPackage's own lookups come while it is read: less memory here)

        # 3. the public table and its audit (in memory)
        fingerprinting.join()  # the audit's salt fingerprint is then already known
        try:
            release = anonymise(
                source.crimes,
                point_set,
                rules_obj,
                salt=salt,
                max_distance_m=distance,
                rejects=source.rejects,
                feedback=ScaledFeedback(feedback, _CRIMES_END, _ANON_END),
                index=indexed.pop(id(point_set), None),
                other_raw=other_raw,
            )
        except AnonymiseError as exc:
            raise ReleaseInputError(str(exc)) from exc
        feedback.check()
        public = release.public
        audit = release.audit
        account_for_the_load(audit, source.accepted_at_load)
        if qa_report is not None:
            from ..qa.report import qa_record_from_file

            try:
                audit["release_qa"] = qa_record_from_file(
                    Path(qa_report), audit.get("input", {}).get("months", [])
                )
            except (OSError, ValueError) as exc:
                raise ReleaseInputError(str(exc)) from exc
        clock.lap("anonymise")

        def output(explicit: Optional[PathLike], default_name: str) -> Path:
            """An explicit output path, else the default name in the output folder (which is
            given whenever an explicit path is not: checked above)."""
            if explicit:
                return Path(explicit)
            assert base is not None
            return base / default_name

        covered = audit.get("input", {})  # (every crime read, withheld ones too)
        name = public_csv_name(public, covered.get("months", ()), covered.get("forces", ()))
        csv_path = output(public_csv_path, name)
        gpkg_path = output(public_gpkg_path, Path(name).stem + ".gpkg") if write_gpkg else None
        audit_json = output(audit_json_path, RELEASE_NAMES["audit_json"])
        audit_html = output(audit_html_path, RELEASE_NAMES["audit_html"])
        manifest = output(manifest_path, RELEASE_NAMES["manifest"])
        qml = gpkg_path.with_suffix(".qml") if style_writer is not None and gpkg_path else None
        _refuse_clash(
            inputs, explicit_outputs(csv_path, gpkg_path, audit_json, audit_html, manifest, qml)
        )
        folders = [p.parent for p in (csv_path, audit_json, audit_html, manifest)]
        folders += [gpkg_path.parent] if gpkg_path is not None else []

        with _removed_if_left_empty(folders), staged_outputs() as stage, ExitStack() as waits:
            # 4. the public files, staged
            tmp_gpkg = stage.path_for(gpkg_path) if gpkg_path is not None else None
            tmp_qml = stage.path_for(qml) if qml is not None else None
            k = {"min_catchment_addresses": rules_obj.min_catchment_addresses}
            style_written = False
            gpkg_child: Optional[gpkg_beside.Beside] = None
            if fork_gpkg and tmp_gpkg is not None:
                # (first the caller's own work, while the warm-up thread ends its views: the
                # monthly release's load settles, its GeoPackage styled and compacted in QGIS
                # and SQLite by then on a thread of the load's, beside the anonymiser; this
                # thread would otherwise wait for the warm-up, then settle)
                if before_fork is not None:
                    before_fork()
                    clock.lap("before_fork")
                # (one raw-side preparation serves every file; serves() joins the warm-up, so
                # that the child inherits its views and no other thread runs at the fork)
                if not isinstance(gate, ReleaseGate) or not gate.serves(source.crimes, point_set):
                    gate = ReleaseGate(source.crimes, point_set)
                if style_writer is not None and tmp_qml is not None:
                    style_writer(tmp_qml)  # (QGIS writes it: here, before the fork)
                    style_written = True
                    clock.lap("write_style")
                gpkg_beside.views_first(gate)  # (inherited by the child, kept here)
                gpkg_child = gpkg_beside.start(
                    _gpkg_writer(public, tmp_gpkg),
                    lambda output: check_release(
                        source.crimes, output, point_set, prepared=gate, **k
                    ),
                    tmp_gpkg,
                    None,  # (the style: gated here after the CSV, the child's side is the longer)
                )
                if gpkg_child is not None:  # (the caller's failure stops it before the stage goes)
                    waits.callback(gpkg_child.stop)
            tmp_csv = stage.path_for(csv_path)
            # the gate checks the file's cells as written when it still holds those very bytes
            # (core.gate.output_reader.read_written_csv), else it reads the file
            csv_output: Any = tmp_csv
            csv_child: Optional[csv_beside.Beside] = None
            if fork_gpkg and tmp_gpkg is None:
                # (no GeoPackage beside: the CSV written by a child while the gate checks its
                # cells here, core.release.csv_beside; the caller's threads and the warm-up
                # ended first, as above)
                if before_fork is not None:
                    before_fork()
                    clock.lap("before_fork")
                if not isinstance(gate, ReleaseGate) or not gate.serves(source.crimes, point_set):
                    gate = ReleaseGate(source.crimes, point_set)
                csv_child, written = csv_beside.write(public, tmp_csv)
            else:
                written = public_schema.write_public_csv(public, tmp_csv)
            if csv_child is not None:
                waits.callback(csv_child.stop)  # (the caller's failure stops it first)
                csv_output = csv_child.being_written(CancelOnly(feedback))
            elif isinstance(written, public_schema.WrittenCsv) and written.path == tmp_csv:
                csv_output = written
            del written
            clock.lap("write_csv")
            feedback.check()
            gpkg_output: Any = None
            if tmp_gpkg is not None and gpkg_child is None:
                gpkg_output = _gpkg_writer(public, tmp_gpkg)(
                    ScaledFeedback(feedback, _ANON_END + 3, _WRITE_END)
                )
            # The public table is on disk now and nothing below reads it: let it go before the
            # gate's own peak (about 0.3 GB at national scale).
            published_rows = len(public)
            del public, release
            if tmp_gpkg is not None and gpkg_child is None:
                clock.lap("write_gpkg")
            if style_writer is not None and tmp_qml is not None and not style_written:
                style_writer(tmp_qml)
                clock.lap("write_style")
            feedback.set_progress(_WRITE_END)
            feedback.check()
            # the public files' SHA-256 for the manifest: the gate takes it afresh of a file it
            # proves to be its writer's bytes (and remembers it); any other is hashed beside it
            # (the GeoPackage made beside: by its child)
            hashing = _hashed_beside(
                [
                    path
                    for path, checked in ((tmp_csv, csv_output), (tmp_gpkg, gpkg_output))
                    if path is not None
                    and checked is not None
                    and not hashes_afresh(checked)
                    and not isinstance(checked, public_schema.CsvBeingWritten)  # (the gate's)
                ]
            )
            waits.callback(hashing)  # no thread reads a staged file once the stage ends

            # 5. the leak gate on the staged public files, before anything is replaced
            # (one raw-side preparation serves every file: raw values, digests, keys)
            if not isinstance(gate, ReleaseGate) or not gate.serves(source.crimes, point_set):
                gate = ReleaseGate(source.crimes, point_set)
            reports = {
                csv_path.name: check_release(
                    source.crimes, csv_output, point_set, prepared=gate, **k
                ),
            }
            del csv_output  # (its cells: the public table's strings, no longer needed)
            if csv_child is not None:
                csv_child.result()  # (its write's own error, a full disk, raised as the write's)
            style: Any = None
            if gpkg_child is not None and gpkg_path is not None:
                if tmp_qml is not None and qml is not None:
                    # the style, gated here while the child gates the GeoPackage (this process
                    # would only wait for it: some 0.5 s nationally, after the wait before)
                    style = check_release(source.crimes, tmp_qml, point_set, prepared=gate, **k)
                clock.lap("leak_gate")
                if while_waiting is not None:
                    while_waiting()
                    clock.lap("while_waiting")
                gated = gpkg_child.result(CancelOnly(feedback))
                reports[gpkg_path.name] = gated.report
                if gated.style is not None:
                    style = gated.style
                clock.lap("gpkg_beside_wait")
            elif gpkg_path is not None and tmp_gpkg is not None:
                reports[gpkg_path.name] = check_release(
                    source.crimes, gpkg_output, point_set, prepared=gate, **k
                )
            del gpkg_output
            failures = {label: r for label, r in reports.items() if not r.passed}
            if tmp_qml is not None and qml is not None:  # the style beside it is public too
                if style is None:  # (not gated beside)
                    style = check_release(source.crimes, tmp_qml, point_set, prepared=gate, **k)
                if not style.passed:  # (kept out of the audit: CLI and QGIS audits stay equal)
                    failures[qml.name] = style
            if failures:
                error = LeakError(gate_error_message(failures))
                error.reports = reports  # type: ignore[attr-defined]
                raise error
            attach_gate_report(audit, combined_gate_entry(reports))
            clock.lap("leak_gate")
            feedback.set_progress(_GATE_END)
            feedback.check()

            # 6. audit and manifest
            tmp_json, tmp_html = stage.path_for(audit_json), stage.path_for(audit_html)
            write_audit(audit, tmp_json, tmp_html)
            staged = [(csv_path, tmp_csv)]
            if gpkg_path is not None and tmp_gpkg is not None:
                staged.append((gpkg_path, tmp_gpkg))
            if qml is not None and tmp_qml is not None:
                staged.append((qml, tmp_qml))
            staged += [(audit_json, tmp_json), (audit_html, tmp_html)]
            hashing()
            manifest_data = build_manifest(
                crimes_description=source.description,
                crimes_files=source.input_files,
                crimes_entries=source.input_entries,
                points_entry=points_entry,
                rules=rules_obj,
                rules_path=rules_path,
                profile_path=profile_path,
                max_distance_m=distance,
                salt_fingerprint=public_schema.salt_fingerprint(salt),
                audit=audit,
                staged=staged,
                qgis_version=qgis_version,
                rules_entry=rules_entry,
                profile_entry=profile_entry,
            )
            write_manifest(manifest_data, stage.path_for(manifest))
            clock.lap("audit_manifest")
            feedback.check()
            if before_commit is not None:
                before_commit()
            # 7. leaving the block moves everything into place together
    except BaseException:
        # (a refused or cancelled release leaves no thread of its own at work: the salt's
        # fingerprint ends within a third of a second, the warm-up after its current view)
        fingerprinting.join()
        if isinstance(gate, ReleaseGate):
            gate.stop_warm_up()
        raise
    clock.lap("commit")
    feedback.set_progress(100.0)

    totals = audit.get("totals", {})
    return ReleaseOutputs(
        public_csv=csv_path,
        public_gpkg=gpkg_path,
        audit_json=audit_json,
        audit_html=audit_html,
        manifest=manifest,
        qml=qml,
        audit=audit,
        rows_in=int(totals.get("rows_in", 0)),
        published_at_map_point=int(totals.get("published_at_map_point", 0)),
        published_without_location=int(totals.get("published_without_location", 0)),
        withheld_by_rule=int(totals.get("withheld_by_rule", 0)),
        rejected=int(totals.get("rejected", 0)),
        published_rows=published_rows,
        gate_passed=True,
        reconciles=bool(audit.get("reconciles", False)),
        warnings=[str(w) for w in audit.get("warnings", [])],
        file_errors=list(source.file_errors),
        damaged=swallowed_records(source.rejects),
        timings={k: round(v, 3) for k, v in clock.timings.items()},
    )


# --- the gate on its own --------------------------------------------------------------------


@dataclass
class CheckOutcome:
    """The gate report of one check-release run and the inputs' unusable files."""

    report: Any  # core.gate.leak_gate.GateReport
    file_errors: list[str] = field(default_factory=list)


def run_check_release(
    raw: CrimesLike,
    points: Any,
    output: PathLike,
    report_path: Optional[PathLike] = None,
    *,
    profile_path: Optional[PathLike] = None,
    feedback: Optional[Feedback] = None,
    rules: Any = None,
    beside: bool = False,
) -> CheckOutcome:
    """Run the leak gate on a published file or folder against the raw crimes; write the
    report JSON (atomically) when ``report_path`` is given, whatever the result. The caller
    decides how to fail on ``outcome.report.passed``. ``rules`` (a ReleaseRules or a rules
    JSON path; None: the defaults) gives the minimum catchment K the release was made with.
    ``beside``: the caller is a process of its own (the command line, never a QGIS
    session), so the gate may fork children: the raw side's array views and a large
    GeoPackage's read (leak_gate.read_ahead), a folder's pages (core.gate.folder_beside);
    the same report."""
    from ..gate.leak_gate import check_release, prepare_gate, read_ahead

    feedback = feedback or Feedback()
    check_crimes_paths(raw)
    output = Path(output)
    if not output.exists():
        raise ReleaseInputError(not_found("Output to check", output))
    if report_path:
        if Path(report_path).is_dir():
            raise ReleaseInputError(f"report {shown_path(report_path)}: is a folder, not a file")
        # (the report over the file it checks, or a raw extract, replaced it and passed)
        inputs = [*_crimes_paths(raw), output, profile_path, *_points_paths(points)]
        inputs += [rules] if isinstance(rules, (str, os.PathLike)) else []
        _refuse_clash(inputs, [("gate report", report_path)])
        check_output_folder(Path(report_path).parent, "report folder")
    profile = release_profile(profile_path)
    rules_obj, _rules_path = load_rules(rules)
    source, point_set, _ = open_release_inputs(raw, points, profile, feedback, 20.0, 60.0)
    feedback.check()
    k = rules_obj.min_catchment_addresses
    checked: Any = output
    prepared = None
    if beside:
        prepared = prepare_gate(source.crimes, point_set, min_catchment_addresses=k)
        checked = read_ahead(output, prepared)
    report = check_release(
        source.crimes,
        checked,
        point_set,
        min_catchment_addresses=k,
        prepared=prepared,
        read_beside=beside,
    )
    feedback.set_progress(95.0)
    if report_path:
        data = {"output": output.name, **report.to_dict()}
        with staged_outputs() as stage:
            stage.path_for(report_path).write_text(
                json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
    feedback.set_progress(100.0)
    return CheckOutcome(report, list(source.file_errors))


# --- map points from a police.uk history ----------------------------------------------------


@dataclass
class HistoryPointsOutputs:
    """The map points a history gave, what they came from, and where they were written."""

    points: MapPoints
    path: Path
    crimes: int
    months: list[str]
    file_errors: list[str] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)  # validation_report.swallowed_records
    # the load's rows read, accepted and rejected (over every file given), so the command
    # accounts for every row: the rejected are in ``points.warnings`` with their reasons
    rows_read: int = 0
    accepted: int = 0
    rejected: int = 0

    @property
    def span(self) -> str:
        if not self.months:
            return "-"
        return self.months[0] if len(self.months) == 1 else f"{self.months[0]} to {self.months[-1]}"


def run_history_map_points(
    inputs: Sequence[PathLike], out: PathLike, feedback: Optional[Feedback] = None
) -> HistoryPointsOutputs:
    """Map points from a force's published police.uk history, written as a map points CSV
    (atomically)."""
    from ..load.loader import load_extracts
    from .map_points import write_map_points_csv
    from .map_points_files import history_points_from_load

    check_crimes_paths(inputs)
    out = Path(out)
    if out.suffix.lower() != ".csv":
        raise ReleaseInputError(f"{shown_path(out)}: map points are written as a .csv file")
    if out.is_dir():
        raise ReleaseInputError(f"{shown_path(out)}: is a folder, not a file")
    _refuse_clash(list(inputs), [("map points", out)])  # (replaced the history CSV, rc 0)
    check_output_folder(out.parent)
    result = load_extracts([str(p) for p in inputs], feedback=feedback)
    try:
        points = history_points_from_load(result)
    except MapPointsError as exc:
        raise ReleaseInputError(f"map points: {exc}") from exc
    try:
        write_map_points_csv(points, out)
    except OSError as exc:
        raise ReleaseInputError(f"cannot write {shown_path(out)}: {os_error_text(exc)}") from exc
    months = sorted({str(m) for m in result.crimes["month"].dropna().unique()})
    return HistoryPointsOutputs(
        points,
        out,
        len(result.crimes),
        months,
        [f.error for f in result.files if f.error],
        swallowed_records(result.rejects),
        sum(f.rows_read for f in result.files),
        sum(f.accepted for f in result.files),
        sum(f.rejected_total for f in result.files),
    )
