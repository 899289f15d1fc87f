"""Reading and validating extracts: real police.uk slices, a malformed corpus, force exports.

These exercise the QGIS-free core (crime_mapper.core) directly, on real files.
"""

from __future__ import annotations

import csv
import json
import re
import zipfile
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.common import vocabulary
from crime_mapper.core.common.csv_safety import safe_cell
from crime_mapper.core.common.feedback import Cancelled, Feedback
from crime_mapper.core.common.geography import inside_uk
from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.load.mapping_profile import MappingProfile, ProfileError
from crime_mapper.core.load.sources import InputError
from crime_mapper.core.load.validation_report import (
    report_dict,
    report_text,
    write_rejects_csv,
    write_report_json,
)
from tests.support.force_extract import COLUMNS, force_profile, make_force_extract

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "police-uk"
LEICS_OCT = SAMPLE / "2022-10" / "2022-10-leicestershire-street.csv"
LEICS_SEP = SAMPLE / "2022-09" / "2022-09-leicestershire-street.csv"
NORTHUMBRIA = SAMPLE / "2022-07"
MALFORMED = ROOT / "tests" / "data" / "malformed"


def data_rows(path: Path) -> int:
    """Physical data rows of a well-formed file (header and blank lines excluded)."""
    lines = path.read_bytes().splitlines()
    return sum(1 for line in lines[1:] if line.strip())


def assert_reconciles(result) -> None:
    report = report_dict(result)
    t = report["totals"]
    assert t["rows_read"] == t["accepted"] + t["rejected"]
    assert report["reconciles"]
    for f in result.files:
        assert f.rows_read == f.accepted + f.rejected_total, f.path
    assert len(result.rejects) == t["rejected"]


# --- real police.uk files ---------------------------------------------------------------------


def test_real_month_loads_with_every_row_accounted_for():
    result = load_extracts([LEICS_OCT])
    assert_reconciles(result)
    crimes = result.crimes
    assert len(crimes) == data_rows(LEICS_OCT)
    assert len(result.rejects) == 0
    assert list(crimes["month"].unique()) == ["2022-10"]
    # police.uk's own no-location rows are accepted, counted and not mapped
    no_location = ~crimes["has_location"]
    assert no_location.sum() == result.files[0].no_location > 0
    assert crimes.loc[no_location, "longitude"].isna().all()
    # anti-social behaviour has no Crime ID and is not a duplicate of itself
    asb = crimes["crime_type"] == vocabulary.ASB
    assert asb.sum() > 100 and (crimes.loc[asb, "crime_id"] == "").all()
    assert set(crimes["crime_type"].dropna().unique()) <= set(vocabulary.CATEGORY_NAMES)
    assert crimes["record_id"].tolist() == list(range(1, len(crimes) + 1))


def test_canonical_schema_and_types():
    from crime_mapper.core.common.schema import CRIME_COLUMNS

    crimes = load_extracts([LEICS_OCT]).crimes
    assert list(crimes.columns)[: len(CRIME_COLUMNS)] == list(CRIME_COLUMNS)
    assert isinstance(crimes["crime_type"].dtype, pd.CategoricalDtype)
    assert list(crimes["crime_type"].cat.categories)[:14] == list(vocabulary.CATEGORY_NAMES)
    assert crimes["longitude"].dtype == np.float64
    assert crimes["has_location"].dtype == bool


def test_zip_archive_matches_the_csv():
    from_zip = load_extracts([SAMPLE / "2022-10.zip"]).crimes
    from_csv = load_extracts([LEICS_OCT]).crimes
    pd.testing.assert_frame_equal(
        from_zip.drop(columns=["source_file"]), from_csv.drop(columns=["source_file"])
    )
    assert str(from_zip["source_file"].iloc[0]).endswith(
        "2022-10.zip:2022-10/2022-10-leicestershire-street.csv"
    )


def test_folder_of_months_and_forces_with_outcomes_and_stop_search():
    result = load_extracts([SAMPLE / "2022-09", SAMPLE / "2022-10", NORTHUMBRIA])
    assert_reconciles(result)
    crimes = result.crimes
    assert set(crimes["month"].unique()) == {"2022-07", "2022-09", "2022-10"}
    assert set(crimes["reported_by"].unique()) == {"Leicestershire Police", "Northumbria Police"}
    kinds = sorted(f.kind for f in result.files)
    assert kinds == ["outcomes", "stop_and_search", "street", "street", "street"]
    ss_file = NORTHUMBRIA / "2022-07-northumbria-stop-and-search.csv"
    assert len(result.stop_search) == data_rows(ss_file)
    assert result.stop_search["occurred_at"].notna().all()


