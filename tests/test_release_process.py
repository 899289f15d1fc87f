"""The dock's child-process release (qgis_bridge.release_process, release_child): finding the
Python to run it inside QGIS, the protocol's refusals, and the outputs' round trip through
JSON (what the dock keeps in the project and hands to a later single step).

The whole path (dock -> child -> files, cancel, single steps) is driven in
tests/test_guided_release.py; these are the parts that do not need a release to run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from crime_mapper.core.monthly.outputs_json import outputs_from_dict, outputs_to_dict
from crime_mapper.core.monthly.release import LoadStep, MonthlyOutputs, StepRecord
from crime_mapper.core.release.pipeline import ReleaseOutputs
from crime_mapper.qgis_bridge import release_process
from crime_mapper.qgis_bridge.release_process import (
    PythonNotFound,
    child_environment,
    find_python,
    hotspot_from_dict,
)

VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"


def _version(python: str) -> str:
    done = subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_inside_qgis_sys_executable_is_not_python_yet_one_is_found(monkeypatch, tmp_path):
    """In the QGIS desktop sys.executable is the QGIS program: the child's Python is found
    beside QGIS's Python or on PATH, with the same version."""
    qgis = tmp_path / "qgis"
    qgis.write_text("#!/bin/sh\nexit 3\n")
    qgis.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(qgis))
    monkeypatch.delenv("CRIME_MAPPER_PYTHON", raising=False)
    python = find_python()
    assert Path(python).name.startswith("python") and python != str(qgis)
    assert _version(python) == VERSION


def test_a_named_python_is_used_or_refused_with_what_to_set(monkeypatch, tmp_path):
    monkeypatch.setenv("CRIME_MAPPER_PYTHON", sys.executable)
    assert find_python() == sys.executable
    fake = tmp_path / "python-elsewhere"
    fake.write_text("#!/bin/sh\necho 2.7\n")
    fake.chmod(0o755)
    monkeypatch.setenv("CRIME_MAPPER_PYTHON", str(fake))
    with pytest.raises(PythonNotFound) as caught:
        find_python()
    text = str(caught.value)
    assert str(fake) in text and "Python 2.7" in text
    assert "CRIME_MAPPER_PYTHON" in text and "crime_mapper/release/python" in text


