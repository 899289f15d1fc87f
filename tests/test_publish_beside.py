"""The monthly release's web map made in a forked child beside the summaries (issue 15:
core.common.forked, core.monthly.release._publish_step with ``publish_beside``).

What must not change: the files (byte for byte, manifest included), the failures (the same
error for a web map the gate refuses, raised after the summaries are in place, as when made
after them), and all-or-nothing: a map made beside summaries that fail, or a run cancelled,
is never moved into place, and no staged folder or child process is left behind.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from crime_mapper.core.common import forked
from crime_mapper.core.common.feedback import Cancelled, Feedback
from crime_mapper.core.common.forked import ForkedCall
from crime_mapper.core.common.staging import STAGE_PREFIX
from tests.support.forking import files_in, may_fork, no_children
from tests.support.monthly_config import (
    MONTH,
    left_behind,
    publish_config,
    released_before,
    step_runners,
)

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork only")


# --- the child process and its word ----------------------------------------------------------
def test_the_value_comes_back_and_the_child_is_gone():
    call = ForkedCall(lambda _call: {"pid": os.getpid(), "rows": [1, 2, 3]})
    value = call.result()
    assert value["rows"] == [1, 2, 3] and value["pid"] == call.pid != os.getpid()
    assert no_children()
    call.stop()  # (nothing: it has left)


def test_an_error_is_raised_again_in_the_caller():
    def fail(_call):
        raise ValueError("bad input named here")

    with pytest.raises(ValueError, match="^bad input named here$"):
        ForkedCall(fail).result()
    with pytest.raises(RuntimeError, match="could not be sent back"):
        ForkedCall(lambda _call: lambda: None).result()  # (a value pickle refuses)
    assert no_children()


def test_a_killed_child_is_an_error_not_a_value():
    call = ForkedCall(lambda _call: os.kill(os.getpid(), signal.SIGKILL))
    with pytest.raises(RuntimeError, match="stopped unexpectedly"):
        call.result()
    assert no_children()


def test_what_is_alive_at_the_fork_stays_frozen_for_the_collector_while_a_child_runs():
    """gc.freeze at each fork (fewer pages copied on write: a full collection would walk the
    shared objects in both processes), undone only once the last child has been reaped."""
    import gc

    assert gc.get_freeze_count() == 0
    kept = [[n] for n in range(1000)]  # (containers the collector tracks)
    first = ForkedCall(lambda _call: gc.get_freeze_count())
    assert gc.get_freeze_count() >= len(kept)
    second = ForkedCall(lambda call: (call.hold(), gc.get_freeze_count())[1])
    assert first.result() >= len(kept)  # (the child's collector does not walk them either)
    assert gc.get_freeze_count() >= len(kept)  # (the second child still runs)
    assert second.result() >= len(kept)
    assert gc.get_freeze_count() == 0
    stopped = ForkedCall(lambda call: call.hold())
    stopped.stop()
    assert gc.get_freeze_count() == 0 and no_children() and len(kept) == 1000


def test_a_fork_that_fails_unfreezes_and_closes_its_pipes(monkeypatch):
    import gc

    def no_fork() -> int:
        raise OSError("Resource temporarily unavailable")

    opened = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    monkeypatch.setattr(os, "fork", no_fork)
    with pytest.raises(OSError, match="temporarily"):
        ForkedCall(lambda _call: None)
    assert gc.get_freeze_count() == 0
    if opened is not None:
        assert len(os.listdir("/proc/self/fd")) == opened


def _staging(folder: Path):
    """Work that stages a file, holds, then moves it into place (removed unless moved)."""

    def work(call):
        staged = folder / "staged"
        staged.write_text("made in the child", encoding="utf-8")
        try:
            call.hold()
            os.replace(staged, folder / "in-place")
        finally:
            if staged.exists():
                staged.unlink()
        return "moved"

    return work


def test_the_child_moves_its_output_into_place_only_on_the_callers_word(tmp_path):
    call = ForkedCall(_staging(tmp_path))
    assert call.result() == "moved"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in-place"]
    stopped = ForkedCall(_staging(tmp_path / "x") if (tmp_path / "x").mkdir() is None else None)
    stopped.stop()  # the caller failed: nothing moved, nothing staged left
    assert list((tmp_path / "x").iterdir()) == []
    assert no_children()


def test_the_callers_cancel_while_waiting_stops_the_child(tmp_path):
    class CancelledNow(Feedback):
        def is_cancelled(self) -> bool:
            return True

    call = ForkedCall(_staging(tmp_path))
    with pytest.raises(Cancelled):
        call.result(CancelledNow())
    assert list(tmp_path.iterdir()) == []
    assert no_children()


def test_the_childs_feedback_turns_cancelled_when_the_caller_stops_it(tmp_path):
    def work(call):
        feedback = call.feedback()
        (tmp_path / "started").touch()
        while not feedback.is_cancelled():
            pass
        (tmp_path / "saw-the-stop").touch()
        feedback.check()

    call = ForkedCall(work)
    while not (tmp_path / "started").exists():
        pass
    call.stop()
    assert (tmp_path / "saw-the-stop").exists()
    assert no_children()


def test_a_caller_gone_is_a_stop(tmp_path):
    """The child's end of the word pipe closes with the caller: the child does not commit."""
    call = ForkedCall(_staging(tmp_path))
    os.close(call._control_w)  # (as when the caller's process dies)
    call._control_w = None
    with pytest.raises(Cancelled):
        call.result()
    assert list(tmp_path.iterdir()) == []


