"""Benchmark cases for the national release end to end (issue 15), through the one pipeline.

The targets are for the commands a user runs, not for inner functions: each command is timed
as a whole fresh process, imports and start-up included, and its memory is that process's
peak resident set (getrusage RUSAGE_CHILDREN after it exits). The inputs are the bench's own:
the raw national force-style extract (500,000 rows, made from the national month by
tests/support/raw_extract.py; see bench/cases_anonymise.py) and the 750,000 national-style
map points (bench/generate_map_points.py), as a CSV and as a map points GeoPackage.

Cases:

- ``p_cli_anonymise``: ``python -m crime_mapper.cli anonymise RAW --profile P --points
  map-points-750000.csv --rules R --salt-file S --out DIR --no-gpkg --timings``: the command
  the issue's 10 s target names: read the raw extract and the map points, anonymise, write
  the public CSV, leak gate, audit and manifest (no GeoPackage). ``--timings`` gives the
  pipeline's own step figures, reported beside the total (the rest is interpreter start-up,
  imports and exit);
- ``p_cli_anonymise_gpkg``: the same command without ``--no-gpkg``, as it runs by default:
  the public GeoPackage written too and the leak gate run on it as well. Reported beside (p)
  for comparison (no target of its own: the issue's GeoPackage figure is (q));
- ``q_qgis_process_anonymise``: ``qgis_process.bin run crime_mapper:anonymise`` on the same
  inputs (map points from the GeoPackage, as a map points layer is given), which also writes
  the QML style; ``q0_qgis_process_startup`` is ``qgis_process.bin help
  crime_mapper:anonymise``: QGIS and the plugin starting, no work, so the difference is the
  release itself;
- ``r_read_force``: core.load.loader.load_extracts of the raw force extract with its profile,
  to compare with (b), the police.uk street file of the same rows;
- ``s_points_csv``, ``s_points_gpkg``: the 750,000 map points read from the CSV and from the
  GeoPackage (core.release.map_points_files.read_map_points_file);
- ``t_gate``: the leak gate on the national public CSV and GeoPackage together, read from
  disk as a process of its own checks them (one raw-side preparation, then both files, the
  GeoPackage read ahead by a forked child and the raw side's array views made by another:
  leak_gate.read_ahead, its child nicer where the machine has been quiet since the case's
  set-up began (``behind``; fact ``gpkg_nicer``; BENCH_GATE_BEHIND=0: not); and
  BENCH_GATE_CSV_AHEAD=1: the CSV read by a child too), on a release made once and cached;
- ``t1_check_release_folder``: ``python -m crime_mapper.cli check-release RAW --profile P
  --points map-points-750000.csv --rules R --release FOLDER``, the command an analyst runs
  on a finished release folder (the same cached release as (t): its CSV, GeoPackage, audit
  and manifest), as a fresh process: the raw extract and map points read, then the gate on
  the whole folder (its GeoPackage read by a forked child, the folder's other files on a
  thread, the raw side's array views by another child). Reported beside (t), no target of
  its own (the issue's gate figure is (t)); the difference from (t) is mostly the two reads;
- ``v_monthly_release``: the one-command monthly release, ``python -m crime_mapper.cli
  release CONFIG --month 2022-10``, on the national month: the raw extract and the map points
  CSV to the public CSV, the (styled) public GeoPackage, the audit, the manifest, the web map
  and the neighbourhood summaries (the 7,200 MSOAs of England and Wales from ../shared/data,
  named by the House of Commons Library names, with the ONS LSOA -> MSOA lookup and the LSOA
  populations ../shared/data holds: Leicestershire's and Northumbria's, so those forces' MSOAs
  have rates and the others n/a), as the issue defines it. Hotspots and the QGIS project are
  intelligence and convenience outputs the issue's target leaves out, so the bench's
  configuration switches them off and says so. No summaries history is given: the issue's
  target is the month from its raw extract, and the pages, the 13-month tidy CSV (1.4 million
  rows) and the gate's work are the same size with or without it (months without data are
  "missing"); a history of 12 national months would add reading 6 million published rows.
  The command runs through a small driver around the very same ``cli.main`` that times each
  release step (wall and CPU), the anonymise step's own pipeline steps, the publish step's
  parts (summaries: neighbourhoods, release read, assignment, figures, tidy CSV, GeoPackage,
  export; web map: read, assignment, aggregation, writing) and every leak-gate call with the
  output it checked; the total is the child process's wall clock, with its CPU time beside.

The bench's map points are synthetic, so no catchment address counts show they are
anonymous: the release rules file used here records that confirmation, as an analyst with a
user-supplied layer would (core.release.disclosure refuses the release otherwise).
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Optional

from bench.cases_anonymise import (
    BENCH_SALT,
    CONFIRMATION,
    input_from_argv,
    map_points_csv_path,
    raw_extract_paths,
)
from bench.harness import Case, Target, children_cpu, median, ratio

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "bench" / "out"


# --- cached inputs (untimed) ------------------------------------------------------------------


def _salt_file() -> Path:
    path = OUT_DIR / "bench.salt"
    if not path.exists():
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        path.write_bytes(BENCH_SALT + b"\n")
    return path


def _rules_file() -> Path:
    """The default rules plus the confirmation that the synthetic map points are anonymous."""
    from crime_mapper.core.release.rules import DEFAULT_RULES, ReleaseRules

    path = OUT_DIR / "bench-release-rules.json"
    data = DEFAULT_RULES.to_dict()
    data["confirm_unknown_catchments"] = CONFIRMATION
    text = json.dumps(data, indent=2) + "\n"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    ReleaseRules.load(path)  # the rules file must load, or every case below fails late
    return path


def _points_gpkg(input_path: Path) -> Path:
    """The 750,000 map points as a map points GeoPackage, rebuilt when the CSV is newer."""
    from crime_mapper.core.release.map_points import read_map_points_csv
    from crime_mapper.core.release.map_points_files import write_map_points_gpkg

    csv_path = map_points_csv_path(input_path)
    path = csv_path.with_suffix(".gpkg")
    if not path.exists() or path.stat().st_mtime < csv_path.stat().st_mtime:
        write_map_points_gpkg(read_map_points_csv(csv_path), path)
    return path


def _inputs(input_path: Path) -> dict:
    raw_csv, profile = raw_extract_paths(input_path)
    return {
        "raw": raw_csv,
        "profile": profile,
        "points_csv": map_points_csv_path(input_path),
        "points_gpkg": _points_gpkg(input_path),
        "rules": _rules_file(),
        "salt": _salt_file(),
    }


def _gate_release(inputs: dict) -> Path:
    """A national release made once through the pipeline (cached) for the gate case."""
    from crime_mapper.core.release.pipeline import run_anonymise

    folder = OUT_DIR / "e2e-release"
    marker = folder / "release_manifest.json"
    newest = max(inputs[k].stat().st_mtime for k in ("raw", "points_csv", "rules"))
    if not marker.exists() or marker.stat().st_mtime < newest:
        run_anonymise(
            [inputs["raw"]],
            inputs["points_csv"],
            inputs["rules"],
            inputs["salt"],
            folder,
            profile_path=inputs["profile"],
        )
    return folder


# --- commands in a fresh process --------------------------------------------------------------


def _command_env() -> dict[str, str]:
    """This environment, with this checkout first on the command's import path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def _run_command(argv: list[str], env: Optional[dict] = None) -> tuple[float, float, str, str]:
    """(seconds, the command's peak RSS in MB, stdout, stderr) of one command run."""
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise RuntimeError(f"exit code {proc.returncode}: " + " | ".join(tail))
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, peak_mb, proc.stdout, proc.stderr


