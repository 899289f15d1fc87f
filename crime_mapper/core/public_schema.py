"""The public release table: exactly police.uk's street-level columns, every cell a string.

This is the only table a public output is made from (CSV, GeoPackage layer, web map,
neighbourhood summaries), so what it cannot hold cannot leak: no exact dates, no source
references, no offence codes, no free text. The CSV it is written to matches a published
data.police.uk file byte for byte in form: the same header, comma separated, minimal quoting,
CRLF line endings, UTF-8 without a byte-order mark.

Crime IDs are HMAC-SHA256 of the source reference keyed with a secret salt: 64 lowercase hex
characters like police.uk's, stable from month to month for the same crime (so outcomes can be
joined later), and impossible to turn back into the reference or to recompute without the salt.
Imports nothing from QGIS.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
from collections.abc import Sequence
from pathlib import Path
from typing import Union

import numpy as np
import pandas as pd

from .csv_safety import _FORMULA_START, safe_cell
from .staging import staged_outputs

PUBLIC_COLUMNS: tuple[str, ...] = (
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
)
# Cells written as numbers: the formula-injection guard must not touch them ("-1.1" is data).
NUMERIC_COLUMNS: tuple[str, ...] = ("Longitude", "Latitude")

LOCATION_PREFIX = "On or near "  # police.uk writes this even when the label is empty
NO_LOCATION = "No Location"  # police.uk's Location text for rows published without one
LINE_TERMINATOR = "\r\n"  # as in every data.police.uk CSV (see sample_data/README.md)

# A salt shorter than this is refused: the IDs would be open to brute force over the
# (small, structured) space of force crime references.
MIN_SALT_BYTES = 16

PathLike = Union[str, Path]


def _hmac_pads(salt: bytes) -> tuple:
    """SHA-256 objects already fed the HMAC inner and outer padded keys (RFC 2104).

    Copying a pre-keyed object per row is what makes 500,000 IDs take a fraction of a
    second; the result is identical to ``hmac.new(salt, ref, sha256).hexdigest()``.
    """
    block = hashlib.sha256().block_size
    key = hashlib.sha256(salt).digest() if len(salt) > block else salt
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    return inner, outer


def salted_crime_id(references: Sequence[str], salt: bytes) -> np.ndarray:
    """HMAC-SHA256(salt, reference) as 64 lowercase hex characters, one per reference.

    A blank or missing reference gives a blank ID (police.uk leaves anti-social behaviour
    blank; hashing an empty string would give every such row the same misleading ID).
    """
    if isinstance(salt, str):
        salt = salt.encode("utf-8")
    if not salt:
        raise ValueError("salted_crime_id needs a non-empty salt")
    inner, outer = _hmac_pads(bytes(salt))
    inner_copy, outer_copy = inner.copy, outer.copy
    out: list[str] = []
    append = out.append
    for ref in references:
        if type(ref) is not str:  # a number read back from a layer, or a missing value
            ref = "" if ref is None or ref != ref else str(ref)
        if not ref:
            append("")
            continue
        i = inner_copy()
        i.update(ref.encode("utf-8"))
        o = outer_copy()
        o.update(i.digest())
        append(o.hexdigest())
    result = np.empty(len(out), dtype=object)
    result[:] = out
    return result


def salt_fingerprint(salt: bytes) -> str:
    """12 hex characters that identify a salt in an audit without revealing it: two releases
    with the same fingerprint used the same salt (so their Crime IDs are comparable)."""
    if isinstance(salt, str):
        salt = salt.encode("utf-8")
    return hmac.new(bytes(salt), b"crime_mapper salt fingerprint", hashlib.sha256).hexdigest()[:12]


_FORMULA_FIRST = frozenset(_FORMULA_START)  # the first characters safe_cell acts on


def _guarded(values: list) -> list:
    """safe_cell on every cell, calling it only when some cell could be read as a formula
    (almost never in a release: one cheap pass over the first characters decides)."""
    if not [v for v in values if v[:1] in _FORMULA_FIRST]:
        return values
    return [safe_cell(v) for v in values]


def write_public_csv(public: pd.DataFrame, path: PathLike) -> None:
    """Write the public table as a police.uk street CSV.

    The file appears complete or not at all (written beside the target and renamed), so a
    caller that stages several outputs with ``staged_outputs`` can pass its staged path.
    """
    if tuple(public.columns) != PUBLIC_COLUMNS:
        raise ValueError(f"public table columns must be exactly {list(PUBLIC_COLUMNS)}, "
                         f"got {list(public.columns)}")
    columns = []
    for column in PUBLIC_COLUMNS:
        series = public[column]
        if len(series) and pd.api.types.infer_dtype(series, skipna=False) != "string":
            raise ValueError(f"public table column {column!r} holds a value that is not text: "
                             "every cell of the public table is a str")
        values = series.tolist()
        columns.append(values if column in NUMERIC_COLUMNS else _guarded(values))
    with staged_outputs() as stage:
        with open(stage.path_for(path), "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator=LINE_TERMINATOR,
                                quoting=csv.QUOTE_MINIMAL)
            writer.writerow(PUBLIC_COLUMNS)
            writer.writerows(zip(*columns))


def read_public_csv(path: PathLike) -> pd.DataFrame:
    """A public (or police.uk) street CSV as text: every cell a str, blanks as ""."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False,
                       encoding="utf-8")
