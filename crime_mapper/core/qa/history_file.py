"""The saved release-QA history (``*.qa_history.json``): its format versions, and the areas
its months are counted by.

Why the areas are in the file: each month's area counts are by LSOA, or by the
neighbourhoods of the area lookup the saving run had (``--areas``). Version 1 of the file (a
bare JSON list of month profiles) did not say which, so a reader had to guess from the codes
(profile.history_in_lookup_areas, profile.history_by_other_areas), and a guess can be wrong:
two lookups with the same neighbourhood codes but an LSOA moved between them look alike.
Version 2 is an object that names the kind of area and, for neighbourhoods, the lookup's
fingerprint (the SHA-256 of its LSOA-to-area pairs, so the same lookup saved again, rows in
another order, has the same fingerprint) and file name. A month of a version-2 file is
compared with this month only when its areas are this month's, or are LSOAs summed into this
month's neighbourhoods; otherwise it is named (the report's ``history:areas`` finding), never
guessed. A version-1 file reads as it always did, guessed.

No QGIS, no pandas.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Optional

from ..common.json_file import strict_json
from ..common.text_file import shown_keys, shown_value
from .profile import (
    MonthProfile,
    history_by_other_areas,
    history_in_lookup_areas,
    summed_into_lookup,
)

#: What a version-2 file says it is, in its ``kind``.
HISTORY_KIND = "crime_mapper QA history"
#: The version written. Version 1 is the bare list of month profiles, still read.
HISTORY_VERSION = 2
LSOA = "LSOA"
NEIGHBOURHOOD = "neighbourhood"
_KEYS = {"kind", "version", "areas", "months"}


@dataclass(frozen=True)
class HistoryAreas:
    """What a history's area counts count: LSOAs, or the neighbourhoods of one area lookup
    (``lookup_sha256``: lookup_fingerprint). ``lookup_name`` (the lookup file's name when
    the history was saved) only helps the analyst find it: two files with the same pairs
    are the same lookup, so it takes no part in comparisons."""

    kind: str
    lookup_sha256: str = ""
    lookup_name: str = field(default="", compare=False)

    def describe(self) -> str:
        """The areas in words, for a finding."""
        if self.kind == LSOA:
            return "LSOA"
        name = f" {self.lookup_name}" if self.lookup_name else ""
        return (
            f"the neighbourhoods of the area lookup{name} (fingerprint {self.lookup_sha256[:12]})"
        )

    def to_dict(self) -> dict[str, str]:
        if self.kind == LSOA:
            return {"kind": LSOA}
        return {
            "kind": NEIGHBOURHOOD,
            "lookup_sha256": self.lookup_sha256,
            "lookup_name": self.lookup_name,
        }

    @classmethod
    def from_dict(cls, data: Any) -> HistoryAreas:
        """The areas of a version-2 file, every field checked (a ValueError naming it)."""
        if not isinstance(data, dict):
            raise ValueError("'areas' must be an object")
        kind = data.get("kind")
        if kind == LSOA:
            if set(data) != {"kind"}:
                raise ValueError("'areas' of kind LSOA holds nothing but its kind")
            return cls(LSOA)
        if kind != NEIGHBOURHOOD:
            raise ValueError(f"'areas' kind must be {LSOA!r} or {NEIGHBOURHOOD!r}, not {kind!r}")
        unknown = set(data) - {"kind", "lookup_sha256", "lookup_name"}
        if unknown:
            raise ValueError(f"unknown 'areas' fields: {', '.join(sorted(unknown))}")
        sha = data.get("lookup_sha256")
        if not isinstance(sha, str) or len(sha) != 64 or sha.strip("0123456789abcdef"):
            raise ValueError("'areas' of kind neighbourhood needs the lookup's SHA-256")
        name = data.get("lookup_name", "")
        if not isinstance(name, str):
            raise ValueError("'areas' lookup_name must be text")
        return cls(NEIGHBOURHOOD, sha, name)


def lookup_fingerprint(lookup: Mapping[str, str]) -> str:
    """SHA-256 of an LSOA-to-area lookup's pairs, sorted: the same lookup gives the same
    fingerprint whatever its file's row order, header or spacing (run.read_area_lookup
    strips the cells)."""
    text = json.dumps(sorted(lookup.items()), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def areas_of(lookup: Optional[Mapping[str, str]], name: str = "") -> HistoryAreas:
    """The areas a QA run counts by: its lookup's neighbourhoods, or LSOAs without one."""
    if not lookup:
        return HistoryAreas(LSOA)
    return HistoryAreas(NEIGHBOURHOOD, lookup_fingerprint(lookup), name)


