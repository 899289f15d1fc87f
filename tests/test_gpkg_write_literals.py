"""A layer's rows go in with the fid left to SQLite and a column of one value written into
the statement as a literal (core.io.gpkg_write.insert_layer_rows and constant_literal, issue
15): each is a value per row sqlite3 need not bind. The table and the file's bytes must be
those of binding every fid and value, one INSERT per row (the direct path, written out here),
on hostile constants, over several chunks, and when every column is constant."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.io import gpkg_write
from crime_mapper.core.release.pipeline import public_point_table
from crime_mapper.core.release.public_schema import PUBLIC_COLUMNS


class _AlwaysEqual(str):
    """A str that compares equal to anything: bound, it stores its own text."""

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = str.__hash__


# (constant value, whether it may be written as a literal)
CONSTANTS = [
    ("2022-10", True),
    ("", True),
    ("O'Brien's ''x''", True),
    ("é\u2028\u2029 ☃ \U0001f600", True),
    ("line\nbreak\r\n\t", True),
    ("Z" * 200, True),
    (None, True),
    ("Z" * 201, False),  # longer than a literal may be: bound
    ("nul\x00inside", False),
    ("\x00", False),
    (0, False),
    (2**63 - 1, False),
    (-0.0, False),
    (math.nan, False),
    (1.5, False),
    (b"GP\x00", False),
    (np.str_("a"), False),
    (True, False),
]


def _table(path: Path, width: int, insert, chunks, **limits) -> bytes:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for limit, value in limits.items():
            conn.setlimit(getattr(sqlite3, limit), value)
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("BEGIN")
        types = ["TEXT", "INTEGER", "DOUBLE", "BLOB", "POINT", "DATETIME"]
        defs = [f'"c{j}" {types[j % len(types)]}' for j in range(width)]
        fid = '"fid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL'
        conn.execute(f'CREATE TABLE "a ""t""" ({", ".join([fid, *defs])})')
        offset = 0
        for columns in chunks:
            insert(conn, 'a "t"', offset, columns)
            offset += len(columns[0])
        conn.execute("COMMIT")
    finally:
        conn.close()
    return path.read_bytes()


def _direct(conn: sqlite3.Connection, table: str, offset: int, columns) -> None:
    fids = list(range(offset + 1, offset + 1 + len(columns[0])))
    marks = ", ".join("?" * (len(columns) + 1))
    name = gpkg_write.quote_identifier(table)
    conn.executemany(f"INSERT INTO {name} VALUES ({marks})", zip(fids, *columns))


def _rows(path: Path) -> list:
    with sqlite3.connect(path) as conn:
        rows = conn.execute('SELECT * FROM "a ""t"""').fetchall()
        seq = conn.execute("SELECT * FROM sqlite_sequence").fetchall()
    conn.close()
    return [rows, seq]


def _same(tmp_path: Path, width: int, chunks, **limits) -> None:
    direct = _table(tmp_path / "direct.db", width, _direct, chunks)
    layer = _table(tmp_path / "layer.db", width, gpkg_write.insert_layer_rows, chunks, **limits)
    assert layer == direct
    assert _rows(tmp_path / "layer.db") == _rows(tmp_path / "direct.db")


@pytest.mark.parametrize(("value", "literal"), CONSTANTS)
@pytest.mark.parametrize("count", [1, 2, 3, 70, 300])
def test_a_constant_column_gives_the_bytes_of_binding_it(tmp_path, value, literal, count):
    rng = np.random.default_rng(count)
    other = [f"v{i}" for i in rng.integers(0, 9, count).tolist()]
    columns = [other, [value] * count, list(rng.integers(0, 5, count).tolist())]
    _same(tmp_path, 3, [columns])
    assert (gpkg_write.constant_literal(columns[1]) is not None) == literal


