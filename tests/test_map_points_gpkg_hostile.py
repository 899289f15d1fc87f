"""A map points GeoPackage that is damaged or hand-edited: each is refused with a
MapPointsError that says why, or read with every odd value handled, never a sqlite3, int()
or numpy traceback; and layer names holding quotes are written and read as any other.

Real files: map points made from a real police.uk month, written by the product's own
GeoPackage writer, then changed with SQL (the GeoPackage's triggers dropped first, as a
tool without SpatiaLite would) or by overwriting bytes."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from crime_mapper.core.io import gpkg_write
from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.release.map_points import (
    MapPointsError,
    address_counts,
    map_points_from_history,
)
from crime_mapper.core.release.map_points_files import (
    map_points_table,
    read_map_points_file,
    text_value,
    write_map_points_gpkg,
)
from tests.support.gpkg_edits import edited_gpkg

MONTH = Path(__file__).resolve().parents[1] / "sample_data" / "police-uk" / "2022-09"


@pytest.fixture(scope="module")
def points():
    crimes = load_extracts([str(MONTH / "2022-09-leicestershire-street.csv")]).crimes
    return map_points_from_history(crimes.head(400))


@pytest.fixture(scope="module")
def written(points, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("points") / "map_points.gpkg"
    write_map_points_gpkg(points, path)
    return path


@pytest.mark.parametrize(
    "sql, reason",
    [
        ("UPDATE gpkg_geometry_columns SET srs_id = 'abc'", "not in WGS84"),
        ("UPDATE gpkg_geometry_columns SET column_name = 'ge\"om'", "has no column"),
        ("UPDATE map_points SET geom = 5 WHERE fid = 3", "missing or non-numeric coordinates"),
        (
            "UPDATE map_points SET geom = 'x' || printf('%.*c', 40, 'y') WHERE fid = 3",
            "missing or non-numeric coordinates",
        ),
        ("DROP TABLE gpkg_geometry_columns", "cannot be read as a GeoPackage"),
        ("ALTER TABLE map_points RENAME COLUMN label TO lbl", "no 'label' field"),
        ("DELETE FROM map_points", "is empty"),
        # text stored as a BLOB, valid UTF-8 or not: str() published its Python repr
        (
            "UPDATE map_points SET label = X'C3284142FF' WHERE fid % 7 = 0",
            "'label' field holds binary",
        ),
        (
            "UPDATE map_points SET lsoa_name = CAST('Leicester 001A' AS BLOB)",
            "'lsoa_name' field holds binary",
        ),
    ],
)
def test_a_damaged_table_is_refused_with_the_reason(written, tmp_path, sql, reason):
    with pytest.raises(MapPointsError, match=reason):
        read_map_points_file(edited_gpkg(written, tmp_path, sql))


def test_a_null_address_count_reads_as_unknown(written, tmp_path, points):
    edited = edited_gpkg(written, tmp_path, "UPDATE map_points SET addresses = NULL WHERE fid = 3")
    read = read_map_points_file(edited)
    assert len(read) == len(points)
    assert read.addresses[2] == -1
    assert np.array_equal(np.delete(read.addresses, 2), np.delete(points.addresses, 2))


@pytest.mark.parametrize(
    "value, shown",
    [
        ("-1e308", "'-1e+308'"),
        ("1e308", "'1e+308'"),
        ("'many'", "'many'"),
        ("X'00FF'", "b'"),
        ("2.7", "'2.7'"),  # int() read it as 2
        ("'8.5'", "'8.5'"),  # read as unknown
        ("-5", "'-5'"),  # neither a count nor -1, unknown
    ],
)
def test_an_address_count_that_is_no_count_is_refused_naming_its_row(
    written, tmp_path, value, shown
):
    """README (GeoPackages): a value its column cannot hold is refused naming the column,
    never read as NULL or 0. A count of 2.7 was read as 2 and "many" or 1e308 as unknown,
    without a word; the count decides the disclosure check."""
    edited = edited_gpkg(
        written, tmp_path, f"UPDATE map_points SET addresses = {value} WHERE fid = 3"
    )
    with pytest.raises(MapPointsError, match=r"'map_points' layer: row 3: the address count") as e:
        read_map_points_file(edited)
    assert shown in str(e.value)


def test_an_address_field_of_true_false_is_refused(written, tmp_path):
    """A QGIS boolean field stores true as 1: read as a catchment of one address."""
    edited = edited_gpkg(
        written,
        tmp_path,
        "ALTER TABLE map_points RENAME COLUMN addresses TO old;"
        "ALTER TABLE map_points ADD COLUMN addresses BOOLEAN;"
        "UPDATE map_points SET addresses = 1;",
    )
    with pytest.raises(MapPointsError, match="'addresses' field holds true/false"):
        read_map_points_file(edited)


@pytest.mark.parametrize("value", ["''", "NULL"])
def test_a_blank_source_reads_as_layer(written, tmp_path, value):
    """A blank source is the strictest provenance, as a missing column or a QGIS layer's
    blank: it was kept blank, and the unknown catchments check passed it by."""
    edited = edited_gpkg(written, tmp_path, f"UPDATE map_points SET source = {value} WHERE fid = 2")
    read = read_map_points_file(edited)
    assert read.source[1] == "layer" and read.source[0] == "police.uk history"


def test_a_source_that_is_no_source_is_refused(written, tmp_path):
    edited = edited_gpkg(written, tmp_path, "UPDATE map_points SET source = 'Roads' WHERE fid = 2")
    with pytest.raises(MapPointsError, match="the source 'Roads' is no map points source"):
        read_map_points_file(edited)


def test_text_value_refuses_binary_data():
    """A QGIS layer's binary field (a QByteArray) or a BLOB is no text to publish."""
    from qgis.PyQt.QtCore import QByteArray

    for value in (b"Main Street", bytearray(b"x"), memoryview(b"x"), QByteArray(b"x")):
        with pytest.raises(MapPointsError, match="binary data"):
            text_value(value)
    assert text_value(None) == "" and text_value("Main Street") == "Main Street"


