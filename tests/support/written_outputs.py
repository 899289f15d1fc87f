"""Public tables, written as the release writes them, that the leak gate's tests of the
writer's shortcuts share (core.release.public_schema.WrittenCsv, core.io.gpkg_write
.WrittenGpkg): hostile and plain cells, the real release with planted leaks, the public CSV
and GeoPackage written and compared, and a release of the committed force extract.

Why here: eight test modules used them, importing them from three others.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crime_mapper.core.common.reproducible import freeze_geopackage
from crime_mapper.core.gate.output_reader import read_output
from crime_mapper.core.io import gpkg_write
from crime_mapper.core.release.pipeline import public_point_table
from crime_mapper.core.release.public_schema import PUBLIC_COLUMNS, WrittenCsv, write_public_csv
from tests.support.leak_world import NAMES, refs


def direct_read(path: Path) -> pd.DataFrame:
    """What read_public_csv parses (its pandas call), never the remembered table."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")


def same_frame(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns)
    assert list(got.dtypes) == list(want.dtypes)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    for column in got.columns:  # every cell the same str (not merely equal after a cast)
        assert [type(v) for v in got[column]] == [type(v) for v in want[column]]


def hostile_public_table() -> pd.DataFrame:
    """A public table of cells a CSV writer must quote or escape (quotes, line breaks,
    formulas, blanks that read as NA)."""
    cells = [
        "",
        " ",
        '=HYPERLINK("x")',
        "+44 116",
        "-1",
        "@sum",
        'a "quoted" word',
        "comma, inside",
        "line\nbreak",
        "crlf\r\ninside",
        "lone\rreturn",
        "tab\tcell",
        "\u00e9\u00e8 \U0001f600 \u202e",
        "NA",
        "nan",
        "NULL",
        "#N/A",
        "  padded  ",
        "'already quoted",
        '"',
    ]
    n = len(cells)
    table = {
        column: [cells[(i + k) % n] for i in range(n)] for k, column in enumerate(PUBLIC_COLUMNS)
    }
    table["Longitude"] = ["-1.123456", "", "0", "NA", "1e3", "-0.000001"] * 3 + ["x", " 1"]
    table["Latitude"] = ["52.1", "", "nan", "52", "-", "+52"] * 3 + ["", "0"]
    return pd.DataFrame(table, dtype=object)


def public_table(columns: dict, n: int) -> pd.DataFrame:
    """A public table of n rows whose named columns cycle through the given cells (the
    others: a month, a force, blank)."""
    table = {}
    for k, column in enumerate(PUBLIC_COLUMNS):
        cells = columns.get(column, ["2022-10"] if column == "Month" else ["", "Force A"])
        table[column] = [cells[(i + k) % len(cells)] for i in range(n)]
    return pd.DataFrame(table, dtype=object)


# cells pandas gives back as written (no NUL, quote or line break): the shortcut's domain
PLAIN_CELLS = [
    "",
    " ",
    "comma, inside",
    ",",
    ",,",
    "=HYPERLINK(1)",
    "+44 116",
    "-1",
    "@sum",
    "\ttab first",
    "tab\tinside",
    "'already quoted",
    "NA",
    "nan",
    "NULL",
    "#N/A",
    "#comment",
    "  padded  ",
    "\ufeffbyte-order mark first",
    "\u00e9\u00e8 \U0001f600 \u202e \u2028 \x85",
    "".join(chr(c) for c in range(1, 32) if chr(c) not in "\r\n"),
    "\x7f\x1a\x0b\x0c",
    "back\\slash\\",
    "x" * 5000,
]
PLAIN_COORDINATES = ["-1.123456", "", "0", "NA", "1e3", "-0.000001", "x", " 1", "52.1", "+52"]


