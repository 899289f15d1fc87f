"""The GeoPackage writer inserts many rows per INSERT statement (core.io.gpkg_write.insert_rows,
issue 15): sqlite3's per-statement work was most of a national layer's insert. The table and
the file's bytes must be those one INSERT per row gives (the direct path, written out here as
the reference), on hostile values, ragged counts, a real load and a public table, and no
statement may need more variables than the oldest SQLite allows."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.common import schema
from crime_mapper.core.common.reproducible import freeze_geopackage
from crime_mapper.core.io import gpkg_write
from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.load.mapping_profile import MappingProfile
from crime_mapper.core.release.pipeline import public_point_table
from crime_mapper.core.release.public_schema import PUBLIC_COLUMNS
from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE


def _one_insert_per_row(conn: sqlite3.Connection, table: str, columns, per=None) -> None:
    """The direct path: executemany of a one-row INSERT."""
    marks = ", ".join("?" * len(columns))
    name = gpkg_write.quote_identifier(table)
    conn.executemany(f"INSERT INTO {name} VALUES ({marks})", zip(*columns))


def _hostile_column(rng: np.random.Generator, kind: int, n: int) -> list:
    pools = [
        [None, "", "a", "x,y", 'q"q', "é\u2028", "nul\x00inside", "\x00", "=1+1", " " * 40],
        [None, 0, -1, 2**63 - 1, -(2**63), 7],
        [None, 0.0, -0.0, math.inf, -math.inf, math.nan, 5e-324, 1.5, 2.0],
        [None, b"", b"\x00\x01", b"GP" + bytes(27), bytes(range(256))],
        [None, "t", 1, 2.5, b"b", -0.0],  # mixed types in one column
    ]
    pool = pools[kind % len(pools)]
    return [pool[i] for i in rng.integers(0, len(pool), size=n).tolist()]


def _table_file(path: Path, width: int, columns, insert, **limits) -> bytes:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for limit, value in limits.items():
            conn.setlimit(getattr(sqlite3, limit), value)
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("BEGIN")
        defs = [f'"c{j}" {t}' for j, t in zip(range(width), _TYPES * width)]
        fid = '"fid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL'
        conn.execute(f'CREATE TABLE "a ""t""" ({", ".join([fid, *defs])})')
        insert(conn, 'a "t"', columns)
        conn.execute("COMMIT")
    finally:
        conn.close()
    return path.read_bytes()


_TYPES = ["TEXT", "INTEGER", "DOUBLE", "BLOB", "POINT", "BOOLEAN", "DATETIME"]


def _rows(path: Path) -> list:
    with sqlite3.connect(path) as conn:
        rows = conn.execute('SELECT * FROM "a ""t"""').fetchall()
    conn.close()
    return rows


@pytest.mark.parametrize(
    ("width", "count", "per"),
    [(1, 1, None), (2, 0, None), (3, 1000, None), (14, 1071, None), (28, 3001, None),
     (5, 17, 1), (5, 17, 4), (5, 16, 4), (5, 3, 50), (40, 333, None), (500, 5, None),
     (999, 3, None)],
)  # fmt: skip
def test_rows_give_the_bytes_of_one_insert_per_row(tmp_path, width, count, per):
    rng = np.random.default_rng(width * 7919 + count)
    columns = [list(range(1, count + 1))]
    columns += [_hostile_column(rng, j, count) for j in range(width - 1)]

    def many(conn, table, cols):
        gpkg_write.insert_rows(conn, table, cols, per)

    direct = _table_file(tmp_path / "direct.db", width - 1, columns, _one_insert_per_row)
    # the oldest SQLite's limit of 999 variables: a statement needing more fails here
    limit = {"SQLITE_LIMIT_VARIABLE_NUMBER": 999}
    assert _table_file(tmp_path / "rows.db", width - 1, columns, many, **limit) == direct
    assert _rows(tmp_path / "rows.db") == _rows(tmp_path / "direct.db")
    assert len(_rows(tmp_path / "rows.db")) == count


def test_a_column_of_another_length_is_refused(tmp_path):
    conn = sqlite3.connect(tmp_path / "x.db")
    conn.execute("CREATE TABLE t (a, b)")
    with pytest.raises(ValueError):
        gpkg_write.insert_rows(conn, "t", [[1, 2, 3], [1, 2]])
    assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 0
    conn.close()


