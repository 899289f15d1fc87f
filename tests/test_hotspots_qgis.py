"""Hotspot layers in real QGIS: the four Processing algorithms on real Leicestershire months,
the styled outputs and their plain-word legends, bad input, and publishing a public grid.

Input is the crimes GeoPackage of a real load (run_load on the bundled police.uk slices of
September and October 2022); nothing from QGIS is mocked.
"""

from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, ogr, osr
from qgis.core import (
    NULL,
    QgsApplication,
    QgsFeature,
    QgsGeometry,
    QgsPointXY,
    QgsProject,
    QgsRasterLayer,
    QgsVectorLayer,
)

from crime_mapper.compat import layer_abstract
from crime_mapper.core.common import palette
from crime_mapper.core.hotspots.hexgrid import HexGrid, HotspotInputError, TooManyCells, hex_cells
from crime_mapper.qgis_bridge import hotspot_input, hotspot_publish, hotspot_style
from crime_mapper.qgis_bridge import hotspot_layers as hl
from crime_mapper.qgis_bridge.layers import CRIMES_TABLE, gpkg_uri
from crime_mapper.qgis_bridge.run_load import run_load
from tests.support.gpkg_edits import edited_gpkg

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "police-uk"
LEICS_SEP = SAMPLE / "2022-09" / "2022-09-leicestershire-street.csv"
LEICS_OCT = SAMPLE / "2022-10" / "2022-10-leicestershire-street.csv"
HISTORY = SAMPLE / "history" / "leicester-city-2021-10-to-2022-08.zip"
# rows with a location in the two slices (README: 4,685 - 348 and 4,836 - 402)
LOCATED = {"2022-09": 4685 - 348, "2022-10": 4836 - 402}


@pytest.fixture(scope="module")
def crimes_gpkg(qgis_app, tmp_path_factory) -> Path:
    out = run_load([LEICS_SEP, LEICS_OCT], tmp_path_factory.mktemp("load"))
    return out.gpkg


def _gdal_messages(path: Path) -> list[str]:
    messages: list[str] = []

    def handler(level, _code, message):
        if level >= gdal.CE_Warning:
            messages.append(message)

    gdal.PushErrorHandler(handler)
    try:
        ds = ogr.Open(str(path))
        assert ds is not None
        for i in range(ds.GetLayerCount()):
            layer = ds.GetLayer(i)
            layer.GetFeatureCount()
            if layer.GetGeomType() == ogr.wkbNone:  # layer_styles
                continue
            for feature in layer:
                assert feature.GetGeometryRef().IsValid()
        ds = None
    finally:
        gdal.PopErrorHandler()
    return messages


def _memory_points(
    crs: str, points: list[tuple[float, float]], month: str = "2022-10"
) -> QgsVectorLayer:
    layer = QgsVectorLayer(
        f"Point?crs={crs}&field=month:string&field=crime_type:string", "memory points", "memory"
    )
    features = []
    for x, y in points:
        feature = QgsFeature(layer.fields())
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(x, y)))
        feature.setAttributes([month, "Burglary"])
        features.append(feature)
    assert layer.dataProvider().addFeatures(features)
    layer.updateExtents()
    return layer


# --- reading points --------------------------------------------------------------------------


def test_geographic_layer_is_projected_to_bng_automatically(crimes_gpkg):
    points = hotspot_input.points_from_layer(str(crimes_gpkg))
    assert points.crs == "EPSG:27700"
    assert len(points) == sum(LOCATED.values())
    assert points.skipped_no_location == 348 + 402
    assert any(
        "British National Grid (EPSG:27700), chosen automatically" in n for n in points.notes
    )
    # Leicester is around easting 458,000, northing 304,000
    assert 440_000 < np.median(points.x) < 475_000 and 290_000 < np.median(points.y) < 320_000


def test_fast_geopackage_read_matches_feature_iteration(crimes_gpkg):
    layer = QgsVectorLayer(gpkg_uri(crimes_gpkg, CRIMES_TABLE), "c", "ogr")
    spec = hotspot_input.gpkg_point_table(layer)
    assert spec is not None
    fast = hotspot_input.read_gpkg_points(
        layer, spec, "crime_type", "month", "Burglary", ["2022-10"], True
    )
    from crime_mapper.core.common.feedback import Feedback

    slow = hotspot_input.read_feature_points(
        layer, "crime_type", "month", "Burglary", ["2022-10"], True, Feedback()
    )
    assert len(fast[0]) == len(slow[0]) > 50
    assert np.array_equal(fast[0], slow[0]) and np.array_equal(fast[1], slow[1])
    assert set(fast[2]) == {"2022-10"}


def test_category_and_month_filters(crimes_gpkg):
    october = hotspot_input.points_from_layer(str(crimes_gpkg), months="2022-10")
    assert len(october) == LOCATED["2022-10"]
    burglary = hotspot_input.points_from_layer(
        str(crimes_gpkg), category="burglary", months=["2022-10"]
    )
    with sqlite3.connect(crimes_gpkg) as conn:
        expected = conn.execute(
            "SELECT count(*) FROM crimes WHERE crime_type = 'Burglary' AND "
            "month = '2022-10' AND geom IS NOT NULL"
        ).fetchone()[0]
    assert len(burglary) == expected and burglary.category == "Burglary"
    assert burglary.subject() == "Burglary, 2022-10"


