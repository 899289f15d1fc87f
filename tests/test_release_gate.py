"""One raw-side preparation per release (core.gate.leak_gate.ReleaseGate): every gate call of a
release shares it, whatever extras each call adds, and gets exactly the verdict and messages a
fresh preparation gives.

The raw table, map points and release are tests/support/leak_world.py's (a real force extract
built from the bundled police.uk rows, real anonymiser). Extras are chosen to reach every
derived view: extra public values that are raw non-public values (exactly, or in another
case), extra allowed coordinates that are (or are not) raw crime locations.
"""

from __future__ import annotations

import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.gate import scan
from crime_mapper.core.gate.context import PreparedGate
from crime_mapper.core.gate.leak_gate import (
    LeakError,
    ReleaseGate,
    check_release,
    same_points,
    same_table,
)
from tests.support.leak_world import NAMES, extras_cases, leaky_outputs


@pytest.fixture(scope="module")
def outputs(world: dict, clean_outputs: dict, tmp_path_factory: pytest.TempPathFactory) -> list:
    """Clean outputs and outputs with leaks the extras cases touch (leak_world)."""
    return leaky_outputs(world, clean_outputs, tmp_path_factory.mktemp("release_gate"))


def test_shared_preparation_gives_the_fresh_verdicts(world: dict, outputs: list):
    """Every output under every extras, through one ReleaseGate (in two orders), equals
    check_release with a preparation of its own: verdicts, details, examples."""
    raw, points = world["raw"], world["points"]
    extras = extras_cases(world)
    fresh = {
        (i, j): check_release(raw, out, points, **kw).to_dict()
        for i, out in enumerate(outputs)
        for j, kw in enumerate(extras)
    }
    assert any(not r["passed"] for r in fresh.values())
    assert any(r["passed"] for r in fresh.values())
    for order in (1, -1):
        gate = ReleaseGate(raw, points)
        pairs = [(i, j) for j in range(len(extras)) for i in range(len(outputs))][::order]
        for i, j in pairs:
            shared = check_release(raw, outputs[i], points, prepared=gate, **extras[j])
            assert shared.to_dict() == fresh[(i, j)], (i, j)
        assert len(gate._prepared) <= ReleaseGate.KEEP


def test_derived_views_equal_fresh_ones(world: dict):
    """The views a base-derived preparation computes from the base equal a fresh one's."""
    raw, points = world["raw"], world["points"]
    base = PreparedGate(raw, points)
    paths = []
    for kw in extras_cases(world):
        args = (
            kw.get("extra_allowed_coordinates"),
            kw.get("extra_public_values", ()),
            kw.get("min_catchment_addresses", 8),
        )
        new = PreparedGate(raw, points, *args)
        derived = PreparedGate(raw, points, *args, base=base)
        for name in (
            "allowed_keys",
            "raw_is_point",
            "raw_coordinate_keys",
            "raw_keys",
            "raw_metres",
            "grid_known",
        ):
            assert np.array_equal(getattr(derived, name), getattr(new, name)), name
        for a, b in zip(derived.raw_grid_keys, new.raw_grid_keys):
            assert np.array_equal(a, b)
        assert (derived.raw_projected is None) == (new.raw_projected is None)
        if new.raw_projected is not None:
            for a, b in zip(derived.raw_projected, new.raw_projected):
                assert np.array_equal(a, b)
        for name in ("public_strings", "public_lower", "public_fragments", "secret_set"):
            assert getattr(derived, name) == getattr(new, name), name
        assert [(c, sorted(v)) for c, v in derived.secret_parts] == [
            (c, sorted(v)) for c, v in new.secret_parts
        ]
        assert derived.secret_lower.keys() == new.secret_lower.keys()
        assert all(k == scan_lower(v) for k, v in derived.secret_lower.items())
        assert sorted(derived.secret_patterns.values) == sorted(new.secret_patterns.values)
        assert sorted(derived.secret_lower_patterns.values) == sorted(
            new.secret_lower_patterns.values
        )
        assert derived.secret_lower_lengths == new.secret_lower_lengths
        hay, spans = derived.free_text
        fresh_hay, fresh_spans = new.free_text
        assert sorted(hay.split(b"\x00")) == sorted(fresh_hay.split(b"\x00"))
        assert [c for _o, c in spans] == [c for _o, c in fresh_spans]
        assert derived.references is base.references  # borrowed, not rebuilt
        assert derived.reference_digests(64)[0] is base.reference_digests(64)[0]
        paths.append(
            (
                derived.secret_parts is base.secret_parts,
                derived.secret_lower is base.secret_lower,
                derived._same_points_as_base,
            )
        )
    # every derivation was taken: parts filtered, lower-case index filtered, raw
    # coordinates recomputed, and the plain borrowings
    assert paths[2][0] is False
    assert paths[3][:2] == (True, False)
    assert paths[6][2] is False
    assert paths[4] == (True, True, True) and paths[1] == (True, True, True)


