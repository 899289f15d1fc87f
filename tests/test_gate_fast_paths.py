"""The leak gate's fast paths (issue 15) give exactly what the paths they replace give.

Each fast path keeps its reference beside it (the column-by-column GeoPackage read, the regex
over every joined string, the per-value loops), and these tests run both on real data and on
hostile variants: NULLs, numbers and blobs in text columns, NUL characters, text that is not
UTF-8, empty tables, case-folding collations, random strings. Real data: sample_data/police-uk
(Contains public sector information licensed under the Open Government Licence v3.0.).
"""

from __future__ import annotations

import random
import re
import sqlite3
import threading
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.gate import checks, context, scan
from crime_mapper.core.gate.output_reader import COORD_COLUMN_LAT, COORD_COLUMN_LON
from crime_mapper.core.io import gpkg_read
from crime_mapper.core.io.gpkg_read import read_geopackage
from crime_mapper.core.io.gpkg_write import PointTable, write_geopackage
from crime_mapper.core.release.public_schema import PUBLIC_COLUMNS
from tests.support.written_outputs import run_sql

REPO = Path(__file__).resolve().parent.parent
MONTH = REPO / "sample_data/police-uk/2022-10"
PAIRS = (COORD_COLUMN_LON, COORD_COLUMN_LAT)


@pytest.fixture(scope="module")
def public() -> pd.DataFrame:
    files = sorted(MONTH.glob("*-street.csv"))
    assert files, "the bundled police.uk month is missing"
    frame = pd.read_csv(files[0], dtype=str, keep_default_na=False)
    return frame[list(PUBLIC_COLUMNS)].head(3000).reset_index(drop=True)


def _gpkg(public: pd.DataFrame, path: Path) -> Path:
    frame = public.copy()
    frame["_x"] = pd.to_numeric(frame["Longitude"], errors="coerce")
    frame["_y"] = pd.to_numeric(frame["Latitude"], errors="coerce")
    write_geopackage(
        path,
        [PointTable("public_crimes", frame, {c: "string" for c in PUBLIC_COLUMNS}, x="_x", y="_y")],
    )
    return path


def _old_pairs(path: Path, table: str, x: str, y: str) -> list:
    """What the gate read before the one-scan read: SELECT DISTINCT of the pair."""
    conn = sqlite3.connect(f"file:{path.resolve().as_posix()}?mode=ro", uri=True)
    rows = conn.execute(f'SELECT DISTINCT "{x}", "{y}" FROM "{table}"').fetchall()
    conn.close()
    frame = pd.DataFrame(rows, columns=["lon", "lat"]).fillna("").astype(str)
    return list(zip(frame["lon"], frame["lat"]))


def _read(path: Path, fast: bool, pairs_only: bool = False) -> tuple[Optional[object], str]:
    try:
        return read_geopackage(path, pair_columns=PAIRS, fast=fast, pairs_only=pairs_only), ""
    except Exception as exc:  # noqa: BLE001 - the error itself is compared
        return None, f"{type(exc).__name__}: {exc}"


def _point_blob(
    x: float, y: float, order: int = 1, envelope: bool = False, wkb_type: int = 1
) -> bytes:
    """A GeoPackage point blob (little- or big-endian WKB; optionally with an xy envelope)."""
    end = "<" if order == 1 else ">"
    head = b"GP\x00" + bytes([0x03 if envelope else 0x01]) + np.int32(4326).tobytes()
    if envelope:
        head += np.array([x, x, y, y], dtype="<f8").tobytes()
    wkb = bytes([order]) + np.array([wkb_type], dtype=end + "u4").tobytes()
    return head + wkb + np.array([x, y], dtype=end + "f8").tobytes()


