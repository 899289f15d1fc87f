"""Choosing the crimes a hotspot analysis runs on, with errors an analyst can act on.

Why a module: the dock, the four Processing algorithms and the benchmarks all filter the same
way (one category or a few, a set of months) and must all say the same thing when nothing is
left, instead of drawing an empty layer or failing deep inside numpy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from crime_mapper.core.common.vocabulary import CATEGORY_NAMES, MONTH_RE, normalise_category
from crime_mapper.core.hotspots.hexgrid import HotspotInputError

if TYPE_CHECKING:  # pandas loads when a selection runs, not when QGIS lists the algorithms
    import pandas as pd


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
    bad = [m for m in months if not MONTH_RE.fullmatch(m)]
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


def _calendar(first: str, last: str) -> list[str]:
    """Every calendar month from ``first`` to ``last`` (YYYY-MM), both included."""
    start = int(first[:4]) * 12 + int(first[5:7]) - 1
    end = int(last[:4]) * 12 + int(last[5:7]) - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(start, end + 1)]


def describe_months(months: Sequence[str]) -> str:
    """Months in plain words: "all months", "2022-10", "3 months, 2022-08 to 2022-10", and
    "2 months, 2022-07 to 2022-09 except 2022-08" when there is a gap, so a count is never
    read as a calendar span it is not (the one wording of every hotspot title and legend)."""
    months = sorted({str(m) for m in months})
    if not months:
        return "all months"
    if len(months) == 1:
        return months[0]
    text = f"{len(months)} months, {months[0]} to {months[-1]}"
    if all(MONTH_RE.fullmatch(m) for m in months):
        gaps = sorted(set(_calendar(months[0], months[-1])) - set(months))
        if gaps:
            text += f" except {_listed(gaps)}"
    return text


@dataclass(frozen=True)
class MonthCoverage:
    """The months behind a hotspot layer, told apart, because a legend that counts a month
    nobody loaded (or hides one with no crimes of the selection) misleads the analyst.

    ``analysed``: months the input holds and the analysis covers (all of them, or those
    chosen). A month among them with no crimes of the selection is a real zero: its data was
    loaded. ``with_crimes``: those holding at least one crime of the selection (with a
    location). ``not_in_input``: months chosen that the input does not hold; not analysed.
    """

    analysed: tuple[str, ...]
    with_crimes: tuple[str, ...]
    not_in_input: tuple[str, ...] = ()

    @property
    def without_crimes(self) -> tuple[str, ...]:
        holding = set(self.with_crimes)
        return tuple(m for m in self.analysed if m not in holding)

    def describe(self) -> str:
        """The months in words, with how many hold crimes of the selection when not all do:
        "3 months, 2022-08 to 2022-10; crimes in 2 of them, none in 2022-09"."""
        text = describe_months(self.analysed)
        empty = self.without_crimes
        if not empty:
            return text
        if not self.with_crimes:
            return text + (", with no crimes" if len(empty) == 1 else ", none of them with crimes")
        return text + f"; crimes in {len(self.with_crimes)} of them, none in {_listed(empty)}"


def month_coverage(
    chosen: Iterable[str], input_months: Iterable[str], crime_months: Optional[Iterable[str]]
) -> MonthCoverage:
    """Which months an analysis covers: ``chosen`` (empty = all), of the ``input_months`` the
    input holds (empty = not known: the chosen ones are taken as held), and of those the
    ``crime_months`` in which the selection has crimes (None = not known: taken as all, so
    nothing is claimed about them)."""
    chosen_set = {str(m) for m in chosen}
    held = {str(m) for m in input_months}
    crimes = {str(m) for m in crime_months} if crime_months is not None else None
    if not held:
        held = chosen_set or crimes or set()
    analysed = held & chosen_set if chosen_set else held
    if crimes is None:
        crimes = analysed
    return MonthCoverage(
        analysed=tuple(sorted(analysed)),
        with_crimes=tuple(sorted(crimes & analysed)),
        not_in_input=tuple(sorted(chosen_set - held)),
    )
