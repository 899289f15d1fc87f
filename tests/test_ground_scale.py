"""How true a projected CRS's metres are where the crimes are (core.common.projection).

Why: a crimes layer in Web Mercator (EPSG:3857, what many web tools export) was taken as
metres by the hotspot tools, though at British latitudes one of its metres is about 0.6 m on
the ground: a "500 m" hexagon was some 310 m across, without a word. The measurement tells
such a CRS from British National Grid, Irish Transverse Mercator or a UTM zone, whose metres
are true to 0.1%.

Real PROJ transforms, real coordinates; the expected scales are the projections' own
formulas (Web Mercator: about cos(latitude) metres on the ground per unit).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from crime_mapper.core.common.geography import transform
from crime_mapper.core.common.projection import (
    GROUND_SCALE_TOLERANCE,
    distorted_scale,
    ground_scale,
)

#: Leicester, and the whole of Great Britain's extent (Scilly to Shetland)
LEICESTER = (np.array([-1.20, -1.05, -1.10]), np.array([52.58, 52.70, 52.63]))
GREAT_BRITAIN = (np.array([-6.3, 1.7, -2.0]), np.array([49.9, 58.6, 54.0]))


def _in(crs: str, lon_lat: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    return transform(*lon_lat, "EPSG:4326", crs)


E2 = 0.0066943799901413165  # WGS84's first eccentricity squared


def test_web_mercator_metres_are_cos_latitude_on_the_ground():
    """Web Mercator puts WGS84's latitudes on a sphere: east of a point, N cos(lat) / a
    ground metres per unit; north, M cos(lat) / a (N and M: the ellipsoid's radii of
    curvature). The largest is east at the points' south edge, the smallest north at their
    north edge."""
    x, y = _in("EPSG:3857", LEICESTER)
    low, high = ground_scale(x, y, "EPSG:3857")
    north, south = math.radians(52.70), math.radians(52.58)
    east_scale = math.cos(south) / math.sqrt(1 - E2 * math.sin(south) ** 2)
    north_scale = math.cos(north) * (1 - E2) / (1 - E2 * math.sin(north) ** 2) ** 1.5
    assert high == pytest.approx(east_scale, rel=1e-4)
    assert low == pytest.approx(north_scale, rel=1e-4)
    assert distorted_scale(x, y, "EPSG:3857") == pytest.approx(low)


@pytest.mark.parametrize("crs", ["EPSG:27700", "EPSG:32630", "EPSG:3035"])
def test_grids_true_to_their_metres_over_great_britain_pass(crs):
    """British National Grid, UTM 30N and the European equal-area grid, over all Britain."""
    x, y = _in(crs, GREAT_BRITAIN)
    low, high = ground_scale(x, y, crs)
    assert 1 - GROUND_SCALE_TOLERANCE < low <= high < 1 + GROUND_SCALE_TOLERANCE
    assert distorted_scale(x, y, crs) is None


def test_irish_transverse_mercator_passes_in_northern_ireland():
    x, y = _in("EPSG:2157", (np.array([-8.1, -5.5]), np.array([54.0, 55.3])))
    assert distorted_scale(x, y, "EPSG:2157") is None


def test_british_national_grid_measures_its_known_scale_factor():
    """0.9996013 on the central meridian (2 degrees west): 1.0004 ground metres per unit."""
    x, y = _in("EPSG:27700", (np.array([-2.0]), np.array([52.0])))
    low, high = ground_scale(x, y, "EPSG:27700")
    assert low == pytest.approx(1 / 0.9996012717, abs=1e-4)
    assert high == pytest.approx(low, abs=1e-6)


def test_no_finite_point_cannot_be_measured():
    nan = np.array([np.nan])
    assert ground_scale(nan, nan, "EPSG:3857") is None
    assert distorted_scale(nan, nan, "EPSG:3857") is None
