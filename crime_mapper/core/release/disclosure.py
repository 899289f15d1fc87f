"""Disclosure control: refuse a release whose locations are not anonymous.

The anonymisation's promise is that a published point does not reveal where a crime happened.
Snapping alone does not keep it: snapped onto the crimes themselves, onto a 1 m hexagon grid or
onto points whose catchment holds one house, every crime is published at its true location and
every other check passes. This module holds the tests that decide, fail closed, whether a
release's locations are anonymous. The release pipeline (``anonymise``) runs them on the exact
displacements before anything is written, and the leak gate (``core/gate``) repeats the ones an
output can be checked for, so Processing, the dock and the command line all refuse.

The checks (each a :class:`Finding` with a message saying what was found and what to do):

``coincident_locations``
    Published points that coincide with true locations far more often than anonymisation
    allows. Two figures over the located crimes being published at a map point: the share
    published within ``COINCIDENT_M`` (2 m) of their true location, and the median
    displacement. An honest police.uk-style release moves a crime from its address to the
    centre of a street: calibrated on every real police.uk month in ../shared/data made into a
    raw extract (``tools/calibrate_disclosure.py``: 41 months, 35 Leicestershire and 6
    Northumbria), the worst month had 4.5% within 2 m (1.4% within 1 m) and the lowest
    median was 15.0 m (typical: 19 m). A release is refused when more than
    ``MAX_COINCIDENT_SHARE`` lie within 2 m (beyond a small allowance for chance on small
    releases) or the median displacement is under ``MIN_MEDIAN_DISPLACEMENT_M``.
``map_points_are_crimes``
    Map points that are raw crime locations: more than ``MAX_POINTS_AT_CRIMES`` of the map
    points used lie within ``POINT_AT_CRIME_M`` (1 m) of a true location of the crimes being
    released, or of any other raw table given (the internal table of another loaded month).
    Honest releases: at most 3% of the points used (busy points where one of many crimes
    happened to be drawn under the point); the crimes themselves as map points: 100%.
``hexagon_size``
    Hexagon fallback cells smaller than ``MIN_HEXAGON_M`` (250 m between centres). A
    police.uk catchment is the area nearer its point than any other: in the real months its
    typical radius (the median displacement) is tens of metres in town and hundreds in the
    country, while a hexagon of size s moves a crime at most 0.58 s. A 250 m cell keeps every
    crime within 144 m of its centre, about a town catchment's worst case; smaller cells
    publish crimes closer to their true location than police.uk ever does.
``hexagon_cells``
    Fallback cells that hold fewer than K distinct true locations (the hexagon analogue of
    police.uk's "at least 8 addresses" catchment rule: with no address data, the distinct
    locations of the crimes in a cell are the only count there is).
``small_catchments``
    Map points used whose known catchment holds 1 to K-1 addresses (police.uk: at least
    K = 8, or none). K comes from the release rules; lowering it takes a saved rules file, and
    the audit and manifest record the value used.
``unknown_catchments``
    Map points from a user layer without catchment address counts: accepted only when the
    rules carry an explicit confirmation (``confirm_unknown_catchments``), recorded in the
    audit and manifest. police.uk history points (police.uk's own anonymous points), roads,
    and the hexagon fallback (tested by the two hexagon checks) need none.

Labels that carry a house or flat number ("12 ACACIA AVENUE", "Flat 3, Mill Court") name an
address, not a street: :func:`street_labels` reduces them to the street ("ACACIA AVENUE");
a label with no street left ("Flat 3") is refused (``address_labels``). The audit says which
labels were reduced (by street, never the number) and which refused.

Rows loaded from police.uk files are already anonymous (their coordinates are police.uk's map
points, not true locations), so they are left out of the displacement figures. Imports nothing
from QGIS.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

COINCIDENT_M = 2.0
MAX_COINCIDENT_SHARE = 0.10
MIN_MEDIAN_DISPLACEMENT_M = 10.0
POINT_AT_CRIME_M = 1.0
MAX_POINTS_AT_CRIMES = 0.25
MIN_HEXAGON_M = 250.0
DEFAULT_MIN_ADDRESSES = 8
MIN_LOCATED_FOR_MEDIAN = 20  # fewer located crimes: the median says little, the share decides
SOURCE_LAYER = "layer"
SOURCE_HISTORY = "police.uk history"
SOURCE_HEXAGON = "hexagon fallback"
SHARE_DISTANCES = (1, 2, 5, 10)

CHECKS = (
    "coincident_locations",
    "map_points_are_crimes",
    "hexagon_size",
    "hexagon_cells",
    "small_catchments",
    "unknown_catchments",
    "address_labels",
)

#: Each check in plain words, as the audit page names it beside the check's name (the name
#: is what a refusal's message and audit.json use). Why: the page listed the names alone
#: ("map_points_are_crimes: passed"), which an analyst reading the audit had to look up.
CHECK_TITLES = {
    "coincident_locations": "Crimes published at or very near their true location",
    "map_points_are_crimes": "Map points placed on true crime locations",
    "hexagon_size": "Fallback hexagons too small to hide a location",
    "hexagon_cells": "Fallback hexagons holding too few distinct locations",
    "small_catchments": "Map points whose catchment holds too few addresses",
    "unknown_catchments": "Map points with no address count, unconfirmed",
    "address_labels": "Labels that name an address, not a street",
}


class DisclosureError(ValueError):
    """A release's locations are not anonymous; the message says what and what to do."""


