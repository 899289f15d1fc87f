"""The web map's point positions as one string of letters: micro-degrees, delta-encoded.

Why: a national month's 294,000 map points written as JSON pairs at 6 decimals
(``[-1.234567,52.123456]``) take 6.4 MB, close to half the page's data; the export's folder
must stay within 15 MB. Written as whole micro-degrees (exactly the 6 decimals police.uk
publishes), as differences from the point before (the points are sorted by longitude, so
most longitude steps are a few micro-degrees) and in base 26, they take about a third.

Why letters only: the leak gate scans every text and script of an export for raw values
written as numbers (eastings and northings in metres, timestamps, references). Differences
written as JSON integers would be numbers in the metres' range by the thousand and would
read as raw metres; a string of ASCII letters holds no digit, so no number scan can find
anything in it, and the gate decodes it (:func:`decode_positions`) and checks every
position as a map point, as it checks JSON positions.

The format (``ENCODING``), one value after another, longitude then latitude for each point:
  value   the difference from the same axis of the point before (the first point's from 0),
          in whole micro-degrees, zigzag-mapped to a natural number (0, -1, 1, -2 ... -> 0, 1,
          2, 3 ...)
  digits  that number in letters (core/common/letter_digits.py): base 26, least significant
          digit first; every digit but the last is a lower-case letter (a=0 ... z=25), the
          last an upper-case one (A=0 ... Z=25)
So ``[[-1.0, 52.0]]`` is -1,000,000 then 52,000,000 micro-degrees. The page's decoder is in
resources/templates/webmap/webmap.js (``decodePositions``).
"""

from __future__ import annotations

import numpy as np

from .letter_digits import letters_to_naturals, naturals_to_letters

ENCODING = "lonlat-e6-delta-base26"
# a longitude step is within +-360 degrees: 720,000,000 as a zigzag number, 7 digits
# (letter_digits.MAX_DIGITS, the digits of every number written as letters)
MAX_STEP = 360_000_000  # micro-degrees: any larger difference is no position on Earth


class PositionCodeError(ValueError):
    """A string that is not positions in ENCODING."""


def encode_positions(lon: np.ndarray, lat: np.ndarray) -> str:
    """Positions (degrees, rounded here to 6 decimals) as the ENCODING string, in order."""
    x = np.round(np.asarray(lon, dtype=np.float64).ravel() * 1e6)
    y = np.round(np.asarray(lat, dtype=np.float64).ravel() * 1e6)
    if x.size != y.size:
        raise ValueError(f"{x.size} longitudes but {y.size} latitudes")
    if x.size == 0:
        return ""
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("positions must be finite numbers")
    if max(np.abs(x).max(), np.abs(y).max()) > 180e6:
        raise ValueError("positions must be degrees of longitude and latitude")
    values = np.empty(2 * x.size, dtype=np.int64)
    values[0::2] = x.astype(np.int64)
    values[1::2] = y.astype(np.int64)
    steps = np.diff(values.reshape(-1, 2), axis=0, prepend=0).ravel()
    return naturals_to_letters(np.where(steps >= 0, 2 * steps, -2 * steps - 1))


def decode_positions(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(longitudes, latitudes) in degrees of an ENCODING string; PositionCodeError (saying
    where) for anything else: another character, a value cut short, more than MAX_DIGITS
    digits, an odd count of values, or a step beyond MAX_STEP."""
    if not isinstance(text, str):
        raise PositionCodeError(f"positions must be a string, not {type(text).__name__}")
    zig = letters_to_naturals(text, PositionCodeError)
    if zig.size % 2:
        raise PositionCodeError(f"{zig.size} values: not whole (longitude, latitude) pairs")
    if not zig.size:
        return np.zeros(0), np.zeros(0)
    steps = np.where(zig % 2 == 0, zig // 2, -(zig + 1) // 2)
    if np.abs(steps).max() > MAX_STEP:
        i = int(np.argmax(np.abs(steps) > MAX_STEP))
        raise PositionCodeError(f"value {i} steps more than 360 degrees")
    values = np.cumsum(steps.reshape(-1, 2), axis=0)
    return values[:, 0] / 1e6, values[:, 1] / 1e6
