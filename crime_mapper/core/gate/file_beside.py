"""What the gate's read-ahead of one output file by a forked child shares (csv_beside,
gpkg_beside): when a file is worth a child, the child's answer taken once within its
deadline, and the child stopped when the gate ends without asking.

Why a base: the two readers differ only in what the child reads and how its answer becomes
the artifact; their eligibility, deadline and clean-up are one policy, so they stay one."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Optional

from ..common import forked
from .output_reader import Artifact

# a child slower than this is given up (killed): the file read here
DEADLINE_S = forked.ANSWER_DEADLINE_S
MIN_BYTES = 8 << 20  # smaller files are read here faster than a child is heard back from
#: How much nicer (os.nice) a child reads a file whose answer the gate needs only after other
#: work of this process (leak_gate.read_ahead's ``behind``: a release's GeoPackage, checked
#: after its CSV). Why: this process then reads the CSV on a thread while it computes the
#: raw side's string views (one interpreter lock: at most one core), beside the GeoPackage's
#: child and the array views' child; at the same priority the three shared two cores evenly,
#: so this process, which the gate waits for first, got some two thirds of one, and its CSV
#: was read and checked at 4.2-4.4 s. The GeoPackage's child nicer takes what this process
#: leaves and its answer is still in before the CSV's checks end (the national CSV and
#: GeoPackage: 4.5-4.8 s against 5.2-5.4 s; niceness 5, 15 and 19 within the noise of 10).
BEHIND_NICENESS = 10


def plain_file(output: Any, suffixes: tuple[str, ...], min_bytes: int) -> Optional[Path]:
    """The path of ``output`` when a child should read it: a plain file (not a link) named
    with one of ``suffixes``, of ``min_bytes`` or more, with a child able to run beside
    (forked.available) and no other Python thread running (forked.alone); else None."""
    try:
        if not isinstance(output, (str, Path)):
            return None
        path = Path(output)
        if path.suffix.lower() not in suffixes or path.is_symlink():
            return None
        if not path.is_file() or path.stat().st_size < min_bytes:
            return None
        if forked.available() and forked.alone():
            return path
    except OSError:
        pass
    return None


class FileBeside:
    """read_file(path) of one output, its reading run by a forked child (subclasses say
    what the child reads, :meth:`artifact` how its answer becomes the artifact)."""

    def __init__(
        self,
        path: Path,
        name: str,
        in_folder: bool,
        work: Callable[[], Any],
        deadline_s: float,
        niceness: int = 0,
    ) -> None:
        """Fork the child now, running ``work`` ``niceness`` steps nicer than this process
        (os.nice; 0: as high; OSError when it cannot be forked)."""
        self.path = path
        self.name = name
        self.in_folder = in_folder
        self.deadline_s = deadline_s
        self.from_child = False  # whether the artifact came from the child's read (tests)
        self.niceness = niceness  # how much nicer the child runs (0: as high as this process)

        def read(_call: Any) -> Any:
            if niceness > 0:
                forked.lower_priority(niceness)
            return work()

        self._call: Optional[forked.ForkedCall[Any]] = forked.ForkedCall(read)

    def artifact(self) -> Artifact:
        raise NotImplementedError

    def result(self) -> tuple[str, list[Artifact]]:
        """read_output(path)."""
        return str(self.path), [self.artifact()]

    def _answer(self) -> Any:
        """The child's answer, once; None when it failed or was late (it is then killed)."""
        call, self._call = self._call, None
        return None if call is None else call.answer_within(self.deadline_s)

    def stop(self) -> None:
        """The child killed and waited for (nothing if it has left already)."""
        call, self._call = self._call, None
        if call is not None:
            call.kill()

    def __str__(self) -> str:
        return str(self.path)

    def __fspath__(self) -> str:
        return os.fspath(self.path)