@dataclass
class Finding:
    check: str
    message: str


@dataclass
class DisclosureReport:
    """The verdict of every disclosure check, the figures behind it and the label changes."""

    findings: list[Finding] = field(default_factory=list)
    figures: dict = field(default_factory=dict)
    labels_reduced: list[str] = field(default_factory=list)  # the streets kept, not the numbers
    labels_refused: int = 0
    min_addresses: int = DEFAULT_MIN_ADDRESSES
    unknown_catchments_confirmation: str = ""

    @property
    def passed(self) -> bool:
        return not self.findings

    def message(self) -> str:
        if self.passed:
            return "Disclosure checks passed: the published locations are anonymous."
        lines = [
            f"The release was refused: {len(self.findings)} disclosure check(s) found "
            "locations that are not anonymous. Nothing was written."
        ]
        lines += [f"- {f.check}: {f.message}" for f in self.findings]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """Plain data for the audit and the manifest."""
        return {
            "passed": self.passed,
            "checks": {
                name: next((f.message for f in self.findings if f.check == name), "passed")
                for name in CHECKS
            },
            "figures": self.figures,
            "thresholds": thresholds(self.min_addresses),
            "min_catchment_addresses": int(self.min_addresses),
            "unknown_catchments_confirmation": self.unknown_catchments_confirmation,
            "labels_reduced_to_street": len(self.labels_reduced),
            "labels_reduced_examples": sorted(set(self.labels_reduced))[:10],
            "labels_refused": int(self.labels_refused),
        }

    def raise_if_failed(self) -> None:
        if not self.passed:
            raise DisclosureError(self.message())


def thresholds(min_addresses: int = DEFAULT_MIN_ADDRESSES) -> dict:
    return {
        "coincident_m": COINCIDENT_M,
        "max_coincident_share": MAX_COINCIDENT_SHARE,
        "min_median_displacement_m": MIN_MEDIAN_DISPLACEMENT_M,
        "point_at_crime_m": POINT_AT_CRIME_M,
        "max_points_at_crimes": MAX_POINTS_AT_CRIMES,
        "min_hexagon_m": MIN_HEXAGON_M,
        "min_catchment_addresses": int(min_addresses),
    }


# --- figures ------------------------------------------------------------------------------------


def coincidence_figures(distance_m: np.ndarray) -> dict:
    """Share within 1, 2, 5 and 10 m, and the median, of displacements (metres)."""
    d = np.asarray(distance_m, dtype=np.float64)
    d = d[np.isfinite(d)]
    n = int(d.size)
    return {
        "located": n,
        "share_within": {
            str(m): (round(float((d <= m).sum()) / n, 5) if n else 0.0) for m in SHARE_DISTANCES
        },
        "median_m": round(float(np.median(d)), 2) if n else None,
    }


def displacement_figures(
    true_x: np.ndarray, true_y: np.ndarray, point_x: np.ndarray, point_y: np.ndarray
) -> dict:
    """:func:`coincidence_figures` of each true location's distance to its nearest point (all
    in one metric CRS): where anonymising puts it."""
    from scipy.spatial import cKDTree

    tx = np.asarray(true_x, dtype=np.float64)
    ty = np.asarray(true_y, dtype=np.float64)
    ok = np.isfinite(tx) & np.isfinite(ty)
    if not ok.any():
        return coincidence_figures(np.zeros(0))
    tree = cKDTree(np.column_stack([point_x, point_y]))
    d, _ = tree.query(np.column_stack([tx[ok], ty[ok]]), k=1)
    return coincidence_figures(d)


