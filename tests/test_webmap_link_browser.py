"""The web map's link (its #hash: month, period, crime types, view) as hostile input.

The public follow links others send them, so every part of the hash may be wrong, strange or
made to harm: an unknown month, a crime type named ``__proto__`` or ``<img onerror>``,
invalid percent-encoding, NaN or 1000 for a latitude, a 2 MB hash. The page must not throw,
must run nothing, must fall back to its own choice for what it cannot use and say so in a
polite note, and must write its own (canonical) hash back. The same while the page is open
(a link followed, back and forward) and in the search box.

Real browser (Debian's chromium through Playwright), a real export of two committed
Leicestershire months; expected counts come from the CSVs with pandas.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pandas as pd
import pytest

from crime_mapper.core.publish.summaries_run import NeighbourhoodSource
from crime_mapper.core.publish.webmap_export import WebmapOptions, export_webmap
from crime_mapper.core.publish.webmap_run import run_webmap
from tests.support.webmap_browser import axe_violations, open_page, shown

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "police-uk"
STREET = [
    SAMPLE / "2022-09" / "2022-09-leicestershire-street.csv",
    SAMPLE / "2022-10" / "2022-10-leicestershire-street.csv",
]
OUTLINES = REPO / "sample_data" / "boundaries" / "LSOA_Dec_2011_BSC_leicester_city.geojson"
XSS = "<img src=x onerror=alert(1)>"
NOTE = "Part of this link could not be used and was left out: "


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("webmap_link")
    result = export_webmap(
        WebmapOptions(inputs=list(STREET), out_dir=tmp / "map", title="Link test map")
    )
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in STREET]
    street = pd.concat(frames, ignore_index=True)
    located = street[(street["Longitude"] != "") & (street["Latitude"] != "")]
    return {"url": result.index.resolve().as_uri(), "located": located}


def _count(located: pd.DataFrame, month: str, types: set[str] | None = None) -> int:
    rows = located[located["Month"] == month]
    if types is not None:
        rows = rows[rows["Crime type"].isin(types)]
    return len(rows)


def _quiet(rec: Any) -> None:
    """Nothing thrown, nothing logged as an error, nothing run (no dialog, no request for the
    planted image's ``x``)."""
    assert not rec.errors, rec.errors
    assert not [c for c in rec.console if c.startswith("error")], rec.console
    assert not rec.dialogs, rec.dialogs
    assert not [u for u in rec.requests if u.split("?")[0].endswith("/x")], rec.requests


def _state(page: Any) -> dict[str, Any]:
    return page.evaluate(
        """() => ({hash: location.hash, note: document.getElementById("link-note").textContent,
                   checked: [...document.querySelectorAll("#category-list input")]
                     .filter(b => b.checked).map(b => b.value),
                   end: document.getElementById("period-end").selectedOptions[0].textContent,
                   len: document.getElementById("period-length").value,
                   zoom: window.CM_APP.map.getZoom(),
                   center: window.CM_APP.map.getCenter()})"""
    )


@pytest.fixture(scope="module")
def plain(browser, site) -> dict[str, Any]:
    """The page as it opens from a link without a hash: what a link left out falls back to."""
    page, rec = open_page(browser, site["url"])
    state = _state(page)
    state["shown"] = shown(page)
    _quiet(rec)
    page.context.close()
    assert state["note"] == ""
    assert state["shown"] == _count(site["located"], "2022-10")
    return state


ALL_OCT = "m=2022-10&n=1&c=all"
HOSTILE = [
    # (hash, the parts the note names)
    ("#m=2022-1", "the month"),
    ("#m=2022-13", "the month"),
    ("#m=9999-99", "the month"),
    ("#m=", "the month"),
    ("#m=2022-09&m=2022-10", "the month"),
    ("#m=%E0%A4%A", "the month"),
    ("#m=2022-09%23c=drugs", "the month"),  # (an encoded "#" is the value's: no such month)
    ("#c=nothing,at,all", "the crime types"),
    ("#c=__proto__", "the crime types"),
    ("#c=constructor", "the crime types"),
    ("#c=" + XSS.replace(" ", "%20"), "the crime types"),
    ("#c=" + ",".join(f"t{i}" for i in range(100_000)), "the crime types"),
    ("#c=%E0%A4%A", "the crime types"),
    ("#n=0", "the period"),
    ("#n=12", "the period"),  # (two months: the 12 months choice is not offered)
    ("#n=3abc", "the period"),
    ("#z=NaN&ll=NaN,NaN", "the map view"),
    ("#z=Infinity&ll=Infinity,-Infinity", "the map view"),
    ("#z=1e309&ll=1e309,-0", "the map view"),
    ("#z=12&ll=1000,-1.1", "the map view"),
    ("#z=12&ll=52.6,-1000", "the map view"),
    ("#z=99&ll=52.6,-1.1", "the map view"),
    ("#z=-0&ll=52.6,-1.1", "the map view"),
    ("#z=12&ll=,", "the map view"),
    ("#z=12&ll=52.6", "the map view"),
    ("#z=12", "the map view"),
    ("#__proto__=1&constructor=2", "settings this map does not have"),
    ("#" + XSS.replace(" ", "%20") + "=1", "settings this map does not have"),
    ("#%E0%A4%A=1", "settings this map does not have"),
    ("#m", "the month"),
    ("#m=" + "9" * 2_000_000, "the month"),
]


@pytest.mark.parametrize(
    ("hash_", "left_out"), HOSTILE, ids=[f"{i:02d}-{h[:24]}" for i, (h, _) in enumerate(HOSTILE)]
)
def test_a_hostile_link_opens_the_usual_map_and_says_what_it_left_out(
    browser, site, plain, hash_, left_out
):
    page, rec = open_page(browser, site["url"] + hash_)
    state = _state(page)
    _quiet(rec)
    # the usual map: the latest month, every crime type, the whole area
    assert shown(page) == plain["shown"]
    assert state["checked"] == plain["checked"]
    assert (state["zoom"], state["center"]) == (plain["zoom"], plain["center"])
    # the hash written back is the page's own, not the link's
    assert state["hash"] == plain["hash"]
    assert state["note"].startswith(NOTE), state["note"]
    assert left_out in state["note"]
    # the map still answers
    page.click("#cat-none")
    assert shown(page) == 0
    page.check("input[value='burglary']")
    assert shown(page) == _count(site["located"], "2022-10", {"Burglary"})
    _quiet(rec)
    page.context.close()


def test_a_link_partly_understood_keeps_the_parts_it_understood(browser, site):
    hash_ = (
        "#m=2022-09&n=abc&c=burglary,__proto__," + XSS.replace(" ", "%20") + "&z=13&ll=52.63,-1.13"
    )
    page, rec = open_page(browser, site["url"] + hash_)
    state = _state(page)
    _quiet(rec)
    assert shown(page) == _count(site["located"], "2022-09", {"Burglary"})
    assert state["checked"] == ["burglary"]
    assert state["end"] == "September 2022"
    assert state["zoom"] == 13
    assert state["hash"] == "#m=2022-09&n=1&c=burglary&z=13&ll=52.630,-1.130"
    assert (
        state["note"]
        == NOTE + "the period and some of the crime types. The map shows its own choice instead."
    )
    page.context.close()


def test_no_crime_type_chosen_stays_so_when_the_link_is_opened_again(browser, site):
    """The page writes ``c=`` for no crime type chosen: opened again, that link chose them all."""
    page, rec = open_page(browser, site["url"])
    page.click("#cat-none")
    assert shown(page) == 0
    assert "&c=&" in page.evaluate("location.hash")
    page.reload()
    page.wait_for_selector("html[data-cm-ready]", state="attached")
    assert shown(page) == 0
    assert _state(page)["checked"] == []
    assert _state(page)["note"] == ""
    _quiet(rec)
    page.context.close()


def test_a_link_with_a_query_opens_as_without_one(browser, site, plain):
    query = "?from=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&m=2022-10"
    page, rec = open_page(browser, site["url"] + query + "#m=2022-09&c=drugs")
    _quiet(rec)
    assert shown(page) == _count(site["located"], "2022-09", {"Drugs"})
    assert page.evaluate("location.search") == query
    assert page.evaluate("location.hash").startswith("#m=2022-09&n=1&c=drugs&z=")
    assert _state(page)["note"] == ""
    page.context.close()


def _follow(page: Any, hash_: str) -> None:
    """A link to ``hash_`` followed on the open page (a same-page navigation: hashchange)."""
    page.evaluate(
        """h => new Promise(resolve => {
          window.addEventListener("hashchange", () => setTimeout(resolve, 0), {once: true});
          location.hash = h;
        })""",
        hash_,
    )


def _wait_for_hash(page: Any, start: str) -> None:
    """Wait until the page's hash starts with ``start`` (back or forward has been applied)."""
    # (a promise the page resolves, not wait_for_function: the map's CSP refuses its eval)
    page.evaluate(
        """start => new Promise(resolve => {
          const check = () => location.hash.startsWith(start) ? resolve(true)
            : requestAnimationFrame(check);
          check();
        })""",
        start,
    )


def test_links_followed_on_the_open_page_and_back_and_forward(browser, site):
    located = site["located"]
    page, rec = open_page(browser, site["url"])
    _follow(page, "#m=2022-09&c=drugs")
    assert shown(page) == _count(located, "2022-09", {"Drugs"})
    drugs_hash = page.evaluate("location.hash")
    assert drugs_hash.startswith("#m=2022-09&n=1&c=drugs&z=")
    # a hostile link while open: nothing thrown, what it could not use left as it was
    _follow(page, "#m=%E0%A4%A&c=__proto__&z=NaN&ll=1000,1000")
    state = _state(page)
    assert shown(page) == _count(located, "2022-09", {"Drugs"})
    assert state["hash"] == drugs_hash
    assert state["note"] == NOTE + (
        "the month, the crime types and the map view. The map shows its own choice instead."
    )
    # the page still writes its hash after it (a throw left it silent for good)
    page.select_option("#period-end", label="October 2022")
    assert page.evaluate("location.hash").startswith("#m=2022-10&n=1&c=drugs&z=")
    _follow(page, "#m=2022-09&c=burglary")
    assert shown(page) == _count(located, "2022-09", {"Burglary"})
    assert _state(page)["note"] == ""
    page.go_back()
    _wait_for_hash(page, "#m=2022-10&n=1&c=drugs&z=")
    assert shown(page) == _count(located, "2022-10", {"Drugs"})
    page.go_forward()
    _wait_for_hash(page, "#m=2022-09&n=1&c=burglary&z=")
    assert shown(page) == _count(located, "2022-09", {"Burglary"})
    _quiet(rec)
    page.context.close()


SEARCHES = [XSS, "__proto__", "constructor", "%E0%A4%A", "#m=2022-09", "x" * 100_000, "  "]


def test_hostile_searches_neither_throw_nor_run_and_leave_the_counts(browser, site, plain):
    page, rec = open_page(browser, site["url"])
    table = page.inner_text("#count-table tbody")
    for query in SEARCHES:
        page.fill("#search-input", query)
        expect = "" if len(query.strip()) < 2 else "No matches."
        assert page.inner_text("#search-status") == expect, query[:40]
        assert page.eval_on_selector_all("#search-results li", "l => l.length") == 0
        assert shown(page) == plain["shown"]
        assert page.inner_text("#count-table tbody") == table
        assert page.evaluate("location.hash") == plain["hash"]
    page.fill("#search-input", "leicester")
    assert page.eval_on_selector_all("#search-results li", "l => l.length") > 0
    _quiet(rec)
    page.context.close()


def test_axe_finds_no_violations_with_the_note_shown(browser, site):
    page, _ = open_page(browser, site["url"] + "#m=2022-13&c=__proto__", bypass_csp=True)
    assert page.inner_text("#link-note").startswith(NOTE)
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=1)
    page.context.close()


