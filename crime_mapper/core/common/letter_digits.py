"""Whole numbers written as letters: the web map's counts, indexes and positions.

Why letters (core/common/position_codec.py has the longer story): the leak gate scans every
text and script of an export for raw values written as numbers (eastings and northings,
timestamps, references made of digits). A national map's data script holds some 2.6 million
counts and indexes; written as JSON integers they were 8 MB of digits that the gate parsed
into Python ints and converted (0.15 s in each of the two processes that gate a map) and
the page parsed as JSON. As letters they take about half the bytes, hold no digit for a
number scan to misread, and are decoded in whole-array steps; the gate decodes them and
checks every value as the number it is.

The format: each natural number in base 26, least significant digit first; every digit but
the last a lower-case letter (a=0 ... z=25), the last an upper-case one (A=0 ... Z=25); one
number after another with no separator. So [0, 1, 26] is "ABaB". At most MAX_DIGITS digits
(26**7 is about 8e9: any count or index of a page, and any position step). The page's
decoder is in resources/templates/webmap/webmap.js (``decodeNaturals``).
"""

from __future__ import annotations

import numpy as np

#: The format's name, written beside each array that uses it.
NATURALS_ENCODING = "naturals-base26"
BASE = 26
MAX_DIGITS = 7
LIMIT = BASE**MAX_DIGITS  # (the first number the format cannot hold)
_UPPER, _LOWER = ord("A"), ord("a")


class LetterCodeError(ValueError):
    """A string that is not natural numbers in letters."""


def naturals_to_letters(values: np.ndarray) -> str:
    """The letters of whole numbers from 0 to LIMIT - 1, in order ("" for none)."""
    v = np.asarray(values)
    if v.size == 0:
        return ""
    if v.dtype.kind not in "iu":
        raise ValueError("only whole numbers can be written as letters")
    v = v.astype(np.int64).ravel()
    if v.min() < 0 or v.max() >= LIMIT:
        raise ValueError(f"only whole numbers from 0 to {LIMIT - 1} can be written as letters")
    length = np.ones(v.size, np.int64)
    for power in range(1, MAX_DIGITS):
        length += v >= BASE**power
    ends = np.cumsum(length)
    starts = ends - length
    out = np.empty(int(ends[-1]), np.uint8)
    rest = v
    at = starts
    left = length
    for _digit in range(MAX_DIGITS):  # (the numbers still writing digits: fewer each round)
        last = left == 1
        out[at] = rest % BASE + np.where(last, _UPPER, _LOWER)
        more = ~last
        if not more.any():
            break
        rest, at, left = rest[more] // BASE, at[more] + 1, left[more] - 1
    return out.tobytes().decode("ascii")


def letters_to_naturals(text: str, error: type[ValueError] = LetterCodeError) -> np.ndarray:
    """The numbers (int64) of naturals_to_letters' letters; ``error`` (saying where) for
    anything else: another character, a number cut short (the text ends in a lower-case
    letter), or more than MAX_DIGITS digits."""
    if not isinstance(text, str):
        raise error(f"letters must be a string, not {type(text).__name__}")
    if not text:
        return np.zeros(0, np.int64)
    if not text.isascii():
        bad = next(i for i, ch in enumerate(text) if not ch.isascii())
        raise error(f"character {bad}: {text[bad]!r} is not a letter A-Z or a-z")
    b = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    upper = (b >= _UPPER) & (b < _UPPER + BASE)
    lower = (b >= _LOWER) & (b < _LOWER + BASE)
    wrong = np.flatnonzero(~(upper | lower))
    if wrong.size:
        i = int(wrong[0])
        raise error(f"character {i}: {text[i]!r} is not a letter A-Z or a-z")
    if not upper[-1]:
        raise error("the last value is cut short (it ends in a lower-case letter)")
    ends = np.flatnonzero(upper)
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    length = ends - starts + 1
    if length.max() > MAX_DIGITS:
        i = int(np.argmax(length > MAX_DIGITS))
        raise error(f"value {i} has more than {MAX_DIGITS} digits")
    digit = b.astype(np.int64) - np.where(upper, _UPPER, _LOWER)
    values = digit[starts]
    scale = 1
    longer = np.flatnonzero(length > 1)
    for place in range(1, int(length.max())):  # (the values with a digit at this place)
        scale *= BASE
        values[longer] += digit[starts[longer] + place] * scale
        longer = longer[length[longer] > place + 1]
    return values
