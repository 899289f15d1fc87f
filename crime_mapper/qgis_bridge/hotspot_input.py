"""Crime points from a QGIS layer, for the hotspot methods: projected metres, one CRS.

The input rules, and the documented automatic choices (issue 4, "bad input"):
- a layer in a geographic CRS (WGS84 lon/lat, as the crimes GeoPackage is) is reprojected to
  one projected CRS chosen by core.common.projection.choose_crs: British National Grid
  (EPSG:27700), or Irish Transverse Mercator (EPSG:2157) when most points are in Northern
  Ireland. The choice is written to the output's notes and legend text;
- a layer in a projected CRS measured in metres is used as it is, unless its metres are not
  metres on the ground where the crimes are (by more than
  core.common.projection.GROUND_SCALE_TOLERANCE, 1%): Web Mercator (EPSG:3857, what many
  web tools export) is 1 / cos(latitude), about 1.6, too large in Britain, so a "500 m"
  hexagon was some 310 m across. Such a layer is reprojected as a geographic one is, and
  the notes say so;
- a projected CRS in other units (US feet...) is refused with a clear error: cell sizes and
  bandwidths are in metres, and silently converting would hide the mistake;
- features without a geometry (crimes without a location) are skipped and counted;
- an empty layer, or no features in the chosen months/category, is a clear HotspotInputError
  naming what the layer does hold.

Speed: a GeoPackage point table (as crime_mapper writes) is read with one SQL query and its
geometry blobs decoded with numpy (300,000 points in a fraction of a second); other providers
fall back to a QgsFeatureRequest loop. Threads: a layer opened here is created and dropped in
the calling thread, so this runs in a QgsTask worker.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Sequence
from typing import Any, Optional, Union

import numpy as np
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeatureRequest,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QDate, QDateTime, QVariant

from ..compat import (
    DISTANCE_METRES,
    FIELD_DATE,
    FIELD_DATETIME,
    GEOMETRY_POINT,
    distance_unit_name,
    geometry_words,
)
from ..core.common.feedback import Feedback
from ..core.common.geography import WGS84, coordinates_not_in_crs, transform
from ..core.common.layer_source import layer_of, source_options
from ..core.common.projection import distorted_scale
from ..core.common.text_file import shown_line
from ..core.common.vocabulary import MONTH_RE
from ..core.hotspots.hexgrid import HotspotInputError
from ..core.hotspots.points import HotspotPoints
from ..core.hotspots.selection import parse_category, parse_months
from ..core.io import gpkg_write
from ..core.io.gpkg_read import point_coordinates, read_only_uri
from .layers import gpkg_uri
from .transforms import unplaceable_crs

# Field names tried, in order, for the category and month of each point: the internal
# crimes table (core.common.schema) first, then the police.uk public schema.
CATEGORY_FIELDS = ("crime_type", "Crime type", "category")
MONTH_FIELDS = ("month", "Month")


def _find_field(
    names: Sequence[str], candidates: Sequence[str], layer_name: str = ""
) -> Optional[str]:
    """The first of ``candidates`` the layer has, whatever its case. Two fields that differ
    only by case ("Month" and "month", as a memory layer or a joined table can hold) are
    refused by name: taking either read the other's values without a word."""
    for candidate in candidates:
        found = [n for n in names if n.lower() == candidate.lower()]
        if len(found) > 1:
            raise HotspotInputError(
                f"the layer {shown_line(layer_name)} has {len(found)} fields named "
                f"{' and '.join(shown_line(n) for n in found)}, differing only by case: "
                "rename or remove all but one, so that it is clear which one is read"
            )
        if found:
            return found[0]
    return None


def gpkg_point_table(layer: QgsVectorLayer) -> Optional[tuple[str, str, str]]:
    """(path, table, geometry column) when the layer is a plain GeoPackage table we can read
    with SQL (no subset string, no joins), else None. The file and table by layer_source's
    rule: a file named ``a|b.gpkg`` was taken for ``a`` and read feature by feature. A
    layer chosen otherwise than by name (``FILE.gpkg|layerid=1``) is left to QGIS: the
    first geometry table was read in its place."""
    if layer.providerType() != "ogr" or layer.subsetString():
        return None
    if QgsWkbTypes.isMultiType(layer.wkbType()):
        return None  # (a multi-point table is read feature by feature: its blobs are no points)
    path, options = source_options(layer.source())
    table = layer_of(options)
    if table is None and options:
        return None
    if not path.lower().endswith(".gpkg") or not os.path.isfile(path):
        return None
    try:
        with sqlite3.connect(read_only_uri(path), uri=True) as conn:
            rows = conn.execute(
                "SELECT table_name, column_name FROM gpkg_geometry_columns"
            ).fetchall()
    except sqlite3.Error:
        return None
    for name, column in rows:
        if table is None or name == table:
            return path, name, column
    return None


