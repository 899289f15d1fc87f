"""Freezing a styled GeoPackage rebuilds it with VACUUM INTO a copy that replaces it (issue
15: VACUUM in place writes a 250 MB national crimes GeoPackage twice): the file must be byte
for byte the one VACUUM in place gives, on the GeoPackages a load really writes (the crimes
table, its stop-and-search table and the styles QGIS stores in them)."""

from __future__ import annotations

import functools
import shutil
import sqlite3
from pathlib import Path

import pytest

from crime_mapper.core.common import reproducible
from crime_mapper.core.io import gpkg_write
from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.load.mapping_profile import MappingProfile
from crime_mapper.qgis_bridge import run_load as run_load_module
from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "police-uk"


def _unfrozen_load(folder: Path, paths: list, profile=None) -> Path:
    """A load's GeoPackage as run_load builds it, styles stored by QGIS, before freezing."""
    from crime_mapper.core.common import schema

    result = load_extracts([str(p) for p in paths], profile=profile)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "crimes.gpkg"
    tables = [
        gpkg_write.PointTable(
            run_load_module.CRIMES_TABLE,
            result.crimes,
            {n: s[0] for n, s in schema.CRIME_COLUMNS.items()},
            extras=run_load_module._unique_extras(list(result.crimes.columns)),
        )
    ]
    if len(result.stop_search):
        tables.append(
            gpkg_write.PointTable(
                run_load_module.STOP_SEARCH_TABLE,
                result.stop_search,
                {n: s[0] for n, s in schema.STOP_SEARCH_COLUMNS.items()},
            )
        )
    gpkg_write.write_geopackage(path, tables)
    run_load_module._store_styles(path, None, has_stop_search=len(result.stop_search) > 0)
    return path


@pytest.mark.parametrize(
    "paths, profile",
    [
        ([FORCE_EXTRACT], FORCE_PROFILE),
        ([SAMPLE / "2022-07"], None),  # street, outcomes and stop and search
    ],
    ids=["force-extract", "street-outcomes-stops"],
)
def test_vacuum_into_gives_the_bytes_of_vacuum_in_place(
    qgis_app, tmp_path, monkeypatch, paths, profile
):
    loaded = _unfrozen_load(
        tmp_path / "load", paths, MappingProfile.load(profile) if profile else None
    )
    with sqlite3.connect(loaded) as conn:
        assert conn.execute("SELECT count(*) FROM layer_styles").fetchone()[0] >= 1
    conn.close()
    in_place, copied = tmp_path / "in_place.gpkg", tmp_path / "copied.gpkg"
    shutil.copy(loaded, in_place)
    shutil.copy(loaded, copied)
    stamp = "2022-10-01T00:00:00.000Z"
    with monkeypatch.context() as patch:
        patch.setattr(
            reproducible, "_vacuum", functools.partial(reproducible._vacuum, in_place=True)
        )
        reproducible.freeze_geopackage(in_place, stamp)
    reproducible.freeze_geopackage(copied, stamp)
    assert copied.read_bytes() == in_place.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copied.gpkg", "in_place.gpkg", "load"]
    with sqlite3.connect(copied) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT DISTINCT update_time FROM layer_styles").fetchall() == [
            (stamp,)
        ]
    conn.close()
    # freezing again (a file already frozen): the same either way too
    reproducible.freeze_geopackage(copied, stamp)
    with monkeypatch.context() as patch:
        patch.setattr(
            reproducible, "_vacuum", functools.partial(reproducible._vacuum, in_place=True)
        )
        reproducible.freeze_geopackage(in_place, stamp)
    assert copied.read_bytes() == in_place.read_bytes()


def test_run_load_outputs_are_those_of_vacuum_in_place(qgis_app, tmp_path, monkeypatch):
    """The whole load (run_load) gives the same files either way."""
    profile = MappingProfile.load(FORCE_PROFILE)
    fast = run_load_module.run_load([str(FORCE_EXTRACT)], tmp_path / "fast", profile=profile)
    with monkeypatch.context() as patch:
        patch.setattr(
            reproducible, "_vacuum", functools.partial(reproducible._vacuum, in_place=True)
        )
        slow = run_load_module.run_load([str(FORCE_EXTRACT)], tmp_path / "slow", profile=profile)
    names = sorted(p.name for p in (tmp_path / "fast").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "slow").iterdir())
    assert not any(name.endswith(".vacuum") for name in names)
    for name in names:
        assert (tmp_path / "fast" / name).read_bytes() == (tmp_path / "slow" / name).read_bytes()
    assert fast.gpkg.name == slow.gpkg.name
