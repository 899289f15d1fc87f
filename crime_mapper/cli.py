"""Command line: load extracts, detect a mapping profile, make and check the public release.

Why a command line: the monthly load and release are also run unattended (scheduled jobs, a
records team's scripts) and on machines without a QGIS desktop. This module holds argument
parsing and printing only; every command calls the one core function the dock and Processing
call too:

- ``load``: core.load.load_run.run_core_load (the same loader, rejects CSV and validation
  report as the dock), or with ``--gpkg`` qgis_bridge.run_load (also the styled GeoPackage);
- ``map-points history``: core.release.pipeline.run_history_map_points;
- ``anonymise``: core.release.pipeline.run_anonymise, the one release pipeline, so the public
  CSV, public GeoPackage and audit of a scripted release are byte-identical to the desktop
  ones for the same inputs and salt, and its release_manifest.json differs only where QGIS
  adds something (the style file beside the GeoPackage, and qgis_version, which reads
  "none (command line)" here);
- ``check-release``: core.release.pipeline.run_check_release;
- ``release``: core.monthly.release.run_monthly_release, the whole month from a release
  configuration file (load, anonymise, hotspots, publish, one manifest); with QGIS importable
  it also writes what needs QGIS (styled GeoPackages, hotspot layers, the project), exactly as
  ``crime_mapper:monthly_release`` does; ``--no-qgis`` (or no QGIS) runs the rest;
- ``summaries``: core.publish.summaries_run.run_summaries; ``webmap``:
  core.publish.webmap_run.run_webmap;
- ``qa`` and ``when``: core.qa.run (the release QA and the analyst's "when" views).
- ``salt``: core.release.release_files (a new secret salt for the force, or a salt file
  checked as ``anonymise`` and ``release`` will read it).

Every command has one shape: ``_cmd_<name>(args)`` calls its core function (inside
:func:`cannot_write` when it writes files) and prints what it returns; ``_add_<name>_parser``
declares its arguments, help and exit codes (PARSERS lists them in ``--help`` order); and
:func:`main` turns a failure into its exit code through one table (GATE_ERRORS,
INPUT_ERRORS), so every command reports the same failure the same way.

Only ``load --gpkg`` needs QGIS; everything else runs in plain Python.

    python -m crime_mapper.cli load INPUT... --out DIR [--profile P.json] [--gpkg]
    python -m crime_mapper.cli profile detect EXTRACT.csv [--save P.json] [--json]
    python -m crime_mapper.cli map-points history INPUT... --out points.csv
    python -m crime_mapper.cli salt --new S | --check S
    python -m crime_mapper.cli anonymise INPUT... --points POINTS --salt-file S --out DIR
        [--profile P.json] [--rules R.json] [--max-distance 20000] [--no-gpkg]
    python -m crime_mapper.cli check-release INPUT... --points POINTS
        --release FILE_OR_FOLDER [--profile P.json] [--report report.json]
    python -m crime_mapper.cli release release.toml --month 2022-10 [--no-qgis]
    python -m crime_mapper.cli release --example > release.toml
    python -m crime_mapper.cli summaries INPUT... --points points.csv --release release.csv
        --out DIR (--boundaries B.geojson --code-field F | --lookup L.csv --lookup-code-field F)
        [--names N.csv ...] [--lsoa-population P.csv] [--team T.json] [--month YYYY-MM]
    python -m crime_mapper.cli qa INPUT... --history H... --out DIR [--points POINTS]
        [--profile P.json] [--history-profile P.json] [--areas LOOKUP.csv]
        [--save-history H.json] [--month YYYY-MM] [--fail-on-high]
    python -m crime_mapper.cli when INPUT... --out when.html [--by category|area|all]
        [--history H...]
    python -m crime_mapper.cli webmap RELEASE... --out DIR [--tiles osm|none|URL]
        [--neighbourhoods N.geojson --name-field F] [--raw EXTRACT... --points points.csv]
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import re
import signal
import sys
import traceback
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Optional

from .core.common.feedback import clear_stop, request_stop
from .core.common.text_file import os_error_text, shown_line, shown_path, shown_text
from .core.load.extract_head import read_extract_head
from .core.load.load_run import check_inputs_exist
from .core.load.mapping_profile import (
    ROLES,
    MappingProfile,
    detect_columns,
    detect_profile,
    load_profile,
)
from .core.release.release_limits import written_positive

EXIT_OK = 0
EXIT_FILE_ERROR = 1
EXIT_USAGE = 2
EXIT_LEAK = 3
EXIT_QA_HIGH = 4

QA_EXIT_HELP = """\
exit codes:
  0  the QA ran and wrote its report (findings do not stop a release; see the report)
  1  it ran, but an input file could not be used at all
  2  nothing was done: a missing input, no crimes, bad profile, points, lookup or history,
     or another run (named) was writing the report's folder: nothing was read or written
  4  with --fail-on-high: the report was written and holds high-severity findings
"""

EXIT_CODES_HELP = """\
exit codes:
  0  the load ran; rows may have been rejected (see rejects.csv and the report)
  1  the load ran but at least one file could not be used at all (e.g. not a crime
     extract) or only in part (a quote made many of its lines one rejected
     record), or the report does not reconcile; the other files were still loaded
  2  nothing was loaded: a missing input, an unreadable archive, an invalid mapping
     profile, an output folder that cannot be written, or bad arguments; or another run
     (named) was writing the output folder: nothing was read or written
"""

MAIN_EXIT_HELP = """\
exit codes (details in each COMMAND --help):
  0  done
  1  done, but an input file could not be used (or counts do not reconcile)
  2  nothing was done: bad input, arguments or output folder
  3  the leak gate failed (anonymise: nothing written; check-release: release unsafe)
  130, 143  stopped by Ctrl-C (SIGINT) or SIGTERM (said in one line, no traceback)
"""

MAP_POINTS_EXIT_HELP = """\
exit codes:
  0  the map points CSV was written
  1  it was written, but at least one input file could not be used at all, or only in
     part (a quote made many of its lines one rejected record)
  2  nothing was written: a missing input, an unreadable archive, no located crime in the
     history, an output that cannot be written, or bad arguments
"""

ANONYMISE_EXIT_HELP = """\
exit codes:
  0  the release was written (public CSV and GeoPackage, audit.json, audit.html,
     release_manifest.json) and passed the leak gate
  1  it was written, but an input file could not be used at all, or only in part (an
     quote made many of its lines one rejected record), or the audit counts do not
     reconcile (see the audit)
  2  nothing was written: a missing input, a missing/short salt or one inside the output
     folder, bad rules, profile or map points, an output folder that cannot be written, or
     bad arguments; checked before any work starts where possible
  3  the leak gate failed on the staged public CSV or GeoPackage: nothing was written and
     the previous release is unchanged (the failed checks are on stderr)
"""

CHECK_RELEASE_EXIT_HELP = """\
exit codes:
  0  the leak gate passed: every check on the release file or folder passed
  2  the gate could not run: a missing input or release, bad profile or map points, or bad
     arguments
  3  the leak gate failed (the failed checks and examples are on stderr); with --report the
     report is written either way
