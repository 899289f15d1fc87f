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
