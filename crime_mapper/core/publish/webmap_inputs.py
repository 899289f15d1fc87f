"""Read public releases (street rows) and outcomes files for the web map.

Why a reader of its own: the web map is made from what is *already public*, the CSVs or
``public_crimes`` layers the anonymise step writes, or police.uk's own downloads (a community
group or a journalist has only those). Whatever comes in, only the police.uk street columns
(PUBLIC_COLUMNS) are kept: that whitelist is what stops a stray column in a hand-edited CSV
from reaching a public page. Outcomes files contribute only Crime ID, Month and Outcome type.
"""

from __future__ import annotations

import io
import re
import sqlite3
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

import numpy as np
import pandas as pd

from ..release.public_schema import PUBLIC_COLUMNS

PathLike = Union[str, Path]

OUTCOME_COLUMNS: tuple[str, ...] = ("Crime ID", "Month", "Outcome type")
PUBLIC_TABLE = "public_crimes"
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_STREET_NAME = re.compile(r"-street\.csv$", re.IGNORECASE)
_OUTCOMES_NAME = re.compile(r"-outcomes\.csv$", re.IGNORECASE)


class WebmapInputError(ValueError):
    """An input cannot be published as given; the message says which file and why."""


@dataclass
class ReleaseInputs:
    """The street rows (PUBLIC_COLUMNS only, all text), outcome rows and what was read."""

    street: pd.DataFrame
    outcomes: pd.DataFrame
    sources: list[str] = field(default_factory=list)  # file names, for the page's notes
    warnings: list[str] = field(default_factory=list)
    lon: np.ndarray = field(default_factory=lambda: np.zeros(0))  # parsed once; NaN = blank
    lat: np.ndarray = field(default_factory=lambda: np.zeros(0))


def parse_coordinates(values: pd.Series) -> np.ndarray:
    """Floats of a text column (NaN for blanks and non-numbers), parsing each distinct text
    once: a national month has 500,000 rows but about 120,000 distinct coordinates."""
    codes, uniques = pd.factorize(values, sort=False)
    parsed = pd.to_numeric(pd.Series(uniques, dtype=object), errors="coerce").to_numpy(np.float64)
    out = np.full(len(values), np.nan)
    ok = codes >= 0
    out[ok] = parsed[codes[ok]]
    return out


def _read_csv_bytes(data: bytes, name: str) -> pd.DataFrame:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise WebmapInputError(
            f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from exc
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise WebmapInputError(f"{name}: not a readable CSV ({exc})") from exc


def _classify(frame: pd.DataFrame, name: str) -> str:
    cols = set(frame.columns)
    if set(PUBLIC_COLUMNS) <= cols:
        return "street"
    if set(OUTCOME_COLUMNS) <= cols and "Crime type" not in cols:
        return "outcomes"
    if "Crime ID" in cols and "Crime type" in cols:
        missing = [c for c in PUBLIC_COLUMNS if c not in cols]
        raise WebmapInputError(
            f"{name}: a street file must have police.uk's columns; missing {', '.join(missing)}"
        )
    raise WebmapInputError(
        f"{name}: neither a police.uk street file nor an outcomes file "
        f"(columns: {', '.join(list(frame.columns)[:8])})"
    )


def _read_gpkg(path: Path) -> pd.DataFrame:
    uri = f"file:{path.resolve().as_posix()}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise WebmapInputError(f"{path.name}: cannot open ({exc})") from exc
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if PUBLIC_TABLE not in tables:
            raise WebmapInputError(
                f"{path.name}: no '{PUBLIC_TABLE}' layer (is this the release GeoPackage?)"
            )
        cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{PUBLIC_TABLE}")')]
        missing = [c for c in PUBLIC_COLUMNS if c not in cols]
        if missing:
            raise WebmapInputError(f"{path.name}: {PUBLIC_TABLE} lacks {', '.join(missing)}")
        select = ", ".join(f'"{c}"' for c in PUBLIC_COLUMNS)
        rows = conn.execute(f'SELECT {select} FROM "{PUBLIC_TABLE}"').fetchall()
    except sqlite3.Error as exc:
        raise WebmapInputError(f"{path.name}: cannot read ({exc})") from exc
    finally:
        conn.close()
    frame = pd.DataFrame(rows, columns=list(PUBLIC_COLUMNS))
    for col in frame.columns:  # numbers come back as floats: write them as police.uk does
        frame[col] = [
            "" if v is None else (f"{v:.6f}" if isinstance(v, float) else str(v))
            for v in frame[col]
        ]
    return frame


def _expand(paths: Sequence[PathLike]) -> list[tuple[str, bytes | Path]]:
    """(display name, bytes or path) of every input file: folders and zips opened."""
    found: list[tuple[str, bytes | Path]] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise WebmapInputError(f"{path}: not found")
        if path.is_dir():
            members = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and (_STREET_NAME.search(p.name) or _OUTCOMES_NAME.search(p.name))
            )
            if not members:
                raise WebmapInputError(f"{path}: no *-street.csv or *-outcomes.csv inside")
            found.extend((p.name, p) for p in members)
        elif path.suffix.lower() == ".zip":
            try:
                with zipfile.ZipFile(path) as zf:
                    names = sorted(
                        n
                        for n in zf.namelist()
                        if _STREET_NAME.search(n) or _OUTCOMES_NAME.search(n)
                    )
                    if not names:
                        raise WebmapInputError(f"{path.name}: no *-street.csv inside")
                    found.extend((Path(n).name, zf.read(n)) for n in names)
            except zipfile.BadZipFile as exc:
                raise WebmapInputError(f"{path.name}: not a zip archive ({exc})") from exc
        else:
            found.append((path.name, path))
    return found


