"""Every crime_mapper Processing algorithm that takes a layer, given the layers an analyst
might really pick: empty, every geometry NULL or empty, Z / M / ZM and multi-part types,
lines where polygons are wanted, EPSG:3857, EPSG:27700, an invalid CRS, a CRS that is not the
one the coordinates were written in, invalid and holed neighbourhoods, and neighbourhood
fields holding NULL, text where numbers are wanted and hostile names.

Why: each must give the right values or a clear QgsProcessingException, never a traceback
or a silently wrong output. The sweep found:

- British National Grid metres in a layer set to WGS84 (a GeoJSON written without
  reprojecting, a memory layer made with the default CRS) were left out of the hotspots as
  "crimes without a location": some of them with a note, all of them as "the layer is
  empty or no feature has coordinates";
- longitude and latitude in a layer set to British National Grid were counted as one
  cluster of crimes in the sea off the Isles of Scilly, without a word;
- crimes outside the grid chosen for them (longitude and latitude swapped, one crime at
  longitude 100) were projected all the same and counted in far cells;
- a layer whose crimes of the months asked for have no geometry was refused as "no crimes
  with a location in month(s) 2022-10 ...; the layer holds 2022-10 to 2022-10";
- a neighbourhood without an outline (and no lookup) was published with a page of 0 crimes;
- the web map made two neighbourhoods of one name one area (each popup gave both areas'
  crimes), though the summaries tell them apart;
- a line layer as the neighbourhoods was refused as "layer X is not a polygon layer".

The layer inputs of the release algorithms (map points, crimes) are swept in their own
files (tests/test_anonymise_qgis.py, tests/test_map_points_*.py); no algorithm offers a
selected-features-only input (they take whole layers: QgsProcessingParameterVectorLayer).

Real QGIS layers (memory, GeoPackages and GeoJSON written by OGR), the real Processing
framework through processing.run.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import pytest
from osgeo import ogr, osr
from qgis.core import (
    QgsFeature,
    QgsGeometry,
    QgsProcessingException,
    QgsRectangle,
    QgsVectorLayer,
)

from crime_mapper.compat import GEOMETRY_LINE
from crime_mapper.core.common.geography import transform
from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE
from tests.support.summaries_release import HOODS, make_release, summaries_parameters

#: 50 crimes in Leicester, a few metres apart, half in each of two months
LON = np.array([-1.13 + i * 0.001 for i in range(50)])
LAT = np.array([52.63 + i * 0.0005 for i in range(50)])
MONTHS = ["2022-10" if i % 2 else "2022-09" for i in range(50)]
HOTSPOTS = ["hotspots_grid", "hotspots_kde", "hotspots_gi", "hotspots_change"]


def _in(crs: str) -> tuple[np.ndarray, np.ndarray]:
    """The crimes' coordinates in ``crs``."""
    return transform(LON, LAT, "EPSG:4326", crs)


def _memory(uri: str, rows: list[tuple[Optional[str], list]], name: str = "hostile"):
    """A memory layer of ``uri`` holding (WKT or None, attributes) rows."""
    layer = QgsVectorLayer(uri, name, "memory")
    features = []
    for wkt, values in rows:
        feature = QgsFeature(layer.fields())
        if wkt is not None:
            feature.setGeometry(QgsGeometry.fromWkt(wkt))
        feature.setAttributes(values)
        features.append(feature)
    assert layer.dataProvider().addFeatures(features)[0] or not rows
    layer.updateExtents()
    return layer


def _crimes(geometry: str, crs: str, wkt: Callable[[float, float], Optional[str]], xy=None):
    """A memory crimes layer (month field) of the 50 crimes, each geometry ``wkt(x, y)``."""
    x, y = xy if xy is not None else (LON, LAT)
    rows = [(wkt(a, b), [m]) for a, b, m in zip(x.tolist(), y.tolist(), MONTHS)]
    return _memory(f"{geometry}?crs={crs}&field=month:string", rows)


def _ogr_file(path: Path, driver: str, epsg: Optional[int], x, y) -> str:
    """A crimes table written by OGR (``driver``: GPKG or GeoJSON) of points (x, y) with the
    SRS ``epsg`` (None: none written)."""
    source = ogr.GetDriverByName(driver).CreateDataSource(str(path))
    srs = None
    if epsg is not None:
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(epsg)
    table = source.CreateLayer("crimes", srs, ogr.wkbPoint)
    table.CreateField(ogr.FieldDefn("month", ogr.OFTString))
    for a, b, month in zip(np.asarray(x).tolist(), np.asarray(y).tolist(), MONTHS):
        feature = ogr.Feature(table.GetLayerDefn())
        feature.SetField("month", month)
        feature.SetGeometry(ogr.CreateGeometryFromWkt(f"POINT ({a!r} {b!r})"))
        table.CreateFeature(feature)
    source = None  # closed: written
    return f"{path}|layername=crimes" if driver == "GPKG" else str(path)


def _point(a: float, b: float) -> str:
    return f"POINT({a!r} {b!r})"


