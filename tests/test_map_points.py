"""Map points: building them from arrays, police.uk history, roads and hexagons; the CSV form.

The history tests use the real police.uk slices in sample_data/ (Leicestershire 2022-09 as a
folder and 2022-10 as the monthly zip) through the real loader. There is no roads data in the
project, so the roads tests use small hand-built networks in British National Grid metres
(synthetic on purpose: every expected candidate can be worked out by hand).
"""

from __future__ import annotations

import csv
import math
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.common.geography import BRITISH_NATIONAL_GRID, WGS84, transform
from crime_mapper.core.common.projection import ZONE_CRS, choose_crs, to_projected, zone_of
from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.release.map_points import (
    CSV_COLUMNS,
    MapPoints,
    MapPointsError,
    _apply_min_addresses,
    coordinate_keys,
    map_points_from_arrays,
    map_points_from_history,
    map_points_from_roads,
    map_points_hexagon_fallback,
    read_map_points_csv,
    strip_location_prefix,
    write_map_points_csv,
)

# A street corner in Leicester, in BNG metres: the synthetic road networks sit around it.
X0, Y0 = 458_000.0, 304_000.0


@pytest.fixture(scope="module")
def leicestershire(repo_root: Path) -> pd.DataFrame:
    base = repo_root / "sample_data" / "police-uk"
    result = load_extracts([base / "2022-09", base / "2022-10.zip"])
    return result.crimes


def _raw_rows(repo_root: Path) -> list[dict[str, str]]:
    """The same two months read with the csv module (an oracle independent of the loader)."""
    rows: list[dict[str, str]] = []
    for month in ("2022-09", "2022-10"):
        folder = repo_root / "sample_data" / "police-uk" / month
        path = folder / f"{month}-leicestershire-street.csv"
        with open(path, newline="", encoding="utf-8") as handle:
            rows.extend(csv.DictReader(handle))
    return rows


# --- projection -------------------------------------------------------------------------------


def test_zone_of_northern_ireland_and_its_neighbours() -> None:
    places = {
        "Belfast": (-5.93, 54.60, 1),
        "Derry": (-7.31, 55.00, 1),
        "Enniskillen": (-7.64, 54.34, 1),
        "Newry": (-6.34, 54.18, 1),
        "Rathlin": (-6.20, 55.29, 1),
        "Donaghadee": (-5.54, 54.64, 1),
        "Portpatrick": (-5.12, 54.84, 0),
        "Mull of Kintyre": (-5.80, 55.31, 0),
        "Isle of Man": (-4.48, 54.15, 0),
        "Islay": (-6.20, 55.65, 0),
        "Glasgow": (-4.25, 55.86, 0),
        "Leicester": (-1.13, 52.63, 0),
        "London": (-0.12, 51.50, 0),
    }
    lon = np.array([p[0] for p in places.values()])
    lat = np.array([p[1] for p in places.values()])
    expected = np.array([p[2] for p in places.values()], dtype=np.int8)
    got = zone_of(lon, lat)
    assert got.dtype == np.int8
    assert dict(zip(places, got.tolist())) == dict(zip(places, expected.tolist()))
    assert zone_of(np.array([np.nan]), np.array([54.6])).tolist() == [0]


def test_to_projected_uses_each_zones_crs_and_choose_crs_takes_the_majority() -> None:
    lon = np.array([-1.13, -5.93, np.nan])
    lat = np.array([52.63, 54.60, 52.0])
    x, y, zone = to_projected(lon, lat)
    assert zone.tolist() == [0, 1, 0]
    bx, by = transform(lon[:1], lat[:1], WGS84, ZONE_CRS[0])
    ix, iy = transform(lon[1:2], lat[1:2], WGS84, ZONE_CRS[1])
    assert (x[0], y[0]) == (bx[0], by[0])
    assert (x[1], y[1]) == (ix[0], iy[0])
    assert np.isnan(x[2]) and np.isnan(y[2])
    assert choose_crs(np.array([-5.9, -5.95, -1.1]), np.array([54.6, 54.6, 52.6])) == "EPSG:2157"
    assert choose_crs(np.array([-5.9, -1.1]), np.array([54.6, 52.6])) == "EPSG:27700"
    assert choose_crs(np.array([]), np.array([])) == "EPSG:27700"


# --- MapPoints and map_points_from_arrays -----------------------------------------------------


def test_map_points_round_to_six_places_and_cache_the_projection() -> None:
    pts = map_points_from_arrays([-1.12345678, -1.2], [52.61234567, 52.6], ["A Street", ""])
    assert pts.longitude.tolist() == [-1.123457, -1.2]
    assert pts.latitude.tolist() == [52.612346, 52.6]
    assert pts.label.tolist() == ["A Street", ""]
    assert pts.source.tolist() == ["layer", "layer"]
    assert pts.addresses.dtype == np.int64 and pts.addresses.tolist() == [-1, -1]
    assert len(pts) == 2
    assert pts.projected() is pts.projected()
    assert pts.location_text().tolist() == ["On or near A Street", "On or near "]


