"""Where in a public output file a raw value the leak gate found is: a CSV's column and row,
a GeoPackage's table, column and fid, a text file's line (and a page's element or a JSON
file's key).

Why a second pass: the gate's checks compare every string of an output at once (sets,
hashes, one haystack), which is what keeps a national gate fast, and they keep no position
of anything. A finding that names only the file ("summaries/E01000001.html: value of raw
column extra_notes ...") leaves an analyst searching a 7,200-page folder or a million-row
CSV for the cause. Recording every string's position on the way would slow every passing
gate for the sake of the few that fail, so positions are found only once a finding exists:
the flagged file is read again and searched for the value found, here. A passing gate never
calls this module.

What is searched for (:class:`Sought`): a raw value (in its case, or in any case: the
gate's "in another case" and "inside text" findings) or a run of folded words (the
free-text check's runs: lower-case ASCII words, anything else between them). Whitespace
in a value matches any whitespace (the reader folds it: a page may wrap a value over
lines). A place that cannot be found (a value the reader decoded from an escape this
search does not undo) is simply not named: the finding stays as the check wrote it.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np
import pandas as pd

from ..io.gpkg_read import read_only_uri
from .context import short

#: places named in one finding; the rest are counted ("a value found 10,000 times")
MAX_PLACES = 3


@dataclass(frozen=True)
class Sought:
    """One value to find: ``value`` as the check found it; ``run``: a run of folded words
    (free-text check: any non-word characters between its words, any case); ``any_case``:
    in any case (found in another case, or inside longer text)."""

    value: str
    any_case: bool = False
    run: bool = False


@dataclass
class Places:
    """The first MAX_PLACES places found and how many there are in all."""

    named: list[str] = field(default_factory=list)
    count: int = 0

    def add(self, place: str) -> None:
        self.count += 1
        if len(self.named) < MAX_PLACES:
            self.named.append(place)

    def text(self) -> str:
        """`` (at P1; P2; P3; N places in all)`` for a finding's end; "" when none."""
        if not self.count:
            return ""
        more = f"; {self.count:,} places in all" if self.count > len(self.named) else ""
        return f" (at {'; '.join(self.named)}{more})"


def pattern_of(sought: Sought) -> re.Pattern[str]:
    """The regex that finds ``sought`` in text as a reader sees it (entities and escapes
    undone): a run's words with non-word characters between them and not inside longer
    words (as the gate folds text); a value's words with any whitespace between them."""
    if sought.run:
        words = "[^A-Za-z0-9]+".join(re.escape(w) for w in sought.value.split())
        return re.compile(rf"(?<![A-Za-z0-9]){words}(?![A-Za-z0-9])", re.I | re.A)
    words = r"\s+".join(re.escape(w) for w in sought.value.split())
    return re.compile(words or re.escape(sought.value), re.I if sought.any_case else 0)


def _source_pattern(sought: Sought) -> re.Pattern[str]:
    """:func:`pattern_of`, also matching the value as a markup or JSON file writes it
    (``&amp;``, ``\\"``): for a file searched as written, not as parsed."""
    base = pattern_of(sought)
    if sought.run:
        return base  # (an escape's characters are non-word characters: matched already)
    forms = {sought.value, html.escape(sought.value), html.escape(sought.value, quote=False)}
    forms |= {json.dumps(sought.value)[1:-1], json.dumps(sought.value, ensure_ascii=False)[1:-1]}
    alts = [pattern_of(Sought(f, sought.any_case)).pattern for f in sorted(forms)]
    return re.compile("|".join(f"(?:{a})" for a in alts), base.flags)


def locate(
    path: Optional[Path], kind: str, sought: list[Sought], frame: Optional[pd.DataFrame] = None
) -> list[Places]:
    """The places of each of ``sought`` in the file at ``path``, read as an artifact of
    ``kind`` (output_reader.Artifact.kind), or in the DataFrame ``frame`` (an output that
    is one); nothing found for a file that cannot be read again, or any failure here: a
    finding without its place is still the check's finding (this never decides a
    verdict)."""
    found = [Places() for _ in sought]
    if (path is None and frame is None) or not sought:
        return found
    try:
        if frame is not None:
            _in_frame(frame, [pattern_of(s) for s in sought], found)
            return found
        assert path is not None
        reader = _READERS.get(kind) or _READERS.get(path.suffix.lower()) or _in_text
        reader(path, [pattern_of(s) for s in sought], sought, found)
    except Exception:  # noqa: BLE001 - a place is a courtesy: the finding stands without it
        return [Places() for _ in sought]
    return found


def _text_of(path: Path) -> str:
    return path.read_bytes().decode("utf-8-sig", errors="replace")


def _lines_at(text: str, matches: Iterable[re.Match[str]], first: int = 1) -> list[int]:
    """The line (``first``: the text's first) of each match's start, counted on from the
    one before (the matches in order): a value found 10,000 times in a national file is
    not each counted from the file's start."""
    lines, line, last = [], first, 0
    for m in matches:
        line += text.count("\n", last, m.start())
        last = m.start()
        lines.append(line)
    return lines


