"""Whether a release's hotspot sizes make too many cells, asked before the long work.

Why: a hexagon or density cell size just above the 10 m floor (hexgrid.SMALLEST_SIZE_M) is a
valid setting, but over a force or a country it makes more cells than the hotspot methods
take (a 10.5 m density cell over Leicestershire needs 37 million). The configuration took
it, and the release refused it only at its hotspots step, after the load, the release QA
and the anonymise step had run (minutes nationally). How many cells a size makes depends on
where the crimes are, so the release asks here as soon as it has read them, with the very
functions and limits the hotspots step uses (hexgrid.grid_counts, kde.kde_plan): the same
arithmetic, the same message. What the configuration alone decides (a density surface
always reaches a set bandwidth around every crime) is asked when it is read
(:func:`refuse_too_many_cells_anywhere`).

No QGIS: the points are projected as the hotspots step projects the crimes GeoPackage
(qgis_bridge.hotspot_input: core.common.projection.choose_crs, then pyproj).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .hexgrid import DEFAULT_MAX_CELLS, HexGrid, HotspotInputError, grid_counts
from .kde import DEFAULT_MAX_CELLS as KDE_DEFAULT_MAX_CELLS
from .kde import kde_plan

#: What the monthly release's hotspots step runs with (qgis_bridge.monthly_release): Gi* on
#: hexagons with one ring of neighbours, at most GI_MAX_CELLS of them, and a density surface
#: of at most KDE_MAX_CELLS pixels. One place, so the check and the step cannot differ.
GI_RINGS = 1
GI_MAX_CELLS = DEFAULT_MAX_CELLS
KDE_MAX_CELLS = KDE_DEFAULT_MAX_CELLS


@dataclass(frozen=True)
class Projected:
    """:func:`project_for_hotspots`'s answer for some WGS84 points, kept with the points it
    answers: the release's check projects the crimes as soon as they are read, and its
    hotspots step, reading the same crimes back from the crimes GeoPackage, takes this
    answer instead of projecting them again (0.33 s of CPU on the national month).

    Only for exactly the same points (:meth:`answers`: the same coordinates in the same
    order), so the step's layers are the bytes a projection of their own gave."""

    lon: np.ndarray
    lat: np.ndarray
    x: np.ndarray
    y: np.ndarray
    crs: str

    def answers(self, lon: np.ndarray, lat: np.ndarray) -> bool:
        """Whether ``lon``, ``lat`` are exactly the points projected here (1 ms nationally;
        a NaN among them is never equal: projected again)."""
        return np.array_equal(lon, self.lon) and np.array_equal(lat, self.lat)


def project_for_hotspots(
    lon: np.ndarray, lat: np.ndarray, known: Optional[Projected] = None
) -> tuple[np.ndarray, np.ndarray, str]:
    """WGS84 points in the projected CRS the hotspot methods choose for them (British
    National Grid, or Irish Transverse Mercator when most are in Northern Ireland): (x, y,
    the CRS). The one choice, for the hotspots step and the check before it. ``known``: an
    earlier answer, given back when it is for these very points (:class:`Projected`)."""
    from ..common.geography import WGS84, transform
    from ..common.projection import choose_crs

    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    if known is not None and known.answers(lon, lat):
        return known.x, known.y, known.crs
    target = choose_crs(lon, lat)
    refuse_outside_grid(lon, lat, target)
    x, y = transform(lon, lat, WGS84, target)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), target


def refuse_outside_grid(lon: np.ndarray, lat: np.ndarray, crs: str) -> None:
    """HotspotInputError when some of the WGS84 points lie outside the area of use of
    ``crs``, the grid chosen for them, naming how many and the first.

    Why: a crime there was projected all the same, where the grid's metres are not metres
    on the ground, and counted in a cell far from the others: longitude and latitude
    swapped (the crimes in the Indian Ocean) gave hotspots of 22 "500 m" hexagons, and one
    crime at longitude 100 one more cell, without a word. NaN (no location) is no such point;
    a CRS whose area is unknown is not asked about."""
    from ..common.geography import area_of_use, in_box

    use = area_of_use(crs)
    if use is None:
        return
    west, south, east, north = use
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    outside = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat) & ~in_box(lon, lat, use))
    if not outside.size:
        return
    first = int(outside[0])
    raise HotspotInputError(
        f"{outside.size:,} of the crimes lie outside the area {crs} covers "
        f"({west:g} to {east:g} degrees east, {south:g} to {north:g} degrees north; the first "
        f"at longitude {lon[first]:.6f}, latitude {lat[first]:.6f}): hotspot cells are metres "
        f"of {crs}, which are not metres there. Check the layer's coordinates (longitude and "
        "latitude swapped? the wrong CRS?) or leave those crimes out, and run again"
    )


def refuse_too_many_cells(
    x: np.ndarray,
    y: np.ndarray,
    crs: str,
    *,
    gi_cell_m: Optional[float] = None,
    kde_cell_m: Optional[float] = None,
    bandwidth_m: Optional[float] = None,
) -> None:
    """HotspotInputError (TooManyCells: the hotspots step's own message) when the Gi*
    hexagons of ``gi_cell_m`` or the density surface of ``kde_cell_m`` (and ``bandwidth_m``,
    None or 0 for the automatic rule) over the points (x, y, metres in ``crs``) would make
    more cells than the hotspots step takes. A method given no size is not asked about;
    with no located point there is nothing to ask (the step says so itself)."""
    finite = np.isfinite(x) & np.isfinite(y)
    x, y = np.asarray(x)[finite], np.asarray(y)[finite]
    if not x.size:
        return
    if gi_cell_m:
        grid_counts(x, y, HexGrid(float(gi_cell_m), crs), rings=GI_RINGS, max_cells=GI_MAX_CELLS)
    if kde_cell_m:
        kde_plan(
            x,
            y,
            cell_m=float(kde_cell_m),
            bandwidth_m=float(bandwidth_m) if bandwidth_m else None,
            max_cells=KDE_MAX_CELLS,
        )


def refuse_too_many_cells_anywhere(kde_cell_m: float, bandwidth_m: Optional[float]) -> None:
    """HotspotInputError when a density surface of ``kde_cell_m`` with the set
    ``bandwidth_m`` is refused whatever the crimes: the surface reaches the bandwidth around
    every crime, so one crime's surface is the smallest there is (kde_plan on one point).
    Nothing is decided without a set bandwidth (the automatic one depends on the crimes)."""
    if not bandwidth_m:
        return
    one = np.zeros(1, dtype=np.float64)
    kde_plan(one, one, float(kde_cell_m), float(bandwidth_m), max_cells=KDE_MAX_CELLS)