def test_a_priority_the_system_refuses_is_no_error(monkeypatch):
    """A child's priority is a hint: a system that refuses it leaves the child at work."""

    def refuse(_steps: int) -> int:
        raise PermissionError("Operation not permitted")

    monkeypatch.setattr(os, "nice", refuse)
    forked.lower_priority(10)
    monkeypatch.delattr(os, "nice")
    forked.lower_priority(10)


# --- the monthly release ---------------------------------------------------------------------


@pytest.fixture
def forks(monkeypatch) -> list[int]:
    """The children forked by the run for its web map (their process ids); the anonymise
    step's public GeoPackage's (core.release.gpkg_beside: tests/test_gpkg_beside.py) are
    not counted."""
    from crime_mapper.core.release import gpkg_beside

    made: list[int] = []
    real = ForkedCall.__init__

    def init(self, work):
        real(self, work)
        if getattr(work, "__module__", None) != gpkg_beside.__name__:
            made.append(self.pid)

    monkeypatch.setattr(ForkedCall, "__init__", init)
    return made


def test_the_same_files_with_the_map_made_beside(tmp_path, forks, monkeypatch):
    from crime_mapper.core.monthly.release import run_monthly_release

    may_fork(monkeypatch)
    config = publish_config(tmp_path)
    alone = run_monthly_release(config, MONTH, runners=step_runners(False))
    first = files_in(alone.out_dir)
    assert not forks
    again = run_monthly_release(config, MONTH, runners=step_runners(True))
    assert len(forks) == 1 and no_children()
    assert files_in(again.out_dir) == first
    assert any(name.startswith("map/") for name in first)
    assert any(name.startswith("neighbourhoods/") for name in first)
    assert [s.summary for s in again.steps] == [s.summary for s in alone.steps]
    # a first release (no summaries in place yet when the map is made): the same files
    salt = tmp_path / "fresh" / "secret" / "release.salt"
    salt.parent.mkdir(parents=True)
    salt.write_bytes((tmp_path / "secret" / "release.salt").read_bytes())  # (the same salt)
    fresh = publish_config(tmp_path / "fresh")
    made = run_monthly_release(fresh, MONTH, runners=step_runners(True))
    assert len(forks) == 2
    files = files_in(made.out_dir)
    assert {k: v for k, v in files.items() if k != "manifest.json"} == {
        k: v for k, v in first.items() if k != "manifest.json"
    }


