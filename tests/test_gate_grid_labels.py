"""A raw crime's easting and northing written glued together ("E457901N308062",
"e457901n308062") or with word labels ("Easting457901", "Easting 457901, Northing 308062",
"easting=457901 northing=308062", "Easting: 457901; Northing: 308062", "X: 457901 Y:
308062") passed the leak gate: the grid and metre scans took a number only where no word
character stood right before it (a lone axis letter aside) and none right after it, so a
number glued to a letter or a word ("N" after the easting's last digit, "Easting" before its
first) was no number at all. Each form, in one text or split over two cells of a CSV row or
two strings of a JSON object, in a CSV or text file of a published folder, an HTML page and
a JSON file, must now be refused naming no_raw_coordinates; ordinary public text (counts,
years, populations, codes) must still pass.

Then still passing: the easting of "N308062.5E457901" (a lone E after a decimal northing was
looked back to only after an integer one; later after at most 3 decimals, so
"N308062.1234E457901" passed until scan.GLUED_EASTING took any number of them), the plurals
glued ("Eastings457901", "Northings308062") and an axis word inside a longer word
("XEasting457901", "fooNorthing308062"): a reader sees the number plainly in each, as in
"Easting 457901".

Real raw extract, map points and release (tests/support/leak_world), each output written
to disk and gated.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from crime_mapper.core.gate import scan
from crime_mapper.core.gate.leak_gate import GateReport, check_release
from tests.support.leak_world import copy_folder, failed, plant, raw_row

Writer = Callable[[int, int], list[str]]

# name: the texts (one, or two apart) a raw easting x and northing y are written as
ONE_TEXT: dict[str, Writer] = {
    "E N glued": lambda x, y: [f"E{x}N{y}"],
    "e n glued": lambda x, y: [f"e{x}n{y}"],
    "N E glued": lambda x, y: [f"N{y}E{x}"],
    "X Y glued": lambda x, y: [f"X{x}Y{y}"],
    "E N glued, decimals": lambda x, y: [f"E{x}.4N{y}.2"],
    "N E glued, decimal northing": lambda x, y: [f"N{y}.5E{x}"],
    "N E glued, northing to the mm": lambda x, y: [f"n{y}.125e{x}"],
    "N E glued, northing to 4 decimals": lambda x, y: [f"N{y}.1234E{x}"],
    "N E glued, northing to 6 decimals": lambda x, y: [f"N{y}.123456E{x}"],
    "n e glued, northing to 12 decimals": lambda x, y: [f"n{y}.123456789012e{x}.5"],
    "E N glued, to 10 m": lambda x, y: [f"E{round(x, -1)}N{round(y, -1)}"],
    "Easting glued": lambda x, y: [f"Easting{x} Northing{y}"],
    "Easting glued, no space": lambda x, y: [f"Easting{x}Northing{y}"],
    "Northing Easting glued": lambda x, y: [f"Northing{y}Easting{x}"],
    "plurals glued": lambda x, y: [f"Eastings{x} Northings{y}"],
    "plurals glued, no space": lambda x, y: [f"Northings{y}Eastings{x}"],
    "plural glued, plural spaced": lambda x, y: [f"Eastings{x}, Northings {y}"],
    "axis words inside words": lambda x, y: [f"XEasting{x} fooNorthing{y}"],
    "axis words inside words, no space": lambda x, y: [f"siteEasting{x}siteNorthing{y}"],
    "Easting, Northing": lambda x, y: [f"Easting {x}, Northing {y}"],
    "easting= northing=": lambda x, y: [f"easting={x} northing={y}"],
    "Easting: ; Northing:": lambda x, y: [f"Easting: {x}; Northing: {y}"],
    "EASTING NORTHING": lambda x, y: [f"EASTING{x} NORTHING{y}"],
    "X: Y:": lambda x, y: [f"X: {x} Y: {y}"],
    "x= y=": lambda x, y: [f"x={x}, y={y}"],
}
TWO_TEXTS: dict[str, Writer] = {
    "Easting glued": lambda x, y: [f"Easting{x}", f"Northing{y}"],
    "Easting, Northing": lambda x, y: [f"Easting {x}", f"Northing {y}"],
    "easting= northing=": lambda x, y: [f"easting={x}", f"northing={y}"],
    "Easting: ; Northing:": lambda x, y: [f"Easting: {x}", f"Northing: {y}"],
    "X: Y:": lambda x, y: [f"X: {x}", f"Y: {y}"],
    "EASTING glued": lambda x, y: [f"EASTING{x}", f"NORTHING{y}"],
    "X Y glued": lambda x, y: [f"X{x}", f"Y{y}"],
    "plurals glued": lambda x, y: [f"Eastings{x}", f"Northings{y}"],
    "axis words inside words": lambda x, y: [f"XEasting{x}", f"fooNorthing{y}"],
}

CARRIERS = ["csv file", "text file", "html page", "json file"]
SPLIT_CARRIERS = ["csv row", "html table row", "json object"]


# text: the numbers the grid and metre scans take from it
SCANNED = {
    "E457901N308062": ["457901", "308062"],
    "e457901.4n308062.2": ["457901.4", "308062.2"],
    "N308062E457901": ["308062", "457901"],
    "N308062.5E457901": ["308062.5", "457901"],
    "n308062.125e457901": ["308062.125", "457901"],
    # (any number of a northing's decimals before a lone E: scan.GLUED_EASTING)
    "N308062.1250E457901": ["308062.1250", "457901"],
    "N308062.123456E457901. n308062.123456789012e457901.5": [
        "308062.123456",
        "457901",
        "308062.123456789012",
        "457901.5",
    ],  # fmt: skip
    "xN308062.1234E457901 a.N308062.1234E457901 N12345678.1234E457901": [],
    "1.5e4579 1.2345e457901 308062.1234e457901 9fa3.1234e457901": [],
    "X457901Y308062, x457901y308062": ["457901", "308062", "457901", "308062"],
    "Easting457901Northing308062": ["457901", "308062"],
    "Northing308062Easting457901": ["308062", "457901"],
    "Eastings457901Northings308062 NORTHINGS308062": ["457901", "308062", "308062"],
    "XEasting457901 fooNorthing308062, a_easting457901": ["457901", "308062", "457901"],
    "Easting457901siteNorthing308062": ["457901", "308062"],
    "EASTING457901 northing308062": ["457901", "308062"],
    "Easting 457901, Northing 308062": ["457901", "308062"],  # (as before)
    "easting=457901 northing=308062": ["457901", "308062"],  # (as before)
    # no number: a lone letter inside a word, 8 digits (ONS codes), an e glued as a hash
    # has it (after digits, a '.' and decimals too), a word's s or g before digits
    "atE457901 toN308062 NE457901 LineE457901": [],
    "E01013615N02002345 E0101361N": [],
    "9fa3e457901 457901e3 e457901e308062 d41d8cd98f00b204e9800998ecf8427e": [],
    "1.5e457901 308062.5e457901 a.N308062.5E457901 xN308062.5E457901": [],
    "items457901 log308062 Eastingsx457901 Easting457901x": [],
    # a full stop, not a decimal point: the number ends a sentence, a bracket or a name
    "Easting 457901. Northing 308062.": ["457901", "308062"],
    "E457901. N308062.\nEasting457901.": ["457901", "308062", "457901"],
    'At 457901.5. ("308062.") 457901.png, 308062...': ["457901.5", "308062", "457901", "308062"],
    # a decimal point stays one, and a dotted version or address gives no number
    "457901.5 308062.25": ["457901.5", "308062.25"],
    "v1.2.3. 10.0.0.1. 2022.1.5. 457901.308062.1. 457901.3080.1": [],
}


@pytest.mark.parametrize("text", list(SCANNED))
def test_the_numbers_the_grid_and_metre_scans_take(text: str):
    for pattern in (scan.GRID_NUMBER, scan.METRE_NUMBER):
        assert [d for _s, _e, d in scan.number_matches(text, pattern)] == SCANNED[text]
        assert scan.numbers_by_segment([text], pattern).get(0, []) == SCANNED[text]


def _raw_metres(world: dict) -> tuple[int, int]:
    row = raw_row(world)
    return int(row["source_x"]), int(row["source_y"])


def _site(clean_outputs: dict, folder: Path, texts: list[str], carrier: str) -> Path:
    """The clean published folder with ``texts`` written in it by ``carrier``."""
    site = copy_folder(clean_outputs["folder"], folder)
    if carrier in ("csv file", "csv row"):
        # a CSV that is no crime table: an area, a note, a second note
        cells = texts if len(texts) == 2 else [texts[0], "none"]
        with (site / "notes.csv").open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows([["Area", "Note", "Other note"], ["Castle", *cells]])
    elif carrier == "text file":
        plant(site, "README.txt", "Published monthly.", f"Published monthly. {' '.join(texts)}")
    elif carrier == "html page":
        plant(site, "index.html", "<h1>", f"<p>Seen at {' '.join(texts)}</p><h1>")
    elif carrier == "html table row":
        cells = "".join(f"<td>{t}</td>" for t in texts)
        plant(site, "index.html", "<h1>", f"<table><tr><td>Castle</td>{cells}</tr></table><h1>")
    elif carrier == "json file":
        (site / "extra.json").write_text(json.dumps({"where": " ".join(texts)}), "utf-8")
    elif carrier == "data script":  # (a web map's: its JSON body scanned only when needed)
        data = json.dumps({"counts": [457, 1200.5, 3], "where": " ".join(texts)})
        (site / "notes.js").write_text(f"window.NOTES = {data};\n", "utf-8")
    else:  # json object: one string per key
        keys = ["a", "b"]
        (site / "extra.json").write_text(json.dumps(dict(zip(keys, texts))), "utf-8")
    return site


def _gated(
    world: dict, clean_outputs: dict, folder: Path, texts: list[str], how: str
) -> GateReport:
    report = check_release(world["raw"], _site(clean_outputs, folder, texts, how), world["points"])
    shutil.rmtree(folder)
    return report


@pytest.mark.parametrize("carrier", CARRIERS)
@pytest.mark.parametrize("form", list(ONE_TEXT))
def test_glued_and_labelled_forms_in_one_text_are_refused(
    world: dict, clean_outputs: dict, tmp_path: Path, carrier: str, form: str
):
    x, y = _raw_metres(world)
    report = _gated(world, clean_outputs, tmp_path / "site", ONE_TEXT[form](x, y), carrier)
    assert failed(report) == {"no_raw_coordinates"}, report.message()


@pytest.mark.parametrize("carrier", SPLIT_CARRIERS)
@pytest.mark.parametrize("form", list(TWO_TEXTS))
def test_labelled_forms_split_over_two_cells_are_refused(
    world: dict, clean_outputs: dict, tmp_path: Path, carrier: str, form: str
):
    x, y = _raw_metres(world)
    report = _gated(world, clean_outputs, tmp_path / "site", TWO_TEXTS[form](x, y), carrier)
    assert failed(report) == {"no_raw_coordinates"}, report.message()
    assert f"raw projected coordinate ({x}, {y}) appears to the metre" in report.message()


def test_a_glued_pair_is_found_to_the_metre_and_as_a_pair(
    world: dict, clean_outputs: dict, tmp_path: Path
):
    """What the glued form's findings say: the raw coordinate to the metre and the pair, as
    for the spaced form "E 457901 N 308062"."""
    x, y = _raw_metres(world)
    report = _gated(world, clean_outputs, tmp_path / "site", [f"E{x}N{y}"], "json file")
    assert f"raw projected coordinate ({x}, {y}) appears to the metre" in report.message()
    assert f"extra.json: raw grid reference written as the pair {x} {y}" in report.message()


# public text a page may well hold, near the raw numbers' size or shape, that must pass
PUBLIC_TEXTS: dict[str, Callable[[int, int], str]] = {
    "counts with commas": lambda x, y: (
        f"{x // 1000},{x % 1000:03d} crimes and {y // 1000},{y % 1000:03d} incidents were recorded"
    ),
    "years and populations": lambda x, y: (
        "In 2022 the county's 1,057,000 residents (2021 "
        "census) reported 70,123 crimes; 2019-2022 trend"
    ),
    "ONS codes": lambda x, y: f"E00{x:06d} E00{y:06d}, E01013615, E02002345, W00{x:06d}",
    # (a word that ends in E, N, X or Y is no axis: the raw numbers glued to such words)
    "words ending in an axis letter": lambda x, y: f"Line{x} Town{y}, Box{x} Way{y}",
    "a count after a word": lambda x, y: f"Castle{x} Abbey{y}; ward had {x % 10000} crimes",
    "version and ids": lambda x, y: "Release v2022.10 build 4512, item A1234B",
    # (e is a hex digit: digits after a digit and an e, or before an e, are no grid number)
    "hex-like tokens": lambda x, y: f"ids 9fa3e{x} c1d2e{y}, {x}e3f {y}e9a, e{x}e{y}",
    # (an axis glued to a word is no axis)
    "axis inside a word": lambda x, y: f"atE{x} toN{y}, NE{x}NE{y}",
    # (a word's s or g before digits is no plural's or axis word's)
    "words ending in s or g": lambda x, y: f"items{x} Buildings{y}, log{x} ring{y}",
    "postcodes and months": lambda x, y: "E1 6AN, N1 9GU, SE1 7PB: October 2022 (2022-10)",
    # (a year or count ending a sentence is a number; dotted versions and addresses of the
    # raw numbers give none, a decimal point stays one)
    "sentence ends and dotted versions": lambda x, y: (
        f"Crime fell in 2022. 1,057 crimes were recorded. Build {x}.{y}.1, host "
        f"10.0.{x % 256}.1. Release {y}.{x}.2. Ratio {x % 1000}.{y}."
    ),
    # (a 64-hex id holding the raw numbers around an e; an exponent; e after decimals)
    "a hash and exponents": lambda x, y: (
        f"id {(f'9c{x}e{y}' + 'ab' * 32)[:64]}, 1.5e{x}, {y}.5e{x}, {y}.125E{x}"
    ),
}


@pytest.mark.parametrize("carrier", CARRIERS)
@pytest.mark.parametrize("text", list(PUBLIC_TEXTS))
def test_ordinary_public_text_passes(
    world: dict, clean_outputs: dict, tmp_path: Path, carrier: str, text: str
):
    x, y = _raw_metres(world)
    report = _gated(world, clean_outputs, tmp_path / "site", [PUBLIC_TEXTS[text](x, y)], carrier)
    assert report.passed, report.message()


# a lone easting or northing with its axis glued on, and the spaced form it is judged as
LONE_GLUED: dict[str, tuple[Callable[[int, int], str], Callable[[int, int], str]]] = {
    "Easting": (lambda x, y: f"Easting{x}", lambda x, y: f"Easting {x}"),
    "Eastings": (lambda x, y: f"Eastings{x}", lambda x, y: f"Eastings {x}"),
    "XEasting": (lambda x, y: f"XEasting{x}", lambda x, y: f"XEasting {x}"),
    "E": (lambda x, y: f"E{x}", lambda x, y: f"E {x}"),
    "Northings": (lambda x, y: f"Northings{y}", lambda x, y: f"Northings {y}"),
}
FAR = "; the ward saw fewer burglaries this month than last, and more thefts; ref "


@pytest.mark.parametrize("carrier", ["text file", "json file"])
@pytest.mark.parametrize("form", list(LONE_GLUED))
def test_a_lone_glued_axis_number_is_judged_as_the_spaced_one(
    world: dict, clean_outputs: dict, tmp_path: Path, carrier: str, form: str
):
    """A raw easting alone (no northing of its crime in the file) is judged glued as spaced:
    the gate refuses a raw projected coordinate when both axes of one crime are in one file
    (or a run of raw eastings longer than chance gives), not a lone raw easting, a line
    across the county that a page's other numbers meet by chance; so "Easting 457901" alone
    passes, and "Easting457901" must too. With the crime's other axis further on in the
    file (no pair: more than 40 characters apart), both are refused."""
    x, y = _raw_metres(world)
    glued, spaced = (write(x, y) for write in LONE_GLUED[form])
    alone = [_gated(world, clean_outputs, tmp_path / "site", [t], carrier) for t in (glued, spaced)]
    assert alone[0].passed == alone[1].passed, alone[0].message()
    other = x if form.startswith("N") else y
    for text in (glued, spaced):
        report = _gated(world, clean_outputs, tmp_path / "site", [f"{text}{FAR}{other}"], carrier)
        assert failed(report) == {"no_raw_coordinates"}, report.message()
        assert f"raw projected coordinate ({x}, {y}) appears to the metre" in report.message()


# a raw easting and northing each ending a sentence (a full stop after the number), further
# apart than the grid scan's pairs reach: the crime's two axes in one file all the same
SENTENCE_ENDED: dict[str, Writer] = {
    "Easting. ... Northing.": lambda x, y: [f"Easting {x}.{PROSE}Northing {y}."],
    "grid reference. ... Ref": lambda x, y: [f"At grid reference {x}.{PROSE}Ref {y}. Next"],
    "E. ... N.": lambda x, y: [f"E{x}.{PROSE}N{y}."],
    "decimal. ... quoted": lambda x, y: [f'At {x}.5.{PROSE}"{y}."'],
}
PROSE = " The ward saw fewer burglaries this month than last, and more thefts. "


@pytest.mark.parametrize("carrier", CARRIERS + ["data script"])
@pytest.mark.parametrize("form", list(SENTENCE_ENDED))
def test_raw_axes_ending_sentences_far_apart_are_refused(
    world: dict, clean_outputs: dict, tmp_path: Path, carrier: str, form: str
):
    """The metre scan took no number with a '.' after it, so "Easting 457901. ... 308062."
    passed where "Easting 457901, ... 308062" was refused: a full stop that no digit
    follows ends the number, as a comma does."""
    x, y = _raw_metres(world)
    texts = SENTENCE_ENDED[form](x, y)
    assert len(PROSE) > scan.PAIR_GAP  # (no pair: the metre scan finds it)
    report = _gated(world, clean_outputs, tmp_path / "site", texts, carrier)
    assert failed(report) == {"no_raw_coordinates"}, report.message()
    assert f"raw projected coordinate ({x}, {y}) appears to the metre" in report.message()


@pytest.mark.parametrize("kind", ["csv", "folder"])
def test_the_clean_release_still_passes(world: dict, clean_outputs: dict, kind: str):
    report = check_release(world["raw"], clean_outputs[kind], world["points"])
    assert report.passed, report.message()
