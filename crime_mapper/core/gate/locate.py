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
gate's "in another case" and "inside text" findings), a run of folded words (the
free-text check's runs: lower-case ASCII words, anything else between them), any text
another check found (a date, a phone number, a crime reference, an address label), a
whole number (a raw timestamp or easting: not inside a longer one), or a coordinate (a
table's Longitude/Latitude row, a GeoPackage feature, a JSON position, a pair written in
text, compared at 5 decimal places as the coordinate checks compare them). Whitespace
in a value matches any whitespace (the reader folds it: a page may wrap a value over
lines). A place that cannot be found (a value the reader decoded from an escape this
search does not undo) is simply not named: the finding stays as the check wrote it.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np
import pandas as pd

from ..common.position_codec import PositionCodeError, decode_positions
from ..io.gpkg_read import blob_coordinates, point_coordinates, read_only_uri
from . import scan
from .context import short
from .output_reader import COORD_COLUMN_LAT, COORD_COLUMN_LON

#: places named in one finding; the rest are counted ("a value found 10,000 times")
MAX_PLACES = 3


@dataclass(frozen=True)
class Sought:
    """One value to find: ``value`` as the check found it; ``run``: a run of folded words
    (free-text check: any non-word characters between its words, any case); ``any_case``:
    in any case (found in another case, or inside longer text); ``number``: a whole number,
    not the digits of a longer one; ``point``: a coordinate (longitude, latitude) the
    output shows (``value`` unused), found where it is at 5 decimal places; ``squeezed``:
    a reference as the gate squeezes text (ASCII letters and digits, upper case), found
    in any case with anything but ASCII letters and digits between its characters."""

    value: str
    any_case: bool = False
    run: bool = False
    number: bool = False
    point: Optional[tuple[float, float]] = None
    squeezed: bool = False


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


def pattern_of(sought: Sought) -> Any:
    """The regex that finds ``sought`` in text as a reader sees it (entities and escapes
    undone): a run's words with non-word characters between them and not inside longer
    words (as the gate folds text); a value's words with any whitespace between them; a
    number not inside a longer one; a coordinate: :class:`_PointPattern` (a regex's
    ``search`` and ``finditer``)."""
    if sought.point is not None:
        return _PointPattern(*sought.point)
    if sought.number:
        return re.compile(rf"(?<![0-9]){re.escape(sought.value)}(?![0-9])")
    if sought.squeezed:  # (what scan.squeeze_haystack deletes, between its characters)
        gap = r"[^A-Za-z0-9\x00\n]*"
        return re.compile(gap.join(map(re.escape, sought.value)), re.I | re.A)
    if sought.run:
        words = "[^A-Za-z0-9]+".join(re.escape(w) for w in sought.value.split())
        return re.compile(rf"(?<![A-Za-z0-9]){words}(?![A-Za-z0-9])", re.I | re.A)
    words = r"\s+".join(re.escape(w) for w in sought.value.split())
    return re.compile(words or re.escape(sought.value), re.I if sought.any_case else 0)


def _source_pattern(sought: Sought) -> re.Pattern[str]:
    """:func:`pattern_of`, also matching the value as a markup or JSON file writes it
    (``&amp;``, ``\\"``): for a file searched as written, not as parsed."""
    base = pattern_of(sought)
    if sought.run or sought.number or sought.squeezed or sought.point is not None:
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
        # (a coordinate of a table or GeoPackage is in two cells or a geometry, not text)
        by_rows = frame is not None or (path is not None and kind in _POINT_READERS)
        points = [i for i, s in enumerate(sought) if s.point is not None and by_rows]
        others = [i for i in range(len(sought)) if i not in set(points)]
        for picked, at_points in ((others, False), (points, True)):
            if picked:
                _locate_these(
                    path, kind, [sought[i] for i in picked], frame, at_points, found, picked
                )
    except Exception:  # noqa: BLE001 - a place is a courtesy: the finding stands without it
        return [Places() for _ in sought]
    return found


def _locate_these(
    path: Optional[Path],
    kind: str,
    sought: list[Sought],
    frame: Optional[pd.DataFrame],
    points: bool,
    found: list[Places],
    picked: list[int],
) -> None:
    """:func:`locate` of ``sought`` (``found``'s places ``picked``), all coordinates in a
    table or GeoPackage (``points``) or none."""
    mine = [found[i] for i in picked]
    if points:
        spots = [s.point for s in sought if s.point is not None]
        if frame is not None:
            _points_in_frame(frame, spots, mine)
        else:
            assert path is not None
            _POINT_READERS[kind](path, spots, mine)
        # (a pair written in a cell's text, not in the coordinate columns or a geometry)
        rest = [k for k, places in enumerate(mine) if not places.count]
        if rest:
            _locate_these(path, kind, [sought[k] for k in rest], frame, False, mine, rest)
        return
    patterns = [pattern_of(s) for s in sought]
    if frame is not None:
        _in_frame(frame, patterns, mine)
        return
    assert path is not None
    reader = _READERS.get(kind) or _READERS.get(path.suffix.lower()) or _in_text
    reader(path, patterns, sought, mine)


