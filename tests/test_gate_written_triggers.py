"""What of a GeoPackage's schema the leak gate reads (core.gate.output_reader._schema_texts,
core.io.gpkg_read): not the SQL triggers this tool's writer puts on a layer, nor a table's
definition in the plain form its writers use; but every table's name, geometry column and
key, its columns' declared types and defaults, any other definition (a CHECK, a generated
column, a view's query), and the SQL of other triggers and of indexes.

Why: such a trigger is fixed SQL around the layer's name, geometry column and key. Read as
prose, its SQL words made the free-text check rule its runs out against every raw note (some
0.3 s of a national GeoPackage's gate, issue 15) to find nothing. What a reader of the file
can see must still be checked: a layer named with a raw value fails (without triggers it
passed: the name was read only inside them), as do an index, a default, a type, a CHECK, a
generated column and a view's WHERE holding one (each passed, read nowhere), and a trigger
that is not exactly the writer's (an edited one holding a note) is read as before.

Real raw extract, map points and release (tests/support/leak_world), real GeoPackages
written by core.io.gpkg_write and edited with sqlite3.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from crime_mapper.core.gate.leak_gate import check_release
from crime_mapper.core.gate.output_reader import read_file, read_options
from crime_mapper.core.io.gpkg_read import (
    _declared_text,
    _definition_beyond_columns,
    read_geopackage,
)
from crime_mapper.core.io.gpkg_write import (
    PointTable,
    quote_identifier,
    rtree_triggers,
    write_geopackage,
)
from crime_mapper.core.release.public_schema import PUBLIC_COLUMNS

# the clean layer's name, geometry column and key, then its columns' declared types
_NAMES = ["public_crimes", "geom", "fid", "INTEGER", "POINT", "TEXT"]
_SPATIAL = ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")  # (the triggers' calls)


def _write(public: pd.DataFrame, path: Path, layer: str) -> Path:
    frame = public.copy()
    frame["_x"] = pd.to_numeric(frame["Longitude"], errors="coerce")
    frame["_y"] = pd.to_numeric(frame["Latitude"], errors="coerce")
    columns = {c: "string" for c in PUBLIC_COLUMNS}
    write_geopackage(path, [PointTable(layer, frame, columns, x="_x", y="_y")])
    return path


def _artifact(path: Path):
    return read_file(path, name=path.name, in_folder=False)


def _triggers(path: Path, part: str = "sql") -> list[str]:
    """The file's triggers' SQL (``part`` "name": their names)."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(f"SELECT {part} FROM sqlite_master WHERE type = 'trigger'").fetchall()
    finally:
        conn.close()
    return [r[0] for r in rows]


def _edit(path: Path, *statements: tuple[str, tuple]) -> None:
    conn = sqlite3.connect(path)
    for name in _SPATIAL:
        conn.create_function(name, 1, lambda _geometry: 0)
    for sql, args in statements:
        conn.execute(sql, args)
    conn.commit()
    conn.close()


@pytest.mark.parametrize("layer", ["public_crimes", 'crimes "October" – 2022, Leicestershire'])
def test_the_writers_triggers_are_left_out_and_their_names_kept(world, tmp_path, layer):
    path = _write(world["public"], tmp_path / "public.gpkg", layer)
    written = _triggers(path)
    assert len(written) == 8  # (six R-tree triggers, two feature-count triggers)
    art = _artifact(path)
    assert not any(text in art.texts for text in written)
    assert not any("CREATE TRIGGER" in text for text in art.texts)
    for name in (layer, "geom", "fid"):
        assert art.texts.count(name) >= 1
        assert name in art.strings
    assert check_release(world["raw"], path, world["points"]).passed


@pytest.mark.parametrize("column", ["crime_id", "extra_mo_notes", "extra_victim_name"])
def test_a_layer_named_with_a_raw_value_fails(world, tmp_path, column):
    """The raw value is the layer's name only (its identifier and description are public
    text): the writer's triggers are made from it and left out, the name is still read."""
    value = str(world["raw"][column].iat[5])
    path = _write(world["public"], tmp_path / "public.gpkg", value)
    _edit(
        path,
        ("UPDATE gpkg_contents SET identifier = ?, description = ?", ("crimes", "crimes")),
    )
    assert any(value in sql for sql in _triggers(path))  # (the writer's, made from the name)
    art = _artifact(path)
    assert not any("CREATE TRIGGER" in text for text in art.texts)
    report = check_release(world["raw"], path, world["points"])
    assert not report.passed, column


