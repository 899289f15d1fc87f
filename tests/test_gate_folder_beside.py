"""A folder's pages read by a forked child beside the gate (core.gate.folder_beside): the
same artifacts as read_output, in its order, down to the order of every artifact's string
set (what the checks' texts are joined from); the same gate report with a leak planted only
in the child's pages or only in this process's; a child that fails or is killed leaves its
pages to this process (the same artifacts); an error in this process meanwhile stops the
child; no child without a free core, with another thread running, or for few pages.

Real inputs: the bundled Leicestershire force extract (the raw table), its release anonymised
onto police.uk's published map points, the bundled Leicestershire MSOAs as neighbourhoods;
the folder is the summaries export of that release, with hostile files added.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crime_mapper.core.common import forked
from crime_mapper.core.gate import folder_beside, leak_gate, output_reader
from crime_mapper.core.gate.folder_beside import FolderRead
from crime_mapper.core.gate.leak_gate import check_release
from crime_mapper.core.publish.summaries_export import (
    SummaryGateError,
    export_summaries,
    leak_gate_for,
    outline_vertices,
)
from tests.support.artifacts import same_artifact
from tests.support.forking import another_thread, no_children, reaped
from tests.support.summaries_pages import build_pages_world


class _Passed:
    passed = True

    def message(self) -> str:
        return "passed"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return build_pages_world(tmp_path_factory.mktemp("folder_beside"))


@pytest.fixture
def forking(monkeypatch: pytest.MonkeyPatch) -> None:
    """A child may be forked here (the suite's stray threads would make alone() refuse),
    and the sample's 125 pages are enough for one."""
    monkeypatch.setattr(forked, "available", lambda: True)
    monkeypatch.setattr(forked, "alone", lambda: True)
    monkeypatch.setattr(folder_beside, "MIN_PAGES", 2)


@pytest.fixture(autouse=True)
def no_child_left() -> Iterator[None]:
    """Every child forked by a test has been waited for when it ends."""
    yield
    assert no_children(), "a forked child was left behind"


def _hostile(folder: Path) -> None:
    """Files that take every other way through the reader, named to sort last (the
    child's share), and a few among the first pages."""
    (folder / "zz_script.html").write_text(
        '<p>x</p><script type="application/json">{"k": "Flat 4"}</script>'
        "<script>var a = 'b\\u0041';</script>",
        encoding="utf-8",
    )
    (folder / "zz_lone.html").write_text("<p>a < b &amp; c</p>\n<i title='t'>z</i>", "utf-8")
    (folder / "zz_nul.html").write_text("<p>a\x00b</p>", encoding="utf-8")
    (folder / "zz_latin1.html").write_bytes("<p>caf\u00e9</p>".encode("latin-1"))
    (folder / "zz_empty.html").write_text("", encoding="utf-8")
    (folder / "zz_upper.HTM").write_text("<P CLASS=x>Upper\u2028case</P>", encoding="utf-8")
    (folder / "zz_note.txt").write_text("plain text", encoding="utf-8")
    (folder / "zz_unknown.bin").write_bytes(b"\x00\x01")
    (folder / "zz_link.html").symlink_to(folder / "index.html")
    nested = folder / "zz_sub"
    nested.mkdir()
    (nested / "inner.html").write_text("<div data-x='1\n2'>inner\n text</div>", "utf-8")
    (folder / "aa_first.html").write_text("<p>first &lt;page&gt;</p>", encoding="utf-8")


def _copy(world: dict, tmp_path: Path) -> Path:
    folder = tmp_path / "pages"
    shutil.copytree(world["folder"], folder)
    return folder


def test_pages_read_by_the_child_are_read_outputs_artifacts(
    world: dict, tmp_path: Path, forking: None
):
    folder = _copy(world, tmp_path)
    _hostile(folder)
    name, direct = output_reader.read_output(folder)
    started = FolderRead.start(folder)
    assert started is not None
    kinds = {started.files[i].name: i for i in started.theirs}
    beside_name, beside = started.result()
    assert beside_name == name
    assert [a.name for a in beside] == [a.name for a in direct]
    for a, b in zip(direct, beside):
        assert same_artifact(a, b), a.name
    # the child read its share: the last CHILD_SHARE of the pages, the hostile ones among them
    pages = [a for a in direct if a.name.lower().endswith((".html", ".htm"))]
    assert len(started.theirs) == int(len(pages) * folder_beside.CHILD_SHARE)
    for hostile in ("zz_script.html", "zz_lone.html", "zz_nul.html", "zz_link.html"):
        assert hostile in kinds, hostile
    assert "aa_first.html" not in kinds
    # every page but those with scripts came from the child (errors whole, pages as adds)
    files = [started.files[i] for i in started.theirs]
    scripted = [p for p in files if not p.is_symlink() and b"<script" in p.read_bytes()]
    assert "zz_script.html" in [p.name for p in scripted]
    assert started.from_child == len(started.theirs) - len(scripted)
    assert {a.kind for a in beside if a.name.startswith("zz_")} >= {"html", "error"}


@pytest.mark.parametrize("where", ["child", "parent"])
@pytest.mark.parametrize("what", ["secret", "note"])
def test_a_leak_in_one_share_of_the_pages_gives_the_direct_report(
    world: dict, tmp_path: Path, forking: None, where: str, what: str
):
    folder = _copy(world, tmp_path)
    pages = sorted(p for p in folder.glob("*.html") if p.name != "index.html")
    page = pages[-2] if where == "child" else pages[1]
    text = page.read_text(encoding="utf-8")
    planted = text.replace("</main>", f"<p>{world[what]}</p></main>", 1)
    assert planted != text
    page.write_text(planted, encoding="utf-8")
    kw = {
        "extra_allowed_coordinates": outline_vertices(world["hoods"]),
        "extra_public_values": list(world["hoods"].names) + list(world["hoods"].codes),
    }
    direct = check_release(world["raw"], folder, world["points"], **kw)
    reads: list[FolderRead] = []
    start = FolderRead.start.__func__  # type: ignore[attr-defined]

    def spy(cls: type, output: Any, segments: Any = None) -> Any:
        reads.append(start(cls, output, segments))
        return reads[-1]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(FolderRead, "start", classmethod(spy))
        beside = check_release(world["raw"], folder, world["points"], read_beside=True, **kw)
    assert reads and reads[0] is not None and reads[0].from_child > 40
    assert reads[0].split_by_child > 40  # (the child's texts split there, taken here)
    assert (page in [reads[0].files[i] for i in reads[0].theirs]) == (where == "child")
    assert not direct.passed
    assert beside.to_dict() == direct.to_dict()
    assert beside.message() == direct.message()
    clean = check_release(world["raw"], world["folder"], world["points"], read_beside=True, **kw)
    assert clean.passed, clean.message()


def _child_pid(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    pids: list[int] = []
    init = forked.ForkedCall.__init__

    def spy(self: Any, work: Any) -> None:
        init(self, work)
        pids.append(self.pid)

    monkeypatch.setattr(forked.ForkedCall, "__init__", spy)
    return pids


@pytest.mark.parametrize("how", ["raises", "killed", "exits", "garbled"])
def test_a_failed_child_leaves_its_pages_to_this_process(
    world: dict, tmp_path: Path, forking: None, monkeypatch: pytest.MonkeyPatch, how: str
):
    folder = _copy(world, tmp_path)
    _hostile(folder)
    _, direct = output_reader.read_output(folder)
    parent = os.getpid()
    child = FolderRead._child

    def failing(self: FolderRead) -> Any:
        assert os.getpid() != parent
        if how == "raises":
            raise MemoryError("no room")
        if how == "killed":
            os.kill(os.getpid(), signal.SIGKILL)
        if how == "exits":
            os._exit(3)
        sent, split = child(self)
        return sent[:-1], split  # (one page short: not what was asked)

    monkeypatch.setattr(FolderRead, "_child", failing)
    pids = _child_pid(monkeypatch)
    started = FolderRead.start(folder)
    assert started is not None
    _, beside = started.result()
    assert started.from_child == 0
    assert len(beside) == len(direct)
    for a, b in zip(direct, beside):
        assert same_artifact(a, b), a.name
    assert pids and reaped(pids[0])


def test_an_error_in_this_process_meanwhile_stops_the_child(
    world: dict, tmp_path: Path, forking: None, monkeypatch: pytest.MonkeyPatch
):
    class Stop(BaseException):
        pass

    def fail(*_args: Any, **_kw: Any) -> None:
        raise Stop()

    monkeypatch.setattr(leak_gate, "_compute_views", fail)
    pids = _child_pid(monkeypatch)
    with pytest.raises(Stop):
        check_release(world["raw"], world["folder"], world["points"], read_beside=True)
    assert pids and reaped(pids[0])


def test_no_child_where_one_cannot_run_beside(
    world: dict, tmp_path: Path, forking: None, monkeypatch: pytest.MonkeyPatch
):
    started = FolderRead.start(world["folder"])
    assert started is not None
    started.stop()
    with monkeypatch.context() as mp:
        mp.setattr(forked, "available", lambda: False)  # (one core, or no fork)
        assert FolderRead.start(world["folder"]) is None
    with monkeypatch.context() as mp:
        mp.setattr(forked, "alone", lambda: False)  # (another thread could hold a lock)
        assert FolderRead.start(world["folder"]) is None
    with monkeypatch.context() as mp:
        pages = len(list(world["folder"].glob("*.html")))
        mp.setattr(folder_beside, "MIN_PAGES", pages + 1)
        assert FolderRead.start(world["folder"]) is None
        mp.setattr(folder_beside, "MIN_PAGES", pages)
        started = FolderRead.start(world["folder"])
        assert started is not None
        started.stop()
    for other in (world["folder"] / "index.html", tmp_path / "missing", world["public"]):
        assert FolderRead.start(other) is None
    # the real guard: a thread running now refuses the fork
    monkeypatch.undo()
    monkeypatch.setattr(folder_beside, "MIN_PAGES", 2)
    monkeypatch.setattr(forked, "available", lambda: True)
    with another_thread():
        assert FolderRead.start(world["folder"]) is None


@pytest.mark.parametrize("case", ["clean", "secret"])
def test_summaries_gated_with_pages_read_beside_as_without(
    world: dict, tmp_path: Path, forking: None, monkeypatch: pytest.MonkeyPatch, case: str
):
    """The whole export: the same folder and message (or refusal) either way; the views
    warmed while the pages were made are joined before the child is forked."""
    force = {"clean": "Leicestershire Police", "secret": world["secret"]}[case]
    out: dict[bool, tuple[str, dict]] = {}
    threads_at_fork: list[list[str]] = []
    init = forked.ForkedCall.__init__

    def spy(self: Any, work: Any) -> None:
        threads_at_fork.append([t.name for t in threading.enumerate()])
        init(self, work)

    monkeypatch.setattr(forked.ForkedCall, "__init__", spy)
    # the views' thread still at work when the gate begins (it waits for the gate's call)
    called = threading.Event()
    compute, check = leak_gate._compute_views, leak_gate.check_release

    def late_views(prepared: Any, more: tuple = (), stop: Any = None) -> None:
        if threading.current_thread().name == "leak gate views":
            assert called.wait(60)
        compute(prepared, more, stop)

    def calling(*args: Any, **kw: Any) -> Any:
        called.set()
        return check(*args, **kw)

    monkeypatch.setattr(leak_gate, "_compute_views", late_views)
    monkeypatch.setattr(leak_gate, "check_release", calling)
    for beside in (False, True):
        called.clear()
        target = tmp_path / str(beside)
        gate = leak_gate_for(world["raw"], world["points"], read_beside=beside)
        try:
            message = export_summaries(
                world["public"], world["hoods"], target, gate=gate, force_name=force
            ).gate_message
        except SummaryGateError as exc:
            message = "refused: " + str(exc)
        tree = {
            str(p.relative_to(target)): p.read_bytes() for p in target.rglob("*") if p.is_file()
        }
        stage = re.sub(r"[^\s/]*-stage-[0-9a-f]+", "STAGE", message)
        out[beside] = (stage.replace(str(target), "OUT"), tree)
    assert out[True][0].startswith("refused: ") == (case == "secret"), out[True][0][:300]
    assert len(threads_at_fork) == 1  # (forked once, with the views' thread ended)
    assert "leak gate views" not in threads_at_fork[0]
    assert out[True] == out[False]
