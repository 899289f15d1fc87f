"""The dock's "Web map" tab: export the public web map in a QgsTask with progress, Cancel and
"Open in browser" (the `workflow` helper wires it into the guided release).

The form holds the same inputs as crime_mapper:export_webmap and the command line's
``webmap``; the task calls the same core function (core.publish.webmap_run.run_webmap), so
the three write the same folder.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any, Optional

from qgis.core import Qgis, QgsTask
from qgis.PyQt.QtCore import QUrl
from qgis.PyQt.QtGui import QDesktopServices
from qgis.PyQt.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.common.feedback import Cancelled
from ..qgis_bridge.load_task import TaskFeedback
from .task_runner import TaskRunner, notify
from .widgets import file_widget

CSV_FILTER = "CSV files (*.csv *.CSV)"
TILES = (("OpenStreetMap", "osm"), ("None", "none"), ("Custom URL", "custom"))


class WebmapTask(QgsTask):
    """run_webmap in the background. After it ends: ``done`` (WebmapResult or None),
    ``error`` ("Cancelled" or why), ``details`` (traceback of an unexpected error)."""

    def __init__(self, kwargs: dict[str, Any]) -> None:
        super().__init__("crime_mapper: web map", QgsTask.Flag.CanCancel)
        self.kwargs = kwargs
        self.done: Any = None
        self.error: Optional[str] = None
        self.details = ""

    def run(self) -> bool:  # worker thread
        from ..core.gate.leak_gate import LeakError
        from ..core.publish.neighbourhoods import NeighbourhoodError
        from ..core.publish.webmap_inputs import WebmapInputError
        from ..core.publish.webmap_run import run_webmap
        from ..core.publish.webmap_vendor import VendorMissing
        from ..core.release.release_files import ReleaseInputError

        try:
            self.done = run_webmap(**self.kwargs, feedback=TaskFeedback(self))
        except Cancelled:
            self.error = "Cancelled"
            return False
        except LeakError as exc:
            self.error = f"The leak gate refused the web map; nothing was changed.\n{exc}"
            return False
        except (
            WebmapInputError,
            VendorMissing,
            NeighbourhoodError,
            ReleaseInputError,
            OSError,
        ) as exc:
            self.error = str(exc)
            return False
        except Exception as exc:  # noqa: BLE001 - reported to the user, never swallowed
            self.error = f"{type(exc).__name__}: {exc}"
            self.details = traceback.format_exc()
            return False
        return True


class WebmapPanel(QWidget):
    """Form, Export/Cancel, progress and "Open in browser" for the public web map."""

    def __init__(self, iface: Any, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("crime_mapper_webmap_panel")
        self.iface = iface
        self._build_ui()
        self._runner = TaskRunner(
            self,
            self._on_completed,
            self._on_terminated,
            progress_bar=self.progress_bar,
            set_running=self._set_running,
        )
        self._set_running(False)
        #: "completed", "cancelled" or "failed: <why>" after a run (for the workflow and tests)
        self.last_outcome = ""
        #: the index.html of the last successful export
        self.last_index: Optional[Path] = None

    def _field(self, mode: str, name: str, tip: str, file_filter: str = "") -> Any:
        return file_widget(self, mode, object_name=name, tooltip=tip, file_filter=file_filter)

    def _text(self, name: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        return edit

    def _build_ui(self) -> None:
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.release = self._field(
            "open_many",
            "webmap_release",
            "Public release CSVs (or police.uk downloads, with outcomes files)",
            CSV_FILTER,
        )
        self.raw = self._field(
            "open_many", "webmap_raw", "Raw extracts the release was made from (full leak gate)"
        )
        self.profile = self._field("open", "webmap_profile", "Column-mapping profile (JSON)")
        self.points = self._field("open", "webmap_points", "Map points CSV", CSV_FILTER)
        self.boundaries = self._field(
            "open", "webmap_boundaries", "Neighbourhood polygons (GeoJSON)"
        )
        self.code_field = self._text("webmap_code_field", "code property, e.g. msoa11cd")
        self.name_field = self._text("webmap_name_field", "name property (optional)")
        self.population_field = self._text("webmap_population_field", "population (optional)")
        self.lookup = self._field("open", "webmap_lookup", "LSOA lookup CSV", CSV_FILTER)
        self.lookup_code = self._text("webmap_lookup_code", "lookup code column")
        self.lsoa_population = self._field(
            "open", "webmap_lsoa_population", "LSOA population CSV", CSV_FILTER
        )
        self.title = self._text("webmap_title", "Street-level crime map")
        self.tiles = QComboBox(self)
        self.tiles.setObjectName("webmap_tiles")
        for label, value in TILES:
            self.tiles.addItem(label, value)
        self.tiles_url = self._text("webmap_tiles_url", "https://…/{z}/{x}/{y}.png")
        self.tiles_attribution = self._text("webmap_tiles_attribution", "© the tile provider")
        self.copy_csv = QCheckBox("Include the CSV downloads", self)
        self.copy_csv.setChecked(True)
        self.out = self._field("folder", "webmap_out", "Output folder (the map goes in map/)")
        for label, widget in (
            ("Release", self.release),
            ("Raw extracts", self.raw),
            ("Profile", self.profile),
            ("Map points", self.points),
            ("Boundaries", self.boundaries),
            ("Code field", self.code_field),
            ("Name field", self.name_field),
            ("Population field", self.population_field),
            ("LSOA lookup", self.lookup),
            ("Lookup code column", self.lookup_code),
            ("LSOA population", self.lsoa_population),
            ("Page title", self.title),
            ("Basemap", self.tiles),
            ("Tile URL", self.tiles_url),
            ("Tile attribution", self.tiles_attribution),
            ("", self.copy_csv),
            ("Output folder", self.out),
        ):
            form.addRow(label, widget)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        self.run_button = QPushButton("Export web map", self)
        self.run_button.setObjectName("webmap_run")
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("webmap_cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.open_button = QPushButton("Open in browser", self)
        self.open_button.setObjectName("webmap_open")
        self.open_button.clicked.connect(self.open_in_browser)
        self.open_button.setEnabled(False)
        for button in (self.run_button, self.cancel_button, self.open_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self.progress_bar = QProgressBar(self)
        layout.addWidget(self.progress_bar)
        layout.addStretch(1)

    # --- running --------------------------------------------------------------------------
    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def task_arguments(self) -> dict[str, Any]:
        """The run_webmap keyword arguments the form describes."""
        from ..core.publish.summaries_run import NeighbourhoodSource

        def path(widget: Any) -> Optional[str]:
            return widget.filePath().strip() or None

        raw = _split_paths(self.raw.filePath())
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
            "releases": _split_paths(self.release.filePath()),
            "out_dir": str(Path(out) / "map") if out else "",
            "raw": raw or None,
            "points": path(self.points) if raw else None,
            "profile_path": path(self.profile),
            "neighbourhoods": hoods,
            "title": self.title.text().strip() or "Street-level crime map",
            "tiles": self.tiles_url.text().strip() if tiles == "custom" else tiles,
            "tiles_attribution": self.tiles_attribution.text().strip(),
            "copy_csv": self.copy_csv.isChecked(),
        }

    def start(self) -> Optional[WebmapTask]:
        if self._runner.is_running():
            return None
        kwargs = self.task_arguments()
        missing = [
            label
            for label, value in (
                ("the public release", kwargs["releases"]),
                ("an output folder", kwargs["out_dir"]),
            )
            if not value
        ]
        if kwargs["raw"] and not kwargs["points"]:
            missing.append("the map points (with raw extracts)")
        if missing:
            notify(self.iface, "The web map needs " + ", ".join(missing), Qgis.MessageLevel.Warning)
            return None
        task = WebmapTask(kwargs)
        self._runner.start(task)
        return task

    def cancel(self) -> None:
        self._runner.cancel()

    def shutdown(self) -> None:
        self._runner.shutdown()

    def open_in_browser(self) -> bool:
        """Open the last export's index.html in the system browser."""
        if self.last_index is None or not self.last_index.is_file():
            return False
        return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.last_index))))

    def _on_completed(self, task: WebmapTask) -> None:
        self.last_outcome = "completed"
        done = task.done
        self.last_index = Path(done.index)
        self.open_button.setEnabled(True)
        for warning in done.warnings[:20]:
            notify(None, warning, Qgis.MessageLevel.Warning)
        notify(
            self.iface,
            f"Web map written to {done.index} ({done.crimes:,} crimes at {done.points:,} "
            f"places, {done.bytes / 1e6:.1f} MB). {done.gate}",
            Qgis.MessageLevel.Success,
        )

    def _on_terminated(self, task: WebmapTask) -> None:
        if task.error == "Cancelled" or (task.error is None and task.isCanceled()):
            self.last_outcome = "cancelled"
            notify(self.iface, "Web map cancelled; nothing was changed.", Qgis.MessageLevel.Info)
            return
        self.last_outcome = f"failed: {task.error}"
        notify(self.iface, f"Web map failed: {task.error}", Qgis.MessageLevel.Critical)
        if task.details:
            notify(None, task.details, Qgis.MessageLevel.Critical)


def _split_paths(text: str) -> list[str]:
    """Paths of a multiple-file QgsFileWidget value ("a" "b" quoted, or one path)."""
    from qgis.gui import QgsFileWidget

    return [p for p in QgsFileWidget.splitFilePaths(text) if p]