def read_gpkg_points(
    layer: QgsVectorLayer,
    spec: tuple[str, str, str],
    category_field: Optional[str],
    month_field: Optional[str],
    category: Optional[str],
    months: Sequence[str],
    want_months: bool,
) -> tuple[np.ndarray, np.ndarray, Optional[np.ndarray], int]:
    path, table, geom = spec
    q = gpkg_write.quote_identifier
    columns = [q(geom)] + ([q(month_field)] if want_months and month_field else [])
    where, args = [], []
    if category is not None:
        where.append(f"{q(category_field)} = ?")
        args.append(category)
    if months:
        spellings = _month_spellings(months)
        where.append(f"{q(month_field)} IN ({', '.join('?' * len(spellings))})")
        args.extend(spellings)
    sql = f"SELECT {', '.join(columns)} FROM {q(table)}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    with sqlite3.connect(read_only_uri(path), uri=True) as conn:
        rows = conn.execute(sql, args).fetchall()
    if not rows:
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=object), 0
    if len(columns) == 1:
        x, y = point_coordinates([row[0] for row in rows])
        month_values = None
    else:
        x, y = point_coordinates([row[0] for row in rows])
        # one string object per distinct month, not one per crime (a force year is 300,000)
        seen: dict[Any, Optional[str]] = {}
        for value in {row[1] for row in rows}:
            seen[value] = _month_text(value, layer, month_field)
        month_values = np.array([seen[row[1]] for row in rows], dtype=object)
    ok = np.isfinite(x) & np.isfinite(y)
    skipped = int((~ok).sum())
    return (x[ok], y[ok], month_values[ok] if month_values is not None else None, skipped)


def read_feature_points(
    layer: QgsVectorLayer,
    category_field: Optional[str],
    month_field: Optional[str],
    category: Optional[str],
    months: Sequence[str],
    want_months: bool,
    feedback: Feedback,
) -> tuple[np.ndarray, np.ndarray, Optional[np.ndarray], int]:
    """Any provider: a QgsFeatureRequest loop reading only the fields it needs."""
    from qgis.core import QgsExpression

    request = QgsFeatureRequest()
    filters = []
    if category is not None:
        filters.append(
            f"{QgsExpression.quotedColumnRef(category_field)} = "
            f"{QgsExpression.quotedValue(category)}"
        )
    if months:
        column = QgsExpression.quotedColumnRef(month_field)
        spellings = _month_spellings(months)
        if _is_date_field(layer, month_field):
            column = f"format_date({column}, 'yyyy-MM')"
            spellings = list(months)
        values = ", ".join(QgsExpression.quotedValue(m) for m in spellings)
        filters.append(f"{column} IN ({values})")
    if filters:
        request.setFilterExpression(" AND ".join(filters))
    needed = [f for f in (month_field if want_months else None,) if f]
    request.setSubsetOfAttributes(needed, layer.fields())
    xs: list[float] = []
    ys: list[float] = []
    ms: list[str] = []
    skipped = 0
    total = max(layer.featureCount(), 1)
    for i, feature in enumerate(layer.getFeatures(request)):
        if i % 20_000 == 0:
            feedback.check()
            feedback.set_progress(20.0 * i / total)
        geometry = feature.geometry()
        if geometry is None or geometry.isNull() or geometry.isEmpty():
            skipped += 1
            continue
        point = _one_point(geometry, layer, feature)
        xs.append(point.x())
        ys.append(point.y())
        if want_months and month_field:
            ms.append(_month_text(feature[month_field], layer, month_field))
    month_values = np.array(ms, dtype=object) if want_months and month_field else None
    return np.array(xs, dtype=np.float64), np.array(ys, dtype=np.float64), month_values, skipped


