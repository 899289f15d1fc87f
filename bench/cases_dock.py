"""Benchmark: the dock stays responsive while it runs a national-scale release (issue 14).

Case ``u_dock_release``: the dock's Monthly release tab (ui.guided_release, the real panel,
offscreen) runs the whole release on the bench's national inputs (the 500,000-row raw force
extract with its profile, the 750,000 map points, the confirmation rules; hotspots on 1 km
cells) through "Run the whole release", exactly as a user's click does: one background
QgsTask. The timed figure is the whole release, adding its layers to the map included (the
panel does when a release ends). The release's work runs in a child process
(qgis_bridge.release_process) and the layers are opened and styled in the task's thread, so
what is left on the main thread is the click, showing progress and step states, and adding
finished layers to the project.

The event loop is watched by bench.event_loop_watch: a 5 ms QTimer on the main thread (the
longest gap between two ticks is the longest time the event loop was blocked, the UI frozen)
and a sampler thread that splits every gap into the main thread's own work (CPU), its wait
for a processor (run queue), the machine's stolen time, and the rest, and names what the
main thread was doing (its Python stack). The facts:

- ``max_block_ms``/``p99_block_ms``: the longest and 99th-percentile gap, whatever caused it;
- ``ours_max_block_ms`` (``_cpu_ms``): the longest gap during which the plugin's code was on
  the main thread (its work in it); ``max_block_cpu_ms``: the most main-thread work between
  two event-loop turns, whatever ran; ``unsampled_max_block_ms``: the longest gap no stack
  sample fell in (the sampler waited for a processor too);
- ``blocks``: every gap of ``BENCH_DOCK_REPORT_MS`` (100) ms or more, with its split, places
  and the step event before it;
- a control first: the same watch for ``BENCH_DOCK_IDLE_S`` (60) s with nothing running (the
  ``idle_*`` facts), because on a loaded machine the scheduler alone delays the main thread
  by hundreds of milliseconds.

Case ``u_dock_release_publish`` runs the same release with the web map and the neighbourhood
summaries over the 7,200 MSOAs on (the monthly release case's publish settings), since the end
of a full month hands the UI thread more (outputs, summary text). Targets: the longest block at
all (200 ms), and the longest with our code on the main thread (200 ms), the worst run of
either case. Measured here and never asserted in a test (timings depend on the machine and
its load).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

from bench.cases_anonymise import input_from_argv, map_points_csv_path, raw_extract_paths
from bench.cases_end_to_end import _rules_file, _salt_file
from bench.event_loop_watch import EventLoopWatch
from bench.harness import Case, Target

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "bench" / "out"
TICK_MS = 5
#: the idle control's length; BENCH_DOCK_IDLE_S shortens it for a quick look
IDLE_WATCH_S = float(os.environ.get("BENCH_DOCK_IDLE_S", 60.0))
#: blocks at least this long are listed with what the main thread was doing
REPORT_MS = float(os.environ.get("BENCH_DOCK_REPORT_MS", 100.0))


def _setup_dock_release() -> dict:
    return _setup(publish=False)


def _setup_dock_release_publish() -> dict:
    return _setup(publish=True)


def _setup(publish: bool) -> dict:
    """The panel set up for the national release; with ``publish`` the web map and the
    summaries over the 7,200 MSOAs too (the v_monthly_release case's publish settings), so
    the end of the release hands the UI thread what a full month hands it."""
    from qgis.core import QgsApplication

    app = QgsApplication([], True)
    app.initQgis()
    from crime_mapper.core.monthly.config import HotspotsConfig, MapPointsConfig, ReleaseConfig
    from crime_mapper.ui.guided_release import GuidedReleasePanel

    input_path = input_from_argv()
    raw, profile = raw_extract_paths(input_path)
    extra: dict[str, Any] = {}
    if publish:
        from bench.cases_end_to_end import _setup_monthly_release, national_publish_config

        extra["publish"] = national_publish_config(_setup_monthly_release())
    folder = "dock-release-publish" if publish else "dock-release"
    config = ReleaseConfig(
        inputs=[str(raw)],
        profile=str(profile),
        salt_file=str(_salt_file()),
        rules=str(_rules_file()),
        output=str(OUT_DIR / folder / "{month}"),
        map_points=MapPointsConfig(kind="file", paths=[str(map_points_csv_path(input_path))]),
        hotspots=HotspotsConfig(gi_cell_m=1000.0, kde_cell_m=1000.0),
        base_dir=OUT_DIR,
        **extra,
    )
    panel = GuidedReleasePanel(None)
    panel.show()  # an analyst sees the tab before pressing Run (it warms up when shown)
    panel.set_config(config)
    month = _month_of(input_path)
    panel.set_month(month)
    problems = panel.problems()
    if problems:
        raise RuntimeError(f"the bench release cannot start: {problems}")
    return {"app": app, "panel": panel}


def _month_of(input_path: Path) -> str:
    """The national month's YYYY-MM, from its file name (bench/generate_national_month.py)."""
    month = input_path.name[:7]
    if not re.fullmatch(r"\d{4}-\d{2}", month):
        raise RuntimeError(f"no month in the name of {input_path}")
    return month


def _run_dock_release(ctx: dict, input_path: Path, workdir: Path) -> dict[str, Any]:
    from qgis.core import QgsProject

    panel = ctx["panel"]
    idle = _watch_idle(IDLE_WATCH_S)
    finished: list[bool] = []
    panel.releaseFinished.connect(finished.append)
    watch = EventLoopWatch(tick_ms=TICK_MS, report_ms=REPORT_MS, loop_file=__file__)
    watch.start()
    started = time.perf_counter()
    if not panel.run_release():
        raise RuntimeError("the release did not start")
    events: list[tuple[float, str]] = []
    panel.current_task().stepChanged.connect(
        lambda step, state: events.append((time.perf_counter(), f"{step} {state}"))
    )
    _turn_until(lambda: bool(finished))
    seconds = time.perf_counter() - started
    events.append((time.perf_counter(), "finished"))
    watch.stop()
    if finished != [True]:
        raise RuntimeError(f"the release failed: {panel.summary_view.toPlainText()[:500]}")
    report = watch.report(started)
    for block in report["blocks"]:
        block["after"] = _last_event(events, started + block["at_s"])
    longest = sorted(report["blocks"], key=lambda b: b["ms"])[-3:][::-1]
    return {
        "release_s": round(seconds, 2),
        "max_block_ms": report["max_block_ms"],
        "p99_block_ms": report["p99_block_ms"],
        "max_block_cpu_ms": report["max_block_cpu_ms"],
        "ours_max_block_ms": report["ours_max_block_ms"],
        "ours_max_block_cpu_ms": report["ours_max_block_cpu_ms"],
        "unsampled_max_block_ms": report["unsampled_max_block_ms"],
        "ticks": report["ticks"],
        "states": [panel.state(s) for s in ("load", "anonymise", "hotspots", "publish")],
        # where the longest blocks fell: (seconds into the run, ms, the last step event)
        "longest_blocks": [(b["at_s"], b["ms"], b["after"]) for b in longest],
        # every block of 100 ms or more: its split (work, run queue, stolen, waiting) and
        # what the main thread was doing (bench.event_loop_watch)
        "blocks": report["blocks"],
        "events": [(round(at - started, 1), what) for at, what in events],
        "layers_added": len(QgsProject.instance().mapLayers()),
        # the control: the same watch with nothing running, just before (machine load only)
        "idle_s": IDLE_WATCH_S,
        "idle_max_block_ms": idle["max_block_ms"],
        "idle_p99_block_ms": idle["p99_block_ms"],
        "idle_max_block_cpu_ms": idle["max_block_cpu_ms"],
        "idle_blocks": idle["blocks"],
    }


def _turn_until(done: Any) -> None:
    """The event loop, as the bench runs it: process what is pending, sleep 1 ms, again."""
    from qgis.PyQt.QtCore import QCoreApplication

    while not done():
        QCoreApplication.processEvents()
        time.sleep(0.001)


def _watch_idle(seconds: float) -> dict[str, Any]:
    """The same watch with no work: what the machine's load alone does to the event loop."""
    watch = EventLoopWatch(tick_ms=TICK_MS, report_ms=REPORT_MS, loop_file=__file__)
    watch.start()
    started = time.perf_counter()
    end = started + seconds
    _turn_until(lambda: time.perf_counter() >= end)
    watch.stop()
    return watch.report(started)


def _last_event(events: list[tuple[float, str]], at: float) -> str:
    before = [what for when, what in events if when <= at]
    return before[-1] if before else "starting"


def _worst(fact: str) -> Any:
    names = ("u_dock_release", "u_dock_release_publish")

    def value(cases: dict[str, dict]) -> float | None:
        runs = [r for name in names for r in (cases.get(name, {}).get("runs") or [])]
        values = [r["facts"][fact] for r in runs if r["facts"].get(fact) is not None]
        return max(values) if values else None

    return value


CASES: list[Case] = [
    Case("u_dock_release", "(u) the dock runs a national release (event loop watched)",
         _setup_dock_release, _run_dock_release),
    Case("u_dock_release_publish",
         "(u+) the same with the web map and the summaries over 7,200 MSOAs (event loop watched)",
         _setup_dock_release_publish, _run_dock_release),
]  # fmt: skip

TARGETS: list[Target] = [
    Target("longest event-loop block while the dock runs a national release (u), worst run",
           200.0, "ms", _worst("max_block_ms")),
    Target("longest event-loop block with the plugin's code on the main thread (u), worst run",
           200.0, "ms", _worst("ours_max_block_ms")),
]  # fmt: skip
