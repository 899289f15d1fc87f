"""A raw crime's own date and time written as a records system joins them ("Occurred
20221015.1430.", "20221015T143000Z", "20221015_1430", "15/10/2022.1430", "15.10.2022T14:30")
passed the leak gate, while the same with a space or a '-' between them ("20221015 1430",
"20221015-1430") was refused: the raw-timestamp scan (checks._BARE_NUMBER) took no number
with a letter, a '_' or a '.' and a digit after it, and the dd/mm/yyyy date pattern no date
with a letter, a '_', or a '.' or '-' and a digit after it. Both now read a date with a time
glued on (scan.JOINED_TIME) as the date; a GeneralizedTime's Z ("20221015143000Z") ends a
bare number too. A decimal ("20221015.5"), a dotted version ("1.20221015.1430",
"20221015.1430.1") and a hex id still give no date.

Real raw extract, map points and release (tests/support/leak_world); each output written to
disk (a CSV cell, a text file, an HTML page, a JSON string, a web map's data script) and
gated.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from crime_mapper.core.gate import scan
from crime_mapper.core.gate.checks import _BARE_NUMBER
from crime_mapper.core.gate.leak_gate import check_release
from tests.support.leak_world import copy_folder, failed
from tests.support.planted_text import CARRIERS, gated, stamp

Writer = Callable[[pd.Timestamp], str]


def _f(pattern: str) -> Writer:
    return lambda t: t.strftime(pattern)


# a raw timestamp's date as a bare number, a time joined on: the number the gate names
BARE_FORMS: dict[str, Writer] = {
    "yyyymmdd.HHMM": _f("%Y%m%d.%H%M"),
    "yyyymmdd.HHMMSS": _f("%Y%m%d.%H%M%S"),
    "yyyymmddTHHMM": _f("%Y%m%dT%H%M"),
    "yyyymmddTHHMMSSZ": _f("%Y%m%dT%H%M%SZ"),
    "yyyymmdd_HHMM": _f("%Y%m%d_%H%M"),
    "yyyymmddtHH:MM": _f("%Y%m%dt%H:%M"),
    "yyyymmdd.HH:MM:SS.fff": lambda t: t.strftime("%Y%m%d.%H:%M:%S.") + "250",
    "ddmmyyyy.HHMM": _f("%d%m%Y.%H%M"),
    "ddmmyyyyTHHMM": _f("%d%m%YT%H%M"),
    "ddmmyyyy_HHMMSS": _f("%d%m%Y_%H%M%S"),
    "yyyymmdd-HHMM (as before)": _f("%Y%m%d-%H%M"),
}
# the date the gate names for each form: yyyymmdd, or ddmmyyyy when written so
DATE_OF = {name: ("%d%m%Y" if name.startswith("dd") else "%Y%m%d") for name in BARE_FORMS}
# a whole yyyymmddHHMMSS with a Z (an ASN.1 GeneralizedTime): the number is the whole
ZULU = _f("%Y%m%d%H%M%SZ")
# a separated day-first date with a time joined on: the dd/mm/yyyy date pattern's finding
DATE_FORMS: dict[str, Writer] = {
    "dd/mm/yyyy.HHMM": _f("%d/%m/%Y.%H%M"),
    "dd.mm.yyyyTHH:MM": _f("%d.%m.%YT%H:%M"),
    "dd-mm-yyyy_HHMM": _f("%d-%m-%Y_%H%M"),
    "dd/mm/yyyy-HH:MM:SS": _f("%d/%m/%Y-%H:%M:%S"),
    "dd.mm.yyyy.HHMMSSZ": _f("%d.%m.%Y.%H%M%SZ"),
    "yyyy-mm-dd.HH:MM (as before)": _f("%Y-%m-%d.%H:%M"),
}


@pytest.mark.parametrize("carrier", CARRIERS)
@pytest.mark.parametrize("form", list(BARE_FORMS))
def test_a_raw_date_with_a_time_joined_on_is_refused(
    world: dict, clean_outputs: dict, tmp_path: Path, carrier: str, form: str
):
    t = stamp(world)
    text = f"Occurred {BARE_FORMS[form](t)}. Reported the next day."
    report = gated(world, clean_outputs, tmp_path / "site", text, carrier)
    assert failed(report) == {"no_dates_finer_than_month"}, report.message()
    assert f"raw date/time written as the number {t.strftime(DATE_OF[form])}" in report.message()


@pytest.mark.parametrize("carrier", CARRIERS)
def test_a_generalized_time_with_its_z_is_refused(
    world: dict, clean_outputs: dict, tmp_path: Path, carrier: str
):
    t = stamp(world)
    text = f"Occurred {ZULU(t)}, reported the next day."
    report = gated(world, clean_outputs, tmp_path / "site", text, carrier)
    assert failed(report) == {"no_dates_finer_than_month"}, report.message()
    assert f"raw date/time written as the number {ZULU(t)[:-1]}" in report.message()


@pytest.mark.parametrize("carrier", CARRIERS)
@pytest.mark.parametrize("form", list(DATE_FORMS))
def test_a_separated_date_with_a_time_joined_on_is_refused(
    world: dict, clean_outputs: dict, tmp_path: Path, carrier: str, form: str
):
    t = stamp(world)
    written = DATE_FORMS[form](t)
    report = gated(world, clean_outputs, tmp_path / "site", f"Occurred {written}.", carrier)
    assert failed(report) == {"no_dates_finer_than_month"}, report.message()
    assert f"date '{written[:10]}" in report.message()  # (the date, and the time with it)


def test_a_joined_date_time_as_a_data_script_number_is_refused(
    world: dict, clean_outputs: dict, tmp_path: Path
):
    """A data script's JSON number 20221015.1430 (a date and a time joined by its point):
    the body is read (its numbers' whole parts are looked up before it is left unread)."""
    t = stamp(world)
    site = copy_folder(clean_outputs["folder"], tmp_path / "site")
    data = f'{{"counts": [457, 1200.5, {t.strftime("%Y%m%d.%H%M")}, 3]}}'
    (site / "notes.js").write_text(f"window.NOTES = {data};\n", "utf-8")
    report = check_release(world["raw"], site, world["points"])
    assert failed(report) == {"no_dates_finer_than_month"}, report.message()
    assert f"raw date/time written as the number {t.strftime('%Y%m%d')}" in report.message()


# text: the numbers the raw-timestamp scan takes from it
SCANNED = {
    "20221015.1430 20221015.143000. 20221015T1430Z": ["20221015", "20221015", "20221015"],
    "15102022_1430, 20221015t14:30:05.5z; 20221015-2359": ["15102022", "20221015", "20221015"],
    "20221015143000Z 202210151430z.": ["20221015143000", "202210151430"],
    # a decimal, a dotted version, no time of day, a longer or shorter date: no number
    "20221015.5 20221015.25 20221015.2460 20221015.1430.1 1.20221015.1430": [],
    "20221015.20221016. 20221015T14 2022101.1430 20221015_1430a": [],
    # (9 digits or more before the point: a decimal taken whole, its whole part looked up,
    # tests/test_gate_decimal_timestamps.py)
    "202210150.1430": ["202210150.1430"],
    # a hex id, an ONS code, a letter before or after: no number
    "2022101500ff.1430 E20221015.1430 a20221015T1430 20221015zz 20221015Tx": [],
}


@pytest.mark.parametrize("text", list(SCANNED))
def test_the_numbers_the_timestamp_scan_takes(text: str):
    assert _BARE_NUMBER.findall(text) == SCANNED[text]


# text: the dd/mm/yyyy dates found in it
DATES = {
    "15/10/2022.1430 15.10.2022T14:30": ["15/10/2022.1430", "15.10.2022T14:30"],
    "15-10-2022-143000Z, 15/10/2022_14:30:00.25": ["15-10-2022-143000Z", "15/10/2022_14:30:00.25"],
    # (a decimal or a dotted version after the date: no date, as before)
    "15/10/2022.5 15.10.2022.1 1.10.2022.2460 15/10/2022.1430.1": [],
}


@pytest.mark.parametrize("text", list(DATES))
def test_the_day_first_dates_found(text: str):
    assert [m.group() for m in scan.DATE_PATTERNS[2][1].finditer(text)] == DATES[text]


# public text that must still pass: versions, decimals, ids, codes, months, counts
PUBLIC_TEXTS: dict[str, Writer] = {
    "versions": lambda t: (
        f"Build 1.{t.strftime('%Y%m%d.%H%M')}, release {t.strftime('%Y%m%d.%H%M')}.1, "
        f"v{t.strftime('%Y%m%d.%H%M')}"
    ),
    "decimals": lambda t: f"Ratio {t.strftime('%Y%m%d')}.5 and {t.strftime('%Y%m%d')}.25",
    "hex ids": lambda t: (
        f"id {t.strftime('%Y%m%d')}{'ab' * 28}.{t.strftime('%H%M')}, "
        f"ref {'cd' * 28}{t.strftime('%Y%m%d')}.{t.strftime('%H%M')}"
    ),
    "codes, months, counts": lambda t: (
        "Areas E01000001, W01000002, E02002345. Figures for 2022-10 (October 2022): "
        "1,057 crimes, 70,123 in 2022. LE1 6ZG."
    ),
}


@pytest.mark.parametrize("carrier", ["csv file", "text file", "json file"])
@pytest.mark.parametrize("text", list(PUBLIC_TEXTS))
def test_public_text_still_passes(
    world: dict, clean_outputs: dict, tmp_path: Path, carrier: str, text: str
):
    written = PUBLIC_TEXTS[text](stamp(world))
    report = gated(world, clean_outputs, tmp_path / "site", written, carrier)
    assert report.passed, report.message()
