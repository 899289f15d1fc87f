"""crime_mapper:anonymise's release in a Python process of its own
(qgis_bridge.anonymise_process and anonymise_child): the same files as the release made in
QGIS's process, the same errors, and a child that fails, dies, hangs, sends garbage or is
cancelled never passes and never replaces the previous release."""

from __future__ import annotations

import json
import os
import signal
import stat
import sys
import time
from pathlib import Path

import pytest
from qgis.core import QgsApplication, QgsProcessingContext, QgsProcessingFeedback

from crime_mapper.core.common.child_lines import StdinWatch
from crime_mapper.core.common.feedback import Cancelled, Feedback
from crime_mapper.core.gate.leak_gate import LeakError
from crime_mapper.core.release.map_points_files import MapPointsSpec
from crime_mapper.core.release.release_files import ReleaseInputError, create_salt_file
from crime_mapper.qgis_bridge import anonymise_process as beside
from crime_mapper.qgis_bridge.run_anonymise import run_anonymise
from crime_mapper.qgis_bridge.run_load import run_load

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "police-uk"
LEICS_SEP = SAMPLE / "2022-09"
LEICS_OCT_ZIP = SAMPLE / "2022-10.zip"
NAMES = {
    "public_csv_path": "2022-09_2022-10-leicestershire-street.csv",
    "public_gpkg_path": "public.gpkg",
    "audit_json_path": "audit.json",
    "audit_html_path": "audit.html",
    "manifest_path": "manifest.json",
}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, provider) -> dict:
    """A Leicestershire load (Sep + Oct 2022), map points derived from the same months (a
    map points GeoPackage, as build_map_points writes it) and a salt."""
    import processing

    base = tmp_path_factory.mktemp("beside_inputs")
    load = run_load([LEICS_SEP, LEICS_OCT_ZIP], base / "load")
    points = base / "points" / "map_points.gpkg"
    processing.run(
        "crime_mapper:build_map_points",
        {"MODE": 1, "HISTORY": f"{LEICS_SEP};{LEICS_OCT_ZIP}", "OUTPUT": str(points)},
    )
    salt = create_salt_file(base / "secrets" / "force.salt")
    return {"crimes": load.crimes_uri, "points": str(points), "salt": str(salt)}


def _paths(out: Path) -> dict:
    return {key: str(out / name) for key, name in NAMES.items()}


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def _script(tmp_path: Path, name: str, body: str) -> str:
    """A stand-in for the child's interpreter: a shell script that ignores its arguments."""
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def _release(inputs: dict, out: Path, **extra) -> dict:
    return {"salt_file": inputs["salt"], "max_distance_m": 20000.0, **_paths(out), **extra}


class _Progress(Feedback):
    """Remembers the progress the child reported; cancels once it passes ``cancel_at``."""

    def __init__(self, cancel_at: float = 101.0, on_progress=None) -> None:
        self.values: list[float] = []
        self.cancel_at = cancel_at
        self.on_progress = on_progress

    def set_progress(self, percent: float) -> None:
        self.values.append(percent)
        if self.on_progress is not None:
            self.on_progress(percent)

    def is_cancelled(self) -> bool:
        return bool(self.values) and self.values[-1] >= self.cancel_at


# --- the same files -------------------------------------------------------------------------


def test_the_child_writes_the_release_qgis_writes_byte_for_byte(inputs, tmp_path):
    here, there = tmp_path / "here", tmp_path / "there"
    made_here = run_anonymise(inputs["crimes"], inputs["points"], **_release(inputs, here))
    assert beside.child_request(inputs["crimes"], inputs["points"], **_release(inputs, there))
    feedback = _Progress()
    made_there = beside.run_anonymise_beside(
        inputs["crimes"], inputs["points"], feedback=feedback, **_release(inputs, there)
    )
    assert _snapshot(here) == _snapshot(there)
    assert sorted(p.name for p in here.iterdir()) == sorted(
        [*NAMES.values(), "public.qml"]
    )  # the style too, as QGIS wrote it
    assert made_there.qml == there / "public.qml"
    assert made_there.summary_text() == made_here.summary_text().replace(str(here), str(there))
    assert (made_there.rows_in, made_there.published_rows) == (
        made_here.rows_in,
        made_here.published_rows,
    )
    assert made_there.audit == made_here.audit
    assert feedback.values and feedback.values[-1] == 100.0  # the child's progress came back


