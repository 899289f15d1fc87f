"""A GeoPackage changed with SQL the way a tool without SpatiaLite changes one: its triggers
(which call SpatiaLite's ST_ functions) dropped first, then the statements run. The hostile
GeoPackage tests (map points, a load's crimes) damage real files this one way."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from crime_mapper.core.io.gpkg_write import quote_identifier


def edited_gpkg(source: Path, folder: Path, sql: str, name: str = "edited.gpkg") -> Path:
    """A copy of ``source`` in ``folder`` with ``sql`` (one or more statements) run on it."""
    path = folder / name
    shutil.copy(source, path)
    conn = sqlite3.connect(path)
    try:
        triggers = conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        for (trigger,) in triggers.fetchall():
            conn.execute(f"DROP TRIGGER {quote_identifier(trigger)}")
        conn.executescript(sql)
        conn.commit()
    finally:
        conn.close()
    return path
