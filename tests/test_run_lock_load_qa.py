"""The load and the release QA take their output folder's run lock (core.common.run_lock)
wherever they run: the command line's ``load`` and ``qa``, the Processing algorithms
crime_mapper:load_extracts and crime_mapper:release_qa, and the dock's Load and QA tabs.

Why: the monthly release locks its month folder, whose ``internal/`` holds its load's
rejects and validation report and ``qa/`` its QA report, but these writers took no lock: an
analyst's ``load --out <month>/internal`` (or the QA tab writing ``<month>/qa``) while that
month's scheduled release ran wrote the same files at once with it. Here a real process
holds the lock of the month folder (or of the output folder itself), each writer is refused
with the lock's words naming it, the previous output byte for byte as it was, and runs once
the holder has let go. The "when" page, one named file no release writes, takes no lock
(as publish_hotspots' one GeoPackage): it is written beside a running release.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from qgis.core import QgsProcessingException

from crime_mapper.cli import main
from crime_mapper.core.common.run_lock import LOCK_SUFFIX
from tests.support import qa_faults as faults
from tests.support.lock_holder import Holder, holding, refusal_problem

#: A police.uk street file: a load of it takes about a second
OCT = faults.BUNDLED_MONTH
HISTORY = faults.BUNDLED_HISTORY
#: What the previous run left in the month folder (the writers must leave it as it is)
PREVIOUS = {
    "internal/rejects.csv": "previous rejects\n",
    "internal/validation_report.json": '{"previous": true}\n',
    "internal/crimes.gpkg": "previous crimes\n",
    "qa/qa_report.json": '{"previous": true}\n',
    "qa/qa_report.html": "previous report\n",
}


@pytest.fixture
def hold() -> Iterator[object]:
    """hold(folder): a separate process holding ``folder``'s run lock (a Holder)."""
    with holding() as start:
        yield start


@pytest.fixture
def month(tmp_path: Path) -> Path:
    """A release's month folder holding a previous run's internal and QA outputs."""
    folder = tmp_path / "2022-10"
    for name, text in PREVIOUS.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) with its bytes, but for the holders'
    lock files (a holder of ``<month>/internal`` keeps its lock file in the month folder;
    the writers' are looked for by :func:`_no_lock_files`)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and not p.name.endswith(LOCK_SUFFIX)
    }


def _no_lock_files(folder: Path) -> bool:
    return not list(folder.parent.rglob(f"*{LOCK_SUFFIX}"))


def _refused(message: str, folder: Path, holder: Holder, locked: Path) -> None:
    problem = refusal_problem(message, folder, holder, locked)
    assert not problem, problem


# --- the command line --------------------------------------------------------------------


def test_cli_load_is_refused_while_its_folder_or_the_month_is_held(month, hold, capsys):
    """``load --out <month>/internal`` exits 2 with the lock's words while the month's
    release runs (or another run writes ``internal`` itself), nothing read or written;
    once free it writes the load's files there."""
    internal = month / "internal"
    before = _snapshot(month)
    args = ["load", str(OCT), "--out", str(internal)]
    for held in (month, internal):
        holder = hold(held)
        assert main(args) == 2
        err = capsys.readouterr().err
        _refused(" ".join(err.split()), internal, holder, held)
        assert _snapshot(month) == before
        holder.let_go()
    assert main(args) == 0, capsys.readouterr().err
    report = json.loads((internal / "validation_report.json").read_text(encoding="utf-8"))
    assert report != {"previous": True}
    assert _no_lock_files(month)


def test_cli_qa_is_refused_while_its_folder_or_the_month_is_held(month, hold, capsys, tmp_path):
    """``qa --out <month>/qa`` exits 2 with the lock's words while the month or ``qa`` is
    held, the previous report and the history it would save untouched; once free it runs."""
    qa = month / "qa"
    before = _snapshot(month)
    saved = tmp_path / "history.json"
    args = ["qa", str(OCT), "--history", str(HISTORY), "--out", str(qa),
            "--save-history", str(saved)]  # fmt: skip
    for held in (month, qa):
        holder = hold(held)
        assert main(args) == 2
        err = capsys.readouterr().err
        _refused(" ".join(err.split()), qa, holder, held)
        assert _snapshot(month) == before and not saved.exists()
        holder.let_go()
    assert main(args) == 0, capsys.readouterr().err
    assert json.loads((qa / "qa_report.json").read_text(encoding="utf-8"))["month"] == "2022-10"
    assert saved.is_file()
    assert _no_lock_files(month)


def test_cli_when_writes_its_one_page_beside_a_running_release(month, hold, capsys):
    """The "when" page is one named file that no release writes, so it takes no lock:
    written into the month folder while its release runs, it changes none of the
    release's files (and needs no lock file above the folder it goes in)."""
    before = _snapshot(month)
    holder = hold(month)
    page = month / "qa" / "when.html"
    assert main(["when", str(OCT), "--out", str(page)]) == 0, capsys.readouterr().err
    assert "Do not publish this page." in page.read_text(encoding="utf-8")
    after = _snapshot(month)
    del after["qa/when.html"]
    assert after == before
    holder.let_go()


# --- Processing --------------------------------------------------------------------------


