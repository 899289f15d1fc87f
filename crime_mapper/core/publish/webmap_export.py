"""Export the public web map: one folder that works from disk (file://) and any static host.

The one function the command line, the Processing algorithm and the dock call. Stages:
read the public release (PUBLIC_COLUMNS only) -> aggregate to map points -> write the whole
folder into a staging folder beside the target -> leak gate on the finished staging folder
(against the raw crimes when they are at hand; the public-schema, map-point and date checks
against the release itself when they are not) -> swap it into place. A failure or a cancel at
any point leaves the previous export untouched.

Layout of the folder (``<out>/map/`` by convention, beside ``<out>/neighbourhoods/``):
  index.html            the page (jinja2, autoescaped), CSP: scripts from this folder only
  assets/webmap.js|css  the page's code and style (static, from resources/templates/webmap)
  data/config.js        settings (title, tiles, palette pieces, bounds)
  data/points.js        one record per map point (core.publish.webmap_data)
  data/areas.js         neighbourhood outlines (when given)
  downloads/*.csv       the published street CSVs, one per month, when they fit (else the
                        page links to the release's own CSVs: core.publish.webmap_downloads)
  vendor/leaflet/       Leaflet with its licence (from the plugin's vendored copy)
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any, Optional, Union
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from ..common.feedback import Feedback, ScaledFeedback
from ..common.gc_pause import gc_paused
from ..common.months import month_in_words
from ..common.palette import NO_DATA_COLOUR, OUTLINE_COLOUR, sequential_colours
from ..common.position_codec import ENCODING as POSITION_ENCODING
from ..common.position_codec import encode_positions
from ..common.text_file import page_line, shown_line, shown_path, shown_value
from ..common.vocabulary import NO_STREET_PLACE, UNPRINTABLE_RE
from ..release.public_schema import PUBLIC_COLUMNS, write_public_csv
from . import webmap_staging
from .neighbourhoods import Neighbourhoods, problem_warnings, unusable_neighbourhoods
from .webmap_areas import Ring, areas_geojson, rounded_rings, row_area_names, vertices
from .webmap_data import WebmapData, aggregate
from .webmap_downloads import (
    DownloadPlan,
    checked_csv_url,
    link_entries,
    plan_downloads,
    refuse_links_to_other_text,
)
from .webmap_inputs import (
    PAGE_COLUMNS,
    ReleaseInputs,
    WebmapInputError,
    check_url_length,
    parse_coordinates,
    read_release_inputs,
    scan_release_inputs,
    split_url,
)
from .webmap_vendor import vendor_files

PathLike = Union[str, Path]
TEMPLATE_DIR = Path(__file__).resolve().parent.parent.parent / "resources" / "templates" / "webmap"
OGL = "Contains public sector information licensed under the Open Government Licence v3.0."
BOUNDARY_ATTRIBUTION = (
    "Boundaries: source Office for National Statistics licensed under the Open Government "
    "Licence v.3.0. Contains OS data © Crown copyright and database right."
)


@dataclass(frozen=True)
class TileSource:
    """A raster basemap: the page's only request that may leave the machine."""

    url: str
    attribution: str
    max_zoom: int = 19

    @property
    def origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"


TILE_PRESETS: dict[str, Optional[TileSource]] = {
    "osm": TileSource(
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "© OpenStreetMap contributors", 19
    ),
    "none": None,
}


def tile_source(spec: str, attribution: str = "") -> Optional[TileSource]:
    """'osm', 'none' or an https URL template with {z}/{x}/{y} (attribution required)."""
    key = (spec or "osm").strip()
    if key.lower() in TILE_PRESETS:
        return TILE_PRESETS[key.lower()]
    parts = split_url(key, "tiles")  # (the check --csv-url shares: control characters too)
    if (
        parts.scheme != "https"
        or not parts.netloc
        or not all(t in key for t in ("{z}", "{x}", "{y}"))
    ):
        raise WebmapInputError(
            f"tiles {shown_value(key)}: use 'osm', 'none' or an https URL template with {{z}}, "
            "{x}, {y}"
        )
    if any(c in parts.netloc for c in "'\";, *"):
        raise WebmapInputError(
            f"tiles {shown_value(key)}: the host name holds characters a host cannot"
        )
    check_url_length(key, parts, "tiles")
    if not attribution.strip():
        raise WebmapInputError("a custom tile service needs its attribution text")
    return TileSource(key, " ".join(attribution.split()))


