"""A Unicode line break inside a location label or a neighbourhood name (U+2028 LINE
SEPARATOR, U+2029 PARAGRAPH SEPARATOR, U+0085 NEXT LINE, U+000B, U+000C) shows on a
summary page as the leak gate reads it: folded to one space, on one line.

Why: the web map folded a label's white space as the gate folds every string it reads
(core.gate.output_reader.normalise), the summary pages did not, so "On or near
East<U+2028>Gates" reached the page as written and a browser may break the line there.
One helper now (core.common.text_file.page_line) for both outputs' labels and the
summary pages' area names.

Real files: the synthetic Leicestershire release and the committed MSOA names, a label
and a name changed; the real command line and its rendered pages.
"""

from __future__ import annotations

import csv

import pytest

from crime_mapper.core.common.text_file import page_line, page_text
from tests.support.summaries_release import NAMES, make_release, summaries_cli

#: the line breaks str.split breaks at that are no ASCII space, tab, CR or LF
BREAKS = "\u2028\u2029\x85\x0b\x0c"
STREET = "East Gates"  # (in Leicester City Centre's top locations)
HOOD = ("E02006851", "Leicester City Centre")


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
