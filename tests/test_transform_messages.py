"""No "Cannot use preferred transform between EPSG:27700 and EPSG:4326" from crime_mapper's own
transforms (issue 14, section 4).

Where the OSTN15 grid is missing, QGIS falls back to a grid-free operation whenever a transform
is built in a context that names none; the desktop then shows "Cannot use preferred transform"
in the message bar, and without the desktop QGIS logs "Using non-preferred coordinate
operation" to the message log, which is what these tests watch (on 3.22 and 3.40 alike). Each
test has a control: the same transform built the way the fault did (the project's empty
context) must warn here, so the tests cannot pass by watching the wrong thing.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCoordinateTransformContext,
    QgsDatumTransform,
    QgsFeature,
    QgsGeometry,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsPointXY,
    QgsProject,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QCoreApplication, QSize

from crime_mapper.qgis_bridge.transform_context import set_default_transforms

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"
#: What QGIS logs where the desktop shows "Cannot use preferred transform between …".
WARNING = "non-preferred coordinate operation"


def _preferred_operation_is_missing() -> bool:
    """True where QGIS's preferred BNG -> WGS84 operation (OSTN15) cannot be used here."""
    operations = QgsDatumTransform.operations(
        QgsCoordinateReferenceSystem(BNG), QgsCoordinateReferenceSystem(WGS84)
    )
    return bool(operations) and not operations[0].isAvailable


@pytest.fixture
def warnings(qgis_app, qgis_new_project) -> Iterator[list[str]]:
    """The transform warnings logged during a test, from a fresh transform cache and an
    empty project (as qgis_process and a new desktop project start)."""
    QgsProject.instance().setTransformContext(QgsCoordinateTransformContext())
    QgsCoordinateTransform.invalidateCache()
    seen: list[str] = []

    def on_message(text: str, tag: str, level: object) -> None:
        if WARNING in text:
            seen.append(text)

    log = QgsApplication.messageLog()
    log.messageReceived.connect(on_message)
    yield seen
    log.messageReceived.disconnect(on_message)
    QgsCoordinateTransform.invalidateCache()


def _flush() -> None:
    QCoreApplication.processEvents()


def _control_warns(warnings: list[str]) -> None:
    """The fault's way (the empty project context) warns on this machine."""
    transform = QgsCoordinateTransform(
        QgsCoordinateReferenceSystem(BNG),
        QgsCoordinateReferenceSystem(WGS84),
        QgsProject.instance(),
    )
    transform.transform(QgsPointXY(458_000, 304_000))
    _flush()
    if _preferred_operation_is_missing():
        assert warnings, "the control transform should have warned"
    warnings.clear()
    QgsCoordinateTransform.invalidateCache()


def test_the_qgis_transform_fallback_never_warns_in_an_empty_project(warnings):
    """transforms.qgis_transform (used where pyproj is missing: qgis_process, the command
    line) names the UK operation even when the project names none."""
    from crime_mapper.qgis_bridge.transforms import qgis_transform

    _control_warns(warnings)
    x, y = qgis_transform(np.array([458_000.0]), np.array([304_000.0]), BNG, WGS84)
    back_x, back_y = qgis_transform(x, y, WGS84, BNG)
    _flush()
    assert warnings == []
    assert -1.2 < x[0] < -1.0 and 52.6 < y[0] < 52.7  # Leicester
    assert abs(back_x[0] - 458_000) < 0.01 and abs(back_y[0] - 304_000) < 0.01
    assert QgsProject.instance().transformContext().coordinateOperations() == {}  # untouched


def test_drawing_wgs84_layers_on_british_national_grid_does_not_warn(warnings):
    """The release's layers (WGS84 GeoPackages) drawn on a BNG map in a project whose context
    set_default_transforms filled: what the canvas does after "Add to map"."""
    project = QgsProject.instance()
    layer = QgsVectorLayer(f"Point?crs={WGS84}", "crimes", "memory")
    feature = QgsFeature()
    feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(-1.13, 52.63)))
    layer.dataProvider().addFeatures([feature])
    project.addMapLayer(layer)
    _control_warns(warnings)

    set_default_transforms(project)
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(QgsCoordinateReferenceSystem(BNG))
    settings.setTransformContext(project.transformContext())
    settings.setExtent(QgsRectangle(450_000, 295_000, 465_000, 310_000))
    settings.setOutputSize(QSize(200, 200))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    _flush()
    assert warnings == []
    assert not job.renderedImage().isNull()


def test_reading_a_bng_neighbourhood_layer_does_not_warn(warnings):
    """Neighbourhood outlines in BNG are read into WGS84 for the summaries, in whatever
    project the analyst has open (a new one names no operation)."""
    from crime_mapper.qgis_bridge.neighbourhood_layer import neighbourhoods_from_layer

    layer = QgsVectorLayer(f"Polygon?crs={BNG}&field=code:string&field=name:string", "n", "memory")
    feature = QgsFeature(layer.fields())
    feature.setAttributes(["E02000001", "Leicester 001"])
    feature.setGeometry(QgsGeometry.fromRect(QgsRectangle(458_000, 304_000, 459_000, 305_000)))
    layer.dataProvider().addFeatures([feature])
    _control_warns(warnings)

    neighbourhoods_from_layer(layer, "code", "name")
    _flush()
    assert warnings == []
