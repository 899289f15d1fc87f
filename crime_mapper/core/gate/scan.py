"""Fast scanners the leak gate runs over public outputs: coordinate keys, coordinate pairs in
text, exact dates and times, numbers, hex digests, and a many-pattern substring search.

Why a separate module: these are pure functions on strings and arrays, each written so that a
national month (500,000 rows) costs a fraction of a second. Comparisons are vectorised with
numpy (``np.isin`` on int64 coordinate keys; an 8-byte rolling key with a bitmap prefilter for
substring search) and regular expressions run once over a joined text, never per row.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from functools import partial
from itertools import chain, compress
from typing import Any, NamedTuple, Optional

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
    v = np.asarray(v, dtype=np.float64) * (10.0**decimals)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(v) & (np.abs(v) < _OFFSET), v, float(_OFFSET))


def coordinate_keys(lon: np.ndarray, lat: np.ndarray, decimals: int = 5) -> np.ndarray:
    """Keys of coordinates as found in an output: each axis rounded half-to-even at 5 dp."""
    return pack_keys(np.rint(_scaled(lon, decimals)), np.rint(_scaled(lat, decimals)))


def tolerant_keys(
    lon: np.ndarray,
    lat: np.ndarray,
    decimals: int = 5,
    truncate: bool = False,
    order: np.ndarray | None = None,
) -> np.ndarray:
    """Sorted unique keys a coordinate may take once printed at ``decimals`` or more places.

    A map point stored at 6 dp whose 6th digit is 5 sits on a rounding boundary: printed at
    5 dp it may go either way, and a value that went through a projection and back lands a
    hair either side. So an axis within 1e-6 of a half contributes both neighbours (only those
    rows pay for the extra keys). ``truncate`` also adds the value cut (not rounded) at
    ``decimals``: a raw coordinate written by truncation is still the raw coordinate.
    ``order``: indices that sort the rounded keys (coordinate_keys of the same values), when
    the caller has them: they are not sorted again (any order gives the same keys).
    """
    sx, sy = _scaled(lon, decimals), _scaled(lat, decimals)
    kx, ky = np.rint(sx), np.rint(sy)
    parts = [pack_keys(kx, ky)]
    near = (np.abs(np.abs(sx - np.trunc(sx)) - 0.5) < 1e-6) | (
        np.abs(np.abs(sy - np.trunc(sy)) - 0.5) < 1e-6
    )
    if near.any():
        nx, ny = sx[near], sy[near]
        for ax in (np.floor(nx + 0.5 - 1e-6), np.floor(nx + 0.5 + 1e-6)):
            for ay in (np.floor(ny + 0.5 - 1e-6), np.floor(ny + 0.5 + 1e-6)):
                parts.append(pack_keys(ax, ay))
    if truncate:
        # every (rounded or truncated x, rounded or truncated y): a truncated axis differs
        # from the rounded one by a step in a few rows, and only those add keys
        corners = corner_key_runs(pack_keys, kx, np.trunc(sx), ky, np.trunc(sy), order)
        keys = unique_of_runs(corners + parts[1:])  # (parts[0], the (kx, ky) keys, is corners[0])
    elif order is not None:  # (the keys in sorted order, and the few near keys: merged)
        keys = unique_of_runs([parts[0][order]] + parts[1:])
    else:  # (one unsorted part: a plain sort)
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


def any_member(keys: np.ndarray, sorted_set: np.ndarray) -> bool:
    """``member(keys, sorted_set).any()``, integer keys outside the set's range left out
    first (no sort of a web map's 1.25 million counts to look up a few near raw values)."""
    keys = np.asarray(keys)
    if sorted_set.size == 0 or keys.size == 0:
        return False
    if keys.dtype.kind in "iu" and keys.dtype == sorted_set.dtype:
        keys = keys[(keys >= sorted_set[0]) & (keys <= sorted_set[-1])]
    return bool(member(keys, sorted_set).any())


def member_sorted_queries(keys: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """:func:`member` for queries that are themselves sorted (no argsort needed)."""
    keys = np.asarray(keys)
    if sorted_set.size == 0 or keys.size == 0:
        return np.zeros(keys.shape, dtype=bool)
    return _member_sorted(keys, sorted_set)


def _member_sorted(keys: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    pos = np.searchsorted(sorted_set, keys)
    pos[pos >= sorted_set.size] = 0
    return sorted_set[pos] == keys


def unpack_key(key: int, decimals: int = 5) -> tuple[float, float]:
    """(lon, lat) of a key, for messages."""
    lon_k, lat_k = divmod(int(key), _SHIFT)
    return ((lon_k - _OFFSET) / 10.0**decimals, (lat_k - _OFFSET) / 10.0**decimals)


# --- coordinate pairs in free text ----------------------------------------------------------------
# A decimal with at least 4 places (about 11 m): less precise numbers do not locate a crime.
# Not inside a longer token of letters, digits and dots ("v1.23456", "1.23456.7", a version),
# but an underscore beside it or a "." and a letter after it do not hide it: a file name
# ("52.637812_-1.134561.png", "-1.13456,52.63781.png") and a sentence's full stop are read.
DECIMAL_4 = re.compile(r"(?<![^\W_]|\.)-?\d{1,3}\.\d{4,}(?![^\W_]|\.\d)")
_UK_LON = (-11.0, 2.5)
_UK_LAT = (49.0, 61.5)
_MAX_GAP = 40  # characters between the two numbers of a pair


def uk_lon_lat(a: float, b: float) -> bool:
    return _UK_LON[0] <= a <= _UK_LON[1] and _UK_LAT[0] <= b <= _UK_LAT[1]


def has_4_decimals(v: float) -> bool:
    """True when a parsed number carries 4 or more decimal places."""
    return bool(np.isfinite(v)) and round(v, 3) != v


_DECIMAL_4_SPLIT = re.compile("(" + DECIMAL_4.pattern + ")")


def text_pairs(text: str) -> tuple[list[float], list[float], list[str]]:
    """UK-looking lon/lat (or lat/lon) pairs of >= 4-decimal numbers written close together.
    See :func:`text_pairs_and_hemisphere`."""
    return text_pairs_and_hemisphere(text)[:3]


def text_pairs_and_hemisphere(
    text: str,
) -> tuple[list[float], list[float], list[str], bool]:
    """UK-looking lon/lat (or lat/lon) pairs of >= 4-decimal numbers written close together,
    and whether some such number is followed by a hemisphere letter (N, S, E or W, after at
    most one space: "52.66720 N", an angle for :func:`angle_pairs`; found from the numbers
    already found; a letter written straight after the digits, "52.66720N", which makes
    no such number, by one regex scan for a "." at C speed).

    Returns lon, lat and the pair as written (for messages). A pair is two such numbers at
    most 40 characters apart whose values read as a UK longitude and latitude in either
    order; each number belongs to at most one pair, taken greedily from the left.

    Vectorised (a web map's data file holds some 250,000 such numbers): one regex split
    gives the numbers and the text between them, numpy finds the pairable neighbours, and
    the greedy left-to-right choice is, within each run of consecutive pairable
    neighbours, every other one from the run's start.
    """
    spans = decimal_4_spans(text)
    if spans is None:
        parts = _DECIMAL_4_SPLIT.split(text)
        numbers = parts[1::2]
        n = len(numbers)
        hemisphere = any(_HEMISPHERE_NEXT.match(p) is not None for p in parts[2::2])
        hemisphere = hemisphere or _GLUED_HEMISPHERE.search(text) is not None
        if n < 2:
            return [], [], [], hemisphere
        values = np.fromiter(map(float, numbers), dtype=np.float64, count=n)
        gaps = np.fromiter(map(len, parts[2:-1:2]), dtype=np.int64, count=n - 1)
    else:
        starts, ends = spans
        n = starts.size
        hemisphere = _hemisphere_after(text, ends) or _GLUED_HEMISPHERE.search(text) is not None
        if n < 2:
            return [], [], [], hemisphere
        numbers = [text[a:e] for a, e in zip(starts.tolist(), ends.tolist())]
        values = np.fromiter(map(float, numbers), dtype=np.float64, count=n)
        gaps = starts[1:] - ends[:-1]  # (the text between number i and number i + 1)
    a, b = values[:-1], values[1:]
    near = gaps <= _MAX_GAP
    lon_lat = near & _uk_lon_lat(a, b)
    lat_lon = near & ~lon_lat & _uk_lon_lat(b, a)
    pairable = lon_lat | lat_lon
    if not pairable.any():
        return [], [], [], hemisphere
    edges = np.flatnonzero(pairable)
    run_start = np.ones(edges.size, dtype=bool)
    run_start[1:] = edges[1:] != edges[:-1] + 1
    first = np.maximum.accumulate(np.where(run_start, edges, 0))
    taken = edges[(edges - first) % 2 == 0]
    lons = np.where(lon_lat, a, b)[taken]
    lats = np.where(lon_lat, b, a)[taken]
    if spans is None:
        shown = ["".join(parts[2 * i + 1 : 2 * i + 4]) for i in taken.tolist()]
    else:
        shown = [text[starts[i] : ends[i + 1]] for i in taken.tolist()]
    return lons.tolist(), lats.tolist(), shown, hemisphere


_HEMISPHERE_NEXT = re.compile(r"\s?[NSEW]")
_GLUED_HEMISPHERE = re.compile(r"\.\d{4,}[NSEW]")  # (from its "." on: a fast literal search)
_NSEW = np.zeros(256, dtype=bool)
_NSEW[[ord(c) for c in "NSEW"]] = True
_SPACE = np.zeros(256, dtype=bool)
_SPACE[[ord(c) for c in " \t\n\r\f\v"]] = True


def _hemisphere_after(text: str, ends: np.ndarray) -> bool:
    """Whether a hemisphere letter follows (after at most one whitespace) some number that
    ends at ``ends`` (character offsets): on an ASCII text in numpy, else one by one."""
    if not text.isascii():
        return any(_HEMISPHERE_NEXT.match(text, e) is not None for e in ends.tolist())
    b = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    n = b.size
    first = np.where(ends < n, b[np.minimum(ends, n - 1)], 0)
    second = np.where(ends + 1 < n, b[np.minimum(ends + 1, n - 1)], 0)
    return bool((_NSEW[first] | (_SPACE[first] & _NSEW[second])).any())


# --- coordinates written as angles ---------------------------------------------------------------
# "52°40'01.93"N 1°08'42.90"W", "N 52° 40.032' W 1° 8.715'", "52.66720°N, 1.14525 W": what a
# phone, a GPS or a mapping site shows, which text_pairs (signed decimals) does not read. One
# is checked when written to FINE_ANGLE or finer (a whole second, about 30 m of latitude and
# 19 m of longitude; minutes to 2 places, 18 m; degrees to 4 places, 11 m): each locates a
# crime more closely than the 3-decimal numbers text_pairs leaves alone (111 m by 68 m), so
# only coarser angles (whole minutes, minutes to 1 place, degrees to 3) are left alone.
# A hemisphere letter is read before the number or after it, not both (in "N 52° 40' W 1°"
# the W is the next angle's).
ANGLE_MARKS = ("°", "º")  # (a text with neither, and no hemisphere after a decimal: no angle)
_ANGLE = re.compile(
    r"""(?<![\d.])
    (?:(?<![A-Za-z])(?P<pre>[NSEW])\s*)?
    (?P<sign>[-−+])?
    (?P<deg>\d{1,3}(?:\.(?P<degf>\d+))?)
    (?:\s*(?P<mark>[°º])
        (?:\s*(?P<min>\d{1,2}(?:\.(?P<minf>\d+))?)\s*['′’]
            (?:\s*(?P<sec>\d{1,2}(?:\.(?P<secf>\d+))?)\s*(?:["″”]|''|′′|’’))?
        )?
    )?
    (?(pre)|(?:\s*(?P<post>[NSEW])(?![A-Za-z]))?)""",
    re.VERBOSE,
)
FINE_ANGLE = 1 / 3600  # degrees: a whole second


class Angle(NamedTuple):
    value: float  # degrees, west and south negative
    half: float  # half the unit of its last digit, in degrees: the value is within this
    axis: str  # "lon", "lat" or "" (no hemisphere: told by its range)
    start: int
    end: int


def _angle(m: re.Match) -> Optional[Angle]:
    """The angle a match writes, or None: no degree mark and no hemisphere (a plain number,
    text_pairs' business), or coarser than FINE_ANGLE."""
    hemisphere = m.group("post") or m.group("pre")
    if m.group("mark") is None and hemisphere is None:
        return None
    if m.group("sec") is not None:
        unit = 10.0 ** -len(m.group("secf") or "") / 3600
    elif m.group("min") is not None:
        unit = 10.0 ** -len(m.group("minf") or "") / 60
    else:
        unit = 10.0 ** -len(m.group("degf") or "")
    if unit > FINE_ANGLE * (1 + 1e-9):  # (a whole second's unit is FINE_ANGLE, rounded alike)
        return None
    value = (
        float(m.group("deg")) + float(m.group("min") or 0) / 60 + float(m.group("sec") or 0) / 3600
    )
    if m.group("sign") in ("-", "−") or hemisphere in ("S", "W"):
        value = -value
    axis = {"N": "lat", "S": "lat", "E": "lon", "W": "lon"}.get(hemisphere or "", "")
    return Angle(value, unit / 2, axis, m.start(), m.end())


def angle_pairs(text: str) -> list[tuple[Angle, Angle]]:
    """(longitude, latitude) of UK-looking pairs of fine angles written at most _MAX_GAP
    characters apart, in either order, each angle in one pair at most (taken from the left)."""
    angles = [a for a in map(_angle, _ANGLE.finditer(text)) if a is not None]
    pairs = []
    i = 0
    while i + 1 < len(angles):
        a, b = angles[i], angles[i + 1]
        pair = None
        if b.start - a.end <= _MAX_GAP:
            for lon, lat in ((a, b), (b, a)):
                if lon.axis != "lat" and lat.axis != "lon" and uk_lon_lat(lon.value, lat.value):
                    pair = (lon, lat)
                    break
        if pair is None:
            i += 1
            continue
        pairs.append(pair)
        i += 2
    return pairs


def angle_keys(angle: Angle) -> np.ndarray:
    """The 5-decimal keys (value x 1e5, whole) a coordinate written as ``angle`` may have:
    every one within its half unit, and half a key either side (the keys are rounded)."""
    lo = math.ceil((angle.value - angle.half) * 1e5 - 0.5 - 1e-9)
    hi = math.floor((angle.value + angle.half) * 1e5 + 0.5 + 1e-9)
    return np.arange(lo, hi + 1, dtype=np.float64)


_ALNUM = np.zeros(256, dtype=bool)  # ASCII [^\W_]: letters and digits
_ALNUM[ord("0") : ord("9") + 1] = True
_ALNUM[ord("A") : ord("Z") + 1] = True
_ALNUM[ord("a") : ord("z") + 1] = True
_ALNUM_OR_DOT = _ALNUM.copy()
_ALNUM_OR_DOT[ord(".")] = True


def decimal_4_spans(text: str) -> tuple[np.ndarray, np.ndarray] | None:
    r"""(start, end) of every :data:`DECIMAL_4` match of ``text``, in order, found in
    numpy on its UTF-8 bytes (a web map's data script: 250,000 such numbers in 6 MB).

    Every match is one '.' with a whole ASCII digit run of 1 to 3 before it and of 4 or
    more after it, the run after followed by the end or a character neither a letter nor a
    digit (an underscore may follow) nor a '.' before a digit; the run before preceded by
    the start or a character neither a letter, a digit nor a '.'. It takes a '-' before
    the run when that '-' is itself preceded by the start or such a character (the regex
    tries the '-' first). Each '.' gives at most one match and they are disjoint,
    so these are exactly the regex's non-overlapping matches. Only ASCII is classified
    here: None (the regex decides) when a non-ASCII character (a Unicode digit or letter
    is ``\d``/``\w``) is next to a '.', ends one of those digit runs, follows the '.' after
    one or is before the '-', or when a run after a '.' is longer than _LONGEST_FRACTION
    digits."""
    data = text.encode("utf-8", errors="surrogatepass")
    b = np.frombuffer(data, dtype=np.uint8)
    n = b.size
    dots = np.flatnonzero(b == 46)
    dots = dots[(dots >= 1) & (dots <= n - 2)]
    prev, nxt = b[dots - 1], b[dots + 1]
    if ((prev >= 0x80) | (nxt >= 0x80)).any():
        return None
    dots = dots[_is_digit(prev) & _is_digit(nxt)]  # (a '.' between two ASCII digits)
    # the run before: its last 3 digits at most (a 4th before them is a word character
    # before the start: no match, as the regex's run of 1 to 3 cannot take it)
    d2 = _digit_at(b, dots - 2)
    d3 = d2 & _digit_at(b, dots - 3)
    first = dots - 1 - d2 - d3
    # the run after: to its end (its first byte is a digit)
    end = dots + 2
    active = np.arange(dots.size)
    for _ in range(_LONGEST_FRACTION):
        if active.size == 0:
            break
        active = active[_digit_at(b, end[active])]
        end[active] += 1
    else:
        if active.size:
            return None  # (a very long run: the regex takes it)
    after = np.where(end < n, b[np.minimum(end, n - 1)], 32)  # (the end: as a space)
    after2 = np.where(end + 1 < n, b[np.minimum(end + 1, n - 1)], 32)
    before = np.where(first > 0, b[np.maximum(first - 1, 0)], 32)  # (the start: as a space)
    before2 = np.where(first > 1, b[np.maximum(first - 2, 0)], 32)
    if (
        (after >= 0x80).any()
        or ((after == 46) & (after2 >= 0x80)).any()
        or (before >= 0x80).any()
        or ((before == 45) & (before2 >= 0x80)).any()
    ):
        return None
    ok = (end - dots - 1 >= 4) & ~_ALNUM[after] & ~((after == 46) & _is_digit(after2))
    ok &= ~_ALNUM_OR_DOT[before]
    minus = (before == 45) & ~_ALNUM_OR_DOT[before2]
    start = (first - minus)[ok].astype(np.int64)
    end = end[ok].astype(np.int64)
    if len(data) != len(text):  # byte offsets to character offsets
        continuing = np.flatnonzero((b & 0xC0) == 0x80)  # (UTF-8 continuation bytes)
        start -= np.searchsorted(continuing, start)
        end -= np.searchsorted(continuing, end)
    return start, end


_LONGEST_FRACTION = 64


def _is_digit(values: np.ndarray) -> np.ndarray:
    return (values >= 48) & (values <= 57)


def _digit_at(b: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Whether each position of ``at`` is inside ``b`` and an ASCII digit there."""
    inside = (at >= 0) & (at < b.size)
    return inside & _is_digit(b[np.clip(at, 0, max(b.size - 1, 0))])


def _uk_lon_lat(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """:func:`uk_lon_lat` of arrays."""
    return (_UK_LON[0] <= a) & (a <= _UK_LON[1]) & (_UK_LAT[0] <= b) & (b <= _UK_LAT[1])


# --- dates and times ------------------------------------------------------------------------------
_MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_D = r"(?:0?[1-9]|[12]\d|3[01])"
_M = r"(?:0?[1-9]|1[0-2])"
_B = r"(?<![\w./:-])"  # not inside a longer token
_E = r"(?![\w/:]|[.-]\d)"
# A time of day a records system glues to a date it writes without spaces ("20221015.1430",
# "20221015T143000Z", "20221015_1430", "15/10/2022-14:30", "15.10.2022T1430"): a '.', T,
# '_' or '-', then hours and minutes, perhaps seconds and their fraction, and perhaps a Z.
# The dd/mm/yyyy date and the bare-number timestamp (checks._BARE_NUMBER) read a date with
# one after it as the date (each of them took no date with a '.', a letter or '-' and a
# digit after it); "20221015.5" and "1.20221015.1430" stay no date.
TIME_OF_DAY = (
    r"(?:(?:[01]\d|2[0-3])[0-5]\d(?:[0-5]\d(?:\.\d+)?)?"
    r"|(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?)[Zz]?"
)
JOINED_TIME = r"[-._Tt]" + TIME_OF_DAY
# The same time glued to a date written with '/' or '-' with nothing between them
# ("26/10/20220538", "2022-10-260538", "2022/10/26053800"): the date patterns took no date a
# digit followed, so these passed. Not after a dotted date: "1.2.20221015" is a version.
# (An ISO date takes it after its day; a yyyy/mm/dd date after a day a '/' is before, a
# dd/mm/yyyy date after a year a '/' or '-' is before: the lookbehinds.)
_GLUED_DAY_TIME = r"(?:(?<=/\d)|(?<=/\d\d))" + TIME_OF_DAY
_GLUED_YEAR_TIME = r"(?<=[/-]\d{4})" + TIME_OF_DAY
DATE_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    (
        "ISO date",
        re.compile(
            _B + r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
            r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?|" + TIME_OF_DAY + r")?(?![\d])"
        ),
    ),
    (
        "yyyy/mm/dd date",
        re.compile(_B + r"\d{4}[/.]" + _M + "[/.]" + _D + "(?:" + _GLUED_DAY_TIME + r")?(?!\d)"),
    ),
    (
        "dd/mm/yyyy date",
        re.compile(
            _B
            + _D
            + r"([/.-])"
            + _M
            + r"\1\d{4}(?:"
            + JOINED_TIME
            + "|"
            + _GLUED_YEAR_TIME
            + ")?"
            + _E
        ),
    ),
    ("dd/mm/yy date", re.compile(_B + _D + "/" + _M + r"/\d{2}" + _E)),
    (
        "day-month-year date",
        re.compile(
            r"(?<![\w])" + _D + r"(?:st|nd|rd|th)?[ -](?:" + _MONTHS + r")[ -,]{1,2}\d{4}(?!\d)",
            re.IGNORECASE,
        ),
    ),
    (
        "month-day-year date",
        re.compile(
            r"(?<![\w])(?:" + _MONTHS + r")\.? " + _D + r"(?:st|nd|rd|th)?,? \d{4}(?!\d)",
            re.IGNORECASE,
        ),
    ),
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
# Where a number the raw-value scans read in text ends (a raw easting or northing: the
# metre and grid scans; a raw timestamp written as a bare number: checks._BARE_NUMBER):
# before anything but a word character or a '.' and a digit. A full stop ends it as a comma
# does ("at grid reference 457420. Northing 310098.", "(457420.)", "457420.png", "Occurred
# 20221015."), where NUMBER, a token, takes nothing a '.' follows: so a raw easting or
# timestamp that ended a sentence was no number to these scans, and passed. "457420.5" and
# "20221015.5" stay decimals, and a dotted version or address ("1.2.3.", "10.0.0.1.",
# "457420.310098.1") still gives no number: each part but the last has a '.' and a digit
# after it, each but the first a '.' before it. Only these scans' end: NUMBER and its kin
# (INTEGER_TOKEN, PHONE) keep theirs. A JSON number's '.' always has a digit after it, so a
# match in a data script still lies inside one token (the proofs in checks hold).
WRITTEN_NUMBER_END = r"(?![\w]|\.\d)"
# A number without its axis, as the metre scan reads it
METRE_PLAIN_NUMBER = re.compile(rf"(?<![\w.])-?\d+(?:\.\d+)?{WRITTEN_NUMBER_END}")
# METRE_PLAIN_NUMBER's matches whose float can be 1000 or more (metre_candidates): 4 or
# more digits before the point, or 3 and a fraction (the float of 999.99999999999999999 is
# 1000.0), without visiting the rest (a web map's data scripts hold millions of short
# numbers). Same lookarounds, same scan: a match of either is a maximal run of [-digits.]
# bounded the same way, so neither can overlap the other's (tests/test_gate_webmap_scale.py
# compares them).
NUMBER_REACHING_1000 = re.compile(
    rf"(?<![\w.])-?(?:\d{{4,}}(?:\.\d+)?|\d{{3}}\.\d+){WRITTEN_NUMBER_END}"
)
# An easting or northing is often written with its axis on it: a letter E, N, X or Y
# ("E457901 N308062", "x457901 y308062") or the word Easting or Northing, singular or plural
# ("Easting457901", "NORTHING308062", "Eastings457901"), in either case, standing where a
# number's lookbehind wants no word character, so the digits are the number they are in
# "E 457901"; and the two numbers of a pair are often glued ("E457901N308062",
# "e457901n308062", "Easting457901Northing308062", "Northing308062Easting457901",
# "N308062E457901", "N308062.5E457901"). Only 4 to 7 digits (a grid number's size): an ONS
# code (E01013615, E02002345) is a letter and 8 digits, never a number. A match is the
# digits alone. A lone letter is an axis only when no word character is before it ("atE457901"
# is no axis); a word is one inside a longer word too ("siteEasting457901",
# "fooNorthing308062"): a reader sees the number plainly, and no hash or code holds the word's
# letters (s, t, i, g, o, r, h are no hex digits). What may touch a number's end, or stand
# between a digit and a number, is N, X, Y or a word, not a lone E: e is a hex digit, and a
# hash ("...3e457901", "457901e3...") would give numbers. A lone E after digits is taken only
# after a lone N and a northing: an integer one looked back to from the easting
# ("N308062E457901"), one with decimals, any number of them ("N308062.5E457901",
# "N308062.123456E457901"), by a scan of its own (GLUED_EASTING: a lookbehind has a fixed
# width, and one per count of decimals would still leave more decimals uncounted). (No JSON
# token outside a string starts with such a letter or word and a digit, or holds N, X, Y or
# a word after a digit, so the data-script proofs in checks hold.)
_NOT_IN_WORD = r"(?<![\w.])"
_AXIS_LETTER = rf"{_NOT_IN_WORD}[EeNnXxYy]"  # (right before a number)
# the axis words as a lookbehind needs them, one fixed width each, and their last 3 letters
_AXIS_WORDS = tuple(f"(?i:{word})" for word in ("easting", "eastings", "northing", "northings"))
_WORD_LAST = "(?i:ing|ngs)"
_LONE_N = rf"{_NOT_IN_WORD}[Nn]"  # (a northing glued to a lone E after it)
# (what a number's end may touch: N, X, Y or a word (the end of a longer one too:
# "Easting457901siteNorthing308062"), and a digit after it)
_GLUED_AFTER = r"(?=(?:[NnXxYy]|[A-Za-z]*?(?i:eastings?|northings?))\d)"
# After a number's first digit: the last letter of an axis before it (E, N, X, Y, the g of a
# word or the s of a plural, in any case as the words match it: the long s U+017F too), and
# no ASCII letter before that E, N, X or Y (an e after a hex letter, inside a hash, is tried
# no further)
_AXIS_LAST = r"(?<=[EeNnXxYyGgSs\u017f]\d)(?<![A-Za-z_][EeNnXxYy]\d)"


def _behind(before: str, first_digit: bool) -> str:
    """A lookbehind for ``before`` right before a number, as seen from its start or, when
    ``first_digit``, from after its first digit."""
    return rf"(?<={before}\d)" if first_digit else rf"(?<={before})"


def _axis_words(before: str, first_digit: bool) -> str:
    """An axis word, after ``before``, right before a number: the words are looked back to
    only after "ing" or "ngs" (their last letters), so a hash's e's and a word's s or g
    before digits ("items2022", "log4567") try none of them."""
    words = "|".join(_behind(before + word, first_digit) for word in _AXIS_WORDS)
    return rf"{_behind(_WORD_LAST, first_digit)}(?:{words})"


def _after_northing(first_digit: bool) -> str:
    """A lone E right before a number, after a lone N and an integer northing of 4 to 7
    digits ("N308062E457901"): one fixed-width lookbehind per length, after a cheap one (4
    digits and the E), which most of a hash's e's fail. (After a northing with decimals:
    GLUED_EASTING.)"""
    guard = _behind(r"\d{4}[Ee]", first_digit)
    northings = "|".join(_behind(rf"{_LONE_N}\d{{{k}}}[Ee]", first_digit) for k in range(4, 8))
    return f"{guard}(?:{northings})"


def _axis_number(end: str, first_digit: bool) -> str:
    """A grid-sized number with its axis on it (its alternatives), followed by ``end`` or
    glued to the next axis; from its start, or from after its first digit (then the pattern
    holding it has matched that digit)."""
    digits = r"\d{3,6}" if first_digit else r"\d{4,7}"
    axis = f"(?:{_behind(_AXIS_LETTER, first_digit)}|{_axis_words('', first_digit)})"
    # (a glued pair's second number: N, X, Y or a word after a digit; or "N308062E457901")
    letter, words = _behind(r"\d[NnXxYy]", first_digit), _axis_words(r"\d", first_digit)
    glued = f"(?:{letter}|{words}|{_after_northing(first_digit)})"
    return "|".join(
        (
            rf"{axis}{digits}(?:\.\d+)?(?:{end}|{_GLUED_AFTER})",
            rf"{_behind(_LONE_N, first_digit)}{digits}(?:\.\d+)?(?=[Ee]\d)",  # N308062E457901
            rf"{glued}{digits}(?:\.\d+)?{end}",
        )
    )


AXIS_NUMBER = re.compile(_axis_number(WRITTEN_NUMBER_END, first_digit=False))
# A pattern that takes a number with or without its axis on it (GRID_NUMBER, METRE_NUMBER)
# starts with the number's first digit (or sign) and looks back from there: one that starts
# with a character class is searched for that character in C, where one that starts with a
# choice of lookbehinds is tried at every character. Over the 118 MB of a national summaries
# folder's pages GRID_NUMBER takes 1.1 s CPU (1.9 s without axis letters and lookbehind
# first, as it was; 5.0 s with a choice of lookbehinds first), METRE_NUMBER 1.7 s
# (NUMBER_REACHING_1000: 2.9 s). A digit inside a number fails two lookbehinds: no number
# starts there, and no axis's last letter is before it (_AXIS_LAST); only a digit right
# after one of those letters tries the axes one by one. (The glued pairs and words cost
# nothing measurable on templated pages, 4% on a 22 MB CSV of SHA-256 ids.)
_DIGIT_ALONE = r"(?<![\w.]\d)"  # (after a digit: no word character or '.' before it)
# NUMBER_REACHING_1000's matches and AXIS_NUMBER's, in one scan (tests/test_gate_webmap_scale.py
# compares them): the numbers the projected check reads as metres from text.
METRE_NUMBER = re.compile(
    r"[-\d](?:(?<=-)(?<![\w.]-)(?:\d{4,}(?:\.\d+)?|\d{3}\.\d+)"  # -1234, -999.5
    rf"{WRITTEN_NUMBER_END}"
    rf"|(?<=\d){_DIGIT_ALONE}(?:\d{{3,}}(?:\.\d+)?|\d{{2}}\.\d+)"  # 1234, 999.5
    rf"{WRITTEN_NUMBER_END}"
    rf"|{_AXIS_LAST}(?:{_axis_number(WRITTEN_NUMBER_END, first_digit=True)}))"  # E457901, glued
)
# The easting glued by a lone E to a northing with decimals, any number of them
# ("N308062.5E457901", "N308062.123456E457901"; group 1), as _after_northing takes it after
# an integer northing: what no fixed-width lookbehind from the easting can look back over.
# So this scan starts at the northing's '.' (a literal the engine skips to in C), looks
# ahead for digits, an E and a digit, and only then back over the lone N and the 4 to 7
# digits before the '.' (one fixed width each). GRID_NUMBER and METRE_NUMBER take the
# northing (their lone-N alternative), never this easting (no alternative of theirs takes a
# number after a decimal and an E), so the two scans' numbers never meet: number_matches
# and numbers_by_segment give both.
GLUED_EASTING = re.compile(
    r"\.(?=\d+[Ee]\d)(?:"
    + "|".join(rf"(?<={_LONE_N}\d{{{k}}}\.)" for k in range(4, 8))
    + rf")\d+[Ee](\d{{4,7}}(?:\.\d+)?){WRITTEN_NUMBER_END}"
)


def number_matches(text: str, pattern: re.Pattern) -> list[tuple[int, int, str]]:
    """(start, end, digits) of every number ``pattern`` (GRID_NUMBER or METRE_NUMBER) and
    GLUED_EASTING find in ``text``, in order."""
    found = [(m.start(), m.end(), m.group()) for m in pattern.finditer(text)]
    glued = [(m.start(1), m.end(1), m.group(1)) for m in GLUED_EASTING.finditer(text)]
    return sorted(found + glued) if glued else found


def numbers_by_segment(segments: list[str], pattern: re.Pattern) -> dict[int, list[str]]:
    """{segment index: the numbers ``pattern`` (GRID_NUMBER or METRE_NUMBER) and
    GLUED_EASTING find in it, in order}: strings_by_segment's, and the few segments where
    GLUED_EASTING finds one (one pass over the NUL-joined segments) read again in order."""
    out = strings_by_segment(segments, pattern)
    for i in matches_by_segment(segments, GLUED_EASTING):
        out[i] = [digits for _start, _end, digits in number_matches(segments[i], pattern)]
    return out


INTEGER_TOKEN = re.compile(r"(?<![\w.])\d{8,14}(?![\w.]|\.\d)")
HEX_TOKEN = re.compile(
    r"(?<![0-9A-Za-z])(?:[0-9A-Fa-f]{64}|[0-9A-Fa-f]{40}|[0-9A-Fa-f]{32})"
    r"(?![0-9A-Za-z])"
)


def metre_numbers(text: str, low: float = 1000.0, high: float = 1_400_000.0) -> np.ndarray:
    """Whole metres (floor and nearest) of every number in [low, high] in ``text``, with an
    axis letter on it or not (AXIS_NUMBER, GLUED_EASTING)."""
    found = METRE_PLAIN_NUMBER.findall(text) + AXIS_NUMBER.findall(text)
    found += GLUED_EASTING.findall(text)
    values = np.array([float(m) for m in found], dtype=np.float64)
    return metre_candidates(values, low, high)


def metre_candidates(
    values: np.ndarray, low: float = 1000.0, high: float = 1_400_000.0
) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        values = values[(values >= low) & (values <= high)]
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.concatenate([np.floor(values), np.rint(values)]).astype(np.int64))


# --- many-pattern substring search ----------------------------------------------------------------
_ANCHOR = 8
MIN_PATTERN_BYTES = _ANCHOR  # patterns (and haystacks) shorter than this are never searched
_BITS = 24
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_CHUNK = 1 << 22


def _window_keys(hay: np.ndarray) -> np.ndarray:
    """uint64 little-endian value of every 8-byte window of ``hay``.

    Eight unaligned uint64 views of the buffer (starting at byte 0, 1, ..., 7) hold every
    window once between them; they are interleaved into place, so the cost is one copy per
    window instead of eight shift-and-or passes over the whole haystack."""
    n = hay.size - _ANCHOR + 1
    if n <= 0:
        return np.zeros(0, dtype=np.uint64)
    data = np.ascontiguousarray(hay).tobytes() if not hay.flags.c_contiguous else hay
    keys = np.empty(n, dtype=np.uint64)
    for j in range(_ANCHOR):
        count = len(range(j, n, _ANCHOR))
        if count:
            keys[j::_ANCHOR] = np.frombuffer(data, dtype="<u8", count=count, offset=j)
    return keys


def _bucket(keys: np.ndarray) -> np.ndarray:
    return ((keys * _GOLDEN) >> np.uint64(64 - _BITS)).astype(np.int64)


def _is_word(byte: int) -> bool:
    return byte >= 0x80 or chr(byte).isalnum()


def text_layout(values: Sequence[str]) -> tuple[bytes, np.ndarray, np.ndarray, np.ndarray]:
    """(buffer, byte start, byte length, character length) of NUL-joined strings in UTF-8,
    without a per-string Python step: one join, one encode, and (for non-ASCII text) the
    k-th character found at the k-th byte that is not a UTF-8 continuation byte.
    Encoding is strict (a string that cannot be encoded raises)."""
    joined = "\x00".join(values)
    buf = joined.encode("utf-8")
    spans = _nul_spans(buf, len(values), len(joined))
    if spans is not None:  # (no value holds a NUL: lengths from the buffer, not per string)
        start, nbytes, chars = spans
        return buf, start, nbytes, chars
    chars = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    char_start = np.zeros(len(values), dtype=np.int64)
    if len(values) > 1:
        char_start[1:] = np.cumsum(chars[:-1] + 1)
    if len(buf) == len(joined):  # ASCII: bytes are characters
        return buf, char_start, chars, chars
    lead = np.flatnonzero((np.frombuffer(buf, dtype=np.uint8) & 0xC0) != 0x80)
    lead = np.append(lead, len(buf))
    start = lead[char_start]
    return buf, start, lead[char_start + chars] - start, chars


def _nul_spans(
    buf: bytes, n: int, text_chars: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(byte start, byte length, character length) of the ``n`` strings NUL-joined into
    the UTF-8 ``buf`` (``text_chars`` characters long), found from its NULs and lead bytes;
    None when there are not exactly n - 1 NULs (a string held one). A lone surrogate
    (encoded with surrogatepass) is one lead byte and two continuation bytes: one character,
    as Python counts it."""
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    arr = np.frombuffer(buf, dtype=np.uint8)
    nuls = np.flatnonzero(arr == 0)
    if nuls.size != n - 1:
        return None
    start = np.concatenate([np.zeros(1, dtype=np.int64), nuls + 1])
    end = np.append(nuls, len(buf))
    nbytes = end - start
    if len(buf) == text_chars:  # ASCII: bytes are characters
        return start, nbytes, nbytes
    leads = np.zeros(len(buf) + 1, dtype=np.int64)
    np.cumsum((arr & 0xC0) != 0x80, out=leads[1:])
    return start, nbytes, leads[end] - leads[start]


def char_lengths(values: Sequence[str]) -> np.ndarray:
    """``[len(v) for v in values]`` as an int64 array, from one NUL-joined buffer when it is
    ASCII (a call per string costs more than the join on a national output's scattered
    strings: 470,000 of a CSV's cells 0.15 -> 0.09 s)."""
    joined = "\x00".join(values)
    if joined.isascii():  # (non-ASCII text: counting its characters costs more than len)
        spans = _nul_spans(joined.encode("ascii"), len(values), len(joined))
        if spans is not None:
            return spans[2]
    return np.fromiter(map(len, values), dtype=np.int64, count=len(values))


def starts_with(buf: bytes, start: np.ndarray, nbytes: np.ndarray, prefix: bytes) -> np.ndarray:
    """Which strings of a text_layout start with ``prefix`` (bytes), vectorised."""
    out = nbytes >= len(prefix)
    if not len(prefix) or not out.any():
        return out
    arr = np.frombuffer(buf, dtype=np.uint8)
    rows = np.flatnonzero(out)
    rows = rows[arr[start[rows]] == prefix[0]]  # the first byte rules out nearly all
    out[:] = False
    head = arr[start[rows][:, None] + np.arange(len(prefix))]
    out[rows] = (head == np.frombuffer(prefix, dtype=np.uint8)).all(axis=1)
    return out


def first_byte_in(buf: bytes, start: np.ndarray, nbytes: np.ndarray, chars: bytes) -> np.ndarray:
    """Which non-empty strings of a text_layout start with one of the ASCII ``chars``."""
    table = np.zeros(256, dtype=bool)
    table[np.frombuffer(chars, dtype=np.uint8)] = True
    out = np.zeros(start.size, dtype=bool)
    ok = nbytes > 0
    out[ok] = table[np.frombuffer(buf, dtype=np.uint8)[start[ok]]]
    return out


class PatternSet:
    """Many string patterns prepared once for :func:`find_substrings` (the raw side of the
    gate: every free-text value, every crime reference), so that several outputs are searched
    without re-encoding 500,000 values each time.

    Built without a per-value Python loop: the values are joined and encoded once, their byte
    offsets found from the UTF-8 lead bytes, and the 8-byte anchors gathered with numpy.
    Values shorter than 8 bytes are left out; ``values[i]`` is the value of pattern ``i``.
    Encoding is strict UTF-8 (a value that cannot be encoded raises, failing the check).
    """

    def __init__(
        self,
        values: Sequence[str],
        bounded: Sequence[bool] | np.ndarray | bool = False,
        bounded_below: int | None = None,
        layout: tuple[bytes, np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> None:
        """``bounded``: per value, or for all, whether it is matched as a whole word only;
        ``bounded_below`` (instead): the values shorter than this many characters are (their
        lengths taken from the layout the patterns are built from anyway). ``layout``: the
        values' (buffer, byte start, byte length, character length) as :func:`text_layout`
        gives them, already made by the caller: any buffer that holds each value's UTF-8 at
        its start (a pattern is only ever read as that slice), in the values' order."""
        values = list(values)
        buf, start, nbytes, chars = text_layout(values) if layout is None else layout
        if bounded_below is not None:
            bounded = chars < bounded_below
        if isinstance(bounded, (bool, np.bool_)):
            bounded_arr = np.full(len(values), bool(bounded))
        else:
            bounded_arr = np.asarray(bounded, dtype=bool)
        long = nbytes >= _ANCHOR
        keep = np.flatnonzero(long)
        self.buffer = buf
        # (all long enough, as raw text values nearly all are: the list as it is)
        self.values: list[Any] = (  # (str values here; bytes in _pattern_set_of_bytes)
            values if keep.size == len(values) else list(compress(values, long.tolist()))
        )
        self.start = start[keep]
        self.nbytes = nbytes[keep]
        self.bounded = bounded_arr[keep]
        hay = np.frombuffer(buf, dtype=np.uint8)
        if keep.size:
            gather = hay[self.start[:, None] + np.arange(_ANCHOR)]
            anchors = np.ascontiguousarray(gather).view("<u8").ravel()
        else:
            anchors = np.zeros(0, dtype=np.uint64)
        self.order = np.argsort(anchors, kind="stable")
        self.sorted_anchors = anchors[self.order]
        self.unique_anchors = _unique_sorted(self.sorted_anchors)
        self._bitmap: np.ndarray | None = None
        self._tails: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.values)

    @property
    def bitmap(self) -> np.ndarray:
        if self._bitmap is None:
            self._bitmap = np.zeros(1 << _BITS, dtype=bool)
            self._bitmap[_bucket(self.unique_anchors)] = True
        return self._bitmap

    def pattern(self, i: int) -> bytes:
        s = int(self.start[i])
        return self.buffer[s : s + int(self.nbytes[i])]

    @property
    def tails(self) -> np.ndarray:
        """The last 8 bytes of each pattern as a uint64, in ``order`` (the anchors' order):
        a second key, so that patterns sharing their first 8 bytes with a window by the
        thousand ("neighbour reported ...") are not each compared in Python."""
        if self._tails is None:
            if len(self.values):
                hay = np.frombuffer(self.buffer, dtype=np.uint8)
                ends = (self.start + self.nbytes - _ANCHOR)[self.order]
                gather = hay[ends[:, None] + np.arange(_ANCHOR)]
                self._tails = np.ascontiguousarray(gather).view("<u8").ravel()
            else:
                self._tails = np.zeros(0, dtype=np.uint64)
        return self._tails


def find_substrings(
    haystack: bytes,
    patterns: Sequence[bytes] | PatternSet,
    bounded: Sequence[bool] | None = None,
    limit: int = 50,
) -> list[tuple[int, int]]:
    """(pattern index, byte offset) of up to ``limit`` occurrences of any pattern in haystack.

    Patterns must be at least 8 bytes (a PatternSet drops shorter ones itself; its
    ``bounded`` flags are used then). Each is anchored on its first 8 bytes: the haystack's
    8-byte windows are packed into uint64 keys with numpy, a 16M-slot bitmap of the anchors
    throws away almost every window, and the few survivors are looked up exactly (sorted
    anchors, searchsorted) and verified byte for byte. ``bounded[i]`` asks for whole-word
    matches of pattern i (the bytes either side are not letters or digits), which keeps short
    names from matching inside words. Runs in chunks of 4 MB so memory stays small.
    """
    if not isinstance(patterns, PatternSet):
        if not patterns:
            return []
        patterns = _pattern_set_of_bytes(list(patterns), bounded)
    if len(patterns) == 0 or len(haystack) < _ANCHOR:
        return []
    order, sorted_anchors, unique_anchors = (
        patterns.order,
        patterns.sorted_anchors,
        patterns.unique_anchors,
    )
    bitmap = patterns.bitmap
    bounded_flags = patterns.bounded.tolist()
    hay = np.frombuffer(haystack, dtype=np.uint8)
    hits: list[tuple[int, int]] = []
    for start in range(0, hay.size, _CHUNK):
        keys = _window_keys(hay[start : start + _CHUNK + _ANCHOR - 1])
        cand = np.flatnonzero(bitmap[_bucket(keys)])
        if cand.size == 0:
            continue
        ck = keys[cand]
        found = member(ck, unique_anchors)
        lo = np.searchsorted(sorted_anchors, ck[found], side="left")
        hi = np.searchsorted(sorted_anchors, ck[found], side="right")
        for offsets, ranks in _tail_matches(hay, cand[found] + start, lo, hi, patterns):
            for offset, i in zip(offsets.tolist(), order[ranks].tolist()):
                p = patterns.pattern(i)
                if not haystack.startswith(p, offset):
                    continue
                if bounded_flags[i]:
                    before = haystack[offset - 1] if offset > 0 else 0x20
                    after_at = offset + len(p)
                    after = haystack[after_at] if after_at < len(haystack) else 0x20
                    if _is_word(before) or _is_word(after):
                        continue
                hits.append((i, offset))
                if len(hits) >= limit:
                    return hits
    return hits


_PAIRS = 1 << 22  # (window, pattern) pairs tested at once by _tail_matches


def _tail_matches(
    hay: np.ndarray, offsets: np.ndarray, lo: np.ndarray, hi: np.ndarray, patterns: PatternSet
) -> Iterable[tuple[np.ndarray, np.ndarray]]:
    """(offsets, ranks in the anchors' order) of the (window, pattern) pairs whose pattern's
    anchor is the window's and whose last 8 bytes are also in the haystack where they would
    be, in the order the pairs come (by offset, then by rank): what is left to compare byte
    for byte. Pairs are made and tested in numpy, a few million at a time."""
    tails = patterns.tails
    nbytes = patterns.nbytes[patterns.order]
    sizes = hi - lo
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    first = 0
    while first < offsets.size:
        # as many windows as give at most _PAIRS pairs (at least one)
        last = max(first + 1, int(np.searchsorted(bounds, bounds[first] + _PAIRS, "right")) - 1)
        last = min(last, offsets.size)
        count = sizes[first:last]
        pair_offsets = np.repeat(offsets[first:last], count)
        starts = np.repeat(lo[first:last] - bounds[first:last], count)
        # pair g (counted over all windows) of window j is rank lo[j] + g - bounds[j]
        ranks = starts + np.arange(int(bounds[first]), int(bounds[last]))
        ends = pair_offsets + nbytes[ranks] - _ANCHOR
        inside = ends + _ANCHOR <= hay.size
        pair_offsets, ranks, ends = pair_offsets[inside], ranks[inside], ends[inside]
        if ends.size:
            gather = hay[ends[:, None] + np.arange(_ANCHOR)]
            keys = np.ascontiguousarray(gather).view("<u8").ravel()
            keep = keys == tails[ranks]
            yield pair_offsets[keep], ranks[keep]
        first = last


# A haystack whose substrings (one per position and pattern length) number at most this many
# is searched by looking each up in the patterns' set (no index of the raw side needed).
SMALL_SEARCH_LOOKUPS = 200_000


def ascii_lengths(values: Sequence[str]) -> list[int] | None:
    """The distinct lengths (of 8 or more) of ASCII strings, sorted: what
    :func:`find_in_small_haystack` tries at each position; None when any string is not
    ASCII (its byte length would differ from its length, so the small search is not used)."""
    if not all(map(str.isascii, values)):
        return None
    return sorted(n for n in set(map(len, values)) if n >= _ANCHOR)


def small_enough(haystack: bytes, lengths: list[int] | None) -> bool:
    """Whether :func:`find_in_small_haystack` is the cheaper search (one step per
    position, one lookup per position and length; no patterns at all: nothing to do)."""
    if lengths is None:
        return False
    return not lengths or len(haystack) * (len(lengths) + 1) <= SMALL_SEARCH_LOOKUPS


def find_in_small_haystack(
    haystack: bytes,
    patterns: Collection[str],
    lengths: list[int],
    order: Iterable[str],
    bounded: Callable[[str], bool],
    limit: int = 50,
) -> list[tuple[str, int]]:
    """(pattern, byte offset) of up to ``limit`` occurrences, exactly as
    :func:`find_substrings` with ``PatternSet(order, bounded)`` gives them (patterns of 8+
    bytes; by offset, then by place in ``order``, only looked at when two patterns start at
    one offset; whole words where ``bounded``), found by
    looking every substring of the haystack of a pattern length up in ``patterns``: the
    cost follows the haystack (a GeoPackage's metadata, a style file), not the 500,000 raw
    values a PatternSet would index. ``patterns`` are ASCII and ``lengths`` their distinct
    lengths (:func:`ascii_lengths`)."""
    hits: list[tuple[str, int]] = []
    if not lengths:
        return hits
    n = len(haystack)
    place: dict[str, int] = {}
    for offset in range(n - _ANCHOR + 1):
        found = []
        for length in lengths:
            end = offset + length
            if end > n:
                break
            chunk = haystack[offset:end]
            if not chunk.isascii():
                continue
            text = chunk.decode("ascii")
            if text not in patterns:
                continue
            if bounded(text):
                before = haystack[offset - 1] if offset > 0 else 0x20
                after = haystack[end] if end < n else 0x20
                if _is_word(before) or _is_word(after):
                    continue
            found.append(text)
        if len(found) > 1:
            if not place:
                place.update((v, i) for i, v in enumerate(order))
            found.sort(key=place.__getitem__)
        for text in found:
            hits.append((text, offset))
            if len(hits) >= limit:
                return hits
    return hits


def unique_of_runs(parts: Sequence[np.ndarray]) -> np.ndarray:
    """np.unique(np.concatenate(parts)) of integer arrays, fastest when each part is
    (nearly) sorted: a stable sort is a timsort, which merges sorted runs in about one pass
    instead of sorting their concatenation afresh. Any input gives np.unique's answer."""
    joined = np.concatenate(parts)
    if joined.dtype.kind not in "iub":
        return np.unique(joined)
    return _unique_sorted(np.sort(joined, kind="stable"))


def corner_key_runs(
    pack: Callable[[np.ndarray, np.ndarray], np.ndarray],
    x: np.ndarray,
    other_x: np.ndarray,
    y: np.ndarray,
    other_y: np.ndarray,
    order: np.ndarray | None = None,
) -> list[np.ndarray]:
    """Runs for :func:`unique_of_runs` whose union is ``pack`` of every (x or other_x, y or
    other_y) of each row: the (x, y) keys sorted once, and only the rows whose other value
    differs add keys, taken in that order (the other value is a step away in nearly every
    such row, so each part is nearly sorted and the final stable sort merges runs; any
    input still gives the same keys). A row whose other x is its x adds (x, y) again, which
    is there already, and so on. ``order``: indices that sort ``pack(x, y)``, if the caller
    has them."""
    base = pack(x, y)
    if order is None:
        order = stable_argsort(base)
    x, other_x, y, other_y = x[order], other_x[order], y[order], other_y[order]
    dx, dy = other_x != x, other_y != y
    both = dx & dy
    return [
        base[order],
        pack(other_x[dx], y[dx]),
        pack(x[dy], other_y[dy]),
        pack(other_x[both], other_y[both]),
    ]


def stable_argsort(keys: np.ndarray) -> np.ndarray:
    """np.argsort(keys, kind="stable") of int64 keys; when the keys' range and their count
    fit in 63 bits, by one plain sort of each key packed with its index (the index breaks
    ties, as a stable sort does; a sort moves the values themselves, not indices into
    them, so it is cheaper)."""
    n = keys.size
    bits = max(int(n - 1).bit_length(), 1)
    if n < 2 or keys.dtype != np.int64:
        return np.argsort(keys, kind="stable")
    lo, hi = int(keys.min()), int(keys.max())
    if (hi - lo) >> (62 - bits):  # (Python integers: no overflow)
        return np.argsort(keys, kind="stable")
    packed = keys - lo  # (within 0 .. 2**(62 - bits): no overflow)
    packed <<= bits
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    packed &= (1 << bits) - 1
    return packed


def _unique_sorted(values: np.ndarray) -> np.ndarray:
    """np.unique of an already sorted array, without sorting it again."""
    if values.size == 0:
        return values
    keep = np.empty(values.size, dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def _pattern_set_of_bytes(patterns: list[bytes], bounded: Sequence[bool] | None) -> PatternSet:
    """A PatternSet of byte patterns (all at least 8 bytes), indices unchanged."""
    if any(len(p) < _ANCHOR for p in patterns):
        raise ValueError("every pattern must be at least 8 bytes")
    ps = PatternSet.__new__(PatternSet)
    ps.buffer = b"".join(patterns)
    ps.values = list(patterns)
    ps.nbytes = np.fromiter(map(len, patterns), dtype=np.int64, count=len(patterns))
    ps.start = np.zeros(len(patterns), dtype=np.int64)
    if len(patterns) > 1:
        ps.start[1:] = np.cumsum(ps.nbytes[:-1])
    ps.bounded = (
        np.zeros(len(patterns), dtype=bool) if bounded is None else np.asarray(bounded, dtype=bool)
    )
    anchors = np.frombuffer(b"".join(p[:_ANCHOR] for p in patterns), dtype="<u8")
    ps.order = np.argsort(anchors, kind="stable")
    ps.sorted_anchors = anchors[ps.order]
    ps.unique_anchors = _unique_sorted(ps.sorted_anchors)
    ps._bitmap = None
    ps._tails = None
    return ps


# --- hex digests ----------------------------------------------------------------------------------
_HEX = b"0123456789abcdefABCDEF"
HEX_LENGTHS = (32, 40, 64)


def hex_mask(strings: Sequence[str]) -> np.ndarray:
    """Which strings are entirely hex digits and 32, 40 or 64 long (md5/sha1/sha256 digests):
    :func:`hex_mask_and_lengths`' mask."""
    return hex_mask_and_lengths(strings)[0]


def hex_mask_and_lengths(strings: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(which strings are md5/sha1/sha256-shaped hex digests, each digest's length),
    vectorised: one NUL-joined UTF-8 buffer gives every string's byte length (between its
    NULs), and the same buffer with every hex digit deleted what is not hex in each: a
    string is a digest when nothing is left of it and its length is a digest's (hex digits
    are ASCII, so for them bytes are characters; any other character is left over). No
    step per string: a national CSV's 470,000 strings, each touched once by the join. The
    lengths (``len`` of each digest; other strings' entries mean nothing) spare the digest
    check a second join of the same strings."""
    n = len(strings)
    out = np.zeros(n, dtype=bool)
    if n == 0:
        return out, np.zeros(0, dtype=np.int64)
    encoded = "\x00".join(strings).encode("utf-8", errors="surrogatepass")
    left = encoded.translate(None, _HEX)
    if len(left) == n - 1:  # nothing but the NULs left: every string is hex
        lengths = _byte_lengths(encoded)
        return _HEX_LENGTH_BYTE[np.minimum(lengths, _HEX_LENGTH_BYTE.size - 1)], lengths
    nuls = np.flatnonzero(np.frombuffer(left, dtype=np.uint8) == 0)
    if nuls.size != n - 1:  # a string held a NUL: one by one
        mask = np.array([is_hex_digest(t) for t in strings], dtype=bool)
        return mask, np.fromiter(map(len, strings), dtype=np.int64, count=n)
    leftover = np.diff(nuls, prepend=-1, append=len(left)) - 1
    hexes = leftover == 0
    if not hexes.any():
        return out, np.zeros(n, dtype=np.int64)  # (no digest: no length means anything)
    lengths = _byte_lengths(encoded)
    out = hexes & _HEX_LENGTH_BYTE[np.minimum(lengths, _HEX_LENGTH_BYTE.size - 1)]
    return out, lengths


_HEX_CHARS = "0123456789abcdefABCDEF"


def is_hex_digest(text: str) -> bool:
    """One string's :func:`hex_mask_and_lengths` answer: hex digits only, 32, 40 or 64."""
    return len(text) in HEX_LENGTHS and not text.strip(_HEX_CHARS)


_HEX_LENGTH_BYTE = np.zeros(66, dtype=bool)
_HEX_LENGTH_BYTE[list(HEX_LENGTHS)] = True


def _byte_lengths(encoded: bytes) -> np.ndarray:
    """Byte length of each string of a NUL-joined buffer of strings none of which holds a
    NUL."""
    nuls = np.flatnonzero(np.frombuffer(encoded, dtype=np.uint8) == 0)
    return np.diff(nuls, prepend=-1, append=len(encoded)) - 1


def digest_rows(hex_tokens: Sequence[str], length: int) -> np.ndarray:
    """(n, length/2) uint8 bytes of hex tokens all ``length`` long (any case)."""
    data = bytes.fromhex("".join(hex_tokens))
    return np.frombuffer(data, dtype=np.uint8).reshape(len(hex_tokens), length // 2)


def row_keys(rows: np.ndarray) -> np.ndarray:
    """First 8 bytes of each digest row as a uint64 (a near-unique prefilter key)."""
    return np.ascontiguousarray(rows[:, :8]).view("<u8").ravel()


def join_haystack(strings: Iterable[str]) -> bytes:
    """One UTF-8 haystack with a NUL between strings (no pattern spans two strings)."""
    return "\x00".join(strings).encode("utf-8", errors="surrogatepass")


# --- times and dates written other ways (issue 9) ---------------------------------------------
_TIME_WORDS = r"(?:hrs|hours|hr|h)(?![a-z])"
OTHER_TIME_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    # 1257hrs, 0930 hours, 2315h
    ("time", re.compile(r"(?<![\w.:/-])(?:[01]\d|2[0-3])[0-5]\d\s?" + _TIME_WORDS, re.I)),
    # 12.57hrs, 9.30 hours
    ("time", re.compile(r"(?<![\w.:/-])(?:[01]?\d|2[0-3])[.h][0-5]\d\s?" + _TIME_WORDS, re.I)),
    # 9pm, 9.30 am, 12:57 p.m.
    (
        "time",
        re.compile(
            r"(?<![\w.:/-])(?:1[0-2]|0?[1-9])(?:[:.][0-5]\d)?\s?(?:am|pm|a\.m\.|p\.m\.)(?![a-z])",
            re.I,
        ),
    ),
    # 25th Oct, 25 October, 1st of May (no year)
    (
        "day-month date",
        re.compile(
            r"(?<![\w.:/-])" + _D + r"(?:st|nd|rd|th)?(?: of)?[ -](?:" + _MONTHS + r")(?![a-z])",
            re.I,
        ),
    ),
    # Oct 25th, October 25 (no year)
    (
        "month-day date",
        re.compile(
            r"(?<![\w])(?:" + _MONTHS + r")\.? " + _D + r"(?:st|nd|rd|th)?(?![\w:/]|[.-]\d)",
            re.I,
        ),
    ),
)


# Two cheap necessary conditions for a match of any pattern of DATE_PATTERNS, TIME_PATTERN or
# OTHER_TIME_PATTERNS. Why: each of those 12 patterns starts with a lookbehind, so the regex
# engine tries it at every position of the text; a national summaries folder's distinct
# digit-masked segments are 6 MB, and the 12 scans took 1.7 s there, on the monthly release's
# last busy core. These two start with a character class, which the engine skips to in C, and
# find next to nothing in template text, so the 12 patterns then run on a few segments only.
# - DATE_TIME_DIGIT_LED: the patterns that start with a digit. Each match holds a digit
#   followed by: "-", "/" or ":" (a date or a time with those separators); ".", digits, "."
#   (a dotted date, "15.10.2022", "2022.10.15"); perhaps "." and two digits, perhaps a space,
#   then "h", "am" or "pm", perhaps with a "." after the a or p ("12.57hrs", "9.30 a.m.",
#   "1257 hours", "12h45", "9pm"); or a day's suffix, perhaps " of", a space or hyphen and
#   a month ("25th of May").
# - DATE_TIME_MONTH_LED: the patterns that start with a month ("Oct 25th", "May 1st, 2022").
#   Each match holds a month's last letter (or its abbreviation's "."), a space, then a day of
#   one or two digits not followed by another digit; and the three letters the month ends
#   with are one of MONTH_ENDS ("ber" for September to December), checked on those places
#   only ("per 1,000" and "last 12 months" are many; a search for the months is as slow as
#   the patterns themselves).
# Both use the patterns' own flags (IGNORECASE, Unicode \d and \s), so a letter or digit that
# a pattern takes (the Kelvin sign for k, Arabic-Indic digits) is taken here too;
# tests/test_gate_segment_prefilters.py holds each pattern to them on hostile texts.
DATE_TIME_DIGIT_LED = re.compile(
    r"\d(?:[-/:]|\.\d+\.\d|(?:\.\d\d)?\s?(?:h|[ap]\.?m)|(?:st|nd|rd|th)?(?: of)?[ -](?:"
    r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))",
    re.I,
)
DATE_TIME_MONTH_LED = re.compile(r"[a-z.] \d\d?(?!\d)", re.I)
MONTH_ENDS = re.compile(
    "jan|ary|feb|mar|rch|apr|ril|may|jun|une|jul|uly|aug|ust|sep|ept|ber|oct|nov|dec", re.I
)


def date_time_hints(segments: list[str]) -> np.ndarray:
    """Per segment: whether it may hold a date or time (see DATE_TIME_DIGIT_LED)."""
    hinted = np.zeros(len(segments), dtype=bool)
    hinted[list(matches_by_segment(segments, DATE_TIME_DIGIT_LED))] = True
    for i, found in matches_by_segment(segments, DATE_TIME_MONTH_LED).items():
        hinted[i] = hinted[i] or any(map(_after_month_end, found))
    return hinted


def _after_month_end(m: re.Match) -> bool:
    """Whether a DATE_TIME_MONTH_LED match starts at the end of one of MONTH_ENDS (its last
    letter, or the "." after it)."""
    end = m.start() if m.string[m.start()] == "." else m.start() + 1
    return MONTH_ENDS.fullmatch(m.string, max(end - 3, 0), end) is not None


def find_other_times(text: str, limit: int = 5) -> list[tuple[str, str]]:
    """Up to ``limit`` (kind, match) of times and year-less dates in the other ways people
    write them (1257hrs, 9.30pm, 25th Oct, Oct 25th). Prose only: never run on code."""
    hits: list[tuple[str, str]] = []
    for kind, pattern in OTHER_TIME_PATTERNS:
        for m in pattern.finditer(text):
            hits.append((kind, m.group()))
            if len(hits) >= limit:
                return hits
    return hits


# --- phone numbers and e-mail addresses ---------------------------------------------------------
PHONE = re.compile(r"(?<![\w.+/-])(?:\+44\s?\(?0?\)?\s?|\(?0)(?:\d[\s-]?){8,9}\d(?![\w.]|-\d)")
EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)


def find_contacts(
    text: str, limit: int = 5, allowed: Collection[str] = frozenset()
) -> list[tuple[str, str]]:
    """Up to ``limit`` (kind, match) of UK phone numbers (0 or +44 and 10 more digits, spaces
    or hyphens allowed) and e-mail addresses, skipping those in ``allowed``.

    Allowed contacts (a neighbourhood team's published phone and e-mail) are skipped before
    they count towards ``limit``: a page listing many of them must not hide a leaked number
    that comes after them."""
    hits: list[tuple[str, str]] = []
    for m in PHONE.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if len(digits) in (11, 12) and (digits.startswith("0") or digits.startswith("44")):
            if m.group() in allowed:
                continue
            hits.append(("phone number", m.group()))
            if len(hits) >= limit:
                return hits
    for m in EMAIL.finditer(text):
        if m.group() in allowed:
            continue
        hits.append(("e-mail address", m.group()))
        if len(hits) >= limit:
            return hits
    return hits


# --- grid references in text -------------------------------------------------------------------
# 4 to 7 digits, with no word character or '.' before them or their axis on them ("E457901
# N308062" as "E 457901 N 308062", "Easting457901", "E457901N308062"), first digit first
# (see the axes above)
_GRID_END = WRITTEN_NUMBER_END  # (a number ends as the metre scan's does)
GRID_NUMBER = _GRID_NUMBER = re.compile(
    rf"\d(?:{_DIGIT_ALONE}\d{{3,6}}(?:\.\d+)?{_GRID_END}"
    rf"|{_AXIS_LAST}(?:{_axis_number(_GRID_END, first_digit=True)}))"
)
OS_GRID = _OS_GRID = re.compile(
    r"(?<![A-Za-z0-9])([HJNOST])([A-HJ-Z])\s?(\d{2,5})\s?(\d{2,5})(?!\d)"
)
_OS_LETTERS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"  # no I
PAIR_GAP = 40  # characters between the two numbers of a pair


def grid_numbers(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(value, start, end) of every 4- to 7-digit number (easting/northing sized) in text."""
    found = number_matches(text, _GRID_NUMBER)
    if not found:
        empty = np.zeros(0, dtype=np.int64)
        return np.zeros(0), empty, empty
    starts = np.fromiter((f[0] for f in found), dtype=np.int64, count=len(found))
    ends = np.fromiter((f[1] for f in found), dtype=np.int64, count=len(found))
    values = np.fromiter((float(f[2]) for f in found), dtype=np.float64, count=len(found))
    return values, starts, ends


def os_grid_references(text: str) -> list[tuple[int, int, int, str]]:
    """(easting, northing, precision in metres, as written) of every OS grid reference
    ("NZ 22089 63784", "SK5804"): the letters give the 100 km square, the digits (half
    each) the position inside it."""
    out = []
    for m in _OS_GRID.finditer(text):
        a, b, xs, ys = m.group(1), m.group(2), m.group(3), m.group(4)
        if len(xs) != len(ys):
            continue
        i1, i2 = _OS_LETTERS.index(a), _OS_LETTERS.index(b)
        # the 500 km square from the first letter, the 100 km square inside it from the second
        e500, n500 = (i1 % 5) - 2, 3 - (i1 // 5)
        e100, n100 = i2 % 5, 4 - (i2 // 5)
        scale = 10 ** (5 - len(xs))
        east = (e500 * 5 + e100) * 100_000 + int(xs) * scale
        north = (n500 * 5 + n100) * 100_000 + int(ys) * scale
        out.append((east, north, scale, m.group()))
    return out


def pair_keys(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """int64 key of integer (easting, northing) pairs (both below 2**21 metres)."""
    x = np.asarray(x, dtype=np.int64)
    y = np.asarray(y, dtype=np.int64)
    return x * (1 << 21) + y


def normalise_reference(text: str) -> str:
    """A reference as it may be retyped: upper case, letters and digits only."""
    return re.sub(r"[^0-9A-Z]", "", text.upper())


_DELETE = bytes(b for b in range(256) if not (chr(b).isalnum() and b < 128) and b not in (0, 10))


def squeeze_haystack(hay: bytes) -> bytes:
    """A haystack folded as :func:`normalise_reference` folds references: upper case, with
    everything but ASCII letters, digits and the string separators (NUL, newline) taken
    out, in two C calls."""
    return hay.upper().translate(None, _DELETE)


# --- runs of words (the free-text check) ---------------------------------------------------------
# A 64-bit hash of every run of N consecutive words of a folded text (lower-case ASCII letters
# and digits, single spaces between words, NUL between values), in numpy: equal runs have
# equal hashes, so the output's runs and the raw notes' runs meet by one sorted membership
# test, and only hash matches are compared as text. Cost: a few passes over each byte.
_POLY = 0x100000001B3
_POLY_INV = pow(_POLY, -1, 1 << 64)
_RUN_KEYS = np.array(
    [
        0x9E3779B97F4A7C15,
        0xC2B2AE3D27D4EB4F,
        0x165667B19E3779F9,
        0xD6E8FEB86659FD93,
        0xFF51AFD7ED558CCD,
        0xC4CEB9FE1A85EC53,
        0x27D4EB2F165667C5,
        0x94D049BB133111EB,
    ],
    dtype=np.uint64,
)
_LENGTH_KEY = np.uint64(0xBF58476D1CE4E5B9)
_RUN_CHUNK = 1 << 20  # (1 MB pieces: a third less CPU than 4 MB ones on a national month's notes)
_POWERS: dict[int, np.ndarray] = {}


def _powers(base: int, n: int) -> np.ndarray:
    """base**0 .. base**(n-1) modulo 2**64 (cached, grown as needed)."""
    have = _POWERS.get(base)
    if have is None or have.size < n:
        size = max(n, _RUN_CHUNK + 1)
        have = np.empty(size, dtype=np.uint64)
        have[0] = 1
        have[1:] = base
        np.cumprod(have, out=have)
        _POWERS[base] = have
    return have[:n]


def _nul_chunks(buf: bytes, size: int) -> Iterable[tuple[int, int]]:
    """(start, end) pieces of ``buf`` of about ``size`` bytes, cut at NULs (which no run
    crosses); the NUL itself is in neither piece."""
    pos, n = 0, len(buf)
    while pos < n:
        cut = buf.find(b"\x00", pos + size) if pos + size < n else -1
        end = n if cut < 0 else cut
        yield pos, end
        pos = end + 1


def iter_word_runs(buf: bytes, words: int) -> Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(byte start, byte end, hash) of every run of ``words`` consecutive words of ``buf``,
    piece by piece (about _RUN_CHUNK bytes at a time, in order). A word is a maximal run of
    bytes other than space and NUL; a run is ``words`` words each followed by exactly one
    space (the last by anything), so it never crosses a NUL. The hash depends only on the
    run's bytes."""
    if not 1 <= words <= _RUN_KEYS.size:
        raise ValueError(f"runs of 1 to {_RUN_KEYS.size} words")
    for lo, hi in _nul_chunks(buf, _RUN_CHUNK):
        if hi - lo <= 0:
            continue
        starts, ends, hashes = _chunk_runs(buf, lo, hi, words)
        if starts.size:
            yield starts + lo, ends + lo, hashes


def word_runs(buf: bytes, words: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`iter_word_runs` of a whole buffer at once."""
    parts = list(iter_word_runs(buf, words))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), np.zeros(0, dtype=np.uint64)
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
    )


def _chunk_runs(
    buf: bytes, lo: int, hi: int, words: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a = np.frombuffer(buf, dtype=np.uint8, count=hi - lo, offset=lo)
    starts, ends, word_hash = _word_hashes(a)
    count = starts.size - words + 1
    if count <= 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), np.zeros(0, dtype=np.uint64)
    # word k and k + 1 joined by exactly one space
    linked = (starts[1:] == ends[:-1] + 1) & (a[ends[:-1]] == 0x20)
    joins = np.zeros(starts.size, dtype=np.int64)
    np.cumsum(linked, out=joins[1:])
    valid = (joins[words - 1 : words - 1 + count] - joins[:count]) == words - 1
    run = _window_hashes(word_hash, words)
    keep = np.flatnonzero(valid)
    return starts[keep], ends[keep + words - 1], run[keep]


def _word_hashes(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start, end, hash) of every word of ``a`` (uint8; a word is a maximal run of bytes
    other than space and NUL). The hash depends only on the word's bytes (position-free), so
    a word hashes alike wherever it stands: :func:`segmented_runs` relies on it."""
    n = a.size
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), np.zeros(0, dtype=np.uint64)
    sep = (a == 0x20) | (a == 0)
    word = ~sep
    before = np.empty(n, dtype=bool)
    before[0] = True
    before[1:] = sep[:-1]
    after = np.empty(n, dtype=bool)
    after[-1] = True
    after[:-1] = sep[1:]
    starts = np.flatnonzero(word & before)
    ends = np.flatnonzero(word & after) + 1
    # polynomial hash of each word, position-free: (P[end] - P[start]) * base**-start
    prefix = np.empty(n + 1, dtype=np.uint64)
    prefix[0] = 0
    body = prefix[1:]  # (filled in place: no 8-byte-per-byte temporaries)
    np.multiply(a, _powers(_POLY, n), out=body, dtype=np.uint64)
    np.cumsum(body, out=body)
    word_hash = (prefix[ends] - prefix[starts]) * _powers(_POLY_INV, n)[starts]
    word_hash ^= (ends - starts).astype(np.uint64) * _LENGTH_KEY
    return starts, ends, word_hash


def _window_hashes(word_hash: np.ndarray, words: int) -> np.ndarray:
    """The run hash of every window of ``words`` consecutive word hashes (valid or not:
    the caller keeps the windows that are runs)."""
    count = word_hash.size - words + 1
    run = np.zeros(max(count, 0), dtype=np.uint64)
    for k in range(words):
        run += word_hash[k : k + count] * _RUN_KEYS[k]
    run ^= run >> np.uint64(31)
    run *= _RUN_KEYS[-1]
    run ^= run >> np.uint64(29)
    return run


_SEGMENTED_WORDS = 1 << 21  # words gathered at a time by segmented_runs (16 MB arrays)


#: (run hashes of a piece, then a function from places among them to the number of the text
#: each of those runs is in)
RunPiece = tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]


def segmented_runs(folded: bytes, texts: list[np.ndarray], words: int) -> Iterator[RunPiece]:
    """The hashes of every run of ``words`` words of each text, a text being given as the
    numbers of its segments (``texts``) in ``folded``, the distinct segments folded as
    :func:`word_runs` takes them (words separated by single spaces) and joined by NULs,
    segment i after the i-th NUL: in pieces of texts, in text order, each run once per
    occurrence, as :func:`word_runs` of the texts themselves folded and NUL-joined gives
    them.

    Why it is the same: a text's folded words are its segments' folded words one after the
    other (segments are cut at newlines, which fold to spaces, and folding is byte by byte),
    and inside a folded text every two words are joined by one space, so every window of
    ``words`` words of one text is a run; a run's hash depends only on its words' hashes,
    and a word's only on its bytes. So a page template's segments are hashed once, not on
    every page (a summaries folder: 51 MB of page text, 8 MB of distinct segments).

    Each piece comes with a function that names the text (its place in ``texts``) of the
    runs at the places it is given: only the few runs a caller asks about are placed, so a
    caller can narrow millions of runs to the texts that hold some of interest."""
    if not 1 <= words <= _RUN_KEYS.size:
        raise ValueError(f"runs of 1 to {_RUN_KEYS.size} words")
    if not texts:
        return
    nuls = np.flatnonzero(np.frombuffer(folded, dtype=np.uint8) == 0)
    n_segments = nuls.size + 1
    hashes, of_segment = [], []
    for lo, hi in _nul_chunks(folded, _RUN_CHUNK):
        if hi - lo <= 0:
            continue
        a = np.frombuffer(folded, dtype=np.uint8, count=hi - lo, offset=lo)
        starts, _ends, word_hash = _word_hashes(a)
        hashes.append(word_hash)
        of_segment.append(np.searchsorted(nuls, starts + lo))
    word_hash = np.concatenate(hashes) if hashes else np.zeros(0, dtype=np.uint64)
    segment_of = np.concatenate(of_segment) if of_segment else np.zeros(0, dtype=np.int64)
    per_segment = np.bincount(segment_of, minlength=n_segments).astype(np.int64)
    first_word = np.zeros(n_segments, dtype=np.int64)
    np.cumsum(per_segment[:-1], out=first_word[1:])
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    every = np.concatenate(texts).astype(np.int64)
    text_first = _starts_of(lengths)  # (each text's first place in ``every``)
    running = np.zeros(every.size + 1, dtype=np.int64)
    np.cumsum(per_segment[every], out=running[1:])
    text_words = running[text_first + lengths] - running[text_first]
    lo = 0
    while lo < len(texts):
        hi, total = lo, 0
        while hi < len(texts) and (hi == lo or total + text_words[hi] <= _SEGMENTED_WORDS):
            total += int(text_words[hi])
            hi += 1
        if total >= words:
            ids = every[text_first[lo] : text_first[hi - 1] + lengths[hi - 1]]
            counts = per_segment[ids]
            # the word numbers of the texts' segments, one after the other
            to_first = np.repeat(first_word[ids] - _starts_of(counts), counts)
            sequence = word_hash[np.arange(total, dtype=np.int64) + to_first]
            run = _window_hashes(sequence, words)
            # a window is a run when it ends inside the text it starts in: not one starting
            # in the last words - 1 places before a text's end (a text of fewer words: those
            # places reach back into the text before, whose windows there cross its end too)
            ends = np.cumsum(text_words[lo:hi])
            crossing = (ends[:, None] - np.arange(1, words, dtype=np.int64)).ravel()
            valid = np.ones(run.size, dtype=bool)
            valid[crossing[(crossing >= 0) & (crossing < run.size)]] = False
            yield run[valid], partial(_run_owners, np.flatnonzero(valid), ends, lo)
        lo = hi


def _run_owners(
    window_of: np.ndarray, ends: np.ndarray, first: int, places: np.ndarray
) -> np.ndarray:
    """The texts of the runs at ``places`` among a piece's runs: each run is the window
    ``window_of[place]`` of the piece's words, which starts in (and, being a run, stays in)
    the text whose words end first after it (``ends``: the running word counts of the
    piece's texts, the first of which is text ``first``)."""
    return first + np.searchsorted(ends, window_of[places], side="right")


def _starts_of(lengths: np.ndarray) -> np.ndarray:
    """Where each of consecutive parts of these lengths starts (0, then the running sums)."""
    starts = np.zeros(lengths.size, dtype=np.int64)
    if lengths.size > 1:
        np.cumsum(lengths[:-1], out=starts[1:])
    return starts


# --- text scanned once per distinct segment -------------------------------------------------------
# Where a text may be cut so that no match of the gate's text patterns (dates, times, phone
# numbers, e-mail addresses, numbers, grid references, hex tokens) changes: at a newline,
# unless what follows it is what one of them can take after a whitespace (\s consumes a
# newline only in the "1257 hrs", "9 pm", phone and OS grid patterns, always followed by
# h, a, p, a digit, a bracket or more whitespace, in either case: under re.IGNORECASE the
# letters h, a and p have no case partners but H, A and P, which tests/test_gate_text_scale.py
# checks over every code point; written out, because the engine splits a case-sensitive
# pattern a quarter faster over the 105 MB of a summaries folder). No pattern's lookbehind or
# lookahead treats a newline differently from the start or end of a text, so the matches in a
# text are exactly the matches in its segments. Page text repeats its template on every
# page: 105 MB of a 7,200-page summaries folder are 15 MB of distinct segments.
SEGMENT_CUT = re.compile(r"\n(?![hapHAP\s\d()])")
#: What GateContext.joined_strings puts between an artifact's strings. Its first newline is
#: followed by a NUL, which is no letter, whitespace, digit or bracket: SEGMENT_CUT always
#: cuts there, so no segment of a joined text spans two of its strings
#: (SegmentIndex.add_joined; tests/test_gate_joined_segments.py).
JOINED_SEP = "\n\x00\n"
# where a string stands in a joined text of two or more (SegmentIndex._piece)
_FIRST, _MIDDLE, _LAST = 0, 1, 2


class SegmentIndex:
    """Texts as the ids of their distinct segments (:data:`SEGMENT_CUT`), so that a scan
    runs once over the distinct segments and each text's findings are its segments'.

    ``found(text, key, scan)``: ``scan(segments)`` gets a list of segments and returns one
    result per segment (anything falsy: nothing found); the text's non-empty results come
    back in segment order. Each scan (named by ``key``) runs once per segment, in one batch
    over the segments of the texts given to :meth:`prepare` (else text by text). Only valid for
    scans whose matches never cross a cut, which holds for every pattern in this module
    except the pairs and runs of numbers written close together (which look across
    newlines: they are only pre-filtered by it, see checks._grid_segments)."""

    def __init__(self) -> None:
        self.segments: list[str] = []
        self._ids: dict[str, int] = {}
        self._texts: dict[str, np.ndarray] = {}  # by value: a data script repeats its strings
        # each string's segment ids where it stands first, in the middle or last in a joined
        # text (add_joined): by value, since pages repeat their template's strings
        self._pieces: tuple[dict[str, tuple[int, ...]], ...] = ({}, {}, {})
        self._cuts_after_nul: dict[str, bool] = {}  # by a string's first character
        self._results: dict[str, dict[int, Any]] = {}
        self._nothing: dict[str, set[str]] = {}  # per scan: texts known to find nothing
        self._scanned_ids: dict[str, np.ndarray] = {}
        self._hits: dict[str, np.ndarray] = {}
        # each segment's digit-masked form (digit_masked_hits), as an id into _masked_forms
        # (-1: not masked yet): masked once for every scan of the index, not once per scan
        self._masked_of = np.zeros(0, dtype=np.int64)
        self._masked_ids: dict[str, int] = {}
        self._masked_forms: list[str] = []
        # digit_runs of every segment: (how many segments, the least run length, the runs)
        self._runs: Optional[tuple[int, int, tuple[np.ndarray, ...]]] = None

    def add(self, texts: Iterable[str]) -> None:
        for text in texts:
            self.ids(text)

    def ids(self, text: str) -> np.ndarray:
        """The ids of a text's segments, in order (cached per text: equal texts, such as
        the labels a data script repeats thousands of times, are split once)."""
        cached = self._texts.get(text)
        if cached is not None:
            return cached
        parts = SEGMENT_CUT.split(text)
        index = self._ids
        new = set(parts).difference(index)
        if new:
            start = len(self.segments)
            listed = sorted(new)  # (sorted: the same ids from run to run)
            index.update(zip(listed, range(start, start + len(listed))))
            self.segments.extend(listed)
        ids = np.fromiter(map(index.__getitem__, parts), dtype=np.int32, count=len(parts))
        self._texts[text] = ids
        return ids

    def add_joined(self, text: str, values: Sequence[str]) -> None:
        """:meth:`ids` of ``text``, which is ``JOINED_SEP.join(values)`` (an artifact's
        strings to check, GateContext.joined_strings), from each distinct value's own
        segments: no segment spans two values (JOINED_SEP), so the text's segments are its
        values', each as it splits with what stands around it there, in order. Why: a
        national summaries folder's 7,200 pages join 2 million such strings, 124,000 of them
        distinct (their template's class names, colours and figures); the split of every
        page's text, the new segments looked for in each and the ids looked up one by one
        took some 0.7 s on one core. tests/test_gate_joined_segments.py compares the ids
        with a split of the text."""
        if text in self._texts:
            return
        if len(values) < 2:
            self.ids(text)
            return
        middle = self._pieces[_MIDDLE]
        inner = values[1:-1]
        try:
            pieces = list(map(middle.__getitem__, inner))
        except KeyError:  # (values met for the first time: split once, in order)
            self.prepare_joined(inner)
            pieces = list(map(middle.__getitem__, inner))
        first = self._known_piece(values[0], _FIRST)
        last = self._known_piece(values[-1], _LAST)
        ids = np.fromiter(chain(first, chain.from_iterable(pieces), last), dtype=np.int32)
        self._texts[text] = ids

    def prepare_joined(self, values: Iterable[str]) -> None:
        """Split each of ``values`` once as :meth:`add_joined` splits a string inside a joined
        text: the distinct strings of the texts to come (given in a fixed order, so that the
        ids are the same from run to run), so that no text meets a string for the first
        time (each such meeting walks that text's strings in Python)."""
        middle = self._pieces[_MIDDLE]
        for value in values:
            if value not in middle:
                middle[value] = self._piece(value, _MIDDLE)

    def _known_piece(self, value: str, where: int) -> tuple[int, ...]:
        known = self._pieces[where]
        piece = known.get(value)
        if piece is None:
            piece = known[value] = self._piece(value, where)
        return piece

    def _piece(self, value: str, where: int) -> tuple[int, ...]:
        """The ids of the segments of ``value`` where it stands ``where`` in a joined text of
        two or more values (each new segment numbered as met). Its stretch of the text is
        the value, after the NUL and newline of the separator before it (not the first),
        and is followed by the separator's cut (not the last): split with that newline
        after it, whose cut leaves an empty part that is no segment of the text, so that a
        newline ending the value sees what follows it in the text (whitespace: no cut)."""
        if value and "\n" not in value:  # (most strings: the separator's newline is the cut)
            if where == _FIRST:
                parts: Sequence[str] = (value,)
            elif self._cuts_after_separator(value[0]):
                parts = ("\x00", value)
            else:
                parts = ("\x00\n" + value,)
        else:
            stretch = value if where == _FIRST else "\x00\n" + value
            if where == _LAST:
                parts = SEGMENT_CUT.split(stretch)
            else:
                parts = SEGMENT_CUT.split(stretch + "\n")[:-1]
        index = self._ids
        for part in parts:
            if part not in index:
                index[part] = len(self.segments)
                self.segments.append(part)
        return tuple(map(index.__getitem__, parts))

    def _cuts_after_separator(self, char: str) -> bool:
        """Whether SEGMENT_CUT cuts at the separator's last newline, before ``char``."""
        cuts = self._cuts_after_nul.get(char)
        if cuts is None:
            cuts = self._cuts_after_nul[char] = SEGMENT_CUT.match("\n" + char) is not None
        return cuts

    def take(self, segments: list[str], texts: Iterable[tuple[str, np.ndarray]]) -> None:
        """Texts split by another index (a forked child's, core.gate.folder_beside): that
        index's ``segments``, and each text with its ids among them. Its segments new here
        are numbered after this index's, in its order; a text already here is kept."""
        index = self._ids
        new = [s for s in segments if s not in index]
        if new:
            start = len(self.segments)
            index.update(zip(new, range(start, start + len(new))))
            self.segments.extend(new)
        ours = np.fromiter(map(index.__getitem__, segments), dtype=np.int32, count=len(segments))
        known = self._texts
        for text, ids in texts:
            if text not in known:
                known[text] = ours[ids]

    def prepare(
        self, key: str, scan: Callable[[list[str]], list[Any]], texts: Iterable[str]
    ) -> None:
        """Run ``scan`` at once over every not yet scanned segment of ``texts`` (one batch:
        the texts a check is about to ask :meth:`found` for; no other segment is scanned).
        The texts none of whose segments found anything are noted too, so that :meth:`found`
        answers them from a set instead of looking at their segments (a national summaries
        folder: some 170,000 calls over 29,000 texts, nearly all finding nothing). Each
        distinct text is taken once (a web map's data scripts repeat their keys and names:
        90,000 texts, 18,000 distinct): the segments scanned and the texts noted are sets."""
        listed = list(dict.fromkeys(texts))
        ids = [self.ids(t) for t in listed]
        if ids:
            every = np.concatenate(ids)
            wanted = np.zeros(len(self.segments), dtype=bool)
            wanted[every] = True  # (a mask, not a sort of millions of ids)
            _results, hits = self._scan_ids(key, scan, np.flatnonzero(wanted))
            # (every text has a segment: a split gives at least one part)
            starts = np.zeros(len(ids), dtype=np.int64)
            starts[1:] = np.cumsum(np.fromiter(map(len, ids), np.int64, len(ids)))[:-1]
            found_any = np.logical_or.reduceat(hits[every], starts)
            nothing = self._nothing.setdefault(key, set())
            nothing.update(compress(listed, (~found_any).tolist()))

    def found(self, text: str, key: str, scan: Callable[[list[str]], list[Any]]) -> list[Any]:
        nothing = self._nothing.setdefault(key, set())
        if text in nothing:  # (the usual answer, asked again for each repeat of a text)
            return []
        ids = self.ids(text)
        results, hits = self._scan_ids(key, scan, ids)
        picked = ids[hits[ids]]
        if not picked.size:
            nothing.add(text)
        return [results[i] for i in picked.tolist()]

    def any_found(
        self, texts: Iterable[str], key: str, scan: Callable[[list[str]], list[Any]]
    ) -> bool:
        """``any(self.found(t, key, scan) for t in texts)``, looked up for all of them at
        once (one batch of their not yet scanned segments, one mask lookup): a data script's
        18,000 distinct labels and names are not asked one by one for each scan."""
        ids = [self.ids(t) for t in dict.fromkeys(texts)]
        if not ids:
            return False
        wanted = np.concatenate(ids)
        _results, hits = self._scan_ids(key, scan, wanted)
        return bool(hits[wanted].any())

    def _scan_ids(
        self, key: str, scan: Callable[[list[str]], list[Any]], ids: np.ndarray
    ) -> tuple[dict[int, Any], np.ndarray]:
        """(results of segments that found something, which segments did) for ``key``,
        scanning those of ``ids`` not scanned yet."""
        results = self._results.setdefault(key, {})
        n = len(self.segments)
        scanned = self._scanned_ids.get(key)
        hits = self._hits.get(key)
        if scanned is None or hits is None or scanned.size < n:
            grown = np.zeros(n, dtype=bool)
            grown_hits = np.zeros(n, dtype=bool)
            if scanned is not None and hits is not None:
                grown[: scanned.size] = scanned
                grown_hits[: hits.size] = hits
            scanned = self._scanned_ids[key] = grown
            hits = self._hits[key] = grown_hits
        todo = ids[~scanned[ids]]
        if todo.size:
            todo = np.unique(todo)  # (a text's own few, or prepare's already distinct ids)
            new = scan(SegmentBatch(self, todo))
            if len(new) != todo.size:
                raise ValueError("a segment scan must give one result per segment")
            for i, result in zip(todo.tolist(), new):
                if _found_something(result):
                    results[i] = result
                    hits[i] = True
            scanned[todo] = True
        return results, hits

    def masked_forms(self, ids: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """(the id of each segment's digit-masked form (_digits_as_one), the forms by id)
        for the segments ``ids``: a segment is masked the first time a scan asks, and its
        form is kept for the other scans of the index (a summaries folder's 310,000
        segments, five scans)."""
        n = len(self.segments)
        if self._masked_of.size < n:
            grown = np.full(n, -1, dtype=np.int64)
            grown[: self._masked_of.size] = self._masked_of
            self._masked_of = grown
        todo = ids[self._masked_of[ids] < 0]
        if todo.size:
            todo = np.unique(todo)
            known = self._masked_ids
            forms = self._masked_forms
            masked = _digits_as_one([self.segments[i] for i in todo.tolist()])
            for form in dict.fromkeys(masked):
                if form not in known:
                    known[form] = len(forms)
                    forms.append(form)
            self._masked_of[todo] = np.fromiter(
                map(known.__getitem__, masked), dtype=np.int64, count=len(masked)
            )
        return self._masked_of[ids], self._masked_forms

    def digit_runs_of_all(
        self, min_length: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """digit_runs(self.segments, min_length), kept for the next scan that asks: the runs
        of at least a longer length are those listed with their length at least it (the
        metre scan asks for 3 digits, the grid scan for 4, over the same segments)."""
        n = len(self.segments)
        cached = self._runs
        if cached is None or cached[0] != n or cached[1] > min_length:
            cached = self._runs = (n, min_length, digit_runs(self.segments, min_length))
        seg, value, length, other = cached[2]
        if cached[1] < min_length:
            keep = length >= min_length
            return seg[keep], value[keep], length[keep], other
        return seg, value, length, other


class SegmentBatch(list):
    """The segments ``ids`` of a SegmentIndex, as the list of str a segment scan is given,
    knowing their index and ids: so that what depends on a segment alone (its digit-masked
    form, :func:`digit_masked_hits`) is computed once per segment for all the scans."""

    def __init__(self, index: SegmentIndex, ids: np.ndarray) -> None:
        n = len(index.segments)
        every = ids.size == n and (n == 0 or (ids[0] == 0 and bool((np.diff(ids) == 1).all())))
        # (every segment, in order: the usual batch of a prepared scan, copied in C)
        super().__init__(index.segments if every else [index.segments[i] for i in ids.tolist()])
        self.source = index
        self.ids = ids
        self.every = every


def _found_something(result: Any) -> bool:
    if isinstance(result, np.ndarray):
        return result.size > 0
    return bool(result)


def strings_by_segment(segments: list[str], pattern: re.Pattern) -> dict[int, list[str]]:
    """{segment index: the texts of its matches of ``pattern``, in order}: what
    :func:`matches_by_segment` gives as ``m.group()``, without a Match object per match
    (``findall`` on each segment; a segment's ends are the NUL's of the joined form to
    every pattern here). For patterns without groups (``findall`` would give the groups)."""
    if pattern.groups:
        raise ValueError("strings_by_segment needs a pattern without groups")
    findall = pattern.findall
    out: dict[int, list[str]] = {}
    for i, segment in enumerate(segments):
        found = findall(segment)
        if found:
            out[i] = found
    return out


def matches_by_segment(segments: list[str], pattern: re.Pattern) -> dict[int, list[re.Match]]:
    """{segment index: its matches of ``pattern``, in order}, from one pass over the
    segments joined by NUL (which no pattern here takes or looks at, like a text's ends)."""
    joined = "\x00".join(segments)
    starts = np.zeros(len(segments), dtype=np.int64)
    if len(segments) > 1:
        starts[1:] = np.cumsum(np.fromiter(map(len, segments), np.int64, len(segments))[:-1] + 1)
    found = list(pattern.finditer(joined))
    out: dict[int, list[re.Match]] = {}
    if not found:
        return out
    at = np.fromiter((m.start() for m in found), dtype=np.int64, count=len(found))
    where = np.searchsorted(starts, at, side="right") - 1
    for m, i in zip(found, where.tolist()):
        out.setdefault(i, []).append(m)
    return out


# --- cheap necessary conditions before a segment scan ---------------------------------------------
# A national summaries folder is 310,000 distinct segments (15 MB), nearly all of them the
# same template lines with other numbers in them; the gate's patterns find nothing in almost
# all. Two exact prefilters pick the segments a scan can find something in, and only those are
# scanned (so each scan's results are unchanged):
# - digit_masked_hits: the scan's test run on the distinct segments with every ASCII digit
#   written as 1 (4,700 distinct forms, 0.9 MB). Valid for a test that finds something in a
#   text whenever it does before masking: patterns whose digit classes and alternatives
#   accept "1" / "11" wherever they accept any 1 / 2 ASCII digits (\d, [0-5], 0?[1-9],
#   1[0-2], [12]\d...), whose lookarounds treat all ASCII digits alike (\d, \w, [0-9...])
#   and that hold no other digit literal (so not scan.PHONE: "+44", "(0").
# - digit_runs: every maximal run of ASCII digits with its value, in numpy, so that a scan
#   that only finds numbers of given values (raw whole metres, grid numbers) runs only on
#   segments holding such a number. A segment that is not ASCII is always scanned (Unicode
#   digits are \d too).
_ONE_DIGIT = str.maketrans("0123456789", "1111111111")


def digit_masked_hits(
    segments: Sequence[str], test: Callable[[list[str]], list[Any]]
) -> np.ndarray:
    """Per segment: whether ``test`` (a segment scan: one result per segment, falsy when
    nothing is found) finds something in it with its ASCII digits written as 1. See above for
    the tests this is a necessary condition for."""
    if isinstance(segments, SegmentBatch) and len(segments) == segments.ids.size:
        # (the forms the index keeps: each segment masked once for every scan)
        ids, known = segments.source.masked_forms(segments.ids)
        present, inverse = np.unique(ids, return_inverse=True)
        where = inverse.reshape(-1)
        listed = [known[i] for i in present.tolist()]
    else:
        forms: dict[str, int] = {}
        where = np.fromiter(
            (forms.setdefault(form, len(forms)) for form in _digits_as_one(segments)),
            dtype=np.int64,
            count=len(segments),
        )
        listed = list(forms)
    results = test(listed)
    if len(results) != len(listed):
        raise ValueError("a segment scan must give one result per segment")
    hit = np.fromiter(map(_found_something, results), dtype=bool, count=len(listed))
    return hit[where] if where.size else np.zeros(0, dtype=bool)


_ONE_DIGIT_BYTES = bytes(0x31 if 0x30 <= b <= 0x39 else b for b in range(256))


def _digits_as_one(segments: Sequence[str]) -> list[str]:
    """Each segment with its ASCII digits written as 1: one translate of the joined text
    (bytes, for ASCII text), cut back at the segments' lengths (the masking keeps them)."""
    joined = "".join(segments)
    if joined.isascii():
        masked = joined.encode("ascii").translate(_ONE_DIGIT_BYTES).decode("ascii")
    else:  # (UTF-8 bytes of other characters are 0x80 and up: left alone)
        encoded = joined.encode("utf-8", errors="surrogatepass")
        masked = encoded.translate(_ONE_DIGIT_BYTES).decode("utf-8", errors="surrogatepass")
    ends = np.cumsum(np.fromiter(map(len, segments), dtype=np.int64, count=len(segments)))
    starts = ends - np.fromiter(map(len, segments), dtype=np.int64, count=len(segments))
    return [masked[a:b] for a, b in zip(starts.tolist(), ends.tolist())]


def scan_candidates(
    segments: Sequence[str],
    scan: Callable[[list[str]], list[Any]],
    candidates: np.ndarray,
    empty: Any,
) -> list[Any]:
    """``scan(segments)`` when every segment outside ``candidates`` (a mask) is known to give
    ``empty``: only the candidates are scanned."""
    out = [empty] * len(segments)
    picked = np.flatnonzero(candidates).tolist()
    if picked:
        results = scan([segments[i] for i in picked])
        if len(results) != len(picked):
            raise ValueError("a segment scan must give one result per segment")
        for i, result in zip(picked, results):
            out[i] = result
    return out


_MAX_RUN_DIGITS = 18  # longer runs get no value (int64); callers treat them as candidates


def digit_runs(
    segments: Sequence[str], min_length: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(segment index, value, length) of every maximal run of ASCII digits (of at least
    ``min_length`` digits) in the ASCII segments (value -1 for runs over 18 digits), and a
    mask of the segments that are not ASCII, whose runs are not listed (a caller must scan
    them)."""
    ascii_mask = np.fromiter(map(str.isascii, segments), dtype=bool, count=len(segments))
    kept = segments
    if not ascii_mask.all():  # the others blanked (a copy, and a step per such segment only)
        kept = list(segments)
        for i in np.flatnonzero(~ascii_mask).tolist():
            kept[i] = ""
    lengths = np.fromiter(map(len, kept), dtype=np.int64, count=len(kept))
    starts = np.zeros(len(kept), dtype=np.int64)
    if len(kept) > 1:
        starts[1:] = np.cumsum(lengths[:-1] + 1)
    buf = np.frombuffer("\x00".join(kept).encode("ascii"), dtype=np.uint8)
    digit = (buf >= 0x30) & (buf <= 0x39)
    edges = np.diff(np.concatenate(([False], digit, [False])).astype(np.int8))
    run_start = np.flatnonzero(edges == 1)
    run_end = np.flatnonzero(edges == -1)
    run_len = run_end - run_start
    if min_length > 1:
        wide = run_len >= min_length
        run_start, run_end, run_len = run_start[wide], run_end[wide], run_len[wide]
    value = np.full(run_start.size, -1, dtype=np.int64)
    short = np.flatnonzero(run_len <= _MAX_RUN_DIGITS)
    if short.size:
        # each digit times 10 to the power of its place from the run's end, summed per run
        lengths = run_len[short]
        at = np.repeat(run_end[short] - lengths, lengths) + _ranks(lengths)
        place = np.repeat(run_end[short], lengths) - 1 - at
        digits = (buf[at].astype(np.int64) - 0x30) * _POWERS_OF_TEN[place]
        firsts = np.zeros(short.size, dtype=np.int64)
        firsts[1:] = np.cumsum(lengths)[:-1]
        value[short] = np.add.reduceat(digits, firsts)
    seg = np.searchsorted(starts, run_start, side="right") - 1
    return seg, value, run_len, ~ascii_mask


_POWERS_OF_TEN = 10 ** np.arange(_MAX_RUN_DIGITS, dtype=np.int64)


def _ranks(lengths: np.ndarray) -> np.ndarray:
    """0, 1, ..., n - 1 for each n of ``lengths`` (all at least 1), concatenated."""
    total = int(lengths.sum())
    starts = np.cumsum(lengths) - lengths
    return np.arange(total, dtype=np.int64) - np.repeat(starts, lengths)


def segments_with_numbers(
    segments: Sequence[str],
    wanted: Callable[[np.ndarray, np.ndarray], np.ndarray],
    min_length: int = 1,
) -> np.ndarray:
    """Per segment: whether it is not ASCII or holds a run of ASCII digits (of at least
    ``min_length``) for which ``wanted(value, length)`` (vectorised; value -1 past 18
    digits) is true."""
    if isinstance(segments, SegmentBatch) and segments.every and len(segments) == segments.ids.size:
        seg, value, length, other = segments.source.digit_runs_of_all(min_length)
    else:
        seg, value, length, other = digit_runs(segments, min_length)
    out = other.copy()
    out[seg[wanted(value, length)]] = True
    return out
