"""A map points source's QGIS options (``FILE.gpkg|layername=L|subset=...``) are read or
refused, never ignored (core.release.map_points_files.read_map_points_file): the reader
takes one whole layer named by one ``layername=``. A subset (a filter) or a second
layername were ignored and every point of the first layer read (found by a hostile-input
sweep). Real map points derived from the bundled police.uk history, in a real GeoPackage;
through the command line too (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crime_mapper import cli
from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.release.map_points import map_points_from_history
from crime_mapper.core.release.map_points_files import (
    MapPointsInputError,
    read_map_points_file,
    write_map_points_gpkg,
)
from crime_mapper.core.release.release_files import create_salt_file

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
FORCE = SAMPLE / "force"


@pytest.fixture(scope="module")
def points_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    history = load_extracts([SAMPLE / "police-uk" / "2022-09"]).crimes
    path = tmp_path_factory.mktemp("points") / "points.gpkg"
    write_map_points_gpkg(map_points_from_history(history), path)
    return path


@pytest.mark.parametrize(
    "options",
    [
        "|layername=map_points|subset=\"label\" = 'High Street'",
        "|layername=map_points|layername=map_points",
        "|foo=bar",
    ],
)
def test_an_option_the_reader_does_not_apply_is_refused(points_gpkg, options, tmp_path, capsys):
    source = f"{points_gpkg}{options}"
    with pytest.raises(MapPointsInputError, match="layer option the map points reader"):
        read_map_points_file(source)
    code = cli.main(
        [
            "anonymise",
            str(FORCE / "2022-10-leicestershire-force-extract.csv"),
            "--profile",
            str(FORCE / "leicestershire-force-extract.profile.json"),
            "--points",
            source,
            "--salt-file",
            str(create_salt_file(tmp_path / "release.salt")),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert code == 2
    assert "layer option the map points reader does not apply" in capsys.readouterr().err


def test_one_layername_reads_the_layer(points_gpkg):
    assert len(read_map_points_file(f"{points_gpkg}|layername=map_points")) == len(
        read_map_points_file(points_gpkg)
    )
