"""Name the datum transformation between the UK grids and WGS84 in a project's context.

Why: British National Grid <-> WGS84 has several operations. QGIS prefers OSTN15, a grid that
most installations lack, so opening a project pops a modal "Select Transformation" dialog and
every transform logs "Cannot use preferred transform between EPSG:27700 and EPSG:4326". A
project crime_mapper writes (or an empty project a load fills) names the operation to use:
OSTN15 when its grid is installed, else the most accurate operation that needs no grid
(the UK-wide Helmert, about 2 m, well inside police.uk's anonymisation). Nobody is asked.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any, Optional

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransformContext,
    QgsDatumTransform,
    QgsProject,
)

#: Projected CRSs crime_mapper works in, each paired with WGS84 (police.uk's coordinates).
UK_GRIDS = ("EPSG:27700", "EPSG:29903")  # British National Grid, Irish Grid (TM75)
WGS84 = "EPSG:4326"


def best_operation(source: str, target: str) -> Optional[Any]:
    """The most accurate available operation (an installed grid wins), or None."""
    operations = QgsDatumTransform.operations(
        QgsCoordinateReferenceSystem(source), QgsCoordinateReferenceSystem(target)
    )
    usable = [op for op in operations if op.isAvailable and op.proj]
    if not usable:
        return None
    return min(usable, key=lambda op: op.accuracy if op.accuracy > 0 else float("inf"))


@cache
def _best_proj(source: str, target: str) -> str:
    """best_operation's PROJ string, looked up once per session (listing the operations takes
    PROJ a while and prints a line per missing grid; the installed grids do not change under a
    running QGIS often enough to matter)."""
    operation = best_operation(source, target)
    return str(operation.proj) if operation is not None else ""


def warm_up() -> threading.Thread:
    """Look the UK operations up in a background thread, so that the first
    :func:`set_default_transforms` on the user interface's thread (a release's first click,
    its layers) finds them cached instead of waiting about 0.1 s for PROJ. PROJ's calls
    release Python's interpreter lock, and QGIS gives each thread its own PROJ context."""

    def look_up() -> None:
        for grid in UK_GRIDS:
            for source, target in ((grid, WGS84), (WGS84, grid)):
                _best_proj(source, target)

    thread = threading.Thread(target=look_up, name="crime_mapper transforms", daemon=True)
    thread.start()
    return thread


def set_default_transforms(project: Optional[QgsProject] = None) -> int:
    """Add the UK grid <-> WGS84 operations to the project's transform context (both
    directions); return how many were added. Existing choices of the user are kept."""
    project = project or QgsProject.instance()
    context = project.transformContext()
    added = add_uk_operations(context)
    project.setTransformContext(context)
    return added


def uk_transform_context(project: Optional[QgsProject] = None) -> QgsCoordinateTransformContext:
    """A copy of the project's transform context with the UK grid operations named where the
    user named none; the project itself is left as it is.

    Why: code that transforms outside a project crime_mapper set up (qgis_process, the command
    line, a worker while the analyst's project is new) would otherwise get an empty context:
    QGIS then falls back from the missing OSTN15 grid and warns "Cannot use preferred
    transform" (logged as "Using non-preferred coordinate operation") on every run.
    """
    context = QgsCoordinateTransformContext((project or QgsProject.instance()).transformContext())
    add_uk_operations(context)
    return context


def add_uk_operations(context: QgsCoordinateTransformContext) -> int:
    """Name the UK grid <-> WGS84 operations in ``context`` (in place) where it names none;
    return how many were added."""
    existing = context.coordinateOperations()
    added = 0
    for grid in UK_GRIDS:
        for source, target in ((grid, WGS84), (WGS84, grid)):
            if (source, target) in existing:
                continue
            proj = _best_proj(source, target)
            if not proj:
                continue
            if context.addCoordinateOperation(
                QgsCoordinateReferenceSystem(source),
                QgsCoordinateReferenceSystem(target),
                proj,
                True,
            ):
                added += 1
    return added
