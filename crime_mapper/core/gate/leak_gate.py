"""The leak gate: prove a public output holds nothing from the raw crimes table that must not
be published, or refuse it (fail closed).

Every exporter (public CSV and GeoPackage, web map folder, summaries, hotspot grids) runs this
on what it wrote, before the file is moved into place. The public release table is the first
line of defence (it can only hold police.uk street columns); this gate is the second, and it
does not trust the exporter: it reads the output as a member of the public would (every cell,
JSON string, HTML text node and attribute, script literal, geometry vertex) and compares it
with the raw input.

Eight checks, each reported with the file and up to 5 examples (an example about a
particular value, coordinate, date, reference, contact or address label also says where in
the file it is: core/gate/locate.py, which reads a flagged file again only once a finding
exists; the findings about an output as a whole say none):
  public_schema               crime-row tables have exactly the police.uk street columns
  coordinates_are_map_points  every coordinate is a map point (or explicitly allowed)
  no_raw_coordinates          no raw crime coordinate (WGS84 at 5 dp; projected to the metre
                              or rounded to 10 m as a pair in text, runs of lone eastings or
                              northings, OS grid references with letters)
  no_dates_finer_than_month   no day-precise date, no time, no raw timestamp in any format
                              (1257hrs, 9.30pm, 25th Oct...)
  no_source_references        no force crime reference (in any case, with or without its
                              punctuation), nor its unsalted md5/sha1/sha256
  no_non_public_values        no value of a non-public raw column (offence, location text
                              that is not a map point's, every extra_* source column), in any
                              case, nor a run of 6 words of raw free text
  no_contact_details          no phone number or e-mail address
  locations_are_anonymous     published points do not coincide with true locations, no
                              hexagon fallback under the minimum size, no map point used with
                              a catchment below K, no "On or near" label with a house number
                              (core/release/disclosure.py)
Any exception inside a check fails that check with the exception text; a file the reader
cannot read, or of an unknown type, fails every check (nothing about it is proven).
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar, Union
from weakref import WeakKeyDictionary

import numpy as np
import pandas as pd

from ..common import cpu_share
from ..common.cpu_share import CpuMark
from ..common.gc_pause import gc_paused
from ..common.text_file import shown_line
from ..io.gpkg_write import WrittenGpkg
from ..release.public_schema import CsvBeingWritten, WrittenCsv
from .checks import CHECKS, begin_segment_index
from .checks_beside import run_checks
from .context import (
    CHECK_NAMES,
    MAX_EXAMPLES,
    GateCheck,
    GateContext,
    PreparedGate,
    prepare_gate,
)
from .csv_beside import CsvBeside
from .file_beside import BEHIND_NICENESS
from .gpkg_beside import GpkgBeside
from .output_reader import proves_written, read_output
from .scan import SegmentIndex
from .views_beside import DEFERRED, ViewsBeside

__all__ = [
    "CHECK_NAMES",
    "GateCheck",
    "GateReport",
    "LeakError",
    "PreparedGate",
    "ReleaseGate",
    "ViewsWarmUp",
    "assert_release_safe",
    "check_release",
    "prepare_gate",
    "read_ahead",
]

OutputLike = Union[
    pd.DataFrame, str, Path, WrittenCsv, WrittenGpkg, GpkgBeside, CsvBeside, CsvBeingWritten
]


class LeakError(RuntimeError):
    """A public output failed the leak gate; the message says which checks, files, examples."""


@dataclass
class GateReport:
    """All the checks on one output; ``passed`` only when every check passed."""

    passed: bool
    checks: list[GateCheck]
    output: str = ""

    def failed(self) -> list[GateCheck]:
        return [c for c in self.checks if not c.passed]

    def message(self) -> str:
        """Readable verdict for the analyst: each failed check, its detail and examples. The
        output is named on the verdict's line (core.common.text_file.shown_line): a release
        folder named with a newline and "Leak gate passed" could otherwise add a verdict of
        its own under a failure."""
        where = f" for {shown_line(self.output)}" if self.output else ""
        if self.passed:
            return f"Leak gate passed{where}: all {len(self.checks)} checks passed."
        failed = self.failed()
        lines = [
            f"Leak gate FAILED{where}: {len(failed)} of {len(self.checks)} checks failed; "
            "nothing may be published until this is fixed."
        ]
        for check in failed:
            lines.append(f"- {check.name}: {shown_line(check.detail)}")
            lines.extend(f"    e.g. {shown_line(e)}" for e in check.examples[:MAX_EXAMPLES])
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """Plain data for the audit: {passed, output, checks: [{name, passed, detail,
        examples}]}."""
        return {
            "passed": bool(self.passed),
            "output": self.output,
            "checks": [asdict(c) for c in self.checks],
        }


# ---------------------------------------------------------------------------------------------
def check_release(
    raw: pd.DataFrame,
    output: OutputLike,
    points: Any,
    *,
    extra_allowed_coordinates: Optional[tuple[np.ndarray, np.ndarray]] = None,
    extra_public_values: Iterable[str] = (),
    prepared: Union[PreparedGate, ReleaseGate, None] = None,
    min_catchment_addresses: Optional[int] = None,
    team_texts: Iterable[str] = (),
    read_beside: bool = False,
    checks: Optional[Collection[str]] = None,
) -> GateReport:
    """Run all the checks of ``output`` against the raw crimes table ``raw``.

    ``points`` is the MapPoints set the release was snapped to (longitude, latitude, label,
    lsoa_code, lsoa_name are used). ``extra_allowed_coordinates`` are WGS84 (lon, lat) arrays
    derived from settings, not data (e.g. hexagon vertices of a published grid).
    ``extra_public_values`` (an addition to the contract) names values that are public even
    though a raw non-public column holds them, e.g. neighbourhood names from a public layer.
    ``prepared`` (an addition to the contract): a ``prepare_gate(raw, points, ...)`` made
    from these same inputs, so that several outputs of one release share the raw-side work
    (raw values, reference digests, coordinate keys); a preparation made from other inputs
    raises ValueError. ``prepared`` may also be the release's :class:`ReleaseGate`, which
    serves any extras (and raw/points equal to its own). ``min_catchment_addresses``: K of
    the release rules (a map point used with a known catchment of 1 to K-1 addresses fails
    the gate); None: 8, or the prepared gate's. ``team_texts``: exact texts a
    neighbourhood team supplied for publication (event dates as rendered, the team's e-mail
    addresses and phone numbers); whole occurrences of them are exempt from the date/time
    and contact checks only, never from the reference, coordinate, raw-value or free-text
    checks. ``read_beside``: the caller is a process of its own (the command line, a
    release's process, never a QGIS session), so a folder of many pages may be read with a
    forked child beside (core.gate.folder_beside), and a large output's checks split with
    a child forked once it is read (core.gate.checks_beside): the same report. ``checks`` (an
    addition to the contract): run and report only the checks of these names (in
    CHECK_NAMES' order; an output that cannot be read fails them), and compute no view
    early but a warm-up's: one output checked in two processes, each running some
    (core.publish.webmap_beside), whose reports together are this call's.
    ``output`` may be what :func:`read_ahead` returned (a GeoPackage read by a child).
    """
    try:
        return _check_release(
            raw,
            output,
            points,
            extra_allowed_coordinates=extra_allowed_coordinates,
            extra_public_values=extra_public_values,
            prepared=prepared,
            min_catchment_addresses=min_catchment_addresses,
            team_texts=team_texts,
            read_beside=read_beside,
            checks=checks,
        )
    finally:
        if isinstance(output, (GpkgBeside, CsvBeside)):
            output.stop()  # (its child ended however the call ended; nothing if done)
        if _BESIDE and isinstance(prepared, PreparedGate) and prepared in _BESIDE:
            _BESIDE.pop(prepared).stop()  # (the call failed before it took the views)


def _check_release(
    raw: pd.DataFrame,
    output: OutputLike,
    points: Any,
    *,
    extra_allowed_coordinates: Optional[tuple[np.ndarray, np.ndarray]],
    extra_public_values: Iterable[str],
    prepared: Union[PreparedGate, ReleaseGate, None],
    min_catchment_addresses: Optional[int],
    team_texts: Iterable[str],
    read_beside: bool,
    checks: Optional[Collection[str]],
) -> GateReport:
    """check_release's work (the caller ends a read-ahead child whatever happens here)."""
    if isinstance(prepared, ReleaseGate):
        if not prepared.serves(raw, points):
            raise ValueError("the release gate was built for a different raw table or map points")
        prepared = prepared.prepared(
            extra_allowed_coordinates=extra_allowed_coordinates,
            extra_public_values=extra_public_values,
            min_catchment_addresses=min_catchment_addresses,
        )
        raw, points = prepared.raw, prepared.points
    if prepared is None:
        k = 8 if min_catchment_addresses is None else int(min_catchment_addresses)
        prepared = PreparedGate(raw, points, extra_allowed_coordinates, extra_public_values, k)
    elif not prepared.serves(
        raw,
        points,
        extra_allowed_coordinates,
        extra_public_values,
        prepared.min_addresses if min_catchment_addresses is None else min_catchment_addresses,
    ):
        raise ValueError(
            "the prepared gate was built for a different raw table, map points or settings"
        )
    wanted = CHECK_NAMES if checks is None else [n for n in CHECK_NAMES if n in set(checks)]
    if checks is not None and (not wanted or set(checks) - set(CHECK_NAMES)):
        # (a misspelt or empty list would run fewer checks, or none, and pass)
        raise ValueError(f"checks must name some of {', '.join(CHECK_NAMES)}: {list(checks)}")
    with gc_paused():  # (millions of short-lived containers: see core/common/gc_pause)
        # (what the call read and built is freed as _read_and_check returns, inside the
        # pause: the collection the pause's end sets off then walks the report, not the
        # output's millions of texts, 0.5 s of a national summaries folder's gate)
        return _read_and_check(output, prepared, team_texts, read_beside, checks is None, wanted)


def _read_and_check(
    output: OutputLike,
    prepared: PreparedGate,
    team_texts: Iterable[str],
    read_beside: bool,
    early: bool,
    wanted: Sequence[str],
) -> GateReport:
    """The output read and the ``wanted`` checks run on it (the collector paused; ``early``:
    every check is wanted, so the views are computed while the output is read); a CSV
    being written by a child: its cells checked, then the file proved to be their bytes."""
    if not isinstance(output, CsvBeingWritten):
        return _read_then_check(output, prepared, team_texts, read_beside, early, wanted)
    report = _read_then_check(output, prepared, team_texts, read_beside, early, wanted)
    try:
        written = output.finish()  # (waits for the child's write)
    except Exception as exc:  # noqa: BLE001 - fail closed
        failure = f"the output could not be written: {type(exc).__name__}: {exc}"
        return _all_failed(wanted, failure, str(output.path))
    if report.passed and proves_written(output, written):
        return report
    # (a failing verdict: the file's own, each finding's place found in it; or the file is
    # not those bytes: a NUL found as it was written, or it changed since) the file itself
    # read and checked, as any other
    return _read_then_check(written.path, prepared, team_texts, read_beside, early, wanted)


def _all_failed(wanted: Sequence[str], failure: str, output: str) -> GateReport:
    """Every check of ``wanted`` failed with ``failure``: an output that could not be read
    or written is never passed."""
    return GateReport(False, [GateCheck(n, False, failure, []) for n in wanted], output=output)


def _read_then_check(
    output: OutputLike,
    prepared: PreparedGate,
    team_texts: Iterable[str],
    read_beside: bool,
    early: bool,
    wanted: Sequence[str],
) -> GateReport:
    """:func:`_read_and_check` of an output read as it is."""
    begun: list[SegmentIndex] = []  # (texts split while a folder's pages' child reads)
    try:
        name, artifacts = _read_while_preparing(
            output, prepared, read_beside, early=early, begun=begun
        )
    except Exception as exc:  # noqa: BLE001 - fail closed
        failure = f"the output could not be read: {type(exc).__name__}: {exc}"
        return _all_failed(
            wanted, failure, str(output) if not isinstance(output, pd.DataFrame) else ""
        )
    beside = _BESIDE.pop(prepared, None) if _BESIDE else None
    if beside is not None:  # (read_ahead's child: its views put in before any check)
        beside.collect()
    ctx = GateContext(prepared, artifacts, team_texts)
    if begun:
        begin_segment_index(ctx, begun[0])
    chosen = [(n, fn) for n, fn in CHECKS if n in wanted]
    done = run_checks(ctx, chosen, beside=read_beside)
    if [c.name for c in done] != list(wanted):  # (every check asked for ran: else refused)
        ran = {c.name for c in done}
        done += [
            GateCheck(n, False, "the check did not run; failing closed", [])
            for n in wanted
            if n not in ran
        ]
        return GateReport(False, done, output=name)
    return GateReport(all(c.passed for c in done), done, output=name)


# Raw-side views every output's checks compute whatever the output holds (so computing them
# early, while the output is read, is no extra work).
_ALWAYS_NEEDED = (
    "public_strings",
    "secret_set",
    "references",
    "reference_set",
    "raw_is_point",
    "raw_coordinate_keys",
    "raw_grid_keys",
    "raw_metres",
    "grid_known",
    "timestamp_forms",
    "early_epoch_seconds",
    "raw_released_keys",
)


def _read_while_preparing(
    output: OutputLike,
    prepared: PreparedGate,
    beside: bool = False,
    early: bool = True,
    begun: Optional[list[SegmentIndex]] = None,
) -> tuple[str, list]:
    """read_output(output), with the raw-side views every check needs computed meanwhile
    (the first output of a release): a file is read in a worker thread, whose SQLite steps,
    CSV tokenising and file reads let the preparation run beside them. A GeoPackage's own
    lookups (its few names and metadata strings) are computed while it is read too, even
    when the others are done (a release's second output). A view that fails here is left
    uncomputed, so the check that needs it fails closed as before. ``beside``: a folder of
    many pages is read with a forked child (folder_beside), which needs every other thread
    ended first (the views' warm-up joined): the views still missing are then computed
    here while the child reads. A folder's largest GeoPackage (a release folder's) is read
    by a child of its own, and the folder's other files on the worker thread as above.
    Not ``early`` (some checks only): no view is computed here, but a warm-up under way
    still ends meanwhile. ``begun``: where a folder's pages are read with a child and every
    check runs (``early``), the texts are split for the checks' segment index as they are
    read (folder_beside), and that index is appended here."""
    warming = _WARMING.get(prepared)
    if isinstance(output, (GpkgBeside, CsvBeside)):  # (read by its child: read_ahead)
        try:
            if warming is not None:
                warming.join()
            if early:
                gpkg = isinstance(output, GpkgBeside)
                _compute_views(prepared, _GEOPACKAGE_READ_VIEWS if gpkg else ())
        except BaseException:
            output.stop()
            raise
        return output.result()
    if isinstance(output, pd.DataFrame):
        if warming is not None:
            warming.join()
        return read_output(output)
    more = _GEOPACKAGE_READ_VIEWS if str(output).lower().endswith(".gpkg") else ()
    if beside:
        from .folder_beside import FolderRead

        if warming is not None:
            warming.join()
            warming = None
        split = early and begun is not None
        started = FolderRead.start(output, SegmentIndex() if split else None)
        if started is not None:
            if started.segments is not None and begun is not None:
                begun.append(started.segments)  # (taken by the checks once the read ends)
            try:
                if started.gpkgs:  # (the GeoPackages' lookups too; the rest read on a thread)
                    here = _read_on_a_thread(
                        started.read_here, prepared, early, _GEOPACKAGE_READ_VIEWS
                    )
                    return started.complete(here)
                if early:
                    _compute_views(prepared, more)
            except BaseException:
                started.stop()
                raise
            return started.result()
    return _read_on_a_thread(partial(read_output, output), prepared, early, more, warming)


_T = TypeVar("_T")


def _read_on_a_thread(
    read: Callable[[], _T],
    prepared: PreparedGate,
    early: bool,
    more: tuple[str, ...],
    warming: Optional[ViewsWarmUp] = None,
) -> _T:
    """``read()`` on a worker thread while the views every check needs (and ``more``) are
    computed here, after the warm-up under way (see _read_while_preparing); on this
    thread when there is nothing to compute meanwhile."""
    if warming is None and (
        not early or all(n in prepared.__dict__ for n in _ALWAYS_NEEDED + more)
    ):
        return read()
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(read)
        if warming is not None:  # (its views first: the preparation is this thread's after)
            warming.join()
        if early:
            _compute_views(prepared, more)
        return future.result()


def read_ahead(
    output: OutputLike,
    prepared: Optional[PreparedGate] = None,
    *,
    behind: Optional[Sequence[Optional[CpuMark]]] = None,
) -> OutputLike:
    """``output`` as check_release takes it, its read begun now in a forked child when it
    is a GeoPackage or CSV file large enough to be worth one (core.gate.gpkg_beside,
    core.gate.csv_beside) and a child can be forked now; else ``output`` itself.

    Why (issue 15): a release's gate checks its public CSV, then its GeoPackage; read
    ahead, the GeoPackage's SQLite read (some 3-4 s CPU nationally) runs on the second
    core while this process computes the raw side's views and reads and checks the CSV.
    The report is the one ``output`` itself gives (the child's read, or this process's
    when the child fails, goes into the same artifact). Only for a process of its own (the
    command line, a release's process, never a QGIS session: core.common.forked), and
    only while no other Python thread runs (forked.alone): call it before the gate's
    first call. Pass what it returns to check_release once; a caller that gives up first
    calls its ``stop()``.

    ``prepared``: the preparation the gate's calls will use; its array views (coordinate
    keys, projected axes, reference digests) are then computed by a child of their own
    (core.gate.views_beside) and put into it by the next check_release that uses it,
    before its checks run (a call that fails first ends that child).

    ``behind``: the caller checks ``output`` after other work of this process's (a
    release's GeoPackage after its CSV), so the file's child runs BEHIND_NICENESS nicer
    (core.gate.file_beside), taking the core time this process leaves, where the rest of
    the machine has left room for that since each of these marks (core.common.cpu_share:
    e.g. the process's start, then a recent one; a mark under half a second old says
    nothing, and with none saying anything the child runs at this process's priority). Why
    the room: on a machine busy with other work a nicer child gets next to nothing, and the
    gate would wait for it. None: at this process's priority."""
    if isinstance(prepared, PreparedGate) and prepared not in _BESIDE:
        views = ViewsBeside.start(prepared)
        if views is not None:
            _BESIDE[prepared] = views
    niceness = behind_niceness(behind)
    started: Optional[Union[GpkgBeside, CsvBeside]] = GpkgBeside.start(output, niceness=niceness)
    if started is None:
        started = CsvBeside.start(output, niceness=niceness)
    return output if started is None else started


#: The processes that want a core while a file read ahead ``behind`` is read: this one, its
#: array views' child and the file's child (cpu_share.room_for_nicer).
BEHIND_PROCESSES = 3


def behind_niceness(behind: Optional[Sequence[Optional[CpuMark]]]) -> int:
    """How much nicer read_ahead's child runs (see its ``behind``): BEHIND_NICENESS where
    the machine has had room since each mark, else 0."""
    if behind is None:
        return 0
    return BEHIND_NICENESS if cpu_share.room_for_nicer(behind, BEHIND_PROCESSES) else 0


# the preparations whose array views a child computes (read_ahead); check_release takes them
_BESIDE: WeakKeyDictionary[PreparedGate, ViewsBeside] = WeakKeyDictionary()


# ...and those a release's own files need besides: the unsalted sha256 of every reference
# (a public CSV's Crime IDs are 64 hex digits), and the lookups of a GeoPackage's few names
# and metadata strings (its table and layer names, description)
_RELEASE_VIEWS = ("sha256",)
_GEOPACKAGE_VIEWS = (
    "secret_lower_index",
    "secret_lower_lengths",
    "folded_reference_index",
    "reference_lengths",
    "squeezed_index",
    "squeezed_lengths",
)


# ...and what a GeoPackage's few strings still need when checks._proof_text's proofs rule
# every lookup out (the usual case; the lookups' indexes are built in the check otherwise)
_GEOPACKAGE_READ_VIEWS = ("reference_lengths", "_squeezed_list")
#: (for a caller that computes them before a GeoPackage is checked in a forked child:
#: core.release.gpkg_beside.views_first)
GEOPACKAGE_READ_VIEWS = _GEOPACKAGE_READ_VIEWS


# ...and those a folder of pages and data scripts needs besides (every one of them is asked
# by the checks of a clean national web map folder): the lower-case, squeezed and free-text
# lookups of the non-public values and references (the raw free text's sorted run hashes
# too: a summaries folder's checks need them; a web map made beside does not warm them,
# its few runs are looked up as the raw text is hashed, checks._few_runs_shared)
FOLDER_VIEWS = (
    "folded_reference_index",
    "reference_lengths",
    "reference_patterns",
    "_squeezed_list",
    "squeezed_keys",
    "squeezed_index",
    "squeezed_lengths",
    "squeezed_references",
    "public_lower",
    "secret_lower",
    "secret_lower_index",
    "secret_lower_lengths",
    "secret_lower_patterns",
    "public_fragments",
    "free_text",
    "free_text_hashes",
    "raw_released_sorted",
)


def _compute_views(
    prepared: PreparedGate,
    more: tuple[str, ...] = (),
    stop: Optional[threading.Event] = None,
) -> None:
    """Compute _ALWAYS_NEEDED (and ``more``); a view that fails is left uncomputed (its
    check computes it again and fails closed). ``stop`` set: no further view is begun."""
    _compute_these(prepared, _ALWAYS_NEEDED + more, stop)


def _compute_these(
    prepared: PreparedGate, views: tuple[str, ...], stop: Optional[threading.Event] = None
) -> None:
    """Compute ``views`` (as _compute_views: a failing one left, ``stop`` heeded)."""
    beside = DEFERRED if _BESIDE and prepared in _BESIDE else ()  # (a child computes those)
    for view in views:
        if stop is not None and stop.is_set():
            return
        if view in beside or (view == "sha256" and beside):
            continue
        try:
            if view == "sha256":
                prepared.reference_digests(64)
            else:
                getattr(prepared, view)
        except Exception:  # noqa: BLE001, S112 - the check computes it again and fails
            continue


# the preparations whose ViewsWarmUp is under way: check_release reads the output while it
# ends (_read_while_preparing), and uses the preparation only after
_WARMING: WeakKeyDictionary[PreparedGate, ViewsWarmUp] = WeakKeyDictionary()


class ViewsWarmUp:
    """The raw-side views of one preparation computed on a background thread while an
    exporter makes the output they will check (a web map's CSV read, aggregation and
    writing leave the GIL often: pandas' tokenizer, numpy, file writes), so that on a
    second core the gate finds most of them done.

    Nothing else may use ``prepared`` (nor a base it borrows from) until :meth:`join` has
    returned, but check_release: given it, it reads the output while the views end, and
    joins before it uses it. The owner calls :meth:`stop` (then join) when the export fails
    or is cancelled, which lets the view being computed finish and begins no other. Views
    are pure functions of the preparation's inputs, so computing them early changes no
    verdict; one that fails here is left uncomputed, for its check to compute again and
    fail closed, as without the warm-up."""

    def __init__(
        self, prepared: PreparedGate, more: tuple[str, ...] = FOLDER_VIEWS, *, only: bool = False
    ):
        """``only``: compute ``more`` alone, not _ALWAYS_NEEDED first (some checks only:
        check_release's ``checks``)."""
        self.prepared = prepared
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=_compute_these if only else _compute_views,
            args=(prepared, more, self._stop),
            name="leak gate views",
            daemon=True,
        )
        _WARMING[prepared] = self
        self._thread.start()

    def stop(self) -> None:
        """Begin no further view (the one under way finishes); join() still waits for it."""
        self._stop.set()

    def join(self) -> PreparedGate:
        """Wait for the thread to end; the preparation is the caller's again."""
        self._thread.join()
        if _WARMING.get(self.prepared) is self:
            del _WARMING[self.prepared]
        return self.prepared


class ReleaseGate:
    """The leak gate of one release: the raw side (raw values, reference digests, coordinate
    keys: some 3 s at national scale) prepared once and shared by every gate call of the
    release, whatever each adds (a web map's or summaries' extra allowed coordinates and
    public values, a K of its own).

    Build it once where the release has its raw crimes table and map points, and pass it as
    ``check_release(raw, output, points, prepared=gate)`` (or call :meth:`check`) for the
    public CSV, GeoPackage, style, web map folder, summaries folder, hotspot grids...
    Verdicts and messages are exactly those of ``check_release`` without it: a call with
    extras gets a :class:`PreparedGate` that borrows the views of the raw table and map
    points alone from the release's base preparation and derives the ones the extras
    change (tested against fresh preparations in tests/test_release_gate.py).

    A raw table or map points that are other objects are still served when their values
    are exactly equal (a pipeline stage that opened the same inputs again); anything else
    raises ValueError rather than checking an output against the wrong raw data. Nothing is
    computed until a check needs it, or :meth:`warm_up` asks for the raw side in the
    background. Not thread-safe: one release, one thread (the warm-up is joined before the
    gate is used).
    """

    KEEP = 4  # preparations with extras kept besides the base (the last used)

    def __init__(self, raw: pd.DataFrame, points: Any, *, min_catchment_addresses: int = 8):
        self.raw = raw
        self.points = points
        self.min_addresses = int(min_catchment_addresses)
        self.base = PreparedGate(raw, points, None, (), self.min_addresses)
        self._prepared: list[PreparedGate] = []
        self._equal_inputs: list[tuple[Any, Any]] = []  # (raw, points) proven equal
        self._warming: Optional[threading.Thread] = None
        self._stop_warming = threading.Event()

    def warm_up(self, geopackage: bool = False) -> None:
        """Start computing the raw-side views every gate call needs (non-public values,
        references, coordinate keys: some 2-3 s CPU at national scale) in a background
        thread, while the caller makes the release from the same (unchanged) raw table and
        map points: the anonymiser's k-d tree queries, numpy work and file writes let go of
        the GIL, so on a second core most of the preparation is done by the time the gate
        runs. Any use of the gate first waits for it to finish, so no view is ever computed
        twice at once. A view that fails here is left for its check (which then fails
        closed, as without a warm-up). The views are those every output needs, those a
        public CSV needs, and (``geopackage``) those a GeoPackage's few strings need."""
        if self._warming is not None:
            return
        self._warming = threading.Thread(
            target=_compute_views,
            args=(
                self.base,
                _RELEASE_VIEWS + (_GEOPACKAGE_VIEWS if geopackage else ()),
                self._stop_warming,
            ),
            name="leak gate warm-up",
            daemon=True,
        )
        self._warming.start()

    def stop_warm_up(self) -> None:
        """Begin no further view of the warm-up, and wait for the one under way to end.

        Why: a release that fails or is cancelled before its gate runs would otherwise leave
        the thread computing seconds of views nobody will use (and a thread alive, so no
        child can be forked: core.common.forked.alone). Views not computed are computed by
        the check that needs them, as without a warm-up: nothing about a verdict changes."""
        self._stop_warming.set()
        self._wait()

    def _wait(self) -> None:
        if self._warming is not None:
            self._warming.join()

    def serves(self, raw: Any, points: Any) -> bool:
        """Whether ``raw`` and ``points`` are this release's (the same objects, or equal in
        every value, dtype and type: compared once per pair of objects)."""
        self._wait()
        if raw is self.raw and points is self.points:
            return True
        if any(r is raw and p is points for r, p in self._equal_inputs):
            return True
        if same_table(raw, self.raw) and same_points(points, self.points):
            self._equal_inputs = self._equal_inputs[-3:] + [(raw, points)]
            return True
        return False

    def prepared(
        self,
        *,
        extra_allowed_coordinates: Optional[tuple[np.ndarray, np.ndarray]] = None,
        extra_public_values: Iterable[str] = (),
        min_catchment_addresses: Optional[int] = None,
    ) -> PreparedGate:
        """The preparation for these extras (the base when there are none), sharing every
        raw-side view the extras do not change with the base."""
        self._wait()
        k = self.min_addresses if min_catchment_addresses is None else int(min_catchment_addresses)
        extra_public = list(extra_public_values)
        for prep in [self.base] + self._prepared:
            if prep.serves(self.raw, self.points, extra_allowed_coordinates, extra_public, k):
                return prep
        prep = PreparedGate(
            self.raw, self.points, extra_allowed_coordinates, extra_public, k, base=self.base
        )
        self._prepared = self._prepared[-(self.KEEP - 1) :] + [prep]
        return prep

    def check(self, output: OutputLike, **kw: Any) -> GateReport:
        """check_release(raw, output, points, prepared=self, **kw)."""
        return check_release(self.raw, output, self.points, prepared=self, **kw)

    def assert_safe(self, output: OutputLike, **kw: Any) -> GateReport:
        """assert_release_safe(raw, output, points, prepared=self, **kw)."""
        return assert_release_safe(self.raw, output, self.points, prepared=self, **kw)


def same_table(a: Any, b: Any) -> bool:
    """Whether two raw tables hold exactly the same values: columns, index, dtypes, and every
    cell (object cells of the same type and equal; NaN where NaN). Strict on purpose: a
    difference only costs a fresh preparation."""
    if a is b:
        return True
    if not isinstance(a, pd.DataFrame) or not isinstance(b, pd.DataFrame):
        return False
    if a.shape != b.shape or list(a.columns) != list(b.columns) or not a.index.equals(b.index):
        return False
    return all(_same_column(a[c], b[c]) for c in a.columns)


def _same_column(a: pd.Series, b: pd.Series) -> bool:
    if a.dtype != b.dtype:
        return False
    if isinstance(a.dtype, pd.CategoricalDtype):
        return bool(
            a.cat.categories.equals(b.cat.categories)
            and _same_objects(
                a.cat.categories.to_numpy(dtype=object), b.cat.categories.to_numpy(dtype=object)
            )
            and np.array_equal(a.cat.codes.to_numpy(), b.cat.codes.to_numpy())
        )
    return _same_array(a.to_numpy(), b.to_numpy())


def _same_array(a: np.ndarray, b: np.ndarray) -> bool:
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype == object:
        return _same_objects(a, b)
    if a.dtype.kind in "fc":
        return bool(np.array_equal(a, b, equal_nan=True))
    if a.dtype.kind in "mM":
        return bool(np.array_equal(a.view(np.int64), b.view(np.int64)))
    if a.dtype.kind in "biuSU":
        return bool(np.array_equal(a, b))
    return False


def _same_objects(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal object arrays, cell by cell of the same type (1 is not True, None is not NaN;
    a float NaN only matches a NaN)."""
    left, right = a.tolist(), b.tolist()
    if list(map(type, left)) != list(map(type, right)):
        return False
    if left == right:  # (== on identical objects is True, so a NaN object shared matches)
        return True
    return all(x == y or (x != x and y != y) for x, y in zip(left, right))


_POINT_FIELDS = ("longitude", "latitude", "label", "lsoa_code", "lsoa_name", "source", "addresses")


def same_points(a: Any, b: Any) -> bool:
    """Whether two map point sets are the same objects or of one type with equal arrays in
    every field the gate reads."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    for name in _POINT_FIELDS:
        x, y = getattr(a, name, None), getattr(b, name, None)
        if x is None or y is None:
            if x is not y:
                return False
            continue
        if not _same_array(np.asarray(x), np.asarray(y)):
            return False
    return True


def assert_release_safe(
    raw: pd.DataFrame, output: OutputLike, points: Any, **kw: Any
) -> GateReport:
    """check_release, raising LeakError(report.message()) unless every check passed."""
    report = check_release(raw, output, points, **kw)
    if not report.passed:
        raise LeakError(report.message())
    return report
