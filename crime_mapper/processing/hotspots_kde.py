"""Processing algorithm crime_mapper:hotspots_kde — kernel density surface (GeoTIFF)."""

from __future__ import annotations

import math
from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingParameterExtent,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
)

from ..compat import NUMBER_DOUBLE
from ..core.common.text_file import shown_path
from .hotspots_grid import COMMON_HELP, HotspotAlgorithmBase


class HotspotsKdeAlgorithm(HotspotAlgorithmBase):
    """Quartic kernel density of crimes in crimes per km², as a styled GeoTIFF."""

    KIND = "kde"
    EXTENT = "EXTENT"

    def name(self) -> str:
        return "hotspots_kde"

    def displayName(self) -> str:
        return "Hotspots: kernel density surface"

    def tags(self) -> list[str]:
        return [*super().tags(), "kde", "kernel density", "heatmap", "raster", "bandwidth"]

    def add_specific_parameters(self) -> None:
        self.addParameter(
            QgsProcessingParameterNumber(
                self.BANDWIDTH,
                "Bandwidth in metres (0 = automatic rule)",
                NUMBER_DOUBLE,
                0.0,
                minValue=0.0,
            )
        )
        self.addParameter(
            QgsProcessingParameterExtent(
                self.EXTENT, "Area to map (empty = where the crimes are)", optional=True
            )
        )

    def add_output_parameter(self) -> None:
        self.addParameter(
            QgsProcessingParameterRasterDestination(self.OUTPUT, "Density surface (GeoTIFF)")
        )

    def default_max_cells(self) -> int:
        from ..core.hotspots.kde import DEFAULT_MAX_CELLS

        return DEFAULT_MAX_CELLS

    def settings(self, parameters: dict, context: QgsProcessingContext) -> Any:
        settings = super().settings(parameters, context)
        settings.bandwidth_m = self.parameterAsDouble(parameters, self.BANDWIDTH, context)
        settings.kde_max_cells = settings.max_cells
        if parameters.get(self.EXTENT):
            rect = self.parameterAsExtent(parameters, self.EXTENT, context)
            crs = self.parameterAsExtentCrs(parameters, self.EXTENT, context)
            if (
                rect.isNull()
                or rect.isEmpty()
                or not all(
                    math.isfinite(v)
                    for v in (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum())
                )
            ):  # (it was ignored, and the map made where the crimes are, without a word)
                raise QgsProcessingException(
                    f"EXTENT {parameters.get(self.EXTENT)!r} is not an area: give "
                    "xmin,xmax,ymin,ymax with each minimum below its maximum, or leave it empty"
                )
            settings.kde_extent = (
                rect.xMinimum(),
                rect.yMinimum(),
                rect.xMaximum(),
                rect.yMaximum(),
                crs.authid() if crs.isValid() else "",
            )
        return settings

    def output_path(self, parameters: dict, context: QgsProcessingContext) -> str:
        path = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        if not path.lower().endswith((".tif", ".tiff")):
            raise QgsProcessingException(
                f"The density surface is written as a GeoTIFF: choose a .tif file (not "
                f"{shown_path(path)})"
            )
        return path

    def help_text(self) -> str:
        return (
            "A smooth surface of crime density in crimes per km²: each crime is spread over a "
            "circle (the bandwidth) with a quartic kernel — most weight at the crime, none "
            "beyond the circle's edge — and each pixel holds the sum of all crimes' "
            "contributions at its centre, on a raster of CELL_SIZE metres (50 m by "
            "default).\n\n"
            "Accuracy: small inputs get the exact sum. Larger ones use linear binning with a "
            "second-order correction and one FFT per term: each crime within the bandwidth "
            "moves a pixel from the exact sum by at most 4 x (cell / bandwidth)² of one "
            "crime's peak density (the layer's explanation gives the figure); on a real force "
            "month the typical difference is under 0.1%.\n\n"
            "Area (EXTENT, optional): empty maps where the crimes are — groups of crimes less "
            "than 20 km apart holding at least 1% of them — so the few crimes police.uk places "
            "in other counties do not stretch the raster; they are left out and counted in "
            "the log. Give an extent to map a fixed area instead.\n\n"
            "Bandwidth (BANDWIDTH): 0 chooses it automatically by the spatially robust "
            "Silverman rule (as ArcGIS Kernel Density): h = 0.9 x min(SD, sqrt(1/ln 2) x Dm) "
            "x n^-0.2, where SD is the standard distance of the points, Dm their median "
            "distance to the mean centre and n their number, kept between 100 m and 5 km. "
            "The chosen value and the rule's figures are in the layer's explanation. Give a "
            "value in metres to override it: smaller shows individual streets, larger shows "
            "broad areas.\n\n"
            "The GeoTIFF is LZW-compressed, in the projected CRS, with its style in a .qml "
            "beside it (QGIS picks it up when the file is opened). Maximum cells (MAX_CELLS) "
            "limits the raster size: a cell size too fine for the area stops with a message "
            "suggesting a coarser one." + COMMON_HELP
        )
