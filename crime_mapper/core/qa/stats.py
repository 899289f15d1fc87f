"""The tests behind the release QA's "far outside the usual range" findings.

Why negative binomial: a force's monthly counts vary more than a Poisson count would (seasons,
operations, reporting drives), so a Poisson interval on the 12-month mean cries wolf every
month. Each unit (a category, an area, the month's total) gets a negative-binomial predictive
distribution whose mean is its 12-month mean m and whose variance is

    V = m + alpha * m**2 + s**2 / n

where alpha is the unit's own extra-Poisson dispersion ((s**2 - m) / m**2 from its n monthly
counts, s**2 their sample variance, at least 0) shrunk towards the median dispersion of its
family as if that were PRIOR_MONTHS more months of evidence (a unit whose twelve months
happened to be calm is not trusted to stay quite that calm), and s**2 / n is the uncertainty
of the mean itself. The two-sided p-value of this month's count x is
min(1, 2 * min(P(X <= x), P(X >= x))), and a family of k tests (14 categories, several hundred
areas) is corrected by Bonferroni: p_adjusted = min(1, k * p). The "usual range" shown with a
finding is the central interval that holds with probability 1 - 0.01 / k (so 99% for the whole
family at once).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# A unit never seen in the history is treated as if it had half a crime over the whole history
# (as the change hotspots do), so one new crime is not "infinitely" unusual.
UNSEEN_MEAN_CRIMES = 0.5
RANGE_LEVEL = 0.01  # family-wise level of the "usual range" interval
PRIOR_MONTHS = 4.0  # weight, in months, of the family's dispersion in each unit's


@dataclass
class CountTest:
    """The test of one family of units; arrays are aligned with ``units``."""

    units: list[str]
    observed: np.ndarray
    expected: np.ndarray
    variance: np.ndarray
    p: np.ndarray
    p_adj: np.ndarray  # Bonferroni-adjusted
    low: np.ndarray  # the usual range, family-wise 99%
    high: np.ndarray
    dispersion: float  # the family's median alpha (the floor)

    @property
    def tests(self) -> int:
        return len(self.units)


def _nbinom(mean: np.ndarray, variance: np.ndarray):
    """scipy's nbinom (n, p) for a mean and variance; a variance at or below the mean gives a
    nearly-Poisson distribution (a huge n)."""
    extra = np.maximum(variance - mean, mean * 1e-9 + 1e-12)
    n = mean**2 / extra
    p = n / (n + mean)
    return n, p


def two_sided_p(observed: np.ndarray, mean: np.ndarray, variance: np.ndarray) -> np.ndarray:
    from scipy.stats import nbinom

    n, p = _nbinom(mean, variance)
    lower = nbinom.cdf(observed, n, p)
    upper = nbinom.sf(observed - 1, n, p)
    return np.minimum(1.0, 2.0 * np.minimum(lower, upper))


def lower_p(observed: np.ndarray, mean: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """One-sided P(X <= observed): how surprising a count this low is."""
    from scipy.stats import nbinom

    n, p = _nbinom(mean, variance)
    return nbinom.cdf(observed, n, p)


def upper_p(observed: np.ndarray, mean: np.ndarray, variance: np.ndarray) -> np.ndarray:
    from scipy.stats import nbinom

    n, p = _nbinom(mean, variance)
    return nbinom.sf(observed - 1, n, p)


def interval(mean: np.ndarray, variance: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Central interval holding with probability 1 - level."""
    from scipy.stats import nbinom

    n, p = _nbinom(mean, variance)
    return nbinom.ppf(level / 2.0, n, p), nbinom.isf(level / 2.0, n, p)


def count_test(units: list[str], history: np.ndarray, observed: np.ndarray) -> CountTest:
    """Test each unit's ``observed`` count against its row of ``history`` (units x months).

    See the module docstring for the model. Needs at least two months of history."""
    history = np.asarray(history, dtype=np.float64)
    observed = np.asarray(observed, dtype=np.float64)
    months = history.shape[1]
    if months < 2:
        raise ValueError("the count test needs at least two months of history")
    mean = history.mean(axis=1)
    mean = np.maximum(mean, UNSEEN_MEAN_CRIMES / months)
    var = history.var(axis=1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha_unit = np.where(mean > 0, (var - mean) / mean**2, 0.0)
    alpha_unit = np.clip(np.nan_to_num(alpha_unit), 0.0, None)
    settled = mean >= 5.0  # dispersion of tiny counts is mostly noise
    floor = float(np.median(alpha_unit[settled])) if settled.any() else 0.0
    alpha = (months * alpha_unit + PRIOR_MONTHS * floor) / (months + PRIOR_MONTHS)
    variance = mean + alpha * mean**2 + var / months
    p = two_sided_p(observed, mean, variance)
    k = max(len(units), 1)
    p_adj = np.minimum(1.0, p * k)
    low, high = interval(mean, variance, RANGE_LEVEL / k)
    return CountTest(list(units), observed, mean, variance, p, p_adj, low, high, floor)


def robust_level(counts: np.ndarray) -> tuple[float, float]:
    """(typical count, variance) of counts that may hold a few broken values (a missing week):
    the median, and the squared scaled median absolute deviation, never below the median
    (Poisson)."""
    counts = np.asarray(counts, dtype=np.float64)
    if counts.size == 0:
        return 0.0, 0.0
    median = float(np.median(counts))
    mad = float(np.median(np.abs(counts - median))) * 1.4826
    return median, max(mad**2, median)
