"""Each row's unquoted delimiters, found once for the whole body, equal a walk of each row.

Issue 15: the fast scan of a force extract checks that every line holds exactly the header's
field count and finds the field bounds of the columns it parses or cuts itself. Both now come
from one array of the body's unquoted delimiters (textscan._row_delimiters): the delimiters
inside quote pairs are taken out, and the rest, in order, are the rows' when there are
``rows * (ncol - 1)`` of them and each row holds its own block. Here that is compared, on
hostile bodies, with a plain walk of each row's bytes (a quote toggles "inside"), with the
per-row counts it replaced (`_delimiter_counts` minus `_quoted_delimiters`) and with Python's
csv module; rows one field short beside rows one field long, whose total is right, are the
case a total alone would pass.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from crime_mapper.core.load import textscan

# Fields of every shape that bears on the delimiters: empty, plain, quoted with and without
# delimiters inside, doubled quotes, quoted fields side by side ("a","b"), empty quoted.
_FIELDS = [
    "", "x", "plain text", "12.5", '"a,b"', '""', '"q"', '","', '",,,"', '"x""y"',
    '""""', '"a ""b,c"" d"', '"' + "," * 7 + '"', '"no delimiter"', '"é,"', "é",
]  # fmt: skip


def _walk(line: bytes, delimiter: int) -> list[int]:
    """Offsets (within the line) of the delimiters outside quotes, byte by byte."""
    inside, out = False, []
    for k, byte in enumerate(line):
        if byte == 34:
            inside = not inside
        elif byte == delimiter and not inside:
            out.append(k)
    return out


def _body(rng: np.random.Generator, rows: int, ncol: int, off: float, pairs: bool) -> list:
    """Rows of random fields; a share `off` one field short or long, and with `pairs` a
    short row always followed by a long one (the total stays right)."""
    out = []
    while len(out) < rows:
        count = ncol
        roll = rng.random()
        if roll < off:
            if pairs:
                out.append([_FIELDS[rng.integers(len(_FIELDS))] for _ in range(ncol - 1)])
                count = ncol + 1
            else:
                count = ncol + (1 if roll < off / 2 else -1)
        out.append([_FIELDS[rng.integers(len(_FIELDS))] for _ in range(max(count, 1))])
    return out


def _case(rows: list, ncol: int, ending: bytes, final: bool, header_quoted: bool):
    header = ",".join(['"h,0"' if header_quoted and c == 0 else f"h{c}" for c in range(ncol)])
    lines = [header.encode()] + [",".join(r).encode() for r in rows]
    data = ending.join(lines) + (ending if final else b"")
    arr = np.frombuffer(data, dtype=np.uint8)
    body_start = data.index(b"\n") + 1
    newlines = textscan._positions(arr, 10)
    newlines = newlines[newlines >= body_start]
    n = int(newlines.size) + (0 if data.endswith(b"\n") else 1)
    r_starts = np.concatenate(([body_start], newlines + 1))[:n]
    return data, arr, body_start, r_starts


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("ending", [b"\n", b"\r\n"])
@pytest.mark.parametrize("off,pairs", [(0.0, False), (0.02, False), (0.1, True), (0.3, True)])
def test_row_delimiters_equal_a_walk_of_each_row(seed, ending, off, pairs):
    rng = np.random.default_rng(seed * 7 + len(ending))
    ncol = int(rng.integers(2, 9))
    rows = _body(rng, int(rng.integers(1, 400)), ncol, off, pairs)
    data, arr, body_start, r_starts = _case(rows, ncol, ending, seed % 3 != 0, seed % 2 == 0)
    quotes = textscan._positions(arr, 34)
    quotes = quotes[quotes >= body_start]
    delims = textscan._positions(arr, 44)
    body_delims = delims[np.searchsorted(delims, body_start) :]
    got = textscan._row_delimiters(body_delims, quotes, r_starts, ncol)

    walked = []
    for i, start in enumerate(r_starts.tolist()):
        stop = int(r_starts[i + 1]) if i + 1 < r_starts.size else arr.size
        walked.append([start + k for k in _walk(data[start:stop], 44)])
    every_row_right = all(len(w) == ncol - 1 for w in walked)
    counts = textscan._delimiter_counts(delims, r_starts, arr.size)
    counts = counts - textscan._quoted_delimiters(delims, r_starts, quotes)
    assert every_row_right == bool(np.all(counts == ncol - 1))
    fields = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))[1:]
    assert every_row_right == all(len(f) == ncol for f in fields if f)
    if any(len(r) != ncol for r in rows):
        assert not every_row_right  # (the bodies with compensating rows among them)
    assert (got is not None) == every_row_right
    if got is not None:
        assert got.shape == (r_starts.size, ncol - 1)
        assert got.tolist() == walked


