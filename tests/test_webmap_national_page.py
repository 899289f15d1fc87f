"""The national month's web map in a real browser (Debian's chromium through Playwright).

Issue 12 asks for the page at national scale (500,000 crimes over some 300,000 places across
England and Wales) and for a screenshot of it among the tests' artefacts. The bench times
this page (w2); here it is checked for what it shows: the counts of the whole month, of one
category and of the rows without a location, computed here from the CSV with pandas,
independently of core.publish.webmap_data. The month is the bench's generator's (real
police.uk rows resampled over 50 centres, a fixed seed), written beside the map as a release
folder holds it, so the page links to it rather than copying 115 MB.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bench.generate_national_month import DEFAULT_MONTH, generate, write
from crime_mapper.core.publish.webmap_export import WebmapOptions, export_webmap
from tests.support.webmap_browser import open_page, shown

ARTEFACTS = Path(__file__).resolve().parent / "artefacts"
ROWS = 500_000


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    folder = tmp_path_factory.mktemp("national")
    csv = write(generate(rows=ROWS), folder / f"{DEFAULT_MONTH}-national-street.csv")
    result = export_webmap(
        WebmapOptions(inputs=[csv], out_dir=folder / "map", tiles="none", copy_csv=False)
    )
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    return {"result": result, "frame": frame}


def test_the_national_month_page_shows_the_release(browser, national):
    frame = national["frame"]
    located = frame[(frame["Longitude"] != "") & (frame["Latitude"] != "")]
    assert len(frame) == ROWS and len(located) > 0.99 * ROWS  # (the generator's month)
    page, rec = open_page(browser, national["result"].index.resolve().as_uri())
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "webmap-national.png"))
    assert shown(page) == len(located)
    no_location = len(frame) - len(located)
    assert int(page.get_attribute("#status", "data-nolocation")) == no_location
    page.click("#cat-none")
    assert shown(page) == 0
    page.check("input[value='burglary']")
    assert shown(page) == int((located["Crime type"] == "Burglary").sum())
    count = page.inner_text("label:has(input[value='drugs']) .count")
    assert int(count.replace(",", "")) == int((frame["Crime type"] == "Drugs").sum())
    assert not rec.errors, rec.errors
    assert not [c for c in rec.console if c.startswith("error")], rec.console
    assert not [u for u in rec.requests if not u.startswith("file://")], rec.requests[:5]
