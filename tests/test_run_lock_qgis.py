"""Every way of writing an output folder from QGIS takes its run lock (core.common.run_lock):
the Processing algorithms crime_mapper:anonymise, export_webmap and neighbourhood_summaries,
and the dock's Web map, Summaries and Release (anonymise) tabs.

Why: only the command line and the monthly release took it, so an analyst exporting the web
map into ``<release>/map`` (toolbox or dock) while that month's scheduled release ran wrote
the folder at once with it. Here a real process holds the lock of the output folder (or of
the month folder above it), real Processing runs and real dock tasks are refused with the
lock's words naming it, leaving the previous output as it was, and run once it has let go.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from qgis.core import QgsProcessingException, QgsProcessingFeedback

from crime_mapper.core.common.run_lock import LOCK_SUFFIX, FolderBusy, folder_run_lock
from tests.support.lock_holder import Holder, holding, refusal_problem
from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE
from tests.support.qgis_process import REPO
from tests.support.summaries_release import HOODS, make_release, points_layer

OCT = REPO / "sample_data" / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"


@pytest.fixture
def hold() -> Iterator[object]:
    """hold(folder): a separate process holding ``folder``'s run lock (a Holder)."""
    with holding() as start:
        yield start


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return make_release(tmp_path_factory.mktemp("run_lock_qgis"))


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _no_lock_files(folder: Path) -> bool:
    return not list(folder.parent.rglob(f"*{LOCK_SUFFIX}"))


def _refused(message: str, folder: Path, holder: Holder, locked: Path) -> None:
    """The refusal is the lock's own text: the folder, the run holding it, no traceback."""
    assert not refusal_problem(message, folder, holder, locked)


# --- Processing --------------------------------------------------------------------------


def test_processing_web_map_is_refused_while_its_month_is_held(provider, tmp_path, hold):
    """export_webmap into a month folder whose release runs (a real process holding the
    month's lock) is refused, the previous map untouched; once the release has ended it
    runs, holding the lock of OUTPUT/map for the whole export (another run is refused while
    it writes), and leaves no lock file."""
    import processing

    month = tmp_path / "2022-10"
    (month / "map").mkdir(parents=True)
    (month / "map" / "index.html").write_text("previous", encoding="utf-8")
    before = _snapshot(month)
    params = {"RELEASE": [str(OCT)], "TILES": 1, "OUTPUT": str(month)}
    holder = hold(month)
    with pytest.raises(QgsProcessingException) as refused:
        processing.run("crime_mapper:export_webmap", params)
    _refused(str(refused.value), month / "map", holder, month)
    assert _snapshot(month) == before
    holder.let_go()

    probes: list[str] = []

    def probe(_progress: float) -> None:
        if probes:
            return
        try:
            with folder_run_lock(month / "map", "a second export"):
                probes.append("taken")
        except FolderBusy as exc:
            probes.append(str(exc))

    feedback = QgsProcessingFeedback()
    feedback.progressChanged.connect(probe)
    result = processing.run("crime_mapper:export_webmap", params, feedback=feedback)
    assert Path(result["INDEX"]).read_text(encoding="utf-8") != "previous"
    assert probes and "Processing crime_mapper:export_webmap, process" in probes[0], probes
    assert _no_lock_files(month)


def test_processing_summaries_are_refused_while_their_folder_is_held(
    provider, release, tmp_path, hold
):
    """neighbourhood_summaries into a held folder is refused with nothing changed; the same
    run once the holder has ended writes the pages."""
    import processing
    from qgis.core import QgsVectorLayer

    out = tmp_path / "2022-10"
    (out / "neighbourhoods").mkdir(parents=True)
    (out / "neighbourhoods" / "index.html").write_text("previous", encoding="utf-8")
    before = _snapshot(out)
    hoods = QgsVectorLayer(str(HOODS / "msoa11_leicestershire.geojson"), "msoa", "ogr")
    params = {
        "RAW_FILES": [str(FORCE_EXTRACT)],
        "PROFILE": str(FORCE_PROFILE),
        "MAP_POINTS": points_layer(release["points"]),
        "LABEL_FIELD": "label",
        "RELEASE": str(release["csv"]),
        "NEIGHBOURHOODS": hoods,
        "CODE_FIELD": "msoa11cd",
        "OUTPUT": str(out),
    }
    holder = hold(out)
    with pytest.raises(QgsProcessingException) as refused:
        processing.run("crime_mapper:neighbourhood_summaries", params)
    _refused(str(refused.value), out, holder, out)
    assert _snapshot(out) == before
    holder.let_go()
    result = processing.run("crime_mapper:neighbourhood_summaries", params)
    assert result["PAGES"] > 0
    assert (out / "neighbourhoods" / "index.html").read_text(encoding="utf-8") != "previous"
    assert _no_lock_files(out)


