"""Kernel density surface of crimes (crimes per km²), quartic kernel, on a square raster.

The kernel is the quartic (biweight) kernel QGIS's Heatmap and ArcGIS's Kernel Density use:

    K(d) = 3 / (pi h^2) * (1 - (d / h)^2)^2   for d < h, else 0,

which integrates to 1 over the plane, so the surface integrates to the number of crimes.

Why bin-then-convolve: evaluating the kernel around every crime costs n * (h / cell)^2; for a
force year (300,000 crimes, h ~ 800 m, 50 m cells) that is ~250 million kernel evaluations.
Binning the crimes to the raster cells and convolving the cell counts with the kernel sampled
at cell offsets (FFT convolution) costs a few FFTs of the raster instead, and moves each crime
by at most half a cell, well below any bandwidth we allow. The sampled kernel is normalised
so that it sums to exactly 1 crime, hence the surface's integral is n up to rounding.

Default bandwidth: the spatially robust Silverman rule ArcGIS Kernel Density documents,

    h = 0.9 * min(SD, sqrt(1 / ln 2) * Dm) * n^-0.2,

SD the standard distance of the crimes and Dm their median distance to the mean centre (the
Dm term keeps a few far-away crimes from inflating h), clamped to [max(100 m, cell), 5 km]
so a tiny or degenerate input still gives a readable map and a huge one is not over-smoothed.
A user-given bandwidth is used as it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

from crime_mapper.core.common.dependencies import require
from crime_mapper.core.hotspots.hexgrid import HotspotInputError, TooManyCells, nice_size_above

__all__ = [
    "DEFAULT_MAX_CELLS",
    "HotspotInputError",
    "KdeResult",
    "TooManyCells",
    "kde_surface",
    "quartic_kernel",
    "raster_geotransform",
    "silverman_bandwidth",
]

DEFAULT_MAX_CELLS = 25_000_000
MIN_BANDWIDTH_M = 100.0
MAX_BANDWIDTH_M = 5_000.0
_SQRT_INV_LN2 = math.sqrt(1.0 / math.log(2.0))


@dataclass
class KdeResult:
    """density[row, col] in crimes per km²; row 0 is the northern edge. Cell (row, col) spans
    x_min + col * cell_m .. + cell_m and y_max - (row + 1) * cell_m .. y_max - row * cell_m."""

    density: np.ndarray  # float32 [rows, cols]
    x_min: float
    y_max: float
    cell_m: float
    bandwidth_m: float
    bandwidth_rule: str  # how bandwidth_m was chosen, for the legend and the layer metadata
    n_points: int = 0

    @property
    def geotransform(self) -> tuple[float, float, float, float, float, float]:
        """GDAL geotransform of the raster (see raster_geotransform)."""
        return raster_geotransform(self.x_min, self.y_max, self.cell_m)


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
        f"Bandwidth {chosen:,.0f} m by the spatially robust Silverman rule (as ArcGIS "
        "Kernel Density): h = 0.9 x min(SD, sqrt(1/ln 2) x Dm) x n^-0.2 with "
        f"SD = {sd:,.0f} m (standard distance), Dm = {dm:,.0f} m (median distance to the "
        f"mean centre), n = {x.size:,}"
    )
    if chosen != h:
        rule += f"; the rule gave {h:,.0f} m, clamped to {low:,.0f}-{MAX_BANDWIDTH_M:,.0f} m"
    return chosen, rule + "."


def _positive(value: float, what: str) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise HotspotInputError(f"The {what} must be a number of metres, not {value!r}.") from None
    if not math.isfinite(value) or value <= 0:
        raise HotspotInputError(f"The {what} must be a positive number of metres, not {value}.")
    return value


def kde_surface(
    x: np.ndarray,
    y: np.ndarray,
    cell_m: float = 50.0,
    bandwidth_m: Optional[float] = None,
    max_cells: int = DEFAULT_MAX_CELLS,
) -> KdeResult:
    """Quartic kernel density of points (x, y) in projected metres, crimes per km².

    The raster covers the points' bounding box padded by the bandwidth, snapped outwards to
    multiples of `cell_m` (so rasters of different months with the same settings align).
    Points with NaN coordinates are left out. Raises HotspotInputError when no point is left
    and TooManyCells, before allocating, when the raster would exceed `max_cells`."""
    cell_m = _positive(cell_m, "cell size")
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise HotspotInputError(f"x and y differ in length ({x.size} and {y.size}).")
    finite = np.isfinite(x) & np.isfinite(y)
    if not finite.all():
        x, y = x[finite], y[finite]
    if x.size == 0:
        raise HotspotInputError(
            "There are no crimes with a location to estimate a density "
            "from (the layer is empty or no feature has coordinates)."
        )
    if bandwidth_m is None:
        bandwidth, rule = _default_bandwidth(x, y, cell_m)
    else:
        bandwidth = _positive(bandwidth_m, "bandwidth")
        rule = f"Bandwidth {bandwidth:,.0f} m, set by the user."

    x_min = math.floor((x.min() - bandwidth) / cell_m) * cell_m
    x_max = math.ceil((x.max() + bandwidth) / cell_m) * cell_m
    y_min = math.floor((y.min() - bandwidth) / cell_m) * cell_m
    y_max = math.ceil((y.max() + bandwidth) / cell_m) * cell_m
    cols = max(int(round((x_max - x_min) / cell_m)), 1)
    rows = max(int(round((y_max - y_min) / cell_m)), 1)
    if rows * cols > max_cells:
        coarser = nice_size_above(cell_m * math.sqrt(rows * cols / max_cells) * 1.02)
        raise TooManyCells(
            f"A density surface with {cell_m:g} m cells over this extent "
            f"({(x_max - x_min) / 1000:,.1f} x {(y_max - y_min) / 1000:,.1f} km) would need "
            f"{rows * cols:,} cells, more than the maximum of {max_cells:,}. Choose a coarser "
            f"cell size (about {coarser:g} m or more) or a smaller area."
        )

    col = np.clip(((x - x_min) / cell_m).astype(np.int64), 0, cols - 1)
    row = np.clip(((y_max - y) / cell_m).astype(np.int64), 0, rows - 1)
    counts = np.bincount(row * cols + col, minlength=rows * cols).astype(np.float64)
    counts = counts.reshape(rows, cols)

    # Kernel sampled at cell-centre offsets, normalised to one crime spread over m².
    reach = max(int(math.ceil(bandwidth / cell_m)), 1)
    offsets = np.arange(-reach, reach + 1) * cell_m
    kernel = quartic_kernel(np.hypot(offsets[:, None], offsets[None, :]), bandwidth)
    total = kernel.sum()
    if total <= 0:  # bandwidth below half a cell: all of a crime stays in its own cell
        kernel[reach, reach] = 1.0
        total = 1.0
    kernel *= 1e6 / (total * cell_m * cell_m)  # crimes per km² per crime in the cell

    # scipy is imported here, not at module level: see core.common.dependencies
    signal = require("scipy.signal", "Kernel density")
    density = signal.fftconvolve(counts, kernel, mode="same")
    # FFT round-off leaves about 1e-12 of the peak where the surface should be exactly 0.
    density[density < 1e-9 * max(float(density.max()), 1e-300)] = 0.0
    return KdeResult(
        density=density.astype(np.float32),
        x_min=float(x_min),
        y_max=float(y_max),
        cell_m=cell_m,
        bandwidth_m=float(bandwidth),
        bandwidth_rule=rule,
        n_points=int(x.size),
    )
