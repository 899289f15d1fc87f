"""The monthly release's web map shows the summaries' history months with the release month.

Why: `release` fed [publish] summaries_history to the neighbourhood summaries only, so the
map beside their 13 months showed one: its month choices ("The last 3 months", "The last 12
months") and its trend had nothing to show. The map now takes the history rows of the 12
months ending with the release's month from the summaries' table (no file read again); it
offers only the release's own CSV as a download and says where the other months are; the
leak gate allows the history rows' coordinates (police.uk's own, public already) only where
no release row is, so every check of the release month's rows is as before. Real sample
data throughout (the bundled release, its police.uk history zip) and the real browser.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.common.feedback import Feedback
from crime_mapper.core.gate import scan
from crime_mapper.core.gate.leak_gate import LeakError
from crime_mapper.core.monthly.config import read_config
from crime_mapper.core.monthly.release import MonthlyReleaseError, run_monthly_release
from crime_mapper.core.publish.summaries_history import read_history
from crime_mapper.core.publish.summaries_run import load_neighbourhoods
from crime_mapper.core.publish.webmap_run import export_opened, open_gate_inputs
from crime_mapper.core.release.map_points_files import MapPointsSpec
from crime_mapper.core.release.public_schema import read_public_csv
from tests.support.monthly_config import MONTH, config_file, step_runners
from tests.support.plain_cli import MONTH_ZIP
from tests.support.webmap_browser import open_page, shown

#: the 12 months the release's map shows: the bundled history holds 2021-10 too, which the
#: summaries read for the change on a year earlier
SHOWN = [f"2021-{m:02d}" for m in (11, 12)] + [f"2022-{m:02d}" for m in range(1, 11)]


def _release(tmp: Path, **changes: Any) -> tuple[Any, Any]:
    config = read_config(config_file(tmp, **changes))
    config.hotspots.enabled = False
    config.qa.enabled = False
    config.publish.project = False
    return config, run_monthly_release(config, MONTH, runners=step_runners(False))


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """The bundled release (its summaries have 13 months of police.uk history)."""
    return _release(tmp_path_factory.mktemp("history"))


def _page_months(map_dir: Path) -> list[str]:
    text = (map_dir / "data" / "points.js").read_text(encoding="utf-8")
    return json.loads(re.search(r'"months":(\[[^]]*\])', text).group(1))


def _areas(map_dir: Path) -> Any:
    text = (map_dir / "data" / "areas.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("{") : text.rindex("}") + 1])


def _map(outputs: Any) -> Path:
    return outputs.out_dir / "map"


def test_the_map_shows_the_history_months_with_the_release_month(released):
    config, outputs = released
    assert _page_months(_map(outputs)) == SHOWN
    step = next(s for s in outputs.steps if s.name == "publish")
    assert step.summary["web_map"]["gate"] == "Leak gate passed for map: all 8 checks passed."
    # every row of those months, the history's as the summaries read them and the release's
    history, _ = read_history(
        [config.path(p, MONTH) for p in config.publish.summaries_history], [MONTH]
    )
    release = read_public_csv(outputs.release.public_csv)
    assert step.summary["web_map"]["crimes"] == int(history["Month"].isin(SHOWN).sum()) + len(
        release
    )
    # the release's own CSV is the one download; the page says where the other months are
    assert sorted(p.name for p in (_map(outputs) / "downloads").iterdir()) == ["2022-10-street.csv"]
    html = (_map(outputs) / "index.html").read_text(encoding="utf-8")
    assert (
        '<p id="downloads-history">The map also shows November 2021 to September 2022 from the '
        "force&#39;s files already published on police.uk; those months are not offered here: "
        "download them from data.police.uk.</p>"
    ) in html
    assert "Street-level crime, November 2021 to October 2022." in html
    # the header's link names the month its file holds, as the map shows twelve, and points
    # to the section that says where the others are
    assert re.search(
        r'<a href="downloads/2022-10-street.csv" download>Download the data for October 2022 '
        r"\(CSV, [^)]+\)</a> ·\s*<a href=\"#downloads-heading\">All the downloads</a>",
        html,
    )


def test_the_manifest_records_the_months_the_map_shows(released, tmp_path):
    """The manifest's web map entry names the history months its counts cover, so an
    auditor can tell the map of 12 months from one of the release month alone; the same
    release again (in another folder, with the same salt) gives the same manifest but for
    the configuration, which names its folder."""
    config, outputs = released
    data = (outputs.out_dir / "manifest.json").read_bytes()
    manifest = json.loads(data)
    assert manifest["manifest_version"] == 3
    publish = next(s for s in manifest["steps"] if s["step"] == "publish")
    assert publish["summary"]["web_map"]["months"] == SHOWN
    assert [e["name"] for e in manifest["inputs"]["publish"]["summaries_history"]]
    salt = config.path(config.salt_file, MONTH)
    (tmp_path / "secret").mkdir()
    shutil.copyfile(salt, tmp_path / "secret" / salt.name)  # (the same salt: the same IDs)
    _, again = _release(tmp_path)
    second = json.loads((again.out_dir / "manifest.json").read_bytes())
    for one in (manifest, second):  # (the configuration and its file name their folder)
        one.pop("configuration")
    assert second == manifest


def test_the_month_choices_work_in_the_browser(released, browser):
    config, outputs = released
    history, _ = read_history(
        [config.path(p, MONTH) for p in config.publish.summaries_history], [MONTH]
    )
    rows = pd.concat([history, read_public_csv(outputs.release.public_csv)], ignore_index=True)
    located = rows[(rows["Longitude"] != "") & (rows["Month"].isin(SHOWN))]

    def count(months: list[str]) -> int:
        return int(located["Month"].isin(months).sum())

    page, rec = open_page(browser, (_map(outputs) / "index.html").resolve().as_uri())
    # the page opens on the release's month, as any export of several months does
    assert page.input_value("#period-end") == str(len(SHOWN) - 1)
    assert shown(page) == count(["2022-10"])
    ends = page.eval_on_selector_all("#period-end option", "os => os.map(o => o.textContent)")
    assert ends[0] == "October 2022" and ends[-1] == "November 2021" and len(ends) == 12
    lengths = page.eval_on_selector_all(
        "#period-length option", "os => os.filter(o => !o.hidden).map(o => o.value)"
    )
    assert lengths == ["1", "3", "12"]  # (no "All 13 months": the map holds 12)
    page.select_option("#period-length", value="3")
    assert shown(page) == count(SHOWN[-3:])
    page.select_option("#period-length", value="12")
    assert shown(page) == count(SHOWN)
    page.select_option("#period-length", value="1")
    page.select_option("#period-end", label="September 2022")
    assert shown(page) == count(["2022-09"])
    assert rec.errors == []


def test_a_release_without_history_maps_its_month_alone(tmp_path):
    _, outputs = _release(tmp_path, publish__summaries_history=[])
    assert _page_months(_map(outputs)) == [MONTH]
    manifest = json.loads((outputs.out_dir / "manifest.json").read_bytes())
    publish = next(s for s in manifest["steps"] if s["step"] == "publish")
    assert publish["summary"]["web_map"]["months"] == [MONTH]
    html = (_map(outputs) / "index.html").read_text(encoding="utf-8")
    assert "downloads-history" not in html and "published police.uk history" not in html
    assert "Street-level crime, October 2022." in html
    assert re.search(r"download>Download the data \(CSV, [^)]+\)</a>", html)
    assert "All the downloads" not in html


@pytest.fixture(scope="module")
def gate_world(released):
    """The release's raw crimes and map points opened as the web map's gate opens them, the
    release's rows and the history's (the map's 12 months), and a history coordinate where
    one of this month's raw crimes lies and which is no map point (the sample has one: its
    extract is made from the real published month)."""
    config, outputs = released
    points = config.map_points
    opened = open_gate_inputs(
        outputs.load.crimes,
        MapPointsSpec(kind=points.kind, paths=[str(p) for p in config.map_points_paths(MONTH)]),
        config.optional_path(config.profile, MONTH),
        Feedback(),
    )
    history, _ = read_history(
        [config.path(p, MONTH) for p in config.publish.summaries_history], [MONTH]
    )
    history = history[history["Month"].isin(SHOWN).to_numpy()].reset_index(drop=True)
    release = read_public_csv(outputs.release.public_csv)

    def keys(table: pd.DataFrame) -> np.ndarray:
        lon = pd.to_numeric(table["Longitude"], errors="coerce").to_numpy(np.float64)
        lat = pd.to_numeric(table["Latitude"], errors="coerce").to_numpy(np.float64)
        return scan.coordinate_keys(lon, lat)

    crimes = opened.crimes
    raw = scan.coordinate_keys(
        pd.to_numeric(crimes["longitude"], errors="coerce").to_numpy(np.float64),
        pd.to_numeric(crimes["latitude"], errors="coerce").to_numpy(np.float64),
    )
    point_keys = scan.coordinate_keys(
        np.asarray(opened.points.longitude, dtype=float),
        np.asarray(opened.points.latitude, dtype=float),
    )
    located = (history["Longitude"] != "").to_numpy()
    at_raw = np.flatnonzero(
        located & np.isin(keys(history), raw) & ~np.isin(keys(history), point_keys)
    )
    assert at_raw.size, "the sample's history has a point where a raw crime of 2022-10 lies"
    assert not np.isin(keys(history)[at_raw], keys(release)).any()
    hoods = load_neighbourhoods(config.neighbourhood_source(MONTH))
    return opened, outputs, release, history, history.iloc[at_raw[0]], hoods


def _export(world: Any, out: Path, release: pd.DataFrame, history: pd.DataFrame) -> Any:
    opened, outputs, _, _, _, hoods = world
    return export_opened(
        [outputs.release.public_csv],
        out,
        opened,
        hoods,
        Feedback(),
        street_table=release,
        history_table=history,
    )


def _planted(release: pd.DataFrame, at: pd.Series) -> pd.DataFrame:
    """The release's rows with the first located one moved to ``at``'s coordinates."""
    planted = release.copy()
    row = int(np.flatnonzero((planted["Longitude"] != "").to_numpy())[0])
    planted.loc[row, ["Longitude", "Latitude"]] = [at["Longitude"], at["Latitude"]]
    return planted


def test_a_history_point_where_a_raw_crime_lies_is_public_in_the_history_rows(gate_world, tmp_path):
    """police.uk published it in earlier months: the map may show those months there."""
    _, _, release, history, _, _ = gate_world
    made = _export(gate_world, tmp_path / "map", release, history)
    assert made.gate.startswith("Leak gate passed")


def test_the_gate_refuses_a_raw_coordinate_in_the_release_month_s_rows(gate_world, tmp_path):
    """The same point in a row of this month is this month's raw crime: refused, with or
    without the history beside it."""
    _, _, release, history, at_raw, _ = gate_world
    planted = _planted(release, at_raw)
    for shown_history in (history, None):
        target = tmp_path / ("with" if shown_history is not None else "without") / "map"
        with pytest.raises(LeakError, match="no_raw_coordinates"):
            _export(gate_world, target, planted, shown_history)
        assert not target.exists()


def test_the_gate_refuses_a_history_coordinate_off_the_map_points_in_the_release_rows(
    gate_world, tmp_path
):
    """A history point that is none of this release's map points is allowed in the history
    months only: in a row of this month it is a coordinate the anonymiser never gave."""
    opened, _, release, history, _, _ = gate_world
    lon = pd.to_numeric(history["Longitude"], errors="coerce").to_numpy(np.float64)
    lat = pd.to_numeric(history["Latitude"], errors="coerce").to_numpy(np.float64)
    off = ~np.isin(
        scan.coordinate_keys(lon, lat),
        scan.coordinate_keys(
            np.asarray(opened.points.longitude, dtype=float),
            np.asarray(opened.points.latitude, dtype=float),
        ),
    ) & np.isfinite(lon)
    assert off.any()
    target = tmp_path / "map"
    with pytest.raises(LeakError, match="coordinates_are_map_points"):
        _export(gate_world, target, _planted(release, history[off].iloc[0]), history)
    assert not target.exists()


def test_a_linked_csv_is_gated_without_the_history_s_points(gate_world, tmp_path):
    """A CSV the page links to is the release's own: a history point that is none of the
    map points is refused there, though the page's history rows may hold it."""
    from crime_mapper.core.release.public_schema import PUBLIC_COLUMNS, write_public_csv

    opened, _, release, history, _, hoods = gate_world
    lon = pd.to_numeric(history["Longitude"], errors="coerce").to_numpy(np.float64)
    lat = pd.to_numeric(history["Latitude"], errors="coerce").to_numpy(np.float64)
    points = scan.coordinate_keys(
        np.asarray(opened.points.longitude, dtype=float),
        np.asarray(opened.points.latitude, dtype=float),
    )
    off = ~np.isin(scan.coordinate_keys(lon, lat), points) & np.isfinite(lon)
    linked = tmp_path / "2022-10-leicestershire-street.csv"
    write_public_csv(_planted(release, history[off].iloc[0])[list(PUBLIC_COLUMNS)], linked)
    target = tmp_path / "map"
    with pytest.raises(LeakError, match="coordinates_are_map_points") as refused:
        export_opened(
            [linked],
            target,
            opened,
            hoods,
            Feedback(),
            street_table=release,  # (the page's rows: the release's as anonymised)
            history_table=history,
            copy_csv=False,
        )
    assert linked.name in str(refused.value)
    assert not target.exists()


