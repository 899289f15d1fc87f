"""Byte-identical outputs from identical inputs: no wall clock, no hash order.

Why: the product promises that the same inputs, settings and salt give byte-identical
outputs, and a release manifest records checksums of its inputs, among them the crimes
GeoPackage a load wrote. Two things break that in files QGIS and our writers produce:

- timestamps: a GeoPackage's ``gpkg_contents.last_change`` and ``layer_styles.update_time``
  record the wall clock (which also tells the public when an analyst worked);
- attribute order: Qt writes XML attributes in hash order, which changes from one process to
  the next, so the same style gives different QML bytes in the desktop and in qgis_process;
- random identifiers: QGIS 3.40 gives every symbol layer an ``id="{uuid}"`` drawn at random
  (for selective masking), in the QML and in the GeoPackage's embedded style alike;
- random colours: QGIS 3.26+ gives every new layer elevation-profile symbols
  (``<elevation>``: profileLineSymbol, profileFillSymbol, profileMarkerSymbol) in a random
  colour. crime_mapper draws no elevation profiles, so those colours become one fixed grey.

These helpers replace the stamps with one derived from the data (the first day of the latest
month), rewrite XML with attributes sorted by name (QGIS reads attributes by name) and replace
each distinct ``{uuid}`` with one derived from its position in the document (the n-th distinct
uuid becomes uuid5(namespace, n)): references between symbol layers stay consistent, and the
same style gives the same bytes on 3.22 and on every 3.40 run. Imports nothing from QGIS.
"""

from __future__ import annotations

import os
import re
import sqlite3
import uuid
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path
from typing import Union

from .vocabulary import FILE_MONTH

PathLike = Union[str, "os.PathLike[str]"]

_MONTH = re.compile(FILE_MONTH)  # (any two digits after the year, as a file name has)
EPOCH_STAMP = "1970-01-01T00:00:00.000Z"


def fixed_timestamp(months: Iterable[str]) -> str:
    """The stamp for outputs about these months: the first day of the latest one."""
    valid = sorted(str(m) for m in months if _MONTH.fullmatch(str(m)))
    return f"{valid[-1]}-01T00:00:00.000Z" if valid else EPOCH_STAMP


# a start tag and its attributes, as Qt writes them: name="value" with quotes, < and > escaped
_START_TAG = re.compile(r'<([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+="[^"]*")+)(\s*/?)>')
_ATTRIBUTE = re.compile(r'[\w:.-]+="[^"]*"')


def _sorted_tag(match: re.Match) -> str:
    attributes = sorted(_ATTRIBUTE.findall(match.group(2)))
    return f"<{match.group(1)} {' '.join(attributes)}{match.group(3)}>"


# QUuid::toString(): braces, lower- or upper-case hex
_BRACED_UUID = re.compile(
    r"\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}"
)
# fixed namespace of the derived identifiers (any constant works; this one is uuid5 of the name)
_UUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "crime_mapper:reproducible-style-ids")


def derived_uuids_text(text: str) -> str:
    """The same text with each distinct braced uuid replaced by one derived from its order of
    first appearance, so random QGIS identifiers no longer change a file's bytes."""
    mapping: dict[str, str] = {}

    def derive(match: re.Match) -> str:
        key = match.group(0).lower()
        if key not in mapping:
            mapping[key] = "{" + str(uuid.uuid5(_UUID_NAMESPACE, str(len(mapping)))) + "}"
        return mapping[key]

    return _BRACED_UUID.sub(derive, text)


_ELEVATION = re.compile(r"<elevation[\s>].*?</elevation>", re.DOTALL)
_COLOUR_OPTION = re.compile(r'(<Option name="\w*colou?r" type="QString" value=")[^"]*(")')
PROFILE_GREY = "128,128,128,255"


def _fixed_profile_colours(text: str) -> str:
    """Elevation-profile symbol colours (random per layer in QGIS 3.26+) set to one grey."""
    return _ELEVATION.sub(
        lambda block: _COLOUR_OPTION.sub(rf"\g<1>{PROFILE_GREY}\g<2>", block.group(0)), text
    )


