"""Processing algorithm crime_mapper:load_extracts — the dock's load, for models and scripts.

It calls crime_mapper.qgis_bridge.run_load.run_load, the same implementation as the dock's
background task, so the toolbox, the model designer, batch mode and
``qgis_process.bin run crime_mapper:load_extracts`` all give the same files and style.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from qgis.core import (
    QgsMapLayer,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingOutputVectorLayer,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterMultipleLayers,
    QgsVectorLayer,
)

from ..compat import FILE_BEHAVIOUR_FILE, SOURCE_FILE, SOURCE_VECTOR_POINT
from ..core.common.feedback import Cancelled
from .base import CrimeMapperAlgorithm

# The loader (pandas, numpy) is imported when the algorithm runs, not when QGIS starts and
# the provider lists its algorithms.


def _style_loaded_layer(layer: QgsMapLayer, kind: str) -> None:
    """The crimes or stop-and-search style, as the dock's load applies it."""
    if not isinstance(layer, QgsVectorLayer):
        return
    from ..qgis_bridge.layers import style_crimes_layer, style_stop_search_layer

    if kind == "crimes":
        style_crimes_layer(layer)
    else:
        style_stop_search_layer(layer)


class LoadExtractsAlgorithm(CrimeMapperAlgorithm):
    """Load police.uk or force extracts into a styled crimes GeoPackage, rejects and report."""

    GROUP_ID = "load"

    INPUT = "INPUT"
    PROFILE = "PROFILE"
    OUTPUT = "OUTPUT"
    REJECTS = "REJECTS"
    REPORT = "REPORT"
    CRIMES_LAYER = "CRIMES_LAYER"
    STOP_SEARCH_LAYER = "STOP_SEARCH_LAYER"
    CRIMES_COUNT = "CRIMES_COUNT"
    MAPPED_COUNT = "MAPPED_COUNT"
    REJECTED_COUNT = "REJECTED_COUNT"
    REPORT_TEXT = "REPORT_TEXT"

    def name(self) -> str:
        return "load_extracts"

    def displayName(self) -> str:
        return "Load crime extracts"

    def tags(self) -> list[str]:
        return ["crime", "police", "police.uk", "extract", "validate", "geopackage", "csv"]

    def help_text(self) -> str:
        return (
            "Reads police.uk monthly files (street, outcomes, stop and search) or force "
            "records-system extracts, validates every row and writes:\n"
            "- Crimes GeoPackage (OUTPUT): a point layer 'crimes' (WGS84) styled by crime "
            "type, with the style saved as the GeoPackage's default and as a .qml beside it; "
            "stop and search rows go to a 'stop_search' layer in the same file. Crimes with "
            "no location are kept (and counted in the report), with no geometry.\n"
            "- Rejected rows (REJECTS): a CSV with each rejected row verbatim and its reason.\n"
            "- Validation report (REPORT): JSON; rows read = accepted + rejected, per file.\n\n"
            "Input extracts (INPUT): one or more .csv files, folders or police.uk monthly .zip "
            "archives, chosen with the file picker; for qgis_process give INPUT= once per "
            "path, or one value separated by ';', e.g. "
            "INPUT='/data/2022-10.zip;/data/extra/2022-11-force-street.csv'. A file that is "
            "not a crime extract is reported in the report; the rest of the load still succeeds.\n"
            "Mapping profile (PROFILE, optional): a JSON column-mapping profile for force "
            "extracts whose headers do not match the known variants.\n\n"
            "Outputs are written to temporary files and moved into place only when all are "
            "complete: a failed or cancelled run leaves earlier outputs unchanged. The "
            "crimes layer is internal (exact data): never publish it."
        )

    def initAlgorithm(self, config: Optional[dict] = None) -> None:
        # A multiple-file parameter: the toolbox and batch mode offer a file picker (files,
        # folders, zips), models can pass a list, and qgis_process takes INPUT= repeatedly
        # or one ';'-separated value.
        self.addParameter(
            QgsProcessingParameterMultipleLayers(
                self.INPUT,
                "Input extracts (.csv files, folders or police.uk .zip archives)",
                SOURCE_FILE,
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                self.PROFILE,
                "Column-mapping profile (JSON)",
                behavior=FILE_BEHAVIOUR_FILE,
                extension="json",
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.OUTPUT, "Crimes GeoPackage", "GeoPackage (*.gpkg *.GPKG)"
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.REJECTS, "Rejected rows", "CSV files (*.csv *.CSV)"
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.REPORT, "Validation report", "JSON files (*.json *.JSON)"
            )
        )
        self.addOutput(
            QgsProcessingOutputVectorLayer(self.CRIMES_LAYER, "Crimes layer", SOURCE_VECTOR_POINT)
        )
        self.addOutput(
            QgsProcessingOutputString(
                self.STOP_SEARCH_LAYER, "Stop and search layer (empty if none)"
            )
        )
        self.addOutput(QgsProcessingOutputNumber(self.CRIMES_COUNT, "Crimes loaded"))
        self.addOutput(QgsProcessingOutputNumber(self.MAPPED_COUNT, "Crimes with a location"))
        self.addOutput(QgsProcessingOutputNumber(self.REJECTED_COUNT, "Rows rejected"))
        self.addOutput(QgsProcessingOutputString(self.REPORT_TEXT, "Readable report"))

    def processAlgorithm(
        self,
        parameters: dict,
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict:
        from ..qgis_bridge.run_load import run_load

        paths = self.parameter_paths(parameters, self.INPUT, context)
        if not paths:
            raise QgsProcessingException("No input extracts given (INPUT is empty).")
        profile = self.parameter_path(parameters, self.PROFILE, context)
        gpkg = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        rejects = self.parameterAsFileOutput(parameters, self.REJECTS, context)
        report = self.parameterAsFileOutput(parameters, self.REPORT, context)
        # the run lock of the folders the three outputs go in, as the command line's load
        # takes its --out's: they are the files the monthly release's load writes into
        # <month>/internal, so a run there while that month's release runs is refused at
        # once, before any extract is read; held until the last output is in place
        try:
            with self.output_lock(
                [Path(p).parent for p in (gpkg, rejects, report) if p], feedback=feedback
            ):
                outputs = run_load(
                    paths,
                    None,
                    profile_path=profile,
                    feedback=self.core_feedback(feedback),
                    gpkg_path=gpkg,
                    rejects_path=rejects,
                    report_path=report,
                )
        except Cancelled as exc:
            raise QgsProcessingException(
                "Load cancelled: earlier outputs were left unchanged."
            ) from exc
        except (OSError, ValueError) as exc:
            raise QgsProcessingException(f"Load failed: {exc}") from exc
        if feedback is not None:
            feedback.pushInfo(outputs.report_text)
            for error in outputs.file_errors:
                feedback.reportError(error, False)

        if context.project() is not None:
            self._load_on_completion(
                context, outputs.crimes_uri, "crimes", outputs.title, self.CRIMES_LAYER
            )
            if outputs.stop_search_uri:
                self._load_on_completion(
                    context,
                    outputs.stop_search_uri,
                    "stop_search",
                    f"Stop and search — {outputs.title}",
                    self.STOP_SEARCH_LAYER,
                )
        return {
            self.OUTPUT: str(outputs.gpkg),
            self.REJECTS: str(outputs.rejects_csv),
            self.REPORT: str(outputs.report_json),
            self.CRIMES_LAYER: outputs.crimes_uri,
            self.STOP_SEARCH_LAYER: outputs.stop_search_uri or "",
            self.CRIMES_COUNT: outputs.crimes,
            self.MAPPED_COUNT: outputs.mapped,
            self.REJECTED_COUNT: outputs.rejected,
            self.REPORT_TEXT: outputs.report_text,
        }

    @staticmethod
    def _load_on_completion(
        context: QgsProcessingContext, uri: str, kind: str, name: str, output_name: str
    ) -> None:
        CrimeMapperAlgorithm.load_styled_on_completion(
            context, uri, name, output_name, lambda layer: _style_loaded_layer(layer, kind)
        )
