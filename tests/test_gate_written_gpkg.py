"""The release's leak gate checks the public GeoPackage's layer from the values its writer
bound, without reading them back, only when the file is still exactly the bytes hashed after
writing and the stored form of every value is certain (issue 15; core.io.gpkg_write.WrittenGpkg,
core.io.gpkg_read._known_table, core.gate.output_reader.read_written_gpkg).

The shortcut must give exactly the Artifact (and so every verdict, message and example) and
the GpkgContents that reading the file gives, for hostile tables as for a real release; a file
changed after it was hashed (a value edited in place to the same size, a row appended, a table
added, the file replaced, a symbolic link) must be read from disk; a table whose stored values
are not certainly the bound ones (NULL, NUL, str subclasses, a non-TEXT column, a char(1) in a
coordinate) must be read from disk.
"""

from __future__ import annotations

import dataclasses
import os
from contextlib import closing
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.gate import output_reader
from crime_mapper.core.gate.leak_gate import check_release
from crime_mapper.core.gate.output_reader import COORD_COLUMN_LAT, COORD_COLUMN_LON
from crime_mapper.core.io import gpkg_read, gpkg_write
from crime_mapper.core.release.pipeline import public_point_table
from tests.support.leak_world import NAMES, refs
from tests.support.written_outputs import (
    certain_tables,
    connect_gpkg,
    gpkg_artifact_facts,
    planted_releases,
    public_table,
    release_files,
    write_gpkg,
)

PAIRS = (COORD_COLUMN_LON, COORD_COLUMN_LAT)


def _contents_facts(contents: gpkg_read.GpkgContents) -> tuple:
    tables = []
    for t in contents.tables:
        tables.append(
            (
                t.name, t.data_type, t.columns, t.pk, t.geometry_column, t.geometry_type,
                t.srs_id, t.srs, t.rows,
                {c: (sorted(v), len(v), {type(s) for s in v}) for c, v in t.distinct.items()},
                t.pair_columns, t.pairs, t.x.dtype, t.x.tobytes(), t.y.dtype, t.y.tobytes(),
            )
        )  # fmt: skip
    return tuple(tables), contents.metadata_text


