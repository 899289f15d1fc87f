"""Neighbourhoods on the web map: the shared set (core.publish.neighbourhoods) as the page's
outlines, area names per crime, populations for rates and links to the summary pages.

Why no reader of its own: the summaries and the web map must agree on which neighbourhood a
crime is in, what it is called and which file its summary page is (``neighbourhood_slugs``),
or a link from the map would land on another area's page. Only names, populations and outline
vertices of a public layer reach the page; nothing from the crimes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any, Optional

import numpy as np
import pandas as pd

from ..common.text_file import page_line
from .neighbourhoods import OUTSIDE_LABEL, Factorized, Neighbourhoods, assign_crimes

Ring = list[list[float]]  # [[lon, lat], ...] at 5 decimals (about 1 m)


@dataclass(frozen=True)
class RowAreas:
    """Each street row's neighbourhood: ``index`` into ``names`` per row (negative: in none,
    shown as OUTSIDE_LABEL). Kept as the assignment's integers: the page data groups rows
    by them (webmap_data), where a list of 500,000 names was made only to be hashed back
    into codes (0.064 s against 0.007 s of the national map's critical path)."""

    index: np.ndarray
    names: Sequence[str]

    def __len__(self) -> int:
        return len(self.index)

    def name_list(self) -> list[str]:
        """The name of each row (OUTSIDE_LABEL for rows in none)."""
        names = list(self.names)
        return [names[i] if i >= 0 else OUTSIDE_LABEL for i in self.index.tolist()]


def row_area_names(
    street: pd.DataFrame,
    hoods: Neighbourhoods,
    index: Optional[np.ndarray] = None,
    coordinates: Optional[tuple[Factorized, Factorized]] = None,
    parsed: Optional[tuple[np.ndarray, np.ndarray]] = None,
) -> RowAreas:
    """The neighbourhood of each street row (by LSOA lookup, else point in polygon), as
    RowAreas (its name_list: OUTSIDE_LABEL for rows in none; rows without a location are
    handled by the caller). ``index``: the rows' assignment made already
    (assign_crimes(street, hoods).index, e.g. by the summaries of the same rows), so it is
    not made twice; ``coordinates``: the rows' coordinate columns factorized already
    (webmap_inputs.ReleaseInputs.coordinate_codes), and ``parsed`` the numbers the same
    reader parsed them to (its lon and lat), for assign_crimes."""
    if index is None:
        index = assign_crimes(street, hoods, coordinates, parsed).index
    elif len(index) != len(street):
        raise ValueError("the neighbourhood assignment given is not one per street row")
    return RowAreas(np.asarray(index, dtype=np.int64), list(hoods.names))


def page_rings(hoods: Neighbourhoods) -> list[list[Ring]]:
    """Each neighbourhood's rings rounded to 5 decimals, repeated vertices dropped, rings
    left with fewer than 4 vertices dropped."""
    return rounded_rings(hoods)[0]


def rounded_rings(
    hoods: Neighbourhoods,
) -> tuple[list[list[Ring]], Optional[tuple[np.ndarray, np.ndarray]]]:
    """(page_rings(hoods), vertices() of them or None when not made here). All rings in one
    numpy pass and one tolist, the vertices taken from the same arrays (ring by ring, and
    the vertices from the lists again, the 7,200 national outlines took some 0.2 s before a
    web map's fork, on its critical path); any ring not an (n, 2) array of some vertices:
    ring by ring."""
    flat = [np.asarray(ring, dtype=np.float64) for rings in hoods.rings for ring in rings]
    if not flat or any(r.ndim != 2 or r.shape[1] != 2 or not len(r) for r in flat):
        return [[r for r in map(_page_ring, own) if len(r) >= 4] for own in hoods.rings], None
    sizes = np.fromiter(map(len, flat), dtype=np.int64, count=len(flat))
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    allv = np.round(np.concatenate(flat), 5)
    keep = np.ones(len(allv), dtype=bool)
    keep[1:] = np.any(allv[1:] != allv[:-1], axis=1)
    keep[starts] = True  # (a ring's first vertex is kept whatever the last ring ended on)
    counts = np.add.reduceat(keep.astype(np.int64), starts)
    kept = counts.tolist()
    values = allv[keep].tolist()
    written = allv[keep & np.repeat(counts >= 4, sizes)]
    out: list[list[Ring]] = []
    at = 0
    ring_no = 0
    for rings in hoods.rings:
        mine: list[Ring] = []
        for _ring in rings:
            n = kept[ring_no]
            if n >= 4:
                mine.append(values[at : at + n])
            at += n
            ring_no += 1
        out.append(mine)
    return out, (written[:, 0].copy(), written[:, 1].copy())


def _page_ring(ring: Any) -> Ring:
    """One ring as page_rings gives it, before the drop of short rings (the reference)."""
    r = np.round(np.asarray(ring, dtype=np.float64), 5)
    keep = np.ones(len(r), dtype=bool)
    keep[1:] = np.any(r[1:] != r[:-1], axis=1)
    return r[keep].tolist()


def vertices(rings: list[list[Ring]]) -> tuple[np.ndarray, np.ndarray]:
    """Every vertex written to the page (the leak gate's allowed coordinates)."""
    verts = list(chain.from_iterable(chain.from_iterable(rings)))
    if verts and set(map(len, verts)) == {2}:  # (page_rings': [lon, lat] each, in one go)
        flat = np.array(verts, dtype=np.float64)
        return flat[:, 0].copy(), flat[:, 1].copy()
    return (
        np.asarray([v[0] for v in verts], dtype=np.float64),
        np.asarray([v[1] for v in verts], dtype=np.float64),
    )


def areas_geojson(
    hoods: Neighbourhoods,
    rings: list[list[Ring]],
    area_index: dict[str, int],
    summaries_base: Optional[str],
) -> dict[str, Any]:
    """The outlines as the page's GeoJSON: one Polygon per neighbourhood holding all its
    rings (drawn and hit-tested even-odd, as the shared set defines them)."""
    feats = []
    slugs = hoods.slugs
    for i, name in enumerate(hoods.names):
        if not rings[i]:
            continue
        pop = float(hoods.population[i])
        props: dict[str, Any] = {
            "name": page_line(name),  # (as the page shows it; "area" matches it as read)
            "area": area_index.get(name, -1),
            "population": pop if math.isfinite(pop) and pop > 0 else None,
        }
        if summaries_base is not None:
            props["summary"] = f"{summaries_base}{slugs[i]}.html"
        feats.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": {"type": "Polygon", "coordinates": rings[i]},
            }
        )
    return {"type": "FeatureCollection", "features": feats}
