"""core.publish.webmap_inputs._check_street given the coordinates' codes (parse_coded's,
which the reader made anyway) says exactly what it says asking every row: the same
warnings, the same refusal with the same count, on hostile coordinate texts (blank, white
space, "nan", "inf", letters, missing values)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.publish.webmap_inputs import WebmapInputError, _check_street, parse_coded

TEXTS = ["", " ", "nan", "NaN", "inf", "-1.1", "52.6x", "x", "-1.130000", "52.630000", None]


def outcome(frame: pd.DataFrame, lon, lat, coded) -> tuple[str, object]:
    try:
        return "ok", _check_street(frame, "f.csv", lon, lat, coded)
    except WebmapInputError as exc:
        return "refused", str(exc)


@pytest.mark.parametrize("seed", range(40))
def test_codes_give_the_row_by_row_answer(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    good = rng.random() < 0.5  # (mostly readable: the refusal's count and the warning)
    pool = TEXTS[:2] + TEXTS[8:10] if good else TEXTS
    frame = pd.DataFrame(
        {
            "Month": ["2022-10"] * n,
            "Longitude": rng.choice(np.asarray(pool, dtype=object), n),
            "Latitude": rng.choice(np.asarray(pool, dtype=object), n),
        }
    )
    lon, lon_coded = parse_coded(frame["Longitude"])
    lat, lat_coded = parse_coded(frame["Latitude"])
    with_codes = outcome(frame, lon, lat, (lon_coded, lat_coded))
    assert with_codes == outcome(frame, lon, lat, None)


def test_missing_and_unreadable_values_are_counted_with_the_codes():
    frame = pd.DataFrame(
        {
            "Month": ["2022-10"] * 4,
            "Longitude": ["-1.13", None, "x", ""],
            "Latitude": ["52.63", "52.63", "52.63", ""],
        }
    )
    lon, lon_coded = parse_coded(frame["Longitude"])
    lat, lat_coded = parse_coded(frame["Latitude"])
    assert (lon_coded[0] < 0).any(), "a missing value has no code"
    with pytest.raises(WebmapInputError, match="2 rows have coordinates that are not numbers"):
        _check_street(frame, "f.csv", lon, lat, (lon_coded, lat_coded))
