"""Read any public output (a DataFrame, a CSV, a GeoPackage or a whole export folder) into the
plain pieces the leak gate compares against the raw table.

Why a reader separate from the checks: every check needs the same things from an output
(its tables' columns, every coordinate, every string a reader of the file would see, the free
text around them), and reading once keeps a national-scale gate fast. The reader never decides
what is safe; it only refuses to guess: a file it cannot read, or of a type it does not know,
becomes an ``error`` artifact and every check fails on it (fail closed).
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import zlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from itertools import chain, compress, repeat
from operator import is_, itemgetter
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar, Union

import numpy as np
import pandas as pd

from ..common.background import beside
from ..common.letter_digits import NATURALS_ENCODING, LetterCodeError, letters_to_naturals
from ..common.position_codec import PositionCodeError, decode_positions
from ..common.staging import file_sha256
from ..common.text_file import FORMAT_CHARACTERS, NOT_FOUND, holds_format_character, page_text
from ..io.gpkg_read import GpkgContents, GpkgTable, read_geopackage, read_only_uri
from ..io.gpkg_write import WrittenGpkg, feature_count_triggers, rtree_triggers
from ..release.public_schema import (
    CsvBeingWritten,
    WrittenCsv,
    remember_table,
    remembering,
)
from ..release.release_files import remember_digest
from .scan import has_4_decimals, uk_lon_lat

XML_SUFFIXES = (".qml", ".sld", ".xml", ".qmd")  # QGIS styles beside a GeoPackage, metadata
TEXT_SUFFIXES = (
    ".html", ".htm", ".json", ".geojson", ".js", ".csv", ".txt", ".md", ".css", ".svg",
) + XML_SUFFIXES  # fmt: skip
# Images are read (their text chunks are text a reader of the file sees); no other binary
# file is allowed: a font or an icon names things in tables the gate does not read, so it
# is refused as of an unknown type (no export of ours writes one)
IMAGE_SUFFIXES = (".png",)
GPKG_SUFFIXES = (".gpkg",)
_T = TypeVar("_T")
LON_KEYS = frozenset({"lon", "lng", "long", "longitude", "x"})
LAT_KEYS = frozenset({"lat", "latitude", "y"})
_NAMED_KEYS = (LON_KEYS | LAT_KEYS) - {"x", "y"}
COORD_COLUMN_LON = ("Longitude", "longitude", "lon", "lng")
COORD_COLUMN_LAT = ("Latitude", "latitude", "lat")
CRIME_ROW_COLUMNS = ("Crime ID", "Longitude", "Latitude")
JSON_SCRIPT_TYPES = ("application/json", "application/geo+json", "application/ld+json", "importmap")
# a JavaScript string literal: a run of plain characters, then escapes each followed by such a
# run (the same literals as "(?:[^"\\\n]|\\.)*" matches, one alternation a character; this
# form lets the engine take a run in one step: a web map's 1.7 million-letter positions
# literal is scanned in 0.04 s instead of 0.17 s, in each process that reads the folder)
_JS_STRING = re.compile(
    r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"'
    r"|'[^'\\\n]*(?:\\.[^'\\\n]*)*'"
    r"|`[^`\\]*(?:\\.[^`\\]*)*`",
    re.S,
)
# a JavaScript comment (to the line's end, or to its "*/") or a string literal: the literals
# are matched so that a "//" or "/*" inside one ("https://...") is not read as a comment
_JS_COMMENT = re.compile(
    r"//(?P<line>[^\n\r\u2028\u2029]*)|/\*(?P<block>.*?)(?:\*/|\Z)|" + _JS_STRING.pattern, re.S
)
_WS = re.compile(r"\s+")


@dataclass
class TableSchema:
    """Columns of one table in an output and whether they must be exactly the public ones."""

    where: str
    columns: list[str]
    must_be_public: bool  # the whole output is a crime table, or this table holds crime rows
    extra_allowed: tuple[str, ...] = ()  # e.g. a GeoPackage's fid and geometry columns


@dataclass
class Artifact:
    """What one output (or one file of a folder) shows a reader."""

    name: str
    kind: str  # dataframe, csv, gpkg, json, html, text, image, error
    error: str = ""  # why nothing about this file can be proven (unknown type, unreadable)
    schemas: list[TableSchema] = field(default_factory=list)
    strings: set = field(default_factory=set)  # cells, JSON strings and keys, HTML text/attrs
    texts: list[str] = field(default_factory=list)  # prose/code bodies for regex and substring
    code: list[str] = field(default_factory=list)  # JS/CSS bodies (times are not scanned here)
    # the bodies in ``code`` that are one JSON literal assigned to a name (a data script): no
    # date can be written outside its string literals, which are in ``texts``; the same objects
    json_code: list[str] = field(default_factory=list)
    lon: list[np.ndarray] = field(default_factory=list)  # coordinates, WGS84
    lat: list[np.ndarray] = field(default_factory=list)
    coord_where: list[str] = field(default_factory=list)
    bad_coordinates: list[str] = field(default_factory=list)  # unreadable coordinate values
    numbers: list[float] = field(default_factory=list)  # JSON numbers (epoch, metres)
    # flat arrays of plain integers (a web map's counts and indexes), each taken in one go:
    # (how many of ``numbers`` were read before it, its values); number_values() merges
    number_runs: list[tuple[int, np.ndarray]] = field(default_factory=list)
    # some JSON number is in none of numbers, lon and lat (one under "coordinates" that is
    # not a plain [x, y] position: a third value, a bad position)
    unlisted_numbers: bool = False
    # a .json file's text as written, kept when one of its numbers is a decimal of 1e7 or
    # more (json_numbers_as_written): the float lost how it was written ("20221026.1430" and
    # "20221026.143" are one float), which the raw-timestamp check judges as in any text
    json_text: str = ""
    # a data script's text as written that neither ``texts`` (string literals, unescaped)
    # nor the numbers show: its head (``window.NAME =``) and its string literals that hold
    # an escape, quotes included (checks.data_script_silent)
    script_raw_parts: list[str] = field(default_factory=list)
    projected: list[tuple[np.ndarray, np.ndarray, str]] = field(default_factory=list)
    # a CSV's table as pandas parsed it, named as parsed (read_file hands it to
    # release.public_schema.remember_table and drops it)
    table: Optional[pd.DataFrame] = field(default=None, repr=False, compare=False)
    # an HTML page without scripts read with ``record``: every string added to ``strings``,
    # in the order added, so that another process can build this very set (folder_beside)
    added: Optional[list[str]] = field(default=None, repr=False, compare=False)
    # the file read (None: a DataFrame): what core.gate.locate reads again, only for a
    # finding, to say where in the file the value found is
    path: Optional[Path] = field(default=None, repr=False, compare=False)
    # a DataFrame output itself (the caller's object, not a copy): where core.gate.locate
    # looks for a finding's value, as in a file
    frame: Optional[pd.DataFrame] = field(default=None, repr=False, compare=False)

    def number_values(self) -> np.ndarray:
        """Every JSON number read (``numbers`` and ``number_runs``), in the order read, as
        float64."""
        if not self.number_runs:
            return np.asarray(self.numbers, dtype=np.float64).ravel()
        pieces = []
        before = 0
        for at, values in self.number_runs:
            pieces.append(np.asarray(self.numbers[before:at], dtype=np.float64))
            pieces.append(values)
            before = at
        pieces.append(np.asarray(self.numbers[before:], dtype=np.float64))
        return np.concatenate(pieces)

    def add_coords(self, lon: Any, lat: Any, where: str) -> None:
        lon = np.asarray(lon, dtype=np.float64).ravel()
        lat = np.asarray(lat, dtype=np.float64).ravel()
        if lon.size:
            self.lon.append(lon)
            self.lat.append(lat)
            self.coord_where.append(where)


FOLDER_NAMES = "(the names of its files and folders)"


def folder_names(folder: Path) -> Artifact:
    """The names of a folder's files and folders as an artifact of their own: each name and
    each file's name without its extension as strings, every path as text (and again with
    underscores as spaces), so every check reads them as it reads a file's text.

    Why: a published file's name is text anyone reads (a link, a listing, a download), and
    a release folder holding "LE22005223.csv", "PC 1190 Nowak.txt", "-1.14525,52.66719.html"
    or "457901_308062.txt" passed the gate, which read what the files hold only."""
    paths = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))
    art = Artifact(name=FOLDER_NAMES, kind="text")
    for rel in paths:
        name = rel.rsplit("/", 1)[-1]
        art.strings.add(name)
        art.strings.add(name.rsplit(".", 1)[0] if "." in name[1:] else name)
    if paths:
        listing = "\n".join(paths)
        art.texts.append(listing)
        if "_" in listing:
            art.texts.append(listing.replace("_", " "))
    return art


def normalise(text: str) -> str:
    """Whitespace folded, so HTML reflowing or CSV line breaks cannot hide a value."""
    return " ".join(text.split())


def read_output(
    output: Union[pd.DataFrame, str, Path, WrittenCsv, WrittenGpkg, CsvBeingWritten],
) -> tuple[str, list[Artifact]]:
    """(display name, artifacts) of a public output: a DataFrame, a file or a folder (a
    public CSV or GeoPackage as its writer returned it is read by :func:`read_written_csv`
    or :func:`read_written_gpkg`)."""
    if isinstance(output, pd.DataFrame):
        art = Artifact(name="<DataFrame>", kind="dataframe", frame=output)
        _read_frame(art, output, "table", strict=True)
        return "the public DataFrame", [art]
    if isinstance(output, WrittenCsv):
        return str(output.path), [read_written_csv(output)]
    if isinstance(output, CsvBeingWritten):
        return str(output.path), [read_cells_being_written(output)]
    if isinstance(output, WrittenGpkg):
        return str(output.path), [read_written_gpkg(output)]
    path = Path(output)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() or p.is_symlink())
        if not files:  # (a wrong folder "passed" with nothing checked: fail closed)
            return str(path), [
                Artifact(name=path.name, kind="error", error="the folder holds no file to check")
            ]
        arts = [read_file(p, name=p.relative_to(path).as_posix(), in_folder=True) for p in files]
        return str(path), arts + [folder_names(path)]
    if not path.exists():
        return str(path), [
            Artifact(name=path.name, kind="error", error=f"the output was {NOT_FOUND}")
        ]
    return str(path), [read_file(path, name=path.name, in_folder=False)]


def _identity(path: Path) -> tuple:
    stat = path.stat()
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


def read_written_csv(written: WrittenCsv) -> Artifact:
    """``read_file`` of the public CSV at ``written.path``, from the cells its writer kept
    when the file still holds exactly the bytes written (same size and SHA-256, read now).

    Why: the release's gate parsed the file it had just been written from (pandas, 1-1.5 s
    nationally). Taken only when the writer marked the file ``plain`` (every cell a str
    with no NUL, quote or line break, so pandas' parse of those bytes gives back exactly the
    cells: tests/test_gate_written_csv.py), it has rows, and it is a .csv that is not a
    symbolic link; anything else, or a file changed since it was written, is read from disk
    as any other file (the same verdict by construction)."""
    path = written.path
    name = path.name
    if not hashes_afresh(written):
        return read_file(path, name=name, in_folder=False)

    def read() -> tuple[pd.DataFrame, Artifact]:
        frame = _written_frame(written)
        return frame, _csv_frame_read(name, frame)

    try:
        proved = _read_as_written(path, written.size, written.sha256, read)
    except Exception:  # noqa: BLE001 - the file's own read decides (and reports) it
        proved = None
    if proved is None:
        return read_file(path, name=name, in_folder=False)
    identity, (frame, art) = proved
    art.path = path
    remember_table(path, identity, frame, False)  # (a monthly release's summaries take it)
    remember_digest(identity, written.sha256.hex())  # (read now: the manifest takes it)
    return art


def _csv_frame_read(name: str, frame: pd.DataFrame) -> Artifact:
    """The Artifact of a CSV whose parse is ``frame``."""
    art = Artifact(name=name, kind="csv")
    _read_frame(art, frame, "CSV", strict=True)
    return art


def read_cells_being_written(output: CsvBeingWritten) -> Artifact:
    """The Artifact of the public CSV a child is writing (core.release.csv_beside), read
    from the cells it writes, exactly as :func:`read_written_csv` reads them once the file
    is proved to hold their bytes. The gate must then prove it (:func:`proves_written`) or
    read the file; a table that is not plain is never written this way. Its ``path`` is
    left unset, so no finding is looked for in a file still being written: the gate takes
    a failing verdict from the file itself, each finding's place found there."""
    prepared = output.prepared
    if not prepared.plain or not prepared.parsed:
        raise ValueError("only a plain CSV's cells can be checked before it is written")
    return _csv_frame_read(output.path.name, _cells_frame(prepared.header, prepared.parsed))


