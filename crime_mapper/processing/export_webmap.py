"""Processing algorithm crime_mapper:export_webmap — the public web map (a static folder that
works from disk and any static host).

The same export as the command line's ``webmap`` and the dock's Web map tab
(core.publish.webmap_run.run_webmap): made only from public releases, written into a staging
folder, leak-gated (against the raw crimes and map points when given; the public checks
otherwise), then moved into place. Gated against the raw crimes, the export runs in a child
Python process (qgis_bridge.webmap_process: a QGIS session must not fork, the child may), with
the same files and messages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputFile,
    QgsProcessingOutputFolder,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterString,
)

from ..compat import SOURCE_FILE
from ..core.common.feedback import Cancelled
from .base import CrimeMapperAlgorithm
from .parameters import (
    NeighbourhoodParameters,
    add_crimes_parameters,
    add_map_points_parameters,
    crimes_from_parameters,
    map_points_from_parameters,
)

TILE_CHOICES = ("osm", "none", "custom")
TILE_LABELS = ("OpenStreetMap (with attribution)", "None (outlines and points only)", "Custom")
SUMMARY_CHOICES = ("auto", "yes", "no")


class ExportWebmapAlgorithm(NeighbourhoodParameters, CrimeMapperAlgorithm):
    GROUP_ID = "publish"

    RELEASE = "RELEASE"
    RAW = "RAW"
    RAW_FILES = "RAW_FILES"
    PROFILE = "PROFILE"
    MAP_POINTS = "MAP_POINTS"
    LABEL_FIELD = "LABEL_FIELD"
    TITLE = "TITLE"
    TILES = "TILES"
    TILES_URL = "TILES_URL"
    TILES_ATTRIBUTION = "TILES_ATTRIBUTION"
    SUMMARIES = "SUMMARIES"
    COPY_CSV = "COPY_CSV"
    CSV_URL = "CSV_URL"
    OUTPUT = "OUTPUT"
    FOLDER = "FOLDER"
    INDEX = "INDEX"
    CRIMES = "CRIMES"
    POINTS = "POINTS"

    def name(self) -> str:
        return "export_webmap"

    def displayName(self) -> str:
        return "Export public web map"

    def tags(self) -> list[str]:
        return ["crime", "police.uk", "web", "map", "html", "publish", "public", "leaflet"]

    def help_text(self) -> str:
        return (
            "A self-contained public web map of published street-level crime: one folder "
            "(OUTPUT/map/) with index.html, the data as script files and the JavaScript "
            "libraries, that opens straight from disk or from any static web host. No server "
            "code; the only network requests go to the basemap tile service (OpenStreetMap "
            "by default, or none, or a custom https {z}/{x}/{y} template with its "
            "attribution).\n\n"
            "Input (RELEASE): the public release CSVs or GeoPackage the anonymise step "
            "writes, or police.uk downloads (files, folders, monthly .zip), with their "
            "outcomes files for the latest outcomes. Only police.uk's street columns are "
            "read; any other column is dropped and reported.\n\n"
            "The page: a marker per map point (sized and labelled by its count, grouped where "
            "dense), popups with counts by category and month and the latest outcomes, a "
            "category filter with live counts, one month / last 3 / last 12, a month-by-month "
            "trend, neighbourhood outlines shaded by count or rate per 1,000 residents with "
            "links to the neighbourhood summaries (SUMMARIES), search by neighbourhood and "
            "street, a permalink, the data table, CSV downloads, and the notice that "
            "locations are approximate. Accessible (WCAG 2.2 AA), usable on a phone.\n\n"
            "Leak gate: with the raw crimes (RAW or RAW_FILES + PROFILE) and the map points "
            "(MAP_POINTS) the full gate runs on the finished folder; without them (police.uk "
            "downloads) the public-schema, map-point, date and contact checks run against the "
            "release itself. On failure, or on cancel, the previous export is left as it was."
        )

    def initAlgorithm(self, config: Optional[dict] = None) -> None:
        self.addParameter(
            QgsProcessingParameterMultipleLayers(
                self.RELEASE,
                "Public release (CSV, GeoPackage, folders, police.uk .zip; outcomes files)",
                SOURCE_FILE,
            )
        )
        add_crimes_parameters(self, self.RAW, self.RAW_FILES, self.PROFILE, raw=True)
        add_map_points_parameters(
            self,
            self.MAP_POINTS,
            self.LABEL_FIELD,
            optional=True,
            description="Anonymous map points (with the raw crimes)",
        )
        self.add_neighbourhood_parameters()
        self.addParameter(
            QgsProcessingParameterString(self.TITLE, "Page title", "Street-level crime map")
        )
        self.addParameter(
            QgsProcessingParameterEnum(self.TILES, "Basemap", list(TILE_LABELS), defaultValue=0)
        )
        self.addParameter(
            QgsProcessingParameterString(
                self.TILES_URL, "Custom tiles: https URL template", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                self.TILES_ATTRIBUTION, "Custom tiles: attribution", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.SUMMARIES,
                "Link to neighbourhood summaries (../neighbourhoods/)",
                ["When OUTPUT/neighbourhoods exists", "Yes", "No"],
                defaultValue=0,
            )
        )
        self.addParameter(
            QgsProcessingParameterBoolean(
                self.COPY_CSV, "Copy the CSV downloads into the map when they fit (30 MB)", True
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                self.CSV_URL,
                "Address where the CSVs are hosted (when too large to copy and not beside the map)",
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterFolderDestination(self.OUTPUT, "Output folder (writes map/)")
        )
        self.addOutput(QgsProcessingOutputFolder(self.FOLDER, "Web map folder"))
        self.addOutput(QgsProcessingOutputFile(self.INDEX, "Web map page (index.html)"))
        self.addOutput(QgsProcessingOutputNumber(self.CRIMES, "Crimes"))
        self.addOutput(QgsProcessingOutputNumber(self.POINTS, "Map points shown"))

    def processAlgorithm(
        self,
        parameters: dict,
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict:
        # the run lock of OUTPUT/map first, as the command line's webmap takes it: refused
        # at once, before anything is read, while the month's release writes OUTPUT
        out = Path(self.parameterAsString(parameters, self.OUTPUT, context))
        with self.output_lock(out / "map", out, feedback):
            return self._export(parameters, context, feedback)

    def _export(
        self,
        parameters: dict,
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict:
        from ..core.gate.leak_gate import LeakError
        from ..core.publish.neighbourhoods import NeighbourhoodError
        from ..core.publish.webmap_inputs import WebmapInputError
        from ..core.publish.webmap_process import ChildExportError
        from ..core.publish.webmap_vendor import VendorMissing
        from ..core.release.release_files import ReleaseInputError
        from ..qgis_bridge.webmap_process import run_webmap_qgis

        def text(name: str) -> str:
            return self.parameter_text(parameters, name, context)

        releases = self.parameter_paths(parameters, self.RELEASE, context)
        if not releases:
            raise QgsProcessingException("No public release given (RELEASE).")
        raw = points = None
        has_raw = self.parameterAsVectorLayer(parameters, self.RAW, context) is not None or bool(
            self.parameter_paths(parameters, self.RAW_FILES, context)
        )
        has_points = self.parameterAsVectorLayer(parameters, self.MAP_POINTS, context) is not None
        if has_raw != has_points:
            raise QgsProcessingException(
                "The full leak gate needs both the raw crimes (RAW or RAW_FILES) and the map "
                "points (MAP_POINTS); give both, or neither for police.uk downloads."
            )
        if has_raw:
            raw = crimes_from_parameters(self, parameters, context, self.RAW, self.RAW_FILES)
            points = map_points_from_parameters(
                self, parameters, context, self.MAP_POINTS, self.LABEL_FIELD
            )
        tiles = TILE_CHOICES[self.parameter_enum(parameters, self.TILES, context)]
        if tiles == "custom":
            tiles = text(self.TILES_URL)
        out = Path(self.parameterAsString(parameters, self.OUTPUT, context))

        def read_neighbourhoods() -> Any:
            # (a layer's outlines, read on this thread while a child process opens the raw
            # side: qgis_bridge.webmap_process)
            hoods = self.neighbourhood_outlines(parameters, context, name_as_code=True)
            if hoods is not None and self.has_lookup(parameters, context):
                from ..core.publish.summaries_run import load_neighbourhoods

                hoods = load_neighbourhoods(self.lookup_source(parameters, context), hoods)
            elif hoods is not None:
                from ..core.publish.neighbourhoods import build_neighbourhoods

                # (the names as every output publishes them: a layer's two outlines of one
                # name were one area of the map, each popup giving both areas' crimes)
                hoods = build_neighbourhoods(hoods)
            elif self.parameter_path(parameters, self.LOOKUP, context):
                hoods = self.lookup_source(parameters, context)
            return hoods

        try:
            done = run_webmap_qgis(
                releases,
                out / "map",
                raw=raw,
                points=points,
                profile_path=self.parameter_path(parameters, self.PROFILE, context),
                read_neighbourhoods=read_neighbourhoods,
                title=text(self.TITLE) or "Street-level crime map",
                tiles=tiles,
                tiles_attribution=text(self.TILES_ATTRIBUTION),
                summaries=SUMMARY_CHOICES[self.parameter_enum(parameters, self.SUMMARIES, context)],
                copy_csv=self.parameter_bool(parameters, self.COPY_CSV, context),
                csv_url=text(self.CSV_URL),
                feedback=self.core_feedback(feedback),
                note=feedback.pushInfo,
            )
        except Cancelled as exc:
            raise QgsProcessingException("Web map export cancelled; nothing was changed.") from exc
        except LeakError as exc:
            raise QgsProcessingException(f"The leak gate refused the web map:\n{exc}") from exc
        except (
            WebmapInputError,
            VendorMissing,
            NeighbourhoodError,
            ReleaseInputError,
            OSError,
        ) as exc:
            raise QgsProcessingException(str(exc)) from exc
        except ChildExportError as exc:
            if exc.details:
                feedback.reportError(exc.details)
            raise QgsProcessingException(str(exc)) from exc
        for warning in done.warnings[:50]:
            feedback.pushWarning(warning)
        feedback.pushInfo(done.gate)
        feedback.pushInfo(
            f"Web map: {done.index} ({done.crimes:,} crimes, {done.points:,} places, "
            f"{done.bytes / 1e6:.1f} MB)"
        )
        return {
            self.FOLDER: str(done.out_dir),
            self.INDEX: str(done.index),
            self.CRIMES: done.crimes,
            self.POINTS: done.points,
        }
