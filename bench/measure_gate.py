"""Time the leak gate alone on the national month's public CSV and GeoPackage (issue 15's
target: both in at most 3 s), as issue 9 widened it.

Why separate from ``make bench``: the gate is a part of case (e); this isolates it, so a
change to the gate is measured on its own. Inputs are the bench's cached files (``bench/out``:
the raw national force extract and its profile, the 750,000 map points, and the national
release the end-to-end case wrote), or the paths given::

    /usr/bin/python3 -m bench.measure_gate [--out bench/out] [--repeats 3] [--style X.qml]

Loading is untimed; each repeat builds a fresh raw-side preparation and checks the CSV and
the GeoPackage with it (as the release pipeline does). Prints each repeat and the median.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--style",
        type=Path,
        default=None,
        help="a .qml written beside the GeoPackage, checked third with the same preparation "
        "(as the QGIS-side release does); its time and the peak memory are printed too",
    )
    args = parser.parse_args(argv)
    from crime_mapper.core.gate.leak_gate import check_release, prepare_gate
    from crime_mapper.core.load.loader import load_extracts
    from crime_mapper.core.load.mapping_profile import MappingProfile
    from crime_mapper.core.release.map_points import read_map_points_csv

    out = args.out
    raw_csv = out / "2022-10-national-street-raw-force-extract.csv"
    profile = MappingProfile.load(out / "2022-10-national-street-raw-force-extract.profile.json")
    release = out / "e2e-release"
    public_csv = next(iter(sorted(release.glob("*-street.csv"))))
    public_gpkg = public_csv.with_suffix(".gpkg")
    started = time.perf_counter()
    raw = load_extracts([str(raw_csv)], profile=profile).crimes
    points = read_map_points_csv(out / "map-points-750000.csv")
    print(
        f"loaded {len(raw):,} raw rows, {len(points):,} points in "
        f"{time.perf_counter() - started:.1f} s (untimed)",
        flush=True,
    )
    times, cpu = [], []
    for i in range(args.repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        prepared = prepare_gate(raw, points)
        csv_report = check_release(raw, public_csv, points, prepared=prepared)
        t1 = time.perf_counter()
        gpkg_report = check_release(raw, public_gpkg, points, prepared=prepared)
        t2, c2 = time.perf_counter(), time.process_time()
        times.append(t2 - t0)
        cpu.append(c2 - c0)
        style = ""
        if args.style is not None:
            style_report = check_release(raw, args.style, points, prepared=prepared)
            t3, c3 = time.perf_counter(), time.process_time()
            style = (
                f"; style {t3 - t2:.2f} s (CPU {c3 - c2:.2f} s, passed: {style_report.passed}); "
                f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
            )
        print(
            f"run {i + 1}: CSV {t1 - t0:.2f} s, GeoPackage {t2 - t1:.2f} s, both "
            f"{t2 - t0:.2f} s (CPU {c2 - c0:.2f} s); passed: "
            f"{csv_report.passed and gpkg_report.passed}{style}",
            flush=True,
        )
        if not (csv_report.passed and gpkg_report.passed):
            print(csv_report.message(), gpkg_report.message(), sep="\n")
    print(
        f"median of {len(times)}: {statistics.median(times):.2f} s wall, "
        f"{statistics.median(cpu):.2f} s CPU (target <= 3 s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
