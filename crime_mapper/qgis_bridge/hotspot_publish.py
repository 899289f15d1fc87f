"""Publishing a hotspot grid for the public: from the public release only, leak-gated.

Issue 4: "publishing a hotspot layer goes through the leak gate like everything public". The
internal hotspot runs use exact data; a public grid is built only from the public release CSV
(written by the anonymise step), the release itself is gated first, and the staged grid is
gated again before it is moved into place.

:func:`run_publish_hotspots` is the one implementation behind crime_mapper:publish_hotspots
and the dock's Hotspots panel ("Publish for the public…"); it touches no QGIS layer, so it runs
in a QgsTask worker thread.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

from ..core.common import palette
from ..core.common.feedback import Feedback, ScaledFeedback
from ..core.common.geography import WGS84, transform
from ..core.common.staging import staged_outputs
from ..core.common.text_file import shown_line
from ..core.hotspots.hexgrid import DEFAULT_MAX_CELLS, HotspotInputError
from ..core.hotspots.legend import metres
from ..core.hotspots.methods import PUBLIC_METHODS
from ..core.hotspots.selection import MonthCoverage, month_coverage, parse_category, parse_months
from ..core.io.gpkg_read import read_only_uri
from .hotspot_files import write_polygon_gpkg
from .hotspot_layers import GRID_TABLE, HotspotOutputs, class_labels
from .renderers import GI_CLASS_FIELD

PathLike = Union[str, "os.PathLike[str]"]

_SQLITE_MAGIC = b"SQLite format 3\x00"


def read_release_csv(path: PathLike) -> Any:
    """The public release table from its CSV, or a PublishError saying why it is not one.

    Checked here, before anything is read or written, because the one thing that must never
    happen is a "public" grid made from the internal crimes table (exact locations).
    """
    from ..core.release.public_schema import PUBLIC_COLUMNS, read_public_csv

    path = Path(path)
    wanted = (
        "the public release CSV written by crime_mapper:anonymise (police.uk street "
        "columns, coordinates at map points)"
    )
    if not path.is_file():
        raise PublishError(f"RELEASE not found: {shown_line(path)}. Give {wanted}.")
    with open(path, "rb") as handle:
        head = handle.read(len(_SQLITE_MAGIC))
    if head == _SQLITE_MAGIC:
        raise PublishError(
            f"RELEASE {shown_line(path.name)} is a GeoPackage/SQLite file (such as the "
            "internal crimes GeoPackage of a load), not the public release: a public hotspot "
            "grid is built "
            f"only from {wanted}. Anonymise first, then publish from the release CSV."
        )
    try:
        public = read_public_csv(path)
    except (UnicodeDecodeError, ValueError) as exc:  # pandas parser errors are ValueErrors
        raise PublishError(
            f"RELEASE {shown_line(path.name)} cannot be read as a CSV ({exc}); give {wanted}."
        ) from exc
    if list(public.columns) != list(PUBLIC_COLUMNS):
        extra = [shown_line(c) for c in public.columns if c not in PUBLIC_COLUMNS]  # (one line)
        found = f"non-public columns such as {', '.join(extra[:6])}" if extra else "other columns"
        raise PublishError(
            f"RELEASE {shown_line(path.name)} is not the public release table: it has "
            f"{found}; a public hotspot grid is built only from {wanted}, exactly: "
            f"{', '.join(PUBLIC_COLUMNS)}. Anonymise first, then publish from the release."
        )
    return public


def release_coverage(public: Any, category: Optional[str], months: list[str]) -> MonthCoverage:
    """The months of the release a public grid covers, and those in which the chosen
    category has crimes with a published location (the ones the grid counts)."""
    located = _located(*_positions(public))
    if category is not None:
        located &= (public["Crime type"] == category).to_numpy()
    return month_coverage(months, public["Month"].unique(), public["Month"][located].unique())


def _positions(frame: Any) -> tuple[np.ndarray, np.ndarray]:
    """Each row's published (longitude, latitude); NaN where there is none (blank)."""
    import pandas as pd

    lon = pd.to_numeric(frame["Longitude"], errors="coerce").to_numpy(dtype=np.float64)
    lat = pd.to_numeric(frame["Latitude"], errors="coerce").to_numpy(dtype=np.float64)
    return lon, lat


