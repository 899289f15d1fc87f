"""A raw crime's own date with its time glued on, no separator between them
("26/10/20220538", "2022-10-260538", "2022/10/26053800", "26-10-2022053800Z", and the bare
"261020220538"), passed the leak gate in a CSV cell, a text or HTML page, a JSON string and
a web map's data script, while "26/10/2022 0538" was refused: the date patterns took no
date a digit followed, and ddmmyyyyHHMM(SS) was no raw timestamp form
(context.timestamp_forms). Now the date is read with its time, and the bare number is a
form. Not after a dotted date: "1.2.20221015" is a version. A date with two digits, an
hour 24 or too many digits after it is still no date.
A dotted date with its time glued on ("26.10.20220538") passed too: it has a version's
shape. It is now refused when it is a raw crime's own day, month, year and time (its
ddmmyyyyHHMM(SS) digits a raw timestamp form, two digits each for the day and month),
named as written; versions ("1.2.20221026", "10.12.20221026", "3.40.20220538", a longer
"3.26.10.20220538") and the dotted date of a time no raw crime has still pass.
Written year first ("2022.10.260538", "2022.10.26053800") it still passed: it is now
refused the same way, its yyyymmddHHMM(SS) digits looked up ("v2022.10.260538" and
"1.2022.10.260538" pass). Also in a GeoPackage's text.

Real raw extract, map points and release (tests/support/leak_world); each output written to
disk and gated.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from crime_mapper.core.gate import checks, scan
from crime_mapper.core.gate.leak_gate import GateReport, check_release
from tests.support.gpkg_edits import edited_gpkg
from tests.support.leak_world import failed
from tests.support.planted_text import CARRIERS, gated, stamp

Writer = Callable[[pd.Timestamp], str]


# a date with its time glued on without a separator: what the gate names ("date '...'")
GLUED_FORMS: dict[str, Writer] = {
    "dd/mm/yyyyHHMM": lambda t: t.strftime("%d/%m/%Y%H%M"),
    "dd-mm-yyyyHHMMSSZ": lambda t: t.strftime("%d-%m-%Y%H%M%SZ"),
    "dd/mm/yyyyHH:MM": lambda t: t.strftime("%d/%m/%Y%H:%M"),
    "yyyy-mm-ddHHMM": lambda t: t.strftime("%Y-%m-%d%H%M"),
    "yyyy/mm/ddHHMMSS": lambda t: t.strftime("%Y/%m/%d%H%M%S"),
}


def _refused_date(report: GateReport, written: str) -> None:
    assert failed(report) == {"no_dates_finer_than_month"}, report.message()
    assert f"date '{written[:10]}" in report.message()


@pytest.mark.parametrize("carrier", CARRIERS)
@pytest.mark.parametrize("form", list(GLUED_FORMS))
def test_a_date_with_its_time_glued_on_is_refused(
    world: dict, clean_outputs: dict, tmp_path: Path, carrier: str, form: str
):
    written = GLUED_FORMS[form](stamp(world))
    report = gated(world, clean_outputs, tmp_path / "site", f"Occurred {written}.", carrier)
    _refused_date(report, written)


# a day-first bare date with its time glued on: the number named
BARE_DAY_FIRST: dict[str, Writer] = {
    "ddmmyyyyHHMM": lambda t: t.strftime("%d%m%Y%H%M"),
    "ddmmyyyyHHMMSS": lambda t: t.strftime("%d%m%Y%H%M%S"),
}


@pytest.mark.parametrize("carrier", CARRIERS)
@pytest.mark.parametrize("form", list(BARE_DAY_FIRST))
def test_a_bare_day_first_date_with_its_time_glued_on_is_refused(
    world: dict, clean_outputs: dict, tmp_path: Path, carrier: str, form: str
):
    written = BARE_DAY_FIRST[form](stamp(world))
    report = gated(world, clean_outputs, tmp_path / "site", f"Logged {written}.", carrier)
    assert failed(report) == {"no_dates_finer_than_month"}, report.message()
    assert f"raw date/time written as the number {int(written)}" in report.message()


# a dotted day-first date with the raw crime's time glued on: named as written
DOTTED_FORMS: dict[str, Writer] = {
    "dd.mm.yyyyHHMM": lambda t: t.strftime("%d.%m.%Y%H%M"),
    "dd.mm.yyyyHHMMSS": lambda t: t.strftime("%d.%m.%Y%H%M%S"),
    "dd.mm.yyyyHHMMZ": lambda t: t.strftime("%d.%m.%Y%H%MZ"),
    "yyyy.mm.ddHHMM": lambda t: t.strftime("%Y.%m.%d%H%M"),
    "yyyy.mm.ddHHMMSS": lambda t: t.strftime("%Y.%m.%d%H%M%S"),
    "yyyy.mm.ddHHMMSSZ": lambda t: t.strftime("%Y.%m.%d%H%M%SZ"),
}


@pytest.mark.parametrize("carrier", CARRIERS)
@pytest.mark.parametrize("form", list(DOTTED_FORMS))
def test_a_dotted_date_with_the_raw_time_glued_on_is_refused(
    world: dict, clean_outputs: dict, tmp_path: Path, carrier: str, form: str
):
    written = DOTTED_FORMS[form](stamp(world)).rstrip("Z")
    report = gated(world, clean_outputs, tmp_path / "site", f"Logged {written}.", carrier)
    assert failed(report) == {"no_dates_finer_than_month"}, report.message()
    assert f"raw date/time written as the date '{written}'" in report.message()


@pytest.mark.parametrize("form", list(DOTTED_FORMS))
def test_a_dotted_date_with_the_raw_time_glued_on_is_refused_in_a_geopackage(
    world: dict, clean_outputs: dict, tmp_path: Path, form: str
):
    written = DOTTED_FORMS[form](stamp(world)).rstrip("Z")
    gpkg = edited_gpkg(
        clean_outputs["gpkg"],
        tmp_path,
        f"UPDATE public_crimes SET Context = 'Logged {written}.' WHERE fid = 1",
        "public.gpkg",
    )
    report = check_release(world["raw"], gpkg, world["points"])
    assert failed(report) == {"no_dates_finer_than_month"}, report.message()
    assert f"raw date/time written as the date '{written}'" in report.message()


def _no_raw_minute(world: dict) -> pd.Timestamp:
    """A minute of the planted crime's day at which no raw crime happened."""
    taken = set(pd.to_datetime(world["raw"]["occurred_at"]).dt.floor("min"))
    t = stamp(world).floor("min")
    while t in taken:
        t += pd.Timedelta(minutes=7)
    return t


