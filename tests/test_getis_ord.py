"""Getis-Ord Gi*: a worked example by hand, PySAL's esda on real data, FDR and bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from crime_mapper.core.hotspots.fdr import bh_adjust, confidence_class
from crime_mapper.core.hotspots.getis_ord import GI_CLASS_LABELS, gi_star, neighbour_table
from crime_mapper.core.hotspots.hexgrid import HexGrid, HotspotInputError, grid_counts, hex_centres


def _p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2.0))


def test_worked_example_by_hand():
    """A 'flower' (centre + its 6 neighbours) and two isolated cells, n = 9.

    values: centre (0,0)=10; petals round the ring (1,0)=4, (1,-1)=2, (0,-1)=0, (-1,0)=1,
    (-1,1)=0, (0,1)=3; isolated (3,0)=0 and (-3,0)=7.
    sum = 27 -> mean = 3; sum of squares = 100+16+4+0+1+0+9+0+49 = 179
    S^2 = 179/9 - 3^2 = 98/9 -> S = sqrt(98)/3 (population standard deviation).
    Weight sets (rings=1, self included): centre W=7 (all the flower); each petal W=4 (itself,
    the centre, the two petals beside it); isolated cells W=1.
    Denominator S * sqrt((n W - W^2)/(n - 1)):
        W=7: sqrt((63-49)/8) = sqrt(7/4);  W=4: sqrt((36-16)/8) = sqrt(5/2);  W=1: 1.
    Numerators sum_j x_j - mean * W:
        centre  10+4+2+0+1+0+3 = 20 -> 20 - 21 = -1
        (1,0)   4+10+2+3  = 19 -> 19 - 12 = 7
        (1,-1)  2+10+4+0  = 16 -> 4
        (0,-1)  0+10+2+1  = 13 -> 1
        (-1,0)  1+10+0+0  = 11 -> -1
        (-1,1)  0+10+1+3  = 14 -> 2
        (0,1)   3+10+0+4  = 17 -> 5
        (3,0)   0 - 3 = -3;  (-3,0)  7 - 3 = 4
    """
    q = np.array([0, 1, 1, 0, -1, -1, 0, 3, -3])
    r = np.array([0, 0, -1, -1, 0, 1, 1, 0, 0])
    values = np.array([10, 4, 2, 0, 1, 0, 3, 0, 7])
    s = math.sqrt(98.0) / 3.0
    petal = s * math.sqrt(5.0 / 2.0)
    expected = np.array(
        [
            -1 / (s * math.sqrt(7.0 / 4.0)),
            7 / petal,
            4 / petal,
            1 / petal,
            -1 / petal,
            2 / petal,
            5 / petal,
            -3 / s,
            4 / s,
        ]
    )
    result = gi_star(q, r, values)
    np.testing.assert_allclose(result.z, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.p, [_p(z) for z in expected], rtol=1e-12)
    assert result.neighbours.tolist() == [7, 4, 4, 4, 4, 4, 4, 1, 1]
    assert result.hotspot_class.tolist() == [0] * 9  # largest |z| is 7/petal = 1.34
    assert result.p_fdr is None and result.warnings  # 9 cells: the small-sample warning
    # Input order does not matter.
    perm = np.array([8, 3, 0, 5, 1, 7, 2, 6, 4])
    np.testing.assert_allclose(
        gi_star(q[perm], r[perm], values[perm]).z, expected[perm], atol=1e-12
    )


def test_classes_follow_arcgis_confidence_bins():
    """A hot block and a cold one inside a field of 2s: the sign of z and the p thresholds
    0.01 / 0.05 / 0.10 decide the class."""
    qq, rr = np.meshgrid(np.arange(30), np.arange(30))
    q, r = qq.ravel(), rr.ravel()
    rng = np.random.default_rng(3)
    values = rng.poisson(2.0, q.size).astype(float)
    values[(abs(q - 8) <= 1) & (abs(r - 8) <= 1)] = 9.0
    result = gi_star(q, r, values)
    cls = result.hotspot_class
    assert cls[(q == 8) & (r == 8)][0] == 3
    assert (np.sign(cls[cls != 0]) == np.sign(result.z[cls != 0])).all()
    level = np.where(
        result.p <= 0.01, 3, np.where(result.p <= 0.05, 2, np.where(result.p <= 0.10, 1, 0))
    )
    assert (np.abs(cls) == level).all()
    assert set(GI_CLASS_LABELS) == set(range(-3, 4))
    assert confidence_class(np.array([0.01, 0.0100001, 0.05, 0.1, 0.11, np.nan])).tolist() == [
        3,
        2,
        2,
        1,
        0,
        0,
    ]


def test_fdr_by_hand_and_on_gi():
    # p sorted: 0.001 0.008 0.039 0.041 0.042 0.06 0.074 0.205 ; n = 8
    # p * n / rank: 0.008 0.032 0.104 0.082 0.0672 0.08 0.0846 0.205
    # running minimum from the end: 0.008 0.032 0.0672 0.0672 0.0672 0.08 0.0846 0.205
    p = np.array([0.039, 0.001, 0.205, 0.041, 0.008, 0.06, 0.042, 0.074])
    expected = np.array([0.0672, 0.008, 0.205, 0.0672, 0.032, 0.08, 0.0672, 0.0845714285714])
    np.testing.assert_allclose(bh_adjust(p), expected, atol=1e-12)
    assert np.isnan(bh_adjust(np.array([np.nan, 0.5]))[0])

    qq, rr = np.meshgrid(np.arange(40), np.arange(40))
    q, r = qq.ravel(), rr.ravel()
    values = np.random.default_rng(7).poisson(3.0, q.size).astype(float)
    values[(q < 4) & (r < 4)] += 6
    plain = gi_star(q, r, values)
    corrected = gi_star(q, r, values, fdr=True)
    np.testing.assert_array_equal(plain.z, corrected.z)
    assert (np.abs(corrected.hotspot_class) <= np.abs(plain.hotspot_class)).all()
    assert np.count_nonzero(corrected.hotspot_class) < np.count_nonzero(plain.hotspot_class)
    assert (corrected.hotspot_class != 0).any()
    np.testing.assert_allclose(corrected.p_fdr, bh_adjust(plain.p))
    assert "false discovery rate" in corrected.method


def _esda_gi_star(x: np.ndarray, y: np.ndarray, values: np.ndarray, band_m: float):
    """esda.G_Local(star=True) with binary weights from a distance band on the hexagon centres:
    a different neighbour search from ours (libpysal's KD-tree on coordinates)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import esda
        from libpysal.weights import DistanceBand

        weights = DistanceBand(
            np.column_stack([x, y]), threshold=band_m, binary=True, silence_warnings=True
        )
        sizes = np.array([len(weights.neighbors[i]) + 1 for i in range(x.size)])  # + self
        gi = esda.G_Local(values.astype(float), weights, transform="B", star=True, permutations=0)
        return gi, sizes


@pytest.mark.parametrize("rings, band", [(1, 1.01), (2, 2.01)])
def test_matches_pysal_esda_on_real_crimes(repo_root, rings, band):
    """Leicester, October 2022 (bundled police.uk slice), 250 m hexagons in BNG.

    Neighbours within 1 ring are exactly 1 size away and within 2 rings sqrt(3) or 2 sizes
    away (the next ring starts at sqrt(7) = 2.65 sizes), so a 1.01 / 2.01 size distance band
    gives esda the same weight sets by another route."""
    from crime_mapper.core.common.projection import to_projected
    from crime_mapper.core.load.loader import load_extracts

    crimes = load_extracts(
        [repo_root / "sample_data/police-uk/2022-10/2022-10-leicestershire-street.csv"]
    ).crimes
    x, y, _zone = to_projected(crimes["longitude"].to_numpy(), crimes["latitude"].to_numpy())
    grid = HexGrid(250.0)
    counts = grid_counts(x, y, grid, rings=rings)
    assert len(counts) > 500
    ours = gi_star(counts.q, counts.r, counts.count, rings=rings)
    cx, cy = hex_centres(counts.q, counts.r, grid)
    reference, esda_sizes = _esda_gi_star(cx, cy, counts.count, band * grid.size_m)
    np.testing.assert_allclose(ours.z, reference.Zs, rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours.p, 2 * reference.p_norm, rtol=0, atol=1e-6)
    assert (ours.hotspot_class == 3).any()  # the city centre
    np.testing.assert_array_equal(ours.neighbours, esda_sizes)


def test_neighbour_table_marks_absent_cells():
    table = neighbour_table(np.array([0, 1, 5]), np.array([0, 0, 5]))
    assert table.shape == (3, 7)
    assert table[:, 0].tolist() == [0, 1, 2]
    assert sorted(table[0][table[0] >= 0].tolist()) == [0, 1]
    assert (table[2, 1:] == -1).all()


def test_whole_study_area_neighbourhood_gives_zero():
    # The centre's weight set is all 7 cells: z = 0/0, reported as 0 with p = 1.
    q = np.array([0, 1, 1, 0, -1, -1, 0])
    r = np.array([0, 0, -1, -1, 0, 1, 1])
    result = gi_star(q, r, np.array([5, 1, 0, 2, 0, 0, 1]))
    assert result.z[0] == 0.0 and result.p[0] == 1.0 and result.hotspot_class[0] == 0


def test_bad_input_is_a_clear_error():
    with pytest.raises(HotspotInputError, match="at least 2 cells"):
        gi_star(np.array([0]), np.array([0]), np.array([3]))
    with pytest.raises(HotspotInputError, match="same count"):
        gi_star(np.arange(40), np.zeros(40, dtype=int), np.full(40, 2))
    with pytest.raises(HotspotInputError, match="more than once"):
        gi_star(np.array([0, 0, 1]), np.array([0, 0, 0]), np.array([1, 2, 3]))
    with pytest.raises(HotspotInputError, match="missing or infinite"):
        gi_star(np.array([0, 1, 2]), np.array([0, 0, 0]), np.array([1.0, np.nan, 3.0]))
    with pytest.raises(HotspotInputError, match="3 cells but 2 values"):
        gi_star(np.array([0, 1, 2]), np.array([0, 0, 0]), np.array([1.0, 3.0]))
