"""Read public releases (street rows) and outcomes files for the web map.

Why a reader of its own: the web map is made from what is *already public*, the CSVs or
``public_crimes`` layers the anonymise step writes, or police.uk's own downloads (a community
group or a journalist has only those). Whatever comes in, only the police.uk street columns
(PUBLIC_COLUMNS) are kept: that whitelist is what stops a stray column in a hand-edited CSV
from reaching a public page. Outcomes files contribute only Crime ID, Month and Outcome type.
A CSV's bytes are decoded as the load decodes them (core.load.textscan.read_decoded): a
police.uk file Excel saved again in Windows-1252 is read, "Café" and all, not refused.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar, Union
from urllib.parse import SplitResult, urlsplit

import numpy as np
import pandas as pd

from ..common.geography import inside_uk
from ..common.input_files import first_repeat
from ..common.layer_source import LAYER_OPTION, layer_of, source_options
from ..common.text_file import (
    NotAFile,
    check_file,
    not_found,
    shown_line,
    shown_path,
    shown_value,
)
from ..common.vocabulary import FILE_MONTH, MONTH_RE
from ..common.zip_members import MemberUnreadable, archive_members, read_member
from ..io.gpkg_read import read_only_uri
from ..load.textscan import BareCarriageReturn, NulInText, UndecodableText, read_decoded
from ..release.public_schema import PUBLIC_COLUMNS
from .street_overlap import first_overlap, force_of_name, overlap_message

if TYPE_CHECKING:
    from .neighbourhoods import Factorized

PathLike = Union[str, Path]
_Read = TypeVar("_Read")

OUTCOME_COLUMNS: tuple[str, ...] = ("Crime ID", "Month", "Outcome type")
PUBLIC_TABLE = "public_crimes"
_STREET_NAME = re.compile(r"-street\.csv$", re.IGNORECASE)
_OUTCOMES_NAME = re.compile(r"-outcomes\.csv$", re.IGNORECASE)


class WebmapInputError(ValueError):
    """An input cannot be published as given; the message says which file and why."""


#: The longest address the page may request or link to (the tile URL template, --csv-url):
#: browsers, servers and proxies agree on some 2,000 characters (a tile template is under
#: 100). And the longest host name an address can hold (DNS: 253 characters).
MAX_URL = 2_000
MAX_HOST = 253


def split_url(text: str, label: str, wanted: str = "") -> SplitResult:
    """The parts of an address the page will request or link to (the tile URL, ``--csv-url``),
    or WebmapInputError naming ``label`` and the value. The one check both share, so they
    refuse the same characters: a C0 control character (Python's urlsplit drops a CR, LF or
    tab before it looks, so a pasted line break passed into the page as it was), DEL and the
    C1 controls (U+0080-U+009F: invisible, and no address holds them); then what urlsplit
    cannot read (an unclosed IPv6 bracket, a port out of range), which raised a ValueError
    traceback. ``wanted`` says what to give instead. Its length: :func:`check_url_length`."""
    tail = f"; {wanted}" if wanted else ""
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text):
        raise WebmapInputError(
            f"{label} {shown_value(text)}: holds a control character (a line break?){tail}"
        )
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - (raises ValueError for a port that is no number, or > 65535)
    except ValueError as exc:  # (an unclosed IPv6 bracket, a bad port)
        raise WebmapInputError(f"{label} {shown_value(text)}: not a URL ({exc}){tail}") from exc
    return parts


def check_url_length(text: str, parts: SplitResult, label: str, wanted: str = "") -> None:
    """WebmapInputError naming ``label`` when the address ``text`` (split: ``parts``) is
    longer than MAX_URL characters or its host name longer than MAX_HOST; called once an
    address has passed its other checks (whose advice, "use https", comes first).

    Why: a 1 MB tile URL went into the page, whose every tile request then failed (a server
    refuses such a request line) and the map showed no basemap, with no word of why; a 1 MB
    --csv-url went into every download link."""
    tail = f"; {wanted}" if wanted else ""
    if len(text) > MAX_URL:
        raise WebmapInputError(
            f"{label} {shown_value(text)}: too long; an address is at most {MAX_URL:,} "
            f"characters (what browsers and servers take){tail}"
        )
    if len(parts.hostname or "") > MAX_HOST:
        raise WebmapInputError(
            f"{label} {shown_value(text)}: its host name is {len(parts.hostname or ''):,} "
            f"characters long; a host name is at most {MAX_HOST}{tail}"
        )


@dataclass
class ReleaseInputs:
    """The street rows (PUBLIC_COLUMNS only, all text), outcome rows and what was read."""

    street: pd.DataFrame
    outcomes: pd.DataFrame
    sources: list[str] = field(default_factory=list)  # file names, for the page's notes
    warnings: list[str] = field(default_factory=list)
    lon: np.ndarray = field(default_factory=lambda: np.zeros(0))  # parsed once; NaN = blank
    lat: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # each street file read: (the file, its rows, its months), for the downloads
    street_files: list[tuple[InputFile, int, list[str]]] = field(default_factory=list)
    # how many of ``street``'s first rows are published history months (history_table)
    history_rows: int = 0
    # street files whose bytes are not UTF-8 (read as the load reads them: Windows-1252)
    not_utf8: list[str] = field(default_factory=list)
    # ``street``'s Longitude and Latitude each as pd.factorize(column, sort=False) gave them
    # when they were read as text from one street file (parse_coded), for
    # neighbourhoods.assign_crimes of ``street``; None otherwise
    coordinate_codes: Optional[tuple[Factorized, Factorized]] = None


def parse_coordinates(values: pd.Series) -> np.ndarray:
    """Floats of a text column (NaN for blanks and non-numbers), parsing each distinct text
    once: a national month has 500,000 rows but about 120,000 distinct coordinates."""
    return parse_coded(values)[0]


def parse_coded(values: pd.Series) -> tuple[np.ndarray, Factorized]:
    """(parse_coordinates(values), the ``pd.factorize(values, sort=False)`` it parsed the
    distinct texts of): the assignment of the same rows to neighbourhoods takes the codes
    instead of factorizing the column again."""
    codes, uniques = pd.factorize(values, sort=False)
    parsed = pd.to_numeric(pd.Series(uniques, dtype=object), errors="coerce").to_numpy(np.float64)
    out = np.full(len(values), np.nan)
    ok = codes >= 0
    out[ok] = parsed[codes[ok]]
    return out, (codes, uniques)


def _decoded(
    read: Callable[[str], _Read], item: Union[bytes, Path], name: str, whole: bool = True
) -> tuple[_Read, str]:
    """(``read(encoding)``, encoding) with the encoding the load decodes the file with (UTF-8
    first, as before; Windows-1252 only when that fails); WebmapInputError naming the file
    when the load could not decode it whole either, or it holds a NUL (which pandas' reader
    cuts a cell short at: a coordinate or a location changed without a word). ``whole``:
    ``read`` reads the whole file (else its header line: textscan.read_decoded)."""
    try:
        return read_decoded(read, item, "utf-8-sig", whole=whole)
    except UndecodableText as exc:
        raise WebmapInputError(
            f"{shown_line(name)}: {exc}. police.uk publishes UTF-8: save the file again as 'CSV "
            "UTF-8'"
        ) from exc
    except (NulInText, BareCarriageReturn) as exc:
        raise WebmapInputError(f"{shown_line(name)}: {exc}") from exc


def _header(item: Union[bytes, Path], name: str) -> list[str]:
    """The column names of a CSV (first record), read without reading the rest."""
    if isinstance(item, Path):
        with open(item, "rb") as handle:
            head = handle.read(1 << 16)
    else:
        head = item[: 1 << 16]
    # (to a LF, a CR LF or a bare CR: a file of old Mac line endings is read, as the load reads it)
    first = head.split(b"\n", 1)[0].split(b"\r", 1)[0]
    text = _decoded(first.decode, item, name, whole=False)[0]
    if not text.strip():
        raise WebmapInputError(f"{shown_line(name)}: not a readable CSV (no header line)")
    try:
        return next(csv.reader([text]))
    except csv.Error as exc:
        raise WebmapInputError(f"{shown_line(name)}: not a readable CSV ({exc})") from exc


def _read_csv(
    item: Union[bytes, Path], name: str, columns: Sequence[str], encoding: str
) -> pd.DataFrame:
    """Only ``columns`` of a CSV, every cell as text, read straight from the file by pandas'
    C parser (no decoded copy of the whole file in memory: a national month is 115 MB).
    Bytes not text in ``encoding`` raise UnicodeDecodeError (for _decoded)."""
    source: Any = item if isinstance(item, Path) else io.BytesIO(item)
    try:
        frame = pd.read_csv(
            source,
            dtype=str,
            usecols=list(columns),
            encoding=encoding,
            keep_default_na=False,
            na_filter=False,
        )
    except UnicodeDecodeError:
        raise
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise WebmapInputError(f"{shown_line(name)}: not a readable CSV ({exc})") from exc
    return frame[list(columns)]


COORDINATES = ("Longitude", "Latitude")


def _read_csv_typed(
    item: Union[bytes, Path], columns: Sequence[str], encoding: str
) -> Optional[pd.DataFrame]:
    """Like _read_csv, with Longitude and Latitude parsed to floats by the C parser itself
    (blank = NaN); None when a coordinate is not a number (the text read then says which
    rows). Only for an export that does not copy the CSVs, the one use of the coordinates
    as written; the neighbourhoods are assigned by these numbers, each the one its text
    parses to (pd.to_numeric's converter is the reader's)."""
    source: Any = item if isinstance(item, Path) else io.BytesIO(item)
    dtypes: dict[str, Any] = {c: str for c in columns}
    dtypes.update({c: np.float64 for c in COORDINATES})
    try:
        frame = pd.read_csv(
            source,
            dtype=dtypes,
            usecols=list(columns),
            encoding=encoding,
            keep_default_na=False,
            na_values={c: [""] for c in COORDINATES},
        )
    except UnicodeDecodeError:  # (another encoding is tried: _decoded)
        raise
    except (ValueError, TypeError):  # a coordinate that is not a number, or unreadable
        return None
    return frame[list(columns)]


def _read_street(
    item: Union[bytes, Path], name: str, columns: Sequence[str], typed: bool, encoding: str
) -> pd.DataFrame:
    """A street CSV's ``columns``: coordinates as floats when ``typed`` and every one is a
    number or blank (_read_csv_typed), else every cell as text."""
    frame = _read_csv_typed(item, columns, encoding) if typed else None
    return frame if frame is not None else _read_csv(item, name, columns, encoding)


def _classify(header: Sequence[str], name: str) -> str:
    cols = set(header)
    if set(PUBLIC_COLUMNS) <= cols:
        return "street"
    if set(OUTCOME_COLUMNS) <= cols and "Crime type" not in cols:
        return "outcomes"
    if "Crime ID" in cols and "Crime type" in cols:
        missing = [c for c in PUBLIC_COLUMNS if c not in cols]
        raise WebmapInputError(
            f"{shown_line(name)}: a street file must have police.uk's columns; missing "
            f"{', '.join(missing)}"
        )
    raise WebmapInputError(
        f"{shown_line(name)}: neither a police.uk street file nor an outcomes file "
        f"(columns: {', '.join(list(header)[:8])})"
    )


def _read_gpkg(path: Path) -> pd.DataFrame:
    uri = read_only_uri(path)
    try:
        conn = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise WebmapInputError(f"{shown_line(path.name)}: cannot open ({exc})") from exc
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if PUBLIC_TABLE not in tables:
            raise WebmapInputError(
                f"{shown_line(path.name)}: no '{PUBLIC_TABLE}' layer (is this the release "
                "GeoPackage?)"
            )
        cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{PUBLIC_TABLE}")')]
        missing = [c for c in PUBLIC_COLUMNS if c not in cols]
        if missing:
            raise WebmapInputError(
                f"{shown_line(path.name)}: {PUBLIC_TABLE} lacks {', '.join(missing)}"
            )
        select = ", ".join(f'"{c}"' for c in PUBLIC_COLUMNS)
        rows = conn.execute(f'SELECT {select} FROM "{PUBLIC_TABLE}"').fetchall()
    except sqlite3.Error as exc:
        raise WebmapInputError(f"{shown_line(path.name)}: cannot read ({exc})") from exc
    finally:
        conn.close()
    frame = pd.DataFrame(rows, columns=list(PUBLIC_COLUMNS))
    for col in frame.columns:
        binary = [v for v in frame[col] if isinstance(v, (bytes, bytearray, memoryview))]
        if binary:  # (text would be its Python repr: a value nobody wrote)
            raise WebmapInputError(
                f"{shown_line(path.name)}: {PUBLIC_TABLE}.{col} holds binary data in "
                f"{len(binary)} row(s)"
            )
    for col in frame.columns:  # numbers come back as floats: write them as police.uk does
        frame[col] = [
            "" if v is None else (f"{v:.6f}" if isinstance(v, float) else str(v))
            for v in frame[col]
        ]
    return frame


def _release_file(source: PathLike) -> str:
    """The file of a release input given as a layer's source (core.common.layer_source's
    one rule: ``FILE.gpkg|layername=public_crimes``, as QGIS writes the public GeoPackage's
    layer, is that file; a file named with a ``|`` is itself). Only the public_crimes layer
    is read, and whole: another layer, or a QGIS option such as a subset (a filter the map
    would not apply), is refused rather than ignored. Why: such a source was taken whole
    for a file name and refused as not found."""
    file, options = source_options(source)
    layer = layer_of(options)
    if layer is not None and layer != PUBLIC_TABLE:
        raise WebmapInputError(
            f"{shown_line(Path(file).name)}: the map reads a release GeoPackage's '{PUBLIC_TABLE}' "
            f"layer, not '{shown_line(layer)}'"
        )
    for option in options:
        if not option.startswith(LAYER_OPTION):
            raise WebmapInputError(
                f"{shown_line(Path(file).name)}: '{option[:60]}' is a QGIS layer option the map "
                "would not apply (a subset is a filter): the map publishes the whole "
                f"'{PUBLIC_TABLE}' "
                "layer; export the rows to publish to a file of their own"
            )
    return file


def _release_member(name: str) -> bool:
    """Whether an archive's member is a street or outcomes table the web map reads."""
    return bool(_STREET_NAME.search(name) or _OUTCOMES_NAME.search(name))


