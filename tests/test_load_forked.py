"""The load's crimes GeoPackage tables written in a forked child rather than a thread, in a
process of its own (issue 15: qgis_bridge.run_load's ``gpkg_fork``, the monthly release's
command line and release process).

Why: on a thread the tables' write (mostly Python building rows) held the interpreter's
lock against the anonymise step's work, and the public GeoPackage's own child
(core.release.gpkg_beside) could only be forked once that thread had ended. Nothing a user
sees may change: the same files and manifest entries, all or nothing, the child's error
raised when the load is settled as the thread's was, and a child that dies is an error.
Real QGIS, real files.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from crime_mapper.core.common import forked
from crime_mapper.core.common.staging import stage_folders
from crime_mapper.core.monthly.release import MonthlyReleaseError, run_monthly_release
from crime_mapper.core.release.crimes_input import crimes_from_gpkg, crimes_from_load_in_progress
from crime_mapper.qgis_bridge import run_load as loading
from tests.support.forking import no_children
from tests.support.monthly_config import MONTH, folder_files, quick_config
from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE, HISTORY

FORCE = [FORCE_EXTRACT]
OTHER = [HISTORY[0]]  # (September 2022: a previous load)


def _rejects(out) -> Path:
    return out.waiting[Path(out.rejects_csv).absolute()]


pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork only")


@pytest.fixture
def load_forks(monkeypatch) -> list[int]:
    """May fork (whatever this machine has and earlier tests left running); the process ids
    of the load's children."""
    from crime_mapper.core.common.forked import ForkedCall

    monkeypatch.setattr(forked, "available", lambda: True)
    monkeypatch.setattr(forked, "alone", lambda: True)
    made: list[int] = []
    real = ForkedCall.__init__

    def init(self, work):
        real(self, work)
        if getattr(work, "__module__", None) == loading.__name__:
            made.append(self.pid)

    monkeypatch.setattr(ForkedCall, "__init__", init)
    return made


def _load(folder, **options):
    return loading.run_load(
        FORCE, folder, profile_path=FORCE_PROFILE, keep_table=True, gpkg_beside=True, **options
    )


def test_the_same_files_and_entries_with_the_tables_forked(tmp_path, load_forks):
    thread = _load(tmp_path / "thread")
    assert not load_forks
    thread_entry = thread.settle()
    folder = tmp_path / "forked"
    loading.run_load(OTHER, folder)  # a previous load, which must stay whole until settled
    previous = folder_files(folder)
    out = _load(folder, gpkg_fork=True)
    assert len(load_forks) == 1
    in_progress = crimes_from_load_in_progress(out.gpkg, out.table, _rejects(out), out.settle)
    visible = {k: v for k, v in folder_files(folder).items() if not k.startswith(".crime_mapper-")}
    assert visible == previous  # nothing moved yet
    entry = out.settle()
    assert out.settle() == entry and no_children()
    assert folder_files(folder) == folder_files(tmp_path / "thread")
    assert entry == thread_entry and stage_folders(folder) == []
    done = crimes_from_gpkg(out.gpkg, loaded=out.table)
    assert list(in_progress.input_entries) == done.input_entries


def test_no_child_while_another_thread_runs(tmp_path, monkeypatch):
    """forked.alone() false: the thread, as before (the same files)."""
    from crime_mapper.core.common.forked import ForkedCall

    made = []
    monkeypatch.setattr(forked, "available", lambda: True)
    monkeypatch.setattr(forked, "alone", lambda: False)
    monkeypatch.setattr(ForkedCall, "__init__", lambda self, work: made.append(work))
    out = _load(tmp_path / "a", gpkg_fork=True)
    out.settle()
    assert made == []
    _load(tmp_path / "b").settle()
    assert folder_files(tmp_path / "a") == folder_files(tmp_path / "b")


def test_the_childs_error_is_raised_when_settled(tmp_path, load_forks, monkeypatch):
    folder = tmp_path / "load"
    loading.run_load(OTHER, folder)
    previous = folder_files(folder)

    def broken(*_args, **_kwargs):
        raise OSError("No space left on device (planted)")

    monkeypatch.setattr(loading, "_write_crimes_gpkg", broken)
    out = _load(folder, gpkg_fork=True)
    assert len(load_forks) == 1
    for _ in range(2):
        with pytest.raises(OSError, match=r"^No space left on device \(planted\)$"):
            out.settle()
    assert folder_files(folder) == previous and stage_folders(folder) == [] and no_children()


def test_a_child_that_dies_is_an_error_and_moves_nothing(tmp_path, load_forks, monkeypatch):
    folder = tmp_path / "load"
    loading.run_load(OTHER, folder)
    previous = folder_files(folder)
    monkeypatch.setattr(
        loading, "_write_crimes_gpkg", lambda *_a, **_k: os.kill(os.getpid(), signal.SIGKILL)
    )
    out = _load(folder, gpkg_fork=True)
    with pytest.raises(RuntimeError, match="stopped unexpectedly"):
        out.settle()
    assert folder_files(folder) == previous and stage_folders(folder) == [] and no_children()


def test_in_a_release_the_childs_failure_is_the_load_steps(tmp_path, load_forks, monkeypatch):
    from crime_mapper.qgis_bridge.monthly_release import QgisStepRunners

    config = quick_config(tmp_path)
    runners = QgisStepRunners()
    runners.publish_beside = True
    out = config.output_dir(MONTH)
    run_monthly_release(config, MONTH, runners=runners)
    assert len(load_forks) == 1 and no_children()
    before = folder_files(out)

    def broken(*_args, **_kwargs):
        raise OSError("No space left on device (planted)")

    monkeypatch.setattr(loading, "_write_crimes_gpkg", broken)
    states: list = []
    with pytest.raises(MonthlyReleaseError) as raised:
        run_monthly_release(
            config, MONTH, runners=runners, on_step=lambda s, t: states.append((s, t))
        )
    assert raised.value.step == "load" and "planted" in raised.value.reason
    assert ("load", "failed") in states
    assert folder_files(out) == before and no_children()
    assert stage_folders(out / "internal") == [] and stage_folders(out / "public") == []


def test_the_styles_are_stored_beside_the_caller_before_it_settles(
    tmp_path, load_forks, monkeypatch
):
    """The child's tables done, the styles, flush and hash follow on a thread of their own
    (QGIS and SQLite, mostly without Python's lock), not when the caller settles: in a
    release they overlap the anonymise step instead of delaying its GeoPackage's fork."""
    import threading

    stored = threading.Event()
    threads: list = []
    real = loading._store_styles

    def store(*args, **kwargs):
        real(*args, **kwargs)
        threads.append(threading.current_thread())
        stored.set()

    monkeypatch.setattr(loading, "_store_styles", store)
    out = _load(tmp_path / "load", gpkg_fork=True)
    assert len(load_forks) == 1
    assert stored.wait(60), "the styles waited for the caller to settle"
    assert threads == [t for t in threads if t is not threading.main_thread()]
    entry = out.settle()
    assert out.settle() == entry and len(threads) == 1 and no_children()
    assert stage_folders(tmp_path / "load") == []
