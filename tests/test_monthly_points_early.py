"""The monthly release reads its map points file while the load step reads the extracts
(core.monthly.release._read_once's ``read_early``), once for the check and anonymise steps.

Why: the points were read (and projected for the snapping index) only once the load had
ended, with the second core idle; a national month's 750,000 points take over a second.
Nothing a user sees may change: the same public files and manifest, the same error for a
points file that cannot be read, no thread alive when the load forks its child, none left
when the release ends. Real QGIS, real files.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from crime_mapper.core.common import forked
from crime_mapper.core.monthly.release import MonthlyReleaseError, run_monthly_release
from crime_mapper.core.release import map_points_files
from crime_mapper.core.release.map_points import write_map_points_csv
from tests.support.forking import no_children
from tests.support.monthly_config import MONTH, quick_config, step_runners
from tests.support.plain_cli import HISTORY

EARLY = "map points early"


def file_points_config(tmp_path: Path, qa: bool = False):
    """The bundled release (no publish, no hotspots) with its map points as one CSV file."""
    points = tmp_path / "points" / "map-points.csv"
    points.parent.mkdir(parents=True, exist_ok=True)
    write_map_points_csv(map_points_files.history_points(list(HISTORY)), points)
    config = quick_config(tmp_path)
    config.map_points.kind = "file"
    config.map_points.paths = [str(points)]
    config.qa.enabled = qa
    return config, points


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The thread each read of a map points file ran on."""
    seen: list[str] = []
    real = map_points_files.read_map_points_file

    def recording(*args, **kwargs):
        seen.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(map_points_files, "read_map_points_file", recording)
    return seen


def public_and_points_entry(out_dir: Path) -> tuple[dict[str, bytes], object]:
    public = {p.name: p.read_bytes() for p in sorted((out_dir / "public").iterdir())}
    manifest = json.loads((out_dir / "public" / "release_manifest.json").read_text("utf-8"))
    return public, manifest["inputs"]["map_points"]


def test_the_points_are_read_once_beside_the_load_and_change_nothing(tmp_path, reads):
    config, _points = file_points_config(tmp_path, qa=True)
    done = run_monthly_release(config, MONTH, runners=step_runners(False))
    assert reads == [EARLY]  # (once, for the check step and the anonymise step)
    assert not [t for t in threading.enumerate() if t.name == EARLY]
    early = public_and_points_entry(done.out_dir)

    # the same release with the points read where they always were: the load run on its
    # own first, then the other steps (nothing reads them early then)
    reads.clear()
    config.output = str(tmp_path / "again" / "{month}")
    loaded = run_monthly_release(config, MONTH, runners=step_runners(False), steps=("load",))
    again = run_monthly_release(
        config, MONTH, runners=step_runners(False), previous=loaded,
        steps=("load", "check", "anonymise", "hotspots", "publish")[1:],
    )  # fmt: skip
    assert reads == ["MainThread", "MainThread"]  # (the check step's, the anonymise step's)
    assert public_and_points_entry(again.out_dir) == early


def test_a_points_file_that_cannot_be_read_fails_the_anonymise_step_as_before(tmp_path, reads):
    config, points = file_points_config(tmp_path)
    points.write_bytes(b'label,longitude\r\n\x00"broken,\r\n')
    with pytest.raises(MonthlyReleaseError) as raised:
        run_monthly_release(config, MONTH, runners=step_runners(False))
    assert raised.value.step == "anonymise"
    assert reads == [EARLY, "MainThread"]  # (read again where its error is reported)
    assert not [t for t in threading.enumerate() if t.name == EARLY]


def test_a_failed_load_leaves_no_points_thread(tmp_path, reads, monkeypatch):
    from crime_mapper.core.load import loader

    config, _points = file_points_config(tmp_path)

    def broken(*_args, **_kwargs):
        raise OSError("the extract went away (planted)")

    monkeypatch.setattr(loader, "load_extracts", broken)
    with pytest.raises(MonthlyReleaseError) as raised:
        run_monthly_release(config, MONTH, runners=step_runners(False))
    assert raised.value.step == "load" and "planted" in raised.value.reason
    assert not [t for t in threading.enumerate() if t.name == EARLY]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork only")
def test_the_points_thread_has_ended_when_the_load_forks(tmp_path, reads, monkeypatch):
    from crime_mapper.core.common.forked import ForkedCall
    from crime_mapper.qgis_bridge.monthly_release import QgisStepRunners

    monkeypatch.setattr(forked, "available", lambda: True)
    monkeypatch.setattr(forked, "alone", lambda: True)  # (earlier tests' threads)
    alive_at_forks: list[list[str]] = []
    real = ForkedCall.__init__

    def init(self, work):
        alive_at_forks.append([t.name for t in threading.enumerate()])
        real(self, work)

    monkeypatch.setattr(ForkedCall, "__init__", init)
    config, _points = file_points_config(tmp_path)
    runners = QgisStepRunners()
    runners.publish_beside = True
    run_monthly_release(config, MONTH, runners=runners)
    assert reads == [EARLY]
    assert alive_at_forks and not [names for names in alive_at_forks if EARLY in names]
    assert no_children()
