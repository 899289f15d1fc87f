"""What a style sheet, an SVG text and an image show, read by the leak gate (found by a
hostile-input review): each way of planting a raw value must fail the gate naming the file,
and the real web map export must still pass.

A style sheet was scanned only as written: a CSS escape ("\\4c P\\/20003") hid a value from
every scan, as did strings drawn side by side (``content: "Gar" "eth"``), and a comment or
string was never read by the contact check. SVG text split between tspans or text elements
at a space was read as two nodes, so no node held the value. A PNG was allowed unread (its
text chunks hold any text), and so were icons and fonts.
Real raw extract, map points and release (tests/support/leak_world) and its real web map
(the ``gated_webmap`` fixture).
"""

from __future__ import annotations

import random
import re
import shutil
import zlib
from pathlib import Path

import pytest

from crime_mapper.core.gate import output_reader
from crime_mapper.core.gate.leak_gate import CHECK_NAMES, check_release
from crime_mapper.core.gate.output_reader import read_output
from tests.support.leak_world import copy_folder, failed, png_chunk, png_image, raw_row

SHEET = "assets/webmap.css"


def _values(world: dict) -> dict[str, tuple[str, str]]:
    """{kind: (a raw value, the check it must fail)}."""
    row = raw_row(world)
    return {
        "reference": (str(row["crime_id"]), "no_source_references"),
        "name": (str(row["extra_victim_name"]), "no_non_public_values"),
        "coordinates": (f"{row['latitude']:.5f}, {row['longitude']:.5f}", "no_raw_coordinates"),
    }


def _hex_escaped(value: str) -> str:
    return "".join(f"\\{ord(c):x} " for c in value)


def _halves(value: str) -> tuple[str, str]:
    """The value cut in two inside a word (never at a space)."""
    at = len(value) // 2
    while value[at - 1] == " " or value[at] == " ":
        at += 1
    return value[:at], value[at:]


def _sheet_ways(value: str) -> dict[str, str]:
    left, right = _halves(value)
    six = "".join(f"\\{ord(c):06x}" for c in value)
    selector = re.sub(r"([^A-Za-z0-9])", r"\\\1", "x " + value)
    return {
        "content, hex escapes": f'.a::after {{ content: "{_hex_escaped(value)}"; }}',
        "content, six-digit escapes": f'.a::after {{ content: "{six}"; }}',
        "strings side by side": f'.a::before {{ content: "{left}" /* */ "{right}"; }}',
        "string continued on the next line": f'.a::before {{ content: "{left}\\\n{right}"; }}',
        "url target escaped": f".a {{ background: url(img/{_hex_escaped(value)}/a.png); }}",
        "escaped selector": f"{selector} {{ color: red }}",
    }


_SHEET_WAYS = list(_sheet_ways("Ab Cd"))


@pytest.mark.parametrize("kind", ["reference", "name", "coordinates"])
@pytest.mark.parametrize("way", _SHEET_WAYS)
def test_a_raw_value_in_a_style_sheet_fails_naming_it(world, gated_webmap, tmp_path, way, kind):
    value, check = _values(world)[kind]
    site = copy_folder(gated_webmap, tmp_path)
    sheet = site / SHEET
    sheet.write_text(
        sheet.read_text(encoding="utf-8") + "\n" + _sheet_ways(value)[way] + "\n",
        encoding="utf-8",
    )
    report = check_release(world["raw"], site, world["points"])
    assert check in failed(report), (way, report.message())
    assert SHEET in report.message()
    shutil.rmtree(site)


@pytest.mark.parametrize("place", ["comment", "string"])
def test_contact_details_in_a_style_sheet_fail(world, gated_webmap, tmp_path, place):
    site = copy_folder(gated_webmap, tmp_path)
    sheet = site / SHEET
    text = "reported by jo.bloggs@leics.police.uk, 07700 900123"
    rule = f"/* {text} */" if place == "comment" else f'.b::after {{ content: "{text}"; }}'
    sheet.write_text(sheet.read_text(encoding="utf-8") + rule, encoding="utf-8")
    report = check_release(world["raw"], site, world["points"])
    assert failed(report) == {"no_contact_details"}, report.message()
    assert SHEET in report.message()
    shutil.rmtree(site)


@pytest.mark.parametrize("place", ["style element", "style attribute"])
def test_an_escaped_raw_value_in_a_pages_styles_fails(world, gated_webmap, tmp_path, place):
    value, check = _values(world)["name"]
    site = copy_folder(gated_webmap, tmp_path)
    page = site / "index.html"
    css = f'content: "{_hex_escaped(value)}"'
    html = page.read_text(encoding="utf-8")
    if place == "style element":
        html = html.replace("</head>", f"<style>.a::after {{ {css} }}</style></head>", 1)
    else:
        html = html.replace("<body", f"<body style='--note: \"{_hex_escaped(value)}\"'", 1)
    page.write_text(html, encoding="utf-8")
    report = check_release(world["raw"], site, world["points"])
    assert check in failed(report), report.message()
    assert "index.html" in report.message()
    shutil.rmtree(site)


