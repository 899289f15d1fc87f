"""Where the internal crimes table of a release comes from: a crimes GeoPackage or extracts.

The anonymiser and the leak gate both need the *internal* crimes table (exact locations,
source references, free text): the anonymiser to build the public table from it, the gate to
prove none of it reached a public output. An analyst has it in one of two forms:

- the crimes GeoPackage a load wrote (table ``crimes``): read back here with plain sqlite3
  and pandas in one query, with the CRIME_COLUMNS dtypes restored, because reading 500,000
  features through QGIS would cost far more than the anonymising itself. The rejects CSV
  written by the same load (``rejects.csv`` beside it) is picked up when present, so the
  audit can still account for every input row;
- extract files (CSV files, folders, police.uk monthly zips) loaded afresh with
  core.load.loader.load_extracts and an optional mapping profile; this also yields the rejects.

Part of the one release pipeline (core.release.pipeline): the command line, Processing and
the dock all read their crimes through here. Nothing here touches an output file.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Union

import numpy as np
import pandas as pd

from ..common import schema
from ..common.feedback import Feedback
from ..common.geography import TransformUnavailable, inside_uk, to_wgs84
from ..common.json_file import read_json_file
from ..common.layer_source import source_file, split_layer_source
from ..common.text_file import not_found, shown_path
from ..common.vocabulary import normalise_outcome
from ..io.gpkg_read import point_coordinates, read_only_uri
from ..io.gpkg_write import quote_identifier
from ..load import mapping_profile
from ..load.mapping_profile import MappingProfile, ProfileError
from ..load.validation_report import OUTPUT_NAMES
from .release_files import (
    ReleaseInputError,
    extracts_description,
    input_files,
    loaded_file_entries,
    read_described,
)

PathLike = Union[str, "os.PathLike[str]"]

CRIMES_TABLE = "crimes"
#: The gpkg_contents description a load gives its crimes table (qgis_bridge.run_load): how a
#: loaded month's internal, exact table is told from any other layer in a QGIS project.
INTERNAL_CRIMES_DESCRIPTION = "crime_mapper crimes (internal, exact: not for publication)"
#: A located crime, in a crimes table's columns, for reading its raw location with sqlite.
_LOCATED = "longitude IS NOT NULL AND latitude IS NOT NULL AND has_location"


class CrimesSourceError(ValueError):
    """The crimes input cannot be used (missing file, not a crimes GeoPackage, bad profile)."""


@dataclass
class CrimesInput:
    """The internal crimes table of one release and what it came from."""

    crimes: pd.DataFrame
    rejects: Optional[pd.DataFrame]  # REJECT_COLUMNS; None when unknown
    input_files: list[Path] = field(default_factory=list)  # every file read, for the manifest
    # manifest entries of those files as they were read (None: hash input_files when asked)
    input_entries: Optional[Sequence[dict]] = None
    description: str = ""
    profile: Optional[MappingProfile] = None
    file_errors: list[str] = field(default_factory=list)  # files that could not be used at all
    #: crimes the load that wrote the crimes GeoPackage put in it (its validation report);
    #: None when there is no report to hold the table to (core.release.audit
    #: .account_for_the_load)
    accepted_at_load: Optional[int] = None


def is_gpkg(path: PathLike) -> bool:
    return str(path).lower().endswith(".gpkg")


def check_profile(profile: MappingProfile) -> None:
    """core.load.mapping_profile.check_profile, raising CrimesSourceError as every caller of
    the release pipeline expects."""
    try:
        mapping_profile.check_profile(profile)
    except ProfileError as exc:
        raise CrimesSourceError(str(exc)) from exc


def load_profile(path: Optional[PathLike]) -> Optional[MappingProfile]:
    """core.load.mapping_profile.load_profile (checked with check_profile), or None; raising
    CrimesSourceError as every caller of the release pipeline expects."""
    try:
        return mapping_profile.load_profile(path)
    except ProfileError as exc:
        raise CrimesSourceError(str(exc)) from exc


def restore_crime_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """CRIME_COLUMNS dtypes back onto a table read from SQLite (text, integers, NULLs).

    A value the column cannot hold (text in a number or flag column, a flag other than 0 or
    1, a date that is no date, an outcome that is no police.uk outcome) is a
    CrimesSourceError naming the column: the table was changed after the load validated it
    (by hand in QGIS, or by another tool), and reading such a value as NULL, 0 or blank
    would change what is published without a word. An unknown crime type is left to the
    anonymiser, which rejects and counts the row as the load does."""
    out: dict[str, object] = {}
    n = len(frame)
    for column, (dtype, _, _) in schema.CRIME_COLUMNS.items():
        values = frame[column] if column in frame else pd.Series([None] * n, dtype=object)
        if column == "crime_type":
            out[column] = pd.Categorical(values, dtype=schema.CRIME_TYPE_DTYPE)
        elif column == "last_outcome":
            out[column] = pd.Categorical(_outcomes(values), dtype=schema.OUTCOME_DTYPE)
        elif dtype == "category":
            out[column] = values.astype("category")
        elif dtype == "datetime64[ns]":
            out[column] = _dates(values, column)
        elif dtype == "bool":
            flags = _numbers(values, column)
            _refuse(column, values, flags.notna() & ~flags.isin((0, 1)), "is not 0 or 1")
            out[column] = flags.fillna(0).astype(np.int64).astype(bool)
        elif dtype == "int64":
            numbers = _numbers(values, column)
            whole = numbers.isna() | ((numbers % 1 == 0) & (numbers.abs() < 2.0**53))
            _refuse(column, values, ~whole, "is not a whole number")
            out[column] = numbers.fillna(0).astype(np.int64)
        elif dtype == "float64":
            out[column] = _numbers(values, column).astype(np.float64)
        else:  # "str": Python strings, "" for blank
            out[column] = values.where(values.notna(), "").astype(object)
    for column in frame.columns:
        if column.startswith(schema.EXTRA_PREFIX):
            values = frame[column]
            out[column] = values.where(values.notna(), "").astype(object)
    return pd.DataFrame(out, index=pd.RangeIndex(n))


def _given(values: pd.Series) -> pd.Series:
    """Values that are there: not NULL and not blank text (SQLite gives a number column's
    values as numbers, and only text can be blank)."""
    present = values.notna()
    if values.dtype != object or not present.any():
        return present
    given = present.copy()
    given[present] = values[present].astype(str).str.strip() != ""
    return given


def _refuse(column: str, values: pd.Series, bad: pd.Series, why: str) -> None:
    if bool(bad.any()):
        first = values[bad].iloc[0]
        raise CrimesSourceError(
            f"{int(bad.sum()):,} row(s) of the crimes table hold, in {column}, a value that "
            f"{why} (first: {first!r}); the table was changed after it was loaded: load "
            "the extracts again"
        )


def _numbers(values: pd.Series, column: str) -> pd.Series:
    """The column as numbers (NaN for NULL or blank); text that is no number refused."""
    numbers = pd.to_numeric(values, errors="coerce")
    _refuse_unread(column, values, numbers.isna(), "is not a number")
    return numbers


def _dates(values: pd.Series, column: str) -> pd.Series:
    dates = pd.to_datetime(values, errors="coerce")
    _refuse_unread(column, values, dates.isna(), "is not a date and time")
    return dates


def _refuse_unread(column: str, values: pd.Series, unread: pd.Series, why: str) -> None:
    """Refuse the values that were there (not NULL, not blank) but were not read. Only the
    unread are looked at: the whole column's text need not be made for a clean table."""
    if bool(unread.any()):
        _refuse(column, values[unread], _given(values[unread]), why)


