"""The web map read as the public reads it, beyond what axe-core checks (Debian's chromium
through Playwright): with a forced-colours system theme (Windows High Contrast, a dark
theme), with a screen reader's live regions, and with months and counts read aloud.

Each test opens a map of the sample month with neighbourhood outlines and populations, so the
legend, the shading options and the trend are all on the page.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from crime_mapper.core.publish.summaries_run import NeighbourhoodSource
from crime_mapper.core.publish.webmap_run import run_webmap
from tests.support.webmap_browser import contrast_ratio, open_page

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "police-uk"
BOUNDARIES = REPO / "sample_data" / "boundaries" / "LSOA_Dec_2011_BSC_leicester_city.geojson"


@pytest.fixture(scope="module")
def page_url(tmp_path_factory) -> str:
    tmp = tmp_path_factory.mktemp("public_reading")
    geo = json.loads(BOUNDARIES.read_text(encoding="utf-8"))
    for i, feature in enumerate(geo["features"]):
        feature["properties"]["pop"] = 1000 + i
    areas = tmp / "areas.geojson"
    areas.write_text(json.dumps(geo), encoding="utf-8")
    result = run_webmap(
        [SAMPLE / "2022-09", SAMPLE / "2022-10"],
        tmp / "map",
        neighbourhoods=NeighbourhoodSource(
            boundaries=areas, code_field="LSOA11CD", name_field="LSOA11NM", population_field="pop"
        ),
    )
    return result.index.resolve().as_uri()


def _forced(page, scheme: str) -> None:
    page.emulate_media(forced_colors="active", color_scheme=scheme)


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_forced_colours_keep_the_legend_matching_the_map(browser, page_url, scheme):
    """A forced-colours theme paints every background with the system's Canvas colour: the
    legend's swatches all came out the same (black on a dark theme) while the map's shading,
    drawn on a canvas, kept its colours, so no range could be matched to its colour."""
    page, rec = open_page(browser, page_url)
    _forced(page, scheme)
    swatches = page.eval_on_selector_all(
        "#legend .swatch",
        "s => s.map(x => [getComputedStyle(x).backgroundColor, x.style.backgroundColor])",
    )
    assert len(swatches) >= 3, swatches
    shown, own = [s[0] for s in swatches], [s[1] for s in swatches]
    assert shown == own, swatches  # each swatch in the colour the map shades with
    assert len(set(shown)) == len(shown), swatches
    assert not rec.errors


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_forced_colours_keep_the_trend_chart_readable(browser, page_url, scheme):
    """The month-by-month chart drew dark bars and grey month names in its own colours: on a
    dark system Canvas they all but vanished (contrast about 1.3:1)."""
    page, rec = open_page(browser, page_url)
    _forced(page, scheme)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    texts = page.eval_on_selector_all(
        "#trend svg text", "t => t.map(x => getComputedStyle(x).fill)"
    )
    assert texts
    for fill in texts:
        assert contrast_ratio(fill, background) >= 4.5, (fill, background)
    chosen = page.eval_on_selector_all(
        "#trend svg .trend-chosen", "t => t.map(x => getComputedStyle(x).fill)"
    )
    others = page.eval_on_selector_all(
        "#trend svg .trend-bar:not(.trend-chosen)", "t => t.map(x => getComputedStyle(x).fill)"
    )
    assert chosen and others
    for fill in chosen + others:  # (a graphic's part: 3:1, WCAG 1.4.11)
        assert contrast_ratio(fill, background) >= 3, (fill, background)
    assert set(chosen).isdisjoint(others)  # the chosen months still stand out
    assert not rec.errors


# Whether an element is inside a live region (announced by a screen reader as it changes)
_LIVE = """sel => { for (let e = document.querySelector(sel); e; e = e.parentElement) {
    const live = e.getAttribute('aria-live'), role = e.getAttribute('role');
    if ((live && live !== 'off') || ['status', 'log', 'alert'].includes(role)) return true;
  } return false; }"""


def test_search_announces_how_many_results_not_every_result(browser, page_url):
    """The search's results list was itself a live region: at each letter typed a screen
    reader read out every result button again (up to 12). A status line now says how many
    results there are; the list is read when the reader moves into it."""
    page, rec = open_page(browser, page_url)
    assert not page.evaluate(_LIVE, "#search-results")
    assert page.get_attribute("#search-status", "role") == "status"
    page.fill("#search-input", "Greengate Nook")
    page.wait_for_selector("#search-results button")
    buttons = page.locator("#search-results button").count()
    assert 1 <= buttons < 12
    said = f"{buttons} match." if buttons == 1 else f"{buttons} matches."
    assert page.inner_text("#search-status") == said
    page.fill("#search-input", "on or near")
    page.wait_for_selector("#search-results li:nth-child(12)")
    assert page.locator("#search-results button").count() == 12
    assert page.inner_text("#search-status") == "The first 12 matches: type more to narrow them."
    page.fill("#search-input", "qqzzqq")
    assert page.inner_text("#search-status") == "No matches."
    assert page.locator("#search-results li").count() == 0
    page.fill("#search-input", "q")  # (too short to search: nothing to announce)
    assert page.inner_text("#search-status") == ""
    assert not rec.errors


def test_places_in_view_announce_their_count_not_fifty_buttons(browser, page_url):
    """ "List the places in view" filled a live list: a screen reader read out up to 50
    place buttons at once. Their count is now announced and the list is read on demand."""
    page, rec = open_page(browser, page_url)
    assert not page.evaluate(_LIVE, "#places-list")
    assert page.get_attribute("#places-status", "role") == "status"
    page.click("#list-places")
    page.wait_for_selector("#places-list button")
    status = page.inner_text("#places-status")
    assert status.startswith("The 50 busiest of ") and status.endswith(" places in view:"), status
    assert page.locator("#places-list li").count() == 50
    assert page.locator("#places-list li button").count() == 50  # (every item a place)
    page.check("#cat-0", force=True)  # a change of choices empties the list and its count
    page.uncheck("#cat-0", force=True)
    assert page.inner_text("#places-status") == ""
    assert page.locator("#places-list li").count() == 0
    assert not rec.errors


_SHORT_MONTH = re.compile(r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\b")


def test_months_are_read_as_words_and_the_chart_once(browser, page_url):
    """The trend's text said "Sep 2022 4,204, Oct 2022 4,817" (a screen reader says "sep",
    "oct", and runs each count into the next month) and the chart, named by that same text,
    had it read out twice. The text now says "September 2022: 4,204; October 2022: 4,817",
    the chart is hidden from screen readers, and a popup's months are whole words too."""
    page, rec = open_page(browser, page_url)
    text = page.inner_text("#trend-desc")
    assert re.search(r"September 2022: [\d,]+; October 2022: [\d,]+\.$", text), text
    assert not _SHORT_MONTH.search(text), text
    assert page.get_attribute("#trend svg", "aria-hidden") == "true"
    assert page.locator("body").aria_snapshot().count("September 2022: ") == 1  # (once)
    page.select_option("#period-length", value="3")
    page.click("#list-places")
    page.click("#places-list button >> nth=0")
    page.wait_for_selector(".leaflet-popup .cm-popup")
    months = page.eval_on_selector_all(
        ".cm-popup table:has(caption:text-is('By month')) th",
        "ts => ts.map(t => t.textContent)",
    )
    assert months == ["September 2022", "October 2022"], months
    assert not rec.errors


