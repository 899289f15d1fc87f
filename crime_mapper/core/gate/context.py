"""Shared pieces of the leak gate: check names and thresholds, the GateCheck record, and the
context every check reads (the raw table, the map points and the output, each view computed
once and cached, so that six checks on a national month cost little more than one).
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from itertools import compress
from typing import Any, Callable, Optional, TypeVar, cast

import numpy as np
import pandas as pd

from ..common.schema import EXTRA_PREFIX
from ..common.vocabulary import (
    CATEGORIES,
    LEGACY_CATEGORIES,
    MONTH_RE,
    OUTCOME_NAMES,
    all_category_names,
    normalise_category,
    normalise_outcome,
)
from ..release.public_schema import PUBLIC_COLUMNS, PUBLIC_LAYER_DESCRIPTION
from . import scan
from .output_reader import Artifact, normalise, shown_text

CHECK_NAMES: tuple[str, ...] = (
    "public_schema",
    "coordinates_are_map_points",
    "no_raw_coordinates",
    "no_dates_finer_than_month",
    "no_source_references",
    "no_non_public_values",
    "no_contact_details",
    "locations_are_anonymous",
)
MAX_EXAMPLES = 5
PROJECTED_SOURCE_CRS = ("EPSG:27700", "EPSG:2157")
NON_PUBLIC_COLUMNS = ("offence", "location")  # plus every extra_* column
MIN_VALUE_CHARS = 4  # shorter raw values are too common to mean anything ("Y", "N", "A1")
MIN_SUBSTRING_CHARS = 8  # raw values this long are also searched for inside longer text
WHOLE_WORD_BELOW = 12  # ... as whole words only when shorter than this
MIN_REFERENCE_SUBSTRING = 8
NO_LOCATION = "No Location"
LOCATION_PREFIX = "On or near"
_PURE_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")
_DOT_4_DIGITS = re.compile(r"\.\d{4}")  # what every scan.DECIMAL_4 number holds
_HEX_CHARS = "0123456789abcdefABCDEF"
HEX_LENGTHS = {32: "md5", 40: "sha1", 64: "sha256"}
_NUMBER_START = frozenset("+-0123456789")
_FORMULA_GUARD = ("'=", "'+", "'-", "'@", "'\t", "'\r")
MIN_SQUEEZED_REFERENCE = 8  # a reference retyped without punctuation: letters and digits
FRAGMENT_WORDS = 6  # a run of this many words of raw free text in an output is a leak...
MIN_FRAGMENT_CHARS = 30  # ...when it is at least this long
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    """Lower case for ASCII letters only: the same folding as ``bytes.lower()`` on the
    haystack, so a pattern and the text it is searched in fold alike."""
    if text.isascii():
        return text.lower()
    # bytes.lower folds A-Z only and leaves every byte of a UTF-8 sequence (0x80 and up)
    # alone: the same string, a C pass instead of str.translate's per-character lookups
    return (
        text.encode("utf-8", errors="surrogatepass").lower().decode("utf-8", errors="surrogatepass")
    )


MIN_FRAGMENT_LETTER_WORDS = 4  # a run of numbers (coordinates, counts) is not free text


def lower_all(values: list[str]) -> list[str]:
    """:func:`ascii_lower` of many strings in one C call (a join, a translate, a split)."""
    if not values:
        return []
    joined = "\x00".join(values)
    # ASCII text (the usual case): str.lower is the same folding, and far faster in C
    out = ascii_lower(joined).split("\x00")
    if len(out) != len(values):  # a value held a NUL: one by one
        return [ascii_lower(v) for v in values]
    return out


# (buffer, byte start, byte length, character length): scan.text_layout's
_Layout = tuple[bytes, np.ndarray, np.ndarray, np.ndarray]
# (values, lower_heads of each, byte length of each): PreparedGate.lowered_heads'
_Heads = tuple[list, np.ndarray, np.ndarray]
_UPPER_A, _UPPER_Z = 0x41, 0x5A


def lower_heads(buf: bytes, start: np.ndarray, nbytes: np.ndarray) -> np.ndarray:
    """The first 8 bytes of each string of ``buf`` (at ``start``, ``nbytes`` long) after
    bytes.lower(), as a little-endian uint64 with the bytes past the string's end zero:
    the same as the heads of the lowered buffer (bytes.lower folds the bytes A-Z alone, one
    by one), lowered in the 8 bytes of each head instead of the whole buffer."""
    if start.size == 0:
        return np.zeros(0, dtype=np.uint64)
    padded = buf + bytes(8)
    windows: np.ndarray = np.ndarray(
        shape=(len(buf) + 1,), dtype="<u8", buffer=padded, strides=(1,)
    )
    heads = windows[start] & _HEAD_MASKS[np.minimum(nbytes, 8)]
    octets = heads.view(np.uint8)  # (a copy's bytes: lowered in place)
    octets += ((octets >= _UPPER_A) & (octets <= _UPPER_Z)).view(np.uint8) << 5
    return heads


_HEAD_MASKS = np.array(
    [(1 << (8 * r)) - 1 for r in range(8)] + [(1 << 64) - 1], dtype=np.uint64
)  # the first r bytes of a little-endian uint64


def _kept_heads(
    buf: bytes, start: np.ndarray, nbytes: np.ndarray, listed: list, kept: list[str]
) -> _Heads:
    """(kept values, their lower_heads, their byte lengths), from the text ``buf`` that
    holds ``listed`` (kept is drawn from listed, each value once)."""
    if len(kept) == len(listed):  # (every value kept: the same values, listed's order)
        return listed, lower_heads(buf, start, nbytes), nbytes
    chosen = set(kept)
    mask = np.fromiter(map(chosen.__contains__, listed), dtype=bool, count=len(listed))
    values = list(compress(listed, mask.tolist()))
    return values, lower_heads(buf, start[mask], nbytes[mask]), nbytes[mask]


def _joined_heads(heads: list[_Heads]) -> _Heads:
    values: list[str] = []
    for part in heads:
        values += part[0]
    if not heads:
        return values, np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    return (
        values,
        np.concatenate([h[1] for h in heads]),
        np.concatenate([h[2] for h in heads]).astype(np.int64),
    )


def _lowered_with_layout(values: list[str]) -> tuple[list[str], Optional[_Layout]]:
    """(lower_all(values), the scan.text_layout of that list when it costs no second join:
    the lowered joined text encoded, its NULs the cuts; None when a value holds a NUL or
    does not encode strictly, as text_layout encodes)."""
    if not values:
        return [], None
    low = ascii_lower("\x00".join(values))
    out = low.split("\x00")
    if len(out) != len(values):  # a value held a NUL: one by one (no layout)
        return [ascii_lower(v) for v in values], None
    try:
        buf = low.encode("utf-8")
    except UnicodeEncodeError:  # (a lone surrogate: text_layout raises it where it did)
        return out, None
    spans = scan._nul_spans(buf, len(out), len(low))
    return out, None if spans is None else (buf, *spans)


_WORD_BYTES = bytes(
    b if (48 <= b <= 57 or 97 <= b <= 122 or b == 0) else 32 for b in range(256)
)  # digits, lower-case letters and NUL kept; everything else (after lowering) a space


# _WORD_BYTES of bytes.lower() of each byte (which folds A-Z alone), as one table
_LOWER_WORD_BYTES = bytes(_WORD_BYTES[bytes([b]).lower()[0]] for b in range(256))


def fold_words_bytes(text: str) -> bytes:
    """Lower-case words (ASCII letters and digits) separated by single spaces; NULs kept
    as separators. The same folding on both sides of the free-text fragment search; a
    translate and a split in C, so 50 MB of notes fold in a fraction of a second."""
    return _fold_encoded(text.encode("utf-8", errors="replace"))


def _fold_encoded(encoded: bytes) -> bytes:
    """:func:`fold_words_bytes` of a text given as its UTF-8 (or that UTF-8 already lowered
    by bytes.lower: the table lowers first, and lowering twice is lowering once)."""
    folded = encoded.translate(_LOWER_WORD_BYTES)  # (bytes.lower, then _WORD_BYTES: one pass)
    if len(folded) >= _SPACED_IN_NUMPY:
        return b"\x00".join(_single_spaced(folded, lo, hi) for lo, hi in _pieces(folded))
    return _single_spaced_by_replacing(folded)


_SPACED_IN_NUMPY = 1 << 16  # a large text's spaces are tidied in numpy, in pieces of...
_SPACED_PIECE = 1 << 18  # ...about 256 KB (cut at NULs), so its masks stay in cache


def _single_spaced_by_replacing(folded: bytes) -> bytes:
    """Runs of spaces to one, none at the ends or beside a NUL (what b" ".join(
    folded.split()) gives between the NULs, since the translate left no whitespace but
    spaces), without a list of millions of words."""
    while b"  " in folded:  # each pass halves every run; text has short runs
        folded = folded.replace(b"  ", b" ")
    folded = folded.strip(b" ")
    return folded.replace(b" \x00", b"\x00").replace(b"\x00 ", b"\x00")


def _pieces(buf: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) of pieces of ``buf`` of about _SPACED_PIECE bytes, cut at NULs (the NUL
    in neither piece; a buffer without NUL is one piece)."""
    pos, n = 0, len(buf)
    while True:
        cut = buf.find(b"\x00", pos + _SPACED_PIECE) if pos + _SPACED_PIECE < n else -1
        if cut < 0:
            yield pos, n
            return
        yield pos, cut
        pos = cut + 1


def _single_spaced(buf: bytes, lo: int, hi: int) -> bytes:
    """:func:`_single_spaced_by_replacing` of ``buf[lo:hi]`` (bytes of words, spaces and
    NULs only) in numpy, in two compressions: every space followed by a space goes (each run
    is left as its last space: the same bytes as its first), then a space goes unless a
    word byte is on both sides of it."""
    a = np.frombuffer(buf, dtype=np.uint8, count=hi - lo, offset=lo)
    if a.size == 0:
        return b""
    space = a == 0x20
    keep = np.empty(a.size, dtype=bool)
    np.logical_and(space[:-1], space[1:], out=keep[:-1])
    keep[-1] = False
    np.logical_not(keep, out=keep)
    b = a[keep]
    keep = b != 0x20
    word = b > 0x20  # (letters and digits; the rest are spaces and NULs)
    if b.size > 2:
        inner = keep[1:-1]  # (a view: a single space between two word bytes is kept)
        inner |= word[:-2] & word[2:]
    return b[keep].tobytes()


def raw_run_hashes(raw_text: bytes) -> np.ndarray:
    """Sorted distinct hashes (scan.word_runs) of every run of FRAGMENT_WORDS words of the
    folded raw free text."""
    parts = [h for _s, _e, h in scan.iter_word_runs(raw_text, FRAGMENT_WORDS)]
    if not parts:
        return np.zeros(0, dtype=np.uint64)
    # np.unique of them all: one sort in place (not a sort per piece, then a merge of the
    # sorted pieces: 4.3 million hashes of a national month's notes, 2.1 million distinct)
    hashes = np.concatenate(parts)
    del parts
    hashes.sort()
    first = np.empty(hashes.size, dtype=bool)  # (each hash that differs from the one before)
    first[0] = True
    np.not_equal(hashes[1:], hashes[:-1], out=first[1:])
    return hashes[first]


def fold_words(text: str) -> str:
    return fold_words_bytes(text).decode("ascii")


