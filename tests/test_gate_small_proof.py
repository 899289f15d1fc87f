"""The leak gate's proofs for a little output text (checks._no_lowered_secret,
_no_lowered_reference, _no_squeezed_reference): a GeoPackage's few strings are no longer
looked up in lower-case and squeezed indexes of every raw value when no folded raw value can
be among them; the reports are exactly those of the lookups.

Each GeoPackage below is the clean release's with one leak planted in its own text (layer
identifier and description: a raw name or reference in another case, inside text, retyped
without punctuation) or none; every report is compared with the report the checks give with
the proofs switched off, and the planted leaks must fail the gate. The raw table, map points
and release are tests/support/leak_world.py's (real police.uk rows, real anonymiser).
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from crime_mapper.core.gate import checks
from crime_mapper.core.gate.leak_gate import check_release
from tests.support.leak_world import NAMES

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


def _direct_no_key(values, fold, hay, cells, is_key) -> bool:
    """The proof without the 8-byte heads: every folded value compared whole."""
    for v in values:
        key = fold(v.encode("utf-8", errors="surrogatepass"))
        if not is_key(key):
            continue
        if key in cells or (len(key) >= 8 and key in hay):
            return False
    return True


def test_no_key_in_equals_comparing_every_value():
    """On random short values and haystacks (case, NUL-free, 1 to 12 bytes, non-ASCII),
    the headed proof says exactly what comparing every folded value says."""
    rng = random.Random(15)
    pieces = ["a", "B", "é", " ", "ab", "CD", "\ud800", "abcdefgh", "ABCDEFGH"]

    def text(most: int) -> str:
        return "".join(rng.choice(pieces) for _ in range(rng.randint(1, most)))

    fold = checks._lower
    proven = 0
    for _ in range(3000):
        values = [text(6) for _ in range(rng.randint(1, 8))]
        hay = fold(text(16).encode("utf-8", errors="surrogatepass"))
        cells = {
            fold(text(4).encode("utf-8", errors="surrogatepass")) for _ in range(rng.randint(0, 3))
        }
        is_key = rng.choice([checks._any_key, lambda k: len(k) % 2 == 0])
        expected = _direct_no_key(values, fold, hay, cells, is_key)
        assert checks._no_key_in(values, fold, hay, cells, is_key) == expected, (values, hay, cells)
        proven += expected
    assert 300 < proven < 2700, proven  # (both answers are well exercised)


def test_values_with_a_nul_are_not_proven():
    fold = checks._lower
    assert not checks._no_key_in(["ab\x00cd", "x"], fold, b"zzzzzzzz", set(), checks._any_key)
    assert checks._no_key_in(["abcdefgh", "x"], fold, b"zzzzzzzz", set(), checks._any_key)
    assert not checks._no_key_in(["ABCDEFGH", "x"], fold, b"zzabcdefghzz", set(), checks._any_key)
    assert not checks._no_key_in(["XyZw", "x"], fold, b"", {b"xyzw"}, checks._any_key)
    assert checks._no_key_in(["XyZw", "x"], fold, b"", {b"xyzw"}, lambda k: False)
    assert checks._no_key_in([], fold, b"abcdefgh", {b"a"}, checks._any_key)


def test_the_public_style_is_proven_and_checked_exactly(
    world: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The public layer's style (QGIS writes it, 20 KB of categories): clean, it is proven
    without the lower-case index; with raw values planted in another case its report is the
    lookups' own."""
    from crime_mapper.qgis_bridge.run_anonymise import write_public_qml

    clean = tmp_path / "public.qml"
    write_public_qml(str(clean))
    text = clean.read_text(encoding="utf-8")
    ref = _reference(world)
    planted = {
        "clean": text,
        "name": text.replace('type="', f'note="seen by {NAMES[1].upper()} there" type="', 1),
        "attribute": text.replace('type="', f'note="{NAMES[0].lower()}" type="', 1),
        "reference": text.replace('type="', f'ref="{ref.lower()}" type="', 1),
    }
    raw, points = world["raw"], world["points"]
    paths = {}
    for name, body in planted.items():
        paths[name] = tmp_path / f"{name}.qml"
        paths[name].write_text(body, encoding="utf-8")
    with_proofs = {n: check_release(raw, p, points).to_dict() for n, p in paths.items()}
    assert with_proofs["clean"]["passed"]
    assert not any(with_proofs[n]["passed"] for n in ("name", "attribute", "reference"))
    _without_proofs(monkeypatch)
    for name, path in paths.items():
        assert check_release(raw, path, points).to_dict() == with_proofs[name], name


def test_a_key_the_index_leaves_out_does_not_stop_the_proof(
    world: dict, variants: dict, monkeypatch: pytest.MonkeyPatch
):
    """A raw name made public in another case (an extra public value) is no key of the
    lower-case index, so the GeoPackage naming it in lower case is proven clean, with the
    report the lookups give."""
    from crime_mapper.core.gate.context import GateContext, PreparedGate
    from crime_mapper.core.gate.output_reader import read_output

    raw, points = world["raw"], world["points"]
    path = variants["name_lower"][0]
    extra = {"extra_public_values": [NAMES[0].upper()]}
    prep = PreparedGate(raw, points, None, extra["extra_public_values"])
    _name, arts = read_output(path)
    assert checks._no_lowered_secret(GateContext(prep, arts))
    report = check_release(raw, path, points, **extra).to_dict()
    assert report["passed"]
    _without_proofs(monkeypatch)
    assert check_release(raw, path, points, **extra).to_dict() == report


