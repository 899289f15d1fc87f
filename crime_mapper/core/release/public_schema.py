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

import contextlib
import csv
import functools
import hashlib
import io
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Union

import numpy as np
import pandas as pd

from ..common.background import beside
from ..common.csv_safety import FORMULA_START, safe_cell
from ..common.staging import staged_outputs
from ..common.vocabulary import STREET_COLUMNS
from ..load.textscan import read_decoded

PUBLIC_COLUMNS: tuple[str, ...] = STREET_COLUMNS
# Cells written as numbers: the formula-injection guard must not touch them ("-1.1" is data).
NUMERIC_COLUMNS: tuple[str, ...] = ("Longitude", "Latitude")

LOCATION_PREFIX = "On or near "  # police.uk writes this even when the label is empty
NO_LOCATION = "No Location"  # police.uk's Location text for rows published without one
# The public GeoPackage layer's description: fixed text of the tool's own, public by design.
PUBLIC_LAYER_DESCRIPTION = "crime_mapper public release (police.uk street-level format)"
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


# The published salt fingerprint is a slow, salted key derivation (PBKDF2-HMAC-SHA256, from
# the standard library), so it cannot serve to test guesses at the salt: each guess costs a
# third of a second of work per core, on top of the entropy test every salt file must pass
# (release_files.salt_strength). Changing these changes every fingerprint.
FINGERPRINT_KDF_SALT = b"crime_mapper salt fingerprint v2"
FINGERPRINT_ITERATIONS = 600_000
FINGERPRINT_HEX = 16


@functools.lru_cache(maxsize=4)
def _fingerprint(salt: bytes) -> str:
    key = hashlib.pbkdf2_hmac("sha256", salt, FINGERPRINT_KDF_SALT, FINGERPRINT_ITERATIONS)
    return key.hex()[:FINGERPRINT_HEX]


def salt_fingerprint(salt: bytes) -> str:
    """16 hex characters that identify a salt in an audit without revealing it: two releases
    with the same fingerprint used the same salt (so their Crime IDs are comparable). Derived
    slowly (see FINGERPRINT_ITERATIONS), so it is useless for guessing the salt."""
    if isinstance(salt, str):
        salt = salt.encode("utf-8")
    return _fingerprint(bytes(salt))


# Characters that make csv.writer (QUOTE_MINIMAL, LINE_TERMINATOR) quote a cell: the
# delimiter, the quote character and the line-terminator characters.
_QUOTE_TRIGGERS = frozenset(',"' + LINE_TERMINATOR + "\n\r")
_LINE_OR_QUOTE = ('"', "\n", "\r")
_WRITE_CHUNK_ROWS = 65_536


