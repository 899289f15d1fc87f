"""Benchmark cases for neighbourhood summaries at national scale (registered by run_bench).

Input (built untimed in `setup`, fixed seed, cached in bench/out/summaries_national.pkl): a
synthetic national year of 6,000,000 public-release crimes over 13 months, on 720,000 map
points spread over the 7,200 MSOAs of England and Wales (../shared/data's MSOA outlines; a
grid of 7,200 squares over England when the checkout has no ../shared), 100 map points per
MSOA near its outline's centre, each MSOA split into 5 LSOAs with an LSOA lookup; 2% of the
crimes carry no LSOA code (assigned by point in polygon) and 0.5% no location. Categories and
outcomes follow the real mix of Leicestershire's published months (sample_data otherwise).
The public table is held with categorical columns (a year as Python strings would not fit
the machine); Crime IDs are blank (summaries never read them).

What is timed (fresh process per repeat):
- s_summaries_national_gated: core.publish.summaries_export.export_summaries: assignment,
  every figure, the tidy CSV (1.4 million rows), the GeoPackage and 7,200 HTML pages plus the
  index, staged, **leak-gated** and moved into place. The gate is the real one a release
  runs (summaries_export.leak_gate_for): the staged folder is read back and checked against
  a real national raw table, the bench's 500,000-row raw force extract (bench/out, loaded
  through the real loader untimed, with its MO notes, officer names, references, times and
  grid references) and its 750,000 map points. The synthetic year was not anonymised from
  that raw table (no national raw year exists), so the gate finds nothing, as on a clean
  release; its cost follows the raw rows and the output's size, both national here. The
  gate's own seconds are reported too (gate_s, gate_cpu_s). As in run_summaries, the
  gate's raw-side views are computed on a second thread while the pages are made
  (SummariesGate.start_views; gate_cpu_s is then the CPU of the process during the gate call,
  what is left of the views included). As the command line's summaries (a process of their
  own), the last pages are rendered by a forked child (export_summaries' render_beside) and
  the gate reads the last pages with a forked child beside it (read_beside:
  core.gate.folder_beside; gate_cpu_s is this process's CPU, not the children's: their CPU
  is child_cpu_s). This is the case the 20 s target is held to.
- s_summaries_national: the same without the gate (a pass-through), to show the gate's share
  (the pages rendered beside too).
- s_atlas_50: qgis_bridge.atlas.export_atlas, the PDF atlas of 50 neighbourhoods (the
  busiest) from the national summaries (made untimed in setup).
- s_outlines_100k: core.publish.neighbourhoods.read_geojson of 100,000 small square outlines
  (every output area's size: a 400-wide grid of 0.004 degree squares from 3 W, 51 N, with a
  code and a name each; written untimed to bench/out/outlines_100k.geojson), the file read
  and parsed, every ring checked. Target 3 s (it took ~7 s ring by ring).
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

from bench.harness import Case, Target, children_cpu, median, scratch_dir

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
CACHE = OUT / "summaries_national.pkl"
N_CRIMES, N_MONTHS, POINTS_PER_HOOD, SEED = 6_000_000, 13, 100, 13
SHARED = REPO.parent / "shared" / "data"


def _shared() -> Path:
    for candidate in (SHARED, REPO.parent.parent / "shared" / "data"):
        if candidate.is_dir():
            return candidate
    return SHARED


def _outlines() -> Any:
    import numpy as np

    from crime_mapper.core.publish import neighbourhoods as nb

    path = (
        _shared()
        / "boundaries"
        / ("MSOA11_outlines_dissolved_from_LSOA_BSC_stroke_unit_demographics.geojson")
    )
    if path.is_file():
        return nb.read_geojson(path, "msoa11cd")
    rings, codes = [], []
    for k in range(7200):
        x0, y0 = -5.5 + (k % 90) * 0.075, 50.3 + (k // 90) * 0.045
        ring = np.array([[x0, y0], [x0 + 0.07, y0], [x0 + 0.07, y0 + 0.04], [x0, y0 + 0.04]])
        rings.append([np.vstack([ring, ring[:1]])])
        codes.append(f"E0{k:07d}")
    return nb.Neighbourhoods(codes, list(codes), rings, np.full(7200, np.nan))


def _real_mix() -> tuple[list[str], Any, list[str], Any]:
    import pandas as pd

    folder = _shared() / "police-uk" / "leicestershire"
    files = sorted(folder.glob("*-street.csv"))[:12] or sorted(
        (REPO / "sample_data" / "police-uk").glob("2022-*/*leicestershire-street.csv")
    )
    frame = pd.concat(
        [pd.read_csv(f, usecols=["Crime type", "Last outcome category"], dtype=str,
                     keep_default_na=False) for f in files]
    )  # fmt: skip
    cats = frame["Crime type"].value_counts(normalize=True)
    outs = frame["Last outcome category"].value_counts(normalize=True)
    return list(cats.index), cats.to_numpy(), list(outs.index), outs.to_numpy()


def build() -> dict[str, Any]:
    """The national year (cached)."""
    import numpy as np
    import pandas as pd

    from crime_mapper.core.release.public_schema import PUBLIC_COLUMNS

    if CACHE.exists():
        with open(CACHE, "rb") as handle:
            return pickle.load(handle)
    rng = np.random.default_rng(SEED)
    hoods = _outlines()
    n = len(hoods)
    centres = np.array(
        [np.concatenate(r)[:, :2].mean(axis=0) if r else (np.nan, np.nan) for r in hoods.rings]
    )
    n_points = n * POINTS_PER_HOOD
    owner = np.repeat(np.arange(n), POINTS_PER_HOOD)
    lon = centres[owner, 0] + rng.normal(0, 0.002, n_points)
    lat = centres[owner, 1] + rng.normal(0, 0.0015, n_points)
    ok = np.isfinite(lon)
    lon_text = np.char.mod("%.6f", np.where(ok, lon, 0.0)).astype(object)
    lat_text = np.char.mod("%.6f", np.where(ok, lat, 0.0)).astype(object)
    weights = rng.pareto(1.5, n_points) + 0.1
    weights[~ok] = 0
    point = rng.choice(n_points, N_CRIMES, p=weights / weights.sum())
    months = [f"{2021 + (9 + m) // 12}-{(9 + m) % 12 + 1:02d}" for m in range(N_MONTHS)]
    cats, cat_p, outs, out_p = _real_mix()
    cat = rng.choice(len(cats), N_CRIMES, p=cat_p)
    out = rng.choice(len(outs), N_CRIMES, p=out_p)
    lsoa_k = point % 5
    lsoa_codes = [f"L{i:05d}{k}" for i in range(n) for k in range(5)]
    lsoa = owner[point] * 5 + lsoa_k
    no_lsoa = rng.random(N_CRIMES) < 0.02
    no_loc = rng.random(N_CRIMES) < 0.005
    lsoa = np.where(no_lsoa | no_loc, len(lsoa_codes), lsoa)
    point_code = np.where(no_loc, n_points, point)
    labels = [f"On or near Street {k}" for k in range(5000)] + ["No Location"]
    label_code = np.where(no_loc, 5000, point % 5000)

    def cat_col(codes: Any, categories: list[str]) -> pd.Categorical:
        return pd.Categorical.from_codes(codes, categories=categories)

    lon_cats = pd.Index(list(lon_text) + [""])
    lat_cats = pd.Index(list(lat_text) + [""])
    public = pd.DataFrame(
        {
            "Crime ID": cat_col(np.zeros(N_CRIMES, np.int8), [""]),
            "Month": cat_col(rng.integers(0, N_MONTHS, N_CRIMES), months),
            "Reported by": cat_col(np.zeros(N_CRIMES, np.int8), ["Synthetic Police"]),
            "Falls within": cat_col(np.zeros(N_CRIMES, np.int8), ["Synthetic Police"]),
            "Longitude": pd.Categorical.from_codes(point_code, categories=lon_cats.unique())
            if lon_cats.is_unique
            else pd.Categorical(lon_cats[point_code]),
            "Latitude": pd.Categorical.from_codes(point_code, categories=lat_cats.unique())
            if lat_cats.is_unique
            else pd.Categorical(lat_cats[point_code]),
            "Location": cat_col(label_code, labels),
            "LSOA code": cat_col(lsoa, lsoa_codes + [""]),
            "LSOA name": cat_col(np.zeros(N_CRIMES, np.int8), [""]),
            "Crime type": cat_col(cat, cats),
            "Last outcome category": cat_col(out, outs),
            "Context": cat_col(np.zeros(N_CRIMES, np.int8), [""]),
        }
    )[list(PUBLIC_COLUMNS)]
    hoods.lookup = {code: j // 5 for j, code in enumerate(lsoa_codes)}
    hoods.population = rng.integers(5000, 12000, n).astype(float)
    hoods.__post_init__()
    data = {"public": public, "hoods": hoods}
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = CACHE.with_suffix(".tmp")
    with open(tmp, "wb") as handle:
        pickle.dump(data, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, CACHE)
    return data


class _Passed:
    passed = True

    @staticmethod
    def message() -> str:
        return "gate not run in the benchmark"


def _setup_national() -> dict[str, Any]:
    data = build()
    import crime_mapper.core.publish.summaries_export  # noqa: F401 - imports untimed

    return data


def _setup_national_gated() -> dict[str, Any]:
    """The national year, the national raw extract (loaded) and its map points."""
    from bench.cases_anonymise import input_from_argv
    from bench.cases_end_to_end import _inputs
    from crime_mapper.core.load.loader import load_extracts
    from crime_mapper.core.load.mapping_profile import MappingProfile
    from crime_mapper.core.release.map_points_files import read_map_points_file

    data = dict(build())
    inputs = _inputs(input_from_argv())
    profile = MappingProfile.load(inputs["profile"])
    data["raw"] = load_extracts([inputs["raw"]], profile=profile).crimes
    data["points"] = read_map_points_file(inputs["points_csv"])
    import crime_mapper.core.gate.leak_gate  # noqa: F401 - imports untimed

    return data


def _run_national_gated(ctx: dict[str, Any], _input: Path, workdir: Path) -> dict:
    import time

    from crime_mapper.core.publish.summaries_export import export_summaries, leak_gate_for

    # (read_beside: the command line's summaries run in a process of their own)
    real_gate = leak_gate_for(ctx["raw"], ctx["points"], read_beside=True)
    spent: dict[str, float] = {}

    def gate(folder: Path, hoods: Any) -> Any:
        cpu, wall = time.process_time(), time.perf_counter()
        report = real_gate(folder, hoods)
        spent["gate_cpu_s"] = time.process_time() - cpu
        spent["gate_s"] = time.perf_counter() - wall
        return report

    # (as run_summaries: export_summaries starts the gate's raw-side views with the pages)
    gate.start_views = real_gate.start_views  # type: ignore[attr-defined]
    cpu, child = time.process_time(), children_cpu()
    # (render_beside: as run_summaries in a process of its own, the command line's)
    done = export_summaries(ctx["public"], ctx["hoods"], workdir, gate=gate, render_beside=True)
    return {
        "cpu_s": time.process_time() - cpu,
        "child_cpu_s": children_cpu() - child,  # (the forked readers and checks)
        **spent,
        "gate": done.gate_message.splitlines()[0] if done.gate_message else "",
        "raw_rows": int(len(ctx["raw"])),
        "crimes": int(len(ctx["public"])),
        "neighbourhoods": done.pages,
        "csv_rows": done.csv_rows,
    }


def _run_national(ctx: dict[str, Any], _input: Path, workdir: Path) -> dict:
    from crime_mapper.core.publish.summaries_export import export_summaries

    done = export_summaries(
        ctx["public"],
        ctx["hoods"],
        workdir,
        gate=lambda folder, hoods: _Passed(),
        render_beside=True,
    )
    return {
        "crimes": int(len(ctx["public"])),
        "neighbourhoods": done.pages,
        "csv_rows": done.csv_rows,
        "assigned": done.assignment.report(),
    }


def _setup_atlas() -> dict[str, Any]:

    import numpy as np

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import QgsApplication

    QgsApplication.setPrefixPath(os.environ.get("QGIS_PREFIX_PATH", "/usr"), True)
    app = QgsApplication([], False)
    app.initQgis()
    from crime_mapper.core.publish.summaries_export import export_summaries

    data = build()
    folder = scratch_dir("cm_bench_atlas_src_")
    done = export_summaries(
        data["public"], data["hoods"], folder, gate=lambda folder, hoods: _Passed()
    )
    s = done.summaries
    busiest = np.argsort(-s.cube[: s.n, s.month_pos(s.month), -1])[:50]
    slugs = [data["hoods"].slugs[i] for i in busiest]
    return {"app": app, "done": done, "public": data["public"], "slugs": slugs}


def _run_atlas(ctx: dict[str, Any], _input: Path, workdir: Path) -> dict:
    from crime_mapper.qgis_bridge.atlas import export_atlas

    pdf = export_atlas(ctx["done"], ctx["public"], workdir / "atlas.pdf", slugs=ctx["slugs"])
    return {"pages": len(ctx["slugs"]), "pdf_mb": round(pdf.stat().st_size / 1e6, 1)}


OUTLINES_100K = OUT / "outlines_100k.geojson"
N_OUTLINES = 100_000


def _setup_outlines_100k() -> Path:
    """The 100,000-outline GeoJSON, written once (the grid the task of issue G describes)."""
    import json

    if not OUTLINES_100K.is_file():
        features = []
        for k in range(N_OUTLINES):
            x, y = -3 + (k % 400) * 0.005, 51 + (k // 400) * 0.005
            ring = [[x, y], [x + 0.004, y], [x + 0.004, y + 0.004], [x, y + 0.004], [x, y]]
            features.append({"type": "Feature",
                             "properties": {"code": f"E{k:08d}", "name": f"Area {k}"},
                             "geometry": {"type": "Polygon", "coordinates": [ring]}})  # fmt: skip
        OUT.mkdir(parents=True, exist_ok=True)
        part = OUTLINES_100K.with_suffix(".part")
        part.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
        part.replace(OUTLINES_100K)
    return OUTLINES_100K


def _run_outlines_100k(path: Path, _input: Path, _workdir: Path) -> dict:
    from crime_mapper.core.publish.neighbourhoods import read_geojson

    hoods = read_geojson(path, "code", "name")
    return {"neighbourhoods": len(hoods), "problems": len(hoods.problems),
            "file_mb": round(path.stat().st_size / 1e6, 1)}  # fmt: skip


CASES: list[Case] = [
    Case("s_summaries_national_gated",
         "(s) summaries: 7,200 neighbourhoods, 13 months, 6M crimes (CSV+GPKG+HTML), leak "
         "gate against the 500,000-row national raw extract",
         _setup_national_gated, _run_national_gated),
    Case("s_summaries_national",
         "(s) the same without the leak gate (its share)",
         _setup_national, _run_national),
    Case("s_atlas_50", "(s) PDF atlas, 50 neighbourhoods of the national summaries",
         _setup_atlas, _run_atlas),
    Case("s_outlines_100k", "(s) neighbourhood outlines, 100,000 features (read_geojson)",
         _setup_outlines_100k, _run_outlines_100k),
]  # fmt: skip

TARGETS: list[Target] = [
    Target("neighbourhood summaries, national year, leak-gated (s), median", 20.0, "s",
           median("s_summaries_national_gated")),
    Target("PDF atlas of 50 neighbourhoods (s), median", 60.0, "s", median("s_atlas_50")),
    Target("neighbourhood outlines, 100,000 features (s), median", 3.0, "s",
           median("s_outlines_100k")),
]  # fmt: skip
