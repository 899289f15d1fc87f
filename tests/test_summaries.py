"""Neighbourhood summaries: every figure against an independent computation on real data
(Leicestershire's published months, MSOAs as neighbourhoods, ONS populations), missing
months, zero populations, small-count control, hostile team data and names."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.stats import poisson
from shapely.geometry import shape

from crime_mapper.core.common.vocabulary import ASB, normalise_outcome, outcome_group
from crime_mapper.core.publish import neighbourhoods as nb
from crime_mapper.core.publish.summaries import (
    ASB_NO_OUTCOME,
    NO_OUTCOME,
    OTHER_OUTCOME,
    OUTCOME_COLUMNS,
    SummaryError,
    SummaryOptions,
    compute_summaries,
)
from crime_mapper.core.publish.summaries_export import tidy_frame, write_tidy_csv
from crime_mapper.core.publish.summaries_render import SummaryRenderer, period_label
from crime_mapper.core.publish.summaries_run import family_problems, read_families
from crime_mapper.core.publish.summaries_team import (
    event_when,
    published_team_texts,
    read_team,
    sanitise_html,
)
from tests.support.neighbourhood_data import SAMPLE, committed_msoas, leicestershire, public_table

DATA = leicestershire()
HOODS = SAMPLE / "neighbourhoods"
TEAM = Path(__file__).parent / "data" / "summaries" / "team_hostile.json"


def _month(m: str, delta: int) -> str:
    y, mo = map(int, m.split("-"))
    i = y * 12 + mo - 1 + delta
    return f"{i // 12:04d}-{i % 12 + 1:02d}"


@pytest.fixture(scope="module")
def public() -> pd.DataFrame:
    return public_table(DATA)


@pytest.fixture(scope="module")
def hoods() -> nb.Neighbourhoods:
    return committed_msoas(DATA)


@pytest.fixture(scope="module")
def expected_area(public) -> pd.Series:
    """Each row's neighbourhood code, computed independently: pandas merge on the lookup,
    then GEOS point in polygon for rows whose LSOA is not in it."""
    lookup = pd.read_csv(HOODS / "lsoa11_to_msoa11_leicestershire.csv", dtype=str)
    merged = public[["LSOA code"]].merge(
        lookup[["lsoa11cd", "msoa11cd"]], left_on="LSOA code", right_on="lsoa11cd", how="left"
    )
    area = merged["msoa11cd"].copy()
    data = json.loads((HOODS / "msoa11_leicestershire.geojson").read_text())
    geoms = [shapely.make_valid(shape(f["geometry"])) for f in data["features"]]
    codes = np.array([f["properties"]["msoa11cd"] for f in data["features"]], dtype=object)
    need = area.isna() & (public["Longitude"] != "")
    pts = shapely.points(
        public.loc[need, "Longitude"].astype(float), public.loc[need, "Latitude"].astype(float)
    )
    tree = shapely.STRtree(geoms)
    pi, gi = tree.query(pts, predicate="within")
    found = np.full(need.sum(), "outside", dtype=object)
    found[pi] = codes[gi]
    area[need.to_numpy()] = found
    area[area.isna() & (public["Longitude"] == "")] = "no-location"
    area[area.isna()] = "outside"
    return area


@pytest.fixture(scope="module")
def summaries(public, hoods):
    return compute_summaries(public, hoods, nb.assign_crimes(public, hoods), SummaryOptions())


def test_every_count_matches_an_independent_groupby(public, summaries, expected_area):
    s = summaries
    codes = s.area_codes()
    got = {}
    for a, code in enumerate(codes[:-1]):
        for m, month in enumerate(s.months):
            for c, cat in enumerate(s.categories):
                if s.cube[a, m, c]:
                    got[(code, month, cat)] = int(s.cube[a, m, c])
    expected = (
        pd.DataFrame({"a": expected_area, "m": public["Month"], "c": public["Crime type"]})
        .groupby(["a", "m", "c"])
        .size()
        .to_dict()
    )
    assert got == expected
    # the force row and the totals reconcile exactly with the release
    force = s.cube[s.force_row]
    by_month_cat = public.groupby(["Month", "Crime type"]).size()
    for (month, cat), n in by_month_cat.items():
        assert force[s.months.index(month), s.categories.index(cat)] == n
    assert force[:, -1].sum() == len(public)
    assert (s.cube[:, :, -1] == s.cube[:, :, :-1].sum(axis=2)).all()


def test_key_figures_match_an_independent_computation(public, hoods, summaries, expected_area):
    s = summaries
    month = public["Month"].max()
    assert s.month == month
    totals = pd.crosstab(expected_area, public["Month"])
    lookup = pd.read_csv(HOODS / "lsoa11_to_msoa11_leicestershire.csv", dtype=str)
    pops = pd.read_csv(DATA.population_csv, dtype={"LSOA11CD": str})
    pop = (
        lookup.merge(pops, left_on="lsoa11cd", right_on="LSOA11CD")
        .groupby("msoa11cd")["mid2018_population"]
        .sum()
    )
    f = s.figures.set_index("code")
    months = set(public["Month"])
    counts = totals.reindex(hoods.codes).fillna(0)[month]
    rates = counts / pop.reindex(hoods.codes) * 1000
    rank = rates.rank(ascending=False, method="min")
    for code in hoods.codes:
        row = f.loc[code]
        n = counts[code]
        assert row["count"] == n
        prev_m, year_m = _month(month, -1), _month(month, -12)
        for m, col, pct_col, diff_col in (
            (prev_m, "previous", "change_previous_pct", "change_previous"),
            (year_m, "year_earlier", "change_year_pct", "change_year"),
        ):
            if m in months:
                base = totals[m].get(code, 0)
                assert row[col] == base
                assert row[diff_col] == n - base
                if base:
                    assert row[pct_col] == pytest.approx(100 * (n - base) / base)
                else:
                    assert math.isnan(row[pct_col])  # n/a: no base
            else:
                assert math.isnan(row[col]) and math.isnan(row[pct_col])  # missing, not 0
        assert row["rate"] == pytest.approx(rates[code])
        assert row["rank"] == rank[code]
        base_months = [_month(month, -k) for k in range(1, 13) if _month(month, -k) in months]
        if len(base_months) >= 6:
            mean = sum(totals[m].get(code, 0) for m in base_months) / len(base_months)
            low, high = poisson.interval(0.95, mean)
            want = "higher" if n > high else "lower" if n < low else "usual"
            assert row["chance"] == want, code
        else:
            assert row["chance"] == "n/a"
    force_rate = counts.sum() / pop.reindex(hoods.codes).sum() * 1000
    assert f.loc["force", "rate"] == pytest.approx(force_rate)
    # 12-month trend: a month missing from the release is missing, never 0
    renderer = SummaryRenderer(s, hoods.slugs)
    i = hoods.index_of("E02002834")
    trend = renderer._trend_values(i)
    for p, value in zip(s.trend_positions(), trend):
        m = s.months[p] if p >= 0 else None
        if m in months:
            assert value == totals[m].get("E02002834", 0)
        else:
            assert value is None


def test_top_locations_and_outcomes(public, summaries, expected_area):
    s = summaries
    in_month = public["Month"] == s.month
    frame = public[in_month].assign(a=expected_area[in_month.to_numpy()].to_numpy())
    for i, code in enumerate(s.hoods.codes[:40]):
        rows = frame[frame["a"] == code]
        named = rows[~rows["Location"].str.strip().isin(["", "On or near"])]
        counts = named.groupby("Location").size().reset_index(name="n")
        counts = counts.sort_values(["n", "Location"], ascending=[False, True]).head(5)
        assert s.top_locations[i] == list(zip(counts["Location"], counts["n"]))

        def group(row):
            text = row["Last outcome category"].strip()
            if not text:
                return ASB_NO_OUTCOME if row["Crime type"] == ASB else NO_OUTCOME
            canonical = normalise_outcome(text)
            return outcome_group(canonical) if canonical else OTHER_OUTCOME

        groups = rows.apply(group, axis=1).value_counts() if len(rows) else pd.Series(dtype=int)
        got = {OUTCOME_COLUMNS[k]: int(v) for k, v in enumerate(s.outcomes[i, :-1]) if v}
        assert got == groups.to_dict()
        assert s.outcomes[i, -1] == len(rows)


def test_tidy_csv_reconciles_with_the_release(public, summaries):
    frame = tidy_frame(summaries)
    assert list(frame.columns) == [
        "neighbourhood_code",
        "neighbourhood",
        "month",
        "category",
        "count",
        "status",
    ]
    body = frame[(frame["neighbourhood_code"] != "force") & (frame["category"] != "All crime")]
    body = body[body["status"] == "published"]
    sums = body.assign(n=body["count"].astype(int)).groupby(["month", "category"])["n"].sum()
    expected = public.groupby(["Month", "Crime type"]).size()
    expected.index.names = ["month", "category"]
    pd.testing.assert_series_equal(sums[sums > 0], expected, check_names=False)


def test_missing_month_shows_as_missing(public, hoods):
    months = sorted(set(public["Month"]))
    dropped = months[-2]
    cut = public[public["Month"] != dropped].reset_index(drop=True)
    s = compute_summaries(cut, hoods, nb.assign_crimes(cut, hoods), SummaryOptions())
    pos = s.months.index(dropped)
    assert not s.present[pos]
    assert s.figures["previous"].isna().all()  # the previous month is missing: n/a, not 0
    assert s.figures["change_previous_pct"].isna().all()
    frame = tidy_frame(s)
    assert set(frame.loc[frame["month"] == dropped, "status"]) == {"missing month"}
    assert set(frame.loc[frame["month"] == dropped, "count"]) == {""}
    page = SummaryRenderer(s, hoods.slugs).render_page(0)
    assert "missing" in page


def test_zero_and_missing_population_give_na(public, hoods):
    odd = nb.Neighbourhoods(
        list(hoods.codes),
        list(hoods.names),
        hoods.rings,
        np.where(np.arange(len(hoods)) % 2 == 0, 0.0, np.nan),
        dict(hoods.lookup),
    )
    s = compute_summaries(public, odd, nb.assign_crimes(public, odd), SummaryOptions())
    assert s.figures["rate"].isna().all() and s.figures["rank"].isna().all()
    page = SummaryRenderer(s, odd.slugs).render_page(0)
    assert "Crimes per 1,000 residents</dt><dd>n/a" in page


def test_month_and_options_checked(public, hoods):
    a = nb.assign_crimes(public, hoods)
    with pytest.raises(SummaryError, match="not in the release"):
        compute_summaries(public, hoods, a, SummaryOptions(month="1999-01"))
    with pytest.raises(SummaryError, match="not a month"):
        compute_summaries(public, hoods, a, SummaryOptions(month="2022-13"))
    with pytest.raises(SummaryError, match="period"):
        compute_summaries(public, hoods, a, SummaryOptions(period_months=0))


def _lines_ok(values: np.ndarray, supp: np.ndarray) -> None:
    """No line (along areas or categories, margins included) has exactly one hidden cell."""
    assert not (supp.sum(axis=0) == 1).any()
    assert not (supp.sum(axis=2) == 1).any()


def test_small_count_control(public, hoods):
    s = compute_summaries(
        public, hoods, nb.assign_crimes(public, hoods), SummaryOptions(suppress_below=10)
    )
    supp = s.suppressed
    primary = (s.cube > 0) & (s.cube < 10)
    primary[:, ~s.present] = False
    assert (supp[primary]).all()
    assert supp.sum() > primary.sum()  # secondary cells were needed
    _lines_ok(s.cube, supp)
    # recompute a suppressed value from published ones: impossible along any line
    for a in range(0, s.n, 7):
        for m in np.flatnonzero(s.present):
            row = supp[a, m]
            assert row.sum() != 1
    # outcomes: no row with one hidden cell (total included)
    assert not (s.outcomes_suppressed.sum(axis=1) == 1).any()
    # derived figures hidden with the count
    end = s.month_pos(s.month)
    hidden = supp[: s.n, end, -1]
    f = s.figures.iloc[: s.n]
    assert f.loc[hidden, "rate"].isna().all() and f.loc[hidden, "count"].isna().all()
    assert (f.loc[hidden, "chance"] == "suppressed").all()
    # the CSV never shows a hidden count; pages say "fewer than 10"
    frame = tidy_frame(s)
    hidden_rows = frame["status"].isin(["fewer than 10", "hidden (secondary)"])
    assert (frame.loc[hidden_rows, "count"] == "").all()
    assert hidden_rows.sum() == supp[:, s.present].sum()
    renderer = SummaryRenderer(s, hoods.slugs)
    pages = [renderer.render_page(i) for i in range(s.n)]
    assert any("fewer than 10" in p for p in pages)
    assert all(c >= 10 for tops in s.top_locations for _, c in tops)
    with pytest.raises(SummaryError, match="1-month period"):
        compute_summaries(
            public,
            hoods,
            nb.assign_crimes(public, hoods),
            SummaryOptions(suppress_below=10, period_months=3),
        )


def test_secondary_suppression_small_table():
    """A hand-checkable table: one small cell in a row forces a second one in that row and
    in its column."""
    from crime_mapper.core.publish.summaries_suppress import secondary

    values = np.array([[3, 20, 30, 53], [40, 50, 60, 150], [43, 70, 90, 203]])
    supp = (values > 0) & (values < 10)
    secondary(values, supp, (0, 1))
    assert supp[0, 0] and supp.sum() >= 4
    assert not (supp.sum(axis=0) == 1).any() and not (supp.sum(axis=1) == 1).any()


def test_team_information_rendered_safely(public, hoods, summaries):
    teams = read_team(TEAM)
    renderer = SummaryRenderer(summaries, hoods.slugs, teams)
    page = renderer.render_page(hoods.index_of("E02002834"))
    lowered = page.lower()
    for bad in ("<script", "onerror", "onclick", "javascript:", "<iframe", "onmouseover", "onload"):
        assert bad not in lowered, bad
    assert "alert(" not in page and "display:none" not in page
    assert "<strong>Abbey Park</strong>" in page  # harmless tags kept
    assert "Extra patrols on Friday evenings." in page
    assert "Open: work is under way." in page  # the open priority
    assert "Beat meeting" in page and "Thursday 17 November 2022, 18:00 to 19:00" in page
    assert "2022-11-17" not in page  # the API's form is not shown
    assert "Set in July 2022." in page  # priorities to the month
    assert 'href="tel:101"' in page
    assert 'href="https://www.leics.police.uk/"' in page
    assert "Sgt Jo Bloggs" in page
    assert str(sanitise_html("<b>x</b><img src=x onerror=y>")) == "<b>x</b>"
    assert str(sanitise_html(None)) == ""
    assert str(sanitise_html("a < b & c")) == "a &lt; b &amp; c"


def test_an_empty_entry_beside_a_team_shows_no_team_information(public, hoods, summaries, tmp_path):
    """A file mixing teams and empty entries is taken (a team export lists every area, some
    with nothing yet); an empty entry's page says no team information was published, as a
    page of an area the file leaves out does, not an empty team ("No priorities published.
    ... Contact the team" with no contact)."""
    path = tmp_path / "team.json"
    empty = {"neighbourhood": {"name": ""}, "people": [], "priorities": [], "events": []}
    path.write_text(
        json.dumps({"E02002834": {"neighbourhood": {"name": "Abbey Park"}}, "E02002835": empty}),
        encoding="utf-8",
    )
    teams = read_team(path)
    assert list(teams) == ["E02002834", "E02002835"]
    renderer = SummaryRenderer(summaries, hoods.slugs, teams)
    page = renderer.render_page(hoods.index_of("E02002834"))
    assert "<strong>Abbey Park</strong>" in page and "No priorities published." in page
    for code in ("E02002835", "E02002836"):  # (an empty entry, and a code the file leaves out)
        page = renderer.render_page(hoods.index_of(code))
        # (another neighbourhood's team is published: the page says this one's is not,
        # not that the summaries hold no team at all)
        assert "No team information was published for this neighbourhood." in page
        assert "No priorities published." not in page and "Contact the team" not in page


def test_pages_without_any_team_say_none_was_published(public, hoods, summaries, tmp_path):
    """With no teams, or only empty entries (read_team refuses a file of those alone, but a
    caller may pass them), every page says the summaries hold no team information; "for this
    neighbourhood" would suggest others have one."""
    path = tmp_path / "team.json"
    empty = {"neighbourhood": {"name": ""}, "people": [], "priorities": [], "events": []}
    path.write_text(
        json.dumps({"E02002834": {"neighbourhood": {"name": "Abbey Park"}}, "E02002835": empty}),
        encoding="utf-8",
    )
    only_empty = {code: team for code, team in read_team(path).items() if code == "E02002835"}
    for teams in (None, only_empty):
        renderer = SummaryRenderer(summaries, hoods.slugs, teams)
        for code in ("E02002834", "E02002835"):
            page = renderer.render_page(hoods.index_of(code))
            assert "No team information was published with these summaries." in page
            assert "for this neighbourhood" not in page


def test_team_csv(tmp_path):
    path = tmp_path / "team.csv"
    path.write_text(
        "code,kind,name,rank,bio,issue,issue-date,action,action-date,title,type,description,"
        "address,start_date,telephone,email,url\n"
        "N1,neighbourhood,Town team,,,,,,,,,<p>Hello</p><script>x</script>,,,101,a@b.c,\n"
        "N1,person,Jo,PC,,,,,,,,,,,,,\n"
        "N1,priority,,,,<b>Litter</b>,2022-01-02,,,,,,,,,,\n"
        "N1,event,,,,,,,,Surgery,meeting,,Library,2022-03-04T10:00:00,,,\n"
        "N1,link,,,,,,,,Site,,,,,,,https://example.org\n"
        ",,,,,,,,,,,,,,,,\n",  # a blank row: nothing to read, nothing lost
        encoding="utf-8",
    )
    team = read_team(path)["N1"]
    assert team.name == "Town team" and str(team.description) == "<p>Hello</p>"
    assert team.people[0]["rank"] == "PC"
    assert str(team.priorities[0]["issue"]) == "<b>Litter</b>"
    assert team.events[0]["month"] == "March 2022"
    assert team.events[0]["when"] == "Friday 4 March 2022, 10:00"
    assert team.links == [("Site", "https://example.org")]
    # "a@b.c" is no e-mail address to the gate (one-letter domain): nothing to allow
    assert published_team_texts({"N1": team}) == ["Friday 4 March 2022, 10:00"]


@pytest.mark.parametrize(
    "start, end, shown",
    [
        ("2022-10-15T10:00:00", "2022-10-15T12:00:00", "Saturday 15 October 2022, 10:00 to 12:00"),
        ("2016-09-17T12:00:00", None, "Saturday 17 September 2016, 12:00"),
        (
            "2022-10-15T18:00:00",
            "2022-10-16T01:30:00",
            "Saturday 15 October 2022, 18:00 to Sunday 16 October 2022, 01:30",
        ),
        ("2022-10-15T00:00:00", "2022-10-15T00:00:00", "Saturday 15 October 2022"),  # no times
        ("2022-10-15", "2022-10-17", "Saturday 15 October 2022 to Monday 17 October 2022"),
        ("2022-10-15T10:00:00", "2022-10-14T12:00:00", "Saturday 15 October 2022, 10:00"),
        ("2022-10-15T10:00:00", "soon", "Saturday 15 October 2022, 10:00"),
        (" 2022-10-15T10:00:00.000Z ", None, "Saturday 15 October 2022, 11:00"),  # (UTC: BST)
        ("2022-02-30T10:00:00", None, ""),  # no such day
        ("2022-10-15T25:00:00", None, ""),
        ("next Tuesday", None, ""),
        (None, "2022-10-15T12:00:00", ""),
        ({"a": 1}, None, ""),
    ],
)
def test_event_when(start, end, shown):
    assert event_when(start, end) == shown


def test_published_team_texts_are_exact_and_only_dates_and_contacts():
    teams = read_team(TEAM)
    texts = published_team_texts(teams)
    assert texts == sorted(
        {
            "Thursday 17 November 2022, 18:00 to 19:00",
            "abbey.park@example.police.uk",
            "abbey.park.beat@example.police.uk",
            "0116 248 2222",
            "01162482222",
        }
    )


def test_hostile_names_escaped_and_csv_safe(public, hoods):
    names = list(hoods.names)
    names[0] = '=HYPERLINK("http://evil")'
    names[1] = "<script>alert(1)</script>"
    names[2] = "../../etc/passwd"
    odd = nb.Neighbourhoods(
        list(hoods.codes), names, hoods.rings, hoods.population, dict(hoods.lookup)
    )
    s = compute_summaries(public, odd, nb.assign_crimes(public, odd), SummaryOptions())
    frame = tidy_frame(s)
    assert '\'=HYPERLINK("http://evil")' in set(frame["neighbourhood"])
    assert not frame["neighbourhood"].str.startswith("=").any()
    slugs = odd.slugs
    assert slugs[2] == "etc-passwd"
    renderer = SummaryRenderer(s, slugs)
    page = renderer.render_page(1)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in renderer.render_index()


def _csv_writer_text(frame: pd.DataFrame) -> str:
    """The tidy frame as Python's csv.writer writes it (minimal quoting, \\n line ends)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(frame.columns))
    writer.writerows(frame.itertuples(index=False, name=None))
    return out.getvalue()


@pytest.mark.parametrize("case", ["plain", "missing_month", "suppressed", "hostile"])
def test_tidy_csv_is_the_tidy_frame_as_csv_writer_writes_it(public, hoods, case, tmp_path):
    """write_tidy_csv builds the 1.4-million-row national text from per-area pieces; it
    must be, byte for byte, the tidy frame through csv.writer: quoting, formula-safe
    cells, missing months, both suppression statuses."""
    options = SummaryOptions()
    table, areas = public, hoods
    if case in ("missing_month", "suppressed"):
        dropped = sorted(set(public["Month"]))[-3]
        table = public[public["Month"] != dropped].reset_index(drop=True)
    if case == "suppressed":
        options = SummaryOptions(suppress_below=10)
    if case == "hostile":
        names = list(hoods.names)
        names[:4] = ['=HYPERLINK("x")', 'a, "b"', "line\nbreak", "+1,2"]
        codes = list(hoods.codes)
        codes[4] = '-E02,"x"'
        areas = nb.Neighbourhoods(codes, names, hoods.rings, hoods.population, dict(hoods.lookup))
        table = public.copy()
        table["Crime type"] = table["Crime type"].replace({"Drugs": '@Drugs, "odd"'})
    s = compute_summaries(table, areas, nb.assign_crimes(table, areas), options)
    if case == "suppressed":
        statuses = set(tidy_frame(s)["status"])
        assert {"fewer than 10", "hidden (secondary)", "missing month"} <= statuses
    path = tmp_path / "tidy.csv"
    rows = write_tidy_csv(s, path)
    frame = tidy_frame(s)
    assert rows == len(frame)
    assert path.read_bytes() == _csv_writer_text(frame).encode("utf-8")


def test_categorical_columns_give_the_same_figures(public, hoods, summaries):
    """A national year is held as categoricals (bench): the figures must not change."""
    as_cat = public.astype("category")
    s = compute_summaries(as_cat, hoods, nb.assign_crimes(as_cat, hoods), SummaryOptions())
    np.testing.assert_array_equal(s.cube, summaries.cube)
    np.testing.assert_array_equal(s.outcomes, summaries.outcomes)
    assert s.top_locations == summaries.top_locations
    pd.testing.assert_frame_equal(s.figures, summaries.figures)


def test_user_families_define_similar_neighbourhoods(public, hoods):
    codes = hoods.codes
    families = {code: ("A" if k % 3 == 0 else "B") for k, code in enumerate(codes[:30])}
    s = compute_summaries(
        public, hoods, nb.assign_crimes(public, hoods), SummaryOptions(families=families)
    )
    assert s.similar[0] == list(range(3, 30, 3))  # family A: codes 0, 3, 6, ... 27
    fam = s.similar[0]
    f = s.figures
    expected = 1000 * f["count"].iloc[fam].sum() / f["population"].iloc[fam].sum()
    assert f["similar_rate"].iat[0] == pytest.approx(expected)
    assert s.similar[40] == []  # no family given: no comparison, not a guess
    assert math.isnan(f["similar_rate"].iat[40])


def test_families_that_match_no_neighbourhood_are_said(tmp_path, hoods):
    """Codes of another geography, or in other capitals, took the similar neighbourhoods
    off the pages without a word: some unmatched are warned, none matched is refused."""
    codes = list(hoods.codes)
    path = tmp_path / "families.csv"
    path.write_text(
        "code,family\n"
        + "".join(f"{c},F{k % 2}\n" for k, c in enumerate(codes[:-1]))
        + "E09999999,F0\n",
        encoding="utf-8",
    )
    problems = family_problems(read_families(path), hoods)
    assert problems == [
        "families.csv: 1 code is no neighbourhood's and not used (e.g. E09999999)",
        f"families.csv: 1 neighbourhood is in no family, so its page has no similar "
        f"neighbourhoods (e.g. {codes[-1]})",
    ]
    path.write_text(
        "code,family\n" + "".join(f" {c.lower()} ,F0\n" for c in codes), encoding="utf-8"
    )
    with pytest.raises(SummaryError, match="none of its 125 codes .* in other capitals"):
        family_problems(read_families(path), hoods)
    path.write_text("code,family\n" + "".join(f"{c},F0\n" for c in codes), encoding="utf-8")
    assert family_problems(read_families(path), hoods) == []


def test_longer_periods_and_earlier_months(public, hoods, summaries):
    """A 3-month period sums its months (2 with the committed slices, which hold two months);
    a period reaching before the release is n/a (never a partial sum); the index still
    renders."""
    a = nb.assign_crimes(public, hoods)
    n = min(3, public["Month"].nunique())
    assert n >= 2
    s3 = compute_summaries(public, hoods, a, SummaryOptions(period_months=n))
    end = s3.month_pos(s3.month)
    assert s3.period == [s3.months[p] for p in range(end - n + 1, end + 1)]
    assert (
        s3.figures["count"].to_numpy() == s3.cube[:, end - n + 1 : end + 1, -1].sum(axis=1)
    ).all()
    first = min(public["Month"])
    early = compute_summaries(public, hoods, a, SummaryOptions(month=first, period_months=12))
    assert early.figures["count"].isna().all()
    renderer = SummaryRenderer(early, hoods.slugs)
    assert "n/a (months missing)" in renderer.render_page(0)
    assert "n/a (months missing)" in renderer.render_index()


def test_a_change_says_what_it_is_measured_against(public, hoods, summaries):
    """The page said "Change on the previous period" and the index "Change on previous": a
    reader of a one-month page could not tell the month before from the last release. Each
    says the period it compares with, as long as the page's own."""
    one = SummaryRenderer(summaries, hoods.slugs)
    assert summaries.options.period_months == 1
    for html in (one.render_page(0), one.render_index()):
        assert "Change on the month before" in html and "Change on previous" not in html
        assert "previous period" not in re.sub(r"<li>[^<]*</li>", "", html)  # (the notes' own)
    a = nb.assign_crimes(public, hoods)
    two = compute_summaries(public, hoods, a, SummaryOptions(period_months=2))
    longer = SummaryRenderer(two, hoods.slugs)
    for html in (longer.render_page(0), longer.render_index()):
        assert "Change on the 2 months before" in html and "month before<" not in html


def _classes_of(rates: np.ndarray, breaks: list[float]) -> np.ndarray:
    """The class QGIS's graduated renderer gives each rate (first range with lower <= v <=
    upper), -1 for none."""
    out = np.full(rates.size, -1)
    for i, v in enumerate(rates):
        for k in range(len(breaks) - 1):
            if breaks[k] <= v <= breaks[k + 1]:
                out[i] = k
                break
    return out


@pytest.mark.parametrize(
    "rates, classes",
    [
        (np.r_[np.zeros(60), np.linspace(1, 40, 40)], 5),  # a quiet month: many zeros
        (np.r_[np.full(50, 3.25), np.full(30, 7.5), np.linspace(8, 30, 20)], 5),
        (np.r_[np.zeros(30), np.full(20, 2.0), np.full(10, 9.0)], 3),  # three rates only
        (np.full(25, 4.0), 1),
        (np.r_[np.linspace(0.5, 50, 125), np.nan, np.nan], 5),
    ],
)
def test_choropleth_keeps_its_classes_when_rates_tie(rates, classes):
    from crime_mapper.core.publish.summaries_export import choropleth_breaks

    breaks = choropleth_breaks(rates)
    assert len(breaks) == classes + 1
    assert all(a < b for a, b in zip(breaks, breaks[1:]))
    known = rates[np.isfinite(rates)]
    found = _classes_of(known, breaks)
    assert (found >= 0).all()  # every known rate is drawn
    assert len(set(found.tolist())) == classes  # and every class is used


def test_choropleth_quantiles_without_ties_are_plain_quantiles():
    from crime_mapper.core.publish.summaries_export import choropleth_breaks

    rates = np.linspace(0, 100, 101)
    assert choropleth_breaks(rates) == [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]


@pytest.mark.parametrize("seed", range(5))
def test_min_ranks_are_scipys_rankdata_min(seed):
    """Ranks are computed without importing scipy.stats (half a second per run); they must
    be rankdata(method="min") exactly: ties (many zero rates), -0.0 and 0.0, large spans."""
    from scipy.stats import rankdata

    from crime_mapper.core.publish.summaries import _min_ranks

    rng = np.random.default_rng(seed)
    values = -np.round(rng.gamma(2.0, 5.0, 5000), int(rng.integers(0, 3)))
    values[rng.random(5000) < 0.2] = 0.0
    values[rng.random(5000) < 0.05] = -0.0
    got = _min_ranks(values)
    want = rankdata(values, method="min")
    assert np.array_equal(got, want)
    into = np.full(values.size, np.nan)  # as _figures stores them
    into[:] = got
    assert np.array_equal(into, want.astype(np.float64))


def test_the_trend_axis_is_labelled_in_round_steps_that_hold_every_month():
    """The trend's axis was labelled at half and all of the largest count plus a tenth
    (195 crimes: 0, 107, 215); it is now labelled in round steps (0, 50, 100, 150, 200)."""
    from crime_mapper.core.publish.summaries_render import axis_ticks, trend_svg

    values = [173, 117, 153, 147, 134, 128, 156, 144, 147, 154, 134, 195]
    labels = [f"M{i} 2022" for i in range(len(values))]
    svg = trend_svg(labels, values, "Trend", "t")
    ticks = [int(t.replace(",", "")) for t in re.findall(r'class="tick">([\d,]+)</text>', svg)]
    assert sorted(ticks) == [0, 50, 100, 150, 200]
    # each label sits on its gridline, the line's points between the axis and the top one
    lines = {
        round(float(y), 1): int(v.replace(",", ""))
        for y, v in re.findall(
            r'<text x="\d+" y="([\d.]+)" text-anchor="end" class="tick">([\d,]+)', svg
        )
    }
    by_value = {v: y for y, v in lines.items()}
    zero, top = by_value[0], by_value[200]
    for value, y in by_value.items():
        assert abs(y - (zero - (zero - top) * value / 200)) < 0.2
    for cy in re.findall(r'<circle cx="[\d.]+" cy="([\d.]+)" r="3.5"', svg):
        assert top - 4 <= float(cy) <= zero - 4 + 0.1
    for largest in [0, 1, 7, 9, 10, 11, 99, 195, 1001, 123_456]:
        steps = axis_ticks(largest)
        step = steps[0]
        assert steps == [step * k for k in range(1, len(steps) + 1)]
        assert steps[-1] >= largest and 2 <= len(steps) <= 5
        assert str(step).strip("0") in {"1", "2", "5"}


def _about(index_html: str) -> str:
    """The index's "About these figures" list as text."""
    about = index_html[index_html.index('<h2 id="about">') : index_html.index("</main>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", about))


def test_the_index_names_the_months_its_assignment_counts_cover(public, hoods, summaries):
    """The index said "60,433 crimes: 57,252 assigned by LSOA code, ..." under a month whose
    whole force is 4,817: the counts are of every month the table holds, and it did not say
    so. Now it names those months."""
    months = sorted(public["Month"].unique())
    about = _about(SummaryRenderer(summaries, hoods.slugs).render_index())
    first, last = (period_label([m]) for m in (months[0], months[-1]))
    assert f"{first} to {last}, the months these pages draw on: {len(public):,} crimes:" in about


def test_small_count_control_gives_no_hidden_count_back_in_the_index(public, hoods):
    """With small-count control the index hid "Outside any neighbourhood" in its table, and
    its "About these figures" line printed the same count ("14 outside any neighbourhood").
    With suppression on, that line gives no counts."""
    one = public[public["Month"] == public["Month"].max()].reset_index(drop=True)
    assignment = nb.assign_crimes(one, hoods)
    s = compute_summaries(one, hoods, assignment, SummaryOptions(suppress_below=20))
    index = SummaryRenderer(s, hoods.slugs).render_index()
    outside_row = re.search(
        r'<th scope="row">Outside any neighbourhood</th><td[^>]*>([^<]*)<', index
    )
    assert outside_row and outside_row.group(1) in ("hidden", "fewer than 20")
    assert assignment.outside > 0
    about = _about(index)
    assert f"{assignment.outside:,} outside any neighbourhood" not in about
    assert "how many each way is not given, since small counts are hidden" in about


def test_map_points_with_no_street_name_are_not_one_location(public, hoods, summaries):
    """police.uk's "On or near " (no street name) was ranked as one location: every unnamed
    map point of a neighbourhood summed, so a page's most frequent location could be "On or
    near (no street name)", a couple of dozen places in fact. They are no place a reader can
    find, so they are not listed, and the note says why."""
    in_month = public["Month"] == summaries.month
    unnamed = public[in_month & (public["Location"].str.strip() == "On or near")]
    assert len(unnamed) > 0  # (the sample month has them, as real months do)
    assert not any(
        label.strip() == "On or near" for tops in summaries.top_locations for label, _ in tops
    )
    page = SummaryRenderer(summaries, hoods.slugs).render_page(0)
    assert "no street name)" not in page
    assert "Map points published with no street name are not listed" in page
