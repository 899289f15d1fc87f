"""A missing input is "not found" in every message of the core, as Processing and the
release configuration's checks say it.

Why: the core said "does not exist" (the salt file, the release rules, the output to
check), "no such file or folder" (extracts, crimes, QA inputs), "PATH: not found" (the web
map's release) or "not found" (map points, profiles) of one missing file; the words now
come from one helper (core.common.text_file.not_found). Each case is the real reader given a
path that is not there, beside real files where the reader needs them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crime_mapper.core.common.text_file import not_found
from crime_mapper.core.load.load_run import LoadRunError, check_inputs_exist
from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.load.sources import InputError
from crime_mapper.core.publish.webmap_inputs import WebmapInputError, read_release_inputs
from crime_mapper.core.qa.run import QaInputError, load_history
from crime_mapper.core.release.crimes_input import (
    CrimesSourceError,
    crimes_from_files,
    raw_locations,
)
from crime_mapper.core.release.pipeline import check_crimes_paths, load_rules, run_check_release
from crime_mapper.core.release.release_files import (
    ReleaseInputError,
    create_salt_file,
    read_salt,
)
from tests.support.monthly_config import SAMPLE

POLICE_UK = SAMPLE / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"


def _refusals(tmp_path: Path) -> list[tuple[str, str, object]]:
    """(what, the missing path, a call that reads it) for each reader."""
    gone = tmp_path / "gone"
    salt = create_salt_file(tmp_path / "secret" / "force.salt")
    return [
        ("Extract", gone / "x.csv", lambda p: load_extracts([p])),
        ("Extract", gone / "x.csv", lambda p: check_inputs_exist([POLICE_UK, p])),
        ("Extract", gone / "x.csv", lambda p: crimes_from_files([p])),
        ("crimes GeoPackage", gone / "c.gpkg", lambda p: raw_locations([p])),
        ("Crimes input", gone / "c.gpkg", lambda p: check_crimes_paths(str(p))),
        ("Salt file", gone / "s.salt", lambda p: read_salt(p)),
        ("Release rules file", gone / "r.json", lambda p: load_rules(str(p))),
        (
            "Output to check",
            gone / "public",
            lambda p: run_check_release([str(POLICE_UK)], None, p, rules=None),
        ),
        ("QA history file", gone / "h.csv", lambda p: load_history([p], "2022-10")),
        ("Salt file", salt.parent / "other.salt", lambda p: read_salt(p)),
        (
            "Public release",
            gone / "2022-10-street.csv",
            lambda p: read_release_inputs([POLICE_UK, p]),
        ),
    ]


ERRORS = (
    InputError,
    LoadRunError,
    CrimesSourceError,
    ReleaseInputError,
    QaInputError,
    WebmapInputError,
)


@pytest.mark.parametrize("case", range(11))
def test_a_missing_input_is_not_found(tmp_path, case):
    what, path, read = _refusals(tmp_path)[case]
    with pytest.raises(ERRORS) as caught:
        read(path)
    assert str(caught.value) == not_found(what, path) == f"{what} not found: {path}"


def test_no_message_of_the_core_says_it_another_way():
    """The wordings the helper replaced are gone from the core's messages."""
    core = Path(__file__).resolve().parent.parent / "crime_mapper" / "core"
    said = [
        f"{path.relative_to(core)}:{n}"
        for path in sorted(core.rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r'"[^"]+(does not exist|no such file or folder)|}: not found"', line)
    ]
    assert said == []


def test_the_leak_gate_names_a_missing_output_not_found(tmp_path):
    """The gate's own refusal of an output that is not there (read_output, as the gate
    reads what it checks) said "the output does not exist"."""
    from crime_mapper.core.gate.output_reader import read_output

    name, artifacts = read_output(tmp_path / "public.csv")
    assert [(a.kind, a.error) for a in artifacts] == [("error", "the output was not found")]
