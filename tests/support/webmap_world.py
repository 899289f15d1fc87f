"""The web map gate's real world: the bundled force extract as the raw side, map points
from the published October, Leicester city's LSOA outlines, and the October release clean
and with leaks planted; with the helpers the tests of the web map made beside (a forked
child) share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from crime_mapper.core.gate.context import PreparedGate
from crime_mapper.core.publish.webmap_export import WebmapOptions
from tests.support.webmap_release import FORCE, OCT, REPO

OUTLINES = REPO / "sample_data" / "boundaries" / "LSOA_Dec_2011_BSC_leicester_city.geojson"


def build_webmap_world(tmp: Path) -> dict:
    """The bundled force extract (raw), map points from the published October, the Leicester
    city LSOAs as outlines, and in ``tmp`` the October release with a raw crime's
    coordinates (``moved``) or a raw non-public value (``named``) planted."""
    from crime_mapper.core.load.loader import load_extracts
    from crime_mapper.core.load.mapping_profile import load_profile
    from crime_mapper.core.publish.summaries_run import NeighbourhoodSource, load_neighbourhoods
    from crime_mapper.core.release.map_points import map_points_from_history

    profile = load_profile(FORCE / "leicestershire-force-extract.profile.json")
    raw = load_extracts(
        [str(FORCE / "2022-10-leicestershire-force-extract.csv")], profile=profile
    ).crimes
    points = map_points_from_history(load_extracts([str(OCT)]).crimes)
    hoods = load_neighbourhoods(
        NeighbourhoodSource(boundaries=OUTLINES, code_field="LSOA11CD", name_field="LSOA11NM")
    )
    street = pd.read_csv(OCT, dtype=str, keep_default_na=False)
    located = raw[raw["has_location"]]
    moved = street.copy()
    moved.loc[0, "Longitude"] = f"{located['longitude'].iloc[0]:.6f}"
    moved.loc[0, "Latitude"] = f"{located['latitude'].iloc[0]:.6f}"
    # a raw non-public value (the first the gate looks for) as a published label
    secret = next(v for _, values in PreparedGate(raw, points).secret_parts for v in values)
    named = street.copy()
    named.loc[1, "Location"] = f"On or near {secret}"
    inputs = {"clean": OCT}
    for name, table in (("moved", moved), ("named", named)):
        inputs[name] = tmp / f"2022-10-{name}-street.csv"
        table.to_csv(inputs[name], index=False)
    return {"raw": raw, "points": points, "hoods": hoods, "inputs": inputs}


def webmap_options(world: dict, out: Path, inputs: Any = OCT, **more: Any) -> WebmapOptions:
    """The gated export of ``inputs`` (the clean October) into ``out``, without tiles."""
    return WebmapOptions(
        inputs=[inputs],
        out_dir=out,
        tiles="none",
        raw=world["raw"],
        points=world["points"],
        **more,
    )


def leftovers(folder: Path) -> list[str]:
    """Staging (or old) folders beside the map."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".map."))


def both_planted(world: dict, folder: Path) -> Path:
    """The release with a raw crime's coordinates (a check the child runs) and a raw
    non-public value (one run here) both planted."""
    moved = pd.read_csv(world["inputs"]["moved"], dtype=str, keep_default_na=False)
    named = pd.read_csv(world["inputs"]["named"], dtype=str, keep_default_na=False)
    moved.loc[1, "Location"] = named.loc[1, "Location"]
    path = folder / "2022-10-both-street.csv"
    moved.to_csv(path, index=False)
    return path
