"""Benchmark harness: median time and peak memory of the load pipeline at national scale.

Why this shape: the speed targets in issue 2 compare stages of one pipeline on one national
month, so every case reads the same generated file, and every measured run happens in a fresh
Python process so that one case's caches, imports and memory do not flatter the next. A run's
time is the wall-clock time of the measured work only (imports and QgsApplication start-up,
which a running QGIS has already paid, are done before the clock starts); its memory is the
process's peak resident set size (getrusage ru_maxrss, imports included: that is what the
machine must hold).

Cases are a list (CASES) so later issues can add snapping, anonymising, hotspots... as one
entry each; targets are a list too (TARGETS), each evaluated from the case medians.

Usage (from the repository root):
    /usr/bin/python3 -m bench.run_bench [--repeats N] [--cases a_read_csv,b_load_extracts]
                                         [--rows 500000] [--regenerate] [--strict]
BENCH_REPEATS sets the default number of runs per case (5). Results: a table on stdout and
bench/out/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (  # noqa: E402
    RUNS_ENV,
    Case,
    Target,
    median,
    peak,
    ratio,
    runs_folder,
)

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "bench" / "out"
RESULTS = OUT_DIR / "results.json"
MB = 1024 * 1024


# --- the cases (each runs inside a child process) --------------------------------------------


def _setup_pandas() -> Any:
    import pandas as pd

    return pd


def _run_read_csv(pd: Any, path: Path, workdir: Path) -> dict:
    frame = pd.read_csv(path)  # default options: the baseline a pandas user would write
    return {"rows": int(len(frame))}


def _setup_loader() -> Any:
    from crime_mapper.core.load import loader

    return loader


def _run_load_extracts(loader: Any, path: Path, workdir: Path) -> dict:
    result = loader.load_extracts([path])
    return {"accepted": int(len(result.crimes)), "rejected": int(len(result.rejects))}


def _setup_qgis() -> Any:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import QgsApplication

    QgsApplication.setPrefixPath(os.environ.get("QGIS_PREFIX_PATH", "/usr"), True)
    app = QgsApplication([], False)
    app.initQgis()
    from crime_mapper.qgis_bridge.layers import crimes_layer
    from crime_mapper.qgis_bridge.run_load import run_load

    return {"app": app, "run_load": run_load, "crimes_layer": crimes_layer}


def _run_full_load(ctx: Any, path: Path, workdir: Path) -> dict:
    """The dock's whole job: run_load (read, validate, GeoPackage, style stored in it) and
    the crimes layer as the plugin adds it, which must come up with its categorized style."""
    from qgis.core import QgsCategorizedSymbolRenderer

    outputs = ctx["run_load"]([str(path)], str(workdir))
    layer = ctx["crimes_layer"](outputs.gpkg)
    if not layer.isValid():
        raise RuntimeError("the crimes layer is not valid")
    if not isinstance(layer.renderer(), QgsCategorizedSymbolRenderer):
        raise RuntimeError("the crimes layer is not styled by crime type")
    facts = {"features": int(layer.featureCount()), "renderer": layer.renderer().type()}
    facts.update({f"run_load_{k}_s": round(v, 3) for k, v in outputs.timings.items()})
    return facts


CASES: list[Case] = [
    Case("a_read_csv", "(a) bare pandas.read_csv (baseline)", _setup_pandas, _run_read_csv),
    Case("b_load_extracts", "(b) read + validate: core.load.loader.load_extracts", _setup_loader,
         _run_load_extracts),
    Case("c_load_to_layer", "(c) read + validate + GeoPackage + styled layer: "
         "qgis_bridge.run_load", _setup_qgis, _run_full_load),
]  # fmt: skip


# --- targets ----------------------------------------------------------------------------------


TARGETS: list[Target] = [
    Target("read + validate time / bare read_csv time (b)/(a)", 2.0, "x",
           ratio("b_load_extracts", "a_read_csv")),
    Target("whole load to a styled layer (c), median", 10.0, "s", median("c_load_to_layer")),
    Target("peak memory of any pipeline case (b, c)", 1536.0, "MB",
           peak(["b_load_extracts", "c_load_to_layer"])),
]  # fmt: skip


def _register_stage_modules() -> None:
    """Later stages keep their cases and targets in their own modules (bench/cases_*.py, each
    with CASES and TARGETS lists) so that one stage's benchmark can change without touching
    another's; they are appended here in a fixed order."""
    import importlib

    for name in STAGE_MODULES:
        module = importlib.import_module(f"bench.{name}")
        CASES.extend(module.CASES)
        TARGETS.extend(module.TARGETS)


