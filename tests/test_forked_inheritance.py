"""What a forked child (core.common.forked) holds of its parent's: not the parent's protocol
stream to QGIS (core.common.child_lines.LineProtocol), not another child's pipes.

Why it matters: the dock's release child (and Processing's anonymise child, the in-QGIS web
map's) forks work beside it. A child forked there held the write end of the protocol pipe
the dock reads, so when the release process was killed (the dock's cancel: SIGTERM, then
SIGKILL; or out of memory) the dock saw no end of the stream until every forked child had
ended too: a busy child kept the cancelled task waiting, a hung one for ever. And a child
held its siblings' pipes: the web map's child waiting for its caller's word (ForkedCall.hold)
learns that the caller is gone from its pipe's end, which never came while a sibling forked
later still held that pipe, so it waited (its staged folder with it) as long as the sibling.

Each case runs a "release process" script in a Python process of its own, which forks and
then kills itself (SIGKILL: no clean-up of its own runs); the test reads its protocol
stream to the end under a time limit (the limit only turns a hang into a failure).
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork only")

ROOT = Path(__file__).resolve().parent.parent
HANG_LIMIT_S = 120.0  # no end of the stream by then: taken as held open for ever


def _state(pid: int) -> str:
    """A process's state letter (R, S, Z...), or "" once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return text.rsplit(")", 1)[1].split()[0]


def _gone(pid: int) -> bool:
    return _state(pid) in ("", "Z", "X")


def _gone_in_time(pid: int) -> bool:
    """Whether ``pid`` is gone, waiting for it up to HANG_LIMIT_S."""
    limit = time.monotonic() + HANG_LIMIT_S
    while not _gone(pid) and time.monotonic() < limit:
        time.sleep(0.1)
    return _gone(pid)


