"""The monthly release keeps each step's warnings: the command line prints them, the
manifest and the dock's saved results hold them, Processing pushes them and the dock shows
them on the message bar and in the log.

Why: the summaries, the web map, the load and the hotspots each warn when run on their own
(a neighbourhood outline repaired, an extract file not read, Gi* on too few cells...), but
inside the monthly release the step record had no place for warnings and they were lost, so
an analyst publishing the month was never told.

Every run is real: the bundled month (sample_data/release.toml) with three real faults, each
a warning of one step: a file among the extracts that is no crime extract (load), the
committed neighbourhood outlines with one ring left unclosed (publish: the summaries and the
web map repair it and say so), and Gi* hexagons so large that fewer than 30 cells hold the
city (hotspots). Release QA and the QGIS project are off (they warn of nothing here).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomllib
from qgis.core import (
    Qgis,
    QgsApplication,
    QgsProcessingAlgRunnerTask,
    QgsProcessingContext,
    QgsProject,
)
from qgis.PyQt.QtCore import Qt

from crime_mapper.core.monthly import toml_lite
from crime_mapper.core.monthly.config import read_config
from crime_mapper.core.monthly.outputs_json import outputs_from_dict, outputs_to_dict
from crime_mapper.core.monthly.release import (
    LoadStep,
    MonthlyOutputs,
    StepRecord,
    StepRunners,
    run_monthly_release,
)
from tests.support.monthly_config import MONTH, SAMPLE, cli, config_file, quick_config
from tests.support.processing_feedback import WarningsFeedback

TIMEOUT_MS = 600_000  # a hang guard only; nothing asserts how long a run took
#: the load's warning: the file among the extracts that is not one
NOT_AN_EXTRACT = "notes.csv: not a crime extract"
#: the publish step's: the words of the summaries and the web map for the ring left unclosed
#: (core.publish.neighbourhoods.problem_warnings: one wording, so said once)
RING = "neighbourhoods: feature 1 (E02002827): ring was not closed; closed it"
#: the hotspots step's (a 4 km hexagon grid holds the city in 29 cells)
FEW_CELLS = "Gi* is unreliable with fewer than 30"


def warned_config(tmp_path: Path) -> Path:
    """The bundled release configuration, with the three faults of the module docstring."""
    path = config_file(tmp_path)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    notes = tmp_path / "notes.csv"
    notes.write_text("officer,remark\nPC 1,nothing to add\n", encoding="utf-8")
    data["load"]["inputs"].append(str(notes))
    outlines = json.loads(
        (SAMPLE / "neighbourhoods" / "msoa11_leicester_city.geojson").read_text(encoding="utf-8")
    )
    outlines["features"][0]["geometry"]["coordinates"][0].pop()  # (its closing vertex)
    boundaries = tmp_path / "neighbourhoods.geojson"
    boundaries.write_text(json.dumps(outlines), encoding="utf-8")
    data["publish"]["neighbourhoods"]["boundaries"] = str(boundaries)
    data["publish"]["project"] = False
    data["qa"]["enabled"] = False
    data["hotspots"].update(kde=False, gi=True, gi_cell_m=4000.0)
    path.write_text(toml_lite.dumps(data), encoding="utf-8")
    return path


def _holding(lines: list[str], text: str) -> list[str]:
    return [line for line in lines if text in line]


# --- the command line and the manifest ------------------------------------------------------


@pytest.fixture(scope="module")
def cli_release(tmp_path_factory):
    """(the release folder, the command line's run) of the warned release, with QGIS."""
    tmp = tmp_path_factory.mktemp("warned")
    run = cli("release", warned_config(tmp), "--month", MONTH)
    return tmp / "out" / MONTH, run


def test_the_command_line_prints_every_steps_warnings(cli_release):
    out, run = cli_release
    # (1: done, but a file among the extracts could not be used, as the load command exits)
    assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-3000:]
    errors = run.stderr.splitlines()
    # as the standalone commands warn: on stderr, each naming its step
    notes = out.parent.parent / "notes.csv"
    assert _holding(errors, f"crime_mapper: warning: load: {notes}: not a crime extract")
    assert len(_holding(errors, NOT_AN_EXTRACT)) == 1, run.stderr
    assert _holding(errors, f"crime_mapper: warning: publish: {RING}"), run.stderr
    assert _holding(errors, "crime_mapper: warning: hotspots: Only 29 cells"), run.stderr
    # and in the summary, under the step that gave them
    summary = run.stdout.split("- publish: done", 1)[1].split("Manifest", 1)[0]
    assert f"    Warning: {RING}" in summary, run.stdout


