"""Benjamini-Hochberg false-discovery-rate adjustment and confidence classes.

Why: a hotspot map tests every cell at once; with 10,000 cells and no real clustering about
1,000 would still come out "significant at 90%". Controlling the false discovery rate keeps
the expected share of false hot spots among those shown at the chosen level.
"""

from __future__ import annotations

import numpy as np

from crime_mapper.core.common.vocabulary import flag_value
from crime_mapper.core.hotspots.hexgrid import HotspotInputError

# (confidence class, significance level): class 3 = 99 %, 2 = 95 %, 1 = 90 % confidence.
LEVELS: tuple[tuple[int, float], ...] = ((3, 0.01), (2, 0.05), (1, 0.10))


def fdr_flag(fdr: object) -> bool:
    """``fdr`` (false discovery rate correction: on or off, its only range) as a bool, or
    HotspotInputError naming it: the one check of every entry point that takes it (Gi*,
    the change hotspots, the release configuration; Processing's FDR reads its value by the
    same rule, core.common.vocabulary.flag_value). Why: 2 or -1 ran with the correction on
    and NaN with it off, each without a word."""
    flag = flag_value(fdr)
    if flag is None:
        raise HotspotInputError(
            f"The false discovery rate correction (fdr) is on or off: give true or false "
            f"(or 1 or 0), not {fdr!r}."
        )
    return flag


def bh_adjust(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values): q_(i) = min over j >= i of
    p_(j) * n / j, capped at 1. A cell is significant at level alpha after the correction
    exactly when q <= alpha, which is the BH step-up rule "reject every p <= p_(k), k the
    largest rank with p_(k) <= k alpha / n" (the rule ArcGIS's FDR option applies per level).
    NaN p-values are left NaN and not counted in n."""
    p = np.asarray(p, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    n = valid.size
    if n == 0:
        return out
    order = valid[np.argsort(p[valid], kind="stable")]
    scaled = p[order] * n / np.arange(1, n + 1)
    out[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return out


def confidence_class(p: np.ndarray) -> np.ndarray:
    """0..3 per p-value: 3 when p <= 0.01, 2 when p <= 0.05, 1 when p <= 0.10, else 0
    (NaN gives 0)."""
    p = np.asarray(p, dtype=np.float64)
    out = np.zeros(p.shape, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        for cls, alpha in reversed(LEVELS):
            out[p <= alpha] = cls
    return out
