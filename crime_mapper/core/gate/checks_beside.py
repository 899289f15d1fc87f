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

A check made of two independent halves (checks.SPLIT_CHECKS) may be split too
(CHILD_PARTS): the child computes its last half's findings, this process its first half's,
and its report is made here from both, as the one-process check makes it. Why: whole checks
could not be shared evenly. The child's two checks took some 3.0 s of a national release's
summaries gate against 1.8 s here, this process then waiting for it, and neither could
move without the other (they share the output's haystack and lower-case keys); the
non-public check's free-text half (some 1.1 s) is independent of the rest.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Callable, Optional

from ..common import forked
from .checks import SPLIT_CHECKS, CheckParts
from .context import GateCheck, GateContext

#: The checks the child runs whole, and the split checks whose last half it computes (the
#: rest run here). About even at national scale (the segment index built first, a monthly
#: release's summaries gate): the reference check and the free-text half some 1.5 + 1.1 s
#: there; the coordinate, date, contact and location checks and the rest of the non-public
#: value check some 0.2 + 0.7 + 0.5 + 0.2 + 0.1 + 1.2 s here.
CHILD_CHECKS: tuple[str, ...] = ("no_source_references",)
CHILD_PARTS: tuple[str, ...] = ("no_non_public_values",)
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
    ``beside``: CHILD_CHECKS, and CHILD_PARTS' last halves, in a forked child where one can
    run (see the module)."""
    call = _start(ctx, chosen) if beside else None
    if call is None:
        return [run_check(ctx, name, fn) for name, fn in chosen]
    theirs = [name for name, _fn in chosen if name in CHILD_CHECKS]
    split = _split(chosen)
    try:
        mine: dict[str, GateCheck] = {}
        firsts: dict[str, tuple[bool, Any]] = {}
        for name, fn in chosen:
            if name in split:
                firsts[name] = run_part(ctx, SPLIT_CHECKS[name].first)
            elif name not in theirs:
                mine[name] = run_check(ctx, name, fn)
        got, lasts = collect_parts(call, theirs, split)
    except BaseException:  # (cancelled or worse: the child, which only computes, ends now)
        _end(call)
        raise
    for name in split:
        mine[name] = _joined_check(ctx, name, SPLIT_CHECKS[name], firsts[name], lasts[name])
    mine.update(zip(theirs, got))
    return [mine[name] for name, _fn in chosen]


def _split(chosen: list[tuple[str, CheckFn]]) -> list[str]:
    """The checks of ``chosen`` run in halves: those of CHILD_PARTS given as their own
    function (another function of that name is run whole, here)."""
    return [name for name, fn in chosen if name in CHILD_PARTS and fn is SPLIT_CHECKS[name].whole]


def run_part(ctx: GateContext, part: Callable[[GateContext], list[str]]) -> tuple[bool, Any]:
    """(True, a split check's half's findings), or (False, why it could not run)."""
    try:
        return True, part(ctx)
    except Exception as exc:  # noqa: BLE001 - any failure inside a part fails its check
        return False, f"{type(exc).__name__}: {exc}"


def _joined_check(
    ctx: GateContext, name: str, parts: CheckParts, first: tuple[bool, Any], last: tuple[bool, Any]
) -> GateCheck:
    """A split check's report from its halves, as run_check reports the whole check: the
    first half's failure if it failed (it runs first there), else the last half's."""
    for ok, value in (first, last):
        if not ok:
            return GateCheck(name, False, f"the check could not run ({value}); failing closed", [])
    return run_check(ctx, name, lambda c: parts.verdict(c, first[1] + last[1]))


def _start(ctx: GateContext, chosen: list[tuple[str, CheckFn]]) -> Optional[forked.ForkedCall[Any]]:
    """The child started on its checks and parts, the segment index built first; None (all
    here) when it would not pay or cannot run."""
    theirs = [(name, fn) for name, fn in chosen if name in CHILD_CHECKS]
    split = _split(chosen)
    here = [name for name, _fn in chosen if name not in CHILD_CHECKS]
    if not (theirs or split) or not here or len(ctx.readable) < MIN_ARTIFACTS:
        return None
    if not (forked.available() and forked.alone()):
        return None
    from .checks import segment_index

    try:
        segment_index(ctx)
    except Exception:  # noqa: BLE001, S110 - the checks build it again and fail closed
        pass

    def work(_call: Any) -> tuple[list[GateCheck], list[tuple[bool, Any]]]:
        whole = [run_check(ctx, n, fn) for n, fn in theirs]
        return whole, [run_part(ctx, SPLIT_CHECKS[n].last) for n in split]

    try:
        return forked.ForkedCall(work)
    except OSError:  # (no fork: every check here, as before)
        return None


def collect_parts(
    call: forked.ForkedCall[Any], names: list[str], split: list[str]
) -> tuple[list[GateCheck], dict[str, tuple[bool, Any]]]:
    """The child's results: its checks ``names`` and the last halves of the ``split``
    checks, by name; each fails closed if the child failed, did not answer within
    DEADLINE_S (it is then killed), or sent back anything else."""
    try:
        if not call.ready(DEADLINE_S):
            call.kill()
            return _failed_parts(names, split, f"no answer within {DEADLINE_S:g} s: it was stopped")
        sent = call.result()
    except Exception as exc:  # noqa: BLE001 - the child failed: its checks fail closed
        return _failed_parts(names, split, f"{type(exc).__name__}: {exc}")
    if not (
        isinstance(sent, tuple)
        and len(sent) == 2
        and well_formed(sent[0], names)
        and _parts_well_formed(sent[1], len(split))
    ):
        why = "it sent back something other than these checks' results"
        return _failed_parts(names, split, why)
    return list(sent[0]), dict(zip(split, sent[1]))


def _parts_well_formed(sent: Any, count: int) -> bool:
    """Whether ``sent`` is ``count`` halves as run_part gives them: (True, a list of
    strings) or (False, a string)."""
    return (
        isinstance(sent, list)
        and len(sent) == count
        and all(
            type(part) is tuple
            and len(part) == 2
            and type(part[0]) is bool
            and (
                isinstance(part[1], list) and all(type(f) is str for f in part[1])
                if part[0]
                else isinstance(part[1], str)
            )
            for part in sent
        )
    )


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


def _failed_parts(
    names: list[str], split: list[str], why: str
) -> tuple[list[GateCheck], dict[str, tuple[bool, Any]]]:
    """Every check the child had failed closed, and every half it had as not run: the
    split check then fails closed as well, saying the child failed."""
    half = f"its half ran in a child process that failed: {why}"
    return _failed(names, why), {name: (False, half) for name in split}
