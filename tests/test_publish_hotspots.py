"""crime_mapper:publish_hotspots and the Hotspots panel's "Publish for the public…", in real
QGIS on a real release: the bundled Leicestershire months (Sep + Oct 2022) loaded, map points
built from their police.uk history, anonymised with a salt, then a public hotspot grid
published from the release CSV through the leak gate. Also: the internal crimes GeoPackage
refused as RELEASE, a planted leak refused with the gate's message and an earlier OUTPUT
left byte-identical, and the algorithm's help."""

from __future__ import annotations

from pathlib import Path

import pytest
from qgis.core import QgsApplication, QgsProcessingException, QgsProject, QgsVectorLayer

from crime_mapper.compat import layer_abstract
from crime_mapper.core.release.public_schema import (
    PUBLIC_COLUMNS,
    read_public_csv,
    write_public_csv,
)
from crime_mapper.core.release.release_files import create_salt_file
from crime_mapper.processing.hotspots_grid import CATEGORY_CHOICES
from crime_mapper.qgis_bridge.hotspot_layers import GRID_TABLE
from crime_mapper.qgis_bridge.hotspot_style import HOTSPOTS_GROUP
from crime_mapper.qgis_bridge.layers import gpkg_uri
from crime_mapper.qgis_bridge.run_anonymise import run_anonymise
from crime_mapper.qgis_bridge.run_load import run_load

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "police-uk"
LEICS = [
    SAMPLE / "2022-09" / "2022-09-leicestershire-street.csv",
    SAMPLE / "2022-10" / "2022-10-leicestershire-street.csv",
]
PUBLISH = "crime_mapper:publish_hotspots"


@pytest.fixture(scope="module")
def release(provider, tmp_path_factory) -> dict:
    """A real release: load, map points from the published history, anonymise."""
    import processing

    base = tmp_path_factory.mktemp("publish")
    load = run_load(LEICS, base / "load")
    points_gpkg = base / "points" / "map_points.gpkg"
    built = processing.run(
        "crime_mapper:build_map_points",
        {"MODE": 1, "HISTORY": ";".join(str(p) for p in LEICS), "OUTPUT": str(points_gpkg)},
    )
    salt = create_salt_file(base / "secrets" / "force.salt")
    out = run_anonymise(
        load.crimes_uri, str(points_gpkg), salt_file=salt, output_dir=base / "release"
    )
    assert out.gate_passed
    return {
        "base": base,
        "crimes_gpkg": load.gpkg,
        "crimes_uri": load.crimes_uri,
        "points_uri": built["OUTPUT_LAYER"],
        "points_gpkg": points_gpkg,
        "csv": out.public_csv,
    }


def _params(release: dict, output: Path, **extra) -> dict:
    params = {
        "RELEASE": str(release["csv"]),
        "CRIMES": release["crimes_uri"],
        "MAP_POINTS": release["points_uri"],
        "OUTPUT": str(output),
    }
    params.update(extra)
    return params


def _run(params: dict) -> dict:
    import processing

    return processing.run(PUBLISH, params)


def test_registered_with_full_help(provider):
    alg = QgsApplication.processingRegistry().algorithmById(PUBLISH)
    assert alg is not None
    assert alg.group() == "3. Release"
    text = alg.shortHelpString()
    assert "police.uk" in text
    for parameter in alg.parameterDefinitions():
        assert parameter.name() in text, parameter.name()
    for phrase in (
        "Only the public release can be published from",
        "hexagon corners",
        "before it is moved into place",
    ):
        assert phrase in text
    assert alg.parameterDefinition("CELL_SIZE").defaultValue() == 500
    assert alg.parameterDefinition("LABEL_FIELD").defaultValue() == "label"


def test_counts_equal_the_published_located_crimes(release, tmp_path):
    out = tmp_path / "public_grid.gpkg"
    result = _run(_params(release, out))
    layer = QgsVectorLayer(gpkg_uri(out, GRID_TABLE), "public", "ogr")
    assert layer.isValid()
    assert layer.crs().authid() == "EPSG:4326"
    assert layer.geometryType() == 2  # polygon
    assert all(f.geometry().isGeosValid() for f in layer.getFeatures())
    public = read_public_csv(release["csv"])
    located = int((public["Longitude"] != "").sum())
    assert 0 < located < len(public) + 1
    total = sum(f["count"] for f in layer.getFeatures())
    assert total == located == result["CRIMES_COUNTED"]
    assert result["CELLS"] == layer.featureCount()
    # the months of the release, said (not "all months")
    assert "(all crimes, 2 months, 2022-09 to 2022-10)" in result["LEGEND"]
    # a filter: one month and one category counts exactly those published rows
    october = tmp_path / "october_burglary.gpkg"
    burglary = CATEGORY_CHOICES.index("Burglary")
    result = _run(_params(release, october, MONTHS="2022-10", CATEGORY=burglary, CELL_SIZE=1000))
    chosen = public[
        (public["Month"] == "2022-10")
        & (public["Crime type"] == "Burglary")
        & (public["Longitude"] != "")
    ]
    assert result["CRIMES_COUNTED"] == len(chosen) > 0


@pytest.mark.parametrize("given", [2, -1, float("nan")])
def test_fdr_other_than_true_or_false_is_refused(release, tmp_path, given):
    """FDR=2 from Python ran with the correction on (tests/test_fdr_flag.py: every entry
    point of the false discovery rate correction)."""
    from qgis.core import QgsProcessingException

    out = tmp_path / "public_gi.gpkg"
    with pytest.raises(QgsProcessingException, match="FDR must be true or false"):
        _run(_params(release, out, METHOD=1, FDR=given))
    assert not out.exists()