# --- SVG text -----------------------------------------------------------------------------------
def _svg_ways(value: str) -> dict[str, str]:
    first, rest = value.split(" ", 1)
    left, right = _halves(value)
    return {
        "tspans": f"<text x='4' y='9'><tspan>{first}</tspan><tspan> {rest}</tspan></text>",
        "tspans placed apart": f"<text y='9'><tspan x='4'>{left}</tspan>"
        f"<tspan x='30'>{right}</tspan></text>",
        "textPath": f"<text><textPath href='#p'>{first}</textPath> {rest}</text>",
        "text elements side by side": f"<text x='4' y='9'>{first}</text>\n"
        f"<text x='60' y='9'>{rest}</text>",
        "text elements cut inside a word": f"<text x='4' y='9'>{left}</text>"
        f"<text x='31' y='9'>{right}</text>",
        "desc": f"<desc>{first}<a></a> {rest}</desc>",
    }


_SVG_WAY_NAMES = list(_svg_ways("Ab Cd"))


@pytest.mark.parametrize("place", ["svg file", "page"])
@pytest.mark.parametrize("way", _SVG_WAY_NAMES)
def test_a_raw_name_split_in_svg_text_fails_naming_the_file(
    world, gated_webmap, tmp_path, way, place
):
    value, check = _values(world)["name"]
    svg = f"<svg viewBox='0 0 99 20'>{_svg_ways(value)[way]}</svg>"
    site = copy_folder(gated_webmap, tmp_path)
    if place == "svg file":
        name = "assets/chart.svg"
        (site / name).write_text(
            svg.replace("<svg", "<svg xmlns='http://www.w3.org/2000/svg'", 1), encoding="utf-8"
        )
    else:
        name = "index.html"
        page = site / name
        page.write_text(
            page.read_text(encoding="utf-8").replace("</body>", svg + "</body>", 1),
            encoding="utf-8",
        )
    report = check_release(world["raw"], site, world["points"])
    assert check in failed(report), (way, report.message())
    assert name in report.message()
    shutil.rmtree(site)


def test_a_raw_coordinate_pair_in_two_svg_labels_fails(world, gated_webmap, tmp_path):
    row = raw_row(world)
    site = copy_folder(gated_webmap, tmp_path)
    (site / "assets" / "where.svg").write_text(
        "<svg xmlns='http://www.w3.org/2000/svg'>"
        f"<text x='1' y='9'>{row['latitude']:.5f},</text> "
        f"<text x='70' y='9'>{row['longitude']:.5f}</text></svg>",
        encoding="utf-8",
    )
    report = check_release(world["raw"], site, world["points"])
    assert "no_raw_coordinates" in failed(report), report.message()
    assert "assets/where.svg" in report.message()
    shutil.rmtree(site)


_SVG_PIECES = [
    "<svg>", "</svg>", "<text x='1'>", "<text>", "</text>", "<TEXT>", "</Text>", "<text/>",
    "<tspan>", "</tspan>", "<tspan x='2' dy='4'>", "<textPath href='#p'>", "</textPath>",
    "<title>", "</title>", "<desc id=d>", "</desc>", "<g>", "</g>", "<a>", "</a>", "<b>",
    "<!DOCTYPE html>", " ", "\n", "a", "Gar", "eth", "12", ".5", "&amp;", "&#32;", "&nbsp;",
]  # fmt: skip


def test_svg_text_is_read_alike_on_the_fast_and_the_parsed_read():
    """A plain page's SVG text elements are found with a regex (_svg_elements), any other
    page's from html.parser (_ShownText): on random pages both give the same."""
    rng = random.Random(29)
    plain = 0
    for _ in range(3000):
        page = "".join(rng.choice(_SVG_PIECES) for _ in range(rng.randint(0, 24)))
        if output_reader._plain_html(page) is None:
            continue
        plain += 1
        fast = output_reader._svg_joined(output_reader._svg_elements(page))
        assert fast == output_reader._shown_read(page)[1], page
    assert plain > 1500


