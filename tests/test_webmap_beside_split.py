"""The web map's leak gate split between two processes (core.publish.webmap_beside): the
checks the child runs and those run here, each with a preparation of its own, together
give exactly check_release's report of all of them (core.gate.leak_gate's ``checks``),
on a clean export and with raw references, non-public values, coordinates, dates and
contact details planted in it, and when the folder cannot be read.

The web map is the conftest fixture gated_webmap: the real export of
tests/support/leak_world.py's release, gated against its raw table; the planted variants
are tests/support/webmap_planted.py's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crime_mapper.core.gate.context import CHECK_NAMES, GateCheck
from crime_mapper.core.gate.leak_gate import GateReport, check_release
from crime_mapper.core.publish.webmap_beside import CHILD_CHECKS, merged_report, parent_checks
from tests.support.page_positions import page_data, page_positions, site_with_positions
from tests.support.webmap_planted import VARIANTS, planted_site, planted_variants, raw_with_cell

LABELS = '"labels":["'
MORE = {
    "a day in a label": (LABELS, f'{LABELS}Seen on 27/10/2022 at 14:05","', "", set()),
    "a phone number in a label": (LABELS, f'{LABELS}Call 07700 900123","', "", set()),
    "an e-mail address in a label": (LABELS, f'{LABELS}Ask jo.bloggs@example.org","', "", set()),
}


def _split(raw: object, site: Path, points: object) -> dict:
    there = check_release(raw, site, points, checks=CHILD_CHECKS)
    here = check_release(raw, site, points, checks=parent_checks())
    assert [c.name for c in there.checks] == [n for n in CHECK_NAMES if n in CHILD_CHECKS]
    assert [c.name for c in here.checks] == [n for n in CHECK_NAMES if n not in CHILD_CHECKS]
    return merged_report([here, there]).to_dict()


@pytest.mark.parametrize("variant", VARIANTS + list(MORE))
def test_the_two_halves_give_the_whole_gates_report(
    world: dict,
    gated_webmap: Path,
    tmp_path: Path,
    variant: str,
):
    old, new, cell, _ = {**planted_variants(world), **MORE}[variant]
    site = planted_site(gated_webmap, tmp_path, old, new)
    raw, points = raw_with_cell(world, cell), world["points"]
    whole = check_release(raw, site, points).to_dict()
    assert _split(raw, site, points) == whole
    assert whole["passed"] == (variant == "clean"), whole


def test_a_moved_point_fails_the_childs_half_as_the_whole(
    world: dict, gated_webmap: Path, tmp_path: Path
):
    """A raw crime's own coordinates written into the data (a check the child runs)."""
    raw = world["raw"]
    located = raw[raw["has_location"]]
    raw_pair = (round(located["longitude"].iloc[0], 6), round(located["latitude"].iloc[0], 6))
    positions = page_positions(page_data(gated_webmap))
    site = site_with_positions(gated_webmap, tmp_path, [raw_pair, *positions])
    whole = check_release(raw, site, world["points"]).to_dict()
    assert not whole["passed"]
    assert _split(raw, site, world["points"]) == whole


def test_a_folder_that_cannot_be_read_fails_both_halves_as_the_whole(world: dict, tmp_path: Path):
    missing = tmp_path / "gone" / "map"
    whole = check_release(world["raw"], missing, world["points"]).to_dict()
    assert not whole["passed"] and len(whole["checks"]) == len(CHECK_NAMES)
    assert _split(world["raw"], missing, world["points"]) == whole


def test_the_merged_report_needs_every_check_once():
    def report(names: list[str], passed: bool = True) -> GateReport:
        checks = [GateCheck(n, passed, "", []) for n in names]
        return GateReport(passed, checks, output="folder")

    parent, child = parent_checks(), list(CHILD_CHECKS)
    assert set(parent) | set(child) == set(CHECK_NAMES) and not set(parent) & set(child)
    merged = merged_report([report(parent), report(child, False)])
    assert [c.name for c in merged.checks] == list(CHECK_NAMES)
    assert not merged.passed and merged.output == "folder"
    assert merged_report([report(child), report(parent)]).passed
    for parts in ([report(parent)], [report(parent), report(child), report(child[:1])]):
        with pytest.raises(ValueError):
            merged_report(parts)
