"""The dock's "QA" tab: check this month against the force's last twelve before releasing it,
and the analyst's "when" views.

Built in code with Qt from qgis.PyQt only. The analyst gives this month (extracts or the crimes
GeoPackage of a load; the dock fills it in after each load), the history (earlier extracts,
police.uk months or a saved QA history file), optionally a mapping profile, map points and a
neighbourhood lookup, and an output folder. **Run QA** hands the work to a QgsTask; the
findings arrive in a table (severity, finding, rows), most severe first, with each finding's
plain-words explanation below it; **Open report** shows qa_report.html. **When views** writes
the hour-by-day and month-trend page (internal data) and opens it.

Everything a user does has a method a test can call; ``qaFinished(bool)`` and
``whenFinished(bool)`` are emitted once an outcome is shown. ``report_json_path()`` is what the
guided release passes on to the anonymise step, which records it in the audit and manifest.
"""

from __future__ import annotations

import os
from typing import Any, Optional

from qgis.core import Qgis
from qgis.PyQt.QtCore import QCoreApplication, Qt, QUrl, pyqtSignal
from qgis.PyQt.QtGui import QDesktopServices
from qgis.PyQt.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core.common.layer_source import source_file
from ..core.common.text_file import shown_line
from .task_runner import TaskRunner, notify, notify_lock_warnings
from .widgets import (
    ShownLabel,
    file_paths,
    file_widget,
    narrow_combo,
    narrow_form,
    plain_tooltip,
    tr_noop,
)


def tr(text: str) -> str:
    """The text in QGIS's language (tools/translation_template.py collects it)."""
    return QCoreApplication.translate("QaPanel", text)


SEVERITY_TEXT = {"high": "High", "medium": "Medium", "low": "Low"}
WHEN_BY = (
    ("category", tr_noop("Per category")),
    ("area", tr_noop("Per area (LSOA)")),
    ("all", tr_noop("All crimes")),
)