def _cli_steps(stderr: str) -> dict[str, float]:
    """The pipeline's step figures from the command line's --timings lines."""
    prefix = "crime_mapper: timing: "
    steps = {}
    for line in stderr.splitlines():
        if line.startswith(prefix) and not line.startswith(prefix + "steps total"):
            step, seconds = line[len(prefix) :].split()[:2]
            steps[step] = float(seconds)
    return steps


def _setup_cli() -> dict:
    return _inputs(input_from_argv())


def _run_cli(with_gpkg: bool) -> Callable[[dict, Path, Path], dict]:
    def run(ctx: dict, input_path: Path, workdir: Path) -> dict:
        env = _command_env()
        argv = [
            sys.executable, "-m", "crime_mapper.cli", "anonymise", str(ctx["raw"]),
            "--profile", str(ctx["profile"]), "--points", str(ctx["points_csv"]),
            "--rules", str(ctx["rules"]), "--salt-file", str(ctx["salt"]),
            "--out", str(workdir / "release"), "--timings",
        ]  # fmt: skip
        argv += [] if with_gpkg else ["--no-gpkg"]
        seconds, peak_mb, _out, err = _run_command(argv, env)
        steps = _cli_steps(err)
        outputs = sorted(p.name for p in (workdir / "release").iterdir())
        if with_gpkg != any(name.endswith(".gpkg") for name in outputs):
            raise RuntimeError(f"unexpected outputs for with_gpkg={with_gpkg}: {outputs}")
        return {
            "command_s": round(seconds, 3),
            "command_peak_mb": round(peak_mb, 1),
            "steps": steps,
            "outside_steps_s": round(seconds - sum(steps.values()), 3),
            "outputs": outputs,
        }

    return run


