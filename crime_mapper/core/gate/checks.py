"""The leak-gate checks. Each takes the shared GateContext and returns a GateCheck; any
exception is turned into a failed check by leak_gate.check_release (fail closed).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from itertools import chain, compress
from typing import Callable, Optional
from weakref import WeakKeyDictionary

import numpy as np

from ..release import disclosure
from ..release.public_schema import PUBLIC_COLUMNS
from . import scan
from .context import (
    EXTRA_PREFIX,
    FRAGMENT_WORDS,
    HEX_LENGTHS,
    LOCATION_PREFIX,
    MAX_EXAMPLES,
    WHOLE_WORD_BELOW,
    GateCheck,
    GateContext,
    PreparedGate,
    _squeezed_key_eligible,
    ascii_lower,
    fold_words_bytes,
    fragments_of,
    lower_all,
    raw_run_hashes,
    short,
)
from .locate import Places, Sought, locate
from .output_reader import Artifact

_SEGMENT_INDEX: WeakKeyDictionary[GateContext, scan.SegmentIndex] = WeakKeyDictionary()
# an index some of whose texts were split while the output was read (begin_segment_index)
_BEGUN: WeakKeyDictionary[GateContext, scan.SegmentIndex] = WeakKeyDictionary()


def _segments(ctx: GateContext) -> scan.SegmentIndex:
    """The output's texts (every artifact's, as ctx._texts gives them) split into distinct
    segments once per output, shared by the text checks: a summaries folder repeats one
    template on 7,200 pages, so each pattern runs over a few MB instead of 80. (Which id a
    segment gets changes no finding: each scan's result is per segment, and a text's
    findings come back in its own segments' order.)"""
    index = _SEGMENT_INDEX.get(ctx)
    if index is None:
        index = _BEGUN.pop(ctx, None) or scan.SegmentIndex()
        distinct = ctx.distinct_other_strings()  # (several artifacts: their joined strings')
        if distinct:
            index.prepare_joined(sorted(distinct))
        for art in ctx.readable:
            index.add_joined(ctx.joined_strings(art), ctx.other_strings(art))
            index.add(art.texts + art.code)  # (the texts split already are looked up)
        _SEGMENT_INDEX[ctx] = index
    return index


def begin_segment_index(ctx: GateContext, index: scan.SegmentIndex) -> None:
    """Take ``index`` as the start of ``ctx``'s segment index: texts of its artifacts split
    while the output was read (core.gate.folder_beside). :func:`_segments` adds every text
    it lacks."""
    if ctx not in _SEGMENT_INDEX:
        _BEGUN[ctx] = index


def segment_index(ctx: GateContext) -> scan.SegmentIndex:
    """The output's segment index (:func:`_segments`), built now if it is not yet: what
    checks run in two processes both use (core.gate.checks_beside builds it before the
    fork)."""
    return _segments(ctx)


def _present(keys: set[str], mapping: dict[str, str]) -> set[str]:
    """``keys.intersection(mapping)`` looked up from the keys' side. (set.intersection with a
    dict walks the whole dict: 650,000 raw values for each of 7,200 pages.)"""
    return {k for k in keys if k in mapping}


def _all_texts(ctx: GateContext) -> list[str]:
    return [t for art in ctx.readable for t in ctx._texts(art)]


# --- data scripts: megabytes of JSON numbers a number scan need not read ------------------------
# A web map's data script (``window.NAME = <JSON>;``, output_reader.Artifact.json_code) is,
# as written: its head, then JSON tokens: structural characters, whitespace, true/false/null,
# string literals and numbers, then whitespace and a ';'. The number scans here (whole
# metres, grid numbers, bare timestamps) match runs of digits, '.' and '-', also right after
# an axis (scan.AXIS_NUMBER: a lone E, N, X, Y, or the word Easting(s) or Northing(s), in a
# longer word too, or N, X, Y or a word glued to digits before it; a lone E after digits
# only in "N308062E457901" or, scan.GLUED_EASTING, "N308062.5E457901": after a lone N and
# digits either way), which no JSON token outside a string holds before a digit (the OS
# grid pattern starts with two capitals), and end at a '.' only when no digit follows it (a
# full stop: scan.WRITTEN_NUMBER_END), which a JSON number's '.' always has, or (a bare
# timestamp only: _BARE_NUMBER) an 8-digit date with a time joined by a '.', which in a
# JSON number is its whole part ("20221015.1430"), or a decimal with 9-14 digits before its
# '.', a whole number token whose whole part is the number found ("1666762680.123"), or
# a dotted date with its time glued on ("26.10.20220538", "2022.10.260538"), whose two
# '.' no number token holds (so it lies inside a string literal or the head, below); so
# every match in the body lies inside one token or the head: inside a string literal,
# exactly as in its unescaped text (in the artifact's texts) unless it holds an escape
# (then as written, in script_raw_parts, with the head); inside a number token without an
# exponent, that whole token or its whole part, the number found being the whole part of
# a value JSON gave (in numbers, lon and lat unless unlisted_numbers); a number with a
# signed exponent ("1e+451234") shows its
# exponent digits as a match, so a body with one is always scanned. So when no number of the
# script, no text of the artifact and no raw part can give a scan anything, the body cannot
# either, and is not scanned (its segments' results would all be empty): exact, and the
# megabytes of coordinates and counts are never visited by the pattern. (The map points'
# positions are a string literal of ASCII letters only, which output_reader takes as
# positions and not as a text: no number scan can match inside letters, so it too gives a
# scan nothing.)
_SIGNED_EXPONENT = re.compile(r"[eE][+-][0-9]")
_SCRIPT_VALUES: WeakKeyDictionary[GateContext, dict[int, Optional[np.ndarray]]] = (
    WeakKeyDictionary()
)


def _script_values(ctx: GateContext, art: Artifact) -> Optional[np.ndarray]:
    """Every number of the artifact's data script (float64), when the silence proofs above
    apply to it: one body, a data script, every number listed, no signed exponent."""
    cache = _SCRIPT_VALUES.setdefault(ctx, {})
    if id(art) not in cache:
        values = None
        if (
            len(art.json_code) == 1
            and len(art.code) == 1
            and art.code[0] is art.json_code[0]
            and not art.unlisted_numbers
            and art.script_raw_parts
            and _SIGNED_EXPONENT.search(art.code[0]) is None
        ):
            values = np.concatenate(
                [art.number_values()]
                + [np.asarray(a, dtype=np.float64).ravel() for a in art.lon + art.lat]
            )
        cache[id(art)] = values
    return cache[id(art)]


def _silent_scripts(
    ctx: GateContext,
    key: str,
    segment_scan: Callable[[list[str]], list],
    numbers_may_find: Callable[[np.ndarray], bool],
) -> set[int]:
    """Prepare scan ``key`` of the segment index over every text but the data-script
    bodies that provably give it nothing (see above), and return those bodies' ids.
    ``numbers_may_find(values)``: whether a number token of one of these values could give
    the scan something (False only when none can)."""
    index = _segments(ctx)
    texts = _all_texts(ctx)
    scripts = {id(art.code[0]): art for art in ctx.readable if _script_values(ctx, art) is not None}
    index.prepare(key, segment_scan, [t for t in texts if id(t) not in scripts])
    silent = set()
    for body_id, art in scripts.items():
        values = _script_values(ctx, art)
        if values is None or numbers_may_find(values):
            continue
        if index.any_found(art.texts, key, segment_scan):
            continue
        if any(map(scan._found_something, segment_scan(art.script_raw_parts))):
            continue
        silent.add(body_id)
    index.prepare(key, segment_scan, [t for t in texts if id(t) in scripts and id(t) not in silent])
    return silent


def _finite(values: np.ndarray) -> np.ndarray:
    return values[np.isfinite(values)]


_DEDUPED_SEARCH_BYTES = 1 << 20  # haystacks above this are searched segment by segment


# --- data-script bodies a substring search of raw values need not read ---------------------------
# A data script's body (see above) is its head, then JSON, then ';' and whitespace. Cut at
# every '"', it falls into runs that are each wholly inside one string literal as written,
# or wholly outside every literal: the first run (the head and what follows it up to the
# first literal), and runs after a literal, which a strict JSON text (the reader parsed it)
# makes of whitespace, structural characters, numbers and true/false/null/NaN/Infinity,
# then the tail (';' and white space). A blank literal (one the reader leaves out of the
# texts) holds spaces or non-ASCII white space (JSON strings hold no control character).
# So when no raw value holds a '"' and none is made only of _OUTSIDE_LITERALS and non-ASCII
# bytes (as the search's transform leaves them), a hit in the body lies in the first run or
# inside one literal: one with an escape is in script_raw_parts as written, one without is
# a text of the artifact, the same bytes between the same kinds of neighbours (a '"' there,
# a NUL or a newline here: none is a letter or digit, which is all a whole-word test asks).
# A body segment that is also such a text holds no '"', so no literal (JSON strings hold no
# newline), and is not the first run: it is made of those bytes only. Hence: no hit in the
# first run, in script_raw_parts, nor in every other segment means none in the body, and
# _search_output leaves the bodies' segments out of its first search (the megabytes of a
# web map's coordinates and counts); any hit there, and it searches them too, exactly as
# before.
_OUTSIDE_LITERALS = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f{}[],:;0123456789+-.eEtruefalsnNaInfinity"


def _bodies_without_hits(
    ctx: GateContext,
    transform: Callable[[bytes], bytes],
    search: Callable[[bytes, int], list[tuple[str, int]]],
    patterns: Callable[[], scan.PatternSet],
) -> list[str]:
    """The data-script bodies whose segments _search_output may leave out of its first
    search (see above): every data script of the output when the conditions hold for all,
    else none."""
    scripts = [
        art
        for art in ctx.readable
        if len(art.json_code) == 1
        and len(art.code) == 1
        and art.code[0] is art.json_code[0]
        and art.script_raw_parts
    ]
    if not scripts:
        return []
    firsts = [art.code[0].find('"') for art in scripts]
    if min(firsts) < 0:  # (a body without literals: all of it is the first run)
        return []
    outside = np.zeros(256, dtype=bool)
    outside[0x80:] = True
    outside[np.frombuffer(_OUTSIDE_LITERALS, np.uint8)] = True
    allowed = np.zeros(256, dtype=bool)
    allowed[np.frombuffer(transform(bytes(np.flatnonzero(outside).tolist())), np.uint8)] = True
    try:
        prepared = patterns()
        if b'"' in prepared.buffer or _any_pattern_within(prepared, allowed):
            return []
        raw_parts = [art.code[0][:first] for art, first in zip(scripts, firsts)]
        raw_parts += [part for art in scripts for part in art.script_raw_parts[1:]]
        if search(transform(scan.join_haystack(raw_parts)), 1):
            return []
    except Exception:  # noqa: BLE001 - the search itself meets it (and fails) as before
        return []
    return [art.code[0] for art in scripts]


def _any_pattern_within(patterns: scan.PatternSet, allowed: np.ndarray) -> bool:
    """Whether some pattern is made only of ``allowed`` bytes: its first 8 (its anchor) are
    looked at for all at once, the whole pattern only where they are."""
    anchors = patterns.unique_anchors
    if anchors.size == 0:
        return False
    heads = allowed[np.ascontiguousarray(anchors).view(np.uint8).reshape(-1, 8)].all(axis=1)
    if not heads.any():
        return False
    suspects = anchors[heads]
    lo = np.searchsorted(patterns.sorted_anchors, suspects, side="left")
    hi = np.searchsorted(patterns.sorted_anchors, suspects, side="right")
    for a, b in zip(lo.tolist(), hi.tolist()):
        for i in patterns.order[a:b].tolist():
            if allowed[np.frombuffer(patterns.pattern(i), np.uint8)].all():
                return True
    return False


def _search_output(
    ctx: GateContext,
    transform: Callable[[bytes], bytes],
    search: Callable[[bytes, int], list[tuple[str, int]]],
    limit: int,
    values: Callable[[], list[str]],
    patterns: Optional[Callable[[], scan.PatternSet]] = None,
) -> Optional[list[tuple[str, str]]]:
    """(value, artifact name) of the first ``limit`` hits of ``search`` (a many-pattern
    search of raw values) over ``transform(ctx.haystack)``, exactly as that search gives
    them, found without searching the whole haystack: each distinct segment of the output
    (_segments) is searched once, and only the texts holding a segment with a hit are then
    searched again, in the haystack's order. None (search the whole haystack) when the
    haystack is small or a value holds a NUL or a newline (a hit could then span texts or
    segments). Hits never cross a NUL or a newline otherwise, and the bytes either side of
    a segment (a newline or a NUL) and of a text (a NUL) read the same to a whole-word test.
    ``transform`` works byte by byte and keeps NUL and newline (lower, squeeze).
    ``patterns``: the PatternSet ``search`` looks for (its values as the transformed
    haystack shows them), when ``transform`` also keeps '"' and maps no other byte to it:
    the data-script bodies are then searched only when another segment has a hit
    (_bodies_without_hits)."""
    hay, _spans = ctx.haystack
    if len(hay) <= _DEDUPED_SEARCH_BYTES:
        return None
    listed = values()
    joined = "\x00".join(listed)
    if "\n" in joined or joined.count("\x00") != max(len(listed) - 1, 0):
        return None
    index = _segments(ctx)
    segments = index.segments
    left_out = np.zeros(len(segments), dtype=bool)
    if patterns is not None:
        for body in _bodies_without_hits(ctx, transform, search, patterns):
            left_out[index.ids(body)] = True
    flagged = _flagged_segments(segments, transform, search, np.flatnonzero(~left_out))
    if flagged.any() and left_out.any():  # (a hit: the bodies are searched too, as before)
        flagged = _flagged_segments(segments, transform, search, np.arange(len(segments)))
    if not flagged.any():
        return []
    chunks: list[bytes] = []
    names: list[tuple[int, str]] = []
    offset = 0
    for art in ctx.readable:
        kept = [t for t in ctx._texts(art) if flagged[index.ids(t)].any()]
        if not kept:
            continue
        chunk = transform(scan.join_haystack(kept))
        names.append((offset, art.name))
        chunks += [chunk, b"\x00"]
        offset += len(chunk) + 1
    out = []
    for value, pos in search(b"".join(chunks), limit):
        name = names[0][1] if names else ""
        for start, n in names:
            if start <= pos:
                name = n
        out.append((value, name))
    return out


def _flagged_segments(
    segments: list[str],
    transform: Callable[[bytes], bytes],
    search: Callable[[bytes, int], list[tuple[str, int]]],
    ids: np.ndarray,
) -> np.ndarray:
    """Which of ``segments`` (those of ``ids``, searched as one NUL-joined haystack) hold a
    hit of ``search``."""
    parts = [transform(segments[i].encode("utf-8", errors="surrogatepass")) for i in ids.tolist()]
    starts = np.zeros(len(parts), dtype=np.int64)
    if len(parts) > 1:
        starts[1:] = np.cumsum(np.fromiter(map(len, parts), np.int64, len(parts))[:-1] + 1)
    flagged = np.zeros(len(segments), dtype=bool)
    hits = search(b"\x00".join(parts), 1 << 62)
    if hits:
        at = np.fromiter((pos for _v, pos in hits), dtype=np.int64, count=len(hits))
        flagged[ids[np.searchsorted(starts, at, side="right") - 1]] = True
    return flagged


def _same(hay: bytes) -> bytes:
    return hay


def _lower(hay: bytes) -> bytes:
    return hay.lower()


# --- a little output text: proof that no raw value is in it, without the raw side's indexes -----
# A GeoPackage's own text (its layer identifier and description: some 100 bytes) and the
# public layer's style (20 KB) were looked up in lower-case and squeezed indexes of the
# 650,000 non-public values and 500,000 references of a national month, built for those
# lookups (about 1 s CPU each output). Every hit of those lookups and searches is a key (a
# raw value's folded form, less the keys the index leaves out) that equals an output cell
# or occurs in the folded haystack; so when no key can be one, nothing can be found, and the
# checks skip those steps. Otherwise they run them as before (the proofs only ever rule a
# finding out: tests/test_gate_small_proof.py). Each proof is one pass over the joined,
# folded raw values: their first 8 bytes are looked up among the haystack's 8-byte windows
# and the cells' heads (numpy), and only the few that pass are compared whole.
_PROOF_HAYSTACK_BYTES = 1 << 20  # (above this, _search_output's segment search is used)
_PROOF_COMPARE_BYTES = 1 << 26  # candidates x haystack bytes compared whole, at most
_HEAD_MASKS = np.array(
    [(1 << (8 * r)) - 1 for r in range(8)] + [(1 << 64) - 1], dtype=np.uint64
)  # the first r bytes of a little-endian uint64


def _heads(buf: bytes, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The first 8 bytes of each string of ``buf`` (at ``starts``, ``lengths`` long) as a
    little-endian uint64, bytes past the string's end taken as zero."""
    if starts.size == 0:
        return np.zeros(0, dtype=np.uint64)
    padded = buf + bytes(8)
    windows: np.ndarray = np.ndarray(
        shape=(len(buf) + 1,), dtype="<u8", buffer=padded, strides=(1,)
    )
    return windows[starts] & _HEAD_MASKS[np.minimum(lengths, 8)]


def _folded_layout(
    values: list[str], fold: Callable[[bytes], bytes]
) -> Optional[tuple[bytes, np.ndarray, np.ndarray]]:
    """(the values NUL-joined as UTF-8 and folded, each one's start and byte length); None
    when a value holds a NUL (the buffer cannot be split back into the values)."""
    buf = fold("\x00".join(values).encode("utf-8", errors="surrogatepass"))
    nuls = np.flatnonzero(np.frombuffer(buf, dtype=np.uint8) == 0)
    if nuls.size != len(values) - 1:
        return None
    starts = np.concatenate([np.zeros(1, dtype=np.int64), nuls + 1])
    return buf, starts, np.append(nuls, len(buf)) - starts


@dataclass(frozen=True)
class _FoldedKeys:
    """Raw values as a proof needs them: the values, and the first 8 bytes (a uint64, as
    :func:`_heads`) and byte length of each one folded. ``values`` None: a value holds a
    NUL (nothing is proven)."""

    values: Optional[list[str]]
    heads: np.ndarray
    lengths: np.ndarray


def _folded_keys(values: list[str], fold: Callable[[bytes], bytes]) -> _FoldedKeys:
    if not values:
        return _FoldedKeys(values, np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64))
    layout = _folded_layout(values, fold)
    if layout is None:
        return _FoldedKeys(None, np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64))
    buf, starts, lengths = layout
    return _FoldedKeys(values, _heads(buf, starts, lengths), lengths)


