"""The small CSV files a user hands the tool beside the extracts (the offence mapping table,
the QA area lookup, team information, the neighbourhood lookup, names and populations),
damaged or hostile: each reader raises its own error naming the file, never a
UnicodeDecodeError or a csv.Error traceback.

csv.Error comes from a field over the csv module's size limit (and, on the Python 3.9 that
QGIS 3.22 ships on Windows, from a NUL byte); the limit is lowered for the test so the error
is met here whatever another module set it to."""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any, Callable

import pytest

from crime_mapper.core.load.mapping_profile import ProfileError, read_offence_table
from crime_mapper.core.publish import neighbourhoods as hoods
from crime_mapper.core.publish.summaries import SummaryError
from crime_mapper.core.publish.summaries_run import read_families
from crime_mapper.core.publish.summaries_team import TeamError, read_team
from crime_mapper.core.qa.run import QaInputError, read_area_lookup

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "neighbourhoods"
OFFENCES = (
    "offence,category\nBurglary dwelling,Burglary\nCommon assault,Violence and sexual offences\n"
)
AREAS = "lsoa11cd,msoa11cd\nE01013600,E02002829\nE01013601,E02002829\n"
TEAM = (
    "code,kind,name,description,rank,issue\n"
    "E02002829,neighbourhood,Abbey,<p>We patrol</p>,,\n"
    "E02002829,person,PC Smith,,Constable,\n"
)

#: reader -> (a good file's text, the call, the error it must raise)
READERS: dict[str, tuple[str, Callable[[Path], Any], type]] = {
    "offence_table": (OFFENCES, read_offence_table, ProfileError),
    "area_lookup": (AREAS, read_area_lookup, QaInputError),
    "team_csv": (TEAM, read_team, TeamError),
    "lookup": (
        (SAMPLE / "lsoa11_to_msoa11_leicester_city.csv").read_text(encoding="utf-8"),
        lambda path: hoods.read_lookup(path, "msoa11cd", "msoa11nm"),
        hoods.NeighbourhoodError,
    ),
    "names": (
        (SAMPLE / "msoa11_names_leicester_city.csv").read_text(encoding="utf-8"),
        lambda path: hoods.read_names(path, "msoa11cd", "msoa11hclnm"),
        hoods.NeighbourhoodError,
    ),
    "population": (
        "LSOA11CD,LSOA11NM,mid2018_population\nE01013615,Leicester 001A,1495\n"
        "E01013616,Leicester 001B,1667\n",
        hoods.read_lsoa_population,
        hoods.NeighbourhoodError,
    ),
    "families": (
        "code,family\nE02002829,urban\nE02002830,urban\n",
        read_families,
        SummaryError,
    ),
}

#: the readers that refuse a row with fewer fields than the header (the offence table and
#: the area lookup need two cells a row, and refuse a row without them by their own rules)
PADDED_BY_PANDAS = ("lookup", "names", "population", "families", "team_csv")


@pytest.fixture
def small_field_limit():
    """csv's field limit lowered to 1,000 characters for the test, then put back."""
    before = csv.field_size_limit()
    csv.field_size_limit(1_000)
    yield
    csv.field_size_limit(before)


@pytest.mark.parametrize("reader", sorted(READERS))
def test_the_good_file_reads(tmp_path, reader):
    text, read, _error = READERS[reader]
    path = tmp_path / f"{reader}.csv"
    path.write_text(text, encoding="utf-8")
    assert read(path)


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_file_that_is_not_utf8_is_the_readers_own_error(tmp_path, reader):
    text, read, error = READERS[reader]
    path = tmp_path / f"{reader}.csv"
    path.write_bytes(text.encode("utf-8") + b"x,\xff\xfe\xe9\n")
    with pytest.raises(error, match=path.name):
        read(path)


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_field_over_the_csv_limit_is_the_readers_own_error(tmp_path, reader, small_field_limit):
    text, read, error = READERS[reader]
    path = tmp_path / f"{reader}.csv"
    lines = text.splitlines()
    lines[1] = '"' + "x" * 5_000 + '",' + lines[1]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        read(path)
    except error:
        pass  # (pandas' reader has no such limit: the row may read, or be refused)


