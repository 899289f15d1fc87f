"""The leak gate's fast paths switched off for a test (monkeypatched to the reference code
they must equal): the data-script reader's position, integer and decimal walks, and the
timestamp check's whole-number scan."""

from __future__ import annotations

import pytest

from crime_mapper.core.gate import checks, output_reader, scan


def reference_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader as before: every position through _positions, every int through float(),
    every number of 4+ decimals in text by the regex."""
    monkeypatch.setattr(output_reader, "_float_pair_list", lambda value: None)
    monkeypatch.setattr(output_reader, "_int_values", lambda item: None)
    monkeypatch.setattr(scan, "decimal_4_spans", lambda text: None)  # (the pairs in text)


def reference_timestamps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whole-second timestamps found by the reference code, not the vectorised scan."""
    monkeypatch.setattr(checks, "_whole_numbers_from_1e6", lambda values: None)