@pytest.fixture(scope="module")
def outlined(tmp_path_factory) -> str:
    """The October month over the committed Leicester LSOA outlines, which give no population:
    the page offers no rate shading."""
    tmp = tmp_path_factory.mktemp("webmap_link_areas")
    result = run_webmap(
        [STREET[1]],
        tmp / "map",
        neighbourhoods=NeighbourhoodSource(
            boundaries=OUTLINES, code_field="LSOA11CD", name_field="LSOA11NM"
        ),
        tiles="none",
    )
    return str(result.index.resolve().as_uri())


def _shading(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        'input[name="areas-mode"]', "rs => rs.filter(r => r.checked).map(r => r.value)"
    )


@pytest.mark.parametrize("asked", ["rate", "__proto__", "", "count,none"])
def test_a_shading_the_map_does_not_offer_is_left_out(browser, outlined, asked):
    """``a=rate`` where no area has a population checked the hidden rate button: no area
    shaded, no shading button shown checked."""
    page, rec = open_page(browser, outlined + "#a=" + asked)
    _quiet(rec)
    assert page.is_hidden("#rate-option")
    assert _shading(page) == ["count"]
    assert page.evaluate("location.hash").endswith("&a=count")
    assert page.inner_text("#link-note") == NOTE + (
        "the area shading. The map shows its own choice instead."
    )
    page.context.close()


