"""Readers for each kind of extract: police.uk street, outcomes, stop and search, force exports.

A reader takes one scanned file and returns the rows it accepts (already in the canonical
shape) and the rows it rejects (with reason, detail and the row as read). Files are told
apart by their header, never by their name, because analysts rename files.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
import pandas as pd

from ..common import background, geography
from ..common.months import month_span_warnings
from ..common.schema import CRIME_TYPE_DTYPE, EXTRA_PREFIX, OUTCOME_DTYPE
from ..common.vocabulary import (
    STREET_COLUMNS,
    fold_text,
    normalise_category,
    normalise_outcome,
    offence_key,
    sensitive_flag,
)
from .mapping_profile import MappingProfile, date_format_problem, detect_profile
from .row_checks import (
    BEFORE_POLICE_UK,
    CellText,
    Factorized,
    Verdicts,
    after_today,
    check_coordinates,
    committed_after_recorded,
    month_after_today,
    month_before_police_uk,
    per_unique,
    shown_cell,
    strip_text,
    to_float,
    valid_month,
)
from .sources import SourceFile
from .textscan import ScannedCsv

STREET_HEADER = list(STREET_COLUMNS)
OUTCOMES_HEADER = [
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Outcome type",
]
STOP_SEARCH_HEADER = [
    "Type",
    "Date",
    "Part of a policing operation",
    "Policing operation",
    "Latitude",
    "Longitude",
    "Gender",
    "Age range",
    "Self-defined ethnicity",
    "Officer-defined ethnicity",
    "Legislation",
    "Object of search",
    "Outcome",
    "Outcome linked to object of search",
    "Removal of more than just outer clothing",
]

NO_LOCATION_TEXT = {"", "no location"}
# Location text a force writes where a crime has no place (folded: lower case, letters and
# digits, single spaces). Such a row without coordinates is accepted as "no location" and
# published without one, as police.uk publishes it; a warning counts them.
NO_LOCATION_PHRASES = frozenset(
    {
        "no location", "no fixed location", "nfl", "no fixed abode", "nfa", "no fixed address",
        "no address", "location unknown", "unknown location", "unknown", "not known",
        "location not known", "not recorded", "not stated", "not applicable", "n a", "na",
        "none", "nil", "online", "on line", "internet", "cyber", "cyber crime", "telephone",
        "by telephone", "phone", "no scene", "various", "various locations", "in transit",
        "outside force area", "out of force area",
    }
)  # fmt: skip
_FOLD = re.compile(r"[^0-9a-z]+")


def is_no_location_text(text: object) -> bool:
    """Whether a location text says the crime has no place ("NO FIXED LOCATION", "Online",
    "N/A", blank), not where it happened."""
    folded = _FOLD.sub(" ", str(text or "").lower()).strip()
    return folded == "" or folded in NO_LOCATION_PHRASES


@dataclass
class FileRead:
    """What one reader made of one file."""

    kind: str
    accepted: pd.DataFrame
    rejects: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. which profile and CRS were used
    # (delimiter, field index) of the Crime ID cell when the accepted crime_id is not the
    # cell as written (a force's references are stripped): the duplicate check's detail
    # splits it again from the rejected row's line, so it quotes what the file says
    id_cell: Optional[tuple[str, int]] = None


def classify(header: list[str], profile: Optional[MappingProfile]) -> Optional[str]:
    """The kind of file a header belongs to, or None when it is not a crime extract."""
    folded = {fold_text(h) for h in header}
    if {fold_text(h) for h in STREET_HEADER} <= folded:
        return "street"
    if {fold_text(h) for h in OUTCOMES_HEADER} <= folded:
        return "outcomes"
    if {
        fold_text(h) for h in ("Type", "Date", "Latitude", "Longitude", "Object of search")
    } <= folded:
        return "stop_and_search"
    if profile is not None and profile.matches(header):
        return "force"
    if detect_profile(header) is not None:
        return "force"
    return None


def _by_folded(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Rename columns whose folded spelling matches the expected names (case, spacing)."""
    wanted = {fold_text(n): n for n in names}
    return frame.rename(
        columns={c: wanted[fold_text(c)] for c in frame.columns if fold_text(c) in wanted}
    )


def scan_rejects(source: SourceFile, scan: ScannedCsv, kind: str) -> list[dict]:
    """Rows the scanner set aside (wrong field count, undecodable bytes)."""
    return [
        {
            "source_file": source.name,
            "source_line": line,
            "file_kind": kind,
            "reason": reason,
            "detail": detail,
            "raw": raw,
        }
        for line, reason, detail, raw in zip(
            scan.bad_lines, scan.bad_reasons, scan.bad_details, scan.bad_raw
        )
    ]


def row_rejects(source: SourceFile, scan: ScannedCsv, kind: str, verdicts: Verdicts) -> list[dict]:
    """Rows a reader's checks rejected, as read."""
    idx = np.flatnonzero(~verdicts.accepted)
    if idx.size == 0:
        return []
    return [
        {
            "source_file": source.name,
            "source_line": int(scan.lines[i]),
            "file_kind": kind,
            "reason": verdicts.reason[i],
            "detail": verdicts.detail[i] or "",
            "raw": scan.raw_row(int(i)),
        }
        for i in idx
    ]


def cells(scan: ScannedCsv, f: pd.DataFrame, name: str) -> CellText:
    """Row i's cell of `f`'s column `name` as the file writes it (ScannedCsv.cell_text), for
    reject details. `f` is the scan's frame with its columns perhaps renamed (the order
    kept) or one added after them (stop-and-search columns a file lacks: no cell, "")."""
    place = list(f.columns).index(name)
    if place >= scan.frame.shape[1]:
        return lambda i: ""
    return lambda i: scan.cell_text(i, place)


#: A month_mismatch detail's words before the release month ("month '2022-11', the release
#: is 2022-10"): a monthly release names its month, and a file whose name has none (a force
#: extract saved as "extract.csv") would otherwise publish every month it holds.
RELEASE_IS = "the release is"