class _Reads:
    """Counts the tables gpkg_read reads from the file (not taken from the writer)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.tables: list[str] = []
        real = gpkg_read._read_table

        def counted(conn, name, *args, **kwargs):
            self.tables.append(name)
            return real(conn, name, *args, **kwargs)

        monkeypatch.setattr(gpkg_read, "_read_table", counted)


def _uncertain_tables() -> dict[str, pd.DataFrame]:
    class Shouting(str):
        def __str__(self) -> str:
            return self.upper()

    tables = {
        "nul": public_table({"Location": [f"On or near A\x00{NAMES[0]}", "x"]}, 5),
        "char-1-in-longitude": public_table({"Longitude": ["-1.1\x01", "-1.2"]}, 5),
        "null": public_table({}, 4),
    }
    tables["null"].loc[1, "Context"] = None
    subclass = public_table({}, 4)
    subclass.loc[1, "Context"] = Shouting("quiet words")
    tables["str-subclass"] = subclass
    numpy_str = public_table({}, 4)
    numpy_str.loc[2, "Crime type"] = np.str_("Burglary")
    tables["numpy-str"] = numpy_str
    return tables


@pytest.mark.parametrize("kind", sorted(certain_tables()))
def test_certain_layers_are_taken_from_the_writer_as_read_from_disk(kind, tmp_path, monkeypatch):
    path, written = write_gpkg(tmp_path, certain_tables()[kind])
    assert os.fspath(written) == str(path) == str(written) and written.size == path.stat().st_size
    want = gpkg_artifact_facts(path)
    want_contents = _contents_facts(gpkg_read.read_geopackage(path, PAIRS, pairs_only=True))
    want_plain = _contents_facts(gpkg_read.read_geopackage(path, PAIRS))
    known = {t.name: t for t in written.tables}
    reads = _Reads(monkeypatch)
    assert gpkg_artifact_facts(written) == want
    got = gpkg_read.read_geopackage(path, PAIRS, pairs_only=True, known=known)
    assert _contents_facts(got) == want_contents
    assert _contents_facts(gpkg_read.read_geopackage(path, PAIRS, known=known)) == want_plain
    assert reads.tables == []  # the shortcut was taken every time


@pytest.mark.parametrize("kind", sorted(_uncertain_tables()))
def test_uncertain_layers_are_read_from_disk(kind, tmp_path, monkeypatch):
    path, written = write_gpkg(tmp_path, _uncertain_tables()[kind])
    want = gpkg_artifact_facts(path)
    reads = _Reads(monkeypatch)
    assert gpkg_artifact_facts(written) == want
    assert reads.tables == [written.tables[0].name]


def test_a_subclass_whose_text_differs_is_seen_as_stored(tmp_path):
    path, written = write_gpkg(tmp_path, _uncertain_tables()["str-subclass"])
    _, facts = gpkg_artifact_facts(written)
    assert "quiet words" in facts[0][4] and "QUIET WORDS" not in facts[0][4]


def test_a_column_not_declared_text_is_read_from_disk(tmp_path, monkeypatch):
    """An INTEGER column (its values stored as integers, read back as their text) and a
    second table: every table not certain is read; the certain one is taken."""
    frame = pd.DataFrame(
        {"n": [1, 2, 2**40], "Location": ["a", "b", "c"], "x": [-1.1, np.nan, 0.5], "y": [52.0] * 3}
    )
    path = tmp_path / "two.gpkg"
    kept: list = []
    tables = [
        gpkg_write.PointTable("numbers", frame, {"n": "int64", "Location": "string"}, "x", "y"),
        gpkg_write.PointTable("words", frame, {"Location": "string"}, "x", "y"),
    ]
    gpkg_write.write_geopackage(path, tables, kept=kept)
    written = gpkg_write.written_geopackage(path, kept)
    want = gpkg_artifact_facts(path)
    reads = _Reads(monkeypatch)
    assert gpkg_artifact_facts(written) == want
    assert reads.tables == ["numbers"]


def _same_size_edit(path: Path, reference: str) -> None:
    """The longest Location's text overwritten by ``reference`` and spaces, in place."""
    with closing(connect_gpkg(path)) as conn:
        fid, old = conn.execute(
            'SELECT fid, "Location" FROM "public_crimes" ORDER BY length("Location") DESC'
        ).fetchone()
        assert len(old) >= len(reference)
        conn.execute(
            'UPDATE "public_crimes" SET "Location" = ? WHERE fid = ?',
            (reference.ljust(len(old), " "), fid),
        )


def _changes(reference: str) -> dict:
    def in_place(path: Path) -> None:
        size = path.stat().st_size
        _same_size_edit(path, reference)
        assert path.stat().st_size == size

    def appended(path: Path) -> None:
        with closing(connect_gpkg(path)) as conn:
            conn.execute(
                'INSERT INTO "public_crimes" ("Crime ID", "Month") VALUES (?, ?)', (reference, "x")
            )

    def table_added(path: Path) -> None:
        with closing(connect_gpkg(path)) as conn:
            conn.execute('CREATE TABLE "notes" (t TEXT)')
            conn.execute('INSERT INTO "notes" VALUES (?)', (reference,))

    def replaced(path: Path) -> None:
        other = path.with_name("other.gpkg")
        kept: list = []
        table = pd.read_csv(path.with_suffix(".csv"), dtype=str, keep_default_na=False)
        table.loc[0, "Context"] = reference
        gpkg_write.write_geopackage(other, [public_point_table(table)], kept=kept)
        os.replace(other, path)

    def symlink(path: Path) -> None:  # (to the very bytes hashed: still not trusted)
        target = path.with_name("elsewhere.gpkg")
        os.replace(path, target)
        path.symlink_to(target)

    return {
        "in-place": in_place,
        "appended": appended,
        "table-added": table_added,
        "replaced": replaced,
        "symlink": symlink,
    }


