"""Turn a real published police.uk month back into a realistic raw force extract.

Why: issue 3 asks that anonymising a force extract with map points derived from the published
police.uk history sends at least 99% of crimes back to the point police.uk published them at.
We hold no raw force data (nobody may), so this builds the nearest honest stand-in from a real
published month:

- every crime published at a point is moved to a random *true* location inside that point's
  catchment, i.e. its cell of the Voronoi diagram of all map points (the region nearer to it
  than to any other point), measured in metres in the British National Grid: a location is
  drawn uniformly in a disc around the point and redrawn until the point's own map point is
  the nearest (a cKDTree of all map points). The easting/northing written is rounded to the
  metre, as force systems hold them, so a few crimes drawn right on a cell edge land nearer a
  neighbour: that is what the 99% allows for;
- crimes police.uk published without a location stay without one (blank easting/northing);
- an exact date and time inside the month, a crime reference ("LE/22/012345"), an offence
  description consistent with the category (the bundled offence table read in reverse, so the
  loader maps it back to the same category), the outcome, a sensitive flag (mostly "N"), a
  free-text note and the officer in the case (names, house numbers, phone numbers: exactly the
  values that must never reach a public output);
- a :class:`~crime_mapper.core.load.mapping_profile.MappingProfile` that reads the columns, and the
ground
  truth per raw row: the police.uk Crime ID, point and label the crime was published with.

Deterministic for a given seed. :func:`run_recovery` is the whole measurement (load history,
derive map points, generate, load the extract, anonymise, compare), shared by
``tests/test_police_uk_recovery.py`` and the report mode::

    /usr/bin/python3 -m tests.support.raw_extract --report

which prints the figure for the bundled sample months and, where the checkout has
``../shared/data``, for the 35 real Leicestershire months.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # run as a script / module from anywhere
    sys.path.insert(0, str(REPO))

from crime_mapper.core.common import geography  # noqa: E402
from crime_mapper.core.load.mapping_profile import DEFAULT_OFFENCE_TABLE, MappingProfile  # noqa: E402

PathLike = Union[str, Path]

DEFAULT_SEED = 20221003
DEFAULT_SENSITIVE_SHARE = 0.005
HO_CODE_SHARE = 0.15  # rows whose offence is written as a Home Office code, where one exists
MAX_RADIUS_M = 1_000.0  # a true location is never drawn further than this from its point
MIN_RADIUS_M = 5.0
MAX_ROUNDS = 60

# The raw extract's header: names a force records system might use (and that the loader's
# header detection also recognises), plus two free-text columns no profile maps.
COLUMNS = {
    "crime_ref": "Crime Reference",
    "date": "Offence Date",
    "time": "Offence Time",
    "offence": "Offence Description",
    "x": "Easting",
    "y": "Northing",
    "outcome": "Outcome",
    "sensitive": "Sensitive",
}
NOTE_COLUMN = "MO Notes"
OFFICER_COLUMN = "Officer In Case"
HEADER = (
    COLUMNS["crime_ref"], COLUMNS["date"], COLUMNS["time"], COLUMNS["offence"],
    COLUMNS["x"], COLUMNS["y"], NOTE_COLUMN, OFFICER_COLUMN, COLUMNS["outcome"],
    COLUMNS["sensitive"],
)  # fmt: skip
DATE_FORMAT = "%d/%m/%Y %H:%M"  # the profile reads date + " " + time

FORCE_CODES = {"Leicestershire Police": "LE", "Northumbria Police": "NB"}
FORCE_COLUMN = "Force"  # only in extracts covering several forces (the national benchmark)


def _force_code(force: str) -> str:
    """A two-letter reference prefix: a known one, else the force name's initials."""
    if force in FORCE_CODES:
        return FORCE_CODES[force]
    initials = "".join(w[0] for w in force.split() if w[:1].isalpha()).upper()
    return (initials + "XX")[:2]


