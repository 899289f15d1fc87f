"""Map points CSVs and QGIS point layers written to break the readers: every value is read as
the file says it or refused with a MapPointsError naming the file (or layer), the row and
the field, never read as another value without a word and never a traceback.

Why these matter: the address count and the source decide the disclosure checks
(core/release/disclosure.py), so a count of 2.7 read as 2, "true" as 1, or a blank source
read as no provenance at all changed what the release let through; a longitude of "true"
was read as 1.0, a place in Norfolk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from crime_mapper.core.release.map_points import CSV_COLUMNS, MapPointsError, read_map_points_csv

HEADER = ",".join(CSV_COLUMNS)
GOOD = "-1.2,52.7,Mill Lane,layer,8,E01000001,Blaby 001A"


def _csv(tmp_path: Path, *lines: str, header: str = HEADER) -> Path:
    path = tmp_path / "points.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "count",
    ["2.7", '"8.5"', "true", "False", "-5", "-2", "1e30", "inf", "NaN", "many", '"1,000"',
     "٨", "−1", "99999999999999999999"],
)  # fmt: skip
def test_an_address_count_that_is_no_count_is_refused_naming_its_line(tmp_path, count):
    """2.7 was read as 2 and 8.5 as 8 (int), true/false as 1/0 (pandas' parser), 1e30 and
    inf as -9223372036854775808, and -5 kept (a count of no meaning): all without a word."""
    path = _csv(tmp_path, GOOD, f"-1.1,52.6,Pinehurst Close,layer,{count},E01000002,Blaby 002A")
    with pytest.raises(MapPointsError, match=r"points\.csv: row 2 \(line 3\): the address count"):
        read_map_points_csv(path)


@pytest.mark.parametrize("count, read", [("8.0", 8), (" 8 ", 8), ("+8", 8), ("", -1), ("-1", -1)])
def test_an_address_count_written_otherwise_is_read_as_the_number_it_is(tmp_path, count, read):
    path = _csv(tmp_path, GOOD, f"-1.1,52.6,Pinehurst Close,layer,{count},E01000002,Blaby 002A")
    assert read_map_points_csv(path).addresses.tolist() == [8, read]


@pytest.mark.parametrize("where", ["longitude", "latitude"])
@pytest.mark.parametrize("word", ["true", "TRUE", "False"])
def test_a_coordinate_of_true_or_false_is_refused(tmp_path, where, word):
    """pandas' float parser reads true as 1.0: longitude 1.0, latitude 52.6 is in Norfolk."""
    lon, lat = (word, "52.6") if where == "longitude" else ("1.0", word)
    path = _csv(tmp_path, GOOD, f"{lon},{lat},Pinehurst Close,layer,8,E01000002,Blaby 002A")
    with pytest.raises(MapPointsError, match=rf"row 2 \(line 3\): the {where} '{word}' is no"):
        read_map_points_csv(path)


def test_coordinates_of_exactly_0_and_1_are_still_read(tmp_path):
    """(They send the read to the text path, which reads them as any other number.)"""
    path = _csv(tmp_path, GOOD, "1,52.6,A Road,layer,8,E1,N", "0.0,52.5,B Road,layer,8,E1,N")
    assert read_map_points_csv(path).longitude.tolist() == [-1.2, 1.0, 0.0]


@pytest.mark.parametrize("value", ["−1.1", "-١.١", "-１.1", "-1,1", "1e400", " "])
def test_a_coordinate_in_other_digits_or_signs_is_refused_naming_it(tmp_path, value):
    path = _csv(tmp_path, GOOD, f'"{value}",52.6,Pinehurst Close,layer,8,E01000002,Blaby 002A')
    with pytest.raises(
        MapPointsError, match=r"row 2 \(line 3\): the longitude (is blank|'.+' is no)"
    ):
        read_map_points_csv(path)


@pytest.mark.parametrize(
    "header", ["longitude,latitude,label,Label", "longitude,latitude,label,label"]
)
def test_a_header_naming_a_column_twice_is_refused(tmp_path, header):
    """Label and label crashed the read (AttributeError); label twice read the first and
    left the second unused."""
    path = _csv(tmp_path, "-1.1,52.6,Mill Lane,Pinehurst Close", header=header)
    with pytest.raises(MapPointsError, match="names the column 'label' twice"):
        read_map_points_csv(path)


def test_a_row_with_more_fields_than_the_header_is_refused_naming_its_line(tmp_path):
    """pandas took the first cell as an index and read every column from the next one: the
    analyst was told a latitude "Mill Lane" was not a number."""
    path = _csv(tmp_path, "-1.1,52.6,Mill Lane, Blaby", header="longitude,latitude,label")
    with pytest.raises(MapPointsError, match="line 2 has 4 fields where the header has 3"):
        read_map_points_csv(path)
    path = _csv(
        tmp_path,
        "-1.2,52.7,Mill Lane",
        "-1.1,52.6,Mill Lane, Blaby",
        header="longitude,latitude,label",
    )
    with pytest.raises(MapPointsError, match="line 3 has 4 fields where the header has 3"):
        read_map_points_csv(path)


def test_a_file_separated_by_semicolons_is_said_to_be(tmp_path):
    path = _csv(tmp_path, GOOD.replace(",", ";"), header=HEADER.replace(",", ";"))
    with pytest.raises(MapPointsError, match="separated by semicolons"):
        read_map_points_csv(path)


@pytest.mark.parametrize("source", ["Roads", "evil", "police.uk"])
def test_a_source_that_is_no_source_is_refused(tmp_path, source):
    """Only a "layer" point without an address count needs a written confirmation: any
    other word there let a point of unknown catchment through unconfirmed."""
    path = _csv(tmp_path, GOOD, f"-1.1,52.6,Pinehurst Close,{source},-1,E01000002,Blaby 002A")
    with pytest.raises(MapPointsError, match=f"the source '{source}' is no map points source"):
        read_map_points_csv(path)


def test_a_blank_source_reads_as_layer(tmp_path):
    """As a missing source column does, and a QGIS layer's blank: it was published blank and
    escaped the unknown catchments check."""
    path = _csv(tmp_path, GOOD, "-1.1,52.6,Pinehurst Close,,-1,E01000002,Blaby 002A")
    assert read_map_points_csv(path).source.tolist() == ["layer", "layer"]


def test_odd_but_readable_text_is_kept_as_written(tmp_path):
    """Bidi controls, zero-width characters, markup, formulas, only spaces and a long label
    are kept as the file has them (the outputs escape and guard them; the load keeps them
    too), never silently changed."""
    labels = [
        "A \u202eRoad",
        "A\u200bRoad",
        "<img src=x onerror=alert(1)>",
        "=cmd|' /c calc'!A1",
        "   ",
        "A" * 10_000,
    ]
    lines = [f'-1.{k + 1},52.6,"{label}",layer,8,E1,N' for k, label in enumerate(labels)]
    path = tmp_path / "points.csv"
    path.write_text("\ufeff" + "\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    assert read_map_points_csv(path).label.tolist() == labels


# --- QGIS point layers --------------------------------------------------------------------------


def _layer(fields: list[str], rows: list[tuple[str, list]], crs: str = "EPSG:4326"):
    from qgis.core import QgsFeature, QgsGeometry, QgsVectorLayer

    uri = f"Point?crs={crs}" + "".join(f"&field={f}" for f in fields)
    layer = QgsVectorLayer(uri, "points", "memory")
    features = []
    for wkt, attributes in rows:
        feature = QgsFeature(layer.fields())
        feature.setGeometry(QgsGeometry.fromWkt(wkt))
        feature.setAttributes(attributes)
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    return layer


@pytest.mark.parametrize(
    "kind, value",
    [("double", 2.7), ("double", 1e30), ("string", "8.5"), ("string", "many"), ("boolean", True),
     ("integer", -7)],
)  # fmt: skip
def test_a_layer_address_count_that_is_no_count_is_refused_naming_its_feature(
    qgis_app, kind, value
):
    """int_value read 2.7 as 2, True as 1, and "8.5", "many" and 1e30 as unknown."""
    from crime_mapper.qgis_bridge.map_points_io import points_from_source

    layer = _layer(
        ["label:string", f"addresses:{kind}"],
        [("Point(-1.2 52.7)", ["Mill Lane", None]), ("Point(-1.1 52.6)", ["Pinehurst", value])],
    )
    with pytest.raises(MapPointsError, match="'points': feature 2: the address count"):
        points_from_source(layer, "label")


def test_a_layer_date_field_reads_as_its_iso_text_and_a_bad_source_is_refused(qgis_app):
    """A date field as the LSOA code published "PyQt5.QtCore.QDate(2022, 1, 1)"."""
    from qgis.PyQt.QtCore import QDate

    from crime_mapper.qgis_bridge.map_points_io import points_from_source

    layer = _layer(
        ["label:string", "lsoa_code:date"], [("Point(-1.1 52.6)", ["A", QDate(2022, 1, 1)])]
    )
    assert points_from_source(layer, "label").lsoa_code.tolist() == ["2022-01-01"]
    layer = _layer(["label:string", "source:string"], [("Point(-1.1 52.6)", ["A", "evil"])])
    with pytest.raises(MapPointsError, match="the source 'evil' is no map points source"):
        points_from_source(layer, "label")
    layer = _layer(["label:boolean"], [("Point(-1.1 52.6)", [True])])
    with pytest.raises(MapPointsError, match="feature 1: field 'label': .* true/false"):
        points_from_source(layer, "label")
    assert np.array_equal(
        points_from_source(_layer(["label:integer"], [("Point(-1.1 52.6)", [5])]), "label").label,
        ["5"],
    )