def _qgis_process_home() -> Path:
    """The qgis_process profile and plugin folder of this checkout.

    Why: the plugin folder links to a checkout's package, and a bench/out shared with another
    checkout (linked to save regenerating the inputs) held links to that checkout: the case
    timed the other checkout's code. A folder whose links lead elsewhere is left alone and
    this checkout gets its own beside it."""
    home = OUT_DIR / "qgis_process"
    init = home / "plugins" / "crime_mapper" / "__init__.py"
    ours = (REPO / "crime_mapper" / "__init__.py").resolve()
    if init.is_symlink() and init.resolve() != ours:
        digest = hashlib.sha256(str(REPO).encode("utf-8")).hexdigest()[:12]
        home = OUT_DIR / f"qgis_process-{digest}"
    return home


def _setup_qgis_process() -> dict:
    from tests.support.qgis_process import child_env, plugin_folder, qgis_process_exe

    ctx = _inputs(input_from_argv())
    home = _qgis_process_home()
    plugins = home / "plugins"
    if not plugins.exists():
        plugin_folder(home)
    env = child_env(
        drop_checkout=True,
        QGIS_PLUGINPATH=str(plugins),
        QGIS_CUSTOM_CONFIG_PATH=str(home / "profile"),
    )
    exe = qgis_process_exe()
    enable = subprocess.run(
        [exe, "plugins", "enable", "crime_mapper"], env=env, capture_output=True, text=True
    )
    if enable.returncode != 0 and "already enabled" not in enable.stdout + enable.stderr:
        raise RuntimeError(f"cannot enable the plugin for qgis_process: {enable.stderr[-500:]}")
    ctx.update(env=env, exe=exe)
    return ctx


def _run_qgis_process(ctx: dict, input_path: Path, workdir: Path) -> dict:
    out = workdir / "release"
    params = {
        "CRIMES_FILES": ctx["raw"], "PROFILE": ctx["profile"], "MAP_POINTS": ctx["points_gpkg"],
        "RULES": ctx["rules"], "SALT_FILE": ctx["salt"],
        "PUBLIC_CSV": out / "2022-10-national-street.csv",
        "PUBLIC_LAYER": out / "2022-10-national-street.gpkg",
        "AUDIT_JSON": out / "audit.json", "AUDIT_HTML": out / "audit.html",
        "MANIFEST": out / "release_manifest.json",
    }  # fmt: skip
    argv = [ctx["exe"], "--json", "run", "crime_mapper:anonymise", "--"]
    argv += [f"{key}={value}" for key, value in params.items()]
    seconds, peak_mb, stdout, _err = _run_command(argv, ctx["env"])
    results = json.loads(stdout)["results"]
    return {
        "command_s": round(seconds, 3),
        "command_peak_mb": round(peak_mb, 1),
        "rows_in": results.get("ROWS_IN"),
        "outputs": sorted(p.name for p in out.iterdir()),
    }


