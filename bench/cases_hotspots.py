"""Benchmark cases for the hotspots stage (registered by bench/run_bench.py).

Inputs (built untimed in `setup`, cached under bench/out/):
- a force year: 300,000 crimes resampled (with replacement, fixed seed) from the real
  Leicestershire police.uk points of ../shared/data (35 months, about 300,000 rows) or, in a
  plain clone, from sample_data; kept as a crimes-like GeoPackage (WGS84, month, crime_type,
  written by core.io.gpkg_write) and, for QGIS's own KDE, a point GeoPackage in British
  National Grid;
- the national month: the harness's generated national CSV (bench/out, 500,000 crimes),
  read and projected in setup (the reader is benchmarked by the load cases).

What is timed (each case in a fresh process, once per repeat):
- h_grid_force: points_from_layer on the force-year GeoPackage (read + project) + run_grid at
  250 m (counts, polygon GeoPackage, stored style): the dock's whole job for a grid;
- h_gi_force: run_gi at 250 m with FDR (grid, Gi*, GeoPackage, style) on projected points;
- h_kde_force: run_kde at 50 m cells, automatic bandwidth (surface, GeoTIFF, style);
- h_kde_exact_force: the same with method="exact" (the kernel sum at every pixel centre, the
  accuracy of QGIS's heatmap; h_kde_force uses linear binning with its stated error bound);
- h_kde_qgis_force: native:heatmapkerneldensityestimation on the same points, RADIUS = our
  automatic bandwidth, PIXEL_SIZE 50, quartic kernel (KERNEL 0), raw density output;
- h_grid_national / h_gi_national / h_kde_national: the same on the national month (KDE at
  250 m: 50 m cells over England and Wales would exceed the maximum raster size by design);
- h_gi_100k: core.hotspots.getis_ord.gi_star alone on about 100,000 cells (national month, cell size
  chosen in setup to give ~100k cells with their ring of neighbours; the count is reported).
"""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import Any

from bench.harness import Case, Target, median, ratio

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
FORCE_ROWS = 300_000
SEED = 20221
FORCE_LON, FORCE_LAT = (-1.61, -0.66), (52.39, 52.98)  # Leicestershire force area bounds


def _app() -> Any:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import QgsApplication

    QgsApplication.setPrefixPath(os.environ.get("QGIS_PREFIX_PATH", "/usr"), True)
    app = QgsApplication([], False)
    app.initQgis()
    return app


def _leicestershire_files() -> list[str]:
    shared = REPO.parent / "shared" / "data" / "police-uk" / "leicestershire"
    files = sorted(glob.glob(str(shared / "*-leicestershire-street.csv")))
    if not files:
        files = sorted(
            glob.glob(str(REPO / "sample_data" / "police-uk" / "*" / "*-leicestershire-street.csv"))
        )
    return files


def force_year_gpkg() -> Path:
    """The 300,000-crime force-year GeoPackage (crimes-like: WGS84 points, month, type)."""
    path = OUT / f"force_year_{FORCE_ROWS}.gpkg"
    if path.exists():
        return path
    import numpy as np
    import pandas as pd

    from crime_mapper.core.io import gpkg_write

    frames = [
        pd.read_csv(f, usecols=["Month", "Longitude", "Latitude", "Crime type"])
        for f in _leicestershire_files()
    ]
    real = pd.concat(frames, ignore_index=True).dropna(subset=["Longitude", "Latitude"])
    # the force area (a police.uk force file also holds a few points far outside it)
    real = real[real["Longitude"].between(*FORCE_LON) & real["Latitude"].between(*FORCE_LAT)]
    rng = np.random.default_rng(SEED)
    pick = rng.integers(0, len(real), FORCE_ROWS)
    sample = real.iloc[pick].reset_index(drop=True)
    months = [f"2022-{m:02d}" for m in range(1, 13)]
    frame = pd.DataFrame(
        {
            "longitude": sample["Longitude"].to_numpy(dtype="float64"),
            "latitude": sample["Latitude"].to_numpy(dtype="float64"),
            "month": pd.Categorical(rng.choice(months, FORCE_ROWS), categories=months),
            "crime_type": pd.Categorical(sample["Crime type"].astype(str)),
        }
    )
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.gpkg")
    if tmp.exists():
        tmp.unlink()
    gpkg_write.write_geopackage(
        tmp,
        [gpkg_write.PointTable("crimes", frame, {"month": "category", "crime_type": "category"})],
    )
    os.replace(tmp, path)
    return path


