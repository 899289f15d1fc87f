"""The neighbourhood PDF atlas: a QGIS print layout with an atlas over the neighbourhood layer
of a summaries export, one A4 page per neighbourhood, exported headless with
QgsLayoutExporter.

Each page: the neighbourhood's name and period, a map of its published crimes of the period
(styled by category with the shared palette, the neighbourhood outlined), its key figures, its
12-month trend chart and its outcomes chart (how crime is being tackled; the same SVGs as its
web page, placed as pictures) and the licence line.

Only gated material reaches the atlas: the neighbourhood layer and the figures come from the
summaries folder after the leak gate passed on it, and the crimes from the public release
table (police.uk columns, map-point coordinates). The PDF is written beside its final name
and moved into place, so a failure leaves the previous atlas intact.

Fonts: every text uses ``ATLAS_FONT`` (DejaVu Sans, Debian's fonts-dejavu-core, installed
by tools/ensure_setup.sh) so the layout looks the same on every machine instead of falling
back silently to whatever the machine has.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pandas as pd
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsFeedback,
    QgsField,
    QgsFillSymbol,
    QgsGeometry,
    QgsLayoutExporter,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemMap,
    QgsLayoutItemPicture,
    QgsLayoutMeasurement,
    QgsLayoutObject,
    QgsLayoutPoint,
    QgsLayoutSize,
    QgsLegendRenderer,
    QgsLegendStyle,
    QgsPointXY,
    QgsPrintLayout,
    QgsProject,
    QgsProperty,
    QgsRectangle,
    QgsSingleSymbolRenderer,
    QgsSymbolLayer,
    QgsTextFormat,
    QgsUnitTypes,
    QgsVectorLayer,
)
from qgis.PyQt.QtGui import QColor, QFont

from ..compat import FIELD_STRING, RENDER_POINTS, TEXT_ALWAYS_TEXT
from ..core.common.feedback import Cancelled, Feedback, ScaledFeedback
from ..core.common.projection import choose_crs
from ..core.common.staging import Staging, staged_outputs
from ..core.common.text_file import shown_line
from ..core.publish.summaries_export import GPKG_NAME, LAYER, outline_vertices
from ..core.publish.summaries_render import LICENCE, SummaryRenderer, period_label
from .renderers import crime_type_renderer
from .transform_context import set_default_transforms

ATLAS_FONT = "DejaVu Sans"
CRIME_TYPE_FIELD = "crime_type"


def _text_format(size: float, bold: bool = False) -> QgsTextFormat:
    fmt = QgsTextFormat()
    font = QFont(ATLAS_FONT)
    font.setBold(bold)
    fmt.setFont(font)
    fmt.setSize(size)
    fmt.setSizeUnit(RENDER_POINTS)
    fmt.setColor(QColor("#1a1a1a"))
    return fmt


def _label(
    layout: QgsPrintLayout,
    text: str,
    x: float,
    y: float,
    w: float,
    h: float,
    size: float,
    bold: bool = False,
) -> QgsLayoutItemLabel:
    label = QgsLayoutItemLabel(layout)
    label.setText(text)
    if hasattr(label, "setTextFormat"):
        label.setTextFormat(_text_format(size, bold))
    else:  # QGIS < 3.24
        font = QFont(ATLAS_FONT)
        font.setPointSizeF(size)
        font.setBold(bold)
        label.setFont(font)
        label.setFontColor(QColor("#1a1a1a"))
    label.attemptMove(QgsLayoutPoint(x, y, QgsUnitTypes.LayoutUnit.LayoutMillimeters))
    label.attemptResize(QgsLayoutSize(w, h, QgsUnitTypes.LayoutUnit.LayoutMillimeters))
    layout.addLayoutItem(label)
    return label


def _literal(text: str) -> str:
    """A QGIS expression string literal (quotes doubled; no '%]' can end the label's
    expression early)."""
    return "'" + text.replace("'", "''").replace("%]", "% ]") + "'"


def crimes_layer(public: pd.DataFrame, rows: np.ndarray) -> QgsVectorLayer:
    """A memory point layer of the given release rows that have coordinates."""
    layer = QgsVectorLayer("Point?crs=EPSG:4326", "Published crimes", "memory")
    provider = layer.dataProvider()
    provider.addAttributes(
        [QgsField(CRIME_TYPE_FIELD, FIELD_STRING), QgsField("location", FIELD_STRING)]
    )
    layer.updateFields()
    sub = public.iloc[rows]
    sub = sub[(sub["Longitude"] != "") & (sub["Latitude"] != "")]
    lon = pd.to_numeric(sub["Longitude"], errors="coerce").to_numpy()
    lat = pd.to_numeric(sub["Latitude"], errors="coerce").to_numpy()
    features = []
    for x, y, cat, loc in zip(lon, lat, sub["Crime type"].tolist(), sub["Location"].tolist()):
        if not (np.isfinite(x) and np.isfinite(y)):
            continue
        feature = QgsFeature(layer.fields())
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(float(x), float(y))))
        feature.setAttributes([cat, loc])
        features.append(feature)
    provider.addFeatures(features)
    layer.updateExtents()
    layer.setRenderer(crime_type_renderer(CRIME_TYPE_FIELD))
    return layer


OUTCOMES_CAPTION = "How crime is being tackled: latest outcomes of the period's crimes"
_NO_OUTCOMES_SVG = (
    '<svg viewBox="0 0 640 40" role="img"><text x="0" y="24" font-size="16" '
    'font-family="DejaVu Sans" fill="#1a1a1a">No crimes in the period: no outcomes.</text></svg>'
)


def _fit(box: QgsRectangle, ratio: float) -> QgsRectangle:
    """``box`` widened or heightened about its centre to width/height == ``ratio``."""
    width, height = max(box.width(), 1.0), max(box.height(), 1.0)
    if width / height < ratio:
        width = height * ratio
    else:
        height = width / ratio
    centre = box.center()
    return QgsRectangle(
        centre.x() - width / 2,
        centre.y() - height / 2,
        centre.x() + width / 2,
        centre.y() + height / 2,
    )


def _standalone(svg: str) -> str:
    """An inline page SVG as a file QGIS's picture item can read (with its namespace)."""
    return svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)


