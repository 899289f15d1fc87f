"""core.publish.neighbourhoods on real data: MSOA outlines, the ONS LSOA->MSOA lookup and
populations, Leicestershire's published crimes; and on hostile input (names with path
characters, broken polygons, bad population values)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import shape

from crime_mapper.core.publish import neighbourhoods as nb
from tests.support.neighbourhood_data import leicestershire

DATA = leicestershire()


@pytest.fixture(scope="module")
def public() -> pd.DataFrame:
    frames = [
        pd.read_csv(p, dtype=str, keep_default_na=False, na_filter=False) for p in DATA.street_csvs
    ]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def outlines() -> nb.Neighbourhoods:
    return nb.read_geojson(DATA.msoa_geojson, "msoa11cd")


@pytest.fixture(scope="module")
def lookup() -> nb.LsoaLookup:
    return nb.read_lookup(DATA.lookup_csv, "msoa11cd", "msoa11nm")


def test_outlines_read_and_repairs_reported(outlines):
    data = json.loads(DATA.msoa_geojson.read_text(encoding="utf-8"))
    assert len(outlines) == len(data["features"])
    assert outlines.codes == [f["properties"]["msoa11cd"] for f in data["features"]]
    assert all(outlines.rings), "every MSOA keeps an outline"
    for rings in outlines.rings:
        for ring in rings:
            assert np.array_equal(ring[0], ring[-1]) and len(ring) >= 4
    if DATA.full:  # the national file has slivers and one collection holding a line
        assert any("non-polygon part (LineString)" in p for p in outlines.problems)
        assert any("fewer than 3 distinct vertices dropped" in p for p in outlines.problems)


def test_point_in_polygon_matches_shapely_on_every_published_point(public, outlines):
    """Independent check: GEOS (shapely, made valid) on every distinct published map point."""
    data = json.loads(DATA.msoa_geojson.read_text(encoding="utf-8"))
    geoms = [shapely.make_valid(shape(f["geometry"])) for f in data["features"]]
    located = public[public["Longitude"] != ""][["Longitude", "Latitude"]].drop_duplicates()
    lon = located["Longitude"].astype(float).to_numpy()
    lat = located["Latitude"].astype(float).to_numpy()
    tree = shapely.STRtree(geoms)
    point_idx, geom_idx = tree.query(shapely.points(lon, lat), predicate="within")
    expected = np.full(len(lon), nb.OUTSIDE)
    expected[point_idx] = geom_idx
    got = nb.points_in_neighbourhoods(lon, lat, outlines)
    assert len(lon) > 1_000
    np.testing.assert_array_equal(got, expected)


def test_assignment_by_lookup_and_by_polygon_accounts_for_every_row(public, outlines, lookup):
    names = nb.read_names(DATA.names_csv, "msoa11cd", "msoa11hclnm")
    pop = nb.read_lsoa_population(DATA.population_csv)
    hoods = nb.build_neighbourhoods(outlines, lookup, names, pop)
    got = nb.assign_crimes(public, hoods)
    no_loc = int((public["Longitude"] == "").sum())
    assert got.no_location == no_loc
    assert got.by_lookup + got.by_polygon + got.outside + got.no_location == len(public)
    # independent: the lookup by pandas merge
    table = pd.read_csv(DATA.lookup_csv, dtype=str)
    merged = public[["LSOA code"]].merge(
        table[["lsoa11cd", "msoa11cd"]], left_on="LSOA code", right_on="lsoa11cd", how="left"
    )
    assert got.by_lookup == int(merged["msoa11cd"].notna().sum())
    codes = np.array(hoods.codes, dtype=object)
    assigned = np.where(got.index >= 0, codes[np.maximum(got.index, 0)], None)
    have = merged["msoa11cd"].notna().to_numpy()
    assert (assigned[have] == merged["msoa11cd"].to_numpy()[have]).all()
    # names from the House of Commons Library file, populations summed from LSOAs
    code = table.loc[table["msoa11nm"] == "Leicester 020", "msoa11cd"].iloc[0]
    i = hoods.index_of(code)
    assert hoods.names[i] == names[code]
    pops = pd.read_csv(DATA.population_csv, dtype={"LSOA11CD": str})
    in_msoa = table.loc[table["msoa11cd"] == code, "lsoa11cd"]
    expected = pops.loc[pops["LSOA11CD"].isin(in_msoa), "mid2018_population"]
    assert len(expected) == len(in_msoa) >= 3
    assert hoods.population[i] == expected.sum()
    assert "by LSOA code" in got.report()


def test_polygon_only_assignment_reports_outside(public, outlines):
    hoods = nb.build_neighbourhoods(outlines)
    got = nb.assign_crimes(public, hoods)
    assert got.by_lookup == 0
    assert got.by_polygon + got.outside + got.no_location == len(public)
    # a point far outside every outline
    odd = public.iloc[:1].copy()
    odd["Longitude"], odd["Latitude"], odd["LSOA code"] = "-4.0", "50.0", ""
    assert nb.assign_crimes(odd, hoods).outside == 1


def test_lookup_only_set_and_ambiguous_lsoas(tmp_path):
    path = tmp_path / "lookup.csv"
    path.write_text(
        "lsoa11cd,hood,hood_name\nE1,N1,North\nE2,N1,North\nE3,N2,South\nE3,N1,North\n,N9,x\n",
        encoding="utf-8",
    )
    lookup = nb.read_lookup(path, "hood", "hood_name")
    assert lookup.codes == {"E1": "N1", "E2": "N1"}
    assert any("more than one neighbourhood" in p for p in lookup.problems)
    assert any("blank" in p for p in lookup.problems)
    hoods = nb.build_neighbourhoods(lookup=lookup)
    assert hoods.codes == ["N1"] and hoods.names == ["North"]
    with pytest.raises(nb.NeighbourhoodError, match="needs an LSOA lookup"):
        nb.build_neighbourhoods(nb.from_outlines([]), None, None, {"E1": 5.0})
    with pytest.raises(nb.NeighbourhoodError, match="no column 'nope'"):
        nb.read_lookup(path, "nope")


def test_population_missing_or_bad_is_unknown(tmp_path):
    path = tmp_path / "lookup.csv"
    path.write_text("lsoa11cd,hood\nE1,A\nE2,A\nE3,B\nE4,C\n", encoding="utf-8")
    pop = tmp_path / "pop.csv"
    pop.write_text('LSOA11CD,population\nE1,100\nE2,"1,000"\nE3,-5\nE4,0\n', encoding="utf-8")
    hoods = nb.build_neighbourhoods(
        lookup=nb.read_lookup(path, "hood"), lsoa_population=nb.read_lsoa_population(pop)
    )
    values = dict(zip(hoods.codes, hoods.population))
    assert values["A"] == 1100.0  # thousands separators read
    assert math.isnan(values["B"])  # negative: unknown, never a negative rate
    assert values["C"] == 0.0  # zero is known; rates show n/a for it downstream


def test_a_fraction_of_one_resident_is_an_unknown_population(tmp_path):
    """5e-324 residents made the web map's rate per 1,000 "Infinity", and 1e-300 a rate 300
    digits long in the summaries: a population is none or at least one resident."""
    given = ["5e-324", "1e-300", "0.5", "0.999", "0", "1", "12.5", "-0", "1e308"]
    path = _population_outlines(tmp_path, given)
    read = nb.read_geojson(path, "c", population_field="pop").population.tolist()
    assert [v if not math.isnan(v) else None for v in read] == [
        None,
        None,
        None,
        None,
        0.0,
        1.0,
        12.5,
        0.0,
        None,
    ]  # fmt: skip  (1e308: more residents than the UK has, tests/test_neighbourhoods_hostile)
    pop = tmp_path / "pop.csv"
    pop.write_text("LSOA11CD,population\nE1,5e-324\nE2,3\n", encoding="utf-8")
    assert nb.read_lsoa_population(pop) == {"E2": 3.0}


def test_a_population_that_is_no_number_of_residents_is_said(tmp_path):
    """A population field's "abc", -5, 0.5, true or 1e400 made the area's rate n/a without a
    word: the analyst learnt of it only from the published page. Each is now a problem
    naming the feature and the value; none given (null, a blank) is still unknown quietly."""
    given = ["abc", -5, 0.5, True, "1e400", None, "", " 1,200 ", 0]
    path = _population_outlines(tmp_path, given)
    hoods = nb.read_geojson(path, "c", population_field="pop")
    assert [v if not math.isnan(v) else None for v in hoods.population.tolist()] == [
        None, None, None, None, None, None, None, 1200.0, 0.0,
    ]  # fmt: skip
    said = [p for p in hoods.problems if "population" in p]
    assert said == [
        "feature 1 (N0): the population 'abc' is not a number; shown as n/a (unknown)",
        "feature 2 (N1): the population '-5' is negative; shown as n/a (unknown)",
        "feature 3 (N2): the population '0.5' is a fraction of one resident; shown as n/a "
        "(unknown)",
        "feature 4 (N3): the population 'true' is not a number; shown as n/a (unknown)",
        "feature 5 (N4): the population '1e400' is not a finite number; shown as n/a (unknown)",
    ]


def test_a_code_or_name_that_is_no_text_is_not_published_as_python_spells_it(tmp_path):
    """A name given as a JSON list or object went onto the public page as "['x', 'y']" or
    "{'a': 1}", and a code `true` became "True": each is now read as none given, and said."""
    props = [
        {"c": "A", "n": ["x", "y"]},
        {"c": "B", "n": {"a": 1}},
        {"c": True, "n": "Tee"},
        {"c": ["C"], "n": "Cee"},
        {"c": 7, "n": False},
    ]
    features = [
        {
            "type": "Feature",
            "properties": p,
            "geometry": {"type": "Polygon", "coordinates": [_square(i * 2, 0)]},
        }
        for i, p in enumerate(props)
    ]
    path = tmp_path / "hoods.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    hoods = nb.read_geojson(path, "c", name_field="n")
    assert hoods.codes == ["A", "B", "7"]
    assert hoods.names == ["A", "B", "7"]  # (no name: the code names it)
    assert not any("[" in n or "{" in n or n in ("True", "False") for n in hoods.names)
    for expected in (
        "feature 1 (A): the name is a list, not text; read as none given",
        "feature 2 (B): the name is an object, not text; read as none given",
        "feature 3: the code is true/false, not text; read as none given",
        "feature 4: the code is a list, not text; read as none given",
        "feature 5 (7): the name is true/false, not text; read as none given",
    ):
        assert expected in hoods.problems


def test_an_lsoa_population_that_is_no_number_of_residents_is_said(tmp_path):
    """Rows of an LSOA population file whose value is no number of residents were left out
    quietly: the neighbourhoods then said only that LSOAs were "missing from the file"."""
    from crime_mapper.core.publish.summaries_run import NeighbourhoodSource, load_neighbourhoods

    lookup = tmp_path / "lookup.csv"
    lookup.write_text("lsoa11cd,hood\nE1,A\nE2,A\nE3,B\nE4,C\n", encoding="utf-8")
    pop = tmp_path / "pop.csv"
    pop.write_text('LSOA11CD,population\nE1,100\nE2,"1,000"\nE3,-5\nE4,n/a\n', encoding="utf-8")
    problems: list[str] = []
    assert nb.read_lsoa_population(pop, problems=problems) == {"E1": 100.0, "E2": 1000.0}
    assert problems == [
        "the LSOA population file pop.csv: 2 LSOA(s) have a population that is no number of "
        "residents (e.g. data row 3, E3: '-5' is negative); they count as missing from the file"
    ]
    source = NeighbourhoodSource(lookup=lookup, lookup_code_field="hood", lsoa_population=pop)
    hoods = load_neighbourhoods(source)
    assert problems[0] in hoods.problems
    values = dict(zip(hoods.codes, hoods.population))
    assert values["A"] == 1100.0 and math.isnan(values["B"]) and math.isnan(values["C"])


def test_a_population_in_digits_of_another_script_is_said_not_read(tmp_path):
    """Python's float() reads Arabic-Indic and full-width digits, so "\u0663\u0664\u0665"
    gave 345 residents and a rate, where a spreadsheet shows text: a damaged or odd file.
    Said naming the row (the feature) and the value, as "12a" is; the area's rate is n/a."""
    pop = tmp_path / "pop.csv"
    pop.write_text(
        "LSOA11CD,population\nE1,100\nE2,\u0663\u0664\u0665\nE3,\uff11\uff12\n", encoding="utf-8"
    )
    problems: list[str] = []
    assert nb.read_lsoa_population(pop, problems=problems) == {"E1": 100.0}
    assert problems == [
        "the LSOA population file pop.csv: 2 LSOA(s) have a population that is no number of "
        "residents (e.g. data row 2, E2: '\u0663\u0664\u0665' is not a number written in the "
        "digits 0 to 9); they count as missing from the file"
    ]
    hoods = nb.read_geojson(
        _population_outlines(tmp_path, ["\uff11\uff12", "12a", 12]), "c", population_field="pop"
    )
    assert [v if not math.isnan(v) else None for v in hoods.population.tolist()] == [
        None, None, 12.0,
    ]  # fmt: skip
    assert [p for p in hoods.problems if "population" in p] == [
        "feature 1 (N0): the population '\uff11\uff12' is not a number written in the digits "
        "0 to 9; shown as n/a (unknown)",
        "feature 2 (N1): the population '12a' is not a number; shown as n/a (unknown)",
    ]