def write_csv(
    tmp_path: Path, table: pd.DataFrame, name: str = "2022-10-force-street.csv"
) -> tuple[Path, WrittenCsv]:
    """The public CSV written as the release writes it, and what its writer returned."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path, write_public_csv(table, path)


def planted_releases(real: dict) -> Iterator[tuple[str, pd.DataFrame]]:
    """(label, public table): the real release clean, and with one leak planted in its
    table before writing (a reference, a name with a comma, an exact date, a point moved
    off its map point)."""
    plants = {
        "clean": {},
        "reference": {(2, "Context"): refs(real)[5]},
        "name, with a comma": {(3, "Location"): f"On or near {NAMES[0]}, Rear"},
        "exact date": {(4, "Month"): "2022-10-12"},
        "shifted point": {(6, "Latitude"): None},
    }
    for label, cells in plants.items():
        public = real["public"].copy()
        for (row, column), value in cells.items():
            if value is None:
                i = int(np.flatnonzero(public["Latitude"] != "")[2])
                value = f"{float(public.loc[i, 'Latitude']) - 0.0011:.6f}"
                row = i
            public.loc[row, column] = value
        yield label, public


def make_release_inputs(folder: Path) -> dict:
    """Map points from the committed history and a salt, in ``folder``: what a release of
    the force extract needs (the conftest fixture ``release_inputs``)."""
    from crime_mapper.core.release.map_points import write_map_points_csv
    from crime_mapper.core.release.map_points_files import history_points
    from tests.support.plain_cli import HISTORY, make_salt

    points = folder / "points.csv"
    write_map_points_csv(history_points(list(HISTORY)), points)
    return {"points": points, "salt": make_salt(folder / "salt.txt")}


def release_files(release_inputs: dict, out: Path) -> dict[str, bytes]:
    """The committed force extract released into ``out`` by the pipeline: its files' bytes."""
    from crime_mapper.core.release import pipeline
    from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE

    pipeline.run_anonymise(
        [FORCE_EXTRACT], str(release_inputs["points"]), None, release_inputs["salt"], out,
        profile_path=FORCE_PROFILE,
    )  # fmt: skip
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def write_gpkg(
    tmp_path: Path, table: pd.DataFrame, name: str = "2022-10-force-street.gpkg"
) -> tuple[Path, Any]:
    """The public layer written as the release writes it: writer, time stamps frozen, hashed."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    kept: list = []
    gpkg_write.write_geopackage(path, [public_point_table(table)], kept=kept)
    freeze_geopackage(path, "2022-10-01T00:00:00.000Z")
    return path, gpkg_write.written_geopackage(path, kept)


def gpkg_artifact_facts(output) -> tuple:
    """Everything an Artifact of a GeoPackage holds (what the checks read), comparable."""
    name, arts = read_output(output)
    facts = []
    for art in arts:
        facts.append(
            (
                art.name,
                art.kind,
                art.error,
                [(s.where, s.columns, s.must_be_public, s.extra_allowed) for s in art.schemas],
                art.strings,
                {type(s) for s in art.strings},
                art.texts,
                art.code,
                [(a.dtype, a.tobytes()) for a in art.lon],
                [(a.dtype, a.tobytes()) for a in art.lat],
                art.coord_where,
                art.bad_coordinates,
                art.numbers,
                [(x.tobytes(), y.tobytes(), s) for x, y, s in art.projected],
            )
        )
    return name, facts


def certain_tables() -> dict[str, pd.DataFrame]:
    """Tables whose every stored GeoPackage value is certainly the bound one."""
    cells = {c: PLAIN_CELLS for c in PLAIN_CELLS_COLUMNS}
    coords = {"Longitude": PLAIN_COORDINATES, "Latitude": PLAIN_COORDINATES[::-1]}
    real_points = {
        "Longitude": ["-1.131", "-1.132", "", "-1.1345", "-0.0"],
        "Latitude": ["52.63", "52.64", "52.65", "", "-0.0"],
    }
    return {
        "plain-hostile": public_table({**cells, **coords}, 97),
        "quotes-and-breaks": hostile_public_table(),  # (any str is stored as it is)
        "one-row": public_table({**cells, **coords}, 1),
        "no-rows": public_table({}, 0),
        "every-cell-blank": public_table({c: [""] for c in PLAIN_CELLS_COLUMNS + ["Month"]}, 3),
        "points": public_table({**real_points, "Location": ["On or near A", "x"]}, 41),
        "duplicate-pairs": public_table({"Longitude": ["-1.1", "-1.1"], "Latitude": ["52.1"]}, 30),
        "many-rows": public_table(
            {
                "Location": [f"On or near Road {i}" for i in range(997)],
                "Crime ID": [f"{i:064x}" for i in range(70_001)],
                "Longitude": [f"-1.{i:04d}" for i in range(211)],
                "Latitude": [f"52.{i:04d}" for i in range(307)],
            },
            70_001,
        ),  # (large enough for the sampled, threaded scan)
    }


PLAIN_CELLS_COLUMNS = [
    "Crime ID", "Reported by", "Falls within", "Location", "LSOA code", "LSOA name",
    "Crime type", "Last outcome category", "Context",
]  # fmt: skip


def connect_gpkg(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection that can run the GeoPackage's triggers (their spatial
    functions answer as for a point)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.create_function("ST_IsEmpty", 1, lambda _g: 0)
    for name in ("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
        conn.create_function(name, 1, lambda _g: 0.0)
    return conn


def run_sql(path: Path, *statements: tuple) -> None:
    """``statements`` (each a tuple of execute's arguments) run on a GeoPackage in one
    transaction, its triggers' spatial functions answered as for a point (connect_gpkg)."""
    with closing(connect_gpkg(path)) as conn:
        conn.execute("BEGIN")
        for statement in statements:
            conn.execute(*statement)
        conn.execute("COMMIT")
