"""How a forked child's outcome comes back (core.common.forked): its length first, then
exactly that many bytes, so the caller takes the answer without waiting for the child's
pipe to close.

Why: the pipe closes only once the child's memory has been torn down (the kernel closes a
leaving process's files after its address space), 40-180 ms for a national release's
children, which the caller waited for on its critical path; and a grandchild that inherited
the pipe kept it open for as long as it lived. A child that has sent its whole outcome is
reaped once it has left (forked.reap_left: before the next fork, or by whoever must know).
"""

from __future__ import annotations

import gc
import os
import pickle
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from crime_mapper.core.common import forked
from tests.support.forking import no_children

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork only")


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (not a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_the_answer_is_taken_while_a_grandchild_still_holds_the_pipe() -> None:
    """The child starts a process that inherits its end of the outcome pipe and outlives it:
    the caller has the child's value while that process still runs (reading to the pipe's
    end, it waited for as long as the grandchild lived)."""

    def work(call: forked.ForkedCall) -> dict:
        sleeper = subprocess.Popen(["sleep", "60"], pass_fds=(call._out,))
        return {"value": [1, 2, 3], "grandchild": sleeper.pid}

    call = forked.ForkedCall(work)
    try:
        got = call.result()
        assert got["value"] == [1, 2, 3]
        assert _running(got["grandchild"])  # (the pipe is still open: not waited for)
    finally:
        if "got" in locals():
            os.kill(got["grandchild"], signal.SIGKILL)
        call.stop()
    assert no_children()
    assert gc.get_freeze_count() == 0


def _sends_then_dies(data: bytes) -> None:
    """A child that writes ``data`` on its outcome pipe and leaves: the caller raises that
    the child stopped unexpectedly, and no child is left."""

    def work(call: forked.ForkedCall) -> None:
        forked._write_all(call._out, data)
        os._exit(0)

    call = forked.ForkedCall(work)
    with pytest.raises(RuntimeError, match="stopped unexpectedly"):
        call.result()
    assert no_children()


def test_an_outcome_cut_short_is_the_childs_unexpected_end() -> None:
    """A child that dies after sending part of its outcome (its length says more): the
    caller raises that the child stopped unexpectedly, as for a child that sent nothing."""
    _sends_then_dies(forked._DONE + (1000).to_bytes(8, "big") + b"x" * 10)


def test_an_outcome_without_its_length_is_the_childs_unexpected_end() -> None:
    """Fewer bytes than the length itself after the outcome's mark: the same error."""
    _sends_then_dies(forked._DONE + b"\x00\x00")


@pytest.mark.parametrize("length", [1 << 21, 1 << 62])
def test_an_outcome_cut_short_in_its_value_is_the_childs_unexpected_end(length: int) -> None:
    """The outcome's head whole, then a value whose length says more than comes (or more
    than this process could hold): the same error (the value is read in place, to exactly
    its length)."""
    head = forked._sized(pickle.dumps(("value", "")))
    _sends_then_dies(forked._DONE + head + length.to_bytes(8, "big") + b"x" * 70_000)


def test_a_value_of_many_pipe_buffers_comes_back_whole() -> None:
    """A value of tens of megabytes (many times the pipe's buffer, read in place in many
    pieces), and an error raised after it in another child: each as the work gave it."""
    value = {"ids": [f"{i:064x}" for i in range(100_000)], "bytes": bytes(range(256)) * 80_000}
    call = forked.ForkedCall(lambda _call: value)
    assert call.result() == value

    def fails(_call: forked.ForkedCall) -> None:
        raise ValueError("a message " * 100_000)

    call = forked.ForkedCall(fails)
    with pytest.raises(ValueError, match="a message a message"):
        call.result()
    assert no_children()


def test_children_that_answered_are_all_reaped_and_the_collector_unfrozen() -> None:
    """Many children in turn, each answering a large value (more than a pipe's buffer):
    every value whole, and once reap_left has waited, no child left and nothing frozen,
    whether each child had left when its answer was taken or not."""
    values = []
    for i in range(8):
        call = forked.ForkedCall(lambda _call, i=i: bytes([i]) * 300_000)
        values.append(call.result())
    assert values == [bytes([i]) * 300_000 for i in range(8)]
    forked.reap_left()
    assert not forked._leaving
    assert no_children()
    assert gc.get_freeze_count() == 0


def test_a_child_reaped_by_someone_else_is_no_error() -> None:
    """A leaving child that another waitpid (of any child) took first: reap_left forgets it
    without an error."""
    call = forked.ForkedCall(lambda _call: "done")
    assert call.result() == "done"
    try:
        os.waitpid(-1, 0)  # (takes the child, leaving or not, if forked has not)
    except ChildProcessError:
        pass
    forked.reap_left()
    assert not forked._leaving
    assert no_children()


#: a command's start: this checkout importable, and work that burns 0.5 s of CPU in a child
_COMMAND_HEAD = (
    "import os, sys, time\n"
    f"sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})\n"
    "from crime_mapper.core.common import forked\n"
    "def burn(_call):\n"
    "    start = time.process_time()\n"
    "    while time.process_time() - start < 0.5:\n"
    "        pass\n"
    "    return 'burnt'\n"
)


def _children_cpu_of(body: str) -> float:
    """CPU seconds that reach this process from a command running _COMMAND_HEAD + ``body``
    (its own and those of the children it reaped), the command having succeeded."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-c", _COMMAND_HEAD + body], capture_output=True, text=True
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert done.returncode == 0, done.stderr
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def test_a_commands_children_are_reaped_at_its_exit() -> None:
    """A process that exits with a child still leaving reaps it first (atexit): its CPU
    time is then counted with the process's (what the bench reads of a command: the
    release's children were missing from it)."""
    # (the grandchild's 0.5 s of CPU reaches this process only if the command reaped it)
    assert _children_cpu_of("assert forked.ForkedCall(burn).result() == 'burnt'\n") >= 0.45


def test_a_childs_own_children_are_reaped_before_it_leaves() -> None:
    """A child whose own forked child was still leaving when it took its answer reaps it
    before it leaves (os._exit runs no atexit handler): the grandchild's CPU time reaches
    the command's. Every child here is taken as still leaving when its answer comes (the
    slowest case: a national child's memory torn down), so nothing depends on timing."""
    body = (
        "real = forked._waitpid\n"
        "forked._waitpid = lambda pid, options: (\n"
        "    False if options == os.WNOHANG else real(pid, options))\n"
        "def middle(_call):\n"
        "    got = forked.ForkedCall(burn).result()\n"
        "    assert forked._leaving  # (its child taken as leaving: reaped before it leaves)\n"
        "    return got\n"
        "assert forked.ForkedCall(middle).result() == 'burnt'\n"
    )
    assert _children_cpu_of(body) >= 0.45
