"""The release's raw-side array views computed by a forked child while it anonymises (issue
15: run_anonymise's ``fork_views``, ReleaseGate.warm_up's ``beside``, as the command line's
anonymise runs it).

What must not change: the release's files byte for byte (CSV, audit, manifest; with the
GeoPackage too), and the gate's verdicts. A child that fails in any way (raises, dies,
answers with the wrong shape) puts nothing in: the views are made here and the release is
the same. A release that fails or is cancelled before its gate runs leaves no child
behind; so does every release here.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crime_mapper.core.common import forked
from crime_mapper.core.common.feedback import Cancelled, Feedback
from crime_mapper.core.gate import views_beside
from crime_mapper.core.gate.leak_gate import ReleaseGate
from crime_mapper.core.release import pipeline
from tests.test_gate_written_csv import release_inputs  # noqa: F401 - a fixture
from tests.test_leak_gate import world  # noqa: F401 - a fixture (real extract and points)

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork only")


def _no_children() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


@pytest.fixture
def view_forks(monkeypatch) -> list[views_beside.ViewsBeside]:
    """The views children the runs start (forked whatever threads earlier tests left)."""
    monkeypatch.setattr(forked, "available", lambda: True)
    monkeypatch.setattr(forked, "alone", lambda: True)
    made: list[views_beside.ViewsBeside] = []
    real = views_beside.ViewsBeside.start.__func__  # type: ignore[attr-defined]

    def start(cls, prepared):
        started = real(cls, prepared)
        if started is not None:
            made.append(started)
        return started

    monkeypatch.setattr(views_beside.ViewsBeside, "start", classmethod(start))
    return made


def _run(inputs: dict, out: Path, **kw) -> dict[str, bytes]:
    from tests.test_cli import FORCE_EXTRACT, FORCE_PROFILE

    pipeline.run_anonymise(
        [FORCE_EXTRACT], str(inputs["points"]), None, inputs["salt"], out,
        profile_path=FORCE_PROFILE, **kw,
    )  # fmt: skip
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_the_same_release_with_the_views_made_beside(release_inputs, tmp_path, view_forks):  # noqa: F811
    alone = _run(release_inputs, tmp_path / "alone", write_gpkg=False)
    assert not view_forks
    beside = _run(release_inputs, tmp_path / "beside", write_gpkg=False, fork_views=True)
    assert len(view_forks) == 1 and _no_children()
    assert beside == alone
    # the child's views were put in before the checks (none made here again)
    assert "raw_grid_keys" in view_forks[0].taken and "digests 64" in view_forks[0].taken


def test_with_the_geopackage_forked_too_the_same_files(release_inputs, tmp_path, view_forks):  # noqa: F811
    """The GeoPackage's child is forked after the views child's views are taken, so it
    inherits them; the files are those made in one process."""
    alone = _run(release_inputs, tmp_path / "alone")
    both = _run(release_inputs, tmp_path / "both", fork_views=True, fork_gpkg=True)
    assert len(view_forks) == 1 and view_forks[0].taken and _no_children()
    assert both == alone
    assert any(name.endswith(".gpkg") for name in both)


def _raises(prepared):
    raise MemoryError("no room for the views")


def _dies(prepared):
    os._exit(3)


def _wrong_shape(prepared):
    views, digests, fingerprint = views_beside.compute_views(prepared)
    views["raw_is_point"] = list(views["raw_is_point"])  # (a list, not an array)
    return views, digests, fingerprint


@pytest.mark.parametrize("child", [_raises, _dies, _wrong_shape])
def test_a_failing_child_changes_nothing(child, release_inputs, tmp_path, view_forks, monkeypatch):  # noqa: F811
    alone = _run(release_inputs, tmp_path / "alone", write_gpkg=False)
    monkeypatch.setattr(views_beside, "compute_views", child)
    beside = _run(release_inputs, tmp_path / "beside", write_gpkg=False, fork_views=True)
    assert len(view_forks) == 1 and view_forks[0].taken == [] and _no_children()
    assert beside == alone


class _CancelledWhileAnonymising(Feedback):
    """Cancelled once the inputs are read (the views child is under way by then)."""

    def __init__(self) -> None:
        super().__init__()
        self.progress = 0.0

    def set_progress(self, percent: float) -> None:
        self.progress = max(self.progress, percent)

    def is_cancelled(self) -> bool:
        return self.progress > 41.0


def test_a_cancel_before_the_gate_ends_the_child(release_inputs, tmp_path, view_forks):  # noqa: F811
    out = tmp_path / "out"
    with pytest.raises(Cancelled):
        _run(
            release_inputs, out, write_gpkg=False, fork_views=True,
            feedback=_CancelledWhileAnonymising(),
        )  # fmt: skip
    assert len(view_forks) == 1 and _no_children()
    assert not out.exists()


def test_no_child_while_another_thread_runs(release_inputs, tmp_path, monkeypatch):  # noqa: F811
    """forked.alone() false: no fork, the warm-up thread computes every view, same files."""
    import threading

    monkeypatch.setattr(forked, "available", lambda: True)
    alone = _run(release_inputs, tmp_path / "alone", write_gpkg=False)
    release = threading.Event()
    other = threading.Thread(target=release.wait, daemon=True)
    other.start()
    try:
        forks: list[int] = []
        real = forked.ForkedCall.__init__

        def counted(self, work):
            forks.append(1)
            real(self, work)

        monkeypatch.setattr(forked.ForkedCall, "__init__", counted)
        beside = _run(release_inputs, tmp_path / "beside", write_gpkg=False, fork_views=True)
    finally:
        release.set()
        other.join()
    assert forks == [] and beside == alone


def test_end_views_without_a_child_does_nothing(world):  # noqa: F811
    gate = ReleaseGate(world["raw"], world["points"])
    gate.end_views()
    gate.take_views()
    assert _no_children()
