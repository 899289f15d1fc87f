"""The QGIS side's errors name a file or a layer on one line, in real QGIS.

A folder, a file or a layer may be named with a newline ("out\\nLeak gate: passed" is a legal
folder on Linux). These messages reach the dock's message bar, Processing's log and the
plugin's log; each printed the name as given, so the name started a line of its own that
read as the plugin's ("Leak gate: passed"). Each test makes the real failure with real files
(a GeoPackage that does not open, a style that cannot be written) and checks the message is
one line that still names the file, its newline escaped as core.common.text_file.shown_line
escapes it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from osgeo import gdal, ogr
from qgis.core import QgsRasterLayer, QgsVectorLayer

#: A folder named so that a raw newline would forge a line of the plugin's own.
FORGED = "out\nLeak gate: passed"
#: The same name as a message shows it.
SHOWN = "out\\nLeak gate: passed"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    made = tmp_path / FORGED
    made.mkdir()
    return made


def _one_line(message: object, *named: str) -> str:
    """``message`` as text, checked to be one line naming each of ``named``."""
    text = str(message)
    assert "\n" not in text and "\r" not in text, ascii(text)
    for name in named:
        assert name in text, (name, text)
    return text


def _points_gpkg(path: Path, table: str) -> Path:
    """A real GeoPackage with one empty point table (it opens, and takes a style)."""
    source = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    source.CreateLayer(table, geom_type=ogr.wkbPoint)
    source = None
    return path


def _not_a_geopackage(path: Path) -> Path:
    path.write_bytes(b"not a GeoPackage")
    return path


def _csv_table(path: Path) -> Path:
    """A CSV: OGR opens it as a table, but no style can be stored in it."""
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    return path


def test_a_load_s_style_errors_name_the_file_on_one_line(qgis_app, folder, tmp_path):
    """The load stores the crimes style in its GeoPackage and beside it as a QML; "Load
    failed: ..." quoted the file these could not be written to."""
    from crime_mapper.qgis_bridge.layers import save_styles
    from crime_mapper.qgis_bridge.run_load import _store_styles

    table = QgsVectorLayer(str(_csv_table(folder / "rejects.csv")), "rejects", "ogr")
    assert table.isValid()
    with pytest.raises(RuntimeError) as database:
        save_styles(table)
    text = _one_line(database.value, f"{tmp_path}/{SHOWN}/rejects.csv")
    assert text.startswith(f"could not save the style into {tmp_path}/{SHOWN}/rejects.csv: ")

    gpkg = _points_gpkg(tmp_path / "crimes.gpkg", "crimes")
    crimes = QgsVectorLayer(f"{gpkg}|layername=crimes", "crimes", "ogr")
    qml = folder / "gone" / "crimes.qml"  # (its folder is not there)
    with pytest.raises(RuntimeError) as style:
        save_styles(crimes, qml)
    text = _one_line(style.value, f"{tmp_path}/{SHOWN}/gone/crimes.qml")
    assert text.startswith(f"could not write style {tmp_path}/{SHOWN}/gone/crimes.qml: ")

    with pytest.raises(RuntimeError) as written:
        _store_styles(_not_a_geopackage(folder / "crimes.gpkg"), None, has_stop_search=False)
    wanted = f"the GeoPackage just written does not open: {tmp_path}/{SHOWN}/crimes.gpkg"
    assert _one_line(written.value) == wanted


def test_the_stop_and_search_table_that_does_not_open_is_named_on_one_line(
    qgis_app, folder, tmp_path
):
    from crime_mapper.qgis_bridge.run_load import _store_styles

    gpkg = _points_gpkg(folder / "crimes.gpkg", "crimes")  # (no stop_search table in it)
    with pytest.raises(RuntimeError) as stops:
        _store_styles(gpkg, None, has_stop_search=True)
    wanted = f"the stop-and-search table does not open: {tmp_path}/{SHOWN}/crimes.gpkg"
    assert _one_line(stops.value) == wanted


def _hotspot_outputs(path: Path, table: str) -> object:
    from crime_mapper.qgis_bridge.hotspot_layers import HotspotOutputs

    return HotspotOutputs("grid", path, "Crime counts", "", "EPSG:27700", 0, 0, table=table)


