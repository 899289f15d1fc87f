"""A load's crimes GeoPackage changed after the load validated it (edited in QGIS's
attribute table, or by another tool), given to the anonymise step: a value its column cannot
hold is a clear error naming the column, never read as NULL, 0 or blank (which would change
what is published without a word), and never a sqlite3 or pandas traceback. A crime type
that is no police.uk category stays the anonymiser's to reject and count, as at load.

Real QGIS writes the GeoPackage (the load's own run_load), SQL changes it (its triggers
dropped first, as a tool without SpatiaLite would), and the real release reads it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.release.crimes_input import CrimesSourceError, read_crimes_gpkg
from crime_mapper.core.release.map_points import map_points_from_history
from crime_mapper.core.release.pipeline import run_anonymise
from crime_mapper.core.release.release_files import ReleaseInputError, create_salt_file
from crime_mapper.qgis_bridge import run_load as loading
from tests.support.gpkg_edits import edited_gpkg
from tests.support.monthly_config import SAMPLE

FORCE = [SAMPLE / "force" / "2022-10-leicestershire-force-extract.csv"]
FORCE_PROFILE = SAMPLE / "force" / "leicestershire-force-extract.profile.json"
POLICE_UK = SAMPLE / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> Path:
    out = loading.run_load(FORCE, tmp_path_factory.mktemp("load"), profile_path=FORCE_PROFILE)
    return Path(out.gpkg)


@pytest.fixture(scope="module")
def points():
    return map_points_from_history(load_extracts([str(POLICE_UK)]).crimes)


@pytest.mark.parametrize(
    "column, value, why",
    [
        ("last_outcome", "'zz'", "is not a police.uk outcome"),
        ("has_location", "'zz'", "is not a number"),
        ("sensitive", "2", "is not 0 or 1"),
        ("longitude", "'east'", "is not a number"),
        ("occurred_at", "'yesterday'", "is not a date and time"),
        ("record_id", "1.5", "is not a whole number"),
        ("source_line", "'ten'", "is not a number"),
    ],
)
def test_a_value_its_column_cannot_hold_is_refused_naming_the_column(
    loaded, tmp_path, column, value, why
):
    edited = edited_gpkg(
        loaded, tmp_path, f"UPDATE crimes SET {column} = {value} WHERE fid % 7 = 0"
    )
    with pytest.raises(CrimesSourceError, match=f"in {column}, a value that {why}") as caught:
        read_crimes_gpkg(edited)
    assert "load the extracts again" in str(caught.value)


def test_the_release_refuses_it_and_writes_nothing(loaded, points, tmp_path):
    edited = edited_gpkg(loaded, tmp_path, "UPDATE crimes SET last_outcome = 'zz' WHERE fid = 5")
    out = tmp_path / "release"
    salt = create_salt_file(tmp_path / "force.salt")
    with pytest.raises(ReleaseInputError, match="not a police.uk outcome"):
        run_anonymise(str(edited), points, salt_file=salt, output_dir=out, write_gpkg=False)
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE crimes SET last_outcome = 'under investigation' WHERE fid % 7 = 0",
        "UPDATE crimes SET last_outcome = '' WHERE fid % 7 = 0",
        "UPDATE crimes SET longitude = NULL, latitude = NULL WHERE fid % 7 = 0",
        "UPDATE crimes SET record_id = '' WHERE fid % 7 = 0",
    ],
)
def test_blanks_and_spelling_variants_read_as_the_load_reads_them(loaded, tmp_path, sql):
    table = read_crimes_gpkg(edited_gpkg(loaded, tmp_path, sql))
    assert len(table) == len(read_crimes_gpkg(loaded))
    if "under investigation" in sql:
        assert "Under investigation" in set(table["last_outcome"].dropna())


def test_an_unknown_crime_type_is_rejected_and_counted(loaded, points, tmp_path):
    edited = edited_gpkg(
        loaded, tmp_path, "UPDATE crimes SET crime_type = 'Not a category' WHERE fid <= 10"
    )
    out = tmp_path / "release"
    salt = create_salt_file(tmp_path / "force.salt")
    run_anonymise(str(edited), points, salt_file=salt, output_dir=out, write_gpkg=False)
    audit = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    assert audit["totals"]["rejected"] == 10 and audit["reconciles"]


def test_an_extra_column_named_with_a_quote_is_read(loaded, tmp_path):
    edited = edited_gpkg(
        loaded,
        tmp_path,
        'ALTER TABLE crimes ADD COLUMN "extra_a""b" TEXT; UPDATE crimes SET "extra_a""b" = \'x\'',
    )
    table = read_crimes_gpkg(edited)
    assert set(table['extra_a"b']) == {"x"}


def test_a_table_damaged_past_reading_is_a_crimes_source_error(loaded, tmp_path):
    data = bytearray(loaded.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 4096] = b"\xff" * 4096
    damaged = tmp_path / "damaged.gpkg"
    damaged.write_bytes(bytes(data))
    try:
        read_crimes_gpkg(damaged)
    except CrimesSourceError:
        pass