_FIRST = (
    "Amir",
    "Bethany",
    "Callum",
    "Deepa",
    "Edward",
    "Fatima",
    "Grace",
    "Harjit",
    "Imran",
    "Jessica",
    "Kieran",
    "Leah",
    "Mohammed",
    "Nadia",
    "Owen",
    "Priya",
    "Ryan",
    "Sophie",
    "Tomasz",
    "Yasmin",
)
_SURNAMES = (
    "Ahmed",
    "Brown",
    "Chauhan",
    "Davies",
    "Evans",
    "Fletcher",
    "Green",
    "Hussain",
    "Iqbal",
    "Jones",
    "Kowalski",
    "Lewis",
    "Mistry",
    "Nowak",
    "Okafor",
    "Patel",
    "Roberts",
    "Smith",
    "Taylor",
    "Wilson",
)
_NOTES = (
    "Victim {name} reports incident at {num} {street}; contact on 07700 900{tel:03d}.",
    "Suspect described as male, 20s, dark clothing, seen leaving {num} {street} on foot.",
    "Informant {name} ({num} {street}) heard shouting; CCTV requested from premises.",
    "Entry via rear of {num} {street}. Neighbour {name} saw a grey van, partial VRM LR{tel}.",
    "Caller {name} states repeat incident near {num} {street}. Refer to neighbourhood team.",
    "Witness {name}, tel 07700 900{tel:03d}, gave statement at scene ({num} {street}).",
)
_NOTES_NO_LOCATION = (
    "Reported online by {name}; no scene. Contact 07700 900{tel:03d}.",
    "Telephone report from {name}; location unknown, enquiries ongoing.",
)


@dataclass
class RawExtract:
    """A generated raw force extract and the ground truth behind it.

    ``frame`` is the extract exactly as written (every cell a string, ``HEADER`` order);
    ``truth`` has one row per raw row: ``reference`` (the raw crime reference),
    ``crime_id`` (police.uk's published Crime ID, blank for anti-social behaviour),
    ``crime_type``, ``has_location``, ``longitude``/``latitude`` (the published point, NaN
    without a location), ``location`` (the published Location text), ``point`` (index of the
    published point among the map points, -1 without a location or where the published point
    is not among them), ``true_x``/``true_y`` (the generated true location in ``crs``) and
    ``fallback`` (True where no random location inside the catchment was found and the
    crime was put on its point).
    """

    frame: pd.DataFrame
    truth: pd.DataFrame
    profile: MappingProfile
    crs: str = geography.BRITISH_NATIONAL_GRID
    notes: list[str] = field(default_factory=list)

    def write(self, path: PathLike) -> Path:
        """Write the extract as a force system would export it (UTF-8, CRLF)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.frame.to_csv(path, index=False, lineterminator="\r\n", encoding="utf-8")
        return path


# --- offences ---------------------------------------------------------------------------------


_HO_CODE = re.compile(r"^\d+[A-Z]?$")


def offences_by_category(table: PathLike = DEFAULT_OFFENCE_TABLE) -> dict[str, tuple[list, list]]:
    """The bundled offence table in reverse: category -> (descriptions, Home Office codes)."""
    import csv

    out: dict[str, tuple[list, list]] = {}
    with open(table, newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            offence, category = row["offence"].strip(), row["category"].strip()
            if not offence:
                continue
            descriptions, codes = out.setdefault(category, ([], []))
            (codes if _HO_CODE.match(offence) else descriptions).append(offence)
    return out


def _offences(categories: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    table = offences_by_category()
    out = np.empty(len(categories), dtype=object)
    for category in pd.unique(categories):
        rows = np.flatnonzero(categories == category)
        if category not in table or not table[category][0]:
            raise ValueError(f"the offence table has no offence for category {category!r}")
        descriptions, codes = table[category]
        picked = np.array(descriptions, dtype=object)[rng.integers(0, len(descriptions), rows.size)]
        if codes:
            use_code = rng.random(rows.size) < HO_CODE_SHARE
            picked[use_code] = np.array(codes, dtype=object)[
                rng.integers(0, len(codes), int(use_code.sum()))
            ]
        out[rows] = picked
    return out


# --- true locations inside the catchments -----------------------------------------------------


def catchment_locations(
    points_x: np.ndarray,
    points_y: np.ndarray,
    own: np.ndarray,
    rng: np.random.Generator,
    max_radius_m: float = MAX_RADIUS_M,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A random location inside the catchment (Voronoi cell) of map point ``own[i]`` per row.

    The disc drawn in has 1.5 times the distance from the point to its nearest neighbour as
    radius (clipped to [MIN_RADIUS_M, max_radius_m]): large enough to reach into the far
    corners of most cells, small enough that most draws are accepted. A draw is kept when no
    other map point is strictly nearer than the own point (ties go to the own point: two map
    points never share a coordinate). Rows still pending after MAX_ROUNDS (ever smaller
    discs from round 20) are put on the point itself. Returns (x, y, fallback) in metres,
    unrounded.
    """
    from scipy.spatial import cKDTree

    xy = np.column_stack([points_x, points_y])
    tree = cKDTree(xy)
    if len(xy) > 1:
        nn, _ = tree.query(xy, k=2)
        gap = nn[:, 1]
    else:
        gap = np.full(1, max_radius_m)
    radius = np.clip(1.5 * gap[own], MIN_RADIUS_M, max_radius_m)
    cx, cy = xy[own, 0], xy[own, 1]
    x, y = cx.copy(), cy.copy()
    pending = np.arange(len(own))
    for round_no in range(MAX_ROUNDS):
        if pending.size == 0:
            break
        shrink = 0.8 ** max(0, round_no - 20)
        r = radius[pending] * shrink * np.sqrt(rng.random(pending.size))
        theta = rng.random(pending.size) * 2 * np.pi
        tx = cx[pending] + r * np.cos(theta)
        ty = cy[pending] + r * np.sin(theta)
        nearest, _ = tree.query(np.column_stack([tx, ty]), k=1)
        own_d = np.hypot(tx - cx[pending], ty - cy[pending])
        ok = own_d <= nearest + 1e-9
        x[pending[ok]], y[pending[ok]] = tx[ok], ty[ok]
        pending = pending[~ok]
    fallback = np.zeros(len(own), dtype=bool)
    fallback[pending] = True  # x, y stay on the point itself
    return x, y, fallback