def _one_point(geometry: Any, layer: QgsVectorLayer, feature: Any) -> Any:
    """The point of a crime's geometry: a multi-point of one part is that point. One of
    several parts is refused: it was read as the parts' centroid, a place where no crime
    was, and which of them is the crime (or whether each is one) cannot be told."""
    if not geometry.isMultipart():
        return geometry.asPoint()
    parts = geometry.asMultiPoint()
    if len(parts) != 1:
        raise HotspotInputError(
            f"feature {feature.id()} of the layer {shown_line(layer.name())} holds "
            f"{len(parts):,} points, where a crime is one point: split the layer's "
            "multi-part features first (Vector > Geometry Tools > Multipart to Singleparts)"
        )
    return parts[0]


def _is_date_field(layer: QgsVectorLayer, name: Optional[str]) -> bool:
    """Whether the field ``name`` holds dates or date-times (a month kept as a date)."""
    index = layer.fields().indexOf(name) if name else -1
    return index >= 0 and layer.fields().at(index).type() in (FIELD_DATE, FIELD_DATETIME)


def _month_spellings(months: Sequence[str]) -> list[str]:
    """The months asked for (YYYY-MM) as a layer may hold them: as written, and as the one
    number yyyymm ("202210"), which a SQL or QGIS filter also matches against a whole-number
    field. What is read is then checked and spelt YYYY-MM by :func:`_month_text`."""
    return [*months, *(m.replace("-", "") for m in months)]


def _yyyymm_month(digits: str, value: Any, layer: Any, field: Optional[str]) -> str:
    """The YYYY-MM of a month written as the six digits yyyymm ("202210"), or
    HotspotInputError naming the layer, the field and the value when they are no month
    ("202213", 2022): it matched no month asked for, and said so nowhere."""
    month = f"{digits[:4]}-{digits[4:]}"
    if len(digits) == 6 and MONTH_RE.fullmatch(month):
        return sys.intern(month)
    name = shown_line(layer.name()) if layer is not None else "the layer"
    raise HotspotInputError(
        f"the month field {shown_line(field or 'month')} of the layer {name} holds "
        f"{shown_line(str(value))}, which is no month: months are YYYY-MM (2022-10) or the "
        "number yyyymm (202210). Correct or remove that value and run again"
    )


def _month_text(value: Any, layer: Any = None, field: Optional[str] = None) -> Optional[str]:
    """A month value of a layer as the month's text: a date or date-time as its YYYY-MM (it
    was written as Python's repr, "PyQt5.QtCore.QDate(2022, 10, 1)", into the legend, and
    matched no month asked for), NULL as None (as the GeoPackage read gives it, not the
    month "NULL"), a whole number or text of digits yyyymm (202210, "202210") as its YYYY-MM
    (it matched no month asked for either), refused when it is no month (202213, "20221":
    _yyyymm_month); any other text as written."""
    if value is None or (isinstance(value, QVariant) and value.isNull()):
        return None
    if isinstance(value, QDateTime):
        value = value.date()
    if isinstance(value, QDate):
        return sys.intern(value.toString("yyyy-MM")) if value.isValid() else None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _yyyymm_month(str(value), value, layer, field)
    text = str(value)
    if text.isascii() and text.isdigit():
        return _yyyymm_month(text, value, layer, field)
    return sys.intern(text)


def _held_months(
    layer: QgsVectorLayer,
    month_field: Optional[str],
    spec: Optional[tuple[str, str, str]] = None,
) -> list[str]:
    """Every month the layer holds, whatever the category or location. With ``spec`` (a
    plain GeoPackage table, see gpkg_point_table) one SQL query, a fifth of the time QGIS's
    uniqueValues takes on a force year."""
    if not month_field:
        return []
    if spec is not None:
        path, table, _geom = spec
        q = gpkg_write.quote_identifier
        with sqlite3.connect(read_only_uri(path), uri=True) as conn:
            rows = conn.execute(
                f"SELECT DISTINCT {q(month_field)} FROM {q(table)} "
                f"WHERE {q(month_field)} IS NOT NULL"
            ).fetchall()
        held = {_month_text(row[0], layer, month_field) for row in rows}
        return sorted(m for m in held if m is not None)
    index = layer.fields().indexOf(month_field)
    if index < 0:
        return []
    held = {_month_text(v, layer, month_field) for v in layer.uniqueValues(index, 500)}
    return sorted(m for m in held if m is not None)


