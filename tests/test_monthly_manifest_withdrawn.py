"""A monthly release that fails or is cancelled after its first steps committed leaves no
manifest that vouches for files which have since changed.

Each step commits its own files (all or nothing), so the dock can run a failed step again on
its own. A rerun of a month that failed in its anonymise step had replaced the load's files,
and the earlier run's manifest.json still listed the old SHA-256 of each: an audit record
that no longer held. Real QGIS, the bundled force extract, real files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from crime_mapper.core.common.feedback import Cancelled, Feedback
from crime_mapper.core.monthly import release as monthly
from crime_mapper.core.monthly.release import (
    MANIFEST_NAME,
    MonthlyReleaseError,
    cancelled_text,
    run_monthly_release,
    take_manifest,
)
from crime_mapper.core.release.release_files import sha256_file
from tests.support.monthly_config import (
    MONTH,
    break_anonymise,
    fewer_crimes,
    folder_files,
    quick_config,
)


def _run(config, feedback=None, **options):
    from crime_mapper.qgis_bridge.monthly_release import QgisStepRunners

    runners = QgisStepRunners()
    return run_monthly_release(config, MONTH, runners=runners, feedback=feedback, **options)


def _vouches_for_every_file(out: Path) -> bool:
    manifest = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    entries = [e for step in manifest["steps"] for e in step["outputs"]]
    return bool(entries) and all(sha256_file(out / e["name"]) == e["sha256"] for e in entries)


def test_a_failure_after_the_load_replaced_its_files_withdraws_the_manifest(tmp_path, monkeypatch):
    config = quick_config(tmp_path)
    out = config.output_dir(MONTH)
    _run(config)
    assert _vouches_for_every_file(out)
    fewer_crimes(config, tmp_path)
    broke = break_anonymise(monkeypatch)
    with pytest.raises(MonthlyReleaseError) as raised:
        _run(config)
    assert raised.value.step == "anonymise" and raised.value.__cause__ is broke
    assert f"earlier {MANIFEST_NAME} was removed" in str(raised.value)
    assert not (out / MANIFEST_NAME).exists()
    assert (out / "internal" / "crimes.gpkg").is_file()  # the load's new files stay (the dock
    # runs the failed step again from them)
    monkeypatch.undo()
    _run(config)  # the whole release again: a manifest that holds
    assert _vouches_for_every_file(out)


def test_a_failure_whose_finished_steps_wrote_the_same_bytes_keeps_the_manifest(
    tmp_path, monkeypatch
):
    """The same inputs again: the load's files are new, but hold the manifest's bytes."""
    config = quick_config(tmp_path)
    out = config.output_dir(MONTH)
    _run(config)
    before = folder_files(out)
    break_anonymise(monkeypatch)
    with pytest.raises(MonthlyReleaseError) as raised:
        _run(config)
    assert "was removed" not in str(raised.value)
    assert folder_files(out) == before and _vouches_for_every_file(out)


def test_a_step_run_on_its_own_that_replaced_files_withdraws_the_manifest(tmp_path):
    """The dock's "Run this step": a run of the load alone writes no manifest (the whole
    release does), and the earlier one stayed beside the load's new files. It goes back
    only when the step wrote the bytes it lists."""
    config = quick_config(tmp_path)
    out = config.output_dir(MONTH)
    _run(config)
    before = folder_files(out)
    _run(config, steps=("load",))  # (the same extract: the same bytes)
    assert folder_files(out) == before and _vouches_for_every_file(out)
    fewer_crimes(config, tmp_path)
    _run(config, steps=("load",))
    assert not (out / MANIFEST_NAME).exists()
    assert (
        folder_files(out)["internal/validation_report.json"]
        != before["internal/validation_report.json"]
    )


def test_a_cancel_after_the_load_replaced_its_files_withdraws_the_manifest(tmp_path):
    config = quick_config(tmp_path)
    out = config.output_dir(MONTH)
    _run(config)
    fewer_crimes(config, tmp_path)

    class CancelAfterTheLoad(Feedback):
        def is_cancelled(self) -> bool:
            return (out / "internal" / "crimes.gpkg").stat().st_mtime_ns > written

    written = os.stat(out / MANIFEST_NAME).st_mtime_ns
    with pytest.raises(Cancelled) as raised:
        _run(config, CancelAfterTheLoad())
    assert not (out / MANIFEST_NAME).exists()
    said = cancelled_text(raised.value)
    assert said.startswith("Cancelled: the step under way changed nothing; the load, check")
    assert said.endswith(monthly.MANIFEST_WITHDRAWN)


def test_only_a_manifest_this_tool_can_read_is_judged(tmp_path):
    """Taken out as a run starts, a manifest goes back as it was (bytes, mode, time) unless
    it lists a file that is gone; one this tool cannot read vouches for nothing."""
    manifest = tmp_path / MANIFEST_NAME
    assert take_manifest(manifest) is None  # none
    for text in ("{not json", "[]", '{"steps": 3}', '{"steps": [{"outputs": [7, {"name": 1}]}]}'):
        manifest.write_text(text, encoding="utf-8")
        os.chmod(manifest, 0o640)
        before = os.stat(manifest)
        held = take_manifest(manifest)
        assert held is not None and not manifest.exists(), text
        assert not held.put_back() and manifest.read_text(encoding="utf-8") == text
        after = os.stat(manifest)
        assert (after.st_mode, after.st_mtime_ns) == (before.st_mode, before.st_mtime_ns)
    manifest.write_text('{"steps": [{"outputs": [{"name": "gone.csv"}]}]}', encoding="utf-8")
    held = take_manifest(manifest)
    assert held is not None and held.put_back() and not manifest.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # (nothing left beside it)
    assert monthly.MANIFEST_WITHDRAWN.startswith("The month's earlier manifest.json")


def test_a_cancel_before_any_step_finished_says_nothing_changed(tmp_path):
    config = quick_config(tmp_path)

    class CancelAtOnce(Feedback):
        def is_cancelled(self) -> bool:
            return True

    with pytest.raises(Cancelled) as raised:
        _run(config, CancelAtOnce())
    assert cancelled_text(raised.value) == "Cancelled: nothing was changed."
    assert not config.output_dir(MONTH).joinpath(MANIFEST_NAME).exists()
