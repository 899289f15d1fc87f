"""The exported web map in a real browser (Debian's chromium through Playwright).

Every expected number is computed here from the release CSVs with pandas, independently of
core.publish.webmap_data, and compared with what the page shows. Screenshots land in
tests/artefacts/ (gitignored) for people to look at.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Optional

import pandas as pd
import pytest

from crime_mapper.core.publish.summaries_run import NeighbourhoodSource
from crime_mapper.core.publish.webmap_export import WebmapOptions, export_webmap
from crime_mapper.core.publish.webmap_run import run_webmap
from tests.support.webmap_browser import AXE, TILE_HOST, axe_violations, open_page, shown

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "police-uk"
# ../shared beside the clone (CI), or two levels up from a git worktree under wt/
SHARED = next(
    (
        base / "shared" / "data" / "police-uk" / "leicestershire"
        for base in (REPO.parent, REPO.parent.parent)
        if (base / "shared" / "data" / "police-uk" / "leicestershire").is_dir()
    ),
    REPO.parent / "shared" / "data" / "police-uk" / "leicestershire",
)
ARTEFACTS = REPO / "tests" / "artefacts"
HOSTILE = [
    '<img src=x onerror=alert("xss")>',
    "</script><script>alert(1)</script>",
    'O\'Brien "Close" & <b>Lane</b>',
]
HOSTILE_LON, HOSTILE_LAT = -1.13, 52.64  # central Leicester


def _hostile_release(path: Path) -> Path:
    """A tiny police.uk-format release whose labels try to break out of HTML and JS."""
    rows = []
    for i, label in enumerate(HOSTILE):
        rows.append(
            {
                "Crime ID": f"{i:064x}",
                "Month": "2022-10",
                "Reported by": "Leicestershire Police",
                "Falls within": "Leicestershire Police",
                "Longitude": f"{HOSTILE_LON + i * 0.01:.6f}",
                "Latitude": f"{HOSTILE_LAT:.6f}",
                "Location": "On or near " + label,
                "LSOA code": "E01013600",
                "LSOA name": "Leicester 003A",
                "Crime type": "Burglary",
                "Last outcome category": "Under investigation",
                "Context": "",
            }
        )
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _read(paths: list[Path]) -> pd.DataFrame:
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in paths]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """Two Leicestershire months, a Northumbria month with its outcomes, the hostile rows."""
    tmp = tmp_path_factory.mktemp("webmap")
    hostile = _hostile_release(tmp / "2022-10-hostile-street.csv")
    street = [
        SAMPLE / "2022-09" / "2022-09-leicestershire-street.csv",
        SAMPLE / "2022-10" / "2022-10-leicestershire-street.csv",
        SAMPLE / "2022-07" / "2022-07-northumbria-street.csv",
        hostile,
    ]
    outcomes = SAMPLE / "2022-07" / "2022-07-northumbria-outcomes.csv"
    result = export_webmap(
        WebmapOptions(inputs=[*street, outcomes], out_dir=tmp / "out" / "map", title="Test map")
    )
    return {"result": result, "street": _read(street), "outcomes": outcomes, "tmp": tmp}


def _url(result) -> str:
    return result.index.resolve().as_uri()


def _located(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[(frame["Longitude"] != "") & (frame["Latitude"] != "")]


def test_page_renders_and_counts_match_release(browser, release):
    page, rec = open_page(browser, _url(release["result"]))
    street = release["street"]
    located = _located(street)
    # default: the latest month, every category
    assert shown(page) == int((located["Month"] == "2022-10").sum())
    nolocation = int(((street["Month"] == "2022-10") & (street["Longitude"] == "")).sum())
    assert int(page.get_attribute("#status", "data-nolocation")) == nolocation
    # one category
    page.click("#cat-none")
    assert shown(page) == 0
    page.check("input[value='burglary']")
    expect = ((located["Month"] == "2022-10") & (located["Crime type"] == "Burglary")).sum()
    assert shown(page) == int(expect)
    # another month
    page.select_option("#period-end", label="September 2022")
    expect = ((located["Month"] == "2022-09") & (located["Crime type"] == "Burglary")).sum()
    assert shown(page) == int(expect)
    # the last 3 months (2022-08 has no file: still three calendar months)
    page.select_option("#period-end", label="October 2022")
    page.select_option("#period-length", value="3")
    months = {"2022-08", "2022-09", "2022-10"}
    expect = (located["Month"].isin(months) & (located["Crime type"] == "Burglary")).sum()
    assert shown(page) == int(expect)
    # category live counts (period: last 3 months, includes rows without a location)
    in_period = street[street["Month"].isin(months)]
    for slug, name in (("shoplifting", "Shoplifting"), ("drugs", "Drugs")):
        text = page.inner_text(f"label:has(input[value='{slug}']) .count")
        assert int(text.replace(",", "")) == int((in_period["Crime type"] == name).sum())
    # permalink: reload restores month, period and categories
    page.reload()
    page.wait_for_selector("html[data-cm-ready]", state="attached")
    assert shown(page) == int(expect)
    assert page.is_checked("input[value='burglary']")
    assert not page.is_checked("input[value='drugs']")
    assert not rec.errors, rec.errors
    assert not [c for c in rec.console if c.startswith("error")], rec.console


def _trend(page) -> tuple[dict[str, int], list[dict]]:
    """The month-by-month trend as the page shows it: {month: count} from its text
    alternative ("October 2022: 4,817; ..."), and each bar and period mark of its chart
    (x, width, height, fill)."""
    text = page.inner_text("#trend-desc")
    listed = text.split("bars): ", 1)[1].rstrip(".")
    counts = {}
    for part in listed.split("; "):
        month, _sep, count = part.partition(": ")
        counts[month] = int(count.replace(",", ""))
    rects = page.eval_on_selector_all(
        "#trend svg rect",
        "rs => rs.map(r => ({x: +r.getAttribute('x'), width: +r.getAttribute('width'),"
        " height: +r.getAttribute('height'), y: +r.getAttribute('y'),"
        " fill: r.getAttribute('fill')}))",
    )
    return counts, rects


def test_trend_counts_the_selected_types_month_by_month(browser, release):
    """Issue 12: the small month-by-month trend of the current selection. Its numbers (rows
    without a location included, as the categories' live counts) are the release's, its
    bars are as tall as those numbers, and the months of the selected period are marked."""
    page, rec = open_page(browser, _url(release["result"]))
    street = release["street"]
    months = {
        "July 2022": "2022-07",
        "August 2022": "2022-08",
        "September 2022": "2022-09",
        "October 2022": "2022-10",
    }  # fmt: skip  (2022-08 has no file: a month of 0)

    def expected(types: Optional[set[str]]) -> dict[str, int]:
        rows = street if types is None else street[street["Crime type"].isin(types)]
        return {short: int((rows["Month"] == m).sum()) for short, m in months.items()}

    counts, rects = _trend(page)
    assert counts == expected(None)
    page.click("#cat-none")
    page.check("input[value='burglary']")
    page.check("input[value='shoplifting']")
    counts, rects = _trend(page)
    assert counts == expected({"Burglary", "Shoplifting"})
    bars = [r for r in rects if r["y"] + r["height"] <= 70.01]  # (the marks sit below them)
    marks = [r for r in rects if r["y"] > 70]
    assert len(bars) == len(months)
    tallest = max(counts.values())
    for bar, count in zip(sorted(bars, key=lambda r: r["x"]), counts.values()):
        assert bar["height"] == pytest.approx(max(1, count / tallest * 70) if count else 1, abs=0.1)
    assert len(marks) == 1  # one month selected: October, the last
    assert marks[0]["x"] == max(b["x"] for b in bars)
    # each month named under its bar, the year under the first
    assert page.eval_on_selector_all("#trend .trend-month", "ts => ts.map(t => t.textContent)") == [
        "Jul", "Aug", "Sep", "Oct"
    ]  # fmt: skip
    assert page.eval_on_selector_all("#trend .trend-year", "ts => ts.map(t => t.textContent)") == [
        "2022"
    ]  # fmt: skip
    page.select_option("#period-length", value="3")
    _counts, rects = _trend(page)
    assert len([r for r in rects if r["y"] > 70]) == 3
    assert not rec.errors, rec.errors


def test_trend_of_one_month_is_a_narrow_bar_not_a_slab(browser, tmp_path):
    """A single month's trend is one bar a twelfth of the chart wide, as a month of a year's
    chart would be: drawn across the whole panel it read as a broken chart."""
    one = SAMPLE / "2022-10" / "2022-10-leicestershire-street.csv"
    result = export_webmap(WebmapOptions(inputs=[one], out_dir=tmp_path / "map", title="One"))
    page, rec = open_page(browser, _url(result))
    counts, rects = _trend(page)
    assert counts == {"October 2022": len(_read([one]))}
    widths = [r["width"] for r in rects]
    assert widths and max(widths) <= 300 / 12
    assert not rec.errors, rec.errors


def test_data_table_matches_release(browser, release):
    page, _ = open_page(browser, _url(release["result"]))
    street = release["street"]
    month = street[street["Month"] == "2022-10"]
    district = month["LSOA name"].str.replace(r"\s+\d{3}[A-Z]$", "", regex=True)
    district = district.where(month["Longitude"] != "", "Location not published")
    expect = district.value_counts().to_dict()
    rows = page.eval_on_selector_all(
        "#count-table tbody tr",
        "rows => rows.map(r => [r.cells[0].textContent, r.cells[r.cells.length-1].textContent])",
    )
    got = {name: int(total.replace(",", "")) for name, total in rows if name != "All areas"}
    got = {k: v for k, v in got.items() if v}
    assert got == expect
    headers = page.eval_on_selector_all("#count-table thead th", "t => t.map(x => x.textContent)")
    burglary_col = headers.index("Burglary")
    leicester = page.eval_on_selector_all(
        "#count-table tbody tr",
        f"rows => rows.filter(r => r.cells[0].textContent === 'Leicester')"
        f".map(r => r.cells[{burglary_col}].textContent)",
    )
    expect_burglary = ((district == "Leicester") & (month["Crime type"] == "Burglary")).sum()
    assert int(leicester[0].replace(",", "")) == int(expect_burglary)


def _open_popup_at(page, lon: float, lat: float) -> str:
    page.evaluate(f"window.CM_APP.map.setView([{lat}, {lon}], 18, {{animate: false}})")
    page.focus("#map")
    page.keyboard.press("Enter")
    page.wait_for_selector(".leaflet-popup .cm-popup h3")
    return page.inner_text(".leaflet-popup .cm-popup")


def test_the_page_decodes_every_published_location_exactly(browser, release):
    """The positions the page draws (decoded from points.js's letters by the page's own
    code) are exactly the release's distinct located (Longitude, Latitude), each the double
    its text reads as, so every marker and popup is at a published location."""
    page, rec = open_page(browser, _url(release["result"]))
    lon = page.evaluate("Array.from(window.CM_APP.positions.lon)")
    lat = page.evaluate("Array.from(window.CM_APP.positions.lat)")
    located = _located(release["street"])
    published = {(float(x), float(y)) for x, y in zip(located["Longitude"], located["Latitude"])}
    assert set(zip(lon, lat)) == published
    assert len(lon) == release["result"].points
    assert not rec.errors


def test_a_month_with_no_published_location_opens_with_its_table(browser, tmp_path):
    """Every crime of the release without a location (police.uk's "No Location" rows): no
    position to write or decode, and the page still opens, counts them and lists them in
    the table, with no error."""
    street = pd.read_csv(SAMPLE / "2022-10" / "2022-10-leicestershire-street.csv", dtype=str)
    street = street.fillna("").head(40)
    street[["Longitude", "Latitude", "Location"]] = ["", "", "No Location"]
    src = tmp_path / "2022-10-unlocated-street.csv"
    street.to_csv(src, index=False)
    result = export_webmap(WebmapOptions(inputs=[src], out_dir=tmp_path / "map", tiles="none"))
    assert result.points == 0 and result.mapped == 0 and result.crimes == 40
    page, rec = open_page(browser, _url(result))
    assert page.evaluate("window.CM_APP.positions.lon.length") == 0
    assert page.evaluate("window.CM_APP.totals()") == {"shown": 0, "nolocation": 40, "places": 0}
    assert not rec.errors


def test_popup_shows_point_counts_and_latest_outcomes(browser, release):
    page, _ = open_page(browser, _url(release["result"]))
    street = release["street"]
    # the busiest Northumbria point of 2022-07: its counts by category and latest outcomes
    page.select_option("#period-end", label="July 2022")
    nb = _located(street[street["Month"] == "2022-07"])
    top = nb.groupby(["Longitude", "Latitude", "Location"]).size().idxmax()
    lon, lat, location = top
    text = _open_popup_at(page, float(lon), float(lat))
    at = nb[(nb["Longitude"] == lon) & (nb["Latitude"] == lat) & (nb["Location"] == location)]
    heading = location if location.strip() != "On or near" else "A place with no street name"
    assert page.inner_text(".leaflet-popup h3") == heading
    assert f"{len(at)} crime" in text
    for name, n in at["Crime type"].value_counts().items():
        assert re.search(re.escape(name) + r"\s+" + str(n), text), (name, n, text)
    outcomes = pd.read_csv(release["outcomes"], dtype=str, keep_default_na=False)
    latest = outcomes.sort_values("Month", kind="stable").drop_duplicates("Crime ID", keep="last")
    latest = latest.set_index("Crime ID")["Outcome type"]
    final = (
        at["Crime ID"]
        .map(latest)
        .where(at["Crime ID"].isin(latest.index), at["Last outcome category"])
    )
    final = final[final != ""]
    assert "Latest outcomes" in text
    for name, n in final.value_counts().items():
        assert re.search(re.escape(name) + r"\s+" + str(n), text), (name, n, text)
    # Escape closes the popup and focus returns to the map
    page.keyboard.press("Escape")
    page.wait_for_selector(".leaflet-popup", state="detached")
    assert page.evaluate("document.activeElement.id") == "map"


def test_hostile_labels_render_as_text(browser, release):
    page, rec = open_page(browser, _url(release["result"]))
    for i, label in enumerate(HOSTILE):
        _open_popup_at(page, HOSTILE_LON + i * 0.01, HOSTILE_LAT)
        assert page.inner_text(".leaflet-popup h3") == "On or near " + label
        page.keyboard.press("Escape")
    # search finds a street by its label and shows it as text
    page.fill("#search-input", "onerror")
    page.wait_for_selector("#search-results button")
    assert "<img src=x" in page.inner_text("#search-results")
    assert not rec.dialogs
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"], b').length") == 0
    assert not rec.errors
    html = (release["result"].out_dir / "data" / "points.js").read_text(encoding="utf-8")
    assert "</script" not in html and "<img" not in html


def test_a_hostile_tiles_attribution_shows_as_text(browser, tmp_path):
    """Leaflet writes an attribution into the page as HTML: the analyst's text for a custom
    tile service is shown as text, neither an image nor a link."""
    attribution = '<img src=x onerror=alert(1)> <a href="javascript:alert(2)">Tiles</a> & co'
    result = export_webmap(
        WebmapOptions(
            inputs=[SAMPLE / "2022-10"],
            out_dir=tmp_path / "map",
            tiles="https://tiles.example.org/{z}/{x}/{y}.png",
            tiles_attribution=attribution,
        )
    )
    page, rec = open_page(browser, _url(result))
    assert attribution in page.inner_text(".leaflet-control-attribution")
    found = 'document.querySelectorAll(\'img[src="x"], a[href^="javascript"]\').length'
    assert page.evaluate(found) == 0
    assert not rec.dialogs and not rec.errors
    assert not [u for u in rec.requests if u.endswith("/x")], rec.requests


def test_no_request_leaves_the_machine_but_tiles(browser, release):
    page, rec = open_page(browser, _url(release["result"]))
    page.evaluate("window.CM_APP.map.setZoom(14)")
    page.wait_for_timeout(300)
    outside = [u for u in rec.requests if not u.startswith("file://")]
    assert outside, "the basemap was not requested at all"
    assert all(u.startswith(f"https://{TILE_HOST}/") for u in outside), outside
    csp = page.get_attribute("meta[http-equiv='Content-Security-Policy']", "content")
    assert "script-src 'self'" in csp and "connect-src 'none'" in csp


def test_tiles_none_makes_no_request(browser, release, tmp_path):
    result = export_webmap(
        WebmapOptions(inputs=[SAMPLE / "2022-10"], out_dir=tmp_path / "map", tiles="none")
    )
    page, rec = open_page(browser, _url(result))
    assert all(u.startswith("file://") for u in rec.requests), rec.requests
    assert shown(page) > 0


def test_axe_finds_no_violations(browser, release):
    assert AXE.is_file(), "node_modules/axe-core is missing: run `make setup` (npm ci)"
    for width in (1280, 360):
        page, _ = open_page(browser, _url(release["result"]), width=width, bypass_csp=True)
        violations = axe_violations(page)
        assert violations == [], json.dumps(violations, indent=1)


_ZOOM_OUT = """() => new Promise(resolve => {
  const m = window.CM_APP.map, before = m.getZoom();
  let atOnce = null;
  m.once("zoomend", () => setTimeout(() => resolve({before: before, at_once: atOnce,
                                                     after: m.getZoom()}), 0));
  m.zoomOut(1);
  atOnce = m.getZoom();
})"""
_MOTION = """() => {
  const m = window.CM_APP.map, o = m.options;
  return {options: [o.zoomAnimation, o.fadeAnimation, o.markerZoomAnimation, o.inertia],
          fades: m.getContainer().classList.contains("leaflet-fade-anim")};
}"""


def test_a_reader_who_asks_for_less_motion_gets_a_map_that_does_not_glide(browser, release):
    """WCAG 2.3.3: the system's "reduce motion" stops Leaflet's zoom, fade and coasting,
    which Leaflet does not do itself; other readers keep them."""
    street = release["street"]
    first = _located(street).iloc[0]
    for setting, moves in (("reduce", False), ("no-preference", True)):
        page, rec = open_page(browser, _url(release["result"]), reduced_motion=setting)
        assert page.evaluate(_MOTION) == {"options": [moves] * 4, "fades": moves}, setting
        _open_popup_at(page, float(first["Longitude"]), float(first["Latitude"]))
        # with less motion the popup is whole the moment it opens; otherwise it fades in
        fade = page.eval_on_selector(".leaflet-popup", "p => getComputedStyle(p).transition")
        assert ("opacity" in fade) is moves, (setting, fade)
        # a zoom with no animation has ended when the call returns; an animated one ends
        # when its glide does
        zoom = page.evaluate(_ZOOM_OUT)
        assert zoom["after"] == zoom["before"] - 1, (setting, zoom)
        assert (zoom["at_once"] == zoom["after"]) is not moves, (setting, zoom)
        assert not rec.errors and not rec.dialogs, (rec.errors, rec.dialogs)


def test_keyboard_reaches_every_control(browser, release):
    page, _ = open_page(browser, _url(release["result"]))
    wanted = set(
        page.eval_on_selector_all(
            "input:not([hidden]), select, button, a[href], #map, .table-wrap, "
            ".leaflet-control-zoom a",
            "els => els.filter(e => e.offsetParent !== null && !e.closest('[hidden]'))"
            ".map(e => e.id || e.getAttribute('aria-label') || e.value || e.textContent.trim())",
        )
    )
    reached = set()
    for _ in range(200):
        page.keyboard.press("Tab")
        key = page.evaluate(
            "(e => e.id || e.getAttribute('aria-label') || e.value || e.textContent.trim())"
            "(document.activeElement)"
        )
        if page.evaluate("document.activeElement === document.body"):
            continue  # past the last control, focus leaves the page for the browser
        reached.add(key)
        # a visible focus indicator on every stop
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none", key
    missing = wanted - reached
    assert not missing, missing


def test_areas_choropleth_popup_links_summary(browser, release, tmp_path):
    geo = json.loads(
        (
            REPO / "sample_data" / "boundaries" / "LSOA_Dec_2011_BSC_leicester_city.geojson"
        ).read_text(encoding="utf-8")
    )
    for i, f in enumerate(geo["features"]):
        f["properties"]["pop"] = 1000 + i
    path = tmp_path / "areas.geojson"
    path.write_text(json.dumps(geo), encoding="utf-8")
    result = run_webmap(
        [SAMPLE / "2022-10"],
        tmp_path / "out" / "map",
        neighbourhoods=NeighbourhoodSource(
            boundaries=path, code_field="LSOA11CD", name_field="LSOA11NM", population_field="pop"
        ),
        summaries="yes",
    )
    page, rec = open_page(browser, _url(result))
    page.fill("#search-input", "Leicester 003A")
    page.click("#search-results button")
    page.wait_for_selector(".leaflet-popup .cm-popup a")
    href = page.get_attribute(".leaflet-popup .cm-popup a", "href")
    assert href == "../neighbourhoods/leicester-003a.html"
    street = pd.read_csv(
        SAMPLE / "2022-10" / "2022-10-leicestershire-street.csv",
        dtype=str,
        keep_default_na=False,
    )
    text = page.inner_text(".leaflet-popup .cm-popup")
    assert "per 1,000 residents" in text
    # the table lists every neighbourhood (LSOA) of the layer, with zero where none fell
    names = page.eval_on_selector_all("#count-table tbody th", "t => t.map(x => x.textContent)")
    assert set(f["properties"]["LSOA11NM"] for f in geo["features"]) <= set(names)
    assert street["LSOA name"].eq("Leicester 003A").any()
    # counts: whole-number classes that follow one another without overlap (issue 11)
    page.check("input[name='areas-mode'][value='count']")
    items = page.eval_on_selector_all("#legend li", "t => t.map(x => x.textContent)")
    spans = []
    for item in items:
        numbers = [int(n) for n in item.replace(" or more", "").split(" to ")]
        spans.append((numbers[0], numbers[-1] if "or more" not in item else None))
    assert spans[0][0] == 0 and spans[-1][1] is None, items
    assert all(spans[i + 1][0] == spans[i][1] + 1 for i in range(len(spans) - 1)), items
    page.check("input[name='areas-mode'][value='rate']")
    assert "per 1,000 residents" in page.inner_text("#legend")
    ARTEFACTS.mkdir(exist_ok=True)
    page.keyboard.press("Escape")
    page.screenshot(path=str(ARTEFACTS / "webmap-neighbourhoods.png"))
    assert not rec.errors


def test_screenshots_force_year_and_phone(browser, tmp_path):
    """The force year (12 Leicestershire months from ../shared, else the committed months)."""
    if SHARED.is_dir():
        files = sorted(SHARED.glob("*-street.csv"))[-12:]
    else:
        files = sorted(SAMPLE.glob("*/*-leicestershire-street.csv"))
    result = export_webmap(WebmapOptions(inputs=files, out_dir=tmp_path / "map"))
    ARTEFACTS.mkdir(exist_ok=True)
    page, rec = open_page(browser, _url(result))
    page.select_option("#period-length", value="12" if len(files) >= 12 else "1")
    page.screenshot(path=str(ARTEFACTS / "webmap-force-year.png"))
    located = _located(_read(files))
    assert shown(page) == len(located) if len(files) >= 12 else shown(page) > 0
    phone, _ = open_page(browser, _url(result), width=360, height=780)
    phone.screenshot(path=str(ARTEFACTS / "webmap-phone.png"), full_page=False)
    # nothing wider than the phone screen but the scrollable table
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert not rec.errors


def test_on_a_phone_the_choices_fold_and_the_map_is_on_the_first_screen(browser, release):
    """At 360 px the search, period and crime types filled two screens above the map: a
    reader on a phone saw no map without scrolling. They fold behind one button there; on
    a wide screen they stay open with no button."""
    phone, rec = open_page(browser, _url(release["result"]), width=360, height=780)
    toggle = phone.locator("#controls-toggle")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert not phone.is_visible("#search-input") and not phone.is_visible("#category-list")
    top = phone.evaluate("document.getElementById('map').getBoundingClientRect().top")
    assert top < 780 - 150, f"the map starts {top} px down a 780 px screen"
    assert shown(phone) > 0  # (the filters folded still apply: the status counts them)
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert phone.is_visible("#search-input") and phone.is_visible("#category-list")
    phone.click("#cat-none")
    assert shown(phone) == 0
    toggle.press("Enter")  # (a keyboard closes it again)
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not phone.is_visible("#category-list") and shown(phone) == 0
    wide, _ = open_page(browser, _url(release["result"]))
    assert not wide.is_visible("#controls-toggle") and wide.is_visible("#search-input")
    assert wide.is_visible("#controls-heading")
    assert not rec.errors


def test_places_in_view_list_opens_popups(browser, release):
    """Places drawn on the canvas are reachable as buttons (keyboard, screen readers)."""
    page, rec = open_page(browser, _url(release["result"]))
    street = _located(release["street"])
    oct_rows = street[street["Month"] == "2022-10"]
    top = oct_rows.groupby(["Longitude", "Latitude", "Location"]).size().idxmax()
    page.evaluate(f"window.CM_APP.map.setView([{top[1]}, {top[0]}], 17, {{animate: false}})")
    page.click("#list-places")
    first = page.locator("#places-list button").first
    n = int((oct_rows[["Longitude", "Latitude", "Location"]] == list(top)).all(axis=1).sum())
    assert f": {n:,} crime" in first.inner_text()
    first.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(".leaflet-popup .cm-popup h3")
    heading = top[2] if top[2].strip() != "On or near" else "A place with no street name"
    assert page.inner_text(".leaflet-popup h3") == heading
    assert not rec.errors


def _downloads(page, result) -> list[Path]:
    """The page's download links: each present, resolving from file:// to a police.uk street
    CSV on disk that the browser downloads byte for byte."""
    from urllib.parse import urlsplit
    from urllib.request import url2pathname

    from crime_mapper.core.release.public_schema import PUBLIC_COLUMNS

    links = page.eval_on_selector_all(
        "#downloads-list a", "as => as.map(a => [a.getAttribute('href'), a.href])"
    )
    assert links, "the page must always link to the published CSVs"
    # and says so at the top, before any scrolling: the header downloads the release's month
    # (one of the files listed), or, with none in reach, points to the section
    header = page.eval_on_selector_all("header a[download]", "as => as.map(a => a.href)")
    if header:
        assert set(header) <= {absolute for _, absolute in links}, header
    else:
        assert page.is_visible("header a[href='#downloads-heading']")
    assert "at most 30 MB" in page.inner_text("#downloads-rule")
    targets = []
    for href, absolute in links:
        assert absolute.startswith("file://"), absolute
        path = Path(url2pathname(urlsplit(absolute).path))
        assert path.is_file(), href
        with path.open(encoding="utf-8-sig") as handle:
            assert handle.readline().rstrip("\r\n").split(",") == list(PUBLIC_COLUMNS)
        with page.expect_download() as got:
            page.click(f"#downloads-list a[href='{href}']")
        assert Path(got.value.path()).read_bytes() == path.read_bytes()
        targets.append(path)
    return targets


def test_downloads_force_scale_are_gated_copies(browser, release):
    """A force's months fit: copies inside the map folder, which the leak gate checked."""
    result = release["result"]
    page, rec = open_page(browser, _url(result))
    targets = _downloads(page, result)
    folder = result.out_dir.resolve()
    assert all(folder / "downloads" in t.resolve().parents for t in targets)
    assert [t.name for t in targets] == [
        "2022-07-street.csv",
        "2022-09-street.csv",
        "2022-10-street.csv",
    ]
    copies = sum(len(pd.read_csv(t, dtype=str, keep_default_na=False)) for t in targets)
    assert copies == len(release["street"])  # every published row, one file per month
    assert "passed" in result.gate
    assert not rec.errors


def test_downloads_beside_a_release_link_to_its_gated_csv(browser, tmp_path):
    """A map made beside a release without copies (the national case: 115 MB of CSV) links
    to the release's own public CSV; the manifest that the release's gate wrote vouches for
    it (same SHA-256), and the link works from disk."""
    from crime_mapper.core.publish.webmap_downloads import manifest_vouches
    from tests.support.webmap_release import make_force_release

    made = make_force_release(tmp_path)
    csv = made["out"].public_csv
    result = run_webmap(
        [csv],
        made["folder"] / "map",
        raw=[str(REPO / "sample_data" / "force" / "2022-10-leicestershire-force-extract.csv")],
        points=made["points"],
        profile_path=REPO / "sample_data" / "force" / "leicestershire-force-extract.profile.json",
        tiles="none",
        copy_csv=False,
    )
    assert re.search(r"all \d+ checks passed", result.gate)
    page, rec = open_page(browser, _url(result))
    targets = _downloads(page, result)
    assert [t.resolve() for t in targets] == [csv.resolve()]
    assert manifest_vouches(csv) is not None
    assert not (result.out_dir / "downloads").exists()
    assert "beside this map" in page.inner_text("#downloads-rule")
    assert all(u.startswith("file://") for u in rec.requests), rec.requests
    assert not rec.errors


def test_rates_on_lsoa_outlines_from_an_lsoa_population_file(browser, tmp_path):
    """LSOA polygons with an LSOA population file and no lookup: each outline takes its own
    LSOA's residents, so the rate shading and the popups' rates work."""
    pop_csv = (
        REPO
        / "sample_data"
        / "population"
        / "lsoa11_mid2018_population_leicestershire_force_area.csv"
    )
    population = pd.read_csv(pop_csv, dtype=str).set_index("LSOA11NM")["mid2018_population"]
    result = run_webmap(
        [SAMPLE / "2022-10"],
        tmp_path / "out" / "map",
        neighbourhoods=NeighbourhoodSource(
            boundaries=REPO
            / "sample_data"
            / "boundaries"
            / "LSOA_Dec_2011_BSC_leicester_city.geojson",
            code_field="LSOA11CD",
            name_field="LSOA11NM",
            lsoa_population=pop_csv,
        ),
        tiles="none",
    )
    page, rec = open_page(browser, _url(result))
    page.check("input[name='areas-mode'][value='rate']")
    assert "per 1,000 residents" in page.inner_text("#legend")
    page.fill("#search-input", "Leicester 003A")
    page.click("#search-results button")
    page.wait_for_selector(".leaflet-popup .cm-popup")
    text = page.inner_text(".leaflet-popup .cm-popup")
    street = pd.read_csv(
        SAMPLE / "2022-10" / "2022-10-leicestershire-street.csv", dtype=str, keep_default_na=False
    )
    crimes = int((street["LSOA name"] == "Leicester 003A").sum())
    rate = crimes / int(population["Leicester 003A"]) * 1000
    assert f"{rate:.1f} per 1,000 residents" in text, text
    assert not rec.errors


def test_tiles_blocked_the_map_still_works_on_the_outlines(browser, tmp_path):
    """The tile host unreachable (a firewall, no network): the page still becomes ready,
    draws the points and the neighbourhood outlines, and filters; no script error."""
    result = run_webmap(
        [SAMPLE / "2022-10"],
        tmp_path / "out" / "map",
        neighbourhoods=NeighbourhoodSource(
            boundaries=REPO
            / "sample_data"
            / "boundaries"
            / "LSOA_Dec_2011_BSC_leicester_city.geojson",
            code_field="LSOA11CD",
            name_field="LSOA11NM",
        ),
    )
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    blocked: list[str] = []
    page.route(f"https://{TILE_HOST}/**", lambda r: (blocked.append(r.request.url), r.abort()))
    page.goto(_url(result))
    page.wait_for_selector("html[data-cm-ready]", state="attached", timeout=30000)
    page.evaluate("() => { window.CM_APP.map.setZoom(13); }")
    page.wait_for_timeout(300)
    assert blocked, "the page did not even try the tile host"
    drawn = page.evaluate(
        "() => { const c = document.querySelector('.leaflet-areas-pane canvas');"
        " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }"
    )
    assert drawn > 10_000, "the neighbourhood outlines were not drawn"
    assert shown(page) > 0
    page.click("#cat-none")
    assert shown(page) == 0
    assert errors == []
    context.close()


def test_trend_names_the_months_of_a_long_map_where_there_is_room(browser, tmp_path):
    """Over more months than fit a name each, every few months are named, counted back from
    the latest (always named), and the first month named in each year carries its year."""
    months = [f"{y}-{m:02d}" for y in (2021, 2022) for m in range(1, 13)][:22]  # to 2022-10
    base = pd.read_csv(
        SAMPLE / "2022-10" / "2022-10-leicestershire-street.csv", dtype=str, keep_default_na=False
    ).head(40)
    paths = [tmp_path / f"{month}-leicestershire-street.csv" for month in months]
    for month, path in zip(months, paths):
        base.assign(Month=month).to_csv(path, index=False)
    result = export_webmap(WebmapOptions(inputs=paths, out_dir=tmp_path / "map", title="Long"))
    page, rec = open_page(browser, _url(result))
    names = page.eval_on_selector_all("#trend .trend-month", "ts => ts.map(t => t.textContent)")
    years = page.eval_on_selector_all("#trend .trend-year", "ts => ts.map(t => t.textContent)")
    # 22 slots of 300/22 chart units; a name needs 24: every second month, from October 2022
    named = months[len(months) - 1 :: -2][::-1]
    assert named[0] == "2021-02" and named[-1] == "2022-10"
    short = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    assert names == [short[int(m[5:]) - 1] for m in named]
    assert years == ["2021", "2022"]  # under February 2021 and February 2022
    assert not rec.errors, rec.errors


def _areas_with_population(tmp_path: Path) -> Path:
    geo = json.loads(
        (
            REPO / "sample_data" / "boundaries" / "LSOA_Dec_2011_BSC_leicester_city.geojson"
        ).read_text(encoding="utf-8")
    )
    for i, f in enumerate(geo["features"]):
        f["properties"]["pop"] = 1000 + i
    path = tmp_path / "areas.geojson"
    path.write_text(json.dumps(geo), encoding="utf-8")
    return path


# Per shading option: the radio button's box, the box of the first line of its words, and the
# label's height (the target a finger or pointer has to hit).
_SHADING_OPTIONS = """() => [...document.querySelectorAll('#areas-mode-group label')]
  .filter(l => !l.hidden)
  .map(l => {
    const input = l.querySelector('input').getBoundingClientRect();
    const text = [...l.childNodes].find(n => n.nodeType === 3 && n.textContent.trim());
    const range = document.createRange();
    range.selectNodeContents(text);
    const first = range.getClientRects()[0];
    return {words: text.textContent.trim(), input: [input.top, input.bottom],
            line: [first.top, first.bottom], height: l.getBoundingClientRect().height};
  })"""


def test_each_shading_option_keeps_its_button_beside_its_words(browser, tmp_path):
    """The three shading options wrapped as one run of text in the side panel: "Crimes per
    1,000 residents" began a new line while its radio button stayed at the end of the line
    above, beside "Number of crimes", so the button read as the wrong option's."""
    result = run_webmap(
        [SAMPLE / "2022-10"],
        tmp_path / "map",
        neighbourhoods=NeighbourhoodSource(
            boundaries=_areas_with_population(tmp_path),
            code_field="LSOA11CD",
            name_field="LSOA11NM",
            population_field="pop",
        ),
    )
    for width in (1280, 360):
        page, rec = open_page(browser, _url(result), width=width)
        if width < 700:  # (a phone's choices are folded: unfold them)
            page.click("#controls-toggle")
        options = page.evaluate(_SHADING_OPTIONS)
        assert [o["words"] for o in options] == [
            "No shading",
            "Number of crimes",
            "Crimes per 1,000 residents",
        ]
        for option in options:
            middle = (option["input"][0] + option["input"][1]) / 2
            assert option["line"][0] <= middle <= option["line"][1], (width, option)
        for option in options:  # WCAG 2.2's target size
            assert option["height"] >= 24, (width, option)
        assert not rec.errors


def test_without_population_the_rate_option_is_not_shown(browser, tmp_path):
    """Outlines without population: no rate to shade by, so its option is not on the page
    (the options' own display rule must not undo the hidden attribute)."""
    result = run_webmap(
        [SAMPLE / "2022-10"],
        tmp_path / "map",
        neighbourhoods=NeighbourhoodSource(
            boundaries=REPO
            / "sample_data"
            / "boundaries"
            / "LSOA_Dec_2011_BSC_leicester_city.geojson",
            code_field="LSOA11CD",
            name_field="LSOA11NM",
        ),
    )
    page, rec = open_page(browser, _url(result))
    assert page.is_visible("#areas-mode-group")
    assert page.is_visible("input[name='areas-mode'][value='count']")
    assert not page.is_visible("#rate-option")
    assert not rec.errors


_POPUP_INSIDE_MAP = """() => {
    const rect = (sel) => {
        const r = document.querySelector(sel).getBoundingClientRect();
        return [r.top, r.left, r.bottom, r.right];
    };
    return {map: rect('#map'), popup: rect('.leaflet-popup-content-wrapper'),
            zoom: rect('.leaflet-control-zoom'),
            attribution: rect('.leaflet-control-attribution')};
}"""


@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize("query", ["Friars Causeway", "Leicester 003A"])
def test_a_search_result_opens_its_popup_whole_inside_the_map(browser, tmp_path, query, width):
    """A street picked from the search zoomed the map with an animation and opened its popup
    at once: the popup's pan into view ran against the map before the zoom, so the popup
    opened with its heading ("On or near ...") cut off above the map's top edge. On a phone
    the 320 px popup ran off both sides of a 330 px map, under the zoom buttons and past the
    map's foot; and the choice left the reader among the unfolded choices, the map below."""
    result = run_webmap(
        [SAMPLE / "2022-10"],
        tmp_path / "map",
        neighbourhoods=NeighbourhoodSource(
            boundaries=_areas_with_population(tmp_path),
            code_field="LSOA11CD",
            name_field="LSOA11NM",
            population_field="pop",
        ),
    )
    page, rec = open_page(browser, _url(result), width=width, height=780)
    phone = width < 700
    if phone:
        page.click("#controls-toggle")
    page.fill("#search-input", query)
    page.click("#search-results button")
    page.wait_for_selector(".leaflet-popup .cm-popup h3")
    page.wait_for_timeout(1000)  # (any pan or zoom animation: Leaflet's take 250 ms)
    boxes = page.evaluate(_POPUP_INSIDE_MAP)
    top, left, bottom, right = boxes["map"]
    ptop, pleft, pbottom, pright = boxes["popup"]
    assert top <= ptop and left <= pleft and pbottom <= bottom and pright <= right, boxes
    ztop, zleft, zbottom, zright = boxes["zoom"]
    assert pleft >= zright or ptop >= zbottom, boxes  # (clear of the zoom buttons)
    assert pbottom <= boxes["attribution"][0], boxes  # (and of the attribution)
    assert query in page.inner_text(".leaflet-popup .cm-popup h3")
    if phone:
        assert page.get_attribute("#controls-toggle", "aria-expanded") == "false"
        assert not page.is_visible("#search-input")
        assert top >= 0 and bottom <= 780, boxes  # (the whole map on the screen)
        # a popup that scrolls within itself is a region the keyboard can scroll
        scrolls, focusable = page.evaluate(
            "(c => [c.classList.contains('leaflet-popup-scrolled'), c.tabIndex === 0 &&"
            " c.getAttribute('role') === 'region'])"
            "(document.querySelector('.leaflet-popup-content'))"
        )
        assert scrolls == focusable
        page.keyboard.press("Escape")  # (focus back on the map: the result is folded away)
        assert page.evaluate("document.activeElement.id") == "map"
    assert not rec.errors