def test_an_area_of_one_crime_says_one_crime(browser, page_url):
    """An area's popup said "1 crimes" where the point popups, the status line and the
    places list all say "1 crime"."""
    page, rec = open_page(browser, page_url)
    page.click("#cat-none")
    found = None
    for box in range(page.locator("#category-list input").count()):
        page.check(f"#cat-{box}")
        found = page.evaluate(
            """() => [...document.querySelectorAll('#count-table tbody tr')]
                 .filter(r => r.lastElementChild.textContent === '1')
                 .map(r => r.firstElementChild.textContent)
                 .find(n => n.startsWith('Leicester'))"""
        )
        if found:
            break
        page.uncheck(f"#cat-{box}")
    assert found, "no area with one crime of a single type"
    page.fill("#search-input", found)
    page.locator("#search-results button").filter(has_text=f"Area: {found}").first.click()
    page.wait_for_selector(".leaflet-popup .cm-popup")
    said = page.inner_text(".leaflet-popup .cm-popup p >> nth=0")
    assert said.startswith("1 crime, "), said
    assert not rec.errors


def test_the_default_title_names_the_month_in_words():
    """A release's web map, given no title, was headed "Street-level crime map,
    Leicestershire 2022-10": a screen reader read the month as "2022 minus 10" or as digits,
    where the rest of the page says "October 2022"."""
    from crime_mapper.core.monthly.release import default_map_title

    assert default_map_title("Leicestershire", "2022-10") == (
        "Street-level crime map, Leicestershire, October 2022"
    )
    assert default_map_title("", "2023-01") == "Street-level crime map, January 2023"


def _halves(path: Path) -> Path:
    """Leicestershire as two neighbourhoods, west and east, of few residents: counts in the
    thousands and rates of over 1,000 crimes per 1,000 residents."""

    def square(west: float, east: float) -> list:
        return [[[west, 52.3], [east, 52.3], [east, 53.0], [west, 53.0], [west, 52.3]]]

    features = [
        {
            "type": "Feature",
            "properties": {"code": code, "name": name, "pop": pop},
            "geometry": {"type": "Polygon", "coordinates": square(west, east)},
        }
        for code, name, pop, west, east in (
            ("W1", "West half", 100, -1.6, -1.13),
            ("E1", "East half", 200, -1.13, -0.6),
        )
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def test_the_legend_and_popups_separate_thousands(browser, tmp_path):
    """The shading legend wrote its classes as bare digits ("0 to 2410", "2411 or more") and
    its rates as "over 12050.0", and an area's popup its rate as "24100.0 per 1,000
    residents", where every other count on the page reads "2,410". The rates' legend also
    listed classes that hold no area ("over 8,805.0 to 8,805.0", three times over) where the
    counts' legend skips them."""
    result = run_webmap(
        [SAMPLE / "2022-10"],
        tmp_path / "map",
        neighbourhoods=NeighbourhoodSource(
            boundaries=_halves(tmp_path / "halves.geojson"),
            code_field="code",
            name_field="name",
            population_field="pop",
        ),
    )
    page, rec = open_page(browser, result.index.resolve().as_uri())
    for mode in ("count", "rate"):
        page.check(f"input[name='areas-mode'][value='{mode}']")
        legend = page.inner_text("#legend ul")
        assert re.search(r"\d,\d{3}", legend), (mode, legend)
        assert not re.search(r"\d{4}", legend), (mode, legend)
        lines = legend.splitlines()  # (no empty class: "over 8,805.0 to 8,805.0" three times)
        assert len(set(lines)) == len(lines) and len(lines) == 2, (mode, legend)
    page.fill("#search-input", "West half")
    page.locator("#search-results button").filter(has_text="Area: West half").first.click()
    page.wait_for_selector(".leaflet-popup .cm-popup")
    rate = page.inner_text(".leaflet-popup .cm-popup p >> nth=1")
    assert re.fullmatch(r"\d{1,3}(,\d{3})+\.\d per 1,000 residents \(population 100\)", rate), rate
    assert not rec.errors
