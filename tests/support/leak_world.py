"""The leak gate's test world: a real raw force extract, real map points, a real release.

Why here: the leak gate's own tests (tests/test_leak_gate.py) and some twenty others of
the gate's paths (its fast paths, children, written-file reads, the release's gate) check
the same real release, planted with leaks in the same ways; the fixtures that hold it are in
tests/conftest.py (``world``, ``clean_outputs``), the makers and helpers here.

The raw table is a realistic force extract built from real police.uk rows
(tests/support/force_extract), with every crime moved 40-160 m off its published point (as
a records system would hold it), a victim-name column and a Home Office offence-code column
added, and loaded through the real loader. Map points are derived from the bundled
Leicestershire police.uk history; the release is made by the real anonymiser.
"""

from __future__ import annotations

import json
import shutil
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from crime_mapper.core.gate.leak_gate import GateReport
from crime_mapper.core.io.gpkg_write import PointTable, write_geopackage
from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.release.anonymise import anonymise
from crime_mapper.core.release.map_points import map_points_from_history
from crime_mapper.core.release.public_schema import PUBLIC_COLUMNS, write_public_csv
from tests.support.force_extract import force_profile, make_force_extract

REPO = Path(__file__).resolve().parents[2]
LEICS = [REPO / "sample_data/police-uk/2022-09", REPO / "sample_data/police-uk/2022-10"]
SALT = b"leak-gate-test-salt-0123456789"
NAMES = ["Margaret Thornbury", "Desmond Okonkwo-Reilly", "Priya Chaudhary", "Gareth Llewellyn"]
HO_CODES = ["028/01", "030/02", "049/12", "105/01"]


def build_world(tmp: Path, first_when: str | None = None) -> dict:
    """{raw, points, public, history, tmp}: the raw table (the force extract, each crime
    moved 40-160 m off its published point, with a victim-name, a Home Office code and an
    MO-notes column, loaded through the real loader), the map points derived from the
    bundled Leicestershire history, and the release the real anonymiser makes of it.
    ``first_when``: the first loaded crime's date and time ("1971-10-26 05:38") and its
    month, set on the loaded table: today's loader rejects a row before police.uk's first
    month (early_date), but a crimes GeoPackage loaded by an earlier version, which kept
    such a row with a warning, still holds one, and the gate must still read it."""
    extract = tmp / "2022-10-force-extract.csv"
    frame = make_force_extract(extract)
    rng = np.random.default_rng(11)
    n = len(frame)
    shift = rng.uniform(40, 160, (n, 2)) * rng.choice([-1, 1], (n, 2))
    frame["Easting"] = (frame["Easting"] + shift[:, 0]).round().astype(int)
    frame["Northing"] = (frame["Northing"] + shift[:, 1]).round().astype(int)
    frame["Victim Name"] = [NAMES[i % len(NAMES)] for i in range(n)]
    frame["HO Code"] = [HO_CODES[i % len(HO_CODES)] for i in range(n)]
    frame["MO Notes"] = [
        f"Entry forced via rear window of flat {i}, neighbour heard glass" for i in range(n)
    ]
    frame.drop(columns=["expected_category"]).to_csv(extract, index=False)
    profile = force_profile()
    raw = load_extracts([extract], profile=profile).crimes
    assert {"extra_victim_name", "extra_ho_code", "extra_mo_notes"} <= set(raw.columns)
    if first_when:
        _set_first_when(raw, pd.Timestamp(first_when))
    history = load_extracts(LEICS).crimes
    points = map_points_from_history(history)
    release = anonymise(raw, points, salt=SALT)
    public = release.public
    assert list(public.columns) == list(PUBLIC_COLUMNS)
    return {"raw": raw, "points": points, "public": public, "history": history, "tmp": tmp}