# The folded keys of a preparation's raw values, kept with the preparation: a release proves
# two little texts (its GeoPackage's own text, then its style) against the same 650,000
# non-public values and 500,000 references, and folding and heading them is most of each
# proof (about 0.3 s of the style's 0.4 s, nationally). 16 bytes a value (some 26 MB for a
# national month), freed with the preparation. Each entry holds the raw-side view it was made
# from and is used only while the preparation still gives that very object.
_KEYS: WeakKeyDictionary[PreparedGate, dict[str, tuple[object, _FoldedKeys]]] = WeakKeyDictionary()


def _prepared_keys(
    prep: PreparedGate,
    name: str,
    source: object,
    values: Callable[[], list[str]],
    fold: Callable[[bytes], bytes],
) -> _FoldedKeys:
    """_folded_keys(values(), fold) for ``prep``'s view ``source``, made once per
    preparation and view object."""
    kept = _KEYS.setdefault(prep, {})
    hit = kept.get(name)
    if hit is not None and hit[0] is source:
        return hit[1]
    made = prep.lowered_heads(name) if fold is _lower else None
    if made is not None and made[0] is source:
        # (the same keys, made from the text the view joined anyway; in another order,
        # which no proof's answer depends on: tests/test_gate_small_proof.py)
        keys = _FoldedKeys(*made[1:])
    else:
        keys = _folded_keys(values(), fold)
    kept[name] = (source, keys)
    return keys


def _no_key_in(
    values: list[str],
    fold: Callable[[bytes], bytes],
    hay: bytes,
    cells: set[bytes],
    is_key: Callable[[bytes], bool],
) -> bool:
    """True when no value folded (``fold``: byte by byte, NUL kept) for which ``is_key``
    holds occurs in ``hay`` (already folded) with scan.MIN_PATTERN_BYTES bytes or more, nor
    equals one of ``cells`` (folded UTF-8). False when that is not proven (a value holds a
    NUL, or too many values would need a whole comparison)."""
    if not values or (len(hay) < scan.MIN_PATTERN_BYTES and not cells):
        return True
    return _no_key_among(_folded_keys(values, fold), fold, hay, cells, is_key)


def _no_key_among(
    keys: _FoldedKeys,
    fold: Callable[[bytes], bytes],
    hay: bytes,
    cells: set[bytes],
    is_key: Callable[[bytes], bool],
) -> bool:
    """:func:`_no_key_in` of ``keys`` (made with the same ``fold``). A value is compared
    whole only when its folded head is one of the haystack's 8-byte windows (and it is long
    enough to be searched), or a cell's head with a cell's length; its folded form is then
    made from the value alone (folding is byte by byte: the same bytes as its place in the
    joined buffer)."""
    least = scan.MIN_PATTERN_BYTES
    values = keys.values
    if values is None:
        return False
    if not values or (len(hay) < least and not cells):
        return True
    heads, lengths = keys.heads, keys.lengths
    picked = np.zeros(len(values), dtype=bool)
    if len(hay) >= least:
        windows = np.unique(scan._window_keys(np.frombuffer(hay, dtype=np.uint8)))
        # (searchsorted per head: the same answer for unsorted queries, no sort of them)
        picked |= (lengths >= least) & scan.member_sorted_queries(heads, windows)
    if cells:
        listed = list(cells)
        cell_buf = b"\x00".join(listed)  # (cells are looked up whole: their heads and lengths)
        cell_lengths = np.fromiter(map(len, listed), dtype=np.int64, count=len(listed))
        cell_starts = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(cell_lengths + 1)])
        cell_heads = np.unique(_heads(cell_buf, cell_starts[:-1], cell_lengths))
        near = np.flatnonzero(scan.member_sorted_queries(heads, cell_heads))
        picked[near[np.isin(lengths[near], cell_lengths)]] = True
    chosen = np.flatnonzero(picked)
    if chosen.size * max(len(hay), 1) > _PROOF_COMPARE_BYTES:
        return False
    for i in chosen.tolist():
        key = fold(values[i].encode("utf-8", errors="surrogatepass"))
        if (key in cells or (len(key) >= least and key in hay)) and is_key(key):
            return False
    return True


def _proof_text(ctx: GateContext) -> Optional[tuple[bytes, set[bytes]]]:
    """(the haystack, the output cells the whole-cell lookups fold and look up, as UTF-8)
    when the haystack is little enough for a proof; None otherwise."""
    hay = ctx.haystack[0]
    if len(hay) > _PROOF_HAYSTACK_BYTES:
        return None
    cells = {
        k.encode("utf-8", errors="surrogatepass")
        for art in ctx.readable
        for k in ctx.other_lower(art)
    }
    return hay, cells


def _no_lowered_secret(ctx: GateContext) -> bool:
    """True when no key of the lower-case index of the non-public values (their
    context.ascii_lower, less those of public values: PreparedGate.secret_lower) is an
    output cell in lower case or occurs in the lower-cased haystack: check_no_non_public_values
    can then find nothing in another case nor inside text."""
    proof = _proof_text(ctx)
    if proof is None:
        return False
    hay, cells = proof
    prep = ctx.prepared
    if len(hay) < scan.MIN_PATTERN_BYTES and not cells:
        return True
    parts = prep.secret_parts

    def values() -> list[str]:
        return [v for _col, part in parts for v in part]

    def is_key(key: bytes) -> bool:
        return key.decode("utf-8", errors="surrogatepass") not in prep.public_lower

    keys = _prepared_keys(prep, "secrets", parts, values, _lower)
    return _no_key_among(keys, _lower, hay.lower(), cells, is_key)


def _no_lowered_reference(ctx: GateContext) -> bool:
    """True when no reference in lower case (folded_reference_index's keys) is an output
    cell in lower case."""
    proof = _proof_text(ctx)
    if proof is None:
        return False
    cells = proof[1]
    if not cells:
        return True
    refs = ctx.prepared.references
    keys = _prepared_keys(ctx.prepared, "references", refs, lambda: refs, _lower)
    return _no_key_among(keys, _lower, b"", cells, _any_key)


def _no_squeezed_reference(ctx: GateContext) -> bool:
    """True when no squeezed reference squeezed_index holds (context._squeezed_key_eligible)
    occurs in the squeezed haystack: the retyped-reference search can find nothing."""
    proof = _proof_text(ctx)
    if proof is None:
        return False
    hay = scan.squeeze_haystack(proof[0])
    if len(hay) < scan.MIN_PATTERN_BYTES:
        return True
    squeezed = ctx.prepared._squeezed_list
    keys = _prepared_keys(ctx.prepared, "squeezed", squeezed, lambda: squeezed, _same)
    return _no_key_among(keys, _same, hay, set(), _squeezed_key)


def _any_key(_key: bytes) -> bool:
    return True


def _squeezed_key(key: bytes) -> bool:
    return _squeezed_key_eligible(key.decode("utf-8", errors="surrogatepass"))


# --- checks ------------------------------------------------------------------------------------
def _unproven(ctx: GateContext) -> list[str]:
    return [f"{a.name}: {a.error}" for a in ctx.errors]


def _verdict(
    name: str, problems: list[str], ok_detail: str, fail_detail: str, ctx: GateContext
) -> GateCheck:
    unproven = _unproven(ctx)
    problems = sorted(set(problems))  # deterministic, whatever order sets gave them in
    if not problems and not unproven:
        return GateCheck(name, True, ok_detail, [])
    parts = []
    if problems:
        parts.append(f"{fail_detail} ({len(problems)} finding(s))")
    if unproven:
        parts.append(
            f"{len(unproven)} file(s) cannot be checked (unknown type or unreadable), "
            "so nothing about them is proven"
        )
    # examples: findings first, then the unproven files, at most MAX_EXAMPLES in all
    examples = problems[: MAX_EXAMPLES - min(len(unproven), 2)] + unproven
    return GateCheck(name, False, "; ".join(parts), examples[:MAX_EXAMPLES])


def _columns_place(art: Artifact, cols: list[str], expected: list[str]) -> str:
    """Where a CSV's or table's wrong columns are (`` (at column 13)``: 1 the first): each
    non-public column, else the first out of its place; "" for a GeoPackage's table (whose
    columns are named, not counted) or when the only ones missing are the last. Only a
    failing schema comes here."""
    if art.kind not in ("csv", "dataframe"):
        return ""
    places = Places()
    wrong = [i for i, c in enumerate(cols) if c not in expected]
    if not wrong:
        wrong = [i for i, c in enumerate(cols) if i >= len(expected) or c != expected[i]][:1]
    for i in wrong:
        places.add(f"column {i + 1}")
    return places.text()


