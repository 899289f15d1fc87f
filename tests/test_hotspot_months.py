"""The months a hotspot legend states, without QGIS: the months the input holds (not the ones
asked for, not the calendar between the first and the last), and how many of them hold crimes
of the selection; a loaded month with none is a real zero of a change baseline, a month never
loaded is refused. QGIS layers on real loads: tests/test_hotspots_qgis.py."""

from __future__ import annotations

import numpy as np
import pytest

from crime_mapper.core.hotspots.change import change_hotspots
from crime_mapper.core.hotspots.hexgrid import HexGrid, HotspotInputError
from crime_mapper.core.hotspots.selection import describe_months, month_coverage


def test_a_gap_is_named_so_a_count_is_not_read_as_a_span():
    assert describe_months([]) == "all months"
    assert describe_months(["2022-10"]) == "2022-10"
    assert describe_months(["2022-10", "2022-09", "2022-08"]) == "3 months, 2022-08 to 2022-10"
    assert describe_months(["2022-07", "2022-09"]) == "2 months, 2022-07 to 2022-09 except 2022-08"
    assert describe_months(["2021-11", "2022-02"]) == (
        "2 months, 2021-11 to 2022-02 except 2021-12, 2022-01"
    )


def test_months_asked_for_but_not_in_the_input_are_not_counted():
    coverage = month_coverage(
        ["2022-08", "2022-09", "2022-10"], ["2022-09", "2022-10"], ["2022-09", "2022-10"]
    )
    assert coverage.analysed == ("2022-09", "2022-10")
    assert coverage.not_in_input == ("2022-08",)
    assert coverage.describe() == "2 months, 2022-09 to 2022-10"


def test_all_months_means_the_months_the_input_holds():
    held = ["2022-07", "2022-09", "2022-10"]
    assert month_coverage([], held, held).describe() == (
        "3 months, 2022-07 to 2022-10 except 2022-08"
    )


def test_loaded_months_without_crimes_of_the_selection_are_named():
    held = ["2022-08", "2022-09", "2022-10"]
    coverage = month_coverage([], held, ["2022-08", "2022-10"])
    assert coverage.without_crimes == ("2022-09",)
    assert coverage.describe() == (
        "3 months, 2022-08 to 2022-10; crimes in 2 of them, none in 2022-09"
    )
    assert month_coverage(["2022-09"], held, []).describe() == "2022-09, with no crimes"
    assert month_coverage(held[:2], held, []).describe() == (
        "2 months, 2022-08 to 2022-09, none of them with crimes"
    )


def test_unknown_crime_months_claim_nothing():
    """Points read without their months (crime_months None): no "none in ..." is made up."""
    assert month_coverage(["2022-09", "2022-10"], [], None).describe() == (
        "2 months, 2022-09 to 2022-10"
    )


GRID = HexGrid(100.0)


def _baseline_with_a_quiet_month():
    """One cell: 6 crimes in each of 2022-04..2022-08 except none in 2022-06, 12 in 2022-10."""
    per_month = {"2022-04": 6, "2022-05": 6, "2022-06": 0, "2022-07": 6, "2022-08": 6}
    months = [m for m, n in per_month.items() for _ in range(n)] + ["2022-10"] * 12
    x = np.zeros(len(months))
    return x, x.copy(), np.array(months, dtype=object), list(per_month)


def test_a_loaded_month_without_crimes_is_a_real_zero_of_the_baseline():
    x, y, month, baseline = _baseline_with_a_quiet_month()
    result = change_hotspots(x, y, month, "2022-10", baseline, GRID, loaded=[*baseline, "2022-10"])
    # 24 crimes over the 5 loaded months: 4.8 a month, not 24 / 4 = 6
    assert result.baseline_mean.tolist() == [pytest.approx(4.8)]
    assert "previous 5 months" in result.method


def test_a_baseline_month_not_loaded_is_still_refused():
    x, y, month, baseline = _baseline_with_a_quiet_month()
    loaded = [m for m in baseline if m != "2022-06"] + ["2022-10"]
    with pytest.raises(HotspotInputError, match="2022-06 has no crimes with a location; is"):
        change_hotspots(x, y, month, "2022-10", baseline, GRID, loaded=loaded)
    with pytest.raises(HotspotInputError, match="is that month loaded"):
        change_hotspots(x, y, month, "2022-10", baseline, GRID)
