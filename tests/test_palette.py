"""The palette is complete, unique, shape-coded and measurably colour-blind safe.

The colour-difference checks use an independent implementation, coloraide (a pinned test
dependency: CIELAB, Machado 2009 colour-vision simulation, CIEDE2000), rather than a second
hand-written copy of tools/colour_science.py; both are held to the published CIEDE2000 test
data (Sharma, Wu & Dalal 2005), so a bug in the module cannot vouch for itself.
"""

from __future__ import annotations

import json
import re
from itertools import combinations

import pytest
from coloraide import Color

from crime_mapper.core.common import palette
from crime_mapper.core.common.vocabulary import CATEGORIES, LEGACY_CATEGORIES, OUTCOME_GROUPS
from tools import colour_science

# --- independent reference: coloraide (pinned in requirements-test.txt) -------------------------

# coloraide's names for Machado, Oliveira & Fernandes (2009) colour-vision simulations.
CVD_FILTER = {"deuteranopia": "deutan", "protanopia": "protan", "tritanopia": "tritan"}


def ref_lab(hex_colour: str, view: str | None = None) -> tuple[float, float, float]:
    """CIELAB (D65) of a colour, as seen in ``view`` (Machado 2009, severity 1, in linear sRGB,
    clipped to the gamut), by coloraide."""
    colour = Color(hex_colour)
    if view:
        colour = colour.filter(
            CVD_FILTER[view], method="machado", space="srgb-linear", out_space="srgb-linear"
        ).clip()
    lightness, a, b = colour.convert("lab-d65").coords()
    return (lightness, a, b)


def ref_de2000(lab1, lab2) -> float:
    """CIEDE2000 between two D65 CIELAB colours, by coloraide."""
    first, second = Color("lab-d65", list(lab1)), Color("lab-d65", list(lab2))
    return first.delta_e(second, method="2000", space="lab-d65")


def ref_min_de(colours: list[str], view: str | None) -> float:
    labs = [ref_lab(c, view) for c in colours]
    return min(ref_de2000(a, b) for a, b in combinations(labs, 2))


# Sharma, Wu & Dalal (2005), Table 1: all 34 pairs (L1, a1, b1), (L2, a2, b2), dE00.
SHARMA_2005 = [
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 3.1571, -77.2803), (50.0, 0.0, -82.7485), 2.8615),
    ((50.0, 2.8361, -74.0200), (50.0, 0.0, -82.7485), 3.4412),
    ((50.0, -1.3802, -84.2814), (50.0, 0.0, -82.7485), 1.0000),
    ((50.0, -1.1848, -84.8006), (50.0, 0.0, -82.7485), 1.0000),
    ((50.0, -0.9009, -85.5211), (50.0, 0.0, -82.7485), 1.0000),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, -1.0, 2.0), (50.0, 0.0, 0.0), 2.3669),
    ((50.0, 2.4900, -0.0010), (50.0, -2.4900, 0.0009), 7.1792),
    ((50.0, 2.4900, -0.0010), (50.0, -2.4900, 0.0010), 7.1792),
    ((50.0, 2.4900, -0.0010), (50.0, -2.4900, 0.0011), 7.2195),
    ((50.0, 2.4900, -0.0010), (50.0, -2.4900, 0.0012), 7.2195),
    ((50.0, -0.0010, 2.4900), (50.0, 0.0009, -2.4900), 4.8045),
    ((50.0, -0.0010, 2.4900), (50.0, 0.0010, -2.4900), 4.8045),
    ((50.0, -0.0010, 2.4900), (50.0, 0.0011, -2.4900), 4.7461),
    ((50.0, 2.5, 0.0), (50.0, 0.0, -2.5), 4.3065),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((50.0, 2.5, 0.0), (61.0, -5.0, 29.0), 22.8977),
    ((50.0, 2.5, 0.0), (56.0, -27.0, -3.0), 31.9030),
    ((50.0, 2.5, 0.0), (58.0, 24.0, 15.0), 19.4535),
    ((50.0, 2.5, 0.0), (50.0, 3.1736, 0.5854), 1.0000),
    ((50.0, 2.5, 0.0), (50.0, 3.2972, 0.0), 1.0000),
    ((50.0, 2.5, 0.0), (50.0, 1.8634, 0.5757), 1.0000),
    ((50.0, 2.5, 0.0), (50.0, 3.2592, 0.3350), 1.0000),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((63.0109, -31.0961, -5.8663), (62.8187, -29.7946, -4.0864), 1.2630),
    ((61.2901, 3.7196, -5.3901), (61.4292, 2.2480, -4.9620), 1.8731),
    ((35.0831, -44.1164, 3.7933), (35.0232, -40.0716, 1.5901), 1.8645),
    ((22.7233, 20.0904, -46.6940), (23.0331, 14.9730, -42.5619), 2.0373),
    ((36.4612, 47.8580, 18.3852), (36.2715, 50.5065, 21.2231), 1.4146),
    ((90.8027, -2.0831, 1.4410), (91.1528, -1.6435, 0.0447), 1.4441),
    ((90.9257, -0.5406, -0.9208), (88.6381, -0.8985, -0.7239), 1.5381),
    ((6.7747, -0.2908, -2.4247), (5.8714, -0.0985, -2.2286), 0.6377),
    ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
]

