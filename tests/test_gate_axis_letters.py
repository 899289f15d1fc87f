"""A raw crime's easting and northing written with their axis letters on them ("E457901
N308062", "e457901 n308062", "X457901 Y308062", rounded to 10 m "E457900 N308060") passed
the leak gate in any public file: its grid and metre scans took a number only where no
letter stood before it, so only the spaced forms ("E 457901 N 308062") were refused. Each
form, planted in a CSV cell, an HTML page and a JSON string, must now be refused exactly as
its spaced form is (the same findings), and codes of a letter and 8 digits (Output Area
E00..., LSOA E01..., MSOA E02...) must stay no number.

Real raw extract, map points and release (tests/support/leak_world), each output written
to disk and gated.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from crime_mapper.core.gate.context import GateCheck
from crime_mapper.core.gate.leak_gate import GateReport, check_release
from tests.support.leak_world import copy_folder, failed, plant, raw_row, write_csv

Writer = Callable[[int, int], str]

# name: (the form with its axis letters on, the same numbers spaced as the gate refused)
FORMS: dict[str, tuple[Writer, Writer]] = {
    "E N": (lambda x, y: f"E{x} N{y}", lambda x, y: f"E {x} N {y}"),
    "e n": (lambda x, y: f"e{x} n{y}", lambda x, y: f"e {x} n {y}"),
    "X Y": (lambda x, y: f"X{x} Y{y}", lambda x, y: f"X {x} Y {y}"),
    "x, y": (lambda x, y: f"x{x}, y{y}", lambda x, y: f"x {x}, y {y}"),
    "northing first": (lambda x, y: f"N{y} E{x}", lambda x, y: f"N {y} E {x}"),
    "decimals": (lambda x, y: f"E{x}.4 N{y}.2", lambda x, y: f"E {x}.4 N {y}.2"),
    "to 10 m": (
        lambda x, y: f"E{round(x, -1)} N{round(y, -1)}",
        lambda x, y: f"E {round(x, -1)} N {round(y, -1)}",
    ),
}


def _raw_metres(world: dict) -> tuple[int, int]:
    row = raw_row(world)
    return int(row["source_x"]), int(row["source_y"])


def _in_csv(world: dict, folder: Path, texts: list[str]) -> Path:
    """The release CSV with ``texts`` in the Context cells of its first rows."""
    public = world["public"].copy()
    for i, text in enumerate(texts):
        public.loc[public.index[i], "Context"] = text
    folder.mkdir()
    return write_csv(public, folder / "public.csv")


def _in_page(clean: Path, folder: Path, text: str) -> Path:
    site = copy_folder(clean, folder)
    plant(site, "index.html", "<h1>", f"<p>Seen at {text}</p><h1>")
    return site


def _in_json(clean: Path, folder: Path, text: str) -> Path:
    site = copy_folder(clean, folder)
    (site / "extra.json").write_text(json.dumps({"grid": text}), encoding="utf-8")
    return site


def _gated(world: dict, clean_outputs: dict, kind: str, text: str, folder: Path) -> GateReport:
    if kind == "csv cell":
        output = _in_csv(world, folder, [text])
    elif kind == "html page":
        output = _in_page(clean_outputs["folder"], folder, text)
    else:
        output = _in_json(clean_outputs["folder"], folder, text)
    return check_release(world["raw"], output, world["points"])


def _coordinates(report: GateReport) -> GateCheck:
    return next(c for c in report.checks if c.name == "no_raw_coordinates")


@pytest.mark.parametrize("kind, where", [
    ("csv cell", "public.csv"), ("html page", "index.html"), ("json string", "extra.json"),
])  # fmt: skip
@pytest.mark.parametrize("form", list(FORMS))
def test_axis_letter_forms_are_refused_as_the_spaced_forms(
    world: dict, clean_outputs: dict, tmp_path: Path, kind: str, where: str, form: str
):
    x, y = _raw_metres(world)
    lettered, spaced = FORMS[form]
    glued = _gated(world, clean_outputs, kind, lettered(x, y), tmp_path / "glued")
    apart = _gated(world, clean_outputs, kind, spaced(x, y), tmp_path / "apart")
    assert failed(apart) == {"no_raw_coordinates"}, apart.message()  # (as before)
    assert failed(glued) == {"no_raw_coordinates"}, glued.message()
    assert _coordinates(glued) == _coordinates(apart)
    assert f"{where}: raw grid reference written as the pair" in glued.message()
    shutil.rmtree(tmp_path / "glued")
    shutil.rmtree(tmp_path / "apart")


def test_the_metre_forms_are_found_to_the_metre_and_the_10_m_form_as_a_pair(
    world: dict, clean_outputs: dict, tmp_path: Path
):
    """What the findings say (each the spaced form's, by the test above): a form to the
    metre is a raw projected coordinate too; the 10 m form only a pair (as spaced)."""
    x, y = _raw_metres(world)
    metre = _gated(world, clean_outputs, "csv cell", f"e{x} n{y}", tmp_path / "metre")
    assert f"raw projected coordinate ({x}, {y}) appears to the metre" in metre.message()
    ten = f"E{round(x, -1)} N{round(y, -1)}"
    tens = _gated(world, clean_outputs, "csv cell", ten, tmp_path / "ten")
    assert f"pair {round(x, -1)} {round(y, -1)}" in tens.message()
    assert "appears to the metre" not in tens.message()


def test_axis_lettered_numbers_in_two_cells_are_refused_as_spaced_ones(world: dict, tmp_path: Path):
    """An easting in one cell and its northing in another are no pair in one text; the
    projected check finds both in the file, letters on them or not."""
    x, y = _raw_metres(world)
    glued = check_release(
        world["raw"], _in_csv(world, tmp_path / "glued", [f"E{x}", f"N{y}"]), world["points"]
    )
    apart = check_release(
        world["raw"], _in_csv(world, tmp_path / "apart", [f"E {x}", f"N {y}"]), world["points"]
    )
    assert failed(apart) == {"no_raw_coordinates"}, apart.message()
    assert _coordinates(glued) == _coordinates(apart)
    assert f"raw projected coordinate ({x}, {y}) appears to the metre" in glued.message()


@pytest.mark.parametrize("kind", ["csv cell", "html page", "json string"])
def test_codes_of_a_letter_and_8_digits_stay_no_number(
    world: dict, clean_outputs: dict, tmp_path: Path, kind: str
):
    """Output Area, LSOA and MSOA codes are a letter and 8 digits: never an easting or a
    northing, even where their digits (leading zeros dropped) are a raw one, side by side
    or followed by a number."""
    x, y = _raw_metres(world)
    codes = f"E00{x:06d} E00{y:06d}, E01013615 {x % 1000}, E02002345 12, W00{x:06d} W00{y:06d}"
    report = _gated(world, clean_outputs, kind, codes, tmp_path / "codes")
    assert report.passed, report.message()


@pytest.mark.parametrize("kind", ["csv", "folder"])
def test_the_clean_release_still_passes(world: dict, clean_outputs: dict, kind: str):
    report = check_release(world["raw"], clean_outputs[kind], world["points"])
    assert report.passed, report.message()