def _population_outlines(tmp_path, given):
    """A GeoJSON of squares N0, N1... whose "pop" property holds ``given`` in turn."""
    features = [
        {
            "type": "Feature",
            "properties": {"c": f"N{i}", "pop": value},
            "geometry": {"type": "Polygon", "coordinates": [_square(i * 2, 0)]},
        }
        for i, value in enumerate(given)
    ]
    path = tmp_path / "hoods.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _square(x0, y0, size=1.0):
    return [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]


def test_broken_polygons_repaired_or_reported(tmp_path):
    features = [
        # unclosed ring with a NaN vertex and a repeated vertex
        {
            "type": "Feature",
            "properties": {"c": "A", "n": "Alpha"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[0, 0], [1, 0], [1, 0], [1, 1], ["x", 3], [0, 1]]],
            },
        },
        # bow-tie: self-intersecting
        {
            "type": "Feature",
            "properties": {"c": "B", "n": "Bow"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[2, 0], [3, 1], [3, 0], [2, 1], [2, 0]]],
            },
        },
        # degenerate: a line
        {
            "type": "Feature",
            "properties": {"c": "C", "n": "Line"},
            "geometry": {"type": "Polygon", "coordinates": [[[5, 5], [6, 6], [5, 5]]]},
        },
        # no code
        {
            "type": "Feature",
            "properties": {"n": "Nameless"},
            "geometry": {"type": "Polygon", "coordinates": [_square(8, 8)]},
        },
        # a hole and a repeated code merged
        {
            "type": "Feature",
            "properties": {"c": "D", "n": "Donut"},
            "geometry": {"type": "Polygon", "coordinates": [_square(10, 0, 4), _square(11, 1, 2)]},
        },
        {
            "type": "Feature",
            "properties": {"c": "D", "n": "Donut"},
            "geometry": {"type": "Point", "coordinates": [0, 0]},
        },
        {"type": "Feature", "properties": {"c": "E"}, "geometry": None},
    ]
    path = tmp_path / "hoods.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    hoods = nb.read_geojson(path, "c", "n")
    text = "\n".join(hoods.problems)
    assert "not closed" in text and "non-finite vertices removed" in text
    assert "self-intersecting" in text
    assert "fewer than 3 distinct" in text or "no area" in text
    assert "no code; skipped" in text
    assert "repeats an earlier feature" in text
    assert hoods.codes == ["A", "B", "C", "D", "E"]
    assert hoods.names[4] == "E"  # no name: the code
    lon = np.array([0.5, 2.2, 2.8, 2.5, 10.5, 12.0, 5.5, 9.0])
    lat = np.array([0.5, 0.5, 0.5, 0.9, 0.5, 2.0, 5.6, 9.0])
    got = nb.points_in_neighbourhoods(lon, lat, hoods)
    a, b, d = 0, 1, 3
    assert list(got) == [a, b, b, nb.OUTSIDE, d, nb.OUTSIDE, nb.OUTSIDE, nb.OUTSIDE]
    area = hoods.area_km2()
    assert area[d] == pytest.approx(area[a] * 12, rel=0.01)  # 16 - 4 unit squares
    assert math.isnan(area[2])


