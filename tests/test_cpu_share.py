"""core.common.cpu_share: how busy the rest of the machine has been, measured from the real
/proc/stat and real processes (a CPU-bound child is other work; a child waited for is this
process's own), and what the release's choice of the web map child's priority makes of it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crime_mapper.core.common import cpu_share
from crime_mapper.core.common.cpu_share import CpuMark, others_cores, room_for_nicer

pytestmark = pytest.mark.skipif(
    not Path("/proc/stat").is_file(), reason="the machine's CPU time is read from Linux's /proc"
)

_SPIN = "import time\nend = time.process_time() + float(__import__('sys').argv[1])\n" + (
    "while time.process_time() < end:\n    pass\n"
)


def test_others_use_is_the_machine_s_less_this_process_s():
    since = CpuMark(wall=100.0, busy=50.0, own=10.0)
    assert others_cores(since, CpuMark(wall=102.0, busy=54.0, own=12.0)) == pytest.approx(1.0)
    # this process's own time is never other work, even if the two counts disagree a little
    assert others_cores(since, CpuMark(wall=102.0, busy=51.0, own=12.0)) == 0.0


@pytest.mark.parametrize(
    "now",
    [
        CpuMark(wall=100.2, busy=51.0, own=10.0),  # a window too short to say anything
        CpuMark(wall=105.0, busy=None, own=10.0),  # the machine's time unknown
        CpuMark(wall=100.0, busy=51.0, own=10.0),  # no time at all between the two
    ],
)
def test_too_little_known_is_no_answer_and_no_room(now, monkeypatch):
    since = CpuMark(wall=100.0, busy=50.0, own=10.0)
    assert others_cores(since, now) is None
    monkeypatch.setattr(cpu_share, "MIN_WINDOW_S", 0.0)  # (no window at all is still none)
    if now.busy is not None and now.wall == since.wall:
        assert others_cores(since, now) is None
    monkeypatch.undo()
    assert room_for_nicer([None], 1) is False
    assert room_for_nicer([], 1) is False
    monkeypatch.setattr(cpu_share, "_STAT", "/proc/no-such-file")
    unknown = cpu_share.mark()
    assert unknown.busy is None
    assert room_for_nicer([unknown], 1) is False
    assert room_for_nicer([unknown, None], 1) is False


def test_a_busy_child_is_other_work_and_leaves_no_room():
    """A CPU-bound process beside this one (started here but not waited for: as any other
    work on the machine) shows as a core or so of others' use, and a child run nicer would
    not get the cores this process's work needs."""
    since = cpu_share.mark()
    assert since.busy is not None
    # a long view in which the machine was idle until now (a mark from long ago whose
    # counts are today's): it alone says quiet; the recent view says busy, and wins
    long_ago = CpuMark(since.wall - 1000.0, since.busy, since.own)
    hog = subprocess.Popen([sys.executable, "-c", _SPIN, "30"])
    try:
        time.sleep(1.5)
        others = others_cores(since)
        assert others is not None and others >= 0.5
        assert room_for_nicer([since], processes=10**6) is False
        assert room_for_nicer([long_ago], processes=10**6) is True
        assert room_for_nicer([long_ago, since], processes=10**6) is False
    finally:
        hog.kill()
        hog.wait()


def test_a_child_waited_for_is_this_process_s_own_time():
    """The CPU of a child this process has waited for counts as its own (os.times' children
    times), not as other work on the machine."""
    since = cpu_share.mark()
    subprocess.run([sys.executable, "-c", _SPIN, "0.6"], check=True)
    now = cpu_share.mark()
    assert now.own - since.own >= 0.5
    assert now.busy is not None and since.busy is not None
    assert now.busy - since.busy >= 0.5  # (the machine saw the same work)


def test_the_usable_cores_are_the_ones_counted():
    """Only the CPUs this process may run on are read; one /proc/stat does not list is no
    answer, not a guess."""
    cores = cpu_share.usable_cores()
    assert cores and cpu_share._busy_seconds(cores) is not None
    assert cpu_share._busy_seconds([max(cores) + 4096]) is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "cpu\n",
        "cpu  1 2 x 4\n",
        "cpu 1 2\n",
        "cpu  \x00 1 2 3 4\r5 6\n",
        "intr 1 2 3\n" + "cpu " + "9" * 5000 + "z\n",
    ],
)
def test_a_damaged_stat_file_is_no_answer(tmp_path, monkeypatch, text):
    stat = tmp_path / "stat"
    stat.write_bytes(text.encode("utf-8", errors="surrogatepass") + b"\xff\xfe\n")
    monkeypatch.setattr(cpu_share, "_STAT", str(stat))
    assert cpu_share._busy_seconds([]) is None
    assert cpu_share.mark().busy is None


def test_a_whole_stat_file_is_read_as_the_kernel_writes_it(tmp_path, monkeypatch):
    """The first four fields and the rest (iowait is idling too; steal, irq are busy)."""
    stat = tmp_path / "stat"
    stat.write_text(
        "cpu  100 20 30 4000 50 6 7 8 0 0\ncpu0 60 10 10 2000 25 3 3 4 0 0\n"
        "cpu1 40 10 20 2000 25 3 4 4 0 0\nintr 5 6\n",
        encoding="ascii",
    )
    monkeypatch.setattr(cpu_share, "_STAT", str(stat))
    tick = os.sysconf("SC_CLK_TCK")
    assert cpu_share._busy_seconds([]) == pytest.approx((100 + 20 + 30 + 6 + 7 + 8) / tick)
    assert cpu_share._busy_seconds([1]) == pytest.approx((40 + 10 + 20 + 3 + 4 + 4) / tick)
    assert cpu_share._busy_seconds([0, 1]) == pytest.approx((100 + 20 + 30 + 6 + 7 + 8) / tick)
