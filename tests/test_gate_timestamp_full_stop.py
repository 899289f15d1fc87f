"""A raw crime's own timestamp written as a bare number and ended by a full stop ("Occurred
20221015.", "Logged 202210151430.", "(1666000000.)") passed the leak gate where the same
number with a comma after it was refused: the raw-timestamp scan (checks._BARE_NUMBER)
took no number a '.' followed, so a timestamp that ended a sentence, a bracket or a file
name was no number at all. It now ends a number as the metre and grid scans do
(scan.WRITTEN_NUMBER_END): no word character after it, and no '.' with a digit after it. So
"20221015.5" stays a decimal and a dotted version or address gives no number, as before.

Real raw extract, map points and release (tests/support/leak_world); each output written to
disk (a CSV cell, a text file, an HTML page, a JSON string, a web map's data script) and
gated.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from crime_mapper.core.gate.checks import _BARE_NUMBER
from tests.support.leak_world import failed
from tests.support.planted_text import CARRIERS, gated, stamp

# the bare-number forms of a raw occurred_at the gate refuses (context.timestamp_forms)
FORMS: dict[str, Callable[[pd.Timestamp], int]] = {
    "yyyymmdd": lambda t: int(t.strftime("%Y%m%d")),
    "yyyymmddHHMM": lambda t: int(t.strftime("%Y%m%d%H%M")),
    "yyyymmddHHMMSS": lambda t: int(t.strftime("%Y%m%d%H%M%S")),
    "ddmmyyyy": lambda t: t.day * 1_000_000 + t.month * 10_000 + t.year,
    "epoch seconds": lambda t: int(t.value // 1_000_000_000),
    "epoch milliseconds": lambda t: int(t.value // 1_000_000),
}
# how the number is ended: by a full stop (a sentence, a text, a bracket, a file name)
ENDINGS: dict[str, Callable[[int], str]] = {
    "sentence": lambda v: f"Occurred {v}. Reported the next day.",
    "end of text": lambda v: f"Occurred {v}.",
    "bracket": lambda v: f"Logged (ref {v}.) by the desk",
    "file name": lambda v: f"See photo {v}.png for the scene",
}


# text: the bare numbers the raw-timestamp scan takes from it
SCANNED = {
    "Occurred 20221015. Logged 202210151430.": ["20221015", "202210151430"],
    "(1666000000.) 1666000000000.png 15102022...": ["1666000000", "1666000000000", "15102022"],
    "20221015.\n202210151430.\t15102022.": ["20221015", "202210151430", "15102022"],
    "202210151430, 20221015;": ["202210151430", "20221015"],  # (as before)
    # a decimal point stays one, and a dotted version or address gives no number
    "20221015.5 2022101.25": [],
    # (a decimal with 9-14 digits before its point is taken whole, its whole part looked up:
    # tests/test_gate_decimal_timestamps.py)
    "202210151430.25": ["202210151430.25"],
    "v1.20221015. 10.0.20221015.1 20221015.20221016. 20221015.1430.1": [],
    # (a date with a time joined by its '.' is the date: tests/test_gate_joined_date_times.py)
    "20221015.1430.": ["20221015"],
    # a word character before or after it: no number (ONS codes, hex ids, as before)
    "E01013615. E0220221015. 20221015a. a20221015. 2022101500ff.": [],
}


@pytest.mark.parametrize("text", list(SCANNED))
def test_the_numbers_the_timestamp_scan_takes(text: str):
    assert _BARE_NUMBER.findall(text) == SCANNED[text]


@pytest.mark.parametrize("carrier", CARRIERS)
@pytest.mark.parametrize("form", list(FORMS))
def test_a_raw_timestamp_ending_a_sentence_is_refused(
    world: dict, clean_outputs: dict, tmp_path: Path, carrier: str, form: str
):
    """A timestamp ending a sentence ("Occurred 20221015.") passed where one with a comma
    after it ("Occurred 20221015,") was refused."""
    value = FORMS[form](stamp(world))
    text = ENDINGS["sentence"](value)
    report = gated(world, clean_outputs, tmp_path / "site", text, carrier)
    assert failed(report) == {"no_dates_finer_than_month"}, report.message()
    assert f"raw date/time written as the number {value}" in report.message()


@pytest.mark.parametrize("carrier", ["csv file", "html page", "json file"])
@pytest.mark.parametrize("ending", list(ENDINGS))
def test_each_full_stop_ending_is_refused(
    world: dict, clean_outputs: dict, tmp_path: Path, carrier: str, ending: str
):
    value = FORMS["yyyymmddHHMM"](stamp(world))
    report = gated(world, clean_outputs, tmp_path / "site", ENDINGS[ending](value), carrier)
    assert failed(report) == {"no_dates_finer_than_month"}, report.message()
    assert f"raw date/time written as the number {value}" in report.message()


# public text ended by full stops that must still pass: a month, a year, counts, ONS codes,
# hex ids, and the raw timestamp's digits as a decimal or in a dotted version
PUBLIC_TEXTS: dict[str, Callable[[pd.Timestamp], str]] = {
    "month and year": lambda t: "Figures for 2022-10. Crime fell in 2022. Next: 2022-11.",
    "counts": lambda t: "1,057 crimes. 1,057,000 residents. 1057000. 12345678. 70,123.",
    # (codes and ids holding the raw timestamp's digits: a letter glued to them)
    "ONS codes": lambda t: f"Areas E01013615. E02002345. E{t.strftime('%Y%m%d')}.",
    "hex ids": lambda t: (
        f"id {t.strftime('%Y%m%d')}{'ab' * 28}. ref {'cd' * 28}{t.strftime('%Y%m%d')}. "
        "d41d8cd98f00b204e9800998ecf8427e."
    ),
    "decimal and dotted versions": lambda t: (
        f"Ratio {t.strftime('%Y%m%d')}.5. Build 1.{t.strftime('%Y%m%d')}. "
        f"host 10.0.{int(t.value // 1_000_000_000)}.1."
    ),
}


@pytest.mark.parametrize("carrier", ["csv file", "text file", "json file"])
@pytest.mark.parametrize("text", list(PUBLIC_TEXTS))
def test_public_text_ended_by_full_stops_passes(
    world: dict, clean_outputs: dict, tmp_path: Path, carrier: str, text: str
):
    written = PUBLIC_TEXTS[text](stamp(world))
    report = gated(world, clean_outputs, tmp_path / "site", written, carrier)
    assert report.passed, report.message()
