"""An HTML page read as the reference formula reads it, with the reader's shortcuts for the
pages of one template (output_reader): each distinct tag's attribute values normalised once
(_TAGS), each distinct text chunk normalised once (_NORMALISED_TEXT), the lists gathered in
C. The reference: html.parser's lists (_parsed_html's first four), every text chunk and
non-blank value normalised one by one, added to the string set in the same order, so the set
is the same set, in the same order (what the checks' joined texts see); and the text as a
browser shows it (output_reader._ShownText) from a parse of every page."""

from __future__ import annotations

import random

import pytest

from crime_mapper.core.gate import output_reader
from crime_mapper.core.gate.output_reader import Artifact, normalise
from tests.support.gate_text import HTML_PIECES

CHUNKS = [
    "",
    " ",
    "\n",
    "a",
    " a  b ",
    "a\u00a0b",
    "a\u2028b",
    "a\x1cb\x85c",
    "\t\r\nx\x0by\x0cz",
    "caf\u00e9  au\u3000lait",
    "\ud800 lone",
    "1,234",
    "  12.5 %  ",
]


def _reference(page: str) -> dict:
    """_read_html as it was before the shortcuts: html.parser's lists, normalised one by one."""
    text_nodes, attrs_seen, scripts, styles = output_reader._parsed_html(page)[:4]
    art = Artifact(name="p.html", kind="html")
    nodes = [normalise(t) for t in text_nodes]
    art.strings.update(t for t in nodes if t)
    art.strings.update(normalise(a) for a in attrs_seen if a.strip())
    # the text as shown, from a parse of every page (the reader parses only the pages its
    # regex says may hold a join or a format character)
    parser = output_reader._ShownText()
    parser.feed(page)
    parser.close()
    shown = [line for line in map(normalise, parser.runs) if line]
    art.strings.update(shown)
    # the SVG text elements read whole, from the same parse (the reader finds them on a
    # plain page with a regex: output_reader._svg_elements)
    elements = parser.elements
    if parser._element is not None:
        elements.append((parser._element == "text", parser._pieces, parser._follows))
    svg = output_reader._svg_joined(elements)
    art.strings.update(svg)
    escaped = [output_reader._css_unescaped(a) for a in attrs_seen if "\\" in a]
    art.strings.update(t for t in map(normalise, escaped) if t)
    sheets = [output_reader._css_read(body) for body in styles]
    for strings, _texts, _decoded in sheets:
        art.strings.update(strings)
    art.texts.append("\n".join(nodes))
    art.texts.append("\n".join(attrs_seen))
    if shown:
        art.texts.append("\n".join(shown))
    if svg:
        art.texts.append("\n".join(svg))
    if escaped:
        art.texts.append("\n".join(escaped))
    art.texts.extend(texts for _strings, texts, _decoded in sheets if texts)
    for kind, body in scripts:
        if kind in output_reader.JSON_SCRIPT_TYPES:
            try:
                output_reader.walk_json(art, output_reader.json.loads(body), "p.html inline JSON")
                art.texts.append(body)
                continue
            except output_reader.json.JSONDecodeError:
                pass
        art.code.append(body)
        output_reader._read_script(art, body, "p.html script")
    for body, (_strings, _texts, decoded) in zip(styles, sheets):
        art.code.append(body)
        if decoded:
            art.code.append(decoded)
    return _seen(art)


def _seen(art: Artifact) -> dict:
    seen = {k: v for k, v in vars(art).items() if k not in ("lon", "lat", "added")}
    seen["order"] = list(art.strings)
    return seen


def _read(page: str, fast: bool) -> dict:
    art = Artifact(name="p.html", kind="html")
    output_reader._read_html(art, page, "p.html", fast=fast)
    return _seen(art)


def test_text_chunks_normalised_once_as_one_by_one(monkeypatch: pytest.MonkeyPatch):
    rng = random.Random(5)
    monkeypatch.setattr(output_reader, "_NORMALISED_TEXT", {})
    for _ in range(400):
        chunks = ["".join(rng.choice(CHUNKS) for _ in range(rng.randint(0, 3)))]
        chunks *= rng.randint(1, 3)
        chunks += [rng.choice(CHUNKS) for _ in range(rng.randint(0, 12))]
        rng.shuffle(chunks)
        assert output_reader._normalised_texts(chunks) == [normalise(c) for c in chunks]
    assert output_reader._NORMALISED_TEXT  # (the chunks were remembered: later calls hit)
    assert all(normalise(k) == v for k, v in output_reader._NORMALISED_TEXT.items())


def test_pages_read_as_the_reference_formula_in_the_same_order():
    rng = random.Random(21)
    plain = [p for p in HTML_PIECES if output_reader._plain_html(p) is not None]
    values = ['<p title=" a  b ">', "<i data-x='\n'>", "<b lang='x\u2028y'>", "<a id=k>k</a>"]
    values += ['<em title="  " lang=" x">']
    fast_pages = 0
    for _ in range(2000):
        pool = plain + values if rng.random() < 0.6 else HTML_PIECES + values
        page = "".join(rng.choice(pool) for _ in range(rng.randint(0, 30)))
        page += "".join(rng.choice(CHUNKS) + rng.choice(values) for _ in range(3))
        reference = _reference(page)
        fast_pages += output_reader._plain_html(page) is not None
        assert _read(page, True) == reference, page
        assert _read(page, False) == reference, page
    assert fast_pages > 500


def test_a_tags_values_are_normalised_once_for_every_page_that_has_it():
    tag = '<td class="  n  um " title="" lang=" \t" data-v="1\n 2">'
    info = output_reader._tag_info(tag)
    assert info is not None
    assert info[3] == ("  n  um ", " \t", "1\n 2")
    assert info[6] == ("n um", "1 2")
    for page in (f"<table><tr>{tag}x</td></tr></table>", f"{tag}{tag}y"):
        assert _read(page, True) == _reference(page)
