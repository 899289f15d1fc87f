"""The one place that knows which QGIS version names an enum how.

Why: QGIS 3.30-3.36 moved many enums into the scoped ``Qgis`` namespace
(``Qgis.GeometryType.Point`` for ``QgsWkbTypes.GeometryType.PointGeometry``) and deprecated the
old ones; QGIS 4 (Qt6) drops them. crime_mapper runs on 3.22 to 3.40 and claims
``supportsQt6``, so every module takes such values from here: the scoped one where QGIS has it,
the 3.22 one otherwise. The layout test (tests/test_layout.py) keeps deprecated spellings out of
the rest of the package.
"""

from __future__ import annotations

from typing import Any

from qgis.core import (
    Qgis,
    QgsColorRampShader,
    QgsFieldModel,
    QgsProcessing,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsRasterBandStats,
    QgsUnitTypes,
    QgsWkbTypes,
)


def scoped(new_enum: str, new_member: str, old: Any) -> Any:
    """``Qgis.<new_enum>.<new_member>`` where this QGIS has it, else the deprecated ``old``."""
    owner = getattr(Qgis, new_enum, None)
    if owner is not None and hasattr(owner, new_member):
        return getattr(owner, new_member)
    return old


# --- geometry and units ------------------------------------------------------------------
GEOMETRY_POINT = scoped("GeometryType", "Point", QgsWkbTypes.GeometryType.PointGeometry)
GEOMETRY_LINE = scoped("GeometryType", "Line", QgsWkbTypes.GeometryType.LineGeometry)
GEOMETRY_POLYGON = scoped("GeometryType", "Polygon", QgsWkbTypes.GeometryType.PolygonGeometry)
GEOMETRY_NULL = scoped("GeometryType", "Null", QgsWkbTypes.GeometryType.NullGeometry)

#: What a layer of each geometry type holds, in the words of the errors that refuse one.
_GEOMETRY_WORDS = {GEOMETRY_POINT: "points", GEOMETRY_LINE: "lines", GEOMETRY_POLYGON: "polygons"}


def geometry_words(kind: Any) -> str:
    """What a layer of geometry type ``kind`` holds ("points", "no geometry"), for errors
    that refuse a layer of the wrong type: one wording wherever a layer is refused."""
    return _GEOMETRY_WORDS.get(kind, "no geometry" if kind == GEOMETRY_NULL else "other")


DISTANCE_METRES = scoped("DistanceUnit", "Meters", QgsUnitTypes.DistanceUnit.DistanceMeters)
RENDER_MAP_UNITS = scoped("RenderUnit", "MapUnits", QgsUnitTypes.RenderUnit.RenderMapUnits)
RENDER_POINTS = scoped("RenderUnit", "Points", QgsUnitTypes.RenderUnit.RenderPoints)
RENDER_MILLIMETRES = scoped("RenderUnit", "Millimeters", QgsUnitTypes.RenderUnit.RenderMillimeters)
#: Metres on the ground, converted to map units when drawn ("meters at scale" in QGIS): on a
#: lon/lat map QGIS measures them on the ellipsoid, on a projected one takes its units as metres.
RENDER_METRES_IN_MAP_UNITS = scoped(
    "RenderUnit", "MetersInMapUnits", QgsUnitTypes.RenderUnit.RenderMetersInMapUnits
)

# --- text in exported layouts -----------------------------------------------------------------
# PDFs keep their text as text (selectable, searchable, read by screen readers and pdftotext):
# QGIS 3.40 otherwise writes layout text as outlines.
# (Qgis.TextRenderFormat is already scoped on 3.22, the oldest QGIS supported.)
TEXT_ALWAYS_TEXT = Qgis.TextRenderFormat.AlwaysText

# --- raster ------------------------------------------------------------------------------
SHADER_INTERPOLATED = scoped(
    "ShaderInterpolationMethod", "Linear", QgsColorRampShader.Type.Interpolated
)
SHADER_CONTINUOUS = scoped(
    "ShaderClassificationMethod",
    "Continuous",
    QgsColorRampShader.ClassificationMode.Continuous,
)
RASTER_STAT_MAX = scoped("RasterBandStatistic", "Max", QgsRasterBandStats.Stats.Max)

