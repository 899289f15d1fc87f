"""The public CSV of a release with no GeoPackage written by a forked child while the leak
gate checks its cells here (issue 15: core.release.csv_beside; ``cli anonymise --no-gpkg``,
the issue's command, passes run_anonymise's ``fork_gpkg``).

What must not change: the files (byte for byte, manifest included), the gate's verdicts
(the cells checked give the report the file gives, and a file that is not the bytes of
those cells is read and checked itself), and all-or-nothing: a child that dies, sends back
garbage or fails, a leak, or a cancel leaves the previous release as it was, with no
staged file or child process behind.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from crime_mapper.core.common.feedback import Cancelled, Feedback
from crime_mapper.core.gate.leak_gate import LeakError, check_release
from crime_mapper.core.release import csv_beside, public_schema
from crime_mapper.core.release.public_schema import (
    CsvBeingWritten,
    prepare_public_csv,
    write_prepared_csv,
)
from tests.support.forking import children_started, files_in, may_fork, no_children
from tests.support.leak_world import refs
from tests.support.written_outputs import planted_releases, public_table

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork only")


@pytest.fixture
def csv_forks(monkeypatch) -> list[int]:
    """The public CSV's children forked by the run (their process ids); a child may be
    forked whatever threads earlier tests left (the guard has a test of its own)."""
    may_fork(monkeypatch)
    return children_started(monkeypatch, csv_beside)


def _release(release_inputs: dict, out: Path, beside: bool, **kwargs) -> dict[str, bytes]:
    """The committed force extract released into ``out`` with no GeoPackage, as the command
    line runs it (``beside``) or in one process: its files' bytes."""
    from crime_mapper.core.release import pipeline
    from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE

    pipeline.run_anonymise(
        [FORCE_EXTRACT], str(release_inputs["points"]), None, release_inputs["salt"], out,
        profile_path=FORCE_PROFILE, write_gpkg=False, fork_gpkg=beside, **kwargs,
    )  # fmt: skip
    return files_in(out)