def _month_checks(
    verdicts: Verdicts,
    month: Factorized,
    raw: CellText,
    source: SourceFile,
    release_month: Optional[str] = None,
) -> None:
    verdicts.reject(
        ~month.map(valid_month, dtype=bool),
        "bad_month",
        lambda idx: [f"month {shown_cell(raw(i))}" for i in idx],
    )
    # (the file name's month, then the release's: as read_stop_search holds its dates)
    for expected, says in ((source.file_month, "file name says"), (release_month, RELEASE_IS)):
        if expected:
            verdicts.reject(
                month.map(_other_than(expected), dtype=bool),
                "month_mismatch",
                _said_of_month(raw, f"{says} {expected}"),
            )
    verdicts.reject(
        month.map(month_after_today, dtype=bool),
        "future_date",
        lambda idx: [f"month {shown_cell(raw(i))} is after this month" for i in idx],
    )
    verdicts.reject(
        month.map(month_before_police_uk, dtype=bool),
        "early_date",
        lambda idx: [f"month {shown_cell(raw(i))} is {BEFORE_POLICE_UK}" for i in idx],
    )


def _claims_location(location: pd.Series, lsoa: pd.Series) -> Callable[[np.ndarray], np.ndarray]:
    """Whether rows (asked only for those without coordinates) name a location or an LSOA."""

    def claims(idx: np.ndarray) -> np.ndarray:
        places = location.to_numpy()[idx]
        areas = lsoa.to_numpy()[idx]
        return np.array(
            [not is_no_location_text(p) or a.strip() != "" for p, a in zip(places, areas)],
            dtype=bool,
        )

    return claims


def _no_location_notes(location: pd.Series, blank: np.ndarray, ok: np.ndarray) -> list[str]:
    """The warning for accepted rows without coordinates whose location text says they have
    no place (NO FIXED LOCATION...): published without a location, not rejected."""
    rows = np.flatnonzero(blank & ok)
    if rows.size == 0:
        return []
    text = location.to_numpy()[rows]
    said = [str(t).strip() for t in text if str(t).strip()]
    if not said:
        return []
    shown = ", ".join(repr(v) for v in sorted(set(said))[:3])
    return [
        f"Warning: {len(said):,} row(s) have no coordinates and location text such as "
        f"{shown}: accepted as no location (published without one, as police.uk does)."
    ]


def _categorical(values, categories=None) -> pd.Categorical:
    return pd.Categorical(values, categories=categories)


def _take(values: np.ndarray, ok: np.ndarray) -> np.ndarray:
    return values if ok.all() else values[ok]


def _constant(value: str, n: int) -> pd.Categorical:
    """A column holding one value, as a categorical (no per-row strings to hash later)."""
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[value])


# The force reader's columns that the loader's canonical types make categoricals with sorted
# categories (an object column's astype("category")): the reader gives them so already.
FORCE_SORTED_CATEGORICALS = (
    "source_file", "source_format", "month", "reported_by", "falls_within", "source_crs",
    "location", "lsoa_code", "lsoa_name", "last_outcome_month",
)  # fmt: skip


def sorted_categorical(codes: np.ndarray, uniques: np.ndarray) -> pd.Categorical:
    """``pd.Categorical(uniques[codes])`` (code -1: missing), built from the codes: the
    categories those some row holds, sorted as ``astype("category")`` sorts an object
    column's. Half a million values are not hashed again (they were when the loader made
    the force reader's object columns categorical)."""
    uniques = np.asarray(uniques, dtype=object)
    codes = np.asarray(codes, dtype=np.int64)
    held = np.bincount(codes[codes >= 0], minlength=uniques.size) if codes.size else None
    used = np.flatnonzero(held) if held is not None else np.zeros(0, dtype=np.int64)
    kept = pd.Categorical(uniques[used])  # sorted; missing values and repeats merged
    lookup = np.full(uniques.size + 1, -1, dtype=np.int64)  # the last slot: code -1
    lookup[used] = kept.codes
    return pd.Categorical.from_codes(lookup[codes], dtype=kept.dtype)


def constant_categorical(value: str, n: int) -> pd.Categorical:
    """``sorted_categorical(np.zeros(n), [value])``: n rows of one text. Built from int8 codes
    at once when there is a row and the value is a str (half a million int64 codes are not
    counted and looked up for each of a force extract's six one-valued columns); else as
    sorted_categorical builds it (no rows: no category)."""
    if n and type(value) is str:
        dtype = pd.CategoricalDtype(pd.Index([value], dtype=object))
        return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), dtype=dtype)
    return sorted_categorical(np.zeros(n, dtype=np.int64), np.array([value], dtype=object))


def _where_given(months: pd.Categorical, given: np.ndarray) -> pd.Categorical:
    """The month where an outcome is given, else missing."""
    codes = np.where(given, months.codes, -1)
    return pd.Categorical.from_codes(codes, categories=months.categories)


