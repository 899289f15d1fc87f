"""core.publish.points_in_areas: all outlines at once gives, point for point, what the test
of one outline at a time gave (kept here as the reference: the loop neighbourhoods used
before, on neighbourhoods._crossings); on real MSOA outlines, and on hostile ones: shared
edges and vertices with points exactly on them, overlaps, holes, outlines without edges,
flat edges, NaN and infinite points, every point in one column, chunks of a few tests."""

from __future__ import annotations

import numpy as np
import pytest

from crime_mapper.core.publish import neighbourhoods as nb
from crime_mapper.core.publish import points_in_areas as pa
from tests.support.neighbourhood_data import leicestershire


def reference(lon, lat, edges, starts, ends, bounds) -> np.ndarray:
    """The outline-by-outline test: candidates by longitude then latitude in the box, the
    points not yet held, the crossings' parity."""
    lon = np.asarray(lon, np.float64)
    lat = np.asarray(lat, np.float64)
    result = np.full(len(lon), -1, np.int64)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        return result
    order = np.flatnonzero(ok)[np.argsort(lon[ok], kind="stable")]
    sorted_lon = lon[order]
    los = np.searchsorted(sorted_lon, bounds[:, 0], "left")
    his = np.searchsorted(sorted_lon, bounds[:, 2], "right")
    for i in range(len(starts)):
        lo, hi = los[i], his[i]
        if starts[i] == ends[i] or lo >= hi:
            continue
        minx, miny, maxx, maxy = bounds[i]
        cand = order[lo:hi]
        cy = lat[cand]
        cand = cand[(cy >= miny) & (cy <= maxy)]
        cand = cand[result[cand] == -1]
        if cand.size:
            inside = nb._crossings(lon[cand], lat[cand], edges[starts[i] : ends[i]]) % 2 == 1
            result[cand[inside]] = i
    return result


def outlines(polygons: list[list[np.ndarray]]) -> tuple[np.ndarray, ...]:
    """(edges, starts, ends, bounds) of polygons given as lists of closed rings."""
    parts, starts, ends, pos = [], [], [], 0
    bounds = np.full((len(polygons), 4), np.nan)
    for i, rings in enumerate(polygons):
        starts.append(pos)
        for ring in rings:
            e = nb._ring_edges(ring)
            parts.append(e)
            pos += len(e)
        ends.append(pos)
        if rings:
            v = np.concatenate(rings)
            bounds[i] = v[:, 0].min(), v[:, 1].min(), v[:, 0].max(), v[:, 1].max()
    edges = np.concatenate(parts) if parts else np.zeros((0, 4))
    return edges, np.array(starts, np.int64), np.array(ends, np.int64), bounds


def closed(vertices) -> np.ndarray:
    ring = np.asarray(vertices, np.float64)
    return np.vstack([ring, ring[:1]])


def star(rng, cx, cy, radius, n) -> np.ndarray:
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radii = radius * rng.uniform(0.3, 1.0, n)
    return closed(np.column_stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)]))


def hostile_set(seed: int) -> tuple[list[list[np.ndarray]], np.ndarray, np.ndarray]:
    """Grid squares sharing edges and vertices (points on them), random stars that overlap
    them and each other, a square with a hole, an outline with no rings, a flat sliver, a
    huge box over all; points random, on the grid's lines and vertices, NaN, infinite."""
    rng = np.random.default_rng(seed)
    polygons: list[list[np.ndarray]] = []
    step = rng.choice([0.25, 0.1, 1 / 3])
    for gx in range(4):
        for gy in range(3):
            x, y = gx * step, gy * step
            polygons.append([closed([(x, y), (x + step, y), (x + step, y + step), (x, y + step)])])
    for _ in range(rng.integers(5, 40)):
        polygons.append(
            [
                star(
                    rng,
                    rng.uniform(-0.2, 1.2),
                    rng.uniform(-0.2, 1.0),
                    rng.uniform(0.01, 0.4),
                    int(rng.integers(3, 60)),
                )
            ]
        )
    polygons.insert(int(rng.integers(0, len(polygons))), [])  # no outline at all
    outer = closed([(0.1, 0.1), (0.9, 0.1), (0.9, 0.7), (0.1, 0.7)])
    hole = closed([(0.3, 0.3), (0.3, 0.5), (0.6, 0.5), (0.6, 0.3)])
    polygons.append([outer, hole])
    polygons.append([closed([(0.0, 0.2), (1.0, 0.2), (0.5, 0.2)])])  # flat: zero height
    if rng.random() < 0.5:
        polygons.append([closed([(-5, -5), (5, -5), (5, 5), (-5, 5)])])
    n = int(rng.integers(50, 3000))
    lon = rng.uniform(-0.3, 1.3, n)
    lat = rng.uniform(-0.3, 1.1, n)
    on_x = rng.random(n) < 0.2  # on the grid's vertical and horizontal lines exactly
    lon[on_x] = rng.integers(0, 5, on_x.sum()) * step
    on_y = rng.random(n) < 0.2
    lat[on_y] = rng.integers(0, 4, on_y.sum()) * step
    vertex = rng.random(n) < 0.1
    lon[vertex] = rng.integers(0, 5, vertex.sum()) * step
    lat[vertex] = rng.integers(0, 4, vertex.sum()) * step
    bad = rng.random(n) < 0.05
    lon[bad] = rng.choice([np.nan, np.inf, -np.inf], bad.sum())
    if rng.random() < 0.2:
        lon[:] = 0.5  # every point in one column
    return polygons, lon, lat