"""


def _say(text: object = "", file=None) -> None:
    """Write one line (or a message's lines) to stdout, or to ``file`` (stderr): every line
    the command line writes goes through here, its control and invisible characters
    escaped (core.common.text_file.shown_text; the newlines and tabs of its layout kept).

    Why here and not at each message: a message quotes file names, layer names and values
    read from the analyst's files (a crime type, a label, a rule's category), from all of
    the core, and a file named ``a\\rFAKE OK`` or holding ``\\x1b[2J`` rewrote the terminal
    a failure was reported to. One gate per output stream catches the message nobody
    thought to escape."""
    print(shown_text(text), file=sys.stdout if file is None else file)


class UsageError(Exception):
    """Nothing can be done: reported as one line on stderr, exit code 2."""


#: What the core raises, by how the command line reports it (module, class name). The gate's
#: refusals: exit 3, printed as they are (they list every failed check). Bad input: exit 2,
#: one line. One table for every command, so a command cannot report the same failure
#: differently from the others.
GATE_ERRORS = (
    ("core.gate.leak_gate", "LeakError"),
    ("core.publish.summaries_export", "SummaryGateError"),
)
INPUT_ERRORS = (
    ("core.load.mapping_profile", "ProfileError"),
    ("core.load.load_run", "LoadRunError"),
    ("core.load.sources", "InputError"),
    ("core.release.release_files", "ReleaseInputError"),
    ("core.release.map_points", "MapPointsError"),
    ("core.qa.run", "QaInputError"),
    ("core.monthly.config", "ConfigError"),
    ("core.publish.neighbourhoods", "NeighbourhoodError"),
    ("core.publish.summaries", "SummaryError"),
    ("core.publish.summaries_team", "TeamError"),
    ("core.publish.webmap_inputs", "WebmapInputError"),
    ("core.publish.webmap_vendor", "VendorMissing"),
    ("core.common.run_lock", "FolderBusy"),
)


def _error_types(names: Sequence[tuple[str, str]]) -> tuple[type, ...]:
    """The classes of ``names`` whose modules have been imported: an error of a module that
    was never imported cannot have been raised, and a failed ``profile detect`` should not
    import the leak gate just to say so."""
    found = []
    for module, name in names:
        loaded = sys.modules.get(f"{__package__}.{module}")
        if loaded is not None:
            found.append(getattr(loaded, name))
    return tuple(found)


def _exit_code(exc: Exception) -> Optional[int]:
    """Report a command's failure on stderr and give its exit code; None: not a failure the
    command line reports (a bug: the traceback is the report)."""
    gate = _error_types(GATE_ERRORS)
    if gate and isinstance(exc, gate):
        _say(f"crime_mapper: error: {exc}", file=sys.stderr)
        return EXIT_LEAK
    monthly = _error_types((("core.monthly.release", "MonthlyReleaseError"),))
    if monthly and isinstance(exc, monthly):
        _say(f"crime_mapper: error: {exc}", file=sys.stderr)
        return EXIT_LEAK if "leak gate" in getattr(exc, "reason", "") else EXIT_USAGE
    if isinstance(exc, (UsageError, *_error_types(INPUT_ERRORS))):
        # one line, whatever the cause; escaped first, so a CR or a form feed a name holds
        # is shown (as \\r), not taken for a space
        message = " ".join(shown_text(exc).split())
        _say(f"crime_mapper: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    return None


@contextmanager
def _run_lock(
    folder: str | os.PathLike[str], command: str, out: Optional[str | os.PathLike[str]] = None
) -> Iterator[None]:
    """Hold the run lock of the folder a command writes (core.common.run_lock): refused at
    once (FolderBusy, exit 2) while another run writes it, or the folder above it (the
    month's release writing the release folder this command would write into).

    Why: ``anonymise --out <release>/public`` beside a running release of that month
    replaced the files the release was writing, and neither run said so.

    ``out``: the output folder as the command was given it (default ``folder``). A loop of
    symbolic links there that stops the lock is said of it: the lock file's folder is made
    above ``folder``, and that mkdir named the folder above instead ("loop cannot be used"
    of ``summaries --out loop/month``).

    A run that goes ahead without the lock (no locks on the file system, a folder above
    the output that the user may not write) says so as a warning line on stderr, where a
    scheduled job's warnings are looked for."""
    from .core.common.run_lock import output_lock

    given = folder if out is None else out
    with output_lock(folder, f"crime_mapper.cli {command}", given, warn=lambda t: _warn([t])):
        yield


@contextmanager
def cannot_write(what: str, place: Optional[object] = None) -> Iterator[None]:
    """An OSError while a command writes ``what`` (at ``place``: the output file or folder)
    is bad input (exit 2) that names it: a full disk or a read-only folder, not a crash.

    An OSError about a file elsewhere names that file instead. Why: the whole command runs
    in here, its reads too, and an input path longer than the system allows was reported
    as "cannot write outputs in OUT: File name too long", sending the analyst to the wrong
    path. Files in the output's folder (the output, its staging beside it) are the
    output's. A loop of symbolic links is said naming the link that loops
    (core.common.text_file.os_error_text)."""
    try:
        yield
    except OSError as exc:
        why = os_error_text(exc)
        other = _file_elsewhere(exc, place)
        if other is not None:
            raise UsageError(f"cannot use {other}: {why}") from exc
        raise UsageError(f"cannot write {what}: {why}") from exc


def _file_elsewhere(exc: OSError, place: Optional[object]) -> Optional[str]:
    """The file ``exc`` is about, shown (at most 120 characters), when it lies outside the
    folder that holds ``place``; else None."""
    if place is None or exc.filename is None:
        return None
    try:
        target = os.path.abspath(os.fsdecode(exc.filename))
        folder = os.path.dirname(os.path.abspath(os.fsdecode(str(place)).rstrip(os.sep) or os.sep))
    except (TypeError, ValueError):
        return None
    if target == folder or target.startswith(folder.rstrip(os.sep) + os.sep):
        return None
    return shown_path(exc.filename)


def _exit_for(
    file_errors: Sequence[object], reconciles: bool = True, damaged: Sequence[str] = ()
) -> int:
    """Done (0), or done but an input file could not be used (or in part only: a
    quote made many of its lines one rejected record, ``damaged``) or counts do not
    reconcile (1)."""
    return EXIT_FILE_ERROR if file_errors or damaged or not reconciles else EXIT_OK


def _warn(lines: Sequence[str]) -> None:
    for line in lines:
        _say(f"crime_mapper: warning: {line}", file=sys.stderr)


def _print_outputs(paths: Sequence[object]) -> None:
    _say("Outputs:")
    for path in paths:
        if path is not None:
            _say(f"  {shown_line(path)}")


def _print_timings(timings: dict[str, float]) -> None:
    """Seconds per pipeline step on stderr (--timings), so a scheduled job's log shows where
    a slow release spent its time."""
    for step, seconds in timings.items():
        _say(f"crime_mapper: timing: {step} {seconds:.3f} s", file=sys.stderr)
    _say(f"crime_mapper: timing: steps total {sum(timings.values()):.3f} s", file=sys.stderr)


#: A number as written on a command line: ASCII digits, an optional sign, point and exponent.
#: Why not float() and int() alone: they also read "1_2" as 12 and other scripts' digits
#: ("١٠" as 10), so a typo became another value in silence, one the same option refuses
#: in Processing (qgis_process reads neither).
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_WHOLE = re.compile(r"[+-]?[0-9]+")


def positive_metres(text: str) -> float:
    """argparse type: a positive, finite number of metres. A positive one a float holds
    only as 0 ("1e-400") is too small, not "not positive"."""
    try:
        value = float(text) if _DECIMAL.fullmatch(text.strip()) else float("nan")
    except ValueError:
        value = float("nan")
    if value == 0 and written_positive(text.strip()):
        raise argparse.ArgumentTypeError(
            f"{text.strip()} is too small a number of metres to compute with (it reads as 0)"
        )
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number of metres, not {text!r}")
    return value


def metres_as_written(text: str) -> str:
    """argparse type: positive_metres, kept as the text written. Why: the release's own
    check (core.release.release_limits.check_max_distance) refuses a maximum distance over
    its limit showing the value; given the float, it showed "123,456,789,012,345,683,968 m"
    for 123456789012345678901, and took 100000.00000000000000001 as 100,000 m."""
    positive_metres(text)
    return text.strip()


def whole_number(text: str) -> int:
    """argparse type: a whole number written in ASCII digits (the command's own check says
    which range it takes); "1_2", "12.0" and other scripts' digits are refused."""
    if not _WHOLE.fullmatch(text.strip()):
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}")
    return int(text)


# --- load ------------------------------------------------------------------------------------


def _load_profile(path: Optional[str]) -> Optional[MappingProfile]:
    """The profile checked as every release writer checks it (a bad offence table or
    mapping found up front), its errors naming the file: a bad offence_mapping entry was
    said without naming the profile that held it."""
    return load_profile(path) if path is not None else None


def _cmd_load(args: argparse.Namespace) -> int:
    # the run lock of --out first, as anonymise takes its own: ``load --out <month>/internal``
    # while that month's release runs (its load writes the same rejects.csv and report
    # there) is refused at once, before any file is read; held until the last file is in
    with ExitStack() as held:
        with cannot_write(f"outputs in {shown_path(args.out)}", args.out):
            held.enter_context(_run_lock(args.out, "load"))
        return _load_locked(args)


def _load_locked(args: argparse.Namespace) -> int:
    """The load of ``_cmd_load``, under the run lock of ``--out``."""
    check_inputs_exist(args.inputs)  # found before any file is read
    profile = _load_profile(args.profile)
    if args.gpkg:
        try:
            from .qgis_bridge.run_load import run_load_headless
        except ImportError as exc:
            raise UsageError(
                f"--gpkg needs the QGIS Python bindings ({exc}); run with the "
                "Python QGIS uses, e.g. /usr/bin/python3"
            ) from exc
        with cannot_write(f"outputs in {shown_path(args.out)}", args.out):
            outputs = run_load_headless(args.inputs, args.out, profile)
        _say(outputs.report_text)
        _print_outputs(
            [
                outputs.gpkg,
                outputs.qml,
                outputs.rejects_csv,
                outputs.report_json,
                outputs.report_text_path,
            ]
        )
        _warn(outputs.damaged)
        return _exit_for(outputs.file_errors, outputs.reconciles, outputs.damaged)
    from .core.load.load_run import run_core_load

    core = run_core_load(args.inputs, args.out, profile)
    _say(core.report_text)
    _print_outputs(core.written)
    _warn(core.damaged)
    return _exit_for(core.file_errors, core.reconciles, core.damaged)


def _add_load_parser(commands: argparse._SubParsersAction) -> None:
    load = commands.add_parser(
        "load",
        help="load extracts; write rejects.csv and the validation report",
        description="Load police.uk CSV files, folders, monthly .zip archives and force "
        "extracts; write rejects.csv, validation_report.json and "
        "validation_report.txt into --out (all or nothing) and print the report.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EXIT_CODES_HELP,
    )
    load.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="CSV file, folder or police.uk monthly .zip"
    )
    load.add_argument("--out", required=True, metavar="DIR", help="output folder")
    load.add_argument(
        "--profile",
        metavar="P.json",
        help="column-mapping profile for force extracts (see "
        "crime_mapper/resources/profiles/example_force_rms.json)",
    )
    load.add_argument(
        "--gpkg",
        action="store_true",
        help="also write the styled crimes GeoPackage (crimes.gpkg + .qml); "
        "needs the QGIS Python bindings",
    )
    load.set_defaults(handler=_cmd_load)


