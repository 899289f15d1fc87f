"""Neighbourhood summary figures, computed from the public release table only.

One count cube holds everything: areas (the neighbourhoods, then "outside any neighbourhood",
"no location", then the force as the sum of all of them) x calendar months x categories (then
the total). Every figure a page or the CSV shows is read from that cube or from two small
tables made from the same rows (top locations, outcome groups), so the totals reconcile with
the release by construction and the tests can recompute each one independently.

Definitions (shown on the pages too, see ``METHOD_NOTES``):
  period          ``period_months`` calendar months ending at the chosen month.
  missing month   a calendar month with no row at all in the release: counts that need it are
                  "missing" (never zero); a neighbourhood with no crime in a month that is in
                  the release has 0.
  change          on the previous period and on the same period a year earlier: the number
                  and the percentage; "n/a" when the base is missing or 0.
  rate            crimes in the period per 1,000 residents; "n/a" when the population is
                  unknown or 0. The force rate is the crimes of the neighbourhoods with a
                  known population over their summed population.
  similar areas   the user's families when given (``families``: the other members of the
                  neighbourhood's family); else the ``similar_count`` nearest
                  neighbourhoods in a feature space of equal parts population density
                  (log10 of residents per km², z-scored) and crime mix (each category's
                  share of the neighbourhood's crimes over the 12 months of the trend,
                  z-scored, the mix scaled by 1/sqrt(categories) so it weighs as much as
                  density in total). Their rate is pooled: their crimes over their residents.
  rank            1 = the highest rate among the neighbourhoods with a rate.
  more than chance  the period's count against a Poisson distribution whose mean is the
                  monthly average of the 12 months before the period (at least 6 of them in
                  the release) times the period length; outside the central 95% interval
                  is "higher than usual" or "lower than usual". It ignores seasonality and
                  over-dispersion, so it flags somewhat too often: a prompt, not a proof.
Imports nothing from QGIS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd

from ..common.text_file import page_line
from ..common.vocabulary import (
    ASB,
    CATEGORY_NAMES,
    LEGACY_CATEGORIES,
    MONTH_RE,
    OUTCOME_GROUPS,
    normalise_outcome,
    outcome_group,
)
from .neighbourhoods import (
    NO_LOCATION,
    NO_LOCATION_LABEL,
    OUTSIDE,
    OUTSIDE_LABEL,
    WHOLE_FORCE_LABEL,
    Assignment,
    Neighbourhoods,
    column_codes,
)

TOTAL = "All crime"
ASB_NO_OUTCOME = "Not applicable (anti-social behaviour)"
NO_OUTCOME = "No outcome published"
OTHER_OUTCOME = "Other outcome"
OUTCOME_COLUMNS: tuple[str, ...] = OUTCOME_GROUPS + (NO_OUTCOME, ASB_NO_OUTCOME, OTHER_OUTCOME)
MIN_BASELINE_MONTHS = 6

METHOD_NOTES: dict[str, str] = {
    "period": "The figures cover the months shown, ending with the chosen month.",
    "missing": (
        "A month that is not in the published data is shown as missing, never as zero; "
        "changes that need it are shown as n/a."
    ),
    "change": (
        "Change is against the previous period of the same length and against the same "
        "period a year earlier; n/a where there is no figure to compare with or it is 0."
    ),
    "rate": (
        "Rate: crimes per 1,000 residents (ONS mid-year population estimates). The force "
        "rate is the crimes in neighbourhoods whose population is known over their "
        "residents, so that it compares with theirs: crimes whose location is not "
        "published, or outside every neighbourhood, are in the force's count but not in its "
        "rate."
    ),
    "similar": (
        "Similar neighbourhoods: the closest in population density and in the mix of "
        "crime types over the last 12 months (equal weight to each); their rate is their "
        "crimes over their residents."
    ),
    "chance": (
        "More than chance? The count is compared with what the previous 12 months would "
        "lead one to expect (a Poisson model, 95% interval). It ignores seasons, so treat "
        "a flag as a prompt to look closer, not as proof."
    ),
    "locations": (
        "Locations are approximate: each crime is shown at the nearest of a set of "
        "anonymous map points ('On or near ...'), never at its address. Map points "
        "published with no street name are not listed: they are many different places."
    ),
}

#: METHOD_NOTES' "similar" where the force gave its own families (SummaryOptions.families)
SIMILAR_BY_FAMILY = (
    "Similar neighbourhoods: the others of the same family in the force's own grouping of "
    "its neighbourhoods; their rate is their crimes over their residents."
)


def method_notes(families: Optional[dict]) -> dict[str, str]:
    """The notes the pages show. Why not METHOD_NOTES alone: with the force's own families
    the pages said the similar neighbourhoods were the closest in density and crime mix,
    which is not how they were chosen."""
    if families is None:
        return METHOD_NOTES
    return {**METHOD_NOTES, "similar": SIMILAR_BY_FAMILY}


class SummaryError(ValueError):
    """Input the summaries cannot be made from, with what to give instead."""


def month_index(month: str) -> int:
    """'YYYY-MM' -> months since year 0 (so differences are month counts).

    Checked by the one month pattern (MONTH_RE): int() reads other digits and spellings,
    so a MONTH of "٢٠٢٢-١٠" (Arabic-Indic digits), "2022-1_0" or "2022-+9" was taken as a
    month where every other part of crime_mapper refuses it."""
    if not isinstance(month, str) or not MONTH_RE.fullmatch(month):
        raise SummaryError(f"not a month (YYYY-MM): {month!r}")
    year, mon = month.split("-")
    return int(year) * 12 + int(mon) - 1


def month_text(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass
class SummaryOptions:
    month: Optional[str] = None  # the chosen month; default the release's latest
    period_months: int = 1
    trend_months: int = 12
    top_locations: int = 5
    similar_count: int = 5
    suppress_below: int = 0  # 0: no small-count control (police.uk's practice)
    #: user-supplied families (neighbourhood code -> family): when given, a neighbourhood's
    #: similar neighbourhoods are the others of its family (with a known rate) instead of
    #: the nearest in density and crime mix
    families: Optional[dict] = None

    def check(self) -> None:
        if not 1 <= self.period_months <= 12:
            raise SummaryError("the period must be 1 to 12 months")
        if not 2 <= self.trend_months <= 60:
            raise SummaryError("the trend must cover 2 to 60 months")
        from .summaries_suppress import SUPPRESS_BELOW_MAX

        if self.suppress_below < 0 or self.suppress_below > SUPPRESS_BELOW_MAX:
            raise SummaryError(f"the small-count threshold must be 0 (off) to {SUPPRESS_BELOW_MAX}")
        if self.top_locations < 0 or self.similar_count < 0:
            raise SummaryError("counts of locations and similar areas cannot be negative")


@dataclass
class Summaries:
    """All figures. Area axis: n neighbourhoods, OUTSIDE row (n), NO LOCATION row (n + 1),
    FORCE row (n + 2). Month axis: ``months`` (calendar months, consecutive). Category axis:
    ``categories`` then TOTAL."""

    hoods: Neighbourhoods
    options: SummaryOptions
    months: list[str]
    present: np.ndarray  # bool per month: the month is in the release
    categories: list[str]
    cube: np.ndarray  # int64 (areas + 3, months, categories + 1)
    month: str  # chosen month
    period: list[str]  # months of the period, chronological
    assignment: Assignment
    outcomes: np.ndarray  # int64 (areas + 3, len(OUTCOME_COLUMNS) + 1) over the period
    top_locations: list[list[tuple[str, int]]]  # per neighbourhood (and pseudo areas)
    figures: pd.DataFrame  # one row per area (neighbourhoods, outside, no location, force)
    similar: list[list[int]]  # per neighbourhood: indexes of its similar neighbourhoods
    suppressed: Optional[np.ndarray] = None  # bool like cube, when suppression is on
    outcomes_suppressed: Optional[np.ndarray] = None
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.hoods)

    @property
    def force_row(self) -> int:
        return self.n + 2

    def area_labels(self) -> list[str]:
        return list(self.hoods.names) + [OUTSIDE_LABEL, NO_LOCATION_LABEL, WHOLE_FORCE_LABEL]

    def area_codes(self) -> list[str]:
        return list(self.hoods.codes) + ["outside", "no-location", "force"]

    def month_pos(self, month: str) -> Optional[int]:
        pos = month_index(month) - month_index(self.months[0])
        return pos if 0 <= pos < len(self.months) else None

    def period_positions(self, end: int) -> list[int]:
        """Positions of the period ending at month position ``end`` (may be negative: off the
        axis, i.e. missing)."""
        p = self.options.period_months
        return list(range(end - p + 1, end + 1))

    def trend_positions(self) -> list[int]:
        end = self.month_pos(self.month)
        assert end is not None
        return list(range(end - self.options.trend_months + 1, end + 1))


def _ordered_categories(values: pd.Series) -> list[str]:
    seen = set(values.unique())
    known = [c for c in CATEGORY_NAMES + tuple(LEGACY_CATEGORIES) if c in seen]
    other = sorted(seen - set(known))
    return known + other


def _period_sum(cube: np.ndarray, present: np.ndarray, positions: list[int]) -> np.ndarray:
    """Sum over the positions along axis 1; NaN everywhere when any is off-axis or missing."""
    if any(p < 0 or p >= cube.shape[1] or not present[p] for p in positions):
        return np.full((cube.shape[0],) + cube.shape[2:], np.nan)
    return cube[:, positions].sum(axis=1).astype(np.float64)


def _change(cur: np.ndarray, base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    diff = cur - base
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(base > 0, 100.0 * diff / base, np.nan)
    return diff, pct


def outcome_columns_of(public: pd.DataFrame) -> np.ndarray:
    """Index into OUTCOME_COLUMNS for each row's Last outcome category."""
    cat_codes, cat_values = column_codes(public["Crime type"])
    is_asb = (cat_values == ASB)[cat_codes]
    codes, uniques = column_codes(public["Last outcome category"])
    col_of = {name: i for i, name in enumerate(OUTCOME_COLUMNS)}
    mapped = []
    for text in uniques:
        if text.strip() == "":
            mapped.append(col_of[NO_OUTCOME])
            continue
        canonical = normalise_outcome(text.strip())
        group = outcome_group(canonical) if canonical else None
        mapped.append(col_of[group] if group else col_of[OTHER_OUTCOME])
    out = np.asarray(mapped, np.int64)[codes] if len(codes) else np.zeros(0, np.int64)
    blank = out == col_of[NO_OUTCOME]
    out[blank & is_asb] = col_of[ASB_NO_OUTCOME]
    return out


