"""Processing algorithm crime_mapper:publish_hotspots — a hotspot grid for the public.

Issue 4: "publishing a hotspot layer goes through the leak gate like everything public". The
internal hotspot algorithms run on exact data and are for internal use; this one builds the
grid only from the public release CSV (written by crime_mapper:anonymise), checks that the
release it starts from is itself safe, and gates the staged file before it is moved into
place. It calls qgis_bridge.hotspot_publish.run_publish_hotspots, the same implementation as
the dock's Hotspots panel ("Publish for the public…").
"""

from __future__ import annotations

import os
from typing import Optional, Union

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorDestination,
)

from ..compat import FILE_BEHAVIOUR_FILE, NUMBER_DOUBLE, NUMBER_INTEGER, SOURCE_VECTOR_POLYGON
from ..core.common.feedback import Cancelled
from ..core.common.text_file import shown_path
from ..core.hotspots.hexgrid import DEFAULT_MAX_CELLS, SMALLEST_SIZE_M
from ..core.hotspots.methods import PUBLIC_METHODS
from .base import CrimeMapperAlgorithm
from .hotspots_grid import CATEGORY_CHOICES, hotspot_styler
from .parameters import (
    add_crimes_parameters,
    add_map_points_parameters,
    crimes_from_parameters,
    map_points_from_parameters,
)

PathLike = Union[str, "os.PathLike[str]"]


