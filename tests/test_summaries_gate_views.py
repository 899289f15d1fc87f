"""The summaries' leak-gate views computed while the folder is made (summaries_export.
SummariesGate.start_views, core.gate.leak_gate.ViewsWarmUp): the same folder and the same gate
report (or refusal) as the direct path, which prepares the raw side inside the gate call; the
views come from a thread other than the exporter's, exactly those the gate's checks ask for,
and the gate checks with the very preparation they went into; a failed or cancelled export
stops and joins the thread before it returns, with the previous folder intact.

Real inputs: the bundled Leicestershire force extract (the raw table), its release anonymised
onto police.uk's published map points, the bundled Leicestershire MSOAs as neighbourhoods.
"""

from __future__ import annotations

import re
import threading
from functools import cached_property
from pathlib import Path
from typing import Any, Optional

import pytest

from crime_mapper.core.common.feedback import Cancelled, Feedback
from crime_mapper.core.gate import leak_gate
from crime_mapper.core.gate.context import MIN_SUBSTRING_CHARS, PreparedGate
from crime_mapper.core.gate.leak_gate import ReleaseGate
from crime_mapper.core.publish import summaries_export
from crime_mapper.core.publish.summaries_export import (
    SummaryGateError,
    export_summaries,
    leak_gate_for,
)
from tests.support.summaries_release import (
    FORCE_EXTRACT,
    FORCE_PROFILE,
    make_release,
    msoa_source,
)

THREAD = "leak gate views"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from crime_mapper.core.load.loader import load_extracts
    from crime_mapper.core.load.mapping_profile import load_profile
    from crime_mapper.core.publish.summaries_run import (
        load_neighbourhoods,
        read_release,
    )
    from crime_mapper.core.release.map_points_files import read_map_points_file

    release = make_release(tmp_path_factory.mktemp("summaries_gate_views"))
    raw = load_extracts([str(FORCE_EXTRACT)], profile=load_profile(FORCE_PROFILE)).crimes
    points = read_map_points_file(release["points"])
    hoods = load_neighbourhoods(msoa_source())
    prep = PreparedGate(raw, points)
    # (long enough to be looked for inside the page text the force's name is printed in:
    # a shorter value counts only as a whole string, so e.g. "Forgery", the first value
    # under some hash seeds, passes by design and the case would test nothing)
    secret = next(
        v for _, values in prep.secret_parts for v in values if len(v) >= MIN_SUBSTRING_CHARS
    )
    note = next(  # (a raw free-text note: the extra_* columns)
        v
        for col, values in prep.secret_parts
        if col.startswith("extra_")
        for v in values
        if len(v.split()) >= 8
    )
    # what reaches every page as the force's name: nothing raw, a raw value, a raw note
    names = {"clean": "Leicestershire Police", "secret": secret, "note": note.strip()}
    return {
        "raw": raw,
        "points": points,
        "hoods": hoods,
        "public": read_release(release["csv"]),
        "names": names,
    }


def _direct(monkeypatch: pytest.MonkeyPatch) -> None:
    """The export as before: no views started, the gate call makes or takes the preparation."""
    monkeypatch.setattr(summaries_export.SummariesGate, "start_views", lambda self, hoods: None)


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _gate(world: dict, release_gate: bool) -> Any:
    prepared = ReleaseGate(world["raw"], world["points"]) if release_gate else None
    return leak_gate_for(world["raw"], world["points"], prepared=prepared)


def _gate_message(world: dict, out: Path, case: str, release_gate: bool, **kw: Any) -> str:
    """The gate's message of one export, or "refused: " and its refusal."""
    try:
        return export_summaries(
            world["public"],
            world["hoods"],
            out,
            gate=_gate(world, release_gate),
            force_name=world["names"][case],
            **kw,
        ).gate_message
    except SummaryGateError as exc:
        return "refused: " + str(exc)


def _export(world: dict, out: Path, case: str, release_gate: bool, **kw: Any) -> tuple[str, dict]:
    """(the gate's message or refusal, the output's files) of one export."""
    message = _gate_message(world, out, case, release_gate, **kw)
    return _same_anywhere(message, out), _tree(out) if out.exists() else {}


def _same_anywhere(message: str, out: Path) -> str:
    """A message without the folders it names (the output's, the random stage's)."""
    return re.sub(r"[^\s/]*-stage-[0-9a-f]+", "STAGE", message.replace(str(out), "OUT"))


@pytest.mark.parametrize("case", ["clean", "secret"])
def test_the_gate_verdict_names_the_folder_asked_for(world: dict, tmp_path: Path, case: str):
    """The verdict named the hidden stage folder the gate read ("Leak gate passed for
    .../.crime_mapper-stage-1a2b/neighbourhoods"), gone by the time the analyst read it:
    passed or refused, it names the summaries' own folder."""
    out = tmp_path / "summaries"
    message = _gate_message(world, out, case, False).removeprefix("refused: ")
    verdict = message.splitlines()[0]
    word = "passed" if case == "clean" else "FAILED"
    assert verdict.startswith(f"Leak gate {word} for {out / 'neighbourhoods'}:"), verdict
    assert "-stage-" not in message, message[:300]


