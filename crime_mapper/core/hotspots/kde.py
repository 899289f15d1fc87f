"""Kernel density surface of crimes (crimes per km²), quartic kernel, on a square raster.

The kernel is the quartic (biweight) kernel QGIS's Heatmap and ArcGIS's Kernel Density use:

    K(d) = 3 / (pi h^2) * (1 - (d / h)^2)^2   for d < h, else 0,

which integrates to 1 over the plane. The surface is the kernel sum at each pixel centre c,
f(c) = sum over crimes i of K(|c - p_i|), in crimes per km². Two ways to compute it:

- ``exact``: the sum itself, crime by crime, over the pixels within the bandwidth. Used for
  small inputs (``method="auto"`` picks it when n x (pixels within reach) is at most
  EXACT_MAX_EVALUATIONS), and on request.
- ``linear``: linear (area-weighted, "cloud in cell") binning, then FFT convolution. Each
  crime's unit weight is shared between the four pixel centres around it with bilinear
  weights; convolving those weights with the kernel sampled at pixel offsets evaluates, for
  each crime, the bilinear interpolant of K(c - p) between those centres instead of K(c - p).
  The interpolant's error is t(1 - t) cell^2 / 2 * K_xx + s(1 - s) cell^2 / 2 * K_yy to second
  order (t, s: the crime's fractional position between centres); binning those terms too and
  convolving them with the kernel's second derivatives removes it, for two more FFTs. What
  remains is bounded by the difference of the second derivatives across a cell, at most
  twice their largest value, 8 * 3 / (pi h^4) each, so each crime within reach of a pixel
  changes it by at most

      E = 12 * cell^2 / (pi * h^4)   per m^2  (= 4 * (cell / h)^2 of one crime's peak, 3/(pi h^2)),

  and the pixel's error is at most E times the number of crimes within h + cell * sqrt(2) of
  it (:attr:`KdeResult.error_per_crime` holds E in crimes per km²). That worst case is 6% of
  one crime's peak for 100 m pixels and an 800 m bandwidth; on a real force month the median
  relative error is under 0.1% and the largest under 2% where the surface is above 5% of its
  maximum, against 1.5% and 13% for nearest-pixel binning, which moved each crime to its
  pixel's centre (what this module did before; tests/test_kde.py measures both).

The raster covers where the crimes are (:func:`raster_extent`): groups of crimes less than
20 km apart that hold at least 1% of them, padded by the bandwidth; or an extent the user
gives. Crimes outside it (a police.uk month places a few crimes in other counties, whose spread
would stretch a force's raster towards the size of England) are left out and counted
(:attr:`KdeResult.left_out`), so the default 50 m pixel fits a force.

Default bandwidth: the spatially robust Silverman rule ArcGIS Kernel Density documents,

    h = 0.9 * min(SD, sqrt(1 / ln 2) * Dm) * n^-0.2,

SD the standard distance of the crimes and Dm their median distance to the mean centre (the
Dm term keeps a few far-away crimes from inflating h), clamped to [max(100 m, cell), 5 km]
so a tiny or degenerate input still gives a readable map and a huge one is not over-smoothed.
A user-given bandwidth is used as it is (at least 10 m and one cell: hexgrid.SMALLEST_SIZE_M).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from crime_mapper.core.common.dependencies import require
from crime_mapper.core.hotspots.hexgrid import (
    HotspotInputError,
    TooManyCells,
    located_points,
    metres,
    nice_size_above,
    refuse_below_smallest,
)

__all__ = [
    "DEFAULT_CELL_M",
    "DEFAULT_MAX_CELLS",
    "HotspotInputError",
    "KdePlan",
    "KdeResult",
    "TooManyCells",
    "kde_plan",
    "kde_surface",
    "kernel_sum",
    "quartic_kernel",
    "raster_extent",
    "raster_geotransform",
    "silverman_bandwidth",
]

DEFAULT_CELL_M = 50.0
DEFAULT_MAX_CELLS = 25_000_000
MIN_BANDWIDTH_M = 100.0
MAX_BANDWIDTH_M = 5_000.0
#: ``method="auto"`` sums the kernel exactly when it takes at most this many evaluations.
EXACT_MAX_EVALUATIONS = 30_000_000
#: Where the crimes are (raster_extent): crimes closer than CLUSTER_GAP_M (counted on squares
#: of CLUSTER_SQUARE_M) form one group; groups with less than MIN_GROUP_SHARE of the crimes
#: are far-away strays, left out of the raster and counted.
CLUSTER_SQUARE_M = 1_000.0
CLUSTER_GAP_M = 20_000.0
MIN_GROUP_SHARE = 0.01
METHODS = ("auto", "exact", "linear")
_SQRT_INV_LN2 = math.sqrt(1.0 / math.log(2.0))


@dataclass
class KdeResult:
    """density[row, col] in crimes per km² at the pixel centre; row 0 is the northern edge.
    Cell (row, col) spans x_min + col * cell_m .. + cell_m and y_max - (row + 1) * cell_m ..
    y_max - row * cell_m, and its value is the kernel sum at its centre."""

    density: np.ndarray  # float32 [rows, cols]
    x_min: float
    y_max: float
    cell_m: float
    bandwidth_m: float
    bandwidth_rule: str  # how bandwidth_m was chosen (no leading "Bandwidth N m")
    n_points: int = 0
    method: str = "linear"  # "exact" or "linear" (binning), see the module docstring
    #: Upper bound, in crimes per km², of how far one crime within reach moves a pixel from the
    #: exact kernel sum (0 for the exact method).
    error_per_crime: float = 0.0
    left_out: int = 0  # crimes outside the raster's extent (far from the others)
    left_out_xy: list[tuple[float, float]] = field(default_factory=list)  # up to 20 of them
    extent_rule: str = ""  # how the extent was chosen, in words
    cell_rule: str = ""  # why the cell size differs from the one asked for ("" if it does not)

    @property
    def geotransform(self) -> tuple[float, float, float, float, float, float]:
        """GDAL geotransform of the raster (see raster_geotransform)."""
        return raster_geotransform(self.x_min, self.y_max, self.cell_m)

    @property
    def peak_per_crime(self) -> float:
        """One crime's density at its own location, crimes per km²: 3 / (pi h^2)."""
        return 3e6 / (math.pi * self.bandwidth_m**2)


