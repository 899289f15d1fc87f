"""The raw-value substring searches leave a web map's data-script bodies out of their first
search when no hit can be in them (checks._bodies_without_hits), with exactly the report of
searching them: raw references and non-public values planted in a data script's labels
(plain and escaped), in its head, across two literals (a value holding a '"') and among
its numbers (a value made only of the bytes JSON writes outside its strings) are found as
the search of every segment, and of the whole haystack, finds them.

The web map is the real export of tests/support/leak_world.py's release, gated against its raw
table; for some variants one raw cell is set to the hostile value the variant is about.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from crime_mapper.core.gate import checks
from crime_mapper.core.gate.leak_gate import check_release
from tests import test_gate_webmap_scale as webmap_scale
from tests.support.leak_world import NAMES, refs

webmap_export = webmap_scale.webmap_export

IDENTIFIER_REF = "CMREF2022X1"  # a reference that can be a script's data name
DIGITS_REF = "20221027063145"  # ...made of digits only
QUOTED_NAME = 'Zara","Quince'  # a non-public value holding a '"'
JSON_WORDS = "null,true,false"  # ...made only of what JSON writes outside its strings
ESCAPE_NAME = "Hannah\\nOkafor"  # ...holding a backslash and an n: a JSON escape as written
# the hostile raw cells (column, value), each set in one row of a copy of the raw table
CELLS = {
    "identifier": ("crime_id", IDENTIFIER_REF),
    "digits": ("crime_id", DIGITS_REF),
    "quoted": ("extra_victim_name", QUOTED_NAME),
    "words": ("extra_mo_notes", JSON_WORDS),
    "escape": ("extra_victim_name", ESCAPE_NAME),
}
REFS, NAME = {"no_source_references"}, {"no_non_public_values"}


def _raw(world: dict, cell: str) -> object:
    table = world["raw"]
    if cell:
        table = table.copy()
        column, value = CELLS[cell]
        table.loc[table.index[list(CELLS).index(cell)], column] = value
    return table


def _variants(world: dict) -> dict[str, tuple[str, str, str, set[str]]]:
    """(old, new) replacements in data/points.js, the hostile raw cell they need (CELLS),
    and the checks that fail."""
    ref = refs(world)[7]
    labels, counts = '"labels":["', '"entry_count":['
    return {
        "clean": (labels, labels, "", set()),
        "reference in a label": (labels, f'{labels}Case {ref} closed","', "", REFS),
        "reference escaped": (labels, f'{labels}\\u0041 {ref}","', "", REFS),
        "reference as the data name": (
            "window.CM_DATA",
            f"window.{IDENTIFIER_REF}",
            "identifier",
            REFS,
        ),
        "reference among the counts": (counts, f"{counts}{DIGITS_REF},", "digits", REFS),
        "name in capitals in a label": (labels, f'{labels}Seen {NAMES[1].upper()}","', "", NAME),
        "name escaped": (labels, f'{labels}\\u0041{NAMES[2]} here","', "", NAME),
        "name across two labels": (labels, f'{labels}Mrs Zara","Quince Lane","', "quoted", NAME),
        "name among the counts": (counts, f"{counts}{JSON_WORDS},", "words", NAME),
        # the value is in the literal as written only (its text holds a line break)
        "name as an escape written": (labels, f'{labels}{ESCAPE_NAME}","', "escape", NAME),
        # two references in labels, a third in the page: the first 5 hits of the search of
        # the texts with a hit (the body's among them) are all the labels'
        "references in labels and the page": (
            labels,
            f'{labels}Case {ref} and {refs(world)[9]}","',
            "",
            REFS,
        ),
    }


VARIANTS = [
    "clean",
    "reference in a label",
    "reference escaped",
    "reference as the data name",
    "reference among the counts",
    "name in capitals in a label",
    "name escaped",
    "name across two labels",
    "name among the counts",
    "name as an escape written",
    "references in labels and the page",
]


def _site(webmap_export: Path, tmp_path: Path, old: str, new: str) -> Path:
    site = tmp_path / "map"
    shutil.copytree(webmap_export, site)
    js = site / "data" / "points.js"
    text = js.read_text(encoding="utf-8")
    assert old in text
    js.write_text(text.replace(old, new, 1), encoding="utf-8")
    return site


@pytest.mark.parametrize("variant", VARIANTS)
def test_bodies_left_out_give_the_report_of_searching_them(
    world: dict,
    webmap_export: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    variant: str,
):
    """The searches run as on a large output (no little-text proof first), over the whole
    haystack, over every segment, and over every segment but the bodies'."""
    old, new, cell, fails = _variants(world)[variant]
    site = _site(webmap_export, tmp_path, old, new)
    if variant == "references in labels and the page":
        page = site / "index.html"
        text = page.read_text(encoding="utf-8")
        assert "</body>" in text
        page.write_text(
            text.replace("</body>", f"<p>{refs(world)[11]}</p></body>", 1), encoding="utf-8"
        )
    raw, points = _raw(world, cell), world["points"]
    monkeypatch.setattr(checks, "_PROOF_HAYSTACK_BYTES", 0)
    monkeypatch.setattr(checks, "_DEDUPED_SEARCH_BYTES", 1 << 62)  # the whole haystack
    whole = check_release(raw, site, points).to_dict()
    monkeypatch.setattr(checks, "_DEDUPED_SEARCH_BYTES", 0)  # per segment
    left_out = check_release(raw, site, points).to_dict()
    monkeypatch.setattr(checks, "_bodies_without_hits", lambda *_a: [])
    every_segment = check_release(raw, site, points).to_dict()
    assert left_out == every_segment == whole
    failed = {c["name"] for c in whole["checks"] if not c["passed"]}
    assert failed == fails, whole


