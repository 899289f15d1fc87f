"""Map points features without a geometry: the GeoPackage file reader skips them as the QGIS
layer reader does, with the same warning and count.

Why: the QGIS layer reader (qgis_bridge.map_points_io.points_from_source) skips a feature
with no (or an empty) geometry and says how many; the file reader (the command line's
``--points``, Processing, a map points GeoPackage chosen as a layer) refused the whole layer
("missing or non-numeric coordinates"), so the command line refused what QGIS read. A layer
with no geometry at all is refused by both. Real GeoPackages: the product's writer, then
GDAL's OGR sets a NULL geometry and a ``POINT EMPTY``; real QGIS layers of the same files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.release.map_points import map_points_from_history
from crime_mapper.core.release.map_points_files import (
    MapPointsInputError,
    read_map_points_file,
    write_map_points_gpkg,
)
from tests.support.monthly_config import SAMPLE

NULL_FIDS = (2, 7)  # set to NULL
EMPTY_FIDS = (4,)  # set to POINT EMPTY
WARNING = "3 feature(s) of the map points layer have no geometry and were not used."


def _points_gpkg(path: Path, null: tuple[int, ...], empty: tuple[int, ...]) -> Path:
    """The bundled month's map points written by the product, then the features ``null``
    given no geometry and ``empty`` an empty point by GDAL."""
    from osgeo import ogr

    crimes = load_extracts([str(SAMPLE / "police-uk" / "2022-09")]).crimes
    write_map_points_gpkg(map_points_from_history(crimes), path)
    source = ogr.Open(str(path), 1)
    layer = source.GetLayerByName("map_points")
    for fid in null:
        feature = layer.GetFeature(fid)
        feature.SetGeometryDirectly(None)
        layer.SetFeature(feature)
    for fid in empty:
        feature = layer.GetFeature(fid)
        feature.SetGeometry(ogr.Geometry(ogr.wkbPoint))
        layer.SetFeature(feature)
    source = None  # (closes the file)
    return path


@pytest.fixture(scope="module")
def gapped(tmp_path_factory) -> Path:
    return _points_gpkg(tmp_path_factory.mktemp("gapped") / "points.gpkg", NULL_FIDS, EMPTY_FIDS)


def _qgis_layer(path: Path):
    from qgis.core import QgsVectorLayer

    layer = QgsVectorLayer(f"{path}|layername=map_points", "map points", "ogr")
    assert layer.isValid()
    return layer


def _qgis_read(path: Path):
    from crime_mapper.qgis_bridge.map_points_io import points_from_source

    return points_from_source(_qgis_layer(path), "label")


def test_both_readers_skip_them_with_one_warning(gapped):
    from_file = read_map_points_file(gapped)
    from_qgis = _qgis_read(gapped)
    assert from_file.warnings == from_qgis.warnings == [WARNING]
    assert len(from_file) == len(from_qgis) > 0
    for name in ("longitude", "latitude", "label", "source", "addresses"):
        assert np.array_equal(getattr(from_file, name), getattr(from_qgis, name)), name


def test_a_layer_chosen_in_qgis_reads_as_the_file(gapped):
    """A map points GeoPackage chosen as the layer is read with sqlite (spec_from_layer):
    it was refused in QGIS too."""
    from crime_mapper.qgis_bridge.map_points_io import spec_from_layer

    spec = spec_from_layer(_qgis_layer(gapped), "label")
    assert spec.kind == "file"
    points = spec.resolve()
    assert points.warnings == [WARNING]
    assert len(points) == len(read_map_points_file(gapped))


def test_the_skipped_features_are_the_only_ones_left_out(gapped, tmp_path):
    whole = read_map_points_file(_points_gpkg(tmp_path / "whole.gpkg", (), ()))
    assert whole.warnings == []
    assert len(whole) - len(read_map_points_file(gapped)) == len(NULL_FIDS) + len(EMPTY_FIDS)


def test_a_layer_without_any_geometry_is_refused_by_both(tmp_path):
    from osgeo import ogr

    path = _points_gpkg(tmp_path / "none.gpkg", (), ())
    source = ogr.Open(str(path), 1)
    fids = [f.GetFID() for f in source.GetLayerByName("map_points")]
    source = None
    path = _points_gpkg(tmp_path / "none.gpkg", tuple(fids), ())
    with pytest.raises(MapPointsInputError, match="has no point with a geometry") as caught:
        read_map_points_file(path)
    assert str(caught.value) == f"{path}: the 'map_points' layer has no point with a geometry"
    with pytest.raises(MapPointsInputError, match="has no point with a geometry"):
        _qgis_read(path)
