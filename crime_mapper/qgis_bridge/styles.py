"""Save a layer's style as QML and SLD, and apply a saved style to another layer.

Why both: QML is QGIS's own, lossless format (every renderer, label, alias, the legend
explanation kept in the layer's custom properties); SLD (OGC Styled Layer Descriptor 1.1) is
what GeoServer, MapServer and other web map servers read, so a force's public map server
can draw the hotspot layer in the same colours as the analyst's QGIS.

What SLD loses (checked in tests/test_styles.py, QGIS 3.22):
- categorized / graduated fills, their colours, outlines and legend labels: kept (rules with
  Title = label);
- simple marker shapes: kept (square, triangle, star, diamond, circle map to SLD
  WellKnownName; QGIS reads them back);
- the heatmap renderer: not representable in SLD (QGIS writes an empty FeatureTypeStyle and
  cannot load it back), so :func:`save_style` refuses an SLD for it — keep the QML;
- a categorized renderer comes back from SLD as a rule-based one (one rule per class, same
  filter, colour and label): it draws the same, but the layer properties show "Rule-based";
- field aliases, custom properties (the plain-words legend text) and the layer abstract: not
  in SLD; they travel in the QML only;
- raster pseudo-colour (KDE surface): QGIS writes a ColorMap in the SLD, but QGIS 3.22
  cannot read a raster SLD back, so :func:`apply_style` re-applies a raster style from its
  QML only (and says so with a clear error for an .sld).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from qgis.core import QgsMapLayer, QgsRasterLayer, QgsVectorLayer
from qgis.PyQt.QtXml import QDomDocument

from ..core.common.staging import staged_outputs
from ..core.common.text_file import shown_line

QML_SUFFIX = ".qml"
SLD_SUFFIX = ".sld"


class StyleError(RuntimeError):
    """A style could not be written or applied; the message says which file and why."""


def save_named_style(layer: QgsMapLayer, path: str | os.PathLike) -> tuple[str, bool]:
    """``layer.saveNamedStyle(path)``: (QGIS's message, whether the style file is written),
    success taken only when the file is there afterwards.

    Why: QGIS may answer success for a style it did not write. With the file's folder not
    there it says "The directory containing your dataset needs to be writable!", and the
    success flag came back True in some runs (the whole test suite on QGIS 3.22) and False
    in others: a caller that trusted it then read a style file that was never written.
    Callers write to a new (staged) path, so a file there afterwards is this write's."""
    message, ok = layer.saveNamedStyle(str(path))
    return message, bool(ok) and Path(path).is_file()


def save_style(
    layer: QgsMapLayer,
    qml_path: Optional[str | os.PathLike] = None,
    sld_path: Optional[str | os.PathLike] = None,
) -> list[Path]:
    """Write the layer's current style to ``qml_path`` and/or ``sld_path``.

    Both files are staged and moved into place together (core.common.staging), so a failure
    leaves any earlier style files unchanged. Returns the paths written.
    """
    if qml_path is None and sld_path is None:
        raise ValueError("give qml_path, sld_path or both")
    if sld_path is not None and _is_heatmap(layer):
        raise StyleError(
            "SLD cannot describe a heatmap renderer (QGIS would write an SLD with "
            "no rule); save the heatmap style as QML only"
        )
    written: list[Path] = []
    with staged_outputs() as stage:
        if qml_path is not None:
            tmp = stage.path_for(qml_path)
            message, ok = save_named_style(layer, tmp)
            if not ok:
                raise StyleError(
                    f"could not write the QML style {shown_line(qml_path)}: {shown_line(message)}"
                )
            written.append(Path(qml_path))
        if sld_path is not None:
            tmp = stage.path_for(sld_path)
            message, ok = layer.saveSldStyle(str(tmp))
            if not ok or not tmp.exists():
                raise StyleError(
                    f"could not write the SLD style {shown_line(sld_path)}: {shown_line(message)}"
                )
            written.append(Path(sld_path))
    return written


def _is_heatmap(layer: QgsMapLayer) -> bool:
    renderer = layer.renderer() if isinstance(layer, QgsVectorLayer) else None
    return renderer is not None and renderer.type() == "heatmapRenderer"


def apply_style(layer: QgsMapLayer, path: str | os.PathLike) -> None:
    """Apply a saved .qml or .sld style to ``layer`` and repaint it.

    StyleError when the file is missing, unreadable, or an SLD for a raster layer (which
    QGIS cannot read back; use the QML).
    """
    path = Path(path)
    if not path.is_file():
        raise StyleError(f"style file not found: {shown_line(path)}")
    suffix = path.suffix.lower()
    if suffix == SLD_SUFFIX:
        if isinstance(layer, QgsRasterLayer):
            raise StyleError(
                f"{shown_line(path.name)}: QGIS cannot apply an SLD to a raster layer; "
                "use the QML saved beside it"
            )
        message, ok = layer.loadSldStyle(str(path))
    elif suffix == QML_SUFFIX:
        # Not loadNamedStyle: for a GeoPackage layer it prefers the default style stored in
        # the GeoPackage over the file it is given. Import the file's own XML instead.
        document = QDomDocument()
        parsed = document.setContent(path.read_text(encoding="utf-8"))
        ok_parse = parsed[0] if isinstance(parsed, tuple) else bool(parsed)
        if not ok_parse:
            raise StyleError(f"{shown_line(path.name)} is not a readable QML style")
        ok, message = layer.importNamedStyle(document)
    else:
        raise StyleError(f"{shown_line(path.name)}: not a style file (.qml or .sld expected)")
    if not ok:
        raise StyleError(f"could not apply {shown_line(path)}: {shown_line(message)}")
    layer.triggerRepaint()
