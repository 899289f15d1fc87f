"""The dock's "Web map" tab: export the public web map in a QgsTask with progress, Cancel and
"Open in browser" (the `workflow` helper wires it into the guided release).

The form holds the same inputs as crime_mapper:export_webmap and the command line's
``webmap``; the task calls the same core function (core.publish.webmap_run.run_webmap), so
the three write the same folder. Running, cancelling and the result link are the shared
publishing tab's (publish_panel); this module holds only what is the web map's own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from qgis.core import Qgis
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtWidgets import QCheckBox, QComboBox, QFormLayout

from ..core.common.feedback import Feedback
from .publish_panel import CSV_FILTER, PublishPanel, PublishTask, tr_noop
from .task_runner import notify
from .widgets import add_row, file_paths


def tr(text: str) -> str:
    """The text in QGIS's language (tools/translation_template.py collects it)."""
    return QCoreApplication.translate("WebmapPanel", text)


TILES = (
    (tr_noop("OpenStreetMap"), "osm"),
    (tr_noop("None"), "none"),
    (tr_noop("Custom URL"), "custom"),
)


class WebmapTask(PublishTask):
    """run_webmap in the background (gated against the raw crimes: in a child process,
    qgis_bridge.webmap_process); ``done`` is its WebmapResult, ``notes`` what to tell the
    user beside it (why it ran inside QGIS when no separate Python was found)."""

    description = "crime_mapper: web map"
    what = "the web map"
    holder = "the Web map tab of the Crime mapper panel"

    def __init__(self, kwargs: dict[str, Any]) -> None:
        super().__init__(kwargs)
        self.notes: list[str] = []

    def work(self, feedback: Feedback) -> Any:
        from ..qgis_bridge.webmap_process import run_webmap_qgis

        return run_webmap_qgis(**self.kwargs, feedback=feedback, note=self.notes.append)

    def gate_errors(self) -> tuple[type[BaseException], ...]:
        from ..core.gate.leak_gate import LeakError

        return (LeakError,)

    def input_errors(self) -> tuple[type[BaseException], ...]:
        from ..core.publish.neighbourhoods import NeighbourhoodError
        from ..core.publish.webmap_inputs import WebmapInputError
        from ..core.publish.webmap_process import ChildExportError
        from ..core.publish.webmap_vendor import VendorMissing
        from ..core.release.release_files import ReleaseInputError

        return (
            WebmapInputError,
            VendorMissing,
            NeighbourhoodError,
            ReleaseInputError,
            ChildExportError,
        )


