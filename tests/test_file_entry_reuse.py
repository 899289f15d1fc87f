"""Manifest entries taken from a SHA-256 this process computed already (issue 15).

Why: the monthly release's manifest lists the crimes GeoPackage and the public CSV and
GeoPackage, half a gigabyte nationally, which its steps hashed minutes before. A digest is
reused only for the very same file (device, inode, size, modification time); a file moved
into place keeps them, a file replaced or rewritten does not and is read again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from crime_mapper.core.gate import output_reader
from crime_mapper.core.release import release_files
from crime_mapper.core.release.release_files import file_entry, sha256_file

BIG = release_files._REMEMBERED_FROM_BYTES


def _direct(path: Path) -> dict:
    return {"name": path.name, "sha256": sha256_file(path), "bytes": path.stat().st_size}


@pytest.fixture
def big(tmp_path: Path) -> Path:
    path = tmp_path / "stage" / "public.csv"
    path.parent.mkdir()
    path.write_bytes(os.urandom(BIG + 123))
    return path


def test_a_file_moved_into_place_is_not_read_again(big, tmp_path, monkeypatch):
    first = file_entry(big)
    final = tmp_path / "public.csv"
    os.replace(big, final)  # as a staging commit moves it (chmod too)
    os.chmod(final, 0o644)
    reads = []
    real = release_files.sha256_file
    monkeypatch.setattr(release_files, "sha256_file", lambda p: reads.append(p) or real(p))
    again = file_entry(final, reuse=True)
    assert reads == []
    assert again == {**first, "name": "public.csv"} == _direct(final)
    file_entry(final)  # without reuse: read again
    assert reads == [final]


def test_a_rewritten_or_replaced_file_is_read_again(big, tmp_path):
    file_entry(big)
    stat = big.stat()
    # the same size rewritten in place, its time put back by a second: another identity
    big.write_bytes(os.urandom(stat.st_size))
    os.utime(big, ns=(stat.st_atime_ns, stat.st_mtime_ns - 1_000_000_000))
    assert file_entry(big, reuse=True) == _direct(big)
    # replaced by another file of the same size and the same time: another inode
    entry = file_entry(big)
    other = big.with_name("other")
    other.write_bytes(os.urandom(stat.st_size))
    now = big.stat()
    os.utime(other, ns=(now.st_atime_ns, now.st_mtime_ns))
    os.replace(other, big)
    fresh = file_entry(big, reuse=True)
    assert fresh == _direct(big) and fresh["sha256"] != entry["sha256"]
    # grown
    with open(big, "ab") as handle:
        handle.write(b"x")
    assert file_entry(big, reuse=True) == _direct(big)


def test_small_files_are_always_read(tmp_path, monkeypatch):
    small = tmp_path / "audit.json"
    small.write_text("{}", encoding="utf-8")
    file_entry(small)
    reads = []
    real = release_files.sha256_file
    monkeypatch.setattr(release_files, "sha256_file", lambda p: reads.append(p) or real(p))
    assert file_entry(small, reuse=True) == _direct(small) and reads == [small]


def test_the_memory_stays_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(release_files, "_DIGESTS", {})
    monkeypatch.setattr(release_files, "_REMEMBERED_FROM_BYTES", 1)
    for i in range(release_files._REMEMBERED_AT_MOST + 10):
        path = tmp_path / f"f{i}"
        path.write_bytes(b"%d" % i)
        file_entry(path)
    assert len(release_files._DIGESTS) == release_files._REMEMBERED_AT_MOST


def test_the_monthly_manifest_is_the_one_hashed_afresh(tmp_path, monkeypatch):
    """A whole (bundled) monthly release's manifest, rebuilt with nothing remembered,
    gives the same bytes as the one the run wrote reusing its steps' digests."""
    from crime_mapper.core.monthly import release as monthly
    from crime_mapper.core.monthly.config import read_config
    from crime_mapper.qgis_bridge.monthly_release import QgisStepRunners
    from tests.support.monthly_config import MONTH, config_file

    monkeypatch.setattr(release_files, "_REMEMBERED_FROM_BYTES", 1)  # the sample is small
    config = read_config(config_file(tmp_path))
    config.hotspots.enabled = False
    config.qa.enabled = False  # (release QA describes the GeoPackage it reads: once more)
    runners = QgisStepRunners()
    reads = []
    real = release_files.sha256_file

    def counted(path):
        reads.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(release_files, "sha256_file", counted)
    # (the leak gate's fresh hash of a written public file is the manifest's: count it too)
    real_gate = output_reader._sha256

    def gate_counted(path):
        reads.append(Path(path).name)
        return real_gate(path)

    monkeypatch.setattr(output_reader, "_sha256", gate_counted)
    outputs = monthly.run_monthly_release(config, MONTH, runners=runners)
    written = json.loads(outputs.manifest.read_text(encoding="utf-8"))
    # the load's GeoPackage and the public files were hashed once in the whole run
    for name in ("crimes.gpkg", "2022-10-leicestershire-street.csv"):
        assert reads.count(name) == 1, (name, reads.count(name))
    monkeypatch.setattr(release_files, "_DIGESTS", {})
    afresh = monthly.build_monthly_manifest(config, MONTH, outputs, runners)
    assert afresh == written


