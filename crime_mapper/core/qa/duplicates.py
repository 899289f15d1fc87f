"""Repeated batches: the same rows twice in one month's extract.

Why runs, not duplicates: police.uk months naturally hold rows that say the same thing (three
shoplifting crimes at one supermarket, same outcome), and a force extract can hold two crimes
with the same time and place. A batch exported twice is different: a stretch of consecutive
rows each repeating an earlier row at the same distance back in the file (or in an earlier
file), in the same order. So a row is *repeated* when its content (every column but its
reference and its place in the file) appeared earlier, and a *run* is a maximal stretch of
consecutive repeated rows whose earlier copies lie a constant number of lines back in one file.
Scattered natural duplicates make runs of one or two rows; a re-sent batch makes one long run.
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
    copy_of_file: str
    copy_of_first_line: int
    record_ids: list[int] = field(default_factory=list)


@dataclass
class RepeatRuns:
    longest: int
    rows_in_batches: int  # rows in runs of at least MIN_BATCH_ROWS
    repeated_rows: int  # every row whose content appeared earlier
    batches: list[Run]  # runs of at least MIN_BATCH_ROWS, longest first


def repeat_runs(crimes: pd.DataFrame, min_rows: int = MIN_BATCH_ROWS) -> RepeatRuns:
    """See the module docstring."""
    n = len(crimes)
    if n < 2:
        return RepeatRuns(0, 0, 0, [])
    file_codes, files = pd.factorize(crimes["source_file"].astype(object), sort=False)
    line = crimes["source_line"].to_numpy(dtype=np.int64)
    order = np.lexsort((line, file_codes))
    cols = content_columns(crimes)
    hashed = pd.util.hash_pandas_object(crimes[cols], index=False).to_numpy()[order]
    codes, _ = pd.factorize(hashed, sort=False)
    _, first_index = np.unique(codes, return_index=True)
    first = first_index[codes]  # sorted position of the first row with the same content
    pos = np.arange(n)
    repeated = first != pos
    f = file_codes[order]
    ln = line[order]
    delta = ln - ln[first]
    same_as_previous = np.zeros(n, dtype=bool)
    same_as_previous[1:] = (
        repeated[1:]
        & repeated[:-1]
        & (f[1:] == f[:-1])
        & (f[first[1:]] == f[first[:-1]])
        & (delta[1:] == delta[:-1])
    )
    starts = np.flatnonzero(repeated & ~same_as_previous)
    if starts.size == 0:
        return RepeatRuns(0, 0, 0, [])
    # run length: walk forward while same_as_previous holds
    run_id = np.cumsum(repeated & ~same_as_previous) - 1
    lengths = np.bincount(run_id[repeated], minlength=starts.size)
    big = np.flatnonzero(lengths >= min_rows)
    record = crimes["record_id"].to_numpy(dtype=np.int64)[order]
    batches = []
    for r in big[np.argsort(-lengths[big], kind="stable")]:
        s, length = int(starts[r]), int(lengths[r])
        e = s + length - 1
        batches.append(
            Run(
                file=str(files[f[s]]),
                first_line=int(ln[s]),
                last_line=int(ln[e]),
                rows=length,
                copy_of_file=str(files[f[first[s]]]),
                copy_of_first_line=int(ln[first[s]]),
                record_ids=[int(v) for v in record[s : e + 1]],
            )
        )
    return RepeatRuns(
        longest=int(lengths.max()),
        rows_in_batches=int(lengths[big].sum()),
        repeated_rows=int(repeated.sum()),
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