def read_street(
    source: SourceFile, scan: ScannedCsv, release_month: Optional[str] = None
) -> FileRead:
    """A police.uk street-level file. `release_month`: the monthly release's month, when the
    file is read for one (a row of another month is month_mismatch)."""
    f = _by_folded(scan.frame, STREET_HEADER)
    v = Verdicts(len(f))
    month = Factorized(f["Month"])
    _month_checks(v, month, cells(scan, f, "Month"), source, release_month)
    crime_type = Factorized(f["Crime type"])
    crime_type_cell = cells(scan, f, "Crime type")
    category = crime_type.map(lambda s: normalise_category(s.strip()))
    v.reject(
        pd.isna(category),
        "unknown_category",
        lambda idx: [f"crime type {shown_cell(crime_type_cell(i))}" for i in idx],
    )
    lon, blank_lon = to_float(f["Longitude"])
    lat, blank_lat = to_float(f["Latitude"])
    blank = blank_lon & blank_lat
    v.reject(
        blank_lon ^ blank_lat,
        "missing_coordinates",
        lambda idx: ["only one of longitude and latitude is given"] * idx.size,
    )
    has_xy = check_coordinates(
        v,
        lon,
        lat,
        lon,
        lat,
        blank,
        _claims_location(f["Location"], f["LSOA code"]),
        geography.WGS84,
        (cells(scan, f, "Longitude"), cells(scan, f, "Latitude")),
    )
    outcome_col = Factorized(f["Last outcome category"])
    outcome_cell = cells(scan, f, "Last outcome category")
    outcome = outcome_col.map(lambda s: normalise_outcome(s.strip()))
    given = outcome_col.map(lambda s: s.strip() != "", dtype=bool)
    v.reject(
        given & pd.isna(outcome),
        "unknown_outcome",
        lambda idx: [f"outcome {shown_cell(outcome_cell(i))}" for i in idx],
    )

    ok = v.accepted
    n_ok = int(ok.sum())
    months = month.categorical(ok, str.strip)
    accepted = pd.DataFrame(
        {
            "source_file": _constant(source.name, n_ok),
            "source_line": _take(scan.lines, ok),
            "source_format": _constant("police.uk", n_ok),
            "crime_id": _take(f["Crime ID"].to_numpy(), ok),
            "month": months,
            "occurred_at": np.full(n_ok, np.datetime64("NaT"), dtype="datetime64[ns]"),
            "reported_by": Factorized(f["Reported by"]).categorical(ok),
            "falls_within": Factorized(f["Falls within"]).categorical(ok),
            "longitude": _take(lon, ok),
            "latitude": _take(lat, ok),
            "source_x": _take(lon, ok),
            "source_y": _take(lat, ok),
            "source_crs": _constant(geography.WGS84, n_ok),
            "has_location": _take(has_xy, ok),
            "location": Factorized(f["Location"]).categorical(ok),
            "lsoa_code": Factorized(f["LSOA code"]).categorical(ok),
            "lsoa_name": Factorized(f["LSOA name"]).categorical(ok),
            "crime_type": pd.Categorical(
                crime_type.categorical(ok, lambda s: normalise_category(s.strip())),
                dtype=CRIME_TYPE_DTYPE,
            ),
            "offence": "",
            "last_outcome": pd.Categorical(
                outcome_col.categorical(ok, lambda s: normalise_outcome(s.strip())),
                dtype=OUTCOME_DTYPE,
            ),
            "last_outcome_month": _where_given(months, _take(given, ok)),
            "context": _take(f["Context"].to_numpy(), ok),
            "sensitive": np.zeros(n_ok, dtype=bool),
        }
    )
    extras = [c for c in f.columns if c not in STREET_HEADER]
    for column in extras:
        accepted[EXTRA_PREFIX + _slug(column)] = _take(f[column].to_numpy(), ok)
    return FileRead("street", accepted, row_rejects(source, scan, "street", v))


def read_outcomes(
    source: SourceFile, scan: ScannedCsv, release_month: Optional[str] = None
) -> FileRead:
    """A police.uk outcomes file: (Crime ID, Month, Outcome type) rows to join onto crimes.
    A row's month is the outcome's (police.uk's file for a month holds that month's
    outcomes), held to the file name's month and to `release_month` as a street row's is:
    an outcome of a later month, loaded into a release, gave its crime an outcome the
    release's month had not yet reached, and was counted as accepted."""
    f = _by_folded(scan.frame, OUTCOMES_HEADER)
    v = Verdicts(len(f))
    ids = f["Crime ID"].str.strip()
    v.reject(
        (ids == "").to_numpy(),
        "missing_crime_id",
        lambda idx: ["outcome rows need a Crime ID"] * idx.size,
    )
    _month_checks(v, Factorized(f["Month"]), cells(scan, f, "Month"), source, release_month)
    outcome = per_unique(f["Outcome type"], lambda s: normalise_outcome(s.strip()))
    outcome_cell = cells(scan, f, "Outcome type")
    v.reject(
        pd.isna(outcome),
        "unknown_outcome",
        lambda idx: [f"outcome {shown_cell(outcome_cell(i))}" for i in idx],
    )
    ok = v.accepted
    accepted = pd.DataFrame(
        {
            "crime_id": ids.to_numpy()[ok],
            "month": f["Month"].str.strip().to_numpy()[ok],
            "outcome": outcome[ok],
            "source_line": scan.lines[ok],
        }
    )
    return FileRead("outcomes", accepted, row_rejects(source, scan, "outcomes", v))


def read_stop_search(
    source: SourceFile, scan: ScannedCsv, release_month: Optional[str] = None
) -> FileRead:
    """A police.uk stop-and-search file (Latitude comes before Longitude in these). Its
    dates are held to the months a crime's are (future_date, month_mismatch, early_date):
    a search dated 2099 or 1999 was accepted and counted, under a month police.uk has not
    got. `release_month`: as read_street's."""
    f = _by_folded(scan.frame, STOP_SEARCH_HEADER)
    for column in STOP_SEARCH_HEADER:
        if column not in f.columns:
            f[column] = ""
    v = Verdicts(len(f))
    when = pd.to_datetime(f["Date"].str.strip(), errors="coerce", utc=True)
    date_cell = cells(scan, f, "Date")
    v.reject(
        when.isna().to_numpy(),
        "bad_date",
        lambda idx: [f"date {shown_cell(date_cell(i))}" for i in idx],
    )
    v.reject(
        after_today(when),
        "future_date",
        lambda idx: [f"date {shown_cell(date_cell(i))} is after today" for i in idx],
    )
    # police.uk files months by local (UK) time although the timestamps are written in UTC
    month = when.dt.tz_convert("Europe/London").dt.strftime("%Y-%m").fillna("")
    for expected, says in ((source.file_month, "file name says"), (release_month, RELEASE_IS)):
        if expected:
            v.reject(
                (month != expected).to_numpy(),
                "month_mismatch",
                _said_of_date(date_cell, f"{says} {expected}"),
            )
    v.reject(
        per_unique(month, month_before_police_uk, dtype=bool),
        "early_date",
        lambda idx: [f"date {shown_cell(date_cell(i))} is {BEFORE_POLICE_UK}" for i in idx],
    )
    lon, blank_lon = to_float(f["Longitude"])
    lat, blank_lat = to_float(f["Latitude"])
    v.reject(
        blank_lon ^ blank_lat,
        "missing_coordinates",
        lambda idx: ["only one of longitude and latitude is given"] * idx.size,
    )
    blank = blank_lon & blank_lat
    no_place_named = lambda idx: np.zeros(idx.size, dtype=bool)  # noqa: E731 (no place column)
    has_xy = check_coordinates(
        v,
        lon,
        lat,
        lon,
        lat,
        blank,
        no_place_named,
        geography.WGS84,
        (cells(scan, f, "Longitude"), cells(scan, f, "Latitude")),
    )
    ok = v.accepted
    accepted = pd.DataFrame(
        {
            "source_file": source.name,
            "source_line": scan.lines[ok],
            "search_type": f["Type"].to_numpy()[ok],
            "occurred_at": when.dt.tz_localize(None).to_numpy()[ok],
            "month": month.to_numpy()[ok],
            "part_of_operation": f["Part of a policing operation"].to_numpy()[ok],
            "operation": f["Policing operation"].to_numpy()[ok],
            "longitude": lon[ok],
            "latitude": lat[ok],
            "has_location": has_xy[ok],
            "gender": f["Gender"].to_numpy()[ok],
            "age_range": f["Age range"].to_numpy()[ok],
            "self_defined_ethnicity": f["Self-defined ethnicity"].to_numpy()[ok],
            "officer_defined_ethnicity": f["Officer-defined ethnicity"].to_numpy()[ok],
            "legislation": f["Legislation"].to_numpy()[ok],
            "object_of_search": f["Object of search"].to_numpy()[ok],
            "outcome": f["Outcome"].to_numpy()[ok],
            "outcome_linked": f["Outcome linked to object of search"].to_numpy()[ok],
            "outer_clothing_removed": f["Removal of more than just outer clothing"].to_numpy()[ok],
        }
    )
    return FileRead("stop_and_search", accepted, row_rejects(source, scan, "stop_and_search", v))


