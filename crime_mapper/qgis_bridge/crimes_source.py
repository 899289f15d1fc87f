"""The QGIS side of "where the crimes come from": the crimes GeoPackage behind a layer.

Reading the crimes (a crimes GeoPackage or extract files) is core.release.crimes_input, part
of the one release pipeline; import those names from there. What is left here needs a QGIS
layer: which GeoPackage table a layer reads (so that a map points or crimes layer is read
with sqlite instead of feature by feature), the crimes GeoPackage URI behind a crimes
layer, and the other months loaded in a project.

Other loaded months matter to a release: map points made from any loaded month's raw crimes
are not anonymous (issue 9), so the release panel's task and crime_mapper:anonymise hand the
internal tables of the project's other loads (:func:`loaded_internal_crimes`) to the
pipeline's disclosure check, as the command line's ``--other-crimes`` does. A load marks its
crimes table as internal in the GeoPackage (core.release.crimes_input
.INTERNAL_CRIMES_DESCRIPTION); that mark, not a layer name an analyst can change, is what is
looked for. Imports no QGIS itself (layers and projects arrive as objects).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any, Optional, Union

from ..core.common.layer_source import layer_of, source_options
from ..core.release.crimes_input import (
    CrimesSourceError,
    is_internal_crimes_table,
    only_feature_table,
    split_gpkg_uri,
)


def layer_gpkg_table(layer: Any, *, whole_table: bool = True) -> Optional[tuple[str, str]]:
    """(path, table) when a layer reads a GeoPackage table through OGR, else None; lets a
    map_points layer be read with sqlite instead of feature by feature. A layer filtered by
    a subset is None too (reading the table would not be reading the layer), unless
    ``whole_table`` is False: then the table behind it is wanted, filter or not."""
    try:
        if layer.providerType() != "ogr":
            return None
        source = layer.source()
    except (AttributeError, RuntimeError):
        return None
    # (the file by core.common.layer_source's rule: a GeoPackage named a|b.gpkg is that file)
    path, options = source_options(source)
    if not path.lower().endswith(".gpkg"):
        return None
    table = layer_of(options)
    if table is None:
        # OGR leaves the layer name out of the source of a single-table GeoPackage (what a
        # path given to qgis_process opens as).
        table = only_feature_table(path)
        if table is None:
            return None
    if not whole_table:
        return path, table
    if any(p.startswith("subset=") and p != "subset=" for p in options):
        return None
    if hasattr(layer, "subsetString") and layer.subsetString():
        return None
    return path, table


def crimes_path_from_layer(layer: Any) -> str:
    """The crimes GeoPackage URI behind a crimes layer, or a clear error.

    Only a crime_mapper crimes table is accepted: a generic layer lacks the internal fields
    (references, exact dates, free text) the leak gate must check the release against. A
    layer with no features is refused first, by name: read on, an empty crimes table failed
    far later as "no row has a known police.uk crime category: check the mapping profile",
    sending the analyst to a profile that was never the problem (a load of a month with no
    crime, or whose every row was rejected, writes such a layer).
    """
    name = layer.name() if hasattr(layer, "name") else "the crimes layer"
    if _feature_count(layer) == 0:
        raise CrimesSourceError(
            f"the crimes layer {name!r} has no features: there are no crimes to read (a load "
            "of a month with no crime, or whose every row was rejected: see its validation "
            "report); choose a crimes layer that holds crimes, or give the extract files"
        )
    found = layer_gpkg_table(layer)
    if found is None:
        raise CrimesSourceError(
            f"{name!r} is not a crime_mapper crimes GeoPackage layer: choose the crimes layer "
            "of a load (Load crime extracts), or give the extract files instead"
        )
    # absolute: a relative source (qgis_process RAW=base/crimes.gpkg) was not found by the
    # web map's child process, which runs in another folder
    return f"{os.path.abspath(found[0])}|layername={found[1]}"


def _feature_count(layer: Any) -> int:
    """The layer's feature count, or -1 where its provider does not know it (or it is no
    vector layer): only a known 0 is refused as empty."""
    try:
        return int(layer.featureCount())
    except (AttributeError, RuntimeError, TypeError):
        return -1


def internal_crimes_uri(layer: Any) -> Optional[str]:
    """``path.gpkg|layername=table`` of the load's internal crimes table a layer shows (the
    whole table, whatever filter the layer has), or None for any other layer."""
    found = layer_gpkg_table(layer, whole_table=False)
    if found is None or not is_internal_crimes_table(*found):
        return None
    return f"{found[0]}|layername={found[1]}"


def _table_key(source: str) -> tuple[str, str]:
    path, table = split_gpkg_uri(source)
    return os.path.normcase(os.path.realpath(path)), table


def internal_crimes_uris(
    layers: Iterable[Any], exclude: Union[str, Sequence[str], None] = ()
) -> list[str]:
    """The internal crimes tables the layers show, each once, sorted, other than those of
    ``exclude`` (the release's own crimes input: a crimes GeoPackage URI or path, or
    extract paths, which exclude nothing)."""
    excluded = [exclude] if isinstance(exclude, str) else list(exclude or ())
    skip = {_table_key(str(e)) for e in excluded}
    found: dict[tuple[str, str], str] = {}
    for layer in layers:
        uri = internal_crimes_uri(layer)
        if uri is not None and _table_key(uri) not in skip:
            found.setdefault(_table_key(uri), uri)
    return [found[key] for key in sorted(found)]


def loaded_internal_crimes(
    project: Any, exclude: Union[str, Sequence[str], None] = ()
) -> list[str]:
    """The internal crimes tables of the loads in ``project`` (a QgsProject, or None for
    none) other than the release's own (``exclude``): the other loaded months whose raw
    locations a release's map points must not be. Main thread (reads the layer registry)."""
    if project is None:
        return []
    return internal_crimes_uris(project.mapLayers().values(), exclude)
