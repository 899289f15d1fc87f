"""A commit whose moves stop half way (core.common.staging._finish): a directory put where a
staged file should go just before the commit point (after the commit's own look for one,
which refuses it with nothing changed: the last test), as a disk error would stop a rename
after the commit point.

Why: the rename's bare OSError named a file in the hidden stage folder and said nothing of
the outputs already replaced, so a folder holding new and previous outputs side by side
read as one that had failed whole. Now the error says which outputs are new, which are not
yet, and where the new ones wait; the next run in the folder moves them in once the cause
is gone. Real files, a real directory in the way.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from crime_mapper.core.common.staging import (
    JOURNAL,
    OutputWriteError,
    ask_before_commits,
    complete_pending,
    stage_folders,
    staged_outputs,
)


@pytest.fixture
def in_the_way_at_the_commit():
    """``put(path)``: a folder made at ``path`` as the next commit asks to go ahead (past
    its look for folders in the way, before its commit point)."""

    def put(path: Path, inside: str = "") -> None:
        def make() -> None:
            ask_before_commits(None)
            path.mkdir()
            if inside:
                (path / "someone's.txt").write_text(inside, encoding="utf-8")

        ask_before_commits(make)

    yield put
    ask_before_commits(None)


def _previous(out: Path) -> None:
    out.mkdir()
    for name in ("a.csv", "c.csv"):
        (out / name).write_text(f"previous {name}", encoding="utf-8")


def test_a_move_that_fails_says_what_is_new_and_what_waits(
    tmp_path: Path, in_the_way_at_the_commit
):
    out = tmp_path / "out"
    _previous(out)
    with pytest.raises(OutputWriteError) as raised:
        with staged_outputs() as stage:
            for name in ("a.csv", "b.csv", "c.csv"):
                stage.path_for(out / name).write_text(f"new {name}", encoding="utf-8")
            in_the_way_at_the_commit(out / "b.csv", "kept")  # in the way of the second move
    text = str(raised.value)
    assert raised.value.filename == str(out / "b.csv")
    assert f"stopped at {out / 'b.csv'} (Is a directory)" in text, text
    assert f"new: {out / 'a.csv'}; not yet: {out / 'b.csv'}, {out / 'c.csv'}" in text, text
    (stage_folder,) = stage_folders(out)
    assert f"wait in {stage_folder}" in text, text
    # exactly as said: the first is new, the others are as they were
    assert (out / "a.csv").read_text(encoding="utf-8") == "new a.csv"
    assert (out / "c.csv").read_text(encoding="utf-8") == "previous c.csv"
    assert (out / "b.csv" / "someone's.txt").read_text(encoding="utf-8") == "kept"
    assert (stage_folder / JOURNAL).is_file()
    # the cause gone, the next reader of the folder completes the commit
    shutil.rmtree(out / "b.csv")
    complete_pending(out)
    assert {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()} == {
        name: f"new {name}" for name in ("a.csv", "b.csv", "c.csv")
    }


def test_a_first_move_that_fails_says_none_is_new(tmp_path: Path, in_the_way_at_the_commit):
    out = tmp_path / "out"
    _previous(out)
    with pytest.raises(OutputWriteError) as raised:
        with staged_outputs() as stage:
            stage.path_for(out / "b.csv").write_text("new b.csv", encoding="utf-8")
            stage.path_for(out / "a.csv").write_text("new a.csv", encoding="utf-8")
            in_the_way_at_the_commit(out / "b.csv")
    assert f"none of them is new yet ({out / 'b.csv'}, {out / 'a.csv'})" in str(raised.value)
    assert (out / "a.csv").read_text(encoding="utf-8") == "previous a.csv"
    with pytest.raises(OutputWriteError, match="stopped at"):
        complete_pending(out)  # (still in the way: said again, nothing moved)
    assert (out / "a.csv").read_text(encoding="utf-8") == "previous a.csv"


def test_a_folder_in_the_way_before_the_commit_is_refused_and_nothing_changes(tmp_path: Path):
    """A folder where a staged file goes, there before the commit: refused before the
    commit point (a rename cannot replace a folder, and past that point the moves only go
    forward), naming it; every earlier output stays, and no stage or journal is left."""
    out = tmp_path / "out"
    _previous(out)
    (out / "b.csv").mkdir()
    (out / "b.csv" / "someone's.txt").write_text("kept", encoding="utf-8")
    with pytest.raises(OutputWriteError) as raised:
        with staged_outputs() as stage:
            for name in ("a.csv", "b.csv", "c.csv"):
                stage.path_for(out / name).write_text(f"new {name}", encoding="utf-8")
    assert raised.value.filename == str(out / "b.csv")
    assert f"a folder is where the output {out / 'b.csv'} goes" in str(raised.value)
    assert "nothing was changed" in str(raised.value)
    assert (out / "a.csv").read_text(encoding="utf-8") == "previous a.csv"
    assert (out / "c.csv").read_text(encoding="utf-8") == "previous c.csv"
    assert (out / "b.csv" / "someone's.txt").read_text(encoding="utf-8") == "kept"
    assert stage_folders(out) == []