@pytest.mark.parametrize("ncol", [2, 3, 11])
def test_one_row_short_and_the_next_long_is_refused(ncol):
    """The total of unquoted delimiters is right; only the rows' blocks tell."""
    good = ",".join(f"v{c}" for c in range(ncol))
    short = ",".join(f"v{c}" for c in range(ncol - 1))
    long = ",".join(f"v{c}" for c in range(ncol + 1))
    empty_first = "," + ",".join(f"v{c}" for c in range(ncol))  # its first byte a delimiter
    for body in (
        [short, long],
        [long, short],
        [good, short, good, long, good],
        [short, empty_first],
        [good, short, empty_first, good],
    ):
        _, arr, body_start, r_starts = _case([b.split(",") for b in body], ncol, b"\n", True, False)
        delims = textscan._positions(arr, 44)
        delims = delims[np.searchsorted(delims, body_start) :]
        assert delims.size == r_starts.size * (ncol - 1)
        no_quotes = np.zeros(0, dtype=np.int64)
        assert textscan._row_delimiters(delims, no_quotes, r_starts, ncol) is None


def test_quoted_fields_side_by_side_and_without_delimiters():
    """Several quote pairs holding no delimiter before one that holds some start at the same
    delimiter index: each pair's range is counted once, so the row keeps its own."""
    rows = [['"a"', '"b"', '"c,d"', "e"], ['""', '""', '","', '"f,"'], ['"x"', "y", '"z"', '","']]
    _, arr, body_start, r_starts = _case(rows * 5, 4, b"\n", True, False)
    quotes = textscan._positions(arr, 34)
    quotes = quotes[quotes >= body_start]
    delims = textscan._positions(arr, 44)
    delims = delims[np.searchsorted(delims, body_start) :]
    got = textscan._row_delimiters(delims, quotes, r_starts, 4)
    assert got is not None
    data = arr.tobytes()
    for i, start in enumerate(r_starts.tolist()):
        stop = int(r_starts[i + 1]) if i + 1 < r_starts.size else arr.size
        assert got[i].tolist() == [start + k for k in _walk(data[start:stop], 44)]


@pytest.mark.parametrize("final", [True, False])
def test_quote_free_bodies_give_the_csv_modules_fields(final):
    """A quote-free body's spans (`_quote_free_plain`), every column, equal the csv module's."""
    rng = np.random.default_rng(3)
    ncol = 5
    rows = [[f"v{rng.integers(1000)}" if rng.random() < 0.8 else "" for _ in range(ncol)]]
    rows = rows * 3 + [[str(k) for k in range(ncol)] for _ in range(50)]
    data, arr, body_start, r_starts = _case(rows, ncol, b"\r\n", final, False)
    found = textscan._quote_free_plain(
        arr, body_start, ",", r_starts.size, ncol, (), tuple(range(ncol))
    )
    assert found is not None
    expected = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))[1:]
    for column, (start, end) in enumerate(found[1]):
        got = [data[a:b].decode() for a, b in zip(start.tolist(), end.tolist())]
        assert got == [r[column] for r in expected], column
    short = rows[:-1] + [rows[-1][:-1]]
    _, arr, body_start, r_starts = _case(short, ncol, b"\n", final, False)
    assert textscan._quote_free_plain(arr, body_start, ",", r_starts.size, ncol, (0,)) is None