T = "public_crimes"
VARIANTS: dict[str, tuple] = {
    "clean": (),
    "nulls": (
        (f'UPDATE {T} SET "Crime ID" = NULL, "Longitude" = NULL WHERE fid = 3',),
        (f'UPDATE {T} SET "Latitude" = NULL WHERE fid IN (5, 6)',),
    ),
    "empty_strings": ((f"UPDATE {T} SET \"Longitude\" = '', \"Context\" = '' WHERE fid < 4",),),
    "numbers": (  # a TEXT column's affinity stores them as text
        (f'UPDATE {T} SET "Location" = 12, "Longitude" = -1.25 WHERE fid = 2',),
        (f'UPDATE {T} SET "Context" = 0.30000000000000004 WHERE fid = 4',),
        (f'UPDATE {T} SET "LSOA code" = 1.0 WHERE fid = 7',),
    ),
    "blob": ((f"UPDATE {T} SET \"LSOA name\" = X'ff00aa' WHERE fid = 9",),),
    "blob_coordinate": ((f"UPDATE {T} SET \"Latitude\" = X'35322e36' WHERE fid = 9",),),
    "nul_in_text": ((f"UPDATE {T} SET \"Context\" = 'a' || char(0) || 'secret' WHERE fid = 11",),),
    "nul_in_coordinate": (
        (f"UPDATE {T} SET \"Longitude\" = '-1.1' || char(0) || '9' WHERE fid = 12",),
    ),
    # the pairs-only read's separator inside a value: one row's x ends with it and
    # another's y starts with it, so both rows concatenate to the same "a<1><1>b"
    "separator_in_coordinate": (
        (f"UPDATE {T} SET \"Longitude\" = 'a' || char(1), \"Latitude\" = 'b' WHERE fid = 14",),
        (f"UPDATE {T} SET \"Longitude\" = 'a', \"Latitude\" = char(1) || 'b' WHERE fid = 15",),
    ),
    "separator_in_one_coordinate": (
        (f"UPDATE {T} SET \"Latitude\" = '52.6' || char(1) || '1' WHERE fid = 16",),
    ),
    "formula_and_quotes_in_coordinates": (
        (f'UPDATE {T} SET "Longitude" = \'=1+2\', "Latitude" = \'"52,6"\' WHERE fid = 17',),
        (f"UPDATE {T} SET \"Longitude\" = ' -1.1', \"Latitude\" = '52.6\r' WHERE fid = 18",),
        (f"UPDATE {T} SET \"Longitude\" = 'é', \"Latitude\" = '' WHERE fid = 19",),
    ),
    "not_utf8_coordinate": (
        (f"UPDATE {T} SET \"Latitude\" = CAST(X'35ff32' AS TEXT) WHERE fid = 20",),
    ),
    "not_utf8": ((f"UPDATE {T} SET \"Location\" = CAST(X'4142ff43' AS TEXT) WHERE fid = 13",),),
    "no_rows": ((f"DELETE FROM {T}",),),
    "one_row": ((f"DELETE FROM {T} WHERE fid > 1",),),
    "duplicate_pairs": (
        (f"UPDATE {T} SET \"Longitude\" = '-1.100000', \"Latitude\" = '52.600000' WHERE fid < 50",),
    ),
    "text_geometry": ((f"UPDATE {T} SET geom = 'not a blob' WHERE fid = 2",),),
    "null_geometry": ((f"UPDATE {T} SET geom = NULL WHERE fid IN (3, 8)",),),
    "no_geometry": ((f"UPDATE {T} SET geom = NULL",),),
    "big_endian_geometry": (
        (f"UPDATE {T} SET geom = ? WHERE fid = 4", (_point_blob(-1.1, 52.6, order=0),)),
    ),
    "envelope_geometry": (
        (f"UPDATE {T} SET geom = ? WHERE fid = 5", (_point_blob(-1.2, 52.7, envelope=True),)),
    ),
    "empty_geometry": (
        (f"UPDATE {T} SET geom = ? WHERE fid = 6", (b"GP\x00\x11" + b"\x00" * 25,)),
    ),
    "line_of_point_size": (  # 29 bytes, but WKB type 2: not a plain point
        (f"UPDATE {T} SET geom = ? WHERE fid = 7", (_point_blob(-1.3, 52.5, wkb_type=2),)),
    ),
    "indexed_geometry": ((f"CREATE INDEX geom_index ON {T} (geom)",),),
    "extra_table": (
        ('CREATE TABLE notes (id INTEGER PRIMARY KEY, "Note" TEXT, n REAL, b BLOB)',),
        ("INSERT INTO notes VALUES (1, 'victim: Margaret', 1.5, X'00ff'), (2, NULL, 2, NULL)",),
    ),
}


def _all_few_valued(monkeypatch: pytest.MonkeyPatch) -> list:
    """Every table sampled and every column but the x/y pair taken as few-valued (the
    json_group_array(DISTINCT) read a national table's month, force, category... get);
    returns the list of columns each sample chose."""
    chosen: list = []
    few_valued = gpkg_read._few_valued
    monkeypatch.setattr(gpkg_read, "FEW_VALUED_ROWS", 0)
    monkeypatch.setattr(gpkg_read, "_FEW_IN_SAMPLE", 10**9)
    monkeypatch.setattr(gpkg_read, "_SAMPLE_ROWS", 2)
    monkeypatch.setattr(
        gpkg_read, "_few_valued", lambda *a: chosen.append(few_valued(*a)) or chosen[-1]
    )
    return chosen