def test_projected_metre_layer_is_used_as_it_is(qgis_app):
    layer = _memory_points("EPSG:27700", [(458_000.0, 304_000.0), (458_100.0, 304_050.0)])
    points = hotspot_input.points_from_layer(layer)
    assert points.crs == "EPSG:27700" and points.notes == []
    assert points.x.tolist() == [458_000.0, 458_100.0]


@pytest.fixture(scope="module")
def crimes_in(crimes_gpkg, tmp_path_factory):
    """The real load's located crimes written by OGR to a GeoPackage in another CRS, the
    coordinates transformed from the load's WGS84 by core.common.geography (the transform
    the hotspot tools use): ``crimes_in("EPSG:3857")`` is the path of its ``crimes`` table."""
    from crime_mapper.core.common.geography import transform

    source = QgsVectorLayer(gpkg_uri(crimes_gpkg, CRIMES_TABLE), "c", "ogr")
    rows = [
        (f.geometry().asPoint(), f["month"], f["crime_type"])
        for f in source.getFeatures()
        if not f.geometry().isNull()
    ]
    lon = np.array([p.x() for p, _, _ in rows])
    lat = np.array([p.y() for p, _, _ in rows])
    folder = tmp_path_factory.mktemp("crs")
    made: dict[str, str] = {}

    def write(crs: str) -> str:
        if crs in made:
            return made[crs]
        x, y = transform(lon, lat, "EPSG:4326", crs)
        path = folder / f"crimes_{crs.replace(':', '_')}.gpkg"
        ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
        srs = osr.SpatialReference()
        srs.SetFromUserInput(crs)
        table = ds.CreateLayer("crimes", srs, ogr.wkbPoint)
        for name in ("month", "crime_type"):
            table.CreateField(ogr.FieldDefn(name, ogr.OFTString))
        table.StartTransaction()
        for (_, month, category), px, py in zip(rows, x.tolist(), y.tolist()):
            feature = ogr.Feature(table.GetLayerDefn())
            feature.SetField("month", month)
            feature.SetField("crime_type", category)
            feature.SetGeometry(ogr.CreateGeometryFromWkt(f"POINT ({px!r} {py!r})"))
            table.CreateFeature(feature)
        table.CommitTransaction()
        ds = None
        made[crs] = gpkg_uri(path, "crimes")
        return made[crs]

    return write


def test_web_mercator_layer_is_projected_to_bng_like_a_geographic_one(crimes_in):
    """One metre of Web Mercator is about 0.61 m on the ground in Leicester: its points are
    projected to British National Grid, where they land where the same crimes given in
    British National Grid are, and the notes say so."""
    mercator = hotspot_input.points_from_layer(crimes_in("EPSG:3857"))
    bng = hotspot_input.points_from_layer(crimes_in("EPSG:27700"))
    assert mercator.crs == bng.crs == "EPSG:27700"
    assert len(mercator) == len(bng) == sum(LOCATED.values())
    np.testing.assert_allclose(mercator.x, bng.x, atol=1e-3)
    np.testing.assert_allclose(mercator.y, bng.y, atol=1e-3)
    assert bng.notes == []
    (note,) = mercator.notes
    assert "(EPSG:3857) is in metres, but not in metres on the ground" in note
    assert "is 0.61 m there" in note and "British National Grid (EPSG:27700)" in note


def test_web_mercator_memory_layer_in_northern_ireland_gets_itm(qgis_app):
    from crime_mapper.core.common.geography import transform

    x, y = transform(
        np.array([-5.93, -5.92, -6.0]), np.array([54.60, 54.59, 54.5]), "EPSG:4326", "EPSG:3857"
    )
    layer = _memory_points("EPSG:3857", list(zip(x.tolist(), y.tolist())))
    points = hotspot_input.points_from_layer(layer)
    assert points.crs == "EPSG:2157"
    assert any("Irish Transverse Mercator (EPSG:2157)" in n for n in points.notes)


def test_a_utm_layer_is_used_as_it_is(qgis_app):
    """UTM 30N's metres are true to 0.03% in Leicester: used as they are, no note."""
    layer = _memory_points("EPSG:32630", [(626_000.0, 5_832_000.0), (626_100.0, 5_832_050.0)])
    points = hotspot_input.points_from_layer(layer)
    assert points.crs == "EPSG:32630" and points.notes == []
    assert points.x.tolist() == [626_000.0, 626_100.0]


def _ground_metres_between(crs: str, a: tuple[float, float], b: tuple[float, float]) -> float:
    from crime_mapper.core.common.geography import pyproj_module, transform

    lon, lat = transform(np.array([a[0], b[0]]), np.array([a[1], b[1]]), crs, "EPSG:4326")
    return float(pyproj_module().Geod(ellps="WGS84").inv(lon[0], lat[0], lon[1], lat[1])[2])