def test_the_summaries_pages_are_read_beside_their_gate_with_the_same_files(tmp_path, monkeypatch):
    """A release run beside (publish_beside) lets the summaries' gate read part of the pages
    in a child of its own (core.gate.folder_beside), beside the web map's child, with the
    same files; a release run without it reads every page itself."""
    from crime_mapper.core.gate import folder_beside
    from crime_mapper.core.monthly.release import run_monthly_release

    may_fork(monkeypatch)
    monkeypatch.setattr(folder_beside, "MIN_PAGES", 1)  # (the bundled month's few pages)
    reads: list = []
    start = folder_beside.FolderRead.start.__func__  # type: ignore[attr-defined]

    def spy(cls, output, segments=None):
        started = start(cls, output, segments)
        reads.append(started)
        return started

    monkeypatch.setattr(folder_beside.FolderRead, "start", classmethod(spy))
    config = publish_config(tmp_path)
    alone = files_in(run_monthly_release(config, MONTH, runners=step_runners(False)).out_dir)
    assert reads == []
    made = run_monthly_release(config, MONTH, runners=step_runners(True))
    started = [r for r in reads if r is not None]
    assert len(started) == 1 and started[0].from_child > 0 and no_children()
    assert files_in(made.out_dir) == alone


def test_the_summaries_pages_are_rendered_beside_only_when_no_map_child_has_the_core(
    tmp_path, monkeypatch
):
    """A release run beside renders the summaries' last pages in a child of their own
    (summaries_export._PagesBeside) only when its web map is not being made in a child
    beside them (then that child has the second core, and a third process only took turns
    with both); the same files either way."""
    from crime_mapper.core.monthly.release import run_monthly_release
    from crime_mapper.core.publish import summaries_export

    may_fork(monkeypatch)
    monkeypatch.setattr(summaries_export._PagesBeside, "MIN_PAGES", 2)
    started: list = []
    start = summaries_export._PagesBeside.start.__func__  # type: ignore[attr-defined]

    def spy(cls, *args):
        started.append(start(cls, *args))
        return started[-1]

    monkeypatch.setattr(summaries_export._PagesBeside, "start", classmethod(spy))
    config = publish_config(tmp_path)
    with_map = run_monthly_release(config, MONTH, runners=step_runners(True))
    assert started == [] and no_children()  # (the map's child had the core)
    pages = "neighbourhoods/"

    def summaries(done) -> dict[str, bytes]:  # (read now: the next run replaces them)
        return {k: v for k, v in files_in(done.out_dir).items() if k.startswith(pages)}

    assert summaries(with_map)
    config.publish.web_map = False
    alone = summaries(run_monthly_release(config, MONTH, runners=step_runners(False)))
    assert started == []  # (not a release beside: every page here)
    beside = summaries(run_monthly_release(config, MONTH, runners=step_runners(True)))
    assert len(started) == 1 and started[0] is not None and no_children()
    assert beside == alone and len(alone) > 10


def test_no_child_is_forked_while_another_thread_runs(tmp_path, forks, monkeypatch):
    """A thread alive at the fork could hold a lock the child then waits on for ever: the
    map is made after the summaries instead, with the same files."""
    import threading

    from crime_mapper.core.monthly.release import run_monthly_release

    monkeypatch.setattr(forked, "available", lambda: True)
    config = publish_config(tmp_path)
    alone = files_in(run_monthly_release(config, MONTH, runners=step_runners(False)).out_dir)
    release = threading.Event()
    held = threading.Lock()

    def hold_a_lock() -> None:
        with held:
            release.wait(60)

    other = threading.Thread(target=hold_a_lock, daemon=True)
    other.start()
    try:
        assert not forked.alone()
        made = run_monthly_release(config, MONTH, runners=step_runners(True))
    finally:
        release.set()
        other.join()
    assert not forks
    assert files_in(made.out_dir) == alone