def test_without_summaries_the_map_shows_the_same_history_months(released, tmp_path):
    """summaries = false with a history set: the map shows the very months and rows it
    shows beside the summaries (the history read as they read it), and the manifest says
    so. Why: the history reached the map only through the summaries' table, so with the
    summaries off the setting was silently ignored and the map showed October alone."""
    _, beside = released
    config, alone = _release(tmp_path, publish__summaries=False)
    assert not (alone.out_dir / "neighbourhoods").exists()
    assert _page_months(_map(alone)) == SHOWN
    step = next(s for s in alone.steps if s.name == "publish")
    with_summaries = next(s for s in beside.steps if s.name == "publish").summary["web_map"]
    map_alone = step.summary["web_map"]
    assert map_alone["months"] == SHOWN
    assert (map_alone["crimes"], map_alone["mapped"]) == (
        with_summaries["crimes"],
        with_summaries["mapped"],
    )
    assert map_alone["gate"] == with_summaries["gate"]
    # the page's data: the same points, months and neighbourhoods; the areas differ only
    # in their links to summaries pages, which this release does not make
    for name in ("points.js", "config.js"):
        made = _map(alone) / "data" / name
        assert made.read_bytes() == (_map(beside) / "data" / name).read_bytes(), name
    areas = [_areas(_map(one)) for one in (alone, beside)]
    assert not any("summary" in f["properties"] for f in areas[0]["features"])
    for feature in areas[1]["features"]:
        feature["properties"].pop("summary", None)
    assert areas[0] == areas[1]
    html = (_map(alone) / "index.html").read_text(encoding="utf-8")
    assert "Street-level crime, November 2021 to October 2022." in html
    assert sorted(p.name for p in (_map(alone) / "downloads").iterdir()) == ["2022-10-street.csv"]
    manifest = json.loads((alone.out_dir / "manifest.json").read_bytes())
    publish = next(s for s in manifest["steps"] if s["step"] == "publish")
    assert publish["summary"]["web_map"]["months"] == SHOWN
    listed = manifest["inputs"]["publish"]["summaries_history"]
    assert [e["name"] for e in listed] and "team" not in manifest["inputs"]["publish"]


