"""The six leak-gate checks. Each takes the shared GateContext and returns a GateCheck; any
exception is turned into a failed check by leak_gate.check_release (fail closed).
"""

from __future__ import annotations

import hashlib
import re
from typing import Callable

import numpy as np
import pandas as pd

from . import leak_gate_scan as scan
from .leak_gate_context import (
    _HEX_LENGTHS,
    _MONTH,
    _PURE_NUMBER,
    LOCATION_PREFIX,
    MAX_EXAMPLES,
    MIN_REFERENCE_SUBSTRING,
    MIN_SUBSTRING_CHARS,
    MIN_VALUE_CHARS,
    NON_PUBLIC_COLUMNS,
    PROJECTED_SOURCE_CRS,
    WHOLE_WORD_BELOW,
    GateCheck,
    GateContext,
    raw_text_values,
    short,
)
from .public_schema import PUBLIC_COLUMNS
from .release_reader import Artifact
from .schema import EXTRA_PREFIX


# --- checks ------------------------------------------------------------------------------------
def _unproven(ctx: GateContext) -> list[str]:
    return [f"{a.name}: {a.error}" for a in ctx.errors]


def _verdict(name: str, problems: list[str], ok_detail: str, fail_detail: str,
             ctx: GateContext) -> GateCheck:
    unproven = _unproven(ctx)
    problems = sorted(set(problems))  # deterministic, whatever order sets gave them in
    if not problems and not unproven:
        return GateCheck(name, True, ok_detail, [])
    parts = []
    if problems:
        parts.append(f"{fail_detail} ({len(problems)} finding(s))")
    if unproven:
        parts.append(f"{len(unproven)} file(s) cannot be checked (unknown type or unreadable), "
                     "so nothing about them is proven")
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
        "public_schema", problems,
        f"{tables} crime table(s) have exactly the police.uk street columns (tables without "
        "Crime ID/Longitude/Latitude columns in a folder or GeoPackage are summaries)",
        f"{len(problems)} crime table(s) do not have exactly the public columns "
        f"({', '.join(PUBLIC_COLUMNS)})", ctx)


def check_coordinates_are_map_points(ctx: GateContext) -> GateCheck:
    problems = []
    total = 0
    for art, lon, lat, (labels, where) in ctx.output_coords:
        total += lon.size
        keys = scan.coordinate_keys(lon, lat)
        bad = np.flatnonzero(~scan.member(keys, ctx.allowed_keys))
        for i in bad[:MAX_EXAMPLES].tolist():
            problems.append(f"{art.name}: ({lon[i]:.6f}, {lat[i]:.6f}) in {labels[where[i]]}")
        if bad.size > MAX_EXAMPLES:
            problems.append(f"{art.name}: {bad.size} coordinates in all are not map points")
    for art in ctx.readable:
        problems.extend(f"{art.name}: {b}" for b in art.bad_coordinates[:MAX_EXAMPLES])
    return _verdict(
        "coordinates_are_map_points", problems,
        f"all {total} coordinates are map points (compared at 5 decimal places)",
        "coordinates that are not map points were found", ctx)