def _in_text(
    path: Path, _patterns: list[re.Pattern[str]], sought: list[Sought], found: list[Places]
) -> None:
    """A text file (Markdown, CSS, XML, JavaScript): the lines of each occurrence as
    written (escapes included: :func:`_source_pattern`)."""
    text = _text_of(path)
    for s, places in zip(sought, found):
        for line in _lines_at(text, _source_pattern(s).finditer(text)):
            places.add(f"line {line:,}")


def _in_frame(frame: pd.DataFrame, patterns: list[re.Pattern[str]], found: list[Places]) -> None:
    """A DataFrame: the column and row (1: the first) of each cell holding the value, as
    :func:`_in_csv` names them (the same for the table a CSV parses to). Each column's
    cells are searched as one text (a regex scan in C, not a call per cell)."""
    for i, column in enumerate(frame.columns):
        for pattern, places in zip(patterns, found):
            if pattern.search(str(column)):
                places.add(f"header, column {i + 1}")
    hits: list[list[tuple[int, int, str]]] = [[] for _ in patterns]
    for i, column in enumerate(frame.columns):
        cells = ["" if not isinstance(v, str) else v.replace("\x00", " ") for v in frame[column]]
        text = "\x00".join(cells)
        starts = np.cumsum([0] + [len(c) + 1 for c in cells[:-1]])
        for k, pattern in enumerate(patterns):
            rows = {
                int(np.searchsorted(starts, m.start(), "right")) for m in pattern.finditer(text)
            }
            hits[k].extend((row, i, str(column)) for row in rows)
    for k, places in enumerate(found):
        for row, _i, column in sorted(hits[k]):
            places.add(f"column {short(column, 30)} row {row:,}")


def _in_csv(
    path: Path, patterns: list[re.Pattern[str]], sought: list[Sought], found: list[Places]
) -> None:
    """A CSV: the column (its header) and the row (1: the first under the header) of each
    cell holding the value; a header holding it too. Only
    the rows over a line where the file's text shows some value are looked at cell by
    cell (a national CSV's million rows are not each searched for every value)."""
    text = _text_of(path)
    lines: set[int] = set()
    for s in sought:
        lines.update(_lines_at(text, _source_pattern(s).finditer(text)))
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None or not lines:
        return
    for i, cell in enumerate(header):
        for pattern, places in zip(patterns, found):
            if pattern.search(cell):
                places.add(f"header, column {i + 1}")
    line = reader.line_num + 1
    for row_no, row in enumerate(reader, start=1):
        end = reader.line_num
        if line in lines or (end > line and any(n in lines for n in range(line, end + 1))):
            for i, cell in enumerate(row):
                for pattern, places in zip(patterns, found):
                    if cell and pattern.search(cell):
                        name = header[i] if i < len(header) else f"{i + 1} (no header)"
                        places.add(f"column {short(name, 30)} row {row_no:,}")
        line = end + 1


def _in_gpkg(
    path: Path, patterns: list[re.Pattern[str]], sought: list[Sought], found: list[Places]
) -> None:
    """A GeoPackage: the table, column and fid (its integer primary key, else the rowid)
    of each text cell holding the value, read-only; a table or column named by it too.
    SQLite's LIKE on the value's longest word picks the cells the regex then tests (LIKE
    ignores ASCII case, so a run or a value in another case is among them)."""
    conn = sqlite3.connect(read_only_uri(path), uri=True)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        for table in tables:
            _gpkg_table(conn, table, patterns, sought, found)
    finally:
        conn.close()


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _gpkg_table(
    conn: sqlite3.Connection,
    table: str,
    patterns: list[re.Pattern[str]],
    sought: list[Sought],
    found: list[Places],
) -> None:
    info = conn.execute(f"PRAGMA table_info({_quoted(table)})").fetchall()
    keys = [r[1] for r in info if r[5] and str(r[2]).upper() == "INTEGER"]
    row_id = (_quoted(keys[0]), keys[0]) if len(keys) == 1 else ("rowid", "rowid")
    for pattern, places in zip(patterns, found):
        if pattern.search(table):
            places.add(f"table name {short(table, 30)}")
    likes = []
    for s in sought:
        word = max(re.split(r"\W+", s.value), key=len) or s.value
        likes.append("%" + re.sub(r"([\\%_])", r"\\\1", word) + "%")
    for column in [r[1] for r in info]:
        for pattern, places in zip(patterns, found):
            if pattern.search(column):
                places.add(f"table {short(table, 30)} column name {short(column, 30)}")
        col = _quoted(column)
        held = " OR ".join([f"{col} LIKE ? ESCAPE '\\'"] * len(likes))
        sql = (
            f"SELECT {row_id[0]}, {col} FROM {_quoted(table)} "
            f"WHERE typeof({col}) = 'text' AND ({held}) ORDER BY 1"
        )
        for key, cell in conn.execute(sql, likes):
            for pattern, places in zip(patterns, found):
                if pattern.search(cell):
                    places.add(
                        f"table {short(table, 30)} column {short(column, 30)} {row_id[1]} {key}"
                    )


