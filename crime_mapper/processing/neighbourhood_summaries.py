"""Processing algorithm crime_mapper:neighbourhood_summaries — neighbourhood summaries for the
public (tidy CSV, styled neighbourhood GeoPackage, HTML pages and index, optional PDF atlas).

The same run as the command line's ``summaries`` and the dock's Summaries tab
(core.publish.summaries_run.run_summaries): made only from the public release CSV, written
into a staging folder, checked by the leak gate against the raw crimes, then moved into place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from qgis.core import (
    QgsMapLayer,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputFile,
    QgsProcessingOutputFolder,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterFile,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsVectorLayer,
)

from ..compat import FILE_BEHAVIOUR_FILE, NUMBER_INTEGER, SOURCE_FILE
from ..core.common.feedback import Cancelled, Feedback
from ..core.common.staging import Staging
from .base import CrimeMapperAlgorithm
from .parameters import (
    NeighbourhoodParameters,
    add_crimes_parameters,
    add_map_points_parameters,
    crimes_from_parameters,
    map_points_from_parameters,
)


def _style_summary_layer(layer: QgsMapLayer) -> None:
    """The choropleth stored in the GeoPackage (layer_styles) is the layer's default style."""
    if isinstance(layer, QgsVectorLayer):
        layer.loadDefaultStyle()


