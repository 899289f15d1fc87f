"""Whole folders staged and swapped in by core.common.staging (Staging.folder_for): the
summaries folder of one page per neighbourhood appears whole or not at all, a killed run at
any commit step leaves the previous folder or the new one (never a mix, never neither), the
next run removes a killed run's stage, and the commit flushes the folder with one file-system
sync rather than one fsync per file."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from crime_mapper.core.common import staging
from crime_mapper.core.common.staging import (
    Staging,
    complete_pending,
    stage_folders,
    staged_outputs,
)
from tests.support.commit_kills import journal_written, run_killed_at, snapshot_hashes

FOLDER_RELEASE = """
import sys
from pathlib import Path
from crime_mapper.core.common.staging import staged_outputs
out, version = Path(sys.argv[1]), sys.argv[2]
with staged_outputs() as stage:
    folder = stage.folder_for(out / "neighbourhoods")
    for i in range(40):
        (folder / f"page-{i}.html").write_text(f"page {i} of summaries {version}\\n" * 50)
    (folder / ("only-in-" + version + ".csv")).write_text(version)
    stage.path_for(out / "atlas.pdf").write_text(f"atlas {version}\\n")
"""


def _write_folder(folder: Path, version: str, pages: int = 5) -> None:
    for i in range(pages):
        (folder / f"page-{i}.html").write_text(f"{version} {i}")


def test_folder_replaces_the_previous_one_whole(tmp_path: Path):
    final = tmp_path / "out" / "neighbourhoods"
    final.mkdir(parents=True)
    _write_folder(final, "old", pages=8)
    (final / "gone.html").write_text("a page the new run does not write")
    with staged_outputs() as stage:
        folder = stage.folder_for(final)
        assert folder != final and folder.is_dir() and not list(folder.iterdir())
        _write_folder(folder, "new")
        assert (final / "gone.html").exists()  # nothing moves before the block completes
    assert sorted(p.name for p in final.iterdir()) == [f"page-{i}.html" for i in range(5)]
    assert (final / "page-0.html").read_text() == "new 0"
    assert sorted(p.name for p in final.parent.iterdir()) == ["neighbourhoods"]  # no stage


def test_folder_appears_when_there_was_none(tmp_path: Path):
    final = tmp_path / "fresh" / "neighbourhoods"
    with staged_outputs() as stage:
        _write_folder(stage.folder_for(final), "new")
    assert (final / "page-4.html").read_text() == "new 4"
    assert not stage_folders(final.parent)


@pytest.mark.parametrize("failure", [RuntimeError("gate refused"), KeyboardInterrupt()])
def test_a_failure_keeps_the_previous_folder_and_leaves_no_stage(tmp_path: Path, failure):
    final = tmp_path / "neighbourhoods"
    final.mkdir()
    _write_folder(final, "old")
    before = snapshot_hashes(final)
    with pytest.raises(type(failure)):
        with staged_outputs() as stage:
            _write_folder(stage.folder_for(final), "new")
            raise failure
    assert snapshot_hashes(final) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["neighbourhoods"]


def test_a_file_and_a_folder_cannot_share_a_name(tmp_path: Path):
    staging_ = Staging()
    try:
        staging_.path_for(tmp_path / "neighbourhoods")
        with pytest.raises(ValueError):
            staging_.folder_for(tmp_path / "neighbourhoods")
    finally:
        staging_.discard()


def test_commit_syncs_the_folder_once_not_per_file(tmp_path: Path, monkeypatch):
    """7,200 pages must not cost 7,200 fsyncs: the folder is flushed by one syncfs/sync."""
    calls = {"fsync": 0, "tree": 0}
    real_fsync, real_tree = os.fsync, staging._sync_tree

    def fsync(fd):
        calls["fsync"] += 1
        return real_fsync(fd)

    def tree(folder):
        calls["tree"] += 1
        return real_tree(folder)

    monkeypatch.setattr(staging.os, "fsync", fsync)
    monkeypatch.setattr(staging, "_sync_tree", tree)
    with staged_outputs() as stage:
        _write_folder(stage.folder_for(tmp_path / "neighbourhoods"), "new", pages=300)
    assert calls["tree"] == 1
    assert calls["fsync"] <= 5  # the journal and the folders it renames in, not the pages
    assert len(list((tmp_path / "neighbourhoods").iterdir())) == 300


def test_a_folder_swap_killed_at_any_commit_step_is_whole_old_or_whole_new(tmp_path: Path):
    def release(base: Path, version: str, kill_at: int = 0):
        return run_killed_at(FOLDER_RELEASE, [str(base / "out"), version], kill_at)

    old_base, new_base = tmp_path / "old", tmp_path / "new"
    assert release(old_base, "A").returncode == 0
    done = release(new_base, "B")
    assert done.returncode == 0, done.stderr
    steps = int(done.stderr.split("COMMIT_STEPS=")[1].split()[0])
    assert steps >= 5
    old = snapshot_hashes(old_base / "out")
    new = snapshot_hashes(new_base / "out")
    assert any("only-in-A" in k for k in old) and any("only-in-B" in k for k in new)

    outcomes = set()
    for kill_at in range(1, steps + 1):
        base = tmp_path / f"kill{kill_at}"
        shutil.copytree(old_base, base)
        run = release(base, "B", kill_at)
        assert run.returncode == 9, (kill_at, run.stderr)
        out = base / "out"
        if not journal_written(out):  # no commit under way: whole, without any help
            assert snapshot_hashes(out) == old, f"killed at step {kill_at}: changed with no journal"
        complete_pending(out)
        after = snapshot_hashes(out)
        assert after in (old, new), f"killed at step {kill_at}: a mixed or missing folder"
        outcomes.add("new" if after == new else "old")
        assert not stage_folders(out)
    assert outcomes == {"old", "new"}


def test_a_killed_runs_folder_stage_is_removed_by_the_next_run(tmp_path: Path):
    out = tmp_path / "out"
    (out / "neighbourhoods").mkdir(parents=True)
    _write_folder(out / "neighbourhoods", "old")
    script = """
import os, sys
from pathlib import Path
from crime_mapper.core.common.staging import Staging
folder = Staging().folder_for(Path(sys.argv[1]) / "neighbourhoods")
(folder / "page-0.html").write_text("half written")
os._exit(9)
"""
    assert run_killed_at(script, [str(out)], 0).returncode == 9
    assert len(stage_folders(out)) == 1  # the killed run's stage, left behind
    assert (out / "neighbourhoods" / "page-0.html").read_text() == "old 0"
    with staged_outputs() as stage:
        _write_folder(stage.folder_for(out / "neighbourhoods"), "new")
    assert sorted(p.name for p in out.iterdir()) == ["neighbourhoods"]
    assert (out / "neighbourhoods" / "page-0.html").read_text() == "new 0"
