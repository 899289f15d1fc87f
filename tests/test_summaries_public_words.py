"""The neighbourhood summaries' public words: crimes without a location under the one name
every public output gives them, and a fall written with a minus sign that a screen reader reads.

Why: the summaries called the crimes published without a location "No location" (row, index
and CSV), the web map "Location not published", the index's about line "published without a
location"; the pages wrote a fall as "-26", a hyphen-minus that a screen reader reads as
"hyphen 26" or "26". Real data (Leicestershire's published months, MSOAs), the real
computation, renderer and CSV writer.
"""

from __future__ import annotations

import csv
import re

import numpy as np
import pytest

from crime_mapper.core.common.vocabulary import NO_LOCATION_PLACE, NO_STREET_PLACE
from crime_mapper.core.publish import neighbourhoods as nb
from crime_mapper.core.publish.summaries import SummaryOptions, compute_summaries
from crime_mapper.core.publish.summaries_export import write_tidy_csv
from crime_mapper.core.publish.summaries_render import SummaryRenderer
from crime_mapper.core.publish.webmap_data import NO_LOCATION_AREA
from tests.support.neighbourhood_data import committed_msoas, leicestershire, public_table

MINUS = "\u2212"
DATA = leicestershire()


@pytest.fixture(scope="module")
def made() -> tuple:
    public = public_table(DATA)
    hoods = committed_msoas(DATA)
    s = compute_summaries(public, hoods, nb.assign_crimes(public, hoods), SummaryOptions())
    return public, hoods, s


def _text(html: str) -> str:
    """A page's text as read: its tags dropped (its inline script and style too)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_crimes_without_a_location_have_one_name_on_every_public_output(made, tmp_path):
    public, hoods, s = made
    assert (public["Longitude"] == "").any()  # (the sample months have them, as real ones do)
    assert NO_LOCATION_AREA == NO_LOCATION_PLACE  # (the web map's area of them)
    path = tmp_path / "summaries.csv"
    write_tidy_csv(s, path)
    with open(path, encoding="utf-8", newline="") as handle:
        names = {
            r["neighbourhood"]
            for r in csv.DictReader(handle)
            if r["neighbourhood_code"] == "no-location"
        }
    assert names == {NO_LOCATION_PLACE}
    index = SummaryRenderer(s, hoods.slugs).render_index()
    assert f'<th scope="row">{NO_LOCATION_PLACE}</th>' in index
    text = _text(index)
    assert "No location" not in text and "published without a location" not in text
    assert "whose location is not published" in text


def test_a_fall_is_written_with_a_minus_sign_on_the_pages(made):
    _, hoods, s = made
    change = np.asarray(s.figures["change_previous"], dtype=float)
    falls = np.flatnonzero(np.isfinite(change) & (change <= -1))
    assert len(falls)  # (some neighbourhood had fewer crimes than the month before)
    renderer = SummaryRenderer(s, hoods.slugs)
    i = int(falls[0])
    shown = f"{MINUS}{int(round(-change[i])):,} ("
    page = _text(renderer.render_page(i))
    assert shown in page
    index = _text(renderer.render_index())
    assert shown in index
    for text in (page, index):  # no change, count or percentage with a hyphen-minus
        assert not re.search(r"(?<![\w-])-[0-9]", text), re.findall(r".{20}-[0-9].{10}", text)


def test_the_pages_data_keep_the_hyphen_minus(made, tmp_path):
    """A CSV cell is data: a program reads "-26", not "\u221226" (the tidy CSV holds counts,
    never a sign; the GeoPackage's changes are numbers)."""
    _, hoods, s = made
    path = tmp_path / "summaries.csv"
    write_tidy_csv(s, path)
    assert MINUS not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("hidden", ["\u200b", "\u2028", "\u00a0", "\u2060 "])
def test_a_map_point_with_no_street_name_behind_an_invisible_character_is_not_listed(made, hidden):
    """police.uk's "On or near " with no street name is not listed among a page's locations
    (many places, none a reader can find). Followed by a character the page does not show (a
    zero-width space, a word joiner), it was listed, as "A place with no street name": the
    summaries' test of "no name" was not the page's (a line separator and a no-break space,
    which it did strip, are the controls)."""
    public, hoods, s = made
    public = public.copy()
    rows = public.index[(public["Month"] == s.month) & (public["Longitude"] != "")][:300]
    public.loc[rows, "Location"] = "On or near" + hidden
    s2 = compute_summaries(public, hoods, nb.assign_crimes(public, hoods), SummaryOptions())
    assert not any(label == "On or near" + hidden for tops in s2.top_locations for label, _ in tops)
    renderer = SummaryRenderer(s2, hoods.slugs)
    for i in range(s2.n):
        assert NO_STREET_PLACE not in renderer.render_page(i)
