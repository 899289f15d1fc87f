"""The leak gate's proofs for a little output text (checks._no_lowered_secret,
_no_lowered_reference, _no_squeezed_reference): a GeoPackage's few strings are no longer
looked up in lower-case and squeezed indexes of every raw value when no folded raw value can
be among them; the reports are exactly those of the lookups.

Each GeoPackage below is the clean release's with one leak planted in its own text (layer
identifier and description: a raw name or reference in another case, inside text, retyped
without punctuation) or none; every report is compared with the report the checks give with
the proofs switched off, and the planted leaks must fail the gate. The raw table, map points
and release are tests/test_leak_gate.py's (real police.uk rows, real anonymiser).
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from crime_mapper.core.gate import checks
from crime_mapper.core.gate.leak_gate import check_release
from tests import test_leak_gate as lg
from tests.test_leak_gate import NAMES

world = lg.world
clean_outputs = lg.clean_outputs
PROOFS = ("_no_lowered_secret", "_no_lowered_reference", "_no_squeezed_reference")


def _reference(world: dict) -> str:
    refs = world["raw"]["crime_id"].to_numpy()
    return str(refs[np.flatnonzero(refs != "")[0]])


def _variant(clean: Path, folder: Path, name: str, identifier: str, description: str) -> Path:
    path = folder / f"{name}.gpkg"
    shutil.copyfile(clean, path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "UPDATE gpkg_contents SET identifier = ?, description = ?", (identifier, description)
        )
    conn.close()
    return path


def _cases(world: dict) -> dict[str, tuple[str, str, bool]]:
    """name -> (identifier, description, whether the gate must fail)."""
    ref = _reference(world)  # LP/2022/... : letters, digits and punctuation
    squeezed = "".join(c for c in ref.upper() if c.isalnum())
    return {
        "clean": ("public_crimes", "crime_mapper public release", False),
        "name_lower": (NAMES[0].lower(), "crime_mapper public release", True),
        "name_upper_inside": ("public_crimes", f"ask {NAMES[1].upper()} about it", True),
        "name_exact_inside": ("public_crimes", f"ask {NAMES[2]} about it", True),
        "reference_lower": (ref.lower(), "crime_mapper public release", True),
        "reference_retyped": ("public_crimes", f"see {squeezed} for more", True),
        "reference_retyped_lower": ("public_crimes", f"see {squeezed.lower()} now", True),
        "near_miss": ("public_crimes", f"ask {NAMES[0][:-1]} about it", False),
        "non_ascii": ("public_crimes", f"ask {NAMES[3].upper()} é about it", True),
        "nul_free_long": ("x" * 40, "y " * 100, False),
    }


@pytest.fixture(scope="module")
def variants(world: dict, clean_outputs: dict, tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("small_proof")
    return {
        name: (_variant(clean_outputs["gpkg"], folder, name, ident, desc), fails)
        for name, (ident, desc, fails) in _cases(world).items()
    }


def _without_proofs(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROOFS:
        monkeypatch.setattr(checks, name, lambda ctx: False)


def test_reports_equal_the_lookups_on_every_planted_text(
    world: dict, variants: dict, monkeypatch: pytest.MonkeyPatch
):
    raw, points = world["raw"], world["points"]
    with_proofs = {n: check_release(raw, p, points).to_dict() for n, (p, _f) in variants.items()}
    for name, (_path, fails) in variants.items():
        assert with_proofs[name]["passed"] is not fails, name
    _without_proofs(monkeypatch)
    for name, (path, _fails) in variants.items():
        assert check_release(raw, path, points).to_dict() == with_proofs[name], name


def test_a_clean_geopackage_is_proven_without_the_indexes(world: dict, variants: dict):
    """The clean GeoPackage's text rules every lookup out, and no lower-case or squeezed
    index of the raw values is built for it."""
    from crime_mapper.core.gate.context import GateContext, PreparedGate
    from crime_mapper.core.gate.output_reader import read_output

    prep = PreparedGate(world["raw"], world["points"])
    _name, arts = read_output(variants["clean"][0])
    ctx = GateContext(prep, arts)
    assert all(getattr(checks, name)(ctx) for name in PROOFS)
    report = [fn(ctx) for _n, fn in checks.CHECKS]
    assert all(r.passed for r in report)
    for view in ("secret_lower_index", "secret_lower", "folded_reference_index", "squeezed_index"):
        assert view not in prep.__dict__, view


@pytest.mark.parametrize(
    "name, proof",
    [
        ("name_lower", "_no_lowered_secret"),
        ("name_upper_inside", "_no_lowered_secret"),
        ("reference_lower", "_no_lowered_reference"),
        ("reference_retyped", "_no_squeezed_reference"),
    ],
)
def test_each_proof_fails_where_its_leak_is(world: dict, variants: dict, name: str, proof: str):
    from crime_mapper.core.gate.context import GateContext, PreparedGate
    from crime_mapper.core.gate.output_reader import read_output

    prep = PreparedGate(world["raw"], world["points"])
    _name, arts = read_output(variants[name][0])
    assert not getattr(checks, proof)(GateContext(prep, arts))


def test_values_with_a_nul_are_not_proven():
    assert not checks._none_folded_in(["ab\x00cd", "x"], checks._lower, {b"zzzzzzzz"})
    assert checks._none_folded_in(["abcdefgh", "x"], checks._lower, {b"zzzzzzzz"})
    assert not checks._none_folded_in(["ABCDEFGH", "x"], checks._lower, {b"abcdefgh"})


def test_substrings_are_every_long_enough_slice():
    hay = b"abcdefghijk\x00lm"
    expected = {hay[i:j] for i in range(len(hay)) for j in range(i + 1, len(hay) + 1) if j - i >= 8}
    assert checks._substrings(hay) == expected
    assert checks._substrings(b"short") == set()