def coincidence_allowance(located: int) -> int:
    """Crimes allowed within COINCIDENT_M: the share, plus room for chance on small releases
    (three binomial standard deviations and two crimes)."""
    expected = MAX_COINCIDENT_SHARE * located
    return int(expected + 3.0 * math.sqrt(max(expected, 1.0)) + 2.0)


def check_coincidence(distance_m: np.ndarray) -> tuple[Optional[Finding], dict]:
    figures = coincidence_figures(distance_m)
    n = figures["located"]
    if n == 0:
        return None, figures
    d = np.asarray(distance_m, dtype=np.float64)
    close = int((d[np.isfinite(d)] <= COINCIDENT_M).sum())
    problems = []
    if close > coincidence_allowance(n):
        problems.append(
            f"{close:,} of {n:,} located crimes ({close / n:.1%}) would be published within "
            f"{COINCIDENT_M:g} m of their true location (an honest release: at most "
            f"{MAX_COINCIDENT_SHARE:.0%})"
        )
    if n >= MIN_LOCATED_FOR_MEDIAN and figures["median_m"] < MIN_MEDIAN_DISPLACEMENT_M:
        problems.append(
            f"the median displacement is {figures['median_m']:.1f} m (an honest release: at "
            f"least {MIN_MEDIAN_DISPLACEMENT_M:g} m)"
        )
    if not problems:
        return None, figures
    return (
        Finding(
            "coincident_locations",
            "; ".join(problems)
            + ". The map points are not anonymous: use police.uk history points, roads with "
            "address points, or a larger hexagon fallback, never the crimes themselves.",
        ),
        figures,
    )


def points_at_crimes(
    point_x: np.ndarray,
    point_y: np.ndarray,
    raw_xy: list[tuple[np.ndarray, np.ndarray]],
) -> np.ndarray:
    """Which points lie within POINT_AT_CRIME_M of any of the given raw locations."""
    from scipy.spatial import cKDTree

    at = np.zeros(np.asarray(point_x).size, dtype=bool)
    if at.size == 0:
        return at
    tree = cKDTree(np.column_stack([point_x, point_y]))
    for rx, ry in raw_xy:
        rx = np.asarray(rx, dtype=np.float64)
        ry = np.asarray(ry, dtype=np.float64)
        ok = np.isfinite(rx) & np.isfinite(ry)
        if not ok.any():
            continue
        d, i = tree.query(np.column_stack([rx[ok], ry[ok]]), k=1)
        at[i[d <= POINT_AT_CRIME_M]] = True
    return at


def check_points_at_crimes(
    at: np.ndarray, what: str = "the crimes being released"
) -> Optional[Finding]:
    n = int(at.size)
    hits = int(at.sum())
    if n == 0 or hits <= max(MAX_POINTS_AT_CRIMES * n, 2):
        return None
    return Finding(
        "map_points_are_crimes",
        f"{hits:,} of the {n:,} map points used ({hits / n:.0%}) lie within "
        f"{POINT_AT_CRIME_M:g} m of a true location of {what}: the map points are raw crime "
        "locations (was the crimes layer chosen as the map points?). Use anonymous map "
        "points: police.uk history, roads with address points, or the hexagon fallback.",
    )


def hexagon_size_m(px: np.ndarray, py: np.ndarray) -> float:
    """The hexagon size of fallback points (metres between neighbouring centres): the
    smallest distance between two of them (the lattice's spacing when any two cells touch,
    an upper bound otherwise); inf for fewer than two points."""
    from scipy.spatial import cKDTree

    if np.asarray(px).size < 2:
        return math.inf
    xy = np.column_stack([px, py])
    d, _ = cKDTree(xy).query(xy, k=2)
    return float(d[:, 1].min())


def check_hexagon_size(size_m: float) -> Optional[Finding]:
    if not size_m < MIN_HEXAGON_M:
        return None
    return Finding(
        "hexagon_size",
        f"the hexagon fallback cells are {size_m:,.0f} m across (centres {size_m:,.0f} m "
        f"apart), so a crime is published at most {size_m / math.sqrt(3):,.0f} m from its "
        f"true location; the minimum is {MIN_HEXAGON_M:g} m (police.uk's catchments are "
        "tens to hundreds of metres). Build the fallback with a larger size.",
    )


