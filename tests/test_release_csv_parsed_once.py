"""The public CSV of a monthly release is parsed once (issue 15): the anonymise step's leak
gate parses it, and the summaries made from it take that table instead of parsing the file
again (core.release.public_schema.remembering_tables / remember_table, offered by
core.gate.output_reader.read_file).

The shortcut must give exactly what read_public_csv's own pandas call gives (values, dtypes,
column names), for hostile files as for real releases, and must never give a table for a
file changed since, a file the gate read differently (byte-order mark, duplicated names) or
outside a monthly release.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from crime_mapper.core.gate.output_reader import read_file
from crime_mapper.core.release import public_schema
from crime_mapper.core.release.public_schema import (
    PUBLIC_COLUMNS,
    read_public_csv,
    remembering_tables,
    write_public_csv,
)
from tests.support.written_outputs import direct_read, hostile_public_table, same_frame

REPO = Path(__file__).resolve().parents[1]
SAMPLE_RELEASE = REPO / "sample_data"


class _NoParse:
    """pandas.read_csv refused while active: what is read must come from the gate's parse."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch

    def __enter__(self):
        def refuse(*_args, **_kwargs):
            raise AssertionError("the file was parsed again")

        self.monkeypatch.setattr(pd, "read_csv", refuse)

    def __exit__(self, *_exc):
        self.monkeypatch.undo()


def _written(tmp_path: Path, table: pd.DataFrame) -> Path:
    path = tmp_path / "public" / "2022-10-force-street.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_public_csv(table, path)
    return path


def _hand_written(tmp_path: Path, body: bytes, name: str = "hand.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(body)
    return path


HEADER = ",".join(PUBLIC_COLUMNS).encode()
HAND_BODIES = {
    "blank-lines": HEADER + b"\r\n\r\n" + b",".join([b"x"] * 10) + b"\r\n\r\n",
    "no-final-newline": HEADER + b"\n" + b",".join([b"y"] * 10),
    "short-and-long-rows": HEADER + b"\na,b\n" + b",".join([b"z"] * 10) + b"\n",
    "quoted-header": b'"' + HEADER.replace(b",", b'","') + b'"\n' + b",".join([b"q"] * 10),
    "header-only": HEADER + b"\r\n",
    "other-columns": b"a,b,c\n1,2,3\n,,\n",
}


@pytest.mark.parametrize("kind", ["hostile-table", *HAND_BODIES])
def test_the_table_the_gate_parsed_is_what_read_public_csv_parses(kind, tmp_path, monkeypatch):
    if kind == "hostile-table":
        path = _written(tmp_path, hostile_public_table())
    else:
        path = _hand_written(tmp_path, HAND_BODIES[kind])
    want = direct_read(path)
    with remembering_tables():
        art = read_file(path, path.name, in_folder=False)
        assert art.kind == "csv" and art.table is None  # handed over, not kept by the gate
        with _NoParse(monkeypatch):
            got = read_public_csv(path)
    same_frame(got, want)


def test_the_real_release_csv_and_a_real_police_uk_file(tmp_path, monkeypatch):
    """A public CSV written by the anonymise step from real data, and a published police.uk
    file, give through the shortcut exactly what a parse gives."""
    real = sorted((SAMPLE_RELEASE / "police-uk").rglob("*-street.csv"))[:2]
    assert real, "the bundled police.uk months are missing"
    for source in real:
        path = _written(tmp_path / source.stem, direct_read(source))
        published = _hand_written(tmp_path, source.read_bytes(), source.name)
        for each in (path, published):
            want = direct_read(each)
            with remembering_tables():
                read_file(each, each.name, in_folder=False)
                with _NoParse(monkeypatch):
                    got = read_public_csv(each)
            same_frame(got, want)


@pytest.mark.parametrize(
    "body",
    [
        b"\xef\xbb\xbf" + HEADER + b"\n" + b",".join([b"b"] * 10) + b"\n",  # byte-order mark
        b"a,a,b\n1,2,3\n",  # duplicated names: pandas renames them, the gate does not
        b",b,c\n1,2,3\n",  # a blank name: pandas calls it "Unnamed: 0", the gate ""
    ],
    ids=["byte-order-mark", "duplicated-names", "blank-name"],
)
def test_a_table_the_gate_read_differently_is_parsed_again(body, tmp_path, monkeypatch):
    path = _hand_written(tmp_path, body)
    want = direct_read(path)
    with remembering_tables():
        read_file(path, path.name, in_folder=False)
        with _NoParse(monkeypatch), pytest.raises(AssertionError, match="parsed again"):
            read_public_csv(path)
        same_frame(read_public_csv(path), want)


def test_a_file_changed_since_the_gate_read_it_is_parsed_again(tmp_path):
    table = hostile_public_table()
    path = _written(tmp_path, table)
    changed = table.copy()
    changed.loc[0, "Crime type"] = "changed after the gate"
    with remembering_tables():
        read_file(path, path.name, in_folder=False)
        stat = path.stat()
        write_public_csv(changed, path)  # replaced (a new inode) ...
        got = read_public_csv(path)
    same_frame(got, direct_read(path))
    assert got.loc[0, "Crime type"] == "changed after the gate"
    # ... or rewritten in place to the same size, with only its modification time moved
    path = _written(tmp_path / "again", table)
    with remembering_tables():
        read_file(path, path.name, in_folder=False)
        stat = path.stat()
        body = path.read_bytes().replace(b"comma, inside", b"COMMA, INSIDE")
        with open(path, "r+b") as handle:
            handle.write(body)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1000))
        got = read_public_csv(path)
    same_frame(got, direct_read(path))
    assert "COMMA, INSIDE" in set(got.to_numpy().ravel())


