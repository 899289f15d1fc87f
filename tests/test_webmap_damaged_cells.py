"""A damaged cell of a police.uk street CSV is refused by the web map's and the summaries'
readers, never read as another value (each found by a hostile-input sweep):

- a NUL byte: pandas' C reader ends a cell at one and drops the rest without a word, so a
  longitude "-1.14\\x00999" was mapped at -1.14 (some 300 m away) and a location
  "Green\\x00gate Nook" published as "Green", with exit 0; the file is now refused, naming
  the line (core.load.textscan.refuse_damaged_text), from disk and from a police.uk zip;
- an infinite coordinate ("inf", "-Infinity"): a number to both parsers, so the crime was
  mapped nowhere without a word (or refused by the leak gate, as if it were a leak): refused
  as a coordinate that is not a number;
- one of Longitude and Latitude blank (police.uk leaves both blank for a crime with no
  location): refused, not drawn as "no location".

Real files: the bundled Northumbria month, one cell changed.
"""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

import pytest

from crime_mapper.core.load import textscan
from crime_mapper.core.publish.summaries import SummaryError
from crime_mapper.core.publish.summaries_run import read_release
from crime_mapper.core.publish.webmap_inputs import WebmapInputError, read_release_inputs

STREET = Path(__file__).resolve().parents[1] / "sample_data/police-uk/2022-07/"
STREET = STREET / "2022-07-northumbria-street.csv"
LINES = STREET.read_bytes().splitlines(keepends=True)
HEADER = LINES[0].decode().rstrip("\r\n").split(",")


def _with_cell(tmp_path: Path, line: int, column: str, value: bytes) -> Path:
    """The real file with one cell (on file line ``line``, 1 = the header) replaced."""
    lines = list(LINES)
    cells = lines[line - 1].rstrip(b"\r\n").split(b",")
    cells[HEADER.index(column)] = value
    lines[line - 1] = b",".join(cells) + b"\n"
    path = tmp_path / STREET.name
    path.write_bytes(b"".join(lines))
    return path


def _zipped(path: Path) -> Path:
    archive = path.with_name("2022-07.zip")
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(path, f"2022-07/{path.name}")
    path.unlink()
    return archive


@pytest.mark.parametrize("typed", [False, True], ids=["text", "typed"])
@pytest.mark.parametrize(
    "column, value",
    [
        ("Longitude", b"-1.67\x00999"),
        ("Location", b"On or near Green\x00gate Nook"),
        ("Crime ID", b"abc\x00def"),
        ("Month", b"2022-07\x00"),
    ],
)
@pytest.mark.parametrize("zipped", [False, True], ids=["file", "zip"])
def test_a_nul_in_a_cell_is_refused_naming_its_line(tmp_path, column, value, typed, zipped):
    path = _with_cell(tmp_path, 1234, column, value)
    given = _zipped(path) if zipped else path
    with pytest.raises(WebmapInputError, match=r"NUL character .* on line 1,234") as caught:
        read_release_inputs([given], typed_coordinates=typed)
    assert STREET.name in str(caught.value)


def test_the_same_file_without_the_nul_reads_every_row(tmp_path):
    """(the control: the cell without its NUL is read whole)"""
    path = _with_cell(tmp_path, 1234, "Location", b"On or near Greengate Nook")
    street = read_release_inputs([path]).street
    assert len(street) == len(LINES) - 1
    assert street["Location"].iloc[1232] == "On or near Greengate Nook"


def test_the_summaries_refuse_a_release_with_a_nul(tmp_path):
    path = _with_cell(tmp_path, 7, "LSOA name", b"Newcastle\x00 upon Tyne 001A")
    with pytest.raises(SummaryError, match="NUL character .* on line 7"):
        read_release(path)


@pytest.mark.parametrize("chunk", [1, 2, 5, 64, 1 << 20])
def test_refuse_nul_names_the_first_nul_line_across_chunks(tmp_path, monkeypatch, chunk):
    """The file is searched a chunk at a time: the line said is the first NUL's wherever
    the chunks are cut (the bytes given whole say the same)."""
    monkeypatch.setattr(textscan, "_NUL_CHUNK", chunk)
    rng = random.Random(chunk)
    for trial in range(60):
        data = bytes(rng.choice(b"ab,\n\x00") for _ in range(rng.randrange(0, 300)))
        path = tmp_path / f"t{trial}.csv"
        path.write_bytes(data)
        if b"\x00" not in data:
            textscan.refuse_damaged_text(path)
            textscan.refuse_damaged_text(data)
            continue
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        for item in (path, data):
            with pytest.raises(textscan.NulInText, match=f"on line {line:,},"):
                textscan.refuse_damaged_text(item)


@pytest.mark.parametrize("typed", [False, True], ids=["text", "typed"])
@pytest.mark.parametrize("value", [b"inf", b"-inf", b"Infinity", b"-Infinity", b"INF"])
@pytest.mark.parametrize("column", ["Longitude", "Latitude"])
def test_an_infinite_coordinate_is_refused(tmp_path, column, value, typed):
    path = _with_cell(tmp_path, 40, column, value)
    with pytest.raises(WebmapInputError, match=r"1 rows have coordinates that are not numbers"):
        read_release_inputs([path], typed_coordinates=typed)


@pytest.mark.parametrize("typed", [False, True], ids=["text", "typed"])
@pytest.mark.parametrize("column", ["Longitude", "Latitude"])
def test_one_blank_coordinate_is_refused(tmp_path, column, typed):
    path = _with_cell(tmp_path, 40, column, b"")
    with pytest.raises(WebmapInputError, match=r"1 rows have only one of Longitude and Lat"):
        read_release_inputs([path], typed_coordinates=typed)


@pytest.mark.parametrize("typed", [False, True], ids=["text", "typed"])
def test_both_blank_is_a_crime_with_no_location(tmp_path, typed):
    path = _with_cell(tmp_path, 40, "Longitude", b"")
    lines = path.read_bytes().splitlines(keepends=True)
    cells = lines[39].split(b",")
    cells[HEADER.index("Latitude")] = b""
    lines[39] = b",".join(cells)
    path.write_bytes(b"".join(lines))
    before = read_release_inputs([STREET], typed_coordinates=typed).street
    unlocated = int((before["Longitude"].isin(["", None]) | before["Longitude"].isna()).sum())
    read = read_release_inputs([path], typed_coordinates=typed)
    assert len(read.street) == len(LINES) - 1
    assert any(f": {unlocated + 1} rows have no location" in w for w in read.warnings)
