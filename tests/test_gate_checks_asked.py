"""check_release's ``checks`` (core.gate.leak_gate: one output checked in two processes,
core.publish.webmap_beside): every check asked for runs and is reported, or the gate
refuses; a list naming no check, or a check that does not exist, is an error rather than
a gate that runs fewer checks (or none) and passes.

Real inputs: tests/support/leak_world.py's release, its raw table and map points, and the
web map exported from them (the conftest fixture gated_webmap).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crime_mapper.core.gate import leak_gate
from crime_mapper.core.gate.context import CHECK_NAMES
from crime_mapper.core.gate.leak_gate import check_release
from crime_mapper.core.publish.webmap_beside import CHILD_CHECKS


@pytest.mark.parametrize(
    "checks", [[], ["no_raw_coordinate"], [*CHILD_CHECKS, "no_such_check"]], ids=repr
)
def test_a_list_naming_no_check_or_an_unknown_one_is_refused(
    world: dict, gated_webmap: Path, checks: list[str]
):
    with pytest.raises(ValueError, match="checks must name"):
        check_release(world["raw"], gated_webmap, world["points"], checks=checks)


@pytest.mark.parametrize("asked", [None, CHILD_CHECKS], ids=["all", "some"])
def test_a_check_asked_for_that_did_not_run_fails_the_gate(
    world: dict, gated_webmap: Path, monkeypatch: pytest.MonkeyPatch, asked: object
):
    """A check left out of the table the gate runs (a slip in checks.CHECKS): the clean
    map, which passes, is refused, and the check is reported as not run."""
    passed = check_release(world["raw"], gated_webmap, world["points"], checks=asked)
    assert passed.passed
    missing = "no_raw_coordinates"
    monkeypatch.setattr(leak_gate, "CHECKS", tuple(c for c in leak_gate.CHECKS if c[0] != missing))
    report = check_release(world["raw"], gated_webmap, world["points"], checks=asked)
    wanted = [n for n in CHECK_NAMES if asked is None or n in asked]
    assert not report.passed
    assert sorted(c.name for c in report.checks) == sorted(wanted)
    assert [c.name for c in report.failed()] == [missing]
    assert "did not run" in report.failed()[0].detail