def _csv_quoted(value: str) -> str:
    """One cell exactly as csv.writer writes it (only called for cells it must quote)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=LINE_TERMINATOR, quoting=csv.QUOTE_MINIMAL).writerow([value])
    return buffer.getvalue()[: -len(LINE_TERMINATOR)]


def _per_distinct(values: list, fn: Callable[[str], str]) -> list:
    """``[fn(v) for v in values]``, calling fn once per distinct value (columns that need it
    are low-cardinality: Location, LSOA name...). A dict, not pd.factorize: pandas' string
    hash table stops at a NUL, so "a" and "a\\x00b" would be taken for one value.

    The distinct values (each the first of its equals, as a dict filled in row order keeps
    it) come from a dict made in C, and each row's cell is looked up by ``map`` in C: no
    Python step per row (a national Location column is 500,000 rows of 3,000 labels)."""
    done = dict.fromkeys(values)
    for v in done:
        done[v] = fn(v)
    return list(map(done.__getitem__, values))


def _quote_cell(value: str) -> str:
    return value if _QUOTE_TRIGGERS.isdisjoint(value) else _csv_quoted(value)


def _csv_cells(values: list, guard: bool) -> tuple[list, list, bool]:
    """(cells as written, cells as a CSV reader gives them back, plain) of one column:
    safe_cell applied (when ``guard``) and quoted as csv.writer quotes them.

    Nearly every column needs neither, so the column is joined once (NUL between cells: a
    cell's first character always follows a NUL, or starts the text) and tested with a few
    substring tests in C; only a column that might need it is treated value by value, by
    safe_cell and csv itself. A NUL inside a cell can only cause a needless slow path.

    ``plain``: no cell holds a quote or line break, so each is written either as it is or,
    holding the delimiter, between two quotes with nothing escaped: a reader gives back
    exactly the cells before quoting (core.gate.output_reader.read_written_csv), when they
    are exactly str and hold no NUL (the caller's checks: a subclass's str() may differ
    from its text; pandas' parser stops at a NUL).
    """
    joined = "\x00".join(values)
    if guard and (
        joined.startswith(FORMULA_START)
        or any(c in joined and "\x00" + c in joined for c in FORMULA_START)
    ):
        values = _per_distinct(values, safe_cell)
        joined = "\x00".join(values)
    if not any(c in joined for c in _QUOTE_TRIGGERS):
        return values, values, True
    plain = not any(c in joined for c in _LINE_OR_QUOTE)
    return _per_distinct(values, _quote_cell), values, plain


@dataclass(frozen=True, eq=False)
class WrittenCsv:
    """A public CSV as :func:`write_public_csv` wrote it, for the leak gate to check without
    parsing the file again: its path (where it lay when written), the SHA-256 and size of
    the bytes written, and the cells a CSV reader gives back from those bytes.

    Why: the release's gate parsed the file it had just been written from (pandas, 1-1.5 s
    nationally). The gate (core.gate.output_reader.read_written_csv) uses ``columns`` only
    when ``plain`` and the file at ``path`` is still exactly those bytes (same size and
    SHA-256); otherwise it reads the file as it reads any other. Anything that takes a path
    takes it as ``path`` (os.PathLike)."""

    path: Path
    sha256: bytes
    size: int
    header: tuple[str, ...]
    columns: tuple[np.ndarray, ...] = field(repr=False)  # object arrays; () unless plain
    plain: bool

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    def __str__(self) -> str:
        return str(self.path)


@dataclass(frozen=True, eq=False)
class PreparedCsv:
    """The public table's cells ready to be written (:func:`prepare_public_csv`): each
    column's cells as written and, when ``plain``, as a CSV reader gives them back.

    Why apart from the write: a release that is a process of its own writes the file in a
    forked child (core.release.csv_beside) while its leak gate checks these very cells,
    proving afterwards that the file holds the bytes written from them."""

    header: tuple[str, ...]
    header_cells: tuple[str, ...]  # (as written)
    columns: tuple[list, ...] = field(repr=False)  # each column's cells as written
    parsed: tuple[np.ndarray, ...] = field(repr=False)  # as read back; () unless plain
    plain: bool  # (before the write, which may still find a NUL)
    rows: int

    def written(self, path: PathLike, sha256: bytes, size: int, nul: bool) -> WrittenCsv:
        """What the gate takes of the file written from these cells at ``path`` (the SHA-256
        and size of its bytes; ``nul``: a NUL was written, so pandas would not give the
        cells back): the cells only while they are plain."""
        plain = self.plain and not nul
        return WrittenCsv(
            Path(path), sha256, size, self.header, self.parsed if plain else (), plain
        )


@dataclass(frozen=True, eq=False)
class CsvBeingWritten:
    """A public CSV that a forked child is writing at ``path`` from ``prepared``'s cells
    (core.release.csv_beside), as the leak gate takes it: the gate checks those cells
    meanwhile, then calls ``finish()`` (which waits for the child and gives the
    :class:`WrittenCsv`, or raises the write's error) and proves that the file holds
    exactly the bytes written, else reads the file as any other."""

    path: Path
    prepared: PreparedCsv = field(repr=False)
    finish: Callable[[], WrittenCsv] = field(repr=False)

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    def __str__(self) -> str:
        return str(self.path)


def write_public_csv(public: pd.DataFrame, path: PathLike) -> WrittenCsv:
    """Write the public table as a police.uk street CSV; what was written is returned for
    the release's leak gate (:class:`WrittenCsv`; callers may ignore it).

    The file appears complete or not at all (written beside the target and renamed), so a
    caller that stages several outputs with ``staged_outputs`` can pass its staged path.

    Speed: the bytes are those csv.writer (QUOTE_MINIMAL, CRLF) writes, but the text is
    built by joining whole columns (a national month in a fraction of a second, several
    times faster than writerows); cells that need quoting are formatted by csv itself.
    """
    return write_prepared_csv(prepare_public_csv(public), path)


def prepare_public_csv(public: pd.DataFrame) -> PreparedCsv:
    """The cells :func:`write_public_csv` writes (refusing a table that is not the public
    schema, or a cell that is not text), before anything is written."""
    if tuple(public.columns) != PUBLIC_COLUMNS:
        raise ValueError(
            f"public table columns must be exactly {list(PUBLIC_COLUMNS)}, "
            f"got {list(public.columns)}"
        )
    columns = []
    parsed = []
    plain = True
    for column in PUBLIC_COLUMNS:
        series = public[column]
        values = series.tolist()
        exact = {str}.issuperset(map(type, values))  # (in C; then it is text, as below)
        if not exact and len(series) and pd.api.types.infer_dtype(series, skipna=False) != "string":
            raise ValueError(
                f"public table column {column!r} holds a value that is not text: "
                "every cell of the public table is a str"
            )
        written, as_read, column_plain = _csv_cells(values, guard=column not in NUMERIC_COLUMNS)
        columns.append(written)
        plain = plain and exact and column_plain
        if plain:  # (the cells, copied: the caller may change its table afterwards)
            same = as_read is values and series.dtype == object
            parsed.append(series.to_numpy(dtype=object, copy=True) if same else _objects(as_read))
    header, _, header_plain = _csv_cells(list(PUBLIC_COLUMNS), guard=False)
    plain = plain and header_plain
    return PreparedCsv(
        tuple(PUBLIC_COLUMNS),
        tuple(header),
        tuple(columns),
        tuple(parsed) if plain else (),
        plain,
        len(public),
    )


def write_prepared_csv(prepared: PreparedCsv, path: PathLike) -> WrittenCsv:
    """Write :func:`prepare_public_csv`'s cells as the public CSV at ``path`` (see
    :func:`write_public_csv`)."""
    columns = prepared.columns
    digest = hashlib.sha256()
    size = 0
    nul = False
    pending: Optional[Callable[[], None]] = None  # the previous chunk's write and hash
    with staged_outputs() as stage:
        # bytes encoded here, as the text file's UTF-8 encoder would for each write, so the
        # digest is of exactly the bytes written
        with open(stage.path_for(path), "wb") as handle:

            def put(data: bytes) -> None:
                handle.write(data)
                digest.update(data)

            def write(text: str) -> None:
                """Encode ``text`` here; write and hash it on a thread beside (both let go
                of Python's lock for large blocks) while the next chunk is joined, one
                chunk at a time, in order."""
                nonlocal size, nul, pending
                data = text.encode("utf-8")
                size += len(data)
                nul = nul or b"\x00" in data  # (a cell's NUL: nothing else writes one)
                wait = pending
                pending = None
                if wait is not None:
                    wait()  # (its error raised here)
                pending = beside(lambda: put(data), "public csv write")

            try:
                write(",".join(prepared.header_cells) + LINE_TERMINATOR)
                n = prepared.rows
                for start in range(0, n, _WRITE_CHUNK_ROWS):
                    rows = zip(*(c[start : start + _WRITE_CHUNK_ROWS] for c in columns))
                    write(LINE_TERMINATOR.join(map(",".join, rows)) + LINE_TERMINATOR)
            finally:
                wait = pending
                pending = None
                if wait is not None:  # (before the file is closed, whatever happened)
                    _ended(wait, failed=sys.exc_info()[0] is not None)
    return prepared.written(path, digest.digest(), size, nul)


def _ended(wait: Callable[[], None], failed: bool) -> None:
    """Wait for a chunk's write; its error is raised unless the caller's own error is
    already on its way (that one is the write's failure as reported)."""
    try:
        wait()
    except Exception:
        if not failed:
            raise


def _objects(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def read_public_csv(path: PathLike) -> pd.DataFrame:
    """A public (or police.uk) street CSV as text: every cell a str, blanks as "". Its bytes
    are decoded as the load decodes them (core.load.textscan.read_decoded: UTF-8, or
    Windows-1252 for a file Excel saved again; UndecodableText, a ValueError, if neither).

    A commit a killed run left half-done in that folder is completed first, so what is read
    is a whole release (core.common.staging). Inside :func:`remembering_tables`, a file
    the leak gate parsed moments before (same device, inode, size and modification time)
    is not parsed again: the same pandas call on the same bytes, handed over once (the gate
    kept a copy of its own)."""
    from ..common.staging import complete_pending

    complete_pending(Path(path).parent)
    remembered = _REMEMBERED
    if remembered:
        identity = _file_identity(Path(path))
        frame = remembered.pop(identity, None)
        if frame is not None:  # (taken once: a second read parses the file again)
            if _HANDED is not None:
                _HANDED[id(frame)] = (frame, identity)
            return frame
    return read_decoded(functools.partial(_parsed_text, path), Path(path))[0]


def _parsed_text(path: PathLike, encoding: str) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding=encoding)


# --- one parse of a release CSV per monthly release -------------------------------------------
#: Tables parsed from whole CSV files while remembering_tables() is active, by the file's
#: identity when read (None: nothing is remembered). Why: a monthly release's leak gate parses
#: the public CSV the anonymise step wrote, and the summaries made from it seconds later parse
#: it again (1.2 s nationally) with the very same pandas call.
_REMEMBERED: dict[tuple, pd.DataFrame] | None = None
#: The tables read_public_csv handed over from _REMEMBERED in the same block, by id(), with
#: the identity of the file the gate parsed each from (see gate_parse_identity)
_HANDED: dict[int, tuple[pd.DataFrame, tuple]] | None = None


def file_identity(path: PathLike) -> tuple:
    """(device, inode, size, modification time in ns) of the file now; () if it is gone."""
    return _file_identity(Path(path))


def _file_identity(path: Path) -> tuple:
    try:
        stat = path.stat()
    except OSError:
        return ()
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


@contextlib.contextmanager
def remembering_tables() -> Iterator[None]:
    """While active, read_public_csv takes a table remember_table() was given for the same
    file (the release's CSV, parsed by its leak gate) instead of parsing it again. Held
    only for the block (the monthly release), so nothing stays in memory after it."""
    global _REMEMBERED, _HANDED
    outer, handed = _REMEMBERED, _HANDED
    _REMEMBERED = {} if outer is None else outer
    _HANDED = {} if handed is None else handed
    try:
        yield
    finally:
        _REMEMBERED, _HANDED = outer, handed


def remembering() -> bool:
    """Whether a remembering_tables() block is active (a table the gate parses may be
    handed over: the gate then parses it as read_public_csv does, every cell a str)."""
    return _REMEMBERED is not None


def gate_parse_identity(frame: Any) -> tuple:
    """The identity of the file, when the leak gate read it, whose parse read_public_csv
    handed over as this very ``frame`` in the current remembering_tables() block; () for
    any other table. Why: a caller that knows the gate passed the file with that identity
    knows it passed exactly these cells (core.publish.summaries_run, the release table's
    gate in a monthly release)."""
    handed = _HANDED
    entry = handed.get(id(frame)) if handed else None
    return entry[1] if entry is not None and entry[0] is frame else ()


def remember_table(path: Path, identity: tuple, frame: pd.DataFrame, marked: bool) -> None:
    """Offer a table parsed from the whole file ``path`` (``identity``: the file's, taken
    before its bytes were read). Kept only inside remembering_tables(), only when the file
    is unchanged since and the table is exactly what read_public_csv's pandas call gives
    for those bytes: the file did not start with a byte-order mark (``marked``; the gate
    parses the bytes after it) and the parsed column names are used as they are (a caller
    that renamed them must not offer the table)."""
    remembered = _REMEMBERED
    if remembered is None or not identity or marked:
        return
    if _file_identity(path) != identity:
        return
    remembered.clear()  # the latest only: one release CSV per release
    remembered[identity] = frame.copy()
