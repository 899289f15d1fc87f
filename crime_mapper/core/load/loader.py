"""Load extracts into the canonical crimes table, accounting for every row.

The one implementation behind the dock, the Processing algorithm and the command line: expand
the inputs, recognise each file by its header, read and validate it, then join outcomes onto
street crimes and reject duplicate Crime IDs across the whole load. Every input row ends up
accepted or rejected with a reason, per file, and the counts reconcile.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import zipfile
import zlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Callable, Optional, Union

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype, union_categoricals

from ..common import background
from ..common.feedback import Feedback
from ..common.schema import (
    CRIME_COLUMNS,
    CRIME_TYPE_DTYPE,
    OUTCOME_DTYPE,
    REJECT_COLUMNS,
    STOP_SEARCH_COLUMNS,
    FileReport,
    LoadResult,
)
from ..common.text_file import shown_line
from .mapping_profile import MappingProfile, header_name
from .readers import (
    FORCE_SORTED_CATEGORICALS,
    EarlyTransform,
    FileRead,
    classify,
    read_force,
    read_outcomes,
    read_stop_search,
    read_street,
    scan_rejects,
)
from .row_checks import shown_cell, strip_text
from .sources import SourceFile, expand_inputs
from .textscan import NotCsvError, guess_delimiter, open_csv, scan_body

EXPECTED = (
    "a police.uk street, outcomes or stop-and-search CSV (header starting "
    "'Crime ID,Month,...' or 'Type,Date,...'), or a force extract whose columns match "
    "the mapping profile"
)


def _read_one(
    source: SourceFile,
    profile: Optional[MappingProfile],
    report: FileReport,
    release_month: Optional[str] = None,
) -> Optional[FileRead]:
    """One file, read and checked. Whatever is wrong with the file becomes its report's
    error or its rejected rows; nothing about one file can end the load of the others.

    An error is one line, shown (core.common.text_file.shown_line): it names the file and
    may quote its header, and a file named with a newline or an ESC sequence started a
    line of its own in the report and the log, or rewrote the terminal."""
    try:
        return _read_checked(source, profile, report, release_month)
    except Exception as exc:  # noqa: BLE001 - a defect, not bad input: reported, load goes on
        report.error = shown_line(
            f"{source.name}: could not be read because of an unexpected error "
            f"({type(exc).__name__}: {exc}); please report this with the file"
        )
        report.kind = None
        report.rows_read = 0
        return None


def _read_checked(
    source: SourceFile,
    profile: Optional[MappingProfile],
    report: FileReport,
    release_month: Optional[str] = None,
) -> Optional[FileRead]:
    try:
        data = source.read_bytes()
    except (OSError, zipfile.BadZipFile, zlib.error) as exc:
        report.error = shown_line(f"{source.name}: cannot be read ({exc})")
        return None
    report.bytes = len(data)
    # the SHA-256 of what was read, as it was read (a release manifest records it): hashed
    # in a thread while the file is parsed, since hashlib lets go of the GIL
    digest = _hash_in_background(data)
    try:
        return _read_data(source, data, profile, report, release_month)
    finally:
        report.sha256 = digest()


def _hash_in_background(data: bytes) -> Callable[[], str]:
    return background.beside(lambda: hashlib.sha256(data).hexdigest(), "sha256")


def _read_data(
    source: SourceFile,
    data: bytes,
    profile: Optional[MappingProfile],
    report: FileReport,
    release_month: Optional[str] = None,
) -> Optional[FileRead]:
    try:
        head = open_csv(
            data,
            encoding=profile.encoding if profile else None,
            delimiter=guess_delimiter(data, profile.delimiter if profile else None),
        )
    except NotCsvError as exc:
        report.error = shown_line(
            f"{source.name}: not a crime extract ({exc}); expected {EXPECTED}"
        )
        return None
    del data
    kind = classify(head.header, profile)  # from the first line alone: no row parsed yet
    if kind is None:
        shown = ", ".join(head.header[:8]) + (", ..." if len(head.header) > 8 else "")
        report.error = shown_line(
            f"{source.name}: not a crime extract; expected {EXPECTED}. Its columns are: {shown}"
        )
        return None
    gap = _profile_gap(head.header, profile) if kind == "force" else None
    if gap is not None:
        report.error = shown_line(f"{source.name}: {gap}")
        return None
    plain = _coordinate_columns(head.header, profile) if kind == "force" else ()
    references = _reference_column(head.header, profile) if kind == "force" else ()
    early = None
    if len(plain) == 2:  # the transform starts beside the rows' checks (see EarlyTransform)
        early = EarlyTransform(*plain, (profile or MappingProfile()).crs)
    try:
        scan = scan_body(
            head,
            numeric=("Longitude", "Latitude"),
            plain_numeric=plain,
            on_numbers=early.start if early is not None else None,
            trimmed=references,
        )
    except NotCsvError as exc:
        report.error = shown_line(
            f"{source.name}: not a crime extract ({exc}); expected {EXPECTED}"
        )
        return None
    first_line_header = head.header
    del head
    if scan.header != first_line_header:
        kind = classify(scan.header, profile)  # a header with a quoted line break
        if kind is None:
            report.error = shown_line(f"{source.name}: not a crime extract; expected {EXPECTED}")
            return None
        gap = _profile_gap(scan.header, profile) if kind == "force" else None
        if gap is not None:
            report.error = shown_line(f"{source.name}: {gap}")
            return None
    report.kind = kind
    report.encoding = scan.encoding
    report.rows_read = scan.rows_read
    report.blank_lines = scan.blank_lines
    if kind == "street":
        read = read_street(source, scan, release_month)
    elif kind == "outcomes":
        read = read_outcomes(source, scan, release_month)
    elif kind == "stop_and_search":
        read = read_stop_search(source, scan, release_month)
    else:
        try:
            read = read_force(source, scan, profile or MappingProfile(), early, release_month)
        except ValueError as exc:
            report.error = shown_line(f"{source.name}: {exc}")
            report.rows_read = 0
            return None
    read.rejects = scan_rejects(source, scan, kind) + read.rejects
    report.notes.extend(read.notes)
    return read


def _profile_gap(header: list[str], profile: Optional[MappingProfile]) -> Optional[str]:
    """What the analyst's mapping profile names that the header lacks (None: nothing). A
    force extract is read with the profile it is given or not at all: reading it with an
    auto-detected mapping instead would quietly change what each column means."""
    if profile is None or not profile.columns or profile.matches(header):
        return None
    missing = [
        f"{col!r} ({role})"
        for role, col in profile.columns.items()
        if header_name(col, header) is None
    ]
    shown = ", ".join(header[:12]) + (", ..." if len(header) > 12 else "")
    return (
        f"the mapping profile's column(s) {', '.join(missing)} are not in its header (or are "
        f"there twice, in another case or spacing); its columns are: {shown}"
    )


def _coordinate_columns(header: list[str], profile: Optional[MappingProfile]) -> tuple[str, ...]:
    """The force extract's x and y columns, for the scan to parse as numbers when every value
    in them is a plain decimal or blank. From the header alone: read_force resolves the
    profile again with a sample of rows, but the values only ever move the category and
    offence roles, never x and y (a column of plain numbers holds no category names)."""
    columns = (profile or MappingProfile()).resolved_for(header).columns
    return tuple(dict.fromkeys(columns[role] for role in ("x", "y") if role in columns))


def _reference_column(header: list[str], profile: Optional[MappingProfile]) -> tuple[str, ...]:
    """The force extract's crime reference column, for the scan to say whether every value
    in it is non-empty and unpadded (textscan.ScannedCsv.trimmed), from the header alone.
    Only the speed depends on it: read_force asks the scan about the column it resolves."""
    column = (profile or MappingProfile()).resolved_for(header).columns.get("crime_ref")
    return (column,) if column else ()


def load_extracts(
    paths: Sequence[Union[str, os.PathLike[str]]],
    profile: Optional[MappingProfile] = None,
    feedback: Optional[Feedback] = None,
    release_month: Optional[str] = None,
) -> LoadResult:
    """Read, validate and combine extracts. See the module docstring.

    ``release_month`` (YYYY-MM): the month of the monthly release the extracts are loaded
    for. A crime, outcome or stop-and-search row of another month is then rejected as
    month_mismatch naming it, as a row of a month other than its file name's is: a force
    extract saved without a month in its name published every month it held, the release
    named 2022-09_2022-11 for October. (An outcome row's month is the outcome's: one of a
    later month gave an October crime an outcome October had not reached.)"""
    feedback = feedback or Feedback()
    sources = expand_inputs(paths)
    reports: list[FileReport] = []
    crimes_parts: list[pd.DataFrame] = []
    force_parts: list[bool] = []  # per crimes part: from a force extract
    outcome_parts: list[tuple[FileReport, pd.DataFrame]] = []
    stop_parts: list[pd.DataFrame] = []
    rejects: list[dict] = []
    sources_by_name = {s.name: s for s in sources}
    id_cells: dict[str, tuple[str, int]] = {}  # files whose crime_id is not the cell as written

    for number, source in enumerate(sources):
        feedback.check()
        feedback.set_progress(90.0 * number / max(len(sources), 1))
        report = FileReport(path=source.name, kind=None)
        reports.append(report)
        read = _read_one(source, profile, report, release_month)
        if read is None:
            continue
        rejects.extend(read.rejects)
        if read.id_cell is not None:
            id_cells[source.name] = read.id_cell
        if read.kind in ("street", "force"):
            crimes_parts.append(read.accepted)
            force_parts.append(read.kind == "force")
        elif read.kind == "outcomes":
            outcome_parts.append((report, read.accepted))
        else:
            stop_parts.append(read.accepted)

    feedback.check()
    crimes = _combine_crimes(crimes_parts, force_parts)
    crimes, duplicates = _reject_duplicates(crimes, sources_by_name, reports, id_cells)
    if duplicates and force_parts == [True]:
        # the force reader's categories were those of its accepted rows; the canonical
        # types would have taken them from the rows kept (see readers.sorted_categorical)
        crimes = _without_unused_categories(crimes, FORCE_SORTED_CATEGORICALS)
    rejects.extend(duplicates)
    _join_outcomes(crimes, outcome_parts)
    crimes = _canonical_types(crimes)
    stop_search = _canonical_stop_search(stop_parts)
    rejects_frame = pd.DataFrame(rejects, columns=list(REJECT_COLUMNS))
    _count(reports, crimes, outcome_parts, stop_search, rejects_frame)
    feedback.set_progress(100.0)
    return LoadResult(
        crimes=crimes,
        rejects=rejects_frame,
        stop_search=stop_search,
        files=reports,
        profile_name=profile.name if profile else None,
    )


def _combine_crimes(parts: list[pd.DataFrame], force: Sequence[bool] = ()) -> pd.DataFrame:
    """Stack the files' rows. Categorical columns are unioned (pandas' concat would turn
    categoricals with different categories back into slow object columns).

    A force extract's reader gives some columns as categoricals with sorted categories
    (FORCE_SORTED_CATEGORICALS): alone, they are what the canonical types make of them;
    among other files (`force` marks its parts) they are stacked as the object columns they
    stand for, so the combined column's categories are sorted as they always were, not
    unioned in order of appearance."""
    if not parts:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in CRIME_COLUMNS})
    if len(parts) == 1:
        return _with_default_index(parts[0])
    parts = [
        _as_objects(part, FORCE_SORTED_CATEGORICALS) if is_force else part
        for part, is_force in zip(parts, list(force) + [False] * len(parts))
    ]
    columns = list(dict.fromkeys(c for part in parts for c in part.columns))
    combined = {}
    for column in columns:
        pieces = [
            part[column] if column in part else pd.Series([""] * len(part), dtype=object)
            for part in parts
        ]
        if all(isinstance(p.dtype, pd.CategoricalDtype) for p in pieces):
            combined[column] = union_categoricals(pieces, ignore_order=True)
        else:
            combined[column] = pd.concat(
                [
                    p.astype(object) if isinstance(p.dtype, pd.CategoricalDtype) else p
                    for p in pieces
                ],
                ignore_index=True,
            )
    return pd.DataFrame(combined)


def _as_objects(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """`frame` with its categorical `columns` as object columns."""
    changed = {
        c: frame[c].astype(object)
        for c in columns
        if c in frame and isinstance(frame[c].dtype, pd.CategoricalDtype)
    }
    return frame.assign(**changed) if changed else frame


def _without_unused_categories(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    changed = {
        c: frame[c].cat.remove_unused_categories()
        for c in columns
        if c in frame and isinstance(frame[c].dtype, pd.CategoricalDtype)
    }
    return frame.assign(**changed) if changed else frame


def crime_id_keys(ids: pd.Series) -> pd.Series:
    """Each Crime ID as the load compares it to tell one crime from another: without the
    spaces around it and in lower case ("" for a blank or all-space ID: no crime's key).

    Why: police.uk Crime IDs are 64 hex digits, which a spreadsheet or another system may
    write in capitals, and a force's own references ("LE/22/012345") are typed by people,
    in either case and with a space pasted on; read as written, one crime given twice that
    way was two crimes, counted and published twice, while its exact repeat was rejected.
    The key is for comparing only: the ID is kept as published. No case or space tells two
    real crimes apart (hex digits are case-free; a records system's references are not told
    apart by case). One C-speed pass decides there is nothing to change (the common case:
    half a million lowercase hashes), and the column is then used as it is."""
    keys = strip_text(ids)
    try:
        joined = "\x00".join(keys.tolist())
    except TypeError:  # (a value that is not text: lower-cased as str)
        return keys.astype(str).str.lower()
    return keys if joined.lower() == joined else keys.str.lower()


def _reject_duplicates(
    crimes: pd.DataFrame,
    sources: dict[str, SourceFile],
    reports: list[FileReport],
    id_cells: Optional[dict[str, tuple[str, int]]] = None,
) -> tuple[pd.DataFrame, list[dict]]:
    """Keep the first row of each Crime ID; later rows are rejected, with their raw line.
    IDs are compared as crime_id_keys gives them: "ABC1 " repeats "abc1", and the detail
    then says how the first was written. `id_cells`: per file whose crime_id was stripped
    (FileRead.id_cell), where the rejected row's cell is, so the detail quotes it as
    written."""
    if crimes.empty:
        return crimes, []
    keys = crime_id_keys(crimes["crime_id"])
    given = (keys != "").to_numpy()
    dup = keys.duplicated(keep="first").to_numpy() & given
    if not dup.any():
        return crimes, []
    first = ~dup & given
    where = dict(
        zip(
            keys[first],
            zip(
                crimes["crime_id"][first],
                crimes["source_file"][first].astype(str)
                + ":"
                + crimes["source_line"][first].astype(str),
            ),
        )
    )
    dups = crimes.loc[dup, ["source_file", "source_line", "crime_id"]].assign(key=keys[dup])
    encodings = {r.path: r.encoding for r in reports}
    kinds = {r.path: r.kind for r in reports}
    raw = _raw_lines(dups, sources, encodings)
    rows = [
        {
            "source_file": f,
            "source_line": int(line),
            "file_kind": kinds.get(f),
            "reason": "duplicate_crime_id",
            "detail": _duplicate_detail(
                _as_written(cid, raw.get((f, int(line))), (id_cells or {}).get(f)),
                *where[key],
            ),
            "raw": raw.get((f, int(line)), ""),
        }
        for f, line, cid, key in dups.itertuples(index=False)
    ]
    return crimes.loc[~dup].reset_index(drop=True), rows


def _as_written(cid: str, raw: Optional[str], where: Optional[tuple[str, int]]) -> str:
    """A rejected row's Crime ID cell as its line writes it: `cid` (the crime_id the reader
    kept), or, where the reader stripped it (`where`: delimiter and field index), the cell
    split again from the line, when that line splits into a cell of the same ID."""
    if raw is None or where is None:
        return cid
    delimiter, place = where
    fields = next(csv.reader(io.StringIO(raw, newline=""), delimiter=delimiter), [])
    cell = fields[place] if place < len(fields) else None
    return cell if cell is not None and cell.strip() == cid else cid


def _duplicate_detail(cid: str, first_id: str, first_at: str) -> str:
    """The reject's detail: where the crime was first seen, and as what when it was written
    otherwise (so the analyst sees why two spellings are one crime). IDs are quoted as
    every reject's cells are (row_checks.shown_cell)."""
    if cid == first_id:
        return f"Crime ID {shown_cell(cid)} first seen at {first_at}"
    return (
        f"Crime ID {shown_cell(cid)} first seen at {first_at} as {shown_cell(first_id)} "
        "(Crime IDs are compared without case or surrounding spaces)"
    )