def _expand(
    paths: Sequence[PathLike], skip: Optional[Path] = None
) -> list[tuple[str, bytes | Path]]:
    """(display name, bytes or path) of every input file: folders and zips opened; a
    folder's files inside ``skip`` or a staging folder of it left out (see
    scan_release_inputs)."""
    found: list[tuple[str, bytes | Path]] = []
    for raw in paths:
        path = Path(_release_file(raw))
        if not path.exists():
            raise WebmapInputError(not_found("Public release", path))
        try:  # a FIFO blocked the web map for ever; /dev/zero read until memory ran out
            check_file(path)
        except NotAFile as exc:
            raise WebmapInputError(f"{shown_path(path)}: {exc.strerror}") from None
        if path.is_dir():
            members = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and _release_member(p.name) and not _written_by_the_export(p, skip)
            )
            if not members:
                raise WebmapInputError(
                    f"{shown_path(path)}: no *-street.csv or *-outcomes.csv inside"
                )
            found.extend((p.name, p) for p in members)
        elif path.suffix.lower() == ".zip":
            try:
                with zipfile.ZipFile(path) as zf:
                    infos = archive_members(zf, _release_member)
                    if not infos:
                        raise WebmapInputError(f"{shown_line(path.name)}: no *-street.csv inside")
                    found.extend((Path(i.filename).name, read_member(zf, i)) for i in infos)
            except zipfile.BadZipFile as exc:
                raise WebmapInputError(
                    f"{shown_line(path.name)}: not a zip archive ({exc})"
                ) from exc
            except MemberUnreadable as exc:
                raise WebmapInputError(f"{shown_line(path.name)}: {exc}") from exc
        else:
            found.append((path.name, path))
    repeat = first_repeat(found)
    if repeat is not None:
        raise WebmapInputError(
            f"{repeat[0]} and {repeat[1]} are the same file given twice: its crimes would be "
            "counted twice. Give each month's file once"
        )
    return found


