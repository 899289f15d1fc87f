"""The crimes a hotspot method runs on: projected x/y in metres, one CRS, their months.

Why a class of its own in the core: the QGIS side reads a layer into it
(qgis_bridge.hotspot_input), the publishing side builds it from the public release, and the
methods and their legend texts (core.hotspots.legend) only need these arrays and the words for
what was selected, never a QGIS layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from crime_mapper.core.hotspots.selection import MonthCoverage, month_coverage


@dataclass
class HotspotPoints:
    """Crime points ready for the core: projected metres, one CRS, optional month per point."""

    x: np.ndarray
    y: np.ndarray
    crs: str  # authority id of x/y, e.g. "EPSG:27700"
    months: Optional[np.ndarray] = None  # object array of "YYYY-MM", one per point
    source_name: str = ""
    category: Optional[str] = None
    month_filter: list[str] = field(default_factory=list)
    skipped_no_location: int = 0
    notes: list[str] = field(default_factory=list)
    # every month the input holds, whatever the category or location ([] = not known): what
    # tells a month with no crimes of the selection (a real zero) from one never loaded
    input_months: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.x)

    def coverage(self, chosen: Optional[Sequence[str]] = None) -> MonthCoverage:
        """The months of ``chosen`` (default: the month filter; empty = all) that the input
        holds, and those in which these points have crimes."""
        crime_months = set(self.months.tolist()) if self.months is not None else None
        return month_coverage(
            self.month_filter if chosen is None else chosen, self.input_months, crime_months
        )

    def subject(self) -> str:
        """Plain words for what was counted, e.g. "Burglary, 2022-10", or "Burglary, 3 months,
        2022-08 to 2022-10; crimes in 2 of them, none in 2022-09"."""
        what = self.category or "all crimes"
        return f"{what}, {self.coverage().describe()}"
