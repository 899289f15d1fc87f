"""One month reduced to what the release QA compares: counts per category, area and outcome,
the share without a location, the map-point labels used, where crimes fall (1 km cells), the
days and hours where exact times exist, and repeated rows.

Why a summary: the checks compare this month with twelve others, and a national month is
half a million rows; twelve summaries are small, can be kept beside each release
(``qa_history.json``) and are read in milliseconds, so a QA run needs only this month's rows.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Optional

import numpy as np
import pandas as pd

from ..common.text_file import shown_keys, shown_value
from ..common.vocabulary import MONTH_RE
from ..release.map_points import strip_location_prefix

# Cells of about 1 km: 0.009 degrees of latitude, 0.0145 of longitude (1 km at 52 N).
CELL_LAT = 0.009
CELL_LON = 0.0145
_CELL_COLUMNS = 1_000_000
NO_AREA = ""
# A repeated run needs this many rows before it is counted as a batch (see duplicates).
MIN_BATCH_ROWS = 10
# A crime this far (metres) from the map point it would snap to is "snapped far".
DEFAULT_FAR_METRES = 1000.0
# Columns that are not row content: where a row sits, not what it says.
_NOT_CONTENT = ("record_id", "source_file", "source_line", "crime_id")


def cell_keys(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """int64 key of the ~1 km cell holding each WGS84 point (NaN gives -1)."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    ok = np.isfinite(lon) & np.isfinite(lat)
    iy = np.floor(np.where(ok, lat, 0.0) / CELL_LAT).astype(np.int64)
    ix = np.floor(np.where(ok, lon, 0.0) / CELL_LON).astype(np.int64) + _CELL_COLUMNS // 2
    return np.where(ok, iy * _CELL_COLUMNS + ix, -1)


def dilate_cells(keys: np.ndarray, radius: int) -> np.ndarray:
    """Every cell within ``radius`` cells (a square) of the given ones."""
    keys = np.unique(np.asarray(keys, dtype=np.int64))
    keys = keys[keys >= 0]
    offsets = [dy * _CELL_COLUMNS + dx for dy in range(-radius, radius + 1)
               for dx in range(-radius, radius + 1)]  # fmt: skip
    return np.unique((keys[:, None] + np.array(offsets, dtype=np.int64)[None, :]).ravel())


@dataclass
class MonthProfile:
    """The counts of one month. Plain data: ``to_dict``/``from_dict`` round-trip through JSON."""

    month: str
    rows: int
    source_format: str  # "police.uk", "force" or "mixed"
    by_category: dict[str, int] = field(default_factory=dict)
    by_area: dict[str, int] = field(default_factory=dict)  # located rows per area code
    by_outcome: dict[str, int] = field(default_factory=dict)
    no_location: int = 0
    labels: list[str] = field(default_factory=list)  # distinct map-point labels used
    cells: list[int] = field(default_factory=list)  # distinct ~1 km cells with a crime
    timed_rows: int = 0  # rows with an exact date and time
    day_counts: list[int] = field(default_factory=list)  # per day of the month, if timed
    hour_counts: list[int] = field(default_factory=list)  # per hour of day, if timed
    longest_repeat_run: int = 0  # see duplicates.repeat_runs
    repeated_rows: int = 0  # rows in repeat runs of at least MIN_BATCH_ROWS
    rejected: dict[str, int] = field(default_factory=dict)  # load rejects by reason
    snapped: Optional[int] = None  # located rows snapped to a map point (None: not measured)
    snapped_far: Optional[int] = None  # ...of which farther than far_metres

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> MonthProfile:
        """A profile from JSON data, every field checked: a history file is input like any
        other, so a wrong type is a ValueError naming the field, never a crash or a silently
        changed value."""
        if not isinstance(data, dict):
            raise ValueError("a month profile is a JSON object")
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown month-profile fields: {shown_keys(sorted(unknown))}")
        for name in ("month", "rows", "source_format"):
            if name not in data:
                raise ValueError(f"a month profile needs {name!r}")
        month = data["month"]
        if not isinstance(month, str) or not MONTH_RE.fullmatch(month):
            raise ValueError(f"month must be YYYY-MM, not {shown_value(month)}")
        if not FIRST_YEAR <= int(month[:4]) <= LAST_YEAR:
            raise ValueError(
                f"month {month} is not a month of recorded crime (years {FIRST_YEAR} to "
                f"{LAST_YEAR})"
            )
        values: dict[str, Any] = {"month": month}
        for name, value in data.items():
            if name == "month":
                continue
            kind = _FIELD_KINDS[name]
            values[name] = _checked(name, value, kind)
        profile = cls(**values)
        _refuse_parts_beyond_rows(profile)
        return profile


