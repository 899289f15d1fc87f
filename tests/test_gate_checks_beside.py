"""A folder's checks split between this process and a forked child (core.gate.checks_beside):
the same report as one process gives, on the clean folder and with a leak planted for a
check of either half; a child that raises, is killed, exits or sends back anything but
its checks' results fails its checks closed (the gate refuses), while this process's
checks are unaffected; an error in this process meanwhile stops the child; no child
without a free core, with another thread running, for few files, or when one half would
be empty.

Real inputs: tests/support/summaries_pages.py's (the bundled Leicestershire force extract,
its release, the summaries export of it over the Leicestershire MSOAs).
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crime_mapper.core.common import forked
from crime_mapper.core.gate import checks_beside, folder_beside
from crime_mapper.core.gate.checks import CHECKS, SPLIT_CHECKS, CheckParts
from crime_mapper.core.gate.checks_beside import (
    CHILD_CHECKS,
    CHILD_PARTS,
    _parts_well_formed,
    run_checks,
    well_formed,
)
from crime_mapper.core.gate.context import CHECK_NAMES, GateCheck, GateContext, PreparedGate
from crime_mapper.core.gate.leak_gate import check_release
from crime_mapper.core.gate.output_reader import read_output
from crime_mapper.core.publish.summaries_export import outline_vertices
from tests.support.forking import no_children, reaped
from tests.support.summaries_pages import build_pages_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The raw extract, map points and a summaries folder (tests/support/summaries_pages)."""
    return build_pages_world(tmp_path_factory.mktemp("folder_beside"))


@pytest.fixture(autouse=True)
def no_child_left() -> Iterator[None]:
    """Every child forked by a test has been waited for when it ends."""
    yield
    assert no_children(), "a forked child was left behind"