def test_a_writers_trigger_changed_to_hold_a_note_is_read(world, clean_outputs, tmp_path):
    """The writer's insert trigger made again with a raw note in its condition: not the
    writer's SQL by some bytes, so read as text, and the note is found."""
    path = tmp_path / "public.gpkg"
    shutil.copyfile(clean_outputs["gpkg"], path)
    note = str(world["raw"]["extra_mo_notes"].iat[9])
    insert = rtree_triggers("public_crimes", "geom")[0]
    changed = insert.replace("NOT NULL AND", f"NOT NULL AND '{note}' <> '' AND", 1)
    assert changed != insert
    name = '"rtree_public_crimes_geom_insert"'
    _edit(path, (f"DROP TRIGGER {name}", ()), (changed, ()))
    assert any(note in text for text in _artifact(path).texts)
    report = check_release(world["raw"], path, world["points"])
    assert not report.passed
    assert "extra_mo_notes" in report.message()


def test_the_texts_are_the_metadata_less_the_triggers_then_the_names(clean_outputs):
    """In the order read: the layer's identifier and description as before, the triggers
    left out, then the table's name, geometry column and key and its declared types, once
    each (its definition is the writer's plain form: not read)."""
    path = clean_outputs["gpkg"]
    contents = read_geopackage(path, **read_options())
    written = set(_triggers(path))
    assert len(written) == 8 and written <= set(contents.metadata_text)
    kept = [t for t in contents.metadata_text if t not in written]
    assert _artifact(path).texts == [*kept, *_NAMES]


def test_without_the_writers_triggers_the_names_are_read(clean_outputs, tmp_path):
    """No trigger of the writer's (all dropped, one of another's added): the texts are the
    metadata as read, then the names, which are read whatever the triggers."""
    path = tmp_path / "public.gpkg"
    shutil.copyfile(clean_outputs["gpkg"], path)
    drops = [(f'DROP TRIGGER "{n}"', ()) for n in _triggers(path, "name")]
    other = "CREATE TRIGGER keep AFTER DELETE ON public_crimes BEGIN SELECT 1; END"
    _edit(path, *drops, (other, ()))
    contents = read_geopackage(path, **read_options())
    assert other in contents.metadata_text
    assert _artifact(path).texts == [*contents.metadata_text, *_NAMES]


@pytest.mark.parametrize("column", ["crime_id", "extra_victim_name"])
def test_a_layer_named_with_a_raw_value_and_no_triggers_fails(world, tmp_path, column):
    """A layer without triggers (another writer's, or an edited file) whose name alone is
    the raw value (its identifier public text): the name is what QGIS shows for the layer,
    and it passed, read nowhere."""
    value = str(world["raw"][column].iat[5])
    path = _write(world["public"], tmp_path / "public.gpkg", value)
    drops = [(f"DROP TRIGGER {quote_identifier(n)}", ()) for n in _triggers(path, "name")]
    _edit(path, *drops, ("UPDATE gpkg_contents SET identifier = ?, description = ?", ("a", "b")))
    assert not _triggers(path)
    report = check_release(world["raw"], path, world["points"])
    assert not report.passed, column


@pytest.mark.parametrize("column", ["crime_id", "extra_victim_name"])
def test_an_index_named_with_a_raw_value_fails(world, clean_outputs, tmp_path, column):
    """An index's name (and SQL) is text the file holds, as a trigger's is: it passed, read
    nowhere."""
    value = str(world["raw"][column].iat[5])
    path = tmp_path / "public.gpkg"
    shutil.copyfile(clean_outputs["gpkg"], path)
    index = f'CREATE INDEX {quote_identifier(value)} ON public_crimes ("Crime type")'
    _edit(path, (index, ()))
    assert index in read_geopackage(path, **read_options()).metadata_text
    report = check_release(world["raw"], path, world["points"])
    assert not report.passed, column


