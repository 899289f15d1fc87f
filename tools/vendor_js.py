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
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crime_mapper.core.publish.webmap_vendor import RUNTIME_FILES, VENDOR_DIR  # noqa: E402


def vendor(node_modules: Path, target: Path = VENDOR_DIR) -> list[Path]:
    """Copy every runtime file; refuse when a version differs from the lockfile's pin."""
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    written = []
    for item in RUNTIME_FILES:
        src = node_modules / item.package / item.source
        if not src.is_file():
            raise SystemExit(f"vendor_js: {src} is missing: run `npm ci` first")
        pinned = lock["packages"][f"node_modules/{item.package}"]["version"]
        have = json.loads((node_modules / item.package / "package.json").read_text())["version"]
        if have != pinned:
            raise SystemExit(
                f"vendor_js: {item.package} {have} in node_modules, lockfile pins {pinned}: "
                "run `npm ci`"
            )
        dest = target / item.target
        dest.parent.mkdir(parents=True, exist_ok=True)
        _replace_if_changed(src, dest)
        written.append(dest)
    return written


def _replace_if_changed(src: Path, dest: Path) -> None:
    """Copy ``src`` over ``dest`` whole or not at all, and only when they differ.

    Why: every `make setup` (so every `make lint`, `make test`, `make demo`) runs this, and a
    copy made in place (truncate, then write) let an export running at that moment, such as a
    test's or the demo's, copy a half-written leaflet.js into its folder."""
    data = src.read_bytes()
    if dest.is_file() and dest.read_bytes() == data:
        return
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        shutil.copymode(src, tmp)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node-modules", default=str(ROOT / "node_modules"))
    args = parser.parse_args(argv)
    files = vendor(Path(args.node_modules))
    print(f"vendor_js: {len(files)} files into {VENDOR_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
