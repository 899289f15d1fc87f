"""A public CSV read ahead by a forked child (issue 15; core.gate.csv_beside,
leak_gate.read_ahead) gives exactly the artifact a read here gives, its string set built
from the child's first occurrences slot for slot (its order too), and so every verdict,
message and example; a child that fails in any way (raises, dies, hangs, answers garbage)
leaves the file to be read here, so the gate still refuses what it refuses without it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from crime_mapper.core.gate import output_reader
from crime_mapper.core.gate.csv_beside import CsvBeside, read_recorded
from crime_mapper.core.gate.leak_gate import check_release, prepare_gate, read_ahead
from crime_mapper.core.gate.output_reader import read_output
from tests.support.forking import no_children
from tests.support.written_outputs import planted_releases


def _csv(folder: Path, public, name: str = "public.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    public.to_csv(path, index=False)
    return path


def _beside(path: Path, **kw) -> CsvBeside:
    if kw:
        return CsvBeside(path, path.name, False, **kw)
    started = CsvBeside.start(path, min_bytes=0)
    assert started is not None  # (the machine has two cores: forked.available)
    return started


def _facts(art) -> tuple:
    return (
        art.name, art.kind, art.error, art.schemas, list(art.strings), art.texts,
        [a.tobytes() for a in art.lon], [a.tobytes() for a in art.lat], art.coord_where,
        art.bad_coordinates,
    )  # fmt: skip


def test_the_childs_read_gives_the_files_verdicts(world, tmp_path):
    for label, public in planted_releases(world):
        path = _csv(tmp_path / label, public)
        want = check_release(world["raw"], path, world["points"]).to_dict()
        ahead = _beside(path)
        report = check_release(world["raw"], ahead, world["points"])
        assert ahead.from_child, label
        assert report.to_dict() == want, label
        assert report.passed == (label == "clean"), report.message()
    assert no_children()


def _odd_files(folder: Path) -> dict[str, bytes]:
    rows = "\r\n".join(
        f"{i:064x},2022-10,F{i % 7},-1.{i % 311:04d},52.{i % 97:04d},x{i % 13}"
        for i in range(60_000)
    )
    head = "Crime ID,Month,Falls within,Longitude,Latitude,Location\r\n"
    return {
        "many-rows.csv": (head + rows + "\r\n").encode(),
        "quoted.csv": b'Crime ID,Location\r\n"a, b","line\r\nbreak"\r\n,\r\n"a, b",z\r\n',
        "bad-coordinates.csv": b"Longitude,Latitude,Location\r\nx,52.1,a\r\n-1.1,,b\r\n,,c\r\n",
        "one-coordinate.csv": b"Longitude,Location\r\n-1.1,a\r\n",
        "header-only.csv": b"Crime ID,Month\r\n",
        "bom.csv": b"\xef\xbb\xbfCrime ID,Month\r\nx,2022-10\r\n",
        "not-utf8.csv": b"Crime ID\r\n\xff\xfe\r\n",
        "nul.csv": b"Crime ID\r\na\x00secret\r\n",
        "duplicate-header.csv": b"a,a,b\r\n1,2,3\r\n",
    }


@pytest.mark.parametrize("name", sorted(_odd_files(Path("."))))
def test_the_childs_read_is_the_artifact_read_here(name, tmp_path):
    """Every part of the artifact, the string set's iteration order included, is a read
    here's: also for quoting, bad coordinates, a BOM, and the error artifacts."""
    path = tmp_path / name
    path.write_bytes(_odd_files(tmp_path)[name])
    want = read_output(path)
    ahead = _beside(path)
    got = ahead.result()
    assert ahead.from_child
    assert got[0] == want[0]
    assert [_facts(a) for a in got[1]] == [_facts(a) for a in want[1]]
    assert no_children()


def _raises(path, name, in_folder):
    raise MemoryError("no room for the parse")


def _dies(path, name, in_folder):
    os._exit(3)


def _hangs(path, name, in_folder):
    time.sleep(3600)


def _garbage(path, name, in_folder):
    return {"strings": []}


def _strings_sent(path, name, in_folder):
    """An artifact with strings in it (the set itself, not first occurrences)."""
    return output_reader.read_file(path, name=name, in_folder=in_folder), []


def _not_text(path, name, in_folder):
    art, firsts = read_recorded(path, name, in_folder)
    return art, [([1, 2], col) for _values, col in firsts]


@pytest.mark.parametrize("child", [_raises, _dies, _hangs, _garbage, _strings_sent, _not_text])
def test_a_failing_child_leaves_the_file_to_be_read_here(child, world, tmp_path):
    for label, public in planted_releases(world):
        path = _csv(tmp_path / label, public)
        want = check_release(world["raw"], path, world["points"]).to_dict()
        started = time.monotonic()
        ahead = _beside(path, read=child, deadline_s=2.0)
        report = check_release(world["raw"], ahead, world["points"])
        assert not ahead.from_child, label
        assert report.to_dict() == want, label
        assert report.passed == (label == "clean"), report.message()
        assert time.monotonic() - started < 60
    assert no_children()


def test_read_ahead_takes_a_large_csv_only(world, tmp_path):
    path = _csv(tmp_path, world["public"])
    assert read_ahead(path) is path  # (a small file: not worth a child)
    link = tmp_path / "link.csv"
    link.symlink_to(path)
    assert CsvBeside.start(link, min_bytes=0) is None
    assert CsvBeside.start(tmp_path / "missing.csv", min_bytes=0) is None
    assert CsvBeside.start(tmp_path, min_bytes=0) is None
    prepared = prepare_gate(world["raw"], world["points"])
    ahead = _beside(path, read=_hangs, deadline_s=600.0)
    with pytest.raises(ValueError):  # (a call that fails first ends the child)
        check_release(world["raw"].iloc[:10], ahead, world["points"], prepared=prepared)
    assert no_children()