def hexagon_cell_counts(point: np.ndarray, true_x: np.ndarray, true_y: np.ndarray) -> dict:
    """point index -> number of distinct true locations (to the metre) snapped to it."""
    p = np.asarray(point, dtype=np.int64)
    ok = (p >= 0) & np.isfinite(true_x) & np.isfinite(true_y)
    if not ok.any():
        return {}
    xs = np.round(np.asarray(true_x)[ok]).astype(np.int64)
    ys = np.round(np.asarray(true_y)[ok]).astype(np.int64)
    triples = np.unique(np.column_stack([p[ok], xs, ys]), axis=0)
    cells, counts = np.unique(triples[:, 0], return_counts=True)
    return dict(zip(cells.tolist(), counts.tolist()))


def check_hexagon_cells(counts: dict, labels: np.ndarray, k: int) -> Optional[Finding]:
    thin = sorted(cell for cell, c in counts.items() if c < k)
    if not thin:
        return None
    shown = ", ".join(repr(str(labels[c])) for c in thin[:5])
    return Finding(
        "hexagon_cells",
        f"{len(thin):,} hexagon fallback cell(s) hold fewer than {k} distinct true "
        f"locations (e.g. {shown}): each would point at a handful of addresses. Rebuild the "
        f"fallback from these crimes (cells under {k} locations are merged into their "
        "neighbours) or use a larger size.",
    )


def check_catchments(
    addresses: np.ndarray, labels: np.ndarray, k: int, lowered: bool
) -> Optional[Finding]:
    a = np.asarray(addresses, dtype=np.int64)
    small = np.flatnonzero((a > 0) & (a < k))
    if small.size == 0:
        return None
    shown = ", ".join(f"{str(labels[i])!r} ({int(a[i])})" for i in small[:5])
    return Finding(
        "small_catchments",
        f"{small.size:,} map point(s) used have a catchment of 1 to {k - 1} addresses "
        f"(e.g. {shown}); police.uk requires at least {k} or none. Rebuild the map points "
        "with the minimum applied"
        + ("" if lowered else ", or lower K in a saved rules file (min_catchment_addresses)")
        + ".",
    )


def check_unknown_catchments(unknown: int, confirmation: str) -> Optional[Finding]:
    if unknown == 0 or confirmation.strip():
        return None
    return Finding(
        "unknown_catchments",
        f"{unknown:,} map point(s) used come from a user layer with no catchment address "
        "counts, so nothing shows they are anonymous. Give address counts (an 'addresses' "
        "field), or confirm in a saved rules file (confirm_unknown_catchments: who checked "
        "the layer and how); the confirmation is recorded in the audit and manifest.",
    )


# --- labels -------------------------------------------------------------------------------------

_UNIT = r"(?:flat|apartment|apt|unit|room|suite|maisonette|no)\.?\s*\d+[a-z]?"
_HOUSE = r"\d+[a-z]?(?:\s*[-/]\s*\d+[a-z]?)?"
ADDRESS_LABEL = re.compile(
    r"^\s*(?:(?:" + _UNIT + r")\b[\s,]*(?:" + _HOUSE + r"\b[\s,]*)?|" + _HOUSE + r"\b[\s,]*)",
    re.IGNORECASE,
)
_ROAD_NUMBER = re.compile(r"^[ABM]\d+(?:\(M\))?$", re.IGNORECASE)


def is_address_label(label: str) -> bool:
    """A label that starts with a house or flat number (not a road number like A6)."""
    text = str(label).strip()
    return bool(text) and not _ROAD_NUMBER.match(text) and bool(ADDRESS_LABEL.match(text))


def street_of(label: str) -> str:
    """The street left once a leading house or flat number is taken off ("" if none)."""
    text = str(label).strip()
    return ADDRESS_LABEL.sub("", text, count=1).strip(" ,")


