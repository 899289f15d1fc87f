"""Snapping crimes to their nearest map point, in metres, in each zone's projected CRS.

Random points are used where the property is geometric (exactness against brute force, ties);
real police.uk points from sample_data/ check that a published crime snaps back onto itself.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial import cKDTree

from crime_mapper.core.common.feedback import Cancelled, Feedback
from crime_mapper.core.common.geography import (
    BRITISH_NATIONAL_GRID,
    IRISH_TRANSVERSE_MERCATOR,
    WGS84,
    transform,
)
from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.release import snapping
from crime_mapper.core.release.map_points import map_points_from_arrays, map_points_from_history
from crime_mapper.core.release.snapping import (
    DEFAULT_MAX_DISTANCE_M,
    MapPointIndex,
    SnapResult,
    _nearest,
    snap,
)


def _random_points(rng: np.random.Generator, n: int, box=(-1.4, -0.9, 52.5, 52.8)):
    return rng.uniform(box[0], box[1], n), rng.uniform(box[2], box[3], n)


def test_snap_is_the_exact_nearest_point() -> None:
    rng = np.random.default_rng(42)
    plon, plat = _random_points(rng, 3000)
    points = map_points_from_arrays(plon, plat, None)
    clon, clat = _random_points(rng, 4000)
    result = snap(points, clon, clat)
    assert isinstance(result, SnapResult)
    assert result.index.dtype == np.int64 and result.distance_m.dtype == np.float64
    px, py = transform(points.longitude, points.latitude, WGS84, BRITISH_NATIONAL_GRID)
    cx, cy = transform(clon, clat, WGS84, BRITISH_NATIONAL_GRID)
    d = np.hypot(cx[:, None] - px[None, :], cy[:, None] - py[None, :])
    brute = d.argmin(axis=1)
    assert np.array_equal(result.index, brute)
    assert np.allclose(result.distance_m, d.min(axis=1), rtol=0, atol=1e-6)
    assert result.n_snapped == 4000 and result.n_beyond_max == 0


def test_published_crimes_snap_back_onto_their_own_point(repo_root: Path) -> None:
    base = repo_root / "sample_data" / "police-uk"
    crimes = load_extracts([base / "2022-09", base / "2022-10.zip"]).crimes
    points = map_points_from_history(crimes)
    lon = crimes["longitude"].to_numpy()
    lat = crimes["latitude"].to_numpy()
    result = snap(points, lon, lat)
    located = np.isfinite(lon)
    assert (result.distance_m[located] == 0).all()
    assert np.array_equal(points.longitude[result.index[located]], np.round(lon[located], 6))
    assert np.array_equal(points.latitude[result.index[located]], np.round(lat[located], 6))
    # Crimes without a location stay in the result, as -1 with NaN distance.
    assert (result.index[~located] == -1).all() and np.isnan(result.distance_m[~located]).all()
    assert not result.beyond_max[~located].any()
    assert result.index.size == len(crimes)


def test_beyond_the_maximum_distance_is_no_location_not_dropped() -> None:
    points = map_points_from_arrays([-1.13, -1.14], [52.63, 52.64], ["A", "B"])
    # Leicester (near), Cornwall (far), NaN (no location), Leicester again.
    lon = np.array([-1.131, -5.05, np.nan, -1.139])
    lat = np.array([52.631, 50.26, np.nan, 52.641])
    result = snap(points, lon, lat)
    assert result.index.tolist() == [0, -1, -1, 1]
    assert np.isnan(result.distance_m[[1, 2]]).all()
    assert result.beyond_max.tolist() == [False, True, False, False]
    assert result.n_beyond_max == 1 and result.n_without_location == 2 and result.n_snapped == 2
    # The bound is inclusive and applies in metres.
    exact = result.distance_m[0]
    assert snap(points, lon[:1], lat[:1], max_distance_m=exact).index.tolist() == [0]
    assert snap(points, lon[:1], lat[:1], max_distance_m=exact * 0.999).index.tolist() == [-1]
    with pytest.raises(ValueError, match="positive"):
        snap(points, lon, lat, max_distance_m=0)
    assert DEFAULT_MAX_DISTANCE_M == 20_000.0


def test_northern_ireland_in_itm_and_great_britain_in_bng() -> None:
    # Two points in Belfast, two in Leicester.
    points = map_points_from_arrays(
        [-5.93, -5.92, -1.13, -1.14],
        [54.60, 54.59, 52.63, 52.64],
        ["Belfast A", "Belfast B", "Leicester A", "Leicester B"],
    )
    lon = np.array([-5.925, -1.135])
    lat = np.array([54.597, 52.632])
    result = snap(points, lon, lat)
    ix, iy = transform(
        np.r_[lon[0], points.longitude[:2]],
        np.r_[lat[0], points.latitude[:2]],
        WGS84,
        IRISH_TRANSVERSE_MERCATOR,
    )
    d_ni = np.hypot(ix[1:] - ix[0], iy[1:] - iy[0])
    bx, by = transform(
        np.r_[lon[1], points.longitude[2:]],
        np.r_[lat[1], points.latitude[2:]],
        WGS84,
        BRITISH_NATIONAL_GRID,
    )
    d_gb = np.hypot(bx[1:] - bx[0], by[1:] - by[0])
    assert result.index.tolist() == [int(d_ni.argmin()), 2 + int(d_gb.argmin())]
    assert result.distance_m[0] == pytest.approx(d_ni.min(), abs=1e-6)
    assert result.distance_m[1] == pytest.approx(d_gb.min(), abs=1e-6)
    # BNG and ITM distances differ measurably for the Belfast crime: the CRS really matters.
    gx, gy = transform(
        np.r_[lon[0], points.longitude[result.index[0]]],
        np.r_[lat[0], points.latitude[result.index[0]]],
        WGS84,
        BRITISH_NATIONAL_GRID,
    )
    assert abs(np.hypot(gx[1] - gx[0], gy[1] - gy[0]) - result.distance_m[0]) > 0.01
    assert MapPointIndex(points).zones == (0, 1)


def test_a_zone_without_points_is_searched_in_the_other_zones_crs() -> None:
    gb_only = map_points_from_arrays([-5.12, -1.13], [54.84, 52.63], ["Portpatrick", "Leicester"])
    belfast = (np.array([-5.93]), np.array([54.60]))
    far = snap(gb_only, *belfast)  # ~55 km across the North Channel
    assert far.index.tolist() == [-1] and far.beyond_max.tolist() == [True]
    near = snap(gb_only, *belfast, max_distance_m=100_000)
    bx, by = transform(
        np.r_[belfast[0], -5.12], np.r_[belfast[1], 54.84], WGS84, BRITISH_NATIONAL_GRID
    )
    assert near.index.tolist() == [0]
    assert near.distance_m[0] == pytest.approx(np.hypot(bx[1] - bx[0], by[1] - by[0]), abs=1e-6)


def test_ties_go_to_the_lowest_numbered_point() -> None:
    """cKDTree alone returns an arbitrary one of several equidistant points; _nearest picks
    the lowest index. An integer lattice makes exact ties common."""
    grid = np.array([(x, y) for x in range(0, 60, 2) for y in range(0, 60, 2)], dtype=float)
    rng = np.random.default_rng(3)
    for _ in range(3):
        order = rng.permutation(len(grid))
        pts = grid[order]
        tree = cKDTree(pts, balanced_tree=False, compact_nodes=False)
        q = np.column_stack([rng.integers(0, 58, 3000) + 1.0, rng.integers(0, 58, 3000) + 0.0])
        q[::2, 1] += 1.0  # four-way ties at cell centres
        idx, dist = _nearest(tree, q, 10.0, workers=1)
        d = np.hypot(q[:, None, 0] - pts[None, :, 0], q[:, None, 1] - pts[None, :, 1])
        lowest = np.where(d == d.min(axis=1, keepdims=True), np.arange(len(pts)), 10**9).min(1)
        assert np.array_equal(idx, lowest)
        assert np.allclose(dist, d.min(axis=1))


def test_deterministic_whatever_the_chunking_or_order(monkeypatch) -> None:
    rng = np.random.default_rng(9)
    plon, plat = _random_points(rng, 2000)
    points = map_points_from_arrays(plon, plat, None)
    clon, clat = _random_points(rng, 5000)
    clon[::7] = np.nan
    first = snap(points, clon, clat)
    index = MapPointIndex(points)
    monkeypatch.setattr(snapping, "CHUNK_ROWS", 333)
    second = snap(points, clon, clat, index=index)
    assert np.array_equal(first.index, second.index)
    assert np.array_equal(first.distance_m, second.distance_m, equal_nan=True)
    perm = rng.permutation(clon.size)
    third = index.query(clon[perm], clat[perm])
    assert np.array_equal(third.index, first.index[perm])
    other = map_points_from_arrays(plon, plat, None)
    with pytest.raises(ValueError, match="different set"):
        snap(other, clon, clat, index=index)


class _Recorder(Feedback):
    def __init__(self, cancel_after: int | None = None) -> None:
        self.progress: list[float] = []
        self.cancel_after = cancel_after

    def set_progress(self, percent: float) -> None:
        self.progress.append(percent)

    def is_cancelled(self) -> bool:
        return self.cancel_after is not None and len(self.progress) >= self.cancel_after


def test_progress_and_cancel(monkeypatch) -> None:
    rng = np.random.default_rng(1)
    points = map_points_from_arrays(*_random_points(rng, 500), None)
    clon, clat = _random_points(rng, 1000)
    monkeypatch.setattr(snapping, "CHUNK_ROWS", 100)
    feedback = _Recorder()
    snap(points, clon, clat, feedback=feedback)
    assert len(feedback.progress) == 10 and feedback.progress[-1] == pytest.approx(100.0)
    with pytest.raises(Cancelled):
        snap(points, clon, clat, feedback=_Recorder(cancel_after=3))


def test_empty_and_nan_inputs() -> None:
    points = map_points_from_arrays([-1.13], [52.63], ["A"])
    empty = snap(points, np.array([]), np.array([]))
    assert empty.index.size == 0 and empty.distance_m.size == 0
    nan = snap(points, np.array([np.nan, -1.13]), np.array([52.63, np.nan]))
    assert nan.index.tolist() == [-1, -1] and np.isnan(nan.distance_m).all()
    one = snap(points, np.array([-1.13]), np.array([52.63]))
    assert one.index.tolist() == [0] and one.distance_m.tolist() == [0.0]