def test_svg_text_joined_per_element_and_side_by_side():
    page = (
        "<svg><text x='5'>Nov<tspan x='5' dy='14'>2021</tspan></text><text>139</text>"
        "<rect/><text>12 High</text><text><tspan> Str</tspan>eet</text></svg>"
    )
    expected = ["Nov2021", "Nov 2021", "Nov2021139", "Nov2021 139", "Street", "Str eet"]
    expected += ["12 High Street"]
    assert output_reader._svg_joined(output_reader._svg_elements(page)) == expected
    assert output_reader._shown_read(page)[1] == expected


def test_css_escapes_are_decoded_as_a_browser_decodes_them():
    assert output_reader._css_unescaped("\\41 B\\42\\/\\\nC\\0 \\110000\\d800 \\") == (
        "ABB/C\ufffd\ufffd\ufffd\\"
    )
    strings, texts, decoded = output_reader._css_read(
        '/* note */ a { content: "x\\79" \'z\'; background: URL( a\\20 b.png ) } "open'
    )
    assert strings == ["note", "xyz", "a b.png", "open"]
    assert texts == " note \nxyz\na b.png\nopen"
    assert decoded == '/* note */ a { content: "xy" \'z\'; background: URL( a b.png ) } "open'


# --- images and other binary files --------------------------------------------------------------
def _png_with(kind: str, value: str) -> bytes:
    if kind == "tEXt":
        return png_image([(b"tEXt", b"Comment\x00" + value.encode("latin-1"))])
    if kind == "zTXt":
        return png_image([(b"zTXt", b"Comment\x00\x00" + zlib.compress(value.encode()))])
    body = b"Comment\x00\x01\x00en\x00Note\x00" + zlib.compress(value.encode("utf-8"))
    return png_image([(b"iTXt", body)])


@pytest.mark.parametrize("chunk", ["tEXt", "zTXt", "iTXt"])
def test_a_raw_value_in_a_png_text_chunk_fails_naming_it(world, gated_webmap, tmp_path, chunk):
    value, check = _values(world)["reference"]
    site = copy_folder(gated_webmap, tmp_path)
    (site / "assets" / "legend.png").write_bytes(_png_with(chunk, f"made for case {value}"))
    report = check_release(world["raw"], site, world["points"])
    assert failed(report) == {check}, report.message()
    assert "assets/legend.png" in report.message()
    shutil.rmtree(site)


_UNREAD = {
    "legend.png": png_image([(b"tIME", bytes([7, 230, 10, 26, 5, 38, 0]))]),
    "photo.png": png_image([(b"eXIf", b"MM\x00*\x00\x00\x00\x08")]),
    "tail.png": png_image() + b"12 High Street",
    "bad-crc.png": png_image()[:-1] + b"\x00",
    "short.png": png_image()[:40],
    "fake.png": b"GIF89a not a png",
    "favicon.ico": b"\x00\x00\x01\x00\x01\x00",
    "font.woff2": b"wOF2\x00\x01\x00\x00",
    "font.woff": b"wOFF\x00\x01\x00\x00",
    "LICENSE": b"MIT",
}


@pytest.mark.parametrize("name", list(_UNREAD))
def test_a_file_the_gate_cannot_read_fails_closed_naming_it(world, gated_webmap, tmp_path, name):
    site = copy_folder(gated_webmap, tmp_path)
    (site / "assets" / name).write_bytes(_UNREAD[name])
    report = check_release(world["raw"], site, world["points"])
    assert failed(report) == set(CHECK_NAMES), report.message()
    assert f"assets/{name}" in report.message()
    shutil.rmtree(site)


def test_a_png_of_pixels_only_passes(world, gated_webmap, tmp_path):
    site = copy_folder(gated_webmap, tmp_path)
    (site / "assets" / "dot.png").write_bytes(png_image([(b"pHYs", bytes(9))]))
    report = check_release(world["raw"], site, world["points"])
    assert report.passed, report.message()
    shutil.rmtree(site)


# --- our own export -----------------------------------------------------------------------------
def test_our_web_map_export_passes_with_its_style_sheets_read(world, gated_webmap: Path):
    report = check_release(world["raw"], gated_webmap, world["points"])
    assert report.passed, report.message()
    arts = {a.name: a for a in read_output(gated_webmap)[1]}
    assert {a.kind for a in arts.values()} <= {"html", "text", "json", "csv"}
    leaflet = arts["vendor/leaflet/leaflet.css"]
    assert "images/layers.png" in leaflet.strings  # (a url() target)
    assert "required styles" in leaflet.strings  # (a comment)
    assert any(" required styles " in t for t in leaflet.texts)


def test_png_chunks_are_built_as_the_format_says():
    """(The helper the tests above plant with makes real PNG chunks: length, type, body, CRC.)"""
    chunk = png_chunk(b"IEND", b"")
    assert chunk == b"\x00\x00\x00\x00IEND\xaeB`\x82"
