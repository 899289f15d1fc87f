"""How a hotspot layer looks and explains itself, and adding it to the project.

The renderer comes from the palette (qgis_bridge.renderers), the field aliases and the
plain-words explanation (core.hotspots.legend) go into the layer's abstract, metadata and a
custom property, so they travel with the style into the GeoPackage, the QML and the SLD.
:func:`store_style` runs in the worker thread on the file just written; :func:`hotspot_layer`
and :func:`add_hotspot_to_project` build the layer on the main thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

from qgis.core import (
    QgsLayerTreeGroup,
    QgsMapLayer,
    QgsMapLayerLegendUtils,
    QgsProject,
    QgsRasterLayer,
    QgsVectorLayer,
)

from ..compat import RASTER_STAT_MAX, set_layer_title_and_abstract
from ..core.common.layer_source import source_file
from ..core.common.text_file import shown_line
from .layers import gpkg_uri
from .renderers import (
    CHANGE_CLASS_FIELD,
    GI_CLASS_FIELD,
    change_renderer,
    gi_renderer,
    graduated_renderer,
    kde_raster_renderer,
)
from .styles import save_style

if TYPE_CHECKING:
    from .hotspot_layers import HotspotOutputs

HOTSPOTS_GROUP = "Hotspots"
LEGEND_PROPERTY = "crime_mapper/legend_text"
KIND_PROPERTY = "crime_mapper/hotspot_kind"
STYLE_NAME = "crime_mapper"
#: The density legend's heading, in place of the GeoTIFF band's "Band 1: … (Gray)".
DENSITY_LEGEND_HEADING = "Crime density (crimes per km²)"


def style_hotspot_layer(
    layer: QgsMapLayer, kind: str, legend_text: str, title: Optional[str] = None
) -> None:
    """Renderer from the palette, aliases, and the plain-words explanation in the layer's
    abstract, metadata and a custom property (all kept in the QML)."""
    if kind == "kde":
        stats_max = raster_max(layer)
        layer.setRenderer(kde_raster_renderer(layer.dataProvider(), stats_max))
    elif kind == "gi":
        layer.setRenderer(gi_renderer())
    elif kind == "change":
        layer.setRenderer(change_renderer())
    else:
        layer.setRenderer(graduated_renderer(layer, "count", "quantile", 5, "crimes"))
    if isinstance(layer, QgsVectorLayer):
        aliases = {
            "count": "Crimes",
            "q": "Column (q)",
            "r": "Row (r)",
            "z": "z-score",
            "p": "p-value",
            GI_CLASS_FIELD: "Gi* class",
            "class_label": "Meaning",
            CHANGE_CLASS_FIELD: "Change class",
            "baseline_mean": "Baseline mean",
            "current": "Current count",
            "x": "Centre x",
            "y": "Centre y",
            "expected": "Expected (floored baseline)",
            "ratio": "Current / expected",
            "p_decrease": "p-value (decrease)",
            "p_adjusted": "p-value, FDR-adjusted",
            "p_decrease_adjusted": "p-value (decrease), FDR-adjusted",
        }
        for index, name in enumerate(layer.fields().names()):
            if name in aliases:
                layer.setFieldAlias(index, aliases[name])
    set_layer_title_and_abstract(layer, title, legend_text)
    metadata = layer.metadata()
    metadata.setAbstract(legend_text)
    if title:
        metadata.setTitle(title)
    layer.setMetadata(metadata)
    layer.setCustomProperty(LEGEND_PROPERTY, legend_text)
    layer.setCustomProperty(KIND_PROPERTY, kind)


def name_density_legend(layer: QgsMapLayer, project: Optional[QgsProject] = None) -> bool:
    """Give a density surface's legend a heading in words; True if its layer-tree node was
    found.

    Why: a raster's legend starts with the band's generic name ("Band 1: crimes per km2
    (Gray)"; GDAL always reads a one-band GeoTIFF as Gray). The heading is the legend node's
    user label, stored on the layer-tree node (and so in the project), as the layers panel's
    "Edit legend text" does. Call it once the layer is in the layer tree: the dock, the
    release project and Processing's post-processor all do.
    """
    if layer.customProperty(KIND_PROPERTY) != "kde":
        return False
    owner = project or (layer.project() if hasattr(layer, "project") else None)
    node = (owner or QgsProject.instance()).layerTreeRoot().findLayer(layer.id())
    if node is None:
        return False
    QgsMapLayerLegendUtils.setLegendNodeUserLabel(node, 0, DENSITY_LEGEND_HEADING)
    layer.legendChanged.emit()  # the layers panel rebuilds the legend with the label
    return True


def raster_max(layer: QgsMapLayer) -> float:
    """The surface's largest value (1.0 for an empty one), read with GDAL: QGIS 3.40 marks
    every Python call of QgsRasterInterface.bandStatistics deprecated. The file by
    layer_source's rule: a surface named ``a|b.tif`` was read from a file ``a``."""
    from osgeo import gdal

    dataset = gdal.OpenEx(source_file(layer.source()), gdal.OF_RASTER)
    if dataset is None:  # not a file GDAL can open: ask QGIS
        stats = layer.dataProvider().bandStatistics(1, RASTER_STAT_MAX)
        highest = float(stats.maximumValue)
    else:
        highest = float(dataset.GetRasterBand(1).ComputeRasterMinMax(False)[1])
        dataset = None
    return highest if highest > 0 else 1.0


def legend_text(layer: QgsMapLayer) -> str:
    """The plain-words explanation stored on a hotspot layer ("" if none)."""
    return str(layer.customProperty(LEGEND_PROPERTY, "") or "")


def store_style(
    out: HotspotOutputs, tmp_path: Path, qml_tmp: Optional[Path], sld_tmp: Optional[Path]
) -> None:
    """Style the freshly written file in this thread and store the style: the GeoPackage's
    default style (layer_styles) for a vector, a .qml beside it for a raster (QGIS loads a
    raster's same-name .qml as its default style), plus QML/SLD files when asked."""
    if out.kind == "kde":
        layer = QgsRasterLayer(str(tmp_path), out.title, "gdal")
    else:
        layer = QgsVectorLayer(gpkg_uri(tmp_path, out.table), out.title, "ogr")
    if not layer.isValid():
        raise RuntimeError(f"the hotspot file just written does not open: {shown_line(tmp_path)}")
    style_hotspot_layer(layer, out.kind, out.legend_text, out.title)
    if isinstance(layer, QgsVectorLayer):
        error = layer.saveStyleToDatabase(STYLE_NAME, "crime_mapper hotspot style", True, "")
        if error:
            raise RuntimeError(
                f"could not save the style into {shown_line(tmp_path)}: {shown_line(error)}"
            )
    if qml_tmp is not None or sld_tmp is not None:
        save_style(layer, qml_tmp, sld_tmp)
    del layer


def hotspot_layer(outputs: HotspotOutputs) -> QgsMapLayer:
    """The styled layer of a run (main thread). The style is re-applied in code so that the
    layer is right even if a default style was not picked up."""
    if outputs.is_raster:
        layer: QgsMapLayer = QgsRasterLayer(str(outputs.path), outputs.title, "gdal")
    else:
        layer = QgsVectorLayer(outputs.uri, outputs.title, "ogr")
    if not layer.isValid():
        raise RuntimeError(f"cannot open the hotspot output {shown_line(outputs.path)}")
    style_hotspot_layer(layer, outputs.kind, outputs.legend_text, outputs.title)
    return layer


def add_hotspot_to_project(
    outputs: HotspotOutputs, project: Optional[QgsProject] = None, group_name: str = HOTSPOTS_GROUP
) -> QgsMapLayer:
    """Add the styled hotspot layer at the top of a "Hotspots" group (created if missing)."""
    from .layers import reload_layers_on

    project = project or QgsProject.instance()
    reload_layers_on(project, [outputs.path])
    layer = hotspot_layer(outputs)
    root = project.layerTreeRoot()
    group = root.findGroup(group_name)
    if not isinstance(group, QgsLayerTreeGroup):
        group = root.insertGroup(0, group_name)
    project.addMapLayer(layer, False)
    group.insertLayer(0, layer)
    name_density_legend(layer, project)
    return layer
