"""The projected-coordinate check's row lookup equals the mask it replaced.

``check_no_raw_coordinates`` used to build, for every output, four masks over all raw rows
(``np.isin`` of each raw metre column in the output's numbers) and report
``np.flatnonzero((x1 | x2) & (y1 | y2))``. It now looks the numbers up in each column sorted
once; the rows and their order must be the same on any input, duplicates and misses included.
"""

from __future__ import annotations

import numpy as np
import pytest

from crime_mapper.core.gate.checks import _RowsByValue


def _old_rows(fx, cx, fy, cy, numbers):
    hx = np.isin(fx, numbers) | np.isin(cx, numbers)
    hy = np.isin(fy, numbers) | np.isin(cy, numbers)
    return np.flatnonzero(hx & hy)


def _new_rows(fx, cx, fy, cy, numbers):
    cols = [_RowsByValue(v) for v in (fx, cx, fy, cy)]
    rx = np.union1d(cols[0].rows(numbers), cols[1].rows(numbers))
    ry = np.union1d(cols[2].rows(numbers), cols[3].rows(numbers))
    return np.intersect1d(rx, ry, assume_unique=True)


@pytest.mark.parametrize("seed", range(40))
def test_rows_match_the_mask_on_random_columns(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 400))
    span = int(rng.integers(1, 60))  # small spans give many repeated values
    fx, cx, fy, cy = (rng.integers(400_000, 400_000 + span, n).astype(np.int64) for _ in range(4))
    numbers = np.unique(rng.integers(400_000 - 5, 400_000 + span + 5, int(rng.integers(0, 30))))
    old = _old_rows(fx, cx, fy, cy, numbers)
    new = _new_rows(fx, cx, fy, cy, numbers)
    assert new.tolist() == old.tolist()


def test_no_numbers_and_no_rows() -> None:
    empty = np.zeros(0, dtype=np.int64)
    col = np.array([5, 5, 7], dtype=np.int64)
    assert _RowsByValue(col).rows(empty).size == 0
    assert _RowsByValue(empty).rows(np.array([5])).size == 0
    assert _RowsByValue(col).rows(np.array([5, 7])).tolist() == [0, 1, 2]


@pytest.mark.parametrize("seed", range(20))
def test_rows_asked_again_and_again_match_the_mask(seed: int) -> None:
    """One column asked many times: the first asks look the values up among the numbers,
    the later ones in the column sorted once; every answer is the mask's."""
    from crime_mapper.core.gate import checks

    rng = np.random.default_rng(seed)
    span = int(rng.integers(1, 80))
    col = rng.integers(400_000, 400_000 + span, int(rng.integers(0, 500))).astype(np.int64)
    rows = _RowsByValue(col)
    for ask in range(1, checks._DIRECT_ASKS + 6):
        numbers = rng.integers(400_000 - 5, 400_000 + span + 5, int(rng.integers(0, 30)))
        if rng.random() < 0.3:
            numbers = numbers.astype(np.float64) + rng.choice([0.0, 0.5], numbers.size)
        got = rows.rows(numbers)
        assert got.tolist() == np.flatnonzero(np.isin(col, numbers)).tolist()
        # (the column is sorted only once asked more often than a web map's scripts ask)
        assert (rows._order is None) == (ask <= checks._DIRECT_ASKS)
