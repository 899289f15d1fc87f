"""The web map's positions as letters (core.common.position_codec): exact round trips of
what police.uk publishes (6 decimals), no digit anywhere in the text, a third of the size of
JSON pairs on real data, and a clear PositionCodeError for any damaged text (the leak gate
refuses on it)."""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.common.letter_digits import MAX_DIGITS
from crime_mapper.core.common.position_codec import (
    PositionCodeError,
    decode_positions,
    encode_positions,
)
from tests.support.page_positions import decode_letters

OCT = (
    Path(__file__).resolve().parent.parent
    / "sample_data/police-uk/2022-10/2022-10-leicestershire-street.csv"
)


def _published(n: int, rng: random.Random) -> tuple[np.ndarray, np.ndarray]:
    """Positions as police.uk writes them: text at 6 decimals, read as floats."""
    lon = [float(f"{rng.uniform(-8.7, 1.8):.6f}") for _ in range(n)]
    lat = [float(f"{rng.uniform(49.8, 60.9):.6f}") for _ in range(n)]
    return np.array(lon), np.array(lat)


def test_a_real_month_round_trips_exactly_and_in_a_third_of_the_size():
    street = pd.read_csv(OCT, dtype=str, keep_default_na=False)
    street = street[street["Longitude"] != ""]
    pairs = street[["Longitude", "Latitude"]].drop_duplicates()
    pairs = pairs.assign(x=pairs["Longitude"].astype(float), y=pairs["Latitude"].astype(float))
    pairs = pairs.sort_values(["x", "y"])  # as the web map orders its points
    lon, lat = pairs["x"].to_numpy(), pairs["y"].to_numpy()
    text = encode_positions(lon, lat)
    x, y = decode_positions(text)
    assert x.tobytes() == lon.tobytes() and y.tobytes() == lat.tobytes()
    assert decode_letters(text) == list(zip(lon.tolist(), lat.tolist()))
    as_json = json.dumps([[a, b] for a, b in zip(pairs["Longitude"], pairs["Latitude"])])
    assert len(text) * 3 < len(as_json.replace('"', "").replace(" ", ""))


@pytest.mark.parametrize("seed", range(40))
def test_random_positions_round_trip_in_letters_only(seed: int):
    rng = random.Random(seed)
    n = rng.choice([0, 1, 2, 7, 300])
    lon, lat = _published(n, rng)
    if n > 2 and seed % 3 == 0:  # points sharing a location (one per street label)
        lon[1], lat[1] = lon[0], lat[0]
    if seed % 4 == 0 and n:  # the ends of the world and the axis steps they need
        lon[0], lat[0] = -180.0, 90.0
        lon[-1], lat[-1] = 180.0, -90.0
    text = encode_positions(lon, lat)
    assert set(text) <= set(string.ascii_letters)
    assert not text or text[-1].isupper()
    x, y = decode_positions(text)
    assert x.tobytes() == lon.tobytes() and y.tobytes() == lat.tobytes()
    assert decode_letters(text) == list(zip(lon.tolist(), lat.tolist()))


def test_known_texts():
    assert encode_positions(np.array([0.0]), np.array([0.0])) == "AA"
    assert encode_positions(np.array([-0.000001]), np.array([0.000001])) == "BC"
    assert encode_positions(np.array([0.000013]), np.array([0.0])) == "aBA"  # 26 = 0, 1
    x, y = decode_positions("AAaBA")  # (0, 0), then a step of +13 micro-degrees east
    assert x.tolist() == [0.0, 0.000013] and y.tolist() == [0.0, 0.0]


@pytest.mark.parametrize(
    "text, says",
    [
        ("AA1", "character 2: '1' is not a letter"),
        ("A A", "character 1: ' '"),
        ("A\x00A", "character 1: '\\x00'"),
        ("AéA", "character 1: 'é'"),
        ('A"A', "character 1"),
        ("AAb", "cut short"),
        ("AAA", "3 values"),
        ("a" * MAX_DIGITS + "A" + "A", f"more than {MAX_DIGITS} digits"),
        ("zzzzzzZA", "steps more than 360 degrees"),
    ],
)
def test_damaged_texts_are_refused_saying_where(text: str, says: str):
    with pytest.raises(PositionCodeError) as caught:
        decode_positions(text)
    assert says in str(caught.value)


def test_anything_but_a_string_is_refused():
    for value in (None, 5, [[-1.0, 52.0]], b"AA"):
        with pytest.raises(PositionCodeError, match="must be a string"):
            decode_positions(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(20))
def test_fuzzed_texts_decode_or_are_refused(seed: int):
    """Random letters and hostile characters: decoded when they are whole values (then the
    independent decoder agrees), else a PositionCodeError, never another error."""
    rng = random.Random(seed)
    pieces = list(string.ascii_letters) * 4 + ["0", "9", " ", "\n", "\r", "\x00", "é", "\\", "-"]
    for _ in range(200):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        try:
            x, y = decode_positions(text)
        except PositionCodeError:
            continue
        assert decode_letters(text) == list(zip(x.tolist(), y.tolist()))


def test_what_cannot_be_written_is_refused():
    with pytest.raises(ValueError, match="2 longitudes but 1 latitudes"):
        encode_positions(np.array([0.0, 1.0]), np.array([0.0]))
    with pytest.raises(ValueError, match="finite"):
        encode_positions(np.array([np.nan]), np.array([52.0]))
    with pytest.raises(ValueError, match="degrees"):
        encode_positions(np.array([451234.0]), np.array([301234.0]))  # metres, not degrees