# name -> (the layer, made in tmp_path)
WORKING: dict[str, Callable[[Path], object]] = {
    "WGS84 points": lambda _t: _crimes("Point", "EPSG:4326", _point),
    "PointZ": lambda _t: _crimes("PointZ", "EPSG:4326", lambda a, b: f"POINT Z({a!r} {b!r} 70)"),
    "PointM": lambda _t: _crimes("PointM", "EPSG:4326", lambda a, b: f"POINT M({a!r} {b!r} 3)"),
    "MultiPoint of one point": lambda _t: _crimes(
        "MultiPoint", "EPSG:4326", lambda a, b: f"MULTIPOINT(({a!r} {b!r}))"
    ),
    "EPSG:3857": lambda _t: _crimes("Point", "EPSG:3857", _point, _in("EPSG:3857")),
    "EPSG:27700": lambda _t: _crimes("Point", "EPSG:27700", _point, _in("EPSG:27700")),
    "GeoPackage in EPSG:27700": lambda t: _ogr_file(
        t / "bng.gpkg", "GPKG", 27700, *_in("EPSG:27700")
    ),
    "GeoJSON": lambda t: _ogr_file(t / "crimes.geojson", "GeoJSON", 4326, LON, LAT),
}

REFUSED: dict[str, tuple[Callable[[Path], object], str]] = {
    "empty": (
        lambda _t: _memory("Point?crs=EPSG:4326&field=month:string", []),
        r"the layer 'hostile' is empty: there are no crimes to analyse",
    ),
    "every geometry NULL": (
        lambda _t: _crimes("Point", "EPSG:4326", lambda a, b: None),
        r"no crime (in month\(s\) 2022-10 )?in the layer 'hostile' has a location "
        r"\(\d+ without one\)",
    ),
    "every geometry empty": (
        lambda _t: _crimes("Point", "EPSG:4326", lambda a, b: "POINT EMPTY"),
        r"no crime (in month\(s\) 2022-10 )?in the layer 'hostile' has a location "
        r"\(\d+ without one\)",
    ),
    "MultiPoint of two points": (
        lambda _t: _crimes(
            "MultiPoint", "EPSG:4326", lambda a, b: f"MULTIPOINT(({a!r} {b!r}),({a!r} 52.7))"
        ),
        r"feature \d+ of the layer hostile holds 2 points, where a crime is one point",
    ),
    "lines": (
        lambda _t: _crimes(
            "LineString", "EPSG:4326", lambda a, b: f"LINESTRING({a!r} {b!r},{a + 1e-3!r} {b!r})"
        ),
        r"the layer hostile holds lines, but crime points are needed here",
    ),
    "MultiPolygonZM": (
        lambda _t: _crimes(
            "MultiPolygonZM",
            "EPSG:4326",
            lambda a, b: (
                f"MULTIPOLYGON ZM((({a} {b} 1 2,{a + 1e-3} {b} 1 2,{a} {b + 1e-3} 1 2,"
                f"{a} {b} 1 2)))"
            ),
        ),
        r"the layer hostile holds polygons, but crime points are needed here",
    ),
    "invalid CRS": (
        lambda _t: _crimes("Point", "EPSG:999999", _point),
        r"the layer 'hostile' has no coordinate reference system; set one",
    ),
    "BNG metres in a WGS84 layer": (
        lambda _t: _crimes("Point", "EPSG:4326", _point, _in("EPSG:27700")),
        r"(25|50) of the crimes in the layer 'hostile' have coordinates that the layer's CRS "
        r"\(EPSG:4326\) cannot hold \(the first: x 4\d{5}\.\d+, y 3\d{5}\.\d+\): the "
        r"layer's CRS is not the one its coordinates are in",
    ),
    "degrees in a BNG layer": (
        lambda _t: _crimes("Point", "EPSG:27700", _point),
        r"the crimes in the layer 'hostile' have longitude and latitude in degrees \(the "
        r"first: x -1\.1\d*, y 52\.6\d*\), but the layer's CRS \(EPSG:27700\) is a map grid, "
        r"not degrees",
    ),
}


def _run(alg: str, layer: object, out: Path) -> dict:
    import processing

    target = out / ("out.tif" if alg == "hotspots_kde" else "out.gpkg")
    params = {"INPUT": layer, "CELL_SIZE": 500, "OUTPUT": str(target)}
    if alg == "hotspots_change":
        params["CURRENT_MONTH"] = "2022-10"
    else:
        params["MONTHS"] = "2022-10"
    return processing.run(f"crime_mapper:{alg}", params)