def open_point_layer(source: Union[QgsVectorLayer, str]) -> QgsVectorLayer:
    """A point layer from a layer object or an OGR URI / path (e.g. "crimes.gpkg|layername=
    crimes", or a crimes GeoPackage path, which means its "crimes" table)."""
    if isinstance(source, QgsVectorLayer):
        layer = source
    else:
        uri = str(source)
        if uri.lower().endswith(".gpkg") and not source_options(uri)[1]:  # (a|b.gpkg too)
            uri = gpkg_uri(uri, "crimes")
        layer = QgsVectorLayer(uri, "crimes", "ogr")
    if not layer.isValid():
        what = source.name() if isinstance(source, QgsVectorLayer) else str(source)
        # (on one line: a newline in a file's or layer's name started a line of the message)
        raise HotspotInputError(f"cannot open the point layer {shown_line(what)}")
    return layer


def _project_lon_lat(
    lon: np.ndarray, lat: np.ndarray, projected: Any
) -> tuple[np.ndarray, np.ndarray, str]:
    """WGS84 points in the projected CRS the hotspot methods choose for them
    (core.hotspots.cell_budget.project_for_hotspots: British National Grid, or Irish
    Transverse Mercator when most are in Northern Ireland): (x, y, that CRS)."""
    from ..core.hotspots.cell_budget import project_for_hotspots

    return project_for_hotspots(lon, lat, known=projected)


def _grid_name(crs: str) -> str:
    """The plain name of a CRS project_for_hotspots chooses, for the notes."""
    return "British National Grid" if crs.upper() == "EPSG:27700" else "Irish Transverse Mercator"


def _refuse_coordinates_not_in_crs(
    x: np.ndarray, y: np.ndarray, crs: QgsCoordinateReferenceSystem, name: str
) -> None:
    """HotspotInputError when the layer's coordinates cannot be in the CRS it says
    (core.common.geography.coordinates_not_in_crs). Why: British National Grid metres in a
    layer set to WGS84 were left out as "crimes without a location" (all of them: "the layer
    is empty or no feature has coordinates"), and degrees in a layer set to British National
    Grid were counted as one cluster in the sea off the Isles of Scilly."""
    authid = crs.authid() or "its CRS"
    found = coordinates_not_in_crs(
        x, y, authid if crs.authid() else crs.toWkt(), crs.isGeographic()
    )
    if found is None:
        return
    kind, count, first_x, first_y = found
    first = f"the first: x {first_x:.10g}, y {first_y:.10g}"
    if kind == "beyond":
        said = (
            f"{count:,} of the crimes in the layer {shown_line(name)!r} have coordinates "
            f"that the layer's CRS ({shown_line(authid)}) cannot hold ({first})"
        )
    else:
        said = (
            f"the crimes in the layer {shown_line(name)!r} have longitude and latitude in "
            f"degrees ({first}), but the layer's CRS ({shown_line(authid)}) is a map grid, "
            "not degrees"
        )
    raise HotspotInputError(
        f"{said}: the layer's CRS is not the one its coordinates are in. Set the right CRS "
        "(Layer Properties > Source) and run again"
    )


