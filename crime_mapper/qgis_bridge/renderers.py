"""QGIS renderers built from the one palette (crime_mapper.core.palette).

The crimes layer is drawn with a categorized renderer on ``crime_type`` holding every
current and legacy category in police.uk order, whether or not the month contains it: the
legend then looks the same every month, so analysts (and anyone comparing two months side
by side) find each category in the same place and colour. A final catch-all category draws
anything else in the palette's no-data grey instead of hiding it.
"""

from __future__ import annotations

from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsMarkerSymbol,
    QgsRendererCategory,
    QgsSimpleMarkerSymbolLayer,
    QgsSimpleMarkerSymbolLayerBase,
    QgsSingleSymbolRenderer,
)
from qgis.PyQt.QtGui import QColor

from ..core import palette
from ..core.vocabulary import all_category_names

CRIME_TYPE_FIELD = "crime_type"
MARKER_SIZE_MM = 2.4
OUTLINE_WIDTH_MM = 0.15
OTHER_VALUES_LABEL = "Other or unknown"


def marker_symbol(colour: str, shape_name: str = "circle",
                  size: float = MARKER_SIZE_MM) -> QgsMarkerSymbol:
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
        categories.append(QgsRendererCategory(name, marker_symbol(style.colour, style.marker),
                                              style.label, True))
    categories.append(QgsRendererCategory(
        "", marker_symbol(palette.NO_DATA_COLOUR, "circle"), OTHER_VALUES_LABEL, True))
    return categories


def crime_type_renderer(field: str = CRIME_TYPE_FIELD) -> QgsCategorizedSymbolRenderer:
    """The categorized renderer by crime type that every crimes layer uses."""
    return QgsCategorizedSymbolRenderer(field, crime_type_categories())


def stop_search_renderer() -> QgsSingleSymbolRenderer:
    """Stop and search points: one neutral symbol, distinct in shape from crime markers."""
    return QgsSingleSymbolRenderer(marker_symbol("#1f1f1f", "cross2", 2.6))
