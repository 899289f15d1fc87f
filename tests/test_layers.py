"""GeoPackage output, styled layers, the load task and the project round trip, in real QGIS.

Everything here runs the real loader on the bundled police.uk slices and opens the files it
writes with QGIS and GDAL: no QGIS object is mocked.
"""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from osgeo import gdal, ogr
from qgis.core import (
    QgsApplication,
    QgsSimpleMarkerSymbolLayerBase,
    QgsTask,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QCoreApplication, QDateTime, QElapsedTimer, QVariant

from crime_mapper.compat import (
    FIELD_BOOL,
    FIELD_DATETIME,
    FIELD_DOUBLE,
    FIELD_LONGLONG,
    FIELD_STRING,
)
from crime_mapper.core.common import palette, schema
from crime_mapper.core.common.feedback import Cancelled, Feedback
from crime_mapper.core.common.vocabulary import all_category_names
from crime_mapper.core.io import gpkg_write
from crime_mapper.core.load.loader import load_extracts
from crime_mapper.qgis_bridge.layers import (
    CRIMES_TABLE,
    STOP_SEARCH_TABLE,
    add_load_to_project,
    crimes_layer,
    gpkg_uri,
)
from crime_mapper.qgis_bridge.load_task import LoadExtractsTask
from crime_mapper.qgis_bridge.renderers import OTHER_VALUES_LABEL
from crime_mapper.qgis_bridge.run_load import load_title, run_load

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "police-uk"
LEICS_OCT = SAMPLE / "2022-10" / "2022-10-leicestershire-street.csv"
LEICS_SEP = SAMPLE / "2022-09" / "2022-09-leicestershire-street.csv"
NORTHUMBRIA = SAMPLE / "2022-07"  # street + outcomes + stop and search


def _gdal_messages(path: Path) -> list[str]:
    """Open every layer with GDAL, read every feature, and return any warning or error."""
    messages: list[str] = []

    def handler(level, _code, message):
        if level >= gdal.CE_Warning:
            messages.append(message)

    gdal.PushErrorHandler(handler)
    try:
        ds = ogr.Open(str(path))
        assert ds is not None
        for i in range(ds.GetLayerCount()):
            layer = ds.GetLayer(i)
            layer.GetFeatureCount()
            layer.GetExtent()
            for feature in layer:
                feature.GetGeometryRef()
        ds = None
    finally:
        gdal.PopErrorHandler()
    return messages


def _wait_for(task: QgsTask) -> str:
    """Run the task through the task manager and process events until it has ended.

    Returns "completed" or "terminated". The manager deletes the C++ task soon after it
    ends, so only the task's Python attributes (outputs, error, report_text) are read later.
    """
    ended: list[str] = []
    task.taskCompleted.connect(lambda: ended.append("completed"))
    task.taskTerminated.connect(lambda: ended.append("terminated"))
    QgsApplication.taskManager().addTask(task)
    timer = QElapsedTimer()
    timer.start()
    while not ended:
        QCoreApplication.processEvents()
        assert timer.elapsed() < 120_000, "task did not finish"
    return ended[0]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


class CancelAt(Feedback):
    """Cancels once progress reaches ``threshold`` (i.e. in the middle of writing)."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self.seen = 0.0

    def set_progress(self, percent: float) -> None:
        self.seen = max(self.seen, percent)

    def is_cancelled(self) -> bool:
        return self.seen >= self.threshold


class FailAt(Feedback):
    """Raises an unexpected error once progress reaches ``threshold`` (a failing write)."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold

    def set_progress(self, percent: float) -> None:
        if percent >= self.threshold:
            raise OSError("disk full (simulated)")


# --- the GeoPackage writer ---------------------------------------------------------------------


def test_geopackage_matches_the_crimes_table(qgis_app, tmp_path):
    result = load_extracts([LEICS_OCT])
    crimes = result.crimes
    path = tmp_path / "crimes.gpkg"
    columns = {name: spec[0] for name, spec in schema.CRIME_COLUMNS.items()}
    gpkg_write.write_geopackage(path, [gpkg_write.PointTable(CRIMES_TABLE, crimes, columns)])

    assert _gdal_messages(path) == []
    layer = QgsVectorLayer(gpkg_uri(path, CRIMES_TABLE), "crimes", "ogr")
    assert layer.isValid()
    assert layer.featureCount() == len(crimes) == 4836
    assert layer.wkbType() == QgsWkbTypes.Point
    assert layer.crs().authid() == "EPSG:4326"
    assert [f.name() for f in layer.fields()] == ["fid", *schema.CRIME_COLUMNS]

    fields = layer.fields()
    # field types through compat: QVariant.Type on 3.22, QMetaType.Type from 3.38 (and Qt6)
    assert fields.field("occurred_at").type() == FIELD_DATETIME
    assert fields.field("has_location").type() == FIELD_BOOL
    assert fields.field("record_id").type() == FIELD_LONGLONG
    assert fields.field("longitude").type() == FIELD_DOUBLE
    assert fields.field("crime_type").type() == FIELD_STRING

    no_location = set(crimes.loc[~crimes["has_location"], "record_id"].tolist())
    assert len(no_location) == 402  # README of sample_data
    seen_null = 0
    by_record = crimes.set_index("record_id")
    for feature in layer.getFeatures():
        record = feature["record_id"]
        row = by_record.loc[record]
        assert feature["crime_type"] == row["crime_type"]
        if record in no_location:
            assert feature.geometry().isNull()
            seen_null += 1
        else:
            point = feature.geometry().asPoint()
            assert point.x() == row["longitude"] and point.y() == row["latitude"]
    assert seen_null == len(no_location)

    with sqlite3.connect(path) as conn:  # the bulk-loaded R-tree is a valid SQLite R-tree
        assert conn.execute("SELECT rtreecheck('rtree_crimes_geom')").fetchone() == ("ok",)
        indexed = conn.execute("SELECT count(*) FROM rtree_crimes_geom").fetchone()[0]
        assert indexed == len(crimes) - len(no_location)


def test_geopackage_types_nulls_and_spatial_index_edits(qgis_app, tmp_path):
    """Datetimes, booleans, NaN and missing text survive; QGIS edits keep the index right."""
    n = 300  # more than one R-tree node (51 cells), so the tree has two levels
    frame = pd.DataFrame(
        {
            "longitude": [-1.0 - i / 1000 for i in range(n - 1)] + [float("nan")],
            "latitude": [52.0 + i / 1000 for i in range(n - 1)] + [float("nan")],
            "when": pd.to_datetime(["2022-10-01 13:45:10"] + [None] * (n - 1)),
            "flag": [True, False] * (n // 2),
            "label": pd.Series(["a"] + [None] * (n - 1), dtype="string"),
            "kind": pd.Categorical(["x", None] * (n // 2)),
            "count": list(range(n)),
        }
    )
    dtypes = {
        "when": "datetime64[ns]",
        "flag": "bool",
        "label": "string",
        "kind": "category",
        "count": "int64",
        "longitude": "float64",
        "latitude": "float64",
    }
    path = tmp_path / "t.gpkg"
    gpkg_write.write_geopackage(path, [gpkg_write.PointTable("t", frame, dtypes)])
    assert _gdal_messages(path) == []

    layer = QgsVectorLayer(gpkg_uri(path, "t"), "t", "ogr")
    first = next(layer.getFeatures())
    assert first["when"] == QDateTime(2022, 10, 1, 13, 45, 10)
    assert first["flag"] is True or first["flag"] == 1
    assert first["label"] == "a" and first["kind"] == "x"
    last = layer.getFeature(n)
    assert last.geometry().isNull()
    assert last["label"] is None or last["label"] == QVariant() or str(last["label"]) == "NULL"

    # an edit through GDAL fires the R-tree triggers written at the end of the bulk load
    assert layer.startEditing()
    assert layer.deleteFeature(1)
    assert layer.commitChanges()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM rtree_t_geom").fetchone()[0] == n - 2
        assert conn.execute("SELECT feature_count FROM gpkg_ogr_contents").fetchone()[0] == n - 1


# --- outputs of one load -----------------------------------------------------------------------


def test_run_load_writes_all_outputs(qgis_app, tmp_path):
    out = run_load([NORTHUMBRIA], tmp_path)
    assert out.title == "Crimes 2022-07 (Northumbria Police)"
    assert out.crimes == 4308 and out.stop_search == 385 and out.reconciles
    for path in (out.gpkg, out.rejects_csv, out.report_json, out.report_text_path, out.qml):
        assert path.is_file(), path
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]
    assert _gdal_messages(out.gpkg) == []

    report = json.loads(out.report_json.read_text(encoding="utf-8"))
    assert (
        report["totals"]["rows_read"] == report["totals"]["accepted"] + report["totals"]["rejected"]
    )
    assert out.report_text_path.read_text(encoding="utf-8").strip() == out.report_text.strip()
    with open(out.rejects_csv, newline="", encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == list(schema.REJECT_COLUMNS)

    stops = QgsVectorLayer(gpkg_uri(out.gpkg, STOP_SEARCH_TABLE), "s", "ogr")
    assert stops.isValid() and stops.featureCount() == 385
    assert stops.renderer().type() == "singleSymbol"  # its own default style from the file

    with sqlite3.connect(out.gpkg) as conn:
        styles = conn.execute(
            "SELECT f_table_name, useAsDefault FROM layer_styles ORDER BY f_table_name"
        ).fetchall()
    assert styles == [(CRIMES_TABLE, 1), (STOP_SEARCH_TABLE, 1)]


def test_the_same_extracts_give_byte_identical_outputs(qgis_app, tmp_path):
    """A release manifest records the crimes GeoPackage's checksum, so a load must not
    depend on the wall clock or on Qt's per-process attribute order."""
    import time

    first = run_load([NORTHUMBRIA], tmp_path / "first")
    time.sleep(1.1)  # a wall-clock stamp would now differ
    second = run_load([NORTHUMBRIA], tmp_path / "second")
    names = sorted(p.name for p in (tmp_path / "first").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "second").iterdir())
    for name in names:
        assert (tmp_path / "first" / name).read_bytes() == (
            tmp_path / "second" / name
        ).read_bytes(), name
    with sqlite3.connect(first.gpkg) as conn:
        stamps = {r[0] for r in conn.execute("SELECT last_change FROM gpkg_contents")}
        stamps |= {r[0] for r in conn.execute("SELECT update_time FROM layer_styles")}
    assert stamps == {"2022-07-01T00:00:00.000Z"}
    layer = crimes_layer(second.gpkg)
    assert layer.isValid() and layer.renderer().type() == "categorizedSymbol"


def test_fresh_layer_comes_up_styled_from_the_geopackage(qgis_app, tmp_path):
    """A plain drag-and-drop of the file (no crime_mapper code involved) shows the style."""
    out = run_load([LEICS_OCT], tmp_path)
    plain = QgsVectorLayer(gpkg_uri(out.gpkg, CRIMES_TABLE), "dropped", "ogr")
    assert plain.renderer().type() == "categorizedSymbol"
    assert plain.attributeDisplayName(plain.fields().indexOf("crime_type")) == "Crime type"

    from_qml = QgsVectorLayer(
        gpkg_uri(out.gpkg, CRIMES_TABLE), "qml", "ogr", QgsVectorLayer.LayerOptions(False)
    )
    assert from_qml.renderer().type() != "categorizedSymbol"
    _, ok = from_qml.loadNamedStyle(str(out.qml))
    assert ok and from_qml.renderer().type() == "categorizedSymbol"


def test_aliases_and_renderer_follow_schema_and_palette(qgis_app, tmp_path):
    out = run_load([LEICS_OCT], tmp_path)
    layer = crimes_layer(out.gpkg)
    for name, (_, alias, _) in schema.CRIME_COLUMNS.items():
        assert layer.attributeDisplayName(layer.fields().indexOf(name)) == alias

    renderer = layer.renderer()
    assert renderer.classAttribute() == "crime_type"
    categories = renderer.categories()
    names = list(all_category_names())
    assert [c.value() for c in categories] == [*names, ""]  # all 16, stable across months
    for category in categories[:-1]:
        style = palette.category_style(category.value())
        symbol_layer = category.symbol().symbolLayer(0)
        assert category.symbol().color().name() == style.colour
        expected_shape, _ = QgsSimpleMarkerSymbolLayerBase.decodeShape(style.marker)
        assert symbol_layer.shape() == expected_shape
        assert category.label() == style.label
    assert categories[-1].symbol().color().name() == palette.NO_DATA_COLOUR
    assert categories[-1].label() == OTHER_VALUES_LABEL

    # every crime type in the month has its own category (nothing falls to the catch-all)
    present = {f["crime_type"] for f in layer.getFeatures()}
    assert present <= set(names)


def test_load_with_no_crimes_still_writes_valid_outputs(qgis_app, tmp_path):
    """A month with no crime (a street file with its header alone) gives an empty layer
    and a clear report; a load whose only file is not an extract replaces nothing."""
    from crime_mapper.core.load.sources import InputError

    empty = tmp_path / "2022-10-empty-street.csv"
    empty.write_text(LEICS_OCT.read_text(encoding="utf-8").splitlines()[0] + "\n")
    out = run_load([empty], tmp_path / "out")
    assert out.crimes == 0 and not out.file_errors
    assert _gdal_messages(out.gpkg) == []
    layer = QgsVectorLayer(gpkg_uri(out.gpkg, CRIMES_TABLE), "c", "ogr")
    assert layer.isValid() and layer.featureCount() == 0
    assert out.title.startswith("Crimes load ")
    other = tmp_path / "notes.csv"
    other.write_text("name,value\nfoo,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="notes.csv: not a crime extract"):
        run_load([other], tmp_path / "out")
    assert QgsVectorLayer(gpkg_uri(out.gpkg, CRIMES_TABLE), "c", "ogr").isValid()


def test_load_title_names_months_and_forces(qgis_app):
    one = load_extracts([LEICS_OCT])
    assert load_title(one.crimes) == "Crimes 2022-10 (Leicestershire Police)"
    both = load_extracts([LEICS_SEP, NORTHUMBRIA])
    assert load_title(both.crimes, both.stop_search) == "Crimes 2022-07 to 2022-09 (2 forces)"


# --- the task, the layer group and the project -------------------------------------------------


def test_task_adds_group_and_project_reopens_from_disk(qgis_app, qgis_new_project, tmp_path):
    out_dir = tmp_path / "release"
    task = LoadExtractsTask([str(NORTHUMBRIA)], str(out_dir))
    assert _wait_for(task) == "completed"
    assert task.error is None, task.report_text
    assert "Rows read" in task.report_text
    group = task.add_layers_to_project(qgis_new_project)
    assert group.name() == "Crimes 2022-07 (Northumbria Police)"
    layers = [node.layer() for node in group.findLayers()]
    assert [layer.name() for layer in layers] == ["Crimes", "Stop and search", "Rejected rows (0)"]
    crimes, stops, rejects = layers
    assert crimes.featureCount() == 4308 and stops.featureCount() == 385
    assert rejects.isSpatial() is False
    assert crimes.renderer().type() == "categorizedSymbol"

    project_file = out_dir / "project.qgz"
    qgis_new_project.setFileName(str(project_file))
    assert qgis_new_project.write()
    with zipfile.ZipFile(project_file) as archive:
        qgs = next(n for n in archive.namelist() if n.endswith(".qgs"))
        xml = archive.read(qgs).decode("utf-8")
    assert "./crimes.gpkg|layername=crimes" in xml and str(out_dir) not in xml

    # move the whole folder: relative paths mean the project still finds its data
    moved = tmp_path / "moved"
    shutil.move(str(out_dir), str(moved))
    qgis_new_project.clear()
    assert qgis_new_project.read(str(moved / "project.qgz"))
    reopened = {layer.name(): layer for layer in qgis_new_project.mapLayers().values()}
    assert reopened["Crimes"].isValid() and reopened["Crimes"].featureCount() == 4308
    assert reopened["Crimes"].renderer().type() == "categorizedSymbol"
    assert reopened["Stop and search"].featureCount() == 385
    assert reopened["Rejected rows (0)"].isValid()
    root_groups = [g.name() for g in qgis_new_project.layerTreeRoot().children()]
    assert root_groups == ["Crimes 2022-07 (Northumbria Police)"]


def test_second_load_into_same_folder_shows_new_data(qgis_app, qgis_new_project, tmp_path):
    """Replaced files are reloaded, so neither old nor new layers show the previous load."""
    first = run_load([LEICS_OCT], tmp_path)
    add_load_to_project(
        first.gpkg, first.title, rejects_csv=first.rejects_csv, project=qgis_new_project
    )
    second = run_load([LEICS_SEP], tmp_path)
    group = add_load_to_project(
        second.gpkg, second.title, rejects_csv=second.rejects_csv, project=qgis_new_project
    )
    assert group.name() == "Crimes 2022-09 (Leicestershire Police)"
    counts = [
        layer.featureCount()
        for layer in qgis_new_project.mapLayers().values()
        if layer.name() == "Crimes"
    ]
    assert counts == [4685, 4685]
    months = {f["month"] for f in group.findLayers()[0].layer().getFeatures()}
    assert months == {"2022-09"}


def test_rejects_table_lists_rejected_rows(qgis_app, qgis_new_project, tmp_path):
    bad = tmp_path / "in" / "2022-10-leicestershire-street.csv"
    bad.parent.mkdir()
    lines = LEICS_OCT.read_bytes().split(b"\r\n")
    bad.write_bytes(b"\r\n".join(lines[:11] + [lines[5]] + lines[11:20]) + b"\r\n")
    out = run_load([bad], tmp_path / "out")
    assert out.rejected >= 1
    group = add_load_to_project(
        out.gpkg,
        out.title,
        rejects_csv=out.rejects_csv,
        rejected=out.rejected,
        project=qgis_new_project,
    )
    rejects = group.findLayers()[-1].layer()
    assert rejects.name() == f"Rejected rows ({out.rejected})"
    assert rejects.featureCount() == out.rejected
    reasons = {f["reason"] for f in rejects.getFeatures()}
    assert "duplicate_crime_id" in reasons
    assert rejects.attributeDisplayName(rejects.fields().indexOf("raw")) == "Raw row (verbatim)"


# --- cancel and failure leave earlier outputs intact -------------------------------------------


@pytest.mark.parametrize(
    "feedback",
    [CancelAt(70.0), CancelAt(90.0), CancelAt(97.0), FailAt(90.0)],
    ids=["cancel-inside-gpkg", "cancel-after-gpkg", "cancel-after-style", "fail-after-gpkg"],
)
def test_cancel_or_failure_leaves_previous_outputs(qgis_app, tmp_path, feedback):
    run_load([LEICS_OCT], tmp_path)
    before = _snapshot(tmp_path)
    assert set(before) == {
        "crimes.gpkg",
        "crimes.qml",
        "rejects.csv",
        "validation_report.json",
        "validation_report.txt",
    }
    with pytest.raises((Cancelled, OSError)):
        run_load([NORTHUMBRIA], tmp_path, feedback=feedback)
    assert _snapshot(tmp_path) == before  # same files, byte for byte, no temporaries left
    layer = QgsVectorLayer(gpkg_uri(tmp_path / "crimes.gpkg", CRIMES_TABLE), "c", "ogr")
    assert layer.featureCount() == 4836


def test_cancelled_task_reports_and_keeps_outputs(qgis_app, qgis_new_project, tmp_path):
    run_load([LEICS_OCT], tmp_path)
    before = _snapshot(tmp_path)
    task = LoadExtractsTask([str(NORTHUMBRIA)], str(tmp_path))
    task.cancel()
    assert task.run() is False  # what the worker thread would run, here on this thread
    assert task.error == "Cancelled" and task.outputs is None
    assert "unchanged" in task.report_text
    assert task.add_layers_to_project(qgis_new_project) is None
    assert _snapshot(tmp_path) == before


def test_failed_task_reports_error(qgis_app, tmp_path):
    task = LoadExtractsTask(
        [str(LEICS_OCT)], str(tmp_path), profile_path=str(tmp_path / "missing-profile.json")
    )
    assert _wait_for(task) == "terminated"
    assert task.error and "missing-profile.json" in task.error
    assert not list(tmp_path.iterdir())


def test_qgis_transform_fallback_matches_pyproj(qgis_app, monkeypatch):
    """Where QGIS's Python has no pyproj the core transforms through QGIS: same answers."""
    import numpy as np

    from crime_mapper.core.common import geography
    from crime_mapper.qgis_bridge.transforms import install_fallback

    east = np.array([458000.0, 425000.0, np.nan, 530000.0])
    north = np.array([305000.0, 565000.0, 1.0, 180000.0])
    by_pyproj = geography.to_wgs84(east, north, "EPSG:27700")

    def no_pyproj(*_args):
        raise ImportError("No module named 'pyproj'")

    monkeypatch.setattr(geography, "_transformer", no_pyproj)
    monkeypatch.setattr(geography, "_fallback", None)
    monkeypatch.setattr(geography, "_fallback_area_of_use", None)  # (install_fallback sets it)
    with pytest.raises(geography.TransformUnavailable, match="need pyproj"):
        geography.to_wgs84(east, north, "EPSG:27700")
    install_fallback()
    by_qgis = geography.to_wgs84(east, north, "EPSG:27700")
    assert np.isnan(by_qgis[0][2]) and np.isnan(by_pyproj[0][2])
    ok = ~np.isnan(by_pyproj[0])
    # both use PROJ; they may pick different OSGB36 datum shifts (a few metres at most)
    assert np.allclose(by_qgis[0][ok], by_pyproj[0][ok], atol=1e-4)
    assert np.allclose(by_qgis[1][ok], by_pyproj[1][ok], atol=1e-4)


def test_qgis_area_of_use_fallback_tells_a_swap_as_pyproj_does(qgis_app, monkeypatch):
    """Where QGIS's Python has no pyproj, a CRS's area of use comes from QGIS: the same
    bounds, so Calais in British National Grid stays a place (not a swap) and a Scottish
    grid reference typed northing first is still called swapped."""
    import numpy as np

    from crime_mapper.core.common import geography
    from crime_mapper.qgis_bridge.transforms import install_fallback

    calais, inverness_swapped = (670500.0, 123800.0), (845500.0, 266500.0)
    lon, lat = geography.to_wgs84(*np.array([calais, inverness_swapped]).T, "EPSG:27700")
    crss = ("EPSG:27700", "EPSG:2157", "EPSG:4326")
    by_pyproj = {crs: geography.area_of_use(crs) for crs in crss}

    def no_pyproj(*_args):
        raise ImportError("No module named 'pyproj'")

    monkeypatch.setattr(geography, "_pyproj_area_of_use", no_pyproj)
    monkeypatch.setattr(geography, "_fallback_area_of_use", None)
    assert geography.area_of_use("EPSG:27700") is None  # (only the box around the UK is left)
    install_fallback()
    assert {crs: geography.area_of_use(crs) for crs in crss} == by_pyproj
    assert geography.near_uk_in_crs(lon, lat, "EPSG:27700").tolist() == [True, False]


def test_a_layer_that_cannot_be_opened_is_named_on_one_line(qgis_app, tmp_path):
    """The Load tab shows "Loaded, but adding the layers failed: ..." with these messages: a
    folder named with a newline started a line of its own there, which read as the dock's."""
    from crime_mapper.qgis_bridge.layers import rejects_layer, stop_search_layer

    folder = tmp_path / "out\nLeak gate: passed"
    folder.mkdir()
    gpkg = folder / "crimes.gpkg"
    gpkg.write_bytes(b"not a GeoPackage")
    shown = f"{tmp_path}/out\\nLeak gate: passed"
    with pytest.raises(RuntimeError) as crimes:
        crimes_layer(gpkg)
    assert str(crimes.value) == f"cannot open the crimes layer in {shown}/crimes.gpkg"
    with pytest.raises(RuntimeError) as stops:
        stop_search_layer(gpkg)
    assert str(stops.value) == f"cannot open the stop-and-search layer in {shown}/crimes.gpkg"
    with pytest.raises(RuntimeError) as rejects:
        rejects_layer(folder / "rejects.csv")  # (not there)
    assert str(rejects.value) == f"cannot open the rejects table {shown}/rejects.csv"
