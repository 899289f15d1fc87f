"""Cut the neighbourhood slices in sample_data/neighbourhoods/ from ../shared/data.

MSOAs stand in for police neighbourhoods (see sample_data/README.md). Kept: every MSOA that
holds one of the 611 Leicestershire force-area LSOAs, its lookup rows and its names. The
MSOA features are copied as published (properties and coordinates untouched).

A second, smaller cut (``*_leicester_city.*``) keeps only the Leicester city MSOAs (MSOA name
starts "Leicester "): the demo's neighbourhoods, because its crimes are the Leicester city
slice of the force's months; with the whole force's MSOAs the force rate would divide city
crimes by the whole force's population.

    /usr/bin/python3 sample_data/cut_neighbourhoods.py ../shared/data
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "neighbourhoods"


def main(shared: Path) -> None:
    cut(shared, "leicestershire", lambda row: True)
    cut(shared, "leicester_city", lambda row: row["msoa11nm"].startswith("Leicester "))


def cut(shared: Path, label: str, keep_msoa) -> None:
    with open(
        shared / "population/lsoa11_mid2018_population_leicestershire_force_area.csv",
        encoding="utf-8-sig",
    ) as handle:
        lsoas = {row["LSOA11CD"] for row in csv.DictReader(handle)}
    with open(shared / "lookups/lsoa11_to_msoa11_lad.csv", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        lookup = [row for row in reader if row["lsoa11cd"] in lsoas and keep_msoa(row)]
        fields = reader.fieldnames
    msoas = {row["msoa11cd"] for row in lookup}
    OUT.mkdir(exist_ok=True)
    with open(OUT / f"lsoa11_to_msoa11_{label}.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(lookup)
    with open(shared / "lookups/MSOA-Names-2011_HoCL.csv", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        names = [row for row in reader if row["msoa11cd"] in msoas]
        fields = reader.fieldnames
    with open(OUT / f"msoa11_names_{label}.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(names)
    source = (
        shared
        / "boundaries/MSOA11_outlines_dissolved_from_LSOA_BSC_stroke_unit_demographics.geojson"
    )
    data = json.loads(source.read_text(encoding="utf-8"))
    data["features"] = [f for f in data["features"] if f["properties"]["msoa11cd"] in msoas]
    (OUT / f"msoa11_{label}.geojson").write_text(json.dumps(data), encoding="utf-8")
    print(len(lookup), len(names), len(data["features"]))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
