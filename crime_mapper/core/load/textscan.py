"""Split a CSV's bytes into rows, find the rows that cannot be parsed, and parse the rest fast.

pandas' C parser is fast but silently pads short rows and cannot tell us which physical line
a row came from, and Python's csv module is exact but slow. So we scan the bytes once with
numpy (quote-aware row boundaries, field counts, undecodable bytes), set aside the rows that
are wrong, and hand only well-formed rows to pandas. Every row keeps its physical line
number, so a rejected row can be written out verbatim and found in the source file.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd

UTF8_BOM = b"\xef\xbb\xbf"
# Bytes cp1252 leaves undefined: a cp1252 file containing one cannot be decoded.
_CP1252_UNDEFINED = (0x81, 0x8D, 0x8F, 0x90, 0x9D)
# A well-formed UTF-8 multi-byte sequence. A file holding these but failing strict UTF-8
# decoding is a UTF-8 file with damaged rows, not a cp1252 file.
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")


class NotCsvError(ValueError):
    """The bytes are not a delimited text file with a header row."""


@dataclass
class ScannedCsv:
    """A CSV split into rows: header, parsed good rows, and the rows set aside with a reason."""

    encoding: str
    header: list[str]
    frame: pd.DataFrame  # good rows, all columns as str, named by header
    lines: np.ndarray  # physical line number of each row of `frame`
    bad_lines: list[int]  # physical line numbers of the rows set aside
    bad_reasons: list[str]  # "wrong_field_count" or "undecodable_bytes"
    bad_details: list[str]
    bad_raw: list[str]  # the row as text (undecodable bytes shown as \\xNN escapes)
    bad_fields: list[Optional[list[str]]]  # fields of a set-aside row when they could be split
    blank_lines: int
    rows_read: int
    data: bytes = b""  # the file's bytes, so a rejected row can be given back verbatim
    spans: Optional[np.ndarray] = None  # (start, end) byte offsets of each row of `frame`
    codec: str = "utf-8"

    def raw_row(self, i: int) -> str:
        """Row i of `frame` exactly as it is in the file."""
        if self.spans is None:  # the fast path found no bad rows and kept no offsets
            self.spans = _data_row_spans(self.data)
        start, end = self.spans[i]
        return self.data[start:end].decode(self.codec, errors="backslashreplace")


def detect_encoding(data: bytes, requested: Optional[str] = None) -> str:
    """Decide how to decode a file: the requested encoding, else UTF-8 if the bytes are UTF-8
    (or look like damaged UTF-8), else cp1252 (the usual Windows export)."""
    return _decide_encoding(data, requested)[0]


def guess_delimiter(data: bytes, preferred: Optional[str] = None) -> str:
    """The given delimiter if not a comma, else whichever of , ; tab | the first line uses
    most (a comma unless another is clearly more frequent)."""
    if preferred not in (None, "", ","):
        return preferred
    first = data[:4096].split(b"\n", 1)[0]
    counts = {d: first.count(d.encode()) for d in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] > counts[","] else ","


def _decide_encoding(data: bytes, requested: Optional[str]) -> tuple[str, Optional[bool]]:
    """The encoding, and whether the whole file is known to decode with it (None: unknown)."""
    if requested and requested.lower() not in ("auto", ""):
        return requested, (True if data.isascii() else None)
    if data.isascii():
        return "utf-8", True
    try:
        data.decode("utf-8")
        return "utf-8", True
    except UnicodeDecodeError:
        pass
    if _UTF8_MULTIBYTE.search(data):
        return "utf-8", False
    return "cp1252", None


def _row_bounds(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Start/end byte offsets of each record (newlines inside quotes do not end a record),
    the offsets of every newline byte and of every quote byte."""
    newlines = np.flatnonzero(arr == 10)
    quotes = np.flatnonzero(arr == 34)
    if quotes.size:
        inside = (np.searchsorted(quotes, newlines) % 2).astype(bool)
        terminators = newlines[~inside]
    else:
        terminators = newlines
    starts = np.concatenate(([0], terminators + 1))
    ends = np.concatenate((terminators, [arr.size]))
    keep = starts < arr.size  # drop the empty "row" after a final newline
    starts, ends = starts[keep], ends[keep]
    # strip a carriage return before the newline (Windows line endings)
    has_cr = (ends > starts) & (arr[np.maximum(ends - 1, 0)] == 13)
    ends = ends - has_cr
    return starts, ends, newlines, quotes