def test_address_counts_keep_what_a_64_bit_integer_holds_and_refuse_the_rest():
    big = 9_000_000_000_000_000_000
    assert address_counts(np.array([big, -1, 0], dtype=object)).tolist() == [big, -1, 0]
    assert address_counts(["12", " 8 ", "8.0", "1e3", None, "", 7.0]).tolist() == [
        12, 8, 8, 1000, -1, -1, 7
    ]  # fmt: skip
    for bad in (2**63, float("inf"), float("nan"), 2.7, True, False, "true", "٨", "−1", -2, [1]):
        with pytest.raises(MapPointsError, match="row 2: the address count"):
            address_counts(np.array([1, bad], dtype=object))


def test_text_value_reads_dates_as_iso_and_refuses_what_is_no_text():
    """A QGIS date field as an LSOA code published "PyQt5.QtCore.QDate(2022, 1, 1)"."""
    from qgis.PyQt.QtCore import QDate, QDateTime, QTime

    assert text_value(QDate(2022, 1, 1)) == "2022-01-01"
    assert text_value(QDateTime(QDate(2022, 1, 1), QTime(9, 5))) == "2022-01-01T09:05:00"
    assert text_value(12) == "12" and text_value(1.5) == "1.5"
    for value in (True, ["a", "b"], {"a": 1}):
        with pytest.raises(MapPointsError, match="not text"):
            text_value(value)


def test_a_label_field_of_nan_is_refused_naming_its_feature(provider, tmp_path):
    """A double label field's NaN was published as the map point "On or near nan"."""
    import processing
    from qgis.core import QgsFeature, QgsGeometry, QgsProcessingException, QgsVectorLayer

    layer = QgsVectorLayer("Point?crs=EPSG:4326&field=label:double", "labels", "memory")
    features = []
    for x, value in ((-1.13, 5.0), (-1.14, float("nan"))):
        feature = QgsFeature(layer.fields())
        feature.setGeometry(QgsGeometry.fromWkt(f"POINT({x} 52.63)"))
        feature.setAttributes([value])
        features.append(feature)
    assert layer.dataProvider().addFeatures(features)[0]
    out = tmp_path / "points.gpkg"
    with pytest.raises(QgsProcessingException, match="feature 2: field 'label': .* nan, not"):
        processing.run(
            "crime_mapper:build_map_points",
            {"MODE": 0, "POINTS": layer, "LABEL_FIELD": "label", "OUTPUT": str(out)},
        )
    assert not out.exists()
    for value in (float("inf"), np.float64("nan")):
        with pytest.raises(MapPointsError, match="not text"):
            text_value(value)


