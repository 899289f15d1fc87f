"""The web map's and the summaries' CSV inputs (police.uk street and outcomes files, the LSOA
population file, a lookup and a names file) and the salt file, fuzzed: seeded mutations of
real files (stray quotes, NULs, bare CRs, a BOM mid-file, invalid UTF-8, cuts, huge numbers,
a 10 MB line) read or raise the reader's own error, never another exception; the refusal
names the file; and a change that keeps a file's values (other line ends, every cell quoted,
a BOM, a salt's surrounding white space) reads the same values."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path
from typing import Any, Callable

import pytest

from crime_mapper.core.publish import neighbourhoods as hoods
from crime_mapper.core.publish.webmap_inputs import WebmapInputError, read_release_inputs
from crime_mapper.core.release.release_files import create_salt_file, read_salt
from crime_mapper.core.release.release_limits import ReleaseInputError

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
MONTH = SAMPLE / "police-uk" / "2022-07"
STREET = MONTH / "2022-07-northumbria-street.csv"
OUTCOMES = MONTH / "2022-07-northumbria-outcomes.csv"
POPULATION = SAMPLE / "population" / "lsoa11_mid2018_population_leicestershire_force_area.csv"
PIECES = (
    b'"', b",", b"\n", b"\r", b"\r\n", b"\x00", b"\xff", b"\xc3", b"\xef\xbb\xbf", b'"""',
    b"=1+1", b"NaN", b"inf", b"1e999", b"-", b"\t", b"\xed\xa0\x80", b"99999999999999999999",
)  # fmt: skip


def _head(path: Path, lines: int) -> bytes:
    return b"".join(path.read_bytes().splitlines(keepends=True)[:lines])