def _out(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    return folder


@pytest.mark.parametrize("case", sorted(WORKING))
@pytest.mark.parametrize("alg", HOTSPOTS)
def test_a_hotspot_layer_in_any_point_form_or_crs_gives_the_same_answer(
    provider, tmp_path, alg, case
):
    """The same 50 crimes as WGS84 points, with Z or M, as single-part MultiPoints, in Web
    Mercator, in British National Grid, in a GeoPackage or GeoJSON: the same counts, cells
    and legend (Web Mercator's metres are reprojected, not read as ground metres)."""
    got = _run(alg, WORKING[case](tmp_path), _out(tmp_path, "got"))
    want = _run(alg, WORKING["WGS84 points"](tmp_path), _out(tmp_path, "want"))
    assert got["CRIMES"] == want["CRIMES"] == 25
    if alg == "hotspots_change":
        assert got["BASELINE_CRIMES"] == want["BASELINE_CRIMES"] == 25
    assert got["CELLS"] == want["CELLS"] and got["CRS"] == want["CRS"] == "EPSG:27700"
    assert got["LEGEND"] == want["LEGEND"]


@pytest.mark.parametrize("case", sorted(REFUSED))
@pytest.mark.parametrize("alg", HOTSPOTS)
def test_a_hostile_hotspot_layer_is_refused_in_words(provider, tmp_path, alg, case):
    make, said = REFUSED[case]
    out = _out(tmp_path, "out")
    with pytest.raises(QgsProcessingException, match=said):
        _run(alg, make(tmp_path), out)
    assert not list(out.iterdir())


def test_some_bng_metres_among_wgs84_crimes_are_refused_not_left_out(provider, tmp_path):
    """Ten crimes written in British National Grid among 40 in degrees were left out as
    "crimes without a location" (five of them in the month asked for), and the hotspots
    counted the rest."""
    bng_x, bng_y = _in("EPSG:27700")
    x = np.where(np.arange(50) < 10, bng_x, LON)
    y = np.where(np.arange(50) < 10, bng_y, LAT)
    layer = _crimes("Point", "EPSG:4326", _point, (x, y))
    out = _out(tmp_path, "out")
    with pytest.raises(QgsProcessingException, match=r"^5 of the crimes in the layer 'hostile'"):
        _run("hotspots_grid", layer, out)
    assert not list(out.iterdir())


def test_a_geojson_of_bng_metres_is_refused_naming_its_crs(provider, tmp_path):
    """GeoJSON is WGS84 by definition (RFC 7946): a file written in British National Grid
    without reprojecting is read as degrees, and every crime was "without a location"."""
    path = _ogr_file(tmp_path / "bng.geojson", "GeoJSON", None, *_in("EPSG:27700"))
    out = _out(tmp_path, "out")
    with pytest.raises(
        QgsProcessingException, match=r"layer's CRS \(EPSG:4326\) cannot hold \(the first: x 4"
    ):
        _run("hotspots_kde", path, out)
    assert not list(out.iterdir())


@pytest.mark.parametrize(
    "xy, said",
    [
        (
            (LAT, LON),
            {
                "one month": r"25 .*; the first at longitude 52\.630500, latitude -1\.129000",
                "two months": r"50 .*; the first at longitude 52\.630000, latitude -1\.130000",
            },
        ),
        (
            (np.where(np.arange(50) == 1, 100.0, LON), LAT),
            {
                "one month": r"1 .*; the first at longitude 100\.000000, latitude 52\.630500",
                "two months": r"1 .*; the first at longitude 100\.000000, latitude 52\.630500",
            },
        ),
    ],
    ids=["longitude and latitude swapped", "one crime far away"],
)
@pytest.mark.parametrize("alg", HOTSPOTS)
def test_crimes_outside_the_chosen_grid_are_refused_naming_the_first(
    provider, tmp_path, alg, xy, said
):
    """Longitude and latitude swapped (the crimes in the Indian Ocean) were projected to
    British National Grid all the same and mapped as hotspots, and one crime at longitude
    100 was one more hexagon, without a word. (The change method reads both months.)"""
    out = _out(tmp_path, "out")
    months = "two months" if alg == "hotspots_change" else "one month"
    with pytest.raises(
        QgsProcessingException,
        match=r"^"
        + said[months].replace(
            " .*",
            " of the crimes lie outside the area "
            r"EPSG:27700 covers \(.*",
            1,
        ),
    ):
        _run(alg, _crimes("Point", "EPSG:4326", _point, xy), out)
    assert not list(out.iterdir())


def test_a_geopackage_of_bng_metres_set_to_wgs84_is_refused(provider, tmp_path):
    """The GeoPackage fast read (one SQL query) takes the same check as a feature loop."""
    path = _ogr_file(tmp_path / "crimes.gpkg", "GPKG", 4326, *_in("EPSG:27700"))
    out = _out(tmp_path, "out")
    with pytest.raises(
        QgsProcessingException,
        match=r"^25 of the crimes in the layer 'crimes' have coordinates that the layer's CRS "
        r"\(EPSG:4326\) cannot hold",
    ):
        _run("hotspots_gi", path, out)
    assert not list(out.iterdir())


# --- neighbourhood summaries: the neighbourhood layer ---------------------------------------


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> dict:
    return make_release(tmp_path_factory.mktemp("hostile_layers"))


def _msoas() -> list[tuple[str, QgsGeometry]]:
    """The first six committed Leicestershire MSOAs: (code, outline)."""
    layer = QgsVectorLayer(str(HOODS / "msoa11_leicestershire.geojson"), "msoas", "ogr")
    return [(f["msoa11cd"], QgsGeometry(f.geometry())) for f in list(layer.getFeatures())[:6]]


def _hoods(
    geometry: str = "MultiPolygon",
    crs: str = "EPSG:4326",
    names: Optional[list] = None,
    populations: Optional[list] = None,
    population_type: str = "string",
    outline: Callable[[int, QgsGeometry], Optional[QgsGeometry]] = lambda _k, g: g,
) -> QgsVectorLayer:
    """The six MSOAs as a memory layer (code, name, pop) in ``crs``, outline k made by
    ``outline(k, its WGS84 outline)``."""
    from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsProject

    to_crs = QgsCoordinateTransform(
        QgsCoordinateReferenceSystem("EPSG:4326"),
        QgsCoordinateReferenceSystem(crs),
        QgsProject.instance(),
    )
    uri = f"{geometry}?crs={crs}&field=code:string&field=name:string(0)&field=pop:{population_type}"
    rows = []
    for k, (code, shape) in enumerate(_msoas()):
        made = outline(k, shape)
        if made is not None:
            made = QgsGeometry(made)
            made.transform(to_crs)
        name = names[k] if names else f"Hood {k}"
        rows.append(
            (None if made is None else made.asWkt(17), [code, name, (populations or [None] * 6)[k]])
        )
    return _memory(uri, rows, "hoods")


def _crimes_in(release: dict, shape: QgsGeometry) -> int:
    """How many crimes of the release lie inside ``shape`` (WGS84)."""
    with open(release["csv"], encoding="utf-8", newline="") as handle:
        return sum(
            shape.contains(QgsGeometry.fromWkt(f"POINT({r['Longitude']} {r['Latitude']})"))
            for r in csv.DictReader(handle)
        )


def _summaries(release: dict, out: Path, hoods: QgsVectorLayer, feedback=None) -> dict:
    import processing

    parameters = summaries_parameters(
        release, out, hoods, CODE_FIELD="code", NAME_FIELD="name", POPULATION_FIELD="pop"
    )
    return processing.run("crime_mapper:neighbourhood_summaries", parameters, feedback=feedback)


def _rows(result: dict) -> list[dict]:
    """The written neighbourhoods (code, name, crimes, population, rate_per_1000)."""
    layer = QgsVectorLayer(result["GPKG"], "written", "ogr")
    keys = ("code", "name", "crimes", "population", "rate_per_1000")
    return [
        {k: (None if f[k] is None or str(f[k]) == "NULL" else f[k]) for k in keys}
        for f in layer.getFeatures()
    ]


@pytest.fixture(scope="module")
def base_counts(release, tmp_path_factory) -> dict[str, int]:
    """Crimes per MSOA code with the plain WGS84 MultiPolygon layer."""
    result = _summaries(release, tmp_path_factory.mktemp("base"), _hoods())
    return {row["code"]: row["crimes"] for row in _rows(result)}


def _zm(_k: int, shape: QgsGeometry) -> QgsGeometry:
    """The outline with a z of 10 and an m of 3 on every vertex."""
    made = QgsGeometry(shape)
    made.get().addZValue(10)
    made.get().addMValue(3)
    return made


@pytest.mark.parametrize(
    "given",
    [
        {"crs": "EPSG:3857"},
        {"crs": "EPSG:27700"},
        {"geometry": "MultiPolygonZM", "outline": _zm},
    ],
    ids=["EPSG:3857", "EPSG:27700", "MultiPolygonZM"],
)
def test_neighbourhoods_in_any_crs_or_with_z_and_m_count_the_same_crimes(
    provider, release, base_counts, tmp_path, given
):
    rows = _rows(_summaries(release, tmp_path, _hoods(**given)))
    assert {row["code"]: row["crimes"] for row in rows} == base_counts
    assert sum(base_counts.values()) > 0


def test_a_neighbourhood_with_a_hole_leaves_out_the_crimes_in_its_hole(
    provider, release, base_counts, tmp_path
):
    """A hole is no part of the neighbourhood: its crimes are counted nowhere."""
    inner = _msoas()[0][1].buffer(-0.004, 8)
    assert not inner.isEmpty()
    holed = _hoods(outline=lambda k, g: g.difference(inner) if k == 0 else g)
    written = holed.getFeature(1).geometry()
    rings = written.asMultiPolygon()[0] if written.isMultipart() else written.asPolygon()
    assert len(rings) == 2  # (its outline and its hole)
    in_hole = _crimes_in(release, inner)
    assert in_hole > 0
    rows = _rows(_summaries(release, tmp_path, holed))
    counts = {row["code"]: row["crimes"] for row in rows}
    first = _msoas()[0][0]
    assert counts[first] == base_counts[first] - in_hole
    assert {k: v for k, v in counts.items() if k != first} == {
        k: v for k, v in base_counts.items() if k != first
    }


def test_populations_as_text_null_or_no_number_give_no_made_up_rate(
    provider, release, base_counts, tmp_path
):
    """ "12,345" is 12,345 people; "n/a", NULL and a negative number are no population, and a
    population of 0 gives no rate: none of them is read as 0 and turned into a rate."""
    given = ["12,345", "n/a", None, "1000", "-5", "0"]
    rows = _rows(_summaries(release, tmp_path, _hoods(populations=given)))
    by_code = {row["code"]: row for row in rows}
    codes = [code for code, _shape in _msoas()]
    first, fourth = by_code[codes[0]], by_code[codes[3]]
    assert first["population"] == 12345
    assert first["rate_per_1000"] == pytest.approx(base_counts[codes[0]] / 12.345)
    assert fourth["population"] == 1000
    assert fourth["rate_per_1000"] == pytest.approx(base_counts[codes[3]])
    for k in (1, 2, 4):
        assert by_code[codes[k]]["population"] is None, by_code[codes[k]]
        assert by_code[codes[k]]["rate_per_1000"] is None, by_code[codes[k]]
    assert by_code[codes[5]]["rate_per_1000"] is None


def test_a_whole_number_population_field_with_nulls(provider, release, base_counts, tmp_path):
    rows = _rows(
        _summaries(
            release,
            tmp_path,
            _hoods(populations=[1000, None, 0, 2000, None, 3000], population_type="integer"),
        )
    )
    rates = {row["code"]: row["rate_per_1000"] for row in rows}
    codes = [code for code, _shape in _msoas()]
    assert rates[codes[0]] == pytest.approx(base_counts[codes[0]])
    assert rates[codes[3]] == pytest.approx(base_counts[codes[3]] / 2)
    assert rates[codes[1]] is None and rates[codes[2]] is None and rates[codes[4]] is None


HOSTILE_NAMES = [
    "<script>alert(1)</script>",
    "=cmd|' /C calc'!A0",
    "North\rEnd",
    "x" * 10_000,
    "Same",
    "Same",
]


def test_hostile_neighbourhood_names_are_written_as_text(provider, release, base_counts, tmp_path):
    """A script tag is no script on the pages, a formula is no formula in the CSV, a bare CR
    starts no line, a 10,000-character name is kept, and two neighbourhoods of one name are
    told apart by their codes; every count is the plain layer's."""
    result = _summaries(release, tmp_path, _hoods(names=HOSTILE_NAMES))
    rows = _rows(result)
    assert {row["code"]: row["crimes"] for row in rows} == base_counts
    names = [row["name"] for row in rows]
    codes = [code for code, _shape in _msoas()]
    assert names[0] == HOSTILE_NAMES[0] and names[1] == HOSTILE_NAMES[1]
    assert names[2] == "North End" and names[3] == "x" * 10_000
    assert names[4:] == [f"Same ({codes[4]})", f"Same ({codes[5]})"]
    folder = Path(result["FOLDER"])
    pages = "".join(p.read_text(encoding="utf-8") for p in folder.rglob("*.html"))
    assert "<script>alert(1)</script>" not in pages and "&lt;script&gt;alert(1)" in pages
    assert "\r" not in pages
    for table in folder.rglob("*.csv"):
        with open(table, encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle):
                for cell in row:
                    assert not re.match(r"[=+@\-]", cell) or re.fullmatch(r"-?[\d.]+", cell), (
                        table.name,
                        cell,
                    )
                    assert "\r" not in cell and "\n" not in cell
    for data in folder.rglob("*.json"):
        assert "<script>" not in json.dumps(json.loads(data.read_text(encoding="utf-8")))


def test_a_line_layer_as_neighbourhoods_is_refused_in_words(provider, release, tmp_path):
    """It said "layer lines is not a polygon layer": not which input, nor what it held."""
    rows = [
        (shape.convertToType(GEOMETRY_LINE, False).asWkt(17), [code, "Hood", None])
        for code, shape in _msoas()
    ]
    lines = _memory(
        "MultiLineString?crs=EPSG:4326&field=code:string&field=name:string&field=pop:string",
        rows,
        "lines",
    )
    with pytest.raises(
        QgsProcessingException,
        match="the neighbourhood layer lines holds lines, not polygons: choose the layer of "
        "neighbourhood outlines",
    ):
        _summaries(release, tmp_path, lines)
    assert not (tmp_path / "neighbourhoods").exists()


@pytest.mark.parametrize(
    "missing",
    [lambda: None, lambda: QgsGeometry.fromWkt("POLYGON EMPTY")],
    ids=["NULL", "empty"],
)
def test_a_neighbourhood_without_an_outline_is_refused_naming_it(
    provider, release, tmp_path, missing
):
    """Every outline missing is refused as before; one missing among others was kept, said
    only in a warning, and published with a page of 0 crimes while its crimes were counted
    outside every neighbourhood."""
    code = _msoas()[0][0]
    with pytest.raises(QgsProcessingException, match="hold no usable neighbourhood"):
        _summaries(release, tmp_path, _hoods(outline=lambda _k, _g: missing()))
    with pytest.raises(
        QgsProcessingException,
        match=rf"^1 of the neighbourhoods of hoods have no outline and no LSOA in a lookup, so "
        rf"no crime can be counted in them \(e\.g\. {code}\): their pages would say 0 crimes",
    ):
        _summaries(release, tmp_path, _hoods(outline=lambda k, g: missing() if k == 0 else g))
    assert not (tmp_path / "neighbourhoods").exists()


def _box(shape: QgsGeometry) -> tuple[float, float, float, float]:
    """A box inside ``shape`` (round a point on its surface): x0, y0, x1, y1."""
    for half in (0.006, 0.004, 0.003, 0.002):
        centre = shape.buffer(-half * 1.5, 8).pointOnSurface().asPoint()
        x, y = centre.x(), centre.y()
        box = QgsGeometry.fromRect(QgsRectangle(x - half, y - half, x + half, y + half))
        if shape.contains(box):
            return x - half, y - half, x + half, y + half
    raise AssertionError("no box fits inside the neighbourhood")


def _bow_tie(shape: QgsGeometry) -> tuple[str, str]:
    """A bow-tie ring inside ``shape``, and its two triangles as a valid polygon."""
    x0, y0, x1, y1 = _box(shape)
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    tie = f"POLYGON(({x0} {y0},{x1} {y1},{x1} {y0},{x0} {y1},{x0} {y0}))"
    valid = (
        f"MULTIPOLYGON((({x0} {y0},{xm} {ym},{x0} {y1},{x0} {y0})),"
        f"(({xm} {ym},{x1} {y1},{x1} {y0},{xm} {ym})))"
    )
    return tie, valid


def _self_touching(shape: QgsGeometry) -> tuple[str, str]:
    """A ring that touches itself at one vertex (an inverted hole) inside ``shape``, and
    the same area as a polygon with a hole."""
    x0, y0, x1, y1 = _box(shape)
    w, h = x1 - x0, y1 - y0
    mx, my = x0 + w / 2, y0  # the vertex the ring touches twice
    ring = (
        f"POLYGON(({x0} {y0},{mx} {my},{mx - w / 4} {y0 + h / 2},{mx + w / 4} {y0 + h / 2},"
        f"{mx} {my},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))"
    )
    valid = QgsGeometry.fromWkt(f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))")
    notch = QgsGeometry.fromWkt(
        f"POLYGON(({mx} {my},{mx - w / 4} {y0 + h / 2},{mx + w / 4} {y0 + h / 2},{mx} {my}))"
    )
    return ring, valid.difference(notch).asWkt(17)


