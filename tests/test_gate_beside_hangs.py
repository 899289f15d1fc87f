"""The summaries gate's forked children when they hang (core.gate.checks_beside,
core.gate.folder_beside): a child that never answers is killed at its deadline; the
checks it was given fail closed (the gate refuses), the pages it was given are read here
(the same artifacts); an interrupt (Ctrl-C, a cancel raised as an exception) while this
process waits for a child kills it at once rather than waiting for it to finish.

A case that would hang on a defect is run under a time limit (SIGALRM raising a
BaseException, again every few seconds until it gets out): the limit only turns a hang into
a failure, no timing is asserted. A stopped child's own wait (forked._STOP_WAIT_S) is made
longer than the limit, so a caller that waits for a busy child instead of killing it fails.

Real inputs: tests/support/summaries_pages.py's (the bundled Leicestershire force extract,
its release, the summaries export of it over the Leicestershire MSOAs).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from crime_mapper.core.common import forked
from crime_mapper.core.gate import checks_beside, folder_beside, output_reader
from crime_mapper.core.gate.checks import CHECKS
from crime_mapper.core.gate.checks_beside import CHILD_CHECKS, CHILD_PARTS, run_checks
from crime_mapper.core.gate.context import CHECK_NAMES, GateCheck, GateContext, PreparedGate
from crime_mapper.core.gate.folder_beside import FolderRead
from crime_mapper.core.gate.output_reader import read_output
from crime_mapper.core.publish.summaries_export import outline_vertices
from tests.support.artifacts import same_artifact
from tests.support.forking import reaped
from tests.support.summaries_pages import build_pages_world

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork only")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The raw extract, map points and a summaries folder (tests/support/summaries_pages)."""
    return build_pages_world(tmp_path_factory.mktemp("folder_beside"))


HANG_LIMIT_S = 90  # a case not done by then is taken as hung (its children then killed)


class Hung(BaseException):
    """Raised by the time limit (a BaseException: no ``except Exception`` swallows it)."""


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Children may be forked here, for the sample's pages and checks; the process ids of
    those forked. A child left running when the test ends is killed (and the test fails:
    every child must have been waited for)."""
    monkeypatch.setattr(forked, "available", lambda: True)
    monkeypatch.setattr(forked, "alone", lambda: True)
    monkeypatch.setattr(folder_beside, "MIN_PAGES", 2)
    monkeypatch.setattr(checks_beside, "MIN_ARTIFACTS", 2)
    monkeypatch.setattr(forked, "_STOP_WAIT_S", 10 * HANG_LIMIT_S)
    pids: list[int] = []
    init = forked.ForkedCall.__init__

    def spy(self: Any, work: Any) -> None:
        init(self, work)
        pids.append(self.pid)

    monkeypatch.setattr(forked.ForkedCall, "__init__", spy)
    yield pids
    left = []
    for pid in pids:
        try:
            if os.waitpid(pid, os.WNOHANG) == (0, 0):
                left.append(pid)
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    assert not left, "a forked child was left running"


@contextmanager
def hang_limit() -> Iterator[None]:
    def on_alarm(_signum: int, _frame: Any) -> None:
        raise Hung("the case hung")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, HANG_LIMIT_S, 5.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@contextmanager
def interrupt_after(seconds: float) -> Iterator[type[BaseException]]:
    """Raise Interrupt in this process's main thread ``seconds`` from now (once), by a
    SIGUSR1 a timer thread sends (the time limit keeps SIGALRM)."""

    class Interrupt(BaseException):
        pass

    def on_signal(_signum: int, _frame: Any) -> None:
        raise Interrupt()

    old = signal.signal(signal.SIGUSR1, on_signal)
    timer = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGUSR1))
    timer.start()
    try:
        yield Interrupt
    finally:
        timer.cancel()
        timer.join()
        signal.signal(signal.SIGUSR1, old)


def _hangs(_ctx: Any = None) -> Any:
    """A child's work that never ends (it would be killed)."""
    while True:
        signal.pause()


# --- the checks' child -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def context(world: dict) -> GateContext:
    prep = PreparedGate(
        world["raw"],
        world["points"],
        outline_vertices(world["hoods"]),
        list(world["hoods"].names) + list(world["hoods"].codes),
    )
    return GateContext(prep, read_output(world["folder"])[1])


