"""Generate a national-scale month of street-level crime in the police.uk street CSV format.

Why: the speed targets are stated for a national month (about 500,000 crimes), and the real
files we hold cover two forces. This builds a realistic stand-in, deterministically:

- Rows are resampled from the real police.uk street files (../shared/data if present, else the
  repository's sample_data), so the category mix, the outcome mix for each category, the
  clustering of crimes on map points and the "On or near ..." labels (including the empty
  ones) are real.
- Each real point keeps its offset from its own force's centre and is moved to one of ~50
  urban centres across England and Wales, chosen by rough built-up-area population weights;
  offsets shrink for smaller towns. Coordinates keep police.uk's 6 decimals. Points that would
  fall in the sea (outside geography.UK_OUTLINE) are mirrored, then pulled inland.
- Crime IDs are fresh 64-hex strings (blank for anti-social behaviour, as published), LSOA
  codes/names follow the E01/W01 + "<district> 012A" pattern, about 0.5% of rows have no
  location (blank coordinates, "No Location", blank LSOA), and about 0.3% of labels carry a
  comma so the CSV needs quoting, as some police.uk labels do.
- Rows are grouped by force, rows without a location last in each force, like a
  concatenation of the monthly force files. CRLF line endings, no BOM, as published.

Usage:
    /usr/bin/python3 -m bench.generate_national_month [--rows 500000] [--seed 20221]
        [--month 2022-10] [--out bench/out/2022-10-national-street.csv]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "bench" / "out"
DEFAULT_ROWS = 500_000
DEFAULT_SEED = 20221
DEFAULT_MONTH = "2022-10"

STREET_HEADER = [
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
]  # fmt: skip

# (centre name, force, latitude, longitude, weight ~ built-up-area population in millions).
# London is split into five centres so the capital is not one dense blob.
CENTRES: tuple[tuple[str, str, float, float, float], ...] = (
    ("Westminster", "Metropolitan Police Service", 51.5074, -0.1278, 2.2),
    ("Enfield", "Metropolitan Police Service", 51.6200, -0.0900, 1.6),
    ("Croydon", "Metropolitan Police Service", 51.3762, -0.0982, 1.7),
    ("Newham", "Metropolitan Police Service", 51.5300, 0.0300, 1.7),
    ("Ealing", "Metropolitan Police Service", 51.5130, -0.3050, 1.6),
    ("Birmingham", "West Midlands Police", 52.4862, -1.8904, 1.8),
    ("Wolverhampton", "West Midlands Police", 52.5870, -2.1288, 0.6),
    ("Coventry", "West Midlands Police", 52.4068, -1.5197, 0.37),
    ("Manchester", "Greater Manchester Police", 53.4808, -2.2426, 1.9),
    ("Bolton", "Greater Manchester Police", 53.5769, -2.4282, 0.6),
    ("Leeds", "West Yorkshire Police", 53.8008, -1.5491, 0.8),
    ("Bradford", "West Yorkshire Police", 53.7960, -1.7594, 0.55),
    ("Liverpool", "Merseyside Police", 53.4084, -2.9916, 0.9),
    ("Sheffield", "South Yorkshire Police", 53.3811, -1.4701, 0.68),
    ("Newcastle upon Tyne", "Northumbria Police", 54.9783, -1.6178, 0.8),
    ("Sunderland", "Northumbria Police", 54.9069, -1.3838, 0.28),
    ("Middlesbrough", "Cleveland Police", 54.5742, -1.2350, 0.37),
    ("Bristol", "Avon and Somerset Constabulary", 51.4545, -2.5879, 0.7),
    ("Nottingham", "Nottinghamshire Police", 52.9548, -1.1581, 0.73),
    ("Leicester", "Leicestershire Police", 52.6369, -1.1398, 0.55),
    ("Derby", "Derbyshire Constabulary", 52.9225, -1.4746, 0.26),
    ("Stoke-on-Trent", "Staffordshire Police", 53.0027, -2.1794, 0.37),
    ("Southampton", "Hampshire Constabulary", 50.9097, -1.4044, 0.25),
    ("Portsmouth", "Hampshire Constabulary", 50.8198, -1.0880, 0.24),
    ("Brighton and Hove", "Sussex Police", 50.8225, -0.1372, 0.29),
    ("Plymouth", "Devon and Cornwall Police", 50.3755, -4.1427, 0.26),
    ("Exeter", "Devon and Cornwall Police", 50.7184, -3.5339, 0.13),
    ("Bournemouth", "Dorset Police", 50.7192, -1.8808, 0.4),
    ("Reading", "Thames Valley Police", 51.4543, -0.9781, 0.3),
    ("Milton Keynes", "Thames Valley Police", 52.0406, -0.7594, 0.23),
    ("Oxford", "Thames Valley Police", 51.7520, -1.2577, 0.15),
    ("Cambridge", "Cambridgeshire Constabulary", 52.2053, 0.1218, 0.15),
    ("Norwich", "Norfolk Constabulary", 52.6309, 1.2974, 0.2),
    ("Ipswich", "Suffolk Constabulary", 52.0567, 1.1482, 0.14),
    ("Northampton", "Northamptonshire Police", 52.2405, -0.9027, 0.22),
    ("Kingston upon Hull", "Humberside Police", 53.7676, -0.3274, 0.26),
    ("York", "North Yorkshire Police", 53.9590, -1.0815, 0.2),
    ("Preston", "Lancashire Constabulary", 53.7632, -2.7031, 0.33),
    ("Blackpool", "Lancashire Constabulary", 53.8175, -3.0357, 0.24),
    ("Gloucester", "Gloucestershire Constabulary", 51.8642, -2.2382, 0.13),
    ("Swindon", "Wiltshire Police", 51.5558, -1.7797, 0.22),
    ("Luton", "Bedfordshire Police", 51.8787, -0.4200, 0.26),
    ("Chelmsford", "Essex Police", 51.7356, 0.4685, 0.17),
    ("Southend-on-Sea", "Essex Police", 51.5459, 0.7077, 0.3),
    ("Maidstone", "Kent Police", 51.2704, 0.5227, 0.17),
    ("Guildford", "Surrey Police", 51.2362, -0.5704, 0.15),
    ("Watford", "Hertfordshire Constabulary", 51.6565, -0.3903, 0.13),
    ("Lincoln", "Lincolnshire Police", 53.2307, -0.5406, 0.13),
    ("Carlisle", "Cumbria Constabulary", 54.8925, -2.9329, 0.1),
    ("Worcester", "West Mercia Police", 52.1936, -2.2216, 0.1),
    ("Cardiff", "South Wales Police", 51.4816, -3.1791, 0.48),
    ("Swansea", "South Wales Police", 51.6214, -3.9436, 0.3),
    ("Newport", "Gwent Police", 51.5842, -2.9977, 0.15),
    ("Wrexham", "North Wales Police", 53.0462, -2.9930, 0.07),
    ("Aberystwyth", "Dyfed-Powys Police", 52.4153, -4.0829, 0.03),
)
WELSH_FORCES = {"South Wales Police", "Gwent Police", "North Wales Police", "Dyfed-Powys Police"}

NO_LOCATION_SHARE = 0.005
COMMA_LABEL_SHARE = 0.003
COMMA_SUFFIXES = ("Car Park", "Shopping Area", "Petrol Station", "Supermarket", "Sports Area")


def source_files() -> list[Path]:
    """Real street files to resample: the shared data if this checkout has it, else samples."""
    shared = REPO.parent / "shared" / "data" / "police-uk"
    files = sorted(shared.glob("*/*-street.csv")) if shared.is_dir() else []
    if not files:
        files = sorted((REPO / "sample_data" / "police-uk").glob("*/*-street.csv"))
    if not files:
        raise SystemExit("no police.uk street files found to resample")
    return files


def load_sources(files: list[Path]) -> pd.DataFrame:
    """The located real rows with their offset (degrees) from their force's median point."""
    frames = []
    for force_no, path in enumerate(files):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        frame["force_no"] = force_no
        frames.append(frame)
    real = pd.concat(frames, ignore_index=True)
    real = real[real["Longitude"] != ""].copy()
    real["lon"] = real["Longitude"].astype(float)
    real["lat"] = real["Latitude"].astype(float)
    # centre per force (the Reported by column), robust to outliers
    centre = real.groupby("Reported by")[["lon", "lat"]].transform("median")
    real["dlat"] = real["lat"] - centre["lat"]
    real["dlon_eq"] = (real["lon"] - centre["lon"]) * np.cos(np.radians(centre["lat"]))
    return real.reset_index(drop=True)


