"""Disclosure safety (issue 9) on real data: a real police.uk month made into a raw force
extract (tests/support/raw_extract.py), attacked as a careless analyst would.

Each attack is refused with a clear message, by the release pipeline (anonymise, which
every caller goes through) and, where an output can show it, by the leak gate; the honest
release of the same month still passes (its agreement with police.uk's points is measured in
tests/test_police_uk_recovery.py). Real data: sample_data/police-uk (Contains public sector
information licensed under the Open Government Licence v3.0.).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.common.geography import BRITISH_NATIONAL_GRID, WGS84, transform
from crime_mapper.core.gate.leak_gate import check_release
from crime_mapper.core.release.anonymise import DisclosureRefused, anonymise
from crime_mapper.core.release.disclosure import (
    MIN_HEXAGON_M,
    is_address_label,
    street_labels,
    street_of,
)
from crime_mapper.core.release.map_points import (
    map_points_from_arrays,
    map_points_hexagon_fallback,
)
from crime_mapper.core.release.public_schema import write_public_csv
from crime_mapper.core.release.rules import ReleaseRules
from tests.support.raw_extract import BUNDLED_HISTORY, POLICE_UK_LIKE_RULES, run_recovery

SALT = b"test salt for the disclosure tests!"
RULES = ReleaseRules(**POLICE_UK_LIKE_RULES)


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """October 2022 of the bundled Leicester months as a raw extract, its honest release."""
    figure, pieces = run_recovery(
        "disclosure", BUNDLED_HISTORY, "2022-10", tmp_path_factory.mktemp("month"), salt=SALT
    )
    pieces["figure"] = figure
    return pieces


def crimes_of(month: dict) -> pd.DataFrame:
    return month["load"].crimes


def refused(crimes: pd.DataFrame, points, rules: ReleaseRules = RULES, **kw) -> DisclosureRefused:
    with pytest.raises(DisclosureRefused) as info:
        anonymise(crimes, points, rules=rules, salt=SALT, **kw)
    return info.value


def failed_checks(error: DisclosureRefused) -> set[str]:
    return {f.check for f in error.report.findings}


# --- the honest release ---------------------------------------------------------------------


def test_the_honest_release_passes_and_records_its_figures(month: dict):
    audit = month["release"].audit
    assert month["figure"].fraction >= 0.99
    assert month["gate"].passed, month["gate"].message()
    d = audit["disclosure"]
    assert d["passed"] is True and d["min_catchment_addresses"] == 8
    assert set(d["checks"].values()) == {"passed"}
    share = d["figures"]["displacement"]["share_within"]["2"]
    assert 0.0 < share < 0.06  # as the calibration months: about 4% within 2 m
    assert d["figures"]["displacement"]["median_m"] > 12.0


# --- map points made from the crimes themselves -----------------------------------------------


def crime_points(crimes: pd.DataFrame, labels: np.ndarray | None = None):
    located = crimes[crimes["has_location"]]
    return map_points_from_arrays(
        located["longitude"].to_numpy(),
        located["latitude"].to_numpy(),
        labels,
    )


def test_the_crimes_layer_as_map_points_is_refused(month: dict):
    crimes = crimes_of(month)
    error = refused(crimes, crime_points(crimes))
    assert {"coincident_locations", "map_points_are_crimes", "unknown_catchments"} <= (
        failed_checks(error)
    )
    message = str(error)
    assert "within 2 m of their true location" in message
    assert "median displacement is 0.0 m" in message
    assert "the crimes layer chosen as the map points" in message
    # an analyst's confirmation of the layer does not make the crimes anonymous
    confirmed = ReleaseRules(
        **POLICE_UK_LIKE_RULES, confirm_unknown_catchments="checked by the analyst"
    )
    again = refused(crimes, crime_points(crimes), rules=confirmed)
    assert {"coincident_locations", "map_points_are_crimes"} <= failed_checks(again)
    assert "unknown_catchments" not in failed_checks(again)


def test_the_gate_refuses_crimes_published_at_their_true_location(month: dict):
    """The output side of the same attack: every crime at its own coordinates, and those
    coordinates given to the gate as "map points", pass every other check."""
    crimes = crimes_of(month)
    points = crime_points(crimes)
    public = month["release"].public.copy()
    located = crimes[crimes["has_location"]]
    rows = np.flatnonzero(public["Longitude"].to_numpy() != "")
    n = min(rows.size, len(located))
    public.loc[rows[:n], "Longitude"] = [f"{v:.6f}" for v in located["longitude"].to_numpy()[:n]]
    public.loc[rows[:n], "Latitude"] = [f"{v:.6f}" for v in located["latitude"].to_numpy()[:n]]
    report = check_release(crimes, public, points)
    assert {c.name for c in report.checks if not c.passed} == {"locations_are_anonymous"}
    assert "published at their true location" in report.message()


def test_map_points_from_another_months_crimes_are_refused(month: dict):
    crimes = crimes_of(month)
    located = crimes[crimes["has_location"]]
    half = len(located) // 2
    earlier = located.iloc[:half]  # "last month's" internal table, used as map points
    points = map_points_from_arrays(
        earlier["longitude"].to_numpy(), earlier["latitude"].to_numpy(), None
    )
    this_month = crimes.drop(index=earlier.index)
    confirmed = ReleaseRules(**POLICE_UK_LIKE_RULES, confirm_unknown_catchments="checked")
    error = refused(
        this_month,
        points,
        rules=confirmed,
        other_raw=((earlier["longitude"].to_numpy(), earlier["latitude"].to_numpy()),),
    )
    assert "map_points_are_crimes" in failed_checks(error)
    assert "another loaded month's crimes" in str(error)


# --- a tiny hexagon fallback ---------------------------------------------------------------------


@pytest.mark.parametrize("size", [10.0])  # (the smallest the hexagon lattice makes)
def test_a_tiny_hexagon_fallback_is_refused(month: dict, size: float):
    crimes = crimes_of(month)
    located = crimes[crimes["has_location"]]
    points = map_points_hexagon_fallback(
        located["longitude"].to_numpy(), located["latitude"].to_numpy(), size, min_locations=1
    )
    error = refused(crimes, points)
    assert {"hexagon_size", "coincident_locations"} <= failed_checks(error)
    assert f"the minimum is {MIN_HEXAGON_M:g} m" in str(error)


def test_hexagon_cells_with_fewer_than_k_locations_are_refused_then_merged(month: dict):
    crimes = crimes_of(month)
    located = crimes[crimes["has_location"]]
    lon, lat = located["longitude"].to_numpy(), located["latitude"].to_numpy()
    thin = map_points_hexagon_fallback(lon, lat, 400.0, min_locations=1)
    error = refused(crimes, thin)
    assert failed_checks(error) == {"hexagon_cells"}
    assert "fewer than 8 distinct true locations" in str(error)
    # built with the rule (the default), the same size passes, and the gate agrees
    points = map_points_hexagon_fallback(lon, lat, 400.0)
    release = anonymise(crimes, points, rules=RULES, salt=SALT)
    assert release.audit["disclosure"]["passed"] is True
    assert release.audit["disclosure"]["figures"]["hexagon_cells_below_k"] == 0
    report = check_release(crimes, release.public, points)
    assert report.passed, report.message()


# --- catchments, user layers and labels --------------------------------------------------------


def test_catchments_below_k_are_refused_unless_a_rules_file_lowers_k(month: dict, tmp_path: Path):
    crimes, base = crimes_of(month), month["points"]
    used = np.unique(month["release"].point_index[month["release"].point_index >= 0])
    addresses = np.full(len(base), 40, dtype=np.int64)
    addresses[used[:25]] = 3  # 25 busy points with 3 addresses each
    points = map_points_from_arrays(
        base.longitude, base.latitude, base.label, source="roads", addresses=addresses,
        lsoa_code=base.lsoa_code, lsoa_name=base.lsoa_name,
    )  # fmt: skip
    error = refused(crimes, points)
    assert failed_checks(error) == {"small_catchments"}
    assert "25 map point(s) used have a catchment of 1 to 7 addresses" in str(error)
    # the gate refuses a release that used them too
    lowered = ReleaseRules(**POLICE_UK_LIKE_RULES, min_catchment_addresses=3)
    release = anonymise(crimes, points, rules=lowered, salt=SALT)
    assert not check_release(crimes, release.public, points).passed
    # a saved rules file that lowers K: accepted, and K is recorded
    path = tmp_path / "rules.json"
    lowered.save(path)
    loaded = ReleaseRules.load(path)
    assert loaded.min_catchment_addresses == 3
    release = anonymise(crimes, points, rules=loaded, salt=SALT)
    assert release.audit["disclosure"]["min_catchment_addresses"] == 3
    assert release.audit["settings"]["rules"]["min_catchment_addresses"] == 3
    report = check_release(crimes, release.public, points, min_catchment_addresses=3)
    assert report.passed, report.message()
    # the command line's check-release reads K from the same rules file
    from crime_mapper.cli import main
    from crime_mapper.core.release.map_points import write_map_points_csv

    write_map_points_csv(points, tmp_path / "points.csv")
    write_public_csv(release.public, tmp_path / "2022-10-leicestershire-street.csv")
    raw_path = Path(month["raw_path"])
    args = [
        "check-release", str(raw_path), "--profile",
        str(raw_path.parent / "raw-force-extract-profile.json"),
        "--points", str(tmp_path / "points.csv"),
        "--release", str(tmp_path / "2022-10-leicestershire-street.csv"),
    ]  # fmt: skip
    assert main(args) == 3  # K = 8 by default: the leak gate fails
    assert main([*args, "--rules", str(path)]) == 0


def test_a_user_layer_without_address_counts_needs_a_recorded_confirmation(month: dict):
    crimes, base = crimes_of(month), month["points"]
    layer = map_points_from_arrays(
        base.longitude, base.latitude, base.label, source="layer",
        lsoa_code=base.lsoa_code, lsoa_name=base.lsoa_name,
    )  # fmt: skip
    error = refused(crimes, layer)
    assert failed_checks(error) == {"unknown_catchments"}
    assert "confirm_unknown_catchments" in str(error)
    note = "Street-centre layer from the force GIS team, checked by J. Analyst"
    rules = ReleaseRules(**POLICE_UK_LIKE_RULES, confirm_unknown_catchments=note)
    release = anonymise(crimes, layer, rules=rules, salt=SALT)
    assert release.audit["disclosure"]["unknown_catchments_confirmation"] == note
    assert release.audit["settings"]["rules"]["confirm_unknown_catchments"] == note


def test_house_number_labels_are_reduced_to_the_street_or_refused(month: dict):
    crimes, base = crimes_of(month), month["points"]
    used = np.unique(month["release"].point_index[month["release"].point_index >= 0])
    labels = base.label.copy()
    named = [i for i in used.tolist() if labels[i]][:30]
    for j, i in enumerate(named):
        labels[i] = f"{12 + j} {str(labels[i]).upper()}"
    points = map_points_from_arrays(
        base.longitude, base.latitude, labels, source="police.uk history",
        lsoa_code=base.lsoa_code, lsoa_name=base.lsoa_name,
    )  # fmt: skip
    release = anonymise(crimes, points, rules=RULES, salt=SALT)
    location = set(release.public["Location"])
    assert not any(is_address_label(v[len("On or near ") :]) for v in location)
    assert f"On or near {str(base.label[named[0]]).upper()}" in location
    d = release.audit["disclosure"]
    assert d["labels_reduced_to_street"] == 30 and d["labels_refused"] == 0
    assert any("reduced to the street" in w for w in release.audit["warnings"])
    # a label that is only a flat number has no street to keep: refused
    labels[named[0]] = "Flat 3"
    points = map_points_from_arrays(
        base.longitude, base.latitude, labels, source="police.uk history",
        lsoa_code=base.lsoa_code, lsoa_name=base.lsoa_name,
    )  # fmt: skip
    error = refused(crimes, points)
    assert failed_checks(error) == {"address_labels"}


def test_address_label_rules_on_every_real_label():
    """No label police.uk published in the bundled months is an address; the forms a force
    layer uses are."""
    labels = pd.concat(
        pd.read_csv(p, dtype=str, keep_default_na=False)["Location"]
        for p in sorted(Path(BUNDLED_HISTORY[0]).glob("*-street.csv"))
    )
    streets = labels.str.replace("On or near ", "", regex=False).unique()
    new, reduced, refused_ = street_labels(streets)
    assert not reduced.any() and not refused_.any()
    for label, street in (
        ("12 ACACIA AVENUE", "ACACIA AVENUE"),
        ("12a High Street", "High Street"),
        ("12-14 Mill Lane", "Mill Lane"),
        ("Flat 3, 7 Mill Court", "Mill Court"),
        ("Apartment 12 Riverside", "Riverside"),
    ):
        assert is_address_label(label) and street_of(label) == street
    for label in ("A6", "M1", "A167(M)", "Cross Villa Place No 1", "Tenth Avenue"):
        assert not is_address_label(label)


# --- the gate's known misses, planted in a public folder -----------------------------------------


@pytest.fixture()
def site(month: dict, tmp_path: Path) -> Path:
    """A public folder as the tool writes one: the release CSV, a page and a QGIS style."""
    folder = tmp_path / "site"
    folder.mkdir()
    write_public_csv(month["release"].public, folder / "2022-10-leicestershire-street.csv")
    (folder / "index.html").write_text(
        "<html><body><h1>Crime in Leicester, October 2022</h1><p>Crimes are shown at the "
        "nearest anonymous map point.</p><!--plant--></body></html>",
        encoding="utf-8",
    )
    qml = Path(__file__).resolve().parent.parent / "crime_mapper" / "resources" / "styles"
    style = next(iter(sorted(qml.glob("*.qml"))), None)
    if style is not None:
        shutil.copy(style, folder / "2022-10-leicestershire-street.qml")
    else:
        (folder / "2022-10-leicestershire-street.qml").write_text(
            "<!DOCTYPE qgis><qgis version='3.22'><renderer-v2 type='singleSymbol'/></qgis>",
            encoding="utf-8",
        )
    return folder


def plant(site: Path, text: str) -> None:
    page = site / "index.html"
    page.write_text(
        page.read_text(encoding="utf-8").replace("<!--plant-->", f"<p>{text}</p>"),
        encoding="utf-8",
    )


def failed(month: dict, site: Path, **kw) -> set[str]:
    report = check_release(crimes_of(month), site, month["points"], **kw)
    return {c.name for c in report.checks if not c.passed}


def raw(month: dict, i: int = 5) -> pd.Series:
    crimes = crimes_of(month)
    return crimes[crimes["has_location"]].iloc[i]


def test_the_clean_folder_passes_with_its_qml(month: dict, site: Path):
    assert (site / "2022-10-leicestershire-street.qml").is_file()
    report = check_release(crimes_of(month), site, month["points"])
    assert report.passed, report.message()


def test_a_qml_holding_a_raw_value_fails(month: dict, site: Path):
    note = str(raw(month)["extra_mo_notes"])
    (site / "extra.qml").write_text(
        f"<qgis><layer-tree><![CDATA[{note}]]></layer-tree></qgis>", encoding="utf-8"
    )
    assert "no_non_public_values" in failed(month, site)


@pytest.mark.parametrize(
    "make, check",
    [
        (lambda r: str(r["crime_id"]).lower(), "no_source_references"),
        (lambda r: str(r["crime_id"]).replace("/", ""), "no_source_references"),
        (lambda r: "Ref " + str(r["crime_id"]).replace("/", " "), "no_source_references"),
        (lambda r: "Seen at 1257hrs", "no_dates_finer_than_month"),
        (lambda r: "It happened on the 25th Oct", "no_dates_finer_than_month"),
        (lambda r: "Reported at 9.30pm", "no_dates_finer_than_month"),
        (
            lambda r: f"Grid {round(r['source_x'], -1):.0f} {round(r['source_y'], -1):.0f}",
            "no_raw_coordinates",
        ),
        (lambda r: "Grid ref " + os_grid(r["source_x"], r["source_y"]), "no_raw_coordinates"),
        (lambda r: str(r["extra_mo_notes"]).upper(), "no_non_public_values"),
        (lambda r: str(r["extra_officer_in_case"]).lower(), "no_non_public_values"),
        (lambda r: "Witness: " + " ".join(str(r["extra_mo_notes"]).split()[2:9]) + " and so on",
         "no_non_public_values"),
        (lambda r: "On or near 12 ACACIA AVENUE", "locations_are_anonymous"),
        (lambda r: "Call 07700 900461 for details", "no_contact_details"),
        (lambda r: "Mail fatima.wilson@example.co.uk", "no_contact_details"),
    ],
)  # fmt: skip
def test_each_known_miss_is_planted_and_caught(month: dict, site: Path, make, check: str):
    plant(site, make(raw(month)))
    assert check in failed(month, site)


@pytest.mark.parametrize(
    "team, leak",
    [
        ([f"0116 496 {i:04d}" for i in range(8)], "Call 07700 900461 for details"),
        ([f"officer{i}@example.police.uk" for i in range(8)], "Mail fatima.wilson@example.co.uk"),
    ],
)
def test_allowed_contacts_never_hide_a_leaked_one(month: dict, site: Path, team, leak):
    """A page may list many public contacts (a neighbourhood team's); a leaked one after them
    is still found, however many allowed ones come first; without it the page passes."""
    page = site / "index.html"
    clean = page.read_text(encoding="utf-8")
    plant(site, " ".join(team) + " " + leak)
    assert "no_contact_details" in failed(month, site, extra_public_values=team)
    page.write_text(clean, encoding="utf-8")
    plant(site, " ".join(team))
    assert "no_contact_details" not in failed(month, site, extra_public_values=team)


def os_grid(x: float, y: float) -> str:
    letters = "ABCDEFGHJKLMNOPQRSTUVWXYZ"
    e100, n100 = int(x // 100000), int(y // 100000)
    first = letters[(19 - n100) // 5 * 5 + (e100 + 10) // 5]
    second = letters[(19 - n100) * 5 % 25 + e100 % 5]
    return f"{first}{second} {int(x % 100000):05d} {int(y % 100000):05d}"


def test_os_grid_letters_are_read_as_the_national_grid():
    from crime_mapper.core.gate.scan import os_grid_references

    assert os_grid(422089, 563784) == "NZ 22089 63784"
    assert os_grid_references("NZ 22089 63784")[0][:3] == (422089, 563784, 1)
    assert os_grid_references("SK 5804")[0][:3] == (458000, 304000, 1000)


def test_a_run_of_lone_raw_eastings_is_caught(month: dict, site: Path):
    crimes = crimes_of(month)
    xs = crimes["source_x"].dropna().to_numpy()[:30]
    plant(site, "Eastings: " + ", ".join(f"{v:.0f}" for v in xs))
    assert "no_raw_coordinates" in failed(month, site)


def test_numbers_and_words_that_are_not_leaks_pass(month: dict, site: Path):
    """The widened patterns do not fire on public prose."""
    plant(
        site,
        "Published 2022-10. 4,434 crimes; 12 categories; about 1000 m across. See "
        "data.police.uk for the national data. Anti-social behaviour fell 3.5% on 2021.",
    )
    assert failed(month, site) == set()


SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "police-uk"


def test_no_false_alarm_on_real_police_uk_months(tmp_path: Path):
    """Each real police.uk month, as a public output against the raw extract made from it,
    passes every check of the widened gate: the false-alarm rate is zero. Every month in
    ../shared/data where the checkout has it (every sixth month of each force here; all 41
    with tools/gate_false_alarms.py), else the bundled month."""
    from tools.gate_false_alarms import bundled_runs, false_alarms, shared_runs

    runs = bundled_runs()
    if SHARED.is_dir():
        runs = [
            (history, dict(sorted(outputs.items())[::6]))
            for history, outputs in shared_runs(SHARED)
        ]
    results = [r for history, outputs in runs for r in false_alarms(history, outputs, tmp_path)]
    assert results and all(r["passed"] for r in results), "\n".join(
        r["message"] for r in results if not r["passed"]
    )


# --- rows police.uk would publish without a location -------------------------------------------


def test_no_fixed_location_rows_are_published_without_a_location(month: dict, tmp_path: Path):
    """A force's rows without coordinates say where they are not: "NO FIXED LOCATION",
    "Online", "N/A". They are accepted as no location (a warning in the validation report),
    published without one, and the release has exactly police.uk's no-location count."""
    from crime_mapper.core.load.loader import load_extracts
    from crime_mapper.core.load.mapping_profile import MappingProfile
    from crime_mapper.core.load.validation_report import report_dict

    extract, truth = month["extract"], month["extract"].truth
    frame = extract.frame.copy()
    blank = (frame["Easting"] == "").to_numpy()
    said = np.array(["NO FIXED LOCATION", "Online", "N/A", "no location"], dtype=object)
    labels = truth["location"].str.replace("On or near ", "", regex=False).str.upper()
    house = pd.Series(np.arange(len(frame)) % 90 + 1).astype(str)
    frame["Location"] = np.where(blank, said[np.arange(len(frame)) % 4], house + " " + labels)
    path = tmp_path / "2022-10-force-with-locations.csv"
    frame.to_csv(path, index=False)
    extract.profile.save(tmp_path / "profile.json")
    profile = MappingProfile.load(tmp_path / "profile.json")
    profile.columns["location"] = "Location"
    load = load_extracts([str(path)], profile=profile)
    assert len(load.rejects) == 0, load.rejects["reason"].value_counts().to_dict()
    assert int((~load.crimes["has_location"]).sum()) == int(blank.sum()) > 0
    report = report_dict(load)
    assert report["rejected_by_reason"] == {}
    assert len(report["warnings"]) == 1 and "NO FIXED LOCATION" in report["warnings"][0]
    assert f"{int(blank.sum()):,} row(s)" in report["warnings"][0]
    release = anonymise(load.crimes, month["points"], rules=RULES, salt=SALT)
    totals = release.audit["totals"]
    assert totals["published_without_location"] == int((~truth["has_location"]).sum())
    assert totals["rejected"] == 0
    gate = check_release(load.crimes, release.public, month["points"])
    assert gate.passed, gate.message()


# --- profile detection that sets no traps ----------------------------------------------------


def test_the_offence_table_maps_every_category_name_to_itself():
    from crime_mapper.core.common.vocabulary import CATEGORY_NAMES, fold_text
    from crime_mapper.core.load.mapping_profile import (
        DEFAULT_OFFENCE_TABLE,
        MappingProfile,
        read_offence_table,
    )

    table = read_offence_table(DEFAULT_OFFENCE_TABLE)  # the shipped file itself
    assert all(table[fold_text(name)] == name for name in CATEGORY_NAMES)
    # ...and so does any profile's own table
    lookup = MappingProfile(offence_mapping={"46": "Shoplifting"}).offence_lookup()
    assert all(lookup[fold_text(name)] == name for name in CATEGORY_NAMES)


def test_a_column_of_category_names_is_detected_as_the_category(month: dict, tmp_path: Path):
    """A real month's extract whose OFFENCE column holds police.uk category names: detected
    by its values as the category column, and every row loads (none unknown_category)."""
    from crime_mapper.core.load.extract_head import read_extract_head
    from crime_mapper.core.load.loader import load_extracts
    from crime_mapper.core.load.mapping_profile import MappingProfile, detect_columns

    frame = month["extract"].frame.copy()
    frame = frame.rename(columns={"Offence Description": "OFFENCE", "Crime Reference": "CrimeRef"})
    frame["OFFENCE"] = month["extract"].truth["crime_type"].to_numpy()
    path = tmp_path / "2022-10-extract-with-categories.csv"
    frame.to_csv(path, index=False)
    head = read_extract_head(path)
    assert detect_columns(head.header)["offence"] == "OFFENCE"  # the header alone: a trap
    detected = detect_columns(head.header, head.rows)
    assert detected["category"] == "OFFENCE" and "offence" not in detected
    # a header-only profile (offence role) still loads every row: names map to themselves
    for columns in (detected, detect_columns(head.header)):
        profile = MappingProfile(
            columns=columns, crs="EPSG:27700", date_format="%d/%m/%Y %H:%M",
            reported_by="Leicestershire Police",
        )  # fmt: skip
        load = load_extracts([str(path)], profile=profile)
        assert len(load.rejects) == 0, load.rejects["reason"].value_counts().to_dict()
        assert (
            load.crimes["crime_type"].astype(str).to_numpy()
            == month["extract"].truth["crime_type"].to_numpy()
        ).all()


def test_the_command_line_refuses_map_points_made_from_another_months_crimes(
    month: dict, tmp_path: Path, capsys: pytest.CaptureFixture
):
    """`anonymise --other-crimes`: map points made from last month's raw extract (a careless
    analyst's "crime locations" layer) are refused, naming the other month's crimes."""
    from crime_mapper.cli import main
    from crime_mapper.core.release.map_points import write_map_points_csv
    from crime_mapper.core.release.release_files import create_salt_file

    frame = month["extract"].frame
    located = (frame["Easting"] != "").to_numpy()
    last = frame[located].iloc[::2]  # "last month": every other located row
    this = frame.drop(index=last.index)
    last_csv, this_csv = tmp_path / "last.csv", tmp_path / "this.csv"
    last.to_csv(last_csv, index=False)
    this.to_csv(this_csv, index=False)
    raw_path = Path(month["raw_path"])
    profile = raw_path.parent / "raw-force-extract-profile.json"
    lon, lat = transform(
        last["Easting"].astype(float).to_numpy(),
        last["Northing"].astype(float).to_numpy(),
        BRITISH_NATIONAL_GRID,
        WGS84,
    )
    write_map_points_csv(map_points_from_arrays(lon, lat, None), tmp_path / "points.csv")
    rules = tmp_path / "rules.json"
    ReleaseRules(**POLICE_UK_LIKE_RULES, confirm_unknown_catchments="checked").save(rules)
    salt = create_salt_file(tmp_path / "secret" / "salt.bin")
    args = [
        "anonymise", str(this_csv), "--profile", str(profile),
        "--points", str(tmp_path / "points.csv"), "--rules", str(rules),
        "--salt-file", str(salt), "--out", str(tmp_path / "out"),
        "--other-crimes", str(last_csv),
    ]  # fmt: skip
    assert main(args) != 0
    err = capsys.readouterr().err
    assert "map_points_are_crimes" in err and "another loaded month's crimes" in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
