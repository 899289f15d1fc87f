"""What the tests of work in forked children (core.common.forked) share.

Why one module: the tests of each forked path (the web map's children, the monthly
release's, the gate's read-ahead and views, the load's tables) each ask the same three
things: were children allowed to fork on this machine, are none left unreaped, and which
bytes did the run leave in its folder. Kept apart from pytest (the package's rule): the
monkeypatch is passed in.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def no_children() -> bool:
    """Whether this process has no child left to reap (every forked child waited for; those
    that answered and were leaving, core.common.forked.reap_left, once they have left)."""
    from crime_mapper.core.common import forked

    forked.reap_left()
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def reaped(pid: int) -> bool:
    """Whether the child ``pid`` has been waited for (one that answered and was leaving,
    core.common.forked.reap_left, once it has left)."""
    from crime_mapper.core.common import forked

    forked.reap_left()
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def may_fork(monkeypatch: Any) -> None:
    """Fork whatever this machine has (core.common.forked.available), and whatever threads
    earlier tests left behind (forked.alone): the guards have tests of their own."""
    from crime_mapper.core.common import forked

    monkeypatch.setattr(forked, "available", lambda: True)
    monkeypatch.setattr(forked, "alone", lambda: True)


def children_started(monkeypatch: Any, module: Any) -> list[int]:
    """The process ids of the children ``module.start`` forks from now on (a module whose
    ``start`` returns None or an object holding its ForkedCall as ``_call``)."""
    made: list[int] = []
    real = module.start

    def start(*args: Any, **kwargs: Any) -> Any:
        started = real(*args, **kwargs)
        if started is not None:
            made.append(started._call.pid)
        return started

    monkeypatch.setattr(module, "start", start)
    return made


def files_in(folder: Path, skip: Collection[str] = ()) -> dict[str, bytes]:
    """Every file below ``folder`` (its path from there, with /) and its bytes; file names
    in ``skip`` left out."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(Path(folder).rglob("*"))
        if p.is_file() and p.name not in skip
    }


@contextmanager
def another_thread() -> Iterator[None]:
    """A second Python thread running for the block (idle), so forked.alone() is false:
    the real guard every forking path must respect."""
    hold = threading.Event()
    thread = threading.Thread(target=hold.wait)
    thread.start()
    try:
        yield
    finally:
        hold.set()
        thread.join()


def group_gone(pgid: int) -> bool:
    """No live process (zombies aside: reaped by whoever adopted them) left in the group."""
    deadline = time.monotonic() + 10
    while True:
        alive = []
        for stat_file in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat_file.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                alive.append(stat_file.parent.name)
        if not alive or time.monotonic() > deadline:
            return not alive
        time.sleep(0.1)


def forked_pids(monkeypatch: Any) -> list[int]:
    """The process ids of the children core.common.forked.ForkedCall forks from now on
    (in this test)."""
    from crime_mapper.core.common.forked import ForkedCall

    made: list[int] = []
    real = ForkedCall.__init__

    def init(self: ForkedCall, work: Any) -> None:
        real(self, work)
        made.append(self.pid)

    monkeypatch.setattr(ForkedCall, "__init__", init)
    return made
