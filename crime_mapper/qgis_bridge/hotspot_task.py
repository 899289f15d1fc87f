"""The dock's background hotspot run: a QgsTask around the runs of qgis_bridge.hotspot_layers.

run() executes in a QgsTaskManager worker thread: it opens its own copy of the point layer
from a source URI (a layer object never crosses threads), reads the points, runs the chosen
method and writes the styled file. add_layer_to_project() runs afterwards on the main thread.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Any, Optional

from qgis.core import QgsMapLayer, QgsProject, QgsProviderRegistry, QgsTask, QgsVectorLayer

from ..core.common import layer_source
from ..core.common.feedback import Cancelled, Feedback, ScaledFeedback
from ..core.common.input_files import output_clash
from ..core.hotspots.hexgrid import DEFAULT_MAX_CELLS, HotspotInputError
from ..core.hotspots.methods import hotspot_method
from ..logger import get_logger
from .hotspot_input import points_from_layer
from .hotspot_layers import HotspotOutputs, run_change, run_gi, run_grid, run_kde
from .hotspot_style import add_hotspot_to_project
from .load_task import TaskFeedback

LOG = get_logger()


@dataclass
class HotspotSettings:
    """Everything a hotspot run needs besides its input and output (one place, so the panel,
    the task and tests agree on names and defaults)."""

    method: str = "gi"  # a name in core.hotspots.methods.METHODS
    cell_size_m: float = 500.0  # hexagon size (grid, gi, change) or raster cell (kde)
    category: Optional[str] = None  # None = all crimes
    months: list[str] = field(default_factory=list)  # [] = all months
    fdr: bool = False
    bandwidth_m: float = 0.0  # KDE; 0 = automatic rule
    current_months: list[str] = field(default_factory=list)  # change
    baseline_months: list[str] = field(default_factory=list)  # change; [] = all earlier
    # hexagons; the KDE raster uses core.hotspots.kde's own maximum
    max_cells: int = DEFAULT_MAX_CELLS
    kde_max_cells: Optional[int] = None  # None = core.hotspots.kde.DEFAULT_MAX_CELLS
    # KDE area: (x_min, y_min, x_max, y_max, CRS authority id); None = where the crimes are
    kde_extent: Optional[tuple[float, float, float, float, str]] = None


def source_file(source: Any) -> Optional[str]:
    """The file behind a hotspot input (a layer, or an OGR URI or path), None when it has
    none (a memory layer). Why: an output on that file replaced the crimes it was made from
    (the GeoPackage then held only the hotspot grid), so outputs are compared with it."""
    if isinstance(source, QgsVectorLayer):
        parts = QgsProviderRegistry.instance().decodeUri(source.providerType(), source.source())
        return str(parts.get("path") or "") or None
    path = layer_source.source_file(str(source or ""))  # (a file named a|b.gpkg is that file)
    return path or None


def run_hotspot(
    source: Any,
    out_path: str,
    settings: HotspotSettings,
    feedback: Optional[Feedback] = None,
    qml_path: Optional[str] = None,
    sld_path: Optional[str] = None,
) -> HotspotOutputs:
    """Read the points of ``source`` (a layer or an OGR URI/path) and run ``settings.method``.

    Shared by HotspotTask and the Processing algorithms, so both give the same files.
    """
    feedback = feedback or Feedback()
    method = hotspot_method(settings.method).name  # an unknown name is a HotspotInputError
    clash = output_clash(
        [source_file(source)],
        [("hotspot layer", out_path), ("hotspot style", qml_path), ("hotspot SLD", sld_path)],
    )
    if clash is not None:  # (a grid written over the crimes GeoPackage replaced the crimes)
        raise HotspotInputError(clash)
    months = [] if method == "change" else settings.months
    points = points_from_layer(
        source,
        category=settings.category,
        months=months,
        want_months=method == "change",
        feedback=ScaledFeedback(feedback, 0.0, 30.0),
    )
    feedback.set_progress(30.0)
    feedback.check()
    rest = ScaledFeedback(feedback, 30.0, 100.0)
    common = {"qml_path": qml_path, "sld_path": sld_path, "feedback": rest}
    if method == "grid":
        return run_grid(
            points,
            out_path,
            cell_size_m=settings.cell_size_m,
            max_cells=settings.max_cells,
            **common,
        )
    if method == "gi":
        return run_gi(
            points,
            out_path,
            cell_size_m=settings.cell_size_m,
            fdr=settings.fdr,
            max_cells=settings.max_cells,
            **common,
        )
    if method == "kde":
        return run_kde(
            points,
            out_path,
            cell_m=settings.cell_size_m,
            bandwidth_m=settings.bandwidth_m or None,
            max_cells=settings.kde_max_cells,
            extent=extent_in(settings.kde_extent, points.crs),
            **common,
        )
    return run_change(
        points,
        out_path,
        current=settings.current_months,
        baseline=settings.baseline_months,
        cell_size_m=settings.cell_size_m,
        fdr=settings.fdr,
        max_cells=settings.max_cells,
        **common,
    )


def extent_in(
    extent: Optional[tuple[float, float, float, float, str]], crs: str
) -> Optional[tuple[float, float, float, float]]:
    """An extent given in any CRS as a box in ``crs`` (the box of its transformed corners)."""
    if extent is None:
        return None
    import numpy as np

    from ..core.common.geography import transform

    x0, y0, x1, y1, source = extent
    if not source or source.upper() == crs.upper():
        return (x0, y0, x1, y1)
    xs, ys = transform(np.array([x0, x1, x0, x1]), np.array([y0, y0, y1, y1]), source, crs)
    return (float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()))


class HotspotTask(QgsTask):
    """Run one hotspot analysis in the background.

    After the task ends: ``outputs`` (HotspotOutputs or None), ``error`` (None on success,
    "Cancelled", or the message: HotspotInputError messages are shown as they are, since they
    are written for the analyst) and ``details`` (traceback of an unexpected failure).
    """

    def __init__(
        self,
        source_uri: str,
        out_path: str,
        settings: HotspotSettings,
        description: Optional[str] = None,
    ) -> None:
        super().__init__(
            description or f"crime_mapper: hotspots ({settings.method})", QgsTask.Flag.CanCancel
        )
        self.source_uri = str(source_uri)
        self.out_path = str(out_path)
        self.settings = settings
        self.outputs: Optional[HotspotOutputs] = None
        self.error: Optional[str] = None
        self.details: str = ""

    def run(self) -> bool:  # worker thread
        try:
            self.outputs = run_hotspot(
                self.source_uri, self.out_path, self.settings, TaskFeedback(self)
            )
        except Cancelled:
            self.error = "Cancelled"
            return False
        except HotspotInputError as exc:
            self.error = str(exc)
            return False
        except Exception as exc:  # noqa: BLE001 - reported to the user, never swallowed
            self.error = f"{type(exc).__name__}: {exc}"
            self.details = traceback.format_exc()
            return False
        return True

    def finished(self, result: bool) -> None:  # main thread
        if result and self.outputs is not None:
            text = (
                f"{self.outputs.title}: {self.outputs.cells:,} cells, "
                f"{self.outputs.crimes:,} crimes. " + " ".join(self.outputs.notes)
            )
            LOG.info(text)
        elif self.error == "Cancelled" or self.isCanceled():
            self.error = self.error or "Cancelled"
            LOG.warning("Hotspot run cancelled; earlier outputs unchanged.")
        else:
            LOG.error(f"Hotspot run failed: {self.error}\n{self.details}")

    def add_layer_to_project(self, project: Optional[QgsProject] = None) -> Optional[QgsMapLayer]:
        """Main thread only: the styled layer, at the top of the "Hotspots" group."""
        if self.outputs is None:
            return None
        return add_hotspot_to_project(self.outputs, project or QgsProject.instance())