def _chart(
    layout: QgsPrintLayout, charts: Path, suffix: str, x: float, y: float, w: float, h: float
) -> QgsLayoutItemPicture:
    """A picture item showing each atlas page's own chart file (<slug><suffix>)."""
    mm = QgsUnitTypes.LayoutUnit.LayoutMillimeters
    chart = QgsLayoutItemPicture(layout)
    chart.attemptMove(QgsLayoutPoint(x, y, mm))
    chart.attemptResize(QgsLayoutSize(w, h, mm))
    enum = getattr(QgsLayoutObject, "DataDefinedProperty", QgsLayoutObject)  # 3.22: unscoped
    chart.dataDefinedProperties().setProperty(
        enum.PictureSource,
        QgsProperty.fromExpression(f"'{charts.as_posix()}/' || \"slug\" || '{suffix}'"),
    )
    layout.addLayoutItem(chart)
    return chart


def export_atlas(
    done: Any,
    public: pd.DataFrame,
    pdf_path: Any,
    *,
    slugs: Optional[list[str]] = None,
    title: str = "Neighbourhood crime summaries",
    feedback: Optional[Feedback] = None,
    staging: Optional[Staging] = None,
) -> Path:
    """Write the PDF atlas of a SummaryExport (``done``) for the neighbourhoods ``slugs``
    (default all), from the public release table it was made from (``done.table`` when the
    export carries it: with history months it is longer than the release CSV). A cancel of
    ``feedback`` (asked before the export and before the PDF is moved into place) raises
    Cancelled and leaves any earlier atlas as it was (the monthly release's publish.atlas).
    ``staging``: the caller's core.common.staging.Staging, which then holds the PDF and
    moves it into place with its other outputs when it commits (the monthly release's
    publish step; ``done`` may then be staged too: its GeoPackage is read where it is
    now); None: the PDF is moved into place here."""
    feedback = feedback or Feedback()
    feedback.check()
    if getattr(done, "table", None) is not None:
        public = done.table
    if len(public) != len(done.assignment.index):
        raise ValueError("the atlas needs the table the summaries were made from")
    s = done.summaries
    hoods = s.hoods
    all_slugs = hoods.slugs
    wanted = set(slugs) if slugs else set(all_slugs)
    chosen = [i for i, slug in enumerate(all_slugs) if slug in wanted]
    if not chosen:
        raise ValueError("no neighbourhood to put in the atlas")
    project = QgsProject()
    folder = Path(getattr(done, "files_at", done.folder))  # (staged, or in place)
    coverage = QgsVectorLayer(f"{folder / GPKG_NAME}|layername={LAYER}", "Neighbourhoods", "ogr")
    if not coverage.isValid():
        raise RuntimeError(f"cannot open the neighbourhood layer in {shown_line(done.folder)}")
    outline = QgsFillSymbol.createSimple(
        {"color": "255,255,255,0", "outline_color": "35,35,35,255", "outline_width": "0.6"}
    )
    # the page's own neighbourhood drawn with a thick outline, its neighbours thin
    prop_enum = getattr(QgsSymbolLayer, "Property", QgsSymbolLayer)
    stroke = getattr(prop_enum, "StrokeWidth", None) or QgsSymbolLayer.PropertyStrokeWidth
    outline.symbolLayer(0).setDataDefinedProperty(
        stroke, QgsProperty.fromExpression("if(@atlas_featureid = $id, 1.4, 0.3)")
    )
    coverage.setRenderer(QgsSingleSymbolRenderer(outline))
    month_rows = np.flatnonzero(public["Month"].isin(s.period).to_numpy())
    in_hood = np.isin(done.assignment.index[month_rows], chosen)
    crimes = crimes_layer(public, month_rows[in_hood])
    project.addMapLayers([coverage, crimes])
    # drawn in the national grid (British or Irish), not in degrees, which stretch the map
    # east-west by 1/cos(latitude)
    lon, lat = outline_vertices(hoods)
    map_crs = QgsCoordinateReferenceSystem(choose_crs(lon, lat))
    project.setCrs(map_crs)
    set_default_transforms(project)

    renderer = SummaryRenderer(s, all_slugs)
    charts = Path(tempfile.mkdtemp(prefix="crime_mapper_atlas_"))
    facts: dict[str, str] = {}
    for i in chosen:
        ctx = renderer.page_context(i)
        (charts / f"{all_slugs[i]}.svg").write_text(_standalone(ctx["trend_svg"]), "utf-8")
        outcomes = ctx["outcome_svg"] or _NO_OUTCOMES_SVG
        (charts / f"{all_slugs[i]}.outcomes.svg").write_text(_standalone(outcomes), "utf-8")
        facts[all_slugs[i]] = "\n".join(
            [
                f"Crimes: {ctx['count_text']}",
                f"{ctx['previous_heading']}: {ctx['previous_change']}",
                f"Change on a year earlier: {ctx['year_change']}",
                f"Per 1,000 residents: {ctx['rate']} (force {ctx['force_rate']}, "
                f"similar areas {ctx['similar_rate']})",
                f"Rank in the force: {ctx['rank']} of {ctx['ranked_of']}",
                f"More than chance? {ctx['chance']}",
            ]
        )

    layout = QgsPrintLayout(project)
    layout.initializeDefaults()  # one A4 landscape page; make it portrait
    page = layout.pageCollection().page(0)
    page.setPageSize("A4", page.Orientation.Portrait)
    mm = QgsUnitTypes.LayoutUnit.LayoutMillimeters

    title_label = _label(layout, "", 12, 10, 186, 12, 18, bold=True)
    title_label.setText('[% "name" %]')
    _label(layout, f"{title}, {period_label(s.period)}", 12, 22, 186, 7, 10)

    map_item = QgsLayoutItemMap(layout)
    map_item.attemptMove(QgsLayoutPoint(12, 31, mm))
    map_item.attemptResize(QgsLayoutSize(186, 100, mm))
    map_item.setCrs(map_crs)
    map_item.setLayers([crimes, coverage])
    map_item.setFrameEnabled(True)
    map_item.setFrameStrokeWidth(QgsLayoutMeasurement(0.3, mm))
    map_item.setAtlasDriven(True)
    map_item.setAtlasScalingMode(QgsLayoutItemMap.AtlasScalingMode.Auto)
    map_item.setAtlasMargin(0.12)
    layout.addLayoutItem(map_item)
    map_item.attemptMove(QgsLayoutPoint(12, 31, mm))
    map_item.attemptResize(QgsLayoutSize(186, 100, mm))
    # The atlas keeps the shape of the map's extent and resizes the item to it, so the
    # extent starts with exactly the item's shape (else the map grows over the figures).
    to_map = QgsCoordinateTransform(coverage.crs(), map_crs, project)
    map_item.setExtent(_fit(to_map.transformBoundingBox(coverage.extent()), 186 / 100))

    legend = QgsLayoutItemLegend(layout)
    legend.setLinkedMap(map_item)
    legend.setAutoUpdateModel(False)
    legend.model().rootGroup().clear()
    legend.model().rootGroup().addLayer(crimes)
    legend.setLegendFilterByMapEnabled(True)
    legend.setTitle("Crimes by type (locations are approximate)")
    legend.setColumnCount(3)
    legend.setSplitLayer(True)
    legend.setSymbolWidth(3.5)
    legend.setSymbolHeight(3.0)
    legend.attemptMove(QgsLayoutPoint(12, 134, mm))
    legend.setBackgroundEnabled(False)
    for which, size, bold in (
        (QgsLegendStyle.Style.Title, 9, True),
        (QgsLegendStyle.Style.Group, 8, False),
        (QgsLegendStyle.Style.Subgroup, 8, False),
        (QgsLegendStyle.Style.SymbolLabel, 7, False),
    ):
        style = legend.rstyle(which)
        if hasattr(style, "setTextFormat"):  # QGIS >= 3.30 (setFont is deprecated there)
            style.setTextFormat(_text_format(size, bold))
        else:
            font = QFont(ATLAS_FONT, size)
            font.setBold(bold)
            style.setFont(font)
    layer_node = legend.model().rootGroup().findLayer(crimes)
    if layer_node is not None:
        QgsLegendRenderer.setNodeLegendStyle(layer_node, QgsLegendStyle.Style.Hidden)
    layout.addLayoutItem(legend)

    facts_label = _label(layout, "", 12, 174, 95, 44, 9)
    pairs = ", ".join(f"{_literal(k)}, {_literal(v)}" for k, v in facts.items())
    facts_label.setText(f'[% map_get(map({pairs}), "slug") %]')

    _chart(layout, charts, ".svg", 110, 173, 88, 38)
    _label(layout, "Crimes per month, last 12 months", 110, 212, 88, 6, 8)
    _label(layout, OUTCOMES_CAPTION, 12, 220, 186, 6, 9, bold=True)
    _chart(layout, charts, ".outcomes.svg", 12, 227, 186, 54)
    _label(layout, LICENCE, 12, 284, 186, 8, 7)

    atlas = layout.atlas()
    atlas.setCoverageLayer(coverage)
    atlas.setEnabled(True)
    atlas.setPageNameExpression('"name"')
    quoted = ",".join("'" + all_slugs[i].replace("'", "''") + "'" for i in chosen)
    atlas.setFilterFeatures(True)
    atlas.setFilterExpression(f'"slug" IN ({quoted})')
    atlas.setSortFeatures(True)
    atlas.setSortExpression('"name"')

    settings = QgsLayoutExporter.PdfExportSettings()
    settings.rasterizeWholeImage = False
    settings.forceVectorOutput = False
    settings.dpi = 150
    settings.textRenderFormat = TEXT_ALWAYS_TEXT
    pdf_path = Path(pdf_path)
    try:
        with staged_outputs() if staging is None else contextlib.nullcontext(staging) as stage:
            staged = stage.path_for(pdf_path)
            result, error = QgsLayoutExporter.exportToPdf(
                atlas, str(staged), settings, _page_cancel(feedback)
            )
            if result == QgsLayoutExporter.ExportResult.Canceled:
                raise Cancelled("cancelled by the user")
            if result != QgsLayoutExporter.ExportResult.Success:
                raise RuntimeError(f"the PDF atlas could not be exported: {error or result}")
            feedback.check()  # (cancelled while exporting: the staged PDF is not moved in)
    finally:
        shutil.rmtree(charts, ignore_errors=True)
    return pdf_path