def test_bng_geojson_transformed(tmp_path):
    data = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}},
        "features": [
            {
                "type": "Feature",
                "properties": {"c": "X"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[458000, 303000], [460000, 303000], [460000, 305000], [458000, 305000]]
                    ],
                },
            }
        ],
    }
    path = tmp_path / "bng.geojson"
    path.write_text(json.dumps(data))
    hoods = nb.read_geojson(path, "c")
    ring = hoods.rings[0][0]
    assert -1.2 < ring[:, 0].mean() < -1.1 and 52.6 < ring[:, 1].mean() < 52.7  # Leicester


def _square_collection(rings: list, crs: object = None) -> dict:
    features = [
        {
            "type": "Feature",
            "properties": {"c": code},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        }
        for code, ring in rings
    ]
    data: dict = {"type": "FeatureCollection", "features": features}
    if crs is not None:
        data["crs"] = {"type": "name", "properties": {"name": crs}}
    return data


BNG_SQUARE = [[458000, 303000], [460000, 303000], [460000, 305000], [458000, 305000]]
WGS84_SQUARE = [[-1.15, 52.63], [-1.12, 52.63], [-1.12, 52.65], [-1.15, 52.65]]


def test_outlines_in_metres_that_name_no_crs_are_refused_saying_so(tmp_path):
    """ONS outlines saved in British National Grid without a crs member were read as
    longitude and latitude 458,000 degrees east; the web map's leak gate then failed on
    "coordinates that are not map points or outlines", which names nothing to fix."""
    path = tmp_path / "bng.geojson"
    path.write_text(json.dumps(_square_collection([("X", BNG_SQUARE)])))
    with pytest.raises(nb.NeighbourhoodError, match="British National Grid.*names no CRS"):
        nb.read_geojson(path, "c")
    # said to be WGS84, and in metres: the file says the wrong CRS
    path.write_text(json.dumps(_square_collection([("X", BNG_SQUARE)], "EPSG:4326")))
    with pytest.raises(nb.NeighbourhoodError, match="X has a vertex at .458000, 303000."):
        nb.read_geojson(path, "c")


