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

from functools import partial
from pathlib import Path
from typing import Any, Callable, Optional

from .file_beside import DEADLINE_S, MIN_BYTES, FileBeside, plain_file
from .output_reader import Artifact, add_firsts, read_file


def read_recorded(path: Path, name: str, in_folder: bool) -> tuple[Artifact, list]:
    """In the child: read_file with the strings recorded (see the module)."""
    firsts: list = []
    art = read_file(path, name=name, in_folder=in_folder, csv_firsts=firsts)
    return art, firsts


class CsvBeside(FileBeside):
    """read_file(path) of one CSV, its parse run by a forked child; see the module."""

    def __init__(
        self,
        path: Path,
        name: str,
        in_folder: bool,
        read: Callable[[Path, str, bool], Any] = read_recorded,
        deadline_s: float = DEADLINE_S,
        niceness: int = 0,
    ) -> None:
        """Fork the child now (OSError when it cannot be forked). ``read``: what the child
        calls (tests give others, to see a failing child handled); ``niceness``: the child
        runs that much nicer (FileBeside)."""
        work = partial(read, path, name, in_folder)
        super().__init__(path, name, in_folder, work, deadline_s, niceness)

    @classmethod
    def start(
        cls, output: Any, min_bytes: int = MIN_BYTES, niceness: int = 0
    ) -> Optional[CsvBeside]:
        """The read started (its child ``niceness`` steps nicer); None when ``output`` is not
        a plain .csv file of ``min_bytes`` or more, a child cannot run beside
        (forked.available), another Python thread runs (forked.alone) or the fork fails:
        the caller reads it."""
        path = plain_file(output, (".csv",), min_bytes)
        if path is None:
            return None
        try:
            return cls(path, path.name, False, niceness=niceness)
        except OSError:
            return None

    def artifact(self) -> Artifact:
        """read_file(path): from the child's read, or (it failed) a read here."""
        art = self._collect()
        if art is None:
            return read_file(self.path, name=self.name, in_folder=self.in_folder)
        self.from_child = True
        return art

    def _collect(self) -> Optional[Artifact]:
        answer = self._answer()
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