def _refuse_parts_beyond_rows(profile: MonthProfile) -> None:
    """ValueError naming the field when a part of a month counts more crimes than the month
    has (rows without a location, timed or repeated rows, snapped ones, the crimes of the
    categories, areas, outcomes, days or hours together). Why: such a history is damaged,
    and a month with 250 of its 200 crimes unlocated was taken into the no-location
    baseline as a share of 125% (found by a hostile-input sweep)."""
    parts = {
        "no_location": profile.no_location,
        "timed_rows": profile.timed_rows,
        "repeated_rows": profile.repeated_rows,
        "longest_repeat_run": profile.longest_repeat_run,
        "snapped": profile.snapped or 0,
        "by_category": sum(profile.by_category.values()),
        "by_area": sum(profile.by_area.values()),
        "by_outcome": sum(profile.by_outcome.values()),
        "day_counts": sum(profile.day_counts),
        "hour_counts": sum(profile.hour_counts),
    }
    for name, count in parts.items():
        if count > profile.rows:
            raise ValueError(
                f"month-profile field {name!r} counts {count:,} crimes, more than the "
                f"month's {profile.rows:,} rows"
            )
    if (profile.snapped_far or 0) > (profile.snapped or 0):
        raise ValueError("month-profile field 'snapped_far' counts more than 'snapped'")


#: The years a history month may name. Why: "0000-01" or "9999-12" is damage, yet was read as
#: the oldest (or newest) month of the history, its counts then part of every baseline.
FIRST_YEAR, LAST_YEAR = 1900, 2099
_FIELD_KINDS = {
    "rows": "count", "source_format": "text", "by_category": "counts", "by_area": "counts",
    "by_outcome": "counts", "no_location": "count", "labels": "texts", "cells": "ints",
    "timed_rows": "count", "day_counts": "ints", "hour_counts": "ints",
    "longest_repeat_run": "count", "repeated_rows": "count", "rejected": "counts",
    "snapped": "optional_count", "snapped_far": "optional_count",
}  # fmt: skip


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


#: The largest count a month profile may hold: no force records a billion crimes a month, so
#: a larger count is damage. Past 2**53 the statistics lost precision, and counts near 2**63
#: kept scipy's negative binomial working for minutes; past a float, numpy overflowed.
MAX_COUNT = 10**9
_MAX_CELL = 2**62  # a cell key (cell_keys: int64), with room to step to its neighbours


def _count(value: Any, limit: int = MAX_COUNT) -> bool:
    return _is_int(value) and 0 <= value <= limit


def _checked(name: str, value: Any, kind: str) -> Any:
    bad = ValueError(f"month-profile field {name!r} has an unusable value")
    if kind == "optional_count" and value is None:
        return None
    if kind in ("count", "optional_count"):
        if not _count(value):
            raise bad
        return int(value)
    if kind == "text":
        if not isinstance(value, str):
            raise bad
        return value
    if kind == "counts":
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and _count(v) for k, v in value.items()
        ):
            raise bad
        return {str(k): int(v) for k, v in value.items()}
    if kind == "texts":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad
        return list(value)
    limit = _MAX_CELL if name == "cells" else MAX_COUNT
    if not isinstance(value, list) or not all(_count(v, limit) for v in value):  # ints
        raise bad
    if name == "hour_counts" and len(value) not in (0, 24):
        raise bad
    if name == "day_counts" and len(value) > 31:
        raise bad
    return [int(v) for v in value]