def check_no_raw_coordinates(ctx: GateContext) -> GateCheck:
    problems: list[str] = []
    leak = ~ctx.raw_is_point
    lon, lat = ctx.raw_float("longitude"), ctx.raw_float("latitude")
    ok = leak & np.isfinite(lon) & np.isfinite(lat)
    # a key that is also a map point's is publishable by definition (the raw crime lies
    # within a metre of that point), so only the others count as raw
    raw_keys = np.setdiff1d(scan.tolerant_keys(lon[ok], lat[ok], truncate=True),
                            ctx.allowed_keys, assume_unique=True)
    for art, olon, olat, (labels, where) in ctx.output_coords:
        keys = scan.coordinate_keys(olon, olat)
        hit = np.flatnonzero(scan.member(keys, raw_keys))
        for i in hit[:MAX_EXAMPLES].tolist():
            problems.append(f"{art.name}: raw WGS84 coordinate ({olon[i]:.5f}, {olat[i]:.5f}) "
                            f"in {labels[where[i]]}")
    # projected source coordinates, to the metre (both easting and northing in one file)
    if "source_crs" in ctx.raw.columns:
        crs = ctx.raw["source_crs"].astype(str).str.upper().to_numpy()
        proj = leak & np.isin(crs, PROJECTED_SOURCE_CRS)
        sx, sy = ctx.raw_float("source_x")[proj], ctx.raw_float("source_y")[proj]
        fin = np.isfinite(sx) & np.isfinite(sy)
        sx, sy = sx[fin], sy[fin]
        if sx.size:
            for art in ctx.readable:
                numbers = _metre_numbers(ctx, art)
                if numbers.size == 0:
                    continue
                hx = np.isin(np.floor(sx).astype(np.int64), numbers) | np.isin(
                    np.ceil(sx).astype(np.int64), numbers)
                hy = np.isin(np.floor(sy).astype(np.int64), numbers) | np.isin(
                    np.ceil(sy).astype(np.int64), numbers)
                for i in np.flatnonzero(hx & hy)[:MAX_EXAMPLES].tolist():
                    problems.append(f"{art.name}: raw projected coordinate "
                                    f"({sx[i]:.0f}, {sy[i]:.0f}) appears to the metre")
    return _verdict(
        "no_raw_coordinates", problems,
        f"no raw coordinate of the {int(leak.sum())} crimes not already at a map point appears "
        "(WGS84 at 5 dp; projected source coordinates to the metre)",
        "raw crime coordinates appear in the output", ctx)


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
        for text, times in [(ctx.joined_strings(art), True)] + [(t, True) for t in art.texts] \
                + [(c, False) for c in art.code]:
            for kind, found in scan.find_dates(text, with_times=times, limit=MAX_EXAMPLES):
                problems.append(f"{art.name}: {kind} {found!r}")
            if len(problems) >= MAX_EXAMPLES:
                break
    problems.extend(_raw_timestamps(ctx))
    return _verdict(
        "no_dates_finer_than_month", problems,
        "no date finer than a month, no time of day and no raw timestamp appears",
        "dates or times finer than a month appear", ctx)


def _raw_timestamps(ctx: GateContext) -> list[str]:
    """Raw occurred_at values written as bare numbers: epoch seconds/ms, yyyymmdd(HHMM(SS)),
    ddmmyyyy. (Separated forms are caught by the date and time patterns.)"""
    if "occurred_at" not in ctx.raw.columns:
        return []
    ts = pd.to_datetime(ctx.raw["occurred_at"], errors="coerce").dropna()
    if ts.empty:
        return []
    ts = pd.Series(pd.unique(ts))
    y, m, d = ts.dt.year.to_numpy(np.int64), ts.dt.month.to_numpy(np.int64), \
        ts.dt.day.to_numpy(np.int64)
    hh, mm, ss = ts.dt.hour.to_numpy(np.int64), ts.dt.minute.to_numpy(np.int64), \
        ts.dt.second.to_numpy(np.int64)
    ymd = y * 10000 + m * 100 + d
    epoch = ts.to_numpy("datetime64[s]").astype(np.int64)
    forms = np.unique(np.concatenate([
        epoch, epoch * 1000, ymd, ymd * 10000 + hh * 100 + mm, (ymd * 10000 + hh * 100 + mm) * 100
        + ss, d * 1000000 + m * 10000 + y]))
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
    if "crime_id" not in ctx.raw.columns:
        raise ValueError("the raw table has no crime_id column")
    refs = [r for r in raw_text_values(ctx.raw["crime_id"])
            if len(r) >= MIN_VALUE_CHARS and not (r.isdigit() and len(r) < 6)]
    ref_set = set(refs)
    # exact values and hex digests
    hex_tokens: dict[str, str] = {}
    for art in ctx.readable:
        for s in sorted(ctx.exact_strings(art) & ref_set)[:MAX_EXAMPLES]:
            problems.append(f"{art.name}: source reference {short(s, 24)}")
        for h in ctx.hex_strings(art):
            hex_tokens.setdefault(h.lower(), art.name)
        for text in ctx._texts(art):
            for h in scan.HEX_TOKEN.findall(text):
                hex_tokens.setdefault(h.lower(), art.name)
    if hex_tokens:
        lower_refs = {r.lower(): r for r in refs if len(r) in _HEX_LENGTHS}
        for token in hex_tokens.keys() & lower_refs.keys():
            problems.append(f"{hex_tokens[token]}: source reference "
                            f"{short(lower_refs[token], 24)}")
        lengths = {len(t) for t in hex_tokens}
        for length in sorted(lengths):
            algo = _HEX_LENGTHS[length]
            new = getattr(hashlib, algo)
            digests = {new(r.encode("utf-8")).hexdigest(): r for r in refs}
            for token in set(hex_tokens) & digests.keys():
                problems.append(f"{hex_tokens[token]}: unsalted {algo} of source reference "
                                f"{short(digests[token], 24)}")
    # references inside longer text
    long_refs = [r for r in refs if len(r.encode("utf-8")) >= MIN_REFERENCE_SUBSTRING]
    if long_refs:
        hay, _ = ctx.haystack
        pats = [r.encode("utf-8") for r in long_refs]
        for i, pos in scan.find_substrings(hay, pats, [True] * len(pats), limit=MAX_EXAMPLES):
            problems.append(f"{ctx.artifact_at(pos)}: source reference "
                            f"{short(long_refs[i], 24)} inside text")
    return _verdict(
        "no_source_references", problems,
        f"none of {len(refs)} source references, nor their unsalted md5/sha1/sha256, appears",
        "source references (or their unsalted hashes) appear", ctx)



