"""GeoPackage columns (core.io.gpkg_write.column_values) are the values sqlite3 is given:
datetimes formatted once per distinct instant and float columns listed without an object
array (issue 15) must give exactly the values the straightforward conversion gave, so the
files stay byte-identical. The straightforward conversion is kept here as the reference."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.io.gpkg_write import column_values
from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.load.mapping_profile import MappingProfile
from tests.support.column_values import hostile_datetimes, same_values
from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE


def _reference_datetimes(series: pd.Series) -> list:
    values = pd.to_datetime(series, errors="coerce").to_numpy(dtype="datetime64[ms]")
    isnat = np.isnat(values)
    if isnat.all():
        return [None] * len(values)
    text = np.datetime_as_string(values, unit="ms").astype(object)
    text[isnat] = None
    return text.tolist()


def _reference_doubles(series: pd.Series) -> list:
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64")
    obj = values.astype(object)
    nan = np.isnan(values)
    if nan.any():
        obj[nan] = None
    return obj.tolist()


@pytest.fixture(scope="module")
def crimes() -> pd.DataFrame:
    return load_extracts([FORCE_EXTRACT], profile=MappingProfile.load(FORCE_PROFILE)).crimes


def test_a_real_load_gives_the_reference_values(crimes):
    assert crimes["occurred_at"].notna().sum() > 1000
    assert same_values(column_values(crimes["occurred_at"], "datetime64[ns]"),
                 _reference_datetimes(crimes["occurred_at"]))  # fmt: skip
    for name in ("longitude", "latitude", "source_x", "source_y"):
        assert same_values(column_values(crimes[name], "float64"), _reference_doubles(crimes[name]))


@pytest.mark.parametrize("seed", range(4))
def test_datetimes_with_repeats_gaps_and_extremes(seed):
    series = hostile_datetimes(seed)
    assert same_values(column_values(series, "datetime64[ns]"), _reference_datetimes(series))
    text = series.dt.strftime("%Y-%m-%d %H:%M:%S.%f").where(series.notna(), None)
    assert same_values(column_values(text, "datetime64[ns]"), _reference_datetimes(text))


def test_datetimes_all_missing_one_value_and_none():
    for series in (
        pd.Series([pd.NaT] * 4, dtype="datetime64[ns]"),
        pd.Series(pd.to_datetime(["2022-10-01 13:45:10"] * 5)),
        pd.Series([], dtype="datetime64[ns]"),
        pd.Series(["not a date", None, "2022-10-01"], dtype=object),
    ):
        assert same_values(column_values(series, "datetime64[ns]"), _reference_datetimes(series))


def test_doubles_with_nan_inf_negative_zero_and_text():
    values = [0.0, -0.0, math.inf, -math.inf, math.nan, 1e-320, 1.7976931348623157e308, 3]
    for series in (
        pd.Series(values * 50, dtype="float64"),
        pd.Series([math.nan] * 7, dtype="float64"),
        pd.Series(["1.5", "", "x", None, "-0", "1e400"], dtype=object),
        pd.Series([], dtype="float64"),
    ):
        assert same_values(column_values(series, "float64"), _reference_doubles(series))
