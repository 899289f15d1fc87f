"""One monthly release from a configuration: load, anonymise, hotspots, publish, one manifest.

Every way of running the whole release calls :func:`run_monthly_release`: the command line
(``crime_mapper.cli release``), the Processing algorithm ``crime_mapper:monthly_release`` and
the dock's "Run the whole release". The steps are the same functions each step's own command,
algorithm and panel run (core.load, core.release.pipeline, the hotspot writers), so a release
made in one go gives the same files as one made step by step.

What runs a step that needs QGIS is a :class:`StepRunners`: the core's runs everything plain
Python can (load with its report and rejects, anonymise with every public file); the QGIS
side's (qgis_bridge.monthly_release) adds the styled crimes GeoPackage, the hotspot layers and
the QGIS project. A step a runner cannot do is recorded in the manifest as not run, with the
reason, never silently dropped.

Failure: the run stops at the first failing step with :class:`MonthlyReleaseError` (the step,
the reason and what to do). Each step writes its files staged (all or nothing), so the
outputs of earlier steps, and of earlier releases, stay as they were. The manifest
(``manifest.json`` at the top of the release folder) is written last, only for a release
whose every step ran: it covers every step's inputs and outputs with SHA-256, the settings,
the software versions and every leak-gate result, and holds no wall-clock time or folder, so
the same release gives the same manifest bytes. An earlier manifest is taken out of the
folder before the first step runs (:func:`take_manifest`) and put back when the run ends
without a new one only if every file it lists is still the one it describes, so whatever
stops a run (a failure, a cancel, Ctrl-C, SIGTERM, a killed process) no manifest vouches for
files that changed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import platform
import stat
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Optional, Union

from ..common import cpu_share
from ..common.feedback import Cancelled, CancelOnly, Feedback, ScaledFeedback
from ..common.months import month_in_words
from ..common.run_lock import FolderBusy, folder_run_lock, lock_path_for
from ..common.staging import Staging, complete_pending, write_text_atomic
from ..common.text_file import os_error_text, shown_line, shown_path
from .config import (
    NEIGHBOURHOOD_PATHS,
    SUMMARIES_FILES,
    ConfigError,
    ReleaseConfig,
    validate_month,
)

PathLike = Union[str, "os.PathLike[str]"]

__all__ = [
    "LoadStep",
    "MonthlyOutputs",
    "MonthlyReleaseError",
    "StepRecord",
    "StepRunners",
    "StepUnavailable",
    "run_monthly_release",
]

_LOG = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
#: On a MonthlyReleaseError or Cancelled raised by run_monthly_release: the MonthlyOutputs
#: of the steps that finished before it.
PARTIAL_OUTPUTS = "partial_outputs"
#: 2: each step's entry holds its ``warnings`` (a list, empty when there are none); a
#: version 1 manifest has none and is read as a step that said nothing. 3: the publish step's
#: ``web_map`` summary holds ``months``, every month the web map shows, oldest first (the
#: release's and those taken from ``[publish] summaries_history``); before 3 it had none
MANIFEST_VERSION = 3
STEPS = ("load", "check", "anonymise", "hotspots", "publish")
# Share of the progress bar at the end of each step.
_STEP_END = {"load": 25.0, "check": 35.0, "anonymise": 75.0, "hotspots": 92.0, "publish": 100.0}


class MonthlyReleaseError(RuntimeError):
    """A step failed: ``step``, the reason, and what to do about it."""

    def __init__(self, step: str, reason: str, action: str = "") -> None:
        self.step = step
        self.reason = reason
        self.action = action
        super().__init__(self._text())

    def _text(self) -> str:
        text = f"The {self.step} step failed: {self.reason}"
        return f"{text}\nWhat to do: {self.action}" if self.action else text

    def add_action(self, more: str) -> None:
        """Say one thing more about what to do (the run's state after the failure)."""
        self.action = f"{self.action} {more}".strip()
        self.args = (self._text(),)


class ReleaseNotStarted(MonthlyReleaseError):
    """The run did not start: its month folder could not be locked for it (another run holds
    it, or the lock file cannot be written). No step is named: none ran or failed, so the
    dock marks none of them failed."""

    def __init__(self, reason: str, action: str) -> None:
        super().__init__("", reason, action)

    def _text(self) -> str:
        return f"The release did not start: {self.reason}\nWhat to do: {self.action}"


class StepUnavailable(RuntimeError):
    """This runner cannot do the step (e.g. QGIS is needed); recorded, not a failure."""


@dataclass
class LoadStep:
    """What the load step wrote and where the anonymise step reads the crimes from."""

    written: list[Path]
    crimes: Any  # a core.release.crimes_input.CrimesInput or a crimes GeoPackage path
    summary: dict[str, Any]
    reconciles: bool
    report_text: str = ""
    crimes_gpkg: Optional[Path] = None
    #: what the analyst must hear about the load (files not read, records a quote
    #: swallowed: :func:`load_warnings`); the load step's record carries them
    warnings: list[str] = field(default_factory=list)
    #: the input files the load could not use at all, and the records a quote
    #: made of many lines (validation_report's ``file_errors`` and ``swallowed_records``):
    #: what the load command's exit code is made of, kept apart from ``warnings`` so that
    #: the release's exit code is told them as facts (MonthlyOutputs.inputs_not_used)
    file_errors: list[str] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)
    #: ``crimes`` opened in memory (a CrimesInput), for the anonymise step of the same run:
    #: the QGIS load gives the GeoPackage it wrote as read back, from the table it holds
    #: (not saved by core.monthly.outputs_json; dropped once the anonymise step has it)
    opened: Any = field(default=None, repr=False, compare=False)
    #: The load's files still being written beside the next steps (the QGIS load's crimes
    #: GeoPackage): call to wait for them to be in place, or for the error that stopped
    #: them (see _settle_load); None once settled, or when everything was written at once
    settle: Optional[Callable[[], Any]] = field(default=None, repr=False, compare=False)
    #: the located crimes as the hotspot check before the long steps projected them
    #: (core.hotspots.cell_budget.Projected), for the hotspots step reading the same crimes
    #: back (QgisStepRunners.hotspots); None when not asked. Never saved; dropped once used
    projected: Any = field(default=None, repr=False, compare=False)


@dataclass
class StepRecord:
    """One step's outcome in the manifest and in the dock.

    ``warnings``: what the step's own command, algorithm or panel warns about when run on
    its own (extract files not read, a team's link left out as unsafe, families naming no
    neighbourhood, a neighbourhood outline repaired...). Why a field of its own: the
    monthly release dropped them, so an analyst publishing the month was never told what
    the published pages left out. The command line, Processing and the dock show them and
    the manifest keeps them; a warning an earlier step of the release already gave is not
    repeated (:func:`unsaid_warnings`). Kept as said, never escaped here: the manifest
    recorded a file's name holding a newline with a literal backslash-n (a changed value in
    the release's record of itself); they are escaped where shown, one line each
    (:meth:`MonthlyOutputs.warning_lines`, :meth:`MonthlyOutputs.summary_text`)."""

    name: str
    status: str  # "done" | "not run" | "skipped"
    outputs: list[Path] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    warnings: list[str] = field(default_factory=list)


#: How many of one step's warnings :meth:`MonthlyOutputs.warning_lines` lists when asked for
#: a short list (the command line's, the message bar's): a national release's neighbourhood
#: outlines can give hundreds; the manifest keeps every one.
WARNINGS_SHOWN = 20


def load_warnings(report: dict[str, Any]) -> list[str]:
    """The load's warnings from its validation report (core.load.validation_report's
    dictionary, as written to validation_report.json): the files that could not be used and
    the records a quote made of many lines, as the load command warns of them.
    One function for both step runners (the plain load and the QGIS one)."""
    found = [*(report.get("file_errors") or []), *(report.get("swallowed_records") or [])]
    return [str(text) for text in found]


def load_file_facts(report: dict[str, Any]) -> tuple[list[str], list[str]]:
    """LoadStep's (``file_errors``, ``damaged``) from the load's validation report (as
    :func:`load_warnings` reads it), for both step runners."""
    return (
        [str(text) for text in report.get("file_errors") or []],
        [str(text) for text in report.get("swallowed_records") or []],
    )


def unsaid_warnings(warnings: Sequence[str], earlier: Sequence[StepRecord]) -> list[str]:
    """``warnings`` without repeats and without those an ``earlier`` step recorded. Why:
    the later steps read the same inputs again (the summaries and the web map both report
    the extract files the load could not use, and both the same neighbourhood outlines'
    repairs); the analyst hears each once, from the first step that found it."""
    said = {text for record in earlier for text in record.warnings}
    kept: list[str] = []
    for text in warnings:
        if text not in said:
            said.add(text)
            kept.append(text)
    return kept


def _file_uri(path: Any) -> str:
    """A file's address for a browser (its ``#``, ``?``, ``%`` and spaces encoded)."""
    return Path(path).resolve().as_uri()