def proves_written(output: CsvBeingWritten, written: WrittenCsv) -> bool:
    """Whether the file ``written`` names holds exactly the bytes written from the cells the
    gate checked as ``output`` (read_cells_being_written): the writer made it from those
    very cells, it is plain as written, and its size and SHA-256 taken now are the
    writer's, the file the same before and after (as :func:`read_written_csv` proves a
    file). Remembers the table and digest as that read does. False: read the file."""
    path = written.path
    if (
        path != output.path
        or written.columns is not output.prepared.parsed
        or not hashes_afresh(written)
    ):
        return False
    try:
        proved = _read_as_written(path, written.size, written.sha256, lambda: None)
    except Exception:  # noqa: BLE001 - the file's own read decides (and reports) it
        return False
    if proved is None:
        return False
    identity = proved[0]
    remember_table(path, identity, _written_frame(written), False)
    remember_digest(identity, written.sha256.hex())
    return True


def read_written_gpkg(written: WrittenGpkg) -> Artifact:
    """``read_file`` of the GeoPackage at ``written.path``, its writer's tables taken from
    what the writer bound (core.io.gpkg_read._known_table decides where that is certain)
    when the file still holds exactly the bytes hashed after writing (same size and
    SHA-256, read now, the same file before and after the read).

    Why: the release's gate read back every value of the public layer the same process had
    just written (2-3 s CPU nationally). Everything else (gpkg_* and metadata tables, any
    table the writer did not make) is read from the file as always; a symbolic link, a
    file changed since, or any failure is read from disk as any other file (the same
    verdict by construction)."""
    path = written.path
    name = path.name
    if not hashes_afresh(written):
        return read_file(path, name=name, in_folder=False)
    known = {t.name: t for t in written.tables}
    try:
        proved = _read_as_written(
            path, written.size, written.sha256, lambda: _read_gpkg(path, name, known=known)
        )
    except Exception:  # noqa: BLE001 - the file's own read decides (and reports) it
        proved = None
    if proved is None:
        return read_file(path, name=name, in_folder=False)
    identity, art = proved
    art.path = path
    remember_digest(identity, written.sha256.hex())  # (read now: the manifest takes it)
    return art


def hashes_afresh(output: Any) -> bool:
    """Whether the gate's read of ``output`` (a WrittenCsv or WrittenGpkg) tries the
    writer's values: it then takes the file's SHA-256 afresh (:func:`_read_as_written`) and, when
    the file proves to be its writer's bytes, remembers that digest for the manifest
    (release_files.remember_digest), so a release need not hash the file beside the gate."""
    if isinstance(output, WrittenCsv):
        header = output.header
        usable = output.plain and len(set(header)) == len(header) == len(output.columns)
        return usable and len(output.columns[0]) > 0 and output.path.suffix.lower() == ".csv"
    if isinstance(output, WrittenGpkg):
        return bool(output.tables) and output.path.suffix.lower() in GPKG_SUFFIXES
    return False


def _read_as_written(
    path: Path, size: int, sha256: bytes, read: Callable[[], _T]
) -> Optional[tuple[tuple, _T]]:
    """(the file's identity, ``read()``) when the file is no symbolic link and holds exactly
    the ``size`` bytes its writer hashed to ``sha256`` (hashed now), and its identity
    (device, inode, size, modification time) is the same after the hash and the read as
    before them; None: read it as any other file (an error in either is raised).

    The hash runs on a thread while ``read()`` runs here (hashlib and the file's reads let
    go of Python's lock: a national GeoPackage's 160 MB no longer waits for the read, nor
    the read for it); both happen between the two looks at the identity, so what was read
    is used only for those very bytes. ``sha256`` is then also the digest of the file's
    bytes as read now, at that identity: what the release manifest lists
    (release_files.remember_digest), so the manifest does not read the file a third time."""
    if path.is_symlink():
        return None
    identity = _identity(path)
    if identity[2] != size:
        return None
    hashed = beside(lambda: _sha256(path), name="gate sha256")
    try:
        value = read()
    finally:
        digest = hashed()  # (always joined: no thread reads the file once this returns)
    if digest != sha256 or _identity(path) != identity or path.is_symlink():
        return None
    return identity, value


def _sha256(path: Path) -> bytes:
    return file_sha256(path)[0]


def _written_frame(written: WrittenCsv) -> pd.DataFrame:
    """The table pandas' read of a plain written CSV gives (``read_public_csv``'s call):
    object columns of the very cells, named by the header, a RangeIndex."""
    return _cells_frame(written.header, written.columns)


def _cells_frame(header: tuple[str, ...], columns: tuple[np.ndarray, ...]) -> pd.DataFrame:
    return pd.DataFrame(dict(zip(header, columns)), copy=False)


def read_file(
    path: Path,
    name: str,
    in_folder: bool,
    record: bool = False,
    gpkg_contents: Optional[GpkgContents] = None,
    csv_firsts: Optional[list] = None,
    gpkg_coords: Optional[list[Optional[PairCoords]]] = None,
) -> Artifact:
    """One file as an Artifact (its ``path`` set); unknown types and read failures become
    error artifacts.
    ``record``: an HTML page without scripts keeps the strings it added (Artifact.added).
    ``gpkg_contents``: a GeoPackage's read_geopackage(path, **read_options()) made already
    (by a forked child: core.gate.gpkg_beside), taken instead of reading it again, with
    ``gpkg_coords``: its gpkg_pair_coords, when the child made them.
    ``csv_firsts``: a CSV's cells are not added to ``strings`` but their columns' distinct
    values, first occurrences in row order, appended here (core.gate.csv_beside: a forked
    child's read, which :func:`add_firsts` replays in the caller into the very same set)."""
    art = _read_file(path, name, in_folder, record, gpkg_contents, csv_firsts, gpkg_coords)
    art.path = path
    return art


def _read_file(
    path: Path,
    name: str,
    in_folder: bool,
    record: bool,
    gpkg_contents: Optional[GpkgContents],
    csv_firsts: Optional[list],
    gpkg_coords: Optional[list[Optional[PairCoords]]],
) -> Artifact:
    """:func:`read_file`'s read (its artifact's path not yet set)."""
    suffix = path.suffix.lower()
    try:
        if path.is_symlink():
            return Artifact(
                name=name,
                kind="error",
                error="symbolic link: cannot prove what it points to is safe",
            )
        if suffix in IMAGE_SUFFIXES:
            return _read_png(path.read_bytes(), name)
        if suffix in GPKG_SUFFIXES:
            return _read_gpkg(path, name, contents=gpkg_contents, pair_coords=gpkg_coords)
        if suffix not in TEXT_SUFFIXES:
            return Artifact(
                name=name, kind="error", error="unknown file type, cannot prove it is safe"
            )
        identity = _identity(path) if suffix == ".csv" and not in_folder else ()
        data = path.read_bytes()
        try:
            text = _csv_head(data) if suffix == ".csv" else data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return Artifact(
                name=name,
                kind="error",
                error=f"not readable as UTF-8 ({exc.reason} at byte {exc.start})",
            )
        # parsers (pandas' C reader) stop at NUL: what follows is unseen (in UTF-8 a zero
        # byte is a NUL and nothing else, so a CSV's bytes are searched: its text is partial)
        if b"\x00" in data if suffix == ".csv" else "\x00" in text:
            return Artifact(
                name=name,
                kind="error",
                error="contains NUL characters, which no public text file holds; "
                "cannot prove what follows them is safe",
            )
        if suffix == ".csv":
            marked = data.startswith(b"\xef\xbb\xbf")
            body = data[3:] if marked else data
            del data
            kept = bool(identity) and csv_firsts is None and remembering()
            art = _read_csv(
                text, name, strict=not in_folder, body=body, firsts=csv_firsts, keep_text=kept
            )
            if kept and art.table is not None:  # a monthly release's summaries reuse it
                remember_table(path, identity, art.table, marked)
            art.table = None
            return art
        if suffix in (".json", ".geojson"):
            art = Artifact(name=name, kind="json")
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                return Artifact(name=name, kind="error", error=f"invalid JSON: {exc}")
            walk_json(art, data, name)
            if json_numbers_as_written(art.number_values()):
                art.json_text = text
            return art
        if suffix in (".html", ".htm", ".svg"):
            art = Artifact(name=name, kind="html")
            _read_html(art, text, name, record=record)
            return art
        if suffix in XML_SUFFIXES:
            art = Artifact(name=name, kind="xml")
            _read_xml(art, text, name)
            return art
        if suffix == ".css":
            art = Artifact(name=name, kind="text")
            strings, texts, decoded = _css_read(text)
            art.strings.update(strings)
            if texts:
                art.texts.append(texts)
            art.code.append(text)
            if decoded:
                art.code.append(decoded)
            return art
        if suffix == ".js":
            art = Artifact(name=name, kind="text")
            art.code.append(text)
            data = _json_assignment(text)
            if data is not _NOT_JSON:
                art.json_code.append(text)
            _read_script(art, text, name, data)
            return art
        art = Artifact(name=name, kind="text")  # .txt, .md
        art.texts.append(text)
        return art
    except Exception as exc:  # noqa: BLE001 - anything unexpected: the file is unproven
        return Artifact(name=name, kind="error", error=f"cannot read: {type(exc).__name__}: {exc}")


