"""A release appears whole or not at all: kill tests of the staged commit.

A child process writes a release over a previous one and is killed (``os._exit``, which runs
no cleanup, like a SIGKILL) at one step of the commit: before or after each flush, rename and
removal. Then the folder must hold exactly the whole previous release or, once the next run
(or a reader) completes the pending commit, exactly the whole new one, and no staged files.
The staging-level test kills at every step; the pipeline-level test kills the real release
(command-line anonymise on the committed sample data) at its commit's key steps.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from crime_mapper.core.common.staging import (
    complete_pending,
    stage_folders,
    staged_outputs,
)
from tests.support.commit_kills import journal_written, run_killed_at, snapshot_hashes

ROOT = Path(__file__).resolve().parents[1]

STAGING_RELEASE = """
import sys
from pathlib import Path
from crime_mapper.core.common.staging import staged_outputs
out, side, version = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
with staged_outputs() as stage:
    for name in ("street.csv", "street.gpkg", "audit.json", "audit.html"):
        stage.path_for(out / name).write_text(f"{name} of release {version}\\n" * 1000)
    stage.path_for(side / "grid.gpkg").write_text(f"grid of release {version}\\n")
    stage.path_for(out / "release_manifest.json").write_text(f"manifest {version}\\n")
"""


def test_a_release_killed_at_any_commit_step_is_whole_old_or_whole_new(tmp_path: Path):
    def release(base: Path, version: str, kill_at: int = 0) -> subprocess.CompletedProcess:
        out, side = base / "release", base / "grids"
        return run_killed_at(STAGING_RELEASE, [str(out), str(side), version], kill_at)

    old_base, new_base = tmp_path / "old", tmp_path / "new"
    assert release(old_base, "A").returncode == 0
    done = release(new_base, "B")
    assert done.returncode == 0, done.stderr
    steps = int(done.stderr.split("COMMIT_STEPS=")[1].split()[0])
    assert steps >= 10  # flushes, the journal, seven moves, the clean-up
    old = snapshot_hashes(old_base / "release", old_base / "grids")
    new = snapshot_hashes(new_base / "release", new_base / "grids")
    assert old.keys() == new.keys() and old != new

    outcomes = set()
    for kill_at in range(1, steps + 1):
        base = tmp_path / f"kill{kill_at}"
        shutil.copytree(old_base, base)
        run = release(base, "B", kill_at)
        assert run.returncode == 9, (kill_at, run.stderr)
        folders = (base / "release", base / "grids")
        now = snapshot_hashes(*folders)
        if not journal_written(*folders):  # no commit under way: whole, without any help
            assert now in (old, new), f"killed at step {kill_at}: mixed with no journal"
        complete_pending(base / "release")
        complete_pending(base / "grids")
        after = snapshot_hashes(*folders)
        assert after in (old, new), f"killed at step {kill_at}: a mixed release"
        outcomes.add("new" if after == new else "old")
        assert not stage_folders(base / "release") and not stage_folders(base / "grids")
    assert outcomes == {"old", "new"}


def test_a_killed_runs_stage_is_removed_by_the_next_run(tmp_path: Path):
    out = tmp_path / "release"
    out.mkdir()
    (out / "street.csv").write_text("old\n")
    (out / ".street.abc123_x.tmp.csv").write_text("an earlier version's staged copy")
    (out / ".street.abc123_x.tmp.gpkg-journal").write_text("its SQLite journal")
    script = """