def _exact_counts(arr: np.ndarray, r_starts: np.ndarray, delimiter: str) -> np.ndarray:
    """Fields per row from delimiter positions (quoted delimiters are corrected by the caller)."""
    delim_pos = np.flatnonzero(arr == ord(delimiter))
    bounds = np.searchsorted(delim_pos, np.append(r_starts, arr.size))
    return np.diff(bounds) + 1


def _split_fields(text: str, delimiter: str) -> list[str]:
    return next(csv.reader([text], delimiter=delimiter), [])


def scan_csv(
    data: bytes, encoding: Optional[str] = None, delimiter: str = ",", numeric: Sequence[str] = ()
) -> ScannedCsv:
    """Scan and parse one CSV file's bytes. Raises NotCsvError if there is no header row.

    Columns named in `numeric` are parsed to float64 by pandas' C parser (blank -> NaN), which
    is much faster than converting text afterwards; if any value there is not a number the
    whole file is parsed as text instead, and the reader's checks report the bad values.
    """
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
        encoding = encoding if encoding and encoding != "auto" else "utf-8"
    if b"\n" not in data and b"\r" in data:  # classic Mac line endings, still seen in exports
        data = data.replace(b"\r", b"\n")
    encoding, clean = _decide_encoding(data, encoding)
    codec = (
        "utf-8"
        if encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig")
        else encoding
    )

    header, header_end = _header(data, codec, delimiter)
    wanted = {h: i for i, h in enumerate(header)}
    numeric_idx = tuple(wanted[c] for c in numeric if c in wanted)
    if clean is None:
        clean = not _has_decode_errors(data, codec)
    if clean:
        fast = _fast_scan(data, encoding, codec, delimiter, header, header_end, numeric_idx)
        if fast is not None:
            return fast
    return _scan(data, encoding, codec, delimiter, header, header_end, numeric_idx, clean)


def _header(data: bytes, codec: str, delimiter: str) -> tuple[list[str], int]:
    """The header fields and the offset where the header line ends."""
    start = len(data) - len(data.lstrip(b"\r\n"))
    if start >= len(data):
        raise NotCsvError("the file is empty")
    end = data.find(b"\n", start)
    end = len(data) if end < 0 else end
    header_raw = data[start:end].rstrip(b"\r")
    try:
        header_text = header_raw.decode(codec)
    except UnicodeDecodeError as exc:
        raise NotCsvError("the header row cannot be decoded as text") from exc
    header = [h.strip() for h in _split_fields(header_text, delimiter)]
    if b"\x00" in header_raw or len(header) < 2:
        raise NotCsvError(f"no delimited header row (found {header_text[:80]!r})")
    return header, end


def _data_row_spans(data: bytes) -> np.ndarray:
    """(start, end) offsets of every non-blank row after the header."""
    starts, ends, _, _ = _row_bounds(np.frombuffer(data, dtype=np.uint8))
    keep = np.flatnonzero(ends > starts)[1:]
    return np.stack([starts[keep], ends[keep]], axis=1)


_MAX_FAST_QUOTES = 200_000


def _fast_scan(
    data: bytes,
    encoding: str,
    codec: str,
    delimiter: str,
    header: list[str],
    header_end: int,
    numeric: tuple[int, ...],
) -> Optional[ScannedCsv]:
    """The common case without per-row offsets: one row per line, no quoted newlines, no
    blank lines, every row well formed. Finding the offsets of half a million newlines costs
    more than parsing, so this path only counts bytes; anything unusual returns None and the
    exact scan runs instead."""
    arr = np.frombuffer(data, dtype=np.uint8)
    body_start = header_end + 1
    if body_start >= len(data):
        n = 0
    else:
        n = int(np.count_nonzero(arr[body_start:] == 10)) + (0 if data.endswith(b"\n") else 1)
    quoted: dict[int, tuple[int, int]] = {}
    row, last, pairs = 0, body_start, 0
    q = data.find(b'"', body_start)
    while q != -1:
        pairs += 1
        if pairs > _MAX_FAST_QUOTES:
            return None  # quoting everywhere: the exact scan does this with numpy
        close = data.find(b'"', q + 1)
        if close == -1 or data.find(b"\n", q, close) != -1:
            return None  # unbalanced quotes, or a quoted newline
        row += data.count(b"\n", last, q)
        last = q
        if row not in quoted:
            start = data.rfind(b"\n", 0, q) + 1
            end = data.find(b"\n", q)
            end = len(data) if end < 0 else end
            quoted[row] = (start, end - 1 if data[end - 1 : end] == b"\r" else end)
        q = data.find(b'"', close + 1)
    ncol = len(header)
    delim = delimiter.encode()
    fields_of = {
        i: _split_fields(data[s:e].decode(codec), delimiter) for i, (s, e) in quoted.items()
    }
    if any(len(f) != ncol for f in fields_of.values()):
        return None
    quoted_raw = sum(data[s:e].count(delim) for s, e in quoted.values())
    total = int(np.count_nonzero(arr[body_start:] == ord(delimiter))) if n else 0
    if total - quoted_raw != (n - len(quoted)) * (ncol - 1):
        return None
    try:
        frame = _read_frame(memoryview(data)[header_end:], ncol, codec, delimiter, numeric)
    except (pd.errors.ParserError, pd.errors.ParserWarning):
        return None
    if len(frame) != n:  # blank lines (pandas skips them) or line endings read otherwise
        return None
    frame.columns = header
    header_line = data.count(b"\n", 0, header_end) + 1
    return ScannedCsv(
        encoding=encoding,
        header=header,
        frame=frame,
        lines=np.arange(header_line + 1, header_line + 1 + n, dtype=np.int64),
        bad_lines=[],
        bad_reasons=[],
        bad_details=[],
        bad_raw=[],
        bad_fields=[],
        blank_lines=0,
        rows_read=n,
        data=data,
        spans=None,
        codec=codec,
    )