# --- images ---------------------------------------------------------------------------------------
# A PNG is pixels and chunks of metadata: its text chunks (tEXt, zTXt, iTXt: a title, an
# author, a comment, the software that drew it) are text anyone can read with an image
# viewer, so they are read as a text file's text. Only the chunks that hold pixels or how to
# show them are taken without reading; any other (eXIf, tIME: a timestamp, iCCP: a profile
# with its own text, a private or animation chunk), a chunk that fails its CRC, or bytes
# after IEND make the file fail closed, as an unknown file type does.
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_PIXEL_CHUNKS = frozenset(b"IHDR PLTE IDAT IEND tRNS gAMA cHRM sRGB sBIT bKGD pHYs".split())
_PNG_TEXT_CHUNKS = frozenset((b"tEXt", b"zTXt", b"iTXt"))


def _read_png(data: bytes, name: str) -> Artifact:
    """A PNG file: its text chunks read as text; an error artifact for anything else that
    is not pixels (see above)."""
    if not data.startswith(_PNG_SIGNATURE):
        return Artifact(name=name, kind="error", error="not a PNG image, cannot prove it is safe")
    texts: list[str] = []
    at = len(_PNG_SIGNATURE)
    kind = b""
    while kind != b"IEND":
        if at + 12 > len(data):
            return Artifact(name=name, kind="error", error="a PNG image cut short")
        length = int.from_bytes(data[at : at + 4], "big")
        kind = data[at + 4 : at + 8]
        body = data[at + 8 : at + 8 + length]
        crc = data[at + 8 + length : at + 12 + length]
        if len(crc) != 4 or zlib.crc32(data[at + 4 : at + 8 + length]).to_bytes(4, "big") != crc:
            return Artifact(name=name, kind="error", error="a PNG chunk that fails its CRC")
        if kind in _PNG_TEXT_CHUNKS:
            texts.extend(_png_text(kind, body))
        elif kind not in _PNG_PIXEL_CHUNKS:
            shown = kind.decode("latin-1")
            return Artifact(
                name=name,
                kind="error",
                error=f"a PNG chunk the gate does not read ({shown!r}), cannot prove it is safe",
            )
        at += 12 + length
    if at != len(data):
        return Artifact(
            name=name, kind="error", error="bytes after the end of a PNG image, not read"
        )
    art = Artifact(name=name, kind="image")
    art.strings.update(t for t in map(normalise, texts) if t)
    if texts:
        art.texts.append("\n".join(texts))
    return art


_PNG_TEXT_LIMIT = 1 << 24  # a text chunk's text inflated (a larger one fails closed)


def _inflated(data: bytes) -> bytes:
    """A text chunk's zlib stream inflated; ValueError beyond _PNG_TEXT_LIMIT bytes (a
    small chunk that would inflate to gigabytes is refused, not read)."""
    inflate = zlib.decompressobj()
    text = inflate.decompress(data, _PNG_TEXT_LIMIT)
    if inflate.unconsumed_tail or not inflate.eof:
        raise ValueError("a PNG text chunk too large or cut short")
    return text


def _png_text(kind: bytes, body: bytes) -> list[str]:
    """A text chunk's keyword and text (ValueError or zlib.error when it is malformed: the
    file fails closed)."""
    keyword, sep, rest = body.partition(b"\x00")
    if not sep:
        raise ValueError(f"a PNG {kind.decode()} chunk without its keyword's end")
    if kind == b"tEXt":
        return [keyword.decode("latin-1"), rest.decode("latin-1")]
    if kind == b"zTXt":
        if rest[:1] != b"\x00":
            raise ValueError("a PNG zTXt chunk compressed by an unknown method")
        return [keyword.decode("latin-1"), _inflated(rest[1:]).decode("latin-1")]
    compressed, method, rest = rest[:1], rest[1:2], rest[2:]
    language, _, rest = rest.partition(b"\x00")
    translated, sep, text = rest.partition(b"\x00")
    if not sep or compressed not in (b"\x00", b"\x01") or method != b"\x00":
        raise ValueError("a malformed PNG iTXt chunk")
    if compressed == b"\x01":
        text = _inflated(text)
    parts = (keyword.decode("latin-1"), language.decode("ascii"), translated.decode("utf-8"))
    return [*parts, text.decode("utf-8")]


# --- tables ---------------------------------------------------------------------------------------
CSV_HEAD_CHARACTERS = 65536  # _read_csv takes the header from the text's first characters


def _csv_head(data: bytes) -> str:
    """The text of a CSV file as _read_csv uses it (its first CSV_HEAD_CHARACTERS characters
    when pandas parses the bytes), with the same UnicodeDecodeError as decoding the whole
    file. Why not the whole text: an ASCII file (a national public CSV: 115 MB) is valid
    UTF-8 without a byte-order mark, so decoding it all would only prove what isascii()
    proves in a tenth of the time; any other file is decoded whole, as before, so an
    invalid byte anywhere raises."""
    if data.isascii():
        return data[:CSV_HEAD_CHARACTERS].decode("ascii")
    return data.decode("utf-8-sig")


def _read_csv(
    text: str,
    name: str,
    strict: bool,
    body: Optional[bytes] = None,
    firsts: Optional[list] = None,
    keep_text: bool = True,
) -> Artifact:
    """A CSV file's table. ``body``: the file's UTF-8 bytes (already validated by read_file:
    decoded, or proved ASCII; BOM removed), which pandas' C parser reads without re-encoding
    the text; ``text`` is then only needed for its first CSV_HEAD_CHARACTERS characters.
    ``keep_text``: the table is wanted as read_public_csv gives it (``art.table``, every
    cell a str); else its coordinate columns may be parsed as numbers straight away
    (:func:`_coordinates_parsed`: the same artifact)."""
    art = Artifact(name=name, kind="csv")
    head = text[:CSV_HEAD_CHARACTERS].split("\n", 1)[0]
    header = next(csv.reader(io.StringIO(head + "\n")), [])

    def source() -> Any:
        return io.BytesIO(body) if body is not None else io.StringIO(text)

    frame = None if keep_text else _coordinates_parsed(source, header)
    as_text = frame is None
    if frame is None:
        frame = pd.read_csv(
            source(), dtype=str, keep_default_na=False, na_filter=False, header=0, encoding="utf-8"
        )
    _refuse_implicit_index(frame)
    parsed = list(frame.columns)
    frame.columns = header if len(header) == frame.shape[1] else parsed
    _read_frame(art, frame, "CSV", strict=strict, firsts=firsts)
    if as_text and parsed == header:  # the columns as pandas named them: read_public_csv's
        art.table = frame
    return art


def _refuse_implicit_index(frame: pd.DataFrame) -> None:
    """ValueError (the file then fails every check: nothing about it is proven) when pandas
    took a first row's extra leading cells as the table's index: a row with more fields than
    the header, whose first cells no check would see (a raw reference, a date, a raw
    coordinate pair under a two-column header passed the gate). A later row with too many
    fields stops pandas' parse itself."""
    index = frame.index
    if len(frame) and not (
        isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1
    ):  # (a header alone has no row to hide: pandas gives it an empty index of its own)
        raise ValueError(
            "a row has more fields than the header (pandas would hide its first cells in "
            "the index): every cell must be under a column"
        )


def _coordinates_parsed(source: Callable[[], Any], header: list[str]) -> Optional[pd.DataFrame]:
    """The CSV's table with its Longitude and Latitude columns (those _read_frame takes)
    parsed by pandas as float64 and every other cell a str, when that gives exactly what
    _read_frame makes of the all-text table; None otherwise (the caller parses it as text).

    Why: a national public CSV's million coordinate cells cost pandas a Python string
    each, then pd.to_numeric a parse each; parsed as numbers by the C reader the whole read
    takes about a third less (issue 15: the gate on the public CSV). The two parses are one
    function (pandas' precise_xstrtod, the same separators and the same infinity
    spellings), and the table is taken only where that is certain to give the same floats:
    - every cell of both columns parses (pandas refuses the column otherwise: "nan", a
      hex or an overflowing number, a tokenizing error, all read as text, as before); a
      blank cell, and only a blank one, is NaN;
    - a row blank in one column is blank in the other, and every other value is finite
      (the text read reports such rows with their cells as written);
    - neither column is all whole numbers (pd.to_numeric gives those as integers, so
      "-0" would be 0.0 there and -0.0 here);
    - the columns are exactly ``header``, each name once (the float columns are the ones
      named; a renamed or repeated column is read as text)."""
    lon = next((c for c in header if c in COORD_COLUMN_LON), None)
    lat = next((c for c in header if c in COORD_COLUMN_LAT), None)
    if lon is None or lat is None or len(set(header)) != len(header):
        return None
    try:
        frame = pd.read_csv(
            source(),
            dtype={c: np.float64 if c in (lon, lat) else str for c in header},
            keep_default_na=False,
            na_values={lon: [""], lat: [""]},
            header=0,
            encoding="utf-8",
        )
    except Exception:  # noqa: BLE001 - the text read decides (and reports) it
        return None
    if list(frame.columns) != header:
        return None
    x, y = frame[lon].to_numpy(), frame[lat].to_numpy()
    if x.dtype != np.float64 or y.dtype != np.float64:
        return None
    blank = np.isnan(x)
    if not np.array_equal(blank, np.isnan(y)):
        return None
    for values in (x[~blank], y[~blank]):
        if not np.isfinite(values).all() or (values.size and (values == np.floor(values)).all()):
            return None
    return frame


def _is_crime_table(columns: list[str]) -> bool:
    return any(c in columns for c in CRIME_ROW_COLUMNS)


