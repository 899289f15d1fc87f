"""The staged public CSV and GeoPackage are hashed on a thread while the leak gate reads them,
and the manifest takes those digests (pipeline._hashed_beside, issue 15): a quarter of a
gigabyte nationally was read again on the caller's thread. The release must be byte for byte
the one hashed on the caller's thread; a file changed after it was hashed is read again; a
failure in the thread is the manifest's to report; no thread reads a staged file after the
stage ends."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from crime_mapper.core.gate import leak_gate
from crime_mapper.core.release import pipeline, release_files
from crime_mapper.core.release.map_points import write_map_points_csv
from crime_mapper.core.release.map_points_files import history_points
from tests.test_cli import FORCE_EXTRACT, FORCE_PROFILE, HISTORY, make_salt


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("hash_beside")
    points = folder / "points.csv"
    write_map_points_csv(history_points(list(HISTORY)), points)
    return {"points": points, "salt": make_salt(folder / "salt.txt")}


def _release(inputs: dict, out: Path) -> dict[str, bytes]:
    pipeline.run_anonymise(
        [FORCE_EXTRACT], str(inputs["points"]), None, inputs["salt"], out,
        profile_path=FORCE_PROFILE,
    )  # fmt: skip
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


@pytest.fixture
def remembered(monkeypatch):
    """Every file remembered (the sample's are below the 1 MiB of a national release)."""
    monkeypatch.setattr(release_files, "_REMEMBERED_FROM_BYTES", 1)
    monkeypatch.setattr(release_files, "_DIGESTS", {})


def _hashes_by_thread(monkeypatch) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    real = release_files.sha256_file

    def counted(path):
        seen.append((Path(path).name, threading.current_thread().name))
        return real(path)

    monkeypatch.setattr(release_files, "sha256_file", counted)
    return seen


def test_the_release_is_the_one_hashed_on_the_callers_thread(inputs, tmp_path, monkeypatch,
                                                             remembered):  # fmt: skip
    seen = _hashes_by_thread(monkeypatch)
    beside = _release(inputs, tmp_path / "beside")
    public = sorted((Path(f).suffix, name) for f, name in seen if "-street." in f)
    # each public file read once, on the hashing thread
    assert public == [(".csv", "sha256"), (".gpkg", "sha256")], seen
    with monkeypatch.context() as patch:
        patch.setattr(release_files, "_DIGESTS", {})
        patch.setattr(pipeline, "_hashed_beside", lambda paths: lambda: None)
        direct = _release(inputs, tmp_path / "direct")
    assert beside == direct
    assert len(beside) == 5


def test_a_file_changed_after_it_was_hashed_is_read_again(inputs, tmp_path, monkeypatch,
                                                          remembered):  # fmt: skip
    real = leak_gate.check_release
    changed = []

    def gate_then_change(crimes, path, *args, **kwargs):
        report = real(crimes, path, *args, **kwargs)
        if Path(path).suffix == ".csv":
            with open(path, "ab") as handle:  # after the thread hashed it (below)
                handle.write(b"\r\n")
            changed.append(path)
        return report

    real_beside = pipeline._hashed_beside

    def hashed_then_signal(paths):
        wait = real_beside(paths)
        wait()  # hashed before the gate starts
        return wait

    monkeypatch.setattr(leak_gate, "check_release", gate_then_change)
    monkeypatch.setattr(pipeline, "_hashed_beside", hashed_then_signal)
    out = tmp_path / "out"
    _release(inputs, out)
    assert changed
    manifest = (out / "release_manifest.json").read_text(encoding="utf-8")
    csv = next(out.glob("*.csv"))
    assert release_files.sha256_file(csv) in manifest


def test_a_failure_in_the_thread_is_left_to_the_manifest(inputs, tmp_path, monkeypatch,
                                                         remembered):  # fmt: skip
    real = release_files.file_entry

    def fails_on_the_thread(path, **kwargs):
        if threading.current_thread().name == "sha256":
            raise OSError("disk gone")
        return real(path, **kwargs)

    monkeypatch.setattr(release_files, "file_entry", fails_on_the_thread)
    failed = _release(inputs, tmp_path / "failed")
    monkeypatch.setattr(release_files, "file_entry", real)
    monkeypatch.setattr(release_files, "_DIGESTS", {})
    assert failed == _release(inputs, tmp_path / "plain")


def test_no_thread_reads_a_staged_file_after_a_failed_gate(inputs, tmp_path, monkeypatch):
    """The stage is discarded only once the hashing thread is done with its files."""
    from crime_mapper.core.common import staging

    real = release_files.sha256_file
    reads: list[str] = []
    at_discard: list[list[str]] = []
    reading, discarding = threading.Event(), threading.Event()

    def slow(path):
        if "-street." not in Path(path).name:
            return real(path)
        reads.append("start")
        reading.set()
        discarding.wait(1.5)  # a read still under way when the stage is discarded
        digest = real(path)
        reads.append("done")
        return digest

    def refuse(*args, **kwargs):
        reading.wait(10)  # the thread has begun reading a public file
        raise leak_gate.LeakError("planted")

    real_discard = staging.Staging.discard

    def discard(self):
        if reads:
            at_discard.append(list(reads))
            discarding.set()
        real_discard(self)

    monkeypatch.setattr(release_files, "sha256_file", slow)
    monkeypatch.setattr(leak_gate, "check_release", refuse)
    monkeypatch.setattr(staging.Staging, "discard", discard)
    with pytest.raises(leak_gate.LeakError):
        _release(inputs, tmp_path / "refused")
    assert len(at_discard) == 1
    assert at_discard[0].count("start") == at_discard[0].count("done") > 0, at_discard
    assert not (tmp_path / "refused").exists()
