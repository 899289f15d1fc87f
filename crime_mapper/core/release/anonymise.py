"""Turn the internal crimes table into the public release table, the way police.uk does.

Each crime moves to its nearest anonymous map point (:mod:`.snapping`, metres in a projected
CRS); beyond the maximum distance it is published without a location, never dropped. The
public table (:mod:`.public_schema`) is built from public fields only: the month, the forces,
the map point's coordinates, label and LSOA, the public category and outcome, and a salted
Crime ID. Nothing else of the source row is read into it, so exact dates, references, offence
codes and free text cannot reach it.

Every input row meets one fate, counted per category in the audit (:mod:`.audit`): published at
a map point, published without a location (no location in the source, beyond the maximum
distance, or by rule), withheld by rule, or rejected (at load, or here for an unknown
category). The audit says whether these reconcile.

Choices worth knowing:

- LSOA code and name come from the map point, never from the raw row: the LSOA of a force's
  true location can differ from the LSOA of the point it is published at, and would narrow
  the true location down. The one exception is input that is already a police.uk file: there
  the row's LSOA *is* its published point's LSOA, so when the point carries none and the row
  stayed exactly on its own point (displacement under 0.5 m), the row's LSOA is used. The
  audit counts how many rows took that path.
- Row order is by content only (month, crime type, Crime ID, coordinates, location, LSOA,
  forces, outcome), so the public file reveals nothing of source order or time of day, and
  the same rows in any order give the same bytes.
- A blank source reference gives a blank Crime ID (as police.uk leaves ASB blank): hashing an
  empty string would give unrelated crimes one shared ID.

Imports nothing from QGIS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import numpy as np
import pandas as pd

from ..common.feedback import Feedback, ScaledFeedback
from ..common.vocabulary import ASB, MONTH_RE, all_category_names, sensitive_flag
from ..load.validation_report import swallowed_records
from . import audit as audit_module
from . import disclosure
from .audit import ACTION_MAP, ACTION_NO_LOCATION, ACTION_UNKNOWN, UNKNOWN_REJECTED
from .public_schema import (
    LOCATION_PREFIX,
    MIN_SALT_BYTES,
    NO_LOCATION,
    PUBLIC_COLUMNS,
    salt_fingerprint,
    salted_crime_id,
)
from .rules import ACTIONS, DEFAULT_RULES, ReleaseRules
from .snapping import DEFAULT_MAX_DISTANCE_M, MapPointIndex, snap

if TYPE_CHECKING:
    from .map_points import MapPoints

# Columns of the crimes table the public table is made from. Optional ones have defaults:
# has_location (from the coordinates), sensitive (False), lsoa_* and source_format (used only
# for the police.uk LSOA fallback above).
REQUIRED_COLUMNS: tuple[str, ...] = (
    "crime_id",
    "month",
    "reported_by",
    "falls_within",
    "longitude",
    "latitude",
    "crime_type",
    "last_outcome",
)


_MAP, _NO_LOCATION, _UNKNOWN = ACTION_MAP, ACTION_NO_LOCATION, ACTION_UNKNOWN
_SAME_POINT_M = 0.5  # a police.uk row that moved less than this stayed on its own point


class AnonymiseError(ValueError):
    """The inputs cannot make a release; raised before any work starts, naming the problem."""


class DisclosureRefused(AnonymiseError, disclosure.DisclosureError):
    """The release's locations are not anonymous (:mod:`.disclosure`); ``report`` says which
    checks failed. Raised before the public table is made: nothing can be written."""

    def __init__(self, report: disclosure.DisclosureReport) -> None:
        super().__init__(report.message())
        self.report = report


@dataclass
class Release:
    """The public table, its audit, and for each public row the map point it was published at
    (-1 for rows without a location), in the public table's row order."""

    public: pd.DataFrame
    audit: dict
    point_index: np.ndarray


# --- validation -----------------------------------------------------------------------------


