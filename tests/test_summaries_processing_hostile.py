"""crime_mapper:neighbourhood_summaries given what a careless or hostile user gives it.

Why: a hostile-input run found a MONTH that is no YYYY-MM taken as a month (int() reads
Arabic-Indic digits and "1_0"), and ATLAS=off refused only after the summaries had been
written over the previous ones. Real files: a release of the bundled force extract, the
committed Leicestershire MSOAs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from qgis.core import QgsProcessingException, QgsVectorLayer

from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE
from tests.support.summaries_release import HOODS, make_release


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> dict:
    return make_release(tmp_path_factory.mktemp("summaries_hostile"))


def _params(release: dict, out: Path, **more) -> dict:
    uri = f"file://{release['points']}?delimiter=,&xField=longitude&yField=latitude&crs=EPSG:4326"
    points = QgsVectorLayer(uri, "points", "delimitedtext")
    hoods = QgsVectorLayer(str(HOODS / "msoa11_leicestershire.geojson"), "msoas", "ogr")
    assert points.isValid() and hoods.isValid()
    return {
        "RAW_FILES": [str(FORCE_EXTRACT)],
        "PROFILE": str(FORCE_PROFILE),
        "MAP_POINTS": points,
        "RELEASE": str(release["csv"]),
        "NEIGHBOURHOODS": hoods,
        "CODE_FIELD": "msoa11cd",
        "OUTPUT": str(out),
        **more,
    }


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
