"""A map points file whose labels are written as police.uk Location text ("On or near High
Street", as a file made from police.uk data or saved from a release has them) is read as
the layer and history readers read it: the label "High Street", published once as "On or
near High Street". The CSV and GeoPackage readers kept the prefix, so every location of the
release read "On or near On or near High Street".

Real files: map points made from a real police.uk month, written as a CSV and by the
product's own GeoPackage writer, read by the real QGIS layer reader and released through
the real pipeline."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.release.map_points import (
    CSV_COLUMNS,
    map_points_from_arrays,
    map_points_from_history,
    strip_location_prefix,
    write_map_points_csv,
)
from crime_mapper.core.release.map_points_files import (
    read_map_points_file,
    write_map_points_gpkg,
)
from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE, SAMPLE, make_salt

LABELS = [
    "On or near High Street",
    "On or near ",  # police.uk's empty label
    "On or near",  # the same, its trailing space lost
    "On or near  Mill Lane ",
    " On or near Park Road",  # a padded cell: the prefix after the padding
    "High Street",  # written without the prefix: kept
    "",
]
# As the layer and history readers store them (strip_location_prefix).
STORED = ["High Street", "", "", "Mill Lane", "Park Road", "High Street", ""]


def _points_with(labels: list[str]):
    lon = [-1.13 - 0.001 * k for k in range(len(labels))]
    return map_points_from_arrays(lon, [52.63] * len(labels), labels)


def _csv_with(path: Path, labels: list[str]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["longitude", "latitude", "label"])
        writer.writerows([-1.13 - 0.001 * k, 52.63, label] for k, label in enumerate(labels))
    return path


def test_the_files_read_location_text_as_the_label_the_layer_reader_stores(
    qgis_app, tmp_path: Path
) -> None:
    from qgis.core import QgsFeature, QgsGeometry, QgsPointXY, QgsVectorLayer

    from crime_mapper.qgis_bridge.map_points_io import points_from_source, spec_from_layer

    assert [strip_location_prefix(label) for label in LABELS] == STORED
    layer = QgsVectorLayer("Point?crs=EPSG:4326&field=label:string", "points", "memory")
    features = []
    for k, label in enumerate(LABELS):
        feature = QgsFeature(layer.fields())
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(-1.13 - 0.001 * k, 52.63)))
        feature.setAttributes([label])
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    assert points_from_source(layer, "label").label.tolist() == STORED

    csv_path = _csv_with(tmp_path / "points.csv", LABELS)
    assert read_map_points_file(csv_path).label.tolist() == STORED
    gpkg = write_map_points_gpkg(_points_with(LABELS), tmp_path / "points.gpkg")
    assert read_map_points_file(gpkg).label.tolist() == STORED
    # the GeoPackage chosen as a layer in QGIS is read by the file reader (spec_from_layer)
    chosen = QgsVectorLayer(f"{gpkg}|layername=map_points", "map points", "ogr")
    spec = spec_from_layer(chosen, "label")
    assert spec.kind == "file"
    assert spec.resolve().label.tolist() == STORED
    # the location published: the prefix once
    assert read_map_points_file(csv_path).location_text().tolist() == [
        "On or near High Street",
        "On or near ",
        "On or near ",
        "On or near Mill Lane",
        "On or near Park Road",
        "On or near High Street",
        "On or near ",
    ]


def test_labels_without_the_prefix_are_read_as_written(tmp_path: Path) -> None:
    """Only Location text loses its prefix: other text (padding, a label holding the words
    later on) is kept as the file has it."""
    labels = ["  Padded  ", "Shops on or near the Square", "Corner of On or near Road"]
    assert read_map_points_file(_csv_with(tmp_path / "p.csv", labels)).label.tolist() == labels
    gpkg = write_map_points_gpkg(_points_with(labels), tmp_path / "p.gpkg")
    assert read_map_points_file(gpkg).label.tolist() == labels


@pytest.fixture(scope="module")
def history_points():
    street = SAMPLE / "police-uk" / "2022-09" / "2022-09-leicestershire-street.csv"
    return map_points_from_history(load_extracts([street]).crimes)


def _release(points, folder: Path) -> str:
    from crime_mapper.core.release.pipeline import run_anonymise

    made = run_anonymise(
        [FORCE_EXTRACT],
        points,
        None,
        make_salt(folder / "secret" / "s.salt"),
        folder / "release",
        profile_path=FORCE_PROFILE,
        write_gpkg=False,
    )
    return made.public_csv.read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", ["csv", "gpkg"])
def test_a_release_from_a_file_of_location_text_says_on_or_near_once(
    history_points, tmp_path: Path, kind: str
) -> None:
    """A real force extract released onto map points whose file holds police.uk Location
    text publishes the same CSV, byte for byte, as onto the same points labelled without
    it: every location "On or near <label>", the prefix once."""
    plain = tmp_path / "plain.csv"
    write_map_points_csv(history_points, plain)
    reference = _release(str(plain), tmp_path / "reference")

    frame = history_points.to_frame()
    frame["label"] = "On or near " + frame["label"]
    if kind == "csv":
        given = tmp_path / "points.csv"
        frame.to_csv(given, index=False, columns=list(CSV_COLUMNS))
    else:
        prefixed = map_points_from_arrays(
            frame["longitude"],
            frame["latitude"],
            frame["label"],
            source=frame["source"],
            addresses=frame["addresses"],
            lsoa_code=frame["lsoa_code"],
            lsoa_name=frame["lsoa_name"],
        )
        given = write_map_points_gpkg(prefixed, tmp_path / "points.gpkg")
    published = _release(str(given), tmp_path / kind)

    rows = list(csv.DictReader(published.splitlines()))
    located = [row["Location"] for row in rows if row["Longitude"]]
    assert len(located) > 1000
    assert all(loc.startswith("On or near ") and loc.count("On or near") == 1 for loc in located)
    assert published == reference