def compute_summaries(
    public: pd.DataFrame,
    hoods: Neighbourhoods,
    assignment: Assignment,
    options: Optional[SummaryOptions] = None,
) -> Summaries:
    """Every figure of every summary, from the public release table and its assignment."""
    options = options or SummaryOptions()
    options.check()
    if len(public) != assignment.total:
        raise SummaryError("the assignment does not belong to this release table")
    if len(public) == 0:
        raise SummaryError("the release table has no rows: nothing to summarise")
    n = len(hoods)
    area = assignment.index.copy()
    area[area == OUTSIDE] = n
    area[area == NO_LOCATION] = n + 1

    month_codes, month_values = column_codes(public["Month"])
    month_idx = np.array([month_index(m.strip()) for m in month_values], np.int64)
    used = np.bincount(month_codes, minlength=len(month_values)) > 0
    first_release, last_release = int(month_idx[used].min()), int(month_idx[used].max())
    chosen = month_index(options.month) if options.month else last_release
    if options.month and chosen not in set(month_idx.tolist()):
        raise SummaryError(
            f"{options.month} is not in the release (it holds {month_text(first_release)} "
            f"to {month_text(last_release)})"
        )
    window_start = chosen - options.period_months - 11
    trend_start = chosen - options.trend_months + 1
    start = min(first_release, window_start, trend_start)
    end = max(last_release, chosen)
    months = [month_text(i) for i in range(start, end + 1)]
    present = np.zeros(len(months), bool)
    present[month_idx[used] - start] = True
    row_month = (month_idx - start)[month_codes]

    cat_codes, cat_values = column_codes(public["Crime type"])
    cat_used = np.bincount(cat_codes, minlength=len(cat_values)) > 0
    categories = _ordered_categories(pd.Series(cat_values[cat_used], dtype=object))
    cat_pos = {c: i for i, c in enumerate(categories)}
    row_cat = np.array([cat_pos.get(c, 0) for c in cat_values], np.int64)[cat_codes]

    n_areas, n_months, n_cats = n + 3, len(months), len(categories)
    flat = (area * n_months + row_month) * (n_cats + 1) + row_cat
    cube = np.bincount(flat, minlength=n_areas * n_months * (n_cats + 1)).reshape(
        n_areas, n_months, n_cats + 1
    )
    cube[:, :, n_cats] = cube[:, :, :n_cats].sum(axis=2)
    cube[n + 2] = cube[: n + 2].sum(axis=0)

    end_pos = chosen - start
    period_pos = list(range(end_pos - options.period_months + 1, end_pos + 1))
    in_period = np.isin(row_month, period_pos)
    outcome_cols = outcome_columns_of(public)
    k = len(OUTCOME_COLUMNS)
    outcomes = np.bincount(
        area[in_period] * (k + 1) + outcome_cols[in_period], minlength=n_areas * (k + 1)
    ).reshape(n_areas, k + 1)
    outcomes[:, k] = outcomes[:, :k].sum(axis=1)
    outcomes[n + 2] = outcomes[: n + 2].sum(axis=0)

    top = _top_locations(public, area, in_period, n_areas, options.top_locations)
    figures, similar = _figures(hoods, cube, present, months, end_pos, options)
    summaries = Summaries(
        hoods=hoods,
        options=options,
        months=months,
        present=present,
        categories=categories,
        cube=cube,
        month=month_text(chosen),
        period=[months[p] for p in period_pos],
        assignment=assignment,
        outcomes=outcomes,
        top_locations=top,
        figures=figures,
        similar=similar,
    )
    missing = [m for m, ok in zip(months, present) if not ok]
    if missing:
        summaries.notes.append(
            f"{len(missing)} months are not in the release and are shown as missing: "
            + ", ".join(missing[:12])
            + (" ..." if len(missing) > 12 else "")
        )
    if options.suppress_below:
        from .summaries_suppress import apply_suppression

        apply_suppression(summaries)
    return summaries