# --- profile detect ---------------------------------------------------------------------------


def _cmd_profile_detect(args: argparse.Namespace) -> int:
    head = read_extract_head(args.extract, encoding=args.encoding)
    columns = detect_columns(head.header, head.rows)
    complete = detect_profile(head.header, head.rows) is not None
    profile = MappingProfile(
        name=f"Detected from {head.path.name}",
        columns=columns,
        delimiter=head.delimiter,
    )
    if args.json:
        _say(json.dumps(asdict(profile), indent=2, sort_keys=True))
    else:
        _say(
            f"{shown_line(head.path.name)}: {len(head.header)} columns, {head.encoding}, delimiter "
            f"{head.delimiter!r}"
        )
        width = max(len(r) for r in ROLES)
        for role, meaning in ROLES.items():
            column = columns.get(role)
            shown = repr(column) if column else "-"
            _say(f"  {role:<{width}}  {shown:<24} {meaning}")
        unused = [h for h in head.header if h not in columns.values()]
        if unused:
            _say(
                "Columns with no role (a load carries them through as extra fields): "
                + ", ".join(unused)
            )
    if not complete:
        _say(
            f"{shown_line(head.path.name)}: cannot detect a complete profile: it needs crime_ref, "
            "date, x, y and offence or category; map the rest in the profile dialog",
            file=sys.stderr,
        )
        if args.save:
            _say("Profile not saved.", file=sys.stderr)
        return EXIT_FILE_ERROR
    if args.save:
        with cannot_write(shown_path(args.save), args.save):
            profile.save(args.save)
        _say(
            f"Saved profile: {shown_line(args.save)}", file=sys.stderr if args.json else sys.stdout
        )
    return EXIT_OK


def _add_profile_parser(commands: argparse._SubParsersAction) -> None:
    profile = commands.add_parser("profile", help="column-mapping profiles")
    profile_commands = profile.add_subparsers(dest="profile_command", metavar="ACTION")
    profile_commands.required = True
    detect = profile_commands.add_parser(
        "detect",
        help="print the column mapping detected from an extract's header",
        description="Read an extract's header and print which column plays which role, as "
        "the loader would detect it.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="exit codes:\n  0  a complete profile was detected (and saved with --save)\n"
        "  1  the header lacks a required role (nothing saved)\n"
        "  2  the file cannot be read, or bad arguments\n",
    )
    detect.add_argument("extract", metavar="EXTRACT.csv")
    detect.add_argument("--save", metavar="P.json", help="save the detected profile")
    detect.add_argument("--json", action="store_true", help="print the profile as JSON")
    detect.add_argument("--encoding", default="auto", help="auto (default), utf-8 or cp1252")
    detect.set_defaults(handler=_cmd_profile_detect)


# --- release: map points, anonymise, check-release --------------------------------------------
# Plain Python only: nothing here may import QGIS (scheduled runs have no QGIS). Every command
# is one call into core.release.pipeline, the pipeline the dock and Processing run.


def _cmd_map_points_history(args: argparse.Namespace) -> int:
    from .core.release.pipeline import run_history_map_points

    made = run_history_map_points(args.inputs, args.out)
    _say(f"Map points: {len(made.points):,} from {made.crimes:,} crimes ({made.span})")
    _say(f"Rows read {made.rows_read:,} = accepted {made.accepted:,} + rejected {made.rejected:,}")
    for warning in made.points.warnings:
        _say(f"Warning: {warning}")
    _say(f"Output: {shown_line(made.path)}")
    _warn(made.file_errors + made.damaged)
    return _exit_for(made.file_errors, damaged=made.damaged)


def _add_map_points_parser(commands: argparse._SubParsersAction) -> None:
    map_points = commands.add_parser("map-points", help="anonymous map points for a release")
    map_points_commands = map_points.add_subparsers(dest="map_points_command", metavar="SOURCE")
    map_points_commands.required = True
    history = map_points_commands.add_parser(
        "history",
        help="map points from a force's published police.uk history",
        description="Derive the map points (the distinct published points and their 'On or "
        "near' labels) from police.uk street files, folders or monthly .zip "
        "archives, and write them as a map points CSV (longitude, latitude, "
        "label, source, addresses, lsoa_code, lsoa_name) for 'anonymise'.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=MAP_POINTS_EXIT_HELP,
    )
    history.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="police.uk street CSV, folder or monthly .zip"
    )
    history.add_argument(
        "--out",
        required=True,
        metavar="points.csv",
        help="map points CSV to write (replaced atomically)",
    )
    history.set_defaults(handler=_cmd_map_points_history)


