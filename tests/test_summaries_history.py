"""The summaries' public history (core.publish.summaries_history) and the demo it serves: the
committed Leicester city history (sample_data/police-uk/history + September 2022) read from
its monthly zip and folder, months the release holds taken from the release, anything that is
not a published street-level table refused with the file's name; and the demo configuration's
summaries, made end to end, show a full 12-month trend and a force rate over the same area as
its crimes (checked against an independent pandas computation)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.publish.summaries import SummaryError
from crime_mapper.core.publish.summaries_history import read_history
from crime_mapper.core.release.public_schema import PUBLIC_COLUMNS
from tests.support.summaries_release import (
    FORCE_EXTRACT,
    FORCE_PROFILE,
    POPULATION,
    SAMPLE,
    make_release,
    plain_cli,
)

HISTORY_ZIP = SAMPLE / "police-uk" / "history" / "leicester-city-2021-10-to-2022-08.zip"
SEPTEMBER = SAMPLE / "police-uk" / "2022-09"
CITY = SAMPLE / "neighbourhoods"
HISTORY_MONTHS = [f"2021-{m}" for m in ("10", "11", "12")] + [f"2022-{m:02d}" for m in range(1, 9)]


def test_a_history_file_given_twice_is_refused(tmp_path):
    """Its month's crimes were counted twice in the trend (55 crimes shown as 110)."""
    unpacked = tmp_path / "history"
    with zipfile.ZipFile(HISTORY_ZIP) as archive:
        archive.extractall(unpacked)
    for paths in (
        [SEPTEMBER, SEPTEMBER / "2022-09-leicestershire-street.csv"],
        [HISTORY_ZIP, unpacked / "2022-03"],
    ):
        with pytest.raises(SummaryError, match="the same file given twice"):
            read_history(paths, ["2022-10"])


def test_a_history_month_given_twice_in_other_bytes_is_refused(tmp_path):
    """September saved again with other line endings: other bytes, the same crimes, and
    every trend figure of that month doubled (the whole force's 4,685 shown as 9,370)."""
    name = "2022-09-leicestershire-street.csv"
    again = tmp_path / "resaved" / name
    again.parent.mkdir()
    again.write_bytes((SEPTEMBER / name).read_bytes().replace(b"\r\n", b"\n"))
    assert again.read_bytes() != (SEPTEMBER / name).read_bytes()
    with pytest.raises(SummaryError, match="both hold Leicestershire Police's street crimes"):
        read_history([SEPTEMBER, again], ["2022-10"])
    # a month the release holds is left out whatever repeats it
    kept, _ = read_history([SEPTEMBER, again], ["2022-09"])
    assert kept.empty


def _zip_frames() -> dict[str, pd.DataFrame]:
    out = {}
    with zipfile.ZipFile(HISTORY_ZIP) as archive:
        for name in archive.namelist():
            out[name] = pd.read_csv(
                io.BytesIO(archive.read(name)), dtype=str, keep_default_na=False
            )
    return out


def test_committed_history_is_the_city_slice_of_eleven_months():
    frames = _zip_frames()
    assert sorted(frames) == [f"{m}/{m}-leicestershire-street.csv" for m in HISTORY_MONTHS]
    for name, frame in frames.items():
        assert tuple(frame.columns) == PUBLIC_COLUMNS
        assert set(frame["Month"]) == {name[:7]}
        located = frame["Longitude"] != ""
        assert frame.loc[located, "LSOA name"].str.startswith("Leicester ").all()
        assert (frame["Crime ID"] == "").all()  # emptied to keep the slice small
    assert HISTORY_ZIP.stat().st_size < 600_000


def test_history_from_zip_and_folder_before_the_release():
    history, notes = read_history([HISTORY_ZIP, SEPTEMBER], ["2022-10"])
    assert sorted(set(history["Month"])) == HISTORY_MONTHS + ["2022-09"]
    expected = sum(len(f) for f in _zip_frames().values()) + len(
        pd.read_csv(SEPTEMBER / "2022-09-leicestershire-street.csv", dtype=str)
    )
    assert len(history) == expected
    assert "12 published months (2021-10 to 2022-09" in notes[0]


def test_months_the_release_holds_come_from_the_release():
    history, notes = read_history([HISTORY_ZIP, SEPTEMBER], ["2022-09", "2022-10"])
    assert history["Month"].max() == "2022-08"
    assert any("2022-09" in n and "left out" in n for n in notes)