def _in_json(
    path: Path, patterns: list[re.Pattern[str]], sought: list[Sought], found: list[Places]
) -> None:
    """A JSON file, or a data script (``window.NAME = <JSON>;``): the key of each string
    (or key) holding the value, with its line when the file's text shows the value as
    often as the data does (the occurrences then pair up in document order)."""
    text = _text_of(path)
    data = _data_of(text, path)
    if data is _NO_DATA:
        _in_text(path, patterns, sought, found)
        return
    for pattern, s, places in zip(patterns, sought, found):
        keys: list[str] = []
        _walk(data, "", pattern, keys)
        lines = _lines_at(text, _source_pattern(s).finditer(text))
        paired = len(lines) == len(keys)
        for i, key in enumerate(keys):
            places.add(f"line {lines[i]:,} key {key}" if paired else f"key {key}")
        if not keys:
            for line in lines:
                places.add(f"line {line:,}")


_NO_DATA = object()
_ASSIGNED = re.compile(
    r"\A\s*(?:(?:window|globalThis|self)\s*\.\s*|(?:var|let|const)\s+)[\w$]+\s*="
)


def _data_of(text: str, path: Path) -> Any:
    """The JSON value of a JSON file, or of a data script's ``= <JSON>;``; _NO_DATA else."""
    body = text
    if path.suffix.lower() == ".js":
        head = _ASSIGNED.match(text)
        if head is None:
            return _NO_DATA
        body = text[head.end() :].rstrip().removesuffix(";")
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return _NO_DATA


_KEY_CHARS = 24  # a longer key is cut as a value is (a key may be the raw value itself)


def _walk(data: Any, at: str, pattern: re.Pattern[str], keys: list[str]) -> None:
    """Append to ``keys`` the path (``features[3].properties.name``) of every string of
    ``data`` the pattern finds something in, a key's own name as ``path (the key)``, in
    document order."""
    stack: list[tuple[Any, str]] = [(data, at)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            if pattern.search(value):
                keys.append(where or "(the whole file)")
        elif isinstance(value, dict):
            items = []
            for k, v in value.items():
                plain = k.isidentifier() and len(k) <= _KEY_CHARS
                inner = (f"{where}.{k}" if where else k) if plain else f"{where}[{short(k, 24)}]"
                if pattern.search(k):
                    keys.append(f"{inner} (the key)")
                items.append((v, inner))
            stack.extend(reversed(items))
        elif isinstance(value, list):
            stack.extend(reversed([(v, f"{where}[{i}]") for i, v in enumerate(value)]))


class _Elements(HTMLParser):
    """An HTML or SVG page's text, attributes, comments and scripts, each searched as the
    page's reader sees it (entities undone), with its line and element."""

    def __init__(self, patterns: list[re.Pattern[str]], found: list[Places]) -> None:
        super().__init__(convert_charrefs=True)
        self.patterns = patterns
        self.found = found
        self.open: list[str] = []

    def _search(self, text: str, line: int, where: Callable[[], str]) -> None:
        for pattern, places in zip(self.patterns, self.found):
            for at in _lines_at(text, pattern.finditer(text), line):
                places.add(f"line {at:,} {where()}")

    def handle_starttag(self, tag: str, attrs: list) -> None:
        line = self.getpos()[0]
        for name, value in attrs:
            if value:
                self._search(value, line, _attribute_place(tag, name))
        if tag not in _VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        line = self.getpos()[0]
        for name, value in attrs:
            if value:
                self._search(value, line, _attribute_place(tag, name))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            while self.open and self.open.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        self._search(data, self.getpos()[0], lambda: f"<{self.open[-1] if self.open else 'html'}>")

    def handle_comment(self, data: str) -> None:
        self._search(data, self.getpos()[0], lambda: "comment")


_VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())


def _in_html(
    path: Path, patterns: list[re.Pattern[str]], _sought: list[Sought], found: list[Places]
) -> None:
    parser = _Elements(patterns, found)
    parser.feed(_text_of(path))
    parser.close()


_READERS: dict[str, Callable[[Path, list[re.Pattern[str]], list[Sought], list[Places]], None]] = {
    "csv": _in_csv,
    "gpkg": _in_gpkg,
    "json": _in_json,
    "html": _in_html,
    ".js": _in_json,  # (a data script as JSON; any other script as text)
}


def _attribute_place(tag: str, name: str) -> Callable[[], str]:
    """The place of an attribute's value ("<a href>"), said only when a value is found."""
    return lambda: f"<{tag} {name}>"