SALT_EXIT_HELP = """\
exit codes:
  0  --new: the salt file was written; --check: the salt is fit for a release
  2  --new: the file exists (a salt is never overwritten) or cannot be written; --check:
     the file is missing, not a salt, too short or not random enough (the reason is said)
"""


def _cmd_salt(args: argparse.Namespace) -> int:
    from .core.release.public_schema import salt_fingerprint
    from .core.release.release_files import create_salt_file, read_salt

    if args.new is not None:
        with cannot_write(f"the salt file {shown_path(args.new)}", args.new):
            path = create_salt_file(args.new)
        _say(
            f"Created a new secret salt: {shown_line(path)} (readable only by you). Keep it "
            "outside every output folder and give it to every release of this force: a new "
            "salt changes every Crime ID."
        )
        _say(f"Fingerprint (what audits and manifests record): {salt_fingerprint(read_salt(path))}")
        return 0
    salt = read_salt(args.check)
    _say(f"The salt in {shown_line(args.check)} is fit for a release.")
    _say(f"Fingerprint (what audits and manifests record): {salt_fingerprint(salt)}")
    return 0


def _add_salt_parser(commands: argparse._SubParsersAction) -> None:
    salt = commands.add_parser(
        "salt",
        help="create the force's secret salt, or check one",
        description="The salt keys the public Crime IDs (HMAC-SHA256 of each crime "
        "reference): one secret per force, kept outside every output folder and reused "
        "every month. --new writes 32 random bytes as 64 hex digits, readable only by you, "
        "and never overwrites a file; --check reads a salt file as 'anonymise' and "
        "'release' will, and says why one would be refused.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=SALT_EXIT_HELP,
    )
    which = salt.add_mutually_exclusive_group(required=True)
    which.add_argument("--new", metavar="FILE", help="write a new salt to FILE (not overwritten)")
    which.add_argument("--check", metavar="FILE", help="check the salt in FILE")
    salt.set_defaults(handler=_cmd_salt)


def _cmd_anonymise(args: argparse.Namespace) -> int:
    from .core.release.pipeline import run_anonymise

    with (
        cannot_write(f"outputs in {shown_path(args.out)}", args.out),
        _run_lock(args.out, "anonymise"),
    ):
        outputs = run_anonymise(
            args.inputs,
            args.points,
            args.rules,
            args.salt_file,
            args.out,
            max_distance_m=args.max_distance,
            profile_path=args.profile,
            qa_report=args.qa_report,
            other_crimes=args.other_crimes,
            write_gpkg=not args.no_gpkg,
            fork_gpkg=True,  # (a process of its own: core.release.gpkg_beside, csv_beside)
        )
    for label, value in (
        ("Rows in", outputs.rows_in),
        ("Published at a map point", outputs.published_at_map_point),
        ("Published without a location", outputs.published_without_location),
        ("Withheld by rule", outputs.withheld_by_rule),
        ("Rejected", outputs.rejected),
    ):
        _say(f"{label}: {value:,}")
    _say(f"Counts reconcile: {'yes' if outputs.reconciles else 'NO'}")
    _say("Leak gate: passed")
    for warning in outputs.warnings:
        _say(f"Warning: {warning}")
    _print_outputs(outputs.written)
    if args.timings:
        _print_timings(outputs.timings)
    _warn(outputs.file_errors)
    if not outputs.published_rows:  # (the audit's first warning says why)
        _warn(["nothing is published: every crime was withheld or rejected; see audit.html"])
    if not outputs.reconciles:
        _warn(["the audit counts do not reconcile; see audit.html"])
    return _exit_for(outputs.file_errors, outputs.reconciles, outputs.damaged)


def _add_anonymise_parser(commands: argparse._SubParsersAction) -> None:
    anonymise = commands.add_parser(
        "anonymise",
        help="write the public release (police.uk CSV and GeoPackage, audit, manifest), leak-gated",
        description="Load the extracts, snap every crime to its nearest map point, and write "
        "the police.uk-format public CSV (named like police.uk's files, e.g. "
        "2022-10-leicestershire-street.csv), the public GeoPackage beside it (table "
        "public_crimes), audit.json, audit.html and release_manifest.json (inputs with "
        "SHA-256, settings, salt fingerprint, output checksums) into --out: the same "
        "release pipeline and bytes as the QGIS side, which adds only the layer's .qml "
        "style. The leak gate checks the staged CSV and GeoPackage first: all files "
        "appear together, or none changes. Plain Python: no QGIS needed. With --no-gpkg "
        "the GeoPackage is not written (a job that publishes the CSV alone).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=ANONYMISE_EXIT_HELP,
    )
    anonymise.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="force extract CSV, folder or police.uk monthly .zip",
    )
    anonymise.add_argument(
        "--profile", metavar="P.json", help="column-mapping profile for force extracts"
    )
    anonymise.add_argument(
        "--points",
        required=True,
        metavar="POINTS",
        help="map points .csv (from 'map-points history' or saved from QGIS) or .gpkg "
        "(table map_points, as 'Build anonymous map points' writes; another layer as "
        "'FILE.gpkg|layername=LAYER'); a label written 'On or near X' is read as 'X'",
    )
    anonymise.add_argument(
        "--salt-file",
        required=True,
        metavar="S",
        help="the force's secret salt file (at least 16 bytes), kept "
        "outside every output folder and reused every month",
    )
    anonymise.add_argument("--out", required=True, metavar="DIR", help="release folder")
    anonymise.add_argument(
        "--rules",
        metavar="R.json",
        help="release rules per category (default: the documented rules)",
    )
    anonymise.add_argument(
        "--max-distance",
        type=metres_as_written,
        default="20000",
        metavar="METRES",
        help="beyond this distance to the nearest map point a crime is "
        "published without a location (default 20000, as police.uk)",
    )
    anonymise.add_argument(
        "--qa-report",
        metavar="qa_report.json",
        help="this month's release QA report (from 'qa'): its verdict and findings are "
        "recorded in the audit and the manifest",
    )
    anonymise.add_argument(
        "--no-gpkg",
        action="store_true",
        help="write the public CSV without the public GeoPackage (the audit, manifest and leak "
        "gate cover the files written); by default both are written",
    )
    anonymise.add_argument(
        "--timings",
        action="store_true",
        help="print the seconds each step took (read, anonymise, write, leak gate...) on stderr",
    )
    anonymise.add_argument(
        "--other-crimes",
        nargs="+",
        default=(),
        metavar="EXTRACT",
        help="other months' raw extracts (read with --profile): map points at their true "
        "locations are refused, as map points at this month's are",
    )
    anonymise.set_defaults(handler=_cmd_anonymise)


def _cmd_check_release(args: argparse.Namespace) -> int:
    from .core.release.pipeline import run_check_release

    with cannot_write(shown_path(str(args.report)), args.report):
        outcome = run_check_release(
            args.inputs,
            args.points,
            args.release,
            args.report,
            profile_path=args.profile,
            rules=args.rules,
            beside=True,  # (a process of its own: the gate may fork children)
        )
    _warn(outcome.file_errors)
    if outcome.report.passed:
        _say(outcome.report.message())
        return EXIT_OK
    _say(outcome.report.message(), file=sys.stderr)
    return EXIT_LEAK


def _add_check_release_parser(commands: argparse._SubParsersAction) -> None:
    check = commands.add_parser(
        "check-release",
        help="run the leak gate on a public file or folder",
        description="Run the leak gate on a public CSV, GeoPackage or export folder against "
        "the raw extracts it was made from, and print the verdict.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=CHECK_RELEASE_EXIT_HELP,
    )
    check.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="the raw extracts: CSV file, folder or police.uk monthly .zip",
    )
    check.add_argument(
        "--profile", metavar="P.json", help="column-mapping profile for force extracts"
    )
    check.add_argument(
        "--points",
        required=True,
        metavar="POINTS",
        help="the map points .csv or .gpkg the release was snapped to",
    )
    check.add_argument(
        "--release",
        required=True,
        metavar="FILE_OR_FOLDER",
        help="the public CSV, GeoPackage or folder to check",
    )
    check.add_argument(
        "--report",
        metavar="report.json",
        help="also write the gate report as JSON (whatever the result)",
    )
    check.add_argument(
        "--rules",
        metavar="RULES.json",
        help="the release rules the release was made with (their minimum catchment K)",
    )
    check.set_defaults(handler=_cmd_check_release)


