"""Run the release QA and write its report (``qa_report.json`` and an accessible
``qa_report.html``).

The one implementation behind the command line (``cli qa``), Processing
(``crime_mapper:release_qa``) and the dock's QA tab. Findings never stop a release: the
analyst reads them, and the release's audit and manifest record them (``qa_record``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np
import pandas as pd

from ..common.feedback import Feedback
from ..common.json_file import parse_json_text
from ..common.staging import Staging, staged_outputs
from ..common.text_file import made_folder, read_bytes_file, shown_path
from . import checks as qa_checks
from .duplicates import repeat_runs
from .findings import SEVERITIES, Finding, sort_findings
from .history_file import AlignedHistory, HistoryAreas, align_history_areas, areas_of
from .profile import (
    DEFAULT_FAR_METRES,
    MonthProfile,
    area_codes,
    build_profile,
    history_profiles,
    labels_of,
    left_out_notes,
    month_of,
    month_sources,
    text_values,
)

PathLike = Union[str, Path]
REPORT_JSON = "qa_report.json"
REPORT_HTML = "qa_report.html"
TEMPLATE_NAME = "qa_report.html.j2"
HISTORY_MONTHS = 12


@dataclass
class QaReport:
    month: str
    force: str
    source_format: str
    rows: int
    history_months: list[str]
    findings: list[Finding]
    checks: list[dict[str, Any]]  # name, ran, note, description
    settings: dict[str, Any] = field(default_factory=dict)
    # one line per history month read but not compared with (profile.left_out_notes): a
    # month is either in history_months or named here, never dropped in silence
    history_left_out: list[str] = field(default_factory=list)
    # this month's profile, as the checks saw it (areas and labels from the map points):
    # what next month's QA needs of it; not part of the report
    profile: Optional[MonthProfile] = field(default=None, compare=False, repr=False)
    # the history as the checks compared it, every month's area counts in this month's
    # areas (history_file.align_history_areas): what a saved history keeps; not part of
    # the report
    history: list[MonthProfile] = field(default_factory=list, compare=False, repr=False)
    # the areas this month is counted by (history_file.areas_of): a saved history says so
    areas: Optional[HistoryAreas] = field(default=None, compare=False, repr=False)

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for f in self.findings if f.severity == s) for s in SEVERITIES}

    @property
    def verdict(self) -> str:
        counts = self.counts()
        if counts["high"]:
            return (
                f"{counts['high']} high-severity finding{'s' if counts['high'] > 1 else ''}: "
                "look before publishing"
            )
        if counts["medium"]:
            return f"no high-severity findings; {counts['medium']} to check"
        return "no high-severity findings"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "crime_mapper release QA",
            "month": self.month,
            "force": self.force,
            "source_format": self.source_format,
            "rows": self.rows,
            "history_months": list(self.history_months),
            "history_left_out": list(self.history_left_out),
            "verdict": self.verdict,
            "counts": self.counts(),
            "settings": dict(self.settings),
            "checks": list(self.checks),
            "findings": [f.to_dict() for f in self.findings],
        }


def report_json(report: QaReport) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def qa_record(report: QaReport) -> dict[str, Any]:
    """What a release's audit and manifest keep of the QA: the verdict, the counts, each
    finding's id, severity and title, and the SHA-256 of the full report JSON."""
    text = report_json(report)
    return _record(report.to_dict(), hashlib.sha256(text.encode("utf-8")).hexdigest())


def _record(data: dict[str, Any], sha256: str) -> dict[str, Any]:
    return {
        "month": data["month"],
        "verdict": data["verdict"],
        "counts": dict(data["counts"]),
        "history_months": list(data["history_months"]),
        "findings": [
            {"id": f["id"], "severity": f["severity"], "title": f["title"]}
            for f in data["findings"]
        ],
        "report_sha256": sha256,
    }


def qa_record_from_file(path: PathLike, months: Optional[list[str]] = None) -> dict[str, Any]:
    """The record of a written ``qa_report.json`` (the release pipeline's ``qa_report``).
    ValueError when it is not a QA report, or is for another month than the release's."""
    raw = read_bytes_file(path)  # (a FIFO or a device refused: it blocked or never ended)
    try:
        data = parse_json_text(raw.decode("utf-8"), ValueError, str(path))
        if data.get("kind") != "crime_mapper release QA":
            raise ValueError("not a crime_mapper release QA report")
        record = _record(data, hashlib.sha256(raw).hexdigest())
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{shown_path(path)}: cannot use this QA report ({exc})") from exc
    if months and record["month"] not in months:
        raise ValueError(
            f"{shown_path(path)}: the QA report is for {record['month']}, the release for "
            f"{', '.join(months)}: run the QA on this month's extract"
        )
    return record


def _snap(crimes: pd.DataFrame, map_points: Any, max_distance_m: float):
    from ..release.snapping import MapPointIndex

    index = MapPointIndex(map_points)
    located = crimes["has_location"].to_numpy(dtype=bool)
    lon = np.where(located, crimes["longitude"].to_numpy(dtype=np.float64), np.nan)
    lat = np.where(located, crimes["latitude"].to_numpy(dtype=np.float64), np.nan)
    result = index.query(lon, lat, max_distance_m)
    distance = result.distance_m.copy()
    distance[located & (result.index < 0)] = np.inf  # beyond the maximum: farther than far
    return result.index, distance