# --- Processing --------------------------------------------------------------------------
SOURCE_VECTOR_POINT = scoped(
    "ProcessingSourceType", "VectorPoint", QgsProcessing.SourceType.TypeVectorPoint
)
SOURCE_VECTOR_LINE = scoped(
    "ProcessingSourceType", "VectorLine", QgsProcessing.SourceType.TypeVectorLine
)
SOURCE_VECTOR_POLYGON = scoped(
    "ProcessingSourceType", "VectorPolygon", QgsProcessing.SourceType.TypeVectorPolygon
)
SOURCE_FILE = scoped("ProcessingSourceType", "File", QgsProcessing.SourceType.TypeFile)
NUMBER_DOUBLE = scoped(
    "ProcessingNumberParameterType", "Double", QgsProcessingParameterNumber.Type.Double
)
NUMBER_INTEGER = scoped(
    "ProcessingNumberParameterType", "Integer", QgsProcessingParameterNumber.Type.Integer
)
FILE_BEHAVIOUR_FILE = scoped(
    "ProcessingFileParameterBehavior", "File", QgsProcessingParameterFile.Behavior.File
)
FILE_BEHAVIOUR_FOLDER = scoped(
    "ProcessingFileParameterBehavior", "Folder", QgsProcessingParameterFile.Behavior.Folder
)


def distance_unit_name(unit: Any) -> str:
    """A distance unit in words ("feet", "degrees") for messages."""
    return QgsUnitTypes.toString(unit)


def set_layer_title_and_abstract(layer: Any, title: str, abstract: str) -> None:
    """A layer's server title and abstract: QGIS 3.38 moved them from QgsMapLayer (whose
    setTitle/setAbstract are deprecated) to layer.serverProperties()."""
    properties = layer.serverProperties() if hasattr(layer, "serverProperties") else None
    target = properties if properties is not None and hasattr(properties, "setTitle") else layer
    target.setAbstract(abstract)
    if title:
        target.setTitle(title)


def _field_type(meta_name: str, variant_name: str) -> Any:
    """A QgsField type: QMetaType.Type from QGIS 3.38 (QVariant.Type is deprecated there),
    QVariant.Type before (3.22's QgsField takes only that; the numbers are the same)."""
    if Qgis.QGIS_VERSION_INT >= 33800:
        from qgis.PyQt.QtCore import QMetaType

        return getattr(QMetaType.Type, meta_name)
    from qgis.PyQt.QtCore import QVariant

    return getattr(QVariant, variant_name)


FIELD_STRING = _field_type("QString", "String")
FIELD_INT = _field_type("Int", "Int")
FIELD_DOUBLE = _field_type("Double", "Double")
FIELD_LONGLONG = _field_type("LongLong", "LongLong")
FIELD_BOOL = _field_type("Bool", "Bool")
FIELD_DATETIME = _field_type("QDateTime", "DateTime")
FIELD_DATE = _field_type("QDate", "Date")


def layer_abstract(layer: Any) -> str:
    """A layer's server abstract (see :func:`set_layer_title_and_abstract`)."""
    properties = layer.serverProperties() if hasattr(layer, "serverProperties") else None
    source = properties if properties is not None and hasattr(properties, "abstract") else layer
    return str(source.abstract())


def layer_title(layer: Any) -> str:
    """The name QGIS's layer pickers give a layer in their tooltip before its own name: its
    server title, else its server short name ("" for neither; see
    :func:`set_layer_title_and_abstract` for where 3.38 moved them)."""
    properties = layer.serverProperties() if hasattr(layer, "serverProperties") else None
    source = properties if properties is not None and hasattr(properties, "title") else layer
    return str(source.title() or source.shortName())


#: The item data role of QgsFieldModel (and the field pickers' models) holding a field's name:
#: ``QgsFieldModel.CustomRole.FieldName`` since QGIS 3.36, ``FieldNameRole`` before.
FIELD_NAME_ROLE = int(
    getattr(getattr(QgsFieldModel, "CustomRole", None), "FieldName", QgsFieldModel.FieldNameRole)
)
