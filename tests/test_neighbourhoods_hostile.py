"""Hostile neighbourhood inputs the 47th session's sweep found taken in silence or ending in
a traceback: a GeoJSON crs member naming a CRS PROJ does not know, or a projection while the
outlines are longitude and latitude. Real files, real parsing; the command line where the
user met it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from crime_mapper.core.publish import neighbourhoods as nb

ROOT = Path(__file__).resolve().parents[1]
LEICESTER_SQUARE = [[-1.15, 52.63], [-1.12, 52.63], [-1.12, 52.65], [-1.15, 52.65], [-1.15, 52.63]]
BNG_SQUARE = [[458000, 303000], [460000, 303000], [460000, 305000], [458000, 305000]]


def _collection(features: list[tuple[dict, list]], crs: object = None) -> dict:
    """A FeatureCollection of (properties, outer ring) squares, with a legacy crs member."""
    data: dict = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": props,
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
            for props, ring in features
        ],
    }
    if crs is not None:
        data["crs"] = {"type": "name", "properties": {"name": crs}}
    return data


def _write(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _plain_python(*args: object) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        ["/usr/bin/python3", "-m", "crime_mapper.cli", *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


# ---------------------------------------------------------------------------------------------
# The crs member
@pytest.mark.parametrize("crs", ["EPSG:99999", "urn:ogc:def:crs:EPSG::1"])
def test_a_crs_no_one_knows_is_refused_naming_the_file_and_crs(tmp_path, crs):
    """It ended the web map and the summaries in pyproj's CRSError traceback."""
    path = _write(tmp_path / "odd.geojson", _collection([({"c": "A"}, BNG_SQUARE)], crs))
    code = crs.rsplit(":", 1)[1]
    said = rf"odd.geojson: its crs member names EPSG:{code}, which is no coordinate reference"
    with pytest.raises(nb.NeighbourhoodError, match=said):
        nb.read_geojson(path, "c")


@pytest.mark.parametrize("crs", ["urn:ogc:def:crs:EPSG::27700", "EPSG:3857", "EPSG:32630"])
def test_degrees_in_a_file_naming_a_projection_are_refused(tmp_path, crs):
    """Longitude and latitude under a crs member copied from a file in metres were read as
    metres by the projection's origin: every outline went into the sea (off Cornwall, in
    the Gulf of Guinea) and every crime counted as outside, with exit 0."""
    path = _write(tmp_path / "copied.geojson", _collection([({"c": "A"}, LEICESTER_SQUARE)], crs))
    said = (
        r"copied.geojson: its crs member names EPSG:\d+, but every vertex reads as a longitude "
        r"and latitude \(e.g. -1.15, 52.63\)"
    )
    with pytest.raises(nb.NeighbourhoodError, match=said):
        nb.read_geojson(path, "c")


def test_a_named_crs_still_transforms_its_own_coordinates(tmp_path):
    """The refusals leave a true projection's metres and a geographic datum's degrees read."""
    path = _write(tmp_path / "bng.geojson", _collection([({"c": "A"}, BNG_SQUARE)], "EPSG:27700"))
    ring = nb.read_geojson(path, "c").rings[0][0]
    assert -1.2 < ring[:, 0].mean() < -1.1 and 52.6 < ring[:, 1].mean() < 52.7  # Leicester
    path = _write(
        tmp_path / "osgb36.geojson", _collection([({"c": "A"}, LEICESTER_SQUARE)], "EPSG:4277")
    )
    ring = nb.read_geojson(path, "c").rings[0][0]
    shift = np.abs(ring - np.asarray(LEICESTER_SQUARE)).max()
    assert 0 < shift < 0.01  # (OSGB36 to WGS84: some 100 m)


def test_the_web_map_command_refuses_an_unknown_crs_without_a_traceback(tmp_path):
    path = _write(tmp_path / "odd.geojson", _collection([({"c": "A"}, BNG_SQUARE)], "EPSG:99999"))
    street = ROOT / "sample_data" / "police-uk" / "2022-09"
    run = _plain_python(
        "webmap", street, "--out", tmp_path / "out", "--tiles", "none",
        "--neighbourhoods", path, "--code-field", "c",
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert "odd.geojson: its crs member names EPSG:99999" in run.stderr
    assert not (tmp_path / "out" / "map").exists()


# ---------------------------------------------------------------------------------------------
# Populations
def test_more_residents_than_the_uk_has_is_an_unknown_population_said(tmp_path):
    """1e200 residents (a damaged cell, a mistyped exponent) was read as it was: the page said
    "Residents 99,999,999,999,999,996,973,..." (201 digits) and the whole force's rate 0.0.
    Now unknown (n/a) and said, as a negative population is; the largest real ones stay."""
    ok = nb.MAX_RESIDENTS
    given = ["1e200", str(ok + 1), "1e9", str(ok), "67,000,000", "1495"]
    features = [({"c": f"N{k}", "pop": v}, LEICESTER_SQUARE) for k, v in enumerate(given)]
    path = _write(tmp_path / "pop.geojson", _collection(features))
    hoods = nb.read_geojson(path, "c", population_field="pop")
    read = [None if np.isnan(v) else v for v in hoods.population.tolist()]
    assert read == [None, None, None, float(ok), 67_000_000.0, 1495.0]
    assert [p for p in hoods.problems if "population" in p] == [
        f"feature {k + 1} (N{k}): the population {v!r} is more residents than the United "
        "Kingdom has; shown as n/a (unknown)"
        for k, v in enumerate(given[:3])
    ]
    lsoa = tmp_path / "lsoa_population.csv"
    lsoa.write_text("LSOA11CD,population\nE1,1e200\nE2,1495\n", encoding="utf-8")
    problems: list[str] = []
    assert nb.read_lsoa_population(lsoa, problems=problems) == {"E2": 1495.0}
    assert problems == [
        "the LSOA population file lsoa_population.csv: 1 LSOA(s) have a population that is no "
        "number of residents (e.g. data row 1, E1: '1e200' is more residents than the United "
        "Kingdom has); they count as missing from the file"
    ]
