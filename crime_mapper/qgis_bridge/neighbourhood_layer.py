"""Neighbourhoods from a QGIS polygon layer: a thin adapter onto core.publish.neighbourhoods.

Geometries are transformed to WGS84, made valid by GEOS where QGIS finds them invalid (the
repair is reported), and handed to the core as rings; everything else (checks, merging
repeated codes, assignment, slugs) is the core's, so a layer and a GeoJSON file give the same
neighbourhoods.
"""

from __future__ import annotations

from typing import Any, Optional

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsGeometry,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QByteArray, QDate, QDateTime, QTime

from ..compat import GEOMETRY_POLYGON, geometry_words
from ..core.common.text_file import shown_line
from ..core.publish.neighbourhoods import (
    NeighbourhoodError,
    Neighbourhoods,
    feature_place,
    from_outlines,
)
from .transforms import unplaceable_crs


def _rings(geometry: QgsGeometry) -> list[list[tuple[float, float]]]:
    out: list[list[tuple[float, float]]] = []
    if geometry.isMultipart():
        polygons = geometry.asMultiPolygon()
    else:
        polygons = [geometry.asPolygon()]
    for polygon in polygons:
        for ring in polygon:
            out.append([(p.x(), p.y()) for p in ring])
    return out


def _polygon_parts(geometry: QgsGeometry) -> QgsGeometry:
    """The polygonal part of a geometry (MakeValid can return a collection with lines)."""
    if QgsWkbTypes.geometryType(geometry.wkbType()) == GEOMETRY_POLYGON:
        return geometry
    parts = [
        QgsGeometry(part.clone())
        for part in geometry.constParts()
        if QgsWkbTypes.geometryType(part.wkbType()) == GEOMETRY_POLYGON
    ]
    return QgsGeometry.collectGeometry(parts) if parts else QgsGeometry()


def neighbourhoods_from_layer(
    layer: QgsVectorLayer,
    code_field: str,
    name_field: Optional[str] = None,
    population_field: Optional[str] = None,
    feedback: Any = None,
) -> Neighbourhoods:
    """Read every feature of a polygon layer (selected or not) as a neighbourhood."""
    if layer is None or not layer.isValid():
        raise NeighbourhoodError("the neighbourhood layer is not valid")
    if layer.geometryType() != GEOMETRY_POLYGON:
        # (it said "layer X is not a polygon layer": not which input, nor what it held)
        raise NeighbourhoodError(
            f"the neighbourhood layer {shown_line(layer.name())} holds "
            f"{geometry_words(layer.geometryType())}, not polygons: choose the layer of "
            "neighbourhood outlines"
        )
    fields = layer.fields()
    for wanted in (code_field, name_field, population_field):
        if wanted and fields.indexOf(wanted) < 0:
            raise NeighbourhoodError(
                f"layer {shown_line(layer.name())} has no field {wanted!r}; fields: "
                + ", ".join(shown_line(f.name()) for f in fields)
            )
    _refuse_unknown_crs(layer)
    from .transform_context import uk_transform_context

    transform = QgsCoordinateTransform(
        layer.crs(), QgsCoordinateReferenceSystem("EPSG:4326"), uk_transform_context()
    )
    problems: list[str] = []
    records = []
    for k, feature in enumerate(layer.getFeatures()):
        if feedback is not None and feedback.isCanceled():
            break
        code = feature[code_field]
        name = feature[name_field] if name_field else None
        pop = feature[population_field] if population_field else None
        geometry = QgsGeometry(feature.geometry())
        rings: list = []
        if not geometry.isNull() and not geometry.isEmpty():
            if not geometry.isGeosValid():
                geometry = _polygon_parts(geometry.makeValid())
                problems.append(
                    f"{feature_place(k, _value(code))}: invalid geometry repaired by MakeValid"
                )
            if not geometry.isNull() and geometry.transform(transform) == 0:
                rings = _rings(geometry)
        records.append((_value(code), _value(name), _value(pop), rings))
    return from_outlines(records, problems, source=layer.name())


def _refuse_unknown_crs(layer: QgsVectorLayer) -> None:
    """NeighbourhoodError when the layer's coordinates cannot be placed: it has no CRS (a
    shapefile without its .prj) or a GeoPackage's "undefined" one.

    Why: without a CRS the transform to WGS84 is no transform at all, so outlines in metres
    were refused with a misleading "damaged file" message, and any coordinates that happen
    to lie within ±180/±90 (a local grid, degrees of some other datum) were taken as
    longitude and latitude and drawn wherever those numbers fall. The hotspot and map
    points readers refuse such a layer the same way."""
    what = unplaceable_crs(layer.crs())
    if what is None:
        return
    raise NeighbourhoodError(
        f"layer {shown_line(layer.name())} has {what}, so its outlines cannot be placed on "
        "the map; set its CRS (Layer Properties > Source; British National Grid is "
        "EPSG:27700) and run again"
    )


def _value(value: Any) -> Any:
    """A feature attribute as plain Python (NULL becomes None; a QDate, QDateTime or QTime
    the Python date or time, a QByteArray bytes), which the core reads as it reads a
    GeoJSON property: Qt's objects reached the pages as their repr."""
    if value is None:
        return None
    try:
        if hasattr(value, "isNull") and value.isNull():
            return None
    except TypeError:
        pass
    for qt_type, to_python in (
        (QDate, "toPyDate"),
        (QDateTime, "toPyDateTime"),
        (QTime, "toPyTime"),
    ):
        if isinstance(value, qt_type):
            return getattr(value, to_python)()
    if isinstance(value, QByteArray):
        return bytes(value)
    return value
