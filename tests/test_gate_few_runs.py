"""The free-text check of an output with few word runs (a web map's page, script and licence
texts) looks the raw runs' hashes up among the output's as the raw free text is hashed
(checks._few_runs_shared), instead of sorting the raw runs' hashes: the same answer as
_texts_sharing_runs with the sorted hashes (whether it names any text), on hostile texts
with raw notes placed in them (and with a table so small every raw hash passes it), and the
same reports on the real web map export with raw notes planted in its data script; the
shortcut is taken on a clean export and on one with planted notes (no sorted raw hashes
made: the shared hashes it finds stand in for them) and not once the hashes exist or for
many runs.

Real data: tests/support/leak_world.py's raw extract, map points and release, and the web map
exported from them (the conftest fixture gated_webmap); hostile texts from
tests/support/gate_text.py (run_text).
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from crime_mapper.core.gate import checks
from crime_mapper.core.gate.context import GateContext, PreparedGate
from crime_mapper.core.gate.leak_gate import check_release
from crime_mapper.core.gate.output_reader import Artifact, read_output
from tests.support.gate_text import run_text
from tests.support.leak_world import expect_only
from tests.support.webmap_planted import planted_site

LABELS = '"labels":["'


def _texts(ctx: GateContext) -> dict[str, None]:
    """The texts the free-text check takes (as check_no_non_public_values gathers them)."""
    texts: dict[str, None] = {}
    for art in ctx.readable:
        for text in art.texts:
            if text.count(" ") >= checks.FRAGMENT_WORDS - 1:
                texts[text] = None
    for text in ctx.distinct_other_strings() or []:
        if text.count(" ") >= checks.FRAGMENT_WORDS - 1:
            texts[text] = None
    return texts


@pytest.mark.parametrize("bits", [checks._FEW_TABLE_BITS, 1])
@pytest.mark.parametrize("seed", range(4))
def test_few_runs_answer_as_the_sorted_raw_hashes(
    world: dict,
    gated_webmap: Path,
    monkeypatch: pytest.MonkeyPatch,
    seed: int,
    bits: int,
):
    """The web map's own artifacts and hostile ones, a raw note or part of one placed in a
    text or a string, or nowhere: the same answer as the direct path (with a 2-entry table
    every raw hash passes it and the exact lookup decides)."""
    monkeypatch.setattr(checks, "_FEW_TABLE_BITS", bits)
    rng = random.Random(seed)
    _name, site = read_output(gated_webmap)
    notes = [str(v) for v in world["raw"]["extra_mo_notes"].head(40)]
    answers = []
    for case in range(5):
        odd = []
        for i in range(6):
            art = Artifact(name=f"odd-{i}.html", kind="html")
            art.texts = [run_text(rng) for _ in range(rng.randint(0, 3))]
            art.strings = {run_text(rng) for _ in range(5)}
            odd.append(art)
        if case:
            words = rng.choice(notes).split()
            k = rng.randint(0, max(len(words) - 6, 0))
            part = " ".join(words[k : k + 5 + case])
            target = rng.choice(odd)
            if case % 2:
                target.texts = target.texts + [f"x\n{part.upper()}\ny"]
            else:
                target.strings = target.strings | {part}
        prep = PreparedGate(world["raw"], world["points"], None, [], 8)
        ctx = GateContext(prep, site + odd, [])
        for _n, fn in checks.CHECKS[:6]:
            fn(ctx)  # (builds the segment index, as the gate does)
        texts = _texts(ctx)
        fresh = PreparedGate(world["raw"], world["points"], None, [], 8)
        few = checks._few_runs_shared(GateContext(fresh, ctx.artifacts, []), texts, fresh)
        assert few is None  # (no segment index for that context: the direct path's)
        few = checks._few_runs_shared(ctx, texts, fresh)
        assert few is not None and "free_text_hashes" not in fresh.__dict__
        # exactly the output's run hashes that raw runs have, so the texts they name are
        # those the raw runs' sorted hashes name
        direct = np.concatenate(list(checks._output_run_hashes(ctx, texts)))
        assert np.array_equal(few, np.intersect1d(direct, fresh.free_text_hashes))
        want = checks._texts_sharing_runs(ctx, texts, fresh.free_text_hashes)
        assert want is not None and checks._texts_sharing_runs(ctx, texts, few) == want
        assert bool(few.size) is bool(want)
        assert checks._few_runs_shared(ctx, texts, fresh) is None  # (the hashes exist now)
        answers.append(bool(few.size))
    assert answers == [False, True, True, True, True]


def _planted(gated_webmap: Path, tmp_path: Path, world: dict, how: str) -> Path:
    note = str(world["raw"]["extra_mo_notes"].iat[4])
    words = note.split()
    text = {
        "whole": note,
        "six words": " ".join(words[1:7]),
        "upper case": note.upper(),
        "five words": " ".join(words[:5]),  # (too short for a run: not found)
        "clean": "",
    }[how]
    new = f'{LABELS}{text}","' if text else LABELS
    return planted_site(gated_webmap, tmp_path, LABELS, new)


@pytest.mark.parametrize("how", ["whole", "six words", "upper case", "five words", "clean"])
def test_planted_notes_give_the_direct_paths_report(
    world: dict,
    gated_webmap: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    how: str,
):
    site = _planted(gated_webmap, tmp_path, world, how)
    fresh = PreparedGate(world["raw"], world["points"], None, [], 8)
    report = check_release(world["raw"], site, world["points"], prepared=fresh)
    # (found or not, the raw runs' sorted hashes are not made: the shared ones stand in)
    assert "free_text_hashes" not in fresh.__dict__
    monkeypatch.setattr(checks, "_few_runs_shared", lambda *_a: None)
    direct = check_release(world["raw"], site, world["points"])
    assert report.to_dict() == direct.to_dict()
    if how in ("whole", "six words", "upper case"):
        expect_only(report, "no_non_public_values")
        assert "a run of words from raw column" in report.message()
    else:
        assert report.passed, report.message()


def test_many_runs_take_the_sorted_hashes(
    world: dict, gated_webmap: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(checks, "_FEW_OUTPUT_RUNS", 10)
    fresh = PreparedGate(world["raw"], world["points"], None, [], 8)
    report = check_release(world["raw"], gated_webmap, world["points"], prepared=fresh)
    assert report.passed and "free_text_hashes" in fresh.__dict__