def _set_first_when(raw: pd.DataFrame, when: pd.Timestamp) -> None:
    """The first crime dated ``when`` (its month too, as the loader derives it)."""
    raw.loc[raw.index[0], "occurred_at"] = when
    month = when.strftime("%Y-%m")
    if isinstance(raw["month"].dtype, pd.CategoricalDtype):
        if month not in raw["month"].cat.categories:
            raw["month"] = raw["month"].cat.add_categories([month])
    raw.loc[raw.index[0], "month"] = month


def write_csv(public: pd.DataFrame, path: Path) -> Path:
    write_public_csv(public, path)
    return path


def write_gpkg(public: pd.DataFrame, path: Path, dx: float = 0.0) -> Path:
    frame = public.copy()
    frame["_x"] = pd.to_numeric(frame["Longitude"], errors="coerce") + dx
    frame["_y"] = pd.to_numeric(frame["Latitude"], errors="coerce")
    write_geopackage(
        path,
        [PointTable("public_crimes", frame, {c: "string" for c in PUBLIC_COLUMNS}, x="_x", y="_y")],
    )
    return path


def write_folder(public: pd.DataFrame, folder: Path) -> Path:
    """A small web-map style export: HTML with inline JSON, a .js data file, GeoJSON, a
    summary CSV, CSS, a text note and an icon."""
    folder.mkdir(parents=True)
    located = public[public["Longitude"] != ""]
    rows = [
        [float(r["Longitude"]), float(r["Latitude"]), r["Crime type"], r["Month"], r["Location"]]
        for _, r in located.iterrows()
    ]
    inline = json.dumps({"month": "2022-10", "rows": rows, "view": {"lat": 52.63, "lng": -1.13}})
    counts = public.groupby("LSOA name").size().rename("crimes").reset_index()
    table = "".join(
        f"<tr><td>{r['LSOA name']}</td><td>{r['crimes']}</td></tr>" for _, r in counts.iterrows()
    )
    (folder / "index.html").write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Leicestershire crime map, October 2022</title>"
        "<link rel='stylesheet' href='style.css'></head><body>"
        "<h1>Crime in October 2022</h1><p>Locations are approximate: each crime is shown at "
        "its nearest anonymous map point.</p>"
        f"<table><caption>Crimes by area</caption>{table}</table>"
        f"<script type='application/json' id='data'>{inline}</script>"
        "<script>function show(a){return a?1:0} var zoom = 12;</script>"
        "<script src='data.js'></script></body></html>",
        encoding="utf-8",
    )
    (folder / "data.js").write_text(
        "window.CRIMES = " + json.dumps({"points": [[r[1], r[0]] for r in rows]}) + ";\n"
        "window.LABELS = ['Crime in October 2022', \"Anti-social behaviour\"];\n",
        encoding="utf-8",
    )
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": r[:2]},
            "properties": {"category": r[2], "month": r[3], "location": r[4]},
        }
        for r in rows
    ]
    (folder / "crimes.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
    )
    counts.to_csv(folder / "summary.csv", index=False)
    (folder / "style.css").write_text(
        "body{font:16px/1.5 sans-serif} .a:hover{color:#036}", encoding="utf-8"
    )
    (folder / "README.txt").write_text(
        "Published monthly. Month shown: 2022-10.\n", encoding="utf-8"
    )
    (folder / "icon.png").write_bytes(png_image([(b"tEXt", b"Title\x00Crime map icon")]))
    return folder


def png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body).to_bytes(4, "big")
    return len(body).to_bytes(4, "big") + kind + body + crc


def png_image(extra: Sequence[tuple[bytes, bytes]] = ()) -> bytes:
    """A real 2x2 grey PNG with ``extra`` chunks (kind, body) before its pixels."""
    header = (2).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])  # 8-bit grey, 2x2
    pixels = zlib.compress(b"\x00\x10\x20\x00\x30\x40")  # (each row: filter 0, 2 bytes)
    chunks = [(b"IHDR", header), *extra, (b"IDAT", pixels), (b"IEND", b"")]
    return b"\x89PNG\r\n\x1a\n" + b"".join(png_chunk(k, b) for k, b in chunks)