# The time of day in a date format: from its first time directive (and the space or "T"
# before it) to its end ("%d/%m/%Y %H:%M" -> "%d/%m/%Y").
_FORMAT_TIME = re.compile(r"[\sT,]*%[HIMSpfzZ].*$", re.DOTALL)


def _parse_recorded(recorded: pd.Series, fmt: str) -> pd.Series:
    """The recorded dates, read as the committed dates are (the profile's date_format, else
    ISO or day-first UK dates), or, where the format holds a time of day and a cell gives
    the day alone ("21/10/2022" under "%d/%m/%Y %H:%M": a records system writes the
    recorded date without the offence's time), by the format's date part."""
    parsed = _parse_dates(recorded, None, fmt)
    day_only = _FORMAT_TIME.sub("", fmt or "")
    if fmt in ("", "auto") or day_only == fmt or date_format_problem(day_only):
        return parsed
    missing = parsed.isna().to_numpy()
    if missing.any():
        retry = _parse_dates(recorded[missing], None, day_only)
        parsed = parsed.copy()
        parsed[missing] = retry.to_numpy()
    return parsed


def _other_than(expected: str) -> Callable[[str], bool]:
    """Whether a Month cell (trimmed) is another month than ``expected``."""
    return lambda m: m.strip() != expected


def _said_of_month(raw: CellText, said: str) -> Callable[[np.ndarray], list[str]]:
    """A street row's month_mismatch detail: the Month cell, then what it is held to."""
    return lambda idx: [f"month {shown_cell(raw(i))}, {said}" for i in idx]


def _said_of_date(date_cell: CellText, said: str) -> Callable[[np.ndarray], list[str]]:
    """A stop-and-search reject's detail: the date cell, then what it is held to."""
    return lambda idx: [f"date {shown_cell(date_cell(i))}, {said}" for i in idx]


def _slug(name: str) -> str:
    return fold_text(name).replace(" ", "_") or "column"


def _parse_dates(date: pd.Series, time: Optional[pd.Series], fmt: str) -> pd.Series:
    """Exact date-times: the profile's format, else ISO or day-first UK dates (not US).

    A month's extract holds a few thousand distinct date-and-time texts among half a million
    rows, so each distinct (date, time) pair is joined, stripped and parsed once and the
    result is given back to every row holding it. The distinct texts are parsed in order of
    first appearance, so pandas' array-wide choices (the format it infers from the first
    value, the time zones it meets) see what they would see in the whole column.
    """
    dates = Factorized(date)
    times = Factorized(time) if time is not None else None
    texts = times is not None and _all_text(dates) and _all_text(times)
    if texts and times is not None:  # (no distinct pairs needed if dates and times parse apart)
        apart = _parse_apart(dates, times, fmt)
        if apart is not None:
            return pd.Series(apart, index=date.index)
    key = dates.codes.astype(np.int64)  # -1 (missing) never collides below
    if times is not None:
        key = key * (times.uniques.size + 1) + times.codes
    row_key, first_rows = _first_appearance(key)
    if texts and times is not None:
        text = _date_times(dates, times, first_rows)
        return _parse_date_texts(text, fmt).take(row_key).set_axis(date.index)
    text = date.iloc[first_rows].str.strip()
    if time is not None:
        # a row without a date has no date-time, whatever its time says: dateutil would
        # read "00:18" alone as today at 00:18, and the crime would be filed under the month
        # the file happened to be loaded in
        dated = (text != "").to_numpy()
        text = (text + " " + time.iloc[first_rows].str.strip()).str.strip().where(dated, "")
    parsed = _parse_date_texts(text.reset_index(drop=True), fmt)
    return parsed.take(row_key).set_axis(date.index)


# A date format of day, month and year (in either order, year last: never ISO, which pandas
# parses its own way) and a time format of hours and minutes (and seconds), joined by a space;
# and the texts they may be given apart: ASCII digits and separators only, no space.
_APART_FORMAT = re.compile(r"((?:%d[/.-]%m|%m[/.-]%d)[/.-]%Y) (%H:%M(?::%S)?)")
_APART_DATE = re.compile(r"[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{4}")
_APART_TIME = re.compile(r"[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?")
# dates well inside pandas' nanosecond range, so a date plus a time of day never overflows
_APART_FIRST = np.datetime64("1678-01-02", "ns")
_APART_LAST = np.datetime64("2262-04-10", "ns")


