"""A force extract's crime references, proved unpadded and non-empty from the bytes
(textscan._trimmed, ScannedCsv.trimmed, issue 15).

read_force strips every reference and rejects the blank ones. When the scan cut the column
from the bytes itself (textscan._own_text) and found that no value is empty or starts or ends
with a byte that may be space, stripping and the blank test can change nothing, and the
reader skips both (half a million values in the national extract). These tests show the
proof never names a column that stripping would change (hostile values: padding of every
kind of space, non-breaking spaces in UTF-8 and cp1252, empty quoted and unquoted values,
quotes at the edges), that a clean column is named (so the shortcut is taken), and that a
load gives the very same result with and without it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.load import readers, textscan
from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.load.mapping_profile import MappingProfile

# values and whether stripping or a blank test would change anything (as text)
HOSTILE = [
    " R1",
    "R1 ",
    "\tR1",
    "R1\t",
    "R1\x0b",
    "\x0cR1",
    "R1\x1f",
    "\x1cR1",
    "",
    "\u00a0R1",
    "R1\u00a0",
    "R1\u3000",
    "\u2003R1",
    "R1\u0085",
    " ",
]
CLEAN = ["R1", "R 1", 'R"1', '"R1"', "R1,2", "café", "Ré", "R\u00a01", "x"]


def _field(value: str, quote: bool, codec: str) -> bytes:
    raw = value.encode(codec)
    if quote or b'"' in raw or b"," in raw:
        return b'"' + raw.replace(b'"', b'""') + b'"'
    return raw


def _column(values: list[str], quoted: list[bool], codec: str = "utf-8"):
    """A body of one-field rows and each value's span (quotes included), as the fast scan
    finds them; the values as `_own_text` cuts them."""
    data = b""
    starts, ends = [], []
    for value, quote in zip(values, quoted):
        field = _field(value, quote, codec)
        starts.append(len(data))
        data += field
        ends.append(len(data))
        data += b"\n"
    start, end = np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64)
    return data, start, end


def _strip_changes_nothing(values) -> bool:
    return all(v != "" and v.strip() == v for v in values)


def _encodable(value: str, codec: str) -> bool:
    try:
        value.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


@pytest.mark.parametrize("quote", [False, True])
@pytest.mark.parametrize(
    "bad, codec",
    [(bad, codec) for codec in ("utf-8", "cp1252") for bad in HOSTILE if _encodable(bad, codec)],
)
def test_a_padded_or_empty_value_is_never_called_trimmed(bad, codec, quote):
    values = ["R0001", "R 0002", bad, "R0003"]
    quoted = [False, True, quote, False]
    data, start, end = _column(values, quoted, codec)
    arr = np.frombuffer(data, dtype=np.uint8)
    cut = textscan._own_text(data, codec, start, end).tolist()
    assert cut == values  # the values the reader gets
    assert not _strip_changes_nothing(cut)
    assert not textscan._trimmed(arr, start, end)


@pytest.mark.parametrize("codec", ["utf-8", "cp1252"])
def test_clean_values_are_trimmed_only_when_their_edges_are_ascii(codec):
    for value in CLEAN:
        for quote in (False, True):
            data, start, end = _column(["A1", value, "B2"], [False, quote, True], codec)
            arr = np.frombuffer(data, dtype=np.uint8)
            cut = textscan._own_text(data, codec, start, end).tolist()
            assert cut == ["A1", value, "B2"]
            edges_ascii = value[0].isascii() and value[-1].isascii()
            # (a non-ASCII first or last character is refused: it may be a space)
            assert textscan._trimmed(arr, start, end) == edges_ascii, (value, quote)


def test_random_hostile_columns_agree_with_strip():
    """Never trimmed where stripping or the blank test would change a value; trimmed
    wherever they would not and every value's first and last characters are ASCII."""
    rng = np.random.default_rng(1515)
    alphabet = list("AZaz09/-_.\"', ") + ["\t", "\x0b", "\x1c", "\u00a0", "\u3000", "é"]
    for _ in range(1500):
        n = int(rng.integers(1, 8))
        values = ["".join(rng.choice(alphabet, size=int(rng.integers(0, 6)))) for _ in range(n)]
        quoted = [bool(q) for q in rng.integers(0, 2, size=n)]
        codec = "utf-8" if rng.integers(0, 2) or "\u3000" in "".join(values) else "cp1252"
        data, start, end = _column(values, quoted, codec)
        arr = np.frombuffer(data, dtype=np.uint8)
        cut = textscan._own_text(data, codec, start, end).tolist()
        assert cut == values
        claimed = textscan._trimmed(arr, start, end)
        truth = _strip_changes_nothing(values)
        ascii_edges = all(v and v[0].isascii() and v[-1].isascii() for v in values)
        assert claimed == (truth and ascii_edges), (values, quoted, codec)


