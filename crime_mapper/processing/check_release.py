"""Processing algorithm crime_mapper:check_release — the leak gate on any published output.

The same gate crime_mapper:anonymise runs before it writes (core.gate.leak_gate), run through
the one release pipeline (core.release.pipeline.run_check_release, as the command line's
check-release), for outputs made some other way or edited since: a public CSV, a GeoPackage
layer, or a whole export folder.
It fails closed: the algorithm fails, with the gate's message, if anything raw got through.
"""

from __future__ import annotations

from typing import Optional

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
)

from ..compat import FILE_BEHAVIOUR_FILE, FILE_BEHAVIOUR_FOLDER
from ..core.common.feedback import Cancelled
from ..core.common.text_file import shown_path
from .base import CrimeMapperAlgorithm
from .parameters import (
    add_crimes_parameters,
    add_map_points_parameters,
    crimes_from_parameters,
    map_points_from_parameters,
)


class CheckReleaseAlgorithm(CrimeMapperAlgorithm):
    """Check a public output against the raw crimes and the map points; fail closed."""

    GROUP_ID = "release"

    RAW = "RAW"
    RAW_FILES = "RAW_FILES"
    PROFILE = "PROFILE"
    MAP_POINTS = "MAP_POINTS"
    LABEL_FIELD = "LABEL_FIELD"
    RELEASE_FILE = "RELEASE_FILE"
    RELEASE_FOLDER = "RELEASE_FOLDER"
    RULES = "RULES"
    REPORT = "REPORT"
    PASSED = "PASSED"
    MESSAGE = "MESSAGE"

    def name(self) -> str:
        return "check_release"

    def displayName(self) -> str:
        return "Check a release for leaks"

    def tags(self) -> list[str]:
        return ["crime", "police.uk", "leak", "gate", "release", "check", "audit", "public"]

    def help_text(self) -> str:
        return (
            "The leak gate: checks a public output against the raw (internal) crimes and "
            "fails, with a message naming every problem, if the output holds anything a "
            "police.uk-style release must not:\n"
            "- a coordinate that is not one of the anonymous map points;\n"
            "- a raw (true) coordinate that is not itself a map point (5 decimal places in "
            "WGS84, or the metre in a projected CRS);\n"
            "- a date finer than a month (police.uk publishes YYYY-MM only), or a time "
            "(12:57, 1257hrs, 9.30pm, 25th Oct);\n"
            "- a source crime reference in any case, with or without its punctuation, or "
            "its unsalted hash;\n"
            "- any value of a non-public source column (free text, offence codes, names), "
            "in any case, or a run of six words of free text;\n"
            "- a phone number or an e-mail address;\n"
            "- locations that are not anonymous (crimes published at their true location, "
            "a hexagon fallback under 250 m, a map point with a catchment below K, an "
            "'On or near' label with a house number);\n"
            "- a column outside the police.uk street schema.\n"
            "It fails closed: a file type it cannot read, or any error inside a check, is a "
            "failure.\n\n"
            "Inputs:\n"
            "- Raw crimes layer (RAW): the crimes layer of a crime_mapper load; or raw "
            "extract files (RAW_FILES: .csv, folders, police.uk .zip; ';'-separated for "
            "qgis_process) with an optional column-mapping profile (PROFILE). Give one.\n"
            "- Map points layer (MAP_POINTS) and its label field (LABEL_FIELD, default "
            "'label'): the map points the release was made with.\n"
            "- The output to check: a file (RELEASE_FILE: CSV or GeoPackage) or an export "
            "folder (RELEASE_FOLDER: HTML, JSON, GeoJSON, CSV, JS, TXT and QGIS style "
            "(.qml/.sld) files; any other file type fails). Give one.\n"
            "- Release rules (RULES, optional): the rules file the release was made with; "
            "its minimum catchment (min_catchment_addresses, K) is what the gate holds "
            "map points to (8 without one).\n\n"
            "Output: the gate report (REPORT, JSON: every check, passed or not, with "
            "examples), written whether the gate passes or fails; PASSED is 1 or 0."
        )

    def initAlgorithm(self, config: Optional[dict] = None) -> None:
        add_crimes_parameters(self, self.RAW, self.RAW_FILES, self.PROFILE, raw=True)
        add_map_points_parameters(self, self.MAP_POINTS, self.LABEL_FIELD)
        self.addParameter(
            QgsProcessingParameterFile(
                self.RELEASE_FILE,
                "Output file to check (CSV or GeoPackage)",
                behavior=FILE_BEHAVIOUR_FILE,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                self.RELEASE_FOLDER,
                "Or output folder to check",
                behavior=FILE_BEHAVIOUR_FOLDER,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                self.RULES,
                "Release rules the release was made with (JSON)",
                behavior=FILE_BEHAVIOUR_FILE,
                extension="json",
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.REPORT, "Gate report", "JSON files (*.json *.JSON)"
            )
        )
        self.addOutput(QgsProcessingOutputNumber(self.PASSED, "Passed (1) or failed (0)"))
        self.addOutput(QgsProcessingOutputString(self.MESSAGE, "Gate message"))

    def processAlgorithm(
        self,
        parameters: dict,
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict:
        from ..core.release.pipeline import ReleaseInputError, run_check_release

        raw = crimes_from_parameters(self, parameters, context, self.RAW, self.RAW_FILES)
        points = map_points_from_parameters(
            self, parameters, context, self.MAP_POINTS, self.LABEL_FIELD
        )
        release_file = self.parameter_path(parameters, self.RELEASE_FILE, context)
        release_folder = self.parameter_path(parameters, self.RELEASE_FOLDER, context)
        if bool(release_file) == bool(release_folder):
            raise QgsProcessingException(
                "Give exactly one output to check: a file (RELEASE_FILE) or a folder "
                "(RELEASE_FOLDER)."
            )
        report_path = self.parameterAsFileOutput(parameters, self.REPORT, context)
        try:
            outcome = run_check_release(
                raw,
                points,
                release_file or release_folder,
                report_path,
                profile_path=self.parameter_path(parameters, self.PROFILE, context),
                feedback=self.core_feedback(feedback),
                rules=self.parameter_path(parameters, self.RULES, context),
            )
        except Cancelled as exc:
            raise QgsProcessingException("Check cancelled.") from exc
        except ReleaseInputError as exc:
            raise QgsProcessingException(str(exc)) from exc
        except (OSError, ValueError) as exc:
            raise QgsProcessingException(f"Check failed to run: {exc}") from exc
        report = outcome.report
        for error in outcome.file_errors if feedback is not None else []:
            feedback.reportError(f"Input file not used: {error}")
        message = report.message()
        if not report.passed:
            # (the message names the release and the failed checks; the report's place
            # is added, not the release's name a second time)
            raise QgsProcessingException(f"{message}\nThe full report: {shown_path(report_path)}")
        if feedback is not None:
            feedback.pushInfo(message)
        return {self.REPORT: report_path, self.PASSED: 1, self.MESSAGE: message}
