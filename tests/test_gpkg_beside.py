"""The anonymise step's public GeoPackage written and gated in a forked child beside the
public CSV's write and gate (issue 15: core.release.gpkg_beside, run_anonymise's
``fork_gpkg`` as the monthly release's process passes it).

What must not change: the files (byte for byte, manifest included), the gate's verdicts
and failures (a GeoPackage or style the gate refuses fails the release with the same
error), and all-or-nothing: a child that dies, sends back garbage or fails, a CSV the gate
refuses while the child works, or a cancel, leaves the previous release as it was, with no
staged file or child process behind.
"""

from __future__ import annotations

import json
import os
import re
import signal
from pathlib import Path

import pytest

from crime_mapper.core.common import forked
from crime_mapper.core.common.feedback import Cancelled, Feedback
from crime_mapper.core.common.forked import ForkedCall
from crime_mapper.core.release import gpkg_beside, release_files
from tests.support.forking import children_started, files_in, may_fork, no_children
from tests.support.monthly_config import MONTH, publish_config, step_runners

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork only")


@pytest.fixture
def gpkg_forks(monkeypatch) -> list[int]:
    """The public GeoPackage's children forked by the run (their process ids)."""
    return children_started(monkeypatch, gpkg_beside)


def _quick(tmp_path: Path):
    """The bundled release without publishing (the anonymise step is what is tested)."""
    config = publish_config(tmp_path)
    config.publish.summaries = config.publish.web_map = config.publish.project = False
    return config


def _qgis_runners(beside: bool):
    from crime_mapper.qgis_bridge.monthly_release import QgisStepRunners

    runners = QgisStepRunners()
    runners.publish_beside = beside
    return runners


def _left_behind(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if ".staging-" in p.name or ".old-" in p.name]


def test_the_same_files_with_the_geopackage_made_beside(tmp_path, gpkg_forks, monkeypatch):
    from crime_mapper.core.monthly.release import run_monthly_release

    may_fork(monkeypatch)
    config = publish_config(tmp_path)
    alone = run_monthly_release(config, MONTH, runners=step_runners(False))
    first = files_in(alone.out_dir)
    assert not gpkg_forks
    again = run_monthly_release(config, MONTH, runners=step_runners(True))
    assert len(gpkg_forks) == 1 and no_children()
    assert files_in(again.out_dir) == first
    assert any(name.endswith("-street.gpkg") for name in first)
    assert [s.summary for s in again.steps] == [s.summary for s in alone.steps]
    assert "gpkg_beside_wait" in again.release.timings
    assert "write_gpkg" in alone.release.timings


def test_with_qgis_the_same_files_and_the_digest_comes_back(tmp_path, gpkg_forks, monkeypatch):
    """The QGIS runners: the load's GeoPackage is settled before the fork, the style is
    written (and gated) here, the files are those made without a child, and
    the GeoPackage's SHA-256 taken in the child is the one the manifest lists (this process
    never reads the file to hash it)."""
    from crime_mapper.core.gate import output_reader
    from crime_mapper.core.monthly import release as monthly

    may_fork(monkeypatch)
    monkeypatch.setattr(release_files, "_REMEMBERED_FROM_BYTES", 1)  # the sample is small
    config = _quick(tmp_path)
    alone = monthly.run_monthly_release(config, MONTH, runners=_qgis_runners(False))
    first = files_in(alone.out_dir)
    assert not gpkg_forks
    reads: list[str] = []
    real, real_gate = release_files.sha256_file, output_reader._sha256
    monkeypatch.setattr(
        release_files, "sha256_file", lambda p: (reads.append(Path(p).name), real(p))[1]
    )
    monkeypatch.setattr(
        output_reader, "_sha256", lambda p: (reads.append(Path(p).name), real_gate(p))[1]
    )
    runners = _qgis_runners(True)
    outputs = monthly.run_monthly_release(config, MONTH, runners=runners)
    assert len(gpkg_forks) == 1 and no_children()
    assert files_in(outputs.out_dir) == first
    gpkg = outputs.release.public_gpkg
    assert outputs.release.qml is not None and outputs.release.qml.is_file()
    assert gpkg.name not in reads  # (hashed in the child only)
    written = json.loads(outputs.manifest.read_text(encoding="utf-8"))
    monkeypatch.setattr(release_files, "_DIGESTS", {})
    assert monthly.build_monthly_manifest(config, MONTH, outputs, runners) == written


