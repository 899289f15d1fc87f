"""The UK grid operations a project's transform context gets (qgis_bridge.transform_context),
and that a release's click does not make the UK grids' CRSs again on the main thread (issue 14:
"the UI never freezes"; bench u_dock_release once measured 160 ms there).

Real QGIS throughout (3.22 and 3.40): the contexts are compared with one built the direct way
(a CRS made from its authority id for every operation), operation by operation.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCoordinateTransformContext,
    QgsPointXY,
    QgsProject,
)
from qgis.PyQt.QtCore import QCoreApplication

from crime_mapper.qgis_bridge import transform_context as tc

PAIRS = [(s, t) for grid in tc.UK_GRIDS for s, t in ((grid, tc.WGS84), (tc.WGS84, grid))]
#: A choice of the user's own (a plain Helmert, not what crime_mapper would pick).
USER_PROJ = (
    "+proj=pipeline +step +inv +proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 "
    "+y_0=-100000 +ellps=airy +step +proj=push +v_3 +step +proj=cart +ellps=airy "
    "+step +proj=helmert +x=446.448 +y=-125.157 +z=542.06 +step +inv +proj=cart +ellps=WGS84 "
    "+step +proj=pop +v_3 +step +proj=unitconvert +xy_in=rad +xy_out=deg +step +proj=axisswap "
    "+order=2,1"
)


def _direct(context: QgsCoordinateTransformContext) -> QgsCoordinateTransformContext:
    """What add_uk_operations did before: every CRS made from its id, where none is named."""
    existing = context.coordinateOperations()
    for source, target in PAIRS:
        proj = tc._best_proj(source, target)
        if (source, target) not in existing and proj:
            context.addCoordinateOperation(
                QgsCoordinateReferenceSystem(source),
                QgsCoordinateReferenceSystem(target),
                proj,
                True,
            )
    return context


def _warm_main_thread(monkeypatch: pytest.MonkeyPatch) -> dict:
    """An empty store of main-thread CRSs, filled by warm_up_main_thread's event-loop turns."""
    store: dict = {}
    monkeypatch.setattr(tc, "_MAIN_THREAD_CRS", store)
    done: list[bool] = []
    tc.warm_up_main_thread(lambda: done.append(True))
    deadline = time.monotonic() + 30
    while not done and time.monotonic() < deadline:
        QCoreApplication.processEvents()
    assert done, "warm_up_main_thread never finished"
    return store


class _Counting:
    """QgsCoordinateReferenceSystem as transform_context sees it, counting constructions from
    an authority id (the ones that ask PROJ's database); copies are not counted."""

    def __init__(self) -> None:
        self.from_ids: list[str] = []

    def __call__(self, *args: Any) -> QgsCoordinateReferenceSystem:
        if args and isinstance(args[0], str):
            self.from_ids.append(args[0])
        return QgsCoordinateReferenceSystem(*args)


def test_the_context_is_the_direct_one_with_the_user_choice_kept(
    qgis_app, qgis_new_project, monkeypatch
):
    _warm_main_thread(monkeypatch)
    for user_choice in (False, True):
        start = QgsCoordinateTransformContext()
        if user_choice:
            assert start.addCoordinateOperation(
                QgsCoordinateReferenceSystem("EPSG:27700"),
                QgsCoordinateReferenceSystem("EPSG:4326"),
                USER_PROJ,
                False,
            )
        project = QgsProject.instance()
        project.setTransformContext(QgsCoordinateTransformContext(start))
        added = tc.set_default_transforms(project)
        got = project.transformContext()
        want = _direct(QgsCoordinateTransformContext(start))
        assert got.coordinateOperations() == want.coordinateOperations()
        assert added == len(PAIRS) - int(user_choice)
        assert len(got.coordinateOperations()) == len(PAIRS)
        for source, target in PAIRS:
            a, b = QgsCoordinateReferenceSystem(source), QgsCoordinateReferenceSystem(target)
            assert got.allowFallbackTransform(a, b) == want.allowFallbackTransform(a, b)
            assert got.calculateCoordinateOperation(a, b) == want.calculateCoordinateOperation(a, b)
        ours = got.coordinateOperations()[("EPSG:27700", "EPSG:4326")]
        assert (ours == USER_PROJ) is user_choice
        # the same points come out of transforms built in either context
        point = QgsPointXY(530000, 180000)
        for context in (got, want):
            transform = QgsCoordinateTransform(
                QgsCoordinateReferenceSystem("EPSG:27700"),
                QgsCoordinateReferenceSystem("EPSG:4326"),
                context,
            )
            context_point = transform.transform(point)
            if context is got:
                first = context_point
        assert (first.x(), first.y()) == pytest.approx((context_point.x(), context_point.y()))


def test_the_main_thread_makes_no_uk_crs_again_after_the_warm_up(
    qgis_app, qgis_new_project, monkeypatch
):
    store = _warm_main_thread(monkeypatch)
    assert sorted(store) == sorted({*tc.UK_GRIDS, tc.WGS84})
    assert all(crs.isValid() for crs in store.values())
    counting = _Counting()
    monkeypatch.setattr(tc, "QgsCoordinateReferenceSystem", counting)
    QgsProject.instance().setTransformContext(QgsCoordinateTransformContext())
    assert tc.set_default_transforms(QgsProject.instance()) == len(PAIRS)
    assert counting.from_ids == []
    # the control: without the warm-up the same call makes them (the counter counts)
    monkeypatch.setattr(tc, "_MAIN_THREAD_CRS", {})
    QgsProject.instance().setTransformContext(QgsCoordinateTransformContext())
    tc.set_default_transforms(QgsProject.instance())
    assert sorted(set(counting.from_ids)) == sorted({*tc.UK_GRIDS, tc.WGS84})


def test_a_worker_thread_keeps_no_crs_and_uses_the_main_threads(
    qgis_app, qgis_new_project, monkeypatch
):
    """A CRS made in a thread loses its PROJ object when the thread ends, so a worker's are
    never kept; a worker given the main thread's gets the same transform as the main thread."""
    monkeypatch.setattr(tc, "_MAIN_THREAD_CRS", {})
    results: dict[str, Any] = {}

    def worker() -> None:
        results["crs_valid"] = tc._crs("EPSG:29903").isValid()
        context = tc.uk_transform_context(QgsProject.instance())
        transform = QgsCoordinateTransform(
            QgsCoordinateReferenceSystem("EPSG:27700"),
            QgsCoordinateReferenceSystem("EPSG:4326"),
            context,
        )
        results["point"] = transform.transform(QgsPointXY(530000, 180000))

    for _warmed in (False, True):
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        assert results["crs_valid"]
        if not _warmed:
            assert tc._MAIN_THREAD_CRS == {}
            _warm_main_thread(monkeypatch)
            first = results["point"]
    main = QgsCoordinateTransform(
        QgsCoordinateReferenceSystem("EPSG:27700"),
        QgsCoordinateReferenceSystem("EPSG:4326"),
        tc.uk_transform_context(QgsProject.instance()),
    ).transform(QgsPointXY(530000, 180000))
    for point in (first, results["point"]):
        assert (point.x(), point.y()) == pytest.approx((main.x(), main.y()))