# --- the generator ----------------------------------------------------------------------------


def _month_datetimes(months: np.ndarray, rng: np.random.Generator) -> pd.DatetimeIndex:
    start = pd.to_datetime(pd.Series(months, dtype=object) + "-01", format="%Y-%m-%d")
    end = start + pd.offsets.MonthBegin(1)
    span = (end - start).dt.total_seconds().to_numpy()
    offset = np.floor(rng.random(len(months)) * span / 60.0) * 60.0  # to the minute
    return pd.DatetimeIndex(start + pd.to_timedelta(offset, unit="s"))


def _notes(label: np.ndarray, located: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = len(label)
    first = np.array(_FIRST, dtype=object)[rng.integers(0, len(_FIRST), n)]
    last = np.array(_SURNAMES, dtype=object)[rng.integers(0, len(_SURNAMES), n)]
    num = rng.integers(1, 240, n)
    tel = rng.integers(0, 1000, n)
    pick = rng.integers(0, 1_000_000, n)
    out = np.empty(n, dtype=object)
    for i in range(n):
        name = f"{first[i]} {last[i]}"
        if located[i]:
            street = label[i] or "service road (unnamed)"
            template = _NOTES[pick[i] % len(_NOTES)]
        else:
            street = ""
            template = _NOTES_NO_LOCATION[pick[i] % len(_NOTES_NO_LOCATION)]
        out[i] = template.format(name=name, num=num[i], street=street, tel=tel[i])
    return out


def make_profile(force: str, crs: str = geography.BRITISH_NATIONAL_GRID) -> MappingProfile:
    """The mapping profile that reads a generated extract."""
    return MappingProfile(
        name=f"Synthetic {force} records-system extract (tests.support.raw_extract)",
        columns=dict(COLUMNS), crs=crs, date_format=DATE_FORMAT,
        reported_by=force, falls_within=force)  # fmt: skip


def make_raw_extract(
    published: pd.DataFrame,
    points: Any,
    seed: int = DEFAULT_SEED,
    sensitive_share: float = DEFAULT_SENSITIVE_SHARE,
    crs: str = geography.BRITISH_NATIONAL_GRID,
    max_radius_m: float = MAX_RADIUS_M,
) -> RawExtract:
    """A raw force extract for the crimes of ``published`` (a loaded police.uk crimes table,
    schema.CRIME_COLUMNS) against ``points`` (anything with WGS84 ``longitude``/``latitude``
    arrays: core.release.map_points.MapPoints). Rows come out in a shuffled order, as a records
    system would not sort them like police.uk does."""
    rng = np.random.default_rng(seed)
    n = len(published)
    order = rng.permutation(n)
    pub = published.iloc[order].reset_index(drop=True)

    located = pub["has_location"].to_numpy(dtype=bool)
    p_lon = np.asarray(points.longitude, dtype=np.float64)
    p_lat = np.asarray(points.latitude, dtype=np.float64)
    px, py = geography.transform(p_lon, p_lat, geography.WGS84, crs)
    lon = pub["longitude"].to_numpy(dtype=np.float64)
    lat = pub["latitude"].to_numpy(dtype=np.float64)

    from scipy.spatial import cKDTree

    tree = cKDTree(np.column_stack([px, py]))
    point = np.full(n, -1, dtype=np.int64)
    true_x = np.full(n, np.nan)
    true_y = np.full(n, np.nan)
    fallback = np.zeros(n, dtype=bool)
    notes: list[str] = []
    idx = np.flatnonzero(located)
    if idx.size:
        cx, cy = geography.transform(lon[idx], lat[idx], geography.WGS84, crs)
        dist, nearest = tree.query(np.column_stack([cx, cy]), k=1)
        among = dist < 0.5  # the published point is one of the map points
        if not among.all():
            notes.append(
                f"{int((~among).sum())} published points are not among the map "
                "points: those crimes cannot be sent back to them"
            )
        point[idx[among]] = nearest[among]
        # a published point missing from the map points still gets a location near itself
        own = nearest.copy()
        gx, gy, fb = catchment_locations(px, py, own, rng, max_radius_m)
        shift_x, shift_y = gx - px[own], gy - py[own]
        true_x[idx] = cx + shift_x
        true_y[idx] = cy + shift_y
        fallback[idx] = fb
        if fb.any():
            notes.append(
                f"{int(fb.sum())} crimes put on their point (no draw fell inside the catchment)"
            )

    months = pub["month"].astype(str).to_numpy()
    when = _month_datetimes(months, rng)
    forces = pub["reported_by"].astype(str).to_numpy(dtype=object)
    force = str(pd.Series(forces).mode().iat[0]) if n else "Force"
    several = len(pd.unique(forces)) > 1  # a national table: a force column of its own
    codes = {f: _force_code(f) for f in pd.unique(forces)}
    serial = rng.permutation(n) + 1000
    reference = np.array(
        [f"{codes[f]}/{m[2:4]}/{s:06d}" for f, m, s in zip(forces, months, serial)], dtype=object
    )

    category = pub["crime_type"].astype(str).to_numpy(dtype=object)
    location = pub["location"].astype(str).to_numpy(dtype=object)
    label = np.array(
        [s[len("On or near ") :] if s.startswith("On or near ") else "" for s in location],
        dtype=object,
    )
    outcome = pub["last_outcome"].astype(object).where(pub["last_outcome"].notna(), "")
    sensitive = np.where(rng.random(n) < sensitive_share, "Y", "N").astype(object)
    officer = np.char.add(
        np.char.add("PC ", rng.integers(1000, 9999, n).astype(str)),
        np.char.add(" ", np.array(_SURNAMES)[rng.integers(0, len(_SURNAMES), n)]),
    ).astype(object)

    east = np.where(located, np.round(true_x), np.nan)
    north = np.where(located, np.round(true_y), np.nan)

    def grid(values: np.ndarray) -> np.ndarray:
        return np.array(["" if np.isnan(v) else str(int(v)) for v in values], dtype=object)

    frame = pd.DataFrame({
        COLUMNS["crime_ref"]: reference,
        COLUMNS["date"]: when.strftime("%d/%m/%Y").to_numpy(dtype=object),
        COLUMNS["time"]: when.strftime("%H:%M").to_numpy(dtype=object),
        COLUMNS["offence"]: _offences(category, rng),
        COLUMNS["x"]: grid(east),
        COLUMNS["y"]: grid(north),
        NOTE_COLUMN: _notes(label, located, rng),
        OFFICER_COLUMN: officer,
        COLUMNS["outcome"]: outcome.to_numpy(dtype=object),
        COLUMNS["sensitive"]: sensitive,
    }, columns=list(HEADER))  # fmt: skip
    if several:
        frame.insert(1, FORCE_COLUMN, forces)
    truth = pd.DataFrame(
        {
            "reference": reference,
            "crime_id": pub["crime_id"].astype(str).to_numpy(dtype=object),
            "crime_type": category,
            "has_location": located,
            "longitude": np.where(located, lon, np.nan),
            "latitude": np.where(located, lat, np.nan),
            "location": location,
            "point": point,
            "true_x": east,
            "true_y": north,
            "fallback": fallback,
            "sensitive": sensitive == "Y",
        }
    )
    profile = make_profile(force, crs)
    if several:
        profile.columns.update(reported_by=FORCE_COLUMN, falls_within=FORCE_COLUMN)
        profile.reported_by = profile.falls_within = ""
        profile.name = "Synthetic multi-force records-system extract (tests.support.raw_extract)"
    return RawExtract(frame, truth, profile, crs, notes)


# --- the measurement --------------------------------------------------------------------------


@dataclass
class RecoveryFigure:
    """How many crimes the anonymiser sent back to the point police.uk published them at."""

    name: str
    history_months: int
    map_points: int
    raw_rows: int
    loaded_rows: int
    rejected_rows: int
    published_at_point: int  # police.uk published these at a point: the denominator
    recovered: int  # ...and the release put them on that very point
    elsewhere: int  # at another map point
    no_location: int  # published at a point by police.uk, without a location by us
    missing: int  # not in the public table at all
    no_location_kept: int  # police.uk: no location; release: no location too
    no_location_total: int
    labels_match: int  # recovered rows whose Location text is police.uk's too
    seconds: float
    audit_counts: dict = field(default_factory=dict)
    leak_gate: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def fraction(self) -> float:
        return self.recovered / self.published_at_point if self.published_at_point else 0.0

    def text(self) -> str:
        lines = [
            f"{self.name}: {self.recovered:,} of {self.published_at_point:,} crimes published "
            f"at a point went back to their original police.uk point: {self.fraction:.2%}",
            f"  history months {self.history_months}, map points {self.map_points:,}, raw rows "
            f"{self.raw_rows:,} (loaded {self.loaded_rows:,}, rejected {self.rejected_rows:,})",
            f"  at another point {self.elsewhere:,}, given no location {self.no_location:,}, "
            f"missing {self.missing:,}; no-location rows kept without location "
            f"{self.no_location_kept:,} of {self.no_location_total:,}; same Location text "
            f"{self.labels_match:,} of {self.recovered:,}",
        ]
        if self.leak_gate:
            lines.append(f"  leak gate: {self.leak_gate}")
        lines.extend(f"  note: {n}" for n in self.notes)
        lines.append(f"  ({self.seconds:.1f} s)")
        return "\n".join(lines)


POLICE_UK_LIKE_RULES: dict = {"sensitive_action": "map"}
"""Rules that treat every row as police.uk did: these rows *were* all published by police.uk,
so the synthetic sensitive flag must not take any of them out of the comparison."""


def _release_rows(
    crimes: pd.DataFrame, release: Any, points: Any, rules: Any, salt: bytes, max_distance_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What the release published for each row of ``crimes``: (present, lon, lat, location).

    The public table is sorted by content, so rows are found by their salted Crime ID (every
    row but anti-social behaviour carries the HMAC of its own reference). ASB rows carry no
    ID by design, so their points are recomputed with core.release.snapping.snap (what anonymise
    calls) and the multiset of (longitude, latitude, Location) over the release's ASB rows
    must equal the recomputed one exactly; otherwise this raises rather than guess.
    """
    from crime_mapper.core.common.vocabulary import ASB
    from crime_mapper.core.release.public_schema import (
        LOCATION_PREFIX,
        NO_LOCATION,
        salted_crime_id,
    )
    from crime_mapper.core.release.snapping import snap

    n = len(crimes)
    public = release.public
    category = crimes["crime_type"].astype(str).to_numpy(dtype=object)
    asb = category == ASB
    present = np.zeros(n, dtype=bool)
    out_lon = np.full(n, np.nan)
    out_lat = np.full(n, np.nan)
    out_loc = np.full(n, "", dtype=object)

    refs = crimes["crime_id"].astype(str).to_numpy(dtype=object)
    expected = salted_crime_id(np.where(asb, "", refs).tolist(), salt)
    row_of = {cid: i for i, cid in enumerate(expected) if cid}
    if len(row_of) != int((~asb).sum()):
        raise AssertionError("crime references are not unique: rows cannot be told apart")
    p_ids = public["Crime ID"].to_numpy(dtype=object)
    p_lon = pd.to_numeric(public["Longitude"], errors="coerce").to_numpy()
    p_lat = pd.to_numeric(public["Latitude"], errors="coerce").to_numpy()
    p_loc = public["Location"].to_numpy(dtype=object)
    p_asb = public["Crime type"].to_numpy(dtype=object) == ASB
    with_id = np.flatnonzero(p_ids != "")
    rows = np.array([row_of.get(c, -1) for c in p_ids[with_id]], dtype=np.int64)
    if (rows < 0).any() or len(set(rows.tolist())) != rows.size or p_asb[with_id].any():
        raise AssertionError("public Crime IDs do not match the salted references one to one")
    present[rows] = True
    out_lon[rows], out_lat[rows], out_loc[rows] = p_lon[with_id], p_lat[with_id], p_loc[with_id]
    if (~p_asb & (p_ids == "")).any():
        raise AssertionError("a public row other than anti-social behaviour has no Crime ID")

    sensitive = crimes["sensitive"].to_numpy(dtype=bool)
    a_rows = np.flatnonzero(asb)
    action = np.array([rules.action_for(ASB, bool(s)) for s in sensitive[a_rows]], dtype=object)
    lon = crimes["longitude"].to_numpy(dtype=np.float64)[a_rows]
    lat = crimes["latitude"].to_numpy(dtype=np.float64)[a_rows]
    mapped = (action == "map") & np.isfinite(lon)
    index = np.full(a_rows.size, -1, dtype=np.int64)
    if mapped.any():
        index[mapped] = snap(points, lon[mapped], lat[mapped], max_distance_m=max_distance_m).index
    at = index >= 0
    labels = np.asarray(points.label, dtype=object)
    present[a_rows] = action != "withhold"
    pick = index[at]
    out_lon[a_rows[at]] = np.round(np.asarray(points.longitude, dtype=np.float64)[pick], 6)
    out_lat[a_rows[at]] = np.round(np.asarray(points.latitude, dtype=np.float64)[pick], 6)
    out_loc[a_rows] = NO_LOCATION
    out_loc[a_rows[at]] = [LOCATION_PREFIX + str(s) for s in labels[pick]]

    def bag(lon_: np.ndarray, lat_: np.ndarray, loc_: np.ndarray) -> list:
        keys = [
            ("" if np.isnan(a) else f"{a:.6f}", "" if np.isnan(b) else f"{b:.6f}", c)
            for a, b, c in zip(lon_, lat_, loc_)
        ]
        return sorted(keys)

    kept = a_rows[present[a_rows]]
    if bag(p_lon[p_asb], p_lat[p_asb], p_loc[p_asb]) != bag(
        out_lon[kept], out_lat[kept], out_loc[kept]
    ):
        raise AssertionError(
            "the release's anti-social behaviour rows are not the points "
            "snapping gives: the recomputed ASB figure would be wrong"
        )
    return present, out_lon, out_lat, out_loc


def measure(
    truth: pd.DataFrame,
    crimes: pd.DataFrame,
    release: Any,
    points: Any,
    rules: Any,
    salt: bytes,
    max_distance_m: float = 20_000.0,
) -> dict:
    """Compare a release with the ground truth: the counts of :class:`RecoveryFigure`."""
    present, out_lon, out_lat, out_loc = _release_rows(
        crimes, release, points, rules, salt, max_distance_m
    )
    t = truth.set_index("reference").loc[crimes["crime_id"].astype(str).to_numpy()]
    t_located = t["has_location"].to_numpy(dtype=bool)
    has_out = present & ~np.isnan(out_lon)
    same = (
        has_out
        & t_located
        & (np.abs(out_lon - t["longitude"].to_numpy()) < 5e-7)
        & (np.abs(out_lat - t["latitude"].to_numpy()) < 5e-7)
    )
    located_total = int(truth["has_location"].sum())
    return {
        "published_at_point": located_total,
        "recovered": int(same.sum()),
        "elsewhere": int((has_out & t_located & ~same).sum()),
        "no_location": int((present & ~has_out & t_located).sum()),
        "missing": located_total - int((present & t_located).sum()),
        "no_location_kept": int((present & ~has_out & ~t_located).sum()),
        "no_location_total": int((~truth["has_location"]).sum()),
        "labels_match": int((same & (out_loc == t["location"].to_numpy(dtype=object))).sum()),
    }


def run_recovery(
    name: str,
    history: Sequence[PathLike],
    month: str,
    workdir: PathLike,
    seed: int = DEFAULT_SEED,
    salt: bytes = b"tests.support.raw_extract salt, not secret",
    rules: Any = None,
    check_leaks: bool = True,
) -> tuple[RecoveryFigure, dict]:
    """The whole measurement for one force: load the published ``history`` (files, folders
    or monthly zips), derive map points from it, regenerate ``month`` as a raw extract,
    load that through its profile, anonymise it and compare. Returns the figure and the
    pieces (``history``, ``points``, ``extract``, ``load``, ``release``, ``gate``) for
    further assertions."""
    from crime_mapper.core.load.loader import load_extracts
    from crime_mapper.core.release.anonymise import anonymise
    from crime_mapper.core.release.map_points import map_points_from_history
    from crime_mapper.core.release.rules import ReleaseRules

    started = time.perf_counter()
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    hist = load_extracts([str(p) for p in history])
    points = map_points_from_history(hist.crimes)
    published = hist.crimes[hist.crimes["month"].astype(str) == month]
    if published.empty:
        raise ValueError(f"the history holds no crimes for {month}")
    extract = make_raw_extract(published, points, seed=seed)
    raw_path = extract.write(workdir / f"{month}-raw-force-extract.csv")
    profile_path = workdir / "raw-force-extract-profile.json"
    extract.profile.save(profile_path)
    load = load_extracts([str(raw_path)], profile=MappingProfile.load(profile_path))
    rules = rules if rules is not None else ReleaseRules(**POLICE_UK_LIKE_RULES)
    release = anonymise(load.crimes, points, rules=rules, salt=salt, rejects=load.rejects)
    counts = measure(extract.truth, load.crimes, release, points, rules, salt)
    gate = None
    gate_text = ""
    if check_leaks:
        from crime_mapper.core.gate.leak_gate import check_release

        gate = check_release(load.crimes, release.public, points)
        gate_text = "passed" if gate.passed else gate.message()
    figure = RecoveryFigure(
        name=name,
        history_months=int(hist.crimes["month"].nunique()),
        map_points=len(points),
        raw_rows=len(extract.frame),
        loaded_rows=len(load.crimes),
        rejected_rows=len(load.rejects),
        seconds=time.perf_counter() - started,
        leak_gate=gate_text,
        notes=list(extract.notes),
        **counts,
    )
    pieces = {
        "history": hist,
        "points": points,
        "published": published,
        "extract": extract,
        "load": load,
        "release": release,
        "gate": gate,
        "raw_path": raw_path,
    }
    return figure, pieces


# --- command line -----------------------------------------------------------------------------


BUNDLED_HISTORY = (
    REPO / "sample_data" / "police-uk" / "2022-09",
    REPO / "sample_data" / "police-uk" / "2022-10.zip",
)
SHARED_LEICESTERSHIRE = REPO.parent / "shared" / "data" / "police-uk" / "leicestershire"


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--report",
        action="store_true",
        help="print the recovery figure (bundled months, and the 35 shared "
        "Leicestershire months when ../shared/data exists)",
    )
    parser.add_argument("--month", default="2022-10")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--history",
        nargs="*",
        type=Path,
        help="published history to use instead (files, folders, zips)",
    )
    parser.add_argument("--write", type=Path, help="also write the raw extract here")
    args = parser.parse_args(argv)
    import tempfile

    runs: list[tuple[str, list]] = []
    if args.history:
        runs.append(("given history", list(args.history)))
    else:
        runs.append(("bundled sample (Leicester city, 2022-09 + 2022-10)", list(BUNDLED_HISTORY)))
        if SHARED_LEICESTERSHIRE.is_dir():
            files = sorted(SHARED_LEICESTERSHIRE.glob("*-street.csv"))
            runs.append(
                (
                    f"Leicestershire, {len(files)} real months ({files[0].name[:7]} to "
                    f"{files[-1].name[:7]})",
                    files,
                )
            )
    if not args.report and not args.write:
        parser.error("nothing to do: give --report and/or --write")
    with tempfile.TemporaryDirectory() as tmp:
        for number, (name, history) in enumerate(runs):
            figure, pieces = run_recovery(
                name, history, args.month, Path(tmp) / str(number), seed=args.seed
            )
            print(figure.text(), flush=True)
            if args.write and number == 0:
                pieces["extract"].write(args.write)
                print(f"raw extract written to {args.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