def test_the_childs_pipes_are_closed_when_it_ends(inputs, tmp_path):
    """A release run in the child, one refused there, and a child started for nothing:
    this side of its stdin and stdout is closed each time (a QGIS session would otherwise
    keep two descriptors per release until the garbage collector came by)."""
    started = beside.start_child()
    assert started is not None
    beside.run_anonymise_beside(
        inputs["crimes"], inputs["points"], started=started, **_release(inputs, tmp_path / "a")
    )
    refused = beside.start_child()
    assert refused is not None
    with pytest.raises(ReleaseInputError):
        beside.run_anonymise_beside(
            inputs["crimes"], inputs["points"], started=refused,
            **_release(inputs, tmp_path / "b", max_distance_m=-5),
        )  # fmt: skip
    unused = beside.start_child()
    assert unused is not None
    unused.discard()
    for child in (started, refused, unused):
        assert child.process.poll() is not None
        assert child.process.stdin.closed and child.process.stdout.closed


def test_the_toolbox_algorithm_gives_the_same_bytes_as_the_release_here(provider, inputs, tmp_path):
    import processing

    here, there = tmp_path / "here", tmp_path / "there"
    run_anonymise(inputs["crimes"], inputs["points"], **_release(inputs, here))
    processing.run(
        "crime_mapper:anonymise",
        {
            "CRIMES": inputs["crimes"],
            "MAP_POINTS": inputs["points"],
            "SALT_FILE": inputs["salt"],
            "PUBLIC_CSV": str(there / NAMES["public_csv_path"]),
            "PUBLIC_LAYER": str(there / NAMES["public_gpkg_path"]),
            "AUDIT_JSON": str(there / NAMES["audit_json_path"]),
            "AUDIT_HTML": str(there / NAMES["audit_html_path"]),
            "MANIFEST": str(there / NAMES["manifest_path"]),
        },
    )
    assert _snapshot(here) == _snapshot(there)


def test_inputs_only_qgis_can_read_stay_in_this_process(inputs, tmp_path):
    spec = MapPointsSpec("file", paths=[inputs["points"]], description="map points file x")
    request = beside.child_request(inputs["crimes"], spec, **_release(inputs, tmp_path))
    assert request is not None and request["points"]["paths"] == [inputs["points"]]
    layer_spec = MapPointsSpec("points", source=object(), label_field="label")
    assert beside.child_request(inputs["crimes"], layer_spec, **_release(inputs, tmp_path)) is None
    assert beside.child_request(object(), spec, **_release(inputs, tmp_path)) is None
    unknown = _release(inputs, tmp_path, style_writer=None)
    assert beside.child_request(inputs["crimes"], spec, **unknown) is None
    from crime_mapper.core.release.rules import DEFAULT_RULES

    in_memory = _release(inputs, tmp_path, rules=DEFAULT_RULES)
    assert beside.child_request(inputs["crimes"], spec, **in_memory) is None


def test_the_child_interpreter_is_this_very_version_when_there_is_one():
    exact = ".".join(str(p) for p in sys.version_info[:3])
    minor = ".".join(str(p) for p in sys.version_info[:2])
    other = f"{minor}.{sys.version_info[2] + 1}"
    asked: list[str] = []

    def version_of(versions: dict):
        def ask(candidate: str):
            asked.append(candidate)
            return versions[candidate]

        return ask

    versions = {"a": other, "b": None, "c": exact, "d": exact}
    assert beside.first_python(version_of(versions), list(versions)) == "c"
    assert asked == ["a", "b", "c"]  # stops at the first exact one
    versions = {"a": "2.7.18", "b": other, "c": f"{minor}.0"}
    assert beside.first_python(version_of(versions), list(versions)) == "b"
    assert beside.first_python(version_of({"a": "2.7.18"}), ["a"]) is None
    assert beside.python_version(sys.executable) == exact
    assert beside.python_version("/no/such/python") is None


def test_a_child_started_early_is_stopped_when_the_release_stays_here(inputs, tmp_path):
    started = beside.start_child()
    assert started is not None
    layer_spec = MapPointsSpec("ready", points=_points_of(inputs))
    out = tmp_path / "release"
    beside.run_anonymise_beside(
        inputs["crimes"], layer_spec, started=started, **_release(inputs, out)
    )
    assert started.process.poll() is not None  # stopped, and reaped
    assert (out / NAMES["public_csv_path"]).is_file()
    started.discard()  # (again: nothing happens)