@dataclass
class MonthlyOutputs:
    """What a monthly release wrote."""

    month: str
    out_dir: Path
    steps: list[StepRecord]
    manifest: Path
    release: Any = None  # core.release.pipeline.ReleaseOutputs
    load: Optional[LoadStep] = None
    hotspots: list[Any] = field(default_factory=list)
    project: Optional[Path] = None
    qa_report: Optional[Path] = None
    #: The raw crimes and map points the anonymise step read (an OpenedInputs), held for
    #: the publish step of the same run so that it does not read them again (at national
    #: scale each read of the crimes GeoPackage and the map points costs seconds). Never
    #: saved (core.monthly.outputs_json) and dropped when the run ends.
    opened: Optional[OpenedInputs] = field(default=None, repr=False, compare=False)
    #: SHA-256 of output files hashed in this run before the manifest (path -> (the file's
    #: identity when hashed, hex digest)): the manifest takes a digest only for a file whose
    #: identity is still the same (see :func:`_file`). Never saved; dropped when the run ends.
    digests: dict[str, tuple[tuple, str]] = field(default_factory=dict, repr=False, compare=False)
    #: the steps this run is to run (run_monthly_release's ``steps``), so that a step may
    #: prepare a later one's inputs; never saved
    planned: tuple[str, ...] = field(default=(), repr=False, compare=False)
    #: whether this run has asked the hotspot sizes' cell counts of the crimes
    #: (_refuse_hotspot_cells); never saved
    hotspot_cells_asked: bool = field(default=False, repr=False, compare=False)
    #: the map points spec of this run's anonymise step whose file is being read on a
    #: thread while the load step reads the extracts (_read_points_ahead); never saved,
    #: dropped once the anonymise step takes it and when the run ends
    points_ahead: Any = field(default=None, repr=False, compare=False)
    #: the machine's and this process's CPU time when this run began (core.common.cpu_share),
    #: so that the publish step can tell whether other work shares the machine; never saved
    cpu_since: Any = field(default=None, repr=False, compare=False)
    #: this run's own warnings not yet said (the month's folder written without its run
    #: lock): the first warnings of the first step it runs, whatever an earlier step said
    #: (each run that went ahead unlocked says so); never saved
    run_warnings: list[str] = field(default_factory=list, repr=False, compare=False)

    def step(self, name: str) -> Optional[StepRecord]:
        return next((s for s in self.steps if s.name == name), None)

    def inputs_not_used(self) -> tuple[list[str], list[str], bool]:
        """(the input files the release could not use at all, the records a quote
        made of many lines, whether the counts reconcile), from the load's and the anonymise
        step's outputs, each said once: what the load and anonymise commands' exit code 1
        is made of (cli._exit_for), so that ``release`` exits as they do. Why: it exited 0
        with a file among the extracts that was no crime extract, and a scheduled job could
        not tell such a month from a whole one."""
        load, release = self.load, self.release
        files: list[str] = []
        damaged: list[str] = []
        for source in (load, release):
            files += [t for t in getattr(source, "file_errors", None) or [] if t not in files]
            damaged += [t for t in getattr(source, "damaged", None) or [] if t not in damaged]
        reconciles = all(bool(getattr(s, "reconciles", True)) for s in (load, release))
        return files, damaged, reconciles

    def warning_lines(
        self, per_step: Optional[int] = None, steps: Optional[Sequence[str]] = None
    ) -> list[str]:
        """Every step's warnings as ``<step>: <warning>``, in step order: the one list the
        command line, Processing and the dock show, each warning on one line (shown_line: a
        newline in a file's name starts no line of its own). ``per_step``: at most that many
        of each step's, then one line saying how many more (all are in the manifest).
        ``steps``: only these steps' (the dock's run of one step: the earlier ones were
        shown when they ran)."""
        lines: list[str] = []
        for record in self.steps:
            if steps is not None and record.name not in steps:
                continue
            shown = record.warnings if per_step is None else record.warnings[:per_step]
            lines += [f"{record.name}: {shown_line(text)}" for text in shown]
            more = len(record.warnings) - len(shown)
            if more:
                lines.append(
                    f"{record.name}: {more:,} more warning{'s' if more > 1 else ''} "
                    f"(every one is listed in {MANIFEST_NAME})"
                )
        return lines

    def summary_text(self) -> str:
        """Where each output is and how to open it, for the command line and the dock."""
        lines = [f"Monthly release {self.month}: {shown_line(self.out_dir)}"]
        prefix = str(self.out_dir) + os.sep
        for record in self.steps:
            head = f"- {record.name}: {record.status}"
            lines.append(head + (f" ({shown_line(record.note)})" if record.note else ""))
            shown = record.warnings[:WARNINGS_SHOWN]
            lines += [f"    Warning: {shown_line(text)}" for text in shown]
            if len(record.warnings) > len(shown):
                lines.append(
                    f"    ({len(record.warnings) - len(shown):,} more warnings: every one is "
                    f"listed in {MANIFEST_NAME})"
                )
            # the web map's and the summaries' files (thousands of pages nationally) are
            # counted under their folder, at any depth, not listed one by one
            inside: dict[str, int] = {"neighbourhoods": 0, "map": 0}
            for path in record.outputs:
                text = str(path)
                folder = text[len(prefix) :].split(os.sep, 1) if text.startswith(prefix) else []
                if len(folder) == 2 and folder[0] in inside:
                    inside[folder[0]] += 1
                else:
                    lines.append(f"    {shown_line(path)}")
            for name, count in inside.items():
                if count:
                    lines.append(f"    {shown_line(self.out_dir / name)}/ ({count} files)")
        lines.append(
            f"Manifest (every input, setting and output with SHA-256): {shown_line(self.manifest)}"
        )
        # (as file URIs: a path through a folder named "Release #3" pasted into a browser
        # would stop at the "#")
        if self.release is not None:
            lines.append(f"Open the audit in a browser: {_file_uri(self.release.audit_html)}")
        for name, page in (
            ("web map", "map/index.html"),
            ("neighbourhood summaries", "neighbourhoods/index.html"),
        ):
            if (self.out_dir / page).is_file():
                lines.append(f"Open the {name} in a browser: {_file_uri(self.out_dir / page)}")
        if self.project is not None:
            lines.append(f"Open the QGIS project: qgis {shown_line(self.project)}")
        return "\n".join(lines)


@dataclass
class OpenedInputs:
    """The raw crimes (a core.release.crimes_input.CrimesInput) and the map points
    (core.release.map_points.MapPoints) of one release, as the anonymise step read them,
    and the release's one leak-gate preparation made from them."""

    crimes: Any
    points: Any
    gate: Any = None  # the release's core.gate.leak_gate.ReleaseGate, for every gate call
    #: (the public CSV's identity, K) once the anonymise step's leak gate passed it with
    #: ``gate``: the summaries do not check again the table that gate parsed
    passed_csv: Optional[tuple] = None
    #: the publish step's neighbourhoods (core.publish.summaries_run.load_neighbourhoods of
    #: the configured source), read while the anonymise step waited for its GeoPackage's
    #: child; None when not read there (the publish step reads them, as it always did)
    neighbourhoods: Any = None


#: the name of the thread that reads a release's map points while its load step runs
POINTS_AHEAD_THREAD = "crime_mapper map points ahead"


def _read_once(spec: Any, ahead: Optional[Feedback] = None) -> Any:
    """The configured map points spec, resolved at most once: every later resolve() returns
    the same MapPoints. Kind, paths and description are unchanged, so the release manifest
    describes the map points exactly as it does for the spec itself. ``ahead``: the points
    are read now, on a thread that stops when this feedback is cancelled; the first
    resolve() waits for that read and returns its points or raises its error, as a read
    then would have."""
    from ..release.map_points_files import MapPointsSpec

    class ReadOnce(MapPointsSpec):
        resolved: Any = None
        reading: Optional[Callable[[], Any]] = None

        def resolve(self, crimes: Any = None, feedback: Optional[Feedback] = None) -> Any:
            if self.resolved is None:
                reading, self.reading = self.reading, None
                if reading is not None:
                    self.resolved = reading()
                else:
                    self.resolved = MapPointsSpec.resolve(self, crimes, feedback)
            return self.resolved

    once = ReadOnce(**{f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)})
    if ahead is not None:
        from ..common.background import beside

        stop = CancelOnly(ahead)

        def read() -> Any:
            points = MapPointsSpec.resolve(once, None, stop)
            try:  # (cached on the points: the snapping index's projection, made here too)
                points.projected()
            except Exception:  # noqa: BLE001, S110 - snapping projects again, its error its own
                pass
            return points

        once.reading = beside(read, POINTS_AHEAD_THREAD)
    return once


def _read_points_ahead(
    config: ReleaseConfig,
    month: str,
    outputs: MonthlyOutputs,
    runners: StepRunners,
    feedback: Feedback,
) -> None:
    """Start reading the map points file(s) on a thread while the load step reads the
    extracts, when this run's anonymise step will read them from files.

    Why (issue 15, the national release): the anonymise step read 750,000 map points and
    projected them for its snapping index (some 1.3 s) after the load had read the crimes,
    while the load leaves the second core partly idle; the reads are of different files,
    with sqlite3, pandas, numpy and pyproj, which let go of Python's lock for much of their
    work (the anonymise command reads both at once: core.release.pipeline._read_both). The
    load then takes some 0.7 s longer and the anonymise step 1.4-2 s less (load and
    anonymise of the national month: 13.3-14.3 s against 13.4-16.1 s, 4 runs each in
    turn). The anonymise step takes the points read here (``outputs.points_ahead``), the
    read's error raised there as before. Points made from the crimes (hexagons) are made
    there as before, and a run without both steps reads nothing ahead; nor do the QGIS
    runners, whose load has no idle core (StepRunners.reads_points_ahead). The release QA
    of the check step between them takes the same points (it read them a second time)."""
    if "anonymise" not in outputs.planned or "load" not in outputs.planned:
        return
    if not runners.reads_points_ahead:
        return
    spec = _points_spec(config, month)
    if spec.needs_crimes or spec.kind not in ("file", "history"):
        return
    outputs.points_ahead = _read_once(spec, ahead=feedback)


class StepRunners:
    """How each step runs without QGIS (the command line in plain Python).

    The QGIS side subclasses this (qgis_bridge.monthly_release.QgisStepRunners) to write the
    styled crimes GeoPackage, the hotspot layers and the project.
    """

    qgis_version: Optional[str] = None
    #: Whether the release may work in forked children beside this process
    #: (core.common.forked): the anonymise step's public GeoPackage beside its CSV
    #: (core.release.gpkg_beside), the publish step's web map beside the summaries. Only a
    #: process started for the release (the command line, the dock's release process) sets
    #: it, never a QGIS session
    publish_beside: bool = False
    #: Raw crimes of other months that the map points must not be (crimes GeoPackages or
    #: extracts; core.release.pipeline ``other_crimes``): the dock passes the internal tables
    #: of the project's other loads, as the Release tab and crime_mapper:anonymise do.
    other_crimes: Sequence[str] = ()
    #: Whether a run's map points may be read on a thread while its load step runs
    #: (_read_points_ahead): the load here only reads and checks the extracts, leaving
    #: the second core partly idle
    reads_points_ahead: bool = True

    def load(
        self,
        inputs: Sequence[Path],
        out_dir: Path,
        profile_path: Optional[Path],
        feedback: Feedback,
        month: Optional[str] = None,
    ) -> LoadStep:
        """Load once: the validation report and rejects are written, and the loaded crimes
        go straight to the anonymise step (no second read). ``month``: the release's, whose
        rows alone are accepted (a row of another month is month_mismatch)."""
        from ..load import validation_report as report
        from ..load.load_run import LoadRunError, check_inputs_exist, prepare_out_dir
        from ..load.loader import load_extracts
        from ..load.sources import InputError
        from ..release.crimes_input import CrimesInput, load_profile
        from ..release.release_files import extracts_description, input_files

        check_inputs_exist(inputs)
        out = prepare_out_dir(out_dir)
        profile = load_profile(profile_path)
        try:
            result = load_extracts(
                [str(p) for p in inputs], profile=profile, feedback=feedback, release_month=month
            )
        except InputError as exc:
            raise LoadRunError(str(exc)) from exc
        names = report.OUTPUT_NAMES
        paths = [out / names[key] for key in ("rejects", "report_json", "report_text")]
        text = report.report_text(result)
        from ..common.staging import staged_outputs

        with staged_outputs() as stage:
            report.write_rejects_csv(result, stage.path_for(paths[0]))
            report.write_report_json(result, stage.path_for(paths[1]))
            stage.path_for(paths[2]).write_text(text + "\n", encoding="utf-8")
        files = input_files(inputs)
        crimes = CrimesInput(
            crimes=result.crimes,
            rejects=result.rejects,
            input_files=files,
            description=extracts_description(files),
            profile=profile,
            file_errors=[f.error for f in result.files if f.error],
        )
        summary = report.report_dict(result)
        file_errors, damaged = load_file_facts(summary)
        return LoadStep(
            written=paths,
            crimes=crimes,
            summary=_load_summary(summary),
            reconciles=bool(summary["reconciles"]),
            report_text=text,
            warnings=load_warnings(summary),
            file_errors=file_errors,
            damaged=damaged,
        )

    def style_writer(self) -> Optional[Callable[[Path], None]]:
        """Writes the public layer's QML (QGIS only)."""
        return None

    def hotspots(self, load: LoadStep, out_dir: Path, config: ReleaseConfig, month: str, feedback):
        raise StepUnavailable("hotspot layers are written by QGIS (run it in QGIS or qgis_process)")

    def makes_hotspots(self, load: LoadStep) -> bool:
        """Whether :meth:`hotspots` makes layers of this load (not "not run"): only then are
        the hotspot sizes asked before the long steps (_refuse_hotspot_cells)."""
        return False

    def project(self, outputs: MonthlyOutputs, path: Path) -> Path:
        raise StepUnavailable("the QGIS project needs QGIS")

    def atlas(
        self, done: Any, public_csv: Path, pdf: Path, feedback: Feedback, staging: Any = None
    ) -> Path:
        """Write the neighbourhood summaries ``done`` (a SummaryExport, in place or staged:
        SummaryExport.files_at) as a PDF atlas at ``pdf``, from the public release
        ``public_csv`` they were made from; staged, so a failure or a cancel leaves an
        earlier atlas as it was: in ``staging`` when given (a core.common.staging.Staging,
        which the caller commits with the step's other outputs), else on its own. Why a
        runner's: the atlas is a QGIS print layout (qgis_bridge.atlas), which plain Python
        cannot draw; the publish step says so as a warning (publish.atlas), never silently."""
        raise StepUnavailable(
            "the PDF atlas is drawn by a QGIS print layout (run the release where QGIS imports: "
            "the command line with QGIS's Python, the dock or qgis_process)"
        )


