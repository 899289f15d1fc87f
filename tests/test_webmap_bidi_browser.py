"""The web map isolates every street label and area name for bidi where it shows one: a
point's popup (its heading and its area), an area's popup (its heading and its summary
link), a search result, a place in the "places in view" list and the data table's rows.

Why: the summary pages wrapped each label in <bdi>, the web map did not, so the right-to-left
letters of a Hebrew or Arabic street name carried the punctuation and count beside it to
the other side ("On or near <Hebrew>, <Arabic>: 1 crime" read out of order). Each label now
sits in its own <bdi>, set as text (textContent), never as markup.

Real browser (Debian's chromium through Playwright), a real export of a tiny police.uk
release over the committed Leicester LSOA outlines, one of them renamed in Arabic.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from crime_mapper.core.publish.summaries_run import NeighbourhoodSource
from crime_mapper.core.publish.webmap_run import run_webmap
from tests.support.webmap_browser import AXE, axe_violations, open_page, wait_for_settled_popup

REPO = Path(__file__).resolve().parent.parent
OUTLINES = REPO / "sample_data" / "boundaries" / "LSOA_Dec_2011_BSC_leicester_city.geojson"
LSOA = "E01013600"
AREA = "حي الملك فيصل"  # (Arabic: the area's name)
#: street -> its crimes; the Hebrew one holds markup too (shown as text, never as a tag)
STREETS = {"רחוב הרצל 12": 1, "<b>שדרות</b> רוטשילד": 2}
# (and a place with no street name: police.uk's "On or near " alone)
NAMELESS = 3


def _inside(ring: list, x: float, y: float) -> bool:
    """Ray casting: (x, y) inside the ring (its own code, not the page's or the core's)."""
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1]):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("webmap_bidi")
    geo = json.loads(OUTLINES.read_text(encoding="utf-8"))
    feature = next(f for f in geo["features"] if f["properties"]["LSOA11CD"] == LSOA)
    feature["properties"]["LSOA11NM"] = AREA
    lon, lat = feature["properties"]["LONG"], feature["properties"]["LAT"]
    assert _inside(feature["geometry"]["coordinates"][0], lon, lat)
    outlines = tmp / "areas.geojson"
    outlines.write_text(json.dumps(geo, ensure_ascii=False), encoding="utf-8")
    places = [*STREETS.items(), ("", NAMELESS)]
    rows = []
    for k, (street, n) in enumerate(places):
        for _ in range(n):
            rows.append(
                {
                    "Crime ID": f"{len(rows):064x}",
                    "Month": "2022-10",
                    "Reported by": "Leicestershire Police",
                    "Falls within": "Leicestershire Police",
                    "Longitude": f"{lon + (k - 1) * 0.0004:.6f}",
                    "Latitude": f"{lat:.6f}",
                    "Location": "On or near " + street,
                    "LSOA code": LSOA,
                    "LSOA name": "Leicester 003A",
                    "Crime type": "Burglary",
                    "Last outcome category": "Under investigation",
                    "Context": "",
                }
            )
    release = tmp / "2022-10-leicestershire-street.csv"
    pd.DataFrame(rows).to_csv(release, index=False, encoding="utf-8")
    result = run_webmap(
        [release],
        tmp / "out" / "map",
        neighbourhoods=NeighbourhoodSource(
            boundaries=outlines, code_field="LSOA11CD", name_field="LSOA11NM"
        ),
        summaries="yes",
        tiles="none",
    )
    return {"url": result.index.resolve().as_uri(), "lon": lon, "lat": lat}


# each <bdi> in ``selector``: [its text, whether it holds an element, its unicode-bidi]
_ISOLATED = (
    "els => els.map(e => [e.textContent, e.children.length > 0, getComputedStyle(e).unicodeBidi])"
)


def _isolated(page, selector: str) -> list[list]:
    return page.eval_on_selector_all(f"{selector} bdi", _ISOLATED)


def _names(found: list[list]) -> list[str]:
    for _, holds_element, bidi in found:
        assert not holds_element and bidi == "isolate", found
    return [text for text, _, _ in found]


def _open_point_popup(page, lon: float, lat: float) -> None:
    page.evaluate(f"void window.CM_APP.map.setView([{lat}, {lon}], 18, {{animate: false}})")
    page.focus("#map")
    page.keyboard.press("Enter")
    page.wait_for_selector(".leaflet-popup .cm-popup h3")
    wait_for_settled_popup(page)


def test_a_point_popup_isolates_its_label_and_its_area(browser, site):
    page, rec = open_page(browser, site["url"])
    for k, street in enumerate([*STREETS, ""]):
        _open_point_popup(page, site["lon"] + (k - 1) * 0.0004, site["lat"])
        heading = page.inner_text(".leaflet-popup h3")
        if street:
            assert heading == "On or near " + street
            assert _names(_isolated(page, ".leaflet-popup h3")) == [street]
        else:
            assert heading == "A place with no street name"
            assert _isolated(page, ".leaflet-popup h3") == []
        assert _names(_isolated(page, ".leaflet-popup .cm-popup > p")) == [AREA]
        page.keyboard.press("Escape")
        page.wait_for_selector(".leaflet-popup", state="detached")
    assert page.evaluate("document.querySelectorAll('b').length") == 0
    assert not rec.errors and not rec.dialogs, (rec.errors, rec.dialogs)


def test_search_results_isolate_each_label_and_area(browser, site):
    page, rec = open_page(browser, site["url"])
    page.fill("#search-input", "רחוב")
    page.wait_for_selector("#search-results button")
    button = "#search-results button"
    street = next(iter(STREETS))
    assert page.inner_text(button) == f"Street: On or near {street}, {AREA}"
    assert _names(_isolated(page, button)) == [street, AREA]
    page.fill("#search-input", "<b>")
    page.wait_for_selector("#search-results button")
    assert _names(_isolated(page, button)) == ["<b>שדרות</b> רוטשילד", AREA]
    assert page.evaluate("document.querySelectorAll('#search-results b').length") == 0
    # an area: its result, then its popup's heading and summary link
    page.fill("#search-input", AREA[:6])  # (its streets' results name it too)
    page.wait_for_selector("#search-results button")
    button = "#search-results li:first-child button"
    assert page.inner_text(button) == f"Area: {AREA}"
    assert _names(_isolated(page, button)) == [AREA]
    page.click(button)
    page.wait_for_selector(".leaflet-popup .cm-popup a")
    assert _names(_isolated(page, ".leaflet-popup h3")) == [AREA]
    link = ".leaflet-popup .cm-popup a"
    assert page.inner_text(link) == f"Neighbourhood summary for {AREA}"
    assert _names(_isolated(page, link)) == [AREA]
    assert not rec.errors and not rec.dialogs, (rec.errors, rec.dialogs)


def test_places_in_view_and_the_table_isolate_each_label_and_area(browser, site):
    page, rec = open_page(browser, site["url"])
    page.evaluate(
        f"void window.CM_APP.map.setView([{site['lat']}, {site['lon']}], 17, {{animate: false}})"
    )
    page.click("#list-places")
    buttons = page.locator("#places-list button")
    assert buttons.count() == 3
    texts = [buttons.nth(i).inner_text() for i in range(3)]
    assert texts == [
        f"A place with no street name, {AREA}: {NAMELESS} crimes",
        f"On or near <b>שדרות</b> רוטשילד, {AREA}: 2 crimes",
        f"On or near רחוב הרצל 12, {AREA}: 1 crime",
    ]
    items = [f"#places-list li:nth-child({i + 1}) button" for i in range(3)]
    first, second = STREETS
    assert [_names(_isolated(page, item)) for item in items] == [
        [AREA],
        [second, AREA],
        [first, AREA],
    ]
    row = page.locator("#count-table tbody tr", has_text=AREA)
    assert row.count() == 1
    # a row heading holds the name alone, as text: the cell is its own bidi paragraph, its
    # direction taken from its text (unicode-bidi: plaintext, as dir=auto), no <bdi> per row
    assert row.locator("th").evaluate_all(_ISOLATED) == [[AREA, False, "plaintext"]]
    # every row heading so (the table lists every neighbourhood of the layer, and All areas)
    headings = page.eval_on_selector_all("#count-table tbody th", _ISOLATED)
    assert len(headings) > 1
    assert {(holds, bidi) for _, holds, bidi in headings} == {(False, "plaintext")}
    assert not rec.errors and not rec.dialogs, (rec.errors, rec.dialogs)


def test_axe_finds_no_violations_with_the_isolated_labels_shown(browser, site):
    assert AXE.is_file(), "node_modules/axe-core is missing: run `make setup` (npm ci)"
    page, _ = open_page(browser, site["url"], bypass_csp=True)
    page.evaluate(
        f"void window.CM_APP.map.setView([{site['lat']}, {site['lon']}], 17, {{animate: false}})"
    )
    page.click("#list-places")
    page.fill("#search-input", "רחוב")
    page.wait_for_selector("#search-results button")
    _open_point_popup(page, site["lon"] - 0.0004, site["lat"])
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=1)