def _run_qgis_process_startup(ctx: dict, input_path: Path, workdir: Path) -> dict:
    argv = [ctx["exe"], "help", "crime_mapper:anonymise"]
    seconds, peak_mb, _out, _err = _run_command(argv, ctx["env"])
    return {"command_s": round(seconds, 3), "command_peak_mb": round(peak_mb, 1)}


# --- reading ----------------------------------------------------------------------------------


def _setup_read_force() -> dict:
    from crime_mapper.core.load.loader import load_extracts
    from crime_mapper.core.load.mapping_profile import MappingProfile

    raw, profile = raw_extract_paths(input_from_argv())
    return {"load": load_extracts, "raw": raw, "profile": MappingProfile.load(profile)}


def _run_read_force(ctx: dict, input_path: Path, workdir: Path) -> dict:
    result = ctx["load"]([ctx["raw"]], profile=ctx["profile"])
    return {"accepted": int(len(result.crimes)), "rejected": int(len(result.rejects))}


def _setup_points() -> dict:
    from crime_mapper.core.release.map_points_files import read_map_points_file

    input_path = input_from_argv()
    return {
        "read": read_map_points_file,
        "csv": map_points_csv_path(input_path),
        "gpkg": _points_gpkg(input_path),
    }


def _run_points(kind: str) -> Callable[[dict, Path, Path], dict]:
    def run(ctx: dict, input_path: Path, workdir: Path) -> dict:
        points = ctx["read"](ctx[kind])
        return {"map_points": len(points)}

    return run


# --- the leak gate ----------------------------------------------------------------------------


def _setup_gate() -> dict:
    from crime_mapper.core.common import cpu_share
    from crime_mapper.core.gate import leak_gate
    from crime_mapper.core.load.loader import load_extracts
    from crime_mapper.core.load.mapping_profile import MappingProfile
    from crime_mapper.core.release.map_points_files import read_map_points_file

    since = cpu_share.mark()  # (what the machine did while this process loaded: read_ahead)

    inputs = _inputs(input_from_argv())
    folder = _gate_release(inputs)
    crimes = load_extracts([inputs["raw"]], profile=MappingProfile.load(inputs["profile"])).crimes
    return {
        "gate": leak_gate,
        "crimes": crimes,
        "points": read_map_points_file(inputs["points_csv"]),
        "csv": next(folder.glob("*-street.csv")),
        "gpkg": next(folder.glob("*-street.gpkg")),
        "since": since,
    }


def _run_gate(ctx: dict, input_path: Path, workdir: Path) -> dict:
    clock = time.perf_counter
    gate = ctx["gate"]
    cpu = time.process_time()  # the machine is shared: CPU time is the steadier figure
    child = children_cpu()
    t0 = clock()
    prepared = gate.prepare_gate(ctx["crimes"], ctx["points"])
    # (a process of its own: the GeoPackage read by a forked child, and the array views made
    # by another, while this process makes the string views and reads and checks the CSV:
    # leak_gate.read_ahead. BENCH_GATE_CSV_AHEAD=1: the CSV read by a third child too, which
    # takes some 2.5 s CPU more off this process but costs about 1 s more CPU in all: on
    # two cores the children then have more to do than this process). The GeoPackage is
    # checked second, so its child runs nicer where the machine has been quiet since the
    # set-up began (read_ahead's ``behind``); BENCH_GATE_BEHIND=0: at this process's priority
    csv_output = ctx["csv"]
    if os.environ.get("BENCH_GATE_CSV_AHEAD") == "1":
        csv_output = gate.read_ahead(ctx["csv"])
    behind = None if os.environ.get("BENCH_GATE_BEHIND") == "0" else [ctx["since"]]
    gpkg_output = gate.read_ahead(ctx["gpkg"], prepared, behind=behind)
    t1 = clock()
    csv = gate.check_release(ctx["crimes"], csv_output, ctx["points"], prepared=prepared)
    t2 = clock()
    gpkg = gate.check_release(ctx["crimes"], gpkg_output, ctx["points"], prepared=prepared)
    t3 = clock()
    if not (csv.passed and gpkg.passed):
        raise RuntimeError("the leak gate failed on the benchmark release")
    own = time.process_time() - cpu
    child = children_cpu() - child
    ahead = [csv_output is not ctx["csv"], gpkg_output is not ctx["gpkg"]]
    nicer = getattr(gpkg_output, "niceness", 0)  # (what read_ahead chose)
    return {"cpu_s": round(own + child, 3), "own_cpu_s": round(own, 3),
            "child_cpu_s": round(child, 3), "read_ahead": ahead, "gpkg_nicer": nicer,
            "steps": {"prepare": round(t1 - t0, 3), "csv": round(t2 - t1, 3),
                      "gpkg": round(t3 - t2, 3)}}  # fmt: skip


