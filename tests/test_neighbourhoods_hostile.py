"""Hostile neighbourhood inputs the 47th session's sweep found taken in silence or ending in
a traceback: a GeoJSON crs member naming a CRS PROJ does not know, or a projection while the
outlines are longitude and latitude. Real files, real parsing; the command line where the
user met it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from crime_mapper.core.publish import neighbourhoods as nb

ROOT = Path(__file__).resolve().parents[1]
LEICESTER_SQUARE = [[-1.15, 52.63], [-1.12, 52.63], [-1.12, 52.65], [-1.15, 52.65], [-1.15, 52.63]]
BNG_SQUARE = [[458000, 303000], [460000, 303000], [460000, 305000], [458000, 305000]]


def _collection(features: list[tuple[dict, list]], crs: object = None) -> dict:
    """A FeatureCollection of (properties, outer ring) squares, with a legacy crs member."""
    data: dict = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": props,
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
            for props, ring in features
        ],
    }
    if crs is not None:
        data["crs"] = {"type": "name", "properties": {"name": crs}}
    return data


def _write(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _plain_python(*args: object) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        ["/usr/bin/python3", "-m", "crime_mapper.cli", *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


# ---------------------------------------------------------------------------------------------
# The crs member
@pytest.mark.parametrize("crs", ["EPSG:99999", "urn:ogc:def:crs:EPSG::1"])
def test_a_crs_no_one_knows_is_refused_naming_the_file_and_crs(tmp_path, crs):
    """It ended the web map and the summaries in pyproj's CRSError traceback."""
    path = _write(tmp_path / "odd.geojson", _collection([({"c": "A"}, BNG_SQUARE)], crs))
    code = crs.rsplit(":", 1)[1]
    said = rf"odd.geojson: its crs member names EPSG:{code}, which is no coordinate reference"
    with pytest.raises(nb.NeighbourhoodError, match=said):
        nb.read_geojson(path, "c")


@pytest.mark.parametrize("crs", ["urn:ogc:def:crs:EPSG::27700", "EPSG:3857", "EPSG:32630"])
def test_degrees_in_a_file_naming_a_projection_are_refused(tmp_path, crs):
    """Longitude and latitude under a crs member copied from a file in metres were read as
    metres by the projection's origin: every outline went into the sea (off Cornwall, in
    the Gulf of Guinea) and every crime counted as outside, with exit 0."""
    path = _write(tmp_path / "copied.geojson", _collection([({"c": "A"}, LEICESTER_SQUARE)], crs))
    said = (
        r"copied.geojson: its crs member names EPSG:\d+, but every vertex reads as a longitude "
        r"and latitude \(e.g. -1.15, 52.63\)"
    )
    with pytest.raises(nb.NeighbourhoodError, match=said):
        nb.read_geojson(path, "c")


def test_a_named_crs_still_transforms_its_own_coordinates(tmp_path):
    """The refusals leave a true projection's metres and a geographic datum's degrees read."""
    path = _write(tmp_path / "bng.geojson", _collection([({"c": "A"}, BNG_SQUARE)], "EPSG:27700"))
    ring = nb.read_geojson(path, "c").rings[0][0]
    assert -1.2 < ring[:, 0].mean() < -1.1 and 52.6 < ring[:, 1].mean() < 52.7  # Leicester
    path = _write(
        tmp_path / "osgb36.geojson", _collection([({"c": "A"}, LEICESTER_SQUARE)], "EPSG:4277")
    )
    ring = nb.read_geojson(path, "c").rings[0][0]
    shift = np.abs(ring - np.asarray(LEICESTER_SQUARE)).max()
    assert 0 < shift < 0.01  # (OSGB36 to WGS84: some 100 m)