def text_values(series: pd.Series) -> np.ndarray:
    """A column as Python strings ("" for missing). Categorical columns (most of the crimes
    table) are converted per category, not per row: half a million rows cost one take."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        names = np.array([str(c) for c in series.cat.categories] + [""], dtype=object)
        return names[series.cat.codes.to_numpy()]  # code -1 (missing) takes the last: ""
    return series.where(series.notna(), "").astype(str).to_numpy(dtype=object)


def _counts(values: pd.Series) -> dict[str, int]:
    counts = pd.Series(text_values(values)).value_counts(sort=False)
    return {str(k): int(v) for k, v in counts.items() if v}


def labels_of(crimes: pd.DataFrame) -> np.ndarray:
    """Per row, the map-point label the row is published with (police.uk rows: the Location
    without "On or near"); blank for rows without a location or from a force extract, whose
    location text is not a map point's."""
    out = np.full(len(crimes), "", dtype=object)
    if not len(crimes):
        return out
    police = text_values(crimes["source_format"]) == "police.uk"
    police &= crimes["has_location"].to_numpy(dtype=bool)
    if police.any():
        location = crimes["location"]
        if isinstance(location.dtype, pd.CategoricalDtype):
            names = [strip_location_prefix(str(c)) for c in location.cat.categories]
            stripped = np.array(names + [""], dtype=object)[location.cat.codes.to_numpy()]
        else:
            stripped = np.array(
                [strip_location_prefix(str(v)) for v in text_values(location)], dtype=object
            )
        out[police] = stripped[police]
    return out


def area_codes(crimes: pd.DataFrame, lookup: Optional[dict[str, str]] = None) -> np.ndarray:
    """Per row, the area it is counted in: its LSOA code, or the neighbourhood the lookup maps
    that code to; blank where there is none."""
    codes = text_values(crimes["lsoa_code"])
    if lookup:
        unique = pd.unique(codes)
        mapped = {c: lookup.get(str(c), NO_AREA) for c in unique}
        codes = pd.Series(codes).map(mapped).to_numpy(dtype=object)
    return codes


def summed_into_lookup(by_area: dict[str, int], lookup: Mapping[str, str]) -> dict[str, int]:
    """LSOA counts summed into the lookup's neighbourhoods (an LSOA count adds up exactly to
    its neighbourhood's); an LSOA the lookup does not have is left out, as this month's rows
    in it are (they have no neighbourhood)."""
    summed: dict[str, int] = {}
    for code, count in by_area.items():
        area = lookup.get(code, NO_AREA)
        if area != NO_AREA:
            summed[area] = summed.get(area, 0) + count
    return summed


def history_in_lookup_areas(
    profiles: list[MonthProfile], lookup: dict[str, str]
) -> tuple[list[MonthProfile], list[str]]:
    """The history's area counts in the areas of ``lookup`` (LSOA code to neighbourhood), so
    the area checks compare like with like; and the months whose areas cannot be put in them.

    Why: a saved history (``qa_history.json``) counts each month by the areas of the run that
    saved it, LSOAs unless that run had ``--areas``, and a version-1 file does not say which
    (history_file.align_history_areas uses what a version-2 file says, and this guess only
    for months that do not say). Checked with a
    lookup, this month is counted by neighbourhood, so every LSOA of the history looked
    emptied and every neighbourhood new (33 high findings on the bundled files). An analyst
    who adds ``--areas`` expects the same history to be compared by neighbourhood, and an LSOA
    count adds up exactly to its neighbourhood's, so a month counted by LSOA is summed into
    the lookup's neighbourhoods; an LSOA the lookup does not have is left out, as this month's
    rows in it are (they have no neighbourhood). A month already counted by the lookup's
    neighbourhoods is kept as it is. A month whose areas are neither (another lookup's
    neighbourhoods) cannot be split or regrouped: its area counts are left out of the area
    checks, and the month is returned so that the report says so, never compared as if its
    areas were this month's."""
    lsoas, neighbourhoods = set(lookup), set(lookup.values())
    out: list[MonthProfile] = []
    unmatched: list[str] = []
    for profile in profiles:
        keys = set(profile.by_area)
        if keys <= neighbourhoods:  # (also a month without areas)
            out.append(profile)
        elif keys & lsoas:
            out.append(replace(profile, by_area=summed_into_lookup(profile.by_area, lookup)))
        else:
            out.append(replace(profile, by_area={}))
            unmatched.append(profile.month)
    return out, unmatched


