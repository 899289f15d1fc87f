"""Shared shapes for benchmark cases and targets (bench/run_bench.py and bench/cases_*.py).

Why a module of its own: each stage keeps its cases in its own file, and those files must not
import run_bench (it runs as __main__, so importing it again would build a second copy)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional


@dataclass(frozen=True)
class Case:
    """One measured stage. `setup` runs untimed in the child and returns a context object;
    `run(context, input_path, workdir)` is timed and returns a small dict of facts to report.
    `input_path` is the generated national month; a case that needs other inputs builds them
    (cached under bench/out/) in `setup`, where it is not timed."""

    key: str
    title: str
    setup: Callable[[], Any]
    run: Callable[[Any, Path, Path], dict]


@dataclass(frozen=True)
class Target:
    """A pass/fail criterion computed from the case summaries."""

    name: str
    limit: float
    unit: str
    value: Callable[[dict[str, dict]], float | None]  # None = cannot be evaluated


def median(key: str) -> Callable[[dict[str, dict]], float | None]:
    return lambda cases: cases.get(key, {}).get("median_s")


def ratio(num: str, den: str) -> Callable[[dict[str, dict]], float | None]:
    def value(cases: dict[str, dict]) -> float | None:
        a, b = median(num)(cases), median(den)(cases)
        return a / b if a is not None and b else None

    return value


def peak(keys: Sequence[str]) -> Callable[[dict[str, dict]], float | None]:
    """Largest peak resident memory (MB) over the named cases' runs."""

    def value(cases: dict[str, dict]) -> float | None:
        peaks = [cases[k]["peak_rss_mb"] for k in keys if cases.get(k, {}).get("runs")]
        return max(peaks) if peaks else None

    return value


#: The environment variable naming the folder every run's work and set-up folders are made
#: in, removed by run_bench once all its cases are done (the caller's own, if it set it).
RUNS_ENV = "CM_BENCH_RUNS"


def runs_folder() -> Optional[Path]:
    """The folder runs make their folders in (RUNS_ENV), None outside run_bench."""
    named = os.environ.get(RUNS_ENV)
    return Path(named) if named else None


def scratch_dir(prefix: str) -> Path:
    """A temporary folder for a case's set-up, removed with the bench's runs folder (else
    when the case's process ends).

    Set-ups that make a national release, web map or summaries folder outside the run's own
    work folder used to leave it behind: a few benchmark sessions filled the disk (60 GB).
    Why not removed at once: see run_bench.runs_folder_for_the_bench (a folder of thousands
    of files removed just before a run made that run's files slow to create).
    """
    import atexit
    import shutil
    import tempfile

    runs = runs_folder()
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=runs))
    if runs is None:
        atexit.register(shutil.rmtree, folder, True)
    return folder


def children_cpu() -> float:
    """User + system CPU seconds of this process's children that have been waited for (a
    case's forked readers and checks: their share of the work, beside the process's own).
    Children that answered and were still leaving are waited for first (forked.reap_left):
    until reaped, their CPU is counted nowhere."""
    import resource

    from crime_mapper.core.common import forked

    forked.reap_left()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