STAGE_MODULES = (
    "cases_anonymise",
    "cases_hotspots",
    "cases_leak_gate",
    "cases_end_to_end",
    "cases_qa",
    "cases_summaries",
    "cases_webmap",
    "cases_dock",
)
_register_stage_modules()
CASE_BY_KEY = {c.key: c for c in CASES}


# --- child process ----------------------------------------------------------------------------


def child(key: str, input_path: Path) -> None:
    """Run one case once and print a JSON line: seconds, peak RSS and the case's facts."""
    case = CASE_BY_KEY[key]
    ctx = case.setup()
    runs = runs_folder()
    if runs is not None:  # (left for the parent to remove once every case is done)
        tmp = tempfile.mkdtemp(prefix=f"cm_bench_{key}_", dir=runs)
        started = time.perf_counter()
        facts = case.run(ctx, input_path, Path(tmp))
        seconds = time.perf_counter() - started
    else:
        with tempfile.TemporaryDirectory(prefix=f"cm_bench_{key}_") as tmp:
            started = time.perf_counter()
            facts = case.run(ctx, input_path, Path(tmp))
            seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_kb / 1024, "facts": facts}))
    sys.stdout.flush()
    os._exit(0)  # skip interpreter/QGIS teardown: not part of any measured stage


def _spawn(key: str, input_path: Path) -> dict:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run_bench", "--child", key, "--input", str(input_path)],
        cwd=REPO, env=env, capture_output=True, text=True,
    )  # fmt: skip
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise RuntimeError(" | ".join(tail) or f"exit code {proc.returncode}")
    return json.loads(lines[-1])


# --- parent -----------------------------------------------------------------------------------


@contextmanager
def runs_folder_for_the_bench() -> Iterator[Path]:
    """The folder every run's work and set-up folders are made in (harness.RUNS_ENV, which
    the runs' processes inherit), removed once every case is done; one named by the caller
    (the variable already set: an A/B of several invocations) is left to the caller.

    Why not each run's folder removed as it ends: on this machine's ext4 (no journal), a
    new file's inode is not taken from those freed in the last 60 s (360 s while their
    inode table block is not yet written back: the kernel's recently_deleted), and each
    such freed inode is looked at again for every file made: after a run's 7,200 summaries
    pages were removed, making 3,000 files took 1.2-1.3 s of system CPU against 0.05 s
    (perf: find_inode_bit, recently_deleted), so the next runs of the summaries and of the
    monthly release paid for the harness's removal. An analyst's month does not."""
    named = runs_folder()
    folder = named or Path(tempfile.mkdtemp(prefix="cm_bench_runs_"))
    os.environ[RUNS_ENV] = str(folder)
    try:
        yield folder
    finally:
        if named is None:
            os.environ.pop(RUNS_ENV, None)
            shutil.rmtree(folder, ignore_errors=True)


def ensure_input(rows: int, regenerate: bool) -> Path:
    from bench import generate_national_month as gen

    path = gen.default_path()
    if rows != gen.DEFAULT_ROWS:
        path = path.with_name(f"{gen.DEFAULT_MONTH}-national{rows}-street.csv")
    if regenerate or not path.exists():
        print(f"generating {rows:,} crimes -> {path}", file=sys.stderr)
        gen.write(gen.generate(rows=rows), path)
    return path


def measure(keys: list[str], input_path: Path, repeats: int) -> dict[str, dict]:
    cases: dict[str, dict] = {}
    for key in keys:
        case = CASE_BY_KEY[key]
        runs: list[dict] = []
        error = None
        for i in range(repeats):
            print(f"  {key}: run {i + 1}/{repeats}", file=sys.stderr, flush=True)
            try:
                runs.append(_spawn(key, input_path))
            except Exception as exc:  # noqa: BLE001 - a missing stage must not stop the other cases
                error = str(exc)
                break
        summary: dict[str, Any] = {"title": case.title, "runs": runs}
        if runs:
            secs = [r["seconds"] for r in runs]
            summary.update(
                median_s=statistics.median(secs), min_s=min(secs), max_s=max(secs),
                peak_rss_mb=max(r["peak_rss_mb"] for r in runs), facts=runs[-1]["facts"],
            )  # fmt: skip
        if error:
            summary["error"] = error
        cases[key] = summary
    return cases


