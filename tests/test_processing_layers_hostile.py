"""The hotspot algorithms given the point layers a careless or hostile analyst gives them.

Why: a sweep of layers as inputs (memory and GeoPackage layers of every geometry and field
type) found five ways a hotspot run crashed or read something other than the layer:

- a polygon layer ended in a TypeError traceback (asPoint);
- a MultiPoint GeoPackage table (what QGIS's "Save as" and many tools write, one point per
  feature) was read as "no crime in the layer has a location": its blobs are no points;
- a multi-point feature of several points was read as the centroid of its parts, a place
  where no crime was, without a word;
- a month kept as a date or date-time was read as Python's repr ("PyQt5.QtCore.QDate(2022,
  10, 1)") into the legend, and matched no month asked for;
- a month kept as the number yyyymm (202210, whole-number or text) matched no month asked for,
  and a value that is no month (202213) was read as written;
- two fields differing only by case ("Month", "month") were read as whichever came last;
- a GeoPackage whose month is NULL for some crimes crashed the change method (np.unique
  could not sort None among the months).

Real QGIS layers (memory, and GeoPackages written by OGR), the real Processing framework.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from osgeo import ogr, osr
from qgis.core import QgsFeature, QgsGeometry, QgsProcessingException, QgsVectorLayer
from qgis.PyQt.QtCore import QDate, QDateTime

#: 50 crimes in Leicester, a few metres apart
POINTS = [(-1.13 + i * 0.001, 52.63 + i * 0.0005) for i in range(50)]


def _memory(geometry: str, fields: list[str], rows: list[tuple[str, list]]) -> QgsVectorLayer:
    uri = f"{geometry}?crs=EPSG:4326" + "".join(f"&field={f}" for f in fields)
    layer = QgsVectorLayer(uri, "hostile", "memory")
    features = []
    for wkt, values in rows:
        feature = QgsFeature(layer.fields())
        feature.setGeometry(QgsGeometry.fromWkt(wkt))
        feature.setAttributes(values)
        features.append(feature)
    assert layer.dataProvider().addFeatures(features)
    layer.updateExtents()
    return layer


def _gpkg(
    path: Path,
    geometry_type: int,
    rows: list[tuple[str, object]],
    month_type: int = ogr.OFTString,
) -> str:
    """A GeoPackage table ``crimes`` written by OGR: (WKT, month or None) per feature, the
    month field of OGR type ``month_type``."""
    source = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    table = source.CreateLayer("crimes", srs, geometry_type)
    table.CreateField(ogr.FieldDefn("month", month_type))
    for wkt, month in rows:
        feature = ogr.Feature(table.GetLayerDefn())
        if month is not None:
            feature.SetField("month", month)
        feature.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
        table.CreateFeature(feature)
    source = None
    return f"{path}|layername=crimes"


def _run(alg: str, layer, tmp_path: Path, **more) -> dict:
    import processing

    out = tmp_path / ("out.tif" if alg == "hotspots_kde" else "out.gpkg")
    params = {"INPUT": layer, "CELL_SIZE": 500, "OUTPUT": str(out), **more}
    if alg == "hotspots_change":
        params.setdefault("CURRENT_MONTH", "2022-10")
    return processing.run(f"crime_mapper:{alg}", params)


@pytest.mark.parametrize("alg", ["hotspots_grid", "hotspots_kde", "hotspots_change"])
def test_a_polygon_layer_is_refused_in_words(provider, tmp_path, alg):
    square = "POLYGON(({x} {y},{x2} {y},{x} {y2},{x} {y}))"
    layer = _memory(
        "Polygon",
        ["month:string"],
        [(square.format(x=x, y=y, x2=x + 0.001, y2=y + 0.001), ["2022-10"]) for x, y in POINTS],
    )
    with pytest.raises(
        QgsProcessingException, match="holds polygons, but crime points are needed here"
    ):
        _run(alg, layer, tmp_path)
    assert not list(tmp_path.iterdir())


def test_a_multipoint_geopackage_of_single_points_is_read_as_its_points(provider, tmp_path):
    """Every crime was "without a location": the fast read took no MultiPoint blob."""
    rows = [(f"MULTIPOINT(({x} {y}))", "2022-10") for x, y in POINTS]
    multi = _gpkg(tmp_path / "multi.gpkg", ogr.wkbMultiPoint, rows)
    single = _gpkg(
        tmp_path / "single.gpkg", ogr.wkbPoint, [(f"POINT({x} {y})", "2022-10") for x, y in POINTS]
    )
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    got = _run("hotspots_grid", multi, tmp_path / "a", MONTHS="2022-10")
    want = _run("hotspots_grid", single, tmp_path / "b", MONTHS="2022-10")
    assert got["CRIMES"] == want["CRIMES"] == len(POINTS)
    assert got["CELLS"] == want["CELLS"] and got["LEGEND"] == want["LEGEND"]


@pytest.mark.parametrize("kind", ["memory", "gpkg"])
def test_a_feature_of_several_points_is_refused_by_its_id(provider, tmp_path, kind):
    """It was read as the centroid of its parts: a place where no crime was."""
    wkts = [f"MULTIPOINT(({x} {y}))" for x, y in POINTS]
    wkts[7] = "MULTIPOINT((-1.13 52.63),(-1.03 52.63))"
    if kind == "memory":
        layer = _memory("MultiPoint", ["month:string"], [(w, ["2022-10"]) for w in wkts])
    else:
        layer = _gpkg(tmp_path / "multi.gpkg", ogr.wkbMultiPoint, [(w, "2022-10") for w in wkts])
    fid = 8  # (the eighth feature: both number their features from 1)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(
        QgsProcessingException,
        match=rf"feature {fid} of the layer \S+ holds 2 points, where a crime is one point: "
        "split the layer's multi-part features first",
    ):
        _run("hotspots_grid", layer, out)
    assert not list(out.iterdir())


@pytest.mark.parametrize("field_type", ["date", "datetime"])
@pytest.mark.parametrize("alg", ["hotspots_grid", "hotspots_kde", "hotspots_change"])
def test_a_month_kept_as_a_date_is_read_as_its_month(provider, tmp_path, field_type, alg):
    """The legend said "PyQt5.QtCore.QDate(2022, 10, 1)" and no month asked for matched."""

    def month(year: int, number: int):
        day = QDate(year, number, 15)
        return day if field_type == "date" else QDateTime(day)

    rows = [
        (f"POINT({x} {y})", [month(2022, 10 if i % 2 else 9), "Burglary"])
        for i, (x, y) in enumerate(POINTS)
    ]
    layer = _memory("Point", [f"month:{field_type}", "crime_type:string"], rows)
    months = {} if alg == "hotspots_change" else {"MONTHS": "2022-10"}
    result = _run(alg, layer, tmp_path, **months)
    assert "QDate" not in result["LEGEND"] and "2022-10" in result["LEGEND"], result["LEGEND"]
    if alg == "hotspots_change":
        assert "2022-09" in result["LEGEND"] and result["BASELINE_CRIMES"] == len(POINTS) // 2
    else:
        assert result["CRIMES"] == len(POINTS) // 2


@pytest.mark.parametrize("names", [["Month", "month"], ["month", "MONTH"]])
def test_two_month_fields_differing_by_case_are_refused_by_name(provider, tmp_path, names):
    """The last of them was read, whichever the analyst meant."""
    layer = _memory(
        "Point",
        [f"{n}:string" for n in names],
        [(f"POINT({x} {y})", ["2022-10", "garbage"]) for x, y in POINTS],
    )
    with pytest.raises(
        QgsProcessingException,
        match=f"has 2 fields named {names[0]} and {names[1]}, differing only by case",
    ):
        _run("hotspots_kde", layer, tmp_path)
    assert not list(tmp_path.iterdir())


def test_a_null_month_in_a_geopackage_leaves_the_change_method_working(provider, tmp_path):
    """It crashed: TypeError "'<' not supported between instances of 'str' and 'NoneType'"."""
    rows = [
        (f"POINT({x} {y})", [None, "2022-10", "2022-09"][i % 3]) for i, (x, y) in enumerate(POINTS)
    ]
    layer = _gpkg(tmp_path / "crimes.gpkg", ogr.wkbPoint, rows)
    out = tmp_path / "out"
    out.mkdir()
    result = _run("hotspots_change", layer, out)
    assert result["CRIMES"] == sum(1 for _w, m in rows if m == "2022-10")
    assert result["BASELINE_CRIMES"] == sum(1 for _w, m in rows if m == "2022-09")
    assert "None" not in result["LEGEND"] and "NULL" not in result["LEGEND"]


_YYYYMM_LAYERS = {
    "gpkg integer": (ogr.OFTInteger, int),
    "gpkg integer64": (ogr.OFTInteger64, int),
    "gpkg real": (ogr.OFTReal, float),
    "gpkg text": (ogr.OFTString, str),
    "memory integer": ("integer", int),
    "memory text": ("string", str),
}


def _yyyymm_layer(tmp_path: Path, kind: str, months: list[object]) -> object:
    """A real layer (OGR GeoPackage or memory) of the crimes in POINTS whose month field
    holds ``months`` in turn, in the field type of ``kind``."""
    field_type, convert = _YYYYMM_LAYERS[kind]
    values = [convert(months[i % len(months)]) for i in range(len(POINTS))]
    if kind.startswith("gpkg"):
        rows = [(f"POINT({x} {y})", v) for (x, y), v in zip(POINTS, values)]
        return _gpkg(tmp_path / "crimes.gpkg", ogr.wkbPoint, rows, field_type)
    return _memory(
        "Point",
        [f"month:{field_type}"],
        [(f"POINT({x} {y})", [v]) for (x, y), v in zip(POINTS, values)],
    )


@pytest.mark.parametrize("kind", sorted(_YYYYMM_LAYERS))
@pytest.mark.parametrize("alg", ["hotspots_grid", "hotspots_change"])
def test_a_month_kept_as_the_number_yyyymm_is_read_as_its_month(provider, tmp_path, kind, alg):
    """202210 matched no month asked for ("no crimes ... in month(s) 2022-10"), and the
    legend and the change method's months were "202210" and "202209"."""
    layer = _yyyymm_layer(tmp_path, kind, [202210, 202209])
    out = tmp_path / "out"
    out.mkdir()
    months = {} if alg == "hotspots_change" else {"MONTHS": "2022-10"}
    result = _run(alg, layer, out, **months)
    assert "2022-10" in result["LEGEND"] and "202210" not in result["LEGEND"], result["LEGEND"]
    assert result["CRIMES"] == len(POINTS) // 2
    if alg == "hotspots_change":
        assert "2022-09" in result["LEGEND"] and result["BASELINE_CRIMES"] == len(POINTS) // 2


@pytest.mark.parametrize("kind", sorted(_YYYYMM_LAYERS))
@pytest.mark.parametrize("bad", [202213, 202200, 20221])
def test_a_month_number_that_is_no_month_is_refused_naming_it(provider, tmp_path, kind, bad):
    """A value such as 202213 among good months was read as written: its crimes were in no
    month asked for, and in the legend's months, without a word."""
    layer = _yyyymm_layer(tmp_path, kind, [202210, 202209, bad])
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(
        QgsProcessingException,
        match=rf"the month field month of the layer \S+ holds {bad}, which is no month",
    ):
        _run("hotspots_grid", layer, out, MONTHS="2022-10")
    assert not list(out.iterdir())
