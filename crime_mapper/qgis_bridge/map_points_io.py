"""QGIS layers and files in, core.release.map_points.MapPoints out (and back to a GeoPackage).

The core builds map points from plain arrays (core.release.map_points); this module is the QGIS
side:
it checks a layer *before* any work starts (empty, wrong geometry type, missing label field,
unknown CRS, a projected CRS not in metres) so that an analyst gets one clear sentence instead
of a stack trace half-way through a release, and it turns features into numpy arrays:

- a point layer + label field (any CRS, reprojected to WGS84 with QgsCoordinateTransform);
- a roads line layer (+ name field) and optional address points, reprojected into the one
  metric CRS the whole set is measured in (British National Grid or Irish Transverse
  Mercator, chosen by core.common.projection.choose_crs) for
  core.release.map_points.map_points_from_roads;
- a force's police.uk history (files, folders, monthly zips) through core.load.loader;
- the hexagon fallback from a crimes table.

Layers arrive as any QgsFeatureSource: a QgsVectorLayer on the main thread, a Processing
feature source, or a QgsVectorLayerFeatureSource snapshot that a QgsTask can read safely in
its worker thread. Map points are written to (and read back from) a GeoPackage table
``map_points`` with the fast sqlite writer (gpkg_write), WGS84 point geometry.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np
import pandas as pd
from qgis.core import (
    Qgis,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeatureRequest,
    QgsGeometry,
    QgsProject,
    QgsUnitTypes,
    QgsWkbTypes,
)

from ..core.common.feedback import Feedback
from ..core.common.projection import choose_crs
from ..core.common.staging import staged_outputs
from ..core.io import gpkg_write
from ..core.io.gpkg_read import point_coordinates
from ..core.release.map_points import (
    DEFAULT_MIN_ADDRESSES,
    MapPoints,
    MapPointsError,
    map_points_from_arrays,
    map_points_from_history,
    map_points_from_roads,
    map_points_hexagon_fallback,
    read_map_points_csv,
    strip_location_prefix,
)
from .crimes_source import layer_gpkg_table

PathLike = Union[str, "os.PathLike[str]"]

MAP_POINTS_TABLE = "map_points"
# Field name -> gpkg_write dtype. Optional attributes are picked up from a layer that has them
# (a map_points layer written here, loaded back into QGIS, round-trips).
MAP_POINTS_FIELDS: dict[str, str] = {
    "label": "string",
    "source": "string",
    "addresses": "int64",
    "lsoa_code": "string",
    "lsoa_name": "string",
}
WGS84 = "EPSG:4326"


class MapPointsInputError(MapPointsError):
    """A layer or file cannot give map points; raised before any work starts."""


# --- enum helpers: QGIS 3.22 and 3.30+ ------------------------------------------------------


def _enum(new_owner: Any, new_name: str, old: Any) -> Any:
    """The scoped enum value of QGIS >= 3.30 when it exists, else the 3.22 one."""
    if new_owner is not None and hasattr(new_owner, new_name):
        return getattr(new_owner, new_name)
    return old


METRES = _enum(
    getattr(Qgis, "DistanceUnit", None), "Meters", QgsUnitTypes.DistanceUnit.DistanceMeters
)
POINT_GEOMETRY = _enum(
    getattr(Qgis, "GeometryType", None), "Point", QgsWkbTypes.GeometryType.PointGeometry
)
LINE_GEOMETRY = _enum(
    getattr(Qgis, "GeometryType", None), "Line", QgsWkbTypes.GeometryType.LineGeometry
)
NULL_GEOMETRY = _enum(
    getattr(Qgis, "GeometryType", None), "Null", QgsWkbTypes.GeometryType.NullGeometry
)
_GEOMETRY_WORDS = {
    POINT_GEOMETRY: "points",
    LINE_GEOMETRY: "lines",
    _enum(
        getattr(Qgis, "GeometryType", None), "Polygon", QgsWkbTypes.GeometryType.PolygonGeometry
    ): "polygons",
}


# --- checks (before work) -------------------------------------------------------------------


def _source_name(source: Any, what: str) -> str:
    name = getattr(source, "name", None)
    try:
        text = name() if callable(name) else ""
    except (RuntimeError, TypeError):
        text = ""
    return f"{what} {text!r}" if text else what


def _crs_of(source: Any) -> QgsCoordinateReferenceSystem:
    if hasattr(source, "sourceCrs"):
        return source.sourceCrs()
    return source.crs()


def check_crs(crs: QgsCoordinateReferenceSystem, what: str) -> None:
    """A layer's CRS must be known, and either geographic or projected in metres.

    Reprojection would cope with feet mathematically, but UK police data in a projected CRS
    that is not in metres is almost always British National Grid coordinates with the wrong
    CRS assigned: refusing it stops every point landing in the wrong place.
    """
    if crs is None or not crs.isValid():
        raise MapPointsInputError(
            f"{what} has no valid coordinate reference system (CRS unknown): set the layer's "
            "CRS in its properties (British National Grid is EPSG:27700) and try again"
        )
    if not crs.isGeographic() and crs.mapUnits() != METRES:
        unit = QgsUnitTypes.toString(crs.mapUnits())
        raise MapPointsInputError(
            f"{what} is in {crs.authid() or crs.description()}, whose units are {unit}, not "
            "metres: distances must be measured in metres. Reproject the layer to British "
            "National Grid (EPSG:27700) or Irish Transverse Mercator (EPSG:2157), or fix its "
            "CRS if the coordinates are really eastings/northings in metres"
        )


def check_source(source: Any, what: str, geometry: Any, fields: Sequence[str] = ()) -> None:
    """Refuse a layer that is missing, empty, of the wrong geometry type, lacks a field or
    has an unusable CRS. ``geometry`` is POINT_GEOMETRY or LINE_GEOMETRY."""
    if source is None:
        raise MapPointsInputError(f"no {what} was given")
    if hasattr(source, "isValid") and not source.isValid():
        raise MapPointsInputError(
            f"{_source_name(source, what)} is not a valid layer (its file may have moved)"
        )
    name = _source_name(source, what)
    kind = QgsWkbTypes.geometryType(source.wkbType())
    if kind != geometry:
        have = _GEOMETRY_WORDS.get(kind, "no geometry" if kind == NULL_GEOMETRY else "other")
        raise MapPointsInputError(
            f"{name} holds {have}, but {_GEOMETRY_WORDS[geometry]} are needed here"
        )
    names = [f.name() for f in source.fields()]
    for wanted in fields:
        if not wanted:
            raise MapPointsInputError(f"choose the label field of {name}")
        if wanted not in names:
            raise MapPointsInputError(
                f"{name} has no field {wanted!r}; its fields are: {', '.join(names) or 'none'}"
            )
    check_crs(_crs_of(source), name)
    if source.featureCount() == 0:
        raise MapPointsInputError(f"{name} is empty: it has no features")


# --- features to arrays ---------------------------------------------------------------------


def _transform_to(source: Any, target: str) -> Optional[QgsCoordinateTransform]:
    crs = _crs_of(source)
    dest = QgsCoordinateReferenceSystem(target)
    if crs == dest:
        return None
    return QgsCoordinateTransform(crs, dest, QgsProject.instance().transformContext())


def _text(value: Any) -> str:
    if value is None:
        return ""
    try:  # QVariant NULL from attributes
        if hasattr(value, "isNull") and value.isNull():
            return ""
    except TypeError:
        pass
    return str(value)


def _int(value: Any, default: int = -1) -> int:
    try:
        if value is None or (hasattr(value, "isNull") and value.isNull()):
            return default
        return int(value)
    except (TypeError, ValueError):
        return default


def _check_cancel(feedback: Feedback, count: int) -> None:
    if count % 5000 == 0:
        feedback.check()


def points_from_source(
    source: Any, label_field: str, feedback: Optional[Feedback] = None
) -> MapPoints:
    """Map points from a point layer with a label field (any CRS, reprojected to WGS84).

    Multi-point features give one map point per part. Labels written as police.uk Location
    text ("On or near X") are stored as "X". A layer that already carries source, addresses,
    lsoa_code and lsoa_name fields (a map_points layer written by crime_mapper) keeps them.
    Features without geometry are skipped and counted in a warning.
    """
    feedback = feedback or Feedback()
    what = "map points layer"
    check_source(source, what, POINT_GEOMETRY, [label_field])
    names = [f.name() for f in source.fields()]
    optional = [n for n in ("source", "addresses", "lsoa_code", "lsoa_name") if n in names]
    transform = _transform_to(source, WGS84)
    request = QgsFeatureRequest().setSubsetOfAttributes([label_field, *optional], source.fields())
    lon: list[float] = []
    lat: list[float] = []
    cols: dict[str, list] = {"label": [], **{n: [] for n in optional}}
    skipped = 0
    for count, feature in enumerate(source.getFeatures(request)):
        _check_cancel(feedback, count)
        geom = feature.geometry()
        if geom is None or geom.isEmpty():
            skipped += 1
            continue
        if transform is not None:
            geom = QgsGeometry(geom)
            geom.transform(transform)
        parts = geom.asMultiPoint() if geom.isMultipart() else [geom.asPoint()]
        label = strip_location_prefix(_text(feature[label_field]))
        extra = {n: feature[n] for n in optional}
        for point in parts:
            lon.append(point.x())
            lat.append(point.y())
            cols["label"].append(label)
            for n in optional:
                cols[n].append(extra[n])
    warnings = []
    if skipped:
        warnings.append(
            f"{skipped} feature(s) of the map points layer have no geometry and were not used."
        )
    if not lon:
        raise MapPointsInputError(f"{_source_name(source, what)} has no point with a geometry")
    source_values: Any = "layer"
    if "source" in optional:
        source_values = [_text(v) or "layer" for v in cols["source"]]
        if "hexagon fallback" in source_values:
            warnings.append(
                "Hexagon fallback: these map points are hexagon centres, not "
                "street-level points; locations read 'On or near <area>'."
            )
    addresses = [_int(v) for v in cols["addresses"]] if "addresses" in optional else None
    return map_points_from_arrays(
        lon,
        lat,
        cols["label"],
        source=source_values,
        addresses=addresses,
        lsoa_code=[_text(v) for v in cols["lsoa_code"]] if "lsoa_code" in optional else None,
        lsoa_name=[_text(v) for v in cols["lsoa_name"]] if "lsoa_name" in optional else None,
        warnings=warnings,
    )


def _first_vertices_wgs84(
    geometries: list[QgsGeometry], source: Any
) -> tuple[np.ndarray, np.ndarray]:
    transform = _transform_to(source, WGS84)
    lon, lat = [], []
    for geom in geometries[:: max(1, len(geometries) // 5000)]:
        vertex = geom.vertexAt(0)
        if transform is not None:
            point = transform.transform(vertex.x(), vertex.y())
            lon.append(point.x())
            lat.append(point.y())
        else:
            lon.append(vertex.x())
            lat.append(vertex.y())
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def _line_parts(geom: QgsGeometry) -> list[np.ndarray]:
    if geom.isMultipart():
        lines = geom.asMultiPolyline()
    else:
        lines = [geom.asPolyline()]
    return [
        np.array([(p.x(), p.y()) for p in line], dtype=np.float64).reshape(-1, 2)
        for line in lines
        if len(line) >= 2
    ]


def roads_from_source(
    roads: Any,
    name_field: str,
    addresses: Any = None,
    k: int = DEFAULT_MIN_ADDRESSES,
    feedback: Optional[Feedback] = None,
) -> MapPoints:
    """Map points at street-segment centres of a roads layer, with police.uk's catchment
    rule (at least ``k`` addresses or none) when an address point layer is given.

    Everything is reprojected into one metric CRS (BNG, or ITM for Northern Ireland, chosen
    from where the roads are) before core.release.map_points.map_points_from_roads measures it.
    """
    feedback = feedback or Feedback()
    check_source(roads, "roads layer", LINE_GEOMETRY, [name_field])
    if addresses is not None:
        check_source(addresses, "address points layer", POINT_GEOMETRY)
    request = QgsFeatureRequest().setSubsetOfAttributes([name_field], roads.fields())
    geometries: list[QgsGeometry] = []
    labels: list[str] = []
    for count, feature in enumerate(roads.getFeatures(request)):
        _check_cancel(feedback, count)
        geom = feature.geometry()
        if geom is None or geom.isEmpty():
            continue
        geometries.append(QgsGeometry(geom))
        labels.append(_text(feature[name_field]))
    if not geometries:
        raise MapPointsInputError("the roads layer has no line with a geometry")
    lon, lat = _first_vertices_wgs84(geometries, roads)
    target = choose_crs(lon, lat)
    transform = _transform_to(roads, target)
    lines: list[np.ndarray] = []
    line_labels: list[str] = []
    for count, (geom, label) in enumerate(zip(geometries, labels)):
        _check_cancel(feedback, count)
        if transform is not None:
            geom.transform(transform)
        for part in _line_parts(geom):
            lines.append(part)
            line_labels.append(label)
    feedback.set_progress(40.0)
    addresses_xy = None
    if addresses is not None:
        to_target = _transform_to(addresses, target)
        xy: list[tuple[float, float]] = []
        no_geometry = QgsFeatureRequest().setNoAttributes()
        for count, feature in enumerate(addresses.getFeatures(no_geometry)):
            _check_cancel(feedback, count)
            geom = feature.geometry()
            if geom is None or geom.isEmpty():
                continue
            if to_target is not None:
                geom = QgsGeometry(geom)
                geom.transform(to_target)
            parts = geom.asMultiPoint() if geom.isMultipart() else [geom.asPoint()]
            xy.extend((p.x(), p.y()) for p in parts)
        addresses_xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    feedback.set_progress(60.0)
    feedback.check()
    return map_points_from_roads(lines, line_labels, target, addresses_xy=addresses_xy, k=k)


def history_points(paths: Sequence[PathLike], feedback: Optional[Feedback] = None) -> MapPoints:
    """The distinct published points of a force's police.uk history (files, folders, zips)."""
    from ..core.load.loader import load_extracts

    if not paths:
        raise MapPointsInputError("no police.uk history files were given")
    for path in paths:
        if not Path(path).exists():
            raise MapPointsInputError(f"police.uk history not found: {path}")
    result = load_extracts([str(p) for p in paths], feedback=feedback)
    crimes = result.crimes
    if not len(crimes):
        raise MapPointsInputError("the police.uk history files hold no street-level crimes")
    if "source_format" in crimes and (crimes["source_format"].astype(str) != "police.uk").any():
        raise MapPointsInputError(
            "map points can only be derived from published police.uk street files; some of "
            "the files given are force extracts (their exact locations are not map points)"
        )
    return map_points_from_history(crimes)