def _force_points() -> Any:
    from crime_mapper.qgis_bridge.hotspot_input import points_from_layer

    return points_from_layer(str(force_year_gpkg()))


def force_bng_gpkg(points: Any) -> Path:
    """The force-year points in British National Grid, for native:heatmapkerneldensity."""
    path = OUT / f"force_year_{FORCE_ROWS}_bng.gpkg"
    if path.exists():
        return path
    from osgeo import ogr, osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(27700)
    tmp = path.with_suffix(".tmp.gpkg")
    if tmp.exists():
        tmp.unlink()
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(tmp))
    layer = ds.CreateLayer("points", srs, ogr.wkbPoint)
    defn = layer.GetLayerDefn()
    layer.StartTransaction()
    for x, y in zip(points.x.tolist(), points.y.tolist()):
        feature = ogr.Feature(defn)
        geometry = ogr.Geometry(ogr.wkbPoint)
        geometry.AddPoint_2D(x, y)
        feature.SetGeometry(geometry)
        layer.CreateFeature(feature)
    layer.CommitTransaction()
    ds = None
    os.replace(tmp, path)
    return path


def _national_points(input_path: Path) -> Any:
    import numpy as np
    import pandas as pd

    from crime_mapper.core.common.geography import WGS84, transform
    from crime_mapper.core.common.projection import choose_crs
    from crime_mapper.core.hotspots.points import HotspotPoints

    frame = pd.read_csv(input_path, usecols=["Longitude", "Latitude"]).dropna()
    lon = frame["Longitude"].to_numpy(dtype=np.float64)
    lat = frame["Latitude"].to_numpy(dtype=np.float64)
    crs = choose_crs(lon, lat)
    x, y = transform(lon, lat, WGS84, crs)
    return HotspotPoints(x=x, y=y, crs=crs, source_name="national month")


# --- setups (untimed) ------------------------------------------------------------------------


def _setup_force() -> Any:
    app = _app()
    force_year_gpkg()
    return {"app": app}


def _setup_force_points() -> Any:
    app = _app()
    return {"app": app, "points": _force_points()}


def _setup_qgis_kde() -> Any:
    import sys

    app = _app()
    sys.path.insert(0, "/usr/share/qgis/python/plugins")
    from processing.core.Processing import Processing

    Processing.initialize()
    from qgis.analysis import QgsNativeAlgorithms
    from qgis.core import QgsApplication

    if QgsApplication.processingRegistry().providerById("native") is None:
        QgsApplication.processingRegistry().addProvider(QgsNativeAlgorithms())
    from crime_mapper.core.hotspots.kde import _default_bandwidth

    points = _force_points()
    bandwidth, _ = _default_bandwidth(points.x, points.y, 50.0)
    registry = QgsApplication.processingRegistry()
    # native:... from QGIS 3.26 (C++); qgis:... on 3.22 (the Python original)
    alg = next(
        a
        for a in ("native:heatmapkerneldensityestimation", "qgis:heatmapkerneldensityestimation")
        if registry.algorithmById(a) is not None
    )
    return {"app": app, "path": force_bng_gpkg(points), "bandwidth": bandwidth, "alg": alg}


def _setup_national() -> Any:
    """The national month (the harness's generated CSV), read and projected untimed."""
    from bench.generate_national_month import default_path

    app = _app()
    return {"app": app, "points": _national_points(default_path())}


