"""A raw crime's own timestamp written as a decimal the leak gate still passed:
- epoch seconds or milliseconds with a fraction ("1666762680.123", "1666762680123.4"), in
  text, HTML, a CSV cell, a JSON string or number: the raw-timestamp scan
  (checks._BARE_NUMBER) took no number a '.' and a digit followed, and a JSON file's
  numbers were looked up only when whole. A decimal with 9-14 digits before its point is
  now read whole, and its whole part looked up among the raw timestamp forms; no
  coordinate, count or ratio anyone publishes is one.
- a date with its time joined by a point as a JSON *number* in a plain .json file
  (20221026.0538): refused in a web map's data script (its text is scanned) but not in a
  .json file (its numbers are floats, and only whole ones were looked up). The two agree
  now: a number with 8 digits before its point, whose whole part is a raw date and whose
  fraction is a time of day as written, is the date.
- a JSON number whose fraction as written is no time ("20221026.143", "20221026.14") was
  refused in a .json file and a data script though the same text passed in a text file:
  its float is also that of a time ("20221026.1430"), and the float was judged. A .json
  file with a decimal of 1e7 or more keeps its text, judged as written (the text rule), as
  a data script's body is.
- a raw date or epoch written as a negative whole JSON number (-20221026) in a .json file:
  a text's "-20221026" is refused (a '-' hides no digit) and so was it in a data script,
  but a .json file's whole numbers were looked up only when positive.
Decimals, map points, counts, versions and a decimal that is no raw form still pass.

Real raw extract, map points and release (tests/support/leak_world); each output written to
disk and gated.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from crime_mapper.core.gate.checks import _BARE_NUMBER
from crime_mapper.core.gate.leak_gate import check_release
from crime_mapper.core.gate.output_reader import read_file
from tests.support.leak_world import copy_folder, failed
from tests.support.planted_text import CARRIERS, gated, stamp

Writer = Callable[[pd.Timestamp], str]


def _epoch(t: pd.Timestamp) -> int:
    return int(t.value // 1_000_000_000)


# a raw timestamp as a decimal with 9-14 digits before its point (epoch seconds or ms, a
# yyyymmddHHMM) with a fraction: (written, the number named)
RAW_DECIMALS: dict[str, Callable[[pd.Timestamp], tuple[str, int]]] = {
    "seconds.fff": lambda t: (f"{_epoch(t)}.123", _epoch(t)),
    "seconds.f": lambda t: (f"{_epoch(t)}.5", _epoch(t)),
    "ms.f": lambda t: (f"{_epoch(t) * 1000}.4", _epoch(t) * 1000),
    "yyyymmddHHMM.f": lambda t: (t.strftime("%Y%m%d%H%M") + ".25", int(t.strftime("%Y%m%d%H%M"))),
}


@pytest.mark.parametrize("carrier", CARRIERS)
@pytest.mark.parametrize("form", list(RAW_DECIMALS))
def test_a_raw_timestamp_with_a_fraction_is_refused(
    world: dict, clean_outputs: dict, tmp_path: Path, carrier: str, form: str
):
    written, number = RAW_DECIMALS[form](stamp(world))
    text = f"Logged {written}. Reported the next day."
    report = gated(world, clean_outputs, tmp_path / "site", text, carrier)
    assert failed(report) == {"no_dates_finer_than_month"}, report.message()
    assert f"raw date/time written as the number {number}" in report.message()


def _with_number(world: dict, clean_outputs: dict, folder: Path, number: str, kind: str):
    """The gate's report on the clean folder with a JSON file (or a web map's data script)
    whose counts hold ``number`` as written."""
    site = copy_folder(clean_outputs["folder"], folder)
    data = f'{{"counts": [457, 1200.5, {number}, 3], "ratio": 0.25}}'
    if kind == "json file":
        (site / "extra.json").write_text(data, "utf-8")
    else:
        (site / "notes.js").write_text(f"window.NOTES = {data};\n", "utf-8")
    report = check_release(world["raw"], site, world["points"])
    shutil.rmtree(folder)
    return report


# a JSON number: (written, the number named)
JSON_NUMBERS: dict[str, Callable[[pd.Timestamp], tuple[str, int]]] = {
    "yyyymmdd.HHMM": lambda t: (t.strftime("%Y%m%d.%H%M"), int(t.strftime("%Y%m%d"))),
    "yyyymmdd.HHMMSS": lambda t: (t.strftime("%Y%m%d.%H%M%S"), int(t.strftime("%Y%m%d"))),
    "ddmmyyyy.HHMM": lambda t: (t.strftime("%d%m%Y.%H%M"), int(t.strftime("%d%m%Y"))),
    "-yyyymmdd.HHMM": lambda t: (t.strftime("-%Y%m%d.%H%M"), int(t.strftime("%Y%m%d"))),
    "epoch seconds.fff": lambda t: (f"{_epoch(t)}.123", _epoch(t)),
    "epoch ms.f": lambda t: (f"{_epoch(t) * 1000}.4", _epoch(t) * 1000),
    # whole and negative: a '-' hides no digit, in a text ("-20221026") as in JSON
    "-yyyymmdd": lambda t: (t.strftime("-%Y%m%d"), int(t.strftime("%Y%m%d"))),
    "-ddmmyyyy": lambda t: (t.strftime("-%d%m%Y"), int(t.strftime("%d%m%Y"))),
    "-epoch seconds": lambda t: (f"-{_epoch(t)}", _epoch(t)),
    "-epoch ms": lambda t: (f"-{_epoch(t) * 1000}", _epoch(t) * 1000),
}


@pytest.mark.parametrize("kind", ["json file", "data script", "text file"])
@pytest.mark.parametrize("form", list(JSON_NUMBERS))
def test_a_json_number_is_read_alike_in_a_json_file_and_a_data_script(
    world: dict, clean_outputs: dict, tmp_path: Path, kind: str, form: str
):
    written, number = JSON_NUMBERS[form](stamp(world))
    if kind == "text file":  # (the rule the two follow)
        report = gated(world, clean_outputs, tmp_path / "site", f"N {written}.", kind)
    else:
        report = _with_number(world, clean_outputs, tmp_path / "site", written, kind)
    assert failed(report) == {"no_dates_finer_than_month"}, report.message()
    assert f"raw date/time written as the number {number}" in report.message()


def test_a_time_whose_trailing_zero_a_float_drops_is_still_a_time(
    world: dict, clean_outputs: dict, tmp_path: Path
):
    """20221026.1430 in a .json file is the float 20221026.143: judged as written, a time."""
    t = stamp(world).replace(hour=14, minute=30)
    written = t.strftime("%Y%m%d.%H%M")
    assert json.loads(written) == float(written.rstrip("0"))
    report = _with_number(world, clean_outputs, tmp_path / "site", written, "json file")
    assert failed(report) == {"no_dates_finer_than_month"}, report.message()
    assert f"raw date/time written as the number {t.strftime('%Y%m%d')}" in report.message()


# a raw date with a fraction that is no time of day as written, though its float is that of
# one ("20221026.143" is the float of "20221026.1430"): (written, its float's time written)
NO_TIME_AS_WRITTEN: dict[str, Callable[[pd.Timestamp], tuple[str, str]]] = {
    "yyyymmdd.HHM": lambda t: (t.strftime("%Y%m%d.%H%M")[:-1], t.strftime("%Y%m%d.%H%M")),
    "yyyymmdd.HH": lambda t: (t.strftime("%Y%m%d.%H"), t.strftime("%Y%m%d.%H00")),
    "-yyyymmdd.HHM": lambda t: (t.strftime("-%Y%m%d.%H%M")[:-1], t.strftime("-%Y%m%d.%H%M")),
    "yyyymmdd.HHMMS": lambda t: (
        t.strftime("%Y%m%d.%H%M%S")[:-1],
        t.strftime("%Y%m%d.%H%M%S"),
    ),
}


@pytest.mark.parametrize("form", list(NO_TIME_AS_WRITTEN))
def test_a_json_number_is_judged_as_written_as_in_a_text(
    world: dict, clean_outputs: dict, tmp_path: Path, form: str
):
    """A .json file, a data script and a text agree on a number whose float is also a
    time's: it passes as written, and its float's time written out is refused."""
    t = stamp(world).replace(hour=14, minute=30, second=50)
    written, as_time = NO_TIME_AS_WRITTEN[form](t)
    assert json.loads(written) == json.loads(as_time)  # (one float)
    for kind in ("json file", "data script"):
        report = _with_number(world, clean_outputs, tmp_path / "site", written, kind)
        assert report.passed, (kind, report.message())
        refused = _with_number(world, clean_outputs, tmp_path / "site", as_time, kind)
        assert failed(refused) == {"no_dates_finer_than_month"}, (kind, refused.message())
    assert gated(world, clean_outputs, tmp_path / "site", f"N {written}.", "text file").passed
    text_refused = gated(world, clean_outputs, tmp_path / "site", f"N {as_time}.", "text file")
    assert failed(text_refused) == {"no_dates_finer_than_month"}, text_refused.message()


def test_a_json_file_keeps_its_text_only_for_a_decimal_a_float_may_have_lost(tmp_path: Path):
    """Its text is kept (Artifact.json_text) for a decimal of 1e7 or more only: a map's
    coordinates, counts and whole numbers need none."""
    cases = {
        '{"n": [457, 1200.5, -1.134561, 52.637812, 457901.25, 20221026, -20221026]}': False,
        '{"n": [3, 20221026.143]}': True,
        '{"n": [3, -1666762680.5]}': True,
        '{"n": [3, 12345678.5]}': True,
    }
    for text, kept in cases.items():
        path = tmp_path / "a.json"
        path.write_text(text, "utf-8")
        art = read_file(path, "a.json", in_folder=True)
        assert art.json_text == (text if kept else ""), text


# numbers that are no timestamp: a decimal of a raw date whose fraction is no time, an
# epoch decimal of no raw crime, map-point sized and count sized numbers
PUBLIC_NUMBERS: dict[str, Writer] = {
    "raw date, fraction no time": lambda t: t.strftime("%Y%m%d") + ".5",
    "raw date, fraction 25": lambda t: t.strftime("%Y%m%d") + ".25",
    "raw date, long fraction": lambda t: t.strftime("%Y%m%d") + ".1430123",
    "no raw epoch": lambda t: f"{_epoch(t) + 17}.123",
    "counts and ratios": lambda t: "1057, 70123, 0.5, 12.75, 2022",
}


@pytest.mark.parametrize("kind", ["json file", "data script"])
@pytest.mark.parametrize("name", list(PUBLIC_NUMBERS))
def test_public_json_numbers_still_pass(
    world: dict, clean_outputs: dict, tmp_path: Path, kind: str, name: str
):
    written = PUBLIC_NUMBERS[name](stamp(world))
    report = _with_number(world, clean_outputs, tmp_path / "site", written, kind)
    assert report.passed, report.message()


def _map_point(world: dict) -> str:
    """A published crime's map point as the public CSV writes it: "lat, lon"."""
    row = world["public"][world["public"]["Longitude"] != ""].iloc[0]
    return f"{row['Latitude']}, {row['Longitude']}"


