"""The dock's first tab: the monthly release as guided steps, one at a time or all at once.

Why: an analyst's month should be "open QGIS, pick this month's extract, press one button,
read the checks, publish", and next month the same with last month's settings. The tab shows
the release configuration (core.monthly.config) as five steps in the workflow's order: Load,
Check, Anonymise, Hotspots, Publish. Each step shows its inputs with their problems inline
(before anything runs), its state (not run, running, done, failed, not run here, skipped,
out of date because an earlier step's input changed), a "Run this step" button (enabled once
the steps before it are done) and its results: the folder, the validation report, the QA
report, the audit, the web map, the summaries.

Every run, one step or "Run the whole release", is a QgsTask whose work runs in a child
Python process (qgis_bridge.release_process): the user interface never waits for pandas.
A run stops at the first failure with the reason and what to do, and can be cancelled; every
step writes staged, so earlier outputs survive. A single step continues from what the earlier
steps wrote (their results are handed to the child, never re-run), and the release's manifest
is written when its last step is done, the same bytes as a release run in one go. When a
whole release ends, its layers are added to the map (public visible, internal switched off).

Settings are kept per project (project custom properties: reopening the project restores the
form, the month, the step states and the results) and per user (QgsSettings: the recent
configuration files and the last profile, salt file, map points and output folder, offered
to a new project). Every text goes through tr() (tools/translation_template.py writes the
template). The tab lives in a scroll area so it fits a 1366x768 laptop; the rarer
neighbourhood settings fold away.

Everything a user does has a method a test can call (``set_config``, ``config``,
``set_month``, ``problems``, ``run_release``, ``run_step``, ``cancel``, ``open_result``,
``open_config``, ``save_config``, ``add_layers``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

from qgis.core import Qgis, QgsApplication, QgsProject, QgsSettings
from qgis.gui import QgsCollapsibleGroupBox
from qgis.PyQt.QtCore import QCoreApplication, Qt, QTimer, QUrl, pyqtSignal
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
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.common.json_file import parse_json_text
from ..core.common.text_file import shown_line
from ..core.publish.summaries_suppress import SUPPRESS_BELOW_MAX
from ..core.release.release_limits import MAX_DISTANCE_LIMIT_M, MIN_DISTANCE_M
from .task_runner import TaskRunner, notify, notify_warnings
from .widgets import (
    ShownLabel,
    file_widget,
    narrow_form,
    plain_tooltip,
    setting_flag,
    setting_text,
)


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
    "cancelled": tr_noop("Cancelled"),
    "not run, cancelled": tr_noop("Not run: the release was cancelled"),
    "not run, failed": tr_noop("Not run: an earlier step failed"),
}
#: States after which the next step may run.
FINISHED = ("done", "skipped", "not run here")
#: Each step's result buttons: (key, text, tooltip).
RESULTS = {
    "load": (
        ("folder", tr_noop("Open folder"), tr_noop("The internal folder: crimes, rejects")),
        ("report", tr_noop("Validation report"), tr_noop("Every row accounted for")),
    ),
    "check": (("report", tr_noop("QA report"), tr_noop("The release QA report")),),
    "anonymise": (
        ("audit", tr_noop("Show audit"), tr_noop("Show the audit page in the browser")),
        ("folder", tr_noop("Open folder"), tr_noop("The public CSV, GeoPackage and audit")),
    ),
    "hotspots": (("folder", tr_noop("Open folder"), tr_noop("The internal hotspot layers")),),
    "publish": (
        ("web map", tr_noop("Open web map"), tr_noop("Open the web map in the browser")),
        ("summaries", tr_noop("Summaries"), tr_noop("Open the neighbourhood summaries")),
        ("folder", tr_noop("Open folder"), tr_noop("Open the release folder")),
    ),
}
CONFIG_FILTER = "Release configuration (*.toml *.json)"
PROJECT_SCOPE = "crime_mapper"
SETTINGS_PREFIX = "crime_mapper/release"
RECENT_LIMIT = 8
README_URL = "https://github.com/crime-mapper/crime_mapper#the-monthly-release"
MAP_POINT_KINDS = ("history", "file", "hexagon")
#: Neighbourhood settings shown in the folded group: (key, label, is a file).
HOOD_DETAILS = (
    ("name_field", tr_noop("Name field"), False),
    ("population_field", tr_noop("Population field"), False),
    ("lookup", tr_noop("LSOA lookup"), True),
    ("lookup_code_field", tr_noop("Lookup code field"), False),
    ("lookup_name_field", tr_noop("Lookup name field"), False),
    ("lookup_lsoa_field", tr_noop("Lookup LSOA field"), False),
    ("names", tr_noop("Names file"), True),
    ("names_code_field", tr_noop("Names code field"), False),
    ("names_name_field", tr_noop("Names name field"), False),
    ("lsoa_population", tr_noop("LSOA population"), True),
)
#: The form's label of each setting the configuration's reader can refuse (ConfigError.key),
#: so a refusal names the field the analyst typed into, not only the file's key.
FIELD_LABELS = {
    "release.force": tr_noop("Force"),
    "release.output": tr_noop("Folder"),
    "load.inputs": tr_noop("Extracts"),
    "load.profile": tr_noop("Profile"),
    "qa.history": tr_noop("History"),
    "qa.areas": tr_noop("Areas"),
    "anonymise.map_points.paths": tr_noop("Sources"),
    "anonymise.salt_file": tr_noop("Salt file"),
    "anonymise.rules": tr_noop("Rules"),
    "anonymise.max_distance_m": tr_noop("Max distance"),
    "publish.title": tr_noop("Title"),
    "publish.neighbourhoods.boundaries": tr_noop("Outlines"),
    "publish.neighbourhoods.code_field": tr_noop("Code field"),
    "publish.team": tr_noop("Team information"),
    "publish.families": tr_noop("Families"),
    **{f"publish.neighbourhoods.{key}": label for key, label, _file in HOOD_DETAILS},
}


def tr(text: str) -> str:
    return QCoreApplication.translate("GuidedReleasePanel", text)


class GuidedReleasePanel(QScrollArea):
    """The guided monthly release (see the module docstring)."""

    #: Emitted on the main thread once a run's outcome is shown; True on success.
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
        self._outputs_json: Optional[dict[str, Any]] = None
        self._base: Any = None
        self._running_steps: tuple[str, ...] = ()
        self._states_before: dict[str, str] = dict(self._states)
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
        self._warmed_up = False

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        """Warm up the first time the analyst sees the tab, not when QGIS starts: the dock is
        built (hidden) at start-up, and importing the run's modules then would load pandas
        while QGIS is still starting."""
        super().showEvent(event)
        if not self._warmed_up:
            self._warmed_up = True
            _warm_up()

    # --- UI ---------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        body = QWidget(self)
        layout = QVBoxLayout(body)

        intro = QLabel(
            tr(
                "The month's release in five steps. Fill in each step (problems show under "
                "it), then run the steps one by one or press Run the whole release. Settings "
                'are kept with the project. <a href="{url}">Help</a>'
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

        month_row = narrow_form(QFormLayout())
        self.month_edit = QLineEdit(body)
        self.month_edit.setObjectName("crime_mapper_month")
        self.month_edit.setPlaceholderText("2022-10")
        self.month_edit.setToolTip(tr("The release month, YYYY-MM; it replaces {month} in paths"))
        self.force_edit = QLineEdit(body)
        self.force_edit.setPlaceholderText(tr("e.g. Leicestershire"))
        self.output_edit = QLineEdit(body)
        self.output_edit.setObjectName("crime_mapper_release_output")
        self.output_edit.setPlaceholderText("releases/{month}")
        self.output_edit.setToolTip(tr("The release folder; {month} is replaced by the month"))
        month_row.addRow(tr("Month"), self.month_edit)
        month_row.addRow(tr("Force"), self.force_edit)
        month_row.addRow(tr("Folder"), self.output_edit)
        layout.addLayout(month_row)
        self.release_problems = self._problem_label(body)
        layout.addWidget(self.release_problems)

        self.state_labels: dict[str, QLabel] = {}
        self.groups: dict[str, QGroupBox] = {}
        self.step_buttons: dict[str, QToolButton] = {}
        self.step_problems: dict[str, QLabel] = {}
        self.result_buttons: dict[tuple[str, str], QPushButton] = {}

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
        self._finish_group("load")

        check = self._group("check", layout)
        self.problems_view = QLabel(check)
        self.problems_view.setObjectName("crime_mapper_release_problems")
        self.problems_view.setWordWrap(True)
        self.qa_check = QCheckBox(tr("Release QA"), check)
        self.qa_check.setToolTip(
            tr(
                "Release QA: compare this month with the force's earlier months (counts, "
                "categories, places); findings go into the audit and never stop the release"
            )
        )
        self.qa_history_widget = file_widget(
            check,
            "open_many",
            title=tr("The force's history"),
            tooltip=tr("Earlier extracts, police.uk files or a saved *.qa_history.json"),
        )
        self.qa_areas_widget = file_widget(
            check,
            "open",
            file_filter="LSOA lookup (*.csv)",
            title=tr("LSOA to neighbourhood lookup"),
            placeholder=tr("optional"),
        )
        form = self._form(check)
        form.addRow(self.problems_view)
        form.addRow(self.qa_check)
        form.addRow(tr("History"), self.qa_history_widget)
        form.addRow(tr("Areas"), self.qa_areas_widget)
        self._finish_group("check")

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
        self.distance_spin.setRange(MIN_DISTANCE_M, MAX_DISTANCE_LIMIT_M)
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
        self._finish_group("anonymise")

        hotspots = self._group("hotspots", layout)
        self.hotspots_check = QCheckBox(tr("Gi* and kernel density"), hotspots)
        self.hotspots_check.setToolTip(
            tr("Hotspots on the internal exact data for intelligence staff; never published")
        )
        self.hotspots_check.setChecked(True)
        self._form(hotspots).addRow(self.hotspots_check)
        self._finish_group("hotspots")

        publish = self._group("publish", layout)
        self.webmap_check = QCheckBox(tr("Web map"), publish)
        self.webmap_check.setToolTip(
            tr("A self-contained accessible web map of the public release (map/index.html)")
        )
        self.webmap_title_edit = QLineEdit(publish)
        self.webmap_title_edit.setPlaceholderText(tr("Street-level crime map, force, month"))
        self.webmap_title_edit.setToolTip(tr("The web map's title; empty for the default"))
        self.summaries_check = QCheckBox(tr("Summaries"), publish)
        self.summaries_check.setToolTip(
            tr(
                "Neighbourhood summaries: a page and CSV per neighbourhood (neighbourhoods/), "
                "from the public release"
            )
        )
        self.hood_boundaries_widget = file_widget(
            publish,
            "open",
            file_filter="Neighbourhood outlines (*.geojson *.json *.gpkg *.shp);;All files (*)",
            title=tr("Neighbourhood outlines"),
            tooltip=tr("Police neighbourhoods, wards or MSOAs: polygons with a code field"),
        )
        self.hood_code_edit = QLineEdit(publish)
        self.hood_code_edit.setPlaceholderText(tr("e.g. msoa11cd"))
        self.hood_code_edit.setToolTip(tr("The outlines' field holding each area's code"))
        self.team_widget = file_widget(
            publish,
            "open",
            file_filter="Team information (*.json *.csv);;All files (*)",
            title=tr("Team information"),
            tooltip=tr(
                "The neighbourhood policing teams: who they are, their priorities and events "
                "(police.uk API JSON or CSV, by neighbourhood code); shown on each summary page"
            ),
        )
        self.families_widget = file_widget(
            publish,
            "open",
            file_filter="Families (*.csv);;All files (*)",
            title=tr("Families"),
            tooltip=tr(
                "Optional: a CSV of code,family; each page compares its neighbourhood with the "
                "others of its family instead of the nearest in density and crime mix"
            ),
        )
        self.atlas_check = QCheckBox(tr("Also a PDF atlas"), publish)
        self.atlas_check.setObjectName("crime_mapper_release_atlas")
        self.atlas_check.setToolTip(
            tr(
                "The summaries as a PDF atlas too, one page per neighbourhood "
                "(neighbourhoods_atlas.pdf; needs Summaries)"
            )
        )
        # publish.suppress_below: a configuration's small-count control seen and set here
        self.suppress_spin = QSpinBox(publish)
        self.suppress_spin.setObjectName("crime_mapper_release_suppress_below")
        self.suppress_spin.setRange(0, SUPPRESS_BELOW_MAX)
        self.suppress_spin.setSpecialValueText(tr("Off"))
        self.suppress_spin.setToolTip(
            tr(
                "Summaries only: counts below this number are shown as 'fewer than N' "
                "(Off, as police.uk). Not with the web map, whose points show every count"
            )
        )
        self.project_check = QCheckBox(tr("A QGIS project too"), publish)
        self.project_check.setToolTip(tr("Also write a QGIS project holding every layer"))
        self.project_check.setChecked(True)
        form = self._form(publish)
        form.addRow(self.webmap_check)
        form.addRow(tr("Title"), self.webmap_title_edit)
        form.addRow(self.summaries_check)
        form.addRow(tr("Outlines"), self.hood_boundaries_widget)
        form.addRow(tr("Code field"), self.hood_code_edit)
        form.addRow(tr("Team information"), self.team_widget)
        form.addRow(self.atlas_check)
        form.addRow(tr("Small-count threshold"), self.suppress_spin)
        details = QgsCollapsibleGroupBox(tr("Details"), publish)
        details.setCollapsed(True)
        details_form = narrow_form(QFormLayout(details))
        self.hood_widgets: dict[str, Any] = {}
        for key, label, is_file in HOOD_DETAILS:
            if is_file:
                widget: Any = file_widget(details, "open", title=tr(label))
                widget.fileChanged.connect(lambda *_a: self._on_input_changed("publish"))
            else:
                widget = QLineEdit(details)
                widget.textChanged.connect(lambda *_a: self._on_input_changed("publish"))
            details_form.addRow(tr(label), widget)
            self.hood_widgets[key] = widget
        details_form.addRow(tr("Families"), self.families_widget)
        form.addRow(details)
        form.addRow(self.project_check)
        self._finish_group("publish")

        self.run_button = QPushButton(tr("Run the whole release"), body)
        self.run_button.setObjectName("crime_mapper_run_release")
        self.run_button.setIcon(QgsApplication.getThemeIcon("/mActionStart.svg"))
        self.run_button.setMinimumWidth(120)
        layout.addWidget(self.run_button)
        self.add_when_done_check = QCheckBox(tr("Add layers when done"), body)
        self.add_when_done_check.setToolTip(
            tr("When the whole release ends, add its layers to the map (public visible)")
        )
        self.add_when_done_check.setChecked(
            setting_flag(f"{SETTINGS_PREFIX}/add_layers_when_done", True)
        )
        layout.addWidget(self.add_when_done_check)
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
        self.add_layers_button = QPushButton(tr("Add to map"), body)
        self.add_layers_button.setToolTip(
            tr("Add the release's layers: public visible, internal ones switched off")
        )
        self.add_layers_button.setMinimumWidth(40)
        results.addWidget(self.add_layers_button)
        results.addStretch(1)
        layout.addLayout(results)
        # the release-wide results are two of the steps' buttons (kept by these names)
        self.open_folder_button = self.result_buttons[("publish", "folder")]
        self.open_audit_button = self.result_buttons[("anonymise", "audit")]
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
        self.add_layers_button.clicked.connect(self.add_layers)
        self.add_when_done_check.toggled.connect(
            lambda on: QgsSettings().setValue(f"{SETTINGS_PREFIX}/add_layers_when_done", on)
        )
        for step, button in self.step_buttons.items():
            button.clicked.connect(lambda _checked=False, s=step: self.run_step(s))
        for (step, key), button in self.result_buttons.items():
            button.clicked.connect(lambda _checked=False, s=step, k=key: self.open_result(s, k))
        for signal, step in (
            (self.inputs_widget.fileChanged, "load"),
            (self.profile_widget.fileChanged, "load"),
            (self.month_edit.textChanged, "load"),
            (self.output_edit.textChanged, "load"),
            (self.qa_check.toggled, "check"),
            (self.qa_history_widget.fileChanged, "check"),
            (self.qa_areas_widget.fileChanged, "check"),
            (self.points_kind.currentIndexChanged, "anonymise"),
            (self.points_widget.fileChanged, "anonymise"),
            (self.salt_widget.fileChanged, "anonymise"),
            (self.rules_widget.fileChanged, "anonymise"),
            (self.distance_spin.valueChanged, "anonymise"),
            (self.hotspots_check.toggled, "hotspots"),
            (self.webmap_check.toggled, "publish"),
            (self.webmap_title_edit.textChanged, "publish"),
            (self.summaries_check.toggled, "publish"),
            (self.atlas_check.toggled, "publish"),
            (self.suppress_spin.valueChanged, "publish"),
            (self.hood_boundaries_widget.fileChanged, "publish"),
            (self.hood_code_edit.textChanged, "publish"),
            (self.team_widget.fileChanged, "publish"),
            (self.families_widget.fileChanged, "publish"),
            (self.project_check.toggled, "publish"),
            (self.force_edit.textChanged, "publish"),
        ):
            signal.connect(lambda *_args, s=step: self._on_input_changed(s))
        self._refresh_recent()

    @staticmethod
    def _problem_label(parent: QWidget) -> QLabel:
        label = ShownLabel(parent)  # problems name the analyst's files
        label.setWordWrap(True)
        label.setStyleSheet("color: #b00020;")
        label.setVisible(False)
        return label

    def _group(self, step: str, layout: QVBoxLayout) -> QGroupBox:
        group = QGroupBox(tr(STEP_TITLES[step]), self)
        group.setObjectName(f"crime_mapper_step_{step}")
        narrow_form(QFormLayout(group))
        row = QHBoxLayout()
        state = QLabel(group)
        state.setObjectName(f"crime_mapper_state_{step}")
        state.setWordWrap(True)
        button = QToolButton(group)
        button.setObjectName(f"crime_mapper_run_{step}")
        button.setText(tr("Run this step"))
        button.setIcon(QgsApplication.getThemeIcon("/mActionStart.svg"))
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        row.addWidget(state, 1)
        row.addWidget(button)
        group.layout().addRow(tr("State"), row)
        self.state_labels[step] = state
        self.step_buttons[step] = button
        self.groups[step] = group
        layout.addWidget(group)
        return group

    def _finish_group(self, step: str) -> None:
        """Under a step's inputs: its problems (inline, before anything runs) and results."""
        group = self.groups[step]
        problems = self._problem_label(group)
        problems.setObjectName(f"crime_mapper_problems_{step}")
        self.step_problems[step] = problems
        self._form(group).addRow(problems)
        results = RESULTS[step]
        for first in range(0, len(results), 2):  # two a row: a docked panel is narrow
            row = QHBoxLayout()
            for key, text, tooltip in results[first : first + 2]:
                button = QPushButton(tr(text), group)
                button.setToolTip(tr(tooltip))
                button.setEnabled(False)
                # narrow docks: buttons may shrink below their text's width, not widen it
                button.setMinimumWidth(40)
                row.addWidget(button)
                self.result_buttons[(step, key)] = button
            row.addStretch(1)
            self._form(group).addRow(row)

    @staticmethod
    def _form(group: QGroupBox) -> QFormLayout:
        return group.layout()

    # --- the configuration <-> the form -----------------------------------------------------
    def form_data(self) -> dict[str, Any]:
        """The form as the configuration file's content (ReleaseConfig.to_dict's shape), its
        texts exactly as typed or pasted: :meth:`config` reads it as a file is read."""
        from ..core.monthly.config import ORDINARY_SPACE, HotspotsConfig, PublishConfig

        base = self._base
        hoods = dict(base.publish.neighbourhoods) if base else {}
        shown = {
            "boundaries": self.hood_boundaries_widget.filePath(),
            "code_field": self.hood_code_edit.text(),
        }
        for key, widget in self.hood_widgets.items():
            shown[key] = widget.filePath() if hasattr(widget, "filePath") else widget.text()
        for key, value in shown.items():
            if value.strip(ORDINARY_SPACE):
                hoods[key] = value
            else:
                hoods.pop(key, None)
        return {
            "release": {"force": self.force_edit.text(), "output": self.output_edit.text()},
            "load": {
                "inputs": split_paths(self.inputs_widget.filePath()),
                "profile": self.profile_widget.filePath(),
            },
            "anonymise": {
                "salt_file": self.salt_widget.filePath(),
                "rules": self.rules_widget.filePath(),
                "max_distance_m": float(self.distance_spin.value()),
                "map_points": {
                    "kind": self.points_kind.currentData(),
                    "paths": split_paths(self.points_widget.filePath()),
                    # (kept for a kind chosen again: a file writes it for hexagons only)
                    "hexagon_m": base.map_points.hexagon_m if base else 500.0,
                },
            },
            "qa": {
                "enabled": self.qa_check.isChecked(),
                "history": split_paths(self.qa_history_widget.filePath()),
                "areas": self.qa_areas_widget.filePath(),
            },
            "hotspots": dict(
                (base.hotspots if base else HotspotsConfig()).to_dict(),
                enabled=self.hotspots_check.isChecked(),
            ),
            "publish": dict(
                (base.publish if base else PublishConfig()).to_dict(),
                project=self.project_check.isChecked(),
                web_map=self.webmap_check.isChecked(),
                summaries=self.summaries_check.isChecked(),
                atlas=self.atlas_check.isChecked(),
                suppress_below=self.suppress_spin.value(),
                title=self.webmap_title_edit.text(),
                neighbourhoods=hoods,
                team=self.team_widget.filePath(),
                families=self.families_widget.filePath(),
            ),
        }

    def config(self) -> Any:
        """The form as a ReleaseConfig (relative paths start at the saved file's folder),
        read by the configuration file's own reader (ReleaseConfig.from_dict), so a text
        the file would refuse is refused here too, and one it keeps is kept as written; a
        ConfigError names the setting (and :meth:`problems_by_step` the field). Why: the
        form built its configuration itself, with none of the reader's checks: a NUL
        typed or pasted into the force name, the title or a field name was accepted,
        saved, and the saved file refused when opened next month; and str.strip took
        U+001C-U+001F and Unicode spaces off the ends, which the file keeps."""
        from ..core.monthly.config import ReleaseConfig

        base = self._config_path.parent if self._config_path else Path.home()
        return ReleaseConfig.from_dict(self.form_data(), base, source=self._config_path)

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
            self.qa_check.setChecked(config.qa.enabled)
            self.qa_history_widget.setFilePath(join_paths(config.qa.history))
            self.qa_areas_widget.setFilePath(config.qa.areas)
            self.hotspots_check.setChecked(config.hotspots.enabled)
            publish = config.publish
            self.webmap_check.setChecked(publish.web_map)
            self.webmap_title_edit.setText(publish.title)
            self.summaries_check.setChecked(publish.summaries)
            self.atlas_check.setChecked(publish.atlas)
            self.suppress_spin.setValue(publish.suppress_below)
            hoods = publish.neighbourhoods
            self.hood_boundaries_widget.setFilePath(hoods.get("boundaries", ""))
            self.hood_code_edit.setText(hoods.get("code_field", ""))
            for key, widget in self.hood_widgets.items():
                if hasattr(widget, "setFilePath"):
                    widget.setFilePath(hoods.get(key, ""))
                else:
                    widget.setText(hoods.get(key, ""))
            self.team_widget.setFilePath(publish.team)
            self.families_widget.setFilePath(publish.families)
            self.project_check.setChecked(publish.project)
        finally:
            self._loading = False
        self._base = config  # settings the form does not show are kept as they were
        self._on_input_changed("load")

    def set_month(self, month: str) -> None:
        self.month_edit.setText(month)

    def month(self) -> str:
        from ..core.monthly.config import ORDINARY_SPACE

        return self.month_edit.text().strip(ORDINARY_SPACE)

    def problems_by_step(self) -> dict[str, list[str]]:
        """What stops each step from running, in plain words ("release": the month and the
        folder, which every step needs). A setting the configuration's reader refuses
        stops every step (no step can be given a configuration it refuses): it is shown
        with the month and folder, naming the field it is in."""
        from ..core.monthly.config import ConfigError

        try:
            return self.config().problems_by_step(self.month())
        except ConfigError as exc:
            return {"release": [self.refusal_text(exc)]}

    def refusal_text(self, error: Exception) -> str:
        """A ConfigError as the form shows it: the field's label first (the form does not
        show the file's key names), then the reader's words."""
        label = FIELD_LABELS.get(getattr(error, "key", ""), "")
        return f"{tr(label)}: {error}" if label else str(error)

    def problems(self) -> list[str]:
        """What stops the whole release from running (each shown under its step)."""
        return [text for found in self.problems_by_step().values() for text in found]

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

    def save_config(self, path: str | os.PathLike) -> Optional[Path]:
        """Write the form as a configuration file; None (and why, on the message bar) when
        the form holds a setting the file's reader refuses."""
        from ..core.monthly.config import ConfigError, write_config

        path, before = Path(path), self._config_path
        self._config_path = path
        try:
            config = self.config()
        except ConfigError as exc:  # (a file the reader would refuse is never written)
            self._config_path = before
            notify(
                self.iface,
                tr("The configuration was not saved: ") + self.refusal_text(exc),
                Qgis.MessageLevel.Warning,
            )
            self._show_problems()
            return None
        written = write_config(config, path)
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
        if isinstance(value, str):  # (QSettings gives a list of one as its text)
            value = [value]
        if not isinstance(value, (list, tuple)):  # (an edited settings file: not paths)
            return []
        return [v for v in value if isinstance(v, str) and v]

    def _remember_recent(self, path: Path) -> None:
        recent = [str(path)] + [p for p in self._recent() if p != str(path)]
        QgsSettings().setValue(f"{SETTINGS_PREFIX}/recent_configs", recent[:RECENT_LIMIT])
        self._refresh_recent()

    def _refresh_recent(self) -> None:
        self.recent_combo.clear()
        self.recent_combo.addItem(tr("Recent configurations…"), "")
        for path in self._recent():
            # (each name on one line: a newline in it starts no line of the list or tooltip)
            self.recent_combo.addItem(shown_line(Path(path).name), path)
            index = self.recent_combo.count() - 1
            tooltip = plain_tooltip(shown_line(path))
            self.recent_combo.setItemData(index, tooltip, Qt.ItemDataRole.ToolTipRole)

    # --- states -------------------------------------------------------------------------------
    def _on_input_changed(self, step: str) -> None:
        if self._loading:
            return
        # this step and every later one no longer match their outputs
        first = STEPS.index(step)
        for later in STEPS[first:]:
            if self._states[later] in ("done", "failed", "not run here", "skipped"):
                self._states[later] = "out of date"
        self._show_states()
        self._show_problems()
        self._save_to_project()

    def _show_problems(self) -> None:
        found = self.problems_by_step()
        release = found.get("release", [])
        self.release_problems.setText("\n".join(f"• {p}" for p in release))
        self.release_problems.setVisible(bool(release))
        for step, label in self.step_problems.items():
            mine = found.get(step, [])
            label.setText("\n".join(f"• {p}" for p in mine))
            label.setVisible(bool(mine))
        where = [tr("Month and folder")] if release else []
        where += [tr(STEP_TITLES[s]) for s in STEPS if found.get(s)]
        if where:
            self.problems_view.setText(tr("Not ready: see the problems under ") + ", ".join(where))
            self.problems_view.setStyleSheet("color: #b00020;")
        else:
            self.problems_view.setText(tr("Ready: every input is there."))
            self.problems_view.setStyleSheet("")
        if not self._runner_running():
            problems = [p for texts in found.values() for p in texts]
            self.run_button.setEnabled(not problems)
            self.run_button.setToolTip(
                tr("Fix the problems shown under the steps first")
                if problems
                else tr("Run every step in the background; Cancel stops it")
            )
            for step, button in self.step_buttons.items():
                why = self.why_step_cannot_run(step, found)
                button.setEnabled(not why)
                button.setToolTip(plain_tooltip(why or tr("Run only this step, in the background")))

    def why_step_cannot_run(self, step: str, found: Optional[dict[str, list[str]]] = None) -> str:
        """Why "Run this step" is off ("" when it can run): a problem of its own inputs or
        of the month and folder, or an earlier step that is not done."""
        found = self.problems_by_step() if found is None else found
        mine = found.get("release", []) + found.get(step, [])
        if mine:
            return mine[0]
        for earlier in STEPS[: STEPS.index(step)]:
            if self._states[earlier] not in FINISHED:
                return tr("Run the earlier step first: ") + tr(STEP_TITLES[earlier])
        return ""

    def _show_states(self) -> None:
        for step, label in self.state_labels.items():
            label.setText(tr(STATE_TEXT[self._states[step]]))
        self._show_results()

    def _set_state(self, step: str, state: str) -> None:
        mapped = {"not run": "not run here"}.get(state, state)
        if step in self._states and mapped in STATE_TEXT:
            self._states[step] = mapped
            if mapped == "running":  # the bar says which step it is at
                self.progress_bar.setFormat(tr(STEP_TITLES[step]) + ": %p%")
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
            self.output_edit,
            self.add_layers_button,
        ):
            widget.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.run_button.setEnabled(not running)
        self.progress_bar.setFormat("%p%" if running else tr("Idle"))
        if not running:
            self._show_problems()
            self._show_results()

    def current_task(self) -> Any:
        return self._runner.task

    def run_release(self) -> bool:
        """Start the whole release in the background; False (and why) if it cannot start."""
        problems = self.problems()
        if problems:
            return self._refuse(problems[0])
        return self._start(list(STEPS))

    def run_step(self, step: str) -> bool:
        """Run only ``step`` (the steps before it must be done); False (and why) if it
        cannot start."""
        why = self.why_step_cannot_run(step)
        if why:
            return self._refuse(why)
        return self._start([step])

    def _refuse(self, why: str) -> bool:
        notify(self.iface, tr("The release cannot start: ") + why, Qgis.MessageLevel.Warning)
        self._show_problems()
        return False

    def _start(self, steps: list[str]) -> bool:
        from ..core.monthly.config import ConfigError
        from ..qgis_bridge.release_process import ChildReleaseTask

        if self._runner.is_running():
            notify(self.iface, tr("The release is already running."), Qgis.MessageLevel.Warning)
            return False
        try:  # (checked before: problems_by_step; this only keeps a traceback out)
            config = self.config()
        except ConfigError as exc:
            return self._refuse(self.refusal_text(exc))
        self._remember_inputs(config)
        # the layers' transforms use the project's context: name the UK grid operation so
        # nobody is asked and nothing warns (qgis_bridge.transform_context)
        from ..qgis_bridge.transform_context import set_default_transforms

        set_default_transforms(QgsProject.instance())
        whole = steps == list(STEPS)
        self._states_before = dict(self._states)
        if whole:
            self._states = dict.fromkeys(STEPS, "not run")
        self._show_states()
        self._running_steps = tuple(steps)
        task = ChildReleaseTask(
            config,
            self.month(),
            steps,
            None if whole else self._outputs_json,
            prepare_layers=whole and self.add_when_done_check.isChecked(),
        )
        task.stepChanged.connect(self._set_state)
        what = tr("the release") if whole else tr(STEP_TITLES[steps[0]])
        self.summary_view.setPlainText(tr("Running ") + what + " (" + self.month() + ")…")
        self._runner.start(task)
        return True

    def cancel(self) -> None:
        self._runner.cancel()

    def _on_completed(self, task: Any) -> None:
        self._set_outputs(task.outputs, task.outputs_json, task.outputs_text)
        whole = self._running_steps == STEPS
        if not whole:  # the steps after the one run no longer match it
            for later in STEPS[STEPS.index(self._running_steps[-1]) + 1 :]:
                if self._states[later] != "not run":
                    self._states[later] = "out of date"
        self.summary_view.setPlainText(task.summary or task.outputs.summary_text())
        self.progress_bar.setValue(100)
        self._reload_open_layers()
        self._show_states()
        self._save_to_project()

        ran = self._running_steps

        def finished() -> None:
            notify(
                self.iface,
                tr("Done: ") + shown_line(task.outputs.out_dir),  # (a newline in it starts no line)
                Qgis.MessageLevel.Success,
            )
            self._warn(task.outputs, ran)
            self.releaseFinished.emit(True)

        if whole and self.add_when_done_check.isChecked():
            self._add_layers_piecewise(finished, task.layers)
        else:
            finished()

    def _add_layers_piecewise(self, then: Any, prepared: Optional[list] = None) -> None:
        """Add the release's layers one at a time, the event loop running between them
        (qgis_bridge.monthly_release.release_layers_in_steps), then call ``then``.
        ``prepared``: the layers the release's task opened and styled in its own thread."""
        from ..qgis_bridge.monthly_release import release_layers_in_steps

        if self._outputs is None or self._release_layers_present():
            then()
            return
        pieces = release_layers_in_steps(self._outputs, QgsProject.instance(), prepared)
        self.add_layers_button.setEnabled(False)

        def next_piece() -> None:
            try:
                next(pieces)
            except StopIteration:
                self._show_results()
                then()
                return
            except Exception as exc:  # noqa: BLE001 - the release is done; say what failed
                notify(
                    self.iface,
                    tr("The release's layers could not all be added: ") + str(exc),
                    Qgis.MessageLevel.Warning,
                )
                self._show_results()
                then()
                return
            QTimer.singleShot(0, next_piece)

        next_piece()

    def _on_terminated(self, task: Any) -> None:
        whole = self._running_steps == STEPS
        if whole and task.partial_outputs is not None:
            # the steps that finished before it: a failed step can be fixed and run alone
            self._set_outputs(task.partial_outputs, task.partial_json)
        cancelled = task.error in (None, "Cancelled")  # None: cancelled before it started
        for step, state in self._states.items():
            if not whole:  # one step: what it did not replace is as it was
                self._states[step] = self._states_before.get(step, "not run")
            elif state == "running" or (cancelled and state == "failed"):
                # (the step a cancel stopped reports "failed" on its way out)
                self._states[step] = "cancelled" if cancelled else "not run"
            elif state == "not run":  # a later step: why it did not run
                self._states[step] = "not run, cancelled" if cancelled else "not run, failed"
        if cancelled:
            text = getattr(task, "cancel_text", "") or tr("Cancelled: nothing was changed.")
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
        if task.partial_outputs is not None:  # (the steps that finished before it)
            self._warn(task.partial_outputs, self._running_steps)
        notify(self.iface, text.splitlines()[0], level)
        self.releaseFinished.emit(False)

    def _warn(self, outputs: Any, steps: Sequence[str]) -> None:
        """The warnings of the steps this run ran (a link left out of the summaries as
        unsafe, extract files not read...), as the Summaries tab shows its own: the message
        bar and the message log. Why: the release ran the same steps and dropped them, so
        an analyst publishing the month from here was never told."""
        notify_warnings(
            self.iface,
            outputs.warning_lines(steps=steps),
            tr("Release warning: {first}"),
        )

    # --- results ------------------------------------------------------------------------------
    def out_dir(self) -> Optional[Path]:
        """The release folder: the last run's, else the form's (None while it has a
        problem)."""
        if self._outputs is not None:
            return Path(self._outputs.out_dir)
        try:
            return self.config().output_dir(self.month()) if self.output_edit.text() else None
        except ValueError:
            return None

    def result_path(self, step: str, key: str) -> Optional[Path]:
        """The file or folder a result button opens (None when it is not there)."""
        out = self.out_dir()
        if out is None:
            return None
        release = getattr(self._outputs, "release", None)
        record = self._outputs.step(step) if self._outputs is not None else None
        candidates: list[Optional[Path]] = {
            ("load", "folder"): [out / "internal"],
            ("load", "report"): [out / "internal" / "validation_report.txt"],
            ("check", "report"): [
                p for p in (record.outputs if record else []) if p.suffix == ".html"
            ]
            + sorted((out / "qa").glob("*.html")),
            ("anonymise", "audit"): [
                getattr(release, "audit_html", None),
                out / "public" / "audit.html",
            ],
            ("anonymise", "folder"): [out / "public"],
            ("hotspots", "folder"): [out / "internal"],
            ("publish", "web map"): [out / "map" / "index.html"],
            ("publish", "summaries"): [out / "neighbourhoods" / "index.html"],
            ("publish", "folder"): [out],
        }.get((step, key), [])
        return next((Path(p) for p in candidates if p is not None and Path(p).exists()), None)

    def _show_results(self) -> None:
        running = self._runner_running()
        for (step, key), button in self.result_buttons.items():
            shown = self._states[step] in ("done", "out of date", "not run here")
            path = self.result_path(step, key) if shown else None
            button.setEnabled(path is not None and not running)
            if path is not None:
                tips = {k: t for k, _text, t in RESULTS[step]}
                # the path on its own line: a newline in a name starts no line of its own
                button.setToolTip(plain_tooltip(tr(tips[key]) + f"\n{shown_line(path)}"))
        self.add_layers_button.setEnabled(self._outputs is not None and not running)

    def open_result(self, step: str, key: str) -> Optional[Path]:
        """Open a step's result in the desktop's browser or file manager; the path opened."""
        path = self.result_path(step, key)
        if path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
        return path

    def open_folder(self) -> Optional[Path]:
        return self.open_result("publish", "folder")

    def open_audit(self) -> Optional[Path]:
        return self.open_result("anonymise", "audit")

    def open_web_map(self) -> Optional[Path]:
        return self.open_result("publish", "web map")

    def _reload_open_layers(self) -> None:
        """Layers already showing this release's files read the new ones (replaced by
        rename, an open layer would keep the old copy)."""
        from ..qgis_bridge.layers import layer_file, reload_layers_on

        if self.out_dir() is not None:  # the project's layers, not the folder's many files
            files = [layer_file(layer) for layer in self._release_layers_present()]
            reload_layers_on(QgsProject.instance(), files)

    def add_layers(self) -> list[Any]:
        """The release's layers into the current project (public visible, internal off);
        layers of this release already in the project are kept, not added twice."""
        from ..qgis_bridge.monthly_release import add_release_layers

        if self._outputs is None:
            return []
        present = self._release_layers_present()
        if present:
            return present
        return add_release_layers(self._outputs, QgsProject.instance())

    def _release_layers_present(self) -> list[Any]:
        """The project's layers reading this release's files (a layer's file by
        qgis_bridge.layers.layer_file: under a folder named ``x|y`` too)."""
        from ..qgis_bridge.layers import layer_file

        if self._outputs is None:
            return []
        out = os.path.normcase(os.path.abspath(str(self._outputs.out_dir)))
        return [
            layer
            for layer in QgsProject.instance().mapLayers().values()
            if layer_file(layer).startswith(out + os.sep)
        ]

    # --- settings -----------------------------------------------------------------------------
    def _remember_inputs(self, config: Any) -> None:
        """Per user: the last profile, salt file, map points and output folder (of
        ``config``, the form's), offered to a new project."""
        settings = QgsSettings()
        for key, value in (
            ("profile", config.profile),
            ("salt_file", config.salt_file),
            ("map_points", json.dumps(config.map_points.to_dict())),
            ("output", config.output),
        ):
            settings.setValue(f"{SETTINGS_PREFIX}/last_{key}", value)

    def _save_to_project(self) -> None:
        """Keep the form in the project. While it holds a setting the configuration's reader
        refuses (shown under the month and folder), the project keeps the form as it last
        was whole: a refused setting saved there would make the reopened project's whole
        form unreadable (restore reads it with the same reader)."""
        from ..core.monthly.config import ConfigError

        if self._loading:
            return
        try:
            config = self.config()
        except ConfigError:
            return
        project = QgsProject.instance()
        data = {
            "config": config.to_dict(),
            "config_path": str(self._config_path or ""),
            "month": self.month(),
            "states": self._states,
        }
        text = json.dumps(data, sort_keys=True)
        if project.readEntry(PROJECT_SCOPE, "release/state", "")[0] != text:
            project.writeEntry(PROJECT_SCOPE, "release/state", text)

    def _set_outputs(self, outputs: Any, data: Optional[dict], text: str = "") -> None:
        """A run's results, kept in the project under their own entry: written when a run
        ends, not with every change of the form (a national release's outputs list
        thousands of summary pages; ``text``: the JSON made already, in the task's
        thread)."""
        self._outputs, self._outputs_json = outputs, data
        if data is not None and not text:
            text = json.dumps(data, sort_keys=True)
        QgsProject.instance().writeEntry(PROJECT_SCOPE, "release/outputs", text)

    def restore(self) -> None:
        """Fill the form from the project (or, for a new project, from the user's last
        inputs). A project file is input like any other (it may come from someone else, or
        be damaged): an entry of the wrong shape is reported and the form starts afresh."""
        from ..core.monthly.config import ConfigError, ReleaseConfig

        project = QgsProject.instance()
        text, found = project.readEntry(PROJECT_SCOPE, "release/state", "")
        if found and text:
            try:
                data = _saved_object(text, "the saved release state")
                saved_path = data.get("config_path") or ""
                if not isinstance(saved_path, str):
                    raise ValueError(f"the configuration's path is not text: {saved_path!r}")
                path = Path(saved_path) if saved_path else None
                base = path.parent if path else Path.home()
                config = ReleaseConfig.from_dict(data.get("config"), base, source=path)
            except (ValueError, ConfigError) as exc:
                notify(
                    self.iface,
                    tr("The saved release settings could not be read: ") + str(exc),
                    Qgis.MessageLevel.Warning,
                )
            else:
                self.set_config(config, path)
                self._loading = True
                month = data.get("month", "")
                self.month_edit.setText(month if isinstance(month, str) else "")
                self._loading = False
                self._states = _saved_states(data.get("states"))
                outputs, has_outputs = project.readEntry(PROJECT_SCOPE, "release/outputs", "")
                if has_outputs:
                    self._restore_outputs(_saved_outputs(outputs))
                else:  # a project saved before the outputs had their own entry
                    self._restore_outputs(data.get("outputs"))
                    if self._outputs_json is not None:
                        self._set_outputs(self._outputs, self._outputs_json)
                self._show_states()
                self._show_problems()
                # filling the form saved the states it had before; keep the restored ones
                self._save_to_project()
                return
        self._restore_user_defaults()

    def _restore_outputs(self, data: Any) -> None:
        """The last run's results as saved in the project (None if unreadable)."""
        from ..qgis_bridge.release_process import outputs_from_json

        self._outputs, self._outputs_json = None, None
        if isinstance(data, dict):
            try:
                self._outputs = outputs_from_json(data)
                self._outputs_json = data
            except (ValueError, TypeError):
                self._outputs = None
        self.summary_view.setPlainText(
            self._outputs.summary_text() if self._outputs is not None else ""
        )

    def _restore_user_defaults(self) -> None:
        settings = QgsSettings()
        self._loading = True
        try:
            self._config_path = None
            self._base = None
            for widget in (
                self.inputs_widget,
                self.profile_widget,
                self.salt_widget,
                self.rules_widget,
                self.points_widget,
                self.qa_history_widget,
                self.qa_areas_widget,
                self.hood_boundaries_widget,
                self.team_widget,
                self.families_widget,
            ):
                widget.setFilePath("")
            for widget in self.hood_widgets.values():
                if hasattr(widget, "setFilePath"):
                    widget.setFilePath("")
                else:
                    widget.clear()
            for edit in (self.month_edit, self.force_edit, self.webmap_title_edit):
                edit.clear()
            self.hood_code_edit.clear()
            self.suppress_spin.setValue(0)
            for check, on in (
                (self.qa_check, False),
                (self.webmap_check, False),
                (self.summaries_check, False),
                (self.atlas_check, False),
                (self.hotspots_check, True),
                (self.project_check, True),
            ):
                check.setChecked(on)
            self.profile_widget.setFilePath(setting_text(f"{SETTINGS_PREFIX}/last_profile"))
            self.salt_widget.setFilePath(setting_text(f"{SETTINGS_PREFIX}/last_salt_file"))
            self.output_edit.setText(setting_text(f"{SETTINGS_PREFIX}/last_output"))
            kind, paths = _last_map_points(settings.value(f"{SETTINGS_PREFIX}/last_map_points"))
            self.points_kind.setCurrentIndex(max(0, self.points_kind.findData(kind)))
            self.points_widget.setFilePath(join_paths(paths))
        finally:
            self._loading = False
        self._states = dict.fromkeys(STEPS, "not run")
        self._outputs, self._outputs_json = None, None
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