# --- timed runs ------------------------------------------------------------------------------


def _run_grid_force(ctx: Any, _input: Path, workdir: Path) -> dict:
    from crime_mapper.qgis_bridge.hotspot_input import points_from_layer
    from crime_mapper.qgis_bridge.hotspot_layers import run_grid

    points = points_from_layer(str(force_year_gpkg()))
    out = run_grid(points, workdir / "grid.gpkg", cell_size_m=250.0)
    return {
        "crimes": out.crimes,
        "cells": out.cells,
        **{f"{k}_s": round(v, 3) for k, v in out.timings.items()},
    }


def _run_gi_force(ctx: Any, _input: Path, workdir: Path) -> dict:
    from crime_mapper.qgis_bridge.hotspot_layers import run_gi

    out = run_gi(ctx["points"], workdir / "gi.gpkg", cell_size_m=250.0, fdr=True)
    return {
        "crimes": out.crimes,
        "cells": out.cells,
        "hot_cells": out.facts["hot_cells"],
        **{f"{k}_s": round(v, 3) for k, v in out.timings.items()},
    }


def _run_kde_force(ctx: Any, _input: Path, workdir: Path) -> dict:
    from crime_mapper.qgis_bridge.hotspot_layers import run_kde

    return _kde_facts(run_kde(ctx["points"], workdir / "kde.tif", cell_m=50.0))


def _run_kde_exact_force(ctx: Any, _input: Path, workdir: Path) -> dict:
    """The exact kernel sum at every pixel centre: the same accuracy as QGIS's heatmap."""
    from crime_mapper.qgis_bridge.hotspot_layers import run_kde

    return _kde_facts(run_kde(ctx["points"], workdir / "kde.tif", cell_m=50.0, method="exact"))


def _kde_facts(out: Any) -> dict:
    return {
        "crimes": out.crimes,
        "cells": out.cells,
        "bandwidth_m": out.facts["bandwidth_m"],
        "raster": f"{out.facts['cols']}x{out.facts['rows']}",
        "method": out.facts["method"],
        "error_per_crime": round(out.facts["error_per_crime"], 4),
        "left_out": out.facts["left_out"],
        **{f"{k}_s": round(v, 3) for k, v in out.timings.items()},
    }


def _run_kde_qgis(ctx: Any, _input: Path, workdir: Path) -> dict:
    import processing

    result = processing.run(
        ctx["alg"],
        {
            "INPUT": f"{ctx['path']}|layername=points",
            "RADIUS": ctx["bandwidth"],
            "PIXEL_SIZE": 50.0,
            "KERNEL": 0,
            "OUTPUT_VALUE": 0,
            "DECAY": 0,
            "OUTPUT": str(workdir / "qgis_kde.tif"),
        },
    )
    from osgeo import gdal

    ds = gdal.Open(result["OUTPUT"])
    size = f"{ds.RasterXSize}x{ds.RasterYSize}"
    ds = None
    return {"algorithm": ctx["alg"], "radius_m": round(ctx["bandwidth"], 1), "raster": size}


def _run_grid_national(ctx: Any, _input: Path, workdir: Path) -> dict:
    from crime_mapper.qgis_bridge.hotspot_layers import run_grid

    out = run_grid(ctx["points"], workdir / "grid.gpkg", cell_size_m=500.0)
    return {
        "crimes": out.crimes,
        "cells": out.cells,
        **{f"{k}_s": round(v, 3) for k, v in out.timings.items()},
    }


def _run_gi_national(ctx: Any, _input: Path, workdir: Path) -> dict:
    from crime_mapper.qgis_bridge.hotspot_layers import run_gi

    out = run_gi(ctx["points"], workdir / "gi.gpkg", cell_size_m=500.0, fdr=True)
    return {
        "crimes": out.crimes,
        "cells": out.cells,
        "hot_cells": out.facts["hot_cells"],
        **{f"{k}_s": round(v, 3) for k, v in out.timings.items()},
    }


