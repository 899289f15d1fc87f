"""Processing algorithm crime_mapper:hotspots_change — where this month is above the usual."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterString,
)

from .hotspots_grid import COMMON_HELP, HotspotAlgorithmBase


class HotspotsChangeAlgorithm(HotspotAlgorithmBase):
    """Per-hexagon Poisson test of the current month(s) against the baseline months."""

    KIND = "change"
    BASELINE_CRIMES = "BASELINE_CRIMES"

    def name(self) -> str:
        return "hotspots_change"

    def displayName(self) -> str:
        return "Hotspots: change since previous months"

    def tags(self) -> list[str]:
        return [*super().tags(), "change", "emerging", "poisson", "month", "increase"]

    def add_specific_parameters(self) -> None:
        self.addParameter(
            QgsProcessingParameterString(self.CURRENT_MONTH, "Current month(s) (e.g. 2022-10)")
        )
        self.addParameter(
            QgsProcessingParameterString(
                self.BASELINE_MONTHS,
                "Baseline months (e.g. 2022-07,2022-08,2022-09; empty = all earlier months)",
                optional=True,
            )
        )
        self.add_fdr_parameter()
        self.addOutput(
            QgsProcessingOutputNumber(self.BASELINE_CRIMES, "Crimes in the baseline months")
        )

    def more_results(self, outputs: Any) -> dict:
        # CRIMES holds the current period's crimes (not every month read); this the baseline's
        return {self.BASELINE_CRIMES: outputs.facts["baseline_crimes"]}

    def settings(self, parameters: dict, context: QgsProcessingContext) -> Any:
        from ..core.hotspots.hexgrid import HotspotInputError
        from ..core.hotspots.selection import parse_months

        settings = super().settings(parameters, context)
        settings.fdr = self.parameter_bool(parameters, self.FDR, context)
        try:
            settings.current_months = parse_months(
                self.parameterAsString(parameters, self.CURRENT_MONTH, context)
            )
            settings.baseline_months = parse_months(
                self.parameterAsString(parameters, self.BASELINE_MONTHS, context)
            )
        except HotspotInputError as exc:
            raise QgsProcessingException(str(exc)) from exc
        if not settings.current_months:
            raise QgsProcessingException("Give the current month (CURRENT_MONTH), e.g. 2022-10.")
        return settings

    def help_text(self) -> str:
        return (
            "Change hotspots: hexagons where the current month (or months) has significantly "
            "more crimes than usual — 'what is new here', not 'where is always busy'.\n\n"
            "How: per hexagon, the usual level is the mean count per baseline month; the "
            "current count is compared with a Poisson distribution of that mean, one-sided "
            "(how likely is a count at least this high by chance?). A cell with no crime in "
            "any baseline month counts as half a crime over the whole baseline, so a single "
            "new crime does not look infinitely significant. When the current period is k "
            "months, the expected count is k times the monthly mean. Significant decreases "
            "are shown too (the lower tail of the same test).\n\n"
            "Classes: increase / decrease at 90%, 95%, 99% confidence (p <= 0.10, 0.05, "
            "0.01). False discovery rate (FDR) correction (Benjamini-Hochberg) keeps the "
            "expected share of false alarms among flagged cells at the stated level.\n\n"
            "Current month(s) (CURRENT_MONTH): e.g. 2022-10, or 2022-08,2022-09,2022-10 for "
            "a quarter. Baseline months (BASELINE_MONTHS): e.g. the previous six months; "
            "empty = every month in the layer before the current one. A baseline month the "
            "layer holds counts even when it has no crimes of the chosen category (a real "
            "zero); one the layer does not hold at all stops with a message.\n\n"
            "Output fields: q, r, x, y, current (count), baseline_mean, expected, ratio, p "
            "(increase), p_adjusted (its FDR-adjusted value; empty with FDR off), p_decrease, "
            "p_decrease_adjusted, change_class (-3..3), class_label; the legend says which "
            "p-values the classes use. CRIMES counts the crimes of the current month(s), "
            "BASELINE_CRIMES those of the baseline months." + COMMON_HELP
        )
