"""A GeoPackage that cannot be written (full disk, failing device) gives one clear error, and
the previous release stays whole: no traceback, no sqlite3.OperationalError."""

from __future__ import annotations

import errno
import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crime_mapper.core.common.staging import OutputWriteError, sqlite_write_errors, stage_folders

ROOT = Path(__file__).resolve().parents[1]
OCTOBER = ROOT / "sample_data" / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"
SEPTEMBER = ROOT / "sample_data" / "police-uk" / "2022-09" / "2022-09-leicestershire-street.csv"

# Runs the command line with a per-file size limit (RLIMIT_FSIZE): a write past it fails as
# it does on a full disk. The signal a process gets for it is ignored, so the write fails.
LIMITED = """
import resource, signal, sys
limit = int(sys.argv[1])
if limit:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
from crime_mapper.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _cli(limit: int, *args: object) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-c", LIMITED, str(limit), *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def test_a_geopackage_that_cannot_be_written_is_a_clear_error(tmp_path: Path):
    points = tmp_path / "points.csv"
    assert _cli(0, "map-points", "history", SEPTEMBER, "--out", points).returncode == 0
    salt = tmp_path / "secret" / "force.salt"
    salt.parent.mkdir()
    salt.write_text("3f9c1e7a5b2d48e0a6c4f1b29d8e7a61\n")
    out = tmp_path / "release"
    args = ["anonymise", OCTOBER, "--points", points, "--salt-file", salt, "--out", out]
    assert _cli(0, *args).returncode == 0
    before = _hashes(out)
    csv_size = (out / "2022-10-leicestershire-street.csv").stat().st_size
    gpkg_size = (out / "2022-10-leicestershire-street.gpkg").stat().st_size
    assert csv_size < gpkg_size  # the limit lets the CSV through and stops the GeoPackage

    salt.write_text("c07d2e94a1b5f3866e0a9d1c4b7f2e58\n")  # a new release over the old one
    run = _cli((csv_size + gpkg_size) // 2, *args)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr and "OperationalError" not in run.stderr
    assert "cannot write the GeoPackage 2022-10-leicestershire-street.gpkg" in run.stderr
    assert _hashes(out) == before  # the previous release, whole
    assert not stage_folders(out)


@pytest.mark.parametrize(
    ("message", "code", "said"),
    [
        ("database or disk is full", errno.ENOSPC, "the disk is full"),
        ("disk I/O error", errno.EIO, "the write failed (disk I/O error)"),
    ],
)
def test_sqlite_write_errors_name_the_file_and_the_cause(message, code, said):
    with pytest.raises(OutputWriteError) as caught:
        with sqlite_write_errors("/data/out/crimes.gpkg"):
            raise sqlite3.OperationalError(message)
    assert isinstance(caught.value, OSError) and caught.value.errno == code
    assert caught.value.strerror.startswith("cannot write the GeoPackage crimes.gpkg: " + said)
