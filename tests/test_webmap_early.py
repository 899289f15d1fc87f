"""The command line's gated web map with the folder staged by a forked child before the raw
crimes are read (core.publish.webmap_early; run_webmap with ``export_beside`` and the raw
extracts as paths): the same folder and the same verdict or refusal as the export made
here; a staging child that dies before it has staged, a checking child that dies, lies or
is cancelled after, a raw side that cannot be read once the child works, and a refusal:
each leaves the previous map as it was, no staging folder and no child behind.

Real inputs (tests/support/webmap_world.py): the bundled Leicestershire force extract
(read from its file by the export), the October police.uk release and its map points, the
Leicester LSOA outlines.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Any, Optional

import pytest

from crime_mapper.core.common.feedback import Cancelled, Feedback
from crime_mapper.core.gate.context import CHECK_NAMES
from crime_mapper.core.gate.leak_gate import LeakError
from crime_mapper.core.publish import webmap_early, webmap_export
from crime_mapper.core.publish.webmap_early import EARLY_CHILD_CHECKS
from crime_mapper.core.publish.webmap_run import run_webmap
from crime_mapper.core.release.release_files import ReleaseInputError
from tests.support.forking import files_in, forked_pids, may_fork, no_children
from tests.support.webmap_release import FORCE, OCT
from tests.support.webmap_world import OUTLINES, both_planted, build_webmap_world, leftovers

RAW = FORCE / "2022-10-leicestershire-force-extract.csv"
PROFILE = FORCE / "leicestershire-force-extract.profile.json"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Real raw crimes, map points, the release clean and with leaks, outlines."""
    return build_webmap_world(tmp_path_factory.mktemp("webmap_gate_views"))


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The children forked by the export (their process ids)."""
    return forked_pids(monkeypatch)


@pytest.fixture
def points_csv(world: dict, tmp_path: Path) -> Path:
    from crime_mapper.core.release.map_points import write_map_points_csv

    path = tmp_path / "points.csv"
    write_map_points_csv(world["points"], path)
    return path


def _run(
    world: dict,
    out: Path,
    points: Path,
    inputs: Any = OCT,
    hoods: bool = False,
    feedback: Optional[Feedback] = None,
    raw: Any = None,
    **more: Any,
) -> Any:
    return run_webmap(
        [inputs],
        out,
        raw=[str(raw or RAW)],
        points=points,
        profile_path=PROFILE,
        neighbourhoods=world["hoods"] if hoods else None,
        tiles="none",
        feedback=feedback,
        **more,
    )


def _outcome(world: dict, out: Path, points: Path, **more: Any) -> tuple[str, Any]:
    """(the verdict, or the error's type and text; the result)"""
    try:
        done = _run(world, out, points, **more)
    except Exception as exc:  # noqa: BLE001 - compared with the other path's
        return f"{type(exc).__name__}: {exc}".replace(str(out.parent), "OUT"), None
    return done.gate.replace(str(out.parent), "OUT"), done


@pytest.fixture
def previous(world: dict, tmp_path: Path, points_csv: Path) -> Path:
    """A map already in place (made here)."""
    out = tmp_path / "out" / "map"
    _run(world, out, points_csv)
    return out


def _kept(previous: Path, kept: dict) -> bool:
    return files_in(previous) == kept and leftovers(previous.parent) == [] and no_children()


@pytest.mark.parametrize("case", ["clean", "moved", "named", "both"])
@pytest.mark.parametrize("hoods", [False, True], ids=["points", "neighbourhoods"])
def test_a_map_staged_before_the_raw_read_is_the_one_made_here(
    world: dict,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    forks: list[int],
    points_csv: Path,
    both: Path,
    case: str,
    hoods: bool,
):
    """Two children (the staging one, then the checking one), the same files, the same
    verdict, the same refusal (a moved point: a check of the checking child; a raw label:
    one of this process's; both)."""
    inputs = both if case == "both" else world["inputs"][case]
    may_fork(monkeypatch)
    here, made_here = _outcome(
        world, tmp_path / "here" / "map", points_csv, inputs=inputs, hoods=hoods
    )
    assert not forks
    early, made_early = _outcome(
        world,
        tmp_path / "early" / "map",
        points_csv,
        inputs=inputs,
        hoods=hoods,
        export_beside=True,
    )
    assert len(forks) == 2 and no_children()
    assert early.replace("early", "here") == here
    assert here.startswith("Leak gate passed") == (case == "clean"), here
    if case == "clean":
        assert made_early.beside and not made_here.beside
        for field in ("crimes", "mapped", "points", "months", "warnings", "bytes"):
            assert getattr(made_early, field) == getattr(made_here, field), field
        assert files_in(tmp_path / "early" / "map") == files_in(tmp_path / "here" / "map")
    else:
        assert here.startswith("LeakError")
        assert not (tmp_path / "early" / "map").exists()
    if case == "both":
        assert "no_raw_coordinates" in here and "no_non_public_values" in here
    assert leftovers(tmp_path / "early") == []


@pytest.fixture(scope="module")
def both(world: dict, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The release with a raw coordinate and a raw label both planted."""
    return both_planted(world, tmp_path_factory.mktemp("webmap_beside"))


def test_the_folder_is_staged_before_the_raw_read_and_checked_in_two_halves(
    world: dict,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    forks: list[int],
    points_csv: Path,
):
    """The staging child is forked before the raw extract is read here, and reads the
    release (another process id); the checking child, forked once the raw side is open,
    runs EARLY_CHILD_CHECKS, this process the others, each check once."""
    from crime_mapper.core.release import pipeline

    record = tmp_path / "record"
    here = os.getpid()
    read = webmap_export.read_release_inputs
    report = webmap_early._raw_gate_report
    open_inputs = pipeline.open_release_inputs

    def note(line: str) -> None:
        with open(record, "a") as out:
            out.write(line + "\n")

    def spy_read(*args: Any, **kwargs: Any) -> Any:
        note(f"release read by {'here' if os.getpid() == here else 'child'}")
        return read(*args, **kwargs)

    def spy_open(*args: Any, **kwargs: Any) -> Any:
        note(f"raw read, {len(forks)} forked")
        return open_inputs(*args, **kwargs)

    def spy_report(folder: Path, options: Any, areas: Any, prep: Any, checks: Any = None) -> Any:
        note(f"{'here' if os.getpid() == here else 'child'} {','.join(checks or ['all'])}")
        return report(folder, options, areas, prep, checks)

    may_fork(monkeypatch)
    monkeypatch.setattr(webmap_export, "read_release_inputs", spy_read)
    monkeypatch.setattr(pipeline, "open_release_inputs", spy_open)
    monkeypatch.setattr(webmap_early, "_raw_gate_report", spy_report)
    done = _run(world, tmp_path / "map", points_csv, hoods=True, export_beside=True)
    assert done.beside and "all 8 checks passed" in done.gate
    lines = record.read_text().splitlines()
    assert "raw read, 1 forked" in lines and "release read by child" in lines
    assert "release read by here" not in lines
    mine = [n for n in CHECK_NAMES if n not in EARLY_CHILD_CHECKS]
    assert sorted(line for line in lines if line.startswith(("here ", "child "))) == sorted(
        ["here " + ",".join(mine), "child " + ",".join(EARLY_CHILD_CHECKS)]
    )
    assert len(forks) == 2 and no_children()


def test_no_early_child_without_the_option_or_a_free_hand_or_with_the_raw_side_open(
    world: dict,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    forks: list[int],
    points_csv: Path,
):
    """Not asked: made here. Another Python thread alive: made here (the real
    forked.alone). The raw side handed over open (the monthly release): the export made
    beside as before, one child. The same files every time."""
    from crime_mapper.core.common import forked

    monkeypatch.setattr(forked, "available", lambda: True)
    _run(world, tmp_path / "a" / "map", points_csv)
    assert not forks
    release = threading.Event()
    other = threading.Thread(target=release.wait, args=(60,), daemon=True)
    other.start()
    try:
        made = _run(world, tmp_path / "b" / "map", points_csv, export_beside=True)
    finally:
        release.set()
        other.join()
    assert not forks and not made.beside
    may_fork(monkeypatch)
    from crime_mapper.core.release.crimes_input import CrimesInput

    source = CrimesInput(world["raw"], None)
    opened = run_webmap(
        [OCT],
        tmp_path / "c" / "map",
        raw=source,
        points=world["points"],
        tiles="none",
        export_beside=True,
    )
    assert opened.beside and len(forks) == 1 and no_children()
    for name in ("b", "c"):
        assert files_in(tmp_path / name / "map") == files_in(tmp_path / "a" / "map")


def test_a_staging_child_that_dies_before_it_has_staged_leaves_the_previous_map(
    world: dict,
    monkeypatch: pytest.MonkeyPatch,
    forks: list[int],
    points_csv: Path,
    previous: Path,
):
    may_fork(monkeypatch)
    kept = files_in(previous)

    def die(*args: Any, **kwargs: Any) -> Any:
        os._exit(3)

    monkeypatch.setattr(webmap_export, "aggregate", die)  # (in the staging child only)
    with pytest.raises(RuntimeError, match="stopped unexpectedly"):
        _run(world, previous, points_csv, export_beside=True)
    assert len(forks) == 1 and _kept(previous, kept)


def test_a_staging_child_killed_while_it_writes_leaves_the_previous_map(
    world: dict,
    monkeypatch: pytest.MonkeyPatch,
    forks: list[int],
    points_csv: Path,
    previous: Path,
):
    """SIGKILL half-way through the folder's writing: what it began is removed here."""
    may_fork(monkeypatch)
    kept = files_in(previous)
    write = webmap_export._write_folder

    def killed_while_writing(stage: Path, *args: Any, **kwargs: Any) -> Any:
        (stage / "half-written").write_text("x")
        os.kill(os.getpid(), signal.SIGKILL)
        return write(stage, *args, **kwargs)

    monkeypatch.setattr(webmap_export, "_write_folder", killed_while_writing)
    with pytest.raises(RuntimeError, match="stopped unexpectedly"):
        _run(world, previous, points_csv, export_beside=True)
    assert len(forks) == 1 and _kept(previous, kept)


@pytest.mark.parametrize("how", ["dies", "lies", "raises", "hangs"])
def test_a_checking_child_that_fails_after_the_folder_is_staged_makes_the_export_refuse(
    world: dict,
    monkeypatch: pytest.MonkeyPatch,
    forks: list[int],
    points_csv: Path,
    previous: Path,
    how: str,
):
    """The checking child killed, sending the report of other checks than its own (every
    check must be there exactly once), raising, or stuck past the deadline (then killed):
    no map moved into place, fail closed."""
    from crime_mapper.core.common import forked

    may_fork(monkeypatch)
    monkeypatch.setattr(forked, "ANSWER_DEADLINE_S", 2.0)
    kept = files_in(previous)
    here = os.getpid()
    report = webmap_early._raw_gate_report

    def failing(folder: Path, options: Any, areas: Any, prep: Any, checks: Any = None) -> Any:
        if os.getpid() != here:
            if how == "dies":
                os.kill(os.getpid(), signal.SIGKILL)
            while how == "hangs":
                signal.pause()
            if how == "lies":
                mine = [n for n in CHECK_NAMES if n not in EARLY_CHILD_CHECKS]
                return report(folder, options, areas, prep, mine)
            raise OSError(5, "Input/output error", str(folder))
        return report(folder, options, areas, prep, checks)

    monkeypatch.setattr(webmap_early, "_raw_gate_report", failing)
    error = {"dies": RuntimeError, "lies": ValueError, "raises": OSError, "hangs": RuntimeError}
    with pytest.raises(error[how], match="no answer within 2 s" if how == "hangs" else None):
        _run(world, previous, points_csv, export_beside=True)
    assert len(forks) == 2 and _kept(previous, kept)


def test_a_refusal_or_a_failure_before_the_move_keeps_the_previous_map(
    world: dict,
    monkeypatch: pytest.MonkeyPatch,
    forks: list[int],
    points_csv: Path,
    previous: Path,
):
    """A planted raw coordinate (refused by the checking child's half) and the step
    before the move raising: the staged folder removed here."""
    may_fork(monkeypatch)
    kept = files_in(previous)
    with pytest.raises(LeakError, match="no_raw_coordinates"):
        _run(world, previous, points_csv, inputs=world["inputs"]["moved"], export_beside=True)

    def refuse() -> None:
        raise Cancelled()

    with pytest.raises(Cancelled):
        _run(world, previous, points_csv, export_beside=True, before_commit=refuse)
    assert len(forks) == 4 and _kept(previous, kept)


def test_a_raw_side_that_cannot_be_read_fails_as_made_here_and_stops_the_staging_child(
    world: dict,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    forks: list[int],
    points_csv: Path,
    previous: Path,
):
    """An extract that is no extract of the profile, read here once the staging child
    works: the error made here, the child stopped, its folder removed."""
    may_fork(monkeypatch)
    kept = files_in(previous)
    bad = tmp_path / "bad-extract.csv"
    bad.write_text("nothing,of,the,profile\n1,2,3,4\n", encoding="utf-8")
    outcomes = []
    for early in (False, True):
        outcome, _ = _outcome(world, previous, points_csv, raw=bad, export_beside=early)
        outcomes.append(outcome)
        if not early:
            assert not forks
    assert outcomes[0] == outcomes[1] and not outcomes[0].startswith("Leak gate passed")
    with pytest.raises(ReleaseInputError):  # (no map points: refused before any fork)
        run_webmap([OCT], previous, raw=[str(RAW)], points=None, export_beside=True)
    assert len(forks) <= 1 and _kept(previous, kept)


class _CancelWhen(Feedback):
    """Cancels at the first check once ``when()`` holds."""

    def __init__(self, when: Any) -> None:
        self.when = when

    def is_cancelled(self) -> bool:
        return bool(self.when())


@pytest.mark.parametrize("moment", ["reading raw", "staged", "checking"])
def test_a_cancel_stops_the_children_and_keeps_the_previous_map(
    world: dict,
    monkeypatch: pytest.MonkeyPatch,
    forks: list[int],
    points_csv: Path,
    previous: Path,
    moment: str,
):
    """Cancelled while the raw side is read here (the staging child stops at its next
    check), once the folder is staged (removed here), or while the checking child checks
    (killed at once: it only reads): nothing moved, nothing left."""
    from crime_mapper.core.release import pipeline

    may_fork(monkeypatch)
    kept = files_in(previous)
    parent = previous.parent
    here = os.getpid()
    if moment == "reading raw":
        open_inputs = pipeline.open_release_inputs

        def slow_open(*args: Any, **kwargs: Any) -> Any:
            threading.Event().wait(1.0)  # (the cancel comes meanwhile)
            return open_inputs(*args, **kwargs)

        monkeypatch.setattr(pipeline, "open_release_inputs", slow_open)

        def when() -> bool:
            return bool(forks)

    elif moment == "staged":

        def when() -> bool:
            return any((p / "index.html").is_file() for p in parent.glob(".map.staging-*"))

    else:
        report = webmap_early._raw_gate_report
        checked = parent / "checked here"

        def slow_report(*args: Any) -> Any:
            done = report(*args)
            if os.getpid() == here:
                checked.touch()
            else:
                threading.Event().wait(60.0)
            return done

        monkeypatch.setattr(webmap_early, "_raw_gate_report", slow_report)

        def when() -> bool:
            return checked.exists()

    killed: list[tuple[int, int]] = []
    kill = os.kill

    def spy_kill(pid: int, sig: int) -> None:
        killed.append((pid, sig))
        kill(pid, sig)

    monkeypatch.setattr(os, "kill", spy_kill)
    with pytest.raises(Cancelled):
        _run(world, previous, points_csv, export_beside=True, feedback=_CancelWhen(when))
    if moment == "checking":  # (ended at once, not waited for)
        assert (forks[1], signal.SIGKILL) in killed
    (parent / "checked here").unlink(missing_ok=True)
    assert _kept(previous, kept)


def test_the_command_line_stages_the_map_before_the_raw_read(
    world: dict,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    forks: list[int],
    points_csv: Path,
    capsys: pytest.CaptureFixture,
):
    """``webmap --raw --points`` with outlines: two children, the map made here."""
    from crime_mapper import cli

    may_fork(monkeypatch)
    outlines = str(OUTLINES)
    here = run_webmap(
        [OCT],
        tmp_path / "here" / "map",
        raw=[str(RAW)],
        points=points_csv,
        profile_path=PROFILE,
        neighbourhoods=world["hoods"],
    )
    assert not forks and not here.beside
    code = cli.main(
        ["webmap", str(OCT), "--out", str(tmp_path / "cli"), "--raw", str(RAW)]
        + ["--profile", str(PROFILE), "--points", str(points_csv), "--tiles", "osm"]
        + ["--neighbourhoods", outlines, "--code-field", "LSOA11CD", "--name-field", "LSOA11NM"]
    )
    assert code == 0, capsys.readouterr()
    assert len(forks) == 2 and no_children()
    assert files_in(tmp_path / "cli" / "map") == files_in(tmp_path / "here" / "map")


def test_a_staging_child_stopped_twice_after_it_said_where_is_killed_never(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A child that said where it staged just before it was stopped (the word still in the
    pipe): the first stop reaps it and removes the folder; a second stop (the export's
    failure path, then its ``finally``) signals nothing, since its id may be another
    process's by then."""
    from types import SimpleNamespace

    from crime_mapper.core.publish.webmap_beside import StagedBeside

    folder = tmp_path / ".map.staging-x"

    def stage(_feedback: Feedback) -> Any:
        folder.mkdir()
        return SimpleNamespace(stage=folder)

    may_fork(monkeypatch)
    child = StagedBeside(stage, lambda _folder: None)
    while not folder.exists():
        threading.Event().wait(0.05)
    threading.Event().wait(0.2)  # (it has said where and left; nothing read here yet)
    killed: list[tuple[int, int]] = []
    monkeypatch.setattr(os, "kill", lambda pid, sig: killed.append((pid, sig)))
    child.stop()
    child.stop()
    assert killed == [] and child.folder == folder and not folder.exists() and no_children()


@pytest.mark.parametrize("second", ["neighbourhoods", "garbage"])
def test_the_web_map_process_waits_for_the_neighbourhoods_then_stages_before_the_raw_read(
    world: dict,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    forks: list[int],
    points_csv: Path,
    second: str,
):
    """core.publish.webmap_child (the process QGIS starts) where it may fork: the request's
    second part (the neighbourhoods) read before the raw side, then run_webmap's staging
    child and checking child; the same files as made here. A second part that is no
    request: refused before any fork."""
    import io
    import json

    from crime_mapper.core.common.child_lines import COMMIT, LineProtocol
    from crime_mapper.core.publish import webmap_child
    from crime_mapper.core.publish.webmap_process import more_bytes, request_bytes
    from crime_mapper.core.release import pipeline

    may_fork(monkeypatch)
    order: list[str] = []
    read = webmap_child.read_request
    open_inputs = pipeline.open_release_inputs

    def spy_read(stream: Any) -> Any:
        order.append("request")
        return read(stream)

    def spy_open(*args: Any, **kwargs: Any) -> Any:
        order.append(f"raw read, {len(forks)} forked")
        return open_inputs(*args, **kwargs)

    monkeypatch.setattr(webmap_child, "read_request", spy_read)
    monkeypatch.setattr(pipeline, "open_release_inputs", spy_open)
    out = tmp_path / "child" / "map"
    first = request_bytes(
        [OCT],
        out,
        raw=[str(RAW)],
        points=str(points_csv),
        profile_path=PROFILE,
        settings={"tiles": "none"},
    )
    more = more_bytes(world["hoods"]) if second == "neighbourhoods" else b"12\nnot a pickle"
    stdin = io.BytesIO(first + more + COMMIT + b"\n")  # (the caller's answer to "ready")
    lines = io.StringIO()
    request = webmap_child.read_request(stdin)
    order.clear()
    code = webmap_child.run(request, stdin, LineProtocol(lines), webmap_child._Cancel())
    events = [json.loads(line) for line in lines.getvalue().splitlines()]
    if second == "garbage":
        assert code == webmap_child.EXIT_ERROR and events[-1]["event"] == "error"
        assert order == ["request"] and not forks and not out.exists()
        return
    assert code == webmap_child.EXIT_OK, events[-1]
    assert [event["event"] for event in events[-3:]] == ["ready", "progress", "finished"]
    assert events[-2]["value"] == 100  # (the swap, once the caller answered)
    assert order == ["request", "raw read, 1 forked"] and len(forks) == 2 and no_children()
    _run(world, tmp_path / "here" / "map", points_csv, hoods=True)
    assert files_in(out) == files_in(tmp_path / "here" / "map")
