"""Repeated batches: the same rows twice in one month's extract.

Why runs, not duplicates: police.uk months naturally hold rows that say the same thing (three
shoplifting crimes at one supermarket, same outcome), and a force extract can hold two crimes
with the same time and place. A batch exported twice is different: a stretch of consecutive
rows each repeating an earlier row at the same distance back in the file (or in an earlier
file), in the same order. So a row is *repeated* when its content (every column but its
reference and its place in the file) appeared earlier, and a *run* is a maximal stretch of
consecutive repeated rows whose earlier copies lie a constant number of lines back in one file.
Scattered natural duplicates make runs of one or two rows, and a stretch of identical rows
(which copies itself one line back) is not a run; a re-sent batch makes one long run.
References repeated within a load are already rejected by the loader (``duplicate_crime_id``);
``reference_blocks`` groups those rejects into stretches of consecutive lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .profile import MIN_BATCH_ROWS, content_columns


@dataclass
class Run:
    file: str
    first_line: int
    last_line: int
    rows: int
    different: int  # different rows among them (a batch is not one row many times)
    copy_of_file: str
    copy_of_first_line: int
    record_ids: list[int] = field(default_factory=list)


@dataclass
class RepeatRuns:
    longest: int  # different rows in the longest run
    rows_in_batches: int  # rows in runs of at least MIN_BATCH_ROWS
    repeated_rows: int  # every row whose content appeared earlier
    batches: list[Run]  # runs of at least MIN_BATCH_ROWS, longest first


# Each repeated row is paired with at most this many earlier rows of the same content (the
# nearest ones): enough for any real batch, bounded for a month of identical rows.
MAX_EARLIER = 50


def _pairs(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(later, earlier) sorted positions of rows with equal content code, each later row with
    up to MAX_EARLIER of the nearest earlier ones."""
    order = np.argsort(codes, kind="stable")  # by content, then position
    grouped = codes[order]
    start = np.r_[True, grouped[1:] != grouped[:-1]]
    group_start = np.maximum.accumulate(np.where(start, np.arange(codes.size), 0))
    rank = np.arange(codes.size) - group_start
    later, earlier = [], []
    for k in range(1, MAX_EARLIER + 1):
        rows = np.flatnonzero(rank >= k)
        if rows.size == 0:
            break
        later.append(order[rows])
        earlier.append(order[rows - k])
    if not later:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(later), np.concatenate(earlier)


def repeat_runs(crimes: pd.DataFrame, min_rows: int = MIN_BATCH_ROWS) -> RepeatRuns:
    """See the module docstring. A row whose content has several earlier copies may belong to
    a run through any of them (a natural duplicate between the batch and its copy must not
    break the run), so runs are found over (row, earlier copy) pairs: consecutive rows whose
    earlier copies lie the same number of lines back in the same file."""
    n = len(crimes)
    if n < 2:
        return RepeatRuns(0, 0, 0, [])
    file_codes, files = pd.factorize(crimes["source_file"].astype(object), sort=False)
    line = crimes["source_line"].to_numpy(dtype=np.int64)
    order = np.lexsort((line, file_codes))
    cols = content_columns(crimes)
    hashed = pd.util.hash_pandas_object(crimes[cols], index=False).to_numpy()[order]
    codes, _ = pd.factorize(hashed, sort=False)
    later, earlier = _pairs(codes)
    repeated_rows = int(np.unique(later).size)
    if later.size == 0:
        return RepeatRuns(0, 0, 0, [])
    f = file_codes[order]
    ln = line[order]
    delta = ln[later] - ln[earlier]
    # one sort on a composite key: (file of the row, file of its copy, lines back, position)
    n_files = int(f.max()) + 1
    lines = int(np.abs(ln).max()) + 1  # |delta| < lines
    composite = (f[later].astype(np.int64) * n_files + f[earlier]) * (2 * lines) + (delta + lines)
    key = np.argsort(composite * n + later, kind="stable")
    later, earlier, delta = later[key], earlier[key], delta[key]
    fl, fe = f[later], f[earlier]
    cont = np.zeros(later.size, dtype=bool)
    cont[1:] = (
        (fl[1:] == fl[:-1])
        & (fe[1:] == fe[:-1])
        & (delta[1:] == delta[:-1])
        & (later[1:] == later[:-1] + 1)
    )
    run_id = np.cumsum(~cont) - 1
    lengths = np.bincount(run_id)
    starts = np.flatnonzero(~cont)
    # a stretch of identical rows (twenty "no location" rows alike) repeats itself one line
    # back: a copy must lie wholly before the stretch it copies
    span = ln[later[starts + lengths - 1]] - ln[later[starts]]
    same_file = fl[starts] == fe[starts]
    lengths = np.where(same_file & (delta[starts] <= span), 1, lengths)
    run_rows = lengths.copy()
    # a run's size is the number of different rows in it: inside a long stretch of identical
    # rows every row "repeats" one k lines back, which copies nothing
    big = np.flatnonzero(lengths >= min_rows)
    distinct = np.ones(lengths.size, dtype=np.int64)
    for r in big:
        s = int(starts[r])
        distinct[r] = np.unique(codes[later[s] : later[s] + lengths[r]]).size
    lengths = np.where(lengths >= min_rows, distinct, lengths)
    record = crimes["record_id"].to_numpy(dtype=np.int64)[order]
    taken = np.zeros(n, dtype=bool)
    batches = []
    for r in np.argsort(-lengths, kind="stable"):
        if lengths[r] < min_rows:
            break
        s = int(starts[r])
        length = int(run_rows[r])
        first, last = int(later[s]), int(later[s]) + length - 1
        if taken[first : last + 1].any():  # the same stretch through another copy
            continue
        taken[first : last + 1] = True
        batches.append(
            Run(
                file=str(files[f[first]]),
                first_line=int(ln[first]),
                last_line=int(ln[last]),
                rows=length,
                different=int(lengths[r]),
                copy_of_file=str(files[f[earlier[s]]]),
                copy_of_first_line=int(ln[earlier[s]]),
                record_ids=[int(v) for v in record[first : last + 1]],
            )
        )
    return RepeatRuns(
        longest=int(lengths.max()),
        rows_in_batches=int(sum(b.rows for b in batches)),
        repeated_rows=repeated_rows,
        batches=batches,
    )


@dataclass
class ReferenceBlock:
    file: str
    first_line: int
    last_line: int
    rows: int


def reference_blocks(rejects: pd.DataFrame) -> list[ReferenceBlock]:
    """Rejected ``duplicate_crime_id`` rows grouped into stretches of consecutive lines
    (blank lines between them allowed), largest first."""
    if rejects is None or not len(rejects):
        return []
    dup = rejects.loc[rejects["reason"] == "duplicate_crime_id", ["source_file", "source_line"]]
    blocks: list[ReferenceBlock] = []
    for name, group in dup.groupby("source_file", sort=True):
        lines = np.sort(group["source_line"].to_numpy(dtype=np.int64))
        breaks = np.flatnonzero(np.diff(lines) > 2) + 1
        for part in np.split(lines, breaks):
            blocks.append(ReferenceBlock(str(name), int(part[0]), int(part[-1]), int(part.size)))
    blocks.sort(key=lambda b: (-b.rows, b.file, b.first_line))
    return blocks