def _read_frame(
    art: Artifact,
    frame: pd.DataFrame,
    where: str,
    strict: bool,
    firsts: Optional[list] = None,
) -> None:
    """Columns, distinct cell strings and Longitude/Latitude coordinates of a table.
    ``firsts``: the strings are not added but recorded there (see :func:`add_firsts`)."""
    columns = [str(c) for c in frame.columns]
    art.schemas.append(
        TableSchema(where=where, columns=columns, must_be_public=strict or _is_crime_table(columns))
    )
    lon_col = next((c for c in frame.columns if str(c) in COORD_COLUMN_LON), None)
    lat_col = next((c for c in frame.columns if str(c) in COORD_COLUMN_LAT), None)
    for col in frame.columns:
        if col in (lon_col, lat_col):
            continue
        if firsts is not None:
            firsts.append((_first_texts(frame[col]), str(col)))
            continue
        art.strings.update(_distinct_text(frame[col]))
        art.strings.add(str(col))
    if lon_col is not None or lat_col is not None:
        if lon_col is None or lat_col is None:
            art.bad_coordinates.append(f"{where}: only one of Longitude/Latitude is present")
            col = lon_col if lon_col is not None else lat_col
            vals = pd.to_numeric(frame[col], errors="coerce").to_numpy(np.float64)
            art.add_coords(vals, np.full(vals.size, np.nan), f"{where} column {col}")
            return
        _table_coords(art, frame[lon_col], frame[lat_col], where)


def _distinct_text(series: pd.Series) -> set:
    """Distinct non-blank cells of a column as str. A Python set, not pd.unique: pandas'
    string hash table stops at a NUL, so a cell "a\\x00secret" would hide behind "a"."""
    distinct = set(series.to_numpy(dtype=object).tolist())
    if not {str}.issuperset(map(type, distinct)):  # (every cell exactly a str; in C)
        distinct = {str(v) for v in distinct if v is not None and v == v}
    distinct.discard("")
    return distinct


def _first_texts(series: pd.Series) -> Optional[list[str]]:
    """A column's distinct cells, first occurrences in row order, when every cell is
    exactly a str (None otherwise: the caller reads the file itself). A set built from
    them is the set built from the whole column, slot for slot (a repeated key changes no
    set; a new one is added, and the table resized, exactly as in the whole column's
    build), so :func:`add_firsts` gives _distinct_text's very set (its order too)."""
    values = series.to_numpy(dtype=object).tolist()
    firsts = list(dict.fromkeys(values))
    return firsts if {str}.issuperset(map(type, firsts)) else None


def add_firsts(art: Artifact, firsts: list) -> bool:
    """Replay :func:`_read_frame`'s string adds from ``firsts`` (see read_file's
    ``csv_firsts``): the same sets, added in the same order, as a read here; False (nothing
    added) when a column could not be recorded."""
    for values, col in firsts:
        if values is None or type(col) is not str or not {str}.issuperset(map(type, values)):
            return False
    for values, col in firsts:
        distinct = set(values)
        distinct.discard("")
        art.strings.update(distinct)
        art.strings.add(col)
    return True


#: A table's Longitude/Latitude as the gate takes them: (longitudes, latitudes) of the
#: rows with a coordinate, float64, and what was wrong with the first bad rows
PairCoords = tuple[np.ndarray, np.ndarray, list[str]]


def _table_coords(art: Artifact, lon_s: pd.Series, lat_s: pd.Series, where: str) -> None:
    _add_pair_coords(art, _pair_coords(lon_s, lat_s, where), where)


def _pair_coords(lon_s: pd.Series, lat_s: pd.Series, where: str) -> PairCoords:
    # no per-cell strip: a padded number is read as not-a-number and fails (closed)
    lon = pd.to_numeric(lon_s, errors="coerce").to_numpy(np.float64)
    lat = pd.to_numeric(lat_s, errors="coerce").to_numpy(np.float64)
    blank = _blank(lon_s) & _blank(lat_s)
    bad = ~blank & ~(np.isfinite(lon) & np.isfinite(lat))
    found = [
        f"{where} row {i + 1}: Longitude {str(lon_s.iat[i])!r}, Latitude "
        f"{str(lat_s.iat[i])!r} (not a pair of numbers)"
        for i in (np.flatnonzero(bad)[:5].tolist() if bad.any() else [])
    ]
    ok = ~blank & ~bad
    return lon[ok], lat[ok], found


def _add_pair_coords(art: Artifact, coords: PairCoords, where: str) -> None:
    lon, lat, found = coords
    art.bad_coordinates.extend(found)
    art.add_coords(lon, lat, f"{where} Longitude/Latitude")


def _blank(series: pd.Series) -> np.ndarray:
    if series.dtype == np.float64:  # (_coordinates_parsed's: NaN only where the cell was blank)
        return np.isnan(series.to_numpy())
    values = series.to_numpy(dtype=object)
    return (values == "") | pd.isna(values)


def read_options() -> dict[str, Any]:
    """read_geopackage's options for the gate's read of a GeoPackage (a table's Longitude
    and Latitude are read as pairs only: _read_gpkg)."""
    return {"pair_columns": (COORD_COLUMN_LON, COORD_COLUMN_LAT), "pairs_only": True}


def _coord_columns(columns: list[str]) -> tuple[Optional[str], Optional[str]]:
    """A GeoPackage table's (Longitude, Latitude) attribute columns, each None if absent."""
    lon_col = next((c for c in columns if c in COORD_COLUMN_LON), None)
    lat_col = next((c for c in columns if c in COORD_COLUMN_LAT), None)
    return lon_col, lat_col


def _gpkg_where(table: GpkgTable) -> str:
    return f"layer {table.name}"


def gpkg_pair_coords(contents: GpkgContents) -> list[Optional[PairCoords]]:
    """Each table's Longitude/Latitude as :func:`_read_gpkg` takes them from the pairs its
    scan gave (None for a table without both columns or without the pairs, which
    _read_gpkg queries itself): what a forked reader (core.gate.gpkg_beside) sends back in
    place of the pairs, so that the gate's process neither unpickles 300,000 tuples of text
    nor parses them again."""
    out: list[Optional[PairCoords]] = []
    for table in contents.tables:
        lon_col, lat_col = _coord_columns(table.columns)
        rows = table.pairs if lon_col and lat_col else None
        if rows is None or table.pair_columns != (lon_col, lat_col):
            out.append(None)
            continue
        out.append(_rows_coords(rows, f"{_gpkg_where(table)} attributes"))
    return out


def _rows_coords(rows: list, where: str) -> PairCoords:
    """The coordinates of (Longitude, Latitude) rows as the database gave them (text, a
    number, NULL)."""
    frame = pd.DataFrame(rows, columns=["lon", "lat"]).fillna("").astype(str)
    return _pair_coords(frame["lon"], frame["lat"], where)


def _read_gpkg(
    path: Path,
    name: str,
    known: Optional[dict] = None,
    contents: Optional[GpkgContents] = None,
    pair_coords: Optional[list[Optional[PairCoords]]] = None,
) -> Artifact:
    """A GeoPackage's artifact; ``contents``: its read_geopackage(path, **read_options())
    made already (then not read again); ``pair_coords``: gpkg_pair_coords(contents) made
    already, one per table (a table's None: made here)."""
    from ..common.geography import to_wgs84

    art = Artifact(name=name, kind="gpkg")
    if contents is None:
        contents = read_geopackage(path, known=known, **read_options())
    unproven = _unreadable_gpkg_parts(contents)
    if unproven:
        return Artifact(name=name, kind="error", error=unproven)
    metadata = _schema_texts(contents)
    art.strings.update(normalise(t) for t in metadata)
    art.texts.extend(metadata)
    for i, table in enumerate(contents.tables):
        where = _gpkg_where(table)
        point_layer = table.geometry_type.upper() in ("POINT", "MULTIPOINT")
        extra = tuple(c for c in (table.pk, table.geometry_column) if c)
        crime_rows = point_layer or _is_crime_table(table.columns)
        art.schemas.append(
            TableSchema(
                where=where,
                columns=list(table.columns),
                must_be_public=crime_rows,
                extra_allowed=extra,
            )
        )
        art.strings.update(table.columns)
        lon_col, lat_col = _coord_columns(table.columns)
        for col, values in table.distinct.items():
            if col in (lon_col, lat_col):
                continue
            had_empty = "" in art.strings  # (a metadata text may have folded to "")
            art.strings.update(values)  # in C; the empty cell taken out again below
            if not had_empty:
                art.strings.discard("")
        if lon_col and lat_col:
            coords = pair_coords[i] if pair_coords is not None else None
            if coords is None:
                coords = _rows_coords(_pairs(path, table, lon_col, lat_col), f"{where} attributes")
            _add_pair_coords(art, coords, f"{where} attributes")
        elif lon_col or lat_col:
            art.bad_coordinates.append(f"{where}: only one of Longitude/Latitude is present")
        if table.geometry_column and table.x.size:
            srs = table.srs
            if srs in ("EPSG:4326", "OGC:84", "OGC:CRS84"):
                art.add_coords(table.x, table.y, f"{where} geometry")
            elif srs is None:
                looks_degrees = (
                    np.nanmax(np.abs(table.x)) <= 180 and np.nanmax(np.abs(table.y)) <= 90
                )
                if looks_degrees:
                    art.add_coords(table.x, table.y, f"{where} geometry (undefined CRS)")
                else:
                    art.bad_coordinates.append(
                        f"{where}: geometry in an undefined CRS cannot be checked"
                    )
                    art.projected.append((table.x, table.y, "undefined"))
            else:
                lon, lat = to_wgs84(table.x, table.y, srs)
                art.add_coords(lon, lat, f"{where} geometry ({srs})")
                art.projected.append((table.x, table.y, srs))
    return art


