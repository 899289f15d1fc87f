"""The monthly release's last writes, after every step's files are in place: the QGIS
project (release.qgz) and the manifest (core.monthly.release._run_steps,
qgis_bridge.monthly_release.build_release_project).

Why: QGIS wrote the project over the earlier one (removing it first), a failure was
reported as the publish step's own ("earlier outputs are unchanged", though the month's new
files had all been moved in), and a manifest that could not be written came out as a bare
OSError. Real QGIS, the bundled force extract, writes made to fail for real: a folder in
the way of the file, or a file size limit (RLIMIT_FSIZE, as a full disk refuses a write).
"""

from __future__ import annotations

import json
import resource
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crime_mapper.core.common import staging
from crime_mapper.core.common.staging import ask_before_commits, complete_pending
from crime_mapper.core.monthly.release import (
    MANIFEST_NAME,
    PROJECT_NAME,
    MonthlyReleaseError,
    run_monthly_release,
)
from crime_mapper.core.release.release_files import sha256_file
from tests.support.monthly_config import MONTH, break_anonymise, fewer_crimes, quick_config


def _config(tmp_path: Path) -> Any:
    config = quick_config(tmp_path)
    config.publish.project = True
    return config


def _run(config: Any, **options: Any) -> Any:
    from crime_mapper.qgis_bridge.monthly_release import QgisStepRunners

    return run_monthly_release(config, MONTH, runners=QgisStepRunners(), **options)


def _manifest_holds(out: Path) -> bool:
    """No manifest, or one whose every listed file is the file it describes."""
    if not (out / MANIFEST_NAME).is_file():
        return True
    manifest = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    entries = [e for step in manifest["steps"] for e in step["outputs"]]
    return all(sha256_file(out / e["name"]) == e["sha256"] for e in entries)


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if "crime_mapper-" in p.name or ".tmp" in p.name)


@pytest.fixture
def limited_writes() -> Iterator[Any]:
    """limit(bytes): from then on no file of this process may grow beyond ``bytes`` (a write
    past it fails with EFBIG, as a full disk fails one; Python ignores SIGXFSZ); the limit
    is lifted when the test ends."""
    before = resource.getrlimit(resource.RLIMIT_FSIZE)

    def limit(size: int) -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, before[1]))

    yield limit
    resource.setrlimit(resource.RLIMIT_FSIZE, before)


def _expect_after_the_steps(raised: Any, name: str) -> str:
    text = str(raised.value)
    assert raised.value.step == "publish"
    assert f"{name} could not be written" in text, text
    assert "every step's new files are in place" in text, text
    assert "earlier outputs are unchanged" not in text, text
    return text


def test_a_project_the_disk_refuses_keeps_the_earlier_one_whole(tmp_path, limited_writes):
    config = _config(tmp_path)
    out = _run(config).out_dir
    earlier = (out / PROJECT_NAME).read_bytes()
    fewer_crimes(config, tmp_path)

    def full_disk_after_the_steps(step: str, state: str) -> None:
        if (step, state) == ("publish", "done"):
            limited_writes(2048)  # (a project of the bundled month is about 13 kB)

    with pytest.raises(MonthlyReleaseError) as raised:
        _run(config, on_step=full_disk_after_the_steps)
    limited_writes(resource.RLIM_INFINITY)
    text = _expect_after_the_steps(raised, f"{out / PROJECT_NAME}")
    assert f"the earlier {PROJECT_NAME}, if there was one, is as it was" in text
    assert f"earlier {MANIFEST_NAME} was removed" in text, text
    assert (out / PROJECT_NAME).read_bytes() == earlier
    assert not (out / MANIFEST_NAME).exists()
    assert _leftovers(out) == []
    _run(config)  # the cause gone, the release again: a project and a manifest that holds
    assert (out / PROJECT_NAME).is_file() and _manifest_holds(out)
    assert (out / MANIFEST_NAME).is_file()


def test_a_folder_in_the_way_of_the_project_is_named_and_leaves_nothing(tmp_path):
    config = _config(tmp_path)
    out = _run(config).out_dir
    (out / PROJECT_NAME).unlink()
    (out / PROJECT_NAME).mkdir()
    (out / PROJECT_NAME / "kept.txt").write_text("someone's", encoding="utf-8")
    fewer_crimes(config, tmp_path)
    with pytest.raises(MonthlyReleaseError) as raised:
        _run(config)
    _expect_after_the_steps(raised, f"{out / PROJECT_NAME}")
    assert (out / PROJECT_NAME / "kept.txt").read_text(encoding="utf-8") == "someone's"
    assert not (out / MANIFEST_NAME).exists()  # (the earlier one described other files)
    assert _leftovers(out) == []


def test_a_project_left_half_written_by_a_killed_run_is_removed(tmp_path):
    config = _config(tmp_path)
    out = config.output_dir(MONTH)
    out.mkdir(parents=True)
    killed = out / f"release.crime_mapper-writing-0123456789ab{Path(PROJECT_NAME).suffix}"
    killed.write_bytes(b"PK\x03\x04 half")
    _run(config)
    assert not killed.exists() and _leftovers(out) == []
    assert (out / PROJECT_NAME).is_file() and _manifest_holds(out)


def test_a_manifest_that_cannot_be_moved_in_says_where_it_waits(tmp_path, monkeypatch):
    """Past the commit point the manifest's move goes forward (core.common.staging): it
    waits in its stage folder, and the next run moves it in before it takes the month's
    manifest out, so it is judged like any earlier manifest, never moved in later beside
    files the next run has replaced."""
    config = _config(tmp_path)
    out = _run(config).out_dir
    original = list(config.inputs)
    fewer_crimes(config, tmp_path)

    def in_the_way(step: str, state: str) -> None:
        # (at the manifest's commit, past its look for a folder in the way: the disk
        # failing the move after the commit point)
        if (step, state) == ("publish", "done"):
            ask_before_commits(lambda: (out / MANIFEST_NAME).mkdir(exist_ok=True))

    monkeypatch.setattr(staging, "_ask", None)  # (undone after the test: no asking left)

    with pytest.raises(MonthlyReleaseError) as raised:
        _run(config, on_step=in_the_way)
    ask_before_commits(None)
    text = _expect_after_the_steps(raised, f"{out / MANIFEST_NAME}")
    assert f"this run's {PROJECT_NAME} is in place" in text, text
    assert "Is a directory" in text and "wait in" in text, text
    assert (out / MANIFEST_NAME).is_dir()
    shutil.rmtree(out / MANIFEST_NAME)  # the cause gone
    config.inputs = original  # the next run replaces the load's files, then fails
    break_anonymise(monkeypatch)
    with pytest.raises(MonthlyReleaseError):
        _run(config)
    complete_pending(out)  # (as any reader of the folder does first)
    assert _manifest_holds(out)
    assert _leftovers(out) == []
    monkeypatch.undo()
    _run(config)
    assert (out / MANIFEST_NAME).is_file() and _manifest_holds(out)