def _setup_check_folder() -> dict:
    inputs = _inputs(input_from_argv())
    return {**inputs, "folder": _gate_release(inputs)}


def _run_check_folder(ctx: dict, input_path: Path, workdir: Path) -> dict:
    env = _command_env()
    argv = [
        sys.executable, "-m", "crime_mapper.cli", "check-release", str(ctx["raw"]),
        "--profile", str(ctx["profile"]), "--points", str(ctx["points_csv"]),
        "--rules", str(ctx["rules"]), "--release", str(ctx["folder"]),
    ]  # fmt: skip
    seconds, peak_mb, out, err = _run_command(argv, env)
    verdict = (out + err).strip().splitlines()
    if not verdict or "passed" not in verdict[-1]:
        raise RuntimeError(f"the leak gate did not pass the benchmark release: {verdict[-1:]}")
    return {
        "command_s": round(seconds, 3),
        "command_peak_mb": round(peak_mb, 1),
        "files": sorted(p.name for p in ctx["folder"].iterdir()),
    }


# --- the one-command monthly release ---------------------------------------------------------

SHARED = next(
    (
        p
        for p in (REPO.parent / "shared" / "data", REPO.parent.parent / "shared" / "data")
        if p.is_dir()
    ),
    REPO.parent / "shared" / "data",
)  # fmt: skip  (../shared beside the clone; a worktree sits one level deeper)
MSOA_OUTLINES = "MSOA11_outlines_dissolved_from_LSOA_BSC_stroke_unit_demographics.geojson"
MSOA_NAMES = "MSOA-Names-2011_HoCL.csv"
MSOA_LOOKUP = "lsoa11_to_msoa11_lad.csv"
# ../shared/data holds ONS LSOA populations for two forces only (Leicestershire, Northumbria):
# both, as one file, give the MSOAs of those forces their residents (the others' rates are
# n/a, as for a neighbourhood without a population); the lookup sums them per MSOA.
POPULATIONS = (
    "lsoa11_mid2018_population_leicestershire_force_area.csv",
    "lsoa11_mid2018_population_northumbria_force_area.csv",
)
RELEASE_DRIVER = r"""
import json, resource, sys, time
from crime_mapper.core.monthly import release

steps = {}
gates = []  # (output, seconds) of every leak-gate call, in order

def cpu():
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime

def timed(name, run):
    def step(config, month, outputs, *args, **kwargs):
        started, used = time.perf_counter(), cpu()
        try:
            return run(config, month, outputs, *args, **kwargs)
        finally:
            steps[name] = round(time.perf_counter() - started, 3)
            steps[name + ".cpu"] = round(cpu() - used, 3)
            made = getattr(outputs, "release", None)
            if name == "anonymise" and made is not None:
                steps.update({f"anonymise.{k}": v for k, v in made.timings.items()})
    return step

for name, run in list(release._RUNNERS.items()):
    release._RUNNERS[name] = timed(name, run)

def timed_call(name, module, attribute, record=None):
    run = getattr(module, attribute)
    def call(*args, **kwargs):
        started = time.perf_counter()
        try:
            return run(*args, **kwargs)
        finally:
            seconds = round(time.perf_counter() - started, 3)
            if record is None:
                steps[name] = round(steps.get(name, 0.0) + seconds, 3)
            else:
                record(args, kwargs, seconds)
    setattr(module, attribute, call)

from crime_mapper.core.gate import leak_gate
from crime_mapper.core.publish import (
    summaries_export, summaries_run, webmap_export, webmap_inputs, webmap_run,
)

def gate_call(args, kwargs, seconds):
    output = args[1] if len(args) > 1 else kwargs.get("output")
    table = hasattr(output, "columns") and not hasattr(output, "__fspath__")  # (a WrittenCsv)
    name = "table" if table else str(output).rstrip("/").split("/")[-1]
    gates.append((name.split(".staging-")[0], seconds))

# every gate call (the pipeline, summaries and web map import check_release when called)
timed_call("gate", leak_gate, "check_release", gate_call)
from crime_mapper.qgis_bridge import run_load as loading

def load_with_steps(*args, _run=loading.run_load, **kwargs):
    out = _run(*args, **kwargs)
    steps.update({f"load.{k}": round(v, 3) for k, v in out.timings.items()})
    return out

loading.run_load = load_with_steps  # QgisStepRunners.load imports it when it runs
timed_call("publish.summaries", summaries_run, "run_summaries")
timed_call("publish.summaries.read_neighbourhoods", summaries_run, "load_neighbourhoods")
timed_call("publish.summaries.read_release", summaries_run, "read_release")
timed_call("publish.summaries.export", summaries_export, "export_summaries")
timed_call("publish.summaries.assign", summaries_export, "assign_crimes")
timed_call("publish.summaries.figures", summaries_export, "compute_summaries")
timed_call("publish.summaries.tidy_csv", summaries_export, "write_tidy_csv")
timed_call("publish.summaries.gpkg", summaries_export, "write_neighbourhood_gpkg")
timed_call("publish.web_map", webmap_run, "run_webmap")
timed_call("publish.web_map.read", webmap_export, "read_release_inputs")
timed_call("publish.web_map.assign", webmap_export, "row_area_names")
timed_call("publish.web_map.aggregate", webmap_export, "aggregate")
timed_call("publish.web_map.write", webmap_export, "_write_folder")
try:
    from crime_mapper.core.common import forked
except ImportError:  # (a checkout from before it, compared with this one)
    forked = None

def report_from_child(run):
    # the web map made in a forked child beside the summaries: its figures are the child's,
    # printed by it (its timings and gate calls never reach this process's dicts)
    def child_run(self, work, out):
        def reporting(call):
            before, known = dict(steps), len(gates)
            try:
                return work(call)
            finally:
                mine = {k: v for k, v in steps.items() if before.get(k) != v}
                print("bench child steps: " + json.dumps(mine), file=sys.stderr, flush=True)
                print("bench child gates: " + json.dumps(gates[known:]), file=sys.stderr,
                      flush=True)
        return run(self, reporting, out)
    return child_run

if forked is not None:
    forked.ForkedCall._run = report_from_child(forked.ForkedCall._run)
try:  # (the command's own ending, as python -m crime_mapper.cli runs it)
    from crime_mapper.cli import run_as_command as main
except ImportError:  # (a checkout from before it, compared with this one)
    from crime_mapper.cli import main
started = cpu()
code = main(["release", sys.argv[1], "--month", sys.argv[2]])
steps["cpu"] = round(cpu() - started, 3)
print("bench steps: " + json.dumps(steps), file=sys.stderr)
print("bench gates: " + json.dumps(gates), file=sys.stderr)
sys.exit(code)
"""