def generate(
    rows: int = DEFAULT_ROWS,
    seed: int = DEFAULT_SEED,
    month: str = DEFAULT_MONTH,
    sources: list[Path] | None = None,
) -> pd.DataFrame:
    """The national month as a DataFrame of strings/floats in police.uk street column order."""
    from crime_mapper.core.common.geography import inside_uk

    rng = np.random.default_rng(seed)
    real = load_sources(sources or source_files())

    names = np.array([c[0] for c in CENTRES])
    forces = np.array([c[1] for c in CENTRES])
    c_lat = np.array([c[2] for c in CENTRES])
    c_lon = np.array([c[3] for c in CENTRES])
    weight = np.array([c[4] for c in CENTRES])
    # smaller towns: a tighter cloud (a Leicestershire-sized spread only for big cities)
    spread = np.clip(0.35 + 0.65 * np.sqrt(weight / 1.0), 0.35, 1.0)

    pick = rng.integers(0, len(real), rows)
    centre = rng.choice(len(CENTRES), size=rows, p=weight / weight.sum())
    src = real.iloc[pick]

    dlat = src["dlat"].to_numpy() * spread[centre]
    dlon = src["dlon_eq"].to_numpy() * spread[centre] / np.cos(np.radians(c_lat[centre]))
    lat = c_lat[centre] + dlat
    lon = c_lon[centre] + dlon
    outside = ~inside_uk(lon, lat)
    lat[outside] = c_lat[centre[outside]] - dlat[outside]  # mirror through the centre
    lon[outside] = c_lon[centre[outside]] - dlon[outside]
    still = ~inside_uk(lon, lat)
    lat[still] = c_lat[centre[still]] + dlat[still] * 0.2  # last resort: pull in close
    lon[still] = c_lon[centre[still]] + dlon[still] * 0.2
    lon, lat = np.round(lon, 6), np.round(lat, 6)

    location = src["Location"].to_numpy(dtype=object).copy()
    # a few labels with a comma, consistent per (source point, centre) so points stay points
    point_key = (pick.astype(np.int64) * 7919 + centre) % 10_000
    comma = point_key < COMMA_LABEL_SHARE * 10_000
    suffix = np.array(COMMA_SUFFIXES, dtype=object)[point_key % len(COMMA_SUFFIXES)]
    location[comma] = location[comma] + ", " + suffix[comma]

    # LSOA: one synthetic code per (real LSOA, centre); name "<centre> 012A"
    lsoa_idx, _ = pd.factorize(src["LSOA code"].to_numpy())
    lsoa_serial, _ = pd.factorize(centre.astype(np.int64) * 1_000_000 + lsoa_idx, sort=True)
    welsh = np.isin(forces[centre], list(WELSH_FORCES))
    codes = np.char.add(
        np.where(welsh, "W01", "E01"), np.char.zfill((lsoa_serial + 1).astype(str), 6)
    )
    letters = np.array(list("ABCDE"))
    lsoa_names = np.char.add(
        np.char.add(names[centre], " "),
        np.char.add(np.char.zfill((lsoa_idx // 5 + 1).astype(str), 3), letters[lsoa_idx % 5]),
    )

    crime_type = src["Crime type"].to_numpy(dtype=object)
    outcome = src["Last outcome category"].to_numpy(dtype=object)
    ids = np.frombuffer(rng.bytes(32 * rows).hex().encode("ascii"), dtype="S64").astype(str)
    ids = np.where(crime_type == "Anti-social behaviour", "", ids)

    frame = pd.DataFrame({
        "Crime ID": ids,
        "Month": month,
        "Reported by": forces[centre],
        "Falls within": forces[centre],
        "Longitude": lon,
        "Latitude": lat,
        "Location": location,
        "LSOA code": codes.astype(object),
        "LSOA name": lsoa_names.astype(object),
        "Crime type": crime_type,
        "Last outcome category": outcome,
        "Context": "",
    })  # fmt: skip

    no_loc = rng.random(rows) < NO_LOCATION_SHARE
    frame.loc[no_loc, ["Longitude", "Latitude"]] = np.nan
    frame.loc[no_loc, "Location"] = "No Location"
    frame.loc[no_loc, ["LSOA code", "LSOA name"]] = ""

    # like a concatenation of force files: force blocks, rows without a location last
    order = np.lexsort((no_loc, forces[centre]))
    return frame.iloc[order].reset_index(drop=True)


def write(frame: pd.DataFrame, path: Path) -> Path:
    """Write in the published byte format (CRLF, minimal quoting, 6-decimal coordinates)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    frame.to_csv(
        tmp,
        index=False,
        float_format="%.6f",
        quoting=csv.QUOTE_MINIMAL,
        lineterminator="\r\n",
        encoding="utf-8",
    )
    tmp.replace(path)
    return path


def default_path(month: str = DEFAULT_MONTH) -> Path:
    return OUT_DIR / f"{month}-national-street.csv"


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--month", default=DEFAULT_MONTH)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    frame = generate(args.rows, args.seed, args.month)
    path = write(frame, args.out or default_path(args.month))
    size = path.stat().st_size / 1e6
    print(
        f"wrote {len(frame):,} rows, {size:.1f} MB to {path} "
        f"in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return path


if __name__ == "__main__":
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    main()
