"""Rebuild sample_data/force/: a synthetic raw force extract for the demo and tests.

Why synthetic: a real force's records-system extract holds exact locations, references and
free text that can never be published, so no real one can be bundled. This one is made from
the real published police.uk October 2022 Leicester slice by the same generator the police.uk
recovery test uses (tests/support/raw_extract.py): each crime is given an invented true
location inside the catchment of the map point police.uk published it at, an exact date and
time in the month, a reference, an offence description or Home Office code, a free-text note
and an officer's name (all invented). Map points come from the two bundled months.

Usage (from the repository root): /usr/bin/python3 sample_data/make_force_extract.py
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crime_mapper.core.load.loader import load_extracts  # noqa: E402
from crime_mapper.core.release.map_points import map_points_from_history  # noqa: E402
from tests.support.raw_extract import make_raw_extract  # noqa: E402

SAMPLE = REPO / "sample_data"
OUT = SAMPLE / "force" / "2022-10-leicestershire-force-extract.csv"
PROFILE = SAMPLE / "force" / "leicestershire-force-extract.profile.json"


def main() -> int:
    history = load_extracts([SAMPLE / "police-uk" / "2022-09", SAMPLE / "police-uk" / "2022-10"])
    points = map_points_from_history(history.crimes)
    october = history.crimes[history.crimes["month"] == "2022-10"]
    extract = make_raw_extract(october, points)
    extract.write(OUT)
    extract.profile.save(PROFILE)
    print(f"{OUT}: {len(extract.frame):,} rows; profile {PROFILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