@pytest.mark.parametrize("carrier", ["csv file", "text file", "json file"])
def test_versions_and_other_dotted_times_still_pass(
    world: dict, clean_outputs: dict, tmp_path: Path, carrier: str
):
    t = stamp(world)
    text = (
        f"Build 1.2.{t.strftime('%Y%m%d')}, 10.12.{t.strftime('%Y%m%d')}, 3.40.20220538, "
        f"3.{t.strftime('%d.%m.%Y%H%M')}, v{t.strftime('%d.%m.%Y%H%M')}, "
        f"{t.strftime('%d.%m.%Y%H%M')}1 and {_no_raw_minute(world).strftime('%d.%m.%Y%H%M')}; "
        f"1.{t.strftime('%Y.%m.%d%H%M')}, v{t.strftime('%Y.%m.%d%H%M')}, "
        f"{t.strftime('%Y.%m.%d%H%M')}1 and {_no_raw_minute(world).strftime('%Y.%m.%d%H%M')}."
    )
    report = gated(world, clean_outputs, tmp_path / "site", text, carrier)
    assert report.passed, report.message()


# text: what the raw-timestamp scan takes of a dotted date with a time glued on
DOTTED_SCANNED = {
    "26.10.20220538 26.10.2022053800Z, 01.02.20220215.": [
        "26.10.20220538",
        "26.10.2022053800",
        "01.02.20220215",
    ],
    # one-digit day or month, a '.' or letter before, digits or a '.' and digit after
    "1.2.20221015 3.26.10.20220538 v26.10.20220538 26.10.202205381 26.10.20220538.1": [],
    # year first
    "2022.10.260538 2022.10.26053800Z, 2022.02.010215.": [
        "2022.10.260538",
        "2022.10.26053800",
        "2022.02.010215",
    ],
    "2022.1.260538 1.2022.10.260538 v2022.10.260538 2022.10.2605381 2022.10.260538.1": [],
}


@pytest.mark.parametrize("text", list(DOTTED_SCANNED))
def test_the_dotted_dates_the_timestamp_scan_takes(text: str):
    assert checks._BARE_NUMBER.findall(text) == DOTTED_SCANNED[text]
    numbers = [int(s.replace(".", "")) for s in DOTTED_SCANNED[text]]  # (ddmmyyyyHHMM(SS))
    assert checks._raw_forms_direct([text], set(numbers)) == [numbers]


def _map_point(world: dict) -> str:
    """A published crime's map point as the public CSV writes it: "lat, lon"."""
    row = world["public"][world["public"]["Longitude"] != ""].iloc[0]
    return f"{row['Latitude']}, {row['Longitude']}"


# public text that must still pass: a month, a date with digits after it that are no time,
# a version ending in a date
PUBLIC_TEXTS: dict[str, Writer] = {
    "short digit runs after a date": lambda t: (
        f"Months {t.strftime('%Y-%m')}-2605 and {t.strftime('%d/%m/%Y')}99 and "
        f"{t.strftime('%d/%m/%Y')}2460"
    ),
    "versions": lambda t: f"Build 1.2.{t.strftime('%Y%m%d')}, 10.12.{t.strftime('%Y%m%d')}",
}


@pytest.mark.parametrize("carrier", ["csv file", "text file", "json file"])
@pytest.mark.parametrize("text", list(PUBLIC_TEXTS))
def test_public_text_still_passes(
    world: dict, clean_outputs: dict, tmp_path: Path, carrier: str, text: str
):
    report = gated(
        world, clean_outputs, tmp_path / "site", PUBLIC_TEXTS[text](stamp(world)), carrier
    )
    assert report.passed, report.message()


# text: the day-precise dates found in it (ISO, yyyy/mm/dd, dd/mm/yyyy)
DATES = {
    "26/10/20220538 26-10-2022053800Z 26/10/202205:38": [
        "26/10/20220538",
        "26-10-2022053800Z",
        "26/10/202205:38",
    ],
    "2022-10-260538 2022/10/26053800 2022/10.26": [
        "2022-10-260538",
        "2022/10/26053800",
        "2022/10.26",
    ],
    # no time after the date (2 digits, an hour 24, too many digits), a dotted date
    "2022-10-2605 26/10/202214 26/10/20222460 26/10/20221430001 2022/10/2605": [],
    "1.2.20221015 26.10.20220538 2022.10.260538": [],
}


@pytest.mark.parametrize("text", list(DATES))
def test_the_dates_found(text: str):
    found = [m.group() for _kind, p in scan.DATE_PATTERNS[:3] for m in p.finditer(text)]
    assert sorted(found) == sorted(DATES[text])
