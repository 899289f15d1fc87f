"""Fast scanners the leak gate runs over public outputs: coordinate keys, coordinate pairs in
text, exact dates and times, numbers, hex digests, and a many-pattern substring search.

Why a separate module: these are pure functions on strings and arrays, each written so that a
national month (500,000 rows) costs a fraction of a second. Comparisons are vectorised with
numpy (``np.isin`` on int64 coordinate keys; an 8-byte rolling key with a bitmap prefilter for
substring search) and regular expressions run once over a joined text, never per row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np

# --- coordinate keys ----------------------------------------------------------------------------
# A WGS84 lon/lat rounded to `decimals` packed into one int64: 27 bits per axis is enough for
# +-180 degrees at 5 dp (36,000,000 < 2**26), so keys compare with np.isin in one step.
_OFFSET = 1 << 26
_SHIFT = 1 << 27


def pack_keys(lon_k: np.ndarray, lat_k: np.ndarray) -> np.ndarray:
    """int64 key for integer-scaled (lon, lat); out-of-range values get a key no point has."""
    lon_k = np.asarray(lon_k, dtype=np.int64)
    lat_k = np.asarray(lat_k, dtype=np.int64)
    key = (lon_k + _OFFSET) * _SHIFT + (lat_k + _OFFSET)
    bad = (np.abs(lon_k) >= _OFFSET) | (np.abs(lat_k) >= _OFFSET)
    if bad.any():
        key[bad] = -1
    return key


def _scaled(v: np.ndarray, decimals: int) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64) * (10.0 ** decimals)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(v) & (np.abs(v) < _OFFSET), v, float(_OFFSET))


def coordinate_keys(lon: np.ndarray, lat: np.ndarray, decimals: int = 5) -> np.ndarray:
    """Keys of coordinates as found in an output: each axis rounded half-to-even at 5 dp."""
    return pack_keys(np.rint(_scaled(lon, decimals)), np.rint(_scaled(lat, decimals)))


def tolerant_keys(lon: np.ndarray, lat: np.ndarray, decimals: int = 5,
                  truncate: bool = False) -> np.ndarray:
    """Sorted unique keys a coordinate may take once printed at ``decimals`` or more places.

    A map point stored at 6 dp whose 6th digit is 5 sits on a rounding boundary: printed at
    5 dp it may go either way, and a value that went through a projection and back lands a
    hair either side. So an axis within 1e-6 of a half contributes both neighbours (only those
    rows pay for the extra keys). ``truncate`` also adds the value cut (not rounded) at
    ``decimals``: a raw coordinate written by truncation is still the raw coordinate.
    """
    sx, sy = _scaled(lon, decimals), _scaled(lat, decimals)
    kx, ky = np.rint(sx), np.rint(sy)
    parts = [pack_keys(kx, ky)]
    near = (np.abs(np.abs(sx - np.trunc(sx)) - 0.5) < 1e-6) | (
        np.abs(np.abs(sy - np.trunc(sy)) - 0.5) < 1e-6)
    if near.any():
        nx, ny = sx[near], sy[near]
        for ax in (np.floor(nx + 0.5 - 1e-6), np.floor(nx + 0.5 + 1e-6)):
            for ay in (np.floor(ny + 0.5 - 1e-6), np.floor(ny + 0.5 + 1e-6)):
                parts.append(pack_keys(ax, ay))
    if truncate:
        tx, ty = np.trunc(sx), np.trunc(sy)
        parts += [pack_keys(tx, ty), pack_keys(tx, ky), pack_keys(kx, ty)]
    keys = np.unique(np.concatenate(parts))
    return keys[keys >= 0]


def member(keys: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """np.isin for a set that is already sorted and unique: one searchsorted, no re-sort."""
    keys = np.asarray(keys)
    if sorted_set.size == 0 or keys.size == 0:
        return np.zeros(keys.shape, dtype=bool)
    if keys.size > 4096:  # sorted queries walk the set in order: far fewer cache misses
        order = np.argsort(keys, kind="stable")
        out = np.empty(keys.shape, dtype=bool)
        out[order] = _member_sorted(keys[order], sorted_set)
        return out
    return _member_sorted(keys, sorted_set)


def _member_sorted(keys: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    pos = np.searchsorted(sorted_set, keys)
    pos[pos >= sorted_set.size] = 0
    return sorted_set[pos] == keys


def unpack_key(key: int, decimals: int = 5) -> tuple[float, float]:
    """(lon, lat) of a key, for messages."""
    lon_k, lat_k = divmod(int(key), _SHIFT)
    return ((lon_k - _OFFSET) / 10.0 ** decimals, (lat_k - _OFFSET) / 10.0 ** decimals)


# --- coordinate pairs in free text ----------------------------------------------------------------
# A decimal with at least 4 places (about 11 m): less precise numbers do not locate a crime.
DECIMAL_4 = re.compile(r"(?<![\w.])-?\d{1,3}\.\d{4,}(?![\w.])")
_UK_LON = (-11.0, 2.5)
_UK_LAT = (49.0, 61.5)
_MAX_GAP = 40  # characters between the two numbers of a pair


def uk_lon_lat(a: float, b: float) -> bool:
    return _UK_LON[0] <= a <= _UK_LON[1] and _UK_LAT[0] <= b <= _UK_LAT[1]


def has_4_decimals(v: float) -> bool:
    """True when a parsed number carries 4 or more decimal places."""
    return bool(np.isfinite(v)) and round(v, 3) != v


def text_pairs(text: str) -> tuple[list[float], list[float], list[str]]:
    """UK-looking lon/lat (or lat/lon) pairs of >= 4-decimal numbers written close together.

    Returns lon, lat and the pair as written (for messages). A pair is two such numbers at
    most 40 characters apart whose values read as a UK longitude and latitude in either
    order; each number belongs to at most one pair.
    """
    found = [(m.start(), m.end(), float(m.group())) for m in DECIMAL_4.finditer(text)]
    lons: list[float] = []
    lats: list[float] = []
    shown: list[str] = []
    i = 0
    while i + 1 < len(found):
        s1, e1, a = found[i]
        s2, e2, b = found[i + 1]
        if s2 - e1 <= _MAX_GAP:
            if uk_lon_lat(a, b):
                lons.append(a)
                lats.append(b)
            elif uk_lon_lat(b, a):
                lons.append(b)
                lats.append(a)
            else:
                i += 1
                continue
            shown.append(text[s1:e2])
            i += 2
            continue
        i += 1
    return lons, lats, shown


# --- dates and times ------------------------------------------------------------------------------
_MONTHS = ("jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
           "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?")
_D = r"(?:0?[1-9]|[12]\d|3[01])"
_M = r"(?:0?[1-9]|1[0-2])"
_B = r"(?<![\w./:-])"  # not inside a longer token
_E = r"(?![\w/:]|[.-]\d)"
DATE_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    ("ISO date", re.compile(_B + r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
                            r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?![\d])")),
    ("yyyy/mm/dd date", re.compile(_B + r"\d{4}[/.]" + _M + r"[/.]" + _D + r"(?!\d)")),
    ("dd/mm/yyyy date", re.compile(_B + _D + r"([/.-])" + _M + r"\1\d{4}" + _E)),
    ("dd/mm/yy date", re.compile(_B + _D + "/" + _M + r"/\d{2}" + _E)),
    ("day-month-year date", re.compile(
        r"(?<![\w])" + _D + r"(?:st|nd|rd|th)?[ -](?:" + _MONTHS + r")[ -,]{1,2}\d{4}(?!\d)",
        re.IGNORECASE)),
    ("month-day-year date", re.compile(
        r"(?<![\w])(?:" + _MONTHS + r")\.? " + _D + r"(?:st|nd|rd|th)?,? \d{4}(?!\d)",
        re.IGNORECASE)),
)
TIME_PATTERN = re.compile(r"(?<![\w.:])(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?(?![\w:]|\.\d)")


def find_dates(text: str, with_times: bool = True, limit: int = 5) -> list[tuple[str, str]]:
    """Up to ``limit`` (kind, match) of day-precise dates (and times) in ``text``."""
    hits: list[tuple[str, str]] = []
    patterns = list(DATE_PATTERNS)
    if with_times:
        patterns.append(("time", TIME_PATTERN))
    for kind, pattern in patterns:
        for m in pattern.finditer(text):
            hits.append((kind, m.group()))
            if len(hits) >= limit:
                return hits
    return hits


# --- numbers --------------------------------------------------------------------------------------
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.]|\.\d)")
INTEGER_TOKEN = re.compile(r"(?<![\w.])\d{8,14}(?![\w.]|\.\d)")
HEX_TOKEN = re.compile(r"(?<![0-9A-Za-z])(?:[0-9A-Fa-f]{64}|[0-9A-Fa-f]{40}|[0-9A-Fa-f]{32})"
                       r"(?![0-9A-Za-z])")


def metre_numbers(text: str, low: float = 1000.0, high: float = 1_400_000.0) -> np.ndarray:
    """Whole metres (floor and nearest) of every number in [low, high] in ``text``."""
    values = np.array([float(m) for m in NUMBER.findall(text)], dtype=np.float64)
    return metre_candidates(values, low, high)


def metre_candidates(values: np.ndarray, low: float = 1000.0,
                     high: float = 1_400_000.0) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        values = values[(values >= low) & (values <= high)]
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.concatenate([np.floor(values), np.rint(values)]).astype(np.int64))


# --- many-pattern substring search ----------------------------------------------------------------
_ANCHOR = 8
_BITS = 24
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_CHUNK = 1 << 22


def _window_keys(hay: np.ndarray) -> np.ndarray:
    """uint64 little-endian value of every 8-byte window of ``hay``."""
    n = hay.size - _ANCHOR + 1
    if n <= 0:
        return np.zeros(0, dtype=np.uint64)
    keys = hay[:n].astype(np.uint64)
    for j in range(1, _ANCHOR):
        keys |= hay[j:j + n].astype(np.uint64) << np.uint64(8 * j)
    return keys


def _bucket(keys: np.ndarray) -> np.ndarray:
    return ((keys * _GOLDEN) >> np.uint64(64 - _BITS)).astype(np.int64)


def _is_word(byte: int) -> bool:
    return byte >= 0x80 or chr(byte).isalnum()


def find_substrings(haystack: bytes, patterns: Sequence[bytes],
                    bounded: Sequence[bool] | None = None,
                    limit: int = 50) -> list[tuple[int, int]]:
    """(pattern index, byte offset) of up to ``limit`` occurrences of any pattern in haystack.

    Patterns must be at least 8 bytes. Each is anchored on its first 8 bytes: the haystack's
    8-byte windows are packed into uint64 keys with numpy, a 16M-slot bitmap of the anchors
    throws away almost every window, and the few survivors are looked up exactly (sorted
    anchors, searchsorted) and verified byte for byte. ``bounded[i]`` asks for whole-word
    matches of pattern i (the bytes either side are not letters or digits), which keeps short
    names from matching inside words. Runs in chunks of 4 MB so memory stays small.
    """
    if not patterns or len(haystack) < _ANCHOR:
        return []
    anchors = np.frombuffer(b"".join(p[:_ANCHOR] for p in patterns), dtype="<u8")
    order = np.argsort(anchors, kind="stable")
    sorted_anchors = anchors[order]
    unique_anchors = np.unique(sorted_anchors)
    bitmap = np.zeros(1 << _BITS, dtype=bool)
    bitmap[_bucket(unique_anchors)] = True
    hay = np.frombuffer(haystack, dtype=np.uint8)
    hits: list[tuple[int, int]] = []
    for start in range(0, hay.size, _CHUNK):
        keys = _window_keys(hay[start:start + _CHUNK + _ANCHOR - 1])
        cand = np.flatnonzero(bitmap[_bucket(keys)])
        if cand.size == 0:
            continue
        ck = keys[cand]
        found = member(ck, unique_anchors)
        lo = np.searchsorted(sorted_anchors, ck[found], side="left")
        hi = np.searchsorted(sorted_anchors, ck[found], side="right")
        for offset, a, b in zip((cand[found] + start).tolist(), lo.tolist(), hi.tolist()):
            for i in order[a:b].tolist():
                p = patterns[i]
                if not haystack.startswith(p, offset):
                    continue
                if bounded is not None and bounded[i]:
                    before = haystack[offset - 1] if offset > 0 else 0x20
                    after_at = offset + len(p)
                    after = haystack[after_at] if after_at < len(haystack) else 0x20
                    if _is_word(before) or _is_word(after):
                        continue
                hits.append((i, offset))
                if len(hits) >= limit:
                    return hits
    return hits


def join_haystack(strings: Iterable[str]) -> bytes:
    """One UTF-8 haystack with a NUL between strings (no pattern spans two strings)."""
    return "\x00".join(strings).encode("utf-8", errors="surrogatepass")
