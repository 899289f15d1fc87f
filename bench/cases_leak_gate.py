"""Benchmark cases for the leak gate at national scale (registered by bench/run_bench.py).

Moved here from tests/test_leak_gate.py, where it timed the gate inside a test and asserted
nothing about the time (speed is shown by benchmarks, never by tests).

Input (built untimed in `setup`, fixed seed): 750,000 map points over inland England and a
national month of 500,000 raw crimes (true points within about 100 m of a map point, BNG
coordinates to the metre, exact timestamps, offence text, a free-text column), and its public
release (the police.uk columns, every crime at its map point, salted 64-hex Crime IDs).

What is timed (each case in a fresh process, once per repeat):
- g_gate_frame: core.gate.leak_gate.check_release on the public DataFrame;
- g_gate_csv: the same on the written public CSV (reading the file is part of the gate);
- g_gate_keys: the coordinate comparison alone (public coordinates against the map points'
  tolerant keys), the part of the gate that grows with the number of map points.
Every run also checks that the gate passes (a failing gate is reported as the case's error).
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from bench.harness import Case, Target

N_POINTS, N_CRIMES, SEED = 750_000, 500_000, 3


def _national_release() -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    from crime_mapper.core.common.geography import BRITISH_NATIONAL_GRID, WGS84, to_wgs84
    from crime_mapper.core.common.geography import transform as project
    from crime_mapper.core.release.map_points import MapPoints
    from crime_mapper.core.release.public_schema import PUBLIC_COLUMNS

    rng = np.random.default_rng(SEED)
    plon = rng.uniform(-2.8, 0.0, N_POINTS)  # inland England: every point inside the UK
    plat = rng.uniform(51.8, 53.6, N_POINTS)
    points = MapPoints(
        plon,
        plat,
        np.array([f"Street {i % 90_000}" for i in range(N_POINTS)], dtype=object),
        np.full(N_POINTS, "layer", dtype=object),
        np.full(N_POINTS, -1),
        np.full(N_POINTS, "", dtype=object),
        np.full(N_POINTS, "", dtype=object),
    )
    pick = rng.integers(0, N_POINTS, N_CRIMES)
    true_lon = points.longitude[pick] + rng.normal(0, 0.001, N_CRIMES)
    true_lat = points.latitude[pick] + rng.normal(0, 0.001, N_CRIMES)
    x, y = (np.round(v) for v in project(true_lon, true_lat, WGS84, BRITISH_NATIONAL_GRID))
    lon, lat = to_wgs84(x, y, BRITISH_NATIONAL_GRID)
    raw = pd.DataFrame(
        {
            "crime_id": [f"NAT/{i:07d}/22" for i in range(N_CRIMES)],
            "occurred_at": pd.Timestamp("2022-10-01")
            + pd.to_timedelta(rng.integers(0, 31 * 86400, N_CRIMES), unit="s"),
            "reported_by": "Some Police",
            "falls_within": "Some Police",
            "longitude": lon,
            "latitude": lat,
            "source_x": x,
            "source_y": y,
            "source_crs": "EPSG:27700",
            "location": "",
            "lsoa_code": "",
            "lsoa_name": "",
            "offence": rng.choice(
                ["Theft other", "Common assault", "Burglary - residential"], N_CRIMES
            ),
            "extra_mo_notes": [
                f"Free text note number {i} about the incident" for i in range(N_CRIMES)
            ],
        }
    )
    ids = np.array(
        [hashlib.sha256(b"s" + str(i).encode()).hexdigest() for i in range(N_CRIMES)],
        dtype=object,
    )
    public = pd.DataFrame(
        {
            "Crime ID": ids,
            "Month": "2022-10",
            "Reported by": "Some Police",
            "Falls within": "Some Police",
            "Longitude": np.char.mod("%.6f", points.longitude[pick]).astype(object),
            "Latitude": np.char.mod("%.6f", points.latitude[pick]).astype(object),
            "Location": np.array([f"On or near Street {i % 90_000}" for i in pick], dtype=object),
            "LSOA code": "",
            "LSOA name": "",
            "Crime type": "Other theft",
            "Last outcome category": "Under investigation",
            "Context": "",
        },
        columns=list(PUBLIC_COLUMNS),
    )
    return {"raw": raw, "public": public, "points": points}


def _passed(report: Any) -> dict:
    if not report.passed:
        raise RuntimeError(f"the leak gate failed on a clean release: {report.message()}")
    return {"rows": N_CRIMES, "map_points": N_POINTS, "gate": "passed"}


def _run_frame(ctx: dict, _input: Path, _work: Path) -> dict:
    from crime_mapper.core.gate.leak_gate import check_release

    return _passed(check_release(ctx["raw"], ctx["public"], ctx["points"]))


def _setup_csv() -> dict:
    from bench.harness import scratch_dir

    ctx = _national_release()
    path = scratch_dir("crime_mapper_gate_") / "national.csv"
    ctx["public"].to_csv(path, index=False)
    ctx["csv"] = path
    return ctx


def _run_csv(ctx: dict, _input: Path, _work: Path) -> dict:
    from crime_mapper.core.gate.leak_gate import check_release

    return _passed(check_release(ctx["raw"], ctx["csv"], ctx["points"]))


def _setup_keys() -> dict:
    import pandas as pd

    from crime_mapper.core.gate import scan

    ctx = _national_release()
    public = ctx["public"]
    ctx["keys"] = scan.coordinate_keys(
        pd.to_numeric(public["Longitude"]), pd.to_numeric(public["Latitude"])
    )
    return ctx


def _run_keys(ctx: dict, _input: Path, _work: Path) -> dict:
    import numpy as np

    from crime_mapper.core.gate import scan

    started = time.perf_counter()
    points = ctx["points"]
    found = np.isin(ctx["keys"], scan.tolerant_keys(points.longitude, points.latitude))
    if not found.all():
        raise RuntimeError("public coordinates not found among the map points")
    return {"rows": N_CRIMES, "map_points": N_POINTS, "s": time.perf_counter() - started}


CASES: list[Case] = [
    Case("g_gate_frame", "(g) leak gate, 500,000 public rows / 750,000 map points, DataFrame",
         _national_release, _run_frame),
    Case("g_gate_csv", "(g) leak gate, the same release as a written public CSV",
         _setup_csv, _run_csv),
    Case("g_gate_keys", "(g) leak gate coordinate comparison alone (500,000 vs 750,000)",
         _setup_keys, _run_keys),
]  # fmt: skip

# Measured, not targeted: the release's gate target is the pipeline's (t) case, which runs
# the gate prepared once per release as the anonymise step does.
TARGETS: list[Target] = []
