"""The QGIS side of "where the crimes come from": the crimes GeoPackage behind a layer.

Reading the crimes (a crimes GeoPackage or extract files) is core.release.crimes_input, part
of the one release pipeline; import those names from there. What is left here needs a QGIS
layer: which GeoPackage table a layer reads (so that a map points or crimes layer is read
with sqlite instead of feature by feature), and the crimes GeoPackage URI behind a crimes
layer. Imports no QGIS itself (layers arrive as objects).
"""

from __future__ import annotations

from typing import Any, Optional

from ..core.release.crimes_input import CrimesSourceError, only_feature_table


def layer_gpkg_table(layer: Any) -> Optional[tuple[str, str]]:
    """(path, table) when a layer reads a GeoPackage table through OGR, else None; lets a
    map_points layer be read with sqlite instead of feature by feature."""
    try:
        if layer.providerType() != "ogr":
            return None
        parts = layer.source().split("|")
    except (AttributeError, RuntimeError):
        return None
    path = parts[0]
    if not path.lower().endswith(".gpkg"):
        return None
    table = next((p.split("=", 1)[1] for p in parts[1:] if p.startswith("layername=")), None)
    if table is None:
        # OGR leaves the layer name out of the source of a single-table GeoPackage (what a
        # path given to qgis_process opens as).
        table = only_feature_table(path)
        if table is None:
            return None
    if any(p.startswith("subset=") and p != "subset=" for p in parts[1:]):
        return None
    if hasattr(layer, "subsetString") and layer.subsetString():
        return None
    return path, table


def crimes_path_from_layer(layer: Any) -> str:
    """The crimes GeoPackage URI behind a crimes layer, or a clear error.

    Only a crime_mapper crimes table is accepted: a generic layer lacks the internal fields
    (references, exact dates, free text) the leak gate must check the release against.
    """
    found = layer_gpkg_table(layer)
    if found is None:
        name = layer.name() if hasattr(layer, "name") else "the crimes layer"
        raise CrimesSourceError(
            f"{name!r} is not a crime_mapper crimes GeoPackage layer: choose the crimes layer "
            "of a load (Load crime extracts), or give the extract files instead"
        )
    return f"{found[0]}|layername={found[1]}"
