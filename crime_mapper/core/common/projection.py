"""Which projected CRS a UK coordinate is measured in, and projecting lon/lat into it.

Distances (snapping, hotspots, displacement in the audit) must be in metres. Great Britain is
measured in the British National Grid (EPSG:27700), Northern Ireland in Irish Transverse
Mercator (EPSG:2157): BNG is badly distorted that far west, and ITM is what the Police Service
of Northern Ireland and OSNI use. Every coordinate gets a *zone* (0 = GB, 1 = NI) from a
generous polygon drawn around Northern Ireland; each row is projected in its own zone's CRS.

The NI polygon runs down the middle of the North Channel and the Irish Sea (always more than
about 8 km from both coasts), so nothing on Great Britain, the Isle of Man or Kintyre falls in
it; on land it takes in the border counties of the Republic too, which is harmless because
police.uk data never lies there (the loader rejects points outside the UK) and ITM is the
right CRS for the whole island anyway.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from .geography import (
    BRITISH_NATIONAL_GRID,
    IRISH_TRANSVERSE_MERCATOR,
    WGS84,
    transform,
)

ZONE_CRS: tuple[str, str] = (BRITISH_NATIONAL_GRID, IRISH_TRANSVERSE_MERCATOR)
"""zone 0 = Great Britain (BNG), zone 1 = Northern Ireland (ITM)."""

# (longitude, latitude), counter-clockwise. The eastern side follows the middle of the sea
# between Northern Ireland and Scotland / the Isle of Man; the rest lies well out to sea or in
# the Republic of Ireland.
NI_POLYGON: tuple[tuple[float, float], ...] = (
    (-8.60, 53.85),  # Republic, south-west of Fermanagh
    (-5.90, 53.85),  # Irish Sea, south of Carlingford Lough
    (-5.25, 54.35),  # Irish Sea, between Strangford and the Isle of Man (-4.8)
    (-5.25, 54.60),  # North Channel, between the Ards (-5.43) and the Rhins (-4.86..-5.1)
    (-5.43, 54.84),  # between Larne (-5.75) and Portpatrick (-5.12)
    (-5.55, 55.00),  # between Glenarm (-5.95) and Corsewall Point (-5.16)
    (-5.93, 55.20),  # between Torr Head (-6.06) and the Mull of Kintyre (-5.80)
    (-6.00, 55.30),  # east of Rathlin (-6.17), west of Kintyre
    (-6.00, 55.45),  # north of Rathlin, south of Islay (55.58)
    (-8.60, 55.45),  # north-west, over Inishowen (Republic)
)
_NI = np.asarray(NI_POLYGON, dtype=np.float64)
_NI_BBOX = (_NI[:, 0].min(), _NI[:, 1].min(), _NI[:, 0].max(), _NI[:, 1].max())


def zone_of(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Zone per coordinate: 1 inside the Northern Ireland polygon, else 0 (NaN gives 0).

    Vectorised: a bounding-box test first, then a ray cast for the few rows inside the box.
    """
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        in_box = (
            (lon >= _NI_BBOX[0])
            & (lon <= _NI_BBOX[2])
            & (lat >= _NI_BBOX[1])
            & (lat <= _NI_BBOX[3])
        )
    zone = np.zeros(lon.shape, dtype=np.int8)
    idx = np.flatnonzero(in_box.ravel())
    if idx.size == 0:
        return zone
    x, y = lon.ravel()[idx], lat.ravel()[idx]
    inside = np.zeros(idx.size, dtype=bool)
    x1, y1 = _NI[:, 0], _NI[:, 1]
    x2, y2 = np.roll(x1, -1), np.roll(y1, -1)
    for ax, ay, bx, by in zip(x1, y1, x2, y2):
        if ay == by:
            continue
        crosses = (ay > y) != (by > y)
        x_at = ax + (y - ay) * (bx - ax) / (by - ay)
        inside ^= crosses & (x < x_at)
    zone.ravel()[idx] = inside.astype(np.int8)
    return zone