class QaPanel(QWidget):
    """Release QA findings and the "when" views."""

    qaFinished = pyqtSignal(bool)  # noqa: N815 (Qt signal naming)
    whenFinished = pyqtSignal(bool)  # noqa: N815 (Qt signal naming)

    def __init__(self, iface: Any, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.iface = iface
        self.report: Any = None
        self._report_html: Optional[str] = None
        self._report_json: Optional[str] = None
        self._build_ui()
        self._runner = TaskRunner(
            self, self._on_qa_completed, self._on_qa_terminated,
            progress_bar=self.progress_bar, set_running=self._set_running,
        )  # fmt: skip
        self._when_runner = TaskRunner(
            self, self._on_when_completed, self._on_when_terminated,
            set_running=self._set_running,
        )  # fmt: skip
        self._set_running(False)

    # --- UI ----------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        layout = QVBoxLayout(self)
        form = narrow_form(QFormLayout())
        self.crimes_widget = file_widget(
            self, "open_many", object_name="crime_mapper_qa_crimes",
            file_filter="Extracts or crimes GeoPackage (*.csv *.zip *.gpkg)",
            tooltip=tr("This month: the extract files, or the crimes GeoPackage of a load"),
        )  # fmt: skip
        form.addRow(tr("This month"), self.crimes_widget)
        self.profile_widget = file_widget(
            self, "open", object_name="crime_mapper_qa_profile",
            file_filter="Mapping profile (*.json)",
            tooltip=tr("Column-mapping profile for a force extract (police.uk files need none)"),
        )  # fmt: skip
        form.addRow(tr("Mapping profile (optional)"), self.profile_widget)
        self.history_widget = file_widget(
            self, "open_many", object_name="crime_mapper_qa_history",
            file_filter="History (*.csv *.zip *.json)",
            tooltip=(
                tr("The previous months: extracts, police.uk street files or monthly zips, "
                "and/or a QA history file (.json) saved by an earlier run; the last 12 are used")
            ),
        )  # fmt: skip
        form.addRow(tr("History"), self.history_widget)
        self.history_profile_widget = file_widget(
            self, "open", object_name="crime_mapper_qa_history_profile",
            file_filter="Mapping profile (*.json)",
            tooltip=tr("Column-mapping profile for force extracts among the history files"),
        )  # fmt: skip
        form.addRow(tr("History profile (optional)"), self.history_profile_widget)
        self.points_widget = file_widget(
            self, "open", object_name="crime_mapper_qa_points",
            file_filter="Map points (*.gpkg *.csv)",
            tooltip=(
                tr("Optional map points: a force extract's rows take their point's label and "
                "LSOA, and the distance to it is checked")
            ),
        )  # fmt: skip
        form.addRow(tr("Map points (optional)"), self.points_widget)
        self.areas_widget = file_widget(
            self, "open", object_name="crime_mapper_qa_areas",
            file_filter="LSOA lookup (*.csv)",
            tooltip=tr(
                "Optional LSOA code to neighbourhood lookup (two columns): test neighbourhoods"
            ),
        )  # fmt: skip
        form.addRow(tr("Neighbourhoods (optional)"), self.areas_widget)
        self.output_widget = file_widget(
            self, "folder", object_name="crime_mapper_qa_dir", title=tr("QA report folder")
        )
        form.addRow(tr("Report folder"), self.output_widget)
        layout.addLayout(form)

        buttons = QHBoxLayout()
        self.run_button = QPushButton(tr("Run QA"), self)
        self.run_button.setObjectName("crime_mapper_run_qa")
        self.cancel_button = QPushButton(tr("Cancel"), self)
        self.report_button = QPushButton(tr("Open report"), self)
        self.report_button.setObjectName("crime_mapper_open_qa_report")
        for button in (self.run_button, self.cancel_button, self.report_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setRange(0, 100)
        layout.addWidget(self.progress_bar)

        self.verdict_label = ShownLabel(tr("No QA run yet."), self)
        self.verdict_label.setObjectName("crime_mapper_qa_verdict")
        self.verdict_label.setWordWrap(True)
        layout.addWidget(self.verdict_label)
        self.findings_table = QTableWidget(0, 3, self)
        self.findings_table.setObjectName("crime_mapper_qa_findings")
        self.findings_table.setAccessibleName("Release QA findings")
        self.findings_table.setHorizontalHeaderLabels(["Severity", "Finding", "Rows"])
        self.findings_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.findings_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.findings_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.findings_table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.findings_table)
        self.explanation_view = QPlainTextEdit(self)
        self.explanation_view.setObjectName("crime_mapper_qa_explanation")
        self.explanation_view.setAccessibleName("Explanation of the selected finding")
        self.explanation_view.setReadOnly(True)
        self.explanation_view.setPlaceholderText(tr("Select a finding to read what it means."))
        self.explanation_view.setMaximumHeight(120)
        layout.addWidget(self.explanation_view)

        when_row = QHBoxLayout()
        self.when_combo = narrow_combo(QComboBox(self))
        self.when_combo.setObjectName("crime_mapper_when_by")
        for key, label in WHEN_BY:
            self.when_combo.addItem(tr(label), key)
        self.when_combo.setToolTip(tr("Hour-by-day views for each category, each area, or all"))
        self.when_button = QPushButton(tr("When views…"), self)
        self.when_button.setObjectName("crime_mapper_when_views")
        self.when_button.setToolTip(
            tr(
                "Write and open the hour-by-day table and heat chart and the month trend "
                "(internal data with exact times: never publish the page)"
            )
        )
        when_row.addWidget(QLabel(tr("When:"), self))
        when_row.addWidget(self.when_combo, 1)
        layout.addLayout(when_row)
        layout.addWidget(self.when_button)  # below: beside the choice it is wider than a dock

        self.run_button.clicked.connect(self.start_qa)
        self.cancel_button.clicked.connect(self.cancel)
        self.report_button.clicked.connect(self.open_report)
        self.when_button.clicked.connect(self.start_when_views)
        self.findings_table.itemSelectionChanged.connect(self._show_explanation)

    def _set_running(self, running: bool) -> None:
        busy = running or (hasattr(self, "_runner") and self._runner.is_running())
        busy = busy or (hasattr(self, "_when_runner") and self._when_runner.is_running())
        self.run_button.setEnabled(not busy)
        self.when_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.report_button.setEnabled(not busy and bool(self._report_html))

    # --- what a user (or a test, or the dock) sets ---------------------------------------------
    def set_crimes_source(self, path: Optional[str]) -> None:
        """This month: a crimes GeoPackage from a load (the dock calls this) or extracts."""
        self.crimes_widget.setFilePath(str(path) if path else "")

    def set_current_files(self, paths: list[str]) -> None:
        self.crimes_widget.setFilePath(" ".join(f'"{p}"' for p in paths))

    def set_history_files(self, paths: list[str]) -> None:
        self.history_widget.setFilePath(" ".join(f'"{p}"' for p in paths))

    def set_profile_path(self, path: Optional[str]) -> None:
        self.profile_widget.setFilePath(path or "")

    def set_points_path(self, path: Optional[str]) -> None:
        self.points_widget.setFilePath(path or "")

    def set_areas_path(self, path: Optional[str]) -> None:
        self.areas_widget.setFilePath(path or "")

    def set_output_dir(self, path: str) -> None:
        self.output_widget.setFilePath(path)

    def report_json_path(self) -> Optional[str]:
        """The last report's qa_report.json, for the release to record (None: no run yet)."""
        return self._report_json

    def current_task(self) -> Any:
        return self._runner.task or self._when_runner.task

    # --- running -------------------------------------------------------------------------------
    def _warn(self, text: str) -> bool:
        notify(self.iface, text, Qgis.MessageLevel.Warning)
        return False

    def start_qa(self) -> bool:
        """Check the form and start the QA in the background; False if it could not start."""
        if self._runner.is_running() or self._when_runner.is_running():
            return self._warn("The QA tab is already busy.")
        current = file_paths(self.crimes_widget)
        if not current or not all(os.path.exists(source_file(p)) for p in current):
            return self._warn("Choose this month's extracts or the crimes GeoPackage of a load.")
        history = file_paths(self.history_widget)
        if not history:
            return self._warn("Choose the history: the previous months' files.")
        out_dir = self.output_widget.filePath().strip()
        if not out_dir:
            return self._warn("Choose a folder for the QA report.")
        from ..qgis_bridge.qa_task import ReleaseQaTask

        task = ReleaseQaTask(
            current, history, out_dir,
            profile_path=self.profile_widget.filePath().strip() or None,
            history_profile_path=self.history_profile_widget.filePath().strip() or None,
            points=self.points_widget.filePath().strip() or None,
            areas_path=self.areas_widget.filePath().strip() or None,
        )  # fmt: skip
        self.verdict_label.setText(tr("Running the release QA…"))
        self._runner.start(task)
        return True

    def cancel(self) -> None:
        self._runner.cancel()
        self._when_runner.cancel()

    def _on_qa_completed(self, task: Any) -> None:
        notify_lock_warnings(self.iface, task.lock_warnings)
        run = task.run_result
        self.show_report(run.report)
        self._report_html = str(run.report_html) if run.report_html else None
        self._report_json = str(run.report_json) if run.report_json else None
        self.progress_bar.setValue(100)
        self._set_running(False)
        counts = run.report.counts()
        level = Qgis.MessageLevel.Warning if counts["high"] else Qgis.MessageLevel.Success
        notify(
            self.iface,
            tr("Release QA {month}: {verdict}.").format(
                month=run.report.month, verdict=run.report.verdict
            ),
            level,
        )
        for error in run.file_errors:
            notify(
                self.iface,
                tr("Input file not used: {error}").format(error=error),
                Qgis.MessageLevel.Warning,
            )
        if run.report.history_left_out:  # one bar, however many months: they are in the report
            notify(
                self.iface,
                tr("History months left out: {notes}").format(
                    notes="; ".join(map(shown_line, run.report.history_left_out))
                ),
                Qgis.MessageLevel.Warning,
            )
        self.qaFinished.emit(True)

    def _on_qa_terminated(self, task: Any) -> None:
        notify_lock_warnings(self.iface, task.lock_warnings)
        if task.error == "Cancelled" or task.error is None:
            self.verdict_label.setText(tr("QA cancelled; the previous report is unchanged."))
            notify(self.iface, tr("Release QA cancelled."), Qgis.MessageLevel.Info)
        else:
            self.verdict_label.setText(tr("The QA could not run: {error}").format(error=task.error))
            notify(
                self.iface,
                tr("Release QA failed: {error}").format(error=task.error),
                Qgis.MessageLevel.Critical,
            )
        self.qaFinished.emit(False)

    def show_report(self, report: Any) -> None:
        """Fill the verdict and the findings table from a QaReport."""
        self.report = report
        counts = report.counts()
        self.verdict_label.setText(
            tr(
                "{force} {month}: {verdict} ({high} high, {medium} medium, {low} low; "
                "{n_history_months} months of history)."
            ).format(
                force=shown_line(report.force),  # (read from the extract: one line)
                month=shown_line(report.month),
                verdict=report.verdict,
                high=counts["high"],
                medium=counts["medium"],
                low=counts["low"],
                n_history_months=len(report.history_months),
            )
        )
        table = self.findings_table
        table.setRowCount(len(report.findings))
        for row, finding in enumerate(report.findings):
            items = [
                QTableWidgetItem(SEVERITY_TEXT[finding.severity]),
                QTableWidgetItem(shown_line(finding.title)),  # (an area's code: one line)
                QTableWidgetItem(f"{finding.rows:,}" if finding.rows else ""),
            ]
            for item in items:
                item.setToolTip(plain_tooltip(shown_line(finding.explanation)))
                item.setData(Qt.ItemDataRole.UserRole, row)
            for column, item in enumerate(items):
                table.setItem(row, column, item)
        table.resizeColumnToContents(0)
        self.explanation_view.setPlainText(
            shown_line(report.findings[0].explanation) if report.findings else "No findings."
        )
        if report.findings:
            table.selectRow(0)

    def _show_explanation(self) -> None:
        rows = {i.row() for i in self.findings_table.selectedItems()}
        if self.report is None or not rows:
            return
        finding = self.report.findings[min(rows)]
        # each on its line: an area's code or a record's id read from a file can hold a
        # newline, which started a line of its own under the explanation
        behind = []
        if finding.areas:
            behind.append("Areas: " + ", ".join(map(shown_line, finding.areas[:20])))
        if finding.lines:
            behind.append("Lines: " + "; ".join(map(shown_line, finding.lines[:10])))
        if finding.record_ids:
            behind.append("Records: " + ", ".join(map(shown_line, finding.record_ids[:20])))
        self.explanation_view.setPlainText("\n".join([shown_line(finding.explanation)] + behind))

    def open_report(self) -> None:
        if self._report_html and os.path.isfile(self._report_html):
            QDesktopServices.openUrl(QUrl.fromLocalFile(self._report_html))

    # --- when views ----------------------------------------------------------------------------
    def start_when_views(self, open_page: bool = True) -> bool:
        if self._runner.is_running() or self._when_runner.is_running():
            return self._warn("The QA tab is already busy.")
        current = file_paths(self.crimes_widget)
        if not current:
            return self._warn("Choose this month's extracts or a crimes GeoPackage first.")
        out_dir = self.output_widget.filePath().strip()
        if not out_dir:
            return self._warn("Choose a folder for the page.")
        from ..qgis_bridge.qa_task import WhenViewsTask

        self._open_when = open_page
        task = WhenViewsTask(
            current, os.path.join(out_dir, "when.html"), self.when_combo.currentData(),
            self.profile_widget.filePath().strip() or None,
            self.areas_widget.filePath().strip() or None,
            file_paths(self.history_widget),  # the month trend also shows the earlier months
            self.history_profile_widget.filePath().strip() or None,
        )  # fmt: skip
        self._when_runner.start(task)
        return True

    def _on_when_completed(self, task: Any) -> None:
        self._set_running(False)
        notify(
            self.iface,
            tr("When views written: {path}").format(path=shown_line(task.path)),
            Qgis.MessageLevel.Info,
        )
        if getattr(self, "_open_when", True) and task.path:
            QDesktopServices.openUrl(QUrl.fromLocalFile(task.path))
        self.last_when_page = task.path
        self.whenFinished.emit(True)

    def _on_when_terminated(self, task: Any) -> None:
        notify(
            self.iface,
            tr("When views not written: {error}").format(error=task.error),
            Qgis.MessageLevel.Warning,
        )
        self.whenFinished.emit(False)

    # --- teardown ------------------------------------------------------------------------------
    def shutdown(self) -> None:
        self._runner.shutdown()
        self._when_runner.shutdown()