def hexagon_points(crimes: pd.DataFrame, size_m: float) -> MapPoints:
    """The hexagon fallback over a crimes table, labelled by LSOA name where known."""
    if size_m is None or not np.isfinite(size_m) or size_m <= 0:
        raise MapPointsInputError("the hexagon size must be a positive number of metres")
    names = (
        crimes["lsoa_name"].astype(object).where(crimes["lsoa_name"].notna(), "")
        if "lsoa_name" in crimes
        else None
    )
    return map_points_hexagon_fallback(
        crimes["longitude"].to_numpy(dtype=np.float64),
        crimes["latitude"].to_numpy(dtype=np.float64),
        float(size_m),
        area_names=names,
    )


# --- GeoPackage -----------------------------------------------------------------------------


def map_points_table(points: MapPoints, name: str = MAP_POINTS_TABLE) -> gpkg_write.PointTable:
    """The gpkg_write table of ``points`` (WGS84 point geometry, MAP_POINTS_FIELDS)."""
    frame = points.to_frame()
    warning = " ".join(points.warnings)
    description = "crime_mapper anonymous map points" + (f". {warning}" if warning else "")
    return gpkg_write.PointTable(name, frame, dict(MAP_POINTS_FIELDS), description=description)


def write_map_points_gpkg(
    points: MapPoints, path: PathLike, feedback: Optional[Feedback] = None
) -> Path:
    """Write ``points`` as table ``map_points`` of a new GeoPackage at ``path``, atomically
    (a failed or cancelled write leaves an existing file unchanged)."""
    path = Path(path)
    with staged_outputs() as stage:
        gpkg_write.write_geopackage(
            stage.path_for(path), [map_points_table(points)], feedback=feedback
        )
    return path