#: Location texts (stripped) that name no place, left out of a page's most frequent locations
UNNAMED_LOCATIONS = frozenset({"", "On or near"})


def _top_locations(
    public: pd.DataFrame, area: np.ndarray, in_period: np.ndarray, n_areas: int, k: int
) -> list[list[tuple[str, int]]]:
    out: list[list[tuple[str, int]]] = [[] for _ in range(n_areas)]
    if k == 0 or not in_period.any():
        return out
    loc_codes, loc_values = column_codes(public["Location"])
    # no place to name: a blank cell, or police.uk's "On or near " with no street name. All
    # of a neighbourhood's unnamed map points were counted as one location, so a town centre
    # led its list with "On or near (no street name): 252 crimes", two dozen places in fact
    # (read as the page shows it, page_line: "On or near" and a zero-width space or a word
    # joiner was listed, shown as the words for no street name, a place nobody can find)
    blank = np.array([page_line(v) in UNNAMED_LOCATIONS for v in loc_values], bool)
    keep = in_period & (area < n_areas - 2) & ~blank[loc_codes]
    pair = area[keep] * np.int64(len(loc_values)) + loc_codes[keep]
    distinct, n_of = np.unique(pair, return_counts=True)
    counts = pd.DataFrame(
        {
            "a": distinct // len(loc_values),
            "loc": loc_values[distinct % len(loc_values)],
            "n": n_of,
        }
    )
    counts = counts.sort_values(["a", "n", "loc"], ascending=[True, False, True], kind="stable")
    counts = counts.groupby("a", sort=False).head(k)
    for a, loc, count in zip(counts["a"].tolist(), counts["loc"].tolist(), counts["n"].tolist()):
        out[a].append((loc, int(count)))
    return out


