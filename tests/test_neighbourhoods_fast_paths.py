"""The assignment's vectorised steps (core.publish.neighbourhoods) give exactly what their
plain forms give: outline bounds from the edges against ring by ring, blank coordinate texts
against ``strip() == ""``, and the whole assignment of real crimes to the committed
Leicestershire MSOAs by point in polygon against a point-by-point even-odd test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.publish import neighbourhoods as nb
from crime_mapper.core.publish.summaries_run import load_neighbourhoods
from tests.support.neighbourhood_data import assert_same_assignment
from tests.support.summaries_release import msoa_source


@pytest.fixture(scope="module")
def hoods() -> nb.Neighbourhoods:
    return load_neighbourhoods(msoa_source())


def _set(rings: list[list[np.ndarray]]) -> nb.Neighbourhoods:
    n = len(rings)
    return nb.Neighbourhoods(
        codes=[f"E0{i}" for i in range(n)],
        names=[f"Area {i}" for i in range(n)],
        rings=rings,
        population=np.full(n, np.nan),
    )


def test_bounds_from_the_edges_are_those_ring_by_ring(hoods: nb.Neighbourhoods) -> None:
    got = hoods.bounds()
    assert np.array_equal(got, hoods._bounds_ring_by_ring(), equal_nan=True)
    assert np.isfinite(got).all()


@pytest.mark.parametrize("seed", range(10))
def test_fuzzed_bounds_are_those_ring_by_ring(seed: int) -> None:
    """Neighbourhoods of several rings, some of none, the extreme vertex anywhere in a ring
    (first, last, inside), rings of two vertices."""
    rng = np.random.default_rng(seed)
    rings = []
    for _ in range(int(rng.integers(1, 40))):
        mine = []
        for _ in range(int(rng.integers(0, 4))):
            pts = rng.uniform(-3, 3, size=(int(rng.integers(2, 9)), 2))
            mine.append(pts)
        rings.append(mine)
    one = _set(rings)
    assert np.array_equal(one.bounds(), one._bounds_ring_by_ring(), equal_nan=True)


def test_a_ring_of_one_vertex_is_bounded_ring_by_ring() -> None:
    """A ring of one vertex has no edge: its vertex still bounds its neighbourhood."""
    one = _set([[np.array([[5.0, 6.0]]), np.array([[0.0, 0.0], [1.0, 1.0]])], []])
    assert one.bounds()[0].tolist() == [0.0, 0.0, 5.0, 6.0]
    assert np.isnan(one.bounds()[1]).all()


def test_blank_texts_are_those_strip_finds_blank() -> None:
    values = ["", " ", "\t\n", "\u3000", "\xa0", "\x1c\x1d", "\u200b", " 1 ", "-1.1", "a", "\x00"]
    got = nb._blank_texts(np.asarray(values, dtype=object)).tolist()
    assert got == [v.strip() == "" for v in values]
    assert got[:6] == [True] * 6 and got[6:] == [False] * 5


def _even_odd(lon: float, lat: float, hoods: nb.Neighbourhoods) -> int:
    """The first neighbourhood whose rings a ray from the point crosses an odd number of
    times (each point alone, the reference)."""
    for i, rings in enumerate(hoods.rings):
        x, y = np.array([lon]), np.array([lat])
        crossings = sum(int(nb._crossings(x, y, nb._ring_edges(ring))[0]) for ring in rings)
        if rings and crossings % 2 == 1:
            return i
    return nb.OUTSIDE


def test_assignment_by_polygon_is_the_point_by_point_test(hoods: nb.Neighbourhoods) -> None:
    """Points over and around the outlines (text as a release writes it, blanks among them),
    assigned by polygon (the LSOA codes match no lookup): each the even-odd test's answer."""
    rng = np.random.default_rng(7)
    b = hoods.bounds()
    lon = rng.uniform(np.nanmin(b[:, 0]) - 0.05, np.nanmax(b[:, 2]) + 0.05, 400)
    lat = rng.uniform(np.nanmin(b[:, 1]) - 0.05, np.nanmax(b[:, 3]) + 0.05, 400)
    lon_text = [f"{v:.6f}" for v in lon]
    lat_text = [f"{v:.6f}" for v in lat]
    lon_text[3] = lat_text[5] = " "
    public = pd.DataFrame(
        {"LSOA code": ["X"] * 400, "Longitude": lon_text, "Latitude": lat_text}, dtype=object
    )
    got = nb.assign_crimes(public, hoods).index.tolist()
    want = [
        nb.NO_LOCATION if i in (3, 5) else _even_odd(float(x), float(y), hoods)
        for i, (x, y) in enumerate(zip(lon_text, lat_text))
    ]
    assert got == want
    assert sum(i >= 0 for i in got) > 50  # (many points inside: the test has teeth)


# --- the coordinates' codes a reader made, taken instead of factorizing again -----------------
ODD_TEXTS = ["", " ", "\t", "-1.1", "52.6", "nan", "inf", "-0", "1e3", "x", " 52.6 ", "\u3000"]


@pytest.mark.parametrize("seed", range(20))
def test_assignment_from_the_readers_codes_is_the_assignment(
    seed: int, hoods: nb.Neighbourhoods
) -> None:
    """assign_crimes given the Longitude and Latitude columns as the web map's reader
    factorized them (webmap_inputs.parse_coded) is the assignment that factorizes them
    itself: the same rows by lookup, by polygon, outside and without a location."""
    from crime_mapper.core.publish.webmap_inputs import parse_coded

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    b = hoods.bounds()
    lon = [f"{v:.6f}" for v in rng.uniform(np.nanmin(b[:, 0]), np.nanmax(b[:, 2]), n)]
    lat = [f"{v:.6f}" for v in rng.uniform(np.nanmin(b[:, 1]), np.nanmax(b[:, 3]), n)]
    for column in (lon, lat):
        for i in rng.choice(n, size=n // 4):
            column[i] = ODD_TEXTS[int(rng.integers(len(ODD_TEXTS)))]
    codes = list(hoods.lookup)[:3] + ["X", ""]
    public = pd.DataFrame(
        {
            "LSOA code": [codes[int(rng.integers(len(codes)))] for _ in range(n)],
            "Longitude": lon,
            "Latitude": lat,
        },
        dtype=object,
    )
    (lon_f, lon_coded), (lat_f, lat_coded) = (
        parse_coded(public["Longitude"]),
        parse_coded(public["Latitude"]),
    )
    want = nb.assign_crimes(public, hoods)
    # the codes alone, and the codes with the numbers parsed from them (one per row)
    for got in (
        nb.assign_crimes(public, hoods, (lon_coded, lat_coded)),
        nb.assign_crimes(public, hoods, (lon_coded, lat_coded), (lon_f, lat_f)),
    ):
        assert_same_assignment(got, want)


def test_codes_of_other_rows_are_refused(hoods: nb.Neighbourhoods) -> None:
    public = pd.DataFrame({"LSOA code": ["X"] * 3, "Longitude": ["1"] * 3, "Latitude": ["2"] * 3})
    two = (np.zeros(2, dtype=np.int64), np.array(["1"], dtype=object))
    with pytest.raises(ValueError, match="one per row"):
        nb.assign_crimes(public, hoods, (two, two))
    three = (np.zeros(3, dtype=np.int64), np.array(["1"], dtype=object))
    with pytest.raises(ValueError, match="one per row"):
        nb.assign_crimes(public, hoods, (three, three), (np.zeros(2), np.zeros(2)))