def canonical_xml_text(text: str) -> str:
    """The same XML with every start tag's attributes sorted by name and random braced uuids
    (QGIS 3.40's symbol layer ids) replaced by derived ones, and the random colours of the
    elevation-profile symbols replaced by one grey.

    Done on the text, not by parsing and re-serialising, so that namespaces, entities,
    whitespace and everything else Qt wrote stay exactly as they were (a QML style and an
    SLD style both round-trip through it unchanged apart from attribute order and ids).
    """
    return derived_uuids_text(_fixed_profile_colours(_START_TAG.sub(_sorted_tag, text)))


def canonical_xml(path: PathLike) -> None:
    """Rewrite an XML file (a QML style) with its attributes sorted by name."""
    text = Path(path).read_text(encoding="utf-8")
    Path(path).write_text(canonical_xml_text(text), encoding="utf-8")


def freeze_geopackage(gpkg: PathLike, stamp: str) -> None:
    """Set every wall-clock stamp of a GeoPackage to ``stamp`` and canonicalise the QML of
    its stored styles (QML and SLD), so the file's bytes depend on its content only."""
    from .staging import sqlite_write_errors

    with sqlite_write_errors(gpkg):
        _freeze(gpkg, stamp)


def _freeze(gpkg: PathLike, stamp: str) -> None:
    with closing(sqlite3.connect(str(gpkg), isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode = OFF")
        # freed pages are zeroed: the replaced text must leave no trace in the file's bytes
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("UPDATE gpkg_contents SET last_change = ?", (stamp,))
        has_styles = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'layer_styles'"
        ).fetchone()
        if not has_styles:
            return
        rows = conn.execute("SELECT id, styleQML, styleSLD FROM layer_styles").fetchall()
        for row_id, qml, sld in rows:
            conn.execute(
                "UPDATE layer_styles SET styleQML = ?, styleSLD = ? WHERE id = ?",
                (canonical_xml_text(qml or ""), canonical_xml_text(sld or ""), row_id),
            )
        columns = {r[1] for r in conn.execute("PRAGMA table_info(layer_styles)")}
        if "update_time" in columns:
            conn.execute("UPDATE layer_styles SET update_time = ?", (stamp,))
        # QGIS 3.40 rewrites its style rows while saving, so the free space inside the pages
        # (freeblock headers) depends on the wall-clock text it replaced: rebuild the file so
        # its bytes depend on its content only
        _vacuum(conn, Path(gpkg))


# SQLite's database header: the file change counter and the "version-valid-for" number, the
# only two fields in which a VACUUM INTO copy differs from the database VACUUMed in place.
_CHANGE_COUNTER = slice(24, 28)
_VERSION_VALID_FOR = slice(92, 96)


def _vacuum(conn: sqlite3.Connection, path: Path, in_place: bool = False) -> None:
    """VACUUM the database ``conn`` has open at ``path``, giving the bytes VACUUM in place
    gives, about a third faster.

    Why: VACUUM builds the compacted database in a temporary file and then copies every page
    back into the original (twice the writing; the national crimes GeoPackage is 250 MB).
    VACUUM INTO writes the compacted copy once, beside it, and the copy replaces the file.
    The copy's pages are those VACUUM writes; only its header's change counter differs (a
    fresh file starts at 1, VACUUM in place adds one to the original's), so that counter and
    the version-valid-for number beside it are set to the original's plus one. Before
    SQLite 3.27 (no VACUUM INTO), or when asked, VACUUM runs in place.
    """
    if in_place or sqlite3.sqlite_version_info < (3, 27, 0):
        conn.execute("VACUUM")
        return
    with open(path, "rb") as handle:  # every write so far is committed (autocommit)
        counter = int.from_bytes(handle.read(100)[_CHANGE_COUNTER], "big")
    copy = path.with_name(path.name + ".vacuum")
    try:
        copy.unlink(missing_ok=True)
        conn.execute("VACUUM INTO ?", (str(copy),))
        stamp = ((counter + 1) & 0xFFFFFFFF).to_bytes(4, "big")
        with open(copy, "r+b") as handle:
            header = bytearray(handle.read(100))
            header[_CHANGE_COUNTER] = stamp
            header[_VERSION_VALID_FOR] = stamp
            handle.seek(0)
            handle.write(header)
        conn.close()  # the original's connection, before the copy takes its place
        os.replace(copy, path)
    finally:
        copy.unlink(missing_ok=True)
