"""The dock's Hotspots tab: run a hotspot analysis on crime points, add the styled result.

Built in code (no .ui, no compiled resources). The panel collects a method (counts on
hexagons, Getis-Ord Gi*, kernel density, change since previous months), its settings and an
input (the crimes of the last load, which the dock passes through ``set_crimes_source``, or
any point layer of the project backed by a file), then runs a HotspotTask (progress bar,
Cancel) and adds the styled layer to a "Hotspots" group. Two quick styling actions work on
the active layer: a heatmap preview for points and a graduated choropleth for areas.

Everything a user does has a method a test can call (``set_method``, ``start_run``,
``cancel_run``, ``apply_heatmap_preview``, ``apply_choropleth``); ``runFinished(bool)`` is
emitted once a run's outcome is shown.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from qgis.core import (
    Qgis,
    QgsFieldProxyModel,
    QgsMapLayerProxyModel,
    QgsProject,
    QgsTask,
    QgsVectorLayer,
)
from qgis.gui import QgsFieldComboBox, QgsMapLayerComboBox
from qgis.PyQt.QtCore import QCoreApplication, pyqtSignal
from qgis.PyQt.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..compat import GEOMETRY_POINT, GEOMETRY_POLYGON
from ..core.common.layer_source import source_file
from ..core.common.text_file import shown_line
from ..core.common.vocabulary import CATEGORY_NAMES
from ..core.hotspots.hexgrid import SMALLEST_SIZE_M
from ..core.hotspots.methods import METHODS, hotspot_method
from .task_runner import TaskRunner, notify
from .widgets import (
    ShownLabel,
    file_widget,
    narrow_combo,
    narrow_form,
    plain_pickers,
    vocabulary_text,
)

if TYPE_CHECKING:
    from qgis.gui import QgisInterface

    from ..qgis_bridge.hotspot_task import HotspotTask


def tr(text: str) -> str:
    """The text in QGIS's language (tools/translation_template.py collects it)."""
    return QCoreApplication.translate("HotspotsPanel", text)


