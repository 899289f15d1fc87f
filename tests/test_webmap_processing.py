"""crime_mapper:export_webmap in real QGIS Processing: police.uk downloads with a neighbourhood
polygon layer, and the full leak gate with raw crimes and a map points layer."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from qgis.core import QgsProcessingException, QgsVectorLayer

REPO = Path(__file__).resolve().parent.parent
OCT = REPO / "sample_data" / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"
SEP = REPO / "sample_data" / "police-uk" / "2022-09" / "2022-09-leicestershire-street.csv"
FORCE = REPO / "sample_data" / "force"
LSOAS = REPO / "sample_data" / "boundaries" / "LSOA_Dec_2011_BSC_leicester_city.geojson"
ALG = "crime_mapper:export_webmap"


def test_export_from_police_uk_with_neighbourhood_layer(provider, tmp_path):
    import processing

    layer = QgsVectorLayer(str(LSOAS), "lsoas", "ogr")
    assert layer.isValid()
    out = tmp_path / "release"
    result = processing.run(
        ALG,
        {
            "RELEASE": [str(SEP), str(OCT)],
            "NEIGHBOURHOODS": layer,
            "CODE_FIELD": "LSOA11CD",
            "NAME_FIELD": "LSOA11NM",
            "TITLE": "Leicestershire crime map",
            "TILES": 1,
            "OUTPUT": str(out),
        },
    )
    index = Path(result["INDEX"])
    assert index == out / "map" / "index.html" and index.is_file()
    assert result["CRIMES"] == 9521
    html = index.read_text(encoding="utf-8")
    assert "Leicestershire crime map" in html and "tile.openstreetmap.org" not in html
    areas = (out / "map" / "data" / "areas.js").read_text(encoding="utf-8")
    geo = json.loads(areas[areas.index("=") + 1 :].rstrip().rstrip(";"))
    assert len(geo["features"]) == layer.featureCount()


def test_full_gate_with_raw_and_map_points_layer(provider, tmp_path):
    import processing

    points_csv = tmp_path / "points.csv"
    from crime_mapper.cli import main

    assert main(["map-points", "history", str(SEP), str(OCT), "--out", str(points_csv)]) == 0
    uri = f"file://{points_csv}?type=csv&xField=longitude&yField=latitude&crs=EPSG:4326"
    points = QgsVectorLayer(uri, "points", "delimitedtext")
    assert points.isValid(), uri
    params = {
        "RELEASE": [str(OCT)],
        "RAW_FILES": [str(FORCE / "2022-10-leicestershire-force-extract.csv")],
        "PROFILE": str(FORCE / "leicestershire-force-extract.profile.json"),
        "MAP_POINTS": points,
        "LABEL_FIELD": "label",
        "TILES": 1,
        "OUTPUT": str(tmp_path / "out"),
    }
    result = processing.run(ALG, params)
    assert Path(result["INDEX"]).is_file()
    # raw crimes without map points: refused, nothing written
    del params["MAP_POINTS"]
    params["OUTPUT"] = str(tmp_path / "other")
    with pytest.raises(QgsProcessingException, match=re.compile("both", re.I)):
        processing.run(ALG, params)
    assert not (tmp_path / "other" / "map").exists()


def test_a_crimes_layer_given_by_a_relative_path_is_found(provider, tmp_path, monkeypatch):
    """qgis_process RAW=base/crimes.gpkg: the layer's source stays relative, and the web
    map's child process, which runs in another folder, said "no such file or folder"."""
    from crime_mapper.qgis_bridge.crimes_source import crimes_path_from_layer
    from crime_mapper.qgis_bridge.run_load import run_load

    monkeypatch.chdir(tmp_path)
    run_load([OCT], "base")
    layer = QgsVectorLayer("base/crimes.gpkg|layername=crimes", "crimes", "ogr")
    assert layer.isValid() and layer.source().startswith("base/")
    path, table = crimes_path_from_layer(layer).split("|layername=")
    assert Path(path) == tmp_path / "base" / "crimes.gpkg" and table == "crimes"


def _public_gpkg(tmp_path: Path) -> Path:
    """The public GeoPackage the anonymise step writes (its public_crimes layer)."""
    from crime_mapper.cli import main

    points = tmp_path / "points.csv"
    assert main(["map-points", "history", str(SEP), str(OCT), "--out", str(points)]) == 0
    salt = tmp_path / "salt.txt"
    assert main(["salt", "--new", str(salt)]) == 0
    out = tmp_path / "release"
    code = main(
        [
            "anonymise", str(FORCE / "2022-10-leicestershire-force-extract.csv"),
            "--profile", str(FORCE / "leicestershire-force-extract.profile.json"),
            "--points", str(points), "--salt-file", str(salt), "--out", str(out),
        ]
    )  # fmt: skip
    assert code in (0, 1)
    return next(out.glob("*-street.gpkg"))


def test_the_release_given_as_a_layer_source(provider, tmp_path):
    """RELEASE as a layer's source text (copied from its properties, or given to
    qgis_process by a script that reads a project): the public GeoPackage's layer is
    'FILE.gpkg|layername=public_crimes'. It was refused as 'not found' (the whole text was
    taken for a file); another layer of the GeoPackage is refused by name (the map reads
    public_crimes only), and a further QGIS option (a subset) is refused rather than
    ignored."""
    import processing

    gpkg = _public_gpkg(tmp_path)
    layer = QgsVectorLayer(f"{gpkg}|layername=public_crimes", "public", "ogr")
    assert layer.isValid() and layer.source().endswith("|layername=public_crimes")
    result = processing.run(
        ALG, {"RELEASE": [layer.source(), str(SEP)], "TILES": 1, "OUTPUT": str(tmp_path / "out")}
    )
    assert Path(result["INDEX"]).is_file()
    sep = sum(1 for _ in SEP.open(encoding="utf-8")) - 1
    assert result["CRIMES"] == layer.featureCount() + sep
    for source, said in (
        (f"{gpkg}|layername=layer_styles", "public_crimes"),
        (f"{gpkg}|layername=public_crimes|subset=\"Month\" = '2022-10'", "subset"),
    ):
        out = tmp_path / f"other{len(said)}"
        with pytest.raises(QgsProcessingException, match=said):
            processing.run(ALG, {"RELEASE": [source], "TILES": 1, "OUTPUT": str(out)})
        assert not (out / "map").exists()
