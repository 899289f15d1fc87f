"""A police.uk street CSV saved again by Excel in Windows-1252 ("Café" as the byte 0xE9, "£"
as 0xA3) reads alike in the load, the web map and the neighbourhood summaries.

Why: the load read such a file (UTF-8 unless the bytes are not, then cp1252) while the web
map refused the same file ("not UTF-8 text") and the summaries could not read it either: one
file, two answers. Every reader now decodes through core.load.textscan.read_decoded, so the
text is the load's, and the leak gate still checks what is published. A file the load could
not decode whole (damaged UTF-8, a byte cp1252 leaves undefined) is still refused, naming
the file and the line the load rejects. Real bytes in real files, no mocks.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.publish.summaries import SummaryError
from crime_mapper.core.publish.summaries_history import read_history
from crime_mapper.core.publish.summaries_run import read_release, run_summaries
from crime_mapper.core.publish.webmap_export import WebmapOptions, export_webmap
from crime_mapper.core.publish.webmap_inputs import WebmapInputError
from crime_mapper.core.release.public_schema import LOCATION_PREFIX
from tests.support.page_positions import page_data, page_numbers, page_positions
from tests.support.summaries_release import (
    FORCE_EXTRACT,
    FORCE_PROFILE,
    SAMPLE,
    make_release,
    msoa_source,
)

OCT = SAMPLE / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"
SEPTEMBER = SAMPLE / "police-uk" / "2022-09" / "2022-09-leicestershire-street.csv"
CAFE = "On or near Café Street"
POUND = "On or near £ Lane"


def _excel_saved(frame: pd.DataFrame, path: Path) -> Path:
    """``frame`` written as Excel writes a CSV on Windows: cp1252 bytes, CRLF line ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="cp1252", lineterminator="\r\n")
    data = path.read_bytes()
    assert b"Caf\xe9 Street" in data  # (in UTF-8: Caf\xc3\xa9)
    return path


def _accented(source: Path) -> pd.DataFrame:
    """The police.uk month with its first two located crimes at "Café Street" and "£ Lane"."""
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    located = frame.index[frame["Longitude"] != ""]
    frame.loc[located[0], "Location"] = CAFE
    frame.loc[located[1], "Location"] = POUND
    return frame


def _excel_month(tmp_path: Path, source: Path = OCT) -> Path:
    path = _excel_saved(_accented(source), tmp_path / "excel" / source.name)
    assert b"\xa3 Lane" in path.read_bytes()
    return path


def _zipped(path: Path) -> Path:
    """The file as a data.police.uk monthly archive's member (read as bytes, not a path)."""
    archive = path.with_name("2022-10.zip")
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(path, f"2022-10/{path.name}")
    return archive


def _street(location: str) -> str:
    return location[len(LOCATION_PREFIX) :] if location.startswith(LOCATION_PREFIX) else location


@pytest.mark.parametrize("packed", [False, True], ids=["csv", "zip"])
@pytest.mark.parametrize("copies", [True, False], ids=["csv-copies", "hosted-csvs"])
def test_the_web_map_of_an_excel_saved_month_holds_the_text_the_load_reads(
    tmp_path, packed, copies
):
    """With CSV copies the street rows are read as text; without, with coordinates parsed as
    numbers by the reader: both paths decode as the load does."""
    month = _excel_month(tmp_path)
    loaded = load_extracts([str(month)])
    assert loaded.files[0].encoding == "cp1252" and loaded.rejects.empty
    crimes = loaded.crimes[loaded.crimes["has_location"]]
    assert {CAFE, POUND} <= set(crimes["location"].astype(str))

    options = WebmapOptions(
        inputs=[_zipped(month) if packed else month],
        out_dir=tmp_path / "site" / "map",  # (not beside the month: no link to it)
        copy_csv=copies,
        csv_url="" if copies else "https://data.example.org/crime/",
    )
    result = export_webmap(options)
    assert result.gate.startswith("Public-schema checks passed")  # gated as it was decoded
    data = page_data(result.out_dir)
    assert {"Café Street", "£ Lane"} <= set(data["labels"])
    # every point of the page is one of the load's crimes, with the load's text, and back
    page = {
        (x, y, data["labels"][label])
        for (x, y), label in zip(page_positions(data), page_numbers(data, "point_label"))
    }
    want = set(zip(crimes["longitude"], crimes["latitude"], crimes["location"].map(_street)))
    assert page == want
    if copies:  # the published copy is UTF-8 text holding the same words
        copy = result.out_dir / "downloads" / "2022-10-street.csv"
        text = copy.read_bytes().decode("utf-8")
        assert f"{CAFE}," in text and f"{POUND}," in text


