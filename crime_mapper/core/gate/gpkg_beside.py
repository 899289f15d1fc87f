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

import os
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from ..common import forked
from ..io.gpkg_read import GpkgContents, GpkgTable, read_geopackage
from .output_reader import GPKG_SUFFIXES, Artifact, read_file, read_options

# a child's read slower than this is given up (killed) and the file is read here instead
DEADLINE_S = 600.0
# smaller files are read here faster than a child is forked and heard back from
MIN_BYTES = 8 << 20


class GpkgBeside:
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
        self.path = path
        self.name = name
        self.in_folder = in_folder
        self.deadline_s = deadline_s
        self.from_child = False  # whether the artifact came from the child's read (tests)
        options = read_options()
        self._call: Optional[forked.ForkedCall[Any]] = forked.ForkedCall(
            lambda _call: read(path, **options)
        )

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
        try:
            if not isinstance(output, (str, Path)):
                return None
            path = Path(output)
            if path.suffix.lower() not in GPKG_SUFFIXES or path.is_symlink():
                return None
            if not path.is_file() or path.stat().st_size < min_bytes:
                return None
            if forked.available() and forked.alone():
                return cls(path, path.name if name is None else name, in_folder)
        except OSError:
            pass
        return None

    def artifact(self) -> Artifact:
        """read_file(path): from the child's read, or (it failed) a read here."""
        contents = self._collect()
        if contents is None:
            return read_file(self.path, name=self.name, in_folder=self.in_folder)
        self.from_child = True
        return read_file(
            self.path, name=self.name, in_folder=self.in_folder, gpkg_contents=contents
        )

    def result(self) -> tuple[str, list[Artifact]]:
        """read_output(path)."""
        return str(self.path), [self.artifact()]

    def _collect(self) -> Optional[GpkgContents]:
        call, self._call = self._call, None
        if call is None:
            return None
        try:
            if not call.ready(self.deadline_s):  # (stuck: given up, the file read here)
                call.kill()
                return None
            value = call.result()
        except Exception:  # noqa: BLE001 - the child failed: the file is read here
            call.kill()
            return None
        return value if _is_contents(value) else None

    def stop(self) -> None:
        """The child killed and waited for (nothing if it has left already)."""
        call, self._call = self._call, None
        if call is not None:
            call.kill()

    def __str__(self) -> str:
        return str(self.path)

    def __fspath__(self) -> str:
        return os.fspath(self.path)


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
