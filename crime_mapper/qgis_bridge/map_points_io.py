"""QGIS layers in, core.release.map_points.MapPoints out.

The core builds map points from plain arrays (core.release.map_points) and reads and writes
map points files, the police.uk history and the hexagon fallback
(core.release.map_points_files: import those names from there); this module is the
QGIS side: it checks a layer *before* any work starts (empty, wrong geometry type, missing
label field, unknown CRS, a projected CRS not in metres) so that an analyst gets one clear
sentence instead of a stack trace half-way through a release, and it turns features into
numpy arrays:

- a point layer + label field (any CRS, reprojected to WGS84 with QgsCoordinateTransform);
- a roads line layer (+ name field) and optional address points, reprojected into the one
  metric CRS the whole set is measured in (British National Grid or Irish Transverse
  Mercator, chosen by core.common.projection.choose_crs) for
  core.release.map_points.map_points_from_roads.

Layers arrive as any QgsFeatureSource: a QgsVectorLayer on the main thread, a Processing
feature source, or a QgsVectorLayerFeatureSource snapshot that a QgsTask can read safely in
its worker thread. A map_points table of a GeoPackage chosen as a layer is read with sqlite
by the core (spec_from_layer), much faster than feature by feature.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeatureRequest,
    QgsGeometry,
    QgsWkbTypes,
)

from ..compat import (
    DISTANCE_METRES,
    GEOMETRY_LINE,
    GEOMETRY_POINT,
    distance_unit_name,
    geometry_words,
)
from ..core.common.feedback import Feedback
from ..core.common.projection import choose_crs
from ..core.io import gpkg_write
from ..core.io.gpkg_read import read_only_uri
from ..core.release import map_points_files
from ..core.release.map_points import (
    DEFAULT_MIN_ADDRESSES,
    MapPoints,
    map_points_from_arrays,
    map_points_from_roads,
    strip_location_prefix,
)
from ..core.release.map_points_files import (
    HEXAGON_WARNING,
    MapPointsInputError,
    no_geometry_warning,
    text_value,
)
from .crimes_source import layer_gpkg_table
from .transforms import unplaceable_crs

PathLike = Union[str, "os.PathLike[str]"]

WGS84 = "EPSG:4326"


# --- enum helpers: QGIS 3.22 and 3.30+ ------------------------------------------------------


# --- checks (before work) -------------------------------------------------------------------


def _source_name(source: Any, what: str) -> str:
    name = getattr(source, "name", None)
    try:
        text = name() if callable(name) else ""
    except (RuntimeError, TypeError):
        text = ""
    return f"{what} {text!r}" if text else what


def _crs_of(source: Any) -> QgsCoordinateReferenceSystem:
    if hasattr(source, "sourceCrs"):
        return source.sourceCrs()
    return source.crs()


def check_crs(crs: QgsCoordinateReferenceSystem, what: str) -> None:
    """A layer's CRS must be known, and either geographic or projected in metres.

    Reprojection would cope with feet mathematically, but UK police data in a projected CRS
    that is not in metres is almost always British National Grid coordinates with the wrong
    CRS assigned: refusing it stops every point landing in the wrong place.
    """
    unplaceable = unplaceable_crs(crs)
    if unplaceable is not None:
        raise MapPointsInputError(
            f"{what} has {unplaceable} (CRS unknown): set the layer's "
            "CRS in its properties (British National Grid is EPSG:27700) and try again"
        )
    if not crs.isGeographic() and crs.mapUnits() != DISTANCE_METRES:
        unit = distance_unit_name(crs.mapUnits())
        raise MapPointsInputError(
            f"{what} is in {crs.authid() or crs.description()}, whose units are {unit}, not "
            "metres: distances must be measured in metres. Reproject the layer to British "
            "National Grid (EPSG:27700) or Irish Transverse Mercator (EPSG:2157), or fix its "
            "CRS if the coordinates are really eastings/northings in metres"
        )


def check_source(source: Any, what: str, geometry: Any, fields: Sequence[str] = ()) -> None:
    """Refuse a layer that is missing, empty, of the wrong geometry type, lacks a field or
    has an unusable CRS. ``geometry`` is GEOMETRY_POINT or GEOMETRY_LINE."""
    if source is None:
        raise MapPointsInputError(f"no {what} was given")
    if hasattr(source, "isValid") and not source.isValid():
        raise MapPointsInputError(
            f"{_source_name(source, what)} is not a valid layer (its file may have moved)"
        )
    name = _source_name(source, what)
    kind = QgsWkbTypes.geometryType(source.wkbType())
    if kind != geometry:
        raise MapPointsInputError(
            f"{name} holds {geometry_words(kind)}, but {geometry_words(geometry)} are needed here"
        )
    names = [f.name() for f in source.fields()]
    for wanted in fields:
        if not wanted:
            raise MapPointsInputError(f"choose the label field of {name}")
        if wanted not in names:
            raise MapPointsInputError(
                f"{name} has no field {wanted!r}; its fields are: {', '.join(names) or 'none'}"
            )
    check_crs(_crs_of(source), name)
    if source.featureCount() == 0:
        raise MapPointsInputError(f"{name} is empty: it has no features")


# --- features to arrays ---------------------------------------------------------------------


def _transform_to(source: Any, target: str) -> Optional[QgsCoordinateTransform]:
    crs = _crs_of(source)
    dest = QgsCoordinateReferenceSystem(target)
    if crs == dest:
        return None
    from .transform_context import uk_transform_context

    return QgsCoordinateTransform(crs, dest, uk_transform_context())


def _check_cancel(feedback: Feedback, count: int) -> None:
    if count % 5000 == 0:
        feedback.check()


def points_from_source(
    source: Any, label_field: str, feedback: Optional[Feedback] = None
) -> MapPoints:
    """Map points from a point layer with a label field (any CRS, reprojected to WGS84).

    Multi-point features give one map point per part. Labels written as police.uk Location
    text ("On or near X") are stored as "X". A layer that already carries source, addresses,
    lsoa_code and lsoa_name fields (a map_points layer written by crime_mapper) keeps them.
    Features without geometry are skipped and counted in a warning.
    """
    feedback = feedback or Feedback()
    what = "map points layer"
    check_source(source, what, GEOMETRY_POINT, [label_field])
    names = [f.name() for f in source.fields()]
    optional = [n for n in ("source", "addresses", "lsoa_code", "lsoa_name") if n in names]
    transform = _transform_to(source, WGS84)
    request = QgsFeatureRequest().setSubsetOfAttributes([label_field, *optional], source.fields())
    lon: list[float] = []
    lat: list[float] = []
    fids: list[int] = []  # each point's feature, named in errors about a value
    cols: dict[str, list] = {"label": [], **{n: [] for n in optional}}
    skipped = 0
    for count, feature in enumerate(source.getFeatures(request)):
        _check_cancel(feedback, count)
        geom = feature.geometry()
        if geom is None or geom.isEmpty():
            skipped += 1
            continue
        if transform is not None:
            geom = QgsGeometry(geom)
            geom.transform(transform)
        parts = geom.asMultiPoint() if geom.isMultipart() else [geom.asPoint()]
        try:
            label = strip_location_prefix(text_value(feature[label_field]))
        except MapPointsInputError as exc:
            raise MapPointsInputError(
                f"{_source_name(source, what)}: feature {feature.id()}: field "
                f"{label_field!r}: {exc}"
            ) from exc
        extra = {n: feature[n] for n in optional}
        for point in parts:
            fids.append(feature.id())
            lon.append(point.x())
            lat.append(point.y())
            cols["label"].append(label)
            for n in optional:
                cols[n].append(extra[n])
    warnings = []
    if skipped:
        warnings.append(no_geometry_warning(skipped))
    if not lon:
        raise MapPointsInputError(f"{_source_name(source, what)} has no point with a geometry")
    where = _source_name(source, what)

    def row_name(i: int) -> str:
        return f"feature {fids[i]}"

    def texts(name: str) -> Optional[list[str]]:
        if name not in optional:
            return None
        return _texts(cols[name], name, where, row_name)

    source_values: Any = "layer"
    if "source" in optional:
        source_values = [
            text or "layer" for text in _texts(cols["source"], "source", where, row_name)
        ]
        if "hexagon fallback" in source_values:
            warnings.append(HEXAGON_WARNING)
    return map_points_from_arrays(
        lon,
        lat,
        cols["label"],
        source=source_values,
        # (address_counts checks each value: int() read 2.7 as 2 and true as 1)
        addresses=np.asarray(cols["addresses"], dtype=object) if "addresses" in optional else None,
        lsoa_code=texts("lsoa_code"),
        lsoa_name=texts("lsoa_name"),
        warnings=warnings,
        where=where,
        row_name=row_name,
    )


def _texts(values: list, name: str, where: str, row_name: Any) -> list[str]:
    """text_value of each value, its refusal naming the layer, the field and the feature."""
    out = []
    for i, value in enumerate(values):
        try:
            out.append(text_value(value))
        except MapPointsInputError as exc:
            raise MapPointsInputError(f"{where}: {row_name(i)}: field {name!r}: {exc}") from exc
    return out


def _first_vertices_wgs84(
    geometries: list[QgsGeometry], source: Any
) -> tuple[np.ndarray, np.ndarray]:
    transform = _transform_to(source, WGS84)
    lon, lat = [], []
    for geom in geometries[:: max(1, len(geometries) // 5000)]:
        vertex = geom.vertexAt(0)
        if transform is not None:
            point = transform.transform(vertex.x(), vertex.y())
            lon.append(point.x())
            lat.append(point.y())
        else:
            lon.append(vertex.x())
            lat.append(vertex.y())
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def _line_parts(geom: QgsGeometry) -> list[np.ndarray]:
    if geom.isMultipart():
        lines = geom.asMultiPolyline()
    else:
        lines = [geom.asPolyline()]
    return [
        np.array([(p.x(), p.y()) for p in line], dtype=np.float64).reshape(-1, 2)
        for line in lines
        if len(line) >= 2
    ]


def roads_from_source(
    roads: Any,
    name_field: str,
    addresses: Any = None,
    k: int = DEFAULT_MIN_ADDRESSES,
    feedback: Optional[Feedback] = None,
) -> MapPoints:
    """Map points at street-segment centres of a roads layer, with police.uk's catchment
    rule (at least ``k`` addresses or none) when an address point layer is given.

    Everything is reprojected into one metric CRS (BNG, or ITM for Northern Ireland, chosen
    from where the roads are) before core.release.map_points.map_points_from_roads measures it.
    """
    feedback = feedback or Feedback()
    check_source(roads, "roads layer", GEOMETRY_LINE, [name_field])
    if addresses is not None:
        check_source(addresses, "address points layer", GEOMETRY_POINT)
    request = QgsFeatureRequest().setSubsetOfAttributes([name_field], roads.fields())
    geometries: list[QgsGeometry] = []
    labels: list[str] = []
    for count, feature in enumerate(roads.getFeatures(request)):
        _check_cancel(feedback, count)
        geom = feature.geometry()
        if geom is None or geom.isEmpty():
            continue
        geometries.append(QgsGeometry(geom))
        labels.append(text_value(feature[name_field]))
    if not geometries:
        raise MapPointsInputError("the roads layer has no line with a geometry")
    lon, lat = _first_vertices_wgs84(geometries, roads)
    target = choose_crs(lon, lat)
    transform = _transform_to(roads, target)
    lines: list[np.ndarray] = []
    line_labels: list[str] = []
    for count, (geom, label) in enumerate(zip(geometries, labels)):
        _check_cancel(feedback, count)
        if transform is not None:
            geom.transform(transform)
        for part in _line_parts(geom):
            lines.append(part)
            line_labels.append(label)
    feedback.set_progress(40.0)
    addresses_xy = None
    if addresses is not None:
        to_target = _transform_to(addresses, target)
        xy: list[tuple[float, float]] = []
        no_geometry = QgsFeatureRequest().setNoAttributes()
        for count, feature in enumerate(addresses.getFeatures(no_geometry)):
            _check_cancel(feedback, count)
            geom = feature.geometry()
            if geom is None or geom.isEmpty():
                continue
            if to_target is not None:
                geom = QgsGeometry(geom)
                geom.transform(to_target)
            parts = geom.asMultiPoint() if geom.isMultipart() else [geom.asPoint()]
            xy.extend((p.x(), p.y()) for p in parts)
        addresses_xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    feedback.set_progress(60.0)
    feedback.check()
    return map_points_from_roads(lines, line_labels, target, addresses_xy=addresses_xy, k=k)


# --- layers read in another thread ---------------------------------------------------------


class LayerSnapshot:
    """A layer's features readable in a worker thread, with its metadata captured now.

    QgsVectorLayerFeatureSource is QGIS's thread-safe copy of a layer's data source, but on
    3.22 it lacks wkbType(), sourceCrs() and featureCount(); these are read on the main
    thread when the snapshot is made, so the checks above work on it unchanged.
    """

    def __init__(self, layer: Any) -> None:
        from qgis.core import QgsVectorLayerFeatureSource

        self._source = QgsVectorLayerFeatureSource(layer)
        self._fields = layer.fields()
        self._wkb_type = layer.wkbType()
        self._crs = layer.crs()
        self._count = layer.featureCount()
        self._name = layer.name()

    def name(self) -> str:
        return self._name

    def fields(self) -> Any:
        return self._fields

    def wkbType(self) -> Any:
        return self._wkb_type

    def sourceCrs(self) -> QgsCoordinateReferenceSystem:
        return self._crs

    def featureCount(self) -> int:
        return self._count

    def getFeatures(self, request: Optional[QgsFeatureRequest] = None) -> Any:
        return self._source.getFeatures(request or QgsFeatureRequest())


def _wgs84_gpkg_table(path: str, table: str) -> bool:
    try:
        conn = sqlite3.connect(read_only_uri(path), uri=True)
        try:
            row = conn.execute(
                "SELECT srs_id, geometry_type_name FROM gpkg_geometry_columns WHERE table_name = ?",
                (table,),
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return (
        row is not None
        and int(row[0]) == gpkg_write.WGS84_SRS_ID
        and str(row[1]).upper() == "POINT"
    )


def spec_from_layer(layer: Any, label_field: str, thread_safe: bool = False) -> MapPointsSpec:
    """A MapPointsSpec for a point layer + label field, checked now (main thread).

    A WGS84 map_points table of a GeoPackage with a ``label`` field (what build_map_points
    writes) is read with sqlite, which is much faster than feature by feature; any other
    layer is read through QGIS (from a LayerSnapshot when ``thread_safe``: for a QgsTask).
    """
    check_source(layer, "map points layer", GEOMETRY_POINT, [label_field])
    found = layer_gpkg_table(layer)
    if found is not None and label_field == "label" and _wgs84_gpkg_table(*found):
        path, table = found
        # described by its file, as when the file itself is given: same manifest either way
        return MapPointsSpec(
            "file",
            paths=[f"{path}|layername={table}"],
            description=f"map points file {Path(path).name}",
        )
    source = LayerSnapshot(layer) if thread_safe else layer
    return MapPointsSpec(
        "points",
        source=source,
        label_field=label_field,
        description=f"map points layer {layer.name()!r}",
    )


# --- one description of "where the map points come from" ------------------------------------


class MapPointsSpec(map_points_files.MapPointsSpec):
    """core.release.map_points_files.MapPointsSpec plus the kinds that need QGIS layers.

    "points": ``source`` = a QgsFeatureSource safe to read in the resolving thread (e.g. a
    LayerSnapshot) + ``label_field``; "roads": ``source`` roads + ``label_field`` (their name
    field), optional ``addresses`` source, ``k``. Every other kind resolves in the core.
    """

    def resolve(self, crimes: Any = None, feedback: Optional[Feedback] = None) -> MapPoints:
        if self.kind == "points":
            return points_from_source(self.source, self.label_field, feedback)
        if self.kind == "roads":
            return roads_from_source(
                self.source, self.label_field, self.addresses, self.k, feedback
            )
        return super().resolve(crimes, feedback)
