"""Split a CSV's bytes into rows, find the rows that cannot be parsed, and parse the rest fast.

pandas' C parser is fast but silently pads short rows and cannot tell us which physical line
a row came from, and Python's csv module is exact but slow. So we scan the bytes once with
numpy (quote-aware row boundaries, field counts, undecodable bytes), set aside the rows that
are wrong, and hand only well-formed rows to pandas. Every row keeps its physical line
number, so a rejected row can be written out verbatim and found in the source file.

Hostile files are normal input. The numpy scan assumes every quote sits where a well-formed
CSV puts it; `_quotes_are_simple` proves that in one vectorised pass, and any file where it
does not hold (a stray quote opening a field, text after a closing quote, a quote never
closed, a bare carriage return) is read record by record with Python's csv module itself,
so a damaged file is split exactly as `csv.reader(open(path, newline=""))` splits it. Rows
the csv module would silently change (text after a closing quote), rows holding control
characters, rows cut by a bare carriage return and an unclosed quote are rejected with their
own reason, never accepted. The header is read from the first line alone and absurd headers
(too long, too many columns, a column named twice) are refused before any row is parsed, so
time and memory stay bounded on files that are not crime extracts at all.

How a file's bytes are decoded (UTF-8 unless they are not, then Windows-1252: see
`file_codec`) is decided here for every reader of a police.uk CSV: the web map and the
neighbourhood summaries read through `read_decoded`, so a file Excel saved in Windows-1252
reads there exactly as the load reads it.
"""

from __future__ import annotations

import csv
import io
import re
import threading
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar, Union

import numpy as np
import pandas as pd

from ..common import background

UTF8_BOM = b"\xef\xbb\xbf"
# Bytes cp1252 leaves undefined: a cp1252 file containing one cannot be decoded.
_CP1252_UNDEFINED = (0x81, 0x8D, 0x8F, 0x90, 0x9D)
# A well-formed UTF-8 multi-byte sequence. A file holding these but failing strict UTF-8
# decoding is a UTF-8 file with damaged rows, not a cp1252 file.
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")
# A header longer than this, or with more columns, is not a crime extract: refused at once
# (a police.uk header is 160 bytes and 12 columns; the widest force export seen has ~150).
MAX_HEADER_BYTES = 64 * 1024
MAX_COLUMNS = 500
# Control characters a cell may not hold (tab, line feed and carriage return are allowed):
# pandas cuts a cell short at a NUL, and none of these belongs in a crime record.
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_TABLE = np.zeros(256, dtype=bool)
_CONTROL_TABLE[[*range(0, 9), 11, 12, *range(14, 32), 127]] = True
_BLOCK = 1 << 20  # bytes per block when scanning a whole file, to bound temporary arrays
_Spans = list[tuple[np.ndarray, np.ndarray]]  # (starts, ends) of some columns' values
_OnSpans = Optional[Callable[[_Spans], None]]  # given the `own` columns' spans once found


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
    bad_reasons: list[str]  # REASONS keys: wrong_field_count, undecodable_bytes, control_...
    bad_details: list[str]
    bad_raw: list[str]  # the row as text (undecodable bytes shown as \\xNN escapes)
    bad_fields: list[Optional[list[str]]]  # fields of a set-aside row when they could be split
    blank_lines: int
    rows_read: int
    data: bytes = b""  # the file's bytes, so a rejected row can be given back verbatim
    spans: Optional[np.ndarray] = None  # (start, end) byte offsets of each row of `frame`
    codec: str = "utf-8"
    # columns (of those scan_body was asked about) whose every value is known, from the
    # bytes, to be non-empty with no space at either end (`_trimmed`): str.strip() and a
    # blank test would change nothing there
    trimmed: frozenset[str] = frozenset()
    delimiter: str = ","

    def raw_row(self, i: int) -> str:
        """Row i of `frame` exactly as it is in the file."""
        if self.spans is None:  # the fast path found no bad rows and kept no offsets
            self.spans = _data_row_spans(self.data)
        start, end = self.spans[i]
        return self.data[start:end].decode(self.codec, errors="backslashreplace")

    def cell_text(self, i: int, column: int) -> str:
        """The cell of row i of `frame` in column `column` (by place: the header's order) as
        the file writes it, for a reject's detail: the analyst searches their file for it.

        A text column holds the cell as read already. A column the scan parsed as numbers
        (police.uk coordinates, a force's plain eastings) holds floats that no longer say
        how they were written (``Infinity`` is inf, `` 5.00 `` is 5.0, ``0.000`` is 0.0),
        so its cell is split again from the row's bytes: only on the reject path, never per
        accepted row."""
        value = self.frame.iat[i, column]
        if isinstance(value, str):
            return value
        record = csv.reader(io.StringIO(self.raw_row(i), newline=""), delimiter=self.delimiter)
        fields = next(record, [])
        return fields[column] if column < len(fields) else ""


def detect_encoding(data: bytes, requested: Optional[str] = None) -> str:
    """Decide how to decode a file: the requested encoding, else UTF-8 if the bytes are UTF-8
    (or look like damaged UTF-8), else cp1252 (the usual Windows export)."""
    return _decide_encoding(data, requested)[0]


def file_codec(data: bytes) -> str:
    """The Python codec the load decodes a whole file's bytes with when no encoding is asked
    for: UTF-8 after a byte-order mark, else UTF-8 if the bytes are UTF-8 (or damaged UTF-8,
    whose bad rows the load rejects), else cp1252 (what Excel writes on Windows).

    Why public: the web map and the summaries read police.uk CSVs too, and a file the load
    read with "Café" must not be refused, or read otherwise, there (`read_decoded`)."""
    marked = data.startswith(UTF8_BOM)
    return _choose_codec(data[len(UTF8_BOM) :] if marked else data, None, marked)[1]


class UndecodableText(ValueError):
    """The bytes are not text in the encoding the load would read them with; the message
    says which encoding, and the line and byte of the first bad byte."""


class NulInText(ValueError):
    """A CSV holds a NUL byte (the message says on which line). pandas' C reader ends a cell
    at one and drops the rest of it without a word ("-1.14\\x00999" is read as -1.14, a
    location "Green\\x00gate" as "Green"), so a file holding one cannot be read as it is."""


_NUL_CHUNK = 1 << 20  # bytes of a file searched for a NUL at a time


class BareCarriageReturn(ValueError):
    """A CSV whose lines end at line feeds holds a carriage return without one outside a
    quoted cell (the message says on which line). pandas' C reader ends the row there
    without a word ("4,x<CR>y,6" is read as two rows, "4,x," and "y,6,"), and Python's csv
    module refuses the file ("new-line character seen in unquoted field"); the load rejects
    such rows (``bare_carriage_return``). A file whose every line ends at a bare CR (old Mac
    line endings) is read, as the load reads it."""


_BARE_CR = re.compile(rb"\r(?!\n)")


def _chunks(item: Union[bytes, Path]) -> Iterator[bytes]:
    """``item``'s bytes a chunk at a time (a file read from the page cache, never whole); a
    chunk never ends at a CR whose next byte is in the file (a CR LF is never split)."""
    if isinstance(item, bytes):
        yield item
        return
    with open(item, "rb") as handle:
        while chunk := handle.read(_NUL_CHUNK):
            while chunk.endswith(b"\r") and (more := handle.read(1)):
                chunk += more
            yield chunk


def refuse_damaged_text(item: Union[bytes, Path]) -> None:
    """NulInText naming the line of the first NUL byte of ``item`` (a file, or a zip member's
    bytes), if it holds one; BareCarriageReturn naming the line of its first bare carriage
    return outside quotes when its lines end at line feeds. One pass of C's memchr over the
    bytes a chunk at a time (some 20-30 ms for a national month's 115 MB file; a file with
    CR LF line endings is searched for a CR no LF follows too, some 50 ms more: one
    regular-expression search). In UTF-8 and Windows-1252 a zero byte is a NUL, a 13 a CR
    and a 34 a quote, and nothing else, so the bytes tell. The quotes are counted only once
    a CR is found that no LF follows, and the lines only for the message of a file refused
    (counting a clean national month's line feeds as it was searched took 0.12 s, four
    times the search, on every release and web map read)."""
    offset = 0
    quotes: Optional[int] = None  # the quotes before this chunk, once they are wanted
    bare: Optional[int] = None  # the offset of the first bare CR outside quotes
    line_feeds = False  # whether a line feed was seen (a file of bare CRs alone is read)
    for chunk in _chunks(item):
        at = chunk.find(b"\x00")
        if at >= 0:
            raise NulInText(_nul_message(_count_before(item, offset + at, b"\n") + 1))
        if bare is None and b"\r" in chunk and _BARE_CR.search(chunk):
            if quotes is None:
                quotes = _count_before(item, offset, b'"')
            found = _first_bare_cr(chunk, quotes)
            if found is not None:
                bare = offset + found
        line_feeds = line_feeds or b"\n" in chunk
        offset += len(chunk)
        if quotes is not None:
            quotes += chunk.count(b'"')
        if bare is not None and line_feeds:
            raise BareCarriageReturn(_bare_cr_message(_count_before(item, bare, b"\n") + 1))