def evaluate(cases: dict[str, dict]) -> list[dict]:
    out = []
    for target in TARGETS:
        value = target.value(cases)
        status = "n/a" if value is None else ("PASS" if value <= target.limit else "FAIL")
        out.append({"target": target.name, "value": value, "limit": target.limit,
                    "unit": target.unit, "status": status})  # fmt: skip
    return out


def _command_median(summary: dict) -> float:
    return statistics.median(r["facts"]["command_s"] for r in summary["runs"])


def _command_peak(summary: dict) -> float:
    return max(r["facts"]["command_peak_mb"] for r in summary["runs"])


def render(cases: dict[str, dict], targets: list[dict], input_info: dict) -> str:
    from bench.cases_end_to_end import median_steps

    lines = [
        f"input: {input_info['path']} ({input_info['mb']:.1f} MB), runs per case: "
        f"{input_info['repeats']}",
        "",
        f"{'case':<70} {'median s':>9} {'min s':>8} {'max s':>8} {'peak MB':>9}",
    ]
    for c in cases.values():
        if c.get("runs"):
            lines.append(f"{c['title']:<70} {c['median_s']:>9.2f} {c['min_s']:>8.2f} "
                         f"{c['max_s']:>8.2f} {c['peak_rss_mb']:>9.0f}")  # fmt: skip
            steps = median_steps(c)
            if steps:  # the pipeline's own step figures, median over the runs
                shown = ", ".join(f"{name} {sec:.2f}" for name, sec in steps.items())
                lines.append(f"    steps (s): {shown}")
            command = c.get("facts", {}).get("command_s")
            if command is not None:
                cpu = [
                    r["facts"]["command_cpu_s"]
                    for r in c["runs"]
                    if "command_cpu_s" in r.get("facts", {})
                ]
                lines.append(f"    the command alone: median {_command_median(c):.2f} s"
                             + (f" (CPU {statistics.median(cpu):.2f} s)" if cpu else "")
                             + f", peak {_command_peak(c):.0f} MB")  # fmt: skip
        if c.get("error"):
            lines.append(f"{c['title']:<70} ERROR: {c['error'][:200]}")
    lines.append("")
    for t in targets:
        shown = "-" if t["value"] is None else f"{t['value']:.2f} {t['unit']}"
        lines.append(f"{t['status']:<5} {t['target']:<55} {shown:>12}  "
                     f"(target <= {t['limit']:g} {t['unit']})")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="crime_mapper benchmark")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--input", type=Path, help="street CSV to load (default: generated)")
    parser.add_argument("--repeats", type=int, default=int(os.environ.get("BENCH_REPEATS", 5)))
    parser.add_argument(
        "--cases",
        default=",".join(c.key for c in CASES),
        help="comma-separated case keys: " + ", ".join(CASE_BY_KEY),
    )
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--strict", action="store_true", help="exit 1 unless every target passes")
    args = parser.parse_args(argv)

    if args.child:
        child(args.child, args.input)
        return 0

    keys = [k.strip() for k in args.cases.split(",") if k.strip()]
    unknown = [k for k in keys if k not in CASE_BY_KEY]
    if unknown:
        parser.error(f"unknown case(s): {', '.join(unknown)}")
    input_path = args.input or ensure_input(args.rows, args.regenerate)
    input_info = {"path": str(input_path), "mb": input_path.stat().st_size / 1e6,
                  "repeats": args.repeats}  # fmt: skip
    with runs_folder_for_the_bench():
        cases = measure(keys, input_path, args.repeats)
    targets = evaluate(cases)
    print(render(cases, targets, input_info))

    import numpy
    import pandas

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count(), "pandas": pandas.__version__,
                    "numpy": numpy.__version__},
        "input": input_info,
        "cases": cases,
        "targets": targets,
    }, indent=2) + "\n", encoding="utf-8")  # fmt: skip
    print(f"\nresults: {RESULTS}")
    if args.strict and any(t["status"] != "PASS" for t in targets):
        return 1
    return 1 if any("error" in c for c in cases.values()) and args.strict else 0


if __name__ == "__main__":
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    sys.exit(main())