def check_public_schema(ctx: GateContext) -> GateCheck:
    problems = []
    expected = list(PUBLIC_COLUMNS)
    tables = 0
    for art in ctx.readable:
        for schema in art.schemas:
            if not schema.must_be_public:
                continue
            tables += 1
            cols = [c for c in schema.columns if c not in schema.extra_allowed]
            if art.kind == "gpkg":
                ok = sorted(cols) == sorted(expected) and len(set(cols)) == len(cols)
            else:
                ok = cols == expected
            if not ok:
                extra = [c for c in cols if c not in expected]
                missing = [c for c in expected if c not in cols]
                what = []
                if extra:
                    what.append("non-public columns " + ", ".join(short(c, 30) for c in extra))
                if missing:
                    what.append("missing " + ", ".join(missing))
                if not what:
                    what.append("columns out of order or repeated")
                problems.append(
                    f"{art.name} ({schema.where}): "
                    + "; ".join(what)
                    + _columns_place(art, cols, expected)
                )
    return _verdict(
        "public_schema",
        problems,
        f"{tables} crime table(s) have exactly the police.uk street columns (tables without "
        "Crime ID/Longitude/Latitude columns in a folder or GeoPackage are summaries)",
        f"{len(problems)} crime table(s) do not have exactly the public columns "
        f"({', '.join(PUBLIC_COLUMNS)})",
        ctx,
    )


def _point(lon: float, lat: float) -> Sought:
    """A coordinate the output shows, to be located (core.gate.locate)."""
    return Sought("", point=(float(lon), float(lat)))


def check_coordinates_are_map_points(ctx: GateContext) -> GateCheck:
    problems: list[Finding] = []
    per_file: list[str] = []
    total = 0
    for n, (art, lon, lat, (labels, where)) in enumerate(ctx.output_coords):
        total += lon.size
        per_file.append(f"{art.name}: {lon.size}")
        bad = np.flatnonzero(~ctx.output_member(n, ctx.allowed_keys))
        for i in bad[:MAX_EXAMPLES].tolist():
            problems.append(
                (
                    f"{art.name}: ({lon[i]:.6f}, {lat[i]:.6f}) in {labels[where[i]]}",
                    art.name,
                    _point(lon[i], lat[i]),
                )
            )
        if bad.size > MAX_EXAMPLES:
            problems.append(
                (f"{art.name}: {bad.size} coordinates in all are not map points", art.name, None)
            )
    for art in ctx.readable:  # (a table's row is named already: output_reader._pair_coords)
        problems.extend(
            (f"{art.name}: {b}", art.name, None) for b in art.bad_coordinates[:MAX_EXAMPLES]
        )
    return _verdict(
        "coordinates_are_map_points",
        _located(ctx, problems),
        # (per file, and what is counted: a GeoPackage's count is not its rows', which the
        # audit gives beside it, so a bare total read as a count that did not reconcile)
        f"all {total} coordinates are map points ({'; '.join(per_file) or 'none read'}; a "
        "file's coordinates are the longitude/latitude pairs it holds, a GeoPackage's in its "
        "columns and in its geometries, and any pair written in its text; compared at 5 "
        "decimal places)",
        "coordinates that are not map points were found",
        ctx,
    )


def check_no_raw_coordinates(ctx: GateContext) -> GateCheck:
    problems: list[Finding] = []
    prep = ctx.prepared
    leak = ~ctx.raw_is_point
    raw_keys = prep.raw_coordinate_keys
    for n, (art, olon, olat, (labels, where)) in enumerate(ctx.output_coords):
        hit = np.flatnonzero(ctx.output_member(n, raw_keys))
        for i in hit[:MAX_EXAMPLES].tolist():
            problems.append(
                (
                    f"{art.name}: raw WGS84 coordinate ({olon[i]:.5f}, {olat[i]:.5f}) "
                    f"in {labels[where[i]]}",
                    art.name,
                    _point(olon[i], olat[i]),
                )
            )
    # projected source coordinates, to the metre (both easting and northing in one file)
    projected = prep.raw_projected
    if projected is not None and projected[0].size:
        sx, sy, fx, cx, fy, cy = projected
        raw_metres = prep.raw_metres
        index = _segments(ctx)

        def metres_in(segments: list[str]) -> list[np.ndarray]:
            return _metres_in(segments, raw_metres)

        def metres(text: str) -> list[np.ndarray]:
            if id(text) in silent:
                return []
            return index.found(text, "metres", metres_in)

        def numbers_metres(values: np.ndarray) -> bool:
            return scan.any_member(scan.metre_candidates(values), raw_metres)

        silent = _silent_scripts(ctx, "metres", metres_in, numbers_metres)

        by_value: list[_RowsByValue] = []  # (sorted when some number is a raw metre)
        for art in ctx.readable:
            numbers = _metre_numbers(ctx, art, metres)
            # only a raw whole metre has raw rows (raw_metres holds every column's values)
            numbers = numbers[scan.member(numbers, raw_metres)]
            if numbers.size == 0:
                continue
            if not by_value:
                by_value = [_RowsByValue(v) for v in (fx, cx, fy, cy)]
            rx = np.union1d(by_value[0].rows(numbers), by_value[1].rows(numbers))
            ry = np.union1d(by_value[2].rows(numbers), by_value[3].rows(numbers))
            for i in np.intersect1d(rx, ry, assume_unique=True)[:MAX_EXAMPLES].tolist():
                problems.append(
                    (
                        f"{art.name}: raw projected coordinate "
                        f"({sx[i]:.0f}, {sy[i]:.0f}) appears to the metre",
                        art.name,
                        Sought(f"{sx[i]:.0f}", number=True),  # (where its easting is)
                    )
                )
        grid = _grid_segments(ctx)
        for art in ctx.readable:
            problems.extend(_grid_text_findings(ctx, art, grid))
    return _verdict(
        "no_raw_coordinates",
        _located(ctx, problems),
        f"no raw coordinate of the {int(leak.sum())} crimes not already at a map point appears "
        "(WGS84 at 5 dp; projected source coordinates to the metre)",
        "raw crime coordinates appear in the output",
        ctx,
    )


# A run of lone raw eastings (or northings) is reported when chance would give one this long
# less than once in 10,000 runs (the share of whole metres in the raw span that are a raw
# easting, to the power of the run's length).
_RUN_CHANCE = 1e-4
_MIN_RUN = 3


def _run_length_needed(values: np.ndarray) -> int:
    if values.size < 2:
        return _MIN_RUN
    density = values.size / float(values[-1] - values[0] + 1)
    if density >= 1.0:
        return 10**9
    return max(_MIN_RUN, int(np.ceil(np.log(_RUN_CHANCE) / np.log(density))))


def _grid_segments(ctx: GateContext) -> Callable[[str], list[bool]]:
    """Which segments hold a number that could be part of a grid finding: one whose whole
    metres are a raw easting or northing or their tens (pair keys, runs), one large enough
    to alias a pair key (2**21 and over), or an OS grid reference. A text without one
    cannot give a finding (numbers of a pair or a run are each such a number)."""
    known = ctx.prepared.grid_known
    limit = 1 << 21
    if known.size and (known[0] < 0 or known[-1] >= limit):
        limit = -1  # pair keys of such values alias anything: every grid number counts

    def flags(segments: list[str]) -> list[bool]:
        return _grid_flags(segments, known, limit)

    def numbers_flag(values: np.ndarray) -> bool:
        # a grid number's floor is floor(|value|) of its token (the pattern takes no sign)
        floors = np.floor(np.abs(_finite(values)))
        if floors.size < values.size or (floors >= limit).any():
            return True
        return scan.any_member(floors.astype(np.int64), known)

    index = _segments(ctx)
    silent = _silent_scripts(ctx, "grid", flags, numbers_flag)
    return lambda text: [] if id(text) in silent else index.found(text, "grid", flags)


def _grid_flags(segments: list[str], known: np.ndarray, limit: int) -> list[bool]:
    """_grid_flags_direct, scanning only the segments that can have a finding: a grid
    number's floor is its whole part I (a maximal digit run of 4 to 7) or I + 1 (a long
    fraction rounded up), so a segment is scanned when it holds such a run with I or I + 1
    known or I + 1 at least ``limit``, or an OS grid reference (digit-masked: the pattern's
    digits are \\d classes), or is not ASCII."""

    def wanted(value: np.ndarray, length: np.ndarray) -> np.ndarray:
        ok = (length >= 4) & (length <= 7)
        return ok & (
            scan.member(value, known) | scan.member(value + 1, known) | (value + 1 >= limit)
        )

    candidates = scan.segments_with_numbers(segments, wanted, min_length=4) | (
        scan.digit_masked_hits(segments, _os_grid_flags)
    )
    return scan.scan_candidates(
        segments, lambda picked: _grid_flags_direct(picked, known, limit), candidates, False
    )


def _grid_flags_direct(segments: list[str], known: np.ndarray, limit: int) -> list[bool]:
    """Per segment: whether it holds an OS grid reference or a grid number whose floor is
    known or at least ``limit``."""
    out = [False] * len(segments)
    for i in scan.matches_by_segment(segments, scan.OS_GRID):
        out[i] = True
    for i, found in scan.numbers_by_segment(segments, scan.GRID_NUMBER).items():
        floors = np.floor(np.fromiter(map(float, found), np.float64, len(found)))
        floors = floors.astype(np.int64)
        out[i] = out[i] or bool((scan.member(floors, known) | (floors >= limit)).any())
    return out


def _grid_text_findings(
    ctx: GateContext, art: Artifact, grid: Callable[[str], list[bool]]
) -> list[Finding]:
    """Raw projected locations written in text: easting/northing pairs to the metre or
    rounded to 10 m, runs of lone raw eastings or northings next to each other, and OS grid
    references with letters (NZ 22089 63784), to the metre or 10 m. ``grid``: which texts
    can hold one (:func:`_grid_segments`); the others are not scanned."""
    metre, ten, xs, ys = ctx.prepared.raw_grid_keys
    if metre.size == 0:
        return []
    problems: list[Finding] = []
    for text in ctx._texts(art):
        if not grid(text):
            continue
        values, starts, ends = scan.grid_numbers(text)
        if values.size >= 2:
            near = (starts[1:] - ends[:-1]) <= scan.PAIR_GAP
            a, b = values[:-1][near], values[1:][near]
            fa, fb = np.floor(a).astype(np.int64), np.floor(b).astype(np.int64)
            hit = scan.member(scan.pair_keys(fa, fb), metre) | scan.member(
                scan.pair_keys(fb, fa), metre
            )
            tens = (np.mod(a, 10) == 0) & (np.mod(b, 10) == 0)
            hit |= tens & (
                scan.member(scan.pair_keys(fa, fb), ten) | scan.member(scan.pair_keys(fb, fa), ten)
            )
            for i in np.flatnonzero(hit)[:MAX_EXAMPLES].tolist():
                problems.append(
                    (
                        f"{art.name}: raw grid reference written as the pair {a[i]:.0f} {b[i]:.0f}",
                        art.name,
                        Sought(f"{a[i]:.0f}", number=True),  # (where its first number is)
                    )
                )
            floors = np.floor(values).astype(np.int64)
            linked = np.append((starts[1:] - ends[:-1]) <= scan.PAIR_GAP, False)
            for axis, known in (("eastings", xs), ("northings", ys)):
                need = _run_length_needed(known)
                member = scan.member(floors, known)
                run = 0
                for i, is_raw in enumerate(member.tolist()):
                    run = run + 1 if is_raw else 0
                    if run >= need:
                        problems.append(
                            (
                                f"{art.name}: {run} raw {axis} written next to each other "
                                f"(e.g. {floors[i]})",
                                art.name,
                                Sought(str(floors[i]), number=True),
                            )
                        )
                        break
                    if not linked[i]:
                        run = 0
        for east, north, scale, shown in scan.os_grid_references(text):
            key = scan.pair_keys(np.array([east]), np.array([north]))
            if (scale == 1 and scan.member(key, metre)[0]) or (
                scale == 10 and scan.member(key, ten)[0]
            ):
                problems.append(
                    (
                        f"{art.name}: raw location as the OS grid reference {shown!r}",
                        art.name,
                        Sought(shown),
                    )
                )
        if len(problems) >= MAX_EXAMPLES:
            break
    return problems


def _os_grid_flags(segments: list[str]) -> list[bool]:
    out = [False] * len(segments)
    for i in scan.matches_by_segment(segments, scan.OS_GRID):
        out[i] = True
    return out


def _metres_in(segments: list[str], raw_metres: np.ndarray) -> list[np.ndarray]:
    """Per segment: scan.metre_numbers of it that are raw whole metres (the others cannot
    meet a raw projected coordinate). Only segments holding a digit run I with I or I + 1 a
    raw metre in range are scanned: a number's floor and nearest whole metre are its whole
    part I (a maximal digit run) or I + 1, and a range of [1000, 1,400,000] needs I of 999 to
    1,400,000 (runs of 19+ digits, which may be leading zeros, are scanned too)."""

    def wanted(value: np.ndarray, length: np.ndarray) -> np.ndarray:
        out = length > scan._MAX_RUN_DIGITS
        near = np.flatnonzero((value >= 999) & (value <= 1_400_000))
        near_values = value[near]
        out[near] = scan.member(near_values, raw_metres) | scan.member(near_values + 1, raw_metres)
        return out

    candidates = scan.segments_with_numbers(segments, wanted, min_length=3)  # (999 and up)
    return scan.scan_candidates(
        segments,
        lambda picked: _metres_in_direct(picked, raw_metres),
        candidates,
        np.zeros(0, dtype=np.int64),
    )


