"""Text columns cut from a CSV's bytes equal Python's csv module, on hostile values.

Issue 15: a force extract's mostly distinct text columns (references, notes, officers) are
cut from the file's bytes instead of made by pandas (textscan._own_text, from the value
spans textscan._column_spans finds). Two shortcuts make that cheaper: narrow columns
(references, officers) are made by numpy as a unicode array of the bytes, with the rows it
cannot make (a byte that is not ASCII, a NUL, a quote) cut one by one
(`_narrow_ascii_text`); and in rows with quoted fields, the delimiters before the row's first
quote and after its last one are taken as its unquoted ones, counted from either end, with
only the delimiters between its first and last quotes counted by quote parity. Each is
compared here with the value-by-value cut it replaced and with the csv module's fields.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from crime_mapper.core.load import textscan

# Values of every kind the cut meets: empty, narrow and wide, exactly as wide as the narrow
# cut takes and one byte more, quoted with delimiters and doubled quotes inside, non-ASCII
# text in UTF-8 or cp1252, spaces and tabs at the edges.
_VALUES = [
    "", "a", "R/22/000001", "PC 3164 Iqbal", "x" * 32, "y" * 33, "z" * 31 + "é", "Côte",
    "naïve", "é", " padded ", "\ttab", "tab\t", "'=formula", "1.5", "-3",
    '"a,b"', '""""', '""', '"he said ""stop"", twice"', '"é,"', '"' + "q" * 30 + '"',
    '"' + "q" * 31 + '"', '"' + "w" * 40 + ',"', '"x"""', '""""""', '"' + "," * 5 + '"',
]  # fmt: skip


def _value_by_value(data: bytes, codec: str, start: np.ndarray, end: np.ndarray) -> list:
    """The cut before the narrow shortcut: every value sliced and decoded on its own."""
    arr = np.frombuffer(data, dtype=np.uint8)
    quoted = (end > start) & (arr[np.minimum(start, arr.size - 1)] == 34)
    values = []
    for a, b, q in zip(start.tolist(), end.tolist(), quoted.tolist()):
        value = data[a + q : b - q].decode(codec)
        values.append(value.replace('""', '"') if q else value)
    return values


# The values the narrow cut takes a whole column of (at most 32 bytes in UTF-8 and cp1252).
_NARROW = [v for v in _VALUES if len(v.encode("utf-8")) - 2 * v.startswith('"') <= 32]


def _body(rng: np.random.Generator, rows: int, ncol: int, quoted_share: float) -> list[list]:
    """Rows of fields written as a CSV writes them: a field with a comma or a quote quoted.
    The first half of the columns hold narrow values only, the rest any value."""
    out = []
    for _ in range(rows):
        fields = []
        for c in range(ncol):
            pool = _NARROW if c < ncol // 2 else _VALUES
            value = pool[rng.integers(len(pool))]
            if value.startswith('"'):
                if rng.random() > quoted_share:
                    value = "plain"
            fields.append(value)
        out.append(fields)
    return out


def _spans(data: bytes, codec: str, ncol: int, own: tuple) -> list:
    arr = np.frombuffer(data, dtype=np.uint8)
    body_start = data.index(b"\n") + 1
    n = data.count(b"\n", body_start) + (0 if data.endswith(b"\n") else 1)
    found = textscan._fast_quoted_counts_ok(arr, data, body_start, ",", codec, n, ncol, (), own)
    assert found is not None
    return found[1]


def _csv_fields(data: bytes, codec: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(codec), newline="")))[1:]