def test_a_child_started_for_nothing_is_stopped(provider, inputs, tmp_path):
    started = beside.start_child()
    assert started is not None and started.process.poll() is None
    started.discard()
    assert started.process.poll() is not None
    alg = QgsApplication.processingRegistry().createAlgorithmById("crime_mapper:anonymise")
    _, ok = alg.run(  # a bad parameter: the algorithm's own child is stopped the same way
        {"CRIMES": inputs["crimes"], "SALT_FILE": inputs["salt"]},
        QgsProcessingContext(),
        QgsProcessingFeedback(),
    )
    assert not ok
    assert not _children()


def _points_of(inputs: dict):
    from crime_mapper.core.release.map_points_files import read_map_points_file

    return read_map_points_file(inputs["points"])


# --- the same errors ------------------------------------------------------------------------


def test_a_bad_input_in_the_child_is_the_same_error_and_touches_nothing(inputs, tmp_path):
    out = tmp_path / "release"
    run_anonymise(inputs["crimes"], inputs["points"], **_release(inputs, out))
    before = _snapshot(out)
    with pytest.raises(ReleaseInputError) as here:
        run_anonymise(
            inputs["crimes"], inputs["points"], **_release(inputs, out, max_distance_m=-5)
        )
    with pytest.raises(ReleaseInputError) as there:
        beside.run_anonymise_beside(
            inputs["crimes"], inputs["points"], **_release(inputs, out, max_distance_m=-5)
        )
    assert str(there.value) == str(here.value)
    assert _snapshot(out) == before


@pytest.mark.parametrize(
    "kind, error",
    [
        ("leak", LeakError),
        ("input", ReleaseInputError),
        ("cancelled", Cancelled),
        ("os", OSError),
        ("value", ValueError),
    ],
)
def test_the_childs_refusals_are_raised_as_the_release_here_raises_them(
    inputs, tmp_path, kind, error
):
    message = "Leak gate FAILED for public.gpkg: check_x (1 example)"
    event = json.dumps({"event": "failed", "kind": kind, "message": message})
    python = _script(tmp_path, "python", f"cat > /dev/null &\necho '{event}'\nexit 2")
    with pytest.raises(error) as raised:
        beside.run_anonymise_beside(
            inputs["crimes"], inputs["points"], python=python, **_release(inputs, tmp_path / "o")
        )
    assert type(raised.value) is error
    assert str(raised.value) == message


# --- a child that fails closed --------------------------------------------------------------


@pytest.mark.parametrize(
    "body, words",
    [
        ("exit 0", "ended without a result"),  # says nothing at all
        ("kill -9 $$", "ended without a result"),  # dies
        ("echo 'no json here'; echo '[1, 2]'; exit 0", "ended without a result"),  # garbage
        (
            'echo \'{"event": "finished", "outputs": {"nothing": 1}}\'; exit 0',
            "results could not be read",
        ),  # a finish that is not a release
        (
            'echo \'{"event": "finished", "outputs": {}}\'; exit 3',
            "ended without a result",
        ),  # a finish, but the process failed after it
        (
            'echo \'{"event": "error", "message": "KeyError: x", "details": "tb"}\'; exit 4',
            "KeyError: x",
        ),
        ('echo \'{"event": "failed", "kind": "what", "message": "odd"}\'; exit 2', "odd"),
    ],
)
def test_a_child_that_fails_or_lies_never_passes(inputs, tmp_path, body, words):
    out = tmp_path / "release"
    run_anonymise(inputs["crimes"], inputs["points"], **_release(inputs, out))
    before = _snapshot(out)
    python = _script(tmp_path, "python", "cat > /dev/null &\n" + body)
    with pytest.raises(beside.ChildFailed, match=words):
        beside.run_anonymise_beside(
            inputs["crimes"], inputs["points"], python=python, **_release(inputs, out)
        )
    assert _snapshot(out) == before


def test_a_child_that_cannot_start_is_an_error(inputs, tmp_path):
    with pytest.raises(beside.ChildFailed, match="could not start"):
        beside.run_anonymise_beside(
            inputs["crimes"],
            inputs["points"],
            python=str(tmp_path / "no-such-python"),
            **_release(inputs, tmp_path / "out"),
        )
    assert not (tmp_path / "out").exists()


