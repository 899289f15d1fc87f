"""Every reject's detail quotes the cell as the file writes it, never the number it became.

An analyst finds a rejected row in their file by searching for what the detail quotes. A
coordinate the scanner had parsed as a number was quoted as that number (``x=inf`` for
``Infinity``, ``x=-1.1`` for `` -1.10 ``, ``x=0.0`` for ``0.000``), which no search finds.
These tests put hostile cells into real police.uk and force files (numbers spelt oddly,
invisible and control-like characters, quotes and delimiters inside a cell, very long
cells) in every field a reason quotes, and check the detail word for word.
"""

from __future__ import annotations

import csv
from pathlib import Path

from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.load.mapping_profile import MappingProfile
from crime_mapper.core.load.row_checks import SHOWN_CHARACTERS, shown_cell
from crime_mapper.core.load.textscan import scan_csv

ROOT = Path(__file__).resolve().parent.parent
STREET = ROOT / "sample_data" / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"
STOP = ROOT / "sample_data" / "police-uk" / "2022-07" / "2022-07-northumbria-stop-and-search.csv"
FORCE = ROOT / "sample_data" / "force" / "2022-10-leicestershire-force-extract.csv"
PROFILE = ROOT / "sample_data" / "force" / "leicestershire-force-extract.profile.json"


def edited(source: Path, target: Path, cells: dict[int, dict[str, str]], rows: int = 30) -> Path:
    """The first `rows` data rows of a real file with some cells replaced (by data row
    number from 1 and column name), written as a CSV writer quotes them."""
    with open(source, newline="", encoding="utf-8") as handle:
        records = list(csv.reader(handle))
    header, body = records[0], records[1 : rows + 1]
    for number, changes in cells.items():
        for column, value in changes.items():
            body[number - 1][header.index(column)] = value
    with open(target, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, *body])
    return target


def details(result) -> dict[int, tuple[str, str]]:
    """(reason, detail) by physical line."""
    rejects = result.rejects
    return {
        int(line): (reason, detail)
        for line, reason, detail in zip(
            rejects["source_line"], rejects["reason"], rejects["detail"]
        )
    }


def test_shown_cell_escapes_and_shortens():
    assert shown_cell("1e999") == "'1e999'"
    assert shown_cell(" 5.00 ") == "' 5.00 '"
    assert shown_cell("a\u202eb\u00a0c\u200bd\x7f") == "'a\\u202eb\\xa0c\\u200bd\\x7f'"
    long = "9" * 1000
    assert shown_cell(long) == f"'{'9' * SHOWN_CHARACTERS}'... (1,000 characters in all)"
    assert shown_cell(None) == "''"
    padded_id = " " + "ab" * 32 + "\t"  # a police.uk Crime ID with spaces: quoted whole
    assert shown_cell(padded_id) == repr(padded_id)


def test_police_uk_coordinates_parsed_as_numbers_are_quoted_as_written(tmp_path: Path):
    """Cells pandas' parser reads as numbers (so the whole column was float64): the detail
    showed the float (x=inf, x=-1.1, y=0.0, x=5.0), not what to search the file for."""
    path = edited(
        STREET,
        tmp_path / STREET.name,
        {
            1: {"Longitude": "Infinity", "Latitude": "52.6"},
            2: {"Longitude": " -1.10 ", "Latitude": "0"},
            3: {"Longitude": "+5.00", "Latitude": "5."},
            4: {"Longitude": "-0.000", "Latitude": "-0"},
            5: {"Longitude": "-inf", "Latitude": "1E3"},
        },
    )
    scan = scan_csv(path.read_bytes(), numeric=("Longitude", "Latitude"))
    assert str(scan.frame["Longitude"].dtype) == "float64"  # the path this test is about
    assert details(load_extracts([path])) == {
        2: ("bad_coordinates", "x='Infinity', y='52.6'"),
        3: ("zero_coordinates", "x=' -1.10 ', y='0'"),
        4: ("outside_uk", "x='+5.00', y='5.'"),
        5: ("zero_coordinates", "x='-0.000', y='-0'"),
        6: ("bad_coordinates", "x='-inf', y='1E3'"),
    }


def test_police_uk_coordinates_read_as_text_are_quoted_as_written(tmp_path: Path):
    """The same when one cell is no number at all (the column stays text): odd spellings,
    an invisible character, a delimiter inside a quoted cell, a cell of 300 digits."""
    path = edited(
        STREET,
        tmp_path / STREET.name,
        {
            1: {"Longitude": "1e999", "Latitude": "52.6"},
            2: {"Longitude": "0x10", "Latitude": "52.6"},
            3: {"Longitude": "\u202e-1.10", "Latitude": "52.6"},
            4: {"Longitude": "-1,10", "Latitude": "52,6"},
            5: {"Longitude": "-1.1", "Latitude": "5" * 300},
        },
    )
    assert details(load_extracts([path])) == {
        2: ("bad_coordinates", "x='1e999', y='52.6'"),
        3: ("bad_coordinates", "x='0x10', y='52.6'"),
        4: ("bad_coordinates", "x='\\u202e-1.10', y='52.6'"),
        5: ("bad_coordinates", "x='-1,10', y='52,6'"),
        6: ("outside_uk", f"x='-1.1', y='{'5' * SHOWN_CHARACTERS}'... (300 characters in all)"),
    }