def test_without_summaries_a_damaged_history_file_fails_the_release_naming_it(tmp_path):
    """The history the map reads is checked as the summaries check it: a file that is not a
    published street-level table fails the publish step, named, before anything moves in."""
    bad = tmp_path / "2022-09-leicestershire-street.csv"
    bad.write_text("Crime ID,Month\nabc,2022-09\n", encoding="utf-8")
    config = read_config(config_file(tmp_path, publish__summaries=False))
    config.publish.summaries_history = [str(bad)]
    config.hotspots.enabled = False
    config.qa.enabled = False
    config.publish.project = False
    with pytest.raises(MonthlyReleaseError, match="2022-09-leicestershire-street.csv") as failed:
        run_monthly_release(config, MONTH, runners=step_runners(False))
    assert failed.value.step == "publish"
    assert "not a police.uk street-level file" in str(failed.value)
    assert not (config.output_dir(MONTH) / "map").exists()


def test_without_summaries_the_history_notes_are_warnings(tmp_path):
    """The history's notes (here: the release's own month in the history files, left out)
    were said on the summaries' pages; with summaries off they were dropped, so the analyst
    was not told that part of a history file went unused. They are the step's warnings now."""
    config = read_config(config_file(tmp_path, publish__summaries=False))
    config.publish.summaries_history = [*config.publish.summaries_history, str(MONTH_ZIP)]
    config.hotspots.enabled = False
    config.qa.enabled = False
    config.publish.project = False
    done = run_monthly_release(config, MONTH, runners=step_runners(False))
    step = next(s for s in done.steps if s.name == "publish")
    left_out = [w for w in step.warnings if w.startswith("History months") and "left out" in w]
    assert len(left_out) == 1 and "2022-10" in left_out[0], step.warnings
    assert not [w for w in step.warnings if "read for the trend" in w]  # (no trend: no pages)
    assert step.summary["web_map"]["months"] == SHOWN