@pytest.mark.parametrize("alg", ["hotspots_grid", "hotspots_gi", "hotspots_change"])
def test_hexagons_of_a_web_mercator_layer_are_the_size_asked_on_the_ground(
    provider, crimes_in, tmp_path, alg
):
    """A 500 m hexagon grid of the crimes in Web Mercator is the grid of the same crimes in
    British National Grid, cell for cell: neighbouring centres 500 m apart on the ground
    (they were 305 m apart, in EPSG:3857)."""
    results, centres = {}, {}
    for crs in ("EPSG:3857", "EPSG:27700"):
        out = tmp_path / f"{crs.replace(':', '_')}.gpkg"
        params = {"INPUT": crimes_in(crs), "CELL_SIZE": 500, "OUTPUT": str(out)}
        if alg == "hotspots_change":
            params["CURRENT_MONTH"] = "2022-10"
        result = _run(alg, params)
        assert result["CRS"] == "EPSG:27700"
        layer = QgsVectorLayer(result["OUTPUT"], "out", "ogr")
        assert layer.crs().authid() == "EPSG:27700"
        count = "current" if alg == "hotspots_change" else "count"
        results[crs] = sorted((f["q"], f["r"], f[count]) for f in layer.getFeatures())
        centres[crs] = {(f["q"], f["r"]): (f["x"], f["y"]) for f in layer.getFeatures()}
    assert results["EPSG:3857"] == results["EPSG:27700"]
    cells = centres["EPSG:3857"]
    q, r = next(c for c in cells if (c[0] + 1, c[1]) in cells)
    ground = _ground_metres_between(result["CRS"], cells[(q, r)], cells[(q + 1, r)])
    assert ground == pytest.approx(500.0, rel=1e-3)


def test_density_of_a_web_mercator_layer_has_the_cells_and_bandwidth_asked(
    provider, crimes_in, tmp_path
):
    """The density surface of the crimes in Web Mercator is that of the same crimes in
    British National Grid: 50 m pixels and a 400 m bandwidth on the ground."""
    surfaces = {}
    for crs in ("EPSG:3857", "EPSG:27700"):
        result = _run(
            "hotspots_kde",
            {
                "INPUT": crimes_in(crs),
                "CELL_SIZE": 50,
                "BANDWIDTH": 400,
                "OUTPUT": str(tmp_path / f"{crs.replace(':', '_')}.tif"),
            },
        )
        assert result["CRS"] == "EPSG:27700" and "400 m" in result["LEGEND"]
        ds = gdal.Open(result["OUTPUT"])
        surfaces[crs] = (ds.GetGeoTransform(), ds.GetRasterBand(1).ReadAsArray())
        ds = None
    (transform_m, values_m), (transform_b, values_b) = surfaces["EPSG:3857"], surfaces["EPSG:27700"]
    assert transform_m == transform_b and transform_b[1] == 50.0
    np.testing.assert_allclose(values_m, values_b, rtol=1e-6)


def test_northern_ireland_points_get_irish_transverse_mercator(qgis_app):
    layer = _memory_points("EPSG:4326", [(-5.93, 54.60), (-5.92, 54.59), (-6.0, 54.5)])
    points = hotspot_input.points_from_layer(layer)
    assert points.crs == "EPSG:2157"
    assert any("Irish Transverse Mercator" in n for n in points.notes)


def test_projected_crs_in_feet_is_a_clear_error(qgis_app):
    layer = _memory_points("EPSG:2263", [(1_000_000.0, 200_000.0)])  # NY Long Island, US feet
    with pytest.raises(HotspotInputError, match="not metres"):
        hotspot_input.points_from_layer(layer)


def test_empty_layer_is_a_clear_error(qgis_app):
    layer = _memory_points("EPSG:4326", [])
    with pytest.raises(HotspotInputError, match="is empty"):
        hotspot_input.points_from_layer(layer)


def test_months_without_features_name_what_the_layer_holds(crimes_gpkg):
    with pytest.raises(HotspotInputError, match=r"2021-01.*holds 2022-09 to 2022-10"):
        hotspot_input.points_from_layer(str(crimes_gpkg), months="2021-01")
    with pytest.raises(HotspotInputError, match="YYYY-MM"):
        hotspot_input.points_from_layer(str(crimes_gpkg), months="October")
    with pytest.raises(HotspotInputError, match="unknown crime category"):
        hotspot_input.points_from_layer(str(crimes_gpkg), category="Jaywalking")


def test_too_many_cells_is_refused_before_work(crimes_gpkg, tmp_path):
    points = hotspot_input.points_from_layer(str(crimes_gpkg))
    with pytest.raises(TooManyCells, match="larger hexagon size"):
        hl.run_gi(points, tmp_path / "gi.gpkg", cell_size_m=10.0, max_cells=1_000)
    with pytest.raises(TooManyCells, match="coarser cell size"):
        hl.run_kde(points, tmp_path / "kde.tif", cell_m=10.0, max_cells=100_000)
    assert not list(tmp_path.iterdir())  # nothing written, no temporaries


# --- the months a legend states ---------------------------------------------------------------


@pytest.fixture(scope="module")
def no_september_robbery(crimes_gpkg, tmp_path_factory) -> Path:
    """The real load with September's robberies deleted: 2022-09 is still loaded (every other
    category is there), it just has no robbery, a real zero."""
    return edited_gpkg(
        crimes_gpkg,
        tmp_path_factory.mktemp("no_robbery"),
        "DELETE FROM crimes WHERE crime_type = 'Robbery' AND month = '2022-09';",
    )


