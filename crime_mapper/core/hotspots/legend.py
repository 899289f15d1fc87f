"""The plain-words explanations stored with every hotspot layer (its legend text).

Why in the core: the same words go into the layer's abstract and metadata in QGIS, the QML/SLD
styles, the Processing log and the web map, so they are made once, from the method's settings
and facts, without QGIS.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from crime_mapper.core.hotspots.hexgrid import metres
from crime_mapper.core.hotspots.points import HotspotPoints

__all__ = ["metres"]  # (the one way a size is written: hexgrid.metres)


def grid_text(points: HotspotPoints, size_m: float) -> str:
    return (
        f"Crime counts on {metres(size_m)} hexagons ({points.subject()}). Each hexagon "
        f"holds the number of crimes whose point falls inside it; hexagons are "
        f"{metres(size_m)} from centre to neighbouring centre, on a fixed lattice in "
        f"{points.crs}, so the same cells appear every month and maps can be compared. "
        "Darker = more crimes; classes are quantiles of the counts."
    )


def gi_text(points: HotspotPoints, size_m: float, fdr: bool, rings: int = 1) -> str:
    neighbours = 3 * rings * (rings + 1)
    return (
        f"Getis-Ord Gi* on {metres(size_m)} hexagons ({points.subject()}): cells whose "
        f"neighbourhood (the cell and its {neighbours} neighbours) has many more crimes "
        "(hot spot) or many fewer (cold spot) than the average over the whole area. "
        "Classes at 90/95/99% confidence (two-sided); false discovery rate (FDR) "
        f"correction {'on' if fdr else 'off'}"
        + (
            ": with many cells tested, fewer pass by chance."
            if fdr
            else ": with many cells tested, about 1 in 10 'hot spot, 90%' cells may be chance."
        )
        + f" {p_value_fields(fdr)}"
        + " Internal analysis: exact data, not for publication."
    )


def p_value_fields(fdr: bool, decreases: bool = False) -> str:
    """Which stored p-value the classes come from, in words (issue 11: both are stored)."""
    if fdr:
        return (
            "The classes use the FDR-adjusted p-value (field p_adjusted"
            + (", and p_decrease_adjusted for decreases" if decreases else "")
            + "); the unadjusted p-value is kept in p"
            + (" and p_decrease" if decreases else "")
            + "."
        )
    return (
        "The classes use the unadjusted p-value (field p"
        + (", and p_decrease for decreases" if decreases else "")
        + "); p_adjusted is empty because FDR correction is off."
    )


def kde_text(
    points: HotspotPoints,
    cell_m: float,
    bandwidth_m: float,
    rule: str,
    *,
    method: str = "exact",
    error_per_crime: float = 0.0,
    left_out: int = 0,
    extent_rule: str = "",
) -> str:
    """The density layer in words: what each pixel holds, how exact it is, what was left out.

    ``rule`` says how the bandwidth was chosen ("set by the user", "chosen by ..."), without
    repeating the bandwidth itself."""
    peak = 3e6 / (math.pi * bandwidth_m**2)
    if method == "exact":
        accuracy = "Each pixel holds the exact kernel sum at its centre."
    else:
        accuracy = (
            "Each pixel holds the kernel sum at its centre, computed by linear binning with "
            "a second-order correction: it differs from the exact sum by at most "
            f"{error_per_crime:.3g} crimes per km² ({error_per_crime / peak:.1%} of one "
            "crime's peak) for each crime within the bandwidth, and typically by under 0.1%."
        )
    text = (
        f"Kernel density of crimes ({points.subject()}) in crimes per km², on "
        f"{metres(cell_m)} pixels. Each crime is spread smoothly (quartic kernel) over a "
        f"circle of radius {metres(bandwidth_m)}, the bandwidth, {rule}; the surface is the "
        f"sum, so darker = more crimes close by. {accuracy}"
    )
    if extent_rule:
        text += f" The map covers {extent_rule}"
        text += (
            f"; {left_out:,} crime{'s' if left_out != 1 else ''} outside it "
            f"{'were' if left_out != 1 else 'was'} left out."
            if left_out
            else "."
        )
    return text + " Internal analysis: exact data."


def change_text(
    points: HotspotPoints,
    size_m: float,
    current: Sequence[str],
    baseline: Sequence[str],
    fdr: bool,
    method: str = "",
) -> str:
    method = method or (
        "Poisson test of the current count per cell against the mean of the baseline months."
    )
    return (
        f"Change hotspots on {metres(size_m)} hexagons ({points.category or 'all crimes'}"
        f"): cells where {points.coverage(current).describe()} has significantly more (or "
        f"fewer) crimes than usual in {points.coverage(baseline).describe()}. Method: {method} "
        f"False discovery rate correction {'on' if fdr else 'off'}. "
        f"{p_value_fields(fdr, decreases=True)} Internal analysis: exact data."
    )


@dataclass(frozen=True)
class IntegerClass:
    """One class of a graduated legend on whole numbers (counts): ``low`` to ``high``
    inclusive, and its label. ``lower_bound`` / ``upper_bound`` sit half-way between whole
    numbers, so a renderer's range filter (QGIS, QML, SLD, web) can neither overlap the next
    class nor leave a gap."""

    low: int
    high: int
    label: str

    @property
    def lower_bound(self) -> float:
        return self.low - 0.5

    @property
    def upper_bound(self) -> float:
        return self.high + 0.5


def integer_classes(breaks: Sequence[float], unit: str = "crimes") -> list[IntegerClass]:
    """Classes of whole numbers from class breaks b0 <= b1 <= ... <= bk, as QGIS's graduated
    ranges assign values: the first class holds b0..b1, class i the values above b_i up to
    b_(i+1). So breaks 1, 1, 2, 5, 11, 188 give "1", "2", "3 to 5", "6 to 11", "12 to 188"
    (not "1 to 1", "1 to 2", "2 to 5", "5 to 11", "11 to 188", which overlap). A class that
    holds no whole number (repeated breaks) is dropped."""
    classes: list[IntegerClass] = []
    for index in range(len(breaks) - 1):
        low_break, high_break = float(breaks[index]), float(breaks[index + 1])
        low = math.ceil(low_break) if index == 0 else math.floor(low_break) + 1
        high = math.floor(high_break)
        if classes and low <= classes[-1].high:
            low = classes[-1].high + 1
        if low > high:
            continue
        classes.append(IntegerClass(low, high, integer_label(low, high, unit)))
    return classes


def integer_label(low: int, high: int, unit: str = "crimes") -> str:
    """ "7 crimes", "1 crime", "3 to 5 crimes" (the unit's plural 's' dropped for exactly 1)."""
    text = f"{low:,}" if low == high else f"{low:,} to {high:,}"
    if not unit:
        return text
    if low == high == 1 and unit.endswith("s"):
        unit = unit[:-1]
    return f"{text} {unit}"
