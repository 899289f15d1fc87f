"""The one registry of hotspot methods: name, label, default size, output, legend text.

Why: the dock's Hotspots panel, the background task, the four Processing algorithms and the
publishing step each used to keep their own list of methods and default cell sizes. A method
is now one :class:`HotspotMethod` here; everything else reads :data:`METHODS`, so a new method
(or a changed default) is one entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from crime_mapper.core.common.vocabulary import tr_noop
from crime_mapper.core.hotspots import legend
from crime_mapper.core.hotspots.hexgrid import HotspotInputError


@dataclass(frozen=True)
class HotspotMethod:
    """One hotspot method as the user meets it."""

    name: str  # the id used in settings, file names and Processing ("grid", "gi", ...)
    label: str  # the words in the dock's method list and the Processing METHOD choices
    default_size_m: float  # hexagon size (centre to neighbouring centre) or raster cell
    size_label: str  # what the size means for this method
    suffix: str  # the output file type: ".gpkg" (hexagon polygons) or ".tif" (raster)
    legend: Callable[..., str]  # the plain-words explanation (core.hotspots.legend)
    algorithm: str  # the Processing algorithm id (crime_mapper:<algorithm>)
    uses_months: bool = True  # a month filter (change has current/baseline months instead)
    uses_fdr: bool = False  # false discovery rate correction
    uses_bandwidth: bool = False
    publishable: bool = False  # can be published for the public from the release

    @property
    def is_raster(self) -> bool:
        return self.suffix == ".tif"


#: Labels here are translated by the dock (core.common.vocabulary.VOCABULARY_CONTEXT).
TR_CONTEXT = "Vocabulary"
HEXAGON_SIZE = tr_noop("Hexagon size (metres between neighbouring cell centres)")

METHODS: tuple[HotspotMethod, ...] = (
    HotspotMethod(
        "gi",
        tr_noop("Hot and cold spots (Getis-Ord Gi*)"),
        500.0,
        HEXAGON_SIZE,
        ".gpkg",
        legend.gi_text,
        "hotspots_gi",
        uses_fdr=True,
        publishable=True,
    ),
    HotspotMethod(
        "grid",
        tr_noop("Crime counts on hexagons"),
        500.0,
        HEXAGON_SIZE,
        ".gpkg",
        legend.grid_text,
        "hotspots_grid",
        publishable=True,
    ),
    HotspotMethod(
        "kde",
        tr_noop("Kernel density surface"),
        50.0,
        tr_noop("Raster cell size (metres)"),
        ".tif",
        legend.kde_text,
        "hotspots_kde",
        uses_bandwidth=True,
    ),
    HotspotMethod(
        "change",
        tr_noop("Change since previous months"),
        500.0,
        HEXAGON_SIZE,
        ".gpkg",
        legend.change_text,
        "hotspots_change",
        uses_months=False,
        uses_fdr=True,
    ),
)

#: Method names in registry order.
KINDS: tuple[str, ...] = tuple(m.name for m in METHODS)


def hotspot_method(name: str) -> HotspotMethod:
    """The method called ``name``; HotspotInputError naming the known ones otherwise."""
    for method in METHODS:
        if method.name == name:
            return method
    raise HotspotInputError(f"unknown hotspot method {name!r}: one of {', '.join(KINDS)}")


#: The methods a public hotspot grid can be made with. Counts first: this order is the
#: publish algorithm's METHOD enum, and saved models rely on index 0 being counts.
PUBLIC_METHODS: tuple[HotspotMethod, ...] = tuple(
    sorted((m for m in METHODS if m.publishable), key=lambda m: m.name != "grid")
)