@pytest.mark.parametrize("reader", sorted(READERS))
def test_mutated_files_raise_only_the_readers_own_error(tmp_path, reader):
    text, read, error = READERS[reader]
    data = text.encode("utf-8")
    pieces = (b'"', b",", b"\n", b"\r", b"\x00", b"\xff", b"\xef\xbb\xbf", b'"' * 3, b"=1+1")
    rng = random.Random(reader)
    for number in range(80):
        out = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(out) + 1)
            out[at:at] = rng.choice(pieces)
        path = tmp_path / f"{number}.csv"
        path.write_bytes(bytes(out))
        try:
            read(path)
        except error:
            pass


@pytest.mark.parametrize("reader", PADDED_BY_PANDAS)
def test_a_row_cut_short_is_refused_naming_its_line(tmp_path, reader):
    """A file cut off mid-row (a copy that stopped) read as whole: pandas and csv.DictReader
    pad the row with empty cells, so an LSOA got no neighbourhood name, a population was
    left out, a family or a team member was dropped, and nobody was told."""
    text, read, error = READERS[reader]
    lines = text.splitlines()
    cut = lines[1].rsplit(",", 1)[0]  # the first data row without its last cell
    path = tmp_path / f"{reader}.csv"
    path.write_text("\n".join([*lines, cut]) + "\n", encoding="utf-8")
    with pytest.raises(error, match=f"line {len(lines) + 1}"):
        read(path)
    path.write_text("\n".join([lines[0], lines[1], "", *lines[2:]]) + "\n", encoding="utf-8")
    assert read(path)  # (a blank line is no row, as pandas reads it)


def test_a_team_row_with_more_fields_than_the_header_is_refused(tmp_path):
    """csv.DictReader put the extra cells aside: a description holding an unquoted comma
    lost its end, silently."""
    path = tmp_path / "team.csv"
    path.write_text(TEAM + "E02002829,priority,,,,Litter, then graffiti\n", encoding="utf-8")
    with pytest.raises(TeamError, match="line 4 has more fields"):
        read_team(path)


@pytest.mark.parametrize("reader", ("lookup", "names", "population", "families"))
@pytest.mark.parametrize("row", (1, -1))
def test_a_row_with_more_fields_than_the_header_is_refused_naming_its_line(tmp_path, reader, row):
    """A first row with extra cells made pandas take its leading cells as an index and move
    every column along: names read from the codes' column, populations from the names',
    the file quietly unused. A later one stopped the parse with a message about C."""
    text, read, error = READERS[reader]
    lines = text.splitlines()
    at = row if row > 0 else len(lines) - 1
    lines[at] += ",x,y"
    path = tmp_path / f"{reader}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fields = len(lines[0].split(","))
    with pytest.raises(error, match=f"{fields + 2} fields on line {at + 1} where its header"):
        read(path)


def test_an_lsoa_listed_twice_in_a_population_file_is_refused(tmp_path):
    """Added up, a row repeated by a copy and paste published a rate for twice the residents
    of that neighbourhood, and nobody was told."""
    text = READERS["population"][0]
    path = tmp_path / "pop.csv"
    path.write_text(text + text.splitlines()[1] + "\n", encoding="utf-8")
    with pytest.raises(hoods.NeighbourhoodError, match=r"E01013615 \(data rows 1, 3\)"):
        hoods.read_lsoa_population(path)
    path.write_text(text, encoding="utf-8")
    assert hoods.read_lsoa_population(path) == {"E01013615": 1495.0, "E01013616": 1667.0}


def test_a_code_given_two_names_is_refused_and_a_repeated_row_is_not(tmp_path):
    path = tmp_path / "names.csv"
    path.write_text(
        "msoa11cd,msoa11hclnm\nE02002827,Beaumont Park\nE02002827,Rushey Mead North\n"
        "E02002828,Stocking Farm\n",
        encoding="utf-8",
    )
    with pytest.raises(hoods.NeighbourhoodError, match="'Beaumont Park' and 'Rushey Mead"):
        hoods.read_names(path, "msoa11cd", "msoa11hclnm")
    path.write_text(
        "msoa11cd,msoa11hclnm\nE02002827,Beaumont Park\nE02002827, Beaumont Park\n",
        encoding="utf-8",
    )
    assert hoods.read_names(path, "msoa11cd", "msoa11hclnm") == {"E02002827": "Beaumont Park"}


def test_a_lookup_naming_a_neighbourhood_twice_says_so(tmp_path):
    path = tmp_path / "lookup.csv"
    path.write_text(
        "lsoa11cd,msoa11cd,msoa11nm\nE1,M1,Leicester 001\nE2,M1,Leicester 099\nE3,M2,Leicester 2\n",
        encoding="utf-8",
    )
    found = hoods.read_lookup(path, "msoa11cd", "msoa11nm")
    assert found.names == {"M1": "Leicester 001", "M2": "Leicester 2"}
    assert any("more than one name" in p and "M1" in p for p in found.problems)