def run_release_qa(
    crimes: pd.DataFrame,
    history: Union[pd.DataFrame, list[MonthProfile]],
    rejects: Optional[pd.DataFrame] = None,
    map_points: Any = None,
    area_lookup: Optional[dict[str, str]] = None,
    month: Optional[str] = None,
    far_metres: float = DEFAULT_FAR_METRES,
    max_distance_m: float = 20000.0,
    feedback: Optional[Feedback] = None,
    history_left_out: Sequence[str] = (),
    history_areas: Optional[Mapping[str, Optional[HistoryAreas]]] = None,
    area_lookup_name: str = "",
) -> QaReport:
    """QA ``crimes`` (this month's canonical crimes table, as loaded) against ``history``
    (earlier months' crimes, any number: the last 12 before this month are used; or their
    month profiles). ``rejects`` is the load's rejects table; ``map_points`` (a MapPoints)
    gives a force extract's rows their map point's label and area and measures how far they
    would move; ``area_lookup`` maps LSOA codes to neighbourhoods (a history counted by LSOA,
    as one saved without a lookup is, is summed into them: profile.history_in_lookup_areas,
    so the area checks never compare LSOAs with neighbourhoods). ``history_left_out``:
    the notes of months the caller read and left out (run.load_history); months left out
    here are added to them. ``history_areas``: per month of a list ``history``, the areas
    its file says it counts (history_file.read_history_json; None or absent: a version-1
    file, whose areas are guessed from its codes); a history given as crimes is counted here
    by this month's areas. ``area_lookup_name``: the lookup's file name, for the report."""
    feedback = feedback or Feedback()
    crimes = crimes.reset_index(drop=True)
    month = month or month_of(crimes)
    this_areas = areas_of(area_lookup, area_lookup_name)
    saved: dict[str, Optional[HistoryAreas]]
    if isinstance(history, pd.DataFrame):
        profiles = history_profiles(history, before=month, area_lookup=area_lookup)
        read = month_sources(history)
        saved = {p.month: this_areas for p in profiles}  # (counted here, by this month's)
    else:
        profiles = sorted((p for p in history if p.month < month), key=lambda p: p.month)
        profiles = profiles[-HISTORY_MONTHS:]
        read = {p.month: [] for p in history}
        saved = dict(history_areas or {})
    used = [p.month for p in profiles]
    left_out = list(history_left_out) + left_out_notes(read, used, month, HISTORY_MONTHS)
    feedback.check()
    feedback.set_progress(30)

    labels = labels_of(crimes)
    areas = area_codes(crimes, area_lookup)
    distance = None
    police = text_values(crimes["source_format"]) == "police.uk"
    labels_measured = bool(police.any())
    if map_points is not None and len(crimes):
        index, distance = _snap(crimes, map_points, max_distance_m)
        hit = index >= 0
        force_rows = ~police & hit
        labels[force_rows] = np.asarray(map_points.label, dtype=object)[index[force_rows]]
        no_area = force_rows & (areas == "")
        point_area = np.asarray(map_points.lsoa_code, dtype=object)[index[no_area]]
        if area_lookup:
            point_area = np.array([area_lookup.get(str(c), "") for c in point_area], dtype=object)
        areas[no_area] = point_area
        labels_measured = True
    feedback.check()
    runs = repeat_runs(crimes)
    current = build_profile(
        crimes, month, rejects, labels=labels, snap_distance=distance, far_metres=far_metres,
        areas=areas, runs=runs,
    )  # fmt: skip
    aligned = align_history_areas(profiles, saved, area_lookup, current, area_lookup_name)
    profiles = aligned.profiles
    unmatched = aligned.left_out  # months whose areas are not this month's (left out)
    area_months = sum(1 for p in profiles if p.by_area)
    feedback.set_progress(60)
    ctx = qa_checks.QaContext(
        month=month, crimes=crimes, current=current, history=profiles, rejects=rejects,
        areas=areas, labels=labels, labels_measured=labels_measured, snap_distance=distance,
        far_metres=far_metres, area_name="neighbourhood" if area_lookup else "LSOA",
        runs=runs,
    )  # fmt: skip
    findings: list[Finding] = []
    ran: list[dict[str, Any]] = []
    enough = len(profiles) >= qa_checks.MIN_HISTORY_MONTHS
    for name, (check, needs_history, description) in qa_checks.CHECKS.items():
        feedback.check()
        entry = {"name": name, "description": description, "ran": True, "note": ""}
        if needs_history and not enough:
            entry.update(ran=False, note=f"needs {qa_checks.MIN_HISTORY_MONTHS} months of history")
        elif name == "area_count" and not ctx.areas_known:
            entry.update(
                ran=False,
                note="most located rows have no LSOA code: give map points (their LSOA is used)",
            )
        elif name == "area_count" and unmatched and area_months < qa_checks.MIN_HISTORY_MONTHS:
            entry.update(ran=False, note="the history is counted by other areas (see its finding)")
        else:
            findings.extend(check(ctx))
        ran.append(entry)
    if len(profiles) < HISTORY_MONTHS:
        findings.append(
            Finding(
                "history",
                "months",
                "medium" if enough else "high",
                f"Only {len(profiles)} months of history before {month}",
                f"The checks compare {month} with the force's previous {HISTORY_MONTHS} months; "
                f"{len(profiles)} were given"
                + ("" if enough else ", too few to judge counts: those checks did not run")
                + ". Give the earlier extracts or police.uk months."
                + (
                    f" Months read but left out: {len(left_out)}, each named in the report."
                    if left_out
                    else ""
                ),
                {"months": len(profiles), "left_out": len(left_out)},
            )
        )
    if unmatched:
        findings.append(_other_areas_finding(aligned, month, this_areas))
    feedback.set_progress(100)
    force = ""
    if len(crimes):
        force = str(pd.Series(text_values(crimes["reported_by"])).value_counts().idxmax())
    return QaReport(
        month=month,
        force=force,
        source_format=current.source_format,
        rows=len(crimes),
        history_months=used,
        findings=sort_findings(findings),
        checks=ran,
        settings={
            "far_metres": far_metres,
            "max_distance_m": max_distance_m,
            "areas": "neighbourhood" if area_lookup else "LSOA",
            "map_points": map_points is not None,
        },
        profile=current,
        history_left_out=left_out,
        history=profiles,
        areas=this_areas,
    )


