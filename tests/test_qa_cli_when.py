"""The release QA from the command line (and into the release's audit and manifest), and the
analyst's "when" views."""

from __future__ import annotations

import json
import secrets
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from crime_mapper.cli import main
from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.load.mapping_profile import MappingProfile
from crime_mapper.core.qa import when
from crime_mapper.core.qa.profile import read_profiles_json
from tests.support import qa_faults as faults

RAW = str(faults.BUNDLED_RAW)
PROFILE = str(faults.BUNDLED_PROFILE)
HISTORY = str(faults.BUNDLED_HISTORY)


@pytest.fixture(scope="module")
def points_csv(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("points") / "points.csv"
    police = faults.SAMPLES / "police-uk"
    code = main(["map-points", "history", str(police / "2022-09"),
                 str(police / "2022-10.zip"), "--out", str(path)])  # fmt: skip
    assert code == 0
    return str(path)


def test_cli_qa_writes_report_and_history(tmp_path, points_csv, capsys):
    out = tmp_path / "qa"
    code = main(["qa", RAW, "--profile", PROFILE, "--history", HISTORY, "--points", points_csv,
                 "--out", str(out), "--save-history", str(tmp_path / "h.json")])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "Verdict: no high-severity findings" in printed
    report = json.loads((out / "qa_report.json").read_text(encoding="utf-8"))
    assert report["month"] == "2022-10" and report["counts"]["high"] == 0
    assert all(c["ran"] for c in report["checks"])  # map points give the rows their LSOA
    saved = read_profiles_json((tmp_path / "h.json").read_text(encoding="utf-8"))
    assert [p.month for p in saved] == [p.month for p in saved][:12] and len(saved) == 12
    assert saved[-1].month == "2022-10" and saved[-1].rows == 4836
    assert sum(saved[-1].by_area.values()) > 4000  # areas from the map points
    # next month's QA can run on the saved history alone
    code = main(["qa", RAW, "--profile", PROFILE, "--history", str(tmp_path / "h.json"),
                 "--out", str(tmp_path / "again")])  # fmt: skip
    assert code == 0
    again = json.loads((tmp_path / "again" / "qa_report.json").read_text(encoding="utf-8"))
    assert again["history_months"][-1] == "2022-09"  # a month is never its own history


def test_cli_qa_fail_on_high_and_bad_inputs(tmp_path, capsys):
    broken = faults.drop_week(pd.read_csv(RAW, dtype=str, keep_default_na=False))
    path = tmp_path / "2022-10-force-extract.csv"
    broken.to_csv(path, index=False)
    args = ["qa", str(path), "--profile", PROFILE, "--history", HISTORY, "--out", str(tmp_path)]
    assert main(args) == 0
    assert main(args + ["--fail-on-high"]) == 4
    assert "[high]" in capsys.readouterr().out
    assert main(["qa", str(tmp_path / "missing.csv"), "--history", HISTORY,
                 "--out", str(tmp_path)]) == 2  # fmt: skip
    bad_history = tmp_path / "h.json"
    bad_history.write_text('{"not": "a list"}', encoding="utf-8")
    assert main(["qa", RAW, "--profile", PROFILE, "--history", str(bad_history),
                 "--out", str(tmp_path)]) == 2  # fmt: skip
    lookup = tmp_path / "areas.csv"
    lookup.write_text("only one column\nE01\n", encoding="utf-8")
    assert main(["qa", RAW, "--profile", PROFILE, "--history", HISTORY, "--areas", str(lookup),
                 "--out", str(tmp_path)]) == 2  # fmt: skip
    assert "error:" in capsys.readouterr().err


def test_release_records_the_qa_in_audit_and_manifest(tmp_path, points_csv):
    salt = tmp_path / "salt"
    salt.write_bytes(secrets.token_bytes(32))
    assert main(["qa", RAW, "--profile", PROFILE, "--history", HISTORY, "--points", points_csv,
                 "--out", str(tmp_path / "qa")]) == 0  # fmt: skip
    qa_json = tmp_path / "qa" / "qa_report.json"
    release = tmp_path / "release"
    code = main(["anonymise", RAW, "--profile", PROFILE, "--points", points_csv, "--salt-file",
                 str(salt), "--out", str(release), "--qa-report", str(qa_json)])  # fmt: skip
    assert code == 0
    import hashlib

    digest = hashlib.sha256(qa_json.read_bytes()).hexdigest()
    manifest = json.loads((release / "release_manifest.json").read_text(encoding="utf-8"))
    audit = json.loads((release / "audit.json").read_text(encoding="utf-8"))
    for record in (manifest["release_qa"], audit["release_qa"]):
        assert record["report_sha256"] == digest
        assert record["month"] == "2022-10"
        assert record["verdict"].startswith("no high-severity findings")
    assert "Release QA:" in (release / "audit.html").read_text(encoding="utf-8")
    # a QA report of another month is refused before anything is written
    data = json.loads(qa_json.read_text(encoding="utf-8"))
    data["month"] = "2022-09"
    other = tmp_path / "other.json"
    other.write_text(json.dumps(data), encoding="utf-8")
    code = main(["anonymise", RAW, "--profile", PROFILE, "--points", points_csv, "--salt-file",
                 str(salt), "--out", str(tmp_path / "r2"), "--qa-report", str(other)])  # fmt: skip
    assert code == 2
    assert not (tmp_path / "r2" / "release_manifest.json").exists()


# --- when views ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def crimes() -> pd.DataFrame:
    return load_extracts([RAW], profile=MappingProfile.load(PROFILE)).crimes


def test_hour_dow_counts_match_the_rows(crimes):
    counts = when.hour_dow_counts(crimes)
    assert counts.shape == (7, 24) and counts.sum() == len(crimes)
    at = pd.to_datetime(crimes["occurred_at"])
    monday_9 = int(((at.dt.dayofweek == 0) & (at.dt.hour == 9)).sum())
    assert counts[0, 9] == monday_9


def test_when_page_is_valid_accessible_and_escaped(crimes, tmp_path):
    hostile = crimes.copy()
    name = '<script>alert("x")</script>'
    hostile["lsoa_code"] = hostile["lsoa_code"].cat.add_categories([name])
    hostile.loc[:500, "lsoa_code"] = name
    page = when.when_page(hostile, by="area")
    assert "<script>" not in page and "&lt;script&gt;" in page
    svgs = [s for s in page.split("<svg")[1:]]
    assert svgs
    for chunk in svgs:
        svg = "<svg" + chunk.split("</svg>")[0] + "</svg>"
        root = ET.fromstring(svg)  # well-formed XML
        assert root.get("role") == "img" and root.get("aria-labelledby")
        ns = "{http://www.w3.org/2000/svg}"
        assert root.find(f"{ns}title") is not None and root.find(f"{ns}desc") is not None
    assert page.count('scope="row"') >= 8 and "Do not publish" in page
    path = when.write_when_page(crimes, tmp_path / "when.html", by="category")
    text = path.read_text(encoding="utf-8")
    assert "Violence and sexual offences" in text and "Month trend per category" in text


def test_month_trend_per_category():
    load = load_extracts(
        [
            str(faults.SAMPLES / "police-uk" / "2022-09"),
            str(faults.SAMPLES / "police-uk" / "2022-10"),
        ]
    )
    trend = when.month_trend(load.crimes)
    assert list(trend.index) == ["2022-09", "2022-10"]
    assert int(trend.to_numpy().sum()) == len(load.crimes)
    oct_shop = int(
        ((load.crimes["month"] == "2022-10") & (load.crimes["crime_type"] == "Shoplifting")).sum()
    )
    assert trend.loc["2022-10", "Shoplifting"] == oct_shop
    svg = when.month_trend_svg(trend["Shoplifting"].tolist(), list(trend.index), "Shoplifting", "t")
    assert ET.fromstring(svg).get("role") == "img"
    page = when.when_page(load.crimes)  # police.uk rows: no times, trend only
    assert "0 with an exact date and time" in page and "Hour of day" not in page
    assert np.all(when.hour_dow_counts(load.crimes) == 0)


def test_cli_when_with_history_shows_the_month_trend(tmp_path):
    out = tmp_path / "when.html"
    police = faults.SAMPLES / "police-uk"
    history = [str(police / "2022-09"), str(police / "2022-10"), str(faults.BUNDLED_HISTORY)]
    code = main(["when", RAW, "--profile", PROFILE, "--history", *history, "--out", str(out)])
    assert code == 0
    page = out.read_text(encoding="utf-8")
    assert '<th scope="col">2022-09</th>' in page and '<th scope="col">2022-10</th>' in page
    # October comes from the extract (with times), not again from the police.uk file
    assert "9,521 crimes; 4,836 with an exact date and time" in page


def test_cli_when_refuses_to_write_over_an_input(tmp_path):
    """--out naming the extract replaced the raw extract with the page, exit 0."""
    victim = tmp_path / "extract.csv"
    victim.write_bytes(faults.BUNDLED_RAW.read_bytes())
    assert main(["when", str(victim), "--profile", PROFILE, "--out", str(victim)]) == 2
    assert victim.read_bytes() == faults.BUNDLED_RAW.read_bytes()


def test_cli_when_says_a_history_json_it_cannot_read(tmp_path, capsys):
    """A QA history file is skipped by the views (counts, not crimes); one that is not a QA
    history file at all was skipped in silence."""
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    out = tmp_path / "when.html"
    code = main(["when", RAW, "--profile", PROFILE, "--history", HISTORY, str(broken),
                 "--out", str(out)])  # fmt: skip
    assert code == 1 and out.is_file()
    err = capsys.readouterr().err
    assert "broken.json: not a QA history file" in err and HISTORY not in err


def test_cli_when_by_area_without_areas_says_so(tmp_path, capsys):
    """A force extract whose profile maps no LSOA column, grouped by area: the page wrote
    the section's heading with nothing under it and the command ended as done (exit 0).
    The page and the command now say why there is no area, and the exit is 1 (look)."""
    out = tmp_path / "when.html"
    code = main(["when", RAW, "--profile", PROFILE, "--by", "area", "--out", str(out)])
    assert code == 1 and out.is_file()
    page = out.read_text(encoding="utf-8")
    assert "has an area (an LSOA code)" in page and "<h3" not in page
    assert "--by area: no crime with an exact time has an area" in capsys.readouterr().err
    # by category the same extract has its groups, and says nothing
    assert main(["when", RAW, "--profile", PROFILE, "--by", "category", "--out", str(out)]) == 0
    assert "<h3" in out.read_text(encoding="utf-8") and "warning:" not in capsys.readouterr().err
