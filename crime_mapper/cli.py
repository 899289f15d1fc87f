"""Command line: load extracts, detect a mapping profile, make and check the public release.

Why a command line: the monthly load and release are also run unattended (scheduled jobs, a
records team's scripts) and on machines without a QGIS desktop. ``load`` runs the same
pure-core loader as the dock and the Processing algorithm and writes the same rejects CSV and
validation report, so a scripted load and a desktop load can be compared line by line.
``map-points history``, ``anonymise`` and ``check-release`` run the same core steps as the
Release panel and the Processing algorithms (map points from the police.uk history, the
anonymiser, the leak gate) and follow the same salt, naming, gate and manifest rules
(core.release.release_files, core.load.mapping_profile.load_profile), so the public CSV of a
scripted release is
byte-identical to the desktop one for the same inputs and salt, and its release_manifest.json
records the same release, inputs and settings (only the outputs list differs: the desktop
also writes the public GeoPackage and its style; and qgis_version reads
"none (command line)"). Only ``load --gpkg`` needs QGIS; everything else runs in plain Python.

    python -m crime_mapper.cli load INPUT... --out DIR [--profile P.json] [--gpkg]
    python -m crime_mapper.cli profile detect EXTRACT.csv [--save P.json] [--json]
    python -m crime_mapper.cli map-points history INPUT... --out points.csv
    python -m crime_mapper.cli anonymise INPUT... --points points.csv --salt-file S --out DIR
        [--profile P.json] [--rules R.json] [--max-distance 20000]
    python -m crime_mapper.cli check-release INPUT... --points points.csv
        --release FILE_OR_FOLDER [--profile P.json] [--report report.json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, Optional, TextIO, Union

from .core.common.staging import staged_outputs
from .core.load import validation_report as report
from .core.load.extract_head import read_extract_head
from .core.load.mapping_profile import (
    ROLES,
    MappingProfile,
    ProfileError,
    detect_columns,
    detect_profile,
)
from .core.load.validation_report import OUTPUT_NAMES

PathLike = Union[str, Path]

EXIT_OK = 0
EXIT_FILE_ERROR = 1
EXIT_USAGE = 2
EXIT_LEAK = 3

EXIT_CODES_HELP = """\
exit codes:
  0  the load ran; rows may have been rejected (see rejects.csv and the report)
  1  the load ran but at least one file could not be used at all (e.g. not a crime
     extract) or the report does not reconcile; the other files were still loaded
  2  nothing was loaded: a missing input, an unreadable archive, an invalid mapping
     profile, an output folder that cannot be written, or bad arguments
"""

MAIN_EXIT_HELP = """\
exit codes (details in each COMMAND --help):
  0  done
  1  done, but an input file could not be used (or counts do not reconcile)
  2  nothing was done: bad input, arguments or output folder
  3  the leak gate failed (anonymise: nothing written; check-release: release unsafe)
