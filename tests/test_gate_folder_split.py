"""A folder's texts split for the gate's segment index while it is read (core.gate.
folder_beside with ``segments``, scan.SegmentIndex.take): every text of the output then
maps to exactly the segments a split here gives; the child's split is taken only when it
is whole (a garbled one is left to the checks, the report unchanged); the gate's report is
the one-process report with a leak in either share of the pages.

Real inputs: the bundled Leicestershire force extract, its release anonymised onto police.uk's
published map points, the bundled MSOAs; the folder is that release's summaries export.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

from crime_mapper.core.gate import checks, folder_beside, output_reader
from crime_mapper.core.gate.folder_beside import FolderRead
from crime_mapper.core.gate.leak_gate import check_release
from crime_mapper.core.gate.scan import SEGMENT_CUT, SegmentIndex
from crime_mapper.core.publish.summaries_export import outline_vertices
from tests.support.artifacts import same_artifact
from tests.support.forking import may_fork, no_children
from tests.support.summaries_pages import build_pages_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return build_pages_world(tmp_path_factory.mktemp("folder_split"))


@pytest.fixture
def forking(monkeypatch: pytest.MonkeyPatch) -> None:
    may_fork(monkeypatch)
    monkeypatch.setattr(folder_beside, "MIN_PAGES", 2)


@pytest.fixture(autouse=True)
def no_child_left() -> Iterator[None]:
    yield
    assert no_children(), "a forked child was left behind"


def _segments_of(index: SegmentIndex, text: str) -> list[str]:
    return [index.segments[i] for i in index._texts[text].tolist()]


def _assert_split_as_here(index: SegmentIndex, texts: list[str]) -> None:
    """Every text in the index, as the very segments a split gives, each segment once."""
    assert len(set(index.segments)) == len(index.segments)
    for text in texts:
        assert text in index._texts
        assert _segments_of(index, text) == SEGMENT_CUT.split(text)


def test_take_gives_each_text_the_segments_of_its_own_split():
    here, there = SegmentIndex(), SegmentIndex()
    shared = "<p>October 2022\nTheft from the person\n12 crimes</p>"
    mine = [shared, "Burglary\nVehicle crime\n\nAnti-social behaviour"]
    theirs = [shared, "Vehicle crime\nDrugs\n3 (three)\nRobbery", "", "\n", "a\nhref\nDrugs"]
    here.add(mine)
    kept, before = here._texts[shared], list(here.segments)
    there.add(theirs)
    here.take(there.segments, [(t, there.ids(t)) for t in theirs])
    _assert_split_as_here(here, mine + theirs)
    assert here._texts[shared] is kept  # (a text already split here is kept)
    # this index's segments keep their ids; the new ones come after, none twice
    assert here.segments[: len(before)] == before and len(here.segments) > len(before)
    assert set(here.segments) == {p for t in mine + theirs for p in SEGMENT_CUT.split(t)}


def _copy(world: dict, tmp_path: Path) -> Path:
    folder = tmp_path / "pages"
    shutil.copytree(world["folder"], folder)
    (folder / "zz_script.html").write_text(
        "<p>x</p><script>var a = 'b';</script>", encoding="utf-8"
    )
    (folder / "zz_empty.html").write_text("", encoding="utf-8")
    (folder / "zz_nul.html").write_text("<p>a\x00b\nhref\nc</p>", encoding="utf-8")
    return folder


def _texts(arts: list) -> list[str]:
    return [t for a in arts if a.kind != "error" for t in a.texts + a.code]


def test_the_read_splits_every_text_of_both_shares(world: dict, tmp_path: Path, forking: None):
    folder = _copy(world, tmp_path)
    _, direct = output_reader.read_output(folder)
    index = SegmentIndex()
    started = FolderRead.start(folder, index)
    assert started is not None and started.segments is index
    pages = [a for a in direct if a.name.lower().endswith((".html", ".htm"))]
    assert len(started.theirs) == int(len(pages) * folder_beside.CHILD_SHARE_SPLITTING)
    _, beside = started.result()
    assert len(beside) == len(direct)
    for a, b in zip(direct, beside):
        assert same_artifact(a, b), a.name
    theirs = [beside[i] for i in started.theirs]
    assert started.split_by_child == len(_texts([a for a in theirs if a.kind == "html"])) - len(
        _texts([a for a in theirs if a.name == "zz_script.html"])
    )
    assert started.split_by_child > 100
    # (a page with a script is read here once the child's pages are in: the checks split it)
    _assert_split_as_here(index, _texts([a for a in beside if a.name != "zz_script.html"]))


def _garble(how: str) -> Callable[[Any], Any]:
    def garbled(split: Any) -> Any:
        segments, flat, lengths = split
        if how == "id out of range":
            flat = flat.copy()
            flat[-1] = len(segments)
        elif how == "runs swapped":  # (two texts of different lengths given each other's ids)
            n = lengths[0] + lengths[1]
            flat = np.concatenate([flat[lengths[0] : n], flat[: lengths[0]], flat[n:]])
            lengths = [lengths[1], lengths[0], *lengths[2:]]
        elif how == "a run short":
            lengths = lengths[:-1]
        elif how == "wrong type":
            flat = flat.astype(np.int64)
        elif how == "not a split":
            return "segments"
        return segments, flat, lengths

    return garbled


@pytest.mark.parametrize(
    "how", ["id out of range", "runs swapped", "a run short", "wrong type", "not a split"]
)
def test_a_garbled_split_is_not_taken(
    world: dict, tmp_path: Path, forking: None, monkeypatch: pytest.MonkeyPatch, how: str
):
    folder = _copy(world, tmp_path)
    _, direct = output_reader.read_output(folder)
    child = FolderRead._child

    def garbling(self: FolderRead) -> Any:
        sent, split = child(self)
        texts = [
            t for item in sent if item is not None and item[0] == "page" for t in item[2] + item[3]
        ]
        assert len(texts[0]) != len(texts[1]) or how != "runs swapped"
        return sent, _garble(how)(split)

    monkeypatch.setattr(FolderRead, "_child", garbling)
    index = SegmentIndex()
    started = FolderRead.start(folder, index)
    assert started is not None
    _, beside = started.result()
    assert started.split_by_child == 0 and started.from_child > 40  # (the pages still taken)
    assert len(beside) == len(direct)
    for a, b in zip(direct, beside):
        assert same_artifact(a, b), a.name
    theirs = set(_texts([beside[i] for i in started.theirs]))
    own = set(_texts([a for i, a in enumerate(beside) if i not in started.theirs]))
    assert theirs - own and not any(t in index._texts for t in theirs - own)
    _assert_split_as_here(index, list(own))
    # the checks split what the index lacks: the same report as read in one process
    kw = {
        "extra_allowed_coordinates": outline_vertices(world["hoods"]),
        "extra_public_values": list(world["hoods"].names) + list(world["hoods"].codes),
    }
    page = sorted(folder.glob("*.html"))[-5]
    assert page in [started.files[i] for i in started.theirs]
    page.write_text(
        page.read_text(encoding="utf-8").replace("</main>", f"<p>{world['note']}</p></main>"),
        encoding="utf-8",
    )
    one = check_release(world["raw"], folder, world["points"], **kw)
    two = check_release(world["raw"], folder, world["points"], read_beside=True, **kw)
    assert not one.passed
    assert two.to_dict() == one.to_dict()


def test_the_gate_takes_the_index_the_read_began(world: dict, forking: None, monkeypatch):
    """check_release hands the read's index to the checks: the texts split during the read
    are not split again, and the rest (each page's joined strings) are added."""
    begun: list[SegmentIndex] = []
    take = checks.begin_segment_index

    def spy(ctx: Any, index: SegmentIndex) -> None:
        begun.append(index)
        take(ctx, index)

    monkeypatch.setattr("crime_mapper.core.gate.leak_gate.begin_segment_index", spy)
    built: list[SegmentIndex] = []
    segments = checks._segments

    def watch(ctx: Any) -> SegmentIndex:
        index = segments(ctx)
        if not any(index is b for b in built):
            built.append(index)
            _assert_split_as_here(index, [t for a in ctx.readable for t in ctx._texts(a)])
        return index

    monkeypatch.setattr(checks, "_segments", watch)
    kw = {
        "extra_allowed_coordinates": outline_vertices(world["hoods"]),
        "extra_public_values": list(world["hoods"].names) + list(world["hoods"].codes),
    }
    report = check_release(world["raw"], world["folder"], world["points"], read_beside=True, **kw)
    assert report.passed, report.message()
    assert len(begun) == 1 and built and built[0] is begun[0]