@pytest.mark.parametrize("pairs_only", [False, True])
@pytest.mark.parametrize("few", [False, True])
@pytest.mark.parametrize("threaded", [False, True])
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_one_scan_geopackage_read_equals_column_by_column(
    public: pd.DataFrame,
    tmp_path: Path,
    variant: str,
    threaded: bool,
    few: bool,
    pairs_only: bool,
    monkeypatch: pytest.MonkeyPatch,
):
    """Values, pairs and geometry vertices (with their order) are the column-by-column
    read's, whether the scan runs as one query or as column groups on their own
    connections (what a national table gets), and whether columns come concatenated or
    as their distinct values in JSON (``few``: every column but the pair). ``pairs_only``
    (the leak gate's read): the pair columns are left out of the distinct values and
    their pairs come from one concatenation, equal to SELECT DISTINCT's."""
    if threaded:
        monkeypatch.setattr(gpkg_read, "THREADED_SCAN_ROWS", 0)
    chosen = _all_few_valued(monkeypatch) if few else []
    scans: list = []
    scanned_points = gpkg_read._scanned_points
    monkeypatch.setattr(
        gpkg_read, "_scanned_points", lambda agg: scans.append(scanned_points(agg)) or scans[-1]
    )
    path = _gpkg(public, tmp_path / f"{variant}.gpkg")
    run_sql(path, *VARIANTS[variant])
    fast, fast_error = _read(path, fast=True, pairs_only=pairs_only)
    slow, slow_error = _read(path, fast=False)
    assert fast_error == slow_error
    if slow is None:
        assert variant in (
            "not_utf8", "text_geometry", "line_of_point_size", "not_utf8_coordinate",
        )  # fmt: skip
        return
    assert [t.name for t in fast.tables] == [t.name for t in slow.tables]
    assert fast.metadata_text == slow.metadata_text
    for a, b in zip(fast.tables, slow.tables):
        assert a.columns == b.columns and a.rows == b.rows
        for col in a.columns:
            if pairs_only and a.pairs is not None and col in (a.pair_columns or ()):
                assert col not in a.distinct  # (wanted as pairs only, and they came)
                continue
            assert sorted(a.distinct[col]) == sorted(b.distinct[col]), col
            assert len(set(a.distinct[col])) == len(a.distinct[col]), col
        assert np.array_equal(a.x, b.x, equal_nan=True)
        assert np.array_equal(a.y, b.y, equal_nan=True)
        if a.pair_columns is not None and a.pairs is not None:
            assert a.pairs == _old_pairs(path, a.name, *a.pair_columns)
    main = fast.tables[0]
    if few and variant not in ("no_rows",):  # (an empty table has no rows to sample)
        assert len(chosen[0]) == len(PUBLIC_COLUMNS) - 2  # the JSON read was taken
    if variant in ("clean", "empty_strings", "numbers", "duplicate_pairs", "no_rows", "one_row"):
        assert main.pairs is not None  # the fast path was taken
    if variant in ("formula_and_quotes_in_coordinates", "separator_in_coordinate"):
        assert main.pairs is not None or (pairs_only and variant == "separator_in_coordinate")
    if variant in ("nulls", "nul_in_coordinate", "blob_coordinate", "separator_in_one_coordinate"):
        if pairs_only or variant != "separator_in_one_coordinate":
            assert main.pairs is None  # ...left to SELECT DISTINCT where it cannot be exact
    if pairs_only and variant == "separator_in_coordinate":
        assert main.pairs is None
    # the geometry came with the scan exactly where it is plain points in table order
    in_scan = [p is not None for p in scans]
    if variant in ("clean", "nulls", "null_geometry", "duplicate_pairs", "one_row", "numbers"):
        assert in_scan == [True]
    if variant in ("indexed_geometry",):
        assert in_scan == []
    if variant in ("big_endian_geometry", "envelope_geometry", "empty_geometry", "no_geometry"):
        assert in_scan == [False]
    if variant == "line_of_point_size":
        assert in_scan == [False]


def test_one_scan_read_sees_values_a_nocase_collation_would_merge(tmp_path: Path):
    """SELECT DISTINCT merges "Margaret" and "MARGARET" in a NOCASE column; the one-scan
    read returns both (it can only show more, never less)."""
    path = tmp_path / "nocase.gpkg"
    _gpkg(pd.DataFrame({c: ["x"] for c in PUBLIC_COLUMNS}), path)
    run_sql(
        path,
        ("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT COLLATE NOCASE)",),
        ("INSERT INTO people (name) VALUES ('Margaret'), ('MARGARET'), ('margaret')",),
    )
    fast, _ = _read(path, fast=True)
    slow, _ = _read(path, fast=False)
    people = {t.name: t for t in fast.tables}["people"]
    assert sorted(people.distinct["name"]) == ["MARGARET", "Margaret", "margaret"]
    assert len({t.name: t for t in slow.tables}["people"].distinct["name"]) == 1