@pytest.mark.parametrize("invalid", [_bow_tie, _self_touching], ids=["bow-tie", "self-touching"])
def test_an_invalid_neighbourhood_counts_the_crimes_of_its_repaired_outline(
    provider, release, base_counts, tmp_path, invalid
):
    """A bow-tie or self-touching ring (as hand-digitised outlines have) is repaired, and
    the neighbourhood counts the crimes inside the repaired outline; the others keep theirs."""
    code, shape = _msoas()[0]
    ring, valid = invalid(shape)
    assert not QgsGeometry.fromWkt(ring).isGeosValid()
    assert QgsGeometry.fromWkt(valid).isGeosValid()
    want = _crimes_in(release, QgsGeometry.fromWkt(valid))
    assert want > 0
    hoods = _hoods(
        geometry="Polygon", outline=lambda k, g: QgsGeometry.fromWkt(ring) if k == 0 else g
    )
    counts = {row["code"]: row["crimes"] for row in _rows(_summaries(release, tmp_path, hoods))}
    assert counts[code] == want
    assert {k: v for k, v in counts.items() if k != code} == {
        k: v for k, v in base_counts.items() if k != code
    }


# --- map points from a point layer -------------------------------------------------------


def _labelled(geometry: str, crs: str, xy, wkt=_point, label=lambda k: f"On or near Street {k}"):
    """A memory layer of labelled points (field ``name``), point k at ``wkt(x_k, y_k)``."""
    x, y = xy
    rows = [(wkt(a, b), [label(k)]) for k, (a, b) in enumerate(zip(x.tolist(), y.tolist()))]
    return _memory(f"{geometry}?crs={crs}&field=name:string(0)", rows)


