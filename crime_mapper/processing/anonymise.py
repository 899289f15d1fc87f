"""Processing algorithm crime_mapper:anonymise — the public release, for models and scripts.

It runs the one release pipeline (core.release.pipeline.run_anonymise, through
qgis_bridge.run_anonymise, which adds the QML style and the QGIS version), as the Release
panel's background task and the command line do, so the toolbox, the model designer, batch
mode, ``qgis_process.bin run crime_mapper:anonymise`` and ``python -m crime_mapper.cli
anonymise`` give the same public files.
"""

from __future__ import annotations

from typing import Any, Optional

from qgis.core import (
    QgsMapLayer,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsVectorLayer,
)

from ..compat import FILE_BEHAVIOUR_FILE, NUMBER_DOUBLE, SOURCE_VECTOR_POINT
from ..core.common.feedback import Cancelled
from ..core.release.release_limits import MAX_DISTANCE_LIMIT_M, MIN_DISTANCE_M
from .base import CrimeMapperAlgorithm
from .parameters import (
    add_crimes_parameters,
    add_map_points_parameters,
    crimes_from_parameters,
    map_points_from_parameters,
)

# pandas, numpy and the core are imported when the algorithm runs, not when QGIS starts.

POLICE_UK_NOTE = (
    "police.uk convention: every crime moves to its nearest anonymous map point (a point "
    "over the centre of a street, a public place or a commercial premise); a crime more than "
    "the maximum distance (police.uk: 20 km) from every map point is published without a "
    "location, never dropped. Location text is 'On or near <label>' ('On or near ' alone for "
    "an empty label). Crime ID is a 64-hex keyed hash of the source reference (blank for "
    "anti-social behaviour)."
)


def other_crimes_from_parameters(
    alg: QgsProcessingAlgorithm,
    parameters: dict,
    context: QgsProcessingContext,
    name: str,
    crimes: Any,
) -> list[str]:
    """The internal crimes tables of other months the map points are checked against: the
    layers given (each must be the crimes layer of a load), or, when none are given, every
    other load in the project (none when there is no project, as under qgis_process)."""
    from ..qgis_bridge.crimes_source import internal_crimes_uri, loaded_internal_crimes

    layers = alg.parameterAsLayerList(parameters, name, context)
    if not layers:
        return loaded_internal_crimes(context.project(), exclude=crimes)
    uris = []
    for layer in layers:
        uri = internal_crimes_uri(layer)
        if uri is None:
            raise QgsProcessingException(
                f"{layer.name()!r} ({name}) is not the crimes layer of a crime_mapper load: "
                "give the crimes layers of other loaded months, or leave it empty to check "
                "every other load in the project."
            )
        uris.append(uri)
    return uris


def _style_public_layer(layer: QgsMapLayer) -> None:
    if not isinstance(layer, QgsVectorLayer):
        return
    from ..qgis_bridge.run_anonymise import style_public_layer

    style_public_layer(layer)


