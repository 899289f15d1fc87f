"""Hotspot sizes that make too many cells are refused as soon as the release has read the
crimes (or, where the configuration alone decides it, when it is read), with the hotspots
step's own message; before, the release took them and failed at its hotspots step, after the
load, the release QA and the anonymise step had run.

Every run is real: the bundled release (sample_data/release.toml: the Leicestershire force
extract, its profile and map points), real QGIS, real files.
"""

from __future__ import annotations

import pytest

from crime_mapper.core.hotspots.hexgrid import TooManyCells
from crime_mapper.core.hotspots.kde import DEFAULT_MAX_CELLS as KDE_MAX_CELLS
from crime_mapper.core.hotspots.kde import kde_surface
from crime_mapper.core.monthly.config import read_config
from crime_mapper.core.monthly.release import (
    MonthlyReleaseError,
    StepRunners,
    run_monthly_release,
)
from tests.support.monthly_config import MONTH, config_file

#: Just above the 10 m floor, with a wide set bandwidth: valid settings, and one crime's
#: surface fits (4,190 x 4,190 cells), but the bundled city's crimes (10 x 11 km) padded by
#: the bandwidth need 27 million cells, more than the 25 million a density surface takes.
#: (The bundled data is one city: over a force or the country, 10.5 m cells alone do this.)
TOO_FINE_M = 10.5
BANDWIDTH_M = 22_000.0


def _config(tmp_path):
    config = read_config(config_file(tmp_path))
    config.hotspots.kde_cell_m = TOO_FINE_M
    config.hotspots.bandwidth_m = BANDWIDTH_M
    return config


def test_a_density_cell_too_fine_for_the_force_is_refused_before_the_long_steps(tmp_path):
    from crime_mapper.qgis_bridge.hotspot_input import points_from_layer
    from crime_mapper.qgis_bridge.monthly_release import QgisStepRunners

    config = _config(tmp_path)
    assert config.problems(MONTH) == []  # (the sizes alone are fine: the crimes decide)
    states: list[tuple[str, str]] = []
    with pytest.raises(MonthlyReleaseError) as caught:
        run_monthly_release(
            config,
            MONTH,
            runners=QgisStepRunners(),
            on_step=lambda step, state: states.append((step, state)),
        )
    failed = caught.value
    assert failed.step == "hotspots", str(failed)
    assert f"A density surface with {TOO_FINE_M:g} m cells over this extent" in failed.reason
    assert "more than the maximum of 25,000,000" in failed.reason
    assert failed.reason.endswith("(hotspots.kde_cell_m)")
    assert "set a larger hotspots.kde_cell_m" in failed.action
    # nothing after the load ran: no QA, no anonymising, no public file
    assert ("load", "done") in states and ("hotspots", "failed") in states
    assert not [s for s in states if s[0] in ("check", "anonymise", "publish")], states
    out = config.output_dir(MONTH)
    assert not (out / "qa").exists() and not (out / "public").exists()
    # the hotspots step's own message, from the crimes GeoPackage it reads
    (gpkg,) = (out / "internal").glob("*.gpkg")
    points = points_from_layer(str(gpkg))
    with pytest.raises(TooManyCells) as step:
        kde_surface(points.x, points.y, TOO_FINE_M, BANDWIDTH_M, max_cells=KDE_MAX_CELLS)
    assert failed.reason == f"{step.value} (hotspots.kde_cell_m)"


def test_a_release_continued_from_its_load_is_refused_before_the_qa(tmp_path):
    """Step by step (the dock's Run this step): the load, then the rest from it."""
    from crime_mapper.qgis_bridge.monthly_release import QgisStepRunners

    config = _config(tmp_path)
    runners = QgisStepRunners()
    loaded = run_monthly_release(config, MONTH, runners=runners, steps=("load",))
    assert [s.name for s in loaded.steps] == ["load"]  # (no hotspots in this run: not asked)
    with pytest.raises(MonthlyReleaseError) as caught:
        run_monthly_release(
            config, MONTH, runners=runners, steps=("check", "anonymise", "hotspots"),
            previous=loaded,
        )  # fmt: skip
    assert caught.value.step == "hotspots" and "10.5 m cells" in caught.value.reason
    out = config.output_dir(MONTH)
    assert not (out / "qa").exists() and not (out / "public").exists()