def _count_before(item: Union[bytes, Path], offset: int, byte: bytes) -> int:
    """How many ``byte`` bytes ``item`` holds before byte ``offset``."""
    if isinstance(item, bytes):
        return item.count(byte, 0, offset)
    found = 0
    with open(item, "rb") as handle:
        while offset > 0 and (chunk := handle.read(min(offset, _NUL_CHUNK))):
            found += chunk.count(byte)
            offset -= len(chunk)
    return found


def _first_bare_cr(chunk: bytes, quotes: int) -> Optional[int]:
    """The offset in ``chunk`` of its first CR that no LF follows and no open quote holds
    (``quotes``: the quotes before the chunk), else None. A CR in a quoted cell is that
    cell's text, read as such by every reader."""
    for found in _BARE_CR.finditer(chunk):
        if found.start() == len(chunk) - 1:  # (the file's last byte: _chunks; a line's end)
            continue
        if (quotes + chunk.count(b'"', 0, found.start())) % 2 == 0:
            return found.start()
    return None


def _bare_cr_message(line: int) -> str:
    return (
        f"holds a carriage return without a line feed (a bare CR) on line {line:,}, outside "
        "quotes, which cuts the row in two (the load rejects such rows: bare_carriage_return). "
        "The file mixes line endings (damaged, or edited by hand): save it again as 'CSV "
        "UTF-8' or download it again"
    )


def _nul_message(line: int) -> str:
    return (
        f"holds a NUL character (a zero byte) on line {line:,}, which no published text "
        "holds: a CSV reader would cut that cell short there. The file is damaged, or not "
        "UTF-8 text (UTF-16 is full of them): save it again as 'CSV UTF-8' or download it again"
    )


_Read = TypeVar("_Read")


def read_decoded(
    read: Callable[[str], _Read],
    item: Union[bytes, Path],
    utf8: str = "utf-8",
    whole: bool = True,
) -> tuple[_Read, str]:
    """(``read(utf8)``, ``utf8``): the caller's own UTF-8 read; only when it meets bytes that
    are not UTF-8, (``read(codec)``, ``codec``) with the codec the load decodes the whole
    file with (file_codec).

    Why this shape: a UTF-8 file (the common case: a national month of 115 MB) is read
    exactly as before, with no look at its bytes beforehand; the file's bytes (``item``: a
    path, or a zip member's bytes) are read and judged only after UTF-8 has failed. Raises
    UndecodableText when the load would not decode the file whole either (damaged UTF-8, a
    byte cp1252 leaves undefined): such a file cannot be published as it is. A file read
    is then searched for a NUL and a bare carriage return (:func:`refuse_damaged_text`:
    NulInText, BareCarriageReturn), at which the caller's pandas read would have cut a cell
    or a row short without a word; searched too when that read fails (a ValueError: pandas'
    "Buffer overflow caught" at a bare CR), so the failure is said as its cause, with its
    line. ``whole=False``: ``read`` reads only a part of the file (its header line, which the
    csv module reads and refuses a NUL in) and the rest is searched when it is read."""
    try:
        result = read(utf8)
    except UnicodeDecodeError:
        pass
    except ValueError:
        if whole:
            refuse_damaged_text(item)
        raise
    else:
        if whole:
            refuse_damaged_text(item)
        return result, utf8
    data = item if isinstance(item, bytes) else item.read_bytes()
    codec = file_codec(data)
    if codec != "utf-8":
        try:
            result = read(codec)
        except UnicodeDecodeError:
            pass
        except ValueError:
            if whole:
                refuse_damaged_text(data)
            raise
        else:
            if whole:
                refuse_damaged_text(data)
            return result, codec
    raise UndecodableText(_first_undecodable(data, codec))


def _first_undecodable(data: bytes, codec: str) -> str:
    """Where ``data`` first fails to decode with ``codec``, as a sentence. (pandas' own
    error gives an offset into the block it was decoding, not into the file.)"""
    name = "UTF-8" if codec == "utf-8" else "Windows-1252 (cp1252)" if codec == "cp1252" else codec
    body = data[len(UTF8_BOM) :] if codec == "utf-8" and data.startswith(UTF8_BOM) else data
    try:
        body.decode(codec)
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        return (
            f"not {name} text, the encoding the load reads it in: byte "
            f"0x{body[exc.start]:02x} on line {line:,} ({exc.reason})"
        )
    return f"not {name} text, the encoding the load reads it in"


