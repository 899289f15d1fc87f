"""Where the web map's JavaScript libraries come from, and what of them an export ships.

Why a vendored copy inside the plugin: an analyst installs the plugin from a zip on a machine
with no npm and often no internet, and must still export. The libraries are pinned in the
repository's package.json/package-lock.json, installed with `npm ci` at build time, and copied
(with their licences) into ``crime_mapper/resources/webmap_vendor/`` by tools/vendor_js.py;
that folder is gitignored and shipped in the plugin package.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..common.text_file import shown_path

VENDOR_DIR = Path(__file__).resolve().parent.parent.parent / "resources" / "webmap_vendor"


@dataclass(frozen=True)
class VendorFile:
    """One library file: its path inside node_modules and inside an export's vendor/."""

    package: str
    source: str  # relative to node_modules/<package>/
    target: str  # relative to vendor/


#: What the page loads (runtime). Test-only libraries (axe-core) are not here.
RUNTIME_FILES: tuple[VendorFile, ...] = (
    VendorFile("leaflet", "dist/leaflet.js", "leaflet/leaflet.js"),
    VendorFile("leaflet", "dist/leaflet.css", "leaflet/leaflet.css"),
    VendorFile("leaflet", "LICENSE", "leaflet/LICENSE.txt"),
    VendorFile("leaflet", "package.json", "leaflet/package.json"),
)


class VendorMissing(RuntimeError):
    """The plugin's copy of the JavaScript libraries is absent (a source checkout without the
    build step); the message says how to make it."""


def vendor_files(vendor_dir: Path = VENDOR_DIR) -> list[tuple[Path, str]]:
    """(source path, target inside vendor/) of every runtime file; VendorMissing if any is
    absent."""
    out = []
    missing = []
    for item in RUNTIME_FILES:
        path = vendor_dir / item.target
        if not path.is_file():
            missing.append(item.target)
        out.append((path, item.target))
    if missing:
        raise VendorMissing(
            "the web map's JavaScript libraries are missing from "
            f"{shown_path(vendor_dir)} ({', '.join(missing)}); in a source checkout run `make "
            "setup` (npm ci, then tools/vendor_js.py), or install the plugin from its zip"
        )
    return out
