"""Vectorised row checks shared by every reader.

Each reader collects, per row, the first reason it fails (or none). Checks run over whole
columns with numpy, and string checks run once per distinct value (a month file has a
handful of distinct months and categories), which is what keeps validation close to the
cost of parsing.
"""

from __future__ import annotations

import re
from typing import Callable, Optional

import numpy as np
import pandas as pd

from ..common.geography import (
    crs_bounds,
    in_crs_bounds,
    inside_uk,
    is_wgs84,
    near_uk_in_crs,
    to_wgs84,
)
from ..common.months import POLICE_UK_FIRST_MONTH
from ..common.vocabulary import MONTH_RE


class Verdicts:
    """The first rejection reason (and a detail) per row; rows with no reason are accepted."""

    def __init__(self, n: int) -> None:
        self.reason = np.full(n, None, dtype=object)
        self.detail = np.full(n, None, dtype=object)
        self.open = np.ones(n, dtype=bool)  # no reason yet (cheaper than comparing objects)

    def reject(
        self,
        mask: np.ndarray,
        reason: str,
        detail: Optional[Callable[[np.ndarray], list[str]]] = None,
    ) -> None:
        """Give `reason` to rows in `mask` that have no reason yet; detail(idx) explains each."""
        idx = np.flatnonzero(np.asarray(mask, dtype=bool) & self.open)
        if idx.size == 0:
            return
        self.open[idx] = False
        self.reason[idx] = reason
        if detail is not None:
            self.detail[idx] = detail(idx)

    @property
    def accepted(self) -> np.ndarray:
        return self.open.copy()


class Factorized:
    """A column as integer codes over its distinct values, computed once and reused for
    checks (one call per distinct value) and for building the categorical output."""

    def __init__(self, values: pd.Series) -> None:
        codes, uniques = pd.factorize(values, sort=False)
        self.codes = codes
        self.uniques = np.asarray(uniques, dtype=object)

    def map(self, func: Callable[[str], object], dtype=object) -> np.ndarray:
        """func applied once per distinct value, broadcast to every row."""
        mapped = np.array([func(u) for u in self.uniques] + [func("")], dtype=dtype)
        return mapped[self.codes]  # code -1 (missing) takes the func("") slot

    def fixed_categorical(
        self, func: Callable[[str], object], dtype: pd.CategoricalDtype, keep: np.ndarray
    ) -> pd.Categorical:
        """``pd.Categorical(self.map(func)[keep], dtype=dtype)``, each distinct value looked
        up among the categories once instead of every row's (a value that is no category,
        None included, is missing)."""
        mapped = pd.Index([func(u) for u in self.uniques] + [func("")], dtype=object)
        codes = dtype.categories.get_indexer(mapped)[self.codes]  # code -1: the func("") slot
        return pd.Categorical.from_codes(codes if keep.all() else codes[keep], dtype=dtype)

    def categorical(
        self, keep: np.ndarray, transform: Optional[Callable[[str], object]] = None
    ) -> pd.Categorical:
        """The kept rows as a Categorical, optionally with each distinct value transformed."""
        codes = self.codes if keep.all() else self.codes[keep]
        if transform is None:
            return pd.Categorical.from_codes(codes, categories=pd.Index(self.uniques))
        values = [transform(u) for u in self.uniques]
        new_codes, categories = pd.factorize(pd.Series(values, dtype=object), sort=False)
        lookup = np.append(new_codes, -1)
        return pd.Categorical.from_codes(lookup[codes], categories=pd.Index(categories))


def per_unique(values: pd.Series, func: Callable[[str], object], dtype=object) -> np.ndarray:
    """Apply func once per distinct value and broadcast the results back to every row."""
    return Factorized(values).map(func, dtype)


# Leading or trailing whitespace of one value in a NUL-joined column. The regex's \s and
# str.strip() use the same test (Py_UNICODE_ISSPACE), so no match means strip changes nothing.
_EDGE_SPACE = re.compile(r"(?:^|\x00)\s|\s(?:\x00|$)")


def strip_text(values: pd.Series) -> pd.Series:
    """``values.str.strip()``, without a Python call per value when no value has space to
    strip (a force extract's half a million crime references): one C-speed join and regex
    search decide that, and the column is then returned as it is."""
    if values.dtype == object and len(values):
        try:
            joined = "\x00".join(values.tolist())
        except TypeError:  # a value that is not text: str.strip() decides what it becomes
            joined = None
        if (
            joined is not None
            and joined.count("\x00") == len(values) - 1
            and not _edge_space(joined)
        ):
            return values.copy()
    return values.str.strip()


# str.isspace() of each ASCII character (what \s and str.strip() take as space): tab to
# carriage return, the four separators 0x1C-0x1F, and the space.
_ASCII_SPACE = np.zeros(256, dtype=bool)
_ASCII_SPACE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True