def test_a_shading_the_map_offers_is_taken(browser, outlined):
    page, rec = open_page(browser, outlined + "#a=none")
    _quiet(rec)
    assert _shading(page) == ["none"]
    assert page.evaluate("location.hash").endswith("&a=none")
    assert page.inner_text("#link-note") == ""
    # an area's name searched with hostile words: no throw, no result, the shading kept
    for query in (XSS, "__proto__", "constructor"):
        page.fill("#search-input", query)
        assert page.inner_text("#search-status") == "No matches."
    _quiet(rec)
    page.context.close()


# --- a "#" inside the link, the page's own links read back, the note's life ----------------


@pytest.mark.parametrize(
    ("hash_", "month", "types", "note"),
    [
        # (a "#" typed or pasted between two parts separates them as "&" does)
        ("#m=2022-09#c=drugs", "2022-09", {"Drugs"}, ""),
        ("##m=2022-09#", "2022-09", None, ""),
        ("#m=2022-09&c=burglary#z=13#ll=52.63,-1.13", "2022-09", {"Burglary"}, ""),
        # (read as two parts, the rules of two parts: neither month, as "&" gives it)
        ("#m=2022-09#m=2022-10", "2022-10", None, "the month"),
        ("#c=drugs#" + XSS.replace(" ", "%20"), "2022-10", {"Drugs"}, "settings this map"),
    ],
    ids=["two-parts", "hashes-around", "four-parts", "a-month-twice", "a-part-not-known"],
)
def test_a_hash_typed_inside_the_link_separates_its_parts(browser, site, hash_, month, types, note):
    """A "#" after the first made the part it was in unreadable: ``#m=2022-09#c=drugs``
    (two links run together, or a hash typed before each part) was left out whole, with a
    note, and the map showed October's every crime. The page never writes a "#" inside a
    part (it writes %23), so one there is read as the start of the next part."""
    page, rec = open_page(browser, site["url"] + hash_)
    state = _state(page)
    _quiet(rec)
    assert shown(page) == _count(site["located"], month, types)
    if note:
        assert state["note"].startswith(NOTE) and note in state["note"], state["note"]
    else:
        assert state["note"] == ""
    assert "#" not in state["hash"][1:], state["hash"]  # (the page's own link, one "#")
    if "z=13" in hash_:
        assert state["hash"] == "#m=2022-09&n=1&c=burglary&z=13&ll=52.630,-1.130"
    # the same while the page is open (a link followed: hashchange)
    _follow(page, "#m=2022-09#c=burglary")
    assert shown(page) == _count(site["located"], "2022-09", {"Burglary"})
    assert _state(page)["note"] == ""
    _quiet(rec)
    page.context.close()


