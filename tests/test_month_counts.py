"""core.common.months' count of rows per month, which the load's and the audit's
"the crimes span ..." warnings are made from: each distinct value read once, the same counts
as reading every row's text (the way it was done before)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from crime_mapper.core.common.months import _month_counts, month_span_warnings
from crime_mapper.core.common.vocabulary import MONTH_RE


def _by_text(values: list) -> Counter:
    """The count as first written: every value's text, matched one by one."""
    return Counter(m for m in map(str, values) if MONTH_RE.fullmatch(m))


@pytest.mark.parametrize(
    "values",
    [
        ["2022-10"] * 5 + ["2022-09"] * 2,
        # the same month as str and numpy str: one month, counted together
        ["2022-10", np.str_("2022-10"), "2022-10"],
        # missing and odd values are left out, whatever their type
        ["2022-10", None, float("nan"), np.nan, np.nan, "", "2022-13", "22-10", 202210, b"2022-10"],
        # values whose text only is a month (a number-like object is not)
        [np.datetime64("2022-10"), "2022-10"],
        # unhashable values: counted by their text
        [["2022-10"], "2022-10", {"m": 1}, "2022-09"],
        [],
    ],
)
def test_counts_are_those_of_every_rows_text(values: list) -> None:
    assert _month_counts(values) == _by_text(values)
    assert _month_counts(np.asarray(values, dtype=object)) == _by_text(values)


def test_the_warning_counts_rows_not_distinct_values() -> None:
    months = np.array(["2022-10"] * 1000 + ["2021-01"] * 3 + [np.str_("2021-01")] * 2, dtype=object)
    [warning] = month_span_warnings(months)
    assert "5 row(s) lie 12 months or more from 2022-10" in warning
    assert "span 2021-01 to 2022-10" in warning
