"""A map points source as the analyst writes one: a file, or ``FILE.gpkg|layername=LAYER``.

Why one parser: the command line's ``--points``, the release configuration (its checks, its
run and its manifest), the dock's form and the Processing monthly release all take the same
text. The configuration took the whole text as a path and refused a layer the command line
read ("Map points source not found"). Only ``|layername=`` splits the text, as QGIS writes
it: a file whose name holds a ``|`` (``a|b.gpkg``) is still that file. No QGIS, no pandas.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Optional, Union

PathLike = Union[str, "os.PathLike[str]"]

LAYER_MARK = "|layername="

# How many of a GeoPackage's layers a refusal names (a national file may hold hundreds).
LAYERS_NAMED = 10


def split_layer_source(source: PathLike) -> tuple[str, Optional[str]]:
    """(file, layer) of ``FILE|layername=LAYER`` (the layer ends at a further ``|``, as in
    a QGIS URI), or (the text, None) for a plain path."""
    text = str(source)
    if LAYER_MARK not in text:
        return text, None
    file, rest = text.split(LAYER_MARK, 1)
    return file, rest.split("|", 1)[0]


def join_layer_source(file: PathLike, layer: Optional[str]) -> str:
    """The text :func:`split_layer_source` reads back as (file, layer)."""
    return str(file) if layer is None else f"{file}{LAYER_MARK}{layer}"


def gpkg_layer_problem(file: Path, layer: str) -> Optional[str]:
    """Why ``layer`` cannot be read from the GeoPackage ``file`` (None when its
    gpkg_contents registers it): cheap enough for every change of the dock's form, since
    only the contents table is read. The refusal lists the file's layers (the first
    LAYERS_NAMED, in the file's order) so that the analyst can correct the name."""
    from ..io.gpkg_read import read_only_uri  # (numpy: only when there is a layer to check)

    try:
        conn = sqlite3.connect(read_only_uri(file), uri=True)
        try:
            found = conn.execute("SELECT table_name FROM gpkg_contents ORDER BY rowid").fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return f"{file} is not a GeoPackage (no gpkg_contents table), so it has no layers"
    names = [str(name) for (name,) in found]
    if layer in names:
        return None
    if not names:
        return f"{file} has no layers: there is no layer {layer!r} to read"
    listed = ", ".join(repr(n) for n in names[:LAYERS_NAMED])
    more = len(names) - LAYERS_NAMED
    listed += f" and {more:,} more" if more > 0 else ""
    return f"{file} has no layer {layer!r}; its layer{'s' if len(names) != 1 else ''}: {listed}"
