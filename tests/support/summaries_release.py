"""A real public release for the summaries tests, made through the plain-Python command line:
map points from the published Sep+Oct 2022 Leicester history, then the synthetic force extract
anonymised onto them. Also the command line's summaries arguments for the committed MSOA
slices, so every summaries test uses the same inputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE, HISTORY, plain_cli

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
HOODS = SAMPLE / "neighbourhoods"
POPULATION = SAMPLE / "population" / "lsoa11_mid2018_population_leicestershire_force_area.csv"
NAMES = HOODS / "msoa11_names_leicestershire.csv"
TEAM = ROOT / "tests" / "data" / "summaries" / "team_hostile.json"


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


def summaries_cli(
    release: dict, release_csv: Path, out: Path, *extra: object, team=TEAM, names=NAMES
):
    """The plain-Python command line's summaries of ``release_csv`` over the committed
    Leicestershire MSOAs, names (or the ``names`` file's) and populations, into ``out``."""
    return plain_cli(*summaries_args(release, release_csv, out, *extra, team=team, names=names))


def summaries_args(
    release: dict, release_csv: Path, out: Path, *extra: object, team=TEAM, names=NAMES
) -> list[object]:
    """The command line's arguments of :func:`summaries_cli` (for a test that runs the
    command otherwise: interrupted, say)."""
    return [
        "summaries", FORCE_EXTRACT, "--profile", FORCE_PROFILE,
        "--points", release["points"], "--release", release_csv, "--out", out,
        "--boundaries", HOODS / "msoa11_leicestershire.geojson", "--code-field", "msoa11cd",
        "--lookup", HOODS / "lsoa11_to_msoa11_leicestershire.csv",
        "--lookup-code-field", "msoa11cd", "--lookup-name-field", "msoa11nm",
        "--names", names,
        "--names-code-field", "msoa11cd", "--names-name-field", "msoa11hclnm",
        "--lsoa-population", POPULATION,
        "--team", team, "--force-name", "Leicestershire Police", *extra,
    ]  # fmt: skip


def msoa_source() -> Any:
    """The committed Leicestershire MSOAs as the summaries read them: outlines, the LSOA
    lookup, House of Commons Library names, ONS LSOA populations."""
    from crime_mapper.core.publish.summaries_run import NeighbourhoodSource

    return NeighbourhoodSource(
        boundaries=HOODS / "msoa11_leicestershire.geojson",
        code_field="msoa11cd",
        lookup=HOODS / "lsoa11_to_msoa11_leicestershire.csv",
        lookup_code_field="msoa11cd",
        lookup_name_field="msoa11nm",
        names=HOODS / "msoa11_names_leicestershire.csv",
        names_code_field="msoa11cd",
        names_name_field="msoa11hclnm",
        lsoa_population=POPULATION,
    )


def points_layer(path: Path) -> Any:
    """The release's map points CSV as a QGIS delimited-text layer (WGS84), checked valid."""
    from qgis.core import QgsVectorLayer

    uri = f"file://{path}?delimiter=,&xField=longitude&yField=latitude&crs=EPSG:4326"
    layer = QgsVectorLayer(uri, "points", "delimitedtext")
    assert layer.isValid()
    return layer


def summaries_parameters(release: dict, out: Path, hoods: Any, **more: Any) -> dict:
    """crime_mapper:neighbourhood_summaries' parameters on the bundled force extract (and its
    profile), ``release``'s map points as a layer and its public CSV, neighbourhoods from the
    layer ``hoods``, into ``out``; ``more`` adds parameters or replaces these."""
    return {
        "RAW_FILES": [str(FORCE_EXTRACT)],
        "PROFILE": str(FORCE_PROFILE),
        "MAP_POINTS": points_layer(release["points"]),
        "RELEASE": str(release["csv"]),
        "NEIGHBOURHOODS": hoods,
        "OUTPUT": str(out),
        **more,
    }
