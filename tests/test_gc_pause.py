"""core/common/gc_pause: the cyclic collector is off inside the block and restored after it,
whatever happens inside; the web map export (its read, page data and leak gate) runs inside
one (its data scripts' millions of numbers made the collector's full passes cost more than the
JSON parse)."""

from __future__ import annotations

import gc

import pandas as pd
import pytest

from crime_mapper.core.common.gc_pause import gc_paused
from crime_mapper.core.gate.leak_gate import LeakError


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def _force_raw_and_points():
    """The committed Leicestershire force extract (raw crimes) and October's map points."""
    from crime_mapper.core.load.loader import load_extracts
    from crime_mapper.core.load.mapping_profile import load_profile
    from crime_mapper.core.release.map_points import map_points_from_history
    from tests.support.webmap_release import FORCE, OCT

    profile = load_profile(FORCE / "leicestershire-force-extract.profile.json")
    raw = load_extracts(
        [str(FORCE / "2022-10-leicestershire-force-extract.csv")], profile=profile
    ).crimes
    return raw, map_points_from_history(load_extracts([str(OCT)]).crimes)


def test_off_inside_on_after(collector_on: None):
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():  # nested: still off, and the outer block turns it back on
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_restored_after_an_error(collector_on: None):
    with pytest.raises(KeyError):
        with gc_paused():
            raise KeyError("inside")
    assert gc.isenabled()


def test_a_caller_that_had_it_off_keeps_it_off(collector_on: None):
    gc.disable()
    with gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()
    gc.enable()


def test_cycles_made_inside_are_collected_after(collector_on: None):
    class Node:
        pass

    with gc_paused():
        a, b = Node(), Node()
        a.other, b.other = b, a  # a cycle reference counting cannot free
        del a, b
    assert gc.collect() >= 2  # left for the collector, which runs again


def test_the_web_map_export_runs_with_the_collector_paused(
    collector_on: None, tmp_path, monkeypatch: pytest.MonkeyPatch
):
    """The read and both gate calls of the export (with the raw crimes, and the public checks
    without them) run with it off, and it is on again after each export, a refused one too."""
    from crime_mapper.core.gate import leak_gate
    from crime_mapper.core.publish import webmap_export
    from crime_mapper.core.publish.webmap_export import WebmapOptions, export_webmap
    from tests.support.webmap_release import OCT

    seen: list[bool] = []
    real = leak_gate.check_release  # (its entry: before the pause check_release makes itself)

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    def read_spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return read(*args, **kwargs)

    read = webmap_export.read_release_inputs
    monkeypatch.setattr(leak_gate, "check_release", spy)
    monkeypatch.setattr(webmap_export, "read_release_inputs", read_spy)
    export_webmap(WebmapOptions(inputs=[OCT], out_dir=tmp_path / "plain"))
    assert seen == [False, False] and gc.isenabled()
    raw, points = _force_raw_and_points()
    export_webmap(WebmapOptions(inputs=[OCT], out_dir=tmp_path / "gated", raw=raw, points=points))
    assert seen == [False] * 4 and gc.isenabled()
    street = pd.read_csv(OCT, dtype=str, keep_default_na=False).head(20)
    street.loc[0, "Location"] = "On or near Seen 13/10/2022 at 14:05"
    leaky = tmp_path / "2022-10-x-street.csv"
    street.to_csv(leaky, index=False)
    with pytest.raises(LeakError):
        export_webmap(WebmapOptions(inputs=[leaky], out_dir=tmp_path / "refused"))
    assert seen == [False] * 6 and gc.isenabled()


def test_the_gates_output_is_freed_before_its_pause_ends(
    collector_on: None, monkeypatch: pytest.MonkeyPatch
):
    """check_release frees what it read and built (the output's texts, the checks' context)
    before its pause ends: the collection the end of a pause sets off walks every young
    container still alive, and walked a national summaries folder's texts for 0.5 s of a
    gate call that had no further use for them (in a QGIS session, where no child is
    forked and nothing is frozen)."""
    import weakref
    from contextlib import contextmanager

    from crime_mapper.core.gate import context, leak_gate
    from tests.support.webmap_release import OCT

    made: list[weakref.ref] = []
    alive_at_the_end: list[bool] = []
    real_init = context.GateContext.__init__

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        made.append(weakref.ref(self))

    @contextmanager
    def paused():
        with gc_paused():
            yield
            alive_at_the_end.append(bool(made) and made[-1]() is not None)

    monkeypatch.setattr(context.GateContext, "__init__", init)
    monkeypatch.setattr(leak_gate, "gc_paused", paused)
    raw, points = _force_raw_and_points()
    report = leak_gate.check_release(raw, OCT, points)
    assert report.checks and len(made) == 1
    assert alive_at_the_end == [False]