# public text that must still pass: versions, decimals, map points, counts, codes, months
PUBLIC_TEXTS: dict[str, Callable[[dict], str]] = {
    "versions": lambda w: (
        f"Build 1.2.{stamp(w).strftime('%Y%m%d')}, 10.12.{stamp(w).strftime('%Y%m%d')}, "
        f"3.{_epoch(stamp(w))}.1"
    ),
    "decimals": lambda w: (
        f"Ratio {stamp(w).strftime('%Y%m%d')}.5, total {_epoch(stamp(w)) + 3}.25, "
        f"{_epoch(stamp(w))}.5.1"
    ),
    "points and counts": lambda w: (
        f"Centre {_map_point(w)}; 1,057 crimes, 70,123 in 2022; 12.75 per 1,000; "
        "E01000001; 2022-10 (October 2022)."
    ),
}


@pytest.mark.parametrize("carrier", ["csv file", "text file", "json file"])
@pytest.mark.parametrize("text", list(PUBLIC_TEXTS))
def test_public_text_still_passes(
    world: dict, clean_outputs: dict, tmp_path: Path, carrier: str, text: str
):
    written = PUBLIC_TEXTS[text](world)
    report = gated(world, clean_outputs, tmp_path / "site", written, carrier)
    assert report.passed, report.message()


# text: the numbers the raw-timestamp scan takes from it (a decimal's whole part is looked
# up, checks._raw_forms_direct)
SCANNED = {
    "1666762680.123 1666762680123.4, 202210260538.25.": [
        "1666762680.123",
        "1666762680123.4",
        "202210260538.25",
    ],
    "-1666762680.5 (166676268.9)": ["1666762680.5", "166676268.9"],
    # 8 digits or fewer before the point, a dotted version, a letter: no number
    "20221026.5 2022102.25 1.1666762680.5 1666762680.5.1 1666762680.5e3 a1666762680.5": [],
}


@pytest.mark.parametrize("text", list(SCANNED))
def test_the_decimals_the_timestamp_scan_takes(text: str):
    assert _BARE_NUMBER.findall(text) == SCANNED[text]