def _located(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The rows with a published location: the ones a public grid counts."""
    return np.isfinite(lon) & np.isfinite(lat)


def publish_title(method: str, cell_size_m: float, category: Optional[str], months: str) -> str:
    """``months``: the release's months in words (:meth:`MonthCoverage.describe`)."""
    what = "hot and cold spots" if method == "gi" else "crime counts"
    return f"Public {what}, {cell_size_m:,.0f} m hexagons ({category or 'all crimes'}, {months})"


def publish_legend(
    method: str,
    cell_size_m: float,
    category: Optional[str],
    months: str,
    fdr: bool,
    release_name: str,
) -> str:
    """The plain-words explanation stored with the published layer (``months`` in words, as
    :meth:`MonthCoverage.describe` gives them)."""
    subject = f"{category or 'all crimes'}, {months}"
    base = (
        f"Made for the public from the police.uk-style release {release_name} "
        f"({subject}): crimes are counted at their published (anonymous map point) "
        f"locations, on {cell_size_m:,.0f} m hexagons of a fixed grid. Crimes published "
        "without a location are not counted. The only coordinates in this layer are the "
        "hexagon corners; it passed the leak gate before it was written."
    )
    if method == "gi":
        return base + (
            " Getis-Ord Gi*: hot spots are cells whose neighbourhood (the cell and "
            "its 6 neighbours) holds many more published crimes than average, cold "
            "spots many fewer; 90/95/99% confidence, false discovery rate "
            f"correction {'on' if fdr else 'off'}."
        )
    return base + " Darker = more crimes; classes are quantiles of the counts."


def _grid_facts(path: Path) -> tuple[int, int]:
    """(cells, crimes counted) of a written public grid."""
    with sqlite3.connect(read_only_uri(path), uri=True) as conn:
        cells, crimes = conn.execute(
            f'SELECT COUNT(*), COALESCE(SUM("count"), 0) FROM "{GRID_TABLE}"'
        ).fetchone()
    return int(cells), int(crimes)


def run_publish_hotspots(
    release_csv: PathLike,
    crimes: Any,
    points: Any,
    out_path: PathLike,
    *,
    method: str = "grid",
    cell_size_m: float = 500.0,
    category: Optional[str] = None,
    months: Any = None,
    fdr: bool = False,
    max_cells: int = DEFAULT_MAX_CELLS,
    profile_path: Optional[PathLike] = None,
    feedback: Optional[Feedback] = None,
) -> Any:
    """Publish a hotspot grid from the public release CSV, through the leak gate twice.

    ``crimes``: the raw (internal) table the gate checks against: a crimes GeoPackage path or
    URI, or extract paths (+ ``profile_path``). ``points``: a MapPointsSpec or a map points
    file (.gpkg / .csv). publish_hotspot_grid gates the release itself (a CSV edited since
    anonymising, e.g. one coordinate moved off its map point, is refused: the grid would count
    crimes where the public must not see them), then the staged grid with the hexagon corners
    as the only extra coordinates allowed. Raises PublishError or
    HotspotInputError (bad input), LeakError (gate failed) or Cancelled; in every case
    before ``out_path`` is replaced. Returns a qgis_bridge.hotspot_layers.HotspotOutputs
    (kind "grid" or "gi"), so the panel adds and styles it like any hotspot layer.
    """
    from ..core.release.crimes_input import load_profile, open_crimes_source
    from .map_points_io import MapPointsSpec

    feedback = feedback or Feedback()
    public_names = [m.name for m in PUBLIC_METHODS]
    if method not in public_names:
        raise PublishError(f"unknown method {method!r}: one of " + ", ".join(public_names))
    category = parse_category(category)
    month_list = parse_months(months)
    public = read_release_csv(release_csv)
    feedback.set_progress(5.0)
    if not isinstance(points, MapPointsSpec):
        points = MapPointsSpec(
            "file", paths=[str(points)], description=f"map points file {Path(str(points)).name}"
        )
    point_set = points.resolve(None, ScaledFeedback(feedback, 5.0, 15.0))
    feedback.check()
    raw = open_crimes_source(
        crimes, profile=load_profile(profile_path), feedback=ScaledFeedback(feedback, 15.0, 45.0)
    ).crimes
    feedback.check()
    feedback.set_progress(45.0)
    path = publish_hotspot_grid(
        public,
        raw,
        point_set,
        out_path,
        cell_size_m=cell_size_m,
        method=method,
        fdr=fdr,
        category=category,
        months=month_list,
        max_cells=max_cells,
        feedback=ScaledFeedback(feedback, 45.0, 100.0),
    )
    cells, counted = _grid_facts(path)
    feedback.set_progress(100.0)
    name = Path(release_csv).name
    months_text = release_coverage(public, category, month_list).describe()
    located = int((public["Longitude"] != "").sum())
    notes = (
        [
            f"{len(public) - located:,} crimes of the release have no published location "
            "and are not on the map."
        ]
        if located < len(public)
        else []
    )
    return HotspotOutputs(
        method,
        Path(path),
        publish_title(method, cell_size_m, category, months_text),
        publish_legend(method, cell_size_m, category, months_text, fdr, name),
        WGS84,
        counted,
        cells,
        notes=notes,
        facts={
            "cell_size_m": float(cell_size_m),
            "fdr": bool(fdr),
            "release": name,
            "published_rows": len(public),
            "published_located": located,
        },
    )


class PublishError(ValueError):
    """A public hotspot grid was asked for from something that is not the public release."""


def publish_hotspot_grid(
    public: Any,
    raw: Any,
    points: Any,
    out_path: PathLike,
    *,
    cell_size_m: float = 500.0,
    method: str = "grid",
    fdr: bool = False,
    category: Optional[str] = None,
    months: Any = None,
    max_cells: int = DEFAULT_MAX_CELLS,
    feedback: Optional[Feedback] = None,
) -> Path:
    """Write a hotspot grid for the public (GeoPackage, WGS84) from the public release table.

    Only the public release table (exactly core.release.public_schema.PUBLIC_COLUMNS: police.uk
    street schema, map-point coordinates) is accepted, never the internal crimes table, so
    the grid can only be built from coordinates that are already public. Counts (``method``
    "grid") or Gi* classes ("gi") on hexagons; the hexagon vertices come from the grid
    settings, not from the data, and are given to the leak gate
    (core.gate.leak_gate.assert_release_safe, with ``raw`` = the internal table and ``points`` =
    the map points) as the only coordinates allowed besides map points. The gate runs on the
    staged file before it is moved into place: a failing gate raises LeakError and leaves
    nothing (and any earlier file) unchanged.
    """
    import pandas as pd

    from ..core.common.projection import choose_crs
    from ..core.gate.leak_gate import assert_release_safe, prepare_gate
    from ..core.hotspots.hexgrid import HexGrid, grid_counts, hex_polygons
    from ..core.release.public_schema import PUBLIC_COLUMNS

    feedback = feedback or Feedback()
    if not isinstance(public, pd.DataFrame):
        raise PublishError(
            "a public hotspot grid is built from the public release table "
            "(a police.uk street-schema DataFrame) only"
        )
    if list(public.columns) != list(PUBLIC_COLUMNS):
        extra = [shown_line(c) for c in public.columns if c not in PUBLIC_COLUMNS]  # (one line)
        found = f"non-public columns {', '.join(extra[:6])}" if extra else "other columns"
        raise PublishError(
            "a public hotspot grid can only be built from the public release table "
            f"(police.uk street columns: {', '.join(PUBLIC_COLUMNS)}); this table has "
            f"{found}. Anonymise first, then publish from the release."
        )
    if method not in ("grid", "gi"):
        raise PublishError("method must be 'grid' or 'gi'")
    # The release itself first: the grid's file holds only hexagon corners, so a crime moved
    # off its map point in an edited release would be counted where the public must not see
    # it, and no check of the grid file could tell.
    gate = prepare_gate(raw, points)
    assert_release_safe(raw, public, points, prepared=gate)
    feedback.check()
    frame = public
    category = parse_category(category)
    month_list = parse_months(months)
    if category is not None:
        frame = frame[frame["Crime type"] == category]
    if month_list:
        frame = frame[frame["Month"].isin(month_list)]
    lon, lat = _positions(frame)
    ok = _located(lon, lat)
    lon, lat = lon[ok], lat[ok]
    if len(lon) == 0:
        raise HotspotInputError("no published crimes with a location in the chosen months/category")
    crs = choose_crs(lon, lat)
    x, y = transform(lon, lat, WGS84, crs)
    grid = HexGrid(float(cell_size_m), crs)
    rings = 1 if method == "gi" else 0
    counts = grid_counts(x, y, grid, rings=rings, max_cells=max_cells)
    feedback.check()
    # vertices from the settings (q, r, size, CRS), then to WGS84 for the web
    polygons = hex_polygons(counts.q, counts.r, grid)
    n, k, _ = polygons.shape
    vlon, vlat = transform(polygons[:, :, 0].ravel(), polygons[:, :, 1].ravel(), crs, WGS84)
    vlon, vlat = np.round(vlon, 6), np.round(vlat, 6)
    wgs = np.stack([vlon.reshape(n, k), vlat.reshape(n, k)], axis=2)
    columns: list[tuple[str, str, np.ndarray]] = [("count", "INTEGER", counts.count)]
    if method == "gi":
        from ..core.hotspots.getis_ord import gi_star

        gi = gi_star(counts.q, counts.r, counts.count, rings=rings, fdr=fdr)
        classes = np.asarray(gi.hotspot_class, dtype=np.int64)
        columns += [
            (GI_CLASS_FIELD, "INTEGER", classes),
            ("class_label", "TEXT", class_labels(palette.GI_CLASSES, classes)),
        ]
    with staged_outputs() as stage:
        tmp = stage.path_for(out_path)
        write_polygon_gpkg(
            tmp,
            GRID_TABLE,
            wgs,
            columns,
            WGS84,
            f"Public hotspot grid, {metres(cell_size_m)} hexagons",
        )
        feedback.check()
        assert_release_safe(raw, tmp, points, extra_allowed_coordinates=(vlon, vlat))
    return Path(out_path)
