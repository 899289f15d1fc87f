"""The dock's first tab: the monthly release as guided steps, and "Run the whole release".

Why: an analyst's month should be "open QGIS, pick this month's extract, press one button,
read the checks, publish", and next month the same with last month's settings. The tab shows
the release configuration (core.monthly.config) as five steps in the workflow's order: Load,
Check, Anonymise, Hotspots, Publish. Each shows its inputs, its state (not run, running,
done, failed, not run here, out of date because an earlier step's input changed) and, once
run, its results; the Check step lists every problem of the inputs before anything runs.
"Run the whole release" runs every step as one background QgsTask whose work runs in a child
Python process (qgis_bridge.release_process: the user interface never waits for pandas), that
stops at the first failure with the reason and what to do, and can be cancelled.

Settings are kept per project (project custom properties: reopening the project restores the
form, the month and the last release's state) and per user (QgsSettings: the recent
configuration files and the last profile, salt file, map points and output folder, offered
to a new project). Every text goes through tr() (tools/translation_template.py writes the
template). The tab lives in a scroll area so it fits a 1366x768 laptop.

Everything a user does has a method a test can call (``set_config``, ``config``,
``set_month``, ``problems``, ``run_release``, ``cancel``, ``open_config``, ``save_config``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Optional

from qgis.core import Qgis, QgsApplication, QgsProject, QgsSettings
from qgis.PyQt.QtCore import QCoreApplication, Qt, QUrl, pyqtSignal
from qgis.PyQt.QtGui import QDesktopServices
from qgis.PyQt.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .task_runner import TaskRunner, notify
from .widgets import file_widget


def tr_noop(text: str) -> str:
    """Marks a text for the translation template; tr() translates it where it is shown."""
    return text


STEPS = ("load", "check", "anonymise", "hotspots", "publish")
STEP_TITLES = {
    "load": tr_noop("1. Load"),
    "check": tr_noop("2. Check"),
    "anonymise": tr_noop("3. Anonymise"),
    "hotspots": tr_noop("4. Hotspots (internal)"),
    "publish": tr_noop("5. Publish"),
}
STATE_TEXT = {
    "not run": tr_noop("Not run"),
    "running": tr_noop("Running…"),
    "done": tr_noop("Done"),
    "failed": tr_noop("Failed"),
    "not run here": tr_noop("Not run here"),
    "skipped": tr_noop("Skipped (turned off)"),
    "out of date": tr_noop("Out of date: an earlier step changed"),
}
CONFIG_FILTER = "Release configuration (*.toml *.json)"
PROJECT_SCOPE = "crime_mapper"
SETTINGS_PREFIX = "crime_mapper/release"
RECENT_LIMIT = 8
README_URL = "https://github.com/crime-mapper/crime_mapper#the-monthly-release"
MAP_POINT_KINDS = ("history", "file", "hexagon")


def tr(text: str) -> str:
    return QCoreApplication.translate("GuidedReleasePanel", text)


class GuidedReleasePanel(QScrollArea):
    """The guided monthly release (see the module docstring)."""

    #: Emitted on the main thread once a whole release's outcome is shown; True on success.
    releaseFinished = pyqtSignal(bool)  # noqa: N815 (Qt signal naming)

    def __init__(self, iface: Any, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.iface = iface
        self.setObjectName("crime_mapper_guided_release")
        self.setWidgetResizable(True)
        # the page follows the dock's width (rows wrap) instead of scrolling sideways
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._loading = False
        self._config_path: Optional[Path] = None
        self._states: dict[str, str] = dict.fromkeys(STEPS, "not run")
        self._outputs: Any = None
        self._base: Any = None
        self._build_ui()
        self._runner = TaskRunner(
            self,
            self._on_completed,
            self._on_terminated,
            progress_bar=self.progress_bar,
            set_running=self._set_running,
        )
        self._set_running(False)
        project = QgsProject.instance()
        project.readProject.connect(self._on_project_read)
        project.cleared.connect(self._on_project_cleared)
        self.restore()

    # --- UI ---------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        body = QWidget(self)
        layout = QVBoxLayout(body)

        intro = QLabel(
            tr(
                "The month's release in five steps. Fill in each step (problems show under "
                "Check), then press Run the whole release. Settings are kept with the "
                'project. <a href="{url}">Help</a>'
            ).replace("{url}", README_URL),
            body,
        )
        intro.setWordWrap(True)
        intro.setOpenExternalLinks(True)
        layout.addWidget(intro)

        config_row = QHBoxLayout()
        self.recent_combo = QComboBox(body)
        self.recent_combo.setObjectName("crime_mapper_recent_configs")
        self.recent_combo.setToolTip(tr("Release configurations opened or saved recently"))
        self.recent_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.recent_combo.setMinimumContentsLength(8)
        self.open_button = QToolButton(body)
        self.open_button.setIcon(QgsApplication.getThemeIcon("/mActionFileOpen.svg"))
        self.open_button.setToolTip(tr("Open a release configuration file (.toml or .json)"))
        self.save_button = QToolButton(body)
        self.save_button.setIcon(QgsApplication.getThemeIcon("/mActionFileSave.svg"))
        self.save_button.setToolTip(
            tr(
                "Save these settings as a release configuration file, to run next month or "
                "from the command line"
            )
        )
        config_row.addWidget(self.recent_combo, 1)
        config_row.addWidget(self.open_button)
        config_row.addWidget(self.save_button)
        layout.addLayout(config_row)

        month_row = self._narrow(QFormLayout())
        self.month_edit = QLineEdit(body)
        self.month_edit.setObjectName("crime_mapper_month")
        self.month_edit.setPlaceholderText("2022-10")
        self.month_edit.setToolTip(tr("The release month, YYYY-MM; it replaces {month} in paths"))
        self.force_edit = QLineEdit(body)
        self.force_edit.setPlaceholderText(tr("e.g. Leicestershire"))
        month_row.addRow(tr("Month"), self.month_edit)
        month_row.addRow(tr("Force"), self.force_edit)
        layout.addLayout(month_row)

        self.state_labels: dict[str, QLabel] = {}
        self.groups: dict[str, QGroupBox] = {}

        load = self._group("load", layout)
        self.inputs_widget = file_widget(
            load,
            "open_many",
            object_name="crime_mapper_release_inputs",
            file_filter="Crime extracts (*.csv *.zip *.CSV *.ZIP);;All files (*)",
            title=tr("This month's extracts"),
            tooltip=tr(
                "police.uk CSV files, monthly .zip archives or a force's records-system "
                "export; {month} is replaced by the month"
            ),
        )
        self.profile_widget = file_widget(
            load,
            "open",
            file_filter="Column-mapping profile (*.json)",
            title=tr("Column-mapping profile"),
            tooltip=tr("Only for a force's own export: the profile that maps its columns"),
            placeholder=tr("none: police.uk files"),
        )
        self._form(load).addRow(tr("Extracts"), self.inputs_widget)
        self._form(load).addRow(tr("Profile"), self.profile_widget)

        check = self._group("check", layout)
        self.problems_view = QLabel(check)
        self.problems_view.setObjectName("crime_mapper_release_problems")
        self.problems_view.setWordWrap(True)
        self._form(check).addRow(self.problems_view)

        anonymise = self._group("anonymise", layout)
        self.points_kind = QComboBox(anonymise)
        self.points_kind.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.points_kind.setMinimumContentsLength(10)
        for kind, text in zip(
            MAP_POINT_KINDS,
            (
                tr("Published police.uk history"),
                tr("A map points file"),
                tr("Hexagon centres (last resort)"),
            ),
        ):
            self.points_kind.addItem(text, kind)
        self.points_widget = file_widget(
            anonymise,
            "open_many",
            title=tr("Map points sources"),
            tooltip=tr(
                "The force's published police.uk files (folders, zips) or one map points .gpkg/.csv"
            ),
        )
        self.salt_widget = file_widget(
            anonymise,
            "open",
            title=tr("Salt file"),
            tooltip=tr("The release salt: a secret kept outside the output folder"),
        )
        self.rules_widget = file_widget(
            anonymise,
            "open",
            file_filter="Release rules (*.json)",
            title=tr("Release rules"),
            placeholder=tr("the documented default rules"),
        )
        self.distance_spin = QDoubleSpinBox(anonymise)
        self.distance_spin.setRange(1, 100_000)
        self.distance_spin.setDecimals(0)
        self.distance_spin.setGroupSeparatorShown(True)
        self.distance_spin.setSuffix(" m")
        self.distance_spin.setValue(20_000)
        form = self._form(anonymise)
        form.addRow(tr("Map points"), self.points_kind)
        form.addRow(tr("Sources"), self.points_widget)
        form.addRow(tr("Salt file"), self.salt_widget)
        form.addRow(tr("Rules"), self.rules_widget)
        form.addRow(tr("Max distance"), self.distance_spin)

        hotspots = self._group("hotspots", layout)
        self.hotspots_check = QCheckBox(tr("Gi* and kernel density"), hotspots)
        self.hotspots_check.setToolTip(
            tr("Hotspots on the internal exact data for intelligence staff; never published")
        )
        self.hotspots_check.setChecked(True)
        self._form(hotspots).addRow(self.hotspots_check)

        publish = self._group("publish", layout)
        self.output_edit = QLineEdit(publish)
        self.output_edit.setObjectName("crime_mapper_release_output")
        self.output_edit.setPlaceholderText("releases/{month}")
        self.output_edit.setToolTip(tr("The release folder; {month} is replaced by the month"))
        self.project_check = QCheckBox(tr("A QGIS project too"), publish)
        self.project_check.setToolTip(tr("Also write a QGIS project holding every layer"))
        self.project_check.setChecked(True)
        self._form(publish).addRow(tr("Folder"), self.output_edit)
        self._form(publish).addRow(self.project_check)

        self.run_button = QPushButton(tr("Run the whole release"), body)
        self.run_button.setObjectName("crime_mapper_run_release")
        self.run_button.setIcon(QgsApplication.getThemeIcon("/mActionStart.svg"))
        self.run_button.setMinimumWidth(120)
        layout.addWidget(self.run_button)
        progress_row = QHBoxLayout()
        self.progress_bar = QProgressBar(body)
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setFormat(tr("Idle"))
        self.cancel_button = QPushButton(tr("Cancel"), body)
        self.cancel_button.setObjectName("crime_mapper_cancel_release")
        progress_row.addWidget(self.progress_bar, 1)
        progress_row.addWidget(self.cancel_button)
        layout.addLayout(progress_row)

        results = QHBoxLayout()
        self.open_folder_button = QPushButton(tr("Folder"), body)
        self.open_folder_button.setToolTip(tr("Open the release folder"))
        self.open_audit_button = QPushButton(tr("Audit"), body)
        self.open_audit_button.setToolTip(tr("Show the audit page in the browser"))
        self.add_layers_button = QPushButton(tr("Add to map"), body)
        for button in (self.open_folder_button, self.open_audit_button, self.add_layers_button):
            button.setEnabled(False)
            # narrow docks: buttons may shrink below their text's width rather than widen it
            button.setMinimumWidth(40)
            results.addWidget(button)
        layout.addLayout(results)
        self.summary_view = QPlainTextEdit(body)
        self.summary_view.setObjectName("crime_mapper_release_summary")
        self.summary_view.setReadOnly(True)
        self.summary_view.setMinimumHeight(90)
        self.summary_view.setPlaceholderText(tr("Where each output is, once the release ran."))
        layout.addWidget(self.summary_view, 1)
        self.setWidget(body)

        self.open_button.clicked.connect(self._choose_config)
        self.save_button.clicked.connect(self._choose_save_path)
        self.recent_combo.activated.connect(self._open_recent)
        self.run_button.clicked.connect(self.run_release)
        self.cancel_button.clicked.connect(self.cancel)
        self.open_folder_button.clicked.connect(self.open_folder)
        self.open_audit_button.clicked.connect(self.open_audit)
        self.add_layers_button.clicked.connect(self.add_layers)
        for signal, step in (
            (self.inputs_widget.fileChanged, "load"),
            (self.profile_widget.fileChanged, "load"),
            (self.month_edit.textChanged, "load"),
            (self.points_kind.currentIndexChanged, "anonymise"),
            (self.points_widget.fileChanged, "anonymise"),
            (self.salt_widget.fileChanged, "anonymise"),
            (self.rules_widget.fileChanged, "anonymise"),
            (self.distance_spin.valueChanged, "anonymise"),
            (self.hotspots_check.toggled, "hotspots"),
            (self.output_edit.textChanged, "publish"),
            (self.project_check.toggled, "publish"),
            (self.force_edit.textChanged, "publish"),
        ):
            signal.connect(lambda *_args, s=step: self._on_input_changed(s))
        self._refresh_recent()

    def _group(self, step: str, layout: QVBoxLayout) -> QGroupBox:
        group = QGroupBox(tr(STEP_TITLES[step]), self)
        group.setObjectName(f"crime_mapper_step_{step}")
        self._narrow(QFormLayout(group))
        state = QLabel(group)
        state.setObjectName(f"crime_mapper_state_{step}")
        group.layout().addRow(tr("State"), state)
        self.state_labels[step] = state
        self.groups[step] = group
        layout.addWidget(group)
        return group

    @staticmethod
    def _form(group: QGroupBox) -> QFormLayout:
        return group.layout()

    @staticmethod
    def _narrow(form: QFormLayout) -> QFormLayout:
        """In a narrow dock a field goes under its label instead of off the edge."""
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        return form

    # --- the configuration <-> the form -----------------------------------------------------
    def config(self) -> Any:
        """The form as a ReleaseConfig (relative paths start at the saved file's folder)."""
        from dataclasses import replace

        from ..core.monthly.config import (
            HotspotsConfig,
            MapPointsConfig,
            PublishConfig,
            ReleaseConfig,
        )

        def paths(widget) -> list[str]:
            return [p for p in split_paths(widget.filePath()) if p]

        base = self._config_path.parent if self._config_path else Path.home()
        return ReleaseConfig(
            inputs=paths(self.inputs_widget),
            profile=self.profile_widget.filePath().strip(),
            salt_file=self.salt_widget.filePath().strip(),
            rules=self.rules_widget.filePath().strip(),
            output=self.output_edit.text().strip(),
            force=self.force_edit.text().strip(),
            max_distance_m=float(self.distance_spin.value()),
            map_points=MapPointsConfig(
                kind=self.points_kind.currentData(),
                paths=paths(self.points_widget),
                hexagon_m=self._base.map_points.hexagon_m if self._base else 500.0,
            ),
            hotspots=replace(
                self._base.hotspots if self._base else HotspotsConfig(),
                enabled=self.hotspots_check.isChecked(),
            ),
            publish=replace(
                self._base.publish if self._base else PublishConfig(),
                project=self.project_check.isChecked(),
            ),
            base_dir=base,
            source=self._config_path,
        )

    def set_config(self, config: Any, path: Optional[Path] = None) -> None:
        """Fill the form from a ReleaseConfig (as opened from a file or the project)."""
        self._loading = True
        try:
            self._config_path = Path(path) if path else config.source
            self.inputs_widget.setFilePath(join_paths(config.inputs))
            self.profile_widget.setFilePath(config.profile)
            self.salt_widget.setFilePath(config.salt_file)
            self.rules_widget.setFilePath(config.rules)
            self.output_edit.setText(config.output)
            self.force_edit.setText(config.force)
            self.distance_spin.setValue(config.max_distance_m)
            index = self.points_kind.findData(config.map_points.kind)
            self.points_kind.setCurrentIndex(max(0, index))
            self.points_widget.setFilePath(join_paths(config.map_points.paths))
            self.hotspots_check.setChecked(config.hotspots.enabled)
            self.project_check.setChecked(config.publish.project)
        finally:
            self._loading = False
        self._base = config  # settings the form does not show are kept as they were
        self._on_input_changed("load")

    def set_month(self, month: str) -> None:
        self.month_edit.setText(month)

    def month(self) -> str:
        return self.month_edit.text().strip()

    def problems(self) -> list[str]:
        """What stops the release from running, in plain words (shown under Check)."""
        from ..core.monthly.config import ConfigError

        try:
            return self.config().problems(self.month())
        except ConfigError as exc:
            return [str(exc)]

    def state(self, step: str) -> str:
        return self._states[step]

    # --- files --------------------------------------------------------------------------------
    def open_config(self, path: str | os.PathLike) -> bool:
        from ..core.monthly.config import ConfigError, read_config

        try:
            config = read_config(path)
        except ConfigError as exc:
            notify(self.iface, str(exc), Qgis.MessageLevel.Warning)
            return False
        self.set_config(config, Path(path))
        self._remember_recent(Path(path))
        return True

    def save_config(self, path: str | os.PathLike) -> Path:
        from ..core.monthly.config import write_config

        path = Path(path)
        self._config_path = path
        written = write_config(self.config(), path)
        self._remember_recent(path)
        self._save_to_project()
        return written

    def _choose_config(self) -> None:
        start = str(self._config_path or "")
        path, _ = QFileDialog.getOpenFileName(
            self, tr("Open a release configuration"), start, CONFIG_FILTER
        )
        if path:
            self.open_config(path)

    def _choose_save_path(self) -> None:
        start = str(self._config_path or Path.home() / "release.toml")
        path, _ = QFileDialog.getSaveFileName(
            self, tr("Save the release configuration"), start, CONFIG_FILTER
        )
        if path:
            self.save_config(path)

    def _open_recent(self, index: int) -> None:
        path = self.recent_combo.itemData(index)
        if path:
            self.open_config(path)

    def _recent(self) -> list[str]:
        value = QgsSettings().value(f"{SETTINGS_PREFIX}/recent_configs", [])
        if isinstance(value, str):
            value = [value] if value else []
        return [str(v) for v in (value or []) if v]

    def _remember_recent(self, path: Path) -> None:
        recent = [str(path)] + [p for p in self._recent() if p != str(path)]
        QgsSettings().setValue(f"{SETTINGS_PREFIX}/recent_configs", recent[:RECENT_LIMIT])
        self._refresh_recent()

    def _refresh_recent(self) -> None:
        self.recent_combo.clear()
        self.recent_combo.addItem(tr("Recent configurations…"), "")
        for path in self._recent():
            self.recent_combo.addItem(Path(path).name, path)
            self.recent_combo.setItemData(self.recent_combo.count() - 1, path, 3)  # tooltip

    # --- states -------------------------------------------------------------------------------
    def _on_input_changed(self, step: str) -> None:
        if self._loading:
            return
        # this step and every later one no longer match their outputs
        first = STEPS.index(step)
        for later in STEPS[first:]:
            if self._states[later] in ("done", "failed", "not run here"):
                self._states[later] = "out of date"
        self._show_states()
        self._show_problems()
        self._save_to_project()

    def _show_problems(self) -> None:
        problems = self.problems()
        if problems:
            self.problems_view.setText("\n".join(f"• {p}" for p in problems))
            self.problems_view.setStyleSheet("color: #b00020;")
        else:
            self.problems_view.setText(tr("Ready: every input is there."))
            self.problems_view.setStyleSheet("")
        if not self._runner_running():
            self.run_button.setEnabled(not problems)
            self.run_button.setToolTip(
                tr("Fix the problems listed under Check first")
                if problems
                else tr("Run every step in the background; Cancel stops it")
            )

    def _show_states(self) -> None:
        for step, label in self.state_labels.items():
            label.setText(tr(STATE_TEXT[self._states[step]]))

    def _set_state(self, step: str, state: str) -> None:
        mapped = {"not run": "not run here"}.get(state, state)
        if step in self._states:
            self._states[step] = mapped
        self._show_states()

    # --- running ------------------------------------------------------------------------------
    def _runner_running(self) -> bool:
        runner = getattr(self, "_runner", None)
        return runner is not None and runner.is_running()

    def _set_running(self, running: bool) -> None:
        for widget in self.groups.values():
            widget.setEnabled(not running)
        for widget in (
            self.open_button,
            self.save_button,
            self.recent_combo,
            self.month_edit,
            self.force_edit,
        ):
            widget.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.run_button.setEnabled(not running)
        self.progress_bar.setFormat("%p%" if running else tr("Idle"))
        if not running:
            self._show_problems()

    def current_task(self) -> Any:
        return self._runner.task

    def run_release(self) -> bool:
        """Start the whole release in the background; False (and why) if it cannot start."""
        from ..qgis_bridge.release_process import ChildReleaseTask

        if self._runner.is_running():
            notify(self.iface, tr("The release is already running."), Qgis.MessageLevel.Warning)
            return False
        problems = self.problems()
        if problems:
            notify(
                self.iface,
                tr("The release cannot start: ") + problems[0],
                Qgis.MessageLevel.Warning,
            )
            self._show_problems()
            return False
        self._remember_inputs()
        # the release's transforms (and the hotspots') use the project's context: name the
        # UK grid operation so nobody is asked and nothing warns (qgis_bridge.transform_context)
        from ..qgis_bridge.transform_context import set_default_transforms

        set_default_transforms(QgsProject.instance())
        self._states = dict.fromkeys(STEPS, "not run")
        self._show_states()
        task = ChildReleaseTask(self.config(), self.month())
        task.stepChanged.connect(self._set_state)
        self.summary_view.setPlainText(tr("Running the release for ") + self.month() + "…")
        self._runner.start(task)
        return True

    def cancel(self) -> None:
        self._runner.cancel()

    def _on_completed(self, task: Any) -> None:
        self._outputs = task.outputs
        self.summary_view.setPlainText(task.outputs.summary_text())
        for button in (self.open_folder_button, self.open_audit_button, self.add_layers_button):
            button.setEnabled(True)
        self.progress_bar.setValue(100)
        self._save_to_project()
        notify(
            self.iface,
            tr("The release is done: ") + str(task.outputs.out_dir),
            Qgis.MessageLevel.Success,
        )
        self.releaseFinished.emit(True)

    def _on_terminated(self, task: Any) -> None:
        if task.error in (None, "Cancelled"):  # None: cancelled before it started
            for step, state in self._states.items():
                if state == "running":
                    self._states[step] = "not run"
            text = tr("Cancelled: earlier outputs are unchanged.")
            level = Qgis.MessageLevel.Info
        else:
            if task.failed_step in self._states:
                self._states[task.failed_step] = "failed"
            text = task.error or tr("The release failed.")
            level = Qgis.MessageLevel.Critical
            if task.details:
                from ..logger import log_message

                log_message(task.details, Qgis.MessageLevel.Critical)
        self._show_states()
        self.summary_view.setPlainText(text)
        self._save_to_project()
        notify(self.iface, text.splitlines()[0], level)
        self.releaseFinished.emit(False)

    # --- results ------------------------------------------------------------------------------
    def open_folder(self) -> None:
        if self._outputs is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._outputs.out_dir)))

    def open_audit(self) -> None:
        if self._outputs is not None and self._outputs.release is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._outputs.release.audit_html)))

    def add_layers(self) -> list[Any]:
        """The release's layers into the current project (public visible, internal off)."""
        from ..qgis_bridge.monthly_release import add_release_layers

        if self._outputs is None:
            return []
        return add_release_layers(self._outputs, QgsProject.instance())

    # --- settings -----------------------------------------------------------------------------
    def _remember_inputs(self) -> None:
        """Per user: the last profile, salt file, map points and output folder, offered to a
        new project."""
        settings = QgsSettings()
        config = self.config()
        for key, value in (
            ("profile", config.profile),
            ("salt_file", config.salt_file),
            ("map_points", json.dumps(config.map_points.to_dict())),
            ("output", config.output),
        ):
            settings.setValue(f"{SETTINGS_PREFIX}/last_{key}", value)

    def _save_to_project(self) -> None:
        if self._loading:
            return
        project = QgsProject.instance()
        data = {
            "config": self.config().to_dict(),
            "config_path": str(self._config_path or ""),
            "month": self.month(),
            "states": self._states,
            "out_dir": str(self._outputs.out_dir) if self._outputs is not None else "",
        }
        text = json.dumps(data, sort_keys=True)
        if project.readEntry(PROJECT_SCOPE, "release/state", "")[0] != text:
            project.writeEntry(PROJECT_SCOPE, "release/state", text)

    def restore(self) -> None:
        """Fill the form from the project (or, for a new project, from the user's last
        inputs)."""
        from ..core.monthly.config import ConfigError, ReleaseConfig

        text, found = QgsProject.instance().readEntry(PROJECT_SCOPE, "release/state", "")
        if found and text:
            try:
                data = json.loads(text)
                path = Path(data["config_path"]) if data.get("config_path") else None
                base = path.parent if path else Path.home()
                config = ReleaseConfig.from_dict(data["config"], base, source=path)
            except (ValueError, KeyError, TypeError, ConfigError) as exc:
                notify(
                    self.iface,
                    tr("The saved release settings could not be read: ") + str(exc),
                    Qgis.MessageLevel.Warning,
                )
            else:
                self.set_config(config, path)
                self._loading = True
                self.month_edit.setText(str(data.get("month", "")))
                self._loading = False
                saved = data.get("states") or {}
                self._states = {s: saved.get(s, "not run") for s in STEPS}
                self._states = {
                    s: (v if v in STATE_TEXT else "not run") for s, v in self._states.items()
                }
                self._show_states()
                self._show_problems()
                return
        self._restore_user_defaults()

    def _restore_user_defaults(self) -> None:
        settings = QgsSettings()
        self._loading = True
        try:
            self._config_path = None
            for widget in (
                self.inputs_widget,
                self.profile_widget,
                self.salt_widget,
                self.rules_widget,
                self.points_widget,
            ):
                widget.setFilePath("")
            self.month_edit.clear()
            self.force_edit.clear()
            self.profile_widget.setFilePath(
                str(settings.value(f"{SETTINGS_PREFIX}/last_profile", ""))
            )
            self.salt_widget.setFilePath(
                str(settings.value(f"{SETTINGS_PREFIX}/last_salt_file", ""))
            )
            self.output_edit.setText(str(settings.value(f"{SETTINGS_PREFIX}/last_output", "")))
            try:
                points = json.loads(str(settings.value(f"{SETTINGS_PREFIX}/last_map_points", "{}")))
                index = self.points_kind.findData(points.get("kind", "history"))
                self.points_kind.setCurrentIndex(max(0, index))
                self.points_widget.setFilePath(join_paths(points.get("paths", [])))
            except (ValueError, AttributeError, TypeError):
                pass
        finally:
            self._loading = False
        self._states = dict.fromkeys(STEPS, "not run")
        self._outputs = None
        for button in (self.open_folder_button, self.open_audit_button, self.add_layers_button):
            button.setEnabled(False)
        self.summary_view.clear()
        self._show_states()
        self._show_problems()

    def _on_project_read(self, *_args: Any) -> None:
        self.restore()

    def _on_project_cleared(self) -> None:
        if not self._runner_running():
            self._restore_user_defaults()

    def shutdown(self) -> None:
        self._runner.shutdown()
        project = QgsProject.instance()
        for signal, slot in (
            (project.readProject, self._on_project_read),
            (project.cleared, self._on_project_cleared),
        ):
            try:
                signal.disconnect(slot)
            except (TypeError, RuntimeError):
                pass


def split_paths(text: str) -> list[str]:
    """Paths from a multiple-file QgsFileWidget value ("a" "b", or one plain path)."""
    from qgis.gui import QgsFileWidget

    text = (text or "").strip()
    if not text:
        return []
    if text.startswith('"'):
        return [p for p in QgsFileWidget.splitFilePaths(text) if p]
    return [text]


def join_paths(paths: list[str]) -> str:
    """The value a multiple-file QgsFileWidget shows for ``paths``."""
    paths = [p for p in paths if p]
    if len(paths) == 1:
        return paths[0]
    return " ".join(f'"{p}"' for p in paths)
