"""Neighbourhoods for public outputs: their outlines, names, populations, safe file names, and
which neighbourhood each published crime belongs to.

Shared by the neighbourhood summaries and the web map (one source of truth for slugs and for
the assignment, so a map popup's link always finds its summary page).

Where neighbourhoods come from:
  * a GeoJSON file (or a QGIS polygon layer, through qgis_bridge.neighbourhood_layer) with a
    code and a name property: police neighbourhoods, wards, MSOAs;
  * a CSV lookup of LSOA code -> neighbourhood code (and name), with or without outlines.

How a crime is assigned (``assign_crimes``): by its LSOA code where a lookup holds that code
(the published LSOA is authoritative and cheap), otherwise by point in polygon on its published
map point. Point in polygon runs once per distinct map point, not per crime (a national month
has ~500,000 crimes on far fewer points), with a bounding-box prefilter and an even-odd ray
test vectorised in numpy. Crimes that fall in no neighbourhood are counted and reported as
"outside any neighbourhood"; crimes published without a location as NO_LOCATION_LABEL. Nothing
is dropped: the counts of every way add up to the rows given.

Outlines are checked as they are read: non-finite vertices removed, rings closed, repeated
vertices removed, rings with fewer than three distinct vertices or no area dropped, and
self-intersecting rings reported. Containment uses the even-odd rule over every ring of a
neighbourhood, which is how a bow-tie or a hole given as a second outer ring is normally
repaired (it matches GEOS MakeValid for those cases); every repair is listed in ``problems``.

Imports nothing from QGIS.
"""

from __future__ import annotations

import datetime
import hashlib
import itertools
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np
import pandas as pd

from ..common.csv_records import read_text_csv
from ..common.gc_pause import gc_paused
from ..common.json_file import read_json_file
from ..common.text_file import page_line, shown_line
from ..common.vocabulary import NO_LOCATION_PLACE, UNPRINTABLE_RE
from .points_in_areas import first_containing

PathLike = Union[str, Path]

OUTSIDE = -1  # assignment index: has a location, in no neighbourhood
NO_LOCATION = -2  # assignment index: published without a location
OUTSIDE_LABEL = "Outside any neighbourhood"
#: (the summaries' row and the web map's area of crimes without one: one public wording)
NO_LOCATION_LABEL = NO_LOCATION_PLACE
WHOLE_FORCE_LABEL = "Whole force"  # (the summaries' force row)
#: The rows the summaries and the web map add beside the neighbourhoods: no neighbourhood
#: may be published under one of these names (see published_names).
RESERVED_LABELS = frozenset({OUTSIDE_LABEL, NO_LOCATION_LABEL, WHOLE_FORCE_LABEL})

# Column names tried, in order, when a lookup or population CSV does not say which to use.
LSOA_COLUMNS = ("LSOA code", "lsoa11cd", "LSOA11CD", "lsoa21cd", "LSOA21CD", "lsoa_code", "lsoa")
POPULATION_COLUMNS = ("population", "mid2018_population", "Population", "pop", "all_ages")

MAX_SLUG_LENGTH = 60
# Names a slug must not take: the index page, and names Windows refuses for files.
_RESERVED_SLUGS = frozenset(
    {"index", "con", "prn", "aux", "nul", "clock$"}
    | {f"com{i}" for i in range(10)}
    | {f"lpt{i}" for i in range(10)}
)
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_MAX_POINTS_X_EDGES = 4_000_000  # one chunk of the point-in-polygon test (~100 MB of temps)


class NeighbourhoodError(ValueError):
    """Neighbourhood input that cannot be used, with what to give instead."""


# ---------------------------------------------------------------------------------------------
# Safe file names
def _slug_base(name: Any) -> str:
    text = "" if name is None else str(name)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = _NOT_SLUG.sub("-", text.lower()).strip("-")[:MAX_SLUG_LENGTH].strip("-")
    if not text:
        text = "neighbourhood"
    if text in _RESERVED_SLUGS:
        text = f"{text}-area"
    return text


def neighbourhood_slugs(names: Sequence[Any]) -> list[str]:
    """One file-name stem per name: ASCII letters, digits and hyphens only (no ``.``, ``/``,
    ``\\``, ``:``, NUL or control character can pass), at most ~70 characters, never a name
    Windows reserves, never ``index`` (the index page), and unique, also ignoring case.

    Stable: the same list gives the same slugs, and a name whose plain slug no other name
    shares always gets that plain slug (accents folded, ``Castle Hill`` -> ``castle-hill``).
    Different names whose slugs collide (``A/B`` and ``A:B``) each get a suffix made from a
    hash of the exact name, so neither depends on the order of the list; exactly repeated
    names then get ``-2``, ``-3`` in list order.
    """
    bases = [_slug_base(n) for n in names]
    exact = ["" if n is None else str(n) for n in names]
    by_base: dict[str, set[str]] = {}
    for base, name in zip(bases, exact):
        by_base.setdefault(base, set()).add(name)
    out: list[str] = []
    used: set[str] = set()
    for base, name in zip(bases, exact):
        slug = base
        if len(by_base[base]) > 1:
            digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
            slug = f"{base}-{digest}"
        candidate, n = slug, 1
        while candidate in used:
            n += 1
            candidate = f"{slug}-{n}"
        used.add(candidate)
        out.append(candidate)
    return out