"""


# --- load ------------------------------------------------------------------------------------


class UsageError(Exception):
    """Nothing can be loaded: reported as one line on stderr, exit code 2."""


def _prepare_out_dir(out: PathLike) -> Path:
    out_dir = Path(out)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"output folder {out_dir}: {exc.strerror or exc}") from exc
    if not os.access(out_dir, os.W_OK):
        raise UsageError(f"output folder {out_dir}: not writable")
    return out_dir


def _load_profile(path: Optional[PathLike]) -> Optional[MappingProfile]:
    if path is None:
        return None
    try:
        profile = MappingProfile.load(path)
        profile.offence_lookup()  # a bad offence table is a profile error, found up front
    except ProfileError as exc:
        raise UsageError(str(exc)) from exc
    return profile


def run_core_load(
    inputs: Sequence[PathLike],
    out: PathLike,
    profile: Optional[MappingProfile] = None,
    stdout: TextIO = sys.stdout,
) -> int:
    """Load with the pure core, write rejects and reports into ``out``, print the report."""
    from .core.load.loader import load_extracts
    from .core.load.sources import InputError

    out_dir = _prepare_out_dir(out)
    try:
        result = load_extracts([str(p) for p in inputs], profile=profile)
    except InputError as exc:
        raise UsageError(str(exc)) from exc
    text = report.report_text(result)
    try:
        with staged_outputs() as stage:
            report.write_rejects_csv(result, stage.path_for(out_dir / OUTPUT_NAMES["rejects"]))
            report.write_report_json(result, stage.path_for(out_dir / OUTPUT_NAMES["report_json"]))
            stage.path_for(out_dir / OUTPUT_NAMES["report_text"]).write_text(
                text + "\n", encoding="utf-8"
            )
    except OSError as exc:
        raise UsageError(f"cannot write outputs in {out_dir}: {exc.strerror or exc}") from exc
    summary = report.report_dict(result)
    print(text, file=stdout)
    print("Outputs:", file=stdout)
    for key in ("rejects", "report_json", "report_text"):
        print(f"  {out_dir / OUTPUT_NAMES[key]}", file=stdout)
    return EXIT_FILE_ERROR if summary["file_errors"] or not summary["reconciles"] else EXIT_OK


def run_gpkg_load(
    inputs: Sequence[PathLike],
    out: PathLike,
    profile: Optional[MappingProfile] = None,
    stdout: TextIO = sys.stdout,
) -> int:
    """The same load through qgis_bridge.run_load: also the styled crimes GeoPackage."""
    try:
        from qgis.core import QgsApplication
    except ImportError as exc:
        raise UsageError(
            f"--gpkg needs the QGIS Python bindings ({exc}); run with the "
            "Python QGIS uses, e.g. /usr/bin/python3"
        ) from exc
    from .core.load.sources import InputError

    out_dir = _prepare_out_dir(out)
    app = QgsApplication([], False)
    app.initQgis()
    try:
        from .qgis_bridge.run_load import run_load

        try:
            outputs = run_load([str(p) for p in inputs], out_dir, profile=profile)
        except InputError as exc:
            raise UsageError(str(exc)) from exc
        except OSError as exc:
            raise UsageError(f"cannot write outputs in {out_dir}: {exc.strerror or exc}") from exc
        print(outputs.report_text, file=stdout)
        print("Outputs:", file=stdout)
        for path in (
            outputs.gpkg,
            outputs.qml,
            outputs.rejects_csv,
            outputs.report_json,
            outputs.report_text_path,
        ):
            if path is not None:
                print(f"  {path}", file=stdout)
        return EXIT_FILE_ERROR if outputs.file_errors or not outputs.reconciles else EXIT_OK
    finally:
        app.exitQgis()


def _cmd_load(args: argparse.Namespace) -> int:
    missing = [p for p in args.inputs if not Path(p).exists()]
    if missing:  # found before any folder is made or any file read
        raise UsageError(f"{missing[0]}: no such file or folder")
    profile = _load_profile(args.profile)
    run = run_gpkg_load if args.gpkg else run_core_load
    return run(args.inputs, args.out, profile)


# --- profile detect ---------------------------------------------------------------------------


def _cmd_profile_detect(args: argparse.Namespace) -> int:
    head = read_extract_head(args.extract, encoding=args.encoding)
    columns = detect_columns(head.header)
    complete = detect_profile(head.header) is not None
    profile = MappingProfile(
        name=f"Detected from {head.path.name}",
        columns=columns,
        delimiter=head.delimiter,
    )
    if args.json:
        print(json.dumps(asdict(profile), indent=2, sort_keys=True))
    else:
        print(
            f"{head.path.name}: {len(head.header)} columns, {head.encoding}, delimiter "
            f"{head.delimiter!r}"
        )
        width = max(len(r) for r in ROLES)
        for role, meaning in ROLES.items():
            column = columns.get(role)
            shown = repr(column) if column else "-"
            print(f"  {role:<{width}}  {shown:<24} {meaning}")
        unused = [h for h in head.header if h not in columns.values()]
        if unused:
            print(
                "Columns with no role (a load carries them through as extra fields): "
                + ", ".join(unused)
            )
    if not complete:
        print(
            f"{head.path.name}: cannot detect a complete profile: it needs crime_ref, date, "
            "x, y and offence or category; map the rest in the profile dialog",
            file=sys.stderr,
        )
        if args.save:
            print("Profile not saved.", file=sys.stderr)
        return EXIT_FILE_ERROR
    if args.save:
        try:
            profile.save(args.save)
        except OSError as exc:
            raise UsageError(f"cannot save {args.save}: {exc.strerror or exc}") from exc
        print(f"Saved profile: {args.save}", file=sys.stderr if args.json else sys.stdout)
    return EXIT_OK


# --- release: map points, anonymise, check-release --------------------------------------------
# Plain Python only: nothing here may import QGIS (scheduled runs have no QGIS). The salt,
# naming, gate-entry and manifest rules come from core.release.release_files and the checked profile
# from core.load.mapping_profile.load_profile, so a scripted release refuses, names, records and
# describes
# itself exactly as the desktop one.

MAP_POINTS_EXIT_HELP = """\
exit codes:
  0  the map points CSV was written
  1  it was written, but at least one input file could not be used at all
  2  nothing was written: a missing input, an unreadable archive, no located crime in the
     history, an output that cannot be written, or bad arguments
