"""The public GeoPackage of a release written, frozen and leak-gated in a forked child
beside the public CSV's write and gate (core.common.forked).

Why: in a release the anonymise step ends with the public files, one after the other on
one core: the CSV written and gated, the GeoPackage written, frozen and gated, the style
gated. The GeoPackage's part (its write alone some 2.5-3.5 s nationally) needs nothing the
CSV's part makes, and both are mostly Python holding the interpreter's lock, so a thread
cannot overlap them; a child process forked once the public table exists can, on the
second core, while this process writes and gates the CSV.

The contract is that of the same work done in this process (pipeline.run_anonymise
without ``fork_gpkg``): the same files, the same reports, the same failures.

- The child writes only the staged GeoPackage; the caller's stage moves it into place or
  removes it, with the rest of the release. The style is written by the caller before the
  fork (QGIS writes it; the child never calls QGIS); it may be gated in the child (``qml``),
  but the release gates it here after the CSV: the child's side is the longer one
  (national CPU: GeoPackage write 3.1 s and gate 1.5, against CSV write 2.0 and gate 2.0).
- It sends back the GeoPackage's (and the style's) gate report, and the SHA-256 it took of
  the staged GeoPackage, which this process remembers for the manifest
  (release_files.remember_digest: the same file, device, inode, size and time).
- A child that dies, is killed or sends back what cannot be read is an error raised here
  (the release fails and nothing is replaced: the gate fails closed); the child's own
  error is raised here as it would have been raised in this process.
- The caller's failure, or a cancel, stops the child (:meth:`Beside.stop`) before its stage
  is discarded, so nothing writes into a staged folder being removed.

Only where the caller asks (a process of its own: the command line, the dock's release
process, never a QGIS session; core.common.forked.available) and when no other Python
thread runs (core.common.forked.alone); otherwise :func:`start` returns None and the caller
does the work itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from ..common.feedback import Feedback

#: write(feedback) -> the written GeoPackage as the gate reads it (a WrittenGpkg or path)
GpkgWriter = Callable[[Feedback], Any]
#: check(output) -> the gate's report on it (GateReport)
GateCall = Callable[[Any], Any]


@dataclass
class GpkgGated:
    """What the child sends back: the gate's reports and the digests it remembered."""

    report: Any  # core.gate.leak_gate.GateReport of the GeoPackage
    style: Optional[Any] = None  # ...of the style beside it (None: no style)
    #: (file identity, hex SHA-256) remembered in the child (release_files.remember_digest)
    digests: list[tuple[tuple, str]] = field(default_factory=list)


def gpkg_work(
    write: GpkgWriter, check: GateCall, gpkg: Path, qml: Optional[Path], feedback: Feedback
) -> GpkgGated:
    """Write the GeoPackage, gate it and the style, and make sure its SHA-256 is known:
    the child's work (also run as it is by tests)."""
    from .release_files import file_entry, remembered_digests

    before = remembered_digests()
    written = write(feedback)
    feedback.check()
    report = check(written)
    del written
    style = check(qml) if qml is not None else None
    # the gate hashed the file afresh when it proved it its writer's bytes; else hash it here
    # (the manifest then reads it no more than it would have in the caller)
    try:
        file_entry(gpkg, reuse=True)
    except OSError:  # (the manifest's own reading reports it)
        pass
    after = remembered_digests()
    return GpkgGated(
        report, style, [(key, value) for key, value in after.items() if before.get(key) != value]
    )


#: Raw-side views the GeoPackage's and the style's checks make that this process makes too,
#: for the CSV's check or the release's later folders (summaries, web map): the GeoPackage's
#: read views (core.gate.leak_gate) and these (tests/test_gpkg_beside.py keeps the list true)
SHARED_VIEWS: tuple[str, ...] = ("hex_references", "public_fragments", "raw_released_sorted")


def views_first(gate: Any) -> None:
    """Compute here, before the fork, the raw-side views both this process and the child
    need, on the release gate's base: the child inherits them, and this process keeps them
    for its own gate calls, so that none is made twice (in each process). A view that fails
    is left uncomputed (the check that needs it computes it again and fails closed)."""
    from ..gate.leak_gate import GEOPACKAGE_READ_VIEWS

    base = gate.prepared()  # (no extras: the base; waits for any warm-up)
    for name in GEOPACKAGE_READ_VIEWS + SHARED_VIEWS:
        try:
            getattr(base, name)
        except Exception:  # noqa: BLE001, S112 - see above
            continue


class Beside:
    """The GeoPackage's work in a forked child (see the module docstring)."""

    def __init__(self, call: Any) -> None:
        self._call = call  # core.common.forked.ForkedCall

    def result(self, feedback: Optional[Feedback] = None) -> GpkgGated:
        """Wait for the child; its reports (its error raised here). The digests it took
        are remembered in this process too."""
        from .release_files import remember_digest

        gated = self._call.result(feedback)
        if not isinstance(gated, GpkgGated):  # (fail closed on anything else)
            raise RuntimeError(
                "the public GeoPackage's child process sent back no gate report; "
                "nothing was moved into place"
            )
        for identity, digest in gated.digests:
            remember_digest(tuple(identity), str(digest))
        return gated

    def stop(self) -> None:
        """Stop the child (if still running) and wait for it to leave."""
        self._call.stop()


def start(write: GpkgWriter, check: GateCall, gpkg: Path, qml: Optional[Path]) -> Optional[Beside]:
    """The work of :func:`gpkg_work` started in a forked child, or None when no child may
    be forked now (no second core, or another Python thread runs: the caller does it)."""
    from ..common.forked import ForkedCall, alone, available

    if not (available() and alone()):
        return None
    return Beside(ForkedCall(lambda call: gpkg_work(write, check, gpkg, qml, call.feedback())))