def _population_file(shared: Path) -> Path:
    """The two forces' LSOA populations as one CSV (cached in bench/out, untimed)."""
    path = OUT_DIR / "lsoa11_mid2018_population_two_forces.csv"
    parts = [(shared / "population" / name).read_text(encoding="utf-8") for name in POPULATIONS]
    header = parts[0].splitlines(keepends=True)[0]
    text = header + "".join(p.split("\n", 1)[1] for p in parts)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path


def _setup_monthly_release() -> dict:
    needed = {
        "outlines": SHARED / "boundaries" / MSOA_OUTLINES,
        "names": SHARED / "lookups" / MSOA_NAMES,
        "lookup": SHARED / "lookups" / MSOA_LOOKUP,
    }
    needed.update({name: SHARED / "population" / name for name in POPULATIONS})
    missing = [str(p) for p in needed.values() if not p.is_file()]
    if missing:
        raise RuntimeError(f"the monthly release case needs {', '.join(missing)}")
    ctx = _inputs(input_from_argv())
    ctx.update(needed)
    ctx["population"] = _population_file(SHARED)
    return ctx


def national_publish_config(ctx: dict) -> Any:
    """The publish settings of the national release: web map and summaries over the 7,200
    MSOAs with the ONS lookup, Commons Library names and the two forces' populations (the
    monthly release case and the dock case with publish share them)."""
    from crime_mapper.core.monthly.config import PublishConfig

    return PublishConfig(
        web_map=True,
        summaries=True,
        project=False,
        neighbourhoods={
            "boundaries": str(ctx["outlines"]),
            "code_field": "msoa11cd",
            "lookup": str(ctx["lookup"]),
            "lookup_code_field": "msoa11cd",
            "lookup_name_field": "msoa11nm",
            "lookup_lsoa_field": "lsoa11cd",
            "names": str(ctx["names"]),
            "names_code_field": "msoa11cd",
            "names_name_field": "msoa11hclnm",
            "lsoa_population": str(ctx["population"]),
        },
    )  # fmt: skip


