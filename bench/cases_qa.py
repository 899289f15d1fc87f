"""Benchmark cases for the release QA (registered by bench/run_bench.py).

Inputs (built untimed, cached under bench/out/):
- this month: the harness's generated national CSV (500,000 crimes), loaded in setup (the
  loader is benchmarked by the load cases);
- twelve months of history: resampled from that month (rows drawn with replacement, 85% to
  115% of its size, each month with its own seed, so areas and labels recur as they do month
  to month), reduced to month profiles and saved as bench/out/qa_history_national.json: the
  file a force keeps beside its releases and gives to ``cli qa --history``.

What is timed (each case in a fresh process, once per repeat):
- q_qa_national: read the 12-month history file, run_release_qa on the loaded month (its
  profile, every check: categories, about 35,000 areas, labels, cells, repeated runs, days,
  hours), write qa_report.json and qa_report.html: the QA report the issue's target is for;
- q_qa_national_with_load: the same from the CSV (load_extracts included), as ``cli qa``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.harness import Case, Target, median

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
HISTORY = OUT / "qa_history_national.json"
SEED = 1612


def _month_before(month: str, k: int) -> str:
    year, mon = (int(p) for p in month.split("-"))
    index = year * 12 + (mon - 1) - k
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _load(path: Path) -> Any:
    from crime_mapper.core.load.loader import load_extracts

    return load_extracts([str(path)])


def ensure_history(load: Any) -> Path:
    """The cached 12-month history of profiles for the national month (made once)."""
    import numpy as np

    from crime_mapper.core.qa.profile import build_profile, month_of, profiles_json

    if HISTORY.exists():
        return HISTORY
    crimes = load.crimes
    month = month_of(crimes)
    rng = np.random.default_rng(SEED)
    profiles = []
    for k in range(12, 0, -1):
        size = int(len(crimes) * rng.uniform(0.85, 1.15))
        rows = crimes.iloc[np.sort(rng.integers(0, len(crimes), size))].reset_index(drop=True)
        hist_month = _month_before(month, k)
        rows["month"] = hist_month
        rows["source_line"] = np.arange(2, len(rows) + 2)
        rows["record_id"] = np.arange(1, len(rows) + 1)
        profiles.append(build_profile(rows, hist_month))
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = HISTORY.with_suffix(".tmp")
    tmp.write_text(profiles_json(profiles), encoding="utf-8")
    tmp.replace(HISTORY)
    return HISTORY


def _setup_loaded() -> Any:
    from bench import generate_national_month as gen

    load = _load(gen.default_path())
    ensure_history(load)
    import scipy.stats  # noqa: F401 - imported before the timer: imports are not the QA's time

    import crime_mapper.core.qa.report  # noqa: F401 - imports are not the QA's time

    return load


def _run_qa(load: Any, input_path: Path, workdir: Path) -> dict:
    from crime_mapper.core.qa.profile import read_profiles_json
    from crime_mapper.core.qa.report import run_release_qa, write_report

    history = read_profiles_json(HISTORY.read_text(encoding="utf-8"))
    report = run_release_qa(load.crimes, history, rejects=load.rejects)
    write_report(report, workdir)
    return {
        "rows": report.rows,
        "history_months": len(report.history_months),
        "areas": len(report.profile.by_area) if report.profile else 0,
        "findings": report.counts(),
    }


def _setup_plain() -> Any:
    from bench import generate_national_month as gen

    if not HISTORY.exists():
        ensure_history(_load(gen.default_path()))
    import scipy.stats  # noqa: F401 - imported before the timer: imports are not the QA's time

    import crime_mapper.core.load.loader  # noqa: F401 - likewise
    import crime_mapper.core.qa.report  # noqa: F401 - likewise

    return None


def _run_qa_with_load(_: Any, input_path: Path, workdir: Path) -> dict:
    return _run_qa(_load(input_path), input_path, workdir)


CASES = [
    Case("q_qa_national", "release QA, national month vs 12-month history (loaded month)",
         _setup_loaded, _run_qa),
    Case("q_qa_national_with_load", "release QA from the CSV (load + QA, as cli qa)",
         _setup_plain, _run_qa_with_load),
]  # fmt: skip

TARGETS = [
    Target("release QA report, national month vs 12 months", 5.0, "s", median("q_qa_national")),
]
