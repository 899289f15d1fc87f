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

from pathlib import Path

import numpy as np
import pytest

from crime_mapper.core.gate import checks
from crime_mapper.core.gate.leak_gate import check_release
from tests.support.leak_world import refs
from tests.support.webmap_planted import (
    VARIANTS,
    planted_site,
    planted_variants,
    raw_with_cell,
)


@pytest.mark.parametrize("variant", VARIANTS)
def test_bodies_left_out_give_the_report_of_searching_them(
    world: dict,
    gated_webmap: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    variant: str,
):
    """The searches run as on a large output (no little-text proof first), over the whole
    haystack, over every segment, and over every segment but the bodies'."""
    old, new, cell, fails = planted_variants(world)[variant]
    site = planted_site(gated_webmap, tmp_path, old, new)
    if variant == "references in labels and the page":
        page = site / "index.html"
        text = page.read_text(encoding="utf-8")
        assert "</body>" in text
        page.write_text(
            text.replace("</body>", f"<p>{refs(world)[11]}</p></body>", 1), encoding="utf-8"
        )
    raw, points = raw_with_cell(world, cell), world["points"]
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
    gated_webmap: Path,
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
    report = check_release(world["raw"], gated_webmap, world["points"])
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