def test_a_digest_taken_earlier_in_the_run_is_used_only_for_the_same_file(tmp_path):
    """core.monthly.release.hashed_now (the summaries' pages hashed while the web map's
    child is awaited) and the manifest's entries: the digest is taken for a file with the
    identity it had when hashed, a file changed since is read again."""
    from crime_mapper.core.common.feedback import Feedback
    from crime_mapper.core.monthly.release import _file, hashed_now

    pages = [tmp_path / f"page{i}.html" for i in range(3)]
    for i, page in enumerate(pages):
        page.write_bytes(b"<p>%d</p>" % i)
    digests = hashed_now(pages + [tmp_path / "gone.html"], Feedback())
    assert sorted(digests) == sorted(map(str, pages))  # (a missing file: left to the manifest)
    assert [_file(p, digests=digests) for p in pages] == [_direct(p) for p in pages]
    # the same size rewritten in place with its time put back: the earlier digest is used
    # (proof that it is taken, not read again); as file_entry's reuse, by identity
    stat = pages[0].stat()
    pages[0].write_bytes(b"<p>9</p>")
    os.utime(pages[0], ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert _file(pages[0], digests=digests)["sha256"] == digests[str(pages[0])][1]
    assert _file(pages[0], digests=digests) != _direct(pages[0])
    # changed (another time, size or inode): read again
    os.utime(pages[0], ns=(stat.st_atime_ns, stat.st_mtime_ns - 1_000_000_000))
    assert _file(pages[0], digests=digests) == _direct(pages[0])
    with open(pages[1], "ab") as handle:
        handle.write(b"x")
    assert _file(pages[1], digests=digests) == _direct(pages[1])
    other = tmp_path / "other"
    other.write_bytes(b"<p>7</p>")
    now = pages[2].stat()
    os.utime(other, ns=(now.st_atime_ns, now.st_mtime_ns))
    os.replace(other, pages[2])
    assert _file(pages[2], digests=digests) == _direct(pages[2])
    pages[2].unlink()
    with pytest.raises(FileNotFoundError):
        _file(pages[2], digests=digests)


def test_hashing_ahead_stops_on_a_cancel(tmp_path):
    from crime_mapper.core.common.feedback import Cancelled, Feedback
    from crime_mapper.core.monthly.release import hashed_now

    class Stopped(Feedback):
        def is_cancelled(self) -> bool:
            return True

    page = tmp_path / "page.html"
    page.write_bytes(b"x")
    with pytest.raises(Cancelled):
        hashed_now([page], Stopped())