# --- the whole monthly release ----------------------------------------------------------------

RELEASE_EXIT_HELP = """\
exit codes:
  0  every step ran; the manifest lists every input and output
  1  the release was written, but an input file could not be used at all (e.g. not a crime
     extract) or only in part (a quote made many of its lines one rejected
     record), or the audit counts do not reconcile (as load and anonymise exit 1), or a
     step could not run here (e.g. hotspots without QGIS)
  2  nothing more was done: the configuration, an input or a step failed (the message says
     which step, why and what to do). The failed step changed nothing; the steps before it
     kept their new files, and a manifest that no longer describes the folder is removed;
     or another run (named) was writing the month's folder: nothing was read or written
  3  the leak gate stopped the release: nothing was published
  130, 143  stopped by Ctrl-C (SIGINT) or SIGTERM: the steps that finished kept their new
     files, and a manifest that no longer describes the folder is removed, as for 2 (a
     second Ctrl-C or SIGTERM while that clean-up runs is ignored: it always finishes)
"""


def _cmd_release(args: argparse.Namespace) -> int:
    from .core.monthly.config import example_config_text, read_config
    from .core.monthly.release import WARNINGS_SHOWN

    if args.example:
        sys.stdout.write(example_config_text())
        return EXIT_OK
    if not args.config or not args.month:
        raise UsageError("give a configuration file and --month YYYY-MM (or --example)")
    config = read_config(args.config)
    outputs = _run_release(config, args.month, use_qgis=not args.no_qgis)
    _say(outputs.summary_text())
    not_run = [s for s in outputs.steps if s.status == "not run"]
    _warn([f"{s.name} not run: {shown_line(s.note)}" for s in not_run])
    # each step's warnings, as its own command gives them (to stderr, where a scheduled
    # job's warnings are looked for): the summary above lists them under their step too
    _warn(outputs.warning_lines(per_step=WARNINGS_SHOWN))
    # (the load and anonymise commands' rule, on the facts the release's steps recorded)
    file_errors, damaged, reconciles = outputs.inputs_not_used()
    return _exit_for([*not_run, *file_errors], reconciles, damaged)


def _run_release(config, month: str, use_qgis: bool):
    """With QGIS when it can be imported (the same files as qgis_process), else plain."""
    from .core.monthly.release import run_monthly_release

    if use_qgis:
        try:
            from .qgis_bridge.monthly_release import run_headless
        except ImportError:
            use_qgis = False
        else:
            return run_headless(config, month)
    from .core.monthly.release import StepRunners

    runners = StepRunners()
    runners.publish_beside = True  # (a process of its own: core.common.forked)
    return run_monthly_release(config, month, runners=runners)


def _add_release_parser(commands: argparse._SubParsersAction) -> None:
    release = commands.add_parser(
        "release",
        help="the whole monthly release from a configuration file",
        description="Run every step of a monthly release (load, check: the release QA, "
        "anonymise, hotspots, publish) from a release configuration file (TOML or JSON), and "
        "write one manifest covering every step. Start from `release --example`.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=RELEASE_EXIT_HELP,
    )
    release.add_argument("config", nargs="?", metavar="CONFIG", help="release.toml or .json")
    release.add_argument("--month", metavar="YYYY-MM", help="the release month")
    release.add_argument(
        "--no-qgis",
        action="store_true",
        help="plain Python even when QGIS is installed (no styled GeoPackages, hotspots or "
        "project)",
    )
    release.add_argument(
        "--example", action="store_true", help="print a commented example configuration"
    )
    release.set_defaults(handler=_cmd_release)


# --- publish: neighbourhood summaries ----------------------------------------------------------


def _cmd_summaries(args: argparse.Namespace) -> int:
    from .core.publish.summaries import SummaryError, SummaryOptions
    from .core.publish.summaries_run import NeighbourhoodSource, read_families, run_summaries

    source = NeighbourhoodSource(
        boundaries=args.boundaries,
        code_field=args.code_field or "",
        name_field=args.name_field,
        population_field=args.population_field,
        lookup=args.lookup,
        lookup_code_field=args.lookup_code_field or "",
        lookup_name_field=args.lookup_name_field,
        lookup_lsoa_field=args.lookup_lsoa_field,
        names=args.names,
        names_code_field=args.names_code_field or "",
        names_name_field=args.names_name_field or "",
        lsoa_population=args.lsoa_population,
    )
    try:
        families = read_families(args.families)
    except (SummaryError, OSError, ValueError) as exc:
        raise UsageError(str(exc)) from exc
    options = SummaryOptions(
        month=args.month,
        period_months=args.period,
        suppress_below=args.suppress_below,
        families=families,
    )
    with (
        cannot_write(f"summaries in {shown_path(args.out)}", args.out),
        _run_lock(args.out, "summaries"),
    ):
        done = run_summaries(
            args.inputs,
            args.points,
            args.release,
            args.out,
            source,
            options=options,
            team_path=args.team,
            force_name=args.force_name or "",
            with_map=args.with_map,
            profile_path=args.profile,
            history=args.history or (),
            read_beside=True,  # (a process of its own: core.gate.folder_beside)
        )
    _warn(done.problems[:20])
    for note in done.summaries.notes:
        _say(note)
    _say(
        f"Summaries of {done.pages:,} neighbourhoods for {done.summaries.month} written to "
        f"{shown_line(done.folder)} ({done.csv_rows:,} CSV rows). {done.assignment.report()}."
    )
    _say(done.gate_message)
    return EXIT_OK


SUMMARIES_EXIT_HELP = """\
exit codes:
  0  the summaries were written (after the leak gate passed)
  2  nothing was written: bad input, arguments or output folder
  3  the leak gate failed: nothing was written, the previous summaries are intact
"""


def _add_summaries_parser(commands: argparse._SubParsersAction) -> None:
    cmd = commands.add_parser(
        "summaries",
        help="neighbourhood summaries (CSV, GeoPackage, HTML pages) from the public release",
        description="Neighbourhood summaries made only from the public release CSV, checked "
        "by the leak gate against the raw extracts before they replace DIR/neighbourhoods.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=SUMMARIES_EXIT_HELP,
    )
    cmd.add_argument("inputs", nargs="+", metavar="INPUT", help="the raw extracts (for the gate)")
    cmd.add_argument("--profile", metavar="P.json", help="column-mapping profile for extracts")
    cmd.add_argument("--points", required=True, metavar="points.csv", help="map points CSV")
    cmd.add_argument("--release", required=True, metavar="release.csv", help="public release CSV")
    cmd.add_argument("--out", required=True, metavar="DIR", help="writes DIR/neighbourhoods/")
    cmd.add_argument("--boundaries", metavar="B.geojson", help="neighbourhood polygons")
    cmd.add_argument("--code-field", help="property of the boundaries holding the code")
    cmd.add_argument("--name-field", help="property of the boundaries holding the name")
    cmd.add_argument("--population-field", help="property holding the residents")
    cmd.add_argument("--lookup", metavar="L.csv", help="LSOA code -> neighbourhood lookup")
    cmd.add_argument("--lookup-code-field", help="lookup column of the neighbourhood code")
    cmd.add_argument("--lookup-name-field", help="lookup column of the neighbourhood name")
    cmd.add_argument("--lookup-lsoa-field", help="lookup column of the LSOA code")
    cmd.add_argument("--names", metavar="N.csv", help="neighbourhood code -> name CSV")
    cmd.add_argument("--names-code-field", help="names file column of the code")
    cmd.add_argument("--names-name-field", help="names file column of the name")
    cmd.add_argument("--lsoa-population", metavar="P.csv", help="LSOA populations to sum")
    cmd.add_argument("--team", metavar="T.json", help="team information (API JSON or CSV)")
    cmd.add_argument(
        "--history",
        nargs="+",
        metavar="PATH",
        help="earlier published police.uk months (street CSVs, folders or monthly zips) for "
        "the 12-month trend and the change on a year earlier",
    )
    cmd.add_argument(
        "--families", metavar="F.csv", help="similar-neighbourhood families (code,family)"
    )
    cmd.add_argument("--month", metavar="YYYY-MM", help="the month (default: the latest)")
    cmd.add_argument(
        "--period", type=whole_number, default=1, metavar="N", help="months (default 1)"
    )
    cmd.add_argument(
        "--suppress-below",
        type=whole_number,
        default=0,
        metavar="N",
        help="show counts below N as 'fewer than N' (default 0: off)",
    )
    cmd.add_argument("--force-name", help="the force's name for the pages")
    cmd.add_argument(
        "--with-map", action="store_true", help="link the pages to the web map at DIR/map/"
    )
    cmd.set_defaults(handler=_cmd_summaries)


