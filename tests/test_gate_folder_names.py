"""The names of a published folder's files and folders are text anyone reads (a link, a
listing, a download's name): the leak gate reads them as an artifact of their own
(core.gate.output_reader.folder_names), whichever way the folder is read (read_output, or
core.gate.folder_beside with a forked child for a folder of many pages).

Found by a hostile sweep: a release folder holding "LE22005223.csv", "PC 1190 Nowak.txt",
"-1.14525,52.66719.html", "457901_308062.txt" or a folder named with a reference passed the
gate, which read only what the files hold. Real raw extract, map points and release
(tests/support/leak_world), real folders.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from crime_mapper.core.gate.folder_beside import FolderRead
from crime_mapper.core.gate.leak_gate import check_release
from crime_mapper.core.gate.output_reader import FOLDER_NAMES, folder_names
from tests.support.leak_world import NAMES, copy_folder, expect_only, raw_row


def _names(world: dict) -> dict[str, tuple[str, tuple[str, ...]]]:
    """case -> (a file's path inside the folder, the checks it fails)."""
    row = raw_row(world)
    ref = str(row["crime_id"])
    lat, lon = f"{row['latitude']:.5f}", f"{row['longitude']:.5f}"
    east, north = f"{row['source_x']:.0f}", f"{row['source_y']:.0f}"
    digest = hashlib.sha256(ref.encode()).hexdigest()
    squeezed = "".join(c for c in ref if c.isalnum())
    return {
        "reference": (f"{squeezed}.csv", ("no_source_references",)),
        "reference digest": (f"files/{digest}.txt", ("no_source_references",)),
        "reference as a folder": (f"{squeezed}/notes.txt", ("no_source_references",)),
        "victim name": (f"{NAMES[1]}.txt", ("no_non_public_values",)),
        "raw coordinate": (
            f"{lon},{lat}.html",
            ("coordinates_are_map_points", "no_raw_coordinates"),
        ),
        "raw grid reference": (f"{east}_{north}.txt", ("no_raw_coordinates",)),
        "date and time": ("2022-10-21T15-58 report.txt", ("no_dates_finer_than_month",)),
    }


CASES = [
    "reference",
    "reference digest",
    "reference as a folder",
    "victim name",
    "raw coordinate",
    "raw grid reference",
    "date and time",
]


def _add_file(folder: Path, rel: str) -> None:
    path = folder / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    body = "<!doctype html><html lang='en'><title>Map</title><p>Map</p></html>"
    path.write_text(body if suffix == ".html" else "Published monthly.\n", encoding="utf-8")


@pytest.mark.parametrize("case", CASES)
def test_a_raw_value_in_a_file_name_fails(world, clean_outputs, tmp_path, case):
    rel, fails = _names(world)[case]
    site = copy_folder(clean_outputs["folder"], tmp_path)
    _add_file(site, rel)
    report = check_release(world["raw"], site, world["points"])
    expect_only(report, *fails)
    assert FOLDER_NAMES in report.message()


@pytest.mark.parametrize("case", ["reference as a folder", "victim name", "raw coordinate"])
def test_the_names_are_read_when_the_pages_are_read_beside(
    world, pages_site, tmp_path, monkeypatch, case
):
    """(the same through folder_beside: 400 pages, the last read by a forked child)"""
    rel, fails = _names(world)[case]
    site = tmp_path / "site"
    shutil.copytree(pages_site, site)
    _add_file(site, rel)
    completed = []
    real = FolderRead.complete

    def complete(self, arts):
        completed.append(self.folder)
        return real(self, arts)

    monkeypatch.setattr(FolderRead, "complete", complete)
    report = check_release(world["raw"], site, world["points"], read_beside=True)
    assert completed == [site]
    expect_only(report, *fails)


def test_an_empty_folder_named_with_a_reference_fails(world, clean_outputs, tmp_path):
    site = copy_folder(clean_outputs["folder"], tmp_path)
    (site / "".join(c for c in str(raw_row(world)["crime_id"]) if c.isalnum())).mkdir()
    report = check_release(world["raw"], site, world["points"])
    expect_only(report, "no_source_references")


def test_public_names_pass_and_are_read(world, clean_outputs, tmp_path):
    """(the control: the clean folder with names like a release's passes, and its names
    are the strings and texts of the names artifact)"""
    site = copy_folder(clean_outputs["folder"], tmp_path)
    _add_file(site, "downloads/2022-10-leicestershire-street.csv")
    _add_file(site, "neighbourhoods/abbey_park-2.html")
    report = check_release(world["raw"], site, world["points"])
    assert report.passed, report.message()
    art = folder_names(site)
    assert {"downloads", "2022-10-leicestershire-street", "abbey_park-2.html"} <= art.strings
    assert "neighbourhoods/abbey_park-2.html" in art.texts[0].split("\n")
    assert "neighbourhoods/abbey park-2.html" in art.texts[1].split("\n")
