"""The one palette: colours and marker shapes for crime categories and outcome groups.

Why one module: the QGIS renderer, the web map and the charts must show a category in the same
colour everywhere, and "colour-blind safe" is a measured property of one set of colours, not
something each output can re-decide. Pure Python (no QGIS, no numpy).

How the colours were chosen (computation, not taste): `python -m crime_mapper.core.colour_science`
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
