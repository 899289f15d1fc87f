"""Real inputs for the neighbourhood tests: ../shared/data when present (all 35 published
Leicestershire months, MSOAs as neighbourhoods, ONS populations), else the committed slices
in sample_data/ (two months of Leicester city and the same MSOA, lookup and population files),
so a plain clone runs the same tests on less data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

REPO = Path(__file__).resolve().parents[2]


def _shared() -> Path:
    """../shared/data beside the checkout (CI, /work/main), or two up (a git worktree under
    /work/wt/NAME), or CRIME_MAPPER_SHARED_DATA."""
    env = os.environ.get("CRIME_MAPPER_SHARED_DATA")
    for candidate in ([Path(env)] if env else []) + [
        REPO.parent / "shared" / "data",
        REPO.parent.parent / "shared" / "data",
    ]:
        if candidate.is_dir():
            return candidate
    return REPO.parent / "shared" / "data"


SHARED = _shared()
SAMPLE = REPO / "sample_data"


@dataclass(frozen=True)
class NeighbourhoodData:
    street_csvs: tuple[Path, ...]
    msoa_geojson: Path
    lookup_csv: Path
    names_csv: Path
    population_csv: Path
    full: bool  # True with ../shared (35 months), False with the committed slices


def leicestershire() -> NeighbourhoodData:
    population = "lsoa11_mid2018_population_leicestershire_force_area.csv"
    hoods = SAMPLE / "neighbourhoods"
    if (SHARED / "police-uk" / "leicestershire").is_dir():
        streets = tuple(sorted((SHARED / "police-uk" / "leicestershire").glob("*-street.csv")))
        return NeighbourhoodData(
            streets,
            SHARED
            / "boundaries/MSOA11_outlines_dissolved_from_LSOA_BSC_stroke_unit_demographics.geojson",
            SHARED / "lookups/lsoa11_to_msoa11_lad.csv",
            SHARED / "lookups/MSOA-Names-2011_HoCL.csv",
            SHARED / "population" / population,
            True,
        )
    streets = tuple(sorted(SAMPLE.glob("police-uk/2022-*/2022-*-leicestershire-street.csv")))
    return NeighbourhoodData(
        streets,
        hoods / "msoa11_leicestershire.geojson",
        hoods / "lsoa11_to_msoa11_leicestershire.csv",
        hoods / "msoa11_names_leicestershire.csv",
        SAMPLE / "population" / population,
        False,
    )


def public_table(data: NeighbourhoodData) -> pd.DataFrame:
    """The published street files of ``data`` as one public release table (text cells)."""
    frames = [
        pd.read_csv(p, dtype=str, keep_default_na=False, na_filter=False) for p in data.street_csvs
    ]
    return pd.concat(frames, ignore_index=True)


def committed_msoas(data: NeighbourhoodData) -> Any:
    """The committed Leicestershire MSOAs (outlines, LSOA lookup, House of Commons Library
    names) with ``data``'s LSOA populations, as core.publish.neighbourhoods builds them."""
    from crime_mapper.core.publish import neighbourhoods as nb

    hoods = SAMPLE / "neighbourhoods"
    return nb.build_neighbourhoods(
        nb.read_geojson(hoods / "msoa11_leicestershire.geojson", "msoa11cd"),
        nb.read_lookup(hoods / "lsoa11_to_msoa11_leicestershire.csv", "msoa11cd", "msoa11nm"),
        nb.read_names(hoods / "msoa11_names_leicestershire.csv", "msoa11cd", "msoa11hclnm"),
        nb.read_lsoa_population(data.population_csv),
    )


def assert_same_assignment(got: Any, want: Any) -> None:
    """Two neighbourhood assignments (neighbourhoods.Assignment) give every row the same
    neighbourhood and the same counts."""
    assert got.index.tolist() == want.index.tolist()
    assert (got.by_lookup, got.by_polygon, got.outside, got.no_location) == (
        want.by_lookup,
        want.by_polygon,
        want.outside,
        want.no_location,
    )