def test_a_page_never_links_to_an_excel_saved_month_as_it_is(tmp_path):
    """A link publishes the file as it is, which the leak gate reads as UTF-8 only: the
    export says so, naming the file, instead of failing every gate check as unreadable."""
    month = _excel_month(tmp_path)
    with pytest.raises(WebmapInputError) as refused:
        export_webmap(WebmapOptions(inputs=[month], out_dir=month.parent / "map", copy_csv=False))
    assert str(refused.value).startswith(f"{month.name}: the page would link to this file")
    assert "not UTF-8 text (Windows-1252" in str(refused.value)
    assert not (month.parent / "map").exists()
    # a hosting address changes nothing (a link is taken where one is possible); copies do
    hosted = WebmapOptions(
        inputs=[month],
        out_dir=month.parent / "map",
        copy_csv=False,
        csv_url="https://data.example.org/crime/",
    )
    with pytest.raises(WebmapInputError, match="would link"):
        export_webmap(hosted)
    assert export_webmap(WebmapOptions(inputs=[month], out_dir=month.parent / "map")).crimes


def _damaged(tmp_path: Path, codec: str, bad: bytes) -> Path:
    """An accented month in ``codec`` whose "£ Lane" row holds ``bad`` where "£" was."""
    month = _excel_month(tmp_path)
    data = month.read_bytes().decode("cp1252").encode(codec)
    path = tmp_path / "damaged" / month.name
    path.parent.mkdir()
    path.write_bytes(data.replace("£ Lane".encode(codec), bad + b" Lane"))
    return path


@pytest.mark.parametrize(
    "codec, bad, says",
    [
        ("cp1252", b"\x81", "not Windows-1252 (cp1252) text"),  # a byte cp1252 leaves undefined
        ("utf-8", b"\xa3", "not UTF-8 text"),  # UTF-8 ("Café" in two bytes) with one bare byte
    ],
)
def test_a_month_the_load_cannot_decode_whole_is_refused_naming_file_and_line(
    tmp_path, codec, bad, says
):
    path = _damaged(tmp_path, codec, bad)
    loaded = load_extracts([str(path)])  # the load reads it with the same codec ...
    assert loaded.files[0].encoding == codec
    rejects = loaded.rejects
    assert rejects["reason"].tolist() == ["undecodable_bytes"]  # ... and rejects that row
    line = int(rejects["source_line"].iloc[0])
    with pytest.raises(WebmapInputError) as refused:
        export_webmap(WebmapOptions(inputs=[path], out_dir=tmp_path / "map"))
    message = str(refused.value)
    assert message.startswith(f"{path.name}: {says}")
    assert f"byte 0x{bad[0]:02x} on line {line:,}" in message
    assert not (tmp_path / "map").exists()
    with pytest.raises(SummaryError, match=f"history file {path.name} cannot be read"):
        read_history([path], ["2022-11"])


def test_summaries_read_an_excel_saved_history_month_and_release_as_the_load_does(tmp_path):
    month = _excel_month(tmp_path, SEPTEMBER)
    loaded = load_extracts([str(month)]).crimes
    history, _ = read_history([month], ["2022-10"])
    assert history["Location"].tolist() == loaded["location"].astype(str).tolist()
    assert {CAFE, POUND} <= set(history["Location"])
    release = read_release(month)
    assert release["Location"].tolist() == history["Location"].tolist()


def test_summaries_of_an_excel_saved_release_show_its_streets(tmp_path):
    """The release CSV re-saved by Excel, its busiest point's street renamed "Café Street": the
    summaries are made and gated against the raw crimes, and the pages name the street as
    the release does; an Excel-saved history month is counted in the trend."""
    made = make_release(tmp_path / "release")
    table = pd.read_csv(made["csv"], dtype=str, keep_default_na=False)
    points = table.loc[table["Longitude"] != "", ["Longitude", "Latitude"]].value_counts()
    lon, lat = points.index[0]  # the busiest map point
    renamed = (table["Longitude"] == lon) & (table["Latitude"] == lat)
    table.loc[renamed, "Location"] = CAFE
    release = _excel_saved(table, tmp_path / "excel" / made["csv"].name)
    history = _excel_month(tmp_path / "history", SEPTEMBER)
    done = run_summaries(
        [FORCE_EXTRACT],
        made["points"],
        release,
        tmp_path / "out",
        msoa_source(),
        profile_path=FORCE_PROFILE,
        history=[history],
    )
    assert "Leak gate passed" in done.gate_message
    pages = "".join(
        p.read_text(encoding="utf-8") for p in (tmp_path / "out" / "neighbourhoods").glob("*.html")
    )
    assert f"<bdi>{CAFE}</bdi>: {int(renamed.sum())} crimes" in pages
    assert "Caf\u00c3" not in pages and "\ufffd" not in pages  # no mojibake, no replacement
    tidy = pd.read_csv(tmp_path / "out" / "neighbourhoods" / "neighbourhood_summaries.csv")
    force = tidy[(tidy["neighbourhood_code"] == "force") & (tidy["category"] == "All crime")]
    counts = dict(zip(force["month"], force["count"]))
    assert counts["2022-09"] == len(pd.read_csv(SEPTEMBER, dtype=str))  # (not "missing")
    assert counts["2022-10"] == len(table)
