"""Which of a user's input files are the same file given twice, and which input folders
hold the run's own outputs.

Why: the web map and the neighbourhood summaries take folders, zips and files, and add up
every street table they find. The same month given twice (a path repeated, a folder and a
file inside it, a monthly zip and the folder it was unpacked to) was counted twice, with no
word: a public page showing double the crimes. Same bytes is the test, whatever the names:
sizes first, and only files of equal size are hashed, so inputs that differ cost nothing.
No QGIS, no pandas.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Optional, Union

from .layer_source import source_file
from .text_file import shown_path

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


def input_holding_output(
    inputs: Iterable[Union[str, os.PathLike[str]]],
    outputs: Iterable[Union[str, os.PathLike[str]]],
) -> Optional[tuple[Path, Path]]:
    """(input folder, output folder) for the first input folder that holds an output folder
    (or is one), else None.

    Why: extracts are read from folders recursively. With the outputs inside the extracts'
    folder, the next run read the last run's public CSV (and the web map's copies of it) as
    more crimes of the month: every crime published again under a new Crime ID, the counts
    doubled, and the load's account still reconciling. Paths are compared as the file system
    resolves them (links, ``..``); an output folder need not exist yet."""
    given = [Path(o) for o in outputs]
    wanted = [os.path.normcase(os.path.realpath(o)) for o in given]
    for item in inputs:
        path = Path(source_file(item))  # (a GeoPackage's "path|layername=...")
        try:
            if not path.is_dir():
                continue
        except (OSError, ValueError):
            continue  # (a name the system cannot look up, too long say: no folder of ours)
        folder = os.path.normcase(os.path.realpath(path))
        for output, real in zip(given, wanted):
            if real == folder or real.startswith(folder.rstrip(os.sep) + os.sep):
                return path, output
    return None


def holding_message(found: tuple[Path, Path]) -> str:
    """What to tell the user of :func:`input_holding_output`'s finding."""
    folder, output = found
    return (
        f"The extracts folder {shown_path(folder)} holds the output folder {shown_path(output)}: "
        "every CSV under it is read as crimes, so a run would read an earlier run's public CSV "
        "(and the web map's copies) back as more crimes of the month. Keep the outputs outside the "
        "extracts' folder"
    )


def output_clash(
    inputs: Iterable[Union[str, os.PathLike[str], None]],
    outputs: Iterable[tuple[str, Union[str, os.PathLike[str], None]]],
) -> Optional[str]:
    """Why the outputs cannot be written, when one of them is an input or two are one file
    (compared as the file system resolves them), else None. ``outputs``: (what it is, path).

    Why: a run asked to write its public layer over the crimes GeoPackage it reads, or its
    rejects over the extract, replaced the input and reported success; two outputs on one
    path kept only the last written (the audit lost under the manifest); an output that is
    an existing folder was found only when the finished files were moved into place, after
    the whole run, as an "[Errno 21] Is a directory" whose staged files stayed behind."""

    def key(path: Union[str, os.PathLike[str]]) -> str:
        return os.path.normcase(os.path.realpath(source_file(path)))

    given = {key(p): str(p) for p in inputs if p}
    seen: dict[str, str] = {}
    for what, path in outputs:
        if not path:
            continue
        here = key(path)
        if here in given:
            return (
                f"The {what} {shown_path(path)} is an input ({given[here]}): writing it would "
                "destroy it"
            )
        if os.path.isdir(source_file(path)):
            return f"The {what} {shown_path(path)} is a folder: name a file for it"
        if here in seen:
            return (
                f"The {what} and the {seen[here]} are one file ({shown_path(path)}): one would "
                "be lost"
            )
        seen[here] = what
    return None
