"""The QGIS-layer adapter gives the same neighbourhoods as the GeoJSON reader (real MSOA
outlines, real QGIS OGR layer) and repairs an invalid polygon with GEOS."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest
from qgis.core import QgsFeature, QgsField, QgsGeometry, QgsVectorLayer

from crime_mapper.compat import FIELD_INT, FIELD_STRING
from crime_mapper.core.publish import neighbourhoods as nb
from crime_mapper.qgis_bridge.neighbourhood_layer import neighbourhoods_from_layer
from tests.support.neighbourhood_data import SAMPLE


def test_layer_matches_geojson(qgis_app):
    path = SAMPLE / "neighbourhoods" / "msoa11_leicestershire.geojson"
    layer = QgsVectorLayer(str(path), "msoa", "ogr")
    assert layer.isValid()
    from_layer = neighbourhoods_from_layer(layer, "msoa11cd")
    from_file = nb.read_geojson(path, "msoa11cd")
    assert from_layer.codes == from_file.codes
    street = pd.read_csv(
        SAMPLE / "police-uk/2022-10/2022-10-leicestershire-street.csv",
        dtype=str,
        keep_default_na=False,
    )
    a = nb.assign_crimes(street, nb.build_neighbourhoods(from_layer)).index
    b = nb.assign_crimes(street, nb.build_neighbourhoods(from_file)).index
    np.testing.assert_array_equal(a, b)


def test_invalid_polygon_repaired_and_reported(qgis_app):
    layer = QgsVectorLayer("Polygon?crs=EPSG:4326", "bad", "memory")
    provider = layer.dataProvider()
    provider.addAttributes([QgsField("code", FIELD_STRING), QgsField("pop", FIELD_INT)])
    layer.updateFields()
    feature = QgsFeature(layer.fields())
    feature.setGeometry(QgsGeometry.fromWkt("POLYGON((0 0, 1 1, 1 0, 0 1, 0 0))"))  # bow-tie
    feature.setAttributes(["X", None])
    provider.addFeatures([feature])
    hoods = neighbourhoods_from_layer(layer, "code", population_field="pop")
    assert any("MakeValid" in p for p in hoods.problems)
    assert np.isnan(hoods.population[0])
    got = nb.points_in_neighbourhoods(np.array([0.2, 0.5]), np.array([0.5, 0.2]), hoods)
    assert list(got) == [0, nb.OUTSIDE]  # a lobe is inside; between the lobes is not


def test_a_feature_without_geometry_is_reported_as_from_geojson(qgis_app, tmp_path):
    """A layer's feature with a code but no geometry became a neighbourhood no crime could
    be counted in (a page of zeros), without a word; the same feature in a GeoJSON file is
    reported."""
    import json

    layer = QgsVectorLayer("Polygon?crs=EPSG:4326&field=code:string", "hoods", "memory")
    features = []
    for code, wkt in (("A", None), ("B", "POLYGON((-1.2 52.6, -1.1 52.6, -1.1 52.7, -1.2 52.6))")):
        feature = QgsFeature(layer.fields())
        if wkt:
            feature.setGeometry(QgsGeometry.fromWkt(wkt))
        feature.setAttributes([code])
        features.append(feature)
    assert layer.dataProvider().addFeatures(features)[0]
    path = tmp_path / "hoods.geojson"
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"code": "A"}, "geometry": None},
            {"type": "Feature", "properties": {"code": "B"}, "geometry": {
                "type": "Polygon",
                "coordinates": [[[-1.2, 52.6], [-1.1, 52.6], [-1.1, 52.7], [-1.2, 52.6]]]}},
        ]}),
        encoding="utf-8",
    )  # fmt: skip
    from_layer = neighbourhoods_from_layer(layer, "code")
    from_file = nb.read_geojson(path, "code")
    assert "feature 1 (A): no geometry" in from_layer.problems
    assert [p for p in from_layer.problems if "geometry" in p] == [
        p for p in from_file.problems if "geometry" in p
    ]


def _coded_layer(field: str, values: list) -> QgsVectorLayer:
    """A memory layer of one small square per value, coded by the field ``field``."""
    layer = QgsVectorLayer(f"Polygon?crs=EPSG:4326&field=code:{field}", "coded", "memory")
    features = []
    for i, value in enumerate(values):
        feature = QgsFeature(layer.fields())
        x = -1.1 + i * 0.02
        feature.setGeometry(
            QgsGeometry.fromWkt(f"POLYGON(({x} 52.6,{x + 0.01} 52.6,{x + 0.01} 52.61,{x} 52.6))")
        )
        feature.setAttributes([value])
        features.append(feature)
    assert layer.dataProvider().addFeatures(features)
    return layer


def test_a_date_code_is_read_as_its_iso_text_not_a_qt_repr(qgis_app):
    """The codes (and names) went onto the pages as "PyQt5.QtCore.QDate(2022, 1, 1)"."""
    from qgis.PyQt.QtCore import QDate, QDateTime

    dates = neighbourhoods_from_layer(_coded_layer("date", [QDate(2022, 1, 1)]), "code")
    assert dates.codes == dates.names == ["2022-01-01"]
    day = QDateTime(QDate(2022, 1, 2))
    assert neighbourhoods_from_layer(_coded_layer("datetime", [day]), "code").codes == [
        "2022-01-02T00:00:00"
    ]


def test_a_true_false_or_binary_code_is_reported_not_published(qgis_app):
    """``str()`` of one went onto the pages as "True" or "PyQt5.QtCore.QByteArray(...)"."""
    from qgis.PyQt.QtCore import QByteArray

    flags = neighbourhoods_from_layer(_coded_layer("boolean", [True, "x"]), "code")
    assert flags.codes == [] and any("true/false, not text" in p for p in flags.problems)
    blobs = neighbourhoods_from_layer(_coded_layer("binary", [QByteArray(b"E02\x00")]), "code")
    assert blobs.codes == [] and any("binary data, not text" in p for p in blobs.problems)


def _ogr_outlines(path, srs, wkt: str = "POLYGON((10 10, 20 10, 20 20, 10 10))") -> QgsVectorLayer:
    """A real OGR file (shapefile or GeoPackage, by the name) of one coded square, written
    by GDAL with the spatial reference ``srs`` (None: none)."""
    from osgeo import ogr

    driver = ogr.GetDriverByName("GPKG" if path.suffix == ".gpkg" else "ESRI Shapefile")
    source = driver.CreateDataSource(str(path))
    table = source.CreateLayer("hoods", srs, ogr.wkbPolygon)
    table.CreateField(ogr.FieldDefn("code", ogr.OFTString))
    feature = ogr.Feature(table.GetLayerDefn())
    feature.SetField("code", "E02000001")
    feature.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
    table.CreateFeature(feature)
    source = None  # closed: written
    layer = QgsVectorLayer(str(path), "Beats; 2022", "ogr")
    assert layer.isValid()
    return layer


def test_a_layer_with_no_crs_is_refused_naming_it(qgis_app, tmp_path):
    """A shapefile without its .prj, or a GeoPackage in its "undefined" SRS, was read as if
    its numbers were longitude and latitude: a square at (10, 10) became a neighbourhood in
    the Sahara without a word, and outlines in metres were called a damaged file."""
    from osgeo import osr

    no_prj = _ogr_outlines(tmp_path / "beats.shp", None)
    assert not no_prj.crs().isValid()
    with pytest.raises(nb.NeighbourhoodError, match=r"layer Beats; 2022 has no coordinate ref"):
        neighbourhoods_from_layer(no_prj, "code")
    in_metres = _ogr_outlines(
        tmp_path / "metres.shp",
        None,
        "POLYGON((450000 300000, 451000 300000, 451000 301000, 450000 300000))",
    )
    with pytest.raises(nb.NeighbourhoodError, match="cannot be placed on the map"):
        neighbourhoods_from_layer(in_metres, "code")

    undefined = tmp_path / "beats.gpkg"
    _ogr_outlines(undefined, None)
    for srs_id, name in ((0, "Undefined geographic SRS"), (-1, "Undefined Cartesian SRS")):
        with sqlite3.connect(undefined) as db:
            db.execute("UPDATE gpkg_geometry_columns SET srs_id = ?", (srs_id,))
            db.execute("UPDATE gpkg_contents SET srs_id = ?", (srs_id,))
        db.close()
        layer = QgsVectorLayer(str(undefined), "Beats; 2022", "ogr")
        assert layer.crs().isValid() and not layer.crs().authid()  # GDAL's "valid" CRS
        with pytest.raises(nb.NeighbourhoodError, match=rf"undefined coordinate .*\({name}\)"):
            neighbourhoods_from_layer(layer, "code")

    wgs84 = osr.SpatialReference()
    wgs84.ImportFromEPSG(4326)
    square = "POLYGON((-1.2 52.6, -1.1 52.6, -1.1 52.7, -1.2 52.6))"
    placed = _ogr_outlines(tmp_path / "placed.gpkg", wgs84, square)
    assert neighbourhoods_from_layer(placed, "code").codes == ["E02000001"]
