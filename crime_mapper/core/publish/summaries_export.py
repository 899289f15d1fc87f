"""Write the neighbourhood summaries: tidy CSV, neighbourhood GeoPackage layer (choropleth
style stored in it), one HTML page per neighbourhood and an index. The one function the
command line, the Processing algorithm and the dock all call (``export_summaries``).

Public output rules: the input must be the public release table (exactly the police.uk street
columns); everything is written into a folder staged by core.common.staging (hidden, beside
the target, the same journal and recovery as every other output), the leak gate (a callable
given by the caller, so the raw table never has to be loaded here) runs on that folder, and
only if it passes does the folder replace ``<out>/neighbourhoods``. A failure, a cancel or a
killed run leaves the previous summaries exactly as they were; the next run removes a killed
run's stage (and old stage folders earlier versions left, see clean_legacy_stages).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Optional, Union

import numpy as np
import pandas as pd

from ..common.csv_safety import safe_cell
from ..common.feedback import Feedback, ScaledFeedback
from ..common.palette import NO_DATA_COLOUR, OUTLINE_COLOUR, sequential_colours
from ..common.staging import Staging, staged_outputs
from ..common.text_file import shown_line
from ..release.public_schema import PUBLIC_COLUMNS
from .neighbourhoods import (
    Assignment,
    Neighbourhoods,
    assign_crimes,
    neighbourhood_slugs,
    problem_warnings,
)
from .summaries import TOTAL, Summaries, SummaryError, SummaryOptions, compute_summaries
from .summaries_render import PageLinks, SummaryRenderer
from .summaries_team import Team

PathLike = Union[str, Path]
FOLDER = "neighbourhoods"
CSV_NAME = "neighbourhood_summaries.csv"
GPKG_NAME = "neighbourhoods.gpkg"
LAYER = "neighbourhood_summaries"
#: The summaries' PDF atlas (qgis_bridge.atlas), beside their folder: one name for
#: Processing's ATLAS, the dock's Summaries tab and the monthly release's publish.atlas
ATLAS_NAME = "neighbourhoods_atlas.pdf"
CSV_COLUMNS = ("neighbourhood_code", "neighbourhood", "month", "category", "count", "status")
CHOROPLETH_CLASSES = 5
GateFn = Callable[[Path, "Neighbourhoods"], Any]  # returns a GateReport-like (passed, message())


class SummaryGateError(RuntimeError):
    """The leak gate refused the summaries; nothing was replaced."""


@dataclass
class SummaryExport:
    folder: Path
    pages: int
    csv_rows: int
    summaries: Summaries
    assignment: Assignment
    gate_message: str = ""
    problems: list[str] = field(default_factory=list)
    # the table summarised (history months and the release), row for row with ``assignment``
    table: Optional[pd.DataFrame] = None
    #: Where the folder's files are until the caller's Staging commits them (export_summaries'
    #: ``staging``); None: ``folder`` holds them already.
    staged: Optional[Path] = None

    @property
    def files_at(self) -> Path:
        """The folder that holds the summaries' files now (staged, or in place)."""
        return self.staged if self.staged is not None else self.folder


def check_public_table(public: pd.DataFrame) -> None:
    if tuple(public.columns) != PUBLIC_COLUMNS:
        extra = [str(c) for c in public.columns if c not in PUBLIC_COLUMNS]
        raise SummaryError(
            "summaries are made only from the public release table (the police.uk street "
            "columns); this table has "
            + (
                f"non-public columns such as {shown_line(', '.join(extra[:6]))}"
                if extra
                else "other columns"
            )
        )


# ---------------------------------------------------------------------------------------------
# Tidy CSV
def tidy_frame(s: Summaries) -> pd.DataFrame:
    """One row per area (neighbourhoods, outside, no location, force), month and category
    (and the total). Missing months: count blank, status 'missing month'; suppressed cells:
    count blank, status 'fewer than N' or 'hidden (secondary)'."""
    n_areas, n_months, n_cats = s.cube.shape
    codes = np.asarray(s.area_codes(), dtype=object)
    labels = np.asarray(s.area_labels(), dtype=object)
    cats = np.asarray(list(s.categories) + [TOTAL], dtype=object)
    months = np.asarray(s.months, dtype=object)
    a = np.repeat(np.arange(n_areas), n_months * n_cats)
    m = np.tile(np.repeat(np.arange(n_months), n_cats), n_areas)
    c = np.tile(np.arange(n_cats), n_areas * n_months)
    values = s.cube.reshape(-1)
    count = values.astype(str).astype(object)
    status = np.full(values.shape, "published", dtype=object)
    if s.suppressed is not None:
        sup = s.suppressed.reshape(-1)
        small = sup & (values < s.options.suppress_below)
        status[small] = f"fewer than {s.options.suppress_below}"
        status[sup & ~small] = "hidden (secondary)"
        count[sup] = ""
    absent = ~s.present[m]
    count[absent] = ""
    status[absent] = "missing month"
    safe_codes = np.asarray([safe_cell(v) for v in codes], dtype=object)
    safe_labels = np.asarray([safe_cell(v) for v in labels], dtype=object)
    safe_cats = np.asarray([safe_cell(v) for v in cats], dtype=object)
    return pd.DataFrame(
        {
            "neighbourhood_code": safe_codes[a],
            "neighbourhood": safe_labels[a],
            "month": months[m],
            "category": safe_cats[c],
            "count": count,
            "status": status,
        }
    )