def _run_kde_national(ctx: Any, _input: Path, workdir: Path) -> dict:
    from crime_mapper.qgis_bridge.hotspot_layers import run_kde

    return _kde_facts(run_kde(ctx["points"], workdir / "kde.tif", cell_m=250.0))


def _setup_gi_100k() -> Any:
    """National month, hexagon size chosen (bisection, untimed) for ~100,000 cells."""
    from bench.generate_national_month import default_path
    from crime_mapper.core.hotspots.hexgrid import HexGrid, grid_counts

    path = default_path()
    points = _national_points(path)
    low, high = 50.0, 5000.0
    counts = None
    for _ in range(25):
        size = (low * high) ** 0.5
        counts = grid_counts(
            points.x, points.y, HexGrid(size, points.crs), rings=1, max_cells=10_000_000
        )
        if abs(len(counts) - 100_000) < 2_000:
            break
        if len(counts) > 100_000:
            low = size
        else:
            high = size
    return {"counts": counts, "size": size}


def _run_gi_100k(ctx: Any, _input: Path, _workdir: Path) -> dict:
    from crime_mapper.core.hotspots.getis_ord import gi_star

    counts = ctx["counts"]
    result = gi_star(counts.q, counts.r, counts.count, rings=1, fdr=True)
    return {
        "cells": int(len(counts)),
        "cell_size_m": round(ctx["size"], 1),
        "hot_cells": int((result.hotspot_class > 0).sum()),
    }


CASES: list[Case] = [
    Case("h_grid_force", "hotspots: read layer + grid 250 m + GPKG, force year 300k",
         _setup_force, _run_grid_force),
    Case("h_gi_force", "hotspots: Gi* 250 m (FDR) + GPKG, force year 300k",
         _setup_force_points, _run_gi_force),
    Case("h_kde_force", "hotspots: KDE 50 m + GeoTIFF, force year 300k",
         _setup_force_points, _run_kde_force),
    Case("h_kde_exact_force", "hotspots: KDE 50 m, exact kernel sum (as QGIS), force year 300k",
         _setup_force_points, _run_kde_exact_force),
    Case("h_kde_qgis_force", "QGIS heatmapkerneldensityestimation 50 m (quartic), same input",
         _setup_qgis_kde, _run_kde_qgis),
    Case("h_grid_national", "hotspots: grid 500 m + GPKG, national month 500k",
         _setup_national, _run_grid_national),
    Case("h_gi_national", "hotspots: Gi* 500 m (FDR) + GPKG, national month 500k",
         _setup_national, _run_gi_national),
    Case("h_kde_national", "hotspots: KDE 250 m + GeoTIFF, national month 500k",
         _setup_national, _run_kde_national),
    Case("h_gi_100k", "hotspots: gi_star alone on ~100,000 cells (national month)",
         _setup_gi_100k, _run_gi_100k),
]  # fmt: skip

TARGETS: list[Target] = [
    Target("Gi* on ~100,000 cells (h_gi_100k), median", 2.0, "s", median("h_gi_100k")),
    Target("KDE 50 m over a force area (h_kde_force), median", 10.0, "s",
           median("h_kde_force")),
    Target("grid, force year incl. layer (h_grid_force), median", 2.0, "s",
           median("h_grid_force")),
    Target("grid, national month (h_grid_national), median", 2.0, "s",
           median("h_grid_national")),
    Target("our KDE / QGIS native KDE, same input (h_kde_force / h_kde_qgis_force)", 1.0, "x",
           ratio("h_kde_force", "h_kde_qgis_force")),
    Target("COMPARISON only: exact KDE / QGIS native KDE, both the exact kernel sum "
           "(h_kde_exact_force / h_kde_qgis_force)", 2.0, "x",
           ratio("h_kde_exact_force", "h_kde_qgis_force")),
]  # fmt: skip