class WebmapPanel(PublishPanel):
    """The web map's form on the shared publishing tab."""

    prefix = "webmap"
    noun = tr_noop("Web map")
    needs = tr_noop("The web map needs")
    run_label = tr_noop("Export web map")

    def build_form(self, form: QFormLayout) -> None:
        self.release = self._field(
            "open_many",
            "webmap_release",
            tr("Public release CSVs (or police.uk downloads, with outcomes files)"),
            CSV_FILTER,
        )
        self.raw = self._field(
            "open_many", "webmap_raw", tr("Raw extracts the release was made from (full leak gate)")
        )
        self.profile = self._field("open", "webmap_profile", tr("Column-mapping profile (JSON)"))
        self.points = self._field("open", "webmap_points", tr("Map points CSV"), CSV_FILTER)
        self.boundaries = self._field(
            "open", "webmap_boundaries", tr("Neighbourhood polygons (GeoJSON)")
        )
        self.code_field = self._text("webmap_code_field", tr("code property, e.g. msoa11cd"))
        self.name_field = self._text("webmap_name_field", tr("name property (optional)"))
        self.population_field = self._text("webmap_population_field", tr("population (optional)"))
        self.lookup = self._field("open", "webmap_lookup", tr("LSOA lookup CSV"), CSV_FILTER)
        self.lookup_code = self._text("webmap_lookup_code", tr("lookup code column"))
        self.lsoa_population = self._field(
            "open", "webmap_lsoa_population", tr("LSOA population CSV"), CSV_FILTER
        )
        self.title = self._text("webmap_title", tr("Street-level crime map"))
        self.tiles = QComboBox(self)
        self.tiles.setObjectName("webmap_tiles")
        for label, value in TILES:
            self.tiles.addItem(tr(label), value)
        self.tiles_url = self._text("webmap_tiles_url", tr("https://…/{z}/{x}/{y}.png"))
        self.tiles_attribution = self._text("webmap_tiles_attribution", tr("© the tile provider"))
        self.copy_csv = QCheckBox(tr("Copy the CSVs into the map"), self)
        self.copy_csv.setChecked(True)
        self.copy_csv.setToolTip(
            tr(
                "The CSV downloads are copied into the map when they fit (30 MB). "
                "Larger releases (or with this off) are linked where they are published: export "
                "the map beside the release (output folder = the release's folder) so the page "
                "links to its public CSV."
            )
        )
        self.csv_url = self._text("webmap_csv_url", tr("https://… where the CSVs are hosted"))
        self.csv_url.setToolTip(
            tr(
                "Only needed when the CSVs are too large to copy and the map is not made beside "
                "the release: the page's download link then points here."
            )
        )
        self.out = self._field("folder", "webmap_out", tr("Output folder (the map goes in map/)"))
        for label, widget in (
            (tr("Release"), self.release),
            (tr("Raw extracts"), self.raw),
            (tr("Profile"), self.profile),
            (tr("Map points"), self.points),
            (tr("Boundaries"), self.boundaries),
            (tr("Code field"), self.code_field),
            (tr("Name field"), self.name_field),
            (tr("Population field"), self.population_field),
            (tr("LSOA lookup"), self.lookup),
            (tr("Lookup code column"), self.lookup_code),
            (tr("LSOA population"), self.lsoa_population),
            (tr("Page title"), self.title),
            (tr("Basemap"), self.tiles),
            (tr("Tile URL"), self.tiles_url),
            (tr("Tile attribution"), self.tiles_attribution),
            ("", self.copy_csv),
            (tr("CSV address"), self.csv_url),
            (tr("Output folder"), self.out),
        ):
            add_row(form, label, widget)

    def task_arguments(self) -> dict[str, Any]:
        """The run_webmap keyword arguments the form describes."""
        from ..core.publish.summaries_run import NeighbourhoodSource

        def path(widget: Any) -> Optional[str]:
            return widget.filePath().strip() or None

        raw = file_paths(self.raw)
        hoods = None
        if path(self.boundaries) or path(self.lookup):
            hoods = NeighbourhoodSource(
                boundaries=path(self.boundaries),
                code_field=self.code_field.text().strip() or self.name_field.text().strip(),
                name_field=self.name_field.text().strip() or None,
                population_field=self.population_field.text().strip() or None,
                lookup=path(self.lookup),
                lookup_code_field=self.lookup_code.text().strip(),
                lsoa_population=path(self.lsoa_population),
            )
        tiles = self.tiles.currentData()
        out = path(self.out)
        return {
            "releases": file_paths(self.release),
            "out_dir": str(Path(out) / "map") if out else "",
            "raw": raw or None,
            "points": path(self.points) if raw else None,
            "profile_path": path(self.profile),
            "neighbourhoods": hoods,
            "title": self.title.text().strip() or "Street-level crime map",
            "tiles": self.tiles_url.text().strip() if tiles == "custom" else tiles,
            "tiles_attribution": self.tiles_attribution.text().strip(),
            "copy_csv": self.copy_csv.isChecked(),
            "csv_url": self.csv_url.text().strip(),
        }

    def required(self, kwargs: dict[str, Any]) -> list[tuple[str, Any]]:
        needed: list[tuple[str, Any]] = [
            (tr("the public release"), kwargs["releases"]),
            (tr("an output folder"), kwargs["out_dir"]),
        ]
        if kwargs["raw"]:
            needed.append((tr("the map points (with raw extracts)"), kwargs["points"]))
        return needed

    def make_task(self, kwargs: dict[str, Any]) -> WebmapTask:
        return WebmapTask(kwargs)

    def completed(self, task: Any) -> Path:
        done = task.done
        for text in task.notes:
            notify(None, text, Qgis.MessageLevel.Info)
        for warning in done.warnings[:20]:
            notify(None, warning, Qgis.MessageLevel.Warning)
        notify(
            self.iface,
            tr(
                "Web map written to {index} ({crimes:,} crimes at {points:,} places, "
                "{megabytes:.1f} MB). {gate}"
            ).format(
                index=done.index,
                crimes=done.crimes,
                points=done.points,
                megabytes=done.bytes / 1e6,
                gate=done.gate,
            ),
            Qgis.MessageLevel.Success,
        )
        return Path(done.index)