def _raw_lines(
    rows: pd.DataFrame, sources: dict[str, SourceFile], encodings: dict[str, Optional[str]]
) -> dict[tuple[str, int], str]:
    """The physical lines named by (source_file, source_line), read again from the sources."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for name, line in zip(rows["source_file"], rows["source_line"]):
        wanted[name].add(int(line))
    found: dict[tuple[str, int], str] = {}
    for name, lines in wanted.items():
        data = sources[name].read_bytes()
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        codec = encodings.get(name) or "utf-8"
        for number, raw in enumerate(data.split(b"\n"), start=1):
            if number in lines:
                found[(name, number)] = raw.rstrip(b"\r").decode(codec, "backslashreplace")
    return found


def _join_outcomes(crimes: pd.DataFrame, parts: list[tuple[FileReport, pd.DataFrame]]) -> None:
    """The latest outcome (by month) of each Crime ID replaces the street file's outcome.
    An outcome is a crime's when their IDs' crime_id_keys are one (as duplicates are told)."""
    if not parts or crimes.empty:
        for report, frame in parts:
            report.notes.append(f"{len(frame)} outcomes matched no loaded crime")
        return
    frames = []
    for number, (_, frame) in enumerate(parts):
        frames.append(frame.assign(part=number))
    outcomes = pd.concat(frames, ignore_index=True)
    latest = (
        outcomes.assign(key=crime_id_keys(outcomes["crime_id"]))
        .sort_values(["month", "part", "source_line"], kind="stable")
        .drop_duplicates("key", keep="last")
        .set_index("key")
    )
    keys = crime_id_keys(crimes["crime_id"])
    position = latest.index.get_indexer(keys)
    matched = (position >= 0) & (keys != "").to_numpy()
    newer = matched.copy()
    month_now = crimes["last_outcome_month"].to_numpy(dtype=object)
    newer_idx = np.flatnonzero(matched)
    out_month = latest["month"].to_numpy()[position[newer_idx]]
    for k, i in enumerate(newer_idx):  # keep a street outcome that is later than the file's
        current = month_now[i]
        if isinstance(current, str) and current > out_month[k]:
            newer[i] = False
    idx = np.flatnonzero(newer)
    if idx.size:  # outcome months may be later than any street month: widen the column
        crimes["last_outcome_month"] = crimes["last_outcome_month"].astype(object)
    crimes.loc[idx, "last_outcome"] = latest["outcome"].to_numpy()[position[idx]]
    crimes.loc[idx, "last_outcome_month"] = latest["month"].to_numpy()[position[idx]]
    used = Counter(latest["part"].to_numpy()[position[idx]].tolist())
    matched_ids = set(keys.to_numpy()[matched])
    for number, (report, frame) in enumerate(parts):
        report.outcomes_joined = used.get(number, 0)
        in_load = int(crime_id_keys(frame["crime_id"]).isin(matched_ids).sum())
        report.notes.append(
            f"{in_load} outcomes refer to loaded crimes ({report.outcomes_joined} applied as "
            f"the latest, {in_load - report.outcomes_joined} superseded by a later outcome); "
            f"{len(frame) - in_load} refer to crimes not in this load"
        )


def _with_default_index(frame):
    """`frame` (a DataFrame or Series) indexed 0..n-1: itself when it already is, since
    ``reset_index(drop=True)`` copies every column (half a million rows each)."""
    index = frame.index
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return frame
    return frame.reset_index(drop=True)


def _canonical_types(crimes: pd.DataFrame) -> pd.DataFrame:
    """Give the combined table the documented column order and dtypes."""
    n = len(crimes)
    out: dict[str, object] = {}  # one DataFrame construction at the end: no block merging
    for column, (dtype, _, _) in CRIME_COLUMNS.items():
        if column == "record_id":
            out[column] = np.arange(1, n + 1, dtype=np.int64)
            continue
        values = crimes[column] if column in crimes else pd.Series([None] * n)
        values = _with_default_index(values)
        if column == "crime_type":
            out[column] = pd.Categorical(values, dtype=CRIME_TYPE_DTYPE)
        elif column == "last_outcome":
            out[column] = pd.Categorical(values, dtype=OUTCOME_DTYPE)
        elif dtype == "category":
            out[column] = values.astype("category")
        elif dtype == "datetime64[ns]":
            out[column] = pd.to_datetime(values)
        elif dtype == "str":
            out[column] = values if _no_missing_text(values) else values.fillna("").astype(object)
        else:
            out[column] = values.astype(dtype)
    for column in crimes.columns:
        if column not in CRIME_COLUMNS:
            values = _with_default_index(crimes[column])
            out[column] = values if _all_str(values) else values.fillna("").astype(object)
    return pd.DataFrame(out, index=pd.RangeIndex(n))


def _all_str(values: pd.Series) -> bool:
    """Whether every value of a column is a str (so none is missing): one C pass of type
    checks, where ``hasnans`` on an object column costs three times as much."""
    return (
        values.dtype == object and len(values) > 0 and infer_dtype(values, skipna=False) == "string"
    )


def _no_missing_text(values: pd.Series) -> bool:
    return _all_str(values) or (values.dtype == object and not values.hasnans)


def _canonical_stop_search(parts: list[pd.DataFrame]) -> pd.DataFrame:
    frame = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(
            {c: pd.Series([], dtype=object) for c in STOP_SEARCH_COLUMNS if c != "record_id"}
        )
    )
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    for column, (dtype, _) in STOP_SEARCH_COLUMNS.items():
        if column == "record_id":
            out[column] = np.arange(1, len(frame) + 1, dtype=np.int64)
        elif dtype == "str":
            out[column] = frame[column].fillna("").astype(object)
        elif dtype == "datetime64[ns]":
            out[column] = pd.to_datetime(frame[column])
        else:
            out[column] = frame[column].astype(dtype)
    return out


def _count(
    reports: list[FileReport],
    crimes: pd.DataFrame,
    outcome_parts: list[tuple[FileReport, pd.DataFrame]],
    stop_search: pd.DataFrame,
    rejects: pd.DataFrame,
) -> None:
    """Fill per-file accepted / no-location / rejected counts from the final tables."""

    def per_file(frame: pd.DataFrame, rows=slice(None)) -> dict[str, int]:
        if not len(frame):
            return {}
        counts = frame.loc[rows, "source_file"].value_counts(sort=False)
        return {str(k): int(v) for k, v in counts.items() if v}

    accepted = per_file(crimes)
    no_loc = per_file(crimes, ~crimes["has_location"]) if len(crimes) else {}
    accepted.update(per_file(stop_search))
    if len(stop_search):
        no_loc.update(per_file(stop_search, ~stop_search["has_location"]))
    for report, frame in outcome_parts:
        accepted[report.path] = len(frame)
    by_file: dict[str, dict[str, int]] = defaultdict(dict)
    if len(rejects):
        for (name, reason), count in rejects.groupby(["source_file", "reason"]).size().items():
            by_file[name][reason] = int(count)
    for report in reports:
        report.accepted = int(accepted.get(report.path, 0))
        report.no_location = int(no_loc.get(report.path, 0))
        report.rejected = dict(sorted(by_file.get(report.path, {}).items()))