def test_duplicate_coordinates_are_merged_keeping_the_first_label() -> None:
    pts = map_points_from_arrays(
        [-1.1, -1.2, -1.1000001, -1.3],
        [52.6, 52.7, 52.6000002, 52.8],
        ["First", "Other", "Second", "Third"],
        addresses=[8, 0, 9, 10],
    )
    assert len(pts) == 3
    assert pts.label.tolist() == ["First", "Other", "Third"]
    assert pts.addresses.tolist() == [17, 0, 10]
    assert any("merged" in w for w in pts.warnings)


@pytest.mark.parametrize(
    ("lon", "lat", "words"),
    [
        ([], [], "no map points"),
        ([-1.1, np.nan], [52.6, 52.6], "missing or non-numeric"),
        ([-1.1, 2.35], [52.6, 48.85], "outside the United Kingdom"),  # Paris
        ([-1.1], [52.6, 52.7], "longitudes but"),
    ],
)
def test_unusable_map_points_raise_a_clear_error(lon, lat, words) -> None:
    with pytest.raises(MapPointsError, match=words):
        map_points_from_arrays(lon, lat, None)


def test_coordinate_keys_match_exactly_at_the_requested_precision() -> None:
    pts = map_points_from_arrays([-1.123454, -1.2], [52.6, 52.7], None)
    keys = pts.coordinate_keys()
    assert keys.dtype == np.int64 and (keys >= 0).all()
    probe_lon = np.array([-1.1234541, -1.12347, -1.2, np.nan])
    probe_lat = np.array([52.6000004, 52.6, 52.7, 52.7])
    probe = coordinate_keys(probe_lon, probe_lat, 5)
    assert np.isin(probe, keys).tolist() == [True, False, True, False]
    assert probe[-1] == -1
    assert np.array_equal(pts.coordinate_keys(6), coordinate_keys(pts.longitude, pts.latitude, 6))
    with pytest.raises(ValueError):
        coordinate_keys(probe_lon, probe_lat, 7)


# --- police.uk history ------------------------------------------------------------------------


def test_history_points_are_the_distinct_published_points(leicestershire, repo_root) -> None:
    pts = map_points_from_history(leicestershire)
    raw = [r for r in _raw_rows(repo_root) if r["Longitude"]]
    labels: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for r in raw:
        labels[(r["Longitude"], r["Latitude"])][strip_location_prefix(r["Location"])] += 1
    assert len(pts) == len(labels)
    assert set(pts.source) == {"police.uk history"}
    assert (pts.addresses == -1).all()
    got = {
        (f"{lon:.6f}", f"{lat:.6f}"): lab
        for lon, lat, lab in zip(pts.longitude, pts.latitude, pts.label)
    }
    assert set(got) == set(labels)
    for key, counter in labels.items():
        if len(counter) == 1:
            assert got[key] == next(iter(counter))
    # police.uk's empty labels ("On or near " and nothing else) survive as "".
    assert (pts.label == "").sum() > 0
    assert not any(lab.startswith("On or near") for lab in pts.label)
    assert (pts.lsoa_code != "").all() and (pts.lsoa_name != "").all()
    # Sorted by longitude then latitude: independent of file order.
    order = np.lexsort((pts.latitude, pts.longitude))
    assert np.array_equal(order, np.arange(len(pts)))


def test_history_does_not_depend_on_row_order(leicestershire) -> None:
    first = map_points_from_history(leicestershire)
    shuffled = leicestershire.sample(frac=1.0, random_state=3)
    second = map_points_from_history(shuffled)
    for name in ("longitude", "latitude", "label", "lsoa_code", "lsoa_name"):
        assert np.array_equal(getattr(first, name), getattr(second, name)), name


def test_history_label_rule_most_frequent_then_latest_then_alphabetical() -> None:
    rows = [
        # point 1: "Beta" twice, "Alpha" once -> Beta
        (-1.1, 52.6, "On or near Alpha", "2022-03"),
        (-1.1, 52.6, "On or near Beta", "2022-01"),
        (-1.1, 52.6, "On or near Beta", "2022-02"),
        # point 2: one each; "Zed" is the latest month -> Zed
        (-1.2, 52.6, "On or near Aardvark Road", "2022-01"),
        (-1.2, 52.6, "On or near Zed Street", "2022-04"),
        # point 3: one each in the same month -> alphabetical
        (-1.3, 52.6, "On or near Yew Way", "2022-05"),
        (-1.3, 52.6, "On or near Ash Way", "2022-05"),
        # point 4: the empty label, twice, beats a named one
        (-1.4, 52.6, "On or near ", "2022-01"),
        (-1.4, 52.6, "On or near ", "2022-01"),
        (-1.4, 52.6, "On or near Park", "2022-06"),
        # no location: ignored
        (np.nan, np.nan, "No Location", "2022-01"),
    ]
    crimes = pd.DataFrame(rows, columns=["longitude", "latitude", "location", "month"])
    crimes["lsoa_code"] = "E01000001"
    crimes["lsoa_name"] = "Somewhere 001A"
    crimes["location"] = crimes["location"].astype("category")
    crimes["month"] = crimes["month"].astype("category")
    pts = map_points_from_history(crimes)
    assert pts.longitude.tolist() == [-1.4, -1.3, -1.2, -1.1]
    assert pts.label.tolist() == ["", "Ash Way", "Zed Street", "Beta"]