class NeighbourhoodSummariesAlgorithm(NeighbourhoodParameters, CrimeMapperAlgorithm):
    GROUP_ID = "publish"

    RAW = "RAW"
    RAW_FILES = "RAW_FILES"
    PROFILE = "PROFILE"
    MAP_POINTS = "MAP_POINTS"
    LABEL_FIELD = "LABEL_FIELD"
    RELEASE = "RELEASE"
    NAMES = "NAMES"
    NAMES_CODE_FIELD = "NAMES_CODE_FIELD"
    NAMES_NAME_FIELD = "NAMES_NAME_FIELD"
    TEAM = "TEAM"
    HISTORY = "HISTORY"
    FAMILIES = "FAMILIES"
    MONTH = "MONTH"
    PERIOD = "PERIOD"
    SUPPRESS_BELOW = "SUPPRESS_BELOW"
    FORCE_NAME = "FORCE_NAME"
    WITH_MAP = "WITH_MAP"
    ATLAS = "ATLAS"
    OUTPUT = "OUTPUT"
    FOLDER = "FOLDER"
    INDEX = "INDEX"
    GPKG = "GPKG"
    PDF = "PDF"
    PAGES = "PAGES"

    def name(self) -> str:
        return "neighbourhood_summaries"

    def displayName(self) -> str:
        return "Neighbourhood summaries"

    def tags(self) -> list[str]:
        return ["crime", "police.uk", "neighbourhood", "summary", "publish", "atlas", "public"]

    def help_text(self) -> str:
        return (
            "Neighbourhood crime summaries for the public, made only from the public release "
            "CSV (crime_mapper:anonymise): for the chosen month (default the latest), counts "
            "by type, change on the previous month and a year earlier, a 12-month trend, "
            "rate per 1,000 residents against the force and similar neighbourhoods, rank, "
            "whether the change is more than chance, top locations, outcomes, and the "
            "neighbourhood team's priorities and events.\n\n"
            "Neighbourhoods: a polygon layer (NEIGHBOURHOODS, with CODE_FIELD, NAME_FIELD "
            "and optional POPULATION_FIELD) and/or a CSV lookup of LSOA code to "
            "neighbourhood (LOOKUP, LOOKUP_CODE_FIELD, LOOKUP_NAME_FIELD). Crimes are "
            "assigned by LSOA code where the lookup has it, otherwise by point in polygon; "
            "crimes in no neighbourhood are shown as 'outside any neighbourhood'. Names may "
            "come from a CSV (NAMES), populations from an LSOA population CSV summed through "
            "the lookup (LSOA_POPULATION). Similar neighbourhoods: the nearest in population "
            "density and crime mix, or the user's families (FAMILIES: a CSV with code,family). "
            "Team information: police.uk-API-shaped JSON or a CSV (TEAM). History (HISTORY): "
            "the force's earlier published police.uk months, for the 12-month trend and the "
            "change on a year earlier.\n\n"
            "Small-count control (SUPPRESS_BELOW, 0 = off as on police.uk): counts below the "
            "threshold are shown as 'fewer than N', with secondary suppression so totals and "
            "other neighbourhoods cannot give them away.\n\n"
            "Output folder (OUTPUT): writes OUTPUT/neighbourhoods/ (index.html, one page per "
            "neighbourhood, neighbourhood_summaries.csv, neighbourhoods.gpkg styled as a "
            "choropleth) after the leak gate passes against the raw crimes (RAW or "
            "RAW_FILES) and map points; otherwise nothing changes. WITH_MAP links the pages "
            "to a web map exported to OUTPUT/map/. ATLAS also writes a PDF atlas "
            "(OUTPUT/neighbourhoods_atlas.pdf), one page per neighbourhood, moved into place "
            "with the summaries: cancelled (at its next page) or failed, neither changes."
        )

    def initAlgorithm(self, config: Optional[dict] = None) -> None:
        add_crimes_parameters(self, self.RAW, self.RAW_FILES, self.PROFILE, raw=True)
        add_map_points_parameters(self, self.MAP_POINTS, self.LABEL_FIELD)
        self.addParameter(
            QgsProcessingParameterFile(
                self.RELEASE,
                "Public release CSV",
                behavior=FILE_BEHAVIOUR_FILE,
                extension="csv",
            )
        )
        self.add_neighbourhood_parameters()
        csv_files = (
            (self.NAMES, "Neighbourhood names (CSV)"),
            (self.FAMILIES, "Similar-neighbourhood families (CSV: code,family)"),
        )
        for name, label in csv_files:
            self.addParameter(
                QgsProcessingParameterFile(
                    name, label, behavior=FILE_BEHAVIOUR_FILE, extension="csv", optional=True
                )
            )
        for name, label in (
            (self.NAMES_CODE_FIELD, "Names file: code column"),
            (self.NAMES_NAME_FIELD, "Names file: name column"),
            (self.MONTH, "Month (YYYY-MM, default the latest)"),
            (self.FORCE_NAME, "Force name for the pages"),
        ):
            self.addParameter(QgsProcessingParameterString(name, label, optional=True))
        self.addParameter(
            QgsProcessingParameterFile(
                self.TEAM, "Team information (JSON or CSV)", behavior=FILE_BEHAVIOUR_FILE,
                optional=True,
            )
        )  # fmt: skip
        self.addParameter(
            QgsProcessingParameterMultipleLayers(
                self.HISTORY,
                "History: earlier published police.uk months (.csv, .zip, folders)",
                SOURCE_FILE,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.PERIOD, "Period (months)", NUMBER_INTEGER, 1,
                minValue=1, maxValue=12,
            )
        )  # fmt: skip
        self.addParameter(
            QgsProcessingParameterNumber(
                self.SUPPRESS_BELOW, "Show counts below this as 'fewer than N' (0 = off)",
                NUMBER_INTEGER, 0, minValue=0, maxValue=100,
            )
        )  # fmt: skip
        self.addParameter(
            QgsProcessingParameterBoolean(self.WITH_MAP, "Link to the web map in OUTPUT/map", False)
        )
        self.addParameter(QgsProcessingParameterBoolean(self.ATLAS, "Also a PDF atlas", False))
        self.addParameter(QgsProcessingParameterFolderDestination(self.OUTPUT, "Output folder"))
        self.addOutput(QgsProcessingOutputFolder(self.FOLDER, "Summaries folder"))
        self.addOutput(QgsProcessingOutputFile(self.INDEX, "Index page"))
        self.addOutput(QgsProcessingOutputFile(self.GPKG, "Neighbourhood layer"))
        self.addOutput(QgsProcessingOutputFile(self.PDF, "PDF atlas"))
        self.addOutput(QgsProcessingOutputNumber(self.PAGES, "Neighbourhood pages"))

    def processAlgorithm(
        self,
        parameters: dict,
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict:
        # the run lock of OUTPUT first, as the command line's summaries takes it (the
        # summaries and the atlas both go there): refused at once, before anything is read
        out = self.parameterAsString(parameters, self.OUTPUT, context)
        with self.output_lock(out, out, feedback):
            return self._summaries(parameters, context, feedback)

    def _summaries(
        self,
        parameters: dict,
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict:
        from ..core.publish.neighbourhoods import NeighbourhoodError
        from ..core.publish.summaries import SummaryError, SummaryOptions
        from ..core.publish.summaries_export import ATLAS_NAME, GPKG_NAME, SummaryGateError
        from ..core.publish.summaries_run import run_summaries
        from ..core.publish.summaries_team import TeamError
        from ..core.release.pipeline import ReleaseInputError

        raw = crimes_from_parameters(self, parameters, context, self.RAW, self.RAW_FILES)
        points = map_points_from_parameters(
            self, parameters, context, self.MAP_POINTS, self.LABEL_FIELD
        )

        def text(name: str) -> str:
            return self.parameter_text(parameters, name, context)

        def path(name: str) -> Optional[str]:
            return self.parameter_path(parameters, name, context)

        out = self.parameterAsString(parameters, self.OUTPUT, context)
        # (read before the run: ATLAS=off was refused only after the summaries were written)
        with_map = self.parameter_bool(parameters, self.WITH_MAP, context)
        atlas = self.parameter_bool(parameters, self.ATLAS, context)
        source = self.lookup_source(
            parameters,
            context,
            names=path(self.NAMES),
            names_code_field=text(self.NAMES_CODE_FIELD),
            names_name_field=text(self.NAMES_NAME_FIELD),
        )
        from ..core.publish.summaries_run import read_families

        try:
            families = read_families(path(self.FAMILIES))
        except (SummaryError, OSError, ValueError) as exc:
            raise QgsProcessingException(str(exc)) from exc
        options = SummaryOptions(
            families=families,
            month=text(self.MONTH) or None,
            period_months=self.parameter_whole(parameters, self.PERIOD, context),
            suppress_below=self.parameter_whole(parameters, self.SUPPRESS_BELOW, context, 0),
        )
        from ..core.publish.summaries_run import read_release
        from ..qgis_bridge.atlas import AtlasFailed, summaries_with_atlas

        def summaries(part: Feedback, staging: Optional[Staging] = None) -> Any:
            return run_summaries(
                raw,
                points,
                path(self.RELEASE) or "",
                out,
                source,
                options=options,
                team_path=path(self.TEAM),
                force_name=text(self.FORCE_NAME),
                with_map=with_map,
                profile_path=path(self.PROFILE),
                outlines=outlines,
                feedback=part,
                history=self.parameter_paths(parameters, self.HISTORY, context),
                staging=staging,
            )

        pdf = str(Path(out) / ATLAS_NAME) if atlas else ""
        try:
            outlines = self.neighbourhood_outlines(parameters, context, name_as_code=False)
            if atlas:  # (moved in with the summaries: a cancel or failure changes nothing)
                done = summaries_with_atlas(
                    summaries,
                    lambda: read_release(path(self.RELEASE) or ""),
                    pdf,
                    self.core_feedback(feedback),
                )
            else:
                done = summaries(self.core_feedback(feedback))
        except AtlasFailed as exc:
            raise QgsProcessingException(
                f"The PDF atlas failed; nothing was changed: {exc}"
            ) from exc
        except Cancelled as exc:
            raise QgsProcessingException("Summaries cancelled; nothing was changed.") from exc
        except SummaryGateError as exc:
            raise QgsProcessingException(f"The leak gate refused the summaries:\n{exc}") from exc
        except (NeighbourhoodError, SummaryError, TeamError, ReleaseInputError) as exc:
            raise QgsProcessingException(str(exc)) from exc
        except OSError as exc:  # (e.g. a folder where the PDF goes: said, not a traceback)
            raise QgsProcessingException(f"The summaries were not published: {exc}") from exc
        for problem in done.problems[:50]:
            feedback.pushWarning(problem)
        for note in done.summaries.notes:
            feedback.pushInfo(note)
        feedback.pushInfo(done.assignment.report())
        feedback.pushInfo(done.gate_message)
        gpkg = str(done.folder / GPKG_NAME)
        self.load_styled_on_completion(
            context,
            f"{gpkg}|layername=neighbourhood_summaries",
            "Neighbourhood summaries",
            self.GPKG,
            _style_summary_layer,
        )
        return {
            self.FOLDER: str(done.folder),
            self.INDEX: str(done.folder / "index.html"),
            self.GPKG: gpkg,
            self.PDF: pdf,
            self.PAGES: done.pages,
        }
