"""A public release CSV with bare carriage returns (CR without LF), given to the web map and
the summaries.

- Old Mac line endings (every line ends at a bare CR): the load reads such a file, and the
  summaries did; the web map said "not a readable CSV (new-line character seen in unquoted
  field - do you need to open the file in universal-newline mode?)", pointing at nothing
  the analyst could fix. It is now read as the load reads it.
- One bare CR in a file of LF (or CR LF) lines, outside quotes: the load rejects the row it
  cuts in two (bare_carriage_return); the web map and the summaries said "Buffer overflow
  caught - possible malformed input file", or, elsewhere in a row, read it as two rows
  without a word. Both now refuse the file naming it and the line
  (core.load.textscan.refuse_damaged_text). A CR inside a quoted cell is that cell's text.

Real files: the bundled Northumbria month, its line endings changed; the real command line.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from crime_mapper.core.load import textscan
from crime_mapper.core.publish.summaries import SummaryError
from crime_mapper.core.publish.summaries_run import read_release
from crime_mapper.core.publish.webmap_inputs import WebmapInputError, read_release_inputs
from tests.support.plain_cli import plain_cli

STREET = Path(__file__).resolve().parents[1] / "sample_data/police-uk/2022-07/"
STREET = STREET / "2022-07-northumbria-street.csv"
LINES = STREET.read_bytes().replace(b"\r\n", b"\n").split(b"\n")


def _written(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "in" / STREET.name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    return path


def _cr_only(tmp_path: Path) -> Path:
    return _written(tmp_path, b"\r".join(LINES))


def _one_bare_cr(tmp_path: Path, line: int, quoted: bool = False) -> Path:
    """The file in LF lines, with a CR put into the Location cell on ``line`` (1: header)."""
    lines = list(LINES)
    cut = lines[line - 1].replace(b"On or near ", b'"On or near\r ' if quoted else b"On or near\r ")
    lines[line - 1] = cut.replace(b",E0", b'",E0', 1) if quoted else cut
    assert b"\r" in lines[line - 1]
    return _written(tmp_path, b"\n".join(lines))


def test_the_web_map_reads_old_mac_line_endings_as_the_load_does(tmp_path):
    path = _cr_only(tmp_path)
    crimes = len([line for line in LINES[1:] if line])
    load = plain_cli("load", path, "--out", tmp_path / "loaded")
    assert load.returncode == 0 and f"accepted {crimes:,}" in load.stdout, load.stderr
    done = plain_cli("webmap", path, "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert f"({crimes:,} crimes" in done.stdout
    assert (tmp_path / "out" / "map" / "index.html").is_file()
    read = read_release_inputs([path]).street
    assert read.equals(read_release_inputs([STREET]).street)
    assert read_release(path).equals(read_release(STREET))


@pytest.mark.parametrize("endings", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
def test_a_bare_cr_in_a_file_of_lines_is_refused_naming_the_file_and_line(tmp_path, endings):
    path = _one_bare_cr(tmp_path, 1234)
    path.write_bytes(path.read_bytes().replace(b"\n", endings))
    load = plain_cli("load", path, "--out", tmp_path / "loaded")
    assert "bare_carriage_return" in load.stdout, load.stdout
    said = rf"{STREET.name}: holds a carriage return without a line feed \(a bare CR\) on "
    said += "line 1,234"
    done = plain_cli("webmap", path, "--out", tmp_path / "out")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert re.search(said, done.stderr), done.stderr
    assert "universal-newline" not in done.stderr and "Buffer overflow" not in done.stderr
    assert not (tmp_path / "out").exists()
    with pytest.raises(WebmapInputError, match=said):
        read_release_inputs([path], typed_coordinates=True)
    with pytest.raises(SummaryError, match=r"a bare CR\) on line 1,234"):
        read_release(path)


def test_a_bare_cr_that_pandas_would_read_as_two_rows_is_refused(tmp_path):
    """A CR before the last cells of a row: pandas read the row as two short rows, exit 0."""
    lines = list(LINES)
    lines[40] = (
        lines[40].replace(b",Anti-social", b"\r,Anti-social").replace(b",Burglary", b"\r,Burglary")
    )
    lines[40] = re.sub(rb",(E0\d+)", rb",\r\1", lines[40], count=1)
    path = _written(tmp_path, b"\n".join(lines))
    with pytest.raises(WebmapInputError, match=r"a bare CR\) on line 41"):
        read_release_inputs([path])


def test_a_cr_in_a_quoted_cell_is_its_text(tmp_path):
    path = _one_bare_cr(tmp_path, 1234, quoted=True)
    textscan.refuse_damaged_text(path)
    assert "On or near\r " in read_release_inputs([path]).street["Location"].iloc[1232]


def test_a_cr_ending_the_files_last_line_is_its_end(tmp_path):
    """A file of CR LF lines whose last line ends at a CR alone (cut, or saved by a tool
    that wrote no LF at the end) loses no row: every reader ends the line there."""
    data = b"\r\n".join(LINES).rstrip(b"\r\n") + b"\r"
    path = _written(tmp_path, data)
    textscan.refuse_damaged_text(path)
    assert read_release_inputs([path]).street.equals(read_release_inputs([STREET]).street)


def _first_bare(data: bytes):
    """The reference: the line of the first CR outside quotes that no LF follows and that
    is not the last byte (which ends the last line)."""
    quotes = 0
    for i, byte in enumerate(data):
        if byte == 34:
            quotes += 1
        elif byte == 13 and i + 1 < len(data) and data[i + 1] != 10 and quotes % 2 == 0:
            return data.count(b"\n", 0, i) + 1
    return None


@pytest.mark.parametrize("chunk", [1, 2, 5, 64, 1 << 20])
def test_the_first_bare_cr_is_found_wherever_the_chunks_are_cut(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(textscan, "_NUL_CHUNK", chunk)
    rng = random.Random(chunk)
    for trial in range(200):
        data = bytes(rng.choice(b'ab,"\n\r\n\r\n') for _ in range(rng.randrange(0, 200)))
        path = tmp_path / f"t{trial}.csv"
        path.write_bytes(data)
        line = _first_bare(data) if b"\n" in data else None
        for item in (path, data):
            if line is None:
                textscan.refuse_damaged_text(item)
                continue
            with pytest.raises(textscan.BareCarriageReturn, match=f"on line {line:,},"):
                textscan.refuse_damaged_text(item)
