"""A layer whose coordinates cannot be placed on the earth is refused by every reader of an
analyst's layer: map points, hotspots and neighbourhood outlines (qgis_bridge.transforms
.unplaceable_crs).

A GeoPackage's "undefined" SRS (srs_id 0 or -1) is a CRS that QGIS calls valid, so the
readers that asked only ``isValid()`` let it through: map points were measured as metres of
no known grid, and hotspot points were taken as lying where their numbers fall.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from qgis.core import QgsVectorLayer

from crime_mapper.core.hotspots.hexgrid import HotspotInputError
from crime_mapper.core.release.map_points import MapPointsError
from crime_mapper.qgis_bridge import hotspot_input
from crime_mapper.qgis_bridge import map_points_io as io
from crime_mapper.qgis_bridge.transforms import unplaceable_crs

UNDEFINED = ((0, "Undefined geographic SRS"), (-1, "Undefined Cartesian SRS"))


def _points_gpkg(path: Path, srs_id: int) -> QgsVectorLayer:
    """A real GeoPackage of three labelled crimes near Leicester (British National Grid
    numbers), written by GDAL and then set to the undefined SRS ``srs_id``."""
    from osgeo import ogr, osr

    bng = osr.SpatialReference()
    bng.ImportFromEPSG(27700)
    source = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    table = source.CreateLayer("crimes", bng, ogr.wkbPoint)
    for name in ("label", "Crime type", "Month"):
        table.CreateField(ogr.FieldDefn(name, ogr.OFTString))
    for k in range(3):
        feature = ogr.Feature(table.GetLayerDefn())
        feature.SetField("label", f"On or near Street {k}")
        feature.SetField("Crime type", "Burglary")
        feature.SetField("Month", "2022-10")
        feature.SetGeometry(ogr.CreateGeometryFromWkt(f"POINT ({458000 + 50 * k} 304000)"))
        table.CreateFeature(feature)
    source = None  # closed: written
    with sqlite3.connect(path) as db:
        db.execute("UPDATE gpkg_geometry_columns SET srs_id = ?", (srs_id,))
        db.execute("UPDATE gpkg_contents SET srs_id = ?", (srs_id,))
    db.close()
    layer = QgsVectorLayer(f"{path}|layername=crimes", "Beat points", "ogr")
    assert layer.isValid()
    assert layer.crs().isValid() and not layer.crs().authid()  # GDAL's "valid" CRS
    return layer


@pytest.mark.parametrize(("srs_id", "name"), UNDEFINED)
def test_every_reader_refuses_an_undefined_srs_naming_it(qgis_app, tmp_path, srs_id, name):
    layer = _points_gpkg(tmp_path / "points.gpkg", srs_id)
    said = rf"undefined coordinate reference system \({name}\)"
    assert unplaceable_crs(layer.crs()) == f"an undefined coordinate reference system ({name})"
    with pytest.raises(MapPointsError, match=said):
        io.points_from_source(layer, "label")
    with pytest.raises(MapPointsError, match=said):
        io.spec_from_layer(layer, "label", thread_safe=True)
    with pytest.raises(HotspotInputError, match=rf"'Beat points' has an {said}"):
        hotspot_input.points_from_layer(layer)


def test_a_known_crs_is_placeable_and_no_crs_is_not(qgis_app):
    from qgis.core import QgsCoordinateReferenceSystem

    for authid in ("EPSG:27700", "EPSG:4326", "EPSG:3857", "EPSG:2157"):
        assert unplaceable_crs(QgsCoordinateReferenceSystem(authid)) is None, authid
    assert unplaceable_crs(QgsCoordinateReferenceSystem()) == "no coordinate reference system"
    assert unplaceable_crs(None) == "no coordinate reference system"
    # a custom CRS from a PROJ string has no authority but is a real CRS
    custom = QgsCoordinateReferenceSystem.fromProj(
        "+proj=tmerc +lat_0=52 +lon_0=-1.1 +k=1 +x_0=400000 +y_0=-100000 "
        "+ellps=airy +units=m +no_defs"
    )
    assert custom.isValid() and not custom.authid()
    assert unplaceable_crs(custom) is None
