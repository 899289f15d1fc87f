"""A real public release for the summaries tests, made through the plain-Python command line:
map points from the published Sep+Oct 2022 Leicester history, then the synthetic force extract
anonymised onto them. Also the command line's summaries arguments for the committed MSOA
slices, so every summaries test uses the same inputs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
HOODS = SAMPLE / "neighbourhoods"
HISTORY = (SAMPLE / "police-uk" / "2022-09", SAMPLE / "police-uk" / "2022-10.zip")
FORCE_EXTRACT = SAMPLE / "force" / "2022-10-leicestershire-force-extract.csv"
FORCE_PROFILE = SAMPLE / "force" / "leicestershire-force-extract.profile.json"
POPULATION = SAMPLE / "population" / "lsoa11_mid2018_population_leicestershire_force_area.csv"
TEAM = ROOT / "tests" / "data" / "summaries" / "team_hostile.json"
NO_QGIS = """\
import sys
sys.modules["qgis"] = None
from crime_mapper.cli import main
sys.exit(main(sys.argv[1:]))
"""


def plain_cli(*args: object) -> subprocess.CompletedProcess:
    """The command line in plain Python (/usr/bin/python3), QGIS unimportable."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("QT_QPA_PLATFORM", None)
    return subprocess.run(
        ["/usr/bin/python3", "-c", NO_QGIS, *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def make_release(base: Path) -> dict:
    """{points, csv}: the map points CSV and the public release CSV under ``base``."""
    points = base / "points.csv"
    run = plain_cli("map-points", "history", *HISTORY, "--out", points)
    if run.returncode != 0:
        raise RuntimeError(run.stderr)
    salt = base / "secret" / "force.salt"
    salt.parent.mkdir(parents=True, exist_ok=True)
    salt.write_text("5f1c0e9a7b3d48e2a6c4f0b19d8e7a63\n", encoding="ascii")
    out = base / "release"
    run = plain_cli(
        "anonymise", FORCE_EXTRACT, "--profile", FORCE_PROFILE, "--points", points,
        "--salt-file", salt, "--out", out,
    )  # fmt: skip
    if run.returncode != 0:
        raise RuntimeError(run.stderr)
    return {"base": base, "points": points, "csv": out / "2022-10-leicestershire-street.csv"}
