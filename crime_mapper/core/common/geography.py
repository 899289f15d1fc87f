"""Where police.uk data may lie, and coordinate transforms between source CRSs and WGS84.

police.uk covers England, Wales and Northern Ireland, and British Transport Police data
reaches into Scotland, so "inside the United Kingdom" is the test. A bounding box would let
Dublin or Calais through, so we use a coarse outline of the UK (generous at sea, following
the land border with the Republic of Ireland to within a few kilometres).
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Callable, Optional

import numpy as np

# (longitude, latitude), counter-clockwise, from the Isles of Scilly round the east coast to
# Shetland, down the Western Isles, along the Irish land border and back across the Irish Sea.
UK_OUTLINE: tuple[tuple[float, float], ...] = (
    (-6.70, 49.75),
    (-5.30, 49.85),
    (-2.50, 50.45),
    (-1.30, 50.45),
    (0.30, 50.65),
    (1.05, 50.85),
    (1.55, 51.10),
    (1.85, 51.40),
    (1.85, 52.30),
    (1.85, 52.95),
    (0.50, 53.50),
    (0.20, 53.75),
    (-0.05, 54.20),
    (-0.50, 54.55),
    (-1.20, 55.00),
    (-1.40, 55.50),
    (-1.80, 55.85),
    (-2.30, 56.10),
    (-2.30, 56.70),
    (-1.60, 57.50),
    (-1.70, 57.75),
    (-3.00, 58.75),
    (-0.60, 60.30),
    (-0.60, 60.95),
    (-1.30, 60.95),
    (-2.30, 60.20),
    (-3.60, 59.30),
    (-5.20, 58.75),
    (-6.10, 58.60),
    (-8.80, 58.00),
    (-8.80, 56.50),
    (-7.00, 55.45),
    (-6.95, 55.20),
    (-7.25, 55.05),
    (-7.50, 54.85),
    (-7.95, 54.70),
    (-8.20, 54.45),
    (-7.85, 54.22),
    (-7.65, 54.12),
    (-7.30, 54.14),
    (-7.15, 54.25),
    (-6.95, 54.40),
    (-6.85, 54.27),
    (-6.65, 54.10),
    (-6.35, 54.05),
    (-6.10, 54.00),
    (-4.90, 53.35),
    (-4.95, 52.75),
    (-5.50, 51.85),
    (-5.50, 51.70),
    (-5.00, 51.20),
    (-6.00, 50.25),
    (-6.70, 50.10),
)

_OUTLINE = np.asarray(UK_OUTLINE, dtype=np.float64)
_BBOX = (_OUTLINE[:, 0].min(), _OUTLINE[:, 1].min(), _OUTLINE[:, 0].max(), _OUTLINE[:, 1].max())
# The outline's edges as (ax, ay, bx, by), the last closing it back to the first vertex.
_EDGES = tuple(zip(*_OUTLINE.T, *np.roll(_OUTLINE, -1, axis=0).T))

WGS84 = "EPSG:4326"
BRITISH_NATIONAL_GRID = "EPSG:27700"
IRISH_TRANSVERSE_MERCATOR = "EPSG:2157"

# The outline's bounding box widened by this much each way: the British Isles with the
# nearby continent's coasts (Brittany to Denmark, southern Norway), where an extract may hold
# a real place outside the UK (another country's location, a ferry port) that is no swap.
NEAR_UK_MARGIN_DEG = 5.0
NEAR_UK_BOX = (
    _BBOX[0] - NEAR_UK_MARGIN_DEG,
    _BBOX[1] - NEAR_UK_MARGIN_DEG,
    _BBOX[2] + NEAR_UK_MARGIN_DEG,
    _BBOX[3] + NEAR_UK_MARGIN_DEG,
)


def inside_uk(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """True where (lon, lat) lies inside the UK outline (NaN gives False).

    Every reader calls this on every row (750,000 map points, 500,000 crimes), and a ray cast
    against the outline's 53 edges cost about 0.1 s of a map points read. Most points lie in a
    grid cell that no edge comes near, whose answer is its centre's (see _outline_cells); only
    points in the cells an edge crosses are ray cast. The answers are the ray cast's, exactly."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        result = (lon >= _BBOX[0]) & (lat >= _BBOX[1]) & (lon <= _BBOX[2]) & (lat <= _BBOX[3])
    idx = np.flatnonzero(result)
    if idx.size == 0:
        return result
    x, y = lon[idx], lat[idx]
    state = _outline_cells()[_cell_of(x, y)]
    near = np.flatnonzero(state == _CELL_NEAR_EDGE)
    inside = state == _CELL_INSIDE
    inside[near] = _ray_cast(x[near], y[near])
    result[idx] = inside
    return result