def test_an_outline_vertex_that_is_no_longitude_is_refused_naming_its_feature(tmp_path):
    damaged = [*WGS84_SQUARE[:2], [1e308, 52.64], *WGS84_SQUARE[2:]]
    path = tmp_path / "damaged.geojson"
    path.write_text(json.dumps(_square_collection([("A", WGS84_SQUARE), ("B", damaged)])))
    with pytest.raises(nb.NeighbourhoodError, match=r"B has a vertex at \(1e\+308, 52.64\)"):
        nb.read_geojson(path, "c")
    with pytest.raises(nb.NeighbourhoodError, match="layer L: the outline of B"):
        nb.from_outlines([("B", "B", None, [np.array(damaged + [damaged[0]])])], source="layer L")
    path.write_text(json.dumps(_square_collection([("A", WGS84_SQUARE)])))
    assert nb.read_geojson(path, "c").codes == ["A"]


def test_unreadable_inputs_say_why(tmp_path):
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json")
    with pytest.raises(nb.NeighbourhoodError, match="cannot read"):
        nb.read_geojson(bad, "c")
    bad.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "properties": {"other": 1}, "geometry": None}],
            }
        )
    )
    with pytest.raises(nb.NeighbourhoodError, match="properties found: other"):
        nb.read_geojson(bad, "c")
    bad.write_text("[1, 2]")
    with pytest.raises(nb.NeighbourhoodError, match="not a GeoJSON"):
        nb.read_geojson(bad, "c")


