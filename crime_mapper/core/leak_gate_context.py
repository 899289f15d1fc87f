"""Shared pieces of the leak gate: check names and thresholds, the GateCheck record, and the
context every check reads (the raw table, the map points and the output, each view computed
once and cached, so that six checks on a national month cost little more than one).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Optional

import numpy as np
import pandas as pd

from . import leak_gate_scan as scan
from .public_schema import PUBLIC_COLUMNS
from .release_reader import Artifact, normalise
from .vocabulary import (
    CATEGORIES,
    LEGACY_CATEGORIES,
    OUTCOME_NAMES,
    all_category_names,
    normalise_category,
    normalise_outcome,
)

CHECK_NAMES: tuple[str, ...] = (
    "public_schema",
    "coordinates_are_map_points",
    "no_raw_coordinates",
    "no_dates_finer_than_month",
    "no_source_references",
    "no_non_public_values",
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
_MONTH = re.compile(r"\d{4}-(?:0[1-9]|1[0-2])")
_PURE_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")
_HEX_CHARS = "0123456789abcdefABCDEF"
_HEX_LENGTHS = {32: "md5", 40: "sha1", 64: "sha256"}
_FORMULA_GUARD = ("'=", "'+", "'-", "'@", "'\t", "'\r")


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



# ---------------------------------------------------------------------------------------------
class GateContext:
    """Shared, lazily computed views of the raw table, the map points and the output."""

    def __init__(self, raw: pd.DataFrame, artifacts: list[Artifact], points: Any,
                 extra_allowed: Optional[tuple[np.ndarray, np.ndarray]],
                 extra_public: Iterable[str]) -> None:
        if not isinstance(raw, pd.DataFrame):
            raise TypeError("raw must be the internal crimes DataFrame")
        self.raw = raw
        self.artifacts = artifacts
        self.readable = [a for a in artifacts if a.kind != "error"]
        self.errors = [a for a in artifacts if a.kind == "error"]
        self.points = points
        self.extra_allowed = extra_allowed
        self.extra_public = {normalise(str(v)) for v in extra_public}
        self._classes: dict[int, tuple[list[str], list[str], set[str]]] = {}

    # --- coordinates ---
    @cached_property
    def allowed_keys(self) -> np.ndarray:
        keys = [scan.tolerant_keys(self.points.longitude, self.points.latitude)]
        if self.extra_allowed is not None:
            lon, lat = self.extra_allowed
            keys.append(scan.tolerant_keys(lon, lat))
        return np.unique(np.concatenate(keys))  # sorted: membership is one searchsorted

    @cached_property
    def output_coords(self) -> list[tuple[Artifact, np.ndarray, np.ndarray, list[str]]]:
        """Per artifact: lon, lat and a 'where' label per coordinate (text pairs included)."""
        out = []
        for art in self.readable:
            lons = list(art.lon)
            lats = list(art.lat)
            wheres = [np.full(len(a), i, dtype=np.int32) for i, a in enumerate(art.lon)]
            labels = list(art.coord_where)
            for text in self._texts(art):
                tl, tt, shown = scan.text_pairs(text)
                if tl:
                    lons.append(np.asarray(tl))
                    lats.append(np.asarray(tt))
                    wheres.append(np.full(len(tl), len(labels), dtype=np.int32))
                    labels.append("text " + ", ".join(shown[:3]))
            if lons:
                out.append((art, np.concatenate(lons), np.concatenate(lats),
                            [labels, np.concatenate(wheres)]))
        return out

    def _texts(self, art: Artifact) -> list[str]:
        return [self.joined_strings(art)] + art.texts + art.code

    # --- output strings ---
    def _classified(self, art: Artifact) -> tuple[list[str], list[str], set[str]]:
        """(hex-only strings, strings not known to be public, exact-match set) of an artifact.

        Set operations do the bulk (a public CSV's 500,000 distinct Crime IDs are hex and
        skip every per-string step); only strings with odd whitespace or a spreadsheet guard
        quote are folded one by one for exact matching.
        """
        cached = self._classes.get(id(art))
        if cached is None:
            strings = art.strings
            hexes = [t for t in strings if len(t) in _HEX_LENGTHS and not t.strip(_HEX_CHARS)]
            other = strings.difference(hexes).difference(self.public_strings)
            other.discard("")
            # sorted: the haystack (and so every message) is the same from run to run
            other = sorted(t for t in other if not (len(t) == 7 and _MONTH.fullmatch(t)))
            exact = set(strings)
            for t in other:
                if t != t.strip() or "  " in t or not t.isprintable() or t.startswith("'"):
                    f = normalise(t)
                    exact.add(f[1:] if f.startswith(_FORMULA_GUARD) else f)
            cached = (hexes, other, exact)
            self._classes[id(art)] = cached
        return cached

    def joined_strings(self, art: Artifact) -> str:
        return "\n\x00\n".join(self._classified(art)[1])

    def hex_strings(self, art: Artifact) -> list[str]:
        return self._classified(art)[0]

    def exact_strings(self, art: Artifact) -> set[str]:
        """Every string of an artifact (plus whitespace-folded, unguarded variants)."""
        return self._classified(art)[2]

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

    # --- public vocabulary ---
    @cached_property
    def labels(self) -> set[str]:
        return {normalise(str(v)) for v in pd.unique(np.asarray(self.points.label, dtype=object))}

    @cached_property
    def public_strings(self) -> set[str]:
        """Values anyone may see: vocabulary, forces, LSOAs, labels and their Location text."""
        public = set(all_category_names()) | set(OUTCOME_NAMES) | set(PUBLIC_COLUMNS)
        public |= {c.slug for c in CATEGORIES} | set(LEGACY_CATEGORIES.values())
        public |= {NO_LOCATION, LOCATION_PREFIX, LOCATION_PREFIX + " "}
        for col in ("reported_by", "falls_within", "lsoa_code", "lsoa_name"):
            if col in self.raw.columns:
                public |= {str(v) for v in pd.unique(self.raw[col].astype(object)) if v == v}
        for attr in ("lsoa_code", "lsoa_name"):
            values = getattr(self.points, attr, None)
            if values is not None:
                public |= {str(v) for v in pd.unique(np.asarray(values, dtype=object))}
        public |= self.labels
        public |= {f"{LOCATION_PREFIX} {lab}".strip() for lab in self.labels}
        public |= self.extra_public
        public.discard("")
        return public

    def is_plainly_public(self, value: str) -> bool:
        """Cheap test (set lookups) run on every raw value."""
        if value in self.public_strings or (len(value) == 7 and _MONTH.fullmatch(value)):
            return True
        return value.startswith(LOCATION_PREFIX) and \
            normalise(value[len(LOCATION_PREFIX):]) in self.labels

    def is_public_value(self, value: str) -> bool:
        """Full test, including category/outcome spelling variants (run on matches only)."""
        return self.is_plainly_public(value) or bool(normalise_category(value)
                                                     or normalise_outcome(value))

    # --- raw ---
    def raw_float(self, col: str) -> np.ndarray:
        if col not in self.raw.columns:
            return np.full(len(self.raw), np.nan)
        return pd.to_numeric(self.raw[col], errors="coerce").to_numpy(np.float64)

    @cached_property
    def raw_is_point(self) -> np.ndarray:
        keys = scan.coordinate_keys(self.raw_float("longitude"), self.raw_float("latitude"))
        return scan.member(keys, self.allowed_keys)



def raw_text_values(series: pd.Series) -> list[str]:
    """Distinct non-blank values of a raw column as text, whitespace-folded and without a
    spreadsheet guard quote (so they compare with what an output shows)."""
    values = pd.unique(series.to_numpy(dtype=object))
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        text = values[~pd.isna(values)].tolist()
        joined = "\x00".join(text)
        if not _odd_text(joined):
            return [v for v in text if v]  # the common case: nothing to fold, one regex pass
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
    return out


def _odd_text(joined: str) -> bool:
    """Whether any of the NUL-joined values has whitespace to fold (runs, edges, tabs,
    newlines) or a spreadsheet guard quote. Plain substring tests: C speed on 20 MB."""
    return ("  " in joined or " \x00" in joined or "\x00 " in joined or "\x00'" in joined
            or joined.startswith((" ", "'")) or joined.endswith(" ")
            or not joined.replace("\x00", "").isprintable())

