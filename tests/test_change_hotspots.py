"""Change hotspots: Poisson test of the current period against the baseline mean per cell."""

from __future__ import annotations

import math

import numpy as np
import pytest

from crime_mapper.core.hotspots.change import CHANGE_CLASS_LABELS, change_hotspots
from crime_mapper.core.hotspots.hexgrid import HexGrid, HotspotInputError, hex_cells

BASELINE = ["2022-04", "2022-05", "2022-06", "2022-07", "2022-08", "2022-09"]
GRID = HexGrid(100.0)


def _crimes(cells: dict[float, tuple[list[int], int]]):
    """Points at x (a cell centre on the q axis, y = 0): per baseline month counts, then the
    current (2022-10) count."""
    xs, months = [], []
    for x, (per_month, current) in cells.items():
        for month, count in zip(BASELINE, per_month):
            xs += [x] * count
            months += [month] * count
        xs += [x] * current
        months += ["2022-10"] * current
    x = np.array(xs, dtype=float)
    return x, np.zeros_like(x), np.array(months, dtype=object)


def _poisson_upper(k: int, lam: float) -> float:
    """P(X >= k) for X ~ Poisson(lam), summed term by term (no scipy)."""
    return sum(math.exp(-lam) * lam**j / math.factorial(j) for j in range(k, k + 100))


def _cell(result, x: float) -> int:
    q, r = hex_cells(np.array([x]), np.array([0.0]), GRID)
    return int(np.flatnonzero((result.q == q[0]) & (result.r == r[0]))[0])


def test_hand_example():
    x, y, month = _crimes(
        {
            0.0: ([2, 2, 2, 2, 2, 2], 12),  # mean 2 -> 12: P(X >= 12 | 2) = 1.6e-6 -> 99 %
            1_000.0: ([5, 5, 5, 5, 5, 5], 6),  # mean 5 -> 6: P(X >= 6 | 5) = 0.384 -> nothing
            2_000.0: ([0, 0, 0, 0, 0, 0], 1),  # never seen: lambda floor 0.5 / 6 = 1/12,
            # P(X >= 1) = 1 - e^(-1/12) = 0.080 -> 90 %
            3_000.0: ([10, 10, 10, 10, 10, 10], 2),  # mean 10 -> 2: P(X <= 2) = 61 e^-10 = 0.0028
            4_000.0: ([3, 0, 0, 0, 0, 0], 0),  # mean 0.5 -> 0: P(X >= 0) = 1
        }
    )
    result = change_hotspots(x, y, month, "2022-10", BASELINE, GRID)
    assert len(result) == 5
    a, b, c, d, e = (_cell(result, v) for v in (0.0, 1_000.0, 2_000.0, 3_000.0, 4_000.0))
    assert result.current[[a, b, c, d, e]].tolist() == [12, 6, 1, 2, 0]
    np.testing.assert_allclose(result.baseline_mean[[a, b, c, d, e]], [2, 5, 0, 10, 0.5])
    np.testing.assert_allclose(result.expected[[a, b, c, d, e]], [2, 5, 1 / 12, 10, 0.5])
    np.testing.assert_allclose(result.ratio[[a, b]], [6.0, 1.2])
    assert result.p[a] == pytest.approx(_poisson_upper(12, 2.0), rel=1e-9)
    assert result.p[a] < 2e-6
    assert result.p[b] == pytest.approx(_poisson_upper(6, 5.0), rel=1e-9)
    assert result.p[b] == pytest.approx(0.3840393, abs=1e-6)
    assert result.p[c] == pytest.approx(1 - math.exp(-1 / 12), rel=1e-9)
    assert result.p[e] == 1.0
    assert result.p_decrease[d] == pytest.approx(61 * math.exp(-10), rel=1e-9)
    assert result.change_class[[a, b, c, d, e]].tolist() == [3, 0, 1, 0, 0]
    assert result.p_fdr is None
    assert result.method.startswith(
        "Poisson test of this month's count against the mean of the previous 6 months, per cell"
    )
    both = change_hotspots(x, y, month, "2022-10", BASELINE, GRID, decreases=True)
    assert both.change_class[[a, b, c, d, e]].tolist() == [3, 0, 1, -3, 0]
    assert "decreases" in both.method
    assert set(CHANGE_CLASS_LABELS) == set(range(-3, 4))