def _figures(
    hoods: Neighbourhoods,
    cube: np.ndarray,
    present: np.ndarray,
    months: list[str],
    end_pos: int,
    options: SummaryOptions,
) -> tuple[pd.DataFrame, list[list[int]]]:
    n = len(hoods)
    p = options.period_months
    total = cube[:, :, -1]
    period = list(range(end_pos - p + 1, end_pos + 1))
    cur = _period_sum(total[:, :, None], present, period)[:, 0]
    prev = _period_sum(total[:, :, None], present, [q - p for q in period])[:, 0]
    yoy = _period_sum(total[:, :, None], present, [q - 12 for q in period])[:, 0]
    d_prev, pct_prev = _change(cur, prev)
    d_yoy, pct_yoy = _change(cur, yoy)

    pop = np.full(n + 3, np.nan)
    pop[:n] = hoods.population
    known = np.isfinite(pop[:n]) & (pop[:n] > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(np.isfinite(pop) & (pop > 0), 1000.0 * cur / pop, np.nan)
    force_pop = float(pop[:n][known].sum()) if known.any() else float("nan")
    force_crimes = float(cur[:n][known].sum()) if known.any() else float("nan")
    pop[n + 2] = force_pop
    rate[n + 2] = 1000.0 * force_crimes / force_pop if force_pop and force_pop > 0 else np.nan

    rank = np.full(n + 3, np.nan)
    has_rate = np.isfinite(rate[:n])
    if has_rate.any():
        rank[:n][has_rate] = _min_ranks(-rate[:n][has_rate])
    ranked = int(has_rate.sum())

    # chance: the 12 months before the period
    base_pos = [q for q in range(period[0] - 12, period[0]) if 0 <= q < len(months)]
    base_ok = [q for q in base_pos if present[q]]
    chance = np.full(n + 3, "n/a", dtype=object)
    low = np.full(n + 3, np.nan)
    high = np.full(n + 3, np.nan)
    if len(base_ok) >= MIN_BASELINE_MONTHS and np.isfinite(cur).all():
        from scipy.stats import poisson  # (imported only when used: about half a second)

        expected = total[:, base_ok].sum(axis=1) / len(base_ok) * p
        low = poisson.ppf(0.025, expected)
        high = poisson.ppf(0.975, expected)
        zero = expected == 0
        low[zero], high[zero] = 0.0, 0.0
        chance = np.where(cur > high, "higher", np.where(cur < low, "lower", "usual")).astype(
            object
        )

    similar = _similar(hoods, cube, present, end_pos, options, known, rate)
    family_rate = np.full(n + 3, np.nan)
    for i, fam in enumerate(similar):
        if fam:
            fam_pop = pop[fam].sum()
            family_rate[i] = 1000.0 * cur[fam].sum() / fam_pop if fam_pop > 0 else np.nan

    area_codes = list(hoods.codes) + ["outside", "no-location", "force"]
    figures = pd.DataFrame(
        {
            "code": area_codes,
            "count": cur,
            "previous": prev,
            "change_previous": d_prev,
            "change_previous_pct": pct_prev,
            "year_earlier": yoy,
            "change_year": d_yoy,
            "change_year_pct": pct_yoy,
            "population": pop,
            "rate": rate,
            "force_rate": rate[n + 2],
            "similar_rate": family_rate,
            "rank": rank,
            "ranked_of": ranked,
            "chance": chance,
            "expected_low": low,
            "expected_high": high,
        }
    )
    return figures, similar


def _min_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of finite values, ties sharing their lowest rank (scipy.stats.rankdata's
    method="min"): 1 + how many values are strictly smaller."""
    ordered = np.sort(values)
    return np.searchsorted(ordered, values, side="left").astype(np.int64) + 1


def _similar(
    hoods: Neighbourhoods,
    cube: np.ndarray,
    present: np.ndarray,
    end_pos: int,
    options: SummaryOptions,
    known: np.ndarray,
    rate: np.ndarray,
) -> list[list[int]]:
    """Indexes of each neighbourhood's most similar neighbourhoods (see the module notes)."""
    n = len(hoods)
    out: list[list[int]] = [[] for _ in range(n)]
    k = options.similar_count
    if options.families is not None:
        members: dict[str, list[int]] = {}
        usable = known & np.isfinite(rate[:n])
        for i, code in enumerate(hoods.codes):
            family = options.families.get(code)
            if family and usable[i]:
                members.setdefault(family, []).append(i)
        for i, code in enumerate(hoods.codes):
            family = options.families.get(code)
            if family:
                out[i] = [j for j in members.get(family, []) if j != i]
        return out
    candidates = np.flatnonzero(known & np.isfinite(rate[:n]))
    if k == 0 or len(candidates) < 2:
        return out
    trend = [q for q in range(end_pos - 11, end_pos + 1) if 0 <= q < cube.shape[1] and present[q]]
    counts = cube[:n][:, trend, :-1].sum(axis=1).astype(np.float64)
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(totals > 0, counts / totals, 0.0)
    parts = []
    z = _zscore(shares)
    parts.append(z / math.sqrt(max(1, z.shape[1])))
    area = hoods.area_km2()
    with np.errstate(divide="ignore", invalid="ignore"):
        density = np.log10(hoods.population / area + 1.0)
    if np.isfinite(density[candidates]).all():
        parts.append(_zscore(density[:, None]))
    features = np.hstack(parts)[candidates]
    from scipy.spatial import cKDTree

    tree = cKDTree(features)
    kk = min(k + 1, len(candidates))
    _, idx = tree.query(features, k=kk)
    idx = np.atleast_2d(idx)
    for row, i in enumerate(candidates):
        fam = [int(candidates[j]) for j in idx[row] if candidates[j] != i][:k]
        out[i] = fam
    return out


def _zscore(values: np.ndarray) -> np.ndarray:
    values = np.where(np.isfinite(values), values, np.nan)
    mean = np.nanmean(values, axis=0)
    std = np.nanstd(values, axis=0)
    std[~(std > 0)] = 1.0
    out = (values - mean) / std
    return np.where(np.isfinite(out), out, 0.0)
