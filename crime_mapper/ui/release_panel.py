"""The dock's "Release" tab: anonymise a load for the public, the way police.uk does.

Built in code (no .ui/.qrc) with Qt from qgis.PyQt only. The analyst chooses where the map
points come from (a point layer and its label field, a map points GeoPackage, or the force's
published police.uk history), optional release rules, the secret salt file (or creates one),
the maximum distance and an output folder; Run hands the work to ``AnonymiseTask`` (a QgsTask)
so QGIS stays responsive, and Cancel leaves the previous release untouched. The result is
summarised in words (rows in, published, without location, withheld, rejected, leak gate),
the public layer is added to the project, and "Open audit" shows the audit page.

The task also checks the map points against the project's other loaded months (their raw
crimes must not be map points; qgis_bridge.anonymise_task). The dock calls
``set_crimes_source(gpkg_path)`` after each load. Everything a user does has a
method a test can call; ``anonymiseFinished(bool)`` is emitted once an outcome is shown.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Optional

from qgis.core import Qgis, QgsMapLayerProxyModel, QgsProject
from qgis.gui import QgsFieldComboBox, QgsMapLayerComboBox
from qgis.PyQt.QtCore import QCoreApplication, QUrl, pyqtSignal
from qgis.PyQt.QtGui import QDesktopServices
from qgis.PyQt.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..core.common.layer_source import source_file
from ..core.common.text_file import shown_line
from ..logger import get_logger
from .task_runner import TaskRunner, notify
from .widgets import file_paths, file_widget, narrow_combo, narrow_form, plain_pickers, tr_noop


def tr(text: str) -> str:
    """The text in QGIS's language (tools/translation_template.py collects it)."""
    return QCoreApplication.translate("ReleasePanel", text)


LOG = get_logger()

if TYPE_CHECKING:
    from qgis.gui import QgisInterface

    from ..qgis_bridge.anonymise_task import AnonymiseTask

SOURCE_LAYER, SOURCE_GPKG, SOURCE_HISTORY = range(3)
#: The map points sources in the combo's order: (data, label shown through tr()).
SOURCES = (
    ("layer", tr_noop("Point layer with a label field")),
    ("gpkg", tr_noop("Map points GeoPackage")),
    ("history", tr_noop("Derive from police.uk history files")),
)


def _point_filter() -> Any:
    """The point-layer filter of QgsMapLayerComboBox on QGIS 3.22 and 3.30+."""
    filters = getattr(Qgis, "LayerFilter", None)
    if filters is not None and hasattr(filters, "PointLayer"):
        return filters.PointLayer
    return QgsMapLayerProxyModel.Filter.PointLayer


