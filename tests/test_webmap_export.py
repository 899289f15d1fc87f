"""The web map export without a browser: whitelist, escaping, gate, atomic writes, CLI."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.gate.leak_gate import LeakError
from crime_mapper.core.publish.webmap_data import aggregate, district_of, month_range
from crime_mapper.core.publish.webmap_export import WebmapOptions, export_webmap, tile_source
from crime_mapper.core.publish.webmap_inputs import WebmapInputError, read_release_inputs
from crime_mapper.core.release.public_schema import PUBLIC_COLUMNS
from tests.support.page_positions import page_numbers, page_positions

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "police-uk"
OCT = SAMPLE / "2022-10" / "2022-10-leicestershire-street.csv"
FORCE = REPO / "sample_data" / "force"


def _data(folder: Path, name: str = "points.js") -> dict:
    text = (folder / "data" / name).read_text(encoding="utf-8")
    return json.loads(text[text.index("=") + 1 :].rstrip().rstrip(";"))


def test_export_counts_reconcile_with_release(tmp_path):
    result = export_webmap(WebmapOptions(inputs=[OCT], out_dir=tmp_path / "map"))
    street = pd.read_csv(OCT, dtype=str, keep_default_na=False)
    data = _data(result.out_dir)
    located = street["Longitude"] != ""
    assert result.crimes == len(street)
    assert sum(page_numbers(data, "entry_count")) == int(located.sum())
    assert sum(data["nolocation_count"]) == int((~located).sum())
    distinct = street[located][["Longitude", "Latitude", "Location"]].drop_duplicates()
    positions = page_positions(data)
    assert len(positions) == len(distinct) == result.points
    # every point at a published location, exactly as its text reads, and every location
    # with a point (the page's letters decoded here one by one, not by the writer's codec)
    published = {(float(x), float(y)) for x, y in zip(distinct["Longitude"], distinct["Latitude"])}
    assert set(positions) == published
    assert sum(page_numbers(data, "point_n")) == len(page_numbers(data, "entry_key"))
    # the empty police.uk label is kept as an empty label, not dropped
    assert "" in data["labels"]
    # zoom is never blocked (WCAG 1.4.4; qgis2web's pages block pinch-zoom)
    html = result.index.read_text(encoding="utf-8")
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert "user-scalable" not in html and "maximum-scale" not in html
    assert '<html lang="en-GB">' in html
    # the downloads are the public schema exactly
    copy = pd.read_csv(result.out_dir / "downloads" / "2022-10-street.csv", dtype=str)
    assert list(copy.columns) == list(PUBLIC_COLUMNS) and len(copy) == len(street)


def test_extra_columns_never_reach_the_export(tmp_path):
    street = pd.read_csv(OCT, dtype=str, keep_default_na=False).head(50)
    street["Officer notes"] = "SECRET-NOTE-4711"
    street["Exact date"] = "2022-10-13 14:02"
    src = tmp_path / "2022-10-hand-edited-street.csv"
    street.to_csv(src, index=False)
    result = export_webmap(WebmapOptions(inputs=[src], out_dir=tmp_path / "map"))
    assert any("not published" in w for w in result.warnings)
    for path in result.out_dir.rglob("*"):
        if path.is_file() and "vendor" not in path.parts:
            text = path.read_text(encoding="utf-8")
            assert "SECRET-NOTE-4711" not in text and "Officer notes" not in text, path
            assert "2022-10-13" not in text, path


def test_hostile_text_is_escaped_everywhere(tmp_path):
    street = pd.read_csv(OCT, dtype=str, keep_default_na=False).head(5)
    street.loc[0, "Location"] = "On or near </script><script>alert(1)</script>"
    street.loc[1, "Location"] = "On or near <img src=x onerror=alert(1)>\u2028"
    src = tmp_path / "2022-10-x-street.csv"
    street.to_csv(src, index=False)
    result = export_webmap(
        WebmapOptions(inputs=[src], out_dir=tmp_path / "map", title="<b>Crime</b> & 'map'")
    )
    html = (result.out_dir / "index.html").read_text(encoding="utf-8")
    assert "<b>Crime</b>" not in html and "&lt;b&gt;Crime&lt;/b&gt; &amp;" in html
    js = (result.out_dir / "data" / "points.js").read_text(encoding="utf-8")
    assert "<" not in js and ">" not in js and "\u2028" not in js
    labels = _data(result.out_dir)["labels"]
    assert "</script><script>alert(1)</script>" in labels
    # formula injection is neutralised in the CSV download
    street.loc[2, "Location"] = "=HYPERLINK(1)"
    street.to_csv(src, index=False)
    result = export_webmap(WebmapOptions(inputs=[src], out_dir=tmp_path / "map"))
    text = (result.out_dir / "downloads" / "2022-10-street.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK(1)" in text


def test_failed_export_leaves_previous_intact(tmp_path):
    out = tmp_path / "map"
    export_webmap(WebmapOptions(inputs=[OCT], out_dir=out))
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    bad = tmp_path / "bad-street.csv"
    bad.write_text("Crime ID,Month,Crime type\nx,2022-13,Burglary\n", encoding="utf-8")
    with pytest.raises(WebmapInputError):
        export_webmap(WebmapOptions(inputs=[bad], out_dir=out))
    street = pd.read_csv(OCT, dtype=str, keep_default_na=False)
    street.loc[3, "Month"] = "13/10/2022"
    bad_month = tmp_path / "2022-10-bad-street.csv"
    street.to_csv(bad_month, index=False)
    with pytest.raises(WebmapInputError, match="not YYYY-MM"):
        export_webmap(WebmapOptions(inputs=[bad_month], out_dir=out))
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_gate_with_raw_refuses_a_release_off_its_map_points(tmp_path):
    """Where the raw crimes are at hand, the full gate runs; a release with a point that is
    not a map point is refused and nothing replaces the previous export."""
    from crime_mapper.core.load.loader import load_extracts
    from crime_mapper.core.load.mapping_profile import load_profile
    from crime_mapper.core.release.map_points import map_points_from_history

    profile = load_profile(FORCE / "leicestershire-force-extract.profile.json")
    raw = load_extracts(
        [str(FORCE / "2022-10-leicestershire-force-extract.csv")], profile=profile
    ).crimes
    published = load_extracts([str(OCT)]).crimes
    points = map_points_from_history(published)
    out = tmp_path / "map"
    ok = export_webmap(WebmapOptions(inputs=[OCT], out_dir=out, raw=raw, points=points))
    assert re.search(r"all \d+ checks passed", ok.gate)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    street = pd.read_csv(OCT, dtype=str, keep_default_na=False)
    raw_located = raw[raw["has_location"]]
    street.loc[0, "Longitude"] = f"{raw_located['longitude'].iloc[0]:.6f}"
    street.loc[0, "Latitude"] = f"{raw_located['latitude'].iloc[0]:.6f}"
    leaky = tmp_path / "2022-10-leaky-street.csv"
    street.to_csv(leaky, index=False)
    with pytest.raises(LeakError, match="coordinates"):
        export_webmap(WebmapOptions(inputs=[leaky], out_dir=out, raw=raw, points=points))
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_public_checks_run_without_raw(tmp_path, monkeypatch):
    """From police.uk downloads the public checks still run: a day-precise date that slipped
    into a label is refused."""
    street = pd.read_csv(OCT, dtype=str, keep_default_na=False).head(20)
    street.loc[0, "Location"] = "On or near Seen 13/10/2022 at 14:05"
    src = tmp_path / "2022-10-x-street.csv"
    street.to_csv(src, index=False)
    with pytest.raises(LeakError, match="no_dates_finer_than_month"):
        export_webmap(WebmapOptions(inputs=[src], out_dir=tmp_path / "map"))
    assert not (tmp_path / "map").exists()


@pytest.mark.parametrize(
    "inputs",
    [
        [OCT, OCT],  # a path repeated
        [SAMPLE / "2022-10", OCT],  # a folder and a file inside it
        [SAMPLE / "2022-10.zip", SAMPLE / "2022-10"],  # a monthly zip and its folder
    ],
)
def test_the_same_file_given_twice_is_refused(tmp_path, inputs):
    """Its crimes were counted twice: 9,672 crimes on the page for a month of 4,836."""
    out = tmp_path / "map"
    with pytest.raises(WebmapInputError, match="the same file given twice"):
        export_webmap(WebmapOptions(inputs=inputs, out_dir=out, tiles="none"))
    assert not out.exists()
    # two months, or one month from one place, are read as before
    both = read_release_inputs([SAMPLE / "2022-09", SAMPLE / "2022-10.zip"])
    assert sorted(set(both.street["Month"])) == ["2022-09", "2022-10"]


def _saved_again(tmp_path: Path, folder: str, name: str = OCT.name) -> Path:
    """October's street file saved again with Unix line endings: other bytes."""
    copy = tmp_path / folder / name
    copy.parent.mkdir(parents=True)
    copy.write_bytes(OCT.read_bytes().replace(b"\r\n", b"\n"))
    assert copy.read_bytes() != OCT.read_bytes()
    return copy


