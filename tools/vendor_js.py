"""Copy the web map's pinned JavaScript libraries from node_modules into the plugin package.

Why: the libraries come from the npm registry at build time (package.json + package-lock.json,
installed by `npm ci`), never from the repository; the plugin package must carry them so that
an installed plugin exports without npm or a network. The copy lands in
crime_mapper/resources/webmap_vendor/ (gitignored) with each library's licence.

Usage: python3 tools/vendor_js.py [--node-modules node_modules]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crime_mapper.core.common.staging import staged_outputs  # noqa: E402
from crime_mapper.core.publish.webmap_vendor import RUNTIME_FILES, VENDOR_DIR  # noqa: E402


def vendor(node_modules: Path, target: Path = VENDOR_DIR) -> list[Path]:
    """Copy every runtime file; refuse when a version differs from the lockfile's pin.

    The copies replace the old ones whole, together, and only the files that differ
    (core.common.staging): every `make setup` (so every `make lint`, `make test`, `make demo`)
    runs this, and a copy made in place (truncate, then write) let an export running at that
    moment, such as a test's or the demo's, copy a half-written leaflet.js into its folder."""
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    written = []
    with staged_outputs() as stage:
        for item in RUNTIME_FILES:
            src = node_modules / item.package / item.source
            if not src.is_file():
                raise SystemExit(f"vendor_js: {src} is missing: run `npm ci` first")
            pinned = lock["packages"][f"node_modules/{item.package}"]["version"]
            have = json.loads((node_modules / item.package / "package.json").read_text())["version"]
            if have != pinned:
                raise SystemExit(
                    f"vendor_js: {item.package} {have} in node_modules, lockfile pins "
                    f"{pinned}: run `npm ci`"
                )
            dest = target / item.target
            dest.parent.mkdir(parents=True, exist_ok=True)
            data = src.read_bytes()
            if not (dest.is_file() and dest.read_bytes() == data):
                stage.path_for(dest).write_bytes(data)
            written.append(dest)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node-modules", default=str(ROOT / "node_modules"))
    args = parser.parse_args(argv)
    files = vendor(Path(args.node_modules))
    print(f"vendor_js: {len(files)} files into {VENDOR_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
