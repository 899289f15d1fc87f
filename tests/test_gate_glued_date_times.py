"""A raw crime's own date with its time glued on, no separator between them
("26/10/20220538", "2022-10-260538", "2022/10/26053800", "26-10-2022053800Z", and the bare
"261020220538"), passed the leak gate in a CSV cell, a text or HTML page, a JSON string and
a web map's data script, while "26/10/2022 0538" was refused: the date patterns took no
date a digit followed, and ddmmyyyyHHMM(SS) was no raw timestamp form
(context.timestamp_forms). Now the date is read with its time, and the bare number is a
form. Not after a dotted date: "1.2.20221015" is a version. A date with two digits, an
hour 24 or too many digits after it is still no date.

Real raw extract, map points and release (tests/support/leak_world); each output written to
disk and gated.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from crime_mapper.core.gate import scan
from crime_mapper.core.gate.leak_gate import GateReport
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