def test_the_child_gets_the_docks_import_path_first(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/somewhere/else")
    env = child_environment()
    entries = env["PYTHONPATH"].split(":")
    assert entries[0] == str(release_process.PACKAGE_PARENT)
    assert "/somewhere/else" in entries  # extended, never replaced


@pytest.mark.parametrize("request_line", ["", "not json\n", "[1, 2]\n", '{"config": 1}\n'])
def test_the_child_refuses_a_bad_request_in_words(request_line):
    child = subprocess.run(
        [sys.executable, "-m", release_process.CHILD_MODULE],
        input=request_line,
        capture_output=True,
        text=True,
        env=child_environment(),
        timeout=120,
        check=False,
    )
    lines = [json.loads(line) for line in child.stdout.splitlines()]
    assert child.returncode == 4, child.stderr[-2000:]
    assert [event["event"] for event in lines] == ["error"]
    assert "the dock's request could not be read" in lines[0]["message"]


def test_outputs_round_trip_through_json(tmp_path):
    out = tmp_path / "2022-10"
    release = ReleaseOutputs(
        public_csv=out / "public" / "a.csv",
        public_gpkg=out / "public" / "a.gpkg",
        audit_json=out / "public" / "audit.json",
        audit_html=out / "public" / "audit.html",
        manifest=out / "public" / "release_manifest.json",
        qml=None,
        audit={"categories": [{"category": "Drugs", "published_at_map_point": 3}]},
        rows_in=3,
        published_rows=3,
        gate_passed=True,
        reconciles=True,
    )
    outputs = MonthlyOutputs(
        "2022-10",
        out,
        [StepRecord("load", "done", [out / "internal" / "crimes.gpkg"], {"rows_read": 3})],
        out / "manifest.json",
        release=release,
        load=LoadStep([out / "x"], str(out / "internal" / "crimes.gpkg"), {}, True),
        hotspots=[
            {
                "kind": "kde",
                "path": str(out / "internal" / "k.tif"),
                "title": "KDE",
                "legend_text": "",
                "crs": "EPSG:27700",
                "crimes": 3,
                "cells": 9,
            }
        ],
        qa_report=out / "qa" / "qa_report.json",
    )
    data = json.loads(json.dumps(outputs_to_dict(outputs)))
    again = outputs_from_dict(data, hotspot_from_dict)
    assert again.release == release
    assert again.steps == outputs.steps
    assert again.load.crimes == str(out / "internal" / "crimes.gpkg")
    assert again.hotspots[0].path == out / "internal" / "k.tif" and again.hotspots[0].is_raster
    assert again.qa_report == outputs.qa_report
    back = outputs_to_dict(again)
    assert {k: v for k, v in back.items() if k != "hotspots"} == {
        k: v for k, v in data.items() if k != "hotspots"
    }
    assert outputs_to_dict(outputs_from_dict(back, hotspot_from_dict)) == back  # stable
    with pytest.raises(ValueError):
        outputs_from_dict({**data, "version": 99})
    with pytest.raises(ValueError):
        outputs_from_dict({"version": 1})


# --- the child's release, driven as the dock drives it -------------------------------------

#: Runs the child module as ``python -m`` does, noting every fork of this process first (the
#: caller of core.common.forked for each): the at-fork hook only watches, it changes nothing.
FORK_WATCH = """
import os, runpy, sys, traceback
marks = sys.argv.pop(1)
def note():
    files = [f.filename.replace(os.sep, "/") for f in traceback.extract_stack()]
    ours = [f.split("/crime_mapper/", 1)[1] for f in files if "/crime_mapper/" in f]
    caller = [f for f in ours if f != "core/common/forked.py"][-1] if ours else "?"
    with open(marks, "a", encoding="utf-8") as out:
        out.write(f"{os.getpid()} {caller}\\n")
def born():
    with open(marks, "a", encoding="utf-8") as out:
        out.write(f"{os.getpid()} child\\n")
os.register_at_fork(before=note, after_in_child=born)
runpy.run_module("crime_mapper.qgis_bridge.release_child", run_name="__main__", alter_sys=True)
"""

#: what the command line's release forks on the bundled month (core.common.forked callers):
#: the load's tables, the public GeoPackage beside the CSV, the web map beside the summaries
CLI_FORKS = {"qgis_bridge/run_load.py", "core/release/gpkg_beside.py", "core/monthly/release.py"}


def _start_child(tmp_path: Path, config_path: Path, marks: Path) -> subprocess.Popen:
    from crime_mapper.core.monthly.config import read_config

    child = subprocess.Popen(
        [sys.executable, "-c", FORK_WATCH, str(marks)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "child.err").open("w"),
        env=child_environment(),
        cwd=str(release_process.PACKAGE_PARENT),
        text=True,
        encoding="utf-8",
        bufsize=1,
    )
    request = release_process.child_request(read_config(config_path), "2022-10")
    assert child.stdin is not None
    child.stdin.write(json.dumps(request) + "\n")
    child.stdin.flush()
    return child


def _events_until_end(
    child: subprocess.Popen, cancel_at: str = "", cancel_when_ready_in: str = ""
) -> list[dict]:
    """The child's events to its last, each ``ready`` answered as the dock answers it;
    ``cancel_at``: the dock's Cancel (``cancel``, input closed) once that step has started;
    ``cancel_when_ready_in``: the Cancel pressed only when that step asks to commit (after
    its last check: the child can no longer see it by looking at its input)."""
    from crime_mapper.core.common.child_lines import answer_commit, parse_event, send_cancel
    from crime_mapper.core.common.feedback import Feedback

    class Dock(Feedback):
        cancelled = False

        def is_cancelled(self) -> bool:
            return self.cancelled

    dock = Dock()
    assert child.stdout is not None
    events = []
    step = ""
    for line in child.stdout:
        event = parse_event(line)
        assert event is not None, line
        events.append(event)
        if event.get("event") == "step" and event.get("state") == "running":
            step = event["step"]
        if event.get("event") == "ready":
            dock.cancelled = dock.cancelled or step == cancel_when_ready_in
            answer_commit(child, dock)
        if cancel_at and event == {"event": "step", "step": cancel_at, "state": "running"}:
            dock.cancelled = True
            send_cancel(child)
    child.wait(timeout=300)
    return events


def _forks(marks: Path, pid: int) -> set[str]:
    """Who forked the process ``pid`` (not its own children, which may fork too)."""
    if not marks.exists():
        return set()
    lines = [line.split(" ", 1) for line in marks.read_text(encoding="utf-8").splitlines()]
    return {caller for who, caller in lines if int(who) == pid and caller != "child"}


def _children_alive(marks: Path) -> list[int]:
    """The forked children (noted as each started) still running: none once the release
    has ended, whatever stopped it."""
    alive = []
    text = marks.read_text(encoding="utf-8") if marks.exists() else ""
    for who, what in (line.split(" ", 1) for line in text.splitlines()):
        status = Path("/proc") / who / "status"
        try:
            state = [x for x in status.read_text().splitlines() if x.startswith("State:")]
        except OSError:
            continue  # gone
        if what == "child" and state and "Z" not in state[0].split()[1]:
            alive.append(int(who))
    return alive


@pytest.fixture(scope="module")
def dock_release(tmp_path_factory) -> tuple[Path, Path, list[dict], set[str]]:
    """The bundled month released by the dock's child process, as the dock starts it."""
    from tests.support.monthly_config import config_file

    tmp = tmp_path_factory.mktemp("dock_child")
    config_path = config_file(tmp)
    marks = tmp / "forks.txt"
    child = _start_child(tmp, config_path, marks)
    events = _events_until_end(child)
    assert child.returncode == 0, (tmp / "child.err").read_text()[-3000:]
    return tmp, config_path, events, _forks(marks, child.pid)


def test_the_docks_release_forks_its_work_beside_as_the_command_line_does(dock_release):
    """The child watches the dock's input without a thread (core.common.child_lines
    .StdinWatch), so core.common.forked.alone() holds and the release forks the load's
    tables, the public GeoPackage and the web map beside the rest, as the command line's
    release does; with a thread reading the input, none of them was forked."""
    _tmp, _config, events, forks = dock_release
    assert events[-1]["event"] == "finished"
    from crime_mapper.core.common import forked

    assert forks >= CLI_FORKS if forked.available() else not forks


def test_the_docks_release_writes_the_command_lines_bytes(dock_release):
    from tests.support.monthly_config import MONTH, cli, folder_files

    tmp, config_path, _events, _forks = dock_release
    again = tmp / "cli"
    again.mkdir()
    text = config_path.read_text(encoding="utf-8").replace(str(tmp / "out"), str(again / "out"))
    (again / "release.toml").write_text(text, encoding="utf-8")
    done = cli("release", again / "release.toml", "--month", MONTH)
    assert done.returncode == 0, done.stderr[-3000:]
    dock_files = folder_files(tmp / "out" / MONTH)
    cli_files = folder_files(again / "out" / MONTH)
    assert dock_files.keys() == cli_files.keys()
    # the manifests name their own folder; every other file is the same bytes
    differ = [name for name in dock_files if dock_files[name] != cli_files[name]]
    assert all(name.endswith("manifest.json") for name in differ), differ


@pytest.mark.parametrize("step", ["load", "check", "anonymise", "hotspots", "publish"])
def test_a_cancel_during_each_step_stops_the_child_and_keeps_the_outputs(dock_release, step):
    """Cancel reaches the run through the thread-less watch in every step, forked children
    included: the child says cancelled, earlier outputs stay byte-identical, nothing staged
    is left and no process of the release is left running."""
    from tests.support.monthly_config import MONTH, folder_files

    tmp, config_path, _events, _forks = dock_release
    out = tmp / "out" / MONTH
    before = folder_files(out)
    marks = tmp / f"forks-{step}.txt"
    child = _start_child(tmp, config_path, marks)
    events = _events_until_end(child, cancel_at=step)
    assert events[-1]["event"] == "cancelled", (tmp / "child.err").read_text()[-3000:]
    assert child.returncode == 3
    # the step that was running, or (a short step may end before the cancel is seen) a
    # later one, is the one stopped (the dock shows it cancelled); none after it ran; the
    # load too if its files were still being written (core.monthly.release._settle_load)
    order = ["load", "check", "anonymise", "hotspots", "publish"]
    states = [(e["step"], e["state"]) for e in events if e["event"] == "step"]
    stopped = [name for name, state in states if state == "failed"]
    assert states[-1] == (stopped[-1], "failed"), states
    assert order.index(stopped[-1]) >= order.index(step), states
    assert set(stopped[:-1]) <= {"load"}, states
    assert folder_files(out) == before
    assert not [p for p in out.rglob("*") if p.name.startswith(".crime_mapper-stage")]
    assert not _children_alive(marks)


@pytest.mark.parametrize("step", ["load", "check", "anonymise", "hotspots", "publish"])
def test_a_cancel_pressed_when_a_step_asks_to_commit_is_kept_to(dock_release, step):
    """The dock's Cancel pressed after a step's last check, as the step asks to commit: the
    step's outputs are not moved into place (before, the child committed without asking and
    only saw the Cancel at the next step), the child says cancelled and the previous outputs
    stay byte-identical."""
    from tests.support.monthly_config import MONTH, folder_files

    tmp, config_path, _events, _forks = dock_release
    out = tmp / "out" / MONTH
    before = folder_files(out)
    child = _start_child(tmp, config_path, tmp / f"forks-ready-{step}.txt")
    events = _events_until_end(child, cancel_when_ready_in=step)
    assert events[-1]["event"] == "cancelled", (tmp / "child.err").read_text()[-3000:]
    states = [(e["step"], e["state"]) for e in events if e["event"] == "step"]
    assert (step, "done") not in states and states[-1] == (step, "failed"), states
    assert folder_files(out) == before
    assert not [p for p in out.rglob("*") if p.name.startswith(".crime_mapper-stage")]


def test_every_commit_of_the_docks_release_is_asked_for(dock_release):
    """Each step that writes commits only once the dock has answered."""
    _tmp, _config, events, _forks = dock_release
    step, asked = "", set()
    for event in events:
        if event["event"] == "step" and event["state"] == "running":
            step = event["step"]
        if event["event"] == "ready":
            asked.add(step)
    assert asked == {"load", "check", "anonymise", "hotspots", "publish"}, asked


# --- the task's side --------------------------------------------------------------------------


def test_the_task_answers_the_question_with_the_users_cancel(dock_release, monkeypatch):
    """The real task and child: the user cancels as the first step asks to commit. The task
    answers ``cancel``, the step's outputs are not moved in, the task reports Cancelled."""
    from crime_mapper.core.monthly.config import read_config
    from tests.support.monthly_config import MONTH, folder_files

    tmp, config_path, _events, _forks = dock_release
    out = tmp / "out" / MONTH
    before = folder_files(out)
    answers: list[bool] = []
    answer = release_process.answer_commit

    def user_cancels_then_answer(child, feedback):
        task.cancel()
        answers.append(answer(child, feedback))
        return answers[-1]

    monkeypatch.setattr(release_process, "answer_commit", user_cancels_then_answer)
    task = release_process.ChildReleaseTask(read_config(config_path), MONTH, other_crimes=[])
    assert not task.run()
    assert task.error == "Cancelled" and answers == [False], (task.error, answers)
    assert folder_files(out) == before


@pytest.mark.parametrize("body", ['echo \'{"event": "error", "message": "no"}\'', "exit 3"])
def test_the_tasks_pipes_to_its_child_are_closed_when_it_ends(tmp_path, monkeypatch, body):
    """A child that answers (here, with an error) or dies: once the task's run ends, its
    side of the child's stdin and stdout is closed (a QGIS session would otherwise keep two
    descriptors per release until the garbage collector came by)."""
    import stat

    from crime_mapper.core.monthly.config import read_config
    from tests.support.monthly_config import config_file

    script = tmp_path / "python"
    script.write_text("#!/bin/sh\nread line\n" + body + "\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(release_process, "find_python", lambda: str(script))
    made: list[subprocess.Popen] = []
    popen = subprocess.Popen

    def spy(*args, **kwargs):
        made.append(popen(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(release_process.subprocess, "Popen", spy)
    task = release_process.ChildReleaseTask(
        read_config(config_file(tmp_path)), "2022-10", other_crimes=[]
    )
    assert not task.run()
    assert task.error
    assert len(made) == 1 and made[0].poll() is not None
    assert made[0].stdin.closed and made[0].stdout.closed
