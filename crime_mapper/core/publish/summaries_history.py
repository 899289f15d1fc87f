"""Earlier published months for the neighbourhood summaries: the force's own police.uk
street-level files (already public), read beside this month's release so that the pages show
a real 12-month trend, the change on a year earlier and the test against the previous twelve
months, instead of "missing" for every month but one.

Only published months are read (the police.uk street columns, exactly), and only months
before the release's first month are kept: the release is the one source of its own months.
History feeds the counts (trend, change, usual range); top locations and outcomes come from
the chosen period, and every page is still checked by the leak gate. Accepts CSV files,
data.police.uk monthly archives (zip) and folders of either, their bytes decoded as the load
decodes them (core.load.textscan.read_decoded: a month Excel saved again in Windows-1252
reads as the load reads it). Imports nothing from QGIS.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Union

import pandas as pd

from ..common.input_files import first_repeat
from ..common.text_file import not_found, shown_line
from ..common.vocabulary import MONTH_RE
from ..common.zip_members import archive_members, read_member
from ..load.textscan import UndecodableText, read_decoded
from ..release.public_schema import PUBLIC_COLUMNS
from .street_overlap import first_overlap, month_force_pairs, overlap_message
from .summaries import SummaryError

PathLike = Union[str, Path]


def _parsed(data: Union[bytes, Path], encoding: str) -> pd.DataFrame:
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    return pd.read_csv(source, dtype=str, keep_default_na=False, na_filter=False, encoding=encoding)


def _frame(data: Union[bytes, Path], name: str) -> pd.DataFrame:
    try:
        frame = read_decoded(partial(_parsed, data), data, "utf-8-sig")[0]
    except (UndecodableText, ValueError, pd.errors.ParserError) as exc:
        raise SummaryError(
            f"history file {shown_line(name)} cannot be read as a CSV ({exc})"
        ) from exc
    if tuple(frame.columns) != PUBLIC_COLUMNS:
        raise SummaryError(
            f"history file {shown_line(name)} is not a police.uk street-level file (its columns "
            f"are {', '.join(map(str, frame.columns[:6]))}...); history must be published months"
        )
    months = frame["Month"].str.strip()
    bad = ~months.str.fullmatch(MONTH_RE)
    if bad.any():
        raise SummaryError(
            f"history file {shown_line(name)}: {int(bad.sum()):,} rows have no month as YYYY-MM "
            f"(e.g. {months[bad].iloc[0][:20]!r})"
        )
    untyped = frame["Crime type"].str.strip() == ""
    if untyped.any():  # (every published crime has one; a row cut short is padded by pandas)
        raise SummaryError(
            f"history file {shown_line(name)}: {int(untyped.sum()):,} rows have no Crime type (the "
            f"first is data row {int(untyped.to_numpy().argmax()) + 1:,}): the file looks cut "
            "short or damaged there; download the month again"
        )
    frame["Month"] = months
    return frame


def _tables(path: Path) -> list[tuple[str, Union[bytes, Path]]]:
    """(display name, bytes or file) of every street table a history path holds."""
    if path.is_dir():
        found: list[tuple[str, Union[bytes, Path]]] = [
            (str(p.relative_to(path.parent)), p)
            for p in sorted(path.rglob("*-street.csv"))
            if p.is_file()  # (a FIFO so named blocked the read for ever; a folder failed it)
        ]
        for zipped in sorted(path.rglob("*.zip")):  # monthly downloads kept as they came
            found += _tables(zipped)
        if not found:
            raise SummaryError(f"history folder {shown_line(path.name)} holds no *-street.csv file")
        return found
    if not path.is_file():
        raise SummaryError(not_found("history file", path))
    if path.suffix.lower() != ".zip":
        return [(path.name, path)]
    try:
        with zipfile.ZipFile(path) as archive:
            streets = archive_members(archive, lambda name: name.lower().endswith("-street.csv"))
            if not streets:
                raise SummaryError(
                    f"history archive {shown_line(path.name)} holds no *-street.csv file"
                )
            out: list[tuple[str, Union[bytes, Path]]] = []
            for member in streets:
                out.append((f"{path.name}:{member.filename}", read_member(archive, member)))
            return out
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise SummaryError(
            f"history archive {shown_line(path.name)} cannot be read ({exc})"
        ) from exc


def read_history(
    paths: Sequence[PathLike], release_months: Sequence[str]
) -> tuple[pd.DataFrame, list[str]]:
    """(rows of the history months before the release's first month, notes for the analyst).

    Raises SummaryError naming the file for anything that is not a published street-level
    table. Rows of a month the release holds, or later, are left out (and said so)."""
    if not paths:
        return pd.DataFrame(columns=list(PUBLIC_COLUMNS)), []
    first = min(m.strip() for m in release_months)
    tables = [table for path in paths for table in _tables(Path(path))]
    repeat = first_repeat(tables)
    if repeat is not None:
        raise SummaryError(
            f"history files {repeat[0]} and {repeat[1]} are the same file given twice: its "
            "crimes would be counted twice. Give each month's file once"
        )
    frames = [_frame(data, name) for name, data in tables]
    overlap = first_overlap(  # (of the months read: later ones are left out below)
        [
            (name, {(m, f) for m, f in month_force_pairs(frame) if m < first})
            for (name, _), frame in zip(tables, frames)
        ]
    )
    if overlap is not None:
        raise SummaryError(f"history files {overlap_message(overlap)}")
    history = pd.concat(frames, ignore_index=True)
    earlier = history["Month"] < first
    kept = history[earlier.to_numpy()].reset_index(drop=True)
    months = sorted(set(kept["Month"]))
    notes = []
    if months:
        notes.append(
            f"History: {len(months)} published months ({months[0]} to {months[-1]}, "
            f"{len(kept):,} crimes) read for the trend from {len(frames)} file(s)."
        )
    else:
        notes.append(f"History: no published month before {first} in the history files.")
    dropped = sorted(set(history.loc[~earlier, "Month"]))
    if dropped:
        notes.append(
            f"History months from {first} on ({', '.join(dropped[:6])}"
            f"{' ...' if len(dropped) > 6 else ''}) are left out: the release is their source."
        )
    return kept, notes