# --- release QA and the "when" views ------------------------------------------------------------


def release_month(text: Optional[str]) -> Optional[str]:
    """The month given to ``--month`` checked as the release checks its month
    (core.monthly.config.validate_month), or None when none was given. Why checked here:
    a month no extract can hold ("2022-13") rejected every row as another month's, and the
    QA then reported on no crimes instead of saying the month was mistyped."""
    if text is None:
        return None
    from .core.monthly.config import ConfigError, validate_month

    try:
        return validate_month(text)
    except ConfigError as exc:
        raise UsageError(f"--month: {exc}") from None


def _cmd_qa(args: argparse.Namespace) -> int:
    from .core.qa.run import run_qa_files

    month = release_month(args.month)  # (refused before any file is read or folder made)
    # under the run lock of --out, as anonymise: ``qa --out <month>/qa`` while that month's
    # release runs (its check step writes qa_report.json and .html there) is refused at once.
    # --save-history names one file, which no release writes: its folder is not locked
    with (
        cannot_write(f"outputs in {shown_path(args.out)}", args.out),
        _run_lock(args.out, "qa"),
    ):
        run = run_qa_files(
            args.inputs,
            args.history,
            profile_path=args.profile,
            history_profile_path=args.history_profile,
            points=args.points,
            areas_path=args.areas,
            out_dir=args.out,
            save_history=args.save_history,
            far_metres=args.far,
            release_month=month,
        )
    report = run.report
    skipped = [f"{c['name']} ({c['note']})" for c in report.checks if not c["ran"]]
    _say(f"Release QA {shown_line(report.force)} {report.month}: {report.rows:,} rows against "
          f"{len(report.history_months)} months of history")  # fmt: skip
    _say(f"Verdict: {report.verdict}")
    for finding in report.findings:
        _say(f"  [{finding.severity}] {shown_line(finding.title)}")
    if skipped:
        _say("Not run: " + "; ".join(skipped))
    _print_outputs([run.report_json, run.report_html, run.history_json])
    _warn(run.file_errors)
    # (a file's name holding a line break: one line each, the report keeps it exactly)
    _warn([f"history month left out: {shown_line(note)}" for note in report.history_left_out])
    if args.fail_on_high and report.counts()["high"]:
        return EXIT_QA_HIGH
    return _exit_for(run.file_errors)


WHEN_EXIT_HELP = """\
exit codes:
  0  the page was written
  1  it was written, but look: a --history .json that is no QA history was skipped, or
     --by found no group to show (no crime with an exact time has an area, say)
  2  nothing was written: a missing input, bad arguments, or --out naming an input
"""


def _cmd_when(args: argparse.Namespace) -> int:
    from .core.qa.run import crimes_for_when, read_area_lookup
    from .core.qa.when import groups_problem, write_when_page

    # No run lock: the page is one named file, which no release writes (as publish_hotspots'
    # one GeoPackage). A page written beside a running release's files replaces none of
    # them, and its folder's lock would go above it (``--out ~/when.html`` needed a file
    # written in /home, refused where an analyst may not write).
    given = [*args.inputs, *(args.history or ()), *([args.areas] if args.areas else [])]
    out = Path(args.out)
    if any(_same_file(out, Path(p)) for p in given):
        raise UsageError(
            f"--out {shown_path(args.out)} is one of the inputs: it would be overwritten"
        )
    crimes = crimes_for_when(args.inputs, args.profile, args.history or (), args.history_profile)
    lookup = read_area_lookup(args.areas) if args.areas else None
    with cannot_write(shown_path(args.out), args.out):
        path = write_when_page(crimes, args.out, args.by, lookup)
    _say(f"When views of {len(crimes):,} crimes: {shown_line(path)}")
    # QA history files (.json) hold counts per month, not crimes: the views skip them (an
    # analyst may give qa's --history list as it is), but one that is no QA history at all
    # is said, not skipped in silence
    unusable = [_not_qa_history(p) for p in args.history or () if str(p).lower().endswith(".json")]
    unusable = [u for u in unusable if u]
    empty = groups_problem(crimes, args.by, lookup)
    _warn(unusable + ([f"--by {args.by}: {empty}"] if empty else []))
    return _exit_for(unusable + ([empty] if empty else []))


