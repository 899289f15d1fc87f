"""The six leak-gate checks. Each takes the shared GateContext and returns a GateCheck; any
exception is turned into a failed check by leak_gate.check_release (fail closed).
"""

from __future__ import annotations

import re
from typing import Callable

import numpy as np

from ..release.public_schema import PUBLIC_COLUMNS
from . import scan
from .context import (
    HEX_LENGTHS,
    MAX_EXAMPLES,
    GateCheck,
    GateContext,
    PreparedGate,
    short,
)
from .output_reader import Artifact


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
                problems.append(f"{art.name} ({schema.where}): " + "; ".join(what))
    return _verdict(
        "public_schema",
        problems,
        f"{tables} crime table(s) have exactly the police.uk street columns (tables without "
        "Crime ID/Longitude/Latitude columns in a folder or GeoPackage are summaries)",
        f"{len(problems)} crime table(s) do not have exactly the public columns "
        f"({', '.join(PUBLIC_COLUMNS)})",
        ctx,
    )


def check_coordinates_are_map_points(ctx: GateContext) -> GateCheck:
    problems = []
    total = 0
    for n, (art, lon, lat, (labels, where)) in enumerate(ctx.output_coords):
        total += lon.size
        keys = ctx.output_keys(n)
        bad = np.flatnonzero(~scan.member(keys, ctx.allowed_keys))
        for i in bad[:MAX_EXAMPLES].tolist():
            problems.append(f"{art.name}: ({lon[i]:.6f}, {lat[i]:.6f}) in {labels[where[i]]}")
        if bad.size > MAX_EXAMPLES:
            problems.append(f"{art.name}: {bad.size} coordinates in all are not map points")
    for art in ctx.readable:
        problems.extend(f"{art.name}: {b}" for b in art.bad_coordinates[:MAX_EXAMPLES])
    return _verdict(
        "coordinates_are_map_points",
        problems,
        f"all {total} coordinates are map points (compared at 5 decimal places)",
        "coordinates that are not map points were found",
        ctx,
    )


def check_no_raw_coordinates(ctx: GateContext) -> GateCheck:
    problems: list[str] = []
    prep = ctx.prepared
    leak = ~ctx.raw_is_point
    raw_keys = prep.raw_coordinate_keys
    for n, (art, olon, olat, (labels, where)) in enumerate(ctx.output_coords):
        hit = np.flatnonzero(scan.member(ctx.output_keys(n), raw_keys))
        for i in hit[:MAX_EXAMPLES].tolist():
            problems.append(
                f"{art.name}: raw WGS84 coordinate ({olon[i]:.5f}, {olat[i]:.5f}) "
                f"in {labels[where[i]]}"
            )
    # projected source coordinates, to the metre (both easting and northing in one file)
    projected = prep.raw_projected
    if projected is not None and projected[0].size:
        sx, sy, fx, cx, fy, cy = projected
        for art in ctx.readable:
            numbers = _metre_numbers(ctx, art)
            if numbers.size == 0:
                continue
            hx = scan.member(fx, numbers) | scan.member(cx, numbers)
            hy = scan.member(fy, numbers) | scan.member(cy, numbers)
            for i in np.flatnonzero(hx & hy)[:MAX_EXAMPLES].tolist():
                problems.append(
                    f"{art.name}: raw projected coordinate "
                    f"({sx[i]:.0f}, {sy[i]:.0f}) appears to the metre"
                )
    return _verdict(
        "no_raw_coordinates",
        problems,
        f"no raw coordinate of the {int(leak.sum())} crimes not already at a map point appears "
        "(WGS84 at 5 dp; projected source coordinates to the metre)",
        "raw crime coordinates appear in the output",
        ctx,
    )


def _metre_numbers(ctx: GateContext, art: Artifact) -> np.ndarray:
    parts = [scan.metre_numbers(t) for t in ctx._texts(art)]
    parts.append(scan.metre_candidates(np.asarray(art.numbers, dtype=np.float64)))
    for x, y, _crs in art.projected:
        parts.append(scan.metre_candidates(x))
        parts.append(scan.metre_candidates(y))
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


def check_no_dates_finer_than_month(ctx: GateContext) -> GateCheck:
    problems: list[str] = []
    for art in ctx.readable:
        for text, times in (
            [(ctx.joined_strings(art), True)]
            + [(t, True) for t in art.texts]
            + [(c, False) for c in art.code]
        ):
            for kind, found in scan.find_dates(text, with_times=times, limit=MAX_EXAMPLES):
                problems.append(f"{art.name}: {kind} {found!r}")
            if len(problems) >= MAX_EXAMPLES:
                break
    problems.extend(_raw_timestamps(ctx))
    return _verdict(
        "no_dates_finer_than_month",
        problems,
        "no date finer than a month, no time of day and no raw timestamp appears",
        "dates or times finer than a month appear",
        ctx,
    )


