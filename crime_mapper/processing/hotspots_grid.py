"""Processing algorithm crime_mapper:hotspots_grid (crime counts on a hexagon grid), and the
base class the four hotspot algorithms share (parameters, help, running, styling the result).

Every hotspot algorithm calls qgis_bridge.hotspot_task.run_hotspot, the same implementation
as the dock's Hotspots panel, so the toolbox, models, batch mode and qgis_process give the
same files and the same styled layers as the dock.
"""

from __future__ import annotations

from typing import Any, Optional

from qgis.core import (
    QgsMapLayer,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorDestination,
    QgsProcessingParameterVectorLayer,
)

from ..compat import NUMBER_DOUBLE, NUMBER_INTEGER, SOURCE_VECTOR_POINT, SOURCE_VECTOR_POLYGON
from ..core.common.feedback import Cancelled
from ..core.common.text_file import shown_path
from ..core.common.vocabulary import CATEGORY_NAMES
from ..core.hotspots.hexgrid import DEFAULT_MAX_CELLS, SMALLEST_SIZE_M
from ..core.hotspots.methods import HotspotMethod, hotspot_method
from .base import CrimeMapperAlgorithm, LayerStyler

#: CATEGORY enum choices: index 0 = every crime, then the 14 police.uk categories in order.
CATEGORY_CHOICES: list[str] = ["All", *CATEGORY_NAMES]

COMMON_HELP = (
    "\n\nInput (INPUT): a point layer of crimes, e.g. the 'crimes' layer of a load. A layer in "
    "longitude/latitude (WGS84, as loads are) is projected automatically to British National "
    "Grid (EPSG:27700), or to Irish Transverse Mercator (EPSG:2157) when most points are in "
    "Northern Ireland, so that sizes are in metres; a projected layer in metres is used as it "
    "is, unless its metres are more than 1% off metres on the ground where the crimes are "
    "(Web Mercator, EPSG:3857, is 40% off in Britain): it is then projected as a "
    "longitude/latitude layer is, and the log says so; a projected layer in feet or other "
    "units is refused (reproject it first). Crimes "
    "without a location are left out and counted in the log.\n"
    "Category (CATEGORY): 'All' or one police.uk category.\n"
    "Months (MONTHS): empty for all, or a list such as 2022-09,2022-10.\n"
    "Maximum cells (MAX_CELLS): a size that would make more cells than this stops with a "
    "clear message suggesting a larger size, before any memory is used.\n"
    "An empty layer, or no crimes in the chosen months/category, stops with a message "
    "naming what the layer holds.\n\n"
    "The result is written to a file (a GeoPackage, or a GeoTIFF for the density surface) "
    "with its style stored in it, and added to the project styled, with its legend in plain "
    "words; the layer's Information/metadata tab explains the method. Hotspot layers of "
    "internal data are for internal use: a hotspot grid for the public is published from the "
    "public release only, through the leak gate."
)


def hotspot_styler(kind: str, title: str, legend: str) -> LayerStyler:
    """Styles a hotspot result as the dock does (Processing loads it without its style)."""

    def style(layer: QgsMapLayer) -> None:
        from ..qgis_bridge.hotspot_style import name_density_legend, style_hotspot_layer

        style_hotspot_layer(layer, kind, legend, title)
        name_density_legend(layer)  # Processing added it to the layer tree already

    return style


