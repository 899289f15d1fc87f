"""The web map's public words and numbers, as a reader meets them in a real browser:

* a map point with no street name, and the crimes published without a location, in the one
  wording every public output uses (core.common.vocabulary), given to the page by the export
  (config.js and the page), never written into webmap.js;
* the numbers drawn in groups of points and on a busy point with thousands separated
  ("1,234", as every count on the page): they were drawn "1234";
* the header's download link downloads the release's month's CSV: it jumped to the
  downloads section, where the reader had to find the file again.

Real browser (Debian's chromium through Playwright), a real export of a small police.uk
release over the committed Leicester LSOA outlines; axe-core finds no violation.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from crime_mapper.core.common.vocabulary import NO_LOCATION_PLACE, NO_STREET_PLACE
from crime_mapper.core.publish.summaries_run import NeighbourhoodSource
from crime_mapper.core.publish.webmap_run import run_webmap
from tests.support.webmap_browser import AXE, axe_violations, open_page, wait_for_settled_popup

REPO = Path(__file__).resolve().parent.parent
OUTLINES = REPO / "sample_data" / "boundaries" / "LSOA_Dec_2011_BSC_leicester_city.geojson"
OCT = REPO / "sample_data" / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"
LSOA = "E01013600"
BUSY = 1234  # crimes at one map point in the release's month
NAMELESS = 3  # at a map point with no street name ("On or near " alone)
NO_PLACE = 2  # published without a location


def _row(n: int, month: str, lon: str, lat: str, location: str) -> dict:
    return {
        "Crime ID": f"{n:064x}",
        "Month": month,
        "Reported by": "Leicestershire Police",
        "Falls within": "Leicestershire Police",
        "Longitude": lon,
        "Latitude": lat,
        "Location": location,
        "LSOA code": LSOA if lon else "",
        "LSOA name": "Leicester 003A" if lon else "",
        "Crime type": "Burglary",
        "Last outcome category": "Under investigation",
        "Context": "",
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("webmap_words")
    geo = json.loads(OUTLINES.read_text(encoding="utf-8"))
    feature = next(f for f in geo["features"] if f["properties"]["LSOA11CD"] == LSOA)
    lon, lat = feature["properties"]["LONG"], feature["properties"]["LAT"]
    places = [("High Street", BUSY, 0.0), ("", NAMELESS, 0.0004)]
    files = []
    for month in ("2022-09", "2022-10"):
        rows: list[dict] = []
        if month == "2022-09":
            rows.append(_row(0, month, f"{lon:.6f}", f"{lat:.6f}", "On or near High Street"))
        else:
            for street, n, dx in places:
                for _ in range(n):
                    where = (f"{lon + dx:.6f}", f"{lat:.6f}", "On or near " + street)
                    rows.append(_row(len(rows) + 1, month, *where))
            for _ in range(NO_PLACE):
                rows.append(_row(len(rows) + 1, month, "", "", "No location"))
        path = tmp / f"{month}-leicestershire-street.csv"
        pd.DataFrame(rows).to_csv(path, index=False, encoding="utf-8")
        files.append(path)
    result = run_webmap(
        files,
        tmp / "out" / "map",
        neighbourhoods=NeighbourhoodSource(
            boundaries=OUTLINES, code_field="LSOA11CD", name_field="LSOA11NM"
        ),
        tiles="none",
    )
    return {
        "url": result.index.resolve().as_uri(),
        "dir": result.index.parent,
        "lon": lon,
        "lat": lat,
    }


# every text drawn on the map's canvas, recorded as drawn (the numbers in groups and points)
_RECORD_DRAWN = """() => {
  window.__drawn = [];
  const fill = CanvasRenderingContext2D.prototype.fillText;
  CanvasRenderingContext2D.prototype.fillText = function (text, x, y) {
    window.__drawn.push(String(text));
    return fill.apply(this, arguments);
  };
}"""


def _drawn_at(page, lat: float, lon: float, zoom: int) -> list[str]:
    page.evaluate("window.__drawn = []")
    page.evaluate(f"void window.CM_APP.map.setView([{lat}, {lon}], {zoom}, {{animate: false}})")
    page.evaluate("window.CM_APP.update()")
    return page.evaluate("window.__drawn")


def test_the_numbers_drawn_on_the_map_separate_thousands(browser, site):
    page, rec = open_page(browser, site["url"])
    page.evaluate(_RECORD_DRAWN)
    whole = BUSY + NAMELESS
    grouped = _drawn_at(page, site["lat"], site["lon"], 12)  # (one group of both points)
    assert f"{whole:,}" in grouped and str(whole) not in grouped, grouped
    single = _drawn_at(page, site["lat"], site["lon"], 18)  # (each point on its own)
    assert f"{BUSY:,}" in single and str(BUSY) not in single, single
    assert not rec.errors, rec.errors


def test_places_without_a_street_or_a_location_use_the_one_wording(browser, site):
    js = (site["dir"] / "assets" / "webmap.js").read_text(encoding="utf-8")
    assert NO_STREET_PLACE not in js and "no street name" not in js  # (given, not written in)
    config = (site["dir"] / "data" / "config.js").read_text(encoding="utf-8")
    assert json.dumps(NO_STREET_PLACE) in config
    page, rec = open_page(browser, site["url"])
    about = page.inner_text("section.about")
    assert f"\u201c{NO_STREET_PLACE}\u201d are map points" in about
    status = page.inner_text("#status")
    assert f"{NO_PLACE} more are in the table only, as \u201c{NO_LOCATION_PLACE}\u201d." in status
    assert page.locator("#count-table tbody th", has_text=NO_LOCATION_PLACE).count() == 1
    page.evaluate(
        f"void window.CM_APP.map.setView([{site['lat']}, {site['lon'] + 0.0004}], 18, "
        "{animate: false})"
    )
    page.focus("#map")
    page.keyboard.press("Enter")
    page.wait_for_selector(".leaflet-popup .cm-popup h3")
    wait_for_settled_popup(page)
    assert page.inner_text(".leaflet-popup h3") == NO_STREET_PLACE
    assert not rec.errors and not rec.dialogs, (rec.errors, rec.dialogs)


def test_the_header_link_downloads_the_release_months_csv(browser, site):
    page, rec = open_page(browser, site["url"])
    link = page.locator("header.site-header a[download]")
    assert link.count() == 1
    shown = link.inner_text()
    assert re.fullmatch(r"Download the data for October 2022 \(CSV, [0-9.]+ (kB|MB)\)", shown)
    assert link.get_attribute("href") == "downloads/2022-10-street.csv"
    with page.expect_download() as caught:
        link.click()
    got = Path(caught.value.path()).read_text(encoding="utf-8")
    assert got == (site["dir"] / "downloads" / "2022-10-street.csv").read_text(encoding="utf-8")
    assert got.count("\n") == 1 + BUSY + NAMELESS + NO_PLACE
    # and the section of every file is a link of its own, said as what it is
    section = page.locator('header.site-header a[href="#downloads-heading"]')
    assert section.inner_text() == "All the downloads"
    # and the line reads as words: the template's comments once glued the sentence's full
    # stop to the link after it ("October 2022.Download") and the dot to the next link
    line = " ".join(page.inner_text("header.site-header p.release").split())
    assert re.fullmatch(
        r"Street-level crime, [A-Za-z0-9 ]+\. Download the data for October 2022 "
        r"\(CSV, [0-9.]+ (kB|MB)\) · All the downloads · Licence and sources",
        line,
    ), line
    assert not rec.errors and not rec.dialogs, (rec.errors, rec.dialogs)


def _header_line(index: Path) -> str:
    """The header's release line as a reader's browser runs it together: its tags out,
    every run of whitespace one space (what HTML shows)."""
    header = index.read_text(encoding="utf-8").split("</header>")[0]
    line = header.split('<p class="release">')[1].split("</p>")[0]
    return " ".join(re.sub(r"<[^>]*>", "", line).split())


def _header_links(index: Path) -> list[tuple[str, str]]:
    header = index.read_text(encoding="utf-8").split("</header>")[0]
    return re.findall(r'<a href="([^"]*)"[^>]*>([^<]*)</a>', header)


def test_one_file_is_the_data_and_hosted_files_are_where_to_get_them(tmp_path):
    """One month, one copy: the header says "Download the data" and downloads it, with no
    second link to the section. Files only hosted elsewhere: the header leads to the
    section, saying so (it cannot download a page it does not hold)."""
    from crime_mapper.core.publish.webmap_export import WebmapOptions, export_webmap

    one = export_webmap(WebmapOptions(inputs=[OCT], out_dir=tmp_path / "one", tiles="none"))
    links = _header_links(one.index)
    assert links[0][0] == "downloads/2022-10-street.csv"
    assert re.fullmatch(r"Download the data \(CSV, [0-9.]+ (kB|MB)\)", links[0][1]), links
    assert "#downloads-heading" not in [href for href, _ in links]
    assert re.fullmatch(
        r"Street-level crime, October 2022\. Download the data \(CSV, [0-9.]+ (kB|MB)\) · "
        r"Licence and sources",
        _header_line(one.index),
    ), _header_line(one.index)
    hosted = export_webmap(
        WebmapOptions(
            inputs=[OCT],
            out_dir=tmp_path / "hosted",
            tiles="none",
            copy_csv=False,
            csv_url="https://data.example.org/crime/",
        )
    )
    links = _header_links(hosted.index)
    assert links[0] == ("#downloads-heading", "Where to get the data (CSV)")
    assert _header_line(hosted.index) == (
        "Street-level crime, October 2022. Where to get the data (CSV) · Licence and sources"
    )


def test_axe_finds_no_violations_on_this_page(browser, site):
    assert AXE.is_file(), "node_modules/axe-core is missing: run `make setup` (npm ci)"
    page, _ = open_page(browser, site["url"], bypass_csp=True)
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=1)