def _scan(
    data: bytes,
    encoding: str,
    codec: str,
    delimiter: str,
    header: list[str],
    header_end: int,
    numeric: tuple[int, ...],
    clean: bool,
) -> ScannedCsv:
    arr = np.frombuffer(data, dtype=np.uint8)
    starts, ends, newlines, quotes = _row_bounds(arr)
    blank = ends <= starts
    first = int(np.flatnonzero(~blank)[0])
    whole_body = int(ends[first]) <= header_end  # False if the header spans lines (quoted)

    rows = np.arange(first + 1, starts.size)
    rows = rows[~blank[first + 1 :]]
    blank_lines = int(blank[first + 1 :].sum())
    r_starts, r_ends = starts[rows], ends[rows]
    lines = np.searchsorted(newlines, r_starts) + 1  # 1-based physical line of each row
    n = rows.size

    quoted_rows = np.unique(np.searchsorted(r_starts, quotes, side="right") - 1)
    quoted_rows = quoted_rows[quoted_rows >= 0]

    # Undecodable rows: only looked for when the file holds bytes that fail to decode.
    undecodable = np.zeros(n, dtype=bool)
    if n and not clean:
        if codec == "utf-8":
            high = np.flatnonzero(arr >= 0x80)
        else:
            high = np.flatnonzero(np.isin(arr, _CP1252_UNDEFINED))
        suspect = np.unique(np.searchsorted(r_starts, high, side="right") - 1)
        for i in suspect[suspect >= 0]:
            try:
                data[r_starts[i] : r_ends[i]].decode(codec)
            except UnicodeDecodeError:
                undecodable[i] = True

    # Field counts. Rows with quotes are split exactly with the csv module. For the rest,
    # if the file's delimiter total is exactly what well-formed rows need, every row is
    # well formed unless one has too many fields and another too few, which pandas reports
    # as a parser error; only then (or when the total is off) do we count row by row.
    ncol = len(header)
    fields_of: dict[int, list[str]] = {}
    quoted_raw = 0
    for i in quoted_rows:
        if undecodable[i]:
            continue
        chunk = data[r_starts[i] : r_ends[i]]
        quoted_raw += chunk.count(delimiter.encode())
        fields_of[int(i)] = _split_fields(chunk.decode(codec), delimiter)
    plain = n - len(fields_of) - int(undecodable.sum())
    body = arr[int(ends[first]) :]
    plain_total = int(np.count_nonzero(body == ord(delimiter))) - quoted_raw
    undecodable_raw = sum(
        data[r_starts[i] : r_ends[i]].count(delimiter.encode()) for i in np.flatnonzero(undecodable)
    )
    exact = plain_total - undecodable_raw != plain * (ncol - 1)
    while True:
        counts = _exact_counts(arr, r_starts, delimiter) if exact else np.full(n, ncol)
        for i, fields in fields_of.items():
            counts[i] = len(fields)
        try:
            return _assemble(
                data,
                header,
                codec,
                delimiter,
                encoding,
                first,
                ends,
                r_starts,
                r_ends,
                lines,
                counts,
                undecodable,
                fields_of,
                blank_lines,
                n,
                whole_body and not exact,
                numeric,
            )
        except (pd.errors.ParserError, pd.errors.ParserWarning):
            if exact:
                raise
            exact = True


def _has_decode_errors(data: bytes, codec: str) -> bool:
    if data.isascii():
        return False
    try:
        data.decode(codec)
        return False
    except UnicodeDecodeError:
        return True


