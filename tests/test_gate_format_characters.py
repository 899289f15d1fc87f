"""A raw value with format characters inside it (Unicode Cf: a zero-width space or joiner, a
soft hyphen, a word joiner, a direction mark) is shown whole by a spreadsheet, a browser or
an editor, which draw those characters as nothing; the leak gate reads every string and text
of every file as shown, as it read a page's text already (core.gate.output_reader.
shown_text; core.gate.context.GateContext._with_shown for strings, _add_shown_texts for
texts).

Found by a hostile sweep: "PC 1190 No\\u200bwak" in a CSV's Context cell, in a JSON string,
a data script or a text file passed the gate, as did an MO note with one in each word, an
offence, a raw latitude "52.667\\u200b19" and a date "21/10\\u200b/2022"; the same value in a
page was refused. Each kind of file is checked alone (one artifact) and in a folder (the
classes of many files' strings made at once: both paths). Real raw extract, map points and
release (tests/support/leak_world).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable

import pandas as pd
import pytest

from crime_mapper.core.gate.leak_gate import check_release
from crime_mapper.core.gate.output_reader import shown_text
from tests.support.leak_world import (
    NAMES,
    copy_folder,
    expect_only,
    plant,
    raw_row,
    write_csv,
    write_gpkg,
)

ZWSP, SOFT_HYPHEN, WORD_JOINER, LRM = "\u200b", "\u00ad", "\u2060", "\u200e"


def _cut(text: str, mark: str, at: int = 3) -> str:
    return text[:at] + mark + text[at:]


def _hidden(world: dict) -> dict[str, tuple[str, tuple[str, ...]]]:
    """name -> (a text holding a raw value cut by format characters, the checks it fails)."""
    row = raw_row(world)
    note = world["raw"]["extra_mo_notes"].iat[9]
    digest = hashlib.sha256(str(row["crime_id"]).encode()).hexdigest()
    latitude, longitude = f"{row['latitude']:.5f}", f"{row['longitude']:.5f}"
    return {
        "victim name, zero-width space": (_cut(NAMES[1], ZWSP), ("no_non_public_values",)),
        "victim name, soft hyphen": (_cut(NAMES[2], SOFT_HYPHEN, 5), ("no_non_public_values",)),
        "MO note, one in each word": (
            " ".join(_cut(word, ZWSP, 1) if len(word) > 1 else word for word in note.split()),
            ("no_non_public_values",),
        ),
        "raw coordinate": (
            f"{_cut(latitude, ZWSP, 5)}, {_cut(longitude, WORD_JOINER, 4)}",
            ("coordinates_are_map_points", "no_raw_coordinates"),
        ),
        "date": (f"21/10{ZWSP}/2022 at 15{LRM}:58", ("no_dates_finer_than_month",)),
        "reference digest": (_cut(digest, SOFT_HYPHEN, 20), ("no_source_references",)),
    }


def _context_csv(world: dict, tmp_path: Path, text: str) -> Path:
    public = world["public"].copy()
    public.loc[public.index[4], "Context"] = text
    return write_csv(public, tmp_path / "public.csv")


def _context_gpkg(world: dict, tmp_path: Path, text: str) -> Path:
    public = world["public"].copy()
    public.loc[public.index[4], "Context"] = text
    return write_gpkg(public, tmp_path / "public.gpkg")


def _json_in_folder(folder: Path, text: str) -> None:
    data = json.loads((folder / "crimes.geojson").read_text(encoding="utf-8"))
    data["features"][2]["properties"]["note"] = text
    (folder / "crimes.geojson").write_text(json.dumps(data), encoding="utf-8")


def _script_in_folder(folder: Path, text: str) -> None:
    plant(folder, "data.js", "window.LABELS = [", f"window.LABELS = [{json.dumps(text)}, ")


def _text_in_folder(folder: Path, text: str) -> None:
    plant(folder, "README.txt", "Published", f"Note: {text}. Published")


def _summary_in_folder(folder: Path, text: str) -> None:
    summary = pd.read_csv(folder / "summary.csv", dtype=str)
    summary.loc[1, "LSOA name"] = text
    summary.to_csv(folder / "summary.csv", index=False)


IN_FOLDER: dict[str, Callable[[Path, str], None]] = {
    "geojson": _json_in_folder,
    "script": _script_in_folder,
    "text": _text_in_folder,
    "csv": _summary_in_folder,
}
NAMED = [
    "victim name, zero-width space",
    "victim name, soft hyphen",
    "MO note, one in each word",
    "raw coordinate",
    "date",
    "reference digest",
]


@pytest.mark.parametrize("case", NAMED)
@pytest.mark.parametrize("kind", ["csv", "gpkg"])
def test_a_value_cut_by_format_characters_in_a_release_file_fails(world, tmp_path, case, kind):
    text, fails = _hidden(world)[case]
    assert shown_text(text) is not None and shown_text(text) != text
    write = _context_csv if kind == "csv" else _context_gpkg
    report = check_release(world["raw"], write(world, tmp_path, text), world["points"])
    expect_only(report, *fails)


@pytest.mark.parametrize("case", NAMED)
@pytest.mark.parametrize("where", list(IN_FOLDER))
def test_a_value_cut_by_format_characters_in_a_folder_fails(
    world, clean_outputs, tmp_path, case, where
):
    text, fails = _hidden(world)[case]
    site = copy_folder(clean_outputs["folder"], tmp_path)
    IN_FOLDER[where](site, text)
    report = check_release(world["raw"], site, world["points"])
    expect_only(report, *fails)


@pytest.mark.parametrize("where", ["file", *IN_FOLDER])
def test_format_characters_around_public_text_pass(world, clean_outputs, tmp_path, where):
    """(the control: format characters in a public label, a category or a month show
    public text, and a form already among the file's strings changes nothing)"""
    label = world["public"]["Location"].iat[0]
    text = f"{_cut(label, ZWSP, 2)} {WORD_JOINER}Burglary 2022{SOFT_HYPHEN}-10 {label}"
    if where == "file":
        report = check_release(world["raw"], _context_csv(world, tmp_path, text), world["points"])
    else:
        site = copy_folder(clean_outputs["folder"], tmp_path)
        IN_FOLDER[where](site, text)
        report = check_release(world["raw"], site, world["points"])
    assert report.passed, report.message()


def test_shown_text_takes_out_only_format_characters():
    assert shown_text("plain ascii") is None
    assert shown_text("Ünïcode Straße") is None
    assert shown_text(f"No{ZWSP}wak{SOFT_HYPHEN}") == "Nowak"
    assert shown_text(f"{LRM}\ufeff{WORD_JOINER}") == ""
    assert shown_text("a\u00a0b\u2028c") is None  # (spaces and separators: not format)
