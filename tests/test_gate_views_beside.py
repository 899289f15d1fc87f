"""The raw side's array views computed by a forked child (issue 15; core.gate.views_beside,
leak_gate.read_ahead's ``prepared``) are the views this process computes, and the gate's
reports with them are the reports without them; a child that fails in any way (raises,
dies, hangs, answers with the wrong shape, computed other references) puts nothing in
that could change a verdict: the views are then made here, as without the child.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from crime_mapper.core.gate.context import PreparedGate
from crime_mapper.core.gate.leak_gate import _BESIDE, check_release, prepare_gate, read_ahead
from crime_mapper.core.gate.views_beside import ARRAY_VIEWS, ViewsBeside, compute_views
from tests.support.forking import no_children
from tests.support.written_outputs import planted_releases, release_files, write_gpkg


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return type(a) is type(b) and a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(map(_same, a, b))
    return a == b


def test_the_childs_views_are_the_ones_made_here(world):
    fresh = prepare_gate(world["raw"], world["points"])
    prepared = prepare_gate(world["raw"], world["points"])
    beside = ViewsBeside(prepared)
    beside.collect()
    assert beside.taken == list(ARRAY_VIEWS) + ["digests 64"]
    for name in ARRAY_VIEWS:
        assert _same(prepared.__dict__[name], getattr(fresh, name)), name
    assert _same(prepared._digests[64], fresh.reference_digests(64))
    assert no_children()


def test_reports_with_the_childs_views_are_the_reports(world, tmp_path):
    """Leaks planted in the real release, its CSV and GeoPackage checked as a process of
    its own checks them (read_ahead with the preparation): every report is the one a
    preparation made here gives."""
    for label, public in planted_releases(world):
        gpkg, written = write_gpkg(tmp_path / label, public)
        csv = tmp_path / label / "public.csv"
        public.to_csv(csv, index=False)
        fresh = prepare_gate(world["raw"], world["points"])
        want = [
            check_release(world["raw"], out, world["points"], prepared=fresh).to_dict()
            for out in (csv, gpkg)
        ]
        prepared = prepare_gate(world["raw"], world["points"])
        ahead = read_ahead(gpkg, prepared)
        assert prepared in _BESIDE
        got = [
            check_release(world["raw"], out, world["points"], prepared=prepared).to_dict()
            for out in (csv, ahead)
        ]
        assert prepared not in _BESIDE and "raw_grid_keys" in prepared.__dict__
        assert got == want, label
        assert got[0]["passed"] == got[1]["passed"] == (label == "clean"), label
    assert no_children()


def _raises(prepared):
    raise MemoryError("no room for the views")


def _dies(prepared):
    os._exit(3)


def _hangs(prepared):
    time.sleep(3600)


def _wrong_shape(prepared):
    views, digests, fingerprint = compute_views(prepared)
    views["raw_is_point"] = list(views["raw_is_point"])  # (a list, not an array)
    return views, digests, fingerprint


def _unknown_view(prepared):
    views, digests, fingerprint = compute_views(prepared)
    return {**views, "secret_set": np.zeros(1)}, digests, fingerprint


def _other_references(prepared):
    """Digests of other references: the fingerprint says so, and they are not taken."""
    views, _digests, _fingerprint = compute_views(prepared)
    other = PreparedGate(prepared.raw.iloc[::-1].reset_index(drop=True), prepared.points)
    return views, {64: other.reference_digests(64)}, b"not these references"


@pytest.mark.parametrize("child", [_raises, _dies, _hangs, _wrong_shape, _unknown_view])
def test_a_failing_child_puts_nothing_in(child, world, tmp_path):
    """Leaks planted: with a child that raises, dies, hangs past its deadline or answers
    with the wrong shape, nothing is put in, the views are made here and every report is
    the one without the child (the leaking releases refused)."""
    for label, public in planted_releases(world):
        csv = tmp_path / f"{label}.csv"
        public.to_csv(csv, index=False)
        want = check_release(world["raw"], csv, world["points"]).to_dict()
        prepared = prepare_gate(world["raw"], world["points"])
        started = time.monotonic()
        beside = ViewsBeside(prepared, deadline_s=2.0, compute=child)
        _BESIDE[prepared] = beside
        got = check_release(world["raw"], csv, world["points"], prepared=prepared).to_dict()
        assert beside.taken == []
        assert got == want, label
        assert got["passed"] == (label == "clean")
        assert time.monotonic() - started < 60  # (a hung child is killed, not waited for)
    assert no_children()


def test_digests_of_other_references_are_not_taken(world, tmp_path):
    prepared = prepare_gate(world["raw"], world["points"])
    beside = ViewsBeside(prepared, compute=_other_references)
    beside.collect()
    assert "digests 64" not in beside.taken and 64 not in prepared._digests
    assert "raw_grid_keys" in beside.taken
    assert no_children()


def test_a_view_that_fails_in_the_child_is_made_here(world):
    """A raw table without crime_id: references raise (in the child as here); the child's
    other views are taken, no digests, and the reference check fails closed here."""
    raw = world["raw"].drop(columns=["crime_id"])
    prepared = prepare_gate(raw, world["points"])
    beside = ViewsBeside(prepared)
    beside.collect()
    assert "digests 64" not in beside.taken and "raw_grid_keys" in beside.taken
    report = check_release(raw, world["public"], world["points"], prepared=prepared)
    refs = next(c for c in report.checks if c.name == "no_source_references")
    assert not refs.passed and "could not run" in refs.detail
    assert no_children()


def test_a_call_that_fails_ends_the_child(world):
    prepared = prepare_gate(world["raw"], world["points"])
    _BESIDE[prepared] = ViewsBeside(prepared, compute=_hangs)
    with pytest.raises(ValueError):
        check_release(world["raw"].iloc[:10], world["public"], world["points"], prepared=prepared)
    assert prepared not in _BESIDE
    assert no_children()


def test_check_release_beside_gives_the_same_report(release_inputs, tmp_path):
    """run_check_release as the command line runs it (``beside``: children forked) gives
    the report the gate gives in this process alone: on a release's folder, CSV and
    GeoPackage, and on its CSV with an exact date planted (refused both ways)."""
    from crime_mapper.core.release.pipeline import run_check_release
    from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE

    out = tmp_path / "release"
    release_files(release_inputs, out)
    csv = next(out.glob("*-street.csv"))
    leaky = tmp_path / "leaky.csv"
    lines = csv.read_bytes().decode("utf-8").split("\r\n")
    cells = lines[1].split(",")
    cells[1] = "2022-10-12"
    leaky.write_bytes("\r\n".join([lines[0], ",".join(cells)] + lines[2:]).encode("utf-8"))
    for output in (out, csv, next(out.glob("*-street.gpkg")), leaky):
        reports = [
            run_check_release(
                [FORCE_EXTRACT], release_inputs["points"], output,
                profile_path=FORCE_PROFILE, beside=beside,
            ).report.to_dict()
            for beside in (False, True)
        ]  # fmt: skip
        assert reports[0] == reports[1], output.name
        assert reports[1]["passed"] == (output != leaky), output.name
    assert no_children()
