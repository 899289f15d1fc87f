"""core.publish.webmap_data._points_of: each row's map point numbered by one key of its
(place, label, area) codes is the numbering the two factorizations gave (place and label
first, then the area), on random codes; and the fallback, for counts whose product would
not fit one key, gives it too."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.publish.webmap_data import _points_of


def two_steps(place, label, labels, area, areas):
    pair, _ = pd.factorize(place.astype(np.int64) * max(labels, 1) + label, sort=True)
    return pd.factorize(pair.astype(np.int64) * max(areas, 1) + area, sort=True)


@pytest.mark.parametrize("seed", range(30))
def test_one_key_numbers_the_points_as_two_steps_did(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 2000))
    places, labels, areas = (int(rng.integers(1, 60)) for _ in range(3))
    place = rng.integers(0, places, n)
    label = rng.integers(0, labels, n)
    area = rng.integers(0, areas, n)
    want, want_uniques = two_steps(place, label, labels, area, areas)
    codes, uniques = _points_of(place, places, label, labels, area, areas)
    np.testing.assert_array_equal(codes, want)
    assert len(uniques) == len(want_uniques)
    # counts whose product passes 62 bits: the fallback, numbering the same
    codes, uniques = _points_of(place, 1 << 40, label, labels, area, 1 << 22)
    np.testing.assert_array_equal(codes, two_steps(place, label, labels, area, 1 << 22)[0])
    assert len(uniques) == len(want_uniques)