HOSTILE = [
    "../../etc/passwd",
    "a/b",
    "a:b",
    "a\\b",
    "nul\x00byte",
    "Castle",
    "Castle",
    "castle",
    "CON",
    "index",
    "",
    None,
    "Ünïcödé Wärd",
    ".",
    "..",
    "...",
    "-",
    "a" * 500,
    "<script>",
    "Town: North",
    "Town/North",
    "\u202eevil",
    "名前",
    "com1",
    " spaced  out ",
]


def test_slugs_safe_unique_stable():
    slugs = nb.neighbourhood_slugs(HOSTILE)
    assert len(slugs) == len(HOSTILE)
    assert len({s.lower() for s in slugs}) == len(slugs)
    for slug in slugs:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug), slug
        assert len(slug) <= 75
        assert slug not in {"index", "con", "nul", "com1"}
    assert slugs == nb.neighbourhood_slugs(HOSTILE)  # same list, same slugs
    assert nb.neighbourhood_slugs(["Castle Hill", "Ünïcödé Wärd"]) == [
        "castle-hill",
        "unicode-ward",
    ]
    # a colliding pair's slugs do not depend on list order
    one = dict(
        zip(["Town: North", "Town/North"], nb.neighbourhood_slugs(["Town: North", "Town/North"]))
    )
    two = dict(
        zip(["Town/North", "Town: North"], nb.neighbourhood_slugs(["Town/North", "Town: North"]))
    )
    assert one == two
    assert slugs[5] != slugs[6]  # exact repeats still unique


