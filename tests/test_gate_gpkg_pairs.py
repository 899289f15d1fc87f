"""The leak gate reads a GeoPackage's Longitude/Latitude attribute columns as pairs only
(gpkg_read.read_geopackage(pairs_only=True): one concatenation of each row's x, a separator
and y, no distinct values of either column alone). Every report here, on the clean release's
GeoPackage with hostile coordinate text planted (a raw crime location, the separator itself
inside values, formulas, padding, line breaks, NULLs, blobs, text that is not UTF-8), is the
report the gate gives with the columns read as before (pairs_only=False), and the planted
leaks and unreadable values must fail the gate. The raw table, map points and release are
tests/support/leak_world.py's (real police.uk rows, real anonymiser).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from crime_mapper.core.gate import output_reader
from crime_mapper.core.gate.leak_gate import check_release
from crime_mapper.core.io import gpkg_read
from tests.support.written_outputs import run_sql

T = "public_crimes"


def _raw_pair(world: dict) -> tuple[str, str]:
    raw = world["raw"]
    return f"{float(raw['longitude'].iloc[0]):.5f}", f"{float(raw['latitude'].iloc[0]):.5f}"


def _cases(world: dict) -> dict[str, tuple[tuple, bool]]:
    """name -> (SQL statements on the clean GeoPackage, whether the gate must fail)."""
    lon, lat = _raw_pair(world)
    set_xy = f'UPDATE {T} SET "Longitude" = ?, "Latitude" = ? WHERE fid = ?'
    return {
        "clean": ((), False),
        "raw_location": (((set_xy, (lon, lat, 1)),), True),
        "raw_location_many_rows": (((set_xy.replace("fid = ?", "fid < 40"), (lon, lat)),), True),
        "separator_shifted": (
            ((set_xy, ("a\x01", "b", 2)), (set_xy, ("a", "\x01b", 3))),
            True,
        ),
        "separator_in_a_raw_pair": (((set_xy, (lon + "\x01", lat, 2)),), True),
        "blank_pair": (((set_xy, ("", "", 4)),), False),
        "formula": (((set_xy, ("=1+2", "@SUM(A1)", 5)),), True),
        "padded_and_line_break": (((set_xy, (" " + lon, lat + "\r\n", 6)),), True),
        "quotes": (((set_xy, ('"-1.1"', "'52.6", 7)),), True),
        "null_coordinate": (((f'UPDATE {T} SET "Latitude" = NULL WHERE fid = 8',),), True),
        "blob_coordinate": (
            ((f"UPDATE {T} SET \"Longitude\" = X'2d312e31' WHERE fid = 9",),),
            True,
        ),
        "not_utf8": (
            ((f"UPDATE {T} SET \"Latitude\" = CAST(X'35ff32' AS TEXT) WHERE fid = 10",),),
            True,
        ),
        "huge_value": (((set_xy, ("1" * 200_000, lat, 11)),), True),
        "nul_in_coordinate": (((set_xy, ("-1.1\x00" + lon, lat, 12)),), True),
    }


def _variant(clean: Path, folder: Path, name: str, statements: tuple) -> Path:
    path = folder / f"{name}.gpkg"
    shutil.copyfile(clean, path)
    run_sql(path, *statements)
    return path


@pytest.fixture(scope="module")
def variants(world: dict, clean_outputs: dict, tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("gpkg_pairs")
    return {
        name: (_variant(clean_outputs["gpkg"], folder, name, statements), fails)
        for name, (statements, fails) in _cases(world).items()
    }


def _read_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    read = gpkg_read.read_geopackage
    monkeypatch.setattr(
        output_reader,
        "read_geopackage",
        lambda path, **kw: read(path, **{**kw, "pairs_only": False}),
    )


CASES = (
    "clean", "raw_location", "raw_location_many_rows", "separator_shifted",
    "separator_in_a_raw_pair", "blank_pair", "formula", "padded_and_line_break", "quotes",
    "null_coordinate", "blob_coordinate", "not_utf8", "huge_value", "nul_in_coordinate",
)  # fmt: skip


def test_the_cases_are_all_run(world: dict):
    assert sorted(_cases(world)) == sorted(CASES)


@pytest.mark.parametrize("name", CASES)
def test_pairs_only_read_gives_the_same_report(
    world: dict, variants: dict, name: str, monkeypatch: pytest.MonkeyPatch
):
    path, fails = variants[name]
    calls: list[bool] = []
    read = gpkg_read.read_geopackage
    monkeypatch.setattr(
        output_reader,
        "read_geopackage",
        lambda p, **kw: calls.append(kw.get("pairs_only", False)) or read(p, **kw),
    )
    new = check_release(world["raw"], path, world["points"]).to_dict()
    assert calls == [True]  # (the gate asks for pairs only)
    _read_as_before(monkeypatch)
    old = check_release(world["raw"], path, world["points"]).to_dict()
    assert new == old
    assert new["passed"] is not fails, name


def test_pairs_only_read_takes_the_pairs_from_the_one_concatenation(variants: dict):
    """The clean GeoPackage's pairs come with the scan (the shortcut is taken) and equal
    SELECT DISTINCT's; with the separator inside values, they are left to SELECT DISTINCT."""
    clean = gpkg_read.read_geopackage(
        variants["clean"][0], pair_columns=output_reader_pairs(), pairs_only=True
    ).tables[0]
    assert clean.pairs is not None and "Longitude" not in clean.distinct
    shifted = gpkg_read.read_geopackage(
        variants["separator_shifted"][0], pair_columns=output_reader_pairs(), pairs_only=True
    ).tables[0]
    assert shifted.pairs is None and "Longitude" in shifted.distinct


def output_reader_pairs() -> tuple:
    return (output_reader.COORD_COLUMN_LON, output_reader.COORD_COLUMN_LAT)


def test_the_map_points_check_says_what_it_counted_in_each_file(world: dict, clean_outputs):
    """The audit gave a GeoPackage's check as "all 5949 coordinates are map points" beside
    4,417 located rows, a total no reader could reconcile: the detail now names each file's
    count and what a coordinate is (rows' pairs, geometries' points, pairs in text)."""
    for kind in ("csv", "gpkg"):
        path = clean_outputs[kind]
        report = check_release(world["raw"], path, world["points"])
        assert report.passed, report.message()
        check = next(c for c in report.checks if c.name == "coordinates_are_map_points")
        arts = [a for a in output_reader.read_output(path)[1] if sum(x.size for x in a.lon)]
        counted = {a.name: sum(x.size for x in a.lon) for a in arts}
        assert counted, kind
        total = sum(counted.values())
        shown = "; ".join(f"{name}: {n}" for name, n in counted.items())
        assert check.detail == (
            f"all {total} coordinates are map points ({shown}; a file's coordinates are the "
            "longitude/latitude pairs it holds, a GeoPackage's in its columns and in its "
            "geometries, and any pair written in its text; compared at 5 decimal places)"
        ), kind
