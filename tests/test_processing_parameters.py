"""The parameters several Processing algorithms share (processing/parameters.py) are offered
alike by each, and read alike: export_webmap and neighbourhood_summaries take neighbourhoods
(polygons, lookup, LSOA populations) through one mixin, and the web map's combination of a
polygon layer with LSOA populations, or a lookup alone, reaches the export.

Real data: the bundled Leicestershire month and MSOA/LSOA slices (sample_data; Contains public
sector information licensed under the Open Government Licence v3.0; ONS boundaries and
populations, Contains OS data © Crown copyright and database right).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from qgis.core import QgsApplication, QgsVectorLayer

from crime_mapper.processing.parameters import NeighbourhoodParameters
from tests.support.summaries_release import HOODS, POPULATION

REPO = Path(__file__).resolve().parent.parent
OCT = REPO / "sample_data" / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"
SHARED = (
    NeighbourhoodParameters.NEIGHBOURHOODS,
    NeighbourhoodParameters.CODE_FIELD,
    NeighbourhoodParameters.NAME_FIELD,
    NeighbourhoodParameters.POPULATION_FIELD,
    NeighbourhoodParameters.LOOKUP,
    NeighbourhoodParameters.LOOKUP_CODE_FIELD,
    NeighbourhoodParameters.LOOKUP_NAME_FIELD,
    NeighbourhoodParameters.LSOA_POPULATION,
)
ALGORITHMS = ("crime_mapper:export_webmap", "crime_mapper:neighbourhood_summaries")
RAW_AND_POINTS = ("crime_mapper:check_release", "crime_mapper:neighbourhood_summaries")


def _definition(alg_id: str, name: str) -> tuple:
    alg = QgsApplication.processingRegistry().algorithmById(alg_id)
    found = alg.parameterDefinition(name)
    assert found is not None, (alg_id, name)
    return (
        found.type(),
        found.description(),
        bool(found.flags() & found.FlagOptional),
        found.dataTypes() if hasattr(found, "dataTypes") else None,
        found.parentLayerParameterName() if hasattr(found, "parentLayerParameterName") else None,
    )


def test_the_neighbourhood_parameters_are_offered_alike(provider):
    for name in SHARED:
        first, second = (_definition(alg, name) for alg in ALGORITHMS)
        assert first == second, name
    # the polygons are asked for as polygons (was a bare [2] in each algorithm)
    kind = _definition(ALGORITHMS[0], NeighbourhoodParameters.NEIGHBOURHOODS)
    from crime_mapper.compat import SOURCE_VECTOR_POLYGON

    assert kind[3] == [int(SOURCE_VECTOR_POLYGON)]


def test_the_raw_crimes_and_map_points_are_offered_alike(provider):
    for name in ("RAW", "RAW_FILES", "PROFILE", "MAP_POINTS", "LABEL_FIELD"):
        first, second = (_definition(alg, name) for alg in RAW_AND_POINTS)
        assert first == second, name


def _areas(folder: Path) -> dict:
    text = (folder / "map" / "data" / "areas.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("=") + 1 :].rstrip().rstrip(";"))


def test_the_web_map_takes_rates_from_lsoa_populations_through_a_lookup(provider, tmp_path):
    """Polygons + lookup + LSOA populations: every neighbourhood gets the residents its LSOAs
    add up to; the lookup alone (no layer) still names each crime's neighbourhood."""
    import processing

    layer = QgsVectorLayer(str(HOODS / "msoa11_leicestershire.geojson"), "msoas", "ogr")
    assert layer.isValid()
    lookup = {
        "LOOKUP": str(HOODS / "lsoa11_to_msoa11_leicestershire.csv"),
        "LOOKUP_CODE_FIELD": "msoa11cd",
        "LOOKUP_NAME_FIELD": "msoa11nm",
        "LSOA_POPULATION": str(POPULATION),
    }
    base = {"RELEASE": [str(OCT)], "TILES": 1}
    processing.run(
        "crime_mapper:export_webmap",
        {
            **base,
            **lookup,
            "NEIGHBOURHOODS": layer,
            "CODE_FIELD": "msoa11cd",
            "OUTPUT": str(tmp_path / "with_layer"),
        },
    )
    with_layer = _areas(tmp_path / "with_layer")["features"]
    assert len(with_layer) == layer.featureCount()
    populations = [f["properties"].get("population") for f in with_layer]
    assert all(p and p > 1000 for p in populations), populations[:5]
    # the lookup alone (no layer): no outlines, but each crime's neighbourhood is named
    processing.run(
        "crime_mapper:export_webmap", {**base, **lookup, "OUTPUT": str(tmp_path / "lookup")}
    )
    processing.run("crime_mapper:export_webmap", {**base, "OUTPUT": str(tmp_path / "none")})
    assert _areas(tmp_path / "lookup")["features"] == []

    def data(folder: str) -> str:
        return (tmp_path / folder / "map" / "data" / "points.js").read_text(encoding="utf-8")

    names = {f["properties"]["name"] for f in with_layer}
    assert "Leicester 001" in names
    assert '"Leicester 001"' in data("lookup") and '"Leicester 001"' not in data("none")


def test_the_hotspot_sizes_are_offered_from_the_cores_floor(provider):
    """The Processing cell size took 1 m (its minimum) where the core refuses below 10 m."""
    from crime_mapper.core.hotspots.hexgrid import SMALLEST_SIZE_M

    registry = QgsApplication.processingRegistry()
    for alg_id in (
        "crime_mapper:hotspots_gi",
        "crime_mapper:hotspots_grid",
        "crime_mapper:hotspots_kde",
        "crime_mapper:hotspots_change",
        "crime_mapper:publish_hotspots",
    ):
        found = registry.algorithmById(alg_id).parameterDefinition("CELL_SIZE")
        assert found is not None and found.minimum() == SMALLEST_SIZE_M == 10.0, alg_id


#: numbers given to a one-choice list parameter that name none of its choices
NO_CHOICE = [1.5, 0.5, -1, -0.5, float("nan"), float("inf"), 1e300, 99]


def test_a_number_that_is_no_choice_is_refused_by_name(provider, tmp_path):
    """QGIS took any number for a one-choice list (an enum): CATEGORY=1.5 ran as choice 1,
    the second crime category, NaN and 1e300 as some other, without a word. Refused now,
    naming the parameter, the value and the choices, before the run (processing.run,
    qgis_process and the toolbox ask checkParameterValues) and when read in the run."""
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingException

    alg = QgsApplication.processingRegistry().createAlgorithmById("crime_mapper:hotspots_grid")
    out = tmp_path / "grid.gpkg"
    for value in NO_CHOICE:
        params = {"INPUT": str(OCT), "CATEGORY": value, "OUTPUT": str(out)}
        with pytest.raises(QgsProcessingException) as refused:
            processing.run("crime_mapper:hotspots_grid", params)
        said = str(refused.value)
        assert f"CATEGORY must be the number of one of its choices, not {value!r}: " in said
        assert "0 (All), 1 (Anti-social behaviour), 2 (Bicycle theft)" in said, said
        with pytest.raises(QgsProcessingException, match="CATEGORY must be the number"):
            alg.parameter_enum(params, "CATEGORY", QgsProcessingContext())
    assert not out.exists()
    for value in (0, 1, 2.0, "1", " 1"):  # (a whole number, as QGIS reads it)
        params = {"CATEGORY": value}
        assert alg.enum_problem(params) is None, value
        assert alg.parameter_enum(params, "CATEGORY", QgsProcessingContext()) == int(value)