def _written_values(hash_: str) -> list[str]:
    """Every value of a link the page wrote, each list item on its own."""
    values = []
    for part in hash_[1:].split("&"):
        key, value = part.split("=", 1)
        values += value.split(",") if key in ("c", "ll") else [value]
    return values


def _reads_back(browser: Any, url: str, page: Any) -> None:
    """The link ``page`` wrote, opened in a new page, shows the same map, and no note."""
    before = _state(page)
    count = shown(page)
    # each value written percent-encoded as encodeURIComponent writes it: a "#", "&", "=",
    # "," or "%" in one would never read back as something else
    for value in _written_values(before["hash"]):
        assert quote(unquote(value), safe="-_.!~*'()") == value, before["hash"]
    again, rec = open_page(browser, url + before["hash"])
    after = _state(again)
    _quiet(rec)
    # the same hash, choices, zoom and no note; the centre as the link writes it (3 places)
    for state in (before, after):
        state["center"] = (round(state["center"]["lat"], 3), round(state["center"]["lng"], 3))
    assert after == before, (before, after)
    assert shown(again) == count
    again.context.close()


def _pan_left(page: Any) -> None:
    """The reader's "Move map left", waited for until the move has ended."""
    page.evaluate(
        "() => { window.moved = new Promise(r => window.CM_APP.map.once('moveend', r)); }"
    )
    page.click("[data-pan='left']")
    page.evaluate("() => window.moved.then(() => true)")


