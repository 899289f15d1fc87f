"""The validation report: machine-readable JSON, a readable summary, and the rejects CSV.

The report is what an analyst checks before publishing, so it states the reconciliation
(rows read = accepted + rejected) for every file and overall, and names every reason.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Optional, Union

import pandas as pd

from ..common.csv_safety import safe_cell
from ..common.schema import REASONS, REJECT_COLUMNS, LoadResult
from ..common.staging import staged_outputs
from ..common.text_file import shown_line

REPORT_VERSION = 1

# File names of a load's outputs inside an output folder: the dock, the Processing defaults,
# the command line and the demo all use these.
OUTPUT_NAMES = {
    "gpkg": "crimes.gpkg",
    "rejects": "rejects.csv",
    "report_json": "validation_report.json",
    "report_text": "validation_report.txt",
}


def _multi_line(rejects: Optional[pd.DataFrame]) -> pd.DataFrame:
    """The rejected records that hold more than one physical line (their raw text holds a
    line feed: lines are numbered by line feeds, as grep -n and wc -l count them)."""
    if rejects is None or not len(rejects) or "reason" not in rejects or "raw" not in rejects:
        return pd.DataFrame(columns=list(REJECT_COLUMNS))
    many = rejects["raw"].astype(str).str.contains("\n", regex=False).to_numpy()
    return rejects[many]


def _physical_lines(raw: object) -> int:
    """How many physical lines a record's raw text holds."""
    return str(raw).count("\n") + 1


def swallowed_records(rejects: Optional[pd.DataFrame]) -> list[str]:
    """One line per rejected record that a quote made of several physical lines: the file's
    name and the lines it swallowed. Such a record is one rejected row in the counts, which
    still reconcile, though the file may lose most of its crimes to it: the commands warn
    and exit 1 on it, and a release's audit says it. Not only a quote never closed
    (unclosed_quote): a stray quote that a later quote closes makes every line between one
    record too, rejected as malformed_quotes (or another reason), and lost as silently."""
    hit = _multi_line(rejects)
    return [
        _swallowed_line(Path(str(path)).name, int(line), str(reason), str(detail), raw)
        for path, line, reason, detail, raw in zip(
            hit["source_file"], hit["source_line"], hit["reason"], hit["detail"], hit["raw"]
        )
    ]


def _swallowed_line(name: str, line: int, reason: str, detail: str, raw: object) -> str:
    """The warning for one rejected record of several lines (the unclosed quote's detail
    names the lines already)."""
    if reason == "unclosed_quote":
        return (
            f"{name}: {detail}; none of those lines was loaded (close the quote and load the "
            "file again)"
        )
    last = line + _physical_lines(raw) - 1
    return (
        f"{name}: a quote swallowed lines {line}-{last} ({last - line + 1:,} physical lines) "
        f"into one record, rejected as {reason}: {detail}; none of those lines was loaded "
        f"(look for a stray quote from line {line} on and load the file again)"
    )


def swallowed_lines(rejects: Optional[pd.DataFrame]) -> int:
    """The physical lines the rejected records of several lines hold: each is one row read
    in the counts, so an analyst comparing rows read with ``wc -l`` finds these lines
    missing otherwise."""
    return sum(_physical_lines(raw) for raw in _multi_line(rejects)["raw"])


def _lines_by_file(rejects: Optional[pd.DataFrame]) -> dict[str, int]:
    """swallowed_lines of each file that has such records."""
    hit = _multi_line(rejects)
    return {
        str(path): swallowed_lines(group) for path, group in hit.groupby("source_file", sort=False)
    }