@pytest.mark.parametrize("wide", [False, True])
def test_the_cut_judges_the_edges_as_the_bytes_do(wide, monkeypatch):
    """The cut judges the edges from the bytes it holds anyway (`_narrow_ascii_text`'s
    blocks), or from the file for a wide column: the same answer as `_trimmed`, and the same
    values as `_own_text`, on random hostile columns (blocks of 7 rows, so a bad value in any
    block counts)."""
    monkeypatch.setattr(textscan, "_NARROW_TEXT_ROWS", 7)
    rng = np.random.default_rng(1516)
    alphabet = list("AZaz09/-_.\"', ") + ["\t", "\x0b", "\x1c", "\u00a0", "\u3000", "é"]
    seen = {True: 0, False: 0}
    for _ in range(1200):
        n = int(rng.integers(1, 30))
        values = ["".join(rng.choice(alphabet, size=int(rng.integers(0, 5)))) for _ in range(n)]
        if rng.integers(0, 2):  # mostly clean columns, one value perhaps bad
            values = [f"R{k}/{v.strip()}" or "x" for k, v in enumerate(values)]
            if rng.integers(0, 2):
                values[int(rng.integers(0, n))] = str(rng.choice(["", " x", "x\t", "\u00a0"]))
        if wide:
            values = [v + "w" * 40 if k % 2 else "w" * 40 + v for k, v in enumerate(values)]
        quoted = [bool(q) for q in rng.integers(0, 2, size=n)]
        codec = "utf-8" if rng.integers(0, 2) or "\u3000" in "".join(values) else "cp1252"
        data, start, end = _column(values, quoted, codec)
        arr = np.frombuffer(data, dtype=np.uint8)
        edges: list = []
        cut = textscan._own_text_and_edges(data, codec, start, end, None, edges).tolist()
        assert cut == values == textscan._own_text(data, codec, start, end).tolist()
        assert edges == [textscan._trimmed(arr, start, end)], (values, quoted, codec)
        seen[edges[0]] += 1
    assert min(seen.values()) > 100
    empty = np.zeros(0, dtype=np.int64)
    for codec in ("utf-8", "utf-16"):
        edges = []
        textscan._own_text_and_edges(b"x", codec, empty, empty, None, edges)
        assert edges == [True]
    edges = []
    textscan._own_text_and_edges(b"ab\n", "utf-16", np.array([0]), np.array([2]), None, edges)
    assert edges == [False]  # (not an ASCII-safe codec: nothing judged from the bytes)


def test_an_empty_column_is_trimmed():
    empty = np.zeros(0, dtype=np.int64)
    assert textscan._trimmed(np.frombuffer(b"x\n", dtype=np.uint8), empty, empty)


def _force_body(refs: list[str], codec: str = "utf-8", crlf: bool = False) -> bytes:
    """A force-style file whose references, notes and officers are mostly distinct (so the
    fast scan cuts them from the bytes), with the given references."""
    rng = np.random.default_rng(3)
    lines = [b"Ref,Notes,Officer,Easting,Northing,Date,Category"]
    for k, ref in enumerate(refs):
        note = f"Seen near the shop, {k} " + "words " * int(rng.integers(3, 12))
        fields = [
            _field(ref, k % 3 == 0, codec),
            _field(note, True, codec),
            f"PC {k:05d}".encode(),
            str(458000 + k % 997).encode(),
            str(304000 + (k * 7) % 991).encode(),
            f"{1 + k % 28:02d}/10/2022".encode(),
            b"Burglary",
        ]
        lines.append(b",".join(fields))
    end = b"\r\n" if crlf else b"\n"
    return end.join(lines) + end


def _refs(bad: str | None = None, at: int = 77, rows: int = 400) -> list[str]:
    refs = [f"LP/{20000 + k}/22" for k in range(rows)]
    if bad is not None:
        refs[at] = bad
    return refs


def _scan(data: bytes, monkeypatch, beside: bool, trimmed=("Ref",)) -> textscan.ScannedCsv:
    monkeypatch.setattr(textscan, "_OWN_TEXT_FROM_BYTES", 0)
    monkeypatch.setattr(textscan, "_CHECK_BESIDE_FROM_BYTES", 0 if beside else 1 << 40)
    monkeypatch.setattr(textscan, "_HALVES_FROM_BYTES", 0 if beside else 1 << 40)
    head = textscan.open_csv(data)
    return textscan.scan_body(head, plain_numeric=("Easting", "Northing"), trimmed=trimmed)


