"""The dock's Summaries tab: the form runs the same summaries as the command line in a QgsTask
(progress, the layer added styled), Cancel leaves the previous output untouched, and the
earlier published months (history) fill the trend, checked inline and remembered."""

from __future__ import annotations

import pandas as pd
import pytest
from qgis.core import Qgis, QgsGraduatedSymbolRenderer, QgsProject, QgsSettings
from qgis.PyQt.QtGui import QDesktopServices

from crime_mapper.ui.summaries_panel import HISTORY_SETTING, SummariesPanel
from crime_mapper.ui.widgets import file_paths
from tests.support.summaries_release import (
    FORCE_EXTRACT,
    FORCE_PROFILE,
    HOODS,
    POPULATION,
    SAMPLE,
    make_release,
)


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return make_release(tmp_path_factory.mktemp("summaries_panel"))


def _fill(panel: SummariesPanel, release: dict, out) -> None:
    panel.release.setFilePath(str(release["csv"]))
    panel.raw.setFilePath(str(FORCE_EXTRACT))
    panel.profile.setFilePath(str(FORCE_PROFILE))
    panel.points.setFilePath(str(release["points"]))
    panel.boundaries.setFilePath(str(HOODS / "msoa11_leicestershire.geojson"))
    panel.code_field.setText("msoa11cd")
    panel.lookup.setFilePath(str(HOODS / "lsoa11_to_msoa11_leicestershire.csv"))
    panel.lookup_code.setText("msoa11cd")
    panel.lookup_name.setText("msoa11nm")
    panel.population.setFilePath(str(POPULATION))
    panel.out.setFilePath(str(out))


def test_panel_runs_summaries_in_a_task(qgis_iface, release, tmp_path, wait_until, monkeypatch):
    panel = SummariesPanel(qgis_iface)
    _fill(panel, release, tmp_path / "out")
    assert not panel.open_button.isEnabled()
    task = panel.start()
    assert task is not None and not panel.run_button.isEnabled()
    wait_until(lambda: not panel._runner.is_running(), "the summaries task")
    assert panel.last_outcome == "completed", panel.last_outcome
    assert (tmp_path / "out" / "neighbourhoods" / "index.html").is_file()
    assert panel.progress_bar.value() == 100 or panel.run_button.isEnabled()
    layers = QgsProject.instance().mapLayersByName("Neighbourhood summaries")
    assert layers and isinstance(layers[-1].renderer(), QgsGraduatedSymbolRenderer)
    QgsProject.instance().removeMapLayers([layer.id() for layer in layers])
    assert panel.open_button.isEnabled()
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    assert panel.open_in_browser()
    assert opened[0].toLocalFile() == str(tmp_path / "out" / "neighbourhoods" / "index.html")
    panel.shutdown()


def test_the_runs_warnings_reach_the_message_bar(qgis_iface, release, tmp_path, wait_until):
    """A team's javascript: link is left out of the pages: the command line and Processing
    said so, the dock did not (done.problems went nowhere)."""
    team = tmp_path / "team.csv"
    team.write_text(
        "code,kind,name,title,url\nE02002834,neighbourhood,Abbey,,\n"
        "E02002834,link,,Evil,javascript:alert(1)\n",
        encoding="utf-8",
    )
    panel = SummariesPanel(qgis_iface)
    _fill(panel, release, tmp_path / "out")
    panel.team.setFilePath(str(team))
    qgis_iface.messageBar().clear_messages()
    panel.start()
    wait_until(lambda: not panel._runner.is_running(), "the summaries task")
    assert panel.last_outcome == "completed", panel.last_outcome
    warnings = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Warning)
    assert any(
        "team.csv: line 3 (neighbourhood E02002834), link 'Evil' has the address "
        "'javascript:alert(1)'" in text
        for text in warnings
    ), warnings
    QgsProject.instance().removeMapLayers(
        [layer.id() for layer in QgsProject.instance().mapLayersByName("Neighbourhood summaries")]
    )
    panel.shutdown()


def test_cancel_leaves_previous_output(qgis_iface, release, tmp_path, wait_until):
    out = tmp_path / "out"
    previous = out / "neighbourhoods"
    previous.mkdir(parents=True)
    (previous / "index.html").write_text("previous", encoding="utf-8")
    panel = SummariesPanel(qgis_iface)
    _fill(panel, release, out)
    task = panel.start()
    task.cancel()
    wait_until(lambda: not panel._runner.is_running(), "the cancelled task")
    assert panel.last_outcome == "cancelled"
    assert (previous / "index.html").read_text(encoding="utf-8") == "previous"
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    panel.shutdown()


