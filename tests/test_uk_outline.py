"""inside_uk answers by grid cell where no edge of the outline is near, and by ray cast where
one is: the answers must be exactly those of the plain even-odd test, wherever a point lies
(in a cell, on a cell's side or corner, on an edge, on a vertex, in the sea, NaN)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.common.geography import UK_OUTLINE, inside_uk
from tests.support.monthly_config import SAMPLE

OUTLINE = np.asarray(UK_OUTLINE)
WEST, SOUTH = OUTLINE.min(axis=0)
EAST, NORTH = OUTLINE.max(axis=0)


def even_odd(x: float, y: float) -> bool:
    """The even-odd rule written out for one point, from the outline's vertices alone (half-open
    in y): the reference the vectorised test must agree with."""
    if not (WEST <= x <= EAST and SOUTH <= y <= NORTH):
        return False
    inside = False
    n = len(UK_OUTLINE)
    for i in range(n):
        ax, ay = UK_OUTLINE[i]
        bx, by = UK_OUTLINE[(i + 1) % n]
        if (ay > y) != (by > y) and x < ax + (y - ay) * (bx - ax) / (by - ay):
            inside = not inside
    return inside


def check(lon: np.ndarray, lat: np.ndarray) -> None:
    got = inside_uk(lon, lat)
    expected = np.array([even_odd(float(x), float(y)) for x, y in zip(lon, lat)], dtype=bool)
    wrong = np.flatnonzero(got != expected)
    assert wrong.size == 0, [(lon[i], lat[i], bool(got[i])) for i in wrong[:5]]


def test_random_points_over_and_around_the_outline() -> None:
    rng = np.random.default_rng(7)
    check(rng.uniform(-9.5, 2.5, 40_000), rng.uniform(49.0, 61.5, 40_000))


@pytest.mark.parametrize("step", [0.1, 0.05, 0.025])
def test_points_on_the_grid_lines_and_their_crossings(step: float) -> None:
    """On a cell's side the cell a point is put in is decided by rounding: either answer must
    be the ray cast's."""
    xs = WEST + step * np.arange(int((EAST - WEST) / step) + 2)
    ys = SOUTH + step * np.arange(int((NORTH - SOUTH) / step) + 2)
    lon, lat = (a.ravel() for a in np.meshgrid(xs, ys))
    check(lon, lat)


def test_points_on_the_edges_and_at_the_vertices() -> None:
    rng = np.random.default_rng(11)
    i = rng.integers(0, len(OUTLINE), 20_000)
    j = (i + 1) % len(OUTLINE)
    t = rng.uniform(0.0, 1.0, i.size)
    lon = OUTLINE[i, 0] + t * (OUTLINE[j, 0] - OUTLINE[i, 0])
    lat = OUTLINE[i, 1] + t * (OUTLINE[j, 1] - OUTLINE[i, 1])
    nudge = rng.choice([-1e-9, 0.0, 1e-9], size=(2, i.size))
    check(
        np.concatenate([lon, lon + nudge[0], OUTLINE[:, 0]]),
        np.concatenate([lat, lat + nudge[1], OUTLINE[:, 1]]),
    )


def test_missing_and_infinite_coordinates_are_outside() -> None:
    lon = np.array([np.nan, -1.13, np.inf, -np.inf, -1.13, 1.85, -8.80])
    lat = np.array([52.63, np.nan, 52.63, 52.63, np.inf, 60.95, 49.75])
    assert inside_uk(lon, lat).tolist() == [False] * 7


def test_every_real_published_location_of_the_sample_months() -> None:
    frames = [
        pd.read_csv(path, usecols=["Longitude", "Latitude"]).dropna()
        for path in sorted((SAMPLE / "police-uk").rglob("*-street.csv"))[:3]
    ]
    points = pd.concat(frames)
    lon, lat = points["Longitude"].to_numpy(), points["Latitude"].to_numpy()
    assert inside_uk(lon, lat).all()
    check(lon[:5_000], lat[:5_000])
