"""The monthly release's hotspot files are named by their size as hexgrid.metres writes it:
a 1,000,000 m hexagon was published as hotspots_gi_1e+06m.gpkg (``:g``), a name that reads
as no size at all; ordinary sizes keep the names releases already carry ("250m", "50m").

Real QGIS, a real load of the bundled Leicestershire October slice, real files.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crime_mapper.core.common.feedback import Feedback
from crime_mapper.core.hotspots.hexgrid import metres_in_file_name
from crime_mapper.core.monthly.config import read_config
from crime_mapper.core.monthly.release import LoadStep
from tests.support.monthly_config import MONTH, SAMPLE, config_file

LEICS_OCT = SAMPLE / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"


@pytest.mark.parametrize(
    "value, name",
    [
        (250.0, "250m"),
        (50.0, "50m"),
        (10.5, "10.5m"),
        (1_000_000.0, "1000000m"),
        (10_000_000.0, "10000000m"),
        (0.00001, "0.00001m"),
        (1e-300, "less_than_0.000001m"),
        (1e308, "more_than_1000000000000m"),
    ],
)
def test_a_size_in_a_file_name_is_metres_without_spaces_or_separators(value, name):
    assert metres_in_file_name(value) == name


@pytest.fixture(scope="module")
def crimes_gpkg(qgis_app, tmp_path_factory) -> Path:
    from crime_mapper.qgis_bridge.run_load import run_load

    return Path(run_load([LEICS_OCT], tmp_path_factory.mktemp("load")).gpkg)


def _hotspot_files(tmp_path: Path, crimes_gpkg: Path, gi_m: float, kde_m: float, band_m: float):
    from crime_mapper.qgis_bridge.monthly_release import QgisStepRunners

    config = read_config(config_file(tmp_path))
    hot = config.hotspots
    hot.gi_cell_m, hot.kde_cell_m, hot.bandwidth_m = gi_m, kde_m, band_m
    assert config.problems(MONTH) == []
    load = LoadStep(
        written=[], crimes=crimes_gpkg, summary={}, reconciles=True, crimes_gpkg=crimes_gpkg
    )
    out = tmp_path / "hotspots"
    out.mkdir()
    made = QgisStepRunners().hotspots(load, out, config, MONTH, Feedback())
    assert sorted(p.name for p in out.iterdir()) == sorted(
        name for m in made for name in (Path(m.path).name, Path(m.qml).name)
    )
    return sorted(Path(m.path).name for m in made)


def test_ordinary_sizes_keep_their_file_names(tmp_path, crimes_gpkg):
    names = _hotspot_files(tmp_path, crimes_gpkg, 250.0, 50.0, 0.0)
    assert names == ["hotspots_gi_250m.gpkg", "hotspots_kde_50m.tif"]


def test_the_largest_sizes_are_named_in_metres_not_in_a_floats_notation(tmp_path, crimes_gpkg):
    names = _hotspot_files(tmp_path, crimes_gpkg, 1_000_000.0, 1_000_000.0, 2_000_000.0)
    assert names == ["hotspots_gi_1000000m.gpkg", "hotspots_kde_1000000m.tif"]