def test_every_link_the_page_writes_reads_back_as_the_same_map(browser, site):
    page, rec = open_page(browser, site["url"])
    _reads_back(browser, site["url"], page)  # (as it opens)
    page.select_option("#period-end", label="September 2022")
    page.click("#cat-none")
    _reads_back(browser, site["url"], page)  # (no crime type)
    page.check("input[value='burglary']")
    page.check("input[value='anti-social-behaviour']")
    _pan_left(page)
    _reads_back(browser, site["url"], page)  # (two crime types, a view of the reader's)
    _quiet(rec)
    page.context.close()


def test_every_shading_the_page_writes_reads_back(browser, outlined):
    page, rec = open_page(browser, outlined)
    for mode in ("none", "count"):
        page.check(f'input[name="areas-mode"][value="{mode}"]')
        assert page.evaluate("location.hash").endswith(f"&a={mode}")
        _reads_back(browser, outlined, page)
        again, _ = open_page(browser, outlined + page.evaluate("location.hash"))
        assert _shading(again) == [mode]
        again.context.close()
    _quiet(rec)
    page.context.close()


def _note_gone(page: Any) -> None:
    """Wait until the link's note is empty (the reader's change has been applied), at most
    5 s: a note that stays fails the test rather than hanging it."""
    gone = page.evaluate(
        """() => new Promise(resolve => {
          const until = performance.now() + 5000;
          const check = () => {
            if (document.getElementById("link-note").textContent === "") resolve(true);
            else if (performance.now() > until) resolve(false);
            else requestAnimationFrame(check);
          };
          check();
        })"""
    )
    assert gone, page.inner_text("#link-note")


def _still_a_polite_live_region(page: Any) -> None:
    assert page.get_attribute("#link-note", "role") == "status"
    assert page.evaluate("getComputedStyle(document.getElementById('link-note')).display") == (
        "none" if page.inner_text("#link-note") == "" else "block"
    )


def test_the_note_goes_once_the_reader_changes_the_map(browser, site):
    """The note said what of the opened link was left out until another link was opened:
    after the reader chose a crime type the page's link was whole again, but the note still
    said part of "this link" could not be used."""
    page, rec = open_page(browser, site["url"] + "#m=2022-13&c=__proto__", bypass_csp=True)
    assert page.inner_text("#link-note").startswith(NOTE)
    noted = page.evaluate("location.hash")
    # nothing the reader did: the note stays (no change of the map, the same link)
    page.wait_for_timeout(400)
    page.fill("#search-input", "leicester")
    assert page.inner_text("#link-note").startswith(NOTE)
    assert page.evaluate("location.hash") == noted
    _still_a_polite_live_region(page)
    # a crime type unticked: the page writes the reader's link, and the note goes
    page.uncheck("input[value='burglary']")
    _note_gone(page)
    assert page.evaluate("location.hash") != noted
    assert "burglary" not in page.evaluate("location.hash")
    _still_a_polite_live_region(page)
    _quiet(rec)
    assert axe_violations(page) == []
    page.context.close()


def test_the_note_goes_once_the_reader_moves_the_map(browser, site):
    page, rec = open_page(browser, site["url"] + "#z=NaN&ll=NaN,NaN")
    assert page.inner_text("#link-note") == NOTE + (
        "the map view. The map shows its own choice instead."
    )
    _pan_left(page)
    _note_gone(page)
    _quiet(rec)
    page.context.close()


def test_a_link_followed_keeps_its_note_until_the_reader_changes_the_map(browser, site):
    """A link followed on the open page moves the map to its view at once: its note is not
    taken for the reader's change when the move ends."""
    page, rec = open_page(browser, site["url"])
    _follow(page, "#m=%E0%A4%A&c=drugs&z=13&ll=52.63,-1.13")
    state = _state(page)
    assert state["note"] == NOTE + "the month. The map shows its own choice instead."
    assert state["zoom"] == 13
    assert state["hash"] == "#m=2022-10&n=1&c=drugs&z=13&ll=52.630,-1.130"
    page.wait_for_timeout(600)  # (a glide to the view would have ended)
    assert _state(page)["note"] == state["note"]
    page.select_option("#period-end", label="September 2022")
    _note_gone(page)
    assert page.evaluate("location.hash") == "#m=2022-09&n=1&c=drugs&z=13&ll=52.630,-1.130"
    # and a later link's note is said and goes the same way
    _follow(page, "#c=__proto__")
    assert _state(page)["note"].startswith(NOTE)
    page.click("#cat-all")
    _note_gone(page)
    _quiet(rec)
    page.context.close()
