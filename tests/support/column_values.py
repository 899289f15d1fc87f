"""Column values as the GeoPackage writer binds them (core.io.gpkg_write.column_values),
compared type for type, and hostile datetimes to compare them on (two test modules)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def same_values(a: list, b: list) -> bool:
    """Equal value for value, type for type, sign of zero included."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if type(x) is not type(y):
            return False
        if isinstance(x, float) and (x != y or math.copysign(1, x) != math.copysign(1, y)):
            if not (math.isnan(x) and math.isnan(y)):
                return False
        elif not isinstance(x, float) and x != y:
            return False
    return True


def hostile_datetimes(seed: int) -> pd.Series:
    """3,000 datetimes: repeats, millisecond jitter, the ends of the ns range, 20 % NaT."""
    rng = np.random.default_rng(seed)
    n = 3000
    base = rng.choice(
        np.array(["1901-01-01T00:00:00.001", "1969-12-31T23:59:59.999", "1970-01-01",
                  "2022-10-31T23:59:59.5", "2262-04-11T23:47:16.854", "2000-02-29T12:00"],
                 dtype="datetime64[ms]"),
        size=n,
    )  # fmt: skip
    jitter = rng.integers(-(10**9), 10**9, size=n).astype("timedelta64[ms]")
    values = (base + np.where(rng.random(n) < 0.5, jitter, np.timedelta64(0, "ms"))).astype(
        "datetime64[ns]"
    )
    series = pd.Series(values)
    series[rng.random(n) < 0.2] = pd.NaT
    return series