def test_nothing_is_remembered_outside_a_monthly_release_or_after_one_read(tmp_path, monkeypatch):
    path = _written(tmp_path, hostile_public_table())
    read_file(path, path.name, in_folder=False)
    assert public_schema._REMEMBERED is None
    with _NoParse(monkeypatch), pytest.raises(AssertionError, match="parsed again"):
        read_public_csv(path)
    with remembering_tables():
        read_file(path, path.name, in_folder=False)
        first = read_public_csv(path)
        with _NoParse(monkeypatch), pytest.raises(AssertionError, match="parsed again"):
            read_public_csv(path)  # taken once: the caller owns it
    same_frame(first, direct_read(path))
    assert public_schema._REMEMBERED is None
    # a file in a folder (a web map's, the summaries') is never offered
    folder = tmp_path / "folder"
    folder.mkdir()
    inside = folder / path.name
    inside.write_bytes(path.read_bytes())
    with remembering_tables():
        read_file(inside, inside.name, in_folder=True)
        assert public_schema._REMEMBERED == {}


def test_the_monthly_release_parses_its_public_csv_once(tmp_path, monkeypatch):
    """The whole run (the bundled force month, summaries and web map): the summaries take
    the table the anonymise step's gate parsed. The files are checked against a publish run
    on its own in tests/test_monthly_release.py."""
    from crime_mapper.core.monthly.config import read_config
    from crime_mapper.core.monthly.release import run_monthly_release
    from crime_mapper.core.publish import summaries_run
    from tests.support.monthly_config import MONTH, config_file

    parsed: list[str] = []
    taken: list[pd.DataFrame] = []
    real_read_csv = pd.read_csv
    real_read_release = summaries_run.read_release

    def counting(source, *args, **kwargs):
        parsed.append(str(source) if isinstance(source, (str, Path)) else type(source).__name__)
        return real_read_csv(source, *args, **kwargs)

    def read_release(path):
        table = real_read_release(path)
        taken.append(table)
        assert parsed.count(str(path)) == 0, "the summaries parsed the public CSV again"
        same_frame(table, real_read_csv(path, dtype=str, keep_default_na=False, na_filter=False))
        return table

    monkeypatch.setattr(pd, "read_csv", counting)
    monkeypatch.setattr(summaries_run, "read_release", read_release)
    config = read_config(config_file(tmp_path))
    config.hotspots.enabled = False
    config.publish.web_map = False
    outputs = run_monthly_release(config, MONTH)
    assert len(taken) == 1 and len(taken[0]) == outputs.release.published_rows
    assert public_schema._REMEMBERED is None  # nothing held after the run


def test_a_table_is_not_held_for_a_file_changed_while_the_gate_read_it(tmp_path):
    path = _written(tmp_path, hostile_public_table())
    stale = public_schema._file_identity(path)
    frame = direct_read(path)
    write_public_csv(hostile_public_table().iloc[:3], path)
    with remembering_tables():
        public_schema.remember_table(path, stale, frame, False)
        assert public_schema._REMEMBERED == {}
        public_schema.remember_table(path, public_schema._file_identity(path), frame, False)
        assert len(public_schema._REMEMBERED) == 1
