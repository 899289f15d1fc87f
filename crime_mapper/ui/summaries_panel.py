"""The dock's "Summaries" tab: neighbourhood summaries for the public, in a QgsTask with
progress and Cancel (the `workflow` helper wires it into the guided release).

The form holds the same inputs as crime_mapper:neighbourhood_summaries and the command line;
the task calls the same core function (core.publish.summaries_run.run_summaries), so the three
give the same files. The neighbourhood layer is added to the project, styled from the
choropleth stored in its GeoPackage, when the run succeeds.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any, Optional

from qgis.core import Qgis, QgsProject, QgsTask, QgsVectorLayer
from qgis.PyQt.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..core.common.feedback import Cancelled
from ..qgis_bridge.load_task import TaskFeedback
from .task_runner import TaskRunner, notify
from .widgets import file_widget

CSV_FILTER = "CSV files (*.csv *.CSV)"


class SummariesTask(QgsTask):
    """run_summaries (and the atlas) in the background. After it ends: ``done`` (the
    SummaryExport or None), ``pdf`` (atlas path or ""), ``error`` ("Cancelled" or why)."""

    def __init__(self, kwargs: dict[str, Any], atlas: bool) -> None:
        super().__init__("crime_mapper: neighbourhood summaries", QgsTask.Flag.CanCancel)
        self.kwargs = kwargs
        self.atlas = atlas
        self.done: Any = None
        self.pdf = ""
        self.error: Optional[str] = None
        self.details = ""

    def run(self) -> bool:  # worker thread
        from ..core.publish.neighbourhoods import NeighbourhoodError
        from ..core.publish.summaries import SummaryError
        from ..core.publish.summaries_export import SummaryGateError
        from ..core.publish.summaries_run import read_release, run_summaries
        from ..core.publish.summaries_team import TeamError
        from ..core.release.pipeline import ReleaseInputError

        try:
            self.done = run_summaries(**self.kwargs, feedback=TaskFeedback(self))
            if self.atlas:
                from ..qgis_bridge.atlas import export_atlas

                self.pdf = str(Path(self.kwargs["out_dir"]) / "neighbourhoods_atlas.pdf")
                export_atlas(self.done, read_release(self.kwargs["release_csv"]), self.pdf)
        except Cancelled:
            self.error = "Cancelled"
            return False
        except SummaryGateError as exc:
            self.error = f"The leak gate refused the summaries; nothing was changed.\n{exc}"
            return False
        except (NeighbourhoodError, SummaryError, TeamError, ReleaseInputError, OSError) as exc:
            self.error = str(exc)
            return False
        except Exception as exc:  # noqa: BLE001 - reported to the user, never swallowed
            self.error = f"{type(exc).__name__}: {exc}"
            self.details = traceback.format_exc()
            return False
        return True


class SummariesPanel(QWidget):
    """Form, Run/Cancel and progress for neighbourhood summaries."""

    def __init__(self, iface: Any, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("crime_mapper_summaries_panel")
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
        self.release = self._field("open", "summaries_release", "Public release CSV", CSV_FILTER)
        self.raw = self._field(
            "open_many",
            "summaries_raw",
            "The raw extracts the release was made from (for the gate)",
        )
        self.profile = self._field("open", "summaries_profile", "Column-mapping profile (JSON)")
        self.points = self._field("open", "summaries_points", "Map points CSV", CSV_FILTER)
        self.boundaries = self._field(
            "open", "summaries_boundaries", "Neighbourhood polygons (GeoJSON)"
        )
        self.code_field = self._text("summaries_code_field", "code property, e.g. msoa11cd")
        self.name_field = self._text("summaries_name_field", "name property (optional)")
        self.lookup = self._field("open", "summaries_lookup", "LSOA lookup CSV", CSV_FILTER)
        self.lookup_code = self._text("summaries_lookup_code", "lookup code column")
        self.lookup_name = self._text("summaries_lookup_name", "lookup name column (optional)")
        self.names = self._field("open", "summaries_names", "Names CSV", CSV_FILTER)
        self.names_code = self._text("summaries_names_code", "names: code column")
        self.names_name = self._text("summaries_names_name", "names: name column")
        self.population = self._field(
            "open", "summaries_population", "LSOA population CSV", CSV_FILTER
        )
        self.team = self._field("open", "summaries_team", "Team information (JSON or CSV)")
        self.month = self._text("summaries_month", "YYYY-MM (default: the latest)")
        self.period = QSpinBox(self)
        self.period.setRange(1, 12)
        self.suppress = QSpinBox(self)
        self.suppress.setRange(0, 100)
        self.suppress.setToolTip("0 = off (as police.uk); e.g. 10 shows 1-9 as 'fewer than 10'")
        self.force_name = self._text("summaries_force", "force name for the pages")
        self.with_map = QCheckBox("Link to the web map in OUTPUT/map", self)
        self.atlas = QCheckBox("Also a PDF atlas", self)
        self.out = self._field("folder", "summaries_out", "Output folder")
        for label, widget in (
            ("Release CSV", self.release),
            ("Raw extracts", self.raw),
            ("Profile", self.profile),
            ("Map points", self.points),
            ("Boundaries", self.boundaries),
            ("Code field", self.code_field),
            ("Name field", self.name_field),
            ("LSOA lookup", self.lookup),
            ("Lookup code column", self.lookup_code),
            ("Lookup name column", self.lookup_name),
            ("Names CSV", self.names),
            ("Names code column", self.names_code),
            ("Names name column", self.names_name),
            ("LSOA population", self.population),
            ("Team information", self.team),
            ("Month", self.month),
            ("Period (months)", self.period),
            ("Small-count threshold", self.suppress),
            ("Force name", self.force_name),
            ("", self.with_map),
            ("", self.atlas),
            ("Output folder", self.out),
        ):
            form.addRow(label, widget)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        self.run_button = QPushButton("Make summaries", self)
        self.run_button.setObjectName("summaries_run")
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("summaries_cancel")
        self.cancel_button.clicked.connect(self.cancel)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        layout.addLayout(buttons)
        self.progress_bar = QProgressBar(self)
        layout.addWidget(self.progress_bar)
        layout.addStretch(1)

    # --- running --------------------------------------------------------------------------
    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def task_arguments(self) -> dict[str, Any]:
        """The run_summaries keyword arguments the form describes."""
        from ..core.publish.summaries import SummaryOptions
        from ..core.publish.summaries_run import NeighbourhoodSource

        def path(widget: Any) -> Optional[str]:
            return widget.filePath().strip() or None

        raw = [p.strip('"') for p in _split_paths(self.raw.filePath())]
        return {
            "raw": raw,
            "points": path(self.points) or "",
            "release_csv": path(self.release) or "",
            "out_dir": path(self.out) or "",
            "source": NeighbourhoodSource(
                boundaries=path(self.boundaries),
                code_field=self.code_field.text().strip(),
                name_field=self.name_field.text().strip() or None,
                lookup=path(self.lookup),
                lookup_code_field=self.lookup_code.text().strip(),
                lookup_name_field=self.lookup_name.text().strip() or None,
                names=path(self.names),
                names_code_field=self.names_code.text().strip(),
                names_name_field=self.names_name.text().strip(),
                lsoa_population=path(self.population),
            ),
            "options": SummaryOptions(
                month=self.month.text().strip() or None,
                period_months=self.period.value(),
                suppress_below=self.suppress.value(),
            ),
            "team_path": path(self.team),
            "force_name": self.force_name.text().strip(),
            "with_map": self.with_map.isChecked(),
            "profile_path": path(self.profile),
        }

    def start(self) -> Optional[SummariesTask]:
        if self._runner.is_running():
            return None
        kwargs = self.task_arguments()
        missing = [
            label
            for label, value in (
                ("the release CSV", kwargs["release_csv"]),
                ("the raw extracts", kwargs["raw"]),
                ("the map points", kwargs["points"]),
                ("an output folder", kwargs["out_dir"]),
            )
            if not value
        ]
        if missing:
            notify(self.iface, "Summaries need " + ", ".join(missing), Qgis.MessageLevel.Warning)
            return None
        task = SummariesTask(kwargs, self.atlas.isChecked())
        self._runner.start(task)
        return task

    def cancel(self) -> None:
        self._runner.cancel()

    def shutdown(self) -> None:
        self._runner.shutdown()

    def _on_completed(self, task: SummariesTask) -> None:
        self.last_outcome = "completed"
        done = task.done
        layer = QgsVectorLayer(
            f"{done.folder / 'neighbourhoods.gpkg'}|layername=neighbourhood_summaries",
            "Neighbourhood summaries",
            "ogr",
        )
        if layer.isValid():
            layer.loadDefaultStyle()
            QgsProject.instance().addMapLayer(layer)
        extra = f" PDF atlas: {task.pdf}." if task.pdf else ""
        notify(
            self.iface,
            f"Summaries of {done.pages:,} neighbourhoods written to {done.folder}.{extra} "
            f"{done.assignment.report()}.",
            Qgis.MessageLevel.Success,
        )

    def _on_terminated(self, task: SummariesTask) -> None:
        if task.error == "Cancelled" or (task.error is None and task.isCanceled()):
            self.last_outcome = "cancelled"
            notify(self.iface, "Summaries cancelled; nothing was changed.", Qgis.MessageLevel.Info)
            return
        self.last_outcome = f"failed: {task.error}"
        notify(self.iface, f"Summaries failed: {task.error}", Qgis.MessageLevel.Critical)
        if task.details:
            notify(None, task.details, Qgis.MessageLevel.Critical)


def _split_paths(text: str) -> list[str]:
    """Paths of a multiple-file QgsFileWidget value ("a" "b" quoted, or one path)."""
    from qgis.gui import QgsFileWidget

    return [p for p in QgsFileWidget.splitFilePaths(text) if p]