@pytest.mark.parametrize("beside", [False, True])
@pytest.mark.parametrize("crlf", [False, True])
def test_the_scan_names_a_clean_reference_column(beside, crlf, monkeypatch):
    scan = _scan(_force_body(_refs(), crlf=crlf), monkeypatch, beside)
    assert scan.frame.columns[0] == "Ref"
    assert scan.trimmed == frozenset({"Ref"})  # the shortcut is taken
    assert _strip_changes_nothing(scan.frame["Ref"])
    # only the columns asked about, and only those cut from the bytes
    assert _scan(_force_body(_refs()), monkeypatch, beside, trimmed=()).trimmed == frozenset()
    asked = _scan(_force_body(_refs()), monkeypatch, beside, trimmed=("Date", "Ref", "Nope"))
    assert asked.trimmed == frozenset({"Ref"})  # Date is parsed by pandas: not proved


@pytest.mark.parametrize("beside", [False, True])
@pytest.mark.parametrize("at", [77, 78])  # row 78's reference is quoted, row 77's is not
@pytest.mark.parametrize("bad", HOSTILE + ["LP/1/22 "])
def test_the_scan_never_names_a_column_stripping_would_change(bad, at, beside, monkeypatch):
    scan = _scan(_force_body(_refs(bad, at)), monkeypatch, beside)
    assert "Ref" not in scan.trimmed
    if len(scan.frame) == 400:
        assert scan.frame["Ref"][at] == bad
        assert not _strip_changes_nothing(scan.frame["Ref"])
    else:  # a control character: the row is set aside, by a scan that proves nothing
        assert scan.bad_lines == [at + 2]


def test_files_the_fast_scan_does_not_take_name_no_column(monkeypatch):
    """A damaged file (a NUL, a bare carriage return, a short row) is scanned another way,
    which proves nothing: the reader strips as ever."""
    for damage in (b"\x00", b"\r"):
        data = _force_body(_refs()).replace(b"PC 00005", b"PC " + damage + b"0005")
        assert _scan(data, monkeypatch, beside=True).trimmed == frozenset()
    short = _force_body(_refs()).replace(b",Burglary\n", b"\n", 1)
    assert _scan(short, monkeypatch, beside=True).trimmed == frozenset()


PROFILE = MappingProfile(
    name="t",
    columns={
        "crime_ref": "Ref",
        "x": "Easting",
        "y": "Northing",
        "date": "Date",
        "category": "Category",
    },
    crs="EPSG:27700",
    date_format="%d/%m/%Y",
    reported_by="Leicestershire Police",
)


def _load(path: Path, monkeypatch, shortcut: bool):
    monkeypatch.setattr(textscan, "_OWN_TEXT_FROM_BYTES", 0)
    monkeypatch.setattr(textscan, "_CHECK_BESIDE_FROM_BYTES", 0)
    monkeypatch.setattr(textscan, "_HALVES_FROM_BYTES", 0)
    if not shortcut:
        monkeypatch.setattr(textscan._SharedCuts, "trimmed", lambda self, i: False)
    stripped: list[int] = []
    strip_text = readers.strip_text

    def spy(values):
        stripped.append(len(values))
        return strip_text(values)

    monkeypatch.setattr(readers, "strip_text", spy)
    result = load_extracts([path], profile=PROFILE)
    monkeypatch.undo()
    return result, stripped


def _same(a, b) -> None:
    pd.testing.assert_frame_equal(a.crimes, b.crimes)
    pd.testing.assert_frame_equal(a.rejects, b.rejects)
    assert [vars(r) for r in a.files] == [vars(r) for r in b.files]


@pytest.mark.parametrize("codec", ["utf-8", "cp1252"])
@pytest.mark.parametrize("at", [77, 78])  # row 78's reference is quoted, row 77's is not
@pytest.mark.parametrize("bad", [None, " ", "", " LP/9/22", "LP/9/22\t", "\u00a0LP/9/22"])
def test_a_load_is_the_same_with_and_without_the_shortcut(bad, at, codec, tmp_path, monkeypatch):
    path = tmp_path / "2022-10-force.csv"
    refs = _refs(bad, at)
    if bad is not None:
        refs[200] = refs[201]  # a duplicate reference too: rejected across the load
    path.write_bytes(_force_body(refs, codec))
    fast, stripped = _load(path, monkeypatch, shortcut=True)
    slow, stripped_slow = _load(path, monkeypatch, shortcut=False)
    _same(fast, slow)
    assert stripped_slow == [len(refs)]
    assert stripped == ([] if bad is None else [len(refs)])  # taken only when proved
    reasons = dict(zip(fast.rejects["source_line"], fast.rejects["reason"]))
    if bad is not None and bad.strip() == "":
        assert reasons[at + 2] == "missing_crime_id"
    if bad is not None and bad.strip() == "LP/9/22":
        assert "LP/9/22" in fast.crimes["crime_id"].tolist()  # stripped as ever