_FILE_MONTH = re.compile(rf"^({FILE_MONTH})-(?![0-9]{{4}}-)")


def _refuse_other_months(frame: pd.DataFrame, name: str) -> None:
    """WebmapInputError when a file named for one month ("2022-10-...-street.csv") holds
    rows of another: the map showed a second month made of stray rows (the load rejects
    them as month_mismatch)."""
    named = _FILE_MONTH.match(name.replace("\\", "/").rsplit("/", 1)[-1])
    if named is None:
        return
    other = [m for m in frame["Month"].unique().tolist() if str(m).strip() != named.group(1)]
    if other:
        count = int(frame["Month"].isin(other).sum())
        raise WebmapInputError(
            f"{shown_line(name)}: {count:,} row{'s' if count > 1 else ''} of month {other[0]} in "
            f"a file named for {named.group(1)}: the file is damaged or not one month's release"
        )


def _crime_in_two_files(
    names: Sequence[str], frames: Sequence[pd.DataFrame]
) -> Optional[tuple[str, str, str]]:
    """(first file, second file, Crime ID and month) of a crime two street tables both hold
    for one month, else None.

    Why: two re-exports of one month, or overlapping extracts, under other names are not the
    same bytes nor the same force's month by name, and their shared crimes were drawn and
    counted twice (25 crimes on the map for 20). Anti-social behaviour rows have no Crime ID:
    a month given twice is refused by its name instead (street_overlap)."""
    if len(frames) < 2 or any("Crime ID" not in f.columns for f in frames):
        return None
    ids = pd.concat(
        [
            pd.DataFrame(
                {"id": f["Crime ID"].astype(str).str.strip(), "month": f["Month"], "file": k}
            )
            for k, f in enumerate(frames)
        ],
        ignore_index=True,
    )
    ids = ids[ids["id"] != ""].drop_duplicates()
    # (one crime in two months is police.uk's own: 9 in 35 real Leicestershire months)
    twice = ids.duplicated(["id", "month"], keep=False)
    if not twice.any():
        return None
    crime, month = ids.loc[twice, ["id", "month"]].iloc[0]
    files = ids.loc[(ids["id"] == crime) & (ids["month"] == month), "file"].tolist()
    return names[files[0]], names[files[1]], f"{crime} of {month}"


