"""Which of many polygons first holds each of many points, in whole-array steps.

Why (issue 12: the national web map in at most 5 s): a national month's 294,000 distinct
positions tested against 7,200 neighbourhood outlines one outline at a time took 0.37 s,
half of it a dozen small numpy calls per outline; the test is on the staging process's
critical path. Here the outlines' candidate points are found for all outlines at once (a
grid of longitude columns, each column's points sorted by latitude, so an outline's
bounding box is a few contiguous runs), then every (point, outline) candidate is tested
against its outline's edges in bounded chunks, with exactly the arithmetic of
core.publish.neighbourhoods._crossings (a half-open ray towards +x), so that the answer is
the one-outline-at-a-time answer, point for point.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

#: Most (point, edge) tests, or (point, outline) candidates, held at once: some 80 bytes
#: of temporaries each, so about 80 MB a chunk (the outline-by-outline test held some
#: 100 MB: neighbourhoods._MAX_POINTS_X_EDGES).
MAX_TESTS = 1_000_000
_MAX_COLUMNS = 4096  # longitude columns of the grid (their width: a typical outline's)


def first_containing(
    lon: np.ndarray,
    lat: np.ndarray,
    edges: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    bounds: np.ndarray,
    outside: int = -1,
) -> np.ndarray:
    """Per point, the lowest index i of a polygon holding it (edges[starts[i]:ends[i]],
    rows x1 y1 x2 y2; bounds[i] its minx miny maxx maxy, NaN when it has no outline), or
    ``outside``. A point is held when a ray from it towards +x crosses an odd number of
    the polygon's edges, half-open in y; points not finite in both axes are held by none."""
    lon = np.asarray(lon, np.float64)
    lat = np.asarray(lat, np.float64)
    result = np.full(len(lon), outside, np.int64)
    ok = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
    polygons = np.flatnonzero((ends > starts) & np.isfinite(bounds).all(axis=1))
    if ok.size == 0 or polygons.size == 0:
        return result
    x1, y1, x2, y2 = (np.ascontiguousarray(edges[:, k]) for k in range(4))
    held_points: list[np.ndarray] = []
    held_by: list[np.ndarray] = []
    for point, polygon in _candidates(lon, lat, ok, bounds, polygons):
        inside = _odd_crossings(lon, lat, point, polygon, starts, ends, (x1, y1, x2, y2))
        held_points.append(point[inside])
        held_by.append(polygon[inside])
    if held_points:
        point = np.concatenate(held_points)
        polygon = np.concatenate(held_by)
        result[point] = polygon  # (most points are in one polygon: the rest put right below)
        several = np.bincount(point, minlength=len(lon))[point] > 1
        if several.any():
            point, polygon = point[several], polygon[several]
            result[point] = np.iinfo(np.int64).max
            np.minimum.at(result, point, polygon)
    return result