def test_a_silent_child_is_taken_as_hung_killed_and_refused(inputs, tmp_path, monkeypatch):
    monkeypatch.setattr(beside, "SILENCE_S", 1.0)
    marker = tmp_path / "grandchild-alive"
    python = _script(
        tmp_path,
        "python",
        # it and a process it started both hang; both must go
        f'(sleep 3; touch {marker}) &\necho \'{{"event": "progress", "value": 5}}\'\n'
        "exec sleep 600",
    )
    with pytest.raises(beside.ChildFailed, match="said nothing"):
        beside.run_anonymise_beside(
            inputs["crimes"],
            inputs["points"],
            python=python,
            **_release(inputs, tmp_path / "out"),
        )
    import time

    time.sleep(3.5)
    assert not marker.exists()


def test_a_hung_child_is_stopped_on_cancel(inputs, tmp_path, monkeypatch):
    monkeypatch.setattr(beside, "CANCEL_GRACE_S", 0.5)
    monkeypatch.setattr(beside, "TERMINATE_GRACE_S", 0.5)
    python = _script(
        tmp_path,
        "python",
        'trap \'\' TERM\necho \'{"event": "progress", "value": 50}\'\nexec sleep 600',
    )
    feedback = _Progress(cancel_at=50.0)
    with pytest.raises(Cancelled):
        beside.run_anonymise_beside(
            inputs["crimes"],
            inputs["points"],
            python=python,
            feedback=feedback,
            **_release(inputs, tmp_path / "out"),
        )
    assert feedback.values == [50.0]


@pytest.mark.parametrize("cancel_at", [0.0, 40.0, 80.0, 96.0])
def test_cancel_stops_the_real_child_and_keeps_the_previous_release(inputs, tmp_path, cancel_at):
    out = tmp_path / "release"
    run_anonymise(inputs["crimes"], inputs["points"], **_release(inputs, out))
    before = _snapshot(out)
    with pytest.raises(Cancelled):
        beside.run_anonymise_beside(
            inputs["crimes"],
            inputs["points"],
            feedback=_Progress(cancel_at=cancel_at),
            **_release(inputs, out, max_distance_m=5000.0),
        )
    assert _snapshot(out) == before


@pytest.mark.parametrize("answer", ["cancel", "end of input"])
def test_the_child_asks_before_its_swap_and_a_no_replaces_nothing(inputs, tmp_path, answer):
    """The real child, staged and gated, says ``ready`` (its last progress first) and waits:
    told ``cancel``, or its input ended (QGIS gone), it replaces nothing, whatever it had
    done by then. (Before the question, a Cancel that reached it after its last check came
    too late: the release was already in place.)"""
    out = tmp_path / "release"
    run_anonymise(inputs["crimes"], inputs["points"], **_release(inputs, out))
    before = _snapshot(out)
    request = beside.child_request(
        inputs["crimes"], inputs["points"], **_release(inputs, out, max_distance_m=5000.0)
    )
    started = beside.StartedChild(sys.executable)
    child = started.process
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(json.dumps(request) + "\n")
    child.stdin.flush()
    events = []
    for line in child.stdout:
        events.append(json.loads(line))
        if events[-1]["event"] == "ready":
            if answer == "cancel":
                child.stdin.write("cancel\n")
                child.stdin.flush()
            else:
                child.stdin.close()
    assert child.wait(timeout=120) == 3
    assert events[-3]["event"] == "progress" and events[-3]["value"] == 96.0
    assert [e["event"] for e in events[-2:]] == ["ready", "failed"]
    assert events[-1]["kind"] == "cancelled"
    assert _snapshot(out) == before
    started.close_pipes()
    started.stderr.close()


def test_the_childs_input_answers_its_question():
    """StdinWatch.answer: waits for ``commit``; a ``cancel`` (sent before or as the answer)
    or the end of input is ``cancel``; other lines are not answers."""
    from crime_mapper.core.common.child_lines import COMMIT

    def answer_to(*writes: bytes, close: bool = False, threaded: bool = False) -> bytes:
        read, write = os.pipe()
        watch = StdinWatch(read)
        os.write(write, b'{"e": 5}\n')
        assert json.loads(watch.first_line()) == {"e": 5}
        if threaded:  # (as on Windows, where select cannot watch a pipe)
            watch.read_in_thread()
        for chunk in writes:
            os.write(write, chunk)
        if close:
            os.close(write)
        try:
            return watch.answer()
        finally:
            if not close:
                os.close(write)  # (first: a reading thread sees the end, then stops)
            time.sleep(0.05 if threaded else 0)
            os.close(read)

    assert answer_to(b"progress?\ncom", b"mit\n") == COMMIT
    assert answer_to(b"cancel\n") == b"cancel"
    assert answer_to(b"cancel\ncommit\n") == b"cancel"  # (a cancel is kept to)
    assert answer_to(b"ok\n", close=True) == b"cancel"
    assert answer_to(close=True) == b"cancel"
    assert answer_to(b"commit\n", threaded=True) == COMMIT
    assert answer_to(b"cancel\n", close=True, threaded=True) == b"cancel"