def points_from_layer(
    source: Union[QgsVectorLayer, str],
    *,
    category: Optional[str] = None,
    months: Any = None,
    want_months: bool = False,
    feedback: Optional[Feedback] = None,
    projected: Any = None,
) -> HotspotPoints:
    """Read a point layer's crimes (optionally one category and some months) into projected
    metres, applying the automatic CRS choice described in the module docstring.
    ``projected``: a core.hotspots.cell_budget.Projected of these crimes (the monthly
    release's check made it), taken when the points read are exactly its own."""
    feedback = feedback or Feedback()
    layer = open_point_layer(source)
    category = parse_category(category)
    month_list = parse_months(months)
    kind = QgsWkbTypes.geometryType(layer.wkbType())
    if kind != GEOMETRY_POINT:
        # (a polygon layer ended in a TypeError traceback from asPoint)
        raise HotspotInputError(
            f"the layer {shown_line(layer.name())} holds {geometry_words(kind)}, but crime "
            "points are needed here"
        )
    names = layer.fields().names()
    category_field = _find_field(names, CATEGORY_FIELDS, layer.name())
    month_field = _find_field(names, MONTH_FIELDS, layer.name())
    if category is not None and category_field is None:
        raise HotspotInputError(
            f"the layer {layer.name()!r} has no crime type field "
            f"({' / '.join(CATEGORY_FIELDS)}): choose 'All' categories"
        )
    if (month_list or want_months) and month_field is None:
        raise HotspotInputError(
            f"the layer {layer.name()!r} has no month field ({' / '.join(MONTH_FIELDS)})"
        )
    crs = layer.crs()
    unplaceable = unplaceable_crs(crs)
    if unplaceable is not None:
        raise HotspotInputError(
            f"the layer {layer.name()!r} has {unplaceable}; "
            "set one (Layer Properties > Source) and run again"
        )

    # the month of every point whenever the layer has one: the legend says in which of the
    # months analysed the selection has crimes (core.hotspots.selection.MonthCoverage)
    read_months = month_field is not None
    # (months kept as dates are read through QGIS, which gives them as dates)
    spec = None if _is_date_field(layer, month_field) else gpkg_point_table(layer)
    if spec is not None:
        x, y, month_values, skipped = read_gpkg_points(
            layer, spec, category_field, month_field, category, month_list, read_months
        )
    else:
        x, y, month_values, skipped = read_feature_points(
            layer, category_field, month_field, category, month_list, read_months, feedback
        )
    feedback.check()
    _refuse_coordinates_not_in_crs(x, y, crs, layer.name())
    if len(x) == 0:
        if layer.featureCount() == 0:
            raise HotspotInputError(
                f"the layer {layer.name()!r} is empty: there are no crimes to analyse"
            )
        what = " and ".join(
            filter(
                None,
                [
                    f"category {category!r}" if category else "",
                    f"month(s) {', '.join(month_list)}" if month_list else "",
                ],
            )
        )
        if skipped:
            # (crimes of the months asked for without a location were said as "no crimes in
            # those months", beside "the layer holds" those very months)
            in_what = f" in {what}" if what else ""
            raise HotspotInputError(
                f"no crime{in_what} in the layer {layer.name()!r} has a location "
                f"({skipped:,} without one)"
            )
        held = _held_months(layer, month_field)
        hint = f"; the layer holds {held[0]} to {held[-1]}" if held else ""
        raise HotspotInputError(
            f"no crimes with a location in {what} in the layer {layer.name()!r}{hint}"
        )

    notes: list[str] = []
    authid = crs.authid() or crs.toWkt()
    if crs.isGeographic():
        if authid.upper() != WGS84:
            x, y = transform(x, y, authid, WGS84)
        x, y, out_crs = _project_lon_lat(x, y, projected)
        notes.append(
            f"The layer's CRS ({authid}) is geographic (degrees); the points were "
            f"projected to {_grid_name(out_crs)} ({out_crs}), chosen automatically, so that "
            "cell sizes and distances are in metres."
        )
    else:
        if crs.mapUnits() != DISTANCE_METRES:
            unit = distance_unit_name(crs.mapUnits())
            raise HotspotInputError(
                f"the layer's CRS ({authid}) is measured in {unit}, not metres: hotspot cell "
                "sizes and bandwidths are in metres. Reproject the layer to British National "
                "Grid (EPSG:27700) or Irish Transverse Mercator (EPSG:2157) first."
            )
        out_crs = authid
        scale = distorted_scale(x, y, authid)
        if scale is not None:
            lon, lat = transform(x, y, authid, WGS84)
            x, y, out_crs = _project_lon_lat(lon, lat, projected)
            notes.append(
                f"The layer's CRS ({shown_line(authid)}) is in metres, but not in metres on "
                f"the ground where these crimes are (one of its metres is {scale:.2f} m "
                "there): the points were projected to "
                f"{_grid_name(out_crs)} ({out_crs}), chosen automatically, so that cell "
                "sizes and distances are true metres."
            )
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.all():
        skipped += int((~ok).sum())
        x, y = x[ok], y[ok]
        month_values = month_values[ok] if month_values is not None else None
    if skipped:
        notes.append(f"{skipped:,} crimes without a location were left out.")
    points = HotspotPoints(
        x=np.ascontiguousarray(x),
        y=np.ascontiguousarray(y),
        crs=out_crs,
        months=month_values,
        source_name=layer.name(),
        category=category,
        month_filter=month_list,
        skipped_no_location=skipped,
        notes=notes,
        input_months=_held_months(layer, month_field, spec),
    )
    missing = points.coverage().not_in_input
    if missing:
        notes.append(
            f"The layer holds no crimes at all in {', '.join(missing)}: "
            f"{'that month is' if len(missing) == 1 else 'those months are'} not analysed "
            "and not counted in the legend."
        )
    return points
