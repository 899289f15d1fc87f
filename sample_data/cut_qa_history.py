"""Cut the release QA's bundled history: month profiles of the Leicester city slice.

Why profiles, not files: the QA compares a month with the force's previous twelve, and twelve
months of even the city slice are 10 MB of CSV; their month profiles (what the QA keeps of a
month, crime_mapper.core.qa.profile) are a small JSON file, exactly the cache a force keeps
beside its releases. The slice is the one cut_samples.py cuts (rows in Leicester city LSOAs
plus every row without a location), for the twelve months before the bundled October 2022.

Usage (from the repository root):
    .venv/bin/python sample_data/cut_qa_history.py [SHARED_DATA_DIR]   # default ../shared/data
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from crime_mapper.core.load.loader import load_extracts  # noqa: E402
from crime_mapper.core.qa.profile import build_profile, profiles_json  # noqa: E402

MONTHS = [f"2021-{m:02d}" for m in (10, 11, 12)] + [f"2022-{m:02d}" for m in range(1, 10)]
OUT = HERE / "qa" / "leicester-city-2021-10-to-2022-09.qa_history.json"


def main(shared: Path) -> None:
    from cut_samples import city_or_no_location, cut

    profiles = []
    with tempfile.TemporaryDirectory() as tmp:
        for month in MONTHS:
            name = f"{month}-leicestershire-street.csv"
            src = shared / "police-uk" / "leicestershire" / name
            dst = Path(tmp) / name
            cut(src, dst, city_or_no_location("Leicester "))
            load = load_extracts([str(dst)])
            profiles.append(build_profile(load.crimes, month, load.rejects))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(profiles_json(profiles), encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes, {len(profiles)} months)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent.parent / "shared" / "data")
