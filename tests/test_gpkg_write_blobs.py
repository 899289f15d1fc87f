"""The writer's point blobs are bytearrays (core.io.gpkg_write.point_blob_slices, issue 15):
sqlite3 binds a bytearray without the adapter lookup it makes for every bytes value. The
GeoPackage must be byte for byte the one bytes blobs give (the reference here converts each
blob back to bytes), NULL geometries included, and its geometries must be BLOBs; and a
layer larger than the writer's page cache must give the file a larger cache gives."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.common.reproducible import freeze_geopackage
from crime_mapper.core.io import gpkg_write
from crime_mapper.core.release.pipeline import public_point_table
from crime_mapper.core.release.public_schema import PUBLIC_COLUMNS


def _public(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({c: ["x"] * n for c in PUBLIC_COLUMNS})
    located = rng.random(n) > 0.15
    frame["Longitude"] = [f"{v:.6f}" if ok else "" for v, ok in zip(rng.uniform(-6, 2, n), located)]
    frame["Latitude"] = [f"{v:.6f}" if ok else "" for v, ok in zip(rng.uniform(50, 56, n), located)]
    frame["Crime ID"] = [f"{i:064x}" if i % 3 else "" for i in range(n)]
    return frame


def _file(path: Path, frame: pd.DataFrame) -> bytes:
    gpkg_write.write_geopackage(path, [public_point_table(frame)])
    freeze_geopackage(path, "2022-10-01T00:00:00.000Z")
    return path.read_bytes()


@pytest.mark.parametrize("n", [0, 1, 7, 1_000, 60_001])
def test_bytearray_blobs_give_the_file_bytes_blobs_give(tmp_path, monkeypatch, n):
    frame = _public(n, n)
    fast = _file(tmp_path / "fast.gpkg", frame)
    real = gpkg_write.point_blob_slices

    def as_bytes(x, y, srs_id=gpkg_write.WGS84_SRS_ID):
        blobs = real(x, y, srs_id)
        return lambda a, b: [None if v is None else bytes(v) for v in blobs(a, b)]

    with monkeypatch.context() as patch:
        patch.setattr(gpkg_write, "point_blob_slices", as_bytes)
        assert _file(tmp_path / "bytes.gpkg", frame) == fast
    with sqlite3.connect(tmp_path / "fast.gpkg") as conn:
        kinds = dict(conn.execute("SELECT typeof(geom), count(*) FROM public_crimes GROUP BY 1"))
    conn.close()
    located = int((frame["Longitude"] != "").sum())
    assert kinds.get("blob", 0) == located and kinds.get("null", 0) == n - located


def test_blobs_are_bytearrays_of_the_packed_points():
    x = np.array([-1.5, np.nan, 2.25, 0.0])
    y = np.array([52.5, 51.0, np.nan, -0.0])
    blobs = gpkg_write.point_blobs(x, y)
    assert [type(b) for b in blobs] == [bytearray, type(None), type(None), bytearray]
    head = b"GP\x00\x01" + (4326).to_bytes(4, "little") + b"\x01" + (1).to_bytes(4, "little")
    assert bytes(blobs[0]) == head + np.array([-1.5, 52.5], "<f8").tobytes()
    assert bytes(blobs[3]) == head + np.array([0.0, -0.0], "<f8").tobytes()
    blobs[0][0] = 0  # (each blob is its own object: changing one changes no other)
    assert gpkg_write.point_blobs(x, y)[0][0] == ord("G") and blobs[3][0] == ord("G")


@pytest.mark.parametrize("cache_kib", [64, 1_000])
def test_a_layer_larger_than_the_page_cache_gives_the_same_file(tmp_path, monkeypatch, cache_kib):
    """The writer's page cache (gpkg_write._CACHE_KIB) is smaller than a national layer:
    pages pushed out early must give the file a cache holding all of it gives."""
    frame = _public(30_000, 5)
    small = tmp_path / "small.gpkg"
    with monkeypatch.context() as patch:
        patch.setattr(gpkg_write, "_CACHE_KIB", cache_kib)
        spilled = _file(small, frame)
    assert len(spilled) > 4 * cache_kib * 1024  # (it did not fit)
    with monkeypatch.context() as patch:
        patch.setattr(gpkg_write, "_CACHE_KIB", 400_000)
        assert _file(tmp_path / "whole.gpkg", frame) == spilled
    with sqlite3.connect(small) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT rtreecheck('rtree_public_crimes_geom')").fetchone()[0] == "ok"
    conn.close()