def _load_summary(report: dict) -> dict[str, Any]:
    totals = report.get("totals", {})
    return {
        "rows_read": totals.get("rows_read"),
        "accepted": totals.get("accepted"),
        "no_location": totals.get("no_location"),
        "rejected": totals.get("rejected"),
        "reconciles": report.get("reconciles"),
    }


# --- the run --------------------------------------------------------------------------------


def check_config(config: ReleaseConfig, month: str, steps: Sequence[str] = STEPS) -> None:
    """Refuse to start on any problem of the steps about to run (and of the month and the
    output folder, which every step needs) found before anything runs. A path the
    configuration cannot name (a placeholder other than {month}, a ``~user`` unknown here)
    is such a problem too: its ConfigError escaped the Processing algorithm as a traceback."""
    try:
        found = config.problems_by_step(month)
    except ConfigError as exc:
        raise MonthlyReleaseError(
            "check",
            f"the release configuration has problems:\n- {exc}",
            "correct the configuration (or the files it names) and run the release again",
        ) from exc
    problems = [text for key in ("release", *STEPS) if key == "release" or key in steps
                for text in found.get(key, [])]  # fmt: skip
    if not problems and "publish" in steps:
        problems = summaries_file_problems(config, month)
    if problems:
        raise MonthlyReleaseError(
            "check",
            "the release configuration has problems:\n- " + "\n- ".join(problems),
            "correct the configuration (or the files it names) and run the release again",
        )


def summaries_file_problems(config: ReleaseConfig, month: str) -> list[str]:
    """What is wrong with the team information and families files (publish.team,
    publish.families), read as the summaries will read them, when this release makes
    summaries. Why before anything runs: the summaries read them only at the publish step,
    so a typo in the team file failed the release after the extract was loaded and
    anonymised (minutes nationally), and the analyst fixed it and ran everything again.
    Read here, not among the configuration's problems (which the dock works out on every
    change of its form): these files are read whole, and their problems need the read."""
    from ..publish.summaries_run import read_families
    from ..publish.summaries_team import read_team

    publish = config.publish
    if not publish.summaries:
        return []
    problems = []
    for key, read in (("team", read_team), ("families", read_families)):
        text = getattr(publish, key)
        if not text:
            continue
        try:
            read(config.path(text, month))
        except (ValueError, OSError) as exc:  # (TeamError, SummaryError: ValueErrors)
            problems.append(f"{exc} (publish.{key})")
    return problems


def _failure(step: str, exc: BaseException) -> MonthlyReleaseError:
    """The reason and what to do, in the analyst's words, for what a step raised."""
    from ..common.dependencies import MissingDependency

    name = type(exc).__name__
    if name == "LeakError":
        return MonthlyReleaseError(
            step,
            str(exc),
            "nothing was published and the previous release is unchanged; check the map "
            "points and the rules, then run the release again",
        )
    if isinstance(exc, MissingDependency):
        return MonthlyReleaseError(step, str(exc), "install the package, then run it again")
    if isinstance(exc, (ValueError, OSError, StepUnavailable)):
        return MonthlyReleaseError(
            step, str(exc), "correct the input or setting named, then run the release again"
        )
    return MonthlyReleaseError(step, f"{name}: {exc}", "see the log; earlier outputs are unchanged")


def run_monthly_release(
    config: ReleaseConfig,
    month: str,
    *,
    runners: Optional[StepRunners] = None,
    feedback: Optional[Feedback] = None,
    steps: Sequence[str] = STEPS,
    on_step: Optional[Callable[[str, str], None]] = None,
    previous: Optional[MonthlyOutputs] = None,
) -> MonthlyOutputs:
    """Run the release for ``month``; raise MonthlyReleaseError at the first failure (or
    core.common.feedback.Cancelled). ``steps`` runs a subset (the dock's single steps);
    ``on_step(step, state)`` hears "running" / "done" / "not run" as the run goes.

    ``previous``: what earlier runs of this release wrote (the dock's single steps): the
    steps before the first one run now are taken from it, never re-run; its records from
    that step on are dropped (they no longer match). The project and the manifest are
    written once every step has a record, so a release run step by step ends with the same
    manifest as one run in one go.

    The month's folder is locked for the run (:func:`_release_lock`): while another run
    holds it, ReleaseNotStarted is raised before any input is read or output written. A run
    that goes ahead without the lock (core.common.run_lock: no locks on the file system, a
    folder above the month's that the user may not write) says so as the first warning of
    the first step it runs, which the command line, Processing, the dock and the manifest
    show as every step's warnings."""
    runners = runners or StepRunners()
    feedback = feedback or Feedback()
    try:
        month = validate_month(month)
    except ConfigError as exc:
        raise MonthlyReleaseError("check", str(exc), "give the month as YYYY-MM") from exc
    check_config(config, month, steps)
    out_dir = config.output_dir(month)
    unlocked: list[str] = []
    with _release_lock(out_dir, month, unlocked.append):
        return _run_locked(
            config, month, out_dir, runners, feedback, steps, on_step, previous, unlocked
        )


@contextlib.contextmanager
def _release_lock(out_dir: Path, month: str, warn: Callable[[str], None]) -> Iterator[None]:
    """Hold the month folder's run lock (core.common.run_lock), taken before any input is
    read or output written. Why: a second run of the same month (a scheduled job beside
    the dock) wrote the folder at once, the two runs' steps replacing each other's files;
    it is now refused at once (ReleaseNotStarted naming the run that holds the folder).
    ``warn`` hears that the run goes ahead without the lock, and why."""
    held = contextlib.ExitStack()
    try:
        held.enter_context(folder_run_lock(out_dir, f"monthly release {month}", warn=warn))
    except FolderBusy as exc:
        raise ReleaseNotStarted(exc.reason, exc.action) from exc
    except OSError as exc:
        raise ReleaseNotStarted(
            f"its run lock could not be written beside {shown_path(out_dir)} "
            f"({shown_path(lock_path_for(out_dir))}): {os_error_text(exc)}; nothing was read "
            "or written",
            "make the folder above the output folder writable, then run the release again",
        ) from exc
    with held:
        yield


def _run_locked(
    config: ReleaseConfig,
    month: str,
    out_dir: Path,
    runners: StepRunners,
    feedback: Feedback,
    steps: Sequence[str],
    on_step: Optional[Callable[[str, str], None]],
    previous: Optional[MonthlyOutputs],
    unlocked: Sequence[str] = (),
) -> MonthlyOutputs:
    """:func:`run_monthly_release` once the month folder's run lock is held (``unlocked``:
    or the warnings that it went ahead without it)."""
    outputs = _resume(previous, month, out_dir, steps)
    outputs.run_warnings = list(unlocked)
    outputs.planned = tuple(steps)
    outputs.cpu_since = cpu_share.mark()
    notify = on_step or (lambda _step, _state: None)
    held = take_manifest(outputs.manifest)
    try:
        with _one_parse_of_release_csv(config, steps):
            _run_steps(config, month, outputs, runners, feedback, steps, notify)
    except BaseException as exc:  # (Ctrl-C and SIGTERM too: see take_manifest)
        for text in outputs.run_warnings:  # (no step of this run to say them: the log)
            _LOG.warning(text)
        outputs.run_warnings = []
        failure = _settled_failure(exc, outputs, notify)
        withdrawn = _put_back(held)
        if withdrawn and isinstance(failure, MonthlyReleaseError):
            failure.add_action(MANIFEST_WITHDRAWN)
        setattr(failure, WITHDRAWN, withdrawn)  # noqa: B010 - (cancelled_text says it)
        # what the steps before the failure wrote (they stay on disk): the dock continues
        # from it when the failed step is run again on its own
        setattr(failure, PARTIAL_OUTPUTS, outputs)  # noqa: B010 - Cancelled is not ours
        if failure is exc:
            raise
        raise failure from exc
    else:
        _put_back(held)  # (steps run on their own: the whole release writes no manifest)
    finally:
        with contextlib.suppress(BaseException):  # (an interrupt) no thread left behind
            _settle_load(outputs, lambda _step, _state: None)
        outputs.opened = None  # the raw tables are not kept once the run ends
        outputs.points_ahead = None
        outputs.digests = {}
        outputs.cpu_since = None
    return outputs


def _settled_failure(
    exc: BaseException, outputs: MonthlyOutputs, notify: Callable[[str, str], None]
) -> BaseException:
    """What a run stopped by ``exc`` reports, once no thread is left writing the load's
    files (what the folder holds is then final): the load's own failure when it came first.
    An interrupt (Ctrl-C, SIGTERM) or an unforeseen error stays what it was."""
    ordinary = isinstance(exc, (Cancelled, MonthlyReleaseError))
    try:
        _settle_load(outputs, notify if ordinary else lambda _step, _state: None)
    except (Cancelled, MonthlyReleaseError) as load_failure:
        return load_failure if ordinary else exc
    return exc


