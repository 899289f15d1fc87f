"""Calibrate the disclosure coincidence test on real police.uk-style releases.

Why: the release refuses locations that coincide with the true ones far more often than
anonymisation allows (core/release/disclosure.py). Its thresholds must pass every honest
release, so they are measured here: each real police.uk month in ../shared/data is turned back
into a raw force extract (tests/support/raw_extract.py: true locations inside the published
point's catchment, to the metre), and the displacement from each true location to its nearest
map point (where anonymising puts it) is measured. Prints, per month, the share of located
crimes within 1, 2, 5 and 10 m and the median displacement, then the worst month per figure::

    /usr/bin/python3 -m tools.calibrate_disclosure [--force leicestershire]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from scipy.spatial import cKDTree  # noqa: E402

from crime_mapper.core.common.geography import BRITISH_NATIONAL_GRID, WGS84, transform  # noqa: E402
from crime_mapper.core.gate.scan import coordinate_keys, member, tolerant_keys  # noqa: E402
from crime_mapper.core.load.loader import load_extracts  # noqa: E402
from crime_mapper.core.release.disclosure import (  # noqa: E402
    displacement_figures,
    points_at_crimes,
)
from crime_mapper.core.release.map_points import map_points_from_history  # noqa: E402
from tests.support.raw_extract import make_raw_extract  # noqa: E402

SHARED = REPO.parent / "shared" / "data" / "police-uk"


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--force", action="append", help="a folder of ../shared/data/police-uk")
    parser.add_argument("--shared", type=Path, default=SHARED, help="the police-uk folder")
    args = parser.parse_args(argv)
    shared = args.shared
    forces = args.force or sorted(p.name for p in shared.iterdir() if p.is_dir())
    rows = []
    for force in forces:
        files = sorted((shared / force).glob("*-street.csv"))
        hist = load_extracts([str(p) for p in files])
        points = map_points_from_history(hist.crimes)
        px, py, _zone = points.projected()
        for path in files:
            month = path.name[:7]
            published = hist.crimes[hist.crimes["month"].astype(str) == month]
            extract = make_raw_extract(published, points)
            t = extract.truth
            ok = t["has_location"].to_numpy(bool)
            tx, ty = t["true_x"].to_numpy(float)[ok], t["true_y"].to_numpy(float)[ok]
            fig = displacement_figures(tx, ty, px, py)
            nearest = cKDTree(np.column_stack([px, py])).query(np.column_stack([tx, ty]))[1]
            used = np.unique(nearest)
            at = points_at_crimes(px[used], py[used], [(tx, ty)])
            fig["points_at_crimes"] = float(at.mean())
            tlon, tlat = transform(tx, ty, BRITISH_NATIONAL_GRID, WGS84)
            keys = tolerant_keys(points.longitude[used], points.latitude[used])
            fig["gate_share"] = float(member(coordinate_keys(tlon, tlat), keys).mean())
            rows.append((force, month, fig))
            print(
                f"{force:15s} {month} located {fig['located']:6d}  "
                + "  ".join(f"<={d}m {fig['share_within'][str(d)]:.4f}" for d in (1, 2, 5, 10))
                + f"  median {fig['median_m']:.1f} m  points at crimes "
                f"{fig['points_at_crimes']:.3f}  gate share {fig['gate_share']:.4f}",
                flush=True,
            )
    for d in (1, 2, 5, 10):
        worst = max(rows, key=lambda r: r[2]["share_within"][str(d)])
        print(
            f"highest share within {d} m: {worst[2]['share_within'][str(d)]:.4f} ({worst[0]} "
            f"{worst[1]})"
        )
    worst = min(rows, key=lambda r: r[2]["median_m"])
    print(f"lowest median displacement: {worst[2]['median_m']:.1f} m ({worst[0]} {worst[1]})")
    for key in ("points_at_crimes", "gate_share"):
        worst = max(rows, key=lambda r: r[2][key])
        print(f"highest {key}: {worst[2][key]:.4f} ({worst[0]} {worst[1]})")
    print(f"months: {len(rows)}; medians {np.median([r[2]['median_m'] for r in rows]):.1f} m")
    return 0


if __name__ == "__main__":
    sys.exit(main())
