"""The leak gate's text checks at national scale give the same findings as the simpler code
they replaced (kept here as the reference, or, for whole checks, the gate of an older
revision through tools/gate_differential.py): the free-text run search; the text patterns
run once per distinct segment of the output (scan.SegmentIndex) instead of per text;
planted leaks in a folder of templated pages, some written across HTML elements (so across
the newlines the reader joins text nodes with).

Each fast path is compared with its reference on random and hostile input, where the inputs
are built so that the interesting cases (shared prefixes, hash groups, runs at value edges,
NULs, non-ASCII, public runs) happen often.
"""

from __future__ import annotations

import hashlib
import random
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from crime_mapper.core.gate import scan
from crime_mapper.core.gate.checks import MAX_EXAMPLES, free_text_findings
from crime_mapper.core.gate.context import (
    FRAGMENT_WORDS,
    fold_words_bytes,
    fragments_of,
    short,
)
from crime_mapper.core.gate.leak_gate import check_release
from tests.support.gate_text import (
    HTML_PIECES,
    PAGE,
    SEGMENT_PATTERNS,
    planted,
    random_segmented_text,
)
from tests.support.leak_world import NAMES, expect_only, raw_row, refs


# --- free text: the reference is the old pattern search of the output's runs in the notes ----
def reference_free_text(
    texts: list[str], public: set[str], raw_text: bytes, spans: list[tuple[int, str]]
) -> list[str]:
    wanted: set[str] = set()
    for text in texts:
        if text.count(" ") >= FRAGMENT_WORDS - 1:
            wanted.update(fragments_of(text))
    wanted -= public
    if not wanted:
        return []
    patterns = scan.PatternSet(sorted(wanted), bounded=True)
    problems = []
    for i, pos in scan.find_substrings(raw_text, patterns, limit=MAX_EXAMPLES):
        column = spans[0][1] if spans else "?"
        for start, name in spans:
            if start <= pos:
                column = name
        problems.append(
            f"a run of words from raw column {column} appears: {short(patterns.values[i], 32)}"
        )
    return problems


WORDS = ["crime", "in", "the", "neighbourhood", "october", "2022", "12", "x", "Park", "of", "a1"]
ODD = ["\x00", "é", "Ünïcode", "—", "  ", "\t", "\n", "'", "<b>", "&amp;", "\ud800"]


def random_text(rng: random.Random, words: int) -> str:
    out = []
    for _ in range(words):
        out.append(rng.choice(WORDS) if rng.random() > 0.08 else rng.choice(ODD))
        out.append(" " if rng.random() > 0.1 else rng.choice([",", ". ", " - ", "\n", "  "]))
    return "".join(out)


def raw_free_text(columns: list[list[str]]) -> tuple[bytes, list[tuple[int, str]]]:
    """As PreparedGate.free_text folds the raw values (values of 6+ words, per column)."""
    parts, spans, offset = [], [], 0
    for n, values in enumerate(columns):
        long = [v for v in values if v.count(" ") >= FRAGMENT_WORDS - 1]
        if not long:
            continue
        chunk = fold_words_bytes("\x00".join(long))
        spans.append((offset, f"extra_notes_{n}"))
        parts.append(chunk)
        offset += len(chunk) + 1
    return b"\x00".join(parts), spans


