"""The bundled sample inputs the command line's tests start from, and the command line run
in plain Python.

Why here: the command line's, the release pipeline's, the gate's and the summaries' tests
all run the same commands on the same bundled files (the Leicestershire force extract and
its profile, the published Sep+Oct 2022 history); they took them from test_cli, a test
module, or from copies of their own.

``plain_cli`` runs ``python -m crime_mapper.cli`` in the Debian Python with QGIS made
unimportable (a None entry in sys.modules makes every ``import qgis...`` fail), then proves
nothing QGIS was loaded: the release commands must run on a scheduler host with plain
Python.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
MONTH_ZIP = SAMPLE / "police-uk" / "2022-10.zip"
HISTORY = (SAMPLE / "police-uk" / "2022-09", MONTH_ZIP)
FORCE_EXTRACT = SAMPLE / "force" / "2022-10-leicestershire-force-extract.csv"
FORCE_PROFILE = SAMPLE / "force" / "leicestershire-force-extract.profile.json"
#: the public release CSV the force extract's anonymise writes
PUBLIC_NAME = "2022-10-leicestershire-street.csv"
PLAIN_PYTHON = "/usr/bin/python3"  # the Debian Python: pandas, numpy, pyproj, no venv
#: tests/support/qgis_reach: this module's child processes cannot reach QGIS (NO_QGIS below
#: makes it unimportable and fails the child if any QGIS module was loaded all the same), so
#: its tests run on one QGIS version, not on both
CHILDREN_WITHOUT_QGIS = True

NO_QGIS = """\
import sys
sys.modules["qgis"] = None
from crime_mapper.cli import main
code = main(sys.argv[1:])
loaded = sorted(m for m in sys.modules if m.split(".")[0] == "qgis" and sys.modules[m])
if loaded:
    print("QGIS was imported: " + ", ".join(loaded), file=sys.stderr)
    sys.exit(99)
sys.exit(code)
"""


def plain_cli(*args: object) -> subprocess.CompletedProcess:
    """The command line in plain Python (/usr/bin/python3), QGIS unimportable."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("QT_QPA_PLATFORM", None)
    return subprocess.run(
        [PLAIN_PYTHON, "-c", NO_QGIS, *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def make_salt(path: Path, text: str = "5f1c0e9a7b3d48e2a6c4f0b19d8e7a63") -> Path:
    """A salt file (a release's secret) at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="ascii")
    return path