@pytest.mark.parametrize(
    "table",
    [
        "CREATE TABLE notes (x TEXT DEFAULT {literal})",  # (no row: the default is in no cell)
        "CREATE TABLE notes (x {identifier})",  # (SQLite takes any name as a type)
    ],
)
@pytest.mark.parametrize("column", ["crime_id", "extra_victim_name"])
def test_a_raw_value_as_a_columns_default_or_type_fails(
    world, clean_outputs, tmp_path, table, column
):
    value = str(world["raw"][column].iat[5])
    path = tmp_path / "public.gpkg"
    shutil.copyfile(clean_outputs["gpkg"], path)
    literal = "'" + value.replace("'", "''") + "'"
    _edit(path, (table.format(literal=literal, identifier=quote_identifier(value)), ()))
    assert value in _artifact(path).texts
    report = check_release(world["raw"], path, world["points"])
    assert not report.passed, (table, column)


def test_declared_text_unquotes_only_a_whole_literal():
    rows = [
        (0, "a", "TEXT", 0, "'it''s'", 0),
        (1, "b", "TEXT", 0, "'a' || 'b'", 0),  # (an expression: as written)
        (2, "c", "", 0, None, 0),
        (3, "d", "REAL", 0, "0.5", 0),
        (4, "e", "TEXT", 0, "''", 0),  # (the empty text: nothing to read)
    ]
    assert _declared_text(rows) == ["TEXT", "it's", "'a' || 'b'", "REAL", "0.5"]


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE notes (x TEXT CHECK (x <> {literal}))",
        "CREATE TABLE notes (x TEXT, y TEXT GENERATED ALWAYS AS ({literal}) VIRTUAL)",
        "CREATE VIEW notes AS SELECT fid FROM public_crimes WHERE 'a' <> {literal}",
    ],
)
def test_a_raw_value_in_a_tables_or_views_definition_fails(
    world, clean_outputs, tmp_path, statement
):
    """A CHECK's literal, a generated column's expression (in no row of an empty table), a
    view's WHERE (in none of its rows): text of the schema a reader sees, which passed."""
    value = str(world["raw"]["extra_victim_name"].iat[5])
    path = tmp_path / "public.gpkg"
    shutil.copyfile(clean_outputs["gpkg"], path)
    sql = statement.format(literal="'" + value.replace("'", "''") + "'")
    _edit(path, (sql, ()))
    assert any(value in text for text in _artifact(path).texts)
    report = check_release(world["raw"], path, world["points"])
    assert not report.passed, statement


def test_the_writers_definition_is_not_read_as_prose(clean_outputs):
    """The layer's CREATE TABLE as the writer makes it says nothing its names and types do
    not: left out (as the writer's triggers), so no SQL is read as prose."""
    contents = read_geopackage(clean_outputs["gpkg"], **read_options())
    assert [t.definition for t in contents.tables] == [""]
    assert not any("CREATE" in text for text in _artifact(clean_outputs["gpkg"]).texts)


def test_definition_beyond_columns_compares_the_plain_form_exactly():
    info = [(0, "fid", "INTEGER", 1, None, 1), (1, 'a "b"', "TEXT", 0, "'x'", 0)]
    plain = 'CREATE TABLE "t" ("fid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
    assert _definition_beyond_columns(plain + '"a ""b""" TEXT DEFAULT \'x\')', "t", info) == ""
    no_auto = 'CREATE TABLE "t" ("fid" INTEGER PRIMARY KEY NOT NULL, "a ""b""" TEXT DEFAULT \'x\')'
    assert _definition_beyond_columns(no_auto, "t", info) == ""
    for other in (
        plain + '"a ""b""" TEXT DEFAULT \'x\', CHECK (fid > 0))',
        plain.replace('"t"', "t") + '"a ""b""" TEXT DEFAULT \'x\')',  # (not the writer's form)
        plain + '"a ""b""" TEXT)',  # (the default left out)
    ):
        assert _definition_beyond_columns(other, "t", info) == other
    assert _definition_beyond_columns(None, "t", info) == ""
