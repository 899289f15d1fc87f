"""A realistic force records-system extract built from real police.uk rows.

Why here: the loader's, the anonymiser's, the leak gate's, the command line's and the
profile dialog's tests all start from this one extract (a force's own export: grid
references, exact dates and times, references, offences, free text), so it lives apart
from any one test module.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from crime_mapper.core.common import vocabulary
from crime_mapper.core.common.geography import pyproj_module
from crime_mapper.core.load.mapping_profile import MappingProfile

#: the extract's columns for each role (what a mapping profile of it says)
COLUMNS = {
    "crime_ref": "CrimeRef",
    "x": "Easting",
    "y": "Northing",
    "date": "OffenceDate",
    "time": "OffenceTime",
    "offence": "Offence",
    "sensitive": "Sensitive",
}

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "police-uk"
LEICS_OCT = SAMPLE / "2022-10" / "2022-10-leicestershire-street.csv"


def make_force_extract(
    path: Path, encoding: str = "utf-8", swap_row: int | None = None
) -> pd.DataFrame:
    """A realistic force export built from real police.uk rows: British National Grid
    coordinates, exact UK-format dates and times, references, offences and free text.

    Each crime's true location is 15 m from its published point in a random direction (an
    address off the street centre): a force's records never hold the anonymous map point
    itself, and a release that published the true locations would be refused. Every point of
    these rows is at least 37 m from any other Leicestershire sample point, so each crime
    still snaps back to its own."""
    real = pd.read_csv(LEICS_OCT, dtype=str, keep_default_na=False)
    real = real[(real["Longitude"] != "") & (real["Crime type"] != vocabulary.ASB)].head(60)
    to_bng = pyproj_module().Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    east, north = to_bng.transform(
        real["Longitude"].astype(float).to_numpy(), real["Latitude"].astype(float).to_numpy()
    )
    offence = {
        "Burglary": "Burglary - residential",
        "Vehicle crime": "Theft from a motor vehicle",
        "Violence and sexual offences": "Common assault",
        "Shoplifting": "46",
        "Criminal damage and arson": "Criminal damage to a vehicle",
        "Public order": "Public fear alarm or distress",
        "Drugs": "Possession of cannabis",
        "Other theft": "Theft other",
        "Bicycle theft": "Theft of pedal cycle",
        "Robbery": "Robbery of personal property",
        "Other crime": "Fraud",
        "Possession of weapons": "Possession of article with blade or point",
        "Theft from the person": "Theft from the person",
    }
    rng = np.random.default_rng(7)
    angle = np.random.default_rng(11).random(len(real)) * 2 * np.pi
    east = east + 15.0 * np.cos(angle)
    north = north + 15.0 * np.sin(angle)
    frame = pd.DataFrame(
        {
            "CrimeRef": [f"LP/{20000 + i}/22" for i in range(len(real))],
            "Easting": np.round(east, 0).astype(int),
            "Northing": np.round(north, 0).astype(int),
            "OffenceDate": [f"{d:02d}/10/2022" for d in rng.integers(1, 29, len(real))],
            "OffenceTime": [
                f"{h:02d}:{m:02d}"
                for h, m in zip(rng.integers(0, 24, len(real)), rng.integers(0, 60, len(real)))
            ],
            "Offence": [offence[c] for c in real["Crime type"]],
            "Beat": ["Beat 4"] * len(real),
            "MO Notes": ["Suspect seen by neighbour at No. 12"] * len(real),
            "Sensitive": ["N"] * (len(real) - 1) + ["Y"],
        }
    )
    if swap_row is not None:
        # Lerwick (E 447500, N 1141500) typed northing-first. A swap is only detectable where
        # the pair as given lies outside the UK, and beyond the grid's area of use, and the
        # swapped pair inside: most English grid references stay inside the UK when swapped,
        # and are documented as such.
        frame.loc[swap_row, ["Easting", "Northing"]] = [1141500, 447500]
    frame.to_csv(path, index=False, encoding=encoding)
    frame["expected_category"] = real["Crime type"].to_numpy()
    return frame


def force_profile(**more: str) -> MappingProfile:
    """The mapping profile of :func:`make_force_extract`'s extract (``more``: reported_by,
    falls_within and the like as a test needs them)."""
    return MappingProfile(
        name="Test force RMS",
        columns=dict(COLUMNS),
        crs="EPSG:27700",
        reported_by="Leicestershire Police",
        **more,
    )