def test_statements_hold_several_rows():
    """What the speed rests on (the byte tests above pass with one row per statement too)."""
    seen: list[str] = []

    class Spy:
        def executemany(self, sql, params):
            seen.append(sql)
            list(params)

        def execute(self, sql, params=()):
            seen.append(sql)

    gpkg_write.insert_rows(Spy(), "t", [list(range(1000))] * 14)  # type: ignore[arg-type]
    assert [s.count("(") for s in seen] == [71, 1000 - 71 * (1000 // 71)]
    assert max(s.count("?") for s in seen) <= 999


@pytest.fixture(scope="module")
def crimes() -> pd.DataFrame:
    return load_extracts([FORCE_EXTRACT], profile=MappingProfile.load(FORCE_PROFILE)).crimes


def _gpkg(path: Path, table: gpkg_write.PointTable) -> bytes:
    gpkg_write.write_geopackage(path, [table])
    freeze_geopackage(path, "2022-10-01T00:00:00.000Z")
    return path.read_bytes()


def _direct_layer_rows(conn: sqlite3.Connection, table: str, offset: int, columns) -> None:
    """The direct path of a layer's rows: every fid given, every value bound, a row each."""
    fids = list(range(offset + 1, offset + 1 + len(columns[0])))
    _one_insert_per_row(conn, table, [fids, *columns])


def _both_ways(tmp_path: Path, make_table, monkeypatch) -> tuple[bytes, bytes]:
    rows = _gpkg(tmp_path / "rows.gpkg", make_table())
    with monkeypatch.context() as patch:
        patch.setattr(gpkg_write, "insert_layer_rows", _direct_layer_rows)
        direct = _gpkg(tmp_path / "direct.gpkg", make_table())
    return rows, direct


@pytest.mark.parametrize("rows", [None, 0, 1, 70, 71, 72])
def test_a_real_load_gives_the_file_of_one_insert_per_row(crimes, tmp_path, monkeypatch, rows):
    frame = crimes.copy() if rows is None else crimes.iloc[:rows].copy()
    frame.loc[frame.index[::13], "longitude"] = np.nan  # rows without a geometry
    columns = {n: spec[0] for n, spec in schema.CRIME_COLUMNS.items()}
    extras = [c for c in frame.columns if c.startswith(schema.EXTRA_PREFIX)]

    def table():
        return gpkg_write.PointTable("crimes", frame, columns, extras=extras)

    with_rows, direct = _both_ways(tmp_path, table, monkeypatch)
    assert with_rows == direct
    with sqlite3.connect(tmp_path / "rows.gpkg") as conn:
        fids = conn.execute('SELECT count(*), min(fid), max(fid) FROM "crimes"').fetchone()
    conn.close()
    assert fids == ((len(frame), 1, len(frame)) if len(frame) else (0, None, None))


def test_a_hostile_public_table_gives_the_file_of_one_insert_per_row(tmp_path, monkeypatch):
    rng = np.random.default_rng(15)
    n = 2_345
    texts = ["", "On or near A, B", 'x"y', "=cmd", "é\u2028\u2029", "nul\x00", "\r\n", "Z" * 300]
    frame = pd.DataFrame(
        {c: [texts[i] for i in rng.integers(0, len(texts), n).tolist()] for c in PUBLIC_COLUMNS}
    )
    lon = rng.uniform(-6, 2, n)
    lat = rng.uniform(50, 56, n)
    located = rng.random(n) > 0.1
    frame["Longitude"] = [f"{v:.6f}" if ok else "" for v, ok in zip(lon, located)]
    frame["Latitude"] = [f"{v:.6f}" if ok else "" for v, ok in zip(lat, located)]
    with_rows, direct = _both_ways(tmp_path, lambda: public_point_table(frame), monkeypatch)
    assert with_rows == direct


@pytest.mark.parametrize(
    "values",
    [
        ["a", "", "nan", "None", "NaT", "<NA>", "é\x00"],  # all text: nothing is missing
        ["a", None, "b"],
        ["a", float("nan"), "b"],
        ["a", pd.NA, "b"],
        ["a", pd.NaT, "b"],
        [np.str_("a"), "b"],
        [],
    ],
)
def test_text_columns_give_the_direct_values(values):
    """A column of str alone skips pd.isna; every other column gets it as before."""
    series = pd.Series(values, dtype=object)
    direct = series.astype(object).to_numpy().copy()
    direct[pd.isna(direct)] = None
    got = gpkg_write.column_values(series, "string")
    assert got == direct.tolist()
    assert [type(v) for v in got] == [type(v) for v in direct.tolist()]


def test_a_column_of_text_alone_is_not_tested_value_by_value(monkeypatch):
    calls = []
    real = pd.isna
    monkeypatch.setattr(pd, "isna", lambda v: calls.append(len(v)) or real(v))
    gpkg_write.column_values(pd.Series(["a", "b"] * 50, dtype=object), "string")
    assert calls == []
    gpkg_write.column_values(pd.Series(["a", None] * 50, dtype=object), "string")
    assert calls == [100]


def test_the_public_layer_leaves_the_public_table_alone():
    public = pd.DataFrame({c: ["1.5", ""] for c in PUBLIC_COLUMNS})
    before = public.copy()
    table = public_point_table(public)
    pd.testing.assert_frame_equal(public, before)
    assert table.frame["__x"].tolist()[0] == 1.5 and np.isnan(table.frame["__x"].tolist()[1])
