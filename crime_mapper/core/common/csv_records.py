"""Find a CSV record with fewer fields than its header.

Why: pandas' C parser pads a short record with empty cells and says nothing. A reference
file cut off mid-line (a download that stopped, a row an editor truncated) then reads as
whole: a map point ``-2.57,51.45,Pinehur`` would be published as "On or near Pinehur" with
no LSOA, and nobody would be told. Readers of such files ask this module when the parsed
table shows the sign of a short record (an empty value in the last column: every short
record has one), so a clean file costs nothing more; the scan here is Python's csv module,
whose quoting rules are pandas' for these files (a quote opens a quoted field only at the
start of a field; a bare CR ends a line).
"""

from __future__ import annotations

import csv
import mmap
import os
from pathlib import Path
from typing import Any, Optional, Union

from .text_file import check_file, shown_line, shown_path

PathLike = Union[str, "os.PathLike[str]"]


def read_text_csv(path: PathLike, what: str, error: type[Exception]) -> Any:
    """A small CSV a user hands the tool (a lookup, names, populations, families), every cell
    as text, as a pandas DataFrame; ``error(message)`` naming the file when it cannot be read
    or a row is cut short (pandas would pad it with empty cells: an LSOA with no
    neighbourhood, a population read as missing, a family dropped) or has more fields than
    the header (pandas takes a first row's extra leading cells as an index and moves every
    column along: names read from the codes' column, populations from the names', and the
    whole file quietly unused; a later one stops its parse with a message about C)."""
    import pandas as pd

    path = Path(path)
    try:
        check_file(path)  # (a FIFO: the open waited for a writer for ever, the NUL search too)
    except FileNotFoundError:
        pass  # (the parse below says so, as for every other small file)
    except OSError as exc:  # (a FIFO or a device, a NUL in the path: the path shown escaped)
        raise error(f"cannot read the {what} {shown_path(path)}: {exc.strerror}") from exc
    nul = first_nul_line(path)
    if nul is not None:  # (pandas ends the cell there: "E\x002" was read as the code "E")
        raise error(
            f"the {what} {shown_line(path.name)} holds a NUL character on line {nul:,}: no "
            "code, name or number holds one (is it the right file, saved as text?)"
        )
    try:
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig"
        )
        short = long = None
        if len(frame.columns) > 1 and may_be_short(frame.iloc[:, -1]):
            short = first_short_record(path, len(frame.columns))
        if short is None and not _default_index(frame):
            long = first_long_record(path, len(frame.columns))
    except (OSError, UnicodeDecodeError, ValueError, csv.Error) as exc:
        long = _long_record_behind(path, exc)
        if long is None:
            raise error(f"cannot read the {what} {shown_line(path.name)}: {exc}") from exc
        raise error(_long_message(what, path, long)) from exc
    if long is not None:
        raise error(_long_message(what, path, long))
    if short is not None:
        raise error(
            f"the {what} {shown_line(path.name)} has {short[1]} "
            f"field{'s' if short[1] != 1 else ''} on "
            f"line {short[0]:,} where its header has {len(frame.columns)}: the file looks cut "
            "short or damaged there"
        )
    return frame


def first_nul_line(path: PathLike) -> Optional[int]:
    """The line (from 1, counted by line feeds) of the file's first NUL byte, or None: none,
    or the file cannot be opened or mapped (its reader then says why). Why: a CSV reader
    ends a cell at a NUL and reads on (pandas' C parser does), so a code "E\x002" was read
    as "E" without a word: another neighbourhood's code, or none; Python's csv module (3.11
    on) keeps a NUL in the cell, which a reader then strips or passes on (the team file's
    reader published "Central\x00 team" as "Central team"). Looked for at memchr speed in a
    memory map (some 10 ms for 750,000 map points); the one search of the lookup files, the
    summaries' files, the team files and the map points."""
    try:
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size == 0:
                return None
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                at = mapped.find(b"\x00")
                return mapped[:at].count(b"\n") + 1 if at >= 0 else None
    except (OSError, ValueError):  # (ValueError: a NUL in the path, or a file not mappable)
        return None


def _default_index(frame: Any) -> bool:
    """Whether pandas numbered the rows itself (it did not take leading cells as an index)."""
    import pandas as pd

    index = frame.index
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


def _long_record_behind(path: Path, exc: BaseException) -> Optional[tuple[int, int, int]]:
    """The first record with more fields than the header when pandas' parse stopped on one
    (its "Expected N fields ... saw M"), else None."""
    if "fields" not in str(exc):
        return None
    try:
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, csv.Error):
        return None
    if not header:
        return None
    try:
        return first_long_record(path, len(header))
    except (OSError, csv.Error):
        return None


def _long_message(what: str, path: Path, long: tuple[int, int, int]) -> str:
    line, found, fields = long
    return (
        f"the {what} {shown_line(path.name)} has {found} fields on line {line:,} where its header "
        f"has {fields}: a value holding a comma must be in double quotes"
    )


def first_long_record(
    path: PathLike, fields: int, *, delimiter: str = ",", encoding: str = "utf-8-sig"
) -> Optional[tuple[int, int, int]]:
    """(line number, fields found, ``fields``) of the first record after the header with more
    than ``fields`` fields, or None (lines counted as :func:`first_short_record` does)."""
    with open(path, encoding=encoding, errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        if next(reader, None) is None:
            return None
        for record in reader:
            if len(record) > fields:
                return reader.line_num, len(record), fields
    return None


def first_short_record(
    path: PathLike, fields: int, *, delimiter: str = ",", encoding: str = "utf-8-sig"
) -> Optional[tuple[int, int]]:
    """(line number, fields found) of the first record after the header with fewer than
    ``fields`` fields, or None. Blank lines are skipped, as pandas skips them; the line
    number is the file's line on which the record ends (1 is the header's), which is the
    line a text editor shows for a record without a line break inside a quoted field."""
    with open(path, encoding=encoding, errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        if next(reader, None) is None:
            return None
        for record in reader:
            if record and len(record) < fields:
                return reader.line_num, len(record)
    return None


def record_lines(path: PathLike, *, delimiter: str = ",", encoding: str = "utf-8-sig") -> list[int]:
    """The line each record after the header starts on, in the order pandas numbers its rows
    (it skips blank and whitespace-only lines, and a quoted line break keeps a record
    going), so a row pandas found can be named by the line a text editor shows."""
    out: list[int] = []
    with open(path, encoding=encoding, errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        if next(reader, None) is None:
            return out
        start = reader.line_num + 1
        for record in reader:
            if record and not (len(record) == 1 and not record[0].strip()):
                out.append(start)
            start = reader.line_num + 1
    return out


def may_be_short(values: object) -> bool:
    """Whether the last column's parsed values (a pandas Series of text, categories or
    numbers, read with ``keep_default_na=False``, so that a short record's padding is "" in
    a text column) could hold a short record's padding: an empty or missing value."""
    import pandas as pd

    if not isinstance(values, pd.Series):
        return True
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        return bool((codes < 0).any()) or "" in set(values.cat.categories)
    if values.dtype.kind in "fiub":
        return bool(values.isna().any())
    return bool((values.to_numpy(dtype=object) == "").any())