def _metres_in_direct(segments: list[str], raw_metres: np.ndarray) -> list[np.ndarray]:
    """Only numbers of 4+ digits before the point, or 3 and a fraction, can give 1000 or
    more, the least a metre candidate is (scan.METRE_NUMBER: scan.NUMBER_REACHING_1000, and
    the numbers with an axis letter on them)."""
    out = [np.zeros(0, dtype=np.int64)] * len(segments)
    for i, found in scan.numbers_by_segment(segments, scan.METRE_NUMBER).items():
        values = np.fromiter(map(float, found), np.float64, len(found))
        metres = scan.metre_candidates(values)
        out[i] = metres[scan.member(metres, raw_metres)]
    return out


class _RowsByValue:
    """The raw rows holding each value of one raw metre column, sorted once when asked often.

    The projected check asks, for every output (7,202 pages in a national summaries folder),
    which raw rows hold one of the output's few numbers. Testing all 500,000 raw values against
    each output's numbers re-sorted the raw column per output; looking the numbers up in the
    column sorted once costs only the numbers' size per output. The first _DIRECT_ASKS asks
    (a web map folder's few data scripts: the whole gate call) look each raw value up among
    the numbers instead, which costs a pass over the column but no sort of it (4 argsorts of
    500,000, about 0.2 s). Rows come back ascending, as ``np.flatnonzero`` of the row mask
    would give them, either way.
    """

    def __init__(self, values: np.ndarray) -> None:
        self._values = np.asarray(values)
        self._asked = 0
        self._order: Optional[np.ndarray] = None
        self._sorted = np.zeros(0, dtype=self._values.dtype)

    def rows(self, numbers: np.ndarray) -> np.ndarray:
        self._asked += 1
        if self._order is None:
            if self._asked <= _DIRECT_ASKS:
                wanted = np.unique(numbers)
                return np.flatnonzero(scan.member_sorted_queries(self._values, wanted))
            self._order = np.argsort(self._values, kind="stable")
            self._sorted = self._values[self._order]
        lo = np.searchsorted(self._sorted, numbers, side="left")
        hi = np.searchsorted(self._sorted, numbers, side="right")
        counts = hi - lo
        keep = counts > 0
        if not keep.any():
            return np.zeros(0, dtype=np.intp)
        lo, counts = lo[keep], counts[keep]
        starts = np.repeat(lo - np.cumsum(counts) + counts, counts)
        positions = starts + np.arange(int(counts.sum()))
        return np.unique(self._order[positions])


_DIRECT_ASKS = 8


def _metre_numbers(
    ctx: GateContext, art: Artifact, metres: Callable[[str], list[np.ndarray]]
) -> np.ndarray:
    """Whole metres written in an artifact: in its texts (only those that are raw whole
    metres, from ``metres``), its numbers and its projected coordinates."""
    # (each distinct text once: the result is a set, and a data script repeats its strings)
    parts = [part for t in dict.fromkeys(ctx._texts(art)) for part in metres(t)]
    parts.append(scan.metre_candidates(art.number_values()))
    for x, y, _crs in art.projected:
        parts.append(scan.metre_candidates(x))
        parts.append(scan.metre_candidates(y))
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


_DATE_BIT = 1
_TIME_BIT = 2
_DAY_PATTERNS = [p for _kind, p in scan.DATE_PATTERNS]
_TIME_PATTERNS = [scan.TIME_PATTERN] + [p for _kind, p in scan.OTHER_TIME_PATTERNS]


def _date_bits(segments: list[str]) -> list[int]:
    """Per segment: _DATE_BIT if a date pattern matches in it, _TIME_BIT if a time (or
    other-time) pattern does. Every date and time pattern finds a match in a text whenever it
    does with the text's ASCII digits written as 1 (scan.digit_masked_hits), so only the
    segments whose masked form has one are scanned."""
    candidates = scan.digit_masked_hits(segments, _date_bits_hinted)
    return scan.scan_candidates(segments, _date_bits_hinted, candidates, 0)


def _date_bits_hinted(segments: list[str]) -> list[int]:
    """_date_bits_direct, run only on the segments scan.date_time_hints picks (a necessary
    condition for every date and time pattern)."""
    return scan.scan_candidates(segments, _date_bits_direct, scan.date_time_hints(segments), 0)


def _date_bits_direct(segments: list[str]) -> list[int]:
    bits = [0] * len(segments)
    for bit, patterns in ((_DATE_BIT, _DAY_PATTERNS), (_TIME_BIT, _TIME_PATTERNS)):
        for pattern in patterns:
            for i in scan.matches_by_segment(segments, pattern):
                bits[i] |= bit
    return bits


def check_no_dates_finer_than_month(ctx: GateContext) -> GateCheck:
    """Each text is scanned by find_dates/find_other_times only when one of their patterns
    matches in it, which is known from its distinct segments (scan.SegmentIndex: a folder of
    7,200 pages repeats one template), so the findings are those of scanning every text."""
    problems: list[Finding] = []
    index = _segments(ctx)
    scanned = [
        [
            (ctx.without_team_texts(text), times)
            for text, times in (
                [(ctx.joined_strings(art), True)]
                + [(t, True) for t in art.texts]
                # a data script's body is skipped: outside its string literals (in texts)
                # JSON has only numbers and punctuation, which no date pattern can match
                + [(c, False) for c in art.code if not any(c is j for j in art.json_code)]
            )
        ]
        for art in ctx.readable
    ]
    index.prepare("dates", _date_bits, [t for texts in scanned for t, _times in texts])
    for art, texts in zip(ctx.readable, scanned):
        for text, times in texts:
            bits = 0
            for b in index.found(text, "dates", _date_bits):
                bits |= b
            if not (bits & _DATE_BIT or (times and bits & _TIME_BIT)):
                if len(problems) >= MAX_EXAMPLES:
                    break
                continue  # nothing either scan could find
            for kind, found in scan.find_dates(text, with_times=times, limit=MAX_EXAMPLES):
                problems.append((f"{art.name}: {kind} {found!r}", art.name, Sought(found)))
            if times:  # prose only: code is full of numbers followed by "h" or "am"
                for kind, found in scan.find_other_times(text, limit=MAX_EXAMPLES):
                    problems.append((f"{art.name}: {kind} {found!r}", art.name, Sought(found)))
            if len(problems) >= MAX_EXAMPLES:
                break
    problems.extend(_raw_timestamps(ctx))
    return _verdict(
        "no_dates_finer_than_month",
        _located(ctx, problems),
        "no date finer than a month, no time of day and no raw timestamp appears",
        "dates or times finer than a month appear",
        ctx,
    )


# A bare 7-14 digit number in text, as a raw timestamp is written ("Logged 202210151430,"):
# it ends as a raw easting does (scan.WRITTEN_NUMBER_END), so a full stop after it ends it
# ("Occurred 20221015.") and "20221015.5" stays a decimal; or 8 digits, a date, with a time
# glued on as a records system writes it (scan.JOINED_TIME: "20221015.1430",
# "20221015T143000Z", "15102022_1430"), the date taken as the number (as in "20221015 1430");
# a Z after the number is UTC's ("20221015143000Z", an ASN.1 time), no letter of a hex id;
# or a decimal whose whole part has 9-14 digits ("1666762680.123", "1666762680123.4": epoch
# seconds or ms with their fraction), taken with its fraction: its whole part is a finding
# when it is a raw timestamp form, which no coordinate, count or ratio anyone publishes
# is; an 8-digit one ("20221015.5") stays a decimal unless its fraction is a time, the
# joined date above. (A .json file's decimals are judged so as written too: Artifact.json_text.)
# Or a date written day first with dots and the time glued to its year, as a records
# system may ("26.10.20220538", "26.10.2022053800": two digits each for the day and month),
# taken whole and looked up as its ddmmyyyyHHMM(SS) digits: so only a raw crime's own
# day, month, year and time refuses it. A version ending in a build date ("10.12.20221026")
# is one only if a raw crime was at that minute of that day (10/12/2022 10:26), the same
# text the dotted date without the digits glued on ("10.12.2022") already is to the date
# patterns; "1.2.20221015" (one digit) and a longer version ("3.10.12.20221026", a '.'
# before it) are never taken. So is one written year first ("2022.10.260538",
# "2022.10.26053800"), looked up as its yyyymmddHHMM(SS) digits: it passed, where the date
# with its time after a space or a '.' ("2022.10.26 05:38", "2022.10.26.0538") and the
# date alone are refused by the date patterns; "v2022.10.260538" and "1.2022.10.260538"
# (a letter or '.' before it) are never taken.
# (its first digit first, a character the engine skips to in C, and no word character or
# '.' before it; then the 7 digits every form starts with, so a shorter number fails once;
# then the plain number, the usual one, taken at the first try: where it and the joined
# date both take a number they take the same, the whole digit run; the dotted dates last,
# after the two or four digits they share with them. Its cost on the 116 MB bench CSV read
# as text, CPU time of 9 interleaved runs: 2.10-2.28 s without the day-first dotted date
# (best three), 2.16-2.39 s with it; the factored and unfactored patterns agree on 100,000
# random texts. With the year-first one, on 103 MB of police.uk street CSVs read as text,
# CPU time of 9 alternating runs on a loaded machine: 1.98-2.05 s before (best three),
# 2.03-2.07 s after; the prefilters 1.90-2.01 s before, 2.03-2.09 s after)
def _bare_number_pattern(decimal_digits_from: int) -> re.Pattern:
    """_BARE_NUMBER, its decimals taken with ``decimal_digits_from`` digits or more before
    the point (7-9)."""
    end = scan.WRITTEN_NUMBER_END
    return re.compile(
        rf"\d(?<![\w.]\d)\d(?:\d\d(?:\d{{3}}(?:\d{{0,7}}(?=[Zz]?{end})"
        rf"|\d(?={scan.JOINED_TIME}{end})"
        rf"|\d{{{decimal_digits_from - 7},7}}\.\d+{end})"
        rf"|\.\d\d\.\d{{6}}(?:\d\d)?(?=[Zz]?{end}))"
        rf"|\.\d\d\.\d{{8}}(?:\d\d)?(?=[Zz]?{end}))"
    )


_BARE_NUMBER = _bare_number_pattern(9)
# the least whole part of a decimal _BARE_NUMBER takes (9 digits), looked up among every
# raw timestamp form; a decimal's smaller whole part only among early_epoch_seconds
_DECIMAL_WHOLE_FROM = 10**8
# _BARE_NUMBER with decimals from 7 digits before the point, used only when a raw crime
# is dated before 1973-03-03 (context.early_epoch_seconds: the loader takes such a row, an
# old date can be real, and only warns): its epoch seconds have 7-8 digits, and written
# with a fraction ("57303480.5") they are that crime's time to the second as much as a
# later crime's "1666762680.5". A decimal whose 7-8 digit whole part is some other form
# ("20221015.5", "26102022.25") stays a decimal: only those epoch seconds are looked up.
# (Every release dated from 1973 on, all of police.uk's, scans with _BARE_NUMBER: no cost.)
_BARE_NUMBER_EARLY = _bare_number_pattern(7)
# (necessary conditions for _BARE_NUMBER that the regex engine skips to in C: a pattern
# that starts with a lookbehind is tried at every position. Seven digits in a row, or the
# year-first dotted date's ".mm.ddHHMM", whose longest run is six: two searches, since one
# pattern with both as alternatives took 0.9 s more on 100 MB of police.uk CSVs, the
# second search alone 0.05 s, its '.' a literal the engine skips to)
_SEVEN_DIGITS = re.compile(r"\d{7}")
_YEAR_FIRST_DOTTED = re.compile(r"\.\d\d\.\d{6}")


def _bare_number_flags(segments: list[str], pattern: re.Pattern = _BARE_NUMBER) -> list[bool]:
    out = [False] * len(segments)
    hinted = sorted(
        set(scan.matches_by_segment(segments, _SEVEN_DIGITS))
        | set(scan.matches_by_segment(segments, _YEAR_FIRST_DOTTED))
    )
    for i in scan.matches_by_segment([segments[i] for i in hinted], pattern):
        out[hinted[i]] = True
    return out


def _raw_forms(
    segments: list[str], wanted: Collection[int], early: Collection[int] = ()
) -> list[list[int]]:
    """_raw_forms_direct of the segments where its pattern matches with their digits
    written as 1 (scan.digit_masked_hits: the pattern's digits are \\d classes)."""
    pattern = _BARE_NUMBER_EARLY if early else _BARE_NUMBER
    candidates = scan.digit_masked_hits(segments, lambda s: _bare_number_flags(s, pattern))
    return scan.scan_candidates(
        segments, lambda picked: _raw_forms_direct(picked, wanted, early), candidates, []
    )