@dataclass
class HistoryFile:
    """A read history file: its months, and their areas (None: a version-1 file, which does
    not say)."""

    profiles: list[MonthProfile]
    areas: Optional[HistoryAreas]
    version: int


def history_json(profiles: list[MonthProfile], areas: HistoryAreas) -> str:
    """A history file (version 2) holding ``profiles``, all counted by ``areas``."""
    data = {
        "kind": HISTORY_KIND,
        "version": HISTORY_VERSION,
        "areas": areas.to_dict(),
        "months": [p.to_dict() for p in profiles],
    }
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def read_history_json(text: str) -> HistoryFile:
    """A history file of either version. ValueError (naming what is wrong) for anything
    else, and for a version this reader does not know (a newer crime_mapper's)."""
    try:
        data = strict_json(text)
    except RecursionError as exc:
        raise ValueError("the QA history file is nested too deeply") from exc
    if isinstance(data, list):  # version 1: the months alone
        return HistoryFile([MonthProfile.from_dict(d) for d in data], None, 1)
    if not isinstance(data, dict) or data.get("kind") != HISTORY_KIND:
        raise ValueError("a QA history file holds a list of month profiles")
    version = data.get("version")
    # type(), not ==: true and 2.0 equal 2 in Python
    if type(version) is not int or version != HISTORY_VERSION:
        raise ValueError(
            f"version {shown_value(version)} is not one this crime_mapper reads (1 or "
            f"{HISTORY_VERSION})"
        )
    unknown = set(data) - _KEYS
    if unknown:
        raise ValueError(f"unknown QA history fields: {shown_keys(sorted(unknown))}")
    for key in ("areas", "months"):
        if key not in data:
            raise ValueError(f"a QA history file of version {version} needs {key!r}")
    if not isinstance(data["months"], list):
        raise ValueError("'months' must be a list of month profiles")
    areas = HistoryAreas.from_dict(data["areas"])
    return HistoryFile([MonthProfile.from_dict(d) for d in data["months"]], areas, version)


@dataclass
class AlignedHistory:
    """The history in this month's areas, and the months whose areas could not be put in
    them (their area counts left out of the area checks): ``guessed`` from a version-1
    file's codes, ``other`` as their file says (month -> its areas)."""

    profiles: list[MonthProfile]
    guessed: list[str] = field(default_factory=list)
    other: dict[str, HistoryAreas] = field(default_factory=dict)

    @property
    def left_out(self) -> list[str]:
        return sorted(set(self.guessed) | set(self.other))


def align_history_areas(
    profiles: list[MonthProfile],
    saved: Mapping[str, Optional[HistoryAreas]],
    lookup: Optional[Mapping[str, str]],
    current: MonthProfile,
    lookup_name: str = "",
) -> AlignedHistory:
    """``profiles`` with their area counts in this month's areas (``lookup``'s
    neighbourhoods, or LSOAs without one). ``saved`` gives each month's areas as its file
    says (None or absent: a version-1 file, whose areas are guessed as before).

    A month known to count this month's areas is kept; one known to count LSOAs is summed
    into the lookup's neighbourhoods (profile.summed_into_lookup); any other (another
    lookup's neighbourhoods, or neighbourhoods when this month is by LSOA) is left out of
    the area checks and returned in ``other``, whatever its codes look like."""
    this = areas_of(lookup, lookup_name)
    unknown = [p for p in profiles if saved.get(p.month) is None]
    if lookup:
        guessed_profiles, guessed = history_in_lookup_areas(unknown, dict(lookup))
    else:
        guessed_profiles, guessed = history_by_other_areas(unknown, current)
    guessed_in_order = iter(guessed_profiles)  # (one per unknown month, in its order)
    out: list[MonthProfile] = []
    other: dict[str, HistoryAreas] = {}
    for profile in profiles:
        areas = saved.get(profile.month)
        if areas is None:
            out.append(next(guessed_in_order))
        elif areas == this:
            out.append(profile)
        elif areas.kind == LSOA and lookup:
            out.append(replace(profile, by_area=summed_into_lookup(profile.by_area, lookup)))
        else:
            out.append(replace(profile, by_area={}))
            other[profile.month] = areas
    return AlignedHistory(out, guessed, other)