@pytest.fixture(scope="module")
def august_missing(qgis_app, tmp_path_factory) -> Path:
    """A real load of July (Leicester's police.uk file, from the bundled history), September
    and October 2022: August is not in the layer at all."""
    folder = tmp_path_factory.mktemp("gap")
    with zipfile.ZipFile(HISTORY) as archive:
        july = Path(archive.extract("2022-07/2022-07-leicestershire-street.csv", folder))
    return run_load([july, LEICS_SEP, LEICS_OCT], folder / "load").gpkg


def _located(gpkg: Path, month: str, category: str = "") -> int:
    with sqlite3.connect(gpkg) as conn:
        return conn.execute(
            "SELECT count(*) FROM crimes WHERE month = ? AND geom IS NOT NULL"
            + (" AND crime_type = ?" if category else ""),
            (month, category) if category else (month,),
        ).fetchone()[0]


def test_legend_months_are_the_months_the_layer_holds(crimes_gpkg, tmp_path):
    """Not "all months" (how many? which?), nor a month asked for that was never loaded."""
    everything = hotspot_input.points_from_layer(str(crimes_gpkg))
    assert everything.subject() == "all crimes, 2 months, 2022-09 to 2022-10"
    asked = hotspot_input.points_from_layer(str(crimes_gpkg), months="2022-08,2022-09,2022-10")
    out = hl.run_grid(asked, tmp_path / "grid.gpkg", cell_size_m=500.0)
    assert "(all crimes, 2 months, 2022-09 to 2022-10)" in out.title
    assert "(all crimes, 2 months, 2022-09 to 2022-10)" in out.legend_text
    assert "3 months" not in out.title + out.legend_text
    assert any("no crimes at all in 2022-08" in note for note in out.notes), out.notes


def test_a_loaded_month_without_crimes_of_the_category_is_said(no_september_robbery, tmp_path):
    robbery = hotspot_input.points_from_layer(str(no_september_robbery), category="Robbery")
    assert len(robbery) == _located(no_september_robbery, "2022-10", "Robbery") > 0
    words = "Robbery, 2 months, 2022-09 to 2022-10; crimes in 1 of them, none in 2022-09"
    assert robbery.subject() == words
    out = hl.run_gi(robbery, tmp_path / "gi.gpkg", cell_size_m=1000.0)
    assert f"({words})" in out.title and f"({words})" in out.legend_text


def test_a_loaded_month_without_crimes_counts_in_the_change_baseline(
    no_september_robbery, tmp_path
):
    """September was loaded, so its zero robberies are the baseline: the mean per month
    divides by it. A month the layer does not hold is still refused."""
    from crime_mapper.qgis_bridge.hotspot_task import HotspotSettings, run_hotspot

    settings = HotspotSettings(
        method="change", cell_size_m=1000.0, category="Robbery", current_months=["2022-10"]
    )
    out = run_hotspot(str(no_september_robbery), str(tmp_path / "change.gpkg"), settings)
    assert out.facts["baseline"] == ["2022-09"] and out.facts["baseline_crimes"] == 0
    assert out.crimes == _located(no_september_robbery, "2022-10", "Robbery")
    assert "than usual in 2022-09, with no crimes." in out.legend_text
    assert "mean of the previous 1 month," in out.legend_text
    layer = QgsVectorLayer(out.uri, "change", "ogr")
    assert {f["baseline_mean"] for f in layer.getFeatures()} == {0.0}
    settings.baseline_months = ["2022-08", "2022-09"]
    with pytest.raises(HotspotInputError, match="2022-08 has no crimes with a location; is"):
        run_hotspot(str(no_september_robbery), str(tmp_path / "refused.gpkg"), settings)


def test_a_month_not_loaded_is_neither_counted_nor_hidden(august_missing, tmp_path):
    from crime_mapper.qgis_bridge.hotspot_task import HotspotSettings, run_hotspot

    points = hotspot_input.points_from_layer(str(august_missing))
    assert points.subject() == "all crimes, 3 months, 2022-07 to 2022-10 except 2022-08"
    settings = HotspotSettings(method="change", cell_size_m=1000.0, current_months=["2022-10"])
    out = run_hotspot(str(august_missing), str(tmp_path / "change.gpkg"), settings)
    assert out.facts["baseline"] == ["2022-07", "2022-09"]
    assert "than usual in 2 months, 2022-07 to 2022-09 except 2022-08." in out.legend_text
    assert "mean of the previous 2 months," in out.legend_text
    # the rate per month divides by the 2 months loaded, not the 3 calendar months
    layer = QgsVectorLayer(out.uri, "change", "ogr")
    baseline = _located(august_missing, "2022-07") + _located(august_missing, "2022-09")
    assert sum(f["baseline_mean"] for f in layer.getFeatures()) == pytest.approx(baseline / 2)


# --- writing -----------------------------------------------------------------------------------