def test_a_child_killed_during_the_release_replaces_nothing(inputs, tmp_path):
    out = tmp_path / "release"
    run_anonymise(inputs["crimes"], inputs["points"], **_release(inputs, out))
    before = _snapshot(out)
    killed: list[int] = []

    def kill_the_child(percent: float) -> None:
        if percent >= 40.0 and not killed:
            for pid in _children():
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

    with pytest.raises(beside.ChildFailed, match="ended without a result"):
        beside.run_anonymise_beside(
            inputs["crimes"],
            inputs["points"],
            feedback=_Progress(on_progress=kill_the_child),
            **_release(inputs, out, max_distance_m=5000.0),
        )
    assert killed
    assert _snapshot(out) == before


def _children() -> list[int]:
    """This process's child processes running the anonymise child module."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("PPid"))
        if ppid == os.getpid() and beside.CHILD_MODULE.encode() in cmdline:
            pids.append(int(entry.name))
    return pids


def test_the_algorithm_reports_a_failed_child_as_a_processing_error(provider, inputs, tmp_path):
    short = tmp_path / "short.salt"
    short.write_text("abc\n")
    alg = QgsApplication.processingRegistry().createAlgorithmById("crime_mapper:anonymise")

    class Collect(QgsProcessingFeedback):
        def __init__(self) -> None:
            super().__init__()
            self.errors: list[str] = []

        def reportError(self, error: str, fatalError: bool = False) -> None:  # noqa: N803
            self.errors.append(error)

    feedback = Collect()
    out = tmp_path / "out"
    params = {
        "CRIMES": inputs["crimes"],
        "MAP_POINTS": inputs["points"],
        "SALT_FILE": str(short),
        "PUBLIC_CSV": str(out / NAMES["public_csv_path"]),
        "PUBLIC_LAYER": str(out / NAMES["public_gpkg_path"]),
        "AUDIT_JSON": str(out / NAMES["audit_json_path"]),
        "AUDIT_HTML": str(out / NAMES["audit_html_path"]),
        "MANIFEST": str(out / NAMES["manifest_path"]),
    }
    _, ok = alg.run(params, QgsProcessingContext(), feedback)
    assert not ok
    assert any("at least 16" in e for e in feedback.errors), feedback.errors
    assert not out.exists()


# --- the child's input ----------------------------------------------------------------------


def test_the_child_reads_its_request_and_a_cancel_without_a_thread():
    read, write = os.pipe()
    watch = StdinWatch(read)
    os.write(write, json.dumps({"a": 1}).encode() + b"\nprogress?\n")
    assert json.loads(watch.first_line()) == {"a": 1}
    assert not watch.poll()
    os.write(write, b"canc")
    assert not watch.poll()
    os.write(write, b"el\n")
    assert watch.poll()
    os.close(write)
    os.close(read)


def test_the_end_of_the_input_is_a_cancel():
    read, write = os.pipe()
    watch = StdinWatch(read)
    os.write(write, b'{"b": 2}\ncancel\n')
    assert json.loads(watch.first_line()) == {"b": 2}
    assert watch.poll()  # the cancel came with the request
    read2, write2 = os.pipe()
    gone = StdinWatch(read2)
    os.write(write2, b'{"c": 3}\n')
    assert json.loads(gone.first_line()) == {"c": 3}
    assert not gone.poll()
    os.close(write2)
    assert gone.poll()
    for fd in (read, write, read2):
        os.close(fd)


def test_a_forked_child_never_takes_its_parents_input():
    """A child forked by the run (core.common.forked) that asks the watch is told what the
    watch knew at the fork: the ``cancel`` line stays for the parent to read."""
    from crime_mapper.core.common.forked import ForkedCall

    read, write = os.pipe()
    watch = StdinWatch(read)
    os.write(write, b'{"d": 4}\n')
    assert json.loads(watch.first_line()) == {"d": 4}
    os.write(write, b"cancel\n")
    assert ForkedCall(lambda _call: watch.poll()).result() is False
    assert watch.poll()  # the parent still finds it
    os.close(write)
    os.close(read)