def test_history_without_any_location_is_an_error() -> None:
    crimes = pd.DataFrame(
        {
            "longitude": [np.nan],
            "latitude": [np.nan],
            "location": ["No Location"],
            "lsoa_code": [""],
            "lsoa_name": [""],
            "month": ["2022-01"],
        }
    )
    with pytest.raises(MapPointsError, match="no crime"):
        map_points_from_history(crimes)
    with pytest.raises(MapPointsError, match="lacks column"):
        map_points_from_history(crimes.drop(columns=["month"]))


def _month_with_bad_rows(repo_root: Path, folder: Path) -> Path:
    """The published 2022-09 month with Infinity in row 1's longitude and NaN in row 3's
    coordinates (as a spreadsheet's export can write them)."""
    month = (
        repo_root / "sample_data" / "police-uk" / "2022-09" / "2022-09-leicestershire-street.csv"
    )
    lines = month.read_text(encoding="utf-8").splitlines()
    for row, (x, y) in ((1, ("Infinity", "52.6")), (3, ("NaN", "NaN"))):
        fields = lines[row].split(",")
        fields[4:6] = [x, y]
        lines[row] = ",".join(fields)
    path = folder / month.name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_history_rows_rejected_are_said_with_their_reasons(repo_root, tmp_path) -> None:
    """Rows with Infinity or NaN coordinates gave no map point and the command said only how
    many crimes it used: they are counted and named, with the load's reasons."""
    from crime_mapper.core.release.map_points_files import history_points

    pts = history_points([_month_with_bad_rows(repo_root, tmp_path)])
    assert pts.warnings == [
        "2 rows of the police.uk history were rejected and gave no map point "
        "(bad_coordinates 2): 2022-09-leicestershire-street.csv line 2: Coordinates are not "
        "numbers (x='Infinity', y='52.6'); 2022-09-leicestershire-street.csv line 4: "
        "Coordinates are not numbers (x='NaN', y='NaN')"
    ]
    clean = history_points([repo_root / "sample_data" / "police-uk" / "2022-09"])
    assert clean.warnings == []


def test_map_points_history_command_accounts_for_every_row(repo_root, tmp_path) -> None:
    from tests.support.plain_cli import plain_cli

    path = _month_with_bad_rows(repo_root, tmp_path)
    rows = len(path.read_text(encoding="utf-8").splitlines()) - 1
    run = plain_cli("map-points", "history", path, "--out", tmp_path / "points.csv")
    assert run.returncode == 0, run.stderr
    assert f"Rows read {rows:,} = accepted {rows - 2:,} + rejected 2\n" in run.stdout
    assert "Warning: 2 rows of the police.uk history were rejected" in run.stdout
    assert "line 2: Coordinates are not numbers (x='Infinity', y='52.6')" in run.stdout


# --- roads ------------------------------------------------------------------------------------


def _bng(points: MapPoints) -> np.ndarray:
    x, y = transform(points.longitude, points.latitude, WGS84, BRITISH_NATIONAL_GRID)
    return np.column_stack([x - X0, y - Y0])


def _small_network() -> tuple[list[np.ndarray], list[str]]:
    """Main Road (0,0)-(600,0) crossed by Cross Street at x=200 and met by Short Lane at x=400;
    Long Road, 700 m with no junction, further north."""
    roads = [
        [(0, 0), (200, 0), (400, 0), (600, 0)],
        [(200, -200), (200, 0), (200, 200)],
        [(400, 0), (400, 100)],
        [(0, 1000), (700, 1000)],
    ]
    return (
        [np.asarray(r, dtype=float) + (X0, Y0) for r in roads],
        ["Main Road", "Cross Street", "Short Lane", "Long Road"],
    )


EXPECTED_CANDIDATES = {  # (x, y) relative to X0, Y0 -> label
    (100.0, 0.0): "Main Road",
    (300.0, 0.0): "Main Road",
    (500.0, 0.0): "Main Road",
    (200.0, -100.0): "Cross Street",
    (200.0, 100.0): "Cross Street",
    (400.0, 50.0): "Short Lane",
    (700 / 6, 1000.0): "Long Road",
    (350.0, 1000.0): "Long Road",
    (3500 / 6, 1000.0): "Long Road",
}


