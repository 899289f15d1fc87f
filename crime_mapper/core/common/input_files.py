"""Which of a user's input files are the same file given twice.

Why: the web map and the neighbourhood summaries take folders, zips and files, and add up
every street table they find. The same month given twice (a path repeated, a folder and a
file inside it, a monthly zip and the folder it was unpacked to) was counted twice, with no
word: a public page showing double the crimes. Same bytes is the test, whatever the names:
sizes first, and only files of equal size are hashed, so inputs that differ cost nothing.
No QGIS, no pandas.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Optional, Union

Item = Union[bytes, Path]


def _size(item: Item) -> int:
    return len(item) if isinstance(item, bytes) else item.stat().st_size


def _digest(item: Item) -> bytes:
    if isinstance(item, bytes):
        return hashlib.sha256(item).digest()
    digest = hashlib.sha256()
    with open(item, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.digest()


def first_repeat(found: Sequence[tuple[str, Item]]) -> Optional[tuple[str, str]]:
    """The display names of two of ``found`` (display name, bytes or file) that hold the
    same bytes, in the order given, else None."""
    by_size: dict[int, list[int]] = {}
    for i, (_name, item) in enumerate(found):
        by_size.setdefault(_size(item), []).append(i)
    for indexes in by_size.values():
        if len(indexes) < 2:
            continue
        seen: dict[bytes, int] = {}
        for i in indexes:
            digest = _digest(found[i][1])
            if digest in seen:
                return found[seen[digest]][0], found[i][0]
            seen[digest] = i
    return None