def _schema_texts(contents: GpkgContents) -> list[str]:
    """The texts of a GeoPackage's metadata and schema: its metadata texts less the triggers
    that are exactly the SQL this tool's writer puts on a table (core.io.gpkg_write: GDAL's
    R-tree and feature-count triggers), then the names of its tables, their geometry columns
    and keys, their columns' declared types and defaults (GpkgTable.declared_text), and a
    table's or view's definition where it says more than those (GpkgTable.definition), once
    each.

    Why the triggers: such a trigger is fixed SQL around those names, so it shows a reader
    nothing the names do not. Checked as text, its SQL words ("after insert on ... when
    new ... not null") made the free-text check rule its runs out against the raw notes:
    some 0.3 s of every national GeoPackage's gate (issue 15), to find nothing, or a
    finding that is SQL, not a note. Any other trigger (one whose text differs by a byte:
    another writer's, an edited one, one holding a literal) stays a text to check.

    Why the names, always: a layer's name is what QGIS shows for it, and the key and
    geometry column are no attribute columns (core.io.gpkg_read reports those apart). They
    were read only inside the triggers' text (or when the name was also the layer's
    identifier): a layer without triggers named with a raw reference or a victim's name
    passed the gate. A column's declared type or default is in no cell (an empty table's
    default, a type named with a victim's name, passed)."""
    written: set[str] = set()
    for table in contents.tables:
        made = feature_count_triggers(table.name)
        if table.geometry_column:
            made += rtree_triggers(table.name, table.geometry_column)
        written.update(sql[:-1] if sql.endswith(";") else sql for sql in made)
    kept = [t for t in contents.metadata_text if t not in written]
    named: dict[str, None] = {}
    for table in contents.tables:
        named.update((n, None) for n in (table.name, table.geometry_column, table.pk) if n)
        named.update((t, None) for t in table.declared_text)
        if table.definition:
            named[table.definition] = None
    return kept + list(named)


def _unreadable_gpkg_parts(contents: GpkgContents) -> str:
    """Why the gate cannot prove a GeoPackage safe ("" when it can read all of it): a table
    named as a system one that is none (gpkg_read reads only user tables), or an attribute
    value that is a BLOB (given as hex, which no text check can read: a raw extract stored
    as one passed). The public files this tool writes have neither."""
    found = [
        f"table {n!r} is named as a GeoPackage or SQLite table but is none"
        for n in (contents.unknown_system_tables)
    ]
    found += [
        f"layer {t.name} column {c!r} holds binary (BLOB) values"
        for t in contents.tables
        for c in t.blob_columns
    ]
    if not found:
        return ""
    return "cannot prove it safe: " + "; ".join(found[:5])


def _pairs(path: Path, table: GpkgTable, lon_col: str, lat_col: str) -> list:
    """The table's distinct (Longitude, Latitude) pairs: distinct values per column cannot
    be paired, so the pairs themselves (the reader's one scan gives them when both columns
    are all text; else they are queried here)."""
    if table.pairs is not None and table.pair_columns == (lon_col, lat_col):
        return table.pairs
    import sqlite3

    uri = read_only_uri(path)
    with sqlite3.connect(uri, uri=True) as conn:
        rows = conn.execute(
            f'SELECT DISTINCT "{lon_col}", "{lat_col}" FROM "{table.name}"'
        ).fetchall()
    conn.close()
    return rows


# --- JSON -----------------------------------------------------------------------------------------
def _number(v: Any) -> Optional[float]:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.strip())
        except ValueError:
            return None
    return None


def _positions(value: Any, out_lon: list, out_lat: list, bad: list) -> bool:
    """Every [x, y, ...] position under a GeoJSON "coordinates" member (strict). True when
    every number under it is an x or y taken (only plain [x, y] positions of numbers)."""
    listed = True
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list) and item and not isinstance(item[0], list):
            x = _number(item[0]) if len(item) >= 2 else None
            y = _number(item[1]) if len(item) >= 2 else None
            if x is None or y is None:
                bad.append(f"coordinates {str(item)[:60]}")
                listed = False
            else:
                out_lon.append(x)
                out_lat.append(y)
                listed = listed and len(item) == 2 and not isinstance(item[0], str)
                listed = listed and not isinstance(item[1], str)
        elif isinstance(item, list):
            stack.extend(item)
        else:
            listed = False  # a value beside the positions (walked by nothing)
    return listed


def _float_pair_list(value: Any) -> Optional[list]:
    """The numbers of :func:`_positions` (its order, reversed from the file's) as a list of
    [y, x] pairs, last position first (the file's numbers reversed), when ``value`` is
    nested lists of one depth whose innermost lists are all exactly two JSON floats (a web
    map's coordinates: 125,000 points, 7,200 outlines): then every number is a listed x or
    y and none is bad. None for anything else (_positions decides). A list, not arrays, so
    that a walk converts many in one array (a national map's 7,200 outlines were 7,200
    small conversions); the levels are flattened in C, not one stack round per position."""
    if type(value) is not list:
        return None
    nodes: list = [value]
    while nodes:
        if not all(nodes):
            nodes = [n for n in nodes if n]  # (an empty list holds nothing to walk)
            if not nodes:
                return []
        firsts = set(map(type, map(_first, nodes)))
        if firsts == {list}:
            children = list(chain.from_iterable(nodes))
            if set(map(type, children)) != {list}:
                return None  # a value beside the lists (or a subclass): the walk decides
            nodes = children
            continue
        if firsts != {float} or set(map(len, nodes)) != {2}:
            return None
        flat = list(chain.from_iterable(nodes))
        if set(map(type, flat)) != {float}:
            return None
        flat.reverse()
        return flat
    return []


def _pairs_of(flat: list) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of _float_pair_list's numbers, or of several such lists chained."""
    pairs = np.array(flat, dtype=np.float64).reshape(-1, 2)
    return pairs[:, 1], pairs[:, 0]


_first = itemgetter(0)


def _encoded_positions(art: Artifact, text: str, where: str, lons: list, runs: list) -> None:
    """A "coordinates" member holding a string: positions in the web map's letters
    (core.common.position_codec), taken as positions exactly as JSON pairs are. Any other
    string there is a bad coordinate (the check refuses it): nothing under "coordinates"
    goes unchecked.

    Decoded, the string leaves the artifact's strings and texts (where the script's literals
    were read): it is positions, as a JSON pair's numbers are not texts, and a megabyte of
    letters there cost every text scan seconds for nothing. Nothing goes unsearched: the
    script's body, which holds it, stays among the code that the substring searches read, and
    the number scans can find nothing in ASCII letters (checks.py's note on data scripts)."""
    try:
        x, y = decode_positions(text)
    except PositionCodeError as exc:
        art.bad_coordinates.append(f"{where}: coordinates {text[:40]!r}...: {exc}")
        return
    runs.append((len(lons), x, y))
    if not text:  # (no points: nothing was read as a text)
        return
    held = art.texts.count(text)
    if held:
        art.texts.remove(text)
    if held <= 1:  # (the same text as a label too stays one of the strings)
        art.strings.discard(normalise(text))


def _encoded_naturals(art: Artifact, text: str, where: str) -> None:
    """The "values" of an object whose "encoding" is NATURALS_ENCODING: whole numbers in the
    web map's letters (core.common.letter_digits), taken as the numbers they are, exactly as
    a JSON array of them is (every number check sees each one). Letters that are not such
    numbers raise, so the file is unreadable and every check fails: what the page would
    show from them is unknown.

    Decoded, the string leaves the artifact's strings and texts, as positions' letters do
    (_encoded_positions says why, and why nothing goes unsearched)."""
    try:
        values = letters_to_naturals(text)
    except LetterCodeError as exc:
        raise LetterCodeError(f"{where}: numbers {text[:40]!r}...: {exc}") from None
    art.number_runs.append((len(art.numbers), values.astype(np.float64)))
    if not text:
        return
    held = art.texts.count(text)
    if held:
        art.texts.remove(text)
    if held <= 1:
        art.strings.discard(normalise(text))


def _int_values(item: list) -> Optional[np.ndarray]:
    """``[float(v) for v in item]`` of a list of plain ints, in one conversion; None when
    one is beyond int64 (then float() takes them one by one, as before)."""
    try:
        return np.array(item, dtype=np.int64).astype(np.float64)
    except OverflowError:
        return None


def json_numbers_as_written(values: np.ndarray) -> bool:
    """Whether a .json file's numbers need reading as written: one is a decimal (not whole)
    of 1e7 or more either sign, which a raw timestamp with a fraction or a time joined by its
    point may be ("1666762680.123", "20221026.0538"). Its written form decides, as in any
    text: a float keeps no trailing zero, so "20221026.143" (no time) and "20221026.1430"
    (14:30) are one value. A data script's or a page's JSON is scanned as written already;
    a .json file's text is kept only then (a map's coordinates and counts are far below)."""
    big = values[np.abs(values) >= 1e7]
    return bool(big.size) and bool(np.any(np.isfinite(big) & (big != np.trunc(big))))


def walk_json(art: Artifact, data: Any, where: str) -> None:
    """Strings, keys, numbers and coordinates of parsed JSON (iterative: deep data is fine).

    Strict coordinates: anything under a "coordinates" member (GeoJSON). Lenient: objects with
    a longitude-like and a latitude-like key, and arrays of 2-3 numbers that read as a UK
    lon/lat or lat/lon, when either number has 4+ decimals (a map view's rounded centre is
    not a crime location).
    """
    lons: list[float] = []
    lats: list[float] = []
    runs: list[tuple[int, Any, Any]] = []  # (len(lons) then, xs, ys): see _runs_joined
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            lon_v = lat_v = None
            lettered = item.get("encoding") == NATURALS_ENCODING
            for key, value in item.items():
                art.strings.add(str(key))
                if lettered and key == "values" and isinstance(value, str):
                    _encoded_naturals(art, value, where)
                    continue
                lk = str(key).lower()
                if lk == "coordinates":
                    if isinstance(value, str):  # the web map's positions as letters
                        _encoded_positions(art, value, where, lons, runs)
                        continue
                    flat = _float_pair_list(value)
                    if flat is not None:  # (converted with its neighbours', below)
                        runs.append((len(lons), flat, None))
                        continue
                    bad: list[str] = []
                    if not _positions(value, lons, lats, bad):
                        art.unlisted_numbers = True
                    art.bad_coordinates.extend(f"{where}: {b}" for b in bad[:5])
                    continue
                if lk in LON_KEYS:
                    lon_v = _number(value)
                elif lk in LAT_KEYS:
                    lat_v = _number(value)
                stack.append(value)
            if lon_v is not None and lat_v is not None:
                named = any(str(k).lower() in _NAMED_KEYS for k in item)
                if has_4_decimals(lon_v) or has_4_decimals(lat_v):
                    if named or uk_lon_lat(lon_v, lat_v):
                        lons.append(lon_v)
                        lats.append(lat_v)
        elif isinstance(item, list):
            if len(item) > 3 and set(map(type, item)) == {int}:
                # a flat array of plain integers (a web map's counts and indexes): numbers
                # only, taken in one go instead of one stack round per element
                values = _int_values(item)
                if values is None:
                    art.numbers.extend(map(float, item))
                else:
                    art.number_runs.append((len(art.numbers), values))
                continue
            if 2 <= len(item) <= 3 and all(
                _number(v) is not None and not isinstance(v, str) for v in item
            ):
                a, b = float(item[0]), float(item[1])
                if has_4_decimals(a) or has_4_decimals(b):
                    if uk_lon_lat(a, b):
                        lons.append(a)
                        lats.append(b)
                    elif uk_lon_lat(b, a):
                        lons.append(b)
                        lats.append(a)
            stack.extend(item)
        elif isinstance(item, str):
            if item:
                art.strings.add(item)
        elif isinstance(item, (int, float)) and not isinstance(item, bool):
            art.numbers.append(float(item))
    if runs:
        xs, ys = _runs_joined(runs, lons, lats)
        art.add_coords(xs, ys, f"{where} JSON coordinates")
        return
    art.add_coords(lons, lats, f"{where} JSON coordinates")