@pytest.mark.parametrize("change", ["in-place", "appended", "table-added", "replaced", "symlink"])
def test_a_file_changed_after_it_was_written_is_read_from_disk(world, change, tmp_path):
    """A leak planted in the file after it was hashed is found: the gate sees the file, not
    the values the writer kept."""
    public = world["public"].copy()
    reference = next(r for r in refs(world) if r)
    path, written = write_gpkg(tmp_path, public)
    public.to_csv(path.with_suffix(".csv"), index=False)
    clean = check_release(world["raw"], written, world["points"])
    assert clean.passed, clean.message()
    _changes(reference)[change](path)
    assert gpkg_artifact_facts(written) == gpkg_artifact_facts(path)
    report = check_release(world["raw"], written, world["points"])
    direct = check_release(world["raw"], path, world["points"])
    assert report.to_dict() == direct.to_dict()
    assert not report.passed
    if change != "symlink":
        assert "no_source_references" in report.message()
    else:
        assert "symbolic link" in report.message()


def test_the_real_layer_and_planted_leaks_give_the_files_verdicts(world, tmp_path, monkeypatch):
    """The real release's layer and leaks planted in it before writing: the same report
    (verdicts, messages, examples) from the writer's values as from the file, the writer's
    values taken."""
    for label, public in planted_releases(world):
        path, written = write_gpkg(tmp_path / label, public)
        direct = check_release(world["raw"], path, world["points"]).to_dict()
        assert gpkg_artifact_facts(written) == gpkg_artifact_facts(path)
        with monkeypatch.context() as patch:
            reads = _Reads(patch)
            report = check_release(world["raw"], written, world["points"])
        assert reads.tables == [], label
        assert report.to_dict() == direct
        assert report.passed == (label == "clean"), report.message()


def test_a_file_of_another_size_is_not_hashed_but_read(tmp_path, monkeypatch):
    """Bytes added at the end (SQLite ignores them): the size differs, so the file is read
    without hashing it first."""
    path, written = write_gpkg(tmp_path, certain_tables()["plain-hostile"])
    with open(path, "ab") as handle:
        handle.write(b"\x00" * 7)
    hashed: list[Path] = []
    real = output_reader._sha256
    monkeypatch.setattr(output_reader, "_sha256", lambda p: hashed.append(p) or real(p))
    want = gpkg_artifact_facts(path)
    reads = _Reads(monkeypatch)
    assert gpkg_artifact_facts(written) == want
    assert hashed == [] and reads.tables == ["public_crimes"]


def test_str_values_bound_into_a_column_not_declared_text_are_read(tmp_path, monkeypatch):
    """A writer that bound "1.50" into a DOUBLE column: SQLite stores the number 1.5, and
    the read gives "1.5"; the writer's str is not taken."""
    frame = pd.DataFrame(
        {"v": [1.5, 2.0], "Location": ["a", "b"], "x": [-1.1, 0.5], "y": [52.0] * 2}
    )
    path = tmp_path / "double.gpkg"
    kept: list = []
    spec = gpkg_write.PointTable("t", frame, {"v": "float64", "Location": "string"}, "x", "y")
    gpkg_write.write_geopackage(path, [spec], kept=kept)
    assert kept[0].declared == ("DOUBLE", "TEXT")
    lying = dataclasses.replace(kept[0], values=(["1.50", "2.0"], ["a", "b"]))
    written = gpkg_write.written_geopackage(path, [lying])
    want = gpkg_artifact_facts(path)
    assert "1.5" in want[1][0][4] and "1.50" not in want[1][0][4]
    reads = _Reads(monkeypatch)
    assert gpkg_artifact_facts(written) == want
    assert reads.tables == ["t"]