def test_the_manifest_keeps_each_steps_warnings_once(cli_release):
    out, _run = cli_release
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["manifest_version"] == 3
    warnings = {step["step"]: step["warnings"] for step in manifest["steps"]}
    assert list(warnings) == ["load", "check", "anonymise", "hotspots", "publish"]
    assert all(isinstance(texts, list) for texts in warnings.values())
    assert len(_holding(warnings["load"], NOT_AN_EXTRACT)) == 1
    assert _holding(warnings["hotspots"], FEW_CELLS)
    assert RING in warnings["publish"]
    # the summaries and the web map both repair the ring: said once, in one wording
    assert _holding(warnings["publish"], "ring was not closed") == [RING]
    # the summaries and the web map read the extracts again: the file the load could not
    # use is said once, by the load, not by each step that met it again
    every = [text for texts in warnings.values() for text in texts]
    assert len(every) == len(set(every)), every
    assert not _holding(warnings["publish"], NOT_AN_EXTRACT)


# --- the dock's saved results ---------------------------------------------------------------


def test_saved_results_keep_the_warnings_and_older_ones_still_read(tmp_path):
    outputs = MonthlyOutputs(
        MONTH,
        tmp_path,
        [
            StepRecord("load", "done", warnings=["notes.csv: not a crime extract"]),
            StepRecord("publish", "done", warnings=[RING]),
        ],
        tmp_path / "manifest.json",
    )
    data = json.loads(json.dumps(outputs_to_dict(outputs)))
    assert data["version"] == 4
    again = outputs_from_dict(data)
    assert again.steps == outputs.steps
    assert again.warning_lines() == ["load: notes.csv: not a crime extract", f"publish: {RING}"]
    assert again.warning_lines(steps=["publish"]) == [f"publish: {RING}"]
    # a project saved before (version 1, steps without warnings) still opens
    older = {**data, "version": 1, "steps": [{"name": "load", "status": "done"}]}
    assert outputs_from_dict(older).steps == [StepRecord("load", "done")]
    # warnings of the wrong shape are refused, never read as characters
    hostile = {**data, "steps": [{"name": "load", "status": "done", "warnings": "abc"}]}
    with pytest.raises(ValueError, match="warnings"):
        outputs_from_dict(hostile)
    # and so are the load's facts of the files it could not use
    load = {"written": [], "summary": {}, "reconciles": True}
    for key, said in (("file_errors", "files not used"), ("damaged", "damaged records")):
        for value in ("abc", [1], {"a.csv": "x"}):
            with pytest.raises(ValueError, match=said):
                outputs_from_dict({**data, "load": {**load, key: value}})
    # the anonymise step's too: a text there was read as its characters, one fact each
    # (every release writes its CSV, audit and manifest: an entry without them is refused)
    release = {key: str(tmp_path / key) for key in ("public_csv", "audit_html", "manifest")}
    release.update(audit_json=str(tmp_path / "audit_json"), public_gpkg=None, qml=None)
    release.update(audit={}, file_errors=["a.csv: not read"])
    assert outputs_from_dict({**data, "release": release}).inputs_not_used()[0] == [
        "a.csv: not read"
    ]
    for key in ("warnings", "file_errors", "damaged"):
        with pytest.raises(ValueError, match=f"anonymise step's {key}"):
            outputs_from_dict({**data, "release": {**release, key: "abc"}})


def test_many_warnings_are_cut_short_where_shown_and_kept_whole(tmp_path):
    """A national release's outlines can give hundreds: the command line and the summary
    show 20 of a step's and say how many more; the record keeps every one."""
    record = StepRecord("publish", "done", warnings=[f"ring {i} repaired" for i in range(25)])
    outputs = MonthlyOutputs(MONTH, tmp_path, [record], tmp_path / "manifest.json")
    lines = outputs.warning_lines(per_step=20)
    assert lines[:20] == [f"publish: ring {i} repaired" for i in range(20)]
    assert lines[20:] == ["publish: 5 more warnings (every one is listed in manifest.json)"]
    assert len(outputs.warning_lines()) == 25
    assert "(5 more warnings: every one is listed in manifest.json)" in outputs.summary_text()


# --- Processing -----------------------------------------------------------------------------


def test_processing_pushes_every_steps_warnings(provider, qgis_new_project, qtbot, tmp_path):
    algorithm = (
        QgsApplication.processingRegistry().algorithmById("crime_mapper:monthly_release").create()
    )
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    feedback = WarningsFeedback()
    parameters = {"CONFIG": str(warned_config(tmp_path)), "MONTH": MONTH}
    task = QgsProcessingAlgRunnerTask(algorithm, parameters, context, feedback)
    outcome: list[bool] = []
    task.executed.connect(lambda ok, _results: outcome.append(ok))
    QgsApplication.taskManager().addTask(task)
    qtbot.waitUntil(lambda: bool(outcome), timeout=TIMEOUT_MS)
    assert outcome == [True], feedback.warnings
    assert len(_holding(feedback.warnings, NOT_AN_EXTRACT)) == 1, feedback.warnings
    assert f"publish: {RING}" in feedback.warnings
    assert _holding(feedback.warnings, f"hotspots: Only 29 cells: {FEW_CELLS}")


