"""The release configuration takes a GeoPackage's layer of map points as ``--points`` does.

Why: ``anonymise --points FILE.gpkg|layername=LAYER`` reads the chosen layer, and its
refusal of a GeoPackage without a map_points layer tells the analyst to give the file that
way; the release configuration (the command line's ``release``, the dock's form through
ReleaseConfig.from_dict, Processing's monthly release) took the whole text as a path and
refused it: "Map points source not found". A real GeoPackage of two layers (the product's
writer, then a second layer by GDAL), the bundled month, the real command line.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import tomllib

from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.monthly import toml_lite
from crime_mapper.core.monthly.config import ReleaseConfig
from crime_mapper.core.release.map_points import map_points_from_history
from crime_mapper.core.release.map_points_files import (
    MapPointsSpec,
    read_map_points_file,
    write_map_points_gpkg,
)
from crime_mapper.core.release.release_files import map_points_file_entry
from tests.support.monthly_config import MONTH, SAMPLE, cli, config_file

LAYER = "streets_2022"
KEPT = 5  # the map points the file's own map_points layer keeps (the decoy)


@pytest.fixture(scope="module")
def two_layers(tmp_path_factory) -> Path:
    """points.gpkg: layer ``streets_2022`` holds the month's map points (from the bundled
    police.uk history), layer ``map_points`` only KEPT of them, so which was read shows."""
    from osgeo import ogr

    crimes = load_extracts([str(SAMPLE / "police-uk" / "2022-09")]).crimes
    path = tmp_path_factory.mktemp("points") / "points.gpkg"
    write_map_points_gpkg(map_points_from_history(crimes), path)
    source = ogr.Open(str(path), 1)
    table = source.GetLayerByName("map_points")
    source.CopyLayer(table, LAYER)
    source.ExecuteSQL(f"DELETE FROM map_points WHERE fid > {KEPT}")
    source = None  # (closes the file)
    return path


def _config_data(tmp_path: Path, points: list[str]) -> dict:
    """The bundled configuration (only load and anonymise working) reading ``points``."""
    data = tomllib.loads(config_file(tmp_path).read_text(encoding="utf-8"))
    data["anonymise"]["map_points"] = {"kind": "file", "paths": points}
    data["qa"]["enabled"] = False
    data["hotspots"]["enabled"] = False
    data["publish"].update(web_map=False, summaries=False, project=False)
    return data


def _points_problems(config: ReleaseConfig) -> list[str]:
    return [p for p in config.problems(MONTH) if "Map points" in p]


def test_the_two_layers_read_apart(two_layers):
    """The control: the file's layers differ, as the command line reads them."""
    chosen = read_map_points_file(f"{two_layers}|layername={LAYER}")
    assert len(read_map_points_file(two_layers)) == KEPT < len(chosen)


def test_a_layer_source_is_taken_from_the_form_relative_to_the_config(two_layers, tmp_path):
    shutil.copy(two_layers, tmp_path / "points.gpkg")
    data = _config_data(tmp_path, [f"points.gpkg|layername={LAYER}"])
    config = ReleaseConfig.from_dict(data, tmp_path)
    assert _points_problems(config) == []
    assert config.map_points_sources(MONTH) == [(tmp_path / "points.gpkg", LAYER)]
    assert config.map_points_texts(MONTH) == [f"{tmp_path / 'points.gpkg'}|layername={LAYER}"]
    assert config.to_dict()["anonymise"]["map_points"]["paths"] == [
        f"points.gpkg|layername={LAYER}"
    ]


def test_a_layer_the_geopackage_does_not_hold_is_refused_listing_its_layers(two_layers):
    data = _config_data(two_layers.parent / "cfg", [f"{two_layers}|layername=streets_2023"])
    config = ReleaseConfig.from_dict(data, two_layers.parent)
    assert _points_problems(config) == [
        f"Map points layer not found: {two_layers} has no layer 'streets_2023'; its layers: "
        f"'map_points', '{LAYER}'."
    ]
    missing = two_layers.parent / "nowhere.gpkg"
    data = _config_data(two_layers.parent / "cfg", [f"{missing}|layername={LAYER}"])
    config = ReleaseConfig.from_dict(data, two_layers.parent)
    assert _points_problems(config) == [f"Map points source not found: {missing}"]


def test_a_file_whose_name_holds_a_bar_is_still_that_file(two_layers, tmp_path):
    """Only ``|layername=`` names a layer: ``a|b.gpkg`` is a file, read, checked and listed
    in the release's record as one (the record looked for a file ``a``)."""
    path = tmp_path / "a|b.gpkg"
    shutil.copy(two_layers, path)
    config = ReleaseConfig.from_dict(_config_data(tmp_path, ["a|b.gpkg"]), tmp_path)
    assert _points_problems(config) == []
    assert config.map_points_sources(MONTH) == [(path, None)]
    assert len(read_map_points_file(path)) == KEPT
    assert MapPointsSpec(kind="file", paths=[str(path)]).input_files() == [path]
    layered = MapPointsSpec(kind="file", paths=[f"{path}|layername={LAYER}"])
    assert layered.input_files() == [path]
    entry = map_points_file_entry(read_map_points_file(path), path)
    assert (entry["description"], [f["name"] for f in entry["files"]]) == (
        "map points file a|b.gpkg",
        ["a|b.gpkg"],
    )


