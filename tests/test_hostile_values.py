"""Values that read as numbers, dates or text but cannot be true: each row is rejected with
its reason and counted, or the input refused with exit 2, never published changed.

Why: PROJ maps a British National Grid northing of 999,999,999 back into Leicestershire (the
crime was published at another street), an offence dated 2099 made a release of 1970-10 to
2099-10, and a confirmation of a single zero-width space let a refused release through with
an invisible "who checked" in its audit. The command line is run in process on a few rows of
the bundled force extract, with map points made from those rows."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from crime_mapper.cli import main
from crime_mapper.core.common.geography import to_wgs84
from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE

ROWS = 6  # the extract's first rows, all of October 2022 in Leicester


def _extract_lines() -> list[list[str]]:
    with FORCE_EXTRACT.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        return [row for _, row in zip(range(ROWS + 1), reader)]


def write_extract(path: Path, change: dict[int, dict[str, str]]) -> Path:
    """The extract's first ROWS rows with row i's named cells changed (i from 0)."""
    header, *rows = _extract_lines()
    for i, cells in change.items():
        for name, value in cells.items():
            rows[i][header.index(name)] = value
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path


def write_points(path: Path, source: str = "police.uk history") -> Path:
    """A map point 40 m east of each of the extract's first rows (a point on a crime itself is
    refused as a raw location); catchments unknown, which a release takes from police.uk's
    history and refuses from a layer without a written confirmation."""
    header, *rows = _extract_lines()
    x = [float(r[header.index("Easting")]) + 40 for r in rows]
    y = [float(r[header.index("Northing")]) for r in rows]
    lon, lat = to_wgs84(x, y, "EPSG:27700")
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["longitude", "latitude", "label", "source", "addresses"])
        for i, (a, b) in enumerate(zip(lon, lat)):
            out.writerow([f"{a:.6f}", f"{b:.6f}", f"Street {i + 1}", source, -1])
    return path


@pytest.fixture
def salt(tmp_path: Path) -> Path:
    path = tmp_path / "secret" / "force.salt"
    assert main(["salt", "--new", str(path)]) == 0
    return path


def anonymise(tmp_path: Path, extract: Path, salt: Path, *more: str, points=None) -> int:
    points = points or write_points(tmp_path / "points.csv")
    args = ["anonymise", str(extract), "--profile", str(FORCE_PROFILE), "--points", str(points)]
    return main([*args, "--salt-file", str(salt), "--out", str(tmp_path / "out"), *more])


def load_report(tmp_path: Path, extract: Path) -> dict:
    out = tmp_path / "loaded"
    assert main(["load", str(extract), "--profile", str(FORCE_PROFILE), "--out", str(out)]) == 0
    return json.loads((out / "validation_report.json").read_text(encoding="utf-8"))


def rejects(tmp_path: Path) -> list[dict[str, str]]:
    with (tmp_path / "loaded" / "rejects.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- 1. a grid reference beyond the grid -----------------------------------------------------


@pytest.mark.parametrize(
    ("easting", "northing"),
    [
        ("457901", "999999999"),  # PROJ: Leicestershire
        ("457901", "1000000000"),  # PROJ: Leicestershire
        ("457901", "500000000"),
        ("457901", "-999999999"),
        ("999999999", "308062"),
        ("457901", "1300000"),  # the grid's top, north of Shetland
    ],
)
def test_a_grid_reference_beyond_the_grid_is_rejected_as_outside_the_uk(
    tmp_path: Path, easting: str, northing: str
):
    extract = write_extract(tmp_path / "x.csv", {0: {"Easting": easting, "Northing": northing}})
    report = load_report(tmp_path, extract)
    assert report["totals"] == {"rows_read": ROWS, "accepted": ROWS - 1, "no_location": 0,
                                "rejected": 1}  # fmt: skip
    assert report["rejected_by_reason"] == {"outside_uk": 1}
    (row,) = rejects(tmp_path)
    assert row["reason"] == "outside_uk" and row["source_line"] == "2"
    assert f"y='{northing}'" in row["detail"]


def test_the_wrapped_northing_is_not_published(tmp_path: Path, salt: Path, capsys):
    extract = write_extract(tmp_path / "x.csv", {0: {"Northing": "999999999"}})
    assert anonymise(tmp_path, extract, salt, "--no-gpkg") == 0
    out = capsys.readouterr().out
    assert f"Rows in: {ROWS}\n" in out and "Rejected: 1\n" in out
    audit = json.loads((tmp_path / "out" / "audit.json").read_text(encoding="utf-8"))
    assert audit["reconciles"]


def test_a_grid_reference_typed_northing_first_is_still_called_swapped(tmp_path: Path):
    """The range check must not hide a swap: x and y exchanged (x beyond the grid's eastings)
    are lat_lon_swapped, as before."""
    extract = write_extract(tmp_path / "x.csv", {0: {"Easting": "1100000", "Northing": "400000"}})
    report = load_report(tmp_path, extract)
    assert report["rejected_by_reason"] == {"lat_lon_swapped": 1}


# --- 3. implausible dates --------------------------------------------------------------------


def test_an_offence_dated_after_today_is_rejected_as_a_future_date(tmp_path: Path):
    extract = write_extract(
        tmp_path / "x.csv",
        {0: {"Offence Date": "21/10/2099"}, 1: {"Offence Date": "01/01/2200"}},
    )
    report = load_report(tmp_path, extract)
    assert report["totals"]["accepted"] == ROWS - 2 and report["reconciles"]
    assert report["rejected_by_reason"] == {"future_date": 2}
    assert "after today" in report["reasons"]["future_date"]
    details = [row["detail"] for row in rejects(tmp_path)]
    assert details[0] == "date '21/10/2099', time '15:58' is after today"
    assert report["warnings"] == []


def test_tomorrow_is_taken_for_time_zones_but_not_the_day_after(tmp_path: Path):
    import datetime

    today = datetime.date.today()
    tomorrow, later = (f"{today + datetime.timedelta(days=d):%d/%m/%Y}" for d in (1, 3))
    change = {0: {"Offence Date": tomorrow, "Offence Time": "00:00"}, 1: {"Offence Date": later}}
    report = load_report(tmp_path, write_extract(tmp_path / "x.csv", change))
    assert report["rejected_by_reason"] == {"future_date": 1}
    assert [row["source_line"] for row in rejects(tmp_path)] == ["3"]


def test_a_police_uk_month_after_this_month_is_rejected(tmp_path: Path):
    street = tmp_path / "street.csv"
    street.write_text(
        "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
        "LSOA name,Crime type,Last outcome category,Context\n"
        ",2099-10,Leicestershire Police,Leicestershire Police,-1.13,52.63,On or near X,,,"
        "Anti-social behaviour,,\n"
        ",2022-10,Leicestershire Police,Leicestershire Police,-1.13,52.63,On or near X,,,"
        "Anti-social behaviour,,\n",
        encoding="utf-8",
    )
    out = tmp_path / "loaded"
    assert main(["load", str(street), "--out", str(out)]) == 0
    report = json.loads((out / "validation_report.json").read_text(encoding="utf-8"))
    assert report["rejected_by_reason"] == {"future_date": 1}
    assert report["totals"]["accepted"] == 1


def test_a_police_uk_month_before_police_uk_began_is_rejected(tmp_path: Path):
    """police.uk's street-level data begins 2010-12: a month before it is an early_date
    row, as a force row's date before it is (tests/test_load_two_digit_years.py)."""
    street = tmp_path / "street.csv"
    rows = [f",{m},X,X,-1.13,52.63,On or near X,,,Anti-social behaviour,," for m in
            ("2010-11", "2010-12", "1970-01")]  # fmt: skip
    street.write_text(
        "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
        "LSOA name,Crime type,Last outcome category,Context\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "loaded"
    assert main(["load", str(street), "--out", str(out)]) == 0
    report = json.loads((out / "validation_report.json").read_text(encoding="utf-8"))
    assert report["rejected_by_reason"] == {"early_date": 2} and report["reconciles"]
    assert report["totals"]["accepted"] == 1
    assert [(r["source_line"], r["detail"][:24]) for r in rejects(tmp_path)] == [
        ("2", "month '2010-11' is befor"),
        ("4", "month '1970-01' is befor"),
    ]


def test_an_old_date_is_rejected_and_a_far_one_published_with_a_warning(
    tmp_path: Path, salt: Path, capsys
):
    """A date before police.uk's data begins (2010-12) can be published under no police.uk
    month, so it is an early_date row; one after it but years from the month most crimes are
    in is kept (a historic offence can be real), and the load's report, the audit and the
    command's output say so."""
    change = {
        0: {"Offence Date": "21/10/1970"},
        1: {"Offence Date": "21/10/1899"},
        2: {"Offence Date": "21/10/2015"},
    }
    extract = write_extract(tmp_path / "x.csv", change)
    report = load_report(tmp_path, extract)
    assert report["rejected_by_reason"] == {"early_date": 2} and report["reconciles"]
    details = [row["detail"] for row in rejects(tmp_path)]
    assert details[0].startswith("date '21/10/1970', time '15:58' is before 2010-12")
    (span,) = report["warnings"]
    assert "span 2015-10 to 2022-10" in span and "1 row(s) lie 12 months or more" in span
    capsys.readouterr()
    assert anonymise(tmp_path, extract, salt, "--no-gpkg") == 0
    out = capsys.readouterr().out
    audit = json.loads((tmp_path / "out" / "audit.json").read_text(encoding="utf-8"))
    assert [w for w in audit["warnings"] if "2010-12" in w or "span" in w] == [
        span.removeprefix("Warning: "),
    ]
    assert f"Warning: {span.removeprefix('Warning: ')}" in out
    assert (tmp_path / "out" / "2015-10_2022-10-leicestershire-street.csv").is_file()


def test_a_normal_month_gives_no_month_warning(tmp_path: Path, salt: Path, capsys):
    extract = write_extract(tmp_path / "x.csv", {})
    assert load_report(tmp_path, extract)["warnings"] == []
    assert anonymise(tmp_path, extract, salt, "--no-gpkg") == 0
    audit = json.loads((tmp_path / "out" / "audit.json").read_text(encoding="utf-8"))
    assert audit["warnings"] == []


# --- 4. texts an audit records or the public is shown ----------------------------------------


def write_rules(path: Path, confirmation: str) -> Path:
    from crime_mapper.core.release.rules import ReleaseRules

    ReleaseRules().save(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["confirm_unknown_catchments"] = confirmation
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "confirmation", ["\u200b", "\x00", "\u202e", " \u200b\u2060 \t", "J. Smith\x00", "A\rB"]
)
def test_an_invisible_confirmation_refuses_the_release(
    tmp_path: Path, salt: Path, capsys, confirmation: str
):
    points = write_points(tmp_path / "layer.csv", source="layer")
    extract = write_extract(tmp_path / "x.csv", {})
    rules = write_rules(tmp_path / "rules.json", confirmation)
    assert anonymise(tmp_path, extract, salt, "--rules", str(rules), points=points) == 2
    err = capsys.readouterr().err
    assert "confirm_unknown_catchments" in err and "in visible text" in err
    assert not (tmp_path / "out").exists()


def test_a_visible_confirmation_lets_unknown_catchments_through(tmp_path: Path, salt: Path, capsys):
    points = write_points(tmp_path / "layer.csv", source="layer")
    extract = write_extract(tmp_path / "x.csv", {})
    assert anonymise(tmp_path, extract, salt, "--no-gpkg", points=points) == 2
    assert "unknown_catchments" in capsys.readouterr().err  # the control: refused unconfirmed
    rules = write_rules(tmp_path / "rules.json", "Checked by J. Smith\u200b, 3 Nov")
    assert (
        anonymise(tmp_path, extract, salt, "--no-gpkg", "--rules", str(rules), points=points) == 0
    )
    manifest = (tmp_path / "out" / "release_manifest.json").read_text(encoding="utf-8")
    assert "Checked by J. Smith" in json.dumps(json.loads(manifest), ensure_ascii=False)


@pytest.mark.parametrize("key", ["reported_by", "falls_within", "name"])
def test_a_profile_force_name_with_nothing_visible_is_refused(tmp_path: Path, capsys, key: str):
    profile = json.loads(FORCE_PROFILE.read_text(encoding="utf-8"))
    profile[key] = "\u200b"
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(profile), encoding="utf-8")
    extract = write_extract(tmp_path / "x.csv", {})
    assert main(["load", str(extract), "--profile", str(path), "--out", str(tmp_path / "o")]) == 2
    assert f"{key} '\\u200b' has no visible character" in capsys.readouterr().err


@pytest.mark.parametrize(("table", "key"), [("release", "force"), ("publish", "title")])
def test_a_configuration_force_or_title_with_nothing_visible_is_refused(
    tmp_path: Path, table: str, key: str
):
    from crime_mapper.core.monthly.config import ConfigError, read_config

    path = tmp_path / "release.json"
    path.write_text(json.dumps({"release": {"output": "out"}, table: {key: "\u2060 \u200b"}}))
    with pytest.raises(ConfigError, match=f"{table}.{key} .* has no visible character"):
        read_config(path)
