"""The web map's outlines (areas.js) are written with one %-format of every ring's numbers
(at 5 decimals) and their vertices are read back in one conversion. The characters and
values must be exactly those of the f-string per pair and the list comprehension they
replaced (kept here as the reference), for any float: signed zeros, NaN, infinities, huge
and tiny values, halfway cases. (The map points' positions are letters: test_position_codec.)
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from crime_mapper.core.publish.webmap_areas import vertices
from crime_mapper.core.publish.webmap_export import _ring_text

SPECIAL = [
    0.0, -0.0, 1.0, -1.0, 0.5, 1e-7, -1e-7, 5e-7, 0.0000005, 0.0000015, 0.00000249999,
    -0.07390, 51.51450, 52.1234565, 1.2345675, 1e20, -1e300, float("nan"), float("inf"),
    -float("inf"), 123456789.123456789, 2.0**53, 5e-324,
]  # fmt: skip


def _values(rng: random.Random, n: int) -> list[float]:
    out = []
    for _ in range(n):
        kind = rng.randrange(4)
        if kind == 0:
            out.append(rng.choice(SPECIAL))
        elif kind == 1:
            out.append(rng.uniform(-11, 3))
        elif kind == 2:
            out.append(round(rng.uniform(49, 62), rng.randrange(0, 9)))
        else:
            out.append(rng.uniform(-1, 1) * 10.0 ** rng.randrange(-12, 25))
    return out


@pytest.mark.parametrize("seed", range(60))
def test_ring_text_is_the_f_string_of_each_vertex(seed: int):
    rng = random.Random(seed)
    ring = [[a, b] for a, b in zip(_values(rng, 40), _values(rng, 40))]
    if seed % 5 == 0:
        ring[0] = [int(ring[0][0]) if np.isfinite(ring[0][0]) else 3, True]
    reference = ",".join(f"[{x:.5f},{y:.5f}]" for x, y in ring)
    assert _ring_text(ring) == reference
    assert _ring_text([]) == ""
    with pytest.raises(ValueError):  # (a vertex of three numbers fails as it did)
        _ring_text([[1.0, 2.0, 3.0]])


@pytest.mark.parametrize("seed", range(30))
def test_vertices_in_one_conversion_are_the_comprehension(seed: int):
    rng = random.Random(seed)
    rings = [
        [
            [[a, b] for a, b in zip(_values(rng, k), _values(rng, k))]
            for k in [rng.randrange(0, 9) for _ in range(rng.randrange(0, 4))]
        ]
        for _ in range(rng.randrange(0, 6))
    ]
    verts = [v for area in rings for ring in area for v in ring]
    x, y = vertices(rings)
    assert x.dtype == y.dtype == np.float64
    assert x.tobytes() == np.asarray([v[0] for v in verts], dtype=np.float64).tobytes()
    assert y.tobytes() == np.asarray([v[1] for v in verts], dtype=np.float64).tobytes()
    assert x.base is None and y.base is None


def test_page_areas_make_their_vertices_once():
    from crime_mapper.core.publish.webmap_export import PageAreas

    rings = [[[[0.0, 51.0], [1.0, 51.0], [1.0, 52.0], [0.0, 51.0]]]]
    areas = PageAreas(hoods=None, rings=rings)  # type: ignore[arg-type]
    first = areas.vertices()
    assert areas.vertices() is first
    assert first[0].tolist() == [0.0, 1.0, 1.0, 0.0]
