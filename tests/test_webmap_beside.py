"""The web map made in a forked child process while this one prepares the gate's raw side
(WebmapOptions.export_beside, core.common.forked; the command line's webmap): the same
folder and the same verdict or refusal as made here; a child's error is raised here as
it would have been; a cancel, a refusal or a failure on either side leaves the previous
map as it was, no staging folder and no child behind.

Real inputs (tests/support/webmap_world.py): the bundled Leicestershire force extract,
the October police.uk release and its map points, the Leicester LSOA outlines.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Any

import pytest

from crime_mapper.core.common import forked
from crime_mapper.core.common.feedback import Cancelled, Feedback
from crime_mapper.core.common.forked import ForkedCall
from crime_mapper.core.gate.leak_gate import LeakError, ReleaseGate
from crime_mapper.core.publish import webmap_export
from crime_mapper.core.publish.webmap_export import WebmapOptions, export_webmap
from tests.support.forking import files_in, forked_pids, may_fork, no_children
from tests.support.webmap_release import FORCE, OCT
from tests.support.webmap_world import (
    both_planted,
    build_webmap_world,
    leftovers,
    webmap_options,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Real raw crimes, map points, the release clean and with leaks, outlines."""
    return build_webmap_world(tmp_path_factory.mktemp("webmap_gate_views"))


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The children forked by the export (their process ids)."""
    return forked_pids(monkeypatch)


def _outcome(options: WebmapOptions, feedback: Any = None) -> tuple[str, Any]:
    """(the verdict, or the error's type and text; the result)"""
    try:
        done = export_webmap(options, feedback)
    except Exception as exc:  # noqa: BLE001 - compared with the other path's
        text = str(exc).replace(str(Path(options.out_dir).parent), "OUT")
        return f"{type(exc).__name__}: {text}", None
    return done.gate.replace(str(Path(options.out_dir).parent), "OUT"), done


@pytest.fixture(scope="module")
def both(world: dict, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The release with a raw coordinate and a raw label both planted."""
    return both_planted(world, tmp_path_factory.mktemp("webmap_beside"))


@pytest.mark.parametrize("case", ["clean", "moved", "named", "both"])
@pytest.mark.parametrize("gate", [False, True], ids=["fresh", "release_gate"])
@pytest.mark.parametrize("hoods", [False, True], ids=["points", "neighbourhoods"])
def test_a_map_made_beside_is_the_one_made_here(
    world: dict,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    forks: list[int],
    both: Path,
    case: str,
    gate: bool,
    hoods: bool,
):
    def options(where: str, beside: bool) -> WebmapOptions:
        return webmap_options(
            world,
            tmp_path / where / "map",
            both if case == "both" else world["inputs"][case],
            neighbourhoods=world["hoods"] if hoods else None,
            release_gate=ReleaseGate(world["raw"], world["points"]) if gate else None,
            export_beside=beside,
        )

    may_fork(monkeypatch)
    here, made_here = _outcome(options("here", False))
    assert not forks
    beside, made_beside = _outcome(options("beside", True))
    assert len(forks) == 1 and no_children()
    assert beside.replace("beside", "here") == here
    assert here.startswith("Leak gate passed") == (case == "clean"), here
    if case == "clean":
        assert made_beside.beside and not made_here.beside
        for field in ("crimes", "mapped", "points", "months", "warnings", "bytes"):
            assert getattr(made_beside, field) == getattr(made_here, field), field
        assert files_in(tmp_path / "beside" / "map") == files_in(tmp_path / "here" / "map")
    else:
        assert "LeakError" in here
        assert not (tmp_path / "beside" / "map").exists()
    if case == "both":
        assert "no_raw_coordinates" in here and "no_non_public_values" in here
    assert leftovers(tmp_path / "beside") == []


def test_the_folder_is_made_in_the_child_and_the_views_here(
    world: dict,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    forks: list[int],
):
    """The release is read in the child (another process id); the raw side's views are
    computed in this process, on the views' thread, started only once the child is forked
    (no thread of ours is alive at the fork)."""
    record = tmp_path / "read_by"
    read = webmap_export.read_release_inputs
    threads_at_fork: list[frozenset] = []
    real_init = ForkedCall.__init__

    def spy_read(*args: Any, **kwargs: Any) -> Any:
        with open(record, "a") as out:
            out.write(f"{os.getpid()}\n")
        return read(*args, **kwargs)

    def spy_init(self: ForkedCall, work: Any) -> None:
        threads_at_fork.append(frozenset(threading.enumerate()))
        real_init(self, work)

    may_fork(monkeypatch)
    monkeypatch.setattr(webmap_export, "read_release_inputs", spy_read)
    monkeypatch.setattr(ForkedCall, "__init__", spy_init)
    before = frozenset(threading.enumerate())  # (a daemon an earlier test left may end)
    done = export_webmap(webmap_options(world, tmp_path / "map", export_beside=True))
    assert done.beside and "all 8 checks passed" in done.gate
    readers = record.read_text().split()
    assert len(readers) == 1 and int(readers[0]) != os.getpid()
    assert len(threads_at_fork) == 1
    assert threads_at_fork[0] <= before  # (the views' thread not yet started)
    assert no_children()


@pytest.mark.parametrize("gate", [False, True], ids=["fresh", "release_gate"])
def test_the_gate_is_shared_between_the_child_and_this_process(
    world: dict,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    forks: list[int],
    gate: bool,
):
    """The child runs CHILD_CHECKS, this process the others; the views' thread here warms
    PARENT_VIEWS alone, and nothing here computes a coordinate view (the child's): the
    coordinate keys are the child's work, not done twice."""
    from crime_mapper.core.gate import leak_gate
    from crime_mapper.core.publish.webmap_beside import CHILD_CHECKS, PARENT_VIEWS

    record = tmp_path / "checks_by"
    report = webmap_export._raw_gate_report
    warmed: list[tuple[str, ...]] = []
    compute = leak_gate._compute_these
    prepared: list[Any] = []

    def spy_report(folder: Path, options: Any, areas: Any, prep: Any, checks: Any = None) -> Any:
        with open(record, "a") as out:
            out.write(f"{os.getpid()} {','.join(checks or ['all'])}\n")
        prepared.append(
            prep
            if prep is not None
            else options.release_gate.prepared(
                extra_allowed_coordinates=areas.vertices(),
                extra_public_values=list(areas.hoods.names),
            )
        )
        return report(folder, options, areas, prep, checks)

    def spy_compute(prep: Any, views: tuple[str, ...], stop: Any = None) -> None:
        warmed.append(views)
        compute(prep, views, stop)

    may_fork(monkeypatch)
    monkeypatch.setattr(webmap_export, "_raw_gate_report", spy_report)
    monkeypatch.setattr(leak_gate, "_compute_these", spy_compute)
    release = ReleaseGate(world["raw"], world["points"]) if gate else None
    done = export_webmap(
        webmap_options(
            world,
            tmp_path / "map",
            neighbourhoods=world["hoods"],
            release_gate=release,
            export_beside=True,
        )
    )
    assert done.beside and "all 8 checks passed" in done.gate
    calls = dict(line.split(" ") for line in record.read_text().splitlines())
    assert calls.pop(str(os.getpid())).split(",") == [
        n for n in leak_gate.CHECK_NAMES if n not in CHILD_CHECKS
    ]
    (child_checks,) = calls.values()
    assert child_checks.split(",") == list(CHILD_CHECKS)
    assert warmed == [PARENT_VIEWS]
    here = prepared[-1].__dict__
    for view in PARENT_VIEWS:
        assert view in here, view
    for view in (
        "raw_is_point",
        "raw_coordinate_keys",
        "raw_grid_keys",
        "allowed_keys",
        "point_key_order",
        "raw_released_sorted",
    ):
        assert view not in here, view


def test_the_preparation_here_is_freed_before_the_childs_end_is_waited_for(
    world: dict,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    forks: list[int],
):
    """Once this process's checks are done, its preparation (the raw side's views: 0.16 s
    to free nationally) is let go of before it waits for the child's checks, so that it is
    freed beside the child's work, not after it on the export's critical path: by the
    time the child's result is asked for, nothing here holds it (freed by its reference
    count: the cyclic collector is paused in the export)."""
    import weakref

    from crime_mapper.core.publish.webmap_beside import StagedBeside

    report = webmap_export._raw_gate_report
    held: list[Any] = []
    alive_at_result: list[bool] = []
    result = StagedBeside.result

    def spy_report(folder: Path, options: Any, areas: Any, prep: Any, checks: Any = None) -> Any:
        if prep is not None:
            held.append(weakref.ref(prep))
        return report(folder, options, areas, prep, checks)

    def spy_result(self: Any, feedback: Any) -> Any:
        alive_at_result.append(held[-1]() is not None)
        return result(self, feedback)

    may_fork(monkeypatch)
    monkeypatch.setattr(webmap_export, "_raw_gate_report", spy_report)
    monkeypatch.setattr(StagedBeside, "result", spy_result)
    options = webmap_options(
        world, tmp_path / "map", neighbourhoods=world["hoods"], export_beside=True
    )
    done = export_webmap(options)
    assert done.beside and "all 8 checks passed" in done.gate
    assert len(held) == 1 and alive_at_result == [False]
    assert no_children()


def test_no_child_without_the_option_the_raw_crimes_or_a_free_hand(
    world: dict,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    forks: list[int],
):
    """Off unless asked; without the raw crimes there is nothing to prepare beside; and
    with another Python thread alive (which could hold a lock the child would wait on for
    ever: the real forked.alone) the map is made here. The same files every time."""
    monkeypatch.setattr(forked, "available", lambda: True)
    assert WebmapOptions(inputs=[], out_dir=tmp_path).export_beside is False
    first = export_webmap(webmap_options(world, tmp_path / "a" / "map"))
    assert not first.beside
    public = WebmapOptions(inputs=[OCT], out_dir=tmp_path / "b" / "map", export_beside=True)
    assert not export_webmap(public).beside
    release = threading.Event()
    held = threading.Lock()

    def hold_a_lock() -> None:
        with held:
            release.wait(60)

    other = threading.Thread(target=hold_a_lock, daemon=True)
    other.start()
    try:
        assert not forked.alone()
        made = export_webmap(webmap_options(world, tmp_path / "c" / "map", export_beside=True))
    finally:
        release.set()
        other.join()
    assert not forks and not made.beside
    assert files_in(tmp_path / "c" / "map") == files_in(tmp_path / "a" / "map")


@pytest.fixture
def previous(world: dict, tmp_path: Path) -> Path:
    """A map already in place (made here)."""
    out = tmp_path / "out" / "map"
    export_webmap(webmap_options(world, out))
    return out


@pytest.mark.parametrize("where", ["here", "beside"])
def test_a_childs_error_is_the_error_made_here(
    world: dict,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    forks: list[int],
    previous: Path,
    where: str,
):
    """Bad input found while reading (a CSV that is no police.uk release) and a missing
    file: the same error type and text as the export made here, the previous map intact."""
    may_fork(monkeypatch)
    kept = files_in(previous)
    bad = tmp_path / "2022-10-bad-street.csv"
    bad.write_text("Crime ID,Month\nx,2022-10\n", encoding="utf-8")
    outcomes = []
    for inputs in (bad, tmp_path / "missing-street.csv"):
        for beside in (False, True):
            outcomes.append(
                _outcome(webmap_options(world, previous, inputs, export_beside=beside))[0]
            )
    assert outcomes[0] == outcomes[1] and outcomes[2] == outcomes[3], outcomes
    assert outcomes[0].startswith("WebmapInputError") and outcomes[2].startswith("WebmapInputError")
    assert len(forks) == 2 and no_children()
    assert files_in(previous) == kept and leftovers(previous.parent) == []


def test_a_child_that_dies_leaves_the_previous_map(
    world: dict,
    monkeypatch: pytest.MonkeyPatch,
    forks: list[int],
    previous: Path,
):
    may_fork(monkeypatch)
    kept = files_in(previous)

    def die(*args: Any, **kwargs: Any) -> Any:
        os._exit(3)

    monkeypatch.setattr(webmap_export, "aggregate", die)  # (in the child only: forked)
    with pytest.raises(RuntimeError, match="stopped unexpectedly"):
        export_webmap(webmap_options(world, previous, export_beside=True))
    assert len(forks) == 1 and no_children()
    assert files_in(previous) == kept and leftovers(previous.parent) == []


class _CancelWhen(Feedback):
    """Cancels at the first check once ``when()`` holds."""

    def __init__(self, when: Any) -> None:
        self.when = when

    def is_cancelled(self) -> bool:
        return bool(self.when())

    def check(self) -> None:
        if self.is_cancelled():
            raise Cancelled()


@pytest.mark.parametrize("moment", ["working", "writing", "staged", "checking", "writing here"])
def test_a_cancel_here_stops_the_child_and_keeps_the_previous_map(
    world: dict,
    monkeypatch: pytest.MonkeyPatch,
    forks: list[int],
    previous: Path,
    moment: str,
):
    """Cancelled while the child reads or writes (it stops at its next check) or once it
    has staged the folder and waits for the word (it removes it), or while the folder is
    written here: nothing moved into place, no staging folder, no child and no views'
    thread left."""
    may_fork(monkeypatch)
    kept = files_in(previous)
    parent = previous.parent
    if moment == "working":
        read = webmap_export.read_release_inputs

        def slow_read(*args: Any, **kwargs: Any) -> Any:
            threading.Event().wait(1.0)  # (the cancel comes meanwhile)
            return read(*args, **kwargs)

        monkeypatch.setattr(webmap_export, "read_release_inputs", slow_read)

        def when() -> bool:
            return bool(forks)

    elif moment.startswith("writing"):
        write = webmap_export._write_folder

        def slow_write(*args: Any, **kwargs: Any) -> Any:
            threading.Event().wait(1.0)  # (the cancel comes meanwhile)
            return write(*args, **kwargs)

        monkeypatch.setattr(webmap_export, "_write_folder", slow_write)

        def when() -> bool:
            return any(parent.glob(".map.staging-*"))

    elif moment == "checking":  # (the child's checks take long: it is ended at once)
        report = webmap_export._raw_gate_report
        checked = parent / "checked here"

        def slow_report(*args: Any) -> Any:
            done = report(*args)
            if os.getpid() == here:
                checked.touch()
            else:
                threading.Event().wait(60.0)
            return done

        here = os.getpid()
        monkeypatch.setattr(webmap_export, "_raw_gate_report", slow_report)

        def when() -> bool:
            return checked.exists()

    else:

        def when() -> bool:
            return any((p / "index.html").is_file() for p in parent.glob(".map.staging-*"))

    beside = not moment.endswith("here")
    killed: list[tuple[int, int]] = []
    kill = os.kill

    def spy_kill(pid: int, sig: int) -> None:
        killed.append((pid, sig))
        kill(pid, sig)

    monkeypatch.setattr(os, "kill", spy_kill)
    with pytest.raises(Cancelled):
        export_webmap(webmap_options(world, previous, export_beside=beside), _CancelWhen(when))
    if moment == "checking":  # (ended at once, not waited for)
        assert killed == [(forks[0], signal.SIGKILL)]
    elif moment != "staged":  # (staged: ended either way, as it is when cancelled)
        assert killed == []
    assert len(forks) == int(beside) and no_children()
    (parent / "checked here").unlink(missing_ok=True)
    assert files_in(previous) == kept and leftovers(parent) == []
    assert not [t for t in threading.enumerate() if t.name == "leak gate views"]


def test_a_refusal_or_a_failure_before_the_move_keeps_the_previous_map(
    world: dict,
    monkeypatch: pytest.MonkeyPatch,
    forks: list[int],
    previous: Path,
):
    """What the child staged is removed here when the gate refuses it, or when the step
    before the move (a monthly release's word) raises."""
    may_fork(monkeypatch)
    kept = files_in(previous)
    with pytest.raises(LeakError):
        export_webmap(webmap_options(world, previous, world["inputs"]["moved"], export_beside=True))

    def refuse() -> None:
        raise Cancelled()

    with pytest.raises(Cancelled):
        export_webmap(webmap_options(world, previous, export_beside=True, before_commit=refuse))
    assert len(forks) == 2 and no_children()
    assert files_in(previous) == kept and leftovers(previous.parent) == []


def test_the_command_line_makes_the_map_beside(
    world: dict,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    forks: list[int],
    capsys: pytest.CaptureFixture,
):
    """``webmap --raw --points`` is a process of its own: it asks for the children (the
    folder staged before the raw read, then checked in two halves: core.publish.
    webmap_early), and makes the map made here."""
    from crime_mapper import cli
    from crime_mapper.core.publish.webmap_run import run_webmap
    from crime_mapper.core.release.map_points import write_map_points_csv

    may_fork(monkeypatch)
    points = tmp_path / "points.csv"
    write_map_points_csv(world["points"], points)
    raw = str(FORCE / "2022-10-leicestershire-force-extract.csv")
    profile = str(FORCE / "leicestershire-force-extract.profile.json")
    here = run_webmap(
        [OCT], tmp_path / "here" / "map", raw=[raw], points=points, profile_path=profile
    )
    assert not forks and not here.beside
    code = cli.main(
        ["webmap", str(OCT), "--out", str(tmp_path / "cli"), "--raw", raw]
        + ["--profile", profile, "--points", str(points), "--tiles", "osm"]
    )
    assert code == 0, capsys.readouterr()
    assert len(forks) == 2 and no_children()
    assert files_in(tmp_path / "cli" / "map") == files_in(tmp_path / "here" / "map")
