"""Generate a national-scale set of anonymous map points (750,000) for the anonymise benchmarks.

Why: issue 3 states its speed targets as 500,000 crimes snapped to 750,000 map points, and no
national master list of map points is public. This builds a stand-in that matches the national
month made by bench/generate_national_month.py, deterministically:

- every distinct published point of that month is a map point (with its label and LSOA), as
  in police.uk, where every published point comes from the master list (about 295,000);
- the rest are the month's points moved by 25 to 400 m in a random direction, keeping the
  label of the point they were made from: more points in the same streets and the same urban
  centres, so densities stay national-style (dense city centres, sparser suburbs) and many
  map points receive no crime in the month, as on police.uk;
- coordinates at police.uk's 6 decimals, distinct at 6 decimals, all inside the UK outline.

The result is cached as a map-points CSV (core.release.map_points.write_map_points_csv) under
bench/out/ and rebuilt when the national month is newer than it.

Usage:
    /usr/bin/python3 -m bench.generate_map_points [--points 750000] [--seed 7500]
        [--month-file bench/out/2022-10-national-street.csv] [--out FILE]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "bench" / "out"
DEFAULT_POINTS = 750_000
DEFAULT_SEED = 7500
MIN_SHIFT_M, MAX_SHIFT_M = 25.0, 400.0
METRES_PER_DEGREE = 111_320.0


def default_path(points: int = DEFAULT_POINTS) -> Path:
    return OUT_DIR / f"map-points-{points}.csv"


def month_points(month_file: Path) -> pd.DataFrame:
    """The distinct published points of a police.uk-format month: lon, lat, label, LSOA."""
    frame = pd.read_csv(
        month_file,
        dtype=str,
        keep_default_na=False,
        usecols=["Longitude", "Latitude", "Location", "LSOA code", "LSOA name"],
    )
    frame = frame[frame["Longitude"] != ""]
    frame = frame.drop_duplicates(["Longitude", "Latitude"], keep="first")
    label = frame["Location"].str.replace(r"^On or near ", "", regex=True)
    return pd.DataFrame({
        "lon": frame["Longitude"].astype(float).to_numpy(),
        "lat": frame["Latitude"].astype(float).to_numpy(),
        "label": label.to_numpy(dtype=object),
        "lsoa_code": frame["LSOA code"].to_numpy(dtype=object),
        "lsoa_name": frame["LSOA name"].to_numpy(dtype=object),
    })  # fmt: skip


def generate(month_file: Path, points: int = DEFAULT_POINTS, seed: int = DEFAULT_SEED):
    """A MapPoints of exactly ``points`` points (see the module docstring)."""
    from crime_mapper.core.common.geography import inside_uk
    from crime_mapper.core.release.map_points import map_points_from_arrays

    rng = np.random.default_rng(seed)
    base = month_points(month_file)
    if len(base) >= points:
        base = base.iloc[np.sort(rng.choice(len(base), points, replace=False))]
    parts = [base]

    def key(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        return (np.round(lon * 1e6).astype(np.int64) << 32) + np.round(lat * 1e6).astype(np.int64)

    have = key(base["lon"].to_numpy(), base["lat"].to_numpy())
    missing = points - len(base)
    while missing > 0:
        take = rng.integers(0, len(base), int(missing * 1.1) + 16)
        src = base.iloc[take]
        shift = rng.uniform(MIN_SHIFT_M, MAX_SHIFT_M, take.size)
        angle = rng.uniform(0, 2 * np.pi, take.size)
        lat = src["lat"].to_numpy() + shift * np.sin(angle) / METRES_PER_DEGREE
        lon = src["lon"].to_numpy() + shift * np.cos(angle) / (
            METRES_PER_DEGREE * np.cos(np.radians(src["lat"].to_numpy()))
        )
        lon, lat = np.round(lon, 6), np.round(lat, 6)
        keys = key(lon, lat)
        _, first = np.unique(keys, return_index=True)  # one candidate per new coordinate
        ok = np.zeros(take.size, dtype=bool)
        ok[first] = True
        ok &= ~np.isin(keys, have) & inside_uk(lon, lat)
        keep = np.flatnonzero(ok)[:missing]
        new = src.iloc[keep].copy()
        new["lon"], new["lat"] = lon[keep], lat[keep]
        parts.append(new)
        have = np.concatenate([have, keys[keep]])
        missing -= keep.size
    every = pd.concat(parts, ignore_index=True)
    return map_points_from_arrays(
        every["lon"].to_numpy(),
        every["lat"].to_numpy(),
        every["label"].to_numpy(dtype=object),
        source="layer",
        lsoa_code=every["lsoa_code"].to_numpy(dtype=object),
        lsoa_name=every["lsoa_name"].to_numpy(dtype=object),
    )


def ensure(month_file: Path, points: int = DEFAULT_POINTS, out: Path | None = None) -> Path:
    """The cached map-points CSV, (re)built when missing or older than the month file."""
    from crime_mapper.core.release.map_points import write_map_points_csv

    path = out or default_path(points)
    if path.exists() and path.stat().st_mtime >= Path(month_file).stat().st_mtime:
        return path
    started = time.perf_counter()
    generated = generate(Path(month_file), points)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_map_points_csv(generated, path)
    print(
        f"wrote {len(generated):,} map points to {path} in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return path


def main(argv: list[str] | None = None) -> Path:
    from bench import generate_national_month as national

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=DEFAULT_POINTS)
    parser.add_argument("--month-file", type=Path, default=national.default_path())
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if not args.month_file.exists():
        national.write(national.generate(), args.month_file)
    out = args.out or default_path(args.points)
    if out.exists():
        out.unlink()  # an explicit run always rebuilds
    return ensure(args.month_file, args.points, out)


if __name__ == "__main__":
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    main()
