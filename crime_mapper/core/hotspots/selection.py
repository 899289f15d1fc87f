"""Choosing the crimes a hotspot analysis runs on, with errors an analyst can act on.

Why a module: the dock, the four Processing algorithms and the benchmarks all filter the same
way (one category or a few, a set of months) and must all say the same thing when nothing is
left, instead of drawing an empty layer or failing deep inside numpy.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Optional

import pandas as pd

from crime_mapper.core.hotspots.hexgrid import HotspotInputError


def _listed(values: Iterable[str], limit: int = 6) -> str:
    values = sorted({str(v) for v in values})
    shown = ", ".join(values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def select(
    crimes: pd.DataFrame,
    categories: Optional[Iterable[str]] = None,
    months: Optional[Iterable[str]] = None,
    require_location: bool = True,
) -> pd.DataFrame:
    """Rows of the canonical crimes table in `categories` (crime_type) and `months` (YYYY-MM);
    None means all. With `require_location`, rows without coordinates are dropped (they cannot
    be placed in a cell). Raises HotspotInputError naming what was asked for and what the table
    has when nothing is left."""
    if crimes is None or len(crimes) == 0:
        raise HotspotInputError("The layer has no crimes (it is empty).")
    keep = pd.Series(True, index=crimes.index)
    if months is not None:
        months = [str(m) for m in months]
        if not months:
            raise HotspotInputError("No months were chosen.")
        keep &= crimes["month"].astype(str).isin(months).to_numpy()
        if not keep.any():
            raise HotspotInputError(
                f"There are no features in the chosen months ({_listed(months)}); the layer "
                f"has {_listed(crimes['month'].astype(str).unique())}."
            )
    if categories is not None:
        categories = [str(c) for c in categories]
        if not categories:
            raise HotspotInputError("No crime categories were chosen.")
        keep &= crimes["crime_type"].astype(str).isin(categories).to_numpy()
        if not keep.any():
            raise HotspotInputError(
                f"There are no crimes of the chosen categories ({_listed(categories)})"
                + (" in the chosen months." if months is not None else ".")
            )
    if require_location:
        located = crimes["longitude"].notna() & crimes["latitude"].notna()
        if not (keep & located).any():
            raise HotspotInputError(
                "None of the chosen crimes has a location, so none can be placed on the map."
            )
        keep &= located
    return crimes.loc[keep.to_numpy()]
