"""Renderers from the palette and style files: graduated choropleths (quantile, natural
breaks, equal interval) on the bundled Leicester LSOAs with real crime counts, the heatmap
preset, and QML + SLD saved and re-applied (including what SLD loses)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from qgis.core import (
    QgsExpression,
    QgsExpressionContext,
    QgsFeatureRequest,
    QgsField,
    QgsRasterLayer,
    QgsSimpleMarkerSymbolLayerBase,
    QgsVectorLayer,
)

from crime_mapper.compat import FIELD_INT, RENDER_METRES_IN_MAP_UNITS
from crime_mapper.core.common import palette
from crime_mapper.core.load.loader import load_extracts
from crime_mapper.qgis_bridge import hotspot_input, hotspot_style
from crime_mapper.qgis_bridge import hotspot_layers as hl
from crime_mapper.qgis_bridge.layers import CRIMES_TABLE, crimes_layer, gpkg_uri
from crime_mapper.qgis_bridge.renderers import (
    classification_method,
    graduated_renderer,
    heatmap_renderer,
)
from crime_mapper.qgis_bridge.run_load import run_load
from crime_mapper.qgis_bridge.styles import StyleError, apply_style, save_style

REPO = Path(__file__).resolve().parent.parent
LSOA = REPO / "sample_data" / "boundaries" / "LSOA_Dec_2011_BSC_leicester_city.geojson"
LEICS_OCT = REPO / "sample_data" / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"


@pytest.fixture(scope="module")
def lsoa_counts(qgis_app) -> QgsVectorLayer:
    """Leicester city LSOAs (memory copy) with a 'crimes' field: October 2022 counts."""
    counts = Counter(load_extracts([LEICS_OCT]).crimes["lsoa_code"].astype(str))
    source = QgsVectorLayer(str(LSOA), "lsoa", "ogr")
    assert source.isValid() and source.featureCount() == 192
    layer = source.materialize(QgsFeatureRequest())
    layer.startEditing()
    layer.addAttribute(QgsField("crimes", FIELD_INT))
    layer.updateFields()
    index = layer.fields().indexOf("crimes")
    for feature in layer.getFeatures():
        layer.changeAttributeValue(feature.id(), index, counts.get(feature["LSOA11CD"], 0))
    assert layer.commitChanges()
    return layer


@pytest.fixture(scope="module")
def crimes_gpkg(qgis_app, tmp_path_factory) -> Path:
    return run_load([LEICS_OCT], tmp_path_factory.mktemp("load")).gpkg


@pytest.mark.parametrize("method", ["quantile", "jenks", "equal_interval"])
def test_graduated_choropleth_of_counts(lsoa_counts, method):
    renderer = graduated_renderer(lsoa_counts, "crimes", method, 5)
    ranges = renderer.ranges()
    assert len(ranges) == 5
    assert [r.symbol().color().name() for r in ranges] == palette.sequential_colours(5)
    assert all(r.label().endswith((" crimes", " crime")) for r in ranges)
    values = [f["crimes"] for f in lsoa_counts.getFeatures()]
    assert ranges[0].lowerValue() <= min(values) and ranges[-1].upperValue() >= max(values)
    per_class = [sum(1 for v in values if r.lowerValue() <= v <= r.upperValue()) for r in ranges]
    if method == "equal_interval":
        # equal widths, up to the rounding of the breaks to whole numbers (counts)
        widths = [r.upperValue() - r.lowerValue() for r in ranges]
        assert max(widths) - min(widths) <= 1.0
    if method == "quantile":
        assert max(per_class) - min(per_class) <= 10  # 192 areas, about 38 each
    if method == "jenks":  # natural breaks put the few very busy areas (city centre) apart
        assert per_class[-1] < 192 / 5
    lsoa_counts.setRenderer(renderer)
    assert lsoa_counts.renderer().type() == "graduatedSymbol"


def _label_range(label: str) -> tuple[int, int]:
    numbers = [int(n.replace(",", "")) for n in re.findall(r"[\d,]+", label)]
    return numbers[0], numbers[-1]


@pytest.mark.parametrize("method", ["quantile", "jenks", "equal_interval"])
def test_count_classes_are_whole_numbers_that_do_not_overlap(lsoa_counts, method, tmp_path):
    """Issue 11: a count legend read "1 to 1", "1 to 2", "2 to 5"... Now each class's label
    names exactly the whole numbers it holds, classes follow one another without overlap, and
    the SLD's rule filters put every area in the class its label names."""
    renderer = graduated_renderer(lsoa_counts, "crimes", method, 5)
    ranges = renderer.ranges()
    spans = [_label_range(r.label()) for r in ranges]
    assert all(low <= high for low, high in spans)
    assert all(spans[i + 1][0] == spans[i][1] + 1 for i in range(len(spans) - 1))
    values = [f["crimes"] for f in lsoa_counts.getFeatures()]
    for value in values:
        holding = [i for i, r in enumerate(ranges) if r.lowerValue() <= value <= r.upperValue()]
        assert len(holding) == 1, value
        low, high = spans[holding[0]]
        assert low <= value <= high, (value, ranges[holding[0]].label())
    assert not any(" to " in r.label() and len(set(_label_range(r.label()))) == 1 for r in ranges)
    lsoa_counts.setRenderer(renderer)
    sld = tmp_path / "counts.sld"
    save_style(lsoa_counts, None, sld)
    fresh = lsoa_counts.clone()
    apply_style(fresh, sld)
    context = QgsExpressionContext()
    for rule, (low, high) in zip(fresh.renderer().rootRule().children(), spans):
        expression = QgsExpression(rule.filterExpression())
        for feature in lsoa_counts.getFeatures():
            context.setFeature(feature)
            assert bool(expression.evaluate(context)) == (low <= feature["crimes"] <= high)


