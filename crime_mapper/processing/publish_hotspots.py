"""Processing algorithm crime_mapper:publish_hotspots — a hotspot grid for the public.

Issue 4: "publishing a hotspot layer goes through the leak gate like everything public". The
internal hotspot algorithms run on exact data and are for internal use; this one builds the
grid only from the public release CSV (written by crime_mapper:anonymise), checks that the
release it starts from is itself safe, and writes through
qgis_bridge.hotspot_layers.publish_hotspot_grid, which runs the leak gate on the staged file
before it is moved into place.

:func:`run_publish_hotspots` is the one implementation behind this algorithm and the dock's
Hotspots panel ("Publish for the public…"); it touches no QGIS layer, so it runs in a
QgsTask worker thread.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any, Optional, Union

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
from ..core.common.feedback import Cancelled, Feedback, ScaledFeedback
from ..core.common.geography import WGS84
from ..core.hotspots.hexgrid import DEFAULT_MAX_CELLS
from .anonymise import crimes_from_parameters, map_points_from_parameters
from .base import CrimeMapperAlgorithm
from .hotspots_grid import CATEGORY_CHOICES, hotspot_styler
from .release_parameters import add_crimes_parameters, add_map_points_parameters

PathLike = Union[str, "os.PathLike[str]"]

#: METHOD enum choices: (kind given to publish_hotspot_grid, label).
METHODS: tuple[tuple[str, str], ...] = (
    ("grid", "Crime counts on hexagons"),
    ("gi", "Hot and cold spots (Getis-Ord Gi*)"),
)
_SQLITE_MAGIC = b"SQLite format 3\x00"


def read_release_csv(path: PathLike) -> Any:
    """The public release table from its CSV, or a PublishError saying why it is not one.

    Checked here, before anything is read or written, because the one thing that must never
    happen is a "public" grid made from the internal crimes table (exact locations).
    """
    from ..core.release.public_schema import PUBLIC_COLUMNS, read_public_csv
    from ..qgis_bridge.hotspot_layers import PublishError

    path = Path(path)
    wanted = (
        "the public release CSV written by crime_mapper:anonymise (police.uk street "
        "columns, coordinates at map points)"
    )
    if not path.is_file():
        raise PublishError(f"RELEASE not found: {path}. Give {wanted}.")
    with open(path, "rb") as handle:
        head = handle.read(len(_SQLITE_MAGIC))
    if head == _SQLITE_MAGIC:
        raise PublishError(
            f"RELEASE {path.name} is a GeoPackage/SQLite file (such as the internal crimes "
            "GeoPackage of a load), not the public release: a public hotspot grid is built "
            f"only from {wanted}. Anonymise first, then publish from the release CSV."
        )
    try:
        public = read_public_csv(path)
    except (UnicodeDecodeError, ValueError) as exc:  # pandas parser errors are ValueErrors
        raise PublishError(
            f"RELEASE {path.name} cannot be read as a CSV ({exc}); give {wanted}."
        ) from exc
    if list(public.columns) != list(PUBLIC_COLUMNS):
        extra = [str(c) for c in public.columns if c not in PUBLIC_COLUMNS]
        found = f"non-public columns such as {', '.join(extra[:6])}" if extra else "other columns"
        raise PublishError(
            f"RELEASE {path.name} is not the public release table: it has {found}; a public "
            f"hotspot grid is built only from {wanted}, exactly: "
            f"{', '.join(PUBLIC_COLUMNS)}. Anonymise first, then publish from the release."
        )
    return public


def publish_title(
    method: str, cell_size_m: float, category: Optional[str], months: list[str]
) -> str:
    from ..qgis_bridge.hotspot_layers import describe_months

    what = "hot and cold spots" if method == "gi" else "crime counts"
    return (
        f"Public {what}, {cell_size_m:,.0f} m hexagons "
        f"({category or 'all crimes'}, {describe_months(months)})"
    )


def publish_legend(
    method: str,
    cell_size_m: float,
    category: Optional[str],
    months: list[str],
    fdr: bool,
    release_name: str,
) -> str:
    """The plain-words explanation stored with the published layer."""
    from ..qgis_bridge.hotspot_layers import describe_months

    subject = f"{category or 'all crimes'}, {describe_months(months)}"
    base = (
        f"Made for the public from the police.uk-style release {release_name} "
        f"({subject}): crimes are counted at their published (anonymous map point) "
        f"locations, on {cell_size_m:,.0f} m hexagons of a fixed grid. Crimes published "
        "without a location are not counted. The only coordinates in this layer are the "
        "hexagon corners; it passed the leak gate before it was written."
    )
    if method == "gi":
        return base + (
            " Getis-Ord Gi*: hot spots are cells whose neighbourhood (the cell and "
            "its 6 neighbours) holds many more published crimes than average, cold "
            "spots many fewer; 90/95/99% confidence, false discovery rate "
            f"correction {'on' if fdr else 'off'}."
        )
    return base + " Darker = more crimes; classes are quantiles of the counts."


def _grid_facts(path: Path) -> tuple[int, int]:
    """(cells, crimes counted) of a written public grid."""
    from ..qgis_bridge.hotspot_layers import GRID_TABLE

    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        cells, crimes = conn.execute(
            f'SELECT COUNT(*), COALESCE(SUM("count"), 0) FROM "{GRID_TABLE}"'
        ).fetchone()
    return int(cells), int(crimes)


def run_publish_hotspots(
    release_csv: PathLike,
    crimes: Any,
    points: Any,
    out_path: PathLike,
    *,
    method: str = "grid",
    cell_size_m: float = 500.0,
    category: Optional[str] = None,
    months: Any = None,
    fdr: bool = False,
    max_cells: int = DEFAULT_MAX_CELLS,
    profile_path: Optional[PathLike] = None,
    feedback: Optional[Feedback] = None,
) -> Any:
    """Publish a hotspot grid from the public release CSV, through the leak gate twice.

    ``crimes``: the raw (internal) table the gate checks against: a crimes GeoPackage path or
    URI, or extract paths (+ ``profile_path``). ``points``: a MapPointsSpec or a map points
    file (.gpkg / .csv). publish_hotspot_grid gates the release itself (a CSV edited since
    anonymising, e.g. one coordinate moved off its map point, is refused: the grid would count
    crimes where the public must not see them), then the staged grid with the hexagon corners
    as the only extra coordinates allowed. Raises PublishError or
    HotspotInputError (bad input), LeakError (gate failed) or Cancelled; in every case
    before ``out_path`` is replaced. Returns a qgis_bridge.hotspot_layers.HotspotOutputs
    (kind "grid" or "gi"), so the panel adds and styles it like any hotspot layer.
    """
    from ..core.release.crimes_input import load_profile, open_crimes_source
    from ..qgis_bridge.hotspot_layers import (
        HotspotOutputs,
        PublishError,
        parse_category,
        parse_months,
        publish_hotspot_grid,
    )
    from ..qgis_bridge.map_points_io import MapPointsSpec

    feedback = feedback or Feedback()
    if method not in {kind for kind, _ in METHODS}:
        raise PublishError(
            f"unknown method {method!r}: one of " + ", ".join(kind for kind, _ in METHODS)
        )
    category = parse_category(category)
    month_list = parse_months(months)
    public = read_release_csv(release_csv)
    feedback.set_progress(5.0)
    if not isinstance(points, MapPointsSpec):
        points = MapPointsSpec(
            "file", paths=[str(points)], description=f"map points file {Path(str(points)).name}"
        )
    point_set = points.resolve(None, ScaledFeedback(feedback, 5.0, 15.0))
    feedback.check()
    raw = open_crimes_source(
        crimes, profile=load_profile(profile_path), feedback=ScaledFeedback(feedback, 15.0, 45.0)
    ).crimes
    feedback.check()
    feedback.set_progress(45.0)
    path = publish_hotspot_grid(
        public,
        raw,
        point_set,
        out_path,
        cell_size_m=cell_size_m,
        method=method,
        fdr=fdr,
        category=category,
        months=month_list,
        max_cells=max_cells,
        feedback=ScaledFeedback(feedback, 45.0, 100.0),
    )
    cells, counted = _grid_facts(path)
    feedback.set_progress(100.0)
    name = Path(release_csv).name
    located = int((public["Longitude"] != "").sum())
    notes = (
        [
            f"{len(public) - located:,} crimes of the release have no published location "
            "and are not on the map."
        ]
        if located < len(public)
        else []
    )
    return HotspotOutputs(
        method,
        Path(path),
        publish_title(method, cell_size_m, category, month_list),
        publish_legend(method, cell_size_m, category, month_list, fdr, name),
        WGS84,
        counted,
        cells,
        notes=notes,
        facts={
            "cell_size_m": float(cell_size_m),
            "fdr": bool(fdr),
            "release": name,
            "published_rows": len(public),
            "published_located": located,
        },
    )


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

    def displayName(self) -> str:  # noqa: N802 - Qt API
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

    def initAlgorithm(self, config: Optional[dict] = None) -> None:  # noqa: N802 - Qt API
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
                self.METHOD, "Method", [label for _, label in METHODS], defaultValue=0
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.CELL_SIZE,
                "Hexagon size (metres between neighbouring cell centres)",
                NUMBER_DOUBLE,
                500.0,
                minValue=1.0,
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
        context: QgsProcessingContext,  # noqa: N802
        feedback: QgsProcessingFeedback,
    ) -> dict:
        from ..core.gate.leak_gate import LeakError
        from ..core.release.map_points import MapPointsError
        from ..qgis_bridge.hotspot_layers import HotspotInputError, PublishError

        crimes = crimes_from_parameters(self, parameters, context, self.CRIMES, self.CRIMES_FILES)
        points = map_points_from_parameters(
            self, parameters, context, self.MAP_POINTS, self.LABEL_FIELD
        )
        out_path = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        if not out_path.lower().endswith(".gpkg"):
            raise QgsProcessingException(
                f"The public hotspot layer is written as a GeoPackage: choose a .gpkg file "
                f"(not {out_path})"
            )
        index = self.parameterAsEnum(parameters, self.CATEGORY, context)
        try:
            result = run_publish_hotspots(
                self.parameterAsFile(parameters, self.RELEASE, context),
                crimes,
                points,
                out_path,
                method=METHODS[self.parameterAsEnum(parameters, self.METHOD, context)][0],
                cell_size_m=self.parameterAsDouble(parameters, self.CELL_SIZE, context),
                category=None if index <= 0 else CATEGORY_CHOICES[index],
                months=self.parameterAsString(parameters, self.MONTHS, context),
                fdr=self.parameterAsBool(parameters, self.FDR, context),
                max_cells=self.parameterAsInt(parameters, self.MAX_CELLS, context),
                profile_path=self.parameterAsFile(parameters, self.PROFILE, context) or None,
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
                f"written to {result.path}"
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
