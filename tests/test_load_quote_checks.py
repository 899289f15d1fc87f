"""textscan's quote checks, made cheaper for files with many quoted fields (a force
extract's notes: a million quotes), against the direct forms they replace (issue 15).

- `_quotes_are_simple` looks at each quote only as what its place makes it (even ones as
  openings, odd ones as closings) through a byte table, instead of judging every quote both
  ways and choosing; it must decide exactly as the direct form does.
- `_quoted_line_break` asks whether a line feed lies inside a quoted field by the parity of
  the quotes before each line feed, instead of comparing each pair's lines.
"""

from __future__ import annotations

import numpy as np
import pytest

from crime_mapper.core.load import textscan


def _simple_direct(arr: np.ndarray, start: int, delimiter: str, quotes: np.ndarray) -> bool:
    """The quote check as it was written before (every quote judged both ways)."""
    if quotes.size == 0:
        return True
    if quotes.size % 2:
        return False
    delim = ord(delimiter)
    prev = arr[np.maximum(quotes - 1, 0)]
    after = quotes + 1
    nxt = arr[np.minimum(after, arr.size - 1)]
    at_end = after >= arr.size
    even = (np.arange(quotes.size) % 2) == 0
    opens_field = (quotes == start) | (prev == delim) | (prev == 10) | (prev == 34)
    closes_field = at_end | (nxt == delim) | (nxt == 10) | (nxt == 13) | (nxt == 34)
    return bool(np.all(np.where(even, opens_field, closes_field)))


def _hostile(rng: np.random.Generator) -> bytes:
    pieces = [b'"', b'""', b",", b";", b"\t", b"\n", b"\r\n", b"\r", b"a", b"bc", b" ", b"\x00"]
    pieces += [b'"x"', b',"y,z",', b'"a""b"', b"\xc2\xa0", b"|"]
    k = int(rng.integers(0, 14))
    return b"".join(pieces[i] for i in rng.integers(0, len(pieces), size=k))


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_quote_check_decides_as_the_direct_form(delimiter):
    rng = np.random.default_rng(3315)
    decided = {True: 0, False: 0}
    for _ in range(6000):
        data = _hostile(rng)
        if rng.integers(0, 3) == 0:  # a well-formed row now and then
            data = b'h,"q"\n"a ""b""",c' + data
        arr = np.frombuffer(data, dtype=np.uint8)
        start = int(rng.integers(0, len(data) + 1))
        quotes = textscan._quote_positions(arr, data, start)
        expected = _simple_direct(arr, start, delimiter, quotes)
        assert textscan._quotes_are_simple(arr, data, start, delimiter, quotes) == expected
        assert textscan._quotes_are_simple(arr, data, start, delimiter) == expected
        decided[expected] += 1
    assert min(decided.values()) > 300  # both answers well exercised


@pytest.mark.parametrize(
    "data, simple",
    [
        (b'"a"', True),  # a quote at the very start and one at the very end
        (b'x,"a"', True),
        (b'x,"a"\r\n', True),
        (b'x,"a""b",y', True),
        (b'x,a"b"', False),  # an opening quote inside a field
        (b'x,"a"b', False),  # text after a closing quote
        (b'x,"a', False),  # never closed
        (b'x,"a" ,y', False),
        (b'"a"\r"b"', False),  # an opening quote after a bare carriage return
        (b'\n"a"\n', True),
    ],
)
def test_quote_places(data, simple):
    arr = np.frombuffer(data, dtype=np.uint8)
    assert textscan._quotes_are_simple(arr, data, 0, ",") is simple
    assert _simple_direct(arr, 0, ",", textscan._quote_positions(arr, data, 0)) is simple


def test_the_first_quote_opens_at_the_start_whatever_precedes_it():
    data = b'ab"c",d'
    arr = np.frombuffer(data, dtype=np.uint8)
    assert textscan._quotes_are_simple(arr, data, 2, ",")  # the scan starts at the quote
    assert not textscan._quotes_are_simple(arr, data, 0, ",")


def _line_break_direct(quotes: np.ndarray, newlines: np.ndarray) -> bool:
    """The quoted-line-break test as it was written before: a pair's quotes on two lines."""
    opens, closes = quotes[0::2], quotes[1::2]
    return bool(np.any(np.searchsorted(newlines, opens) != np.searchsorted(newlines, closes)))


def test_a_quoted_line_break_is_found_as_the_direct_form_finds_it():
    rng = np.random.default_rng(1522)
    found = {True: 0, False: 0}
    for _ in range(5000):
        size = int(rng.integers(0, 60))
        kinds = rng.integers(0, 3, size=size)  # 0 other byte, 1 quote, 2 line feed
        quotes = np.flatnonzero(kinds == 1).astype(np.int64)
        if quotes.size % 2:
            quotes = quotes[:-1]  # (the caller has proved the quotes pair up)
        newlines = np.flatnonzero(kinds == 2).astype(np.int64)
        expected = _line_break_direct(quotes, newlines)
        assert textscan._quoted_line_break(quotes, newlines) == expected
        found[expected] += 1
    assert min(found.values()) > 500


def test_a_quoted_line_break_sends_the_file_to_the_exact_scan():
    data = b'a,b\n1,"x\ny"\n2,"z"\n'
    arr = np.frombuffer(data, dtype=np.uint8)
    quotes = textscan._quote_positions(arr, data, 0)
    newlines = textscan._positions(arr, 10)
    assert textscan._quoted_line_break(quotes, newlines[newlines >= 4])
    assert not textscan._quoted_line_break(quotes[2:], newlines[newlines >= 12])
    scan = textscan.scan_csv(data)
    assert scan.frame.values.tolist() == [["1", "x\ny"], ["2", "z"]]
    assert scan.lines.tolist() == [2, 4]