def _mutated(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at, roll = rng.randrange(len(out) + 1), rng.random()
        if roll < 0.6:
            out[at:at] = rng.choice(PIECES)
        elif roll < 0.85:
            del out[at : at + rng.randint(1, 30)]
        elif roll < 0.93:
            del out[at:]
        elif at < len(out):
            out[at] = rng.randrange(256)
    return bytes(out)


def _street(path: Path) -> Any:
    return read_release_inputs([path])


def _outcomes(path: Path) -> Any:
    """The outcomes file read beside the real street file of its month (its first lines)."""
    folder = path.parent / f"{path.stem}-month"
    folder.mkdir()
    (folder / STREET.name).write_bytes(_head(STREET, 80))
    (folder / OUTCOMES.name).write_bytes(path.read_bytes())
    return read_release_inputs([folder])


#: reader -> (a real file's first lines, the call, its error, the name its refusal says)
READERS: dict[str, tuple[bytes, Callable[[Path], Any], type, Callable[[Path], str]]] = {
    "street": (_head(STREET, 80), _street, WebmapInputError, lambda path: path.name),
    "outcomes": (_head(OUTCOMES, 80), _outcomes, WebmapInputError, lambda _: OUTCOMES.name),
    "population": (
        _head(POPULATION, 80),
        hoods.read_lsoa_population,
        hoods.NeighbourhoodError,
        lambda path: path.name,
    ),
    "lookup": (
        (SAMPLE / "neighbourhoods" / "lsoa11_to_msoa11_leicester_city.csv").read_bytes(),
        lambda path: hoods.read_lookup(path, "msoa11cd", "msoa11nm"),
        hoods.NeighbourhoodError,
        lambda path: path.name,
    ),
}


@pytest.mark.parametrize("reader", sorted(READERS))
def test_damaged_files_read_or_raise_the_readers_own_error_naming_the_file(tmp_path, reader):
    data, read, error, name = READERS[reader]
    read_control = tmp_path / "control.csv"
    read_control.write_bytes(data)
    read(read_control)  # the control: the real file reads
    rng = random.Random(reader)
    line = data.index(b"\n") + 1
    cases = [_mutated(rng, data) for _ in range(80)]
    cases.append(data[:line] + b"x" * 10_000_000 + data[line:])  # a 10 MB line
    for number, case in enumerate(cases):
        path = tmp_path / f"{reader}-{number}.csv"
        path.write_bytes(case)
        try:
            read(path)
        except error as exc:
            assert name(path) in str(exc), (case[:200], str(exc))


def _rewritten(data: bytes, rng: random.Random) -> bytes:
    """The same rows written otherwise: every cell quoted or none, CRLF or LF, a BOM."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    buffer = io.StringIO()
    quoting = rng.choice([csv.QUOTE_ALL, csv.QUOTE_MINIMAL])
    csv.writer(buffer, quoting=quoting, lineterminator=rng.choice(["\r\n", "\n"])).writerows(rows)
    return rng.choice([b"", b"\xef\xbb\xbf"]) + buffer.getvalue().encode("utf-8")


@pytest.mark.parametrize("reader", ["street", "outcomes", "population", "lookup"])
def test_the_same_rows_written_otherwise_read_the_same(tmp_path, reader):
    data, read, _error, _name = READERS[reader]
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "control.csv").write_bytes(data)
    want = _values(read(tmp_path / "a" / "control.csv"))
    rng = random.Random(reader)
    for number in range(6):
        (tmp_path / str(number)).mkdir()
        path = tmp_path / str(number) / "control.csv"
        path.write_bytes(_rewritten(data, rng))
        assert _values(read(path)) == want


def _values(read: Any) -> Any:
    if isinstance(read, dict):  # (population)
        return read
    if isinstance(read, hoods.LsoaLookup):
        return read.codes, read.names, read.problems
    return read.street.to_dict("list"), read.outcomes.to_dict("list")


@pytest.mark.parametrize(
    "cell, read",
    [("1495", 1495.0), ('"1,495"', 1495.0), ('"12,345.0"', 12345.0), (" 1495 ", 1495.0),
     ('"1,5"', None), ('"1,2,3"', None), ("1_495", None), ('"1,4950"', None),
     ("\u0661\u0664\u0669\u0665", None), ("\uff11\uff14\uff19\uff15", None),
     ("1\u0664\u0669\u0665", None), ('"\uff11,495"', None), ("\u00a01495\u00a0", 1495.0)],
)  # fmt: skip
def test_a_population_is_read_as_the_number_written_or_said_to_be_none(tmp_path, cell, read):
    """Commas were taken out wherever they stood: "1,5" (a decimal comma) was read as 15
    residents and "1,2,3" as 123; and Python's "1_495" was read as a number, as were digits
    of other scripts (Arabic-Indic, full-width), which a spreadsheet keeps as text. A
    no-break space around the number is padding, as a plain space is."""
    path = tmp_path / "population.csv"
    path.write_text(f"LSOA11CD,mid2018_population\nE01013615,{cell}\n", encoding="utf-8")
    problems: list[str] = []
    assert hoods.read_lsoa_population(path, problems=problems).get("E01013615") == read
    assert bool(problems) == (read is None)


@pytest.mark.parametrize(
    "read, text",
    [
        (hoods.read_lsoa_population, "code,residents\nE01013615,1495\n"),
        (lambda path: hoods.read_lookup(path, "msoa11cd"), "lsoa11cd,code\nE01013615,E02\n"),
        (lambda path: hoods.read_names(path, "msoa11cd", "name"), "msoa11cd,title\nE02,A\n"),
    ],
)
def test_a_csv_without_the_columns_wanted_is_refused_naming_it(tmp_path, read, text):
    """The refusal said "the LSOA population file has none of the columns ...", not which
    of the files a release reads beside each other."""
    path = tmp_path / "mine.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(hoods.NeighbourhoodError, match=r"mine\.csv has (none of the|no) column"):
        read(path)


def test_a_damaged_salt_file_reads_or_raises_release_input_error(tmp_path):
    salt = create_salt_file(tmp_path / "made.salt")
    data = salt.read_bytes()
    want = read_salt(salt)
    rng = random.Random("salt")
    for number in range(300):
        path = tmp_path / f"{number}.salt"
        case = _mutated(rng, data)
        path.write_bytes(case)
        try:
            got = read_salt(path)
        except ReleaseInputError as exc:
            assert path.name in str(exc)
            continue
        # (what reads is the file's bytes, white space and a UTF-8 byte-order mark taken off)
        assert got == case.strip().removeprefix(b"\xef\xbb\xbf").strip()
    for around in (b" ", b"\n", b"\r\n", b"\t", b"\n\n"):
        path = tmp_path / "spaced.salt"
        path.write_bytes(around + want + around)
        assert read_salt(path) == want