def test_a_hotspot_file_that_does_not_open_or_take_its_style_is_named_on_one_line(
    qgis_app, folder, tmp_path
):
    """The Hotspots panel shows "Hotspots: RuntimeError: ..." with these messages."""
    from crime_mapper.qgis_bridge.hotspot_style import store_style

    broken = _not_a_geopackage(folder / "grid.gpkg")
    with pytest.raises(RuntimeError) as opened:
        store_style(_hotspot_outputs(broken, "grid"), broken, None, None)
    wanted = f"the hotspot file just written does not open: {tmp_path}/{SHOWN}/grid.gpkg"
    assert _one_line(opened.value) == wanted

    table = _csv_table(folder / "grid.csv")
    with pytest.raises(RuntimeError) as styled:
        store_style(_hotspot_outputs(table, "grid"), table, None, None)
    text = _one_line(styled.value)
    assert text.startswith(f"could not save the style into {tmp_path}/{SHOWN}/grid.csv: "), text


def test_a_public_layer_that_cannot_be_opened_is_named_on_one_line(qgis_app, folder, tmp_path):
    """The Release panel shows "Released, but adding the layer failed: ..." with it."""
    from qgis.core import QgsProject

    from crime_mapper.core.release.pipeline import ReleaseOutputs
    from crime_mapper.qgis_bridge.anonymise_task import add_public_layer

    outputs = ReleaseOutputs(
        public_csv=folder / "2022-10-leicestershire-street.csv",
        public_gpkg=_not_a_geopackage(folder / "public.gpkg"),
        audit_json=folder / "audit.json",
        audit_html=folder / "audit.html",
        manifest=folder / "manifest.json",
        qml=None,
        audit={},
    )
    project = QgsProject()
    with pytest.raises(RuntimeError) as opened:
        add_public_layer(outputs, project)
    wanted = f"cannot open the public layer in {tmp_path}/{SHOWN}/public.gpkg"
    assert _one_line(opened.value) == wanted
    assert not project.mapLayers()
    project.clear()


def test_a_public_style_that_cannot_be_written_is_named_on_one_line(qgis_app, folder, tmp_path):
    from crime_mapper.qgis_bridge.run_anonymise import write_public_qml

    qml = folder / "gone" / "public.qml"
    with pytest.raises(RuntimeError) as written:
        write_public_qml(qml)
    text = _one_line(written.value)
    assert text.startswith(f"could not write the style {tmp_path}/{SHOWN}/gone/public.qml: ")


def test_style_files_are_named_on_one_line(qgis_app, folder, tmp_path):
    """Saving and applying a style (the Hotspots panel's "Apply style…", Processing's
    styles): every refusal names its file on one line."""
    from crime_mapper.qgis_bridge.styles import StyleError, apply_style

    layer = QgsVectorLayer(f"{_points_gpkg(tmp_path / 'p.gpkg', 'p')}|layername=p", "p", "ogr")
    missing = folder / "gone.qml"
    with pytest.raises(StyleError) as not_there:
        apply_style(layer, missing)
    assert _one_line(not_there.value) == f"style file not found: {tmp_path}/{SHOWN}/gone.qml"

    named = folder / "a\nb.txt"
    named.write_text("<qgis/>", encoding="utf-8")
    with pytest.raises(StyleError) as not_a_style:
        apply_style(layer, named)
    wanted = "a\\nb.txt: not a style file (.qml or .sld expected)"
    assert _one_line(not_a_style.value) == wanted

    unreadable = folder / "a\nb.qml"
    unreadable.write_text("not XML <", encoding="utf-8")
    with pytest.raises(StyleError) as not_qml:
        apply_style(layer, unreadable)
    assert _one_line(not_qml.value) == "a\\nb.qml is not a readable QML style"

    sld = folder / "a\nb.sld"
    sld.write_text("<StyledLayerDescriptor/>", encoding="utf-8")
    with pytest.raises(StyleError) as refused:
        apply_style(layer, sld)
    text = _one_line(refused.value)
    assert text.startswith(f"could not apply {tmp_path}/{SHOWN}/a\\nb.sld: "), text

    tif = tmp_path / "surface.tif"
    gdal.GetDriverByName("GTiff").Create(str(tif), 2, 2, 1, gdal.GDT_Float32).FlushCache()
    surface = QgsRasterLayer(str(tif), "surface", "gdal")
    assert surface.isValid()
    with pytest.raises(StyleError) as raster:
        apply_style(surface, sld)
    _one_line(raster.value, "a\\nb.sld: QGIS cannot apply an SLD to a raster layer; ")


