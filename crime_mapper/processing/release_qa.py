"""Processing algorithm crime_mapper:release_qa — check this month's extract against the
force's previous twelve months before anonymising it.

The same QA as the command line's ``qa`` and the dock's QA tab (core.qa.run.run_qa_files):
findings with a severity and a plain-words explanation, written as qa_report.json and
qa_report.html. Findings never fail the algorithm: the release may go ahead, and the
anonymise step records the report it is given.
"""

from __future__ import annotations

from typing import Optional

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterDistance,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMultipleLayers,
)

from ..compat import FILE_BEHAVIOUR_FILE, SOURCE_FILE
from ..core.common.feedback import Cancelled
from ..core.common.text_file import shown_line
from .base import CrimeMapperAlgorithm
from .parameters import (
    add_crimes_parameters,
    add_map_points_parameters,
    crimes_from_parameters,
    map_points_from_parameters,
)


class ReleaseQaAlgorithm(CrimeMapperAlgorithm):
    """The release QA report: this month against the force's recent history."""

    GROUP_ID = "qa"

    CRIMES = "CRIMES"
    CRIMES_FILES = "CRIMES_FILES"
    PROFILE = "PROFILE"
    HISTORY = "HISTORY"
    HISTORY_PROFILE = "HISTORY_PROFILE"
    MAP_POINTS = "MAP_POINTS"
    LABEL_FIELD = "LABEL_FIELD"
    AREAS = "AREAS"
    FAR = "FAR"
    OUTPUT_FOLDER = "OUTPUT_FOLDER"
    SAVE_HISTORY = "SAVE_HISTORY"
    REPORT_JSON = "REPORT_JSON"
    REPORT_HTML = "REPORT_HTML"
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"
    VERDICT = "VERDICT"

    def name(self) -> str:
        return "release_qa"

    def displayName(self) -> str:
        return "Release QA: check this month against the last 12"

    def tags(self) -> list[str]:
        return ["crime", "police.uk", "qa", "quality", "check", "release", "anomaly", "history"]

    def help_text(self) -> str:
        return (
            "Run before anonymising: compares this month's crimes with the force's previous "
            "12 months (extracts, police.uk files or saved QA history) and lists findings, "
            "each with a severity (high: probably a data fault; medium: check; low: worth "
            "knowing), a plain-words explanation and the rows or areas behind it:\n"
            "- the month's total, each category and each area (LSOA, or neighbourhood with a "
            "lookup) far outside its usual range: a negative-binomial interval on the "
            "12-month history, Bonferroni-corrected for the number of tests;\n"
            "- days of the month, and hours of the day, with no or very few records (where "
            "exact times exist);\n"
            "- batches sent twice: references loaded twice, or stretches of rows repeating "
            "earlier rows;\n"
            "- categories, outcomes, map-point labels and areas never seen in the history;\n"
            "- the share of rows without a location, or far from their map point, against "
            "the usual; crimes outside the force's usual area.\n\n"
            "Inputs: this month as a crimes layer (CRIMES) or extract files (CRIMES_FILES + "
            "PROFILE); the history (HISTORY: files, folders, police.uk .zip, or QA history "
            ".json files; HISTORY_PROFILE reads force extracts among them); optionally the "
            "map points (MAP_POINTS, LABEL_FIELD) so a force extract's rows get their point's "
            "label and LSOA and the snap distance is checked (FAR, metres, default 1000); an "
            "LSOA-to-neighbourhood lookup CSV (AREAS).\n\n"
            "Outputs: qa_report.json and qa_report.html in OUTPUT_FOLDER; SAVE_HISTORY "
            "(optional) keeps the month profiles for next month's HISTORY. Findings never "
            "fail the algorithm: give qa_report.json to the release so its audit and "
            "manifest record them."
        )

    def initAlgorithm(self, config: Optional[dict] = None) -> None:
        add_crimes_parameters(self, self.CRIMES, self.CRIMES_FILES, self.PROFILE)
        self.addParameter(
            QgsProcessingParameterMultipleLayers(
                self.HISTORY,
                "History: earlier months (.csv, folders, police.uk .zip, QA history .json)",
                SOURCE_FILE,
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                self.HISTORY_PROFILE,
                "Column-mapping profile for force extracts in the history",
                behavior=FILE_BEHAVIOUR_FILE,
                extension="json",
                optional=True,
            )
        )
        add_map_points_parameters(self, self.MAP_POINTS, self.LABEL_FIELD, optional=True)
        self.addParameter(
            QgsProcessingParameterFile(
                self.AREAS, "LSOA to neighbourhood lookup (CSV)",
                behavior=FILE_BEHAVIOUR_FILE, extension="csv", optional=True,
            )
        )  # fmt: skip
        self.addParameter(
            QgsProcessingParameterDistance(
                self.FAR, "Far from a map point beyond (metres)", 1000.0, minValue=1.0
            )
        )
        self.addParameter(
            QgsProcessingParameterFolderDestination(self.OUTPUT_FOLDER, "QA report folder")
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.SAVE_HISTORY, "Save QA history (month profiles)",
                "JSON files (*.json *.JSON)", optional=True, createByDefault=False,
            )
        )  # fmt: skip
        self.addOutput(QgsProcessingOutputString(self.REPORT_JSON, "QA report (JSON)"))
        self.addOutput(QgsProcessingOutputString(self.REPORT_HTML, "QA report (HTML)"))
        self.addOutput(QgsProcessingOutputNumber(self.HIGH, "High-severity findings"))
        self.addOutput(QgsProcessingOutputNumber(self.MEDIUM, "Medium-severity findings"))
        self.addOutput(QgsProcessingOutputNumber(self.LOW, "Low-severity findings"))
        self.addOutput(QgsProcessingOutputString(self.VERDICT, "Verdict"))

    def processAlgorithm(
        self,
        parameters: dict,
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict:
        # the run lock of OUTPUT_FOLDER first, as the command line's qa takes its --out's
        # (the release's check step writes the same report into <month>/qa): refused at
        # once, before anything is read, while another run (the month's release) writes it.
        # SAVE_HISTORY is one named file no release writes: its folder is not locked
        folder = self.parameterAsString(parameters, self.OUTPUT_FOLDER, context)
        with self.output_lock(folder, folder, feedback):
            return self._qa(parameters, context, feedback, folder)

    def _qa(
        self,
        parameters: dict,
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
        folder: str,
    ) -> dict:
        """The QA of :meth:`processAlgorithm`, under the run lock of ``folder``."""
        from ..core.qa.run import QaInputError, run_qa_files
        from ..core.release.map_points import MapPointsError
        from ..core.release.release_files import ReleaseInputError

        current = crimes_from_parameters(self, parameters, context, self.CRIMES, self.CRIMES_FILES)
        history = self.parameter_paths(parameters, self.HISTORY, context)
        if not history:
            raise QgsProcessingException("No history given (HISTORY is empty).")
        points = map_points_from_parameters(
            self, parameters, context, self.MAP_POINTS, self.LABEL_FIELD, optional=True
        )
        save = self.parameterAsFileOutput(parameters, self.SAVE_HISTORY, context) or None
        try:
            run = run_qa_files(
                current,
                history,
                profile_path=self.parameter_path(parameters, self.PROFILE, context),
                history_profile_path=self.parameter_path(parameters, self.HISTORY_PROFILE, context),
                points=points,
                areas_path=self.parameter_path(parameters, self.AREAS, context),
                out_dir=folder,
                save_history=save,
                far_metres=self.parameterAsDouble(parameters, self.FAR, context),
                feedback=self.core_feedback(feedback),
            )
        except Cancelled as exc:
            raise QgsProcessingException("Release QA cancelled.") from exc
        except (QaInputError, ReleaseInputError, MapPointsError) as exc:
            raise QgsProcessingException(str(exc)) from exc
        except OSError as exc:
            raise QgsProcessingException(f"Release QA could not write: {exc}") from exc
        report = run.report
        if feedback is not None:
            for error in run.file_errors:
                feedback.reportError(f"Input file not used: {error}")
            for note in report.history_left_out:
                feedback.pushWarning(f"History month left out: {note}")
            feedback.pushInfo(f"{shown_line(report.force)} {report.month}: {report.verdict}")
            for finding in report.findings:
                feedback.pushInfo(f"[{finding.severity}] {shown_line(finding.title)}")
        counts = report.counts()
        return {
            self.OUTPUT_FOLDER: folder,
            self.SAVE_HISTORY: str(run.history_json) if run.history_json else None,
            self.REPORT_JSON: str(run.report_json),
            self.REPORT_HTML: str(run.report_html),
            self.HIGH: counts["high"],
            self.MEDIUM: counts["medium"],
            self.LOW: counts["low"],
            self.VERDICT: report.verdict,
        }