@pytest.mark.parametrize("seed", range(60))
def test_free_text_runs_equal_the_pattern_search(seed: int):
    rng = random.Random(seed)
    columns = [[random_text(rng, rng.randint(1, 14)) for _ in range(rng.randint(1, 40))]]
    if rng.random() < 0.5:
        columns.append([random_text(rng, rng.randint(4, 10)) for _ in range(rng.randint(1, 9))])
    raw_text, spans = raw_free_text(columns)
    notes = [v for col in columns for v in col]
    texts = []
    for _ in range(rng.randint(1, 30)):
        text = random_text(rng, rng.randint(5, 30))
        if notes and rng.random() < 0.4:  # a note (or part of one) inside the page's text
            note = rng.choice(notes)
            cut = note[rng.randint(0, max(0, len(note) // 3)) :]
            text = text + rng.choice([" ", ": ", "\n"]) + cut + rng.choice(["", ". More"])
        texts.append(text)
    texts = [t for t in dict.fromkeys(texts) if t.count(" ") >= FRAGMENT_WORDS - 1]
    public: set[str] = set()
    for text in rng.sample(texts, k=min(len(texts), rng.randint(0, 3))):
        public.update(fragments_of(text)[:2])
    if len(raw_text) < scan.MIN_PATTERN_BYTES or not texts:
        return
    expected = reference_free_text(texts, public, raw_text, spans)
    assert free_text_findings(texts, public, raw_text, spans) == expected


def test_free_text_many_templated_pages_one_leak():
    """2,000 pages sharing their template's runs, notes that start like the template: the
    one page holding a note's run is found, with the reference's message."""
    hoods = [f"Hood {i} North" for i in range(2000)]
    texts = [
        f"Crime in {h}, October 2022. Neighbourhood summary for {h}: 12 crimes in the month "
        "compared with the force rate of 7 per 1,000 residents."
        for h in hoods
    ]
    notes = [
        f"Neighbour reported crime in the area of hood {i} north october 2022 suspect left"
        for i in range(3000)
    ]
    leak = "suspect climbed the garden wall behind the shops and left on foot"
    notes.append(f"Crime in Hood 5 North, October 2022. {leak}")
    texts[1432] += f" Officers said {leak}."
    raw_text, spans = raw_free_text([notes])
    expected = reference_free_text(texts, set(), raw_text, spans)
    assert expected and all("extra_notes_0" in p for p in expected)
    assert free_text_findings(texts, set(), raw_text, spans) == expected


def test_word_runs_are_the_python_runs():
    rng = random.Random(5)
    for _ in range(200):
        values = [random_text(rng, rng.randint(0, 12)) for _ in range(rng.randint(1, 6))]
        buf = fold_words_bytes("\x00".join(values))
        starts, ends, hashes = scan.word_runs(buf, 3)
        expected = []
        for piece_start, piece in _pieces(buf):
            words = piece.split(b" ")
            offsets = np.cumsum([0] + [len(w) + 1 for w in words])
            for i in range(len(words) - 2):
                if all(words[i : i + 3]):
                    s = piece_start + int(offsets[i])
                    expected.append((s, s + len(b" ".join(words[i : i + 3]))))
        assert list(zip(starts.tolist(), ends.tolist())) == expected
        runs = [buf[s:e] for s, e in zip(starts.tolist(), ends.tolist())]
        by_run: dict[bytes, set[int]] = {}
        for run, h in zip(runs, hashes.tolist()):
            by_run.setdefault(run, set()).add(h)
        assert all(len(h) == 1 for h in by_run.values())  # equal runs, equal hashes
        assert len(set(hashes.tolist())) == len(by_run)  # (no collision in this small set)


def _pieces(buf: bytes) -> list[tuple[int, bytes]]:
    out, pos = [], 0
    for piece in buf.split(b"\x00"):
        out.append((pos, piece))
        pos += len(piece) + 1
    return out


def test_word_runs_across_chunks(monkeypatch: pytest.MonkeyPatch):
    """Pieces of the buffer are cut at NULs: runs near a cut are all found, in order."""
    monkeypatch.setattr(scan, "_RUN_CHUNK", 64)
    rng = random.Random(9)
    values = [random_text(rng, rng.randint(0, 20)) for _ in range(300)]
    buf = fold_words_bytes("\x00".join(values))
    starts, ends, _ = scan.word_runs(buf, 6)
    monkeypatch.setattr(scan, "_RUN_CHUNK", 1 << 22)
    whole = scan.word_runs(buf, 6)
    assert starts.tolist() == whole[0].tolist() and ends.tolist() == whole[1].tolist()


# --- text patterns per distinct segment ----------------------------------------------------------
@pytest.mark.parametrize("seed", range(40))
def test_every_text_pattern_matches_the_same_per_segment(seed: int):
    """The cut (scan.SEGMENT_CUT) never splits a match and never changes one's lookarounds:
    each pattern's matches in a text are exactly its matches in the text's segments, in
    order (checked on texts made of the pieces those patterns are about)."""
    rng = random.Random(seed)
    texts = [random_segmented_text(rng) for _ in range(60)]
    index = scan.SegmentIndex()
    index.add(texts)
    for n, pattern in enumerate(SEGMENT_PATTERNS):

        def groups(segments: list[str], pattern: re.Pattern = pattern) -> list[list[str]]:
            out: list[list[str]] = [[] for _ in segments]
            for i, found in scan.matches_by_segment(segments, pattern).items():
                out[i] = [m.group() for m in found]
            return out

        for text in texts:
            got = [g for part in index.found(text, f"p{n}", groups) for g in part]
            assert got == [m.group() for m in pattern.finditer(text)], (pattern.pattern, text)


def test_segment_cut_follows_the_patterns_case_partners_on_every_code_point():
    """SEGMENT_CUT spells h, a and p in both cases instead of using re.IGNORECASE (faster):
    the characters it will not cut before must be exactly those the patterns' ignore-case
    classes take, over all of Unicode (a partner such as the Kelvin sign for k would be
    missed otherwise)."""
    ignore_case = re.compile(r"[hap\s\d()]", re.IGNORECASE)
    differ = [
        c
        for c in range(sys.maxunicode + 1)
        if bool(ignore_case.fullmatch(chr(c))) != (scan.SEGMENT_CUT.match("\n" + chr(c)) is None)
    ]
    assert differ == []
    assert scan.SEGMENT_CUT.split("a\nb\nHx\nPm\n3\n") == ["a", "b\nHx\nPm\n3", ""]


@pytest.mark.parametrize("seed", range(10))
def test_segment_index_answers_prepared_texts_as_unprepared_ones(seed: int):
    """prepare() notes the texts that find nothing, which found() then answers from a set:
    the answers are those of an index asked text by text without prepare, for every text
    (prepared ones, repeats, texts added later), and the texts noted are exactly the ones
    with nothing found."""
    rng = random.Random(seed)
    texts = [random_segmented_text(rng) for _ in range(80)]
    texts += texts[:10] + ["", "\n", "\n\n"]
    later = [random_segmented_text(rng) for _ in range(20)]
    for pattern in SEGMENT_PATTERNS:

        def groups(segments: list[str], pattern: re.Pattern = pattern) -> list[list[str]]:
            out: list[list[str]] = [[] for _ in segments]
            for i, found in scan.matches_by_segment(segments, pattern).items():
                out[i] = [m.group() for m in found]
            return out

        prepared, plain = scan.SegmentIndex(), scan.SegmentIndex()
        prepared.prepare("k", groups, iter(texts))  # (any iterable of texts)
        noted = set(prepared._nothing.get("k", set()))
        assert noted == {t for t in texts if not pattern.search(t)}, pattern.pattern
        for text in texts + later:
            assert prepared.found(text, "k", groups) == plain.found(text, "k", groups)


def test_segment_index_scans_each_distinct_segment_once():
    seen: list[str] = []

    def scan_fn(segments: list[str]) -> list[bool]:
        seen.extend(segments)
        return ["2022" in s for s in segments]

    index = scan.SegmentIndex()
    pages = [f"Crime in Hood {i}\nOctober 2022\n{i % 7} crimes" for i in range(500)]
    index.add(pages)
    assert all(index.found(p, "k", scan_fn) == [True] for p in pages)
    assert len(seen) == len(set(seen)) == 500 + 7  # "\n7 ..." is not cut: a digit follows
    late = "a text added later\nOctober 2022"
    assert index.found(late, "k", scan_fn) == [True]
    assert seen[-1] == "a text added later"


# --- planted leaks in templated pages, whole gate ------------------------------------------------


def test_templated_pages_pass(world: dict, pages_site: Path):
    report = check_release(world["raw"], pages_site, world["points"])
    assert report.passed, report.message()


@pytest.mark.parametrize(
    "extra, check, words",
    [
        ("<p>Seen at <b>1257</b> hrs</p>", "no_dates_finer_than_month", "'1257\\nhrs'"),
        ("<p>Around <span>9.30</span><span>pm</span></p>", "no_dates_finer_than_month", "pm"),
        ("<p>Reported 15/10/2022.</p>", "no_dates_finer_than_month", "15/10/2022"),
        ("<a title='2022-10-15T10:30'>x</a>", "no_dates_finer_than_month", "ISO date"),
        ("<p>Call <b>0116</b><b>496 0000</b></p>", "no_contact_details", "phone"),
        ("<p>Write to <i>pc.jones@example.org</i></p>", "no_contact_details", "e-mail"),
    ],
)
def test_leak_written_across_elements_in_one_page(
    world: dict,
    pages_site: Path,
    tmp_path: Path,
    extra: str,
    check: str,
    words: str,
):
    report = check_release(world["raw"], planted(pages_site, tmp_path, extra), world["points"])
    expect_only(report, check)
    assert "hood-217.html" in report.message() and words in report.message()


def test_raw_grid_pair_across_elements(world: dict, pages_site: Path, tmp_path: Path):
    row = raw_row(world)
    extra = f"<p>At <b>{row['source_x']:.0f}</b>, <b>{row['source_y']:.0f}</b></p>"
    report = check_release(world["raw"], planted(pages_site, tmp_path, extra), world["points"])
    expect_only(report, "no_raw_coordinates")
    assert "hood-217.html" in report.message()


def test_raw_timestamp_and_hashed_reference_in_a_page(
    world: dict,
    pages_site: Path,
    tmp_path: Path,
):
    row = raw_row(world)
    when = row["occurred_at"]
    stamp = when.strftime("%Y%m%d%H%M")
    digest = hashlib.sha256(str(row["crime_id"]).encode("utf-8")).hexdigest()
    extra = f"<p>Ref <code>{digest}</code></p><p>Logged <b>{stamp}</b></p>"
    report = check_release(world["raw"], planted(pages_site, tmp_path, extra), world["points"])
    expect_only(report, "no_dates_finer_than_month", "no_source_references")
    message = report.message()
    assert stamp in message and "unsalted sha256" in message


def test_free_text_run_in_one_of_many_pages(world: dict, pages_site: Path, tmp_path: Path):
    note = world["raw"]["extra_mo_notes"].iat[9]
    extra = f"<p>Officers said: <em>{note}</em>. Enquiries continue.</p>"
    report = check_release(world["raw"], planted(pages_site, tmp_path, extra), world["points"])
    expect_only(report, "no_non_public_values")
    assert "a run of words from raw column extra_mo_notes" in report.message()


# --- HTML: the plain-page fast path against html.parser ------------------------------------------
from crime_mapper.core.gate import output_reader  # noqa: E402


def _random_page(rng: random.Random) -> str:
    plain = [p for p in HTML_PIECES if output_reader._plain_html(p) is not None]
    pool = plain if rng.random() < 0.5 else HTML_PIECES
    return "".join(rng.choice(pool) for _ in range(rng.randint(0, 30)))


def _html_artifact(page: str, fast: bool) -> dict:
    art = output_reader.Artifact(name="p.html", kind="html")
    output_reader._read_html(art, page, "p.html", fast=fast)
    return {k: v for k, v in vars(art).items() if k not in ("lon", "lat")}


def test_plain_html_reads_as_html_parser_does():
    rng = random.Random(12)
    used = 0
    for _ in range(3000):
        page = _random_page(rng)
        fast = output_reader._plain_html(page)
        if fast is not None:
            used += 1
            assert fast[:5] == output_reader._parsed_html(page)[:5], page
        assert _html_artifact(page, True) == _html_artifact(page, False), page
    assert used > 1000  # the fast path is taken on most plain pages, not never


def test_plain_html_is_refused_where_it_could_differ():
    for page in [
        "<p>a < b</p>",
        "<!-- c --><p>x</p>",
        "<![CDATA[x]]>",
        "<script>if (a < b) {}</script>",
        "<script><!-- x --></script>",
        "<script>x</SCRIPT>",
        "<script/>",
        "<title><b>x</b></title>",
        "<textarea>x</textarea>",
        "<a href=a/b>x</a>",
        "<a title=a\u00a0b>x</a>",
        "<p >x</p >",
        "<script>x",
    ]:
        assert output_reader._plain_html(page) is None, page


def test_real_summaries_and_web_map_pages_take_the_fast_path(tmp_path: Path):
    """Pages rendered by our templates (a web map, 125 neighbourhood summaries and their
    index, from the sample release) are plain, and read exactly as html.parser reads them,
    their text as shown too: the fast path is what the gate runs on them, not a branch that
    never runs."""
    from crime_mapper.core.publish.webmap_export import WebmapOptions, export_webmap
    from tests.support.summaries_release import make_release, summaries_cli
    from tests.support.webmap_release import OCT

    export_webmap(WebmapOptions(inputs=[OCT], out_dir=tmp_path / "map"))
    release = make_release(tmp_path / "release")
    run = summaries_cli(release, release["csv"], tmp_path / "out")
    assert run.returncode == 0, run.stderr
    pages = sorted((tmp_path / "map").rglob("*.html"))
    pages += sorted((tmp_path / "out" / "neighbourhoods").glob("*.html"))
    assert len(pages) >= 127
    for path in pages:
        page = path.read_text(encoding="utf-8")
        fast = output_reader._plain_html(page)
        assert fast is not None, path
        assert fast[:5] == output_reader._parsed_html(page)[:5], path
        # (their text as shown, links in prose joined, read from the split, no 2nd parse)
        assert fast[5] == output_reader._shown_runs(page), path


# --- many-pattern search: the second key keeps the old hits, in the old order -------------------
def reference_find_substrings(haystack: bytes, patterns: scan.PatternSet, limit: int) -> list:
    """The old inner loop: every pattern sharing a window's first 8 bytes, compared in turn."""
    hits = []
    n = len(haystack)
    by_anchor: dict[bytes, list[int]] = {}
    for i in patterns.order.tolist():
        by_anchor.setdefault(patterns.pattern(i)[:8], []).append(i)
    for offset in range(n - 7):
        for i in by_anchor.get(haystack[offset : offset + 8], []):
            p = patterns.pattern(i)
            if not haystack.startswith(p, offset):
                continue
            if patterns.bounded[i]:
                before = haystack[offset - 1] if offset > 0 else 0x20
                after = haystack[offset + len(p)] if offset + len(p) < n else 0x20
                if scan._is_word(before) or scan._is_word(after):
                    continue
            hits.append((i, offset))
            if len(hits) >= limit:
                return hits
    return hits


@pytest.mark.parametrize("seed", range(25))
def test_find_substrings_with_second_key_equals_the_old_loop(seed: int, monkeypatch):
    rng = random.Random(seed)
    if seed % 2:
        monkeypatch.setattr(scan, "_PAIRS", rng.randint(1, 7))  # pairs tested in small batches
    stems = ["neighbour", "neighbourhood", "crime in the", "on or near", "abcdefgh"]
    values = []
    for _ in range(rng.randint(1, 300)):
        v = rng.choice(stems) + "".join(
            rng.choice(" abcdefgh0123") for _ in range(rng.randint(0, 12))
        )
        values.append(v)
    hay = " ".join(rng.choice(values + stems + ["x", "\x00", "é"]) for _ in range(400))
    bounded = [rng.random() < 0.5 for _ in values]
    patterns = scan.PatternSet(values, bounded=bounded)
    buf = hay.encode("utf-8")
    limit = rng.choice([1, 5, 50, 10**6])
    assert scan.find_substrings(buf, patterns, limit=limit) == reference_find_substrings(
        buf, patterns, limit
    )


# --- raw values inside the output's text: searched per distinct segment, then per text ---------
from crime_mapper.core.gate import checks as gate_checks  # noqa: E402


def _leaky_pages(world: dict, pages_site: Path, tmp_path: Path, kind: str) -> Path:
    ref = refs(world)[7]
    other = refs(world)[11]
    squeezed = "".join(ch for ch in ref.upper() if ch.isalnum())
    extra = {
        "reference": f"<p>Case <b>{ref}</b> closed.</p><p>See also {other}.</p>",
        "name": f"<p>Officer {NAMES[1]} attended.</p><p>With {NAMES[2].upper()}.</p>",
        "retyped": f"<p>Ref {squeezed.lower()} noted.</p>",
        "clean": "<p>Nothing to see.</p>",
    }[kind]
    site = planted(pages_site, tmp_path, extra)
    if kind != "clean":  # the same leak on a second page, earlier in the folder
        (site / "hood-105.html").write_text(
            PAGE.format(name="Hood 105", n=1, rate="0.1", extra=extra), encoding="utf-8"
        )
    return site


@pytest.mark.parametrize("kind", ["reference", "name", "retyped", "clean"])
def test_raw_values_in_text_found_per_segment_as_in_the_whole_haystack(
    world: dict,
    pages_site: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
):
    site = _leaky_pages(world, pages_site, tmp_path, kind)
    monkeypatch.setattr(gate_checks, "_DEDUPED_SEARCH_BYTES", 1 << 62)  # the whole haystack
    whole = check_release(world["raw"], site, world["points"]).to_dict()
    monkeypatch.setattr(gate_checks, "_DEDUPED_SEARCH_BYTES", 0)  # per segment
    segmented = check_release(world["raw"], site, world["points"]).to_dict()
    assert segmented == whole
    failed = {c["name"] for c in whole["checks"] if not c["passed"]}
    expected = {
        "reference": {"no_source_references"},
        "name": {"no_non_public_values"},
        "retyped": {"no_source_references"},
        "clean": set(),
    }[kind]
    assert failed == expected, whole


def test_free_text_large_output_keeps_only_runs_the_raw_text_has():
    """Over 65,536 output runs (the table of the raw hashes' top bits rules most out): the
    findings, their order and messages are the reference's, with the raw hashes given (as
    the release's preparation gives them) or computed; notes share the template's runs."""
    from crime_mapper.core.gate.checks import _runs_with_hashes
    from crime_mapper.core.gate.context import raw_run_hashes

    texts = [
        f"Crime in Hood {i} North, October 2022. Neighbourhood summary for Hood {i} North: "
        f"{i % 40} crimes in the month compared with the force rate of {i % 9} per 1,000 "
        "residents, and the most similar neighbourhoods in the force area."
        for i in range(5000)
    ]
    leaks = [
        "suspect climbed the garden wall behind the shops and left on foot",
        "victim heard a window break at the back of the house",
        "the caller gave a description of two men in dark clothing",
    ]
    notes = [
        f"Neighbour reported crime in Hood {i} North october 2022 near shops" for i in range(900)
    ]
    notes += [f"Crime in Hood {7 * k} North, October 2022. {leak}" for k, leak in enumerate(leaks)]
    for page, leak in zip((4999, 12, 2500), leaks):
        texts[page] += f" Officers said {leak}."
    raw_text, spans = raw_free_text([notes])
    expected = reference_free_text(texts, set(), raw_text, spans)
    assert len(expected) >= 3
    hashes = raw_run_hashes(raw_text)
    assert free_text_findings(texts, set(), raw_text, spans, hashes) == expected
    assert free_text_findings(texts, set(), raw_text, spans) == expected
    # the selection itself, against a plain membership test, past the table's size
    rng = np.random.default_rng(3)
    out = rng.integers(0, 2**63, 200_000, dtype=np.uint64) * np.uint64(2)
    raw = np.unique(np.concatenate([out[::97], rng.integers(0, 2**63, 50_000, dtype=np.uint64)]))
    want = np.flatnonzero(np.isin(out, raw))
    assert want.size > 2000 and np.array_equal(_runs_with_hashes(out, raw), want)