def test_gi_method_gives_classes(release, tmp_path):
    out = tmp_path / "public_gi.gpkg"
    result = _run(_params(release, out, METHOD=1, FDR=True))
    layer = QgsVectorLayer(gpkg_uri(out, GRID_TABLE), "public gi", "ogr")
    assert {f.name() for f in layer.fields()} == {"fid", "count", "gi_class", "class_label"}
    classes = {f["gi_class"] for f in layer.getFeatures()}
    assert classes <= set(range(-3, 4))
    assert any(c > 0 for c in classes)  # a real force's months have hot spots
    assert "Getis-Ord" in result["LEGEND"]


def test_internal_crimes_geopackage_is_refused(release, tmp_path):
    out = tmp_path / "never.gpkg"
    with pytest.raises(QgsProcessingException, match="not the public release"):
        _run(_params(release, out, RELEASE=str(release["crimes_gpkg"])))
    # the internal table saved as CSV is refused too, by its columns
    internal_csv = tmp_path / "internal.csv"
    internal_csv.write_text(
        "crime_id,month,longitude,latitude\nA1,2022-10,-1.1,52.6\n", encoding="utf-8"
    )
    with pytest.raises(QgsProcessingException, match="non-public columns"):
        _run(_params(release, out, RELEASE=str(internal_csv)))
    assert not out.exists()


def test_planted_leak_fails_with_the_gate_message_and_keeps_output(release, tmp_path):
    out = tmp_path / "grid.gpkg"
    _run(_params(release, out))
    before = out.read_bytes()
    leaked = _leaky_release(release, tmp_path)
    assert list(read_public_csv(leaked).columns) == list(PUBLIC_COLUMNS)
    with pytest.raises(QgsProcessingException) as caught:
        _run(_params(release, out, RELEASE=str(leaked), METHOD=1))
    message = str(caught.value)
    assert "Leak gate FAILED" in message
    assert "coordinates_are_map_points" in message
    assert "left unchanged" in message
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["edited-street.csv", "grid.gpkg"]


def test_extract_files_as_raw_crimes(release, tmp_path):
    out = tmp_path / "from_files.gpkg"
    result = _run(
        {
            "RELEASE": str(release["csv"]),
            "CRIMES_FILES": [str(p) for p in LEICS],
            "MAP_POINTS": release["points_uri"],
            "OUTPUT": str(out),
        }
    )
    assert result["CELLS"] > 0 and out.exists()


# --- the dock's Hotspots panel ------------------------------------------------------------------


def _publish(panel, wait_until) -> bool:
    outcome: list[bool] = []
    panel.publishFinished.connect(outcome.append)
    assert panel.start_publish()
    wait_until(lambda: bool(outcome), "the publish task")
    return outcome[0]


def _leaky_release(release: dict, folder: Path) -> Path:
    public = read_public_csv(release["csv"])
    row = int((public["Longitude"] != "").to_numpy().nonzero()[0][0])
    public.loc[row, "Longitude"] = f"{float(public.loc[row, 'Longitude']) + 0.0007:.6f}"
    path = folder / "edited-street.csv"
    write_public_csv(public, path)
    return path


def test_panel_publishes_through_the_gate(
    qgis_iface, qgis_new_project, release, tmp_path, wait_until
):
    from crime_mapper.ui.hotspots_panel import HotspotsPanel

    panel = HotspotsPanel(qgis_iface)
    panel.release_edit.setFilePath(str(release["csv"]))
    panel.map_points_edit.setFilePath(str(release["points_gpkg"]))
    assert not panel.start_publish()  # no load yet: the gate has nothing to check against
    panel.set_crimes_source(str(release["crimes_gpkg"]))
    panel.set_method("kde")
    assert not panel.start_publish()  # only counts or Gi* are published
    panel.set_method("gi")
    out = tmp_path / "panel_gi.gpkg"
    panel.publish_output_edit.setFilePath(str(out))
    assert _publish(panel, wait_until)
    assert out.exists() and panel.last_outputs.path == out
    group = QgsProject.instance().layerTreeRoot().findGroup(HOTSPOTS_GROUP)
    layer = group.findLayers()[0].layer()
    assert layer.crs().authid() == "EPSG:4326"
    assert layer.renderer().type() == "categorizedSymbol"
    assert "leak gate" in layer_abstract(layer)
    public = read_public_csv(release["csv"])
    assert panel.last_outputs.crimes == int((public["Longitude"] != "").sum())

    # a planted leak: refused, message shown, the earlier file unchanged
    before = out.read_bytes()
    panel.release_edit.setFilePath(str(_leaky_release(release, tmp_path)))
    assert not _publish(panel, wait_until)
    assert "coordinates_are_map_points" in panel.status_label.text()
    assert out.read_bytes() == before
    panel.shutdown()


def test_panel_names_its_output_on_one_line(
    qgis_iface, qgis_new_project, release, tmp_path, wait_until
):
    """The status line names the published file: a newline in its name started a line of
    its own under the message, which could read as the dock's ("Leak gate: passed")."""
    from crime_mapper.ui.hotspots_panel import HotspotsPanel

    panel = HotspotsPanel(qgis_iface)
    panel.release_edit.setFilePath(str(release["csv"]))
    panel.map_points_edit.setFilePath(str(release["points_gpkg"]))
    panel.set_crimes_source(str(release["crimes_gpkg"]))
    panel.set_method("grid")
    out = tmp_path / "grid\nLeak gate: passed.gpkg"
    panel.publish_output_edit.setFilePath(str(out))
    assert _publish(panel, wait_until)
    assert out.exists() and panel.last_outputs.path == out
    shown = panel.status_label.text()
    assert "\n" not in shown and shown.endswith(
        f"written to {tmp_path}/grid\\nLeak gate: passed.gpkg."
    )
    panel.shutdown()