CURRENT = [palette.CATEGORY_STYLES[c.name].colour for c in CATEGORIES]
ALL_CATEGORY_COLOURS = [s.colour for s in palette.CATEGORY_STYLES.values()]
VIEWS = [None, "deuteranopia", "protanopia", "tritanopia"]

# What the palette achieved when derived (module docstring), minus a small margin.
ACHIEVED_CURRENT = {None: 20.7, "deuteranopia": 10.3, "protanopia": 11.1, "tritanopia": 11.3}
ACHIEVED_WITH_LEGACY = {None: 17.5, "deuteranopia": 8.8, "protanopia": 9.1, "tritanopia": 10.5}
ACHIEVED_OUTCOMES = {None: 15.2, "deuteranopia": 8.3, "protanopia": 7.4, "tritanopia": 14.5}
MARGIN = 0.1


# --- the colour maths -------------------------------------------------------------------------


@pytest.mark.parametrize("lab1, lab2, expected", SHARMA_2005)
def test_ciede2000_matches_sharma_2005(lab1, lab2, expected) -> None:
    assert colour_science.ciede2000(lab1, lab2) == pytest.approx(expected, abs=1e-4)
    assert colour_science.ciede2000(lab2, lab1) == pytest.approx(expected, abs=1e-4)
    assert ref_de2000(lab1, lab2) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize(
    "colour, expected",
    [
        ("#ffffff", (100.0, 0.0, 0.0)),
        ("#000000", (0.0, 0.0, 0.0)),
        ("#ff0000", (53.24, 80.09, 67.20)),
        ("#00ff00", (87.73, -86.18, 83.18)),
        ("#0000ff", (32.30, 79.19, -107.86)),
    ],
)
def test_lab_of_reference_colours(colour, expected) -> None:
    for lab in (colour_science.hex_to_lab(colour), ref_lab(colour)):
        assert lab == pytest.approx(expected, abs=0.02)


@pytest.mark.parametrize("view", ["deuteranopia", "protanopia", "tritanopia"])
def test_simulation_keeps_greys_and_changes_hues(view) -> None:
    # Machado's matrices map white to white: greys look the same to a dichromat.
    for grey in ("#000000", "#404040", "#808080", "#bdbdbd", "#ffffff"):
        assert colour_science.delta_e(grey, colour_science.simulate_hex(grey, view)) < 0.6
        assert ref_de2000(ref_lab(grey), ref_lab(grey, view)) < 0.6
    # ...while red/green (or blue/yellow for tritans) pairs collapse compared with normal vision.
    pair = ("#0000ff", "#00a000") if view == "tritanopia" else ("#d00000", "#00a000")
    assert colour_science.delta_e(*pair, view) < colour_science.delta_e(*pair) * 0.7
    assert colour_science.simulate_hex("#336699", None) == "#336699"


def test_module_and_reference_agree_on_palette() -> None:
    for view in VIEWS:
        for c in ALL_CATEGORY_COLOURS:
            assert colour_science.hex_to_lab(c, view) == pytest.approx(ref_lab(c, view), abs=0.05)


# --- the palette ---------------------------------------------------------------------------------


@pytest.mark.parametrize("view", VIEWS)
def test_current_categories_are_far_apart_in_every_view(view) -> None:
    assert ref_min_de(CURRENT, view) >= ACHIEVED_CURRENT[view] - MARGIN
    assert colour_science.min_pairwise_delta_e(CURRENT, view)[0] >= ACHIEVED_CURRENT[view] - MARGIN