def test_polygon_geopackage_is_valid_and_indexed(crimes_gpkg, tmp_path):
    points = hotspot_input.points_from_layer(str(crimes_gpkg))
    out = hl.run_grid(points, tmp_path / "grid.gpkg", cell_size_m=400.0)
    assert _gdal_messages(out.path) == []
    with sqlite3.connect(out.path) as conn:
        assert conn.execute("SELECT rtreecheck('rtree_hotspots_geom')").fetchone()[0] == "ok"
        total = conn.execute("SELECT sum(count) FROM hotspots").fetchone()[0]
        srs = conn.execute("SELECT srs_id FROM gpkg_geometry_columns").fetchone()[0]
    assert total == len(points) and srs == 27700
    layer = QgsVectorLayer(out.uri, "g", "ogr")
    assert layer.crs().authid() == "EPSG:27700" and layer.featureCount() == out.cells
    # each hexagon holds exactly the crimes whose cell it is
    grid = HexGrid(400.0, "EPSG:27700")
    q, r = hex_cells(points.x, points.y, grid)
    feature = next(f for f in layer.getFeatures() if f["count"] > 10)
    assert np.count_nonzero((q == feature["q"]) & (r == feature["r"])) == feature["count"]
    area = feature.geometry().area()
    assert area == pytest.approx(grid.cell_area_m2, rel=1e-9)
    # issue 11: the stored legend names whole-number classes that do not overlap, and every
    # cell's count lies in the class its legend names
    styled = QgsVectorLayer(out.uri, "g", "ogr")  # the GeoPackage's default style
    ranges = styled.renderer().ranges()
    labels = [r.label() for r in ranges]
    assert all(" to 1 " not in f" {x} " for x in labels), labels
    bounds = [tuple(int(v.replace(",", "")) for v in x.split()[0::2][:2]) for x in labels]
    spans = [(b[0], b[-1]) for b in bounds]
    assert all(spans[i + 1][0] == spans[i][1] + 1 for i in range(len(spans) - 1)), labels
    for f in styled.getFeatures():
        (index,) = [
            i for i, r in enumerate(ranges) if r.lowerValue() <= f["count"] <= r.upperValue()
        ]
        assert spans[index][0] <= f["count"] <= spans[index][1]


def test_kde_geotiff_has_crs_geotransform_compression_and_no_unused_nodata(crimes_gpkg, tmp_path):
    points = hotspot_input.points_from_layer(str(crimes_gpkg), months="2022-10")
    out = hl.run_kde(points, tmp_path / "kde.tif", cell_m=50.0, bandwidth_m=300.0)
    ds = gdal.Open(str(out.path))
    assert ds.GetGeoTransform()[1] == 50.0 and ds.GetGeoTransform()[5] == -50.0
    assert "British National Grid" in ds.GetProjection()
    assert ds.GetMetadata("IMAGE_STRUCTURE").get("COMPRESSION") == "LZW"
    band = ds.GetRasterBand(1)
    # issue 11: every pixel is analysed, so no nodata value is declared (it was, unused)
    assert band.GetNoDataValue() is None
    data = band.ReadAsArray()
    # the surface integrates to the number of crimes: sum(density per km²) x cell area in km²
    assert data.sum() * (0.05 * 0.05) == pytest.approx(len(points), rel=0.02)
    ds = None
    assert out.facts["bandwidth_m"] == 300.0
    assert "radius 300 m, the bandwidth, set by the user" in out.legend_text
    assert "Bandwidth 300 m" not in out.legend_text  # said once, not twice (issue 11)
    assert out.facts["method"] in ("exact", "linear") and out.facts["left_out"] == 0
    assert (tmp_path / "kde.qml").is_file()  # default style beside the raster


# --- Processing --------------------------------------------------------------------------------


def _run(alg: str, params: dict) -> dict:
    import processing

    return processing.run(f"crime_mapper:{alg}", params)


def test_algorithms_are_registered_with_help(provider):
    for alg in ("hotspots_grid", "hotspots_kde", "hotspots_gi", "hotspots_change"):
        algorithm = QgsApplication.processingRegistry().algorithmById(f"crime_mapper:{alg}")
        assert algorithm is not None, alg
        assert algorithm.group() == "4. Hotspots"
        assert len(algorithm.shortHelpString()) > 800
        names = {p.name() for p in algorithm.parameterDefinitions()}
        assert {"INPUT", "CELL_SIZE", "CATEGORY", "MAX_CELLS", "OUTPUT"} <= names
    gi = QgsApplication.processingRegistry().algorithmById("crime_mapper:hotspots_gi")
    assert "FDR" in {p.name() for p in gi.parameterDefinitions()}
    category = gi.parameterDefinition("CATEGORY")
    assert category.options()[0] == "All" and len(category.options()) == 15