def test_an_offence_table_that_is_not_a_regular_file_is_refused_without_reading_it(tmp_path):
    """A profile's offence_table set to /dev/zero was read until the machine ran out of
    memory (the command killed after a minute and a half)."""
    with pytest.raises(ProfileError, match="not a file"):
        read_offence_table(Path("/dev/zero"))
    with pytest.raises(ProfileError, match="not a file"):
        read_offence_table(tmp_path)


def test_an_offence_table_too_large_to_be_one_is_refused(tmp_path, monkeypatch):
    from crime_mapper.core.load import mapping_profile

    path = tmp_path / "offences.csv"
    path.write_text(OFFENCES, encoding="utf-8")
    monkeypatch.setattr(mapping_profile, "OFFENCE_TABLE_MAX_BYTES", len(OFFENCES) - 1)
    with pytest.raises(ProfileError, match="more than any offence list"):
        read_offence_table(path)


def test_an_offence_tables_header_in_capitals_reads_and_one_without_its_columns_is_refused(
    tmp_path,
):
    """A header written Offence,Category was read as no column at all: every offence of the
    extract was then rejected as an unknown category, and nothing said why."""
    path = tmp_path / "offences.csv"
    path.write_text(OFFENCES.replace("offence,category", " Offence , CATEGORY"), "utf-8")
    assert read_offence_table(path) == read_offence_table_of(tmp_path, OFFENCES)
    for header in ("offence,type", "code,category", "offence,category,Offence"):
        path.write_text(OFFENCES.replace("offence,category", header, 1), "utf-8")
        with pytest.raises(ProfileError, match="must name one 'offence' and one 'category'"):
            read_offence_table(path)


def test_an_offence_given_two_categories_is_refused_and_a_repeated_row_is_not(tmp_path):
    """The last row won: burglary codes published as drugs, and nothing said so."""
    path = tmp_path / "offences.csv"
    path.write_text("offence,category\n8L,Burglary\n8l ,Drugs\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r":3: '8l' is mapped to 'Drugs' here and to "):
        read_offence_table(path)
    path.write_text("offence,category\n8L,Burglary\n8L,burglary\n", encoding="utf-8")
    assert list(read_offence_table(path).values()) == ["Burglary"]


def read_offence_table_of(folder: Path, text: str) -> dict[str, str]:
    path = folder / "plain.csv"
    path.write_text(text, encoding="utf-8")
    return read_offence_table(path)


def test_a_team_cell_whose_quote_is_never_closed_is_refused_naming_its_line(tmp_path):
    """The quote took every later row into one cell: the team's name became "x\\nE02002827,
    person,PC Smith...", its people were lost, and the summaries said nothing."""
    path = tmp_path / "team.csv"
    lines = TEAM.splitlines()
    lines[1] = lines[1].replace("<p>We patrol</p>", '"<p>We patrol</p>')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(TeamError, match="the record from line 2 on: unexpected end of data"):
        read_team(path)
    path.write_text(TEAM.replace("<p>We patrol</p>", '"<p>We\npatrol</p>"'), encoding="utf-8")
    assert read_team(path)  # (a quoted cell may hold a line break)


def test_a_code_given_two_families_is_refused_naming_its_lines_and_a_repeated_row_is_not(
    tmp_path,
):
    """The last row won: a neighbourhood was compared with the areas of a family it was not
    given first, and nothing said so. The lines are the file's own, past a blank line and
    a quoted line break."""
    path = tmp_path / "families.csv"
    path.write_text(
        'code,family\nE02002827,F0\n\nE02002828,"two\nlines"\nE02002827 ,F3\n', encoding="utf-8"
    )
    with pytest.raises(SummaryError, match=r"families\.csv .* E02002827 on lines 2, 6 \('F0' and"):
        read_families(path)
    path.write_text("code,family\nE02002827,F0\nE02002827, F0\nE02002828,F1\n", "utf-8")
    assert read_families(path) == {"E02002827": "F0", "E02002828": "F1"}


def test_a_families_file_with_no_family_is_refused(tmp_path):
    """A header alone (or codes without families) took every page's similar neighbourhoods
    away without a word."""
    path = tmp_path / "families.csv"
    for text in ("code,family\n", "code,family\nE02002827,\n ,F1\n"):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(SummaryError, match="families.csv holds no row with both"):
            read_families(path)
