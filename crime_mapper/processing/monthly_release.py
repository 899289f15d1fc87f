"""Processing algorithm crime_mapper:monthly_release: the whole month in one run.

From a release configuration file (CONFIG) or from parameters, it runs every step the dock's
"Run the whole release" runs (core.monthly.release with the QGIS step runners): load,
anonymise (leak-gated), hotspots for intelligence staff, publish, and one manifest. So a
release runs from the toolbox, the model designer and the command line:

    qgis_process.bin run crime_mapper:monthly_release -- CONFIG=release.toml MONTH=2022-10
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputBoolean,
    QgsProcessingOutputFile,
    QgsProcessingOutputFolder,
    QgsProcessingOutputString,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from ..compat import FILE_BEHAVIOUR_FILE, NUMBER_INTEGER, SOURCE_FILE
from ..core.common.feedback import Cancelled
from ..core.release.release_limits import MIN_DISTANCE_M
from .base import CrimeMapperAlgorithm

MAP_POINT_KINDS = ("history", "file", "hexagon")


class MonthlyReleaseAlgorithm(CrimeMapperAlgorithm):
    """Every step of a monthly release, from a configuration file or from parameters."""

    GROUP_ID = "release"

    CONFIG = "CONFIG"
    MONTH = "MONTH"
    INPUTS = "INPUTS"
    PROFILE = "PROFILE"
    MAP_POINTS_KIND = "MAP_POINTS_KIND"
    MAP_POINTS = "MAP_POINTS"
    SALT_FILE = "SALT_FILE"
    RULES = "RULES"
    MAX_DISTANCE = "MAX_DISTANCE"
    HOTSPOTS = "HOTSPOTS"
    OUTPUT_FOLDER = "OUTPUT_FOLDER"
    MANIFEST = "MANIFEST"
    PUBLIC_CSV = "PUBLIC_CSV"
    AUDIT_HTML = "AUDIT_HTML"
    GATE_PASSED = "GATE_PASSED"
    SUMMARY = "SUMMARY"

    def name(self) -> str:
        return "monthly_release"

    def displayName(self) -> str:
        return self.tr("Monthly release (every step)")

    def tags(self) -> list[str]:
        return ["crime", "police.uk", "release", "monthly", "anonymise", "publish", "config"]

    def help_text(self) -> str:
        return self.tr(
            "Runs the whole monthly release in one go: load and validate the extracts, "
            "anonymise them for the public (map points, salted Crime IDs, rules, audit, leak "
            "gate), hotspots on the internal exact data for intelligence staff, publish, and "
            "one manifest (manifest.json) covering every step: inputs with checksums (the "
            "profile and the map points files included), settings, software versions, "
            "outputs with checksums and every leak-gate result.\n\n"
            "From a file: CONFIG is a release configuration (.toml or .json; `python3 -m "
            "crime_mapper.cli release --example` prints a commented one, the dock saves one) "
            "and MONTH the release month (YYYY-MM), which replaces {month} in its paths. The "
            "file then decides every setting: leave the other parameters at their defaults "
            "(a value given for one is refused, since it would not be used).\n\n"
            "From parameters (no CONFIG): INPUTS (extract files, folders or police.uk "
            "zips), PROFILE (a force export's column-mapping profile), MAP_POINTS_KIND and "
            "MAP_POINTS (the force's published police.uk history, or a map points .gpkg/.csv "
            "file; its labels written 'On or near X' are read as 'X'), SALT_FILE (kept "
            "outside the output folder), RULES, MAX_DISTANCE, HOTSPOTS and OUTPUT_FOLDER.\n\n"
            "The map points are also checked against the project's other loaded months (the "
            "internal crimes table of each other load): map points at their raw locations "
            "are refused. Under qgis_process there is no project, so none.\n\n"
            "It stops at the first failing step with the reason and what to do; every step "
            "writes all of its files or none, so earlier outputs stay as they were. Re-running "
            "the same release gives byte-identical files (the QGIS project apart).\n\n"
            "Command line: qgis_process.bin run crime_mapper:monthly_release -- "
            "CONFIG=release.toml MONTH=2022-10"
        )

    def initAlgorithm(self, config: Optional[dict] = None) -> None:
        self.addParameter(
            QgsProcessingParameterFile(
                self.CONFIG,
                self.tr("Release configuration (.toml or .json)"),
                FILE_BEHAVIOUR_FILE,
                fileFilter="Release configuration (*.toml *.json)",
                optional=True,
            )
        )
        self.addParameter(QgsProcessingParameterString(self.MONTH, self.tr("Month (YYYY-MM)")))
        self.addParameter(
            QgsProcessingParameterMultipleLayers(
                self.INPUTS,
                self.tr("Extracts (without a configuration)"),
                SOURCE_FILE,
                optional=True,
            )
        )
        for key, label in (
            (self.PROFILE, "Column-mapping profile"),
            (self.SALT_FILE, "Salt file (without a configuration)"),
            (self.RULES, "Release rules (JSON)"),
        ):
            self.addParameter(
                QgsProcessingParameterFile(key, self.tr(label), FILE_BEHAVIOUR_FILE, optional=True)
            )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.MAP_POINTS_KIND,
                self.tr("Map points from"),
                [
                    self.tr("the force's published police.uk history"),
                    self.tr("a map points file"),
                    self.tr("hexagon centres (last resort)"),
                ],
                defaultValue=0,
            )
        )
        self.addParameter(
            QgsProcessingParameterMultipleLayers(
                self.MAP_POINTS,
                self.tr("Map points sources (history files or one map points file)"),
                SOURCE_FILE,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.MAX_DISTANCE,
                self.tr("Maximum distance to a map point (metres)"),
                NUMBER_INTEGER,
                20000,
                minValue=int(MIN_DISTANCE_M),
            )
        )
        self.addParameter(
            QgsProcessingParameterBoolean(
                self.HOTSPOTS, self.tr("Hotspots for intelligence staff"), defaultValue=True
            )
        )
        self.addParameter(
            QgsProcessingParameterFolderDestination(
                self.OUTPUT_FOLDER,
                self.tr("Release folder (without a configuration)"),
                optional=True,
            )
        )
        self.addOutput(QgsProcessingOutputFolder(self.OUTPUT_FOLDER, self.tr("Release folder")))
        self.addOutput(QgsProcessingOutputFile(self.MANIFEST, self.tr("Manifest")))
        self.addOutput(QgsProcessingOutputFile(self.PUBLIC_CSV, self.tr("Public CSV")))
        self.addOutput(QgsProcessingOutputFile(self.AUDIT_HTML, self.tr("Audit page")))
        self.addOutput(QgsProcessingOutputBoolean(self.GATE_PASSED, self.tr("Leak gate passed")))
        self.addOutput(QgsProcessingOutputString(self.SUMMARY, self.tr("Summary")))

    def _config(self, parameters: dict, context: QgsProcessingContext):
        from ..core.monthly.config import (
            ConfigError,
            HotspotsConfig,
            MapPointsConfig,
            ReleaseConfig,
            read_config,
        )

        path = self.parameter_path(parameters, self.CONFIG, context)
        try:
            if path:
                unused = self._given_besides_config(parameters, context)
                if unused:
                    raise QgsProcessingException(
                        f"CONFIG is given, so the configuration file decides every setting; "
                        f"{', '.join(unused)} would not be used: leave "
                        f"{'it' if len(unused) == 1 else 'them'} out, or set "
                        f"{'it' if len(unused) == 1 else 'them'} in the file"
                    )
                return read_config(path)
            out = self.parameterAsString(parameters, self.OUTPUT_FOLDER, context)
            kind = MAP_POINT_KINDS[self.parameter_enum(parameters, self.MAP_POINTS_KIND, context)]
            return ReleaseConfig(
                inputs=self._file_list(parameters, self.INPUTS, context),
                profile=self.parameter_path(parameters, self.PROFILE, context) or "",
                salt_file=self.parameter_path(parameters, self.SALT_FILE, context) or "",
                rules=self.parameter_path(parameters, self.RULES, context) or "",
                output=out,
                max_distance_m=self.parameterAsDouble(parameters, self.MAX_DISTANCE, context),
                map_points=MapPointsConfig(
                    kind=kind,
                    paths=self._file_list(parameters, self.MAP_POINTS, context),
                ),
                hotspots=HotspotsConfig(
                    enabled=self.parameter_bool(parameters, self.HOTSPOTS, context)
                ),
                base_dir=Path.cwd(),
            )
        except ConfigError as exc:
            raise QgsProcessingException(str(exc)) from exc

    def _file_list(self, parameters: dict, name: str, context: QgsProcessingContext) -> list[str]:
        """The paths a multiple-files parameter holds, none when it holds none, read as the
        other algorithms read theirs (base.split_paths). Why: parameterAsFileList gives
        [""] for an empty one, and "" is the folder the process runs in: with no INPUTS the
        release loaded every CSV under the working folder, and "No extract is given" was
        never said (MAP_POINTS alike)."""
        return self.parameter_paths(parameters, name, context)

    def path_to_check(
        self, path: str, parameters: dict, context: QgsProcessingContext
    ) -> Optional[str]:
        """A given path as the release reads it (ReleaseConfig.path: ``{month}`` filled in,
        ``~`` expanded), for the inputs' check (base); None when the release itself refuses
        it (a bad month or placeholder), so that its own message is the one shown."""
        from ..core.monthly.config import ConfigError, ReleaseConfig

        month = self.parameterAsString(parameters, self.MONTH, context).strip()
        try:
            config = ReleaseConfig(inputs=[], salt_file="", output="", base_dir=Path.cwd())
            return str(config.path(path, month))
        except ConfigError:
            return None if "\x00" not in path else path

    def _given_besides_config(self, parameters: dict, context: QgsProcessingContext) -> list[str]:
        """The parameters given a value of their own although CONFIG is given. Why: with
        CONFIG the file decides every setting, and a MAX_DISTANCE, SALT_FILE or
        OUTPUT_FOLDER given beside it was ignored in silence (a release at 20 km instead of
        the 5 km asked for, in another folder). A default (what the dialog passes for a
        field left alone) is no value of the user's."""
        given = [
            name
            for name in (self.PROFILE, self.SALT_FILE, self.RULES)
            if self.parameter_path(parameters, name, context)
        ]
        given += [
            name
            for name in (self.INPUTS, self.MAP_POINTS)
            if self._file_list(parameters, name, context)
        ]
        if self.parameter_enum(parameters, self.MAP_POINTS_KIND, context) != 0:
            given.append(self.MAP_POINTS_KIND)
        if parameters.get(self.MAX_DISTANCE) is not None and (
            self.parameterAsDouble(parameters, self.MAX_DISTANCE, context) != 20000
        ):
            given.append(self.MAX_DISTANCE)
        if not self.parameter_bool(parameters, self.HOTSPOTS, context):
            given.append(self.HOTSPOTS)
        folder = parameters.get(self.OUTPUT_FOLDER)
        if hasattr(folder, "sink"):  # (a QgsProcessingOutputLayerDefinition)
            folder = folder.sink.staticValue()
        if isinstance(folder, str) and folder.strip() not in ("", QgsProcessing.TEMPORARY_OUTPUT):
            given.append(self.OUTPUT_FOLDER)
        return [name for name in self.PARAMETER_ORDER if name in given]

    PARAMETER_ORDER = (
        "INPUTS",
        "PROFILE",
        "SALT_FILE",
        "RULES",
        "MAP_POINTS_KIND",
        "MAP_POINTS",
        "MAX_DISTANCE",
        "HOTSPOTS",
        "OUTPUT_FOLDER",
    )

    def prepareAlgorithm(  # noqa: N802 - QGIS API
        self, parameters: dict, context: QgsProcessingContext, feedback: QgsProcessingFeedback
    ) -> bool:
        """Main thread (the toolbox's task calls it in its constructor): the project's other
        loads are listed here, so that processAlgorithm, in a worker thread, never reads the
        project's layer registry."""
        from ..qgis_bridge.crimes_source import loaded_internal_crimes

        self.other_crimes = tuple(loaded_internal_crimes(context.project()))
        return True

    def processAlgorithm(
        self, parameters: dict, context: QgsProcessingContext, feedback: QgsProcessingFeedback
    ) -> dict:
        """The release, in Processing's worker thread from the toolbox: progress and each
        step's state go to ``feedback`` (both thread-safe), Cancel stops it at the next check
        (core.common.feedback.Cancelled; staged writes are dropped), and no object of the
        user interface is touched (the QGIS project written with the release is a new one,
        made here)."""
        from ..core.monthly.release import (
            MonthlyReleaseError,
            cancelled_text,
            run_monthly_release,
        )
        from ..qgis_bridge.monthly_release import QgisStepRunners

        config = self._config(parameters, context)
        month = self.parameterAsString(parameters, self.MONTH, context).strip()
        runners = QgisStepRunners()
        runners.other_crimes = getattr(self, "other_crimes", ())
        try:
            outputs = run_monthly_release(
                config,
                month,
                runners=runners,
                feedback=self.core_feedback(feedback),
                on_step=lambda step, state: (
                    feedback.pushInfo(f"{step}: {state}") if feedback is not None else None
                ),
            )
        except Cancelled as exc:
            raise QgsProcessingException(cancelled_text(exc)) from exc
        except MonthlyReleaseError as exc:
            raise QgsProcessingException(str(exc)) from exc
        summary = outputs.summary_text()
        if feedback is not None:
            feedback.pushInfo(summary)
            # each step's warnings, as the step's own algorithm pushes them (the summaries'
            # neighbourhood_summaries, the web map's export_webmap): every one, so that the
            # log the toolbox keeps holds what the published pages left out
            for line in outputs.warning_lines():
                feedback.pushWarning(line)
        release = outputs.release
        return {
            self.OUTPUT_FOLDER: str(outputs.out_dir),
            self.MANIFEST: str(outputs.manifest),
            self.PUBLIC_CSV: str(release.public_csv) if release else "",
            self.AUDIT_HTML: str(release.audit_html) if release else "",
            self.GATE_PASSED: bool(release.gate_passed) if release else False,
            self.SUMMARY: summary,
        }
