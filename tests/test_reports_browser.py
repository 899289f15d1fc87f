"""The analysts' own HTML reports in a real browser (Debian's chromium through Playwright): the
release audit (audit.html), the release QA report (qa_report.html) and the "when" views page
(when.html), each made from the bundled sample data by the command line, as an analyst makes
them. Police forces are public sector bodies, so their internal tools fall under the Public
Sector Bodies Accessibility Regulations (WCAG 2.2 AA) as the public pages do: axe-core finds
no violation at desktop and phone widths, the page says its language, it logs no error and
asks for nothing over the network, every link and focusable region is reached by keyboard with
a visible focus, and at 360 px only a wide table's own labelled region scrolls, not the page.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import pytest

from crime_mapper.cli import main
from tests.support import qa_faults as faults
from tests.support.webmap_browser import AXE, axe_violations

RAW = str(faults.BUNDLED_RAW)
PROFILE = str(faults.BUNDLED_PROFILE)
HISTORY = str(faults.BUNDLED_HISTORY)
POLICE = faults.SAMPLES / "police-uk"
REPORTS = ("audit", "qa_report", "when_category", "when_all")


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    """Each report as the command line writes it from the sample month."""
    base = tmp_path_factory.mktemp("reports_browser")
    points = base / "points.csv"
    assert main(["map-points", "history", str(POLICE / "2022-09"),
                 str(POLICE / "2022-10.zip"), "--out", str(points)]) == 0  # fmt: skip
    assert main(["qa", RAW, "--profile", PROFILE, "--history", HISTORY, "--points", str(points),
                 "--out", str(base / "qa")]) == 0  # fmt: skip
    salt = base / "salt"
    salt.write_bytes(secrets.token_bytes(32))
    release = base / "release"
    assert main(["anonymise", RAW, "--profile", PROFILE, "--points", str(points),
                 "--salt-file", str(salt), "--out", str(release),
                 "--qa-report", str(base / "qa" / "qa_report.json")]) == 0  # fmt: skip
    history = [str(POLICE / "2022-09"), str(POLICE / "2022-10")]
    pages = {"audit": release / "audit.html", "qa_report": base / "qa" / "qa_report.html"}
    for by in ("category", "all"):
        out = base / f"when-{by}.html"
        assert main(["when", RAW, "--profile", PROFILE, "--history", *history,
                     "--by", by, "--out", str(out)]) == 0  # fmt: skip
        pages[f"when_{by}"] = out
    return pages


def _open(browser: Any, path: Path, width: int = 1280) -> tuple[Any, dict[str, list[str]]]:
    """The page opened from disk, with what it logged and every request it made."""
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    seen: dict[str, list[str]] = {"errors": [], "console": [], "requests": []}
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on(
        "console",
        lambda m: seen["console"].append(m.text) if m.type in ("error", "warning") else None,
    )
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    return page, seen


@pytest.mark.parametrize("name", REPORTS)
def test_axe_finds_no_violations(browser, reports, name):
    assert AXE.is_file(), "node_modules/axe-core is missing: run `make setup` (npm ci)"
    for width in (1280, 360):
        page, seen = _open(browser, reports[name], width)
        violations = axe_violations(page)
        assert violations == [], f"{name} at {width}px: " + json.dumps(violations, indent=1)
        page.context.close()


@pytest.mark.parametrize("name", REPORTS)
def test_language_set_no_errors_no_network(browser, reports, name):
    page, seen = _open(browser, reports[name])
    assert page.evaluate("document.documentElement.lang") == "en"
    assert seen["errors"] == [] and seen["console"] == [], seen
    assert seen["requests"] and all(u.startswith("file://") for u in seen["requests"]), seen
    assert seen["requests"] == [reports[name].resolve().as_uri()], seen["requests"]
    page.context.close()


_KEY = (
    "(e => e.id || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby') || "
    "e.getAttribute('href') || e.textContent.trim())"
)


@pytest.mark.parametrize("name", REPORTS)
def test_keyboard_reaches_every_control(browser, reports, name):
    page, _ = _open(browser, reports[name])
    wanted = page.eval_on_selector_all(
        "a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex='-1']), "
        "th[aria-sort], th button",
        f"els => els.filter(e => e.offsetParent !== null).map({_KEY})",
    )
    assert name != "qa_report" or wanted, "the QA report has scrollable tables to reach"
    reached: list[str] = []
    for _ in range(len(wanted) + 5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement === document.body"):
            continue  # past the last control, focus leaves the page for the browser
        key = page.evaluate(f"{_KEY}(document.activeElement)")
        reached.append(key)
        # a visible focus indicator on every stop
        style = page.evaluate(
            "(s => [s.outlineStyle, s.outlineWidth])(getComputedStyle(document.activeElement))"
        )
        assert style[0] != "none" and style[1] != "0px", (name, key, style)
    missing = set(wanted) - set(reached)
    assert not missing, missing


@pytest.mark.parametrize("name", REPORTS)
def test_phone_width_only_wide_tables_scroll(browser, reports, name):
    """At 360 px the page itself does not scroll sideways; a table wider than the screen
    scrolls inside a focusable region with a name (WCAG 1.4.10 Reflow allows two-dimensional
    tables to scroll; the region is how a keyboard user scrolls it)."""
    page, _ = _open(browser, reports[name], 360)
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{name}: the page scrolls sideways at 360 px: {widths}"
    unwrapped = page.eval_on_selector_all(
        "table, svg",
        """els => els.filter(t => {
            const box = t.getBoundingClientRect();
            if (box.right <= document.documentElement.clientWidth + 0.5) return false;
            const wrap = t.closest('.table-wrap');
            return !(wrap && wrap.getAttribute('role') === 'region'
                     && (wrap.getAttribute('aria-label') || wrap.getAttribute('aria-labelledby'))
                     && wrap.tabIndex === 0
                     && wrap.getBoundingClientRect().right
                        <= document.documentElement.clientWidth + 0.5);
        }).map(t => (t.querySelector('caption, title') || t).textContent.trim().slice(0, 80))""",
    )
    assert unwrapped == [], f"{name}: wide at 360 px outside a labelled scroll region"
    page.context.close()


_CONTRAST = """els => els.map(e => {
    const s = getComputedStyle(e);
    const lum = c => {
        const [r, g, b] = c.match(/\\d+/g).slice(0, 3).map(v => {
            const x = Number(v) / 255;
            return x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const [a, b] = [lum(s.color), lum(s.backgroundColor)].sort((x, y) => y - x);
    return [e.textContent.trim(), (a + 0.05) / (b + 0.05)];
})"""


@pytest.mark.parametrize("name", ("when_category", "when_all"))
def test_heat_cells_text_contrast(browser, reports, name):
    """axe leaves the heat table's coloured cells as "incomplete" (short numbers, cells
    scrolled out of view), so their text contrast is measured here: at least 4.5:1 on every
    cell's own background colour (WCAG 1.4.3)."""
    page, _ = _open(browser, reports[name])
    cells = page.eval_on_selector_all("table.heat td[style]", _CONTRAST)
    assert len(cells) >= 7 * 24
    low = [(text, round(ratio, 2)) for text, ratio in cells if ratio < 4.5]
    assert low == [], low[:10]
    page.context.close()


# Per check name in a row heading: its text pieces (split at the <wbr> after each "_") and how
# many lines each piece was drawn on.
_NAME_PIECES = """() => [...document.querySelectorAll('th code')].map(code =>
    [...code.childNodes].filter(n => n.nodeType === 3).map(n => {
        const range = document.createRange();
        range.selectNodeContents(n);
        return [n.textContent, range.getClientRects().length];
    }))"""


@pytest.mark.parametrize("name", ("audit", "qa_report"))
@pytest.mark.parametrize("width", (1280, 360))
def test_check_names_break_only_after_an_underscore(browser, reports, name, width):
    """The QA page's narrow "Check" column broke names anywhere ("category_co" over "unt"):
    the page's code style breaks long hashes anywhere. Names now break only after an
    underscore."""
    page, _ = _open(browser, reports[name], width)
    names = page.evaluate(_NAME_PIECES)
    assert names, f"{name}: no check names in row headings"
    for pieces in names:
        whole = "".join(text for text, _ in pieces)
        assert "_" in whole or len(pieces) == 1, whole
        assert all(lines == 1 for _, lines in pieces), (whole, pieces)
    page.context.close()