def _no_views_thread() -> bool:
    return not [t for t in threading.enumerate() if t.name == THREAD]


@pytest.mark.parametrize("case", ["clean", "secret", "note"])
@pytest.mark.parametrize("release_gate", [False, True], ids=["fresh", "release_gate"])
def test_views_made_beside_the_export_give_the_direct_paths_folder_and_report(
    world: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, release_gate: bool
):
    early = _export(world, tmp_path / "early", case, release_gate)
    assert _no_views_thread()
    _direct(monkeypatch)
    direct = _export(world, tmp_path / "direct", case, release_gate)
    assert early[0] == direct[0]
    assert early[1] == direct[1]
    assert early[0].startswith("refused: ") == (case != "clean"), early[0][:300]
    if case == "secret":
        assert "no_non_public_values" in early[0]
    if case == "note":
        assert "a run of words from raw column extra_" in early[0]


def _keys(prepared: PreparedGate) -> set[str]:
    """The views a preparation holds (its own and, derived from a release gate, its base's)."""
    keys = set()
    for prep in (prepared, getattr(prepared, "_base", None)):
        if prep is not None:  # (cached views, and the reference digests of each length)
            keys |= set(prep.__dict__) | {f"digests {n}" for n in prep._digests}
    return keys


@pytest.mark.parametrize("release_gate", [False, True], ids=["fresh", "release_gate"])
def test_the_gate_checks_with_exactly_the_views_made_on_the_other_thread(
    world: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, release_gate: bool
):
    """The views are computed on a thread of their own while the pages are made; the gate
    reads the folder while they end, and its checks run on that very preparation once they
    have, computing no view of their own: the warm-up makes every view the checks ask for,
    and no other (the direct path's gate call ends with the same views)."""
    warmed: list[tuple[str, PreparedGate]] = []
    checked: list[tuple[PreparedGate, set, bool]] = []
    compute = leak_gate._compute_views

    def spy_compute(prepared: PreparedGate, more: tuple = (), stop: Any = None) -> None:
        warmed.append((threading.current_thread().name, prepared))
        compute(prepared, more, stop)

    class SpyContext(leak_gate.GateContext):
        def __init__(self, prepared: PreparedGate, *args: Any) -> None:
            checked.append((prepared, _keys(prepared), _no_views_thread()))
            super().__init__(prepared, *args)

    monkeypatch.setattr(leak_gate, "_compute_views", spy_compute)
    monkeypatch.setattr(leak_gate, "GateContext", SpyContext)
    done = export_summaries(
        world["public"], world["hoods"], tmp_path / "early", gate=_gate(world, release_gate)
    )
    assert done.gate_message.startswith("Leak gate passed"), done.gate_message[:200]
    # the thread's (started with the pages), then the gate's (while it reads the folder)
    assert [name for name, _ in warmed] == [THREAD, threading.current_thread().name]
    prepared, at_checks, alone = checked[0]
    assert len(checked) == 1 and warmed[0][1] is prepared and warmed[1][1] is prepared
    assert alone  # the checks began once the views' thread had ended
    assert (prepared._base is not None) == release_gate
    assert prepared.extra_allowed is not None and prepared.extra_public
    assert _keys(prepared) == at_checks  # the checks computed no view: all were warmed
    for view in leak_gate._ALWAYS_NEEDED + leak_gate.FOLDER_VIEWS:
        assert view in at_checks, view
    # ...and the direct path's gate call ends with these very views, no fewer, no more
    monkeypatch.undo()
    _direct(monkeypatch)
    made: list[PreparedGate] = []

    class Remember(leak_gate.GateContext):
        def __init__(self, prepared: PreparedGate, *args: Any) -> None:
            made.append(prepared)
            super().__init__(prepared, *args)

    monkeypatch.setattr(leak_gate, "GateContext", Remember)
    export_summaries(
        world["public"], world["hoods"], tmp_path / "direct", gate=_gate(world, release_gate)
    )
    assert _keys(made[0]) == at_checks
    assert _no_views_thread()