def test_fdr_keeps_the_strong_increase_only():
    x, y, month = _crimes(
        {
            0.0: ([2, 2, 2, 2, 2, 2], 12),
            2_000.0: ([0, 0, 0, 0, 0, 0], 1),
            1_000.0: ([5, 5, 5, 5, 5, 5], 6),
            3_000.0: ([10, 10, 10, 10, 10, 10], 2),
        }
    )
    # Four cells: BH q for p = 1.6e-6 is 6.5e-6 (still 99 %); for p = 0.080 (rank 2) it is
    # 0.080 * 4 / 2 = 0.16 > 0.10, so the never-seen cell's single crime is no longer flagged.
    result = change_hotspots(x, y, month, "2022-10", BASELINE, GRID, fdr=True)
    a, c = _cell(result, 0.0), _cell(result, 2_000.0)
    assert result.change_class[a] == 3 and result.change_class[c] == 0
    assert result.p_fdr[c] == pytest.approx((1 - math.exp(-1 / 12)) * 2, rel=1e-9)
    assert "false discovery rate" in result.method


def test_current_period_of_several_months_scales_the_expectation():
    x, y, month = _crimes({0.0: ([2, 2, 2, 2, 2, 2], 0), 1_000.0: ([1, 1, 1, 1, 1, 1], 0)})
    x = np.concatenate([x, [0.0] * 9, [1_000.0] * 2])
    y = np.zeros_like(x)
    month = np.concatenate([month, ["2022-10"] * 5 + ["2022-11"] * 4, ["2022-11"] * 2])
    result = change_hotspots(x, y, month, ["2022-10", "2022-11"], BASELINE[2:], GRID)
    a, b = _cell(result, 0.0), _cell(result, 1_000.0)
    assert result.current[[a, b]].tolist() == [9, 2]
    np.testing.assert_allclose(result.expected[[a, b]], [4.0, 2.0])  # 2 months x mean
    assert result.p[a] == pytest.approx(_poisson_upper(9, 4.0), rel=1e-9)
    assert "2-month period" in result.method and "previous 4 months" in result.method


def test_real_sample_months(repo_root):
    from crime_mapper.core.common.projection import to_projected
    from crime_mapper.core.load.loader import load_extracts

    base = repo_root / "sample_data/police-uk"
    crimes = load_extracts(
        [
            base / "2022-09/2022-09-leicestershire-street.csv",
            base / "2022-10/2022-10-leicestershire-street.csv",
        ]
    ).crimes
    x, y, _zone = to_projected(crimes["longitude"].to_numpy(), crimes["latitude"].to_numpy())
    result = change_hotspots(x, y, crimes["month"], "2022-10", ["2022-09"], HexGrid(250.0))
    located = crimes[crimes["has_location"]]
    assert result.current.sum() == (located["month"] == "2022-10").sum()
    assert result.baseline_mean.sum() == pytest.approx((located["month"] == "2022-09").sum())
    assert (result.change_class >= 0).all() and (result.change_class > 0).any()
    assert "previous 1 month," in result.method


def test_bad_input_is_a_clear_error():
    x, y, month = _crimes({0.0: ([2, 2, 2, 2, 2, 2], 3)})
    with pytest.raises(HotspotInputError, match="no baseline periods"):
        change_hotspots(x, y, month, "2022-10", [], GRID)
    with pytest.raises(
        HotspotInputError,
        match=r"no crimes with a location in the current "
        r"period \(2022-11\)",
    ):
        change_hotspots(x, y, month, "2022-11", BASELINE, GRID)
    with pytest.raises(
        HotspotInputError, match="2022-03 has no crimes with a location; is that month loaded"
    ):
        change_hotspots(x, y, month, "2022-10", ["2022-03"] + BASELINE, GRID)
    with pytest.raises(HotspotInputError, match="both the current period and a baseline"):
        change_hotspots(x, y, month, "2022-10", BASELINE + ["2022-10"], GRID)
    with pytest.raises(HotspotInputError, match="differ in length"):
        change_hotspots(x, y, month[:-1], "2022-10", BASELINE, GRID)
    nowhere = np.full_like(x, np.nan)
    with pytest.raises(HotspotInputError, match="current period"):
        change_hotspots(nowhere, nowhere, month, "2022-10", BASELINE, GRID)
