"""The release QA from files: what the command line, Processing and the dock all call.

Loads this month's extract (files, folders, zips or a crimes GeoPackage), the history (earlier
extracts or police.uk months, and/or saved month profiles ``*.json``), optional map points
and an LSOA-to-neighbourhood lookup, runs the QA and writes ``qa_report.json`` and
``qa_report.html``; optionally saves the month profiles (history plus this month) for next
month's run, so the history need not be loaded again.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np
import pandas as pd

from ..common.feedback import Feedback, ScaledFeedback
from ..common.input_files import output_clash
from ..common.staging import staged_outputs
from ..common.text_file import not_found, read_text_file, shown_line, shown_path
from .history_file import HistoryAreas, areas_of, history_json, read_history_json
from .profile import (
    MonthProfile,
    history_profiles,
    left_out_notes,
    month_sources,
    text_values,
)
from .report import (
    HISTORY_MONTHS,
    REPORT_HTML,
    REPORT_JSON,
    QaReport,
    run_release_qa,
    stage_report,
)

PathLike = Union[str, Path]


class QaInputError(ValueError):
    """The QA cannot run: a missing or unreadable input (one line for the user)."""


@dataclass
class QaRun:
    report: QaReport
    report_json: Optional[Path]
    report_html: Optional[Path]
    history_json: Optional[Path] = None
    file_errors: list[str] = field(default_factory=list)


#: An ONS area code (E01..., W02..., S..., N...): what a header cell is not.
_ONS_CODE = re.compile(r"[EWSNK]\d{8}")


def read_area_lookup(path: PathLike) -> dict[str, str]:
    """An LSOA-to-area lookup: a CSV whose first column is the LSOA code and second the area
    (neighbourhood) it belongs to, with a header row.

    Why so strict: the lookup decides which area every crime is counted in, and a wrong one
    gave no sign: an LSOA given two areas took the last (its crimes moved between areas), a
    blank area or a quote never closed left LSOAs (or the rest of the file) without an area
    and the area checks then did not run, a header ``area,lsoa`` was read as the other way
    round, and a file without a header lost its first LSOA to the header. Each is refused
    naming the file and the line (a row repeated exactly is harmless and read)."""
    rows: list[tuple[int, list[str]]] = []
    done = 0  # the last line of the last row read (a failing row starts on the next)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, strict=True)
            for row in reader:
                rows.append((done + 1, row))
                done = reader.line_num
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        where = f", the record from line {done + 1:,} on" if isinstance(exc, csv.Error) else ""
        hint = ": a quote opened in a cell must be closed" if "end of data" in str(exc) else ""
        raise QaInputError(
            f"{shown_path(path)}: cannot read the area lookup{where} ({exc}){hint}"
        ) from exc
    rows = [(line, row) for line, row in rows if row]
    if len(rows) < 2 or any(len(r) < 2 for _, r in rows[1:]):
        raise QaInputError(
            f"{shown_path(path)}: an area lookup is a CSV with a header and two columns: LSOA "
            "code, area"
        )
    header = ([cell.strip() for cell in rows[0][1]] + ["", ""])[:2]  # (a header may be short)
    if all(_ONS_CODE.fullmatch(cell) for cell in header):
        raise QaInputError(
            f"{shown_path(path)}: line {rows[0][0]:,} is a row of codes, not a header: an area "
            "lookup starts with a header (for example: lsoa,area)"
        )
    if "lsoa" in header[1].lower() and "lsoa" not in header[0].lower():
        raise QaInputError(
            f"{shown_path(path)}: the second column is headed {header[1]!r}: an area lookup's "
            "first column is the LSOA code and its second the area"
        )
    lookup: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for line, row in rows[1:]:
        lsoa, area = row[0].strip(), row[1].strip()
        if not lsoa:
            continue
        code = shown_line(lsoa)  # (a cell, shown: it may hold a newline or an ESC)
        if not area:
            raise QaInputError(
                f"{shown_path(path)}: line {line:,}: LSOA {code} has no area (leave out an LSOA "
                "that is in no area)"
            )
        if lsoa in lookup and lookup[lsoa] != area:
            raise QaInputError(
                f"{shown_path(path)}: line {line:,}: LSOA {code} is given the area {area!r} here "
                f"and {lookup[lsoa]!r} on line {first_line[lsoa]:,}: give each LSOA one area"
            )
        lookup.setdefault(lsoa, area)
        first_line.setdefault(lsoa, line)
    return lookup


def _far(far_metres: Optional[float], default: float) -> float:
    """The "far from a map point" distance: positive and finite metres (None or 0: the
    default). NaN reached the report, whose JSON could then not be written (a traceback)."""
    if not far_metres:
        return default
    try:
        far = float(far_metres)
    except (TypeError, ValueError):
        far = math.nan
    if not (math.isfinite(far) and far > 0):
        raise QaInputError(
            f"the far distance must be a positive number of metres, not {far_metres}"
        )
    return far


def _profile(path: Optional[PathLike]) -> Any:
    from ..release.crimes_input import load_profile

    return load_profile(path) if path else None


def load_history(
    paths: Sequence[PathLike],
    month: str,
    profile_path: Optional[PathLike] = None,
    area_lookup: Optional[dict[str, str]] = None,
    feedback: Optional[Feedback] = None,
) -> tuple[list[MonthProfile], list[str], list[str], dict[str, Optional[HistoryAreas]]]:
    """Month profiles of the months before ``month`` from extracts and saved profiles (a
    month given both ways takes the extract's). Returns (profiles, one note per month read
    but left out, naming its files (profile.left_out_notes), file errors, per month the
    areas it counts: as its file says (history_file), None for a version-1 file, which does
    not say, and ``area_lookup``'s for a month counted here from extracts)."""
    from ..load.loader import load_extracts

    saved: dict[str, MonthProfile] = {}
    areas: dict[str, Optional[HistoryAreas]] = {}
    read: dict[str, list[str]] = {}  # every month read: the files it came from
    files: list[str] = []
    for path in paths:
        if not Path(path).exists():
            raise QaInputError(not_found("QA history file", path))
        if str(path).lower().endswith(".json"):
            try:
                history = read_history_json(read_text_file(path, encoding="utf-8-sig"))
            except (ValueError, TypeError, OSError) as exc:
                raise QaInputError(f"{shown_path(path)}: not a QA history file ({exc})") from exc
            profiles = history.profiles
            months = [p.month for p in profiles]
            twice = sorted({m for m in months if months.count(m) > 1})
            if twice:  # (one of them was dropped in silence: which is this force's month?)
                raise QaInputError(
                    f"{shown_path(path)}: not a QA history file (month {', '.join(twice)} is "
                    "given twice)"
                )
            saved.update((p.month, p) for p in profiles)
            areas.update((m, history.areas) for m in months)
            for m in months:
                read.setdefault(m, []).append(str(path))
        else:
            files.append(str(path))
    errors: list[str] = []
    if files:
        result = load_extracts(files, profile=_profile(profile_path), feedback=feedback)
        errors = [f.error for f in result.files if f.error]
        for m, names in month_sources(result.crimes).items():
            read.setdefault(m, []).extend(names)
        for p in history_profiles(result.crimes, before=month, area_lookup=area_lookup):
            saved[p.month] = p
            areas[p.month] = areas_of(area_lookup)
    months = sorted(m for m in saved if m < month)[-HISTORY_MONTHS:]
    notes = left_out_notes(read, months, month, HISTORY_MONTHS)
    return [saved[m] for m in months], notes, errors, {m: areas[m] for m in months}


def _check_outputs(
    current: Sequence[Any],
    history: Sequence[PathLike],
    others: Sequence[Any],
    out_dir: Optional[PathLike],
    save_history: Optional[PathLike],
) -> None:
    """Refuse, before anything is read, outputs that would destroy an input or each other.

    Why: the saved history written over this month's extract, a history CSV or the report
    replaced it and the run reported success; on a folder (or a report folder that is a
    file) the run failed only after the work, as a bare "[Errno 21]" or "[Errno 17]". A
    saved history over a history .json it read is allowed: that is the rolling file the
    README describes (``--history H.json`` next month), rewritten with this month added."""
    if out_dir is not None and Path(out_dir).exists() and not Path(out_dir).is_dir():
        raise QaInputError(f"QA report folder {shown_path(out_dir)}: is a file, not a folder")
    rolling = [p for p in history if str(p).lower().endswith(".json")]
    inputs = [*current, *(p for p in history if p not in rolling)]
    inputs += [p for p in others if isinstance(p, (str, Path))]
    reports = (Path(out_dir) / REPORT_JSON, Path(out_dir) / REPORT_HTML) if out_dir else (None,) * 2
    clash = output_clash(
        inputs,
        [("QA report", reports[0]), ("QA report page", reports[1]), ("QA history", save_history)],
    )
    if clash is not None:
        raise QaInputError(clash)


def run_qa_files(
    current: Union[PathLike, Sequence[PathLike]],
    history: Sequence[PathLike],
    *,
    profile_path: Optional[PathLike] = None,
    history_profile_path: Optional[PathLike] = None,
    points: Any = None,
    areas_path: Optional[PathLike] = None,
    out_dir: Optional[PathLike] = None,
    save_history: Optional[PathLike] = None,
    far_metres: Optional[float] = None,
    feedback: Optional[Feedback] = None,
    release_month: Optional[str] = None,
) -> QaRun:
    """Run the release QA on files; see the module docstring. ``points``: a map points
    file, MapPoints or MapPointsSpec, as the release pipeline takes. ``release_month``:
    extracts (not a crimes GeoPackage, which holds its load's rows) are loaded for that
    month, as the monthly release's load step loads them (core.load.loader.load_extracts):
    read without it, rows of another month were counted and checked as this month's, and
    the QA's rejects differed from the load's."""
    from ..release.crimes_input import CrimesSourceError, open_crimes_source
    from ..release.pipeline import resolve_points
    from .profile import DEFAULT_FAR_METRES, month_of

    feedback = feedback or Feedback()
    _check_outputs(
        [current] if isinstance(current, (str, Path)) else list(current),
        history,
        [profile_path, history_profile_path, areas_path, points],
        out_dir,
        save_history,
    )
    lookup = read_area_lookup(areas_path) if areas_path else None
    try:
        source = open_crimes_source(
            current, _profile(profile_path), ScaledFeedback(feedback, 0, 30), release_month
        )
    except CrimesSourceError as exc:
        raise QaInputError(str(exc)) from exc
    # map points: a file, MapPoints or a MapPointsSpec (a QGIS layer), as the release takes
    point_set = resolve_points(points, source.crimes, feedback)[0] if points else None
    month = month_of(source.crimes)
    profiles, left_out, errors, history_areas = load_history(
        history, month, history_profile_path, lookup, ScaledFeedback(feedback, 30, 70)
    )
    report = run_release_qa(
        source.crimes,
        profiles,
        history_left_out=left_out,
        rejects=source.rejects,
        map_points=point_set,
        area_lookup=lookup,
        month=month,
        far_metres=_far(far_metres, DEFAULT_FAR_METRES),
        feedback=ScaledFeedback(feedback, 70, 95),
        history_areas=history_areas,
        area_lookup_name=Path(areas_path).name if areas_path else "",
    )
    json_path = html_path = history_path = None
    feedback.check()
    # Why one stage and a check inside it: a Cancel pressed after the QA's last check (its
    # 95%) was not read again, so the run wrote its reports and history and ended as done.
    # Now the outputs replace the old ones together, and only if no Cancel came before.
    with staged_outputs() as stage:
        if out_dir is not None:
            json_path, html_path = stage_report(report, out_dir, stage)
        if save_history is not None:
            # the months as compared, each counted by this month's areas (a month whose
            # areas could not be put in them keeps no area counts), and the file says which
            # areas those are: next month's QA need not guess (core.qa.history_file)
            this = [report.profile] if report.profile is not None else []
            keep = (report.history + this)[-HISTORY_MONTHS:]
            text = history_json(keep, report.areas or areas_of(lookup))
            history_path = Path(save_history)
            stage.path_for(history_path).write_text(text, encoding="utf-8")
        feedback.check()  # (the last moment: the commit follows)
    feedback.set_progress(100)
    return QaRun(report, json_path, html_path, history_path, list(source.file_errors) + errors)


def crimes_for_when(
    current: Union[PathLike, Sequence[PathLike]],
    profile_path: Optional[PathLike] = None,
    history: Sequence[PathLike] = (),
    history_profile_path: Optional[PathLike] = None,
) -> pd.DataFrame:
    """The crimes table for the "when" views: this month (extracts or a crimes GeoPackage)
    and, for the month trend, earlier months' extracts (QA history .json files are skipped:
    they hold counts, not rows; a month in both is taken from ``current``)."""
    from ..load.loader import load_extracts
    from ..release.crimes_input import CrimesSourceError, open_crimes_source

    try:
        crimes = open_crimes_source(current, _profile(profile_path)).crimes
    except CrimesSourceError as exc:
        raise QaInputError(str(exc)) from exc
    files = [str(p) for p in history if not str(p).lower().endswith(".json")]
    for path in files:
        if not Path(path).exists():
            raise QaInputError(not_found("QA history file", path))
    if not files:
        return crimes
    earlier = load_extracts(files, profile=_profile(history_profile_path)).crimes
    months = set(text_values(crimes["month"]))
    earlier = earlier.loc[~np.isin(text_values(earlier["month"]), list(months))]
    columns = [c for c in crimes.columns if c in earlier.columns]

    def plain(frame: pd.DataFrame) -> pd.DataFrame:  # categories differ between the two
        return pd.DataFrame(
            {c: text_values(frame[c]) if isinstance(frame[c].dtype, pd.CategoricalDtype)
             else frame[c].to_numpy() for c in columns}
        )  # fmt: skip

    return pd.concat([plain(crimes), plain(earlier)], ignore_index=True)