@pytest.fixture
def map_gated(tmp_path, monkeypatch):
    """Call to wait until the map made beside has passed its gate, and a moment more: a
    child that did not wait for the summaries would have moved its map into place by then
    (so the tests below would see it), one that waits is held."""
    from crime_mapper.core.publish import webmap_export

    marker = tmp_path / "map-gated"
    real = webmap_export.gate_folder

    def gate_folder(*args, **kwargs):
        verdict = real(*args, **kwargs)
        marker.touch()
        return verdict

    monkeypatch.setattr(webmap_export, "gate_folder", gate_folder)

    def wait() -> None:
        for _ in range(600):
            if marker.exists():
                break
            time.sleep(0.1)
        time.sleep(1.0)

    return wait


def test_summaries_that_fail_leave_the_previous_map(tmp_path, forks, monkeypatch, map_gated):
    from crime_mapper.core.monthly.release import MonthlyReleaseError, run_monthly_release
    from crime_mapper.core.publish import summaries_export
    from crime_mapper.core.publish.summaries_export import SummaryGateError

    may_fork(monkeypatch)
    config, out_dir, before = released_before(tmp_path)
    (out_dir / "map" / "index.html").write_text("the previous map", encoding="utf-8")
    before = files_in(out_dir / "map")

    def refusing(*_args, **_kwargs):
        def gate(_folder, _hoods):
            map_gated()
            raise SummaryGateError("planted refusal")

        return gate

    monkeypatch.setattr(summaries_export, "leak_gate_for", refusing)
    with pytest.raises(MonthlyReleaseError, match="planted refusal"):
        run_monthly_release(config, MONTH, runners=step_runners(True))
    assert len(forks) == 1 and no_children()
    assert files_in(out_dir / "map") == before  # made beside, never moved into place
    assert left_behind(out_dir) == []


def test_a_cancel_during_the_summaries_leaves_the_previous_map(
    tmp_path, forks, monkeypatch, map_gated
):
    from crime_mapper.core.monthly.release import run_monthly_release

    may_fork(monkeypatch)
    config, out_dir, _ = released_before(tmp_path)
    (out_dir / "map" / "index.html").write_text("the previous map", encoding="utf-8")
    before = files_in(out_dir / "map")

    class CancelAfterFork(Feedback):
        def is_cancelled(self) -> bool:
            if forks:
                map_gated()
            return bool(forks)

    with pytest.raises(Cancelled):
        run_monthly_release(config, MONTH, runners=step_runners(True), feedback=CancelAfterFork())
    assert len(forks) == 1 and no_children()
    assert files_in(out_dir / "map") == before
    assert left_behind(out_dir) == []


def test_a_map_the_gate_refuses_fails_as_when_made_after_the_summaries(tmp_path, monkeypatch):
    from crime_mapper.core.gate.leak_gate import LeakError
    from crime_mapper.core.monthly.release import (
        MANIFEST_WITHDRAWN,
        MonthlyReleaseError,
        run_monthly_release,
    )
    from crime_mapper.core.publish import webmap_export

    may_fork(monkeypatch)
    config, out_dir, _ = released_before(tmp_path)
    (out_dir / "map" / "index.html").write_text("the previous map", encoding="utf-8")
    before = files_in(out_dir / "map")

    def refusing(folder, *_args, **_kwargs):
        raise LeakError(f"Leak gate FAILED for {folder.name[:5]}: planted")

    monkeypatch.setattr(webmap_export, "gate_folder", refusing)
    errors = []
    for beside in (False, True):
        with pytest.raises(MonthlyReleaseError) as caught:
            run_monthly_release(config, MONTH, runners=step_runners(beside))
        # (the first run also removes the manifest, which vouched for the map replaced above:
        # the second has none to remove, and says the rest the same)
        action = caught.value.action.replace(MANIFEST_WITHDRAWN, "").strip()
        errors.append((caught.value.step, caught.value.reason, action))
        assert files_in(out_dir / "map") == before
        assert (out_dir / "neighbourhoods" / "index.html").is_file()
        assert left_behind(out_dir) == [] and no_children()
    assert errors[0] == errors[1] and "planted" in errors[0][1]