@dataclass
class WebmapOptions:
    """What to export and how (the command line, Processing and the dock fill this)."""

    inputs: Sequence[PathLike]
    out_dir: PathLike  # the map folder itself, e.g. <out>/map
    title: str = "Street-level crime map"
    tiles: str = "osm"
    tiles_attribution: str = ""
    neighbourhoods: Optional[Neighbourhoods] = None  # the shared set (core.publish.neighbourhoods)
    summaries: str = "auto"  # link areas to ../neighbourhoods/<slug>.html: auto, yes, no
    copy_csv: bool = True  # copy the CSVs into the map when they fit; else link to them
    csv_url: str = ""  # where the publisher hosts the CSVs (when they can be neither)
    raw: Optional[pd.DataFrame] = None  # the internal crimes table, when at hand (gate)
    points: Any = None  # the MapPoints the release was snapped to (with raw)
    #: The one public CSV of ``inputs`` already read as text (read_public_csv), and with
    #: neighbourhoods each row's index in them (assign_crimes), e.g. from the summaries made
    #: just before from that CSV (the monthly release): not read or assigned again.
    street_table: Optional[pd.DataFrame] = None
    row_neighbourhoods: Optional[np.ndarray] = None
    #: Rows of earlier months read from the force's published police.uk files (the monthly
    #: release's summaries history, core.publish.summaries_history), text with every public
    #: column, shown on the map before ``street_table``'s rows (``row_neighbourhoods`` then
    #: covers these rows first). Only with ``street_table``. Why apart: the page offers
    #: only the release's own rows as downloads, and the leak gate allows these rows'
    #: coordinates, public already, where no release row is (history_coordinates).
    history_table: Optional[pd.DataFrame] = None
    #: The release's core.gate.leak_gate.ReleaseGate built from ``raw`` and ``points``, so
    #: the gate calls here share its raw-side preparation (None: prepared per call).
    release_gate: Any = None
    #: Called when the gated folder is staged, just before it is moved into place (a
    #: monthly release's web map made in a child process waits there for the summaries,
    #: core.common.forked); what it raises (Cancelled) leaves the previous export as it was.
    before_commit: Optional[Callable[[], None]] = None
    #: Called with the staged, gated folder instead of moving it into place: it takes the
    #: folder (moves it away, e.g. into a core.common.staging stage, to be committed with
    #: other outputs at one commit point), or raises and the folder is removed. Why: a
    #: monthly release's web map moved in on its own, beside summaries and an atlas that
    #: could still fail, left a mixed release (the map new, the rest old).
    hand_over: Optional[Callable[[Path], None]] = None
    #: Make the folder (read, aggregate, write) in a forked child process while this one
    #: prepares the gate's raw side (core.common.forked; with the raw crimes only): for a
    #: process started for the export (the command line), never a QGIS session, nor a
    #: monthly release's child. The same folder and verdict either way.
    export_beside: bool = False


def page_tiles(options: WebmapOptions) -> Optional[TileSource]:
    """The basemap of the page (:func:`tile_source`), after the page's own texts are
    checked: a control character in the title or the attribution is refused naming it. Why:
    a NUL went into index.html, and the leak gate refused the page as unreadable, naming
    index.html rather than the title it came from."""
    for what, text in (("page title", options.title), ("attribution", options.tiles_attribution)):
        if UNPRINTABLE_RE.search(text or ""):
            raise WebmapInputError(f"the {what} {text[:40]!r} holds a control character")
    return tile_source(options.tiles, options.tiles_attribution)


@dataclass
class WebmapResult:
    out_dir: Path
    index: Path
    crimes: int
    mapped: int
    points: int
    months: list[str]
    bytes: int
    gate: str
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    beside: bool = False  # made in a child process (WebmapOptions.export_beside)


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> file or element: '<', '>', '&' and the JS line
    separators escaped, so no label can close a script or start a comment."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _js_file(name: str, value: Any) -> str:
    return f"window.{name} = {_script_json(value)};\n"


def _points_js(data: WebmapData) -> str:
    """points.js with the points' positions as one string of letters (core.common.
    position_codec: whole micro-degrees, exactly the 6 decimals police.uk publishes, delta-
    encoded): a third of the size of JSON pairs, and no digit for the leak gate's number
    scans to misread; the gate decodes it and checks every position."""
    body = dict(data.data)
    # (the names as a page shows them, one line each: page_line; indexes are by position,
    # and the export's own lookups keep the names as read)
    body["areas"] = [page_line(name) for name in body["areas"]]
    body["points"] = {
        "encoding": POSITION_ENCODING,
        "coordinates": encode_positions(data.point_lon, data.point_lat),
    }
    return _js_file("CM_DATA", body)


def _areas_js(geo: dict[str, Any]) -> str:
    """areas.js with every vertex at exactly 5 decimals (about 1 m): fixed-width numbers keep
    each pair readable as a pair (a trimmed '-1.2' would shift a reader's pairing).

    The outlines are spliced in one pass: a ``str.replace`` per area rescanned the whole
    multi-MB text each time (9 s for 7,200 areas). The placeholders carry a random tag so no
    neighbourhood name can be taken for one."""
    tag = secrets.token_hex(8)
    polys = []
    for i, feat in enumerate(geo["features"]):
        polys.append(feat["geometry"]["coordinates"])
        feat["geometry"]["coordinates"] = f"__cm_geometry_{tag}_{i}__"
    text = _js_file("CM_AREAS", geo)
    parts: list[str] = []
    cursor = 0
    for i, rings in enumerate(polys):
        placeholder = f'"__cm_geometry_{tag}_{i}__"'
        at = text.index(placeholder, cursor)  # features are written in order
        parts.append(text[cursor:at])
        parts.append("[" + ",".join("[" + _ring_text(r) + "]" for r in rings) + "]")
        cursor = at + len(placeholder)
    parts.append(text[cursor:])
    return "".join(parts)


def _ring_text(ring: Ring) -> str:
    """``",".join(f"[{x:.5f},{y:.5f}]" for x, y in ring)`` (vertices of two numbers)."""
    if not ring or set(map(len, ring)) != {2}:
        return ",".join(f"[{x:.5f},{y:.5f}]" for x, y in ring)
    return ",".join(["[%.5f,%.5f]"] * len(ring)) % tuple(chain.from_iterable(ring))


