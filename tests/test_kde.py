"""Quartic kernel density surface: mass, shape, bandwidth rule, limits (core, no QGIS)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from crime_mapper.core.hotspots.hexgrid import HotspotInputError, TooManyCells
from crime_mapper.core.hotspots.kde import (
    kde_surface,
    quartic_kernel,
    raster_geotransform,
    silverman_bandwidth,
)


def _clustered(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.uniform([440_000, 290_000], [470_000, 320_000], (20, 2))
    pick = rng.integers(0, 20, n)
    return (centres[pick, 0] + rng.normal(0, 800, n), centres[pick, 1] + rng.normal(0, 800, n))


def test_surface_integrates_to_the_number_of_crimes():
    x, y = _clustered(20_000)
    result = kde_surface(x, y, cell_m=100.0)
    integral = float(result.density.astype(np.float64).sum()) * (100.0 * 100.0) / 1e6
    assert integral == pytest.approx(20_000, rel=0.01)
    assert result.density.dtype == np.float32 and (result.density >= 0).all()
    assert result.n_points == 20_000


def test_single_point_gives_the_analytic_quartic_profile():
    # The point sits on a cell centre, so cell centres are at exact multiples of 10 m from it.
    result = kde_surface(np.array([1005.0]), np.array([2005.0]), cell_m=10.0, bandwidth_m=500.0)
    density = result.density.astype(np.float64)
    rows, cols = density.shape
    assert (rows, cols) == (101, 101) and (result.x_min, result.y_max) == (500.0, 2510.0)
    centre = np.unravel_index(np.argmax(density), density.shape)
    assert centre == (50, 50)
    offsets = (np.arange(cols) - 50) * 10.0
    distance = np.hypot(offsets[None, :], offsets[:, None])
    analytic = quartic_kernel(distance, 500.0) * 1e6  # crimes per km²
    assert density[50, 50] == pytest.approx(3e6 / (math.pi * 500.0**2), rel=0.002)
    np.testing.assert_allclose(density, analytic, rtol=0, atol=0.002 * analytic.max())
    assert (density[distance >= 500.0] == 0).all()
    # Symmetric under every reflection of the square.
    np.testing.assert_allclose(density, density[::-1, :], rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(density, density[:, ::-1], rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(density, density.T, rtol=1e-5, atol=1e-9)


def test_fft_surface_equals_a_direct_sum_over_points():
    """Independent path: add the normalised sampled kernel around each binned point in a loop."""
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 3_000, 60)
    y = rng.uniform(0, 2_000, 60)
    cell, h = 50.0, 400.0
    result = kde_surface(x, y, cell_m=cell, bandwidth_m=h)
    rows, cols = result.density.shape
    reach = 8
    offsets = np.arange(-reach, reach + 1) * cell
    kernel = quartic_kernel(np.hypot(offsets[:, None], offsets[None, :]), h)
    kernel *= 1e6 / (kernel.sum() * cell * cell)
    direct = np.zeros((rows, cols))
    for px, py in zip(x, y):
        col = int((px - result.x_min) // cell)
        row = int((result.y_max - py) // cell)
        direct[row - reach : row + reach + 1, col - reach : col + reach + 1] += kernel
    np.testing.assert_allclose(result.density, direct, rtol=1e-5, atol=1e-6 * direct.max())


def test_bandwidth_override_and_extent():
    x, y = _clustered(2_000, seed=1)
    result = kde_surface(x, y, cell_m=50.0, bandwidth_m=300.0)
    assert result.bandwidth_m == 300.0 and "set by the user" in result.bandwidth_rule
    assert result.x_min % 50.0 == 0 and result.y_max % 50.0 == 0
    assert result.x_min <= x.min() - 300.0 and result.y_max >= y.max() + 300.0
    x_max = result.x_min + result.density.shape[1] * 50.0
    y_min = result.y_max - result.density.shape[0] * 50.0
    assert x_max >= x.max() + 300.0 and y_min <= y.min() - 300.0
    assert result.geotransform == (result.x_min, 50.0, 0.0, result.y_max, 0.0, -50.0)
    assert raster_geotransform(10, 20, 5) == (10.0, 5.0, 0.0, 20.0, 0.0, -5.0)
    wide = kde_surface(x, y, cell_m=50.0, bandwidth_m=1_500.0)
    assert wide.density.max() < result.density.max()


def test_bandwidth_rule_on_known_distributions():
    # 1,024 points evenly on a 20 km circle: SD = Dm = 20,000 m, n^-0.2 = 1/4,
    # h = 0.9 * min(20,000, 1.2011 * 20,000) / 4 = 4,500 m.
    angle = np.arange(1_024) * 2 * math.pi / 1_024
    x, y = 300_000 + 20_000 * np.cos(angle), 400_000 + 20_000 * np.sin(angle)
    h, sd, dm = silverman_bandwidth(x, y)
    assert (h, sd, dm) == pytest.approx((4_500.0, 20_000.0, 20_000.0), rel=1e-9)
    result = kde_surface(x, y, cell_m=500.0)
    assert result.bandwidth_m == pytest.approx(4_500.0)
    assert "Silverman" in result.bandwidth_rule and "4,500 m" in result.bandwidth_rule
    # 24 points on a 1 km circle and 8 on a 10 km circle, n = 32 (n^-0.2 = 1/2), mean centre 0:
    # SD = sqrt((24 * 1e6 + 8 * 1e8) / 32) = 5,074 m; Dm = 1,000 m (median distance), so the
    # robust term wins: h = 0.9 * sqrt(1 / ln 2) * 1,000 / 2 = 540.4 m.
    inner = np.arange(24) * 2 * math.pi / 24
    outer = np.arange(8) * 2 * math.pi / 8
    x = np.concatenate([1_000 * np.cos(inner), 10_000 * np.cos(outer)])
    y = np.concatenate([1_000 * np.sin(inner), 10_000 * np.sin(outer)])
    h, sd, dm = silverman_bandwidth(x, y)
    assert sd == pytest.approx(math.sqrt(25.75e6), rel=1e-9)
    assert dm == pytest.approx(1_000.0, rel=1e-9)
    assert h == pytest.approx(0.9 * math.sqrt(1 / math.log(2)) * 1_000 / 2, rel=1e-9)


def test_degenerate_input_is_clamped_to_the_minimum_bandwidth():
    result = kde_surface(np.array([500.0, 500.0]), np.array([700.0, 700.0]))
    assert result.bandwidth_m == 100.0
    assert "clamped to 100-5,000 m" in result.bandwidth_rule
    integral = float(result.density.astype(np.float64).sum()) * 50 * 50 / 1e6
    assert integral == pytest.approx(2.0, rel=1e-6)


def test_too_many_cells_and_bad_input():
    x = np.array([0.0, 100_000.0])
    with pytest.raises(TooManyCells, match=r"1 m cells .* coarser cell size") as caught:
        kde_surface(x, x, cell_m=1.0, bandwidth_m=500.0)
    assert "25,000,000" in str(caught.value)
    with pytest.raises(TooManyCells):
        kde_surface(x, x, cell_m=50.0, bandwidth_m=500.0, max_cells=1_000)
    with pytest.raises(HotspotInputError, match="no crimes with a location"):
        kde_surface(np.array([np.nan]), np.array([np.nan]))
    with pytest.raises(HotspotInputError, match="no crimes with a location"):
        kde_surface(np.array([]), np.array([]))
    with pytest.raises(HotspotInputError, match="cell size must be a positive"):
        kde_surface(x, x, cell_m=0.0)
    with pytest.raises(HotspotInputError, match="bandwidth must be a positive"):
        kde_surface(x, x, bandwidth_m=-3.0)
    with pytest.raises(HotspotInputError, match="bandwidth must be a number"):
        kde_surface(x, x, bandwidth_m="wide")  # type: ignore[arg-type]
    # NaN points (crimes without a location) are left out, not an error.
    assert kde_surface(np.array([np.nan, 10.0]), np.array([1.0, 10.0])).n_points == 1