def test_without_qgis_the_hotspots_are_not_run_so_their_size_is_not_refused(tmp_path):
    """The plain runners record the hotspots step as not run: a size it would refuse must
    not stop the release that does not make them."""
    config = _config(tmp_path)
    config.publish.summaries = config.publish.web_map = config.publish.project = False
    done = run_monthly_release(config, MONTH, runners=StepRunners())
    hotspots = done.step("hotspots")
    assert hotspots is not None and hotspots.status == "not run"
    assert done.step("anonymise").status == "done"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "cell, bandwidth, message",
    [
        # the surface reaches the bandwidth around every crime: 20,000 x 20,000 cells at least
        (10.0, 100_000.0, "would need 400,000,000 cells, more than the maximum of 25,000,000"),
        (50.0, 20.0, "The bandwidth (20 m) is smaller than the cell size (50 m)"),
    ],
)
def test_a_density_cell_too_fine_for_its_bandwidth_is_refused_from_the_configuration(
    tmp_path, cell, bandwidth, message
):
    config = read_config(config_file(tmp_path))
    config.hotspots.kde_cell_m, config.hotspots.bandwidth_m = cell, bandwidth
    problems = config.problems_by_step(MONTH)["hotspots"]
    assert len(problems) == 1 and message in problems[0], problems
    assert "(hotspots.kde_cell_m with hotspots.bandwidth_m:" in problems[0]
    with pytest.raises(MonthlyReleaseError) as caught:
        run_monthly_release(config, MONTH)
    assert caught.value.step == "check" and message in caught.value.reason
    assert not config.output_dir(MONTH).exists()
    config.hotspots.enabled = False  # (a method turned off is not asked about)
    assert config.problems_by_step(MONTH)["hotspots"] == []


def test_crimes_outside_the_grid_chosen_for_them_fail_the_hotspots_step_in_words(tmp_path):
    """A release whose crimes are mostly in Northern Ireland has them projected to Irish
    Transverse Mercator; a crime in England is outside that grid's area. The projection now
    refuses it (core.hotspots.cell_budget.refuse_outside_grid): the release says so as its
    hotspots step's failure, with what to do, not as an error of no step."""
    from types import SimpleNamespace

    import pandas as pd

    from crime_mapper.core.monthly.release import MonthlyOutputs, _refuse_hotspot_cells

    class Runners(StepRunners):
        def makes_hotspots(self, load) -> bool:
            return True

    config = read_config(config_file(tmp_path))
    assert config.hotspots.enabled and (config.hotspots.gi or config.hotspots.kde)
    outputs = MonthlyOutputs(
        month=MONTH,
        out_dir=tmp_path,
        steps=[],
        manifest=tmp_path / "manifest.json",
        load=SimpleNamespace(projected=None),
        planned=("hotspots",),
    )
    crimes = pd.DataFrame(
        {
            "has_location": [True] * 4,
            "longitude": [-5.93, -5.94, -6.0, -1.13],  # Belfast three times, Leicester
            "latitude": [54.6, 54.61, 54.62, 52.63],
        }
    )
    with pytest.raises(MonthlyReleaseError) as caught:
        _refuse_hotspot_cells(config, outputs, Runners(), crimes)
    failed = caught.value
    assert failed.step == "hotspots"
    assert failed.reason.startswith("1 of the crimes lie outside the area EPSG:2157 covers")
    assert "the first at longitude -1.130000, latitude 52.630000" in failed.reason
    assert "enabled = false under [hotspots]" in failed.action
    assert outputs.load.projected is None
