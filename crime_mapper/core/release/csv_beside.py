"""The public CSV of a release written by a forked child while this process's leak gate
checks the very cells it writes (core.common.forked).

Why: with no GeoPackage to make beside it (``cli anonymise --no-gpkg``, the issue's
command), a release ends on one core: the CSV written (1.2-1.3 s nationally: its rows
joined, encoded and written, Python holding the interpreter's lock), then gated (1.5-1.7 s).
The gate checks the cells as written (core.gate.output_reader.read_written_csv), which
exist before a byte is written, so the two can overlap on two cores: the child writes the
file from the cells prepared here (public_schema.prepare_public_csv), the gate checks
them here, then proves that the file holds exactly the bytes written from them (its size
and SHA-256, taken afresh), or reads the file as any other.

The contract is that of the same work done in this process (public_schema
.write_public_csv, then the gate on what it returned): the same file, the same report,
the same failures.

- The child writes only the staged CSV; the caller's stage moves it into place or removes
  it, with the rest of the release. It sends back the SHA-256 and size of the bytes it
  wrote and whether they hold a NUL; this process makes the WrittenCsv from its own cells.
- A child that dies, is killed or sends back anything else is an error raised here (the
  release fails and nothing is replaced); its own error (a full disk) is raised here as
  the write's, as it would have been raised in this process.
- The caller's failure, or a cancel, stops the child (:meth:`Beside.stop`) before its stage
  is discarded, so nothing writes into a staged folder being removed.

Only where the caller asks (a process of its own: the command line, never a QGIS
session; core.common.forked.available) and when no other Python thread runs
(core.common.forked.alone); otherwise :func:`start` returns None and the caller writes the
file itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Union

import pandas as pd

from ..common.feedback import Feedback
from .public_schema import (
    CsvBeingWritten,
    PreparedCsv,
    WrittenCsv,
    prepare_public_csv,
    write_prepared_csv,
)

#: what the child sends back: the SHA-256 and size of the bytes written, and whether a
#: NUL was written
Written = tuple[bytes, int, bool]


def write_here(prepared: PreparedCsv, path: Path) -> Written:
    """The child's work: the file written, and what the caller needs to know of it."""
    written = write_prepared_csv(prepared, path)
    return written.sha256, written.size, prepared.plain and not written.plain


class Beside:
    """The CSV's write in a forked child (see the module docstring)."""

    def __init__(self, call: Any, prepared: PreparedCsv, path: Path) -> None:
        self._call = call  # core.common.forked.ForkedCall
        self._prepared = prepared
        self._path = path
        self._outcome: Union[WrittenCsv, BaseException, None] = None
        self._feedback: Optional[Feedback] = None

    def being_written(self, feedback: Optional[Feedback] = None) -> CsvBeingWritten:
        """The output the leak gate checks while the child writes it (``feedback``: the
        caller's cancel, checked while the gate waits for the child)."""
        self._feedback = feedback
        return CsvBeingWritten(self._path, self._prepared, self.result)

    def result(self) -> WrittenCsv:
        """Wait for the child: the CSV as written from this process's cells (the child's
        error raised here, every time it is asked)."""
        if self._outcome is None:
            try:
                sent = self._call.result(self._feedback)
                if not _well_formed(sent):  # (fail closed on anything else)
                    raise RuntimeError(
                        "the public CSV's child process sent back no account of what it "
                        "wrote; nothing was moved into place"
                    )
                sha256, size, nul = sent
                self._outcome = self._prepared.written(self._path, sha256, size, nul)
            except BaseException as exc:  # noqa: BLE001 - kept, raised at every asking
                self._outcome = exc
        if isinstance(self._outcome, BaseException):
            raise self._outcome
        return self._outcome

    def stop(self) -> None:
        """Stop the child (if still running) and wait for it to leave."""
        self._call.stop()


def _well_formed(sent: object) -> bool:
    return (
        isinstance(sent, tuple)
        and len(sent) == 3
        and isinstance(sent[0], bytes)
        and len(sent[0]) == 32
        and isinstance(sent[1], int)
        and not isinstance(sent[1], bool)
        and sent[1] >= 0
        and isinstance(sent[2], bool)
    )


def start(prepared: PreparedCsv, path: Path) -> Optional[Beside]:
    """:func:`write_here` started in a forked child, or None when no child may be forked now
    (no second core, or another Python thread runs: the caller writes the file)."""
    from ..common.forked import ForkedCall, alone, available

    if not (available() and alone()):
        return None
    return Beside(ForkedCall(lambda _call: write_here(prepared, path)), prepared, Path(path))


def write(public: pd.DataFrame, path: Path) -> tuple[Optional[Beside], Optional[WrittenCsv]]:
    """The public table's CSV at ``path``: (its child, None) when a child writes it (a plain
    table, and a child may be forked now), else (None, what this process wrote)."""
    prepared = prepare_public_csv(public)
    child = start(prepared, path) if prepared.plain else None
    if child is not None:
        return child, None
    return None, write_prepared_csv(prepared, path)