def _check_salt(salt: object) -> bytes:
    if salt is None or (isinstance(salt, (bytes, bytearray, str)) and len(salt) == 0):
        raise AnonymiseError(
            "No salt given. Crime IDs are keyed hashes of the source references: supply a "
            f"secret salt of at least {MIN_SALT_BYTES} bytes, kept outside every output and "
            "reused every month so that IDs stay stable."
        )
    if isinstance(salt, str):
        salt = salt.encode("utf-8")
    if not isinstance(salt, (bytes, bytearray)):
        raise AnonymiseError(f"The salt must be bytes (or text), not {type(salt).__name__}.")
    if len(salt) < MIN_SALT_BYTES:
        raise AnonymiseError(
            f"The salt is {len(salt)} bytes; at least {MIN_SALT_BYTES} are needed, or the "
            "Crime IDs could be recomputed from guessed crime references."
        )
    return bytes(salt)


def _validate(crimes: object, points: object, rules: object, max_distance_m: object) -> None:
    if not isinstance(rules, ReleaseRules):
        raise AnonymiseError(f"rules must be a ReleaseRules, not {type(rules).__name__}.")
    try:
        distance = float(max_distance_m)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        distance = math.nan
    if not (math.isfinite(distance) and distance > 0):
        raise AnonymiseError(
            f"The maximum distance must be a positive number of metres, not {max_distance_m!r}."
        )
    if points is None or len(points) == 0:  # type: ignore[arg-type]
        raise AnonymiseError(
            "There are no map points: a release needs anonymous map points to publish crimes "
            "at (a point layer, the force's police.uk history, roads, or the hexagon fallback)."
        )
    if not isinstance(crimes, pd.DataFrame):
        raise AnonymiseError(f"crimes must be a pandas DataFrame, not {type(crimes).__name__}.")
    missing = [c for c in REQUIRED_COLUMNS if c not in crimes.columns]
    if missing:
        raise AnonymiseError(
            f"The crimes table lacks the column(s) {', '.join(missing)}: it is not a loaded "
            "crimes table (crime_mapper.core.load.loader.load_extracts makes one)."
        )


def _known_category_mask(category: np.ndarray) -> np.ndarray:
    return pd.Series(category, dtype=object).isin(all_category_names()).to_numpy(bool)


def _check_content(category: np.ndarray, known: np.ndarray, month: np.ndarray) -> None:
    if not len(category):  # (said first: "no row ... has a known category" blamed the profile)
        raise AnonymiseError(
            "The crimes table has no rows: there is nothing to release (a load of a month "
            "with no crime, or whose every row was rejected: see its validation report)."
        )
    if not known.any():
        sample = sorted({str(c) for c in category if str(c)})[:5]
        raise AnonymiseError(
            f"No row of the {len(category):,} in the crimes table has a known police.uk crime "
            "category"
            + (f" (found {', '.join(map(repr, sample))})" if sample else "")
            + ": check that the mapping profile maps the category or offence column."
        )
    bad = sorted({m for m in pd.unique(month) if not MONTH_RE.fullmatch(m)})
    if bad:
        raise AnonymiseError(
            f"Month must be YYYY-MM; found {', '.join(map(repr, bad[:5]))}. A public release "
            "never carries a date finer than the month."
        )


# --- column helpers -------------------------------------------------------------------------


def _clean_text(values: np.ndarray) -> np.ndarray:
    """Object array of str: missing values become "", anything else str()."""
    values = np.asarray(values, dtype=object)
    out = values.copy()
    missing = pd.isna(values)
    if missing.any():
        out[missing] = ""
    nonstr = np.fromiter((type(v) is not str for v in out), dtype=bool, count=len(out))
    if nonstr.any():
        out[nonstr] = [str(v) for v in out[nonstr]]
    return out


