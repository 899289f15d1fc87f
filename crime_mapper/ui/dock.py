"""The Crime mapper dock panel: the guided monthly release first, then one tab per step
(Load, Release, Hotspots, QA, Summaries, Web map), and the Load tab itself.

Why tabs beside the guided release: an analyst who runs the month as a whole uses the first
tab (ui.guided_release); one who redoes a single step, or works outside the monthly routine,
opens that step's tab. Every tab runs the same core functions as the command line and
Processing.

Built in code so there is no .ui/.qrc to compile and the same widgets run on Qt5 and Qt6.
The Load tab collects inputs (files, folders, monthly zips), an optional column-mapping profile
and an output folder, then hands the work to ``LoadExtractsTask`` (a QgsTask): nothing heavy
ever runs on the main thread, so QGIS stays responsive during a national-scale load. The
panel listens to the task's ``taskCompleted`` / ``taskTerminated`` signals, shows the readable
validation report, adds the layers on success and reports to the message bar and the log.

"New profile from extract…" and "Edit profile…" open the column-mapping profile editor
(``ui.profile_dialog``); a profile saved there becomes the panel's mapping profile.

The other tabs are panels of their own (``ui.release_panel``, ``ui.hotspots_panel``,
``ui.qa_panel``, and the publishing tabs ``ui.summaries_panel`` and ``ui.webmap_panel`` on
``ui.publish_panel``); after a load the dock hands the new crimes GeoPackage to those that
take one (``set_crimes_source``), so the next step starts from what was just loaded.

Everything a user does has a method a test can call (``add_inputs``, ``set_output_dir``,
``start_load``, ``cancel_load``, ``open_profile_dialog``) and the panel emits
``loadFinished(bool)`` once a load's outcome is shown.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Optional

from qgis.core import Qgis, QgsProject
from qgis.gui import QgsDockWidget
from qgis.PyQt.QtCore import QCoreApplication, Qt, pyqtSignal
from qgis.PyQt.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..core.common.text_file import shown_line
from ..logger import get_logger
from .task_runner import TaskRunner, notify, notify_lock_warnings
from .widgets import button_grid, file_widget, narrow_form, plain_tooltip

LOG = get_logger()


def tr(text: str) -> str:
    """The text in QGIS's language (tools/translation_template.py collects it)."""
    return QCoreApplication.translate("CrimeMapperDock", text)


if TYPE_CHECKING:
    from qgis.gui import QgisInterface

    from ..qgis_bridge.load_task import LoadExtractsTask
    from .hotspots_panel import HotspotsPanel
    from .profile_dialog import ProfileDialog
    from .release_panel import ReleasePanel

EXTRACT_FILTER = "Crime extracts (*.csv *.zip *.CSV *.ZIP);;All files (*)"
PROFILE_FILTER = "Column-mapping profile (*.json)"