def _runs_joined(
    runs: list[tuple[int, Any, Any]], lons: list[float], lats: list[float]
) -> tuple[np.ndarray, np.ndarray]:
    """The walk's coordinates in its order: the positions it took one by one (``lons``,
    ``lats``) with each run put in at the place it was met (``(len(lons) then, x, y)``, or
    ``(len(lons) then, _float_pair_list's list, None)``); lists met one after another are
    converted in one array."""
    xs: list = []
    ys: list = []
    pending: list[list] = []

    def convert() -> None:
        if pending:
            x, y = _pairs_of(list(chain.from_iterable(pending)))
            xs.append(x)
            ys.append(y)
            pending.clear()

    before = 0
    for at, x, y in runs:
        if at > before:
            convert()
            xs.append(np.asarray(lons[before:at], dtype=np.float64))
            ys.append(np.asarray(lats[before:at], dtype=np.float64))
            before = at
        if y is None:
            pending.append(x)
        else:
            convert()
            xs.append(x)
            ys.append(y)
    convert()
    xs.append(np.asarray(lons[before:], dtype=np.float64))
    ys.append(np.asarray(lats[before:], dtype=np.float64))
    return np.concatenate(xs), np.concatenate(ys)


# --- HTML and scripts ----------------------------------------------------------------------------
class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.attrs_seen: list[str] = []
        self.scripts: list[tuple[str, str]] = []  # (type, body)
        self.styles: list[str] = []
        self._in: Optional[tuple[str, str]] = None
        self._buf: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        for _name, value in attrs:
            if value:
                self.attrs_seen.append(value)
        if tag in ("script", "style"):
            kind = next((v or "" for k, v in attrs if k == "type"), "").lower()
            self._in = (tag, kind)
            self._buf = []

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        for _name, value in attrs:
            if value:
                self.attrs_seen.append(value)

    def handle_endtag(self, tag: str) -> None:
        if self._in and tag == self._in[0]:
            body = "".join(self._buf)
            if tag == "script":
                self.scripts.append((self._in[1], body))
            else:
                self.styles.append(body)
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self._buf.append(data)
        else:
            self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.text.append(data)