def test_xml_comments_and_instructions_are_read(world: dict, tmp_path: Path):
    """A public style's comments and processing instructions are text a reader of the file
    sees (the XML parse drops them), and so is a document type declaration (identifiers,
    entities declared whether used or not): a raw name or reference in one, inside the root
    or before it, fails the gate, as does a declaration that cannot be read whole; the clean
    style, with an XML declaration or QGIS's own document type, passes."""
    from crime_mapper.qgis_bridge.run_anonymise import write_public_qml

    clean = tmp_path / "public.qml"
    write_public_qml(str(clean))
    text = clean.read_text(encoding="utf-8")
    doctype, body = text.split("\n", 1)  # QGIS's own, which the clean style passes with
    assert doctype == "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
    ref = _reference(world)
    bodies = {
        "declared": '<?xml version="1.0" encoding="UTF-8"?>\n' + text,
        "comment_inside": text.replace("<renderer-v2", f"<!-- {NAMES[0]} --><renderer-v2", 1),
        "comment_before": f"<!-- seen by {NAMES[1]} at the shop -->\n" + text,
        "instruction": text.replace("<renderer-v2", f"<?note {ref} ?><renderer-v2", 1),
        "entity_unused": f'<!DOCTYPE qgis [<!ENTITY who "{NAMES[2]}">]>\n' + body,
        "entity_quoted_bracket": f"<!DOCTYPE qgis [<!ENTITY w ']>'><!ENTITY r '{ref}'>]>\n" + body,
        "doctype_identifier": f'<!DOCTYPE qgis SYSTEM "{ref}.dtd">\n' + body,
        "doctype_unreadable": "<!DOCTYPE qgis [<!-- ] --> ]>\n" + body,
    }
    raw, points = world["raw"], world["points"]
    for name, written in bodies.items():
        path = tmp_path / f"{name}.qml"
        path.write_text(written, encoding="utf-8")
        report = check_release(raw, path, points)
        assert report.passed is (name == "declared"), (name, report.message())


# --- the proofs' folded keys, kept per preparation (checks._prepared_keys) -----------------
def test_folded_keys_made_once_serve_every_text_exactly():
    """Keys folded once and used for many haystacks and cells (as a release's GeoPackage
    and style share them) say exactly what comparing every folded value says."""
    rng = random.Random(16)
    pieces = ["a", "B", "é", " ", "ab", "CD", "\ud800", "abcdefgh", "ABCDEFGH", "x" * 9]

    def text(most: int) -> str:
        return "".join(rng.choice(pieces) for _ in range(rng.randint(1, most)))

    fold = checks._lower
    answers = set()
    for _ in range(200):
        values = [text(6) for _ in range(rng.randint(1, 30))]
        keys = checks._folded_keys(values, fold)
        for _ in range(10):
            hay = fold(text(16).encode("utf-8", errors="surrogatepass"))
            cells = {
                fold(text(4).encode("utf-8", errors="surrogatepass"))
                for _ in range(rng.randint(0, 3))
            }
            expected = _direct_no_key(values, fold, hay, cells, checks._any_key)
            assert checks._no_key_among(keys, fold, hay, cells, checks._any_key) == expected
            answers.add(expected)
    assert answers == {True, False}
    assert checks._folded_keys(["a\x00b"], fold).values is None  # (a NUL: nothing proven)


def test_a_release_proves_its_style_with_the_keys_of_its_geopackage(
    world: dict, variants: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """One preparation, as a release's gate: the GeoPackage takes or folds the raw values'
    keys, the style after it reuses them (no second fold), a planted style still fails, and
    every report equals a fresh preparation's."""
    from crime_mapper.core.gate.context import PreparedGate
    from crime_mapper.qgis_bridge.run_anonymise import write_public_qml

    raw, points = world["raw"], world["points"]
    clean = tmp_path / "public.qml"
    write_public_qml(str(clean))
    planted = tmp_path / "planted.qml"
    text = clean.read_text(encoding="utf-8")
    planted.write_text(
        text.replace('type="', f'note="seen by {NAMES[1].upper()}" type="', 1), encoding="utf-8"
    )
    folds: list[int] = []
    folded_keys = checks._folded_keys
    monkeypatch.setattr(
        checks, "_folded_keys", lambda v, f: folds.append(len(v)) or folded_keys(v, f)
    )
    prep = PreparedGate(raw, points)
    outputs = [variants["clean"][0], clean, planted, variants["name_lower"][0], clean]
    reports = [check_release(raw, p, points, prepared=prep).to_dict() for p in outputs]
    # the non-public values' and references' keys come with their views (lowered_heads: no
    # fold at all); the squeezed references are folded once, for the GeoPackage, not again
    assert folds == [len(prep._squeezed_list)]
    assert prep.lowered_heads("secrets") is not None
    assert prep.lowered_heads("references") is not None
    assert [r["passed"] for r in reports] == [True, True, False, False, True]
    for path, report in zip(outputs, reports):
        assert check_release(raw, path, points).to_dict() == report


def test_kept_keys_are_only_used_for_the_view_they_were_made_from(world: dict, variants: dict):
    """A preparation whose non-public values are another object than the one its keys were
    made from gets new keys: a value planted in the new view is found."""
    from crime_mapper.core.gate.context import GateContext, PreparedGate
    from crime_mapper.core.gate.output_reader import read_output

    prep = PreparedGate(world["raw"], world["points"])
    _name, arts = read_output(variants["clean"][0])
    assert checks._no_lowered_secret(GateContext(prep, arts))  # (keys made and kept)
    _name, arts = read_output(variants["clean"][0])
    identifier = next(t for t in arts[0].texts if t == "public_crimes")
    planted = [("extra_planted", [identifier.upper()])]
    prep.__dict__["secret_parts"] = list(prep.secret_parts) + planted
    prep.__dict__["public_lower"] = set(prep.public_lower)
    assert not checks._no_lowered_secret(GateContext(prep, arts))