def test_the_summaries_large_files_are_hashed_once_before_their_gate(tmp_path, monkeypatch):
    """The tidy CSV and the GeoPackage are hashed once, on the summaries' own thread, before
    their gate reads the folder, with no other thread left running then (so that the gate
    may fork its folder read: core.gate.folder_beside); the manifest takes those digests
    (the same files, moved into place with the folder) instead of reading them again, and
    they are the landed files' digests."""
    import hashlib
    import json
    import threading

    from crime_mapper.core.gate import leak_gate
    from crime_mapper.core.monthly.release import run_monthly_release
    from crime_mapper.core.publish.summaries_export import CSV_NAME, GPKG_NAME
    from crime_mapper.core.release import release_files

    monkeypatch.setattr(release_files, "_REMEMBERED_FROM_BYTES", 0)  # (the bundled files)
    events: list[tuple[str, object, int]] = []
    real_hash, real_gate = release_files.sha256_file, leak_gate.check_release

    def recording(path):
        events.append(("hash", Path(path).name, threading.get_ident()))
        return real_hash(path)

    def gate_recording(raw, output, *args, **kwargs):
        if Path(str(output)).is_dir() and (Path(str(output)) / CSV_NAME).is_file():
            events.append(("gate", frozenset(threading.enumerate()), threading.get_ident()))
        return real_gate(raw, output, *args, **kwargs)

    monkeypatch.setattr(release_files, "sha256_file", recording)
    monkeypatch.setattr(leak_gate, "check_release", gate_recording)
    config = publish_config(tmp_path)
    config.publish.web_map = False
    before = frozenset(threading.enumerate())  # (a daemon an earlier test left may end)
    done = run_monthly_release(config, MONTH, runners=step_runners(False))
    me = threading.get_ident()
    gates = [i for i, event in enumerate(events) if event[0] == "gate"]
    assert len(gates) == 1 and events[gates[0]][2] == me
    started = events[gates[0]][1] - before  # (no thread of the release's own)
    assert not started, sorted(thread.name for thread in started)
    for name in (CSV_NAME, GPKG_NAME):
        hashes = [i for i, event in enumerate(events) if event[:2] == ("hash", name)]
        assert len(hashes) == 1 and hashes[0] < gates[0], name
        assert events[hashes[0]][2] == me, name
    manifest = json.loads(done.manifest.read_text(encoding="utf-8"))
    entries = {e["name"]: e["sha256"] for step in manifest["steps"] for e in step["outputs"]}
    for name in (CSV_NAME, GPKG_NAME):
        landed = done.out_dir / "neighbourhoods" / name
        assert entries[f"neighbourhoods/{name}"] == hashlib.sha256(landed.read_bytes()).hexdigest()