#: On what run_monthly_release raises: whether the month's earlier manifest stays removed
#: (HeldManifest.put_back)
WITHDRAWN = "manifest_withdrawn"


def _finished_steps(exc: BaseException) -> list[str]:
    """The steps of the stopped run that finished (their files committed) before ``exc``."""
    outputs = getattr(exc, PARTIAL_OUTPUTS, None)
    planned = getattr(outputs, "planned", ()) or ()
    steps = getattr(outputs, "steps", [])
    return [r.name for r in steps if r.name in planned and r.status == "done"]


def _their_files(finished: list[str]) -> str:
    """What the steps that finished left, in the words cancelled_text and interrupted_text
    share ("the load, check steps finished before it, and their new files are in place")."""
    many = len(finished) > 1
    return (
        f"the {', '.join(finished)} step{'s' if many else ''} finished before it, and "
        f"{'their' if many else 'its'} new files are in place"
    )


def cancelled_text(exc: BaseException) -> str:
    """What a cancelled run left, for the user: the step under way changed nothing, but the
    steps that finished before it committed their files (each step is all or nothing)."""
    finished = _finished_steps(exc)
    if not finished:
        return "Cancelled: nothing was changed."
    text = f"Cancelled: the step under way changed nothing; {_their_files(finished)}."
    return f"{text} {MANIFEST_WITHDRAWN}" if getattr(exc, WITHDRAWN, False) else text


def interrupted_text(exc: BaseException, how: str) -> str:
    """What a run stopped by a signal left (``how``: "Interrupted (Ctrl-C)"), for the
    command line. Unlike a cancel, a signal may come as a step moves its files into place
    (those moves are then completed, so the step's files are all new or all old): only what
    finished is said, and whether the earlier manifest was removed."""
    finished = _finished_steps(exc)
    if not finished:
        text = f"{how} before any step finished."
    else:
        text = f"{how}: the step under way was stopped; {_their_files(finished)}."
    return f"{text} {MANIFEST_WITHDRAWN}" if getattr(exc, WITHDRAWN, False) else text


MANIFEST_WITHDRAWN = (
    f"The month's earlier {MANIFEST_NAME} was removed: files it vouched for were replaced "
    "by this run, so the folder is no longer that release. Run the release again (or the "
    "failed step and those after it) to make a whole one."
)


@dataclass(frozen=True)
class HeldManifest:
    """The month's manifest as a run found it, out of the folder while the run's steps work
    (:func:`take_manifest`): its bytes, permissions and time, to be put back as they were."""

    path: Path
    data: bytes
    written: int  # st_mtime_ns: a listed file no newer is as the manifest describes it
    mode: int

    def put_back(self) -> bool:
        """Put the manifest back unless a file it lists is no longer the file it describes
        (replaced, removed), or a manifest is in its place (this run's own); return whether
        it stays withdrawn. Call it once the run's work has stopped (no thread or child
        left to commit). Only files newer than the manifest (committed after it, on the
        same file system's clock) are read again. A manifest that cannot be written back
        stays withdrawn: no manifest is what the folder may hold, a stale one never."""
        if os.path.lexists(self.path):
            return False
        try:
            if _lists_changed_files(self.data, self.path.parent, self.written):
                return True
            _write_back(self)
        except OSError:
            return True
        return False


def take_manifest(manifest: Path) -> Optional[HeldManifest]:
    """Take the month's manifest out of its folder before the run's first step, its bytes
    kept here (None: there is none, or no regular file is there).

    Why: each step commits its own files (all or nothing), so from a step's first commit
    until the run's end the earlier manifest vouched, by SHA-256, for files that had changed.
    A failure or a cancel removed it at the end, but a run stopped by Ctrl-C or SIGTERM (or
    killed) left it in place, and a step run on its own (the dock) replaced its files and
    left it too. Out of the folder from the start, no moment exists where it sits beside
    files it does not describe; a run that ends without writing a new one puts it back once
    it is shown to hold (:meth:`HeldManifest.put_back`), so a run that changed nothing
    keeps it. A process killed outright (SIGKILL, a power cut) before then leaves no
    manifest even if it changed nothing: the release run again writes the same one."""
    try:
        # (a commit an earlier run left half done, its manifest maybe among the moves still
        # to make, is completed now, not by the first step's staging once the held one is out)
        complete_pending(manifest.parent)
    except OSError as exc:
        raise MonthlyReleaseError(
            "check",
            f"an earlier run's outputs in {shown_line(manifest.parent)} cannot be moved into "
            f"place: {shown_line(exc.strerror or exc)}",
            "remove the cause named, then run the release again",
        ) from exc
    try:
        info = os.stat(manifest)
        if not stat.S_ISREG(info.st_mode):
            return None  # (a folder, a FIFO: no manifest of this tool's, left as it is)
        held = HeldManifest(manifest, manifest.read_bytes(), info.st_mtime_ns, info.st_mode)
    except OSError:
        return None
    try:
        os.unlink(manifest)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise MonthlyReleaseError(
            "check",
            f"the month's earlier {MANIFEST_NAME} in {shown_line(manifest.parent)} cannot be "
            f"taken out while the release runs: {exc.strerror or exc}",
            "make the release folder writable, then run the release again",
        ) from exc
    return held


def _put_back(held: Optional[HeldManifest]) -> bool:
    """HeldManifest.put_back, for a run that found none too (nothing withdrawn)."""
    return held.put_back() if held is not None else False