@pytest.mark.parametrize("chunk_sizes", [[5], [5, 7, 1], [71, 71, 3], [1, 1, 1, 1]])
def test_chunks_continue_the_fids_with_columns_constant_in_some(tmp_path, chunk_sizes):
    """A column constant in one chunk but not the next, the fids left to SQLite across
    chunks: the keys and the AUTOINCREMENT sequence of the direct path."""
    rng = np.random.default_rng(sum(chunk_sizes))
    chunks = []
    for k, n in enumerate(chunk_sizes):
        month = ["2022-10"] * n if k % 2 == 0 else [f"2022-{m:02d}" for m in range(1, n + 1)]
        context = [None] * n if k != 1 else ["", *([None] * (n - 1))]
        blobs = [None if v else b"GP" + bytes(27) for v in (rng.random(n) > 0.5).tolist()]
        chunks.append([blobs, month, context, ["x'y"] * n])
    _same(tmp_path, 4, chunks)


def test_every_column_constant(tmp_path):
    """Nothing left to bind: the rows are still all written (the count is kept)."""
    chunks = [[[None] * 4, ["a"] * 4, [""] * 4], [[None] * 2, ["a"] * 2, [""] * 2]]
    _same(tmp_path, 3, chunks)
    assert len(_rows(tmp_path / "layer.db")[0]) == 6


def test_hostile_columns_and_values_that_only_look_constant(tmp_path):
    n = 9
    sneaky = ["a"] * n
    sneaky[1] = _AlwaysEqual("b")  # not where the cheap looks fall: the type test finds it
    mixed = ["a"] * n
    mixed[3] = None
    subclass = ["a"] * n
    subclass[2] = np.str_("a")
    numbers = [1] * n
    numbers[4] = 1.0  # equal, but stored as a REAL
    almost = ["a"] * n
    almost[1] = "b"  # the cheap looks see "a" only
    columns = [sneaky, mixed, subclass, numbers, almost, [1.0] * n, [True] * n, [0] * n]
    _same(tmp_path, len(columns), [columns])
    for values in columns:
        assert gpkg_write.constant_literal(values) is None
    with sqlite3.connect(tmp_path / "layer.db") as conn:
        assert conn.execute('SELECT "c0" FROM "a ""t""" WHERE fid = 2').fetchone() == ("b",)
    conn.close()


def test_a_long_constant_is_bound_under_an_old_sqlite_statement_limit(tmp_path):
    """Old SQLites cap a statement at 1 MB; a literal is repeated in every row of one."""
    columns = [["Q" * 5_000] * 300, list(range(300))]
    _same(tmp_path, 2, [columns], SQLITE_LIMIT_SQL_LENGTH=100_000)


@pytest.mark.parametrize("bad", ["\ud800", "a\udfffb"])
def test_a_text_that_cannot_be_encoded_fails_as_when_bound(tmp_path, bad):
    columns = [[bad] * 3, [1, 2, 3]]
    with pytest.raises(Exception) as direct:
        _table(tmp_path / "direct.db", 2, _direct, [columns])
    with pytest.raises(Exception) as layer:
        _table(tmp_path / "layer.db", 2, gpkg_write.insert_layer_rows, [columns])
    assert type(layer.value) is type(direct.value)
    assert gpkg_write.constant_literal(columns[0]) is None


def test_the_public_layer_binds_neither_fids_nor_its_constant_columns(tmp_path, monkeypatch):
    """What the speed rests on: a public layer's statements give the fid as NULL and the
    month and the empty context as literals (the bytes tests pass with everything bound)."""
    n = 500
    frame = pd.DataFrame({c: [f"{c} {i % 7}" for i in range(n)] for c in PUBLIC_COLUMNS})
    frame["Month"] = "2022-10"
    frame["Context"] = ""
    frame["Longitude"] = [f"{-1 + i / 1000:.6f}" for i in range(n)]
    frame["Latitude"] = [f"{52 + i / 1000:.6f}" for i in range(n)]
    seen: list[str] = []
    real = gpkg_write.insert_rows

    def spy(conn, table, columns, per=None, *, fixed=None):
        seen.append(dict(fixed or {}))
        real(conn, table, columns, per, fixed=fixed)

    monkeypatch.setattr(gpkg_write, "insert_rows", spy)
    gpkg_write.write_geopackage(tmp_path / "p.gpkg", [public_point_table(frame)])
    layer = [f for f in seen if 0 in f]
    assert len(layer) == 1
    month = 2 + PUBLIC_COLUMNS.index("Month")
    context = 2 + PUBLIC_COLUMNS.index("Context")
    assert layer[0] == {0: "NULL", month: "'2022-10'", context: "''"}