def scan_lower(value: str) -> str:
    return value.translate(str.maketrans(string.ascii_uppercase, string.ascii_lowercase))


def test_the_base_is_computed_once(world: dict, clean_outputs: dict):
    """Outputs with different extras share the base's raw-side views (the same objects)."""
    gate = ReleaseGate(world["raw"], world["points"])
    gate.check(clean_outputs["csv"])
    gate.check(clean_outputs["folder"], extra_public_values=["Central Leicester"])
    hoods = gate.prepared(extra_public_values=["Central Leicester"])
    assert hoods is not gate.base and hoods._base is gate.base
    assert hoods.secret_parts is gate.base.secret_parts
    assert hoods.secret_lower is gate.base.secret_lower
    assert hoods.raw_coordinate_keys is gate.base.raw_coordinate_keys
    assert gate.prepared(extra_public_values=["Central Leicester"]) is hoods
    assert gate.prepared() is gate.base


def test_equal_inputs_are_served_and_others_refused(world: dict, clean_outputs: dict):
    """A stage that opened the same inputs again shares the release's preparation; a raw
    table or map points that differ in any cell (or only in a cell's type) are refused."""
    raw, points = world["raw"], world["points"]
    gate = ReleaseGate(raw, points)
    copy = raw.copy(deep=True)
    assert same_table(copy, raw) and gate.serves(copy, points)
    assert gate.check(clean_outputs["csv"]).passed
    report = check_release(copy, clean_outputs["csv"], points, prepared=gate)
    assert report.to_dict() == check_release(raw, clean_outputs["csv"], points).to_dict()
    changed = raw.copy(deep=True)
    changed.loc[changed.index[3], "extra_victim_name"] = "Someone Else Entirely"
    assert not same_table(changed, raw)
    with pytest.raises(ValueError):
        check_release(changed, clean_outputs["csv"], points, prepared=gate)
    typed = raw.copy(deep=True)
    typed["extra_flag"] = pd.Series([1] * len(raw), index=raw.index, dtype=object)
    flagged = typed.copy(deep=True)
    flagged.loc[flagged.index[0], "extra_flag"] = True  # == 1, but published as "True"
    assert not same_table(typed, flagged)
    assert not same_points(points, object())
    with pytest.raises(ValueError):
        PreparedGate(raw, points, base=PreparedGate(copy, points))
    with pytest.raises(ValueError):
        PreparedGate(raw, points, base=PreparedGate(raw, points, extra_public=["x"]))


def test_assert_safe_raises_on_a_leak(world: dict, outputs: list):
    gate = ReleaseGate(world["raw"], world["points"])
    with pytest.raises(LeakError):
        gate.assert_safe(outputs[3])
    assert gate.assert_safe(outputs[0]).passed


