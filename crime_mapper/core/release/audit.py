"""The release audit: proof, per category, that every input row is accounted for.

An analyst signs a release off from this page, so it states for each category the rows in and
their four fates (published at a map point, published without a location with the reason,
withheld by rule, rejected) and whether they reconcile; how far crimes moved from their true
location; which map points were used and the smallest catchment among them; the settings
(never the salt, only a fingerprint of it); and, once the caller has run it, every check of the
leak gate. The audit is plain JSON-serialisable data with no wall-clock time in it, so the
same release gives the same bytes. Imports nothing from QGIS.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np
import pandas as pd

from ..common.months import month_span_warnings
from ..common.staging import staged_outputs
from ..common.vocabulary import all_category_names
from .disclosure import CHECK_TITLES
from .rules import ACTIONS

AUDIT_VERSION = 1
TEMPLATE_NAME = "audit.html.j2"
MIN_CATCHMENT_ADDRESSES = 8  # police.uk: each map point's catchment holds at least 8 addresses

PathLike = Union[str, Path]

# Names of the audit rows for rows whose category is not known.
UNKNOWN_CATEGORY = "(unknown category)"
UNKNOWN_REJECTED = "(unknown — rejected at load)"

# Per-row action codes shared with anonymise: the index into release_rules.ACTIONS, and one
# more for rows with no known category (not published, counted as rejected).
ACTION_MAP = ACTIONS.index("map")
ACTION_NO_LOCATION = ACTIONS.index("no_location")
ACTION_WITHHOLD = ACTIONS.index("withhold")
ACTION_UNKNOWN = len(ACTIONS)


def _version() -> str:
    try:
        from ... import plugin_version  # the package __init__ imports nothing from QGIS

        return plugin_version()
    except Exception:  # noqa: BLE001 - a version string must never stop an audit
        import configparser

        root = Path(__file__).resolve().parents[3]
        for candidate in (root / "metadata.txt", root.parent / "metadata.txt"):
            if candidate.is_file():
                parser = configparser.ConfigParser(interpolation=None)
                parser.read(candidate, encoding="utf-8")
                return parser.get("general", "version", fallback="unknown")
        return "unknown"


def _metres(values: np.ndarray) -> dict[str, Any]:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return {"count": 0, "median": None, "p95": None, "max": None}
    return {
        "count": int(values.size),
        "median": round(float(np.median(values)), 1),
        "p95": round(float(np.percentile(values, 95)), 1),
        "max": round(float(values.max()), 1),
    }


def build_audit(
    *,
    category: np.ndarray,
    known: np.ndarray,
    action: np.ndarray,
    has_location: np.ndarray,
    at_point: np.ndarray,
    beyond: np.ndarray,
    sensitive: np.ndarray,
    distance: np.ndarray,
    points: Any,
    used_points: np.ndarray,
    rejected_categories: list[str],
    months: np.ndarray,
    reported_by: np.ndarray,
    source_format: Optional[np.ndarray],
    lsoa_from_row: int,
    published_rows: int,
    settings: dict,
) -> dict:
    """The audit dict for one anonymise run (called by anonymise.anonymise; the per-row arrays
    are over the whole crimes table)."""
    names = list(all_category_names()) + [UNKNOWN_CATEGORY, UNKNOWN_REJECTED]
    codes = pd.Categorical(category, categories=names[:-2]).codes.astype(np.int64)
    codes[codes < 0] = len(names) - 2  # unknown category in the crimes table
    codes[~known] = len(names) - 2
    k = len(names)

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(codes[mask], minlength=k)

    every = np.ones(len(codes), dtype=bool)
    mapped_rule = action == ACTION_MAP
    published = mapped_rule | (action == ACTION_NO_LOCATION)
    rejected_here = action == ACTION_UNKNOWN
    rejected_load = Counter(rejected_categories)
    columns = {
        "rows_in": count(every),
        "published_at_map_point": count(published & at_point),
        "published_without_location": count(published & ~at_point),
        "no_location_in_source": count(mapped_rule & ~has_location),
        "beyond_max_distance": count(beyond),
        "rule": count(action == ACTION_NO_LOCATION),
        "withheld_by_rule": count(action == ACTION_WITHHOLD),
        "rejected": count(rejected_here),
        "sensitive_rows": count(sensitive),
    }
    for i, name in enumerate(names):
        extra = rejected_load.get(name, 0)
        columns["rows_in"][i] += extra
        columns["rejected"][i] += extra

    def row(values: dict[str, int], name: str) -> dict[str, Any]:
        fates = (
            values["published_at_map_point"]
            + values["published_without_location"]
            + values["withheld_by_rule"]
            + values["rejected"]
        )
        reasons = values["no_location_in_source"] + values["beyond_max_distance"] + values["rule"]
        return {
            "category": name,
            "rows_in": values["rows_in"],
            "published_at_map_point": values["published_at_map_point"],
            "published_without_location": values["published_without_location"],
            "without_location_reason": {
                "no_location_in_source": values["no_location_in_source"],
                "beyond_max_distance": values["beyond_max_distance"],
                "rule": values["rule"],
            },
            "withheld_by_rule": values["withheld_by_rule"],
            "rejected": values["rejected"],
            "sensitive_rows": values["sensitive_rows"],
            "reconciles": values["rows_in"] == fates
            and values["published_without_location"] == reasons,
        }

    categories = []
    for i, name in enumerate(names):
        values = {key: int(column[i]) for key, column in columns.items()}
        if values["rows_in"]:
            categories.append(row(values, name))
    totals = row({key: int(column.sum()) for key, column in columns.items()}, "All")
    totals.pop("category")
    reconciles = totals["reconciles"] and all(c["reconciles"] for c in categories)

    # Map points.
    n_points = len(points)
    source = np.asarray(points.source, dtype=object)
    addresses = np.asarray(points.addresses, dtype=np.int64)
    labels = np.asarray(points.label, dtype=object)
    used_addresses = addresses[used_points]
    known_addresses = used_addresses[used_addresses >= 0]
    small = int(((known_addresses > 0) & (known_addresses < MIN_CATCHMENT_ADDRESSES)).sum())
    map_points = {
        "available": int(n_points),
        "used": int(len(used_points)),
        "available_by_source": {
            str(k): int(v) for k, v in sorted(Counter(source.tolist()).items())
        },
        "used_by_source": {
            str(k): int(v) for k, v in sorted(Counter(source[used_points].tolist()).items())
        },
        "smallest_catchment_addresses": (
            int(known_addresses.min()) if known_addresses.size else None
        ),
        "used_with_known_addresses": int(known_addresses.size),
        "used_below_minimum_addresses": small,
        "used_with_empty_label": int(sum(1 for s in labels[used_points].tolist() if not s)),
    }

    warnings = [str(w) for w in getattr(points, "warnings", []) or []]
    if small:
        warnings.append(
            f"{small:,} map point(s) used hold between 1 and {MIN_CATCHMENT_ADDRESSES - 1} "
            f"addresses in their catchment; police.uk requires at least "
            f"{MIN_CATCHMENT_ADDRESSES} or none."
        )
    if totals["without_location_reason"]["beyond_max_distance"]:
        warnings.append(
            f"{totals['without_location_reason']['beyond_max_distance']:,} crime(s) lie more "
            f"than {settings['max_distance_m']:,.0f} m from every map point and are published "
            "without a location."
        )
    unknown = int(columns["rows_in"][len(names) - 2])
    if unknown:
        warnings.append(
            f"{unknown:,} row(s) have no known police.uk category and were not "
            "published (counted as rejected)."
        )
    if lsoa_from_row:
        warnings.append(
            f"{lsoa_from_row:,} police.uk row(s) took their LSOA from the source "
            "row because their map point has none (the row stayed on its point)."
        )
    warnings.extend(month_span_warnings(np.asarray(months, dtype=object)[published].tolist()))
    if not published_rows:
        warnings.insert(0, nothing_published(totals))
    if not reconciles:
        warnings.append("The counts do not reconcile: do not publish this release.")

    formats = (
        dict(sorted(Counter(source_format.tolist()).items())) if source_format is not None else {}
    )
    return {
        "audit_version": AUDIT_VERSION,
        "crime_mapper_version": _version(),
        "settings": settings,
        "input": {
            "crime_rows": int(len(codes)),
            "rejected_at_load": int(len(rejected_categories)),
            "months": sorted(set(map(str, months.tolist()))),
            "forces": sorted(set(map(str, filter(None, reported_by.tolist())))),
            "source_formats": {str(k): int(v) for k, v in formats.items()},
        },
        "published_rows": int(published_rows),
        "reconciles": bool(reconciles),
        "totals": totals,
        "categories": categories,
        "displacement_m": _metres(distance[at_point]),
        "map_points": map_points,
        "lsoa_from_source_row": int(lsoa_from_row),
        "warnings": warnings,
        "leak_gate": None,
    }


def nothing_published(totals: dict[str, Any]) -> str:
    """The audit's first warning when a release publishes no crime (``totals``: the audit's
    row of totals). Why: a release whose every crime was withheld by rule or rejected (a rules
    file withholding every category, a load whose every row was refused) was written, gated
    and reported as done, its public CSV a header alone; only the counts, 0 published among
    them, said so, and a month of no crime could be published without anyone noticing."""
    rows = int(totals.get("rows_in", 0))
    if not rows:
        return "Nothing is published: the release has no crime row; its public files are empty."
    return (
        f"Nothing is published: all {rows:,} crime row(s) were withheld by rule "
        f"({int(totals.get('withheld_by_rule', 0)):,}) or rejected "
        f"({int(totals.get('rejected', 0)):,}); the public files hold no crime. Check the "
        "release rules and the load before publishing this release."
    )


def attach_gate_report(audit: dict, report: Any) -> dict:
    """Record the leak gate's result in the audit (a GateReport or its to_dict()); returns the
    same audit so the call can be chained."""
    data = report.to_dict() if hasattr(report, "to_dict") else report
    audit["leak_gate"] = json.loads(json.dumps(data))  # plain data, checked serialisable
    return audit


def audit_json(audit: dict) -> str:
    """The audit as JSON text: stable key order, UTF-8, so identical releases give identical
    bytes."""
    return json.dumps(audit, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _environment():
    import jinja2

    from ... import RESOURCES_DIR

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(RESOURCES_DIR / "templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["n"] = lambda v: (
        "–" if v is None else (f"{v:,}" if isinstance(v, int) else f"{v:,.1f}")
    )
    return env


def account_for_the_load(audit: dict, accepted_at_load: Optional[int]) -> None:
    """Hold the audit to the load that wrote the crimes table: the audit counts the rows of
    the table it was given, so a crime deleted from the crimes layer after the load (or one
    added) would leave the account without a word, and the extract's rows would no longer
    be published + without location + withheld + rejected. A table of another size than
    the load accepted (its validation report says) is recorded, warned of and marked as not
    reconciling. ``accepted_at_load`` None: no load's report to hold it to."""
    rows = int(audit.get("input", {}).get("crime_rows", 0))
    if accepted_at_load is None or accepted_at_load == rows:
        return
    audit["input"]["accepted_at_load"] = int(accepted_at_load)
    gone, added = accepted_at_load - rows, rows - accepted_at_load
    what = (
        f"{gone:,} crime(s) the load accepted are not in the crimes table (deleted after the "
        "load): they are in no count of this release"
        if gone > 0
        else f"the crimes table holds {added:,} row(s) more than the load accepted (added "
        "after the load, without its checks)"
    )
    audit["warnings"].append(f"{what[0].upper()}{what[1:]}; load the extracts again.")
    if audit.get("reconciles"):
        audit["reconciles"] = False
        audit["warnings"].append("The counts do not reconcile: do not publish this release.")


def render_audit_html(audit: dict) -> str:
    """The audit as a readable, accessible HTML page (every value escaped)."""
    return _environment().get_template(TEMPLATE_NAME).render(audit=audit, check_titles=CHECK_TITLES)


def write_audit(audit: dict, json_path: PathLike, html_path: PathLike) -> None:
    """Write the audit JSON and HTML together: both appear, or neither changes."""
    text = audit_json(audit)
    html = render_audit_html(audit)
    with staged_outputs() as stage:
        stage.path_for(json_path).write_text(text, encoding="utf-8")
        stage.path_for(html_path).write_text(html, encoding="utf-8")
