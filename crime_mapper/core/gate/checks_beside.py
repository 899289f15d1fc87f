"""A folder's checks run in two processes: some in a child forked once the folder is read
(issue 13).

Why: once a national summaries folder (7,200 pages, the tidy CSV, the GeoPackage) is read,
its eight checks run one after another in this process, about half the gate's time, while
the second core is idle. The checks are independent functions of the same GateContext (the
output's artifacts and the raw-side preparation, both in memory), so a child forked then
shares all of it copy-on-write and runs CHILD_CHECKS while this process runs the others.
What both halves use, the output's texts split into distinct segments (checks'
segment index), is built here first, before the fork, so it is built once.

The report is exactly the one-process report: each check is the same function on the same
context, and each half's results are put back in CHECK_NAMES' order (tests compare the two
on planted leaks of every kind). Fail closed: if the child dies, is killed, raises, or
sends back anything but its checks' results (the right names, in order, well-formed), each
of its checks fails with a detail saying so; nothing it was given to check ever passes
unchecked. Only where the caller asks (check_release's ``read_beside``: a process of its
own, never a QGIS session), on outputs of MIN_ARTIFACTS files or more, with no other
Python thread running (core.common.forked.alone); else, or if the fork fails, every
check runs here as before.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Callable, Optional

from ..common import forked
from .context import GateCheck, GateContext

#: The checks the child runs (the rest run here). About even at national scale (a loaded
#: machine's thread CPU, the segment index built first: the reference and non-public value
#: checks some 2.6 + 3.0 s there, the coordinate, date, contact and location checks some
#: 1.7 + 1.7 + 1.3 + 0.4 + 0.2 s here).
CHILD_CHECKS: tuple[str, ...] = ("no_source_references", "no_non_public_values")
#: fewer files are checked faster than a child is forked and heard back from
MIN_ARTIFACTS = 400
#: seconds the child has, once this process's checks are done, to send its results back:
#: a child later than this (hung: a lock held at the fork, a stopped process) is killed and
#: its checks fail closed; the gate never waits for ever (national scale: some 6 s)
DEADLINE_S = forked.ANSWER_DEADLINE_S

CheckFn = Callable[[GateContext], GateCheck]


def run_check(ctx: GateContext, name: str, fn: CheckFn) -> GateCheck:
    """One check; any failure inside it fails it (closed)."""
    try:
        return fn(ctx)
    except Exception as exc:  # noqa: BLE001 - any failure inside a check fails it
        return GateCheck(
            name,
            False,
            f"the check could not run ({type(exc).__name__}: {exc}); failing closed",
            [],
        )


def run_checks(
    ctx: GateContext, chosen: list[tuple[str, CheckFn]], beside: bool = False
) -> list[GateCheck]:
    """Every check of ``chosen`` (name, function; in order) on ``ctx``, in that order;
    ``beside``: CHILD_CHECKS in a forked child where one can run (see the module)."""
    call = _start(ctx, chosen) if beside else None
    if call is None:
        return [run_check(ctx, name, fn) for name, fn in chosen]
    theirs = [name for name, _fn in chosen if name in CHILD_CHECKS]
    try:
        mine = {name: run_check(ctx, name, fn) for name, fn in chosen if name not in theirs}
        got = dict(zip(theirs, collect(call, theirs)))
    except BaseException:  # (cancelled or worse: the child, which only computes, ends now)
        _end(call)
        raise
    return [mine[name] if name in mine else got[name] for name, _fn in chosen]


def _start(ctx: GateContext, chosen: list[tuple[str, CheckFn]]) -> Optional[forked.ForkedCall[Any]]:
    """The child started on its checks, the segment index built first; None (all here)
    when it would not pay or cannot run."""
    theirs = [(name, fn) for name, fn in chosen if name in CHILD_CHECKS]
    if not theirs or len(theirs) == len(chosen) or len(ctx.readable) < MIN_ARTIFACTS:
        return None
    if not (forked.available() and forked.alone()):
        return None
    from .checks import segment_index

    try:
        segment_index(ctx)
    except Exception:  # noqa: BLE001, S110 - the checks build it again and fail closed
        pass
    try:
        return forked.ForkedCall(lambda _call: [run_check(ctx, n, fn) for n, fn in theirs])
    except OSError:  # (no fork: every check here, as before)
        return None


def collect(call: forked.ForkedCall[Any], names: list[str]) -> list[GateCheck]:
    """The child's results for ``names``; each fails closed if the child failed, did not
    answer within DEADLINE_S (it is then killed), or sent back anything else."""
    try:
        if not call.ready(DEADLINE_S):
            call.kill()
            return _failed(names, f"no answer within {DEADLINE_S:g} s: it was stopped")
        sent = call.result()
    except Exception as exc:  # noqa: BLE001 - the child failed: its checks fail closed
        return _failed(names, f"{type(exc).__name__}: {exc}")
    if not well_formed(sent, names):
        return _failed(names, "it sent back something other than these checks' results")
    return list(sent)


def well_formed(sent: Any, names: Collection[str]) -> bool:
    """Whether ``sent`` is a list of GateChecks named ``names``, in order, each field of
    its type."""
    return (
        isinstance(sent, list)
        and [getattr(c, "name", None) for c in sent] == list(names)
        and all(
            type(c) is GateCheck
            and type(c.passed) is bool
            and isinstance(c.detail, str)
            and isinstance(c.examples, list)
            and all(isinstance(e, str) for e in c.examples)
            for c in sent
        )
    )


def _end(call: forked.ForkedCall[Any]) -> None:
    """Kill the child (it writes nothing, holds nothing) and wait for it to leave; nothing
    if it has been reaped (its process id may be another process's by now)."""
    call.kill()


def _failed(names: list[str], why: str) -> list[GateCheck]:
    detail = f"the check ran in a child process that failed ({why}); failing closed"
    return [GateCheck(name, False, detail, []) for name in names]
