"""The last pages of a large summaries folder rendered by a forked child beside the export
(core.publish.summaries_export._PagesBeside, export_summaries' ``render_beside``): the very
files the export writes alone; a child's error raised here, a cancel while it renders, each
leaving the previous summaries as they were and no child behind; no child without a free
core, with another thread running, or for few pages.

Real inputs: the bundled Leicestershire force extract's release (anonymised onto police.uk's
published map points) and the bundled Leicestershire MSOAs, 125 pages."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from crime_mapper.core.common.feedback import Cancelled, Feedback
from crime_mapper.core.publish import summaries_export
from crime_mapper.core.publish.summaries_export import export_summaries
from crime_mapper.core.publish.summaries_render import SummaryRenderer
from tests.support.forking import another_thread, files_in, may_fork, no_children
from tests.support.summaries_pages import build_pages_world

# (the GeoPackage holds the time it was written: compared by its tables elsewhere)
_TIMED = ("neighbourhoods.gpkg",)


class _Passed:
    passed = True

    def message(self) -> str:
        return "passed"


def _gate(_folder: Path, _hoods: Any) -> _Passed:
    return _Passed()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return build_pages_world(tmp_path_factory.mktemp("render_beside"))


@pytest.fixture
def beside(monkeypatch: pytest.MonkeyPatch) -> list:
    """A child may render here (the sample's 125 pages are enough); each start's result
    (the child, or None) is listed, and each finish's count of the child's pages."""
    may_fork(monkeypatch)
    monkeypatch.setattr(summaries_export._PagesBeside, "MIN_PAGES", 2)
    seen: list = []
    start, finish = summaries_export._PagesBeside.start, summaries_export._PagesBeside.finish

    def spied_start(*args: Any) -> Any:
        seen.append(start(*args))
        return seen[-1]

    def spied_finish(self: Any, feedback: Feedback) -> int:
        seen.append(finish(self, feedback))
        return seen[-1]

    monkeypatch.setattr(summaries_export._PagesBeside, "start", spied_start)
    monkeypatch.setattr(summaries_export._PagesBeside, "finish", spied_finish)
    return seen


def _export(world: dict, out: Path, render_beside: bool, **more: Any) -> Any:
    return export_summaries(
        world["public"], world["hoods"], out, gate=_gate, render_beside=render_beside, **more
    )


def _left_as_before(last: Any, before: dict[str, bytes], out: Path) -> None:
    """The previous summaries exactly as they were, no stage folder left, no child left."""
    assert files_in(last.folder) == before
    assert sorted(p.name for p in out.iterdir()) == ["neighbourhoods"]  # (no stage left)
    assert no_children()


def _child_never_ends_a_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pages' child (another process) waits for ever on its first page, so it is still
    rendering whatever this process does next: it can only be ended, not waited for."""
    render = SummaryRenderer.render_page
    parent = threading.get_native_id()
    never = threading.Event()  # (never set)

    def slow_in_the_child(self: SummaryRenderer, i: int) -> str:
        if threading.get_native_id() != parent:
            never.wait()
        return render(self, i)

    monkeypatch.setattr(SummaryRenderer, "render_page", slow_in_the_child)


def test_pages_rendered_beside_are_the_files_rendered_here(
    world: dict, beside: list, tmp_path: Path
) -> None:
    here = _export(world, tmp_path / "here", False)
    assert beside == []  # (not asked: no child)
    there = _export(world, tmp_path / "beside", True)
    child, rendered = beside
    assert child is not None and rendered == here.pages - child.first > 0
    assert files_in(there.folder, _TIMED) == files_in(here.folder, _TIMED)
    assert len(files_in(here.folder, _TIMED)) == here.pages + 2  # (pages, index, tidy CSV)
    assert no_children()


def test_an_error_in_the_childs_pages_is_raised_and_the_last_summaries_stay(
    world: dict, beside: list, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    last = _export(world, tmp_path, False)
    before = files_in(last.folder)
    render = SummaryRenderer.render_page
    parent = threading.get_native_id()

    def fails_in_the_child(self: SummaryRenderer, i: int) -> str:
        if threading.get_native_id() != parent:  # (the child's process)
            raise OSError(28, "No space left on device")
        return render(self, i)

    monkeypatch.setattr(SummaryRenderer, "render_page", fails_in_the_child)
    with pytest.raises(OSError, match="No space left on device"):
        _export(world, tmp_path, True)
    assert beside[0] is not None  # (the child rendered, and failed)
    _left_as_before(last, before, tmp_path)


class _CancelAfterOwnPages(Feedback):
    """Cancelled once this process has rendered its pages (its index comes after them)."""

    def __init__(self) -> None:
        self.cancelled = False

    def is_cancelled(self) -> bool:
        return self.cancelled


def test_a_cancel_while_the_child_renders_stops_it_and_the_last_summaries_stay(
    world: dict, beside: list, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    last = _export(world, tmp_path, False)
    before = files_in(last.folder)
    feedback = _CancelAfterOwnPages()
    index = SummaryRenderer.render_index
    _child_never_ends_a_page(monkeypatch)

    def cancel_after(self: SummaryRenderer) -> str:
        feedback.cancelled = True  # (the user cancels while the child still renders)
        return index(self)

    monkeypatch.setattr(SummaryRenderer, "render_index", cancel_after)
    with pytest.raises(Cancelled):
        _export(world, tmp_path, True, feedback=feedback)
    assert beside[0] is not None
    _left_as_before(last, before, tmp_path)


def test_no_child_with_another_thread_running(
    world: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crime_mapper.core.common import forked

    monkeypatch.setattr(forked, "available", lambda: True)  # (a second core: the thread decides)
    monkeypatch.setattr(summaries_export._PagesBeside, "MIN_PAGES", 2)
    here = _export(world, tmp_path / "here", False)
    with another_thread():
        made = _export(world, tmp_path / "thread", True)
    assert files_in(made.folder, _TIMED) == files_in(here.folder, _TIMED)
    assert no_children()


@pytest.mark.parametrize("why", ["few pages", "one core"])
def test_no_child_for_few_pages_or_without_a_free_core(
    world: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, why: str
) -> None:
    from crime_mapper.core.common import forked

    monkeypatch.setattr(forked, "alone", lambda: True)
    if why == "few pages":  # (the sample's 125 pages, under MIN_PAGES)
        monkeypatch.setattr(forked, "available", lambda: True)
    else:
        monkeypatch.setattr(summaries_export._PagesBeside, "MIN_PAGES", 2)
        monkeypatch.setattr(forked, "available", lambda: False)
    started: list = []
    start = summaries_export._PagesBeside.start
    monkeypatch.setattr(
        summaries_export._PagesBeside,
        "start",
        lambda *args: started.append(start(*args)) or started[-1],
    )
    made = _export(world, tmp_path, True)
    assert started == [None]
    assert made.pages == len(world["hoods"].names)


def test_an_error_here_while_the_child_renders_ends_it_and_the_last_summaries_stay(
    world: dict, beside: list, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    last = _export(world, tmp_path, False)
    before = files_in(last.folder)
    _child_never_ends_a_page(monkeypatch)

    def disk_full(*_args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(summaries_export, "write_neighbourhood_gpkg", disk_full)
    with pytest.raises(OSError, match="No space left on device"):
        _export(world, tmp_path, True)
    assert beside[0] is not None
    _left_as_before(last, before, tmp_path)
