"""Getis-Ord Gi* hot and cold spots on hexagon counts.

Getis & Ord (1995), "Local spatial autocorrelation statistics: distributional issues and an
application", Geographical Analysis 27(4), with binary weights: w_ij = 1 when cell j is cell i
itself or within `rings` hexagon steps of it (rings=1: the cell and its 6 neighbours), else 0.
For n cells with values x, mean xbar and population standard deviation S:

    z_i = (sum_j w_ij x_j - xbar W_i) / (S sqrt((n sum_j w_ij^2 - W_i^2) / (n - 1))),
    W_i = sum_j w_ij

which is the z-score ArcGIS's Hot Spot Analysis and PySAL's esda.G_Local(star=True,
transform="B") report. Only the cells given form the study area: a neighbour that is not in
the input is absent (not a zero), so pass the zero cells around the crimes too
(hexgrid.grid_counts does). p-values are two-sided from the standard normal distribution.

Why binary hexagon rings instead of a distance band: on a hexagon lattice "within k steps" is
a distance band, it is cheap, and every cell's weight set is the same shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from crime_mapper.core.common.dependencies import require
from crime_mapper.core.hotspots.fdr import bh_adjust, confidence_class, fdr_flag
from crime_mapper.core.hotspots.hexgrid import HotspotInputError, TooManyCells, ring_offsets

__all__ = [
    "GI_CLASS_LABELS",
    "GiResult",
    "HotspotInputError",
    "TooManyCells",
    "gi_star",
    "neighbour_table",
]

# ArcGIS's Gi_Bin wording, so analysts see familiar legend entries.
GI_CLASS_LABELS: dict[int, str] = {
    3: "Hot spot, 99% confidence",
    2: "Hot spot, 95% confidence",
    1: "Hot spot, 90% confidence",
    0: "Not significant",
    -1: "Cold spot, 90% confidence",
    -2: "Cold spot, 95% confidence",
    -3: "Cold spot, 99% confidence",
}

MIN_RELIABLE_CELLS = 30


@dataclass
class GiResult:
    """Per input cell, in input order."""

    z: np.ndarray  # float64 Gi* z-score
    p: np.ndarray  # float64 two-sided p-value
    hotspot_class: np.ndarray  # int8, -3..3 (see GI_CLASS_LABELS)
    neighbours: np.ndarray  # int32 W_i: cells in the weight set, the cell itself included
    p_fdr: Optional[np.ndarray]  # Benjamini-Hochberg adjusted p when fdr=True, else None
    rings: int
    fdr: bool
    method: str  # one sentence for the legend
    warnings: list[str] = field(default_factory=list)


def neighbour_table(q: np.ndarray, r: np.ndarray, rings: int = 1) -> np.ndarray:
    """(n, k) index of each cell's weight set among the input cells, -1 where that lattice
    cell is not in the input; column 0 is the cell itself, k = 1 + 3 rings (rings + 1).

    Vectorised: cells get an int64 key on the bounding box of their axial coordinates, the
    keys are sorted once and each of the k offsets is one searchsorted."""
    q = np.asarray(q, dtype=np.int64).ravel()
    r = np.asarray(r, dtype=np.int64).ravel()
    if q.shape != r.shape:
        raise HotspotInputError(f"q and r differ in length ({q.size} and {r.size}).")
    dq, dr = ring_offsets(int(rings))
    n = q.size
    table = np.full((n, dq.size), -1, dtype=np.int64)
    if n == 0:
        return table
    q0, r0 = int(q.min()) - rings, int(r.min()) - rings
    span_r = int(r.max()) + rings - r0 + 1
    keys = (q - q0) * span_r + (r - r0)
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    if n > 1 and (np.diff(sorted_keys) == 0).any():
        raise HotspotInputError("The same hexagon appears more than once in the input cells.")
    for column, shift in enumerate(dq * span_r + dr):
        wanted = keys + shift
        pos = np.minimum(np.searchsorted(sorted_keys, wanted), n - 1)
        hit = sorted_keys[pos] == wanted
        table[hit, column] = order[pos[hit]]
    return table


def gi_star(
    q: np.ndarray, r: np.ndarray, values: np.ndarray, rings: int = 1, fdr: bool = False
) -> GiResult:
    """Gi* z-scores, p-values and classes for cells (q, r) holding `values` (usually counts).

    Classes: +3/+2/+1 hot spot when z > 0 and p <= 0.01/0.05/0.10 (99/95/90 % confidence),
    -1..-3 the same for cold spots (z < 0), 0 otherwise. With fdr=True the p-values are
    Benjamini-Hochberg adjusted over all cells and a cell keeps the highest confidence level
    whose adjusted p is still <= its alpha (the same as ArcGIS's per-level FDR threshold).

    A cell whose weight set is the whole study area (W_i = n) has an undefined z (0/0); it gets
    z = 0, p = 1. Raises HotspotInputError for fewer than 2 cells, non-finite values, duplicate
    cells, or values that are all equal (no variation: nothing can be hot or cold), and for
    an ``fdr`` that is not true or false (fdr.fdr_flag)."""
    fdr = fdr_flag(fdr)
    values = np.asarray(values, dtype=np.float64).ravel()
    table = neighbour_table(q, r, rings)
    n = values.size
    if table.shape[0] != n:
        raise HotspotInputError(f"There are {table.shape[0]} cells but {n} values.")
    if n < 2:
        raise HotspotInputError(
            f"Getis-Ord Gi* needs at least 2 cells; there {'is' if n == 1 else 'are'} {n}."
        )
    if not np.isfinite(values).all():
        raise HotspotInputError("Some cell values are missing or infinite.")
    mean = values.mean()
    std = np.sqrt(max(np.mean(values * values) - mean * mean, 0.0))
    if std <= 1e-12 * max(1.0, abs(mean)):
        raise HotspotInputError(
            "Every cell has the same count, so no cell can be a hot or cold spot. Use a smaller "
            "hexagon size or more months."
        )
    present = table >= 0
    local_sum = np.where(present, values[np.where(present, table, 0)], 0.0).sum(axis=1)
    weight = present.sum(axis=1)
    w = weight.astype(np.float64)
    numerator = local_sum - mean * w
    spread = np.sqrt(np.maximum(n * w - w * w, 0.0) / (n - 1))
    defined = spread > 0
    z = np.zeros(n)
    z[defined] = numerator[defined] / (std * spread[defined])
    special = require("scipy.special", "Getis-Ord Gi* hotspots")  # see core.common.dependencies
    p = 2.0 * special.ndtr(-np.abs(z))
    p_fdr = bh_adjust(p) if fdr else None
    level = confidence_class(p_fdr if p_fdr is not None else p)
    hotspot_class = (np.sign(z).astype(np.int8) * level).astype(np.int8)

    warnings: list[str] = []
    if n < MIN_RELIABLE_CELLS:
        warnings.append(
            f"Only {n} cells: Gi* is unreliable with fewer than "
            f"{MIN_RELIABLE_CELLS}; use a smaller hexagon size."
        )
    ring_word = "ring" if rings == 1 else "rings"
    method = (
        f"Getis-Ord Gi*: each hexagon and its neighbours within {rings} {ring_word} "
        f"compared with the mean of all {n:,} cells; hot/cold spots at 90/95/99% "
        "confidence (two-sided)"
        + (", false discovery rate corrected (Benjamini-Hochberg)." if fdr else ".")
    )
    return GiResult(
        z=z,
        p=p,
        hotspot_class=hotspot_class,
        neighbours=weight.astype(np.int32),
        p_fdr=p_fdr,
        rings=int(rings),
        fdr=bool(fdr),
        method=method,
        warnings=warnings,
    )
