"""The dock's "Summaries" tab: neighbourhood summaries for the public, in a QgsTask with
progress, Cancel and "Open in browser" (the `workflow` helper wires it into the guided release).

The form holds the same inputs as crime_mapper:neighbourhood_summaries and the command line;
the task calls the same core function (core.publish.summaries_run.run_summaries), so the three
give the same files. The neighbourhood layer is added to the project, styled from the
choropleth stored in its GeoPackage, when the run succeeds. Running, cancelling and the result
link are the shared publishing tab's (publish_panel); this module holds only what is the
summaries' own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from qgis.core import Qgis, QgsProject, QgsSettings, QgsVectorLayer
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtWidgets import QCheckBox, QFormLayout, QSpinBox

from ..core.common.feedback import Feedback
from ..core.common.text_file import shown_line
from .publish_panel import CSV_FILTER, PublishPanel, PublishTask, tr_noop
from .task_runner import notify, notify_warnings
from .widgets import ShownLabel, add_row, file_paths, setting_text


def tr(text: str) -> str:
    """The text in QGIS's language (tools/translation_template.py collects it)."""
    return QCoreApplication.translate("SummariesPanel", text)


#: QgsSettings key of the history field: next month's run uses the same earlier months
HISTORY_SETTING = "crime_mapper/summaries/history"
HISTORY_FILTER = "police.uk months (*.csv *.CSV *.zip *.ZIP);;All files (*)"


class SummariesTask(PublishTask):
    """run_summaries (and the atlas) in the background. ``done`` is the SummaryExport,
    ``pdf`` the atlas's path ("" without one)."""

    description = "crime_mapper: neighbourhood summaries"
    what = "the summaries"
    holder = "the Summaries tab of the Crime mapper panel"

    def __init__(self, kwargs: dict[str, Any], atlas: bool) -> None:
        super().__init__(kwargs)
        self.atlas = atlas
        self.pdf = ""

    def work(self, feedback: Feedback) -> Any:
        """The summaries, and with the atlas box ticked their atlas, moved in together:
        the task's Cancel stops the atlas at its next page and nothing is changed."""
        from ..core.publish.summaries_run import read_release, run_summaries

        if not self.atlas:
            return run_summaries(**self.kwargs, feedback=feedback)
        from ..core.publish.summaries_export import ATLAS_NAME
        from ..qgis_bridge.atlas import summaries_with_atlas

        pdf = str(Path(self.kwargs["out_dir"]) / ATLAS_NAME)
        done = summaries_with_atlas(
            lambda part, staging: run_summaries(**self.kwargs, feedback=part, staging=staging),
            lambda: read_release(self.kwargs["release_csv"]),
            pdf,
            feedback,
        )
        self.pdf = pdf  # (only once the atlas is in place: the done message names it)
        return done

    def gate_errors(self) -> tuple[type[BaseException], ...]:
        from ..core.publish.summaries_export import SummaryGateError

        return (SummaryGateError,)

    def input_errors(self) -> tuple[type[BaseException], ...]:
        from ..core.publish.neighbourhoods import NeighbourhoodError
        from ..core.publish.summaries import SummaryError
        from ..core.publish.summaries_team import TeamError
        from ..core.release.release_files import ReleaseInputError

        return (NeighbourhoodError, SummaryError, TeamError, ReleaseInputError)


