"""core.common.letter_digits: whole numbers as letters (the web map's per-point arrays and,
through position_codec, its positions): exact round trips, the letters a decoder written
from the format's description reads (tests/support/page_positions.py), no digit anywhere,
and a clear error for anything else (the leak gate makes such a file unreadable)."""

from __future__ import annotations

import random
import string

import numpy as np
import pytest

from crime_mapper.core.common.letter_digits import (
    LIMIT,
    MAX_DIGITS,
    LetterCodeError,
    letters_to_naturals,
    naturals_to_letters,
)
from tests.support.page_positions import decode_naturals

EDGES = [0, 1, 25, 26, 27, 675, 676, 677, 26**3 - 1, 26**3, 2**31 - 1, 2**32, LIMIT - 1]


def written(value: int) -> str:
    """One number as the format's description writes it, digit by digit."""
    digits = []
    while True:
        value, digit = divmod(value, 26)
        digits.append(digit)
        if not value:
            break
    return "".join(
        chr((ord("A") if i == len(digits) - 1 else ord("a")) + d) for i, d in enumerate(digits)
    )


@pytest.mark.parametrize("seed", range(50))
def test_numbers_round_trip_as_the_description_writes_them(seed: int):
    rng = random.Random(seed)
    values = [
        rng.choice(EDGES) if rng.random() < 0.3 else rng.randrange(10 ** rng.randrange(1, 10))
        for _ in range(rng.randrange(0, 200))
    ]
    values = [v for v in values if v < LIMIT]
    dtype = rng.choice([np.int64, np.int32, np.uint32, np.uint64, np.int16])
    array = np.array(values, dtype=np.int64)
    if dtype != np.int64 and array.size and array.max() <= np.iinfo(dtype).max:
        array = array.astype(dtype)
    text = naturals_to_letters(array)
    assert text == "".join(map(written, values))
    assert set(text) <= set(string.ascii_letters)
    assert decode_naturals(text) == values
    back = letters_to_naturals(text)
    assert back.dtype == np.int64 and back.tolist() == values


def test_nothing_is_the_empty_text():
    assert naturals_to_letters(np.zeros(0, np.int64)) == ""
    assert letters_to_naturals("").tolist() == []


@pytest.mark.parametrize(
    "values",
    [[-1], [LIMIT], [0, 2**63 - 1], np.array([1.0, 2.0]), np.array([True, False]), ["A"]],
)
def test_what_letters_cannot_hold_is_refused(values):
    with pytest.raises(ValueError, match="whole numbers"):
        naturals_to_letters(np.asarray(values))


@pytest.mark.parametrize(
    "text, says",
    [
        ("A1B", "character 1: '1' is not a letter"),
        ("AéB", "character 1: 'é' is not a letter"),
        ("A B", "character 1: ' ' is not a letter"),
        ("A\x00", "character 1"),
        ("ABc", "cut short"),
        ("a" * MAX_DIGITS + "A", f"value 0 has more than {MAX_DIGITS} digits"),
        ("B" + "b" * MAX_DIGITS + "B", f"value 1 has more than {MAX_DIGITS} digits"),
    ],
)
def test_damaged_letters_say_where(text: str, says: str):
    with pytest.raises(LetterCodeError, match=says):
        letters_to_naturals(text)


def test_the_callers_error_is_raised_and_non_strings_refused():
    class Mine(ValueError):
        pass

    with pytest.raises(Mine, match="cut short"):
        letters_to_naturals("Ab", Mine)
    with pytest.raises(LetterCodeError, match="not bytes"):
        letters_to_naturals(b"AB")  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(100))
def test_random_text_decodes_or_raises_never_silently_changes(seed: int):
    """Hostile text: each string either decodes to what the description reads, or raises."""
    rng = random.Random(seed)
    alphabet = string.ascii_letters + "0 é\x00\n-"
    text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
    try:
        got = letters_to_naturals(text).tolist()
    except LetterCodeError:
        return
    assert got == decode_naturals(text)
    assert all(len(run) <= MAX_DIGITS for run in _runs(text))


def _runs(text: str) -> list[str]:
    out, current = [], ""
    for ch in text:
        current += ch
        if ch.isupper():
            out.append(current)
            current = ""
    return out