def _outcomes(values: pd.Series) -> pd.Series:
    """Outcomes in their canonical spelling; a given text that is no police.uk outcome
    refused (the load rejects such a row, and blank would publish it as "no outcome").
    Each distinct text is looked up once (a national month has a dozen)."""
    codes, texts = pd.factorize(values)  # (NULL: code -1)
    canonical = [normalise_outcome(str(text).strip()) for text in texts]
    known = np.array([c is not None for c in canonical] + [False], dtype=bool)
    blank = np.array([not str(text).strip() for text in texts] + [True], dtype=bool)
    _refuse(
        "last_outcome", values, pd.Series(~known[codes] & ~blank[codes]),
        "is not a police.uk outcome",
    )  # fmt: skip
    lookup = np.array([*canonical, None], dtype=object)
    return pd.Series(lookup[codes], index=values.index)


def read_crimes_gpkg(path: PathLike, table: str = CRIMES_TABLE) -> pd.DataFrame:
    """The crimes table of a crime_mapper crimes GeoPackage, with CRIME_COLUMNS dtypes."""
    path = Path(path)
    if not path.is_file():
        raise CrimesSourceError(not_found("crimes GeoPackage", path))
    try:
        conn = sqlite3.connect(read_only_uri(path), uri=True)
    except sqlite3.Error as exc:
        raise CrimesSourceError(f"cannot open {shown_path(path)}: {exc}") from exc
    try:
        try:
            info = conn.execute(f"PRAGMA table_info({quote_identifier(table)})").fetchall()
        except sqlite3.DatabaseError as exc:
            raise CrimesSourceError(f"{shown_path(path)} is not a GeoPackage ({exc})") from exc
        names = [row[1] for row in info]
        missing = [
            c
            for c in ("crime_id", "month", "crime_type", "longitude", "latitude")
            if c not in names
        ]
        if not names or missing:
            raise CrimesSourceError(
                f"{shown_path(path)} has no crime_mapper {table!r} table (missing "
                f"{', '.join(missing) or 'the table'}): load the extracts with crime_mapper "
                "first, or give the extract files"
            )
        wanted = [
            c for c in names if c in schema.CRIME_COLUMNS or c.startswith(schema.EXTRA_PREFIX)
        ]
        select = ", ".join(quote_identifier(c) for c in wanted)
        try:
            geometry = _geometry_column(conn, table)
            if geometry is not None:  # (read with the rows: one pass over the table)
                select += f", {quote_identifier(geometry[0])} AS {quote_identifier(_GEOMETRY)}"
            frame = pd.read_sql_query(
                f"SELECT {select} FROM {quote_identifier(table)} ORDER BY fid", conn
            )
        except (sqlite3.Error, OSError) as exc:  # (pandas' DatabaseError is an OSError)
            raise CrimesSourceError(
                f"{shown_path(path)}: the crimes table cannot be read ({exc})"
            ) from exc
    finally:
        conn.close()
    points = None
    if geometry is not None:
        points = point_coordinates(frame.pop(_GEOMETRY).tolist()), geometry[1]
    crimes = restore_crime_dtypes(frame)
    check_locations(crimes, *(points or (None, None)))
    return crimes


