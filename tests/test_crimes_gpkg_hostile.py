"""A load's crimes GeoPackage changed after the load validated it (edited in QGIS's
attribute table, or by another tool), given to the anonymise step: a value its column cannot
hold is a clear error naming the column, never read as NULL, 0 or blank (which would change
what is published without a word), and never a sqlite3 or pandas traceback. A crime type
that is no police.uk category stays the anonymiser's to reject and count, as at load.

Real QGIS writes the GeoPackage (the load's own run_load), SQL changes it (its triggers
dropped first, as a tool without SpatiaLite would), and the real release reads it."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.release.crimes_input import CrimesSourceError, read_crimes_gpkg
from crime_mapper.core.release.map_points import map_points_from_history
from crime_mapper.core.release.pipeline import run_anonymise
from crime_mapper.core.release.release_files import ReleaseInputError, create_salt_file
from crime_mapper.qgis_bridge import run_load as loading
from tests.support.gpkg_edits import edited_gpkg
from tests.support.monthly_config import SAMPLE

FORCE = [SAMPLE / "force" / "2022-10-leicestershire-force-extract.csv"]
FORCE_PROFILE = SAMPLE / "force" / "leicestershire-force-extract.profile.json"
POLICE_UK = SAMPLE / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> Path:
    out = loading.run_load(FORCE, tmp_path_factory.mktemp("load"), profile_path=FORCE_PROFILE)
    return Path(out.gpkg)


@pytest.fixture(scope="module")
def points():
    return map_points_from_history(load_extracts([str(POLICE_UK)]).crimes)


@pytest.mark.parametrize(
    "column, value, why",
    [
        ("last_outcome", "'zz'", "is not a police.uk outcome"),
        ("has_location", "'zz'", "is not a number"),
        ("sensitive", "2", "is not 0 or 1"),
        ("longitude", "'east'", "is not a number"),
        ("occurred_at", "'yesterday'", "is not a date and time"),
        ("record_id", "1.5", "is not a whole number"),
        ("source_line", "'ten'", "is not a number"),
    ],
)
def test_a_value_its_column_cannot_hold_is_refused_naming_the_column(
    loaded, tmp_path, column, value, why
):
    edited = edited_gpkg(
        loaded, tmp_path, f"UPDATE crimes SET {column} = {value} WHERE fid % 7 = 0"
    )
    with pytest.raises(CrimesSourceError, match=f"in {column}, a value that {why}") as caught:
        read_crimes_gpkg(edited)
    assert "load the extracts again" in str(caught.value)


def test_the_release_refuses_it_and_writes_nothing(loaded, points, tmp_path):
    edited = edited_gpkg(loaded, tmp_path, "UPDATE crimes SET last_outcome = 'zz' WHERE fid = 5")
    out = tmp_path / "release"
    salt = create_salt_file(tmp_path / "force.salt")
    with pytest.raises(ReleaseInputError, match="not a police.uk outcome"):
        run_anonymise(str(edited), points, salt_file=salt, output_dir=out, write_gpkg=False)
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE crimes SET last_outcome = 'under investigation' WHERE fid % 7 = 0",
        "UPDATE crimes SET last_outcome = '' WHERE fid % 7 = 0",
        "UPDATE crimes SET longitude = NULL, latitude = NULL WHERE fid % 7 = 0",
        "UPDATE crimes SET record_id = '' WHERE fid % 7 = 0",
    ],
)
def test_blanks_and_spelling_variants_read_as_the_load_reads_them(loaded, tmp_path, sql):
    table = read_crimes_gpkg(edited_gpkg(loaded, tmp_path, sql))
    assert len(table) == len(read_crimes_gpkg(loaded))
    if "under investigation" in sql:
        assert "Under investigation" in set(table["last_outcome"].dropna())


def test_an_unknown_crime_type_is_rejected_and_counted(loaded, points, tmp_path):
    edited = edited_gpkg(
        loaded, tmp_path, "UPDATE crimes SET crime_type = 'Not a category' WHERE fid <= 10"
    )
    out = tmp_path / "release"
    salt = create_salt_file(tmp_path / "force.salt")
    run_anonymise(str(edited), points, salt_file=salt, output_dir=out, write_gpkg=False)
    audit = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    assert audit["totals"]["rejected"] == 10 and audit["reconciles"]


def test_an_extra_column_named_with_a_quote_is_read(loaded, tmp_path):
    edited = edited_gpkg(
        loaded,
        tmp_path,
        'ALTER TABLE crimes ADD COLUMN "extra_a""b" TEXT; UPDATE crimes SET "extra_a""b" = \'x\'',
    )
    table = read_crimes_gpkg(edited)
    assert set(table['extra_a"b']) == {"x"}


def test_a_table_damaged_past_reading_is_a_crimes_source_error(loaded, tmp_path):
    data = bytearray(loaded.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 4096] = b"\xff" * 4096
    damaged = tmp_path / "damaged.gpkg"
    damaged.write_bytes(bytes(data))
    try:
        read_crimes_gpkg(damaged)
    except CrimesSourceError:
        pass


# --- where a crime is: its longitude and latitude fields, and its point on the map -----------


def _edited_in_qgis(loaded: Path, folder: Path, edit) -> Path:
    """A copy of the load's GeoPackage edited through a real QGIS layer, as an analyst edits
    the crimes layer (the OGR provider rewrites the rows it changes)."""
    from qgis.core import QgsVectorLayer

    path = folder / "edited-in-qgis.gpkg"
    shutil.copy(loaded, path)
    layer = QgsVectorLayer(f"{path}|layername=crimes", "crimes", "ogr")
    assert layer.isValid() and layer.startEditing()
    edit(layer, _a_located_crime(layer))
    assert layer.commitChanges(), layer.commitErrors()
    del layer
    return path


def _a_located_crime(layer):
    return next(f for f in layer.getFeatures() if f.hasGeometry() and f["longitude"])


def _moved(layer, feature) -> None:
    from qgis.core import QgsGeometry, QgsPointXY

    point = feature.geometry().asPoint()
    layer.changeGeometry(
        feature.id(), QgsGeometry.fromPointXY(QgsPointXY(point.x() + 0.01, point.y()))
    )


def _deleted_point(layer, feature) -> None:
    from qgis.core import QgsGeometry

    layer.changeGeometry(feature.id(), QgsGeometry())


def _longitude_edited(layer, feature) -> None:
    layer.changeAttributeValue(
        feature.id(), layer.fields().indexOf("longitude"), feature["longitude"] + 0.01
    )


def _moved_and_fields_updated(layer, feature) -> None:
    _moved(layer, feature)
    layer.changeAttributeValue(
        feature.id(), layer.fields().indexOf("longitude"), feature["longitude"] + 0.01
    )


@pytest.mark.parametrize("edit", [_moved, _deleted_point, _longitude_edited])
def test_a_point_and_its_fields_that_disagree_are_refused(qgis_app, loaded, tmp_path, edit):
    # The release publishes the fields; the analyst sees (and moved or deleted) the point.
    # Which one was meant cannot be told, so the table is refused, naming the crime.
    edited = _edited_in_qgis(loaded, tmp_path, edit)
    with pytest.raises(CrimesSourceError, match="1 row.* not at their longitude") as caught:
        read_crimes_gpkg(edited)
    assert "first: crime '" in str(caught.value) and "load the extracts again" in str(caught.value)


def test_a_point_moved_with_its_fields_is_read_at_its_new_place(qgis_app, loaded, tmp_path):
    before = read_crimes_gpkg(loaded)
    table = read_crimes_gpkg(_edited_in_qgis(loaded, tmp_path, _moved_and_fields_updated))
    changed = (table["longitude"] - before["longitude"]).abs() > 0.005
    assert int(changed.sum()) == 1 and len(table) == len(before)


def test_a_copy_saved_in_british_national_grid_is_not_taken_for_moved(qgis_app, loaded, tmp_path):
    # Saving the crimes layer in another CRS round-trips each point through PROJ: a few
    # nanodegrees off, which is no move.
    from qgis.core import (
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsCoordinateTransformContext,
        QgsVectorFileWriter,
        QgsVectorLayer,
    )

    layer = QgsVectorLayer(f"{loaded}|layername=crimes", "crimes", "ogr")
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName, options.layerName = "GPKG", "crimes"
    options.ct = QgsCoordinateTransform(
        layer.crs(), QgsCoordinateReferenceSystem("EPSG:27700"), QgsCoordinateTransformContext()
    )
    copy = tmp_path / "bng.gpkg"
    error = QgsVectorFileWriter.writeAsVectorFormatV3(
        layer, str(copy), QgsCoordinateTransformContext(), options
    )
    assert error[0] == QgsVectorFileWriter.WriterError.NoError, error
    with sqlite3.connect(copy) as conn:  # (the copy's points are in metres)
        assert conn.execute("SELECT srs_id FROM gpkg_geometry_columns").fetchone()[0] == 27700
    pd.testing.assert_series_equal(
        read_crimes_gpkg(copy)["longitude"], read_crimes_gpkg(loaded)["longitude"]
    )


@pytest.mark.parametrize(
    "sql, why",
    [
        ("UPDATE crimes SET longitude = 1e308 WHERE fid = 3", "outside the UK"),
        ("UPDATE crimes SET longitude = -9e999 WHERE fid = 3", "outside the UK"),
        ("UPDATE crimes SET latitude = 40.0 WHERE fid = 3", "outside the UK"),
        ("UPDATE crimes SET latitude = NULL WHERE fid = 3", "longitude without a latitude"),
        ("UPDATE crimes SET longitude = NULL WHERE fid = 3", "latitude without a longitude"),
    ],
)
def test_a_location_the_load_could_not_have_written_is_refused(loaded, tmp_path, sql, why):
    # Before, 1e308 was "beyond the maximum distance" and published without a location, and
    # a lone latitude was published as a crime without one: both without a word.
    edited = edited_gpkg(loaded, tmp_path, sql)
    with pytest.raises(CrimesSourceError, match=why):
        read_crimes_gpkg(edited)


def test_the_release_refuses_a_moved_point_and_writes_nothing(qgis_app, loaded, points, tmp_path):
    edited = _edited_in_qgis(loaded, tmp_path, _moved)
    out = tmp_path / "release"
    salt = create_salt_file(tmp_path / "force.salt")
    with pytest.raises(ReleaseInputError, match="not at their longitude and latitude"):
        run_anonymise(str(edited), points, salt_file=salt, output_dir=out, write_gpkg=False)
    assert not out.exists() or not any(out.iterdir())


def test_points_in_a_crs_no_transform_knows_leave_the_fields_to_go_by(loaded, tmp_path):
    # GeoPackage's "undefined geographic" CRS (srs_id 0): the points cannot be compared, so
    # the fields (checked as above) are what is read, as before.
    edited = edited_gpkg(
        loaded,
        tmp_path,
        "UPDATE gpkg_geometry_columns SET srs_id = 0; "
        "UPDATE crimes SET longitude = longitude + 0.01 WHERE fid = 3",
    )
    table = read_crimes_gpkg(edited)
    moved = (table["longitude"] - read_crimes_gpkg(loaded)["longitude"]).abs() > 0.005
    assert int(moved.sum()) == 1


# --- the account: the table holds what the load accepted -----------------------------------


def _release_of(gpkg: Path, points, folder: Path):
    out = folder / "release"
    salt = create_salt_file(folder / "force.salt")
    done = run_anonymise(str(gpkg), points, salt_file=salt, output_dir=out, write_gpkg=False)
    return done, json.loads((out / "audit.json").read_text(encoding="utf-8"))


def _with_the_loads_report(edited: Path, loaded: Path) -> Path:
    for name in ("validation_report.json", "rejects.csv"):
        shutil.copy(loaded.with_name(name), edited.with_name(name))
    return edited


def test_crimes_deleted_after_the_load_are_accounted_for(qgis_app, loaded, points, tmp_path):
    # Before, the audit counted the rows left and reconciled: three crimes of the extract
    # were in no count, without a word.
    def delete_three(layer, _feature):
        ids = [f.id() for f in layer.getFeatures()][:3]
        assert layer.deleteFeatures(ids)

    edited = _with_the_loads_report(_edited_in_qgis(loaded, tmp_path, delete_three), loaded)
    done, audit = _release_of(edited, points, tmp_path)
    accepted = len(read_crimes_gpkg(loaded))
    assert audit["input"]["accepted_at_load"] == accepted
    assert audit["input"]["crime_rows"] == accepted - 3
    assert not audit["reconciles"] and not done.reconciles
    gone = "3 crime(s) the load accepted are not in the crimes table"
    assert any(gone in w for w in done.warnings)


def test_rows_added_after_the_load_are_accounted_for(loaded, points, tmp_path):
    edited = _with_the_loads_report(
        edited_gpkg(
            loaded,
            tmp_path,
            "INSERT INTO crimes (crime_id, month, crime_type, longitude, latitude, geom, "
            "has_location, sensitive, record_id, source_line) SELECT crime_id || 'x', month, "
            "crime_type, longitude, latitude, geom, has_location, sensitive, record_id, "
            "source_line FROM crimes WHERE fid = 5",
        ),
        loaded,
    )
    done, audit = _release_of(edited, points, tmp_path)
    assert not done.reconciles
    assert any("holds 1 row(s) more than the load accepted" in w for w in done.warnings)


@pytest.mark.parametrize("report", [None, b"{not json", b'{"crimes": {"rows": "many"}}', b"[]"])
def test_without_a_report_to_hold_it_to_the_table_is_the_account(loaded, points, tmp_path, report):
    # (the control: the load's own files, or a report missing or damaged, add no check)
    edited = edited_gpkg(loaded, tmp_path, "SELECT 1")
    shutil.copy(loaded.with_name("rejects.csv"), edited.with_name("rejects.csv"))
    if report is not None:
        edited.with_name("validation_report.json").write_bytes(report)
    done, audit = _release_of(edited, points, tmp_path)
    assert done.reconciles and "accepted_at_load" not in audit["input"]


def test_the_loads_own_files_reconcile(loaded, points, tmp_path):
    done, audit = _release_of(loaded, points, tmp_path)
    assert done.reconciles and "accepted_at_load" not in audit["input"]


def test_the_count_held_to_is_the_loads_crimes_not_its_other_rows(qgis_app, tmp_path):
    # A police.uk month with outcomes and stop-and-search files: the load accepts their
    # rows too, but only the street rows are crimes in the table.
    from crime_mapper.core.release.crimes_input import accepted_at_load

    out = loading.run_load([SAMPLE / "police-uk" / "2022-07"], tmp_path)
    report = json.loads(Path(out.gpkg).with_name("validation_report.json").read_text())
    assert report["totals"]["accepted"] > out.crimes
    assert accepted_at_load(Path(out.gpkg)) == out.crimes == len(read_crimes_gpkg(out.gpkg))