def street_labels(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(labels with house/flat numbers reduced to the street, reduced mask, refused mask).

    Refused: a label that is all number ("Flat 3", "12"), with no street to keep. One
    vectorised regex pass finds the candidates; only those are looked at one by one."""
    import pandas as pd

    labels = np.asarray(labels, dtype=object)
    out = labels.copy()
    reduced = np.zeros(labels.size, dtype=bool)
    refused = np.zeros(labels.size, dtype=bool)
    if labels.size == 0:
        return out, reduced, refused
    series = pd.Series(labels, dtype=object).astype(str)
    candidates = np.flatnonzero(series.str.match(ADDRESS_LABEL).to_numpy(dtype=bool))
    for i in candidates.tolist():
        value = str(labels[i])
        if not is_address_label(value):
            continue
        street = street_of(value)
        if street and not street[0].isdigit():
            out[i] = street
            reduced[i] = True
        else:
            refused[i] = True
    return out, reduced, refused


def check_address_labels(refused_labels: list[str]) -> Optional[Finding]:
    if not refused_labels:
        return None
    return Finding(
        "address_labels",
        f"{len(refused_labels):,} map point label(s) used are a house or flat number with no "
        "street to reduce them to (an address, not a street): give those points street "
        "labels.",
    )


# --- the release --------------------------------------------------------------------------------


def assess_release(
    points: Any,
    point_of_row: np.ndarray,
    distance_m: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    exempt: Optional[np.ndarray] = None,
    min_addresses: int = DEFAULT_MIN_ADDRESSES,
    confirmation: str = "",
    other_raw: tuple = (),
) -> tuple[DisclosureReport, np.ndarray]:
    """Every disclosure check on a release, from the anonymiser's own snapping.

    ``point_of_row`` is each crime row's map point (-1: not published at one), ``distance_m``
    its displacement in metres, ``lon``/``lat`` its true WGS84 location; ``exempt`` marks rows
    that are already anonymous (loaded from police.uk files). ``other_raw`` holds (lon, lat)
    arrays of other raw tables (other loaded months) whose locations must not be map points.
    Returns the report and the labels of every point with house/flat numbers reduced to the
    street (refused labels are left as they are: the report fails).
    """
    point = np.asarray(point_of_row, dtype=np.int64)
    distance = np.asarray(distance_m, dtype=np.float64)
    at = point >= 0
    if exempt is not None:
        at &= ~np.asarray(exempt, dtype=bool)
    report = DisclosureReport(
        min_addresses=int(min_addresses), unknown_catchments_confirmation=confirmation
    )
    findings: list[Optional[Finding]] = []
    used = np.unique(point[at])

    finding, figures = check_coincidence(distance[at])
    findings.append(finding)
    report.figures["displacement"] = figures

    # map points at crimes: a crime within 1 m of a point snaps to a point within 1 m
    close = at & (distance <= POINT_AT_CRIME_M)
    at_crime = np.zeros(len(points), dtype=bool)
    at_crime[point[close]] = True
    report.figures["map_points_at_crimes"] = int(at_crime[used].sum())
    findings.append(check_points_at_crimes(at_crime[used]))
    if other_raw and used.size:
        px, py, _zone = points.projected()
        from ..common.projection import to_projected

        others = []
        for olon, olat in other_raw:
            ox, oy, _z = to_projected(np.asarray(olon, float), np.asarray(olat, float))
            others.append((ox, oy))
        hits = points_at_crimes(px[used], py[used], others)
        report.figures["map_points_at_other_crimes"] = int(hits.sum())
        findings.append(check_points_at_crimes(hits, "another loaded month's crimes"))

    source = np.asarray(points.source, dtype=object)
    labels = np.asarray(points.label, dtype=object)
    addresses = np.asarray(points.addresses, dtype=np.int64)

    hexagon = used[source[used] == SOURCE_HEXAGON]
    if hexagon.size:
        all_hex = np.flatnonzero(source == SOURCE_HEXAGON)
        px, py, _zone = points.projected()
        size = hexagon_size_m(px[all_hex], py[all_hex])
        report.figures["hexagon_size_m"] = None if math.isinf(size) else round(size, 1)
        findings.append(check_hexagon_size(size))
        rows = at & (source[np.maximum(point, 0)] == SOURCE_HEXAGON)
        counts = hexagon_cell_counts(
            point[rows], np.asarray(lon)[rows] * 1e5, np.asarray(lat)[rows] * 1e5
        )  # distinct locations to 5 decimal places (about a metre)
        report.figures["hexagon_cells_below_k"] = sum(c < min_addresses for c in counts.values())
        findings.append(check_hexagon_cells(counts, labels, int(min_addresses)))

    lowered = int(min_addresses) < DEFAULT_MIN_ADDRESSES
    findings.append(check_catchments(addresses[used], labels[used], int(min_addresses), lowered))
    unknown = int(((source[used] == SOURCE_LAYER) & (addresses[used] < 0)).sum())
    report.figures["used_with_unknown_catchment"] = unknown
    findings.append(check_unknown_catchments(unknown, confirmation))

    cleaned = labels.copy()
    new, reduced, refused = street_labels(labels[used])
    cleaned[used] = new
    report.labels_reduced = [str(v) for v in new[reduced].tolist()]
    report.labels_refused = int(refused.sum())
    findings.append(check_address_labels([str(v) for v in labels[used][refused].tolist()]))

    report.findings = [f for f in findings if f is not None]
    return report, cleaned