# --- a fast path for plain HTML (our own templates' pages) ---------------------------------------
# A page made only of the plainest HTML is read by splitting it at its tags in C; anything
# else goes to html.parser, which stays the reference (tests/test_gate_text_scale.py compares
# the two on hostile pages). "Plainest": every "<" opens a tag of the strict grammar below
# (a start tag with whitespace-separated attributes, values quoted without < > or unquoted
# without / < > quotes, or an end tag with nothing but its name, or <!DOCTYPE html>); no
# comment, CDATA, processing instruction or lone "<"; <script>/<style> bodies free of "<"
# and closed at once by their own lower-case end tag; <title> holding only text; none of the
# elements whose content some Python versions read as raw text (textarea, xmp, iframe,
# noembed, noframes, noscript, plaintext). On such a page html.parser's text chunks are
# exactly the pieces between tags, each unescaped, and its attributes are the grammar's.
_TAG_SPLIT = re.compile(r"(<[^<>]*>)")
_HWS = "[ \t\n\r\f]"
_ATTR = (
    _HWS + r"+([a-zA-Z_:][-a-zA-Z0-9_:.]*)"
    r"(?:=(\"[^\"<>]*\"|'[^'<>]*'|[^\s\"'=<>`/]+(?=[ \t\n\r\f>])))?"
)
# (text chunks, attribute values, (type, body) of scripts, style bodies, the attribute
# values that are not blank, normalised: the strings a page's attributes add; the page's
# text as shown, _joined_runs, or None: read by a parse, _shown_runs)
_HtmlRead = tuple[
    list[str], list[str], list[tuple[str, str]], list[str], list[str], Optional[list[str]]
]
_START_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)((?:" + _ATTR + r")*)" + _HWS + r"*(?P<slash>/?)>")
_END_TAG = re.compile(r"</([a-zA-Z][a-zA-Z0-9]*)>")
_DOCTYPE = re.compile(r"<!doctype" + _HWS + r"+html" + _HWS + r"*>", re.IGNORECASE)
_ATTR_FIND = re.compile(_ATTR)
_RAW_TEXT_ELEMENTS = frozenset(
    {"textarea", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext"}
)
_SPECIAL = frozenset({"script", "style", "title"})
# a tag: (name, is an end tag, self-closing, attribute values as _Collector keeps them,
# type attribute as _Collector reads it, a start tag that needs a look: script/style/title,
# the values that are not blank normalised, the text either side is shown as one line:
# _ShownText's inline tags); None: not plain
_TagInfo = Optional[tuple[str, bool, bool, tuple[str, ...], str, bool, tuple[str, ...], bool]]
_VALUES: Callable[[Any], Any] = itemgetter(3)
_LOOK: Callable[[Any], Any] = itemgetter(5)
_NORMALISED: Callable[[Any], Any] = itemgetter(6)
_INLINE: Callable[[Any], Any] = itemgetter(7)
_TAGS: dict[str, _TagInfo] = {}  # pages of one template share most of their tags


def _tag_info(tag: str) -> _TagInfo:
    m = _START_TAG.fullmatch(tag)
    if m is not None:
        name = m.group(1).lower()
        if name in _RAW_TEXT_ELEMENTS:
            return None
        values = []
        names = set()
        kind: Optional[str] = None
        # (from the attributes to the tag's end: an unquoted value is followed by ">")
        for attr, raw in _ATTR_FIND.findall(tag, m.start(2)):
            names.add(attr.lower())
            value = raw[1:-1] if raw[:1] in ('"', "'") else raw
            if value:
                value = html.unescape(value)
            if kind is None and attr.lower() == "type":
                kind = (value or "").lower()
            if value:
                values.append(value)
        closing = bool(m.group("slash"))
        normalised = tuple(normalise(v) for v in values if v.strip())
        inline = name not in _BLOCK_NAMES and not (name == "tspan" and names & _POSITIONS)
        special = name in _SPECIAL
        return (name, False, closing, tuple(values), kind or "", special, normalised, inline)
    m = _END_TAG.fullmatch(tag)
    if m is not None:
        name = m.group(1).lower()
        return (name, True, False, (), "", False, (), name not in _BLOCK_NAMES)
    if _DOCTYPE.fullmatch(tag):
        return ("!doctype", False, False, (), "", False, (), True)  # (no break: ignored)
    return None


def _plain_html(page: str) -> Optional[_HtmlRead]:
    """(text chunks, attribute values, (type, body) of scripts, style bodies) exactly as
    _Collector gathers them, and the values' normalised forms, for a page of the plain
    grammar; None for any other page. (A template's pages share most of their tags: each
    distinct tag is read and its values normalised once, _TAGS.)"""
    parts = _TAG_SPLIT.split(page)
    tags = parts[1::2]
    if page.count("<") != len(tags):
        return None  # a "<" that does not open a tag
    known = _TAGS
    infos = list(map(known.get, tags))
    if None in infos:
        if len(known) > 200_000:
            known.clear()
        for i, info in enumerate(infos):
            if info is None:
                tag = tags[i]
                if tag not in known:
                    known[tag] = _tag_info(tag)
                info = infos[i] = known[tag]
                if info is None:
                    return None
    chunks = parts[0::2]
    scripts: list[tuple[str, str]] = []
    styles: list[str] = []
    bodies: list[int] = []  # chunk indexes that are script/style bodies
    for i in list(compress(range(len(infos)), map(_LOOK, infos))):
        name, _end, closing, _values, kind, *_rest = infos[i]  # type: ignore[misc]
        if closing or i + 1 >= len(tags) or tags[i + 1] != f"</{name}>":
            return None  # self-closing, or not closed at once by its own end tag
        if name == "title":
            continue
        bodies.append(i + 1)
        if name == "script":
            scripts.append((kind, chunks[i + 1]))
        else:
            styles.append(chunks[i + 1])
    for i in reversed(bodies):
        chunks[i] = ""
    joined = _joined_runs(chunks, infos)
    texts = [html.unescape(c) if "&" in c else c for c in chunks if c]
    values = list(chain.from_iterable(map(_VALUES, infos)))
    normalised = list(chain.from_iterable(map(_NORMALISED, infos)))
    return texts, values, scripts, styles, normalised, joined


def _joined_runs(chunks: list[str], infos: list) -> list[str]:
    """:func:`_shown_runs` of a plain page whose text holds no format character, from its
    split (script and style bodies emptied): the text of each run of chunks that only
    inline tags separate, where two chunks or more are not blank, normalised. Only the
    page's inline tags are looked at, in Python (tests/test_gate_shown_text and
    tests/test_gate_text_scale compare a parse)."""
    last = len(infos)
    runs: list[str] = []
    done = -1
    for i in compress(range(last), map(_INLINE, infos)):
        if i < done:
            continue  # (in a run read already)
        first = i
        while first > 0 and infos[first - 1][7]:
            first -= 1
        done = i + 1
        while done < last and infos[done][7]:
            done += 1
        # (chunk k lies between tags k - 1 and k)
        run = [html.unescape(c) if "&" in c else c for c in chunks[first : done + 1] if c]
        if sum(not c.isspace() for c in run) > 1:
            line = normalise("".join(run))
            if line:
                runs.append(line)
    return runs


def _parsed_html(page: str) -> _HtmlRead:
    """The same five lists from html.parser (the reference; any page), and None: such a
    page's text as shown is read by a second parse (_ShownText)."""
    parser = _Collector()
    parser.feed(page)
    parser.close()
    if parser._in:  # an unterminated script/style still counts
        parser.handle_endtag(parser._in[0])
    values = parser.attrs_seen
    normalised = [normalise(a) for a in values if a.strip()]
    return parser.text, values, parser.scripts, parser.styles, normalised, None


# text chunk -> normalise(chunk): the pages of one template repeat most of their text
_NORMALISED_TEXT: dict[str, str] = {}
# the folded chunks that hold a format character (FORMAT_CHARACTERS), each looked for once
# when its chunk is first folded (a search of every page's text cost a third of its read)
_FORMATTED_TEXT: set[str] = set()


def _normalised_texts(chunks: list[str]) -> list[str]:
    """[normalise(c) for c in chunks], each distinct chunk folded once (_NORMALISED_TEXT),
    the folded chunks with a format character added to _FORMATTED_TEXT."""
    known = _NORMALISED_TEXT
    if len(known) > 400_000 or len(_FORMATTED_TEXT) > 100_000:
        known.clear()  # (both at once, before any lookup: every node's mark stays known)
        _FORMATTED_TEXT.clear()
    nodes = list(map(known.get, chunks))
    missing = list(compress(range(len(nodes)), map(is_, nodes, repeat(None))))
    for i in missing:
        chunk = chunks[i]
        node = nodes[i] = known[chunk] = normalise(chunk)
        if holds_format_character(node):
            _FORMATTED_TEXT.add(node)
    return nodes  # type: ignore[return-value]


# --- text a browser shows joined --------------------------------------------------------------
# The text nodes are read apart (joined by a line break), but a browser lays out the text of
# inline elements, comments and invisible characters as one line: "52.667<b></b>187" and
# "52.667&#8203;187" both show 52.667187, a raw coordinate, and "Jo<i></i>hn" shows John.
# Where a page may hold such a join, its text is also read as shown: the text of each run of
# nodes no block element, script, style or title separates, with the format characters
# (Unicode Cf: zero-width spaces and joiners, soft hyphens, direction marks) taken out. Only
# the runs where something was joined or taken out are added: a run holding the text of two
# nodes or more (cut inside a token or at a word boundary: "Seen by Gareth<b> Llewellyn</b>"
# shows a name no node holds, and a team text may hold such markup:
# summaries_team.ALLOWED_TAGS), or a format character. A page of the plain grammar
# (our own templates' pages) has them read from the split that reads its nodes
# (_joined_runs: only its inline tags are looked at, each tag's facts cached), and is parsed
# again only where its text holds a format character (_FORMATTED_TEXT: a fact of each
# distinct text chunk, found once). What CSS does (a hidden
# span, a block display) is not read: the gate does not lay out pages. An element not listed
# here (an unknown one included) is taken as inline, as a browser takes it.
_BLOCK_NAMES = frozenset(
    (
        "address|article|aside|audio|blockquote|body|br|canvas|caption|col|colgroup|dd|"
        "details|dialog|dir|div|dl|dt|embed|fieldset|figcaption|figure|footer|form|frame|"
        "frameset|h1|h2|h3|h4|h5|h6|head|header|hgroup|hr|html|iframe|legend|li|link|main|"
        "menu|meta|nav|noembed|noframes|noscript|object|ol|optgroup|option|p|plaintext|pre|"
        "script|search|section|select|style|summary|table|tbody|td|template|textarea|tfoot|"
        "th|thead|title|tr|ul|video|xmp|"
        # SVG: a chart's labels and shapes are placed apart (its text joins across tspan alone)
        "circle|clippath|defs|desc|ellipse|foreignobject|g|line|marker|mask|metadata|path|"
        "pattern|polygon|polyline|rect|svg|symbol|text|use"
    ).split("|")
)
# an SVG tspan given a position of its own starts a line (a chart's two-line label); one
# without flows on with its text
_POSITIONS = frozenset({"x", "y", "dx", "dy"})


def shown_text(text: str) -> Optional[str]:
    """``text`` as a reader is shown it, without FORMAT_CHARACTERS; None when it holds none.

    Why: a zero-width space or a soft hyphen inside a value is drawn as nothing, so
    "PC 1190 No<ZWSP>wak" in a CSV cell shows the officer's name in a spreadsheet and
    "52.667<ZWSP>19" a raw latitude, while neither is the raw value as written. A page's
    text is read so already (_ShownText); the gate's context adds this form of every other
    string and text (core.gate.context: GateContext). O(1) for ASCII text (CPython knows)."""
    shown = page_text(text)
    return shown if shown != text else None


class _ShownText(HTMLParser):
    """The runs of a page's text a browser shows as one line, where a node was joined to the
    next across an inline tag or comment (at a word boundary too), or a format character
    was taken out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.runs: list[str] = []
        self._run: list[str] = []
        self._joined = False
        self._words = False  # the run holds a node that is not blank
        self._hidden = 0  # inside script or style
        # SVG text elements as _svg_elements reads them (see _svg_joined)
        self.elements: list[_SvgElement] = []
        self._element: Optional[str] = None  # the text/title/desc element read now
        self._pieces: list[str] = []
        self._follows = False
        self._after_text = False  # only white space since a text element ended

    def _end_run(self) -> None:
        run = "".join(self._run)
        if self._joined or holds_format_character(run):
            self.runs.append(FORMAT_CHARACTERS.sub("", run))
        self._run = []
        self._joined = False
        self._words = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        follows = self._after_text
        self.handle_startendtag(tag, attrs)
        if tag in ("script", "style"):
            self._hidden += 1
        if self._element is None and tag in _SVG_TEXT_ELEMENTS:
            self._element = tag
            self._pieces = []
            self._follows = follows and tag == "text"

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if self._element is None:
            self._after_text = False
        if tag in _BLOCK_NAMES or (tag == "tspan" and any(a in _POSITIONS for a, _v in attrs)):
            self._end_run()

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_NAMES:
            self._end_run()
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1
        if self._element is None:
            self._after_text = False
        elif tag == self._element:  # (its first end tag ends it, as _SVG_ELEMENT reads it)
            self.elements.append((tag == "text", self._pieces, self._follows))
            self._element = None
            self._after_text = tag == "text"

    def handle_decl(self, decl: str) -> None:
        if self._element is None:
            self._after_text = False

    def handle_data(self, data: str) -> None:
        if self._element is not None:
            self._pieces.append(data)
        elif data.strip():
            self._after_text = False
        if self._hidden or not data:
            return
        if not data.isspace():
            # a second node's text: the run shows a line no node holds (a cut inside a
            # token, "52.667<b></b>187", or at a word boundary, "Gareth<b> Llewellyn</b>")
            self._joined = self._words
            self._words = True
        self._run.append(data)

    def close(self) -> None:
        super().close()
        self._end_run()


def _shown_runs(page: str) -> list[str]:
    """The page's text as shown where it differs from its nodes read apart (see above)."""
    return _shown_read(page)[0]


def _shown_read(page: str) -> tuple[list[str], list[str]]:
    """(:func:`_shown_runs`, :func:`_svg_joined` of the page's SVG text elements) from one
    parse."""
    parser = _ShownText()
    parser.feed(page)
    parser.close()
    if parser._element is not None:  # (an element left open: read as far as it goes)
        parser.elements.append((parser._element == "text", parser._pieces, parser._follows))
    runs = [line for line in map(normalise, parser.runs) if line]
    return runs, _svg_joined(parser.elements)


# --- SVG text joined per element ------------------------------------------------------------
# A browser lays out the content of an SVG <text> (its tspan, textPath and a children) as one
# text: "<text><tspan>12 High</tspan><tspan> Street</tspan></text>" shows "12 High Street",
# which no text node holds (and no token join, see above, marks the page: the split is at a
# space); a <title> or <desc> is read out whole by a screen reader. So each text, title and
# desc element of more than one text node is also read whole: its nodes joined as they are
# (a flowing tspan) and joined by a space (a tspan placed apart). And text elements written
# one after another, with only white space between them, are also read joined by a space:
# a chart's label and its value, or a value cut in two and placed side by side, which the
# gate cannot tell apart (it does not lay out); and joined as they are (a value cut inside
# a word). An element ends at its first end tag.
_SVG_TEXT_ELEMENTS = frozenset({"text", "title", "desc"})
# (is a text element, its text nodes, it follows a text element with only white space between)
_SvgElement = tuple[bool, list[str], bool]
# one on a page of the plain grammar, whose tags hold no "<" or ">" (a start tag ending in "/"
# closes itself and opens nothing): its name, its content, and (when the next element is a
# text element after only white space or character references) what lies between, "<text"
_SVG_ELEMENT = re.compile(
    r"<(text|title|desc)(?:[ \t\n\r\f][^>]*)?(?<!/)>(.*?)(?:</\1>|\Z)"
    r"(?:(?=((?:\s|&[^\s<>&]*)*<text)(?:[ \t\n\r\f][^>]*)?(?<!/)>))?",
    re.S | re.I,
)


def _svg_elements(page: str) -> list[_SvgElement]:
    """The SVG text elements of a page of the plain grammar (:func:`_plain_html`), as
    _ShownText reads them from a parse."""
    elements: list[_SvgElement] = []
    follows = False
    for name, inner, gap in _SVG_ELEMENT.findall(page):
        is_text = name == "text" or name.lower() == "text"
        pieces = _TAG_SPLIT.split(inner)[0::2] if "<" in inner else [inner]
        if "&" in inner:
            pieces = [html.unescape(c) if "&" in c else c for c in pieces]
        elements.append((is_text, pieces, follows and is_text))
        # the next element is a text element after only white space (a blank reference too)
        follows = is_text and bool(gap) and ("&" not in gap or not html.unescape(gap[:-5]).strip())
    return elements


def _chain_joined(chain: list[str]) -> list[str]:
    return [normalise("".join(chain)), normalise(" ".join(chain))] if len(chain) > 1 else []


def _svg_joined(elements: list[_SvgElement]) -> list[str]:
    """The texts the SVG text elements show that their nodes do not (see above), normalised,
    each once, in the order found."""
    found: list[str] = []
    chain: list[str] = []
    for is_text, pieces, follows in elements:
        if len(pieces) > 1:
            pieces = [p for p in pieces if p]
        whole = "".join(pieces)
        if len(pieces) > 1:
            found += [normalise(whole), normalise(" ".join(pieces))]
        if not follows:
            found += _chain_joined(chain)
            chain = []
        if is_text:
            chain.append(whole)
    found += _chain_joined(chain)
    return list(dict.fromkeys(t for t in found if t))


def _read_html(
    art: Artifact, text: str, where: str, fast: bool = True, record: bool = False
) -> None:
    read = _plain_html(text) if fast else None
    text_nodes, attrs_seen, scripts, styles, normalised, joined = (
        read if read is not None else _parsed_html(text)
    )
    nodes = _normalised_texts(text_nodes)
    joined_nodes = "\n".join(nodes)
    formatted = bool(_FORMATTED_TEXT) and not _FORMATTED_TEXT.isdisjoint(nodes)
    if joined is None:
        shown, svg = _shown_read(text)
    else:
        # (a format character is taken out of its run, which _ShownText's parse reads)
        shown = _shown_runs(text) if formatted else joined
        svg = _svg_joined(_svg_elements(text)) if _SVG_ELEMENT.search(text) else []
    joined_attrs = "\n".join(attrs_seen)
    added = [t for t in nodes if t]
    added += normalised
    added += shown
    added += svg
    # a value written with CSS escapes (a style attribute's): read decoded as well
    escaped = [_css_unescaped(v) for v in attrs_seen if "\\" in v] if "\\" in joined_attrs else []
    added += [t for t in map(normalise, escaped) if t]
    sheets = [_css_read(body) for body in styles]
    for strings, _texts, _decoded in sheets:
        added += strings
    art.strings.update(added)
    if record and not scripts:
        art.added = added
    art.texts.append(joined_nodes)
    art.texts.append(joined_attrs)
    if shown:
        art.texts.append("\n".join(shown))
    if svg:
        art.texts.append("\n".join(svg))
    if escaped:
        art.texts.append("\n".join(escaped))
    art.texts.extend(texts for _strings, texts, _decoded in sheets if texts)
    for kind, body in scripts:
        if kind in JSON_SCRIPT_TYPES:
            try:
                walk_json(art, json.loads(body), f"{where} inline JSON")
                art.texts.append(body)
                continue
            except json.JSONDecodeError:
                pass
        art.code.append(body)
        _read_script(art, body, f"{where} script")
    for body, (_strings, _texts, decoded) in zip(styles, sheets):
        art.code.append(body)
        if decoded:
            art.code.append(decoded)


_XML_COMMENT_OR_PI = re.compile(r"<!--(.*?)-->|<\?(.*?)\?>", re.S)
# A document type declaration: its name, public and system identifiers, and an internal
# subset in [...] (entity values, attribute defaults), quoted parts taken whole. A declaration
# this does not match (a ']' or '>' outside quotes in a comment of the subset, say) makes
# the file fail closed rather than be read in part.
_XML_DOCTYPE = re.compile(
    r"""<!DOCTYPE(?:[^\[>"']|"[^"]*"|'[^']*')*(?:\[(?:"[^"]*"|'[^']*'|[^\]"'])*\])?\s*>"""
)


def _read_xml(art: Artifact, text: str, where: str) -> None:
    """An XML file (a QGIS .qml or .sld style, metadata): every element's text, tail and
    attribute value, CDATA included, is a value a reader sees, and so is every comment and
    processing instruction (which the parse drops; found in the text as written, anywhere
    in the file) and the document type declaration whole (its identifiers and internal
    subset: an entity declared there is in the file whether or not it is used). Malformed
    XML raises, so the file fails closed."""
    from xml.etree import ElementTree

    root = ElementTree.fromstring(text)
    seen: list[str] = []
    for element in root.iter():
        seen.extend(v for v in element.attrib.values() if v and v.strip())
        for part in (element.text, element.tail):
            if part and part.strip():
                seen.append(part)
    if "<!--" in text or "<?" in text:
        for comment, instruction in _XML_COMMENT_OR_PI.findall(text):
            part = comment or instruction
            if part.strip():
                seen.append(part)
    if "<!DOCTYPE" in text:
        declaration = _XML_DOCTYPE.search(text)
        if declaration is None:
            raise ValueError(f"{where}: a document type declaration that cannot be read")
        seen.append(declaration.group(0))
    art.strings.update(normalise(v) for v in seen)
    art.texts.append("\n".join(seen))


# --- style sheets ----------------------------------------------------------------------------
# A style sheet shows text too: a ``content: "..."`` string is drawn on the page, a url()
# names a file, a comment is read by whoever opens the file. The sheet as written is scanned
# as code (Artifact.code), but a CSS escape ("\41 " is "A", "\/" is "/") hides a value from
# every scan of it, as a JavaScript escape or a character reference would, and the strings
# of one value are drawn as one text (``content: "Gar" "eth"``). So each run of strings
# with only white space or comments between them (joined), each url() target and each
# comment is also read, escapes decoded (CSS Syntax Level 3, 4.3.7), as a script's string
# literals are (its strings and texts: the contact and free-text checks, which do not read
# code, read them too); and a sheet holding an escape is also scanned as code with its
# escapes decoded (an escaped selector or property value).
_CSS_TOKEN = re.compile(
    r"/\*(?P<comment>.*?)(?:\*/|\Z)"
    r"|(?P<q>[\"'])(?P<string>(?:(?!(?P=q))[^\\\n]|\\.)*)(?P=q)?"
    r"|[uU][rR][lL]\(\s*(?P<url>(?:[^\"'()\\\s]|\\[0-9a-fA-F]{1,6}\s?|\\.)*)\s*\)",
    re.S,
)
# a hex escape (with the one white space after it), an escaped line break (a string
# continued on the next line), any other escaped character
_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})(?:\r\n|[ \t\n\r\f])?|(\r\n|[\n\r\f])|(.))", re.S)
# a sheet -> (its shown texts normalised, those texts joined, the sheet decoded or ""): the
# pages of one template share their style sheet
_CSS_READS: dict[str, tuple[list[str], str, str]] = {}


