"""The QGIS side of a release: the public layer's style and the QGIS version, nothing more.

The release itself (checks, anonymise, staging, leak gate, audit, manifest) is
core.release.pipeline.run_anonymise, the one pipeline the command line also runs.
:func:`run_anonymise` here calls it with the two things only QGIS can add: the QML style
written beside the public GeoPackage and the running QGIS version for the manifest. The
Release panel (through AnonymiseTask) and the Processing algorithm crime_mapper:anonymise
call it, so every public data file (CSV, GeoPackage, audit) is byte-identical to the
command line's for the same inputs and salt.
"""

from __future__ import annotations

import os
from typing import Any, Union

from ..core.common.reproducible import canonical_xml
from ..core.common.text_file import shown_line
from ..core.release.pipeline import ReleaseOutputs
from ..core.release.pipeline import run_anonymise as run_core_anonymise

PathLike = Union[str, "os.PathLike[str]"]


def write_public_qml(path: PathLike) -> None:
    """The public layer's style (categorized by "Crime type", palette colours and shapes),
    saved from a memory layer with the public fields so the GeoPackage itself is untouched."""
    from qgis.core import QgsVectorLayer

    from ..core.release.public_schema import PUBLIC_COLUMNS

    fields = "&".join(f"field={name.replace(' ', '%20')}:string" for name in PUBLIC_COLUMNS)
    layer = QgsVectorLayer(f"Point?crs=EPSG:4326&{fields}", "public_crimes", "memory")
    style_public_layer(layer)
    from .styles import save_named_style

    message, ok = save_named_style(layer, path)  # (the file written, not QGIS's flag)
    if not ok:
        raise RuntimeError(f"could not write the style {shown_line(path)}: {shown_line(message)}")
    del layer
    canonical_xml(path)


def style_public_layer(layer: Any) -> None:
    """Categorized renderer by "Crime type" and a readable display expression."""
    from .renderers import crime_type_renderer

    layer.setRenderer(crime_type_renderer(field="Crime type"))
    layer.setDisplayExpression("\"Crime type\" || ' — ' || coalesce(\"Location\", '')")


def qgis_version() -> str:
    """The running QGIS version for the manifest ("unknown" only outside QGIS)."""
    try:
        from qgis.core import Qgis
    except ImportError:  # pragma: no cover - always present inside QGIS
        return "unknown"
    return Qgis.QGIS_VERSION


def run_anonymise(*args: Any, write_qml: bool = True, **kwargs: Any) -> ReleaseOutputs:
    """core.release.pipeline.run_anonymise with the QGIS additions: the public layer's QML
    style beside the GeoPackage (unless ``write_qml`` is False) and the QGIS version in the
    manifest. Same arguments, same errors."""
    return run_core_anonymise(
        *args,
        style_writer=write_public_qml if write_qml else None,
        qgis_version=qgis_version(),
        **kwargs,
    )
