"""Build the QGIS layers of one load: styled crimes, stop and search, rejects table, group.

Shared by the dock's task (LoadExtractsTask.add_layers_to_project), the Processing
algorithm's post-processor and tools/demo.py, so a layer looks the same whichever way it
was loaded. Layers are only ever created on the thread that uses them: the background
task writes files; these functions run afterwards on the main thread.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Optional

from qgis.core import (
    QgsLayerTreeGroup,
    QgsMapLayer,
    QgsProject,
    QgsVectorLayer,
)

from ..core.common import schema
from ..core.common.layer_source import source_file
from ..core.common.text_file import shown_line
from .renderers import crime_type_renderer, stop_search_renderer
from .styles import save_named_style

CRIMES_TABLE = "crimes"
STOP_SEARCH_TABLE = "stop_search"
STYLE_NAME = "crime_mapper"


def gpkg_uri(gpkg_path: str | os.PathLike, table: str) -> str:
    """The OGR provider URI of one table in a GeoPackage."""
    return f"{Path(gpkg_path)}|layername={table}"


def _aliases(columns: Mapping[str, tuple]) -> dict[str, str]:
    return {name: spec[1] for name, spec in columns.items()}


def apply_aliases(layer: QgsVectorLayer, aliases: Mapping[str, str]) -> None:
    """Friendly field names in the attribute table and forms; extra_* fields get a prefix.

    The real field names stay as in core.common.schema so expressions, the web export and the
    leak gate all use one set of names.
    """
    fields = layer.fields()
    for index in range(fields.count()):
        name = fields.at(index).name()
        if name in aliases:
            layer.setFieldAlias(index, aliases[name])
        elif name.startswith(schema.EXTRA_PREFIX):
            layer.setFieldAlias(index, f"Source: {name[len(schema.EXTRA_PREFIX) :]}")


def crime_aliases() -> dict[str, str]:
    """Field name -> alias for the crimes table (from schema.CRIME_COLUMNS)."""
    return _aliases(schema.CRIME_COLUMNS)


def stop_search_aliases() -> dict[str, str]:
    """Field name -> alias for the stop-and-search table (from schema.STOP_SEARCH_COLUMNS)."""
    return _aliases(schema.STOP_SEARCH_COLUMNS)


def reject_aliases() -> dict[str, str]:
    """Readable names for the rejects table columns."""
    return {
        "source_file": "Source file",
        "source_line": "Source line",
        "file_kind": "File kind",
        "reason": "Reason",
        "detail": "Detail",
        "raw": "Raw row (verbatim)",
    }


def style_crimes_layer(layer: QgsVectorLayer) -> None:
    """Aliases and the categorized renderer by crime type (palette colours and shapes)."""
    apply_aliases(layer, crime_aliases())
    layer.setRenderer(crime_type_renderer())
    layer.setDisplayExpression("\"crime_type\" || ' — ' || coalesce(\"location\", '')")


def style_stop_search_layer(layer: QgsVectorLayer) -> None:
    """Aliases and a single neutral symbol for stop-and-search points."""
    apply_aliases(layer, stop_search_aliases())
    layer.setRenderer(stop_search_renderer())


def save_styles(layer: QgsVectorLayer, qml_path: Optional[str | os.PathLike] = None) -> None:
    """Store the layer's style as the default in its GeoPackage and, optionally, as a QML.

    The default style in the GeoPackage's layer_styles table is what makes a fresh
    drag-and-drop of the file (or a project reopened elsewhere) come up styled; the QML
    beside it is for people who load styles by hand or keep them under version control.
    """
    error = layer.saveStyleToDatabase(STYLE_NAME, "crime_mapper default style", True, "")
    if error:
        raise RuntimeError(
            f"could not save the style into {shown_line(layer.source())}: {shown_line(error)}"
        )
    if qml_path is not None:
        message, ok = save_named_style(layer, qml_path)  # (the file written, not QGIS's flag)
        if not ok:
            raise RuntimeError(
                f"could not write style {shown_line(qml_path)}: {shown_line(message)}"
            )


def crimes_layer(gpkg_path: str | os.PathLike, name: str = "Crimes") -> QgsVectorLayer:
    """The styled crimes point layer backed by the GeoPackage."""
    layer = QgsVectorLayer(gpkg_uri(gpkg_path, CRIMES_TABLE), name, "ogr")
    if not layer.isValid():
        raise RuntimeError(f"cannot open the crimes layer in {shown_line(gpkg_path)}")
    style_crimes_layer(layer)
    return layer


def stop_search_layer(
    gpkg_path: str | os.PathLike, name: str = "Stop and search"
) -> QgsVectorLayer:
    """The stop-and-search point layer from the same GeoPackage."""
    layer = QgsVectorLayer(gpkg_uri(gpkg_path, STOP_SEARCH_TABLE), name, "ogr")
    if not layer.isValid():
        raise RuntimeError(f"cannot open the stop-and-search layer in {shown_line(gpkg_path)}")
    style_stop_search_layer(layer)
    return layer


def rejects_layer(csv_path: str | os.PathLike, name: str = "Rejected rows") -> QgsVectorLayer:
    """The rejects CSV as a table (no geometry) layer.

    Read through OGR's CSV driver: it treats the file as a plain table (no geometry column
    is guessed from these headers) and, unlike a delimited-text URI, its source is a plain
    path that a project stores relative to itself.
    """
    layer = QgsVectorLayer(str(Path(csv_path)), name, "ogr")
    if not layer.isValid():
        raise RuntimeError(f"cannot open the rejects table {shown_line(csv_path)}")
    apply_aliases(layer, reject_aliases())
    return layer


def layer_file(layer: QgsMapLayer) -> str:
    """The file a layer reads (core.common.layer_source's rule), normalised for comparing:
    its source cut at the first ``|`` missed every layer under a folder named ``x|y``."""
    return os.path.normcase(os.path.abspath(source_file(layer.source())))


def reload_layers_on(project: QgsProject, paths: Sequence[str | os.PathLike]) -> int:
    """Reload project layers reading files that a new load has just replaced.

    Outputs are replaced by an atomic rename, so a layer opened on the old file keeps
    reading the old (now unlinked) copy, and QGIS shares one GDAL dataset per file among
    layers: without this a new layer could come up showing the previous load. Returns the
    number of layers reloaded.
    """
    wanted = {os.path.normcase(os.path.abspath(str(p))) for p in paths}
    count = 0
    for layer in project.mapLayers().values():
        if layer.providerType() == "ogr" and layer_file(layer) in wanted:
            layer.dataProvider().reloadData()
            layer.reload()
            layer.triggerRepaint()
            count += 1
    return count


def add_load_to_project(
    gpkg_path: str | os.PathLike,
    group_name: str,
    *,
    rejects_csv: Optional[str | os.PathLike] = None,
    has_stop_search: bool = False,
    rejected: Optional[int] = None,
    project: Optional[QgsProject] = None,
) -> QgsLayerTreeGroup:
    """Add one load's layers to a new group at the top of the layer tree; main thread only.

    The group holds the crimes layer, then stop and search (if the load had any) and the
    rejects table (always, so that "0 rejected" is visible too), so each load stays
    together in the legend.
    """
    project = project or QgsProject.instance()
    paths = [gpkg_path] + ([rejects_csv] if rejects_csv else [])
    reload_layers_on(project, paths)
    layers: list[QgsMapLayer] = [crimes_layer(gpkg_path)]
    if has_stop_search:
        layers.append(stop_search_layer(gpkg_path))
    if rejects_csv is not None:
        name = "Rejected rows" if rejected is None else f"Rejected rows ({rejected:,})"
        layers.append(rejects_layer(rejects_csv, name))
    root = project.layerTreeRoot()
    group = root.insertGroup(0, group_name)
    for layer in layers:
        project.addMapLayer(layer, False)
        group.addLayer(layer)
    return group
