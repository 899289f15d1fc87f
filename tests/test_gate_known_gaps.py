"""Gaps of the leak gate a closing note named, each closed (the gate fails closed):

- contact details in a JavaScript comment (``// ...``, ``/* ... */``) of a script file or an
  inline script passed: only a script's string literals were read as text;
- a raw coordinate pair followed by a file extension or glued by an underscore (a tile or
  image name, "-1.13456,52.63781.png", "52.637812_-1.134561.png") was read as no number;
- angles written to whole seconds ("52°38'12"N 1°8'4"W", some 30 m), to minutes to 2
  places or to degrees to 4 places were left alone, though finer than the 3-decimal
  numbers the gate leaves alone;
- a run of a raw note's words was reported by its raw column alone, not by the file it was
  found in, as every other finding is.

Real raw extract, map points and release (tests/support/leak_world) and its real web map
(the ``gated_webmap`` fixture), each output planted with the leak and gated.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from crime_mapper.core.gate import output_reader, scan
from crime_mapper.core.gate.leak_gate import check_release
from tests.support.leak_world import copy_folder, failed, raw_row, write_csv

SCRIPT = "assets/webmap.js"
PAGE = "index.html"
CONTACTS = {"phone": "07700 900461", "e-mail": "pc.jones@leics.police.uk"}


def _append(site: Path, name: str, text: str) -> None:
    path = site / name
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def _into_page(site: Path, html: str) -> None:
    page = site / PAGE
    text = page.read_text(encoding="utf-8")
    assert "</body>" in text
    page.write_text(text.replace("</body>", html + "</body>", 1), encoding="utf-8")


def test_our_web_map_export_passes(world, gated_webmap):
    report = check_release(world["raw"], gated_webmap, world["points"])
    assert report.passed, report.message()


# --- contact details in a script's comments ------------------------------------------------------
_COMMENTS = {
    "line comment": lambda c: f"\n// TODO ask {c} about the colours\n",
    "block comment": lambda c: f"\n/* reviewed with\n * {c}\n */\n",
    "comment after code": lambda c: f'\nvar about = "https://example.org/a"; // {c}\n',
    "unclosed block comment": lambda c: f"\n/* left by {c}",
}


@pytest.mark.parametrize("kind", list(CONTACTS))
@pytest.mark.parametrize("comment", list(_COMMENTS))
def test_contact_details_in_a_script_comment_fail_naming_the_file(
    world, gated_webmap, tmp_path, comment, kind
):
    site = copy_folder(gated_webmap, tmp_path)
    _append(site, SCRIPT, _COMMENTS[comment](CONTACTS[kind]))
    report = check_release(world["raw"], site, world["points"])
    assert failed(report) == {"no_contact_details"}, report.message()
    assert f"{SCRIPT}: {kind}" in report.message()
    shutil.rmtree(site)


@pytest.mark.parametrize("kind", list(CONTACTS))
def test_contact_details_in_an_inline_script_comment_fail(world, gated_webmap, tmp_path, kind):
    site = copy_folder(gated_webmap, tmp_path)
    _into_page(site, f"<script>/* by {CONTACTS[kind]} */ var x = 1;</script>")
    report = check_release(world["raw"], site, world["points"])
    assert "no_contact_details" in failed(report), report.message()
    assert f"{PAGE}: {kind}" in report.message()
    shutil.rmtree(site)


def test_a_script_comment_is_read_and_a_string_is_not_taken_for_one():
    art = output_reader.Artifact(name="a.js", kind="text")
    body = 'var u = "https://x.org/a//b"; f("/*"); // one\n/* two */ g(\'*/\');'
    output_reader._read_script(art, body, "a.js")
    assert art.texts[-1] == " one\n two "
    assert {"one", "two", "https://x.org/a//b", "/*", "*/"} <= art.strings


# --- a raw pair in a file name ---------------------------------------------------------------
def _names(world: dict) -> dict[str, str]:
    row = raw_row(world)
    lon, lat = float(row["longitude"]), float(row["latitude"])
    return {
        "lon,lat.png": f"{lon:.5f},{lat:.5f}.png",
        "lat_lon.png": f"{lat:.6f}_{lon:.6f}.png",
        "lon_lat.jpg": f"tile_{lon:.5f}_{lat:.5f}.jpg",
        "full stop": f"Seen at {lat:.5f}, {lon:.5f}.",
    }


@pytest.mark.parametrize("name", ["lon,lat.png", "lat_lon.png", "lon_lat.jpg", "full stop"])
@pytest.mark.parametrize("place", ["page", "script"])
def test_a_raw_pair_in_a_file_name_fails(world, gated_webmap, tmp_path, name, place):
    written = _names(world)[name]
    site = copy_folder(gated_webmap, tmp_path)
    if place == "page":
        _into_page(site, f"<p><a href='photos/{written}'>photo</a> {written}</p>")
        where = PAGE
    else:
        _append(site, SCRIPT, f'\nvar photo = "photos/{written}";\n')
        where = SCRIPT
    report = check_release(world["raw"], site, world["points"])
    assert "no_raw_coordinates" in failed(report), (written, report.message())
    assert where in report.message()
    shutil.rmtree(site)


def test_versions_and_longer_tokens_are_still_no_pair():
    for text in (
        "leaflet 52.63781.2 and -1.13456.7",  # (a "." and a digit after: a longer number)
        "v52.63781 x-1.13456",  # (a letter before)
        "52.63781a -1.13456b",  # (a letter after)
        "1.2.52.63781, -1.13456.9.1",
    ):
        assert scan.text_pairs(text) == ([], [], []), text


# --- angles to whole seconds ------------------------------------------------------------------
def _whole_seconds(value: float, positive: str, negative: str) -> str:
    seconds = round(abs(value) * 3600)
    degrees, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{degrees}°{minutes}'{seconds}\"{positive if value >= 0 else negative}"


def _minutes(value: float, positive: str, negative: str) -> str:
    hundredths = round(abs(value) * 6000)
    degrees, rest = divmod(hundredths, 6000)
    return f"{positive if value >= 0 else negative} {degrees}° {rest / 100:.2f}'"


@pytest.mark.parametrize("form", ["whole seconds", "minutes to 2 places", "degrees to 4 places"])
def test_a_raw_coordinate_as_a_whole_second_angle_fails(world, gated_webmap, tmp_path, form):
    row = raw_row(world)
    lon, lat = float(row["longitude"]), float(row["latitude"])
    if form == "whole seconds":
        text = f"{_whole_seconds(lat, 'N', 'S')} {_whole_seconds(lon, 'E', 'W')}"
    elif form == "minutes to 2 places":
        text = f"{_minutes(lat, 'N', 'S')} {_minutes(lon, 'E', 'W')}"
    else:
        text = f"{abs(lat):.4f}°N {abs(lon):.4f}°W"
    site = copy_folder(gated_webmap, tmp_path)
    _into_page(site, f"<p>Stopped at {text}</p>")
    report = check_release(world["raw"], site, world["points"])
    assert "no_raw_coordinates" in failed(report), (text, report.message())
    assert PAGE in report.message()
    shutil.rmtree(site)


def test_angles_coarser_than_a_second_are_still_left_alone():
    for coarse in ("52°38'N 1°08'W", "N 52° 38.2' W 1° 8.1'", "52.637°N 1.134°W"):
        assert scan.angle_pairs(coarse) == [], coarse
    pairs = scan.angle_pairs("52°38'12\"N 1°8'4\"W")
    assert len(pairs) == 1
    assert pairs[0][0].value == pytest.approx(-(1 + 8 / 60 + 4 / 3600))
    assert pairs[0][1].value == pytest.approx(52 + 38 / 60 + 12 / 3600)


# --- a run of a raw note's words, named by where it is ----------------------------------------
def _run_of_note(world: dict) -> str:
    words = str(raw_row(world)["extra_mo_notes"]).split()
    assert len(words) >= 8
    return " ".join(words[:8])


@pytest.mark.parametrize("place", ["page", "script", "second page"])
def test_a_run_of_a_raw_note_names_the_file_it_is_in(world, gated_webmap, tmp_path, place):
    run = _run_of_note(world)
    site = copy_folder(gated_webmap, tmp_path)
    if place == "page":
        _into_page(site, f"<p>Summary: {run} and more.</p>")
        where = PAGE
    elif place == "script":
        _append(site, SCRIPT, f'\nvar note = "Summary: {run} and more.";\n')
        where = SCRIPT
    else:
        where = "notes/more.html"
        (site / "notes").mkdir()
        (site / where).write_text(
            f"<!doctype html><html lang='en'><head><title>More</title></head>"
            f"<body><p>{run}</p></body></html>",
            encoding="utf-8",
        )
    report = check_release(world["raw"], site, world["points"])
    assert "no_non_public_values" in failed(report), report.message()
    assert f"{where}: a run of words from raw column extra_mo_notes" in report.message()
    shutil.rmtree(site)


def test_a_run_of_a_raw_note_in_a_csv_names_the_file(world, tmp_path):
    public = world["public"].copy()
    public.loc[public.index[0], "Location"] = f"On or near {_run_of_note(world)}"
    path = write_csv(public, tmp_path / "public.csv")
    report = check_release(world["raw"], path, world["points"])
    assert "public.csv: a run of words from raw column extra_mo_notes" in report.message(), (
        report.message()
    )
