"""A load without QGIS: read the extracts, write rejects.csv and the validation report.

The command line's ``load`` (without ``--gpkg``) runs this; the QGIS load
(qgis_bridge.run_load: the same loader, plus the styled crimes GeoPackage) writes the same
three files with the same bytes, so a scripted load and a desktop load can be compared line
by line. All three files are staged: they appear together or none changes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

from ..common.feedback import Feedback
from ..common.input_files import holding_message, input_holding_output, output_clash
from ..common.staging import staged_outputs
from ..common.text_file import UnresolvablePath, made_folder, not_found, os_error_text, shown_path
from . import validation_report as report
from .mapping_profile import MappingProfile
from .validation_report import OUTPUT_NAMES

PathLike = Union[str, "os.PathLike[str]"]


class LoadRunError(ValueError):
    """Nothing can be loaded or written (a missing input, an unusable output folder)."""


@dataclass
class CoreLoadOutputs:
    """What a core load wrote, and its verdict."""

    report_text: str
    written: list[Path]
    reconciles: bool
    file_errors: list[str] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)  # validation_report.swallowed_records


#: the files a load without QGIS writes into its output folder (validation_report.OUTPUT_NAMES)
OUTPUT_KEYS = ("rejects", "report_json", "report_text")


def prepare_out_dir(out: PathLike) -> Path:
    """The output folder, created if needed and checked writable."""
    out_dir = Path(out)
    try:
        made_folder(out_dir)
    except UnresolvablePath as exc:  # (a loop of symbolic links: anonymise's words)
        raise LoadRunError(f"The output folder {exc}") from exc
    except OSError as exc:
        raise LoadRunError(f"output folder {shown_path(out_dir)}: {exc.strerror or exc}") from exc
    if not os.access(out_dir, os.W_OK):
        raise LoadRunError(f"output folder {shown_path(out_dir)}: not writable")
    return out_dir


def check_inputs_exist(inputs: Sequence[PathLike]) -> None:
    """Every input path must exist (found before any folder is made or any file read)."""
    missing = [p for p in inputs if not Path(p).exists()]
    if missing:
        raise LoadRunError(not_found("Extract", missing[0]))


def refuse_when_nothing_was_read(result: Any) -> None:
    """InputError when no input file could be read as crimes (each its own file error).

    Why: a load of one file that is not an extract (a PNG named .csv) reported the file's
    error, exited 0 and replaced the previous load's outputs with a load of no crime."""
    from .sources import InputError

    files = list(getattr(result, "files", []))
    if files and all(f.error for f in files):
        first = files[0]
        more = f" (and {len(files) - 1} more)" if len(files) > 1 else ""
        raise InputError(
            f"no input could be read as crimes, so nothing was replaced: {shown_path(first.path)}: "
            f"{first.error}{more}"
        )


def run_core_load(
    inputs: Sequence[PathLike],
    out: PathLike,
    profile: Optional[MappingProfile] = None,
    feedback: Optional[Feedback] = None,
) -> CoreLoadOutputs:
    """Load with the pure core; write rejects.csv, validation_report.json and .txt into
    ``out`` (staged, all or nothing)."""
    from .loader import load_extracts
    from .sources import InputError

    check_inputs_exist(inputs)
    holding = input_holding_output(inputs, [out])
    if holding is not None:
        raise LoadRunError(holding_message(holding))
    clash = output_clash(
        inputs,
        [(key.replace("_", " "), Path(out) / OUTPUT_NAMES[key]) for key in OUTPUT_KEYS],
    )
    if clash is not None:
        raise LoadRunError(clash)
    out_dir = prepare_out_dir(out)
    try:
        result = load_extracts([str(p) for p in inputs], profile=profile, feedback=feedback)
        refuse_when_nothing_was_read(result)
    except InputError as exc:
        raise LoadRunError(str(exc)) from exc
    text = report.report_text(result)
    paths = [out_dir / OUTPUT_NAMES[key] for key in OUTPUT_KEYS]
    try:
        with staged_outputs() as stage:
            report.write_rejects_csv(result, stage.path_for(paths[0]))
            report.write_report_json(result, stage.path_for(paths[1]))
            stage.path_for(paths[2]).write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise LoadRunError(
            f"cannot write outputs in {shown_path(out_dir)}: {os_error_text(exc)}"
        ) from exc
    summary = report.report_dict(result)
    return CoreLoadOutputs(
        report_text=text,
        written=paths,
        reconciles=bool(summary["reconciles"]),
        file_errors=[str(e) for e in summary["file_errors"]] if summary["file_errors"] else [],
        damaged=list(summary["swallowed_records"]),
    )
