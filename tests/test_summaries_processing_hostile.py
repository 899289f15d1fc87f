"""crime_mapper:neighbourhood_summaries and export_webmap given what a careless or hostile
user gives them.

Why: a hostile-input run found a MONTH that is no YYYY-MM taken as a month (int() reads
Arabic-Indic digits and "1_0"); ATLAS=off refused only after the summaries had been written
over the previous ones; and a NUL in a neighbourhood name, the force name, the web map's
title or its tile attribution written into the pages, where the leak gate refused them as
unreadable naming a page, not the text it came from; and an empty neighbourhood layer
written as summaries of no neighbourhood. Real files: a release of the bundled
force extract, the committed Leicestershire MSOAs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from qgis.core import QgsFeature, QgsProcessingException, QgsVectorLayer

from tests.support.processing_feedback import WarningsFeedback as Warnings
from tests.support.summaries_release import HOODS, make_release, summaries_parameters


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> dict:
    return make_release(tmp_path_factory.mktemp("summaries_hostile"))


def _params(release: dict, out: Path, **more) -> dict:
    hoods = QgsVectorLayer(str(HOODS / "msoa11_leicestershire.geojson"), "msoas", "ogr")
    assert hoods.isValid()
    return summaries_parameters(release, out, hoods, **{"CODE_FIELD": "msoa11cd", **more})


@pytest.mark.parametrize("month", ["٢٠٢٢-١٠", "٢٠٢٢-10", "2022-1_0", "2022-١٠"])
def test_a_month_that_is_no_yyyy_mm_is_refused(provider, release, tmp_path, month):
    """Each was read as October 2022 (the release's month) and the pages written."""
    import processing

    with pytest.raises(QgsProcessingException, match="not a month"):
        processing.run(
            "crime_mapper:neighbourhood_summaries", _params(release, tmp_path, MONTH=month)
        )
    assert not (tmp_path / "neighbourhoods").exists()


def test_the_month_as_written_is_still_read(provider, release, tmp_path):
    import processing

    result = processing.run(
        "crime_mapper:neighbourhood_summaries", _params(release, tmp_path, MONTH=" 2022-10 ")
    )
    assert result["PAGES"] == 125


def test_an_atlas_flag_that_is_neither_is_refused_before_anything_is_written(
    provider, release, tmp_path
):
    """ATLAS=off failed after the summaries were written over the previous ones."""
    import processing

    with pytest.raises(QgsProcessingException, match="ATLAS must be true or false"):
        processing.run(
            "crime_mapper:neighbourhood_summaries", _params(release, tmp_path, ATLAS="off")
        )
    assert not (tmp_path / "neighbourhoods").exists()


def _named_hoods(names: list[str]) -> QgsVectorLayer:
    """The first committed MSOAs as a layer with a name field holding ``names``."""
    msoas = QgsVectorLayer(str(HOODS / "msoa11_leicestershire.geojson"), "msoas", "ogr")
    layer = QgsVectorLayer(
        "MultiPolygon?crs=EPSG:4326&field=code:string&field=name:string(0)", "named", "memory"
    )
    features = []
    for feature, name in zip(msoas.getFeatures(), names):
        copy = QgsFeature(layer.fields())
        copy.setGeometry(feature.geometry())
        copy.setAttributes([feature["msoa11cd"], name])
        features.append(copy)
    assert layer.dataProvider().addFeatures(features)[0] or not names
    assert layer.featureCount() == len(names)
    return layer


def test_a_control_character_in_a_neighbourhood_name_is_read_as_a_space(
    provider, release, tmp_path
):
    """A NUL in a name reached the pages, and the gate refused the whole summaries as
    unreadable, naming a page rather than the name."""
    import processing

    layer = _named_hoods(["North\x00End", "South\x1bSide", "West"])
    feedback = Warnings()
    params = _params(release, tmp_path, NEIGHBOURHOODS=layer, CODE_FIELD="code")
    result = processing.run(
        "crime_mapper:neighbourhood_summaries",
        {**params, "NAME_FIELD": "name"},
        feedback=feedback,
    )
    assert result["PAGES"] == 3
    pages = "".join(p.read_text(encoding="utf-8") for p in Path(result["FOLDER"]).glob("*.html"))
    assert "South Side" in pages and "\x00" not in pages and "\x1b" not in pages
    said = [w for w in feedback.warnings if "holds control characters" in w]
    assert "'South\\x1bSide'" in said[-1], feedback.warnings
    # (QGIS 3.40 cuts a text attribute at a NUL, so its layer holds "North": nothing to say)
    held = [f["name"] for f in layer.getFeatures()]
    if held[0] == "North\x00End":
        assert "North End" in pages, pages
        assert len(said) == 2 and "'North\\x00End'" in said[0], feedback.warnings
    else:
        assert held[0] == "North" and len(said) == 1, (held, feedback.warnings)


def test_a_control_character_in_the_force_name_is_refused_by_name(provider, release, tmp_path):
    import processing

    with pytest.raises(QgsProcessingException, match="the force name .* control character"):
        processing.run(
            "crime_mapper:neighbourhood_summaries",
            _params(release, tmp_path, FORCE_NAME="Leicestershire\x00Police"),
        )
    assert not (tmp_path / "neighbourhoods").exists()


def test_an_overlong_force_name_is_refused_naming_the_limit(provider, release, tmp_path):
    """The profile's limit on a force name (MAX_FORCE_NAME) is the Processing field's too."""
    import processing

    with pytest.raises(QgsProcessingException, match="131 characters long: .* at most 120"):
        processing.run(
            "crime_mapper:neighbourhood_summaries",
            _params(release, tmp_path, FORCE_NAME=("Leicestershire Police " * 6).strip()),
        )
    assert not (tmp_path / "neighbourhoods").exists()


@pytest.mark.parametrize(
    "given, what",
    [
        ({"TITLE": "Crime\x00map"}, "page title"),
        (
            {"TILES": 2, "TILES_URL": "https://t.example/{z}/{x}/{y}.png",
             "TILES_ATTRIBUTION": "Tiles\x00 Example"},
            "attribution",
        ),
    ],
)  # fmt: skip
def test_a_control_character_in_the_web_map_text_is_refused_by_name(
    provider, release, tmp_path, given, what
):
    """The page was written with the NUL and the gate refused it as unreadable, naming
    index.html rather than the title or attribution it came from."""
    import processing

    params = {"RELEASE": [str(release["csv"])], "TILES": 1, "OUTPUT": str(tmp_path), **given}
    with pytest.raises(QgsProcessingException, match=f"the {what} .* control character"):
        processing.run("crime_mapper:export_webmap", params)
    assert not (tmp_path / "map").exists()


def test_a_control_character_in_the_title_is_refused_gated_against_the_raw_crimes(
    provider, release, tmp_path
):
    """The same through the export that reads the raw crimes (a child process)."""
    import processing

    raw = _params(release, tmp_path)
    params = {
        **{k: raw[k] for k in ("RAW_FILES", "PROFILE", "MAP_POINTS")},
        "RELEASE": [str(release["csv"])],
        "TILES": 1,
        "TITLE": "Crime\x00map",
        "OUTPUT": str(tmp_path),
    }
    with pytest.raises(QgsProcessingException, match="the page title .* control character"):
        processing.run("crime_mapper:export_webmap", params)
    assert not (tmp_path / "map").exists()


def test_an_empty_neighbourhood_layer_is_refused_and_the_last_summaries_kept(
    provider, release, tmp_path
):
    """An empty polygon layer wrote summaries of no neighbourhood over the last ones (0
    pages, every crime 'outside any neighbourhood') without a word; the web map refused it."""
    import processing

    first = processing.run("crime_mapper:neighbourhood_summaries", _params(release, tmp_path))
    index = Path(first["INDEX"]).read_bytes()
    empty = _named_hoods([])
    with pytest.raises(QgsProcessingException, match="hold no usable neighbourhood"):
        processing.run(
            "crime_mapper:neighbourhood_summaries",
            _params(release, tmp_path, NEIGHBOURHOODS=empty, CODE_FIELD="code"),
        )
    assert Path(first["INDEX"]).read_bytes() == index


def test_a_release_with_a_column_added_is_refused_naming_the_column(provider, release, tmp_path):
    """The message listed the release's first eight columns (all public) and "...", never
    the column that made it no public release."""
    import processing

    lines = release["csv"].read_text(encoding="utf-8").splitlines()
    added = tmp_path / release["csv"].name
    rows = [lines[0] + ",Officer In Case"] + [line + ",PC 1234" for line in lines[1:]]
    added.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(
        QgsProcessingException,
        match=r"not the public release table \(columns outside the police.uk street schema: "
        r"Officer In Case\)",
    ):
        processing.run(
            "crime_mapper:neighbourhood_summaries",
            _params(release, tmp_path / "out", RELEASE=str(added)),
        )


def test_a_control_character_in_a_code_is_quoted_where_a_warning_names_the_feature():
    """The "feature k (CODE)" of a warning showed a layer's code as it was: its NUL or bare
    CR went into the line the warning was said on."""
    import numpy as np

    from crime_mapper.core.publish.neighbourhoods import from_outlines

    square = np.array([[-1.1, 52.6], [-1.0, 52.6], [-1.0, 52.7], [-1.1, 52.7], [-1.1, 52.6]])
    hoods = from_outlines(
        [("E1\x00X", "North", None, []), ("E2\rY", "South", None, []), ("E3", "", None, [square])]
    )
    said = "\n".join(hoods.problems)
    assert "\x00" not in said and "\r" not in said, said
    assert "feature 1 ('E1\\x00X'): no geometry" in said, said
    assert "feature 2 ('E2\\rY'): no geometry" in said, said
