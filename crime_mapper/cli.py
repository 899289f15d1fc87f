"""Command line: load extracts and write the validation outputs; detect a mapping profile.

Why a command line: the monthly load is also run unattended (scheduled jobs, a records
team's scripts) and on machines without a QGIS desktop. ``load`` runs the same pure-core
loader as the dock and the Processing algorithm and writes the same rejects CSV and
validation report, so a scripted load and a desktop load can be compared line by line.
Only ``--gpkg`` needs QGIS; everything else runs in plain Python.

    python -m crime_mapper.cli load INPUT... --out DIR [--profile P.json] [--gpkg]
    python -m crime_mapper.cli profile detect EXTRACT.csv [--save P.json] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Optional, TextIO, Union

from .core.extract_head import read_extract_head
from .core.profile import ROLES, MappingProfile, ProfileError, detect_columns, detect_profile
from .core.report import OUTPUT_NAMES
from .core.staging import staged_outputs

PathLike = Union[str, Path]

EXIT_OK = 0
EXIT_FILE_ERROR = 1
EXIT_USAGE = 2

EXIT_CODES_HELP = """\
exit codes:
  0  the load ran; rows may have been rejected (see rejects.csv and the report)
  1  the load ran but at least one file could not be used at all (e.g. not a crime
     extract) or the report does not reconcile; the other files were still loaded
  2  nothing was loaded: a missing input, an unreadable archive, an invalid mapping
     profile, an output folder that cannot be written, or bad arguments
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


def run_core_load(inputs: Sequence[PathLike], out: PathLike,
                  profile: Optional[MappingProfile] = None,
                  stdout: TextIO = sys.stdout) -> int:
    """Load with the pure core, write rejects and reports into ``out``, print the report."""
    from .core import report
    from .core.loader import load_extracts
    from .core.sources import InputError

    out_dir = _prepare_out_dir(out)
    try:
        result = load_extracts([str(p) for p in inputs], profile=profile)
    except InputError as exc:
        raise UsageError(str(exc)) from exc
    text = report.report_text(result)
    try:
        with staged_outputs() as stage:
            report.write_rejects_csv(result, stage.path_for(out_dir / OUTPUT_NAMES["rejects"]))
            report.write_report_json(result,
                                     stage.path_for(out_dir / OUTPUT_NAMES["report_json"]))
            stage.path_for(out_dir / OUTPUT_NAMES["report_text"]).write_text(
                text + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write outputs in {out_dir}: {exc.strerror or exc}") from exc
    summary = report.report_dict(result)
    print(text, file=stdout)
    print("Outputs:", file=stdout)
    for key in ("rejects", "report_json", "report_text"):
        print(f"  {out_dir / OUTPUT_NAMES[key]}", file=stdout)
    return EXIT_FILE_ERROR if summary["file_errors"] or not summary["reconciles"] else EXIT_OK


def run_gpkg_load(inputs: Sequence[PathLike], out: PathLike,
                  profile: Optional[MappingProfile] = None,
                  stdout: TextIO = sys.stdout) -> int:
    """The same load through qgis_bridge.run_load: also the styled crimes GeoPackage."""
    try:
        from qgis.core import QgsApplication
    except ImportError as exc:
        raise UsageError(f"--gpkg needs the QGIS Python bindings ({exc}); run with the "
                         "Python QGIS uses, e.g. /usr/bin/python3") from exc
    from .core.sources import InputError

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
            raise UsageError(f"cannot write outputs in {out_dir}: {exc.strerror or exc}") \
                from exc
        print(outputs.report_text, file=stdout)
        print("Outputs:", file=stdout)
        for path in (outputs.gpkg, outputs.qml, outputs.rejects_csv, outputs.report_json,
                     outputs.report_text_path):
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
        name=f"Detected from {head.path.name}", columns=columns,
        delimiter=head.delimiter,
    )
    if args.json:
        print(json.dumps(asdict(profile), indent=2, sort_keys=True))
    else:
        print(f"{head.path.name}: {len(head.header)} columns, {head.encoding}, delimiter "
              f"{head.delimiter!r}")
        width = max(len(r) for r in ROLES)
        for role, meaning in ROLES.items():
            column = columns.get(role)
            shown = repr(column) if column else "-"
            print(f"  {role:<{width}}  {shown:<24} {meaning}")
        unused = [h for h in head.header if h not in columns.values()]
        if unused:
            print("Columns with no role (a load carries them through as extra fields): "
                  + ", ".join(unused))
    if not complete:
        print(f"{head.path.name}: cannot detect a complete profile: it needs crime_ref, date, "
              "x, y and offence or category; map the rest in the profile dialog",
              file=sys.stderr)
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


# --- entry point ------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m crime_mapper.cli",
        description="crime_mapper without the QGIS desktop: load and validate extracts, "
                    "detect column-mapping profiles.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXIT_CODES_HELP)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    load = commands.add_parser(
        "load", help="load extracts; write rejects.csv and the validation report",
        description="Load police.uk CSV files, folders, monthly .zip archives and force "
                    "extracts; write rejects.csv, validation_report.json and "
                    "validation_report.txt into --out (all or nothing) and print the report.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXIT_CODES_HELP)
    load.add_argument("inputs", nargs="+", metavar="INPUT",
                      help="CSV file, folder or police.uk monthly .zip")
    load.add_argument("--out", required=True, metavar="DIR", help="output folder")
    load.add_argument("--profile", metavar="P.json",
                      help="column-mapping profile for force extracts (see "
                           "crime_mapper/resources/profiles/example_force_rms.json)")
    load.add_argument("--gpkg", action="store_true",
                      help="also write the styled crimes GeoPackage (crimes.gpkg + .qml); "
                           "needs the QGIS Python bindings")
    load.set_defaults(handler=_cmd_load)

    profile = commands.add_parser("profile", help="column-mapping profiles")
    profile_commands = profile.add_subparsers(dest="profile_command", metavar="ACTION")
    profile_commands.required = True
    detect = profile_commands.add_parser(
        "detect", help="print the column mapping detected from an extract's header",
        description="Read an extract's header and print which column plays which role, as "
                    "the loader would detect it.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="exit codes:\n  0  a complete profile was detected (and saved with --save)\n"
               "  1  the header lacks a required role (nothing saved)\n"
               "  2  the file cannot be read, or bad arguments\n")
    detect.add_argument("extract", metavar="EXTRACT.csv")
    detect.add_argument("--save", metavar="P.json", help="save the detected profile")
    detect.add_argument("--json", action="store_true", help="print the profile as JSON")
    detect.add_argument("--encoding", default="auto", help="auto (default), utf-8 or cp1252")
    detect.set_defaults(handler=_cmd_profile_detect)
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
