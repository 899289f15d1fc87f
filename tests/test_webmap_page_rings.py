"""The web map's outlines (core.publish.webmap_areas.page_rings): every ring of every
neighbourhood rounded to 5 decimals, repeated vertices dropped, short rings left out, made in
one numpy pass: exactly what rounding each ring alone gives (webmap_areas._page_ring), on the
committed Leicestershire MSOAs and on rings made to break the one pass (a ring that starts
where the last one ended, rings that collapse when rounded, neighbourhoods without rings).
"""

from __future__ import annotations

import numpy as np
import pytest

from crime_mapper.core.publish.neighbourhoods import Neighbourhoods
from crime_mapper.core.publish.summaries_run import load_neighbourhoods
from crime_mapper.core.publish.webmap_areas import _page_ring, page_rings
from tests.support.summaries_release import msoa_source


def _reference(hoods: Neighbourhoods) -> list:
    return [[r for r in map(_page_ring, rings) if len(r) >= 4] for rings in hoods.rings]


def _hoods(rings: list[list[np.ndarray]]) -> Neighbourhoods:
    n = len(rings)
    return Neighbourhoods(
        codes=[f"E0{i}" for i in range(n)],
        names=[f"Area {i}" for i in range(n)],
        rings=rings,
        population=np.full(n, np.nan),
    )


def test_the_committed_outlines_are_rounded_as_ring_by_ring() -> None:
    hoods = load_neighbourhoods(msoa_source())
    got = page_rings(hoods)
    assert got == _reference(hoods)
    assert sum(map(len, got)) >= len(hoods.names)  # (real rings, not all dropped)


def _square(x: float, y: float, size: float) -> np.ndarray:
    return np.array(
        [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]], dtype=np.float64
    )


def test_rings_that_meet_or_collapse_are_rounded_as_ring_by_ring() -> None:
    start = _square(-1.1, 52.6, 0.01)
    meets = np.vstack([start[-1:], _square(-1.1, 52.6, 0.02)[1:]])  # (begins on the last end)
    tiny = _square(-1.2, 52.7, 1e-7)  # (collapses to one point at 5 decimals)
    repeated = np.repeat(_square(-1.3, 52.8, 0.003), 3, axis=0)  # (each vertex three times)
    almost = _square(-1.4, 52.9, 0.004) + np.array([4e-6, -4e-6])  # (rounds to other digits)
    hoods = _hoods([[start, meets], [], [tiny], [repeated, tiny, almost], [meets]])
    got = page_rings(hoods)
    assert got == _reference(hoods)
    assert got[0][1][0] == got[0][0][-1]  # (the shared vertex kept at the start of the next)
    assert got[1] == [] and got[2] == []
    assert len(got[3]) == 2 and len(got[3][0]) == 5


@pytest.mark.parametrize("seed", range(20))
def test_fuzzed_rings_are_rounded_as_ring_by_ring(seed: int) -> None:
    """Random rings: vertices on a coarse grid (many repeated after rounding, between rings
    too), some rings of three or four vertices, some neighbourhoods without any."""
    rng = np.random.default_rng(seed)
    rings: list[list[np.ndarray]] = []
    for _ in range(int(rng.integers(1, 30))):
        mine = []
        for _ in range(int(rng.integers(0, 4))):
            n = int(rng.integers(3, 12))
            pts = np.round(rng.uniform(-2, 2, size=(n, 2)), int(rng.integers(4, 7)))
            pts[rng.random(n) < 0.3] = pts[0]  # (repeats)
            mine.append(np.vstack([pts, pts[:1]]))
        rings.append(mine)
    hoods = _hoods(rings)
    assert page_rings(hoods) == _reference(hoods)


def test_rings_given_as_lists_are_rounded_as_ring_by_ring() -> None:
    """Rings held as lists of [lon, lat] (not arrays) take the same path to the same
    answer."""
    ring = _square(-1.0, 52.0, 0.5)
    hoods = _hoods([[ring.tolist()], [ring]])  # type: ignore[list-item]
    assert page_rings(hoods) == _reference(hoods)


@pytest.mark.parametrize("seed", range(5))
def test_the_vertices_made_with_the_rings_are_those_written(seed: int) -> None:
    """page_areas' vertices (made with the rings, from the same arrays) are exactly what
    webmap_areas.vertices reads from the rings written, dropped rings' vertices left out."""
    from crime_mapper.core.publish.webmap_areas import vertices
    from crime_mapper.core.publish.webmap_export import page_areas

    rng = np.random.default_rng(seed)
    rings = [
        [_square(*rng.uniform(-2, 2, 2), 0.01), _square(*rng.uniform(-2, 2, 2), 1e-7)]
        for _ in range(10)
    ] + [[]]
    hoods = _hoods(rings)
    areas = page_areas(hoods)
    assert areas._vertices is not None  # (made with the rings)
    want = vertices(page_rings(hoods))
    assert np.array_equal(areas.vertices()[0], want[0])
    assert np.array_equal(areas.vertices()[1], want[1])
    assert len(want[0]) == 10 * 5  # (the collapsed rings' vertices are not written)


def test_the_committed_outlines_vertices_are_those_written() -> None:
    from crime_mapper.core.publish.webmap_areas import vertices
    from crime_mapper.core.publish.webmap_export import page_areas

    hoods = load_neighbourhoods(msoa_source())
    areas = page_areas(hoods)
    want = vertices(areas.rings)
    assert np.array_equal(areas.vertices()[0], want[0])
    assert np.array_equal(areas.vertices()[1], want[1])