def _views_made(monkeypatch, beside: bool, tmp_path: Path) -> dict[str, set]:
    """The release gate's base views made by the summaries' gate, by the web map's (in the
    child when made beside) and before the fork."""
    from crime_mapper.core.gate import leak_gate
    from crime_mapper.core.monthly import release
    from crime_mapper.core.monthly.release import run_monthly_release
    from crime_mapper.core.publish import summaries_export

    gates: list = []
    real_gate = leak_gate.ReleaseGate.__init__

    def init(self, *args, **kwargs):
        real_gate(self, *args, **kwargs)
        gates.append(self)

    monkeypatch.setattr(leak_gate.ReleaseGate, "__init__", init)
    made: dict[str, set] = {}

    def keys() -> set:
        return set(gates[0].base.__dict__)

    real_export = summaries_export.export_summaries

    def export(*args, **kwargs):
        hook = kwargs["on_assigned"]

        def assigned(*a):
            before = keys()
            if hook is not None:
                hook(*a)
            made["before fork"] = keys() - before
            made["at fork"] = keys()

        kwargs["on_assigned"] = assigned
        out = real_export(*args, **kwargs)
        made["summaries"] = keys() - made["at fork"]
        return out

    monkeypatch.setattr(summaries_export, "export_summaries", export)
    record = tmp_path / "child-views"
    real_run = ForkedCall._run

    def run(self, work, out):
        def recording(call):
            before = keys()
            try:
                return work(call)
            finally:
                record.write_text("\n".join(sorted(keys() - before)), encoding="utf-8")

        return real_run(self, recording, out)

    monkeypatch.setattr(ForkedCall, "_run", run)
    may_fork(monkeypatch)
    monkeypatch.setattr(release, "VIEWS_BOTH_NEED", release.VIEWS_BOTH_NEED if beside else ())
    config = publish_config(tmp_path)
    run_monthly_release(config, MONTH, runners=step_runners(True))
    made["map"] = set(record.read_text(encoding="utf-8").split())
    return made


def test_the_views_both_gates_need_are_made_once_before_the_fork(tmp_path, monkeypatch):
    from crime_mapper.core.monthly.release import VIEWS_BOTH_NEED

    # without them made first, the summaries' gate and the map's child both make each one
    alone = _views_made(monkeypatch, False, tmp_path / "a")
    assert set(VIEWS_BOTH_NEED) <= alone["summaries"] & alone["map"]
    monkeypatch.undo()
    made = _views_made(monkeypatch, True, tmp_path / "b")
    # (made while the anonymise step waited for its GeoPackage's child: already at the fork)
    assert set(VIEWS_BOTH_NEED) <= made["at fork"]
    # ...and made by neither gate again (the other views the two share, a national summaries
    # folder's checks ask for too: its gate warms them while the pages are made, as the map's
    # child makes its own)
    assert not set(VIEWS_BOTH_NEED) & (made["map"] | made["summaries"])


def test_the_summaries_files_are_hashed_while_the_map_is_awaited_and_not_again(
    tmp_path, forks, monkeypatch
):
    """With the map beside, this process hashes the summaries' files for the manifest
    while it waits for the map's child (core.monthly.release.hashed_now); the manifest then
    takes those digests and reads none of them again, and is the one hashed afresh."""
    from crime_mapper.core.monthly import release as monthly
    from crime_mapper.core.release import release_files

    may_fork(monkeypatch)
    config = publish_config(tmp_path)
    reads: list[str] = []
    real = release_files.sha256_file

    def counted(path):
        reads.append(Path(path).as_posix())
        return real(path)

    monkeypatch.setattr(release_files, "sha256_file", counted)
    made = monthly.run_monthly_release(config, MONTH, runners=step_runners(True))
    assert len(forks) == 1 and no_children()
    # (hashed staged: the summaries, the atlas and the map are moved in together after)
    staged = [r for r in reads if "/neighbourhoods/" in r and STAGE_PREFIX in r]
    pages = [r for r in staged if r.endswith(".html")]
    assert pages and len(pages) == len(set(pages))  # each once
    summaries = (made.out_dir / "neighbourhoods").as_posix() + "/"
    assert not [r for r in reads if r.startswith(summaries)]  # (none by the manifest)
    assert made.digests == {}  # (not kept once the run has ended)
    written = json.loads(made.manifest.read_text(encoding="utf-8"))
    monkeypatch.setattr(release_files, "_DIGESTS", {})
    assert monthly.build_monthly_manifest(config, MONTH, made, step_runners(True)) == written


