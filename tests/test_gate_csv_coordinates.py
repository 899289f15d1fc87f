"""The leak gate's CSV read may parse the Longitude and Latitude columns as numbers straight
away (core.gate.output_reader._coordinates_parsed, issue 15): a national public CSV's
million coordinate cells were each a Python string, then a pd.to_numeric parse.

The artifact must be exactly the one the all-text read gives (its strings in the same
order, its schemas, every coordinate bit for bit, every bad-coordinate message with the
cells as written, every read failure), for hostile files as for real releases; the
shortcut is refused wherever that is not certain (it is then the text read, as before),
and never taken for a table a monthly release keeps (read_public_csv's all-text table).
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import numpy as np
import pytest

from crime_mapper.core.gate import output_reader
from crime_mapper.core.gate.output_reader import _coordinates_parsed, _read_csv, read_file
from crime_mapper.core.release.public_schema import (
    PUBLIC_COLUMNS,
    remembering_tables,
    write_public_csv,
)
from tests.support.written_outputs import hostile_public_table, public_table

HEADER = ",".join(PUBLIC_COLUMNS)


def _row(lon: str, lat: str, location: str = "On or near High Street") -> str:
    cells = ["", "2022-10", "Force A", "Force A", lon, lat, location, "E01", "A 001A",
             "Burglary", "", ""]  # fmt: skip
    return ",".join(cells)


def _body(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _read(body: bytes, keep_text: bool) -> object:
    """What _read_csv gives (or raises) for these bytes: a comparable summary."""
    text = body.decode("utf-8")
    try:
        art = _read_csv(text, "t.csv", strict=True, body=body, keep_text=keep_text)
    except Exception as exc:  # noqa: BLE001 - a failure must be the same failure
        return ("raised", type(exc).__name__, str(exc))
    return (
        list(art.strings),  # (the set's order too: examples are drawn from it)
        art.schemas,
        art.bad_coordinates,
        art.coord_where,
        [a.view(np.int64).tolist() for a in art.lon],  # (bit for bit: -0.0 is not 0.0)
        [a.view(np.int64).tolist() for a in art.lat],
    )


def _same_either_way(body: bytes) -> None:
    assert _read(body, keep_text=False) == _read(body, keep_text=True)


HOSTILE_NUMBERS = [
    "1.5", "-1.123456", " 1.5", "1.5 ", "\t1.5", "+1.5", ".5", "5.", "1e5", "1E-5", "-0",
    "-0.0", "0", "7", "", "nan", "NaN", "NA", "inf", "-Infinity", "+INF", "1e400", "1e-400",
    "0x10", "1_0", "1,5", "٣", "12345678901234567890", "9007199254740993", "x", "-",
]  # fmt: skip


@pytest.mark.parametrize("lon", HOSTILE_NUMBERS)
def test_each_hostile_longitude_reads_as_the_text_read_reads_it(lon):
    quoted = f'"{lon}"' if "," in lon else lon
    _same_either_way(_body(_row(quoted, "52.25"), _row("-1.25", "52.5")))
    _same_either_way(_body(_row(quoted, quoted), _row("-1.25", "52.5"), _row("", "")))


def test_random_files_of_hostile_cells_read_as_the_text_read_reads_them():
    rng = random.Random(15)
    cells = [f'"{c}"' if "," in c else c for c in HOSTILE_NUMBERS] + ["-1.25", "52.75"] * 8
    for _ in range(300):
        rows = [
            _row(rng.choice(cells), rng.choice(cells), rng.choice(["", '"a, b"', "x"]))
            for _ in range(rng.randint(0, 6))
        ]
        _same_either_way(_body(*rows))


@pytest.mark.parametrize(
    "body",
    [
        _body(_row("-1.5", "52.5"), header=HEADER.replace("Longitude", "Latitude")),
        _body(_row("-1.5", "52.5"), header=HEADER.replace("Crime ID", "Longitude")),
        _body(_row("-1.5", "52.5"), header=HEADER.replace("Crime ID", "longitude")),
        _body(_row("-1.5", "52.5"), header=HEADER.replace("Latitude", "lat")),
        _body(_row("-1.5", "52.5"), header=HEADER.replace("Latitude", "Other")),
        _body(_row("-1.5", "52.5") + ",extra", _row("-1.25", "52.25")),
        _body(_row("-1.5", "52.5"), "a,b", _row("-1.25", "52.25")),
        _body(_row("-1.5", "52.5"), "", "", _row("-1.25", "52.25")),
        _body(),
        _body(_row("", ""), _row("", "")),
        b'"Crime ID","Longitude",Latitude\nabc,"-1.5","52.5"\n',
        b"Crime ID,Longitude,Latitude\r\nabc,-1.5,52.5\r\nd\xc3\xa9f,-1.75,52.75\r\n",
    ],
)
def test_odd_headers_and_rows_read_as_the_text_read_reads_them(body):
    _same_either_way(body)


def test_a_hostile_public_table_reads_as_the_text_read_reads_it(tmp_path):
    path = tmp_path / "hostile.csv"
    write_public_csv(hostile_public_table(), path)
    _same_either_way(path.read_bytes())


def _clean_release(tmp_path: Path) -> Path:
    table = public_table(
        {"Location": ["On or near A Road", "On or near Shops, Car Park", "No Location"]}, 400
    )
    table["Longitude"] = ["-1.123456", "-0.5", "", "0.25"] * 100  # (blank in both, or neither)
    table["Latitude"] = ["52.1", "51.5", "", "53.0"] * 100
    path = tmp_path / "2022-10-force-street.csv"
    write_public_csv(table, path)
    return path


def test_a_release_csv_is_read_with_its_coordinates_parsed_as_numbers(tmp_path):
    body = _clean_release(tmp_path).read_bytes()
    frame = _coordinates_parsed(lambda: io.BytesIO(body), HEADER.split(","))
    assert frame is not None  # (the shortcut is taken: else the comparisons prove nothing)
    assert frame["Longitude"].dtype == np.float64 and frame["Location"].map(type).eq(str).all()
    _same_either_way(body)


@pytest.mark.parametrize(
    "rows",
    [
        [_row("-1", "52.5"), _row("-2", "52.75")],  # whole numbers: pd.to_numeric's integers
        [_row("-0", "52.5"), _row("", "")],
        [_row("-1.5", "52.5"), _row("-1.25", "")],  # a row blank on one side only
        [_row("-1.5", "52.5"), _row("inf", "52.25")],  # not finite
        [_row("-1.5", "52.5"), _row("nan", "52.25")],  # pandas refuses the column
        [_row("-1.5", "52.5"), _row(" x", "52.25")],
    ],
)
def test_the_shortcut_is_refused_where_the_floats_or_reports_could_differ(rows):
    body = _body(*rows)
    assert _coordinates_parsed(lambda: io.BytesIO(body), HEADER.split(",")) is None
    _same_either_way(body)


def test_repeated_or_missing_coordinate_names_are_read_as_text():
    for header in (
        HEADER + ",Longitude",
        HEADER.replace("Latitude", "Month"),
        HEADER.replace("Longitude", "lon"),  # (lon is read, but Longitude is not there)
    ):
        names = header.split(",")
        body = _body(_row("-1.5", "52.5") + ("," if len(names) > 12 else ""), header=header)
        parsed = _coordinates_parsed(lambda b=body: io.BytesIO(b), names)
        if len(set(names)) != len(names) or "Month" in names[5:6]:
            assert parsed is None
        _same_either_way(body)


def test_read_file_parses_numbers_outside_a_release_and_text_inside_one(tmp_path, monkeypatch):
    path = _clean_release(tmp_path)
    calls: list[bool] = []
    real = output_reader._read_csv

    def spy(*args, **kwargs):
        calls.append(kwargs.get("keep_text", True))
        return real(*args, **kwargs)

    monkeypatch.setattr(output_reader, "_read_csv", spy)
    outside = read_file(path, path.name, in_folder=False)
    with remembering_tables():
        inside = read_file(path, path.name, in_folder=False)
    assert calls == [False, True]
    assert list(outside.strings) == list(inside.strings)
    assert [a.tolist() for a in outside.lon] == [a.tolist() for a in inside.lon]