class AnonymiseAlgorithm(CrimeMapperAlgorithm):
    """Anonymise crimes onto map points: public CSV and layer, audit, release manifest."""

    GROUP_ID = "release"

    CRIMES = "CRIMES"
    CRIMES_FILES = "CRIMES_FILES"
    PROFILE = "PROFILE"
    MAP_POINTS = "MAP_POINTS"
    LABEL_FIELD = "LABEL_FIELD"
    MAX_DISTANCE = "MAX_DISTANCE"
    RULES = "RULES"
    SALT_FILE = "SALT_FILE"
    QA_REPORT = "QA_REPORT"
    OTHER_CRIMES = "OTHER_CRIMES"
    PUBLIC_CSV = "PUBLIC_CSV"
    PUBLIC_LAYER = "PUBLIC_LAYER"
    AUDIT_JSON = "AUDIT_JSON"
    AUDIT_HTML = "AUDIT_HTML"
    MANIFEST = "MANIFEST"
    ROWS_IN = "ROWS_IN"
    PUBLISHED = "PUBLISHED"
    NO_LOCATION = "NO_LOCATION"
    WITHHELD = "WITHHELD"
    REJECTED = "REJECTED"
    SUMMARY = "SUMMARY"

    def name(self) -> str:
        return "anonymise"

    def displayName(self) -> str:
        return "Anonymise for public release"

    def tags(self) -> list[str]:
        return [
            "crime",
            "police.uk",
            "anonymise",
            "release",
            "map points",
            "snap",
            "audit",
            "salt",
            "public",
        ]

    def help_text(self) -> str:
        return (
            "Turns the internal crimes table into a public release in police.uk's "
            "street-level format, and proves it safe.\n\n"
            f"{POLICE_UK_NOTE}\n\n"
            "Inputs:\n"
            "- Crimes layer (CRIMES): the crimes layer of a crime_mapper load (its "
            "GeoPackage table 'crimes'); or\n"
            "- Crime extract files (CRIMES_FILES): .csv files, folders or police.uk monthly "
            ".zip archives, loaded afresh (their rejected rows are counted in the audit); for "
            "qgis_process give CRIMES_FILES= once per path or one value separated by ';'. "
            "Give one of the two.\n"
            "- Column-mapping profile (PROFILE, optional): for force extracts; a profile that "
            "maps no column to a crime category is refused.\n"
            "- Map points layer (MAP_POINTS): a point layer in any CRS (e.g. the output of "
            "'Build anonymous map points'); LABEL_FIELD names its label field (default "
            "'label'). Labels written 'On or near X' are read as 'X'.\n"
            "- Maximum distance (MAX_DISTANCE, metres, default 20000 as police.uk).\n"
            "- Release rules (RULES, optional): a JSON rules file saying, per category, "
            "'map', 'no_location' or 'withhold', and what happens to rows flagged sensitive. "
            "Default: every category mapped, sensitive rows withheld.\n"
            "- Salt file (SALT_FILE): a file holding the force's secret salt (at least 16 "
            "bytes). It is a file, not a text parameter, because Processing records "
            "parameter values in its history log. Keep it outside the output folders and "
            "reuse it every month so Crime IDs stay stable.\n"
            "- Release QA report (QA_REPORT, optional): this month's qa_report.json from "
            "'Release QA'; its verdict and findings are recorded in the audit and manifest.\n"
            "- Other months' crimes (OTHER_CRIMES, optional): crimes layers of other "
            "crime_mapper loads. Map points lying at their raw (true) locations are refused, "
            "as map points at this month's are: map points made from any month's crimes are "
            "not anonymous. Left empty, every other load in the project is checked (the "
            "internal crimes table each load marks as such; police.uk rows in them are "
            "skipped, as they already sit at anonymous points); under qgis_process, with no "
            "project, none unless given.\n\n"
            "Outputs:\n"
            "- Public CSV (PUBLIC_CSV): police.uk format; name it like police.uk, "
            "<YYYY-MM>-<force>-street.csv (the Release panel does).\n"
            "- Public layer (PUBLIC_LAYER): a GeoPackage, table 'public_crimes', exactly the "
            "police.uk columns, WGS84 points at map points; rows without a location have no "
            "geometry. Styled by crime type.\n"
            "- Audit (AUDIT_JSON, AUDIT_HTML): rows in, published at a map point, published "
            "without location, withheld, rejected per category (they reconcile); "
            "displacement; map points used; every leak gate check.\n"
            "- Release manifest (MANIFEST): inputs with SHA-256, settings, salt fingerprint, "
            "output checksums and version.\n\n"
            "The leak gate checks the public CSV and layer before anything is written: if it "
            "fails the algorithm fails and every earlier output is left unchanged. The same "
            "inputs, settings and salt give byte-identical outputs."
        )

    def initAlgorithm(self, config: Optional[dict] = None) -> None:
        add_crimes_parameters(self, self.CRIMES, self.CRIMES_FILES, self.PROFILE)
        add_map_points_parameters(self, self.MAP_POINTS, self.LABEL_FIELD)
        distance = QgsProcessingParameterNumber(
            self.MAX_DISTANCE,
            "Maximum distance to a map point (metres)",
            NUMBER_DOUBLE,
            20000.0,
            minValue=MIN_DISTANCE_M,
            maxValue=MAX_DISTANCE_LIMIT_M,
        )
        self.addParameter(distance)
        self.addParameter(
            QgsProcessingParameterFile(
                self.RULES,
                "Release rules (JSON)",
                behavior=FILE_BEHAVIOUR_FILE,
                extension="json",
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                self.SALT_FILE,
                "Salt file (secret; kept outside the outputs)",
                behavior=FILE_BEHAVIOUR_FILE,
                # any name: QGIS's default filter ("*.*") refuses a file with no extension
                fileFilter="All files (*)",
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                self.QA_REPORT,
                "Release QA report (qa_report.json), recorded in the audit and manifest",
                behavior=FILE_BEHAVIOUR_FILE,
                extension="json",
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterMultipleLayers(
                self.OTHER_CRIMES,
                "Other months' crimes layers (default: every other load in the project)",
                SOURCE_VECTOR_POINT,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.PUBLIC_CSV, "Public CSV (police.uk format)", "CSV files (*.csv *.CSV)"
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.PUBLIC_LAYER, "Public layer (GeoPackage)", "GeoPackage (*.gpkg *.GPKG)"
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.AUDIT_JSON, "Audit (JSON)", "JSON files (*.json *.JSON)"
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.AUDIT_HTML, "Audit (HTML)", "HTML files (*.html *.HTML)"
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.MANIFEST, "Release manifest (JSON)", "JSON files (*.json *.JSON)"
            )
        )
        for name, description in (
            (self.ROWS_IN, "Rows in"),
            (self.PUBLISHED, "Published at a map point"),
            (self.NO_LOCATION, "Published without a location"),
            (self.WITHHELD, "Withheld by rule"),
            (self.REJECTED, "Rejected"),
        ):
            self.addOutput(QgsProcessingOutputNumber(name, description))
        self.addOutput(QgsProcessingOutputString(self.SUMMARY, "Readable summary"))

    def processAlgorithm(
        self,
        parameters: dict,
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict:
        from pathlib import Path

        from ..qgis_bridge.anonymise_process import start_child

        outputs = {
            name: self.parameterAsFileOutput(parameters, name, context)
            for name in (
                self.PUBLIC_CSV,
                self.PUBLIC_LAYER,
                self.AUDIT_JSON,
                self.AUDIT_HTML,
                self.MANIFEST,
            )
        }
        # the run lock of the folders the outputs go in, as the command line's anonymise
        # takes its --out's: refused at once, before anything is read, while another run
        # (the month's release) writes one of them; held until the child has committed
        folders = [Path(p).parent for p in outputs.values() if p]
        with self.output_lock(folders, feedback=feedback):
            # the release runs in a Python process of its own when its inputs are files (it
            # may fork there): started first, its imports overlap the reading of the
            # parameters
            started = start_child()
            try:
                result = self._release(parameters, context, feedback, started, outputs)
            finally:
                if started is not None:
                    started.discard()  # (unless the release was handed to it)
        return {
            self.PUBLIC_CSV: str(result.public_csv),
            self.PUBLIC_LAYER: str(result.public_gpkg),
            self.AUDIT_JSON: str(result.audit_json),
            self.AUDIT_HTML: str(result.audit_html),
            self.MANIFEST: str(result.manifest),
            self.ROWS_IN: result.rows_in,
            self.PUBLISHED: result.published_at_map_point,
            self.NO_LOCATION: result.published_without_location,
            self.WITHHELD: result.withheld_by_rule,
            self.REJECTED: result.rejected,
            self.SUMMARY: result.summary_text(),
        }

    def _release(
        self,
        parameters: dict,
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
        started: Any,
        outputs: dict[str, str],
    ) -> Any:
        """The release the parameters describe (in ``started``, the child, when it can),
        into ``outputs`` (each output parameter's path)."""
        from ..core.gate.leak_gate import LeakError
        from ..core.release.release_files import ReleaseInputError
        from ..qgis_bridge.anonymise_process import ChildFailed, run_anonymise_beside

        crimes = crimes_from_parameters(self, parameters, context, self.CRIMES, self.CRIMES_FILES)
        points = map_points_from_parameters(
            self, parameters, context, self.MAP_POINTS, self.LABEL_FIELD
        )
        other_crimes = other_crimes_from_parameters(
            self, parameters, context, self.OTHER_CRIMES, crimes
        )
        try:
            result = run_anonymise_beside(
                crimes,
                points,
                rules=self.parameter_path(parameters, self.RULES, context),
                salt_file=self.parameter_path(parameters, self.SALT_FILE, context),
                max_distance_m=self.parameterAsDouble(parameters, self.MAX_DISTANCE, context),
                profile_path=self.parameter_path(parameters, self.PROFILE, context),
                feedback=self.core_feedback(feedback),
                public_csv_path=outputs[self.PUBLIC_CSV],
                public_gpkg_path=outputs[self.PUBLIC_LAYER],
                audit_json_path=outputs[self.AUDIT_JSON],
                audit_html_path=outputs[self.AUDIT_HTML],
                manifest_path=outputs[self.MANIFEST],
                qa_report=self.parameter_path(parameters, self.QA_REPORT, context),
                other_crimes=other_crimes,
                started=started,
            )
        except Cancelled as exc:
            raise QgsProcessingException(
                "Anonymise cancelled: earlier outputs were left unchanged."
            ) from exc
        except (LeakError, ReleaseInputError) as exc:
            raise QgsProcessingException(str(exc)) from exc
        except (OSError, ValueError, ChildFailed) as exc:
            raise QgsProcessingException(f"Anonymise failed: {exc}") from exc
        if feedback is not None:
            feedback.pushInfo(result.summary_text())
        self.load_styled_on_completion(
            context,
            result.public_uri,
            f"Public release — {result.public_csv.stem}",
            self.PUBLIC_LAYER,
            _style_public_layer,
        )
        return result