def _raw_forms_direct(
    segments: list[str], wanted: Collection[int], early: Collection[int] = ()
) -> list[list[int]]:
    """Per segment: its bare 7-14 digit numbers that are raw timestamp forms, in order (the
    others can never be a finding); of a decimal, its whole part. ``early``: the raw
    crimes' epoch seconds before 1973 (context.early_epoch_seconds), when there are any: a
    decimal with 7-8 digits before its point is taken (_BARE_NUMBER_EARLY) and its whole
    part looked up among those only."""
    out: list[list[int]] = [[] for _ in segments]
    pattern = _BARE_NUMBER_EARLY if early else _BARE_NUMBER
    for i, found in scan.strings_by_segment(segments, pattern).items():
        values = []
        for s in found:
            whole, point, fraction = s.partition(".")
            if "." in fraction:  # a dotted date, its time glued on: its ddmmyyyyHHMM(SS)
                # (or, year first, yyyymmddHHMM(SS)) digits
                v = int(whole + fraction.replace(".", ""))
                if v in wanted:
                    values.append(v)
                continue
            v = int(whole)
            if v in (early if point and v < _DECIMAL_WHOLE_FROM else wanted):
                values.append(v)
        out[i] = values
    return out


def _raw_timestamps(ctx: GateContext) -> list[Finding]:
    """Raw occurred_at values written as bare numbers: epoch seconds/ms, yyyymmdd(HHMM(SS)),
    ddmmyyyy. (Separated forms are caught by the date and time patterns.)"""
    forms = ctx.prepared.timestamp_forms
    if forms.size == 0:
        return []
    problems: list[Finding] = []
    wanted = set(forms.tolist())
    early = set(ctx.prepared.early_epoch_seconds.tolist())

    def raw_forms(segments: list[str]) -> list[list[int]]:
        return _raw_forms(segments, wanted, early)

    def numbers_forms(values: np.ndarray) -> bool:
        # a bare number is a whole integer token (its digits, without a sign), or the
        # whole part of a decimal one whose fraction is a time ("20221015.1430": a date
        # with a time joined by its '.'): each is the whole part of its value
        whole = np.trunc(np.abs(_finite(values)))
        if whole.size < values.size:
            return True
        whole = whole[whole < 1e15].astype(np.int64)
        return scan.any_member(whole, forms)  # (forms: sorted, unique)

    index = _segments(ctx)
    silent = _silent_scripts(ctx, "timestamps", raw_forms, numbers_forms)
    for art in ctx.readable:
        found: list[int] = []
        for text in ctx._texts(art):
            if id(text) in silent:
                continue
            for part in index.found(text, "timestamps", raw_forms):
                found.extend(part)
        if art.json_text:  # (its decimals as written, as in any text: see Artifact)
            found.extend(raw_forms([art.json_text])[0])
        hit = np.asarray(found, dtype=np.int64)
        # a whole number token's digits, whatever its sign: "-20221026" in a text is the
        # date 20221026 (_BARE_NUMBER takes no '-'), and so is the JSON number -20221026
        numbers = np.abs(art.number_values())
        whole = _whole_numbers_from_1e6(numbers)
        if whole is None:  # (beyond int64: the one-by-one ints fail here, as they always did)
            found.extend(int(v) for v in numbers.tolist() if v.is_integer() and v >= 1e6)
            hit = np.asarray(found, dtype=np.int64)
        elif whole.size:
            hit = np.concatenate([hit, whole])
        if not hit.size:
            continue
        hit = hit[np.isin(hit, forms)]
        for v in hit[:MAX_EXAMPLES].tolist():
            dotted = _written_dotted(v, ctx._texts(art) + [art.json_text])
            if dotted is not None:
                problems.append(
                    (
                        f"{art.name}: raw date/time written as the date {dotted!r}",
                        art.name,
                        Sought(dotted),
                    )
                )
                continue
            problems.append(
                (
                    f"{art.name}: raw date/time written as the number {v}",
                    art.name,
                    Sought(str(v), number=True),
                )
            )
    return problems


def _written_dotted(value: int, texts: list[str]) -> Optional[str]:
    """The dotted date with its time glued on ("26.10.20220538", "2022.10.260538") that
    _BARE_NUMBER read as the ddmmyyyyHHMM(SS) or yyyymmddHHMM(SS) form ``value``, when the
    texts show it so and not the bare number: the finding then names what the file shows,
    where the analyst can find it (and core.gate.locate its line). Only for a finding (at
    most MAX_EXAMPLES an artifact)."""
    digits = str(value)
    if not 11 <= len(digits) <= 14 or any(digits in t for t in texts):
        return None
    day_first = digits.zfill(12 if len(digits) <= 12 else 14)
    for dotted in (
        f"{day_first[:2]}.{day_first[2:4]}.{day_first[4:]}",
        f"{digits[:4]}.{digits[4:6]}.{digits[6:]}",
    ):
        if any(dotted in t for t in texts):
            return dotted
    return None


def _whole_numbers_from_1e6(values: np.ndarray) -> Optional[np.ndarray]:
    """``[int(v) for v in values if float(v).is_integer() and v >= 1e6]`` as int64, in
    order; None when one of them is beyond int64 (those ints cannot be one array)."""
    whole = values[(values >= 1e6) & np.isfinite(values) & (values == np.floor(values))]
    if whole.size and whole.max() >= 2.0**63:
        return None
    return whole.astype(np.int64)


def check_no_source_references(ctx: GateContext) -> GateCheck:
    problems: list[Finding] = []
    prep = ctx.prepared
    refs = prep.references
    ref_set = prep.reference_set
    # exact values
    for art in ctx.readable:
        for s in sorted(ctx.exact_matches(art, ref_set))[:MAX_EXAMPLES]:
            problems.append((f"{art.name}: source reference {short(s, 24)}", art.name, Sought(s)))
    # hex tokens (whole hex strings and hex words in text), each reported for the first
    # artifact that shows it: compared as digest bytes with numpy, not as 500,000 strings
    reported: set[tuple[str, str]] = set()
    index = _segments(ctx)
    silent = {id(c) for art in ctx.readable for c in art.code if not _may_hold_hex_token(c)}
    index.prepare("hex", _hex_tokens, [t for t in _all_texts(ctx) if id(t) not in silent])
    for art in ctx.readable:
        tokens = list(ctx.hex_strings(art))
        listed = len(tokens)  # (their lengths are known: the text tokens' are counted below)
        for text in ctx._texts(art):
            if id(text) in silent:
                continue
            for part in index.found(text, "hex", _hex_tokens):
                tokens.extend(part)
        if not tokens:
            continue
        if prep.hex_references:  # tokens are ASCII hex: lower case in one C call
            for token in sorted(_present(set(lower_all(tokens)), prep.hex_references)):
                if ("ref", token) not in reported:
                    reported.add(("ref", token))
                    problems.append(
                        (
                            f"{art.name}: source reference {short(prep.hex_references[token], 24)}",
                            art.name,
                            Sought(token, any_case=True),
                        )
                    )
        lengths = np.concatenate([ctx.hex_lengths(art), scan.char_lengths(tokens[listed:])])
        for length in np.unique(lengths).tolist():
            algo = HEX_LENGTHS[length]
            same = (
                tokens
                if lengths[0] == lengths[-1] == length and (lengths == length).all()
                else list(compress(tokens, (lengths == length).tolist()))
            )
            for token, ref_i in _digest_matches(prep, same, length):
                if (algo, token) in reported:
                    continue
                reported.add((algo, token))
                problems.append(
                    (
                        f"{art.name}: unsalted {algo} of source reference {short(refs[ref_i], 24)}",
                        art.name,
                        Sought(token, any_case=True),  # (the digest as written)
                    )
                )
    # whole cells in another case
    if refs and any(ctx.other_lower(a) for a in ctx.readable) and not _no_lowered_reference(ctx):
        folded = prep.folded_reference_index  # (a few lookups build no dict)
        for art in ctx.readable:
            found = ctx.lower_found(art, folded)
            if not found:
                continue
            cells = ctx.other_strings(art)
            exact = set(cells)
            for low in [k for k in found if folded[k] not in exact][:MAX_EXAMPLES]:
                problems.append(
                    (
                        f"{art.name}: source reference {short(folded[low], 24)} in another case",
                        art.name,
                        Sought(folded[low], any_case=True),
                    )
                )
    # references inside longer text
    hay, _ = ctx.haystack
    if len(hay) >= scan.MIN_PATTERN_BYTES:

        def inside_refs(h: bytes, limit: int) -> list[tuple[str, int]]:
            if scan.small_enough(h, prep.reference_lengths):
                return scan.find_in_small_haystack(
                    h, prep.reference_set, prep.reference_lengths or [], refs, _always, limit
                )
            patterns = prep.reference_patterns
            return [
                (patterns.values[i], pos)
                for i, pos in scan.find_substrings(h, patterns, limit=limit)
            ]

        in_text = _search_output(
            ctx, _same, inside_refs, MAX_EXAMPLES, lambda: refs, lambda: prep.reference_patterns
        )
        if in_text is None:
            in_text = [(r, ctx.artifact_at(p)) for r, p in inside_refs(hay, MAX_EXAMPLES)]
        for ref, name in in_text:
            problems.append(
                (f"{name}: source reference {short(ref, 24)} inside text", name, Sought(ref))
            )
    # ...in another case or without their punctuation (AB2022100001234)
    if (
        not problems
        and refs
        and len(hay) >= scan.MIN_PATTERN_BYTES
        and not _no_squeezed_reference(ctx)
    ):
        if len(hay) > scan.SMALL_SEARCH_LOOKUPS:
            _patterns_first(prep, "squeezed_keys")
        folded_refs = prep.squeezed_index  # (a few lookups build no dict)

        def retyped_refs(h: bytes, limit: int) -> list[tuple[str, int]]:
            if scan.small_enough(h, prep.squeezed_lengths):
                return scan.find_in_small_haystack(
                    h, folded_refs, prep.squeezed_lengths or [], folded_refs, _never, limit
                )
            squeezed, _ = prep.squeezed_references
            return [
                (squeezed.values[i], pos)
                for i, pos in scan.find_substrings(h, squeezed, limit=limit)
            ]

        keys = _search_output(ctx, scan.squeeze_haystack, retyped_refs, MAX_EXAMPLES, lambda: [])
        retyped = (
            [(k, 0) for k, _name in keys]
            if keys is not None
            else retyped_refs(scan.squeeze_haystack(hay), MAX_EXAMPLES)
        )
        for key, _pos in retyped:
            name = _squeezed_in(ctx, key)
            retyping = (
                f"source reference {short(folded_refs[key], 24)} retyped (other case or "
                "punctuation)"
            )
            problems.append(
                (f"{name}: {retyping}", name, Sought(key, squeezed=True))
                if name
                else (retyping, "", None)
            )
    return _verdict(
        "no_source_references",
        _located(ctx, problems),
        f"none of {len(refs)} source references, nor their unsalted md5/sha1/sha256, appears",
        "source references (or their unsalted hashes) appear",
        ctx,
    )


def _squeezed_in(ctx: GateContext, key: str) -> str:
    """The first file whose text, squeezed as the retyped-reference search squeezes it,
    holds ``key`` ("" when none: nothing is named). The search keeps no file (its
    haystack is the whole output's, squeezed); only a finding comes here."""
    wanted = key.encode("utf-8", errors="surrogatepass")
    for art in ctx.readable:
        if wanted in scan.squeeze_haystack(scan.join_haystack(ctx._texts(art))):
            return art.name
    return ""


def _patterns_first(prep: PreparedGate, view: str) -> None:
    """Compute the dict a PatternSet is made of (``view``) before its index and the
    distinct lengths the small search needs: output text over scan.SMALL_SEARCH_LOOKUPS
    bytes takes the small search only when no value is 8 bytes long, so it nearly always
    needs the patterns, and the index and lengths then come from the dict
    (context.FirstKeyIndex.of, its keys) instead of a second lower-casing or squeezing of
    650,000 raw values (some 0.3-0.5 s each). The same keys either way
    (tests/test_release_gate.py), so the same answers."""
    getattr(prep, view)


_HEX_BYTES = bytes(int(chr(b) in "0123456789abcdefABCDEF") for b in range(256))


def _may_hold_hex_token(text: str) -> bool:
    """Whether ``text`` holds 32 ASCII hex digits in a row, which every scan.HEX_TOKEN match
    is (its classes are ASCII): one translate of the UTF-8 bytes and a find, at C speed, so
    a script's code (a web map's megabytes of data) is not scanned when it has none."""
    marked = text.encode("utf-8", errors="surrogatepass").translate(_HEX_BYTES)
    return b"\x01" * 32 in marked


def _hex_tokens(segments: list[str]) -> list[list[str]]:
    """Per segment: its hex tokens (scan.HEX_TOKEN), in order; only segments where the
    pattern matches with their digits written as 1 (scan.digit_masked_hits) are scanned."""
    candidates = scan.digit_masked_hits(segments, _hex_tokens_direct)
    return scan.scan_candidates(segments, _hex_tokens_direct, candidates, [])


def _hex_tokens_direct(segments: list[str]) -> list[list[str]]:
    out: list[list[str]] = [[] for _ in segments]
    for i, found in scan.strings_by_segment(segments, scan.HEX_TOKEN).items():
        out[i] = found
    return out


def _digest_matches(prep: PreparedGate, tokens: list[str], length: int) -> list[tuple[str, int]]:
    """(lower-case token, reference index) for each hex token (all ``length`` long) that is
    the unsalted digest of a reference. 8-byte keys prefilter (searchsorted); survivors are
    compared on every byte."""
    keys, rows, ref_index = prep.reference_digests(length)
    if keys.size == 0:
        return []
    token_rows = scan.digest_rows(tokens, length)
    token_keys = scan.row_keys(token_rows)
    cand = np.flatnonzero(scan.member(token_keys, keys))
    out = []
    for j in cand.tolist():
        lo = int(np.searchsorted(keys, token_keys[j], side="left"))
        hi = int(np.searchsorted(keys, token_keys[j], side="right"))
        for k in range(lo, hi):
            if np.array_equal(rows[k], token_rows[j]):
                out.append((tokens[j].lower(), int(ref_index[k])))
                break
    return out