def _assemble(
    data: bytes,
    header: list[str],
    codec: str,
    delimiter: str,
    encoding: str,
    first: int,
    ends: np.ndarray,
    r_starts: np.ndarray,
    r_ends: np.ndarray,
    lines: np.ndarray,
    counts: np.ndarray,
    undecodable: np.ndarray,
    fields_of: dict[int, list[str]],
    blank_lines: int,
    n: int,
    whole_body: bool,
    numeric: tuple[int, ...],
) -> ScannedCsv:
    """Set aside the bad rows, parse the good ones."""
    wrong = (counts != len(header)) & ~undecodable
    bad = wrong | undecodable
    bad_idx = np.flatnonzero(bad)
    bad_lines, bad_reasons, bad_details, bad_raw, bad_fields = [], [], [], [], []
    for i in bad_idx:
        raw_bytes = data[r_starts[i] : r_ends[i]]
        bad_lines.append(int(lines[i]))
        if undecodable[i]:
            bad_reasons.append("undecodable_bytes")
            bad_details.append(f"not valid {encoding}")
            bad_raw.append(raw_bytes.decode(codec, errors="backslashreplace"))
            bad_fields.append(None)
        else:
            text = raw_bytes.decode(codec)
            fields = fields_of.get(int(i)) or _split_fields(text, delimiter)
            bad_reasons.append("wrong_field_count")
            bad_details.append(f"expected {len(header)} fields, found {int(counts[i])}")
            bad_raw.append(text)
            bad_fields.append(fields)

    good = np.flatnonzero(~bad)
    frame = None
    if whole_body and not bad.any():  # the common case: parse the file as it is
        # a ParserError here (a row with too many fields) sends the caller to exact counting
        frame = _read_frame(
            memoryview(data)[int(ends[first]) :], len(header), codec, delimiter, numeric
        )
    if frame is None or len(frame) != good.size:
        frame = _parse_rows(
            data, r_starts[good], r_ends[good], len(header), codec, delimiter, numeric
        )
    frame.columns = header
    return ScannedCsv(
        encoding=encoding,
        header=header,
        frame=frame,
        lines=lines[good],
        bad_lines=bad_lines,
        bad_reasons=bad_reasons,
        bad_details=bad_details,
        bad_raw=bad_raw,
        bad_fields=bad_fields,
        blank_lines=blank_lines,
        rows_read=n,
        data=data,
        spans=np.stack([r_starts[good], r_ends[good]], axis=1),
        codec=codec,
    )


def _read_frame(
    body, ncol: int, codec: str, delimiter: str, numeric: tuple[int, ...] = ()
) -> pd.DataFrame:
    """pandas' C parser over rows believed well formed, every value kept as text.

    A row with too many fields raises ParserError (or ParserWarning, turned into an error,
    when it is the first row), so the caller can fall back to counting fields row by row.
    """
    names = [f"c{i}" for i in range(ncol)]
    options = dict(
        header=None,
        names=names,
        encoding=codec,
        keep_default_na=False,
        skip_blank_lines=True,
        sep=delimiter,
        engine="c",
        quotechar='"',
        doublequote=True,
        index_col=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        if numeric:
            try:
                return pd.read_csv(
                    io.BytesIO(body),
                    **options,
                    dtype={n: (np.float64 if i in numeric else str) for i, n in enumerate(names)},
                    na_values={names[i]: [""] for i in numeric},
                    na_filter=True,
                )
            except ValueError as exc:
                if isinstance(exc, pd.errors.ParserError):
                    raise
        return pd.read_csv(io.BytesIO(body), **options, dtype=str, na_filter=False)


def _parse_rows(
    data: bytes,
    starts: np.ndarray,
    ends: np.ndarray,
    ncol: int,
    codec: str,
    delimiter: str,
    numeric: tuple[int, ...],
) -> pd.DataFrame:
    """Parse the given rows only; falls back to the csv module if pandas sees them otherwise."""
    if starts.size == 0:
        return pd.DataFrame({f"c{i}": pd.Series([], dtype=object) for i in range(ncol)})
    body = b"\n".join(data[s:e] for s, e in zip(starts.tolist(), ends.tolist()))
    frame = _read_frame(body, ncol, codec, delimiter, numeric)
    if len(frame) != starts.size:  # a quoting corner pandas reads differently: be exact
        records = [
            _split_fields(data[s:e].decode(codec), delimiter)
            for s, e in zip(starts.tolist(), ends.tolist())
        ]
        frame = pd.DataFrame(records, columns=[f"c{i}" for i in range(ncol)], dtype=object)
    return frame
