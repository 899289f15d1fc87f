"""Leaks planted in a copy of the test world's gated web map (its data script's labels,
head and counts) and the hostile raw cells some of them need: the variants the gate's
data-script tests (bodies left out of the search, the split between a child and this
process) are checked on."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.leak_world import NAMES, refs

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


def raw_with_cell(world: dict, cell: str) -> object:
    """The world's raw table, with the hostile ``cell`` (CELLS) set in one row of a copy."""
    table = world["raw"]
    if cell:
        table = table.copy()
        column, value = CELLS[cell]
        table.loc[table.index[list(CELLS).index(cell)], column] = value
    return table


def planted_variants(world: dict) -> dict[str, tuple[str, str, str, set[str]]]:
    """(old, new) replacements in data/points.js, the hostile raw cell they need (CELLS),
    and the checks that fail."""
    ref = refs(world)[7]
    # (numbers as JSON integers: in an array beside the page's, whose per-point arrays are
    # letters; core.common.letter_digits)
    labels, counts = '"labels":["', '"months":['
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
        "reference among the counts": (
            counts,
            f'"counts":[{DIGITS_REF},1,2,3,4],{counts}',
            "digits",
            REFS,
        ),
        "name in capitals in a label": (labels, f'{labels}Seen {NAMES[1].upper()}","', "", NAME),
        "name escaped": (labels, f'{labels}\\u0041{NAMES[2]} here","', "", NAME),
        "name across two labels": (labels, f'{labels}Mrs Zara","Quince Lane","', "quoted", NAME),
        "name among the counts": (
            counts,
            f'"counts":[{JSON_WORDS},1,2,3,4],{counts}',
            "words",
            NAME,
        ),
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


def planted_site(gated_webmap: Path, tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the export with ``old`` replaced by ``new`` once in data/points.js."""
    site = tmp_path / "map"
    shutil.copytree(gated_webmap, site)
    js = site / "data" / "points.js"
    text = js.read_text(encoding="utf-8")
    assert old in text
    js.write_text(text.replace(old, new, 1), encoding="utf-8")
    return site