def test_a_layer_name_with_quotes_is_written_and_read(points, tmp_path):
    for name in ('map"points', "map'points", 'a""b; DROP TABLE gpkg_contents'):
        path = tmp_path / "named.gpkg"
        path.unlink(missing_ok=True)
        gpkg_write.write_geopackage(path, [map_points_table(points, name)])
        read = read_map_points_file(f"{path}|layername={name}")
        assert read.label.tolist() == points.label.tolist()
        conn = sqlite3.connect(path)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        finally:
            conn.close()


def test_a_layer_name_that_is_not_there_is_refused(written):
    with pytest.raises(MapPointsError, match="has no"):
        read_map_points_file(f'{written}|layername=map"points')


def test_overwritten_bytes_give_map_points_or_a_map_points_error(written, tmp_path):
    data = written.read_bytes()
    rng = random.Random(4)
    for number in range(120):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 6)):
            at = rng.randrange(len(damaged))
            damaged[at : at + rng.randint(1, 8)] = rng.randbytes(rng.randint(1, 8))
        if number % 10 == 0:
            damaged = damaged[: rng.randrange(len(damaged))]
        path = tmp_path / f"{number}.gpkg"
        path.write_bytes(bytes(damaged))
        try:
            read_map_points_file(path)
        except MapPointsError:
            pass


# --- geometries that are no points ----------------------------------------------------------


def _ogr_gpkg(path: Path, kind: int, wkts: list[str], layer: str = "map_points") -> Path:
    """A GeoPackage written by GDAL (as QGIS and other tools write one): a WGS84 layer of
    geometry type ``kind`` with a label field, one feature per WKT."""
    from osgeo import ogr, osr

    wgs84 = osr.SpatialReference()
    wgs84.ImportFromEPSG(4326)
    source = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    table = source.CreateLayer(layer, wgs84, kind)
    table.CreateField(ogr.FieldDefn("label", ogr.OFTString))
    for k, wkt in enumerate(wkts):
        feature = ogr.Feature(table.GetLayerDefn())
        feature.SetField("label", f"Street {k}")
        feature.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
        table.CreateFeature(feature)
    source = None  # (closes the file)
    return path


_POINT_WKTS = ["POINT (-1.13 52.63)", "POINT (-1.14 52.64)", "POINT (-1.15 52.65)"]


@pytest.mark.parametrize(
    "kind, wkts, said",
    [
        (
            "wkbMultiPoint",
            ["MULTIPOINT ((-1.13 52.63))", "MULTIPOINT ((-1.14 52.64), (-1.15 52.65))"],
            "holds MultiPoints of several points (1 feature of type MultiPoint, the first fid 2)"
            ", but map points must be points, one per feature (a MultiPoint of one point is "
            "read as that point): split them into single points (QGIS Processing: Multipart "
            "to singleparts)",
        ),
        (
            "wkbLineString",
            ["LINESTRING (-1.13 52.63, -1.14 52.64)"] * 3,
            "holds lines (3 features of type LineString, the first fid 1), but map points "
            "must be points",
        ),
        (
            "wkbMultiLineString",
            ["MULTILINESTRING ((-1.13 52.63, -1.14 52.64))"],
            "holds lines (1 feature of type MultiLineString, the first fid 1)",
        ),
        (
            "wkbPolygon",
            ["POLYGON ((-1.13 52.63, -1.14 52.64, -1.13 52.64, -1.13 52.63))"],
            "holds polygons (1 feature of type Polygon, the first fid 1)",
        ),
        (
            "wkbUnknown",  # a table of any geometry: points, then a line
            [*_POINT_WKTS, "LINESTRING (-1.13 52.63, -1.14 52.64)"],
            "holds lines (1 feature of type LineString, the first fid 4)",
        ),
    ],
)
def test_a_table_of_other_geometries_is_refused_naming_them(tmp_path, kind, wkts, said):
    """A map points table of lines or polygons (or MultiPoints of several points) was
    refused as "map point(s) have missing or non-numeric coordinates": its geometry type,
    how many features and the first one's fid are said, and what map points need."""
    from osgeo import ogr

    path = _ogr_gpkg(tmp_path / "other.gpkg", getattr(ogr, kind), wkts)
    with pytest.raises(MapPointsError) as refused:
        read_map_points_file(path)
    assert f"{path}: the 'map_points' layer {said}" in str(refused.value)
    assert "non-numeric" not in str(refused.value)