def _map_points(layer: object, tmp_path: Path):
    import processing

    from crime_mapper.core.release.map_points_files import read_map_points_gpkg

    out = tmp_path / "map_points.gpkg"
    result = processing.run(
        "crime_mapper:build_map_points",
        {"MODE": 0, "POINTS": layer, "LABEL_FIELD": "name", "OUTPUT": str(out)},
    )
    return result, read_map_points_gpkg(out)


@pytest.mark.parametrize(
    "made",
    [
        lambda: _labelled("Point", "EPSG:3857", _in("EPSG:3857")),
        lambda: _labelled("Point", "EPSG:27700", _in("EPSG:27700")),
        lambda: _labelled(
            "PointZ", "EPSG:4326", (LON, LAT), lambda a, b: f"POINT Z({a!r} {b!r} 9)"
        ),
    ],
    ids=["EPSG:3857", "EPSG:27700", "PointZ"],
)
def test_map_points_from_any_crs_are_where_the_points_are(provider, tmp_path, made):
    result, points = _map_points(made(), tmp_path)
    assert result["COUNT"] == 50
    np.testing.assert_allclose(points.longitude, LON, atol=2e-6)
    np.testing.assert_allclose(points.latitude, LAT, atol=2e-6)
    assert points.label.tolist() == [f"Street {k}" for k in range(50)]


