"""The leak gate reads the web map's positions written as letters (core.common.
position_codec) as positions, every one checked as a map point and against the raw crimes,
as it checks JSON pairs: raw locations encoded among them are refused, and so is any text
under "coordinates" that is not whole positions (nothing there goes unchecked). On the test
world's real export (a real raw force extract, real map points)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from crime_mapper.core.gate.leak_gate import check_release
from crime_mapper.core.gate.output_reader import read_output
from tests.support.page_positions import page_data, page_positions, site_with_positions


def _failed(report) -> set[str]:
    return {c.name for c in report.failed()}


def test_the_gate_reads_every_position_the_page_holds(world: dict, gated_webmap: Path):
    positions = page_positions(page_data(gated_webmap))
    assert len(positions) > 20
    art = next(a for a in read_output(gated_webmap)[1] if a.name == "data/points.js")
    read = sorted(zip(np.concatenate(art.lon).tolist(), np.concatenate(art.lat).tolist()))
    assert read == sorted(positions)
    # read as positions, not as a text for the text scans; still in the body the substring
    # searches read
    letters = page_data(gated_webmap)["points"]["coordinates"]
    assert letters not in art.texts and letters not in art.strings
    assert sum(code.count(letters) for code in art.code) == 1
    report = check_release(world["raw"], gated_webmap, world["points"])
    assert report.passed, report.message()


@pytest.mark.parametrize("where", ["first", "among", "last"])
def test_raw_crime_locations_encoded_among_the_positions_are_refused(
    world: dict, gated_webmap: Path, tmp_path: Path, where: str
):
    raw = world["raw"]
    located = raw[np.isfinite(raw["longitude"].to_numpy(np.float64))].iloc[:3]
    positions = page_positions(page_data(gated_webmap))
    planted = list(zip(located["longitude"].round(6), located["latitude"].round(6)))
    at = {"first": 0, "among": len(positions) // 2, "last": len(positions)}[where]
    site = site_with_positions(gated_webmap, tmp_path, positions[:at] + planted + positions[at:])
    report = check_release(raw, site, world["points"])
    assert not report.passed
    assert {"coordinates_are_map_points", "no_raw_coordinates"} <= _failed(report)
    x, y = planted[0]
    assert f"({x:.6f}, {y:.6f})" in report.message()


def test_a_position_moved_off_its_map_point_is_refused(
    world: dict, gated_webmap: Path, tmp_path: Path
):
    positions = page_positions(page_data(gated_webmap))
    lon, lat = np.array(positions).T
    lat[10] += 0.0003  # about 33 m north: no map point there
    site = site_with_positions(gated_webmap, tmp_path, list(zip(lon, lat)))
    report = check_release(world["raw"], site, world["points"])
    assert _failed(report) == {"coordinates_are_map_points"}
    assert f"({lon[10]:.6f}, {lat[10]:.6f})" in report.message()


@pytest.mark.parametrize(
    "damage, says",
    [
        (lambda t: t[:5] + "7" + t[5:], "'7' is not a letter"),
        (lambda t: t[: max(i for i, c in enumerate(t[:-1]) if c.isupper()) + 1], "not whole"),
        (lambda t: t[:-1], "cut short"),
        (lambda t: t + "q", "cut short"),
        (lambda t: "-1.131581,52.636221", "'-' is not a letter"),
        (lambda t: t[:3] + "\\u00e9" + t[3:], "'é' is not a letter"),
    ],
)
def test_a_damaged_position_text_is_refused_saying_why(
    world: dict, gated_webmap: Path, tmp_path: Path, damage, says: str
):
    old = page_data(gated_webmap)["points"]["coordinates"]
    site = tmp_path / "map"
    shutil.copytree(gated_webmap, site)
    js = site / "data" / "points.js"
    text = js.read_text(encoding="utf-8")
    js.write_text(text.replace(f'"{old}"', f'"{damage(old)}"'), encoding="utf-8")
    report = check_release(world["raw"], site, world["points"])
    assert "coordinates_are_map_points" in _failed(report)
    assert says in report.message()


def test_no_positions_at_all_read_as_none(world: dict, gated_webmap: Path, tmp_path: Path):
    """A map whose crimes have no published location writes an empty string: no position,
    and nothing else of the script's read changes."""
    site = site_with_positions(gated_webmap, tmp_path, [])
    art = next(a for a in read_output(site)[1] if a.name == "data/points.js")
    full = next(a for a in read_output(gated_webmap)[1] if a.name == "data/points.js")
    assert sum(np.asarray(x).size for x in art.lon) == 0 and not art.bad_coordinates
    assert art.strings == full.strings and art.texts == full.texts
    report = check_release(world["raw"], site, world["points"])
    assert report.passed, report.message()
