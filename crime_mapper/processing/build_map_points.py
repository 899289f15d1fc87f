"""Processing algorithm crime_mapper:build_map_points — the anonymous map points of a release.

Four sources, as an analyst may have them: a point layer with a label field, the force's own
published police.uk history, a roads layer (with address points), or — when nothing else
exists — hexagon centres. The result is one GeoPackage layer ``map_points`` (label, source,
addresses, lsoa_code, lsoa_name; WGS84) that crime_mapper:anonymise takes as its map points.
"""

from __future__ import annotations

from typing import Optional

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingOutputVectorLayer,
    QgsProcessingParameterEnum,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterVectorLayer,
    QgsProcessingUtils,
)

from ..compat import (
    FILE_BEHAVIOUR_FILE,
    NUMBER_DOUBLE,
    NUMBER_INTEGER,
    SOURCE_FILE,
    SOURCE_VECTOR_LINE,
    SOURCE_VECTOR_POINT,
)
from ..core.common.feedback import Cancelled
from ..core.common.input_files import output_clash
from ..core.common.text_file import shown_path
from .base import CrimeMapperAlgorithm
from .parameters import crimes_from_parameters

MODES = (
    "Point layer with a label field",
    "Derived from police.uk history files",
    "Roads layer (+ optional address points)",
    "Hexagon fallback (not street level)",
)
MODE_LAYER, MODE_HISTORY, MODE_ROADS, MODE_HEXAGON = range(4)
#: The inputs each source (MODE) reads; an input of another source given too is not read,
#: and the run says so (unread_inputs).
MODE_INPUTS: dict[int, tuple[str, ...]] = {
    MODE_LAYER: ("POINTS", "LABEL_FIELD"),
    MODE_HISTORY: ("HISTORY",),
    MODE_ROADS: ("ROADS", "ROAD_NAME_FIELD", "ADDRESSES"),
    MODE_HEXAGON: ("CRIMES", "CRIMES_FILES", "PROFILE"),
}