class _PointPattern:
    """A coordinate's "regex": each place in a text where two decimal numbers follow one
    another (a separator of a few commas, spaces or brackets between them) that are the
    coordinate's longitude and latitude at 5 decimal places, in either order (GeoJSON's
    [lon, lat], a web map's [lat, lon], "52.63421, -1.13456" in a page). Only numbers that
    start as one of its two axes does (to 2 decimals, either side of its rounding) are
    parsed, so a data script's megabytes of other numbers are passed over by the regex."""

    flags = 0

    def __init__(self, lon: float, lat: float) -> None:
        self.lon, self.lat = lon, lat
        self.axes = (_scaled(lon), _scaled(lat))
        heads = _axis_head(lon) | _axis_head(lat)
        alts = "|".join(re.escape(h) for h in sorted(heads))
        self._first = re.compile(rf"(?<![0-9.])-?(?:{alts})[0-9]*")
        self.pattern = self._first.pattern

    def finditer(self, text: str) -> Iterable[re.Match[str]]:
        for m in self._first.finditer(text):
            after = _NEXT_NUMBER.match(text, m.end())
            if after is not None and self._pair(float(m.group()), float(after.group(1))):
                yield m

    def search(self, text: str) -> Optional[re.Match[str]]:
        return next(iter(self.finditer(text)), None)

    def _pair(self, a: float, b: float) -> bool:
        """Whether (a, b) or (b, a) is the coordinate at 5 decimal places."""
        x, y = _scaled(a), _scaled(b)
        return (x, y) == self.axes or (y, x) == self.axes

    def encoded(self, text: str) -> list[int]:
        """The indexes of this coordinate among positions written in the web map's letters
        (core.common.position_codec), as the gate's reader decodes them; none when the text
        is no such positions."""
        try:
            x, y = decode_positions(text)
        except PositionCodeError:
            return []
        key = scan.coordinate_keys(np.array([self.lon]), np.array([self.lat]))[0]
        return np.flatnonzero(scan.coordinate_keys(x, y) == key).tolist()

    def pair(self, value: list) -> bool:
        """Whether a JSON array is a position of this coordinate (its first two numbers)."""
        if len(value) < 2 or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value[:2]
        ):
            return False
        try:
            return self._pair(float(value[0]), float(value[1]))
        except OverflowError:  # (an integer beyond any float: no coordinate)
            return False


def _scaled(value: float) -> Optional[int]:
    """A coordinate axis at 5 decimal places, rounded half to even as scan.coordinate_keys
    rounds it (Python's round and numpy's rint agree on a float); None when not finite."""
    scaled = value * 1e5
    return round(scaled) if math.isfinite(scaled) else None


# a decimal straight after another, a few separators between them (", ", "],[", " ")
_NEXT_NUMBER = re.compile(r"[\s,;:/|()\[\]'\"]{1,8}(-?[0-9]+\.[0-9]+)")


def _axis_head(value: float) -> set[str]:
    """The texts (whole part, point, 2 decimals; no sign) a number written at 5 or more
    decimals that rounds to ``value``'s 5 decimals starts with."""
    step = 0.6e-5
    return {f"{abs(v):.6f}"[:-4] for v in (value - step, value + step)}


def _coordinate_columns(columns: list[str]) -> Optional[tuple[str, str]]:
    """A table's Longitude and Latitude columns (as the gate's reader takes them)."""
    lon = next((c for c in columns if c in COORD_COLUMN_LON), None)
    lat = next((c for c in columns if c in COORD_COLUMN_LAT), None)
    return None if lon is None or lat is None else (lon, lat)


def _keys_of(lon: Any, lat: Any) -> np.ndarray:
    """Coordinate keys of cells as the gate's reader parses them (one that is not a number:
    a key no coordinate has)."""
    x = pd.to_numeric(pd.Series(lon, dtype=object), errors="coerce").to_numpy(np.float64)
    y = pd.to_numeric(pd.Series(lat, dtype=object), errors="coerce").to_numpy(np.float64)
    return scan.coordinate_keys(x, y)


