"""Sizes in a release configuration that a later step refuses are problems before anything
runs, each named by its key.

Why: the file reader takes any positive, finite number, so ``gi_cell_m = 5000000`` or
``bandwidth_m = 1e300`` read fine and failed only when the hotspots step ran, after the load
and the QA (minutes at national scale), with a message naming no key; hexagon map points
under 250 m ran the whole release and were refused by the leak gate at the end. The dock,
the command line and Processing all refuse a configuration with problems before any step.

Real configuration files in tmp_path (the bundled one, one value changed), the real reader
and the real command line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crime_mapper.core.monthly.config import read_config
from tests.support.monthly_config import MONTH, cli, config_file


@pytest.mark.parametrize(
    "key, value",
    [
        ("gi_cell_m", 5_000_000.0),
        ("kde_cell_m", 1e300),
        ("bandwidth_m", 20_000_000.0),
    ],
)
def test_a_hotspot_size_over_its_limit_is_a_hotspots_problem(tmp_path, key, value):
    config = read_config(config_file(tmp_path, **{f"hotspots__{key}": value}))
    found = config.problems_by_step(MONTH)["hotspots"]
    assert len(found) == 1 and f"(hotspots.{key})" in found[0], found


def test_a_size_of_a_method_turned_off_is_no_problem(tmp_path):
    """A Gi* size nobody uses (gi = false, or hotspots off) stops nothing."""
    config = read_config(config_file(tmp_path, hotspots__gi_cell_m=5_000_000.0))
    config.hotspots.gi = False
    assert config.problems_by_step(MONTH)["hotspots"] == []
    config.hotspots.gi, config.hotspots.enabled = True, False
    assert config.problems_by_step(MONTH)["hotspots"] == []


def _hexagon_config(tmp_path: Path, size: Any) -> Path:
    path = config_file(tmp_path)
    text = path.read_text(encoding="utf-8")
    start = text.index("[anonymise.map_points]")
    end = text.index("\n[", start + 1)
    points = f'[anonymise.map_points]\nkind = "hexagon"\npaths = []\nhexagon_m = {size}\n'
    path.write_text(text[:start] + points + text[end:], encoding="utf-8")
    return path


@pytest.mark.parametrize("size", ["10.0", "249.5", "2000000.0"])
def test_hexagon_map_points_of_a_size_the_release_refuses_are_an_anonymise_problem(tmp_path, size):
    config = read_config(_hexagon_config(tmp_path, size))
    assert config.map_points.kind == "hexagon"
    found = config.problems_by_step(MONTH)["anonymise"]
    assert any("(anonymise.map_points.hexagon_m)" in p for p in found), found


@pytest.mark.parametrize("size", ["250.0", "500.0", "1000000.0"])
def test_hexagon_map_points_of_an_accepted_size_are_no_problem(tmp_path, size):
    """The controls: 250 m to 1,000 km, the range the gate and the hexagon grid take."""
    config = read_config(_hexagon_config(tmp_path, size))
    assert not any("hexagon_m" in p for p in config.problems(MONTH))


def test_the_command_line_refuses_it_before_the_load(tmp_path):
    path = config_file(tmp_path, hotspots__gi_cell_m=5_000_000.0)
    done = cli("release", path, "--month", MONTH)
    assert done.returncode == 2, done.stderr[-3000:]
    assert "(hotspots.gi_cell_m)" in done.stderr and "Traceback" not in done.stderr
    assert "The check step failed" in done.stderr  # (not "The hotspots step failed")
    assert not (tmp_path / "out" / MONTH).exists()


@pytest.mark.parametrize(
    "size, shown", [("1e-05", "0.00001 m"), ("2e6", "2,000,000 m"), ("1e9", "1,000,000,000 m")]
)
def test_a_refused_hexagon_size_is_said_as_a_size_not_a_float(tmp_path, size, shown):
    """The panel showed "The hexagon map points' size 1e-05 m is not from 250 to ...": a
    float's notation, no size an analyst can read. It is said in metres, as written out."""
    config = read_config(_hexagon_config(tmp_path, size))
    found = [p for p in config.problems_by_step(MONTH)["anonymise"] if "hexagon_m" in p]
    assert found and found[0].startswith(f"The hexagon map points' size {shown} is not"), found
    assert "e-0" not in found[0] and "e+0" not in found[0]