def _raw_timestamps(ctx: GateContext) -> list[str]:
    """Raw occurred_at values written as bare numbers: epoch seconds/ms, yyyymmdd(HHMM(SS)),
    ddmmyyyy. (Separated forms are caught by the date and time patterns.)"""
    forms = ctx.prepared.timestamp_forms
    if forms.size == 0:
        return []
    problems = []
    for art in ctx.readable:
        found = []
        for text in ctx._texts(art):
            found.extend(int(t) for t in re.findall(r"(?<![\w.])\d{7,14}(?![\w.]|\.\d)", text))
        found.extend(int(v) for v in art.numbers if float(v).is_integer() and v >= 1e6)
        if not found:
            continue
        hit = np.asarray(found, dtype=np.int64)
        hit = hit[np.isin(hit, forms)]
        for v in hit[:MAX_EXAMPLES].tolist():
            problems.append(f"{art.name}: raw date/time written as the number {v}")
    return problems


def check_no_source_references(ctx: GateContext) -> GateCheck:
    problems: list[str] = []
    prep = ctx.prepared
    refs = prep.references
    ref_set = prep.reference_set
    # exact values
    for art in ctx.readable:
        for s in sorted(ctx.exact_strings(art) & ref_set)[:MAX_EXAMPLES]:
            problems.append(f"{art.name}: source reference {short(s, 24)}")
    # hex tokens (whole hex strings and hex words in text), each reported for the first
    # artifact that shows it: compared as digest bytes with numpy, not as 500,000 strings
    reported: set[str] = set()
    for art in ctx.readable:
        tokens = list(ctx.hex_strings(art))
        for text in ctx._texts(art):
            tokens.extend(scan.HEX_TOKEN.findall(text))
        if not tokens:
            continue
        if prep.hex_references:
            for token in sorted({t.lower() for t in tokens} & prep.hex_references.keys()):
                if ("ref", token) not in reported:
                    reported.add(("ref", token))
                    problems.append(
                        f"{art.name}: source reference {short(prep.hex_references[token], 24)}"
                    )
        for length in sorted({len(t) for t in tokens}):
            algo = HEX_LENGTHS[length]
            same = [t for t in tokens if len(t) == length]
            for token, ref_i in _digest_matches(prep, same, length):
                if (algo, token) in reported:
                    continue
                reported.add((algo, token))
                problems.append(
                    f"{art.name}: unsalted {algo} of source reference {short(refs[ref_i], 24)}"
                )
    # references inside longer text
    hay, _ = ctx.haystack
    patterns = prep.reference_patterns if len(hay) >= scan.MIN_PATTERN_BYTES else None
    if patterns is not None and len(patterns):
        for i, pos in scan.find_substrings(hay, patterns, limit=MAX_EXAMPLES):
            problems.append(
                f"{ctx.artifact_at(pos)}: source reference "
                f"{short(patterns.values[i], 24)} inside text"
            )
    return _verdict(
        "no_source_references",
        problems,
        f"none of {len(refs)} source references, nor their unsalted md5/sha1/sha256, appears",
        "source references (or their unsalted hashes) appear",
        ctx,
    )


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
    prep = ctx.prepared
    columns = prep.secret_columns
    secret_set = prep.secret_set
    problems: list[str] = []
    for art in ctx.readable:
        found = [
            v for v in sorted(ctx.exact_strings(art) & secret_set) if not ctx.is_public_value(v)
        ]
        for v in found[:MAX_EXAMPLES]:
            problems.append(
                f"{art.name}: value of raw column {prep.secret_column(v)}: {short(v, 24)}"
            )
    hay, _ = ctx.haystack
    # (no output text to search: no need to prepare the patterns)
    patterns = prep.secret_patterns if len(hay) >= scan.MIN_PATTERN_BYTES else None
    if patterns is not None and len(patterns):
        for i, pos in scan.find_substrings(hay, patterns, limit=200):
            value = patterns.values[i]
            if ctx.is_public_value(value):
                continue
            problems.append(
                f"{ctx.artifact_at(pos)}: value of raw column "
                f"{prep.secret_column(value)} inside text: {short(value, 24)}"
            )
    return _verdict(
        "no_non_public_values",
        problems,
        f"no value of the non-public raw columns ({', '.join(columns) or 'none'}; "
        f"{prep.secret_count} distinct values) appears",
        "values of non-public raw columns appear",
        ctx,
    )


CHECKS: tuple[tuple[str, Callable[[GateContext], GateCheck]], ...] = (
    ("public_schema", check_public_schema),
    ("coordinates_are_map_points", check_coordinates_are_map_points),
    ("no_raw_coordinates", check_no_raw_coordinates),
    ("no_dates_finer_than_month", check_no_dates_finer_than_month),
    ("no_source_references", check_no_source_references),
    ("no_non_public_values", check_no_non_public_values),
)