def test_missing_inputs_are_named(qgis_iface):
    panel = SummariesPanel(qgis_iface)
    assert panel.start() is None
    panel.shutdown()


def test_bad_input_fails_with_its_message(qgis_iface, release, tmp_path, wait_until):
    panel = SummariesPanel(qgis_iface)
    _fill(panel, release, tmp_path / "out")
    panel.boundaries.setFilePath(str(tmp_path / "no_such.geojson"))
    panel.start()
    wait_until(lambda: not panel._runner.is_running(), "the failing task")
    assert panel.last_outcome.startswith("failed: "), panel.last_outcome
    assert "no_such.geojson" in panel.last_outcome
    assert "Traceback" not in panel.last_outcome and not panel.open_button.isEnabled()
    assert panel.run_button.isEnabled() and not panel.cancel_button.isEnabled()
    panel.shutdown()


# --- the earlier published months (history), through the real dock ---------------------------
HISTORY_ZIP = SAMPLE / "police-uk" / "history" / "leicester-city-2021-10-to-2022-08.zip"
SEPTEMBER = SAMPLE / "police-uk" / "2022-09"
CITY = SAMPLE / "neighbourhoods"


@pytest.fixture
def dock_panel(qgis_iface):
    """The Summaries tab of the real dock, with no history remembered from an earlier run."""
    from crime_mapper.ui.dock import CrimeMapperDock

    QgsSettings().remove(HISTORY_SETTING)
    dock = CrimeMapperDock(qgis_iface)
    yield dock.summaries_panel
    dock.shutdown()
    QgsSettings().remove(HISTORY_SETTING)


def _fill_city(panel: SummariesPanel, release: dict, out) -> None:
    _fill(panel, release, out)
    panel.boundaries.setFilePath(str(CITY / "msoa11_leicester_city.geojson"))
    panel.lookup.setFilePath(str(CITY / "lsoa11_to_msoa11_leicester_city.csv"))
    panel.names.setFilePath(str(CITY / "msoa11_names_leicester_city.csv"))
    panel.names_code.setText("msoa11cd")
    panel.names_name.setText("msoa11hclnm")


def _force_all_crime(out) -> dict:
    tidy = pd.read_csv(out / "neighbourhoods" / "neighbourhood_summaries.csv", dtype=str)
    force = tidy[(tidy["neighbourhood_code"] == "force") & (tidy["category"] == "All crime")]
    return dict(zip(force["month"], force["status"]))


def _run(panel: SummariesPanel, wait_until) -> None:
    assert panel.start() is not None
    wait_until(lambda: not panel._runner.is_running(), "the summaries task")
    assert panel.last_outcome == "completed", panel.last_outcome
    QgsProject.instance().removeMapLayers(
        [layer.id() for layer in QgsProject.instance().mapLayersByName("Neighbourhood summaries")]
    )


def test_history_in_the_dock_fills_the_earlier_months(dock_panel, release, tmp_path, wait_until):
    panel = dock_panel
    _fill_city(panel, release, tmp_path / "without")
    assert panel.task_arguments()["history"] == []
    _run(panel, wait_until)
    without = _force_all_crime(tmp_path / "without")
    assert without["2022-10"] == "published"
    assert {without[m] for m in without if m < "2022-10"} == {"missing month"}

    panel.history.setFilePath(f'"{HISTORY_ZIP}" "{SEPTEMBER}"')
    assert not panel.history_status.isVisibleTo(panel)
    panel.out.setFilePath(str(tmp_path / "with"))
    assert panel.task_arguments()["history"] == [str(HISTORY_ZIP), str(SEPTEMBER)]
    _run(panel, wait_until)
    with_history = _force_all_crime(tmp_path / "with")
    assert len(with_history) == 13 and set(with_history.values()) == {"published"}
    page = (tmp_path / "with" / "neighbourhoods" / "leicester-city-centre.html").read_text("utf-8")
    assert "Change on a year earlier" in page and "November 2021: " in page

    # remembered for next month: a new dock's Summaries tab starts with the same history
    from crime_mapper.ui.dock import CrimeMapperDock

    again = CrimeMapperDock(panel.iface)
    try:
        assert file_paths(again.summaries_panel.history) == [str(HISTORY_ZIP), str(SEPTEMBER)]
    finally:
        again.shutdown()