def test_outcomes_are_joined_by_crime_id_latest_month_wins(tmp_path: Path):
    street = NORTHUMBRIA / "2022-07-northumbria-street.csv"
    outcomes = NORTHUMBRIA / "2022-07-northumbria-outcomes.csv"
    with open(outcomes, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    street_ids = set(pd.read_csv(street, dtype=str)["Crime ID"].dropna())
    joinable = [r for r in rows if r["Crime ID"] in street_ids]
    assert joinable, "the sample outcomes must refer to crimes in the street slice"
    target = joinable[0]["Crime ID"]
    # a later month's outcomes file says the crime was later charged: that must win
    later = tmp_path / "2022-08-northumbria-outcomes.csv"
    with open(later, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerow({**joinable[0], "Month": "2022-08", "Outcome type": "Suspect charged"})
    result = load_extracts([street, outcomes, later])
    assert_reconciles(result)
    row = result.crimes.loc[result.crimes["crime_id"] == target].iloc[0]
    assert row["last_outcome"] == "Suspect charged"
    assert row["last_outcome_month"] == "2022-08"
    outcome_report = next(f for f in result.files if f.path == str(outcomes))
    assert outcome_report.outcomes_joined > 0
    assert any("refer to crimes not in this load" in n for n in outcome_report.notes)


# --- the malformed corpus ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, reason, lines",
    [
        ("2022-10-missing-coordinates-street.csv", "missing_coordinates", [7]),
        ("2022-10-zero-coordinates-street.csv", "zero_coordinates", [7]),
        ("2022-10-outside-uk-street.csv", "outside_uk", [7]),
        ("2022-10-swapped-street.csv", "lat_lon_swapped", [7]),
        ("2022-10-bad-month-street.csv", "bad_month", [7]),
        ("2022-10-month-mismatch-street.csv", "month_mismatch", [7]),
        ("2022-10-unknown-category-street.csv", "unknown_category", [7]),
        ("2022-10-duplicate-id-street.csv", "duplicate_crime_id", [7]),
        ("2022-10-field-count-street.csv", "wrong_field_count", [7, 8]),
        ("2022-10-undecodable-street.csv", "undecodable_bytes", [7]),
        ("2022-10-bad-coordinates-street.csv", "bad_coordinates", [7]),
    ],
)
def test_each_defect_is_rejected_with_its_exact_reason(name: str, reason: str, lines: list):
    path = MALFORMED / name
    result = load_extracts([path])
    assert_reconciles(result)
    rejects = result.rejects
    assert rejects["reason"].tolist() == [reason] * len(lines)
    assert rejects["source_line"].tolist() == lines
    assert len(result.crimes) == 5  # the five good rows before the defect
    # the raw row is kept as it was in the file
    physical = path.read_bytes().split(b"\n")
    for line, raw in zip(lines, rejects["raw"]):
        expected = physical[line - 1].rstrip(b"\r")
        if reason == "undecodable_bytes":
            assert raw == expected.decode("utf-8", "backslashreplace")
        else:
            assert raw == expected.decode("utf-8")


def test_a_coordinate_that_is_not_a_number_is_shown_as_the_file_gives_it(tmp_path: Path):
    """The reject's detail names what the cell says ("west", "4579O1"), not the NaN it was
    parsed to: police.uk longitude and latitude, and a force extract's easting and northing."""
    street = load_extracts([MALFORMED / "2022-10-bad-coordinates-street.csv"])
    assert street.rejects["detail"].tolist() == ["x='west', y='52.671783'"]
    sample = ROOT / "sample_data" / "force"
    lines = (sample / "2022-10-leicestershire-force-extract.csv").read_text().splitlines()
    fields = lines[1].split(",")
    fields[4] = "4579O1"  # (a letter O for a zero: the easting, as typed)
    lines[1] = ",".join(fields)
    extract = tmp_path / "2022-10-leicestershire-force-extract.csv"
    extract.write_text("\n".join(lines) + "\n", encoding="utf-8")
    profile = MappingProfile.load(sample / "leicestershire-force-extract.profile.json")
    force = load_extracts([extract], profile=profile)
    bad = force.rejects[force.rejects["reason"] == "bad_coordinates"]
    assert bad["detail"].tolist() == [f"x='4579O1', y={fields[5]!r}"]  # (y: a number)
    # a number is shown as the file writes it too, never as the float it was parsed to
    swapped = load_extracts([MALFORMED / "2022-10-swapped-street.csv"])
    assert swapped.rejects["detail"].tolist() == ["x='52.671783', y='-1.165642'"]


def test_a_coordinate_that_is_infinite_is_not_a_number(tmp_path: Path):
    """Infinity, -Infinity and 1e999 parse as numbers but name no place: they were rejected
    as "outside the United Kingdom", as if the file had given one. NaN was already refused
    as not a number."""
    month = ROOT / "sample_data" / "police-uk" / "2022-09" / "2022-09-leicestershire-street.csv"
    lines = month.read_text(encoding="utf-8").splitlines()[:6]
    for at, (x, y) in enumerate([("Infinity", "52.6"), ("-1.13", "-Infinity"), ("1e999", "inf")]):
        fields = lines[at + 1].split(",")
        fields[4:6] = [x, y]
        lines[at + 1] = ",".join(fields)
    path = tmp_path / "2022-09-leicestershire-street.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = load_extracts([path])
    assert_reconciles(result)
    assert result.rejects["reason"].tolist() == ["bad_coordinates"] * 3
    assert result.rejects["source_line"].tolist() == [2, 3, 4]
    assert len(result.crimes) == 2


def test_swapped_coordinates_are_reported_not_fixed():
    result = load_extracts([MALFORMED / "2022-10-swapped-street.csv"])
    assert "x='52.6" in result.rejects["detail"].iloc[0]
    assert (result.crimes["latitude"] > 50).all()


# Calais, Inverness and Leicester (sample row 1: E 457901, N 308062) in British National
# Grid; Inverness and Leicester typed northing first. Calais swaps to Islay but is a real
# grid reference (an easting under 700,000); Inverness's northing is no easting of the grid.
# Leicester's northing is a valid easting too, so its swap (a point in Wales) is accepted.
FORCE_COORDINATES = {
    2: ("670500", "123800", "outside_uk"),
    3: ("845500", "266500", "lat_lon_swapped"),
    4: ("308062", "457901", None),
}


def test_a_grid_reference_outside_the_uk_is_told_from_a_swapped_one(tmp_path: Path):
    """Calais in a force's BNG extract was called "lat_lon_swapped" because x and y
    exchanged land in Scotland: the analyst looked for a typing slip that was not there."""
    sample = ROOT / "sample_data" / "force"
    lines = (sample / "2022-10-leicestershire-force-extract.csv").read_text().splitlines()
    for line, (x, y, _) in FORCE_COORDINATES.items():
        fields = lines[line - 1].split(",")
        fields[4:6] = [x, y]  # Easting, Northing
        lines[line - 1] = ",".join(fields)
    extract = tmp_path / "2022-10-leicestershire-force-extract.csv"
    extract.write_text("\n".join(lines) + "\n", encoding="utf-8")
    profile = MappingProfile.load(sample / "leicestershire-force-extract.profile.json")
    result = load_extracts([extract], profile=profile)
    assert_reconciles(result)
    rejects = result.rejects.set_index("source_line")
    for line, (x, y, reason) in FORCE_COORDINATES.items():
        if reason is None:
            assert line not in rejects.index
            continue
        assert rejects.at[line, "reason"] == reason
        assert rejects.at[line, "detail"] == f"x={x!r}, y={y!r}"  # as given


@pytest.mark.parametrize(
    "lon, lat, reason",
    [
        ("1.850000", "50.950000", "outside_uk"),  # Calais
        ("52.6", "-1.1", "lat_lon_swapped"),  # Leicester, latitude first
    ],
    ids=["calais", "leicester swapped"],
)
def test_a_police_uk_point_outside_the_uk_is_told_from_a_swapped_one(
    tmp_path: Path, lon: str, lat: str, reason: str
):
    lines = LEICS_OCT.read_text(encoding="utf-8").splitlines()
    fields = lines[1].split(",")
    fields[4:6] = [lon, lat]
    lines[1] = ",".join(fields)
    street = tmp_path / LEICS_OCT.name
    street.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = load_extracts([street])
    assert_reconciles(result)
    assert result.rejects["reason"].tolist() == [reason]
    assert result.rejects["source_line"].tolist() == [2]
    assert result.rejects["detail"].tolist() == [f"x={lon!r}, y={lat!r}"]


def test_bom_crlf_and_cp1252_files_are_read():
    bom = load_extracts([MALFORMED / "2022-10-bom-crlf-street.csv"])
    assert_reconciles(bom)
    assert len(bom.rejects) == 0 and len(bom.crimes) == 8
    assert bom.files[0].encoding == "utf-8"
    cp = load_extracts([MALFORMED / "2022-10-cp1252-street.csv"])
    assert cp.files[0].encoding == "cp1252"
    assert "On or near Café Street" in set(cp.crimes["location"].astype(str))


def test_not_a_crime_extract_gets_one_clear_error_and_the_rest_loads():
    bad = MALFORMED / "not-a-crime-extract.csv"
    binary = MALFORMED / "binary-file.csv"
    result = load_extracts([bad, LEICS_OCT, binary])
    errors = report_dict(result)["file_errors"]
    assert len(errors) == 2
    assert str(bad) in errors[0] and "not a crime extract" in errors[0]
    assert "expected a police.uk street" in errors[0] and "Name, Address, Phone" in errors[0]
    assert str(binary) in errors[1]
    assert len(result.crimes) == data_rows(LEICS_OCT)
    assert_reconciles(result)


def test_missing_path_is_an_input_error(tmp_path: Path):
    with pytest.raises(InputError, match="Extract not found: "):
        load_extracts([tmp_path / "nope.csv"])


def test_cancel_stops_the_load():
    class CancelAtOnce(Feedback):
        def is_cancelled(self) -> bool:
            return True

    with pytest.raises(Cancelled):
        load_extracts([LEICS_OCT], feedback=CancelAtOnce())


# --- reports ----------------------------------------------------------------------------------


def test_report_json_text_and_rejects_csv(tmp_path: Path):
    result = load_extracts(sorted(MALFORMED.glob("2022-10-*-street.csv"))[:3])
    write_report_json(result, tmp_path / "report.json")
    write_rejects_csv(result, tmp_path / "rejects.csv")
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["reconciles"] is True
    assert data["totals"]["rows_read"] == sum(f["rows_read"] for f in data["files"])
    with open(tmp_path / "rejects.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == data["totals"]["rejected"]
    assert {r["reason"] for r in rows} <= set(data["rejected_by_reason"])
    text = report_text(result)
    assert "Rows read" in text and "accepted" in text


def test_rejects_csv_neutralises_formulas(tmp_path: Path):
    source = LEICS_OCT.read_bytes().split(b"\r\n")
    header, row = source[0], source[1].split(b",")
    row[9] = b'=HYPERLINK("http://evil")'
    path = tmp_path / "2022-10-formula-street.csv"
    path.write_bytes(header + b"\n" + b",".join(row) + b"\n")
    result = load_extracts([path])
    write_rejects_csv(result, tmp_path / "rejects.csv")
    text = (tmp_path / "rejects.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" not in text.replace("crime type '=", "")  # detail is quoted text
    with open(tmp_path / "rejects.csv", newline="", encoding="utf-8") as handle:
        cells = [c for r in csv.reader(handle) for c in r]
    assert not any(c.startswith("=") for c in cells)
    assert safe_cell("-1.21556") == "-1.21556"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"


# --- force extracts ---------------------------------------------------------------------------


def test_force_extract_with_a_saved_profile(tmp_path: Path):
    extract = tmp_path / "2022-10-force-extract.csv"
    frame = make_force_extract(extract, encoding="cp1252")
    profile = force_profile()
    profile.save(tmp_path / "profile.json")
    loaded = MappingProfile.load(tmp_path / "profile.json")
    assert loaded == profile
    result = load_extracts([extract], profile=loaded)
    assert_reconciles(result)
    crimes = result.crimes
    assert len(crimes) == len(frame) and len(result.rejects) == 0
    assert crimes["crime_type"].astype(str).tolist() == frame["expected_category"].tolist()
    assert (crimes["month"] == "2022-10").all()
    assert crimes["occurred_at"].notna().all()
    first = crimes.iloc[0]
    assert first["occurred_at"] == pd.Timestamp(
        f"2022-10-{frame['OffenceDate'][0][:2]} {frame['OffenceTime'][0]}"
    )
    assert first["source_crs"] == "EPSG:27700" and first["source_x"] == frame["Easting"][0]
    assert inside_uk(crimes["longitude"].to_numpy(), crimes["latitude"].to_numpy()).all()
    # unknown source fields are carried through, never dropped
    assert (crimes["extra_beat"] == "Beat 4").all()
    assert crimes["extra_mo_notes"].str.contains("neighbour").all()
    assert crimes["sensitive"].tolist() == [False] * (len(frame) - 1) + [True]
    assert any("EPSG:27700" in n for n in result.files[0].notes)


def test_crime_ids_differing_only_in_case_or_spaces_are_one_crime(tmp_path: Path):
    """A police.uk Crime ID written in capitals, or with a space pasted on, was a second
    crime (counted and published twice) while its exact repeat was rejected. It is now a
    duplicate as the exact repeat is, and the kept row's ID is as the file gives it."""
    lines = (MALFORMED / "2022-10-duplicate-id-street.csv").read_text("utf-8").splitlines()
    first_id = lines[1].split(",")[0]
    repeat = lines[6].split(",", 1)[1]
    lines[6] = f" {first_id.upper()} ,{repeat}"  # line 7: the first crime, in capitals
    lines.append(f"{first_id}\t,{repeat}")  # line 8: with a tab after it
    path = tmp_path / "2022-10-leicestershire-street.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = load_extracts([path])
    assert_reconciles(result)
    rejects = result.rejects
    assert rejects["reason"].tolist() == ["duplicate_crime_id"] * 2
    assert rejects["source_line"].tolist() == [7, 8]
    assert rejects["detail"].tolist() == [
        f"Crime ID {cid!r} first seen at {path}:2 as {first_id!r} (Crime IDs are "
        "compared without case or surrounding spaces)"
        for cid in (f" {first_id.upper()} ", f"{first_id}\t")
    ]
    assert len(result.crimes) == 5 and result.crimes["crime_id"].iloc[0] == first_id


def test_force_references_differing_only_in_case_are_one_crime(tmp_path: Path):
    """A force's reference typed in other capitals ("le/22/012345") is the same crime."""
    extract = tmp_path / "2022-10-force-extract.csv"
    frame = make_force_extract(extract)
    frame.loc[5, "CrimeRef"] = frame.loc[2, "CrimeRef"].lower()
    frame.drop(columns="expected_category").to_csv(extract, index=False)
    result = load_extracts([extract], profile=force_profile())
    assert_reconciles(result)
    assert result.rejects["reason"].tolist() == ["duplicate_crime_id"]
    assert result.rejects["source_line"].tolist() == [7]
    assert frame.loc[2, "CrimeRef"] in result.crimes["crime_id"].tolist()
    assert frame.loc[5, "CrimeRef"] not in result.crimes["crime_id"].tolist()


def test_an_outcome_joins_its_crime_whatever_the_ids_case(tmp_path: Path):
    """The outcomes join tells one crime as the duplicate check does (crime_id_keys)."""
    street = NORTHUMBRIA / "2022-07-northumbria-street.csv"
    street_ids = pd.read_csv(street, dtype=str)["Crime ID"].dropna()
    target = street_ids.iloc[0]
    later = tmp_path / "2022-08-northumbria-outcomes.csv"
    later.write_text(
        "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
        "LSOA name,Outcome type\n"
        f"{target.upper()},2022-08,Northumbria Police,Northumbria Police,,,,,,Suspect charged\n",
        encoding="utf-8",
    )
    result = load_extracts([street, later])
    assert_reconciles(result)
    row = result.crimes.loc[result.crimes["crime_id"] == target].iloc[0]
    assert row["last_outcome"] == "Suspect charged"
    report = next(f for f in result.files if f.path == str(later))
    assert report.outcomes_joined == 1


def test_a_sensitive_flag_that_says_neither_yes_nor_no_rejects_its_row(tmp_path: Path):
    """A flag the loader does not know ("maybe", "S", "?") was read as not sensitive, so the
    crime was published as any other: the row is now rejected with the value named."""
    extract = tmp_path / "2022-10-force-extract.csv"
    frame = make_force_extract(extract)
    flags = [" yes ", "TRUE", "1", "restricted", "No", "", "f", "0", "maybe", "S", "?", "yess"]
    frame.loc[: len(flags) - 1, "Sensitive"] = flags
    frame.drop(columns="expected_category").to_csv(extract, index=False)
    result = load_extracts([extract], profile=force_profile())
    assert_reconciles(result)
    rejects = result.rejects
    assert rejects["reason"].tolist() == ["bad_sensitive_flag"] * 4
    assert sorted(rejects["source_line"].tolist()) == [10, 11, 12, 13]
    assert "sensitive flag 'maybe'" in " ".join(rejects["detail"])
    kept = result.crimes.set_index("crime_id")["sensitive"]
    refs = frame["CrimeRef"]
    assert kept[refs[:4]].tolist() == [True] * 4 and kept[refs[4:8]].tolist() == [False] * 4
    assert kept[refs.iloc[-1]] and not kept[refs.iloc[12:-1]].any()


def test_a_header_spelt_in_another_case_or_spacing_reads_with_its_profile(tmp_path: Path):
    """An export that wrote "easting" or "Offence  date" where the profile says "Easting"
    and "OffenceDate" fell to an "unexpected error (KeyError)"."""
    extract = tmp_path / "2022-10-force-extract.csv"
    make_force_extract(extract)
    exact = load_extracts([extract], profile=force_profile())
    text = extract.read_text(encoding="utf-8").split("\n", 1)
    header = text[0].replace("Easting", "easting").replace("OffenceTime", " OFFENCETIME ")
    extract.write_text(header + "\n" + text[1], encoding="utf-8")
    spelt = load_extracts([extract], profile=force_profile())
    assert spelt.files[0].error is None
    for column in ("crime_id", "occurred_at", "longitude", "latitude", "crime_type"):
        assert spelt.crimes[column].tolist() == exact.crimes[column].tolist(), column


def test_a_profile_column_the_header_lacks_is_named(tmp_path: Path):
    extract = tmp_path / "2022-10-force-extract.csv"
    make_force_extract(extract)
    text = extract.read_text(encoding="utf-8").split("\n", 1)
    extract.write_text(text[0].replace("Sensitive", "Flag") + "\n" + text[1], encoding="utf-8")
    result = load_extracts([extract], profile=force_profile())
    error = result.files[0].error
    assert "the mapping profile's column(s) 'Sensitive' (sensitive) are not in its header" in error
    assert "unexpected" not in error and len(result.crimes) == 0


def test_a_folder_or_zip_holding_no_extract_is_refused(tmp_path: Path):
    """Read as "0 rows, reconciled": the monthly release then failed at anonymise blaming
    the mapping profile, its empty crimes GeoPackage already in place."""
    folder = tmp_path / "empty"
    (folder / "sub").mkdir(parents=True)
    (folder / "notes.txt").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="a folder holding no .csv or .zip file"):
        load_extracts([str(folder)])
    archive = tmp_path / "empty.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("readme.txt", "x")
    with pytest.raises(InputError, match="a .zip archive holding no .csv file"):
        load_extracts([str(archive)])


@pytest.mark.parametrize("how", ["repeated", "folder and file", "zip repeated"])
def test_the_same_file_given_twice_is_refused(tmp_path: Path, how: str):
    """Read twice, every row was rejected the second time as a duplicate Crime ID, and the
    report (one file counted twice) did not reconcile."""
    month = SAMPLE / "2022-10"
    inputs = {
        "repeated": [LEICS_OCT, LEICS_OCT],
        "folder and file": [month, LEICS_OCT],
        "zip repeated": [SAMPLE / "2022-10.zip", month / ".." / "2022-10.zip"],
    }[how]
    with pytest.raises(InputError, match="is given twice"):
        load_extracts([str(p) for p in inputs])
    # two different months, and one month from one place, still load
    both = load_extracts([str(SAMPLE / "2022-09"), str(SAMPLE / "2022-10.zip")])
    assert sorted(set(both.crimes["month"])) == ["2022-09", "2022-10"]


@pytest.mark.parametrize("how", ["folder and its zip", "a copy under another name"])
def test_two_files_holding_the_same_bytes_are_refused(tmp_path: Path, how: str):
    """A monthly folder and the zip it was unpacked from: the crimes with a Crime ID were
    rejected the second time as duplicates, but police.uk's anti-social behaviour rows have
    none, and were accepted twice: 378 published twice, the audit reconciling."""
    copy = tmp_path / "copy" / "2022-10-leicestershire-street-again.csv"
    copy.parent.mkdir()
    copy.write_bytes(LEICS_OCT.read_bytes())
    inputs = {
        "folder and its zip": [SAMPLE / "2022-10", SAMPLE / "2022-10.zip"],
        "a copy under another name": [LEICS_OCT, copy],
    }[how]
    with pytest.raises(InputError, match="holds the same bytes as .*Give each file once"):
        load_extracts([str(p) for p in inputs])
    one = load_extracts([str(LEICS_OCT)])  # (the same file alone: each row once)
    assert len(one.crimes) == one.files[0].rows_read


@pytest.mark.parametrize(
    "key, value, says",
    [
        ("crs", "EPSG:99999", "crs 'EPSG:99999' is not a coordinate reference system"),
        ("crs", "+proj=longlat", "is not a coordinate reference system"),
        ("delimiter", ";;", "delimiter must be one character"),
        ("delimiter", '"', "delimiter must be one character"),
        ("encoding", "utf-99", "encoding 'utf-99' is not a text encoding"),
        # (codecs.lookup raises ValueError, not LookupError, on a NUL: it was a crash)
        ("encoding", "utf-8\x00", "encoding 'utf-8\\x00' is not a text encoding"),
    ],
)
def test_a_profile_setting_the_read_cannot_use_is_refused_naming_it(tmp_path, key, value, says):
    """Each fell to the loader's "unexpected error" catch-all, which blamed the extract."""
    data = {**asdict(force_profile()), key: value}
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ProfileError, match=re.escape(says)):
        MappingProfile.load(path)


def test_force_extract_auto_detected_without_a_profile(tmp_path: Path):
    extract = tmp_path / "force-extract.csv"
    make_force_extract(extract)
    result = load_extracts([extract])
    assert result.files[0].kind == "force"
    assert len(result.crimes) == 60 and len(result.rejects) == 0
    assert any("guessed" in n for n in result.files[0].notes)


def test_force_extract_defects(tmp_path: Path):
    extract = tmp_path / "force-extract.csv"
    frame = make_force_extract(extract, swap_row=3)
    text = extract.read_text()
    text = text.replace(frame["Offence"][5], "Poaching", 1)  # not in the mapping table
    text = text.replace(frame["OffenceDate"][8], "31/02/2022", 1)
    extract.write_text(text)
    result = load_extracts(
        [extract],
        profile=MappingProfile(
            columns={
                "crime_ref": "CrimeRef",
                "x": "Easting",
                "y": "Northing",
                "date": "OffenceDate",
                "offence": "Offence",
            },
            crs="EPSG:27700",
        ),
    )
    assert_reconciles(result)
    reasons = dict(zip(result.rejects["source_line"], result.rejects["reason"]))
    assert reasons[5] == "lat_lon_swapped"
    assert reasons[7] == "unknown_category"
    assert reasons[10] == "bad_date"


def test_offence_mapping_is_editable(tmp_path: Path):
    table = tmp_path / "offences.csv"
    table.write_text("offence,category\nPoaching,Other crime\n", encoding="utf-8")
    profile = MappingProfile(
        offence_table=str(table), offence_mapping={"Fly tipping": "Other crime"}
    )
    lookup = profile.offence_lookup()
    assert lookup[vocabulary.fold_text("poaching")] == "Other crime"
    assert lookup[vocabulary.fold_text("Fly tipping")] == "Other crime"
    with pytest.raises(ProfileError, match="not a police.uk category"):
        MappingProfile(offence_mapping={"X": "Fraud"}).offence_lookup()


def test_profile_errors_are_clear(tmp_path: Path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"columns": {"colour": "X"}}')
    with pytest.raises(ProfileError, match="unknown column roles"):
        MappingProfile.load(bad)
    bad.write_text("not json")
    with pytest.raises(ProfileError, match="cannot read mapping profile"):
        MappingProfile.load(bad)


def test_zip_of_a_month_with_several_files(tmp_path: Path):
    archive = tmp_path / "2022-07.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in sorted(NORTHUMBRIA.glob("*.csv")):
            z.write(f, f"2022-07/{f.name}")
    result = load_extracts([archive])
    assert_reconciles(result)
    assert sorted(f.kind for f in result.files) == ["outcomes", "stop_and_search", "street"]


# --- vocabulary and geography -----------------------------------------------------------------


def test_vocabulary_has_the_14_categories_and_outcome_variants():
    assert len(vocabulary.CATEGORIES) == 14
    assert len({c.slug for c in vocabulary.CATEGORIES}) == 14
    assert vocabulary.CATEGORY_BY_SLUG["violent-crime"].name == "Violence and sexual offences"
    assert len(vocabulary.OUTCOMES) == 28
    assert (
        vocabulary.normalise_outcome("Offender given a penalty notice")
        == "Offender given penalty notice"
    )
    assert (
        vocabulary.normalise_outcome("investigation complete - no suspect identified")
        == "Investigation complete; no suspect identified"
    )
    assert vocabulary.normalise_category("Violent crime") == "Violent crime"  # legacy kept
    assert vocabulary.normalise_category("criminal-damage-arson") == "Criminal damage and arson"
    assert vocabulary.normalise_category("Fraud") is None


def test_inside_uk_follows_the_irish_border_and_the_channel():
    inside = {
        "Leicester": (-1.13, 52.63),
        "Belfast": (-5.93, 54.6),
        "Lerwick": (-1.15, 60.15),
        "Penzance": (-5.54, 50.12),
        "Dover": (1.31, 51.13),
        "Derry": (-7.31, 54.99),
        "Newry": (-6.34, 54.18),
        "Stornoway": (-6.39, 58.21),
    }
    outside = {
        "Dublin": (-6.26, 53.35),
        "Calais": (1.86, 50.95),
        "Monaghan": (-6.97, 54.25),
        "Letterkenny": (-7.73, 54.95),
        "Dundalk": (-6.40, 54.0),
        "Null island": (0, 0),
    }
    for names, expected in ((inside, True), (outside, False)):
        xy = np.array(list(names.values()))
        assert inside_uk(xy[:, 0], xy[:, 1]).tolist() == [expected] * len(names), names


# --- the byte scanner against a reference reader ------------------------------------------------


def reference_rows(data: bytes, ncol: int) -> tuple[list[tuple[int, list[str]]], list[int]]:
    """What Python's csv module makes of a file: (line, fields) of good rows, bad lines."""
    import io

    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    previous, records = 0, []
    for record in reader:
        start, previous = previous + 1, reader.line_num
        if record:  # the csv module gives [] for a blank line
            records.append((start, record))
    rows = records[1:]
    good = [(line, r) for line, r in rows if len(r) == ncol]
    bad = [line for line, r in rows if len(r) != ncol]
    return good, bad


def mutate(lines: list[bytes], rng: np.random.Generator) -> bytes:
    """Real rows with random damage of the kinds real files have."""
    out = [lines[0]]
    for row in lines[1:]:
        roll = rng.random()
        if roll < 0.05:
            row = row.rsplit(b",", 1)[0]  # a field short
        elif roll < 0.10:
            row = row + b",extra"  # a field too many
        elif roll < 0.14:
            out.append(b"")  # a blank line before the row
        elif roll < 0.18:
            fields = row.split(b",")
            fields[6] = b'"' + fields[6] + b', with a comma"'
            row = b",".join(fields)
        elif roll < 0.21:
            fields = row.split(b",")
            fields[6] = b'"' + fields[6] + b'\nover two lines"'
            row = b",".join(fields)
        elif roll < 0.23:
            fields = row.split(b",")
            fields[6] = b'"say ""hello"""'
            row = b",".join(fields)
        out.append(row)
    newline = b"\r\n" if rng.random() < 0.5 else b"\n"
    return newline.join(out) + (newline if rng.random() < 0.8 else b"")


def test_scanner_agrees_with_the_csv_module_on_damaged_files():
    from crime_mapper.core.load.textscan import scan_csv

    lines = [line for line in LEICS_OCT.read_bytes().split(b"\r\n") if line][:40]
    ncol = len(lines[0].split(b","))
    rng = np.random.default_rng(2022)
    for _ in range(150):
        data = mutate(lines, rng)
        scan = scan_csv(data)
        good, bad = reference_rows(data, ncol)
        assert scan.lines.tolist() == [line for line, _ in good]
        assert scan.frame.to_numpy().tolist() == [r for _, r in good]
        assert scan.bad_lines == bad
        assert scan.rows_read == len(good) + len(bad)


def test_fast_and_exact_scans_give_the_same_table():
    from crime_mapper.core.load import textscan

    for path in [LEICS_OCT, LEICS_SEP, NORTHUMBRIA / "2022-07-northumbria-street.csv"]:
        data = path.read_bytes()
        _, header, end = textscan._header(data, "utf-8", ",")
        fast = textscan._fast_scan(data, "utf-8", "utf-8", ",", header, end, ())
        exact = textscan._scan(data, "utf-8", "utf-8", ",", header, end, (), True)
        assert fast is not None, "a well-formed police.uk file takes the fast path"
        pd.testing.assert_frame_equal(fast.frame, exact.frame)
        assert fast.lines.tolist() == exact.lines.tolist()
        for i in (0, len(fast.frame) // 2, len(fast.frame) - 1):
            assert fast.raw_row(i) == exact.raw_row(i)


def test_old_mac_line_endings_are_read(tmp_path: Path):
    lines = [line for line in LEICS_OCT.read_bytes().split(b"\r\n") if line][:6]
    path = tmp_path / "2022-10-mac-street.csv"
    path.write_bytes(b"\r".join(lines) + b"\r")
    result = load_extracts([path])
    assert_reconciles(result)
    assert len(result.crimes) == 5 and result.crimes["source_line"].tolist() == [2, 3, 4, 5, 6]


@pytest.mark.parametrize("mapped", [(), ("location",), ("lsoa_code",), ("location", "lsoa_code")])
def test_rows_without_coordinates_and_without_place_columns(tmp_path: Path, mapped):
    """A profile that maps no location (or no LSOA) column: a row without coordinates names
    no place there, so it is accepted without a location, not rejected; where a place
    column is mapped and filled, the row is rejected (it claims a place it does not give)."""
    extract = tmp_path / "2022-10-force-extract.csv"
    frame = make_force_extract(extract)
    frame["Place"] = ["12 High Street"] * len(frame)
    frame["Area"] = ["E01000001"] * len(frame)
    frame.loc[[1, 3], ["Easting", "Northing"]] = [np.nan, np.nan]
    frame.drop(columns=["expected_category"]).to_csv(extract, index=False)
    columns = {role: column for role, column in COLUMNS.items() if role != "sensitive"}
    columns.update({role: {"location": "Place", "lsoa_code": "Area"}[role] for role in mapped})
    profile = MappingProfile(name="t", columns=columns, crs="EPSG:27700", reported_by="P")
    result = load_extracts([extract], profile=profile)
    assert_reconciles(result)
    if mapped:
        assert sorted(result.rejects["source_line"].tolist()) == [3, 5]
        assert set(result.rejects["reason"]) == {"missing_coordinates"}
    else:
        assert len(result.rejects) == 0
        crimes = result.crimes
        assert crimes["has_location"].tolist().count(False) == 2
        assert crimes.loc[~crimes["has_location"], "source_line"].tolist() == [3, 5]


def test_force_extract_months_and_outcomes_are_checked_row_by_row(tmp_path: Path):
    """read_force compares each distinct month with the file's month once, and looks each
    distinct outcome up once; every row still gets its own verdict: a September date in an
    October file, an outcome not in the vocabulary (padded or not), a blank or spaces-only
    outcome (none given), a known outcome in another case and with spaces around it."""
    extract = tmp_path / "2022-10-force-extract.csv"
    frame = make_force_extract(extract)
    n = len(frame)
    outcomes = ["", "  ", "Suspect charged", " investigation complete; no suspect identified "]
    frame["Outcome"] = [outcomes[i % 4] for i in range(n)]
    for row in (4, 17, 33):
        frame.loc[row, "Outcome"] = " Poached " if row == 17 else "Poached"
    for row in (6, 17, 40):
        frame.loc[row, "OffenceDate"] = "28/09/2022"
    frame.loc[9, "OffenceDate"] = "31/02/2022"  # no date: its own reason, not the month's
    frame.drop(columns=["expected_category"]).to_csv(extract, index=False)
    columns = {role: column for role, column in COLUMNS.items() if role != "sensitive"}
    columns["outcome"] = "Outcome"
    result = load_extracts([extract], profile=MappingProfile(columns=columns, crs="EPSG:27700"))
    assert_reconciles(result)
    reasons = dict(zip(result.rejects["source_line"] - 2, result.rejects["reason"]))
    assert reasons == {
        4: "unknown_outcome",
        6: "month_mismatch",
        9: "bad_date",
        17: "month_mismatch",
        33: "unknown_outcome",
        40: "month_mismatch",
    }
    crimes = result.crimes.set_index(result.crimes["source_line"] - 2)
    kept = [i for i in range(n) if i not in reasons]
    expected = {
        "": None,
        "  ": None,
        "Suspect charged": "Suspect charged",
        " investigation complete; no suspect identified ": (
            "Investigation complete; no suspect identified"
        ),
    }
    for i in kept:
        outcome = crimes.loc[i, "last_outcome"]
        assert (None if pd.isna(outcome) else outcome) == expected[frame["Outcome"][i]], i
        month = crimes.loc[i, "last_outcome_month"]
        assert (None if pd.isna(month) else month) == (
            "2022-10" if expected[frame["Outcome"][i]] else None
        ), i