def test_slugs_fuzz():
    rng = np.random.default_rng(13)
    alphabet = list("aA./\\:\x00-_ é名\n\t%?*<>|\"'") + ["..", "../"]
    names = ["".join(rng.choice(alphabet, size=rng.integers(0, 12))) for _ in range(2000)]
    slugs = nb.neighbourhood_slugs(names)
    assert len(set(slugs)) == len(names)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", s) for s in slugs)


def test_lsoa_outlines_take_their_own_population_without_a_lookup():
    """LSOA polygons and an LSOA population file, no lookup: each outline's population is its
    own LSOA's (rates work); codes missing from the file are unknown, never zero."""
    repo = Path(__file__).resolve().parent.parent
    geo = repo / "sample_data" / "boundaries" / "LSOA_Dec_2011_BSC_leicester_city.geojson"
    pop_csv = repo / "sample_data" / "population"
    pop_csv = pop_csv / "lsoa11_mid2018_population_leicestershire_force_area.csv"
    outlines = nb.read_geojson(geo, "LSOA11CD", "LSOA11NM")
    population = nb.read_lsoa_population(pop_csv)
    hoods = nb.build_neighbourhoods(outlines, None, None, population)
    expected = [population.get(c, float("nan")) for c in hoods.codes]
    assert np.isfinite(hoods.population).sum() == len(hoods.codes) > 10
    assert hoods.population.tolist() == expected
    partial = dict(list(population.items()))
    partial.pop(hoods.codes[0])
    some = nb.build_neighbourhoods(outlines, None, None, partial)
    assert np.isnan(some.population[0]) and np.isfinite(some.population[1:]).all()
    assert any("missing from the LSOA population file" in p for p in some.problems)


def test_a_lookup_with_no_usable_row_is_an_error_naming_it(tmp_path):
    """Its LSOA populations were said to "need an LSOA lookup" though one was given."""
    path = tmp_path / "lookup.csv"
    for text in ("lsoa11cd,hood\n", "lsoa11cd,hood\nE1,\n,A\n"):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(nb.NeighbourhoodError, match="lookup.csv: the LSOA lookup holds no"):
            nb.read_lookup(path, "hood")