def _check_street(
    frame: pd.DataFrame,
    name: str,
    lon: np.ndarray,
    lat: np.ndarray,
    coded: Optional[tuple[Factorized, Factorized]] = None,
) -> list[str]:
    """Warnings about a street table's rows; WebmapInputError for rows no map can show
    right (a month not YYYY-MM, coordinates not numbers or outside the UK). ``coded``: its
    coordinate columns as parse_coded factorized them (which texts are blank is then
    asked of each distinct text, not of every row)."""
    months = frame["Month"].unique()  # checked once per distinct value, not per row
    bad = [m for m in months.tolist() if not MONTH_RE.fullmatch(str(m))]
    if bad:
        count = int(frame["Month"].isin(bad).sum())
        raise WebmapInputError(
            f"{shown_line(name)}: {count} rows have a Month that is not YYYY-MM (e.g. {bad[0]!r})"
        )
    warnings = []
    # (an infinity is a number to both parsers, and no place: "inf" was read, then mapped
    # nowhere without a word, or refused by the leak gate as if it were a leak)
    unreadable = np.isinf(lon) | np.isinf(lat)
    for k, (values, col) in enumerate(((lon, "Longitude"), (lat, "Latitude"))):
        if frame[col].dtype == np.float64:  # typed columns were parsed whole by the reader
            continue
        if coded is None:
            written = (frame[col] != "").to_numpy()
        else:
            codes, uniques = coded[k]
            # (a missing value, code -1, is written as != "" finds it: not blank)
            written = np.append(np.asarray(uniques, dtype=object) != "", True)[codes]
        unreadable |= np.isnan(values) & written
    if unreadable.any():
        raise WebmapInputError(
            f"{shown_line(name)}: {int(unreadable.sum())} rows have coordinates that are not "
            f"numbers (row {int(np.argmax(unreadable)) + 1:,} is the first)"
        )
    half = np.isnan(lon) != np.isnan(lat)
    if half.any():  # (police.uk leaves both blank for a crime with no location, never one)
        raise WebmapInputError(
            f"{shown_line(name)}: {int(half.sum()):,} rows have only one of Longitude and "
            f"Latitude (row {int(np.argmax(half)) + 1:,} is the first): a crime with no "
            "location has both blank. The file is damaged; download it again"
        )
    _refuse_other_months(frame, name)
    located = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
    outside = located[~inside_uk(lon[located], lat[located])]
    if outside.size:  # (the load rejects them: outside_uk, lat_lon_swapped)
        at = int(outside[0])
        raise WebmapInputError(
            f"{shown_line(name)}: {outside.size:,} row{'s' if outside.size > 1 else ''} have "
            f"coordinates outside the United Kingdom (row {at + 1:,}: longitude {lon[at]:g}, "
            f"latitude {lat[at]:g}; swapped?). police.uk files hold none: the file is damaged or "
            "not a release; load it to see every such row"
        )
    no_location = int((np.isnan(lon) | np.isnan(lat)).sum())
    if no_location:
        warnings.append(
            f"{shown_line(name)}: {no_location} rows have no location; they are counted in the "
            "table, not drawn on the map"
        )
    return warnings