def test_a_missing_history_file_is_shown_inline_and_stops_the_run(dock_panel, release, tmp_path):
    panel = dock_panel
    _fill_city(panel, release, tmp_path / "out")
    gone = tmp_path / "2021-10-gone.zip"
    panel.history.setFilePath(f'"{HISTORY_ZIP}" "{gone}"')
    assert panel.history_status.isVisibleTo(panel)
    assert str(gone) in panel.history_status.text() and str(HISTORY_ZIP) not in (
        panel.history_status.text()
    )
    assert panel.start() is None  # refused before any task
    assert not (tmp_path / "out").exists() and panel.last_outcome == ""
    panel.history.setFilePath(str(HISTORY_ZIP))
    assert not panel.history_status.isVisibleTo(panel)


def test_the_done_message_names_the_folder_and_atlas_on_one_line(
    qgis_iface, release, tmp_path, wait_until
):
    """The message bar's "Summaries of N neighbourhoods written to FOLDER. PDF atlas: PDF."
    printed a folder named ``out\\nLeak gate: passed`` raw: each name broke its line."""
    panel = SummariesPanel(qgis_iface)
    out = tmp_path / "out\nLeak gate: passed"
    _fill(panel, release, out)
    panel.atlas.setChecked(True)
    qgis_iface.messageBar().clear_messages()
    panel.start()
    wait_until(lambda: not panel._runner.is_running(), "the summaries task")
    assert panel.last_outcome == "completed", panel.last_outcome
    done = [
        m
        for m in qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Success)
        if "neighbourhoods written to" in m
    ]
    assert len(done) == 1 and "\n" not in done[0], done
    shown = f"{tmp_path}/out\\nLeak gate: passed"
    assert f"written to {shown}/neighbourhoods. PDF atlas: {shown}/" in done[0], done
    QgsProject.instance().removeMapLayers(
        [layer.id() for layer in QgsProject.instance().mapLayersByName("Neighbourhood summaries")]
    )
    panel.shutdown()


def test_cancel_during_the_atlas_stops_it_and_changes_nothing(
    qgis_iface, release, tmp_path, wait_until
):
    """The task made the atlas without its cancel: Cancel, pressed while the pages were
    drawn, waited for every page, and the summaries had been moved in before the atlas
    began. Now the task's cancel reaches QgsLayoutExporter.exportToPdf (pressed here once
    the atlas's first page is drawn: past the summaries' half of the progress bar), the
    tab says it was cancelled, and the earlier summaries and atlas are as they were."""
    from crime_mapper.qgis_bridge.atlas import SUMMARIES_SHARE

    out = tmp_path / "out"
    (out / "neighbourhoods").mkdir(parents=True)
    (out / "neighbourhoods" / "index.html").write_text("earlier", encoding="utf-8")
    (out / "neighbourhoods_atlas.pdf").write_bytes(b"%PDF the earlier atlas")
    panel = SummariesPanel(qgis_iface)
    _fill(panel, release, out)
    panel.atlas.setChecked(True)
    task = panel.start()
    assert task is not None
    seen: list[float] = []

    def cancel_in_the_atlas(progress: float) -> None:
        """Pressed past the first page: the summaries' end, then a page's progress."""
        if progress > SUMMARIES_SHARE and SUMMARIES_SHARE in seen and not task.isCanceled():
            panel.cancel_button.click()
        seen.append(progress)

    task.progressChanged.connect(cancel_in_the_atlas)
    wait_until(lambda: not panel._runner.is_running(), "the cancelled atlas")
    assert panel.last_outcome == "cancelled", (panel.last_outcome, seen)
    in_atlas = seen[seen.index(SUMMARIES_SHARE) :]
    assert len(in_atlas) > 1 and max(in_atlas) < 100.0, seen  # (at a page, not the end)
    assert (out / "neighbourhoods_atlas.pdf").read_bytes() == b"%PDF the earlier atlas"
    assert (out / "neighbourhoods" / "index.html").read_text(encoding="utf-8") == "earlier"
    assert sorted(p.name for p in out.iterdir()) == ["neighbourhoods", "neighbourhoods_atlas.pdf"]
    panel.shutdown()