def _by_position(points: MapPoints) -> dict[tuple[float, float], tuple[str, int]]:
    xy = _bng(points)
    out = {}
    for (x, y), label, addr in zip(xy, points.label, points.addresses):
        key = min(EXPECTED_CANDIDATES, key=lambda k: math.hypot(k[0] - x, k[1] - y))
        assert math.hypot(key[0] - x, key[1] - y) < 0.2  # 6 dp of latitude is ~0.11 m
        out[key] = (label, int(addr))
    return out


def test_roads_without_addresses_keep_every_segment_centre() -> None:
    roads, labels = _small_network()
    pts = map_points_from_roads(roads, labels, "EPSG:27700")
    assert len(pts) == len(EXPECTED_CANDIDATES)
    got = _by_position(pts)
    assert {k: v[0] for k, v in got.items()} == EXPECTED_CANDIDATES
    assert all(v[1] == -1 for v in got.values())
    assert set(pts.source) == {"roads"}


def test_roads_with_addresses_drop_a_three_address_point_into_its_neighbour() -> None:
    """Short Lane's centre (400, 50) has 3 addresses: it is dropped and they join the nearest
    surviving point, Main Road at (500, 0) (108 m away, against 125 m to (300, 0))."""
    roads, labels = _small_network()
    addresses = (
        [(100 + i, -10.0) for i in range(8)]  # 8 -> Main Road (100, 0)
        + [(500 + i, -20.0) for i in range(10)]  # 10 -> Main Road (500, 0)
        + [(200.0, 110 + i) for i in range(9)]  # 9 -> Cross Street (200, 100)
        + [(410.0, 60.0), (411.0, 60.0), (410.0, 61.0)]  # 3 -> Short Lane (400, 50)
    )
    addr = np.asarray(addresses) + (X0, Y0)
    pts = map_points_from_roads(roads, labels, "EPSG:27700", addresses_xy=addr, k=8)
    got = _by_position(pts)
    assert (400.0, 50.0) not in got
    assert got[(500.0, 0.0)] == ("Main Road", 13)
    assert got[(100.0, 0.0)] == ("Main Road", 8)
    assert got[(200.0, 100.0)] == ("Cross Street", 9)
    assert got[(300.0, 0.0)] == ("Main Road", 0)  # no addresses: kept ("or none")
    assert len(pts) == len(EXPECTED_CANDIDATES) - 1
    assert int(pts.addresses.sum()) == len(addresses)
    assert any("dropped" in w for w in pts.warnings)


def _grid_network(n: int = 12, step: float = 100.0) -> tuple[list[np.ndarray], list[str]]:
    ticks = np.arange(n + 1) * step
    roads, labels = [], []
    for i, t in enumerate(ticks):
        roads.append(np.column_stack([ticks, np.full(ticks.size, t)]) + (X0, Y0))
        labels.append(f"Row {i}")
        roads.append(np.column_stack([np.full(ticks.size, t), ticks]) + (X0, Y0))
        labels.append(f"Column {i}")
    return roads, labels


def test_roads_k_rule_holds_for_every_kept_point_and_addresses_are_conserved() -> None:
    roads, labels = _grid_network()
    rng = np.random.default_rng(11)
    # Clustered addresses: dense estates, a sparse fringe (so many candidates start below k).
    centres = rng.uniform(0, 1200, size=(15, 2))
    clustered = centres[rng.integers(0, 15, 1500)] + rng.normal(0, 60, size=(1500, 2))
    sparse = rng.uniform(0, 1200, size=(120, 2))
    addr = np.vstack([clustered, sparse]) + (X0, Y0)
    for k in (8, 20):
        pts = map_points_from_roads(roads, labels, "EPSG:27700", addresses_xy=addr, k=k)
        counts = pts.addresses
        assert ((counts == 0) | (counts >= k)).all(), k
        assert int(counts.sum()) == addr.shape[0], k
        assert (counts >= k).sum() > 10


def test_min_address_rule_catchments_are_the_nearest_kept_point() -> None:
    """The stored count of each kept point equals the number of addresses whose nearest kept
    point it is (checked by brute force)."""
    rng = np.random.default_rng(5)
    cand = rng.uniform(0, 1000, size=(150, 2))
    addr = np.vstack([rng.uniform(0, 1000, size=(400, 2)), rng.normal(300, 40, size=(300, 2))])
    keep, counts = _apply_min_addresses(cand, addr, 8)
    kept = np.flatnonzero(keep)
    d = np.hypot(addr[:, None, 0] - cand[None, kept, 0], addr[:, None, 1] - cand[None, kept, 1])
    nearest = kept[np.argmin(d, axis=1)]
    assert np.array_equal(np.bincount(nearest, minlength=cand.shape[0])[kept], counts[kept])
    assert ((counts[kept] == 0) | (counts[kept] >= 8)).all()
    assert (counts[~keep] == 0).all()