def test_processing_load_is_refused_while_the_month_is_held(provider, month, hold):
    """crime_mapper:load_extracts writing into ``<month>/internal`` (the files the release's
    load writes there) is refused with the lock's words while the month's release runs,
    nothing changed; once free it runs."""
    import processing

    internal = month / "internal"
    before = _snapshot(month)
    params = {
        "INPUT": [str(OCT)],
        "OUTPUT": str(internal / "crimes.gpkg"),
        "REJECTS": str(internal / "rejects.csv"),
        "REPORT": str(internal / "validation_report.json"),
    }
    holder = hold(month)
    with pytest.raises(QgsProcessingException) as refused:
        processing.run("crime_mapper:load_extracts", params)
    _refused(str(refused.value), internal, holder, month)
    assert _snapshot(month) == before
    holder.let_go()
    result = processing.run("crime_mapper:load_extracts", params)
    assert result["CRIMES_COUNT"] > 0
    assert (internal / "rejects.csv").read_text(encoding="utf-8") != "previous rejects\n"
    assert _no_lock_files(month)


def test_processing_load_locks_each_folder_its_outputs_go_in(provider, tmp_path, hold):
    """Outputs in two folders: a held folder of any one of them refuses the run."""
    import processing

    crimes, reports = tmp_path / "crimes", tmp_path / "reports"
    params = {
        "INPUT": [str(OCT)],
        "OUTPUT": str(crimes / "crimes.gpkg"),
        "REJECTS": str(reports / "rejects.csv"),
        "REPORT": str(reports / "validation_report.json"),
    }
    holder = hold(reports)
    with pytest.raises(QgsProcessingException) as refused:
        processing.run("crime_mapper:load_extracts", params)
    _refused(str(refused.value), reports, holder, reports)
    assert not (crimes / "crimes.gpkg").exists() and not (reports / "rejects.csv").exists()
    holder.let_go()


def test_processing_release_qa_is_refused_while_the_month_is_held(provider, month, hold, tmp_path):
    """crime_mapper:release_qa into ``<month>/qa`` is refused with the lock's words while
    the month's release runs, the previous report as it was; once free it runs."""
    import processing

    qa = month / "qa"
    before = _snapshot(month)
    params = {
        "CRIMES_FILES": [str(OCT)],
        "HISTORY": [str(HISTORY)],
        "OUTPUT_FOLDER": str(qa),
        "SAVE_HISTORY": str(tmp_path / "history.json"),
    }
    holder = hold(month)
    with pytest.raises(QgsProcessingException) as refused:
        processing.run("crime_mapper:release_qa", params)
    _refused(str(refused.value), qa, holder, month)
    assert _snapshot(month) == before and not (tmp_path / "history.json").exists()
    holder.let_go()
    result = processing.run("crime_mapper:release_qa", params)
    assert json.loads(Path(result["REPORT_JSON"]).read_text(encoding="utf-8"))["month"] == "2022-10"
    assert _no_lock_files(month)


# --- the dock ----------------------------------------------------------------------------


def test_the_docks_load_is_refused_while_the_month_is_held(dock, month, hold, wait_until):
    """The Load tab's task fails with the lock's words (no traceback), the previous files
    untouched and no layer added; the same form runs once the month is free."""
    from qgis.core import QgsProject

    internal = month / "internal"
    before = _snapshot(month)
    dock.add_inputs([str(OCT)])
    dock.set_output_dir(str(internal))
    outcomes: list[bool] = []
    dock.loadFinished.connect(outcomes.append)
    holder = hold(month)
    assert dock.start_load() is True
    task = dock.current_task()
    wait_until(lambda: bool(outcomes), "the refused load")
    assert outcomes == [False]
    _refused(task.error, internal, holder, month)
    assert not task.details
    assert dock.report_view.toPlainText().startswith("Load did not start: ")
    assert _snapshot(month) == before and QgsProject.instance().count() == 0
    holder.let_go()
    assert dock.start_load() is True
    wait_until(lambda: len(outcomes) == 2, "the load")
    assert outcomes == [False, True], dock.report_view.toPlainText()
    assert (internal / "rejects.csv").read_text(encoding="utf-8") != "previous rejects\n"
    assert _no_lock_files(month)


def test_the_docks_qa_is_refused_while_the_month_is_held(qgis_iface, month, hold, wait_until):
    """The QA tab's task fails with the lock's words, the previous report untouched; once
    free it runs."""
    from crime_mapper.ui.qa_panel import QaPanel

    qa = month / "qa"
    before = _snapshot(month)
    panel = QaPanel(qgis_iface)
    try:
        panel.set_current_files([str(OCT)])
        panel.set_history_files([str(HISTORY)])
        panel.set_output_dir(str(qa))
        outcomes: list[bool] = []
        panel.qaFinished.connect(outcomes.append)
        holder = hold(month)
        assert panel.start_qa() is True
        task = panel.current_task()
        wait_until(lambda: bool(outcomes), "the refused QA")
        assert outcomes == [False]
        _refused(task.error, qa, holder, month)
        assert not task.details
        assert panel.verdict_label.text().startswith("The QA could not run: ")
        assert _snapshot(month) == before and panel.report_json_path() is None
        holder.let_go()
        assert panel.start_qa() is True
        wait_until(lambda: len(outcomes) == 2, "the QA")
        assert outcomes == [False, True], panel.verdict_label.text()
        report = json.loads((qa / "qa_report.json").read_text(encoding="utf-8"))
        assert report["month"] == "2022-10"
        assert _no_lock_files(month)
    finally:
        panel.shutdown()
        panel.deleteLater()