def test_an_empty_folder_fails_closed(world: dict, tmp_path: Path):
    """A folder holding no file "passed" every check with nothing checked: a check-release
    pointed at the wrong folder said the release was safe."""
    empty = tmp_path / "release"
    empty.mkdir()
    report = check_release(world["raw"], empty, world["points"])
    assert not report.passed and all(not c.passed for c in report.checks)
    assert "the folder holds no file to check" in report.message()
    (empty / "nested").mkdir()  # (folders without files are as empty)
    assert not check_release(world["raw"], empty, world["points"]).passed


def test_member_union_identity():
    """The derivations rest on member(k, A | B) == member(k, A) | member(k, B)."""
    rng = np.random.default_rng(5)
    a = np.unique(rng.integers(0, 500, 200))
    b = np.unique(rng.integers(0, 500, 50))
    k = rng.integers(0, 500, 1000)
    both = np.unique(np.concatenate([a, b]))
    assert np.array_equal(scan.member(k, both), scan.member(k, a) | scan.member(k, b))


def test_fixture_paths_exist(outputs: list):
    assert all(isinstance(o, pd.DataFrame) or Path(o).exists() for o in outputs)


def test_first_key_indexes_equal_the_dicts(world: dict):
    """The indexes a few lookups use (a GeoPackage's names and metadata) answer exactly as
    the dicts they stand for: membership, the first value of a key (raw values and
    references that fold to one key in another case or punctuation), and order."""
    raw = world["raw"].copy(deep=True)
    n = len(raw)
    ids = raw["crime_id"].astype(object).to_numpy().copy()
    ids[1] = str(ids[0]).lower()  # one lower-case key, two references
    ids[2] = str(ids[0]).replace("/", "-")  # one squeezed key, two references
    raw["crime_id"] = ids
    raw["extra_alias"] = pd.Series(
        [NAMES[i % 2].upper() if i % 3 else NAMES[i % 2] for i in range(n)],
        index=raw.index,
        dtype=object,
    )
    points = world["points"]
    for kw in ({}, {"extra_public": [NAMES[1].upper(), "Some Place"]}):
        fresh = PreparedGate(raw, points, **kw)
        reference = PreparedGate(raw, points, **kw)
        pairs = (
            (fresh.secret_lower_index, reference.secret_lower),
            (fresh.folded_reference_index, reference.folded_references),
            (fresh.squeezed_index, reference.squeezed_keys),
        )
        for index, full in pairs:
            keys = list(full)
            probes = keys[:40] + keys[-40:] + [k.upper() for k in keys[:10]] + ["no such key"]
            for key in probes:
                assert (key in index) == (key in full), key
                if key in full:
                    assert index[key] == full[key], key
            assert len(index) == len(full)
            assert list(index.as_dict.items()) == list(full.items())
        assert fresh.secret_lower_lengths == scan.ascii_lengths(list(reference.secret_lower))
        assert fresh.squeezed_lengths == scan.ascii_lengths(list(reference.squeezed_keys))
    assert "secret_lower" not in fresh.__dict__  # the index stood in for the dict


def test_few_public_texts_skip_the_notes_exactly(
    world: dict, outputs: list, monkeypatch: pytest.MonkeyPatch
):
    """A little output text whose every 6-word run is a public value's (a GeoPackage's
    layer description) skips folding the raw notes: the same reports as the full search."""
    from crime_mapper.core.gate import checks

    raw, points = world["raw"], world["points"]
    short_cut = [check_release(raw, out, points).to_dict() for out in outputs]
    monkeypatch.setattr(checks, "_FEW_TEXT_CHARS", -1)
    assert [check_release(raw, out, points).to_dict() for out in outputs] == short_cut