def write_tidy_csv(s: Summaries, path: Path) -> int:
    """The tidy CSV: the rows of :func:`tidy_frame`, cells quoted as csv.writer (minimal)
    quotes them. A national month is 7,200 neighbourhoods x 13 months x 15 categories =
    1.4 million rows (95 MB), so the text is not built cell by cell: each area's rows are
    its code and name, then one of the 13 x 15 fixed (month, category) middles, then one of
    the few distinct (count, status) ends, joined area by area."""
    n_areas, n_months, n_cats = s.cube.shape
    areas = [
        _csv_cell(safe_cell(code)) + "," + _csv_cell(safe_cell(label)) + ","
        for code, label in zip(s.area_codes(), s.area_labels())
    ]
    cats = [_csv_cell(safe_cell(c)) for c in list(s.categories) + [TOTAL]]
    middles = [f"{_csv_cell(m)},{c}," for m in s.months for c in cats]
    ends, end_of = _tidy_ends(s)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(CSV_COLUMNS) + "\n")
        for a in range(n_areas):
            start = areas[a]
            row_ends = ends[end_of[a]].tolist()
            handle.write("".join([start + m + e for m, e in zip(middles, row_ends)]))
    return n_areas * n_months * n_cats


def _tidy_ends(s: Summaries) -> tuple[np.ndarray, np.ndarray]:
    """(the distinct ``count,status`` row ends as text, each cell's index into them as an
    (areas, months x categories) array), with tidy_frame's rules: a missing month blanks
    the count ('missing month'), a suppressed cell blanks it ('fewer than N' when below
    the threshold, else 'hidden (secondary)'), any other cell shows its count."""
    n_areas, n_months, n_cats = s.cube.shape
    values = s.cube.reshape(-1).astype(np.int64)
    statuses = ["missing month", "hidden (secondary)"]
    # published cells keep their count (>= 0); the others get -1 - their status
    token = values.copy()
    if s.suppressed is not None:
        sup = s.suppressed.reshape(-1)
        small = sup & (values < s.options.suppress_below)
        statuses.append(f"fewer than {s.options.suppress_below}")
        token[sup & ~small] = -2
        token[small] = -3
    absent = np.repeat(~s.present, n_cats)
    token[np.tile(absent, n_areas)] = -1
    distinct, index = np.unique(token, return_inverse=True)
    ends = [
        f"{v},published\n" if v >= 0 else f",{_csv_cell(statuses[-1 - v])}\n"
        for v in distinct.tolist()
    ]
    return np.asarray(ends, dtype=object), index.reshape(n_areas, n_months * n_cats)


def _csv_cell(value: str) -> str:
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


class _BackgroundWriter:
    """Writes files on a second thread while the next page renders (creating 7,200 files is
    mostly waiting on the file system, which releases the GIL). An error in the thread is
    raised in the caller at the next check() or at the end."""

    def __init__(self) -> None:
        import queue
        import threading

        self._queue: Any = queue.Queue(maxsize=256)
        self._error: Optional[BaseException] = None
        self._thread = threading.Thread(target=self._work, daemon=True)

    def __enter__(self) -> _BackgroundWriter:
        self._thread.start()
        return self

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error is None:
                try:
                    with open(item[0], "w", encoding="utf-8") as handle:
                        handle.write(item[1])
                except BaseException as exc:  # noqa: BLE001 - handed to the caller
                    self._error = exc

    def put(self, path: Path, text: str) -> None:
        self._queue.put((path, text))

    def check(self) -> None:
        if self._error is not None:
            raise self._error

    def __exit__(self, *exc: Any) -> None:
        self._queue.put(None)
        self._thread.join()
        if exc[0] is None:
            self.check()