"""

ANONYMISE_EXIT_HELP = """\
exit codes:
  0  the release was written (public CSV, audit.json, audit.html, release_manifest.json)
     and passed the leak gate
  1  it was written, but an input file could not be used at all or the audit counts do not
     reconcile (see the audit)
  2  nothing was written: a missing input, a missing/short salt or one inside the output
     folder, bad rules, profile or map points, an output folder that cannot be written, or
     bad arguments; checked before any work starts where possible
  3  the leak gate failed on the staged public CSV: nothing was written and the previous
     release is unchanged (the failed checks are on stderr)
"""

CHECK_RELEASE_EXIT_HELP = """\
exit codes:
  0  the leak gate passed: every check on the release file or folder passed
  2  the gate could not run: a missing input or release, bad profile or map points, or bad
     arguments
  3  the leak gate failed (the failed checks and examples are on stderr); with --report the
     report is written either way
"""


def _require_inputs(inputs: Sequence[PathLike]) -> None:
    missing = [p for p in inputs if not Path(p).exists()]
    if missing:  # found before any folder is made or any file read
        raise UsageError(f"{missing[0]}: no such file or folder")


def _check_writable_target(folder: Path, what: str) -> None:
    """Refuse an output folder that is a file or cannot be created, without creating it."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{what} {folder}: is a file, not a folder")
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK):
        raise UsageError(f"{what} {folder}: not writable")


def _release_profile(path: Optional[PathLike]) -> Optional[MappingProfile]:
    """The profile checked as the Release panel checks it (it must map a category)."""
    from .core.load.mapping_profile import load_profile

    try:
        return load_profile(path)
    except ProfileError as exc:
        raise UsageError(str(exc)) from exc


def _read_points(path: PathLike) -> Any:
    from .core.release.map_points import MapPointsError, read_map_points_csv

    points = Path(path)
    if points.suffix.lower() != ".csv":
        raise UsageError(
            f"map points {points}: the command line reads map points from a .csv "
            "(write one with 'map-points history', or save the layer as CSV)"
        )
    if not points.is_file():
        raise UsageError(f"map points file not found: {points}")
    try:
        return read_map_points_csv(points)
    except MapPointsError as exc:
        raise UsageError(f"map points: {exc}") from exc


def _load_crimes(inputs: Sequence[PathLike], profile: Optional[MappingProfile]) -> Any:
    """The internal crimes table through core.load.loader (as the Release panel loads extracts)."""
    from .core.load.loader import load_extracts
    from .core.load.sources import InputError

    try:
        result = load_extracts([str(p) for p in inputs], profile=profile)
    except InputError as exc:
        raise UsageError(str(exc)) from exc
    if not len(result.crimes):
        errors = "; ".join(f.error for f in result.files if f.error)
        raise UsageError("the extracts hold no crimes" + (f" ({errors})" if errors else ""))
    return result


def _file_errors(result: Any) -> list[str]:
    return [f.error for f in result.files if f.error]


def _warn(lines: Sequence[str]) -> None:
    for line in lines:
        print(f"crime_mapper: warning: {line}", file=sys.stderr)


