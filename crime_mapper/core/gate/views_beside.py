"""The raw side's array views computed by a forked child beside the gate (issue 15).

Why: of the raw-side views a release's gate computes, the coordinate keys and metres (map
points' and raw crimes' keys, their sort orders, projected axes: some 0.8 s CPU
nationally) and the references' unsalted SHA-256 digests (some 0.8 s) are numpy arrays,
cheap to send between processes, while the rest (non-public values, references: sets and
lists of strings) are not. A child forked before the gate's first call (core.common.forked:
a process of its own, no other Python thread running) computes the array views on the
second core while this process computes the others and reads the first output; they are
put into the preparation before any check runs.

Views are pure functions of the preparation's inputs, and the child is a copy of this
process made at the fork (the same inputs, the same code): its views are the ones this
process would compute. The digests are put in only when the child's references are this
process's (compared by their SHA-256 over the joined text). A child that fails (an error,
killed, a deadline passed, an answer of the wrong shape) puts nothing in: each view is
then computed here when a check needs it, as without the child (a view that failed in the
child is left to fail here, in its check, closed).
"""

from __future__ import annotations

import hashlib
from typing import Any, Callable, Optional

import numpy as np

from ..common import forked
from .context import PreparedGate

#: The array views the child computes and sends: those whose compute costs most for the
#: bytes sent (some 45 MB nationally); the cheap ones they are made from (raw and map point
#: keys, projected coordinates: milliseconds each, 60 MB) are made here if a check asks.
ARRAY_VIEWS: tuple[str, ...] = (
    "_raw_key_order",
    "allowed_keys",
    "raw_is_point",
    "raw_coordinate_keys",
    "_projected_axes",
    "raw_grid_keys",
    "timestamp_forms",
    "raw_released_sorted",
    "point_key_order",  # (the map points' keys sorted: 60 ms nationally, 12 MB)
)
#: The views a warm-up here leaves for after the child's are in: those and the cheap ones
#: made from them (else computing these here would compute the child's views again).
DEFERRED: tuple[str, ...] = ARRAY_VIEWS + ("raw_metres", "grid_known")
DIGEST_LENGTHS = (64,)  # the sha256 of every reference (a public CSV's Crime IDs)
# a child slower than this is given up (killed): the views made here
DEADLINE_S = forked.ANSWER_DEADLINE_S


class ViewsBeside:
    """ARRAY_VIEWS and the digests of one preparation, computed by a forked child."""

    def __init__(
        self,
        prepared: PreparedGate,
        deadline_s: float = DEADLINE_S,
        compute: Optional[Callable[[PreparedGate], Any]] = None,
    ) -> None:
        """Fork the child now (OSError when it cannot be forked). ``compute``: what the
        child runs (the views, :func:`compute_views`; tests give others, to see a failing
        child handled)."""
        self.prepared = prepared
        self.deadline_s = deadline_s
        self.taken: list[str] = []  # the views put into the preparation (tests)
        work = compute_views if compute is None else compute
        self._call: Optional[forked.ForkedCall[Any]] = forked.ForkedCall(
            lambda _call: work(prepared)
        )

    @classmethod
    def start(cls, prepared: PreparedGate) -> Optional[ViewsBeside]:
        """The child forked; None when the preparation borrows from a base (a release's
        preparation with extras), a child cannot run beside (forked.available), another
        Python thread runs (forked.alone) or the fork fails."""
        if prepared._base is not None or not (forked.available() and forked.alone()):
            return None
        try:
            return cls(prepared)
        except OSError:
            return None

    def collect(self) -> None:
        """Wait for the child (up to its deadline) and put what it computed into the
        preparation, each view only where this process has not computed it already;
        nothing when the child failed. Once: later calls do nothing."""
        call, self._call = self._call, None
        answer: Any = None if call is None else call.answer_within(self.deadline_s)
        if not _well_formed(answer):
            return
        views, digests, fingerprint = answer
        cache = self.prepared.__dict__
        for name in ARRAY_VIEWS:
            if name in views and name not in cache:
                cache[name] = views[name]
                self.taken.append(name)
        if digests and fingerprint == _fingerprint(self.prepared):
            for length, value in digests.items():
                if length not in self.prepared._digests:
                    self.prepared._digests[length] = value
                    self.taken.append(f"digests {length}")

    def stop(self) -> None:
        """The child killed and waited for (nothing if it has been collected)."""
        call, self._call = self._call, None
        if call is not None:
            call.kill()


def compute_views(prepared: PreparedGate) -> tuple[dict[str, Any], dict[int, Any], Optional[bytes]]:
    """In the child: (the array views it could compute, the digests, the references'
    fingerprint). A view that raises is left out (this process computes it, and fails its
    check closed, as without the child)."""
    views: dict[str, Any] = {}
    for name in ARRAY_VIEWS:
        try:
            views[name] = getattr(prepared, name)
        except Exception:  # noqa: BLE001, S112 - left to this process
            continue
    digests: dict[int, Any] = {}
    fingerprint = None
    try:
        for length in DIGEST_LENGTHS:
            digests[length] = prepared.reference_digests(length)
        fingerprint = _fingerprint(prepared)
    except Exception:  # noqa: BLE001 - left to this process
        digests = {}
    return views, digests, fingerprint


def _fingerprint(prepared: PreparedGate) -> Optional[bytes]:
    """SHA-256 of the references in their order (the digests' ``order`` indexes them)."""
    try:
        refs = prepared.references
        return hashlib.sha256("\x00".join(refs).encode("utf-8", "surrogatepass")).digest()
    except Exception:  # noqa: BLE001 - no references here: no digests taken
        return None


def _arrays(value: Any) -> bool:
    """An ndarray, None, or a tuple of ndarrays and ints (the array views' shapes)."""
    if value is None or isinstance(value, np.ndarray):
        return True
    if isinstance(value, tuple):
        return all(isinstance(v, np.ndarray) or type(v) is int for v in value)
    return False


def _well_formed(answer: Any) -> bool:
    if not (isinstance(answer, tuple) and len(answer) == 3):
        return False
    views, digests, fingerprint = answer
    if not (isinstance(views, dict) and isinstance(digests, dict)):
        return False
    if not all(name in ARRAY_VIEWS and _arrays(v) for name, v in views.items()):
        return False
    if fingerprint is not None and not isinstance(fingerprint, bytes):
        return False
    for length, value in digests.items():
        if length not in DIGEST_LENGTHS or not (
            isinstance(value, tuple) and len(value) == 3 and _arrays(value)
        ):
            return False
    return True