class SummariesPanel(PublishPanel):
    """The neighbourhood summaries' form on the shared publishing tab."""

    prefix = "summaries"
    noun = tr_noop("Summaries")
    needs = tr_noop("Summaries need")
    run_label = tr_noop("Make summaries")

    def build_form(self, form: QFormLayout) -> None:
        self.release = self._field(
            "open", "summaries_release", tr("Public release CSV"), CSV_FILTER
        )
        self.raw = self._field(
            "open_many",
            "summaries_raw",
            tr("The raw extracts the release was made from (for the gate)"),
        )
        self.profile = self._field("open", "summaries_profile", tr("Column-mapping profile (JSON)"))
        self.points = self._field("open", "summaries_points", tr("Map points CSV"), CSV_FILTER)
        self.boundaries = self._field(
            "open", "summaries_boundaries", tr("Neighbourhood polygons (GeoJSON)")
        )
        self.code_field = self._text("summaries_code_field", tr("code property, e.g. msoa11cd"))
        self.name_field = self._text("summaries_name_field", tr("name property (optional)"))
        self.lookup = self._field("open", "summaries_lookup", tr("LSOA lookup CSV"), CSV_FILTER)
        self.lookup_code = self._text("summaries_lookup_code", tr("lookup code column"))
        self.lookup_name = self._text("summaries_lookup_name", tr("lookup name column (optional)"))
        self.names = self._field("open", "summaries_names", tr("Names CSV"), CSV_FILTER)
        self.names_code = self._text("summaries_names_code", tr("names: code column"))
        self.names_name = self._text("summaries_names_name", tr("names: name column"))
        self.population = self._field(
            "open", "summaries_population", tr("LSOA population CSV"), CSV_FILTER
        )
        self.team = self._field("open", "summaries_team", tr("Team information (JSON or CSV)"))
        self.history = self._field(
            "open_many",
            "summaries_history",
            tr(
                "The force's earlier published police.uk months (street CSV files, monthly "
                "folders or zips) for the 12-month trend, the change on a year earlier and the "
                "usual range; without them those months show as missing"
            ),
            HISTORY_FILTER,
        )
        self.history.lineEdit().setPlaceholderText(tr("earlier published months (optional)"))
        self.history_status = ShownLabel(self)  # names the paths not found
        self.history_status.setObjectName("summaries_history_status")
        self.history_status.setWordWrap(True)
        self.history_status.setVisible(False)
        self.history.fileChanged.connect(self._history_changed)
        self.history.setFilePath(setting_text(HISTORY_SETTING))
        self.month = self._text("summaries_month", tr("YYYY-MM (default: the latest)"))
        self.period = QSpinBox(self)
        self.period.setRange(1, 12)
        self.suppress = QSpinBox(self)
        self.suppress.setRange(0, 100)
        self.suppress.setToolTip(tr("0 = off (as police.uk); e.g. 10 shows 1-9 as 'fewer than 10'"))
        self.force_name = self._text("summaries_force", tr("force name for the pages"))
        self.with_map = QCheckBox(tr("Link to the web map"), self)
        self.with_map.setToolTip(tr("The pages link to the web map in OUTPUT/map"))
        self.atlas = QCheckBox(tr("Also a PDF atlas"), self)
        self.out = self._field("folder", "summaries_out", tr("Output folder"))
        for label, widget in (
            (tr("Release CSV"), self.release),
            (tr("Raw extracts"), self.raw),
            (tr("Profile"), self.profile),
            (tr("Map points"), self.points),
            (tr("Boundaries"), self.boundaries),
            (tr("Code field"), self.code_field),
            (tr("Name field"), self.name_field),
            (tr("LSOA lookup"), self.lookup),
            (tr("Lookup code column"), self.lookup_code),
            (tr("Lookup name column"), self.lookup_name),
            (tr("Names CSV"), self.names),
            (tr("Names code column"), self.names_code),
            (tr("Names name column"), self.names_name),
            (tr("LSOA population"), self.population),
            (tr("Team information"), self.team),
            (tr("History"), self.history),
            ("", self.history_status),
            (tr("Month"), self.month),
            (tr("Period (months)"), self.period),
            (tr("Small-count threshold"), self.suppress),
            (tr("Force name"), self.force_name),
            ("", self.with_map),
            ("", self.atlas),
            (tr("Output folder"), self.out),
        ):
            add_row(form, label, widget)

    def task_arguments(self) -> dict[str, Any]:
        """The run_summaries keyword arguments the form describes."""
        from ..core.publish.summaries import SummaryOptions
        from ..core.publish.summaries_run import NeighbourhoodSource

        def path(widget: Any) -> Optional[str]:
            return widget.filePath().strip() or None

        return {
            "raw": file_paths(self.raw),
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
            "history": file_paths(self.history),
        }

    def history_problems(self) -> list[str]:
        """Why the history field cannot be used (paths that are not there), in words."""
        return [
            tr("History not found: {path}").format(path=shown_line(p))  # (one line each)
            for p in file_paths(self.history)
            if not Path(p).exists()
        ]

    def _history_changed(self, value: str) -> None:
        """Check the field as it is typed or browsed, and keep it for the next session."""
        QgsSettings().setValue(HISTORY_SETTING, value)
        problems = self.history_problems()
        self.history_status.setText("\n".join(problems))
        self.history_status.setStyleSheet("color: #b00020;" if problems else "")
        self.history_status.setVisible(bool(problems))

    def start(self) -> Optional[SummariesTask]:  # type: ignore[override]
        """As the shared tab's, but a history path that is not there stops the run here
        (named in the message bar), not halfway through the task."""
        problems = self.history_problems()
        if problems and not self._runner.is_running():
            self._history_changed(self.history.filePath())
            notify(self.iface, "; ".join(problems), Qgis.MessageLevel.Warning)
            return None
        return super().start()  # type: ignore[return-value]

    def required(self, kwargs: dict[str, Any]) -> list[tuple[str, Any]]:
        return [
            (tr("the release CSV"), kwargs["release_csv"]),
            (tr("the raw extracts"), kwargs["raw"]),
            (tr("the map points"), kwargs["points"]),
            (tr("an output folder"), kwargs["out_dir"]),
        ]

    def make_task(self, kwargs: dict[str, Any]) -> SummariesTask:
        return SummariesTask(kwargs, self.atlas.isChecked())

    def completed(self, task: Any) -> Path:
        done = task.done
        layer = QgsVectorLayer(
            f"{done.folder / 'neighbourhoods.gpkg'}|layername=neighbourhood_summaries",
            "Neighbourhood summaries",
            "ogr",
        )
        if layer.isValid():
            layer.loadDefaultStyle()
            QgsProject.instance().addMapLayer(layer)
        extra = tr(" PDF atlas: {pdf}.").format(pdf=shown_line(task.pdf)) if task.pdf else ""
        notify(
            self.iface,
            tr(
                "Summaries of {pages:,} neighbourhoods written to {folder}.{extra} {report}."
            ).format(
                pages=done.pages,
                folder=shown_line(done.folder),
                extra=extra,
                report=done.assignment.report(),
            ),
            Qgis.MessageLevel.Success,
        )
        self.warn(done.problems)
        return Path(done.folder) / "index.html"

    def warn(self, problems: list[str]) -> None:
        """The run's warnings (what was left out and why: a team's link with no safe
        address, families naming no neighbourhood, files of the extract not read), on the
        message bar and each in the message log. Why: the command line and Processing
        showed them, the dock did not, so an analyst using it was never told."""
        notify_warnings(self.iface, problems, tr("Summaries warning: {first}"))