@pytest.mark.parametrize("view", VIEWS)
def test_legacy_and_outcome_colours_are_apart(view) -> None:
    assert ref_min_de(ALL_CATEGORY_COLOURS, view) >= ACHIEVED_WITH_LEGACY[view] - MARGIN
    outcomes = list(palette.OUTCOME_GROUP_COLOURS.values())
    assert ref_min_de(outcomes, view) >= ACHIEVED_OUTCOMES[view] - MARGIN


@pytest.mark.parametrize("view", VIEWS)
def test_categories_stand_out_on_light_basemaps(view) -> None:
    for background in ("#ffffff", "#f2efe9", palette.NO_DATA_COLOUR):
        worst = min(
            ref_de2000(ref_lab(c, view), ref_lab(background, view)) for c in ALL_CATEGORY_COLOURS
        )
        assert worst >= 11.0, (background, view, worst)
    for c in ALL_CATEGORY_COLOURS:
        assert 29.0 <= ref_lab(c)[0] <= 79.0  # neither near-white nor black
        assert colour_science.contrast_ratio(c, palette.OUTLINE_COLOUR) >= 1.5


def test_every_category_and_outcome_group_has_a_style() -> None:
    expected = [c.name for c in CATEGORIES] + list(LEGACY_CATEGORIES)
    assert list(palette.CATEGORY_STYLES) == expected  # vocabulary order, legacy last
    for name in expected:
        style = palette.category_style(name)
        assert isinstance(style, palette.CategoryStyle)
        assert re.fullmatch(r"#[0-9a-f]{6}", style.colour)
        assert style.label.startswith(name)
    assert list(palette.OUTCOME_GROUP_COLOURS) == list(OUTCOME_GROUPS)
    assert re.fullmatch(r"#[0-9a-f]{6}", palette.NO_DATA_COLOUR)
    with pytest.raises(KeyError):
        palette.category_style("Violent and sexual offences")  # unnormalised spelling
    with pytest.raises(KeyError):
        palette.category_style("")


def test_colours_are_unique_everywhere() -> None:
    everything = (
        ALL_CATEGORY_COLOURS
        + list(palette.OUTCOME_GROUP_COLOURS.values())
        + [palette.NO_DATA_COLOUR]
    )
    assert len(set(everything)) == len(everything)


def test_marker_shape_follows_group_and_differs_between_groups() -> None:
    by_group: dict[str, set[str]] = {}
    for cat in CATEGORIES:
        by_group.setdefault(cat.group, set()).add(palette.category_style(cat.name).marker)
    assert all(len(shapes) == 1 for shapes in by_group.values())
    shapes = [next(iter(s)) for s in by_group.values()]
    assert len(set(shapes)) == len(shapes)
    assert (
        palette.category_style("Violent crime").marker
        == palette.category_style("Violence and sexual offences").marker
    )


def test_marker_names_are_qgis_simple_marker_shapes() -> None:
    from qgis.core import QgsSimpleMarkerSymbolLayerBase

    for style in palette.CATEGORY_STYLES.values():
        _shape, ok = QgsSimpleMarkerSymbolLayerBase.decodeShape(style.marker)
        assert ok, style.marker


def test_web_exports_carry_every_colour() -> None:
    data = json.loads(json.dumps(palette.palette_json()))
    assert [c["name"] for c in data["categories"]] == list(palette.CATEGORY_STYLES)
    assert {c["slug"] for c in data["categories"]} >= {c.slug for c in CATEGORIES}
    css = palette.as_css_variables()
    for colour in ALL_CATEGORY_COLOURS + list(palette.OUTCOME_GROUP_COLOURS.values()):
        assert f": {colour};" in css
    assert "--cm-cat-burglary: " + palette.category_style("Burglary").colour in css


def test_hard_coded_colours_are_what_the_derivation_produces() -> None:
    # The palette is a computed result: re-running the documented search gives the same sets.
    derived = colour_science.derive_all()
    assert set(derived["current"]) == set(CURRENT)
    assert set(derived["legacy"]) == set(ALL_CATEGORY_COLOURS) - set(CURRENT)
    assert set(derived["outcome_groups"]) == set(palette.OUTCOME_GROUP_COLOURS.values())


# --- hotspot classes and the sequential ramp ------------------------------------------------