def check_no_non_public_values(ctx: GateContext) -> GateCheck:
    return _non_public_verdict(ctx, _non_public_values_found(ctx) + _free_text_fragments(ctx))


def _non_public_verdict(ctx: GateContext, problems: list[str]) -> GateCheck:
    """The check's report from its findings: the values found whole or inside text
    (_non_public_values_found) and the raw notes' runs (_free_text_fragments), which
    core.gate.checks_beside may compute in two processes (SPLIT_CHECKS)."""
    prep = ctx.prepared
    return _verdict(
        "no_non_public_values",
        problems,
        f"no value of the non-public raw columns ({', '.join(prep.secret_columns) or 'none'}; "
        f"{prep.secret_count} distinct values) appears",
        "values of non-public raw columns appear",
        ctx,
    )


def _non_public_values_found(ctx: GateContext) -> list[str]:
    """The no_non_public_values findings but the free-text ones: raw values of the
    non-public columns as whole cells, in another case, or inside longer text."""
    prep = ctx.prepared
    secret_set = prep.secret_set
    problems: list[Finding] = []
    for art in ctx.readable:
        found = [
            v for v in sorted(ctx.exact_matches(art, secret_set)) if not ctx.is_public_value(v)
        ]
        for v in found[:MAX_EXAMPLES]:
            problems.append(
                (
                    f"{art.name}: value of raw column {prep.secret_column(v)}: {short(v, 24)}",
                    art.name,
                    Sought(v),
                )
            )
    # whole values in another case ("12 Acacia Avenue" for "12 ACACIA AVENUE"); the
    # lower-case index of the raw values is built only when some output has cells to look up
    if len(ctx.haystack[0]) > scan.SMALL_SEARCH_LOOKUPS:
        _patterns_first(prep, "secret_lower")
    lower: Mapping[str, str] = {}
    proven = _no_lowered_secret(ctx)  # (then neither lookups nor searches can find one)
    if any(ctx.other_lower(a) for a in ctx.readable) and not proven:
        lower = prep.secret_lower_index  # (a few lookups build no dict)
    for art in ctx.readable if lower else ():
        found = ctx.lower_found(art, lower)
        if not found:
            continue
        cells = ctx.other_strings(art)
        exact = set(cells)
        values = [lower[k] for k in found if lower[k] not in exact]
        for value in [v for v in values if not ctx.is_public_value(v)][:MAX_EXAMPLES]:
            problems.append(
                (
                    f"{art.name}: value of raw column {prep.secret_column(value)} in another "
                    f"case: {short(value, 24)}",
                    art.name,
                    Sought(value, any_case=True),
                )
            )
    hay, _ = ctx.haystack
    # inside longer text, in any case (no output text to search: no need for the patterns;
    # a little text: its substrings are looked up, no index of the raw values is built)
    inside: list[tuple[str, str]] = []
    known: Mapping[str, str] = {}
    if len(hay) >= scan.MIN_PATTERN_BYTES and not proven:
        small: list[bool] = []

        def inside_secrets(h: bytes, limit: int) -> list[tuple[str, int]]:
            small.append(scan.small_enough(h, prep.secret_lower_lengths))
            if small[-1]:
                index = prep.secret_lower_index  # (a few lookups build no dict)
                return scan.find_in_small_haystack(
                    h,
                    index,
                    prep.secret_lower_lengths or [],
                    index,
                    _shorter_than_whole_word_limit,
                    limit=limit,
                )
            patterns = prep.secret_lower_patterns
            return [
                (patterns.values[i], pos)
                for i, pos in scan.find_substrings(h, patterns, limit=limit)
            ]

        def secret_values() -> list[str]:
            return [v for _col, part in prep.secret_parts for v in part]

        searched = _search_output(
            ctx, _lower, inside_secrets, 200, secret_values, lambda: prep.secret_lower_patterns
        )
        if searched is None:
            searched = [(k, ctx.artifact_at(p)) for k, p in inside_secrets(hay.lower(), 200)]
        inside = searched
        if inside:
            known = prep.secret_lower_index if small[-1] else prep.secret_lower
    for key, name in inside:
        value = known[key]
        if ctx.is_public_value(value):
            continue
        problems.append(
            (
                f"{name}: value of raw column "
                f"{prep.secret_column(value)} inside text: {short(value, 24)}",
                name,
                Sought(value, any_case=True),
            )
        )
    return _located(ctx, problems)


#: A finding as a check makes it: its text, the file it names, and what to look for there to
#: say where (None: a finding about the file as a whole, or with no file named)
Finding = tuple[str, str, Optional[Sought]]


def _located(ctx: GateContext, found: list[Finding]) -> list[str]:
    """The findings (each: its text, the file it names, the value it found), in order, those
    the check's report can show (the first MAX_EXAMPLES distinct ones in sorted order: any
    shown of both halves' is among them) ending with where in the file the value is
    (core.gate.locate: the file read again, searched for it). Only a failing gate comes
    here, so no passing gate pays for a position; each file is read again once."""
    if not found:
        return []
    shown = set(sorted({text for text, _name, _s in found})[:MAX_EXAMPLES])
    wanted: dict[str, dict[str, Sought]] = {}
    for text, name, sought in found:
        if text in shown and sought is not None:
            wanted.setdefault(name, {}).setdefault(text, sought)
    arts = {art.name: art for art in ctx.readable if art.name in wanted}
    ends: dict[str, str] = {}
    for name, by_text in wanted.items():
        art = arts.get(name)
        if art is None:
            continue
        places = locate(art.path, art.kind, list(by_text.values()), frame=art.frame)
        ends.update((text, p.text()) for text, p in zip(by_text, places))
    return [text + ends.get(text, "") for text, _name, _s in found]


def _always(_value: str) -> bool:
    return True


def _never(_value: str) -> bool:
    return False


def _shorter_than_whole_word_limit(value: str) -> bool:
    return len(value) < WHOLE_WORD_BELOW


def _free_text_fragments(ctx: GateContext) -> list[str]:
    """Runs of 6 words of raw free text (a notes field) anywhere in the output's prose: the
    output's word runs (public ones left out) that occur in the raw free text, reported in
    the order they occur there (the first MAX_EXAMPLES), as the old pattern search of the
    output's runs in the notes reported them (tests/test_gate_text_scale.py compares).

    Cost O(raw + output), whatever the number of neighbourhoods: every 6-word run of the
    output texts and of the raw notes is hashed in numpy (:func:`scan.word_runs`), the raw
    runs are streamed past the output's sorted hashes, and only a raw run whose hash some
    output run shares is compared as text, with the output runs that share it. (Searching
    the output's runs as patterns in the notes cost raw rows x neighbourhoods: templated
    runs such as "crime in <name> ..." share their first bytes by the thousand.) A bounded
    pattern match in the folded notes is exactly a run of 6 whole words of one value, which
    is what is compared here."""
    prep = ctx.prepared
    texts: dict[str, None] = {}
    distinct = ctx.distinct_other_strings()  # (the findings do not depend on the order)
    for art in ctx.readable:
        for text in (ctx.other_strings(art) if distinct is None else []) + art.texts:
            if text.count(" ") >= FRAGMENT_WORDS - 1:
                texts[text] = None
    for text in distinct or ():
        if text.count(" ") >= FRAGMENT_WORDS - 1:
            texts[text] = None
    public = prep.public_fragments
    if not texts:
        return []
    if (
        sum(map(len, texts)) <= _FEW_TEXT_CHARS
        and not _free_text_ready(prep)
        and not _runs_may_be_raw(prep, texts, public)
    ):
        # a little text (a GeoPackage's layer description, a style file) none of whose runs
        # can be in the raw notes: nothing can be found, so the notes are not folded for it
        # (once they are, for an earlier output of the release, the full search is the
        # cheaper: it looks each run up among the notes' hashes)
        return []
    raw_text, spans = prep.free_text
    if len(raw_text) < scan.MIN_PATTERN_BYTES:
        return []
    listed = list(texts)
    place = partial(_text_place, ctx)
    runs: list[tuple[str, str]] = []  # (file, run) of each finding: where it is, at the end
    if distinct is None:
        found = free_text_findings(
            listed, public, raw_text, spans, prep.free_text_hashes, place_of=place, found_runs=runs
        )
        return _runs_located(ctx, found, runs)
    # the output's hashes that raw runs have: an output run's hash is a raw run's exactly
    # when it is among them, so they stand in for the raw runs' sorted hashes below
    shared = _few_runs_shared(ctx, texts, prep)
    if shared is None:
        shared = prep.free_text_hashes
    elif shared.size == 0:
        return []  # (no output run's hash is a raw run's: free_text_findings finds nothing)
    holding = _texts_sharing_runs(ctx, texts, shared)
    if holding is not None:
        if not holding:
            return []
        listed = holding
    found = free_text_findings(
        listed, public, raw_text, spans, shared, place_of=place, found_runs=runs
    )
    if found:  # (a failing gate: found again in file order, to name the per-file path's file)
        runs.clear()
        found = free_text_findings(
            _in_file_order(ctx, listed),
            public,
            raw_text,
            spans,
            shared,
            place_of=place,
            found_runs=runs,
        )
    return _runs_located(ctx, found, runs)


def _in_file_order(ctx: GateContext, texts: list[str]) -> list[str]:
    """``texts`` in the order of the first file holding each (stable), as the per-file
    path lists them. Why: a run that several texts share ("... flat 19, neighbour heard
    glass" as written, in lower case, with a mark after it) is reported in the file of the
    first text that has it; the distinct strings come in a set's order, which changes with
    the process's string hashing, so a report named page-8 in one run and page-2 in the
    next (CI, stop 60). Only a failing gate pays for it: each file's strings once."""
    first: dict[str, int] = {}
    pending = set(texts)
    for i, art in enumerate(ctx.readable):
        if not pending:
            break
        held = pending.intersection(ctx.other_strings(art))
        held.update(pending.intersection(art.texts))
        first.update(dict.fromkeys(held, i))
        pending.difference_update(held)
    last = len(ctx.readable)
    return sorted(texts, key=lambda t: first.get(t, last))


def _runs_located(ctx: GateContext, found: list[str], runs: list[tuple[str, str]]) -> list[str]:
    """The free-text findings, each ending with where in its file the run is (_located)."""
    return _located(
        ctx, [(text, name, Sought(run, run=True)) for text, (name, run) in zip(found, runs)]
    )


def _text_place(ctx: GateContext, text: str) -> str:
    """The name of the first output file that holds ``text`` (one of its strings or texts),
    for a finding to say where a run was found, as the other findings do ("?": none, which
    cannot be: every text searched is one of theirs)."""
    for art in ctx.readable:
        if text in art.strings or text in art.texts or text in ctx.other_strings(art):
            return art.name  # (other_strings: a shown form too, "flat<ZWSP> 19" read as shown)
    return "?"


def _texts_sharing_runs(
    ctx: GateContext, texts: dict[str, None], raw_hashes: np.ndarray
) -> Optional[list[str]]:
    """The texts (in the order of ``texts``) some run of which has the hash of a raw run:
    free_text_findings gives for them exactly what it gives for all of ``texts``, since
    every output run it compares with the raw text shares a raw run's hash, and a run never
    spans two texts. An empty list: it would find nothing.

    Why: a national summaries folder whose top locations include a map point's name that a
    raw note also mentions ("... leaving 12 Leicester City Football Club Sports Area") shares
    a run with the raw notes; the direct search then folded and hashed all 56 MB of the
    folder's text again, and walked the raw notes, for that one page (some 2.4 s alone on
    the last core at work in a monthly release).

    The artifacts' texts (a summaries folder's page text: 51 MB, one template on 7,200
    pages) are taken as the ids of their segments in the check's segment index, folded and
    hashed once per distinct segment (scan.segmented_runs: the same run hashes as
    scan.word_runs of the folded texts); the other texts (strings) as free_text_findings
    takes them. Without the segment index (not built for this output), None: the direct
    path decides, over every text."""
    found = _output_runs(ctx, texts)
    if found is None:
        return None
    order, pieces = found
    table = _hash_table(raw_hashes) if raw_hashes.size > _FEW_HASHES else None
    holding = np.zeros(len(order), dtype=bool)
    for hashes, owners in pieces:
        shared = _runs_with_hashes(hashes, raw_hashes, table)
        if shared.size:
            holding[owners(shared)] = True
    kept = set(compress(order, holding.tolist()))
    return [t for t in texts if t in kept]


def _output_runs(
    ctx: GateContext, texts: dict[str, None]
) -> Optional[tuple[list[str], Iterator[scan.RunPiece]]]:
    """(``texts`` in the order the pieces number them, the hashes of every FRAGMENT_WORDS-word
    run of them as free_text_findings folds them, in pieces, each with its runs' texts): the
    artifacts' texts from their distinct segments, the other texts folded and hashed
    together. None without the output's segment index."""
    index = _SEGMENT_INDEX.get(ctx)
    if index is None:
        return None
    pages = {t: None for art in ctx.readable for t in art.texts if t in texts}
    rest = [t for t in texts if t not in pages]
    buf = fold_words_bytes("\x00".join(t.replace("\x00", " ") if "\x00" in t else t for t in rest))
    return list(pages) + rest, chain(
        _segment_runs(index, list(pages)), _joined_runs(buf, len(pages))
    )


