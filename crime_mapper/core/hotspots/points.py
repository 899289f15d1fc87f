"""The crimes a hotspot method runs on: projected x/y in metres, one CRS, months if asked.

Why a class of its own in the core: the QGIS side reads a layer into it
(qgis_bridge.hotspot_input), the publishing side builds it from the public release, and the
methods and their legend texts (core.hotspots.legend) only need these arrays and the words for
what was selected, never a QGIS layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from crime_mapper.core.hotspots.selection import describe_months


@dataclass
class HotspotPoints:
    """Crime points ready for the core: projected metres, one CRS, optional month per point."""

    x: np.ndarray
    y: np.ndarray
    crs: str  # authority id of x/y, e.g. "EPSG:27700"
    months: Optional[np.ndarray] = None  # object array of "YYYY-MM", when requested
    source_name: str = ""
    category: Optional[str] = None
    month_filter: list[str] = field(default_factory=list)
    skipped_no_location: int = 0
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.x)

    def subject(self) -> str:
        """Plain words for what was counted, e.g. "Burglary, 2022-10"."""
        what = self.category or "all crimes"
        return f"{what}, {describe_months(self.month_filter)}"
