"""The neighbourhood pages link to the web map with only the choices the map offers.

Why: the map leaves out a part of its link it cannot use and says so in a note (the
permalink is hostile input: tests/test_webmap_link_browser.py). Every page asked for
``a=rate`` and its own period, so a map without populations, or one holding fewer months
than the period, greeted each reader who followed the summaries' own link with "Part of this
link could not be used". Now a page asks for shading by rate only when some neighbourhood
has residents (else by count), and for its period only when the map offers it (one month,
or the last 3 or 12 when the summaries hold that many months ending at theirs).

Real summaries of the bundled release (the synthetic force extract anonymised onto police.uk's
published map points, the Leicestershire MSOAs), with and without the population file, for
one month and over 3 months of a single-month release.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from crime_mapper.core.publish.summaries import SummaryOptions
from crime_mapper.core.publish.summaries_run import run_summaries
from tests.support.summaries_release import FORCE_EXTRACT, FORCE_PROFILE, make_release, msoa_source


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return make_release(tmp_path_factory.mktemp("summaries_map_link"))


def _map_link(release: dict, out: Path, source, options: SummaryOptions) -> str:
    done = run_summaries(
        [FORCE_EXTRACT],
        release["points"],
        release["csv"],
        out,
        source,
        options=options,
        profile_path=FORCE_PROFILE,
        with_map=True,  # (the pages link to a map exported beside them)
    )
    page = (done.folder / "abbey-park.html").read_text(encoding="utf-8")
    found = re.search(r'href="\.\./map/index\.html#([^"]*)"', page)
    assert found is not None
    return found.group(1).replace("&amp;", "&")


def _parts(link: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in link.split("&"))


def test_with_populations_the_page_asks_for_its_month_and_rates(release, tmp_path):
    parts = _parts(_map_link(release, tmp_path / "out", msoa_source(), SummaryOptions()))
    assert (parts["m"], parts["n"], parts["a"]) == ("2022-10", "1", "rate")
    assert {"z", "ll"} <= parts.keys()


def test_without_populations_the_page_asks_for_shading_by_count(release, tmp_path):
    source = dataclasses.replace(msoa_source(), lsoa_population=None)
    parts = _parts(_map_link(release, tmp_path / "out", source, SummaryOptions()))
    assert (parts["n"], parts["a"]) == ("1", "count")


def test_a_period_the_map_cannot_hold_is_not_asked_for(release, tmp_path):
    """Three months over a release of one month: the map made beside it holds one month,
    so it offers no 3-month period; the page leaves the period to the map."""
    options = SummaryOptions(period_months=3)
    parts = _parts(_map_link(release, tmp_path / "out", msoa_source(), options))
    assert "n" not in parts and parts["m"] == "2022-10" and parts["a"] == "rate"
