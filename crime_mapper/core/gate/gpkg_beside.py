"""A GeoPackage read by a forked child beside the gate's own process (issue 15).

Why: the gate on a national release reads the public CSV (pandas: 1.8-2.9 s CPU) and the
public GeoPackage (SQLite's scans and the values' split: 2.8-4 s CPU) and computes the raw
side's views (some 2.5 s), all in one process whose threads take turns on Python's lock.
A child forked before the reads (core.common.forked: only where the caller asks, a
process of its own, no other Python thread running) reads the GeoPackage on the second
core while this process computes the views and reads and checks the CSV.

The child sends back what :func:`core.io.gpkg_read.read_geopackage` gave (its tables'
distinct values as lists, vertices, metadata texts) and, in place of a table's Longitude
and Latitude pairs, the coordinates the artifact takes from them
(output_reader.gpkg_pair_coords: the pairs parsed in the child, which has time to spare
beside this process's CSV, where unpickling and parsing 300,000 pairs of text was about 1 s
of the national gate's last, one-process step). This process makes the Artifact from it
exactly as output_reader.read_file does (output_reader's ``gpkg_contents`` and
``gpkg_coords``): the same lists added in the same order give the very same sets here
(the child was forked from this process: the same string hashes), so the artifact, and
every verdict and example drawn from it, is the one a read here gives.

Failure: if the child fails in any way (an error, killed, out of memory, a value that is
not a GeoPackage's contents) or has not answered within ``deadline_s`` (it is killed), the
file is read here, as without it: the same artifact, later. Nothing the child sends can
make the gate pass what a read here would refuse.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from ..io.gpkg_read import GpkgContents, GpkgTable, read_geopackage
from .file_beside import DEADLINE_S, MIN_BYTES, FileBeside, plain_file
from .output_reader import (
    GPKG_SUFFIXES,
    Artifact,
    PairCoords,
    gpkg_pair_coords,
    read_file,
    read_options,
)


class GpkgBeside(FileBeside):
    """read_file(path) of one GeoPackage, its SQLite read run by a forked child; see the
    module docstring."""

    def __init__(
        self,
        path: Path,
        name: str,
        in_folder: bool,
        read: Callable[..., Any] = read_geopackage,
        deadline_s: float = DEADLINE_S,
        niceness: int = 0,
    ) -> None:
        """Fork the child now (OSError when it cannot be forked). ``read``: what the child
        calls, read_geopackage (tests give others, to see a failing child handled);
        ``niceness``: the child runs that much nicer (FileBeside)."""
        options = read_options()
        work = partial(_read, read, path, options)
        super().__init__(path, name, in_folder, work, deadline_s, niceness)

    @classmethod
    def start(
        cls,
        output: Any,
        name: Optional[str] = None,
        in_folder: bool = False,
        min_bytes: int = MIN_BYTES,
        niceness: int = 0,
    ) -> Optional[GpkgBeside]:
        """The read started, a child forked (``niceness`` steps nicer); None when ``output``
        is not a plain GeoPackage file of ``min_bytes`` or more, a child cannot run beside
        (forked.available), another Python thread runs now (forked.alone) or the fork fails:
        the caller reads it."""
        path = plain_file(output, GPKG_SUFFIXES, min_bytes)
        if path is None:
            return None
        try:
            return cls(path, path.name if name is None else name, in_folder, niceness=niceness)
        except OSError:
            return None

    def artifact(self) -> Artifact:
        """read_file(path): from the child's read, or (it failed) a read here."""
        answer = self._answer()
        if not _is_answer(answer):
            return read_file(self.path, name=self.name, in_folder=self.in_folder)
        self.from_child = True
        contents, coords = answer
        return read_file(
            self.path,
            name=self.name,
            in_folder=self.in_folder,
            gpkg_contents=contents,
            gpkg_coords=coords,
        )


def _read(
    read: Callable[..., Any], path: Path, options: dict[str, Any]
) -> tuple[Any, list[Optional[PairCoords]]]:
    """The child's work: the file's contents, with each table's coordinates made from its
    pairs, which are then not sent (see the module)."""
    contents = read(path, **options)
    coords = gpkg_pair_coords(contents)
    for table, made in zip(contents.tables, coords):
        if made is not None:
            table.pairs = None
    return contents, coords


def _is_answer(value: Any) -> bool:
    """Whether ``value`` is what the child's work returns: contents and one table's
    coordinates (or None) per table, each (float64 longitudes, as many latitudes, the
    messages as text)."""
    if not (type(value) is tuple and len(value) == 2 and _is_contents(value[0])):
        return False
    contents, coords = value
    if type(coords) is not list or len(coords) != len(contents.tables):
        return False
    return all(made is None or _is_pair_coords(made) for made in coords)


def _is_pair_coords(made: Any) -> bool:
    if type(made) is not tuple or len(made) != 3:
        return False
    lon, lat, found = made
    return (
        all(type(a) is np.ndarray and a.dtype == np.float64 and a.ndim == 1 for a in (lon, lat))
        and lon.size == lat.size
        and type(found) is list
        and all(type(t) is str for t in found)
    )


def _is_contents(value: Any) -> bool:
    """Whether ``value`` has the shape of read_geopackage's answer (anything else is not
    trusted: the file is read here)."""
    if type(value) is not GpkgContents:
        return False
    if not isinstance(value.tables, list) or not isinstance(value.metadata_text, list):
        return False
    if not all(type(t) is str for t in value.metadata_text):
        return False
    for table in value.tables:
        if type(table) is not GpkgTable or not isinstance(table.distinct, dict):
            return False
        if not all(isinstance(v, list) for v in table.distinct.values()):
            return False
        if not (isinstance(table.x, np.ndarray) and isinstance(table.y, np.ndarray)):
            return False
        if type(table.declared_text) is not list or not all(
            type(t) is str for t in table.declared_text
        ):
            return False
        if type(table.definition) is not str:
            return False
    return True