def words_of(text: str) -> list[str]:
    """Lower-case words (letters and digits) of a text, punctuation and spacing dropped."""
    return fold_words(text.replace("\x00", " ")).split()


def fragments_of(text: str) -> list[str]:
    """Every run of FRAGMENT_WORDS words of a text that is at least MIN_FRAGMENT_CHARS long
    and has MIN_FRAGMENT_LETTER_WORDS words with letters, as space-joined lower-case words."""
    if text.count(" ") < FRAGMENT_WORDS - 1:
        return []
    words = words_of(text)
    lettered = [not w.isdigit() for w in words]
    out = []
    for i in range(len(words) - FRAGMENT_WORDS + 1):
        if sum(lettered[i : i + FRAGMENT_WORDS]) < MIN_FRAGMENT_LETTER_WORDS:
            continue
        run = " ".join(words[i : i + FRAGMENT_WORDS])
        if len(run) >= MIN_FRAGMENT_CHARS:
            out.append(run)
    return out


@dataclass
class GateCheck:
    """One check's verdict. ``examples`` never hold a whole raw free-text value."""

    name: str
    passed: bool
    detail: str
    examples: list[str] = field(default_factory=list)


def short(value: Any, limit: int = 40) -> str:
    """A value cut for a message: an analyst can recognise it, a log does not republish it."""
    text = " ".join(str(value).split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


class FirstKeyIndex(Mapping[str, str]):
    """The first value of each key (of those ``eligible`` admits and not ``excluded``), in
    the order of ``dict(zip(reversed(keys), reversed(values)))`` (``forward``: in the order
    of first occurrence), as far as a few lookups need it:
    ``in`` is a set of the keys, ``[]`` the first position of the key, and only iterating
    (a tie between two patterns at one offset, or many lookups) builds the dict itself.

    Why: a GeoPackage's table name and metadata are a few short strings, looked up among
    the 650,000 raw values of a national month; a dict of all of them cost more than the
    rest of that check."""

    LOOKUPS_BEFORE_DICT = 16

    def __init__(
        self,
        keys: list[str],
        values: list[str],
        eligible: Optional[Callable[[str], bool]] = None,
        excluded: Collection[str] = (),
        forward: bool = False,
        key_set: Optional[set[str]] = None,
        distinct: bool = False,
    ) -> None:
        if key_set is not None:  # the keys the other arguments give, already known
            self.__dict__["key_set"] = key_set
        self._keys = keys
        self._values = values
        self._eligible = eligible
        self._excluded = excluded
        self._forward = forward
        # ``distinct``: the keys are distinct and every one is in key_set (given), in the
        # dict's order: iterating them needs no dict
        self._distinct_keys = distinct and forward and key_set is not None
        self._lookups = 0

    @classmethod
    def of(cls, mapping: Mapping[str, str]) -> FirstKeyIndex:
        """An index that is an existing dict (its order kept)."""
        return cls(list(mapping), list(mapping.values()), forward=True)  # (one order)

    @cached_property
    def key_set(self) -> set[str]:
        """Every key the dict would hold."""
        keys = set(self._keys).difference(self._excluded)
        if self._eligible is not None:
            keys = {k for k in keys if self._eligible(k)}
        return keys

    @cached_property
    def as_dict(self) -> dict[str, str]:
        if self._distinct_keys:
            return dict(zip(self._keys, self._values))
        out: dict[str, str] = {}
        if self._forward:
            for key, value in zip(self._keys, self._values):
                if key not in out:
                    out[key] = value
        else:
            out = dict(zip(reversed(self._keys), reversed(self._values)))  # the first wins
        for key in [k for k in out if k not in self.key_set]:
            del out[key]
        return out

    def __contains__(self, key: object) -> bool:
        return key in self.key_set

    def __getitem__(self, key: str) -> str:
        if "as_dict" in self.__dict__ or self._lookups >= self.LOOKUPS_BEFORE_DICT:
            return self.as_dict[key]
        if key not in self.key_set:
            raise KeyError(key)
        self._lookups += 1
        return self._values[self._keys.index(key)]

    def __iter__(self) -> Iterator[str]:
        if self._distinct_keys and "as_dict" not in self.__dict__:
            return iter(self._keys)  # (the dict's keys, in its order)
        return iter(self.as_dict)

    def __len__(self) -> int:
        return len(self.key_set)


_View = TypeVar("_View", bound=Callable[..., Any])


def _shared(view: _View) -> _View:
    """A view of the raw table and map points alone (no extras): a preparation made on a
    base (the same inputs without extras) takes the base's, computed once for both."""
    name = view.__name__

    @functools.wraps(view)
    def borrowed(self: PreparedGate) -> Any:
        base = self._base
        return getattr(base, name) if base is not None else view(self)

    return cast(_View, borrowed)


# ---------------------------------------------------------------------------------------------
def _squeezed_key_eligible(key: str) -> bool:
    """A squeezed reference worth looking for: 8+ letters and digits, both present."""
    return len(key) >= MIN_SQUEEZED_REFERENCE and not key.isdigit() and not key.isalpha()


class PreparedGate:
    """The raw side of the gate (raw crimes table, map points, settings), computed lazily and
    cached, so that several outputs of one release (the public CSV and GeoPackage, a web map
    folder...) are checked without rebuilding 500,000-row views each time.

    Everything here depends only on the inputs it was built from; nothing of an output. Each
    view is computed the first time a check needs it, inside that check, so an error still
    fails that check (closed) and not the whole gate.
    """

    raw: pd.DataFrame
    points: Any
    extra_allowed: Optional[tuple[np.ndarray, np.ndarray]]
    extra_public: set[str]

    def __init__(
        self,
        raw: pd.DataFrame,
        points: Any,
        extra_allowed: Optional[tuple[np.ndarray, np.ndarray]] = None,
        extra_public: Iterable[str] = (),
        min_addresses: int = 8,
        base: Optional[PreparedGate] = None,
    ) -> None:
        if not isinstance(raw, pd.DataFrame):
            raise TypeError("raw must be the internal crimes DataFrame")
        if base is not None and (
            base.raw is not raw
            or base.points is not points
            or base.extra_allowed is not None
            or base.extra_public
        ):
            raise ValueError(
                "a base preparation must be of the same raw table and map points, without "
                "extra coordinates or public values"
            )
        self.raw = raw
        self.points = points
        self.min_addresses = int(min_addresses)
        self.extra_allowed = extra_allowed
        self.extra_public = {normalise(str(v)) for v in extra_public}
        # ``base``: the same inputs' preparation without extras (core/gate ReleaseGate keeps
        # one per release): views of the raw table and map points alone are borrowed from
        # it, and the views the extras change are derived from its (exactly what computing
        # them afresh gives), so each output of a release with its own extras (outline
        # vertices, neighbourhood names) costs no second raw-side preparation.
        self._base = base
        self._digests: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._secret_set: set[str] = set()
        # (values, heads, byte lengths) of the non-public values and of the references as
        # checks' proofs fold them (lowered_heads), made from the text secret_parts and
        # references join anyway; None when a value took another path
        # (each with the view's object it was made for)
        self._secret_heads: Optional[tuple[object, _Heads]] = None
        self._reference_heads: Optional[tuple[object, _Heads]] = None
        # (secret_lower, the layout of its keys in reverse) when secret_lower made one: for
        # secret_lower_patterns, which takes it (once)
        self._lower_layout: Optional[tuple[Mapping[str, str], _Layout]] = None
        # (secret_parts, the layout of their values' lowered text) when secret_lower made
        # one: for free_text, whose columns' text is a stretch of it
        self._lowered_text: Optional[tuple[object, _Layout]] = None
        self._values_of: object = None  # (the secret_parts secret_values was made of)

    def serves(
        self,
        raw: pd.DataFrame,
        points: Any,
        extra_allowed: Optional[tuple[np.ndarray, np.ndarray]],
        extra_public: Iterable[str],
        min_addresses: int = 8,
    ) -> bool:
        """Whether this preparation was built from exactly these inputs (the same objects;
        equal extra coordinates, public values and catchment minimum)."""
        if raw is not self.raw or points is not self.points:
            return False
        if int(min_addresses) != self.min_addresses:
            return False
        if {normalise(str(v)) for v in extra_public} != self.extra_public:
            return False
        if (extra_allowed is None) != (self.extra_allowed is None):
            return False
        mine = self.extra_allowed
        if extra_allowed is None or mine is None:
            return True
        return all(
            np.array_equal(
                np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64), equal_nan=True
            )
            for a, b in zip(extra_allowed, mine)
        )

    # --- coordinates ---
    @cached_property
    def allowed_keys(self) -> np.ndarray:
        base = self._base
        if base is not None:
            if self.extra_allowed is None:
                return base.allowed_keys
            return np.unique(np.concatenate([base.allowed_keys, self.extra_keys]))
        # (the map points' rounded keys are point_keys: sorted once, for both views)
        order = self.point_key_order[0]
        keys = [scan.tolerant_keys(self.points.longitude, self.points.latitude, order=order)]
        if self.extra_allowed is not None:
            lon, lat = self.extra_allowed
            keys.append(scan.tolerant_keys(lon, lat))
        # sorted: membership is one searchsorted (each part is sorted already: merged)
        return scan.unique_of_runs(keys)

    @cached_property
    def extra_keys(self) -> np.ndarray:
        """Sorted distinct tolerant keys of the extra allowed coordinates (none: empty)."""
        if self.extra_allowed is None:
            return np.zeros(0, dtype=np.int64)
        lon, lat = self.extra_allowed
        return np.unique(scan.tolerant_keys(lon, lat))

    @cached_property
    def _same_points_as_base(self) -> bool:
        """Whether the extra coordinates leave every raw crime's map-point status as the
        base has it (the usual case: outline or hexagon vertices are not crime locations),
        so the raw coordinate views are the base's (less the extra keys)."""
        base = self._base
        if base is None:
            return False
        return self.extra_allowed is None or bool(
            np.array_equal(self.raw_is_point, base.raw_is_point)
        )

    def raw_float(self, col: str) -> np.ndarray:
        if col not in self.raw.columns:
            return np.full(len(self.raw), np.nan)
        return pd.to_numeric(self.raw[col], errors="coerce").to_numpy(np.float64)

    @cached_property
    @_shared
    def raw_lon_lat(self) -> tuple[np.ndarray, np.ndarray]:
        return self.raw_float("longitude"), self.raw_float("latitude")

    @cached_property
    @_shared
    def raw_keys(self) -> np.ndarray:
        """coordinate_keys of every raw crime (row order)."""
        return scan.coordinate_keys(*self.raw_lon_lat)

    @cached_property
    def raw_is_point(self) -> np.ndarray:
        base = self._base
        if base is not None:
            if self.extra_allowed is None:
                return base.raw_is_point
            # member(keys, A | B) == member(keys, A) | member(keys, B)
            return base.raw_is_point | scan.member(self.raw_keys, self.extra_keys)
        # scan.member, with the raw keys' order that raw_coordinate_keys sorts by too
        order = self._raw_key_order
        out = np.empty(order.size, dtype=bool)
        out[order] = scan.member_sorted_queries(self.raw_keys[order], self.allowed_keys)
        return out

    @cached_property
    @_shared
    def _raw_key_order(self) -> np.ndarray:
        """Indices that sort raw_keys (stable)."""
        return scan.stable_argsort(self.raw_keys)

    @cached_property
    def raw_coordinate_keys(self) -> np.ndarray:
        """Sorted keys of raw coordinates not at a map point (rounded and truncated at 5 dp);
        a key that is also a map point's is publishable by definition (the raw crime lies
        within a metre of that point), so only the others count as raw."""
        base = self._base
        if base is not None and self._same_points_as_base:
            # the same raw keys less those the extras allow: (K - A) - X == K - (A | X)
            keys = base.raw_coordinate_keys
            if self.extra_allowed is None:
                return keys
            return keys[~scan.member_sorted_queries(keys, self.extra_keys)]
        lon, lat = self.raw_lon_lat
        ok = ~self.raw_is_point & np.isfinite(lon) & np.isfinite(lat)
        # the rows' rounded keys are raw_keys[ok]: in the order raw_keys sort by (the kept
        # rows' positions among the kept), not sorted again
        order = self._raw_key_order
        order = (np.cumsum(ok) - 1)[order[ok[order]]]
        keys = scan.tolerant_keys(lon[ok], lat[ok], truncate=True, order=order)  # sorted, unique
        # np.setdiff1d would sort both arrays together again; both are sorted already
        return keys[~scan.member_sorted_queries(keys, self.allowed_keys)]

    @cached_property
    def raw_projected(self) -> Optional[tuple[np.ndarray, ...]]:
        """(x, y, x_floor, x_ceil, y_floor, y_ceil): projected source coordinates of crimes
        not at a map point and their whole metres; None without a source_crs column."""
        if self._base is not None and self._same_points_as_base:
            return self._base.raw_projected
        if "source_crs" not in self.raw.columns:
            return None
        proj = ~self.raw_is_point & _projected_crs(self.raw["source_crs"])
        sx, sy = self.raw_float("source_x")[proj], self.raw_float("source_y")[proj]
        fin = np.isfinite(sx) & np.isfinite(sy)
        sx, sy = sx[fin], sy[fin]
        return (
            sx,
            sy,
            np.floor(sx).astype(np.int64),
            np.ceil(sx).astype(np.int64),
            np.floor(sy).astype(np.int64),
            np.ceil(sy).astype(np.int64),
        )

    @cached_property
    def raw_grid_keys(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Projected raw locations as text may show them: (sorted pair keys to the metre,
        sorted pair keys to 10 m, sorted whole-metre eastings, sorted whole-metre
        northings). Floors and ceilings both, so rounding and truncation are both caught."""
        if self._base is not None and self._same_points_as_base:
            return self._base.raw_grid_keys
        projected = self.raw_projected
        empty = np.zeros(0, dtype=np.int64)
        if projected is None or projected[0].size == 0:
            return empty, empty, empty, empty
        _sx, _sy, fx, cx, fy, cy = projected
        xs, ys, _tx, _ty = self._projected_axes
        return _corner_keys(fx, cx, fy, cy), _corner_keys(*self._projected_tens), xs, ys

    @cached_property
    def _projected_tens(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(floor, ceiling) of the raw projected eastings to 10 m, then of the northings."""
        projected = self.raw_projected
        if projected is None:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty, empty
        sx, sy = projected[:2]
        tx = (np.floor(sx / 10.0) * 10).astype(np.int64), (np.ceil(sx / 10.0) * 10).astype(np.int64)
        ty = (np.floor(sy / 10.0) * 10).astype(np.int64), (np.ceil(sy / 10.0) * 10).astype(np.int64)
        return tx + ty

    @cached_property
    def _projected_axes(self) -> tuple[np.ndarray, ...]:
        """Sorted distinct whole metres (floors and ceilings) of the raw projected eastings,
        of the northings, and their tens (floors and ceilings): what raw_grid_keys,
        raw_metres and grid_known are unions of."""
        projected = self.raw_projected
        if projected is None:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty, empty
        _sx, _sy, fx, cx, fy, cy = projected
        tfx, tcx, tfy, tcy = self._projected_tens
        return (
            _floors_and_ceilings(fx, cx),
            _floors_and_ceilings(fy, cy),
            _floors_and_ceilings(tfx, tcx),
            _floors_and_ceilings(tfy, tcy),
        )

    @cached_property
    def raw_metres(self) -> np.ndarray:
        """Sorted whole metres (floors and ceilings) of the raw projected coordinates, both
        axes: what a number in text must be to be part of a raw easting/northing."""
        if self._base is not None and self._same_points_as_base:
            return self._base.raw_metres
        xs, ys, _tx, _ty = self._projected_axes
        return scan.unique_of_runs([xs, ys])

    @cached_property
    def grid_known(self) -> np.ndarray:
        """Sorted numbers a grid finding in text can hold: raw eastings and northings to
        the metre and their tens (floors and ceilings)."""
        if self._base is not None and self._same_points_as_base:
            return self._base.grid_known
        return scan.unique_of_runs(list(self._projected_axes))

    @cached_property
    @_shared
    def point_keys(self) -> np.ndarray:
        """Coordinate keys of every map point, in point order (which points an output uses)."""
        return scan.coordinate_keys(self.points.longitude, self.points.latitude)

    @cached_property
    @_shared
    def point_key_order(self) -> tuple[np.ndarray, np.ndarray]:
        """(order, point_keys[order]): the map points' keys sorted once per release, so
        which points an output uses is one searchsorted per output."""
        order = np.argsort(self.point_keys, kind="stable")
        return order, self.point_keys[order]

    def points_used(self, sorted_keys: np.ndarray) -> np.ndarray:
        """scan.member(point_keys, sorted_keys): which map points (in point order) an
        output's sorted distinct coordinate keys hold."""
        order, ordered = self.point_key_order
        used = np.zeros(order.size, dtype=bool)
        used[order] = scan.member_sorted_queries(ordered, sorted_keys)
        return used

    @cached_property
    @_shared
    def raw_released_sorted(self) -> np.ndarray:
        """raw_released_keys' keys sorted (counting how many are published needs no order)."""
        return np.sort(self.raw_released_keys[0], kind="stable")

    @cached_property
    @_shared
    def hexagon_size(self) -> float:
        """The hexagon fallback's size (inf without two hexagon points)."""
        from ..release import disclosure

        source = np.asarray(self.points.source, dtype=object)
        hexagon = source == disclosure.SOURCE_HEXAGON
        if hexagon.sum() < 2:
            return float("inf")
        px, py, _zone = self.points.projected()
        return disclosure.hexagon_size_m(px[hexagon], py[hexagon])

    @cached_property
    @_shared
    def raw_released_keys(self) -> tuple[np.ndarray, int]:
        """(coordinate keys of located raw crimes at their true location, their count):
        rows loaded from police.uk files are already at map points and are left out."""
        lon, lat = self.raw_lon_lat
        ok = np.isfinite(lon) & np.isfinite(lat)
        if "source_format" in self.raw.columns:
            ok &= ~_text_is(self.raw["source_format"], "police.uk")
        return scan.coordinate_keys(lon[ok], lat[ok]), int(ok.sum())

    # --- public vocabulary ---
    @cached_property
    @_shared
    def labels(self) -> set[str]:
        return {normalise(str(v)) for v in _distinct(np.asarray(self.points.label, dtype=object))}

    @cached_property
    def public_lower(self) -> set[str]:
        base = self._base
        if base is not None:  # lower case is per value: the base's and the extras'
            return base.public_lower | set(lower_all(list(self._extra_public_strings)))
        return set(lower_all(list(self.public_strings)))

    @cached_property
    def _extra_public_strings(self) -> set[str]:
        """The extra public values as public_strings holds them (no empty string)."""
        return self.extra_public - {""}

    @cached_property
    def public_fragments(self) -> set[str]:
        """Word runs of public values (labels, LSOA names, outcomes): never a leak."""
        out: set[str] = set()
        base = self._base
        if base is not None:  # runs are per value: the base's and the extras'
            out.update(base.public_fragments)
        for value in self._extra_public_strings if base is not None else self.public_strings:
            if value.count(" ") >= FRAGMENT_WORDS - 1:
                out.update(fragments_of(value))
        return out

    @cached_property
    def public_strings(self) -> set[str]:
        """Values anyone may see: vocabulary, forces, LSOAs, labels and their Location text."""
        base = self._base
        if base is not None:
            return base.public_strings | self._extra_public_strings
        public = set(all_category_names()) | set(OUTCOME_NAMES) | set(PUBLIC_COLUMNS)
        public |= {c.slug for c in CATEGORIES} | set(LEGACY_CATEGORIES.values())
        public |= {NO_LOCATION, LOCATION_PREFIX, LOCATION_PREFIX + " ", PUBLIC_LAYER_DESCRIPTION}
        for col in ("reported_by", "falls_within", "lsoa_code", "lsoa_name"):
            if col in self.raw.columns:
                public |= {str(v) for v in _distinct(self.raw[col]) if v == v}
        for attr in ("lsoa_code", "lsoa_name"):
            values = getattr(self.points, attr, None)
            if values is not None:
                public |= {str(v) for v in _distinct(np.asarray(values, dtype=object))}
        public |= self.labels
        public |= {f"{LOCATION_PREFIX} {lab}".strip() for lab in self.labels}
        public |= self.extra_public
        public.discard("")
        return public

    def is_plainly_public(self, value: str) -> bool:
        """Cheap test (set lookups) run on every raw value."""
        if value in self.public_strings or (len(value) == 7 and MONTH_RE.fullmatch(value)):
            return True
        return (
            value.startswith(LOCATION_PREFIX)
            and normalise(value[len(LOCATION_PREFIX) :]) in self.labels
        )

    def is_public_value(self, value: str) -> bool:
        """Full test, including category/outcome spelling variants (run on matches only)."""
        return self.is_plainly_public(value) or bool(
            normalise_category(value) or normalise_outcome(value)
        )

    # --- dates ---
    @cached_property
    @_shared
    def timestamp_forms(self) -> np.ndarray:
        """Raw occurred_at values written as bare numbers: epoch seconds/ms,
        yyyymmdd(HHMM(SS)), ddmmyyyy(HHMM(SS)) (sorted, unique; empty without timestamps).
        (A day-first date with its time glued on, "261020220538", is as much the raw
        timestamp as "202210260538"; without its form it passed.)"""
        if "occurred_at" not in self.raw.columns:
            return np.zeros(0, dtype=np.int64)
        ts = _as_datetimes(self.raw["occurred_at"]).dropna()
        if ts.empty:
            return np.zeros(0, dtype=np.int64)
        ts = pd.Series(pd.unique(ts))
        y, m, d = (
            ts.dt.year.to_numpy(np.int64),
            ts.dt.month.to_numpy(np.int64),
            ts.dt.day.to_numpy(np.int64),
        )
        hh, mm, ss = (
            ts.dt.hour.to_numpy(np.int64),
            ts.dt.minute.to_numpy(np.int64),
            ts.dt.second.to_numpy(np.int64),
        )
        ymd = y * 10000 + m * 100 + d
        dmy = d * 1000000 + m * 10000 + y
        hm = hh * 100 + mm
        epoch = ts.to_numpy("datetime64[s]").astype(np.int64)
        return np.unique(
            np.concatenate(
                [
                    epoch,
                    epoch * 1000,
                    ymd,
                    ymd * 10000 + hm,
                    (ymd * 10000 + hm) * 100 + ss,
                    dmy,
                    dmy * 10000 + hm,
                    (dmy * 10000 + hm) * 100 + ss,
                ]
            )
        )

    @cached_property
    @_shared
    def early_epoch_seconds(self) -> np.ndarray:
        """The raw occurred_at values before 1973-03-03 09:46:40 as epoch seconds of 7 or 8
        digits (sorted, unique; empty for every crime dated later, police.uk's from 2010).
        Why: the loader takes such a date (a year typed wrong, or an old offence reported
        late: core.common.months only warns), and its epoch seconds with a fraction
        ("57303480.5") have as few digits before the point as a public decimal; the
        raw-timestamp scan looks those up among these alone (checks._BARE_NUMBER_EARLY)."""
        if "occurred_at" not in self.raw.columns:
            return np.zeros(0, dtype=np.int64)
        ts = _as_datetimes(self.raw["occurred_at"])
        epoch = ts.to_numpy("datetime64[s]")
        epoch = epoch[~np.isnat(epoch)].astype(np.int64)
        return np.unique(epoch[(epoch >= 10**6) & (epoch < 10**8)])

    # --- source references ---
    @cached_property
    @_shared
    def references(self) -> list[str]:
        """Distinct source references worth looking for (4+ characters, not a short number)."""
        if "crime_id" not in self.raw.columns:
            raise ValueError("the raw table has no crime_id column")
        refs, joined = _text_values(self.raw["crime_id"])
        spans = None
        if joined is not None and joined[2] is refs:  # (its lengths from the text it joined)
            spans = scan._nul_spans(joined[0], len(refs), joined[1])
        chars = spans[2] if spans is not None else scan.char_lengths(refs)
        keep = chars >= MIN_VALUE_CHARS
        for i in np.flatnonzero(keep & (chars < 6)).tolist():
            keep[i] = not refs[i].isdigit()
        out = list(compress(refs, keep.tolist()))
        if joined is not None and spans is not None:
            start, nbytes = spans[0][keep], spans[1][keep]
            self._reference_heads = (out, (out, lower_heads(joined[0], start, nbytes), nbytes))
        return out

    @cached_property
    @_shared
    def reference_set(self) -> frozenset:
        return frozenset(self.references)

    @cached_property
    @_shared
    def hex_references(self) -> dict[str, str]:
        """References that are themselves md5/sha1/sha256-shaped hex, lower-cased -> as is."""
        refs = self.references
        chars = scan.char_lengths(refs)
        shaped = np.isin(chars, list(HEX_LENGTHS))  # (the length test in C: few are)
        return {r.lower(): r for r in compress(refs, shaped.tolist()) if len(r) in HEX_LENGTHS}

    def reference_digests(self, length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Unsalted digests (md5: 32, sha1: 40, sha256: 64 hex) of every reference, as
        (sorted 8-byte keys, digest rows in key order, reference index in key order);
        computed only for the digest lengths some output actually holds."""
        if self._base is not None:
            return self._base.reference_digests(length)
        cached = self._digests.get(length)
        if cached is None:
            new = getattr(hashlib, HEX_LENGTHS[length])
            refs = self.references
            data = b"".join([new(r.encode("utf-8")).digest() for r in refs])
            rows = np.frombuffer(data, dtype=np.uint8).reshape(len(refs), length // 2)
            keys = scan.row_keys(rows) if len(refs) else np.zeros(0, dtype=np.uint64)
            order = np.argsort(keys, kind="stable")
            cached = (keys[order], rows[order], order)
            self._digests[length] = cached
        return cached

    @cached_property
    @_shared
    def reference_patterns(self) -> scan.PatternSet:
        """References of 8+ bytes, searched as whole words inside longer output text."""
        return scan.PatternSet(self.references, bounded=True)

    @cached_property
    @_shared
    def squeezed_references(self) -> tuple[scan.PatternSet, Mapping[str, str]]:
        """(patterns of :attr:`squeezed_keys`, squeezed_keys)."""
        folded = self.squeezed_keys
        return scan.PatternSet(list(folded), bounded=False), folded

    @cached_property
    @_shared
    def squeezed_keys(self) -> Mapping[str, str]:
        """References retyped in another case or without punctuation (``ab/202210/0001234``,
        ``AB2022100001234``): upper-case letters and digits only, searched in an output
        folded the same way. Only references with both letters and digits and at least 8
        of them: a bare number folded out of its punctuation would meet coordinates.
        Squeezed key -> the first reference that gives it, in the order of first occurrence.

        When the keys worth looking for are ASCII and none comes twice (the usual case) that
        dict is the eligible keys and their references in order: then it is a FirstKeyIndex
        of those two lists and the set of keys (made to test that), which iterates, looks up
        and counts as the dict does (a set of 500,000 new strings costs about half a dict of
        them, and the lookups need the set anyway)."""
        refs = self.references
        squeezed = self._squeezed_list
        classes = self._squeezed_classes
        if classes is not None:  # (eligibility tested in C: _squeezed_key_eligible's tests)
            eligible = classes[1].tolist()
            keys = list(compress(squeezed, eligible))
            key_set = set(keys)
            if len(key_set) == len(keys):
                values = list(compress(refs, eligible))
                return FirstKeyIndex(keys, values, forward=True, key_set=key_set, distinct=True)
        folded: dict[str, str] = {}
        for key, ref in zip(squeezed, refs):
            if key not in folded and _squeezed_key_eligible(key):
                folded[key] = ref
        return folded

    # --- small haystacks: look the output's substrings up instead of indexing the raw side
    @cached_property
    @_shared
    def reference_lengths(self) -> Optional[list[int]]:
        return scan.ascii_lengths(self.references)

    @cached_property
    @_shared
    def squeezed_lengths(self) -> Optional[list[int]]:
        if "squeezed_keys" in self.__dict__:  # (its keys: no index to build)
            return scan.ascii_lengths(list(self.squeezed_keys))
        classes = self._squeezed_classes
        if classes is None:
            return scan.ascii_lengths(list(self.squeezed_index.key_set))
        chars, eligible = classes  # (the key set is the eligible keys, all ASCII)
        return [int(n) for n in np.unique(chars[eligible]) if n >= scan.MIN_PATTERN_BYTES]

    @cached_property
    def secret_lower_lengths(self) -> Optional[list[int]]:
        if "secret_lower" in self.__dict__:  # (its keys: no index to build)
            return scan.ascii_lengths(list(self.secret_lower))
        base = self._base
        if base is not None and self.secret_lower_index is base.secret_lower_index:
            return base.secret_lower_lengths  # (the same keys)
        return scan.ascii_lengths(list(self.secret_lower_index.key_set))

    @cached_property
    def secret_lower_index(self) -> FirstKeyIndex:
        """:attr:`secret_lower` for a few lookups (a GeoPackage's names and metadata): the
        lower-case values and their set, not a dict of 650,000 values."""
        base = self._base
        if "secret_lower" in self.__dict__:
            known = self.secret_lower
            return known if isinstance(known, FirstKeyIndex) else FirstKeyIndex.of(known)
        if base is not None and self._base_parts:
            lowered = set(lower_all(list(self._extra_public_strings)))
            if lowered.isdisjoint(base.secret_lower_index.key_set):
                return base.secret_lower_index
        values = self.secret_values
        return FirstKeyIndex(lower_all(values), values, excluded=self.public_lower)

    @cached_property
    @_shared
    def folded_reference_index(self) -> FirstKeyIndex:
        """:attr:`folded_references` for a few lookups (whole cells in another case)."""
        if "folded_references" in self.__dict__:
            return FirstKeyIndex.of(self.folded_references)
        return FirstKeyIndex(lower_all(self.references), self.references)

    @cached_property
    @_shared
    def squeezed_index(self) -> FirstKeyIndex:
        """:attr:`squeezed_keys` for a few lookups (a small squeezed haystack)."""
        if "squeezed_keys" in self.__dict__:
            known = self.squeezed_keys
            return known if isinstance(known, FirstKeyIndex) else FirstKeyIndex.of(known)
        # the keys worth looking for, tested in C (_squeezed_key_eligible's tests)
        keys = self._squeezed_list
        classes = self._squeezed_classes
        if classes is not None:
            eligible = classes[1]
        else:
            n = len(keys)
            chars = np.fromiter(map(len, keys), dtype=np.int64, count=n)
            digits = np.fromiter(map(str.isdigit, keys), dtype=bool, count=n)
            letters = np.fromiter(map(str.isalpha, keys), dtype=bool, count=n)
            eligible = (chars >= MIN_SQUEEZED_REFERENCE) & ~digits & ~letters
        return FirstKeyIndex(
            keys,
            self.references,
            eligible=_squeezed_key_eligible,
            forward=True,
            key_set=set(compress(keys, eligible.tolist())),
        )

    @cached_property
    @_shared
    def _squeezed_classes(self) -> Optional[tuple[np.ndarray, np.ndarray]]:
        """(length, eligible) of each squeezed key (:func:`_squeezed_key_eligible`'s tests,
        in C), for the key set and its lengths alike; None when a key is not ASCII."""
        keys = self._squeezed_list
        if not all(map(str.isascii, keys)):
            return None
        n = len(keys)  # (the keys come from one split: contiguous, so a call each is cheap)
        chars = np.fromiter(map(len, keys), dtype=np.int64, count=n)
        digits = np.fromiter(map(str.isdigit, keys), dtype=bool, count=n)
        letters = np.fromiter(map(str.isalpha, keys), dtype=bool, count=n)
        return chars, (chars >= MIN_SQUEEZED_REFERENCE) & ~digits & ~letters

    @cached_property
    @_shared
    def _squeezed_list(self) -> list[str]:
        refs = self.references
        keys = scan.squeeze_haystack("\x00".join(refs).encode("utf-8")).decode("ascii")
        squeezed = keys.split("\x00")
        if len(squeezed) != len(refs):
            squeezed = [scan.normalise_reference(r) for r in refs]
        return squeezed

    @cached_property
    @_shared
    def folded_references(self) -> dict[str, str]:
        """Lower-case reference -> reference, for whole cells in another case."""
        refs = self.references
        return dict(zip(reversed(lower_all(refs)), reversed(refs)))

    # --- non-public values ---
    @cached_property
    @_shared
    def secret_columns(self) -> list[str]:
        return [
            c
            for c in self.raw.columns
            if c in NON_PUBLIC_COLUMNS or str(c).startswith(EXTRA_PREFIX)
        ]

    @cached_property
    def secret_parts(self) -> list[tuple[str, list[str]]]:
        """(raw column, its non-public values worth looking for), each value under the first
        column that holds it. Set differences do the bulk in C and the per-value tests run
        vectorised on the joined text; only values that could be a pure number, a month or
        a public Location text are then looked at one by one."""
        base = self._base
        if base is not None:
            return self._parts_from_base(base)
        parts: list[tuple[str, list[str]]] = []
        seen: set[str] = set()
        public = self.public_strings
        heads: Optional[list[_Heads]] = []  # (each column's kept values' lower_heads)
        for col in self.secret_columns:
            joined: Optional[_Joined]
            found_set = _text_set(self.raw[col])
            if found_set is not None:  # (the usual case: the column's set made from its rows)
                distinct, joined = found_set
            else:
                found, joined = _text_values(self.raw[col])
                distinct = set(found)
            values = list(distinct.difference(public, seen))
            # which values are kept is a test of each value alone, so it is made on the
            # text _text_values joined anyway (in its order) when it has one: the values
            # it leaves out are taken out of ``values`` (usually none)
            spans = scan._nul_spans(joined[0], len(joined[2]), joined[1]) if joined else None
            if joined is not None and spans is not None:
                dropped = self._not_worth_looking_for(joined[0], *spans, joined[2])
            else:  # (folded values, or a value holds a NUL: laid out as they are)
                buf, start, nbytes, chars = scan.text_layout(values)
                dropped = self._not_worth_looking_for(buf, start, nbytes, chars, values)
            kept = values if not dropped else [v for v in values if v not in dropped]
            if heads is not None and joined is not None and spans is not None:
                heads.append(_kept_heads(joined[0], spans[0], spans[1], joined[2], kept))
            else:
                heads = None  # (a column without the joined text: the proofs fold the values)
            seen.update(kept)
            parts.append((str(col), kept))
        self._secret_set = seen
        if heads is not None:
            self._secret_heads = (parts, _joined_heads(heads))
        return parts

    def lowered_heads(self, view: str) -> Optional[tuple[object, list, np.ndarray, np.ndarray]]:
        """(the view, its values, the first 8 bytes of each value's UTF-8 (surrogatepass)
        lowered by bytes.lower as :func:`lower_heads` gives them, each value's byte
        length) for ``view`` "secrets" (secret_parts' values) or "references": what the
        checks' proofs fold the values to (checks._folded_keys with checks._lower), made
        from the text secret_parts and references joined anyway, so a proof does not join,
        encode and lower 650,000 values again. The values come in another order than the
        view lists them (column by column as each column's text has them); a proof's
        answer does not depend on it. None when not made (a value was folded or held a
        NUL, or the view is another preparation's)."""
        base = self._base
        if view == "secrets":
            source: object = self.secret_parts
            made = (base if base is not None and self._base_parts else self)._secret_heads
        elif view == "references":
            source = self.references  # (the base's, when there is one)
            made = (base if base is not None else self)._reference_heads
        else:
            return None
        if made is None or made[0] is not source:  # (a view replaced since: not its values)
            return None
        return (source, *made[1])

    def _not_worth_looking_for(
        self, buf: bytes, start: np.ndarray, nbytes: np.ndarray, lengths: np.ndarray, values: list
    ) -> set[str]:
        """Which of ``values`` (laid out in ``buf`` as scan.text_layout lays them out)
        secret_parts leaves out: shorter than MIN_VALUE_CHARS, a pure number, a month, or a
        public Location text. Tested in numpy on ``buf``; only values that could be a
        number, a month or a Location text are looked at one by one."""
        long_enough = lengths >= MIN_VALUE_CHARS
        number = scan.first_byte_in(buf, start, nbytes, b"+-0123456789")
        location = scan.starts_with(buf, start, nbytes, LOCATION_PREFIX.encode("ascii"))
        out = set(compress(values, (~long_enough).tolist())) if not long_enough.all() else set()
        for i in np.flatnonzero(long_enough & (number | (lengths == 7) | location)).tolist():
            t = values[i]
            if (
                (t[0] in _NUMBER_START and _PURE_NUMBER.fullmatch(t))
                or (len(t) == 7 and MONTH_RE.fullmatch(t))
                or (t.startswith(LOCATION_PREFIX) and self.is_plainly_public(t))
            ):
                out.add(t)
        return out

    def _parts_from_base(self, base: PreparedGate) -> list[tuple[str, list[str]]]:
        """secret_parts of the base less the extra public values: exactly what computing
        them afresh gives. (Public values only take values out; every other value meets the
        same tests, so it stays under the same column: each column's values are the base's
        less the extras, and the earlier columns' are too.)"""
        extra = self._extra_public_strings
        if not extra or extra.isdisjoint(base.secret_set):
            return base.secret_parts
        parts = [(col, [v for v in values if v not in extra]) for col, values in base.secret_parts]
        self._secret_set = base.secret_set - extra
        return parts

    @property
    def _base_parts(self) -> bool:
        """Whether the non-public values are the base's own (so are the views of them)."""
        base = self._base
        return base is not None and self.secret_parts is base.secret_parts

    @cached_property
    def secret_set(self) -> set[str]:
        """Every non-public value worth looking for: the union secret_parts built anyway
        (read only)."""
        if self._base is not None and self._base_parts:
            return self._base.secret_set
        self.secret_parts  # noqa: B018 - builds it (once: a cached property)
        return self._secret_set

    @cached_property
    def secret_values(self) -> list[str]:
        """Every non-public value worth looking for, column after column as secret_parts
        lists them (read only)."""
        if self._base is not None and self._base_parts:
            return self._base.secret_values
        values: list[str] = []
        parts = self.secret_parts
        for _col, part in parts:
            values += part  # (a C-level extend per column, not a step per value)
        self._values_of = parts
        return values

    @cached_property
    def secret_lower(self) -> Mapping[str, str]:
        """Lower-case non-public value -> the value, leaving out those that are a public
        value in another case (a force's "HIGH STREET" is the label "High Street"): the
        dict ``dict(zip(reversed(lowered), reversed(values)))`` less public keys (the first
        value of each key wins), in its order.

        When every lower-case value is a key (none twice, none public: the usual case) the
        dict would be the lowered values and the values, both reversed; then it is a
        FirstKeyIndex of those two lists and the set of keys (made to test that), which
        iterates, looks up and counts as that dict does, and builds it only if many values
        are looked up (a finding's): a set of 650,000 new strings costs about half a dict
        of them, and a check's lookups need the set anyway."""
        base = self._base
        if base is not None and self._base_parts:
            # the base's, less the extras' lower case (public_lower is the base's and theirs)
            lowered = set(lower_all(list(self._extra_public_strings)))
            if lowered.isdisjoint(base.secret_lower):
                return base.secret_lower
            return {k: v for k, v in base.secret_lower.items() if k not in lowered}
        values = self.secret_values
        lower, layout = _lowered_with_layout(values)
        if layout is not None:
            self._lowered_text = (self._values_of, layout)
        keys = set(lower)
        out: Mapping[str, str]
        if len(keys) == len(values) and self.public_lower.isdisjoint(keys):
            out = FirstKeyIndex(
                lower[::-1], values[::-1], forward=True, key_set=keys, distinct=True
            )
        else:
            out = dict(zip(reversed(lower), reversed(values)))  # the first one wins
            for low in self.public_lower.intersection(out):
                del out[low]
        if layout is not None and len(out) == len(values):
            # every lower-case value is a key (none twice, none public): the keys are the
            # lower-case values in reverse, so their layout is the lowered text's, reversed
            self._lower_layout = (out, layout)
        return out

    @cached_property
    def secret_lower_patterns(self) -> scan.PatternSet:
        """:attr:`secret_patterns` in lower case, for output text folded to lower case."""
        base = self._base
        if base is not None and self.secret_lower is base.secret_lower:
            return base.secret_lower_patterns
        keys = self.secret_lower
        made, self._lower_layout = self._lower_layout, None
        if made is not None and made[0] is keys:
            buf, start, nbytes, chars = made[1]  # (the keys' layout: the lowered text's)
            layout = (buf, start[::-1], nbytes[::-1], chars[::-1])
            return scan.PatternSet(list(keys), bounded_below=WHOLE_WORD_BELOW, layout=layout)
        return scan.PatternSet(list(keys), bounded_below=WHOLE_WORD_BELOW)

    @cached_property
    def free_text(self) -> tuple[bytes, list[tuple[int, str]]]:
        """Raw free text (extra_* values of FRAGMENT_WORDS words or more) as lower-case words
        joined by single spaces, one value after another, with (offset, column) spans."""
        if self._base is not None and self._base_parts:
            return self._base.free_text
        parts: list[bytes] = []
        spans: list[tuple[int, str]] = []
        offset = 0
        lowered = self._lowered_text
        if lowered is not None and lowered[0] is not self.secret_parts:
            lowered = None  # (other values than this text's)
        first = 0  # (the column's first value's place in secret_values)
        for col, values in self.secret_parts:
            first += len(values)
            if not col.startswith(EXTRA_PREFIX):
                continue
            chunk = None
            if lowered is not None and values:
                # (the column's values are a stretch of the lowered text secret_lower made)
                chunk = _fold_long_stretch(lowered[1], first - len(values), first)
            if chunk is None:
                long, joined = _with_spaces(values, FRAGMENT_WORDS - 1)
                if not long:
                    continue
                chunk = fold_words_bytes(joined)
            spans.append((offset, col))
            parts.append(chunk)
            offset += len(chunk) + 1
        return b"\x00".join(parts), spans

    @cached_property
    def free_text_hashes(self) -> np.ndarray:
        """Sorted distinct hashes of the raw free text's runs of FRAGMENT_WORDS words
        (checks.raw_run_hashes), once per release."""
        if self._base is not None and self._base_parts:
            return self._base.free_text_hashes
        return raw_run_hashes(self.free_text[0])

    @property
    def secret_count(self) -> int:
        return sum(len(values) for _col, values in self.secret_parts)

    def secret_column(self, value: str) -> str:
        """The raw column a non-public value was found in (only called for findings)."""
        for col, values in self.secret_parts:
            if value in values:
                return col
        return "?"

    @cached_property
    def secrets(self) -> dict[str, str]:
        """value -> raw column, for every non-public value worth looking for."""
        if self._base is not None and self._base_parts:
            return self._base.secrets
        return {v: col for col, values in self.secret_parts for v in values}

    @cached_property
    def secret_patterns(self) -> scan.PatternSet:
        """Non-public values of 8+ bytes; those under 12 characters as whole words only."""
        if self._base is not None and self._base_parts:
            return self._base.secret_patterns
        values = self.secret_values
        return scan.PatternSet(values, bounded_below=WHOLE_WORD_BELOW)


def prepare_gate(
    raw: pd.DataFrame,
    points: Any,
    *,
    extra_allowed_coordinates: Optional[tuple[np.ndarray, np.ndarray]] = None,
    extra_public_values: Iterable[str] = (),
    min_catchment_addresses: int = 8,
) -> PreparedGate:
    """The raw side of the gate, to pass to check_release(..., prepared=) for several outputs
    of the same release (it is built lazily: nothing is computed until a check runs)."""
    return PreparedGate(
        raw, points, extra_allowed_coordinates, extra_public_values, min_catchment_addresses
    )


@dataclass
class _StringClasses:
    """GateContext._classified's classes of the distinct strings of every artifact."""

    every: set[str]  # every artifact's strings
    hexes: set[str]  # md5/sha1/sha256-shaped hex digests
    other: set[str]  # neither hex nor known public, not empty, not a month
    variants: dict[str, str]  # odd ones of ``other``: whitespace-folded, unguarded form
    odd: set[str]  # the keys of ``variants``
    shown: dict[str, str]  # odd ones holding format characters: the form a reader is shown


class GateContext:
    """One output's views (cached), beside the shared raw-side PreparedGate."""

    def __init__(
        self, prepared: PreparedGate, artifacts: list[Artifact], team_texts: Iterable[str] = ()
    ) -> None:
        self.prepared = prepared
        self._team_texts = team_texts if isinstance(team_texts, str) else list(team_texts)
        self.raw = prepared.raw
        self.points = prepared.points
        self.artifacts = artifacts
        self.readable = [a for a in artifacts if a.kind != "error"]
        self.errors = [a for a in artifacts if a.kind == "error"]
        for art in self.readable:
            _add_shown_texts(art)
        self._classes: dict[int, tuple[list[str], list[str], set[str]]] = {}
        self._keys: dict[int, np.ndarray] = {}
        self._unique_keys: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._lower: dict[int, set[str]] = {}
        self._joined: dict[int, str] = {}
        self._non_hex: dict[int, list[str]] = {}
        self._hex_lengths: dict[int, np.ndarray] = {}
        self._lower_hits: dict[int, tuple[Collection[str], set[str]]] = {}
        self._exact_hits: dict[int, tuple[Collection[str], set[str]]] = {}

    # raw-side views, shared
    @property
    def allowed_keys(self) -> np.ndarray:
        return self.prepared.allowed_keys

    @property
    def public_strings(self) -> set[str]:
        return self.prepared.public_strings

    @property
    def labels(self) -> set[str]:
        return self.prepared.labels

    @property
    def raw_is_point(self) -> np.ndarray:
        return self.prepared.raw_is_point

    def raw_float(self, col: str) -> np.ndarray:
        return self.prepared.raw_float(col)

    def is_plainly_public(self, value: str) -> bool:
        return self.prepared.is_plainly_public(value)

    def is_public_value(self, value: str) -> bool:
        return self.prepared.is_public_value(value)

    # --- team-supplied texts (a narrow allowance: dates/times and contacts only) ---
    @cached_property
    def team_texts(self) -> frozenset[str]:
        """The exact team-supplied public texts (rendered event dates, the team's contacts),
        whitespace-folded. Anything but a string raises, failing the check that asked."""
        if isinstance(self._team_texts, str):  # one string is not a list of texts
            raise TypeError("team texts must be a list of strings, not one string")
        out = set()
        for text in self._team_texts:
            if not isinstance(text, str):
                raise TypeError(f"a team text must be a string, not {type(text).__name__}")
            folded = normalise(text)
            if folded:
                out.add(folded)
        return frozenset(out)

    @cached_property
    def _team_mask(self) -> Optional[re.Pattern]:
        texts = sorted(self.team_texts, key=lambda t: (-len(t), t))
        if not texts:
            return None
        # whole occurrences only, bounded as the date patterns are: "...12:00" never hides
        # the ":33" or "-05" written straight after it
        before, after = r"(?<![\w./:-])", r"(?![\w/:]|[.-]\d)"
        try:
            return re.compile(before + _trie_pattern(texts) + after)
        except (RecursionError, re.error, OverflowError):  # (texts nested thousands deep)
            return re.compile(before + "(?:" + "|".join(map(re.escape, texts)) + ")" + after)

    def without_team_texts(self, text: str) -> str:
        """``text`` with every whole occurrence of a team text replaced by a NUL (a boundary,
        so the text either side cannot join into a new match). Only the date/time check
        uses this; every other check sees the text as published."""
        mask = self._team_mask
        return text if mask is None else mask.sub("\x00", text)

    # --- coordinates ---
    @cached_property
    def output_coords(
        self,
    ) -> list[tuple[Artifact, np.ndarray, np.ndarray, tuple[list[str], np.ndarray]]]:
        """Per artifact: lon, lat and (labels, the label index of each coordinate), text
        pairs included."""
        out = []
        pairs: dict[str, tuple[list[float], list[float], list[str]]] = {}  # per distinct text
        for art in self.readable:
            lons = list(art.lon)
            lats = list(art.lat)
            wheres = [np.full(len(a), i, dtype=np.int32) for i, a in enumerate(art.lon)]
            labels = list(art.coord_where)
            for text in self._texts(art):
                found = pairs.get(text)
                if found is None:  # (a data script repeats its strings thousands of times)
                    tl, tt, shown, hemisphere = (
                        scan.text_pairs_and_hemisphere(text)
                        if _DOT_4_DIGITS.search(text) is not None
                        else ([], [], [], False)  # no number of 4+ decimals: no pair
                    )
                    found = (tl, tt, shown)
                    if hemisphere or any(mark in text for mark in scan.ANGLE_MARKS):
                        found = self._with_angle_pairs(found, text)
                    pairs[text] = found
                tl, tt, shown = found
                if tl:
                    lons.append(np.asarray(tl))
                    lats.append(np.asarray(tt))
                    wheres.append(np.full(len(tl), len(labels), dtype=np.int32))
                    labels.append("text " + ", ".join(shown[:3]))
            if lons:
                out.append(
                    (
                        art,
                        np.concatenate(lons),
                        np.concatenate(lats),
                        (labels, np.concatenate(wheres)),
                    )
                )
        return out

    def _with_angle_pairs(
        self, found: tuple[list[float], list[float], list[str]], text: str
    ) -> tuple[list[float], list[float], list[str]]:
        """text_pairs' (lon, lat, shown) and the coordinates written as angles in ``text``.

        An angle is read to its last digit (a tenth of a second is some 3 m), so it names
        a small box, not a 5-decimal key; each pair is entered as one coordinate of its box,
        fail closed: the one it rounds to when that is a map point (a published point,
        written as an angle), else a raw crime's in the box, else a map point's, else the
        one it rounds to (a location that is no map point, which fails as a decimal would)."""
        lons, lats, shown = list(found[0]), list(found[1]), list(found[2])
        for lon, lat in scan.angle_pairs(text):
            gx, gy = np.meshgrid(scan.angle_keys(lon) / 1e5, scan.angle_keys(lat) / 1e5)
            gx, gy = gx.ravel(), gy.ravel()
            keys = scan.coordinate_keys(gx, gy)
            exact = scan.coordinate_keys(np.array([lon.value]), np.array([lat.value]))
            chosen = (lon.value, lat.value)
            if not scan.member(exact, self.allowed_keys)[0]:
                for sorted_set in (self.prepared.raw_coordinate_keys, self.allowed_keys):
                    hit = np.flatnonzero(scan.member(keys, sorted_set))
                    if hit.size:
                        chosen = (float(gx[hit[0]]), float(gy[hit[0]]))
                        break
            lons.append(chosen[0])
            lats.append(chosen[1])
            shown.append(text[min(lon.start, lat.start) : max(lon.end, lat.end)])
        return lons, lats, shown

    def output_keys(self, i: int) -> np.ndarray:
        """coordinate_keys of output_coords[i] (shared by the two coordinate checks)."""
        keys = self._keys.get(i)
        if keys is None:
            _art, lon, lat, _where = self.output_coords[i]
            keys = self._keys[i] = scan.coordinate_keys(lon, lat)
        return keys

    def output_unique_keys(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """(sorted distinct keys, inverse) of output_keys(i): a national table's 500,000
        coordinates are some 125,000 places, and sorted queries need no argsort in
        :func:`scan.member`, so each membership test runs on the distinct keys and is
        mapped back with the inverse (the same answer per coordinate)."""
        cached = self._unique_keys.get(i)
        if cached is None:
            uniq, inverse = np.unique(self.output_keys(i), return_inverse=True)
            cached = self._unique_keys[i] = (uniq, inverse.reshape(-1))
        return cached

    def output_member(self, i: int, sorted_set: np.ndarray) -> np.ndarray:
        """scan.member(output_keys(i), sorted_set), computed on the distinct keys."""
        uniq, inverse = self.output_unique_keys(i)
        return scan.member_sorted_queries(uniq, sorted_set)[inverse]

    def _texts(self, art: Artifact) -> list[str]:
        return [self.joined_strings(art)] + art.texts + art.code

    # --- output strings ---
    def _classified(self, art: Artifact) -> tuple[list[str], list[str], set[str]]:
        """(hex-only strings, strings not known to be public, folded variants) of an artifact.

        Set operations do the bulk (a public CSV's 500,000 distinct Crime IDs are hex and
        skip every per-string step, found by one vectorised test); only strings with odd
        whitespace or a spreadsheet guard quote are folded one by one for exact matching.
        """
        cached = self._classes.get(id(art))
        if cached is None and self._string_classes is not None:
            cached = self._classes[id(art)] = self._classified_from_batch(art)
        if cached is None:
            strings = art.strings
            listed = list(strings)
            mask, lengths = scan.hex_mask_and_lengths(listed)
            self._hex_lengths[id(art)] = lengths[mask]
            if mask.any():
                hexes = list(compress(listed, mask.tolist()))
                # the few strings that are not hex, as a set of their own (not a copy of all
                # 500,000 with the hex ones taken out again)
                non_hex = list(compress(listed, (~mask).tolist()))
                unknown = set(non_hex).difference(self.public_strings)
            else:
                hexes = []
                non_hex = listed
                unknown = strings.difference(self.public_strings)
            self._non_hex[id(art)] = non_hex
            unknown.discard("")
            # sorted: the haystack (and so every message) is the same from run to run
            other = _without_months(sorted(unknown))
            variants = set()  # whitespace-folded, unguarded forms (the strings themselves
            # are not copied: exact matching intersects both)
            shown = []  # the forms a reader is shown of those holding format characters
            for t in _maybe_odd(other):
                if t != t.strip() or "  " in t or not t.isprintable() or t.startswith("'"):
                    f = normalise(t)
                    variants.add(f[1:] if f.startswith(_FORMULA_GUARD) else f)
                    form = shown_text(t)  # (a format character is not printable)
                    if form is not None:
                        shown.append(form)
            cached = self._with_shown(art, (hexes, other, variants), shown)
            self._classes[id(art)] = cached
        return cached

    def _with_shown(
        self,
        art: Artifact,
        classes: tuple[list[str], list[str], set[str]],
        shown: list[str],
        digests: Optional[set[str]] = None,
    ) -> tuple[list[str], list[str], set[str]]:
        """``classes`` of ``art`` with ``shown`` (the forms a reader is shown of its strings
        that hold format characters: output_reader.shown_text) classified as its strings are:
        a digest among the hex strings, one not known public among the strings checked (its
        folded form, and itself, among the variants exact matching reads). Why: every check
        then reads "PC 1190 No<ZWSP>wak" in a cell as the officer's name it shows, and
        "52.667<ZWSP>19" as the latitude, as a page's text is read (a form the artifact
        holds as written is classified already). ``digests``: the forms that are digests,
        found already (the batch's classes); else they are found here."""
        forms = [f for f in dict.fromkeys(shown) if f not in art.strings]
        if not forms:
            return classes
        hexes, other, variants = classes
        if digests is None:
            mask, lengths = scan.hex_mask_and_lengths(forms)
        else:
            mask = np.fromiter(map(digests.__contains__, forms), bool, len(forms))
            lengths = np.fromiter(map(len, forms), np.int64, len(forms))  # (digests: ASCII)
        found = mask.tolist()
        self._hex_lengths[id(art)] = np.concatenate([self._hex_lengths[id(art)], lengths[mask]])
        rest = [f for f, digest in zip(forms, found) if not digest]
        self._non_hex[id(art)] = self._non_hex[id(art)] + rest
        unknown = set(rest).difference(self.public_strings)
        unknown.discard("")
        more = _without_months(sorted(unknown))
        variants = variants | set(more)
        for t in more:
            f = normalise(t)
            variants.add(f[1:] if f.startswith(_FORMULA_GUARD) else f)
        return hexes + list(compress(forms, found)), sorted(set(other).union(more)), variants

    @cached_property
    def _string_classes(self) -> Optional[_StringClasses]:
        """:meth:`_classified`'s classes for the distinct strings of every artifact at once,
        when there are several artifacts (None: one). A summaries folder's 7,200 pages hold
        2 million strings, 155,000 of them distinct: each is classified once here, and a
        page's classes are a few set intersections in C (tests/test_gate_string_batch.py
        compares them with the page by page classes)."""
        if len(self.readable) < 2:
            return None
        every: set[str] = set().union(*(a.strings for a in self.readable))
        listed = list(every)
        mask, _lengths = scan.hex_mask_and_lengths(listed)
        hexes = set(compress(listed, mask.tolist())) if mask.any() else set()
        unknown = every.difference(self.public_strings)
        unknown.difference_update(hexes)
        unknown.discard("")
        other = _without_months(list(unknown))
        variants = {}
        shown = {}
        for t in _maybe_odd(other):
            if t != t.strip() or "  " in t or not t.isprintable() or t.startswith("'"):
                f = normalise(t)
                variants[t] = f[1:] if f.startswith(_FORMULA_GUARD) else f
                form = shown_text(t)
                if form is not None:
                    shown[t] = form
        classes = _StringClasses(every, hexes, set(other), variants, set(variants), shown)
        if shown:  # (the forms, classified as :meth:`_with_shown` classifies each page's)
            forms = set(shown.values()).difference(every)
            digests = set(filter(scan.is_hex_digest, forms))
            hexes.update(digests)
            rest = forms.difference(digests).difference(self.public_strings)
            rest.discard("")
            more = _without_months(sorted(rest))
            classes.other.update(more)
            every.update(forms)  # (exact matching's first look, and distinct_strings)
            for t in more:
                f = normalise(t)
                variants[t] = f[1:] if f.startswith(_FORMULA_GUARD) else f
        return classes

    def _classified_from_batch(self, art: Artifact) -> tuple[list[str], list[str], set[str]]:
        """What :meth:`_classified` gives ``art``, from :attr:`_string_classes`: the hex
        digests and the rest in the order the strings set gives them, the strings to check
        sorted, the odd ones' variants."""
        classes = self._string_classes
        assert classes is not None
        strings = art.strings
        if classes.hexes and not strings.isdisjoint(classes.hexes):
            listed = list(strings)
            mask = np.fromiter(map(classes.hexes.__contains__, listed), bool, len(listed))
            hexes = list(compress(listed, mask.tolist()))
            non_hex = list(compress(listed, (~mask).tolist()))
            lengths = np.fromiter(map(len, hexes), dtype=np.int64, count=len(hexes))
        else:
            hexes, non_hex, lengths = [], list(strings), np.zeros(0, dtype=np.int64)
        self._hex_lengths[id(art)] = lengths  # (hex digits are ASCII: characters are bytes)
        self._non_hex[id(art)] = non_hex
        other = sorted(strings.intersection(classes.other))
        odd = strings.intersection(classes.odd)
        variants = {classes.variants[t] for t in odd}
        shown = [classes.shown[t] for t in sorted(odd) if t in classes.shown]
        return self._with_shown(art, (hexes, other, variants), shown, classes.hexes)

    def lower_found(self, art: Artifact, index: Collection[str]) -> list[str]:
        """``sorted(k for k in other_lower(art) if k in index)``. With several artifacts
        the distinct lower-case strings of all of them are looked up in ``index`` once (a
        lookup in a FirstKeyIndex is a Python call: 1.9 million of them for a summaries
        folder, 148,000 distinct), and a page's keys are then intersected in C with the
        few found (usually none: then no page is lowered at all)."""
        classes = self._string_classes
        if classes is None:
            return sorted(k for k in self.other_lower(art) if k in index)
        key = id(index)
        cached = self._lower_hits.get(key)
        if cached is None or cached[0] is not index:
            lowered = set(lower_all(list(classes.other)))
            cached = self._lower_hits[key] = (index, {k for k in lowered if k in index})
        hits = cached[1]
        return sorted(self.other_lower(art) & hits) if hits else []

    def distinct_strings(self) -> Optional[set[str]]:
        """Every artifact's strings at once (one set, not to be changed); None for a single
        artifact."""
        classes = self._string_classes
        return None if classes is None else classes.every

    def distinct_other_strings(self) -> Optional[list[str]]:
        """Every artifact's :meth:`other_strings` at once, each distinct string once (in
        no particular order); None for a single artifact."""
        classes = self._string_classes
        return None if classes is None else list(classes.other)

    def non_hex_strings(self, art: Artifact) -> list[str]:
        """The artifact's strings but the hex digests, in the order the strings set gives
        them (public ones included)."""
        self._classified(art)
        return self._non_hex[id(art)]

    def other_strings(self, art: Artifact) -> list[str]:
        """The artifact's strings that are neither hex digests nor known public values."""
        return self._classified(art)[1]

    def other_lower(self, art: Artifact) -> set[str]:
        """:meth:`other_strings` in lower case (cached: two checks compare them)."""
        cached = self._lower.get(id(art))
        if cached is None:
            cached = self._lower[id(art)] = set(lower_all(self.other_strings(art)))
        return cached

    def joined_strings(self, art: Artifact) -> str:
        cached = self._joined.get(id(art))
        if cached is None:
            cached = self._joined[id(art)] = scan.JOINED_SEP.join(self._classified(art)[1])
        return cached

    def hex_strings(self, art: Artifact) -> list[str]:
        return self._classified(art)[0]

    def hex_lengths(self, art: Artifact) -> np.ndarray:
        """``len`` of each of :meth:`hex_strings` (int64, in their order), from the buffer
        that found them."""
        self._classified(art)
        return self._hex_lengths[id(art)]

    def exact_matches(self, art: Artifact, values: Collection[str]) -> set[str]:
        """``exact_strings(art) & values``, without copying the artifact's strings. With
        several artifacts, their distinct strings and variants are intersected with
        ``values`` once, and an artifact's own strings only when that finds something."""
        classes = self._string_classes
        if classes is not None:
            key = id(values)
            cached = self._exact_hits.get(key)
            if cached is None or cached[0] is not values:
                every = classes.every.intersection(values)
                every |= set(classes.variants.values()).intersection(values)
                cached = self._exact_hits[key] = (values, every)
            if not cached[1]:
                return set()
        return art.strings.intersection(values) | self._classified(art)[2].intersection(values)

    def exact_strings(self, art: Artifact) -> set[str]:
        """Every string of an artifact (plus whitespace-folded, unguarded variants)."""
        return art.strings | self._classified(art)[2]

    @cached_property
    def haystack(self) -> tuple[bytes, list[tuple[int, str]]]:
        """All output text in one UTF-8 buffer, with (start offset, artifact name) spans."""
        parts: list[bytes] = []
        spans = []
        offset = 0
        for art in self.readable:
            chunk = scan.join_haystack([self.joined_strings(art)] + art.texts + art.code)
            spans.append((offset, art.name))
            parts.append(chunk)
            parts.append(b"\x00")
            offset += len(chunk) + 1
        return b"".join(parts), spans

    def artifact_at(self, offset: int) -> str:
        spans = self.haystack[1]
        name = spans[0][1] if spans else ""
        for start, n in spans:
            if start <= offset:
                name = n
        return name


def _trie_pattern(texts: list[str]) -> str:
    """A regex matching exactly what the alternation of ``texts`` (longest first) matches,
    written as a tree of their shared prefixes.

    Why: a team file may list tens of thousands of contacts, and Python's regex engine tries
    an alternation's branches one by one at every position of every page (120 s and more
    for 50,000 phone numbers); through the tree each position costs the length of its
    longest shared prefix. At each node the longer texts are tried before the text that
    ends there, so the first match found is the longest one the bounds allow, as with the
    alternation sorted longest first. (Texts nested thousands deep, each a prefix of the
    next, exceed the recursion limit: the caller falls back to the alternation.)"""
    trie: dict = {}
    for text in texts:
        node = trie
        for char in text:
            node = node.setdefault(char, {})
        node[""] = {}  # a text ends here

    def pattern(node: dict) -> str:
        branches = []
        for char, child in sorted(node.items()):
            if not char:
                continue
            chain = [char]
            while len(child) == 1 and "" not in child:  # (one text's own run: no nesting)
                ((char, child),) = child.items()
                chain.append(char)
            branches.append(re.escape("".join(chain)) + pattern(child))
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return "(?:" + body + ")?" if "" in node else body

    return "(?:" + pattern(trie) + ")"


def _floors_and_ceilings(floor: np.ndarray, ceil: np.ndarray) -> np.ndarray:
    """np.unique(np.concatenate([floor, ceil])) of int64 arrays: the floors sorted, and the
    ceilings that are not their row's floor (whole numbers have one), merged as two runs.

    A ceiling that differs is its floor plus one step (a metre, ten metres) in every row:
    then one sort of the floors, each packed with a bit saying whether its row's ceiling
    differs, gives both runs sorted (the flagged floors plus the step). When the steps
    differ, or the range does not fit the packing, both are sorted as they are."""
    differs = ceil != floor
    if floor.size > 1 and differs.any():
        step = int(ceil[differs][0]) - int(floor[differs][0])
        lo, hi = int(floor.min()), int(floor.max())
        fits = not (hi - lo) >> 61 and not abs(step) >> 61  # (Python integers)
        if fits and np.array_equal(ceil[differs], floor[differs] + step):
            packed = floor - lo  # (within 0 .. 2**61: no overflow)
            packed <<= 1
            packed |= differs
            packed.sort()
            flagged = (packed & 1).astype(bool)
            packed >>= 1
            packed += lo
            return scan.unique_of_runs([packed, packed[flagged] + step])
    return scan.unique_of_runs([np.sort(floor), np.sort(ceil[differs])])


def _corner_keys(fx: np.ndarray, cx: np.ndarray, fy: np.ndarray, cy: np.ndarray) -> np.ndarray:
    """Sorted distinct scan.pair_keys of every (floor or ceiling x, floor or ceiling y) of
    each row (a ceiling is its floor plus one step, or the floor itself)."""
    return scan.unique_of_runs(scan.corner_key_runs(scan.pair_keys, fx, cx, fy, cy))


def _with_spaces(values: list[str], spaces: int) -> tuple[list[str], str]:
    """(the values with at least ``spaces`` spaces, in order; their NUL-joined text). The
    spaces of many values are counted in one UTF-8 buffer (a space is one byte there, and
    no other character has a byte 0x20 or NUL), not by a call per value."""
    joined = "\x00".join(values)
    counts = _space_counts(joined, len(values)) if len(values) >= 64 else None
    if counts is None:  # (few values, or a value holds a NUL)
        long = [v for v in values if v.count(" ") >= spaces]
    else:
        mask = counts >= spaces
        if mask.all():
            return values, joined  # (the usual case: notes are long; no second join)
        long = list(compress(values, mask.tolist()))
    return long, joined if len(long) == len(values) else "\x00".join(long)


def _fold_long_stretch(layout: _Layout, lo: int, hi: int) -> Optional[bytes]:
    """fold_words_bytes of the values ``lo`` to ``hi`` (of several) of a lowered text's
    scan.text_layout NUL-joined, when each has FRAGMENT_WORDS - 1 spaces or more (what
    _with_spaces keeps; None otherwise): the stretch of the text is their lowered UTF-8,
    so no second join, encode and lowering. (A text_layout encodes strictly: then
    errors="replace" changes nothing, and spaces and NULs are not touched by lowering.)"""
    buf, start, nbytes, _chars = layout
    stretch = buf[int(start[lo]) : int(start[hi - 1] + nbytes[hi - 1])]
    kept = stretch.translate(None, _NOT_SPACE_OR_NUL)
    nuls = np.flatnonzero(np.frombuffer(kept, dtype=np.uint8) == 0)
    if nuls.size != hi - lo - 1:  # (cannot be: the layout's values hold no NUL)
        return None
    counts = np.diff(nuls, prepend=-1, append=len(kept)) - 1
    if not (counts >= FRAGMENT_WORDS - 1).all():
        return None  # (some values are left out: _with_spaces joins the others)
    return _fold_encoded(stretch)


def _space_counts(joined: str, n: int) -> Optional[np.ndarray]:
    """How many spaces each of the ``n`` values NUL-joined into ``joined`` has; None when
    a value holds a NUL (the values cannot be told apart). One translate keeps only the
    spaces and NULs; the gaps between the NULs are the counts."""
    kept = joined.encode("utf-8", errors="surrogatepass").translate(None, _NOT_SPACE_OR_NUL)
    nuls = np.flatnonzero(np.frombuffer(kept, dtype=np.uint8) == 0)
    if nuls.size != n - 1:
        return None
    return np.diff(nuls, prepend=-1, append=len(kept)) - 1


_NOT_SPACE_OR_NUL = bytes(b for b in range(256) if b not in (0, 0x20))


def _text_is(column: pd.Series, value: str) -> np.ndarray:
    """Per row: ``str(cell) == value`` (a categorical column: on its categories)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        cats = column.cat.categories.to_series().astype(str).to_numpy()
        return np.append(cats == value, str(np.nan) == value)[column.cat.codes.to_numpy()]
    return column.astype(str).to_numpy() == value


def _projected_crs(crs: pd.Series) -> np.ndarray:
    """Per row: whether its source CRS is one of PROJECTED_SOURCE_CRS (as text, any case).
    A categorical column is tested on its categories (a few) and mapped by the codes."""
    if isinstance(crs.dtype, pd.CategoricalDtype):
        cats = crs.cat.categories.to_series().astype(str).str.upper().to_numpy()
        known = np.append(np.isin(cats, PROJECTED_SOURCE_CRS), False)  # code -1: "NAN"
        return known[crs.cat.codes.to_numpy()]
    return np.isin(crs.astype(str).str.upper().to_numpy(), PROJECTED_SOURCE_CRS)


def _without_months(strings: list[str]) -> list[str]:
    """``strings`` but those that are a month (yyyy-mm), in order; only the 7-character ones
    are looked at (their lengths taken in C)."""
    lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    months = [i for i in np.flatnonzero(lengths == 7).tolist() if MONTH_RE.fullmatch(strings[i])]
    if not months:
        return strings
    keep = np.ones(len(strings), dtype=bool)
    keep[months] = False
    return list(compress(strings, keep.tolist()))


def _add_shown_texts(art: Artifact) -> None:
    """Each text and code body of ``art`` that holds format characters is read as shown too
    (output_reader.shown_text, appended once: "PC 1190 No<ZWSP>wak" in a text file shows
    the officer's name). Its strings' shown forms are classified with them
    (GateContext._with_shown). A text that is ASCII costs nothing (str.isascii is O(1))."""
    for bodies in (art.texts, art.code):
        forms = [form for body in bodies if (form := shown_text(body)) is not None]
        bodies.extend(form for form in forms if form not in bodies)


def _maybe_odd(strings: list[str]) -> list[str]:
    """``strings``, or none when one test of their NUL-joined text (_odd_text: no edge
    space, double space, guard quote or unprintable character; no NUL inside one) shows
    that none has odd whitespace or a guard quote (printable text has no whitespace but
    the space, so a strip can only take spaces at the edges)."""
    joined = "\x00".join(strings)
    if joined.count("\x00") == max(len(strings) - 1, 0) and not _odd_text(joined):
        return []
    return strings


def _distinct(values: Any) -> list:
    """Distinct values present (categorical: the categories actually used, plus NaN if any
    row is missing). Not pd.unique on text: pandas' string hash table stops at a NUL, so "a"
    and "a\\x00secret" would be taken for one value."""
    if isinstance(values, pd.Series):
        if isinstance(values.dtype, pd.CategoricalDtype):
            used = _codes_used(values.cat.codes.to_numpy(), len(values.cat.categories))
            cats = values.cat.categories.to_numpy(dtype=object)
            out = cats[used[used >= 0]].tolist()
            if used.size and used[0] < 0:
                out.append(np.nan)
            return out
        values = values.to_numpy(dtype=object)
    return _distinct_list(np.asarray(values, dtype=object).tolist())


def _codes_used(codes: np.ndarray, categories: int) -> np.ndarray:
    """np.unique(codes) of a categorical's codes (-1: missing), by counting (a pass, not a
    sort of 500,000 codes)."""
    if codes.size == 0 or codes.min() < -1 or codes.max() >= categories:  # (not codes)
        return np.unique(codes)
    counts = np.bincount(codes.astype(np.int64) + 1, minlength=categories + 1)
    return np.flatnonzero(counts) - 1


def _as_datetimes(column: pd.Series) -> pd.Series:
    """pd.to_datetime(column, errors="coerce"); a column already of datetime64[ns] is
    returned as it is (the same values: to_datetime's cache step alone boxed 50,000 of them
    as Timestamps)."""
    if column.dtype == np.dtype("datetime64[ns]"):
        return column
    return pd.to_datetime(column, errors="coerce")


def _distinct_list(values: list) -> list:
    return list(dict.fromkeys(values))


def _text_set(series: pd.Series) -> Optional[tuple[set[str], _Joined]]:
    """(set(raw_text_values(series)), the joined text of its values in the set's order),
    when every cell is a string or None and no value needs folding; None otherwise (the
    caller takes _text_values' path).

    The set is built straight from the rows, blanks left out, instead of from the list of
    distinct values: adding a value a set already holds changes nothing in it (not its
    table, not its order), so the rows in their order give exactly the table that their
    distinct values in order of first occurrence give, which is raw_text_values' list
    (blanks and None left out, nothing folded). One pass of 500,000 first-time string
    hashes instead of a dict of them and a set of the dict's keys."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return None
    rows = np.asarray(series.to_numpy(dtype=object), dtype=object).tolist()
    try:  # (any cell that raises here, pd.NA's bool or an unhashable one: _text_values' path)
        filled = list(filter(None, rows))
        if len(filled) != len(rows) - rows.count("") - rows.count(None):
            return None  # a falsy cell that is not a blank (0, False, b""): not text
        distinct = set(filled)
        listed = list(distinct)
        joined = "\x00".join(listed)  # (the type test, as in _text_values: str and subclasses)
    except Exception:  # noqa: BLE001 - the other path raises what it raised before
        return None
    buf = joined.encode("utf-8", errors="surrogatepass")
    if _odd_text(joined, buf):
        return None
    return distinct, (buf, len(joined), listed)


def raw_text_values(series: pd.Series) -> list[str]:
    """Distinct non-blank values of a raw column as text, whitespace-folded and without a
    spreadsheet guard quote (so they compare with what an output shows)."""
    return _text_values(series)[0]


# (the UTF-8 of the NUL-joined values, its length in characters, the values): what
# _text_values tested, so the per-value flags can come from it
_Joined = tuple[bytes, int, list]


def _text_values(series: pd.Series) -> tuple[list[str], Optional[_Joined]]:
    """(raw_text_values(series), the joined text it was found in when nothing needed
    folding: its values are the result, or the result and one empty string)."""
    distinct = _distinct(series)
    text: Optional[list] = None
    values: Optional[np.ndarray] = None
    try:
        # every value a string (a subclass too, as infer_dtype's "string"): join takes
        # nothing else, so the join is the type test and the text _odd_text reads
        joined = "\x00".join(distinct)
        text = distinct
    except TypeError:
        values = np.asarray(distinct, dtype=object)
        if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
            text = values[~pd.isna(values)].tolist()
            joined = "\x00".join(text)
    if text is not None:
        buf = joined.encode("utf-8", errors="surrogatepass")
        if not _odd_text(joined, buf):
            # the common case: nothing to fold; the values are distinct, so one empty
            # string at most is left out
            if "" not in text:
                return text, (buf, len(joined), text)
            found = (buf, len(joined), list(text))
            text.remove("")
            return text, found
    if values is None:
        values = np.asarray(distinct, dtype=object)
    out = []
    for v in values:
        if not isinstance(v, str):
            if v is None or v != v:
                continue
            v = str(v)
        if v != v.strip() or "  " in v or not v.isprintable():
            v = normalise(v)
        if v.startswith(_FORMULA_GUARD):
            v = v[1:]
        if v:
            out.append(v)
    return out, None


def _odd_text(joined: str, buf: Optional[bytes] = None) -> bool:
    """Whether any of the NUL-joined values has whitespace to fold (runs, edges, tabs,
    newlines) or a spreadsheet guard quote: a double space, a space beside a NUL, a quote
    after one, a space or quote first, a space last, or a character that is not printable
    (NUL aside). ``buf``: ``joined`` in UTF-8 (surrogatepass), if the caller has it.

    Tested on the UTF-8 bytes in numpy, in pieces (a space, NUL, quote or ASCII control
    byte is that character there and nothing else); only non-ASCII text has its other
    characters tested by isprintable."""
    if buf is None:
        buf = joined.encode("utf-8", errors="surrogatepass")
    if not buf:
        return False
    a = np.frombuffer(buf, dtype=np.uint8)
    if a[0] == 0x20 or a[0] == 0x27 or a[-1] == 0x20:
        return True
    for lo in range(0, a.size, _ODD_PIECE):
        piece = a[lo : lo + _ODD_PIECE + 1]  # (one byte more: pairs across the cut)
        space = piece == 0x20
        nul = piece == 0
        # ASCII controls but NUL (all below 0x20, as NUL is), and DEL
        if ((piece < 0x20) ^ nul).any() or (piece == 0x7F).any():
            return True
        pairs = space[:-1] & (space[1:] | nul[1:])  # "  ", " \x00"
        pairs |= nul[:-1] & (space[1:] | (piece[1:] == 0x27))  # "\x00 ", "\x00'"
        if pairs.any():
            return True
    if len(buf) == len(joined):  # ASCII: every byte was tested
        return False
    return not _printable_utf8(buf)


_ODD_PIECE = 1 << 20  # (bytes per piece: its masks stay small)
_PRINTABLE_ASCII_OR_NUL = bytes(range(0x20, 0x7F)) + b"\x00"


def _printable(joined: str) -> bool:
    """``joined.replace("\\x00", "").isprintable()``; for ASCII text (the usual case) one
    translate that deletes every printable byte and NUL: what is left is not printable."""
    if joined.isascii():
        return not joined.encode("ascii").translate(None, _PRINTABLE_ASCII_OR_NUL)
    return _printable_utf8(joined.encode("utf-8", errors="surrogatepass"))


def _printable_utf8(buf: bytes) -> bool:
    """:func:`_printable` of text given as its UTF-8 (surrogatepass): the same translate on
    the bytes; what is left (control bytes, and every non-ASCII character whole, since no
    byte of a multi-byte sequence is ASCII) is tested in Python."""
    rest = buf.translate(None, _PRINTABLE_ASCII_OR_NUL)
    return rest.decode("utf-8", errors="surrogatepass").isprintable()
