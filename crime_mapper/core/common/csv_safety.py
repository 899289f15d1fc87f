"""Neutralise spreadsheet formula injection in CSV cells.

Analysts open rejects and public CSVs in Excel; a cell starting with = + - @ (or a tab or
carriage return) is executed as a formula there. OWASP's advice: prefix such cells with a
single quote. Plain negative numbers (a longitude like -1.2) are left alone because they are
data, not formulas, and police.uk files carry them.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")  # (ASCII: a number Excel reads)


def safe_cell(value: Any) -> Any:
    """The value, with a leading quote added where a spreadsheet would read a formula."""
    if not isinstance(value, str) or not value or not value.startswith(FORMULA_START):
        return value
    if _NUMBER.fullmatch(value):
        return value
    return "'" + value