def _joined_runs(buf: bytes, first: int) -> Iterator[scan.RunPiece]:
    """The runs of NUL-joined folded texts, the first of them text number ``first``: a run's
    text is the number of NULs before it (a run never holds one)."""
    nuls: Optional[np.ndarray] = None
    for starts, _ends, hashes in scan.iter_word_runs(buf, FRAGMENT_WORDS):
        if nuls is None:
            nuls = np.flatnonzero(np.frombuffer(buf, dtype=np.uint8) == 0)
        yield hashes, partial(_after_nuls, nuls, starts, first)


def _after_nuls(nuls: np.ndarray, starts: np.ndarray, first: int, places: np.ndarray) -> np.ndarray:
    return first + np.searchsorted(nuls, starts[places], side="right")


def _output_run_hashes(ctx: GateContext, texts: dict[str, None]) -> Optional[Iterator[np.ndarray]]:
    """:func:`_output_runs`' hashes alone (None without the output's segment index)."""
    found = _output_runs(ctx, texts)
    if found is None:
        return None
    return (hashes for hashes, _owners in found[1])


# output runs, at most, looked up while the raw runs are hashed (a web map's page, script
# and licence texts: some 6,000), rather than among the raw runs' sorted hashes
_FEW_OUTPUT_RUNS = 1 << 16
_FEW_TABLE_BITS = 20  # (a 1 MB table of the output hashes' top bits: stays in cache)


def _few_runs_shared(
    ctx: GateContext, texts: dict[str, None], prep: PreparedGate
) -> Optional[np.ndarray]:
    """The output's run hashes that some run of the raw notes has (sorted, distinct; empty:
    none), found by looking the raw runs' hashes up among the output's few distinct run
    hashes as the raw free text is hashed piece by piece, instead of the output's runs among
    the raw runs' sorted hashes (issue 12: a web map's some 6,000 runs against a national
    month's 4.3 million raw runs; the raw hashes' sort and merge, some 0.7 s, is skipped).
    An output run's hash is a raw run's exactly when it is one of these, so they stand in
    for the raw runs' sorted hashes in _texts_sharing_runs and free_text_findings (a web
    map naming a map point that a raw note mentions too no longer makes them: measured at
    the end of a national export, with the other core idle). None (the raw runs' sorted
    hashes are used) when they are made already (for an earlier output), without the
    segment index, or for many output runs (a summaries folder's 11 million)."""
    if _free_text_ready(prep):
        return None
    runs = _output_run_hashes(ctx, texts)
    if runs is None:
        return None
    pieces: list[np.ndarray] = []
    total = 0
    for piece in runs:
        total += piece.size
        if total > _FEW_OUTPUT_RUNS:
            return None
        pieces.append(piece)
    if not total:
        return np.zeros(0, dtype=np.uint64)
    out = np.unique(np.concatenate(pieces))
    shift = np.uint64(64 - _FEW_TABLE_BITS)
    table = np.zeros(1 << _FEW_TABLE_BITS, dtype=bool)
    table[(out >> shift).astype(np.intp)] = True
    found: list[np.ndarray] = []
    for _s, _e, hashes in scan.iter_word_runs(prep.free_text[0], FRAGMENT_WORDS):
        maybe = hashes[table[(hashes >> shift).astype(np.intp)]]
        if maybe.size:
            found.append(maybe[scan.member(maybe, out)])
    if not found:
        return np.zeros(0, dtype=np.uint64)
    return np.unique(np.concatenate(found))


def _segment_runs(index: scan.SegmentIndex, texts: list[str]) -> Iterator[scan.RunPiece]:
    """The hashes of every FRAGMENT_WORDS-word run of ``texts`` as free_text_findings folds
    them (a NUL inside a text a space), from the texts' distinct segments in ``index``, each
    piece with its runs' texts (places in ``texts``)."""
    ids = [index.ids(t) for t in texts]
    if not ids:
        return iter(())
    wanted = np.zeros(len(index.segments), dtype=bool)
    for one in ids:
        wanted[one] = True
    local = np.cumsum(wanted) - 1  # (an id's place among the segments used)
    segments = [index.segments[i] for i in np.flatnonzero(wanted).tolist()]
    joined = "\x00".join(s.replace("\x00", " ") if "\x00" in s else s for s in segments)
    return scan.segmented_runs(
        fold_words_bytes(joined), [local[one] for one in ids], FRAGMENT_WORDS
    )


_FEW_TEXT_CHARS = 100_000  # (a style file of many categories: 20 KB of text)
# runs of a little text, at most, for the words to be looked for (a web map's page, script and
# licence texts: 72 KB, 5,675 runs, would rarely all be ruled out: the full search decides)
_FEW_RUNS = 2_000
# words of a little text not in the raw notes that are looked for one by one (a ``find`` over
# a national month's notes each: 25 ms idle, 70-120 ms loaded); the rest of the words are
# then looked up together in one pass (:func:`_present_words`). The style QGIS writes has 374
# runs over 132 words, ruled out by 21 missing words (21 finds, 0.5 s) where one pass of
# _present_words costs about 0.3 s; a text ruled out by one or two words stays at its finds.
_FEW_RUN_SCANS = 2


def _free_text_ready(prep: PreparedGate) -> bool:
    """Whether the raw notes are already folded and their runs hashed (for an earlier output of
    the release, or the base preparation of a release's gate that lends them): then the full
    search costs the output's own runs only."""
    base = prep._base
    owner = base if base is not None and prep._base_parts else prep
    return "free_text_hashes" in owner.__dict__


def _runs_may_be_raw(prep: PreparedGate, texts: Iterable[str], public: Collection[str]) -> bool:
    """False only when no output run can be a finding of :func:`free_text_findings`.

    A finding is a run that :func:`fragments_of` gives for one of ``texts`` (one of the
    text's folded 6-word runs that passes fragments_of's tests), is not a public value's
    run, and is a run of the folded raw notes; so each of its words is a maximal run of
    ASCII letters and digits in the lower-cased UTF-8 bytes of a raw free-text value: a
    whole word of :func:`_raw_free_text_words`, where it is found with a space on both
    sides, and a run with a word that is not there is ruled out. The words are looked for
    with a ``find`` in C over the joined values (no folding, hashing or runs of the 50 MB
    of notes for a style file), the word in most runs not yet ruled out first, and after
    _FEW_RUN_SCANS missing words the words still open all at once (:func:`_present_words`,
    the same answer as a find each). True (search as before) when some run's words are all
    there.

    Why whole words, not any place in the notes: a public GeoPackage's SQLite trigger text
    ("CREATE TRIGGER ... AFTER UPDATE OF ... ON ...") has runs whose every word is inside
    some word of a national month's notes ("in", "id", "or"), so it was never ruled out and
    the notes were folded and their 4.3 million runs hashed and sorted (some 1.2 s CPU) to
    find nothing. (The triggers this tool's own writer makes are no longer texts at all:
    output_reader._schema_texts; another writer's still come here.)"""
    runs = {run for text in texts for run in fragments_of(text) if run not in public}
    if not runs:
        return False
    if len(runs) > _FEW_RUNS:
        return True  # (too many to rule out within the passes: search as before)
    open_runs = [set(run.split(" ")) for run in runs]
    raw: Optional[bytes] = None
    passes = 0
    while passes < _FEW_RUN_SCANS:  # (each word is looked for once: the loop ends)
        counts: dict[str, int] = {}
        for words in open_runs:
            for word in words:
                counts[word] = counts.get(word, 0) + 1
        word = max(counts, key=lambda w: (counts[w], len(w), w))
        if raw is None:
            raw = _raw_free_text_words(prep)
        if f" {word} ".encode("ascii") in raw:
            for words in open_runs:
                words.discard(word)  # (there: no longer rules a run out)
            if any(not words for words in open_runs):
                return True  # every word of some run is there
        else:
            passes += 1
            open_runs = [words for words in open_runs if word not in words]
            if not open_runs:
                return False
    # the words still open, all looked up in one pass: a run may be raw when all are there
    if raw is None:
        raw = _raw_free_text_words(prep)
    present = _present_words(raw, {f" {word} " for words in open_runs for word in words})
    return any(all(f" {word} " in present for word in words) for words in open_runs)


def _raw_free_text_words(prep: PreparedGate) -> bytes:
    """Every extra_* value, the short ones too (more text can only hold more words), NUL-
    joined, encoded and lowered as fold_words_bytes does before its translate, and every
    byte that is not a word byte (an ASCII digit or lower-case letter) a space, a space
    before and after it all: a word of the folded notes is there with a space either side.
    (fold_words_bytes keeps the same word bytes; its single spaces and NULs between words
    are runs of spaces here.)"""
    values = [""]  # (a NUL first and last: the spaces at either end, with no copy)
    for col, part in prep.secret_parts:
        if col.startswith(EXTRA_PREFIX):
            values += part
    values.append("")
    return "\x00".join(values).encode("utf-8", errors="replace").translate(_LOWER_WORDS_SPACED)


# bytes.lower() of each byte, then every byte but ASCII digits and lower-case letters a space
_LOWER_WORDS_SPACED = bytes(
    b if (48 <= b <= 57 or 97 <= b <= 122) else 32 for b in bytes(range(256)).lower()
)


_PRESENT_CHUNK = 1 << 20  # 4-byte windows hashed at a time (their arrays stay in cache)
_PRESENT_MULT = np.uint32(2654435761)  # (Knuth's multiplicative hash: the top 16 bits kept)


def _present_words(raw: bytes, words: Iterable[str]) -> set[str]:
    """The ``words`` (ASCII) that occur in ``raw``: exactly those for which
    ``word.encode("ascii") in raw`` holds, looked up together.

    A ``find`` per word costs a pass over the raw notes (46 MB nationally) for each word not
    there; here every 4-byte window of ``raw`` is hashed once (numpy, in chunks) and looked up
    in a table of the words' first 4 bytes, and only the windows that pass are compared with
    the words' first 4 bytes, then their later bytes, 4 at a time (the last 4 bytes of the
    word last), so a word is found only where all its bytes are. Words shorter than 4 bytes
    are looked for with a find (a short word is nearly always there, found early)."""
    found: set[str] = set()
    long: list[tuple[str, bytes]] = []
    for word in words:
        pattern = word.encode("ascii")
        if len(pattern) < 4 or len(raw) < 4:
            if pattern in raw:
                found.add(word)
        else:
            long.append((word, pattern))
    if not long:
        return found
    keys = np.array([int.from_bytes(p[:4], "little") for _w, p in long], dtype=np.uint32)
    table = np.zeros(1 << 16, dtype=bool)
    table[(keys * _PRESENT_MULT) >> np.uint32(16)] = True
    windows: np.ndarray = np.ndarray(
        shape=(len(raw) - 3,), dtype="<u4", buffer=raw, strides=(1,)
    )  # (the 4 bytes from each offset, little-endian)
    hits = []
    for lo in range(0, windows.size, _PRESENT_CHUNK):
        hashed = windows[lo : lo + _PRESENT_CHUNK] * _PRESENT_MULT
        hashed >>= np.uint32(16)
        hits.append(np.flatnonzero(table[hashed]) + lo)
    at = np.concatenate(hits)
    heads = windows[at]
    by_head = np.argsort(heads, kind="stable")
    sorted_heads = heads[by_head]
    for (word, pattern), key in zip(long, keys.tolist()):
        lo = int(np.searchsorted(sorted_heads, key, side="left"))
        hi = int(np.searchsorted(sorted_heads, key, side="right"))
        starts = at[by_head[lo:hi]]
        starts = starts[starts <= len(raw) - len(pattern)]  # (the whole word fits)
        for k in list(range(4, len(pattern) - 3, 4)) + [len(pattern) - 4]:
            if starts.size == 0:
                break
            part = int.from_bytes(pattern[k : k + 4], "little")
            starts = starts[windows[starts + k] == part]
        if starts.size:
            found.add(word)
    return found