def _map_priority(monkeypatch, tmp_path) -> Path:
    """Where the web map's maker writes the priority it runs at (whichever process)."""
    from crime_mapper.core.publish import webmap_run

    said = tmp_path / "niceness"
    real = webmap_run.run_webmap

    def run_webmap(*args, **kwargs):
        said.write_text(str(os.getpriority(os.PRIO_PROCESS, 0)), encoding="utf-8")
        return real(*args, **kwargs)

    monkeypatch.setattr(webmap_run, "run_webmap", run_webmap)
    return said


def test_the_map_child_runs_nicer_than_the_summaries(tmp_path, forks, monkeypatch):
    """The web map's child runs MAP_CHILD_NICENESS steps nicer than the release's process,
    whose summaries are what the release waits for (the map is moved in after them), where
    the rest of the machine is idle (here: whatever it does counts as idle); the release's
    own process keeps its priority, and a map made in it is made at that one."""
    from crime_mapper.core.common import cpu_share
    from crime_mapper.core.monthly import release

    may_fork(monkeypatch)
    monkeypatch.setattr(cpu_share, "QUIET_CORES", float("inf"))
    monkeypatch.setattr(cpu_share, "MIN_WINDOW_S", 0.0)  # (a small release may run briefly)
    seen: list[int] = []
    said = _map_priority(monkeypatch, tmp_path)
    before = os.getpriority(os.PRIO_PROCESS, 0)
    config = publish_config(tmp_path)
    release.run_monthly_release(config, MONTH, runners=step_runners(True))
    assert len(forks) == 1 and no_children()
    seen.append(int(said.read_text(encoding="utf-8")))
    release.run_monthly_release(config, MONTH, runners=step_runners(False))
    assert len(forks) == 1
    seen.append(int(said.read_text(encoding="utf-8")))
    assert release.MAP_CHILD_NICENESS == 10
    assert seen == [min(19, before + release.MAP_CHILD_NICENESS), before]
    assert os.getpriority(os.PRIO_PROCESS, 0) == before


def test_the_map_child_keeps_its_priority_on_a_busy_machine(tmp_path, forks, monkeypatch):
    """Where other work has been using the cores the release's processes need (here: any
    use at all counts as busy, and no machine has the cores), the map's child runs at the
    release's priority: niced, it would get next to nothing beside that work, and the
    release would wait for it once the summaries are done."""
    from crime_mapper.core.common import cpu_share
    from crime_mapper.core.monthly import release

    may_fork(monkeypatch)
    monkeypatch.setattr(cpu_share, "QUIET_CORES", -1.0)
    monkeypatch.setattr(release, "MAP_BESIDE_PROCESSES", 10**6)
    said = _map_priority(monkeypatch, tmp_path)
    before = os.getpriority(os.PRIO_PROCESS, 0)
    release.run_monthly_release(publish_config(tmp_path), MONTH, runners=step_runners(True))
    assert len(forks) == 1 and no_children()
    assert int(said.read_text(encoding="utf-8")) == before


def test_the_map_child_s_priority_is_chosen_from_the_run_s_start(monkeypatch):
    """The choice is made from what the machine did since the run (and its step) began: no
    mark (a publish step called outside a run) or one that says nothing is no niceness."""
    from crime_mapper.core.common import cpu_share
    from crime_mapper.core.monthly import release

    assert release.map_child_niceness(None) == 0
    assert release.map_child_niceness() == 0
    monkeypatch.setattr(cpu_share, "_STAT", "/proc/no-such-file")
    assert release.map_child_niceness(cpu_share.mark()) == 0
    monkeypatch.undo()
    long_ago = cpu_share.CpuMark(time.monotonic() - 60.0, 0.0, 0.0)  # (all of it others')
    monkeypatch.setattr(cpu_share, "QUIET_CORES", float("inf"))
    assert release.map_child_niceness(long_ago) == release.MAP_CHILD_NICENESS
    assert release.map_child_niceness(long_ago, None) == release.MAP_CHILD_NICENESS
