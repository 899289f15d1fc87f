"""Watch the Qt event loop of the main thread, and say what held it up (bench u_dock_release).

Why: "the event loop is never blocked for more than 200 ms" needs two things a tick timer
alone cannot give on a shared two-core virtual machine: the blocks the machine makes by itself
(the main thread waiting for a processor while other programs run, or its virtual processor
not running at all) must be told apart from the blocks our code makes, and each long block
must name what the main thread was doing.

- A QTimer on the main thread records when each of its ticks is delivered (every
  ``tick_ms``); a gap between two ticks is a time the event loop did not turn.
- A sampler thread wakes every ``sample_ms`` and records the main thread's CPU time
  (``pthread_getcpuclockid``), its run-queue wait (``/proc/self/task/<tid>/schedstat``: time
  it was ready but no processor ran it) and the machine's stolen time (``/proc/stat``: the
  hypervisor ran someone else). While no tick has come for ``stack_after_ms``, it also takes
  the main thread's Python stack (``sys._current_frames``) and names where it is: in the
  plugin's code (the innermost ``crime_mapper`` frame), in QGIS's Python, in Qt's event
  processing with no Python running, or idle (sleeping between event-loop turns).
- For every gap of at least ``report_ms`` the report gives its length and how it splits:
  the main thread on a processor (``cpu_ms``: work), waiting in the run queue (``runq_ms``:
  the scheduler), the machine's stolen time over the gap (``steal_ms``, per processor), the
  rest (``waiting_ms``: neither running nor waiting for a processor: sleeping, waiting for
  a lock such as Python's interpreter lock, or the whole virtual machine paused), and the
  places the samples found. A gap is the plugin's (``ours``) when a sample found a
  ``crime_mapper`` frame on the main thread's stack.

Linux only (schedstat, /proc/stat); elsewhere the split is missing and only the gaps and the
stacks are reported. Measured in benchmarks only, never asserted in a test.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from collections import Counter
from typing import Any, Optional

PACKAGE_MARK = f"{os.sep}crime_mapper{os.sep}"
IDLE = "idle: between event-loop turns"
QT = "Qt/QGIS event processing (no Python frame)"


class EventLoopWatch:
    """Start it on the main thread, run the event loop, stop it, read :meth:`report`."""

    def __init__(
        self,
        tick_ms: int = 5,
        sample_ms: float = 5.0,
        stack_after_ms: float = 30.0,
        report_ms: float = 100.0,
        loop_file: Optional[str] = None,
    ) -> None:
        self.tick_ms = tick_ms
        self.sample_s = sample_ms / 1000.0
        self.stack_after_s = stack_after_ms / 1000.0
        self.report_ms = report_ms
        #: the file whose frames are the event loop itself (the bench's processEvents loop)
        self.loop_file = loop_file
        self.ticks: list[float] = []
        self.samples: list[tuple[float, float, float, float]] = []  # t, cpu, runq, steal (s)
        self.stacks: list[tuple[float, str]] = []  # t, where
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._timer: Any = None
        self._main = threading.main_thread()
        self._cpus = os.cpu_count() or 1

    # --- running ------------------------------------------------------------------------
    def start(self) -> None:
        from qgis.PyQt.QtCore import Qt, QTimer

        assert threading.current_thread() is self._main, "start the watch on the main thread"
        self._tid = threading.get_native_id()
        try:
            self._clock: Optional[int] = time.pthread_getcpuclockid(self._main.ident or 0)
        except (AttributeError, OSError):
            self._clock = None
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(self.tick_ms)
        self._timer.timeout.connect(self._tick)
        now = time.perf_counter()
        self.samples.append((now, self._cpu(), self._runq(), self._steal()))
        self.ticks.append(now)
        self._timer.start()
        self._thread = threading.Thread(target=self._sample, name="event-loop-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._timer.stop()
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        now = time.perf_counter()
        self.ticks.append(now)
        self.samples.append((now, self._cpu(), self._runq(), self._steal()))

    def _tick(self) -> None:
        self.ticks.append(time.perf_counter())

    def _sample(self) -> None:
        ident = self._main.ident
        while not self._stop.wait(self.sample_s):
            now = time.perf_counter()
            self.samples.append((now, self._cpu(), self._runq(), self._steal()))
            if now - self.ticks[-1] >= self.stack_after_s:
                frame = sys._current_frames().get(ident)  # noqa: SLF001 - the sampler's purpose
                if frame is not None:
                    self.stacks.append((now, self.where(traceback.extract_stack(frame))))

    def _cpu(self) -> float:
        return time.clock_gettime(self._clock) if self._clock is not None else float("nan")

    def _runq(self) -> float:
        try:
            with open(f"/proc/self/task/{self._tid}/schedstat", encoding="ascii") as f:
                return int(f.read().split()[1]) / 1e9
        except (OSError, ValueError, IndexError):
            return float("nan")

    def _steal(self) -> float:
        """The machine's stolen time so far, per processor, in seconds."""
        try:
            with open("/proc/stat", encoding="ascii") as f:
                fields = f.readline().split()
            return int(fields[8]) / os.sysconf("SC_CLK_TCK") / self._cpus
        except (OSError, ValueError, IndexError):
            return float("nan")

    def where(self, stack: traceback.StackSummary) -> str:
        """Where the main thread is: its innermost plugin frame, else what it is doing."""
        ours = [f for f in stack if PACKAGE_MARK in f.filename]
        if ours:
            frame = ours[-1]
            name = frame.filename.split(PACKAGE_MARK, 1)[1]
            return f"crime_mapper/{name}:{frame.lineno} {frame.name}"
        inner = stack[-1] if stack else None
        if inner is None:
            return QT
        if self.loop_file and inner.filename == self.loop_file:
            return QT if "processEvents" in (inner.line or "") else IDLE
        if inner.filename == __file__:
            return "the watch's own tick"
        return f"{os.path.basename(inner.filename)}:{inner.lineno} {inner.name}"

    # --- the report ---------------------------------------------------------------------
    def gaps(self) -> list[tuple[float, float]]:
        """(start, end) of every gap between ticks, in perf_counter seconds."""
        return list(zip(self.ticks, self.ticks[1:]))

    def _at(self, when: float, column: int) -> Optional[float]:
        """A sampled counter at ``when``, interpolated between the samples either side."""
        import bisect

        i = bisect.bisect_right(self.samples, (when, float("inf")))
        if i == 0:
            return None
        t0, *before = self.samples[i - 1]
        if t0 == when or i >= len(self.samples):
            return before[column - 1] if t0 == when else None
        t1, *after = self.samples[i]
        a, b = before[column - 1], after[column - 1]
        return a + (b - a) * ((when - t0) / (t1 - t0))

    def block(self, start: float, end: float, origin: float) -> dict[str, Any]:
        """One gap, split into work, scheduler, stolen and waiting time, with its places."""

        def delta(column: int) -> Optional[float]:
            a, b = self._at(start, column), self._at(end, column)
            if a is None or b is None or a != a or b != b:  # nan: not measurable here
                return None
            return round((b - a) * 1000.0, 1)

        ms = (end - start) * 1000.0
        cpu, runq, steal = delta(1), delta(2), delta(3)
        places = Counter(w for t, w in self.stacks if start <= t <= end)
        waiting = None
        if cpu is not None and runq is not None:
            waiting = round(max(0.0, ms - min(ms, cpu + runq)), 1)
        return {
            "at_s": round(start - origin, 2),
            "ms": round(ms, 1),
            "cpu_ms": cpu,
            "runq_ms": runq,
            "steal_ms": steal,
            "waiting_ms": waiting,
            "ours": any(w.startswith("crime_mapper/") for w in places),
            "where": [f"{w} x{n}" for w, n in places.most_common(4)],
        }

    def report(self, origin: float) -> dict[str, Any]:
        """The watch's figures; block times are seconds after ``origin`` (perf_counter)."""
        spans = self.gaps()
        lengths = sorted((b - a) * 1000.0 for a, b in spans)
        if not lengths:
            return {"ticks": 0}
        long_ones = [self.block(a, b, origin) for a, b in spans if (b - a) * 1e3 >= self.report_ms]
        ours = [b for b in long_ones if b["ours"]]
        unsampled = [b for b in long_ones if not b["where"]]
        every = [self.block(a, b, origin) for a, b in spans if (b - a) * 1e3 >= 2 * self.tick_ms]
        cpu = [b["cpu_ms"] for b in every if b["cpu_ms"] is not None]
        return {
            "ticks": len(self.ticks),
            "max_block_ms": round(lengths[-1], 1),
            "p99_block_ms": round(lengths[int(0.99 * (len(lengths) - 1))], 1),
            # the most main-thread work between two event-loop turns, whatever ran
            "max_block_cpu_ms": max(cpu) if cpu else None,
            # the longest block during which the plugin's code was on the main thread
            "ours_max_block_ms": max((b["ms"] for b in ours), default=0.0),
            "ours_max_block_cpu_ms": max((b["cpu_ms"] or 0.0 for b in ours), default=0.0),
            # blocks no stack sample fell in (the sampler waited for a processor too): their
            # split still says whether the main thread worked or waited
            "unsampled_max_block_ms": max((b["ms"] for b in unsampled), default=0.0),
            "blocks": long_ones,
        }