def _warm_up() -> None:
    """What the first "Run" needs, made ready in the background while the analyst fills in
    the form: the UK datum operations (PROJ takes about 0.1 s), the UK grids' CRSs on this
    thread (a few ms each, one per event-loop turn: made at the click they once took 160 ms)
    and the run's modules, so the click itself stays short (bench u_dock_release names what
    the user interface's thread does)."""
    import threading

    from ..qgis_bridge.transform_context import warm_up, warm_up_main_thread

    warm_up()
    warm_up_main_thread()

    def imports() -> None:
        import importlib

        for name in ("crimes_source", "release_process"):
            importlib.import_module(f"{__package__.rsplit('.', 1)[0]}.qgis_bridge.{name}")

    threading.Thread(target=imports, name="crime_mapper imports", daemon=True).start()


def split_paths(text: str) -> list[str]:
    """Paths from a multiple-file QgsFileWidget value ("a" "b", or one plain path)."""
    from qgis.gui import QgsFileWidget

    from ..core.monthly.config import ORDINARY_SPACE

    # (only what the configuration's reader takes off a text's ends: core.monthly.config)
    text = (text or "").strip(ORDINARY_SPACE)
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


def _saved_object(text: str, what: str) -> dict[str, Any]:
    """A JSON object saved in the project; ValueError for anything else (not JSON, nested
    past what the parser takes, or JSON of another shape)."""
    data = parse_json_text(text, ValueError, what)
    if not isinstance(data, dict):
        raise ValueError(f"{what} is not a JSON object")
    return data