class HotspotAlgorithmBase(CrimeMapperAlgorithm):
    """Shared parameters and run logic; subclasses set KIND and add their own parameters."""

    GROUP_ID = "hotspots"

    INPUT = "INPUT"
    CELL_SIZE = "CELL_SIZE"
    CATEGORY = "CATEGORY"
    MONTHS = "MONTHS"
    MAX_CELLS = "MAX_CELLS"
    FDR = "FDR"
    BANDWIDTH = "BANDWIDTH"
    CURRENT_MONTH = "CURRENT_MONTH"
    BASELINE_MONTHS = "BASELINE_MONTHS"
    OUTPUT = "OUTPUT"
    CELLS = "CELLS"
    CRIMES = "CRIMES"
    LEGEND = "LEGEND"
    CRS = "CRS"

    KIND = "grid"  # a name in core.hotspots.methods.METHODS: defaults and labels come from it

    @classmethod
    def method(cls) -> HotspotMethod:
        return hotspot_method(cls.KIND)

    def tags(self) -> list[str]:
        return ["crime", "hotspot", "hexagon", "grid", "police", "intelligence"]

    # --- parameters -----------------------------------------------------------------------
    def initAlgorithm(self, config: Optional[dict] = None) -> None:
        self.addParameter(
            QgsProcessingParameterVectorLayer(self.INPUT, "Crime points", [SOURCE_VECTOR_POINT])
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.CELL_SIZE,
                self.method().size_label,
                NUMBER_DOUBLE,
                self.method().default_size_m,
                minValue=SMALLEST_SIZE_M,  # (core.hotspots.hexgrid's floor)
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.CATEGORY, "Crime category", CATEGORY_CHOICES, defaultValue=0
            )
        )
        if self.method().uses_months:
            self.addParameter(
                QgsProcessingParameterString(
                    self.MONTHS, "Months (e.g. 2022-09,2022-10; empty = all)", optional=True
                )
            )
        self.add_specific_parameters()
        self.addParameter(
            QgsProcessingParameterNumber(
                self.MAX_CELLS,
                "Maximum number of cells",
                NUMBER_INTEGER,
                self.default_max_cells(),
                minValue=1,
            )
        )
        self.add_output_parameter()
        self.addOutput(QgsProcessingOutputNumber(self.CELLS, "Cells"))
        self.addOutput(QgsProcessingOutputNumber(self.CRIMES, "Crimes analysed"))
        self.addOutput(QgsProcessingOutputString(self.LEGEND, "Explanation (plain words)"))
        self.addOutput(QgsProcessingOutputString(self.CRS, "CRS of the result"))

    def add_specific_parameters(self) -> None:
        """Hook for the method's own parameters (FDR, bandwidth, months to compare)."""

    def add_output_parameter(self) -> None:
        self.addParameter(
            QgsProcessingParameterVectorDestination(
                self.OUTPUT,
                "Hotspot layer (GeoPackage)",
                SOURCE_VECTOR_POLYGON,
            )
        )

    def default_max_cells(self) -> int:
        return DEFAULT_MAX_CELLS

    def add_fdr_parameter(self) -> None:
        self.addParameter(
            QgsProcessingParameterBoolean(
                self.FDR, "False discovery rate correction (Benjamini-Hochberg)", defaultValue=False
            )
        )

    # --- running --------------------------------------------------------------------------
    def settings(self, parameters: dict, context: QgsProcessingContext) -> Any:
        from ..qgis_bridge.hotspot_task import HotspotSettings

        index = self.parameter_enum(parameters, self.CATEGORY, context)
        category = None if index <= 0 else CATEGORY_CHOICES[index]
        months = (
            self.parameterAsString(parameters, self.MONTHS, context)
            if self.method().uses_months
            else ""
        )
        return HotspotSettings(
            method=self.KIND,
            cell_size_m=self.parameterAsDouble(parameters, self.CELL_SIZE, context),
            category=category,
            months=months or [],
            max_cells=self.parameter_whole(parameters, self.MAX_CELLS, context),
        )

    def output_path(self, parameters: dict, context: QgsProcessingContext) -> str:
        path = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        if not path.lower().endswith(".gpkg"):
            raise QgsProcessingException(
                f"The hotspot layer is written as a GeoPackage: choose a .gpkg file (not "
                f"{shown_path(path)})"
            )
        return path

    def processAlgorithm(
        self,
        parameters: dict,
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict:
        from ..core.hotspots.hexgrid import HotspotInputError
        from ..core.hotspots.selection import parse_months
        from ..qgis_bridge.hotspot_task import run_hotspot

        layer = self.parameterAsVectorLayer(parameters, self.INPUT, context)
        if layer is None:
            raise QgsProcessingException("No crime point layer given (INPUT).")
        out_path = self.output_path(parameters, context)
        try:
            settings = self.settings(parameters, context)
            settings.months = parse_months(settings.months)
            outputs = run_hotspot(layer, out_path, settings, self.core_feedback(feedback))
        except Cancelled as exc:
            raise QgsProcessingException("Cancelled: earlier outputs were left unchanged.") from exc
        except HotspotInputError as exc:  # includes TooManyCells: written for the analyst
            raise QgsProcessingException(str(exc)) from exc
        if feedback is not None:
            feedback.pushInfo(outputs.legend_text)
            for note in outputs.notes:
                feedback.pushInfo(note)
            feedback.pushInfo(
                f"{outputs.cells:,} cells, {outputs.crimes:,} crimes, "
                f"CRS {outputs.crs}; written to {shown_path(outputs.path)}"
            )
        self.style_destination_on_completion(
            context,
            out_path,
            outputs.title,
            hotspot_styler(outputs.kind, outputs.title, outputs.legend_text),
        )
        return {
            self.OUTPUT: out_path,
            self.CELLS: outputs.cells,
            self.CRIMES: outputs.crimes,
            self.LEGEND: outputs.legend_text,
            self.CRS: outputs.crs,
            **self.more_results(outputs),
        }

    def more_results(self, outputs: Any) -> dict:
        """Hook for a method's own outputs (the change algorithm's baseline count)."""
        return {}


class HotspotsGridAlgorithm(HotspotAlgorithmBase):
    """Crime counts per hexagon, styled as a graduated choropleth."""

    KIND = "grid"

    def name(self) -> str:
        return "hotspots_grid"

    def displayName(self) -> str:
        return "Hotspots: crime counts on a hexagon grid"

    def help_text(self) -> str:
        return (
            "Counts crimes per hexagon and draws the counts darker where there are more "
            "crimes (five classes, quantiles, colours from the crime_mapper palette).\n\n"
            "Hexagon size (CELL_SIZE) is the distance in metres between neighbouring cell "
            "centres (500 m is a street-block view of a town; 250 m for a city centre, 1,000 m "
            "or more for a whole force). The grid is anchored at the origin of the projected "
            "CRS, so a given size always gives the same cells: this month's grid lines up cell "
            "for cell with last month's.\n\n"
            "Output fields: q, r (cell address), x, y (cell centre), count." + COMMON_HELP
        )
