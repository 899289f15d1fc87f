"""Text a browser shows that the leak gate read otherwise (found by a hostile-input run):
each must fail the gate, and our own pages must still pass.

A raw coordinate split by an empty inline element ("52.667<b></b>187"), a comment or an
invisible character (a zero-width space, a soft hyphen) is shown whole by a browser, but the
gate read the text nodes apart and passed it; so did a raw coordinate written in degrees,
minutes and seconds ("52°40'01.93"N 1°08'42.90"W"), as a phone or a mapping site shows one.
Real raw extract, map points and release (tests/support/leak_world) and its real web map.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from crime_mapper.core.gate import output_reader, scan
from crime_mapper.core.gate.leak_gate import check_release
from tests.support.gate_text import assert_read_without_second_parse
from tests.support.leak_world import copy_folder, raw_row


def _dms(value: float, positive: str, negative: str, places: int) -> str:
    hemisphere = positive if value >= 0 else negative
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = (value - degrees - minutes / 60) * 3600
    return f"{degrees}°{minutes:02d}'{seconds:0{3 + places}.{places}f}\"{hemisphere}"


def _page_with(site: Path, body: str) -> None:
    (site / "notes.html").write_text(
        f"<!doctype html><html lang='en'><head><title>Notes</title></head><body><p>{body}</p>"
        "</body></html>",
        encoding="utf-8",
    )


def _split(number: str, between: str) -> str:
    """The number with ``between`` after its second decimal place."""
    at = number.index(".") + 3
    return number[:at] + between + number[at:]


_BETWEEN = {
    "empty bold": "<b></b>",
    "empty spans": "<span></span><span class='x'></span>",
    "comment": "<!-- -->",
    "word break": "<wbr>",
    "hidden input": "<input type=hidden>",
    "unknown element": "<x-y></x-y>",
    "zero-width space": "&#8203;",
    "soft hyphen": "&shy;",
    "word joiner": "\u2060",
    "tag with > in a value": '<span title=">"></span>',
}


@pytest.mark.parametrize("between", list(_BETWEEN))
def test_a_raw_coordinate_split_by_what_a_browser_does_not_show_fails(
    world, clean_outputs, tmp_path, between
):
    row = raw_row(world)
    lon, lat = f"{row['longitude']:.5f}", f"{row['latitude']:.5f}"
    site = copy_folder(clean_outputs["folder"], tmp_path)
    _page_with(site, f"Seen at {_split(lat, _BETWEEN[between])}, {_split(lon, _BETWEEN[between])}")
    report = check_release(world["raw"], site, world["points"])
    assert not report.passed
    failed = {c.name for c in report.checks if not c.passed}
    assert "no_raw_coordinates" in failed, report.message()
    shutil.rmtree(site)


def test_raw_free_text_split_inside_its_words_fails(world, clean_outputs, tmp_path):
    note = str(world["raw"]["extra_mo_notes"].iat[9])
    hidden = " ".join(w[:2] + "<i></i>" + w[2:] if len(w) > 3 else w for w in note.split())
    site = copy_folder(clean_outputs["folder"], tmp_path)
    _page_with(site, hidden)
    report = check_release(world["raw"], site, world["points"])
    assert not report.passed, "a raw note with every long word split passed"
    shutil.rmtree(site)


@pytest.mark.parametrize("places", [1, 2])
@pytest.mark.parametrize(
    "form", ["dms", "dms with spaces", "decimal with hemisphere", "decimal, hemisphere, no mark"]
)
def test_a_raw_coordinate_written_as_an_angle_fails(world, clean_outputs, tmp_path, form, places):
    row = raw_row(world)
    lon, lat = float(row["longitude"]), float(row["latitude"])
    if form == "decimal with hemisphere":
        text = f"{abs(lat):.{4 + places}f}° N, {abs(lon):.{4 + places}f} W"
    elif form == "decimal, hemisphere, no mark":
        text = f"{abs(lat):.{4 + places}f}N {abs(lon):.{4 + places}f} W"
    else:
        text = f"{_dms(lat, 'N', 'S', places)} {_dms(lon, 'E', 'W', places)}"
        if form == "dms with spaces":
            text = text.replace("°", "° ").replace("'", "' ")
    site = copy_folder(clean_outputs["folder"], tmp_path)
    _page_with(site, f"Stopped at {text}")
    report = check_release(world["raw"], site, world["points"])
    failed = {c.name for c in report.checks if not c.passed}
    assert "no_raw_coordinates" in failed, (text, report.message())
    shutil.rmtree(site)


def test_a_map_point_written_as_an_angle_passes_and_a_coarse_angle_is_left_alone(
    world, clean_outputs, tmp_path
):
    """A published point given in seconds to three places is that point (it rounds to it);
    a raw one to 3 decimals (some 110 m) is left alone, as a 3-decimal number is."""
    public = world["public"]
    located = public[public["Longitude"] != ""].iloc[0]
    lon, lat = float(located["Longitude"]), float(located["Latitude"])
    row = raw_row(world)
    coarse = f"{row['latitude']:.3f}°N {abs(row['longitude']):.3f}°W"
    site = copy_folder(clean_outputs["folder"], tmp_path)
    _page_with(site, f"The point {_dms(lat, 'N', 'S', 3)} {_dms(lon, 'E', 'W', 3)}; {coarse}")
    report = check_release(world["raw"], site, world["points"])
    assert report.passed, report.message()
    shutil.rmtree(site)


def test_a_fine_angle_at_no_map_point_fails_as_a_decimal_would(world, clean_outputs, tmp_path):
    site = copy_folder(clean_outputs["folder"], tmp_path)
    _page_with(site, "Meet at 52°30'00.00\"N 1°30'00.00\"W")  # (no point or crime there)
    report = check_release(world["raw"], site, world["points"])
    failed = {c.name for c in report.checks if not c.passed}
    assert failed == {"coordinates_are_map_points"}, report.message()
    shutil.rmtree(site)


# --- the reader ---------------------------------------------------------------------------------
def _read(page: str, fast: bool = True) -> output_reader.Artifact:
    art = output_reader.Artifact(name="page.html", kind="html")
    output_reader._read_html(art, page, "page.html", fast=fast)
    return art


@pytest.mark.parametrize("between", list(_BETWEEN))
def test_the_shown_text_is_the_same_on_the_fast_and_the_parsed_read(between):
    page = f"<p>Seen at 52.66<b>7</b>{_BETWEEN[between]}187 near <a href='x'>Jo</a>hn's</p>"
    fast, parsed = _read(page), _read(page, fast=False)
    assert fast.texts == parsed.texts
    assert fast.strings == parsed.strings
    assert "Seen at 52.667187 near John's" in fast.texts[-1]


@pytest.mark.parametrize(
    "page",
    [
        "<table><tr><td>52.667</td><td>187</td></tr></table>",
        "<ul><li>12</li><li>34</li></ul><p>1<br>2</p>",
        # (an SVG text element's nodes are read joined all the same: the gate does not lay
        # out, tests/test_gate_styles_svg_images.py)
        '<svg><text x="5">Nov</text><rect/><text x="5" dy="14">2021</text></svg>',
    ],
)
def test_text_apart_on_the_screen_is_not_joined(page):
    assert _read(page).texts == _read(page, fast=False).texts
    assert len(_read(page).texts) == 2  # (the nodes and the attributes: no shown text)


def test_text_of_one_block_is_read_as_shown_across_its_inline_elements():
    """A link or an abbreviation in prose is laid out on its paragraph's line: the line is
    read as well as its nodes, with a space only where the source has white space."""
    page = "<p>On or near <a href='x.html'>High Street</a>, (<abbr title='a'>ASB</abbr>).</p>"
    fast, parsed = _read(page), _read(page, fast=False)
    assert (fast.texts, fast.strings) == (parsed.texts, parsed.strings)
    assert fast.texts[-1] == "On or near High Street, (ASB)."


def test_our_web_map_page_is_read_without_a_second_parse(gated_webmap):
    """The real web map's pages take the fast read (the summaries' pages:
    test_summaries_history)."""
    assert_read_without_second_parse(sorted(gated_webmap.rglob("*.html")))


def test_angle_pairs_read_the_usual_forms():
    forms = {
        "52°40'01.93\"N 1°08'42.90\"W": (-1.14525, 52.66720),
        "N 52° 40.0320' W 1° 8.7150'": (-1.14525, 52.66720),
        "N52°40′01.93″ W1°08′42.90″": (-1.14525, 52.66720),
        "1.14525°W, 52.66720°N": (-1.14525, 52.66720),
        "52.66720 N 1.14525 W": (-1.14525, 52.66720),
        "52°40'01.9\"N, -1°08'42.9\"": (-1.14525, 52.66719),
    }
    for text, (lon, lat) in forms.items():
        pairs = scan.angle_pairs(text)
        assert len(pairs) == 1, text
        assert pairs[0][0].value == pytest.approx(lon, abs=2e-5), text
        assert pairs[0][1].value == pytest.approx(lat, abs=2e-5), text
    # (whole seconds, some 30 m, are read: tests/test_gate_known_gaps.py)
    for coarse in ("52°40'N 1°08'W", "N 52° 40.0' W 1° 8.7'", "52.667°N 1.145°W", "at 52 N"):
        assert scan.angle_pairs(coarse) == [], coarse


def test_the_fast_read_finds_every_join_the_parse_finds():
    """A plain page's shown text is read from its split (output_reader._joined_runs), a
    second parse only where it holds a format character: on random pages of inline and
    block tags, joining characters, character references and format characters, reading it
    so must give what a parse of every page gives."""
    pieces = [
        "<b>", "</b>", "<p>", "</p>", "<td>", "</td>", "<br>", "<x-y>", "</x-y>", "<wbr>",
        "<span class='q'>", "</span>", "<tspan x='1'>", "<tspan>", "</tspan>", "<text>",
        "<!DOCTYPE html>", "a", "7", ".", "-", "+", "'", "°", " ", "\n", ";", "&amp;", "&#55;",
        "&#8203;", "\u00ad", "é", "x.5", "52.66", "</a>.", "<a href='x'>", "&nbsp;", "<li>",
    ]  # fmt: skip
    rng = random.Random(8)
    plain = 0
    for _ in range(4000):
        page = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 16)))
        if output_reader._plain_html(page) is None:
            continue
        plain += 1
        fast, parsed = _read(page), _read(page, fast=False)
        assert (fast.texts, fast.strings) == (parsed.texts, parsed.strings), page
    assert plain > 2000


def test_a_hemisphere_after_a_decimal_is_seen_from_the_numbers_found():
    """The gate looks for angles only in a text with a degree mark or a decimal followed by
    a hemisphere letter, found from text_pairs' numbers (no scan of the text of its own)."""
    for text, seen in {
        "52.66720 N, 1.14525 W": True,
        "52.66720N": True,
        "x 52.66720\tS": True,
        "Bristol 001E, 52.66720, -1.14525": False,
        "52.66720  N": False,  # (two spaces: no angle read there either)
        "é 52.66720 E": True,
        "é 52.66720 x": False,
    }.items():
        assert scan.text_pairs_and_hemisphere(text)[3] is seen, text
