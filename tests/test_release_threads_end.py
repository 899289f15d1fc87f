"""A release that is refused or cancelled leaves no thread of its own at work.

Why: the release starts the salt's fingerprint and the leak gate's warm-up on threads while
it reads and anonymises. Left running after a failure they burn seconds of CPU nobody uses,
and while any thread is alive no child may be forked (core.common.forked.alone), so the next
release in the same process would lose its read-ahead children.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from crime_mapper.core.common.feedback import Cancelled, Feedback
from crime_mapper.core.gate import leak_gate
from crime_mapper.core.release.pipeline import run_anonymise
from crime_mapper.core.release.release_files import ReleaseInputError
from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE

OURS = ("leak gate warm-up", "salt-fingerprint")


def ours_alive() -> list[str]:
    return sorted(t.name for t in threading.enumerate() if t.name in OURS)


@pytest.fixture
def slow_warm_up(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The warm-up takes a second per view (the national month's views take about that), and
    records the views it began."""
    begun: list[str] = []
    real = leak_gate._compute_views

    def slow(prepared, more=(), stop=None):
        for view in leak_gate._ALWAYS_NEEDED + tuple(more):
            if stop is not None and stop.is_set():
                return
            begun.append(view)
            time.sleep(1.0)
        real(prepared, more, stop)

    monkeypatch.setattr(leak_gate, "_compute_views", slow)
    return begun


class CancelAfterTheLoad(Feedback):
    """Cancels while the crimes are anonymised (the warm-up has started by then)."""

    def __init__(self) -> None:
        self.cancelled = False

    def set_progress(self, percent: float) -> None:
        if percent > 40:  # (pipeline._CRIMES_END)
            self.cancelled = True

    def is_cancelled(self) -> bool:
        return self.cancelled


def test_a_cancelled_release_stops_the_gate_warm_up(release_inputs, tmp_path: Path, slow_warm_up):
    with pytest.raises(Cancelled):
        run_anonymise(
            [FORCE_EXTRACT],
            release_inputs["points"],
            profile_path=FORCE_PROFILE,
            salt_file=release_inputs["salt"],
            output_dir=tmp_path / "release",
            feedback=CancelAfterTheLoad(),
        )
    assert ours_alive() == []
    assert len(slow_warm_up) < len(leak_gate._ALWAYS_NEEDED)  # (stopped, not finished)
    assert not (tmp_path / "release").exists() or not any((tmp_path / "release").iterdir())


def test_a_refused_input_leaves_no_fingerprint_thread(
    release_inputs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from crime_mapper.core.release import public_schema

    started = threading.Event()
    real = public_schema.salt_fingerprint

    def slow(salt):
        started.set()
        time.sleep(1.0)  # (a slower machine's key derivation)
        return real(salt)

    monkeypatch.setattr(public_schema, "salt_fingerprint", slow)
    bad = tmp_path / "2022-10-bad-street.csv"
    bad.write_bytes(b"\x00\x01 not a crimes file\r\n")
    with pytest.raises(ReleaseInputError):
        run_anonymise(
            [bad],
            release_inputs["points"],
            salt_file=release_inputs["salt"],
            output_dir=tmp_path / "release",
        )
    assert started.is_set()  # (refused while the fingerprint was under way)
    assert ours_alive() == []