@pytest.mark.parametrize("threaded", [False, True])
def test_distinct_json_read_is_exact_on_hostile_values(
    tmp_path: Path, threaded: bool, monkeypatch: pytest.MonkeyPatch
):
    """The few-valued read (json_group_array(DISTINCT col COLLATE BINARY)) returns every
    value exactly: case variants in a NOCASE column, NULs, quotes and backslashes, control
    characters, non-ASCII, values that look like JSON or numbers; numbers and blobs leave
    their column to the column-by-column read (a blob makes SQLite refuse the JSON: those
    columns are concatenated instead)."""
    if threaded:
        monkeypatch.setattr(gpkg_read, "THREADED_SCAN_ROWS", 0)
    chosen = _all_few_valued(monkeypatch)
    path = tmp_path / "hostile.gpkg"
    _gpkg(pd.DataFrame({c: ["x"] for c in PUBLIC_COLUMNS}), path)
    texts = [
        "Margaret", "MARGARET", "margaret", "a\x00secret", "a", 'say "hi"', "back\\slash",
        "tab\there", "line\nbreak", "é", "\u2028", "[1, 2]", "null", "12", "{}", "",
    ]  # fmt: skip
    run_sql(
        path,
        ("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT COLLATE NOCASE, n, b)",),
        *[("INSERT INTO people (name, n, b) VALUES (?, ?, ?)", (t, t, t)) for t in texts],
        ("INSERT INTO people (name, n, b) VALUES (NULL, 12, NULL)",),
        ("INSERT INTO people (name, n, b) VALUES ('MARGARET', 1.5, 'b')",),
    )
    fast, _ = _read(path, fast=True)
    people = {t.name: t for t in fast.tables}["people"]
    assert ["name", "n", "b"] in chosen
    assert sorted(people.distinct["name"]) == sorted(texts)  # NUL and case variants kept
    assert sorted(people.distinct["n"]) == sorted(texts + ["12", "1.5"])  # as _as_text
    assert sorted(people.distinct["b"]) == sorted(texts + ["b"])
    # a blob: SQLite refuses the JSON, and the columns are concatenated (still exact)
    run_sql(
        path,
        ("UPDATE people SET name = 'Margaret' WHERE name = 'a' || char(0) || 'secret'",),
        ("UPDATE people SET n = NULL, b = X'01'",),
    )
    fast, _ = _read(path, fast=True)
    people = {t.name: t for t in fast.tables}["people"]
    assert sorted(people.distinct["name"]) == sorted(t for t in texts if "\x00" not in t)
    assert people.distinct["b"] == ["01"] and people.distinct["n"] == []


def test_few_valued_columns_are_found_on_a_spread_sample(tmp_path: Path):
    """The sample is spread over the table by rowid (not its first rows, where a national
    table's blank Crime IDs sit), and the x/y pair is always read whole."""
    n = 4000
    frame = pd.DataFrame({c: ["same"] * n for c in PUBLIC_COLUMNS})
    frame["Crime ID"] = [""] * 1000 + [f"{i:064x}" for i in range(n - 1000)]
    frame["Longitude"] = "-1.1"
    frame["Latitude"] = "52.6"
    path = _gpkg(frame, tmp_path / "spread.gpkg")
    conn = sqlite3.connect(path)
    table = gpkg_read.GpkgTable("public_crimes", "features", list(PUBLIC_COLUMNS), "fid", "geom")
    table.pair_columns = ("Longitude", "Latitude")
    few = gpkg_read._few_valued(conn, '"public_crimes"', table)
    conn.close()
    assert few == [c for c in PUBLIC_COLUMNS if c not in ("Crime ID", "Longitude", "Latitude")]
    assert read_geopackage(path, pair_columns=PAIRS).tables[0].distinct["Month"] == ["same"]