def failed(report: GateReport) -> set[str]:
    return {c.name for c in report.checks if not c.passed}


def expect_only(report: GateReport, *names: str) -> None:
    """The named checks failed (and are named in the message); the others passed."""
    assert failed(report) == set(names), report.message()
    message = report.message()
    for name in names:
        assert name in message
    assert "FAILED" in message


def refs(world: dict) -> list[str]:
    return world["raw"]["crime_id"].tolist()


def raw_row(world: dict) -> pd.Series:
    return world["raw"].iloc[3]


def plant(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def copy_folder(clean: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "site"
    shutil.copytree(clean, dst)
    return dst


def write_clean_outputs(world: dict) -> dict:
    """{csv, gpkg, folder}: the clean release written as a CSV, a GeoPackage and a small
    web-map style folder in the world's folder."""
    tmp = world["tmp"]
    public = world["public"]
    return {
        "csv": write_csv(public, tmp / "public.csv"),
        "gpkg": write_gpkg(public, tmp / "public.gpkg"),
        "folder": write_folder(public, tmp / "site"),
    }


# --- the gate's extras and leaky outputs (the shared-preparation tests) -----------------------
def extras_cases(world: dict) -> list[dict]:
    """check_release's extras (public values, allowed coordinates, catchment) in the cases
    that change what a shared preparation may reuse."""
    raw = world["raw"]
    located = raw[np.isfinite(raw["longitude"].to_numpy(np.float64))]
    lon = located["longitude"].to_numpy(np.float64)
    lat = located["latitude"].to_numpy(np.float64)
    ring_lon = np.array([-1.13, -1.12, -1.12, -1.13])
    ring_lat = np.array([52.63, 52.63, 52.64, 52.64])
    return [
        {},
        {"extra_public_values": ["Central Leicester", "E02002837", ""]},
        # a raw non-public value made public (the derived parts drop it)
        {"extra_public_values": [NAMES[0], "Some Neighbourhood"]},
        # ...in another case only (the lower-case index loses it)
        {"extra_public_values": [NAMES[1].upper()]},
        {"extra_allowed_coordinates": (ring_lon, ring_lat)},
        {"extra_allowed_coordinates": (np.zeros(0), np.zeros(0))},
        # raw crime locations allowed: the map-point status of raw crimes changes
        {"extra_allowed_coordinates": (lon[:25], lat[:25])},
        {
            "extra_allowed_coordinates": (lon[5:9], lat[5:9]),
            "extra_public_values": [NAMES[2]],
            "min_catchment_addresses": 3,
        },
    ]


def leaky_outputs(world: dict, clean_outputs: dict, tmp: Path) -> list:
    """The clean CSV, GeoPackage and folder, and outputs with leaks the extras cases touch
    (a raw name in a table, a crime moved to its raw location, names in a page), in ``tmp``."""
    raw, public = world["raw"], world["public"]
    named = public.copy()
    named.loc[2, "Context"] = NAMES[0]
    named.loc[3, "Context"] = f"seen by {NAMES[1].lower()} near the shop"
    moved = public.copy()
    row = raw[np.isfinite(raw["longitude"].to_numpy(np.float64))].iloc[7]
    moved.loc[1, "Longitude"] = f"{row['longitude']:.6f}"
    moved.loc[1, "Latitude"] = f"{row['latitude']:.6f}"
    site = copy_folder(clean_outputs["folder"], tmp)
    plant(site, "index.html", "<h1>Crime in", f"<h1>{NAMES[2]} {NAMES[0]} Crime in")
    return [
        clean_outputs["csv"],
        clean_outputs["gpkg"],
        clean_outputs["folder"],
        write_csv(named, tmp / "named.csv"),
        write_gpkg(named, tmp / "named.gpkg"),
        write_csv(moved, tmp / "moved.csv"),
        site,
        named,
    ]