def test_map_points_of_multi_point_features_keep_every_part(provider, tmp_path):
    """One map point per part, each with its feature's label: no second point lost."""
    layer = _labelled(
        "MultiPoint",
        "EPSG:4326",
        (LON, LAT),
        lambda a, b: f"MULTIPOINT(({a!r} {b!r}),({a!r} 52.7))",
    )
    result, points = _map_points(layer, tmp_path)
    assert result["COUNT"] == 100
    np.testing.assert_allclose(points.latitude[1::2], 52.7)
    assert points.label.tolist()[:4] == ["Street 0", "Street 0", "Street 1", "Street 1"]


@pytest.mark.parametrize(
    "made, said",
    [
        (lambda: _labelled("Point", "EPSG:4326", (LON[:0], LAT[:0])), "is empty"),
        (
            lambda: _labelled("Point", "EPSG:4326", (LON, LAT), lambda a, b: None),
            "has no point with a geometry",
        ),
        (
            lambda: _labelled(
                "LineString", "EPSG:4326", (LON, LAT), lambda a, b: f"LINESTRING({a} {b},{a} 52.7)"
            ),
            "holds lines, but points are needed here",
        ),
        (
            lambda: _labelled("Point", "EPSG:4326", _in("EPSG:27700")),
            r"50 map point\(s\) lie outside the United Kingdom",
        ),
        (
            lambda: _labelled("Point", "EPSG:27700", (LON, LAT)),
            r"50 map point\(s\) lie outside the United Kingdom",
        ),
    ],
    ids=["empty", "NULL geometries", "lines", "BNG metres as WGS84", "degrees as BNG"],
)
def test_hostile_map_point_layers_are_refused_in_words(provider, tmp_path, made, said):
    with pytest.raises(QgsProcessingException, match=said):
        _map_points(made(), tmp_path)
    assert not (tmp_path / "map_points.gpkg").exists()


def test_hostile_map_point_labels_are_kept_as_text(provider, tmp_path):
    """A script tag and a formula are labels like any other (the public files guard them
    where they are written); NUL and a bare CR become spaces; NULL is no label."""
    labels = ["<script>x</script>", "=cmd|' /C calc'!A0", "a\rb", "a\x00b", "x" * 10_000, None]
    layer = _labelled("Point", "EPSG:4326", (LON, LAT), label=lambda k: labels[k % 6])
    result, points = _map_points(layer, tmp_path)
    assert result["COUNT"] == 50
    got = points.label.tolist()[:6]
    assert got[:2] == labels[:2] and got[2] == "a b" and got[5] == ""
    assert got[3] in ("a b", "a")  # (QGIS 3.40 cuts a text attribute at a NUL)
    assert got[4] == "x" * 10_000


# --- anonymise: the map points layer ---------------------------------------------------------


