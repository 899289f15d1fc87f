"""A GeoPackage read by a forked child beside the gate's own process (issue 15).

Why: the gate on a national release reads the public CSV (pandas: 1.8-2.9 s CPU) and the
public GeoPackage (SQLite's scans and the values' split: 2.8-4 s CPU) and computes the raw
side's views (some 2.5 s), all in one process whose threads take turns on Python's lock.
A child forked before the reads (core.common.forked: only where the caller asks, a
process of its own, no other Python thread running) reads the GeoPackage on the second
core while this process computes the views and reads and checks the CSV.

The child sends back what :func:`core.io.gpkg_read.read_geopackage` gave (its tables'
distinct values as lists, pairs, vertices, metadata texts), and this process makes the
Artifact from it exactly as output_reader.read_file does (output_reader's
``gpkg_contents``): the same lists added in the same order give the very same sets here
(the child was forked from this process: the same string hashes), so the artifact, and
every verdict and example drawn from it, is the one a read here gives.

Failure: if the child fails in any way (an error, killed, out of memory, a value that is
not a GeoPackage's contents) or has not answered within ``deadline_s`` (it is killed), the
file is read here, as without it: the same artifact, later. Nothing the child sends can
make the gate pass what a read here would refuse.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from ..io.gpkg_read import GpkgContents, GpkgTable, read_geopackage
from .file_beside import DEADLINE_S, MIN_BYTES, FileBeside, plain_file
from .output_reader import GPKG_SUFFIXES, Artifact, read_file, read_options


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
    ) -> None:
        """Fork the child now (OSError when it cannot be forked). ``read``: what the child
        calls, read_geopackage (tests give others, to see a failing child handled)."""
        options = read_options()
        super().__init__(path, name, in_folder, lambda: read(path, **options), deadline_s)

    @classmethod
    def start(
        cls,
        output: Any,
        name: Optional[str] = None,
        in_folder: bool = False,
        min_bytes: int = MIN_BYTES,
    ) -> Optional[GpkgBeside]:
        """The read started, a child forked; None when ``output`` is not a plain GeoPackage
        file of ``min_bytes`` or more, a child cannot run beside (forked.available),
        another Python thread runs now (forked.alone) or the fork fails: the caller reads
        it."""
        path = plain_file(output, GPKG_SUFFIXES, min_bytes)
        if path is None:
            return None
        try:
            return cls(path, path.name if name is None else name, in_folder)
        except OSError:
            return None

    def artifact(self) -> Artifact:
        """read_file(path): from the child's read, or (it failed) a read here."""
        answer = self._answer()
        if not _is_contents(answer):
            return read_file(self.path, name=self.name, in_folder=self.in_folder)
        self.from_child = True
        return read_file(self.path, name=self.name, in_folder=self.in_folder, gpkg_contents=answer)


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
    return True