# ---------------------------------------------------------------------------------------------
# GeoPackage layer
def _polygons(rings: list[np.ndarray]) -> list[list[np.ndarray]]:
    """Group even-odd rings into polygons: a ring nested at even depth is an outer ring, one
    at odd depth a hole of the smallest ring around it."""
    from .neighbourhoods import _crossings, _ring_edges

    depth = []
    for j, ring in enumerate(rings):
        inside = [
            k
            for k, other in enumerate(rings)
            if k != j and _crossings(ring[:1, 0], ring[:1, 1], _ring_edges(other))[0] % 2 == 1
        ]
        depth.append(inside)
    polygons: dict[int, list[np.ndarray]] = {}
    for j, ring in enumerate(rings):
        if len(depth[j]) % 2 == 0:
            polygons[j] = [ring]
    for j, ring in enumerate(rings):
        if len(depth[j]) % 2 == 1:
            parents = [k for k in depth[j] if len(depth[k]) == len(depth[j]) - 1]
            if parents and parents[0] in polygons:
                polygons[parents[0]].append(ring)
    return list(polygons.values())


def multipolygon_blob(rings: list[np.ndarray]) -> Optional[bytes]:
    """GeoPackage binary (envelope xy) of a MULTIPOLYGON, None without rings."""
    if not rings:
        return None
    polys = _polygons(rings)
    allv = np.concatenate(rings)
    envelope = struct.pack(
        "<4d", allv[:, 0].min(), allv[:, 0].max(), allv[:, 1].min(), allv[:, 1].max()
    )
    parts = [struct.pack("<BI", 1, 6), struct.pack("<I", len(polys))]
    for poly in polys:
        parts.append(struct.pack("<BII", 1, 3, len(poly)))
        for ring in poly:
            parts.append(struct.pack("<I", len(ring)))
            parts.append(np.ascontiguousarray(ring, dtype="<f8").tobytes())
    header = b"GP" + struct.pack("<BBi", 0, 0b00000011, 4326)  # LE, xy envelope
    return header + envelope + b"".join(parts)


def choropleth_breaks(rates: np.ndarray, classes: int = CHOROPLETH_CLASSES) -> list[float]:
    """Class edges of the known rates (strictly increasing; at most ``classes`` classes).

    Quantiles of the rates, so each class holds about as many neighbourhoods. When many
    neighbourhoods share a rate (a run of zeros in a quiet month), quantile edges repeat
    and would collapse the map into two or three classes; then the quantiles are taken over
    the distinct rates instead, which keeps every class. With ``classes`` distinct rates or
    fewer, each rate gets a class of its own (edges half-way between them)."""
    known = np.sort(rates[np.isfinite(rates)])
    if known.size == 0:
        return []
    distinct = np.unique(known)
    if distinct.size == 1:
        return [float(distinct[0]), float(distinct[0]) + 1.0]
    if distinct.size <= classes:
        edges = np.concatenate([distinct[:1], (distinct[:-1] + distinct[1:]) / 2, distinct[-1:]])
    else:
        steps = np.linspace(0, 1, classes + 1)
        edges = np.unique(np.round(np.quantile(known, steps), 2))
        if edges.size < classes + 1:  # ties collapsed some classes
            edges = np.unique(np.round(np.quantile(distinct, steps), 2))
    edges[0] = min(edges[0], float(known[0]))
    edges[-1] = max(edges[-1], float(known[-1]))
    return [float(e) for e in edges]


def choropleth_qml(breaks: list[float], field_name: str = "rate_per_1000") -> str:
    """A QGIS graduated-symbol style (QML) over the rate, with the shared sequential ramp; a
    neighbourhood with no rate falls in no class and is drawn in the no-data grey by a
    rule-free fallback below (an 'n/a' class with an impossible range is not used: QGIS
    leaves unmatched features undrawn, so the grey comes from a second symbol layer)."""
    colours = sequential_colours(max(1, len(breaks) - 1))
    ranges, symbols = [], []
    for k in range(len(breaks) - 1):
        lo, hi = breaks[k], breaks[k + 1]
        label = f"{lo:,.1f} to {hi:,.1f} per 1,000"
        ranges.append(
            f'<range lower="{lo:.6f}" upper="{hi:.6f}" symbol="{k}" label="{label}" render="true"/>'
        )
        r, g, b = (int(colours[k][i : i + 2], 16) for i in (1, 3, 5))
        symbols.append(_fill_symbol(str(k), f"{r},{g},{b},255"))
    nd = NO_DATA_COLOUR
    r, g, b = (int(nd[i : i + 2], 16) for i in (1, 3, 5))
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        '<qgis version="3.22.0" styleCategories="AllStyleCategories">\n'
        f'<renderer-v2 type="graduatedSymbol" attr="{field_name}" graduatedMethod="GraduatedColor" '
        'symbollevels="0" enableorderby="0" forceraster="0">\n'
        f"<ranges>{''.join(ranges)}</ranges>\n"
        f"<symbols>{''.join(symbols)}</symbols>\n"
        '<mode name="quantile"/>\n'
        '<classificationMethod id="Quantile"><symmetricMode enabled="0" symmetrypoint="0" '
        'astride="0"/><labelFormat format="%1 - %2" labeltrimtrailingzeroes="1" '
        'labelprecision="1"/><extraInformation/></classificationMethod>\n'
        "</renderer-v2>\n"
        f"<!-- no data colour {r},{g},{b} -->\n"
        "</qgis>\n"
    )