def _parse_apart(dates: Factorized, times: Factorized, fmt: str) -> Optional[np.ndarray]:
    """Each row's ``to_datetime(date + " " + time, format=fmt)`` as its date's day plus its
    time's time of day, each distinct date and time parsed once (31 dates and 1,440 times for
    a month, where the distinct pairs are 45,000), or None unless that is sure to be the same:
    the format is `_APART_FORMAT`'s, every stripped date and time is plain digits that parses
    on its own, and every date is far from pandas' limits. With no space in either text the
    joined text splits only at its one space, and day, month, year, hour, minute and second
    are each read from their own part, so the pair parses exactly when both parts do."""
    whole = _APART_FORMAT.fullmatch(fmt or "")
    if whole is None:
        return None
    date_text = [u.strip() for u in dates.uniques]
    time_text = [u.strip() for u in times.uniques]
    if not date_text or not time_text:
        return None
    if not all(_APART_DATE.fullmatch(d) for d in date_text) or not all(
        _APART_TIME.fullmatch(t) for t in time_text
    ):
        return None
    days = _parse_with_format(pd.Series(date_text, dtype=object), whole.group(1))
    clock = _parse_with_format(pd.Series(time_text, dtype=object), whole.group(2))
    if days.isna().any() or clock.isna().any():
        return None
    day_values = days.to_numpy(dtype="datetime64[ns]")
    if day_values.min() < _APART_FIRST or day_values.max() > _APART_LAST:
        return None
    offsets = clock.to_numpy(dtype="datetime64[ns]") - np.datetime64("1900-01-01", "ns")
    return day_values[dates.codes] + offsets[times.codes]


#: A time of day in a cell: hours and minutes (and seconds), not within a longer number, and
#: the 12-hour clock's AM or PM after it ("4:00 PM", "4:00pm", "4:00 p.m."), if any.
_CLOCK = re.compile(
    r"(?<![0-9])([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?(?![0-9])"
    r"(?:\s*([AaPp])\.?\s?[Mm]\.?(?![A-Za-z]))?"
)
#: Why a row whose date cell and time column give two times is refused (:func:`two_times`).
TWO_TIMES = (
    "the date holds a time of day and the time column another; which one the crime happened "
    "at cannot be told (a date's time is taken only at midnight, 00:00, or when the two agree)"
)


def _seconds(text: object, blank: int) -> int:
    """The first time of day in ``text`` in seconds since midnight; ``blank`` for a blank
    cell (or none at all), -1 for a text holding no hh:mm time (or a 12-hour time whose
    hour is not 1 to 12, "16:00 PM"). Why the 12-hour clock: a time column's "4:00 PM"
    beside a date cell's "16:00" is one time written two ways, and was refused as two."""
    if not isinstance(text, str) or not text.strip():
        return blank
    found = _CLOCK.search(text)
    if found is None:
        return -1
    hours, minutes, seconds = (int(part or 0) for part in found.groups()[:3])
    half = found.group(4)
    if half is not None:
        if not 1 <= hours <= 12:
            return -1
        hours = hours % 12 + (12 if half in "Pp" else 0)
    return hours * 3600 + minutes * 60 + seconds


def two_times(date: pd.Series, time: pd.Series) -> np.ndarray:
    """Rows whose date cell holds a time of day other than midnight ("21/10/2022 16:00")
    while the time column gives a time that is not the same ("17:00", or one unread; "4:00
    PM" is the same as "16:00", each cell read on the 24-hour or the 12-hour clock).
    Why: the two were joined and read as one text, and the later time was taken without a
    word, so a crime recorded at 16:00 was kept at 17:00. A date's own time at midnight is
    a date column exported with its (empty) time, and the time column is the crime's; the
    same time given twice is one time. Each distinct cell is read once."""
    dates, times = Factorized(date), Factorized(time)
    at = dates.map(lambda text: _seconds(text, blank=0), dtype=np.int64)  # 0: no time
    given = times.map(lambda text: _seconds(text, blank=-2), dtype=np.int64)  # -2: blank
    return (at > 0) & (given != -2) & (given != at)


def _all_text(column: Factorized) -> bool:
    """Whether the values of a factorized column are all text (none missing)."""
    return bool((column.codes >= 0).all()) and all(isinstance(u, str) for u in column.uniques)


def _date_times(dates: Factorized, times: Factorized, rows: np.ndarray) -> pd.Series:
    """The date and time of each of `rows` joined as `_parse_dates` joins them (each
    stripped, joined by a space, stripped again; blank without a date), from the distinct
    dates and times stripped once each: the pandas string methods over every distinct pair
    took 0.4 s at national scale."""
    date_text = np.array([u.strip() for u in dates.uniques], dtype=object)[dates.codes[rows]]
    time_text = np.array([u.strip() for u in times.uniques], dtype=object)[times.codes[rows]]
    # (d + " " + t).strip() of a stripped date d and time t is d + " " + t, or d alone when
    # t is blank: d starts and t ends with no space, so there is nothing else to strip
    joined = np.where(time_text == "", date_text, date_text + " " + time_text)
    return pd.Series(np.where(date_text == "", "", joined), dtype=object)


def _months(when: pd.Series) -> pd.Series:
    """``when.dt.strftime("%Y-%m").fillna("")``, formatted once per distinct month (the text
    depends on the year and month alone, so one row of each month is formatted)."""
    if len(when) == 0:
        return when.dt.strftime("%Y-%m").fillna("")
    row_key, distinct = _month_codes(when)
    return distinct.take(row_key).set_axis(when.index)