def _previous(tmp_path: Path):
    from crime_mapper.core.monthly.release import run_monthly_release

    config = _quick(tmp_path)
    done = run_monthly_release(config, MONTH, runners=step_runners(False))
    public = done.out_dir / "public"
    return config, done.out_dir, files_in(public)


def test_a_child_that_dies_fails_the_release_and_leaves_the_previous_one(
    tmp_path, gpkg_forks, monkeypatch
):
    from crime_mapper.core.monthly.release import MonthlyReleaseError, run_monthly_release

    may_fork(monkeypatch)
    config, out_dir, before = _previous(tmp_path)
    monkeypatch.setattr(
        gpkg_beside, "gpkg_work", lambda *_a, **_k: os.kill(os.getpid(), signal.SIGKILL)
    )
    with pytest.raises(MonthlyReleaseError, match="stopped unexpectedly") as caught:
        run_monthly_release(config, MONTH, runners=step_runners(True))
    assert caught.value.step == "anonymise"
    assert len(gpkg_forks) == 1 and no_children()
    assert files_in(out_dir / "public") == before
    assert _left_behind(out_dir) == []


def test_a_child_that_sends_back_garbage_fails_closed(tmp_path, gpkg_forks, monkeypatch):
    from crime_mapper.core.monthly.release import MonthlyReleaseError, run_monthly_release

    may_fork(monkeypatch)
    config, out_dir, before = _previous(tmp_path)
    monkeypatch.setattr(gpkg_beside, "gpkg_work", lambda *_a, **_k: {"passed": True})
    with pytest.raises(MonthlyReleaseError, match="sent back no gate report"):
        run_monthly_release(config, MONTH, runners=step_runners(True))
    assert len(gpkg_forks) == 1 and no_children()
    assert files_in(out_dir / "public") == before
    assert _left_behind(out_dir) == []


def _refusing(suffix: str):
    """check_release refusing every output whose name ends with ``suffix``."""
    from crime_mapper.core.gate import leak_gate
    from crime_mapper.core.gate.leak_gate import GateCheck, GateReport

    real = leak_gate.check_release

    def check(raw, output, points, **kwargs):
        name = str(getattr(output, "path", output))
        if name.endswith(suffix):
            return GateReport(False, [GateCheck("planted", False, "planted refusal", [])], name)
        return real(raw, output, points, **kwargs)

    return check


@pytest.mark.parametrize("refused", [".gpkg", ".csv"])
def test_a_refused_file_fails_as_when_made_here(tmp_path, gpkg_forks, monkeypatch, refused):
    """The GeoPackage refused in the child, or the CSV refused here while the child works:
    the same error as without a child, nothing replaced, the child gone."""
    from crime_mapper.core.gate import leak_gate
    from crime_mapper.core.monthly.release import MonthlyReleaseError, run_monthly_release

    may_fork(monkeypatch)
    config, out_dir, before = _previous(tmp_path)
    monkeypatch.setattr(leak_gate, "check_release", _refusing(refused))
    errors = []
    for beside in (False, True):
        with pytest.raises(MonthlyReleaseError) as caught:
            run_monthly_release(config, MONTH, runners=step_runners(beside))
        # (the staged file's folder has a name of its own in each run)
        reason = re.sub(r"\.crime_mapper-stage-[0-9a-f]+", "STAGE", caught.value.reason)
        errors.append((caught.value.step, reason, caught.value.action))
        assert files_in(out_dir / "public") == before
        assert _left_behind(out_dir) == [] and no_children()
    assert len(gpkg_forks) == 1
    assert errors[0] == errors[1]
    assert "planted refusal" in errors[0][1]
    assert refused in errors[0][1]