def to_projected(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, y, zone): each WGS84 row projected into its own zone's CRS, in metres.

    NaN lon/lat gives NaN x/y (zone 0). One pyproj call per zone present, so a GB-only force
    pays for exactly one vectorised transform.
    """
    lon = np.asarray(lon, dtype=np.float64).ravel()
    lat = np.asarray(lat, dtype=np.float64).ravel()
    if lon.shape != lat.shape:
        raise ValueError("longitude and latitude arrays differ in length")
    zone = zone_of(lon, lat)
    x = np.full(lon.shape, np.nan)
    y = np.full(lon.shape, np.nan)
    finite = np.isfinite(lon) & np.isfinite(lat)
    for z, crs in enumerate(ZONE_CRS):
        rows = np.flatnonzero(finite & (zone == z))
        if rows.size == 0:
            continue
        if rows.size == lon.size:  # the common case: one zone, no NaN -> no gather/scatter
            return (*transform(lon, lat, WGS84, crs), zone)
        x[rows], y[rows] = transform(lon[rows], lat[rows], WGS84, crs)
    return x, y, zone


def choose_crs(lon: np.ndarray, lat: np.ndarray) -> str:
    """One projected CRS for a whole analysis (a hex grid must be one lattice): the zone
    holding most of the finite coordinates; Great Britain on a tie or with no coordinates."""
    lon = np.asarray(lon, dtype=np.float64).ravel()
    lat = np.asarray(lat, dtype=np.float64).ravel()
    finite = np.isfinite(lon) & np.isfinite(lat)
    zone = zone_of(lon[finite], lat[finite])
    ni = int(np.count_nonzero(zone))
    return ZONE_CRS[1] if ni > zone.size - ni else ZONE_CRS[0]


# --- how true a projected CRS's metres are where the points are -------------------------------

#: How far a metre of a projected CRS may differ from a metre on the ground, where the points
#: are, before its coordinates are not taken as metres. Why 1%: British National Grid and
#: Irish Transverse Mercator stay within 0.1% over their countries, a UTM zone within 0.1% in
#: its own zone; Web Mercator (EPSG:3857) is 60% off at British latitudes (1 / cos(latitude)).
GROUND_SCALE_TOLERANCE = 0.01

# WGS84's ellipsoid: semi-major axis (m) and first eccentricity squared (f = 1/298.257223563).
_WGS84_A = 6378137.0
_WGS84_E2 = 0.0066943799901413165
# The step, in the CRS's units, over which its scale is measured at each place.
_SCALE_STEP = 100.0


def _ground_metres(
    lon0: np.ndarray, lat0: np.ndarray, lon1: np.ndarray, lat1: np.ndarray
) -> np.ndarray:
    """Metres on WGS84's ellipsoid between nearby points (a few hundred metres apart), from
    the meridian and prime-vertical radii of curvature at their middle latitude: within a
    millionth of the geodesic at such distances, with no pyproj (QGIS's fallback transform
    serves an installation without it)."""
    phi = np.radians((lat0 + lat1) / 2.0)
    w = 1.0 - _WGS84_E2 * np.sin(phi) ** 2
    meridian = _WGS84_A * (1.0 - _WGS84_E2) / w**1.5
    vertical = _WGS84_A / np.sqrt(w)
    north = meridian * np.radians(lat1 - lat0)
    east = vertical * np.cos(phi) * np.radians(lon1 - lon0)
    return np.hypot(north, east)


def ground_scale(x: np.ndarray, y: np.ndarray, crs: str) -> Optional[tuple[float, float]]:
    """(smallest, largest) metres on the ground per unit of ``crs`` over the points (x, y)
    given in it (projected, in metres), or None when no place can be measured (no finite
    point, or PROJ maps none of them). Measured east, north and diagonally at the corners,
    middles of the sides and centre of the points' extent (its 0, 50 and 100th percentiles
    of x and y): a scale that varies with latitude (Web Mercator) or with distance from a
    CRS's centre is measured at the places the points span, and a non-conformal CRS in
    every direction."""
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    finite = np.isfinite(x) & np.isfinite(y)
    if not finite.any():
        return None
    px, py = (np.percentile(v[finite], [0.0, 50.0, 100.0]) for v in (x, y))
    sx, sy = (a.ravel() for a in np.meshgrid(px, py))
    d = _SCALE_STEP
    lon, lat = transform(
        np.concatenate([sx, sx + d, sx, sx + d]),
        np.concatenate([sy, sy, sy + d, sy + d]),
        crs,
        WGS84,
    )
    lon0, lat0 = lon[: sx.size], lat[: sx.size]
    ratios = []
    for k, length in ((1, d), (2, d), (3, d * np.sqrt(2.0))):
        part = slice(k * sx.size, (k + 1) * sx.size)
        ratios.append(_ground_metres(lon0, lat0, lon[part], lat[part]) / length)
    measured = np.concatenate(ratios)
    measured = measured[np.isfinite(measured) & (measured > 0)]
    if not measured.size:
        return None
    return float(measured.min()), float(measured.max())


def distorted_scale(
    x: np.ndarray, y: np.ndarray, crs: str, tolerance: float = GROUND_SCALE_TOLERANCE
) -> Optional[float]:
    """The metres on the ground per unit of ``crs`` furthest from 1 over the points, when it
    is more than ``tolerance`` from 1 (a "500 m" cell would not be 500 m on the ground);
    None when the CRS's metres are true metres there, or cannot be measured
    (ground_scale)."""
    scale = ground_scale(x, y, crs)
    if scale is None:
        return None
    worst = max(scale, key=lambda s: abs(s - 1.0))
    return worst if abs(worst - 1.0) > tolerance else None