def _other_areas_finding(aligned: AlignedHistory, month: str, this: HistoryAreas) -> Finding:
    """The finding naming the history months whose areas are not this month's: as their
    file says (a version-2 file), or as guessed from their codes (version 1)."""
    parts: list[str] = []
    fixes: list[str] = []
    by_lookup = this.kind != "LSOA"
    if aligned.other:
        said: dict[str, list[str]] = {}
        names: list[str] = []
        for m, areas in sorted(aligned.other.items()):
            said.setdefault(areas.describe(), []).append(m)
            if areas.lookup_name and areas.lookup_name not in names:
                names.append(areas.lookup_name)
        for what, months in said.items():
            verb = "are" if len(months) > 1 else "is"
            parts.append(
                f"{month} is counted by {this.describe()}, but the history file says "
                f"{', '.join(months)} {verb} counted by {what}."
            )
        lookup = f" ({', '.join(names)})" if names else ""
        if by_lookup:
            fixes.append(
                f"Give the lookup the history was saved with{lookup}, or the history's extracts."
            )
        else:
            fixes.append(
                f"Give the area lookup the history was saved with (--areas){lookup}, or the "
                "history's extracts."
            )
    if aligned.guessed:
        guessed = ", ".join(aligned.guessed)
        if by_lookup:
            parts.append(
                f"The area lookup puts {month} in neighbourhoods, but the history's {guessed} "
                "are counted by areas that are neither its LSOA codes nor its neighbourhoods "
                "(a history saved with another lookup?)."
            )
            fixes.append("Give the lookup the history was saved with, or the history's extracts.")
        else:
            parts.append(
                f"{month} is counted by LSOA, but the history's {guessed} are counted by areas "
                "none of which this month has (a history saved with an area lookup?)."
            )
            fixes.append(
                "Give the area lookup the history was saved with (--areas), or the history's "
                "extracts; if the history is by LSOA, this month's LSOA codes are all new: "
                "check them."
            )
    months = aligned.left_out
    return Finding(
        "history",
        "areas",
        "medium",
        f"{len(months)} history month{'s are' if len(months) > 1 else ' is'} "
        f"counted by other areas than {month}",
        f"{' '.join(parts)} Their areas cannot be compared with this month's and were left "
        f"out of the area checks. {' '.join(dict.fromkeys(fixes))}",
        {"months": len(months)},
    )


def _environment():
    import jinja2

    from ... import RESOURCES_DIR

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(RESOURCES_DIR / "templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_report_html(report: QaReport) -> str:
    """The report as an accessible HTML page; every value is escaped."""
    return _environment().get_template(TEMPLATE_NAME).render(report=report.to_dict())


def write_report(report: QaReport, folder: PathLike) -> tuple[Path, Path]:
    """Write qa_report.json and qa_report.html into ``folder`` together (both or neither)."""
    with staged_outputs() as stage:
        return stage_report(report, folder, stage)


def stage_report(report: QaReport, folder: PathLike, stage: Staging) -> tuple[Path, Path]:
    """Write qa_report.json and qa_report.html into ``stage`` for ``folder``: they replace
    the old ones when the caller commits it, with whatever else it staged (both or
    neither), so the caller can still honour a Cancel up to that moment."""
    folder = Path(folder)
    made_folder(folder)
    json_path, html_path = folder / REPORT_JSON, folder / REPORT_HTML
    text, html = report_json(report), render_report_html(report)
    stage.path_for(json_path).write_text(text, encoding="utf-8")
    stage.path_for(html_path).write_text(html, encoding="utf-8")
    return json_path, html_path
