"""The one palette: colours and marker shapes for crime categories and outcome groups.

Why one module: the QGIS renderer, the web map and the charts must show a category in the same
colour everywhere, and "colour-blind safe" is a measured property of one set of colours, not
something each output can re-decide. Pure Python (no QGIS, no numpy).

How the colours were chosen (computation, not taste): `python3 tools/colour_science.py`
searches a 22-level-per-channel sRGB grid (step 12), restricted to CIELAB L* 30..78 so points are
neither black nor lost on a light basemap, for the set that maximises the worst pairwise
CIEDE2000 over normal vision and simulated deuteranopia, protanopia and tritanopia (Machado et
al. 2009, severity 1.0), with the dichromat views weighted x2 and white, a light basemap land
colour (#f2efe9) and the no-data grey as fixed neighbours to keep away from. Greedy farthest-point
start, then single-swap hill climbing (colour_science.derive_all). Achieved minimum pairwise
CIEDE2000 for the 14 current categories:
    normal 20.7, deuteranopia 10.3, protanopia 11.1, tritanopia 11.3.
The 2 legacy categories were then added around the 14 (all 16 together: normal 17.6, deutan 8.8,
protan 9.2, tritan 10.6), and the 6 outcome-group colours were chosen to keep away from every
category colour (among themselves: normal 15.3, deutan 8.3, protan 7.5, tritan 14.5).
Which colour went to which category is a free choice (it does not change those minimums); it
follows loose conventions: violence in reds/plum, property in blue/brown/slate, theft in greens
and teals. Colour is never the only cue: each category group has its own marker shape.

Hotspot and density colours (added for the hotspot layers) are not searched for but taken from
published colour-blind-safe schemes, and checked in tests/test_palette.py the same way:
- Gi* classes (-3..3: cold 99/95/90%, not significant, hot 90/95/99%): ColorBrewer RdBu, 7
  classes (Brewer, Harrower & Penn State; marked colour-blind safe). Hot is red, cold is blue;
  lightness falls symmetrically away from "not significant", so the strength of a class reads
  in greyscale too, and red against blue survives every dichromacy (min pairwise CIEDE2000:
  normal 9.4, deutan 8.6, protan 7.1, tritan 12.3).
- Change classes (significant increase / decrease since the baseline): ColorBrewer PuOr, 7
  classes, so a change map is never mistaken for a Gi* map (normal 9.8, deutan 9.6, protan
  9.4, tritan 7.1).
- Sequential ramp (KDE surfaces, graduated choropleths, heatmaps): viridis (van der Walt &
  Smith, matplotlib), run from light (few crimes) to dark (many) so "darker = more" holds on a
  light basemap. Its lightness rises monotonically in normal vision and in all three simulated
  dichromacies, which is what keeps a sequential ramp readable for everyone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .vocabulary import CATEGORIES, LEGACY_CATEGORIES, OUTCOME_GROUPS


@dataclass(frozen=True)
class CategoryStyle:
    """How one category is drawn: fill colour, QGIS simple-marker shape name, legend label."""

    colour: str  # '#rrggbb'
    marker: str  # QGIS simple marker shape name (QgsSimpleMarkerSymbolLayerBase.decodeShape)
    label: str


# One shape per vocabulary.Category.group, so groups differ even in greyscale print.
# Only shapes that exist in QGIS 3.22 and have obvious SVG/CSS equivalents for the web map.
GROUP_MARKERS: dict[str, str] = {
    "violence": "triangle",
    "property": "square",
    "theft": "diamond",
    "disorder": "star",
    "other": "circle",
}

# Groups of the legacy names (they are not in vocabulary.CATEGORIES, which holds current ones).
LEGACY_GROUPS: dict[str, str] = {
    "Violent crime": "violence",
    "Public disorder and weapons": "disorder",
}

# Derived colours (see module docstring); keys must match vocabulary names exactly.
_CATEGORY_COLOURS: dict[str, str] = {
    "Anti-social behaviour": "#fca800",
    "Bicycle theft": "#48a8b4",
    "Burglary": "#0000f0",
    "Criminal damage and arson": "#6c3c00",
    "Drugs": "#00d884",
    "Other theft": "#849060",
    "Possession of weapons": "#603c6c",
    "Public order": "#fc30fc",
    "Robbery": "#fc4830",
    "Shoplifting": "#006c60",
    "Theft from the person": "#a87884",
    "Vehicle crime": "#6c789c",
    "Violence and sexual offences": "#a80c48",
    "Other crime": "#48483c",
    # legacy (older months)
    "Violent crime": "#9c6048",
    "Public disorder and weapons": "#cca8e4",
}

#: Colour per vocabulary.OUTCOME_GROUPS entry (charts and outcome legends), in vocabulary order.
OUTCOME_GROUP_COLOURS: dict[str, str] = {
    group: colour
    for group, colour in zip(
        OUTCOME_GROUPS,
        (
            "#0054f0",  # Under investigation
            "#d83090",  # No further action
            "#6c6000",  # Out-of-court resolution
            "#a830c0",  # Charged or at court
            "#0c9000",  # Offender sentenced at court
            "#84b49c",  # Unavailable
        ),
    )
}

#: Fill for areas with no data (choropleths) and crimes with no category; a neutral mid grey
#: that every category colour keeps away from (it was a fixed neighbour in the search).
NO_DATA_COLOUR = "#bdbdbd"

#: Recommended marker outline: dark, so the lighter fills (L* up to 78) still stand out on a
#: white or light basemap.
OUTLINE_COLOUR = "#232323"


@dataclass(frozen=True)
class ClassStyle:
    """One class of a classed hotspot layer: its value in the data, fill colour and the
    plain-words legend label (the legend must make sense to someone who never heard of z-scores).
    """

    value: int
    colour: str
    label: str


#: Getis-Ord Gi* classes, hot 99% first (core.hotspots.getis_ord hotspot_class values). The
#: labels are the same words as core.hotspots.getis_ord.GI_CLASS_LABELS and
#: core.hotspots.change.CHANGE_CLASS_LABELS
#: (ArcGIS's familiar wording; a test holds them equal): kept here too so the palette, which
#: the web map reads, stays importable without numpy/scipy.
GI_CLASSES: tuple[ClassStyle, ...] = (
    ClassStyle(3, "#b2182b", "Hot spot, 99% confidence"),
    ClassStyle(2, "#ef8a62", "Hot spot, 95% confidence"),
    ClassStyle(1, "#fddbc7", "Hot spot, 90% confidence"),
    ClassStyle(0, "#f7f7f7", "Not significant"),
    ClassStyle(-1, "#d1e5f0", "Cold spot, 90% confidence"),
    ClassStyle(-2, "#67a9cf", "Cold spot, 95% confidence"),
    ClassStyle(-3, "#2166ac", "Cold spot, 99% confidence"),
)

#: Change-hotspot classes: significant increase (positive) or decrease (negative) of the
#: current period over the baseline, at 90/95/99% confidence; 0 = no significant change.
CHANGE_CLASSES: tuple[ClassStyle, ...] = (
    ClassStyle(3, "#b35806", "Increase, 99% confidence"),
    ClassStyle(2, "#f1a340", "Increase, 95% confidence"),
    ClassStyle(1, "#fee0b6", "Increase, 90% confidence"),
    ClassStyle(0, "#f7f7f7", "No significant change"),
    ClassStyle(-1, "#d8daeb", "Decrease, 90% confidence"),
    ClassStyle(-2, "#998ec3", "Decrease, 95% confidence"),
    ClassStyle(-3, "#542788", "Decrease, 99% confidence"),
)

#: Outline of hexagon cells (thin, mid grey: separates cells without hiding the basemap).
CELL_OUTLINE_COLOUR = "#8c8c8c"

#: Sequential ramp stops, low -> high (viridis reversed: light = few crimes, dark = many).
SEQUENTIAL_RAMP: tuple[str, ...] = (
    "#fde725",
    "#aadc32",
    "#5cc863",
    "#27ad81",
    "#21908d",
    "#2c718e",
    "#3b518b",
    "#472c7a",
    "#440154",
)


def class_style(classes: tuple[ClassStyle, ...], value: int) -> ClassStyle:
    """The ClassStyle of ``value`` in GI_CLASSES or CHANGE_CLASSES (KeyError if absent)."""
    for item in classes:
        if item.value == value:
            return item
    raise KeyError(value)


def _hex_rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def ramp_colour(t: float, ramp: tuple[str, ...] = SEQUENTIAL_RAMP) -> str:
    """The ramp's colour at ``t`` in 0..1 (linear between neighbouring stops, in sRGB as the
    published stops are spaced for that)."""
    t = min(1.0, max(0.0, float(t)))
    pos = t * (len(ramp) - 1)
    i = min(int(pos), len(ramp) - 2)
    f = pos - i
    a, b = _hex_rgb(ramp[i]), _hex_rgb(ramp[i + 1])
    return "#" + "".join(f"{round(x + (y - x) * f):02x}" for x, y in zip(a, b))


def sequential_colours(n: int, ramp: tuple[str, ...] = SEQUENTIAL_RAMP) -> list[str]:
    """``n`` colours evenly spaced along the ramp, low to high (n = 1 gives the middle)."""
    if n <= 0:
        return []
    if n == 1:
        return [ramp_colour(0.5, ramp)]
    return [ramp_colour(i / (n - 1), ramp) for i in range(n)]


def _build_styles() -> dict[str, CategoryStyle]:
    styles: dict[str, CategoryStyle] = {}
    for cat in CATEGORIES:
        styles[cat.name] = CategoryStyle(
            _CATEGORY_COLOURS[cat.name], GROUP_MARKERS[cat.group], cat.name
        )
    for name in LEGACY_CATEGORIES:
        styles[name] = CategoryStyle(
            _CATEGORY_COLOURS[name], GROUP_MARKERS[LEGACY_GROUPS[name]], f"{name} (older months)"
        )
    return styles


#: Every category a loaded table may hold (current in police.uk order, then legacy) -> style.
CATEGORY_STYLES: dict[str, CategoryStyle] = _build_styles()


def category_style(name: str) -> CategoryStyle:
    """The style of a canonical category name (current or legacy). KeyError for anything else,
    so an unnormalised spelling is caught rather than drawn in a fallback colour."""
    return CATEGORY_STYLES[name]


def category_group(name: str) -> str:
    """The marker group of a current or legacy category (KeyError for unknown names)."""
    for cat in CATEGORIES:
        if cat.name == name:
            return cat.group
    return LEGACY_GROUPS[name]


def _css_ident(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _slug(name: str) -> str:
    for cat in CATEGORIES:
        if cat.name == name:
            return cat.slug
    return LEGACY_CATEGORIES[name]


def palette_json() -> dict[str, Any]:
    """The whole palette as JSON-ready data for the web map and charts (stable order)."""
    return {
        "categories": [
            {
                "name": name,
                "slug": _slug(name),
                "group": category_group(name),
                "legacy": name in LEGACY_CATEGORIES,
                "colour": style.colour,
                "marker": style.marker,
                "label": style.label,
            }
            for name, style in CATEGORY_STYLES.items()
        ],
        "outcome_groups": [
            {"name": group, "slug": _css_ident(group), "colour": colour}
            for group, colour in OUTCOME_GROUP_COLOURS.items()
        ],
        "group_markers": dict(GROUP_MARKERS),
        "gi_classes": [
            {"value": c.value, "colour": c.colour, "label": c.label} for c in GI_CLASSES
        ],
        "change_classes": [
            {"value": c.value, "colour": c.colour, "label": c.label} for c in CHANGE_CLASSES
        ],
        "sequential_ramp": list(SEQUENTIAL_RAMP),
        "no_data": NO_DATA_COLOUR,
        "outline": OUTLINE_COLOUR,
    }


def as_css_variables(selector: str = ":root") -> str:
    """CSS custom properties (--cm-cat-<slug>, --cm-outcome-<slug>, --cm-no-data, --cm-outline)
    so a stylesheet uses the same colours without copying hex values."""
    lines = [f"{selector} {{"]
    for name, style in CATEGORY_STYLES.items():
        lines.append(f"  --cm-cat-{_slug(name)}: {style.colour};")
    for group, colour in OUTCOME_GROUP_COLOURS.items():
        lines.append(f"  --cm-outcome-{_css_ident(group)}: {colour};")
    lines.append(f"  --cm-no-data: {NO_DATA_COLOUR};")
    lines.append(f"  --cm-outline: {OUTLINE_COLOUR};")
    lines.append("}")
    return "\n".join(lines) + "\n"
