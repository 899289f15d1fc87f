"""A crimes GeoPackage whose file name holds a ``|`` (legal on Linux) is read as that file.

Why: the crimes side cut a source at its first ``|`` (core.release.crimes_input
.split_gpkg_uri), so ``a|b.gpkg`` was looked for as ``a``: read as extract files ("not a
crime extract") by the command line's ``anonymise`` and the core, or refused as "no such
file". Map points already read such a name by core.common.layer_source's rule (an existing
file wins over a split; ``FILE|layername=L`` still names a layer); the crimes side now reads
by the same rule. The load's own GeoPackage (real QGIS writes it), copied under a name with
a ``|``; the real command line; a real QGIS layer of it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.release.crimes_input import open_crimes_source, split_gpkg_uri
from crime_mapper.core.release.map_points import map_points_from_history, write_map_points_csv
from crime_mapper.core.release.pipeline import run_anonymise
from crime_mapper.core.release.release_files import create_salt_file
from crime_mapper.qgis_bridge import run_load as loading
from tests.support.monthly_config import SAMPLE, cli

FORCE = [SAMPLE / "force" / "2022-10-leicestershire-force-extract.csv"]
FORCE_PROFILE = SAMPLE / "force" / "leicestershire-force-extract.profile.json"
POLICE_UK = SAMPLE / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict:
    """The load's crimes GeoPackage, the same file named ``a|b.gpkg``, map points, a salt."""
    base = tmp_path_factory.mktemp("bar")
    plain = Path(loading.run_load(FORCE, base / "load", profile_path=FORCE_PROFILE).gpkg)
    barred = base / "a|b.gpkg"
    shutil.copy(plain, barred)
    points = base / "points.csv"
    write_map_points_csv(map_points_from_history(load_extracts([str(POLICE_UK)]).crimes), points)
    return {
        "plain": plain,
        "barred": barred,
        "points": points,
        "salt": create_salt_file(base / "secret" / "force.salt"),
    }


def test_the_one_rule_names_the_file_and_the_table(inputs):
    barred = str(inputs["barred"])
    assert split_gpkg_uri(barred) == (barred, "crimes")
    assert split_gpkg_uri(f"{barred}|layername=crimes|subset=") == (barred, "crimes")
    missing = str(inputs["barred"].parent / "x|y.gpkg")
    assert split_gpkg_uri(missing) == (missing, "crimes")  # (named as given when missing)


@pytest.mark.parametrize("layered", [False, True])
def test_the_core_reads_the_file_and_its_layer(inputs, layered):
    source = f"{inputs['barred']}|layername=crimes" if layered else str(inputs["barred"])
    read = open_crimes_source(source)
    expected = open_crimes_source(str(inputs["plain"]))
    assert len(read.crimes) == len(expected.crimes) > 0
    assert read.crimes["crime_id"].tolist() == expected.crimes["crime_id"].tolist()


def test_the_release_pipeline_publishes_the_same_bytes(inputs, tmp_path):
    """The named file and its ``|layername=`` source publish what the plain name does."""
    published = []
    for crimes in (
        inputs["plain"],
        inputs["barred"],
        f"{inputs['barred']}|layername=crimes",
    ):
        out = tmp_path / f"release{len(published)}"
        done = run_anonymise(
            str(crimes),
            str(inputs["points"]),
            salt_file=inputs["salt"],
            output_dir=out,
            write_gpkg=False,
        )
        published.append(Path(done.public_csv).read_bytes())
    assert published[0] == published[1] == published[2]


@pytest.mark.parametrize("layered", [False, True])
def test_the_command_line_anonymises_it(inputs, tmp_path, layered):
    source = f"{inputs['barred']}|layername=crimes" if layered else inputs["barred"]
    runs = {}
    for name, crimes in (("plain", inputs["plain"]), ("barred", source)):
        out = tmp_path / name
        run = cli(
            "anonymise",
            crimes,
            "--points",
            inputs["points"],
            "--salt-file",
            inputs["salt"],
            "--out",
            out,
            "--no-gpkg",
        )
        assert run.returncode == 0, run.stderr
        runs[name] = sorted(out.glob("*.csv"))
    assert [p.name for p in runs["barred"]] == [p.name for p in runs["plain"]] != []
    for barred, plain in zip(runs["barred"], runs["plain"]):
        assert barred.read_bytes() == plain.read_bytes()


def test_a_qgis_layer_of_the_file_is_read_as_its_crimes_table(inputs):
    """The QGIS side's crimes layer (the release panel's and crime_mapper:anonymise's input)
    was "not a crime_mapper crimes GeoPackage layer": its source was cut at the ``|``."""
    from qgis.core import QgsVectorLayer

    from crime_mapper.qgis_bridge.crimes_source import crimes_path_from_layer

    layer = QgsVectorLayer(f"{inputs['barred']}|layername=crimes", "crimes", "ogr")
    assert layer.isValid()
    uri = crimes_path_from_layer(layer)
    assert uri == f"{inputs['barred']}|layername=crimes"
    assert len(open_crimes_source(uri).crimes) == len(open_crimes_source(inputs["plain"]).crimes)


def test_the_release_command_reads_its_load_from_a_folder_named_with_a_bar(tmp_path):
    """The monthly release hands its load's crimes GeoPackage to the anonymise step by
    path: under an output folder named with a ``|`` it was cut there and not found."""
    import tomllib

    from crime_mapper.core.monthly import toml_lite
    from tests.support.monthly_config import MONTH, config_file

    path = config_file(tmp_path, out="out|bar/{month}")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data["qa"]["enabled"] = False
    data["hotspots"]["enabled"] = False
    data["publish"].update(web_map=False, summaries=False, project=False)
    path.write_text(toml_lite.dumps(data), encoding="utf-8")
    run = cli("release", path, "--month", MONTH, "--no-qgis")
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    public = tmp_path / "out|bar" / MONTH / "public"
    assert sorted(public.glob("*.csv")) != []


def test_a_hotspot_layer_is_not_written_over_the_crimes_it_reads(inputs, tmp_path):
    """The hotspot run refuses an output on its input: it took the input ``a|b.gpkg|
    layername=crimes`` for the file ``a`` and wrote the grid over the crimes."""
    from crime_mapper.core.hotspots.hexgrid import HotspotInputError
    from crime_mapper.qgis_bridge.hotspot_task import HotspotSettings, run_hotspot

    crimes = tmp_path / "a|b.gpkg"
    shutil.copy(inputs["plain"], crimes)
    before = crimes.read_bytes()
    with pytest.raises(HotspotInputError, match="is an input"):
        run_hotspot(f"{crimes}|layername=crimes", str(crimes), HotspotSettings(method="grid"))
    assert crimes.read_bytes() == before