def test_a_release_project_that_cannot_be_written_is_named_on_one_line(qgis_app, folder, tmp_path):
    from crime_mapper.core.monthly.release import MonthlyOutputs
    from crime_mapper.qgis_bridge.monthly_release import build_release_project

    outputs = MonthlyOutputs("2022-10", folder, [], folder / "manifest.json")
    with pytest.raises(RuntimeError) as written:
        build_release_project(outputs, folder / "gone" / "release.qgz")
    text = _one_line(written.value)
    assert text.startswith(f"could not write {tmp_path}/{SHOWN}/gone/release.qgz: "), text


def test_a_release_that_is_not_a_public_csv_is_named_on_one_line(qgis_app, folder, tmp_path):
    """Publish hotspots (the panel and Processing) refuses RELEASE naming it."""
    from crime_mapper.qgis_bridge.hotspot_publish import PublishError, read_release_csv

    with pytest.raises(PublishError) as missing:
        read_release_csv(folder / "gone.csv")
    _one_line(missing.value, f"RELEASE not found: {tmp_path}/{SHOWN}/gone.csv. Give ")

    gpkg = _points_gpkg(folder / "a\nb.gpkg", "crimes")
    with pytest.raises(PublishError) as internal:
        read_release_csv(gpkg)
    _one_line(internal.value, "RELEASE a\\nb.gpkg is a GeoPackage/SQLite file")

    other = folder / "a\nb.csv"
    other.write_text("crime_ref,easting\nA1,1\n", encoding="utf-8")
    with pytest.raises(PublishError) as columns:
        read_release_csv(other)
    _one_line(columns.value, "RELEASE a\\nb.csv is not the public release table")

    headed = folder / "headed.csv"
    headed.write_text('crime_ref,"easting\nLeak gate: passed"\nA1,1\n', encoding="utf-8")
    with pytest.raises(PublishError) as header:
        read_release_csv(headed)
    _one_line(header.value, "such as crime_ref, easting\\nLeak gate: passed; a public")

    broken = folder / "a\nb.csv"
    broken.write_text('Crime ID,Month\n"1,2\n', encoding="utf-8")  # (a quote never closed)
    with pytest.raises(PublishError) as unreadable:
        read_release_csv(broken)
    _one_line(unreadable.value, "RELEASE a\\nb.csv cannot be read as a CSV (")


def test_a_table_handed_to_the_public_grid_names_its_columns_on_one_line(qgis_app, tmp_path):
    """publish_hotspot_grid takes a table too (the monthly release hands it the release it
    just made): a column read from a file's header is named on one line."""
    import pandas as pd

    from crime_mapper.qgis_bridge.hotspot_publish import PublishError, publish_hotspot_grid

    table = pd.DataFrame({"crime_ref": [], "easting\nLeak gate: passed": []})
    with pytest.raises(PublishError) as refused:
        publish_hotspot_grid(table, None, None, tmp_path / "grid.gpkg")
    _one_line(refused.value, "non-public columns crime_ref, easting\\nLeak gate: passed.")
    assert not (tmp_path / "grid.gpkg").exists()


def test_a_neighbourhood_layer_is_named_on_one_line(qgis_app):
    """The summaries (panel and Processing) refuse a layer naming it and its fields."""
    from crime_mapper.core.publish.neighbourhoods import NeighbourhoodError
    from crime_mapper.qgis_bridge.neighbourhood_layer import neighbourhoods_from_layer

    points = QgsVectorLayer("Point?crs=EPSG:27700", "MSOA\nLeak gate: passed", "memory")
    with pytest.raises(NeighbourhoodError) as kind:
        neighbourhoods_from_layer(points, "code")
    wanted = (
        "the neighbourhood layer MSOA\\nLeak gate: passed holds points, not polygons: "
        "choose the layer of neighbourhood outlines"
    )
    assert _one_line(kind.value) == wanted

    polygons = QgsVectorLayer(
        "Polygon?crs=EPSG:27700&field=name%0Apassed:string", "MSOA\nLeak gate: passed", "memory"
    )
    assert polygons.isValid() and polygons.fields().count() == 1
    with pytest.raises(NeighbourhoodError) as field:
        neighbourhoods_from_layer(polygons, "code")
    wanted = "layer MSOA\\nLeak gate: passed has no field 'code'; fields: name\\npassed"
    assert _one_line(field.value) == wanted
