"""The first rows of an extract, for choosing columns and previewing a mapping profile.

Shared by the profile dialog and the command line. Reads only the first bytes of the file
and follows the loader's own encoding and delimiter rules, so the columns offered are the
columns a load will see.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

from ..common.text_file import shown_line, shown_path
from .mapping_profile import ProfileError
from .textscan import (
    MAX_COLUMNS,
    MAX_HEADER_BYTES,
    UTF8_BOM,
    detect_encoding,
    guess_delimiter,
)

PathLike = Union[str, Path]
PREVIEW_ROWS = 20
# Enough bytes for a header and a few rows of any realistic extract; never the whole file.
HEAD_BYTES = 256 * 1024


@dataclass
class ExtractHead:
    """The first rows of an extract: enough to choose columns and preview a profile."""

    path: Path
    encoding: str
    delimiter: str
    header: list[str]
    rows: list[dict[str, str]]


def read_extract_head(
    path: PathLike,
    encoding: str = "auto",
    delimiter: Optional[str] = None,
    limit: int = PREVIEW_ROWS,
) -> ExtractHead:
    """Header and first ``limit`` rows of a delimited extract, read from its first bytes only.

    Encoding and delimiter follow the loader's rules (textscan.detect_encoding and the
    loader's delimiter guess), so the columns offered are the columns a load will see.
    Raises ProfileError with a readable message when the file cannot be used.
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(HEAD_BYTES)
            complete = not handle.read(1)
    except OSError as exc:
        raise ProfileError(f"{shown_path(path)}: cannot be read ({exc.strerror or exc})") from exc
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
        encoding = "utf-8" if encoding in ("", "auto") else encoding
    if not complete and b"\n" in data:  # never cut a row (or a UTF-8 character) in half
        data = data[: data.rfind(b"\n") + 1]
    codec = detect_encoding(data, encoding if encoding not in ("", "auto") else None)
    if delimiter in (None, "", ","):
        delimiter = guess_delimiter(data)
    try:
        text = data.decode(codec, errors="replace")
    except LookupError as exc:
        raise ProfileError(f"unknown encoding {codec!r}") from exc
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    if len(first_line) > MAX_HEADER_BYTES or first_line.count(delimiter) >= MAX_COLUMNS:
        raise ProfileError(
            f"{shown_line(path.name)}: the first line is too long or has too many columns for a "
            f"header (at most {MAX_COLUMNS} columns); expected a CSV extract whose first line "
            "names its columns"
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] = []
    records = _records(reader)
    for record in records:
        if any(cell.strip() for cell in record):
            header = [cell.strip() for cell in record]
            break
    if len(header) < 2 or "\x00" in "".join(header):
        raise ProfileError(
            f"{shown_line(path.name)}: no delimited header row; expected a CSV extract "
            "whose first line names its columns"
        )
    rows: list[dict[str, str]] = []
    for record in records:
        if len(rows) >= limit:
            break
        if any(cell.strip() for cell in record):
            rows.append(
                {name: (record[i] if i < len(record) else "") for i, name in enumerate(header)}
            )
    return ExtractHead(path=path, encoding=codec, delimiter=delimiter, header=header, rows=rows)


def _records(reader: Iterator[list[str]]) -> Iterator[list[str]]:
    """The reader's records; a record the csv module refuses (a cell over its size limit) is
    left out of the preview rather than ending it (the load reports such rows itself)."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error:
            continue
