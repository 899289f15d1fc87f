"""Benchmark: the dock stays responsive while it runs a national-scale release (issue 14).

Case ``u_dock_release``: the dock's Monthly release tab (ui.guided_release, the real panel,
offscreen) runs the whole release on the bench's national inputs (the 500,000-row raw force
extract with its profile, the 750,000 map points, the confirmation rules; hotspots on 1 km
cells) through "Run the whole release", exactly as a user's click does: one background
QgsTask. Meanwhile a 5 ms QTimer on the main thread records when each of its ticks is
delivered; the longest gap between two ticks is the longest time the Qt event loop was
blocked (the UI frozen). The target: never more than 200 ms. The timed figure is the whole
release, adding its layers to the map included (the panel does when a release ends); the
facts give the longest and the 99th-percentile gap, where the three longest fell (seconds
into the run and the step event before them), the step events and the tick count. The
release's work runs in a child process (qgis_bridge.release_process), so what is left on
the main thread is showing progress and, at the end, adding the layers. A control comes
first: the same watch for a minute with nothing running (the ``idle_*`` facts), because on a
loaded machine the scheduler alone delays the main thread by hundreds of milliseconds.

Measured here and never asserted in a test (timings depend on the machine and its load).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from bench.cases_anonymise import input_from_argv, map_points_csv_path, raw_extract_paths
from bench.cases_end_to_end import _rules_file, _salt_file
from bench.harness import Case, Target

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "bench" / "out"
TICK_MS = 5
IDLE_WATCH_S = 60.0


def _setup_dock_release() -> dict:
    from qgis.core import QgsApplication

    app = QgsApplication([], True)
    app.initQgis()
    from crime_mapper.core.monthly.config import HotspotsConfig, MapPointsConfig, ReleaseConfig
    from crime_mapper.ui.guided_release import GuidedReleasePanel

    input_path = input_from_argv()
    raw, profile = raw_extract_paths(input_path)
    config = ReleaseConfig(
        inputs=[str(raw)],
        profile=str(profile),
        salt_file=str(_salt_file()),
        rules=str(_rules_file()),
        output=str(OUT_DIR / "dock-release" / "{month}"),
        map_points=MapPointsConfig(kind="file", paths=[str(map_points_csv_path(input_path))]),
        hotspots=HotspotsConfig(gi_cell_m=1000.0, kde_cell_m=1000.0),
        base_dir=OUT_DIR,
    )
    panel = GuidedReleasePanel(None)
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
    from qgis.PyQt.QtCore import QCoreApplication, QTimer

    panel = ctx["panel"]
    idle = _idle_watch(IDLE_WATCH_S)
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    finished: list[bool] = []
    panel.releaseFinished.connect(finished.append)
    timer.start()
    started = time.perf_counter()
    if not panel.run_release():
        raise RuntimeError("the release did not start")
    events: list[tuple[float, str]] = []
    panel.current_task().stepChanged.connect(
        lambda step, state: events.append((time.perf_counter(), f"{step} {state}"))
    )
    while not finished:
        QCoreApplication.processEvents()
        time.sleep(0.001)
    seconds = time.perf_counter() - started
    events.append((time.perf_counter(), "finished"))
    timer.stop()
    if finished != [True]:
        raise RuntimeError(f"the release failed: {panel.summary_view.toPlainText()[:500]}")
    spans = sorted(((b - a) * 1000.0, a) for a, b in zip(ticks, ticks[1:]))
    gaps = [ms for ms, _at in spans]
    p99 = gaps[int(0.99 * (len(gaps) - 1))] if gaps else 0.0
    return {
        "release_s": round(seconds, 2),
        "max_block_ms": round(gaps[-1], 1) if gaps else None,
        "p99_block_ms": round(p99, 1),
        "ticks": len(ticks),
        "states": [panel.state(s) for s in ("load", "anonymise", "hotspots", "publish")],
        # where the longest blocks fell: (seconds into the run, ms, the last step event)
        "longest_blocks": [
            (round(at - started, 1), round(ms, 1), _last_event(events, at))
            for ms, at in spans[-3:][::-1]
        ],
        "events": [(round(at - started, 1), what) for at, what in events],
        "layers_added": len(QgsProject.instance().mapLayers()),
        # the control: the same watch with nothing running, just before (machine load only)
        "idle_s": IDLE_WATCH_S,
        "idle_max_block_ms": idle[0],
        "idle_p99_block_ms": idle[1],
    }


def _idle_watch(seconds: float) -> tuple[float, float]:
    """The longest and 99th-percentile tick gaps (ms) of the same timer with no work."""
    from qgis.PyQt.QtCore import QCoreApplication, QTimer

    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        QCoreApplication.processEvents()
        time.sleep(0.001)
    timer.stop()
    gaps = sorted((b - a) * 1000.0 for a, b in zip(ticks, ticks[1:]))
    if not gaps:
        return 0.0, 0.0
    return round(gaps[-1], 1), round(gaps[int(0.99 * (len(gaps) - 1))], 1)


def _last_event(events: list[tuple[float, str]], at: float) -> str:
    before = [what for when, what in events if when <= at]
    return before[-1] if before else "starting"


def _max_block(cases: dict[str, dict]) -> float | None:
    runs = cases.get("u_dock_release", {}).get("runs") or []
    values = [r["facts"]["max_block_ms"] for r in runs if r["facts"].get("max_block_ms")]
    return max(values) if values else None


CASES: list[Case] = [
    Case("u_dock_release", "(u) the dock runs a national release (event loop watched)",
         _setup_dock_release, _run_dock_release),
]  # fmt: skip

TARGETS: list[Target] = [
    Target("longest event-loop block while the dock runs a national release (u), worst run",
           200.0, "ms", _max_block),
]  # fmt: skip