def test_a_clean_export_leaves_its_bodies_out_of_both_searches(
    world: dict,
    webmap_export: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    """On the real export both searches (exact references, lower-case values) search every
    segment but the data-script bodies', once (the output taken as a large one, which the
    little-text proofs leave to the searches)."""
    searched: dict[str, bool] = {}
    flagged_segments = checks._flagged_segments

    def spy(segments, transform, search, ids):
        with_body = any(segments[i].startswith("window.CM_DATA") for i in ids.tolist())
        searched[transform.__name__] = with_body
        assert len(ids) > 100
        return flagged_segments(segments, transform, search, ids)

    monkeypatch.setattr(checks, "_DEDUPED_SEARCH_BYTES", 0)
    monkeypatch.setattr(checks, "_PROOF_HAYSTACK_BYTES", 0)
    monkeypatch.setattr(checks, "_flagged_segments", spy)
    report = check_release(world["raw"], webmap_export, world["points"])
    assert report.passed, report.message()
    # (the squeezed search reads every segment: squeezing takes the '"' out)
    assert searched == {"_same": False, "_lower": False, "squeeze_haystack": True}


def test_patterns_within_the_bytes_outside_strings_are_all_found():
    """_any_pattern_within against the pattern-by-pattern test, on patterns sharing and not
    sharing their anchors."""
    from crime_mapper.core.gate import scan

    rng = np.random.default_rng(5)
    pieces = ["1", "2", "e", "null", "true", ",", "[", " ", "x", "A", "é", '"', "0.5", "ab"]
    for _ in range(200):
        values = ["".join(rng.choice(pieces, size=rng.integers(3, 14))) for _ in range(30)]
        patterns = scan.PatternSet(values)
        allowed = np.zeros(256, dtype=bool)
        allowed[0x80:] = True
        allowed[np.frombuffer(checks._OUTSIDE_LITERALS, np.uint8)] = True
        expected = any(
            allowed[np.frombuffer(patterns.pattern(i), np.uint8)].all()
            for i in range(len(patterns))
        )
        assert checks._any_pattern_within(patterns, allowed) == expected, values