def _size_text(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{max(1, round(n / 1e3))} kB"


def csp(tiles: Optional[TileSource]) -> str:
    """Scripts, styles and fonts only from the export itself; images also from the tile host;
    no connections, frames, forms or plugins."""
    img = "'self' data:" + (f" {tiles.origin}" if tiles else "")
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        f"img-src {img}; font-src 'self'; connect-src 'none'; base-uri 'none'; "
        "form-action 'none'; object-src 'none'"
    )


@dataclass
class PageAreas:
    """The neighbourhood set and its outlines as written to the page."""

    hoods: Neighbourhoods
    rings: list[list[Ring]]
    _vertices: Optional[tuple[np.ndarray, np.ndarray]] = field(
        default=None, init=False, repr=False, compare=False
    )

    def vertices(self) -> tuple[np.ndarray, np.ndarray]:
        """Every vertex written (made once: the opening view and the gate both ask)."""
        if self._vertices is None:
            self._vertices = vertices(self.rings)
        return self._vertices


def page_areas(hoods: Neighbourhoods) -> PageAreas:
    """PageAreas of ``hoods``: its outlines as the page writes them, with their vertices
    when made with them (webmap_areas.rounded_rings)."""
    rings, made = rounded_rings(hoods)
    areas = PageAreas(hoods, rings)
    areas._vertices = made
    return areas


def _bounds(data: WebmapData, areas: Optional[PageAreas]) -> list[list[float]]:
    lon, lat = data.point_lon, data.point_lat
    if areas is not None:
        ax, ay = areas.vertices()
        lon, lat = np.concatenate([lon, ax]), np.concatenate([lat, ay])
    if lon.size == 0:
        return [[49.9, -8.0], [58.7, 1.8]]
    if areas is None and lon.size >= 200:
        # the opening view: where nearly all points are (a force's file holds a few points
        # far outside its area, which would otherwise zoom the whole force out to a dot)
        keep = (
            (lon >= np.quantile(lon, 0.005))
            & (lon <= np.quantile(lon, 0.995))
            & (lat >= np.quantile(lat, 0.005))
            & (lat <= np.quantile(lat, 0.995))
        )
        lon, lat = lon[keep], lat[keep]
    # rounded to 2 dp (about 1 km) and widened: a view, not a location
    return [
        [float(np.floor(lat.min() * 100) / 100), float(np.floor(lon.min() * 100) / 100)],
        [float(np.ceil(lat.max() * 100) / 100), float(np.ceil(lon.max() * 100) / 100)],
    ]


def _summaries_base(option: str, out_dir: Path) -> Optional[str]:
    if option == "no":
        return None
    if option == "yes" or (out_dir.parent / "neighbourhoods").is_dir():
        return "../neighbourhoods/"
    return None


def _write_folder(
    stage: Path,
    options: WebmapOptions,
    street: pd.DataFrame,
    data: WebmapData,
    areas: Optional[PageAreas],
    tiles: Optional[TileSource],
    sources: list[str],
    feedback: Feedback,
    plan: DownloadPlan,
    inputs: ReleaseInputs,
) -> None:
    import jinja2

    (stage / "data").mkdir()
    (stage / "assets").mkdir()
    for src, target in vendor_files():
        dest = stage / "vendor" / target
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
    for name in ("webmap.js", "webmap.css"):
        shutil.copyfile(TEMPLATE_DIR / name, stage / "assets" / name)
    feedback.set_progress(10)

    downloads: list[dict] = []
    if plan.mode == "link":
        downloads = link_entries(plan, inputs)
    elif plan.mode == "hosted":
        host = urlsplit(plan.url).netloc
        downloads = [{"href": plan.url, "text": f"The published CSV files (at {host})", "size": ""}]
    if plan.mode == "copy":
        if options.raw is None:
            _refuse_context_text(street)
        (stage / "downloads").mkdir()
        own = street.iloc[inputs.history_rows :] if inputs.history_rows else street
        for month, rows in own.groupby("Month", sort=True):
            feedback.check()
            name = f"{month}-street.csv"
            write_public_csv(rows[list(PUBLIC_COLUMNS)], stage / "downloads" / name)
            size = (stage / "downloads" / name).stat().st_size
            downloads.append(
                {
                    "href": f"downloads/{name}",
                    "text": (
                        f"Street-level crime, {month_in_words(month)} (CSV, {len(rows):,} rows)"
                    ),
                    "size": _size_text(size),
                    "months": [month],
                }
            )
    feedback.set_progress(50)

    summaries_base = _summaries_base(options.summaries, Path(options.out_dir))
    area_index = {name: i for i, name in enumerate(data.data["areas"])}
    if areas is not None:
        geo = areas_geojson(areas.hoods, areas.rings, area_index, summaries_base)
        (stage / "data" / "areas.js").write_text(_areas_js(geo), encoding="utf-8")
    (stage / "data" / "points.js").write_text(_points_js(data), encoding="utf-8")
    feedback.set_progress(80)
    attributions = [OGL] + ([BOUNDARY_ATTRIBUTION] if areas is not None else [])
    config = {
        "title": options.title,
        "tiles": (
            {"url": tiles.url, "attribution": tiles.attribution, "max_zoom": tiles.max_zoom}
            if tiles
            else None
        ),
        "data_attribution": "Crime data: police.uk, Open Government Licence v3.0",
        "outline": OUTLINE_COLOUR,
        "no_data": NO_DATA_COLOUR,
        "ramp": sequential_colours(5),
        "bounds": _bounds(data, areas),
        "area_kind": (
            "neighbourhoods" if areas is not None else "local authority districts (from LSOA names)"
        ),
        # (the words for a map point without a street name: one wording, core.common.vocabulary)
        "no_street": NO_STREET_PLACE,
    }
    (stage / "data" / "config.js").write_text(_js_file("CM_CONFIG", config), encoding="utf-8")
    months = data.months
    period = (
        month_in_words(months[0])
        if len(months) == 1
        else f"{month_in_words(months[0])} to {month_in_words(months[-1])}"
    )
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    html = env.get_template("index.html.j2").render(
        title=options.title,
        csp=csp(tiles),
        period_text=period,
        downloads=downloads,
        downloads_rule=plan.rule_text(),
        licence=OGL,
        attributions=attributions[1:],
        tiles_attribution_text=(f"Basemap {tiles.attribution}." if tiles else ""),
        sources_text=", ".join(sources[:20]) + (" and more" if len(sources) > 20 else ""),
        has_areas=areas is not None,
        no_street=NO_STREET_PLACE,
        header_download=header_download(downloads, list(data.months)),
        history_text=_history_text(street, inputs.history_rows),
    )
    (stage / "index.html").write_text(html, encoding="utf-8")
    feedback.set_progress(100)