class ReleasePanel(QWidget):
    """Anonymise the loaded crimes onto map points; public CSV/layer, audit, manifest."""

    #: Emitted on the main thread after an anonymise outcome has been shown; True on success.
    anonymiseFinished = pyqtSignal(bool)  # noqa: N815 (Qt signal naming)

    def __init__(self, iface: QgisInterface, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.iface = iface
        self._last_audit: Optional[str] = None
        self.qa_report_path: Optional[str] = None  # the QA tab's report, recorded if given
        self._build_ui()
        # the anonymise's one QgsTask: kept alive, progress, outcome on the main thread, unload
        self._runner = TaskRunner(
            self,
            self._on_task_completed,
            self._on_task_terminated,
            progress_bar=self.progress_bar,
            set_running=self._set_running,
        )
        self._set_running(False)

    # --- UI -------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        layout = QVBoxLayout(self)
        form = narrow_form(QFormLayout())
        self.crimes_widget = file_widget(
            self,
            "open",
            object_name="crime_mapper_release_crimes",
            file_filter="Crimes GeoPackage (*.gpkg)",
            title=tr("Crimes GeoPackage from a load"),
            tooltip=tr(
                "The internal crimes GeoPackage a load wrote (the Load tab fills this in); "
                "choose an earlier load's crimes.gpkg to release it"
            ),
        )
        form.addRow(tr("Crimes"), self.crimes_widget)
        self.source_combo = narrow_combo(QComboBox(self))
        self.source_combo.setObjectName("crime_mapper_points_source")
        for key, label in SOURCES:
            self.source_combo.addItem(tr(label), key)
        self.source_combo.setToolTip(tr("Where the anonymous map points come from"))
        form.addRow(tr("Map points from"), self.source_combo)

        self.source_pages = QStackedWidget(self)
        # page 0: a layer and its label field
        layer_page = QWidget(self.source_pages)
        layer_form = narrow_form(QFormLayout(layer_page))
        layer_form.setContentsMargins(0, 0, 0, 0)
        self.points_layer_combo = narrow_combo(QgsMapLayerComboBox(layer_page))
        self.points_layer_combo.setObjectName("crime_mapper_points_layer")
        self.points_layer_combo.setFilters(_point_filter())
        self.points_layer_combo.setAllowEmptyLayer(True)
        self.label_field_combo = narrow_combo(QgsFieldComboBox(layer_page))
        self.label_field_combo.setObjectName("crime_mapper_label_field")
        self.label_field_combo.setToolTip(tr("The street or place name shown as 'On or near …'"))
        layer_form.addRow(tr("Point layer"), self.points_layer_combo)
        layer_form.addRow(tr("Label field"), self.label_field_combo)
        plain_pickers(self.points_layer_combo, self.label_field_combo)  # (the files' names)
        self.source_pages.addWidget(layer_page)
        # page 1: a map points GeoPackage (or CSV)
        self.points_file_widget = file_widget(
            self.source_pages,
            "open",
            object_name="crime_mapper_points_file",
            file_filter="Map points (*.gpkg *.csv)",
            tooltip=tr(
                "A GeoPackage written by 'Build anonymous map points' (layer map_points), or a "
                "map points CSV"
            ),
        )
        self.source_pages.addWidget(self.points_file_widget)
        # page 2: police.uk history files
        self.history_widget = file_widget(
            self.source_pages,
            "open_many",
            object_name="crime_mapper_history_files",
            file_filter="police.uk street files (*.csv *.zip)",
            tooltip=tr(
                "The force's published police.uk street files: their distinct points are the "
                "real map points"
            ),
        )
        self.source_pages.addWidget(self.history_widget)
        self.source_pages.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        form.addRow("", self.source_pages)

        self.rules_widget = file_widget(
            self,
            "open",
            object_name="crime_mapper_rules",
            file_filter="Release rules (*.json)",
            tooltip=tr(
                "Optional: per-category actions (map, no_location, withhold); default maps every "
                "category and withholds rows flagged sensitive"
            ),
        )
        form.addRow(tr("Release rules (optional)"), self.rules_widget)

        self.salt_widget = file_widget(
            self,
            "open",
            object_name="crime_mapper_salt",
            tooltip=tr(
                "The force's secret salt file: keep it outside the release folder and reuse it "
                "every month so Crime IDs stay stable"
            ),
        )
        form.addRow(tr("Salt file"), self.salt_widget)
        self.new_salt_button = QPushButton(tr("Create new salt…"), self)
        self.new_salt_button.setObjectName("crime_mapper_new_salt")
        form.addRow("", self.new_salt_button)

        self.distance_spin = QDoubleSpinBox(self)
        self.distance_spin.setObjectName("crime_mapper_max_distance")
        self.distance_spin.setRange(0.1, 1000.0)
        self.distance_spin.setDecimals(1)
        self.distance_spin.setSuffix(tr(" km"))
        self.distance_spin.setValue(20.0)
        self.distance_spin.setToolTip(
            tr(
                "Crimes farther than this from every map point are "
                "published without a location (police.uk: 20 km)"
            )
        )
        form.addRow(tr("Maximum distance"), self.distance_spin)

        self.output_widget = file_widget(
            self,
            "folder",
            object_name="crime_mapper_release_dir",
            title=tr("Release folder"),
        )
        form.addRow(tr("Output folder"), self.output_widget)
        layout.addLayout(form)

        run_row = QHBoxLayout()
        self.run_button = QPushButton(tr("Anonymise"), self)
        self.run_button.setObjectName("crime_mapper_anonymise")
        self.cancel_button = QPushButton(tr("Cancel"), self)
        self.audit_button = QPushButton(tr("Open audit"), self)
        self.audit_button.setObjectName("crime_mapper_open_audit")
        for button in (self.run_button, self.cancel_button, self.audit_button):
            run_row.addWidget(button)
        layout.addLayout(run_row)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setRange(0, 100)
        layout.addWidget(self.progress_bar)
        self.summary_view = QPlainTextEdit(self)
        self.summary_view.setObjectName("crime_mapper_release_summary")
        self.summary_view.setReadOnly(True)
        self.summary_view.setPlaceholderText(tr("The release summary appears here."))
        layout.addWidget(self.summary_view)

        self.source_combo.currentIndexChanged.connect(self._show_source_page)
        self._show_source_page(self.source_combo.currentIndex())
        self.points_layer_combo.layerChanged.connect(self._on_points_layer)
        self.new_salt_button.clicked.connect(self._create_salt_clicked)
        self.run_button.clicked.connect(self.start_anonymise)
        self.cancel_button.clicked.connect(self.cancel_anonymise)
        self.audit_button.clicked.connect(self.open_audit)
        self._on_points_layer(self.points_layer_combo.currentLayer())

    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.audit_button.setEnabled(not running and bool(self._last_audit))

    def _show_source_page(self, index: int) -> None:
        """Show one map-points page and size the stack to it: a QStackedWidget otherwise
        keeps the height of its tallest page, leaving a gap in a narrow dock."""
        ignored, preferred = QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred
        for i in range(self.source_pages.count()):
            policy = preferred if i == index else ignored
            self.source_pages.widget(i).setSizePolicy(preferred, policy)
        self.source_pages.setCurrentIndex(index)
        self.source_pages.adjustSize()

    def _on_points_layer(self, layer: Any) -> None:
        self.label_field_combo.setLayer(layer)
        if layer is not None and layer.fields().indexOf("label") >= 0:
            self.label_field_combo.setField("label")

    # --- what a user (or a test) sets -----------------------------------------------------
    def set_crimes_source(self, gpkg_path: Optional[str]) -> None:
        """The crimes GeoPackage (table "crimes") to anonymise; None clears it."""
        self.crimes_widget.setFilePath(str(gpkg_path) if gpkg_path else "")

    def crimes_source(self) -> Optional[str]:
        return self.crimes_widget.filePath().strip() or None

    def set_points_layer(self, layer: Any, label_field: str = "label") -> None:
        self.source_combo.setCurrentIndex(SOURCE_LAYER)
        self.points_layer_combo.setLayer(layer)
        self.label_field_combo.setLayer(layer)
        self.label_field_combo.setField(label_field)

    def set_points_file(self, path: str) -> None:
        self.source_combo.setCurrentIndex(SOURCE_GPKG)
        self.points_file_widget.setFilePath(path)

    def set_history_files(self, paths: list[str]) -> None:
        self.source_combo.setCurrentIndex(SOURCE_HISTORY)
        self.history_widget.setFilePath(" ".join(f'"{p}"' for p in paths))

    def set_rules_path(self, path: Optional[str]) -> None:
        self.rules_widget.setFilePath(path or "")

    def set_salt_path(self, path: str) -> None:
        self.salt_widget.setFilePath(path)

    def set_max_distance_km(self, km: float) -> None:
        self.distance_spin.setValue(km)

    def set_output_dir(self, path: str) -> None:
        self.output_widget.setFilePath(path)

    def set_qa_report(self, path: Optional[str]) -> None:
        """This month's qa_report.json (the QA tab sets it): the release records its verdict
        and findings in the audit and manifest. None: no QA recorded."""
        self.qa_report_path = path

    def current_task(self) -> Optional[AnonymiseTask]:
        return self._runner.task

    def create_salt(self, path: str) -> bool:
        """Write a new salt file at ``path`` and choose it; False (and a message) if refused."""
        from ..core.release.release_files import ReleaseInputError, create_salt_file

        try:
            create_salt_file(path)
        except (ReleaseInputError, OSError) as exc:
            notify(
                self.iface, tr("No salt created: {exc}").format(exc=exc), Qgis.MessageLevel.Warning
            )
            return False
        self.set_salt_path(path)
        notify(
            self.iface,
            tr(
                "New salt written to {path} (readable only by you). Keep it secret, outside the "
                "release folder, and back it up: every Crime ID depends on it."
            ).format(path=shown_line(path)),  # (a newline in it starts no line)
            Qgis.MessageLevel.Info,
        )
        return True

    def _create_salt_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Create new salt file", "", "Salt file (*.salt *.txt);;All files (*)"
        )
        if path:
            self.create_salt(path)

    def open_audit(self) -> None:
        if self._last_audit and os.path.isfile(self._last_audit):
            QDesktopServices.openUrl(QUrl.fromLocalFile(self._last_audit))

    # --- running --------------------------------------------------------------------------
    def _points_spec(self) -> Any:
        """The map points description for the task, checked here on the main thread."""
        from ..qgis_bridge.map_points_io import MapPointsSpec, spec_from_layer

        index = self.source_combo.currentIndex()
        if index == SOURCE_LAYER:
            layer = self.points_layer_combo.currentLayer()
            if layer is None:
                raise ValueError("Choose the map points layer.")
            return spec_from_layer(layer, self.label_field_combo.currentField(), thread_safe=True)
        if index == SOURCE_GPKG:
            path = self.points_file_widget.filePath()
            if not path or not os.path.isfile(path):
                raise ValueError("Choose the map points GeoPackage.")
            # the file itself: described by its name, as the command line and Processing do
            return path
        paths = file_paths(self.history_widget)
        if not paths:
            raise ValueError("Choose the police.uk history files.")
        return MapPointsSpec(
            "history", paths=list(paths), description="map points derived from police.uk history"
        )

    def start_anonymise(self) -> bool:
        """Check the form, then start the background anonymise; False if it could not start."""
        from ..core.release.map_points import MapPointsError

        if self._runner.is_running():
            notify(self.iface, tr("An anonymise is already running."), Qgis.MessageLevel.Warning)
            return False
        crimes = self.crimes_source()
        if not crimes or not os.path.isfile(source_file(crimes)):
            notify(
                self.iface,
                tr("No crimes to anonymise: load extracts first, or choose a crimes GeoPackage."),
                Qgis.MessageLevel.Warning,
            )
            return False
        output_dir = self.output_widget.filePath()
        if not output_dir:
            notify(self.iface, tr("Choose an output folder."), Qgis.MessageLevel.Warning)
            return False
        salt = self.salt_widget.filePath()
        if not salt:
            notify(
                self.iface,
                tr("Choose the salt file (or create a new salt)."),
                Qgis.MessageLevel.Warning,
            )
            return False
        try:
            spec = self._points_spec()
        except (MapPointsError, ValueError) as exc:
            notify(self.iface, tr("Map points: {exc}").format(exc=exc), Qgis.MessageLevel.Warning)
            return False

        from ..qgis_bridge.anonymise_task import AnonymiseTask

        task = AnonymiseTask(
            crimes,
            spec,
            salt,
            output_dir,
            rules=self.rules_widget.filePath() or None,
            max_distance_m=self.distance_spin.value() * 1000.0,
            qa_report=self.qa_report_path,
        )
        self.summary_view.setPlainText("Anonymising…")
        LOG.info(f"Anonymise started -> {shown_line(output_dir)}")
        self._runner.start(task)
        return True

    def cancel_anonymise(self) -> None:
        self._runner.cancel()

    def _on_task_completed(self, task: AnonymiseTask) -> None:
        self._lock_warnings(task)
        if task.outputs is None:
            return
        out = task.outputs
        self.summary_view.setPlainText(task.summary)
        self._last_audit = str(out.audit_html)
        self._set_running(False)
        self.progress_bar.setValue(100)
        try:
            task.add_public_layer(QgsProject.instance())
        except Exception as exc:  # noqa: BLE001 - shown to the user
            notify(
                self.iface,
                tr("Release written, but adding the public layer failed: {exc}").format(exc=exc),
                Qgis.MessageLevel.Warning,
            )
        level = Qgis.MessageLevel.Success if out.reconciles else Qgis.MessageLevel.Warning
        notify(
            self.iface,
            tr(
                "Release written: {published_at_map_point:,} published at map points, "
                "{published_without_location:,} without location, {withheld_by_rule:,} withheld, "
                "{rejected:,} rejected; leak gate passed."
            ).format(
                published_at_map_point=out.published_at_map_point,
                published_without_location=out.published_without_location,
                withheld_by_rule=out.withheld_by_rule,
                rejected=out.rejected,
            ),
            level,
        )
        self.anonymiseFinished.emit(True)

    def _lock_warnings(self, task: AnonymiseTask) -> None:
        """The run went ahead without its output folder's run lock: said as a warning."""
        for text in task.lock_warnings:
            notify(self.iface, text, Qgis.MessageLevel.Warning)

    def _on_task_terminated(self, task: AnonymiseTask) -> None:
        self._lock_warnings(task)
        self.summary_view.setPlainText(task.summary or "")
        if task.error in (None, "Cancelled"):
            notify(
                self.iface,
                tr("Anonymise cancelled; the previous release is unchanged."),
                Qgis.MessageLevel.Info,
            )
        elif task.gate_failed:
            notify(
                self.iface,
                tr(
                    "The leak gate stopped the release; nothing was written. See the "
                    "panel for what it found."
                ),
                Qgis.MessageLevel.Critical,
            )
        else:
            notify(
                self.iface,
                tr("Anonymise failed: {error}").format(error=task.error),
                Qgis.MessageLevel.Critical,
            )
        self.anonymiseFinished.emit(False)

    def shutdown(self) -> None:
        """Called by the dock on unload: stop listening to, and cancel, a running task."""
        self._runner.shutdown()