def _kill(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _run_killed_parent(body: str, tmp_path: Path) -> tuple[list[dict], bool, list[int]]:
    """Run ``body`` after a protocol stream is made as the QGIS children make it; the
    lines the stream carried, whether it ended within the limit, and the children's
    process ids (from its "forked" line)."""
    script = tmp_path / "parent.py"
    script.write_text(
        "import os, signal, sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from crime_mapper.core.common import forked\n"
        "from crime_mapper.core.common.child_lines import LineProtocol\n"
        "protocol = LineProtocol(os.fdopen(os.dup(sys.stdout.fileno()), 'w', encoding='utf-8'))\n"
        "sys.stdout.flush()\n"
        "os.dup2(sys.stderr.fileno(), sys.stdout.fileno())\n" + textwrap.dedent(body),
        encoding="utf-8",
    )
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    assert proc.stdout is not None
    data = b""
    ended = False
    limit = time.monotonic() + HANG_LIMIT_S
    fd = proc.stdout.fileno()
    while time.monotonic() < limit:
        if select.select([fd], [], [], 1.0)[0]:
            block = os.read(fd, 1 << 16)
            if not block:
                ended = True
                break
            data += block
    proc.stdout.close()
    proc.wait()
    lines = [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]
    pids = [int(p) for e in lines if e.get("event") == "forked" for p in e["pids"]]
    return lines, ended, pids


def test_a_hung_forked_child_does_not_hold_the_protocol_stream_of_a_killed_parent(
    tmp_path: Path,
):
    lines, ended, pids = _run_killed_parent(
        """
        def hang(_call):
            while True:
                signal.pause()

        child = forked.ForkedCall(hang)
        protocol.send("forked", pids=[child.pid])
        os.kill(os.getpid(), signal.SIGKILL)
        """,
        tmp_path,
    )
    try:
        assert [e["event"] for e in lines] == ["forked"]
        assert ended, "the protocol stream stayed open after its process was killed"
    finally:
        _kill(pids)


def test_a_waiting_child_learns_its_killed_caller_is_gone_whatever_its_siblings_do(
    tmp_path: Path,
):
    """The first child waits for the word (hold); a second, forked after it, hangs. Once
    the caller is killed the first must take the closed pipe as a stop (and leave)."""
    lines, ended, pids = _run_killed_parent(
        """
        from crime_mapper.core.common.feedback import Cancelled

        def wait_for_word(call):
            call.hold()

        def hang(_call):
            while True:
                signal.pause()

        waiting = forked.ForkedCall(wait_for_word)
        assert os.read(waiting._outcome, 1) == b"H"  # (it waits in hold now)
        busy = forked.ForkedCall(hang)
        protocol.send("forked", pids=[waiting.pid, busy.pid])
        os.kill(os.getpid(), signal.SIGKILL)
        """,
        tmp_path,
    )
    try:
        assert ended and len(pids) == 2
        assert _gone_in_time(pids[0]), "the waiting child never learnt its caller had gone"
    finally:
        _kill(pids)


def test_a_child_forked_here_still_has_this_process_s_streams_it_uses(tmp_path: Path):
    """What the fix must not take: the child's own pipe, files opened before the fork that
    its work uses, and this process's protocol line sent after the child was forked."""
    data = tmp_path / "data.txt"
    data.write_text("kept", encoding="utf-8")
    lines, ended, _pids = _run_killed_parent(
        f"""
        handle = open({str(data)!r}, encoding="utf-8")
        child = forked.ForkedCall(lambda _call: handle.read())
        value = child.result()
        protocol.send("forked", pids=[], value=value)
        protocol.send("after")
        os.kill(os.getpid(), signal.SIGKILL)
        """,
        tmp_path,
    )
    assert ended
    assert lines == [{"event": "forked", "pids": [], "value": "kept"}, {"event": "after"}]


def test_a_number_given_back_and_opened_again_on_the_same_file_reaches_the_child(
    tmp_path: Path,
):
    """A staging folder held, then let go (webmap_staging.release: close_kept), then the
    same folder opened again under the same number (a moved map is the same folder): a
    child forked then has that descriptor as it is, not the null device."""
    from crime_mapper.core.common import forked

    folder = tmp_path / "map"
    folder.mkdir()
    (folder / "index.html").write_text("x", encoding="utf-8")
    fd = os.open(folder, os.O_RDONLY)
    forked.keep_from_children(fd)
    forked.close_kept(fd)
    again = os.open(folder, os.O_RDONLY)
    try:
        assert again == fd  # (the lowest free number: the same one)
        child = forked.ForkedCall(lambda _call: sorted(os.listdir(again)))
        assert child.result() == ["index.html"]
    finally:
        os.close(again)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl(PR_SET_PDEATHSIG)")
def test_a_busy_child_of_a_killed_caller_ends_with_it(tmp_path: Path):
    """A child still computing when its caller is killed (SIGKILL: nothing of the caller's
    runs) ends too, instead of running its work out for nobody."""
    lines, ended, pids = _run_killed_parent(
        """
        def busy(_call):
            while True:
                sum(range(10_000))

        child = forked.ForkedCall(busy)
        protocol.send("forked", pids=[child.pid])
        os.kill(os.getpid(), signal.SIGKILL)
        """,
        tmp_path,
    )
    try:
        assert ended and len(pids) == 1
        assert _gone_in_time(pids[0]), "the busy child outlived its killed caller"
    finally:
        _kill(pids)


def test_a_child_forked_by_a_worker_thread_outlives_that_thread():
    """The kernel's parent-death signal follows the forking thread, not the process: a
    child forked by a thread that has ended since must still give its answer."""
    import threading

    from crime_mapper.core.common import forked

    started: list[forked.ForkedCall[int]] = []
    ready_r, ready_w = os.pipe()

    def work(_call: object) -> int:
        os.write(ready_w, b"w")  # (working: whatever it asked of the kernel is in force)
        time.sleep(1.0)
        return 42

    def fork_then_end() -> None:  # (ends once the child works, long before its answer)
        started.append(forked.ForkedCall(work))
        assert os.read(ready_r, 1) == b"w"

    worker = threading.Thread(target=fork_then_end)
    worker.start()
    worker.join()
    os.close(ready_r)
    os.close(ready_w)
    assert started[0].result() == 42