def guess_delimiter(data: bytes, preferred: Optional[str] = None) -> str:
    """The given delimiter if not a comma, else whichever of , ; tab | the first line uses
    most (a comma unless another is clearly more frequent)."""
    if preferred not in (None, "", ","):
        return preferred
    first = data[:4096].split(b"\n", 1)[0]
    counts = {d: first.count(d.encode()) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
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


def _choose_codec(
    body: bytes, requested: Optional[str], marked: bool
) -> tuple[str, str, Optional[bool]]:
    """(encoding, Python codec, whether the whole body is known to decode) of a file's bytes
    after any byte-order mark (``marked``: there was one, which means UTF-8 unless another
    encoding is asked for)."""
    if marked:
        requested = requested if requested and requested != "auto" else "utf-8"
    encoding, clean = _decide_encoding(body, requested)
    utf8 = encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig")
    return encoding, ("utf-8" if utf8 else encoding), clean


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


def _split_fields(text: str, delimiter: str) -> list[str]:
    """The first record of `text` as the csv module reads it (never raises)."""
    try:
        return next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    except csv.Error:
        return [text]


@dataclass
class CsvHead:
    """A file's bytes made ready to scan, with its header read from the first line alone."""

    data: bytes
    encoding: str
    codec: str
    clean: Optional[bool]  # the whole file decodes (None: not yet known)
    delimiter: str
    header: list[str]
    header_start: int
    header_end: int


def open_csv(data: bytes, encoding: Optional[str] = None, delimiter: str = ",") -> CsvHead:
    """Decide the encoding and read the header from the first line, before any row is parsed,
    so a file that is not a crime extract (or is absurd: a megabyte-long first line, thousands
    of columns) is refused at once. Raises NotCsvError."""
    marked = data.startswith(UTF8_BOM)
    if marked:
        data = data[len(UTF8_BOM) :]
    if b"\n" not in data and b"\r" in data:  # classic Mac line endings, still seen in exports
        data = data.replace(b"\r", b"\n")
    encoding, codec, clean = _choose_codec(data, encoding, marked)
    try:
        "".encode(codec)
    except LookupError as exc:
        raise NotCsvError(f"unknown encoding {encoding!r}") from exc
    start, header, end = _header(data, codec, delimiter)
    return CsvHead(data, encoding, codec, clean, delimiter, header, start, end)


def scan_csv(
    data: bytes,
    encoding: Optional[str] = None,
    delimiter: str = ",",
    numeric: Sequence[str] = (),
    plain_numeric: Sequence[str] = (),
) -> ScannedCsv:
    """Scan and parse one CSV file's bytes. Raises NotCsvError if there is no usable header."""
    return scan_body(open_csv(data, encoding, delimiter), numeric, plain_numeric)


def scan_body(
    head: CsvHead,
    numeric: Sequence[str] = (),
    plain_numeric: Sequence[str] = (),
    on_numbers: Optional[Callable[[dict[str, np.ndarray]], None]] = None,
    trimmed: Sequence[str] = (),
) -> ScannedCsv:
    """Parse the rows of a file whose header `open_csv` has read.

    Columns named in `numeric` are parsed to float64 by pandas' C parser (blank -> NaN), which
    is much faster than converting text afterwards; if any value there is not a number the
    whole file is parsed as text instead, and the reader's checks report the bad values.

    Columns named in `plain_numeric` are parsed to float64 only when the fast scan has proved,
    from the bytes, that every value in them is blank or a plain decimal (``-?digits[.digits]``,
    at most 15 bytes), which pandas' C parser and ``pd.to_numeric`` read as the same float;
    otherwise they stay text. So a file with one odd coordinate costs no second parse.

    ``on_numbers`` is called with the `plain_numeric` columns pandas parsed as numbers (by
    header name), when a large body's parse is done and before its rows' checks are waited
    for, so that work on them can start beside the checks. Those values are provisional:
    the checks may still find the columns not plain, or the rows not well formed, and the
    file is then parsed again; work started on them must be taken only if its inputs are
    bit for bit the final ones.

    Of the columns named in `trimmed`, those the fast scan cut from the bytes and found
    non-empty with no space at either end in every row are named in the result's
    ``trimmed`` (a force extract's crime references: the reader then skips stripping and
    blank-testing half a million values). Any other path names none.
    """
    data, codec, delimiter, header = head.data, head.codec, head.delimiter, head.header
    wanted = {h: i for i, h in enumerate(header)}
    numeric_idx = tuple(wanted[c] for c in numeric if c in wanted)
    plain_idx = tuple(
        wanted[c] for c in plain_numeric if c in wanted and wanted[c] not in numeric_idx
    )
    trim_idx = tuple(wanted[c] for c in trimmed if c in wanted)
    arr = np.frombuffer(data, dtype=np.uint8)
    control, bare_cr = _hazards(arr)
    quotes = _quote_positions(arr, data, head.header_start)
    if bare_cr or not _quotes_are_simple(arr, data, head.header_start, delimiter, quotes):
        return _scan_exact(head)
    clean = head.clean
    if clean is None:
        clean = not _has_decode_errors(data, codec)
    args = (data, head.encoding, codec, delimiter, header, head.header_end, numeric_idx)
    if clean and not control:
        fast = _fast_scan(*args, plain_idx, on_numbers, quotes, trim_idx)
        if fast is not None:
            return fast
    try:
        return _scan(*args, clean, control)
    except (pd.errors.ParserError, pd.errors.ParserWarning):  # pandas disagrees: be exact
        return _scan_exact(head)


def _header(data: bytes, codec: str, delimiter: str) -> tuple[int, list[str], int]:
    """Where the header starts, its fields, and the offset where the header line ends."""
    leading = re.match(rb"[\r\n]*", data)  # always matches, if only the empty string
    start = leading.end() if leading else 0
    if start >= len(data):
        raise NotCsvError("the file is empty")
    end = data.find(b"\n", start, start + MAX_HEADER_BYTES + 2)
    if end < 0:
        if len(data) - start > MAX_HEADER_BYTES + 1:
            raise NotCsvError(
                f"its first line is longer than {MAX_HEADER_BYTES // 1024} KiB, far longer "
                "than any crime extract's header"
            )
        end = len(data)
    header_raw = data[start:end]
    if header_raw.endswith(b"\r"):
        header_raw = header_raw[:-1]
    columns = header_raw.count(delimiter.encode()) + 1
    if columns > MAX_COLUMNS:
        raise NotCsvError(
            f"its first line has {columns:,} columns; a crime extract has at most {MAX_COLUMNS}"
        )
    try:
        header_text = header_raw.decode(codec)
    except UnicodeDecodeError as exc:
        raise NotCsvError("the header row cannot be decoded as text") from exc
    if _CONTROL.search(header_raw) or b"\r" in header_raw:
        raise NotCsvError(f"the header row holds control characters ({header_text[:80]!r})")
    header = [h.strip() for h in _split_fields(header_text, delimiter)]
    if len(header) < 2:
        raise NotCsvError(f"no delimited header row (found {header_text[:80]!r})")
    _check_names(header)
    return start, header, end


def _check_names(header: list[str]) -> None:
    """A column named twice makes every row ambiguous: refuse the file, naming the column."""
    from ..common.vocabulary import fold_text

    seen: set[str] = set()
    for name in header:
        key = fold_text(name)
        if key in seen:
            raise NotCsvError(
                f"the header names the column {name!r} more than once, so its rows cannot be "
                "read unambiguously"
            )
        seen.add(key)


def _positions(arr: np.ndarray, byte: int) -> np.ndarray:
    """Offsets of one byte value, found block by block (no file-sized temporaries)."""
    found = [np.flatnonzero(arr[i : i + _BLOCK] == byte) + i for i in range(0, arr.size, _BLOCK)]
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def _control_positions(arr: np.ndarray) -> np.ndarray:
    found = [
        np.flatnonzero(_CONTROL_TABLE[arr[i : i + _BLOCK]]) + i for i in range(0, arr.size, _BLOCK)
    ]
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def _bare_carriage_returns(arr: np.ndarray) -> np.ndarray:
    """Offsets of carriage returns not followed by a line feed."""
    crs = _positions(arr, 13)
    if crs.size == 0:
        return crs
    follows = np.minimum(crs + 1, arr.size - 1)
    return crs[(crs + 1 >= arr.size) | (arr[follows] != 10)]


def _hazards(arr: np.ndarray) -> tuple[bool, bool]:
    """(any control byte other than tab/LF/CR, any carriage return without a line feed),
    counted in one block-wise pass of vectorised comparisons (no per-byte Python work)."""
    low = tabs = lfs = crs = crlfs = dels = 0
    for i in range(0, arr.size, _BLOCK):
        block = arr[i : i + _BLOCK + 1]  # one byte of overlap: a CR LF across blocks
        own = block[:_BLOCK]
        cr = own == 13
        lf = block == 10
        low += int(np.count_nonzero(own < 32))
        tabs += int(np.count_nonzero(own == 9))
        lfs += int(np.count_nonzero(lf[: own.size]))
        crs += int(np.count_nonzero(cr))
        crlfs += int(np.count_nonzero(cr[: lf.size - 1] & lf[1:]))
        dels += int(np.count_nonzero(own == 127))
    return bool(dels or low != tabs + lfs + crs), crs != crlfs


def _quote_positions(arr: np.ndarray, data: bytes, start: int) -> np.ndarray:
    """Offsets of the quote bytes from `start` on (found once, for every step that needs
    them: the quote checks, the field counts and the text cuts)."""
    if data.find(b'"', start) < 0:
        return np.zeros(0, dtype=np.int64)
    quotes = _positions(arr, 34)
    return quotes[np.searchsorted(quotes, start) :]


def _quotes_are_simple(
    arr: np.ndarray,
    data: bytes,
    start: int,
    delimiter: str,
    quotes: Optional[np.ndarray] = None,
) -> bool:
    """Whether every quote is where a well-formed CSV puts it, so counting quotes (their
    parity) finds the same records and fields as Python's csv module.

    With quotes numbered from 0: an even one opens a quoted field, so it follows a delimiter
    or a line feed (or is the second of a doubled quote); an odd one closes it, so a
    delimiter, line end, end of file or a doubled quote's second half follows. A file where
    this holds is a sequence of well-formed quoted fields and quote-free unquoted ones.
    `quotes`: the quote offsets from `start` on (`_quote_positions`), when the caller has them.
    """
    if quotes is None:
        quotes = _quote_positions(arr, data, start)
    if quotes.size == 0:
        return True
    if quotes.size % 2:
        return False
    # each quote is looked at only as what its place makes it (the even ones as openings,
    # the odd ones as closings), its neighbour's byte judged by a 256-entry table
    opens, closes = quotes[0::2], quotes[1::2]
    may_precede = np.zeros(256, dtype=bool)
    may_precede[[ord(delimiter), 10, 34]] = True
    if not np.all(may_precede[arr[np.maximum(opens - 1, 0)]] | (opens == start)):
        return False
    may_follow = np.zeros(256, dtype=bool)
    may_follow[[ord(delimiter), 10, 13, 34]] = True
    after = closes + 1
    return bool(np.all(may_follow[arr[np.minimum(after, arr.size - 1)]] | (after >= arr.size)))


def _data_row_spans(data: bytes) -> np.ndarray:
    """(start, end) offsets of every non-blank row after the header."""
    starts, ends, _, _ = _row_bounds(np.frombuffer(data, dtype=np.uint8))
    keep = np.flatnonzero(ends > starts)[1:]
    return np.stack([starts[keep], ends[keep]], axis=1)


# Codecs in which every byte below 0x80 is the ASCII character it encodes and never part of a
# multi-byte character, so counting quote and delimiter bytes counts the decoded characters.
_ASCII_SAFE_CODECS = frozenset(
    {"utf-8", "utf8", "ascii", "us-ascii", "latin-1", "latin1", "iso-8859-1", "cp1252"}
    | {f"iso-8859-{k}" for k in range(2, 17)}
    | {f"cp{k}" for k in (1250, 1251, 1253, 1254, 1255, 1256, 1257, 1258, 437, 850)}
)


def _ascii_safe(codec: str) -> bool:
    return codec.lower().replace("_", "-") in _ASCII_SAFE_CODECS


def _delimiter_counts(delims: np.ndarray, r_starts: np.ndarray, size: int) -> np.ndarray:
    """Delimiter bytes (at offsets `delims`) in each row, quoted or not; row i is
    [r_starts[i], r_starts[i + 1]) and the last row runs to `size`, the end of the file."""
    return np.diff(np.searchsorted(delims, np.append(r_starts, size)))


def _quoted_delimiters(delims: np.ndarray, r_starts: np.ndarray, quotes: np.ndarray) -> np.ndarray:
    """Delimiter bytes inside quoted fields, per row (rows as in `_delimiter_counts`).

    Valid only where `_quotes_are_simple` holds (the caller's precondition) and the codec is
    ASCII-safe: then quotes pair up in file order (quote 2k opens a quoted field and quote
    2k+1 closes it), so a delimiter is inside a quoted field exactly when it lies between the
    two quotes of a pair. `quotes` are the offsets of every quote byte from the header on.
    Subtracted from `_delimiter_counts`, this gives each row the field count Python's csv
    module gives it, with numpy instead of splitting a quarter of a million rows one by one.
    """
    if not quotes.size or not r_starts.size:
        return np.zeros(r_starts.size, dtype=np.int64)
    opens, closes = quotes[0::2], quotes[1::2]
    inside = np.searchsorted(delims, closes) - np.searchsorted(delims, opens)
    row = np.searchsorted(r_starts, opens, side="right") - 1
    mine = (row >= 0) & (inside > 0)
    per_row = np.bincount(row[mine], weights=inside[mine], minlength=r_starts.size)
    return per_row.astype(np.int64)  # sums of counts far below 2**53: exact in float64


def _quoted_field_counts(
    data: bytes,
    delims: np.ndarray,
    r_starts: np.ndarray,
    r_ends: np.ndarray,
    quotes: np.ndarray,
    quoted: np.ndarray,
    raw_delims: np.ndarray,
    codec: str,
    delimiter: str,
) -> np.ndarray:
    """Fields per row as the csv module splits it, for the rows marked `quoted` (other
    rows' values are meaningless). Counted with numpy where the codec allows, else each
    quoted row is split with the csv module."""
    if _ascii_safe(codec):
        return raw_delims - _quoted_delimiters(delims, r_starts, quotes) + 1
    counts = np.zeros(r_starts.size, dtype=np.int64)
    for i in np.flatnonzero(quoted).tolist():
        chunk = data[int(r_starts[i]) : int(r_ends[i])]
        counts[i] = len(_split_fields(chunk.decode(codec), delimiter))
    return counts


def _fast_quoted_counts_ok(
    arr: np.ndarray,
    data: bytes,
    body_start: int,
    delimiter: str,
    codec: str,
    n: int,
    ncol: int,
    plain: tuple[int, ...] = (),
    own: tuple[int, ...] = (),
    newlines: Optional[np.ndarray] = None,
    quotes: Optional[np.ndarray] = None,
    on_spans: _OnSpans = None,
) -> Optional[tuple[tuple[int, ...], _Spans]]:
    """For the fast scan of a file with quoted fields: whether every body line is one whole
    record (no quoted line break) of exactly `ncol` fields, counted as the csv module would
    (None when not); if so, the columns of `plain` that hold only plain numbers and the value
    spans of the `own` columns (quotes included, see `_own_text`). `newlines`: the body's
    line feeds, `quotes` the file's quote offsets (from any start before the body), when
    the caller has them. `on_spans` is given the `own` spans as soon as they are found,
    before the `plain` columns are checked."""
    if not _ascii_safe(codec):
        return None
    if quotes is None:
        quotes = _positions(arr, 34)
    quotes = quotes[np.searchsorted(quotes, body_start) :]
    if quotes.size % 2:
        return None  # the header's quotes are not balanced on its own line: be exact
    if newlines is None:
        newlines = _positions(arr, 10)
        newlines = newlines[newlines >= body_start]
    if _quoted_line_break(quotes, newlines):
        return None  # rows are not lines
    r_starts = np.concatenate(([body_start], newlines + 1))[:n]
    delims = _positions(arr, ord(delimiter))
    fields = _row_delimiters(delims[np.searchsorted(delims, body_start) :], quotes, r_starts, ncol)
    if fields is None:
        return None
    return _spans_and_plain(arr, r_starts, newlines, fields, ncol, plain, own, on_spans)


def _quoted_line_break(quotes: np.ndarray, newlines: np.ndarray) -> bool:
    """Whether a line feed (at offsets `newlines`) lies inside a quoted field, the quotes
    (an even number, at `quotes`) pairing up in file order as `_quotes_are_simple` proves:
    a line feed is inside the pair of quotes 2k and 2k + 1 exactly when an odd number of
    quotes comes before it (no line feed is a quote)."""
    return bool(np.any(np.searchsorted(quotes, newlines) & 1))


def _row_delimiters(
    delims: np.ndarray, quotes: np.ndarray, r_starts: np.ndarray, ncol: int
) -> Optional[np.ndarray]:
    """Each row's delimiters outside quotes, as an (rows, ncol - 1) array, when every row
    holds exactly ``ncol - 1`` of them (``ncol`` fields as the csv module counts them); else
    None. `delims` are the body's delimiter offsets and `quotes` its quote offsets; row i is
    [r_starts[i], r_starts[i + 1]) and the last row runs to the end of the file.

    Valid where `_quotes_are_simple` holds, the codec is ASCII-safe and no quoted field
    spans a line (the caller's preconditions): quotes then pair up in file order (quote 2k
    opens a field, 2k+1 closes it), so the delimiters inside quotes are those between the
    two quotes of a pair. Once they are taken out, the file's unquoted delimiters, in order,
    are the rows' when and only when there are ``rows * (ncol - 1)`` of them and each row
    holds its own block of ``ncol - 1``: a row holding its block holds at least ``ncol - 1``,
    and the total leaves none over. Every column's field bounds are then a column of the
    array (what counting each row's delimiters and finding each field's did in several
    passes)."""
    n, width = r_starts.size, ncol - 1
    if quotes.size and delims.size:
        first = np.searchsorted(delims, quotes[0::2])  # each pair's first delimiter inside
        past = np.searchsorted(delims, quotes[1::2])  # and the first after it
        holds = past > first  # pairs holding a delimiter: their ranges are disjoint and
        # ordered, so a range's start and end are each unique (an end may be the next start)
        step = np.zeros(delims.size + 1, dtype=np.int8)
        step[first[holds]] += 1
        step[past[holds]] -= 1
        inside = np.cumsum(step[:-1], dtype=np.int8).view(bool)
        delims = delims[~inside]
    if delims.size != n * width:
        return None
    fields = delims.reshape(n, width)
    if n and width:
        after = np.append(r_starts[1:], np.iinfo(np.int64).max)
        if not (np.all(fields[:, 0] >= r_starts) and np.all(fields[:, -1] < after)):
            return None
    return fields


def _spans_and_plain(
    arr: np.ndarray,
    r_starts: np.ndarray,
    newlines: np.ndarray,
    fields: np.ndarray,
    ncol: int,
    plain: tuple[int, ...],
    own: tuple[int, ...],
    on_spans: _OnSpans = None,
) -> tuple[tuple[int, ...], _Spans]:
    """(the columns of `plain` holding only plain numbers, the value spans of the `own`
    columns), from each row's unquoted delimiters (`_row_delimiters`). The `own` spans are
    given to `on_spans` first, so that their cuts can start while `plain` is checked."""
    if not plain and not own:
        return (), []
    ends = _line_ends(arr, r_starts, newlines, r_starts.size)
    spans = [_field_span(r_starts, ends, fields, ncol, column) for column in own]
    if on_spans is not None:
        on_spans(spans)
    numbers = [_field_span(r_starts, ends, fields, ncol, column) for column in plain]
    proven = tuple(c for c, span in zip(plain, numbers) if _plain_numbers(arr, *span))
    return proven, spans


def _field_span(
    r_starts: np.ndarray, ends: np.ndarray, fields: np.ndarray, ncol: int, column: int
) -> tuple[np.ndarray, np.ndarray]:
    """Start and end offsets of one column's value in every row (quotes included), between
    the row's unquoted delimiters (`_row_delimiters`) or its start and end."""
    start = r_starts if column == 0 else fields[:, column - 1] + 1
    end = ends if column == ncol - 1 else fields[:, column]
    return start, end


def _line_ends(arr: np.ndarray, r_starts: np.ndarray, newlines: np.ndarray, n: int) -> np.ndarray:
    """Where each of the `n` rows starting at `r_starts` ends (line feed and CR excluded)."""
    ends = np.append(newlines, arr.size)[:n]
    return ends - ((ends > r_starts) & (arr[np.maximum(ends - 1, 0)] == 13))


# The longest value `_plain_numbers` accepts: 15 digits are exact in a float64 whichever way
# they are read, so the C parser and pd.to_numeric cannot disagree on them.
_PLAIN_NUMBER_BYTES = 15

# Byte classes for `_plain_numbers`: digits, the dot, the minus sign, anything else.
_DIGIT, _DOT, _MINUS, _OTHER = 1, 2, 4, 8
_NUMBER_CLASS = np.full(256, _OTHER, dtype=np.uint8)
_NUMBER_CLASS[48:58] = _DIGIT
_NUMBER_CLASS[46] = _DOT
_NUMBER_CLASS[45] = _MINUS


def _plain_numbers(arr: np.ndarray, start: np.ndarray, end: np.ndarray) -> bool:
    """Whether every value [start[i], end[i]) of one column is blank or a plain decimal,
    ``-?[0-9]+(\\.[0-9]+)?`` of at most 15 bytes: text that pandas' C parser (float64, blank
    as NaN) and ``pd.to_numeric`` turn into the very same float, so parsing the column as
    numbers changes nothing the readers compute. Checked with numpy over a (rows, width)
    array of the values' byte classes (taken from a sliding window over the file, so no
    (rows, width) array of offsets is built)."""
    lengths = end - start
    if lengths.size == 0:
        return True
    if int(lengths.min()) < 0 or int(lengths.max()) > _PLAIN_NUMBER_BYTES:
        return False
    width = int(lengths.max())
    if width == 0:
        return True
    if arr.size < width:
        return False  # (cannot happen: a value lies inside the file)
    if _all_digits(arr, start, lengths, width):
        return True
    windows = np.lib.stride_tricks.sliding_window_view(arr, width)
    values = windows[np.minimum(start, arr.size - width)]
    late = np.flatnonzero(start > arr.size - width)  # values in the file's last bytes
    if late.size:
        pos = np.arange(width, dtype=np.int64)
        values[late] = arr[np.minimum(start[late, None] + pos[None, :], arr.size - 1)]
    inside = np.arange(width)[None, :] < lengths[:, None]
    classes = np.where(inside, _NUMBER_CLASS[values], 0)
    if np.any(classes & _OTHER):
        return False
    if np.any(classes[:, 1:] & _MINUS):  # a minus sign only first
        return False
    if np.any(np.count_nonzero(classes & _DOT, axis=1) > 1):
        return False
    rows = np.flatnonzero(lengths > 0)
    if rows.size == 0:
        return True
    size = lengths[rows]
    if not np.all(classes[rows, size - 1] == _DIGIT):  # ends with a digit: no "5." nor "-"
        return False
    first = classes[rows, 0]
    second = classes[rows, np.minimum(1, width - 1)]
    signed = (first == _MINUS) & (size >= 2) & (second == _DIGIT)
    return bool(np.all((first == _DIGIT) | signed))  # "-5", never ".5", "-.5" or "--5"


# `_all_digits`: for a value of n bytes (0..8), the mask of its bytes in the little-endian
# 8-byte word that starts at it.
_WORD_MASKS = np.array([(1 << (8 * n)) - 1 for n in range(8)] + [(1 << 64) - 1], dtype=np.uint64)
_ZEROS, _DIGIT_ADD, _HIGH_BITS = (np.uint64(int(b * 8, 16)) for b in ("30", "76", "80"))


def _all_digits(arr: np.ndarray, start: np.ndarray, lengths: np.ndarray, width: int) -> bool:
    """Whether every value arr[start[i] : start[i] + lengths[i]] (at most 8 bytes) is blank
    or all ASCII digits, which `_plain_numbers` accepts (a BNG easting or northing): the
    plain-number check's common case, in a few passes over one 8-byte word per value
    instead of a (rows, width) array of byte classes. False also when the words cannot be
    read (the caller then checks byte by byte, and decides). A value's bytes are xored with
    "0" (a digit becomes 0..9) and bytes past its end masked to 0; a byte of 0..9 plus
    0x76 stays below 0x80, any other byte below 0x80 reaches it (no carry out of a byte),
    and a byte from 0x80 has its own high bit set."""
    if width > 8 or arr.size < 8 or not arr.flags.c_contiguous or int(start.max()) > arr.size - 8:
        return False
    words = np.ndarray((arr.size - 7,), dtype="<u8", buffer=arr, strides=(1,))[start]
    digits = (words ^ _ZEROS) & _WORD_MASKS[lengths]
    return not np.any((digits | (digits + _DIGIT_ADD)) & _HIGH_BITS)


def _quote_free_plain(
    arr: np.ndarray,
    body_start: int,
    delimiter: str,
    n: int,
    ncol: int,
    plain: tuple[int, ...],
    own: tuple[int, ...] = (),
    newlines: Optional[np.ndarray] = None,
    on_spans: _OnSpans = None,
) -> Optional[tuple[tuple[int, ...], _Spans]]:
    """(the columns of `plain` holding only plain numbers, the value spans of the `own`
    columns) in a quote-free body whose rows are its lines; None when a row does not have
    exactly `ncol` fields. `newlines`: the body's line feeds, when the caller has them;
    `on_spans` as in `_spans_and_plain`."""
    if newlines is None:
        newlines = _positions(arr, 10)
        newlines = newlines[newlines >= body_start]
    r_starts = np.concatenate(([body_start], newlines + 1))[:n]
    delims = _positions(arr, ord(delimiter))
    no_quotes = np.zeros(0, dtype=np.int64)
    body_delims = delims[np.searchsorted(delims, body_start) :]
    fields = _row_delimiters(body_delims, no_quotes, r_starts, ncol)
    if fields is None:
        return None
    return _spans_and_plain(arr, r_starts, newlines, fields, ncol, plain, own, on_spans)


def _fast_scan(
    data: bytes,
    encoding: str,
    codec: str,
    delimiter: str,
    header: list[str],
    header_end: int,
    numeric: tuple[int, ...],
    plain: tuple[int, ...] = (),
    on_numbers: Optional[Callable[[dict[str, np.ndarray]], None]] = None,
    quotes: Optional[np.ndarray] = None,
    trim: tuple[int, ...] = (),
) -> Optional[ScannedCsv]:
    """The common case without per-row offsets: one row per line, no quoted newlines, no
    blank lines, every row well formed. Finding the offsets of half a million newlines costs
    more than parsing, so a quote-free file only has its bytes counted; a file with quoted
    fields (a force extract's free-text notes) has its rows' fields counted with numpy (see
    `_quoted_delimiters`). Anything unusual returns None and the exact scan runs instead,
    whose result this path must equal. Columns in `plain` proved to hold only plain numbers
    (`_plain_numbers`) are parsed as numbers, from the field offsets found on the way.
    `quotes`: the file's quote offsets (`_quote_positions`), when the caller has them.
    `trim`: the columns to look at for `ScannedCsv.trimmed`."""
    arr = np.frombuffer(data, dtype=np.uint8)
    body_start = header_end + 1
    ncol = len(header)
    body = memoryview(data)[header_end:]

    own = _own_text_columns(data, body_start, codec, delimiter, ncol, numeric + plain)

    def rows_check(on_spans: _OnSpans = None) -> Optional[tuple[int, tuple[int, ...], _Spans]]:
        """(the body's rows, the columns of `plain` proven to hold only plain numbers, the
        value spans of the `own` columns), or None unless every row is one line of exactly
        `ncol` fields. `on_spans`: given the `own` spans as soon as they are found."""
        if body_start >= len(data):
            empty = np.zeros(0, dtype=np.int64)
            return 0, (), [(empty, empty) for _ in own]
        # the body's line feeds, found block by block (a whole-file comparison's 112 MB
        # temporary cost three times as much), are every later step's rows
        newlines = _positions(arr, 10)
        newlines = newlines[newlines >= body_start]
        n = int(newlines.size) + (0 if data.endswith(b"\n") else 1)
        if data.find(b'"', body_start) >= 0:
            found = _fast_quoted_counts_ok(
                arr,
                data,
                body_start,
                delimiter,
                codec,
                n,
                ncol,
                plain,
                own,
                newlines,
                quotes,
                on_spans,
            )
            return None if found is None else (n, *found)
        total = int(np.count_nonzero(arr[body_start:] == ord(delimiter)))
        if total != n * (ncol - 1):
            return None
        if (plain or own) and _ascii_safe(codec):
            spanned = _quote_free_plain(
                arr, body_start, delimiter, n, ncol, plain, own, newlines, on_spans
            )
            return None if spanned is None else (n, *spanned)
        return n, (), []

    cuts = _SharedCuts(data, codec, quotes, [k for k, c in enumerate(own) if c in trim])

    def rows_check_and_cut() -> Optional[tuple[int, tuple[int, ...], _Spans]]:
        """`rows_check`, then the `own` columns' values cut where it found their spans (in
        its thread, beside the parse, when there is one), shared with the calling thread
        once that has parsed (`_SharedCuts`)."""
        rows: Optional[tuple[int, tuple[int, ...], _Spans]] = None
        try:
            rows = rows_check(cuts.publish)  # the spans, as soon as found (before `plain`)
        finally:  # (a second publish is ignored)
            cuts.publish(None if rows is None or len(rows[2]) != len(own) else rows[2])
        cuts.cut(from_narrowest=True)
        return rows

    frame: Optional[pd.DataFrame] = None
    if len(body) < _CHECK_BESIDE_FROM_BYTES:
        rows = rows_check_and_cut()
    else:
        # The rows' checks (numpy, mostly without Python's lock) run in a thread while pandas
        # parses the body here, taking the `plain` columns as numbers; that frame is used when
        # the checks pass and prove them plain, else the body is parsed again as they say.
        checked = background.beside(rows_check_and_cut, "csv-rows-check")
        try:
            frame = _read_frame(
                body,
                ncol,
                codec,
                delimiter,
                numeric + plain,
                as_text=False,
                lines_are_rows=True,
                skip=own,
            )
        except (pd.errors.ParserError, pd.errors.ParserWarning):
            checked()  # (the thread is not left running)
            return None
        except ValueError:  # a value in a numeric column is not a number: parsed again
            frame = None
        try:
            if on_numbers is not None and frame is not None and plain:
                on_numbers({header[i]: frame[f"c{i}"].to_numpy() for i in plain})
            cuts.cut(from_narrowest=False)  # the widest columns, while the thread cuts
        finally:
            rows = checked()  # (the thread is not left running)
    if rows is None:
        return None
    n, proven, _spans = rows
    own_values = cuts.values() if len(_spans) == len(own) else []
    if len(own_values) != len(own):  # (a codec the spans are not found for)
        own, own_values = (), []
        frame = None
    if frame is None or proven != plain:
        try:
            frame = _read_frame(
                body, ncol, codec, delimiter, numeric + proven, lines_are_rows=True, skip=own
            )
        except (pd.errors.ParserError, pd.errors.ParserWarning):
            return None
    if len(frame) != n:  # blank lines (pandas skips them) or line endings read otherwise
        return None
    trimmed = frozenset(header[c] for k, c in enumerate(own) if cuts.trimmed(k))
    if own:
        _insert_own_text(frame, own, own_values)
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
        trimmed=trimmed,
        delimiter=delimiter,
    )