# --- the dock -------------------------------------------------------------------------------


def test_the_dock_shows_the_releases_warnings(dock, qgis_iface, qtbot, tmp_path):
    """As its Summaries tab shows its own: the first on the message bar with how many more,
    each in the message log; and under its step in the release's summary."""
    logged: list[str] = []

    def log(message: str, tag: str, level: Qgis.MessageLevel) -> None:
        if tag == "crime_mapper" and level == Qgis.MessageLevel.Warning:
            logged.append(message)

    messages = QgsApplication.messageLog()
    messages.messageReceived.connect(log)
    panel = dock.guided_panel
    assert panel.open_config(warned_config(tmp_path))
    panel.set_month(MONTH)
    qgis_iface.messageBar().clear_messages()
    try:
        with qtbot.waitSignal(panel.releaseFinished, timeout=TIMEOUT_MS) as blocker:
            qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    finally:
        messages.messageReceived.disconnect(log)
    assert blocker.args == [True], panel.summary_view.toPlainText()
    bar = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Warning)
    assert _holding(bar, f"Release warning: load: {tmp_path / NOT_AN_EXTRACT}"), bar
    assert _holding(bar, "more in the message log"), bar
    assert _holding(logged, f"publish: {RING}"), logged
    assert _holding(logged, f"hotspots: Only 29 cells: {FEW_CELLS}"), logged
    assert f"    Warning: {RING}" in panel.summary_view.toPlainText()
    # the results saved in the project keep them (read again, the summary still shows them)
    panel.restore()
    assert f"    Warning: {RING}" in panel.summary_view.toPlainText()


# --- warnings kept as said, shown escaped ---------------------------------------------------
# A release QA history file whose folder's name holds a tab and whose own name holds a
# newline and a C1 control (NEL), holding the release month itself: the check step warns
# that the month was left out, naming the file as its name is. The manifest keeps that text
# exactly (it had the escaped text, a literal backslash-n for the newline: a silently
# changed value in the release's record of itself); what a person reads shows it escaped,
# on one line. Hotspots and publishing are off (they have nothing to do with it).


def said_config(tmp_path: Path) -> tuple[Path, str]:
    """(the configuration, the check step's warning as said) for the history file above."""
    path = config_file(tmp_path)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    history = json.loads(
        (SAMPLE / "qa" / "leicester-city-2021-10-to-2022-09.qa_history.json").read_text(
            encoding="utf-8"
        )
    )
    folder = tmp_path / "qa\thistory"
    folder.mkdir()
    later = folder / "release\nmonth\x85.qa_history.json"
    later.write_text(json.dumps([dict(history[-1], month=MONTH)]), encoding="utf-8")
    data["qa"]["history"].append(str(later))
    data["hotspots"]["enabled"] = False
    # (no history: used by neither, the publish step would warn of it too)
    data["publish"].update(web_map=False, summaries=False, project=False, summaries_history=[])
    path.write_text(toml_lite.dumps(data), encoding="utf-8")
    said = (
        f"history month left out: {MONTH} from {later}: not before the release month "
        f"{MONTH}, left out"
    )
    return path, said


def escaped(text: str) -> str:
    """``text`` as a screen shows it on one line: its tab, newline and NEL written out."""
    for char, shown in (("\t", "\\t"), ("\n", "\\n"), ("\x85", "\\x85")):
        text = text.replace(char, shown)
    return text


@pytest.fixture(scope="module")
def said_release(tmp_path_factory):
    """(the release folder, the command line's run, the check step's warning as said)."""
    tmp = tmp_path_factory.mktemp("said")
    path, said = said_config(tmp)
    return tmp / "out" / MONTH, cli("release", path, "--month", MONTH), said


def test_the_manifest_keeps_a_warning_exactly_as_said(said_release):
    out, run, said = said_release
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    warnings = {step["step"]: step["warnings"] for step in manifest["steps"]}
    assert warnings["check"] == [said]
    assert "\n" in said and "\t" in said and "\x85" in said  # (what the test is about)