def test_roads_bad_input() -> None:
    roads, labels = _small_network()
    with pytest.raises(MapPointsError, match="not in metres"):
        map_points_from_roads(roads, labels, "EPSG:4326")
    with pytest.raises(MapPointsError, match="no lines"):
        map_points_from_roads([], [], "EPSG:27700")
    with pytest.raises(MapPointsError, match="only 3 address"):
        map_points_from_roads(
            roads, labels, "EPSG:27700", addresses_xy=np.array([[X0, Y0]] * 3), k=8
        )


# --- hexagon fallback -------------------------------------------------------------------------


def test_hexagon_fallback_centres_labels_and_warning(leicestershire) -> None:
    located = leicestershire[leicestershire["has_location"]]
    lon = located["longitude"].to_numpy()
    lat = located["latitude"].to_numpy()
    names = located["lsoa_name"].astype(str).to_numpy()
    size = 500.0
    # every cell kept (min_locations=1): the lattice and labels are what is tested here
    pts = map_points_hexagon_fallback(lon, lat, size, area_names=names, min_locations=1)
    assert pts.warnings[0] == (
        "Hexagon fallback: these map points are hexagon centres of 500 m, "
        "not street-level points; locations read 'On or near <area>'."
    )
    assert set(pts.source) == {"hexagon fallback"}
    assert set(pts.label) <= set(names)
    # Centres lie on the pointy-top lattice anchored at the BNG origin.
    x, y = transform(pts.longitude, pts.latitude, WGS84, BRITISH_NATIONAL_GRID)
    r = y / (size * math.sqrt(3) / 2)
    q = x / size - np.round(r) / 2
    assert np.allclose(r, np.round(r), atol=1e-3) and np.allclose(q, np.round(q), atol=1e-3)
    # Each crime's nearest centre is at most one circumradius away (its own cell).
    cx, cy = transform(lon, lat, WGS84, BRITISH_NATIONAL_GRID)
    d = np.hypot(cx[:, None] - x[None, :], cy[:, None] - y[None, :]).min(axis=1)
    assert d.max() <= size / math.sqrt(3) + 0.5
    # The label is the most frequent area among the crimes nearest to that centre. Centres are
    # published at 6 dp (~0.1 m), so a crime within a metre of a cell edge may look nearer to
    # the neighbour here: cells touched by such a crime are not checked.
    dist = np.hypot(cx[:, None] - x[None, :], cy[:, None] - y[None, :])
    two = np.argsort(dist, axis=1)[:, :2]
    d2 = np.take_along_axis(dist, two, axis=1)
    edge = d2[:, 1] - d2[:, 0] < 1.0
    unsure = set(two[edge].ravel().tolist())
    nearest = two[:, 0]
    checked = 0
    for i in range(len(pts)):
        if i in unsure:
            continue
        checked += 1
        counter = Counter(names[nearest == i])
        top = max(counter.values())
        assert pts.label[i] == min(n for n, c in counter.items() if c == top)
    assert checked > 0.5 * len(pts)


def test_hexagon_fallback_without_names_and_bad_size() -> None:
    pts = map_points_hexagon_fallback(
        [-1.13, -1.131, -1.20, np.nan], [52.63, 52.63, 52.70, 1.0], 1000, min_locations=1
    )
    assert len(pts) == 2
    assert sorted(pts.label) == ["area 1", "area 2"]
    with pytest.raises(MapPointsError, match="positive"):
        map_points_hexagon_fallback([-1.13], [52.63], 0)
    # below the hotspot lattice's floor (HexGrid): a map points error, not a hotspot one
    with pytest.raises(MapPointsError, match="hexagon size must be at least 10 m, not 0.5 m"):
        map_points_hexagon_fallback([-1.13], [52.63], 0.5)
    # and above its ceiling: a map points error too (it was HexGrid's hotspots error, which
    # Processing reported as "Build map points failed", unlike the floor's "Map points: ...")
    ceiling = "hexagon size must be at most 1,000,000 m, not 1,000,000,000 m"
    with pytest.raises(MapPointsError, match=ceiling):
        map_points_hexagon_fallback([-1.13], [52.63], 1e9)
    with pytest.raises(MapPointsError, match="no crime has a location"):
        map_points_hexagon_fallback([np.nan], [np.nan], 500)
    # by default a cell needs 8 distinct crime locations: two crimes make no point at all
    with pytest.raises(MapPointsError, match="8 or more distinct crime locations"):
        map_points_hexagon_fallback([-1.13, -1.131], [52.63, 52.63], 1000)