def history_by_other_areas(
    profiles: list[MonthProfile], current: MonthProfile
) -> tuple[list[MonthProfile], list[str]]:
    """Without a lookup (this month counted by LSOA): the history with the area counts of
    months that share no area at all with ``current`` left out, and those months.

    Why: a history saved with ``--areas`` counts neighbourhoods, and checked without a lookup
    every neighbourhood looked emptied and every LSOA new (33 high findings on the bundled
    files). A month of a version-1 file does not say which areas it counts (a version-2
    file does: history_file.align_history_areas), but LSOA counts of the same
    force share most of their codes with any month's, so a month sharing none is counted by
    other areas (or this month's codes are all new, which the report's finding asks the
    analyst to check): it is named, never compared as if its areas were this month's."""
    mine = set(current.by_area)
    if not mine:  # (no areas this month: the area checks do not run anyway)
        return profiles, []
    out: list[MonthProfile] = []
    other: list[str] = []
    for profile in profiles:
        if profile.by_area and not mine & set(profile.by_area):
            out.append(replace(profile, by_area={}))
            other.append(profile.month)
        else:
            out.append(profile)
    return out, other


def timed_mask(crimes: pd.DataFrame, month: str) -> np.ndarray:
    """Rows with an exact date and time inside ``month``."""
    if "occurred_at" not in crimes or not len(crimes):
        return np.zeros(len(crimes), dtype=bool)
    when = pd.to_datetime(crimes["occurred_at"], errors="coerce")
    ok = when.notna().to_numpy()
    if ok.any():
        year, mon = (int(p) for p in month.split("-"))
        ok &= ((when.dt.year == year) & (when.dt.month == mon)).to_numpy()
    return ok


def day_hour_counts(crimes: pd.DataFrame, month: str) -> tuple[int, list[int], list[int]]:
    """(timed rows, counts per day of month, counts per hour of day)."""
    mask = timed_mask(crimes, month)
    if not mask.any():
        return 0, [], []
    when = pd.to_datetime(crimes.loc[mask, "occurred_at"])
    year, mon = (int(p) for p in month.split("-"))
    days = calendar.monthrange(year, mon)[1]
    day = np.bincount(when.dt.day.to_numpy() - 1, minlength=days)[:days]
    hour = np.bincount(when.dt.hour.to_numpy(), minlength=24)[:24]
    return int(mask.sum()), [int(v) for v in day], [int(v) for v in hour]


def content_columns(crimes: pd.DataFrame) -> list[str]:
    """What a row says: every column but its reference and where it sits in the file."""
    return [c for c in crimes.columns if c not in _NOT_CONTENT]


def source_format(crimes: pd.DataFrame) -> str:
    formats = set(pd.unique(text_values(crimes["source_format"]))) if len(crimes) else set()
    if len(formats) == 1:
        return formats.pop()
    return "mixed" if formats else ""


def month_of(crimes: pd.DataFrame) -> str:
    """The month most rows belong to."""
    if not len(crimes):
        raise ValueError("there are no crimes to check")
    return str(pd.Series(text_values(crimes["month"])).value_counts().idxmax())