def near_uk_in_crs(lon: np.ndarray, lat: np.ndarray, crs: str) -> np.ndarray:
    """True where a point given in `crs` (here as its WGS84 `lon`, `lat`) is a place that CRS
    can mean near the UK: inside NEAR_UK_BOX and inside the CRS's own area of use (NaN, a
    point PROJ could not map, gives False).

    Why: x and y are called swapped only where the point as given is no such place. Swapped
    into the UK is not enough: Calais in British National Grid (E 670500, N 123800) swaps to
    Islay, but it is a real grid reference of a real place, outside the UK. A Scottish grid
    reference typed northing first (x = 845500) lies east of 2°E, beyond the grid's area of
    use, so it is called swapped; one whose northing is below 700,000 is a valid easting and
    cannot be told from a place by its numbers. Longitude and latitude swapped lie in the
    Indian Ocean, far outside the box, so a WGS84 swap is always recognised."""
    west, south, east, north = NEAR_UK_BOX
    use = area_of_use(crs)
    if use is not None:
        west, south = max(west, use[0]), max(south, use[1])
        east, north = min(east, use[2]), min(north, use[3])
    return in_box(lon, lat, (west, south, east, north))


def in_box(x: np.ndarray, y: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """True where (x, y) lies inside ``box`` (x_min, y_min, x_max, y_max), edges included;
    NaN gives False."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    x_min, y_min, x_max, y_max = box
    with np.errstate(invalid="ignore"):
        return (x >= x_min) & (x <= x_max) & (y >= y_min) & (y <= y_max)


def _ray_cast(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The even-odd test against UK_OUTLINE: whether a ray from each point towards +x crosses
    an odd number of edges (half-open in y, so a ray through a vertex counts it once)."""
    inside = np.zeros(x.size, dtype=bool)
    if x.size == 0:
        return inside
    for ax, ay, bx, by in _EDGES:
        crosses = (ay > y) != (by > y)
        if not crosses.any():
            continue
        x_at = ax + (y - ay) * (bx - ax) / (by - ay) if by != ay else ax
        inside ^= crosses & (x < x_at)
    return inside


# The outline's bounding box cut into square cells of _CELL_DEG degrees (about 11 km north
# to south): 107 by 112 cells, of which about 6% lie near an edge.
_CELL_DEG = 0.1
_CELLS_X = int(np.ceil((_BBOX[2] - _BBOX[0]) / _CELL_DEG))
_CELLS_Y = int(np.ceil((_BBOX[3] - _BBOX[1]) / _CELL_DEG))
_CELL_OUTSIDE, _CELL_INSIDE, _CELL_NEAR_EDGE = 0, 1, 2
# How far beyond its own square a cell reaches when edges are looked for, in degrees: far more
# than the rounding of a point's cell index (a few 1e-15), so that a point just over a cell's
# side, and put in that cell, is still covered by the cell's answer.
_CELL_MARGIN_DEG = 1e-6


def _cell_of(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Flat cell index of points inside the bounding box (its far sides go to the last cell)."""
    col = np.minimum(((x - _BBOX[0]) * (1.0 / _CELL_DEG)).astype(np.int64), _CELLS_X - 1)
    row = np.minimum(((y - _BBOX[1]) * (1.0 / _CELL_DEG)).astype(np.int64), _CELLS_Y - 1)
    return row * _CELLS_X + col


@lru_cache(maxsize=1)
def _outline_cells() -> np.ndarray:
    """Per cell: outside, inside, or near an edge (no answer of its own).

    A cell no edge comes within reach of holds no point of the outline, so the even-odd test
    gives every point in it the same answer (a ray's crossings change only when the point
    crosses an edge; the half-open rule keeps the parity at vertices): its centre's. Reach is
    measured from the cell's centre, as its half-diagonal plus the margin, to each edge as a
    segment. Made once per process, in about 10 ms."""
    col, row = np.meshgrid(np.arange(_CELLS_X), np.arange(_CELLS_Y))
    cx = _BBOX[0] + (col.ravel() + 0.5) * _CELL_DEG
    cy = _BBOX[1] + (row.ravel() + 0.5) * _CELL_DEG
    reach = _CELL_DEG * np.sqrt(0.5) + _CELL_MARGIN_DEG
    near = np.zeros(cx.size, dtype=bool)
    for ax, ay, bx, by in _EDGES:
        dx, dy = bx - ax, by - ay
        t = np.clip(((cx - ax) * dx + (cy - ay) * dy) / (dx * dx + dy * dy), 0.0, 1.0)
        near |= np.hypot(cx - (ax + t * dx), cy - (ay + t * dy)) <= reach
    state = np.where(_ray_cast(cx, cy), _CELL_INSIDE, _CELL_OUTSIDE).astype(np.int8)
    state[near] = _CELL_NEAR_EDGE
    state.flags.writeable = False
    return state


_SYSTEM_PROJ_DIRS = ("/usr/share/proj", "/usr/local/share/proj")


@lru_cache(maxsize=1)
def pyproj_module():
    """pyproj, pointed at the system PROJ database when it cannot find one itself (as in a
    virtualenv over Debian's python3-pyproj, whose sys.prefix has no share/proj)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        import pyproj
    from pyproj import datadir
    from pyproj.exceptions import DataDirError

    try:
        datadir.get_data_dir()
    except DataDirError:
        for candidate in _SYSTEM_PROJ_DIRS:
            if os.path.exists(os.path.join(candidate, "proj.db")):
                datadir.set_data_dir(candidate)
                break
    return pyproj


@lru_cache(maxsize=16)
def _transformer(source_crs: str, target_crs: str):
    return pyproj_module().Transformer.from_crs(source_crs, target_crs, always_xy=True)


TransformBackend = Callable[[np.ndarray, np.ndarray, str, str], tuple[np.ndarray, np.ndarray]]
_fallback: Optional[TransformBackend] = None


class TransformUnavailable(RuntimeError):
    """Neither pyproj nor a registered fallback (QGIS) can transform coordinates."""


def set_fallback_transform(backend: Optional[TransformBackend]) -> None:
    """Transform with `backend` (x, y, source, target) -> (x, y) when pyproj is missing.

    QGIS always has PROJ but not every platform's QGIS Python has pyproj; the plugin
    registers a QGIS-based fallback at start-up (cheap: nothing is imported until a force
    extract needs a transform), so the core never imports QGIS itself.
    """
    global _fallback
    _fallback = backend


AreaOfUseBackend = Callable[[str], Optional[tuple[float, float, float, float]]]
_fallback_area_of_use: Optional[AreaOfUseBackend] = None


def set_fallback_area_of_use(backend: Optional[AreaOfUseBackend]) -> None:
    """Ask `backend` (an authority id) for a CRS's area of use when pyproj is missing: the
    QGIS fallback, registered beside set_fallback_transform's, so that a swap is recognised
    the same way with or without pyproj."""
    global _fallback_area_of_use
    _fallback_area_of_use = backend


def area_of_use(crs: str) -> Optional[tuple[float, float, float, float]]:
    """The CRS's area of use (west, south, east, north, in degrees) as its authority gives
    it, or None when unknown or when it crosses the antimeridian (then it says nothing about
    the UK). British National Grid's is Great Britain and its seas to 2.01°E."""
    try:
        bounds = _pyproj_area_of_use(crs.upper())
    except ImportError:
        bounds = _fallback_area_of_use(crs.upper()) if _fallback_area_of_use else None
    if bounds is None or bounds[0] > bounds[2] or bounds[1] > bounds[3]:
        return None
    return bounds


def in_crs_bounds(x: np.ndarray, y: np.ndarray, crs: str) -> np.ndarray:
    """True where (x, y), given in `crs`, lies inside that CRS's area of use as the CRS writes
    coordinates (crs_bounds); everywhere when the area is unknown. NaN gives False.

    Why before trusting a transform: PROJ maps some impossible coordinates back to real
    places (a British National Grid northing of 999,999,999 comes out in Leicestershire, as
    do 1,000,000,000 and easting 457,901), so a point must be one the grid can hold."""
    bounds = crs_bounds(crs)
    if bounds is None:
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        return np.isfinite(x) & np.isfinite(y)
    return in_box(x, y, bounds)


# Points per side of the area of use transformed into a CRS to find its bounds there.
_BOUNDS_SIDE_POINTS = 201


@lru_cache(maxsize=16)
def crs_bounds(crs: str) -> Optional[tuple[float, float, float, float]]:
    """The CRS's area of use in its own coordinates (x_min, y_min, x_max, y_max), or None
    when unknown: the box round the area's outline transformed from WGS84 (a map
    projection's largest and smallest values lie on the outline). British National Grid's
    is about E -104,000 to 689,000, N -17,000 to 1,257,000."""
    if is_wgs84(crs):  # (no PROJ needed for a police.uk street file)
        return (-180.0, -90.0, 180.0, 90.0)
    use = area_of_use(crs)
    if use is None:
        return None
    west, south, east, north = use
    t = np.linspace(0.0, 1.0, _BOUNDS_SIDE_POINTS)
    lon = np.concatenate([west + (east - west) * t, np.full(t.size, east)])
    lon = np.concatenate([lon, east - (east - west) * t, np.full(t.size, west)])
    lat = np.concatenate([np.full(t.size, south), south + (north - south) * t])
    lat = np.concatenate([lat, np.full(t.size, north), north - (north - south) * t])
    x, y = transform(lon, lat, WGS84, crs)
    if not (np.isfinite(x).any() and np.isfinite(y).any()):
        return None
    return (
        float(np.nanmin(x)),
        float(np.nanmin(y)),
        float(np.nanmax(x)),
        float(np.nanmax(y)),
    )


@lru_cache(maxsize=16)
def _pyproj_area_of_use(crs: str) -> Optional[tuple[float, float, float, float]]:
    pyproj = pyproj_module()  # (ImportError: the caller asks the fallback)
    try:
        use = pyproj.CRS.from_user_input(crs).area_of_use
    except pyproj.exceptions.CRSError:
        return None
    return None if use is None else (use.west, use.south, use.east, use.north)


def transform(
    x: np.ndarray, y: np.ndarray, source_crs: str, target_crs: str
) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates from one CRS (authority id such as "EPSG:27700") to another, x/y order
    (longitude first for WGS84). NaN in gives NaN out; so does a point PROJ cannot map."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if source_crs.upper() == target_crs.upper():
        return x.copy(), y.copy()
    try:
        tx, ty = _transformer(source_crs.upper(), target_crs.upper()).transform(x, y)
    except ImportError as exc:
        if _fallback is None:
            raise TransformUnavailable(
                "coordinate transforms need pyproj (or the crime_mapper plugin running in QGIS)"
            ) from exc
        tx, ty = _fallback(x, y, source_crs.upper(), target_crs.upper())
    tx, ty = np.array(tx, dtype=np.float64), np.array(ty, dtype=np.float64)
    bad = ~np.isfinite(tx) | ~np.isfinite(ty)
    tx[bad] = np.nan
    ty[bad] = np.nan
    return tx, ty


def is_wgs84(crs: str) -> bool:
    """Whether `crs` is longitude/latitude on WGS84, which to_wgs84 takes as it is."""
    return crs.upper() in (WGS84, "OGC:CRS84")


def to_wgs84(x: np.ndarray, y: np.ndarray, source_crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Longitude/latitude for coordinates in `source_crs` (NaN stays NaN)."""
    if is_wgs84(source_crs):
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return transform(x, y, source_crs, WGS84)


def coordinates_not_in_crs(
    x: np.ndarray, y: np.ndarray, crs: str, geographic: bool
) -> Optional[tuple[str, int, float, float]]:
    """Why a layer's coordinates (x, y, as the layer holds them) cannot be in its own CRS
    ``crs`` (``geographic``: in degrees): (``"beyond"`` its range or ``"degrees"`` in a
    metre grid, how many points, the first one's x and y), or None.

    Two ways a layer's CRS is not the one its numbers were written in, each seen on an
    analyst's layer: British National Grid metres in a layer set to WGS84 lie beyond any
    longitude and latitude (in_crs_bounds), and were read as "crimes without a location";
    longitude and latitude in a layer set to a metre grid all lie within a few hundred
    metres of the grid's origin, where a UK police force has no crimes, and were mapped
    there as one cluster. The second is called so only when every point, read as degrees,
    lies inside the UK. NaN (no location) is no such point."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    finite = np.isfinite(x) & np.isfinite(y)
    beyond = np.flatnonzero(finite & ~in_crs_bounds(x, y, crs))
    if beyond.size:
        first = int(beyond[0])
        return "beyond", int(beyond.size), float(x[first]), float(y[first])
    located = np.flatnonzero(finite)
    if geographic or not located.size:
        return None
    if inside_uk(x[located], y[located]).all():
        first = int(located[0])
        return "degrees", int(located.size), float(x[first]), float(y[first])
    return None


def guess_crs(x: np.ndarray, y: np.ndarray) -> str:
    """WGS84 when values look like degrees, else British National Grid.

    Used only when a mapping profile does not say; the choice is written to the report.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y) & ((x != 0) | (y != 0))
    if not ok.any():
        return WGS84
    degrees = (np.abs(x[ok]) <= 180) & (np.abs(y[ok]) <= 90)
    return WGS84 if degrees.mean() > 0.5 else BRITISH_NATIONAL_GRID
