"""QGIS renderers built from the one palette (crime_mapper.core.common.palette).

The crimes layer is drawn with a categorized renderer on ``crime_type`` holding every
current and legacy category in police.uk order, whether or not the month contains it: the
legend then looks the same every month, so analysts (and anyone comparing two months side
by side) find each category in the same place and colour. A final catch-all category draws
anything else in the palette's no-data grey instead of hiding it.

The area and hotspot renderers (graduated choropleth with quantile / natural breaks / equal
interval classes, heatmap preset, Gi* and change classes, KDE pseudo-colour in crimes per
km²) read the palette's sequential ramp and class colours/labels, below.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, Optional

import numpy as np
from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsClassificationEqualInterval,
    QgsClassificationJenks,
    QgsClassificationMethod,
    QgsClassificationQuantile,
    QgsColorRampLegendNodeSettings,
    QgsColorRampShader,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCsException,
    QgsExpression,
    QgsFillSymbol,
    QgsGradientColorRamp,
    QgsGradientStop,
    QgsGraduatedSymbolRenderer,
    QgsHeatmapRenderer,
    QgsLineSymbol,
    QgsMarkerSymbol,
    QgsProject,
    QgsRasterDataProvider,
    QgsRasterShader,
    QgsRendererCategory,
    QgsRendererRange,
    QgsSimpleFillSymbolLayer,
    QgsSimpleMarkerSymbolLayer,
    QgsSimpleMarkerSymbolLayerBase,
    QgsSingleBandPseudoColorRenderer,
    QgsSingleSymbolRenderer,
    QgsSymbol,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor

from ..compat import (
    DISTANCE_METRES,
    GEOMETRY_LINE,
    GEOMETRY_POLYGON,
    RENDER_MAP_UNITS,
    RENDER_METRES_IN_MAP_UNITS,
    SHADER_CONTINUOUS,
    SHADER_INTERPOLATED,
)
from ..core.common import palette
from ..core.common.geography import TransformUnavailable
from ..core.common.projection import distorted_scale
from ..core.common.vocabulary import all_category_names, tr_noop
from ..core.hotspots.legend import integer_classes

CRIME_TYPE_FIELD = "crime_type"
MARKER_SIZE_MM = 2.4
OUTLINE_WIDTH_MM = 0.15
OTHER_VALUES_LABEL = "Other or unknown"


def marker_symbol(
    colour: str, shape_name: str = "circle", size: float = MARKER_SIZE_MM
) -> QgsMarkerSymbol:
    """A simple marker of the palette colour and shape, with a thin dark outline.

    The outline keeps the lighter palette colours visible on a light basemap; the shape
    (one per category group) means colour is never the only cue.
    """
    shape, ok = QgsSimpleMarkerSymbolLayerBase.decodeShape(shape_name)
    if not ok:
        shape, _ = QgsSimpleMarkerSymbolLayerBase.decodeShape("circle")
    layer = QgsSimpleMarkerSymbolLayer(shape, size)
    layer.setColor(QColor(colour))
    layer.setStrokeColor(QColor(palette.OUTLINE_COLOUR))
    layer.setStrokeWidth(OUTLINE_WIDTH_MM)
    symbol = QgsMarkerSymbol()
    symbol.changeSymbolLayer(0, layer)
    return symbol


def crime_type_categories() -> list[QgsRendererCategory]:
    """One category per current and legacy crime type (palette order), plus a catch-all."""
    categories = []
    for name in all_category_names():
        style = palette.category_style(name)
        categories.append(
            QgsRendererCategory(name, marker_symbol(style.colour, style.marker), style.label, True)
        )
    categories.append(
        QgsRendererCategory(
            "", marker_symbol(palette.NO_DATA_COLOUR, "circle"), OTHER_VALUES_LABEL, True
        )
    )
    return categories


def crime_type_renderer(field: str = CRIME_TYPE_FIELD) -> QgsCategorizedSymbolRenderer:
    """The categorized renderer by crime type that every crimes layer uses."""
    return QgsCategorizedSymbolRenderer(field, crime_type_categories())


def stop_search_renderer() -> QgsSingleSymbolRenderer:
    """Stop and search points: one neutral symbol, distinct in shape from crime markers."""
    return QgsSingleSymbolRenderer(marker_symbol("#1f1f1f", "cross2", 2.6))


# --- areas, hotspots and surfaces ------------------------------------------------------------
# Everything below also reads its colours from core.common.palette: a graduated choropleth, a KDE
# surface and a heatmap use the one sequential ramp; Gi* and change layers use the palette's
# class colours and plain-words labels, so the legend of a hotspot layer reads the same in
# QGIS, in an exported QML/SLD and on the web map.

GI_CLASS_FIELD = "gi_class"
CHANGE_CLASS_FIELD = "change_class"
CELL_OUTLINE_WIDTH_MM = 0.1
DENSITY_UNIT = "crimes per km²"

#: Classification method names accepted by graduated_renderer (and the Processing/UI choice).
#: The labels are translated by the dock (TR_CONTEXT: core.common.vocabulary).
TR_CONTEXT = "Vocabulary"
CLASSIFICATION_METHODS: dict[str, str] = {
    "quantile": tr_noop("Quantile (equal count)"),
    "jenks": tr_noop("Natural breaks (Jenks)"),
    "equal_interval": tr_noop("Equal interval"),
}
_METHOD_ALIASES = {
    "natural_breaks": "jenks",
    "natural breaks": "jenks",
    "equal": "equal_interval",
    "equal interval": "equal_interval",
    "quantiles": "quantile",
}


def fill_symbol(
    colour: str,
    outline: str = palette.CELL_OUTLINE_COLOUR,
    outline_width: float = CELL_OUTLINE_WIDTH_MM,
) -> QgsFillSymbol:
    """A simple fill of a palette colour with a thin outline (cells and areas)."""
    layer = QgsSimpleFillSymbolLayer(
        QColor(colour),
        Qt.BrushStyle.SolidPattern,
        QColor(outline),
        Qt.PenStyle.SolidLine,
        outline_width,
    )
    symbol = QgsFillSymbol()
    symbol.changeSymbolLayer(0, layer)
    return symbol


def sequential_ramp(transparent_low: bool = False) -> QgsGradientColorRamp:
    """The palette's sequential ramp as a QGIS gradient (optionally fading in from nothing,
    which is what a heatmap wants: no crimes = no colour over the basemap)."""
    colours = [QColor(c) for c in palette.SEQUENTIAL_RAMP]
    first = QColor(colours[0])
    if transparent_low:
        first.setAlpha(0)
    stops = [
        QgsGradientStop(i / (len(colours) - 1), colours[i]) for i in range(1, len(colours) - 1)
    ]
    return QgsGradientColorRamp(first, colours[-1], False, stops)


def classification_method(method: str) -> QgsClassificationMethod:
    """A QGIS classification method from 'quantile' | 'jenks' | 'equal_interval' (or
    'natural breaks'). ValueError names the choices for anything else."""
    key = _METHOD_ALIASES.get(method.strip().lower(), method.strip().lower())
    if key == "quantile":
        return QgsClassificationQuantile()
    if key == "jenks":
        return QgsClassificationJenks()
    if key == "equal_interval":
        return QgsClassificationEqualInterval()
    raise ValueError(
        f"unknown classification {method!r}: choose one of {', '.join(CLASSIFICATION_METHODS)}"
    )


def _symbol_for(layer: QgsVectorLayer, colour: str) -> QgsSymbol:
    geometry = layer.geometryType()
    if geometry == GEOMETRY_POLYGON:
        return fill_symbol(colour)
    if geometry == GEOMETRY_LINE:
        return QgsLineSymbol.createSimple({"color": colour, "width": "0.6"})
    return marker_symbol(colour, "circle")


def graduated_renderer(
    layer: QgsVectorLayer,
    field: str,
    method: str = "quantile",
    classes: int = 5,
    unit: str = "crimes",
    precision: int = 0,
) -> QgsGraduatedSymbolRenderer:
    """A graduated choropleth of ``field`` (counts or rates per area) on ``layer``.

    Classes come from QGIS's own classification (quantile, natural breaks or equal
    interval) over the layer's values; each class takes its colour from the palette's
    sequential ramp (light = low, dark = high) and its label reads "12 to 30 crimes".
    A layer with no values still gets a valid (empty) renderer.
    """
    renderer = QgsGraduatedSymbolRenderer(field)
    renderer.setSourceSymbol(_symbol_for(layer, palette.SEQUENTIAL_RAMP[0]))
    renderer.setSourceColorRamp(sequential_ramp())
    cls = classification_method(method)
    cls.setLabelFormat(f"%1 to %2 {unit}".rstrip())
    cls.setLabelPrecision(precision)
    cls.setLabelTrimTrailingZeroes(True)
    renderer.setClassificationMethod(cls)
    renderer.updateClasses(layer, max(1, int(classes)))
    if _is_integer_field(layer, field) and renderer.ranges():
        _whole_number_ranges(renderer, unit)
    colours = palette.sequential_colours(len(renderer.ranges()))
    for index, colour in enumerate(colours):
        renderer.updateRangeSymbol(index, _symbol_for(layer, colour))
    return renderer


def _is_integer_field(layer: QgsVectorLayer, field: str) -> bool:
    index = layer.fields().indexOf(field)
    if index < 0:
        return False
    return layer.fields().at(index).typeName().lower() in (
        "integer",
        "integer64",
        "int",
        "int4",
        "int8",
        "bigint",
        "smallint",
        "mediumint",
        "tinyint",
    )


def _whole_number_ranges(renderer: QgsGraduatedSymbolRenderer, unit: str) -> None:
    """Counts get whole-number classes that do not overlap (core.hotspots.legend): labels
    "3 to 5 crimes" for the values QGIS puts in the class, bounds half-way between whole
    numbers so the QML, the SLD filters and the legend all agree (issue 11)."""
    ranges = renderer.ranges()
    breaks = [ranges[0].lowerValue()] + [r.upperValue() for r in ranges]
    symbol = ranges[0].symbol().clone()
    for index in reversed(range(len(ranges))):
        renderer.deleteClass(index)
    for cls in integer_classes(breaks, unit):
        renderer.addClassRange(
            QgsRendererRange(cls.lower_bound, cls.upper_bound, symbol.clone(), cls.label)
        )


#: The heatmap preview's radius, metres on the ground: a few streets, the scale at which an
#: analyst reads "a cluster" on a force map.
HEATMAP_RADIUS_M = 300.0


def heatmap_renderer(
    radius_m: float = HEATMAP_RADIUS_M,
    map_units_per_metre: Optional[float] = None,
    weight_field: str | None = None,
) -> QgsHeatmapRenderer:
    """The heatmap preset for crime points: a quick visual density while panning.

    The radius is metres on the ground, whatever the map's CRS: by default in QGIS's
    "metres in map units", which QGIS measures on the ellipsoid on a longitude/latitude map
    and takes as map units on a projected one. A projected map whose metres are not ground
    metres where the points are (Web Mercator: 1 / cos(latitude), about 1.6 in Britain, so
    300 "metres" drew some 185 m) needs ``map_units_per_metre`` there
    (:func:`heatmap_map_units_per_metre`): the radius is then set in map units. Why ground
    metres: intelligence staff read the preview's spread as a distance, and a radius in map
    units drew 300 degrees on a lon/lat map. Colours fade in from transparent along the
    palette ramp. This is a preview: the kernel density *surface* (a real raster in crimes
    per km²) is crime_mapper:hotspots_kde.
    """
    renderer = QgsHeatmapRenderer()
    if map_units_per_metre is None:
        renderer.setRadius(float(radius_m))
        renderer.setRadiusUnit(RENDER_METRES_IN_MAP_UNITS)
    else:
        renderer.setRadius(float(radius_m) * map_units_per_metre)
        renderer.setRadiusUnit(RENDER_MAP_UNITS)
    renderer.setColorRamp(sequential_ramp(transparent_low=True))
    renderer.setMaximumValue(0)  # automatic
    renderer.setRenderQuality(2)
    if weight_field:
        renderer.setWeightExpression(QgsExpression.quotedColumnRef(weight_field))
    return renderer


def heatmap_map_units_per_metre(
    layer: QgsVectorLayer, map_crs: QgsCoordinateReferenceSystem
) -> Optional[float]:
    """Map units of ``map_crs`` per metre on the ground at the middle of the layer's points,
    when that CRS is projected in metres that are not ground metres there (by more than
    core.common.projection.GROUND_SCALE_TOLERANCE: Web Mercator in Britain); None when
    QGIS's "metres in map units" already draws ground metres (a lon/lat map, British
    National Grid, a CRS in feet), or the place cannot be measured (an empty layer)."""
    if not map_crs.isValid() or map_crs.isGeographic() or map_crs.mapUnits() != DISTANCE_METRES:
        return None
    if not map_crs.authid() or not layer.crs().isValid():
        return None
    extent = layer.extent()
    middle = extent.center()
    if extent.isNull() or not (math.isfinite(middle.x()) and math.isfinite(middle.y())):
        return None
    try:
        centre = QgsCoordinateTransform(layer.crs(), map_crs, QgsProject.instance()).transform(
            middle
        )
        # (the hexagons' own rule for a CRS whose metres are not ground metres)
        scale = distorted_scale(np.array([centre.x()]), np.array([centre.y()]), map_crs.authid())
    except (QgsCsException, TransformUnavailable):
        return None
    return None if scale is None else 1.0 / scale


def _class_renderer(
    field: str, classes: tuple[palette.ClassStyle, ...]
) -> QgsCategorizedSymbolRenderer:
    categories = [
        QgsRendererCategory(c.value, fill_symbol(c.colour), c.label, True) for c in classes
    ]
    return QgsCategorizedSymbolRenderer(field, categories)


def gi_renderer(field: str = GI_CLASS_FIELD) -> QgsCategorizedSymbolRenderer:
    """Gi* hexagons by class: hot (red) / cold (blue) at 90, 95, 99% confidence, legend in
    plain words ("Hot spot, 99% confidence"), strongest hot spot first."""
    return _class_renderer(field, palette.GI_CLASSES)


def change_renderer(field: str = CHANGE_CLASS_FIELD) -> QgsCategorizedSymbolRenderer:
    """Change-hotspot hexagons: significant increase / decrease at 90, 95, 99% confidence."""
    return _class_renderer(field, palette.CHANGE_CLASSES)


def density_label(value: float) -> str:
    """A legend label for a density value, e.g. "1,250 crimes per km²"."""
    if value >= 100:
        text = f"{value:,.0f}"
    elif value >= 1:
        text = f"{value:,.1f}".rstrip("0").rstrip(".")
    else:
        text = f"{value:.2g}"
    return f"{text} {DENSITY_UNIT}"


def kde_raster_renderer(
    provider: QgsRasterDataProvider, maximum: float, band: int = 1, steps: int = 6
) -> QgsSingleBandPseudoColorRenderer:
    """Pseudo-colour for a KDE surface in crimes per km²: the palette ramp from 0 to
    ``maximum``, with 0 fully transparent (no crime nearby = the basemap shows through) and
    legend entries labelled in crimes per km².

    The legend lists those entries ("0 crimes per km²" … "1,250 crimes per km²"), not QGIS's
    continuous bar, whose only words are the GeoTIFF band's generic name ("Band 1: … (Gray)")
    and two bare numbers: a reader of the layers panel sees what the colours mean."""
    maximum = float(maximum) if maximum and maximum > 0 else 1.0
    items = []
    for i, colour in enumerate(palette.sequential_colours(steps)):
        value = maximum * i / (steps - 1)
        qcolour = QColor(colour)
        if i == 0:
            qcolour.setAlpha(0)
        items.append(QgsColorRampShader.ColorRampItem(value, qcolour, density_label(value)))
    shader_fn = QgsColorRampShader(0.0, maximum)
    shader_fn.setColorRampType(SHADER_INTERPOLATED)
    shader_fn.setSourceColorRamp(sequential_ramp(transparent_low=True))
    shader_fn.setColorRampItemList(items)
    shader_fn.setClassificationMode(SHADER_CONTINUOUS)
    legend = QgsColorRampLegendNodeSettings()
    legend.setUseContinuousLegend(False)
    shader_fn.setLegendSettings(legend)
    shader = QgsRasterShader()
    shader.setRasterShaderFunction(shader_fn)
    renderer = QgsSingleBandPseudoColorRenderer(provider, band, shader)
    renderer.setClassificationMin(0.0)
    renderer.setClassificationMax(maximum)
    return renderer


def keep_present_categories(layer: Any, present: Optional[Iterable[str]] = None) -> int:
    """Drop the categories of a categorized renderer that the layer's data does not hold.

    Why: the crime-type renderer lists every police.uk category, legacy ones included (17
    classes), so a month's legend showed empty and retired classes. Applied where a layer of
    known data is added to a project; the style files keep the full list, so next month's
    categories still draw. ``present``: the categories when the caller knows them already
    (a release's reports count them; reading them from a national layer takes about a
    second on the user interface's thread). Returns how many categories were dropped.
    """
    renderer = layer.renderer()
    if not isinstance(renderer, QgsCategorizedSymbolRenderer):
        return 0
    index = layer.fields().indexOf(renderer.classAttribute())
    if index < 0:
        return 0
    if present is None:
        present = {str(v) for v in layer.uniqueValues(index) if v is not None}
    present = {str(v) for v in present}
    dropped = 0
    for position in reversed(range(len(renderer.categories()))):
        value = renderer.categories()[position].value()
        if value is not None and value != "" and str(value) not in present:
            renderer.deleteCategory(position)
            dropped += 1
    return dropped
