"""A real release of the committed Leicestershire force extract (public CSV, GeoPackage,
audit and manifest, made by the release pipeline), for the web map tests that link to a
release's own published CSV; and the map points of the published months."""

from __future__ import annotations

from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent.parent
OCT = REPO / "sample_data" / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"
SEP = REPO / "sample_data" / "police-uk" / "2022-09" / "2022-09-leicestershire-street.csv"
FORCE = REPO / "sample_data" / "force"


def make_force_release(tmp: Path) -> dict[str, Any]:
    """Run the release pipeline into ``tmp/release``; returns its outputs, points, folder."""
    from crime_mapper.core.load.loader import load_extracts
    from crime_mapper.core.release.map_points import map_points_from_history
    from crime_mapper.core.release.pipeline import run_anonymise
    from crime_mapper.core.release.release_files import create_salt_file

    points = map_points_from_history(load_extracts([str(OCT)]).crimes)
    salt = create_salt_file(tmp / "salt.txt")
    out = run_anonymise(
        [str(FORCE / "2022-10-leicestershire-force-extract.csv")],
        points,
        None,
        salt,
        tmp / "release",
        profile_path=FORCE / "leicestershire-force-extract.profile.json",
    )
    return {"out": out, "points": points, "folder": tmp / "release"}


def points_csv(folder: Path) -> Path:
    """``folder/points.csv``: the map points of September and October 2022's published
    Leicestershire months (the command line's ``map-points history``), made once."""
    from crime_mapper.cli import main

    points = folder / "points.csv"
    if not points.exists():
        assert main(["map-points", "history", str(SEP), str(OCT), "--out", str(points)]) == 0
    return points
