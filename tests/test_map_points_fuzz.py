"""Map points files (CSV and GeoPackage) fuzzed, seeded and deterministic.

Two properties. What the product writes reads back exactly: map points from a real police.uk
month, their texts made of what spreadsheets, CSV and text readers take for something else
(guard quotes, formula starts, quotes, separators, "NA", a BOM, line separators), written by
write_map_points_csv and write_map_points_gpkg and read again, every value as written. And
what a user hands over damaged (a real map points CSV with stray quotes, NULs, bare CRs, a
BOM mid-file, invalid UTF-8, cuts, huge numbers, a 10 MB line) reads or raises
MapPointsError naming the file: never another exception."""

from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np
import pytest

from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.release.map_points import (
    CSV_COLUMNS,
    MapPoints,
    MapPointsError,
    map_points_from_history,
    read_map_points_csv,
    write_map_points_csv,
)
from crime_mapper.core.release.map_points_files import read_map_points_gpkg, write_map_points_gpkg

MONTH = Path(__file__).resolve().parents[1] / "sample_data" / "police-uk" / "2022-09"
#: Pieces of the texts written: what some reader takes for something other than text.
ATOMS = (
    "", " ", "'", "''", "=", "+", "-", "@", "'=", "'-", "'+1", "=1+1", "-5", "'\t", '"', '""',
    ",", ";", "\u00a0", "\ufeff", "\u2028", "\u0085", "\u200b", "é", "😀", "NA", "N/A", "null",
    "nan", "#N/A", "1e5", "True", "\\", "\\n", "Mill Lane", "On or near",
)  # fmt: skip
SOURCES = ("layer", "roads", "police.uk history", "hexagon fallback")


@pytest.fixture(scope="module")
def places() -> tuple[np.ndarray, np.ndarray]:
    """Real map point coordinates (a police.uk month's), each place once."""
    crimes = load_extracts([str(MONTH / "2022-09-leicestershire-street.csv")]).crimes
    points = map_points_from_history(crimes.head(400))
    return points.longitude, points.latitude


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(ATOMS) for _ in range(rng.randint(0, 4)))


def _points(rng: random.Random, places: tuple[np.ndarray, np.ndarray]) -> MapPoints:
    n = rng.randint(1, 6)
    rows = rng.sample(range(len(places[0])), n)
    return MapPoints(
        places[0][rows],
        places[1][rows],
        [_text(rng).removeprefix("On or near") for _ in range(n)],  # (a label never has it)
        [rng.choice(SOURCES) for _ in range(n)],
        [rng.choice([-1, 0, 8, 12, 2**40]) for _ in range(n)],
        [_text(rng) for _ in range(n)],
        [_text(rng) for _ in range(n)],
    )


def _same(points: MapPoints, back: MapPoints) -> bool:
    return all(getattr(points, c).tolist() == getattr(back, c).tolist() for c in CSV_COLUMNS)


@pytest.mark.parametrize("seed", range(2))
def test_written_map_points_read_back_as_written(tmp_path, places, seed):
    rng = random.Random(seed)
    for case in range(25):
        points = _points(rng, places)
        write_map_points_csv(points, tmp_path / f"{case}.csv")
        assert _same(points, read_map_points_csv(tmp_path / f"{case}.csv")), points
        write_map_points_gpkg(points, tmp_path / f"{case}.gpkg")
        assert _same(points, read_map_points_gpkg(tmp_path / f"{case}.gpkg")), points


@pytest.mark.parametrize("text", ["'=x", "'-", "''+1", "'@home", "'-5"])
def test_a_text_starting_with_a_quote_and_a_formula_start_reads_back_as_written(tmp_path, text):
    """The writer guards "=x" as "'=x" and the reader takes the quote off; "'=x" itself was
    written as it is, and read back as "=x" (in the label, the LSOA code and the name)."""
    points = MapPoints([-1.13], [52.63], [text], ["layer"], [8], [text], [text])
    write_map_points_csv(points, tmp_path / "points.csv")
    back = read_map_points_csv(tmp_path / "points.csv")
    assert [back.label[0], back.lsoa_code[0], back.lsoa_name[0]] == [text] * 3


PIECES = (
    b'"', b",", b"\n", b"\r", b"\r\n", b"\x00", b"\xff", b"\xc3", b"\xef\xbb\xbf", b'"""',
    b"=1+1", b"NaN", b"inf", b"1e999", b"-", b"\t", b"\xed\xa0\x80", b"99999999999999999999",
)  # fmt: skip


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


def test_a_damaged_map_points_csv_reads_or_raises_map_points_error_naming_it(tmp_path, places):
    rng = random.Random("map points csv")
    good = tmp_path / "good.csv"
    write_map_points_csv(_points(random.Random(0), places), good)
    data = good.read_bytes()
    line = data.index(b"\n") + 1
    cases = [_mutated(rng, data) for _ in range(250)]
    cases.append(data[:line] + b"-1.1," + b"5" * 10_000_000 + data[line:])  # a 10 MB line
    for number, case in enumerate(cases):
        path = tmp_path / f"points-{number}.csv"
        path.write_bytes(case)
        try:
            read_map_points_csv(path)
        except MapPointsError as exc:
            assert path.name in str(exc), (case, str(exc))


@pytest.mark.parametrize(
    "rows, said",
    [
        ([], "there are no map points"),
        (["2.35,48.85,Rue de Rivoli,layer,8,E1,N"], "outside the United Kingdom"),
    ],
)
def test_a_csv_without_usable_points_is_refused_naming_it(tmp_path, rows, said):
    """A CSV of a header alone, or of a point outside the UK, was refused without a word of
    which file (the release reads the map points beside the crimes and the salt)."""
    path = tmp_path / "points.csv"
    path.write_text("\n".join([",".join(CSV_COLUMNS), *rows]) + "\n", encoding="utf-8")
    with pytest.raises(MapPointsError, match=f"^{re.escape(str(path))}: .*{said}"):
        read_map_points_csv(path)


def test_a_point_outside_the_uk_is_named_by_its_line(tmp_path):
    """The refusal named the point's number ("row 15"), not where it is in the file: with the
    header, row 15 is line 16, the line an analyst opens the file at."""
    good = [f"-1.{i:02d},52.6,Road {i},layer,8,E1,N" for i in range(1, 15)]
    path = tmp_path / "points.csv"
    path.write_text(
        "\n".join([",".join(CSV_COLUMNS), *good, "2.35,48.85,Rue de Rivoli,layer,8,E1,N"]) + "\n",
        encoding="utf-8",
    )
    with pytest.raises(MapPointsError, match=r"first at row 15 \(line 16\): longitude 2\.35"):
        read_map_points_csv(path)