@pytest.fixture
def forking(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Children may be forked here (the suite's stray threads would make alone() refuse;
    the sample's 125 pages are enough); the process ids of those forked."""
    monkeypatch.setattr(forked, "available", lambda: True)
    monkeypatch.setattr(forked, "alone", lambda: True)
    monkeypatch.setattr(folder_beside, "MIN_PAGES", 2)
    monkeypatch.setattr(checks_beside, "MIN_ARTIFACTS", 2)
    pids: list[int] = []
    init = forked.ForkedCall.__init__

    def spy(self: Any, work: Any) -> None:
        init(self, work)
        pids.append(self.pid)

    monkeypatch.setattr(forked.ForkedCall, "__init__", spy)
    return pids


def _extras(world: dict) -> dict:
    return {
        "extra_allowed_coordinates": outline_vertices(world["hoods"]),
        "extra_public_values": list(world["hoods"].names) + list(world["hoods"].codes),
    }


def _reference(world: dict) -> str:
    prep = PreparedGate(world["raw"], world["points"])
    return next(r for r in prep.references if len(r) >= 8)


PLANTS = {
    "clean": None,
    "non-public value (here, its check split)": "secret",
    "free-text note (child, its check split)": "note",
    "reference (child)": "reference",
    "day-precise date (here)": "Seen on 27/10/2022 at 14:05",
    "phone number (here)": "Call 07700 900123",
}


@pytest.mark.parametrize("plant", list(PLANTS))
def test_the_split_checks_give_the_one_process_report(
    world: dict, tmp_path: Path, forking: list[int], plant: str
):
    folder = tmp_path / "pages"
    shutil.copytree(world["folder"], folder)
    what = PLANTS[plant]
    if what is not None:
        text = {"secret": world["secret"], "note": world["note"]}.get(what, what)
        if what == "reference":
            text = f"ref {_reference(world)}"
        page = sorted(p for p in folder.glob("*.html") if p.name != "index.html")[3]
        body = page.read_text(encoding="utf-8")
        planted = body.replace("</main>", f"<p>{text}</p></main>", 1)
        assert planted != body
        page.write_text(planted, encoding="utf-8")
    kw = _extras(world)
    direct = check_release(world["raw"], folder, world["points"], **kw)
    assert not forking
    beside = check_release(world["raw"], folder, world["points"], read_beside=True, **kw)
    assert len(forking) == 2 and all(map(reaped, forking))  # (the pages' read, the checks)
    assert direct.passed == (what is None), direct.message()
    assert beside.to_dict() == direct.to_dict()
    assert beside.message() == direct.message()
    if what is not None:  # (the planted leak failed a check of the half named, at least)
        failed = {c.name for c in direct.failed()}
        child = set(CHILD_CHECKS) | set(CHILD_PARTS)
        half = failed & child if "(child" in plant else failed - set(CHILD_CHECKS)
        assert half, failed


@pytest.fixture(scope="module")
def context(world: dict) -> GateContext:
    extras = _extras(world)
    prep = PreparedGate(
        world["raw"],
        world["points"],
        extras["extra_allowed_coordinates"],
        extras["extra_public_values"],
    )
    return GateContext(prep, read_output(world["folder"])[1])


def _misbehaving(how: str, parent: int) -> Any:
    def check(_ctx: GateContext) -> Any:
        if os.getpid() == parent:
            raise AssertionError("the child's check ran in this process")
        if how == "raises":
            raise MemoryError("no room")
        if how == "killed":
            os.kill(os.getpid(), signal.SIGKILL)
        if how == "exits":
            os._exit(3)
        if how == "wrong name":
            return GateCheck("public_schema", True, "ok", [])
        if how == "not a check":
            return {"name": "no_source_references", "passed": True}
        if how == "passed not a bool":
            return GateCheck("no_source_references", "yes", "ok", [])  # type: ignore[arg-type]
        return GateCheck("no_source_references", True, "ok", [b"bytes"])  # type: ignore[list-item]

    return check


@pytest.mark.parametrize(
    "how",
    ["raises", "killed", "exits", "wrong name", "not a check", "passed not a bool", "bad example"],
)
def test_a_failed_child_fails_its_checks_closed(context: GateContext, forking: list[int], how: str):
    parent = os.getpid()
    chosen = [
        (n, _misbehaving(how, parent) if n == "no_source_references" else fn) for n, fn in CHECKS
    ]
    alone = {c.name: c for c in run_checks(context, list(CHECKS))}
    assert not forking and all(c.passed for c in alone.values())
    done = run_checks(context, chosen, beside=True)
    assert len(forking) == 1 and reaped(forking[0])
    assert [c.name for c in done] == list(CHECK_NAMES)
    for check in done:
        if check.name == "no_source_references" or (
            check.name in CHILD_CHECKS + CHILD_PARTS and how != "raises"
        ):  # (the child's checks and halves, all of them unless the check itself raised)
            assert not check.passed
            assert "failing closed" in check.detail
            if how != "raises":  # (raised inside the check: its usual message)
                assert "child process that failed" in check.detail, check.detail
        else:  # (the rest as in one process)
            assert check == alone[check.name]
    assert not all(c.passed for c in done)


def test_an_error_in_this_process_meanwhile_stops_the_child(
    context: GateContext, forking: list[int]
):
    class Stop(BaseException):
        pass

    def slow(_ctx: GateContext) -> GateCheck:
        signal.pause()  # (until killed: this process does not wait for it to end)
        raise AssertionError("not reached")

    def fail(_ctx: GateContext) -> GateCheck:
        raise Stop()

    chosen = [
        (n, slow if n == "no_non_public_values" else fail if n == "public_schema" else fn)
        for n, fn in CHECKS
    ]
    with pytest.raises(Stop):
        run_checks(context, chosen, beside=True)
    assert len(forking) == 1 and reaped(forking[0])


def test_no_child_where_one_cannot_run_or_would_not_pay(
    context: GateContext, forking: list[int], monkeypatch: pytest.MonkeyPatch
):
    every = list(CHECKS)
    expected = run_checks(context, every)
    assert run_checks(context, every, beside=True) == expected
    assert len(forking) == 1
    for name, value in (("available", False), ("alone", False)):
        with monkeypatch.context() as mp:
            mp.setattr(forked, name, lambda value=value: value)
            assert run_checks(context, every, beside=True) == expected
    with monkeypatch.context() as mp:
        mp.setattr(checks_beside, "MIN_ARTIFACTS", len(context.readable) + 1)
        assert run_checks(context, every, beside=True) == expected
    theirs = [(n, fn) for n, fn in every if n in CHILD_CHECKS]
    mine = [(n, fn) for n, fn in every if n not in CHILD_CHECKS + CHILD_PARTS]
    assert run_checks(context, theirs, beside=True) == [
        c for c in expected if c.name in CHILD_CHECKS
    ]
    assert run_checks(context, mine, beside=True) == [
        c for c in expected if c.name not in CHILD_CHECKS + CHILD_PARTS
    ]
    assert len(forking) == 1  # (none of these forked)
    # a split check given as another function of its name runs whole, here
    other = [
        (n, (lambda c, fn=fn: fn(c)) if n in CHILD_PARTS else fn)
        for n, fn in every
        if n not in CHILD_CHECKS
    ]
    assert run_checks(context, other, beside=True) == [
        c for c in expected if c.name not in CHILD_CHECKS
    ]
    assert len(forking) == 1
    # a split check alone: its halves in two processes, the one-process report
    split = [(n, fn) for n, fn in every if n in CHILD_PARTS]
    assert run_checks(context, split, beside=True) == [c for c in expected if c.name in CHILD_PARTS]
    assert len(forking) == 2
    # the real guard: a thread running now refuses the fork
    monkeypatch.undo()
    monkeypatch.setattr(forked, "available", lambda: True)
    monkeypatch.setattr(checks_beside, "MIN_ARTIFACTS", 2)
    hold = threading.Event()
    thread = threading.Thread(target=hold.wait)
    thread.start()
    pids: list[int] = []
    init = forked.ForkedCall.__init__
    monkeypatch.setattr(
        forked.ForkedCall, "__init__", lambda self, work: (init(self, work), pids.append(self.pid))
    )
    try:
        assert run_checks(context, every, beside=True) == expected
    finally:
        hold.set()
        thread.join()
    assert not pids


def test_well_formed():
    names = ["no_source_references", "no_non_public_values"]
    good = [GateCheck(n, True, "ok", ["e.g."]) for n in names]
    assert well_formed(good, names)
    assert not well_formed(tuple(good), names)
    assert not well_formed(good[:1], names)
    assert not well_formed(good[::-1], names)
    assert not well_formed(good + good[:1], names)
    assert not well_formed([good[0], GateCheck(names[1], 1, "ok", [])], names)  # type: ignore[arg-type]
    assert not well_formed([good[0], GateCheck(names[1], True, None, [])], names)  # type: ignore[arg-type]
    assert not well_formed([good[0], GateCheck(names[1], True, "ok", ("x",))], names)  # type: ignore[arg-type]
    assert not well_formed([good[0], GateCheck(names[1], True, "ok", [3])], names)  # type: ignore[list-item]
    assert not well_formed(None, names)


def _raising(where: str, parent: int) -> Any:
    def part(_ctx: GateContext) -> list[str]:
        if where == "child" and os.getpid() == parent:
            raise AssertionError("the child's half ran in this process")
        raise MemoryError("no room")

    return part


@pytest.mark.parametrize("where", ["here", "child"])
def test_a_split_check_whose_half_raises_fails_as_in_one_process(
    context: GateContext, forking: list[int], monkeypatch: pytest.MonkeyPatch, where: str
):
    """The first half (here) or the last (in the child) raises: the split check fails with
    the detail run_check gives the whole check raising the same; the rest is unchanged."""
    alone = {c.name: c for c in run_checks(context, list(CHECKS))}
    name = CHILD_PARTS[0]
    parts = SPLIT_CHECKS[name]
    raising = _raising(where, os.getpid())
    halves = (raising, parts.last) if where == "here" else (parts.first, raising)
    monkeypatch.setitem(
        SPLIT_CHECKS, name, CheckParts(parts.whole, halves[0], halves[1], parts.verdict)
    )
    done = {c.name: c for c in run_checks(context, list(CHECKS), beside=True)}
    assert len(forking) == 1 and reaped(forking[0])
    whole = run_checks(context, [(name, lambda _c: raising(_c))])[0] if where == "here" else None
    assert done[name] == GateCheck(
        name, False, "the check could not run (MemoryError: no room); failing closed", []
    )
    assert whole is None or whole == done[name]
    assert {n: c for n, c in done.items() if n != name} == {
        n: c for n, c in alone.items() if n != name
    }


def test_a_child_sending_malformed_halves_fails_the_split_check_closed(
    context: GateContext, forking: list[int], monkeypatch: pytest.MonkeyPatch
):
    """The child's half is not a list of strings: the split check fails closed, as do the
    child's whole checks."""
    name = CHILD_PARTS[0]
    parts = SPLIT_CHECKS[name]
    monkeypatch.setitem(
        SPLIT_CHECKS,
        name,
        CheckParts(parts.whole, parts.first, lambda _c: [b"bytes"], parts.verdict),
    )
    done = {c.name: c for c in run_checks(context, list(CHECKS), beside=True)}
    assert len(forking) == 1 and reaped(forking[0])
    for check in CHILD_CHECKS + CHILD_PARTS:
        assert not done[check].passed
        assert "child process that failed" in done[check].detail, done[check].detail
        assert "failing closed" in done[check].detail


def test_parts_well_formed():
    assert _parts_well_formed([(True, ["a", "b"]), (False, "MemoryError: x")], 2)
    assert _parts_well_formed([], 0)
    assert not _parts_well_formed([(True, ["a"])], 2)
    assert not _parts_well_formed(((True, ["a"]),), 1)
    assert not _parts_well_formed([[True, ["a"]]], 1)
    assert not _parts_well_formed([(1, ["a"])], 1)
    assert not _parts_well_formed([(True, ("a",))], 1)
    assert not _parts_well_formed([(True, [b"a"])], 1)
    assert not _parts_well_formed([(False, ["a"])], 1)
    assert not _parts_well_formed([(True, ["a"], 3)], 1)
    assert not _parts_well_formed(None, 0)
