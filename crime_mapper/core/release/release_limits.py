"""The release's checks a plugin start-up may import: no numpy, no pandas.

Why a module of its own: the toolbox's anonymise algorithm declares the largest maximum
distance, and the release configuration checks it with the salt's place, when QGIS starts
and lists the plugin's algorithms. release_files, where they were, imports the data stack
(half a second of every QGIS start-up).
"""

from __future__ import annotations

import decimal
import math
import re
from pathlib import Path
from typing import Any

from ..common.text_file import resolved_path, shown_line


class ReleaseInputError(ValueError):
    """An input of the release cannot be used; raised before any output is touched."""


def inside_folder(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or lies under it, as the file system resolves them.
    core.common.text_file.UnresolvablePath (an OSError naming the path) when either is a
    loop of symbolic links: where it leads cannot be told, so neither can the answer."""
    path = resolved_path(path)
    folder = resolved_path(folder)
    return path == folder or folder in path.parents


#: The largest maximum snapping distance a release may ask for. Why: with 1e308 every
#: Leicestershire crime was published "On or near" a street in Newcastle (map points of
#: another force), 265 km away, the leak gate passing; the displacement was only in the
#: audit. police.uk's is 20 km; a map point 100 km away is no street near the crime.
MAX_DISTANCE_LIMIT_M = 100_000.0
LIMIT_EXACT = decimal.Decimal(repr(MAX_DISTANCE_LIMIT_M))  # (compared with the text written)
#: The smallest maximum snapping distance a release may ask for, in metres: the floor of
#: the toolbox's field and the guided release's (each starts at 1 m). Why: 1e-300 was
#: taken, and every crime not exactly on a map point was then published without a
#: location, as too far from one; a distance under a metre is a typo (of km for m, a
#: point misplaced), never a street near a crime.
MIN_DISTANCE_M = 1.0
MIN_EXACT = decimal.Decimal(repr(MIN_DISTANCE_M))


#: A number as a setting is written: ASCII digits, a point and an exponent (no "inf",
#: "nan", "1_000" or other scripts' digits: float() takes those).
_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
#: Decimal(text) with no trap: NaN, not an exception, for an exponent past Decimal's.
_NO_TRAPS = decimal.Context(traps=[])


def written_number(value: Any) -> str:
    """``value`` as the analyst wrote it: a text as given (its ends' white space aside), the
    text a configuration's reader kept beside its float (``written``, see
    core.monthly.config), an integer's digits, a float's shortest spelling (repr)."""
    if isinstance(value, str):
        return value.strip()
    written = getattr(value, "written", None)
    if isinstance(written, str):
        return written
    if isinstance(value, int) and not isinstance(value, bool):
        return str(decimal.Decimal(value))  # (str(int) refuses past 4,300 digits)
    if isinstance(value, float):  # (numpy's floats too: NumPy 2's repr is "np.float64(…)")
        return repr(float(value))
    return repr(value)


def written_positive(text: str) -> bool:
    """Whether a number's text (as written_number gives it) is more than 0 as written:
    no "-" before it and a digit other than 0 before its exponent. A float reads "1e-400"
    as 0.0, which was then called "not positive"; "inf" and "nan" are no such text."""
    mantissa = re.split("[eE]", text)[0]
    return not text.startswith("-") and any(c in "123456789" for c in mantissa)


def _cut(text: str) -> str:
    """``text`` cut in its middle past 40 characters, saying how long it is."""
    return f"{text[:20]}...{text[-12:]} ({len(text):,} characters)" if len(text) > 40 else text


def shown_number(text: str) -> str:
    """A number's text for a message: as written (:func:`_cut` past 40 characters), its
    controls escaped (core.common.text_file.shown_line)."""
    return shown_line(_cut(text))


def check_max_distance(max_distance_m: Any) -> float:
    """The maximum snapping distance as a finite number of metres, at least MIN_DISTANCE_M
    and at most MAX_DISTANCE_LIMIT_M, or ReleaseInputError showing the value as it was written
    (written_number). Why: the limit's message showed the float the value became
    ("123,456,789,012,345,683,968 m" for 123456789012345678901, a 300-digit number for
    1e308); 1e-400, which a float reads as 0, was called not positive; and
    100000.00000000000000001 was taken as 100,000 m. The value is compared as written
    (a Decimal), and a positive one a float holds only as 0 is refused as too small."""
    text = written_number(max_distance_m)
    if isinstance(max_distance_m, bool) or not _DECIMAL_TEXT.fullmatch(text):
        raise ReleaseInputError(
            "The maximum distance must be a positive number of metres (digits, a point, an "
            f"exponent), not {_cut(text)!r}"
        )
    if not written_positive(text):
        raise ReleaseInputError(
            f"The maximum distance must be a positive number of metres, not {shown_number(text)}"
        )
    distance = float(text)
    exact = decimal.Decimal(text, context=_NO_TRAPS)  # (NaN: an exponent past Decimal's)
    if distance == math.inf or (not exact.is_nan() and exact > LIMIT_EXACT):
        raise ReleaseInputError(
            f"The maximum distance {shown_number(text)} m is more than "
            f"{MAX_DISTANCE_LIMIT_M:,.0f} m: a map point that far from a crime is no street near "
            "it (map points of another area?). police.uk uses 20,000 m"
        )
    if distance == 0:
        raise ReleaseInputError(
            f"The maximum distance {shown_number(text)} m is too small a number to compute with "
            "(it reads as 0 m): give a distance in metres such as 20000, as police.uk uses"
        )
    if not exact.is_nan() and exact < MIN_EXACT:
        raise ReleaseInputError(
            f"The maximum distance {shown_number(text)} m is less than {MIN_DISTANCE_M:,.0f} m: "
            "nearly every crime would be published without a location, as farther than that "
            "from every map point (metres written as kilometres?). police.uk uses 20,000 m"
        )
    return distance
