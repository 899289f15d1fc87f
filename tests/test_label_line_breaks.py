"""A Unicode line break inside a location label or a neighbourhood name (U+2028 LINE
SEPARATOR, U+2029 PARAGRAPH SEPARATOR, U+0085 NEXT LINE, U+000B, U+000C) shows on a
summary page, and a name on the web map, as the leak gate reads it: folded to one space, on
one line.

Why: the web map folded a label's white space as the gate folds every string it reads
(core.gate.output_reader.normalise), the summary pages did not, so "On or near
East<U+2028>Gates" reached the page as written and a browser may break the line there.
One helper now (core.common.text_file.page_line) for both outputs' labels and area names.

Real files: the synthetic Leicestershire release and the committed MSOA names, a label
and a name changed; the real command line and its rendered pages.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from crime_mapper.core.common.text_file import page_line, page_text
from tests.support.summaries_release import NAMES, make_release, summaries_cli

#: the line breaks str.split breaks at that are no ASCII space, tab, CR or LF
BREAKS = "\u2028\u2029\x85\x0b\x0c"
STREET = "East Gates"  # (in Leicester City Centre's top locations)
HOOD = ("E02006851", "Leicester City Centre")
REPO = Path(__file__).resolve().parent.parent
OUTLINES = REPO / "sample_data" / "boundaries" / "LSOA_Dec_2011_BSC_leicester_city.geojson"
LSOA = "E01013600"  # (a Leicester city LSOA with crimes in the sample month)
SAMPLE_OCT = REPO / "sample_data" / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"


def test_every_line_break_folds_to_one_space_after_the_format_characters_go():
    for char in BREAKS:
        assert page_line(f"On or near East{char}Gates") == "On or near East Gates", repr(char)
    assert page_line(" On or near\u2028\u200b\u2029East\t\nGates\x85") == "On or near East Gates"
    assert page_line("High Street") == "High Street"
    # (page_text keeps a text's lines: the gate reads whole bodies through it)
    assert page_text("a\u2028b\nc") == "a\u2028b\nc"


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, str]:
    """Every page of the summaries of a release whose East Gates label holds each line
    break, over names where Leicester City Centre's holds U+2029 and U+2028."""
    base = tmp_path_factory.mktemp("line_breaks")
    release = make_release(base)
    text = release["csv"].read_text(encoding="utf-8")
    assert f",On or near {STREET}," in text
    spoofed = base / "spoofed" / release["csv"].name
    spoofed.parent.mkdir()
    broken = "East" + "".join(BREAKS) + "Gates"
    spoofed.write_text(
        text.replace(f",On or near {STREET},", f",On or near {broken},"),
        encoding="utf-8",
        newline="",
    )
    names = base / "names.csv"
    with open(NAMES, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    column = rows[0].index("msoa11hclnm")
    row = next(r for r in rows if r[0] == HOOD[0])
    assert row[column] == HOOD[1]
    row[column] = "Leicester\u2029City\u2028Centre"
    with open(names, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    out = base / "out"
    done = summaries_cli(release, spoofed, out, names=names)
    assert done.returncode == 0, done.stderr[-3000:]
    folder = out / "neighbourhoods"
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.html"))}


def test_no_summary_page_holds_a_line_break_of_a_label_or_a_name(pages):
    assert pages
    for name, page in pages.items():
        assert not any(c in page for c in BREAKS), name


def test_a_label_shows_folded_on_its_neighbourhood_page(pages):
    item = f"<li><bdi>On or near {STREET}</bdi>: "
    assert sum(item in page for page in pages.values()) == 1


def test_a_name_shows_folded_in_its_page_the_index_and_its_neighbours_pages(pages):
    name = HOOD[1]
    own = [p for p in pages.values() if f"<h1>Crime in {name}</h1>" in p]
    assert len(own) == 1
    assert f"<title>Crime in {name}, " in own[0]
    assert f"Crimes per month in {name}, last 12 months" in own[0]
    assert f">{name}</a></th>" in pages["index.html"]
    assert any(f">{name}</a>" in p for p in pages.values() if p is not own[0])


def _js_data(folder, name: str) -> dict:
    """A web map data file's object (``window.X = {...};``) as the page's script reads it."""
    text = (folder / "data" / name).read_text(encoding="utf-8")
    return json.loads(text[text.index("=") + 1 :].rstrip().rstrip(";"))


def test_the_web_map_shows_a_neighbourhood_name_on_one_line(tmp_path):
    """The web map folded its labels, not its area names: a name holding a line break went
    into the area list, the outlines' popups, the search and the table as written. Now
    folded as the summary pages fold it, and the outline still names its area."""
    from crime_mapper.core.publish.summaries_run import NeighbourhoodSource
    from crime_mapper.core.publish.webmap_run import run_webmap

    geo = json.loads(OUTLINES.read_text(encoding="utf-8"))
    feature = next(f for f in geo["features"] if f["properties"]["LSOA11CD"] == LSOA)
    folded = feature["properties"]["LSOA11NM"] + " Centre"
    # (U+2028 and U+2029 alone: the outlines' reader reads a C0 or C1 control, U+0085,
    # U+000B and U+000C among them, as a space and folds the whole name, and says so)
    feature["properties"]["LSOA11NM"] = folded.replace(" ", "\u2028\u2029", 1)
    outlines = tmp_path / "areas.geojson"
    outlines.write_text(json.dumps(geo, ensure_ascii=False), encoding="utf-8")
    result = run_webmap(
        [SAMPLE_OCT],
        tmp_path / "out" / "map",
        neighbourhoods=NeighbourhoodSource(
            boundaries=outlines, code_field="LSOA11CD", name_field="LSOA11NM"
        ),
        tiles="none",
    )
    data, areas = _js_data(result.out_dir, "points.js"), _js_data(result.out_dir, "areas.js")
    assert folded in data["areas"]
    assert not [a for a in data["areas"] if any(c in a for c in BREAKS)]
    names = {f["properties"]["name"]: f["properties"]["area"] for f in areas["features"]}
    assert not [n for n in names if any(c in n for c in BREAKS)]
    assert data["areas"][names[folded]] == folded  # (the outline still names its area)