#: The geometry column's name in read_crimes_gpkg's query: no crime column or extra_* column
#: of the table can have it.
_GEOMETRY = "geometry blob"


def _geometry_column(conn: sqlite3.Connection, table: str) -> Optional[tuple[str, str]]:
    """(name, CRS as "EPSG:n") of the table's geometry column; None for a table without one.
    A CRS of another organisation is given as its srs_id (no transform will know it)."""
    row = conn.execute(
        "SELECT g.column_name, s.organization, s.organization_coordsys_id "
        "FROM gpkg_geometry_columns g LEFT JOIN gpkg_spatial_ref_sys s ON s.srs_id = g.srs_id "
        "WHERE g.table_name = ?",
        (table,),
    ).fetchone()
    if row is None or not isinstance(row[0], str):
        return None
    organisation = str(row[1] or "").upper()
    return row[0], f"{organisation}:{row[2]}"


def check_locations(
    crimes: pd.DataFrame,
    points: Optional[tuple[np.ndarray, np.ndarray]] = None,
    crs: Optional[str] = None,
) -> None:
    """Refuse a crimes table whose locations the load could not have written: a longitude
    without its latitude (or the reverse), a location outside the UK (the load rejects those:
    1e308 would be "beyond the maximum distance" and published without a location, silently),
    or, given the geometry column's points, a located crime whose point is somewhere else or
    was deleted. The release publishes the longitude and latitude fields; an analyst who
    moved or deleted the point on the map meant something else, and which of the two is
    meant cannot be told, so neither is guessed. A blanked longitude and latitude under a
    point still there is read as the load reads a crime without a location: it can only
    publish less."""
    lon = crimes["longitude"].to_numpy(np.float64)
    lat = crimes["latitude"].to_numpy(np.float64)
    _refuse_rows(
        crimes, np.isnan(lon) != np.isnan(lat), "have a longitude without a latitude, or a "
        "latitude without a longitude",
    )  # fmt: skip
    located = ~np.isnan(lon)
    outside = located.copy()
    outside[located] = ~inside_uk(lon[located], lat[located])
    _refuse_rows(crimes, outside, "have a longitude and latitude outside the UK")
    if points is None:
        return
    x, y = points
    if crs is not None:
        given = ~np.isnan(x)
        try:
            x, y = to_wgs84(x, y, crs)
        except (TransformUnavailable, ValueError, RuntimeError):
            return  # (a CRS no transform here knows: the fields are all there is to go by)
        if np.isnan(x[given]).any():  # (QGIS's transform gives NaN where pyproj raises)
            return
    with np.errstate(invalid="ignore"):
        moved = located & (
            np.isnan(x) | (np.abs(x - lon) > _SAME_PLACE_DEGREES)
            | (np.abs(y - lat) > _SAME_PLACE_DEGREES)
        )  # fmt: skip
    _refuse_rows(
        crimes, moved, "have a point on the map that is not at their longitude and latitude, "
        "or no point (it was moved or deleted, or the fields were edited, after the load; "
        "make the two agree, for example with the field calculator's $x and $y, or delete "
        "the crime)",
        lambda i: f"point {_pair(x[i], y[i])}, fields {_pair(lon[i], lat[i])}",
    )  # fmt: skip