def _fill_symbol(name: str, rgba: str) -> str:
    outline = ",".join(str(int(OUTLINE_COLOUR[i : i + 2], 16)) for i in (1, 3, 5)) + ",255"
    return (
        f'<symbol type="fill" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0">'
        '<layer class="SimpleFill" enabled="1" locked="0" pass="0">'
        f'<Option type="Map"><Option name="color" type="QString" value="{rgba}"/>'
        f'<Option name="outline_color" type="QString" value="{outline}"/>'
        '<Option name="outline_style" type="QString" value="solid"/>'
        '<Option name="outline_width" type="QString" value="0.2"/>'
        '<Option name="outline_width_unit" type="QString" value="MM"/>'
        '<Option name="style" type="QString" value="solid"/></Option>'
        f'<prop k="color" v="{rgba}"/><prop k="outline_color" v="{outline}"/>'
        '<prop k="outline_style" v="solid"/><prop k="outline_width" v="0.2"/>'
        '<prop k="outline_width_unit" v="MM"/><prop k="style" v="solid"/>'
        "</layer></symbol>"
    )


def write_neighbourhood_gpkg(s: Summaries, slugs: Sequence[str], path: Path) -> list[float]:
    """The neighbourhood layer: outline, code, name, slug, figures of the period; the
    choropleth style stored as the layer's default (layer_styles). Returns the breaks."""
    from ..common.reproducible import fixed_timestamp
    from ..io.gpkg_write import create_metadata, feature_count_triggers

    f = s.figures
    n = s.n
    rates = f["rate"].to_numpy()[:n].astype(float)
    breaks = choropleth_breaks(rates)
    hidden = np.zeros(n, bool)
    end = s.month_pos(s.month)
    if s.suppressed is not None:
        hidden = s.suppressed[:n, end, -1]
    stamp = fixed_timestamp([s.month])  # reproducible: the same inputs, the same bytes
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("BEGIN")
        create_metadata(conn)
        conn.execute(
            f'CREATE TABLE "{LAYER}" ("fid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
            '"geom" MULTIPOLYGON, "code" TEXT, "name" TEXT, "slug" TEXT, "period" TEXT, '
            '"crimes" INTEGER, "population" DOUBLE, "rate_per_1000" DOUBLE, '
            '"change_previous_pct" DOUBLE, "change_year_pct" DOUBLE, "rank" INTEGER, '
            '"chance" TEXT)'
        )

        def num(v: Any) -> Optional[float]:
            v = float(v)
            return v if np.isfinite(v) else None

        rows = []
        period = f"{s.period[0]} to {s.period[-1]}" if len(s.period) > 1 else s.period[0]
        # the figures as arrays: 7,200 rows x 7 lookups through pandas cost about a second
        col = {
            name: f[name].to_numpy()
            for name in ("count", "rank", "population", "rate", "change_previous_pct")
            + ("change_year_pct", "chance")
        }
        for i in range(n):
            crimes = None if hidden[i] else num(col["count"][i])
            rank = num(col["rank"][i])
            rows.append(
                (
                    i + 1,
                    multipolygon_blob(s.hoods.rings[i]),
                    s.hoods.codes[i],
                    s.hoods.names[i],
                    slugs[i],
                    period,
                    None if crimes is None else int(crimes),
                    num(col["population"][i]),
                    num(col["rate"][i]),
                    num(col["change_previous_pct"][i]),
                    num(col["change_year_pct"][i]),
                    None if rank is None else int(rank),
                    str(col["chance"][i]),
                )
            )
        conn.executemany(f'INSERT INTO "{LAYER}" VALUES ({",".join("?" * 13)})', rows)
        bounds = s.hoods.bounds()
        ok = np.isfinite(bounds).all(axis=1)
        box = (
            (
                float(bounds[ok, 0].min()),
                float(bounds[ok, 1].min()),
                float(bounds[ok, 2].max()),
                float(bounds[ok, 3].max()),
            )
            if ok.any()
            else (None,) * 4
        )
        conn.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
            "last_change, min_x, min_y, max_x, max_y, srs_id) "
            "VALUES (?, 'features', ?, ?, ?, ?, ?, ?, ?, 4326)",
            (LAYER, LAYER, f"Neighbourhood crime summaries, {period}", stamp, *box),
        )
        conn.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', 'MULTIPOLYGON', 4326, 0, 0)",
            (LAYER,),
        )
        conn.execute("INSERT INTO gpkg_ogr_contents VALUES (?, ?)", (LAYER, n))
        for sql in feature_count_triggers(LAYER):
            conn.execute(sql)
        conn.execute(
            "CREATE TABLE layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256), "
            "f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT, "
            "useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), "
            "update_time DATETIME)"
        )
        conn.execute(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
            "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
            "owner, ui, update_time) VALUES ('', '', ?, 'geom', 'crime_mapper', ?, '', 1, "
            "'Crimes per 1,000 residents (quantiles)', '', '', NULL)",
            (LAYER, choropleth_qml(breaks)),
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
    return breaks


# ---------------------------------------------------------------------------------------------
# Stage folders that earlier versions made beside the summaries (tempfile.mkdtemp: a dot, the
# folder's name, 8 random characters, .tmp or .old) and left behind when a run was killed.
_LEGACY_STAGE_AGE = 6 * 3600.0  # seconds: no run of an earlier version lasted this long


def _legacy_stage(name: str, folder: str) -> Optional[str]:
    """'tmp' or 'old' when ``name`` is one of our earlier versions' stage folders for
    ``folder``, else None (anything else beside the summaries is not ours to touch)."""
    prefix = f".{folder}."
    if not name.startswith(prefix):
        return None
    rest = name[len(prefix) :]
    random, _, kind = rest.partition(".")
    if len(random) != 8 or kind not in ("tmp", "old"):
        return None
    if not all(c.isascii() and (c.isalnum() or c == "_") for c in random):
        return None
    return kind


def clean_legacy_stages(final: Path, now: Optional[float] = None) -> list[Path]:
    """Remove the stage folders earlier versions left beside ``final`` when a run was
    killed: only folders named as ours (``.neighbourhoods.<8 characters>.tmp``/``.old``),
    only when older than six hours (no owner lock tells whether a run still holds them).
    A killed swap could leave the previous summaries in ``.old`` with ``final`` gone: that
    folder is put back, never deleted. Returns what was removed or restored."""
    parent = final.parent
    if not parent.is_dir():
        return []
    now = time.time() if now is None else now
    done = []
    for entry in sorted(parent.iterdir()):
        kind = _legacy_stage(entry.name, final.name)
        if kind is None or entry.is_symlink() or not entry.is_dir():
            continue
        if kind == "old" and not (final.exists() or final.is_symlink()):
            os.replace(entry, final)  # the previous summaries, whole: put them back
            done.append(entry)
            continue
        try:
            age = now - entry.stat().st_mtime
        except OSError:
            continue
        if age >= _LEGACY_STAGE_AGE:
            shutil.rmtree(entry, ignore_errors=True)
            done.append(entry)
    return done


def export_summaries(
    public: pd.DataFrame,
    hoods: Neighbourhoods,
    out_dir: PathLike,
    *,
    gate: Optional[GateFn],
    options: Optional[SummaryOptions] = None,
    teams: Optional[dict[str, Team]] = None,
    force_name: str = "",
    with_map: bool = False,
    feedback: Optional[Feedback] = None,
    on_assigned: Optional[Callable[[pd.DataFrame, Neighbourhoods, Assignment], None]] = None,
    render_beside: bool = False,
    staging: Optional[Staging] = None,
) -> SummaryExport:
    """Summaries of ``public`` into ``<out_dir>/neighbourhoods/`` (see the module notes).

    ``staging``: the caller's core.common.staging.Staging, which then holds the gated folder
    (SummaryExport.staged) and moves it into place with its other outputs when it commits
    (a monthly release's publish step: summaries, web map and atlas at one commit point);
    None: the folder is moved into place here once its gate has passed.

    ``on_assigned(public, hoods, assignment)``: called once the crimes are assigned to
    neighbourhoods, with what the SummaryExport will hold as ``table``, ``summaries.hoods``
    and ``assignment`` (a monthly release starts its web map from them there).
    ``render_beside``: this is a process of its own (the command line, a release's process;
    never a QGIS session), so the last pages of a large folder may be rendered and written
    by a forked child beside this process (:class:`_PagesBeside`: the same files).

    ``gate(staged_folder, hoods)`` must return a report with ``passed`` and ``message()``;
    ``gate=None`` is refused: a public output without the gate is not an option.
    ``with_map``: pages link to ``../map/index.html`` (the web map exported beside them).
    """
    if gate is None:
        raise SummaryError("the leak gate is required for public summaries")
    feedback = feedback or Feedback()
    check_public_table(public)
    options = options or SummaryOptions()
    assignment = assign_crimes(public, hoods)
    feedback.set_progress(10)
    feedback.check()
    if on_assigned is not None:
        on_assigned(public, hoods, assignment)
    # (after on_assigned: a monthly release forks its web map's child there, with no thread;
    # rendering beside, the views start once the pages' child is forked, which needs none)
    start_views = getattr(gate, "start_views", None)
    views: list[Any] = []

    def begin_views() -> None:
        if start_views is not None and not views:
            views.append(start_views(hoods))

    try:
        if not render_beside:
            begin_views()
        return _export_assigned(
            public,
            hoods,
            assignment,
            out_dir,
            gate,
            options,
            teams,
            force_name,
            with_map,
            feedback,
            _PagesSetUp(begin_views, render_beside),
            staging,
        )
    finally:
        for started in views:  # (failed or cancelled: stopped and joined; else joined already)
            if started is not None:
                started.abandon()


def _export_assigned(
    public: pd.DataFrame,
    hoods: Neighbourhoods,
    assignment: Assignment,
    out_dir: PathLike,
    gate: GateFn,
    options: SummaryOptions,
    teams: Optional[dict[str, Team]],
    force_name: str,
    with_map: bool,
    feedback: Feedback,
    set_up: Optional[_PagesSetUp] = None,
    outer: Optional[Staging] = None,
) -> SummaryExport:
    """export_summaries once the crimes are assigned: figures, files, gate, move. ``set_up``:
    when the gate's views start (once a pages' child is forked), and whether one may be.
    ``outer``: export_summaries' ``staging`` (the folder is staged there, not committed)."""
    set_up = set_up or _PagesSetUp(lambda: None, False)
    summaries = compute_summaries(public, hoods, assignment, options)
    feedback.set_progress(25)
    slugs = neighbourhood_slugs(hoods.names)
    names = [f"{slug}.html" for slug in slugs[: summaries.n]]
    final = Path(out_dir) / FOLDER
    links = PageLinks(map="../map/index.html" if with_map else None)
    clean_legacy_stages(final)
    with staged_outputs() if outer is None else contextlib.nullcontext(outer) as staging:
        stage = staging.folder_for(final)
        renderer = SummaryRenderer(summaries, slugs, teams, links, force_name)
        beside = _PagesBeside.start(renderer, stage, names) if set_up.render_beside else None
        try:
            set_up.begin_views()
            rows = write_tidy_csv(summaries, stage / CSV_NAME)
            feedback.set_progress(35)
            write_neighbourhood_gpkg(summaries, slugs, stage / GPKG_NAME)
            feedback.set_progress(40)
            mine = beside.first if beside is not None else summaries.n
            pages = ScaledFeedback(feedback, 40, 85)
            with _BackgroundWriter() as writer:
                for i in range(mine):
                    if i % 200 == 0:
                        pages.check()
                        writer.check()
                        pages.set_progress(100.0 * i / max(1, mine))
                    writer.put(stage / names[i], renderer.render_page(i))
                writer.put(stage / "index.html", renderer.render_index())
            if beside is not None:
                beside.finish(pages)  # (its error, or the caller's cancel, raised here)
        except BaseException:
            if beside is not None:  # (before the stage goes: it writes nothing after)
                beside.kill()
            raise
        feedback.set_progress(85)
        feedback.check()
        report = _named_final(gate(stage, hoods), stage, final)
        if not report.passed:
            raise SummaryGateError(report.message())
        feedback.check()
    feedback.set_progress(100)
    return SummaryExport(
        final,
        summaries.n,
        rows,
        summaries,
        assignment,
        report.message(),
        problem_warnings(hoods),  # (worded as the web map's: said once by a release)
        table=public,
        staged=stage if outer is not None else None,
    )


@dataclass
class _PagesSetUp:
    """How export_summaries' pages begin: ``begin_views()`` starts the gate's raw-side views
    (a thread: after any child is forked), ``render_beside`` lets a child render some."""

    begin_views: Callable[[], None]
    render_beside: bool


class _PagesBeside:
    """The last pages of a large folder rendered and written by a forked child while this
    process writes the tidy CSV, the GeoPackage and the first pages (issue 13/15).

    Why: rendering 7,200 pages is Python that holds the interpreter's lock (some 4 s of a
    national summaries export), while the second core has only the gate's views thread to
    run, which shares this process's lock; a child forked once the figures are made (all it
    needs is in memory, shared copy-on-write) renders its share on that core. Each page is
    the renderer's output for its neighbourhood alone, so the files are the same bytes
    whoever renders them (tests compare). Only where the caller asks (a process of its own),
    for MIN_PAGES or more, with a free core and no other Python thread running
    (core.common.forked); otherwise, or if the fork fails, every page is rendered here.

    The child only writes pages into this export's stage folder, which is moved into place
    after the gate or removed: its error (disk full, a page that cannot be rendered) is
    raised here, as a page rendered here would raise it, and this process's failure or
    cancel kills it before the stage folder goes."""

    MIN_PAGES = 400  # fewer pages are rendered faster than a child is forked
    CHILD_SHARE = 0.6  # (this process also writes the tidy CSV and the GeoPackage)

    def __init__(self, call: Any, first: int) -> None:
        self._call = call
        self.first = first  # the child's first page; this process renders those before it

    @classmethod
    def start(cls, renderer: SummaryRenderer, stage: Path, names: list[str]) -> Any:
        """The child rendering names[first:], or None (see the class)."""
        from ..common import forked

        n = len(names)
        if n < cls.MIN_PAGES or not forked.available() or not forked.alone():
            return None
        first = n - int(n * cls.CHILD_SHARE)
        try:
            call = forked.ForkedCall(
                lambda call: _render_pages(renderer, stage, names, first, call.feedback())
            )
        except OSError:
            return None
        return cls(call, first)

    def finish(self, feedback: Feedback) -> int:
        """Wait for the child's pages, checking the caller's cancel meanwhile (a cancel
        kills it: a child busy with a page would not hear a stop before its next check):
        how many it wrote."""
        call, self._call = self._call, None
        if call is None:
            return 0
        try:
            while not call.ready(0.2):
                feedback.check()
            return int(call.result())
        except BaseException:
            call.kill()  # (nothing once it has answered: reaped)
            raise

    def kill(self) -> None:
        call, self._call = self._call, None
        if call is not None:
            call.kill()


def _render_pages(
    renderer: SummaryRenderer, stage: Path, names: list[str], first: int, feedback: Feedback
) -> int:
    """In the pages' child: names[first:] rendered and written (how many)."""
    with _BackgroundWriter() as writer:
        for i in range(first, len(names)):
            if (i - first) % 200 == 0:
                feedback.check()
                writer.check()
            writer.put(stage / names[i], renderer.render_page(i))
    return len(names) - first


def _named_final(report: Any, stage: Path, final: Path) -> Any:
    """The gate's report on the staged folder, naming the folder the analyst asked for.
    Why: its verdict named the hidden stage folder ("Leak gate passed for
    .../.crime_mapper-stage-1a2b/neighbourhoods"), gone by the time the analyst read it. A
    gate of another kind (a caller's own) is left as it is."""
    from ..gate.leak_gate import GateReport

    if isinstance(report, GateReport) and report.output == str(stage):
        return replace(report, output=str(final))
    return report


def outline_vertices(hoods: Neighbourhoods) -> tuple[np.ndarray, np.ndarray]:
    """Every outline vertex (lon, lat): the only coordinates besides none that the summaries
    publish, given to the gate as allowed (they come from the boundary input, not crimes)."""
    rings = [r for rs in hoods.rings for r in rs]
    if not rings:
        return np.zeros(0), np.zeros(0)
    allv = np.concatenate(rings)
    return allv[:, 0].copy(), allv[:, 1].copy()


def leak_gate_for(
    raw: pd.DataFrame,
    points: Any,
    team_texts: Sequence[str] = (),
    prepared: Any = None,
    read_beside: bool = False,
    team_words: Sequence[str] = (),
) -> GateFn:
    """The gate callable for export_summaries: core.gate.leak_gate against the raw crimes and
    map points, with the outline vertices and the neighbourhood names/codes allowed, and
    ``team_texts`` (summaries_team.published_team_texts: event dates as rendered, the team's
    contacts) exempt from the date/time and contact checks only. ``prepared``: the
    release's ReleaseGate (or a preparation for these inputs), so the raw side is not
    prepared again. export_summaries starts its raw-side views while the pages are made
    (SummariesGate.start_views). ``read_beside``: this is a process of its own (the command
    line, a release's process; never a QGIS session), so the gate may read the pages with a
    forked child beside it (check_release's ``read_beside``). ``team_words``
    (summaries_team.team_vocabulary: the published offence names the teams write) are
    public values, as the neighbourhoods' names are."""
    return SummariesGate(raw, points, list(team_texts), prepared, read_beside, list(team_words))


class SummariesGate:
    """leak_gate_for's gate: ``gate(folder, hoods)`` is check_release of the folder with the
    outline vertices and names allowed; :meth:`start_views` (export_summaries, once the
    crimes are assigned) computes the raw-side views that call will need on a second thread
    while the tidy CSV, GeoPackage and pages are made (issue 13: some 3.4 s CPU at national
    scale, else all inside the gate call, after the pages)."""

    def __init__(
        self,
        raw: Any,
        points: Any,
        team_texts: list[str],
        prepared: Any,
        read_beside: bool = False,
        team_words: Sequence[str] = (),
    ) -> None:
        self.raw = raw
        self.points = points
        self.team_texts = team_texts
        self.prepared = prepared
        self.read_beside = read_beside
        self.team_words = list(team_words)
        self._views: Optional[_SummariesGateViews] = None

    def public_values(self, hoods: Neighbourhoods) -> list[str]:
        """The values the gate call takes as public besides the release's own: the
        neighbourhoods' names and codes, and the teams' offence names (leak_gate_for)."""
        return list(hoods.names) + list(hoods.codes) + self.team_words

    def start_views(self, hoods: Neighbourhoods) -> Optional[_SummariesGateViews]:
        """Start the views of the preparation this gate's call for ``hoods`` will use; None
        when there is nothing to start (see _SummariesGateViews). The caller ends them with
        :meth:`_SummariesGateViews.abandon` (after the gate call: already joined)."""
        views = _SummariesGateViews.start(self, hoods)
        self._views = views
        return views

    def __call__(self, folder: Path, hoods: Neighbourhoods) -> Any:
        from ..gate.leak_gate import check_release

        views, prepared = self._views, self.prepared
        if views is not None and views.hoods is hoods and views.prepared is not None:
            prepared = views.prepared  # (the very preparation being warmed: made here else)
        try:
            # (a preparation still warming: the folder is read while its views end)
            return check_release(
                self.raw,
                folder,
                self.points,
                extra_allowed_coordinates=outline_vertices(hoods),
                extra_public_values=self.public_values(hoods),
                team_texts=list(self.team_texts),
                prepared=prepared,
                read_beside=self.read_beside,
            )
        finally:
            if views is not None:
                views.join()


# ...and what a summaries folder's checks ask for besides a web map folder's: the sorted
# hashes of the raw free text's runs (a folder of thousands of pages has millions of runs to
# look up among them; a web map's few thousand are looked up as the raw text is hashed)
PAGES_VIEWS = ("free_text_hashes",)


class _SummariesGateViews:
    """The summaries gate's preparation, its raw-side views (leak_gate.FOLDER_VIEWS and
    PAGES_VIEWS: every one a clean national summaries folder's checks ask for) computed on a
    thread (leak_gate.ViewsWarmUp) while the folder is made.

    The preparation is exactly the one the gate call would make or take: with the release's
    gate, ``release_gate.prepared(...)`` of the same extras (the call finds it again); else
    ``PreparedGate(raw, points, outline vertices, names and codes, 8)``, passed to the call.
    Nothing is started (the gate call then does what it did, and raises what it raised)
    when: the raw table or map points are missing; the release gate serves other inputs;
    the gate was given a PreparedGate of its own; making the outlines or the preparation
    fails. A release gate that already holds some views (a monthly release makes
    core.monthly.release.VIEWS_BOTH_NEED before its web map's child is forked) still has
    the others warmed: the raw notes' sorted run hashes were otherwise made by the gate's
    checks child at the very end, some 0.7 s with the other core idle."""

    def __init__(self, hoods: Neighbourhoods, prepared: Any, warm: Any) -> None:
        self.hoods = hoods
        self.prepared = prepared  # for the gate call; None: the release gate's (found again)
        self._warm = warm

    @classmethod
    def start(cls, gate: SummariesGate, hoods: Neighbourhoods) -> Optional[_SummariesGateViews]:
        if gate.raw is None or gate.points is None:
            return None
        try:
            from ..gate.context import PreparedGate
            from ..gate.leak_gate import FOLDER_VIEWS, ReleaseGate, ViewsWarmUp

            extra = outline_vertices(hoods)
            public = gate.public_values(hoods)
            given = gate.prepared
            if isinstance(given, ReleaseGate):
                if not given.serves(gate.raw, gate.points):
                    return None
                prep = given.prepared(extra_allowed_coordinates=extra, extra_public_values=public)
                return cls(hoods, None, ViewsWarmUp(prep, FOLDER_VIEWS + PAGES_VIEWS))
            if given is not None:
                return None
            prep = PreparedGate(gate.raw, gate.points, extra, public, 8)
            return cls(hoods, prep, ViewsWarmUp(prep, FOLDER_VIEWS + PAGES_VIEWS))
        except Exception:  # noqa: BLE001 - the gate call makes it (and fails) as before
            return None

    def join(self) -> None:
        """Wait for the views (the preparation is the gate's alone again)."""
        if self._warm is not None:
            self._warm.join()
            self._warm = None

    def abandon(self) -> None:
        """The export ended (failed, cancelled, or gated: then joined already): begin no
        further view, and wait for the one under way."""
        if self._warm is not None:
            self._warm.stop()
            self.join()