# Bytes that may begin or end a value str.strip() changes: the ASCII characters str.isspace()
# takes as space (tab to carriage return, the separators 0x1C-0x1F, the space), and every
# byte from 0x80, which may start or end a character that is space in the codec (NBSP is
# 0xA0 in cp1252 and C2 A0 in UTF-8; U+3000, U+0085, ...). Refusing them all is safe: a
# column is then simply not named trimmed, and the reader strips it as ever.
_EDGE_UNSAFE = np.zeros(256, dtype=bool)
_EDGE_UNSAFE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True
_EDGE_UNSAFE[0x80:] = True


def _trimmed(arr: np.ndarray, start: np.ndarray, end: np.ndarray) -> bool:
    """Whether every value [start[i], end[i]) of one column cut by `_own_text` (quotes
    included) is non-empty with no space at either end, from its first and last byte. A
    quoted value's text is what lies inside its quotes with each doubled quote made one, so
    its first and last characters are those bytes' (a quote stays a quote); an ASCII-safe
    codec (the only kind cut) reads a byte below 0x80 as that ASCII character."""
    if start.size == 0:
        return True
    quoted = (end > start) & (arr[np.minimum(start, arr.size - 1)] == 34)
    first, last = start + quoted, end - quoted
    if not bool(np.all(last > first)):
        return False
    return not bool(np.any(_EDGE_UNSAFE[arr[first]]) or np.any(_EDGE_UNSAFE[arr[last - 1]]))


