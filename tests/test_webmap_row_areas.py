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
