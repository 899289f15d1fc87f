"""Processing algorithm crime_mapper:hotspots_gi — Getis-Ord Gi* hot and cold spots."""

from __future__ import annotations

from typing import Any

from qgis.core import QgsProcessingContext

from .hotspots_grid import COMMON_HELP, HotspotAlgorithmBase


class HotspotsGiAlgorithm(HotspotAlgorithmBase):
    """Gi* z-scores, p-values and hot/cold classes on hexagon counts."""

    KIND = "gi"

    def name(self) -> str:
        return "hotspots_gi"

    def displayName(self) -> str:
        return "Hotspots: Getis-Ord Gi* hot and cold spots"

    def tags(self) -> list[str]:
        return [*super().tags(), "getis-ord", "gi*", "z-score", "significance", "fdr"]

    def add_specific_parameters(self) -> None:
        self.add_fdr_parameter()

    def settings(self, parameters: dict, context: QgsProcessingContext) -> Any:
        settings = super().settings(parameters, context)
        settings.fdr = self.parameter_bool(parameters, self.FDR, context)
        return settings

    def help_text(self) -> str:
        return (
            "Finds hot spots and cold spots: hexagons whose neighbourhood (the cell and its 6 "
            "neighbours) has many more crimes (hot) or many fewer (cold) than the average "
            "over the whole area, more than chance would give.\n\n"
            "How: crimes are counted per hexagon (CELL_SIZE metres between neighbouring "
            "centres); empty cells next to crime are included with a count of 0, because "
            "they are part of the area average. For each cell, the Getis-Ord Gi* statistic "
            "compares the sum over its neighbourhood with what the area mean and spread would "
            "give; it is a z-score (how many standard deviations above or below) with a "
            "two-sided p-value. Classes: hot/cold spot at 90%, 95% and 99% confidence "
            "(p <= 0.10, 0.05, 0.01), 'Not significant' otherwise — the same wording as "
            "ArcGIS's Hot Spot Analysis.\n\n"
            "False discovery rate (FDR): testing thousands of cells, about 1 in 10 cells would "
            "be 'significant at 90%' by chance alone. With FDR on, the p-values are adjusted "
            "(Benjamini-Hochberg) so that among the cells called hot or cold, the expected "
            "share of false alarms stays at the stated level. Turn it on for a cautious map.\n\n"
            "Output fields: q, r, x, y, count, z (Gi* z-score), p (p-value), p_adjusted (the "
            "FDR-adjusted p-value; empty with FDR off), gi_class (-3..3) and class_label (the "
            "legend words); the legend says which p-value the classes use." + COMMON_HELP
        )