def test_the_command_line_shows_a_warning_escaped_on_one_line(said_release):
    _out, run, said = said_release
    summary = run.stdout.split("- check: done", 1)[1].split("- anonymise:", 1)[0]
    assert f"\n    Warning: {escaped(said)}\n" in summary, run.stdout
    assert f"\ncrime_mapper: warning: check: {escaped(said)}\n" in run.stderr, run.stderr
    # no part of the file's name starts a line of its own
    lines = run.stdout.splitlines() + run.stderr.splitlines()
    assert not [line for line in lines if line.startswith(("month", "history.qa"))], lines


def test_processing_shows_a_warning_escaped_on_one_line(
    provider, qgis_new_project, qtbot, tmp_path
):
    algorithm = (
        QgsApplication.processingRegistry().algorithmById("crime_mapper:monthly_release").create()
    )
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    feedback = WarningsFeedback()
    path, said = said_config(tmp_path)
    task = QgsProcessingAlgRunnerTask(
        algorithm, {"CONFIG": str(path), "MONTH": MONTH}, context, feedback
    )
    outcome: list[tuple[bool, dict]] = []
    task.executed.connect(lambda ok, results: outcome.append((ok, results)))
    QgsApplication.taskManager().addTask(task)
    qtbot.waitUntil(lambda: bool(outcome), timeout=TIMEOUT_MS)
    ok, results = outcome[0]
    assert ok, feedback.warnings
    assert feedback.warnings == [f"check: {escaped(said)}"]
    assert f"\n    Warning: {escaped(said)}\n" in results["SUMMARY"]
    manifest = json.loads(Path(results["MANIFEST"]).read_text(encoding="utf-8"))
    assert [step["warnings"] for step in manifest["steps"] if step["step"] == "check"] == [[said]]


def test_the_dock_shows_a_warning_escaped_on_one_line(dock, qgis_iface, qtbot, tmp_path):
    """On the message bar and in the release's summary, also once the results are read back
    from the project (saved as said: the manifest's text, read back the same)."""
    panel = dock.guided_panel
    path, said = said_config(tmp_path)
    assert panel.open_config(path)
    panel.set_month(MONTH)
    qgis_iface.messageBar().clear_messages()
    with qtbot.waitSignal(panel.releaseFinished, timeout=TIMEOUT_MS) as blocker:
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [True], panel.summary_view.toPlainText()
    bar = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Warning)
    assert _holding(bar, f"Release warning: check: {escaped(said)}"), bar
    assert f"\n    Warning: {escaped(said)}\n" in panel.summary_view.toPlainText()
    assert [step.warnings for step in panel._outputs.steps if step.name == "check"] == [[said]]
    panel.restore()
    assert f"\n    Warning: {escaped(said)}\n" in panel.summary_view.toPlainText()
    assert [step.warnings for step in panel._outputs.steps if step.name == "check"] == [[said]]


def test_a_release_run_step_by_step_keeps_a_warning_exactly_as_said(tmp_path):
    """As the dock runs it one step at a time: the earlier steps' results go through JSON
    (core.monthly.outputs_json, as the dock hands them to the next step's process) and the
    manifest written at the end holds the warning as said."""
    path, said = said_config(tmp_path)
    config = read_config(path)
    first = run_monthly_release(config, MONTH, runners=StepRunners(), steps=("load", "check"))
    handed = outputs_from_dict(json.loads(json.dumps(outputs_to_dict(first))))
    assert handed.warning_lines() == [f"check: {escaped(said)}"]
    rest = ("anonymise", "hotspots", "publish")
    done = run_monthly_release(config, MONTH, runners=StepRunners(), steps=rest, previous=handed)
    manifest = json.loads(done.manifest.read_text(encoding="utf-8"))
    assert [step["warnings"] for step in manifest["steps"] if step["step"] == "check"] == [[said]]


class SayingRunners(StepRunners):
    """The plain step runners, whose load also says ``extra`` after the real load's
    warnings. Why: no step of the bundled month gives two warnings that differ only in how a
    control character is written, as files named ``a`` + newline + ``b.csv`` and ``a\\nb.csv``
    (a backslash and an n) would."""

    def __init__(self, extra: list[str]) -> None:
        super().__init__()
        self.extra = extra

    def load(self, *args, **kwargs) -> LoadStep:
        made = super().load(*args, **kwargs)
        made.warnings += self.extra
        return made


def test_warnings_are_said_once_exactly_when_their_texts_are_the_same(tmp_path):
    extra = ["a\nb.csv: not read", "a\\nb.csv: not read", "a\nb.csv: not read"]
    done = run_monthly_release(quick_config(tmp_path), MONTH, runners=SayingRunners(extra))
    # two texts, the first said twice: each kept, once
    assert done.step("load").warnings == extra[:2]
    # (shown alike, each on one line: the manifest tells them apart)
    assert done.warning_lines() == ["load: a\\nb.csv: not read"] * 2
