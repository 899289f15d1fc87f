"""Anonymous map points: the only places a public release may put a crime.

police.uk publishes every crime at the nearest of a master list of map points, each over the
centre of a street, a public place or a commercial premise, whose catchment holds at least 8
postal addresses or none. An analyst rarely has that list, so it can come from:

- a point layer or file with a label field (``map_points_from_arrays``);
- the force's own published police.uk history (``map_points_from_history``): the distinct
  published points and their "On or near" labels are the real national map points;
- a roads layer, with address points when available (``map_points_from_roads``);
- hexagon centres as a last resort (``map_points_hexagon_fallback``), with a warning that the
  audit repeats, because they are not street-level points.

Whatever the source, ``MapPoints`` holds WGS84 coordinates rounded to 6 decimal places (police.uk
precision): those rounded values ARE the published coordinates, and the leak gate tests output
coordinates against them. Labels are stored WITHOUT the "On or near " prefix; "" is a legitimate
label (police.uk publishes thousands of such rows a month).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from dataclasses import InitVar, dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Union

import numpy as np
import pandas as pd

from ..common.csv_records import (
    first_long_record,
    first_nul_line,
    first_short_record,
    may_be_short,
)
from ..common.csv_safety import safe_cell
from ..common.dependencies import require
from ..common.geography import WGS84, inside_uk, to_wgs84, transform
from ..common.projection import choose_crs, to_projected
from ..common.text_file import NotAFile, check_file, shown_path
from ..hotspots.hexgrid import (
    LARGEST_HEXAGON_M,
    SMALLEST_SIZE_M,
    HexGrid,
    hex_cells,
    hex_centres,
    metres,
)

SOURCES = ("layer", "police.uk history", "roads", "hexagon fallback")
LOCATION_PREFIX = "On or near"
DEFAULT_MIN_ADDRESSES = 8
SEGMENT_PIECE_M = 300.0
CSV_COLUMNS = ("longitude", "latitude", "label", "source", "addresses", "lsoa_code", "lsoa_name")

_KEY_OFFSET = 1 << 30  # coordinate_keys: keeps both halves positive and below 2**31


class MapPointsError(ValueError):
    """The map points cannot be used (empty, NaN, outside the UK, unreadable...).

    Raised before any anonymisation work starts; the message says what is wrong in words an
    analyst can act on.
    """


_CONTROL_CHARACTERS = r"[\x00-\x1f\x7f]"


TextValues = Optional[Union[Sequence[Any], np.ndarray]]  # None: every value blank


def same_text(n: int, text: str) -> np.ndarray:
    """An object array of n references to one str. np.full(n, text, dtype=object) makes n
    new str from a unicode array instead: ~100 times the time (88 ms for 750,000)."""
    column = np.empty(n, dtype=object)
    column.fill(text)
    return column


def object_array(values: list) -> np.ndarray:
    """``np.array(values, dtype=object)`` for a list of str, made by np.fromiter where numpy
    can (1.23 and later: a third faster, no nested sequences looked for)."""
    try:
        return np.fromiter(values, dtype=object, count=len(values))
    except ValueError:  # numpy before 1.23 makes no object array from an iterator
        return np.array(values, dtype=object)


def _text_array(values: TextValues, n: int, name: str, checked: bool = False) -> np.ndarray:
    """A text column of MapPoints: ``values`` sized as :func:`_sized` refuses them, each
    value a str (None and NaN blank) with its control characters made spaces; a copy unless
    ``checked`` (a reader's own new array, already so)."""
    if values is None:
        return same_text(n, "")
    arr = _sized(values, n, name)
    if checked:  # a reader's own new array, handed over (see MapPoints.text_checked)
        return arr
    if _clean_text(arr):  # the usual case, at C speed: 750,000 labels in ~0.1 s
        return arr.copy()
    series = pd.Series(arr, dtype=object)
    series = series.where(series.notna(), "").astype(str)
    # Control characters (a NUL, a line break from a roads layer's name field) have no place
    # in a published "On or near" label, and a NUL would hide what follows it from parsers.
    controls = series.str.contains(_CONTROL_CHARACTERS, regex=True)
    if controls.any():
        series = series.str.replace(_CONTROL_CHARACTERS, " ", regex=True)
    return series.to_numpy(dtype=object)


def _size_mismatch(name: str, size: int, n: int) -> MapPointsError:
    """The refusal of a column of ``size`` values for ``n`` map points, each count with
    its own noun's number. Why: "label has 1 values for 1 map points"."""
    values = "value" if size == 1 else "values"
    points = "map point" if n == 1 else "map points"
    return MapPointsError(f"{name} has {size:,} {values} for {n:,} {points}")


def _sized(values: TextValues, n: int, name: str) -> np.ndarray:
    """``values`` as a flat object array (None: n blanks), refused unless it has n values."""
    if values is None:
        return same_text(n, "")
    arr = np.asarray(values, dtype=object).ravel()
    if arr.size != n:
        raise _size_mismatch(name, arr.size, n)
    return arr


def _clean_text(arr: np.ndarray) -> bool:
    """True when every value is already a str without a control character: _text_array's
    per-value conversion and replacement would then change nothing."""
    try:
        joined = "".join(arr.tolist())  # TypeError unless every value is a str
    except TypeError:
        return False
    if joined.isascii():  # bytes compared with numpy: several times a regex's speed
        codes = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
        return not bool(((codes < 0x20) | (codes == 0x7F)).any())
    return re.search(_CONTROL_CHARACTERS, joined) is None


# A number as a map points file may write one: ASCII digits only (a count or coordinate in
# Arabic-Indic or fullwidth digits, or with a U+2212 minus, is refused, never read as another
# number), an optional sign, point and exponent; white space around it (a no-break space
# too, as float() takes it) is a cell's padding.
_NUMBER = re.compile(r"\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*")
_INT64_MAX = int(np.iinfo(np.int64).max)


def _count_of(value: Any) -> Optional[int]:
    """One catchment address count as an int: -1 (unknown) for None, a NULL or blank text;
    None when the value is no count of addresses (see address_counts)."""
    if value is None:
        return -1
    try:
        if hasattr(value, "isNull") and value.isNull():  # a QGIS NULL
            return -1
    except TypeError:
        pass
    if isinstance(value, (bool, np.bool_)):  # (an int to Python: True would read as 1)
        return None
    if isinstance(value, (int, np.integer)):
        number = int(value)
    elif isinstance(value, (float, np.floating)):
        if not math.isfinite(value) or value != math.floor(value):
            return None
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return -1
        if not _NUMBER.fullmatch(text):
            return None
        if text.lstrip("+-").isdigit():
            number = int(text)
        else:
            as_float = float(text)
            if not math.isfinite(as_float) or as_float != math.floor(as_float):
                return None
            number = int(as_float)
    else:  # a list, a date, binary data...
        return None
    return number if -1 <= number <= _INT64_MAX else None


def address_counts(
    values: Any, where: str = "", row_name: Optional[Callable[[int], str]] = None
) -> np.ndarray:
    """Catchment address counts as int64, -1 meaning unknown (also for a blank or NULL).

    Why strict: the count decides the disclosure check (core/release/disclosure.py: a known
    catchment of 1 to K-1 addresses is refused, -1 asks for a written confirmation), so a
    value read as another number changes what is published. ``int()`` read 2.7 as 2, true as
    1 and false as 0 (a public place with no addresses), and numpy cast 1e30 to
    -9223372036854775808, all without a word; a word like "many" read as unknown. Anything
    but a whole number from 0 up (or -1) is refused, naming ``where`` and the first such
    value's row (``row_name(i)``, else "row i+1"): a MapPointsError. Arrays of integers or
    floats are checked in bulk; objects (a GeoPackage read row by row, a QGIS layer) value
    by value, as their readers already convert them.
    """
    arr = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
    arr = arr.ravel()
    if arr.dtype.kind in "iu":
        bad = (
            np.flatnonzero(arr < -1) if arr.dtype.kind == "i" else np.flatnonzero(arr > _INT64_MAX)
        )
        if not bad.size:
            return arr.astype(np.int64, copy=False)
    elif arr.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            whole = np.isfinite(arr) & (arr == np.floor(arr)) & (arr >= -1) & (arr < 2.0**63)
        bad = np.flatnonzero(~whole)
        if not bad.size:
            return arr.astype(np.int64)
    else:
        counts = (
            [_count_of(v) for v in arr.tolist()] if arr.dtype.kind == "O" else [None] * arr.size
        )
        bad = np.flatnonzero(np.fromiter((c is None for c in counts), dtype=bool, count=arr.size))
        if not bad.size:
            return np.asarray(counts, dtype=np.int64).reshape(arr.shape)
    first = int(bad[0])
    from ..load.row_checks import shown_cell

    value = arr[first]
    shown = str(value).lower() if isinstance(value, (bool, np.bool_)) else value
    row = row_name(first) if row_name is not None else f"row {first + 1:,}"
    more = f" (and {bad.size - 1:,} more)" if bad.size > 1 else ""
    raise MapPointsError(
        f"{where + ': ' if where else ''}{row}: the address count {shown_cell(shown)} is no "
        f"number of addresses{more}; a catchment's address count is a whole number from 0 "
        "up, or -1 or blank when it is not known"
    )


def check_sources(distinct: Any, where: str = "") -> None:
    """Refuse a map point source that is none of SOURCES (a blank is read as "layer").

    Why: the source is what the disclosure check goes by (core/release/disclosure.py: only a
    "layer" point without an address count needs a written confirmation), so a file saying
    "Roads", "evil" or nothing at all slipped past that check without a word. ``distinct``
    holds the column's distinct values (readers find them cheaply: a categorical's
    categories, a GeoPackage's one value)."""
    unknown = sorted({"" if v is None else str(v) for v in distinct} - set(SOURCES) - {""})
    if unknown:
        from ..load.row_checks import shown_cell

        raise MapPointsError(
            f"{where + ': ' if where else ''}the source {shown_cell(unknown[0])} is no map "
            "points source"
            + (f" (nor {len(unknown) - 1:,} other value(s))" if len(unknown) > 1 else "")
            + "; a map point's source is one of "
            + ", ".join(repr(s) for s in SOURCES)
            + " (blank reads as 'layer')"
        )


def blank_sources_as_layer(source: np.ndarray, distinct: Any) -> np.ndarray:
    """A blank source read as "layer", as a missing source column and a QGIS layer's blank
    are: the strictest provenance (disclosure then asks for address counts)."""
    if "" not in distinct:
        return source
    source = source.copy()
    source[source == ""] = "layer"
    return source


def coordinate_keys(lon: np.ndarray, lat: np.ndarray, decimals: int = 5) -> np.ndarray:
    """One int64 per coordinate pair, equal exactly when both round to the same `decimals`.

    Packing: ``(round(lon * 10**d) + 2**30) * 2**31 + (round(lat * 10**d) + 2**30)``, valid
    for 0 <= decimals <= 6. The leak gate computes keys for output coordinates with this same
    function and tests membership with ``np.isin``. Non-finite coordinates give -1 (never a
    valid key, since valid keys are >= 0).
    """
    if not 0 <= int(decimals) <= 6:
        raise ValueError("coordinate_keys supports 0 to 6 decimal places")
    scale = 10.0 ** int(decimals)
    lon = np.asarray(lon, dtype=np.float64).ravel()
    lat = np.asarray(lat, dtype=np.float64).ravel()
    ok = np.isfinite(lon) & np.isfinite(lat)
    keys = np.full(lon.shape, -1, dtype=np.int64)
    lx = np.round(lon[ok] * scale).astype(np.int64) + _KEY_OFFSET
    ly = np.round(lat[ok] * scale).astype(np.int64) + _KEY_OFFSET
    keys[ok] = lx * (1 << 31) + ly
    return keys


@dataclass
class MapPoints:
    """The master list of anonymous map points (one row per point).

    Construction validates (non-empty, finite, inside the UK, equal lengths) and rounds the
    coordinates to 6 dp, so a MapPoints object is always usable. Use the ``map_points_from_*``
    builders, which also merge duplicate coordinates.
    """

    longitude: np.ndarray
    latitude: np.ndarray
    label: np.ndarray
    source: np.ndarray
    addresses: np.ndarray
    lsoa_code: np.ndarray
    lsoa_name: np.ndarray
    warnings: list[str] = field(default_factory=list)
    _projected: Optional[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(
        default=None, init=False, repr=False, compare=False
    )
    # True when the text columns are already known to be str without a control character
    # (a reader proved it from the bytes it decoded) and are the reader's own new arrays,
    # handed over: the per-value check and the copy are then skipped.
    text_checked: InitVar[bool] = False
    # Row i's name in the file read (a CSV's "row 15 (line 16)"), for the errors below; else
    # "row i+1", the point's number.
    row_name: InitVar[Optional[Callable[[int], str]]] = None

    def __post_init__(
        self, text_checked: bool = False, row_name: Optional[Callable[[int], str]] = None
    ) -> None:
        def at(row: int) -> str:
            return row_name(row) if row_name is not None else f"row {row + 1}"

        lon = np.asarray(self.longitude, dtype=np.float64).ravel()
        lat = np.asarray(self.latitude, dtype=np.float64).ravel()
        n = lon.size
        if lat.size != n:
            raise MapPointsError(f"{n} longitudes but {lat.size} latitudes")
        if n == 0:
            raise MapPointsError(
                "there are no map points: the map-point layer or file is "
                "empty (or every point was filtered out)"
            )
        bad = ~(np.isfinite(lon) & np.isfinite(lat))
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise MapPointsError(
                f"{int(bad.sum())} map point(s) have missing or non-numeric coordinates "
                f"(first at {at(first)}); every map point needs a location"
            )
        outside = ~inside_uk(lon, lat)
        if outside.any():
            first = int(np.flatnonzero(outside)[0])
            raise MapPointsError(
                f"{int(outside.sum())} map point(s) lie outside the United Kingdom (first at "
                f"{at(first)}: longitude {lon[first]:.6f}, latitude {lat[first]:.6f}); "
                "map points must be WGS84 longitude/latitude inside the UK"
            )
        self.longitude = np.round(lon, 6)
        self.latitude = np.round(lat, 6)
        self.label = _text_array(self.label, n, "label", text_checked)
        self.source = _text_array(self.source, n, "source", text_checked)
        addresses = np.asarray(self.addresses).ravel()
        if addresses.size != n:
            raise _size_mismatch("addresses", addresses.size, n)
        self.addresses = address_counts(addresses)
        self.lsoa_code = _text_array(self.lsoa_code, n, "lsoa_code", text_checked)
        self.lsoa_name = _text_array(self.lsoa_name, n, "lsoa_name", text_checked)
        self.warnings = list(self.warnings)
        self._projected = None

    def __len__(self) -> int:
        return int(self.longitude.size)

    def projected(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(x, y, zone) in metres, each point in its own zone's CRS (projection.ZONE_CRS).
        Cached: snapping, hotspots and the audit all need it, and it costs a pyproj pass."""
        if self._projected is None:
            self._projected = to_projected(self.longitude, self.latitude)
        return self._projected

    def coordinate_keys(self, decimals: int = 5) -> np.ndarray:
        """int64 key per point (see module-level ``coordinate_keys``) for np.isin tests."""
        return coordinate_keys(self.longitude, self.latitude, decimals)

    def location_text(self) -> np.ndarray:
        """police.uk 'Location' text per point: "On or near <label>" ("On or near " alone for
        an empty label, exactly as police.uk publishes it)."""
        return np.array([f"{LOCATION_PREFIX} {lab}" for lab in self.label], dtype=object)

    def to_frame(self) -> pd.DataFrame:
        """The points as a table with CSV_COLUMNS (for layers and CSV)."""
        return pd.DataFrame(
            {
                "longitude": self.longitude,
                "latitude": self.latitude,
                "label": self.label,
                "source": self.source,
                "addresses": self.addresses,
                "lsoa_code": self.lsoa_code,
                "lsoa_name": self.lsoa_name,
            },
            columns=list(CSV_COLUMNS),
        )


def map_points_from_arrays(
    lon: Union[Sequence[float], np.ndarray],
    lat: Union[Sequence[float], np.ndarray],
    label: Optional[Union[Sequence, np.ndarray]] = None,
    source: Union[str, Sequence, np.ndarray] = "layer",
    addresses: Optional[Union[Sequence[int], np.ndarray]] = None,
    lsoa_code: Optional[Union[Sequence, np.ndarray]] = None,
    lsoa_name: Optional[Union[Sequence, np.ndarray]] = None,
    warnings: Optional[list[str]] = None,
    *,
    text_checked: bool = False,
    where: str = "",
    sources_checked: bool = False,
    row_name: Optional[Callable[[int], str]] = None,
) -> MapPoints:
    """Map points from plain arrays (a point layer or file with a label field).

    ``text_checked``: the caller knows every text value is a str without a control
    character, and hands over text arrays of its own that nothing else holds (MapPoints then
    neither checks nor copies them). ``where`` (a file or layer) and ``row_name`` (row i's
    name there) go into the errors about a value. Address counts must be whole numbers of
    addresses (address_counts) and sources SOURCES (check_sources; a blank reads as
    "layer"); ``sources_checked``: the caller has checked them, and read blanks as "layer",
    on the column's distinct values (a set of 750,000 values costs some 12 ms).

    Points that share coordinates after rounding to 6 dp are one published place, so they are
    merged: the first in input order keeps its label, source and LSOA; catchment address counts
    are added (unknown, -1, if any of them is unknown). A warning records how many merged.
    """
    lon = np.asarray(lon, dtype=np.float64).ravel()
    lat = np.asarray(lat, dtype=np.float64).ravel()
    n = lon.size
    if lat.size != n:
        raise MapPointsError(f"{n} longitudes but {lat.size} latitudes")
    # Sizes are checked here, in this order; the text itself is cleaned once, by MapPoints.
    label_a = _sized(label, n, "label")
    if isinstance(source, str):
        check_sources([source], where)
        source_a = same_text(n, source or "layer")
    else:
        source_a = _sized(source, n, "source")
        if not sources_checked:
            distinct = set(source_a.tolist())
            check_sources(distinct, where)
            source_a = blank_sources_as_layer(source_a, distinct)
    if addresses is None:
        addr = np.full(n, -1, dtype=np.int64)
    else:
        addr = addresses if isinstance(addresses, np.ndarray) else np.asarray(addresses)
        addr = addr.ravel()
        if addr.size != n:
            raise _size_mismatch("addresses", addr.size, n)
        addr = address_counts(addr, where, row_name)
    code_a = _sized(lsoa_code, n, "lsoa_code")
    name_a = _sized(lsoa_name, n, "lsoa_name")
    notes = list(warnings or [])
    # Validate before merging so that NaN / empty get the clear MapPoints message.
    try:
        points = MapPoints(
            lon, lat, label_a, source_a, addr, code_a, name_a, notes, text_checked, row_name
        )
    except MapPointsError as exc:  # (no points, or one without a place or outside the UK)
        if not where:
            raise
        raise MapPointsError(f"{where}: {exc}") from exc
    keys = coordinate_keys(points.longitude, points.latitude, 6)
    if not pd.Series(keys).duplicated().any():  # the usual case, found by hashing, no sort
        return points
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    keep = np.sort(first)  # input order of each place's first occurrence
    group_of_kept = inverse[keep]
    # Re-number groups in kept order, then add addresses per group.
    position = np.empty(first.size, dtype=np.int64)
    position[group_of_kept] = np.arange(keep.size)
    row_group = position[inverse]
    known = points.addresses >= 0
    summed = np.bincount(
        row_group, weights=np.where(known, points.addresses, 0), minlength=keep.size
    ).astype(np.int64)
    any_unknown = (
        np.bincount(row_group, weights=(~known).astype(np.float64), minlength=keep.size) > 0
    )
    merged_addr = np.where(any_unknown, -1, summed)
    dropped = n - keep.size
    notes.append(
        f"{dropped} map point(s) shared coordinates (to 6 decimal places) with an "
        "earlier point and were merged into it; the first point's label was kept."
    )
    return _subset(points, keep, merged_addr, notes)


def _subset(
    points: MapPoints, rows: np.ndarray, addresses: np.ndarray, warnings: list[str]
) -> MapPoints:
    """Rows of already validated points, without validating (and projecting) them again:
    at national scale (750,000 points) the UK-outline test is worth skipping twice."""
    out = MapPoints.__new__(MapPoints)
    out.longitude = points.longitude[rows]
    out.latitude = points.latitude[rows]
    out.label = points.label[rows]
    out.source = points.source[rows]
    out.addresses = np.asarray(addresses, dtype=np.int64)
    out.lsoa_code = points.lsoa_code[rows]
    out.lsoa_name = points.lsoa_name[rows]
    out.warnings = list(warnings)
    out._projected = None
    return out


# --- from police.uk history -------------------------------------------------------------------


def strip_location_prefix(text: str) -> str:
    """The map-point label in a police.uk Location: "On or near Foo Street" -> "Foo Street";
    "On or near " (nothing after it) -> "". Other text is kept, trimmed."""
    text = "" if text is None else str(text)
    label = _location_label(text)
    return text.strip() if label is None else label


def _location_label(text: str) -> Optional[str]:
    """The label of a police.uk Location text ("On or near Foo Street" -> "Foo Street", "On
    or near" or "On or near " alone -> ""), None when ``text`` is no Location text: the one
    rule for the prefix, shared by every reader of labels. Padding before the prefix is
    allowed (" On or near X", as a spreadsheet may pad a cell): it was kept as a label of
    its own and published "On or near  On or near X"."""
    trimmed = text.lstrip()
    if trimmed.startswith(LOCATION_PREFIX):
        return trimmed[len(LOCATION_PREFIX) :].strip()
    return None


def file_labels(labels: np.ndarray) -> np.ndarray:
    """The labels of a map points file (CSV, GeoPackage; str each) as stored: a label
    written as police.uk Location text ("On or near High Street", as a file made from
    police.uk data or a crime_mapper release has it) gives the label the layer and history
    readers store (strip_location_prefix): published "On or near High Street", not "On or
    near On or near High Street". Other text is kept as written (padding too: a file's
    odd text is never silently changed). ``labels`` itself is returned when no label holds
    the prefix anywhere (looked for in the joined text: some 0.07 s for 750,000 labels,
    where the value-by-value pass costs 0.2 s)."""
    values = labels.tolist()
    if LOCATION_PREFIX not in "\x00".join(values):
        return labels
    found = [_location_label(value) for value in values]
    return object_array([v if label is None else label for v, label in zip(values, found)])


def _most_frequent(keys: pd.DataFrame, value_cols: list[str], month: pd.Series) -> pd.DataFrame:
    """Per (lonk, latk): the value combination seen most often; ties go to the one seen in the
    latest month, then to the alphabetically first. Deterministic whatever the row order."""
    frame = keys.copy()
    frame["_month"] = month.to_numpy()
    grouped = frame.groupby(["lonk", "latk", *value_cols], sort=False, observed=True)
    stats = grouped["_month"].agg(["size", "max"]).reset_index()
    stats = stats.sort_values(
        ["lonk", "latk", "size", "max", *value_cols],
        ascending=[True, True, False, False] + [True] * len(value_cols),
        kind="mergesort",
    )
    return stats.drop_duplicates(["lonk", "latk"], keep="first").reset_index(drop=True)


def map_points_from_history(crimes: pd.DataFrame) -> MapPoints:
    """The distinct published police.uk points of a force's history, with their labels.

    `crimes` is the loader's canonical table over police.uk street files (columns longitude,
    latitude, location, lsoa_code, lsoa_name, month). Each distinct (lon, lat) at 6 dp is one
    map point. Its label is the Location text without "On or near " ("" kept: police.uk
    publishes empty labels). Where a point carried different labels over the months, the most
    frequent wins, ties going to the label of the latest month and then alphabetically; the
    LSOA is chosen the same way. Points are sorted by longitude then latitude, so the result
    does not depend on file order.
    """
    needed = ("longitude", "latitude", "location", "lsoa_code", "lsoa_name", "month")
    missing = [c for c in needed if c not in crimes.columns]
    if missing:
        raise MapPointsError(
            "the crimes table lacks column(s) "
            + ", ".join(missing)
            + "; load police.uk street files with the loader first"
        )
    lon = crimes["longitude"].to_numpy(dtype=np.float64)
    lat = crimes["latitude"].to_numpy(dtype=np.float64)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        raise MapPointsError(
            "no crime in the police.uk history has a location, so no map "
            "points can be derived from it"
        )
    sub = crimes.loc[ok]
    keys = pd.DataFrame(
        {
            "lonk": np.round(lon[ok] * 1e6).astype(np.int64),
            "latk": np.round(lat[ok] * 1e6).astype(np.int64),
        }
    )
    month = sub["month"].astype(str).reset_index(drop=True)
    # Strip the prefix once per distinct location text, not once per row.
    loc = sub["location"].astype("category")
    labels_of_cat = np.array(
        [strip_location_prefix(c) for c in loc.cat.categories] + [""], dtype=object
    )
    codes = loc.cat.codes.to_numpy()  # -1 (missing) picks the trailing ""
    label = labels_of_cat[codes]
    keys_l = keys.assign(label=label)
    best_label = _most_frequent(keys_l, ["label"], month)
    keys_s = keys.assign(
        lsoa_code=sub["lsoa_code"].astype(str).replace("nan", "").to_numpy(),
        lsoa_name=sub["lsoa_name"].astype(str).replace("nan", "").to_numpy(),
    )
    best_lsoa = _most_frequent(keys_s, ["lsoa_code", "lsoa_name"], month)
    merged = best_label[["lonk", "latk", "label"]].merge(
        best_lsoa[["lonk", "latk", "lsoa_code", "lsoa_name"]],
        on=["lonk", "latk"],
        how="left",
        validate="one_to_one",
    )
    merged = merged.sort_values(["lonk", "latk"], kind="mergesort").reset_index(drop=True)
    return map_points_from_arrays(
        merged["lonk"].to_numpy() / 1e6,
        merged["latk"].to_numpy() / 1e6,
        merged["label"].to_numpy(dtype=object),
        source="police.uk history",
        lsoa_code=merged["lsoa_code"].fillna("").to_numpy(dtype=object),
        lsoa_name=merged["lsoa_name"].fillna("").to_numpy(dtype=object),
    )


# --- from roads (and address points) ----------------------------------------------------------


def _check_metric_crs(crs: str) -> None:
    """Roads must be in a projected CRS in metres: segment lengths and catchments are metric."""
    from ..common.geography import pyproj_module

    try:
        info = pyproj_module().CRS.from_user_input(crs)
    except Exception as exc:  # any pyproj failure means "not a CRS we can use"
        raise MapPointsError(f"the roads CRS {crs!r} is not a CRS pyproj recognises") from exc
    units = {(a.unit_name or "").lower() for a in info.axis_info}
    if info.is_geographic or not units or not units <= {"metre", "meter", "m"}:
        raise MapPointsError(
            f"the roads layer's CRS ({crs}) is not in metres; reproject it to British National "
            "Grid (EPSG:27700) or Irish Transverse Mercator (EPSG:2157) first"
        )


def _segment_candidates(
    roads: Sequence[np.ndarray], piece_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate (x, y) and road index: street segments between junctions, one candidate at
    the middle of each piece of at most `piece_m` along the segment.

    A junction is a vertex shared (to the millimetre) by two or more different roads; each
    road line is split at its interior junction vertices. A segment of length L gets
    ceil(L / piece_m) equal pieces (one when L <= piece_m) and a candidate at the middle of
    each, measured along the line. Zero-length segments give none. Fully vectorised, so a
    national roads layer costs seconds, not minutes.
    """
    arrays = []
    road_of = []
    for i, line in enumerate(roads):
        a = np.asarray(line, dtype=np.float64)
        if a.ndim != 2 or a.shape[1] != 2:
            raise MapPointsError(f"road {i + 1} is not an (n, 2) array of x, y vertices")
        if a.shape[0] == 0:
            continue
        if not np.isfinite(a).all():
            raise MapPointsError(f"road {i + 1} has missing or non-numeric vertex coordinates")
        arrays.append(a)
        road_of.append(np.full(a.shape[0], i, dtype=np.int64))
    if not arrays:
        raise MapPointsError("the roads layer has no lines")
    v = np.concatenate(arrays)
    road = np.concatenate(road_of)
    # Junctions: vertex positions (mm) used by at least two different roads.
    mm = np.round(v * 1000.0).astype(np.int64)
    _, vkey = np.unique(mm, axis=0, return_inverse=True)
    vkey = vkey.ravel()
    pairs = np.unique(np.column_stack([vkey, road]), axis=0)
    roads_at = np.bincount(pairs[:, 0], minlength=int(vkey.max()) + 1)
    junction = roads_at[vkey] >= 2
    # Edges between consecutive vertices of the same road.
    a_idx = np.flatnonzero(road[:-1] == road[1:])
    if a_idx.size == 0:
        raise MapPointsError("the roads layer has no line with two or more vertices")
    b_idx = a_idx + 1
    length = np.hypot(*(v[b_idx] - v[a_idx]).T)
    first_of_road = np.ones(a_idx.size, dtype=bool)
    first_of_road[1:] = a_idx[1:] != b_idx[:-1]  # edges of one line are contiguous
    starts = first_of_road | junction[a_idx]
    seg = np.cumsum(starts) - 1
    n_seg = int(seg[-1]) + 1
    seg_len = np.bincount(seg, weights=length, minlength=n_seg)
    end_pos = np.cumsum(length)
    start_pos = end_pos - length
    seg_start = start_pos[starts]  # a segment's edges are contiguous
    pieces = np.where(seg_len > 0, np.maximum(1, np.ceil(seg_len / piece_m)), 0).astype(np.int64)
    cand_seg = np.repeat(np.arange(n_seg), pieces)
    if cand_seg.size == 0:
        raise MapPointsError("every road line has zero length")
    # index of each candidate within its segment: 0..pieces-1
    offsets = np.cumsum(pieces) - pieces
    within = np.arange(cand_seg.size) - np.repeat(offsets, pieces)
    target = seg_start[cand_seg] + (within + 0.5) * seg_len[cand_seg] / pieces[cand_seg]
    edge = np.searchsorted(end_pos, target, side="left")
    edge = np.minimum(edge, end_pos.size - 1)
    frac = np.where(
        length[edge] > 0,
        (target - start_pos[edge]) / np.where(length[edge] > 0, length[edge], 1.0),
        0.0,
    )
    frac = np.clip(frac, 0.0, 1.0)
    xy = v[a_idx[edge]] + frac[:, None] * (v[b_idx[edge]] - v[a_idx[edge]])
    return xy, road[a_idx[edge]]


def _apply_min_addresses(
    cand_xy: np.ndarray, addr_xy: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """(kept mask, address count per candidate) under police.uk's rule: every kept point's
    catchment (addresses nearer to it than to any other kept point) holds >= k addresses or
    none.

    Each address starts at its nearest candidate. While some candidate has 0 < count < k, the
    violators with the smallest count are dropped together (a batch: dropping the weakest first
    lets their addresses build up a neighbour instead of dropping that too) and their addresses
    move to their next nearest kept candidate. Every address keeps a list of its nearest
    candidates (one KD-tree query up front), so a move is a pointer step; only an address whose
    list is used up is queried again, against a tree of the survivors. Each round drops at least
    one candidate, so the loop ends.
    """
    cKDTree = require("scipy.spatial", "Building map points").cKDTree  # noqa: N806

    n_cand = cand_xy.shape[0]
    n_addr = addr_xy.shape[0]
    alive = np.ones(n_cand, dtype=bool)
    if n_addr == 0:
        return alive, np.zeros(n_cand, dtype=np.int64)
    if n_addr < k:
        raise MapPointsError(
            f"only {n_addr} address point(s) were given, but a map point's catchment needs at "
            f"least {k}: no street-level point can be kept"
        )
    m = min(16, n_cand)
    tree = cKDTree(cand_xy, balanced_tree=False, compact_nodes=False)
    _, nbr = tree.query(addr_xy, k=m)
    nbr = np.asarray(nbr, dtype=np.int64).reshape(n_addr, m)
    ptr = np.zeros(n_addr, dtype=np.int64)
    assign = nbr[:, 0].copy()
    while True:
        counts = np.bincount(assign, minlength=n_cand)
        violating = alive & (counts > 0) & (counts < k)
        if not violating.any():
            return alive, np.where(alive, counts, 0).astype(np.int64)
        smallest = counts[violating].min()
        alive[violating & (counts == smallest)] = False
        moved = np.flatnonzero(~alive[assign])
        # Step each moved address along its neighbour list to the next surviving candidate.
        rows = moved
        while rows.size:
            ptr[rows] += 1
            exhausted = ptr[rows] >= m
            live = ~exhausted
            rows_live = rows[live]
            ok = alive[nbr[rows_live, ptr[rows_live]]]
            assign[rows_live[ok]] = nbr[rows_live[ok], ptr[rows_live[ok]]]
            requery = rows[exhausted]
            if requery.size:
                survivors = np.flatnonzero(alive)
                if survivors.size == 0:  # cannot happen with n_addr >= k; kept as a guard
                    raise MapPointsError(
                        f"no map point could keep the rule of at least {k} addresses"
                    )
                sub = cKDTree(cand_xy[survivors], balanced_tree=False, compact_nodes=False)
                mm = min(m, survivors.size)
                _, near = sub.query(addr_xy[requery], k=mm)
                near = survivors[np.asarray(near, dtype=np.int64).reshape(requery.size, mm)]
                nbr[requery, :] = np.concatenate(
                    [near, np.repeat(near[:, -1:], m - mm, axis=1)], axis=1
                )
                ptr[requery] = 0
                assign[requery] = nbr[requery, 0]
            rows = rows_live[~ok]


def map_points_from_roads(
    roads: Sequence[np.ndarray],
    labels: Sequence,
    crs: str,
    addresses_xy: Optional[np.ndarray] = None,
    k: int = DEFAULT_MIN_ADDRESSES,
) -> MapPoints:
    """Map points at street-segment centres of a roads layer (label = road name).

    `roads` are (n, 2) vertex arrays in metres in `crs` (one per line; split multi-lines into
    parts first), `labels` the road name per line. Candidates: each road line is cut at the
    junctions it shares with other roads; each resulting segment gets a candidate at its middle
    measured along the line, and segments longer than 300 m get one per 300 m piece (cut into
    equal pieces of at most 300 m, a candidate at the middle of each) so that a long rural road
    does not pull crimes from kilometres away to one point.

    With `addresses_xy` ((m, 2) in the same CRS), police.uk's catchment rule is applied: every
    kept point has at least `k` addresses nearer to it than to any other kept point, or none
    (points over public places or premises without addresses stay). The count is stored in
    ``addresses``. Without addresses every candidate is kept and ``addresses`` is -1.
    """
    if k < 1:
        raise MapPointsError("the minimum catchment must be at least 1 address")
    roads = list(roads)
    labels_a = _text_array(labels, len(roads), "labels")
    if not roads:
        raise MapPointsError("the roads layer has no lines")
    _check_metric_crs(crs)
    cand_xy, cand_road = _segment_candidates(roads, SEGMENT_PIECE_M)
    notes: list[str] = []
    if addresses_xy is None:
        keep = np.ones(cand_xy.shape[0], dtype=bool)
        counts = np.full(cand_xy.shape[0], -1, dtype=np.int64)
    else:
        addr = np.asarray(addresses_xy, dtype=np.float64).reshape(-1, 2)
        addr = addr[np.isfinite(addr).all(axis=1)]
        keep, counts = _apply_min_addresses(cand_xy, addr, int(k))
        dropped = int((~keep).sum())
        if dropped:
            notes.append(
                f"{dropped} of {keep.size} street-segment candidates were dropped "
                f"because their catchment held fewer than {k} addresses; their "
                "addresses joined the next nearest point."
            )
    lon, lat = to_wgs84(cand_xy[keep, 0], cand_xy[keep, 1], crs)
    return map_points_from_arrays(
        lon, lat, labels_a[cand_road[keep]], source="roads", addresses=counts[keep], warnings=notes
    )


# --- hexagon fallback -------------------------------------------------------------------------


def map_points_hexagon_fallback(
    lon: Union[Sequence[float], np.ndarray],
    lat: Union[Sequence[float], np.ndarray],
    size_m: float,
    area_names: Optional[Sequence] = None,
    min_locations: int = DEFAULT_MIN_ADDRESSES,
) -> MapPoints:
    """Hexagon centres as map points, for when no street-level points exist at all.

    One point per hexagon (pointy-top lattice anchored at the origin of the projected CRS
    chosen for the whole set, `size_m` between neighbouring centres) that contains at least one
    crime. Label: the most frequent `area_names` value (e.g. LSOA name) among that cell's crimes
    (ties alphabetical), else "area <n>" numbered in cell order. A warning says these are not
    street-level points; the audit repeats it. A centre that falls outside the UK outline (a
    border or coastal cell) is not used; its crimes snap to the nearest remaining centre.

    A cell whose crimes have fewer than ``min_locations`` distinct locations (to the metre)
    gets no point either: its crimes go to the nearest remaining centre, as police.uk drops
    a point whose catchment holds fewer than 8 addresses (the release refuses a fallback
    cell with fewer than K distinct true locations, core/release/disclosure.py). Cells only
    gain crimes from that, so one pass keeps the rule.
    """
    if not size_m or not math.isfinite(float(size_m)) or float(size_m) <= 0:
        raise MapPointsError("the hexagon size must be a positive number of metres")
    size_m = float(size_m)
    if size_m < SMALLEST_SIZE_M:  # (HexGrid's floor, said here as a map points error)
        raise MapPointsError(
            f"the hexagon size must be at least {metres(SMALLEST_SIZE_M)}, not {metres(size_m)}"
        )
    if size_m > LARGEST_HEXAGON_M:  # (and its ceiling: HexGrid said it as a hotspots error)
        raise MapPointsError(
            f"the hexagon size must be at most {metres(LARGEST_HEXAGON_M)}, not {metres(size_m)}"
        )
    lon_a = np.asarray(lon, dtype=np.float64).ravel()
    lat_a = np.asarray(lat, dtype=np.float64).ravel()
    ok = np.isfinite(lon_a) & np.isfinite(lat_a)
    if not ok.any():
        raise MapPointsError(
            "no crime has a location, so there is nowhere to put hexagon map points"
        )
    crs = choose_crs(lon_a[ok], lat_a[ok])
    x, y = transform(lon_a[ok], lat_a[ok], WGS84, crs)
    grid = HexGrid(size_m, crs)  # the hotspot lattice: fallback points sit on cell centres
    q, r = hex_cells(x, y, grid)
    frame = pd.DataFrame({"q": q, "r": r})
    distinct = (
        pd.DataFrame({"q": q, "r": r, "x": np.round(x), "y": np.round(y)})
        .drop_duplicates()
        .groupby(["q", "r"], sort=False)
        .size()
    )
    thin = distinct[distinct < int(min_locations)]
    if len(thin) == len(distinct):
        raise MapPointsError(
            f"no {metres(size_m)} hexagon holds {int(min_locations)} or more distinct crime "
            "locations, so none can be an anonymous map point; use a larger size"
        )
    if area_names is not None:
        names = _text_array(area_names, lon_a.size, "area_names")[ok]
        frame["name"] = names
        named = frame[frame["name"] != ""]
        counts = named.groupby(["q", "r", "name"], sort=False).size().reset_index(name="n")
        counts = counts.sort_values(
            ["q", "r", "n", "name"], ascending=[True, True, False, True], kind="mergesort"
        ).drop_duplicates(["q", "r"])
        cells = (
            frame[["q", "r"]]
            .drop_duplicates()
            .merge(counts[["q", "r", "name"]], on=["q", "r"], how="left")
        )
    else:
        cells = frame[["q", "r"]].drop_duplicates().assign(name=np.nan)
    if len(thin):
        drop = pd.MultiIndex.from_frame(cells[["q", "r"]]).isin(thin.index)
        cells = cells[~drop]
    cells = cells.sort_values(["q", "r"], kind="mergesort").reset_index(drop=True)
    qs, rs = cells["q"].to_numpy(), cells["r"].to_numpy()
    cx, cy = hex_centres(qs, rs, grid)
    clon, clat = to_wgs84(cx, cy, crs)
    labels = np.array(
        [
            n if isinstance(n, str) and n else f"area {i + 1}"
            for i, n in enumerate(cells["name"].tolist())
        ],
        dtype=object,
    )
    notes = [
        f"Hexagon fallback: these map points are hexagon centres of {metres(size_m)}, not "
        "street-level points; locations read 'On or near <area>'."
    ]
    if len(thin):
        notes.append(
            f"{len(thin):,} hexagon(s) held fewer than {int(min_locations)} distinct crime "
            "locations and got no point; their crimes go to the nearest remaining centre."
        )
    usable = inside_uk(clon, clat)
    if not usable.any():
        raise MapPointsError("every hexagon centre falls outside the UK; use a smaller size")
    if not usable.all():
        notes.append(
            f"{int((~usable).sum())} hexagon centre(s) outside the UK outline were not "
            "used; their crimes go to the nearest remaining centre."
        )
    return map_points_from_arrays(
        clon[usable], clat[usable], labels[usable], source="hexagon fallback", warnings=notes
    )


# --- CSV --------------------------------------------------------------------------------------


def map_points_csv_text(points: MapPoints) -> str:
    """The CSV text for `points` (CSV_COLUMNS; coordinates at 6 dp; text through safe_cell)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for i in range(len(points)):
        writer.writerow(
            [
                f"{points.longitude[i]:.6f}",
                f"{points.latitude[i]:.6f}",
                _guard(points.label[i]),
                _guard(points.source[i]),
                int(points.addresses[i]),
                _guard(points.lsoa_code[i]),
                _guard(points.lsoa_name[i]),
            ]
        )
    return buf.getvalue()


def write_map_points_csv(points: MapPoints, path: Union[str, Path]) -> None:
    """Write the points atomically (staging: a failed write leaves the old file intact)."""
    from ..common.staging import write_text_atomic

    write_text_atomic(path, map_points_csv_text(points))


#: A cell that starts with guard quotes and then what a spreadsheet reads as a formula: the
#: reader takes one quote off, so the writer adds one (safe_cell's, or one more before a
#: value that already starts so: a label "'=x" was written as it is and read back as "=x").
_GUARDED = re.compile(r"'+[=+\-@\t\r]")


def _guard(value: str) -> str:
    """The cell for ``value``: safe_cell's, and one quote more where _unguard would take off
    one of the value's own."""
    return "'" + value if _GUARDED.match(value) else safe_cell(value)


def _unguard(value: str) -> str:
    """Undo the writer's leading quote (_guard) so that a written file reads back to the same
    labels."""
    return value[1:] if _GUARDED.match(value) else value


# Map points columns of a handful of distinct values (the source: roads, history, hexagon
# fallback), read as categoricals of the same str: the CSV parser makes one str per distinct
# value, and guard quotes and control characters are looked for in those alone. (LSOA codes
# and names, some 35,000 of each nationally, and labels were measured slower that way: the
# parser's chunks' categories are sorted and unioned.)
_FEW_VALUED = ("source",)


def _refuse_nul(path: Union[str, Path]) -> None:
    """MapPointsError naming the line of the file's first NUL byte, if it has one
    (csv_records.first_nul_line); a FIFO or a device is refused first, as every text input
    is (text_file.check_file): its open waited for a writer for ever."""
    try:
        check_file(path)
    except FileNotFoundError:
        pass  # (the read says so, as before)
    except NotAFile as exc:
        raise MapPointsError(
            f"{shown_path(path)} is {exc.strerror}: map points are a file"
        ) from exc
    except OSError as exc:  # (a NUL in the path: shown escaped, not "embedded null byte")
        raise MapPointsError(f"{shown_path(path)}: {exc.strerror}") from exc
    line = first_nul_line(path)
    if line is not None:
        raise MapPointsError(
            f"{shown_path(path)} holds a NUL byte on line {line:,}: a map points file is text, "
            "and a CSV reader would cut that cell short there"
        )


def _refuse_short_records(path: Union[str, Path], table: pd.DataFrame) -> None:
    """MapPointsError naming the first line with fewer fields than the header: pandas pads
    it with empty cells, so a file cut off mid-line would publish a cut label with no LSOA.
    Looked for only when the last column has an empty value (every short line leaves one)."""
    if len(table.columns) < 2 or not may_be_short(table.iloc[:, -1]):
        return
    try:
        short = first_short_record(path, len(table.columns))
    except (OSError, csv.Error) as exc:
        raise MapPointsError(f"cannot read map points from {shown_path(path)}: {exc}") from exc
    if short is not None:
        line, found = short
        raise MapPointsError(
            f"{shown_path(path)}: line {line:,} has {found} field{'s' if found != 1 else ''} "
            f"where the header has {len(table.columns)}: the file looks cut short or damaged "
            "there; export the map points again"
        )


def _csv_header(path: Union[str, Path]) -> Optional[list[str]]:
    """The CSV's header as Python's csv module reads it; None when it cannot be read (the
    text read then says why)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return next(csv.reader(handle))
    except (OSError, UnicodeDecodeError, StopIteration, csv.Error):
        return None


def _refuse_header(path: Union[str, Path], header: Optional[list[str]]) -> None:
    """MapPointsError for a header naming a column twice (in any case or spacing): pandas
    renamed an exact repeat ``label.1`` and read the first, so the second column's labels
    were never used and nothing said so, and a repeat in other capitals crashed the read
    with an AttributeError. (A header of one column holding ';' or a tab is said to be
    separated by that: the file is then read as having no longitude column.)"""
    if header is None:
        return
    names = [str(h).strip().lower() for h in header]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise MapPointsError(
            f"{shown_path(path)}: the header names the column {twice[0]!r} twice (columns are "
            "named without regard to capitals or spaces); each column must be named once"
        )
    if len(header) == 1 and "longitude" not in names:
        for mark, word in ((";", "semicolons"), ("\t", "tabs")):
            if mark in header[0]:
                raise MapPointsError(
                    f"{shown_path(path)}: its header is one column, {header[0][:80]!r}: the file "
                    f"looks separated by {word}; a map points CSV is separated by commas"
                )


def _read_typed_csv(path: Union[str, Path], header: Optional[list[str]]) -> Optional[pd.DataFrame]:
    """A clean map points CSV read with the coordinates parsed as numbers by the CSV parser
    itself: about twice as fast as reading text and converting it after; the address counts
    as a categorical (a few hundred distinct values nationally, each checked by
    address_counts: the parser's own integers read true as 1 and false as 0). None when
    the file is not clean (a blank or padded number, odd header names, a row with more
    fields than the header, a coordinate of exactly 0 or 1, which is what the parser makes
    of true and false...): the caller then reads it as text, whose results and errors are
    the reference."""
    if header is None:
        return None
    names = [str(h).strip().lower() for h in header]
    if len(set(names)) != len(names) or not {"longitude", "latitude"} <= set(names):
        return None
    numeric = {"longitude": np.float64, "latitude": np.float64}
    dtype = {
        raw: numeric.get(name, "category" if name in (*_FEW_VALUED, "addresses") else str)
        for raw, name in zip(header, names)
    }
    try:
        table = pd.read_csv(path, dtype=dtype, keep_default_na=False, encoding="utf-8-sig")
    except (ValueError, OverflowError, OSError, pd.errors.ParserError):
        return None
    if list(table.columns) != header or not _default_index(table):
        return None
    table.columns = names
    for name in ("longitude", "latitude"):
        values = table[name].to_numpy()
        if np.isnan(values).any() or ((values == 0.0) | (values == 1.0)).any():
            return None
    return table


def _default_index(table: pd.DataFrame) -> bool:
    """Whether pandas numbered the rows itself: a first row with more fields than the
    header makes it take the leading cells as an index and move every column along."""
    index = table.index
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


def _refuse_long_records(path: Union[str, Path], fields: int) -> None:
    """MapPointsError naming the first line with more fields than the header (a label
    holding an unquoted comma): pandas took the extra cells as an index and read every
    column from the one beside it, or stopped with a message about its C tokenizer."""
    try:
        long = first_long_record(path, fields)
    except (OSError, csv.Error) as exc:
        raise MapPointsError(f"cannot read map points from {shown_path(path)}: {exc}") from exc
    if long is not None:
        raise MapPointsError(
            f"{shown_path(path)}: line {long[0]:,} has {long[1]} fields where the header has "
            f"{fields}: "
            "a value holding a comma must be in double quotes"
        )


def _line_of_row(path: Union[str, Path], row: int) -> Optional[int]:
    """The file's line on which data row ``row`` (0 for the first after the header) ends,
    counted as Python's csv module counts them, blank lines skipped as pandas skips them:
    said in errors (only on a failure) so that a text editor finds the row."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
            reader = csv.reader(handle)
            next(reader, None)
            seen = -1
            for record in reader:
                if record:
                    seen += 1
                    if seen == row:
                        return reader.line_num
    except (OSError, csv.Error):
        return None
    return None


def _row_namer(path: Union[str, Path]) -> Callable[[int], str]:
    def name(row: int) -> str:
        line = _line_of_row(path, row)
        return f"row {row + 1:,}" + (f" (line {line:,})" if line is not None else "")

    return name


def _strict_numbers(path: Union[str, Path], column: pd.Series, name: str) -> np.ndarray:
    """A coordinate column read as text, as float64: every value a number in ASCII digits
    (not true/false, which pandas' parsers read as 1 and 0, nor U+2212 minus or digits of
    another script), else a MapPointsError naming the column, the row and the value as
    written. Looked for with one regular expression over the column (the text read is the
    rare, slow path already)."""
    ok = column.str.fullmatch(_NUMBER.pattern).to_numpy(dtype=bool)
    numbers = np.full(len(column), np.nan)
    numbers[ok] = column[ok].to_numpy(dtype=np.float64)
    ok &= np.isfinite(numbers)  # (1e400: no finite number)
    if not ok.all():
        from ..load.row_checks import shown_cell

        first = int(np.flatnonzero(~ok)[0])
        value = column.iloc[first]
        what = "is blank" if not value.strip() else f"{shown_cell(value)} is no finite number"
        raise MapPointsError(
            f"{shown_path(path)}: {_row_namer(path)(first)}: the {name} {what}; a map point's "
            "longitude and latitude are WGS84 degrees written in digits (0-9), with a "
            "point for decimals"
        )
    return numbers


def _read_text_csv(path: Union[str, Path]) -> tuple[pd.DataFrame, Any, Any, Any]:
    """(table, longitude, latitude, addresses or None) of a map points CSV read as text."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.ParserError as exc:
        header = _csv_header(path)
        if header is not None and "fields" in str(exc):
            _refuse_long_records(path, len(header))
        raise MapPointsError(f"cannot read map points from {shown_path(path)}: {exc}") from exc
    except (OSError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise MapPointsError(f"cannot read map points from {shown_path(path)}: {exc}") from exc
    # (a line cut in two, by a line break in an unquoted label say, leaves two short records:
    # said as such, not as the second half's label read as a longitude)
    _refuse_short_records(path, table)
    if not _default_index(table):
        _refuse_long_records(path, len(table.columns))
    table.columns = [str(c).strip().lower() for c in table.columns]
    for col in ("longitude", "latitude"):
        if col not in table.columns:
            raise MapPointsError(
                f"{shown_path(path)} has no '{col}' column; map-point CSVs need longitude and "
                "latitude (WGS84)"
            )
    lon = _strict_numbers(path, table["longitude"], "longitude")
    lat = _strict_numbers(path, table["latitude"], "latitude")
    addr = (
        address_counts(table["addresses"].to_numpy(dtype=object), str(path), _row_namer(path))
        if "addresses" in table.columns
        else None
    )
    return table, lon, lat, addr


def read_map_points_csv(path: Union[str, Path]) -> MapPoints:
    """Map points from a CSV with at least longitude and latitude columns (WGS84).

    A label column is required, as in a GeoPackage: without one every published location
    would read "On or near " and nothing else. source, addresses, lsoa_code and lsoa_name
    are optional (missing: "layer", -1, "", ""). A label written "On or near X" is stored
    as "X" (file_labels). Files written by write_map_points_csv round-trip exactly. A file
    holding a NUL byte is refused: pandas' parser ends a cell at one, so
    "Pinehurst\\x00Close" would be published as "On or near Pinehurst".
    """
    _refuse_nul(path)
    header = _csv_header(path)
    _refuse_header(path, header)
    table = _read_typed_csv(path, header)
    if table is not None:
        lon = table["longitude"].to_numpy(np.float64)
        lat = table["latitude"].to_numpy(np.float64)
        addr = _typed_addresses(path, table["addresses"]) if "addresses" in table else None
    else:
        table, lon, lat, addr = _read_text_csv(path)
    _refuse_short_records(path, table)
    if "label" not in table.columns:
        raise MapPointsError(
            f"{shown_path(path)} has no 'label' column; map-point CSVs need the street text each "
            'location is published as ("On or near <label>")'
        )

    clean = [True]  # every text value seen to be a str without a control character

    def text(col: str, default: str) -> np.ndarray:
        if col not in table.columns:
            return same_text(len(table), default)
        column = table[col]
        if isinstance(column.dtype, pd.CategoricalDtype):
            codes = column.cat.codes.to_numpy()
            if not (codes < 0).any():  # (never missing: no text is read as NA)
                categories = column.cat.categories.tolist()
                return _unguarded(categories, clean)[codes]
            column = column.astype(object)
        return _unguarded(column.to_numpy(dtype=object), clean)

    source = text("source", "layer")
    # (the source is a categorical: its few distinct values checked, blanks read as "layer")
    distinct = set(table["source"].cat.categories) if _categorical(table, "source") else None
    if distinct is None:
        distinct = set(source.tolist())
    check_sources(distinct, str(path))
    source = blank_sources_as_layer(source, distinct)
    notes = []
    if (source == "hexagon fallback").any():
        notes.append(
            "Hexagon fallback: these map points are hexagon centres, not "
            "street-level points; locations read 'On or near <area>'."
        )
    return map_points_from_arrays(
        lon,
        lat,
        file_labels(text("label", "")),
        source=source,
        addresses=addr,
        lsoa_code=text("lsoa_code", ""),
        lsoa_name=text("lsoa_name", ""),
        warnings=notes,
        text_checked=clean[0],
        where=str(path),
        sources_checked=True,
        row_name=_row_namer(path),
    )


def _categorical(table: pd.DataFrame, name: str) -> bool:
    return name in table.columns and isinstance(table[name].dtype, pd.CategoricalDtype)


def _typed_addresses(path: Union[str, Path], column: pd.Series) -> np.ndarray:
    """The address counts of the typed read (a categorical of their text): each distinct
    text checked once by address_counts, then spread over the rows by the codes; an error
    names the first row holding the bad value."""
    categories = column.cat.categories.to_numpy(dtype=object)
    codes = column.cat.codes.to_numpy()
    try:
        counts = address_counts(categories)
    except MapPointsError:  # said again for its first row (the file is read as text)
        return address_counts(column.to_numpy(dtype=object), str(path), _row_namer(path))
    if (codes < 0).any():  # (keep_default_na=False: no value is missing)
        raise MapPointsError(
            f"cannot read map points from {shown_path(path)}: an address count is missing"
        )
    return counts[codes]


def _unguarded(values: Union[list, np.ndarray], clean: list[bool]) -> np.ndarray:
    """`values` (str) as an object array with safe_cell's guard quotes undone (an array is
    returned as it is when no value has one); ``clean[0]`` is set False unless every value is
    free of control characters (a guard quote is never one, so undoing it changes nothing
    there)."""
    # (str.join makes a list of an array by iterating it, item by item: tolist is 5x faster)
    joined = "\n" + "\n".join(values.tolist() if isinstance(values, np.ndarray) else values)
    clean[0] = clean[0] and _only_separators_control(joined, len(values))
    if "\n'" not in joined:  # no value starts with a guard quote
        if not isinstance(values, np.ndarray):
            return object_array(values)
        # a view into its table's block of columns is copied (a reference copy, ~10 ms per
        # 750,000), so that a file's other columns are not kept alive with the map points
        return values if values.base is None else values.copy()
    return object_array([_unguard(v) for v in values])


def _only_separators_control(joined: str, separators: int) -> bool:
    """Whether the control characters of `joined` (MapPoints' kind) are its `separators`
    line feeds alone. Counted in its UTF-8 bytes: a control character is one byte below 0x80,
    which UTF-8 never uses inside a longer character."""
    try:
        data = joined.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: left to MapPoints' own check
        return False
    return control_bytes(np.frombuffer(data, dtype=np.uint8)) == separators


def control_bytes(codes: np.ndarray) -> int:
    """How many of the UTF-8 bytes ``codes`` are MapPoints' control characters (0x00-0x1F
    and 0x7F: no byte of a longer character is below 0x80), for the readers that prove text
    clean in bulk (this module's CSV read, map_points_files' GeoPackage read). Two
    comparisons: a 256-entry lookup table indexed by every byte cost five times as much."""
    return int(np.count_nonzero(codes < 0x20)) + int(np.count_nonzero(codes == 0x7F))