def test_the_childs_own_error_is_raised_here(tmp_path, gpkg_forks, monkeypatch):
    from crime_mapper.core.io import gpkg_write
    from crime_mapper.core.monthly.release import MonthlyReleaseError, run_monthly_release

    may_fork(monkeypatch)
    config, out_dir, before = _previous(tmp_path)

    def no_space(*_args, **_kwargs):
        raise OSError("No space left on device (planted)")

    monkeypatch.setattr(gpkg_write, "write_geopackage", no_space)
    errors = []
    for beside in (False, True):
        with pytest.raises(MonthlyReleaseError) as caught:
            run_monthly_release(config, MONTH, runners=step_runners(beside))
        errors.append((caught.value.step, caught.value.reason))
        assert files_in(out_dir / "public") == before and _left_behind(out_dir) == []
    assert len(gpkg_forks) == 1 and no_children()
    assert errors[0] == errors[1] == ("anonymise", "No space left on device (planted)")


def test_a_cancel_while_the_child_works_leaves_the_previous_release(
    tmp_path, gpkg_forks, monkeypatch
):
    from crime_mapper.core.monthly.release import run_monthly_release

    may_fork(monkeypatch)
    config, out_dir, before = _previous(tmp_path)

    class CancelAfterFork(Feedback):
        def is_cancelled(self) -> bool:
            return bool(gpkg_forks)

    with pytest.raises(Cancelled):
        run_monthly_release(config, MONTH, runners=step_runners(True), feedback=CancelAfterFork())
    assert len(gpkg_forks) == 1 and no_children()
    assert files_in(out_dir / "public") == before
    assert _left_behind(out_dir) == []


def test_no_child_while_another_thread_runs(tmp_path, gpkg_forks, monkeypatch):
    """A thread alive at the fork could hold a lock the child then waits on for ever: the
    GeoPackage is made here instead, with the same files."""
    import threading

    from crime_mapper.core.monthly.release import run_monthly_release

    monkeypatch.setattr(forked, "available", lambda: True)
    config = _quick(tmp_path)
    alone = files_in(run_monthly_release(config, MONTH, runners=step_runners(False)).out_dir)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, args=(60,), daemon=True)
    other.start()
    try:
        assert not forked.alone()
        made = run_monthly_release(config, MONTH, runners=step_runners(True))
    finally:
        stop.set()
        other.join()
    assert not gpkg_forks
    assert files_in(made.out_dir) == alone


def test_the_digests_the_child_took_are_remembered_here(tmp_path, monkeypatch):
    """gpkg_work sends back what it hashed; Beside.result remembers it in this process."""
    monkeypatch.setattr(release_files, "_REMEMBERED_FROM_BYTES", 1)
    monkeypatch.setattr(release_files, "_DIGESTS", {})
    path = tmp_path / "made.gpkg"

    def write(_feedback):
        path.write_bytes(b"written in the child")
        return path

    call = gpkg_beside.Beside(
        ForkedCall(
            lambda c: gpkg_beside.gpkg_work(
                write, lambda out: ("report", str(out)), path, None, c.feedback()
            )
        )
    )
    gated = call.result()
    assert gated.report == ("report", str(path)) and gated.style is None
    assert release_files.remembered_digests() == {
        release_files._identity(path): release_files.sha256_file(path)
    }
    assert no_children()


def test_no_view_the_child_makes_is_made_again_here(tmp_path, monkeypatch):
    """The raw-side views the GeoPackage's check computes that the release's later gate
    calls (summaries, web map) need too are made here before the fork (views_first): the
    child inherits them, and none is made twice."""
    from crime_mapper.core.gate import leak_gate
    from crime_mapper.core.monthly.release import run_monthly_release

    gates: list = []
    real_gate = leak_gate.ReleaseGate.__init__

    def init(self, *args, **kwargs):
        real_gate(self, *args, **kwargs)
        gates.append(self)

    monkeypatch.setattr(leak_gate.ReleaseGate, "__init__", init)

    def keys() -> set:
        return set(gates[0].base.__dict__)

    at_fork: dict[str, set] = {}
    real_start = gpkg_beside.start

    def start(*args, **kwargs):
        at_fork["here"] = keys()
        return real_start(*args, **kwargs)

    monkeypatch.setattr(gpkg_beside, "start", start)
    record = tmp_path / "child-views"
    real_run = ForkedCall._run

    def run(self, work, out):
        def recording(call):
            before = keys()
            try:
                return work(call)
            finally:
                if getattr(work, "__module__", None) == gpkg_beside.__name__:
                    record.write_text("\n".join(sorted(keys() - before)), encoding="utf-8")

        return real_run(self, recording, out)

    monkeypatch.setattr(ForkedCall, "_run", run)
    may_fork(monkeypatch)
    run_monthly_release(publish_config(tmp_path), MONTH, runners=step_runners(True))
    in_child = set(record.read_text(encoding="utf-8").split())
    made_here_after = keys() - at_fork["here"]
    shared = leak_gate.GEOPACKAGE_READ_VIEWS + gpkg_beside.SHARED_VIEWS
    assert set(shared) <= at_fork["here"]
    assert not (in_child & made_here_after), in_child & made_here_after


