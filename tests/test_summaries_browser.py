"""The summary pages in a real browser (Debian's chromium through Playwright): axe-core finds
no WCAG 2.2 AA violation on the index or a page (wide and phone widths), every control is
reachable by keyboard with a visible focus, the table sorts and filters, and the links to and
from the web map exported beside the summaries resolve."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.summaries_release import (
    FORCE_EXTRACT,
    FORCE_PROFILE,
    HOODS,
    POPULATION,
    TEAM,
    make_release,
)
from tests.support.webmap_browser import AXE, axe_violations, contrast_ratio

ARTEFACTS = Path(__file__).resolve().parent.parent / "build" / "test-artifacts" / "summaries"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from crime_mapper.core.publish.summaries import SummaryOptions
    from crime_mapper.core.publish.summaries_run import NeighbourhoodSource, run_summaries

    base = tmp_path_factory.mktemp("summaries_browser")
    release = make_release(base)
    out = base / "out"
    done = run_summaries(
        [FORCE_EXTRACT],
        release["points"],
        release["csv"],
        out,
        NeighbourhoodSource(
            boundaries=HOODS / "msoa11_leicestershire.geojson",
            code_field="msoa11cd",
            lookup=HOODS / "lsoa11_to_msoa11_leicestershire.csv",
            lookup_code_field="msoa11cd",
            names=HOODS / "msoa11_names_leicestershire.csv",
            names_code_field="msoa11cd",
            names_name_field="msoa11hclnm",
            lsoa_population=POPULATION,
        ),
        options=SummaryOptions(suppress_below=5),
        team_path=TEAM,
        force_name="Leicestershire Police",
        with_map=True,
        profile_path=FORCE_PROFILE,
    )
    return {"done": done, "out": out, "release": release}


def _open(browser, path: Path, width: int = 1280):
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.resolve().as_uri())
    return page, errors


def test_axe_finds_no_violations(browser, exported):
    assert AXE.is_file(), "node_modules/axe-core is missing: run `make setup` (npm ci)"
    folder = exported["done"].folder
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for name in ("index.html", "abbey-park.html", "leicester-city-centre.html"):
        for width in (1280, 360):
            page, errors = _open(browser, folder / name, width)
            violations = axe_violations(page)
            assert violations == [], f"{name} at {width}px: " + json.dumps(violations, indent=1)
            assert not errors
            if width == 1280 and name != "index.html":
                page.screenshot(path=str(ARTEFACTS / f"summary-{name}.png"), full_page=True)
            page.context.close()


def test_on_a_phone_only_the_index_table_scrolls_sideways(browser, exported):
    """The index's six columns are some 630 px wide: at 360 px the whole page scrolled
    sideways, its heading, search and notes with it. The table scrolls in a box of its own
    that the keyboard can reach and that names what it holds."""
    page, errors = _open(browser, exported["done"].folder / "index.html", 360)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    box = page.locator(".table-wrap")
    assert box.evaluate("b => b.scrollWidth > b.clientWidth")  # (the table scrolls in it)
    assert box.get_attribute("tabindex") == "0" and box.get_attribute("role") == "region"
    assert "All neighbourhoods" in page.inner_text("#" + box.get_attribute("aria-labelledby"))
    box.focus()
    page.keyboard.press("ArrowRight")  # (Chromium scrolls smoothly: wait for it to move)
    page.wait_for_function("document.querySelector('.table-wrap').scrollLeft > 0")
    assert not errors
    page.context.close()


def test_index_sorts_and_filters(browser, exported):
    page, errors = _open(browser, exported["done"].folder / "index.html")
    rows = page.locator("#hoods tbody tr")
    total = rows.count()
    assert total == 125
    page.click("button[data-key='rate']")
    assert page.get_attribute("#hoods thead th:nth-child(4)", "aria-sort") == "ascending"
    rates = page.eval_on_selector_all(
        "#hoods tbody tr", "rs => rs.map(r => r.getAttribute('data-rate'))"
    )
    known = [float(r) for r in rates if r]
    assert known == sorted(known) and rates[-1] == "" or known == sorted(known)
    page.click("button[data-key='rate']")
    assert page.get_attribute("#hoods thead th:nth-child(4)", "aria-sort") == "descending"
    page.fill("#filter", "abbey")
    visible = page.eval_on_selector_all(
        "#hoods tbody tr", "rs => rs.filter(r => !r.hidden).map(r => r.textContent)"
    )
    assert visible and all("abbey" in v.lower() for v in visible)
    assert (
        page.inner_text("#shown")
        == f"{len(visible)} neighbourhood" + ("" if len(visible) == 1 else "s") + " shown."
    )
    assert not errors


def test_keyboard_reaches_every_control(browser, exported):
    page, _ = _open(browser, exported["done"].folder / "index.html")
    wanted = {"filter"} | {f"sort-{k}" for k in ("name", "count", "change", "rate", "rank")}
    reached = set()
    for _ in range(25):
        page.keyboard.press("Tab")
        key = page.evaluate(
            "(e => e.id || (e.dataset && e.dataset.key ? 'sort-' + e.dataset.key : '') || "
            "e.textContent.trim())(document.activeElement)"
        )
        reached.add(key)
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none", key
    assert wanted <= reached, wanted - reached
    # Enter on a sort button sorts
    page.focus("button[data-key='count']")
    page.keyboard.press("Enter")
    assert page.get_attribute("#hoods thead th:nth-child(2)", "aria-sort") == "ascending"


def test_links_between_summaries_and_map(browser, exported):
    folder = exported["done"].folder
    page, _ = _open(browser, folder / "abbey-park.html")
    href = page.get_attribute("a:has-text('on the crime map')", "href")
    assert href.startswith("../map/index.html#m=2022-10&n=1&a=rate&z=")
    ll = dict(p.split("=") for p in href.split("#")[1].split("&"))["ll"]
    lat, lon = map(float, ll.split(","))
    assert 52.5 < lat < 52.8 and -1.3 < lon < -1.0
    assert page.get_attribute("a:has-text('All neighbourhoods')", "href") == "index.html"
    similar = page.eval_on_selector_all(
        "main p a[href$='.html']", "as => as.map(a => a.getAttribute('href'))"
    )
    assert similar and all((folder / h).is_file() for h in similar)
    index, _ = _open(browser, folder / "index.html")
    links = index.eval_on_selector_all(
        "#hoods tbody a", "as => as.map(a => a.getAttribute('href'))"
    )
    assert len(links) == 125 and all((folder / h).is_file() for h in links)


def test_web_map_exported_beside_links_every_summary(browser, exported):
    """The web map exported to OUT/map with the same neighbourhood set: every neighbourhood's
    popup link is ../neighbourhoods/<slug>.html and that page exists."""
    import re

    from crime_mapper.core.publish.webmap_export import WebmapOptions, export_webmap

    out = exported["out"]
    hoods = exported["done"].summaries.hoods
    result = export_webmap(
        WebmapOptions(
            inputs=[exported["release"]["csv"]], out_dir=out / "map", neighbourhoods=hoods
        )
    )
    text = "".join(
        p.read_text(encoding="utf-8") for p in result.out_dir.rglob("*") if p.suffix == ".js"
    ) + result.index.read_text(encoding="utf-8")
    links = set(re.findall(r'"summary":"(\.\./neighbourhoods/[^"]+\.html)"', text))
    assert len(links) == len(hoods)
    for link in links:
        assert (result.out_dir / link).resolve().is_file(), link
    # and back: the summary's map link opens the map at the neighbourhood
    page, _ = _open(browser, exported["done"].folder / "abbey-park.html")
    page.click("a:has-text('on the crime map')")
    page.wait_for_selector("html[data-cm-ready]", state="attached", timeout=30000)
    assert page.url.split("#")[0].endswith("/map/index.html")
    assert "m=2022-10" in page.url


# Per text of a page's charts: its drawn height in CSS pixels (font size times the SVG's
# scale), whether it lies inside its chart, and whether it overlaps the text drawn before it.
_CHART_TEXTS = """() => [...document.querySelectorAll('svg.chart')].flatMap(svg => {
    const frame = svg.getBoundingClientRect();
    const scale = svg.getScreenCTM().a;
    const boxes = [];
    return [...svg.querySelectorAll('text')].map(t => {
        const box = t.getBoundingClientRect();
        const size = parseFloat(getComputedStyle(t).fontSize) * scale;
        const inside = box.left >= frame.left - 0.5 && box.right <= frame.right + 0.5
            && box.top >= frame.top - 0.5 && box.bottom <= frame.bottom + 0.5;
        const overlaps = boxes.some(b => box.left < b.right - 0.5 && b.left < box.right - 0.5
            && box.top < b.bottom - 0.5 && b.top < box.bottom - 0.5);
        boxes.push(box);
        return [t.textContent, Math.round(size * 10) / 10, inside, overlaps];
    });
})"""


@pytest.mark.parametrize("width", (1280, 360))
def test_chart_text_is_readable_at_every_width(browser, exported, width):
    """The charts scaled their text with them: on a 360 px phone the 640-unit charts drew
    their labels about 5 px high ("Not applicable (anti-social behaviour)" beside its bar
    took 250 of the 640 units). Every chart text is now at least 9 px high on a phone, inside
    its chart, and clear of the others."""
    folder = exported["done"].folder
    page, errors = _open(browser, folder / "abbey-park.html", width)
    texts = page.evaluate(_CHART_TEXTS)
    assert len(texts) > 20
    for text, size, inside, overlaps in texts:
        assert size >= 9, (width, text, size)
        assert inside and not overlaps, (width, text, inside, overlaps)
    assert not errors
    page.context.close()


# Per drawn part of a page's charts: its kind and the colour it is seen in (a text's and a
# dot's fill, a line's and a bar's outline)
_CHART_COLOURS = """() => [...document.querySelectorAll('svg.chart')].flatMap(svg =>
    [...svg.querySelectorAll('text, polyline, circle, rect')].map(e => {
        const cs = getComputedStyle(e);
        const hollow = e.hasAttribute('stroke-dasharray');
        const seen = (e.tagName === 'polyline' || e.tagName === 'rect' || hollow)
            ? cs.stroke : cs.fill;
        return [e.tagName + (hollow ? ' (missing month)' : ''), seen];
    }))"""


@pytest.mark.parametrize("scheme", ("dark", "light"))
def test_charts_stay_readable_under_forced_colours(browser, exported, scheme):
    """A forced-colours system theme (Windows High Contrast, a dark theme) paints the page's
    background with the system's Canvas colour but leaves an SVG's own colours: on a dark
    Canvas the charts' month names, counts and labels (#1a1a1a) and the trend line all but
    vanished (about 1.2:1). Text now reads at 4.5:1 and every line, dot and bar outline at
    3:1 (WCAG 1.4.11) whatever the theme."""
    folder = exported["done"].folder
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, forced_colors="active", color_scheme=scheme
    )
    page = context.new_page()
    page.goto((folder / "abbey-park.html").resolve().as_uri())
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    parts = page.evaluate(_CHART_COLOURS)
    assert {kind for kind, _ in parts} >= {"text", "polyline", "circle", "rect"}, parts
    for kind, colour in parts:
        least = 4.5 if kind == "text" else 3
        assert contrast_ratio(colour, background) >= least, (scheme, kind, colour, background)
    context.close()


_MONTH_WORDS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
)


def test_months_are_read_as_words(browser, exported):
    """The trend's table and the chart's text alternative said "Nov 2021", "Sep 2022": a
    screen reader says "nov" and "sep" as written. They now say "November 2021"; only the
    chart's axis, short of room, names a month by three letters."""
    import re

    page, errors = _open(browser, exported["done"].folder / "abbey-park.html")
    rows = page.eval_on_selector_all(
        "table:has(caption:text-is('Crimes per month, last 12 months')) tbody th",
        "ts => ts.map(t => t.textContent)",
    )
    assert len(rows) == 12
    assert all(re.fullmatch(rf"({_MONTH_WORDS}) \d{{4}}", row) for row in rows), rows
    desc = page.text_content("svg.chart.trend desc")
    parts = desc.split("; ")
    assert len(parts) == 12
    assert all(re.fullmatch(rf"({_MONTH_WORDS}) \d{{4}}: (missing|[\d,]+)", p) for p in parts), desc
    axis = page.eval_on_selector_all(
        "svg.chart.trend text.tick", "ts => ts.map(t => t.firstChild.textContent)"
    )
    months = [a for a in axis if a.isalpha()]
    assert len(months) == 12 and all(len(m) == 3 for m in months), axis
    assert not errors
    page.context.close()
