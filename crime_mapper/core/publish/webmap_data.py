"""Aggregate street rows to one record per map point, the shape the web page draws from.

Why per map point and not per crime (qgis2web's one GeoJSON feature per crime): a national
month is 500,000 crimes on about 120,000 points, so a per-point record with sparse counts by
(category, month) is a fraction of the size, and the page can recount a filter by summing small
integer arrays (milliseconds) instead of rebuilding a marker layer (seconds).

The record layout (JSON, so the leak gate reads every string and number; the positions
in one string of letters, and each per-point or per-entry array as {"encoding":
"naturals-base26", "values": <letters>} (core.common.letter_digits: half the bytes of JSON
integers), which the gate decodes to check every value):
  points.coordinates  the points' (lon, lat), exactly as published (6 dp), in
                      core.common.position_codec's ENCODING (points.encoding names it)
  point_label         label index per point  into ``labels`` ("" = police.uk's empty label)
  point_area          area index per point   into ``areas`` (neighbourhood or district)
  point_n             entries per point      (prefix sums give each point's slice)
  entry_key           category * n_months + month
  entry_count         crimes at that point, category and month
  outcome_n / outcome_key (outcome * n_months + month) / outcome_count: latest outcomes
  nolocation_key / nolocation_count: rows published without a location (table and totals only)
Only values of the public schema go in: categories, months, "On or near" labels, area names
derived from LSOA names or a public neighbourhood layer, outcome names, counts, coordinates.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Optional, Union

import numpy as np
import pandas as pd

from ..common.letter_digits import NATURALS_ENCODING, naturals_to_letters
from ..common.palette import CATEGORY_STYLES
from ..common.text_file import page_line
from ..common.vocabulary import (
    LEGACY_CATEGORIES,
    OUTCOME_NAMES,
    normalise_category,
    normalise_outcome,
)
from ..release.public_schema import LOCATION_PREFIX, NO_LOCATION
from .neighbourhoods import NO_LOCATION_LABEL, OUTSIDE_LABEL
from .webmap_areas import RowAreas
from .webmap_inputs import WebmapInputError, parse_coordinates

NO_LOCATION_AREA = NO_LOCATION_LABEL
_LSOA_SUFFIX = re.compile(r"\s+\d{3}[A-Z]$")


@dataclass
class WebmapData:
    """The JSON-ready page data and the figures an export reports."""

    data: dict[str, Any]
    crimes: int
    mapped: int
    points: int
    months: list[str]
    point_lon: np.ndarray
    point_lat: np.ndarray


def district_of(lsoa_name: str) -> str:
    """The local authority part of an LSOA name ('Leicester 001A' -> 'Leicester'): the area
    a page groups by when no neighbourhood layer was given (LSOAs are too many to list)."""
    return _LSOA_SUFFIX.sub("", lsoa_name.strip())


def month_range(present: list[str]) -> list[str]:
    """Every calendar month from the first to the last present (gaps included, so "the last
    3 months" means three calendar months even when a month's file is missing)."""
    first, last = min(present), max(present)
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while True:
        text = f"{y:04d}-{m:02d}"
        out.append(text)
        if text >= last:
            return out
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def _categories(street: pd.DataFrame) -> pd.Series:
    raw = street["Crime type"]
    uniques = raw.unique()
    mapping = {u: normalise_category(u) for u in uniques}
    unknown = [u for u, v in mapping.items() if v is None]
    if unknown:
        shown = ", ".join(repr(u) for u in unknown[:5])
        raise WebmapInputError(f"Crime type values that are not police.uk categories: {shown}")
    return raw.map(mapping)


def latest_outcomes(street: pd.DataFrame, outcomes: pd.DataFrame) -> pd.Series:
    """Per street row, the latest outcome: an outcomes file's latest row for that Crime ID
    (outcomes of later months update earlier crimes), else the street file's own last
    outcome. Spelling variants are folded to the vocabulary; unknown texts are kept (public)."""
    latest = street["Last outcome category"].copy()
    if len(outcomes):
        ordered = outcomes[outcomes["Crime ID"] != ""].sort_values("Month", kind="stable")
        last = ordered.drop_duplicates("Crime ID", keep="last").set_index("Crime ID")
        update = street["Crime ID"].map(last["Outcome type"])
        has = update.notna() & (street["Crime ID"] != "")
        latest = latest.where(~has, update)
    uniques = latest.unique()
    folded = {u: (normalise_outcome(u) or u.strip()) for u in uniques}
    return latest.map(folded)


def _index(values: list[str]) -> dict[str, int]:
    return {v: i for i, v in enumerate(values)}


def _sparse(
    point: np.ndarray, key: np.ndarray, n_points: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(entries per point, keys, counts) of (point, key) pairs, sorted by point then key."""
    if point.size == 0:
        return np.zeros(n_points, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    combo = point.astype(np.int64) * (int(key.max()) + 1) + key
    uniq, counts = np.unique(combo, return_counts=True)
    width = int(key.max()) + 1
    pts = uniq // width
    keys = uniq % width
    per_point = np.bincount(pts, minlength=n_points)
    return per_point, keys, counts


def naturals(values: np.ndarray) -> dict[str, str]:
    """A per-point or per-entry array as the page data holds it: its numbers in letters
    (core.common.letter_digits: half the bytes of JSON integers, parsed by neither the page
    nor the leak gate as millions of numbers; the gate decodes and checks every one)."""
    return {"encoding": NATURALS_ENCODING, "values": naturals_to_letters(values)}


def _row_areas(
    street: pd.DataFrame, row_areas: Optional[Union[Sequence[str], RowAreas]], rows: np.ndarray
) -> tuple[np.ndarray, list[str]]:
    """(each of ``rows``' area as an index into the sorted area names, those names): its
    neighbourhood when ``row_areas`` is given (names, or RowAreas: their indexes grouped,
    each index named once), else the local authority district of its LSOA name; each name
    made once per distinct value, not per row."""
    if isinstance(row_areas, RowAreas):
        codes, distinct = pd.factorize(row_areas.index[rows])
        codes = codes.astype(np.int64)
        names = list(row_areas.names)
        texts = [names[i] if i >= 0 else OUTSIDE_LABEL for i in distinct.tolist()]
    elif row_areas is not None:
        codes, texts = _per_distinct(np.asarray(row_areas, dtype=object)[rows], str)
    else:
        codes, texts = _per_distinct(
            street["LSOA name"].to_numpy(dtype=object)[rows],
            lambda n: district_of(str(n)) or "Unknown area",
        )
    names = sorted(set(texts))
    index = _index(names)
    to_name = np.asarray([index[t] for t in texts], dtype=np.int64)
    return (to_name[codes] if len(codes) else codes), names


def aggregate(
    street: pd.DataFrame,
    outcomes: pd.DataFrame,
    row_areas: Optional[Union[Sequence[str], RowAreas]] = None,
    area_names: Sequence[str] = (),
    lon: Optional[np.ndarray] = None,
    lat: Optional[np.ndarray] = None,
) -> WebmapData:
    """One record per map point (see the module docstring).

    ``row_areas``: the area name of each street row, or RowAreas (a neighbourhood
    assignment; rows at one position in two areas are a record each); None groups by local
    authority district from the LSOA names.
    ``area_names``: areas listed even when no crime falls in them (every neighbourhood).
    """
    cats = _categories(street)
    outcome = latest_outcomes(street, outcomes)
    months = month_range(street["Month"].unique().tolist())
    month_idx = street["Month"].map(_index(months)).to_numpy(np.int64)
    present = set(cats.unique())
    categories = [name for name in CATEGORY_STYLES if name in present or not _legacy(name)]
    cat_idx = cats.map(_index(categories)).to_numpy(np.int64)
    n_months = len(months)

    if lon is None or lat is None:  # parsed by the reader when it made ``street``
        lon = parse_coordinates(street["Longitude"])
        lat = parse_coordinates(street["Latitude"])
    located = np.isfinite(lon) & np.isfinite(lat)
    loc_rows = np.flatnonzero(located)

    # one point per distinct (Longitude, Latitude, Location) as published, and area: rows at
    # one position in two neighbourhoods (a crime's LSOA decides it, and a point's LSOA can
    # differ between months) are two records there, so that each area's count is its own
    # crimes (as the summaries count them), not all the point's under its first row's area.
    # Integer keys, not joined strings: (micro-degree lon, lat), the label text, the area
    ll = (np.round(lon[loc_rows] * 1e6).astype(np.int64) + 20_000_000) * (1 << 27) + (
        np.round(lat[loc_rows] * 1e6).astype(np.int64) + 20_000_000
    )
    ll_codes, ll_uniques = pd.factorize(ll, sort=True)
    loc_codes, loc_uniques = pd.factorize(street["Location"].to_numpy(dtype=object)[loc_rows])
    row_area_codes, row_area_uniques = _row_areas(street, row_areas, loc_rows)
    codes, uniq = _points_of(
        ll_codes, len(ll_uniques), loc_codes, len(loc_uniques), row_area_codes,
        len(row_area_uniques),
    )  # fmt: skip
    n_points = len(uniq)
    first = np.zeros(n_points, dtype=np.int64)
    if n_points:
        first[codes[::-1]] = loc_rows[::-1]  # first row of each point
    p_lon = np.round(lon[first], 6) if n_points else np.zeros(0)
    p_lat = np.round(lat[first], 6) if n_points else np.zeros(0)
    loc_text = street["Location"].to_numpy(dtype=object)[first]
    label_codes, label_texts = _per_distinct(loc_text, _label)
    labels = sorted(set(label_texts))
    label_of = _index(labels)
    point_label = np.asarray([label_of[t] for t in label_texts], np.int64)[label_codes]

    area_codes, area_texts = np.zeros(n_points, dtype=np.int64), list(row_area_uniques)
    if n_points:
        area_codes[codes] = row_area_codes  # (one area per point, by the key above)
    areas = sorted(set(area_texts) | set(area_names))
    if (~located).any():
        areas.append(NO_LOCATION_AREA)
    area_of = _index(areas)
    point_area = np.asarray([area_of[t] for t in area_texts], np.int64)[area_codes]

    key = cat_idx * n_months + month_idx
    point_n, entry_key, entry_count = _sparse(codes.astype(np.int64), key[loc_rows], n_points)

    present_outcomes = set(outcome.unique())
    out_names = [o for o in OUTCOME_NAMES if o in present_outcomes]
    out_names += sorted(present_outcomes - set(out_names) - {""})
    has_out = (outcome != "").to_numpy() & located
    out_idx = outcome.map(_index(out_names)).to_numpy()
    code_of_row = np.full(len(street), -1, dtype=np.int64)
    code_of_row[loc_rows] = codes
    rows = np.flatnonzero(has_out)
    okey = out_idx[rows].astype(np.int64) * n_months + month_idx[rows]
    outcome_n, outcome_key, outcome_count = _sparse(code_of_row[rows], okey, n_points)

    nl_keys, nl_counts = np.unique(key[~located], return_counts=True)
    palette = {c["name"]: c for c in _palette()}
    data = {
        "format": "crime_mapper.webmap/3",
        "months": months,
        "categories": [
            {k: palette[name][k] for k in ("name", "slug", "group", "colour", "marker", "label")}
            for name in categories
        ],
        "outcomes": out_names,
        "labels": labels,
        "areas": areas,
        "points": {"coordinates": None},  # written by webmap_export (position_codec)
        "point_label": naturals(point_label),
        "point_area": naturals(point_area),
        "point_n": naturals(point_n),
        "entry_key": naturals(entry_key),
        "entry_count": naturals(entry_count),
        "outcome_n": naturals(outcome_n),
        "outcome_key": naturals(outcome_key),
        "outcome_count": naturals(outcome_count),
        "nolocation_area": area_of.get(NO_LOCATION_AREA, -1),
        "nolocation_key": nl_keys.tolist(),
        "nolocation_count": nl_counts.tolist(),
    }
    return WebmapData(
        data=data,
        crimes=len(street),
        mapped=int(located.sum()),
        points=n_points,
        months=months,
        point_lon=p_lon,
        point_lat=p_lat,
    )


def _points_of(
    place: np.ndarray, places: int, label: np.ndarray, labels: int, area: np.ndarray, areas: int
) -> tuple[np.ndarray, np.ndarray]:
    """pd.factorize(sort=True) of the (place, label, area) codes' triples: each row's point,
    numbered in the triples' order. One key and one factorization where the three counts'
    product fits 62 bits (a national month: the intermediate (place, label) factorization
    cost 0.05 s), else (place, label) numbered first."""
    labels, areas = max(labels, 1), max(areas, 1)
    place = place.astype(np.int64)
    if max(places, 1) * labels * areas < 1 << 62:
        return pd.factorize((place * labels + label) * areas + area, sort=True)
    pair, _ = pd.factorize(place * labels + label, sort=True)
    return pd.factorize(pair.astype(np.int64) * areas + area, sort=True)


def _per_distinct(values: np.ndarray, fn: Any) -> tuple[np.ndarray, list[str]]:
    """(code per value, fn of each distinct value): a text function run once per distinct
    value (a national month has 120,000 points but far fewer distinct streets and areas)."""
    if len(values) == 0:
        return np.zeros(0, np.int64), []
    codes, uniques = pd.factorize(values, sort=False)
    return codes.astype(np.int64), [fn(u) for u in uniques]


def _legacy(name: str) -> bool:
    return name in LEGACY_CATEGORIES


def _palette() -> list[dict]:
    from ..common.palette import palette_json

    return palette_json()["categories"]


def _label(location: str) -> str:
    """The street part of police.uk's Location ('' for its empty labels), as a page shows
    it (page_line: no bidi control or other format character; white space folded, as the
    leak gate folds it, before the prefix is looked for)."""
    text = page_line(str(location))
    if text == NO_LOCATION:
        return ""
    if text.startswith(LOCATION_PREFIX):
        text = text[len(LOCATION_PREFIX) :]
    elif text.startswith(LOCATION_PREFIX.rstrip()):
        text = text[len(LOCATION_PREFIX.rstrip()) :]
    return text