def build_profile(
    crimes: pd.DataFrame,
    month: Optional[str] = None,
    rejects: Optional[pd.DataFrame] = None,
    area_lookup: Optional[dict[str, str]] = None,
    labels: Optional[np.ndarray] = None,
    snap_distance: Optional[np.ndarray] = None,
    far_metres: float = DEFAULT_FAR_METRES,
    areas: Optional[np.ndarray] = None,
    runs: Any = None,
) -> MonthProfile:
    """The profile of ``crimes`` (one month of the canonical crimes table).

    ``labels`` and ``areas`` override the per-row label and area (a force extract's rows take
    those of the map point they would snap to); ``snap_distance`` (metres, NaN for no
    location) measures how far they would move; ``runs`` is duplicates.repeat_runs of the
    rows when the caller already has it."""
    from .duplicates import repeat_runs

    month = month or month_of(crimes)
    located = crimes["has_location"].to_numpy(dtype=bool)
    area = areas if areas is not None else area_codes(crimes, area_lookup)
    by_area = pd.Series(area[located]).value_counts(sort=False)
    label = labels if labels is not None else labels_of(crimes)
    used = pd.unique(label[located & (label != "")]) if len(label) else []
    lon = crimes["longitude"].to_numpy(dtype=np.float64)
    lat = crimes["latitude"].to_numpy(dtype=np.float64)
    timed, days, hours = day_hour_counts(crimes, month)
    runs = runs if runs is not None else repeat_runs(crimes)
    rejected: dict[str, int] = {}
    if rejects is not None and len(rejects):
        rejected = {str(k): int(v) for k, v in rejects["reason"].value_counts().items()}
    snapped = snapped_far = None
    if snap_distance is not None:
        dist = np.asarray(snap_distance, dtype=np.float64)
        snapped = int(np.isfinite(dist).sum())
        snapped_far = int((dist > far_metres).sum())
    return MonthProfile(
        month=month,
        rows=len(crimes),
        source_format=source_format(crimes),
        by_category=_counts(crimes["crime_type"]),
        by_area={str(k): int(v) for k, v in by_area.items() if k != NO_AREA},
        by_outcome=_counts(crimes["last_outcome"]),
        no_location=int((~located).sum()),
        labels=sorted(str(v) for v in used),
        cells=[int(v) for v in np.unique(cell_keys(lon[located], lat[located]))],
        timed_rows=timed,
        day_counts=days,
        hour_counts=hours,
        longest_repeat_run=runs.longest,
        repeated_rows=runs.rows_in_batches,
        rejected=rejected,
        snapped=snapped,
        snapped_far=snapped_far,
    )


def history_profiles(
    crimes: pd.DataFrame,
    before: Optional[str] = None,
    months: int = 12,
    area_lookup: Optional[dict[str, str]] = None,
) -> list[MonthProfile]:
    """Profiles of the last ``months`` months of a multi-month crimes table, all before
    ``before`` (YYYY-MM) when given, oldest first."""
    if not len(crimes):
        return []
    month = pd.Series(text_values(crimes["month"]))
    wanted = sorted(m for m in month.unique() if before is None or m < before)[-months:]
    profiles = []
    for m in wanted:
        rows = crimes.loc[(month == m).to_numpy()].reset_index(drop=True)
        profiles.append(build_profile(rows, m, area_lookup=area_lookup))
    return profiles


def month_sources(crimes: pd.DataFrame) -> dict[str, list[str]]:
    """Per month of a crimes table, the files its rows came from (sorted): what a note on a
    history month names, so the analyst can find the file that was given."""
    # grouped on the columns as loaded (categorical: their codes), not a string per row
    pairs = crimes.groupby(["month", "source_file"], observed=True, sort=False).size().index
    sources: dict[str, list[str]] = {}
    for month, name in pairs:
        sources.setdefault(str(month), []).append(str(name))
    return {month: sorted(names) for month, names in sources.items()}


def left_out_notes(
    read: dict[str, list[str]], used: list[str], before: str, keep: int
) -> list[str]:
    """One line per history month read but not in the baseline (``used``), oldest first,
    naming the files it came from and why it was left out.

    Why: a month at or after the release month (a later month's export given by mistake, or
    the month itself) was dropped in silence, so a wrong history file gave no sign; every
    month read is now either used or named here."""
    notes = []
    for month in sorted(set(read) - set(used)):
        if month >= before:
            why = f"not before the release month {before}"
        else:
            why = f"older than the {keep} months before the release month {before}"
        files = list(dict.fromkeys(read[month]))  # (a file given twice is named once)
        # (kept as it is, as the report records it: the panel, Processing and the command
        # line show it on one line, shown_line)
        origin = f" from {', '.join(files)}" if files else ""
        notes.append(f"{month}{origin}: {why}, left out")
    return notes


def profiles_json(profiles: list[MonthProfile]) -> str:
    """Month profiles as a JSON list: a version-1 history file (what history_file.history_json
    writes under "months"; the bundled sample history is in this form)."""
    return json.dumps([p.to_dict() for p in profiles], indent=1, ensure_ascii=False) + "\n"


def read_profiles_json(text: str) -> list[MonthProfile]:
    """The months of a QA history file of either version (history_file.read_history_json
    also says what areas they count)."""
    from .history_file import read_history_json

    return read_history_json(text).profiles