def test_a_forces_month_given_twice_in_other_bytes_is_refused(tmp_path):
    """A month saved again (other line endings) is other bytes: every figure of that month
    was doubled on the page (9,370 crimes for 4,685)."""
    out = tmp_path / "map"
    again = _saved_again(tmp_path, "resaved")
    with pytest.raises(WebmapInputError, match="both hold leicestershire's street crimes for"):
        export_webmap(WebmapOptions(inputs=[OCT, again], out_dir=out, tiles="none"))
    assert not out.exists()
    # another force's file of the same month (its own crimes) is no repeat
    rutland = pd.read_csv(OCT, dtype=str, keep_default_na=False)
    rutland["Crime ID"] = rutland["Crime ID"].map(lambda ref: ref and f"r{ref[1:]}")
    other = tmp_path / "other" / "2022-10-rutland-street.csv"
    other.parent.mkdir()
    rutland.to_csv(other, index=False)
    both = read_release_inputs([OCT, other])
    assert len(both.street) == 2 * len(read_release_inputs([OCT]).street)


def test_a_crime_in_two_files_of_one_month_is_refused(tmp_path):
    """Two extracts of October under other names sharing 5 crimes: 25 crimes drawn for 20.
    One crime in two months is police.uk's own (9 in 35 real Leicestershire months)."""
    october = pd.read_csv(OCT, dtype=str, keep_default_na=False)
    with_ids = october[october["Crime ID"] != ""]
    first, second = tmp_path / "2022-10-north-street.csv", tmp_path / "2022-10-south-street.csv"
    with_ids.iloc[:20].to_csv(first, index=False)
    with_ids.iloc[15:30].to_csv(second, index=False)
    with pytest.raises(WebmapInputError, match="both hold the crime .* of 2022-10"):
        read_release_inputs([first, second])
    later = with_ids.iloc[15:30].assign(Month="2022-11")
    november = tmp_path / "2022-11-south-street.csv"
    later.to_csv(november, index=False)
    assert len(read_release_inputs([first, november]).street) == 35


