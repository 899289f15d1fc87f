"""Hotspot runs: crime points in, a styled hexagon GeoPackage or density GeoTIFF out.

The one implementation behind the four Processing algorithms (crime_mapper:hotspots_grid,
_kde, _gi, _change), the dock's Hotspots panel (through HotspotTask) and the benchmark, so a
hotspot layer looks the same however it was made. Each ``run_*`` computes with the QGIS-free
core (core.hotspots.hexgrid, getis_ord, kde, change), writes through staging
(qgis_bridge.hotspot_files; a failed or cancelled run leaves the previous output unchanged)
and stores the style (qgis_bridge.hotspot_style). Reading a layer is qgis_bridge.hotspot_input;
the methods themselves are listed once in core.hotspots.methods.

Threads: the ``run_*`` functions only read and write files, so they run in a QgsTask worker;
the layer is built afterwards on the main thread (hotspot_style.add_hotspot_to_project).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

from ..core.common import palette
from ..core.common.feedback import Feedback
from ..core.common.staging import staged_outputs
from ..core.hotspots.hexgrid import DEFAULT_MAX_CELLS, HotspotInputError, TooManyCells
from ..core.hotspots.legend import change_text, gi_text, grid_text, kde_text, metres
from ..core.hotspots.points import HotspotPoints
from ..core.hotspots.selection import describe_months, parse_months
from .hotspot_files import write_density_tif, write_polygon_gpkg
from .hotspot_style import store_style
from .layers import gpkg_uri
from .renderers import CHANGE_CLASS_FIELD, GI_CLASS_FIELD

PathLike = Union[str, "os.PathLike[str]"]

GRID_TABLE = "hotspots"


@dataclass
class HotspotOutputs:
    """What one hotspot run wrote; enough to build and explain the layer afterwards."""

    kind: str  # "grid" | "gi" | "kde" | "change"
    path: Path  # the GeoPackage or GeoTIFF
    title: str
    legend_text: str
    crs: str
    crimes: int
    cells: int
    qml: Optional[Path] = None
    sld: Optional[Path] = None
    table: str = GRID_TABLE
    notes: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    #: what makes the result doubtful (Gi* on too few cells), also among ``notes``: kept
    #: apart so that the monthly release's hotspots step can warn of it
    warnings: list[str] = field(default_factory=list)

    @property
    def uri(self) -> str:
        return str(self.path) if self.kind == "kde" else gpkg_uri(self.path, self.table)

    @property
    def is_raster(self) -> bool:
        return self.kind == "kde"


def _finish(
    out: HotspotOutputs,
    write,
    qml_path: Optional[PathLike],
    sld_path: Optional[PathLike],
    feedback: Feedback,
) -> HotspotOutputs:
    """Write through staging (a failed/cancelled run leaves previous outputs unchanged),
    style, and move everything into place together."""
    started = time.perf_counter()
    if out.kind == "kde" and qml_path is None:
        qml_path = out.path.with_suffix(".qml")
    with staged_outputs() as stage:
        tmp = stage.path_for(out.path)
        write(tmp)
        out.timings["write"] = time.perf_counter() - started
        feedback.check()
        started = time.perf_counter()
        qml_tmp = stage.path_for(qml_path) if qml_path else None
        sld_tmp = stage.path_for(sld_path) if sld_path else None
        store_style(out, tmp, qml_tmp, sld_tmp)
        out.timings["style"] = time.perf_counter() - started
        feedback.check()
    out.qml = Path(qml_path) if qml_path else None
    out.sld = Path(sld_path) if sld_path else None
    feedback.set_progress(100.0)
    return out


def hex_columns(q: np.ndarray, r: np.ndarray, grid) -> list[tuple[str, str, np.ndarray]]:
    from ..core.hotspots.hexgrid import hex_centres

    cx, cy = hex_centres(q, r, grid)
    return [("q", "INTEGER", q), ("r", "INTEGER", r), ("x", "DOUBLE", cx), ("y", "DOUBLE", cy)]


def class_labels(classes: tuple[palette.ClassStyle, ...], values: np.ndarray) -> np.ndarray:
    lookup = {c.value: c.label for c in classes}
    labels = np.array([lookup[v] for v in range(-3, 4)], dtype=object)
    return labels[np.clip(np.asarray(values, dtype=np.int64), -3, 3) + 3]


def run_grid(
    points: HotspotPoints,
    out_path: PathLike,
    *,
    cell_size_m: float = 500.0,
    max_cells: int = DEFAULT_MAX_CELLS,
    rings: int = 0,
    qml_path: Optional[PathLike] = None,
    sld_path: Optional[PathLike] = None,
    feedback: Optional[Feedback] = None,
) -> HotspotOutputs:
    """Counts on a hexagon grid -> a styled polygon GeoPackage (graduated, quantiles)."""
    from ..core.hotspots.hexgrid import HexGrid, grid_counts, hex_polygons

    feedback = feedback or Feedback()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    grid = HexGrid(float(cell_size_m), points.crs)
    counts = grid_counts(points.x, points.y, grid, rings=rings, max_cells=max_cells)
    polygons = hex_polygons(counts.q, counts.r, grid)
    timings["compute"] = time.perf_counter() - started
    feedback.set_progress(50.0)
    feedback.check()
    title = f"Crime counts, {metres(cell_size_m)} hexagons ({points.subject()})"
    out = HotspotOutputs(
        "grid",
        Path(out_path),
        title,
        grid_text(points, cell_size_m),
        points.crs,
        len(points),
        len(counts.q),
        notes=list(points.notes),
        timings=timings,
        facts={
            "cell_size_m": float(cell_size_m),
            "max_count": int(counts.count.max()) if len(counts.q) else 0,
        },
    )
    columns = hex_columns(counts.q, counts.r, grid) + [("count", "INTEGER", counts.count)]
    return _finish(
        out,
        lambda p: write_polygon_gpkg(p, GRID_TABLE, polygons, columns, points.crs, title),
        qml_path,
        sld_path,
        feedback,
    )


def run_gi(
    points: HotspotPoints,
    out_path: PathLike,
    *,
    cell_size_m: float = 500.0,
    fdr: bool = False,
    rings: int = 1,
    max_cells: int = DEFAULT_MAX_CELLS,
    qml_path: Optional[PathLike] = None,
    sld_path: Optional[PathLike] = None,
    feedback: Optional[Feedback] = None,
) -> HotspotOutputs:
    """Getis-Ord Gi* on grid counts (occupied cells and a ring of empty neighbours) -> a
    GeoPackage with count, z, p, gi_class and its plain-words meaning, styled by class."""
    from ..core.hotspots.getis_ord import gi_star
    from ..core.hotspots.hexgrid import HexGrid, grid_counts, hex_polygons

    feedback = feedback or Feedback()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    grid = HexGrid(float(cell_size_m), points.crs)
    counts = grid_counts(points.x, points.y, grid, rings=rings, max_cells=max_cells)
    timings["grid"] = time.perf_counter() - started
    feedback.set_progress(30.0)
    feedback.check()
    started = time.perf_counter()
    gi = gi_star(counts.q, counts.r, counts.count, rings=rings, fdr=fdr)
    timings["gi_star"] = time.perf_counter() - started
    polygons = hex_polygons(counts.q, counts.r, grid)
    feedback.set_progress(60.0)
    feedback.check()
    classes = np.asarray(gi.hotspot_class, dtype=np.int64)
    points.notes.extend(str(w) for w in getattr(gi, "warnings", []) or [])
    title = f"Gi* hotspots, {metres(cell_size_m)} hexagons ({points.subject()})"
    out = HotspotOutputs(
        "gi",
        Path(out_path),
        title,
        gi_text(points, cell_size_m, fdr, rings),
        points.crs,
        len(points),
        len(counts.q),
        notes=list(points.notes),
        timings=timings,
        warnings=[str(w) for w in gi.warnings],
        facts={
            "cell_size_m": float(cell_size_m),
            "fdr": bool(fdr),
            "hot_cells": int((classes > 0).sum()),
            "cold_cells": int((classes < 0).sum()),
        },
    )
    columns = hex_columns(counts.q, counts.r, grid) + [
        ("count", "INTEGER", counts.count),
        ("z", "DOUBLE", gi.z),
        ("p", "DOUBLE", gi.p),
        ("p_adjusted", "DOUBLE", adjusted(gi.p_fdr, len(gi.p))),
        (GI_CLASS_FIELD, "INTEGER", classes),
        ("class_label", "TEXT", class_labels(palette.GI_CLASSES, classes)),
    ]
    return _finish(
        out,
        lambda p: write_polygon_gpkg(p, GRID_TABLE, polygons, columns, points.crs, title),
        qml_path,
        sld_path,
        feedback,
    )


def run_kde(
    points: HotspotPoints,
    out_path: PathLike,
    *,
    cell_m: Optional[float] = 50.0,
    bandwidth_m: Optional[float] = None,
    max_cells: Optional[int] = None,
    extent: Optional[Sequence[float]] = None,
    method: str = "auto",
    qml_path: Optional[PathLike] = None,
    sld_path: Optional[PathLike] = None,
    feedback: Optional[Feedback] = None,
) -> HotspotOutputs:
    """Kernel density surface (crimes per km²) -> a styled GeoTIFF (.qml beside it).

    ``bandwidth_m`` None or 0 = the core's documented automatic rule; ``cell_m`` None or 0 =
    50 m or the smallest round size that fits; ``extent`` (in the points' CRS) fixes the area,
    otherwise it is where the crimes are and far-away crimes are left out and reported."""
    from ..core.hotspots.kde import DEFAULT_MAX_CELLS as KDE_MAX_CELLS
    from ..core.hotspots.kde import kde_surface

    feedback = feedback or Feedback()
    max_cells = int(max_cells) if max_cells else KDE_MAX_CELLS
    timings: dict[str, float] = {}
    started = time.perf_counter()
    result = kde_surface(
        points.x,
        points.y,
        cell_m=float(cell_m) if cell_m else None,
        bandwidth_m=float(bandwidth_m) if bandwidth_m else None,
        max_cells=max_cells,
        method=method,
        extent=extent,
    )
    timings["kde"] = time.perf_counter() - started
    feedback.set_progress(60.0)
    feedback.check()
    rows, cols = result.density.shape
    notes = list(points.notes)
    if result.cell_rule:
        notes.append(f"Pixel size: {result.cell_rule}.")
    if result.left_out:
        notes.append(far_away_note(result.left_out, result.left_out_xy, points.crs, result))
    title = f"Crime density, {metres(result.cell_m)} cells ({points.subject()})"
    out = HotspotOutputs(
        "kde",
        Path(out_path),
        title,
        kde_text(
            points,
            result.cell_m,
            result.bandwidth_m,
            result.bandwidth_rule,
            method=result.method,
            error_per_crime=result.error_per_crime,
            left_out=result.left_out,
            extent_rule=result.extent_rule,
        ),
        points.crs,
        result.n_points,
        rows * cols,
        notes=notes,
        timings=timings,
        facts={
            "cell_m": float(result.cell_m),
            "bandwidth_m": float(result.bandwidth_m),
            "bandwidth_rule": result.bandwidth_rule,
            "method": result.method,
            "error_per_crime": float(result.error_per_crime),
            "left_out": int(result.left_out),
            "rows": rows,
            "cols": cols,
            "max_density": float(result.density.max()) if rows * cols else 0.0,
        },
    )
    return _finish(
        out,
        lambda p: write_density_tif(
            p, result.density, result.x_min, result.y_max, result.cell_m, points.crs
        ),
        qml_path,
        sld_path,
        feedback,
    )


def far_away_note(count: int, xy: Sequence[tuple[float, float]], crs: str, result: Any) -> str:
    """The crimes left out of a density surface, with where the first few are (lon, lat)."""
    from ..core.common.geography import WGS84, transform

    shown = list(xy)[:5]
    lon, lat = transform(
        np.array([p[0] for p in shown]), np.array([p[1] for p in shown]), crs, WGS84
    )
    where = "; ".join(f"{a:.4f}, {b:.4f}" for a, b in zip(lon.tolist(), lat.tolist()))
    return (
        f"{count:,} crime{'s' if count != 1 else ''} outside the area mapped "
        f"({result.extent_rule}) {'were' if count != 1 else 'was'} left out of the density "
        f"surface, e.g. at longitude, latitude {where}. Give an extent to include them."
    )


def run_change(
    points: HotspotPoints,
    out_path: PathLike,
    *,
    current: Any,
    baseline: Any = None,
    cell_size_m: float = 500.0,
    fdr: bool = False,
    max_cells: int = DEFAULT_MAX_CELLS,
    qml_path: Optional[PathLike] = None,
    sld_path: Optional[PathLike] = None,
    feedback: Optional[Feedback] = None,
) -> HotspotOutputs:
    """Change hotspots: cells where the current month(s) are significantly above (or below)
    the baseline months -> a GeoPackage styled by change class. ``points`` must carry months
    (points_from_layer(..., want_months=True)). An empty baseline means every month in the
    layer before the first current month."""
    from ..core.hotspots.change import change_hotspots
    from ..core.hotspots.hexgrid import HexGrid, hex_polygons

    feedback = feedback or Feedback()
    current_months = parse_months(current)
    if not current_months:
        raise HotspotInputError("choose the current month(s) to test, e.g. 2022-10")
    if points.months is None:
        raise HotspotInputError("change hotspots need the month of each crime")
    baseline_months = parse_months(baseline)
    # months with crimes of the selection, and months the layer holds at all: a loaded month
    # with none of the selection is a real zero of the baseline, a month never loaded is not
    # (a crime whose month is NULL is in no month: np.unique could not sort it among texts)
    held = sorted({str(m) for m in points.months.tolist() if m is not None})
    loaded = sorted(set(points.input_months) | set(held))
    if not baseline_months:
        baseline_months = [m for m in loaded if m < current_months[0]]
    overlap = sorted(set(current_months) & set(baseline_months))
    if overlap:
        raise HotspotInputError(f"month(s) {', '.join(overlap)} are both current and baseline")
    if not baseline_months:
        raise HotspotInputError(
            f"no baseline months before {current_months[0]}: the layer holds "
            f"{', '.join(loaded) or 'no months'}"
        )
    for label, wanted, present in (
        ("current", current_months, held),
        ("baseline", baseline_months, loaded),
    ):
        if not set(wanted) & set(present):
            raise HotspotInputError(
                f"no crimes in the {label} month(s) {', '.join(wanted)}; the "
                f"layer holds {loaded[0]} to {loaded[-1]}"
                if loaded
                else f"no crimes in the {label} month(s)"
            )
    timings: dict[str, float] = {}
    started = time.perf_counter()
    grid = HexGrid(float(cell_size_m), points.crs)
    result = change_hotspots(
        points.x,
        points.y,
        points.months,
        current_months,
        baseline_months,
        grid,
        fdr=fdr,
        decreases=True,
        loaded=loaded,
    )
    if len(result.q) > max_cells:  # cells <= crimes, so memory was never at risk here
        raise TooManyCells(
            f"A {metres(cell_size_m)} change grid has {len(result.q):,} cells, more "
            f"than the maximum of {max_cells:,}: choose larger hexagons."
        )
    timings["change"] = time.perf_counter() - started
    feedback.set_progress(60.0)
    feedback.check()
    fields = _change_fields(result)
    classes = fields.pop("classes")
    q, r = fields.pop("q"), fields.pop("r")
    polygons = hex_polygons(q, r, grid)
    method = str(getattr(result, "method", "") or "")
    # the crimes of the analysed periods, not of every month the layer holds (issue 11)
    month_text = points.months.astype(str)
    current_crimes = int(np.isin(month_text, current_months).sum())
    baseline_crimes = int(np.isin(month_text, baseline_months).sum())
    title = (
        f"Change hotspots, {describe_months(current_months)} vs "
        f"{describe_months(baseline_months)}, {metres(cell_size_m)} hexagons"
    )
    out = HotspotOutputs(
        "change",
        Path(out_path),
        title,
        change_text(points, cell_size_m, current_months, baseline_months, fdr, method),
        points.crs,
        current_crimes,
        len(q),
        notes=list(points.notes)
        + [
            f"{current_crimes:,} crimes in the current period ({describe_months(current_months)})"
            f", {baseline_crimes:,} in the baseline ({describe_months(baseline_months)})."
        ],
        timings=timings,
        facts={
            "cell_size_m": float(cell_size_m),
            "fdr": bool(fdr),
            "current": current_months,
            "baseline": baseline_months,
            "current_crimes": current_crimes,
            "baseline_crimes": baseline_crimes,
            "increase_cells": int((classes > 0).sum()),
            "decrease_cells": int((classes < 0).sum()),
        },
    )
    columns = (
        hex_columns(q, r, grid)
        + [(name, kind, values) for name, (kind, values) in fields.items()]
        + [
            (CHANGE_CLASS_FIELD, "INTEGER", classes),
            ("class_label", "TEXT", class_labels(palette.CHANGE_CLASSES, classes)),
        ]
    )
    return _finish(
        out,
        lambda p: write_polygon_gpkg(p, GRID_TABLE, polygons, columns, points.crs, title),
        qml_path,
        sld_path,
        feedback,
    )


def _change_fields(result: Any) -> dict[str, Any]:
    """The per-cell arrays of a core ChangeResult, mapped to output columns."""
    return {
        "q": np.asarray(result.q, dtype=np.int64),
        "r": np.asarray(result.r, dtype=np.int64),
        "classes": np.asarray(result.change_class, dtype=np.int64),
        "current": ("INTEGER", np.asarray(result.current)),
        "baseline_mean": ("DOUBLE", np.asarray(result.baseline_mean)),
        "expected": ("DOUBLE", np.asarray(result.expected)),
        "ratio": ("DOUBLE", np.asarray(result.ratio)),
        "p": ("DOUBLE", np.asarray(result.p)),
        "p_adjusted": ("DOUBLE", adjusted(result.p_fdr, len(result.q))),
        "p_decrease": ("DOUBLE", np.asarray(result.p_decrease)),
        "p_decrease_adjusted": ("DOUBLE", adjusted(result.p_decrease_fdr, len(result.q))),
    }


def adjusted(values: Any, n: int) -> np.ndarray:
    """FDR-adjusted p-values, or NaN (an empty field) when FDR correction was off."""
    return np.full(n, np.nan) if values is None else np.asarray(values, dtype=np.float64)
