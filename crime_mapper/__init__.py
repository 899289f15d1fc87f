"""crime_mapper: a QGIS plugin for the monthly police crime release (load, validate, style).

QGIS imports this package and calls :func:`classFactory`. Nothing here imports QGIS at module
level, so that ``crime_mapper.core`` (pure Python) stays importable in plain Python, in
benchmarks and in Processing worker threads without pulling in the GUI.
"""

from __future__ import annotations

import configparser
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qgis.gui import QgisInterface

    from .plugin import CrimeMapperPlugin

PACKAGE_DIR = Path(__file__).resolve().parent
RESOURCES_DIR = PACKAGE_DIR / "resources"
ICON_PATH = RESOURCES_DIR / "icons" / "crime_mapper.svg"


def metadata_path() -> Path:
    """metadata.txt: inside the assembled plugin folder, or at the top of a source checkout."""
    inside = PACKAGE_DIR / "metadata.txt"
    return inside if inside.is_file() else PACKAGE_DIR.parent / "metadata.txt"


def plugin_version() -> str:
    """The plugin version from metadata.txt (the single source), for manifests and logs."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(metadata_path(), encoding="utf-8")
    return parser.get("general", "version", fallback="unknown")


def classFactory(iface: QgisInterface) -> CrimeMapperPlugin:
    """Entry point QGIS calls when it loads the plugin (desktop and qgis_process)."""
    from .plugin import CrimeMapperPlugin

    return CrimeMapperPlugin(iface)