def _edge_space(joined: str) -> bool:
    """Whether a value of the NUL-joined column starts or ends with space. ASCII text is
    looked at as bytes with numpy (the regex took 0.12 s over half a million references);
    other text by the regex."""
    if not joined.isascii():
        return _EDGE_SPACE.search(joined) is not None
    codes = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    if codes.size == 0:
        return False
    space = _ASCII_SPACE[codes]
    if space[0] or space[-1]:
        return True
    nul = codes == 0
    return bool(np.any(space[1:] & nul[:-1]) or np.any(space[:-1] & nul[1:]))


# A reject's detail quotes at most this many characters of a cell, then says how long it is:
# a cell of a megabyte (a pasted document) must not make the rejects file unreadable, and
# the start is enough to find the row. A padded 64-hex Crime ID is still quoted whole.
SHOWN_CHARACTERS = 100


def shown_cell(text: object) -> str:
    """A cell's text as every reject's detail quotes it, so that the analyst can find the row
    in their file: the text as written (never the number it was parsed to), in quotes, with
    control and invisible characters escaped (``'\\x00'``, ``'\\u202e'``, a no-break space
    ``'\\xa0'``: a reason must not hide or reorder what it shows), and a long cell cut
    after SHOWN_CHARACTERS characters with its length said."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if len(text) <= SHOWN_CHARACTERS:
        return repr(text)
    return f"{text[:SHOWN_CHARACTERS]!r}... ({len(text):,} characters in all)"


CellText = Callable[[int], str]  # row i's cell of one column, as the file writes it


def valid_month(value: str) -> bool:
    return bool(MONTH_RE.fullmatch(value.strip()))


# How far past the machine's clock a date may lie and still be taken: the machine may be a
# time zone behind the force's records (and a UK date has no zone), never a whole day more.
FUTURE_SLACK = pd.Timedelta(days=1)


def latest_possible(tz: object = None) -> pd.Timestamp:
    """The latest date-time a crime read now can have happened at: now and FUTURE_SLACK."""
    return pd.Timestamp.now(tz=tz) + FUTURE_SLACK


def after_today(when: pd.Series) -> np.ndarray:
    """Rows dated after latest_possible (a missing date: False). Why: an offence typed as
    2099 was published, and made the release's file name span 1970-10 to 2099-10."""
    tz = getattr(when.dtype, "tz", None)  # (from the dtype: an empty column has one too)
    with np.errstate(invalid="ignore"):
        return (when > latest_possible(tz)).to_numpy(dtype=bool, na_value=False)


#: The time zone a records system's wall-clock times are read in when one of two dates
#: carries an offset and the other does not (police.uk files months by UK time).
UK_TIME = "Europe/London"


def committed_after_recorded(committed: pd.Series, recorded: pd.Series) -> np.ndarray:
    """Rows whose committed date (and time) lies after their recorded date (a missing date
    on either side: False; bad_date has it). Why: a crime cannot be recorded before it
    happened, so such a row is impossible data (a date typed wrong, or the two columns
    swapped), and its month, the recorded date's, cannot be trusted.

    A recorded date that gives no time of day (midnight, as a records system writes a date
    alone, or a cell read by the format's date part) is compared by calendar day: an offence
    at 15:58 recorded on "21/10/2022" was recorded that day, not eight hours before it
    happened. A recorded date with a time of its own is compared to the minute."""
    done = _wall_clock(committed)
    held = _wall_clock(recorded)
    day_only = (held == held.dt.normalize()).to_numpy(dtype=bool)
    done = done.where(~day_only, done.dt.normalize())
    with np.errstate(invalid="ignore"):
        return (done > held).to_numpy(dtype=bool, na_value=False)


def _wall_clock(when: pd.Series) -> pd.Series:
    """Dates as naive UK wall-clock times (an offset-aware column, or one of mixed offsets,
    converted to UK time), so a column with offsets compares with one without."""
    if getattr(when.dtype, "tz", None) is None and when.dtype.kind == "M":
        return when
    aware = pd.to_datetime(when, errors="coerce", utc=True)
    return aware.dt.tz_convert(UK_TIME).dt.tz_localize(None)


def month_after_today(month: str) -> bool:
    """Whether a valid YYYY-MM month lies after latest_possible's month."""
    return valid_month(month) and month.strip() > latest_possible().strftime("%Y-%m")


#: Why a row dated before police.uk's first month is refused (the early_date reason's detail).
BEFORE_POLICE_UK = (
    f"before {POLICE_UK_FIRST_MONTH}, when police.uk's street-level data begins: no police.uk "
    "month can hold it (a year typed wrong, or a two-digit year read into the 1900s)"
)


def month_before_police_uk(month: str) -> bool:
    """Whether a valid YYYY-MM month lies before POLICE_UK_FIRST_MONTH. Why: a row of
    1999-10 was published in a release named 1999-10_2022-10 with only a warning, and a
    two-digit year ("21/10/99", read by Python as 1999) went the same way; a four-digit
    year and a two-digit one are held to the same months, the months police.uk has."""
    return valid_month(month) and month.strip() < POLICE_UK_FIRST_MONTH