def test_the_release_command_reads_the_layer_and_records_it(two_layers, tmp_path):
    shutil.copy(two_layers, tmp_path / "points.gpkg")
    data = _config_data(tmp_path, [f"points.gpkg|layername={LAYER}"])
    path = tmp_path / "release.toml"
    path.write_text(toml_lite.dumps(data), encoding="utf-8")
    run = cli("release", path, "--month", MONTH, "--no-qgis")
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    out = tmp_path / "out" / MONTH
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    points = manifest["inputs"]["map_points"]
    assert points["kind"] == "file"
    assert [(f["name"], f["layer"]) for f in points["files"]] == [("points.gpkg", LAYER)]
    settings = manifest["configuration"]["settings"]["anonymise"]["map_points"]
    assert settings["paths"] == [f"points.gpkg|layername={LAYER}"]
    # the anonymise step's record: the chosen layer's points were read, from that layer
    release = json.loads((out / "public" / "release_manifest.json").read_text(encoding="utf-8"))
    read = release["inputs"]["map_points"]
    assert read["count"] == len(read_map_points_file(f"{two_layers}|layername={LAYER}"))
    assert [(f["name"], f["layer"]) for f in read["files"]] == [("points.gpkg", LAYER)]


def test_the_file_s_own_layer_named_is_recorded_as_the_plain_file(two_layers):
    """QGIS passes a chosen layer as ``path|layername=map_points``: the record is the one a
    plain path makes (byte-identical releases either way); another layer is named in it."""
    points = read_map_points_file(two_layers)
    named = map_points_file_entry(points, f"{two_layers}|layername=map_points")
    assert named == map_points_file_entry(points, two_layers)
    assert "layer" not in named["files"][0]
    other = map_points_file_entry(points, f"{two_layers}|layername={LAYER}")
    assert other["files"][0]["layer"] == LAYER


@pytest.fixture(scope="module")
def month_layer(two_layers, tmp_path_factory) -> Path:
    """points.gpkg as two_layers, plus the chosen points as the layer ``streets_2022-10``
    (the release month's): what ``points.gpkg|layername=streets_{month}`` names."""
    from osgeo import ogr

    path = tmp_path_factory.mktemp("month_layer") / "points.gpkg"
    shutil.copy(two_layers, path)
    source = ogr.Open(str(path), 1)
    source.CopyLayer(source.GetLayerByName(LAYER), f"streets_{MONTH}")
    source = None  # (closes the file)
    return path


def test_month_in_a_layer_name_is_filled_in_as_in_the_file_name(month_layer, tmp_path):
    """``{month}`` in the layer was read as written: the layer ``streets_{month}`` was
    looked for, and refused as one the file does not hold."""
    shutil.copy(month_layer, tmp_path / "points.gpkg")
    data = _config_data(tmp_path, ["points.gpkg|layername=streets_{month}"])
    config = ReleaseConfig.from_dict(data, tmp_path)
    assert _points_problems(config) == []
    wanted = f"{tmp_path / 'points.gpkg'}|layername=streets_{MONTH}"
    assert config.map_points_sources(MONTH) == [(tmp_path / "points.gpkg", f"streets_{MONTH}")]
    assert config.map_points_texts(MONTH) == [wanted]
    assert len(read_map_points_file(config.map_points_texts(MONTH)[0])) > KEPT
    # the configuration keeps the placeholder, as a path's
    paths = config.to_dict()["anonymise"]["map_points"]["paths"]
    assert paths == ["points.gpkg|layername=streets_{month}"]


def test_a_filled_in_layer_the_file_does_not_hold_is_refused(month_layer, tmp_path):
    shutil.copy(month_layer, tmp_path / "points.gpkg")
    data = _config_data(tmp_path, ["points.gpkg|layername=points_{month}"])
    config = ReleaseConfig.from_dict(data, tmp_path)
    assert _points_problems(config) == [
        f"Map points layer not found: {tmp_path / 'points.gpkg'} has no layer "
        f"'points_{MONTH}'; its layers: 'map_points', '{LAYER}', 'streets_{MONTH}'."
    ]


def test_the_release_command_reads_the_month_s_layer(month_layer, tmp_path):
    shutil.copy(month_layer, tmp_path / "points.gpkg")
    data = _config_data(tmp_path, ["points.gpkg|layername=streets_{month}"])
    path = tmp_path / "release.toml"
    path.write_text(toml_lite.dumps(data), encoding="utf-8")
    run = cli("release", path, "--month", MONTH, "--no-qgis")
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    out = tmp_path / "out" / MONTH
    release = json.loads((out / "public" / "release_manifest.json").read_text(encoding="utf-8"))
    read = release["inputs"]["map_points"]
    assert read["count"] == len(read_map_points_file(f"{month_layer}|layername={LAYER}"))
    assert [(f["name"], f["layer"]) for f in read["files"]] == [("points.gpkg", f"streets_{MONTH}")]
