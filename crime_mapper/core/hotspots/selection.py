"""Choosing the crimes a hotspot analysis runs on, with errors an analyst can act on.

Why a module: the dock, the four Processing algorithms and the benchmarks all filter the same
way (one category or a few, a set of months) and must all say the same thing when nothing is
left, instead of drawing an empty layer or failing deep inside numpy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Optional

from crime_mapper.core.common.vocabulary import CATEGORY_NAMES, normalise_category
from crime_mapper.core.hotspots.hexgrid import HotspotInputError

if TYPE_CHECKING:  # pandas loads when a selection runs, not when QGIS lists the algorithms
    import pandas as pd

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


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
    import pandas as pd

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


def parse_months(value: Any) -> list[str]:
    """Months from "2022-09,2022-10" (commas, semicolons or spaces), a list, or nothing.

    ValueError (a HotspotInputError) names any entry that is not YYYY-MM.
    """
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else re.split(r"[,;\s]+", str(value))
    months = [str(m).strip() for m in items if str(m).strip()]
    bad = [m for m in months if not _MONTH.match(m)]
    if bad:
        raise HotspotInputError(
            f"months must be written YYYY-MM (e.g. 2022-10); not: {', '.join(bad)}"
        )
    return sorted(set(months))


def parse_category(value: Optional[str]) -> Optional[str]:
    """A canonical category name, or None for all crimes ("", "All", None)."""
    if (
        value is None
        or not str(value).strip()
        or str(value).strip().lower() in ("all", "all crimes")
    ):
        return None
    name = normalise_category(str(value))
    if name is None:
        raise HotspotInputError(
            f"unknown crime category {value!r}; use one of: " + ", ".join(CATEGORY_NAMES)
        )
    return name


def describe_months(months: Sequence[str]) -> str:
    """Months in plain words: "all months", "2022-10", "3 months, 2022-08 to 2022-10"."""
    if not months:
        return "all months"
    if len(months) == 1:
        return months[0]
    return f"{len(months)} months, {months[0]} to {months[-1]}"