@pytest.fixture
def hood_reads(monkeypatch) -> list[str]:
    """Each read of the neighbourhoods (core.publish.summaries_run.load_neighbourhoods),
    named by the release step running then."""
    from crime_mapper.core.monthly import release as monthly
    from crime_mapper.core.publish import summaries_run

    reads: list[str] = []
    running: list[str] = []
    real_read = summaries_run.load_neighbourhoods
    real_step = monthly._run_step

    def read(*args, **kwargs):
        reads.append(running[-1] if running else "?")
        return real_read(*args, **kwargs)

    def step(name, *args, **kwargs):
        running.append(name)
        return real_step(name, *args, **kwargs)

    monkeypatch.setattr(summaries_run, "load_neighbourhoods", read)
    monkeypatch.setattr(monthly, "_run_step", step)
    return reads


def test_the_neighbourhoods_are_read_while_the_geopackage_is_awaited(
    tmp_path, gpkg_forks, hood_reads, monkeypatch
):
    """While the anonymise step waits for its GeoPackage's child, this process reads the
    publish step's neighbourhoods (run_anonymise's ``while_waiting``); the publish step
    starts from them and reads nothing again. The same files as a release run here."""
    from crime_mapper.core.monthly.release import run_monthly_release

    may_fork(monkeypatch)
    config = publish_config(tmp_path)
    alone = files_in(run_monthly_release(config, MONTH, runners=step_runners(False)).out_dir)
    assert hood_reads == ["publish"] and not gpkg_forks
    hood_reads.clear()
    made = run_monthly_release(config, MONTH, runners=step_runners(True))
    assert len(gpkg_forks) == 1 and no_children()
    assert hood_reads == ["anonymise"]
    assert files_in(made.out_dir) == alone
    # a run whose publish step comes later (the dock's single steps) reads nothing early
    hood_reads.clear()
    first = run_monthly_release(
        config, MONTH, runners=step_runners(True), steps=("load", "check", "anonymise")
    )
    assert hood_reads == []
    run_monthly_release(
        config, MONTH, runners=step_runners(True), steps=("hotspots", "publish"), previous=first
    )
    assert hood_reads == ["publish"]
    assert files_in(made.out_dir) == alone


def test_an_early_read_that_fails_is_done_again_by_the_publish_step(
    tmp_path, gpkg_forks, hood_reads, monkeypatch
):
    """A failure of the early read is not the anonymise step's: the publish step reads the
    neighbourhoods itself, as it always did (here: with the same files; a real fault in
    them fails the publish step with its usual reason)."""
    from crime_mapper.core.monthly.release import run_monthly_release
    from crime_mapper.core.publish import summaries_run

    may_fork(monkeypatch)
    config = publish_config(tmp_path)
    alone = files_in(run_monthly_release(config, MONTH, runners=step_runners(False)).out_dir)
    hood_reads.clear()
    read = summaries_run.load_neighbourhoods
    failed: list[int] = []

    def once_unreadable(*args, **kwargs):
        if not failed:
            failed.append(1)
            raise OSError("the outlines' disk went away for a moment")
        return read(*args, **kwargs)

    monkeypatch.setattr(summaries_run, "load_neighbourhoods", once_unreadable)
    made = run_monthly_release(config, MONTH, runners=step_runners(True))
    assert failed and len(gpkg_forks) == 1
    assert hood_reads == ["publish"]  # (the early read failed before it was counted)
    assert files_in(made.out_dir) == alone
