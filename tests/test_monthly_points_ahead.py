"""A monthly release without QGIS reads its map points while its load step reads the
extracts (issue 15); with QGIS, whose load has no idle core, its anonymise step reads them.

Every run is real: the bundled month, its profile and the published police.uk history the
map points come from (sample_data/), the plain-Python and the QGIS step runners, real files.
The map points' reads are watched, not replaced: a spy records on which thread each read
ran and whether it started before the load step ended, and calls the real read.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from crime_mapper.core.monthly import release
from crime_mapper.core.monthly.release import (
    POINTS_AHEAD_THREAD,
    MonthlyReleaseError,
    StepRunners,
    run_monthly_release,
)
from crime_mapper.core.release.map_points_files import MapPointsSpec
from tests.support.monthly_config import MONTH, quick_config


class WatchedLoad(StepRunners):
    """The plain runners, noting when their load step has ended."""

    ended = False

    def load(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().load(*args, **kwargs)
        finally:
            WatchedLoad.ended = True


@pytest.fixture
def reads(monkeypatch) -> list[tuple[str, bool]]:
    """(thread name, started before the load step ended) of every map points read, the
    real read done."""
    seen: list[tuple[str, bool]] = []
    real = MapPointsSpec.resolve
    WatchedLoad.ended = False

    def resolve(self: Any, crimes: Any = None, feedback: Any = None) -> Any:
        seen.append((threading.current_thread().name, not WatchedLoad.ended))
        return real(self, crimes, feedback)

    monkeypatch.setattr(MapPointsSpec, "resolve", resolve)
    return seen


def _public_bytes(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "public").iterdir()) if p.is_file()}


def test_the_map_points_are_read_while_the_load_step_runs(tmp_path, reads):
    config = quick_config(tmp_path)
    done = run_monthly_release(config, MONTH, runners=WatchedLoad())
    assert [r.name for r in done.steps][-1] == "publish"
    # one read, on its own thread, started before the load step ended (not after it)
    assert reads == [(POINTS_AHEAD_THREAD, True)]
    assert done.points_ahead is None  # (not held once the run has ended)


def test_the_release_is_the_same_as_with_the_points_read_by_the_anonymise_step(tmp_path, reads):
    """The same public files as a run whose anonymise step reads the points itself (the
    load step run on its own first, then the rest: nothing is read ahead)."""
    ahead = quick_config(tmp_path / "ahead")
    run_monthly_release(ahead, MONTH, runners=WatchedLoad())
    first = quick_config(tmp_path / "steps")
    first.salt_file = ahead.salt_file  # (the same salt: the same hashed Crime IDs)
    loaded = run_monthly_release(first, MONTH, runners=WatchedLoad(), steps=("load",))
    assert reads[1:] == []  # (the load alone reads no map points)
    rest = tuple(s for s in release.STEPS if s != "load")
    run_monthly_release(first, MONTH, runners=WatchedLoad(), steps=rest, previous=loaded)
    assert reads[1:] == [("MainThread", False)]
    ahead_files = _public_bytes(ahead.output_dir(MONTH))
    assert ahead_files and ahead_files == _public_bytes(first.output_dir(MONTH))


def test_map_points_that_cannot_be_read_fail_the_anonymise_step_as_before(tmp_path, reads):
    """The read's error is the anonymise step's, after a load step that is done, as when
    that step read them itself."""
    config = quick_config(tmp_path)
    broken = tmp_path / "history" / f"{MONTH}-leicestershire-street.csv"
    broken.parent.mkdir()
    broken.write_text("Month,Longitude\n2022-10,not a number\n", encoding="utf-8")
    config.map_points.paths = [str(broken)]
    states: list[tuple[str, str]] = []
    with pytest.raises(MonthlyReleaseError) as raised:
        run_monthly_release(
            config,
            MONTH,
            runners=WatchedLoad(),
            on_step=lambda step, state: states.append((step, state)),
        )
    assert raised.value.step == "anonymise"
    assert ("load", "done") in states and ("anonymise", "failed") in states
    assert reads == [(POINTS_AHEAD_THREAD, True)]
    with pytest.raises(Exception) as alone:
        MapPointsSpec(kind="history", paths=[str(broken)]).resolve(None, None)
    assert str(alone.value) in str(raised.value)


def test_points_made_from_the_crimes_are_not_read_ahead(tmp_path, reads):
    config = quick_config(tmp_path)
    config.map_points.kind = "hexagon"
    run_monthly_release(config, MONTH, runners=WatchedLoad())
    assert reads and all(name == "MainThread" and not early for name, early in reads)


def test_the_qgis_runners_read_the_points_in_the_anonymise_step(tmp_path, reads):
    """The QGIS load writes and styles the crimes GeoPackage as it reads (in a process of
    its own, in a forked child): it has no idle core, so the points are read by the
    anonymise step, as before, in a QGIS session and in a process of its own alike."""
    from crime_mapper.qgis_bridge.monthly_release import QgisStepRunners

    class WatchedQgisLoad(QgisStepRunners):
        def load(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().load(*args, **kwargs)
            finally:
                WatchedLoad.ended = True

    runners = WatchedQgisLoad()
    runners.publish_beside = True
    assert not runners.reads_points_ahead and not WatchedQgisLoad().reads_points_ahead
    run_monthly_release(quick_config(tmp_path), MONTH, runners=runners)
    assert reads == [("MainThread", False)]


def test_the_release_qa_takes_the_points_read_ahead(tmp_path, reads):
    """The check step's release QA compares with the map points too: it takes those read
    while the load ran, which the anonymise step then takes, instead of a read of its own."""
    config = quick_config(tmp_path)
    config.qa.enabled = True
    done = run_monthly_release(config, MONTH, runners=WatchedLoad())
    assert done.step("check") is not None and done.qa_report is not None
    assert reads == [(POINTS_AHEAD_THREAD, True)]
