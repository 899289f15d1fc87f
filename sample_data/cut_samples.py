"""Cut the bundled sample data from the full public files (run once, by hand).

Why a script: the slices must be reproducible and byte-faithful. Rows are selected by parsing
each line with the csv module, but the ORIGINAL line bytes are written (header, quoting, CRLF
line endings untouched), so the samples look exactly like the files police.uk publishes.

Usage (from the repository root):
    /usr/bin/python3 sample_data/cut_samples.py [SHARED_DATA_DIR]   # default ../shared/data
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _records(path: Path) -> tuple[bytes, list[tuple[bytes, list[str]]]]:
    """Header line and (original line bytes, parsed fields) for every data line."""
    lines = path.read_bytes().splitlines(keepends=True)
    out = []
    for raw in lines[1:]:
        text = raw.decode("utf-8")
        if text.count('"') % 2:
            raise ValueError(f"{path}: a quoted field spans lines; line filtering is unsafe")
        out.append((raw, next(csv.reader([text.rstrip("\r\n")]))))
    return lines[0], out


def cut(src: Path, dst: Path, keep: Callable[[dict[str, str]], bool]) -> list[dict[str, str]]:
    """Write the header and the lines of src whose row satisfies keep(); return kept rows."""
    header, records = _records(src)
    names = next(csv.reader([header.decode("utf-8-sig").rstrip("\r\n")]))
    dst.parent.mkdir(parents=True, exist_ok=True)
    kept = []
    with dst.open("wb") as fh:
        fh.write(header)
        for raw, fields in records:
            row = dict(zip(names, fields))
            if keep(row):
                fh.write(raw)
                kept.append(row)
    return kept


def city_or_no_location(prefix: str) -> Callable[[dict[str, str]], bool]:
    return lambda row: row["LSOA name"].startswith(prefix) or row["Longitude"].strip() == ""


def main(shared: Path) -> None:
    police = shared / "police-uk"
    out = HERE / "police-uk"
    for month in ("2022-09", "2022-10"):
        name = f"{month}-leicestershire-street.csv"
        cut(police / "leicestershire" / name, out / month / name, city_or_no_location("Leicester "))

    nb = police / "northumbria"
    street = cut(
        nb / "2022-07-northumbria-street.csv",
        out / "2022-07" / "2022-07-northumbria-street.csv",
        city_or_no_location("Newcastle upon Tyne "),
    )
    ids = {r["Crime ID"] for r in street if r["Crime ID"]}
    unmatched = 0

    def keep_outcome(row: dict[str, str]) -> bool:
        nonlocal unmatched
        if row["Crime ID"] in ids:
            return True
        if unmatched < 200:
            unmatched += 1
            return True
        return False

    cut(
        nb / "2022-07-northumbria-outcomes.csv",
        out / "2022-07" / "2022-07-northumbria-outcomes.csv",
        keep_outcome,
    )
    shutil.copyfile(
        nb / "2022-07-northumbria-stop-and-search.csv",
        out / "2022-07" / "2022-07-northumbria-stop-and-search.csv",
    )

    # A monthly archive laid out like the data.police.uk download (members under YYYY-MM/).
    with zipfile.ZipFile(out / "2022-10.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        member = "2022-10/2022-10-leicestershire-street.csv"
        info = zipfile.ZipInfo(member, date_time=(2022, 12, 1, 0, 0, 0))  # fixed: reproducible
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        zf.writestr(info, (out / member).read_bytes())

    # Leicester city LSOAs (names start "Leicester "), all properties kept.
    geo = json.loads(
        (shared / "boundaries" / "LSOA_Dec_2011_BSC_leicestershire_force_area.geojson").read_text(
            encoding="utf-8"
        )
    )
    geo["features"] = [
        f for f in geo["features"] if f["properties"]["LSOA11NM"].startswith("Leicester ")
    ]
    (HERE / "boundaries").mkdir(exist_ok=True)
    (HERE / "boundaries" / "LSOA_Dec_2011_BSC_leicester_city.geojson").write_text(
        json.dumps(geo, separators=(",", ":")) + "\n", encoding="utf-8"
    )

    (HERE / "population").mkdir(exist_ok=True)
    pop = "lsoa11_mid2018_population_leicestershire_force_area.csv"
    shutil.copyfile(shared / "population" / pop, HERE / "population" / pop)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent.parent / "shared" / "data")