def test_outcomes_update_latest_outcome():
    inputs = read_release_inputs([SAMPLE / "2022-07"])
    assert len(inputs.outcomes)
    data = aggregate(inputs.street, inputs.outcomes).data
    assert "Investigation complete; no suspect identified" in data["outcomes"]
    assert sum(page_numbers(data, "outcome_count")) > 0


@pytest.mark.parametrize(
    "change, says",
    [
        ({"Longitude": "2.35", "Latitude": "48.85"}, "outside the United Kingdom .row 1:"),
        ({"Longitude": "52.68", "Latitude": "-1.14"}, "longitude 52.68, latitude -1.14; swapped"),
        ({"Month": "2022-09"}, "1 row of month 2022-09 in a file named for 2022-10"),
    ],
    ids=["paris", "swapped", "another month"],
)
def test_a_release_row_the_load_would_reject_is_refused(tmp_path, change, says):
    """Drawn in Paris or the Indian Ocean (the map's bounds stretched to them), or shown as
    a second month of one stray row: the load rejects each (outside_uk, lat_lon_swapped,
    month_mismatch), the web map published them."""
    street = pd.read_csv(OCT, dtype=str, keep_default_na=False)
    located = street.index[street["Longitude"] != ""][0]
    for column, value in change.items():
        street.loc[located, column] = value
    source = tmp_path / OCT.name
    street.to_csv(source, index=False)
    out = tmp_path / "map"
    with pytest.raises(WebmapInputError, match=says):
        export_webmap(WebmapOptions(inputs=[source], out_dir=out, tiles="none"))
    assert not out.exists()


@pytest.mark.parametrize(
    "column, value, says",
    [
        ("Context", "Caller Fatima Wilson states repeat incident", "hold text in Context"),
        ("Location", "On or near 236 Birstow Crescent", "an address, not a street: 'On or"),
    ],
    ids=["records-system note", "house number"],
)
def test_without_the_raw_crimes_non_public_text_is_still_refused(tmp_path, column, value, says):
    """A release CSV edited by hand (an MO note in Context, a house number in a location)
    passed the checks that need no raw table: the note went out in downloads/, the
    address in the points. Only a release made here has the raw crimes beside it."""
    street = pd.read_csv(OCT, dtype=str, keep_default_na=False)
    located = street.index[street["Longitude"] != ""][0]
    street.loc[located, column] = value
    source = tmp_path / OCT.name
    street.to_csv(source, index=False)
    out = tmp_path / "map"
    with pytest.raises((WebmapInputError, LeakError), match=says):
        export_webmap(WebmapOptions(inputs=[source], out_dir=out, tiles="none"))
    assert not out.exists()