@pytest.mark.parametrize(
    "classes", [palette.GI_CLASSES, palette.CHANGE_CLASSES], ids=["gi", "change"]
)
@pytest.mark.parametrize("view", VIEWS)
def test_hotspot_classes_stay_apart_in_every_view(classes, view) -> None:
    colours = [c.colour for c in classes]
    assert len(set(colours)) == 7
    assert ref_min_de(colours, view) >= 7.0
    # the same confidence on the two sides (hot 99% vs cold 99%...) never looks alike
    for level in (1, 2, 3):
        hot = palette.class_style(classes, level).colour
        cold = palette.class_style(classes, -level).colour
        assert ref_de2000(ref_lab(hot, view), ref_lab(cold, view)) >= 15.0, (level, view)


@pytest.mark.parametrize(
    "classes", [palette.GI_CLASSES, palette.CHANGE_CLASSES], ids=["gi", "change"]
)
def test_hotspot_classes_darken_with_confidence(classes) -> None:
    """Strength reads as lightness (greyscale print, any colour vision): L* falls with |class|."""
    assert [c.value for c in classes] == [3, 2, 1, 0, -1, -2, -3]
    for view in VIEWS:
        for sign in (1, -1):
            light = [
                ref_lab(palette.class_style(classes, sign * k).colour, view)[0]
                for k in (0, 1, 2, 3)
            ]
            assert light == sorted(light, reverse=True), (view, sign, light)
    labels = [c.label for c in classes]
    assert len(set(labels)) == 7
    assert all(
        "%" in label
        for label in labels
        if "ot significant" not in label and "No significant" not in label
    )
    with pytest.raises(KeyError):
        palette.class_style(classes, 4)


def test_gi_labels_are_plain_words() -> None:
    assert palette.class_style(palette.GI_CLASSES, 3).label == "Hot spot, 99% confidence"
    assert palette.class_style(palette.GI_CLASSES, -1).label == "Cold spot, 90% confidence"
    assert palette.class_style(palette.GI_CLASSES, 0).label == "Not significant"


@pytest.mark.parametrize("view", VIEWS)
def test_sequential_ramp_lightness_is_monotonic_in_every_view(view) -> None:
    light = [ref_lab(c, view)[0] for c in palette.SEQUENTIAL_RAMP]
    steps = [a - b for a, b in zip(light, light[1:])]
    assert min(steps) >= 5.0, (view, light)  # light (few) -> dark (many), clear steps
    assert ref_min_de(list(palette.SEQUENTIAL_RAMP), view) >= 4.0


def test_sequential_colours_interpolate_the_ramp() -> None:
    assert palette.sequential_colours(0) == []
    assert palette.sequential_colours(2) == [
        palette.SEQUENTIAL_RAMP[0],
        palette.SEQUENTIAL_RAMP[-1],
    ]
    assert palette.sequential_colours(len(palette.SEQUENTIAL_RAMP)) == list(palette.SEQUENTIAL_RAMP)
    five = palette.sequential_colours(5)
    assert len(five) == 5 and all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in five)
    light = [ref_lab(c)[0] for c in palette.sequential_colours(12)]
    assert light == sorted(light, reverse=True)
    assert palette.ramp_colour(-1) == palette.SEQUENTIAL_RAMP[0]
    assert palette.ramp_colour(2) == palette.SEQUENTIAL_RAMP[-1]


def test_palette_json_carries_hotspot_classes_and_ramp() -> None:
    data = json.loads(json.dumps(palette.palette_json()))
    assert [c["value"] for c in data["gi_classes"]] == [3, 2, 1, 0, -1, -2, -3]
    assert data["gi_classes"][0]["label"] == "Hot spot, 99% confidence"
    assert len(data["change_classes"]) == 7
    assert data["sequential_ramp"] == list(palette.SEQUENTIAL_RAMP)


def test_class_labels_match_the_statistics_core() -> None:
    """One wording: the palette's labels are the core's GI/CHANGE_CLASS_LABELS."""
    from crime_mapper.core.hotspots.change import CHANGE_CLASS_LABELS
    from crime_mapper.core.hotspots.getis_ord import GI_CLASS_LABELS

    assert {c.value: c.label for c in palette.GI_CLASSES} == GI_CLASS_LABELS
    assert {c.value: c.label for c in palette.CHANGE_CLASSES} == CHANGE_CLASS_LABELS
