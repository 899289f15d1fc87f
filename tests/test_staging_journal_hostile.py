"""A commit journal (core.common.staging) that no commit wrote: planted in a shared output
folder, or damaged on disk. Finishing a journal moves files, so one that moves a file from
elsewhere into the output folder, or over a file outside it, is refused with nothing moved
and the journal named; a journal a real commit wrote (and left when its run was killed)
still completes. Real folders and files; the real commit writes the reference journal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crime_mapper.core.common.staging import (
    JOURNAL,
    STAGE_PREFIX,
    OutputWriteError,
    complete_pending,
    stage_folders,
)
from tests.support.commit_kills import journal_written, run_killed_at

KILLED_RELEASE = """
import sys
from pathlib import Path
from crime_mapper.core.common.staging import staged_outputs
out = Path(sys.argv[1])
with staged_outputs() as stage:
    stage.path_for(out / "public.csv").write_text("new public rows\\n")
    folder = stage.folder_for(out / "map")
    (folder / "index.html").write_text("new map\\n")
"""


def _planted(out: Path, moves: list, stages: list = ()) -> Path:
    """A stage folder in ``out`` holding a journal with ``moves``."""
    stage = out / f"{STAGE_PREFIX}planted"
    stage.mkdir(parents=True)
    journal = {"moves": moves, "stages": [str(stage), *stages]}
    (stage / JOURNAL).write_text(json.dumps(journal), encoding="utf-8")
    return stage


def _refused(out: Path, stage: Path) -> None:
    with pytest.raises(OutputWriteError, match="cannot be used") as caught:
        complete_pending(out)
    assert str(stage) in str(caught.value)
    assert (stage / JOURNAL).is_file()  # left for the analyst to look at


def test_a_journal_moving_a_file_from_elsewhere_into_the_output_is_refused(tmp_path):
    secret = tmp_path / "home" / "force.salt"
    secret.parent.mkdir()
    secret.write_text("the salt\n")
    out = tmp_path / "release"
    stage = _planted(out, [{"staged": str(secret), "final": str(out / "public.txt")}])
    _refused(out, stage)
    assert secret.read_text() == "the salt\n" and not (out / "public.txt").exists()


def test_a_journal_moving_a_staged_file_over_one_outside_the_folder_is_refused(tmp_path):
    victim = tmp_path / "elsewhere" / "report.csv"
    victim.parent.mkdir()
    victim.write_text("keep me\n")
    out = tmp_path / "release"
    stage = _planted(out, [])
    (stage / "report.csv").write_text("planted\n")
    journal = {"moves": [{"staged": str(stage / "report.csv"), "final": str(victim)}],
               "stages": [str(stage)]}  # fmt: skip
    (stage / JOURNAL).write_text(json.dumps(journal), encoding="utf-8")
    _refused(out, stage)
    assert victim.read_text() == "keep me\n"


def test_a_journal_setting_a_folder_aside_elsewhere_is_refused(tmp_path):
    out = tmp_path / "release"
    (out / "map").mkdir(parents=True)
    stage = _planted(out, [])
    (stage / "map").mkdir()
    journal = {
        "moves": [{"staged": str(stage / "map"), "final": str(out / "map"),
                   "aside": str(tmp_path / "taken" / "map")}],
        "stages": [str(stage)],
    }  # fmt: skip
    (stage / JOURNAL).write_text(json.dumps(journal), encoding="utf-8")
    _refused(out, stage)
    assert (out / "map").is_dir() and not (tmp_path / "taken").exists()


def test_a_journal_removing_a_folder_that_is_no_stage_is_refused(tmp_path):
    keep = tmp_path / "documents"
    keep.mkdir()
    out = tmp_path / "release"
    stage = _planted(out, [], stages=[str(keep)])
    _refused(out, stage)
    assert keep.is_dir()


@pytest.mark.parametrize(
    "text", ["{", "[]", '{"moves": 5, "stages": []}', '{"moves": [{"staged": 1}]}', "\xff"]
)
def test_a_damaged_journal_is_refused_naming_it(tmp_path, text):
    out = tmp_path / "release"
    stage = _planted(out, [])
    (stage / JOURNAL).write_text(text, encoding="latin-1")
    _refused(out, stage)


def test_a_journal_a_killed_commit_wrote_still_completes(tmp_path):
    """The control: a real commit killed just after its journal was written is finished by
    the next reader, whole."""
    out = tmp_path / "release"
    done = run_killed_at(KILLED_RELEASE, [str(out)], 0)
    assert done.returncode == 0, done.stderr
    steps = int(done.stderr.split("COMMIT_STEPS=")[1].split()[0])
    for kill_at in range(1, steps + 1):
        target = tmp_path / f"kill{kill_at}" / "release"
        assert run_killed_at(KILLED_RELEASE, [str(target)], kill_at).returncode == 9
        if journal_written(target):
            complete_pending(target)
            assert (target / "public.csv").read_text() == "new public rows\n"
            assert (target / "map" / "index.html").read_text() == "new map\n"
            assert stage_folders(target) == []
            return
    pytest.fail("no kill left a journal behind")