def test_no_history_is_no_rows():
    history, notes = read_history([], ["2022-10"])
    assert len(history) == 0 and list(history.columns) == list(PUBLIC_COLUMNS) and not notes


def _write_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: d / "missing.zip", "not found"),
        (
            lambda d: (d / "bad.zip").write_bytes(b"PK\x03\x04 not a zip") and d / "bad.zip",
            "cannot",
        ),
        (lambda d: _write_zip(d / "empty.zip", {"readme.txt": b"x"}), "no *-street.csv"),
        (
            lambda d: _write_zip(
                d / "raw.zip", {"2022-01/2022-01-x-street.csv": b"CrimeRef,Offence Date\nA,1\n"}
            ),
            "not a police.uk street-level file",
        ),
        (
            lambda d: _write_zip(
                d / "days.zip",
                {
                    "2022-01/2022-01-x-street.csv": (
                        ",".join(PUBLIC_COLUMNS) + "\n,2022-01-15,,,,,,,,Burglary,,\n"
                    ).encode()
                },
            ),
            "no month as YYYY-MM",
        ),
        # (0x81: a byte Windows-1252 leaves undefined, so text in no encoding the load reads)
        (lambda d: (d / "x.csv").write_bytes(b"\xff\xfe\x00b\x81d") and d / "x.csv", "cannot"),
    ],
)
def test_anything_but_published_months_is_refused(tmp_path: Path, make, message):
    path = make(tmp_path)
    with pytest.raises(SummaryError, match="history") as caught:
        read_history([path], ["2022-10"])
    assert message in str(caught.value)


_STREET_ROW = (
    "abc,2022-01,Leicestershire Police,Leicestershire Police,-1.13,52.63,On or near {place},"
    "E01013600,Leicester 001A,Burglary,Under investigation,\n"
)


@pytest.mark.parametrize(
    "encoding, container", [("utf-8", "csv"), ("cp1252", "csv"), ("utf-8", "zip")]
)
def test_a_history_file_holding_a_nul_is_refused_naming_it_and_the_line(
    tmp_path: Path, encoding: str, container: str
):
    """A NUL in a history month (a damaged download) is refused naming the file and the
    line, never read with the cell cut at it ("Green\\x00gate" read as "Green"): a guard
    for ``[publish] summaries_history``, which reads through the load's NUL probe
    (core.load.textscan.read_decoded)."""
    rows = _STREET_ROW.format(place="Café") + _STREET_ROW.format(place="Green\x00gate")
    data = (",".join(PUBLIC_COLUMNS) + "\n" + rows).encode(encoding)
    member = "2022-01-leicestershire-street.csv"
    if container == "zip":
        path, named = (
            _write_zip(tmp_path / "h.zip", {f"2022-01/{member}": data}),
            f"h.zip:2022-01/{member}",
        )
    else:
        path, named = tmp_path / member, member
        path.write_bytes(data)
    with pytest.raises(SummaryError) as caught:
        read_history([path], ["2022-10"])
    message = str(caught.value)
    assert message.startswith(f"history file {named} ")
    assert "holds a NUL character (a zero byte) on line 3" in message and "\x00" not in message