def _not_qa_history(path: str) -> str:
    """Why ``path`` is not a QA history file ("" when it is one)."""
    from .core.common.text_file import read_text_file
    from .core.qa.profile import read_profiles_json

    try:
        read_profiles_json(read_text_file(path, encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError) as exc:
        return f"{shown_path(path)}: not a QA history file, not used ({exc})"
    return ""


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one existing file (the same path, or a link to it)."""
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False


def _add_qa_parsers(commands: argparse._SubParsersAction) -> None:
    qa = commands.add_parser(
        "qa",
        help="release QA: this month against the force's previous 12 months",
        description="Check this month's extract before anonymising it: counts per category "
        "and area far outside their 12-month range, days and hours with no records, batches "
        "sent twice, categories, outcomes and labels never seen, locations lost or outside "
        "the force. Writes qa_report.json and qa_report.html into --out. Plain Python.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=QA_EXIT_HELP,
    )
    qa.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="this month: extract CSV, folder, police.uk .zip or crimes .gpkg",
    )
    qa.add_argument(
        "--history",
        nargs="+",
        required=True,
        metavar="H",
        help="earlier months: extracts, police.uk files, folders or zips, and/or "
        "QA history files (.json, from --save-history); the last 12 are used",
    )
    qa.add_argument("--out", required=True, metavar="DIR", help="folder for the report")
    qa.add_argument("--profile", metavar="P.json", help="mapping profile for this month")
    qa.add_argument(
        "--history-profile",
        metavar="P.json",
        help="mapping profile for history extracts (police.uk files need none)",
    )
    qa.add_argument(
        "--points",
        metavar="POINTS",
        help="map points .csv or .gpkg: a force extract's rows take their "
        "point's label and LSOA, and the distance to it is checked",
    )
    qa.add_argument(
        "--areas",
        metavar="LOOKUP.csv",
        help="LSOA code to neighbourhood lookup (two columns): test "
        "neighbourhoods instead of LSOAs",
    )
    qa.add_argument(
        "--far",
        type=positive_metres,
        metavar="METRES",
        help="a crime farther than this from its map point is 'snapped far' (default 1000)",
    )
    qa.add_argument(
        "--month",
        metavar="YYYY-MM",
        help="the release month: extracts are loaded for it as the release's load loads "
        "them (rows of another month rejected, not counted); default: as the files say",
    )
    qa.add_argument(
        "--save-history",
        metavar="H.json",
        help="write the month profiles (history and this month) for next month's --history",
    )
    qa.add_argument(
        "--fail-on-high", action="store_true", help="exit 4 when there are high-severity findings"
    )
    qa.set_defaults(handler=_cmd_qa)

    when = commands.add_parser(
        "when",
        help="analyst 'when' views: hour by day of week, month trend (internal only)",
        description="Write an HTML page with an hour-of-day by day-of-week table and heat "
        "chart per category, area or for all crimes (rows with exact times), and a month "
        "trend per category. Internal: exact times are raw data; never publish the page.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=WHEN_EXIT_HELP,
    )
    when.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="extract CSV, folder, police.uk .zip or crimes .gpkg",
    )
    when.add_argument("--out", required=True, metavar="when.html", help="the page to write")
    when.add_argument("--profile", metavar="P.json", help="mapping profile for extracts")
    when.add_argument(
        "--history", nargs="+", metavar="H", help="earlier months' extracts, for the month trend"
    )
    when.add_argument(
        "--history-profile",
        metavar="P.json",
        help="mapping profile for force extracts among the history files",
    )
    when.add_argument("--by", choices=("category", "area", "all"), default="category")
    when.add_argument("--areas", metavar="LOOKUP.csv", help="LSOA to neighbourhood lookup")
    when.set_defaults(handler=_cmd_when)  # fmt: skip


# --- publish: the web map ---------------------------------------------------------------------


def _webmap_neighbourhoods(args: argparse.Namespace) -> object:
    """The summaries' NeighbourhoodSource from the webmap options (None without any)."""
    if not (args.neighbourhoods or args.lookup):
        return None
    from .core.publish.summaries_run import NeighbourhoodSource

    return NeighbourhoodSource(
        boundaries=args.neighbourhoods,
        code_field=args.code_field or args.name_field or "",
        name_field=args.name_field,
        population_field=args.population_field,
        lookup=args.lookup,
        lookup_code_field=args.lookup_code_field or "",
        lookup_name_field=args.lookup_name_field,
        lsoa_population=args.lsoa_population,
    )


def _cmd_webmap(args: argparse.Namespace) -> int:
    """The public web map (core.publish.webmap_run), gated, into <out>/map/."""
    from pathlib import Path

    from .core.publish.webmap_run import run_webmap

    if args.raw and not args.points:
        raise UsageError("--raw needs --points (the map points the release was snapped to)")
    with (
        cannot_write(shown_path(args.out), args.out),
        _run_lock(Path(args.out) / "map", "webmap", args.out),
    ):
        done = run_webmap(
            args.inputs,
            Path(args.out) / "map",
            raw=args.raw,
            points=args.points if args.raw else None,
            profile_path=args.profile,
            title=args.title,
            tiles=args.tiles,
            tiles_attribution=args.tiles_attribution,
            neighbourhoods=_webmap_neighbourhoods(args),
            summaries=args.summaries,
            copy_csv=not args.no_csv,
            csv_url=args.csv_url or "",
            export_beside=True,  # (a process of its own: core.common.forked)
        )
    _warn(done.warnings)
    _say(
        f"web map: {shown_line(done.index)} ({done.crimes:,} crimes, {done.mapped:,} mapped at "
        f"{done.points:,} places, {len(done.months)} month(s), {done.bytes / 1e6:.1f} MB, "
        f"{done.seconds:.1f} s)"
    )
    _say(done.gate)
    return EXIT_OK


def _add_webmap_parser(commands: argparse._SubParsersAction) -> None:
    webmap = commands.add_parser(
        "webmap",
        help="export the public web map (static folder, works from disk)",
        description="Export the public web map of published street-level releases (the "
        "public CSVs or GeoPackage the anonymise step writes, or police.uk downloads: files, "
        "folders or monthly .zip archives, with their outcomes files) into OUT/map/. The "
        "folder is leak-gated before it replaces any previous export.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="exit codes: 0 done; 2 bad input or arguments (nothing written); "
        "3 the leak gate refused the export (nothing written)",
    )
    webmap.add_argument("inputs", nargs="+", metavar="RELEASE", help="public release files")
    webmap.add_argument("--out", required=True, metavar="DIR", help="writes DIR/map/")
    webmap.add_argument("--title", default="Street-level crime map", help="page title")
    webmap.add_argument(
        "--tiles",
        default="osm",
        metavar="osm|none|URL",
        help="basemap: OpenStreetMap (default), none, or an https {z}/{x}/{y} template",
    )
    webmap.add_argument(
        "--tiles-attribution", default="", help="attribution text for a custom tile URL"
    )
    webmap.add_argument(
        "--neighbourhoods", metavar="N.geojson", help="neighbourhood polygons (WGS84 GeoJSON)"
    )
    webmap.add_argument("--code-field", help="neighbourhood code property (default: name)")
    webmap.add_argument("--name-field", help="neighbourhood name property")
    webmap.add_argument(
        "--population-field", help="neighbourhood population property (rates per 1,000)"
    )
    webmap.add_argument(
        "--lookup", metavar="L.csv", help="LSOA-to-neighbourhood lookup (as for summaries)"
    )
    webmap.add_argument("--lookup-code-field", help="the lookup's neighbourhood code column")
    webmap.add_argument("--lookup-name-field", help="the lookup's neighbourhood name column")
    webmap.add_argument(
        "--lsoa-population", metavar="P.csv", help="LSOA populations (rates per 1,000)"
    )
    webmap.add_argument(
        "--summaries",
        choices=("auto", "yes", "no"),
        default="auto",
        help="link areas to ../neighbourhoods/<slug>.html (auto: when that folder exists)",
    )
    webmap.add_argument(
        "--no-csv",
        action="store_true",
        help="never copy the street CSVs into the map (they are copied when they total at most "
        "30 MB); the page then links to them beside the map, or to --csv-url",
    )
    webmap.add_argument(
        "--csv-url",
        metavar="URL",
        help="where the publisher hosts the published CSVs, for the page's download link when "
        "they are too large to copy and not beside the map",
    )
    webmap.add_argument(
        "--raw",
        nargs="+",
        metavar="EXTRACT",
        help="the raw extracts the release was made from: the leak gate checks against them",
    )
    webmap.add_argument("--profile", metavar="P.json", help="mapping profile for --raw")
    webmap.add_argument("--points", metavar="points.csv", help="map points CSV (with --raw)")
    webmap.set_defaults(handler=_cmd_webmap)


# --- entry point ------------------------------------------------------------------------------


#: The commands, in the order ``--help`` lists them: each adds its parser (arguments, help,
#: exit codes) and sets ``handler``, the function main runs.
PARSERS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (
    _add_load_parser,
    _add_profile_parser,
    _add_map_points_parser,
    _add_salt_parser,
    _add_anonymise_parser,
    _add_check_release_parser,
    _add_release_parser,
    _add_summaries_parser,
    _add_qa_parsers,
    _add_webmap_parser,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m crime_mapper.cli",
        description="crime_mapper without the QGIS desktop: load and validate extracts, "
        "detect column-mapping profiles, derive map points, write and check "
        "the anonymised public release.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=MAIN_EXIT_HELP,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    for add in PARSERS:
        add(commands)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Parse, run the command's handler, and turn a failure into its exit code: the one
    shape every command has (a handler calls one core function and prints its result)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        _refuse_blank(parser, args)
        return handler(args)
    except KeyboardInterrupt as exc:  # (Ctrl-C, or SIGTERM: _interrupt)
        return _interrupted(exc, _signalled[0] if _signalled else signal.SIGINT)
    except Exception as exc:  # noqa: BLE001 - classified; anything else is raised again
        if _signalled:  # (a library's failure made of the interrupt: still the interrupt)
            return _interrupted(exc, _signalled[0])
        code = _exit_code(exc)
        if code is None:
            raise
        return code
    finally:
        _signalled.clear()  # (the command has stopped: the next one's Ctrl-C stops it again)
        clear_stop()


#: The signals :func:`_interrupt` turned into an interrupt in this process, as they came.
_signalled: list[int] = []


def _interrupt(signum: int, _frame: object) -> None:
    """Ctrl-C (SIGINT) and SIGTERM: an interrupt raised where the command is, so it stops in
    order (its staged files removed, its forked children stopped, a release's manifest put
    back only if it still holds), remembered so that a library's failure made of it is
    still reported as the interrupt (pandas' CSV reader turned one into "cannot be read as a
    CSV", which blamed a history file). Only a command's own process (run_as_command), never
    a QGIS session: SIGTERM killed the process where it stood, its staging folders left."""
    if _signalled:  # (the first one's clean-up is under way: it is finished, not cut)
        _finishing(signum)
        return
    _signalled.append(signum)
    request_stop()  # (the interrupt may be swallowed where it lands: the next check stops)
    raise KeyboardInterrupt(signal.Signals(signum).name)


#: The process run_as_command runs in (its forked children inherit the signal handler)
_command_pid: list[int] = []

#: What a second Ctrl-C or SIGTERM is told while the first one's clean-up runs
CLEAN_UP_FINISHING = (
    "crime_mapper: {how} ignored: the clean-up after the interrupt is finishing (the "
    "staged files removed, the month's earlier manifest put back if it still holds); "
    "the command stops by itself in a moment."
)


def _finishing(signum: int) -> None:
    """A signal that came while the clean-up of the first runs: ignored (deferred until the
    command has stopped), and said once on stderr. Why: a second Ctrl-C raised a second
    interrupt inside the clean-up, which then stopped where it stood: a release could be
    left without its earlier manifest (taken out while it ran, never put back) and with
    its staging folders beside the outputs. Written straight to the descriptor: the main
    code may be writing to sys.stderr at this moment (a buffered write is not reentrant).
    Said by the command's own process only: a forked child (which inherits this handler,
    and the terminal's Ctrl-C with its process group) said it a second time.

    A first interrupt that was swallowed where it landed (a library turned it into an error
    that was recorded, and the command went on) still stops the command: core.common.
    feedback.request_stop makes its next check between units of work raise."""
    if len(_signalled) == 1 and os.getpid() in _command_pid:
        with suppress(OSError, ValueError):
            how = "SIGTERM" if signum == signal.SIGTERM else "Ctrl-C"
            text = CLEAN_UP_FINISHING.format(how=how)
            os.write(sys.stderr.fileno(), (text + "\n").encode("utf-8", "replace"))
    _signalled.append(signum)


def _interrupted(exc: BaseException, signum: int) -> int:
    """Report a command stopped by Ctrl-C or SIGTERM on stderr in one message, as a failure
    is, and exit as a shell does for that signal (128 + its number: 130, 143). Why: Ctrl-C
    printed a KeyboardInterrupt traceback, which read as a crash; a release stopped there
    says which steps finished and whether the month's earlier manifest was removed."""
    how = "Stopped by SIGTERM" if signum == signal.SIGTERM else "Interrupted (Ctrl-C)"
    release = sys.modules.get(f"{__package__}.core.monthly.release")
    if release is not None and hasattr(exc, release.PARTIAL_OUTPUTS):
        text = release.interrupted_text(exc, how)
    else:
        text = f"{how}."
    _say(f"crime_mapper: error: {text}", file=sys.stderr)
    _let_go_of_frames(exc)
    return 128 + signum


def _let_go_of_frames(exc: Optional[BaseException]) -> None:
    """Free now what the frames an interrupt unwound still hold (the QGIS layers of the
    step under way), while QGIS runs. Why: run_as_command keeps the command's cyclic
    garbage until the exit (gc.DEBUG_SAVEALL), these frames among it; destroyed only after
    QGIS had stopped, their layers crashed the process (SIGSEGV) once a release
    interrupted in its hotspots step had said so."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        traceback.clear_frames(exc.__traceback__)
        exc = exc.__cause__ or exc.__context__


def _refuse_blank(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """UsageError naming the first argument given as spaces only or empty (a path, a month,
    a title); an option whose default is empty may be given empty (it is then the default).

    Why: a blank value is never what the analyst meant, and each reader took it its own
    way: ``--profile "   "`` was read as a file named three spaces and refused as "cannot
    read mapping profile : ..." with nothing to see where the name goes; an empty INPUT
    (a script's unset variable, ``cli qa "$MONTH"``) was read as the current folder, so
    whatever extracts lay there were checked or loaded. Processing refuses the same input
    in the same words (core.common.text_file.path_problem's callers)."""
    command = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
    sub = command.choices.get(getattr(args, "command", None)) if command else None
    for action in sub._actions if sub else ():
        value = getattr(args, action.dest, None)
        values = value if isinstance(value, (list, tuple)) else [value]
        blank = [v for v in values if isinstance(v, str) and not v.strip() and v != action.default]
        if blank:
            name = "/".join(action.option_strings) or action.metavar or action.dest
            what = "empty" if "" in blank else "blank (spaces only)"
            raise UsageError(f"{name} is {what}: give a value, or leave it out")


#: The cyclic garbage collector's thresholds in a command's own process (gc.set_threshold):
#: a young collection every 50,000 container allocations instead of 700. Why: a national
#: monthly release allocates some 550,000 containers that outlive the young generation
#: (pandas and gate objects, rarely cyclic), and Python's default ran about 850 collections
#: over them: some 0.5 s of the release process's CPU (0.1 s with these). The garbage of a
#: cycle waits at most 50,000 allocations longer to be freed; nothing else changes.
COMMAND_GC_THRESHOLDS = (50_000, 20, 10)


def run_as_command(argv: Optional[Sequence[str]] = None) -> int:
    """:func:`main` for a process that ends as soon as it returns (``python -m``).

    Its collector runs at COMMAND_GC_THRESHOLDS (never in a QGIS session's process, whose
    collector is the session's: only the command line's own process comes here).

    Why the collection and freeze at the end: Python's finalization runs full garbage
    collections that walk every object pandas, numpy, scipy and pyproj made at import (about
    0.1-0.3 s of a national release's exit, all of it CPU), and free the command's cyclic
    garbage (a national release's leak gate views: some 0.3 s of freeing memory the
    operating system takes back a moment later anyway). The command's garbage is collected
    here once with gc.DEBUG_SAVEALL: its finalizers (__del__) run, as the exit's collection
    would run them, but the objects are kept in gc.garbage instead of being freed; then the
    live objects are frozen (gc.freeze) so the exit's walks find nothing to do (and what
    they would find is kept too). Nothing else about the exit changes: atexit handlers, the
    flushing and closing of stdout and stderr, and the exit code are Python's own (this is
    not os._exit); every output file is closed before main returns.
    A failure raised out of main is reported as before (nothing here is reached).

    Ctrl-C and SIGTERM stop the command in order (:func:`_interrupt`) while main runs, and
    are ignored once it has returned: the command's result is decided and said, and one
    arriving as the process exits printed a traceback from its exit handlers."""
    gc.set_threshold(*COMMAND_GC_THRESHOLDS)
    _command_pid[:] = [os.getpid()]
    stops = [getattr(signal, name) for name in ("SIGINT", "SIGTERM") if hasattr(signal, name)]
    for signum in stops:
        signal.signal(signum, _interrupt)
    code = main(argv)
    for signum in stops:
        signal.signal(signum, signal.SIG_IGN)
    gc.set_debug(gc.DEBUG_SAVEALL)  # (finalized, then kept: not freed just before the exit)
    gc.collect()
    gc.freeze()
    return code


if __name__ == "__main__":
    sys.exit(run_as_command())