def test_processing_anonymise_is_refused_while_the_month_above_is_held(
    provider, release, tmp_path, hold
):
    """anonymise writing into ``<month>/public`` while the month's release runs is refused
    (the month folder above is held), the previous public files byte-identical; once free
    it runs."""
    import processing

    month = tmp_path / "2022-10"
    out = month / "public"
    out.mkdir(parents=True)
    (out / "2022-10-leicestershire-street.csv").write_text("previous\n", encoding="utf-8")
    before = _snapshot(month)
    params = {
        "CRIMES_FILES": [str(FORCE_EXTRACT)],
        "PROFILE": str(FORCE_PROFILE),
        "MAP_POINTS": points_layer(release["points"]),
        "LABEL_FIELD": "label",
        "SALT_FILE": str(release["base"] / "secret" / "force.salt"),
        "PUBLIC_CSV": str(out / "2022-10-leicestershire-street.csv"),
        "PUBLIC_LAYER": str(out / "public.gpkg"),
        "AUDIT_JSON": str(out / "audit.json"),
        "AUDIT_HTML": str(out / "audit.html"),
        "MANIFEST": str(out / "manifest.json"),
    }
    holder = hold(month)
    with pytest.raises(QgsProcessingException) as refused:
        processing.run("crime_mapper:anonymise", params)
    _refused(str(refused.value), out, holder, month)
    assert _snapshot(month) == before
    holder.let_go()
    result = processing.run("crime_mapper:anonymise", params)
    assert result["ROWS_IN"] > 0
    assert (out / "2022-10-leicestershire-street.csv").read_text(encoding="utf-8") != "previous\n"
    assert _no_lock_files(month)


# --- the dock ----------------------------------------------------------------------------


def test_the_docks_web_map_is_refused_while_its_month_is_held(
    qgis_iface, tmp_path, wait_until, hold
):
    """The Web map tab's task fails with the lock's words (no traceback), the previous map
    untouched; the same form runs once the month is free."""
    from crime_mapper.ui.webmap_panel import WebmapPanel

    month = tmp_path / "2022-10"
    (month / "map").mkdir(parents=True)
    (month / "map" / "index.html").write_text("previous", encoding="utf-8")
    before = _snapshot(month)
    panel = WebmapPanel(qgis_iface)
    panel.release.setFilePath(str(OCT))
    panel.tiles.setCurrentIndex(1)  # none
    panel.out.setFilePath(str(month))
    holder = hold(month)
    task = panel.start()
    assert task is not None
    wait_until(lambda: not panel._runner.is_running(), "the refused web map task")
    assert panel.last_outcome.startswith("failed: "), panel.last_outcome
    _refused(task.error, month / "map", holder, month)
    assert not task.details  # (no traceback for the log)
    assert _snapshot(month) == before
    holder.let_go()
    panel.start()
    wait_until(lambda: not panel._runner.is_running(), "the web map task")
    assert panel.last_outcome == "completed", panel.last_outcome
    assert (month / "map" / "index.html").read_text(encoding="utf-8") != "previous"
    assert _no_lock_files(month)
    panel.shutdown()


def test_the_docks_web_map_says_a_lock_it_cannot_write(qgis_iface, tmp_path, wait_until):
    """An output folder below a file (no folder can be made there for the lock file) fails
    with words naming the lock file, not the system's "[Errno 20]" and no traceback."""
    from crime_mapper.ui.webmap_panel import WebmapPanel

    blocker = tmp_path / "a file"
    blocker.write_text("not a folder", encoding="utf-8")
    panel = WebmapPanel(qgis_iface)
    panel.release.setFilePath(str(OCT))
    panel.out.setFilePath(str(blocker / "out"))
    task = panel.start()
    assert task is not None
    wait_until(lambda: not panel._runner.is_running(), "the failed web map task")
    assert task.error.startswith(f"{blocker / 'out' / 'map'} was not written: its run lock")
    assert "nothing was read or written" in task.error and not task.details
    assert blocker.read_text(encoding="utf-8") == "not a folder"
    panel.shutdown()