def read_map_points_gpkg(path: PathLike, table: str = MAP_POINTS_TABLE) -> MapPoints:
    """Map points from a GeoPackage table written by write_map_points_gpkg (or any WGS84
    point table with a ``label`` field)."""
    path = Path(path)
    if not path.is_file():
        raise MapPointsInputError(f"map points GeoPackage not found: {path}")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        try:
            geom_row = conn.execute(
                "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?",
                (table,),
            ).fetchone()
        except sqlite3.DatabaseError as exc:
            raise MapPointsInputError(f"{path} is not a GeoPackage ({exc})") from exc
        if geom_row is None:
            raise MapPointsInputError(f"{path} has no {table!r} layer")
        geom_col, srs_id = geom_row
        if int(srs_id) != gpkg_write.WGS84_SRS_ID:
            raise MapPointsInputError(
                f"{path}: the {table!r} layer is not in WGS84 (EPSG:4326); load it in QGIS "
                "and choose it as a map points layer instead"
            )
        columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]
        if "label" not in columns:
            raise MapPointsInputError(f"{path}: the {table!r} layer has no 'label' field")
        wanted = [c for c in MAP_POINTS_FIELDS if c in columns]
        select = ", ".join([f'"{geom_col}"'] + [f'"{c}"' for c in wanted])
        rows = conn.execute(f'SELECT {select} FROM "{table}" ORDER BY fid').fetchall()
    finally:
        conn.close()
    if not rows:
        raise MapPointsInputError(f"{path}: the {table!r} layer is empty")
    data = list(zip(*rows))
    x, y = point_coordinates(list(data[0]))
    values = {name: list(col) for name, col in zip(wanted, data[1:])}

    def text(name: str) -> Optional[list[str]]:
        return [_text(v) for v in values[name]] if name in values else None

    source = text("source") or "layer"
    warnings = []
    if isinstance(source, list) and "hexagon fallback" in source:
        warnings.append(
            "Hexagon fallback: these map points are hexagon centres, not "
            "street-level points; locations read 'On or near <area>'."
        )
    addresses = [_int(v) for v in values["addresses"]] if "addresses" in values else None
    return map_points_from_arrays(
        x,
        y,
        text("label"),
        source=source,
        addresses=addresses,
        lsoa_code=text("lsoa_code"),
        lsoa_name=text("lsoa_name"),
        warnings=warnings,
    )