def _text_and_rank(series: pd.Series, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The column's text for `rows` and a rank that orders the text (ties = equal text)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = _clean_text(np.asarray(series.cat.categories, dtype=object))
        cats = np.append(cats, "").astype(object)  # code -1 (missing) -> the last slot
        codes = series.cat.codes.to_numpy()[rows].astype(np.int64)
        codes[codes < 0] = len(cats) - 1
        _, cat_rank = np.unique(cats.astype(str), return_inverse=True)
        return cats[codes], cat_rank[codes]
    text = _clean_text(series.to_numpy(dtype=object)[rows])
    return text, _rank(text)


def _rank(text: np.ndarray) -> np.ndarray:
    if len(text) == 0:
        return np.zeros(0, dtype=np.int64)
    codes, _ = pd.factorize(text, sort=True)
    return codes.astype(np.int64)


def _exact_id_rank(ids: np.ndarray) -> np.ndarray:
    fixed = ids.astype("U64")
    order = np.argsort(fixed, kind="stable")
    ordered = fixed[order]
    step = np.zeros(len(ids), dtype=np.int64)
    step[1:] = ordered[1:] != ordered[:-1]
    rank = np.empty(len(ids), dtype=np.int64)
    rank[order] = np.cumsum(step)
    return rank


def _id_rank(ids: np.ndarray) -> np.ndarray:
    """Rank of 64-hex IDs, blank first (ties = equal IDs).

    The first 16 hex digits, as an unsigned integer, already order half a million random
    hashes several times faster than sorting the strings; if two different IDs ever share
    them, the full strings decide.
    """
    n = len(ids)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    listed = ids.tolist()
    key = _hex_keys(listed)
    if key is None:
        key = np.fromiter((int(h[:16], 16) if h else 0 for h in listed), dtype=np.uint64, count=n)
    unique_keys, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    shared = counts[inverse] > 1
    if shared.any() and len(set(ids[shared].tolist())) > int((counts > 1).sum()):
        return _exact_id_rank(ids)
    return inverse.astype(np.int64)


def _hex_keys(ids: list) -> Optional[np.ndarray]:
    """``int(h[:16], 16)`` (0 for a blank) of every ID, from one hex decoding of them all, when
    every ID is blank or 64 hex digits (what salted_crime_id gives); None otherwise.

    Why: half a million int() calls cost a fifth of a second. bytes.fromhex skips whitespace,
    so a decoded length of exactly 32 bytes per full ID proves every character was a hex
    digit and every ID's first 8 bytes start at its own 32-byte boundary."""
    try:
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        joined = "".join(ids)  # blanks add nothing
    except TypeError:  # not every ID is text
        return None
    full = lengths == 64
    if not (full | (lengths == 0)).all():
        return None
    try:
        raw = bytes.fromhex(joined)
    except ValueError:
        return None
    if len(raw) != 32 * int(np.count_nonzero(full)):
        return None
    key = np.zeros(len(ids), dtype=np.uint64)
    key[full] = np.frombuffer(raw, dtype=">u8")[::4]
    return key


def _flags(series: Optional[pd.Series], n: int, neither: bool = False) -> np.ndarray:
    """A boolean column read safely whatever its storage (bool, 0/1, or text flags read
    back from a layer). A text value that says neither yes nor no (vocabulary.SENSITIVE_YES,
    SENSITIVE_NO; blank is no) is read as ``neither``: the sensitive flag passes True (an
    edited table's "maybe" is withheld as sensitive, fail closed), has_location False."""
    if series is None:
        return np.zeros(n, dtype=bool)
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.fillna(0).to_numpy() != 0
    text = _clean_text(series.to_numpy(dtype=object))
    said = {1: True, 0: False}
    read = {v: said.get(sensitive_flag(v), neither) for v in dict.fromkeys(text.tolist())}
    return np.fromiter(map(read.__getitem__, text.tolist()), dtype=bool, count=n)


def _coordinate_text(values: np.ndarray) -> np.ndarray:
    """police.uk's 6-decimal coordinate text ("-0.000000" never appears)."""
    return np.array([f"{v:.6f}" for v in (values + 0.0).tolist()], dtype=object)


def _public_frame(columns: dict[str, tuple[np.ndarray, np.ndarray]]) -> pd.DataFrame:
    """The public table: column ``name`` is ``values[index]`` for its (values, index).

    Why: each column is gathered once, straight into the frame's one block of objects.
    Gathering the columns in source order, then in public order, then letting pandas copy
    them all into its block moved the national month's 6 million cells three times."""
    count = len(columns[PUBLIC_COLUMNS[0]][1])
    block = np.empty((len(PUBLIC_COLUMNS), count), dtype=object)
    for j, name in enumerate(PUBLIC_COLUMNS):
        values, index = columns[name]
        block[j] = values[index]
    return pd.DataFrame(block.T, columns=list(PUBLIC_COLUMNS))


# --- rejects --------------------------------------------------------------------------------


def _rejected_categories(rejects: Optional[pd.DataFrame]) -> list[str]:
    """The category of each rejected crime row where the raw row still says it (a police.uk
    street row with the right field count), else UNKNOWN_REJECTED. Rejected outcomes and
    stop-and-search rows are not crime rows and are not counted."""
    if rejects is None or len(rejects) == 0:
        return []
    import csv

    from ..common.vocabulary import normalise_category

    kinds = rejects["file_kind"].astype(object).to_numpy() if "file_kind" in rejects else None
    raws = rejects["raw"].astype(object).to_numpy() if "raw" in rejects else None
    out: list[str] = []
    for i in range(len(rejects)):
        kind = kinds[i] if kinds is not None else None
        if kind not in ("street", "force"):
            continue
        category = None
        if kind == "street" and raws is not None and isinstance(raws[i], str):
            try:
                fields = next(csv.reader([raws[i]]))
            except (csv.Error, StopIteration):
                fields = []
            if len(fields) == len(PUBLIC_COLUMNS):
                category = normalise_category(fields[PUBLIC_COLUMNS.index("Crime type")].strip())
        out.append(category or UNKNOWN_REJECTED)
    return out


# --- the step -------------------------------------------------------------------------------


def anonymise(
    crimes: pd.DataFrame,
    points: MapPoints,
    rules: ReleaseRules = DEFAULT_RULES,
    salt: Optional[bytes] = None,
    max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
    rejects: Optional[pd.DataFrame] = None,
    feedback: Optional[Feedback] = None,
    *,
    index: Optional[MapPointIndex] = None,
    other_raw: tuple = (),
) -> Release:
    """Make the public release table and its audit from a loaded crimes table.

    ``salt`` is required (bytes, or text taken as UTF-8, at least 16 bytes). ``rejects`` is
    the loader's rejects table, so the audit can account for rows rejected at load.
    ``index`` lets a caller reuse a MapPointIndex built for ``points``. ``other_raw``: (lon,
    lat) arrays of other loaded months' raw crimes, whose locations must not be map points.
    Writes no files. Raises AnonymiseError before any work when the inputs cannot make a
    release, and DisclosureRefused (an AnonymiseError) when the snapped locations are not
    anonymous (:mod:`.disclosure`: checked on every release, whatever the caller).
    """
    salt_bytes = _check_salt(salt)
    _validate(crimes, points, rules, max_distance_m)
    feedback = feedback or Feedback()
    n = len(crimes)
    every = np.arange(n)
    category, category_rank = _text_and_rank(crimes["crime_type"], every)
    known = _known_category_mask(category)
    month, month_rank = _text_and_rank(crimes["month"], every)
    _check_content(category, known, month)
    feedback.set_progress(1)

    # Action per row: categories and the sensitive flag combine through the rules.
    sensitive = _flags(crimes.get("sensitive"), n, neither=True)
    codes, uniques = pd.factorize(category)
    action_code = {a: i for i, a in enumerate(ACTIONS)}
    plain = np.array(
        [
            action_code[rules.action_for(c)] if c in rules.category_actions else _UNKNOWN
            for c in uniques
        ]
        + [_UNKNOWN],
        dtype=np.int8,
    )
    strict = np.array(
        [
            action_code[rules.action_for(c, sensitive=True)]
            if c in rules.category_actions
            else _UNKNOWN
            for c in uniques
        ]
        + [_UNKNOWN],
        dtype=np.int8,
    )
    action = np.where(sensitive, strict[codes], plain[codes])
    action[~known] = _UNKNOWN

    lon = crimes["longitude"].to_numpy(dtype=np.float64)
    lat = crimes["latitude"].to_numpy(dtype=np.float64)
    has_location = np.isfinite(lon) & np.isfinite(lat)
    if "has_location" in crimes.columns:
        has_location &= _flags(crimes["has_location"], n)

    # Snap only the rows that will be mapped.
    to_snap = (action == _MAP) & has_location
    point = np.full(n, -1, dtype=np.int64)
    distance = np.full(n, np.nan, dtype=np.float64)
    feedback.check()
    if to_snap.any():
        snapped = snap(
            points,
            lon[to_snap],
            lat[to_snap],
            max_distance_m=float(max_distance_m),
            index=index,
            feedback=ScaledFeedback(feedback, 2, 60),
        )
        point[to_snap] = np.asarray(snapped.index, dtype=np.int64)
        distance[to_snap] = np.asarray(snapped.distance_m, dtype=np.float64)
    feedback.check()
    feedback.set_progress(60)

    at_point = point >= 0
    beyond = to_snap & ~at_point

    # Disclosure control, fail closed: the snapped locations must be anonymous.
    exempt = None
    if "source_format" in crimes.columns:
        exempt = _text_and_rank(crimes["source_format"], every)[0] == "police.uk"
    verdict, safe_labels = disclosure.assess_release(
        points,
        point,
        distance,
        lon,
        lat,
        exempt=exempt,
        min_addresses=rules.min_catchment_addresses,
        confirmation=rules.confirm_unknown_catchments,
        other_raw=other_raw,
    )
    if not verdict.passed:
        raise DisclosureRefused(verdict)
    published = (action == _MAP) | (action == _NO_LOCATION)
    rows = np.flatnonzero(published)
    p_point = point[rows]
    p_category = category[rows]
    asb = p_category == ASB

    # Crime ID: keyed hash of the source reference; blank for anti-social behaviour.
    refs = crimes["crime_id"].to_numpy(dtype=object)[rows]
    refs[asb] = ""
    ids = salted_crime_id(refs, salt_bytes)
    feedback.check()
    feedback.set_progress(80)

    # Everything that comes from the map point is formatted once per point used. MapPoints
    # holds its labels and LSOAs as str already (validated on construction).
    used, used_inverse = np.unique(p_point[p_point >= 0], return_inverse=True)
    pt_lon_value = np.asarray(points.longitude, dtype=np.float64)[used]
    pt_lat_value = np.asarray(points.latitude, dtype=np.float64)[used]
    pt_label = np.asarray(safe_labels, dtype=object)[used]
    pt_lsoa_code = np.asarray(points.lsoa_code, dtype=object)[used]
    pt_lsoa_name = np.asarray(points.lsoa_name, dtype=object)[used]
    pt_location = np.array([LOCATION_PREFIX + s for s in pt_label.tolist()], dtype=object)
    slot = np.full(len(rows), len(used), dtype=np.int64)  # len(used) = the no-location slot
    slot[p_point >= 0] = used_inverse

    def per_point(values: np.ndarray, blank: str) -> np.ndarray:
        """The column's text per slot (the no-location slot last): a row's is at its slot."""
        return np.append(values, blank).astype(object)

    longitude = per_point(_coordinate_text(pt_lon_value), "")
    latitude = per_point(_coordinate_text(pt_lat_value), "")
    location = per_point(pt_location, NO_LOCATION)
    lsoa_code = per_point(pt_lsoa_code, "")[slot]
    lsoa_name = per_point(pt_lsoa_name, "")[slot]
    # Place order: by the point's published content (coordinates, label, LSOA); rows without
    # a location first within their group.
    place_order = np.lexsort(
        (_rank(pt_lsoa_name), _rank(pt_lsoa_code), _rank(pt_label), pt_lat_value, pt_lon_value)
    )
    place_rank_pt = np.zeros(len(used) + 1, dtype=np.int64)
    place_rank_pt[place_order] = np.arange(1, len(used) + 1)
    place_rank = place_rank_pt[slot]

    lsoa_from_row = np.zeros(len(rows), dtype=bool)
    lsoa_keys: tuple = ()
    if {"lsoa_code", "lsoa_name", "source_format"} <= set(crimes.columns):
        fmt, _ = _text_and_rank(crimes["source_format"], rows)
        lsoa_from_row = (
            (fmt == "police.uk")
            & (p_point >= 0)
            & (lsoa_code == "")
            & (distance[rows] < _SAME_POINT_M)
        )
        if lsoa_from_row.any():
            pick = rows[lsoa_from_row]
            lsoa_code[lsoa_from_row] = _text_and_rank(crimes["lsoa_code"], pick)[0]
            lsoa_name[lsoa_from_row] = _text_and_rank(crimes["lsoa_name"], pick)[0]
            lsoa_keys = (_rank(lsoa_name), _rank(lsoa_code))  # no longer fixed by the point

    reported, reported_rank = _text_and_rank(crimes["reported_by"], rows)
    falls, falls_rank = _text_and_rank(crimes["falls_within"], rows)
    outcome, outcome_rank = _text_and_rank(crimes["last_outcome"], rows)
    outcome[asb] = ""
    outcome_rank[asb] = -1
    head = month_rank[rows] * (int(category_rank.max()) + 1) + category_rank[rows]
    tail = (
        (reported_rank * (int(falls_rank.max(initial=0)) + 1) + falls_rank)
        * (int(outcome_rank.max(initial=0)) + 2)
        + outcome_rank
        + 1
    )
    order = np.lexsort((tail, *lsoa_keys, place_rank, _id_rank(ids), head))
    at, place = rows[order], slot[order]  # each public row's crimes row and point slot
    public = _public_frame(
        {
            "Crime ID": (ids, order),
            "Month": (month, at),
            "Reported by": (reported, order),
            "Falls within": (falls, order),
            "Longitude": (longitude, place),
            "Latitude": (latitude, place),
            "Location": (location, place),
            "LSOA code": (lsoa_code, order),
            "LSOA name": (lsoa_name, order),
            "Crime type": (category, at),
            "Last outcome category": (outcome, order),
            "Context": (np.array([""], dtype=object), np.zeros(len(order), dtype=np.intp)),
        }
    )
    point_index = p_point[order]
    feedback.check()
    feedback.set_progress(90)

    audit = audit_module.build_audit(
        category=category,
        known=known,
        action=action,
        has_location=has_location,
        at_point=at_point,
        beyond=beyond,
        sensitive=sensitive,
        distance=distance,
        points=points,
        used_points=used,
        rejected_categories=_rejected_categories(rejects),
        months=month,
        reported_by=_text_and_rank(crimes["reported_by"], every)[0],
        source_format=(
            _text_and_rank(crimes["source_format"], every)[0]
            if "source_format" in crimes.columns
            else None
        ),
        lsoa_from_row=int(lsoa_from_row.sum()),
        published_rows=len(rows),
        settings={
            "max_distance_m": float(max_distance_m),
            "rules": rules.to_dict(),
            "salt_fingerprint": salt_fingerprint(salt_bytes),
        },
    )
    audit["disclosure"] = verdict.to_dict()
    audit["warnings"].extend(swallowed_records(rejects))
    if verdict.labels_reduced:
        audit["warnings"].append(
            f"{len(verdict.labels_reduced):,} map point label(s) carried a house or flat number "
            "and were reduced to the street (e.g. "
            + ", ".join(repr(v) for v in sorted(set(verdict.labels_reduced))[:3])
            + ")."
        )
    feedback.set_progress(100)
    return Release(public=public, audit=audit, point_index=point_index)
