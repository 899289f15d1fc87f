"""A text planted in a clean published folder by each kind of file that can carry it, then
gated: the carriers the leak gate's written-number tests (timestamps ended by a full stop,
dates with a time joined on) each try a raw value in.

Why here: both tests planted the same way, their helpers copied from one to the other."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pandas as pd

from crime_mapper.core.gate.leak_gate import GateReport, check_release
from tests.support.leak_world import copy_folder, plant, raw_row

CARRIERS = ["csv file", "text file", "html page", "json file", "data script"]


def stamp(world: dict) -> pd.Timestamp:
    """The planted raw crime's date and time."""
    return pd.Timestamp(raw_row(world)["occurred_at"])


def site_with(clean_outputs: dict, folder: Path, text: str, carrier: str) -> Path:
    """The clean published folder with ``text`` written in it by ``carrier``."""
    site = copy_folder(clean_outputs["folder"], folder)
    if carrier == "csv file":  # a CSV that is no crime table: an area and a note
        with (site / "notes.csv").open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows([["Area", "Note"], ["Castle", text]])
    elif carrier == "text file":
        plant(site, "README.txt", "Published monthly.", f"Published monthly. {text}")
    elif carrier == "html page":
        plant(site, "index.html", "<h1>", f"<p>{text}</p><h1>")
    elif carrier == "json file":
        (site / "extra.json").write_text(json.dumps({"note": text}), "utf-8")
    else:  # a web map's data script: its JSON body scanned only when needed
        data = json.dumps({"counts": [457, 1200.5, 3], "note": text})
        (site / "notes.js").write_text(f"window.NOTES = {data};\n", "utf-8")
    return site


def gated(world: dict, clean_outputs: dict, folder: Path, text: str, carrier: str) -> GateReport:
    """The gate's report on the clean folder with ``text`` planted by ``carrier``."""
    site = site_with(clean_outputs, folder, text, carrier)
    report = check_release(world["raw"], site, world["points"])
    shutil.rmtree(folder)
    return report