def test_hexagon_fallback_drops_cells_with_fewer_than_k_locations() -> None:
    """A cell of 3 distinct locations gets no point; its crimes go to the next centre."""
    rng = np.random.default_rng(5)
    busy_lon = -1.13 + rng.normal(0, 0.0008, 40)
    busy_lat = 52.63 + rng.normal(0, 0.0005, 40)
    lone_lon = np.array([-1.10, -1.10, -1.1001, -1.1002])  # 3 distinct locations, 2 km east
    lone_lat = np.array([52.63, 52.63, 52.6301, 52.6302])
    pts = map_points_hexagon_fallback(
        np.concatenate([busy_lon, lone_lon]), np.concatenate([busy_lat, lone_lat]), 500
    )
    x, _y = transform(pts.longitude, pts.latitude, WGS84, BRITISH_NATIONAL_GRID)
    lone_x, _ = transform(lone_lon, lone_lat, WGS84, BRITISH_NATIONAL_GRID)
    assert np.abs(x - lone_x[0]).min() > 1000  # no centre near the lone crimes
    assert any("fewer than 8 distinct crime locations" in w for w in pts.warnings)


# --- CSV --------------------------------------------------------------------------------------


def test_csv_round_trip_guards_formulas(tmp_path: Path) -> None:
    pts = map_points_from_arrays(
        [-1.1, -1.2, -1.3],
        [52.6, 52.7, 52.8],
        ['=HYPERLINK("x")', "", "High Street"],
        source="roads",
        addresses=[8, 0, 12],
        lsoa_code=["E01000001", "", "E01000002"],
        lsoa_name=["A 001A", "", "-B 002A"],
    )
    path = tmp_path / "points.csv"
    write_map_points_csv(pts, path)
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "longitude,latitude,label,source,addresses,lsoa_code,lsoa_name"
    assert "'=HYPERLINK" in text and "'-B 002A" in text
    assert "-1.100000,52.600000" in text
    back = read_map_points_csv(path)
    for name in ("longitude", "latitude", "label", "source", "addresses", "lsoa_code", "lsoa_name"):
        assert np.array_equal(getattr(back, name), getattr(pts, name)), name
    assert [p.name for p in tmp_path.iterdir()] == ["points.csv"]  # no staging leftovers


def test_csv_minimal_columns_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "minimal.csv"
    path.write_text("Longitude,Latitude,Label\n-1.1,52.6,\n", encoding="utf-8")
    pts = read_map_points_csv(path)
    assert pts.label.tolist() == [""] and pts.source.tolist() == ["layer"]
    assert pts.addresses.tolist() == [-1]
    # no label column: every location would be published as "On or near " alone
    path.write_text("Longitude,Latitude,lsoa_code\n-1.1,52.6,E01000001\n", encoding="utf-8")
    with pytest.raises(MapPointsError, match="no 'label' column"):
        read_map_points_csv(path)
    path.write_text("x,y\n1,2\n", encoding="utf-8")
    with pytest.raises(MapPointsError, match="no 'longitude' column"):
        read_map_points_csv(path)
    path.write_text("longitude,latitude,label\nabc,52.6,A Road\n", encoding="utf-8")
    with pytest.raises(MapPointsError, match="row 1 \\(line 2\\): the longitude 'abc' is no"):
        read_map_points_csv(path)
    path.write_text("longitude,latitude,label\n", encoding="utf-8")
    with pytest.raises(MapPointsError, match="no map points"):
        read_map_points_csv(path)


def test_a_csv_holding_a_nul_is_refused_naming_its_line(tmp_path: Path) -> None:
    """pandas' parser ends a cell at a NUL: "Pinehurst\\x00Close" was published as "On or
    near Pinehurst", silently."""
    path = tmp_path / "points.csv"
    path.write_bytes(
        b"longitude,latitude,label\n-1.2,52.7,Mill Lane\n-1.1,52.6,Pinehurst\x00Close\n"
    )
    with pytest.raises(MapPointsError, match="NUL byte on line 3"):
        read_map_points_csv(path)
    path.write_bytes(b"")
    with pytest.raises(MapPointsError):  # (empty: refused as before, not by the NUL test)
        read_map_points_csv(path)