def _previous(release_inputs: dict, tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    out = tmp_path / "release"
    return out, _release(release_inputs, out, beside=False)


def _left_behind(folder: Path) -> list[str]:
    return [p.name for p in folder.parent.rglob("*") if ".crime_mapper-stage" in p.name]


def test_the_same_files_with_the_csv_written_beside(release_inputs, tmp_path, csv_forks):
    alone = _release(release_inputs, tmp_path / "alone", beside=False)
    assert not csv_forks
    again = _release(release_inputs, tmp_path / "beside", beside=True)
    assert len(csv_forks) == 1 and no_children()
    assert again == alone
    assert sorted(again) == [
        "2022-10-leicestershire-street.csv", "audit.html", "audit.json", "release_manifest.json",
    ]  # fmt: skip


def test_no_child_while_another_thread_runs(release_inputs, tmp_path, csv_forks, monkeypatch):
    """A thread alive at the fork could hold a lock the child then waits on for ever: the
    CSV is written here instead, the same bytes."""
    from crime_mapper.core.common import forked

    monkeypatch.setattr(forked, "alone", lambda: False)
    here = _release(release_inputs, tmp_path / "here", beside=True)
    assert not csv_forks
    assert here == _release(release_inputs, tmp_path / "alone", beside=False)


def test_a_table_that_is_not_plain_is_written_here(tmp_path, csv_forks):
    """Cells a CSV reader would not give back as written (a quote, a line break): no child
    (the gate reads such a file from disk), the file as the one-process writer writes it."""
    table = public_table({"Context": ['a "quoted" word', "line\nbreak"]}, 4)
    child, written = csv_beside.write(table, tmp_path / "a.csv")
    assert child is None and not csv_forks
    assert written is not None and not written.plain
    public_schema.write_public_csv(table, tmp_path / "b.csv")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


# --- the gate on cells being written -------------------------------------------------------------


def _being_written(path: Path, table, after_write=None) -> CsvBeingWritten:
    """The output as the release's gate gets it, written in this process when the gate asks
    for it (what a child does meanwhile), ``after_write(path)`` then."""
    prepared = prepare_public_csv(table)

    def finish():
        written = write_prepared_csv(prepared, path)
        if after_write is not None:
            after_write(path)
        return written

    return CsvBeingWritten(path, prepared, finish)


def test_the_cells_give_the_files_verdicts(world, tmp_path):
    """The real release and leaks planted in its table: the same report (verdicts, messages,
    examples) from the cells being written as from the file."""
    for label, public in planted_releases(world):
        path = tmp_path / label / "2022-10-force-street.csv"
        path.parent.mkdir()
        report = check_release(world["raw"], _being_written(path, public), world["points"])
        assert report.to_dict() == check_release(world["raw"], path, world["points"]).to_dict()
        assert report.passed == (label == "clean"), report.message()


def _appended(reference: str):
    def change(path: Path) -> None:
        with open(path, "ab") as handle:
            handle.write((",2022-10,,,,,,,,," + reference + ",\r\n").encode())

    return change


def _replaced_same_size(reference: str):
    def change(path: Path) -> None:
        body = path.read_bytes()
        pad = b"On or near Pasley Road"
        planted = reference.encode().ljust(len(pad), b" ")[: len(pad)]
        stat = path.stat()
        path.write_bytes(body.replace(pad, planted, 1))
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    return change


@pytest.mark.parametrize("change", [_appended, _replaced_same_size])
def test_a_file_that_is_not_the_cells_bytes_is_read_itself(world, tmp_path, change):
    """A leak in the file but not in the cells the gate checked (written besides, or in
    place of a cell to the same size, even its time kept) is found: the file is read."""
    public = world["public"].copy()
    public.loc[0, "Location"] = "On or near Pasley Road"
    reference = next(r for r in refs(world) if r)
    path = tmp_path / "2022-10-force-street.csv"
    output = _being_written(path, public, change(reference))
    report = check_release(world["raw"], output, world["points"])
    assert not report.passed
    assert "no_source_references" in report.message()
    assert report.to_dict() == check_release(world["raw"], path, world["points"]).to_dict()


def test_a_write_that_fails_fails_every_check(world, tmp_path):
    prepared = prepare_public_csv(world["public"])

    def finish():
        raise OSError("No space left on device (planted)")

    path = tmp_path / "2022-10-force-street.csv"
    report = check_release(world["raw"], CsvBeingWritten(path, prepared, finish), world["points"])
    assert not report.passed and report.checks
    assert all(
        not c.passed and "could not be written" in c.detail and "planted" in c.detail
        for c in report.checks
    )


# --- in the release pipeline ---------------------------------------------------------------------


def test_a_leak_in_the_cells_fails_the_release(release_inputs, tmp_path, csv_forks, monkeypatch):
    """A raw reference in the public table's cells: the gate finds it in the cells while the
    child writes them, and nothing is replaced."""
    import pandas as pd

    from tests.support.plain_cli import FORCE_EXTRACT

    out, before = _previous(release_inputs, tmp_path)
    reference = pd.read_csv(FORCE_EXTRACT, dtype=str)["Crime Reference"].iloc[0]
    real = public_schema.prepare_public_csv

    def leaky(public):
        public = public.copy()
        public.loc[public.index[0], "Context"] = reference
        return real(public)

    monkeypatch.setattr(csv_beside, "prepare_public_csv", leaky)
    with pytest.raises(LeakError, match="no_source_references"):
        _release(release_inputs, out, beside=True)
    assert len(csv_forks) == 1 and no_children()
    assert files_in(out) == before and _left_behind(out) == []


def test_a_child_that_writes_more_than_the_cells_fails_the_release(
    release_inputs, tmp_path, csv_forks, monkeypatch
):
    """The child writes the cells and then a raw reference besides: the file is not the
    cells' bytes, so the gate reads it, finds the reference, and nothing is replaced."""
    import pandas as pd

    from tests.support.plain_cli import FORCE_EXTRACT

    out, before = _previous(release_inputs, tmp_path)
    reference = pd.read_csv(FORCE_EXTRACT, dtype=str)["Crime Reference"].iloc[0]
    real = csv_beside.write_here

    def writes_more(prepared, path):
        sent = real(prepared, path)
        _appended(reference)(path)
        return sent

    monkeypatch.setattr(csv_beside, "write_here", writes_more)
    with pytest.raises(LeakError, match="no_source_references"):
        _release(release_inputs, out, beside=True)
    assert len(csv_forks) == 1 and no_children()
    assert files_in(out) == before and _left_behind(out) == []


def test_a_child_that_dies_fails_the_release(release_inputs, tmp_path, csv_forks, monkeypatch):
    out, before = _previous(release_inputs, tmp_path)
    monkeypatch.setattr(
        csv_beside, "write_here", lambda *_a, **_k: os.kill(os.getpid(), signal.SIGKILL)
    )
    with pytest.raises(RuntimeError, match="stopped unexpectedly"):
        _release(release_inputs, out, beside=True)
    assert len(csv_forks) == 1 and no_children()
    assert files_in(out) == before and _left_behind(out) == []


@pytest.mark.parametrize("garbage", [None, {"passed": True}, (b"x" * 32, -1, True), ("", 1, 1)])
def test_a_child_that_sends_back_garbage_fails_closed(
    release_inputs, tmp_path, csv_forks, monkeypatch, garbage
):
    out, before = _previous(release_inputs, tmp_path)
    monkeypatch.setattr(csv_beside, "write_here", lambda *_a, **_k: garbage)
    with pytest.raises(RuntimeError, match="no account of what it wrote"):
        _release(release_inputs, out, beside=True)
    assert len(csv_forks) == 1 and no_children()
    assert files_in(out) == before and _left_behind(out) == []


def test_the_childs_own_error_is_raised_here(release_inputs, tmp_path, csv_forks, monkeypatch):
    """A full disk in the child is the release's error as it is in one process."""
    out, before = _previous(release_inputs, tmp_path)

    def no_space(*_args, **_kwargs):
        raise OSError(28, "No space left on device (planted)")

    monkeypatch.setattr(public_schema, "write_prepared_csv", no_space)
    monkeypatch.setattr(csv_beside, "write_prepared_csv", no_space)
    errors = []
    for beside in (False, True):
        with pytest.raises(OSError) as caught:
            _release(release_inputs, out, beside=beside)
        errors.append((type(caught.value), str(caught.value)))
        assert files_in(out) == before and _left_behind(out) == []
    assert len(csv_forks) == 1 and no_children()
    assert errors[0] == errors[1]
    assert "No space left on device (planted)" in errors[0][1]


def test_a_cancel_while_the_child_writes_leaves_the_previous_release(
    release_inputs, tmp_path, csv_forks
):
    out, before = _previous(release_inputs, tmp_path)

    class CancelAfterFork(Feedback):
        def is_cancelled(self) -> bool:
            return bool(csv_forks)

    with pytest.raises(Cancelled):
        _release(release_inputs, out, beside=True, feedback=CancelAfterFork())
    assert len(csv_forks) == 1 and no_children()
    assert files_in(out) == before and _left_behind(out) == []
