"""The GeoPackage writer makes each chunk's Python values when it inserts that chunk
(core.io.gpkg_write.column_slices, point_blob_slices), not the whole table's at once (issue
15: a national month's 27 columns held ~190 MB of values only to be inserted, beside the
monthly release's next step). Each slice must be exactly that part of the whole column, and
a file written in tiny chunks byte for byte the one written in one."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.common import schema
from crime_mapper.core.common.reproducible import freeze_geopackage
from crime_mapper.core.io import gpkg_write
from crime_mapper.core.io.gpkg_write import column_slices, column_values, point_blob_slices
from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.load.mapping_profile import MappingProfile
from tests.support.column_values import hostile_datetimes, same_values
from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE


@pytest.fixture(scope="module")
def crimes() -> pd.DataFrame:
    return load_extracts([FORCE_EXTRACT], profile=MappingProfile.load(FORCE_PROFILE)).crimes


def _cuts(n: int, seed: int) -> list[tuple[int, int]]:
    rng = np.random.default_rng(seed)
    cuts = [(0, n), (0, 0), (n, n), (0, 1), (max(n - 1, 0), n), (n // 2, n // 2 + 1)]
    for _ in range(20):
        a, b = sorted(rng.integers(0, n + 1, size=2).tolist())
        cuts.append((a, b))
    return cuts


def _hostile_columns() -> list[tuple[pd.Series, str]]:
    rng = np.random.default_rng(7)
    n = 997
    doubles = pd.Series(rng.choice([0.0, -0.0, math.inf, math.nan, 1e-320, 3.5], size=n))
    texts = pd.Series(rng.choice(["a", "", "é\u2028", "x,y", None], size=n), dtype=object)
    return [
        (hostile_datetimes(1), "datetime64[ns]"),
        (pd.Series([pd.NaT] * 9, dtype="datetime64[ns]"), "datetime64[ns]"),
        (doubles, "float64"),
        (pd.Series(["1.5", "", "x", None, "-0", "1e400"] * 9, dtype=object), "float64"),
        (pd.Series(["1.5", "", "7", None] * 9, dtype=object), "int64"),
        (pd.Series(rng.integers(-5, 5, size=n)), "int64"),
        (texts, "string"),
        (texts.astype("string"), "string"),
        (texts.astype("category"), "category"),
        (pd.Series(rng.integers(0, 3, size=n)).astype("category"), "category"),
        (pd.Series(rng.random(n) < 0.5), "bool"),
        (pd.Series([True, None, False, np.nan] * 9, dtype=object), "bool"),
        (pd.Series(rng.integers(0, 9, size=n)), "string"),  # numbers written as text
        (pd.Series([], dtype="float64"), "float64"),
    ]


def test_each_slice_is_that_part_of_the_whole_column(crimes):
    columns = [(crimes[name], spec[0]) for name, spec in schema.CRIME_COLUMNS.items()]
    for seed, (series, dtype) in enumerate(_hostile_columns() + columns):
        whole = column_values(series, dtype)
        values = column_slices(series, dtype)
        for a, b in _cuts(len(series), seed):
            assert same_values(values(a, b), whole[a:b]), (series.name, dtype, a, b)


def test_each_slice_of_point_blobs_is_that_part_of_them():
    rng = np.random.default_rng(3)
    x = rng.uniform(-8, 2, size=501)
    y = rng.uniform(49, 61, size=501)
    x[rng.random(501) < 0.1] = np.nan
    y[rng.random(501) < 0.1] = np.nan
    whole = gpkg_write.point_blobs(x, y)
    blobs = point_blob_slices(x, y)
    assert sum(b is None for b in whole) > 50
    for a, b in _cuts(len(x), 11):
        assert blobs(a, b) == whole[a:b], (a, b)


def _written(tmp_path, name: str, frame: pd.DataFrame) -> bytes:
    path = tmp_path / f"{name}.gpkg"
    table = gpkg_write.PointTable(
        "crimes",
        frame,
        {n: spec[0] for n, spec in schema.CRIME_COLUMNS.items()},
        extras=[c for c in frame.columns if c.startswith(schema.EXTRA_PREFIX)],
    )
    gpkg_write.write_geopackage(path, [table])
    freeze_geopackage(path, "2022-10-01T00:00:00.000Z")
    return path.read_bytes()


@pytest.mark.parametrize("chunk", [1, 7, 1000])
def test_a_file_written_in_small_chunks_is_the_one_written_in_one(crimes, chunk, tmp_path,
                                                                  monkeypatch):  # fmt: skip
    frame = crimes.copy()
    frame.loc[frame.index[::97], "longitude"] = np.nan  # rows without a geometry
    one = _written(tmp_path, "one", frame)
    monkeypatch.setattr(gpkg_write, "_CHUNK_ROWS", chunk)
    assert len(frame) > 3 * chunk or chunk == 1000
    assert _written(tmp_path, f"chunks{chunk}", frame) == one
    empty = frame.iloc[:0]
    assert _written(tmp_path, "empty-chunked", empty) == _written(tmp_path, "empty", empty)