def _add_rows(
    keys: np.ndarray,
    spots: list[tuple[float, float]],
    found: list[Places],
    place: Callable[[int], str],
) -> None:
    """Name ``place(i)`` for each row i (in order) whose key is a spot's; at most
    MAX_PLACES built, the rest counted."""
    for (lon, lat), places in zip(spots, found):
        key = scan.coordinate_keys(np.array([lon]), np.array([lat]))[0]
        rows = np.flatnonzero(keys == key)
        for i in rows[:MAX_PLACES].tolist():
            places.add(place(i))
        places.count += max(0, rows.size - MAX_PLACES)


def _points_in_frame(
    frame: pd.DataFrame, spots: list[tuple[float, float]], found: list[Places]
) -> None:
    """A table's rows (1: the first) whose Longitude/Latitude are a spot."""
    columns = _coordinate_columns([str(c) for c in frame.columns])
    if columns is None:
        return
    names = {str(c): c for c in frame.columns}
    lon, lat = (frame[names[c]].to_numpy(dtype=object) for c in columns)
    where = f"{short(columns[0], 30)}/{short(columns[1], 30)}"
    _add_rows(_keys_of(lon, lat), spots, found, lambda i: f"columns {where} row {i + 1:,}")


def _points_in_csv(path: Path, spots: list[tuple[float, float]], found: list[Places]) -> None:
    """A CSV's rows (1: the first under the header) whose Longitude/Latitude are a spot."""
    with open(path, encoding="utf-8-sig", newline="") as file:
        header = next(csv.reader(file), [])
    columns = _coordinate_columns(header)
    if columns is None:
        return
    frame = pd.read_csv(
        path,
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        usecols=list(columns),
        encoding="utf-8-sig",
    )
    _points_in_frame(frame, spots, found)


def _points_in_gpkg(path: Path, spots: list[tuple[float, float]], found: list[Places]) -> None:
    """A GeoPackage's features (table and fid) whose geometry has a vertex at a spot (in
    WGS84, transformed from the layer's CRS as the gate's reader does), or whose
    Longitude/Latitude attributes are one."""
    conn = sqlite3.connect(read_only_uri(path), uri=True)
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'gpkg%' "
                "AND name NOT LIKE 'rtree_%' ORDER BY name"
            )
        ]
        geometry: dict[str, tuple[str, Optional[str]]] = {}
        if {"gpkg_geometry_columns", "gpkg_spatial_ref_sys"} <= names:
            geometry = {
                r[0]: (r[1], r[2])
                for r in conn.execute(
                    "SELECT g.table_name, g.column_name, CASE WHEN s.organization IS NOT "
                    "NULL AND s.organization_coordsys_id > 0 THEN upper(s.organization) || "
                    "':' || s.organization_coordsys_id END FROM gpkg_geometry_columns g "
                    "LEFT JOIN gpkg_spatial_ref_sys s ON s.srs_id = g.srs_id"
                )
            }
        for table in tables:
            _gpkg_points(conn, table, geometry.get(table), spots, found)
    finally:
        conn.close()


def _gpkg_points(
    conn: sqlite3.Connection,
    table: str,
    geometry: Optional[tuple[str, Optional[str]]],
    spots: list[tuple[float, float]],
    found: list[Places],
) -> None:
    """The features of ``table`` at each spot (:func:`_points_in_gpkg`)."""
    info = conn.execute(f"PRAGMA table_info({_quoted(table)})").fetchall()
    row_id = _row_id(info)
    columns = _coordinate_columns([r[1] for r in info])
    selected = [_quoted(c) for c in columns] if columns else []
    if geometry is not None:
        selected.append(_quoted(geometry[0]))
    if not selected:
        return
    rows = conn.execute(
        f"SELECT {row_id[0]}, {', '.join(selected)} FROM {_quoted(table)} ORDER BY 1"
    ).fetchall()
    if not rows:
        return
    ids = [r[0] for r in rows]
    keys: list[np.ndarray] = []
    owners: list[np.ndarray] = []
    if columns:
        keys.append(_keys_of([r[1] for r in rows], [r[2] for r in rows]))
        owners.append(np.arange(len(rows)))
    if geometry is not None:
        key, owner = _geometry_keys([r[-1] for r in rows], geometry[1])
        keys.append(key)
        owners.append(owner)
    all_keys, all_owners = np.concatenate(keys), np.concatenate(owners)
    for (lon, lat), places in zip(spots, found):
        key = scan.coordinate_keys(np.array([lon]), np.array([lat]))[0]
        hit = np.unique(all_owners[all_keys == key])  # (rows in fid order: the query's)
        for i in hit[:MAX_PLACES].tolist():
            places.add(f"table {short(table, 30)} {row_id[1]} {ids[i]}")
        places.count += max(0, hit.size - MAX_PLACES)