def test_the_docks_summaries_are_refused_while_their_folder_is_held(
    qgis_iface, release, tmp_path, wait_until, hold
):
    """The Summaries tab's task fails with the lock's words, nothing changed; once free
    it runs."""
    from crime_mapper.ui.summaries_panel import SummariesPanel

    out = tmp_path / "2022-10"
    (out / "neighbourhoods").mkdir(parents=True)
    (out / "neighbourhoods" / "index.html").write_text("previous", encoding="utf-8")
    before = _snapshot(out)
    panel = SummariesPanel(qgis_iface)
    panel.release.setFilePath(str(release["csv"]))
    panel.raw.setFilePath(str(FORCE_EXTRACT))
    panel.profile.setFilePath(str(FORCE_PROFILE))
    panel.points.setFilePath(str(release["points"]))
    panel.boundaries.setFilePath(str(HOODS / "msoa11_leicestershire.geojson"))
    panel.code_field.setText("msoa11cd")
    panel.out.setFilePath(str(out))
    holder = hold(out)
    task = panel.start()
    assert task is not None
    wait_until(lambda: not panel._runner.is_running(), "the refused summaries task")
    assert panel.last_outcome.startswith("failed: "), panel.last_outcome
    _refused(task.error, out, holder, out)
    assert not task.details
    assert _snapshot(out) == before
    holder.let_go()
    panel.start()
    wait_until(lambda: not panel._runner.is_running(), "the summaries task")
    assert panel.last_outcome == "completed", panel.last_outcome
    assert (out / "neighbourhoods" / "index.html").read_text(encoding="utf-8") != "previous"
    assert _no_lock_files(out)
    panel.shutdown()


def test_the_docks_anonymise_is_refused_while_its_folder_is_held(
    qgis_iface, qgis_new_project, tmp_path, wait_until, hold
):
    """The Release tab's anonymise task fails with the lock's words (said in its summary,
    with no traceback), the previous release untouched; once free it runs."""
    from crime_mapper.core.release.map_points_files import history_points, write_map_points_gpkg
    from crime_mapper.core.release.release_files import create_salt_file
    from crime_mapper.qgis_bridge.run_load import run_load
    from crime_mapper.ui.release_panel import ReleasePanel

    october = REPO / "sample_data" / "police-uk" / "2022-10.zip"
    load = run_load([october], tmp_path / "load")
    points = tmp_path / "points" / "map_points.gpkg"
    write_map_points_gpkg(history_points([october]), points)
    out = tmp_path / "2022-10"
    out.mkdir()
    (out / "2022-10-leicestershire-street.csv").write_text("previous\n", encoding="utf-8")
    before = _snapshot(out)
    panel = ReleasePanel(qgis_iface)
    panel.set_crimes_source(str(load.gpkg))
    panel.set_points_file(str(points))
    panel.set_salt_path(str(create_salt_file(tmp_path / "secret" / "force.salt")))
    panel.set_output_dir(str(out))
    outcomes: list[bool] = []
    panel.anonymiseFinished.connect(outcomes.append)
    holder = hold(out)
    assert panel.start_anonymise() is True
    task = panel.current_task()
    wait_until(lambda: bool(outcomes), "the refused anonymise")
    assert outcomes == [False]
    _refused(task.error, out, holder, out)
    assert task.summary.startswith("Anonymise did not start: ") and not task.details
    assert _snapshot(out) == before
    holder.let_go()
    assert panel.start_anonymise() is True
    wait_until(lambda: len(outcomes) == 2, "the anonymise")
    assert outcomes == [False, True], panel.summary_view.toPlainText()
    assert (out / "2022-10-leicestershire-street.csv").read_text(encoding="utf-8") != "previous\n"
    assert _no_lock_files(out)
    panel.shutdown()