def read_map_points_file(path: PathLike) -> MapPoints:
    """Map points from a .gpkg (table map_points, or layername= in the path) or a .csv."""
    text = str(path)
    table = MAP_POINTS_TABLE
    if "|layername=" in text:
        text, rest = text.split("|layername=", 1)
        table = rest.split("|", 1)[0]
    if text.lower().endswith(".gpkg"):
        return read_map_points_gpkg(text, table)
    if text.lower().endswith(".csv"):
        if not Path(text).is_file():
            raise MapPointsInputError(f"map points file not found: {text}")
        return read_map_points_csv(text)
    raise MapPointsInputError(f"{text}: map points come from a .gpkg or .csv file")


# --- layers read in another thread ---------------------------------------------------------


class LayerSnapshot:
    """A layer's features readable in a worker thread, with its metadata captured now.

    QgsVectorLayerFeatureSource is QGIS's thread-safe copy of a layer's data source, but on
    3.22 it lacks wkbType(), sourceCrs() and featureCount(); these are read on the main
    thread when the snapshot is made, so the checks above work on it unchanged.
    """

    def __init__(self, layer: Any) -> None:
        from qgis.core import QgsVectorLayerFeatureSource

        self._source = QgsVectorLayerFeatureSource(layer)
        self._fields = layer.fields()
        self._wkb_type = layer.wkbType()
        self._crs = layer.crs()
        self._count = layer.featureCount()
        self._name = layer.name()

    def name(self) -> str:
        return self._name

    def fields(self) -> Any:
        return self._fields

    def wkbType(self) -> Any:  # noqa: N802 - QgsFeatureSource API
        return self._wkb_type

    def sourceCrs(self) -> QgsCoordinateReferenceSystem:  # noqa: N802 - QgsFeatureSource API
        return self._crs

    def featureCount(self) -> int:  # noqa: N802 - QgsFeatureSource API
        return self._count

    def getFeatures(self, request: Optional[QgsFeatureRequest] = None) -> Any:  # noqa: N802
        return self._source.getFeatures(request or QgsFeatureRequest())