def header_download(downloads: list[dict], months: list[str]) -> Optional[dict]:
    """The file the page's header link downloads: the CSV (a copy in the folder or the
    release's own file beside it) holding the page's last month (of ``months``, the page's),
    the release's month, with the words the link says; None where the data are only hosted
    elsewhere (the header then points to the downloads section and says so). The link names
    its month wherever the page shows more than that file holds (several files, or months
    from published history that are not offered), so it never reads as all the map shows.

    Why: the header's "Download the data (CSV)" jumped to the downloads section, so a reader
    who chose it got no file and had to find the link again further down."""
    last = months[-1] if months else ""
    local = [d for d in downloads if d.get("months")]
    chosen = [d for d in local if last in d["months"]] or local[-1:]
    if not chosen:
        return None
    item = chosen[-1]
    size = f", {item['size']}" if item.get("size") else ""
    if len(local) == 1 and set(months) <= set(item["months"]):
        text = f"Download the data (CSV{size})"
    else:
        text = f"Download the data for {month_in_words(last)} (CSV{size})"
    return {"href": item["href"], "text": text}


def _history_text(street: pd.DataFrame, history_rows: int) -> str:
    """What the downloads section says of the history months the map shows and does not
    offer (empty without them). Why: their files are police.uk's own, published already;
    copying them would publish them a second time under this release's name."""
    if not history_rows:
        return ""
    months = sorted(set(street["Month"].iloc[:history_rows]))
    period = month_in_words(months[0])
    if len(months) > 1:
        period += f" to {month_in_words(months[-1])}"
    return (
        f"The map also shows {period} from the force's files already published on police.uk; "
        "those months are not offered here: download them from data.police.uk."
    )


def _release_points(street: pd.DataFrame, lon: np.ndarray, lat: np.ndarray) -> Any:
    """The release's own distinct points as a map-points-like object for the gate."""
    ok = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
    key = np.round(lon[ok] * 1e6) * 1e9 + np.round(lat[ok] * 1e6)
    _, first = np.unique(key, return_index=True)
    rows = ok[first]

    class _Points:
        longitude = lon[rows]
        latitude = lat[rows]
        label = street["Location"].to_numpy(dtype=object)[rows]
        lsoa_code = street["LSOA code"].to_numpy(dtype=object)[rows]
        lsoa_name = street["LSOA name"].to_numpy(dtype=object)[rows]

    return _Points()


def _empty_raw() -> pd.DataFrame:
    from ..common.schema import CRIME_COLUMNS

    return pd.DataFrame({name: pd.Series(dtype=object) for name in CRIME_COLUMNS})


PUBLIC_ONLY_CHECKS = (
    "public_schema",
    "coordinates_are_map_points",
    "no_dates_finer_than_month",
    "no_contact_details",
)


