"""Crimes are queried against the k-d tree in a spatial order (snapping.spatial_order, issue
15): neighbouring queries walk the same nodes, about 3x faster nationally. The order must
change no result: every crime gets what it gets in file order, on ties, duplicates, missing
coordinates, both zones, far-flung coordinates and chunk edges."""

from __future__ import annotations

import numpy as np
import pytest

from crime_mapper.core.common.projection import to_projected
from crime_mapper.core.release import snapping
from crime_mapper.core.release.map_points import map_points_from_arrays
from crime_mapper.core.release.snapping import MapPointIndex, spatial_order


def _hostile_crimes(rng: np.random.Generator, plon, plat) -> tuple[np.ndarray, np.ndarray]:
    n = 4_000
    lon = rng.uniform(-1.3, -1.0, n)
    lat = rng.uniform(52.55, 52.75, n)
    lon[:400], lat[:400] = plon[:400], plat[:400]  # exactly on points
    lon[400:800] = lon[0]  # many crimes at one place
    lat[400:800] = lat[0]
    lon[800:900] = np.nan  # no location
    lat[900:950] = np.inf
    lon[950:1000], lat[950:1000] = -5.93, 54.6  # Northern Ireland
    lon[1000:1050], lat[1000:1050] = 1.7, 52.6  # beyond the maximum distance at sea
    lon[1050:1060], lat[1050:1060] = 179.9, -89.9  # far-flung
    lon[1060:1070] = 1e300
    perm = rng.permutation(n)
    return lon[perm], lat[perm]


def _lattice_points(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Points with many equidistant neighbours: a lattice whose points are each there twice
    (every crime nearest to one has an exact tie) plus random points."""
    glon, glat = np.meshgrid(np.linspace(-1.3, -1.0, 40), np.linspace(52.55, 52.75, 40))
    plon = np.r_[rng.uniform(-1.3, -1.0, 600), glon.ravel(), glon.ravel()[::-1]]
    plat = np.r_[rng.uniform(52.55, 52.75, 600), glat.ravel(), glat.ravel()[::-1]]
    return np.r_[plon, -5.92, -5.94], np.r_[plat, 54.59, 54.61]


@pytest.mark.parametrize("chunk", [snapping.CHUNK_ROWS, 97, 1])
@pytest.mark.parametrize("seed", [1, 2])
def test_the_order_changes_no_result(monkeypatch, chunk, seed):
    rng = np.random.default_rng(seed)
    plon, plat = _lattice_points(rng)
    points = map_points_from_arrays(plon, plat, None)
    lon, lat = _hostile_crimes(rng, plon, plat)
    if chunk == 1:
        lon, lat = lon[:300], lat[:300]
    index = MapPointIndex(points)
    monkeypatch.setattr(snapping, "CHUNK_ROWS", chunk)
    ordered = index.query(lon, lat, max_distance_m=5_000.0)
    monkeypatch.setattr(snapping, "spatial_order", lambda rows, x, y: rows)
    in_file_order = index.query(lon, lat, max_distance_m=5_000.0)
    assert np.array_equal(ordered.index, in_file_order.index)
    assert np.array_equal(ordered.distance_m, in_file_order.distance_m, equal_nan=True)
    assert np.array_equal(ordered.beyond_max, in_file_order.beyond_max)
    if chunk > 1:
        assert (ordered.index >= 600).sum() > 1000 and ordered.beyond_max.sum() >= 50


def test_spatial_order_is_a_permutation_in_strips():
    rng = np.random.default_rng(3)
    x = np.r_[rng.uniform(0, 5_000, 997), 1e15, -1e15, 0.0]
    y = np.r_[rng.uniform(0, 5_000, 997), 1e15, 3.0, 0.0]
    rows = rng.permutation(len(x))[:900]
    out = spatial_order(rows, x, y)
    assert sorted(out.tolist()) == sorted(rows.tolist())

    def cell(v, origin):  # 250 m cells, far-flung ones sharing the last
        return np.minimum(np.floor((v - origin) / 250.0), 2**30 - 1)

    strip = cell(x[out], x[rows].min())
    assert (np.diff(strip) >= 0).all() and strip.max() == 2**30 - 1
    for s in np.unique(strip):
        assert (np.diff(cell(y[out][strip == s], y[rows].min())) >= 0).all()
    for few in (np.zeros(0, dtype=np.int64), rows[:1]):
        assert spatial_order(few, x, y).tolist() == few.tolist()


def test_queries_reach_the_tree_in_spatial_order(monkeypatch):
    """What the speed rests on: the result tests above pass in file order too."""
    rng = np.random.default_rng(4)
    plon, plat = _lattice_points(rng)
    index = MapPointIndex(map_points_from_arrays(plon, plat, None))
    lon, lat = rng.uniform(-1.3, -1.0, 5_000), rng.uniform(52.55, 52.75, 5_000)
    asked: list[np.ndarray] = []
    nearest = snapping._nearest

    def spy(tree, xy, *args):
        asked.append(xy.copy())
        return nearest(tree, xy, *args)

    monkeypatch.setattr(snapping, "_nearest", spy)
    monkeypatch.setattr(snapping, "CHUNK_ROWS", 1_000)
    index.query(lon, lat)
    xy = np.concatenate(asked)
    x, y, _zone = to_projected(lon, lat)
    strip = np.floor((xy[:, 0] - x.min()) / 250.0)
    assert len(xy) == 5_000 and (np.diff(strip) >= 0).all()
