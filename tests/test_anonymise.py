"""Anonymisation end to end on real data: police.uk months and a realistic force extract.

Proves what issue 3 asks of the release table and its audit: only public fields, months not
dates, salted IDs, every row accounted for per category, rules applied, crimes beyond the
maximum distance kept (without a location), and byte-identical output from identical input.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.common import vocabulary
from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.release.anonymise import AnonymiseError, Release, anonymise
from crime_mapper.core.release.audit import (
    UNKNOWN_REJECTED,
    attach_gate_report,
    audit_json,
    render_audit_html,
    write_audit,
)
from crime_mapper.core.release.map_points import (
    MapPoints,
    map_points_from_arrays,
    map_points_from_history,
    map_points_hexagon_fallback,
)
from crime_mapper.core.release.public_schema import (
    PUBLIC_COLUMNS,
    read_public_csv,
    write_public_csv,
)
from crime_mapper.core.release.rules import (
    DEFAULT_RULES,
    ReleaseRules,
    ReleaseRulesError,
)
from crime_mapper.core.release.snapping import MapPointIndex
from tests.support.force_extract import force_profile, make_force_extract

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "police-uk"
LEICS_SEP = SAMPLE / "2022-09" / "2022-09-leicestershire-street.csv"
LEICS_OCT = SAMPLE / "2022-10" / "2022-10-leicestershire-street.csv"
NORTHUMBRIA_STREET = SAMPLE / "2022-07" / "2022-07-northumbria-street.csv"
MALFORMED = ROOT / "tests" / "data" / "malformed"
SALT = b"test salt: 32 bytes of secret!!!"
FATES = ("published_at_map_point", "published_without_location", "withheld_by_rule", "rejected")


@pytest.fixture(scope="module")
def history():
    """Two real Leicestershire months and the map points they define."""
    result = load_extracts([LEICS_SEP, LEICS_OCT])
    return result, map_points_from_history(result.crimes)


@pytest.fixture()
def force(tmp_path: Path, history):
    """A force extract (BNG, exact dates and times, references, offences, free text, one
    row flagged sensitive) built from real October rows, loaded through a profile."""
    path = tmp_path / "2022-10-force-extract.csv"
    frame = make_force_extract(path)
    profile = force_profile()
    return frame, load_extracts([path], profile=profile)


def assert_reconciles(audit: dict) -> None:
    assert audit["reconciles"] is True
    rows = audit["categories"] + [audit["totals"]]
    for row in rows:
        assert row["rows_in"] == sum(row[f] for f in FATES), row
        assert row["published_without_location"] == sum(row["without_location_reason"].values()), (
            row
        )
        assert row["reconciles"] is True
    for fate in ("rows_in",) + FATES:
        assert audit["totals"][fate] == sum(c[fate] for c in audit["categories"])


def assert_public_shape(public: pd.DataFrame) -> None:
    assert tuple(public.columns) == PUBLIC_COLUMNS
    for column in PUBLIC_COLUMNS:
        assert public[column].map(type).eq(str).all(), column
    assert public["Month"].str.fullmatch(r"\d{4}-\d{2}").all()
    assert (public["Context"] == "").all()
    asb = public["Crime type"] == vocabulary.ASB
    assert (public.loc[asb, "Crime ID"] == "").all()
    assert (public.loc[asb, "Last outcome category"] == "").all()
    assert public.loc[~asb, "Crime ID"].str.fullmatch(r"[0-9a-f]{64}").all()
    located = public["Longitude"] != ""
    assert public.loc[located, "Location"].str.startswith("On or near ").all()
    assert (public.loc[~located, "Location"] == "No Location").all()
    assert (public.loc[~located, ["Latitude", "LSOA code", "LSOA name"]] == "").all().all()


def csv_bytes(release: Release, path: Path) -> bytes:
    write_public_csv(release.public, path)
    return path.read_bytes()


# --- police.uk input ------------------------------------------------------------------------


def test_police_uk_months_come_back_exactly_as_published_apart_from_the_ids(history):
    result, points = history
    release = anonymise(result.crimes, points, salt=SALT, rejects=result.rejects)
    public = release.public
    assert_public_shape(public)
    assert len(public) == len(result.crimes)
    source = pd.concat([read_public_csv(LEICS_SEP), read_public_csv(LEICS_OCT)])
    # Every public field except the ID: the same rows (as a multiset) as police.uk published.
    same = [c for c in PUBLIC_COLUMNS if c != "Crime ID"]
    assert source[same].value_counts().sort_index().equals(public[same].value_counts().sort_index())
    # IDs are re-keyed: none of the published police.uk IDs survives.
    assert not set(public["Crime ID"]) - {""} & set(source["Crime ID"])
    audit = release.audit
    assert_reconciles(audit)
    assert audit["totals"]["rows_in"] == len(source)
    assert audit["totals"]["published_without_location"] == (source["Longitude"] == "").sum()
    assert audit["displacement_m"]["max"] == 0.0  # police.uk points are map points
    assert audit["map_points"]["used"] == len(points)
    assert audit["map_points"]["smallest_catchment_addresses"] is None  # no addresses known
    assert audit["input"]["months"] == ["2022-09", "2022-10"]
    # point_index follows the public rows.
    located = release.point_index >= 0
    assert (located == (public["Longitude"] != "").to_numpy()).all()
    lon = np.array([f"{v:.6f}" for v in points.longitude[release.point_index[located]]])
    assert (lon == public.loc[located, "Longitude"].to_numpy()).all()


def test_same_input_and_salt_give_identical_bytes_whatever_the_row_order(history, tmp_path):
    result, points = history
    first = anonymise(result.crimes, points, salt=SALT)
    shuffled = result.crimes.sample(frac=1.0, random_state=3).reset_index(drop=True)
    second = anonymise(shuffled, points, salt=SALT)
    assert csv_bytes(first, tmp_path / "a.csv") == csv_bytes(second, tmp_path / "b.csv")
    assert audit_json(first.audit) == audit_json(second.audit)
    again = anonymise(result.crimes, points, salt=SALT)
    assert csv_bytes(again, tmp_path / "c.csv") == (tmp_path / "a.csv").read_bytes()
    write_audit(first.audit, tmp_path / "a.json", tmp_path / "a.html")
    write_audit(again.audit, tmp_path / "c.json", tmp_path / "c.html")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "c.json").read_bytes()
    assert (tmp_path / "a.html").read_bytes() == (tmp_path / "c.html").read_bytes()


def test_a_different_salt_gives_different_ids(history):
    result, points = history
    a = anonymise(result.crimes, points, salt=SALT).public
    b = anonymise(result.crimes, points, salt=SALT[::-1]).public
    ids_a, ids_b = set(a["Crime ID"]) - {""}, set(b["Crime ID"]) - {""}
    assert len(ids_a) == len(ids_b) == (a["Crime type"] != vocabulary.ASB).sum()
    assert not ids_a & ids_b
    assert (
        anonymise(result.crimes, points, salt=SALT).audit["settings"]["salt_fingerprint"]
        != anonymise(result.crimes, points, salt=SALT[::-1]).audit["settings"]["salt_fingerprint"]
    )


def test_public_csv_lines_match_the_published_file_format(history, tmp_path):
    """ASB rows have no ID, so their written lines must be lines of the published files."""
    result, points = history
    release = anonymise(result.crimes, points, salt=SALT)
    data = csv_bytes(release, tmp_path / "public.csv")
    published = set(LEICS_SEP.read_bytes().split(b"\r\n")) | set(
        LEICS_OCT.read_bytes().split(b"\r\n")
    )
    lines = data.split(b"\r\n")
    assert lines[0] in published and lines[-1] == b""
    asb = [line for line in lines[1:-1] if b",Anti-social behaviour," in line]
    assert len(asb) == (release.public["Crime type"] == vocabulary.ASB).sum() > 0
    assert all(line in published for line in asb)


# --- a force extract ------------------------------------------------------------------------


def test_force_extract_leaks_no_date_reference_offence_or_free_text(force, history, tmp_path):
    frame, result = force
    _, points = history
    crimes = result.crimes
    assert crimes["occurred_at"].notna().all() and len(result.rejects) == 0
    release = anonymise(crimes, points, salt=SALT, rejects=result.rejects)
    public = release.public
    assert_public_shape(public)
    text = csv_bytes(release, tmp_path / "public.csv").decode("utf-8")
    cells = set(public.to_numpy().ravel().tolist())
    # No exact date or time, in any spelling the source or pandas would produce.
    assert not re.search(r"\d{2}/\d{2}/\d{4}|\d{4}-\d{2}-\d{2}|\b\d{1,2}:\d{2}\b", text)
    assert set(public["Month"]) == {"2022-10"}
    # No source reference, nor its unsalted hash.
    assert "LP/" not in text
    for ref in frame["CrimeRef"]:
        assert ref not in text
    # No offence text (those that are not also a public category name) and no free text.
    offences = set(frame["Offence"]) - set(vocabulary.CATEGORY_NAMES)
    assert not offences & cells
    for offence in offences - {"46"}:  # "46" is a digit run found inside coordinates
        assert offence not in text
    assert "Suspect seen" not in text and "Beat 4" not in text
    # The one sensitive row is withheld by default, and counted.
    audit = release.audit
    assert_reconciles(audit)
    assert audit["totals"]["rows_in"] == len(frame)
    assert audit["totals"]["withheld_by_rule"] == 1 == audit["totals"]["sensitive_rows"]
    assert len(public) == len(frame) - 1
    assert audit["totals"]["published_at_map_point"] == len(frame) - 1
    # True locations are 15 m off the published points (rounded to the metre): they snap
    # back, and the disclosure checks record the displacement and pass.
    assert 14.0 < audit["displacement_m"]["median"] < 16.0
    assert audit["displacement_m"]["max"] < 16.0
    assert audit["disclosure"]["passed"] is True
    assert audit["disclosure"]["figures"]["displacement"]["share_within"]["2"] == 0.0
    sensitive_category = frame["expected_category"].iloc[-1]
    row = next(c for c in audit["categories"] if c["category"] == sensitive_category)
    assert row["withheld_by_rule"] == 1


def test_an_edited_tables_unclear_sensitive_flag_is_withheld_as_sensitive(force, history):
    """A crimes table edited after the load (a layer's text column) may hold a flag that
    says neither yes nor no: the crime is treated as sensitive (fail closed), not
    published as if the flag said no; blank and "no" flags still say no."""
    frame, result = force
    _, points = history
    crimes = result.crimes.copy()
    flags = np.full(len(crimes), "N", dtype=object)
    flags[:5] = ["maybe", "S", "?", " ", "no"]
    crimes["sensitive"] = flags
    audit = anonymise(crimes, points, salt=SALT).audit
    assert_reconciles(audit)
    assert audit["totals"]["sensitive_rows"] == 3
    assert audit["totals"]["withheld_by_rule"] == 3


def test_force_extract_lsoa_comes_from_the_map_point(force, history):
    _, result = force
    _, points = history
    release = anonymise(result.crimes, points, salt=SALT)
    located = release.point_index >= 0
    assert (
        release.public.loc[located, "LSOA code"].to_numpy()
        == points.lsoa_code[release.point_index[located]]
    ).all()
    assert release.audit["lsoa_from_source_row"] == 0


def test_rules_publish_without_location_withhold_and_sensitive(force, history):
    frame, result = force
    _, points = history
    crimes = result.crimes
    rules = ReleaseRules(
        {"burglary": "no_location", "Vehicle crime": "withhold"}, sensitive_action="no_location"
    )
    release = anonymise(crimes, points, rules=rules, salt=SALT)
    public, audit = release.public, release.audit
    assert_reconciles(audit)
    by_cat = {c["category"]: c for c in audit["categories"]}
    n_burglary = int((frame["expected_category"] == "Burglary").sum())
    n_vehicle = int((frame["expected_category"] == "Vehicle crime").sum())
    assert n_burglary and n_vehicle
    burglary = public[public["Crime type"] == "Burglary"]
    assert len(burglary) == n_burglary
    assert (burglary["Location"] == "No Location").all() and (burglary["Longitude"] == "").all()
    assert by_cat["Burglary"]["without_location_reason"]["rule"] == n_burglary
    assert "Vehicle crime" not in set(public["Crime type"])
    assert by_cat["Vehicle crime"]["withheld_by_rule"] == n_vehicle
    # The sensitive row is published, without a location (unless its category withholds).
    sensitive_category = frame["expected_category"].iloc[-1]
    if sensitive_category not in ("Vehicle crime", "Burglary"):
        assert by_cat[sensitive_category]["without_location_reason"]["rule"] == 1
    assert audit["totals"]["published_without_location"] == n_burglary + (
        0 if sensitive_category in ("Vehicle crime", "Burglary") else 1
    )


def test_sensitive_rule_never_loosens_a_category_rule(force, history):
    frame, result = force
    _, points = history
    category = frame["expected_category"].iloc[-1]
    rules = ReleaseRules({category: "withhold"}, sensitive_action="map")
    assert rules.action_for(category, sensitive=True) == "withhold"
    assert rules.action_for("Drugs", sensitive=True) == "map"
    audit = anonymise(result.crimes, points, rules=rules, salt=SALT).audit
    by_cat = {c["category"]: c for c in audit["categories"]}
    assert by_cat[category]["withheld_by_rule"] == by_cat[category]["rows_in"]


# --- distance, rejects, points --------------------------------------------------------------


def test_crimes_beyond_the_maximum_distance_are_counted_not_dropped(history):
    """Newcastle crimes against Leicester map points: all more than 20 km away."""
    _, points = history
    north = load_extracts([NORTHUMBRIA_STREET]).crimes
    release = anonymise(north, points, salt=SALT)
    audit = release.audit
    assert_reconciles(audit)
    located = int(north["has_location"].sum())
    reasons = audit["totals"]["without_location_reason"]
    assert reasons["beyond_max_distance"] == located > 0
    assert reasons["no_location_in_source"] == len(north) - located
    assert len(release.public) == len(north)
    assert (release.public["Location"] == "No Location").all()
    assert (release.point_index == -1).all()
    assert audit["displacement_m"] == {"count": 0, "median": None, "p95": None, "max": None}
    assert any("more than 20,000 m" in w for w in audit["warnings"])
    # With a huge maximum distance they all snap (to a Leicester point, far away).
    far = anonymise(north, points, salt=SALT, max_distance_m=400_000.0).audit
    assert far["totals"]["published_at_map_point"] == located
    assert far["displacement_m"]["median"] > 100_000


def test_rejected_rows_are_counted_per_category_where_known(history):
    _, points = history
    files = [
        MALFORMED / f"2022-10-{name}-street.csv"
        for name in ("bad-coordinates", "field-count", "unknown-category")
    ]
    result = load_extracts(files)
    assert len(result.rejects)
    release = anonymise(result.crimes, points, salt=SALT, rejects=result.rejects)
    audit = release.audit
    assert_reconciles(audit)
    assert audit["totals"]["rows_in"] == len(result.crimes) + len(result.rejects)
    assert audit["totals"]["rejected"] == len(result.rejects)
    by_cat = {c["category"]: c for c in audit["categories"]}
    # Wrong field counts and unknown categories cannot name a category; the rest can.
    unknown = result.rejects["reason"].isin(["wrong_field_count", "unknown_category"]).sum()
    assert by_cat[UNKNOWN_REJECTED]["rejected"] == unknown
    assert (
        sum(c["rejected"] for c in audit["categories"] if c["category"] != UNKNOWN_REJECTED)
        == len(result.rejects) - unknown
    )


def test_audit_reports_catchments_warnings_and_a_reused_index(history):
    result, _ = history
    crimes = result.crimes
    lon = crimes["longitude"].to_numpy()
    lat = crimes["latitude"].to_numpy()
    ok = np.isfinite(lon)
    # A point layer with catchment counts: three points, one below police.uk's minimum.
    pick = [int(i) for i in np.flatnonzero(ok)[[0, 500, 1000]]]
    points = map_points_from_arrays(
        lon[pick],
        lat[pick],
        ["A Road", "B Street", "<script>"],
        addresses=[12, 5, 40],
        lsoa_code=["E1", "E2", "E3"],
        lsoa_name=["N1", "N2", "N3"],
    )
    index = MapPointIndex(points)
    release = anonymise(crimes, points, salt=SALT, index=index)
    audit = release.audit
    assert_reconciles(audit)
    assert audit["map_points"]["used"] == 3
    assert audit["map_points"]["smallest_catchment_addresses"] == 5
    assert audit["map_points"]["used_below_minimum_addresses"] == 1
    assert any("at least 8" in w for w in audit["warnings"])
    assert audit["displacement_m"]["max"] > audit["displacement_m"]["median"] > 0
    assert set(release.public["LSOA code"]) <= {"E1", "E2", "E3", ""}
    # The hexagon fallback's warning reaches the audit.
    hexes = map_points_hexagon_fallback(lon[ok], lat[ok], 1000.0)
    hex_audit = anonymise(crimes, hexes, salt=SALT).audit
    assert hexes.warnings and set(hexes.warnings) <= set(hex_audit["warnings"])
    assert hex_audit["map_points"]["used_by_source"] == {
        "hexagon fallback": hex_audit["map_points"]["used"]
    }


# --- bad input ------------------------------------------------------------------------------


class _NoPoints:
    def __len__(self) -> int:
        return 0


@pytest.mark.parametrize(
    "salt, message",
    [
        (None, "No salt"),
        (b"", "No salt"),
        ("", "No salt"),
        (b"short salt", "at least 16"),
    ],
)
def test_a_missing_or_short_salt_is_refused(history, salt, message):
    result, points = history
    with pytest.raises(AnonymiseError, match=message):
        anonymise(result.crimes, points, salt=salt)


def test_text_salt_is_its_utf8_bytes(history):
    result, points = history
    a = anonymise(result.crimes.head(50), points, salt=SALT.decode()).public
    b = anonymise(result.crimes.head(50), points, salt=SALT).public
    assert a.equals(b)


def test_bad_inputs_fail_before_any_work(history):
    result, points = history
    crimes = result.crimes
    with pytest.raises(AnonymiseError, match="no map points"):
        anonymise(crimes, _NoPoints(), salt=SALT)  # type: ignore[arg-type]
    with pytest.raises(AnonymiseError, match="no map points"):
        anonymise(crimes, None, salt=SALT)  # type: ignore[arg-type]
    with pytest.raises(AnonymiseError, match="crime_type"):
        anonymise(crimes.drop(columns=["crime_type"]), points, salt=SALT)
    no_category = crimes.assign(crime_type=pd.Categorical([None] * len(crimes)))
    with pytest.raises(AnonymiseError, match="known police.uk crime category"):
        anonymise(no_category, points, salt=SALT)
    with pytest.raises(AnonymiseError, match="The crimes table has no rows"):
        anonymise(crimes.head(0), points, salt=SALT)  # (not blamed on the mapping profile)
    exact = crimes.assign(month=crimes["month"].astype(str) + "-14")
    with pytest.raises(AnonymiseError, match="YYYY-MM"):
        anonymise(exact, points, salt=SALT)
    with pytest.raises(AnonymiseError, match="maximum distance"):
        anonymise(crimes, points, salt=SALT, max_distance_m=0)
    with pytest.raises(AnonymiseError, match="ReleaseRules"):
        anonymise(crimes, points, rules={"Burglary": "map"}, salt=SALT)  # type: ignore


def test_rows_without_a_known_category_are_counted_as_rejected(history):
    result, points = history
    crimes = result.crimes.head(100).copy()
    crimes["crime_type"] = crimes["crime_type"].astype(object)
    crimes.loc[crimes.index[:3], "crime_type"] = "Fraud and forgery"
    audit = anonymise(crimes, points, salt=SALT).audit
    assert_reconciles(audit)
    unknown = next(c for c in audit["categories"] if c["category"] == "(unknown category)")
    assert unknown["rows_in"] == unknown["rejected"] == 3
    assert audit["published_rows"] == 97


def test_table_read_back_from_a_layer_works_too(history):
    """Plain object/int columns (as read from a GeoPackage) give the same public table."""
    result, points = history
    crimes = result.crimes
    plain = pd.DataFrame(
        {
            c: (
                crimes[c].astype(object).where(crimes[c].notna(), None)
                if isinstance(crimes[c].dtype, pd.CategoricalDtype)
                else crimes[c]
            )
            for c in crimes.columns
        }
    )
    plain["sensitive"] = plain["sensitive"].astype(int)
    plain["has_location"] = plain["has_location"].astype(int)
    a = anonymise(crimes, points, salt=SALT).public
    b = anonymise(plain, points, salt=SALT).public
    assert a.equals(b)


# --- audit page -----------------------------------------------------------------------------


def test_audit_page_is_accessible_and_escapes_everything(history, tmp_path):
    result, _ = history
    crimes = result.crimes
    ok = np.flatnonzero(crimes["has_location"].to_numpy())[:2]
    points = map_points_from_arrays(
        crimes["longitude"].to_numpy()[ok],
        crimes["latitude"].to_numpy()[ok],
        ["<script>alert(1)</script>", "A & B Road"],
        warnings=["<b>not street level</b>"],
    )
    release = anonymise(crimes, points, salt=SALT)
    assert "On or near <script>alert(1)</script>" in set(release.public["Location"])
    gate = {
        "passed": False,
        "checks": [
            {
                "name": "no_source_references",
                "passed": False,
                "detail": "1 leak <img src=x>",
                "examples": ["<script>x</script>"],
            }
        ],
    }
    audit = attach_gate_report(release.audit, gate)
    assert audit["leak_gate"] == gate
    html = render_audit_html(audit)
    assert '<html lang="en">' in html and "<h1>" in html and "<h2" in html
    assert "<caption>" in html and 'scope="col"' in html and 'scope="row"' in html
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;b&gt;not street level&lt;/b&gt;" in html
    assert "&lt;img src=x&gt;" in html
    assert "FAILED" in html and "user-scalable" not in html
    assert audit["settings"]["salt_fingerprint"] in html
    assert SALT.decode() not in html and SALT.decode() not in audit_json(audit)
    write_audit(audit, tmp_path / "audit.json", tmp_path / "audit.html")
    assert json.loads((tmp_path / "audit.json").read_text(encoding="utf-8")) == audit
    assert (tmp_path / "audit.html").read_text(encoding="utf-8") == html


def test_audit_has_no_clock_and_names_the_version(history):
    result, points = history
    audit = anonymise(result.crimes, points, salt=SALT).audit
    from crime_mapper import plugin_version

    assert audit["crime_mapper_version"] == plugin_version()
    assert audit["leak_gate"] is None
    text = audit_json(audit)
    assert not re.search(r"\d{2}:\d{2}", text)
    assert json.loads(text) == audit


# --- release rules --------------------------------------------------------------------------


def test_default_rules_map_everything_and_withhold_sensitive_rows():
    assert set(DEFAULT_RULES.category_actions.values()) == {"map"}
    assert set(DEFAULT_RULES.category_actions) == set(vocabulary.all_category_names())
    assert DEFAULT_RULES.sensitive_action == "withhold"


def test_shipped_default_rules_file_is_generated_from_the_constant():
    shipped = ROOT / "crime_mapper" / "resources" / "release_rules_default.json"
    assert shipped.read_text(encoding="utf-8") == DEFAULT_RULES.to_json()
    assert ReleaseRules.load(shipped) == DEFAULT_RULES


def test_rules_round_trip_and_accept_slugs(tmp_path):
    rules = ReleaseRules(
        {"violent-crime": "no_location", "Drugs": "withhold"}, sensitive_action="no_location"
    )
    assert rules.category_actions["Violence and sexual offences"] == "no_location"
    rules.save(tmp_path / "rules.json")
    assert ReleaseRules.load(tmp_path / "rules.json") == rules


@pytest.mark.parametrize(
    "data, message",
    [
        ({"category_actions": {"Fraud": "map"}}, "unknown crime category 'Fraud'"),
        ({"category_actions": {"Burglary": "publish"}}, "unknown action 'publish'"),
        ({"sensitive_action": "hide"}, "unknown action 'hide'"),
        ({"category_actions": []}, "must be an object"),
        ({"colour": "red"}, "unknown key"),
        ({"version": 9}, "version 9"),
        ({"version": True}, "version True"),
        ({"version": 1.0}, "version 1.0"),
        ({"min_catchment_addresses": 10**30}, "min_catchment_addresses 1,000,000,000,"),
        ({"min_catchment_addresses": 1001}, "1,001 is more than 1,000"),
        # "actions" lists the action words for whoever reads the file; it sets nothing, and
        # was not read at all: 5, or a word the reader does not know, passed in silence
        ({"actions": 5}, "actions must be a list of the action words"),
        ({"actions": ["map", "publish"]}, "unknown action 'publish' in actions"),
    ],
)
def test_bad_rules_are_refused_with_a_clear_message(tmp_path, data, message):
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ReleaseRulesError, match=message):
        ReleaseRules.load(path)


def test_the_largest_allowed_k_is_read():
    """The bound on min_catchment_addresses refuses typos, not a strict force's policy."""
    assert ReleaseRules.from_dict({"min_catchment_addresses": 1000}).min_catchment_addresses == 1000


def test_points_are_a_real_map_points_object(history):
    _, points = history
    assert isinstance(points, MapPoints) and len(points) > 1000


def test_withholding_everything_gives_an_empty_table_with_the_header(history, tmp_path):
    result, points = history
    rules = ReleaseRules({name: "withhold" for name in vocabulary.all_category_names()})
    release = anonymise(result.crimes, points, rules=rules, salt=SALT)
    assert len(release.public) == 0 and tuple(release.public.columns) == PUBLIC_COLUMNS
    assert release.audit["totals"]["withheld_by_rule"] == len(result.crimes)
    assert_reconciles(release.audit)
    out = tmp_path / "public.csv"
    write_public_csv(release.public, out)
    assert out.read_bytes() == ",".join(PUBLIC_COLUMNS).encode() + b"\r\n"


def test_a_release_publishing_nothing_says_so_first_in_the_audit(history):
    """Every crime withheld (or rejected) was a release like any other: the audit said
    nothing, only its counts showed 0 published. Its first warning now says so, and the page
    says it at the top; a release that publishes crimes has no such warning."""
    result, points = history
    rules = ReleaseRules({name: "withhold" for name in vocabulary.all_category_names()})
    audit = anonymise(result.crimes, points, rules=rules, salt=SALT).audit
    rows = len(result.crimes)
    assert audit["published_rows"] == 0
    assert audit["warnings"][0] == (
        f"Nothing is published: all {rows:,} crime row(s) were withheld by rule ({rows:,}) or "
        "rejected (0); the public files hold no crime. Check the release rules and the load "
        "before publishing this release."
    )
    page = render_audit_html(audit)
    top = page.split('<h2 id="rows">')[0]
    assert f'<p class="status" role="alert">Nothing is published: all {rows:,} crime' in top
    published = anonymise(result.crimes, points, rules=DEFAULT_RULES, salt=SALT).audit
    assert not any(w.startswith("Nothing is published") for w in published["warnings"])
    assert 'role="alert"' not in render_audit_html(published)


def test_a_release_withholding_everything_is_named_by_its_input(history, tmp_path):
    """Every crime withheld by rule left a public table without a month or a force, and the
    release was written as no-month-force-street.csv: named, as any release, by the month
    and force of the crimes it was made from; the audit still accounts for every row."""
    from crime_mapper.core.release.pipeline import run_anonymise
    from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE, make_salt

    _, points = history
    rules = ReleaseRules({name: "withhold" for name in vocabulary.all_category_names()})
    out = tmp_path / "release"
    made = run_anonymise(
        [FORCE_EXTRACT],
        points,
        rules,
        make_salt(tmp_path / "secret" / "s.salt"),
        out,
        profile_path=FORCE_PROFILE,
    )
    assert made.public_csv == out / "2022-10-leicestershire-street.csv"
    assert made.public_gpkg == out / "2022-10-leicestershire-street.gpkg"
    assert made.public_csv.read_bytes() == ",".join(PUBLIC_COLUMNS).encode() + b"\r\n"
    assert made.withheld_by_rule == made.rows_in > 0 and made.published_rows == 0
    assert_reconciles(made.audit)


def test_a_release_with_no_month_anywhere_is_refused_not_named_no_month():
    from crime_mapper.core.release.release_files import ReleaseInputError, public_csv_name

    empty = pd.DataFrame(columns=list(PUBLIC_COLUMNS))
    assert (
        public_csv_name(empty, ["2022-10"], ["Leicestershire Police"])
        == "2022-10-leicestershire-street.csv"
    )
    with pytest.raises(ReleaseInputError, match="cannot be named"):
        public_csv_name(empty, [], ["Leicestershire Police"])


def test_cancelling_stops_the_step(history):
    from crime_mapper.core.common.feedback import Cancelled, Feedback

    class CancelAfterStart(Feedback):
        def __init__(self) -> None:
            self.seen: list[float] = []

        def set_progress(self, percent: float) -> None:
            self.seen.append(percent)

        def is_cancelled(self) -> bool:
            return bool(self.seen)

    result, points = history
    feedback = CancelAfterStart()
    with pytest.raises(Cancelled):
        anonymise(result.crimes, points, salt=SALT, feedback=feedback)
    assert feedback.seen and max(feedback.seen) < 100


def test_the_crime_ids_are_the_salted_references(history):
    """The Crime IDs are the published rows' own references' HMAC-SHA256 under the salt
    (blank for anti-social behaviour), computed here with the standard library's hmac."""
    result, points = history
    release = anonymise(result.crimes, points, salt=SALT)
    public = release.public
    assert len(public) > 1000
    expected = {
        hmac.new(SALT, ref.encode(), hashlib.sha256).hexdigest()
        for ref, kind in zip(result.crimes["crime_id"], result.crimes["crime_type"])
        if ref and kind != "Anti-social behaviour"
    }
    ids = public["Crime ID"]
    asb = public["Crime type"] == "Anti-social behaviour"
    assert (ids[asb] == "").all()
    assert set(ids[~asb]) <= expected and ids[~asb].is_unique


def test_a_force_release_passes_the_leak_gate_and_the_audit_records_it(force, history, tmp_path):
    from crime_mapper.core.gate.leak_gate import CHECK_NAMES, check_release

    _, result = force
    _, points = history
    release = anonymise(result.crimes, points, salt=SALT, rejects=result.rejects)
    out = tmp_path / "public.csv"
    write_public_csv(release.public, out)
    report = check_release(result.crimes, out, points)
    assert report.passed, report.message()
    audit = attach_gate_report(release.audit, report)
    assert [c["name"] for c in audit["leak_gate"]["checks"]] == list(CHECK_NAMES)
    html = render_audit_html(audit)
    for name in CHECK_NAMES:
        assert f'<th scope="row">{name}</th>' in html
    json.loads(audit_json(audit))


def test_audit_page_names_each_disclosure_check_in_plain_words(history):
    """The page listed the checks by their names alone ("map_points_are_crimes: passed");
    each now reads in plain words, its name beside it (the name a refusal quotes)."""
    from crime_mapper.core.release.disclosure import CHECK_TITLES, CHECKS

    assert set(CHECK_TITLES) == set(CHECKS)
    result, _ = history
    crimes = result.crimes
    ok = np.flatnonzero(crimes["has_location"].to_numpy())
    points = map_points_from_arrays(
        crimes["longitude"].to_numpy()[ok] + 0.001,
        crimes["latitude"].to_numpy()[ok],
        ["Main Street"] * len(ok),
        source=["police.uk history"] * len(ok),
    )
    audit = anonymise(crimes, points, salt=SALT).audit
    html = render_audit_html(audit)
    assert set(audit["disclosure"]["checks"]) == set(CHECKS)
    shown = html.replace("<wbr>", "")  # (names break after an underscore)
    for name, title in CHECK_TITLES.items():
        assert f'<th scope="row">{title} (<code class="name">{name}</code>)</th>' in shown, name
