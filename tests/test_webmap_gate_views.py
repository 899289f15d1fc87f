"""The web map's leak-gate views computed while the folder is made (webmap_export._GateViews,
core.gate.leak_gate.ViewsWarmUp): the same folder and the same gate report (or refusal) as
the direct path, which prepares the raw side inside the gate call; the views come from a
thread other than the exporter's, and the gate checks with the very preparation they went
into; a failed or cancelled export stops the thread before it returns.

Real inputs: the bundled Leicestershire force extract (the raw table), the October police.uk
release and its map points, the bundled Leicester LSOA outlines as neighbourhoods.
"""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path
from typing import Any, Optional

import pytest

from crime_mapper.core.common.feedback import Cancelled, Feedback
from crime_mapper.core.gate import leak_gate
from crime_mapper.core.gate.context import PreparedGate
from crime_mapper.core.gate.leak_gate import LeakError, ReleaseGate
from crime_mapper.core.publish import webmap_export
from crime_mapper.core.publish.webmap_export import WebmapOptions, export_webmap
from tests.support.webmap_release import OCT
from tests.support.webmap_world import build_webmap_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return build_webmap_world(tmp_path_factory.mktemp("webmap_gate_views"))


def _direct(monkeypatch: pytest.MonkeyPatch) -> None:
    """The export as before: no preparation made early, the gate call makes or takes it."""

    def nothing(self: Any, options: WebmapOptions) -> None:
        self.areas = self.prepared = self._warm = None

    monkeypatch.setattr(webmap_export._GateViews, "__init__", nothing)


def _export(world: dict, out: Path, case: str, gate: bool, hoods: bool) -> tuple[str, dict]:
    """(the gate's message or refusal, the folder's files) of one export."""
    options = WebmapOptions(
        inputs=[world["inputs"][case]],
        out_dir=out,
        tiles="none",
        raw=world["raw"],
        points=world["points"],
        neighbourhoods=world["hoods"] if hoods else None,
        release_gate=ReleaseGate(world["raw"], world["points"]) if gate else None,
    )
    try:
        message = export_webmap(options).gate
    except LeakError as exc:
        message = "refused: " + str(exc)
    files = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    return message, files


@pytest.mark.parametrize("case", ["clean", "moved", "named"])
@pytest.mark.parametrize("gate", [False, True], ids=["fresh", "release_gate"])
@pytest.mark.parametrize("hoods", [False, True], ids=["points", "neighbourhoods"])
def test_views_made_beside_the_export_give_the_direct_paths_folder_and_report(
    world: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, gate: bool, hoods: bool
):
    early = _export(world, tmp_path / "early" / "map", case, gate, hoods)
    _direct(monkeypatch)
    direct = _export(world, tmp_path / "direct" / "map", case, gate, hoods)
    assert early[0].replace("early", "direct") == direct[0]
    assert early[1] == direct[1]
    assert early[0].startswith("refused: ") == (case != "clean"), early[0]
    if case == "named":
        assert "no_non_public_values" in early[0]


