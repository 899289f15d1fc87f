"""How much of the machine's CPU other work has been using, so that a forked child is run at
a lower priority only where that orders this process's own work and starves nothing.

Why: the monthly release runs its web map's forked child nicer than itself so that the
summaries, which the release waits for, get the cores first (core.monthly.release
MAP_CHILD_NICENESS: 1-2 s of a national release on an idle two-core machine). On a machine
busy with other work at normal priority the niced child got next to nothing: with two
CPU-bound processes beside it on two cores the national release took 94-106 s against
55-58 s without the niceness, waiting 40-50 s for the map once the summaries were done. An
unprivileged process cannot raise a priority back, so the choice is made before the fork,
from what other processes have used since marks (the release's start, its publish step's).

Linux only (``/proc/stat``): elsewhere nothing is known, and the answer is "no room".
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

#: the rest of the machine counts as idle below this many cores' use on average (the
#: system's own daemons, a desktop: a few hundredths of a core)
QUIET_CORES = 0.5
#: a window shorter than this (seconds) says too little about the machine's load
MIN_WINDOW_S = 0.5
_STAT = "/proc/stat"


@dataclass(frozen=True)
class CpuMark:
    """The machine's and this process's CPU time at one moment."""

    wall: float  # time.monotonic()
    busy: Optional[float]  # CPU seconds the usable cores have spent busy; None: unknown
    own: float  # CPU seconds of this process and of its children waited for


def usable_cores() -> list[int]:
    """The CPUs this process may run on (its affinity), or none where that is unknown."""
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return []


def _busy_seconds(cores: list[int]) -> Optional[float]:
    """CPU seconds ``cores`` (all of them if none are given) have spent on anything but
    idling since boot, from /proc/stat; None where it cannot be read."""
    wanted = {f"cpu{c}" for c in cores}
    try:
        tick = os.sysconf("SC_CLK_TCK")
        with open(_STAT, encoding="ascii", errors="replace") as stat:
            lines = [line.split() for line in stat if line.startswith("cpu")]
    except (AttributeError, ValueError, OSError):
        return None
    rows = [f for f in lines if f[0] in wanted] if wanted else [f for f in lines if f[0] == "cpu"]
    if not rows or (wanted and len(rows) != len(wanted)):
        return None
    total = 0
    for fields in rows:
        try:
            # user nice system idle iowait irq softirq steal (guest time is within user)
            values = [int(v) for v in fields[1:9]]
        except ValueError:
            return None
        if len(values) < 4:
            return None
        total += sum(values) - values[3] - (values[4] if len(values) > 4 else 0)
    return total / tick if tick > 0 else None


def mark() -> CpuMark:
    """The machine's and this process's CPU time now."""
    times = os.times()
    own = times.user + times.system + times.children_user + times.children_system
    return CpuMark(time.monotonic(), _busy_seconds(usable_cores()), own)


def others_cores(since: CpuMark, now: Optional[CpuMark] = None) -> Optional[float]:
    """The cores that processes other than this one and its waited-for children used on
    average from ``since`` to ``now`` (a mark taken now if not given); None where unknown
    or the window is under MIN_WINDOW_S. A child still running is counted as other work
    (its time is this process's only once waited for): the answer errs towards busy."""
    now = now or mark()
    window = now.wall - since.wall
    if since.busy is None or now.busy is None or window <= 0 or window < MIN_WINDOW_S:
        return None
    return max(0.0, (now.busy - since.busy) - (now.own - since.own)) / window


def room_for_nicer(marks: Sequence[Optional[CpuMark]], processes: int) -> bool:
    """Whether a child run nicer from now would still get CPU beside this process's own
    ``processes`` (the child included): since each of ``marks`` (a run's start, its step's
    start: a long view and a recent one, so that work begun lately, such as a second
    release started a little after this one, counts in full), the rest of the machine has
    been all but idle (under QUIET_CORES cores on average) or has left at least
    ``processes`` usable cores free. A mark that says nothing (None, too recent) is left
    out; False where none says anything."""
    cores = len(usable_cores()) or (os.cpu_count() or 1)
    now = mark()  # (one reading of the machine for every view)
    known = [others_cores(m, now) for m in marks if m is not None]
    seen = [others for others in known if others is not None]
    return bool(seen) and all(o < QUIET_CORES or cores - o >= processes for o in seen)