class _SharedCuts:
    """The `own` columns' cuts (`_own_text`), shared by the rows' checks thread and the
    thread that parses beside it. The checks thread publishes the spans, then cuts from the
    narrowest column up (`_narrow_ascii_text`: numpy, mostly without Python's lock); the
    parsing thread, which would otherwise sit waiting for it, waits for the spans and cuts
    from the widest down (the free-text notes, cut value by value). Each column is cut once,
    by whichever thread claims it first, and the values are the same whichever does. A cut
    that raises is raised by `values`, the first in column order, as a cut on one thread in
    column order would."""

    def __init__(
        self,
        data: bytes,
        codec: str,
        quotes: Optional[np.ndarray] = None,
        trim: Sequence[int] = (),
    ) -> None:
        self._data, self._codec, self._quotes = data, codec, quotes
        self._trim = frozenset(trim)  # the columns (by place) to judge for `trimmed`
        self._trimmed: set[int] = set()
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._spans: _Spans = []
        self._todo: list[int] = []  # the columns not yet claimed, narrowest first
        self._done: dict[int, Any] = {}  # column -> values, or the exception its cut raised

    def publish(self, spans: Optional[_Spans]) -> None:
        """The `own` columns' spans, or None when there is nothing to cut (always called,
        even when the checks fail, so that a waiting thread is released). Only the first
        call counts: the spans are published as soon as they are found, and again (or None,
        if the checks then fail) when the checks end."""
        if self._ready.is_set():
            return
        if spans is not None:
            self._spans = spans
            widths = [int((end - start).max()) if start.size else 0 for start, end in spans]
            self._todo = sorted(range(len(spans)), key=lambda i: (widths[i], i))
        self._ready.set()

    def cut(self, from_narrowest: bool) -> None:
        """Claim and cut columns until none is left (after the spans are published)."""
        self._ready.wait()
        while True:
            with self._lock:
                if not self._todo:
                    return
                i = self._todo.pop(0 if from_narrowest else -1)
            start, end = self._spans[i]
            try:
                if i in self._trim:
                    edges: list = []
                    self._done[i] = _own_text_and_edges(
                        self._data, self._codec, start, end, self._quotes, edges
                    )
                    if edges == [True]:
                        self._trimmed.add(i)
                else:
                    self._done[i] = _own_text(self._data, self._codec, start, end, self._quotes)
            except Exception as exc:  # noqa: BLE001 - raised by `values`, in column order
                self._done[i] = exc

    def trimmed(self, i: int) -> bool:
        """Whether column i (by place) was judged, and every value in it is non-empty with
        no space at either end (`_own_text_and_edges`), once both threads have cut."""
        return i in self._trimmed

    def values(self) -> list:
        """Every column's values, in `own` order, once both threads have stopped cutting."""
        out = []
        for i in range(len(self._spans)):
            value = self._done[i]
            if isinstance(value, Exception):
                raise value
            out.append(value)
        return out


