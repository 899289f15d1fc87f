"""A map points source as the analyst writes one: a file, or ``FILE.gpkg|layername=LAYER``.

Why one parser: the command line's ``--points``, the release configuration (its checks, its
run and its manifest), the dock's form and the Processing monthly release all take the same
text. The configuration took the whole text as a path and refused a layer the command line
read ("Map points source not found"). The crimes side (a crimes GeoPackage given to the
command line's ``anonymise`` and ``release``, the core's crimes input, the QGIS side's crimes
layer) reads its sources by the same rule: it cut the text at its first ``|``, so a crimes
file named ``a|b.gpkg`` was looked for as ``a``.

The rule: an existing file wins over a split (``a|b.gpkg`` is that file, ``FILE.gpkg|
layername=L|subset=...`` is the longest existing file before a ``|``); where no such file
exists, only ``|layername=`` splits the text, as QGIS writes it, so that a missing file is
named as it was given. No QGIS, no pandas.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Optional, Union

from .text_file import shown_path

PathLike = Union[str, "os.PathLike[str]"]

LAYER_OPTION = "layername="
LAYER_MARK = "|" + LAYER_OPTION

# How many of a GeoPackage's layers a refusal names (a national file may hold hundreds).
LAYERS_NAMED = 10


def split_layer_source(source: PathLike) -> tuple[str, Optional[str]]:
    """(file, layer) of ``FILE|layername=LAYER`` (the layer ends at a further ``|``, as in
    a QGIS URI), or (the text, None) for a plain path; the file by the module's rule."""
    file, options = source_options(source)
    return file, layer_of(options)


def layer_of(options: list[str]) -> Optional[str]:
    """The layer named among a source's options (``layername=L``), or None."""
    return next((o[len(LAYER_OPTION) :] for o in options if o.startswith(LAYER_OPTION)), None)


def source_options(source: PathLike) -> tuple[str, list[str]]:
    """(file, the QGIS options after it: ``layername=L``, ``subset=...``) of a source, by
    the module's rule: the whole text when it is an existing file, else the longest existing
    file before a ``|``, else the text before ``|layername=`` (or the whole text)."""
    text = str(source)
    if "|" not in text or _is_file(text):
        return text, []
    cut = len(text)
    while (cut := text.rfind("|", 0, cut)) > 0:
        if _is_file(text[:cut]):
            return text[:cut], text[cut + 1 :].split("|")
    if LAYER_MARK not in text:
        return text, []
    file, rest = text.split(LAYER_MARK, 1)
    return file, (LAYER_OPTION + rest).split("|")


def source_file(source: PathLike) -> str:
    """The file of a source (see :func:`source_options`)."""
    return source_options(source)[0]


def _is_file(text: str) -> bool:
    """Whether ``text`` names an existing file (False for a name the system cannot look up:
    too long, or holding a NUL)."""
    try:
        return os.path.isfile(text)
    except (OSError, ValueError):
        return False


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
        return (
            f"{shown_path(file)} is not a GeoPackage (no gpkg_contents table), so it has no layers"
        )
    names = [str(name) for (name,) in found]
    if layer in names:
        return None
    if not names:
        return f"{shown_path(file)} has no layers: there is no layer {layer!r} to read"
    listed = ", ".join(repr(n) for n in names[:LAYERS_NAMED])
    more = len(names) - LAYERS_NAMED
    listed += f" and {more:,} more" if more > 0 else ""
    return (
        f"{shown_path(file)} has no layer {layer!r}; its "
        f"layer{'s' if len(names) != 1 else ''}: {listed}"
    )