# What the page itself is made from; the other public columns (Reported by, Falls within,
# Context) only go into the CSV copies, so an export without copies does not read them.
PAGE_COLUMNS: tuple[str, ...] = (
    "Month",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
)


@dataclass
class InputFile:
    """One input file as found (before its rows are read)."""

    name: str  # display name (file name, or the member's name inside a zip)
    item: Union[bytes, Path]  # the file on disk, or a zip member's bytes
    kind: str  # street, outcomes, gpkg
    header: list[str]
    bytes: int  # on disk (or the member's size): what a copy of it would about weigh

    @property
    def path(self) -> Optional[Path]:
        """The file on disk (None for a zip member): what a page could link to."""
        return self.item if isinstance(self.item, Path) else None

    @property
    def exact_public_csv(self) -> bool:
        """A CSV whose columns are exactly police.uk's street columns, in order: the only kind
        of input file a page may link to as it is (an extra column would be published)."""
        return self.kind == "street" and self.header == list(PUBLIC_COLUMNS)


#: How the page and its warnings name the history rows (read_release_inputs' history_table).
HISTORY_SOURCE = "published police.uk history"


def _check_street_table(items: Sequence[InputFile], table: pd.DataFrame) -> None:
    """A street table given in place of a file stands for exactly one street CSV with the
    public columns, and is text throughout as that CSV reads."""
    if len(items) != 1 or items[0].kind != "street" or not items[0].exact_public_csv:
        raise WebmapInputError("a street table read beforehand stands for one public CSV only")
    if list(table.columns) != list(PUBLIC_COLUMNS):
        raise WebmapInputError("the street table read beforehand lacks the public columns")