# --- the demo's summaries, end to end --------------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("summaries_demo")
    release = make_release(base)
    out = base / "out"
    run = plain_cli(
        "summaries", FORCE_EXTRACT, "--profile", FORCE_PROFILE,
        "--points", release["points"], "--release", release["csv"], "--out", out,
        "--boundaries", CITY / "msoa11_leicester_city.geojson", "--code-field", "msoa11cd",
        "--lookup", CITY / "lsoa11_to_msoa11_leicester_city.csv",
        "--lookup-code-field", "msoa11cd", "--lookup-name-field", "msoa11nm",
        "--names", CITY / "msoa11_names_leicester_city.csv",
        "--names-code-field", "msoa11cd", "--names-name-field", "msoa11hclnm",
        "--lsoa-population", POPULATION, "--history", HISTORY_ZIP, SEPTEMBER,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return {"release": release, "out": out / "neighbourhoods", "stdout": run.stdout}


def test_demo_trend_is_complete_and_reconciles(demo: dict):
    assert "History: 12 published months (2021-10 to 2022-09" in demo["stdout"]
    tidy = pd.read_csv(demo["out"] / "neighbourhood_summaries.csv", dtype=str)
    assert set(tidy["status"]) == {"published"}  # no month missing
    force = tidy[(tidy["neighbourhood_code"] == "force") & (tidy["category"] == "All crime")]
    counts = dict(zip(force["month"], force["count"].astype(int)))
    assert sorted(counts) == HISTORY_MONTHS + ["2022-09", "2022-10"]
    # every published row of each history month is counted, and the release's own month
    for name, frame in _zip_frames().items():
        assert counts[name[:7]] == len(frame)
    september = pd.read_csv(SEPTEMBER / "2022-09-leicestershire-street.csv", dtype=str)
    assert counts["2022-09"] == len(september)
    release = pd.read_csv(demo["release"]["csv"], dtype=str)
    assert counts["2022-10"] == len(release)
    page = (demo["out"] / "leicester-city-centre.html").read_text(encoding="utf-8")
    assert "Change on a year earlier" in page  # 12 months shown: October 2021 is not
    assert "October 2021" not in page and "Oct 2021" not in page
    assert "November 2021: " in page
    assert "missing" not in page.split("Trend")[1].split("</desc>")[0]


def test_demo_pages_are_read_by_the_leak_gate_without_a_second_parse(demo: dict):
    """Our pages (links in prose, SVG charts with two-line month labels, tables) take the
    gate's fast read, their text as shown read from the same split
    (core.gate.output_reader._joined_runs)."""
    from tests.support.gate_text import assert_read_without_second_parse

    pages = sorted(demo["out"].glob("*.html"))
    assert len(pages) == 38
    assert_read_without_second_parse(pages)


def test_demo_force_rate_covers_the_same_area_as_its_crimes(demo: dict):
    """37 city neighbourhoods; the force rate is their crimes over their residents, computed
    here independently from the release, the lookup and the ONS populations."""
    release = pd.read_csv(demo["release"]["csv"], dtype=str, keep_default_na=False)
    lookup = pd.read_csv(CITY / "lsoa11_to_msoa11_leicester_city.csv", dtype=str)
    pop = pd.read_csv(POPULATION, dtype={"LSOA11CD": str})
    assert lookup["msoa11cd"].nunique() == 37
    in_city = release["LSOA code"].isin(set(lookup["lsoa11cd"]))
    residents = pop[pop["LSOA11CD"].isin(set(lookup["lsoa11cd"]))]["mid2018_population"].sum()
    expected = 1000.0 * in_city.sum() / residents
    index = (demo["out"] / "index.html").read_text(encoding="utf-8")
    assert f"Whole force: {expected:.1f} crimes per 1,000 residents" in index
    located = release["Longitude"] != ""
    assert in_city[located].mean() > 0.99  # the sample's located crimes are all city crimes
    assert len(list(demo["out"].glob("*.html"))) == 38
    assert np.isfinite(expected) and 5 < expected < 30


@pytest.mark.parametrize("month", ["2022-13", "", "22-10"])
def test_a_release_month_that_is_no_month_is_an_error_naming_the_file(tmp_path, month):
    """The summaries said "not a month (YYYY-MM): '2022-13'" without naming the file (the
    web map named it for the same input)."""
    from crime_mapper.core.publish.summaries_run import read_release

    source = SEPTEMBER / "2022-09-leicestershire-street.csv"
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    frame.loc[3, "Month"] = month
    path = tmp_path / "2022-09-leicestershire-street.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(SummaryError, match="2022-09-leicestershire-street.csv: 1 rows have no"):
        read_release(path)


def test_a_history_month_given_twice_with_the_force_in_capitals_is_refused(tmp_path):
    """A copy whose Falls within was re-typed in capitals was taken for another force's
    month: every crime of September counted twice (9,370 for 4,685), exit 0."""
    name = "2022-09-leicestershire-street.csv"
    again = tmp_path / "resaved" / name
    again.parent.mkdir()
    frame = pd.read_csv(SEPTEMBER / name, dtype=str, keep_default_na=False)
    frame["Falls within"] = "LEICESTERSHIRE  POLICE"
    frame.to_csv(again, index=False)
    with pytest.raises(SummaryError, match="both hold"):
        read_history([SEPTEMBER, again], ["2022-10"])


def test_a_history_row_cut_short_is_refused(tmp_path):
    """pandas padded a cut last row with empty cells, and it was counted as a crime."""
    name = "2022-09-leicestershire-street.csv"
    cut = tmp_path / name
    cut.write_text(
        (SEPTEMBER / name).read_text(encoding="utf-8-sig") + "abc,2022-08,Leicestershire Police\n",
        "utf-8",
    )
    with pytest.raises(SummaryError, match=r"1 rows have no Crime type .*cut short"):
        read_history([cut], ["2022-10"])