def _area_counts(data: dict) -> dict[str, int]:
    """Crimes per area as the page sums them: each point's entries under its area."""
    counts: dict[str, int] = {}
    start = 0
    point_area, entry_count = page_numbers(data, "point_area"), page_numbers(data, "entry_count")
    for point, n in enumerate(page_numbers(data, "point_n")):
        area = data["areas"][point_area[point]]
        counts[area] = counts.get(area, 0) + sum(entry_count[start : start + n])
        start += n
    return counts


def test_crimes_at_one_point_in_two_areas_are_each_counted_in_their_own():
    """A point's crimes all went to its first row's area: 3 in Leicester 001 and 0 in
    Leicester 003 on the map, where the summaries (by each crime's LSOA) said 1 and 2."""
    street = read_release_inputs([OCT]).street.head(40).copy()
    street.loc[:, ["Longitude", "Latitude", "Location"]] = ["-1.144333", "52.680018", "X"]
    areas = ["Leicester 001" if i % 3 == 0 else "Leicester 003" for i in range(len(street))]
    data = aggregate(street, pd.DataFrame(), row_areas=areas).data
    expected = pd.Series(areas).value_counts().to_dict()
    assert _area_counts(data) == expected and sum(expected.values()) == 40
    assert len(page_numbers(data, "point_n")) == 2  # (a record per area at the one position)
    # without areas for the rows: the district of each crime's own LSOA name
    october = read_release_inputs([OCT]).street
    located = october[pd.to_numeric(october["Longitude"], errors="coerce").notna()]
    districts = located["LSOA name"].map(lambda n: district_of(n) or "Unknown area")
    by_district = aggregate(october, pd.DataFrame()).data
    assert _area_counts(by_district) == districts.value_counts().to_dict()


def test_month_range_fills_gaps():
    assert month_range(["2022-11", "2023-02"]) == ["2022-11", "2022-12", "2023-01", "2023-02"]


def test_tile_source_validation():
    assert tile_source("none") is None
    assert tile_source("osm").origin == "https://tile.openstreetmap.org"
    with pytest.raises(WebmapInputError):
        tile_source("http://tiles.example.org/{z}/{x}/{y}.png", "x")
    with pytest.raises(WebmapInputError, match="attribution"):
        tile_source("https://tiles.example.org/{z}/{x}/{y}.png")
    custom = tile_source("https://tiles.example.org/{z}/{x}/{y}.png", "© Example")
    assert custom.origin == "https://tiles.example.org"


