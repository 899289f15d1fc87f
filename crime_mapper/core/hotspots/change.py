"""Change hotspots: hexagons where this period's count is significantly above the usual.

Method, per hexagon: the baseline rate lambda is the mean count per baseline period (e.g. the
previous 6 months); the current count is compared with a Poisson distribution of that mean,
one-sided, p = P(X >= current | lambda). Why Poisson: crime counts in a small cell over a month
are rare events, their month-to-month variation is close to Poisson, and the test needs only
the baseline mean, so it works with as few as one baseline month. Why per cell, not Gi*: the
question is "what is new here", not "where is crime clustered", and a cell that is always busy
should not light up every month.

Choices, each documented in the result's `method` text for the legend:
- A cell with no crimes in any baseline period would have lambda = 0 and any crime at all
  would be "infinitely" significant; lambda is floored at 0.5 / (number of baseline periods),
  i.e. as if half a crime had been seen over the whole baseline.
- When the current period spans k labels (e.g. a quarter, three months) the expected count is
  k * lambda, each baseline label being one period of the same unit.
- Classes: 3/2/1 = increase significant at 99/95/90 % (p <= 0.01/0.05/0.10), 0 otherwise;
  with decreases=True also -1..-3 from the lower tail P(X <= current | lambda).
- fdr=True: Benjamini-Hochberg over all cells, separately for increases and decreases.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Optional, Union

import numpy as np

from crime_mapper.core.common.dependencies import require
from crime_mapper.core.hotspots.fdr import bh_adjust, confidence_class, fdr_flag
from crime_mapper.core.hotspots.hexgrid import HexGrid, HotspotInputError, hex_cells

__all__ = ["CHANGE_CLASS_LABELS", "ChangeResult", "HotspotInputError", "change_hotspots"]

CHANGE_CLASS_LABELS: dict[int, str] = {
    3: "Increase, 99% confidence",
    2: "Increase, 95% confidence",
    1: "Increase, 90% confidence",
    0: "No significant change",
    -1: "Decrease, 90% confidence",
    -2: "Decrease, 95% confidence",
    -3: "Decrease, 99% confidence",
}

Period = Union[Hashable, Sequence[Hashable]]


@dataclass
class ChangeResult:
    """One row per hexagon with a crime in the current or any baseline period, sorted by
    (q, r)."""

    q: np.ndarray  # int64
    r: np.ndarray  # int64
    current: np.ndarray  # int64 count in the current period
    baseline_mean: np.ndarray  # float64 mean count per baseline period (unfloored)
    expected: np.ndarray  # float64 lambda used by the test: floored mean x current span
    ratio: np.ndarray  # float64 current / expected
    p: np.ndarray  # float64 P(X >= current | expected): the increase test
    p_decrease: np.ndarray  # float64 P(X <= current | expected)
    p_fdr: Optional[np.ndarray]  # BH-adjusted p of the increase test when fdr=True
    p_decrease_fdr: Optional[np.ndarray]  # BH-adjusted p of the decrease test when fdr=True
    change_class: np.ndarray  # int8 -3..3 (see CHANGE_CLASS_LABELS)
    method: str  # one sentence for the legend
    current_periods: list
    baseline_periods: list
    grid: HexGrid

    def __len__(self) -> int:
        return int(self.q.size)


def _as_list(value: Period) -> list:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        if isinstance(value, (set, frozenset, np.ndarray)):
            return list(value)
        return [value]
    return list(value)


def change_hotspots(
    x: np.ndarray,
    y: np.ndarray,
    period: np.ndarray,
    current: Period,
    baseline: Sequence[Hashable],
    grid: HexGrid,
    fdr: bool = False,
    decreases: bool = False,
    loaded: Optional[Sequence[Hashable]] = None,
) -> ChangeResult:
    """Poisson change test per hexagon of `grid` for points (x, y) labelled with `period`
    (e.g. the month "2022-10"): `current` is one label or a list of labels forming the current
    period, `baseline` the earlier labels, each one baseline period. Points in other periods
    and points without coordinates are ignored.

    ``loaded``: the labels the input holds at all (every category, e.g. a layer's months).
    A baseline period among them with no crimes here is a real zero and counts in the
    baseline mean; leaving it out would overstate the usual level.

    Raises HotspotInputError when there are no baseline periods, when a label is both current
    and baseline, when the current period has no crimes, or when a baseline period has none
    and is not known to be loaded (``loaded`` None, or the period not in it): almost always a
    month that was not loaded, which would make everything look like an increase; and for an
    ``fdr`` that is not true or false (fdr.fdr_flag)."""
    fdr = fdr_flag(fdr)
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    labels = np.asarray(period, dtype=object).ravel()
    if not (x.size == y.size == labels.size):
        raise HotspotInputError(
            f"x, y and period differ in length ({x.size}, {y.size}, {labels.size})."
        )
    current_list = _as_list(current)
    baseline_list = list(dict.fromkeys(_as_list(baseline)))
    if not current_list:
        raise HotspotInputError("No current period was chosen.")
    if not baseline_list:
        raise HotspotInputError(
            "There are no baseline periods to compare with: choose at least one earlier month."
        )
    both = set(map(str, current_list)) & set(map(str, baseline_list))
    if both:
        raise HotspotInputError(
            f"{', '.join(sorted(both))} is both the current period and a baseline period."
        )
    finite = np.isfinite(x) & np.isfinite(y)
    label_text = np.array([str(v) for v in labels], dtype=object) if labels.size else labels
    in_current = finite & np.isin(label_text, [str(v) for v in current_list])
    if not in_current.any():
        raise HotspotInputError(
            f"There are no crimes with a location in the current period "
            f"({', '.join(map(str, current_list))})."
        )
    base_index = np.full(x.size, -1, dtype=np.int64)
    for i, label in enumerate(baseline_list):
        base_index[finite & (label_text == str(label))] = i
    per_period = np.bincount(base_index[base_index >= 0], minlength=len(baseline_list))
    held = {str(label) for label in loaded} if loaded is not None else set()
    empty = [
        str(label)
        for label, c in zip(baseline_list, per_period)
        if c == 0 and str(label) not in held
    ]
    if empty:
        raise HotspotInputError(
            f"The baseline period{'s' if len(empty) > 1 else ''} {', '.join(empty)} "
            f"{'have' if len(empty) > 1 else 'has'} no crimes with a location; is that month "
            "loaded? Leave it out of the baseline or load it."
        )

    used = in_current | (base_index >= 0)
    q, r = hex_cells(x[used], y[used], grid)
    q0, r0 = int(q.min()), int(r.min())
    span_r = int(r.max()) - r0 + 1
    keys = (q - q0) * span_r + (r - r0)
    cells, cell_of = np.unique(keys, return_inverse=True)
    current_count = np.bincount(cell_of[in_current[used]], minlength=cells.size)
    baseline_total = np.bincount(cell_of[base_index[used] >= 0], minlength=cells.size)

    n_base = len(baseline_list)
    span = len(current_list)
    baseline_mean = baseline_total / n_base
    floor = 0.5 / n_base
    expected = np.maximum(baseline_mean, floor) * span
    poisson = require("scipy.stats", "Change hotspots").poisson  # see core.common.dependencies
    p_up = poisson.sf(current_count - 1, expected)
    p_down = poisson.cdf(current_count, expected)
    p_fdr = bh_adjust(p_up) if fdr else None
    change_class = confidence_class(p_fdr if p_fdr is not None else p_up)
    p_down_fdr = bh_adjust(p_down) if fdr and decreases else None
    if decreases:
        down = confidence_class(p_down_fdr if p_down_fdr is not None else p_down)
        take = (change_class == 0) & (down > 0)
        change_class[take] = -down[take]

    period_word = "this month's" if span == 1 else f"this {span}-month period's"
    method = (
        f"Poisson test of {period_word} count against the mean of the previous "
        f"{n_base} month{'s' if n_base != 1 else ''}, per cell"
        + (f" (times {span})" if span != 1 else "")
        + "; increases"
        + (" and decreases" if decreases else "")
        + " at 90/95/99% confidence"
        + (", false discovery rate corrected (Benjamini-Hochberg)" if fdr else "")
        + f"; cells never seen in the baseline count as {floor:g} crimes a month."
    )
    return ChangeResult(
        q=cells // span_r + q0,
        r=cells % span_r + r0,
        current=current_count.astype(np.int64),
        baseline_mean=baseline_mean,
        expected=expected,
        ratio=current_count / expected,
        p=p_up,
        p_decrease=p_down,
        p_fdr=p_fdr,
        p_decrease_fdr=p_down_fdr,
        change_class=change_class.astype(np.int8),
        method=method,
        current_periods=current_list,
        baseline_periods=baseline_list,
        grid=grid,
    )