@pytest.mark.parametrize("gate", [False, True], ids=["fresh", "release_gate"])
def test_the_gate_checks_with_the_views_made_on_the_other_thread(
    world: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gate: bool
):
    """The views are computed on a thread of their own, the gate reads the folder while they
    end, and the checks run on that very preparation once they have (made once: with a
    release gate, its preparation for these extras)."""
    warmed: list[tuple[str, PreparedGate]] = []
    checked: list[PreparedGate] = []
    running: list[str] = []
    compute = leak_gate._compute_views
    # the views' thread ends only once the folder's read has begun (or after a long wait, were
    # the read kept waiting for the views), so "read while they end" never rests on timing
    read_begun = threading.Event()

    def spy_compute(prepared: PreparedGate, more: tuple = (), stop: Any = None) -> None:
        warmed.append((threading.current_thread().name, prepared))
        compute(prepared, more, stop)
        if threading.current_thread().name == "leak gate views":
            read_begun.wait(timeout=30)

    class SpyContext(leak_gate.GateContext):
        def __init__(self, prepared: PreparedGate, *args: Any) -> None:
            checked.append(prepared)
            running.extend(t.name for t in threading.enumerate() if t.name == "leak gate views")
            super().__init__(prepared, *args)

    reading: list[bool] = []  # whether the views' thread was still at work
    read = leak_gate.read_output

    def spy_read(output: Any) -> Any:
        reading.append(any(t.name == "leak gate views" for t in threading.enumerate()))
        read_begun.set()
        return read(output)

    monkeypatch.setattr(leak_gate, "read_output", spy_read)
    monkeypatch.setattr(leak_gate, "_compute_views", spy_compute)
    monkeypatch.setattr(leak_gate, "GateContext", SpyContext)
    release = ReleaseGate(world["raw"], world["points"]) if gate else None
    result = export_webmap(
        WebmapOptions(
            inputs=[OCT],
            out_dir=tmp_path / "map",
            tiles="none",
            raw=world["raw"],
            points=world["points"],
            neighbourhoods=world["hoods"],
            release_gate=release,
        )
    )
    assert "all 8 checks passed" in result.gate
    # the thread's, then the gate's (while it reads the folder: nothing left to compute)
    assert [name for name, _ in warmed] == ["leak gate views", threading.current_thread().name]
    assert len(checked) == 1
    prepared = warmed[0][1]
    assert warmed[1][1] is prepared and checked[0] is prepared
    assert running == []  # the checks began once the views were done
    assert reading == [True]  # ...and the folder was read while they ended
    assert prepared.extra_allowed is not None and prepared.extra_public
    assert (release is not None) == (prepared._base is not None)
    for view in leak_gate._ALWAYS_NEEDED + leak_gate.FOLDER_VIEWS:
        assert view in prepared.__dict__, view
    assert not [t for t in threading.enumerate() if t.name == "leak gate views"]


class _CancelWhenWarming(Feedback):
    """Cancels at the first check after the views' thread has begun a view."""

    def __init__(self, begun: threading.Event) -> None:
        self.begun = begun

    def check(self) -> None:
        if self.begun.is_set():
            raise Cancelled()


def test_a_cancelled_export_stops_the_views_and_waits_for_the_one_under_way(
    world: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The first view blocks until the export asks the thread to stop: the export (cancelled)
    returns only once the thread has ended, and no other view was begun."""
    begun = threading.Event()
    warm_ups: list[leak_gate.ViewsWarmUp] = []
    start = leak_gate.ViewsWarmUp.__init__

    def spy_init(self: leak_gate.ViewsWarmUp, prepared: PreparedGate, *args: Any) -> None:
        warm_ups.append(self)
        start(self, prepared, *args)

    first = leak_gate._ALWAYS_NEEDED[0]
    original = getattr(PreparedGate, first)
    made: list[Optional[bool]] = []

    def blocking(self: PreparedGate) -> Any:
        begun.set()
        made.append(warm_ups[0]._stop.wait(30))
        return original.func(self)

    prop = cached_property(blocking)
    prop.__set_name__(PreparedGate, first)
    monkeypatch.setattr(PreparedGate, first, prop)
    monkeypatch.setattr(leak_gate.ViewsWarmUp, "__init__", spy_init)
    out = tmp_path / "map"
    with pytest.raises(Cancelled):
        export_webmap(
            WebmapOptions(
                inputs=[OCT],
                out_dir=out,
                tiles="none",
                raw=world["raw"],
                points=world["points"],
            ),
            _CancelWhenWarming(begun),
        )
    assert made == [True]  # the view under way ended because the stop was asked
    assert not warm_ups[0]._thread.is_alive()
    prepared = warm_ups[0].prepared
    assert first in prepared.__dict__
    assert not [v for v in leak_gate._ALWAYS_NEEDED[1:] if v in prepared.__dict__]
    assert not out.exists()


def test_a_view_failing_beside_the_export_fails_its_check_closed_as_before(
    world: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A raw table the views cannot be made from (no crime_id column): the warm-up leaves
    the view, the check computes it again and fails closed, with the direct path's
    message."""
    raw = world["raw"].drop(columns=["crime_id"])
    messages = []
    for direct in (False, True):
        if direct:
            _direct(monkeypatch)
        with pytest.raises(LeakError) as failed:
            export_webmap(
                WebmapOptions(
                    inputs=[OCT],
                    out_dir=tmp_path / "map",
                    tiles="none",
                    raw=raw,
                    points=world["points"],
                    neighbourhoods=world["hoods"],
                )
            )
        messages.append(str(failed.value))
    assert messages[0] == messages[1]
    assert "no_source_references" in messages[0] and "crime_id" in messages[0]