@pytest.mark.parametrize("codec", ["utf-8", "cp1252"])
@pytest.mark.parametrize("ending", ["\n", "\r\n", ""])
@pytest.mark.parametrize("quoted_share", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("with_quotes", [False, True])
def test_cut_columns_equal_the_csv_modules_fields(
    codec, ending, quoted_share, with_quotes, monkeypatch
):
    """Every column cut from the bytes (spans and values), in blocks of 7 rows so that the
    narrow cut's blocks end mid-file, equals the csv module's fields and the value-by-value
    cut; the file's last value (no line end after it: the narrow cut's last window) too.
    `with_quotes`: the cut is given the file's quote offsets, as the scan gives them, and
    finds the values to unescape from them."""
    monkeypatch.setattr(textscan, "_NARROW_TEXT_ROWS", 7)
    rng = np.random.default_rng(len(ending) * 10 + int(quoted_share * 3))
    ncol = 6
    rows = _body(rng, 300, ncol, quoted_share)
    rows[-1][-1] = "end"  # the last bytes of the file: a narrow value in the last window
    lines = [",".join(f"c{i}" for i in range(ncol))] + [",".join(r) for r in rows]
    data = ("\r\n" if ending == "\r\n" else "\n").join(lines).encode(codec) + ending.encode()
    expected = _csv_fields(data, codec)
    spans = _spans(data, codec, ncol, tuple(range(ncol)))
    arr = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(arr == 34) if with_quotes else None
    for column, (start, end) in enumerate(spans):
        got = textscan._own_text(data, codec, start, end, quotes)
        assert got.dtype == object
        assert all(type(v) is str for v in got.tolist())
        assert got.tolist() == [r[column] for r in expected], column
        assert got.tolist() == _value_by_value(data, codec, start, end), column
    taken = []
    for start, end in spans:
        quoted = (end > start) & (arr[start] == 34)
        first, last = start + quoted, end - quoted
        taken.append(textscan._narrow_ascii_text(arr, first, last - first) is not None)
    assert taken == [True] * (ncol // 2) + [False] * (ncol - ncol // 2)


def test_a_column_between_two_quoted_fields(monkeypatch):
    """Rows whose quoted fields hold delimiters on both sides of a column: its delimiters
    lie between the row's first and last quotes, counted by quote parity; the columns before
    the first quote and after the last are counted from the row's ends."""
    rows = [
        ['"a,b"', "mid", '"c,d,e"', "tail"],
        ["head", '"x,"', "m2", '","'],
        ['"q"', '"r,s"', '"t"', "u"],
        ["p", "q", "r", "s"],
        ['"1,2,3"', "", "", '"4,5"'],
        ['""', "m,", "n", "o"],
    ]
    rows[5][1] = '"m,"'
    lines = ["w,x,y,z"] + [",".join(r) for r in rows] * 20
    data = ("\n".join(lines) + "\n").encode()
    expected = _csv_fields(data, "utf-8")
    spans = _spans(data, "utf-8", 4, (0, 1, 2, 3))
    for column, (start, end) in enumerate(spans):
        got = textscan._own_text(data, "utf-8", start, end).tolist()
        assert got == [r[column] for r in expected], column


@pytest.mark.parametrize("block", [1, 1 << 17])
@pytest.mark.parametrize(
    "parts",
    [
        [b"a\x00", b"b", b"\x00", b"c\x00d"],  # a unicode array drops trailing NULs
        ["é".encode(), b"e", "naïve".encode(), b"plain"],
        [b"\x80x", b"e", b"\xe9", b"plain"],  # (cp1252: the euro sign, e acute)
        [b'"a""b"', b"x", b'""""', b"y"],
        [b"", b"", b"", b""],
        [b"x" * 32, b"", b"y", b"z" * 32],
    ],
)
def test_narrow_cut_rows_it_cannot_make(parts, block, monkeypatch):
    """The narrow cut's own refusals (the scan never gives it a NUL: such files are read
    exactly), against the value-by-value cut, in blocks of one row and of all rows."""
    monkeypatch.setattr(textscan, "_NARROW_TEXT_ROWS", block)
    data = b"h\n" + b"\n".join(parts) + b"\n"
    start = 2 + np.cumsum([0] + [len(p) + 1 for p in parts[:-1]]).astype(np.int64)
    end = start + np.array([len(p) for p in parts], dtype=np.int64)
    codec = "cp1252" if b"\x80" in data else "utf-8"
    expected = _value_by_value(data, codec, start, end)
    got = textscan._own_text(data, codec, start, end)
    assert got.tolist() == expected
    assert all(type(v) is str for v in got.tolist())


# Values with quotes where the unescaping must find them: a doubled quote first, last, alone
# or beside the field's own quotes; empty quoted fields beside quoted ones; and (given to the
# cut directly, never by the scan) quotes in unquoted values, which are taken as they are.
_QUOTED = [
    b'""""', b'"""a"', b'"a"""', b'"a""b"', b'"a""""b"', b'""', b'"x"', b'"""""" "',
    b'"' + b"w" * 40 + b'"""', b'"""' + b"w" * 40 + b'"', b"plain", b"", b'a""b', b'""x',
    b'"ab""', b'""ab"',  # a lone quote beside the field's own: nothing to unescape
]  # fmt: skip


@pytest.mark.parametrize("seed", range(8))
def test_doubled_quotes_found_from_the_quote_offsets(seed):
    """The rows `_doubled_quote_rows` picks from the quote offsets are all those whose value
    the replacement changes; the cut with the offsets equals the cut without them (every
    quoted row looked at) and the value-by-value cut, in wide columns (the per-value cut)."""
    rng = np.random.default_rng(seed)
    parts = [_QUOTED[rng.integers(len(_QUOTED))] for _ in range(300)]
    parts += [b'"' + b"z" * 40 + b'"']  # the column is wide: the per-value cut
    data = b"h\n" + b"\n".join(parts) + b"\n"
    start = 2 + np.cumsum([0] + [len(p) + 1 for p in parts[:-1]]).astype(np.int64)
    end = start + np.array([len(p) for p in parts], dtype=np.int64)
    arr = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(arr == 34)
    quoted = (end > start) & (arr[np.minimum(start, arr.size - 1)] == 34)
    first, last = start + quoted, end - quoted
    picked = set(textscan._doubled_quote_rows(quoted, first, last, quotes).tolist())
    changed = {i for i in range(len(parts)) if quoted[i] and b'""' in data[first[i] : last[i]]}
    assert picked == changed
    assert picked  # (the case holds rows to unescape)
    with_offsets = textscan._own_text(data, "utf-8", start, end, quotes).tolist()
    assert with_offsets == textscan._own_text(data, "utf-8", start, end).tolist()
    assert with_offsets == _value_by_value(data, "utf-8", start, end)


@pytest.mark.parametrize("fromiter", [True, False])
@pytest.mark.parametrize("codec", ["utf-8", "cp1252"])
def test_decoded_values_with_and_without_fromiter(fromiter, codec, monkeypatch):
    """The per-value cut's object array is the same made by np.fromiter (numpy 1.23+) or
    from a list (older numpy), in either codec: str values, none shared with another row."""
    monkeypatch.setattr(textscan, "_FROMITER_OBJECTS", fromiter)
    values = ["", "Côte", "x" * 50, "naïve, €5", "plain"] * 20
    encoded = [v.encode(codec) for v in values]
    data = b"h\n" + b"\n".join(encoded) + b"\n"
    first = 2 + np.cumsum([0] + [len(p) + 1 for p in encoded[:-1]]).astype(np.int64)
    last = first + np.array([len(p) for p in encoded], dtype=np.int64)
    got = textscan._decoded(data, codec, first, last)
    assert got.dtype == object and got.shape == (len(values),)
    assert got.tolist() == values
    assert all(type(v) is str for v in got.tolist())