def test_few_valued_sample_reads_no_whole_table(tmp_path: Path):
    """The sample finds the rowid bounds and its rows by the b-tree, never by a scan of the
    whole table (min() and max() of the rowid in one query make SQLite scan all 500,000
    rows of a national layer before the read starts: each is asked alone)."""
    n = 2000
    frame = pd.DataFrame({c: ["same"] * n for c in PUBLIC_COLUMNS})
    path = _gpkg(frame, tmp_path / "bounds.gpkg")
    conn = sqlite3.connect(path)
    asked: list[str] = []
    conn.set_trace_callback(asked.append)
    table = gpkg_read.GpkgTable("public_crimes", "features", list(PUBLIC_COLUMNS), "fid", "geom")
    table.pair_columns = ("Longitude", "Latitude")
    few = gpkg_read._few_valued(conn, '"public_crimes"', table)
    conn.set_trace_callback(None)
    assert few == [c for c in PUBLIC_COLUMNS if c not in ("Longitude", "Latitude")]
    assert asked and all("public_crimes" in sql for sql in asked)
    for sql in asked:
        plan = [row[-1] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
        assert not any(step.startswith("SCAN") for step in plan), (sql, plan)
    conn.close()


def test_scan_groups_are_taken_as_each_ends(
    public: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A large table's column groups are asked pair and geometry first, distinct-value
    columns last, and each is handed over as soon as its query ends, whatever the order
    (the caller takes one group's values while SQLite runs another): here the first group's
    query is held until a later group has been handed over, and every group's row is the
    one its query gives alone."""
    monkeypatch.setattr(gpkg_read, "THREADED_SCAN_ROWS", 0)
    path = _gpkg(public, tmp_path / "groups.gpkg")
    uri = f"file:{path.resolve().as_posix()}?mode=ro"
    items = [("json", "Month"), ("json", "Crime type"), ("concat", "Crime ID")]
    items += [("concat", "Location"), ("pair", ("Longitude", "Latitude"))]
    items += [("geometry", "geom")]
    asked: list[str] = []
    handed = threading.Event()
    query = gpkg_read._query_on_own_connection

    def held(uri: str, sql: str) -> Optional[tuple]:
        asked.append(sql)
        if len(asked) == 1:
            assert handed.wait(20), "the first group was waited for before a later one"
        return query(uri, sql)

    monkeypatch.setattr(gpkg_read, "_query_on_own_connection", held)
    conn = sqlite3.connect(uri, uri=True)
    groups = gpkg_read._aggregate_groups(conn, '"public_crimes"', items, uri, len(public))
    got = []
    for layout, row in groups:
        got.append((layout, row))
        handed.set()
    layouts = [layout for layout, _row in got]
    assert sorted(map(str, layouts)) == sorted(
        map(str, [[items[4], items[5]], [items[2], items[3]], [items[0], items[1]]])
    )
    assert "char(1)" in asked[0] and "X''" in asked[0]  # the pair and the geometry first
    assert "json_group_array" in asked[-1]  # the distinct-value columns last
    assert got[0][0] != [items[4], items[5]]  # handed over before the held first group
    for layout, row in got:
        assert row == gpkg_read._query_row(conn, gpkg_read._select('"public_crimes"', layout))
    conn.close()


# --- "On or near" labels: segments found with str.find, not a regex at every position -----
def _old_address_labels(strings: list[str]) -> list[str]:
    """The gate's old scan: the regex over every joined string."""
    joined = "\x00".join(strings)
    out = []
    for m in checks._ADDRESS_LOCATION.finditer(joined):
        end = joined.find("\x00", m.end())
        out.append(joined[m.end() : end if end >= 0 else len(joined)])
    return out


def _new_address_labels(strings: list[str]) -> list[str]:
    out = []
    for segment in checks._location_segments(strings):
        m = checks._ADDRESS_LOCATION.match(segment)
        if m is not None:
            out.append(segment[m.end() :])
    return out


def test_location_segments_find_what_the_regex_finds():
    rng = random.Random(15)
    pieces = [
        "On or near ", "ON OR NEAR ", "on or near  ", "On Or Near", "0n or near ", "On or nearby ",
        "12 ", "Flat 3 ", "flat3 ", "No. 4 ", "apt 7", "Unit 2 ", "HIGH STREET", "ſuite 4 ",
        "\u212a", "\u0130", "ı", "\x00", " ", "A6", "2022-10", "é", "\u00a0",
    ]  # fmt: skip
    for _ in range(3000):
        strings = [
            "".join(rng.choice(pieces) for _ in range(rng.randint(0, 5)))
            for _ in range(rng.randint(0, 8))
        ]
        assert _new_address_labels(strings) == _old_address_labels(strings), strings


def test_location_segments_of_the_non_hex_strings_are_those_of_all(public: pd.DataFrame):
    """The address-label scan over an output's strings but its hex digests (what the check
    now reads) finds the same segments, in the same order, as over every string."""
    from crime_mapper.core.gate.output_reader import Artifact

    rng = random.Random(21)
    pieces = ["On or near ", "ON OR NEAR 12 ", "Flat 3 ", "\x00", "High Street", "é", " "]
    strings = set(public["Location"]) | set(public["Crime ID"])
    strings |= {
        "".join(rng.choice("0123456789abcdefABCDEF") for _ in range(64)) for _ in range(500)
    }
    strings |= {"".join(rng.choice(pieces) for _ in range(4)) for _ in range(500)}
    art = Artifact(name="t", kind="csv", strings=strings)
    prep = context.PreparedGate(public.iloc[:0].assign(crime_id=[]), _NoPoints())
    ctx = context.GateContext(prep, [art])
    assert len(ctx.non_hex_strings(art)) < len(strings)
    found = checks._location_segments(ctx.non_hex_strings(art))
    assert found == checks._location_segments(art.strings)
    assert any("12" in f for f in found)


class _NoPoints:
    """Map points the classification of an output's strings never reads."""

    longitude = latitude = np.zeros(0)
    label = lsoa_code = lsoa_name = np.zeros(0, dtype=object)


# --- vectorised helpers against their per-value forms ---------------------------------------
def test_output_member_equals_member_on_every_key():
    rng = np.random.default_rng(15)
    keys = rng.integers(0, 5000, 20000)
    sorted_set = np.unique(rng.integers(0, 5000, 3000))
    uniq, inverse = np.unique(keys, return_inverse=True)
    assert np.array_equal(
        scan.member_sorted_queries(uniq, sorted_set)[inverse], scan.member(keys, sorted_set)
    )
    assert scan.member_sorted_queries(np.zeros(0, dtype=np.int64), sorted_set).size == 0


def test_lower_all_equals_str_lower_on_hex_tokens():
    rng = random.Random(3)
    tokens = ["".join(rng.choice("0123456789abcdefABCDEF") for _ in range(64)) for _ in range(200)]
    assert context.lower_all(tokens) == [t.lower() for t in tokens]


def test_hex_mask_equals_per_string_test():
    rng = random.Random(5)
    alphabet = "0123456789abcdefABCDEFxyz é"
    strings = [
        "".join(rng.choice(alphabet) for _ in range(rng.choice([31, 32, 40, 64, 65])))
        for _ in range(2000)
    ] + ["a" * 32, "A" * 64, "é" * 32]
    expected = [
        len(t) in (32, 40, 64) and re.fullmatch("[0-9a-fA-F]+", t) is not None for t in strings
    ]
    assert scan.hex_mask(strings).tolist() == expected
    only_hex = [t for t, e in zip(strings, expected) if e]
    assert scan.hex_mask(only_hex).all()
    # every digest-shaped string hex, others not (the all-hex shortcut)
    mixed = only_hex + ["not hex", "g" * 31, "0" * 33]
    assert scan.hex_mask(mixed).tolist() == [True] * len(only_hex) + [False] * 3
    # hostile: NULs inside strings, surrogates, non-ASCII digits, empty strings, long ones
    pieces = ["a", "F", "0", "\x00", "\ud800", "é", "٣", "", "g", "ab" * 16, "0" * 64]
    for _ in range(3000):
        strings = [
            "".join(rng.choice(pieces) for _ in range(rng.randint(0, 4)))
            for _ in range(rng.randint(0, 6))
        ] + rng.sample(only_hex, 2)
        rng.shuffle(strings)
        expected = [
            len(t) in (32, 40, 64) and re.fullmatch("[0-9a-fA-F]+", t) is not None for t in strings
        ]
        assert scan.hex_mask(strings).tolist() == expected, strings
        mask, lengths = scan.hex_mask_and_lengths(strings)
        assert mask.tolist() == expected
        assert lengths[mask].tolist() == [len(t) for t, e in zip(strings, expected) if e]
    assert scan.hex_mask([]).tolist() == []
    assert scan.hex_mask_and_lengths([])[1].tolist() == []
    # every string hex (the all-hex shortcut), with their lengths
    mask, lengths = scan.hex_mask_and_lengths(mixed[:-3] + ["abc", "0" * 40])
    assert lengths.tolist() == [len(t) for t in mixed[:-3]] + [3, 40]
    assert mask.tolist() == [True] * (len(mixed) - 3) + [False, True]


# --- free text folding and the 8-byte windows of the substring search -------------------------
def _fold_by_split(text: str) -> bytes:
    """The folding as first written: a list of every word, joined again."""
    folded = text.encode("utf-8", errors="replace").lower().translate(context._WORD_BYTES)
    return b" ".join(folded.split()).replace(b" \x00", b"\x00").replace(b"\x00 ", b"\x00")


def test_fold_words_equals_the_split_and_join_folding():
    rng = random.Random(9)
    alphabet = [
        "a", "B", " ", "  ", "\x00", "\t", "\n", "é", "9", "-", ".", "\u2028", "\x0b", "\x1c",
        "Z", "\x85", "\u00a0", "\ud800", "        ", "flat 3", "O'Brien", "\x00 \x00",
    ]  # fmt: skip
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        assert context.fold_words_bytes(text) == _fold_by_split(text), repr(text)


def _windows_by_shifting(hay: np.ndarray) -> np.ndarray:
    n = hay.size - 7
    if n <= 0:
        return np.zeros(0, dtype=np.uint64)
    keys = hay[:n].astype(np.uint64)
    for j in range(1, 8):
        keys |= hay[j : j + n].astype(np.uint64) << np.uint64(8 * j)
    return keys


def test_window_keys_equal_the_shifted_keys():
    rng = np.random.default_rng(8)
    for n in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 4099]:
        hay = rng.integers(0, 256, n).astype(np.uint8)
        assert np.array_equal(scan._window_keys(hay), _windows_by_shifting(hay)), n
        assert np.array_equal(scan._window_keys(hay[3:]), _windows_by_shifting(hay[3:])), n


def test_printable_test_equals_isprintable():
    rng = random.Random(4)
    alphabet = ["a", " ", "\x00", "\x01", "\x1f", "\x7f", "~", "é", "\u2028", "\t", "Z", "\x85"]
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
        assert context._printable(text) == text.replace("\x00", "").isprintable(), repr(text)


def test_grid_keys_to_the_metre_cover_every_floor_and_ceiling():
    """raw_grid_keys adds ceiling pairs only where a coordinate has a fraction; the set is
    still every (floor or ceiling easting, floor or ceiling northing) pair."""
    rng = np.random.default_rng(12)
    n = 500
    x = rng.integers(400000, 410000, n).astype(float)
    y = rng.integers(300000, 310000, n).astype(float)
    x[::3] += 0.5
    y[::5] += 0.25
    raw = pd.DataFrame(
        {
            "source_crs": ["EPSG:27700"] * n,
            "source_x": x,
            "source_y": y,
            "longitude": np.full(n, np.nan),
            "latitude": np.full(n, np.nan),
        }
    )

    class _Points:
        longitude = np.zeros(0)
        latitude = np.zeros(0)

    metre = context.PreparedGate(raw, _Points()).raw_grid_keys[0]
    fx, cx, fy, cy = np.floor(x), np.ceil(x), np.floor(y), np.ceil(y)
    expected = np.unique(np.concatenate([scan.pair_keys(a, b) for a in (fx, cx) for b in (fy, cy)]))
    assert np.array_equal(metre, expected)


def _text_pairs_one_by_one(text: str) -> tuple[list, list, list]:
    """The pairing as first written: every match, then a loop from the left."""
    found = [(m.start(), m.end(), float(m.group())) for m in scan.DECIMAL_4.finditer(text)]
    lons, lats, shown = [], [], []
    i = 0
    while i + 1 < len(found):
        s1, e1, a = found[i]
        s2, e2, b = found[i + 1]
        if s2 - e1 <= 40:
            if scan.uk_lon_lat(a, b):
                lons.append(a)
                lats.append(b)
            elif scan.uk_lon_lat(b, a):
                lons.append(b)
                lats.append(a)
            else:
                i += 1
                continue
            shown.append(text[s1:e2])
            i += 2
            continue
        i += 1
    return lons, lats, shown


def test_text_pairs_equal_the_left_to_right_loop():
    rng = random.Random(21)
    numbers = [
        "-1.1234", "52.61234", "1.12345", "-1.1", "52.6", "0.00001", "55.00000", "-11.0000",
        "61.5000", "2.5000", "49.0000", "-2.45678", "53.40011", "123.4567", "-179.9999",
        "52.612345678", "x1.2345", "1.2345.6", "7.77777", "50.50505",
    ]  # fmt: skip
    gaps = ["", " ", ", ", "a", " " * 39, " " * 40, " " * 41, "\n", "],[", '":', "\x00"]
    for _ in range(5000):
        text = "".join(rng.choice(numbers) + rng.choice(gaps) for _ in range(rng.randint(0, 12)))
        assert scan.text_pairs(text) == _text_pairs_one_by_one(text), repr(text)


# --- small haystacks: substrings looked up instead of an index of every raw value -----------
def test_small_haystack_search_equals_the_pattern_index():
    rng = random.Random(31)
    words = ["alpha", "beta", "GM", "22", "331687", "/", " ", "smith", "é", "\x00", "-", "12345678"]
    for trial in range(1500):
        values = list(
            dict.fromkeys(
                "".join(rng.choice(words) for _ in range(rng.randint(1, 6)))
                for _ in range(rng.randint(0, 30))
            )
        )
        values = [v for v in values if v.isascii()]
        hay = "".join(rng.choice(words + values) for _ in range(rng.randint(0, 40)))
        haystack = hay.encode("utf-8")
        limit = rng.choice([1, 3, 5, 200])
        for rule in (checks._always, checks._never, checks._shorter_than_whole_word_limit):
            bounded = [rule(v) for v in values]
            patterns = scan.PatternSet(values, bounded=np.asarray(bounded, dtype=bool))
            expected = [
                (patterns.values[i], pos)
                for i, pos in scan.find_substrings(haystack, patterns, limit=limit)
            ]
            lengths = scan.ascii_lengths(values)
            assert lengths is not None
            got = scan.find_in_small_haystack(
                haystack, set(values), lengths, values, rule, limit=limit
            )
            assert got == expected, (trial, values, hay)


def test_small_haystack_search_is_not_used_for_non_ascii_patterns():
    assert scan.ascii_lengths(["abcdefgh", "é" * 9]) is None
    assert scan.ascii_lengths(["abcdefgh", "abc", "abcdefghijkl"]) == [8, 12]
    assert not scan.small_enough(b"x" * 10, None)
    assert not scan.small_enough(b"x" * (scan.SMALL_SEARCH_LOOKUPS // 2 + 1), [8])
    # no patterns (a gate without raw values): nothing to search, whatever the haystack
    assert scan.small_enough(b"x" * 10_000_000, [])
    assert scan.find_in_small_haystack(b"x" * 10_000_000, set(), [], [], bool) == []


def test_sorted_difference_equals_setdiff1d():
    rng = np.random.default_rng(40)
    for _ in range(200):
        keys = np.unique(rng.integers(-1, 3000, rng.integers(0, 800)))
        keys = keys[keys >= 0]
        allowed = np.unique(rng.integers(0, 3000, rng.integers(0, 800)))
        got = keys[~scan.member_sorted_queries(keys, allowed)]
        assert np.array_equal(got, np.setdiff1d(keys, allowed, assume_unique=True))


# --- raw-side views on a categorical column's categories (issue 15, session 4) ---------------
@pytest.mark.parametrize(
    "values",
    [
        ["EPSG:27700", None, "epsg:2157", "x", np.nan, "EPSG:4326", "EPSG:27700 "],
        [27700, 2157.0, None],
        ["nan", None, "NAN", "police.uk", "Police.uk"],
        [],
    ],
)
def test_category_views_equal_the_per_row_text_tests(values: list):
    """A projected source CRS, and "is this row from a police.uk file", tested on a
    categorical column's categories give what str() of every cell gives (NaN is "nan")."""
    for dtype in ("category", object):
        column = pd.Series(values, dtype=dtype)
        upper = column.astype(str).str.upper().to_numpy()
        assert np.array_equal(
            context._projected_crs(column), np.isin(upper, context.PROJECTED_SOURCE_CRS)
        )
        for text in ("nan", "police.uk", "27700", "2157.0", "NAN"):
            expected = column.astype(str).to_numpy() == text
            assert np.array_equal(context._text_is(column, text), expected), (dtype, text)


def test_printable_of_non_ascii_text_equals_isprintable():
    rng = random.Random(33)
    pieces = ["a", "é", "\x00", "\x01", "\u2028", "\ud800", "£", " ", "\x7f", "\u00a0", "字", "\t"]
    for _ in range(5000):
        joined = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        assert context._printable(joined) == joined.replace("\x00", "").isprintable(), joined


def test_hex_references_are_those_of_every_reference(public: pd.DataFrame):
    rng = random.Random(8)
    refs = list(public["Crime ID"].head(500)) + [
        "".join(rng.choice("0123456789abcdefABCDEF") for _ in range(n))
        for n in (31, 32, 40, 64, 65, 8, 32)
    ]
    raw = pd.DataFrame({"crime_id": refs + ["é" * 32, "AB/2022/1234"]})
    prep = context.PreparedGate(raw, _NoPoints())
    assert prep.hex_references == {
        r.lower(): r for r in prep.references if len(r) in context.HEX_LENGTHS
    }
    assert len(prep.hex_references) >= 300


# --- lengths and classes counted on one joined buffer (issue 15, session 4) -------------------
_LENGTH_PIECES = ["a", "Z", "7", "é", "字", "\ud800", "\x00", "", " ", "\U0001f600", "AB12", "\n"]


def _random_strings(rng: random.Random, count: int) -> list[str]:
    return [
        "".join(rng.choice(_LENGTH_PIECES) for _ in range(rng.randint(0, 12)))
        for _ in range(rng.randint(0, count))
    ]


def test_char_lengths_and_text_layout_equal_per_string_lengths():
    rng = random.Random(55)
    for _ in range(3000):
        values = _random_strings(rng, 8)
        assert scan.char_lengths(values).tolist() == [len(v) for v in values], values
        clean = [v.replace("\ud800", "") for v in values]  # (text_layout encodes strictly)
        buf, start, nbytes, chars = scan.text_layout(clean)
        assert chars.tolist() == [len(v) for v in clean]
        encoded = [v.encode("utf-8") for v in clean]
        assert nbytes.tolist() == [len(e) for e in encoded]
        assert [buf[a : a + b] for a, b in zip(start.tolist(), nbytes.tolist())] == encoded


def test_ascii_lengths_equal_per_string_tests():
    rng = random.Random(56)
    for _ in range(3000):
        values = _random_strings(rng, 8)
        expected = (
            sorted(n for n in set(map(len, values)) if n >= 8)
            if all(v.isascii() for v in values)
            else None
        )
        assert scan.ascii_lengths(values) == expected, values


def test_squeezed_views_equal_the_per_key_tests(public: pd.DataFrame):
    """The squeezed references' key set and lengths (counted on the joined keys) are what
    the per-key tests give, on real references and crafted ones."""
    refs = list(public["Crime ID"].head(400)) + [
        "AB/2022/0001234", "ab-2022-0001234", "12345678", "ABCDEFGHIJ", "A1", "é-12345678x",
        "ref 1 2 3 4 5 6 7 8 a",
    ]  # fmt: skip
    for extra in ([], ["x\x00y12345678"]):
        prep = context.PreparedGate(pd.DataFrame({"crime_id": refs + extra}), _NoPoints())
        keys = prep._squeezed_list
        expected = {k for k in keys if context._squeezed_key_eligible(k)}
        assert prep.squeezed_index.key_set == expected
        assert prep.squeezed_lengths == scan.ascii_lengths(list(expected))
        assert prep.squeezed_lengths and expected