#: Points and fields further apart than this (about 1 cm) disagree; closer is a CRS's round
#: trip (a copy of the table saved in British National Grid), not a move.
_SAME_PLACE_DEGREES = 1e-7


def _pair(x: float, y: float) -> str:
    return "none" if np.isnan(x) or np.isnan(y) else f"({x!r}, {y!r})"


def _refuse_rows(
    crimes: pd.DataFrame,
    bad: np.ndarray,
    why: str,
    example: Optional[Callable[[int], str]] = None,
) -> None:
    """CrimesSourceError for the rows ``bad`` marks, naming the first by its crime ID."""
    rows = np.flatnonzero(bad)
    if rows.size == 0:
        return
    first = int(rows[0])
    crime_id = str(crimes["crime_id"].iloc[first]) or f"row {first + 1}"
    detail = f"; {example(first)}" if example is not None else (
        f": {_pair(crimes['longitude'].iloc[first], crimes['latitude'].iloc[first])}"
    )  # fmt: skip
    raise CrimesSourceError(
        f"{rows.size:,} row(s) of the crimes table {why} (first: crime {crime_id!r}{detail}); "
        "the table was changed after it was loaded: load the extracts again"
    )


def as_read_back(crimes: pd.DataFrame) -> pd.DataFrame:
    """A loaded crimes table as read_crimes_gpkg reads it back from the GeoPackage the load
    wrote from it: the GeoPackage stores the values (and restore_crime_dtypes their dtypes),
    not the order of a category column's categories, which come back as the values present,
    sorted (a multi-file load holds them in the order first met). Everything else is equal
    already (tests/test_monthly_release.py compares with read_crimes_gpkg)."""
    out = crimes.copy(deep=False)
    for column, (dtype, _, _) in schema.CRIME_COLUMNS.items():
        if dtype != "category" or column in ("crime_type", "last_outcome") or column not in out:
            continue
        values = out[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            present = values.cat.remove_unused_categories()
            out[column] = present.cat.reorder_categories(sorted(present.cat.categories))
        else:
            out[column] = values.astype("category")
    if not isinstance(out.index, pd.RangeIndex) or out.index.start != 0:
        out = out.reset_index(drop=True)
    return out


def _rejects_beside(gpkg: Path) -> Optional[pd.DataFrame]:
    """The rejects CSV the same load wrote beside the GeoPackage, if it is there."""
    return _read_rejects(gpkg.with_name(OUTPUT_NAMES["rejects"]))


def _read_rejects(candidate: Path) -> Optional[pd.DataFrame]:
    if not candidate.is_file():
        return None
    try:
        frame = pd.read_csv(candidate, dtype=str, keep_default_na=False, na_filter=False)
    except (OSError, ValueError):
        return None
    if tuple(frame.columns) != tuple(schema.REJECT_COLUMNS):
        return None
    return frame


def only_feature_table(path: PathLike) -> Optional[str]:
    """The GeoPackage's one feature table, or None when it has several (or is unreadable).

    OGR leaves the layer name out of the source of a single-table GeoPackage (what a path
    given to qgis_process opens as), so the QGIS side asks here which table it is."""
    try:
        with closing(sqlite3.connect(read_only_uri(path), uri=True)) as conn:
            rows = conn.execute(
                "SELECT table_name FROM gpkg_contents WHERE data_type = 'features'"
            ).fetchall()
    except sqlite3.Error:
        return None
    return rows[0][0] if len(rows) == 1 else None


def crimes_from_gpkg(
    path: PathLike, table: str = CRIMES_TABLE, loaded: Optional[pd.DataFrame] = None
) -> CrimesInput:
    """Crimes (and the load's rejects, when found beside it) from a crimes GeoPackage.

    ``loaded``: the crimes table the load that just wrote this GeoPackage holds in memory
    (the monthly release's load step): taken as read back (as_read_back) instead of reading
    the GeoPackage's rows again; the file is still described (SHA-256) as read."""
    path = Path(path)
    if not path.is_file():
        raise CrimesSourceError(not_found("crimes GeoPackage", path))
    read = (lambda p: read_crimes_gpkg(p, table)) if loaded is None else (lambda p: loaded)
    try:
        crimes, entry = read_described(path, read)
        entries = [entry]
        beside = path.with_name(OUTPUT_NAMES["rejects"])
        rejects = None
        if beside.is_file():
            rejects, rejects_entry = read_described(beside, lambda _: _rejects_beside(path))
            if rejects is not None:
                entries.append(rejects_entry)
    except ReleaseInputError as exc:
        raise CrimesSourceError(str(exc)) from exc
    files = [path] + ([beside] if rejects is not None else [])
    return CrimesInput(
        crimes=crimes if loaded is None else as_read_back(crimes),
        rejects=rejects,
        input_files=files,
        input_entries=entries,
        description=f"crimes GeoPackage {path.name}",
        # (a table the load holds in memory is what it accepted: nothing to hold it to)
        accepted_at_load=accepted_at_load(path) if loaded is None else None,
    )


def accepted_at_load(gpkg: Path) -> Optional[int]:
    """How many crimes the load that wrote ``gpkg`` put in its crimes table, from the
    validation report it wrote beside it (``crimes.rows``: its accepted total also counts
    outcomes and stop-and-search rows); None without one this can read (a GeoPackage copied
    alone, a report damaged or of another shape: the report is a record, not an input, so
    it only ever adds a check)."""
    report_path = gpkg.with_name(OUTPUT_NAMES["report_json"])
    if not report_path.is_file():
        return None
    try:
        report = read_json_file(report_path, ValueError, finite=False)  # (the load's own)
    except ValueError:
        return None
    crimes = report.get("crimes") if isinstance(report, dict) else None
    rows = crimes.get("rows") if isinstance(crimes, dict) else None
    return rows if type(rows) is int and rows >= 0 else None


class _EntriesOnceWritten(Sequence[dict]):
    """Manifest entries whose first (the crimes GeoPackage's) comes from ``first()`` when
    they are first used: the file is still being written until then."""

    def __init__(self, first: Callable[[], dict], rest: list[dict]) -> None:
        self._first = first
        self._rest = rest

    def _all(self) -> list[dict]:
        return [self._first(), *self._rest]

    def __len__(self) -> int:
        return 1 + len(self._rest)

    def __getitem__(self, index: Any) -> Any:
        return self._all()[index]

    def __iter__(self) -> Iterator[dict]:
        return iter(self._all())


def crimes_from_load_in_progress(
    path: PathLike, loaded: pd.DataFrame, staged_rejects: Optional[Path], settle: Callable[[], dict]
) -> CrimesInput:
    """What ``crimes_from_gpkg(path, loaded=loaded)`` gives once the load that holds
    ``loaded`` has put its files in place, while its GeoPackage is still being written
    (qgis_bridge.run_load's gpkg_beside): the rejects read where they wait to move in
    (``staged_rejects``: same name and bytes), and the GeoPackage's manifest entry, as it was
    written, from ``settle`` (which waits for the file and moves the load's outputs into
    place) only when the manifest lists the inputs. Why: the monthly release's anonymise
    step never reads the file, so the write overlaps it."""
    path = Path(path)
    beside = path.with_name(OUTPUT_NAMES["rejects"])
    rejects, entries = None, []
    if staged_rejects is not None and staged_rejects.name == beside.name:
        try:
            rejects, rejects_entry = read_described(staged_rejects, _read_rejects)
        except ReleaseInputError as exc:
            raise CrimesSourceError(str(exc)) from exc
        if rejects is not None:
            entries.append(rejects_entry)
    return CrimesInput(
        crimes=as_read_back(loaded),
        rejects=rejects,
        input_files=[path] + ([beside] if rejects is not None else []),
        input_entries=_EntriesOnceWritten(settle, entries),
        description=f"crimes GeoPackage {path.name}",
    )


def _why_none(result: Any) -> str:
    """Why a load gave no crimes: the files it could not use and, when its rows were all
    rejected, how many for each reason (a bad date_format rejects every row: said was only
    "the extracts hold no crimes", the reasons left to the load's own report)."""
    parts = [f.error for f in result.files if f.error]
    rejects = result.rejects
    if len(rejects) and "reason" in rejects:
        counts = rejects["reason"].value_counts()
        parts.append(
            f"{len(rejects):,} rows rejected: "
            + ", ".join(f"{reason} {int(n):,}" for reason, n in counts.head(4).items())
            + (", ..." if len(counts) > 4 else "")
            + " (see the load's validation report)"
        )
    return f" ({'; '.join(parts)})" if parts else ""


def crimes_from_files(
    paths: Sequence[PathLike],
    profile: Optional[MappingProfile] = None,
    feedback: Optional[Feedback] = None,
    release_month: Optional[str] = None,
) -> CrimesInput:
    """Crimes and rejects loaded afresh from extract files, folders or police.uk zips
    (``release_month``: as load_extracts')."""
    from ..load.loader import load_extracts

    if not paths:
        raise CrimesSourceError("no crimes input given")
    for path in paths:
        if not Path(path).exists():
            raise CrimesSourceError(not_found("Extract", path))
    if profile is not None:
        check_profile(profile)
    files = input_files(paths)
    result = load_extracts(
        [str(p) for p in paths], profile=profile, feedback=feedback, release_month=release_month
    )
    if not len(result.crimes):
        raise CrimesSourceError("the extracts hold no crimes" + _why_none(result))
    return CrimesInput(
        crimes=result.crimes,
        rejects=result.rejects,
        input_files=files,
        input_entries=loaded_file_entries(result.files),
        description=extracts_description(files),
        profile=profile,
        file_errors=[f.error for f in result.files if f.error],
    )


def split_gpkg_uri(source: PathLike) -> tuple[str, str]:
    """(path, table) of a ``path.gpkg|layername=table`` URI (table ``crimes`` by default),
    by core.common.layer_source's one rule: the text was cut at its first ``|``, so a crimes
    GeoPackage named ``a|b.gpkg`` was looked for as ``a`` (and read as extracts)."""
    path, table = split_layer_source(source)
    return path, CRIMES_TABLE if table is None else table


def open_crimes_source(
    source: Union[PathLike, Sequence[PathLike]],
    profile: Optional[MappingProfile] = None,
    feedback: Optional[Feedback] = None,
    release_month: Optional[str] = None,
) -> CrimesInput:
    """A crimes GeoPackage path (or a one-item list holding one), or extract paths (loaded
    for ``release_month``, when given: a GeoPackage holds a load's rows as loaded)."""
    paths = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    if len(paths) == 1 and is_gpkg(source_file(paths[0])):
        return crimes_from_gpkg(*split_gpkg_uri(paths[0]))
    return crimes_from_files(paths, profile=profile, feedback=feedback, release_month=release_month)


def is_internal_crimes_table(path: PathLike, table: str = CRIMES_TABLE) -> bool:
    """Whether ``table`` of the GeoPackage at ``path`` is a load's internal crimes table (as
    the load marked it in gpkg_contents); False for anything unreadable. (A file the user
    may not look at, or a name too long: ``is_file`` raises those, and a project's layer
    on such a path stopped every anonymise run of the toolbox with a traceback.)"""
    try:
        if not Path(path).is_file():
            return False
    except (OSError, ValueError):  # (EACCES, ENAMETOOLONG; a NUL in the name)
        return False
    try:
        with closing(sqlite3.connect(read_only_uri(path), uri=True)) as conn:
            row = conn.execute(
                "SELECT description FROM gpkg_contents WHERE table_name = ?", (table,)
            ).fetchone()
    except sqlite3.Error:
        return False
    return row is not None and row[0] == INTERNAL_CRIMES_DESCRIPTION


def _gpkg_raw_locations(path: str, table: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        with closing(sqlite3.connect(read_only_uri(path), uri=True)) as conn:
            rows = conn.execute(
                f'SELECT longitude, latitude FROM "{table}" WHERE {_LOCATED} '
                "AND coalesce(source_format, '') <> 'police.uk'"
            ).fetchall()
    except sqlite3.Error as exc:
        raise CrimesSourceError(
            f"{shown_path(path)}: cannot read the raw locations of its {table!r} table ({exc}); "
            "give a crime_mapper crimes GeoPackage or extract files"
        ) from exc
    coords = np.array(rows, dtype=np.float64).reshape(-1, 2)
    return coords[:, 0], coords[:, 1]


def raw_locations(
    sources: Sequence[PathLike], profile: Optional[MappingProfile] = None
) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """(lon, lat) arrays of the raw crimes of other months, for the disclosure check that the
    map points are not raw crime locations (core.release.disclosure, ``other_raw``).

    ``sources``: crimes GeoPackages (a path, or ``path.gpkg|layername=table`` as the QGIS side
    names a loaded month's layer), each read with one sqlite query, and/or extract files,
    loaded together with ``profile``. Only located rows count, and not rows loaded from
    police.uk files: those already sit at police.uk's anonymous points, so map points derived
    from police.uk history would otherwise look like "raw crimes".
    """
    out: list[tuple[np.ndarray, np.ndarray]] = []
    extracts: list[str] = []
    for source in sources:
        path, table = split_gpkg_uri(source)
        if is_gpkg(path):
            if not Path(path).is_file():
                raise CrimesSourceError(not_found("crimes GeoPackage", path))
            out.append(_gpkg_raw_locations(path, table))
        else:
            extracts.append(str(source))
    if extracts:
        crimes = crimes_from_files(extracts, profile=profile).crimes
        raw = crimes[crimes["has_location"] & (crimes["source_format"].astype(str) != "police.uk")]
        out.append((raw["longitude"].to_numpy(float), raw["latitude"].to_numpy(float)))
    return tuple(out)