def test_multipoints_of_one_point_read_as_the_layer_reader_reads_them(qgis_app, tmp_path):
    """A MultiPoint of one point is that point, for the file reader (in bulk or row by row:
    the table's points are all MultiPoints, or mixed with points) as for the QGIS layer
    reader, which reads each point of a MultiPoint."""
    from osgeo import ogr
    from qgis.core import QgsVectorLayer

    from crime_mapper.qgis_bridge.map_points_io import points_from_source

    points = read_map_points_file(_ogr_gpkg(tmp_path / "p.gpkg", ogr.wkbPoint, _POINT_WKTS))
    multi = [w.replace("POINT (", "MULTIPOINT ((") + ")" for w in _POINT_WKTS]
    mixed = [_POINT_WKTS[0], multi[1], _POINT_WKTS[2]]
    for name, kind, wkts in (("m.gpkg", ogr.wkbMultiPoint, multi), ("x.gpkg", 0, mixed)):
        path = _ogr_gpkg(tmp_path / name, kind, wkts)
        read = read_map_points_file(path)
        assert read.to_frame().equals(points.to_frame()), name
        layer = QgsVectorLayer(f"{path}|layername=map_points", "map points", "ogr")
        assert points_from_source(layer, "label").to_frame().equals(points.to_frame()), name


# --- a GeoPackage without the map points layer ----------------------------------------------


def _ogr_layers(path: Path, layers: list[tuple[str, int]]) -> Path:
    """A GeoPackage written by GDAL with the ``layers`` (name, geometry type), in that order,
    each of one WGS84 feature labelled by its layer's name (none for a table without
    geometry)."""
    from osgeo import ogr, osr

    wgs84 = osr.SpatialReference()
    wgs84.ImportFromEPSG(4326)
    source = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    for k, (name, kind) in enumerate(layers):
        table = source.CreateLayer(name, wgs84 if kind != ogr.wkbNone else None, kind)
        table.CreateField(ogr.FieldDefn("label", ogr.OFTString))
        feature = ogr.Feature(table.GetLayerDefn())
        feature.SetField("label", name)
        if kind == ogr.wkbPoint:
            feature.SetGeometry(ogr.CreateGeometryFromWkt(f"POINT (-1.1{k} 52.6)"))
        table.CreateFeature(feature)
    source = None  # (closes the file)
    return path


def test_a_geopackage_without_the_layer_names_the_layers_it_holds(tmp_path):
    """The refusal "has no 'map_points' layer" left the analyst to open the file elsewhere
    to find the layer's name: it lists the layers (ten at most, then how many more), each with
    its geometry type, and says how to read another; read that way, the layer is read."""
    from osgeo import ogr

    names = [f"points {k}" for k in range(11)]
    layers = [("streets", ogr.wkbLineString), *[(n, ogr.wkbPoint) for n in names]]
    path = _ogr_layers(tmp_path / "many.gpkg", [*layers, ("notes", ogr.wkbNone)])
    with pytest.raises(MapPointsError) as refused:
        read_map_points_file(path)
    listed = "'streets' (linestring), " + ", ".join(f"'{n}' (point)" for n in names[:9])
    assert str(refused.value) == (
        f"{path} has no 'map_points' layer; its layers: {listed} and 2 more. To read another "
        f"layer, give the file as '{path}|layername=LAYER' (on the command line, --points), "
        "or in QGIS add the layer and choose it as the map points layer"
    )
    assert read_map_points_file(f"{path}|layername=points 10").label.tolist() == ["points 10"]

    one = _ogr_layers(tmp_path / "one.gpkg", [("crimes", ogr.wkbPoint)])
    with pytest.raises(
        MapPointsError, match=r"no 'map_points' layer; its layer: 'crimes' \(point\)\."
    ):
        read_map_points_file(one)
    none = _ogr_layers(tmp_path / "none.gpkg", [("notes", ogr.wkbNone)])
    with pytest.raises(MapPointsError, match="nor any other layer with a geometry"):
        read_map_points_file(none)