# ---------------------------------------------------------------------------------------------
# Outlines
@dataclass
class Neighbourhoods:
    """The neighbourhood set: parallel arrays, one entry per neighbourhood, in input order.

    ``rings[i]``: the closed rings (float64 (n, 2) lon/lat arrays, first vertex repeated last)
    of neighbourhood i, outer rings and holes alike (even-odd rule); empty when it has no
    usable outline (then only a lookup can assign crimes to it). ``lookup`` maps LSOA codes
    to neighbourhood indexes. ``population`` is NaN where unknown. ``problems`` lists every
    repair or rejection made while reading, for the report.
    """

    codes: list[str]
    names: list[str]
    rings: list[list[np.ndarray]]
    population: np.ndarray
    lookup: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    source: str = ""

    def __post_init__(self) -> None:
        n = len(self.codes)
        if not (len(self.names) == len(self.rings) == len(self.population) == n):
            raise ValueError("codes, names, rings and population must have one entry each")
        self._index = {c: i for i, c in enumerate(self.codes)}
        self._edges: Optional[tuple] = None

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def slugs(self) -> list[str]:
        """File-name stems, from the names (codes where names repeat exactly are still
        unique: see neighbourhood_slugs)."""
        return neighbourhood_slugs(self.names)

    def index_of(self, code: str) -> Optional[int]:
        return self._index.get(code)

    @property
    def has_outlines(self) -> bool:
        return any(self.rings)

    def bounds(self) -> np.ndarray:
        """(n, 4) minx, miny, maxx, maxy per neighbourhood; NaN where it has no outline.
        From the edges (built once, and an assignment builds them anyway) in four reduceat
        passes: every vertex of a ring of two or more is an edge's end (ring by ring, the
        7,200 national outlines took 0.06 s of an assignment). A ring of fewer vertices
        (none is read so: core/publish/neighbourhoods drops them) is looked at ring by ring."""
        if any(len(ring) < 2 for rings in self.rings for ring in rings):
            return self._bounds_ring_by_ring()
        edges, starts, ends = self.edges()
        out = np.full((len(self), 4), np.nan)
        has = ends > starts
        if has.any():
            at = starts[has]
            xs, ys = edges[:, 0::2], edges[:, 1::2]
            out[has, 0] = np.minimum.reduceat(xs.min(axis=1), at)
            out[has, 1] = np.minimum.reduceat(ys.min(axis=1), at)
            out[has, 2] = np.maximum.reduceat(xs.max(axis=1), at)
            out[has, 3] = np.maximum.reduceat(ys.max(axis=1), at)
        return out

    def _bounds_ring_by_ring(self) -> np.ndarray:
        out = np.full((len(self), 4), np.nan)
        for i, rings in enumerate(self.rings):
            if rings:
                allv = np.concatenate(rings)
                out[i] = (allv[:, 0].min(), allv[:, 1].min(), allv[:, 0].max(), allv[:, 1].max())
        return out

    def area_km2(self) -> np.ndarray:
        """Area of each outline in km² (even-odd: holes subtract), on a local equirectangular
        projection, which is within a fraction of a percent at neighbourhood size. NaN where
        there is no outline."""
        out = np.full(len(self), np.nan)
        for i, rings in enumerate(self.rings):
            if not rings:
                continue
            lat0 = math.radians(float(np.mean(np.concatenate(rings)[:, 1])))
            kx, ky = 111.320 * math.cos(lat0), 110.574
            signed = [abs(_ring_area(r[:, 0] * kx, r[:, 1] * ky)) for r in rings]
            # even-odd: a ring inside another is a hole; approximate by nesting parity of the
            # ring's first vertex in the others (exact for ordinary outlines with holes)
            total = 0.0
            for j, ring in enumerate(rings):
                depth = sum(
                    _crossings(ring[:1, 0], ring[:1, 1], _ring_edges(other))[0]
                    for k, other in enumerate(rings)
                    if k != j
                )
                total += -signed[j] if depth % 2 else signed[j]
            out[i] = max(total, 0.0)
        return out

    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(edges (m, 4) x1 y1 x2 y2, start offsets (n,), end offsets (n,)), built once."""
        if self._edges is None:
            parts, starts, ends, pos = [], np.zeros(len(self), np.int64), None, 0
            ends = np.zeros(len(self), np.int64)
            for i, rings in enumerate(self.rings):
                starts[i] = pos
                for ring in rings:
                    e = _ring_edges(ring)
                    parts.append(e)
                    pos += len(e)
                ends[i] = pos
            edges = np.concatenate(parts) if parts else np.zeros((0, 4))
            self._edges = (edges, starts, ends)
        return self._edges


#: How many of a neighbourhood set's problems are listed as warnings; the rest are counted.
PROBLEMS_WARNED = 20


def problem_warnings(hoods: Neighbourhoods) -> list[str]:
    """What was repaired or left out while the neighbourhoods were read (outlines repaired
    or merged, features without a code or polygon skipped...) as warnings: the first
    PROBLEMS_WARNED, then how many more. The one wording of the summaries and the web map.
    Why one: the monthly release's publish step runs both on the same outlines and says a
    warning once only when its lines are the same (core.monthly.release.unsaid_warnings);
    the summaries gave each problem as it was and the web map put "neighbourhoods: " before
    it, so every repair of an outline was said twice."""
    shown = [f"neighbourhoods: {p}" for p in hoods.problems[:PROBLEMS_WARNED]]
    more = len(hoods.problems) - PROBLEMS_WARNED
    if more > 0:
        shown.append(f"neighbourhoods: {more:,} more problems of the same kinds")
    return shown


def _ring_area(x: np.ndarray, y: np.ndarray) -> float:
    return 0.5 * float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]))


def _collinear(ring: np.ndarray) -> bool:
    """True when every vertex lies on one line (the ring encloses nothing)."""
    d = ring - ring[0]
    k = int(np.argmax(np.abs(d).sum(axis=1)))
    return bool(np.all(d[:, 0] * d[k, 1] - d[:, 1] * d[k, 0] == 0.0))


def _ring_edges(ring: np.ndarray) -> np.ndarray:
    return np.column_stack((ring[:-1, 0], ring[:-1, 1], ring[1:, 0], ring[1:, 1]))


def _orient(
    px: np.ndarray, py: np.ndarray, qx: np.ndarray, qy: np.ndarray, rx: np.ndarray, ry: np.ndarray
) -> np.ndarray:
    """The side of r against the line p -> q: the sign of the cross product."""
    return np.sign((qx - px) * (ry - py) - (qy - py) * (rx - px))


_SWEEP_PAIRS = 2_000_000  # candidate edge pairs tested at once by _self_intersects


def _self_intersects(ring: np.ndarray) -> bool:
    """Whether two non-adjacent edges of a closed ring cross (each edge's ends strictly on
    either side of the other's line), vectorised.

    Why a sweep: testing every edge against every other is quadratic (a detailed outline of
    40,000 vertices took 45 s, 200,000 some 18 minutes, and full-resolution boundaries have
    such rings). Two edges can only cross where their extents meet on both axes, so the
    edges are sorted by their lowest x (or y: whichever axis gives fewer pairs) and each is
    tested only against those starting within its own extent, also meeting it on the other
    axis: about as many pairs as edges for an outline. Each pair's test is the same
    expression on the same numbers as the all-pairs test's."""
    e = _ring_edges(ring)
    m = len(e)
    if m < 4:
        return False
    x1, y1, x2, y2 = e.T
    sweeps = [_sweep(np.minimum(x1, x2), np.maximum(x1, x2)),
              _sweep(np.minimum(y1, y2), np.maximum(y1, y2))]  # fmt: skip
    order, counts = min(sweeps, key=lambda sweep: int(sweep[1].sum()))
    low = (np.minimum(x1, x2), np.minimum(y1, y2))
    high = (np.maximum(x1, x2), np.maximum(y1, y2))
    cum = np.cumsum(counts)
    first = 0
    while first < m:
        done = int(cum[first - 1]) if first else 0
        last = max(first + 1, int(np.searchsorted(cum, done + _SWEEP_PAIRS, side="right")))
        c = counts[first:last]
        total = int(c.sum())
        if total:
            at = np.repeat(np.arange(first, last), c)
            at_b = at + 1 + np.arange(total) - np.repeat(np.cumsum(c) - c, c)
            a, b = order[at], order[at_b]
            gap = np.abs(a - b)
            meet = (gap > 1) & (gap != m - 1)  # (adjacent edges share a vertex)
            for lo, hi in zip(low, high):
                meet &= (hi[a] >= lo[b]) & (hi[b] >= lo[a])
            a, b = a[meet], b[meet]
            o1 = _orient(x1[a], y1[a], x2[a], y2[a], x1[b], y1[b])
            o2 = _orient(x1[a], y1[a], x2[a], y2[a], x2[b], y2[b])
            o3 = _orient(x1[b], y1[b], x2[b], y2[b], x1[a], y1[a])
            o4 = _orient(x1[b], y1[b], x2[b], y2[b], x2[a], y2[a])
            if ((o1 * o2 < 0) & (o3 * o4 < 0)).any():
                return True
        first = last
    return False


def _sweep(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(edges sorted by ``lo``, how many edges after each in that order start within its
    extent): each pair of edges whose extents on this axis meet is counted once, by the
    one that starts first."""
    order = np.argsort(lo, kind="stable")
    ends = np.searchsorted(lo[order], hi[order], side="right")
    return order, ends - np.arange(len(lo)) - 1


# Ring sizes (edges) tested together by _self_intersecting, and how many edge pairs at once.
_EDGE_BUCKETS = (4, 8, 12, 16, 24, 32, 48, 64)
_PAIRS_PER_BATCH = 1_000_000


def _self_intersecting(rings: Sequence[np.ndarray]) -> np.ndarray:
    """``[_self_intersects(r) for r in rings]`` for many small rings at once.

    Why: a national set of outlines is thousands of rings of a few dozen vertices, and the
    per-ring test is a dozen small numpy calls each (most of reading 7,200 MSOAs). Rings of
    up to 64 edges are tested in batches padded to their size bucket (padding is NaN, which
    never crosses); larger rings go through the per-ring test. Every orientation is the same
    floating-point expression on the same numbers, so the answers are the per-ring test's.
    """
    out = np.zeros(len(rings), dtype=bool)
    if not len(rings):
        return out
    edges = np.array([len(r) - 1 for r in rings], dtype=np.int64)
    starts = np.zeros(len(rings), dtype=np.int64)
    starts[1:] = np.cumsum(edges + 1)[:-1]
    vertices = np.concatenate([np.asarray(r, dtype=np.float64) for r in rings])
    low = 4  # fewer than four edges cannot hold two non-adjacent ones that cross
    for size in _EDGE_BUCKETS:
        which = np.flatnonzero((edges >= low) & (edges <= size))
        low = size + 1
        per_batch = max(1, _PAIRS_PER_BATCH // (size * size))
        for first in range(0, len(which), per_batch):
            batch = which[first : first + per_batch]
            out[batch] = _bucket_intersects(vertices, starts[batch], edges[batch], size)
    with np.errstate(invalid="ignore", over="ignore"):  # as the batches: quietly
        for i in np.flatnonzero(edges > _EDGE_BUCKETS[-1]).tolist():
            out[i] = _self_intersects(rings[i])
    return out


def _bucket_intersects(
    vertices: np.ndarray, starts: np.ndarray, edges: np.ndarray, size: int
) -> np.ndarray:
    """_self_intersects for rings of at most ``size`` edges: (rings, size, size) arrays.

    The orientation of edge b's ends against edge a is computed once per ordered pair
    (a, b); the test of a against b reads it transposed (o3, o4 of the per-ring test)."""
    k = np.arange(size)
    real = k[None, :] < edges[:, None]
    first = np.where(real, starts[:, None] + k[None, :], 0)
    a = vertices[first]
    b = vertices[first + real]  # the edge's end vertex (unused where padded)
    x1, y1 = np.where(real, a[..., 0], np.nan), np.where(real, a[..., 1], np.nan)
    x2, y2 = np.where(real, b[..., 0], np.nan), np.where(real, b[..., 1], np.nan)
    dx, dy = (x2 - x1)[:, :, None], (y2 - y1)[:, :, None]
    px, py = x1[:, :, None], y1[:, :, None]

    def side(rx: np.ndarray, ry: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(left, right) of every edge end (rx, ry) against every edge (rows): the sign of
        the per-ring test's orient(), NaN (padding) neither."""
        cross = dx * (ry[:, None, :] - py) - dy * (rx[:, None, :] - px)
        return cross > 0, cross < 0

    with np.errstate(invalid="ignore", over="ignore"):
        left1, right1 = side(x1, y1)  # o1 > 0, o1 < 0
        left2, right2 = side(x2, y2)  # o2 > 0, o2 < 0
    straddles = (left1 & right2) | (right1 & left2)  # o1 * o2 < 0
    proper = straddles & straddles.transpose(0, 2, 1)  # and o3 * o4 < 0
    ia, ib = k[None, :, None], k[None, None, :]
    last = (edges - 1)[:, None, None]
    adjacent = (np.abs(ia - ib) <= 1) | ((ia == 0) & (ib == last)) | ((ia == last) & (ib == 0))
    return (proper & ~adjacent).any(axis=(1, 2))


class RingChecks:
    """Self-intersection tests of the rings of one read, made together at the end.

    ``clean_ring(..., later=checks)`` keeps a ring's place in ``problems`` and
    :meth:`settle` fills it (or drops it) once every ring is read, so ``problems`` reads
    exactly as when each ring was tested as it came."""

    _PENDING = object()

    def __init__(self) -> None:
        self._items: list[tuple[np.ndarray, str, list, int]] = []

    def add(self, ring: np.ndarray, where: str, problems: list) -> None:
        problems.append(self._PENDING)
        self._items.append((ring, where, problems, len(problems) - 1))

    def settle(self) -> None:
        """Test every ring added and put their messages in place."""
        items, self._items = self._items, []
        hits = _self_intersecting([ring for ring, *_ in items])
        lists = {}
        for (_ring, where, problems, at), hit in zip(items, hits.tolist()):
            problems[at] = _self_intersection_message(where) if hit else self._PENDING
            lists[id(problems)] = problems
        for problems in lists.values():
            problems[:] = [p for p in problems if p is not self._PENDING]


def _self_intersection_message(where: str) -> str:
    return (
        f"{where}: self-intersecting ring; repaired by the even-odd rule (each lobe "
        "counts as inside, overlaps as outside)"
    )


def _crossings_checked(
    arr: np.ndarray, where: str, problems: list[str], later: Optional[RingChecks]
) -> np.ndarray:
    """``arr``, a clean ring, tested for self-intersection: through ``later`` when given
    (see RingChecks), else now, a crossing said in ``problems``. One test for the rings
    clean_ring cleans and those the fast path finds clean."""
    if later is not None:
        later.add(arr, where, problems)
    elif _self_intersects(arr):
        problems.append(_self_intersection_message(where))
    return arr


def clean_ring(
    coords: Any, where: str, problems: list[str], later: Optional[RingChecks] = None
) -> Optional[np.ndarray]:
    """A usable closed ring from raw coordinates, or None; every change goes to problems
    (the self-intersection test through ``later`` when given: see RingChecks)."""
    rows = []
    try:
        for p in coords:
            try:
                rows.append((float(p[0]), float(p[1])))
            except (TypeError, ValueError, IndexError, KeyError):
                rows.append((math.nan, math.nan))  # an unreadable vertex: removed below
    except TypeError:
        problems.append(f"{where}: ring with unreadable coordinates dropped")
        return None
    arr = np.asarray(rows, dtype=np.float64)
    if arr.size == 0:
        problems.append(f"{where}: empty ring dropped")
        return None
    arr = arr.reshape(-1, 2)
    finite = np.isfinite(arr).all(axis=1)
    if not finite.all():
        problems.append(
            f"{where}: {int((~finite).sum())} unreadable or non-finite vertices removed"
        )
        arr = arr[finite]
    if len(arr) and not np.array_equal(arr[0], arr[-1]):
        problems.append(f"{where}: ring was not closed; closed it")
        arr = np.vstack([arr, arr[:1]])
    if len(arr) > 1:
        keep = np.ones(len(arr), bool)
        keep[1:] = (arr[1:] != arr[:-1]).any(axis=1)
        if not keep.all():
            arr = arr[keep]
    if len(arr) < 4:
        problems.append(f"{where}: ring with fewer than 3 distinct vertices dropped")
        return None
    if _collinear(arr):
        problems.append(f"{where}: ring with no area dropped")
        return None
    return _crossings_checked(arr, where, problems, later)


# ---------------------------------------------------------------------------------------------
# Outlines read all together (read_geojson's fast path)
#: The ints the fast path converts (a JSON number as json.loads gives it): those numpy reads
#: as an int64 and rounds as float() does; a longer one is left to clean_ring's float().
_INT_RANGE = 2**63


def _raw_rings(features: Sequence[Any]) -> list[list]:
    """Every ring list of the features' Polygon and MultiPolygon geometries (lists all the
    way down; anything else is left to the per-ring reader, which reports it)."""
    rings: list[list] = []
    for feature in features:
        geometry = _geometry_object(feature)
        if geometry is None:
            continue
        kind, coords = geometry.get("type"), geometry.get("coordinates")
        if type(coords) is not list:
            continue
        polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else []
        for polygon in polygons:
            if type(polygon) is list:
                rings.extend(ring for ring in polygon if type(ring) is list)
    return rings


def _plain_vertex(vertex: Any) -> bool:
    """True when clean_ring would read ``vertex`` as exactly the two numbers it holds."""
    if type(vertex) is not list or len(vertex) != 2:
        return False
    return all(
        type(c) is float or (type(c) is int and -_INT_RANGE < c < _INT_RANGE) for c in vertex
    )


def _vertex_array(vertices: list) -> np.ndarray:
    """(n, 2) float64 of the vertices; NaN for any vertex that is not two plain numbers
    (its ring then goes through clean_ring, which reads and reports it as it always has).
    Why two ways: checking the types of a million numbers at once is ~30 ms, one vertex at
    a time several times that; the vertex-by-vertex way runs only when the first finds
    something other than [float, float]."""
    if set(map(type, vertices)) <= {list} and set(map(len, vertices)) <= {2}:
        flat = list(itertools.chain.from_iterable(vertices))
        if set(map(type, flat)) <= {float}:
            return np.array(flat, dtype=np.float64).reshape(-1, 2)
    nan = (math.nan, math.nan)
    rows = [vertex if _plain_vertex(vertex) else nan for vertex in vertices]
    return np.array(rows, dtype=np.float64).reshape(-1, 2)


def _segment_counts(flags: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """How many of ``flags`` are set in each [start, end) (empty segments allowed)."""
    cum = np.concatenate(([0], np.cumsum(flags, dtype=np.int64)))
    return cum[ends] - cum[starts]


def _ready_rings(features: Sequence[Any]) -> dict[int, np.ndarray]:
    """The rings clean_ring would return unchanged and without a word (plain numbers,
    finite, closed, no repeated vertex, at least three distinct vertices, not collinear),
    keyed by the id() of their raw list, checked all together.

    Why: clean_ring costs ~75 microseconds a ring in Python and numpy calls, and 100,000
    output areas took some 7 s; here each check is a handful of numpy passes over every
    vertex at once, with the same floating-point expressions as clean_ring and _collinear.
    A ring not found here goes through clean_ring as before, so what is repaired or
    reported is said in the same words in the same order. The raw lists must stay alive
    (and unchanged) while the result is used: ids are only unique among living objects."""
    raw = _raw_rings(features)
    if not raw:
        return {}
    lengths = np.fromiter(map(len, raw), dtype=np.int64, count=len(raw))
    ends = np.cumsum(lengths)
    starts = ends - lengths
    xy = _vertex_array(list(itertools.chain.from_iterable(raw)))
    if not len(xy):
        return {}
    with np.errstate(all="ignore"):  # (huge coordinates: as in clean_ring, quietly)
        ok = lengths >= 4
        ok &= _segment_counts(~np.isfinite(xy).all(axis=1), starts, ends) == 0
        last = np.maximum(ends - 1, 0)
        first = np.minimum(starts, len(xy) - 1)
        ok &= (xy[first] == xy[last]).all(axis=1)
        repeated = np.zeros(len(xy), dtype=bool)
        repeated[1:] = ~(xy[1:] != xy[:-1]).any(axis=1)
        ok &= _segment_counts(repeated, np.minimum(starts + 1, ends), ends) == 0
        which = np.flatnonzero(ok)
        which = which[~_collinear_rings(xy, starts[which], lengths[which])]
    return {id(raw[i]): xy[starts[i] : ends[i]] for i in which.tolist()}


def _collinear_rings(xy: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``[_collinear(ring) for ring in rings]`` for rings of at least one vertex at once:
    the same differences, the same first vertex farthest by |dx| + |dy|, the same cross
    products."""
    if not len(starts):
        return np.zeros(0, dtype=bool)
    owner = np.repeat(np.arange(len(starts)), lengths)
    at = np.repeat(starts, lengths) + (np.arange(int(lengths.sum())) - np.repeat(
        np.cumsum(lengths) - lengths, lengths))  # fmt: skip
    d = xy[at] - xy[starts][owner]
    reach = np.abs(d).sum(axis=1)
    ring_starts = np.cumsum(lengths) - lengths
    top = np.maximum.reduceat(reach, ring_starts)
    hits = np.flatnonzero(reach == top[owner])
    k = hits[np.searchsorted(hits, ring_starts)]  # (each ring's first farthest vertex)
    dk = d[k][owner]
    cross = d[:, 0] * dk[:, 1] - d[:, 1] * dk[:, 0]
    ring_ends = ring_starts + lengths
    return _segment_counts(cross != 0.0, ring_starts, ring_ends) == 0


def _polygon_rings(
    geometry: Any,
    where: str,
    problems: list[str],
    later: Optional[RingChecks] = None,
    ready: Optional[dict[int, np.ndarray]] = None,
) -> list[np.ndarray]:
    """Rings of a GeoJSON Polygon, MultiPolygon or GeometryCollection of them (a ring in
    ``ready``, from _ready_rings, is taken as clean_ring would return it)."""
    if not isinstance(geometry, dict):
        problems.append(f"{where}: no geometry")
        return []
    kind = geometry.get("type")
    if kind == "GeometryCollection":
        rings: list[np.ndarray] = []
        for j, part in enumerate(_as_list(geometry.get("geometries"))):
            if isinstance(part, dict) and part.get("type") in ("Polygon", "MultiPolygon"):
                place = f"{where} part {j + 1}"
                rings.extend(_polygon_rings(part, place, problems, later, ready))
            else:
                kind_j = part.get("type") if isinstance(part, dict) else type(part).__name__
                problems.append(f"{where}: non-polygon part ({kind_j}) of a collection ignored")
        return rings
    coords = geometry.get("coordinates")
    polygons: Any
    if kind == "Polygon":
        polygons = [coords]
    elif kind == "MultiPolygon":
        polygons = coords
    else:
        problems.append(f"{where}: geometry type {kind!r} is not a polygon; no outline")
        return []
    rings = []
    for polygon in _as_list(polygons):
        for ring in _as_list(polygon):
            cleaned = _ready_ring(ring, ready, where, problems, later)
            if cleaned is None:
                cleaned = clean_ring(ring or [], where, problems, later)
            if cleaned is not None:
                rings.append(cleaned)
    if not rings:
        problems.append(f"{where}: no usable ring; no outline")
    return rings


def _ready_ring(
    ring: Any,
    ready: Optional[dict[int, np.ndarray]],
    where: str,
    problems: list[str],
    later: Optional[RingChecks],
) -> Optional[np.ndarray]:
    """``ring`` as _ready_rings found it clean (then tested for self-intersection as
    clean_ring tests a clean ring), else None. Taken out of ``ready``: a raw ring met twice
    is cleaned again, into an array of its own, as clean_ring would."""
    arr = ready.pop(id(ring), None) if ready else None
    if arr is None:
        return None
    return _crossings_checked(arr, where, problems, later)


def _as_list(value: Any) -> list:
    """A GeoJSON array as a list; null as none; any other value as a list of itself, so the
    ring reader meets it and reports it (a number where an array belongs is no outline)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _geojson_crs(data: dict) -> str:
    crs = data.get("crs")
    properties = crs.get("properties") if isinstance(crs, dict) else None
    name = str(properties.get("name", "")) if isinstance(properties, dict) else ""
    match = re.search(r"EPSG:{1,2}(\d+)", name)
    if match and match.group(1) != "4326":
        return f"EPSG:{match.group(1)}"
    return "EPSG:4326"


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _property_text(value: Any, what: str, where: str, problems: list[str]) -> str:
    """A code or name from a GeoJSON property or a layer's field: text or a number as
    written, a date or time as its ISO text (as QGIS shows it); none for null.

    Why: a list, an object, true/false or binary data is no code or name, and ``str()`` of
    one went onto the public page as Python's spelling of it (``['x', 'y']``, ``{'a': 1}``,
    ``True``, ``b'\x00'``). Such a value is reported and read as none given (no code: the
    feature is skipped; no name: its code names it)."""
    if type(value) is str:  # (the common case, first: 200,000 of them in 100,000 outlines)
        return _printable(value.strip(), what, where, problems)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    plain = (str, int, float, np.integer, np.floating, type(None))
    if isinstance(value, (list, dict, bool, np.bool_)) or not isinstance(value, plain):
        kind = "true/false" if isinstance(value, (bool, np.bool_)) else type(value).__name__
        kind = {"list": "a list", "dict": "an object", "bytes": "binary data"}.get(kind, kind)
        problems.append(f"{where}: the {what} is {kind}, not text; read as none given")
        return ""
    return _printable(_text(value), what, where, problems)


def _printable(text: str, what: str, where: str, problems: list[str]) -> str:
    """A code or name with each control character (a NUL, an ESC...; not a tab, LF or CR,
    which the pages fold as white space: text_file.page_line) read as a space, and said
    so. Why: one in a name went onto the pages as it was, and the leak gate then refused
    the whole summaries as unreadable, naming a page, not the name."""
    if not UNPRINTABLE_RE.search(text):
        return text
    problems.append(
        f"{where}: the {what} {_shown_value(text)} holds control characters; read as spaces"
    )
    return " ".join(UNPRINTABLE_RE.sub(" ", text).split())


#: More residents than any area of the United Kingdom can hold (the whole of it: about 67
#: million). Why a bound: a population of 1e200 (a damaged cell, an exponent typed by
#: mistake) was read as it was, and the page said "Residents 99,999,999,999,999,996,973,..."
#: (201 digits) and the whole force's rate 0.0, ranks and similar areas' rates with it.
MAX_RESIDENTS = 100_000_000


def _population_value(value: Any) -> float:
    """A population from a field: a finite number of residents, none or at least one and at
    most MAX_RESIDENTS, else NaN (unknown). A fraction of one resident (5e-324, 1e-300)
    counts no one: as a population it made the rate per 1,000 residents infinite, or 300
    digits long."""
    number = _population_number(value)
    if number is None or not math.isfinite(number) or number > MAX_RESIDENTS:
        return float("nan")
    return number if number == 0 or number >= 1 else float("nan")


#: A number written with thousands separators: commas between groups of three digits only.
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?")


def _population_number(value: Any) -> Optional[float]:
    """The number a population field holds (None when it holds none). Commas are thousands
    separators only where they group digits by three: "1,5" (a decimal comma) was read as
    15 and "1,2,3" as 123; and float()'s own "1_000" is no way a file writes a number. Nor
    are digits of another script (Arabic-Indic "٣٤٥", full-width "１２"): float() reads them,
    a spreadsheet keeps them as text, so a damaged or odd file gave a rate in silence. White
    space around the number (a no-break space too) is a cell's padding."""
    if isinstance(value, bool):  # (JSON true is no count; str(True) is not a number anyway)
        return None
    text = str(value).strip()
    if not text.isascii():
        return None
    if "," in text:
        if not _GROUPED.fullmatch(text):
            return None
        text = text.replace(",", "")
    if "_" in text:
        return None
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def population_problem(value: Any) -> Optional[str]:
    """Why a population value that was given is no number of residents (None when it is
    one, or when none was given: null, a blank, NaN). The value is then unknown (rates show
    n/a), as before; this says so, where before it went unknown without a word."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if not isinstance(value, bool) and not str(value).strip():
        return None
    if not math.isnan(_population_value(value)):
        return None
    shown = _shown_value(value)
    number = _population_number(value)
    if number is None:
        if _other_digits(value):
            return f"{shown} is not a number written in the digits 0 to 9"
        return f"{shown} is not a number"
    if not math.isfinite(number):
        return f"{shown} is not a finite number"
    if number < 0:
        return f"{shown} is negative"
    if number > MAX_RESIDENTS:
        return f"{shown} is more residents than the United Kingdom has"
    return f"{shown} is a fraction of one resident"


def _other_digits(value: Any) -> bool:
    """True when ``value`` is a number only in float()'s reading of other scripts' digits
    (said as such: "'１２' is not a number" would puzzle whoever reads it as 12)."""
    text = str(value).strip()
    if text.isascii():
        return False
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


def feature_place(k: int, code: Any) -> str:
    """Where a message puts a problem of the (k+1)th feature: "feature 3 (E02002834)", the
    code shown as :func:`_shown_value` quotes it when it holds a control character or a line
    break. Why: a
    code read from a layer as it is went into the warning with its NUL or bare CR, breaking
    the line it was said on."""
    if code is None or code == "":
        return f"feature {k + 1}"
    text = str(code)
    return f"feature {k + 1} ({text if text.isprintable() else _shown_value(text)})"


def _shown_value(value: Any) -> str:
    """A value as a message quotes it: control characters visible, at most 40 characters."""
    text = "true" if value is True else "false" if value is False else str(value)
    text = repr(text[:40] + ("..." if len(text) > 40 else ""))
    return text


def read_geojson(
    path: PathLike,
    code_field: str,
    name_field: Optional[str] = None,
    population_field: Optional[str] = None,
) -> Neighbourhoods:
    """Neighbourhoods from a GeoJSON FeatureCollection of polygons.

    Features without a code are reported and skipped (their crimes are then "outside");
    features repeating a code are merged into one neighbourhood (reported; a population
    the same on each counted once, different ones refused: _repeated_population). A name missing
    gives the code as name. Coordinates in another CRS (a legacy ``crs`` member naming an
    EPSG code, e.g. British National Grid) are transformed to WGS84.
    """
    with gc_paused():  # (millions of JSON lists and floats: see core/common/gc_pause)
        return _read_geojson(Path(path), code_field, name_field, population_field)


def _read_geojson(
    path: Path, code_field: str, name_field: Optional[str], population_field: Optional[str]
) -> Neighbourhoods:
    """read_geojson, with the collector paused."""
    data = read_json_file(path, lambda why: NeighbourhoodError(f"cannot read neighbourhoods {why}"))
    if not isinstance(data, dict) or not isinstance(data.get("features"), list):
        raise NeighbourhoodError(f"{shown_line(path.name)} is not a GeoJSON FeatureCollection")
    problems: list[str] = []
    features = []
    for k, feature in enumerate(data["features"]):
        props = (feature or {}).get("properties") or {} if isinstance(feature, dict) else {}
        if not isinstance(props, dict):
            props = {}
        code = _property_text(props.get(code_field), "code", f"feature {k + 1}", problems)
        where = feature_place(k, code)
        features.append(
            (
                code,
                _property_text(props.get(name_field), "name", where, problems)
                if name_field
                else "",
                props.get(population_field) if population_field else None,
                _geometry_object(feature),
                k,
            )
        )
    if features and not any(code for code, *_ in features):
        raise NeighbourhoodError(
            f"no feature of {shown_line(path.name)} has the code field {code_field!r}; properties "
            f"found: " + ", ".join(sorted(_property_names(data)))[:300]
        )
    later = RingChecks()
    try:
        ready = _ready_rings(data["features"])
        result = _from_features(features, problems, population_field is not None, later, ready)
    except NeighbourhoodError as exc:  # (a feature's own refusal: said with the file's name)
        raise NeighbourhoodError(f"{shown_line(path.name)}: {exc}") from None
    finally:
        later.settle()
    crs = _geojson_crs(data)
    if crs != "EPSG:4326":
        _to_wgs84_from(result, crs, path.name)
    refuse_outside_wgs84(result, path.name, named_crs=crs != "EPSG:4326" or "crs" in data)
    result.source = path.name
    return result


#: How far (degrees) a named CRS may move outlines that read as longitude and latitude: a
#: datum's shift (OSGB36 to WGS84: about 0.002) is far less; a projection's metres read as
#: degrees are moved by whole degrees (EPSG:27700's origin is 6 degrees west of 0, 49 north).
_DEGREES_MOVED = 0.5


def _to_wgs84_from(hoods: Neighbourhoods, crs: str, source: str) -> None:
    """The outlines' vertices transformed in place from the file's named ``crs`` to WGS84.

    Why a refusal, twice: a CRS PROJ does not know (``EPSG:99999``, a typo) ended the
    command in a traceback; and outlines in longitude and latitude in a file whose ``crs``
    member names a projection (metres, such as EPSG:27700: a member copied from another
    file) were read as metres near the projection's origin, so every outline was drawn in
    the sea off Cornwall and every crime counted outside, without a word."""
    from ..common.geography import TransformUnavailable, to_wgs84

    rings = [ring for own in hoods.rings for ring in own]
    if not rings:
        return
    flat = np.concatenate(rings)
    try:
        lon, lat = to_wgs84(flat[:, 0], flat[:, 1], crs)
    except TransformUnavailable:
        raise
    except (RuntimeError, ValueError) as exc:  # (pyproj's CRSError is a RuntimeError)
        raise NeighbourhoodError(
            f"{shown_line(source)}: its crs member names {shown_line(crs)}, which is no "
            f"coordinate reference system known here ({shown_line(str(exc)[:120])}): give the "
            "outlines as GeoJSON in EPSG:4326 (longitude and latitude), or name their CRS by "
            "its EPSG code"
        ) from None
    with np.errstate(invalid="ignore"):
        degrees = bool(((np.abs(flat[:, 0]) <= 180.0) & (np.abs(flat[:, 1]) <= 90.0)).all())
        moved = np.nanmax(np.abs(np.column_stack((lon, lat)) - flat), initial=0.0)
    if degrees and not moved <= _DEGREES_MOVED:
        raise NeighbourhoodError(
            f"{shown_line(source)}: its crs member names {shown_line(crs)}, but every vertex "
            f"reads as a longitude and latitude (e.g. {flat[0, 0]:g}, {flat[0, 1]:g}), which "
            f"{shown_line(crs)} would move to ({lon[0]:g}, {lat[0]:g}): remove the crs member "
            "if the outlines are longitude and latitude, or give them in the CRS it names"
        )
    at = 0
    for ring in rings:
        n = len(ring)
        ring[:, 0], ring[:, 1] = lon[at : at + n], lat[at : at + n]
        at += n


# the extent of British National Grid coordinates (metres) over Great Britain and its islands
_BNG_EASTINGS = (0.0, 700_000.0)
_BNG_NORTHINGS = (0.0, 1_300_000.0)


def refuse_outside_wgs84(hoods: Neighbourhoods, source: str, named_crs: bool = True) -> None:
    """NeighbourhoodError unless every outline vertex is a longitude and a latitude.

    Why: a vertex that is not (a damaged file's 1e308, a GeoJSON in metres that names no
    CRS) went on to the web map, whose leak gate then failed on "coordinates that are not
    map points or outlines", a verdict that says nothing about the file to fix. Outlines in
    British National Grid metres with no ``crs`` member (ONS downloads saved by hand) are
    named as such, with what to do."""
    rings = [ring for own in hoods.rings for ring in own]
    if not rings:
        return
    # every vertex at once (ring by ring, 100,000 outlines took 0.5 s): the first bad one
    # in the order of the neighbourhoods and their rings, as the message names it
    flat = np.concatenate(rings)
    x, y = flat[:, 0], flat[:, 1]
    bad = np.flatnonzero(~((np.abs(x) <= 180.0) & (np.abs(y) <= 90.0)))
    if not len(bad):
        return
    per_hood = np.array([sum(len(ring) for ring in own) for own in hoods.rings], np.int64)
    code = hoods.codes[int(np.searchsorted(np.cumsum(per_hood), bad[0], side="right"))]
    x0, y0 = float(x[bad[0]]), float(y[bad[0]])
    every_bng = bool(
        (x >= _BNG_EASTINGS[0]).all()
        and (x <= _BNG_EASTINGS[1]).all()
        and (y >= _BNG_NORTHINGS[0]).all()
        and (y <= _BNG_NORTHINGS[1]).all()
    )
    if every_bng and not named_crs:
        raise NeighbourhoodError(
            f"{shown_line(source)}: the outlines' coordinates are metres (British National Grid, "
            f"by their size: {x0:.0f}, {y0:.0f} in {shown_line(code)}), but the file names no "
            "CRS, and GeoJSON without one is longitude and latitude. Save the layer from QGIS as "
            "GeoJSON in EPSG:4326, or give the file a crs member naming EPSG:27700"
        )
    raise NeighbourhoodError(
        f"{shown_line(source)}: the outline of {shown_line(code)} has a vertex at ({x0:g}, "
        f"{y0:g}), which is no "
        "longitude and latitude: the file is damaged there, or in another CRS than it says"
    )


def _geometry_object(feature: Any) -> Optional[dict]:
    """A feature's geometry when it is a GeoJSON object, else None (no geometry: reported
    as such). Why: _from_features also takes rings already made (from a QGIS layer), so a
    number or a list where a GeoJSON geometry belongs must not reach it as rings."""
    geometry = feature.get("geometry") if isinstance(feature, dict) else None
    return geometry if isinstance(geometry, dict) else None


def _property_names(data: dict) -> set[str]:
    names: set[str] = set()
    for feature in data.get("features", [])[:50]:
        if isinstance(feature, dict) and isinstance(feature.get("properties"), dict):
            names.update(str(k) for k in feature["properties"])
    return names


def _from_features(
    features: Iterable[tuple[str, str, Any, Any, int]],
    problems: list[str],
    has_population: bool,
    later: Optional[RingChecks] = None,
    ready: Optional[dict[int, np.ndarray]] = None,
) -> Neighbourhoods:
    """Merge (code, name, population, geometry, feature number) into a Neighbourhoods
    (``ready``: rings already found clean, see _ready_rings)."""
    codes: list[str] = []
    names: list[str] = []
    rings: list[list[np.ndarray]] = []
    population: list[float] = []
    index: dict[str, int] = {}
    first_of: dict[str, int] = {}  # (each code's first feature, for a message)
    for code, name, pop, geometry, k in features:
        where = feature_place(k, code)
        if not code:
            problems.append(f"{where}: no code; skipped (its crimes count as outside)")
            continue
        these = (
            _polygon_rings(geometry, where, problems, later, ready)
            if isinstance(geometry, dict) or geometry is None
            else geometry
        )
        value = _population_value(pop) if has_population else float("nan")
        why = population_problem(pop) if has_population else None
        if why is not None:
            problems.append(f"{where}: the population {why}; shown as n/a (unknown)")
        if code in index:
            i = index[code]
            rings[i].extend(these)
            said = _repeated_population(population[i], value, where, first_of[code])
            problems.append(f"{where}: code repeats an earlier feature; outlines merged{said}")
            if not math.isnan(value):
                population[i] = value
            continue
        first_of[code] = k
        index[code] = len(codes)
        codes.append(code)
        names.append(name or code)
        rings.append(list(these))
        population.append(value)
    return Neighbourhoods(
        codes, names, rings, np.asarray(population, dtype=np.float64), {}, problems
    )


def _repeated_population(before: float, value: float, where: str, first: int) -> str:
    """What a feature repeating a code adds to its message about the population, or a
    NeighbourhoodError when the two features give the code different populations.

    Why: the populations of features sharing a code were added up, and a layer whose
    multipart outlines were split into single parts (each part keeps every attribute, the
    population too) published each such neighbourhood with twice or three times its
    residents, and its rate a half or a third, the warning saying only "outlines merged".
    The same number on each part is one population, counted once; two different numbers
    are refused, as an LSOA given twice in a population file is: added up or taken once,
    one of the two readings would publish a wrong rate."""
    if math.isnan(value) or math.isnan(before):
        return ""
    if value == before:
        return f"; its population ({value:,g}), the same on each, counted once"
    raise NeighbourhoodError(
        f"{where} repeats the code of feature {first + 1} with another population ({value:,g} "
        f"against {before:,g}): give each neighbourhood's population once, on one feature or "
        "the same on every part of its outline"
    )


def unusable_neighbourhoods(hoods: Neighbourhoods) -> Optional[str]:
    """Why no crime could be counted in any of ``hoods`` (no outline and no LSOA in a
    lookup: an empty layer or collection, every feature without a code), else None. The web
    map and the summaries refuse such a set: it published a map without areas, or
    summaries of no neighbourhood at all, and said nothing."""
    if hoods.codes and (any(hoods.rings) or hoods.lookup):
        return None
    why = "; ".join(hoods.problems[:3])
    return (
        f"the neighbourhoods{f' ({shown_line(hoods.source)})' if hoods.source else ''} hold no "
        "usable "
        "neighbourhood: no polygon outline and no LSOA lookup" + (f" ({why})" if why else "")
    )


def uncountable_neighbourhoods(hoods: Neighbourhoods) -> Optional[str]:
    """Why some of ``hoods`` can have no crime counted in them (no outline, and no LSOA of a
    lookup assigned to them), else None. The summaries refuse such a set.

    Why: a layer's feature without a geometry (or whose every ring was unusable) was kept as
    a neighbourhood, said only in a warning, and published with a page of 0 crimes and a
    row of 0 in every month of the CSV, while its crimes were counted outside every
    neighbourhood: a public figure no one measured."""
    looked_up = set(hoods.lookup.values())
    lost = [i for i, rings in enumerate(hoods.rings) if not rings and i not in looked_up]
    if not lost:
        return None
    source = f" of {shown_line(hoods.source)}" if hoods.source else ""
    named = ", ".join(shown_line(hoods.codes[i]) for i in lost[:5])
    return (
        f"{len(lost):,} of the neighbourhoods{source} have no outline and no LSOA in a lookup, "
        f"so no crime can be counted in them (e.g. {named}): their pages would say 0 crimes. "
        "Give them outlines, add an LSOA lookup that covers them, or remove them"
    )


def from_outlines(
    records: Iterable[tuple[str, str, Any, list[np.ndarray]]],
    problems: Optional[list[str]] = None,
    source: str = "",
) -> Neighbourhoods:
    """Neighbourhoods from (code, name, population or None, rings) made elsewhere (the QGIS
    layer adapter). Rings are checked and repaired as in read_geojson."""
    problems = [] if problems is None else problems
    feats = []
    later = RingChecks()
    try:
        for k, (code, name, pop, raw_rings) in enumerate(records):
            where = feature_place(k, code)
            if not raw_rings:  # (said as read_geojson says it: was kept without a word)
                problems.append(f"{where}: no geometry")
            cleaned = [clean_ring(r, where, problems, later) for r in raw_rings]
            # (a layer's field as a GeoJSON property: a date code went onto the pages as
            # "PyQt5.QtCore.QDate(2022, 1, 1)", a true/false one as "True")
            texts = [
                _property_text(v, w, where, problems) for v, w in ((code, "code"), (name, "name"))
            ]
            feats.append((*texts, pop, [r for r in cleaned if r is not None], k))
    finally:
        later.settle()
    try:
        result = _from_features(feats, problems, True)
    except NeighbourhoodError as exc:
        raise NeighbourhoodError(
            f"{shown_line(source or 'the neighbourhood layer')}: {exc}"
        ) from None
    refuse_outside_wgs84(result, source or "the neighbourhood layer")
    result.source = source
    return result


# ---------------------------------------------------------------------------------------------
# CSV inputs
def _read_csv(path: PathLike, what: str) -> pd.DataFrame:
    return read_text_csv(path, what, NeighbourhoodError)


def _pick(
    frame: pd.DataFrame, wanted: Optional[str], tried: Sequence[str], what: str, path: PathLike
) -> str:
    """The column ``wanted``, else the first of ``tried`` (in any case); the refusal names the
    file (a release reads a lookup, a names file and a population file beside each other)."""
    what = f"{what} {shown_line(Path(path).name)}"
    if wanted:
        if wanted not in frame.columns:
            raise NeighbourhoodError(
                f"the {what} has no column {wanted!r}; columns: "
                f"{shown_line(', '.join(frame.columns))}"
            )
        return wanted
    for name in tried:
        if name in frame.columns:
            return name
    lowered = {c.lower(): c for c in frame.columns}
    for name in tried:
        if name.lower() in lowered:
            return lowered[name.lower()]
    raise NeighbourhoodError(
        f"the {what} has none of the columns {', '.join(tried)}; say which column to use "
        f"(columns: {shown_line(', '.join(frame.columns))})"
    )


@dataclass
class LsoaLookup:
    """LSOA code -> (neighbourhood code, neighbourhood name)."""

    codes: dict[str, str]
    names: dict[str, str]
    problems: list[str] = field(default_factory=list)
    source: str = ""


def read_lookup(
    path: PathLike,
    code_field: str,
    name_field: Optional[str] = None,
    lsoa_field: Optional[str] = None,
) -> LsoaLookup:
    """A CSV lookup of LSOA code to neighbourhood (e.g. lsoa11cd -> msoa11cd, msoa11nm).

    An LSOA listed twice with different neighbourhoods is ambiguous: it is reported and
    its crimes fall back to point in polygon (or outside), never to a guess.
    """
    frame = _read_csv(path, "LSOA lookup")
    lsoa_col = _pick(frame, lsoa_field, LSOA_COLUMNS, "LSOA lookup", path)
    code_col = _pick(frame, code_field, (), "LSOA lookup", path)
    name_col = _pick(frame, name_field, (), "LSOA lookup", path) if name_field else None
    problems: list[str] = []
    lsoa = frame[lsoa_col].str.strip()
    code = frame[code_col].str.strip()
    blank = (lsoa == "") | (code == "")
    if blank.any():
        problems.append(
            f"{int(blank.sum())} lookup rows with a blank LSOA or neighbourhood skipped"
        )
    frame = frame.assign(_l=lsoa, _c=code)[~blank]
    pairs = frame.drop_duplicates(["_l", "_c"])
    dup = pairs["_l"].duplicated(keep=False)
    if dup.any():
        bad = sorted(pairs.loc[dup, "_l"].unique())
        problems.append(
            f"{len(bad)} LSOAs map to more than one neighbourhood and are not used from the "
            f"lookup (e.g. {shown_line(', '.join(bad[:5]))})"
        )
        pairs = pairs[~dup]
    codes = dict(zip(pairs["_l"], pairs["_c"]))
    if not codes:  # (else its LSOA populations were "needing a lookup" though one was given)
        raise NeighbourhoodError(
            f"{shown_line(Path(path).name)}: the LSOA lookup holds no usable LSOA to "
            f"neighbourhood row" + (f" ({'; '.join(problems)})" if problems else "")
        )
    names: dict[str, str] = {}
    if name_col:
        named = frame.assign(_n=frame[name_col].str.strip()).drop_duplicates(["_c", "_n"])
        several = named["_c"].duplicated(keep=False)
        if several.any():
            bad = sorted(named.loc[several, "_c"].unique())
            problems.append(
                f"{len(bad)} neighbourhoods have more than one name in the lookup; the first "
                f"row's is used (e.g. {shown_line(', '.join(bad[:5]))})"
            )
        named = named.drop_duplicates("_c")
        names = dict(zip(named["_c"], named["_n"]))
    return LsoaLookup(codes, names, problems, Path(path).name)


def read_names(path: PathLike, code_field: str, name_field: str) -> dict[str, str]:
    """Neighbourhood code -> name from a CSV (e.g. the House of Commons Library MSOA names).
    A code given two different names is refused (which one the public sees would be the
    file's row order's choice); a row repeated exactly is harmless."""
    frame = _read_csv(path, "names file")
    code_col = _pick(frame, code_field, (), "names file", path)
    name_col = _pick(frame, name_field, (), "names file", path)
    codes, names = frame[code_col].str.strip(), frame[name_col].str.strip()
    kept = codes != ""
    pairs = pd.DataFrame({"code": codes[kept], "name": names[kept]}).drop_duplicates()
    twice = pairs["code"].duplicated(keep=False)
    if twice.any():
        code = pairs.loc[twice, "code"].iloc[0]
        given = pairs.loc[pairs["code"] == code, "name"].tolist()
        raise NeighbourhoodError(
            f"the names file {shown_line(Path(path).name)} gives "
            f"{int(pairs.loc[twice, 'code'].nunique())} "
            f"code(s) more than one name, e.g. {shown_line(code)}: "
            + " and ".join(repr(n) for n in given[:3])
            + "; give each code one name"
        )
    return dict(zip(pairs["code"], pairs["name"]))


def read_lsoa_population(
    path: PathLike,
    lsoa_field: Optional[str] = None,
    population_field: Optional[str] = None,
    problems: Optional[list[str]] = None,
) -> dict[str, float]:
    """LSOA code -> residents (unreadable or negative values are left out, i.e. unknown,
    and said in ``problems``: how many, and the first). An LSOA listed more than once is
    refused: added up, a row repeated by a copy and paste or two overlapping files joined
    would publish a rate for twice the residents; taken once, a file of parts (by sex or
    age) would be read as its first part."""
    frame = _read_csv(path, "LSOA population file")
    lsoa_col = _pick(frame, lsoa_field, LSOA_COLUMNS, "LSOA population file", path)
    pop_col = _pick(frame, population_field, POPULATION_COLUMNS, "LSOA population file", path)
    codes = frame[lsoa_col].str.strip()
    repeated = codes[(codes != "") & codes.duplicated(keep=False)]
    if len(repeated):
        first = repeated.iloc[0]
        rows = [int(i) + 1 for i in repeated.index[repeated == first][:3]]
        raise NeighbourhoodError(
            f"the LSOA population file {shown_line(Path(path).name)} lists {repeated.nunique():,} "
            f"LSOA(s) more than once, e.g. {shown_line(first)} (data rows "
            f"{', '.join(map(str, rows))}): "
            "give each LSOA's residents on one row"
        )
    out: dict[str, float] = {}
    bad: list[tuple[int, str, str]] = []
    for row, (code, value) in enumerate(zip(codes, frame[pop_col]), start=1):
        number = _population_value(value)
        if code and not math.isnan(number):
            out[code] = number
        elif code:
            why = population_problem(value)
            if why is not None:
                bad.append((row, code, why))
    if bad and problems is not None:
        row, code, why = bad[0]
        problems.append(
            f"the LSOA population file {shown_line(Path(path).name)}: {len(bad):,} LSOA(s) have a "
            f"population that is no number of residents (e.g. data row {row}, {shown_line(code)}: "
            f"{why}); they count as missing from the file"
        )
    return out


# ---------------------------------------------------------------------------------------------
# Putting a set together
def build_neighbourhoods(
    outlines: Optional[Neighbourhoods] = None,
    lookup: Optional[LsoaLookup] = None,
    names: Optional[dict[str, str]] = None,
    lsoa_population: Optional[dict[str, float]] = None,
) -> Neighbourhoods:
    """One neighbourhood set from outlines and/or a lookup, names and LSOA populations.

    With outlines, the outlines' codes are the set, and lookup rows naming a code not in it
    are reported (their LSOAs fall back to point in polygon). With only a lookup, its
    neighbourhood codes are the set. ``names`` overrides names; ``lsoa_population`` sums LSOA
    residents per neighbourhood through the lookup (a neighbourhood with an LSOA in the
    lookup but missing from the population file gets an unknown population, not an
    undercount); without a lookup, outlines that are LSOAs themselves take their own LSOA's
    population by code.
    """
    if outlines is None and lookup is None:
        raise NeighbourhoodError("give neighbourhood outlines, an LSOA lookup, or both")
    if outlines is not None:
        result = Neighbourhoods(
            list(outlines.codes),
            list(outlines.names),
            [list(r) for r in outlines.rings],
            outlines.population.copy(),
            {},
            list(outlines.problems),
            outlines.source,
        )
    else:
        assert lookup is not None
        codes = sorted(set(lookup.codes.values()))
        result = Neighbourhoods(
            codes,
            [lookup.names.get(c) or c for c in codes],
            [[] for _ in codes],
            np.full(len(codes), np.nan),
            {},
            [],
            lookup.source,
        )
    if lookup is not None:
        result.problems.extend(lookup.problems)
        unknown: set[str] = set()
        for lsoa, code in lookup.codes.items():
            i = result.index_of(code)
            if i is None:
                unknown.add(code)
            else:
                result.lookup[lsoa] = i
        if unknown:
            result.problems.append(
                f"the lookup names {len(unknown)} neighbourhood codes with no outline (e.g. "
                f"{shown_line(', '.join(sorted(unknown)[:5]))}); their LSOAs are assigned by "
                "point in polygon"
            )
        if outlines is not None and lookup.names:
            result.names = [
                n if n != c else (lookup.names.get(c) or c)
                for c, n in zip(result.codes, result.names)
            ]
    if names:
        result.names = [names.get(c) or n for c, n in zip(result.codes, result.names)]
    refuse_unprintable_codes(result.codes, result.source)
    result.names = published_names(result.codes, result.names, result.problems)
    if lsoa_population is not None and not result.lookup:
        result.population = _own_lsoa_population(result, lsoa_population)
    elif lsoa_population is not None:
        pop = np.zeros(len(result))
        missing = np.zeros(len(result), bool)
        seen = np.zeros(len(result), bool)
        for lsoa, i in result.lookup.items():
            seen[i] = True
            value = lsoa_population.get(lsoa)
            if value is None:
                missing[i] = True
            else:
                pop[i] += value
        pop[missing | ~seen] = np.nan
        if missing.any():
            result.problems.append(
                f"{int(missing.sum())} neighbourhoods have LSOAs missing from the population "
                "file: their population (and rates) are shown as n/a"
            )
        result.population = pop
    result.__post_init__()
    return result


def refuse_unprintable_codes(codes: Sequence[str], source: str) -> None:
    """NeighbourhoodError when a code holds a tab, a line break, a run of spaces or an
    invisible character (a bidi override, a zero-width space): what a page would not show as
    it is written (text_file.page_line changes it).

    Why a refusal, where a name is folded: a code is matched as written (the lookup, the
    team file, the families) and published as written (each page's "Neighbourhood code",
    the summaries' CSV), so "E02<RLO>002828" was shown reordered on its page and a line break
    split the CSV's cell; folded, it would no longer be the code the other files give. A
    control character (NUL, ESC) is read as a space when the code is read (_printable)."""
    bad = [code for code in codes if page_line(code) != code]
    if bad:
        where = f"{shown_line(source)}: " if source else ""
        raise NeighbourhoodError(
            f"{where}{len(bad):,} neighbourhood code(s) hold a tab, a line break, a run of "
            f"spaces or an invisible character, e.g. {_shown_value(bad[0])}: a code is "
            "published and matched as it is written; give the codes without them"
        )


def published_names(codes: Sequence[str], names: Sequence[str], problems: list[str]) -> list[str]:
    """Each neighbourhood's name as every output publishes it, what was changed said in
    ``problems``: folded as a page shows a line (text_file.page_line: its tabs, line breaks
    and runs of white space one space, its format characters such as a bidi override taken
    out; the code where nothing is left), then, where two neighbourhoods would be published
    under one name or one would take the name of a row the outputs add (RESERVED_LABELS),
    the code after the name: "Abbey (E05000001)".

    Why here, for every source of names (outlines, a QGIS layer, a lookup, a names file):
    the pages folded a name as they showed it, and the summaries' CSV and GeoPackage wrote
    it as read (a tab, a line break, a right-to-left override in a CSV cell); and the web map
    counts its areas by name, so two wards called "Abbey" were one area there: each outline's
    popup gave the two wards' crimes over one ward's residents, and a neighbourhood named
    "Outside any neighbourhood" took the crimes outside every outline."""
    folded = [page_line(str(name)) or code for code, name in zip(codes, names)]
    for code, name, shown in zip(codes, names, folded):
        if shown != name:
            problems.append(
                f"{shown_line(code)}: the name {_shown_value(name)} holds line breaks, tabs, "
                f"runs of spaces or invisible characters; published as {_shown_value(shown)}"
            )
    count: dict[str, int] = {}
    for name in folded:
        count[name] = count.get(name, 0) + 1
    clash = [count[n] > 1 or n in RESERVED_LABELS for n in folded]
    if not any(clash):
        return folded
    out = [f"{n} ({c})" if hit else n for n, c, hit in zip(folded, codes, clash)]
    taken = sorted({n for n, hit in zip(folded, clash) if hit})
    first = taken[0]
    problems.append(
        f"{len(taken):,} name(s) would be published for more than one neighbourhood or for a "
        f"row the outputs add, e.g. {_shown_value(first)} (given to "
        + ", ".join(shown_line(c) for n, c in zip(folded, codes) if n == first)[:200]
        + "): each such neighbourhood is published with its code after its name, so that "
        "readers and the web map's counts tell them apart"
    )
    if len(set(out)) < len(out):
        twice = next(n for n in out if out.count(n) > 1)
        raise NeighbourhoodError(
            f"two neighbourhoods would be published as {_shown_value(twice)} even with their "
            "codes after their names: give them names that differ"
        )
    return out


def _own_lsoa_population(hoods: Neighbourhoods, lsoa_population: dict[str, float]) -> np.ndarray:
    """Populations of outlines that are LSOAs themselves (their codes are LSOA codes): each
    outline takes its own LSOA's residents, no lookup needed. Codes missing from the file are
    unknown (NaN), reported; no code found at all means these are not LSOA outlines."""
    pop = np.array([lsoa_population.get(c.strip(), np.nan) for c in hoods.codes], np.float64)
    found = int(np.isfinite(pop).sum())
    if found == 0:
        raise NeighbourhoodError(
            "an LSOA population file needs an LSOA lookup to sum it per neighbourhood (or "
            "outlines that are LSOAs: none of the outlines' codes is in the population file)"
        )
    if found < len(pop):
        hoods.problems.append(
            f"{len(pop) - found} outlines have codes missing from the LSOA population file: "
            "their population (and rates) are shown as n/a"
        )
    return pop


# ---------------------------------------------------------------------------------------------
# Assignment
def _crossings(px: np.ndarray, py: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Number of edges a ray from each point towards +x crosses (half-open in y, so a ray
    through a vertex counts once)."""
    x1, y1, x2, y2 = (edges[:, k][None, :] for k in range(4))
    out = np.zeros(len(px), np.int64)
    rows = max(1, _MAX_POINTS_X_EDGES // max(1, len(edges)))
    for start in range(0, len(px), rows):
        sx = px[start : start + rows, None]
        sy = py[start : start + rows, None]
        straddle = (y1 > sy) != (y2 > sy)
        with np.errstate(divide="ignore", invalid="ignore"):
            xcross = x1 + (sy - y1) * (x2 - x1) / (y2 - y1)
        out[start : start + rows] = (straddle & (sx < xcross)).sum(axis=1)
    return out


def points_in_neighbourhoods(lon: np.ndarray, lat: np.ndarray, hoods: Neighbourhoods) -> np.ndarray:
    """Index of the neighbourhood holding each point, OUTSIDE (-1) where none does.

    A point on a boundary shared by two neighbourhoods goes to the first in the set's order
    (the half-open ray test puts it in at most one of them in the ordinary case). All the
    outlines at once (core.publish.points_in_areas: a national month's 294,000 positions in
    7,200 outlines took 0.37 s outline by outline, much of it per-outline overhead).
    """
    result = np.full(len(lon), OUTSIDE, np.int64)
    if not hoods.has_outlines:
        return result
    edges, starts, ends = hoods.edges()
    return first_containing(lon, lat, edges, starts, ends, hoods.bounds(), outside=OUTSIDE)


@dataclass
class Assignment:
    """Which neighbourhood each crime is in: ``index`` per row (OUTSIDE, NO_LOCATION or a
    neighbourhood index) and how many rows were assigned each way."""

    index: np.ndarray
    by_lookup: int
    by_polygon: int
    outside: int
    no_location: int

    @property
    def total(self) -> int:
        return len(self.index)

    def report(self) -> str:
        """The summaries' index says this to the public: the crimes without a location are
        said in the words of their row (NO_LOCATION_LABEL), not in a third wording."""
        return (
            f"{self.total:,} crimes: {self.by_lookup:,} assigned by LSOA code, "
            f"{self.by_polygon:,} by point in polygon, {self.outside:,} outside any "
            f"neighbourhood, {self.no_location:,} whose location is not published"
        )


#: (codes, distinct values) of a text column, as ``pd.factorize(column, sort=False)`` gives them
Factorized = tuple[np.ndarray, Any]


def column_codes(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values as str) of a text column: a categorical column's own codes, or
    pd.factorize. Lets a national table held as categoricals (a year is millions of rows)
    be summarised without ever making millions of Python strings."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        uniques = np.asarray([str(v) for v in series.cat.categories], dtype=object)
        if (codes < 0).any():  # a missing value: treat as blank text
            uniques = np.append(uniques, "")
            codes = np.where(codes < 0, len(uniques) - 1, codes)
        return codes.astype(np.int64), uniques
    return factorized_codes(pd.factorize(series, sort=False))


def factorized_codes(factorized: Factorized) -> tuple[np.ndarray, np.ndarray]:
    """column_codes of a (non-categorical) column from its ``pd.factorize(column,
    sort=False)``, made already by a reader that parsed the column's distinct values (the web
    map's coordinates: core.publish.webmap_inputs), so that it is not factorized twice."""
    codes, uniques = factorized
    uniques = np.asarray(uniques, dtype=object)
    if set(map(type, uniques.tolist())) - {str}:  # (a text column's are all str already)
        uniques = np.asarray(["" if v is None else str(v) for v in uniques], dtype=object)
    if (codes < 0).any():
        uniques = np.append(uniques, "")
        codes = np.where(codes < 0, len(uniques) - 1, codes)
    return codes.astype(np.int64), uniques


def _blank_texts(values: np.ndarray) -> np.ndarray:
    """``v.strip() == ""`` of each str: empty or all white space (str.isspace, as strip
    takes), in C over the list (a comprehension cost 0.04 s a column nationally)."""
    texts = values.tolist()
    n = len(texts)
    empty = np.fromiter(map(len, texts), dtype=np.int64, count=n) == 0
    return empty | np.fromiter(map(str.isspace, texts), dtype=bool, count=n)


# (longitudes, latitudes, inverse) of the distinct positions of some rows: each row's at
# ``inverse``
_Positions = tuple[np.ndarray, np.ndarray, np.ndarray]


def _typed_coordinates(public: pd.DataFrame) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """(longitudes, latitudes) when the table's coordinate columns are numbers already (a
    reader parsed them whole: webmap_inputs' typed read, where a blank cell is NaN and any
    other text that is not a number made it read them as text instead); else None."""
    lon, lat = public["Longitude"], public["Latitude"]
    if lon.dtype != np.float64 or lat.dtype != np.float64:
        return None
    return lon.to_numpy(), lat.to_numpy()


def _distinct_positions(coords: tuple[np.ndarray, np.ndarray], rows: np.ndarray) -> _Positions:
    """(longitudes, latitudes, inverse) of the distinct (longitude, latitude) pairs of
    ``rows`` of coordinates read as numbers, each row's pair at ``inverse``: the numbers
    are the texts' own (the reader's converter is pd.to_numeric's), so each position is
    tested once as by its texts, without a Python string per cell (some 0.3 s of a
    national month's web map)."""
    lon, lat = coords[0][rows], coords[1][rows]
    lon_codes, lon_values = pd.factorize(lon, sort=False)
    lat_codes, lat_values = pd.factorize(lat, sort=False)
    pair = lon_codes.astype(np.int64) * np.int64(len(lat_values)) + lat_codes
    _distinct, first, inverse = np.unique(pair, return_index=True, return_inverse=True)
    return lon[first], lat[first], inverse


def _parse_coordinates(values: Any) -> np.ndarray:
    return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(np.float64)


def _text_positions(
    public: pd.DataFrame,
    coordinates: Optional[tuple[Factorized, Factorized]],
    parsed: Optional[tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, Callable[[np.ndarray], _Positions]]:
    """(which rows have no location, the distinct positions of some rows) of coordinate
    columns read as text (assign_crimes' ``coordinates`` and ``parsed``): a blank text is
    no location, and each distinct (Longitude, Latitude) text pair one position."""
    n = len(public)
    if coordinates is None:
        lon_codes, lon_values = column_codes(public["Longitude"])
        lat_codes, lat_values = column_codes(public["Latitude"])
    else:
        (lon_codes, lon_values), (lat_codes, lat_values) = map(factorized_codes, coordinates)
        if not len(lon_codes) == len(lat_codes) == n:
            raise ValueError("the coordinates' codes given are not one per row of the table")
        if parsed is not None and not len(parsed[0]) == len(parsed[1]) == n:
            raise ValueError("the coordinates given are not one per row of the table")
    lon_blank, lat_blank = _blank_texts(lon_values), _blank_texts(lat_values)

    def positions(rows: np.ndarray) -> _Positions:
        pair = lon_codes[rows] * np.int64(len(lat_values)) + lat_codes[rows]
        if coordinates is not None and parsed is not None:
            # (every row of a pair holds its texts' numbers: its first row's are the pair's)
            _distinct, first, inverse = np.unique(pair, return_index=True, return_inverse=True)
            ulon = np.asarray(parsed[0], np.float64)[rows[first]]
            ulat = np.asarray(parsed[1], np.float64)[rows[first]]
        else:
            distinct, inverse = np.unique(pair, return_inverse=True)
            ulon = _parse_coordinates(lon_values[distinct // len(lat_values)])
            ulat = _parse_coordinates(lat_values[distinct % len(lat_values)])
        return ulon, ulat, inverse

    return lon_blank[lon_codes] | lat_blank[lat_codes], positions


def assign_crimes(
    public: pd.DataFrame,
    hoods: Neighbourhoods,
    coordinates: Optional[tuple[Factorized, Factorized]] = None,
    parsed: Optional[tuple[np.ndarray, np.ndarray]] = None,
) -> Assignment:
    """Assign every row of the public release table (police.uk street columns, text cells).

    By LSOA code where the lookup holds it; else by point in polygon on the published
    coordinates, evaluated once per distinct (Longitude, Latitude) text pair; rows with no
    coordinates are NO_LOCATION, rows in no neighbourhood OUTSIDE. ``coordinates``: the
    table's Longitude and Latitude columns each as ``pd.factorize(column, sort=False)``
    gave them, when a reader made that already (a national month's two columns: 0.15 s);
    ``parsed``: with them, the rows' Longitude and Latitude as that reader parsed each
    distinct text (webmap_inputs.parse_coded), so a position's numbers are taken from its
    first row instead of parsing its texts again (0.08 s nationally). A table whose
    coordinate columns a reader parsed to numbers already (NaN for a blank cell: the web
    map's typed read) is assigned by them, each distinct pair tested once.
    """
    n = len(public)
    index = np.full(n, OUTSIDE, np.int64)
    by_lookup = np.zeros(n, bool)
    if n == 0:
        return Assignment(index, 0, 0, 0, 0)
    if hoods.lookup:
        codes, uniques = column_codes(public["LSOA code"])
        mapped = np.array([hoods.lookup.get(u.strip(), OUTSIDE) for u in uniques], np.int64)
        index = mapped[codes]
        by_lookup = index >= 0
    typed = _typed_coordinates(public)
    if typed is not None:  # (a NaN is a blank cell: no location)
        no_location = np.isnan(typed[0]) | np.isnan(typed[1])
        positions: Callable[[np.ndarray], _Positions] = partial(_distinct_positions, typed)
    else:
        no_location, positions = _text_positions(public, coordinates, parsed)
    need = ~by_lookup & ~no_location
    by_polygon = np.zeros(n, bool)
    if need.any() and hoods.has_outlines:
        rows = np.flatnonzero(need)
        ulon, ulat, inverse = positions(rows)
        got = points_in_neighbourhoods(ulon, ulat, hoods)[inverse]
        index[rows] = got
        by_polygon[rows] = got >= 0
    index[no_location & ~by_lookup] = NO_LOCATION
    return Assignment(
        index=index,
        by_lookup=int(by_lookup.sum()),
        by_polygon=int(by_polygon.sum()),
        outside=int((index == OUTSIDE).sum()),
        no_location=int((index == NO_LOCATION).sum()),
    )