def _release_map_points(release: dict, geometry: str, crs: str, wkt=_point, to_crs=None):
    """The release's map points (police.uk history, Leicester) as a memory layer in ``crs``
    (coordinates transformed to ``to_crs`` first, when given), point k at ``wkt(x, y)``."""
    with open(release["points"], encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    lon = np.array([float(r["longitude"]) for r in rows])
    lat = np.array([float(r["latitude"]) for r in rows])
    x, y = (lon, lat) if to_crs is None else transform(lon, lat, "EPSG:4326", to_crs)
    uri = f"{geometry}?crs={crs}&field=label:string(0)&field=source:string&field=addresses:integer"
    features = [
        (wkt(a, b), [r["label"], r["source"], int(r["addresses"])])
        for a, b, r in zip(x.tolist(), y.tolist(), rows)
    ]
    return _memory(uri, features, "map points")


def _anonymise(release: dict, map_points: object, tmp_path: Path) -> tuple[dict, Path]:
    import processing

    from tests.support.plain_cli import make_salt

    salt = make_salt(tmp_path / "secret" / "force.salt")
    out = tmp_path / "out"
    out.mkdir()
    public = out / "2022-10-leicestershire-street.csv"
    result = processing.run(
        "crime_mapper:anonymise",
        {
            "CRIMES_FILES": [str(FORCE_EXTRACT)],
            "PROFILE": str(FORCE_PROFILE),
            "MAP_POINTS": map_points,
            "LABEL_FIELD": "label",
            "SALT_FILE": str(salt),
            "PUBLIC_CSV": str(public),
            "PUBLIC_LAYER": str(out / "public.gpkg"),
            "AUDIT_JSON": str(out / "audit.json"),
            "AUDIT_HTML": str(out / "audit.html"),
            "MANIFEST": str(out / "manifest.json"),
        },
    )
    return result, public


@pytest.fixture(scope="module")
def plain_release(release, tmp_path_factory) -> tuple[dict, bytes]:
    """The anonymised release onto the WGS84 map points layer: (counts, public CSV)."""
    layer = _release_map_points(release, "Point", "EPSG:4326")
    result, public = _anonymise(release, layer, tmp_path_factory.mktemp("plain"))
    return result, public.read_bytes()


@pytest.mark.parametrize(
    "made",
    [
        lambda r: _release_map_points(r, "Point", "EPSG:3857", to_crs="EPSG:3857"),
        lambda r: _release_map_points(r, "Point", "EPSG:27700", to_crs="EPSG:27700"),
        lambda r: _release_map_points(
            r, "MultiPoint", "EPSG:4326", lambda a, b: f"MULTIPOINT(({a!r} {b!r}))"
        ),
        lambda r: _release_map_points(
            r, "PointZM", "EPSG:4326", lambda a, b: f"POINT ZM({a!r} {b!r} 70 1)"
        ),
    ],
    ids=["EPSG:3857", "EPSG:27700", "MultiPoint of one point", "PointZM"],
)
def test_map_points_in_any_crs_or_form_give_the_same_release(
    provider, release, plain_release, tmp_path, made
):
    want, public = plain_release
    got, written = _anonymise(release, made(release), tmp_path)
    assert want["PUBLISHED"] > 0
    for key in ("ROWS_IN", "PUBLISHED", "WITHHELD", "NO_LOCATION", "REJECTED"):
        assert got[key] == want[key], key
    assert written.read_bytes() == public


@pytest.mark.parametrize(
    "made, said",
    [
        (
            lambda r: _release_map_points(r, "Point", "EPSG:4326", lambda a, b: None),
            "map points layer 'map points' has no point with a geometry",
        ),
        (
            lambda r: _release_map_points(
                r, "LineString", "EPSG:4326", lambda a, b: f"LINESTRING({a!r} {b!r},{a!r} 52.7)"
            ),
            "map points layer 'map points' holds lines, but points are needed here",
        ),
        (
            lambda r: _release_map_points(r, "Point", "EPSG:999999"),
            "map points layer 'map points' has no coordinate reference system",
        ),
        (
            lambda r: _release_map_points(r, "Point", "EPSG:4326", to_crs="EPSG:27700"),
            r"map point\(s\) lie outside the United Kingdom",
        ),
        (
            lambda r: _release_map_points(r, "Point", "EPSG:27700"),
            r"map point\(s\) lie outside the United Kingdom",
        ),
    ],
    ids=["NULL geometries", "lines", "invalid CRS", "BNG metres as WGS84", "degrees as BNG"],
)
def test_hostile_map_points_for_a_release_are_refused_before_anything_is_written(
    provider, release, tmp_path, made, said
):
    with pytest.raises(QgsProcessingException, match=said):
        _anonymise(release, made(release), tmp_path)
    assert not list((tmp_path / "out").iterdir())


# --- the web map: the neighbourhood layer ---------------------------------------------------


def _page_json(path: Path) -> dict:
    """The JSON object a web map data script (data/areas.js, data/points.js) assigns."""
    text = path.read_text(encoding="utf-8")
    return json.loads(text[text.index("{") : text.rindex("}") + 1])


def test_web_map_areas_of_hostile_names_are_one_area_each(provider, release, tmp_path):
    """Two neighbourhoods of one name were one area of the web map (each popup gave both
    areas' crimes), though the summaries tell them apart by code; the script tag, formula,
    bare CR and 10,000-character name are names like any other."""
    import processing

    result = processing.run(
        "crime_mapper:export_webmap",
        {
            "RELEASE": [str(release["csv"])],
            "NEIGHBOURHOODS": _hoods(names=HOSTILE_NAMES),
            "CODE_FIELD": "code",
            "NAME_FIELD": "name",
            "TILES": 1,
            "OUTPUT": str(tmp_path),
        },
    )
    folder = Path(result["FOLDER"])
    features = [f["properties"] for f in _page_json(folder / "data" / "areas.js")["features"]]
    areas = _page_json(folder / "data" / "points.js")["areas"]
    codes = [code for code, _shape in _msoas()]
    want = [*HOSTILE_NAMES[:2], "North End", "x" * 10_000, *(f"Same ({c})" for c in codes[4:])]
    assert sorted(p["name"] for p in features) == sorted(want)
    assert len({p["area"] for p in features}) == 6
    assert all(areas[p["area"]] == p["name"] for p in features)
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page


def test_web_map_neighbourhoods_of_lines_are_refused_in_words(provider, release, tmp_path):
    import processing

    lines = _memory(
        "MultiLineString?crs=EPSG:4326&field=code:string",
        [(shape.convertToType(GEOMETRY_LINE, False).asWkt(17), [code]) for code, shape in _msoas()],
        "lines",
    )
    with pytest.raises(QgsProcessingException, match="the neighbourhood layer lines holds lines"):
        processing.run(
            "crime_mapper:export_webmap",
            {
                "RELEASE": [str(release["csv"])],
                "NEIGHBOURHOODS": lines,
                "CODE_FIELD": "code",
                "TILES": 1,
                "OUTPUT": str(tmp_path),
            },
        )
    assert not (tmp_path / "map").exists()


# --- the crimes layer of the release algorithms ------------------------------------------


def _crimes_params(alg: str, release: dict, crimes: object, tmp_path: Path) -> dict:
    """The parameters of ``alg`` with ``crimes`` as its CRIMES layer, outputs in tmp_path/out."""
    from tests.support.plain_cli import make_salt

    out = tmp_path / "out"
    out.mkdir()
    points = _release_map_points(release, "Point", "EPSG:4326")
    shared = {"CRIMES": crimes, "MAP_POINTS": points, "LABEL_FIELD": "label"}
    if alg == "anonymise":
        return {
            **shared,
            "SALT_FILE": str(make_salt(tmp_path / "secret" / "force.salt")),
            "PUBLIC_CSV": str(out / "2022-10-leicestershire-street.csv"),
            "PUBLIC_LAYER": str(out / "public.gpkg"),
            "AUDIT_JSON": str(out / "audit.json"),
            "AUDIT_HTML": str(out / "audit.html"),
            "MANIFEST": str(out / "manifest.json"),
        }
    if alg == "release_qa":
        return {**shared, "HISTORY": [str(release["csv"])], "OUTPUT_FOLDER": str(out)}
    return {**shared, "RELEASE": str(release["csv"]), "OUTPUT": str(out / "hotspots.gpkg")}


@pytest.mark.parametrize(
    "made, said",
    [
        (
            lambda: _crimes("Point", "EPSG:27700", _point, _in("EPSG:27700")),
            "'hostile' is not a crime_mapper crimes GeoPackage layer: choose the crimes layer "
            "of a load",
        ),
        (
            lambda: _memory("Point?crs=EPSG:4326&field=month:string", []),
            "the crimes layer 'hostile' has no features",
        ),
    ],
    ids=["a point layer that is no load", "empty"],
)
@pytest.mark.parametrize("alg", ["anonymise", "release_qa", "publish_hotspots"])
def test_a_crimes_layer_that_is_no_load_is_refused_in_words(
    provider, release, tmp_path, alg, made, said
):
    import processing

    with pytest.raises(QgsProcessingException, match=said):
        processing.run(f"crime_mapper:{alg}", _crimes_params(alg, release, made(), tmp_path))
    assert not list((tmp_path / "out").iterdir())


def _coded(codes: list, field_type: str = "string") -> QgsVectorLayer:
    """The six MSOA outlines coded ``codes`` (field ``code`` of ``field_type``), named H0..H5."""
    rows = [
        (shape.asWkt(17), [code, f"H{k}", None])
        for k, ((_c, shape), code) in enumerate(zip(_msoas(), codes))
    ]
    uri = f"MultiPolygon?crs=EPSG:4326&field=code:{field_type}&field=name:string&field=pop:string"
    return _memory(uri, rows, "hoods")


def test_neighbourhood_codes_null_repeated_or_numbers(provider, release, base_counts, tmp_path):
    """A NULL code is skipped and said (its crimes count as outside); a repeated code is one
    neighbourhood of both outlines, said; whole-number codes are read as their digits."""
    from tests.support.processing_feedback import WarningsFeedback

    plain = list(base_counts.values())
    feedback = WarningsFeedback()
    layer = _coded([None, "A", "A", "D", "E", "F"])
    rows = _rows(_summaries(release, tmp_path / "text", layer, feedback))
    assert [(r["code"], r["name"], r["crimes"]) for r in rows] == [
        ("A", "H1", plain[1] + plain[2]),
        ("D", "H3", plain[3]),
        ("E", "H4", plain[4]),
        ("F", "H5", plain[5]),
    ]
    said = "\n".join(feedback.warnings)
    assert "feature 1: no code; skipped" in said, said
    assert "code repeats an earlier feature; outlines merged" in said, said
    rows = _rows(_summaries(release, tmp_path / "numbers", _coded(list(range(1, 7)), "integer")))
    assert [(r["code"], r["crimes"]) for r in rows] == [
        (str(k + 1), n) for k, n in enumerate(plain)
    ]
