"""The release QA checks: each compares this month (its rows and profile) with the history's
profiles and returns findings. The tests and thresholds are documented per check in ``CHECKS``
(the report shows them) and in the README.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import pandas as pd

from . import stats
from .duplicates import RepeatRuns, reference_blocks, repeat_runs
from .findings import Finding
from .profile import MIN_BATCH_ROWS, MonthProfile, cell_keys, dilate_cells, text_values

# Count findings: high needs p_adjusted < HIGH_P *and* a departure of at least HIGH_SHARE of
# the usual level and HIGH_CRIMES crimes; medium p_adjusted < MEDIUM_P; low < LOW_P.
HIGH_P, MEDIUM_P, LOW_P = 0.001, 0.01, 0.05
HIGH_SHARE, HIGH_CRIMES = 0.30, 20
MIN_HISTORY_MONTHS = 3  # fewer months: the count checks do not run
AREAS_KNOWN_SHARE = 0.9  # located rows with an area needed for the area checks
AREA_FINDINGS_LISTED = 30
OUTSIDE_RADIUS_CELLS = 3  # about 3 km around anywhere the force recorded a crime
# Values never seen before: the share of rows that makes the finding high. A new category is
# almost always a changed mapping; police.uk adds map points every month (1-3% of rows on new
# labels in real Leicestershire months, 13% when it renewed points in July 2022), so only a
# different map-point set altogether is high; a new outcome is at most medium (police.uk's
# newest months naturally hold outcomes older months have moved on from).
NEW_VALUE_HIGH_SHARE = {"new_category": 0.01, "new_label": 0.20, "new_area": 0.02}


@dataclass
class QaContext:
    """Everything a check may look at."""

    month: str
    crimes: pd.DataFrame  # this month's rows (canonical crimes table)
    current: MonthProfile
    history: list[MonthProfile]  # oldest first
    rejects: Optional[pd.DataFrame]
    areas: np.ndarray  # per row, its area code ("" for none)
    labels: np.ndarray  # per row, its map-point label ("" for none / unknown)
    labels_measured: bool  # False: no labels to compare (force extract, no map points)
    snap_distance: Optional[np.ndarray]
    far_metres: float
    area_name: str  # "LSOA" or "neighbourhood"
    runs: Optional[RepeatRuns] = None  # duplicates.repeat_runs of the rows, if already made

    @property
    def areas_known(self) -> bool:
        """Whether nearly every located row has an area (a force extract has none unless
        map points give it one): otherwise the area checks would see every area emptied."""
        located = self.crimes["has_location"].to_numpy(dtype=bool)
        if not located.any():
            return False
        return float(np.mean(self.areas[located] != "")) >= AREAS_KNOWN_SHARE


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:,.1f}"


def _pct(value: float) -> str:
    """A signed share as the report, the panel and the manifest say it ("+65%", "\u2212100%"):
    a fall with the minus sign (U+2212), since a screen reader read the hyphen-minus of
    "(-100%)" as "hyphen" or nothing."""
    text = f"{value:+.0%}"
    return "\u2212" + text[1:] if text.startswith("-") else text


def _rows_of(ctx: QaContext, mask: np.ndarray) -> tuple[int, list[int]]:
    ids = ctx.crimes["record_id"].to_numpy(dtype=np.int64)[mask]
    return int(mask.sum()), [int(v) for v in ids[:200]]


def _count_severity(observed: float, expected: float, p_adj: float) -> Optional[str]:
    departure = abs(observed - expected)
    if p_adj < HIGH_P and departure >= max(HIGH_CRIMES, HIGH_SHARE * expected):
        return "high"
    if p_adj < MEDIUM_P:
        return "medium"
    if p_adj < LOW_P:
        return "low"
    return None


def _history_matrix(units: Sequence[str], history: list[MonthProfile], field: str) -> np.ndarray:
    return np.array(
        [[getattr(h, field).get(u, 0) for h in history] for u in units], dtype=np.float64
    ).reshape(len(units), len(history))


def _departure_words(observed: float, expected: float) -> str:
    diff = observed - expected
    ratio = (observed / expected - 1.0) if expected > 0 else float("inf")
    word = "more" if diff > 0 else "fewer"
    share = f" ({_pct(ratio)})" if np.isfinite(ratio) else ""
    return f"{_fmt(abs(diff))} {word} than usual{share}"


def _measures(test: stats.CountTest, i: int) -> dict:
    return {
        "observed": int(test.observed[i]),
        "expected": round(float(test.expected[i]), 2),
        "usual_range": [int(test.low[i]), int(test.high[i])],
        "departure": round(float(test.observed[i] - test.expected[i]), 2),
        "ratio": round(float(test.observed[i] / test.expected[i]), 4)
        if test.expected[i] > 0
        else None,
        "p": float(f"{test.p[i]:.3g}"),
        "p_adjusted": float(f"{test.p_adj[i]:.3g}"),
        "tests": test.tests,
    }


# --- counts ----------------------------------------------------------------------------------


def check_total(ctx: QaContext) -> list[Finding]:
    history = np.array([[h.rows for h in ctx.history]], dtype=np.float64)
    test = stats.count_test(["all crimes"], history, np.array([ctx.current.rows]))
    severity = _count_severity(test.observed[0], test.expected[0], test.p_adj[0])
    if severity is None:
        return []
    lo, hi = int(test.low[0]), int(test.high[0])
    x, m = test.observed[0], test.expected[0]
    cause = (
        "A drop this large usually means part of the month is missing (a week, a day's "
        "batch, a station or a system)."
        if x < m
        else "A rise this large often means rows were sent twice or another month's rows "
        "are included."
    )
    return [
        Finding(
            "total_count",
            "all crimes",
            severity,
            f"This month has {_fmt(x)} crimes: {_departure_words(x, m)}",
            f"The month holds {_fmt(x)} rows; over the last {len(ctx.history)} months the "
            f"force recorded {_fmt(m)} a month on average, and a month between {lo:,} and "
            f"{hi:,} would be usual. {cause}",
            _measures(test, 0),
            rows=ctx.current.rows,
        )
    ]


def check_categories(ctx: QaContext) -> list[Finding]:
    units = sorted(set(ctx.current.by_category) | {c for h in ctx.history for c in h.by_category})
    units = [u for u in units if u]
    if not units:
        return []
    history = _history_matrix(units, ctx.history, "by_category")
    observed = np.array([ctx.current.by_category.get(u, 0) for u in units], dtype=np.float64)
    test = stats.count_test(units, history, observed)
    category = text_values(ctx.crimes["crime_type"])
    out = []
    for i, unit in enumerate(units):
        x, m = test.observed[i], test.expected[i]
        severity = _count_severity(x, m, test.p_adj[i])
        if severity is None or history[i].sum() == 0:  # never seen: check_new_values says so
            continue
        if x < m:
            cause = (
                "rows of this category may be missing, or its offences may now be mapped to "
                "another category (check the offence mapping)."
            )
            if x == 0:
                cause = "no row has this category: " + cause
        else:
            cause = (
                "it can be real (an operation, a change in recording) but also a batch sent "
                "twice or another category's offences mapped here."
            )
        count, ids = _rows_of(ctx, category == unit)
        out.append(
            Finding(
                "category_count",
                unit,
                severity,
                f"{unit}: {_fmt(x)} crimes, {_departure_words(x, m)}",
                f"{unit} has {_fmt(x)} crimes this month against {_fmt(m)} a month on "
                f"average over the last {len(ctx.history)} months (usual range "
                f"{int(test.low[i]):,}–{int(test.high[i]):,}, allowing for the "
                f"{test.tests} categories tested). {cause[0].upper()}{cause[1:]}",
                _measures(test, i),
                rows=count,
                record_ids=ids,
            )
        )
    return out


def _area_severity(x: float, m: float, p_adj: float, total: float) -> Optional[str]:
    if p_adj < HIGH_P and m >= 20 and x <= 0.1 * m:
        return "high"  # an area emptied: rows of a station or a beat missing
    if p_adj < HIGH_P and abs(x - m) >= max(0.05 * total, HIGH_CRIMES):
        return "high"
    if p_adj < HIGH_P:
        return "medium"
    if p_adj < MEDIUM_P:
        return "low"
    return None


def check_areas(ctx: QaContext) -> list[Finding]:
    months = [h for h in ctx.history if h.by_area]  # months whose rows had areas
    units = sorted({a for h in months for a in h.by_area})
    if not units or len(months) < MIN_HISTORY_MONTHS:
        return []
    history = _history_matrix(units, months, "by_area")
    observed = np.array([ctx.current.by_area.get(u, 0) for u in units], dtype=np.float64)
    test = stats.count_test(units, history, observed)
    found = []
    for i in range(len(units)):
        severity = _area_severity(
            test.observed[i], test.expected[i], test.p_adj[i], ctx.current.rows
        )
        if severity is not None:
            found.append((severity, test.p_adj[i], i))
    found.sort(key=lambda t: (["high", "medium", "low"].index(t[0]), t[1], units[t[2]]))
    out = []
    for severity, _, i in found[:AREA_FINDINGS_LISTED]:
        unit = units[i]
        x, m = test.observed[i], test.expected[i]
        count, ids = _rows_of(ctx, ctx.areas == unit)
        cause = (
            "An area with no or almost no crimes where there are usually many often means "
            "the rows of a station, beat or system are missing."
            if x <= 0.1 * m
            else "Areas do have busy and quiet months; check it if it is not expected."
        )
        out.append(
            Finding(
                "area_count",
                unit,
                severity,
                f"{ctx.area_name} {unit}: {_fmt(x)} crimes, {_departure_words(x, m)}",
                f"{ctx.area_name} {unit} has {_fmt(x)} crimes this month against {_fmt(m)} "
                f"a month on average (usual range {int(test.low[i]):,}–{int(test.high[i]):,}, "
                f"allowing for the {test.tests:,} areas tested). {cause}",
                _measures(test, i),
                rows=count,
                record_ids=ids,
                areas=[unit],
            )
        )
    rest = found[AREA_FINDINGS_LISTED:]
    if rest:
        worst = rest[0][0]
        out.append(
            Finding(
                "area_count",
                "more areas",
                worst,
                f"{len(rest)} more {ctx.area_name} areas outside their usual range",
                f"Besides the {AREA_FINDINGS_LISTED} listed, {len(rest)} more areas are outside "
                "their usual range. Many areas moving together usually means rows are "
                "missing or repeated rather than real change.",
                {"areas": len(rest)},
                areas=[units[i] for _, _, i in rest],
            )
        )
    down = int(np.sum((test.p_adj < MEDIUM_P) & (observed < test.expected)))
    up = int(np.sum((test.p_adj < MEDIUM_P) & (observed > test.expected)))
    if max(up, down) >= max(10, 0.05 * len(units)):
        direction = "fewer" if down > up else "more"
        out.append(
            Finding(
                "area_count",
                "many areas",
                "high",
                f"{max(up, down)} areas have far {direction} crimes than usual",
                f"{max(up, down)} of {len(units):,} areas are significantly "
                f"{'below' if down > up else 'above'} their usual range at once ({down} below, "
                f"{up} above). Real change is rarely this widespread in one month: check for "
                "missing or repeated rows, or a change in how locations are recorded.",
                {"below": down, "above": up, "areas_tested": len(units)},
            )
        )
    return out


# --- vocabulary --------------------------------------------------------------------------------


def _never_seen(
    ctx: QaContext, check: str, what: str, values: np.ndarray, seen: set, hint: str
) -> list[Finding]:
    present = pd.Series(values[values != ""]).value_counts()
    new = [(str(v), int(c)) for v, c in present.items() if v not in seen]
    if not new:
        return []
    rows = sum(c for _, c in new)
    share = rows / max(ctx.current.rows, 1)
    high_share = NEW_VALUE_HIGH_SHARE.get(check)
    if high_share is not None and share >= high_share and rows >= HIGH_CRIMES:
        severity = "high"
    elif share >= 0.05 or (check != "new_label" and share >= 0.01):
        severity = "medium"
    else:
        severity = "low"
    names = sorted(new, key=lambda t: (-t[1], t[0]))
    shown = ", ".join(f"{v!r} ({c:,})" for v, c in names[:10])
    more = f" and {len(names) - 10} more" if len(names) > 10 else ""
    mask = np.isin(values, [v for v, _ in new])
    count, ids = _rows_of(ctx, mask)
    return [
        Finding(
            check,
            what,
            severity,
            f"{len(new):,} {what} never seen in the last {len(ctx.history)} months",
            f"{rows:,} rows ({share:.1%}) carry {what} that no month of the history has: "
            f"{shown}{more}. {hint}",
            {"new_values": len(new), "rows": rows, "share": round(share, 5)},
            rows=count,
            record_ids=ids,
            areas=[v for v, _ in names] if check == "new_area" else [],
        )
    ]


def check_new_values(ctx: QaContext) -> list[Finding]:
    crimes = ctx.crimes
    out = []
    seen_categories = {c for h in ctx.history for c in h.by_category}
    out += _never_seen(
        ctx, "new_category", "categories",
        text_values(crimes["crime_type"]),
        seen_categories,
        "A category appearing from nowhere usually comes from a changed offence mapping.",
    )  # fmt: skip
    seen_outcomes = {o for h in ctx.history for o in h.by_outcome}
    out += _never_seen(
        ctx, "new_outcome", "outcomes",
        text_values(crimes["last_outcome"]),
        seen_outcomes,
        "Check the outcome mapping of the records system.",
    )  # fmt: skip
    if ctx.labels_measured and any(h.labels for h in ctx.history):
        seen_labels = {v for h in ctx.history for v in h.labels}
        located = crimes["has_location"].to_numpy(dtype=bool)
        labels = np.where(located, ctx.labels, "").astype(object)
        out += _never_seen(
            ctx, "new_label", "map-point labels", labels, seen_labels,
            "A few new points each month is normal; many suggest a different or broken "
            "map-point set.",
        )  # fmt: skip
    seen_areas = {a for h in ctx.history for a in h.by_area}
    if seen_areas and ctx.areas_known:
        located = crimes["has_location"].to_numpy(dtype=bool)
        areas = np.where(located, ctx.areas, "").astype(object)
        out += _never_seen(
            ctx, "new_area", f"{ctx.area_name} areas", areas, seen_areas,
            "Crimes in areas the force never had usually mean wrong coordinates, another "
            "force's rows or a boundary change.",
        )  # fmt: skip
    return out


# --- locations ---------------------------------------------------------------------------------


def check_no_location(ctx: QaContext) -> list[Finding]:
    shares = np.array([h.no_location / h.rows for h in ctx.history if h.rows], dtype=np.float64)
    n = ctx.current.rows
    if shares.size < 2 or n == 0:
        return []
    from scipy.stats import norm

    p_bar = float(shares.mean())
    var = n * p_bar * (1 - p_bar) + n**2 * shares.var(ddof=1) * (1 + 1 / shares.size)
    x = ctx.current.no_location
    expected = p_bar * n
    z = (x - expected) / np.sqrt(max(var, 1e-9))
    p = float(2 * norm.sf(abs(z)))
    share = x / n
    # high: a rise of at least 5 percentage points and at least double (a batch lost its
    # coordinates); real months move by 1-3 points (Leicestershire 2022: 0.6% to 3.6%)
    high_ = p < HIGH_P and share - p_bar >= 0.05 and share >= 2 * p_bar
    severity = "high" if high_ else "medium" if p < MEDIUM_P else "low" if p < LOW_P else None
    if severity is None:
        return []
    count, ids = _rows_of(ctx, ~ctx.crimes["has_location"].to_numpy(dtype=bool))
    return [
        Finding(
            "no_location_share",
            "no location",
            severity,
            f"{share:.1%} of rows have no location (usually {p_bar:.1%})",
            f"{x:,} of {n:,} rows have no location, {share:.1%}, against {p_bar:.1%} on "
            f"average over the last {shares.size} months "
            f"(between {shares.min():.1%} and {shares.max():.1%}). A jump usually means "
            "coordinates were lost in the export or a coordinate system changed.",
            {
                "observed": x,
                "expected": round(expected, 1),
                "share": round(share, 5),
                "usual_share": round(p_bar, 5),
                "z": round(float(z), 2),
                "p": float(f"{p:.3g}"),
            },
            rows=count,
            record_ids=ids,
        )  # fmt: skip
    ]


def check_snapped_far(ctx: QaContext) -> list[Finding]:
    cur = ctx.current
    if cur.snapped is None or not cur.snapped or ctx.snap_distance is None:
        return []
    share = (cur.snapped_far or 0) / cur.snapped
    base = [(h.snapped_far or 0) / h.snapped for h in ctx.history if h.snapped]
    usual = float(np.mean(base)) if base else None
    if usual is not None:
        limit_high, limit_medium = max(3 * usual, usual + 0.02), max(1.5 * usual, usual + 0.005)
        against = f"usually {usual:.1%}"
    else:
        limit_high, limit_medium = 0.05, 0.01
        against = "no history of snap distances: judged against 1% (medium) and 5% (high)"
    severity = "high" if share >= limit_high else "medium" if share >= limit_medium else None
    if severity is None:
        return []
    far = np.nan_to_num(ctx.snap_distance, nan=0.0) > ctx.far_metres
    count, ids = _rows_of(ctx, far)
    return [
        Finding(
            "snapped_far",
            "snapped far",
            severity,
            f"{share:.1%} of located crimes are over {ctx.far_metres:,.0f} m from their map point",
            f"{cur.snapped_far:,} of {cur.snapped:,} located crimes would move more than "
            f"{ctx.far_metres:,.0f} m to their nearest map point ({against}). Usually the "
            "coordinates are wrong (a shifted grid, swapped digits) or the map points do not "
            "cover part of the force.",
            {
                "far": cur.snapped_far,
                "snapped": cur.snapped,
                "share": round(share, 5),
                "usual_share": None if usual is None else round(usual, 5),
            },
            rows=count,
            record_ids=ids,
        )  # fmt: skip
    ]


def check_outside(ctx: QaContext) -> list[Finding]:
    cells = [np.asarray(h.cells, dtype=np.int64) for h in ctx.history if h.cells]
    if not cells:
        return []
    allowed = dilate_cells(np.concatenate(cells), OUTSIDE_RADIUS_CELLS)
    located = ctx.crimes["has_location"].to_numpy(dtype=bool)
    keys = cell_keys(ctx.crimes["longitude"].to_numpy(), ctx.crimes["latitude"].to_numpy())
    outside = located & ~np.isin(keys, allowed)
    if not outside.any():
        return []
    count, ids = _rows_of(ctx, outside)
    share = count / max(int(located.sum()), 1)
    severity = "high" if count >= 10 or share >= 0.005 else "medium" if count >= 3 else "low"
    return [
        Finding(
            "outside_force",
            "outside the force area",
            severity,
            f"{count:,} crimes lie outside the force's usual area",
            f"{count:,} located crimes ({share:.2%}) lie more than about "
            f"{OUTSIDE_RADIUS_CELLS} km from anywhere the force recorded a crime in the last "
            f"{len(ctx.history)} months. Usually these are wrong coordinates, another force's "
            "rows or a boundary change.",
            {"rows": count, "share": round(share, 5), "radius_km": OUTSIDE_RADIUS_CELLS},
            rows=count,
            record_ids=ids,
        )
    ]


# --- days and hours ----------------------------------------------------------------------------


def _gaps(
    counts: np.ndarray, expected: np.ndarray, variance: np.ndarray, ratio: float
) -> np.ndarray:
    p = stats.lower_p(counts, expected, variance) * len(counts)
    return (p < HIGH_P) & (counts <= ratio * expected)


def _ranges(flags: np.ndarray) -> list[tuple[int, int]]:
    out, start = [], None
    for i, flag in enumerate(list(flags) + [False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            out.append((start, i - 1))
            start = None
    return out


def check_days(ctx: QaContext) -> list[Finding]:
    days = np.asarray(ctx.current.day_counts, dtype=np.float64)
    if days.size == 0 or ctx.current.timed_rows < 10 * days.size:
        return []
    typical, var = stats.robust_level(days)
    if typical < 5:
        return []
    expected = np.full(days.size, typical)
    variance = np.full(days.size, var)
    flags = _gaps(days, expected, variance, 0.5)
    out = []
    year, mon = (int(p) for p in ctx.month.split("-"))
    name = calendar.month_name[mon]
    for a, b in _ranges(flags):
        chunk = days[a : b + 1]
        empty = chunk.sum() == 0
        severity = "high" if chunk.max() <= 0.2 * typical else "medium"
        span = f"{a + 1} {name}" if a == b else f"{a + 1}–{b + 1} {name}"
        what = "no records" if empty else f"only {int(chunk.sum()):,} records"
        out.append(
            Finding(
                "day_gap",
                f"{ctx.month}-{a + 1:02d}..{ctx.month}-{b + 1:02d}",
                severity,
                f"{span} {year}: {what} ({b - a + 1} day{'s' if b > a else ''})",
                f"{span} {year} has {what}; a typical day this month has {typical:,.0f}. "
                "Days with no or very few records usually mean an extract that missed a "
                "period (a failed nightly export, a date filter), not a quiet spell.",
                {"days": [int(v) for v in chunk], "typical_day": typical},
            )
        )
    return out


def check_hours(ctx: QaContext) -> list[Finding]:
    hours = np.asarray(ctx.current.hour_counts, dtype=np.float64)
    if hours.size != 24 or ctx.current.timed_rows < 24 * 10:
        return []
    shapes = [
        np.asarray(h.hour_counts, dtype=np.float64) for h in ctx.history if len(h.hour_counts) == 24
    ]
    pooled = np.sum(shapes, axis=0) if shapes else None
    if pooled is not None and pooled.sum() > 0:
        expected = pooled / pooled.sum() * hours.sum()
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = np.nanmedian(((hours - expected) ** 2 - expected) / expected**2)
        variance = expected + max(float(alpha), 0.0) * expected**2
        ratio, basis = 0.25, "the hours of the last months"
    else:
        typical, var = stats.robust_level(hours)
        expected = np.full(24, typical)
        variance = np.full(24, var)
        ratio, basis = 0.15, "a typical hour this month (no history with times)"
    if expected.max() < 5:
        return []
    flags = _gaps(hours, expected, variance, ratio)
    out = []
    for a, b in _ranges(flags):
        chunk = hours[a : b + 1]
        severity = "high" if np.all(chunk <= 0.1 * expected[a : b + 1]) else "medium"
        span = f"{a:02d}:00–{b + 1:02d}:00"
        out.append(
            Finding(
                "hour_gap",
                span,
                severity,
                f"{span}: {int(chunk.sum()):,} records over the whole month",
                f"Between {span} the month has {int(chunk.sum()):,} records against about "
                f"{expected[a : b + 1].sum():,.0f} expected from {basis}. A gap by time of day "
                "usually means a shift's or a system's records are missing.",
                {
                    "hours": [int(v) for v in chunk],
                    "expected": [round(float(v), 1) for v in expected[a : b + 1]],
                },
            )  # fmt: skip
        )
    return out


# --- duplicates and rejects --------------------------------------------------------------------


def check_duplicates(ctx: QaContext) -> list[Finding]:
    out = []
    runs = ctx.runs if ctx.runs is not None else repeat_runs(ctx.crimes)
    usual = max([h.longest_repeat_run for h in ctx.history], default=0)
    for run in runs.batches:
        if run.different < max(MIN_BATCH_ROWS, usual + 1):
            continue
        severity = "high" if run.different >= max(2 * MIN_BATCH_ROWS, 2 * usual) else "medium"
        out.append(
            Finding(
                "duplicate_batch",
                f"{run.file}:{run.first_line}",
                severity,
                f"{run.rows:,} rows repeat an earlier stretch of rows",
                f"Rows {run.first_line:,}–{run.last_line:,} of {run.file} repeat, in the same "
                f"order, the rows from line {run.copy_of_first_line:,} of {run.copy_of_file} "
                f"(every column the same but the reference). The longest such stretch in the "
                f"last {len(ctx.history)} months was {usual:,} rows. This is almost always a "
                "batch exported twice: the crimes would be counted twice.",
                {"rows": run.rows, "different_rows": run.different, "usual_longest": usual},
                rows=run.rows,
                record_ids=run.record_ids,
                lines=[f"{run.file}:{run.first_line}-{run.last_line}"],
            )
        )
    blocks = reference_blocks(ctx.rejects) if ctx.rejects is not None else []
    if blocks:
        total = sum(b.rows for b in blocks)
        biggest = blocks[0].rows
        severity = "high" if biggest >= MIN_BATCH_ROWS or total >= 25 else "medium"
        out.append(
            Finding(
                "duplicate_reference",
                "references",
                severity,
                f"{total:,} rows repeat a reference already loaded",
                f"{total:,} rows carry a crime reference an earlier row already has; the load "
                f"kept the first and rejected these (reason duplicate_crime_id). The largest "
                f"stretch is {biggest:,} consecutive lines ({blocks[0].file} lines "
                f"{blocks[0].first_line:,}–{blocks[0].last_line:,}): "
                + ("a batch sent twice." if biggest >= MIN_BATCH_ROWS else "check them."),
                {"rows": total, "largest_block": biggest, "blocks": len(blocks)},
                rows=total,
                lines=[f"{b.file}:{b.first_line}-{b.last_line}" for b in blocks[:50]],
            )
        )
    return out


def check_rejects(ctx: QaContext) -> list[Finding]:
    rows = ctx.current.rows + sum(ctx.current.rejected.values())
    out = []
    for reason, count in sorted(ctx.current.rejected.items()):
        if reason == "duplicate_crime_id" or count == 0:
            continue
        share = count / max(rows, 1)
        base = [h.rejected.get(reason, 0) / max(h.rows, 1) for h in ctx.history]
        usual = float(np.mean(base)) if base else 0.0
        if share >= 0.01 and count >= HIGH_CRIMES and share >= 5 * usual:
            severity = "high"
        elif share >= 0.002 and share >= 2 * usual:
            severity = "medium"
        else:
            severity = "low"
        lines = []
        if ctx.rejects is not None:
            part = ctx.rejects.loc[ctx.rejects["reason"] == reason]
            lines = [f"{f}:{ln}" for f, ln in zip(part["source_file"], part["source_line"])][:50]
        out.append(
            Finding(
                "rejected_rows",
                reason,
                severity,
                f"{count:,} rows rejected: {reason}",
                f"The load rejected {count:,} rows ({share:.2%}) for {reason} (usually "
                f"{usual:.2%}). They are not in the release; see rejects.csv.",
                {"rows": count, "share": round(share, 5), "usual_share": round(usual, 5)},
                rows=count,
                lines=lines,
            )
        )
    return out


def check_other_months(ctx: QaContext) -> list[Finding]:
    month = text_values(ctx.crimes["month"])
    other = month != ctx.month
    if not other.any():
        return []
    count, ids = _rows_of(ctx, other)
    share = count / len(month)
    months = sorted(set(month[other].tolist()))
    return [
        Finding(
            "other_months",
            "other months",
            "high" if share >= 0.01 and count >= HIGH_CRIMES else "medium",
            f"{count:,} rows belong to other months ({', '.join(months[:6])})",
            f"The QA checks {ctx.month}, but {count:,} rows ({share:.1%}) are from "
            f"{', '.join(months[:12])}. A monthly release should hold one month.",
            {"rows": count, "months": months},
            rows=count,
            record_ids=ids,
        )
    ]


# name -> (function, needs history, description shown in the report)
CHECKS: dict[str, tuple[Callable[[QaContext], list[Finding]], bool, str]] = {
    "total_count": (check_total, True,
        "Total rows against the 12-month history: negative-binomial interval (stats module)."),
    "category_count": (check_categories, True,
        "Each category against its 12-month history: negative-binomial test, Bonferroni "
        "over the categories; high when p < 0.001 after correction and the departure is at "
        "least 30% and 20 crimes."),
    "area_count": (check_areas, True,
        "Each area (LSOA or neighbourhood) against its history: the same test, Bonferroni over "
        "the areas; high only for an area emptied (at most 10% of at least 20 a month), a "
        "departure of 5% of the force's month, or many areas moving at once."),
    "new_values": (check_new_values, True,
        "Categories, outcomes, map-point labels and areas no month of the history has."),
    "no_location_share": (check_no_location, True,
        "Share of rows without a location against the history's shares (normal approximation "
        "with the month-to-month spread)."),
    "snapped_far": (check_snapped_far, False,
        "Share of located crimes farther than the limit from their nearest map point."),
    "outside_force": (check_outside, True,
        "Crimes more than about 3 km (1 km cells) from anywhere the force recorded a crime in "
        "the history."),
    "day_gap": (check_days, False,
        "Days of the month with no or very few records (exact times only): one-sided test "
        "against the month's median day, Bonferroni over the days, at most half a typical day."),
    "hour_gap": (check_hours, False,
        "Hours of the day with no or very few records over the month (exact times only)."),
    "duplicates": (check_duplicates, False,
        "Stretches of rows repeating earlier rows in order, and references loaded twice."),
    "rejected_rows": (check_rejects, False, "Rows the load rejected, by reason."),
    "other_months": (check_other_months, False, "Rows from months other than the one checked."),
}  # fmt: skip