def _css_escape_value(m: re.Match) -> str:
    code, newline, character = m.groups()
    if code is not None:
        point = int(code, 16)
        if point == 0 or 0xD800 <= point <= 0xDFFF or point > 0x10FFFF:
            return "\ufffd"
        return chr(point)
    return "" if newline is not None else character


def _css_unescaped(text: str) -> str:
    """``text`` with its CSS escapes decoded (a lone backslash at the end stays)."""
    return _CSS_ESCAPE.sub(_css_escape_value, text) if "\\" in text else text


def _css_read(sheet: str) -> tuple[list[str], str, str]:
    """(the texts a style sheet shows, normalised; those texts joined by line breaks; the
    sheet with its escapes decoded, "" when it holds none), each sheet read once."""
    known = _CSS_READS.get(sheet)
    if known is not None:
        return known
    shown: list[str] = []
    run: list[str] = []  # the strings of one run, decoded
    end = 0
    for m in _CSS_TOKEN.finditer(sheet):
        string, comment = m.group("string"), m.group("comment")
        if run and (string is None and comment is None or sheet[end : m.start()].strip()):
            shown.append("".join(run))
            run = []
        if string is not None:
            run.append(_css_unescaped(string))
        elif comment is not None:
            shown.append(comment)
        else:
            shown.append(_css_unescaped(m.group("url")))
        end = m.end()
    if run:
        shown.append("".join(run))
    texts = [t for t in shown if t.strip()]
    decoded = _css_unescaped(sheet) if "\\" in sheet else ""
    read = ([normalise(t) for t in texts], "\n".join(texts), decoded)
    if len(_CSS_READS) > 10_000:
        _CSS_READS.clear()
    _CSS_READS[sheet] = read
    return read


_NOT_JSON = object()
_ASSIGNMENT = re.compile(
    r"\s*(?:window\.[A-Za-z_$][\w$]*|(?:var|let|const)\s+[A-Za-z_$][\w$]*)\s*=\s*"
)


def _json_assignment(body: str) -> Any:
    """The value when the whole script is ``window.NAME = <JSON>;`` (or var/let/const), a
    data file; else _NOT_JSON. Strict: the rest after the ``=`` must parse as JSON entirely
    (one optional ';' and whitespace after it), so no code can hide beside the data."""
    head = _ASSIGNMENT.match(body)
    if head is None:
        return _NOT_JSON
    rest = body[head.end() :].rstrip()
    if rest.endswith(";"):
        rest = rest[:-1]
    if not rest.startswith(("{", "[")):
        return _NOT_JSON
    try:
        return json.loads(rest)
    except (json.JSONDecodeError, RecursionError):
        return _NOT_JSON


def _read_script(art: Artifact, body: str, where: str, data: Any = _NOT_JSON) -> None:
    """JavaScript: its string literals (unescaped) are values a reader sees; an embedded JSON
    literal (``var data = {...};``) is walked like a JSON file. ``data``: that literal when
    _json_assignment already parsed it (a data script is parsed once)."""
    raw_parts = art.script_raw_parts if data is not _NOT_JSON else None
    if raw_parts is not None:
        head = _ASSIGNMENT.match(body)
        raw_parts.append(head.group() if head else body)
    known: dict[str, str] = {}  # a literal without escapes, as written -> its text ("": blank)
    for m in _JS_STRING.finditer(body):
        lit = m.group()
        text = known.get(lit)
        if text is not None:  # (a data script repeats its keys and names by the thousand)
            if text:
                art.texts.append(text)
            continue
        inner = lit[1:-1]
        if "\\" not in lit:
            known[lit] = inner if inner.strip() else ""
        if raw_parts is not None and "\\" in inner:
            raw_parts.append(lit)
        if lit[0] == '"' and "\\" in inner:  # without escapes JSON gives the text as is
            try:
                inner = json.loads(lit)
            except json.JSONDecodeError:
                pass
        elif "\\" in inner:
            try:
                inner = json.loads('"' + inner.replace('"', '\\"').replace("\\'", "'") + '"')
            except json.JSONDecodeError:
                pass
        if inner.strip():
            art.strings.add(normalise(inner))
            art.texts.append(inner)
    if data is not _NOT_JSON:  # (one JSON literal: no comment can be written in it)
        walk_json(art, data, f"{where} data")
        return
    _read_script_comments(art, body)
    starts = [i for i in (body.find("{"), body.find("[")) if i >= 0]
    if not starts:
        return
    start = min(starts)
    end = max(body.rfind("}"), body.rfind("]"))
    if end <= start:
        return
    try:
        data = json.loads(body[start : end + 1])
    except (json.JSONDecodeError, RecursionError):
        return
    walk_json(art, data, f"{where} data")


def _read_script_comments(art: Artifact, body: str) -> None:
    """A script's comments are text anyone who opens the file reads (a contact's e-mail
    address left in a ``// TODO`` is published as much as one in a string): each is added as
    a style sheet's comment is, to ``strings`` normalised and to ``texts`` joined by line
    breaks. The string literals stay read by _read_script's own scan: a regex literal that
    this one takes for a string or a comment only adds text, it never hides any."""
    if "//" not in body and "/*" not in body:
        return
    comments = []
    for m in _JS_COMMENT.finditer(body):
        text = m.group("line")
        if text is None:
            text = m.group("block")
        if text is not None and text.strip():
            comments.append(text)
    if comments:
        art.strings.update(normalise(c) for c in comments)
        art.texts.append("\n".join(comments))