def _cmd_map_points_history(args: argparse.Namespace) -> int:
    from .core.release.map_points import (
        MapPointsError,
        map_points_from_history,
        write_map_points_csv,
    )

    _require_inputs(args.inputs)
    out = Path(args.out)
    if out.suffix.lower() != ".csv":
        raise UsageError(f"--out {out}: map points are written as a .csv file")
    if out.is_dir():
        raise UsageError(f"--out {out}: is a folder, not a file")
    _check_writable_target(out.parent, "output folder")
    result = _load_crimes(args.inputs, None)
    try:
        points = map_points_from_history(result.crimes)
    except MapPointsError as exc:
        raise UsageError(f"map points: {exc}") from exc
    try:
        write_map_points_csv(points, out)
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from exc
    months = sorted({str(m) for m in result.crimes["month"].dropna().unique()})
    span = (months[0] if len(months) == 1 else f"{months[0]} to {months[-1]}") if months else "-"
    print(f"Map points: {len(points):,} from {len(result.crimes):,} crimes ({span})")
    for warning in points.warnings:
        print(f"Warning: {warning}")
    print(f"Output: {out}")
    errors = _file_errors(result)
    _warn(errors)
    return EXIT_FILE_ERROR if errors else EXIT_OK


class _GateFailed(Exception):
    """The leak gate refused the staged public CSV (exit 3; the staging discards it)."""


def _cmd_anonymise(args: argparse.Namespace) -> int:
    import math

    from .core.gate.leak_gate import check_release
    from .core.release.anonymise import AnonymiseError, anonymise
    from .core.release.audit import attach_gate_report, write_audit
    from .core.release.public_schema import salt_fingerprint, write_public_csv
    from .core.release.release_files import (
        RELEASE_NAMES,
        ReleaseInputError,
        build_manifest,
        combined_gate_entry,
        extracts_description,
        gate_error_message,
        input_files,
        map_points_file_entry,
        public_csv_name,
        read_salt,
        write_manifest,
    )
    from .core.release.rules import DEFAULT_RULES, ReleaseRules, ReleaseRulesError

    # 1. every cheap check first: nothing has been read (but the salt) or written yet
    _require_inputs(args.inputs)
    out_dir = Path(args.out)
    try:
        salt = read_salt(args.salt_file, [out_dir])
    except ReleaseInputError as exc:
        raise UsageError(str(exc)) from exc
    if not (math.isfinite(args.max_distance) and args.max_distance > 0):
        raise UsageError(
            f"--max-distance must be a positive number of metres, not {args.max_distance!r}"
        )
    rules, rules_path = DEFAULT_RULES, None
    if args.rules:
        rules_path = Path(args.rules)
        if not rules_path.is_file():
            raise UsageError(f"The release rules file does not exist: {args.rules}")
        try:
            rules = ReleaseRules.load(rules_path)
        except (ReleaseRulesError, OSError) as exc:
            raise UsageError(str(exc)) from exc
    profile = _release_profile(args.profile)
    _check_writable_target(out_dir, "output folder")
    points_file = Path(args.points)
    points = _read_points(points_file)

    # 2. the work, in memory
    result = _load_crimes(args.inputs, profile)
    try:
        release = anonymise(
            result.crimes,
            points,
            rules,
            salt=salt,
            max_distance_m=args.max_distance,
            rejects=result.rejects,
        )
    except AnonymiseError as exc:
        raise UsageError(str(exc)) from exc
    public, audit = release.public, release.audit
    csv_path = out_dir / public_csv_name(public)
    json_path = out_dir / RELEASE_NAMES["audit_json"]
    html_path = out_dir / RELEASE_NAMES["audit_html"]
    manifest_path = out_dir / RELEASE_NAMES["manifest"]
    crimes_files = input_files(args.inputs)  # what the manifest fingerprints, as the QGIS side

    # 3. staged outputs; the gate reads the staged CSV before anything replaces the old release
    created = not out_dir.exists()
    try:
        with staged_outputs() as stage:
            tmp_csv = stage.path_for(csv_path)
            write_public_csv(public, tmp_csv)
            reports = {csv_path.name: check_release(result.crimes, tmp_csv, points)}
            failures = {label: r for label, r in reports.items() if not r.passed}
            if failures:
                raise _GateFailed(gate_error_message(failures))
            attach_gate_report(audit, combined_gate_entry(reports))
            tmp_json, tmp_html = stage.path_for(json_path), stage.path_for(html_path)
            write_audit(audit, tmp_json, tmp_html)
            manifest = build_manifest(
                crimes_description=extracts_description(crimes_files),
                crimes_files=crimes_files,
                points_entry=map_points_file_entry(points, points_file),
                rules=rules,
                rules_path=rules_path,
                profile_path=args.profile,
                max_distance_m=float(args.max_distance),
                salt_fingerprint=salt_fingerprint(salt),
                audit=audit,
                staged=[(csv_path, tmp_csv), (json_path, tmp_json), (html_path, tmp_html)],
                qgis_version=None,
            )
            write_manifest(manifest, stage.path_for(manifest_path))
    except _GateFailed as exc:
        if created:
            with contextlib.suppress(OSError):
                out_dir.rmdir()  # only if the failed run left it empty
        print(f"crime_mapper: error: {exc}", file=sys.stderr)
        return EXIT_LEAK
    except OSError as exc:
        raise UsageError(f"cannot write outputs in {out_dir}: {exc.strerror or exc}") from exc

    totals = audit.get("totals", {})
    reconciles = bool(audit.get("reconciles", False))
    for label, key in (
        ("Rows in", "rows_in"),
        ("Published at a map point", "published_at_map_point"),
        ("Published without a location", "published_without_location"),
        ("Withheld by rule", "withheld_by_rule"),
        ("Rejected", "rejected"),
    ):
        print(f"{label}: {int(totals.get(key, 0)):,}")
    print(f"Counts reconcile: {'yes' if reconciles else 'NO'}")
    print("Leak gate: passed")
    for warning in audit.get("warnings", []):
        print(f"Warning: {warning}")
    print("Outputs:")
    for path in (csv_path, json_path, html_path, manifest_path):
        print(f"  {path}")
    errors = _file_errors(result)
    _warn(errors)
    if not reconciles:
        _warn(["the audit counts do not reconcile; see audit.html"])
    return EXIT_FILE_ERROR if errors or not reconciles else EXIT_OK