def _written_by_the_export(path: Path, skip: Optional[Path]) -> bool:
    """Whether ``path`` is inside the export folder ``skip`` or one of its staging folders
    (``.<name>.staging-...`` beside it)."""
    if skip is None:
        return False
    try:
        inside = path.resolve().relative_to(skip.resolve().parent)
    except (OSError, RuntimeError, ValueError):
        return False
    first = inside.parts[0] if inside.parts else ""
    return first == skip.name or first.startswith(f".{skip.name}.staging-")


def scan_release_inputs(
    paths: Sequence[PathLike], skip: Optional[PathLike] = None
) -> list[InputFile]:
    """Every input file with its kind and header, without reading the rows (so an export can
    decide how to offer the downloads, and which columns to read, before reading).

    ``skip``: the export's own folder. A folder given as input is read without the files
    inside it (or a staging folder of it): the map exported beside its release, as the
    README advises (``<release>/map``), holds copies of the release's CSVs, so exporting
    the same release again read every crime twice and was refused."""
    if not paths:
        raise WebmapInputError("no release given: pass the public CSV(s), folder or zip")
    found = []
    for name, item in _expand(paths, Path(skip) if skip is not None else None):
        size = item.stat().st_size if isinstance(item, Path) else len(item)
        if isinstance(item, Path) and item.suffix.lower() == ".gpkg":
            found.append(InputFile(name, item, "gpkg", list(PUBLIC_COLUMNS), size))
        else:
            header = _header(item, name)
            found.append(InputFile(name, item, _classify(header, name), header, size))
    return found


