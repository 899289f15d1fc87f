"""Cut the summaries' public history for the demo: Leicester city's published police.uk
street-level months October 2021 to August 2022 (the eleven months before the bundled
September), with the same row filter as cut_samples.py (city LSOAs plus rows without a
location) and the published line bytes except one change: the Crime ID is emptied on every
row (the summaries never read it, and its 64 random hex digits are four fifths of the
compressed size: 0.5 MB instead of 2.4 MB). Packed like the data.police.uk monthly archive
(members ``YYYY-MM/YYYY-MM-leicestershire-street.csv``, timestamps fixed so the zip is
reproducible). With September (sample_data/police-uk/2022-09) and the month being released,
the demo's neighbourhood pages get a full 12-month trend, a change on a year earlier and a
Poisson test on the previous twelve months.

    /usr/bin/python3 sample_data/cut_summaries_history.py ../shared/data
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MONTHS = [f"2021-{m:02d}" for m in (10, 11, 12)] + [f"2022-{m:02d}" for m in range(1, 9)]
OUT = HERE / "police-uk" / "history" / "leicester-city-2021-10-to-2022-08.zip"
STAMP = (2022, 12, 1, 0, 0, 0)


def _cut_samples():
    spec = importlib.util.spec_from_file_location("cut_samples", HERE / "cut_samples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def without_crime_ids(data: bytes) -> bytes:
    """The CSV bytes with each row's leading 64-hex Crime ID removed (the comma kept);
    every other byte as published. Refuses a row it cannot read that way."""
    lines = data.split(b"\r\n")
    out = [lines[0]]
    for line in lines[1:]:
        head, comma, rest = line.partition(b",")
        if head and not (len(head) == 64 and all(c in b"0123456789abcdef" for c in head)):
            raise ValueError(f"unexpected Crime ID field: {head[:80]!r}")
        out.append(comma + rest if head else line)
    return b"\r\n".join(out)


def main(shared: Path) -> None:
    samples = _cut_samples()
    keep = samples.city_or_no_location("Leicester ")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(OUT, "w") as archive:
        for month in MONTHS:
            name = f"{month}-leicestershire-street.csv"
            dst = Path(tmp) / name
            rows += len(samples.cut(shared / "police-uk" / "leicestershire" / name, dst, keep))
            info = zipfile.ZipInfo(f"{month}/{name}", STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, without_crime_ids(dst.read_bytes()), compresslevel=9)
    print(f"{OUT.relative_to(HERE.parent)}: {len(MONTHS)} months, {rows:,} rows")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent.parent / "shared" / "data")