def _with_hung_child_check(parent: int) -> list[tuple[str, Any]]:
    def check(ctx: GateContext) -> GateCheck:
        if os.getpid() == parent:
            raise AssertionError("the child's check ran in this process")
        return _hangs(ctx)

    return [(n, check if n == "no_source_references" else fn) for n, fn in CHECKS]


def test_a_hung_checks_child_is_killed_at_its_deadline_and_its_checks_fail_closed(
    context: GateContext, forks: list[int], monkeypatch: pytest.MonkeyPatch
):
    alone = {c.name: c for c in run_checks(context, list(CHECKS))}
    assert not forks and all(c.passed for c in alone.values())
    monkeypatch.setattr(checks_beside, "DEADLINE_S", 1.0)
    with hang_limit():
        done = run_checks(context, _with_hung_child_check(os.getpid()), beside=True)
    assert len(forks) == 1 and reaped(forks[0])
    assert [c.name for c in done] == list(CHECK_NAMES)
    for check in done:
        if check.name in CHILD_CHECKS + CHILD_PARTS:  # (the child's checks and halves: nothing
            # came back)
            assert not check.passed and not check.examples
            assert "child process that failed" in check.detail, check.detail
            assert "within 1 s" in check.detail and "failing closed" in check.detail
        else:
            assert check == alone[check.name]


def test_an_interrupt_while_waiting_for_the_checks_child_kills_it_at_once(
    context: GateContext, forks: list[int]
):
    with hang_limit():
        with interrupt_after(2.0) as interrupt:
            with pytest.raises(interrupt):
                run_checks(context, _with_hung_child_check(os.getpid()), beside=True)
    assert len(forks) == 1 and reaped(forks[0])


# --- the pages' child ------------------------------------------------------------------------
def test_a_hung_page_reader_is_killed_at_its_deadline_and_its_pages_read_here(
    world: dict, forks: list[int], monkeypatch: pytest.MonkeyPatch
):
    _, direct = output_reader.read_output(world["folder"])
    monkeypatch.setattr(FolderRead, "_child", lambda self: _hangs())
    monkeypatch.setattr(folder_beside, "DEADLINE_S", 1.0)
    started = FolderRead.start(world["folder"])
    assert started is not None
    with hang_limit():
        _, beside = started.result()
    assert started.from_child == 0
    assert len(beside) == len(direct)
    assert all(same_artifact(a, b) for a, b in zip(direct, beside))
    assert len(forks) == 1 and reaped(forks[0])


@pytest.mark.parametrize("when", ["waiting", "stopped"])
def test_a_busy_page_reader_is_killed_not_waited_for(
    world: dict, forks: list[int], monkeypatch: pytest.MonkeyPatch, when: str
):
    """Interrupted while waiting for its answer, or stopped (the caller failed meanwhile):
    the child, which only reads, is killed at once."""
    monkeypatch.setattr(FolderRead, "_child", lambda self: _hangs())
    started = FolderRead.start(world["folder"])
    assert started is not None
    with hang_limit():
        if when == "stopped":
            started.stop()
        else:
            with interrupt_after(2.0) as interrupt:
                with pytest.raises(interrupt):
                    started.result()
    assert len(forks) == 1 and reaped(forks[0])


def test_a_hung_summaries_gate_child_refuses_the_folder(
    world: dict, tmp_path: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
):
    """The whole gate (check_release with read_beside) over the folder: both children hang;
    the pages are read here, the checks' child's checks fail closed: refused, and nothing
    is left running."""
    from crime_mapper.core.gate.leak_gate import check_release

    monkeypatch.setattr(FolderRead, "_child", lambda self: _hangs())
    monkeypatch.setattr(folder_beside, "DEADLINE_S", 1.0)
    monkeypatch.setattr(checks_beside, "DEADLINE_S", 1.0)
    parent = os.getpid()
    chosen = _with_hung_child_check(parent)
    monkeypatch.setattr(checks_beside, "CHILD_CHECKS", CHILD_CHECKS)
    from crime_mapper.core.gate import leak_gate

    monkeypatch.setattr(leak_gate, "CHECKS", chosen)
    with hang_limit():
        report = check_release(
            world["raw"],
            world["folder"],
            world["points"],
            extra_allowed_coordinates=outline_vertices(world["hoods"]),
            extra_public_values=list(world["hoods"].names) + list(world["hoods"].codes),
            read_beside=True,
        )
    assert not report.passed
    assert {c.name for c in report.failed()} == set(CHILD_CHECKS + CHILD_PARTS), report.message()
    assert len(forks) == 2 and all(map(reaped, forks))
