"""`make demo`: one monthly release from the bundled configuration, on the sample data.

Exactly what an analyst runs each month, on sample_data/release.toml:

    python3 -m crime_mapper.cli release sample_data/release.toml --month 2022-10

That configuration loads October 2022's raw Leicestershire force extract through its mapping
profile (sample_data/force: synthetic, made from the published month), takes the anonymous
map points from the force's published police.uk history (September 2022 as a folder, October
2022 as the monthly zip), anonymises (public CSV and GeoPackage, audit, leak gate), runs Gi*
and kernel density hotspots on the exact data for intelligence staff, and writes one manifest
and a QGIS project into demo_output/2022-10/. The only thing this script adds is the demo's
release salt, created once in .demo-secrets/ (git-ignored, outside the output folder), as a
force keeps its own salt in a protected place.

Usage: python3 tools/demo.py [--month YYYY-MM]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# PROJ reports every grid it lacks while QGIS lists datum operations; the release names its
# operation (qgis_bridge.transform_context), so those lines would only alarm a new user.
os.environ.setdefault("PROJ_DEBUG", "0")

CONFIG = REPO / "sample_data" / "release.toml"
SALT_FILE = REPO / ".demo-secrets" / "release.salt"
LICENCE = "Contains public sector information licensed under the Open Government Licence v3.0."


def main(argv: list[str]) -> int:
    from crime_mapper.cli import main as cli_main
    from crime_mapper.core.release.release_files import create_salt_file

    month = argv[argv.index("--month") + 1] if "--month" in argv else "2022-10"
    if not SALT_FILE.exists():
        create_salt_file(SALT_FILE)
        print(f"Created the demo's release salt (keep a real one secret): {SALT_FILE}")
    command = ["release", str(CONFIG.relative_to(REPO)), "--month", month]
    print(f"$ python3 -m crime_mapper.cli {' '.join(command)}", flush=True)
    os.chdir(REPO)
    code = cli_main(command)
    print(LICENCE)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
