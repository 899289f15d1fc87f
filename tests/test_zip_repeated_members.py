"""A zip archive holding two members of one name is refused by every reader of archives (the
load, the summaries' history, the web map's inputs), naming the archive and the member.
zipfile finds a member by name and gets the last of that name: the load read 30 of a
month's 60 crimes and said "Rows read 30 = accepted 30", exit 0; the web map refused it as
"the same file given twice" though the two held other crimes.

Real zip files holding the bundled police.uk month, split in two under one member name."""

from __future__ import annotations

import re
import warnings
import zipfile
from pathlib import Path

import pytest

from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.load.sources import InputError
from crime_mapper.core.publish.summaries import SummaryError
from crime_mapper.core.publish.summaries_history import read_history
from crime_mapper.core.publish.webmap_inputs import WebmapInputError, read_release_inputs
from tests.support.plain_cli import SAMPLE, plain_cli

STREET = SAMPLE / "police-uk" / "2022-09" / "2022-09-leicestershire-street.csv"
MEMBER = "2022-09/2022-09-leicestershire-street.csv"
DIFFERENT = re.escape(f"holds two members named {MEMBER} with different contents")
SAME = re.escape(f"holds {MEMBER} twice (the same size and checksum)")


def _archive(path: Path, *contents: bytes) -> Path:
    """A zip holding each of ``contents`` under the one name MEMBER."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile's "Duplicate name"
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for data in contents:
                archive.writestr(MEMBER, data)
    return path


def _halves() -> tuple[bytes, bytes]:
    """The month's first 30 and next 30 rows, each under the header."""
    header, *rows = STREET.read_bytes().split(b"\r\n")
    return tuple(b"\r\n".join([header, *part]) + b"\r\n" for part in (rows[:30], rows[30:60]))


@pytest.fixture
def different(tmp_path) -> Path:
    return _archive(tmp_path / "2022-09.zip", *_halves())


def _every_reader_refuses(path: Path, why: str) -> None:
    with pytest.raises(InputError, match=why) as refused:
        load_extracts([str(path)])
    assert str(path) in str(refused.value)
    with pytest.raises(SummaryError, match=why) as refused_history:
        read_history([str(path)], ["2022-10"])
    assert path.name in str(refused_history.value)
    with pytest.raises(WebmapInputError, match=why) as refused_map:
        read_release_inputs([str(path)])
    assert path.name in str(refused_map.value)


def test_two_members_of_one_name_are_refused_by_every_reader(different):
    _every_reader_refuses(different, DIFFERENT)


def test_the_same_member_added_twice_is_refused_too(tmp_path):
    path = _archive(tmp_path / "twice.zip", *[STREET.read_bytes()] * 2)
    _every_reader_refuses(path, SAME)


def test_an_archive_in_a_folder_is_refused(different, tmp_path):
    folder = tmp_path / "months"
    folder.mkdir()
    different.rename(folder / different.name)
    with pytest.raises(InputError, match=DIFFERENT):
        load_extracts([str(folder)])
    with pytest.raises(SummaryError, match=DIFFERENT):
        read_history([str(folder)], ["2022-10"])


def test_the_commands_exit_2_naming_the_archive_and_the_member(different, tmp_path):
    for args in (
        ("load", different, "--out", tmp_path / "load"),
        ("map-points", "history", different, "--out", tmp_path / "points.csv"),
        ("webmap", different, "--out", tmp_path / "web", "--tiles", "none"),
    ):
        run = plain_cli(*args)
        assert run.returncode == 2, (args, run.stderr)
        assert different.name in run.stderr and re.search(DIFFERENT, run.stderr), run.stderr
    assert not list((tmp_path / "load").glob("*")) and not (tmp_path / "points.csv").exists()


def test_members_of_other_names_still_read(tmp_path):
    first, second = _halves()
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(MEMBER, first)
        archive.writestr("again/" + MEMBER, second)
    result = load_extracts([str(path)])
    assert sum(f.rows_read for f in result.files) == 60 and len(result.rejects) == 0
