"""A force extract's Home Office offence code is matched as written, not as a number.

Why: an offence cell was folded as a description is (case, punctuation, spacing and the
words "a", "an", "the" dropped), so "+1", "-1", "(1)", "1." and "é1" all read as code 1
(homicide: "Violence and sexual offences") and "28 A" as code 28, each published under that
code's category without a word. They are now rejected as unknown offences, as "1e0",
"0x1" and "1.0" always were, with the same reason and detail. What the README
documents still meets: case, and the punctuation or spacing between a code's parts ("4.1",
"4/1", "4-1"), and descriptions folded as before. Real files, the real command line.

A class number padded with zeros ("01", "008N", "0105A", as records systems write a
code to a width) names the one code without them, and was rejected as an unknown offence:
no Home Office class is written with a leading zero. A part after a separator keeps its
zeros ("4.01": "4.1" and "4.10" are both codes), and "1.0" (a spreadsheet's number) stays
no code. A table or a profile giving "01" and "1" two categories is refused.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from crime_mapper.core.common.vocabulary import fold_text, offence_key
from crime_mapper.core.load.mapping_profile import (
    DEFAULT_OFFENCE_TABLE,
    MappingProfile,
    ProfileError,
    read_offence_table,
)
from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE, plain_cli

#: Cells that are no code of the table (its code 1 is "Violence and sexual offences", 28
#: and 28A "Burglary"): each must be rejected as an unknown offence.
NOT_CODES = ["+1", "-1", "(1)", "1.", "é1", "１", "1e0", "0x1", "1.0", "28 A", "8Ｌ", "+01"]
NOT_CODES += ["4.01", "28.0", "٨N", "00"]
#: Cells the table's codes meet as the README says (case, punctuation between parts).
CODES = {"1": "1", " 1 ": "1", "4/1": "4.1", "4-1": "4.1", "8l": "8L", "28a": "28A"}
#: A class number padded with zeros, as records systems write one: the one code it names.
CODES.update({"01": "1", "008N": "8N", " 008n ": "8N", "0105A": "105A", "04.1": "4.1"})


def _extract(tmp_path: Path, cells: list[str]) -> Path:
    """The bundled force extract with its first rows' offence cells replaced by ``cells``."""
    with open(FORCE_EXTRACT, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    at = rows[0].index("Offence Description")
    for row, cell in zip(rows[1:], cells):
        row[at] = cell
    path = tmp_path / FORCE_EXTRACT.name
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_a_code_written_otherwise_is_an_unknown_offence_on_the_command_line(
    tmp_path: Path,
) -> None:
    cells = NOT_CODES + list(CODES)
    out = tmp_path / "out"
    done = plain_cli("load", "--out", out, "--profile", FORCE_PROFILE, _extract(tmp_path, cells))
    assert done.returncode == 0, done.stderr
    with open(out / "rejects.csv", newline="", encoding="utf-8") as handle:
        rejects = {int(r["source_line"]): r for r in csv.DictReader(handle)}
    for line, cell in enumerate(NOT_CODES, start=2):
        assert rejects[line]["reason"] == "unknown_category", cell
        assert rejects[line]["detail"] == f"offence {cell!r} is not in the mapping table"
    for line in range(len(NOT_CODES) + 2, len(cells) + 2):
        assert line not in rejects, (cells[line - 2], rejects[line])


@pytest.mark.parametrize("cell", NOT_CODES)
def test_no_other_form_meets_a_code_of_the_table(cell: str) -> None:
    lookup = MappingProfile().offence_lookup()
    assert offence_key(cell) not in lookup, cell


@pytest.mark.parametrize(("cell", "code"), CODES.items())
def test_the_documented_forms_meet_their_code(cell: str, code: str) -> None:
    assert offence_key(cell) == offence_key(code)
    assert MappingProfile().offence_lookup()[offence_key(cell)]


def test_the_bundled_table_and_descriptions_are_keyed_as_before() -> None:
    with open(DEFAULT_OFFENCE_TABLE, newline="", encoding="utf-8-sig") as handle:
        offences = [row["offence"] for row in csv.DictReader(handle)]
    assert [offence_key(o) for o in offences] == [fold_text(o) for o in offences]
    assert offence_key("Theft - from the person") == offence_key("theft from person")


@pytest.mark.parametrize("offence", ["-", "１", " ? "])
def test_an_offence_with_no_letter_or_digit_is_refused(tmp_path: Path, offence: str) -> None:
    """Its key was "" (every cell of punctuation or another script's digits had it), so a
    table naming "-" gave "１" a category."""
    table = tmp_path / "offences.csv"
    table.write_text(f"offence,category\nPoaching,Other crime\n{offence},Drugs\n", "utf-8")
    with pytest.raises(ProfileError, match=r"offences\.csv:3: the offence .* no ASCII letter"):
        read_offence_table(table)
    with pytest.raises(ProfileError, match="no ASCII letter or digit"):
        MappingProfile(offence_mapping={offence: "Drugs"}).offence_lookup()


def test_a_table_giving_a_padded_code_and_the_code_two_categories_is_refused(
    tmp_path: Path,
) -> None:
    """ "01" and "1" are one code: which category its crimes took would be the rows' order's
    choice."""
    table = tmp_path / "offences.csv"
    table.write_text("offence,category\n1,Robbery\nPoaching,Other crime\n01,Drugs\n", "utf-8")
    refused = r"offences\.csv:4: '01' is mapped to 'Drugs' here .* line 2"
    with pytest.raises(ProfileError, match=refused):
        read_offence_table(table)
    table.write_text("offence,category\n1,Robbery\n01,Robbery\n", "utf-8")
    assert read_offence_table(table) == {"1": "Robbery"}


@pytest.mark.parametrize(
    "overrides",
    [{"1": "Robbery", "01": "Drugs"}, {"Fly tipping": "Other crime", "fly-tipping": "Drugs"}],
)
def test_a_profile_giving_one_offence_two_categories_is_refused(
    tmp_path: Path, overrides: dict[str, str]
) -> None:
    """The later entry won without a word, so the crimes' category was the JSON's order's
    choice. Refused on the command line, nothing loaded."""
    with pytest.raises(ProfileError, match="name one offence; give it one category"):
        MappingProfile(offence_mapping=overrides).offence_lookup()
    with open(FORCE_PROFILE, encoding="utf-8") as handle:
        profile = json.load(handle)
    profile["offence_mapping"] = overrides
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(profile), "utf-8")
    out = tmp_path / "out"
    done = plain_cli("load", "--out", out, "--profile", path, FORCE_EXTRACT)
    assert done.returncode == 2, done.stderr
    assert "name one offence; give it one category" in done.stderr
    assert not out.exists()


def test_a_profile_may_repeat_one_offence_with_one_category() -> None:
    lookup = MappingProfile(offence_mapping={"Fly tipping": "Drugs", "fly-tipping": "drugs"})
    assert lookup.offence_lookup()[offence_key("FLY TIPPING")] == "Drugs"
