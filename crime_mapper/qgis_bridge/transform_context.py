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
from typing import Any, Callable, Optional

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransformContext,
    QgsDatumTransform,
    QgsProject,
)
from qgis.PyQt.QtCore import QCoreApplication, QThread, QTimer

#: Projected CRSs crime_mapper works in, each paired with WGS84 (police.uk's coordinates).
UK_GRIDS = ("EPSG:27700", "EPSG:29903")  # British National Grid, Irish Grid (TM75)
WGS84 = "EPSG:4326"


def best_operation(source: str, target: str) -> Optional[Any]:
    """The most accurate available operation (an installed grid wins), or None."""
    operations = QgsDatumTransform.operations(_crs(source), _crs(target))
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


#: The UK grids' and WGS84's CRSs, made on the main (user interface) thread: see
#: :func:`_crs`. Never holds a CRS made in another thread.
_MAIN_THREAD_CRS: dict[str, QgsCoordinateReferenceSystem] = {}


def _on_main_thread() -> bool:
    app = QCoreApplication.instance()
    return app is not None and QThread.currentThread() == app.thread()


def _crs(authid: str) -> QgsCoordinateReferenceSystem:
    """The CRS ``authid``; on the main thread the one made there before.

    Why: the first construction of EPSG:27700 or EPSG:29903 on a thread asks PROJ's database
    (5-15 ms each here, 160 ms once in an idle benchmark at a release's click). QGIS's CRS cache
    is shared between threads, but QGIS drops a thread's entries when that thread ends, so
    :func:`warm_up`'s thread cannot fill it for the main thread; and a CRS made in a thread
    that has ended has lost its PROJ object (QGIS 3.40 resets it), so none is handed over.
    :func:`warm_up_main_thread` makes them on the main thread while it is idle instead.
    QgsCoordinateReferenceSystem is implicitly shared: a copy is cheap and safe to use in
    any thread (each thread gets its own PROJ object from it)."""
    made = _MAIN_THREAD_CRS.get(authid)
    if made is not None:
        return QgsCoordinateReferenceSystem(made)
    crs = QgsCoordinateReferenceSystem(authid)
    if crs.isValid() and _on_main_thread():
        _MAIN_THREAD_CRS[authid] = crs
    return QgsCoordinateReferenceSystem(crs)


def warm_up_main_thread(done: Optional[Callable[[], None]] = None) -> None:
    """Make the UK grids' and WGS84's CRSs on the main thread, one per event-loop turn (each
    a few milliseconds, never the sum at a release's click); call ``done`` after the last.
    Call it on the main thread (a no-op elsewhere, as a thread's CRSs cannot be kept)."""
    if not _on_main_thread():
        return
    pending = [authid for authid in (*UK_GRIDS, WGS84) if authid not in _MAIN_THREAD_CRS]

    def next_one() -> None:
        if pending:
            _crs(pending.pop(0))
        if pending:
            QTimer.singleShot(0, next_one)
        elif done is not None:
            done()

    QTimer.singleShot(0, next_one)


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
            if context.addCoordinateOperation(_crs(source), _crs(target), proj, True):
                added += 1
    return added