@pytest.mark.parametrize("geopackage", [False, True])
def test_a_warmed_up_gate_gives_the_fresh_verdicts(world: dict, outputs: list, geopackage: bool):
    """warm_up computes the raw side in a background thread; every later call (extras or
    not) waits for it and gives exactly a fresh preparation's report."""
    raw, points = world["raw"], world["points"]
    gate = ReleaseGate(raw, points)
    gate.warm_up(geopackage=geopackage)
    gate.warm_up()  # (a second call starts nothing)
    gate._wait()
    assert 64 in gate.base._digests
    assert ("secret_lower_index" in gate.base.__dict__) == geopackage
    assert ("squeezed_lengths" in gate.base.__dict__) == geopackage
    extras = extras_cases(world)
    for i, out in enumerate(outputs):
        for j in (0, 2, 6):
            fresh = check_release(raw, out, points, **extras[j]).to_dict()
            shared = check_release(raw, out, points, prepared=gate, **extras[j]).to_dict()
            assert shared == fresh, (i, j)
    assert gate._warming is not None and not gate._warming.is_alive()
    for view in ("secret_set", "references", "raw_coordinate_keys", "raw_grid_keys"):
        assert view in gate.base.__dict__, view


def test_a_view_failing_in_the_warm_up_fails_its_check_closed(world: dict, clean_outputs: dict):
    """A raw table the warm-up cannot prepare (no crime_id column) leaves the view to the
    check that needs it, which fails closed with the same message as without a warm-up."""
    raw = world["raw"].drop(columns=["crime_id"])
    points = world["points"]
    gate = ReleaseGate(raw, points)
    gate.warm_up()
    warmed = gate.check(clean_outputs["csv"]).to_dict()
    assert warmed == check_release(raw, clean_outputs["csv"], points).to_dict()
    failed = {c["name"]: c for c in warmed["checks"] if not c["passed"]}
    assert "no_source_references" in failed
    assert "crime_id" in failed["no_source_references"]["detail"]


def test_the_release_pipeline_warms_its_gate_up(world: dict, tmp_path: Path):
    """run_anonymise starts the raw side of the gate it is given before anonymising, and the
    release it writes (files and gate report) is the one a cold gate gives."""
    from crime_mapper.core.release.crimes_input import CrimesInput
    from crime_mapper.core.release.pipeline import run_anonymise

    raw, points = world["raw"], world["points"]
    releases = {}
    for warm in (True, False):
        gate = ReleaseGate(raw, points)
        if not warm:  # a gate whose warm-up is switched off: the views come at check time
            gate.warm_up = lambda **_kw: None  # type: ignore[method-assign]
        salt = tmp_path / "salt.txt"
        salt.write_text("7f3a9c21e84b5d06af19c2e7b3584d90\n")
        out = tmp_path / ("warm" if warm else "cold")
        outputs = run_anonymise(CrimesInput(raw, None), points, None, salt, out, gate=gate)
        assert (gate._warming is not None) == warm
        releases[warm] = {
            p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.suffix in (".csv", ".json")
        }
        assert outputs.gate_passed
    assert releases[True].keys() == releases[False].keys() and releases[True]
    for name in releases[True]:
        if name.endswith(".csv"):
            assert releases[True][name] == releases[False][name], name


def test_a_geopackage_is_read_while_its_lookups_are_prepared(world: dict, clean_outputs: dict):
    """A GeoPackage checked after another output (the base views done) still gets what its
    own few strings need computed while it is read, and the same report as a fresh gate.
    Its text rules every lower-case and squeezed lookup out (checks._proof_text), so those
    indexes of the raw values are not built at all (tests/test_gate_small_proof.py)."""
    raw, points = world["raw"], world["points"]
    gate = ReleaseGate(raw, points)
    gate.check(clean_outputs["csv"])
    assert "secret_lower_index" not in gate.base.__dict__
    report = gate.check(clean_outputs["gpkg"]).to_dict()
    assert report == check_release(raw, clean_outputs["gpkg"], points).to_dict()
    for view in ("reference_lengths", "_squeezed_list"):
        assert view in gate.base.__dict__, view
    for view in ("secret_lower_index", "squeezed_index", "folded_reference_index"):
        assert view not in gate.base.__dict__, view