@pytest.mark.parametrize(
    "alg, params, says",
    [
        ("hotspots_grid", {"MAX_CELLS": "nan"}, "MAX_CELLS must be a whole number"),
        ("hotspots_gi", {"MAX_CELLS": "1e308"}, "MAX_CELLS must be a whole number"),
        ("hotspots_grid", {"MAX_CELLS": 2.5}, "MAX_CELLS must be a whole number .* not 2.5"),
        ("hotspots_kde", {"BANDWIDTH": 1e308}, "bandwidth must be a positive number of metres"),
        ("hotspots_kde", {"EXTENT": "0,1e308,0,1e308"}, "is not four coordinates in metres"),
        ("hotspots_kde", {"EXTENT": "nan,nan,nan,nan"}, "EXTENT 'nan,nan,nan,nan' is not an"),
        ("hotspots_kde", {"EXTENT": "5,5,1,9"}, "is not an area"),
    ],
    ids=[
        "nan cells",
        "huge cells",
        "half a cell",
        "huge bandwidth",
        "huge extent",
        "nan extent",
        "empty extent",
    ],  # fmt: skip
)
def test_hostile_numbers_are_refused_naming_the_parameter(
    provider, crimes_gpkg, tmp_path, alg, params, says
):
    """parameterAsInt read nan and 1e308 as -2,147,483,648 (a ZeroDivisionError or "math
    domain error" traceback) and rounded 2.5 to 3; 1e308 metres overflowed the density
    grid's arithmetic (OverflowError tracebacks)."""
    from qgis.core import QgsProcessingException

    base = {"INPUT": gpkg_uri(crimes_gpkg, CRIMES_TABLE), "CELL_SIZE": 250}
    out = tmp_path / ("out.tif" if alg == "hotspots_kde" else "out.gpkg")
    with pytest.raises(QgsProcessingException, match=says):
        _run(alg, {**base, **params, "OUTPUT": str(out)})
    assert not out.exists()


def test_processing_grid(provider, crimes_gpkg, tmp_path):
    result = _run(
        "hotspots_grid",
        {
            "INPUT": gpkg_uri(crimes_gpkg, CRIMES_TABLE),
            "CELL_SIZE": 300,
            "CATEGORY": 0,
            "MONTHS": "2022-09",
            "OUTPUT": str(tmp_path / "grid.gpkg"),
        },
    )
    assert result["CRIMES"] == LOCATED["2022-09"]
    layer = QgsVectorLayer(result["OUTPUT"], "grid", "ogr")  # default style from the file
    assert layer.featureCount() == result["CELLS"]
    assert layer.renderer().type() == "graduatedSymbol"
    labels = [r.label() for r in layer.renderer().ranges()]
    assert len(labels) == 5 and all(label.endswith(" crimes") for label in labels)
    # the explanation travels in the stored style (custom property); the abstract is set
    # when crime_mapper adds the layer (see test_results_load_into_the_project_styled)
    assert "300 m hexagons" in hotspot_style.legend_text(
        layer
    ) and "2022-09" in hotspot_style.legend_text(layer)