def _page_cancel(feedback: Feedback) -> QgsFeedback:
    """A QgsFeedback for QgsLayoutExporter.exportToPdf that turns cancelled at the first
    page begun after ``feedback`` was cancelled (the exporter reports its progress before
    each page, and checks the cancel there, in QGIS 3.22 as in 3.40). Why: the cancel was
    heard only once the whole PDF was written, minutes for a national atlas of 7,200
    pages; asked once a page, it costs nothing beside drawing the page. The exporter's
    progress (0 to 100 over the pages) goes to ``feedback`` too."""
    cancel = QgsFeedback()

    def asked(progress: float) -> None:
        feedback.set_progress(progress)  # (the pages drawn, on the caller's progress bar)
        if not cancel.isCanceled() and feedback.is_cancelled():
            cancel.cancel()

    cancel.progressChanged.connect(asked)
    return cancel


#: The part of a summaries-and-atlas run's progress bar the summaries fill (the atlas: the rest)
SUMMARIES_SHARE = 50.0


class AtlasFailed(RuntimeError):
    """The PDF atlas could not be made (not cancelled); the summaries were not moved in."""


def summaries_with_atlas(
    make_summaries: Callable[[Feedback, Staging], Any],
    public: Callable[[], pd.DataFrame],
    pdf_path: Any,
    feedback: Feedback,
) -> Any:
    """The summaries ``make_summaries(feedback, staging)`` makes (run_summaries with that
    ``staging``), then their PDF atlas at ``pdf_path`` from the release table ``public()``,
    moved into place together at one commit; the SummaryExport, in place.

    Why: the dock's Summaries tab and Processing's ATLAS made the atlas without their
    cancel, so Cancel waited for every page; and the summaries were moved in before the
    atlas began, so a cancel (or a failure) of the atlas left this month's summaries beside
    last month's atlas. Now a cancel stops the atlas at its next page and raises Cancelled,
    and the earlier summaries and atlas stay exactly as they were (no half-written PDF), as
    the monthly release's publish step does. A failure of the atlas raises AtlasFailed
    (nothing moved in either)."""
    with staged_outputs() as staging:
        done = make_summaries(ScaledFeedback(feedback, 0.0, SUMMARIES_SHARE), staging)
        pages = ScaledFeedback(feedback, SUMMARIES_SHARE, 100.0)
        try:
            export_atlas(done, public(), pdf_path, feedback=pages, staging=staging)
        except Cancelled:
            raise
        except Exception as exc:  # noqa: BLE001 - said as the atlas's failure, not lost
            raise AtlasFailed(str(exc)) from exc
        feedback.check()  # (the last cancel kept to: nothing moved in)
    done.staged = None  # (committed: its files are in its folder now)
    return done
