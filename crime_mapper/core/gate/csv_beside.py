"""A public CSV read by a forked child beside the gate's own process (issue 15).

Why: pandas' parse of a national public CSV and the distinct values of its columns (some
2.9 s CPU, loaded machine) hold Python's lock for most of it, so a thread cannot run them
beside the raw side's views. A child forked before the gate's first call
(core.common.forked: only where the caller asks, a process of its own, no other Python
thread running) reads the file as output_reader.read_file does, but sends back, instead of
the artifact's string set, each column's distinct cells as first occurrences in row order
(output_reader's ``csv_firsts``; some 470,000 strings nationally); this process builds
the set from them (output_reader.add_firsts): a set built from first occurrences is, slot
for slot, the set built from the whole column (the child was forked from this process: the
same string hashes), so the artifact, its set's order and every verdict and example are
those of a read here. An error artifact (not UTF-8, a NUL, unreadable) comes back whole.

Failure: a child that fails in any way (an error, killed, past ``deadline_s``, an answer
of the wrong shape, a column of cells that are not all str) leaves the file to be read
here, as without it: the same artifact, later.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Optional

from ..common import forked
from .output_reader import Artifact, add_firsts, read_file

DEADLINE_S = 600.0  # a child slower than this is given up (killed): the file read here
MIN_BYTES = 8 << 20  # smaller files are read here faster than a child is heard back from


def read_recorded(path: Path, name: str, in_folder: bool) -> tuple[Artifact, list]:
    """In the child: read_file with the strings recorded (see the module)."""
    firsts: list = []
    art = read_file(path, name=name, in_folder=in_folder, csv_firsts=firsts)
    return art, firsts


class CsvBeside:
    """read_file(path) of one CSV, its parse run by a forked child; see the module."""

    def __init__(
        self,
        path: Path,
        name: str,
        in_folder: bool,
        read: Callable[[Path, str, bool], Any] = read_recorded,
        deadline_s: float = DEADLINE_S,
    ) -> None:
        """Fork the child now (OSError when it cannot be forked). ``read``: what the child
        calls (tests give others, to see a failing child handled)."""
        self.path = path
        self.name = name
        self.in_folder = in_folder
        self.deadline_s = deadline_s
        self.from_child = False  # whether the artifact came from the child's read (tests)
        self._call: Optional[forked.ForkedCall[Any]] = forked.ForkedCall(
            lambda _call: read(path, name, in_folder)
        )

    @classmethod
    def start(cls, output: Any, min_bytes: int = MIN_BYTES) -> Optional[CsvBeside]:
        """The read started; None when ``output`` is not a plain .csv file of ``min_bytes``
        or more, a child cannot run beside (forked.available), another Python thread runs
        (forked.alone) or the fork fails: the caller reads it."""
        try:
            if not isinstance(output, (str, Path)):
                return None
            path = Path(output)
            if path.suffix.lower() != ".csv" or path.is_symlink() or not path.is_file():
                return None
            if path.stat().st_size < min_bytes:
                return None
            if forked.available() and forked.alone():
                return cls(path, path.name, False)
        except OSError:
            pass
        return None

    def artifact(self) -> Artifact:
        """read_file(path): from the child's read, or (it failed) a read here."""
        art = self._collect()
        if art is None:
            return read_file(self.path, name=self.name, in_folder=self.in_folder)
        self.from_child = True
        return art

    def result(self) -> tuple[str, list[Artifact]]:
        """read_output(path)."""
        return str(self.path), [self.artifact()]

    def _collect(self) -> Optional[Artifact]:
        call, self._call = self._call, None
        if call is None:
            return None
        try:
            if not call.ready(self.deadline_s):
                call.kill()
                return None
            answer = call.result()
        except Exception:  # noqa: BLE001 - the child failed: the file is read here
            call.kill()
            return None
        if not (isinstance(answer, tuple) and len(answer) == 2):
            return None
        art, firsts = answer
        if type(art) is not Artifact or not isinstance(firsts, list) or art.strings:
            return None
        if art.kind == "error":
            return art if not firsts else None
        if art.kind != "csv" or art.name != self.name:
            return None
        if not all(isinstance(f, tuple) and len(f) == 2 for f in firsts):
            return None
        if not all(f[0] is None or isinstance(f[0], list) for f in firsts):
            return None
        return art if add_firsts(art, firsts) else None

    def stop(self) -> None:
        """The child killed and waited for (nothing if it has left already)."""
        call, self._call = self._call, None
        if call is not None:
            call.kill()

    def __str__(self) -> str:
        return str(self.path)

    def __fspath__(self) -> str:
        return os.fspath(self.path)
