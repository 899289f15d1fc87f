"""The web map made in a forked child process, its leak gate shared between the two.

Why (issue 12: the national map, gated against the raw crimes, in at most 5 s): the
export (read the 115 MB release, assign and aggregate, write: some 2.5 s CPU) and the
gate's raw-side views (some 4.3 s) are both mostly Python, so as two threads they take
turns on one lock; and the gate's checks of the finished folder (some 2.5 s) come after
both. Two processes do not share the lock: the child (core.common.forked) makes and
stages the folder, says where it is, and then runs the coordinate and contact checks on
it (CHILD_CHECKS, computing their coordinate views itself); meanwhile this process
computes the views its own checks need (PARENT_VIEWS: references, non-public values,
timestamps), then reads the staged folder and runs the rest. Both check the same
bytes with preparations of the same inputs, so the two reports together are exactly the
one check_release gives (its ``checks`` argument; tests/test_webmap_beside.py compares
them on planted leaks). Only this process moves the folder into place, once both halves
have passed.

Failure and cancel: until the child has said where the folder is staged, it owns it (a
failure or this process's stop removes it: core.common.forked); from then on this
process does, and removes it on any failure, refusal or cancel (the child, which only
reads it from then on, is stopped at once). The child's error is raised here as the
export made here would have raised it.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Callable, Optional

from ..common.feedback import Feedback

#: The checks the child runs on the folder it made (the rest run here). Chosen so that the
#: two processes' shares are about even nationally (loaded machine, CPU): the child's
#: export and these checks with their coordinate views (some 2.8 + 2.3 s) beside this
#: process's views of references, non-public values and timestamps and its checks (some
#: 3 + 2 s; with the date check in the child, 5.5 s there against 4.7 s here).
CHILD_CHECKS: tuple[str, ...] = (
    "coordinates_are_map_points",
    "no_raw_coordinates",
    "no_contact_details",
    "locations_are_anonymous",
)

#: The raw-side views the checks run here compute on a clean national folder
#: (tests/test_webmap_beside.py keeps this list true): warmed while the child works.
PARENT_VIEWS: tuple[str, ...] = (
    "public_strings",
    "secret_set",
    "references",
    "reference_set",
    "folded_reference_index",
    "reference_lengths",
    "reference_patterns",
    "_squeezed_list",
    "squeezed_keys",
    "squeezed_index",
    "squeezed_lengths",
    "squeezed_references",
    "public_lower",
    "secret_lower",
    "secret_lower_index",
    "secret_lower_lengths",
    "secret_lower_patterns",
    "public_fragments",
    "free_text",
    "timestamp_forms",
    "early_epoch_seconds",
    # last: the raw notes' sorted run hashes, made while this process would only wait for
    # the child's folder (some 0.6 s nationally), so the free-text check looks the output's
    # runs up among them instead of hashing the raw notes then, the last work of the export
    "free_text_hashes",
)

_POLL_S = 0.2  # how often this process checks its own cancel while the child works
_SAID = b"\0"  # ends the staged folder's path (a path holds no NUL)


def parent_checks() -> list[str]:
    """The checks run here: all those the child does not run."""
    from ..gate.context import CHECK_NAMES

    return [name for name in CHECK_NAMES if name not in CHILD_CHECKS]


def merged_report(parts: Sequence[Any]) -> Any:
    """The GateReport of all checks from reports of some each (every check once): in
    CHECK_NAMES' order, passed only when every check passed, of the same output."""
    from ..gate.context import CHECK_NAMES
    from ..gate.leak_gate import GateReport

    by_name = {check.name: check for part in parts for check in part.checks}
    if sorted(by_name) != sorted(CHECK_NAMES) or sum(len(p.checks) for p in parts) != len(
        CHECK_NAMES
    ):
        raise ValueError("the reports do not hold every check exactly once")
    checks = [by_name[name] for name in CHECK_NAMES]
    return GateReport(all(c.passed for c in checks), checks, output=parts[0].output)


class StagedBeside:
    """``stage(feedback)`` run in a forked child, which then says where the folder is
    staged and runs ``gate(folder)`` on it; see the module docstring. ``stage`` returns an
    object with a ``stage`` attribute (the staging folder), sent back with the gate's
    report by :meth:`result`."""

    def __init__(self, stage: Callable[[Feedback], Any], gate: Callable[[Path], Any]) -> None:
        from ..common.forked import ForkedCall

        where_r, where_w = os.pipe()

        def work(call: Any) -> tuple[Any, Any]:
            os.close(where_r)
            try:
                staged = stage(call.feedback())
                # (from here the folder is the caller's; the pipe closes once the gate is done)
                _write_all(where_w, os.fsencode(str(staged.stage)) + _SAID)
                report = gate(staged.stage)
            finally:
                # (closed before the outcome is sent, whatever happened: the caller waits
                # for this end to close before it reads the outcome, which may not fit the
                # outcome pipe's buffer, e.g. an error with a long message)
                os.close(where_w)
            return staged, report

        try:
            self._call = ForkedCall(work)
        except BaseException:
            os.close(where_r)
            os.close(where_w)
            raise
        os.close(where_w)
        self._where = where_r
        self._waited = False
        self._said = b""
        self.folder: Optional[Path] = None  # the staged folder, once the child has said

    @property
    def pid(self) -> int:
        """The child's process id."""
        return int(self._call.pid)

    def staged(self, feedback: Feedback) -> Path:
        """Wait for the child to stage the folder (checking this process's cancel, which
        stops it) and return where; the child's error, if it failed first."""
        while self.folder is None:
            if not self._heard(feedback):  # (it failed, or was stopped, before: its error)
                self._call.result()
                raise RuntimeError("the child process ended without staging the web map")
        return self.folder

    def result(self, feedback: Feedback) -> tuple[Any, Any]:
        """(what ``stage`` returned, the child's gate report), once it has ended; this
        process's cancel meanwhile raises Cancelled (:meth:`stop` then ends the child)."""
        while self._heard(feedback):
            pass
        self._waited = True  # (ended from here on, whatever this raises)
        return self._call.result(feedback)

    def stop(self) -> None:
        """End the child (at once once the folder is staged: it only reads it from then)
        and remove the staged folder unless it was moved into place; nothing if done."""
        if self.folder is not None and not self._waited:
            # (once only: after the reap below, its id may be another process's)
            self._waited = True
            os.kill(self._call.pid, signal.SIGKILL)  # (not reaped: still its process id)
        self._call.stop()  # (waits for it to leave; nothing if it has been reaped)
        # (reaped now: a second stop must not kill its id, even if the drain below finds
        # that it said where just before it was stopped)
        self._waited = True
        while self._where >= 0:  # (it may have said where just before it was stopped)
            self._heard(None)
        if self.folder is not None and self.folder.exists():
            shutil.rmtree(self.folder, ignore_errors=True)

    def _heard(self, feedback: Optional[Feedback]) -> bool:
        """Read what the child says, waiting up to _POLL_S (then checking ``feedback``);
        False once its end is closed (gate done, or the child gone)."""
        if self._where < 0:
            return False
        if feedback is not None and not select.select([self._where], [], [], _POLL_S)[0]:
            feedback.check()
            return True
        block = os.read(self._where, 1 << 16)
        if not block:
            os.close(self._where)
            self._where = -1
            return False
        self._said += block
        if self.folder is None and _SAID in self._said:
            self.folder = Path(os.fsdecode(self._said[: self._said.index(_SAID)]))
        return True


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
