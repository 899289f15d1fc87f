"""Outline rings are tested for self-intersection all together (issue 15: reading the 7,200
MSOAs of England and Wales was mostly a dozen small numpy calls per ring): the batch test
must answer exactly what the per-ring test answers, and a read must report the same problems
in the same order as when each ring was tested as it came."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from crime_mapper.core.publish import neighbourhoods as nb
from tests.support.neighbourhood_data import SAMPLE, leicestershire

DATA = leicestershire()
OUTLINES = [
    DATA.msoa_geojson,
    SAMPLE / "boundaries" / "LSOA_Dec_2011_BSC_leicester_city.geojson",
    SAMPLE / "neighbourhoods" / "msoa11_leicestershire.geojson",
]


def _closed(points: np.ndarray) -> np.ndarray:
    return np.vstack([points, points[:1]]).astype(np.float64)


def _random_rings(seed: int, count: int) -> list[np.ndarray]:
    """Rings of 3 to 90 edges over a small integer grid (many crossings, touchings,
    collinear and repeated vertices), some scaled near the float limits."""
    rng = np.random.default_rng(seed)
    rings = []
    for _ in range(count):
        m = int(rng.integers(3, 91))
        grid = int(rng.choice([3, 5, 20, 1000]))
        points = rng.integers(0, grid, size=(m, 2)).astype(np.float64)
        scale = rng.choice([1.0, 1e-9, 1e150, 1e300, -7.25])
        rings.append(_closed(points * scale))
    return rings


def _convex(m: int) -> np.ndarray:
    angle = np.linspace(0, 2 * np.pi, m, endpoint=False)
    return _closed(np.column_stack([np.cos(angle), np.sin(angle)]))


@pytest.mark.parametrize("seed", range(6))
def test_the_batch_answers_what_each_ring_answers(seed):
    rings = _random_rings(seed, 400)
    rings += [_convex(m) for m in (3, 4, 8, 9, 12, 13, 16, 17, 33, 64, 65, 100)]
    bow = _closed(np.array([[2, 0], [3, 1], [3, 0], [2, 1]], dtype=np.float64))
    rings += [bow, bow * 1e300]
    with np.errstate(all="ignore"):  # the rings near the float limits overflow
        expected = [nb._self_intersects(r) for r in rings]
    assert 50 < sum(expected) < len(rings) - 10  # the sample holds both answers
    got = nb._self_intersecting(rings)  # (quietly: it overflows where the per-ring test does)
    assert got.tolist() == expected
    assert nb._self_intersecting([]).tolist() == []


@pytest.mark.parametrize("path", OUTLINES, ids=lambda p: p.name)
def test_the_batch_answers_what_each_ring_answers_on_real_outlines(path):
    rings = [r for rs in nb.read_geojson(path, _code_field(path)).rings for r in rs]
    assert len(rings) > 20
    assert nb._self_intersecting(rings).tolist() == [nb._self_intersects(r) for r in rings]


def _code_field(path: Path) -> str:
    props = json.loads(path.read_text(encoding="utf-8"))["features"][0]["properties"]
    return next(k for k in props if k.lower() in ("msoa11cd", "lsoa11cd"))


def _one_at_a_time(features, has_population=False):
    """The read as it was: each ring tested as it is cleaned (no RingChecks)."""
    problems: list[str] = []
    result = nb._from_features(features, problems, has_population)
    return result, problems


@pytest.fixture
def any_coordinates(monkeypatch):
    """The random rings reach 1e300, which a read refuses as no longitude and latitude
    (nb.refuse_outside_wgs84): the ring checks are what these tests compare, so that
    refusal is set aside here (and asserted once below)."""
    real = nb.refuse_outside_wgs84
    monkeypatch.setattr(nb, "refuse_outside_wgs84", lambda *args, **kwargs: None)
    return real


def test_a_read_reports_the_same_problems_in_the_same_order(tmp_path, any_coordinates):
    rng = np.random.default_rng(7)
    features, rings = [], _random_rings(11, 120)
    for k in range(60):
        parts = []
        for _ in range(int(rng.integers(1, 4))):
            ring = rings[int(rng.integers(0, len(rings)))].tolist()
            if rng.random() < 0.2:
                ring = ring[:-1]  # not closed
            if rng.random() < 0.1:
                ring.insert(1, ["x", 3])  # an unreadable vertex
            if rng.random() < 0.1:
                ring = ring[:3]  # too few vertices
            parts.append([ring])
        geometry = {"type": "MultiPolygon", "coordinates": parts}
        code = "" if k % 17 == 5 else f"C{k % 45}"  # some without a code, some repeated
        features.append({"type": "Feature", "properties": {"c": code}, "geometry": geometry})
    path = tmp_path / "hostile.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    tuples = [(f["properties"]["c"], "", None, f["geometry"], k) for k, f in enumerate(features)]
    with np.errstate(all="ignore"):  # the rings near the float limits overflow
        read = nb.read_geojson(path, "c")
        expected, problems = _one_at_a_time(tuples)
    assert read.problems == problems
    assert sum("self-intersecting" in p for p in problems) > 10
    with pytest.raises(nb.NeighbourhoodError, match="no longitude and latitude"):
        any_coordinates(read, path.name)
    assert read.codes == expected.codes
    for mine, theirs in zip(read.rings, expected.rings):
        assert len(mine) == len(theirs)
        for a, b in zip(mine, theirs):
            np.testing.assert_array_equal(a, b)


def test_outlines_from_a_layer_report_the_same_problems(any_coordinates):
    rings = _random_rings(3, 90)
    records = [(f"C{k}", f"N{k}", None, rings[k * 3 : k * 3 + 3]) for k in range(30)]
    problems: list[str] = []
    with np.errstate(all="ignore"):  # the rings near the float limits overflow
        read = nb.from_outlines(records)
        for k, (_code, _name, _pop, raw) in enumerate(records):
            for ring in raw:
                nb.clean_ring(ring, f"feature {k + 1} (C{k})", problems)
    assert [p for p in read.problems if "self-intersecting" in p] == [
        p for p in problems if "self-intersecting" in p
    ]
    assert read.problems[: len(problems)] == problems


def _all_pairs(ring: np.ndarray) -> bool:
    """The self-intersection test as it was before the sweep: every edge against every
    other (quadratic), the reference the sweep must agree with."""
    e = nb._ring_edges(ring)
    m = len(e)
    if m < 4:
        return False
    x1, y1, x2, y2 = (v[:, None] for v in e.T)
    bx1, by1, bx2, by2 = e.T
    o1 = nb._orient(x1, y1, x2, y2, bx1, by1)
    o2 = nb._orient(x1, y1, x2, y2, bx2, by2)
    o3 = nb._orient(bx1, by1, bx2, by2, x1, y1)
    o4 = nb._orient(bx1, by1, bx2, by2, x2, y2)
    ia, ib = np.arange(m)[:, None], np.arange(m)[None, :]
    adjacent = (np.abs(ia - ib) <= 1) | ((ia == 0) & (ib == m - 1)) | ((ia == m - 1) & (ib == 0))
    return bool(((o1 * o2 < 0) & (o3 * o4 < 0) & ~adjacent).any())


def _spiral(turns: int, m: int) -> np.ndarray:
    """An outline of ``m`` vertices winding out ``turns`` times and back along a parallel
    arm: long, thin and never crossing (many edges share each x and y extent)."""
    t = np.linspace(0, turns * 2 * np.pi, m // 2)
    r = 1 + t
    outer = np.column_stack([r * np.cos(t), r * np.sin(t)])
    inner = np.column_stack([(r - 0.5) * np.cos(t), (r - 0.5) * np.sin(t)])[::-1]
    return _closed(np.vstack([outer, inner]))


@pytest.mark.parametrize("seed", range(4))
def test_the_sweep_answers_what_every_pair_answers(seed, monkeypatch):
    """The sweep (only the edges whose extents meet, in batches) against every pair, on
    rings with crossings, touchings, collinear and repeated vertices, near the float
    limits, and on real outlines; batches cut anywhere."""
    monkeypatch.setattr(nb, "_SWEEP_PAIRS", [1, 7, 100, 2_000_000][seed])
    rings = _random_rings(100 + seed, 300)
    rings += [_convex(m) for m in (3, 4, 5, 8, 33, 200)]
    rings += [_spiral(3, 400), _spiral(5, 1001)]
    bow = _closed(np.array([[2, 0], [3, 1], [3, 0], [2, 1]], dtype=np.float64))
    rings += [bow, bow * 1e300, bow * -1e-300]
    rings += [r for rs in nb.read_geojson(OUTLINES[1], "LSOA11CD").rings for r in rs][:150]
    with np.errstate(all="ignore"):  # (the rings near the float limits overflow in both)
        expected = [_all_pairs(r) for r in rings]
        got = [nb._self_intersects(r) for r in rings]
    assert 30 < sum(expected) < len(rings) - 30  # the sample holds both answers
    assert got == expected


def test_a_detailed_outline_is_tested_in_about_linear_work(monkeypatch):
    """Rings of 200,000 vertices (a full-resolution boundary) are answered: a circle and a
    spiral do not cross themselves, and one vertex moved across the circle makes it cross.
    The pairs tested are counted (not timed): about as many as edges, not 20 billion."""
    tested: list[int] = []
    real = nb._orient

    def counted(px, *rest):
        tested.append(np.size(px))
        return real(px, *rest)

    monkeypatch.setattr(nb, "_orient", counted)
    circle = _convex(200_000)
    assert not nb._self_intersects(circle)
    assert sum(tested) // 4 < 2 * 200_000
    assert not nb._self_intersects(_spiral(40, 200_000))
    crossed = circle.copy()
    crossed[100_000] = (1.5, 0.0)  # (its two edges now cross the ring's far side)
    crossed[100_001] = (-1.5, 0.0)
    assert nb._self_intersects(crossed)