def _wgs84_gpkg_table(path: str, table: str) -> bool:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute(
                "SELECT srs_id, geometry_type_name FROM gpkg_geometry_columns WHERE table_name = ?",
                (table,),
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return (
        row is not None
        and int(row[0]) == gpkg_write.WGS84_SRS_ID
        and str(row[1]).upper() == "POINT"
    )


def spec_from_layer(layer: Any, label_field: str, thread_safe: bool = False) -> MapPointsSpec:
    """A MapPointsSpec for a point layer + label field, checked now (main thread).

    A WGS84 map_points table of a GeoPackage with a ``label`` field (what build_map_points
    writes) is read with sqlite, which is much faster than feature by feature; any other
    layer is read through QGIS (from a LayerSnapshot when ``thread_safe``: for a QgsTask).
    """
    check_source(layer, "map points layer", POINT_GEOMETRY, [label_field])
    found = layer_gpkg_table(layer)
    if found is not None and label_field == "label" and _wgs84_gpkg_table(*found):
        path, table = found
        # described by its file, as when the file itself is given: same manifest either way
        return MapPointsSpec(
            "file",
            paths=[f"{path}|layername={table}"],
            description=f"map points file {Path(path).name}",
        )
    source = LayerSnapshot(layer) if thread_safe else layer
    return MapPointsSpec(
        "points",
        source=source,
        label_field=label_field,
        description=f"map points layer {layer.name()!r}",
    )


# --- one description of "where the map points come from" ------------------------------------


@dataclass
class MapPointsSpec:
    """How to get the map points, resolvable in a worker thread.

    kind: "points" (``source`` = a QgsFeatureSource safe to read in the resolving thread,
    e.g. a QgsVectorLayerFeatureSource, + ``label_field``), "file" (``paths[0]`` = map
    points .gpkg or .csv), "history" (``paths`` = police.uk files), "roads" (``source``
    roads + ``name_field``, optional ``addresses`` source, ``k``), "hexagon" (``size_m``;
    the crimes come from the release), or "ready" (``points``).
    """

    kind: str
    source: Any = None
    label_field: str = ""
    paths: list[str] = field(default_factory=list)
    addresses: Any = None
    k: int = DEFAULT_MIN_ADDRESSES
    size_m: float = 500.0
    points: Optional[MapPoints] = None
    description: str = ""

    def resolve(
        self, crimes: Optional[pd.DataFrame] = None, feedback: Optional[Feedback] = None
    ) -> MapPoints:
        if self.kind == "ready" and self.points is not None:
            return self.points
        if self.kind == "points":
            return points_from_source(self.source, self.label_field, feedback)
        if self.kind == "file":
            if not self.paths:
                raise MapPointsInputError("no map points file was given")
            return read_map_points_file(self.paths[0])
        if self.kind == "history":
            return history_points(self.paths, feedback)
        if self.kind == "roads":
            return roads_from_source(
                self.source, self.label_field, self.addresses, self.k, feedback
            )
        if self.kind == "hexagon":
            if crimes is None:
                raise MapPointsInputError("the hexagon fallback needs the crimes")
            return hexagon_points(crimes, self.size_m)
        raise MapPointsInputError(f"unknown map points source {self.kind!r}")

    def input_files(self) -> list[Path]:
        """Files the map points were read from, for the release manifest."""
        if self.kind in ("file", "history"):
            from .crimes_source import input_files

            return input_files([p.split("|", 1)[0] for p in self.paths])
        return []
