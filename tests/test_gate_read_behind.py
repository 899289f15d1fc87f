"""A file read ahead for a later check runs nicer (leak_gate.read_ahead's ``behind``,
core.gate.file_beside.BEHIND_NICENESS), only where the machine has had room for that, and
the gate's report is the same whatever the child's priority.

Why it matters: a release's GeoPackage is checked after its CSV, so its child should take
what the gate's own process leaves (issue 15's national gate: 4.5-4.8 s against 5.2-5.4 s);
on a machine busy with other work a nicer child would get next to nothing and the gate
would wait for it, so there it keeps this process's priority.
"""

from __future__ import annotations

import os

import pandas as pd

from crime_mapper.core.common import cpu_share
from crime_mapper.core.common.cpu_share import CpuMark
from crime_mapper.core.gate.file_beside import BEHIND_NICENESS, MIN_BYTES, FileBeside
from crime_mapper.core.gate.gpkg_beside import GpkgBeside
from crime_mapper.core.gate.leak_gate import (
    BEHIND_PROCESSES,
    behind_niceness,
    check_release,
    prepare_gate,
    read_ahead,
)
from tests.support.forking import may_fork, no_children
from tests.support.written_outputs import planted_releases, write_gpkg


def _child_niceness(path, niceness: int) -> int:
    """The niceness the child of a FileBeside started with ``niceness`` runs at."""
    beside = FileBeside(path, path.name, False, lambda: os.nice(0), 60.0, niceness)
    assert beside.niceness == niceness
    answer = beside._answer()
    assert isinstance(answer, int), answer
    return answer


def test_the_child_runs_as_much_nicer_as_asked(tmp_path):
    """0 leaves the child at this process's priority; a step count makes it that much nicer
    (the system's limit, 19, at most); this process keeps its own."""
    path = tmp_path / "any.csv"
    path.write_text("x\n", encoding="utf-8")
    own = os.nice(0)
    assert _child_niceness(path, 0) == own
    assert _child_niceness(path, 3) == min(own + 3, 19)
    assert _child_niceness(path, BEHIND_NICENESS) == min(own + BEHIND_NICENESS, 19)
    assert os.nice(0) == own
    assert no_children()


def _quiet_mark() -> CpuMark:
    """A mark 100 s ago since which the rest of the machine did nothing (as far as a mark
    can say: the machine's busy time then is its busy time now)."""
    now = cpu_share.mark()
    return CpuMark(now.wall - 100.0, now.busy, now.own)


def _busy_mark() -> CpuMark:
    """A mark 10 s ago since which every core this process may use was busy with other
    work."""
    now = cpu_share.mark()
    cores = len(cpu_share.usable_cores()) or (os.cpu_count() or 1)
    busy = None if now.busy is None else now.busy - 10.0 * cores
    return CpuMark(now.wall - 10.0, busy, now.own)


def test_the_child_runs_nicer_only_with_room_for_it():
    """None, no mark, a mark too recent to say anything, or a busy machine since a mark:
    this process's priority. A quiet machine since every mark: BEHIND_NICENESS (where the
    machine's load can be read at all: elsewhere nothing is known, and the answer is 0)."""
    known = cpu_share.mark().busy is not None
    assert behind_niceness(None) == 0
    assert behind_niceness([]) == 0
    assert behind_niceness([None]) == 0
    assert behind_niceness([cpu_share.mark()]) == 0  # (under half a second: says nothing)
    assert behind_niceness([_busy_mark()]) == 0
    assert behind_niceness([_quiet_mark()]) == (BEHIND_NICENESS if known else 0)
    assert behind_niceness([_quiet_mark(), _busy_mark()]) == 0  # (every mark must agree)
    assert BEHIND_PROCESSES == 3  # (this process, the array views' child, the file's child)


def _large_release(world) -> pd.DataFrame:
    """The world's public release repeated into a GeoPackage large enough for read_ahead to
    read it in a child (file_beside.MIN_BYTES)."""
    public = world["public"]
    copies = 1
    while True:
        frame = pd.concat([public] * copies, ignore_index=True)
        if len(frame) * 220 >= MIN_BYTES or copies >= 400:  # (about 220 bytes a row)
            return frame
        copies *= 2


def test_a_release_read_behind_gives_the_same_report(world, tmp_path, monkeypatch):
    """read_ahead with a quiet machine behind it reads the GeoPackage in a nicer child; the
    report (verdicts, messages, examples) of the clean release and of one with a planted
    leak is the one a read here gives, and the child's read was used."""
    may_fork(monkeypatch)  # (threads an earlier test left idle: the guard has its own tests)
    large = _large_release(world)
    path, _written = write_gpkg(tmp_path / "large", large)
    assert path.stat().st_size >= MIN_BYTES
    known = cpu_share.mark().busy is not None
    want = check_release(world["raw"], path, world["points"]).to_dict()
    prepared = prepare_gate(world["raw"], world["points"])
    ahead = read_ahead(path, prepared, behind=[_quiet_mark()])
    assert isinstance(ahead, GpkgBeside)
    assert ahead.niceness == (BEHIND_NICENESS if known else 0)
    report = check_release(world["raw"], ahead, world["points"], prepared=prepared)
    assert ahead.from_child
    assert report.to_dict() == want
    assert report.passed, report.message()
    for label, public in planted_releases(world):
        if label == "clean":
            continue
        leaky, _ = write_gpkg(tmp_path / label, public)
        want = check_release(world["raw"], leaky, world["points"]).to_dict()
        ahead = GpkgBeside.start(leaky, min_bytes=0, niceness=BEHIND_NICENESS)
        assert ahead is not None and ahead.niceness == BEHIND_NICENESS
        report = check_release(world["raw"], ahead, world["points"])
        assert ahead.from_child, label
        assert report.to_dict() == want, label
        assert not report.passed, label
    assert no_children()


def test_without_behind_the_child_keeps_this_processs_priority(world, tmp_path, monkeypatch):
    """read_ahead as before (no ``behind``): the child runs as high as this process."""
    may_fork(monkeypatch)
    path, _written = write_gpkg(tmp_path, _large_release(world))
    ahead = read_ahead(path)
    assert isinstance(ahead, GpkgBeside)
    assert ahead.niceness == 0
    ahead.stop()
    assert no_children()