def _cmd_check_release(args: argparse.Namespace) -> int:
    from .core.common.staging import write_text_atomic
    from .core.gate.leak_gate import check_release

    _require_inputs(args.inputs)
    target = Path(args.release)
    if not target.exists():
        raise UsageError(f"The output to check does not exist: {target}")
    if args.report:
        report_path = Path(args.report)
        if report_path.is_dir():
            raise UsageError(f"--report {report_path}: is a folder, not a file")
        _check_writable_target(report_path.parent, "report folder")
    profile = _release_profile(args.profile)
    points = _read_points(args.points)
    result = _load_crimes(args.inputs, profile)
    report = check_release(result.crimes, target, points)
    if args.report:  # the same JSON as crime_mapper:check_release, written whatever the result
        data = {"output": target.name, **report.to_dict()}
        try:
            write_text_atomic(args.report, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise UsageError(f"cannot write {args.report}: {exc.strerror or exc}") from exc
    _warn(_file_errors(result))
    if report.passed:
        print(report.message())
        return EXIT_OK
    print(report.message(), file=sys.stderr)
    return EXIT_LEAK


# --- entry point ------------------------------------------------------------------------------


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

    anonymise = commands.add_parser(
        "anonymise",
        help="write the public release (police.uk CSV, audit, manifest), leak-gated",
        description="Load the extracts, snap every crime to its nearest map point, and write "
        "the police.uk-format public CSV (named like police.uk's files, e.g. "
        "2022-10-leicestershire-street.csv), audit.json, audit.html and "
        "release_manifest.json (inputs with SHA-256, settings, salt "
        "fingerprint, output checksums; the same manifest as the QGIS side "
        "but for its outputs list) into --out. The leak gate checks the staged "
        "CSV first: all files appear together, or none changes. Plain Python: "
        "no QGIS needed (the public GeoPackage and its style are written by "
        "the QGIS side).",
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
        metavar="points.csv",
        help="map points CSV (from 'map-points history' or saved from QGIS)",
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
        type=float,
        default=20_000.0,
        metavar="METRES",
        help="beyond this distance to the nearest map point a crime is "
        "published without a location (default 20000, as police.uk)",
    )
    anonymise.set_defaults(handler=_cmd_anonymise)

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
        metavar="points.csv",
        help="the map points CSV the release was snapped to",
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
    check.set_defaults(handler=_cmd_check_release)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (UsageError, ProfileError) as exc:
        message = " ".join(str(exc).split())  # one line, whatever the cause
        print(f"crime_mapper: error: {message}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