class PublishHotspotsAlgorithm(CrimeMapperAlgorithm):
    """A hexagon counts / Gi* grid for the public, from the public release, leak-gated."""

    GROUP_ID = "release"

    RELEASE = "RELEASE"
    CRIMES = "CRIMES"
    CRIMES_FILES = "CRIMES_FILES"
    PROFILE = "PROFILE"
    MAP_POINTS = "MAP_POINTS"
    LABEL_FIELD = "LABEL_FIELD"
    METHOD = "METHOD"
    CELL_SIZE = "CELL_SIZE"
    CATEGORY = "CATEGORY"
    MONTHS = "MONTHS"
    FDR = "FDR"
    MAX_CELLS = "MAX_CELLS"
    OUTPUT = "OUTPUT"
    CELLS = "CELLS"
    CRIMES_COUNTED = "CRIMES_COUNTED"
    LEGEND = "LEGEND"

    def name(self) -> str:
        return "publish_hotspots"

    def displayName(self) -> str:
        return "Publish a hotspot grid for the public"

    def tags(self) -> list[str]:
        return [
            "crime",
            "police.uk",
            "hotspot",
            "hexagon",
            "publish",
            "public",
            "leak",
            "gate",
            "release",
            "Gi*",
        ]

    def help_text(self) -> str:
        return (
            "Makes a hotspot grid that may be published: crime counts or Getis-Ord Gi* hot "
            "and cold spots on hexagons, built from the public police.uk-style release, "
            "never from the internal crimes (the Hotspots algorithms work on exact data and "
            "are for internal use only).\n\n"
            "Only the public release can be published from: the release CSV must have "
            "exactly the police.uk street columns written by 'Anonymise for public release'; "
            "the internal crimes GeoPackage, or any other table, is refused with a message. "
            "The release is first checked by the leak gate against the raw crimes and the "
            "map points (a release edited since, e.g. a coordinate moved off its map point, "
            "is refused). Crimes are counted at their published map point locations; crimes "
            "published without a location are not counted.\n\n"
            "The hexagon corners are the only coordinates the layer holds: they come from "
            "the settings (grid size, CRS origin), not from the data, and they are the only "
            "coordinates besides map points that the leak gate allows. The gate runs on "
            "the finished file before it is moved into place: if it fails, the algorithm "
            "fails with the gate's message and an earlier OUTPUT is left unchanged.\n\n"
            "Inputs:\n"
            "- Public release CSV (RELEASE): the PUBLIC_CSV of crime_mapper:anonymise.\n"
            "- Raw crimes the gate checks against: the crimes layer of a crime_mapper load "
            "(CRIMES), or raw extract files (CRIMES_FILES: .csv, folders, police.uk .zip; "
            "';'-separated for qgis_process) with an optional column-mapping profile "
            "(PROFILE). Give one.\n"
            "- Map points layer (MAP_POINTS) and its label field (LABEL_FIELD, default "
            "'label'): the map points the release was made with.\n"
            "- Method (METHOD): crime counts on hexagons, or Gi* hot and cold spots (with an "
            "optional false discovery rate correction, FDR).\n"
            "- Hexagon size (CELL_SIZE, metres between neighbouring cell centres, default "
            "500): the grid is anchored at the origin of British National Grid (or Irish "
            "Transverse Mercator for Northern Ireland), so a size always gives the same "
            "cells.\n"
            "- Category (CATEGORY): 'All' or one police.uk category. Months (MONTHS): empty "
            "for all, or e.g. 2022-09,2022-10.\n"
            "- Maximum cells (MAX_CELLS): a size that would make more cells stops with a "
            "clear message.\n\n"
            "Output (OUTPUT): a GeoPackage, table 'hotspots', WGS84 (EPSG:4326) hexagons "
            "with 'count' (and 'gi_class', 'class_label' for Gi*), styled when added to the "
            "project."
        )

    def initAlgorithm(self, config: Optional[dict] = None) -> None:
        # no extension filter: a wrong file must reach our check and its clear message
        self.addParameter(
            QgsProcessingParameterFile(
                self.RELEASE,
                "Public release CSV (from Anonymise for public release)",
                behavior=FILE_BEHAVIOUR_FILE,
            )
        )
        add_crimes_parameters(self, self.CRIMES, self.CRIMES_FILES, self.PROFILE, raw=True)
        add_map_points_parameters(self, self.MAP_POINTS, self.LABEL_FIELD)
        self.addParameter(
            QgsProcessingParameterEnum(
                self.METHOD, "Method", [m.label for m in PUBLIC_METHODS], defaultValue=0
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.CELL_SIZE,
                "Hexagon size (metres between neighbouring cell centres)",
                NUMBER_DOUBLE,
                500.0,
                minValue=SMALLEST_SIZE_M,  # (core.hotspots.hexgrid's floor)
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.CATEGORY, "Crime category", CATEGORY_CHOICES, defaultValue=0
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                self.MONTHS, "Months (e.g. 2022-09,2022-10; empty = all)", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterBoolean(
                self.FDR,
                "False discovery rate correction (Gi*, Benjamini-Hochberg)",
                defaultValue=False,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.MAX_CELLS,
                "Maximum number of cells",
                NUMBER_INTEGER,
                DEFAULT_MAX_CELLS,
                minValue=1,
            )
        )
        self.addParameter(
            QgsProcessingParameterVectorDestination(
                self.OUTPUT,
                "Public hotspot layer (GeoPackage)",
                SOURCE_VECTOR_POLYGON,
            )
        )
        self.addOutput(QgsProcessingOutputNumber(self.CELLS, "Cells"))
        self.addOutput(QgsProcessingOutputNumber(self.CRIMES_COUNTED, "Published crimes counted"))
        self.addOutput(QgsProcessingOutputString(self.LEGEND, "Explanation (plain words)"))

    def processAlgorithm(
        self,
        parameters: dict,
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict:
        from ..core.gate.leak_gate import LeakError
        from ..core.hotspots.hexgrid import HotspotInputError
        from ..core.release.map_points import MapPointsError
        from ..qgis_bridge.hotspot_publish import PublishError, run_publish_hotspots

        crimes = crimes_from_parameters(self, parameters, context, self.CRIMES, self.CRIMES_FILES)
        points = map_points_from_parameters(
            self, parameters, context, self.MAP_POINTS, self.LABEL_FIELD
        )
        out_path = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        if not out_path.lower().endswith(".gpkg"):
            raise QgsProcessingException(
                f"The public hotspot layer is written as a GeoPackage: choose a .gpkg file "
                f"(not {shown_path(out_path)})"
            )
        index = self.parameter_enum(parameters, self.CATEGORY, context)
        try:
            result = run_publish_hotspots(
                self.parameter_path(parameters, self.RELEASE, context),
                crimes,
                points,
                out_path,
                method=PUBLIC_METHODS[self.parameter_enum(parameters, self.METHOD, context)].name,
                cell_size_m=self.parameterAsDouble(parameters, self.CELL_SIZE, context),
                category=None if index <= 0 else CATEGORY_CHOICES[index],
                months=self.parameterAsString(parameters, self.MONTHS, context),
                fdr=self.parameter_bool(parameters, self.FDR, context),
                max_cells=self.parameter_whole(parameters, self.MAX_CELLS, context),
                profile_path=self.parameter_path(parameters, self.PROFILE, context),
                feedback=self.core_feedback(feedback),
            )
        except Cancelled as exc:
            raise QgsProcessingException(
                "Cancelled: an earlier OUTPUT was left unchanged."
            ) from exc
        except LeakError as exc:
            raise QgsProcessingException(
                f"Not published; an earlier OUTPUT was left unchanged.\n{exc}"
            ) from exc
        except (PublishError, HotspotInputError, MapPointsError) as exc:
            raise QgsProcessingException(str(exc)) from exc
        except (OSError, ValueError) as exc:
            raise QgsProcessingException(f"Publishing failed: {exc}") from exc
        if feedback is not None:
            feedback.pushInfo(result.legend_text)
            for note in result.notes:
                feedback.pushInfo(note)
            feedback.pushInfo(
                f"{result.cells:,} cells, {result.crimes:,} published crimes; "
                f"written to {shown_path(result.path)}"
            )
        self.style_destination_on_completion(
            context,
            out_path,
            result.title,
            hotspot_styler(result.kind, result.title, result.legend_text),
        )
        return {
            self.OUTPUT: out_path,
            self.CELLS: result.cells,
            self.CRIMES_COUNTED: result.crimes,
            self.LEGEND: result.legend_text,
        }