def _run_monthly_release(ctx: dict, input_path: Path, workdir: Path) -> dict:
    from crime_mapper.core.monthly.config import (
        HotspotsConfig,
        MapPointsConfig,
        ReleaseConfig,
        write_config,
    )

    month = input_path.name[:7]
    config = ReleaseConfig(
        inputs=[str(ctx["raw"])],
        profile=str(ctx["profile"]),
        salt_file=str(ctx["salt"]),
        rules=str(ctx["rules"]),
        output=str(workdir / "release" / "{month}"),
        map_points=MapPointsConfig(kind="file", paths=[str(ctx["points_csv"])]),
        hotspots=HotspotsConfig(enabled=False),
        publish=national_publish_config(ctx),
        base_dir=workdir,
    )
    path = write_config(config, workdir / "release.json")
    env = _command_env()
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    argv = [sys.executable, "-c", RELEASE_DRIVER, str(path), month]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds, peak_mb, _out, err = _run_command(argv, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    steps: dict[str, float] = {}
    gates: list = []
    child_steps: dict[str, float] = {}
    child_gates: list = []
    for line in err.splitlines():
        if line.startswith("bench steps: "):
            steps = json.loads(line[len("bench steps: ") :])
        if line.startswith("bench gates: "):
            gates = json.loads(line[len("bench gates: ") :])
        if line.startswith("bench child steps: "):  # (the web map made beside, in a child)
            child_steps.update(json.loads(line[len("bench child steps: ") :]))
        if line.startswith("bench child gates: "):
            child_gates += json.loads(line[len("bench child gates: ") :])
    steps.update({k: v for k, v in child_steps.items() if k not in steps})
    gates += child_gates
    folder = workdir / "release" / month
    outside = seconds - sum(v for k, v in steps.items() if "." not in k and k != "cpu")
    return {
        "command_s": round(seconds, 3),
        "command_cpu_s": round(
            after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 3
        ),
        "command_peak_mb": round(peak_mb, 1),
        "steps": steps,
        "gate_calls": gates,
        "outside_steps_s": round(outside, 3),
        "outputs": sorted(p.name for p in folder.iterdir()),
        "summaries_pages": len(list((folder / "neighbourhoods").glob("*.html"))),
    }


# --- targets from the commands' own figures ---------------------------------------------------


def command_median(key: str) -> Callable[[dict[str, dict]], Optional[float]]:
    """Median over runs of the command's own wall time (the child process)."""

    def value(cases: dict[str, dict]) -> Optional[float]:
        runs = cases.get(key, {}).get("runs") or []
        times = [r["facts"]["command_s"] for r in runs if "command_s" in r.get("facts", {})]
        return statistics.median(times) if times else None

    return value


def command_peak(key: str) -> Callable[[dict[str, dict]], Optional[float]]:
    """Largest peak resident memory (MB) of the command over its runs."""

    def value(cases: dict[str, dict]) -> Optional[float]:
        runs = cases.get(key, {}).get("runs") or []
        peaks = [r["facts"]["command_peak_mb"] for r in runs if "command_peak_mb" in r["facts"]]
        return max(peaks) if peaks else None

    return value


def command_ratio(num: str, den: str) -> Callable[[dict[str, dict]], Optional[float]]:
    """Ratio of two commands' median wall times (their absolute figures are in the table)."""

    def value(cases: dict[str, dict]) -> Optional[float]:
        a, b = command_median(num)(cases), command_median(den)(cases)
        return a / b if a is not None and b else None

    return value


def median_steps(summary: dict) -> dict[str, Any]:
    """Each step's median over the runs of one case (for the report)."""
    runs = summary.get("runs") or []
    names: list[str] = []
    for run in runs:
        names += [n for n in run.get("facts", {}).get("steps", {}) if n not in names]
    return {
        name: round(statistics.median(r["facts"]["steps"].get(name, 0.0) for r in runs), 2)
        for name in names
    }


CASES: list[Case] = [
    Case("p_cli_anonymise", "(p) CLI anonymise --no-gpkg, national month end to end (fresh "
         "process): the issue's command", _setup_cli, _run_cli(with_gpkg=False)),
    Case("p_cli_anonymise_gpkg", "(p+) CLI anonymise with the public GeoPackage (the default), "
         "for comparison", _setup_cli, _run_cli(with_gpkg=True)),
    Case("q0_qgis_process_startup", "(q0) qgis_process.bin start-up: help crime_mapper:anonymise",
         _setup_qgis_process, _run_qgis_process_startup),
    Case("q_qgis_process_anonymise", "(q) qgis_process.bin run crime_mapper:anonymise, as (p) + "
         "GeoPackage style", _setup_qgis_process, _run_qgis_process),
    Case("r_read_force", "(r) read + validate the raw force extract (same rows as b)",
         _setup_read_force, _run_read_force),
    Case("s_points_csv", "(s) read 750,000 map points from CSV", _setup_points,
         _run_points("csv")),
    Case("s_points_gpkg", "(s) read 750,000 map points from GeoPackage", _setup_points,
         _run_points("gpkg")),
    Case("t_gate", "(t) leak gate on the national public CSV + GeoPackage", _setup_gate,
         _run_gate),
    Case("t1_check_release_folder", "(t1) cli check-release on the national release folder "
         "(fresh process, inputs read included), beside (t)", _setup_check_folder,
         _run_check_folder),
    Case("v_monthly_release", "(v) cli release CONFIG --month: raw extract to public CSV, "
         "GeoPackage, audit, web map and summaries", _setup_monthly_release,
         _run_monthly_release),
]  # fmt: skip

TARGETS: list[Target] = [
    Target("CLI anonymise end to end (p), median, fresh process", 10.0, "s",
           command_median("p_cli_anonymise")),
    Target("CLI anonymise (p), peak memory", 2048.0, "MB", command_peak("p_cli_anonymise")),
    Target("COMPARISON only: CLI anonymise with the GeoPackage / without it (p+)/(p)", 1000.0,
           "x", command_ratio("p_cli_anonymise_gpkg", "p_cli_anonymise")),
    Target("qgis_process crime_mapper:anonymise (q), median", 15.0, "s",
           command_median("q_qgis_process_anonymise")),
    Target("qgis_process crime_mapper:anonymise (q), peak memory", 2048.0, "MB",
           command_peak("q_qgis_process_anonymise")),
    Target("force extract read / police.uk read, same rows (r)/(b)", 1.2, "x",
           ratio("r_read_force", "b_load_extracts")),
    Target("750,000 map points from CSV (s), median", 1.0, "s", median("s_points_csv")),
    Target("750,000 map points from GeoPackage (s), median", 1.0, "s", median("s_points_gpkg")),
    Target("leak gate on the national CSV + GeoPackage (t), median", 3.0, "s", median("t_gate")),
    Target("monthly release, one command, national month (v), median", 30.0, "s",
           command_median("v_monthly_release")),
]  # fmt: skip