def test_cli_webmap(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "crime_mapper.cli", "webmap", str(OCT), "--out", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert re.search(r"web map: .*index\.html \(4,836 crimes", run.stdout)
    assert (tmp_path / "map" / "index.html").is_file()
    bad = subprocess.run(
        [sys.executable, "-m", "crime_mapper.cli", "webmap", "nope.csv", "--out", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "nope.csv" in bad.stderr


def test_release_geopackage_reads_like_its_csv(tmp_path):
    """The public_crimes layer of a release GeoPackage gives the same page data as the CSV."""
    from crime_mapper.core.io import gpkg_write
    from crime_mapper.core.release.pipeline import public_point_table
    from crime_mapper.core.release.public_schema import read_public_csv

    public = read_public_csv(OCT)
    gpkg = tmp_path / "2022-10-leicestershire-street.gpkg"
    gpkg_write.write_geopackage(gpkg, [public_point_table(public)])
    from_gpkg = export_webmap(WebmapOptions(inputs=[gpkg], out_dir=tmp_path / "a", tiles="none"))
    from_csv = export_webmap(WebmapOptions(inputs=[OCT], out_dir=tmp_path / "b", tiles="none"))
    assert _data(from_gpkg.out_dir) == _data(from_csv.out_dir)
    assert from_gpkg.crimes == len(public)


@pytest.mark.parametrize("column", ["Location", "Crime type", "Longitude"])
def test_binary_data_in_a_release_geopackage_is_refused_naming_the_column(tmp_path, column):
    """A cell edited to a BLOB would otherwise reach the page as its Python repr (b'...'), a
    value nobody wrote."""
    import sqlite3

    from crime_mapper.core.io import gpkg_write
    from crime_mapper.core.release.pipeline import public_point_table
    from crime_mapper.core.release.public_schema import read_public_csv
    from tests.support.gpkg_edits import edited_gpkg

    gpkg = tmp_path / "written.gpkg"
    gpkg_write.write_geopackage(gpkg, [public_point_table(read_public_csv(OCT))])
    conn = sqlite3.connect(gpkg)
    table = conn.execute("SELECT table_name FROM gpkg_contents").fetchone()[0]
    conn.close()
    quoted = gpkg_write.quote_identifier
    edited = edited_gpkg(
        gpkg, tmp_path, f"UPDATE {quoted(table)} SET {quoted(column)} = X'3C62' WHERE fid = 2"
    )
    with pytest.raises(WebmapInputError, match=f"{re.escape(column)} holds binary data in 1 row"):
        read_release_inputs([edited])


def test_page_data_is_the_same_with_or_without_csv_copies(tmp_path):
    """Without copies only the page's columns are read (the national speed-up): the page's
    data must not change, and an outcomes file still joins by Crime ID."""
    inputs = []
    for name in ("2022-07-northumbria-street.csv", "2022-07-northumbria-outcomes.csv"):
        shutil.copyfile(SAMPLE / "2022-07" / name, tmp_path / name)
        inputs.append(tmp_path / name)
    full = export_webmap(WebmapOptions(inputs=inputs, out_dir=tmp_path / "a", tiles="none"))
    lean = export_webmap(
        WebmapOptions(inputs=inputs, out_dir=tmp_path / "b", tiles="none", copy_csv=False)
    )
    for name in ("points.js", "config.js"):
        assert (full.out_dir / "data" / name).read_bytes() == (
            lean.out_dir / "data" / name
        ).read_bytes()
    assert not (lean.out_dir / "downloads").exists()
    assert page_numbers(
        json.loads(
            (full.out_dir / "data" / "points.js").read_text(encoding="utf-8").split("=", 1)[1][:-2]
        ),
        "outcome_count",
    ), "the outcomes file must reach the page"
    subset = read_release_inputs(inputs[:1], ["Month", "Longitude", "Latitude"])
    assert list(subset.street.columns) == ["Month", "Longitude", "Latitude"]
    with_outcomes = read_release_inputs(inputs, ["Month", "Longitude", "Latitude"])
    assert list(with_outcomes.street.columns) == ["Crime ID", "Month", "Longitude", "Latitude"]


def test_bad_month_is_reported_with_its_count(tmp_path):
    street = pd.read_csv(OCT, dtype=str, keep_default_na=False).head(30)
    street.loc[street.index[:7], "Month"] = "2022-10-05"
    src = tmp_path / "2022-10-x-street.csv"
    street.to_csv(src, index=False)
    with pytest.raises(WebmapInputError, match=r"7 rows have a Month .*'2022-10-05'"):
        read_release_inputs([src])


@pytest.fixture(scope="module")
def force_release(tmp_path_factory):
    """A real release of the Leicestershire force extract, made by the release pipeline."""
    from tests.support.webmap_release import make_force_release

    return make_force_release(tmp_path_factory.mktemp("release"))


def test_map_beside_a_release_links_to_its_gated_csv(force_release, tmp_path):
    """Too large to copy (or asked not to): the page links to the release's own public CSV,
    which the release manifest vouches for (same SHA-256); no copy is written."""
    release = force_release["out"]
    folder = tmp_path / "release"
    shutil.copytree(force_release["folder"], folder)
    csv = folder / release.public_csv.name
    result = export_webmap(
        WebmapOptions(inputs=[csv], out_dir=folder / "map", tiles="none", copy_csv=False)
    )
    html = result.index.read_text(encoding="utf-8")
    hrefs = re.findall(r'<ul id="downloads-list">.*?</ul>', html, re.S)[0]
    assert re.findall(r'href="([^"]+)"', hrefs) == [f"../{csv.name}"]
    assert (result.out_dir / f"../{csv.name}").resolve() == csv.resolve()
    assert "linked where they are published" in html and "30 MB" in html
    assert not (result.out_dir / "downloads").exists()
    from crime_mapper.core.publish.webmap_downloads import manifest_vouches

    assert manifest_vouches(csv) == folder / "release_manifest.json"
    # the CLI says the same
    out = subprocess.run(
        [sys.executable, "-m", "crime_mapper.cli", "webmap", str(csv), "--out", str(folder)]
        + ["--no-csv", "--tiles", "none"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert f'href="../{csv.name}"' in (folder / "map" / "index.html").read_text(encoding="utf-8")


def test_a_linked_csv_the_manifest_does_not_vouch_for_is_gated(force_release, tmp_path):
    """Edited after the release (its SHA-256 no longer the manifest's), the linked CSV is
    gated by the export itself: a day-precise date in it is refused, fail closed, and the
    previous map stays."""
    release = force_release["out"]
    folder = tmp_path / "release"
    shutil.copytree(force_release["folder"], folder)
    csv = folder / release.public_csv.name
    out = folder / "map"
    export_webmap(WebmapOptions(inputs=[csv], out_dir=out, tiles="none", copy_csv=False))
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    street = pd.read_csv(csv, dtype=str, keep_default_na=False)
    street.loc[0, "Context"] = "Reported 13/10/2022 14:05"
    street.to_csv(csv, index=False)
    with pytest.raises(LeakError, match="no_dates_finer_than_month"):
        export_webmap(WebmapOptions(inputs=[csv], out_dir=out, tiles="none", copy_csv=False))
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_downloads_need_a_copy_a_link_or_an_address(tmp_path):
    """Never a page without its downloads: not copied, not beside the map and no hosted
    address is a clear error; an address is offered as the link; a CSV with extra columns
    is never linked to (it would publish them) even when beside the map."""
    with pytest.raises(WebmapInputError, match="--csv-url"):
        export_webmap(WebmapOptions(inputs=[OCT], out_dir=tmp_path / "m1", copy_csv=False))
    assert not (tmp_path / "m1").exists()
    done = export_webmap(
        WebmapOptions(
            inputs=[OCT],
            out_dir=tmp_path / "m2",
            copy_csv=False,
            csv_url="https://data.example.org/crime/",
        )
    )
    assert 'href="https://data.example.org/crime/"' in done.index.read_text(encoding="utf-8")
    with pytest.raises(WebmapInputError, match="--csv-url"):
        export_webmap(
            WebmapOptions(inputs=[OCT], out_dir=tmp_path / "m3", copy_csv=False, csv_url="x")
        )
    street = pd.read_csv(OCT, dtype=str, keep_default_na=False)
    street["Officer notes"] = "SECRET"
    beside = tmp_path / "2022-10-extra-street.csv"
    street.to_csv(beside, index=False)
    with pytest.raises(WebmapInputError, match="--csv-url"):
        export_webmap(WebmapOptions(inputs=[beside], out_dir=tmp_path / "m4", copy_csv=False))


def test_gate_reads_a_data_script_once_and_still_finds_dates(tmp_path):
    """A script that is one JSON literal assigned to a name (the map's data files) is walked
    as JSON and its body is not re-scanned for dates (JSON outside its strings holds only
    numbers and punctuation); dates inside its strings, and any script with code beside
    the data, are still found."""

    from crime_mapper.core.gate.leak_gate import check_release
    from crime_mapper.core.gate.output_reader import read_output
    from crime_mapper.core.publish.webmap_export import _empty_raw, _release_points

    def gate(files: dict[str, str]):
        folder = tmp_path / f"f{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
        street = pd.DataFrame({"Location": ["x"], "LSOA code": ["E1"], "LSOA name": ["A 001A"]})
        points = _release_points(street, np.array([-1.1]), np.array([52.6]))
        report = check_release(_empty_raw(), folder, points)
        dates = next(c for c in report.checks if c.name == "no_dates_finer_than_month")
        return read_output(folder)[1], dates.passed

    data = 'window.CM_DATA = {"labels": ["On or near A Road"], "n": [1, 2, 2022, 10, 13]};\n'
    arts, ok = gate({"points.js": data})
    assert arts[0].json_code == arts[0].code and ok
    arts, ok = gate({"points.js": data.replace("A Road", "A Road seen 13/10/2022")})
    assert not ok, "a date inside a data script's string must fail"
    arts, ok = gate({"points.js": data.rstrip() + ' var seen = "13/10/2022";\n'})
    assert arts[0].json_code == [] and not ok
    arts, ok = gate({"app.js": "var when = new Date(2022, 9, 13); // 13.10.2022\n"})
    assert arts[0].json_code == [] and not ok


@pytest.mark.parametrize("where", ["JSON integers", "letters", "damaged letters"])
def test_gate_finds_a_raw_timestamp_among_a_data_scripts_numbers(tmp_path, where):
    """The gate takes a data script's flat integer arrays in one go, and its per-point
    arrays from their letters (core.common.letter_digits): a raw occurred_at written as an
    epoch among JSON integers, or among the counts' letters, is still refused; letters that
    are not numbers make the file unreadable, so every check fails."""
    from crime_mapper.core.common.letter_digits import naturals_to_letters
    from crime_mapper.core.gate.leak_gate import check_release
    from crime_mapper.core.gate.output_reader import read_output
    from crime_mapper.core.load.loader import load_extracts
    from crime_mapper.core.load.mapping_profile import load_profile
    from crime_mapper.core.release.map_points import map_points_from_history

    profile = load_profile(FORCE / "leicestershire-force-extract.profile.json")
    raw = load_extracts(
        [str(FORCE / "2022-10-leicestershire-force-extract.csv")], profile=profile
    ).crimes
    points = map_points_from_history(load_extracts([str(OCT)]).crimes)
    out = tmp_path / "map"
    export_webmap(WebmapOptions(inputs=[OCT], out_dir=out, raw=raw, points=points, tiles="none"))
    assert check_release(raw, out, points).passed
    stamp = pd.Timestamp(raw["occurred_at"].dropna().iloc[0])
    js = out / "data" / "points.js"
    text = js.read_text(encoding="utf-8")
    letters = '"entry_count":{"encoding":"naturals-base26","values":"'
    assert text.count(letters) == 1 and text.count('"months":[') == 1
    if where == "JSON integers":
        epoch = int(stamp.value // 1_000_000)  # (milliseconds)
        text = text.replace('"months":[', f'"counts":[{epoch},1,2,3,4],"months":[')
    elif where == "letters":
        epoch = int(stamp.value // 1_000_000_000)  # (seconds: letters hold up to 26**7 - 1)
        text = text.replace(letters, letters + naturals_to_letters(np.array([epoch])))
    else:
        epoch = 0
        text = text.replace(letters, letters + "1")
    js.write_text(text, "utf-8")
    report = check_release(raw, out, points)
    assert not report.passed
    art = next(a for a in read_output(out)[1] if a.name == "data/points.js")
    if where == "damaged letters":
        assert art.error and "numbers" in art.error and "'1'" in art.error
        assert all(not check.passed for check in report.checks)
        return
    assert str(epoch) in report.message()
    assert float(epoch) in art.number_values().tolist()  # the reader itself took it


def test_relative_download_links(tmp_path):
    """Links go up from the map folder to files inside the folder it is published from,
    URL-quoted; files outside it, or inside the map folder itself (replaced by every
    export), are never linked."""
    from crime_mapper.core.publish.webmap_downloads import relative_href

    root = tmp_path / "publish"
    (root / "2022 #10").mkdir(parents=True)
    target = root / "2022 #10" / "a&b street.csv"
    target.write_text("x", encoding="utf-8")
    href = relative_href(target, root / "map")
    assert href == "../2022%20%2310/a%26b%20street.csv"
    assert relative_href(tmp_path / "elsewhere.csv", root / "map") is None
    assert relative_href(root / "map" / "downloads" / "x.csv", root / "map") is None


def test_coordinates_read_as_numbers_equal_the_text_read(tmp_path):
    """The lean read (coordinates parsed by the CSV reader) gives exactly the text read's
    numbers, blanks as NaN; a coordinate that is not a number is still a clear error."""
    text = read_release_inputs([OCT], ["Month", "Longitude", "Latitude"])
    typed = read_release_inputs([OCT], ["Month", "Longitude", "Latitude"], typed_coordinates=True)
    assert typed.street["Longitude"].dtype == np.float64
    assert np.isnan(text.lon).any(), "the sample should hold rows without a location"
    assert np.array_equal(text.lon, typed.lon, equal_nan=True)
    assert np.array_equal(text.lat, typed.lat, equal_nan=True)
    assert typed.warnings == text.warnings
    street = pd.read_csv(OCT, dtype=str, keep_default_na=False).head(40)
    street.loc[street.index[3], "Latitude"] = "52.6x"
    bad = tmp_path / "2022-10-bad-street.csv"
    street.to_csv(bad, index=False)
    with pytest.raises(WebmapInputError, match="1 rows have coordinates that are not numbers"):
        read_release_inputs([bad], ["Month", "Longitude", "Latitude"], typed_coordinates=True)
    with pytest.raises(WebmapInputError, match="not numbers"):
        export_webmap(
            WebmapOptions(
                inputs=[bad], out_dir=tmp_path / "m", copy_csv=False, csv_url="https://x.org/"
            )
        )


def _outlines(tmp_path: Path, features: list) -> Path:
    path = tmp_path / "areas.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def _square_feature(code: str, x: float, y: float = 52.6) -> dict:
    ring = [[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]
    return {
        "type": "Feature",
        "properties": {"code": code},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


@pytest.mark.parametrize(
    "features",
    [
        [],
        [
            {
                "type": "Feature",
                "properties": {"code": "E1"},
                "geometry": {"type": "Point", "coordinates": [-1.1, 52.6]},
            }
        ],
    ],
    ids=["empty collection", "points only"],
)
def test_neighbourhoods_with_no_usable_outline_are_refused(tmp_path: Path, features) -> None:
    """An empty collection, or points where polygons were wanted, made a map without areas,
    exit 0, and nothing said why (the summaries from the same file said so)."""
    from crime_mapper.core.publish.summaries_run import NeighbourhoodSource
    from crime_mapper.core.publish.webmap_run import run_webmap

    source = NeighbourhoodSource(boundaries=_outlines(tmp_path, features), code_field="code")
    with pytest.raises(WebmapInputError, match="hold no usable neighbourhood"):
        run_webmap([OCT], tmp_path / "out" / "map", neighbourhoods=source)
    assert not (tmp_path / "out" / "map").exists()


def test_what_was_left_out_of_the_neighbourhoods_is_warned(tmp_path: Path) -> None:
    """A repeated code, a feature without a code: repaired or skipped, as the summaries do,
    and now said in the web map's warnings too."""
    from crime_mapper.core.publish.summaries_run import NeighbourhoodSource
    from crime_mapper.core.publish.webmap_run import run_webmap

    features = [_square_feature("E1", -1.2), _square_feature("E1", -1.1)]
    features.append({**_square_feature("", -1.0), "properties": {}})
    source = NeighbourhoodSource(boundaries=_outlines(tmp_path, features), code_field="code")
    done = run_webmap([OCT], tmp_path / "out" / "map", neighbourhoods=source)
    said = [w for w in done.warnings if w.startswith("neighbourhoods: ")]
    assert any("repeats an earlier feature" in w for w in said)
    assert any("no code; skipped" in w for w in said)


@pytest.mark.parametrize(
    "url",
    [
        "https://[::1/{z}/{x}/{y}.png",  # an unclosed IPv6 bracket: a ValueError traceback
        "https://tiles.example.org:99999/{z}/{x}/{y}.png",  # no such port
        "https://*/{z}/{x}/{y}.png",  # a wildcard host: the page's CSP allowed any host
        "https://tiles.example.org/{z}/\x07{x}/{y}.png",
        "https://tiles.example.org/{z}/{x}/{y}.png\x7f",  # DEL: refused by --csv-url, not here
        "https://tiles.example.org/{z}/\x85{x}/{y}.png",  # a C1 control (next line)
        "https://tiles.exam\x9bple.org/{z}/{x}/{y}.png",
    ],
)
def test_a_tile_url_that_is_no_url_is_the_exports_own_error(url: str) -> None:
    with pytest.raises(WebmapInputError, match="tiles"):
        tile_source(url, "© Example")


@pytest.mark.parametrize(
    "url",
    [
        "https://data.example.org/crime/\r\n?a=b",  # (urlsplit drops CR and LF)
        "https://data.example.org/cr\time/",
        "https://data.example.org/crime/\x7f",
        "https://data.example.org/cri\x9bme/",  # a C1 control (CSI)
        "https://[::1/crime/",  # an unclosed IPv6 bracket: a ValueError traceback
        "https://data.example.org:99999/crime/",  # no such port: the same
        "https://*/crime/",
    ],
)
@pytest.mark.parametrize("copy_csv", [False, True])
def test_a_csv_url_that_is_no_url_is_refused(tmp_path: Path, url: str, copy_csv: bool) -> None:
    """The page's download link kept a line break (and any control character) of the
    address given, since Python's urlsplit drops CR, LF and tab before it looks; a bad
    address is refused as the tile URL is, when given, not only when the CSVs are too
    large to copy."""
    options = WebmapOptions(
        inputs=[OCT], out_dir=tmp_path / "map", tiles="none", copy_csv=copy_csv, csv_url=url
    )
    with pytest.raises(WebmapInputError, match="--csv-url"):
        export_webmap(options)
    assert not (tmp_path / "map").exists()


def test_the_page_names_the_months_it_shows_and_no_publication_date(tmp_path):
    """The header said "Published October 2022" for October's crimes: the month of the data
    read as the day of publication, which is always a month or more later, so a reader was
    told a date that is never true. It names the months shown, in words, and nothing more."""
    sept = SAMPLE / "2022-09" / "2022-09-leicestershire-street.csv"
    result = export_webmap(WebmapOptions(inputs=[sept, OCT], out_dir=tmp_path / "map"))
    html = result.index.read_text(encoding="utf-8")
    header = html[html.index('<p class="release">') : html.index('<p class="notice"')]
    assert "Street-level crime, September 2022 to October 2022." in header
    assert "Published" not in header