def test_the_web_map_command_refuses_an_unknown_crs_without_a_traceback(tmp_path):
    path = _write(tmp_path / "odd.geojson", _collection([({"c": "A"}, BNG_SQUARE)], "EPSG:99999"))
    street = ROOT / "sample_data" / "police-uk" / "2022-09"
    run = _plain_python(
        "webmap", street, "--out", tmp_path / "out", "--tiles", "none",
        "--neighbourhoods", path, "--code-field", "c",
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert "odd.geojson: its crs member names EPSG:99999" in run.stderr
    assert not (tmp_path / "out" / "map").exists()


# ---------------------------------------------------------------------------------------------
# Populations
def test_more_residents_than_the_uk_has_is_an_unknown_population_said(tmp_path):
    """1e200 residents (a damaged cell, a mistyped exponent) was read as it was: the page said
    "Residents 99,999,999,999,999,996,973,..." (201 digits) and the whole force's rate 0.0.
    Now unknown (n/a) and said, as a negative population is; the largest real ones stay."""
    ok = nb.MAX_RESIDENTS
    given = ["1e200", str(ok + 1), "1e9", str(ok), "67,000,000", "1495"]
    features = [({"c": f"N{k}", "pop": v}, LEICESTER_SQUARE) for k, v in enumerate(given)]
    path = _write(tmp_path / "pop.geojson", _collection(features))
    hoods = nb.read_geojson(path, "c", population_field="pop")
    read = [None if np.isnan(v) else v for v in hoods.population.tolist()]
    assert read == [None, None, None, float(ok), 67_000_000.0, 1495.0]
    assert [p for p in hoods.problems if "population" in p] == [
        f"feature {k + 1} (N{k}): the population {v!r} is more residents than the United "
        "Kingdom has; shown as n/a (unknown)"
        for k, v in enumerate(given[:3])
    ]
    lsoa = tmp_path / "lsoa_population.csv"
    lsoa.write_text("LSOA11CD,population\nE1,1e200\nE2,1495\n", encoding="utf-8")
    problems: list[str] = []
    assert nb.read_lsoa_population(lsoa, problems=problems) == {"E2": 1495.0}
    assert problems == [
        "the LSOA population file lsoa_population.csv: 1 LSOA(s) have a population that is no "
        "number of residents (e.g. data row 1, E1: '1e200' is more residents than the United "
        "Kingdom has); they count as missing from the file"
    ]


# ---------------------------------------------------------------------------------------------
# Names: folded once, for every output; never two neighbourhoods under one name
HOSTILE_NAMES = {
    "E02002827": "Beaumont\tPark",
    "E02002828": "Rushey Mead\nNorth",
    "E02002829": "Belgrave\r\nSouth",
    "E02002830": "Stocking\u2028Farm",
    "E02002831": "Abbey \u202eevil",
    "E02002832": "\u200b",
}


def test_names_with_tabs_line_breaks_or_invisible_characters_agree_everywhere(tmp_path):
    """The pages folded such a name as they showed it (text_file.page_line); the summaries'
    CSV (and GeoPackage) wrote it as read: a tab, a line break, a right-to-left override in
    the neighbourhood column. Now every output has the name as the pages show it, said."""
    from tests.support.summaries_release import make_release, summaries_cli

    names = tmp_path / "names.csv"
    with names.open("w", encoding="utf-8", newline="") as handle:
        import csv

        writer = csv.writer(handle)
        writer.writerow(["msoa11cd", "msoa11hclnm"])
        writer.writerows(HOSTILE_NAMES.items())
    release = make_release(tmp_path / "release")
    run = summaries_cli(release, release["csv"], tmp_path / "out", names=names)
    assert run.returncode == 0, run.stderr
    folded = {
        "E02002827": "Beaumont Park",
        "E02002828": "Rushey Mead North",
        "E02002829": "Belgrave South",
        "E02002830": "Stocking Farm",
        "E02002831": "Abbey evil",
        "E02002832": "E02002832",  # (nothing visible: its code, as the page showed it)
    }
    with (tmp_path / "out" / "neighbourhoods" / "neighbourhood_summaries.csv").open(
        encoding="utf-8-sig", newline=""
    ) as handle:
        import csv

        written = {
            row["neighbourhood_code"]: row["neighbourhood"] for row in csv.DictReader(handle)
        }
    assert {code: written[code] for code in folded} == folded
    pages = "".join(
        p.read_text("utf-8") for p in (tmp_path / "out" / "neighbourhoods").glob("*.html")
    )
    for name in folded.values():
        assert f"<h1>Crime in {name}</h1>" in pages
    assert (
        "neighbourhoods: E02002828: the name 'Rushey Mead\\nNorth' holds line breaks, tabs, "
        "runs of spaces or invisible characters; published as 'Rushey Mead North'"
    ) in run.stderr


def _lsoa_outlines(path: Path, names: dict[int, str]) -> Path:
    """The bundled Leicester LSOA outlines, the features numbered in ``names`` renamed."""
    source = ROOT / "sample_data" / "boundaries" / "LSOA_Dec_2011_BSC_leicester_city.geojson"
    data = json.loads(source.read_text("utf-8"))
    for k, name in names.items():
        data["features"][k]["properties"]["LSOA11NM"] = name
    return _write(path, data)


def _page_data(map_folder: Path, name: str) -> dict:
    text = (map_folder / "data" / name).read_text("utf-8")
    return json.loads(text[text.index("=") + 1 :].strip().rstrip(";"))


@pytest.mark.parametrize("name", ["Abbey", "Outside any neighbourhood", "Location not published"])
def test_the_web_map_keeps_neighbourhoods_of_one_name_apart(tmp_path, name):
    """The web map counts its areas by name: two wards called "Abbey" were one area, and each
    outline's popup and colour gave both wards' crimes over its own residents; a
    neighbourhood named as the map's own rows took the crimes outside every outline (or
    those published without a location) as its own. The summaries kept them apart (a page
    each), so a popup's count disagreed with the page it links to."""
    outlines = _lsoa_outlines(tmp_path / "wards.geojson", {0: name, 1: name})
    codes = [f["properties"]["LSOA11CD"] for f in json.loads(outlines.read_text())["features"]]
    run = _plain_python(
        "webmap", ROOT / "sample_data" / "police-uk" / "2022-09", "--out", tmp_path / "out",
        "--tiles", "none", "--neighbourhoods", outlines, "--code-field", "LSOA11CD",
        "--name-field", "LSOA11NM",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    areas = _page_data(tmp_path / "out" / "map", "areas.js")["features"]
    listed = _page_data(tmp_path / "out" / "map", "points.js")["areas"]
    first, second = areas[0]["properties"], areas[1]["properties"]
    assert first["area"] != second["area"]
    assert [listed[first["area"]], listed[second["area"]]] == [
        f"{name} ({codes[0]})",
        f"{name} ({codes[1]})",
    ]
    assert listed.count(name) <= 1  # (the map's own row keeps its name, once)
    assert "name(s) would be published for more than one neighbourhood" in run.stderr


def test_names_made_unique_by_their_codes_still_clashing_are_refused():
    problems: list[str] = []
    with pytest.raises(nb.NeighbourhoodError, match=r"published as 'A \(X\)' even with"):
        nb.published_names(["X", "Y", "Z"], ["A", "A", "A (X)"], problems)
    assert nb.published_names(["X", "Y"], ["A", "B\tC"], problems) == ["A", "B C"]


# ---------------------------------------------------------------------------------------------
# A code repeated, with its population
def test_a_population_repeated_on_each_part_of_an_outline_is_counted_once(tmp_path):
    """Multipart outlines split into single parts (each part keeps every attribute) were
    merged with their populations added up: each such neighbourhood was published with two
    or three times its residents and its rate a half or a third, "outlines merged" said."""
    east = [[x + 0.05, y] for x, y in LEICESTER_SQUARE]
    features = [
        ({"c": "A", "pop": 1495}, LEICESTER_SQUARE),
        ({"c": "A", "pop": "1,495"}, east),
        ({"c": "B", "pop": 2000}, [[x, y + 0.05] for x, y in LEICESTER_SQUARE]),
        ({"c": "B", "pop": None}, [[x + 0.05, y + 0.05] for x, y in LEICESTER_SQUARE]),
    ]
    path = _write(tmp_path / "parts.geojson", _collection(features))
    hoods = nb.read_geojson(path, "c", population_field="pop")
    assert hoods.codes == ["A", "B"] and [len(r) for r in hoods.rings] == [2, 2]
    assert hoods.population.tolist() == [1495.0, 2000.0]
    assert (
        "feature 2 (A): code repeats an earlier feature; outlines merged; its population "
        "(1,495), the same on each, counted once"
    ) in hoods.problems
    assert "feature 4 (B): code repeats an earlier feature; outlines merged" in hoods.problems


def test_a_code_repeated_with_another_population_is_refused(tmp_path):
    features = [({"c": "A", "pop": 1495}, LEICESTER_SQUARE), ({"c": "A", "pop": 700}, BNG_SQUARE)]
    path = _write(tmp_path / "parts.geojson", _collection(features))
    said = (
        r"parts.geojson: feature 2 \(A\) repeats the code of feature 1 with another population "
        r"\(700 against 1,495\)"
    )
    with pytest.raises(nb.NeighbourhoodError, match=said):
        nb.read_geojson(path, "c", population_field="pop")
    ring = np.asarray(LEICESTER_SQUARE)
    with pytest.raises(nb.NeighbourhoodError, match=r"layer L: feature 2 \(A\) repeats"):
        nb.from_outlines([("A", "", 1495, [ring]), ("A", "", 700, [ring])], source="layer L")


# ---------------------------------------------------------------------------------------------
# Codes a page would not show as written
@pytest.mark.parametrize("code", ["E02\n002827", "E02\u202e002828", "E02\t002829", "E02  002830"])
def test_a_code_a_page_would_not_show_as_written_is_refused(tmp_path, code):
    """ "E02<RLO>002828" was published reordered on its page ("Neighbourhood code ..."), a
    tab or line break as written into the summaries' CSV: a code is matched and published
    as written, so it is refused (a name is folded instead)."""
    from crime_mapper.core.publish.summaries_run import NeighbourhoodSource, load_neighbourhoods

    east = [[x + 0.05, y] for x, y in LEICESTER_SQUARE]
    features = [({"c": code}, LEICESTER_SQUARE), ({"c": "E02002831"}, east)]
    path = _write(tmp_path / "codes.geojson", _collection(features))
    said = r"codes.geojson: 1 neighbourhood code\(s\) hold a tab, a line break, a run of spaces"
    with pytest.raises(nb.NeighbourhoodError, match=said):
        load_neighbourhoods(NeighbourhoodSource(boundaries=path, code_field="c"))
    lookup = tmp_path / "lookup.csv"
    lookup.write_text(
        "lsoa11cd,msoa11cd\n" + f'E01013600,"{code}"\nE01013601,E02002831\n', encoding="utf-8"
    )
    with pytest.raises(nb.NeighbourhoodError, match=r"lookup.csv: 1 neighbourhood code\(s\)"):
        load_neighbourhoods(NeighbourhoodSource(lookup=lookup, lookup_code_field="msoa11cd"))