def history_coordinates(options: WebmapOptions) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """The (lon, lat) of ``options.history_table``'s rows at no coordinate a release row
    has (both as the gate keys them, at 5 dp), or None without history rows.

    Why: the history months are police.uk's own published files, so their points are public
    whether or not they are among this release's map points, and one may even be where a
    raw crime of this month happened (the sample's extract has one): the gate allows them as
    it allows the outlines' vertices. A coordinate a release row holds is left out, so every
    check of the release month's rows is as strict as without history."""
    history = options.history_table
    if history is None or not len(history):
        return None
    from ..gate import scan

    def lon_lat(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        return parse_coordinates(table["Longitude"]), parse_coordinates(table["Latitude"])

    lon, lat = lon_lat(history)
    ok = np.isfinite(lon) & np.isfinite(lat)
    lon, lat = lon[ok], lat[ok]
    if options.street_table is None:
        raise WebmapInputError("history rows are shown only beside the release's rows as read")
    rlon, rlat = lon_lat(options.street_table)
    placed = np.isfinite(rlon) & np.isfinite(rlat)
    release_keys = scan.coordinate_keys(rlon[placed], rlat[placed])
    apart = ~np.isin(scan.coordinate_keys(lon, lat), release_keys)
    return lon[apart], lat[apart]


def _allowed_extra(
    options: WebmapOptions, areas: Optional[PageAreas]
) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """The coordinates the gate allows beside the map points: the outlines' vertices and
    the history rows' (history_coordinates)."""
    parts = [
        part
        for part in (areas.vertices() if areas is not None else None, history_coordinates(options))
        if part is not None
    ]
    if len(parts) < 2:
        return parts[0] if parts else None
    return (
        np.concatenate([parts[0][0], parts[1][0]]),
        np.concatenate([parts[0][1], parts[1][1]]),
    )


def _refuse_address_locations(street: pd.DataFrame) -> None:
    """LeakError when a location reads "On or near <house number> <street>" and no raw
    crimes are at hand: the leak gate's test of published labels (locations_are_anonymous)
    needs the raw table for its other parts, so without it an address passed (helper
    fuzzing found "On or near 236 Birstow Crescent" published)."""
    from ..gate.leak_gate import LeakError
    from ..release.disclosure import street_labels
    from ..release.map_points import strip_location_prefix

    locations = street["Location"].unique()
    labels = np.asarray([strip_location_prefix(x) for x in locations], dtype=object)
    _, reduced, refused = street_labels(labels)  # (the anonymise step's own test, vectorised)
    address = np.flatnonzero(reduced | refused)
    if address.size:
        raise LeakError(
            f"Leak gate FAILED: a location is an address, not a street: "
            f"{locations[address[0]]!r}. police.uk publishes the street alone ('On or near "
            "<street>'); nothing may be published until this is fixed."
        )


def _refuse_context_text(street: pd.DataFrame) -> None:
    """WebmapInputError when a street row's Context holds text and no raw crimes are at hand.

    Why: police.uk publishes Context empty, and the page never shows it, but the CSV copies
    in downloads/ carry every public column. A release whose Context was filled from the
    records system (an MO note naming a caller) passed the checks that need no raw table and
    was published. With the raw crimes the leak gate compares it with them."""
    if "Context" not in street.columns:
        return
    filled = street["Context"].astype(str).str.strip() != ""
    if filled.any():
        at = int(np.flatnonzero(filled.to_numpy())[0])
        raise WebmapInputError(
            f"{int(filled.sum()):,} street row(s) hold text in Context (row {at + 1:,} of the "
            "release): police.uk publishes that column empty, and without the raw crimes the "
            "export cannot show the text is public. Give the raw crimes (RAW, --raw) for the "
            "leak gate to check it, blank the column, or link the CSVs instead of copying them"
        )


def gate_folder(
    folder: Path,
    inputs: Optional[ReleaseInputs],
    options: WebmapOptions,
    areas: Optional[PageAreas],
    prepared: Any = None,
) -> str:
    """The leak gate on the staged map folder (see gate_output)."""
    return gate_output(
        folder, inputs, options, areas, shown=Path(options.out_dir), prepared=prepared
    )


def gate_output(
    folder: Path,
    inputs: Optional[ReleaseInputs],
    options: WebmapOptions,
    areas: Optional[PageAreas],
    shown: Path,
    prepared: Any = None,
    history: bool = True,
) -> str:
    """Run the leak gate on the staged folder; raise LeakError on failure.

    With the raw crimes: all six checks against them. Without (police.uk downloads): the
    checks that need no raw table (exact public schema, every coordinate one of the release's
    own points or an outline vertex, no day-precise dates) against an empty raw table.
    ``prepared``: the PreparedGate check_release would make for these inputs and extras
    (warmed while the folder was made: see _GateViews); None: the release gate's, or made
    here. ``history``: the output may hold the history rows (options.history_table), whose
    points the gate then allows; False for a linked CSV, which is the release's own.
    """
    from ..gate.leak_gate import LeakError, check_release

    if options.raw is not None:
        report = _raw_gate_report(folder, options, areas, prepared, history=history)
        return _verdict(report, folder, shown)
    extra = areas.vertices() if areas is not None else None
    public_values = list(areas.hoods.names) if areas is not None else []
    if inputs is None:  # (only a map made beside, which has the raw crimes, sends none)
        raise WebmapInputError("the leak gate needs the release as read")
    _refuse_address_locations(inputs.street)
    own = 0 if history else inputs.history_rows  # (the release's own rows only)
    street = inputs.street.iloc[own:] if own else inputs.street
    report = check_release(
        _empty_raw(),
        folder,
        _release_points(street, inputs.lon[own:], inputs.lat[own:]),
        extra_allowed_coordinates=extra,
        extra_public_values=public_values,
    )
    failed = [c for c in report.checks if not c.passed and c.name in PUBLIC_ONLY_CHECKS]
    if failed:
        report.checks = [c for c in report.checks if c.name in PUBLIC_ONLY_CHECKS]
        report.passed = False
        raise LeakError(report.message().replace(shown_line(folder), shown_line(shown)))
    return (
        "Public-schema checks passed (no raw crimes at hand: "
        + ", ".join(PUBLIC_ONLY_CHECKS)
        + ")."
    )


def _raw_gate_report(
    folder: Path,
    options: WebmapOptions,
    areas: Optional[PageAreas],
    prepared: Any,
    checks: Optional[Sequence[str]] = None,
    history: bool = True,
) -> Any:
    """check_release of ``folder`` against the raw crimes (``checks``: those only;
    ``history``: as gate_output's)."""
    from ..gate.leak_gate import check_release

    if options.points is None:
        raise WebmapInputError("the leak gate needs the map points the release used")
    return check_release(
        options.raw,
        folder,
        options.points,
        extra_allowed_coordinates=_allowed_extra(options, areas)
        if history
        else (areas.vertices() if areas is not None else None),
        extra_public_values=list(areas.hoods.names) if areas is not None else [],
        prepared=options.release_gate if prepared is None else prepared,
        checks=checks,
    )


def _verdict(report: Any, folder: Path, shown: Path) -> str:
    """The report's message; LeakError (``folder`` shown as ``shown``) when it failed."""
    from ..gate.leak_gate import LeakError

    if not report.passed:
        raise LeakError(report.message().replace(shown_line(folder), shown_line(shown)))
    return str(report.message())


class _GateViews:
    """The folder's leak-gate preparation, its raw-side views computed on a second thread
    while the folder is made (issue 12: the national export's gate spends some 4 s CPU on
    the raw side, the export about 3 s, much of it outside the GIL).

    The preparation is exactly the one the gate call would make or take: with the release's
    gate, ``release_gate.prepared(...)`` of the same extras (the call finds it again); else
    ``PreparedGate(raw, points, outline vertices, names, 8)``, passed to the call. Anything
    unusual (no raw table, no map points, a release gate of other inputs, an error making
    the outlines or the preparation) starts nothing: the gate call then does what it did
    before, and raises what it raised, in the same place. Made first, started by
    :meth:`start` (after any child process is forked: core.common.forked.alone)."""

    _prep: Any = None  # the preparation to warm (start)
    _warm: Any = None  # its ViewsWarmUp, once started

    def __init__(self, options: WebmapOptions, areas: Optional[PageAreas] = None) -> None:
        """``areas``: the neighbourhoods' page outlines when made already (of
        ``options.neighbourhoods``: core.publish.webmap_early makes them before its fork)."""
        self.areas: Optional[PageAreas] = None
        self.prepared: Any = None  # for gate_folder; None: the release gate's (or made there)
        if options.raw is None or options.points is None:
            return
        try:
            from ..gate.context import PreparedGate
            from ..gate.leak_gate import ReleaseGate

            public: list[str] = []
            if options.neighbourhoods is not None:
                hoods = options.neighbourhoods
                if areas is None:
                    areas = page_areas(hoods)
                public = list(hoods.names)
                self.areas = areas
            extra = _allowed_extra(options, self.areas)
            gate = options.release_gate
            if isinstance(gate, ReleaseGate):
                if not gate.serves(options.raw, options.points):
                    return
                prep = gate.prepared(extra_allowed_coordinates=extra, extra_public_values=public)
            else:
                prep = self.prepared = PreparedGate(options.raw, options.points, extra, public, 8)
            self._prep = prep
        except Exception:  # noqa: BLE001 - the gate call makes it (and fails) as before
            self.prepared = None
            return

    def warms(self) -> bool:
        """Whether :meth:`start` begins a warm-up (nothing unusual was found)."""
        return self._prep is not None

    def start(self, only: Optional[tuple[str, ...]] = None) -> None:
        """Begin computing the views on a second thread (``only``: these alone)."""
        from ..gate.leak_gate import ViewsWarmUp

        if self._prep is not None and self._warm is None:
            if only is None:
                self._warm = ViewsWarmUp(self._prep)
            else:
                self._warm = ViewsWarmUp(self._prep, only, only=True)

    def join(self) -> None:
        """Wait for the views (before the gate uses the preparation)."""
        if self._warm is not None:
            self._warm.join()
            self._warm = None

    def let_go(self) -> None:
        """The checks here are done, the child's still running (webmap_beside): the views
        joined, and the preparation let go of, so that it and its views are freed now,
        beside the child's work, rather than once the export returns (0.16 s of a national
        map's critical path). The outline areas are kept (the commit's). A release gate's
        preparation is the release's: its next step uses it again."""
        self.join()
        self.prepared = self._prep = None

    def abandon(self) -> None:
        """The export failed or was cancelled: begin no further view, and wait for the one
        under way (a release gate is used again by the release's next step)."""
        if self._warm is not None:
            self._warm.stop()
            self.join()


def _commit_folder(stage: Path, target: Path) -> None:
    """Swap the staged folder into place; the old export is removed only once the new one
    is there (a crash between the two renames leaves the old one beside, never neither).
    Two exports into one folder at once (two command lines, a release and a rerun) swap
    one after the other (common.staging's lock on the folder, as its commits take): the
    second's map replaces the first's whole. Interleaved, the second found no map between
    the first's two renames and moved its own in, and the first then failed, leaving the
    previous map behind as a hidden ``.map.old-*`` folder (or failed itself).

    The previous map is named before it is set aside and settled (put back, or removed:
    webmap_staging.settle_swap) both in the swap and here, so one Ctrl-C or SIGTERM landing
    on any line, the settling's own included, still leaves one whole map and nothing beside
    it. Why: an interrupt between the renames left no map (the previous one hidden as
    ``.map.old-*``, the new one removed), and one just after them the previous map beside
    the new one, until the next export."""
    from ..common.staging import folder_lock

    old = webmap_staging.aside_path(target)
    with folder_lock(target.parent):
        try:
            _swap_folder(stage, target, old)
        finally:
            webmap_staging.settle_swap(target, old)


def _swap_folder(stage: Path, target: Path, old: Path) -> None:
    """The previous map (if any) to ``old``, the staged one into place, then ``old``
    settled (put back if the new one is not in place, else removed)."""
    try:
        if target.exists():
            if not target.is_dir():
                raise WebmapInputError(f"{shown_path(target)} exists and is not a folder")
            os.replace(target, old)
        os.replace(stage, target)
    finally:
        webmap_staging.settle_swap(target, old)


def staging_prefix(target: Path) -> str:
    """The name a staging folder this process makes beside ``target`` begins with: its
    process group and its own id (``.map.staging-<group>-<pid>-``). Why: a forked child
    (webmap_beside, a monthly release's map) or a child process with its own group (the
    export run from QGIS: webmap_process) killed while it writes cannot remove what it
    began; the caller, which outlives it, then finds exactly that child's folders
    (remove_staged_by), never those of another export writing beside the same map."""
    group = os.getpgrp() if hasattr(os, "getpgrp") else os.getpid()
    return f".{target.name}.staging-{group}-{os.getpid()}-"


def remove_staged_by(target: Path, pid: Optional[int] = None, group: Optional[int] = None) -> None:
    """Remove what the process ``pid`` (or every process of the process group ``group``)
    staged beside ``target`` and left there (a child that was killed, or died, before it
    removed or handed over its staging folder). Call it once that child (its whole group)
    has left: nothing else stages under its name then (an id is reused only after the
    system has gone through all the others)."""
    head = f".{target.name}.staging-"
    try:
        names = os.listdir(target.parent)
    except OSError:  # (no folder: nothing was staged)
        return
    for name in names:
        if not name.startswith(head):
            continue
        made_by = name[len(head) :].split("-")
        if len(made_by) < 3:  # (not a name staging_prefix gives)
            continue
        if (pid is not None and made_by[1] == str(pid)) or (
            group is not None and made_by[0] == str(group)
        ):
            shutil.rmtree(target.parent / name, ignore_errors=True)


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def export_webmap(options: WebmapOptions, feedback: Optional[Feedback] = None) -> WebmapResult:
    """Write the web map folder at options.out_dir (all or nothing); see the module docstring.

    Raises WebmapInputError (bad input), LeakError (gate refused), VendorMissing (no
    JavaScript libraries) or Cancelled; in every case the previous export is untouched.
    Runs with the cyclic garbage collector paused (core/common/gc_pause): the national
    month's 500,000 rows and the page data built from them are millions of objects in
    lists, which its full passes would walk again and again for no cycle.
    """
    with gc_paused():
        return _export_webmap(options, feedback)


def _export_webmap(options: WebmapOptions, feedback: Optional[Feedback]) -> WebmapResult:
    started = time.perf_counter()
    feedback = feedback or Feedback()
    tiles = page_tiles(options)
    if (options.csv_url or "").strip():  # (refused when given, as the tiles are: not only
        checked_csv_url(options.csv_url)  # when the CSVs turn out too large to copy)
    target = Path(options.out_dir)
    vendor_files()  # fail before any work when the libraries are missing
    feedback.check()
    views = _GateViews(options)
    child = _staged_beside(options, tiles, target, views) if views.warms() else None
    claimed: list[Path] = []  # the staging folder made here (named before it is made)
    try:
        if child is not None:
            return _export_beside(options, feedback, started, target, views, child)
        views.start()
        staged = _stage(options, feedback, tiles, target, views.areas, claimed)
        return _gate_and_commit(options, feedback, started, target, views, staged)
    except BaseException:
        if child is not None:  # (a child killed while writing leaves what it began)
            child.stop()
            remove_staged_by(target, child.pid)
        # (written, and interrupted before the gate's own clean-up began: Ctrl-C left it)
        webmap_staging.remove(claimed)
        raise
    finally:
        if child is not None:
            child.stop()  # (a failure or cancel: it ends, its staged folder removed)
        views.abandon()  # (joined already when the export went through)


def _export_beside(
    options: WebmapOptions,
    feedback: Feedback,
    started: float,
    target: Path,
    views: _GateViews,
    child: Any,
) -> WebmapResult:
    """The export with the folder made in a child process (core.publish.webmap_beside):
    this process warms the views its checks need, then checks the staged folder while the
    child runs the other checks, and moves it into place once both halves have passed."""
    from .webmap_beside import PARENT_VIEWS, merged_report, parent_checks

    views.start(PARENT_VIEWS)
    stage = child.staged(feedback)
    webmap_staging.hold(stage)  # (the child, which holds it too, has not ended yet)
    try:
        feedback.set_progress(40)
        # (the folder is read while the views end, and the checks wait for them)
        here = _raw_gate_report(stage, options, views.areas, views.prepared, parent_checks())
        views.let_go()  # (joined, and freed while the child ends its checks, not after them)
        staged, there = child.result(feedback)
        staged.areas = views.areas
        gate = _verdict(merged_report([here, there]), stage, target)
        done = _gate_and_commit(options, feedback, started, target, views, staged, gate)
    finally:
        webmap_staging.release(stage)  # (done already if it got as far as the commit)
    done.beside = True
    return done


def neighbourhood_warnings(hoods: Neighbourhoods) -> list[str]:
    """What was repaired or left out while the neighbourhoods were read (outlines merged,
    features without a code or polygon skipped...), as warnings worded as the summaries word
    them (neighbourhoods.problem_warnings: a release making both says each once);
    WebmapInputError when no neighbourhood is left that a crime could be counted in
    (no outline and no LSOA in a lookup: an empty collection, points where polygons were
    wanted), which would publish a map without areas and say nothing."""
    unusable = unusable_neighbourhoods(hoods)
    if unusable is not None:
        raise WebmapInputError(unusable)
    return problem_warnings(hoods)


@dataclass
class _Staged:
    """The map folder written to its staging folder, and what the result and gate take
    from the export (all a child process making it sends back: no table)."""

    stage: Path
    crimes: int
    mapped: int
    points: int
    months: list[str]
    warnings: list[str]
    to_gate: list[Path]  # linked CSVs no release manifest vouches for
    inputs: Optional[ReleaseInputs] = None  # (the gate of a map without raw crimes)
    areas: Optional[PageAreas] = None


def _staged_beside(
    options: WebmapOptions, tiles: Optional[TileSource], target: Path, views: _GateViews
) -> Any:
    """With ``options.export_beside``, the folder made, staged and partly gated in a forked
    child process (core.publish.webmap_beside) while this one prepares the rest of the
    gate's raw side without sharing Python's lock with it (issue 12: the national export's
    two halves, some 2.5 and 4.3 s CPU, otherwise take turns on one lock); None (made
    here) when the option is off, no second core is free, another Python thread runs (a
    lock the child would need may be held) or the fork fails."""
    if not options.export_beside:
        return None
    from ..common import forked

    if not (forked.available() and forked.alone()):
        return None
    from .webmap_beside import CHILD_CHECKS, StagedBeside

    areas, prepared = views.areas, views.prepared

    def stage(feedback: Feedback) -> _Staged:
        staged = _stage(options, feedback, tiles, target, areas)
        staged.inputs = None  # (the gate here has the raw crimes: not sent back)
        staged.areas = None  # (this process's own, the same: not sent back)
        return staged

    def gate(folder: Path) -> Any:
        return _raw_gate_report(folder, options, areas, prepared, CHILD_CHECKS)

    try:
        return StagedBeside(stage, gate)
    except OSError:  # (no memory or process left for a child: made here)
        return None


def _stage(
    options: WebmapOptions,
    feedback: Feedback,
    tiles: Optional[TileSource],
    target: Path,
    areas: Optional[PageAreas],
    claimed: Optional[list[Path]] = None,
) -> _Staged:
    """Read, aggregate and write the folder into a staging folder beside ``target``
    (removed again if this fails or is cancelled). ``claimed``: the caller's list, which
    names the folder from before it is made (webmap_staging.new_stage), for a caller that
    removes it if it fails between this return and its own clean-up."""
    files = scan_release_inputs(options.inputs, skip=target)
    plan = plan_downloads(files, target, options.copy_csv, options.csv_url)
    # without CSV copies only the columns the page is made from are read
    lean = plan.mode != "copy"
    inputs = read_release_inputs(
        files,
        PAGE_COLUMNS if lean else None,
        typed_coordinates=lean,
        street_table=options.street_table,
        history_table=options.history_table,
    )
    refuse_links_to_other_text(plan, inputs)
    warnings = list(inputs.warnings)
    feedback.set_progress(20)
    feedback.check()
    row_areas = None
    if options.neighbourhoods is not None:
        hoods = options.neighbourhoods
        warnings.extend(neighbourhood_warnings(hoods))
        if areas is None:
            areas = page_areas(hoods)
        row_areas = row_area_names(
            inputs.street,
            hoods,
            options.row_neighbourhoods,
            inputs.coordinate_codes,
            (inputs.lon, inputs.lat),
        )

    data = aggregate(
        inputs.street,
        inputs.outcomes,
        lon=inputs.lon,
        lat=inputs.lat,
        row_areas=row_areas,
        area_names=areas.hoods.names if areas is not None else (),
    )
    feedback.set_progress(40)
    feedback.check()
    claimed = [] if claimed is None else claimed
    try:
        # (held until moved into place or removed; a killed export's leftovers cleaned first)
        stage = webmap_staging.new_stage(target, staging_prefix(target), claimed)
        _write_folder(
            stage,
            options,
            inputs.street,
            data,
            areas,
            tiles,
            inputs.sources,
            ScaledFeedback(feedback, 40, 70),
            plan,
            inputs,
        )
        feedback.check()
    except BaseException:
        webmap_staging.remove(claimed)
        raise
    return _Staged(
        stage,
        data.crimes,
        data.mapped,
        data.points,
        data.months,
        warnings,
        list(plan.to_gate),
        inputs,
        areas,
    )


def _gate_and_commit(
    options: WebmapOptions,
    feedback: Feedback,
    started: float,
    target: Path,
    views: _GateViews,
    staged: _Staged,
    verdict: Optional[str] = None,
) -> WebmapResult:
    """The leak gate on the staged folder (``verdict``: its passing message, when gated
    already) and any linked CSV, then the swap into place (or the folder handed over:
    WebmapOptions.hand_over); the staging folder is removed if either fails or is
    cancelled."""
    stage, inputs, areas = staged.stage, staged.inputs, staged.areas
    try:
        if verdict is None:
            # (the gate reads the folder while the views end, and waits for them)
            gate = gate_folder(stage, inputs, options, areas, views.prepared)
            views.join()
        else:
            gate = verdict
        gate = gate.replace(str(stage), str(target))
        for linked in staged.to_gate:
            feedback.check()
            gate_output(linked, inputs, options, None, shown=linked, history=False)
        feedback.set_progress(95)
        feedback.check()
        os.chmod(stage, 0o777 & ~_umask())
        if options.before_commit is not None:
            options.before_commit()
        size = _folder_bytes(stage)
        if options.hand_over is not None:
            options.hand_over(stage)
        else:
            _commit_folder(stage, target)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
        webmap_staging.release(stage)
    feedback.set_progress(100)
    return WebmapResult(
        out_dir=target,
        index=target / "index.html",
        crimes=staged.crimes,
        mapped=staged.mapped,
        points=staged.points,
        months=staged.months,
        bytes=size,
        gate=gate,
        warnings=staged.warnings,
        seconds=time.perf_counter() - started,
    )


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