def test_a_release_gate_whose_shared_views_are_made_has_the_others_warmed(
    world: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The monthly release makes the views both publish gates need before its web map's child
    is forked (core.monthly.release.VIEWS_BOTH_NEED): the summaries still warm the others
    (the raw notes' sorted run hashes among them), and the folder and report are those of
    the direct path; a PreparedGate given to the gate is used as it is (nothing started)."""
    from crime_mapper.core.monthly.release import _views_both_need

    started: list[Any] = []
    real = leak_gate.ViewsWarmUp.__init__

    def spy(self: Any, *args: Any) -> None:
        started.append(self)
        real(self, *args)

    monkeypatch.setattr(leak_gate.ViewsWarmUp, "__init__", spy)
    gate = ReleaseGate(world["raw"], world["points"])
    _views_both_need(gate)
    a = export_summaries(
        world["public"],
        world["hoods"],
        tmp_path / "a",
        gate=leak_gate_for(world["raw"], world["points"], prepared=gate),
    )
    assert len(started) == 1 and _no_views_thread()
    assert "free_text_hashes" in gate.base.__dict__  # (warmed: the base's, borrowed)
    started.clear()
    own = PreparedGate(world["raw"], world["points"])
    with pytest.raises(ValueError):  # (as before: a preparation without these extras)
        export_summaries(
            world["public"],
            world["hoods"],
            tmp_path / "b",
            gate=leak_gate_for(world["raw"], world["points"], prepared=own),
        )
    assert started == []
    _direct(monkeypatch)
    direct = export_summaries(
        world["public"], world["hoods"], tmp_path / "c", gate=_gate(world, False)
    )
    assert _same_anywhere(a.gate_message, tmp_path / "a") == _same_anywhere(
        direct.gate_message, tmp_path / "c"
    )
    assert _tree(tmp_path / "a") == _tree(tmp_path / "c")


def test_the_hashing_wrapper_of_the_monthly_release_keeps_the_warm_up(world: dict, tmp_path: Path):
    from crime_mapper.core.publish.summaries_run import _hashed_first

    gate = _gate(world, False)
    wrapped = _hashed_first(gate)
    assert wrapped.start_views == gate.start_views
    done = export_summaries(world["public"], world["hoods"], tmp_path, gate=wrapped)
    assert done.gate_message.startswith("Leak gate passed")
    assert gate._views is not None and gate._views._warm is None  # started, then joined
    assert _no_views_thread()


class _CancelWhenWarming(Feedback):
    """Cancels at the first check after the views' thread has begun a view."""

    def __init__(self, begun: threading.Event) -> None:
        self.begun = begun

    def check(self) -> None:
        if self.begun.is_set():
            raise Cancelled()


@pytest.mark.parametrize("release_gate", [False, True], ids=["fresh", "release_gate"])
def test_a_cancelled_export_stops_the_views_and_keeps_the_previous_folder(
    world: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, release_gate: bool
):
    """The first view blocks until the export asks the thread to stop: the export (cancelled)
    returns only once the thread has ended, no other view was begun, and the previous
    summaries are untouched."""
    out = tmp_path / "out"
    export_summaries(world["public"], world["hoods"], out, gate=_gate(world, release_gate))
    before = _tree(out)
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
        if threading.current_thread().name == THREAD:
            begun.set()
            made.append(warm_ups[0]._stop.wait(30))
        return original.func(self)

    prop = cached_property(blocking)
    prop.__set_name__(PreparedGate, first)
    monkeypatch.setattr(PreparedGate, first, prop)
    monkeypatch.setattr(leak_gate.ViewsWarmUp, "__init__", spy_init)
    with pytest.raises(Cancelled):
        export_summaries(
            world["public"],
            world["hoods"],
            out,
            gate=_gate(world, release_gate),
            feedback=_CancelWhenWarming(begun),
        )
    # the view under way (with a release gate: its base's too) ended as the stop was asked
    assert made and all(made)
    assert not warm_ups[0]._thread.is_alive()
    assert _no_views_thread()
    prepared = warm_ups[0].prepared
    assert first in _keys(prepared)
    assert not [v for v in leak_gate.FOLDER_VIEWS if v in prepared.__dict__]
    assert _tree(out) == before
    assert sorted(p.name for p in out.iterdir()) == ["neighbourhoods"]  # no stage left


def test_a_failed_export_joins_the_views_and_keeps_the_previous_folder(
    world: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A page that cannot be rendered fails the export while the views are being made: the
    error is the export's, the thread has ended when it is raised, the folder is intact."""
    out = tmp_path / "out"
    export_summaries(world["public"], world["hoods"], out, gate=_gate(world, False))
    before = _tree(out)
    joined: list[bool] = []
    real_join = leak_gate.ViewsWarmUp.join

    def spy_join(self: leak_gate.ViewsWarmUp) -> PreparedGate:
        prepared = real_join(self)
        joined.append(not self._thread.is_alive())
        return prepared

    def broken(self: Any, i: int) -> str:
        raise OSError("disk full")

    monkeypatch.setattr(leak_gate.ViewsWarmUp, "join", spy_join)
    monkeypatch.setattr(summaries_export.SummaryRenderer, "render_page", broken)
    with pytest.raises(OSError, match="disk full"):
        export_summaries(world["public"], world["hoods"], out, gate=_gate(world, False))
    assert joined == [True]
    assert _no_views_thread()
    assert _tree(out) == before


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
        with pytest.raises(SummaryGateError) as failed:
            export_summaries(
                world["public"],
                world["hoods"],
                tmp_path / ("direct" if direct else "early"),
                gate=leak_gate_for(raw, world["points"]),
            )
        out = tmp_path / ("direct" if direct else "early")
        messages.append(_same_anywhere(str(failed.value), out))
    assert messages[0] == messages[1]
    assert "no_source_references" in messages[0] and "crime_id" in messages[0]
    assert _no_views_thread()