def _check_street(frame: pd.DataFrame, name: str, lon: np.ndarray, lat: np.ndarray) -> list[str]:
    bad = ~frame["Month"].str.match(_MONTH)
    if bad.any():
        example = frame.loc[bad, "Month"].iloc[0]
        raise WebmapInputError(
            f"{name}: {int(bad.sum())} rows have a Month that is not YYYY-MM (e.g. {example!r})"
        )
    warnings = []
    unreadable = (np.isnan(lon) & (frame["Longitude"] != "").to_numpy()) | (
        np.isnan(lat) & (frame["Latitude"] != "").to_numpy()
    )
    if unreadable.any():
        raise WebmapInputError(
            f"{name}: {int(unreadable.sum())} rows have coordinates that are not numbers"
        )
    no_location = int((np.isnan(lon) | np.isnan(lat)).sum())
    if no_location:
        warnings.append(
            f"{name}: {no_location} rows have no location; they are counted in the table, "
            "not drawn on the map"
        )
    return warnings


def read_release_inputs(paths: Sequence[PathLike]) -> ReleaseInputs:
    """Every street row and outcome row of ``paths`` (CSV files, folders, police.uk zips,
    release GeoPackages). Extra columns are dropped (whitelist); missing ones are an error."""
    if not paths:
        raise WebmapInputError("no release given: pass the public CSV(s), folder or zip")
    streets: list[pd.DataFrame] = []
    lons: list[np.ndarray] = []
    lats: list[np.ndarray] = []
    outcomes: list[pd.DataFrame] = []
    result = ReleaseInputs(pd.DataFrame(), pd.DataFrame())
    for name, item in _expand(paths):
        if isinstance(item, Path) and item.suffix.lower() == ".gpkg":
            frame = _read_gpkg(item)
            kind = "street"
        else:
            data = item.read_bytes() if isinstance(item, Path) else item
            frame = _read_csv_bytes(data, name)
            kind = _classify(frame, name)
        result.sources.append(name)
        if kind == "street":
            extra = [c for c in frame.columns if c not in PUBLIC_COLUMNS]
            if extra:
                result.warnings.append(
                    f"{name}: columns outside police.uk's street schema are not published: "
                    + ", ".join(map(str, extra[:10]))
                )
            frame = frame[list(PUBLIC_COLUMNS)].copy()
            lon = parse_coordinates(frame["Longitude"])
            lat = parse_coordinates(frame["Latitude"])
            result.warnings.extend(_check_street(frame, name, lon, lat))
            streets.append(frame)
            lons.append(lon)
            lats.append(lat)
        else:
            outcomes.append(frame[list(OUTCOME_COLUMNS)].copy())
    if not streets:
        raise WebmapInputError("the inputs hold no street-level crime file")
    result.street = pd.concat(streets, ignore_index=True)
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
