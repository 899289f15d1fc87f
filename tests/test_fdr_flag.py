"""The false discovery rate correction is on or off: every entry point refuses anything else.

Why: ``FDR=2`` (or -1, 0.5) given from Python ran Gi* with the correction on, and NaN with
it off, each without a word: Processing's yes/no reader took a number other than 0 or 1 for a
model's value and read it by its truth, and the core functions read ``fdr`` by its truth.
One rule now (core.common.vocabulary.flag_value, core.hotspots.fdr.fdr_flag): a bool, or
the number 0 or 1. FDR has no level or alpha of its own to give (the classes' levels are
fixed, fdr.LEVELS), so "on or off" is its whole range.

Entry points: the core functions (Gi*, the change hotspots), Processing's Gi*, change and
publish-hotspots algorithms, the release configuration (its file, and a value set from
Python), and the dock's Monthly release tab (it opens configuration files; its hotspots
panel has a check box, which cannot hold another value). Real data: the bundled police.uk
months, a real load.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import tomllib

from crime_mapper.core.common.vocabulary import flag_value
from crime_mapper.core.hotspots.change import change_hotspots
from crime_mapper.core.hotspots.fdr import fdr_flag
from crime_mapper.core.hotspots.getis_ord import gi_star
from crime_mapper.core.hotspots.hexgrid import HexGrid, HotspotInputError
from crime_mapper.core.monthly import toml_lite
from tests.support.monthly_config import MONTH, SAMPLE, config_file

REFUSED = [2, -1, 0.5, math.nan, math.inf, "yes", None, [True]]
TAKEN = [(True, True), (False, False), (1, True), (0, False), (1.0, True)]
TAKEN += [(np.bool_(True), True), (np.int64(0), False)]
PLAIN = [pytest.param(v, id=repr(v)) for v in REFUSED]


@pytest.mark.parametrize("given, read", TAKEN)
def test_the_rule_takes_true_false_1_and_0(given, read):
    assert flag_value(given) is read and fdr_flag(given) is read


@pytest.mark.parametrize("given", PLAIN)
def test_the_rule_refuses_every_other_value(given):
    assert flag_value(given) is None
    with pytest.raises(HotspotInputError, match=r"false discovery rate correction \(fdr\)"):
        fdr_flag(given)


def _grid_counts():
    qq, rr = np.meshgrid(np.arange(20), np.arange(20))
    values = np.random.default_rng(7).poisson(3.0, qq.size).astype(float)
    return qq.ravel(), rr.ravel(), values


@pytest.mark.parametrize("given", PLAIN)
def test_gi_star_refuses(given):
    q, r, values = _grid_counts()
    with pytest.raises(HotspotInputError, match=r"\(fdr\) is on or off"):
        gi_star(q, r, values, fdr=given)


def test_gi_star_reads_1_and_0_as_on_and_off():
    q, r, values = _grid_counts()
    assert gi_star(q, r, values, fdr=1).p_fdr is not None
    assert gi_star(q, r, values, fdr=0).p_fdr is None


@pytest.mark.parametrize("given", PLAIN)
def test_change_hotspots_refuses(given):
    x = np.arange(40, dtype=float) * 300.0
    months = np.array(["2022-09", "2022-10"] * 20, dtype=object)
    with pytest.raises(HotspotInputError, match=r"\(fdr\) is on or off"):
        change_hotspots(
            x, np.zeros_like(x), months, "2022-10", ["2022-09"], HexGrid(500.0), fdr=given
        )


# --- the release configuration --------------------------------------------------------------


def test_a_configuration_file_takes_true_or_false_only(tmp_path):
    from crime_mapper.core.monthly.config import ConfigError, read_config

    path = config_file(tmp_path)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data["hotspots"]["fdr"] = 2
    path.write_text(toml_lite.dumps(data), encoding="utf-8")
    with pytest.raises(ConfigError, match="hotspots.fdr must be true or false, not 2"):
        read_config(path)


@pytest.mark.parametrize("given", [pytest.param(v, id=repr(v)) for v in (2, -1, math.nan)])
def test_a_configuration_set_from_python_is_refused_before_any_step(tmp_path, given):
    from crime_mapper.core.monthly.config import read_config
    from crime_mapper.core.monthly.release import MonthlyReleaseError, run_monthly_release

    config = read_config(config_file(tmp_path))
    config.hotspots.fdr = given
    with pytest.raises(MonthlyReleaseError, match=r"\(fdr\) is on or off.*\(hotspots\.fdr\)"):
        run_monthly_release(config, MONTH)
    assert not (tmp_path / "out").exists()  # (refused before the load)


# --- Processing -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def crimes_uri(tmp_path_factory, provider) -> str:
    """A real load of Leicestershire, September and October 2022."""
    from crime_mapper.qgis_bridge.run_load import run_load

    police = SAMPLE / "police-uk"
    base = tmp_path_factory.mktemp("fdr_load")
    return run_load([police / "2022-09", police / "2022-10.zip"], base / "load").crimes_uri


NUMBERS = [pytest.param(v, id=repr(v)) for v in (2, -1, 0.5, math.nan)]


@pytest.mark.parametrize("alg", ["hotspots_gi", "hotspots_change"])
@pytest.mark.parametrize("given", NUMBERS)
def test_processing_refuses_a_number_other_than_0_or_1(provider, crimes_uri, tmp_path, alg, given):
    import processing
    from qgis.core import QgsProcessingException

    out = tmp_path / "hot.gpkg"
    params = {"INPUT": crimes_uri, "CELL_SIZE": 500, "FDR": given, "OUTPUT": str(out)}
    if alg == "hotspots_change":
        params["CURRENT_MONTH"] = "2022-10"
    with pytest.raises(QgsProcessingException, match="FDR must be true or false"):
        processing.run(f"crime_mapper:{alg}", params)
    assert not out.exists()


@pytest.mark.parametrize("given, correction", [(1, True), (0, False), (True, True)])
def test_processing_reads_1_and_0(provider, crimes_uri, tmp_path, given, correction):
    import processing

    result = processing.run(
        "crime_mapper:hotspots_gi",
        {"INPUT": crimes_uri, "CELL_SIZE": 500, "FDR": given, "OUTPUT": str(tmp_path / "gi.gpkg")},
    )
    assert ("correction on" in result["LEGEND"]) is correction, result["LEGEND"]


# --- the dock -------------------------------------------------------------------------------


def test_the_dock_refuses_a_configuration_with_fdr_2(qgis_iface, qgis_new_project, qtbot, tmp_path):
    from qgis.core import Qgis

    from crime_mapper.ui.dock import CrimeMapperDock

    path = config_file(tmp_path)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data["hotspots"]["fdr"] = 2
    path.write_text(toml_lite.dumps(data), encoding="utf-8")
    dock = CrimeMapperDock(qgis_iface)
    qtbot.addWidget(dock)
    try:
        qgis_iface.messageBar().clear_messages()
        assert not dock.guided_panel.open_config(path)
        bar = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Warning)
        assert any("hotspots.fdr must be true or false, not 2" in text for text in bar), bar
    finally:
        dock.shutdown()


def test_the_dock_hotspots_check_box_gives_a_bool(qgis_iface, qgis_new_project, qtbot):
    """The dock's other FDR input can only say on or off."""
    from crime_mapper.ui.dock import CrimeMapperDock

    dock = CrimeMapperDock(qgis_iface)
    qtbot.addWidget(dock)
    try:
        box = dock.hotspots_panel.fdr_check
        for state in (True, False):
            box.setChecked(state)
            assert fdr_flag(box.isChecked()) is state
    finally:
        dock.shutdown()