# Bodies smaller than this have their rows checked before they are parsed, on the calling
# thread (a thread costs more than it saves); larger ones beside the parse.
_CHECK_BESIDE_FROM_BYTES = 4 << 20

# Bodies from this size have their mostly distinct text columns (references, free-text notes,
# officers: half a million different values) cut from the bytes rather than made by pandas,
# whose C parser looks every value up in a hash table of the values it has made so far (a
# force extract's three such columns took 1.0 of its 1.7 s parse; cut, they take ~0.45 s).
_OWN_TEXT_FROM_BYTES = 4 << 20
_OWN_TEXT_SAMPLE_ROWS = 2000


def _own_text_columns(
    data: bytes, body_start: int, codec: str, delimiter: str, ncol: int, parsed: tuple[int, ...]
) -> tuple[int, ...]:
    """The columns (not in `parsed`) with four in five of the values in the body's first
    rows distinct, for the fast scan to cut from the bytes (`_own_text`): references, notes
    and officers, not times, places or LSOAs (pandas makes each of their few thousand values
    once). Only the speed depends on the choice: a column is the same text either way."""
    if len(data) - body_start < _OWN_TEXT_FROM_BYTES or not _ascii_safe(codec) or ncol < 2:
        return ()
    end = body_start
    for _ in range(_OWN_TEXT_SAMPLE_ROWS):
        found = data.find(b"\n", end)
        if found < 0:
            break
        end = found + 1
    sample = data[body_start:end].decode(codec, errors="replace")
    try:
        rows = [r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)]
    except csv.Error:
        return ()
    rows = [r for r in rows if len(r) == ncol]
    if len(rows) < 100:
        return ()
    own = tuple(
        c for c in range(ncol) if c not in parsed and 5 * len({r[c] for r in rows}) >= 4 * len(rows)
    )
    return own if len(own) < ncol else own[1:]  # pandas parses one column at least


def _own_text(
    data: bytes,
    codec: str,
    start: np.ndarray,
    end: np.ndarray,
    quotes: Optional[np.ndarray] = None,
) -> np.ndarray:
    """The values [start[i], end[i]) of one column as pandas' C parser reads them (see
    `_own_text_and_edges`)."""
    return _own_text_and_edges(data, codec, start, end, quotes, None)