def report_dict(result: LoadResult) -> dict:
    """The report as plain data (stable key order, so the JSON is reproducible)."""
    files = []
    totals = {"rows_read": 0, "accepted": 0, "no_location": 0, "rejected": 0}
    by_reason: dict[str, int] = {}
    held = _lines_by_file(result.rejects)
    for f in result.files:
        files.append(
            {
                "path": f.path,
                "kind": f.kind,
                "encoding": f.encoding,
                "error": f.error,
                "rows_read": f.rows_read,
                "accepted": f.accepted,
                "no_location": f.no_location,
                "rejected": f.rejected_total,
                "rejected_by_reason": dict(f.rejected),
                "blank_lines": f.blank_lines,
                "swallowed_lines": held.get(f.path, 0),
                "outcomes_joined": f.outcomes_joined,
                "notes": list(f.notes),
                "reconciles": f.reconciles(),
                "sha256": f.sha256,
                "bytes": f.bytes,
            }
        )
        totals["rows_read"] += f.rows_read
        totals["accepted"] += f.accepted
        totals["no_location"] += f.no_location
        totals["rejected"] += f.rejected_total
        for reason, count in f.rejected.items():
            by_reason[reason] = by_reason.get(reason, 0) + count
    crimes = result.crimes
    return {
        "report_version": REPORT_VERSION,
        "profile": result.profile_name,
        "totals": totals,
        "reconciles": totals["rows_read"] == totals["accepted"] + totals["rejected"]
        and all(f.reconciles() for f in result.files),
        "rejected_by_reason": dict(sorted(by_reason.items())),
        "reasons": {k: REASONS[k] for k in sorted(by_reason)},
        "crimes": {
            "rows": int(len(crimes)),
            "mapped": int(crimes["has_location"].sum()) if len(crimes) else 0,
            "months": sorted(str(m) for m in crimes["month"].unique()) if len(crimes) else [],
            "forces": sorted(str(m) for m in crimes["reported_by"].unique()) if len(crimes) else [],
            "by_category": {
                str(k): int(v)
                for k, v in crimes["crime_type"].value_counts(sort=False).items()
                if v
            }
            if len(crimes)
            else {},
        },
        "stop_and_search": {"rows": int(len(result.stop_search))},
        "file_errors": [f.error for f in result.files if f.error],
        "swallowed_records": swallowed_records(result.rejects),
        "swallowed_lines": sum(held.values()),
        "warnings": [n for f in result.files for n in f.notes if n.startswith("Warning:")],
        "files": files,
    }


def report_text(result: LoadResult) -> str:
    """A readable summary for the dock, the log and the demo: one line per file, error and
    note, whatever their text holds (core.common.text_file.shown_line: a file named with
    a newline or an ESC sequence cannot add a line of its own or rewrite a terminal)."""
    data = report_dict(result)
    t = data["totals"]
    lines = [
        f"Validation report: {len(data['files'])} file(s)",
        f"Rows read {t['rows_read']:,} = accepted {t['accepted']:,} + rejected "
        f"{t['rejected']:,}" + ("" if data["reconciles"] else "  (DOES NOT RECONCILE)"),
        f"Accepted without a location (counted, not mapped): {t['no_location']:,}",
    ]
    if data["file_errors"]:
        lines.append(
            f"Files that could not be used ({len(data['file_errors'])}), the rest were loaded:"
        )
        lines.extend(f"  {shown_line(error)}" for error in data["file_errors"])
    if data["swallowed_records"]:
        lines.append(
            "Damaged files: a quote made one record of many lines ("
            f"{len(data['swallowed_records']):,} rejected record(s) holding "
            f"{data['swallowed_lines']:,} physical lines, each record one row read):"
        )
        lines.extend(f"  {shown_line(line)}" for line in data["swallowed_records"])
    if data["rejected_by_reason"]:
        lines.append("Rejected by reason:")
        for reason, count in data["rejected_by_reason"].items():
            lines.append(f"  {reason}: {count:,} ({REASONS[reason]})")
    crimes = data["crimes"]
    if crimes["rows"]:
        lines.append(
            f"Crimes: {crimes['rows']:,} ({crimes['mapped']:,} mapped), months "
            f"{', '.join(crimes['months'])}"
        )
    if data["stop_and_search"]["rows"]:
        lines.append(f"Stop and search: {data['stop_and_search']['rows']:,} rows")
    lines.append("Per file:")
    for f in data["files"]:
        if f["error"]:
            lines.append(f"  {shown_line(f['path'])}: not loaded (see above)")
            continue
        rejected = ", ".join(f"{k} {v}" for k, v in f["rejected_by_reason"].items())
        lines.append(
            f"  {shown_line(f['path'])} [{f['kind']}, {f['encoding']}]: read {f['rows_read']:,}, "
            f"accepted {f['accepted']:,}, rejected {f['rejected']:,}"
            + (f" ({rejected})" if rejected else "")
        )
        for note in f["notes"]:
            lines.append(f"    {shown_line(note)}")
    return "\n".join(lines)


def _write(path: Union[str, Path], write) -> None:
    with staged_outputs() as stage:
        with open(stage.path_for(path), "w", encoding="utf-8", newline="") as handle:
            write(handle)


def write_report_json(result: LoadResult, path: Union[str, Path]) -> None:
    _write(path, lambda h: h.write(json.dumps(report_dict(result), indent=2) + "\n"))


def write_rejects_csv(result: LoadResult, path: Union[str, Path]) -> None:
    """Rejected rows with their reason; cells are neutralised against formula injection."""

    def write(handle) -> None:
        writer = csv.writer(handle)
        writer.writerow(REJECT_COLUMNS)
        for row in result.rejects.itertuples(index=False):
            writer.writerow([safe_cell(v) for v in row])

    _write(path, write)