def read_release_inputs(
    paths: Union[Sequence[PathLike], list[InputFile]],
    columns: Optional[Sequence[str]] = None,
    typed_coordinates: bool = False,
    street_table: Optional[pd.DataFrame] = None,
    history_table: Optional[pd.DataFrame] = None,
) -> ReleaseInputs:
    """Every street row and outcome row of ``paths`` (CSV files, folders, police.uk zips,
    release GeoPackages; or what scan_release_inputs found). Extra columns are dropped
    (whitelist); missing ones are an error.

    ``columns``: the public columns to keep (default all of PUBLIC_COLUMNS). Fewer columns
    read faster; ``Crime ID`` is added whenever an outcomes file is among the inputs (it is
    what joins an outcome to its crime). ``typed_coordinates``: street CSVs' Longitude and
    Latitude come back as floats, parsed by the CSV reader (faster; for an export that uses
    the coordinates only as numbers). ``street_table``: the rows of the one street CSV
    given, already read as text with every public column (read_public_csv, as the summaries
    exported beside the map read it): used instead of reading the file again.
    ``history_table``: with ``street_table``, rows of earlier months read from the force's
    published police.uk files (core.publish.summaries_history), put before the release's
    rows (``history_rows`` counts them); checked as a street file is, named
    HISTORY_SOURCE.
    """
    given = list(paths)
    items: list[InputFile] = (
        [p for p in given if isinstance(p, InputFile)]
        if given and all(isinstance(p, InputFile) for p in given)
        else scan_release_inputs([p for p in given if not isinstance(p, InputFile)])
    )
    keep = list(PUBLIC_COLUMNS if columns is None else columns)
    several = sum(f.kind != "outcomes" for f in items) > 1  # (their Crime IDs are compared)
    if (several or any(f.kind == "outcomes" for f in items)) and "Crime ID" not in keep:
        keep.insert(0, "Crime ID")
    keep = [c for c in PUBLIC_COLUMNS if c in keep]  # the schema's order, whitelist only
    if street_table is not None:
        _check_street_table(items, street_table)
    streets: list[pd.DataFrame] = []
    lons: list[np.ndarray] = []
    lats: list[np.ndarray] = []
    coded: list[Optional[tuple[Factorized, Factorized]]] = []  # (each frame's: parse_coded)
    outcomes: list[pd.DataFrame] = []
    result = ReleaseInputs(pd.DataFrame(), pd.DataFrame())
    for f in items:
        name, item = f.name, f.item
        result.sources.append(name)
        if f.kind == "outcomes":
            outcomes.append(
                _decoded(partial(_read_csv, item, name, OUTCOME_COLUMNS), item, name)[0]
            )
            continue
        if f.kind == "gpkg":
            assert isinstance(item, Path)
            frame = _read_gpkg(item)[keep]
        else:
            extra = [c for c in f.header if c not in PUBLIC_COLUMNS]
            if extra:
                result.warnings.append(
                    f"{shown_line(name)}: columns outside police.uk's street schema are not "
                    "published: " + ", ".join(map(str, extra[:10]))
                )
            if street_table is not None:
                frame = street_table[keep]
            else:
                read = partial(_read_street, item, name, keep, typed_coordinates)
                frame, encoding = _decoded(read, item, name)
                if encoding != "utf-8-sig":
                    result.not_utf8.append(name)
        if frame["Longitude"].dtype == np.float64 and frame["Latitude"].dtype == np.float64:
            lon = frame["Longitude"].to_numpy()
            lat = frame["Latitude"].to_numpy()
            coded.append(None)
        else:
            lon, lon_codes = parse_coded(frame["Longitude"])
            lat, lat_codes = parse_coded(frame["Latitude"])
            coded.append((lon_codes, lat_codes))
        result.warnings.extend(_check_street(frame, name, lon, lat, coded[-1]))
        months = frame["Month"].unique().tolist()
        result.street_files.append((f, len(frame), sorted(months)))
        streets.append(frame)
        lons.append(lon)
        lats.append(lat)
    if not streets:
        raise WebmapInputError("the inputs hold no street-level crime file")
    overlap = first_overlap(
        [(f.name, {(m, force_of_name(f.name)) for m in months}) for f, _, months in
         result.street_files]
    )  # fmt: skip
    if overlap is not None:
        raise WebmapInputError(overlap_message(overlap))
    shared = _crime_in_two_files([f.name for f, _, _ in result.street_files], streets)
    if shared is not None:
        raise WebmapInputError(
            f"{shared[0]} and {shared[1]} both hold the crime {shared[2]}: its rows would be "
            "counted twice. Give each crime's file once"
        )
    if history_table is not None and len(history_table):
        if street_table is None:
            raise WebmapInputError("history rows go only beside the release's rows as read")
        frame = history_table[[c for c in keep if c in history_table.columns]]
        if list(frame.columns) != keep:
            raise WebmapInputError("the history rows lack the public columns")
        lon, lon_codes = parse_coded(frame["Longitude"])
        lat, lat_codes = parse_coded(frame["Latitude"])
        result.warnings.extend(
            _check_street(frame, HISTORY_SOURCE, lon, lat, (lon_codes, lat_codes))
        )
        streets.insert(0, frame)
        lons.insert(0, lon)
        lats.insert(0, lat)
        coded.insert(0, (lon_codes, lat_codes))
        result.history_rows = len(frame)
        result.sources.append(HISTORY_SOURCE)
    result.street = pd.concat(streets, ignore_index=True) if len(streets) > 1 else streets[0]
    if len(streets) == 1:  # (the codes of several files' columns would not be the whole's)
        result.coordinate_codes = coded[0]
    result.lon = np.concatenate(lons)
    result.lat = np.concatenate(lats)
    result.outcomes = (
        pd.concat(outcomes, ignore_index=True)
        if outcomes
        else pd.DataFrame({c: pd.Series(dtype=str) for c in OUTCOME_COLUMNS})
    )
    if not len(result.street):
        raise WebmapInputError("the street files hold no rows")
    return result
