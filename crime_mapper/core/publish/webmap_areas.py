"""Neighbourhood outlines for the web map: read a polygon GeoJSON, assign map points to them.

Deliberately minimal and replaceable: core/publish/neighbourhoods.py (the summaries stage)
owns neighbourhood polygons, LSOA lookups and the shared ``neighbourhood_slugs``; once it is
available this module defers to it for slugs. Only the name, an optional population and the
outline reach the page (a public layer's values: nothing from the crimes).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

from .webmap_inputs import WebmapInputError

PathLike = Union[str, Path]
Ring = list[list[float]]  # [[lon, lat], ...]
Polygon = list[Ring]  # outer ring, then holes
OUTSIDE = "Outside the neighbourhoods"


@dataclass
class Areas:
    """Named polygons (WGS84) with optional population and summary-page slug."""

    names: list[str]
    polygons: list[list[Polygon]]  # per area: its polygons
    population: list[Optional[float]]
    slugs: list[str]

    def vertices(self) -> tuple[np.ndarray, np.ndarray]:
        """Every vertex as written to the page (for the leak gate's allowed coordinates)."""
        verts = [v for polys in self.polygons for poly in polys for ring in poly for v in ring]
        xs = [v[0] for v in verts]
        ys = [v[1] for v in verts]
        return np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)


def _slugs(names: list[str]) -> list[str]:
    try:  # the shared slug function, when the summaries stage has landed
        from .neighbourhoods import neighbourhood_slugs

        return list(neighbourhood_slugs(names))
    except ImportError:
        pass
    seen: dict[str, int] = {}
    out = []
    for name in names:
        text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "area"
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.append(slug if n == 0 else f"{slug}-{n + 1}")
    return out


def _round_ring(ring: Any) -> Ring:
    out: Ring = []
    for v in ring:
        x, y = round(float(v[0]), 5), round(float(v[1]), 5)
        if not out or out[-1] != [x, y]:
            out.append([x, y])
    return out


def read_areas(path: PathLike, name_field: str, population_field: Optional[str] = None) -> Areas:
    """Polygons of a GeoJSON FeatureCollection in WGS84 (RFC 7946); one area per feature,
    features with the same name merged."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WebmapInputError(f"neighbourhoods {path.name}: not readable GeoJSON ({exc})") from exc
    feats = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(feats, list) or not feats:
        raise WebmapInputError(f"neighbourhoods {path.name}: no features")
    by_name: dict[str, int] = {}
    areas = Areas([], [], [], [])
    for i, f in enumerate(feats):
        props = (f or {}).get("properties") or {}
        geom = (f or {}).get("geometry") or {}
        if name_field not in props:
            fields = ", ".join(sorted(map(str, props))[:12])
            raise WebmapInputError(
                f"neighbourhoods {path.name}: feature {i} has no field {name_field!r} "
                f"(fields: {fields})"
            )
        name = " ".join(str(props[name_field] or "").split()) or f"Area {i + 1}"
        if geom.get("type") == "Polygon":
            polys = [geom.get("coordinates") or []]
        elif geom.get("type") == "MultiPolygon":
            polys = geom.get("coordinates") or []
        else:
            raise WebmapInputError(
                f"neighbourhoods {path.name}: feature {i} ({name}) is not a polygon"
            )
        rounded: list[Polygon] = [[_round_ring(r) for r in poly if len(r) >= 4] for poly in polys]
        rings = [p for p in rounded if p]
        for poly in rings:
            for x, y in poly[0]:
                if not (-11.0 <= x <= 2.5 and 49.0 <= y <= 61.5):
                    raise WebmapInputError(
                        f"neighbourhoods {path.name}: {name} lies outside the UK in WGS84 "
                        "longitude/latitude (reproject it to EPSG:4326 first)"
                    )
        pop = None
        if population_field:
            try:
                pop = float(props.get(population_field))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                pop = None
        if name in by_name:
            k = by_name[name]
            areas.polygons[k].extend(rings)
            if pop is not None:
                areas.population[k] = (areas.population[k] or 0) + pop
            continue
        by_name[name] = len(areas.names)
        areas.names.append(name)
        areas.polygons.append(rings)
        areas.population.append(pop)
    areas.slugs = _slugs(areas.names)
    return areas


def _in_ring(x: np.ndarray, y: np.ndarray, ring: Ring) -> np.ndarray:
    r = np.asarray(ring, dtype=np.float64)
    xi, yi = r[:, 0], r[:, 1]
    xj, yj = np.roll(xi, 1), np.roll(yi, 1)
    inside = np.zeros(x.size, dtype=bool)
    for a, b, c, d in zip(xi, yi, xj, yj):
        cross = (b > y) != (d > y)
        if not cross.any():
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            xt = (c - a) * (y - b) / (d - b) + a
        inside ^= cross & (x < xt)
    return inside


def assign(areas: Areas, lon: np.ndarray, lat: np.ndarray) -> list[str]:
    """The area name of each point (OUTSIDE when in none); first polygon wins on overlaps."""
    result = np.full(lon.size, -1, dtype=np.int64)
    order = np.argsort(lon, kind="stable")
    slon = lon[order]
    for k, polys in enumerate(areas.polygons):
        for poly in polys:
            outer = np.asarray(poly[0])
            lo, hi = np.searchsorted(slon, [outer[:, 0].min(), outer[:, 0].max()], side="left")
            cand = order[lo : hi + 1] if hi < slon.size else order[lo:]
            cand = cand[(result[cand] < 0)]
            if cand.size == 0:
                continue
            cy = lat[cand]
            keep = (cy >= outer[:, 1].min()) & (cy <= outer[:, 1].max())
            cand = cand[keep]
            if cand.size == 0:
                continue
            inside = _in_ring(lon[cand], lat[cand], poly[0])
            for hole in poly[1:]:
                inside &= ~_in_ring(lon[cand], lat[cand], hole)
            result[cand[inside]] = k
    return [areas.names[k] if k >= 0 else OUTSIDE for k in result]


def areas_geojson(
    areas: Areas, area_index: dict[str, int], summaries_base: Optional[str]
) -> dict[str, Any]:
    """The outlines as the page's GeoJSON (name, population, area index, summary link)."""
    feats = []
    for name, polys, pop, slug in zip(areas.names, areas.polygons, areas.population, areas.slugs):
        props: dict[str, Any] = {
            "name": name,
            "area": area_index.get(name, -1),
            "population": pop if pop and pop > 0 else None,
        }
        if summaries_base is not None:
            props["summary"] = f"{summaries_base}{slug}.html"
        feats.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": {"type": "MultiPolygon", "coordinates": polys},
            }
        )
    return {"type": "FeatureCollection", "features": feats}