def test_a_table_that_is_not_the_one_described_is_read(tmp_path, monkeypatch):
    """The writer's description names its columns otherwise than the file's table (or the
    geometry column): the file's own table is read."""
    path, written = write_gpkg(tmp_path, certain_tables()["plain-hostile"])
    want = gpkg_artifact_facts(path)
    table = written.tables[0]
    columns = ("Crime reference",) + table.columns[1:]
    for wrong in (
        dataclasses.replace(table, columns=columns),
        dataclasses.replace(table, geometry_column="geometry"),
    ):
        lying = dataclasses.replace(written, tables=(wrong,))
        with monkeypatch.context() as patch:
            reads = _Reads(patch)
            assert gpkg_artifact_facts(lying) == want
        assert reads.tables == ["public_crimes"]


def test_a_file_replaced_while_it_is_read_is_read_again(world, tmp_path, monkeypatch):
    """The file hashed, then replaced by one holding a reference while its metadata is
    read: the gate reads the file that is there now."""
    path, written = write_gpkg(tmp_path, world["public"])
    public = world["public"].copy()
    public.loc[0, "Context"] = next(r for r in refs(world) if r)
    other, _ = write_gpkg(tmp_path / "other", public)
    real = output_reader.read_geopackage
    swapped: list[bool] = []

    def read_then_swap(*args, **kwargs):
        contents = real(*args, **kwargs)
        if not swapped:
            swapped.append(True)
            os.replace(other, path)
        return contents

    monkeypatch.setattr(output_reader, "read_geopackage", read_then_swap)
    report = check_release(world["raw"], written, world["points"])
    assert swapped and not report.passed and "no_source_references" in report.message()
    monkeypatch.setattr(output_reader, "read_geopackage", real)
    assert report.to_dict() == check_release(world["raw"], path, world["points"]).to_dict()


def test_a_failure_in_the_shortcut_reads_the_file(tmp_path, monkeypatch):
    path, written = write_gpkg(tmp_path, certain_tables()["plain-hostile"])
    want = gpkg_artifact_facts(path)

    def broken(*_args, **_kwargs):
        raise MemoryError("no room")

    monkeypatch.setattr(gpkg_read, "_known_table", broken)
    assert gpkg_artifact_facts(written) == want


def test_the_release_gate_takes_the_written_layer(release_inputs, tmp_path, monkeypatch):
    """The release's GeoPackage gate takes the writer's values, and the release is byte for
    byte the one whose gate read the file."""
    with monkeypatch.context() as patch:
        reads = _Reads(patch)
        shortcut = release_files(release_inputs, tmp_path / "shortcut")
    assert reads.tables == []
    monkeypatch.setattr(gpkg_write, "written_geopackage", lambda path, _tables: path)
    reads = _Reads(monkeypatch)
    direct = release_files(release_inputs, tmp_path / "direct")
    assert reads.tables == ["public_crimes"]
    assert shortcut == direct and len(direct) == 5


def test_a_file_that_is_not_what_its_writer_returned_fails_the_release(
    release_inputs,
    tmp_path,
    monkeypatch,
):
    """The file holds a raw reference the writer did not bind (put there after it was
    hashed): the gate reads the file, finds it, and nothing is published."""
    from crime_mapper.core.gate.leak_gate import LeakError
    from tests.support.plain_cli import FORCE_EXTRACT

    reference = pd.read_csv(FORCE_EXTRACT, dtype=str)["Crime Reference"].iloc[0]
    real = gpkg_write.written_geopackage

    def hashed_then_more(path, tables):
        written = real(path, tables)
        _same_size_edit(Path(path), reference)
        return written

    monkeypatch.setattr(gpkg_write, "written_geopackage", hashed_then_more)
    with pytest.raises(LeakError, match="no_source_references"):
        release_files(release_inputs, tmp_path / "out")
    assert not (tmp_path / "out").exists()