def _saved_states(saved: Any) -> dict[str, str]:
    """The steps' states as saved; a step saved with anything but a known finished state
    (a run cut short while it was running, or a value of the wrong type) is "not run"."""
    saved = saved if isinstance(saved, dict) else {}
    states = {}
    for step in STEPS:
        value = saved.get(step)
        known = isinstance(value, str) and value in STATE_TEXT and value != "running"
        states[step] = value if known else "not run"
    return states


def _saved_outputs(text: str) -> Optional[dict[str, Any]]:
    """The last run's results entry as an object; None when it is empty or unreadable (the
    form then shows no results, as for a release never run)."""
    if not text:
        return None
    try:
        return _saved_object(text, "the saved release results")
    except ValueError:
        return None


def _last_map_points(value: Any) -> tuple[str, list[str]]:
    """The map points kind and files the user last released with, from their settings; the
    defaults (history, no files) for a value of any other shape, never a changed one (a text
    where the list of files belongs is not split into its characters)."""
    from ..core.monthly.config import MAP_POINT_KINDS

    try:
        points = _saved_object(str(value or "{}"), "the last map points")
    except ValueError:
        return "history", []
    kind, paths = points.get("kind", "history"), points.get("paths", [])
    if not isinstance(kind, str) or kind not in MAP_POINT_KINDS:
        return "history", []
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        return kind, []
    return kind, paths
