"""Optional small-count control for public summaries (off by default, as on police.uk).

Method (ONS practice for tables with published totals, "no lone suppressed cell"):
  1. Primary: every count from 1 to ``threshold - 1`` is suppressed and shown as "fewer than
     N" (zeros are shown: a zero is not a small count of people).
  2. Secondary: the published counts form lines that add up to another published count:
     the categories of a neighbourhood-month add up to its total; the neighbourhoods of a
     month and category (with "outside any neighbourhood" and "no location") add up to the
     force's count; the outcome groups add up to the period total, and across
     neighbourhoods to the force's. A line with exactly one suppressed cell would give it
     back by subtraction, so the smallest other non-zero cell of that line is suppressed
     too (a zero only when nothing else is left), repeated until no line has exactly one.
  3. Derived figures are hidden when they would need a suppressed count: a change is hidden
     when either month is; a rate, rank and chance test when the count is; the pooled rate
     of similar neighbourhoods when any of them is; the force rate when its numerator
     (the neighbourhoods with a known population) or the rest of the force would leave a
     single suppressed count.
  4. Top locations list only locations with at least ``threshold`` crimes.
This stops exact recovery by adding and subtracting published figures (the attack the issue
names: totals, differences between months, neighbourhoods summing to the force). It does
not bound the interval an attacker can deduce by linear programming (a full audit such as
tau-argus does); with a threshold of 10, every hidden value is known only to be in 1..9 or
in the range left by the other hidden cells of its lines.

Suppression works on monthly figures: a period longer than one month is refused with it, as
period sums would add cross-month lines the method above does not cover.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_BIG = np.iinfo(np.int64).max // 4
#: the largest threshold taken (SummaryOptions.check, the release's publish.suppress_below)
SUPPRESS_BELOW_MAX = 100


def secondary(values: np.ndarray, suppressed: np.ndarray, axes: tuple[int, ...]) -> int:
    """Suppress more cells until no line along any of ``axes`` has exactly one suppressed
    cell (every line includes its published total). Returns how many cells were added."""
    added = 0
    while True:
        changed = False
        for axis in axes:
            lone = suppressed.sum(axis=axis) == 1
            if not lone.any():
                continue
            key = np.where(suppressed, _BIG * 2, np.where(values > 0, values, _BIG))
            choice = np.argmin(key, axis=axis)
            best = np.take_along_axis(key, np.expand_dims(choice, axis), axis).squeeze(axis)
            lone &= best < _BIG * 2  # a line with every cell suppressed cannot need more
            if not lone.any():
                continue
            index = list(np.nonzero(lone))
            index.insert(axis, choice[lone])
            suppressed[tuple(index)] = True
            added += int(lone.sum())
            changed = True
        if not changed:
            return added


def apply_suppression(summaries: Any) -> None:
    """Fill ``summaries.suppressed`` and ``outcomes_suppressed``; hide derived figures."""
    from .summaries import SummaryError

    threshold = summaries.options.suppress_below
    if summaries.options.period_months != 1:
        raise SummaryError(
            "small-count control works on monthly figures: choose a 1-month period with it"
        )
    cube = summaries.cube
    supp = (cube > 0) & (cube < threshold)
    supp[:, ~summaries.present] = False
    primary = int(supp.sum())
    added = secondary(cube, supp, (0, 2))
    summaries.suppressed = supp

    outcomes = summaries.outcomes
    o_supp = (outcomes > 0) & (outcomes < threshold)
    end = summaries.month_pos(summaries.month)
    o_supp[:, -1] = supp[:, end, -1]  # the period total: as the cube decided
    # the total column is fixed by the cube: lines may only add outcome cells
    body = o_supp[:, :-1]
    totals_fixed = o_supp[:, -1].copy()
    while True:
        before = body.sum()
        # rows: outcome groups + total
        full = np.concatenate([body, totals_fixed[:, None]], axis=1)
        lone_rows = full.sum(axis=1) == 1
        key = np.where(body, _BIG * 2, np.where(outcomes[:, :-1] > 0, outcomes[:, :-1], _BIG))
        choice = np.argmin(key, axis=1)
        ok = lone_rows & (key[np.arange(len(key)), choice] < _BIG * 2)
        body[np.flatnonzero(ok), choice[ok]] = True
        secondary(outcomes[:, :-1], body, (0,))
        if body.sum() == before:
            break
    summaries.outcomes_suppressed = np.concatenate([body, totals_fixed[:, None]], axis=1)

    figures = summaries.figures
    n = summaries.n
    total_supp = supp[:, :, -1]
    hide_count = total_supp[:, end]
    prev_hide = total_supp[:, end - 1] if end >= 1 else np.zeros(n + 3, bool)
    year_hide = total_supp[:, end - 12] if end >= 12 else np.zeros(n + 3, bool)
    for column in ("count", "rate", "rank", "chance", "expected_low", "expected_high"):
        figures.loc[hide_count, column] = np.nan if column != "chance" else "suppressed"
    for column in ("previous",):
        figures.loc[prev_hide, column] = np.nan
    for column in ("change_previous", "change_previous_pct"):
        figures.loc[hide_count | prev_hide, column] = np.nan
    figures.loc[year_hide, "year_earlier"] = np.nan
    for column in ("change_year", "change_year_pct"):
        figures.loc[hide_count | year_hide, column] = np.nan
    for i, family in enumerate(summaries.similar):
        if family and hide_count[family].any():
            figures.loc[i, "similar_rate"] = np.nan
    known = np.isfinite(summaries.hoods.population) & (summaries.hoods.population > 0)
    in_known = int(hide_count[:n][known].sum())
    in_rest = int(hide_count[: n + 2].sum()) - in_known
    if in_known == 1 or in_rest == 1:
        figures["force_rate"] = np.nan
        figures.loc[n + 2, "rate"] = np.nan
    summaries.top_locations = [
        [(loc, c) for loc, c in tops if c >= threshold] for tops in summaries.top_locations
    ]
    summaries.notes.append(
        f"Small-count control: counts of 1 to {threshold - 1} are shown as 'fewer than "
        f"{threshold}' ({primary:,} cells), and {added:,} more cells are hidden so that no "
        "hidden count can be worked out from totals or from the other neighbourhoods."
    )
