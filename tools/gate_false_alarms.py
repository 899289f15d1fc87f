"""Measure the leak gate's false-alarm rate on real police.uk months (issue 9).

Why: every check the gate gained (references retyped, times written other ways, rounded grid
references, other-case values, free-text fragments, phone numbers, coincidence with true
locations) must fire on leaks and never on honest output. Each real police.uk month is an
honest public output: it is checked here against a raw force extract made from it
(tests/support/raw_extract.py: true locations in the catchments, exact times, references,
offences, notes full of names, addresses and phone numbers), with the map points of its
force's whole history. A false alarm is any failed check. Prints one line per month and the
rate::

    /usr/bin/python3 -m tools.gate_false_alarms [--shared ../shared/data/police-uk]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from crime_mapper.core.gate.leak_gate import check_release  # noqa: E402
from crime_mapper.core.load.loader import load_extracts  # noqa: E402
from crime_mapper.core.load.mapping_profile import MappingProfile  # noqa: E402
from crime_mapper.core.release.map_points import map_points_from_history  # noqa: E402
from tests.support.raw_extract import BUNDLED_HISTORY, make_raw_extract  # noqa: E402

SHARED = REPO.parent / "shared" / "data" / "police-uk"


def false_alarms(history: list, outputs: dict, workdir: Path) -> list[dict]:
    """Per month of ``outputs`` (month -> the published police.uk street CSV): the gate's
    verdict on that file against a raw extract made from it, with the history's points."""
    hist = load_extracts([str(p) for p in history])
    points = map_points_from_history(hist.crimes)
    results = []
    for month, csv_path in sorted(outputs.items()):
        started = time.perf_counter()
        published = hist.crimes[hist.crimes["month"].astype(str) == month]
        extract = make_raw_extract(published, points)
        raw_path = extract.write(Path(workdir) / f"{month}-raw.csv")
        profile = Path(workdir) / f"{month}-profile.json"
        extract.profile.save(profile)
        raw = load_extracts([str(raw_path)], profile=MappingProfile.load(profile)).crimes
        report = check_release(raw, csv_path, points)
        results.append(
            {
                "month": month,
                "file": Path(csv_path).name,
                "passed": report.passed,
                "message": report.message(),
                "seconds": time.perf_counter() - started,
            }
        )
    return results


def shared_runs(shared: Path) -> list[tuple[list, dict]]:
    """(history files, month -> street CSV) for each force folder of ../shared/data."""
    runs = []
    for force in sorted(p for p in shared.iterdir() if p.is_dir()):
        files = sorted(force.glob("*-street.csv"))
        if files:
            runs.append((files, {p.name[:7]: p for p in files}))
    return runs


def bundled_runs() -> list[tuple[list, dict]]:
    """The bundled Leicester months: 2022-09's street CSV checked with both months' points."""
    september = sorted(Path(BUNDLED_HISTORY[0]).glob("*-street.csv"))
    return [(list(BUNDLED_HISTORY), {p.name[:7]: p for p in september})]


def main(argv: Optional[list] = None) -> int:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=SHARED, help="the police-uk folder")
    args = parser.parse_args(argv)
    runs = shared_runs(args.shared) if args.shared.is_dir() else bundled_runs()
    total = alarms = 0
    with tempfile.TemporaryDirectory() as tmp:
        for history, outputs in runs:
            for r in false_alarms(history, outputs, Path(tmp)):
                total += 1
                alarms += not r["passed"]
                verdict = "passed" if r["passed"] else "FALSE ALARM\n" + r["message"]
                print(f"{r['file']}: {verdict} ({r['seconds']:.1f} s)", flush=True)
    print(f"false alarms: {alarms} of {total} months ({alarms / max(total, 1):.1%})")
    return 1 if alarms else 0


if __name__ == "__main__":
    sys.exit(main())