def test_police_uk_text_fields_are_quoted_escaped_and_shortened(tmp_path: Path):
    path = edited(
        STREET,
        tmp_path / STREET.name,
        {
            1: {"Month": "2022-1O"},
            2: {"Month": "2022-10" + " " * 200 + "x"},
            3: {"Crime type": "\u202eyralgruB"},
            4: {"Crime type": "Burg\tlary"},
            5: {"Last outcome category": 'Said "no", then left'},
            6: {"Month": "2022-09 "},
        },
    )
    got = details(load_extracts([path]))
    assert got[2] == ("bad_month", "month '2022-1O'")
    long_month = "2022-10" + " " * (SHOWN_CHARACTERS - 7)
    assert got[3] == ("bad_month", f"month {long_month!r}... (208 characters in all)")
    assert got[4] == ("unknown_category", "crime type '\\u202eyralgruB'")
    assert got[5] == ("unknown_category", "crime type 'Burg\\tlary'")
    assert got[6] == ("unknown_outcome", "outcome 'Said \"no\", then left'")
    assert got[7] == ("month_mismatch", "month '2022-09 ', file name says 2022-10")
    assert len(got) == 6


def test_stop_and_search_cells_are_quoted_as_written(tmp_path: Path):
    path = edited(
        STOP,
        tmp_path / STOP.name,
        {
            1: {"Latitude": "Infinity"},
            2: {"Latitude": "0.0000", "Longitude": "0"},
            3: {"Date": "2022-07-32T11:40:00+00:00"},
            4: {"Date": "2022-06-30T12:00:00+00:00"},
        },
    )
    got = details(load_extracts([path]))
    lon = {n: row[5] for n, row in enumerate(csv.reader(path.open(newline="")), start=1)}
    assert got == {
        2: ("bad_coordinates", f"x={lon[2]!r}, y='Infinity'"),
        3: ("zero_coordinates", "x='0', y='0.0000'"),
        4: ("bad_date", "date '2022-07-32T11:40:00+00:00'"),
        5: ("month_mismatch", "date '2022-06-30T12:00:00+00:00', file name says 2022-07"),
    }


def test_force_extract_cells_are_quoted_as_written(tmp_path: Path):
    """A force extract whose eastings and northings are all plain decimals (so the scan
    parsed them as numbers: 0.000 became 0.0), and every other field a reason quotes."""
    reference = next(csv.DictReader(FORCE.open(newline="")))["Crime Reference"]
    path = edited(
        FORCE,
        tmp_path / FORCE.name,
        {
            2: {"Easting": "0.000", "Northing": "-0"},
            3: {"Offence Time": "25:99"},
            4: {"Offence Date": "01/09/2022", "Offence Time": " 10:00"},
            5: {"Offence Description": '=HYPERLINK("http://x")' + "!" * 100},
            6: {"Sensitive": "may\u00a0be"},
            7: {"Outcome": "Sorted\u200b"},
            8: {"Crime Reference": f" {reference}\t"},
        },
    )
    profile = MappingProfile.load(PROFILE)
    got = details(load_extracts([path], profile=profile))
    offence = '=HYPERLINK("http://x")' + "!" * (SHOWN_CHARACTERS - 22)
    assert got == {
        3: ("zero_coordinates", "x='0.000', y='-0'"),
        4: ("bad_date", f"date {FORCE_DATE(path, 4)!r}, time '25:99'"),
        5: ("month_mismatch", "date '01/09/2022', time ' 10:00', file name says 2022-10"),
        6: (
            "unknown_category",
            f"offence {offence!r}... (122 characters in all) is not in the mapping table",
        ),
        7: ("bad_sensitive_flag", "sensitive flag 'may\\xa0be'"),
        8: ("unknown_outcome", "outcome 'Sorted\\u200b'"),
        9: (
            "duplicate_crime_id",
            f"Crime ID ' {reference}\\t' first seen at {path}:2 as {reference!r} "
            "(Crime IDs are compared without case or surrounding spaces)",
        ),
    }


def FORCE_DATE(path: Path, line: int) -> str:  # noqa: N802 (reads as the cell it names)
    """The Offence Date cell of a physical line of an edited force extract."""
    rows = list(csv.DictReader(path.open(newline="")))
    return rows[line - 2]["Offence Date"]