def free_text_findings(
    texts: list[str],
    public: Collection[str],
    raw_text: bytes,
    spans: list[tuple[int, str]],
    raw_hashes: Optional[np.ndarray] = None,
    place_of: Optional[Callable[[str], str]] = None,
    found_runs: Optional[list[tuple[str, str]]] = None,
) -> list[str]:
    """The free-text findings of :func:`_free_text_fragments`: ``texts`` (each with 5+
    spaces), the public values' runs, the folded raw free text and its column spans;
    ``raw_hashes``: :func:`raw_run_hashes` of the raw text (computed when not given);
    ``place_of``: where a text of ``texts`` is (its file), named first in each finding
    about a run of it (the raw column alone does not tell an analyst what to fix);
    ``found_runs``: given, (that file, the whole run) is appended to it for each finding,
    in order (for core.gate.locate to say where in the file the run is).

    Only the output runs whose hash some raw run has are kept (usually none: then the raw
    text is not walked at all), so neither the output's 11 million runs of a national
    summaries folder are sorted nor the raw runs streamed past them. A raw run is only ever
    compared with output runs of its own hash, all of which are kept, so the findings and
    their order are unchanged."""
    listed = texts
    # each text folded as words_of folds it (a NUL inside a text is a space there), the
    # texts NUL-separated so no run spans two of them
    out_buf = fold_words_bytes(
        "\x00".join(t.replace("\x00", " ") if "\x00" in t else t for t in listed)
    )
    out_starts, out_ends, out_hashes = scan.word_runs(out_buf, FRAGMENT_WORDS)
    if out_hashes.size == 0:
        return []
    if raw_hashes is None:
        raw_hashes = raw_run_hashes(raw_text)
    shared = _runs_with_hashes(out_hashes, raw_hashes)
    if shared.size == 0:
        return []
    out_starts, out_ends, out_hashes = out_starts[shared], out_ends[shared], out_hashes[shared]
    # a raw run is reported only when it is one of these runs and that run is neither a
    # public value's run nor one fragments_of drops: only such runs are looked for, and with
    # none (a map point's name that a raw note mentions too) the raw text is not walked
    findable = _findable_runs(out_buf, out_starts, out_ends, public)
    if not findable.any():
        return []
    out_starts, out_ends = out_starts[findable], out_ends[findable]
    out_hashes = out_hashes[findable]
    by_hash = np.argsort(out_hashes, kind="stable")
    sorted_hashes = out_hashes[by_hash]
    distinct = np.unique(sorted_hashes)
    # hash -> the output's runs with it (hash matches only), each at its first start
    runs_of: dict[int, dict[bytes, int]] = {}
    nuls: Optional[np.ndarray] = None  # (where texts meet in out_buf: found for a finding)
    problems: list[str] = []
    for starts, ends, hashes in scan.iter_word_runs(raw_text, FRAGMENT_WORDS):
        # (few distinct hashes: the raw runs are looked up unsorted, no argsort per piece)
        for k in np.flatnonzero(scan.member_sorted_queries(hashes, distinct)).tolist():
            h = int(hashes[k])
            pos = int(starts[k])
            run = raw_text[pos : int(ends[k])]
            same = runs_of.get(h)
            if same is None:
                lo = int(np.searchsorted(sorted_hashes, hashes[k], side="left"))
                hi = int(np.searchsorted(sorted_hashes, hashes[k], side="right"))
                same = runs_of[h] = {}
                for s, e in zip(
                    out_starts[by_hash[lo:hi]].tolist(), out_ends[by_hash[lo:hi]].tolist()
                ):
                    same.setdefault(out_buf[s:e], s)
            at = same.get(run)
            if at is None:
                continue  # another run with the same hash
            text = run.decode("ascii")  # (one of the findable runs: a leak, see above)
            column = spans[0][1] if spans else "?"
            for start, name in spans:
                if start <= pos:
                    column = name
            found = f"a run of words from raw column {column} appears: {short(text, 32)}"
            name = ""
            if place_of is not None:
                if nuls is None:
                    nuls = np.flatnonzero(np.frombuffer(out_buf, dtype=np.uint8) == 0)
                name = place_of(listed[int(np.searchsorted(nuls, at))])
                found = f"{name}: {found}"
            problems.append(found)
            if found_runs is not None:
                found_runs.append((name, text))
            if len(problems) >= MAX_EXAMPLES:
                return problems
    return problems


def _findable_runs(
    buf: bytes, starts: np.ndarray, ends: np.ndarray, public: Collection[str]
) -> np.ndarray:
    """Per run of the folded output ``buf`` (ASCII): whether a raw run equal to it is a leak
    (each distinct run tested once): a fragment (fragments_of keeps it: its length, words
    with letters) that is not a public value's run."""
    verdicts: dict[bytes, bool] = {}
    flags = []
    for start, end in zip(starts.tolist(), ends.tolist()):
        run = buf[start:end]
        verdict = verdicts.get(run)
        if verdict is None:
            text = run.decode("ascii")
            verdict = verdicts[run] = text not in public and fragments_of(text) == [text]
        flags.append(verdict)
    return np.array(flags, dtype=bool)


# what every scan.PHONE match holds: 9 digits, each but the last followed by at most one
# whitespace or hyphen (scan.PHONE's own "+44" and "(0" are digit literals, so it is not
# tested on digit-masked text itself; this is)
_PHONE_DIGITS = re.compile(r"\d(?:[\s-]?\d){8}")


_HASH_TABLE_BITS = 25  # a 32 MB table of the raw hashes' top bits (2 million: 6% full)
# a sorted set of hashes this small (the output's hashes shared with raw runs: a few) is
# searched directly; the table is for the raw runs' millions
_FEW_HASHES = 1 << 12


def _runs_with_hashes(
    hashes: np.ndarray, sorted_set: np.ndarray, table: Optional[np.ndarray] = None
) -> np.ndarray:
    """Indices of ``hashes`` that are in ``sorted_set`` (ascending): a table of the set's top
    bits rules out nearly all first, so millions of output runs need no sort. ``table``:
    :func:`_hash_table` of ``sorted_set``, when made once for several calls."""
    if sorted_set.size == 0 or hashes.size == 0:
        return np.zeros(0, dtype=np.intp)
    if hashes.size <= 1 << 16 or (table is None and sorted_set.size <= _FEW_HASHES):
        return np.flatnonzero(scan.member(hashes, sorted_set))
    if table is None:
        table = _hash_table(sorted_set)
    shift = np.uint64(64 - _HASH_TABLE_BITS)
    maybe = np.flatnonzero(table[(hashes >> shift).astype(np.intp)])
    return maybe[scan.member(hashes[maybe], sorted_set)]


def _hash_table(sorted_set: np.ndarray) -> np.ndarray:
    """Which values of the top _HASH_TABLE_BITS bits some hash of ``sorted_set`` has."""
    table = np.zeros(1 << _HASH_TABLE_BITS, dtype=bool)
    table[(sorted_set >> np.uint64(64 - _HASH_TABLE_BITS)).astype(np.intp)] = True
    return table


def _contact_candidates(segments: list[str]) -> list[bool]:
    flags = ["@" in s for s in segments]  # scan.EMAIL needs an @
    for i in scan.matches_by_segment(segments, _PHONE_DIGITS):
        flags[i] = True
    return flags


def _contact_flags(segments: list[str]) -> list[bool]:
    """Per segment: whether the phone or the e-mail pattern matches in it (scanned only where
    an @ or 9 chained digits are, digit-masked: scan.digit_masked_hits)."""
    candidates = scan.digit_masked_hits(segments, _contact_candidates)
    return scan.scan_candidates(segments, _contact_flags_direct, candidates, False)


def _contact_flags_direct(segments: list[str]) -> list[bool]:
    flags = [False] * len(segments)
    for pattern in (scan.PHONE, scan.EMAIL):
        for i in scan.matches_by_segment(segments, pattern):
            flags[i] = True
    return flags


def check_no_contact_details(ctx: GateContext) -> GateCheck:
    problems: list[Finding] = []
    allowed = ctx.prepared.extra_public | ctx.team_texts
    index = _segments(ctx)
    index.prepare(
        "contacts",
        _contact_flags,
        [t for art in ctx.readable for t in [ctx.joined_strings(art)] + art.texts],
    )
    for art in ctx.readable:
        for text in [ctx.joined_strings(art)] + art.texts:
            if not index.found(text, "contacts", _contact_flags):
                continue  # no phone or e-mail pattern matches anywhere in it
            for kind, found in scan.find_contacts(text, limit=MAX_EXAMPLES, allowed=allowed):
                problems.append((f"{art.name}: {kind} {short(found, 24)}", art.name, Sought(found)))
        if len(problems) >= MAX_EXAMPLES:
            break
    return _verdict(
        "no_contact_details",
        _located(ctx, problems),
        "no phone number or e-mail address appears",
        "phone numbers or e-mail addresses appear",
        ctx,
    )


def check_locations_are_anonymous(ctx: GateContext) -> GateCheck:
    """The disclosure checks an output can be held to (core/release/disclosure.py): raw
    locations published as points, hexagon fallback cells under the minimum, map points
    used with a catchment below K, and "On or near" labels that are addresses."""
    prep = ctx.prepared
    problems: list[Finding] = []
    keys = [ctx.output_unique_keys(n)[0] for n in range(len(ctx.output_coords))]
    out_keys = np.unique(np.concatenate(keys)) if keys else np.zeros(0, dtype=np.int64)
    located = prep.raw_released_keys[1]
    if out_keys.size and located:
        published = int(scan.member_sorted_queries(prep.raw_released_sorted, out_keys).sum())
        allowed = int(
            GATE_COINCIDENT_SHARE * located
            + 3.0 * np.sqrt(max(GATE_COINCIDENT_SHARE * located, 1.0))
            + 2.0
        )
        if published > allowed:
            problems.append(
                (
                    f"{published:,} of {located:,} located raw crimes "
                    f"({published / located:.0%}) are published at their true location (to "
                    f"about a metre; an honest release: under {GATE_COINCIDENT_SHARE:.0%}): "
                    "the map points are not anonymous",
                    "",
                    None,  # (the output as a whole)
                )
            )
    points = ctx.points
    if out_keys.size and len(points):
        used = prep.points_used(out_keys)
        source = np.asarray(points.source, dtype=object)
        if (used & (source == disclosure.SOURCE_HEXAGON)).any():
            finding = disclosure.check_hexagon_size(prep.hexagon_size)
            if finding:
                problems.append((finding.message, "", None))
        addresses = np.asarray(points.addresses, dtype=np.int64)
        small = used & (addresses > 0) & (addresses < prep.min_addresses)
        if small.any():
            problems.append(
                (
                    f"{int(small.sum()):,} map point(s) published have a catchment of 1 to "
                    f"{prep.min_addresses - 1} addresses (police.uk: at least "
                    f"{prep.min_addresses} or none)",
                    "",
                    None,
                )
            )
    # (a file's segments are among those of every file's distinct strings, and whether a
    # segment is an address label depends on it alone: when no distinct segment is one, no
    # file has one, and no file's strings are joined and lowered)
    distinct = ctx.distinct_strings()
    labelled = distinct is None or any(
        _address_label(s) is not None for s in _location_segments(distinct)
    )
    for art in ctx.readable if labelled else ():
        # (the least of a file's address labels, not the first its strings' set order gives:
        # that order follows the process's string hashing, and the report must not)
        found = [
            (segment, label)
            for segment in _location_segments(ctx.non_hex_strings(art))
            for label in [_address_label(segment)]
            if label is not None
        ]
        if found:
            segment, label = min(found)
            problems.append(
                (
                    f"{art.name}: an address, not a street, as a location: "
                    f"{short(LOCATION_PREFIX + ' ' + label, 32)}",
                    art.name,
                    Sought(segment),
                )
            )
    return _verdict(
        "locations_are_anonymous",
        _located(ctx, problems),
        "published locations are anonymous: no coincidence with true locations beyond chance, "
        "no undersized hexagon fallback, no catchment below K, no house-number labels",
        "published locations are not anonymous",
        ctx,
    )


# "On or near " and a label that starts like a house or flat number (candidates only: the
# disclosure module decides)
_ADDRESS_LOCATION = re.compile(
    r"(?:^|(?<=\x00))On or near +(?=\d|(?:flat|apartment|apt|unit|room|suite|maisonette|no)"
    r"\.?\s*\d)",
    re.IGNORECASE,
)
GATE_COINCIDENT_SHARE = 0.05  # calibrated: at most 0.72% in the 41 real months
_LOCATION_HEAD = ascii_lower(LOCATION_PREFIX)


def _address_label(segment: str) -> Optional[str]:
    """The label of an "On or near" segment when it is an address (disclosure's test)."""
    m = _ADDRESS_LOCATION.match(segment)
    if m is None:
        return None
    label = segment[m.end() :]
    return label if disclosure.is_address_label(label) else None


def _location_segments(strings: Iterable[str]) -> list[str]:
    """The NUL-separated segments of the joined strings (in their order) that start with
    "On or near" in any ASCII case: the only places :data:`_ADDRESS_LOCATION` can match
    (it is anchored at a segment start, and the letters of "on or near" have no non-ASCII
    case partners under re.IGNORECASE). Found with str.find on an ASCII-lowered copy, not a
    regex tried at every position of 30 MB of Crime IDs."""
    joined = "\x00".join(strings)
    lowered = ascii_lower(joined)
    starts = [0] if lowered.startswith(_LOCATION_HEAD) else []
    needle = "\x00" + _LOCATION_HEAD
    at = lowered.find(needle)
    while at >= 0:
        starts.append(at + 1)
        at = lowered.find(needle, at + 1)
    out = []
    for start in starts:
        end = joined.find("\x00", start)
        out.append(joined[start : end if end >= 0 else len(joined)])
    return out


@dataclass(frozen=True)
class CheckParts:
    """A check as two independent halves of its findings and the report made of them all
    (the findings are sorted there, so their order does not matter): what lets
    core.gate.checks_beside run one check's halves in two processes."""

    whole: Callable[[GateContext], GateCheck]  # the check's function (in CHECKS)
    first: Callable[[GateContext], list[str]]
    last: Callable[[GateContext], list[str]]
    verdict: Callable[[GateContext, list[str]], GateCheck]


#: The checks made of parts (each the same report as its function in CHECKS).
SPLIT_CHECKS: dict[str, CheckParts] = {
    "no_non_public_values": CheckParts(
        check_no_non_public_values,
        _non_public_values_found,
        _free_text_fragments,
        _non_public_verdict,
    ),
}

CHECKS: tuple[tuple[str, Callable[[GateContext], GateCheck]], ...] = (
    ("public_schema", check_public_schema),
    ("coordinates_are_map_points", check_coordinates_are_map_points),
    ("no_raw_coordinates", check_no_raw_coordinates),
    ("no_dates_finer_than_month", check_no_dates_finer_than_month),
    ("no_source_references", check_no_source_references),
    ("no_non_public_values", check_no_non_public_values),
    ("no_contact_details", check_no_contact_details),
    ("locations_are_anonymous", check_locations_are_anonymous),
)