def _own_text_and_edges(
    data: bytes,
    codec: str,
    start: np.ndarray,
    end: np.ndarray,
    quotes: Optional[np.ndarray] = None,
    edges: Optional[list] = None,
) -> np.ndarray:
    """The values [start[i], end[i]) of one column of a body with simple quotes (see
    `_quotes_are_simple`) whose rows are its lines, as pandas' C parser reads them: a field
    opening with a quote is quoted, so its value is what lies between its first and last
    byte with each doubled quote made one (the only quotes inside it); any other field holds
    no quote and is taken as it is. `quotes`: every quote byte's offset in the file, when
    the caller has them (the values to unescape are then found from them). `edges`: given
    a list, appends whether every value is non-empty with no space at either end, judged
    from the bytes (`_trimmed`; False for a codec that is not ASCII-safe)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    if start.size == 0:
        if edges is not None:
            edges.append(True)
        return np.zeros(0, dtype=object)
    quoted = (end > start) & (arr[np.minimum(start, arr.size - 1)] == 34)
    first, last = start + quoted, end - quoted
    ascii_safe = _ascii_safe(codec)
    narrow = _narrow_ascii_text(arr, first, last - first, edges) if ascii_safe else None
    if narrow is None and edges is not None:
        edges.append(ascii_safe and _trimmed(arr, start, end))
    if narrow is None:
        values = _decoded(data, codec, first, last)
        for i in _doubled_quote_rows(quoted, first, last, quotes).tolist():
            if '"' in values[i]:
                values[i] = values[i].replace('""', '"')
        return values
    out, rows = narrow  # the rows numpy could not make are cut one by one
    for i in rows.tolist():
        value = data[int(first[i]) : int(last[i])].decode(codec)
        out[i] = value.replace('""', '"') if quoted[i] else value
    return out


# numpy 1.23 and later make an object array from an iterator (np.fromiter), without the
# list np.array needs and without looking for nested sequences in it.
_FROMITER_OBJECTS = np.lib.NumpyVersion(np.__version__) >= "1.23.0"


def _decoded(data: bytes, codec: str, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """``data[first[i]:last[i]].decode(codec)`` of every i, as an object array: sliced and
    decoded by C-level maps (no Python-level loop body per value)."""
    sliced = map(data.__getitem__, map(slice, first.tolist(), last.tolist()))
    # bytes.decode's default is strict UTF-8, the same as .decode("utf-8")
    text = map(bytes.decode, sliced) if codec == "utf-8" else map(str, sliced, repeat(codec))
    if _FROMITER_OBJECTS:
        return np.fromiter(text, dtype=object, count=first.size)
    return np.array(list(text), dtype=object)


def _doubled_quote_rows(
    quoted: np.ndarray, first: np.ndarray, last: np.ndarray, quotes: Optional[np.ndarray]
) -> np.ndarray:
    """The quoted rows whose value [first[i], last[i]) may hold a quote (so a doubled one to
    make one). Without `quotes`, every quoted row. With them (every quote byte's offset),
    only the rows holding two adjacent quotes within their value: a value without a
    doubled quote has no pair to replace, so leaving it out changes nothing."""
    if quotes is None or first.size == 0:
        return np.flatnonzero(quoted)
    pairs = quotes[:-1][quotes[1:] == quotes[:-1] + 1]  # the first quote of each adjacent two
    row = np.searchsorted(first, pairs, side="right") - 1  # (the values are in file order)
    held = row >= 0
    pairs, row = pairs[held], row[held]
    inside = (pairs >= first[row]) & (pairs + 1 < last[row]) & quoted[row]
    return np.unique(row[inside])


# `_narrow_ascii_text` takes columns whose values are at most this many bytes (references,
# officers: the per-value cut costs twice as much there); wider ones cost it as much memory
# traffic as it saves, and are cut value by value.
_NARROW_TEXT_BYTES = 32
_NARROW_TEXT_ROWS = 1 << 17  # rows per block (a block's arrays: rows x width x 5 bytes)


def _narrow_ascii_text(
    arr: np.ndarray, first: np.ndarray, lengths: np.ndarray, edges: Optional[list] = None
) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """The values arr[first[i] : first[i] + lengths[i]] as str, made by numpy in blocks of
    rows (a (rows, width) array of each value's bytes, zero past its end, read as a numpy
    unicode array whose code points are the bytes), with the rows numpy cannot make: those
    holding a byte that is not ASCII (decoded by the codec), a NUL (a unicode array drops
    trailing NULs) or a quote (a doubled quote to be made one). None when the column is too
    wide for it. Only for codecs in which an ASCII byte is that character (`_ascii_safe`).
    `edges`: given a list, appends whether every value is non-empty with neither its first
    nor its last byte one that may be space (`_EDGE_UNSAFE`), judged from the bytes each
    block holds anyway (`_trimmed` reads them from the file again)."""
    width = int(lengths.max()) if lengths.size else 0
    if width > _NARROW_TEXT_BYTES or arr.size < width or int(lengths.min()) < 0:
        return None
    n = first.size
    if width == 0:
        out = np.empty(n, dtype=object)
        out.fill("")
        if edges is not None:
            edges.append(n == 0)
        return out, np.zeros(0, dtype=np.int64)
    windows = np.lib.stride_tricks.sliding_window_view(arr, width)
    clean = True
    place = np.arange(width)[None, :]
    unicode = np.dtype((np.str_, width))
    out = np.empty(n, dtype=object)
    odd = []
    for a in range(0, n, _NARROW_TEXT_ROWS):
        at = first[a : a + _NARROW_TEXT_ROWS]
        size = lengths[a : a + _NARROW_TEXT_ROWS]
        inside = place < size[:, None]
        block = windows[np.minimum(at, arr.size - width)]
        late = np.flatnonzero(at > arr.size - width)  # values in the file's last bytes
        if late.size:
            block[late] = arr[np.minimum(at[late, None] + place, arr.size - 1)]
        block = np.where(inside, block, 0)
        unusual = inside & ((block == 0) | (block >= 0x80) | (block == 34))
        odd.append(np.flatnonzero(unusual.any(axis=1)) + a)
        out[a : a + _NARROW_TEXT_ROWS] = block.astype(np.uint32).view(unicode).ravel()
        if edges is not None and clean:
            last = block[np.arange(size.size), np.maximum(size - 1, 0)]
            clean = not bool(
                np.any(size == 0) or np.any(_EDGE_UNSAFE[block[:, 0]]) or np.any(_EDGE_UNSAFE[last])
            )
    if edges is not None:
        edges.append(clean)
    return out, np.concatenate(odd)


def _insert_own_text(frame: pd.DataFrame, own: tuple[int, ...], values: list) -> None:
    """Put the `own` columns, cut from the bytes, in their places among the parsed ones."""
    for column, cut in sorted(zip(own, values), key=lambda pair: pair[0]):
        frame.insert(column, f"c{column}", cut)


def _scan(
    data: bytes,
    encoding: str,
    codec: str,
    delimiter: str,
    header: list[str],
    header_end: int,
    numeric: tuple[int, ...],
    clean: bool,
    control: bool = False,
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
    # Rows holding a control character are set aside whole, like undecodable ones: their
    # fields are never parsed (pandas would cut a cell short at a NUL and accept the row).
    controlled = np.zeros(n, dtype=bool)
    if n and control:
        where = np.searchsorted(r_starts, _control_positions(arr), side="right") - 1
        controlled[where[where >= 0]] = True
        controlled &= ~undecodable
        undecodable = undecodable | controlled

    # Field counts. Rows with quotes are counted as the csv module splits them. For the
    # rest, if the file's delimiter total is exactly what well-formed rows need, every row
    # is well formed unless one has too many fields and another too few, which pandas
    # reports as a parser error; only then (or when the total is off) are rows counted one
    # by one.
    ncol = len(header)
    quoted = np.zeros(n, dtype=bool)
    quoted[quoted_rows] = True
    quoted &= ~undecodable
    delims = _positions(arr, ord(delimiter))
    raw_delims = _delimiter_counts(delims, r_starts, arr.size)
    quoted_counts = _quoted_field_counts(
        data, delims, r_starts, r_ends, quotes, quoted, raw_delims, codec, delimiter
    )
    quoted_raw = int(raw_delims[quoted].sum())
    plain = n - int(quoted.sum()) - int(undecodable.sum())
    body = arr[int(ends[first]) :]
    plain_total = int(np.count_nonzero(body == ord(delimiter))) - quoted_raw
    undecodable_raw = int(raw_delims[undecodable].sum())
    exact = plain_total - undecodable_raw != plain * (ncol - 1)
    while True:
        counts = raw_delims + 1 if exact else np.full(n, ncol, dtype=np.int64)
        counts[quoted] = quoted_counts[quoted]
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
                controlled,
                blank_lines,
                n,
                whole_body and not exact,
                numeric,
            )
        except (pd.errors.ParserError, pd.errors.ParserWarning):
            if exact:
                raise
            exact = True


def _control_detail(raw: bytes) -> str:
    found = sorted(set(_CONTROL.findall(raw)))
    names = ", ".join(f"0x{b[0]:02X}" for b in found[:5])
    return f"holds control character(s) {names}; a cell would be changed if it were read"


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
    controlled: np.ndarray,
    blank_lines: int,
    n: int,
    whole_body: bool,
    numeric: tuple[int, ...],
) -> ScannedCsv:
    """Set aside the bad rows, parse the good ones."""
    wrong = (counts != len(header)) & ~undecodable
    bad = wrong | undecodable
    bad_idx = np.flatnonzero(bad)
    bad_lines: list[int] = []
    bad_reasons: list[str] = []
    bad_details: list[str] = []
    bad_raw: list[str] = []
    bad_fields: list[Optional[list[str]]] = []
    for i in bad_idx:
        raw_bytes = data[r_starts[i] : r_ends[i]]
        bad_lines.append(int(lines[i]))
        if controlled[i]:
            bad_reasons.append("control_characters")
            bad_details.append(_control_detail(raw_bytes))
            bad_raw.append(raw_bytes.decode(codec, errors="backslashreplace"))
            bad_fields.append(None)
        elif undecodable[i]:
            bad_reasons.append("undecodable_bytes")
            bad_details.append(f"not valid {encoding}")
            bad_raw.append(raw_bytes.decode(codec, errors="backslashreplace"))
            bad_fields.append(None)
        else:
            text = raw_bytes.decode(codec)
            fields = _split_fields(text, delimiter)
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
        delimiter=delimiter,
    )


def _read_frame(
    body,
    ncol: int,
    codec: str,
    delimiter: str,
    numeric: tuple[int, ...] = (),
    as_text: bool = True,
    lines_are_rows: bool = False,
    skip: tuple[int, ...] = (),
) -> pd.DataFrame:
    """pandas' C parser over rows believed well formed, every value kept as text but the
    `numeric` columns' (float64, blank as NaN; if a value there is not a number, every
    column is read as text instead, or with ``as_text=False`` the ValueError is raised).
    The `skip` columns (never numeric ones) are tokenized but left out of the frame.

    A row with too many fields raises ParserError (or ParserWarning, turned into an error,
    when it is the first row), so the caller can fall back to counting fields row by row.
    With ``lines_are_rows`` (no record spans a line break, or the frame is dropped when one
    does) a large body is read as two halves at once (see `_read_csv`).
    """
    names = [f"c{i}" for i in range(ncol)]
    options: dict[str, Any] = dict(
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
    if skip:
        options["usecols"] = [name for i, name in enumerate(names) if i not in skip]
    # (the filter is the process's: it holds for the second half's thread too, which ends
    # before it is lifted)
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        if numeric:
            try:
                return _read_csv(
                    body,
                    lines_are_rows,
                    **options,
                    dtype={n: (np.float64 if i in numeric else str) for i, n in enumerate(names)},
                    na_values={names[i]: [""] for i in numeric},
                    na_filter=True,
                )
            except ValueError as exc:
                if isinstance(exc, pd.errors.ParserError) or not as_text:
                    raise
        return _read_csv(body, lines_are_rows, **options, dtype=str, na_filter=False)


# Bodies whose rows are their lines are read as two halves at once from this size: pandas'
# tokenizer works without Python's lock, so the halves share two cores.
_HALVES_FROM_BYTES = 8 << 20


def _read_csv(body, lines_are_rows: bool, **options: Any) -> pd.DataFrame:
    """``pd.read_csv`` of `body` (bytes or a memoryview); with ``lines_are_rows`` a large
    body is cut at the first line feed after its middle and the second half read in a thread
    while the first is read here, the frames then stacked (the values and dtypes of one
    read: each half's rows are whole lines, so whole records)."""
    size = len(body)
    cut = -1
    if lines_are_rows and size >= _HALVES_FROM_BYTES:
        window = bytes(body[size // 2 : size // 2 + (1 << 20)])
        found = window.find(b"\n")
        if found >= 0 and size // 2 + found + 1 < size:
            cut = size // 2 + found + 1
    if cut < 0:
        return pd.read_csv(io.BytesIO(body), **options)
    second = background.beside(
        lambda: pd.read_csv(io.BytesIO(body[cut:]), **options), "csv-second-half"
    )
    try:
        first = pd.read_csv(io.BytesIO(body[:cut]), **options)
    except BaseException:
        try:
            second()  # the thread is never left running
        except BaseException:  # noqa: BLE001 - the first half's error comes first in the file
            pass
        raise
    return pd.concat([first, second()], ignore_index=True)


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


# --- the exact path: damaged files, read record by record with Python's csv module ---------


def _scan_exact(head: CsvHead) -> ScannedCsv:
    """Split a damaged file exactly as ``csv.reader(open(path, newline=""))`` does.

    Lines end at a line feed, a CR LF or a bare carriage return (the csv module's own line
    splitting), each line is decoded on its own (an undecodable byte spoils only its record),
    and every record the csv module yields is counted once: accepted, or set aside with a
    reason. Records the csv module would read with a changed cell are set aside too: text
    after a closing quote (``"5" blade``: the quotes would vanish), a quote never closed
    (``unclosed_quote``), a control character, or a record cut short by a bare carriage return.
    """
    data, codec, delimiter, header = head.data, head.codec, head.delimiter, head.header
    arr = np.frombuffer(data, dtype=np.uint8)
    newlines = _positions(arr, 10)
    bare = _bare_carriage_returns(arr)
    terminators = np.union1d(newlines, bare)
    terminators = terminators[terminators >= head.header_start]
    line_starts = np.concatenate(([head.header_start], terminators + 1)).astype(np.int64)
    line_ends = np.concatenate((terminators + 1, [arr.size])).astype(np.int64)
    keep = line_starts < arr.size
    line_starts, line_ends = line_starts[keep], line_ends[keep]
    ends_bare = np.isin(line_ends - 1, bare)  # the line ends at a bare carriage return
    physical = np.searchsorted(newlines, line_starts) + 1  # numbered by line feeds, as grep -n

    consumed = [0]
    undecodable_lines: set[int] = set()

    def lines() -> Iterator[str]:
        for i, (s, e) in enumerate(zip(line_starts.tolist(), line_ends.tolist())):
            consumed[0] = i + 1
            chunk = data[s:e]
            try:
                yield chunk.decode(codec)
            except UnicodeDecodeError:
                undecodable_lines.add(i)
                yield chunk.decode(codec, errors="surrogateescape")

    _allow_long_fields()
    reader = csv.reader(lines(), delimiter=delimiter, strict=False)
    ncol = len(header)
    first_record = True
    blank_lines = 0
    good_spans: list[tuple[int, int, int]] = []  # (start, end, line) of records to parse
    quoted_fields: dict[int, list[str]] = {}  # index into good_spans -> the csv module's fields
    bad_lines: list[int] = []
    bad_reasons: list[str] = []
    bad_details: list[str] = []
    bad_raw: list[str] = []
    bad_fields: list[Optional[list[str]]] = []
    previous = 0
    while True:
        failure = None
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # Python < 3.11 refuses a NUL; the reader resumes after it
            fields, failure = None, str(exc)
        first, last = previous, consumed[0] - 1
        previous = consumed[0]
        if last < first:
            break
        start, end = int(line_starts[first]), int(line_ends[last])
        end = _strip_line_end(data, start, end)
        if first_record:
            first_record = False
            if fields is not None and [f.strip() for f in fields] != header:
                header = [f.strip() for f in fields]  # a header with a quoted line break
                if len(header) > MAX_COLUMNS or len(header) < 2:
                    raise NotCsvError("no usable header row")
                _check_names(header)
                ncol = len(header)
            continue
        if fields == [] and start == end:
            blank_lines += 1
            continue
        raw = data[start:end]
        reason, detail = _record_problem(
            raw,
            fields,
            failure,
            ncol,
            delimiter,
            undecodable=any(i in undecodable_lines for i in range(first, last + 1)),
            cut=bool(ends_bare[last] or (first > 0 and ends_bare[first - 1])),
            lines_held=(int(physical[first]), int(physical[last])),
            at_eof=last == line_starts.size - 1,
            encoding=head.encoding,
        )
        if reason is None:
            if b'"' in raw and fields is not None:  # (fields is None only with a reason)
                quoted_fields[len(good_spans)] = fields
            good_spans.append((start, end, int(physical[first])))
            continue
        bad_lines.append(int(physical[first]))
        bad_reasons.append(reason)
        bad_details.append(detail)
        bad_raw.append(raw.decode(codec, errors="backslashreplace"))
        bad_fields.append(None)

    spans = np.array([(s, e) for s, e, _ in good_spans], dtype=np.int64).reshape(-1, 2)
    frame = _frame_of(data, spans, quoted_fields, ncol, codec, delimiter)
    frame.columns = header
    return ScannedCsv(
        encoding=head.encoding,
        header=header,
        frame=frame,
        lines=np.array([line for _, _, line in good_spans], dtype=np.int64),
        bad_lines=bad_lines,
        bad_reasons=bad_reasons,
        bad_details=bad_details,
        bad_raw=bad_raw,
        bad_fields=bad_fields,
        blank_lines=blank_lines,
        rows_read=len(good_spans) + len(bad_lines),
        data=data,
        spans=spans,
        codec=codec,
        delimiter=delimiter,
    )


def _strip_line_end(data: bytes, start: int, end: int) -> int:
    """The end of a record without its line ending (LF, CR LF or a bare CR)."""
    if end > start and data[end - 1] == 10:
        end -= 1
    if end > start and data[end - 1] == 13:
        end -= 1
    return end


def _record_problem(
    raw: bytes,
    fields: Optional[list[str]],
    failure: Optional[str],
    ncol: int,
    delimiter: str,
    *,
    undecodable: bool,
    cut: bool,
    lines_held: tuple[int, int],
    at_eof: bool,
    encoding: str,
) -> tuple[Optional[str], str]:
    """Why a record must not be accepted (reason, detail), or (None, "").

    A quote problem is named first: an unclosed quote holds the rest of the file, whatever
    else those lines hold."""
    if fields is None:
        if _CONTROL.search(raw):
            return "control_characters", _control_detail(raw)
        return "malformed_quotes", f"the csv module cannot read this record ({failure})"
    if b'"' in raw:
        text = raw.decode("latin-1")  # only the quote structure matters here
        try:
            for _ in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True):
                pass
        except csv.Error as exc:
            first, last = lines_held
            if at_eof and "unexpected end of data" in str(exc):
                held = f"lines {first}-{last}" if last > first else f"line {first}"
                return (
                    "unclosed_quote",
                    f"a quote opened on line {first} is never closed: the rest of the file "
                    f"({held}) is this one record",
                )
            return (
                "malformed_quotes",
                "text follows a closing quote (the quotes would be dropped from the cell)",
            )
    if undecodable:
        return "undecodable_bytes", f"not valid {encoding}"
    if _CONTROL.search(raw):
        return "control_characters", _control_detail(raw)
    if cut:
        return (
            "bare_carriage_return",
            "a carriage return without a line feed ends this record early or starts it late; "
            "the row it belongs to is cut in two",
        )
    if len(fields) != ncol:
        return "wrong_field_count", f"expected {ncol} fields, found {len(fields)}"
    return None, ""


def _frame_of(
    data: bytes,
    spans: np.ndarray,
    quoted_fields: dict[int, list[str]],
    ncol: int,
    codec: str,
    delimiter: str,
) -> pd.DataFrame:
    """The accepted records as text columns: quote-free ones parsed by pandas, the few
    with quotes taken as the csv module read them."""
    names = [f"c{i}" for i in range(ncol)]
    plain = np.array([i for i in range(len(spans)) if i not in quoted_fields], dtype=np.int64)
    frame = (
        _parse_rows(data, spans[plain, 0], spans[plain, 1], ncol, codec, delimiter, ())
        if plain.size
        else pd.DataFrame({n: pd.Series([], dtype=object) for n in names})
    )
    if not quoted_fields:
        return frame
    quoted = pd.DataFrame(list(quoted_fields.values()), columns=names, dtype=object)
    order = np.concatenate((plain, np.array(list(quoted_fields), dtype=np.int64)))
    both = pd.concat([frame.set_axis(names, axis=1), quoted], ignore_index=True)
    return both.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)


def _allow_long_fields() -> None:
    """The csv module refuses fields over 128 KiB by default; a 1 MB cell is bad data to
    report, not a reason to stop reading. (The limit is process-wide: only ever raised.)"""
    limit = 2**31 - 1
    if csv.field_size_limit() < limit:
        try:
            csv.field_size_limit(limit)
        except OverflowError:  # a platform with a smaller C long
            csv.field_size_limit(2**31 // 2)
