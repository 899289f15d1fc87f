"""Two street tables that hold the same force's month: counted twice, unless refused.

Why: the web map and the summaries' history add up every street table they are given.
Byte-identical copies are refused already (core.common.input_files), but a month saved again
with other line endings, or re-exported, is other bytes: every figure of that month was
doubled on the public page (9,370 crimes for 4,685), and each "change on the previous month"
beside it was wrong. A force's month comes from one file; two files that share one are the
same month given twice. No QGIS.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Optional

import pandas as pd

from ..common.vocabulary import FILE_MONTH

# police.uk's file names: "<month>[_<month>]-<force>-street.csv" (the release's own too)
_MONTHS_PREFIX = re.compile(rf"^{FILE_MONTH}(?:_{FILE_MONTH})*-")
_STREET_SUFFIX = re.compile(r"-street\.csv$", re.IGNORECASE)


def force_of_name(name: str) -> str:
    """The force part of a street file's name ("leicestershire" for
    "2022-10-leicestershire-street.csv"; the whole name, lowercased, when it is not
    police.uk's pattern), for a reader that does not read the Falls within column."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return _STREET_SUFFIX.sub("", _MONTHS_PREFIX.sub("", base)).strip().lower()


def month_force_pairs(frame: pd.DataFrame) -> set[tuple[str, str]]:
    """The (Month, Falls within) pairs a police.uk street table holds."""
    pairs = frame[["Month", "Falls within"]].drop_duplicates()
    return {(str(m).strip(), str(f).strip()) for m, f in pairs.itertuples(index=False)}


def first_overlap(
    tables: Sequence[tuple[str, Iterable[tuple[str, str]]]],
) -> Optional[tuple[str, str, str, str]]:
    """(first file, second file, month, force) of two tables, given as (display name,
    (month, force) pairs), that share a force's month, else None. Forces are compared as a
    reader reads them, in any case and spacing ("LEICESTERSHIRE POLICE" in a re-saved copy
    is the same force: its month was counted twice)."""
    seen: dict[tuple[str, str], int] = {}
    for number, (name, pairs) in enumerate(tables):
        for pair in sorted(set(pairs)):
            key = (pair[0], " ".join(pair[1].split()).casefold())
            if seen.get(key, number) != number:  # (two files may share a display name)
                return tables[seen[key]][0], name, pair[0], pair[1]
            seen[key] = number
    return None


def overlap_message(found: tuple[str, str, str, str]) -> str:
    first, second, month, force = found
    return (
        f"{first} and {second} both hold {force or 'the same force'}'s street crimes for "
        f"{month}: every crime of that month would be counted twice. Give each force's month "
        "once"
    )