@pytest.mark.parametrize(
    "last_line",
    [
        "-1.1,52.6,Pinehur",  # a file cut off mid-label
        "-1.1,52.6,Pinehurst Close,layer,-1,E01000002",  # a row that lost its last cell
        '-1.1,52.6,"Pinehurst, Close",layer',  # quoted commas are no fields
    ],
)
def test_a_csv_row_with_fewer_fields_than_the_header_is_refused_naming_its_line(
    tmp_path: Path, last_line: str
) -> None:
    """pandas pads a short row with empty cells: "On or near Pinehur" with no LSOA and no
    source was published, and nobody was told."""
    path = tmp_path / "points.csv"
    header = ",".join(CSV_COLUMNS)
    whole = "-1.2,52.7,Mill Lane,layer,-1,E01000001,Blaby 001A"
    path.write_text(f"{header}\n{whole}\n\n{whole.replace('-1.2', '-1.3')}\n{last_line}\n")
    with pytest.raises(MapPointsError, match=r"line 5 has \d fields? where the header has 7"):
        read_map_points_csv(path)
    # whole rows with empty cells (an empty label and LSOA name are legitimate) still read
    path.write_text(f"{header}\n{whole}\n-1.1,52.6,,layer,-1,E01000002,\n")
    assert read_map_points_csv(path).lsoa_name.tolist() == ["Blaby 001A", ""]


def test_a_line_break_in_an_unquoted_label_is_said_to_cut_the_line(tmp_path: Path) -> None:
    """The second half of the cut line (its label's end, then the source...) was read as a
    longitude: "a coordinate ... is not a number (Unable to parse string "Close")", which
    sent the analyst looking at the coordinates. Quoted, the line break is a label's."""
    path = tmp_path / "points.csv"
    header = ",".join(CSV_COLUMNS)
    whole = "-1.2,52.7,Mill Lane,layer,-1,E01000001,Blaby 001A"
    path.write_text(f"{header}\n{whole}\n-1.1,52.6,Pinehurst\nClose,layer,-1,E1,Blaby 1\n")
    with pytest.raises(MapPointsError, match=r"line 3 has 3 fields where the header has 7"):
        read_map_points_csv(path)
    path.write_text(f'{header}\n{whole}\n-1.1,52.6,"Pinehurst\nClose",layer,-1,E1,Blaby 1\n')
    assert read_map_points_csv(path).label.tolist() == ["Mill Lane", "Pinehurst Close"]


def test_control_characters_in_labels_become_spaces() -> None:
    points = map_points_from_arrays(
        [-1.13, -1.14], [52.63, 52.64], ["High\x00Street", "Mill\r\nLane"]
    )
    assert sorted(points.label.tolist()) == ["High Street", "Mill  Lane"]


def _csv_read_by_value(path: Path):
    """The reference the CSV reader's shortcuts must equal: every column read as text, every
    guard quote undone value by value, MapPoints cleaning each value itself (the labels
    read as every map points file's are: module.file_labels)."""
    from crime_mapper.core.release import map_points as module

    table, lon, lat, addr = module._read_text_csv(path)

    def column(name: str):
        if name not in table.columns:
            return None
        return [module._unguard(v) for v in table[name].tolist()]

    return map_points_from_arrays(
        lon,
        lat,
        module.file_labels(np.asarray(column("label"), dtype=object)),
        source=column("source") or "layer",
        addresses=addr,
        lsoa_code=column("lsoa_code"),
        lsoa_name=column("lsoa_name"),
    )


_ODD_TEXT = [
    "", "'", "'=SUM(A1)", "'-B 002A", "'\tTabbed", "'@x", "''=x", "Tab\there", "Line\nbreak",
    "Carriage\rreturn", "DEL\x7f", "Unit\x1fsep", "Côte d'Azur", "naïve\x7f", "C1\x85next",
    "NA", "nan", "1", " padded ", "'+44", "Ünïcödé ✓", "\x01", "emoji 🚓",
]  # fmt: skip


@pytest.mark.parametrize("where", ["label", "source", "lsoa_code", "lsoa_name", "all"])
def test_csv_read_with_categoricals_equals_reading_every_value(tmp_path: Path, where) -> None:
    """The source is parsed as a categorical (guard quotes undone and control characters
    looked for once per distinct value), every text column's control characters are counted
    in its joined bytes, and MapPoints is told the text is checked when none holds one: with
    odd text (guard quotes, control characters, non-ASCII, values like numbers) in any column
    the points equal the value-by-value read."""
    rng = np.random.default_rng(8)
    rows = []
    for k in range(400):
        odd = _ODD_TEXT[k % len(_ODD_TEXT)] if k % 3 == 0 else ""
        values = {
            "label": f"On or near Street {k % 37}",
            "source": "roads" if k % 5 else "hexagon fallback",
            "lsoa_code": f"E0100{k % 11:04d}",
            "lsoa_name": f"Area {k % 11:03d}A",
        }
        for name in values:
            if odd and where in (name, "all"):
                values[name] = odd
        rows.append(
            [f"{-1.5 + rng.random():.6f}", f"{52 + rng.random():.6f}", values["label"],
             values["source"], str(k % 9), values["lsoa_code"], values["lsoa_name"]]
        )  # fmt: skip
    path = tmp_path / "points.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["longitude", "latitude", "label", "source", "addresses", "lsoa_code",
                         "lsoa_name"])  # fmt: skip
        writer.writerows(rows)
    if where in ("source", "all"):  # no odd text is a map points source: both refuse it
        for read in (read_map_points_csv, _csv_read_by_value):
            with pytest.raises(MapPointsError, match="is no map points source"):
                read(path)
        return
    got = read_map_points_csv(path)
    expected = _csv_read_by_value(path)
    for name in ("longitude", "latitude", "label", "source", "addresses", "lsoa_code", "lsoa_name"):
        assert getattr(got, name).tolist() == getattr(expected, name).tolist(), name
    assert all(type(v) is str for v in got.lsoa_name.tolist())