def check_no_non_public_values(ctx: GateContext) -> GateCheck:
    columns = [c for c in ctx.raw.columns
               if c in NON_PUBLIC_COLUMNS or str(c).startswith(EXTRA_PREFIX)]
    secret: dict[str, str] = {}  # value -> column
    digits = tuple("+-0123456789")
    for col in columns:
        # set difference does the bulk in C; the per-value tests below are all O(1)
        for t in set(raw_text_values(ctx.raw[col])).difference(ctx.public_strings, secret):
            if len(t) < MIN_VALUE_CHARS or (t.startswith(digits) and _PURE_NUMBER.fullmatch(t)):
                continue
            if (len(t) == 7 and _MONTH.fullmatch(t)) or (
                    t.startswith(LOCATION_PREFIX) and ctx.is_plainly_public(t)):
                continue
            secret[t] = str(col)
    problems: list[str] = []
    for art in ctx.readable:
        found = [v for v in sorted(ctx.exact_strings(art) & secret.keys())
                 if not ctx.is_public_value(v)]
        for v in found[:MAX_EXAMPLES]:
            problems.append(f"{art.name}: value of raw column {secret[v]}: {short(v, 24)}")
    values = [v for v in secret if len(v.encode("utf-8")) >= MIN_SUBSTRING_CHARS]
    if values:
        hay, _ = ctx.haystack
        pats = [v.encode("utf-8") for v in values]
        bounded = [len(v) < WHOLE_WORD_BELOW for v in values]
        for i, pos in scan.find_substrings(hay, pats, bounded, limit=200):
            if ctx.is_public_value(values[i]):
                continue
            problems.append(f"{ctx.artifact_at(pos)}: value of raw column {secret[values[i]]} "
                            f"inside text: {short(values[i], 24)}")
    return _verdict(
        "no_non_public_values", problems,
        f"no value of the non-public raw columns ({', '.join(columns) or 'none'}; "
        f"{len(secret)} distinct values) appears",
        "values of non-public raw columns appear", ctx)


CHECKS: tuple[tuple[str, Callable[[GateContext], GateCheck]], ...] = (
    ("public_schema", check_public_schema),
    ("coordinates_are_map_points", check_coordinates_are_map_points),
    ("no_raw_coordinates", check_no_raw_coordinates),
    ("no_dates_finer_than_month", check_no_dates_finer_than_month),
    ("no_source_references", check_no_source_references),
    ("no_non_public_values", check_no_non_public_values),
)