class HotspotsPanel(QWidget):
    """Hotspot analysis for intelligence staff (internal, exact data)."""

    runFinished = pyqtSignal(bool)  # noqa: N815 - Qt signal naming
    publishFinished = pyqtSignal(bool)  # noqa: N815 - Qt signal naming

    def __init__(self, iface: QgisInterface, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.iface = iface
        self._crimes_source: Optional[str] = None
        self.last_outputs = None
        self.last_layer = None
        self.setObjectName("crime_mapper_hotspots_panel")
        self._build_ui()
        # two independent tasks, each kept alive and handled on the main thread by its runner
        self._runner = TaskRunner(
            self,
            self._on_completed,
            self._on_terminated,
            progress_bar=self.progress_bar,
            set_running=self._set_running,
        )
        self._publish_runner = TaskRunner(
            self, self._on_published, self._on_published, set_running=self._set_publishing
        )
        self._on_method_changed()

    # --- UI -------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        layout = QVBoxLayout(self)
        form = narrow_form(QFormLayout())

        self.source_combo = narrow_combo(QgsMapLayerComboBox(self))
        self.source_combo.setFilters(QgsMapLayerProxyModel.Filter.PointLayer)
        self._set_empty_text(tr("The crimes of the last load"))
        self.source_combo.setLayer(None)
        self.source_combo.setToolTip(tr("Empty = the crimes of the last load"))
        form.addRow(tr("Crime points"), self.source_combo)
        self.source_label = ShownLabel(tr("No load yet: choose a point layer."), self)
        self.source_label.setWordWrap(True)
        form.addRow("", self.source_label)

        self.method_combo = narrow_combo(QComboBox(self))
        for method in METHODS:
            self.method_combo.addItem(vocabulary_text(method.label), method.name)
        form.addRow(tr("Method"), self.method_combo)

        self.cell_spin = QDoubleSpinBox(self)
        self.cell_spin.setRange(SMALLEST_SIZE_M, 100_000.0)
        self.cell_spin.setDecimals(0)
        self.cell_spin.setSuffix(tr(" m"))
        self.cell_label = QLabel(tr("Hexagon size"), self)
        form.addRow(self.cell_label, self.cell_spin)

        self.category_combo = narrow_combo(QComboBox(self))
        self.category_combo.addItem(tr("All crimes"), None)
        for name in CATEGORY_NAMES:
            self.category_combo.addItem(name, name)
        form.addRow(tr("Category"), self.category_combo)

        self.months_edit = QLineEdit(self)
        self.months_edit.setPlaceholderText(tr("all months, or e.g. 2022-09,2022-10"))
        self.months_label = QLabel(tr("Months"), self)
        form.addRow(self.months_label, self.months_edit)

        self.current_edit = QLineEdit(self)
        self.current_edit.setPlaceholderText(tr("e.g. 2022-10"))
        self.current_label = QLabel(tr("Current month(s)"), self)
        form.addRow(self.current_label, self.current_edit)
        self.baseline_edit = QLineEdit(self)
        self.baseline_edit.setPlaceholderText(tr("empty = all earlier months"))
        self.baseline_label = QLabel(tr("Baseline months"), self)
        form.addRow(self.baseline_label, self.baseline_edit)

        self.fdr_check = QCheckBox(tr("False discovery rate correction"), self)
        form.addRow(self.fdr_check)  # across the form: its text is longer than a field

        self.bandwidth_spin = QDoubleSpinBox(self)
        self.bandwidth_spin.setRange(0.0, 50_000.0)
        self.bandwidth_spin.setDecimals(0)
        self.bandwidth_spin.setSuffix(tr(" m"))
        self.bandwidth_spin.setSpecialValueText(tr("automatic"))
        self.bandwidth_label = QLabel(tr("Bandwidth"), self)
        form.addRow(self.bandwidth_label, self.bandwidth_spin)

        self.max_cells_spin = QSpinBox(self)
        self.max_cells_spin.setRange(1, 2_000_000_000)
        self.max_cells_spin.setSingleStep(100_000)
        self.max_cells_spin.setGroupSeparatorShown(True)  # 1,000,000, not 1000000
        form.addRow(tr("Maximum cells"), self.max_cells_spin)

        self.output_edit = file_widget(
            self,
            "save",
            file_filter="Hotspot layer (*.gpkg *.tif)",
            placeholder=tr("default: beside the crimes GeoPackage"),
        )
        form.addRow(tr("Output file"), self.output_edit)
        layout.addLayout(form)

        buttons = QHBoxLayout()
        self.run_button = QPushButton(tr("Run"), self)
        self.cancel_button = QPushButton(tr("Cancel"), self)
        self.cancel_button.setEnabled(False)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        layout.addLayout(buttons)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setRange(0, 100)
        layout.addWidget(self.progress_bar)
        self.status_label = ShownLabel("", self)  # names files, quotes errors
        self.status_label.setWordWrap(True)
        layout.addWidget(self.status_label)

        publish = QGroupBox(tr("Publish for the public"), self)
        publish.setToolTip(
            tr(
                "Counts or Gi* (settings above) from the public release CSV, "
                "checked by the leak gate against the crimes of the last load"
            )
        )
        publish_form = narrow_form(QFormLayout(publish))
        self.release_edit = file_widget(
            publish,
            "open",
            file_filter="Public release CSV (*.csv)",
            placeholder=tr("public release CSV (from Anonymise)"),
        )
        publish_form.addRow(tr("Release CSV"), self.release_edit)
        self.map_points_edit = file_widget(
            publish,
            "open",
            file_filter="Map points (*.gpkg *.csv)",
            placeholder=tr("map points file (.gpkg or .csv)"),
        )
        publish_form.addRow(tr("Map points"), self.map_points_edit)
        self.publish_output_edit = file_widget(
            publish,
            "save",
            file_filter="GeoPackage (*.gpkg)",
            placeholder=tr("default: beside the release CSV"),
        )
        publish_form.addRow(tr("Public layer"), self.publish_output_edit)
        self.publish_button = QPushButton(tr("Publish through the leak gate"), publish)
        publish_form.addRow(self.publish_button)
        layout.addWidget(publish)

        styling = QGroupBox(tr("Quick styles for the active layer"), self)
        style_form = narrow_form(QFormLayout(styling))
        self.heatmap_button = QPushButton(tr("Apply heatmap preview (points)"), styling)
        style_form.addRow(self.heatmap_button)
        self.choropleth_field = narrow_combo(QgsFieldComboBox(styling))
        self.choropleth_field.setFilters(QgsFieldProxyModel.Filter.Numeric)
        style_form.addRow(tr("Count or rate field"), self.choropleth_field)
        plain_pickers(self.source_combo, self.choropleth_field)  # (names from the analyst's files)
        self.classification_combo = narrow_combo(QComboBox(styling))
        from ..qgis_bridge.renderers import CLASSIFICATION_METHODS

        for key, label in CLASSIFICATION_METHODS.items():
            self.classification_combo.addItem(vocabulary_text(label), key)
        style_form.addRow(tr("Classification"), self.classification_combo)
        self.choropleth_button = QPushButton(tr("Choropleth by area (polygons)"), styling)
        style_form.addRow(self.choropleth_button)
        layout.addWidget(styling)
        layout.addStretch(1)

        self.method_combo.currentIndexChanged.connect(self._on_method_changed)
        self.run_button.clicked.connect(self.start_run)
        self.cancel_button.clicked.connect(self.cancel_run)
        self.publish_button.clicked.connect(lambda: self.start_publish())
        self.heatmap_button.clicked.connect(lambda: self.apply_heatmap_preview())
        self.choropleth_button.clicked.connect(lambda: self.apply_choropleth())

    def _on_method_changed(self, *_args) -> None:
        from ..core.hotspots.hexgrid import DEFAULT_MAX_CELLS
        from ..core.hotspots.kde import DEFAULT_MAX_CELLS as KDE_MAX_CELLS

        kind = self.method()
        method = hotspot_method(kind)
        self.cell_spin.setValue(method.default_size_m)
        self.cell_label.setText(tr("Raster cell size") if method.is_raster else tr("Hexagon size"))
        self.cell_spin.setToolTip(vocabulary_text(method.size_label))
        self.max_cells_spin.setValue(KDE_MAX_CELLS if method.is_raster else DEFAULT_MAX_CELLS)
        for widget in (
            self.current_edit,
            self.current_label,
            self.baseline_edit,
            self.baseline_label,
        ):
            widget.setVisible(not method.uses_months)
        for widget in (self.months_edit, self.months_label):
            widget.setVisible(method.uses_months)
        self.fdr_check.setVisible(method.uses_fdr)
        for widget in (self.bandwidth_spin, self.bandwidth_label):
            widget.setVisible(method.uses_bandwidth)

    # --- state a test (or the dock) can set -----------------------------------------------
    def _set_empty_text(self, text: str) -> None:
        """The combo's empty entry says what it means (QGIS 3.28+ shows a text for it; 3.22
        only allows the entry, and the label below says it)."""
        try:
            self.source_combo.setAllowEmptyLayer(True, text)
        except TypeError:  # QGIS < 3.28
            self.source_combo.setAllowEmptyLayer(True)

    def set_crimes_source(self, gpkg_path: Optional[str]) -> None:
        """The crimes GeoPackage of the last load (table "crimes"), or None."""
        self._crimes_source = str(gpkg_path) if gpkg_path else None
        # the file's name on one line (shown_line): a newline in it would start a line of
        # its own in the label, which could read as the dock's ("Leak gate: passed")
        name = shown_line(Path(gpkg_path).name) if gpkg_path else ""
        self._set_empty_text(f"Last load: {name}" if gpkg_path else "The crimes of the last load")
        self.source_label.setText(
            f"Crimes of the last load: {name}"
            if gpkg_path
            else "No load yet: choose a point layer."
        )

    def crimes_source(self) -> Optional[str]:
        return self._crimes_source

    def set_method(self, kind: str) -> None:
        index = self.method_combo.findData(kind)
        if index < 0:
            raise ValueError(f"unknown method {kind!r}")
        self.method_combo.setCurrentIndex(index)

    def method(self) -> str:
        return str(self.method_combo.currentData())

    def settings(self):
        """The HotspotSettings the form describes (months are parsed when the run starts)."""
        from ..core.hotspots.selection import parse_months
        from ..qgis_bridge.hotspot_task import HotspotSettings

        kind = self.method()
        return HotspotSettings(
            method=kind,
            cell_size_m=float(self.cell_spin.value()),
            category=self.category_combo.currentData(),
            months=parse_months(self.months_edit.text()) if kind != "change" else [],
            fdr=self.fdr_check.isChecked(),
            bandwidth_m=float(self.bandwidth_spin.value()),
            current_months=parse_months(self.current_edit.text()),
            baseline_months=parse_months(self.baseline_edit.text()),
            max_cells=int(self.max_cells_spin.value()),
            kde_max_cells=int(self.max_cells_spin.value()) if kind == "kde" else None,
        )

    def input_source(self) -> tuple[Optional[str], str]:
        """(OGR URI the task opens in its own thread, or None; why not)."""
        layer = self.source_combo.currentLayer()
        if isinstance(layer, QgsVectorLayer):
            if layer.providerType() != "ogr":
                return None, (
                    f"The layer {layer.name()!r} is not backed by a file; save it "
                    "(e.g. as a GeoPackage) and choose the saved layer."
                )
            return layer.source(), ""
        if self._crimes_source:
            from ..qgis_bridge.layers import CRIMES_TABLE, gpkg_uri

            return gpkg_uri(self._crimes_source, CRIMES_TABLE), ""
        return None, "Load crimes first, or choose a point layer."

    def output_path(self) -> str:
        text = self.output_edit.filePath().strip()
        kind = self.method()
        if text:
            return text
        uri, _ = self.input_source()
        folder = Path(source_file(uri)).parent if uri else Path.home()
        return str(
            folder / f"hotspots_{kind}_{int(self.cell_spin.value())}m{hotspot_method(kind).suffix}"
        )

    # --- running --------------------------------------------------------------------------
    def _set_running(self, running: bool) -> None:
        for widget in (
            self.run_button,
            self.method_combo,
            self.cell_spin,
            self.category_combo,
            self.months_edit,
            self.current_edit,
            self.baseline_edit,
            self.fdr_check,
            self.bandwidth_spin,
            self.max_cells_spin,
            self.source_combo,
            self.output_edit,
        ):
            widget.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def start_run(self) -> bool:
        """Check the form and start the background run; False if it could not start."""
        if self._runner.is_running():
            notify(self.iface, tr("A hotspot run is already going."), Qgis.MessageLevel.Warning)
            return False
        uri, why = self.input_source()
        if uri is None:
            notify(self.iface, why, Qgis.MessageLevel.Warning)
            return False
        from ..core.hotspots.hexgrid import HotspotInputError

        try:
            settings = self.settings()
        except HotspotInputError as exc:
            notify(self.iface, str(exc), Qgis.MessageLevel.Warning)
            return False
        if settings.method == "change" and not settings.current_months:
            notify(
                self.iface,
                tr("Enter the current month(s) to compare, e.g. 2022-10."),
                Qgis.MessageLevel.Warning,
            )
            return False
        out_path = self.output_path()
        expected = hotspot_method(settings.method).suffix
        if not out_path.lower().endswith(expected):
            notify(
                self.iface,
                tr("The output file must end with {expected}.").format(expected=expected),
                Qgis.MessageLevel.Warning,
            )
            return False
        folder = os.path.dirname(os.path.abspath(out_path))
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as exc:  # (a file in its place, no permission): a message, not a crash
            notify(
                self.iface,
                tr("The output's folder cannot be made: {folder} ({error})").format(
                    folder=shown_line(folder), error=exc.strerror or exc
                ),
                Qgis.MessageLevel.Warning,
            )
            return False

        from ..qgis_bridge.hotspot_task import HotspotTask

        task = HotspotTask(uri, out_path, settings)
        self.status_label.setText(tr("Running…"))
        self._runner.start(task)
        return True

    def cancel_run(self) -> None:
        self._runner.cancel()

    def _on_completed(self, task: HotspotTask) -> None:
        try:
            layer = task.add_layer_to_project(QgsProject.instance())
        except Exception as exc:  # noqa: BLE001 - shown to the user
            notify(
                self.iface,
                tr("The hotspot file was written, but adding the layer failed: {exc}").format(
                    exc=exc
                ),
                Qgis.MessageLevel.Critical,
            )
            self.runFinished.emit(False)
            return
        out = task.outputs
        self.last_outputs, self.last_layer = out, layer
        self.progress_bar.setValue(100)
        text = f"{out.title}: {out.cells:,} cells from {out.crimes:,} crimes."
        self.status_label.setText(" ".join([text, out.legend_text, *out.notes]))
        notify(self.iface, text + " Layer added to the Hotspots group.", Qgis.MessageLevel.Success)
        self.runFinished.emit(True)

    def _on_terminated(self, task: HotspotTask) -> None:
        if task.error in (None, "Cancelled"):
            message, level = (
                "Hotspot run cancelled; earlier outputs are unchanged.",
                Qgis.MessageLevel.Info,
            )
        else:
            message, level = f"Hotspots: {task.error}", Qgis.MessageLevel.Critical
        self.status_label.setText(message)
        notify(self.iface, message, level)
        self.runFinished.emit(False)

    # --- publishing (through the leak gate) -----------------------------------------------
    def start_publish(self) -> bool:
        """Publish counts or Gi* from the release CSV in the background (raw crimes = the
        last load); False, with a message, if it could not start."""
        release = self.release_edit.filePath().strip()
        points = self.map_points_edit.filePath().strip()
        kind = self.method()
        checks = (
            (self._publish_runner.is_running(), "A publish is already going."),
            (kind not in ("grid", "gi"), "Only crime counts or Gi* can be published."),
            (
                not self._crimes_source,
                "Load crimes first: the leak gate checks the release against them.",
            ),
            (not (release and points), "Choose the release CSV and map points file."),
        )
        problem = next((text for failed, text in checks if failed), "")
        if problem:
            notify(self.iface, problem, Qgis.MessageLevel.Warning)
            return False
        out = self.publish_output_edit.filePath().strip() or str(
            Path(release).with_name(f"{Path(release).stem}-hotspots-{kind}.gpkg")
        )
        options = {
            "method": kind,
            "cell_size_m": float(self.cell_spin.value()),
            "category": self.category_combo.currentData(),
            "months": self.months_edit.text(),
            "fdr": self.fdr_check.isChecked(),
            "max_cells": int(self.max_cells_spin.value()),
        }
        source = self._crimes_source

        def work(task: QgsTask):  # worker thread: files only
            from ..qgis_bridge.hotspot_publish import run_publish_hotspots
            from ..qgis_bridge.load_task import TaskFeedback

            return run_publish_hotspots(
                release, source, points, out, **options, feedback=TaskFeedback(task)
            )

        # no on_finished: the runner hands the ended task to _on_published
        task = QgsTask.fromFunction("crime_mapper: publish hotspots", work)
        self.status_label.setText(tr("Publishing through the leak gate…"))
        self._publish_runner.start(task)
        return True

    def _set_publishing(self, running: bool) -> None:
        self.publish_button.setEnabled(not running)

    def _on_published(self, task: QgsTask) -> None:
        """Completed or terminated: the fromFunction task holds the outputs or the exception."""
        from ..core.common.feedback import Cancelled
        from ..qgis_bridge.hotspot_style import add_hotspot_to_project

        exception, outputs = task.exception, task.returned_values
        if exception is None and outputs is not None:
            self.last_outputs = outputs
            try:
                self.last_layer = add_hotspot_to_project(outputs, QgsProject.instance())
                text = (
                    f"{outputs.title}: {outputs.cells:,} cells, {outputs.crimes:,} "
                    f"published crimes; passed the leak gate, written to "
                    f"{shown_line(outputs.path)}."
                )
                level = Qgis.MessageLevel.Success
            except Exception as exc:  # noqa: BLE001 - shown to the user, not a Python dialog
                text = (
                    f"Published to {shown_line(outputs.path)}, but adding the layer failed: {exc}"
                )
                level = Qgis.MessageLevel.Critical
        elif isinstance(exception, Cancelled) or exception is None or task.isCanceled():
            text, level = (
                "Publish cancelled; earlier outputs are unchanged.",
                Qgis.MessageLevel.Info,
            )
        else:
            text, level = f"Not published: {exception}", Qgis.MessageLevel.Critical
        self.status_label.setText(text)
        notify(self.iface, text, level)
        self.publishFinished.emit(level == Qgis.MessageLevel.Success)

    # --- quick styles ---------------------------------------------------------------------
    def _active_vector(self) -> Optional[QgsVectorLayer]:
        layer = self.iface.activeLayer() if self.iface is not None else None
        return layer if isinstance(layer, QgsVectorLayer) else None

    def apply_heatmap_preview(self, layer: Optional[QgsVectorLayer] = None) -> bool:
        """The heatmap renderer preset on a point layer (default: the active layer): a radius
        of 300 m on the ground in the project's CRS, whatever the layer's (renderers.
        heatmap_renderer); the message says so, in metres. The map is drawn in the project's
        CRS, so a project without one is taken to be in the layer's."""
        from ..qgis_bridge.renderers import (
            HEATMAP_RADIUS_M,
            heatmap_map_units_per_metre,
            heatmap_renderer,
        )

        layer = layer or self._active_vector()
        if layer is None or layer.geometryType() != GEOMETRY_POINT:
            notify(
                self.iface,
                tr("Select a point layer for the heatmap preview."),
                Qgis.MessageLevel.Warning,
            )
            return False
        map_crs = QgsProject.instance().crs()
        if not map_crs.isValid():
            map_crs = layer.crs()
        per_metre = heatmap_map_units_per_metre(layer, map_crs)
        layer.setRenderer(heatmap_renderer(HEATMAP_RADIUS_M, per_metre))
        layer.triggerRepaint()
        notify(
            self.iface,
            tr(
                "Heatmap preview of {layer}: each crime spreads over {radius:.0f} m on the ground."
            ).format(layer=shown_line(layer.name()), radius=HEATMAP_RADIUS_M),
            Qgis.MessageLevel.Info,
        )
        return True

    def apply_choropleth(
        self,
        layer: Optional[QgsVectorLayer] = None,
        field: Optional[str] = None,
        method: Optional[str] = None,
        classes: int = 5,
    ) -> bool:
        """A graduated choropleth of a count or rate field on a polygon layer (default: the
        active layer and the field and classification chosen in the panel)."""
        from ..qgis_bridge.renderers import graduated_renderer

        layer = layer or self._active_vector()
        if layer is None or layer.geometryType() != GEOMETRY_POLYGON:
            notify(
                self.iface,
                tr("Select a polygon layer (areas) for the choropleth."),
                Qgis.MessageLevel.Warning,
            )
            return False
        if self.choropleth_field.layer() is not layer:
            self.choropleth_field.setLayer(layer)
        field = field or self.choropleth_field.currentField()
        if not field or layer.fields().indexOf(field) < 0:
            notify(
                self.iface,
                tr("Choose the count or rate field to colour the areas by."),
                Qgis.MessageLevel.Warning,
            )
            return False
        method = method or str(self.classification_combo.currentData())
        layer.setRenderer(graduated_renderer(layer, field, method, classes, ""))
        layer.triggerRepaint()
        return True

    def shutdown(self) -> None:
        """Called when the plugin unloads: stop listening to, and cancel, a running task."""
        self._runner.shutdown()
        self._publish_runner.shutdown()