def test_processing_gi_with_fdr(provider, crimes_gpkg, tmp_path):
    result = _run(
        "hotspots_gi",
        {
            "INPUT": gpkg_uri(crimes_gpkg, CRIMES_TABLE),
            "CELL_SIZE": 250,
            "FDR": True,
            "OUTPUT": str(tmp_path / "gi.gpkg"),
        },
    )
    layer = QgsVectorLayer(result["OUTPUT"], "gi", "ogr")
    renderer = layer.renderer()
    assert renderer.type() == "categorizedSymbol" and renderer.classAttribute() == "gi_class"
    assert [c.label() for c in renderer.categories()] == [c.label for c in palette.GI_CLASSES]
    assert [c.symbol().color().name() for c in renderer.categories()] == [
        c.colour for c in palette.GI_CLASSES
    ]
    text = hotspot_style.legend_text(layer)
    assert text.startswith("Getis-Ord Gi* on 250 m hexagons")
    assert "90/95/99% confidence" in text and "correction on" in text
    values = {f["gi_class"]: f["class_label"] for f in layer.getFeatures()}
    assert 3 in values and values[3] == "Hot spot, 99% confidence"  # Leicester centre
    for feature in layer.getFeatures():
        assert -3 <= feature["gi_class"] <= 3 and 0.0 <= feature["p"] <= 1.0
        assert (feature["gi_class"] > 0) == (feature["z"] > 0 and feature["gi_class"] != 0)
    # issue 11: both p-values are stored; the classes come from the adjusted one, and the
    # legend says so. Benjamini-Hochberg computed here independently of core.hotspots.fdr.
    features = list(layer.getFeatures())
    raw = np.array([f["p"] for f in features])
    stored = np.array([f["p_adjusted"] for f in features])
    order = np.argsort(raw)
    scaled = raw[order] * raw.size / np.arange(1, raw.size + 1)
    expected = np.empty_like(raw)
    expected[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    np.testing.assert_allclose(stored, expected, rtol=1e-12)
    level = np.select([stored <= 0.01, stored <= 0.05, stored <= 0.10], [3, 2, 1], 0)
    assert (np.abs([f["gi_class"] for f in features]) == level).all()
    assert (raw <= 0.10).sum() > (stored <= 0.10).sum()  # FDR made a difference here
    assert "FDR-adjusted p-value (field p_adjusted)" in text


def test_processing_kde(provider, crimes_gpkg, tmp_path):
    result = _run(
        "hotspots_kde",
        {
            "INPUT": gpkg_uri(crimes_gpkg, CRIMES_TABLE),
            "CELL_SIZE": 50,
            "BANDWIDTH": 0,
            "CATEGORY": 0,
            "OUTPUT": str(tmp_path / "kde.tif"),
        },
    )
    layer = QgsRasterLayer(result["OUTPUT"], "kde", "gdal")  # .qml beside = default style
    assert layer.isValid() and layer.renderer().type() == "singlebandpseudocolor"
    items = layer.renderer().shader().rasterShaderFunction().colorRampItemList()
    assert items[0].color.alpha() == 0 and items[0].value == 0.0
    assert all(item.label.endswith("crimes per km²") for item in items)
    assert "Silverman" in result["LEGEND"] and "crimes per km²" in result["LEGEND"]
    assert hotspot_style.legend_text(layer) == result["LEGEND"]


def test_processing_kde_maps_the_extent_given(provider, crimes_gpkg, tmp_path):
    """EXTENT fixes the area (here a 6 x 4 km box of Leicester given in British National
    Grid, while the layer is in WGS84): the raster is exactly that box, and crimes outside it
    are left out and counted in the explanation."""
    result = _run(
        "hotspots_kde",
        {
            "INPUT": gpkg_uri(crimes_gpkg, CRIMES_TABLE),
            "CELL_SIZE": 100,
            "BANDWIDTH": 500,
            "CATEGORY": 0,
            "EXTENT": "456000,462000,302000,306000 [EPSG:27700]",
            "OUTPUT": str(tmp_path / "kde_box.tif"),
        },
    )
    ds = gdal.Open(result["OUTPUT"])
    assert ds.GetGeoTransform() == (456000.0, 100.0, 0.0, 306000.0, 0.0, -100.0)
    assert (ds.RasterXSize, ds.RasterYSize) == (60, 40)
    ds = None
    assert "the extent given" in result["LEGEND"] and "outside it were left out" in result["LEGEND"]


def test_processing_change(provider, crimes_gpkg, tmp_path):
    result = _run(
        "hotspots_change",
        {
            "INPUT": gpkg_uri(crimes_gpkg, CRIMES_TABLE),
            "CELL_SIZE": 500,
            "CURRENT_MONTH": "2022-10",
            "BASELINE_MONTHS": "2022-09",
            "FDR": False,
            "OUTPUT": str(tmp_path / "change.gpkg"),
        },
    )
    layer = QgsVectorLayer(result["OUTPUT"], "change", "ogr")
    assert layer.renderer().classAttribute() == "change_class"
    assert [c.label() for c in layer.renderer().categories()] == [
        c.label for c in palette.CHANGE_CLASSES
    ]
    assert "Poisson" in hotspot_style.legend_text(layer) and "2022-09" in hotspot_style.legend_text(
        layer
    )
    totals = [(f["current"], f["baseline_mean"]) for f in layer.getFeatures()]
    assert sum(c for c, _ in totals) == LOCATED["2022-10"]
    assert sum(b for _, b in totals) == pytest.approx(LOCATED["2022-09"])
    # issue 11: CRIMES is the current month's, not every month read; the baseline's apart
    assert result["CRIMES"] == LOCATED["2022-10"]
    assert result["BASELINE_CRIMES"] == LOCATED["2022-09"]
    # FDR off: the classes use p; p_adjusted is stored empty, and the legend says which
    assert all(f["p_adjusted"] == NULL for f in layer.getFeatures())
    assert "unadjusted p-value (field p" in hotspot_style.legend_text(layer)


def test_processing_bad_inputs_are_clear_errors(provider, crimes_gpkg, tmp_path):
    from qgis.core import QgsProcessingException

    uri = gpkg_uri(crimes_gpkg, CRIMES_TABLE)
    with pytest.raises(QgsProcessingException, match="maximum"):
        _run(
            "hotspots_gi",
            {"INPUT": uri, "CELL_SIZE": 10, "MAX_CELLS": 1000, "OUTPUT": str(tmp_path / "a.gpkg")},
        )
    with pytest.raises(QgsProcessingException, match="holds 2022-09 to 2022-10"):
        _run(
            "hotspots_grid", {"INPUT": uri, "MONTHS": "2020-01", "OUTPUT": str(tmp_path / "b.gpkg")}
        )
    with pytest.raises(QgsProcessingException, match="no baseline months before 2022-09"):
        _run(
            "hotspots_change",
            {"INPUT": uri, "CURRENT_MONTH": "2022-09", "OUTPUT": str(tmp_path / "c.gpkg")},
        )
    assert not list(tmp_path.glob("*.gpkg"))


def test_results_load_into_the_project_styled(provider, crimes_gpkg, qgis_new_project, tmp_path):
    import processing

    processing.runAndLoadResults(
        "crime_mapper:hotspots_gi",
        {
            "INPUT": gpkg_uri(crimes_gpkg, CRIMES_TABLE),
            "CELL_SIZE": 500,
            "OUTPUT": str(tmp_path / "gi.gpkg"),
        },
    )
    layers = list(QgsProject.instance().mapLayers().values())
    gi = [layer for layer in layers if layer.name().startswith("Gi* hotspots, 500 m")]
    assert len(gi) == 1
    assert gi[0].renderer().type() == "categorizedSymbol"
    assert "Getis-Ord" in layer_abstract(gi[0])


def _legend_texts(model, layer) -> list[str]:
    node = QgsProject.instance().layerTreeRoot().findLayer(layer.id())
    return [str(legend_node.data(0)) for legend_node in model.layerLegendNodes(node)]


def _assert_plain_density_legend(texts: list[str]) -> None:
    # issue 14: not the generic "Band 1: crimes per km2 (Gray)" with a bare colour bar
    assert texts[0] == hotspot_style.DENSITY_LEGEND_HEADING, texts
    assert len(texts) == 7 and all(text.endswith("crimes per km²") for text in texts[1:]), texts
    assert not any("Band" in text or "Gray" in text for text in texts), texts


def test_processing_density_surface_has_the_plain_words_legend(
    provider, crimes_gpkg, qgis_new_project, tmp_path
):
    import processing
    from qgis.core import QgsLayerTreeModel

    model = QgsLayerTreeModel(QgsProject.instance().layerTreeRoot())  # as the layers panel
    processing.runAndLoadResults(
        "crime_mapper:hotspots_kde",
        {
            "INPUT": gpkg_uri(crimes_gpkg, CRIMES_TABLE),
            "CELL_SIZE": 100,
            "OUTPUT": str(tmp_path / "kde.tif"),
        },
    )
    (layer,) = QgsProject.instance().mapLayers().values()
    assert layer.name().startswith("Crime density, 100 m cells")
    assert layer.renderer().type() == "singlebandpseudocolor"
    _assert_plain_density_legend(_legend_texts(model, layer))


def test_dock_density_surface_has_the_same_legend(crimes_gpkg, qgis_new_project, tmp_path):
    from qgis.core import QgsLayerTreeModel

    from crime_mapper.qgis_bridge.hotspot_task import HotspotSettings, run_hotspot

    model = QgsLayerTreeModel(QgsProject.instance().layerTreeRoot())
    crimes = QgsVectorLayer(gpkg_uri(crimes_gpkg, CRIMES_TABLE), "crimes", "ogr")
    settings = HotspotSettings(method="kde", cell_size_m=100, category=None, months=[])
    outputs = run_hotspot(crimes, str(tmp_path / "kde.tif"), settings, None)
    layer = hotspot_style.add_hotspot_to_project(outputs)
    _assert_plain_density_legend(_legend_texts(model, layer))


# --- publishing --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def release():
    """A real release of the October month: police.uk's own file is not one (its Crime IDs
    are the raw references here, which the gate rightly refuses), the anonymiser's is."""
    from crime_mapper.core.load.loader import load_extracts
    from crime_mapper.core.release.anonymise import anonymise
    from crime_mapper.core.release.map_points import map_points_from_history

    raw = load_extracts([LEICS_OCT]).crimes
    points = map_points_from_history(raw)
    public = anonymise(raw, points, salt=b"hotspot publishing test salt").public
    return public, raw, points


def test_publish_refuses_the_internal_table(qgis_app, release, tmp_path):
    _public, raw, points = release
    with pytest.raises(hotspot_publish.PublishError, match="public release table"):
        hotspot_publish.publish_hotspot_grid(raw, raw, points, tmp_path / "grid.gpkg")
    with pytest.raises(hotspot_publish.PublishError):
        hotspot_publish.publish_hotspot_grid(raw.to_dict(), raw, points, tmp_path / "grid.gpkg")
    assert not list(tmp_path.iterdir())


def test_publish_from_the_public_release_passes_the_gate(qgis_app, release, tmp_path):
    from crime_mapper.core.gate.leak_gate import check_release

    public, raw, points = release
    path = hotspot_publish.publish_hotspot_grid(
        public, raw, points, tmp_path / "grid.gpkg", cell_size_m=500.0, method="gi"
    )
    layer = QgsVectorLayer(gpkg_uri(path, hl.GRID_TABLE), "public", "ogr")
    assert layer.crs().authid() == "EPSG:4326"
    located = int((public["Longitude"] != "").sum())
    assert sum(f["count"] for f in layer.getFeatures()) == located
    assert {f.name() for f in layer.fields()} == {"fid", "count", "gi_class", "class_label"}
    # the gate really looks at the vertices: without them as allowed coordinates it fails
    report = check_release(raw, path, points)
    assert not report.passed
    failed = {c.name for c in report.checks if not c.passed}
    assert "coordinates_are_map_points" in failed


def test_publish_refuses_a_release_edited_off_its_map_points(qgis_app, release, tmp_path):
    """The grid file holds only hexagon corners, so a crime moved off its map point in an
    edited release could never be seen in it: the release itself is gated first."""
    from crime_mapper.core.gate.leak_gate import LeakError

    public, raw, points = release
    edited = public.copy()
    row = int((edited["Longitude"] != "").to_numpy().argmax())
    edited.loc[row, "Longitude"] = f"{float(edited.loc[row, 'Longitude']) + 0.0007:.6f}"
    earlier = hotspot_publish.publish_hotspot_grid(public, raw, points, tmp_path / "grid.gpkg")
    before = earlier.read_bytes()
    with pytest.raises(LeakError, match="coordinates_are_map_points"):
        hotspot_publish.publish_hotspot_grid(edited, raw, points, tmp_path / "grid.gpkg")
    assert (tmp_path / "grid.gpkg").read_bytes() == before