def raster_geotransform(
    x_min: float, y_max: float, cell_m: float
) -> tuple[float, float, float, float, float, float]:
    """GDAL geotransform (x_min, cell, 0, y_max, 0, -cell) of a north-up raster whose top-left
    corner is (x_min, y_max): what GDAL's SetGeoTransform wants for writing the GeoTIFF."""
    return (float(x_min), float(cell_m), 0.0, float(y_max), 0.0, -float(cell_m))


def quartic_kernel(distance_m: np.ndarray, bandwidth_m: float) -> np.ndarray:
    """Analytic quartic kernel density per m² at the given distances (integrates to 1)."""
    u = np.asarray(distance_m, dtype=np.float64) / bandwidth_m
    return np.where(u < 1.0, 3.0 / (math.pi * bandwidth_m**2) * (1.0 - u * u) ** 2, 0.0)


def silverman_bandwidth(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Unclamped spatially robust Silverman bandwidth and its inputs: (h, SD, Dm) in metres."""
    n = x.size
    dx, dy = x - x.mean(), y - y.mean()
    sd = math.sqrt(float(np.mean(dx * dx) + np.mean(dy * dy)))
    dm = float(np.median(np.hypot(dx, dy)))
    return 0.9 * min(sd, _SQRT_INV_LN2 * dm) * n**-0.2, sd, dm


def _default_bandwidth(x: np.ndarray, y: np.ndarray, cell_m: float) -> tuple[float, str]:
    h, sd, dm = silverman_bandwidth(x, y)
    low = max(MIN_BANDWIDTH_M, cell_m)
    chosen = min(max(h, low), MAX_BANDWIDTH_M)
    rule = (
        "chosen by the spatially robust Silverman rule (as ArcGIS Kernel Density): "
        "h = 0.9 x min(SD, sqrt(1/ln 2) x Dm) x n^-0.2 with "
        f"SD = {sd:,.0f} m (standard distance), Dm = {dm:,.0f} m (median distance to the "
        f"mean centre), n = {x.size:,}"
    )
    if chosen != h:
        rule += f"; the rule gave {h:,.0f} m, clamped to {low:,.0f}-{MAX_BANDWIDTH_M:,.0f} m"
    return chosen, rule


#: The largest cell size, bandwidth or extent coordinate a density surface takes, in metres:
#: the United Kingdom fits in 1,500 km, and 1e308 overflowed the grid's arithmetic
#: (OverflowError tracebacks from the toolbox) instead of being refused.
LARGEST_M = 10_000_000.0


def _positive(value: float, what: str) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise HotspotInputError(f"The {what} must be a number of metres, not {value!r}.") from None
    if not math.isfinite(value) or value <= 0 or value > LARGEST_M:
        raise HotspotInputError(
            f"The {what} must be a positive number of metres up to {LARGEST_M:,.0f}, not {value:g}."
        )
    refuse_below_smallest(value, what)
    return value


def raster_extent(
    x: np.ndarray, y: np.ndarray, extent: Optional[Sequence[float]] = None
) -> tuple[np.ndarray, str]:
    """Which points the raster is for, and how that was decided, in words.

    With ``extent`` (x_min, y_min, x_max, y_max, in the points' CRS), the points inside it.
    Otherwise where the crimes are: the crimes are counted on a 1 km grid, occupied squares
    less than CLUSTER_GAP_M apart are joined into groups, and the groups holding at least
    MIN_GROUP_SHARE of the crimes are kept. A force's own crimes, rural villages included,
    form one group (or a few large ones); a handful of crimes placed in another county forms
    a group of its own, far away and tiny, and is left out.
    """
    if extent is not None:
        x0, y0, x1, y1 = (float(v) for v in extent)
        if not all(math.isfinite(v) and abs(v) <= LARGEST_M for v in (x0, y0, x1, y1)):
            raise HotspotInputError(
                f"The extent {tuple(extent)} is not four coordinates in metres of the "
                f"crimes' CRS (each finite, at most {LARGEST_M:,.0f})."
            )
        if not (x1 > x0 and y1 > y0):
            raise HotspotInputError(f"The extent {tuple(extent)} is empty.")
        inside = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
        return inside, f"the extent given ({x0:,.0f}, {y0:,.0f} to {x1:,.0f}, {y1:,.0f})"
    square = CLUSTER_SQUARE_M
    col = np.floor((x - x.min()) / square).astype(np.int64)
    row = np.floor((y - y.min()) / square).astype(np.int64)
    shape = (int(row.max()) + 1, int(col.max()) + 1)
    if shape[0] * shape[1] > 50_000_000:  # points spread over a continent: keep them all
        return np.ones(x.size, dtype=bool), "the extent of all the crimes"
    occupied = np.zeros(shape, dtype=bool)
    occupied[row, col] = True
    ndimage = require("scipy.ndimage", "Kernel density")
    steps = max(int(round(CLUSTER_GAP_M / square / 2)), 1)
    joined = ndimage.binary_dilation(occupied, iterations=steps)
    labels, _count = ndimage.label(joined, structure=np.ones((3, 3)))
    group = labels[row, col]
    sizes = np.bincount(group)
    keep_groups = sizes >= max(MIN_GROUP_SHARE * x.size, 1)
    inside = keep_groups[group]
    rule = (
        "where the crimes are: crimes less than "
        f"{CLUSTER_GAP_M / 1000:g} km apart are grouped, and groups holding at least "
        f"{MIN_GROUP_SHARE:.0%} of the crimes are mapped"
    )
    return inside, rule


def _grid(
    x: np.ndarray, y: np.ndarray, bandwidth: float, cell_m: float, extent: Optional[Sequence[float]]
) -> tuple[float, float, int, int]:
    """(x_min, y_max, rows, cols): the points' box padded by the bandwidth (or the extent
    given), snapped outwards to multiples of the cell so that months with the same settings
    align pixel for pixel."""
    if extent is not None:
        x0, y0, x1, y1 = (float(v) for v in extent)
    else:
        x0, x1 = float(x.min()) - bandwidth, float(x.max()) + bandwidth
        y0, y1 = float(y.min()) - bandwidth, float(y.max()) + bandwidth
    x_min, x_max = math.floor(x0 / cell_m) * cell_m, math.ceil(x1 / cell_m) * cell_m
    y_min, y_max = math.floor(y0 / cell_m) * cell_m, math.ceil(y1 / cell_m) * cell_m
    cols = max(int(round((x_max - x_min) / cell_m)), 1)
    rows = max(int(round((y_max - y_min) / cell_m)), 1)
    return x_min, y_max, rows, cols


def kernel_sum(
    x: np.ndarray,
    y: np.ndarray,
    x_min: float,
    y_max: float,
    rows: int,
    cols: int,
    cell_m: float,
    bandwidth_m: float,
) -> np.ndarray:
    """The exact quartic kernel sum at every pixel centre, crimes per km² (float64).

    Crime by crime over the pixels within the bandwidth, in chunks so that memory stays a
    few tens of MB whatever the number of crimes."""
    reach = int(math.ceil(bandwidth_m / cell_m)) + 1
    offsets = np.arange(-reach, reach + 1)
    width = offsets.size
    chunk = max(1, 2_000_000 // (width * width))
    total = np.zeros(rows * cols, dtype=np.float64)
    for start in range(0, x.size, chunk):
        px, py = x[start : start + chunk], y[start : start + chunk]
        col = np.floor((px - x_min) / cell_m).astype(np.int64)[:, None] + offsets[None, :]
        row = np.floor((y_max - py) / cell_m).astype(np.int64)[:, None] + offsets[None, :]
        dx = x_min + (col + 0.5) * cell_m - px[:, None]  # [m, width]
        dy = y_max - (row + 0.5) * cell_m - py[:, None]
        weight = quartic_kernel(np.hypot(dx[:, None, :], dy[:, :, None]), bandwidth_m)
        ok = (
            (weight > 0)
            & (col[:, None, :] >= 0)
            & (col[:, None, :] < cols)
            & (row[:, :, None] >= 0)
            & (row[:, :, None] < rows)
        )
        index = row[:, :, None] * cols + col[:, None, :]
        total += np.bincount(index[ok], weights=weight[ok], minlength=rows * cols)
    return (total * 1e6).reshape(rows, cols)


def _quartic_and_curvatures(
    offsets_m: np.ndarray, bandwidth_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The quartic kernel and its second derivatives d2K/dx2, d2K/dy2 sampled on a square of
    offsets (rows = y, columns = x), per m²."""
    dx, dy = offsets_m[None, :], offsets_m[:, None]
    h2 = bandwidth_m * bandwidth_m
    s = 1.0 - (dx * dx + dy * dy) / h2
    inside = s > 0
    peak = 3.0 / (math.pi * h2)
    kernel = np.where(inside, peak * s * s, 0.0)
    kxx = np.where(inside, -4.0 * peak / h2 * (s - 2.0 * dx * dx / h2), 0.0)
    kyy = np.where(inside, -4.0 * peak / h2 * (s - 2.0 * dy * dy / h2), 0.0)
    return kernel, kxx, kyy


def _linear_binned(
    x: np.ndarray,
    y: np.ndarray,
    x_min: float,
    y_max: float,
    rows: int,
    cols: int,
    cell_m: float,
    bandwidth_m: float,
) -> np.ndarray:
    """Linear binning onto the pixel centres, then FFT convolution with the sampled kernel,
    with the second-order correction of the bilinear interpolation error.

    A crime at fraction (t, s) of the way between pixel centres is shared between the four
    centres with bilinear weights, which evaluates the bilinear interpolant of K(c - p)
    instead of K(c - p). The interpolant exceeds the function by t(1 - t) cell² / 2 * K_xx +
    s(1 - s) cell² / 2 * K_yy (to second order); binning those terms the same way and
    convolving with the kernel's second derivatives removes them, for two more FFTs.
    """
    fx = (x - x_min) / cell_m - 0.5
    fy = (y_max - y) / cell_m - 0.5
    c0, r0 = np.floor(fx).astype(np.int64), np.floor(fy).astype(np.int64)
    tx, ty = fx - c0, fy - r0
    size = rows * cols
    weights, curve_x, curve_y = np.zeros(size), np.zeros(size), np.zeros(size)
    for dr, dc, w in (
        (0, 0, (1 - tx) * (1 - ty)),
        (0, 1, tx * (1 - ty)),
        (1, 0, (1 - tx) * ty),
        (1, 1, tx * ty),
    ):
        r, c = r0 + dr, c0 + dc
        ok = (r >= 0) & (r < rows) & (c >= 0) & (c < cols)
        index = r[ok] * cols + c[ok]
        weights += np.bincount(index, weights=w[ok], minlength=size)
        curve_x += np.bincount(index, weights=(w * tx * (1 - tx))[ok], minlength=size)
        curve_y += np.bincount(index, weights=(w * ty * (1 - ty))[ok], minlength=size)
    reach = max(int(math.ceil(bandwidth_m / cell_m)), 1)
    kernel, kxx, kyy = _quartic_and_curvatures(np.arange(-reach, reach + 1) * cell_m, bandwidth_m)
    shape = (rows, cols)
    half = cell_m * cell_m / 2.0
    density = _convolved_sum(
        [
            (weights.reshape(shape), kernel),
            (curve_x.reshape(shape), -half * kxx),
            (curve_y.reshape(shape), -half * kyy),
        ]
    )
    density *= 1e6
    # FFT round-off leaves about 1e-12 of the peak where the surface should be exactly 0.
    density[density < 1e-9 * max(float(density.max()), 1e-300)] = 0.0
    return density


def _convolved_sum(pairs: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """sum(grid * kernel) over the pairs ("same"-size convolutions, odd square kernels of one
    size), with one forward FFT per grid and kernel and a single inverse FFT: the three terms
    of the corrected linear binning cost about half of three separate convolutions."""
    # scipy is imported here, not at module level: see core.common.dependencies
    fft = require("scipy.fft", "Kernel density")
    rows, cols = pairs[0][0].shape
    k_rows, k_cols = pairs[0][1].shape
    shape = (
        fft.next_fast_len(rows + k_rows - 1, real=True),
        fft.next_fast_len(cols + k_cols - 1, real=True),
    )
    total = None
    for grid, kernel in pairs:
        product = fft.rfft2(grid, shape) * fft.rfft2(kernel, shape)
        total = product if total is None else total + product
    full = fft.irfft2(total, shape)
    top, left = (k_rows - 1) // 2, (k_cols - 1) // 2
    return full[top : top + rows, left : left + cols]


def _fitting_cell(rows_cols: Callable[[float], int], cell_m: float, max_cells: int) -> float:
    """The asked-for cell, or the smallest round size above it whose raster fits."""
    cells = rows_cols(cell_m)
    while cells > max_cells:
        cell_m = nice_size_above(cell_m * math.sqrt(cells / max_cells) * 1.02)
        cells = rows_cols(cell_m)
    return cell_m


@dataclass
class KdePlan:
    """What a density surface will be, decided before any of it is computed: the points it
    covers (and those left out), the bandwidth, the cell and the raster's size. Why apart
    from kde_surface: the monthly release asks for the plan as soon as the crimes are read,
    so a cell size that makes too many cells is refused before the long steps, with the
    very message (and the very arithmetic) the hotspots step would refuse it with."""

    x: np.ndarray
    y: np.ndarray
    left_x: np.ndarray
    left_y: np.ndarray
    extent_rule: str
    bandwidth: float
    rule: str
    cell: float
    cell_rule: str
    x_min: float
    y_max: float
    rows: int
    cols: int


def kde_plan(
    x: np.ndarray,
    y: np.ndarray,
    cell_m: Optional[float] = DEFAULT_CELL_M,
    bandwidth_m: Optional[float] = None,
    max_cells: int = DEFAULT_MAX_CELLS,
    extent: Optional[Sequence[float]] = None,
) -> KdePlan:
    """The plan of kde_surface (same arguments): HotspotInputError when no point is left,
    and TooManyCells, before allocating, when a given cell size would exceed ``max_cells``."""
    auto_cell = cell_m is None
    cell = DEFAULT_CELL_M if cell_m is None else _positive(cell_m, "cell size")
    x, y = located_points(x, y, "to estimate a density from")
    inside, extent_rule = raster_extent(x, y, extent)
    left_x, left_y = x[~inside], y[~inside]
    x, y = x[inside], y[inside]
    if x.size == 0:
        raise HotspotInputError(f"No crime lies inside {extent_rule}.")
    if bandwidth_m is None:
        bandwidth, rule = _default_bandwidth(x, y, cell)
    else:
        bandwidth = _positive(bandwidth_m, "bandwidth")
        rule = "set by the user"

    def size(c: float) -> int:
        _, _, rows, cols = _grid(x, y, bandwidth, c, extent)
        return rows * cols

    cell_rule = ""
    if auto_cell:
        fitted = _fitting_cell(size, cell, max_cells)
        if fitted != cell:
            cell_rule = (
                f"{metres(fitted)} pixels, the smallest round size above {metres(cell)} whose "
                f"raster fits the maximum of {max_cells:,} cells"
            )
            cell = fitted
    x_min, y_max, rows, cols = _grid(x, y, bandwidth, cell, extent)
    if rows * cols > max_cells:
        coarser = nice_size_above(cell * math.sqrt(rows * cols / max_cells) * 1.02)
        raise TooManyCells(
            f"A density surface with {metres(cell)} cells over this extent "
            f"({cols * cell / 1000:,.1f} x {rows * cell / 1000:,.1f} km) would need "
            f"{rows * cols:,} cells, more than the maximum of {max_cells:,}. Choose a coarser "
            f"cell size (about {metres(coarser)} or more) or a smaller area."
        )
    if bandwidth < cell:
        raise HotspotInputError(
            f"The bandwidth ({metres(bandwidth)}) is smaller than the cell size ({metres(cell)}): "
            "the surface would miss crimes between pixel centres. Choose a bandwidth of at "
            "least one cell, or smaller cells."
        )
    return KdePlan(
        x,
        y,
        left_x,
        left_y,
        extent_rule,
        bandwidth,
        rule,
        cell,
        cell_rule,
        x_min,
        y_max,
        rows,
        cols,
    )


def kde_surface(
    x: np.ndarray,
    y: np.ndarray,
    cell_m: Optional[float] = DEFAULT_CELL_M,
    bandwidth_m: Optional[float] = None,
    max_cells: int = DEFAULT_MAX_CELLS,
    method: str = "auto",
    extent: Optional[Sequence[float]] = None,
) -> KdeResult:
    """Quartic kernel density of points (x, y) in projected metres, crimes per km².

    ``cell_m`` None chooses the cell: 50 m, or the smallest round size that fits
    ``max_cells``. ``method``: "exact" (the kernel sum), "linear" (linear binning + FFT, error
    bound in the result) or "auto" (exact when it is cheap). ``extent`` (x_min, y_min, x_max,
    y_max) fixes the area; by default it is where the crimes are (see raster_extent), and
    crimes outside are counted in ``left_out``. Points with NaN coordinates are left out.
    Raises HotspotInputError when no point is left and TooManyCells, before allocating, when a
    given cell size would exceed ``max_cells`` (both decided by kde_plan)."""
    if method not in METHODS:
        raise HotspotInputError(f"Unknown density method {method!r}: one of {', '.join(METHODS)}.")
    plan = kde_plan(x, y, cell_m, bandwidth_m, max_cells, extent)
    x, y, left_x, left_y = plan.x, plan.y, plan.left_x, plan.left_y
    bandwidth, rule, cell, cell_rule = plan.bandwidth, plan.rule, plan.cell, plan.cell_rule
    extent_rule, x_min, y_max, rows, cols = (
        plan.extent_rule, plan.x_min, plan.y_max, plan.rows, plan.cols
    )  # fmt: skip
    reach = int(math.ceil(bandwidth / cell)) + 1
    if method == "auto":
        evaluations = x.size * (2 * reach + 1) ** 2
        method = "exact" if evaluations <= EXACT_MAX_EVALUATIONS else "linear"
    if method == "exact":
        density = kernel_sum(x, y, x_min, y_max, rows, cols, cell, bandwidth)
        error = 0.0
    else:
        density = _linear_binned(x, y, x_min, y_max, rows, cols, cell, bandwidth)
        error = 12.0 * cell * cell / (math.pi * bandwidth**4) * 1e6
    return KdeResult(
        density=density.astype(np.float32),
        x_min=float(x_min),
        y_max=float(y_max),
        cell_m=cell,
        bandwidth_m=float(bandwidth),
        bandwidth_rule=rule,
        n_points=int(x.size),
        method=method,
        error_per_crime=error,
        left_out=int(left_x.size),
        left_out_xy=[(float(a), float(b)) for a, b in zip(left_x[:20], left_y[:20])],
        extent_rule=extent_rule,
        cell_rule=cell_rule,
    )
