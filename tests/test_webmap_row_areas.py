"""The web map's page data grouped by the neighbourhood assignment's integers
(core.publish.webmap_areas.RowAreas) is exactly the page data grouped by each row's name:
on the committed Leicestershire month and MSOAs, and on assignments made to break it (two
neighbourhoods of one name, rows in none, one point in several areas).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.publish.neighbourhoods import OUTSIDE, OUTSIDE_LABEL, assign_crimes
from crime_mapper.core.publish.summaries_run import load_neighbourhoods
from crime_mapper.core.publish.webmap_areas import RowAreas, row_area_names
from crime_mapper.core.publish.webmap_data import aggregate
from crime_mapper.core.publish.webmap_inputs import read_release_inputs
from tests.support.summaries_release import msoa_source

REPO = Path(__file__).resolve().parent.parent
OCT = REPO / "sample_data" / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"


@pytest.fixture(scope="module")
def street() -> pd.DataFrame:
    return read_release_inputs([OCT]).street


def test_the_committed_month_groups_as_by_name(street: pd.DataFrame) -> None:
    hoods = load_neighbourhoods(msoa_source())
    rows = row_area_names(street, hoods)
    assert isinstance(rows, RowAreas)
    assert np.array_equal(rows.index, assign_crimes(street, hoods).index)
    by_index = aggregate(street, pd.DataFrame(), row_areas=rows, area_names=hoods.names).data
    by_name = aggregate(
        street, pd.DataFrame(), row_areas=rows.name_list(), area_names=hoods.names
    ).data
    assert by_index == by_name
    assert len(set(rows.index.tolist())) > 20  # (many neighbourhoods, not one)


@pytest.mark.parametrize("seed", range(6))
def test_fuzzed_assignments_group_as_by_name(street: pd.DataFrame, seed: int) -> None:
    """Random indexes over names that repeat (two areas called "Same"), OUTSIDE and other
    negative indexes, some rows sharing one position under several areas."""
    rng = np.random.default_rng(seed)
    names = ["Same", "Alpha", "Same", "Beta", OUTSIDE_LABEL, "Zeta"]
    index = rng.integers(-2, len(names), size=len(street))
    index[rng.random(len(street)) < 0.1] = OUTSIDE
    mixed = street.copy()
    mixed.iloc[:30, mixed.columns.get_loc("Longitude")] = "-1.144333"
    mixed.iloc[:30, mixed.columns.get_loc("Latitude")] = "52.680018"
    rows = RowAreas(index.astype(np.int64), names)
    by_index = aggregate(mixed, pd.DataFrame(), row_areas=rows, area_names=names).data
    by_name = aggregate(mixed, pd.DataFrame(), row_areas=rows.name_list(), area_names=names).data
    assert by_index == by_name


def test_an_assignment_of_another_length_is_refused(street: pd.DataFrame) -> None:
    hoods = load_neighbourhoods(msoa_source())
    with pytest.raises(ValueError, match="one per street row"):
        row_area_names(street, hoods, np.zeros(len(street) - 1, dtype=np.int64))


# --- the coordinates factorized once: by the reader, taken by the assignment ------------------
def test_one_street_file_read_as_text_keeps_its_coordinates_codes() -> None:
    """The reader's parse of each coordinate column keeps its factorization, exactly
    pd.factorize of the column it returns, for the assignment of those rows; the
    assignment from it is the one that factorizes again."""
    inputs = read_release_inputs([OCT])
    assert inputs.coordinate_codes is not None
    for column, (codes, uniques) in zip(("Longitude", "Latitude"), inputs.coordinate_codes):
        want_codes, want_uniques = pd.factorize(inputs.street[column], sort=False)
        assert np.array_equal(codes, want_codes)
        assert list(uniques) == list(want_uniques)
    hoods = load_neighbourhoods(msoa_source())
    given = row_area_names(inputs.street, hoods, coordinates=inputs.coordinate_codes)
    assert np.array_equal(given.index, assign_crimes(inputs.street, hoods).index)


def test_no_codes_for_several_files_or_typed_coordinates() -> None:
    """Several street files make one table of their rows (their own codes are not its
    codes) and coordinates read as numbers were never factorized: no codes, and the
    assignment factorizes the table's columns itself."""
    sep = OCT.parent.parent / "2022-09" / "2022-09-leicestershire-street.csv"
    assert read_release_inputs([OCT, sep]).coordinate_codes is None
    assert read_release_inputs([OCT], typed_coordinates=True).coordinate_codes is None


def test_the_web_maps_export_hands_its_codes_to_the_assignment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A map with neighbourhoods from one release CSV assigns its rows from the codes its
    reader made (the 0.15 s of a national month's second factorization is not spent)."""
    from crime_mapper.core.publish import webmap_areas
    from crime_mapper.core.publish.webmap_export import WebmapOptions, export_webmap

    given: list = []
    assign = webmap_areas.assign_crimes

    def spy(
        public: pd.DataFrame, hoods: object, coordinates: object = None, parsed: object = None
    ) -> object:
        given.append((coordinates, parsed))
        return assign(public, hoods, coordinates, parsed)

    monkeypatch.setattr(webmap_areas, "assign_crimes", spy)
    hoods = load_neighbourhoods(msoa_source())
    export_webmap(
        WebmapOptions(
            inputs=[str(OCT)], out_dir=tmp_path / "map", tiles="none", neighbourhoods=hoods
        )
    )
    assert len(given) == 1 and given[0][0] is not None
    parsed = given[0][1]  # (and the numbers its reader parsed the texts to, one per row)
    rows = len(read_release_inputs([OCT]).street)
    assert parsed is not None and len(parsed[0]) == len(parsed[1]) == rows
