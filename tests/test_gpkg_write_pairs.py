"""The R-tree's rowid and parent maps are appended 100 rows per INSERT (issue 15): the file
must be byte for byte the one a row-per-INSERT append gives, whatever the count, and a
national-size point layer's R-tree must still check out in SQLite."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.io import gpkg_write


def _table(path: Path, rows: list[tuple[int, int]] | None, pairs=None) -> bytes:
    with sqlite3.connect(path, isolation_level=None) as conn:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("BEGIN")
        conn.execute('CREATE TABLE "a ""map""" (id INTEGER PRIMARY KEY, nodeno)')
        if rows is not None:
            conn.executemany('INSERT INTO "a ""map""" VALUES (?, ?)', rows)
        else:
            gpkg_write.insert_pairs(conn, 'a "map"', *pairs)
        conn.execute("COMMIT")
    conn.close()
    return path.read_bytes()


@pytest.mark.parametrize("count", [0, 1, 99, 100, 101, 250, 12_345])
def test_pairs_give_the_bytes_of_one_insert_per_row(tmp_path, count):
    rng = np.random.default_rng(count)
    first = np.sort(rng.choice(10**9, size=count, replace=False)).astype(np.int64)
    second = rng.integers(-(2**62), 2**62, size=count)
    rows = list(zip(first.tolist(), second.tolist()))
    one_by_one = _table(tmp_path / "rows.db", rows)
    assert _table(tmp_path / "pairs.db", None, (first, second)) == one_by_one
    with sqlite3.connect(tmp_path / "pairs.db") as conn:
        assert conn.execute('SELECT * FROM "a ""map"""').fetchall() == rows
    conn.close()


def test_a_large_point_layer_rtree_checks_out(tmp_path):
    rng = np.random.default_rng(5)
    n = 60_000
    frame = pd.DataFrame(
        {
            "longitude": np.where(rng.random(n) < 0.01, np.nan, rng.uniform(-6, 2, n)),
            "latitude": rng.uniform(50, 56, n),
            "label": rng.choice(["a", "b", "c"], n),
        }
    )
    path = tmp_path / "points.gpkg"
    gpkg_write.write_geopackage(path, [gpkg_write.PointTable("points", frame, {"label": "string"})])
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT rtreecheck('rtree_points_geom')").fetchone()[0] == "ok"
        located = int(frame["longitude"].notna().sum())
        assert conn.execute("SELECT count(*) FROM rtree_points_geom").fetchone()[0] == located
        inside = conn.execute(
            "SELECT count(*) FROM rtree_points_geom WHERE minx >= -3 AND maxx <= 0 "
            "AND miny >= 52 AND maxy <= 54"
        ).fetchone()[0]
    conn.close()
    lon, lat = frame["longitude"], frame["latitude"]
    expected = int(((lon >= -3) & (lon <= 0) & (lat >= 52) & (lat <= 54)).sum())
    assert abs(inside - expected) <= 5  # float32 bounds are rounded outwards


def _rtree_file(path: Path, ids: np.ndarray, x: np.ndarray, y: np.ndarray, **box) -> bytes:
    with sqlite3.connect(path, isolation_level=None) as conn:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("BEGIN")
        conn.execute('CREATE VIRTUAL TABLE "rt" USING rtree(id, minx, maxx, miny, maxy)')
        gpkg_write.bulk_load_rtree(conn, "rt", ids, x, y, **box)
        conn.execute("COMMIT")
        assert conn.execute("SELECT rtreecheck('rt')").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM rt").fetchone()[0] == len(ids)
    conn.close()
    return path.read_bytes()


@pytest.mark.parametrize("count", [1, 2, 50, 51, 52, 2_601, 2_602, 40_000])
@pytest.mark.parametrize("ids", ["fids", "gaps", "shuffled", "descending"])
def test_the_rtree_maps_in_key_order_without_a_sort_give_the_same_bytes(
    tmp_path, monkeypatch, count, ids
):
    """Ids in increasing order (fids, with gaps where a row has no geometry) are put back in
    order by inverting the tree's sort, not by sorting them again: the same file as the
    sort gives; any other ids are sorted as before (the hotspot layers give their own)."""
    rng = np.random.default_rng(count)
    x = np.round(rng.uniform(-6, 2, count), 4)  # (rounded: equal coordinates happen)
    y = np.round(rng.uniform(50, 56, count), 4)
    keys = np.sort(rng.choice(10 * count, size=count, replace=False)) + 1
    given = {
        "fids": np.arange(1, count + 1),
        "gaps": keys,
        "shuffled": rng.permutation(keys),
        "descending": keys[::-1].copy(),
    }[ids]
    fast = _rtree_file(tmp_path / "fast.db", given, x, y)
    box = {"x_max": x + 0.01, "y_max": y + 0.02}
    fast_box = _rtree_file(tmp_path / "fast_box.db", given, x, y, **box)
    with monkeypatch.context() as patch:
        patch.setattr(gpkg_write, "_key_order", lambda keys, _: np.argsort(keys, kind="stable"))
        assert _rtree_file(tmp_path / "sorted.db", given, x, y) == fast
        assert _rtree_file(tmp_path / "sorted_box.db", given, x, y, **box) == fast_box
