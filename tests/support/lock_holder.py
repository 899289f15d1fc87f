"""A separate process holding an output folder's run lock (core.common.run_lock), as a
running monthly release holds its month's, for the tests of the writers that must be refused
while it does.

Why a process of its own: the lock is an OS lock the holder's process owns, and a writer's
refusal is what another process sees; a lock taken in the test's own process would be a
different case (run_lock refuses this process's own lock too, but for another reason).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from tests.support.qgis_process import REPO, child_env

#: How the holder names its run, as a refused writer quotes it
RUN = "monthly release 2022-10"
#: A process that takes the run lock of argv[1] for the run named argv[2] and holds it until
#: its stdin closes
HOLDER_SCRIPT = """
import sys
from crime_mapper.core.common.run_lock import folder_run_lock
with folder_run_lock(sys.argv[1], sys.argv[2]):
    print("held", flush=True)
    sys.stdin.read()
"""


class Holder:
    """A separate process holding ``folder``'s run lock for the run named ``run`` from its
    start until :meth:`let_go` (or :meth:`stop`, which kills it if it is still running)."""

    def __init__(self, folder: Path, run: str = RUN) -> None:
        self.run = run
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER_SCRIPT, str(folder), run],
            cwd=REPO,
            env=child_env([REPO]),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline() == "held\n"

    @property
    def words(self) -> str:
        """How a refused run names this holder."""
        return f"{self.run}, process {self.process.pid} on host"

    def let_go(self) -> None:
        """End the holder as a run ends: its lock (and the lock file) go."""
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
        self.process.wait(timeout=60)

    def stop(self) -> None:
        """Kill the holder if it still runs (a test's clean-up)."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


@contextlib.contextmanager
def holding() -> Iterator[Callable[..., Holder]]:
    """``start(folder, run=RUN)``: a Holder of ``folder``'s lock, running; every holder it
    started is stopped as the block ends (a test's fixture)."""
    started: list[Holder] = []

    def start(folder: Path, run: str = RUN) -> Holder:
        started.append(Holder(folder, run))
        return started[-1]

    try:
        yield start
    finally:
        for holder in started:
            holder.stop()


def refusal_problem(message: str, folder: Path, holder: Holder, locked: Path) -> str:
    """What is wrong with ``message`` as the lock's refusal of a writer of ``folder``
    (the folder, the run holding ``locked``, no traceback); "" when nothing is."""
    if f"{folder} is being written by another crime_mapper run: {holder.words}" not in message:
        return f"not the lock's refusal of {folder} naming the holder: {message!r}"
    if locked != folder and f"(it is writing {locked})" not in message:
        return f"does not say the held folder {locked}: {message!r}"
    if "nothing was read or written" not in message or "Traceback" in message:
        return f"not the lock's words, or a traceback: {message!r}"
    return ""