def to_float(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Parse numbers; returns (floats, blank mask). Non-blank text that is not a number is NaN."""
    if values.dtype == np.float64:  # already parsed by the CSV parser: NaN means blank
        numbers = values.to_numpy()
        return numbers, np.isnan(numbers)
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    blank = (values == "").to_numpy()
    retry = np.flatnonzero(np.isnan(numbers) & ~blank)
    if retry.size:  # padded with spaces, or blank but for spaces: rare, so done row by row
        texts = values.to_numpy()[retry]
        cleaned = pd.Series([t.strip() for t in texts], dtype=object)
        numbers[retry] = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=np.float64)
        blank[retry] = (cleaned == "").to_numpy()
    return numbers, blank


def check_coordinates(
    verdicts: Verdicts,
    lon: np.ndarray,
    lat: np.ndarray,
    src_x: np.ndarray,
    src_y: np.ndarray,
    blank: np.ndarray,
    claims_location: Callable[[np.ndarray], np.ndarray],
    crs: str,
    given: tuple[CellText, CellText],
) -> np.ndarray:
    """Apply the coordinate checks; returns the has-location mask for accepted rows.

    `lon`/`lat` are WGS84 (already transformed); `src_x`/`src_y` are the source coordinates
    as numbers (NaN where the cell is not one), in `crs`. `claims_location(idx)` says which
    rows idx (those with no coordinates) name a place. `given`: row i's x and y cells as the
    file writes them, so that a reject's detail shows what the file says (x='west', not
    x=nan; x='Infinity', not x=inf; x=' 5.00 ', not x=5.0).

    A row outside the UK is "lat_lon_swapped" only when x and y exchanged fall inside the UK
    and the point as given is no place its CRS can mean near the UK (near_uk_in_crs); else
    it is "outside_uk": Calais in British National Grid swaps into Scotland, but is Calais.
    A point beyond its CRS's own range (in_crs_bounds) is "outside_uk" too, whatever PROJ
    made of it: a northing of 999,999,999 comes back from the transform in Leicestershire.
    """
    shown_x, shown_y = given

    def where(idx: np.ndarray) -> list[str]:
        return [f"x={shown_cell(shown_x(i))}, y={shown_cell(shown_y(i))}" for i in idx]

    # (Infinity, -Infinity and 1e999 parse, but name no place: not numbers, never "outside
    # the UK" as if a place had been given)
    not_number = ~blank & ~(np.isfinite(src_x) & np.isfinite(src_y))
    verdicts.reject(not_number, "bad_coordinates", where)
    claims = np.zeros(blank.shape, dtype=bool)
    blank_idx = np.flatnonzero(blank)
    claims[blank_idx] = claims_location(blank_idx)
    verdicts.reject(
        claims,
        "missing_coordinates",
        lambda idx: ["no coordinates, but a location is given"] * idx.size,
    )
    has_xy = ~blank & ~not_number
    verdicts.reject(has_xy & (src_x == 0) & (src_y == 0), "zero_coordinates", where)
    verdicts.reject(has_xy & (src_y == 0), "zero_coordinates", where)
    in_uk = np.zeros(lon.shape, dtype=bool)
    candidates = np.flatnonzero(has_xy & verdicts.open)
    in_grid = in_crs_bounds(src_x, src_y, crs)
    in_uk[candidates] = in_grid[candidates] & inside_uk(lon[candidates], lat[candidates])
    outside = np.flatnonzero(has_xy & ~in_uk & verdicts.open)
    if outside.size:
        sx, sy = src_y[outside], src_x[outside]
        s_lon, s_lat = to_wgs84(sx, sy, crs)
        near = in_grid[outside] & near_uk_in_crs(lon[outside], lat[outside], crs)
        swapped = np.zeros(lon.shape, dtype=bool)
        swapped[outside] = in_crs_bounds(sx, sy, crs) & inside_uk(s_lon, s_lat) & ~near
        verdicts.reject(swapped, "lat_lon_swapped", where)
        verdicts.reject(has_xy & ~in_grid, "outside_uk", _beyond_range(where, crs))
        verdicts.reject(has_xy & ~in_uk, "outside_uk", where)
    return has_xy


def _beyond_range(
    where: Callable[[np.ndarray], list[str]], crs: str
) -> Callable[[np.ndarray], list[str]]:
    """The detail of a point beyond its CRS's range: the cells, then the range, so that the
    analyst sees why a number that looks like a grid reference is no place. (Degrees
    beyond 180 or 90 say so themselves.)"""
    bounds = crs_bounds(crs)
    if bounds is None or is_wgs84(crs):
        return where
    x_min, y_min, x_max, y_max = bounds
    limits = (
        f"beyond the range of {crs} (x {x_min:,.0f} to {x_max:,.0f}, "
        f"y {y_min:,.0f} to {y_max:,.0f})"
    )
    return lambda idx: [f"{shown}, {limits}" for shown in where(idx)]