def _geometry_keys(blobs: list, srs: Optional[str]) -> tuple[np.ndarray, np.ndarray]:
    """(coordinate keys of every vertex, the row each is of) of a geometry column: points
    decoded at once, any other geometry blob by blob; in WGS84 (``srs``: the layer's)."""
    x, y = point_coordinates(blobs)
    owner = np.arange(len(blobs))
    others = [
        i
        for i in np.flatnonzero(np.isnan(x)).tolist()
        if isinstance(blobs[i], (bytes, bytearray, memoryview))
    ]
    xs, ys, owners = [x], [y], [owner]
    for i in others:
        bx, by = blob_coordinates(bytes(blobs[i]))
        xs.append(bx)
        ys.append(by)
        owners.append(np.full(bx.size, i))
    lon, lat = np.concatenate(xs), np.concatenate(ys)
    if srs not in (None, "EPSG:4326", "OGC:84", "OGC:CRS84"):
        from ..common.geography import to_wgs84

        lon, lat = to_wgs84(lon, lat, srs)
    return scan.coordinate_keys(lon, lat), np.concatenate(owners)


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


def _row_id(info: list) -> tuple[str, str]:
    """(SQL, name) of a table's fid: its integer primary key, else the rowid."""
    keys = [r[1] for r in info if r[5] and str(r[2]).upper() == "INTEGER"]
    return (_quoted(keys[0]), keys[0]) if len(keys) == 1 else ("rowid", "rowid")


def _gpkg_table(
    conn: sqlite3.Connection,
    table: str,
    patterns: list[re.Pattern[str]],
    sought: list[Sought],
    found: list[Places],
) -> None:
    info = conn.execute(f"PRAGMA table_info({_quoted(table)})").fetchall()
    row_id = _row_id(info)
    for pattern, places in zip(patterns, found):
        if pattern.search(table):
            places.add(f"table name {short(table, 30)}")
    likes: list[str] = []
    for s in sought:
        if s.point is not None:  # (a pair written in a cell: the head of either axis)
            words = sorted(_axis_head(s.point[0]) | _axis_head(s.point[1]))
        else:
            words = [max(re.split(r"\W+", s.value), key=len) or s.value]
        escaped = [re.sub(r"([\\%_])", r"\\\1", w) for w in words]
        if s.squeezed:  # (anything between its characters)
            escaped = ["%".join(re.sub(r"([\\%_])", r"\\\1", c) for c in s.value)]
        likes.extend("%" + w + "%" for w in escaped)
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
        _walk(data, "", pattern, keys, numbers=s.number)
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


def _walk(data: Any, at: str, pattern: Any, keys: list[str], numbers: bool = False) -> None:
    """Append to ``keys`` the path (``features[3].properties.name``) of every string of
    ``data`` the pattern finds something in, a key's own name as ``path (the key)``, in
    document order; ``numbers``: of every JSON number too, as Python writes it (a raw
    timestamp written as a number); a coordinate's pattern: of every position that is it."""
    stack: list[tuple[Any, str]] = [(data, at)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            if pattern.search(value):
                keys.append(where or "(the whole file)")
        elif numbers and isinstance(value, (int, float)) and not isinstance(value, bool):
            if pattern.search(repr(value)):
                keys.append(where or "(the whole file)")
        elif isinstance(value, dict):
            items = []
            for k, v in value.items():
                plain = k.isidentifier() and len(k) <= _KEY_CHARS
                inner = (f"{where}.{k}" if where else k) if plain else f"{where}[{short(k, 24)}]"
                if pattern.search(k):
                    keys.append(f"{inner} (the key)")
                if isinstance(pattern, _PointPattern) and isinstance(v, str):
                    if k.lower() == "coordinates":  # (the web map's positions as letters)
                        keys.extend(f"{inner} position {i + 1:,}" for i in pattern.encoded(v))
                        continue
                items.append((v, inner))
            stack.extend(reversed(items))
        elif isinstance(value, list):
            if isinstance(pattern, _PointPattern) and pattern.pair(value):
                keys.append(where or "(the whole file)")
                continue
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


_READERS: dict[str, Callable[[Path, list[Any], list[Sought], list[Places]], None]] = {
    "csv": _in_csv,
    "gpkg": _in_gpkg,
    "json": _in_json,
    "html": _in_html,
    ".js": _in_json,  # (a data script as JSON; any other script as text)
}


_POINT_READERS: dict[str, Callable[[Path, list[tuple[float, float]], list[Places]], None]] = {
    "csv": _points_in_csv,
    "gpkg": _points_in_gpkg,
}


def _attribute_place(tag: str, name: str) -> Callable[[], str]:
    """The place of an attribute's value ("<a href>"), said only when a value is found."""
    return lambda: f"<{tag} {name}>"