@pytest.mark.parametrize("seed", range(60))
def test_all_at_once_is_the_outline_by_outline_answer(seed, monkeypatch):
    polygons, lon, lat = hostile_set(seed)
    edges, starts, ends, bounds = outlines(polygons)
    if seed % 3 == 0:  # chunks of a few tests: every chunk boundary exercised
        monkeypatch.setattr(pa, "MAX_TESTS", int(np.random.default_rng(seed).integers(1, 50)))
    got = pa.first_containing(lon, lat, edges, starts, ends, bounds)
    np.testing.assert_array_equal(got, reference(lon, lat, edges, starts, ends, bounds))


def test_points_on_shared_edges_go_to_the_first_outline():
    """Two squares share the edge x = 1: a point on it is in exactly one of them by the
    half-open ray test, and where two outlines both hold a point the first wins."""
    a = [closed([(0, 0), (1, 0), (1, 1), (0, 1)])]
    b = [closed([(1, 0), (2, 0), (2, 1), (1, 1)])]
    big = [closed([(-1, -1), (3, -1), (3, 3), (-1, 3)])]
    edges, starts, ends, bounds = outlines([big, a, b])
    lon = np.array([0.5, 1.0, 1.5, 2.5, 9.0, np.nan])
    lat = np.array([0.5, 0.5, 0.5, 0.5, 0.5, 0.5])
    got = pa.first_containing(lon, lat, edges, starts, ends, bounds, outside=-7)
    assert got.tolist() == [0, 0, 0, 0, -7, -7]
    edges, starts, ends, bounds = outlines([a, b, big])
    got = pa.first_containing(lon, lat, edges, starts, ends, bounds, outside=-7)
    assert got.tolist() == [0, 1, 1, 2, -7, -7]
    np.testing.assert_array_equal(
        pa.first_containing(lon, lat, edges, starts, ends, bounds),
        reference(lon, lat, edges, starts, ends, bounds),
    )


def test_nothing_to_hold():
    edges, starts, ends, bounds = outlines([[], []])
    got = pa.first_containing(np.array([0.0]), np.array([0.0]), edges, starts, ends, bounds)
    assert got.tolist() == [-1]
    edges, starts, ends, bounds = outlines([[closed([(0, 0), (1, 0), (0, 1)])]])
    assert pa.first_containing(np.zeros(0), np.zeros(0), edges, starts, ends, bounds).size == 0
    got = pa.first_containing(np.array([np.nan]), np.array([0.2]), edges, starts, ends, bounds)
    assert got.tolist() == [-1]


def test_real_outlines_and_points_in_and_around_them():
    """Real MSOA outlines (Leicestershire, or England and Wales with ../shared), points at
    random over their extent and at every vertex: the reference's answer throughout."""
    hoods = nb.read_geojson(leicestershire().msoa_geojson, "msoa11cd")
    edges, starts, ends = hoods.edges()
    bounds = hoods.bounds()
    rng = np.random.default_rng(7)
    minx, miny = np.nanmin(bounds[:, 0]), np.nanmin(bounds[:, 1])
    maxx, maxy = np.nanmax(bounds[:, 2]), np.nanmax(bounds[:, 3])
    lon = np.concatenate([rng.uniform(minx - 0.05, maxx + 0.05, 20_000), edges[:, 0]])
    lat = np.concatenate([rng.uniform(miny - 0.05, maxy + 0.05, 20_000), edges[:, 1]])
    got = nb.points_in_neighbourhoods(lon, lat, hoods)
    np.testing.assert_array_equal(got, reference(lon, lat, edges, starts, ends, bounds))
    assert (got >= 0).sum() > 10_000
