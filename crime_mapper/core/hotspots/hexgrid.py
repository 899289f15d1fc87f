"""Pointy-top hexagon grid in a projected CRS, and crime counts on it.

Why hexagons: every neighbour of a hexagon is the same distance away, so "the cells around
this one" (what Getis-Ord Gi* sums over) has no diagonal special case, and counts are less
shaped by the grid's orientation than with squares.

Why a lattice anchored at the CRS origin: a given size always gives the same cells, so this
month's map, last month's map and a change analysis line up cell for cell, and a published
grid's vertices depend only on the settings, never on where the crimes were.

Cells are addressed by axial coordinates (q, r) (see redblobgames.com/grids/hexagons):
centre x = size * (q + r / 2), centre y = size * sqrt(3) / 2 * r, where size is the distance
between neighbouring centres. The six neighbours of (q, r) are (q+1, r), (q-1, r),
(q, r+1), (q, r-1), (q+1, r-1), (q-1, r+1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

SQRT3 = math.sqrt(3.0)
DEFAULT_MAX_CELLS = 1_000_000

_GEOGRAPHIC_IDS = frozenset({"EPSG:4326", "EPSG:4258", "EPSG:4277", "OGC:CRS84", "CRS:84"})


class HotspotInputError(ValueError):
    """Input a hotspot analysis cannot work on (no crimes, bad size, degrees...), with a message
    written for the analyst: the QGIS layer shows it as it is."""


class TooManyCells(HotspotInputError):
    """The chosen cell size would make more cells than the set maximum; raised before the
    cells are allocated so a mistyped size cannot exhaust memory or hang QGIS."""


@lru_cache(maxsize=32)
def _is_geographic(crs: str) -> bool:
    if crs.strip().upper() in _GEOGRAPHIC_IDS:
        return True
    try:
        from crime_mapper.core.common.geography import pyproj_module

        return bool(pyproj_module().CRS.from_user_input(crs).is_geographic)
    except Exception:  # noqa: BLE001 - no pyproj or an id PROJ does not know: trust the caller
        return False


def require_projected(crs: str) -> None:
    """Raise HotspotInputError when `crs` measures in degrees: hexagon sizes, bandwidths and
    cell sizes are metres, and a "250 m" grid in degrees would be a few giant cells."""
    if _is_geographic(crs):
        raise HotspotInputError(
            f"The coordinate reference system {crs} is in degrees, but hotspot sizes are in "
            "metres. Use a projected CRS such as British National Grid (EPSG:27700) or Irish "
            "Transverse Mercator (EPSG:2157)."
        )


def metres(value: float) -> str:
    """A size as an analyst reads it: "500 m", "1,000,000 m", "10.5 m", "0.00001 m".

    Why not ``:g``: a mistyped hexagon size was said back as "not 1e-05 m" or "not 1e+09 m",
    a float's notation that reads as no size at all. From 10 m, metres with up to two
    decimals, thousands separated; below that the decimals the value needs (up to 6
    significant figures, never an exponent); below a micrometre or above a billion
    kilometres, said as such rather than as a run of digits."""
    value = float(value)
    if not math.isfinite(value):
        return f"{value} m"
    if value < 0:
        return f"minus {metres(-value)}"
    if value >= 1e12:
        return "more than 1,000,000,000,000 m"
    if value >= 10:
        return f"{value:,.2f}".rstrip("0").rstrip(".") + " m"
    if 0 < value < 1e-6:
        return "less than 0.000001 m"
    text = np.format_float_positional(value, precision=6, unique=True, fractional=False, trim="-")
    return f"{text} m"


def metres_in_file_name(value: float) -> str:
    """A size as a release's file names carry it: :func:`metres` without its space and
    thousands separators ("250m", "1000000m", "0.00001m"); words it says instead of a
    number ("less than", "minus") joined by underscores, so any value gives a safe name.

    Why not ``:g``: a 1,000,000 m hexagon was published as hotspots_gi_1e+06m.gpkg and a
    tiny size as ..._1e-05m; why metres' own text: one formatter for every size, and the
    names of ordinary sizes ("250m", "10.5m") stay those of the releases already made."""
    return metres(value).replace(",", "").replace(" m", "m").replace(" ", "_")


#: The smallest hexagon size, raster cell size and bandwidth a hotspot method takes, in
#: metres. Why: a 1 mm grid was accepted and made a sparse grid of one-crime cells (or, for
#: a small area, a surface of needles) that says nothing about where crime concentrates;
#: police analysts use 50-250 m hexagons and 25-100 m raster cells, and a crime's recorded
#: location is good to some metres at best, so nothing finer than 10 m means anything.
SMALLEST_SIZE_M = 10.0


def refuse_below_smallest(size_m: float, what: str) -> None:
    """HotspotInputError when ``size_m`` (a positive number of metres) is below
    SMALLEST_SIZE_M, naming ``what`` and the value: the one floor of the hexagon size, the
    density surface's cell size and bandwidth, the Processing parameters and the release
    configuration."""
    if size_m < SMALLEST_SIZE_M:
        raise HotspotInputError(
            f"The {what} must be at least {metres(SMALLEST_SIZE_M)}, not {metres(size_m)}: "
            "cells that small hold a crime or none each and show no pattern (analysts use "
            "50-250 m)."
        )


def _given(value: object) -> str:
    """A refused size as given: a number said as metres() says it, anything else as typed."""
    try:
        return metres(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return repr(value)


#: The largest hexagon size: a cell the width of Great Britain. 1e308 made one hexagon with
#: vertices near 1e307 and "succeeded" (written as hotspots_gi_1e+308m.gpkg).
LARGEST_HEXAGON_M = 1_000_000.0


@dataclass(frozen=True)
class HexGrid:
    """A pointy-top hexagon lattice: `size_m` metres between neighbouring cell centres, in the
    projected CRS `crs` (kept so layers and rasters are written in the CRS the cells mean)."""

    size_m: float
    crs: str = "EPSG:27700"

    def __post_init__(self) -> None:
        size = float(self.size_m)
        if not math.isfinite(size) or size <= 0 or size > LARGEST_HEXAGON_M:
            raise HotspotInputError(
                f"The hexagon size must be a positive number of metres up to "
                f"{LARGEST_HEXAGON_M:,.0f}, not {_given(self.size_m)}."
            )
        refuse_below_smallest(size, "hexagon size")
        object.__setattr__(self, "size_m", size)
        require_projected(self.crs)

    @property
    def radius_m(self) -> float:
        """Centre-to-vertex distance (circumradius): size / sqrt(3)."""
        return self.size_m / SQRT3

    @property
    def cell_area_m2(self) -> float:
        """Area of one hexagon: sqrt(3) / 2 * size^2."""
        return SQRT3 / 2.0 * self.size_m**2


@dataclass
class GridCounts:
    """Counts per hexagon: every occupied cell plus every cell within `rings` steps of one
    (with count 0), sorted by (q, r). The zeros matter: Gi* compares each neighbourhood with
    the mean over the whole study area, and empty cells next to crime are part of it."""

    q: np.ndarray  # int64 axial column
    r: np.ndarray  # int64 axial row
    count: np.ndarray  # int64
    grid: HexGrid
    rings: int
    n_points: int  # points counted (points with NaN coordinates are left out)

    def __len__(self) -> int:
        return int(self.q.size)


def _xy(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise HotspotInputError(f"x and y differ in length ({x.size} and {y.size}).")
    return x, y


def located_points(x: np.ndarray, y: np.ndarray, to_do: str) -> tuple[np.ndarray, np.ndarray]:
    """``x`` and ``y`` as flat float arrays without the crimes that have no location (a NaN
    or infinite coordinate); HotspotInputError when none is left, saying there are none
    ``to_do`` ("to count on the grid"). Why one: the Gi* grid and the density surface
    leave out the same crimes and refuse an empty layer in the same words."""
    x, y = _xy(x, y)
    finite = np.isfinite(x) & np.isfinite(y)
    if not finite.all():
        x, y = x[finite], y[finite]
    if x.size == 0:
        raise HotspotInputError(
            f"There are no crimes with a location {to_do} "
            "(the layer is empty or no feature has coordinates)."
        )
    return x, y


def hex_cells(x: np.ndarray, y: np.ndarray, grid: HexGrid) -> tuple[np.ndarray, np.ndarray]:
    """Axial (q, r) of the hexagon containing each point (vectorised cube rounding).

    Points must be finite; a point exactly on an edge goes to one of the two cells, always the
    same one for the same coordinates."""
    x, y = _xy(x, y)
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise HotspotInputError("Some points have no coordinates (NaN); leave them out first.")
    rf = y / (grid.size_m * SQRT3 / 2.0)
    qf = x / grid.size_m - rf / 2.0
    sf = -qf - rf
    q = np.rint(qf)
    r = np.rint(rf)
    s = np.rint(sf)
    dq = np.abs(q - qf)
    dr = np.abs(r - rf)
    ds = np.abs(s - sf)
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    q = np.where(fix_q, -r - s, q)
    r = np.where(fix_r, -q - s, r)
    return q.astype(np.int64), r.astype(np.int64)


def hex_centres(q: np.ndarray, r: np.ndarray, grid: HexGrid) -> tuple[np.ndarray, np.ndarray]:
    """Centre (x, y) in metres of each axial cell."""
    q = np.asarray(q, dtype=np.float64)
    r = np.asarray(r, dtype=np.float64)
    return grid.size_m * (q + r / 2.0), grid.size_m * SQRT3 / 2.0 * r


# Vertex directions of a pointy-top hexagon, counter-clockwise from 30 degrees, ring closed.
_ANGLES = np.radians(30.0 + 60.0 * (np.arange(7) % 6))
_UNIT_VERTICES = np.column_stack([np.cos(_ANGLES), np.sin(_ANGLES)])


def hex_polygons(q: np.ndarray, r: np.ndarray, grid: HexGrid) -> np.ndarray:
    """(n, 7, 2) closed exterior rings (counter-clockwise, first vertex repeated) in metres."""
    cx, cy = hex_centres(q, r, grid)
    rings = np.empty((cx.size, 7, 2), dtype=np.float64)
    rings[:, :, 0] = cx[:, None] + grid.radius_m * _UNIT_VERTICES[None, :, 0]
    rings[:, :, 1] = cy[:, None] + grid.radius_m * _UNIT_VERTICES[None, :, 1]
    rings[:, 6] = rings[:, 0]  # exact closure, not cos(390 degrees)
    return rings


def ring_offsets(rings: int) -> tuple[np.ndarray, np.ndarray]:
    """Axial offsets (dq, dr) of the cell itself and every cell within `rings` steps:
    1 + 3 k (k + 1) offsets, (0, 0) first."""
    if rings < 0:
        raise HotspotInputError(f"The number of neighbour rings must be 0 or more, not {rings}.")
    dq, dr = np.meshgrid(np.arange(-rings, rings + 1), np.arange(-rings, rings + 1), indexing="ij")
    dq, dr = dq.ravel(), dr.ravel()
    keep = np.abs(dq + dr) <= rings
    dq, dr = dq[keep], dr[keep]
    order = np.lexsort((dr, dq, (dq != 0) | (dr != 0)))  # (0, 0) first, then by dq, dr
    return dq[order].astype(np.int64), dr[order].astype(np.int64)


def nice_size_above(size: float) -> float:
    """A round hexagon size >= size (1, 2, 2.5, 5 x 10^k metres) for error messages."""
    exponent = math.floor(math.log10(size))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        candidate = step * 10.0**exponent
        if candidate >= size:
            return candidate
    return 10.0 ** (exponent + 1)


def _too_many(grid: HexGrid, cells: int, max_cells: int, rings: int, exact: bool) -> TooManyCells:
    suggestion = nice_size_above(grid.size_m * math.sqrt(cells / max_cells) * 1.05)
    what = f"{cells:,}" if exact else f"at least {cells:,}"
    around = (
        f" (occupied cells plus {rings} ring{'s' if rings != 1 else ''} of neighbours)"
        if rings
        else ""
    )
    return TooManyCells(
        f"A {metres(grid.size_m)} hexagon grid would need {what} cells{around}, more than the "
        f"maximum of {max_cells:,}. Choose a larger hexagon size (about {metres(suggestion)} "
        "or more) or raise the maximum number of cells."
    )


def grid_counts(
    x: np.ndarray, y: np.ndarray, grid: HexGrid, rings: int = 1, max_cells: int = DEFAULT_MAX_CELLS
) -> GridCounts:
    """Crimes per hexagon for points (x, y) in metres, plus zero cells around them.

    Points with NaN coordinates (crimes without a location) are left out. Raises
    HotspotInputError when no point is left and TooManyCells when the result would exceed
    `max_cells`; the size is checked with a cheap upper bound first and, only when that bound
    is over the limit, counted exactly one neighbour direction at a time so memory never grows
    far past the limit."""
    x, y = _xy(x, y)
    rings = int(rings)
    offsets_q, offsets_r = ring_offsets(rings)
    x, y = located_points(x, y, "to count on the grid")
    q, r = hex_cells(x, y, grid)
    q_min, r_min = int(q.min()) - rings, int(r.min()) - rings
    span_r = int(r.max()) + rings - r_min + 1
    keys = (q - q_min) * span_r + (r - r_min)
    occupied, counts = np.unique(keys, return_counts=True)
    if occupied.size > max_cells:
        raise _too_many(grid, int(occupied.size), max_cells, 0, exact=True)
    offset_keys = offsets_q * span_r + offsets_r
    upper = occupied.size * offset_keys.size  # cheap bound: no neighbourhoods overlap
    if upper > max_cells:
        union = occupied
        for shift in offset_keys[1:]:
            union = np.union1d(union, occupied + shift)
            if union.size > max_cells:
                raise _too_many(grid, int(union.size), max_cells, rings, exact=False)
        all_keys = union
    else:
        all_keys = np.unique((occupied[:, None] + offset_keys[None, :]).ravel())
    cell_counts = np.zeros(all_keys.size, dtype=np.int64)
    cell_counts[np.searchsorted(all_keys, occupied)] = counts
    return GridCounts(
        q=all_keys // span_r + q_min,
        r=all_keys % span_r + r_min,
        count=cell_counts,
        grid=grid,
        rings=rings,
        n_points=int(x.size),
    )
