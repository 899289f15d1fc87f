"""The manifest's SHA-256 of the staged public CSV and GeoPackage is not read a third time
(issue 15). The leak gate hashes each written file afresh to prove it is still its writer's
bytes (core.gate.output_reader.read_written_csv / read_written_gpkg) and remembers that digest
by the file's identity (release_files.remember_digest); the manifest takes it. A public file
the gate does not hash itself (not plain, say) is hashed on a thread while the gate reads it
(pipeline._hashed_beside). The release must be byte for byte the one whose manifest hashed
every file itself; a file changed after it was hashed is read again, even one changed in place
to the same size and modification time; a failure in the thread is the manifest's to report;
no thread reads a staged file after the stage ends."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import threading
from pathlib import Path

import pytest

from crime_mapper.core.gate import leak_gate, output_reader
from crime_mapper.core.release import pipeline, public_schema, release_files
from tests.support.written_outputs import release_files as released


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


def _gate_hashes(monkeypatch) -> list[str]:
    """Names of the files the gate's proof hashes afresh (output_reader._sha256)."""
    seen: list[str] = []
    real = output_reader._sha256

    def counted(path):
        seen.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(output_reader, "_sha256", counted)
    return seen


def _direct(release_inputs: dict, out: Path) -> dict[str, bytes]:
    """The release whose manifest hashes every file itself (nothing remembered, no thread)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(release_files, "_DIGESTS", {})
        patch.setattr(output_reader, "remember_digest", lambda identity, digest: None)
        patch.setattr(pipeline, "_hashed_beside", lambda paths: lambda: None)
        return released(release_inputs, out)


def test_the_manifest_takes_the_gates_fresh_digests(release_inputs, tmp_path, monkeypatch,
                                                    remembered):  # fmt: skip
    seen = _hashes_by_thread(monkeypatch)
    gate = _gate_hashes(monkeypatch)
    taken = released(release_inputs, tmp_path / "taken")
    # the gate read each public file once; nothing else read them for the manifest
    assert sorted(Path(f).suffix for f in gate if "-street." in f) == [".csv", ".gpkg"], gate
    assert [f for f, _ in seen if "-street." in f] == [], seen
    direct = _direct(release_inputs, tmp_path / "direct")
    assert taken == direct
    assert len(taken) == 5
    manifest = json.loads(taken["release_manifest.json"])
    listed = {e["name"]: e["sha256"] for e in manifest["outputs"]}
    for name, data in taken.items():
        if "-street." in name:
            assert listed[name] == hashlib.sha256(data).hexdigest()


@pytest.fixture
def not_plain(monkeypatch):
    """The public CSV's writer marks it not plain: the gate reads it as any file."""
    real = public_schema.write_public_csv
    monkeypatch.setattr(
        public_schema,
        "write_public_csv",
        lambda public, path: dataclasses.replace(real(public, path), plain=False),
    )


def test_a_file_the_gate_does_not_hash_is_hashed_beside_it(release_inputs, tmp_path, monkeypatch,
                                                           remembered, not_plain):  # fmt: skip
    """A CSV its writer could not mark plain is read by the gate as any file (no fresh
    digest of its own): the thread hashes it, and the GeoPackage is still the gate's."""
    seen = _hashes_by_thread(monkeypatch)
    gate = _gate_hashes(monkeypatch)
    beside = released(release_inputs, tmp_path / "beside")
    public = sorted((Path(f).suffix, name) for f, name in seen if "-street." in f)
    assert public == [(".csv", "sha256")], seen
    assert [Path(f).suffix for f in gate if "-street." in f] == [".gpkg"], gate
    assert beside == _direct(release_inputs, tmp_path / "direct")


@pytest.mark.parametrize("suffix", [".csv", ".gpkg"])
def test_a_file_changed_in_place_before_the_gate_is_listed_as_it_is(
    release_inputs, tmp_path, monkeypatch, remembered, suffix
):
    """Changed after its writer hashed it but before the gate, to the same size and the same
    modification time (so the same identity): the gate's fresh digest differs from the
    writer's, it reads the file as any other, and the manifest lists the digest of the
    bytes that landed, never the writer's."""
    real = leak_gate.check_release
    edited: list[Path] = []

    def edit_then_gate(crimes, output, *args, **kwargs):
        path = Path(output)
        if path.suffix == suffix and not edited:
            stat = path.stat()
            with open(path, "r+b") as handle:
                data = handle.read()
                if suffix == ".gpkg":  # the header's change counter: the same content
                    at, new = 24, bytes(b ^ 0xFF for b in data[24:28])
                else:  # one letter of a map point's label, the same length
                    at = data.index(b"On or near ") + len(b"On or near ")
                    new = b"Q" if data[at : at + 1] != b"Q" else b"R"
                handle.seek(at)
                handle.write(new)
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
            after = path.stat()
            assert (after.st_ino, after.st_size, after.st_mtime_ns) == (
                stat.st_ino, stat.st_size, stat.st_mtime_ns,
            )  # fmt: skip
            edited.append(path)
        return real(crimes, output, *args, **kwargs)

    monkeypatch.setattr(leak_gate, "check_release", edit_then_gate)
    out = tmp_path / "out"
    files = released(release_inputs, out)
    assert edited
    landed = next(name for name in files if name.endswith(suffix))
    manifest = json.loads(files["release_manifest.json"])
    listed = {e["name"]: e["sha256"] for e in manifest["outputs"]}
    assert listed[landed] == hashlib.sha256(files[landed]).hexdigest()


def test_a_file_changed_after_it_was_hashed_is_read_again(release_inputs, tmp_path, monkeypatch,
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
    released(release_inputs, out)
    assert changed
    manifest = (out / "release_manifest.json").read_text(encoding="utf-8")
    csv = next(out.glob("*.csv"))
    assert release_files.sha256_file(csv) in manifest


def test_a_failure_in_the_thread_is_left_to_the_manifest(release_inputs, tmp_path, monkeypatch,
                                                         remembered, not_plain):  # fmt: skip
    real = release_files.file_entry

    def fails_on_the_thread(path, **kwargs):
        if threading.current_thread().name == "sha256":
            raise OSError("disk gone")
        return real(path, **kwargs)

    monkeypatch.setattr(release_files, "file_entry", fails_on_the_thread)
    failed = released(release_inputs, tmp_path / "failed")
    monkeypatch.setattr(release_files, "file_entry", real)
    monkeypatch.setattr(release_files, "_DIGESTS", {})
    assert failed == released(release_inputs, tmp_path / "plain")


def test_no_thread_reads_a_staged_file_after_a_failed_gate(release_inputs, tmp_path, monkeypatch,
                                                           not_plain):  # fmt: skip
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
        released(release_inputs, tmp_path / "refused")
    assert len(at_discard) == 1
    assert at_discard[0].count("start") == at_discard[0].count("done") > 0, at_discard
    assert not (tmp_path / "refused").exists()