def test_classification_names(qgis_app):
    assert classification_method("natural breaks").id() == "Jenks"
    assert classification_method("Quantile").id() == "Quantile"
    assert classification_method("equal_interval").id() == "EqualInterval"
    with pytest.raises(ValueError, match="quantile, jenks, equal_interval"):
        classification_method("pretty")


def test_choropleth_qml_and_sld_round_trip(lsoa_counts, tmp_path):
    lsoa_counts.setRenderer(graduated_renderer(lsoa_counts, "crimes", "jenks", 5))
    qml, sld = tmp_path / "areas.qml", tmp_path / "areas.sld"
    assert save_style(lsoa_counts, qml, sld) == [qml, sld]
    fresh = QgsVectorLayer(str(LSOA), "fresh", "ogr").materialize(QgsFeatureRequest())
    fresh.startEditing()
    fresh.addAttribute(QgsField("crimes", FIELD_INT))
    fresh.commitChanges()
    apply_style(fresh, sld)
    rules = fresh.renderer().rootRule().children()
    assert [r.symbol().color().name() for r in rules] == palette.sequential_colours(5)
    assert all(r.label().endswith(" crimes") for r in rules)
    apply_style(fresh, qml)
    assert fresh.renderer().type() == "graduatedSymbol"
    assert [r.label() for r in fresh.renderer().ranges()] == [
        r.label() for r in lsoa_counts.renderer().ranges()
    ]


def test_heatmap_preset(crimes_gpkg, tmp_path):
    layer = QgsVectorLayer(gpkg_uri(crimes_gpkg, CRIMES_TABLE), "c", "ogr")
    renderer = heatmap_renderer(300.0)
    assert renderer.radius() == 300.0
    assert renderer.radiusUnit() == RENDER_METRES_IN_MAP_UNITS  # metres on the ground
    ramp = renderer.colorRamp()
    assert ramp.color1().alpha() == 0  # no crime = no colour over the basemap
    assert ramp.color2().name() == palette.SEQUENTIAL_RAMP[-1]
    layer.setRenderer(renderer)
    qml = tmp_path / "heat.qml"
    save_style(layer, qml)
    with pytest.raises(StyleError, match="SLD cannot describe a heatmap"):
        save_style(layer, sld_path=tmp_path / "heat.sld")
    fresh = QgsVectorLayer(gpkg_uri(crimes_gpkg, CRIMES_TABLE), "f", "ogr")
    apply_style(fresh, qml)
    assert fresh.renderer().type() == "heatmapRenderer"
    assert fresh.renderer().radius() == 300.0