class BuildMapPointsAlgorithm(CrimeMapperAlgorithm):
    """Build the anonymous map points GeoPackage from whatever the analyst has."""

    GROUP_ID = "release"

    MODE = "MODE"
    POINTS = "POINTS"
    LABEL_FIELD = "LABEL_FIELD"
    HISTORY = "HISTORY"
    ROADS = "ROADS"
    ROAD_NAME_FIELD = "ROAD_NAME_FIELD"
    ADDRESSES = "ADDRESSES"
    MIN_ADDRESSES = "MIN_ADDRESSES"
    HEX_SIZE = "HEX_SIZE"
    CRIMES = "CRIMES"
    CRIMES_FILES = "CRIMES_FILES"
    PROFILE = "PROFILE"
    OUTPUT = "OUTPUT"
    OUTPUT_LAYER = "OUTPUT_LAYER"
    COUNT = "COUNT"
    WARNINGS = "WARNINGS"

    def name(self) -> str:
        return "build_map_points"

    def displayName(self) -> str:
        return "Build anonymous map points"

    def tags(self) -> list[str]:
        return [
            "police.uk",
            "map points",
            "anonymise",
            "roads",
            "addresses",
            "hexagon",
            "snap points",
            "release",
        ]

    def help_text(self) -> str:
        return (
            "Builds the master list of anonymous map points a release publishes crimes at. "
            "police.uk convention: each map point lies over the centre of a street, a public "
            "place or a commercial premise, and its catchment (the addresses nearer to it than "
            "to any other point) holds at least 8 postal addresses, or none. Every crime is "
            "later moved to its nearest map point and published 'On or near <label>'.\n\n"
            "Source (MODE):\n"
            "0 — Point layer (POINTS) with a label field (LABEL_FIELD): any CRS, reprojected "
            "to WGS84. Labels written 'On or near X' are stored as 'X'.\n"
            "1 — police.uk history (HISTORY): the force's published street files (.csv, "
            "folders or monthly .zip; ';'-separated for qgis_process). The distinct published "
            "points and their labels are the real national map points of the area; an empty "
            "label is kept, as police.uk publishes it.\n"
            "2 — Roads (ROADS, a line layer) with the road name field (ROAD_NAME_FIELD), and "
            "optionally address points (ADDRESSES): a candidate at the middle of each street "
            "segment between junctions (one per 300 m of long roads); with addresses, points "
            "whose catchment holds fewer than MIN_ADDRESSES (default 8) are dropped and their "
            "addresses go to the next nearest point, until every point keeps the rule.\n"
            "3 — Hexagon fallback: hexagon centres of HEX_SIZE metres over the crimes "
            "(CRIMES layer of a load, or CRIMES_FILES with an optional PROFILE), labelled by "
            "the most frequent LSOA name. These are NOT street-level points: the audit of "
            "every release made with them says so.\n\n"
            "Distances are measured in metres in British National Grid (EPSG:27700), or Irish "
            "Transverse Mercator (EPSG:2157) for Northern Ireland. Layers are checked before "
            "any work: an empty layer, the wrong geometry type, a missing field, an unknown "
            "CRS or a projected CRS not in metres is refused with a clear message.\n\n"
            "Output (OUTPUT): a GeoPackage with the layer 'map_points' (label, source, "
            "addresses [-1 where unknown], lsoa_code, lsoa_name; WGS84 points)."
        )

    def initAlgorithm(self, config: Optional[dict] = None) -> None:
        self.addParameter(
            QgsProcessingParameterEnum(
                self.MODE, "Map points from", options=list(MODES), defaultValue=MODE_LAYER
            )
        )
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.POINTS,
                "Point layer",
                [SOURCE_VECTOR_POINT],
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.LABEL_FIELD, "Label field", None, self.POINTS, optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterMultipleLayers(
                self.HISTORY,
                "police.uk history files (.csv, folders, .zip)",
                SOURCE_FILE,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.ROADS, "Roads layer", [SOURCE_VECTOR_LINE], optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.ROAD_NAME_FIELD, "Road name field", None, self.ROADS, optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.ADDRESSES,
                "Address points (optional)",
                [SOURCE_VECTOR_POINT],
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.MIN_ADDRESSES,
                "Minimum addresses per catchment (K)",
                NUMBER_INTEGER,
                8,
                minValue=1,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.HEX_SIZE,
                "Hexagon size (metres between centres)",
                NUMBER_DOUBLE,
                500.0,
                minValue=1.0,
            )
        )
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.CRIMES,
                "Crimes layer (hexagon fallback)",
                [SOURCE_VECTOR_POINT],
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterMultipleLayers(
                self.CRIMES_FILES,
                "Or crime extract files (hexagon fallback)",
                SOURCE_FILE,
                optional=True,
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
                self.OUTPUT, "Map points GeoPackage", "GeoPackage (*.gpkg *.GPKG)"
            )
        )
        self.addOutput(
            QgsProcessingOutputVectorLayer(
                self.OUTPUT_LAYER, "Map points layer", SOURCE_VECTOR_POINT
            )
        )
        self.addOutput(QgsProcessingOutputNumber(self.COUNT, "Map points"))
        self.addOutput(QgsProcessingOutputString(self.WARNINGS, "Warnings"))

    def _input_files(self, parameters: dict, context: QgsProcessingContext) -> list[str]:
        """Every file this run may read. Why: the map points written over the history CSV
        or the points GeoPackage they were read from replaced it and reported success; on
        a folder they failed only after the work, as "[Errno 21] Is a directory"."""
        from ..qgis_bridge.hotspot_task import source_file

        layers = (self.POINTS, self.ROADS, self.ADDRESSES, self.CRIMES)
        files = [
            source_file(self.parameterAsVectorLayer(parameters, name, context)) or ""
            for name in layers
        ]
        for name in (self.HISTORY, self.CRIMES_FILES):
            files += self.parameter_paths(parameters, name, context)
        return [*files, self.parameter_path(parameters, self.PROFILE, context) or ""]

    def processAlgorithm(
        self,
        parameters: dict,
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict:
        from ..core.release import map_points_files as files
        from ..core.release.crimes_input import load_profile, open_crimes_source
        from ..core.release.map_points import MapPointsError
        from ..qgis_bridge import map_points_io as io

        mode = self.parameter_enum(parameters, self.MODE, context)
        adapter = self.core_feedback(feedback)
        for warning in unread_inputs(parameters, mode) if feedback is not None else ():
            feedback.pushWarning(warning)
        output = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        clash = output_clash(self._input_files(parameters, context), [("map points", output)])
        if clash is not None:
            raise QgsProcessingException(clash)
        try:
            if mode == MODE_LAYER:
                layer = self.parameterAsVectorLayer(parameters, self.POINTS, context)
                label = self.parameterAsString(parameters, self.LABEL_FIELD, context)
                points = io.points_from_source(layer, label, adapter)
            elif mode == MODE_HISTORY:
                paths = self.parameter_paths(parameters, self.HISTORY, context)
                points = files.history_points(paths, adapter)
            elif mode == MODE_ROADS:
                roads = self.parameterAsVectorLayer(parameters, self.ROADS, context)
                name = self.parameterAsString(parameters, self.ROAD_NAME_FIELD, context)
                addresses = self.parameterAsVectorLayer(parameters, self.ADDRESSES, context)
                k = self.parameter_whole(parameters, self.MIN_ADDRESSES, context)
                points = io.roads_from_source(roads, name, addresses, k, adapter)
            else:
                crimes = crimes_from_parameters(
                    self, parameters, context, self.CRIMES, self.CRIMES_FILES
                )
                profile = load_profile(self.parameter_path(parameters, self.PROFILE, context))
                size = self.parameterAsDouble(parameters, self.HEX_SIZE, context)
                table = open_crimes_source(crimes, profile=profile, feedback=adapter).crimes
                points = files.hexagon_points(table, size)
            adapter.check()
            files.write_map_points_gpkg(points, output)
        except Cancelled as exc:
            raise QgsProcessingException(
                "Cancelled: an earlier map points file was left unchanged."
            ) from exc
        except MapPointsError as exc:
            raise QgsProcessingException(f"Map points: {exc}") from exc
        except (OSError, ValueError) as exc:
            raise QgsProcessingException(f"Build map points failed: {exc}") from exc
        warnings = "\n".join(points.warnings)
        if feedback is not None:
            feedback.pushInfo(f"{len(points):,} map points written to {shown_path(output)}")
            for warning in points.warnings:
                feedback.pushWarning(warning)  # (QGIS 3.16 and later: every QGIS this runs on)
        uri = f"{output}|layername={files.MAP_POINTS_TABLE}"
        if context.project() is not None:
            details = QgsProcessingContext.LayerDetails(
                "Map points",
                context.project(),
                self.OUTPUT_LAYER,
                QgsProcessingUtils.LayerHint.Vector,
            )
            context.addLayerToLoadOnCompletion(uri, details)
        return {
            self.OUTPUT: output,
            self.OUTPUT_LAYER: uri,
            self.COUNT: len(points),
            self.WARNINGS: warnings,
        }


def unread_inputs(parameters: dict, mode: int) -> list[str]:
    """A warning for each input given that ``mode`` does not read (HISTORY given with the
    point layer source, say). Why: such an input was passed over without a word, so an
    analyst who chose history files but left the source at its default built map points from
    a layer and never heard the files were not read."""
    read = MODE_INPUTS.get(mode, ())
    unread = [
        name
        for names in MODE_INPUTS.values()
        for name in names
        if name not in read and parameters.get(name) not in (None, "", [])
    ]
    return [
        f"{name} is given but not read: the source (MODE) is {MODES[mode]!r}, which reads "
        f"{', '.join(read)}"
        for name in unread
    ]
