"""The leak gate's proof that a written public file is still its writer's bytes hashes the file
on a thread while the writer's values are read (core.gate.output_reader._read_as_written,
issue 15): the national GeoPackage's 160 MB and the read no longer wait for each other.

Both happen between two looks at the file's identity, so a file changed while the writer's
values are read is read from disk even when the hash had already been taken of the bytes as
written (the change comes after it): the gate's report is then the file's, and it finds the
leak planted there. The hash runs beside the read (the read below waits for it to finish).
"""

from __future__ import annotations

import os
import threading
from contextlib import closing
from pathlib import Path

import pytest

from crime_mapper.core.gate import output_reader
from crime_mapper.core.gate.leak_gate import check_release
from tests.support.leak_world import refs
from tests.support.written_outputs import connect_gpkg, write_csv, write_gpkg

PAD = "On or near Pasley Road"


def _hash_seen(monkeypatch) -> tuple[threading.Event, list[str]]:
    """An event set once the gate's hash of a file is taken, and the threads that took it."""
    done = threading.Event()
    threads: list[str] = []
    real = output_reader._sha256

    def hashed(path):
        digest = real(path)
        threads.append(threading.current_thread().name)
        done.set()
        return digest

    monkeypatch.setattr(output_reader, "_sha256", hashed)
    return done, threads


def _edit_csv(path: Path, reference: str) -> None:
    """A leak planted in place, the same size, with a later modification time."""
    stat = path.stat()
    body = path.read_bytes()
    planted = reference.encode().ljust(len(PAD), b" ")[: len(PAD)]
    with open(path, "r+b") as handle:
        handle.write(body.replace(PAD.encode(), planted, 1))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert path.stat().st_size == stat.st_size


def _edit_gpkg(path: Path, reference: str) -> None:
    stat = path.stat()
    with closing(connect_gpkg(path)) as conn:
        conn.execute('UPDATE "public_crimes" SET "Context" = ? WHERE fid = 1', (reference,))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


@pytest.mark.parametrize("kind", ["csv", "gpkg"])
def test_a_file_changed_while_its_values_are_read_is_read_from_disk(
    world,
    kind,
    tmp_path,
    monkeypatch,
):
    public = world["public"].copy()
    public.loc[0, "Location"] = PAD
    reference = next(r for r in refs(world) if r)
    path, written = (write_csv if kind == "csv" else write_gpkg)(tmp_path, public)
    assert output_reader.hashes_afresh(written)
    done, threads = _hash_seen(monkeypatch)
    edited: list[bool] = []
    # the writer's values are read here: the CSV's cells, the GeoPackage's metadata
    target = "_written_frame" if kind == "csv" else "read_geopackage"
    real = getattr(output_reader, target)

    def read_after_the_hash(*args, **kwargs):
        value = real(*args, **kwargs)
        if not edited:
            assert done.wait(30), "the hash was not taken while the values were read"
            (_edit_csv if kind == "csv" else _edit_gpkg)(path, reference)
            edited.append(True)
        return value

    monkeypatch.setattr(output_reader, target, read_after_the_hash)
    report = check_release(world["raw"], written, world["points"])
    assert edited and threads[0] == "gate sha256", threads
    monkeypatch.setattr(output_reader, target, real)
    direct = check_release(world["raw"], path, world["points"])
    assert report.to_dict() == direct.to_dict()
    assert not report.passed and "no_source_references" in report.message()


@pytest.mark.parametrize("kind", ["csv", "gpkg"])
def test_an_unchanged_file_is_taken_from_its_writer_with_the_hash_beside(
    world,
    kind,
    tmp_path,
    monkeypatch,
):
    """The same file untouched: the writer's values are used (no read of the file's values)
    and the verdict is the file's."""
    path, written = (write_csv if kind == "csv" else write_gpkg)(tmp_path, world["public"])
    done, threads = _hash_seen(monkeypatch)
    read_from_disk: list[Path] = []
    real_read = output_reader.read_file
    monkeypatch.setattr(
        output_reader,
        "read_file",
        lambda p, *a, **k: read_from_disk.append(p) or real_read(p, *a, **k),
    )
    report = check_release(world["raw"], written, world["points"])
    assert read_from_disk == [] and threads == ["gate sha256"]
    monkeypatch.setattr(output_reader, "read_file", real_read)
    assert report.to_dict() == check_release(world["raw"], path, world["points"]).to_dict()
    assert report.passed