def test_crime_markers_keep_shapes_through_sld(crimes_gpkg, tmp_path):
    layer = crimes_layer(crimes_gpkg)
    sld = tmp_path / "crimes.sld"
    save_style(layer, sld_path=sld)
    fresh = QgsVectorLayer(
        gpkg_uri(crimes_gpkg, CRIMES_TABLE), "f", "ogr", QgsVectorLayer.LayerOptions(False)
    )
    apply_style(fresh, sld)
    rules = {r.label(): r.symbol() for r in fresh.renderer().rootRule().children()}
    for name, style in palette.CATEGORY_STYLES.items():
        symbol = rules[style.label]
        assert symbol.color().name() == style.colour
        shape, _ = QgsSimpleMarkerSymbolLayerBase.decodeShape(style.marker)
        assert symbol.symbolLayer(0).shape() == shape, name


def test_gi_style_round_trip_keeps_legend_and_explanation(crimes_gpkg, tmp_path):
    points = hotspot_input.points_from_layer(str(crimes_gpkg))
    out = hl.run_gi(
        points,
        tmp_path / "gi.gpkg",
        cell_size_m=300.0,
        qml_path=tmp_path / "gi.qml",
        sld_path=tmp_path / "gi.sld",
    )
    assert out.qml.is_file() and out.sld.is_file()
    sld_text = out.sld.read_text(encoding="utf-8")
    assert "Hot spot, 99% confidence" in sld_text and palette.GI_CLASSES[0].colour in sld_text
    fresh = QgsVectorLayer(out.uri, "f", "ogr", QgsVectorLayer.LayerOptions(False))
    apply_style(fresh, out.sld)  # SLD: same classes, as rules; no explanation
    rules = fresh.renderer().rootRule().children()
    assert [(r.label(), r.symbol().color().name()) for r in rules] == [
        (c.label, c.colour) for c in palette.GI_CLASSES
    ]
    assert hotspot_style.legend_text(fresh) == ""
    apply_style(fresh, out.qml)  # QML: the categorized renderer and the explanation
    assert fresh.renderer().type() == "categorizedSymbol"
    assert hotspot_style.legend_text(fresh) == out.legend_text


def test_kde_style_qml_reapplies_and_raster_sld_is_refused(crimes_gpkg, tmp_path):
    points = hotspot_input.points_from_layer(str(crimes_gpkg))
    out = hl.run_kde(points, tmp_path / "kde.tif", cell_m=100.0, sld_path=tmp_path / "kde.sld")
    assert "crimes per km²" in out.sld.read_text(encoding="utf-8")
    layer = QgsRasterLayer(str(out.path), "k", "gdal")
    with pytest.raises(StyleError, match="use the QML"):
        apply_style(layer, out.sld)
    apply_style(layer, out.path.with_suffix(".qml"))
    assert layer.renderer().type() == "singlebandpseudocolor"
    assert hotspot_style.legend_text(layer) == out.legend_text


def test_apply_style_errors(qgis_app, tmp_path, lsoa_counts):
    with pytest.raises(StyleError, match="not found"):
        apply_style(lsoa_counts, tmp_path / "missing.qml")
    other = tmp_path / "style.txt"
    other.write_text("x", encoding="utf-8")
    with pytest.raises(StyleError, match="not a style file"):
        apply_style(lsoa_counts, other)
    with pytest.raises(ValueError):
        save_style(lsoa_counts)
