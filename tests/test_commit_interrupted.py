"""``summaries`` and ``qa`` stopped by Ctrl-C (SIGINT) or SIGTERM once their commit point
has passed finish the commit: the new outputs in place, whole, and nothing beside them.

Why: core.common.staging's commit switches whole folders in by moving the previous one
into the stage folder and the new one into place, after the journal (``COMMIT.json``)
has decided the commit. An interrupt landing after the journal was written left the
journal and the stage folder beside the outputs for the next run to complete, and,
between the two moves, no ``neighbourhoods`` folder at all until then (load's, qa's and a
release's files were left half old, half new the same way; qa's reports were left old,
the stage beside them). Now the interrupted run completes the commit it decided before it
stops (Staging.discard); before the commit point the previous outputs are kept, as before.

The real command line over a real previous export (tests.support.interrupted_cli).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from crime_mapper.core.common.staging import JOURNAL, STAGE_PREFIX
from tests.support.interrupted_cli import assert_stopped_in_order, interrupted_cli
from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE, HISTORY
from tests.support.qgis_process import REPO, child_env
from tests.support.summaries_release import make_release, summaries_args

STAGES = f"[os.path.join(folder, n) for n in names if n.startswith({STAGE_PREFIX!r})]"
#: moment -> (when it has come, whether the new summaries are in place after the interrupt)
MOMENTS = {
    "journal being written": (
        f"any(os.path.exists(os.path.join(s, {JOURNAL + '.tmp'!r})) for s in {STAGES})",
        False,
    ),
    "commit point passed": (
        f"any(os.path.exists(os.path.join(s, {JOURNAL!r})) for s in {STAGES})",
        True,
    ),
    "previous folder set aside": (
        "'neighbourhoods' not in names and any(os.path.isdir(os.path.join(s, '~previous', "
        f"'neighbourhoods')) for s in {STAGES})",
        True,
    ),
}


def _files(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (by its path inside it) and its SHA-256."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _command(*args: object) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "crime_mapper.cli", *map(str, args)],
        cwd=REPO, env=child_env([REPO]), capture_output=True, text=True, timeout=600,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """The release, the previous summaries (another force name on every page) and the
    new ones made whole, each by the command line once."""
    base = tmp_path_factory.mktemp("summaries_interrupted")
    release = make_release(base)
    _command(*summaries_args(release, release["csv"], base / "previous", "--force-name", "Old"))
    _command(*summaries_args(release, release["csv"], base / "new"))
    return base, release


@pytest.mark.parametrize(
    "moment, name",
    [
        ("journal being written", "SIGTERM"),
        ("commit point passed", "SIGINT"),
        ("previous folder set aside", "SIGINT"),
        ("previous folder set aside", "SIGTERM"),
    ],
)
def test_interrupted_summaries_are_the_previous_or_the_new_whole(tmp_path, made, moment, name):
    base, release = made
    out = tmp_path / "out"
    shutil.copytree(base / "previous", out, symlinks=True)
    previous, new = _files(out), _files(base / "new")
    assert new != previous  # (which of them is in place is seen)
    when, new_in_place = MOMENTS[moment]
    done = interrupted_cli(
        name,
        out,
        ["crime_mapper.core.common.staging"],
        when,
        summaries_args(release, release["csv"], out),
    )
    assert_stopped_in_order(done, name)
    assert not [n for n in os.listdir(out) if n.startswith(STAGE_PREFIX)], done.stderr[-3000:]
    assert _files(out) == (new if new_in_place else previous)


def _qa_args(out: Path, *history: Path) -> list[object]:
    return ["qa", FORCE_EXTRACT, "--profile", FORCE_PROFILE, "--history", *history, "--out", out]


def test_an_interrupted_qa_leaves_its_new_reports_not_a_stage(tmp_path):
    """qa stages its two reports as files (Staging.path_for): stopped just after its commit
    point, it left the previous reports and its stage folder, the journal in it."""
    _command(*_qa_args(tmp_path / "new", *HISTORY))
    out = tmp_path / "out"
    _command(*_qa_args(out, HISTORY[0]))  # (the previous reports: less history)
    new = _files(tmp_path / "new")
    assert _files(out) != new
    when, _ = MOMENTS["commit point passed"]
    done = interrupted_cli(
        "SIGTERM", out, ["crime_mapper.core.common.staging"], when, _qa_args(out, *HISTORY)
    )
    assert_stopped_in_order(done, "SIGTERM")
    assert sorted(os.listdir(out)) == sorted(new), done.stderr[-3000:]
    assert _files(out) == new