def _candidates(
    lon: np.ndarray, lat: np.ndarray, ok: np.ndarray, bounds: np.ndarray, polygons: np.ndarray
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(point, polygon) index pairs with the point inside the polygon's bounding box (edges
    included), polygon by polygon (ascending), in chunks of at most MAX_TESTS candidates
    before the box test (a single column run may exceed it)."""
    plon, plat = lon[ok], lat[ok]
    west, south = plon.min(), plat.min()
    box = bounds[polygons]
    widths = box[:, 2] - box[:, 0]
    widths = widths[widths > 0]
    span = float(plon.max() - west)
    width = float(np.median(widths)) if widths.size else max(span, 1.0)
    width = max(width, span / (_MAX_COLUMNS - 1), 1e-9)
    columns = int(span // width) + 1
    # a point's column, and one sort key: column, then latitude (the column's multiple
    # of ``stride`` is exact, and rounding is monotonic: a box's latitude run in a column
    # is found by searching the same expression, with no point of the column left out)
    tall = float(plat.max() - south)
    stride = tall + 1.0
    column = np.clip(np.floor((plon - west) / width), 0, columns - 1)
    key = column * stride + (plat - south)
    order = np.argsort(key)  # (points of one key in any order: every one is a candidate)
    key = key[order]
    by_point = ok[order]

    first_col = np.clip(np.floor((box[:, 0] - west) / width), 0, columns - 1).astype(np.int64)
    last_col = np.clip(np.floor((box[:, 2] - west) / width), 0, columns - 1).astype(np.int64)
    runs = last_col - first_col + 1
    run_polygon = np.repeat(np.arange(polygons.size), runs)
    run_column = first_col[run_polygon] + _within(runs)
    base = run_column.astype(np.float64) * stride
    # (clipped to the points' own latitudes, monotonically: a box reaching past them
    # searches no other column)
    lo = np.searchsorted(key, base + np.clip(box[run_polygon, 1] - south, 0, tall), "left")
    hi = np.searchsorted(key, base + np.clip(box[run_polygon, 3] - south, 0, tall), "right")
    counts = np.maximum(hi - lo, 0)
    for a, b in _chunks(counts, MAX_TESTS):
        n = counts[a:b]
        if not n.sum():
            continue
        at = np.repeat(lo[a:b], n) + _within(n)
        which = np.repeat(run_polygon[a:b], n)
        point = by_point[at]
        minx, miny, maxx, maxy = (box[which, k] for k in range(4))
        x, y = lon[point], lat[point]
        keep = (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)
        yield point[keep], polygons[which[keep]]


def _odd_crossings(
    lon: np.ndarray,
    lat: np.ndarray,
    point: np.ndarray,
    polygon: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    edges: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> np.ndarray:
    """Whether each (point, polygon) pair's ray crosses an odd number of the polygon's
    edges: neighbourhoods._crossings' test, element for element. Edge slot by edge slot
    (the pairs ordered by their polygon's edge count, most first, so slot k's pairs are a
    prefix): no copy of a point per edge, and the crossing's abscissa worked out only for
    the edges that straddle the ray (a few of each polygon's)."""
    x1, y1, x2, y2 = edges
    if point.size == 0:
        return np.zeros(0, bool)
    sides = ends[polygon] - starts[polygon]  # (at least one: polygons without edges are out)
    most = int(sides.max())
    fewer = most - sides  # (most first; 16 bits sort in one pass where they are enough)
    order = np.argsort(fewer.astype(np.uint16) if most < 1 << 16 else fewer, kind="stable")
    first = starts[polygon[order]]
    sx, sy = lon[point[order]], lat[point[order]]
    active = np.searchsorted(fewer[order], most - np.arange(1, most + 1), "right")
    odd = np.zeros(point.size, bool)
    for k, m in enumerate(active.tolist()):
        e = first[:m] + k
        ey1, ey2, py = y1[e], y2[e], sy[:m]
        at = np.flatnonzero((ey1 > py) != (ey2 > py))
        if at.size == 0:
            continue
        e, ey1, ey2, py = e[at], ey1[at], ey2[at], py[at]
        ex1 = x1[e]
        with np.errstate(divide="ignore", invalid="ignore"):
            xcross = ex1 + (py - ey1) * (x2[e] - ex1) / (ey2 - ey1)
        odd[at] ^= sx[:m][at] < xcross
    out = np.empty(point.size, bool)
    out[order] = odd
    return out


def _within(lengths: np.ndarray) -> np.ndarray:
    """0, 1, ... lengths[0]-1, 0, 1, ... : each run's positions within it."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    ends = np.cumsum(lengths)
    shift = np.repeat(ends - lengths, lengths)
    return np.arange(total, dtype=np.int64) - shift


def _chunks(sizes: np.ndarray, most: int) -> Iterator[tuple[int, int]]:
    """[a, b) ranges of ``sizes`` summing to at most ``most`` each (a single larger size
    alone), in order."""
    n = sizes.size
    if n == 0:
        return
    total = np.cumsum(sizes)
    a = 0
    while a < n:
        before = int(total[a - 1]) if a else 0
        b = int(np.searchsorted(total, before + most, "right"))
        b = max(b, a + 1)
        yield a, b
        a = b