def _write_back(held: HeldManifest) -> None:
    """The held manifest in place again, as it was (bytes, permissions, time): written
    beside it under a name complete_pending removes should the process die here
    (``.manifest.json.XXXXXXXX.tmp``), then renamed. Not through Staging: its commit asks
    the dock's question (ask_before_commits), and a Cancel already pressed kept out a
    manifest that holds."""
    fd, tmp = tempfile.mkstemp(prefix=f".{held.path.name}.", suffix=".tmp", dir=held.path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(held.data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, stat.S_IMODE(held.mode))
        os.utime(tmp, ns=(held.written, held.written))
        os.replace(tmp, held.path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _lists_changed_files(data: bytes, folder: Path, written: int) -> bool:
    """Whether the manifest ``data`` (of ``folder``, written at ``written``) lists a file
    that was replaced or removed since. A commit whose moves a signal stopped half way is
    completed first (core.common.staging.complete_pending, as the next reader would), so
    the answer is about the files the folder will hold."""
    try:
        parsed = json.loads(data)
    except (ValueError, RecursionError):
        return False  # (not one this tool can read: nothing vouched for here)
    steps = parsed.get("steps") if isinstance(parsed, dict) else None
    entries = [
        entry
        for step in (steps if isinstance(steps, list) else [])
        if isinstance(step, dict) and isinstance(step.get("outputs"), list)
        for entry in step["outputs"]
        if isinstance(entry, dict) and isinstance(entry.get("name"), str) and entry["name"]
    ]
    for sub in _folders_holding([entry["name"] for entry in entries]):
        complete_pending(folder / sub)
    return any(_no_longer(folder / e["name"], e, written) for e in entries)


def _folders_holding(names: list[str]) -> set[str]:
    """The folders of the release folder ("" itself) that hold the files ``names``, and
    those above them: where a commit of theirs is staged. A name that leaves the folder
    ("..", absolute) adds none: nothing outside it is the release's to complete."""
    found = {""}
    for name in names:
        path = PurePosixPath(name)
        parents = path.parts[:-1]
        if path.is_absolute() or ".." in parents:
            continue
        found.update("/".join(parents[:end]) for end in range(1, len(parents) + 1))
    return found


def _no_longer(path: Path, entry: dict, written: int) -> bool:
    """Whether ``path`` is no longer the file its manifest ``entry`` describes: a file
    committed after the manifest (newer than it) is hashed, since a step run again on the
    same inputs writes the same bytes, for which the manifest still holds."""
    from ..release.release_files import sha256_file

    try:
        info = os.stat(path)
        if info.st_mtime_ns <= written:
            return False
        return info.st_size != entry.get("bytes") or sha256_file(path) != entry.get("sha256")
    except OSError:
        return True  # (removed, or replaced by a folder)


def _one_parse_of_release_csv(config: ReleaseConfig, steps: Sequence[str]) -> Any:
    """The public CSV parsed once when the summaries are made from it in this run: the
    anonymise step's leak gate parses it, and the summaries take that table
    (core.release.public_schema.remembering_tables; the same pandas call on the same,
    unchanged file). Without summaries nothing is held."""
    if "publish" in steps and config.publish.summaries:
        from ..release.public_schema import remembering_tables

        return remembering_tables()
    return contextlib.nullcontext()


def _run_steps(config, month, outputs, runners, feedback, steps, notify) -> None:
    start = 0.0
    if outputs.load is not None:  # (continued from a load run before: its table, if held)
        _hotspot_cells_or_fail(config, outputs, runners, notify)
    for step in STEPS:
        end = _STEP_END[step]
        if step not in steps:
            start = end
            continue
        feedback.check()
        done = {record.name for record in outputs.steps}
        missing = [earlier for earlier in STEPS[: STEPS.index(step)] if earlier not in done]
        if missing:
            notify(step, "failed")
            raise MonthlyReleaseError(
                step, f"the {missing[0]} step has not run", f"run the {missing[0]} step first"
            )
        notify(step, "running")
        if step == "load":
            _read_points_ahead(config, month, outputs, runners, feedback)
        sub = ScaledFeedback(feedback, start, end)
        try:
            record = _run_step(step, config, month, outputs, runners, sub, notify)
        except (Cancelled, MonthlyReleaseError):
            notify(step, "failed")
            raise
        except Exception as exc:  # noqa: BLE001 - turned into the reason and what to do
            notify(step, "failed")
            raise _failure(step, exc) from exc
        # (kept as said, as the manifest records them: see StepRecord)
        record.warnings = unsaid_warnings([str(t) for t in record.warnings], outputs.steps)
        record.warnings[:0], outputs.run_warnings = outputs.run_warnings, []
        outputs.steps.append(record)
        notify(step, record.status)
        if step == "load":  # (the crimes are read: the hotspot sizes asked before the rest)
            _hotspot_cells_or_fail(config, outputs, runners, notify)
        feedback.set_progress(end)
        start = end
    _settle_load(outputs, notify)
    feedback.check()
    if [record.name for record in outputs.steps] == list(STEPS):
        if config.publish.project:
            _write_project(outputs, runners)
        manifest = build_monthly_manifest(config, month, outputs, runners)
        try:
            write_text_atomic(
                outputs.manifest, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
            )
        except OSError as exc:
            made = f"this run's {PROJECT_NAME} is in place" if outputs.project else ""
            raise _after_the_steps(outputs.manifest, exc.strerror or str(exc), made) from exc


def _run_step(step, config, month, outputs, runners, feedback, notify) -> StepRecord:
    """One step, with the load's files settled first unless the step never reads them (the
    anonymise step, whose manifest settles them when it describes the crimes GeoPackage;
    the check step without release QA). Whatever the step raises, the load is settled
    first: its failure came first, so it is the one reported."""
    if step != "anonymise" and (step != "check" or config.qa.enabled):
        _settle_load(outputs, notify)
    try:
        return _RUNNERS[step](config, month, outputs, runners, feedback)
    except BaseException:
        _settle_load(outputs, notify)
        raise


def _settle_load(outputs: MonthlyOutputs, notify: Callable[[str, str], None]) -> None:
    """Wait for the load's files written beside the later steps (LoadStep.settle). If they
    could not be written (or the run was cancelled while they were), none of them moved
    into place: the load step is no longer done (its record and outputs are dropped, so
    a dock that continues from here runs it again) and its error is raised as the load
    step's failure."""
    load = outputs.load
    if load is None or load.settle is None:
        return
    settle, load.settle = load.settle, None
    try:
        settle()
    except BaseException as exc:
        outputs.steps = [record for record in outputs.steps if record.name != "load"]
        outputs.load = None
        outputs.opened = None
        notify("load", "failed")
        if isinstance(exc, (Cancelled, MonthlyReleaseError)):
            raise
        raise _failure("load", exc) from exc


def _resume(
    previous: Optional[MonthlyOutputs], month: str, out_dir: Path, steps: Sequence[str]
) -> MonthlyOutputs:
    """The outputs to continue from: ``previous`` up to the first step run now."""
    outputs = MonthlyOutputs(month, out_dir, [], out_dir / MANIFEST_NAME)
    if previous is None or previous.month != month or Path(previous.out_dir) != out_dir:
        return outputs
    first = min((STEPS.index(s) for s in steps if s in STEPS), default=len(STEPS))
    kept = [r for r in previous.steps if r.name in STEPS[:first]]
    outputs.steps = sorted(kept, key=lambda r: STEPS.index(r.name))
    names = {r.name for r in outputs.steps}
    outputs.load = previous.load if "load" in names else None
    outputs.qa_report = previous.qa_report if "check" in names else None
    outputs.release = previous.release if "anonymise" in names else None
    outputs.hotspots = list(previous.hotspots) if "hotspots" in names else []
    return outputs


def _crimes_of(config: ReleaseConfig, month: str, outputs: MonthlyOutputs) -> Any:
    """The loaded crimes for a later step: the load's table or GeoPackage, or (a plain load
    resumed in another process, whose table is gone) the extracts again."""
    if outputs.load is not None and outputs.load.crimes is not None:
        return outputs.load.crimes
    return config.input_paths(month)


def _load_step(config, month, outputs, runners, feedback) -> StepRecord:
    from ..load.load_run import LoadRunError

    inputs = config.input_paths(month)
    profile = config.optional_path(config.profile, month)
    try:
        load = runners.load(inputs, outputs.out_dir / "internal", profile, feedback, month=month)
    except LoadRunError as exc:
        raise MonthlyReleaseError(
            "load", str(exc), "check the extracts and the output folder named"
        ) from exc
    outputs.load = load
    if not load.reconciles:
        raise MonthlyReleaseError(
            "load",
            "the validation report does not reconcile (rows read != accepted + rejected)",
            f"read the validation report in {outputs.out_dir / 'internal'} and fix the extract",
        )
    return StepRecord(
        "load", "done", list(load.written), dict(load.summary), warnings=list(load.warnings)
    )


def _check_step(config, month, outputs, runners, feedback) -> StepRecord:
    """Release QA (core.qa.run): this month against the history; the report goes into the
    release's audit and manifest. Findings are for the analyst to read, never a failure."""
    if not config.qa.enabled:
        return StepRecord("check", "done", note="validation only (release QA is off)")
    from ..qa.run import run_qa_files

    load = outputs.load
    current: Any = str(load.crimes_gpkg) if load and load.crimes_gpkg else config.input_paths(month)
    done = run_qa_files(
        current,
        [config.path(p, month) for p in config.qa.history],
        profile_path=None
        if load and load.crimes_gpkg
        else config.optional_path(config.profile, month),
        # (the map points read while the load ran, which the anonymise step then takes too:
        # read once for both steps, not a second time here)
        points=outputs.points_ahead or _points_spec(config, month),
        areas_path=config.optional_path(config.qa.areas, month),
        out_dir=outputs.out_dir / "qa",
        feedback=feedback,
        # extracts read again (the plain runner's load keeps no GeoPackage) are held to
        # the month as the load step held them, so the QA counts the load's rows
        release_month=month,
    )
    outputs.qa_report = done.report_json
    files = [p for p in (done.report_json, done.report_html) if p is not None]
    summary = {"verdict": done.report.verdict, "findings": done.report.counts()}
    note = "release QA: " + done.report.verdict
    if done.report.history_left_out:  # (a wrong history file must show where it is read)
        summary["history_left_out"] = list(done.report.history_left_out)
        note += "; history months left out: " + "; ".join(done.report.history_left_out)
    # (as the qa command warns: files not read, history months left out)
    warnings = list(done.file_errors)
    warnings += [f"history month left out: {text}" for text in done.report.history_left_out]
    return StepRecord("check", "done", files, summary, note=note, warnings=warnings)


def _anonymise_step(config, month, outputs, runners, feedback) -> StepRecord:
    from ..gate.leak_gate import ReleaseGate
    from ..release.audit import nothing_published
    from ..release.pipeline import open_release_inputs, release_profile, run_anonymise

    if outputs.load is None:
        raise MonthlyReleaseError("anonymise", "the load step has not run", "run the load first")
    # The crimes and map points are read here once, for this step and the publish step
    # (run_anonymise takes the opened crimes and a spec that hands back the points read).
    spec = outputs.points_ahead or _read_once(_points_spec(config, month))
    outputs.points_ahead = None  # (held from here on by the run's OpenedInputs)
    profile = release_profile(config.optional_path(config.profile, month))
    load = outputs.load
    given = load.opened if load.opened is not None else _crimes_of(config, month, outputs)
    load.opened = None  # from here on held (with the map points) by outputs.opened
    # (extracts read again here, by a load resumed in another process, are loaded for the
    # month, as the load step loaded them)
    crimes, points, _entry = open_release_inputs(
        given, spec, profile, ScaledFeedback(feedback, 0, 40), 25, 100, release_month=month
    )
    # (a run continued from an earlier load has read the crimes only now: before snapping)
    _refuse_hotspot_cells(config, outputs, runners, crimes.crimes)
    # one raw-side gate preparation for the public files here and every publish output
    gate = ReleaseGate(crimes.crimes, points)
    outputs.opened = OpenedInputs(crimes, points, gate)
    release = run_anonymise(
        crimes,
        spec,
        config.optional_path(config.rules, month),
        config.path(config.salt_file, month),
        outputs.out_dir / "public",
        max_distance_m=config.max_distance_m,
        profile_path=config.optional_path(config.profile, month),
        feedback=ScaledFeedback(feedback, 40, 100),
        style_writer=runners.style_writer(),
        qgis_version=runners.qgis_version,
        qa_report=outputs.qa_report,
        other_crimes=runners.other_crimes,
        gate=gate,
        # the public GeoPackage beside the CSV (core.release.gpkg_beside), once the load's
        # own GeoPackage thread has ended (its settle: as the manifest below would)
        fork_gpkg=_beside(runners),
        before_fork=load.settle,
        while_waiting=lambda: _publish_early(config, month, outputs, runners),
    )
    outputs.release = release
    outputs.opened.passed_csv = _passed_csv(release)
    summary = {
        "rows_in": release.rows_in,
        "published_at_map_point": release.published_at_map_point,
        "published_without_location": release.published_without_location,
        "withheld_by_rule": release.withheld_by_rule,
        "rejected": release.rejected,
        "published_rows": release.published_rows,
        "reconciles": release.reconciles,
        "leak_gate_passed": release.gate_passed,
    }
    note = "" if release.published_rows else nothing_published(release.audit["totals"])
    # the audit's warnings and the files not read, as the anonymise command gives them (a
    # file the load step named already is not named again: unsaid_warnings)
    return StepRecord(
        "anonymise",
        "done",
        list(release.written),
        summary,
        note=note,
        warnings=[*release.warnings, *release.file_errors, *release.damaged],
    )


def _publish_early(
    config: ReleaseConfig, month: str, outputs: MonthlyOutputs, runners: StepRunners
) -> None:
    """What the publish step would do first, done while the anonymise step waits for its
    public GeoPackage's forked child (the process is idle there): the neighbourhoods read,
    and the release gate's views that the summaries and the web map made beside them both
    need (VIEWS_BOTH_NEED: some 1 s nationally, else made when the publish step forks the
    web map's child, with the second core idle)."""
    _neighbourhoods_early(config, month, outputs)
    opened = outputs.opened
    publish = config.publish
    if (
        opened is not None
        and "publish" in outputs.planned
        and publish.summaries
        and publish.web_map
        and _beside(runners)
    ):
        _views_both_need(opened.gate)


def _neighbourhoods_early(config: ReleaseConfig, month: str, outputs: MonthlyOutputs) -> None:
    """The publish step's neighbourhoods (outlines, LSOA lookup, names, populations: 1 s at
    national scale), read while the anonymise step waits for its public GeoPackage's forked
    child, when this run's publish step makes the summaries. Why: the process is idle
    there, and the publish step starts from them instead of reading them. A failure here is
    not the anonymise step's: nothing is kept, and the publish step reads them again (and
    reports what is wrong as it always did)."""
    opened = outputs.opened
    if opened is None or "publish" not in outputs.planned or not config.publish.summaries:
        return
    try:
        source = config.neighbourhood_source(month)
        if source is None:
            return
        from ..publish.summaries_run import load_neighbourhoods

        opened.neighbourhoods = (source, load_neighbourhoods(source))
    except Exception:  # noqa: BLE001 - the publish step reads them again and says why
        opened.neighbourhoods = None


def _read_early(opened: Optional[OpenedInputs], source: Any) -> Any:
    """The neighbourhoods :func:`_neighbourhoods_early` read from this very source, or None
    (read by the summaries); taken once."""
    early = opened.neighbourhoods if opened is not None else None
    if early is None:
        return None
    opened.neighbourhoods = None  # type: ignore[union-attr]
    read_from, hoods = early
    return hoods if read_from == source else None


def _passed_csv(release: Any) -> Optional[tuple]:
    """(identity, K) of the public CSV the anonymise step's leak gate has just passed (the
    run raises LeakError otherwise): the file as it is now, committed (a staged file keeps
    its identity when moved into place), and the K of the rules that call used."""
    from ..release.public_schema import file_identity

    settings = release.audit.get("settings") if isinstance(release.audit, dict) else None
    rules = settings.get("rules") if isinstance(settings, dict) else None
    k = rules.get("min_catchment_addresses") if isinstance(rules, dict) else None
    identity = file_identity(release.public_csv)
    if not release.gate_passed or not identity or not isinstance(k, int):
        return None
    return identity, k


def _table_of(load: Optional[LoadStep]) -> Any:
    """The crimes table the load holds in memory (the QGIS load's, or the plain one's), or
    None (a load continued from another process: the anonymise step reads it)."""
    for held in (getattr(load, "opened", None), getattr(load, "crimes", None)):
        table = getattr(held, "crimes", None)
        if table is not None and hasattr(table, "columns"):
            return table
    return None


def _hotspot_cells_or_fail(config, outputs, runners, notify) -> None:
    """_refuse_hotspot_cells on the loaded table in memory, the hotspots step shown failed."""
    try:
        _refuse_hotspot_cells(config, outputs, runners, _table_of(outputs.load))
    except MonthlyReleaseError:
        notify("hotspots", "failed")
        raise


def _refuse_hotspot_cells(
    config: ReleaseConfig, outputs: MonthlyOutputs, runners: StepRunners, crimes: Any
) -> None:
    """Refuse hotspot sizes that would make too many cells over these crimes (the
    internal table), with the hotspots step's own message, as soon as the crimes are read:
    before the release QA, the anonymise step and the publish step, not after them. Asked
    once a run, and only when this run's hotspots step will make layers.

    Why: the configuration takes any size from 10 m (hexgrid.SMALLEST_SIZE_M) to the
    methods' limits, but how many cells a size makes depends on where the crimes are (a
    10.5 m density cell fits a town, not a force); the hotspots step refused it only after
    every step before it had run (core.hotspots.cell_budget)."""
    hot = config.hotspots
    if (
        crimes is None
        or outputs.hotspot_cells_asked
        or "hotspots" not in outputs.planned
        or not hot.enabled
        or not (hot.gi or hot.kde)
        or outputs.load is None
        or not runners.makes_hotspots(outputs.load)
    ):
        return
    import numpy as np

    from ..hotspots.cell_budget import Projected, project_for_hotspots, refuse_too_many_cells
    from ..hotspots.hexgrid import HotspotInputError

    outputs.hotspot_cells_asked = True
    located = crimes["has_location"].to_numpy(dtype=bool)
    lon = crimes["longitude"].to_numpy(dtype=np.float64)[located]
    lat = crimes["latitude"].to_numpy(dtype=np.float64)[located]
    if not lon.size:
        return  # (the hotspots step says there is nothing to map)
    try:
        x, y, crs = project_for_hotspots(lon, lat)
    except HotspotInputError as exc:  # (crimes outside the grid chosen for them)
        raise MonthlyReleaseError(
            "hotspots",
            str(exc),
            "turn the hotspots off (enabled = false under [hotspots] in the configuration) "
            "for this release, or correct the crimes' coordinates, and run the release again",
        ) from exc
    # (the hotspots step reads these crimes back from the crimes GeoPackage: it takes this
    # projection when its points are these very ones)
    outputs.load.projected = Projected(lon, lat, x, y, crs)
    for key, sizes in (
        ("gi_cell_m", {"gi_cell_m": hot.gi_cell_m if hot.gi else None}),
        (
            "kde_cell_m",
            {"kde_cell_m": hot.kde_cell_m if hot.kde else None, "bandwidth_m": hot.bandwidth_m},
        ),
    ):
        try:
            refuse_too_many_cells(x, y, crs, **sizes)
        except HotspotInputError as exc:
            raise MonthlyReleaseError(
                "hotspots",
                f"{exc} (hotspots.{key})",
                f"set a larger hotspots.{key} in the configuration, or turn that method off, "
                "and run the release again (refused as the crimes were read, before the "
                "anonymise step)",
            ) from exc


def _hotspots_step(config, month, outputs, runners, feedback) -> StepRecord:
    settings = config.hotspots
    if not settings.enabled or not (settings.gi or settings.kde):
        return StepRecord("hotspots", "skipped", note="turned off in the configuration")
    try:
        made = runners.hotspots(outputs.load, outputs.out_dir / "internal", config, month, feedback)
    except StepUnavailable as exc:
        return StepRecord("hotspots", "not run", note=str(exc))
    outputs.hotspots = list(made)
    files: list[Path] = []
    for item in made:
        files += [p for p in (item.path, getattr(item, "qml", None)) if p is not None]
    summary = {item.kind: {"cells": item.cells, "crimes": item.crimes} for item in made}
    # (e.g. Gi* on too few cells to be reliable)
    warnings = [str(text) for item in made for text in getattr(item, "warnings", None) or []]
    return StepRecord(
        "hotspots", "done", files, summary, note="internal: never published", warnings=warnings
    )


def _points_spec(config: ReleaseConfig, month: str) -> Any:
    """The map points as the configuration names them (a spec resolved where it is used)."""
    from ..hotspots.hexgrid import metres
    from ..release.map_points_files import MapPointsSpec

    points = config.map_points
    return MapPointsSpec(
        kind=points.kind,
        paths=config.map_points_texts(month),
        size_m=points.hexagon_m,
        description={
            "history": "map points from the force's published police.uk history",
            "file": "map points file",
            "hexagon": f"hexagon centres every {metres(points.hexagon_m)}",
        }[points.kind],
    )


def _files_under(folder: Path) -> list[Path]:
    """The files in ``folder`` at any depth, as ``sorted(p for p in folder.rglob("*") if
    p.is_file())`` gives them: linked files are listed, linked folders are not entered.
    Walked with os.scandir rather than rglob, which makes, hashes and stats each path as an
    object (0.08 against 0.04 s for a national release's 7,200 pages, more when loaded)."""
    if not folder.is_dir():
        return []
    found: list[str] = []

    def walk(top: str) -> None:
        try:
            with os.scandir(top) as listing:
                entries = list(listing)
        except PermissionError:  # (as rglob: a folder it may not list adds nothing)
            return
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                walk(entry.path)
            elif entry.is_file():  # (a link to a file too; not a link to nothing)
                found.append(entry.path)

    walk(os.fspath(folder))
    return sorted(map(Path, found))  # (Path's order, as rglob's list was sorted)


def default_map_title(force: str, month: str) -> str:
    """The web map's title when the configuration gives none: "Street-level crime map,
    Leicestershire, October 2022". The month in words, as the page's own text and the
    summaries name it (it was "Leicestershire 2022-10", the one place a reader met the
    month as a code)."""
    return ", ".join(
        part for part in ("Street-level crime map", force, month_in_words(month)) if part
    )


def _publish_step(config, month, outputs, runners, feedback) -> StepRecord:
    """The public CSV, GeoPackage and audit come from the anonymise step (leak-gated); the
    neighbourhood summaries (``<out>/neighbourhoods``) and the web map (``<out>/map``, linking
    to them) are made here from that public CSV, each through its own leak gate.

    With both, and ``runners.publish_beside`` (a process of its own with a second core:
    core.common.forked), the web map is made, gated and staged in a forked child from the
    moment the summaries have assigned the crimes to neighbourhoods (all it takes from them)
    and when no other Python thread runs (core.common.forked.alone),
    while this process makes the summaries; it is moved into place only once the summaries
    are, as when made after them, and never if they fail or the run is cancelled. The same
    files either way (tests/test_publish_beside.py). With ``runners.publish_beside`` the
    summaries' gate may also read part of their pages in a child of its own
    (core.gate.folder_beside), with the same verdict.

    All or nothing: the summaries' folder, the atlas (drawn from the staged summaries) and
    the web map's gated folder (handed over by whoever made it: WebmapOptions.hand_over)
    are staged in one core.common.staging.Staging and moved into place at its one commit
    point, once every one of them has passed. Why: each moved in on its own, a web map
    its gate refused, a failed atlas or a cancel after the summaries left this month's
    summaries beside last month's map and atlas, a mixed release; now every previous
    output stays exactly as it was, and a crash after the commit point is completed by
    the next run (complete_pending)."""
    step_began = cpu_share.mark()  # (what the machine does now: map_child_niceness)
    release = outputs.release
    publish = config.publish
    if release is None or not (publish.summaries or publish.web_map):
        # (a history set for neither is said, never ignored without a word)
        return StepRecord(
            "publish",
            "done",
            note="public CSV, GeoPackage and audit",
            warnings=config.unused_settings(),
        )
    opened = outputs.opened
    # what the anonymise step read in this run; a publish step run on its own reads again
    raw = opened.crimes if opened is not None else _crimes_of(config, month, outputs)
    points = opened.points if opened is not None else _points_spec(config, month)
    gate = opened.gate if opened is not None else None
    profile = config.optional_path(config.profile, month)
    source = config.neighbourhood_source(month)
    files: list[Path] = []
    summary: dict[str, Any] = {}
    warnings: list[str] = []  # the summaries' then the web map's, as their commands warn
    for_map: dict[str, Any] = {}  # what the web map is given read already (_shared_with_map)
    share = 50.0 if (publish.summaries and publish.web_map) else 100.0
    title = publish.title or default_map_title(config.force, month)
    done: Any = None  # the summaries (SummaryExport), staged
    made: Any = None  # the web map (WebmapResult), handed over to the staging
    atlas: list[Path] = []  # the atlas's final path, staged

    def make_map(shared: dict[str, Any], map_feedback: Feedback, **more: Any) -> Any:
        from ..publish.webmap_run import run_webmap

        shared = dict(shared)
        return run_webmap(
            [release.public_csv],
            outputs.out_dir / "map",
            raw=raw,
            points=points,
            profile_path=profile,
            neighbourhoods=shared.pop("neighbourhoods", source),
            feedback=map_feedback,
            title=title,
            release_gate=gate,
            **shared,
            **more,
        )

    beside: Any = None  # the web map in a child process (core.common.forked.ForkedCall)
    # every output of the step, staged and gated, moved into place together (commit below)
    staging = Staging()

    def map_slot() -> Callable[[Path], None]:
        """The web map's hand_over (WebmapOptions): its staged, gated folder taken into
        the step's staging, to be moved into place with the summaries and the atlas."""
        slot = staging.folder_for(outputs.out_dir / "map")  # (made here: the child's too)

        def hand_over(folder: Path) -> None:
            slot.rmdir()  # (the empty folder folder_for made; gone: the commit fails closed)
            os.replace(folder, slot)

        return hand_over

    def map_beside(table: Any, hoods: Any, assignment: Any) -> None:
        nonlocal beside
        from ..common.forked import ForkedCall, alone, lower_priority

        shared = _shared_with_map(table, hoods, assignment, release.published_rows)
        _views_both_need(gate)  # (made once here: the child inherits them)
        if not alone():  # (another thread may hold a lock the child needs: made after)
            return
        nicer = map_child_niceness(outputs.cpu_since, step_began)  # (chosen before the fork)
        hand_over = map_slot()

        # "yes": the summaries' folder is in place when the map is (auto would look now)
        def in_child(call: Any) -> Any:
            if nicer:  # (the summaries are what the release awaits)
                lower_priority(nicer)
            return make_map(
                shared,
                call.feedback(),
                summaries="yes",
                before_commit=call.hold,
                hand_over=hand_over,
            )

        beside = ForkedCall(in_child)

    try:
        if publish.summaries:
            from ..publish.summaries import SummaryOptions
            from ..publish.summaries_run import read_families, run_summaries

            done = run_summaries(
                raw,
                points,
                release.public_csv,
                outputs.out_dir,
                source,
                options=SummaryOptions(
                    families=read_families(config.optional_path(publish.families, month)),
                    suppress_below=publish.suppress_below,
                ),
                team_path=config.optional_path(publish.team, month),
                force_name=config.force,
                profile_path=profile,
                feedback=ScaledFeedback(feedback, 0.0, share),
                history=[config.path(p, month) for p in publish.summaries_history],
                release_gate=gate,
                release_passed=(*opened.passed_csv, gate) if opened and opened.passed_csv else None,
                on_assigned=map_beside if publish.web_map and _beside(runners) else None,
                hash_beside=True,  # (its large files: the manifest below lists them)
                read_beside=_beside(runners),  # (its gate's pages: core.gate.folder_beside)
                # (its pages rendered here when the web map's child has the second core)
                render_beside=not (publish.web_map and _beside(runners)),
                neighbourhoods=_read_early(opened, source),
                with_map=publish.web_map,  # (its pages link to the map made beside them)
                staging=staging,
            )
            summary["summaries"] = {"pages": done.pages, "csv_rows": done.csv_rows}
            warnings += [str(text) for text in done.problems]
            for_map = _shared_with_map(
                done.table, done.summaries.hoods, done.assignment, release.published_rows
            )
            if publish.atlas:
                atlas = _atlas(
                    runners, done, release.public_csv, outputs, warnings, feedback, staging
                )
        elif publish.web_map:  # (the history serves the map without summaries too)
            for_map, notes = _history_for_map(config, month, release)
            warnings += notes  # (no pages to say them on: the analyst is told instead)
        if publish.web_map:
            map_feedback = ScaledFeedback(
                feedback, 100.0 - share if publish.summaries else 0.0, 100.0
            )
            if beside is not None:
                # this process would wait for the child: the summaries' files (7,200 pages
                # nationally) are hashed for the manifest meanwhile, not after it
                outputs.digests.update(_hashed_staged(staging, feedback))
                made = beside.result(map_feedback)  # (the caller's cancel stops it)
            else:
                # (the summaries move into place with it: "auto" would find none yet)
                linked = {"summaries": "yes"} if publish.summaries else {}
                made = make_map(for_map, map_feedback, hand_over=map_slot(), **linked)
            verdict = made.gate.replace(str(made.out_dir), "map")  # no folder: same anywhere
            summary["web_map"] = {
                "crimes": made.crimes,
                "mapped": made.mapped,
                # (the history months it shows: which rows its counts cover)
                "months": [str(m) for m in made.months],
                "gate": verdict,
            }
            warnings += [str(text) for text in made.warnings]
        feedback.check()  # (the last cancel kept to: every previous output stays)
        staging.commit()  # the one commit point of summaries, atlas and web map
    except BaseException:
        if beside is not None:  # (a child killed while writing leaves what it began)
            from ..publish.webmap_export import remove_staged_by

            beside.stop()
            remove_staged_by(outputs.out_dir / "map", beside.pid)
        raise
    finally:
        if beside is not None:  # (the summaries failed or were cancelled: not moved in)
            beside.stop()  # (before the staging goes: the child writes nothing after)
        staging.discard()
    if done is not None:
        files += _files_under(Path(done.folder))
    files += atlas
    if made is not None:
        files += _files_under(Path(made.out_dir))
    return StepRecord("publish", "done", files, summary, warnings=warnings)


def _hashed_staged(staging: Staging, feedback: Feedback) -> dict[str, tuple[tuple, str]]:
    """:func:`hashed_now` of the files ``staging`` holds now, under the paths they will
    have once committed (a move keeps a file's identity, which the manifest compares)."""
    pairs: list[tuple[Path, Path]] = []
    for tmp, final in staging.staged:
        if tmp.is_dir():
            pairs += [(p, final / p.relative_to(tmp)) for p in _files_under(tmp)]
        elif tmp.is_file():
            pairs.append((tmp, final))
    hashed = hashed_now([tmp for tmp, _ in pairs], feedback)
    return {str(final): hashed[str(tmp)] for tmp, final in pairs if str(tmp) in hashed}


def _atlas(
    runners, done, public_csv, outputs, warnings: list[str], feedback, staging: Staging
) -> list[Path]:
    """The summaries' PDF atlas (publish.atlas) at ``<out>/ATLAS_NAME``, made by the runner
    from the staged summaries (their GeoPackage: its pages are their neighbourhoods) into
    the step's ``staging``: the final path of the file it staged, or none and a warning
    saying why where the runner cannot draw it (plain Python). A failure or a cancel fails
    the publish step before its commit point, so the earlier summaries, map and atlas stay
    as they were, and no manifest vouches for this run."""
    from ..publish.summaries_export import ATLAS_NAME

    pdf = outputs.out_dir / ATLAS_NAME
    try:
        return [runners.atlas(done, Path(public_csv), pdf, feedback, staging=staging)]
    except StepUnavailable as exc:
        warnings.append(f"no PDF atlas was made (publish.atlas): {exc}")
        return []


#: How much nicer than the release's process its web map's forked child runs (os.nice: 0 is
#: as high, 19 the lowest). Why: the map waits to be moved in after the summaries, so the
#: summaries are what the release waits for; where both want a core (the summaries' pages
#: rendered and read back by their gate beside a reader child of its own, with the map's
#: export and gate beside them), the scheduler shared it evenly and the summaries ended later
#: than they need to. Nicer, the map's child (and what it forks) takes what the summaries
#: leave, such as the one-core stretches inside their gate. National month, in turn, 3 runs
#: each, twice: 30.37 and 30.45 s against 32.01 and 31.24 s (niceness 5: no clear gain).
#: Only where the rest of the machine leaves the child CPU (map_child_niceness).
MAP_CHILD_NICENESS = 10
#: The processes of the publish step beside each other while the map's child works: this
#: one (the summaries), their gate's page reader and the map's child.
MAP_BESIDE_PROCESSES = 3


def map_child_niceness(*since: Any) -> int:
    """How much nicer the web map's child runs: MAP_CHILD_NICENESS where the rest of the
    machine has left it CPU since each of ``since`` (core.common.cpu_share marks: the run's
    start and the publish step's), else 0. Why: on a machine busy with other work at normal
    priority a niced child gets next to nothing, and the release waits for it once the
    summaries are done (national month on two cores: with two CPU-bound processes beside
    it, 94-106 s niced against 55-58 s not; with one, its publish step 25.2-25.4 s against
    23.0-23.4 s); its priority cannot be raised back once lowered."""
    room = cpu_share.room_for_nicer(since, MAP_BESIDE_PROCESSES)
    return MAP_CHILD_NICENESS if room else 0


#: Raw-side views of the release's gate that the summaries' and the web map's gate calls both
#: compute (tests/test_publish_beside.py runs both to keep this list true): made before the
#: web map's child is forked, so that it inherits them instead of making them again (the
#: summaries' gate makes them anyway, so this process does no more work than before)
VIEWS_BOTH_NEED: tuple[str, ...] = (
    "free_text",
    "public_lower",
    "reference_patterns",
    "secret_lower",
)


def _views_both_need(gate: Any) -> None:
    """Compute VIEWS_BOTH_NEED on the release gate's base preparation; a view that fails is
    left uncomputed (the check that needs it computes it again and fails closed)."""
    if gate is None:
        return
    base = gate.prepared()  # (waits for any warm-up; no extras: the base)
    for name in VIEWS_BOTH_NEED:
        try:
            getattr(base, name)
        except Exception:  # noqa: BLE001, S112 - see above
            continue


def _beside(runners: StepRunners) -> bool:
    """Whether the web map may be made in a child process beside the summaries."""
    if not getattr(runners, "publish_beside", False):
        return False
    from ..common.forked import available

    return available()


#: How many months the release's web map shows at most, the release's month included, when
#: the release has history ([publish] summaries_history): the page's longest choice ("The
#: last 12 months"). The summaries read 13 for the change on a year earlier, which the map
#: does not show; a 13th month there would only be one more month of points on every page.
MAP_MONTHS = 12


def _shared_with_map(table: Any, hoods: Any, assignment: Any, rows: int) -> dict[str, Any]:
    """What the web map takes from the summaries made from the same public CSV (their
    table, neighbourhood set and assignment), so it neither reads nor assigns again: the
    neighbourhood set (read from the same files), the release's rows as read (the last
    ``rows`` of the summaries' table, after any history months), the history months'
    rows of the MAP_MONTHS ending with the release's last month, and their neighbourhoods
    (the history's first). Why the history: the map's month choices and trend showed the
    release's month alone beside summaries of 13. Empty when the summaries' table does not
    end with the release's rows (the web map then reads the CSV itself). ``assignment``
    None (no summaries made: :func:`_history_for_map`): no neighbourhood set or
    assignment is shared, and the map assigns the rows it is given itself."""
    if table is None or rows <= 0 or len(table) < rows:
        return {}
    start = len(table) - rows
    shared = {"street_table": table.iloc[start:].reset_index(drop=True) if start else table}
    if assignment is not None:
        shared["neighbourhoods"] = hoods
        shared["row_neighbourhoods"] = assignment.index[start:]
    if start:
        months = table["Month"]
        last = str(months.iloc[start:].max())
        number = int(last[:4]) * 12 + int(last[5:7]) - MAP_MONTHS  # (the first, counted from 0)
        first = f"{number // 12:04d}-{number % 12 + 1:02d}"
        shown = (months.iloc[:start] >= first).to_numpy()
        if shown.any():
            import numpy as np

            shared["history_table"] = table.iloc[:start][shown].reset_index(drop=True)
            if assignment is not None:
                shared["row_neighbourhoods"] = np.concatenate(
                    [assignment.index[:start][shown], assignment.index[start:]]
                )
    return shared


def _history_for_map(
    config: ReleaseConfig, month: str, release: Any
) -> tuple[dict[str, Any], list[str]]:
    """What :func:`_shared_with_map` gives the web map when no summaries are made but
    ``[publish] summaries_history`` is set: the release's public CSV and the history read
    as the summaries read them (summaries_run.read_release_with_history),
    so the map shows exactly the months and rows it shows beside summaries. Why: the
    history reached the map only through the summaries' table, so with summaries off the
    setting was silently ignored and the map showed the release's month alone. Empty
    without a history (the map reads the CSV itself, as before). With the history's
    warnings (months left out, none before the release), which the summaries' pages would
    show.
    Raises SummaryError (a ValueError) naming a history file that is not a published
    street-level table."""
    paths = [config.path(p, month) for p in config.publish.summaries_history]
    if not paths:
        return {}, []
    from ..publish.summaries_run import read_release_with_history

    public, table, notes = read_release_with_history(release.public_csv, paths)
    if len(table) > len(public):  # (its first note then says what was read "for the trend")
        notes = notes[1:]
    return _shared_with_map(table, None, None, release.published_rows), notes


_RUNNERS: dict[str, Callable[..., StepRecord]] = {
    "load": _load_step,
    "check": _check_step,
    "anonymise": _anonymise_step,
    "hotspots": _hotspots_step,
    "publish": _publish_step,
}


PROJECT_NAME = "release.qgz"
PROJECT_NOTE = (
    "QGIS project to open the release; not checksummed: QGIS stamps projects with the save "
    "time and random layer ids"
)


def _write_project(outputs: MonthlyOutputs, runners: StepRunners) -> None:
    path = outputs.out_dir / PROJECT_NAME
    try:
        outputs.project = runners.project(outputs, path)
    except StepUnavailable:
        outputs.project = None
    except Exception as exc:  # noqa: BLE001 - the reason and what to do
        kept = (
            f"no manifest of this run describes them, and the earlier {PROJECT_NAME}, if "
            "there was one, is as it was"
        )
        raise _after_the_steps(path, str(exc), kept) from exc


def _after_the_steps(path: Path, reason: str, then: str = "") -> MonthlyReleaseError:
    """The failure of the run's last writes, the QGIS project's or the manifest's (``path``),
    once every step's files are in place; ``then``: what else the folder holds now.
    Why: reported as the publish step's own failure, it said "earlier outputs are
    unchanged" (or "correct the input or setting named") when the month's new files had
    all been moved in, and a manifest that could not be written came out as a bare
    OSError. It says what is in place (run_monthly_release adds when the earlier manifest
    was withdrawn)."""
    return MonthlyReleaseError(
        "publish",
        f"every step's new files are in place, but {shown_line(path)} could not be written "
        f"({shown_line(reason)})" + (f": {then}" if then else ""),
        f"free space or move what is in the way of {path.name}, then run the release again",
    )


# --- the manifest ---------------------------------------------------------------------------


def _relative(path: Path, root: Path, folders: Optional[dict[str, str]] = None) -> str:
    """``path`` from the release folder, symbolic links resolved (Path.resolve), or its
    name alone when it is outside. ``folders``: real paths of the folders resolved so far,
    shared over one manifest: a national release lists 7,300 files in a handful of folders,
    and resolving each whole path walked every folder of it again (0.2 s). With them, on
    POSIX, the real paths are compared as text (normalised absolute paths: one is inside
    the other exactly when it starts with the other and a slash, as relative_to finds), and
    the release folder's own real path is remembered too: the Path objects made and parsed
    for each of the 7,300 names took most of the manifest's last 0.25 s."""
    if folders is not None and os.sep == "/":
        top = folders.get(_ROOT_KEY + str(root))
        if top is None:
            top = folders[_ROOT_KEY + str(root)] = str(_resolved(root, folders))
        real = _real_text(path, folders)
        if real == top:
            return "."
        inside = top if top.endswith("/") else top + "/"
        return real[len(inside) :] if real.startswith(inside) else path.name
    try:
        return _resolved(path, folders).relative_to(_resolved(root, folders)).as_posix()
    except ValueError:
        return path.name


def _real_text(path: Path, folders: dict[str, str]) -> str:
    """str(_resolved(path, folders)), joined as text (POSIX: a resolved folder is an
    absolute normalised path, a name holds no slash)."""
    name = path.name
    if name in ("", ".", "..") or os.path.islink(path):
        return str(path.resolve())
    parent = str(path.parent)
    real = folders.get(parent)
    if real is None:
        real = folders[parent] = str(path.parent.resolve())
    return real + name if real.endswith("/") else real + "/" + name


_ROOT_KEY = "\x00root:"  # (in ``folders``: a release folder's own real path; no path has a NUL)


def _resolved(path: Path, folders: Optional[dict[str, str]]) -> Path:
    """Path.resolve(), with the folder's real path taken from ``folders``: the real path of
    a file that is not itself a symbolic link is its folder's real path and its name."""
    if folders is None or path.name in ("", ".", "..") or os.path.islink(path):
        return path.resolve()
    parent = str(path.parent)
    real = folders.get(parent)
    if real is None:
        real = folders[parent] = str(path.parent.resolve())
    return Path(real, path.name)


def _file(
    path: Path,
    root: Optional[Path] = None,
    folders: Optional[dict[str, str]] = None,
    digests: Optional[dict[str, tuple[tuple, str]]] = None,
) -> dict[str, Any]:
    """A manifest entry; ``digests`` (MonthlyOutputs.digests): files hashed earlier in the
    run, taken only while the file keeps the identity it had when hashed (device, inode,
    size, modification time, as core.release.release_files.file_entry's reuse)."""
    from ..release.release_files import file_entry

    known = digests.get(str(path)) if digests else None
    entry = None
    if known is not None:
        identity, digest = known
        try:
            now = _identity(path)
        except OSError:
            now = None
        if now == identity:
            entry = {"name": path.name, "sha256": digest, "bytes": identity[2]}
    if entry is None:
        entry = file_entry(path, reuse=True)  # the files hashed by the steps are not read again
    if root is not None:
        entry["name"] = _relative(path, root, folders)
    return entry


def _identity(path: Path) -> tuple:
    info = os.stat(path)
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


#: how many files :func:`hashed_now` hashes between two checks of the run's cancel
_HASH_CHECK_EVERY = 256


def hashed_now(paths: Sequence[Path], feedback: Feedback) -> dict[str, tuple[tuple, str]]:
    """SHA-256 of ``paths`` now, for the manifest (MonthlyOutputs.digests): each with the
    file's identity before its bytes were read, kept only if it is the same after (a file
    changed while read is simply hashed again by the manifest).

    Why: in the publish step this process waits for the web map's forked child once the
    summaries are done; hashing their pages then, rather than in the manifest after the
    wait, takes about a second off the end of a national release on two cores."""
    from ..release.release_files import remembered_digests, sha256_file

    remembered = remembered_digests()  # (large files hashed already: the manifest reuses them)
    found: dict[str, tuple[tuple, str]] = {}
    for count, path in enumerate(paths):
        if count % _HASH_CHECK_EVERY == 0:
            feedback.check()
        try:
            before = _identity(path)
            if before in remembered:
                continue
            digest = sha256_file(path)
            if _identity(path) == before:
                found[str(path)] = (before, digest)
        except OSError:
            continue  # (the manifest reads it and says what is wrong)
    return found


def _later_inputs(config: ReleaseConfig, month: str, outputs: MonthlyOutputs) -> dict[str, Any]:
    """The manifest's entries of the files the release QA and the publish step read, for
    each of the two that ran: ``qa`` (its history and area lookup) and ``publish`` (the
    neighbourhoods' files, the summaries' history, the team information and the families).
    Why: the manifest fingerprinted only the load's and the anonymise step's inputs, so a
    release's pages could not be traced to the outlines, populations or team file they were
    made from, though the summary says every input is in it."""
    from ..release.release_files import input_files

    ran = {record.name for record in outputs.steps if record.status == "done"}
    found: dict[str, Any] = {}
    qa = config.qa
    if "check" in ran and qa.enabled:
        areas = config.optional_path(qa.areas, month)
        found["qa"] = {
            "history": [_file(p) for p in input_files([config.path(h, month) for h in qa.history])],
            "areas": _file(areas) if areas is not None and areas.is_file() else None,
        }
    publish = config.publish
    if "publish" in ran and (publish.summaries or publish.web_map):
        hoods = {
            key: config.path(publish.neighbourhoods[key], month)
            for key in NEIGHBOURHOOD_PATHS
            if publish.neighbourhoods.get(key)
        }
        entry: dict[str, Any] = {
            "neighbourhoods": {k: _file(p) for k, p in hoods.items() if p.is_file()}
        }
        if publish.summaries or publish.summaries_history:  # (the web map reads it too)
            history = [config.path(h, month) for h in publish.summaries_history]
            entry["summaries_history"] = [_file(p) for p in input_files(history)]
        if publish.summaries:
            for key in SUMMARIES_FILES:
                path = config.optional_path(getattr(publish, key), month)
                entry[key] = _file(path) if path is not None and path.is_file() else None
        found["publish"] = entry
    return found


def software_versions(qgis_version: Optional[str]) -> dict[str, str]:
    """Versions of everything that shapes the outputs."""
    from importlib import metadata

    from ... import plugin_version

    versions = {
        "crime_mapper": plugin_version(),
        "qgis": qgis_version or "none (command line)",
        "python": platform.python_version(),
    }
    for package in ("numpy", "pandas", "scipy", "jinja2", "pyproj"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def build_monthly_manifest(
    config: ReleaseConfig, month: str, outputs: MonthlyOutputs, runners: StepRunners
) -> dict[str, Any]:
    """The one manifest of a monthly release (see the module docstring)."""
    from ..release.public_schema import salt_fingerprint
    from ..release.release_files import input_files, read_salt, with_layer

    release = outputs.release
    gate = (release.audit.get("leak_gate") if release is not None else None) or {}
    config_entry: dict[str, Any] = {"settings": config.to_dict()}
    if config.source is not None and Path(config.source).is_file():
        config_entry["file"] = _file(Path(config.source))
    profile = config.optional_path(config.profile, month)
    rules = config.optional_path(config.rules, month)
    salt = read_salt(config.path(config.salt_file, month), [outputs.out_dir])
    points_files = input_files(config.map_points_paths(month))
    layers = dict(config.map_points_sources(month))  # (file -> the layer read, if named)
    folders: dict[str, str] = {}  # real paths of the output folders, resolved once
    return {
        "manifest_version": MANIFEST_VERSION,
        "month": month,
        "force": config.force,
        "software": software_versions(runners.qgis_version),
        "configuration": config_entry,
        "inputs": {
            "extracts": [_file(p) for p in input_files(config.input_paths(month))],
            "profile": _file(profile) if profile else None,
            "map_points": {
                "kind": config.map_points.kind,
                "files": [with_layer(_file(p), layers.get(p)) for p in points_files],
            },
            "rules": _file(rules) if rules else "default rules",
            "salt_fingerprint": salt_fingerprint(salt),
            **_later_inputs(config, month, outputs),
        },
        "steps": [
            {
                "step": record.name,
                "status": record.status,
                **({"note": record.note} if record.note else {}),
                "summary": record.summary,
                "warnings": list(record.warnings),
                "outputs": [
                    _file(p, outputs.out_dir, folders, outputs.digests)
                    for p in record.outputs
                    if p.is_file()
                ],
            }
            for record in outputs.steps
        ],
        "project": {"name": PROJECT_NAME, "note": PROJECT_NOTE} if outputs.project else None,
        "leak_gate": {
            "passed": bool(gate.get("passed")),
            "outputs": list(gate.get("outputs", [])),
            "checks": list(gate.get("checks", [])),
        },
    }