def _month_codes(when: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """(each row's number among the distinct months, the distinct months' texts as
    `_months` gives them) of a non-empty column."""
    if when.dtype == np.dtype("datetime64[ns]"):
        months = when.to_numpy().astype("datetime64[M]").view(np.int64)  # NaT: a key apart
        row_key, first_rows = _first_appearance(months)
    else:  # time-zone aware (or not dates at all: .dt below raises, as it always did)
        row_key, first_rows = _first_appearance(pd.factorize(when)[0].astype(np.int64))
    return row_key, when.iloc[first_rows].dt.strftime("%Y-%m").fillna("")


def _first_appearance(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(each row's index among the distinct keys, the first row holding each key), the
    distinct keys numbered in order of first appearance. (factorize numbers them so by
    hashing, without np.unique's sort; each key's first row is where its number is new.)"""
    row_key = pd.factorize(np.asarray(keys, dtype=np.int64))[0].astype(np.int64)
    first_rows = np.flatnonzero(~pd.Series(row_key).duplicated().to_numpy())
    return row_key, first_rows


def _parse_date_texts(text: pd.Series, fmt: str) -> pd.Series:
    if fmt and fmt != "auto":
        return _parse_with_format(text, fmt)
    iso = pd.to_datetime(text, errors="coerce", format="ISO8601") if _has_iso8601() else None
    if iso is None:
        iso = pd.to_datetime(text.where(text.str.match(r"\d{4}-\d{2}-\d{2}")), errors="coerce")
    missing = iso.isna()
    if missing.any():
        rest = text[missing]
        with warnings.catch_warnings():  # (the dates it warns of are refused just below)
            warnings.filterwarnings("ignore", message=_DAYFIRST_WARNING, category=UserWarning)
            uk = pd.to_datetime(
                rest.where(_names_a_whole_day(rest)), errors="coerce", dayfirst=True
            )
        uk = uk.where(_read_in_written_order(rest, uk))
        iso = iso.copy()
        iso[missing] = uk
    return iso


# dateutil fills whatever a text leaves out from today: "00:18" became today at 00:18 and
# "5 Oct" the 5th of October this year, so a crime could be accepted under a month nobody
# recorded. The lenient reading is only given texts that name a day, a month and a year, or a
# month and a year ("Oct 2022", "10/2022": the month a release is made of, as before).
_WHOLE_DAY = re.compile(
    r"\s*(?:\d{1,2}:\d{2}(?::\d{2})?\s+)?(?:[A-Za-z]{3,9}\.?,?\s+)?(?:"
    r"\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})(?!\d)"  # 05/10/2022, 5.10.22
    r"|\d{4}[/.\-]\d{1,2}[/.\-]\d{1,2}(?!\d)"  # 2022/10/05
    r"|\d{1,2}(?:st|nd|rd|th)?[\s\-/.,]*[A-Za-z]{3,9}\.?[\s\-/.,]*\d{4}(?!\d)"  # 5 Oct 2022
    r"|[A-Za-z]{3,9}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}(?!\d)"  # October 5, 2022
    r"|\d{1,2}[\s\-][A-Za-z]{3,9}[\s\-]\d{2}(?!\d)"  # 05-Oct-22
    r"|(?:19|20)\d{6}(?!\d)"  # 20221005
    r"|[A-Za-z]{3,9}\.?,?\s+\d{4}(?!\d)"  # Oct 2022
    r"|\d{1,2}[/.\-]\d{4}(?!\d)"  # 10/2022
    r")"
)


def _names_a_whole_day(text: pd.Series) -> pd.Series:
    return text.str.match(_WHOLE_DAY).fillna(False).astype(bool)


# A date written in numbers, day first (05/10/2022, 5.10.22) or year first (2022/10/05):
# the day and month each stands for, by its place.
_DAY_FIRST_NUMBERS = re.compile(
    r"(?<![0-9])([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-](?:[0-9]{4}|[0-9]{2})(?![0-9])"
)
_YEAR_FIRST_NUMBERS = re.compile(r"(?<![0-9])[0-9]{4}[/.\-]([0-9]{1,2})[/.\-]([0-9]{1,2})(?![0-9])")


def _read_in_written_order(text: pd.Series, parsed: pd.Series) -> pd.Series:
    """False where a date written in numbers was read with its day and month swapped.

    Why: dateutil, asked for day-first dates, reads one whose day-first reading is no date
    month first instead ("10/21/2022" as 21 October, "2022-13-05" as 13 May). In a file
    written month first (a US-set spreadsheet) those rows were accepted while each
    ambiguous one ("10/03/2022", the 3rd of October) was read day first, as 10 March, and
    published under the wrong month, with nothing to tell the analyst the file was month
    first. Such a date is now unread (a bad_date row, its text shown), so the file's
    rejects say so; a profile's date_format reads a month-first file."""
    day_first = text.str.extract(_DAY_FIRST_NUMBERS).astype(float)
    year_first = text.str.extract(_YEAR_FIRST_NUMBERS).astype(float)
    day = day_first[0].where(day_first[0].notna(), year_first[1])
    month = day_first[1].where(day_first[1].notna(), year_first[0])
    swapped = day.notna() & parsed.notna() & ((parsed.dt.day != day) | (parsed.dt.month != month))
    return ~swapped


# pandas < 2 reads an ISO-like format ("%Y-%m-%d") as "any ISO 8601", and when a value in the
# column carries a UTC offset it gives up on the whole column and parses every value with
# dateutil, month first, warning for each day-first value it meets. That column comes back
# object-typed, which the reader cannot use (the file is reported, nothing is accepted), so the
# warning tells the analyst nothing the file's report does not; pandas 2 parses the format
# exactly and never takes this path. Only this one message is silenced, and only here.
_DAYFIRST_WARNING = r"Parsing dates in (DD/MM|MM/DD)/YYYY format when dayfirst="


def _parse_with_format(text: pd.Series, fmt: str) -> pd.Series:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_DAYFIRST_WARNING, category=UserWarning)
        return pd.to_datetime(text, format=fmt, errors="coerce")


def _has_iso8601() -> bool:
    return int(pd.__version__.split(".")[0]) >= 2


def _outcome_name(value: str) -> Optional[str]:
    return normalise_outcome(value.strip())


def _to_wgs84_beside(x: np.ndarray, y: np.ndarray, crs: str) -> Callable[[], tuple]:
    """``geography.to_wgs84(x, y, crs)`` started in a thread when pyproj does it (its
    transformers are per thread, and PROJ works without Python's lock), else done now (a
    QGIS fallback transform stays on the calling thread). Call the result for (lon, lat), or
    the transform's error."""
    try:
        geography.pyproj_module()
    except ImportError:
        now = geography.to_wgs84(x, y, crs)
        return lambda: now
    return background.beside(lambda: geography.to_wgs84(x, y, crs), "to-wgs84")


class EarlyTransform:
    """A force extract's WGS84 transform started on the scan's provisional coordinates
    (textscan.scan_body's ``on_numbers``): on a thread while the scan waits for its rows'
    checks, where it would otherwise start only once read_force has the coordinates.
    read_force takes it only when its own coordinates are bit for bit the ones it started
    from and its CRS the same, so the result is the one its own transform would give."""

    def __init__(self, x_column: str, y_column: str, crs: str) -> None:
        self.x_column, self.y_column, self.crs = x_column, y_column, crs
        self._started: Optional[tuple[np.ndarray, np.ndarray, str, Callable[[], tuple]]] = None

    def start(self, numbers: dict[str, np.ndarray]) -> None:
        """Start the transform (the scan's callback); nothing when pyproj is missing (the
        QGIS fallback stays on read_force's thread) or a column is not among `numbers`."""
        x, y = numbers.get(self.x_column), numbers.get(self.y_column)
        if x is None or y is None or self.x_column == self.y_column:
            return
        try:
            geography.pyproj_module()
        except ImportError:
            return
        crs = self.crs if self.crs and self.crs != "auto" else geography.guess_crs(x, y)
        self._started = (x, y, crs, _to_wgs84_beside(x, y, crs))

    def take(self, x: np.ndarray, y: np.ndarray, crs: str) -> Optional[Callable[[], tuple]]:
        """The started transform's result (a call gives (lon, lat) or raises its error),
        when it was started from exactly `x`, `y` and `crs`; else None."""
        if self._started is None:
            return None
        early_x, early_y, early_crs, result = self._started
        if early_crs != crs or not (_same_bits(x, early_x) and _same_bits(y, early_y)):
            # let it finish first, so that two transforms never run at once (a pyproj
            # before 3.1 shares one PROJ context per transformer between threads); its
            # value or error is not wanted
            try:
                result()
            except Exception:  # noqa: BLE001 - the caller's own transform reports its error
                pass
            return None
        return result


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two arrays hold the same values bit for bit (a NaN's payload and a zero's sign
    included: what a transform is given, not what compares equal)."""
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def read_force(
    source: SourceFile,
    scan: ScannedCsv,
    profile: MappingProfile,
    early: Optional[EarlyTransform] = None,
    release_month: Optional[str] = None,
) -> FileRead:
    """A force records-system extract, read through a column-mapping profile. `early`: its
    WGS84 transform, when the scan started it (taken only on the very same inputs).
    `release_month`: as read_street's.

    Where the profile maps a ``recorded`` date, the month a crime is published under is
    that date's, as police.uk places a crime in the month it was recorded: an offence of
    2005 reported this month is this month's crime, not an early_date row. The recorded
    date is then the one held to the months (future_date, month_mismatch, early_date); the
    committed date (and time) must still read as a date, not lie in the future and not lie
    after the recorded date (committed_after_recorded), and is kept, internal only, as
    ``occurred_at``, which the leak gate looks for in every public output."""
    f = scan.frame
    profile = profile.resolved_for(list(f.columns), f.head(500))
    cols = profile.columns
    missing = [r for r in ("crime_ref", "date", "x", "y") if r not in cols]
    if missing or not ({"offence", "category"} & set(cols)):
        raise ValueError(
            f"the mapping profile does not say which columns hold: "
            f"{', '.join(missing or ['offence or category'])}"
        )
    n = len(f)
    v = Verdicts(n)

    def col(role: str) -> Optional[pd.Series]:
        return f[cols[role]] if role in cols else None

    def shown(role: str) -> Callable[[int], str]:
        """Row i's cell of the role's column as a detail quotes it (as the file writes it)."""
        cell = cells(scan, f, cols[role])
        return lambda i: shown_cell(cell(i))

    shown_date = shown("date")
    if "time" in cols:  # the date-time is the two cells': a bad time makes a bad date
        shown_time = shown("time")
        shown_when: Callable[[int], str] = lambda i: f"date {shown_date(i)}, time {shown_time(i)}"  # noqa: E731
    else:
        shown_when = lambda i: f"date {shown_date(i)}"  # noqa: E731

    # The coordinates' transform to WGS84 (PROJ, without Python's lock) runs on a second
    # core while the dates, categories and references are checked; the rows' verdicts are
    # given in the same order as ever, the transform's result (or error) taken where it was
    # computed before.
    x, blank_x = to_float(col("x"))
    y, blank_y = to_float(col("y"))
    crs = profile.crs if profile.crs and profile.crs != "auto" else geography.guess_crs(x, y)
    wgs84 = (early.take(x, y, crs) if early is not None else None) or _to_wgs84_beside(x, y, crs)

    if "time" in cols:
        v.reject(
            two_times(f[cols["date"]], f[cols["time"]]),
            "bad_date",
            lambda idx: [f"{shown_when(i)}: {TWO_TIMES}" for i in idx],
        )
    when = _parse_dates(col("date"), col("time"), profile.date_format)
    v.reject(
        when.isna().to_numpy(),
        "bad_date",
        lambda idx: [shown_when(i) for i in idx],
    )
    v.reject(
        after_today(when),
        "future_date",
        lambda idx: [f"{shown_when(i)} is after today" for i in idx],
    )
    dated, shown_dated = when, shown_when  # the date the published month is taken from
    if "recorded" in cols:
        shown_recorded = shown("recorded")
        shown_dated = lambda i: f"recorded date {shown_recorded(i)}"  # noqa: E731
        dated = _parse_recorded(col("recorded"), profile.date_format)
        v.reject(dated.isna().to_numpy(), "bad_date", lambda idx: [shown_dated(i) for i in idx])
        v.reject(
            after_today(dated),
            "future_date",
            lambda idx: [f"{shown_dated(i)} is after today" for i in idx],
        )
    if len(dated):
        month_key, month_texts = _month_codes(dated)
    else:
        month_key, month_texts = np.zeros(0, dtype=np.int64), pd.Series([], dtype=object)
    if source.file_month:
        # each distinct month compared once: row i's month is month_texts[month_key[i]]
        v.reject(
            (month_texts != source.file_month).to_numpy()[month_key],
            "month_mismatch",
            lambda idx: [f"{shown_dated(i)}, file name says {source.file_month}" for i in idx],
        )
    if release_month:
        v.reject(
            (month_texts != release_month).to_numpy()[month_key],
            "month_mismatch",
            lambda idx: [
                f"{shown_dated(i)}: month {month_texts.iloc[month_key[i]]}, "
                f"{RELEASE_IS} {release_month}"
                for i in idx
            ],
        )
    # each distinct month once, as above (a missing date's "" is no month: bad_date already)
    v.reject(
        month_texts.map(month_before_police_uk).to_numpy(dtype=bool)[month_key],
        "early_date",
        lambda idx: [f"{shown_dated(i)} is {BEFORE_POLICE_UK}" for i in idx],
    )
    if "recorded" in cols:  # (after the month checks: their reasons stand where both apply)
        v.reject(
            committed_after_recorded(when, dated),
            "committed_after_recorded",
            lambda idx: [f"{shown_when(i)} is after the {shown_dated(i)}" for i in idx],
        )

    if "category" in cols:
        offences = Factorized(col("category"))
        to_category: Callable[[str], object] = lambda v: normalise_category(v.strip())  # noqa: E731
        label = "category"
    else:
        lookup = profile.offence_lookup()
        offences = Factorized(col("offence"))
        to_category = lambda v: lookup.get(offence_key(v))  # noqa: E731
        label = "offence"
    shown_label = shown(label)
    known = offences.map(lambda v: to_category(v) is not None, dtype=bool)
    v.reject(
        ~known,
        "unknown_category",
        lambda idx: [f"{label} {shown_label(i)} is not in the mapping table" for i in idx],
    )

    if cols["crime_ref"] in scan.trimmed:  # every reference non-empty and unpadded (the scan)
        refs = f[cols["crime_ref"]]
        no_ref = np.zeros(n, dtype=bool)
    else:
        refs = strip_text(f[cols["crime_ref"]])
        no_ref = (refs == "").to_numpy()
    v.reject(
        blank_x ^ blank_y,
        "missing_coordinates",
        lambda idx: ["only one of x and y is given"] * idx.size,
    )
    blank = blank_x & blank_y
    lon, lat = wgs84()
    no_text = None  # one column of "" for the place columns the profile does not map
    if "location" not in cols or "lsoa_code" not in cols:
        no_text = pd.Series(np.full(n, "", dtype=object), index=f.index)
    location = col("location") if "location" in cols else no_text
    lsoa = col("lsoa_code") if "lsoa_code" in cols else no_text
    has_xy = check_coordinates(
        v,
        lon,
        lat,
        x,
        y,
        blank,
        _claims_location(location, lsoa),
        crs,
        (cells(scan, f, cols["x"]), cells(scan, f, cols["y"])),
    )
    v.reject(
        no_ref,
        "missing_crime_id",
        lambda idx: ["a force extract row needs a crime reference"] * idx.size,
    )
    outcomes: Optional[Factorized] = None
    if "outcome" in cols:
        outcomes = found = Factorized(f[cols["outcome"]])
        shown_outcome = shown("outcome")
        unknown = found.map(lambda s: pd.isna(_outcome_name(s)), dtype=bool)  # once a value
        given = found.map(lambda s: s.strip() != "", dtype=bool)
        v.reject(
            given & unknown,
            "unknown_outcome",
            lambda idx: [f"outcome {shown_outcome(i)}" for i in idx],
        )
    else:
        given = np.zeros(n, dtype=bool)
    flags = (
        per_unique(col("sensitive"), sensitive_flag, dtype=np.int8) if "sensitive" in cols else None
    )
    if flags is not None:
        shown_sensitive = shown("sensitive")
        v.reject(
            flags < 0,
            "bad_sensitive_flag",
            lambda idx: [f"sensitive flag {shown_sensitive(i)}" for i in idx],
        )

    ok = v.accepted
    n_ok = int(ok.sum())

    def text(role: str, default: str = "") -> np.ndarray:
        series = col(role)
        return (
            series.to_numpy()[ok]
            if series is not None
            else np.full(ok.sum(), default, dtype=object)
        )

    factorized: dict[str, Factorized] = {}  # by column: reported_by and falls_within share

    def categorical(role: str, default: str = "") -> pd.Categorical:
        """text(role, default) as the loader's canonical types make it (FORCE_SORTED_...)."""
        if role not in cols:
            return constant(default)
        name = cols[role]
        if name not in factorized:
            factorized[name] = Factorized(f[name])
        return sorted_categorical(_take(factorized[name].codes, ok), factorized[name].uniques)

    def constant(value: str) -> pd.Categorical:
        return constant_categorical(value, n_ok)

    ok_month = _take(month_key, ok)

    sensitive = flags[ok] > 0 if flags is not None else False
    accepted = pd.DataFrame(
        {
            "source_file": constant(source.name),
            "source_line": scan.lines[ok],
            "source_format": constant("force"),
            "crime_id": refs.to_numpy()[ok],
            "month": sorted_categorical(ok_month, month_texts.to_numpy()),
            "occurred_at": when.to_numpy()[ok],
            "reported_by": categorical("reported_by", profile.reported_by),
            "falls_within": categorical(
                "falls_within", profile.falls_within or profile.reported_by
            ),
            "longitude": np.where(has_xy, lon, np.nan)[ok],
            "latitude": np.where(has_xy, lat, np.nan)[ok],
            "source_x": x[ok],
            "source_y": y[ok],
            "source_crs": constant(crs),
            "has_location": has_xy[ok],
            "location": categorical("location"),
            "lsoa_code": categorical("lsoa_code"),
            "lsoa_name": categorical("lsoa_name"),
            "crime_type": offences.fixed_categorical(to_category, CRIME_TYPE_DTYPE, ok),
            "offence": text("offence") if "offence" in cols else text("category"),
            "last_outcome": (
                outcomes.fixed_categorical(_outcome_name, OUTCOME_DTYPE, ok)
                if outcomes is not None
                else np.full(n_ok, None, dtype=object)
            ),
            "last_outcome_month": sorted_categorical(
                np.where(given[ok], ok_month, -1), month_texts.to_numpy()
            ),
            "context": "",
            "sensitive": sensitive,
        }
    )
    mapped = set(cols.values())
    for column in f.columns:
        if column not in mapped:
            accepted[EXTRA_PREFIX + _slug(column)] = f[column].to_numpy()[ok]
    guessed = " (guessed from the values)" if profile.crs in ("", "auto") else ""
    notes = [f"read with mapping profile {profile.name!r}", f"coordinates read as {crs}{guessed}"]
    notes.extend(_no_location_notes(location, blank, ok))
    notes.extend(f"Warning: {w}" for w in month_span_warnings(accepted["month"].tolist()))
    id_cell = (scan.delimiter, list(f.columns).index(cols["crime_ref"]))
    return FileRead("force", accepted, row_rejects(source, scan, "force", v), notes, id_cell)
