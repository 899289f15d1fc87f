"""Hexagon lattice geometry, grid counts and the hotspot input checks (core, no QGIS)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.hotspots.hexgrid import (
    SMALLEST_SIZE_M,
    HexGrid,
    HotspotInputError,
    TooManyCells,
    grid_counts,
    hex_cells,
    hex_centres,
    hex_polygons,
    metres,
    ring_offsets,
)
from crime_mapper.core.hotspots.selection import select

SQRT3 = math.sqrt(3.0)


def test_lattice_is_anchored_at_the_crs_origin_with_pointy_top_cells():
    grid = HexGrid(200.0)
    q, r = hex_cells(np.array([0.0, 200.0, 100.0]), np.array([0.0, 0.0, 100.0 * SQRT3]), grid)
    assert q.tolist() == [0, 1, 0] and r.tolist() == [0, 0, 1]
    x, y = hex_centres(np.array([1, 0, -1]), np.array([0, 1, 1]), grid)
    np.testing.assert_allclose(x, [200.0, 100.0, -100.0])
    np.testing.assert_allclose(y, [0.0, 100.0 * SQRT3, 100.0 * SQRT3])
    ring = hex_polygons(np.array([0]), np.array([0]), grid)[0]
    radius = 200.0 / SQRT3
    # Pointy top: a vertex straight above the centre, flat sides left and right.
    assert np.any(np.all(np.isclose(ring, [0.0, radius]), axis=1))
    assert np.isclose(ring[:, 0].max(), 100.0)


def test_every_neighbour_centre_is_size_metres_away():
    grid = HexGrid(350.0)
    dq, dr = ring_offsets(1)
    x, y = hex_centres(dq[1:] + 7, dr[1:] - 3, grid)
    cx, cy = hex_centres(np.array([7]), np.array([-3]), grid)
    np.testing.assert_allclose(np.hypot(x - cx, y - cy), 350.0)


def test_ring_offsets_count_and_order():
    for k in range(5):
        dq, dr = ring_offsets(k)
        assert dq.size == 1 + 3 * k * (k + 1)
        assert (dq[0], dr[0]) == (0, 0)
        assert np.max(np.maximum(np.abs(dq), np.maximum(np.abs(dr), np.abs(dq + dr)))) == k
    with pytest.raises(HotspotInputError):
        ring_offsets(-1)


def test_points_go_to_their_nearest_centre():
    """Brute-force check of the cube rounding: the cell of each random point is the lattice
    centre nearest to it (searching all 19 cells around the rough cell)."""
    grid = HexGrid(123.0)
    rng = np.random.default_rng(5)
    x = rng.uniform(-5_000, 5_000, 20_000)
    y = rng.uniform(-5_000, 5_000, 20_000)
    q, r = hex_cells(x, y, grid)
    rough_r = np.floor(y / (123.0 * SQRT3 / 2))
    rough_q = np.floor(x / 123.0 - rough_r / 2)
    dq, dr = ring_offsets(2)
    cand_q = rough_q[:, None] + dq[None, :]
    cand_r = rough_r[:, None] + dr[None, :]
    cx, cy = hex_centres(cand_q, cand_r, grid)
    best = np.argmin(np.hypot(cx - x[:, None], cy - y[:, None]), axis=1)
    rows = np.arange(x.size)
    assert (q == cand_q[rows, best]).all()
    assert (r == cand_r[rows, best]).all()


def test_centres_round_trip_and_polygons_tile():
    grid = HexGrid(250.0, "EPSG:2157")
    rng = np.random.default_rng(1)
    q = rng.integers(-3_000, 3_000, 1_000)
    r = rng.integers(-3_000, 3_000, 1_000)
    q2, r2 = hex_cells(*hex_centres(q, r, grid), grid)
    assert (q2 == q).all() and (r2 == r).all()
    rings = hex_polygons(q, r, grid)
    assert rings.shape == (1_000, 7, 2)
    assert (rings[:, 0] == rings[:, 6]).all()
    xs, ys = rings[:, :, 0], rings[:, :, 1]
    shoelace = 0.5 * np.sum(xs[:, :-1] * ys[:, 1:] - xs[:, 1:] * ys[:, :-1], axis=1)
    np.testing.assert_allclose(shoelace, SQRT3 / 2 * 250.0**2)  # positive: counter-clockwise
    assert math.isclose(grid.cell_area_m2, SQRT3 / 2 * 250.0**2)
    # Neighbours share an edge: exactly two vertices in common.
    pair = hex_polygons(np.array([0, 1]), np.array([0, 0]), grid)
    shared = np.isclose(pair[0, :6, None, :], pair[1, None, :6, :]).all(axis=2).sum()
    assert shared == 2


def test_grid_counts_adds_rings_of_zero_cells():
    grid = HexGrid(100.0)
    one = grid_counts(np.array([0.0]), np.array([0.0]), grid, rings=1)
    assert len(one) == 7 and one.count.sum() == 1 and one.n_points == 1
    assert one.count[(one.q == 0) & (one.r == 0)].tolist() == [1]
    assert len(grid_counts(np.array([0.0]), np.array([0.0]), grid, rings=2)) == 19
    assert len(grid_counts(np.array([0.0]), np.array([0.0]), grid, rings=0)) == 1
    # Two cells far apart: 7 + 7; two neighbours: 7 + 7 - 4 shared (the pair and 2 common).
    far = grid_counts(np.array([0.0, 10_000.0]), np.array([0.0, 0.0]), grid)
    assert len(far) == 14
    near = grid_counts(np.array([0.0, 100.0, 1.0]), np.array([0.0, 0.0, 1.0]), grid)
    assert len(near) == 10 and near.count.sum() == 3 and near.count.max() == 2
    keys = near.q * 1_000 + near.r
    assert (np.diff(keys) > 0).all()  # sorted by (q, r), no duplicates


def test_grid_counts_real_sample_month(repo_root):
    from crime_mapper.core.common.projection import to_projected
    from crime_mapper.core.load.loader import load_extracts

    crimes = load_extracts(
        [repo_root / "sample_data/police-uk/2022-10/2022-10-leicestershire-street.csv"]
    ).crimes
    x, y, _zone = to_projected(crimes["longitude"].to_numpy(), crimes["latitude"].to_numpy())
    counts = grid_counts(x, y, HexGrid(250.0))
    located = int(crimes["has_location"].sum())
    assert counts.n_points == located == 4_836 - 402
    assert counts.count.sum() == located
    # The same crimes as a subset land in the very same cells: the lattice does not move.
    half = grid_counts(x[::2], y[::2], HexGrid(250.0))
    full = dict(zip(zip(counts.q.tolist(), counts.r.tolist()), counts.count.tolist()))
    assert all((q, r) in full for q, r in zip(half.q.tolist(), half.r.tolist()))


def test_nan_points_are_left_out_and_empty_input_is_a_clear_error():
    grid = HexGrid(100.0)
    counts = grid_counts(np.array([np.nan, 5.0]), np.array([1.0, 5.0]), grid)
    assert counts.n_points == 1
    for x, y in ((np.array([]), np.array([])), (np.array([np.nan]), np.array([np.nan]))):
        with pytest.raises(HotspotInputError, match="no crimes with a location"):
            grid_counts(x, y, grid)
    with pytest.raises(HotspotInputError, match="differ in length"):
        grid_counts(np.zeros(2), np.zeros(3), grid)


def test_too_many_cells_is_refused_with_the_size_and_the_count():
    grid = HexGrid(100.0)
    x = np.array([0.0])
    assert len(grid_counts(x, x, grid, max_cells=7)) == 7
    with pytest.raises(TooManyCells, match=r"100 m hexagon grid would need at least 7 cells"):
        grid_counts(x, x, grid, max_cells=6)
    rng = np.random.default_rng(0)
    px = rng.uniform(0, 60_000, 50_000)
    py = rng.uniform(0, 60_000, 50_000)
    with pytest.raises(TooManyCells) as caught:
        grid_counts(px, py, HexGrid(10.0), max_cells=100_000)
    message = str(caught.value)
    assert "10 m hexagon grid" in message and "100,000" in message and "larger hexagon" in message
    assert isinstance(caught.value, HotspotInputError)
    with pytest.raises(TooManyCells, match=r"would need 50,000 cells"):
        grid_counts(px * 10, py * 10, HexGrid(10.0), rings=0, max_cells=10_000)


@pytest.mark.parametrize("size", [0.0, -5.0, float("nan"), float("inf"), 1e308, 1_000_001.0])
def test_bad_sizes_are_refused(size):
    with pytest.raises(HotspotInputError, match="positive number of metres"):
        HexGrid(size)


@pytest.mark.parametrize("size", [0.001, 1.0, 9.99])
def test_a_hexagon_smaller_than_the_floor_is_refused(size):
    """A 1 mm grid was accepted: a sparse grid of one-crime cells that shows no pattern."""
    with pytest.raises(HotspotInputError) as caught:
        HexGrid(size)
    assert str(caught.value).startswith(
        f"The hexagon size must be at least 10 m, not {size:g} m: cells that small"
    )
    assert HexGrid(SMALLEST_SIZE_M).size_m == 10.0


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:4258", "OGC:CRS84"])
def test_degree_crs_is_refused(crs):
    with pytest.raises(HotspotInputError, match="in degrees"):
        HexGrid(250.0, crs)


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "month": pd.Categorical(["2022-09", "2022-10", "2022-10", "2022-10"]),
            "crime_type": pd.Categorical(["Burglary", "Burglary", "Drugs", "Robbery"]),
            "longitude": [-1.1, -1.2, np.nan, -1.3],
            "latitude": [52.6, 52.7, np.nan, 52.5],
        }
    )


def test_select_filters_and_explains_an_empty_selection():
    crimes = _table()
    assert len(select(crimes)) == 3
    assert len(select(crimes, months=["2022-10"])) == 2
    assert select(crimes, categories=["Burglary"], months=["2022-10"])["month"].tolist() == [
        "2022-10"
    ]
    with pytest.raises(HotspotInputError, match="empty"):
        select(crimes.iloc[0:0])
    with pytest.raises(
        HotspotInputError,
        match=r"no features in the chosen months \(2021-01\)"
        r"; the layer has 2022-09, 2022-10",
    ):
        select(crimes, months=["2021-01"])
    with pytest.raises(HotspotInputError, match="no crimes of the chosen categories"):
        select(crimes, categories=["Shoplifting"])
    with pytest.raises(HotspotInputError, match="has a location"):
        select(crimes, categories=["Drugs"])
    assert len(select(crimes, categories=["Drugs"], require_location=False)) == 1


@pytest.mark.parametrize(
    "value, text",
    [
        (1e-05, "0.00001 m"),
        (0.001, "0.001 m"),
        (2.5, "2.5 m"),
        (9.99, "9.99 m"),
        (10.0, "10 m"),
        (1_000_000.0, "1,000,000 m"),
        (1e-300, "less than 0.000001 m"),
        (10.5, "10.5 m"),
        (1234.567, "1,234.57 m"),
        (1e308, "more than 1,000,000,000,000 m"),
    ],
)
def test_a_size_is_said_in_metres_never_in_a_floats_notation(value, text):
    """A hexagon size of 1e-05 was said back as "not 1e-05 m" (and a million metres as
    "1e+06 m"): hexgrid.metres writes every size an analyst reads, with its unit."""
    assert metres(value) == text


def test_a_tiny_hexagon_is_refused_with_its_size_written_out():
    with pytest.raises(HotspotInputError) as caught:
        HexGrid(0.00001)
    assert str(caught.value).startswith("The hexagon size must be at least 10 m, not 0.00001 m")
    with pytest.raises(HotspotInputError) as caught:
        HexGrid(1e9)
    assert "not 1,000,000,000 m." in str(caught.value)