import os, sys
from pathlib import Path
from crime_mapper.core.common.staging import Staging
stage = Staging()
stage.path_for(Path(sys.argv[1]) / "street.csv").write_text("half written")
os._exit(9)
"""
    run = run_killed_at(script, [str(out)], 0)
    assert run.returncode == 9
    assert len(stage_folders(out)) == 1  # the killed run's stage, left behind
    with staged_outputs() as stage:
        stage.path_for(out / "street.csv").write_text("new\n")
    assert sorted(p.name for p in out.iterdir()) == ["street.csv"]
    assert (out / "street.csv").read_text() == "new\n"


def test_a_running_stage_is_never_taken_for_a_stale_one(tmp_path: Path):
    out = tmp_path / "release"
    with staged_outputs() as first:
        first.path_for(out / "a.csv").write_text("first")
        complete_pending(out)  # another run's clean-up while this one is writing
        assert len(stage_folders(out)) == 1
        with staged_outputs() as second:
            second.path_for(out / "b.csv").write_text("second")
    assert (out / "a.csv").read_text() == "first" and (out / "b.csv").read_text() == "second"
    assert not stage_folders(out)


# --- the real release pipeline, killed during its commit -----------------------------------

SAMPLE = ROOT / "sample_data"
OCTOBER = SAMPLE / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"
SEPTEMBER = SAMPLE / "police-uk" / "2022-09" / "2022-09-leicestershire-street.csv"

PIPELINE_RELEASE = """
from crime_mapper.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture(scope="module")
def release_inputs(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("commit_inputs")
    points = base / "points.csv"
    run = run_killed_at(
        PIPELINE_RELEASE, ["map-points", "history", str(SEPTEMBER), "--out", str(points)], 0
    )
    assert run.returncode == 0, run.stderr
    salts = {}
    for version, text in (
        ("A", "3f9c1e7a5b2d48e0a6c4f1b29d8e7a61"),
        ("B", "c07d2e94a1b5f3866e0a9d1c4b7f2e58"),
    ):
        salts[version] = base / "secret" / f"{version}.salt"
        salts[version].parent.mkdir(exist_ok=True)
        salts[version].write_text(text + "\n")
    return {"points": points, "salts": salts}


def _anonymise(inputs: dict, out: Path, version: str, kill_at: int = 0):
    args = ["anonymise", str(OCTOBER), "--points", str(inputs["points"])]
    args += ["--salt-file", str(inputs["salts"][version]), "--out", str(out)]
    return run_killed_at(PIPELINE_RELEASE, args, kill_at)


def test_the_release_pipeline_killed_during_its_commit(release_inputs, tmp_path: Path):
    old_out, new_out = tmp_path / "old", tmp_path / "new"
    assert _anonymise(release_inputs, old_out, "A").returncode == 0
    done = _anonymise(release_inputs, new_out, "B")
    assert done.returncode == 0, done.stderr
    steps = int(done.stderr.split("COMMIT_STEPS=")[-1].split()[0])
    old = {k.split("/", 1)[1]: v for k, v in snapshot_hashes(old_out).items()}
    new = {k.split("/", 1)[1]: v for k, v in snapshot_hashes(new_out).items()}
    assert old.keys() == new.keys() and all(old[k] != new[k] for k in old)
    manifest = json.loads((new_out / "release_manifest.json").read_text())
    assert {o["name"] for o in manifest["outputs"]} | {"release_manifest.json"} == set(new)

    # the journal's rename is the commit point: kill just before it, just after it, half-way
    # through the moves, and before the clean-up
    for kill_at in sorted({steps // 3, steps // 3 + 1, steps // 2, steps - 1, steps}):
        out = tmp_path / f"kill{kill_at}"
        shutil.copytree(old_out, out)
        run = _anonymise(release_inputs, out, "B", kill_at)
        assert run.returncode == 9, (kill_at, run.stderr[-2000:])
        if not journal_written(out):  # no commit under way: whole, without any help
            assert {k.split("/", 1)[1]: v for k, v in snapshot_hashes(out).items()} in (old, new)
        # the next run (here: a reader) completes or clears what the killed one left
        complete_pending(out)
        after = {k.split("/", 1)[1]: v for k, v in snapshot_hashes(out).items()}
        assert after in (old, new), f"killed at commit step {kill_at} of {steps}"
        assert not stage_folders(out)


# --- inputs are described as they were read -------------------------------------------------


def test_the_manifest_hashes_the_inputs_as_they_were_read(release_inputs, tmp_path: Path):
    """Extracts replaced and deleted after the load read them: the manifest still describes
    the bytes the release was made from."""
    from crime_mapper.core.common.feedback import Feedback
    from crime_mapper.core.release.pipeline import run_anonymise

    inputs = tmp_path / "inputs"
    inputs.mkdir()
    october = inputs / OCTOBER.name
    shutil.copy(OCTOBER, october)
    extra = inputs / "2022-10-extra-street.csv"
    lines = OCTOBER.read_bytes().split(b"\r\n")
    extra.write_bytes(b"\r\n".join(lines[:1] + lines[-40:]))
    read_hashes = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (october, extra)}

    class SwapAfterTheLoad(Feedback):
        swapped = False

        def set_progress(self, percent: float) -> None:
            if percent >= 40 and not self.swapped:  # the crimes are loaded by now
                self.swapped = True
                october.write_bytes(b"replaced while the release was running\n")
                extra.unlink()

    outputs = run_anonymise(
        [inputs],
        release_inputs["points"],
        salt_file=release_inputs["salts"]["A"],
        output_dir=tmp_path / "release",
        feedback=SwapAfterTheLoad(),
    )
    manifest = json.loads(outputs.manifest.read_text())
    described = {f["name"]: f["sha256"] for f in manifest["inputs"]["crimes"]["files"]}
    assert described == read_hashes


def test_a_rules_file_rewritten_while_it_is_read_is_refused(release_inputs, tmp_path: Path):
    from crime_mapper.core.release import pipeline
    from crime_mapper.core.release.release_files import ReleaseInputError, read_described

    rules = tmp_path / "rules.json"
    rules.write_text("{}")

    def rewrite_while_reading(path: Path):
        path.write_text("{ }")
        os.utime(path, ns=(1, 1))
        return pipeline.load_rules(path)

    with pytest.raises(ReleaseInputError, match="changed while it was being read"):
        read_described(rules, rewrite_while_reading)