class CrimeMapperDock(QgsDockWidget):
    """Dock panel: choose extracts, load them in the background, show the validation report."""

    #: Emitted on the main thread after a load's outcome has been shown; True on success.
    loadFinished = pyqtSignal(bool)  # noqa: N815 (Qt signal naming)

    def __init__(self, iface: QgisInterface, parent: Optional[QWidget] = None) -> None:
        super().__init__(tr("Crime mapper"), parent)
        self.iface = iface
        self._profile_dialog: Optional[ProfileDialog] = None
        self._build_ui()
        # the load's one QgsTask: kept alive, progress, outcome on the main thread, unload
        self._runner = TaskRunner(
            self,
            self._on_task_completed,
            self._on_task_terminated,
            progress_bar=self.progress_bar,
            set_running=self._set_running,
        )
        self._set_running(False)

    # --- UI -----------------------------------------------------------------------------
    def _build_ui(self) -> None:
        from .guided_release import GuidedReleasePanel
        from .hotspots_panel import HotspotsPanel
        from .release_panel import ReleasePanel

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("crime_mapper_tabs")
        # first: the whole month as guided steps; the tabs after it run one step each
        self.guided_panel: GuidedReleasePanel = GuidedReleasePanel(self.iface, self.tabs)
        self.tabs.addTab(self.guided_panel, tr("Monthly release"))
        self.tabs.addTab(self._scrolling(self._build_load_page()), tr("Load"))
        self.release_panel: ReleasePanel = ReleasePanel(self.iface, self.tabs)
        self.tabs.addTab(self._scrolling(self.release_panel), tr("Release"))
        self.hotspots_panel: HotspotsPanel = HotspotsPanel(self.iface, self.tabs)
        self.tabs.addTab(self._scrolling(self.hotspots_panel), tr("Hotspots"))
        from .qa_panel import QaPanel

        self.qa_panel: QaPanel = QaPanel(self.iface, self.tabs)
        self.tabs.addTab(self._scrolling(self.qa_panel), tr("QA"))
        # a finished QA's report goes with the release, which records it in audit and manifest
        self.qa_panel.qaFinished.connect(
            lambda ok: self.release_panel.set_qa_report(self.qa_panel.report_json_path())
        )
        from .summaries_panel import SummariesPanel

        self.summaries_panel: SummariesPanel = SummariesPanel(self.iface, self.tabs)
        self.tabs.addTab(self._scrolling(self.summaries_panel), tr("Summaries"))
        from .webmap_panel import WebmapPanel

        self.webmap_panel: WebmapPanel = WebmapPanel(self.iface, self.tabs)
        self.tabs.addTab(self._scrolling(self.webmap_panel), tr("Web map"))
        self.setWidget(self.tabs)

    def _scrolling(self, page: QWidget) -> QScrollArea:
        """The page in a scroll area: the dock fits a 1366x768 laptop screen."""
        area = QScrollArea(self.tabs)
        area.setWidgetResizable(True)
        area.setFrameShape(QScrollArea.Shape.NoFrame)
        area.setWidget(page)
        return area

    def _build_load_page(self) -> QWidget:
        body = QWidget(self)
        layout = QVBoxLayout(body)

        label = QLabel(
            tr(
                "Extracts: police.uk CSV files, folders or monthly .zip archives, or a force's "
                "records-system export (with its mapping profile below)"
            )
        )
        label.setWordWrap(True)
        layout.addWidget(label)
        self.inputs_list = QListWidget(body)
        self.inputs_list.setObjectName("crime_mapper_inputs")
        self.inputs_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.inputs_list.setToolTip(tr("Files, folders and zips to load together"))
        layout.addWidget(self.inputs_list)

        self.add_files_button = QPushButton(tr("Add files…"), body)
        self.add_folder_button = QPushButton(tr("Add folder…"), body)
        self.remove_button = QPushButton(tr("Remove"), body)
        self.clear_button = QPushButton(tr("Clear"), body)
        # two rows of two: four buttons side by side are wider than a dock
        buttons = [
            self.add_files_button,
            self.add_folder_button,
            self.remove_button,
            self.clear_button,
        ]
        layout.addLayout(button_grid(buttons))

        form = narrow_form(QFormLayout())
        self.profile_widget = file_widget(
            body,
            "open",
            object_name="crime_mapper_profile",
            file_filter=PROFILE_FILTER,
            title=tr("Column-mapping profile"),
            tooltip=tr(
                "Optional: JSON profile mapping a force's column names; police.uk files and "
                "known header variants are detected without one"
            ),
        )
        form.addRow(tr("Mapping profile (optional)"), self.profile_widget)
        self.new_profile_button = QPushButton(tr("New profile from extract…"), body)
        self.new_profile_button.setObjectName("crime_mapper_new_profile")
        self.new_profile_button.setToolTip(
            tr("Read a force extract's columns and build a mapping profile for it")
        )
        self.edit_profile_button = QPushButton(tr("Edit profile…"), body)
        self.edit_profile_button.setObjectName("crime_mapper_edit_profile")
        self.edit_profile_button.setToolTip(tr("Open the chosen mapping profile in the editor"))
        # below the picker, across the form, one above the other: side by side they are
        # wider than a dock at the side of QGIS
        form.addRow(button_grid([self.new_profile_button, self.edit_profile_button], columns=1))

        self.output_widget = file_widget(
            body,
            "folder",
            object_name="crime_mapper_output_dir",
            title=tr("Output folder"),
            tooltip=tr(
                "Folder for the crimes GeoPackage, the rejects CSV and the validation report"
            ),
        )
        form.addRow(tr("Output folder"), self.output_widget)
        layout.addLayout(form)

        run_row = QHBoxLayout()
        self.load_button = QPushButton(tr("Load"), body)
        self.load_button.setObjectName("crime_mapper_load")
        self.cancel_button = QPushButton(tr("Cancel"), body)
        self.cancel_button.setObjectName("crime_mapper_cancel")
        run_row.addWidget(self.load_button)
        run_row.addWidget(self.cancel_button)
        layout.addLayout(run_row)

        self.progress_bar = QProgressBar(body)
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setValue(0)
        layout.addWidget(self.progress_bar)

        layout.addWidget(QLabel(tr("Validation report")))
        self.report_view = QPlainTextEdit(body)
        self.report_view.setObjectName("crime_mapper_report")
        self.report_view.setReadOnly(True)
        self.report_view.setPlaceholderText(
            tr("The validation report of the last load shows here.")
        )
        layout.addWidget(self.report_view, 1)

        self.add_files_button.clicked.connect(self._choose_files)
        self.add_folder_button.clicked.connect(self._choose_folder)
        self.remove_button.clicked.connect(self._remove_selected)
        self.clear_button.clicked.connect(self.inputs_list.clear)
        self.load_button.clicked.connect(self.start_load)
        self.cancel_button.clicked.connect(self.cancel_load)
        self.new_profile_button.clicked.connect(self._new_profile_from_extract)
        self.edit_profile_button.clicked.connect(self._edit_profile)
        return body

    def _set_running(self, running: bool) -> None:
        for widget in (
            self.load_button,
            self.add_files_button,
            self.add_folder_button,
            self.remove_button,
            self.clear_button,
            self.profile_widget,
            self.new_profile_button,
            self.edit_profile_button,
            self.output_widget,
        ):
            widget.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    # --- inputs (also the API tests drive) -------------------------------------------------
    def add_inputs(self, paths: Iterable[str]) -> None:
        """Add files, folders or zips to the list, once each, in the order given. Each is
        shown on one line (shown_line: a newline in a name starts no line of its own in the
        list or its tooltip, where "a<newline>Leak gate: passed.csv" read as the dock's
        verdict); the path itself is kept in the item's data for the load."""
        present = set(self.input_paths())
        for path in paths:
            path = os.path.normpath(str(path))
            if path and path not in present:
                item = QListWidgetItem(shown_line(path))
                item.setData(Qt.ItemDataRole.UserRole, path)
                item.setToolTip(plain_tooltip(shown_line(path)))
                self.inputs_list.addItem(item)
                present.add(path)

    def input_paths(self) -> list[str]:
        """The chosen inputs, in list order (as given, not as shown)."""
        items = (self.inputs_list.item(i) for i in range(self.inputs_list.count()))
        return [item.data(Qt.ItemDataRole.UserRole) for item in items]

    def clear_inputs(self) -> None:
        self.inputs_list.clear()

    def set_profile_path(self, path: Optional[str]) -> None:
        self.profile_widget.setFilePath(str(path) if path else "")

    def profile_path(self) -> Optional[str]:
        path = self.profile_widget.filePath().strip()
        return path or None

    def set_output_dir(self, path: str) -> None:
        self.output_widget.setFilePath(str(path))

    def output_dir(self) -> str:
        return self.output_widget.filePath().strip()

    def current_task(self) -> Optional[LoadExtractsTask]:
        """The running load task, or None when idle."""
        return self._runner.task

    def _choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, tr("Add extracts"), "", EXTRACT_FILTER)
        self.add_inputs(paths)

    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, tr("Add a folder of extracts"))
        if path:
            self.add_inputs([path])

    def _remove_selected(self) -> None:
        for item in self.inputs_list.selectedItems():
            self.inputs_list.takeItem(self.inputs_list.row(item))

    # --- mapping profiles -------------------------------------------------------------------
    def open_profile_dialog(
        self, extract_path: Optional[str] = None, profile_path: Optional[str] = None
    ) -> ProfileDialog:
        """Open the profile editor (not modal) on an extract and/or a saved profile.

        When the analyst saves, the saved file becomes this panel's mapping profile. Returns
        the dialog so tests can drive it without a modal exec().
        """
        from .profile_dialog import ProfileDialog

        self._close_profile_dialog()
        dialog = ProfileDialog(self, extract_path=extract_path, profile_path=profile_path)
        dialog.profileSaved.connect(self.set_profile_path)
        dialog.finished.connect(self._on_profile_dialog_finished)
        self._profile_dialog = dialog
        dialog.show()
        return dialog

    def _first_csv_input(self) -> Optional[str]:
        """The first listed .csv input: the extract a new profile is most likely for."""
        for path in self.input_paths():
            if path.lower().endswith(".csv") and os.path.isfile(path):
                return path
        return None

    def _new_profile_from_extract(self) -> None:
        start = self._first_csv_input() or ""
        path, _ = QFileDialog.getOpenFileName(
            self,
            tr("Force extract to build a profile from"),
            start,
            "CSV extract (*.csv *.CSV *.txt);;All files (*)",
        )
        if path:
            self.open_profile_dialog(extract_path=path)

    def _edit_profile(self) -> None:
        profile = self.profile_path()
        if profile is not None and not os.path.isfile(profile):
            notify(
                self.iface,
                tr("Mapping profile not found: {profile}").format(profile=shown_line(profile)),
                Qgis.MessageLevel.Warning,
            )
            return
        try:
            self.open_profile_dialog(extract_path=self._first_csv_input(), profile_path=profile)
        except ValueError as exc:  # ProfileError: not a valid profile file
            self._close_profile_dialog()
            notify(self.iface, str(exc), Qgis.MessageLevel.Warning)

    def _on_profile_dialog_finished(self, _result: int) -> None:
        dialog, self._profile_dialog = self._profile_dialog, None
        if dialog is not None:
            dialog.deleteLater()

    def _close_profile_dialog(self) -> None:
        dialog, self._profile_dialog = self._profile_dialog, None
        if dialog is not None:
            try:
                dialog.finished.disconnect(self._on_profile_dialog_finished)
            except (TypeError, RuntimeError):
                pass
            dialog.close()
            dialog.deleteLater()

    # --- running a load ---------------------------------------------------------------------
    def start_load(self) -> bool:
        """Check the form, then start the background load; False if it could not start."""
        if self._runner.is_running():
            notify(self.iface, tr("A load is already running."), Qgis.MessageLevel.Warning)
            return False
        paths = self.input_paths()
        if not paths:
            notify(
                self.iface,
                tr("Add at least one file, folder or zip to load."),
                Qgis.MessageLevel.Warning,
            )
            return False
        missing = [p for p in paths if not os.path.exists(p)]
        if missing:
            notify(
                self.iface,
                tr("Not found: {paths}").format(paths=", ".join(map(shown_line, missing))),
                Qgis.MessageLevel.Warning,
            )
            return False
        output_dir = self.output_dir()
        if not output_dir:
            notify(self.iface, tr("Choose an output folder."), Qgis.MessageLevel.Warning)
            return False
        profile = self.profile_path()
        if profile is not None and not os.path.isfile(profile):
            notify(
                self.iface,
                tr("Mapping profile not found: {profile}").format(profile=shown_line(profile)),
                Qgis.MessageLevel.Warning,
            )
            return False

        from ..qgis_bridge.load_task import LoadExtractsTask

        task = LoadExtractsTask(paths, output_dir, profile)
        self.report_view.setPlainText(tr("Loading {count} input(s)…").format(count=len(paths)))
        LOG.info(f"Load started: {len(paths)} input(s) -> {shown_line(output_dir)}")
        self._runner.start(task)
        return True

    def cancel_load(self) -> None:
        """Ask the running load to stop; the outcome arrives through taskTerminated."""
        self._runner.cancel()

    def _on_task_completed(self, task: LoadExtractsTask) -> None:
        notify_lock_warnings(self.iface, task.lock_warnings)
        self.report_view.setPlainText(
            "".join(tr("Warning: {text}").format(text=t) + "\n\n" for t in task.lock_warnings)
            + task.report_text
        )
        if task.error is not None:
            notify(
                self.iface,
                tr("Load finished with an error: {error}").format(error=task.error),
                Qgis.MessageLevel.Critical,
            )
            self.loadFinished.emit(False)
            return
        try:
            project = QgsProject.instance()
            if not project.mapLayers():  # an empty project: British National Grid, not 4326
                from qgis.core import QgsCoordinateReferenceSystem

                from ..qgis_bridge.transform_context import set_default_transforms

                project.setCrs(QgsCoordinateReferenceSystem("EPSG:27700"))
                set_default_transforms(project)
            task.add_layers_to_project(project)
        except Exception as exc:  # noqa: BLE001 - shown to the user instead of a Python dialog
            notify(
                self.iface,
                tr("Loaded, but adding the layers failed: {error}").format(error=exc),
                Qgis.MessageLevel.Critical,
            )
            self.loadFinished.emit(False)
            return
        self.progress_bar.setValue(100)
        if task.outputs is not None:
            for panel in (self.release_panel, self.hotspots_panel, self.qa_panel):
                panel.set_crimes_source(str(task.outputs.gpkg))
        notify(
            self.iface,
            tr("Load finished: layers added; the validation report is in the panel."),
            Qgis.MessageLevel.Success,
        )
        self.loadFinished.emit(True)

    def _on_task_terminated(self, task: LoadExtractsTask) -> None:
        notify_lock_warnings(self.iface, task.lock_warnings)
        self.report_view.setPlainText(task.report_text or "")
        if task.error in (None, "Cancelled"):
            notify(
                self.iface,
                tr("Load cancelled; previous outputs are unchanged."),
                Qgis.MessageLevel.Info,
            )
        else:
            notify(
                self.iface,
                tr("Load failed: {error}").format(error=task.error),
                Qgis.MessageLevel.Critical,
            )
        self.loadFinished.emit(False)

    # --- teardown ---------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Called by the plugin's unload(): stop listening to, and cancel, a running load."""
        self._runner.shutdown()
        self._close_profile_dialog()
        for panel in (
            self.release_panel,
            self.hotspots_panel,
            self.qa_panel,
            self.summaries_panel,
            self.guided_panel,
            self.webmap_panel,
        ):
            panel.shutdown()