def test_csv_map_points_keep_none_of_the_files_other_columns(tmp_path: Path) -> None:
    """A points CSV with columns of its own (notes, a road id...) read fast: the text
    columns are taken from pandas' table without a copy of each value, but not as views
    into its block of columns, which would keep every other column's text alive as long
    as the map points live (a national layer's notes, for the whole release)."""
    path = tmp_path / "points.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["longitude", "latitude", "label", "notes", "lsoa_code", "road_id"])
        for k in range(500):
            writer.writerow(
                [f"{-1.2 + k * 1e-4:.6f}", "52.600000", f"Street {k}", "x" * 200 + str(k),
                 f"E0100{k:04d}", f"road {k}"]
            )  # fmt: skip
    points = read_map_points_csv(path)
    assert points.label.tolist()[:2] == ["Street 0", "Street 1"]
    for name in ("label", "source", "lsoa_code", "lsoa_name"):
        array = getattr(points, name)
        while array is not None:
            assert array.ndim == 1 and array.size == 500, name
            array = array.base


def test_only_separators_control_counts_every_control_character() -> None:
    from crime_mapper.core.release.map_points import _only_separators_control

    assert _only_separators_control("\nabc\ndef", 2)
    assert _only_separators_control("\nCôte\n🚓", 2)
    for bad in ("\t", "\x00", "\x1f", "\x7f", "\r"):
        assert not _only_separators_control(f"\nab{bad}c\nd", 2), repr(bad)
        assert not _only_separators_control(f"\nné{bad}\nd", 2), repr(bad)
    assert _only_separators_control("\nC1\x85", 1)  # MapPoints keeps C1 controls
    assert not _only_separators_control("\nlone \udc80", 1)


@pytest.mark.parametrize("text", ["", "layer", "Café Ëlan", "a\x1fb", "\x00"])
@pytest.mark.parametrize("n", [0, 1, 5])
def test_same_text_is_n_times_the_text(text: str, n: int) -> None:
    from crime_mapper.core.release.map_points import same_text

    got = same_text(n, text)
    assert got.dtype == object and got.shape == (n,)
    assert got.tolist() == [text] * n  # (np.full drops a trailing NUL: '\x00' -> '')
    assert all(type(v) is str for v in got.tolist())
    if n > 1:  # one reference each: changing one place changes no other
        got[0] = "other"
        assert got[1:].tolist() == [text] * (n - 1)


@pytest.mark.parametrize("column", ["label", "source", "lsoa_code", "lsoa_name"])
def test_a_text_column_of_another_length_is_refused_naming_it(column):
    """(MapPoints' text columns are sized as the builders size theirs: one check, _sized)"""
    texts = {c: None for c in ("label", "source", "lsoa_code", "lsoa_name")}
    texts[column] = ["only one"]
    with pytest.raises(MapPointsError, match=f"^{column} has 1 value for 2 map points$"):
        MapPoints(np.array([-1.13, -1.14]), np.array([52.63, 52.64]), addresses=[1, 1], **texts)


@pytest.mark.parametrize(
    "n, addresses, said",
    [
        (2, [1], "addresses has 1 value for 2 map points"),
        (1, [1, 2], "addresses has 2 values for 1 map point"),
        (1, [], "addresses has 0 values for 1 map point"),
    ],
)
def test_a_count_of_values_or_map_points_is_said_in_its_number(n, addresses, said):
    """Each count with its noun's number: the message said "1 values" and "1 map points"
    (MapPoints and map_points_from_arrays alike)."""
    from crime_mapper.core.release.map_points import map_points_from_arrays

    lon, lat = np.linspace(-1.13, -1.14, n), np.linspace(52.63, 52.64, n)
    texts = {c: None for c in ("label", "source", "lsoa_code", "lsoa_name")}
    with pytest.raises(MapPointsError, match=f"^{said}$"):
        MapPoints(lon, lat, addresses=addresses, **texts)
    with pytest.raises(MapPointsError, match=f"^{said}$"):
        map_points_from_arrays(lon, lat, addresses=addresses)
    texts["label"] = ["x"] * len(addresses)
    with pytest.raises(MapPointsError, match=f"^{said.replace('addresses', 'label')}$"):
        MapPoints(lon, lat, addresses=[1] * n, **texts)
