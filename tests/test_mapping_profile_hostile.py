"""Mapping profiles an analyst wrote carelessly, refused up front naming the file and the value.

Why: a profile's date_format was checked only by the profile dialog. Given on the command
line, a format that reads no year ("%d/%m %H:%M") gave every crime the year 1900, and the
crimes were accepted and published under October 1900; one with no date ("%H:%M", "AUTO",
"nonsense") rejected every row as bad_date with exit 0, the profile never named. Real
files, the real command line.
"""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import pytest

from crime_mapper.core.load.mapping_profile import MappingProfile, ProfileError
from crime_mapper.core.load.profile_checks import profile_problems
from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE, plain_cli

#: formats the read cannot take, and the words of their refusal
REFUSED = {
    "%d/%m %H:%M": "does not read a day, month and year back ('31/10 23:59' is read as 1900-10-31",
    "%H:%M": "does not read a day, month and year back",
    "%Y-%m": "is read as 2022-10-01, not 2022-10-31",
    "%F": "is read as nothing",
    "AUTO": "is not a strftime format",
    "nonsense": "is not a strftime format",
    "%Q": "is not a strftime format",
}
#: formats the read takes as before
TAKEN = ["auto", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M", "%d/%m/%y %H:%M", "%Y-%m-%dT%H:%M:%S"]


def _profile(tmp_path: Path, **changes: object) -> Path:
    with open(FORCE_PROFILE, encoding="utf-8") as handle:
        data = json.load(handle)
    data.update(changes)
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(data), "utf-8")
    return path


def _yearless_extract(tmp_path: Path) -> Path:
    """The bundled extract's first rows, dates without a year, in a file whose name gives
    no month (so no month check stood between them and the 1900 release)."""
    with open(FORCE_EXTRACT, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[:6]
    at = rows[0].index("Offence Date")
    for row in rows[1:]:
        row[at] = row[at][:5]  # "21/10/2022" -> "21/10"
    path = tmp_path / "extract.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


@pytest.mark.parametrize(("fmt", "words"), REFUSED.items())
def test_a_date_format_that_reads_no_whole_date_is_refused_on_the_command_line(
    tmp_path: Path, fmt: str, words: str
) -> None:
    profile = _profile(tmp_path, date_format=fmt)
    out = tmp_path / "out"
    done = plain_cli("load", "--out", out, "--profile", profile, _yearless_extract(tmp_path))
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert f"profile.json: date_format {fmt!r}" in done.stderr
    assert words in done.stderr
    assert not out.exists()


@pytest.mark.parametrize("fmt", REFUSED)
def test_the_profile_dialog_refuses_what_the_loader_refuses(fmt: str) -> None:
    """One rule: the dialog must not save a profile the loader then refuses."""
    with pytest.raises(ProfileError, match="date_format"):
        MappingProfile.from_dict({"date_format": fmt})
    problems = " ".join(
        profile_problems(replace(MappingProfile.load(FORCE_PROFILE), date_format=fmt))
    )
    assert f"Date format {fmt!r}" in problems


@pytest.mark.parametrize("fmt", TAKEN)
def test_a_whole_date_format_is_taken(fmt: str) -> None:
    assert MappingProfile.from_dict({"date_format": fmt}).date_format == fmt
    assert profile_problems(replace(MappingProfile.load(FORCE_PROFILE), date_format=fmt)) == []


#: one column given two roles, and the roles the refusal names
SHARED = {
    "crime_ref": ("Offence Date", "crime_ref and date"),
    "lsoa_code": ("easting", "x and lsoa_code"),
    "category": ("Offence Description", "offence and category"),
    "time": ("offence date", "date and time"),
}


@pytest.mark.parametrize(("role", "shared"), SHARED.items())
def test_a_column_given_two_roles_is_refused_on_the_command_line(
    tmp_path: Path, role: str, shared: tuple[str, str]
) -> None:
    """Read as both, each wrongly: a date as the crime reference (all but one row of a day
    rejected as duplicates), the offence as the category (the offence table never used),
    the easting as the LSOA code (the file failed with "an unexpected error")."""
    column, roles = shared
    with open(FORCE_PROFILE, encoding="utf-8") as handle:
        columns = json.load(handle)["columns"]
    profile = _profile(tmp_path, columns={**columns, role: column})
    out = tmp_path / "out"
    done = plain_cli("load", "--out", out, "--profile", profile, FORCE_EXTRACT)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert f"profile.json: the profile maps {roles} to the one column" in done.stderr
    assert "unexpected error" not in done.stderr
    assert not out.exists()
    problems = profile_problems(MappingProfile(columns={**columns, role: column}))
    assert any("is chosen for" in p for p in problems), problems


def test_one_force_column_may_say_who_reported_and_whose_area(tmp_path: Path) -> None:
    with open(FORCE_PROFILE, encoding="utf-8") as handle:
        columns = json.load(handle)["columns"]
    columns.update(reported_by="MO Notes", falls_within="mo notes")
    assert MappingProfile.from_dict({"columns": columns}).columns == columns
    assert profile_problems(MappingProfile(columns=columns)) == []


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"offence_mapping": {"8L": "Drugz"}}, "offence mapping '8L' -> 'Drugz': not a police"),
        ({"offence_table": "."}, "the offence mapping table is not a file"),
    ],
)
def test_a_bad_offence_mapping_names_its_profile_on_the_command_line(
    tmp_path: Path, changes: dict, words: str
) -> None:
    """`load` said "offence mapping '8L' -> 'Drugz': not a police.uk category" without
    naming the profile that held it; it now reads the profile as `anonymise` does."""
    out = tmp_path / "out"
    done = plain_cli(
        "load", "--out", out, "--profile", _profile(tmp_path, **changes), FORCE_EXTRACT
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "profile.json: mapping profile " in done.stderr and words in done.stderr
    assert not out.exists()
