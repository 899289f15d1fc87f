"""Differential check of the loader: an older commit against the working tree, on real
force-style extracts and hostile variants of them.

Why: speed work on the readers (issue 15) must leave every accepted value, every rejection
(reason, detail, line, raw text), every count and every note exactly as it was. The tests
prove properties; this proves sameness, by loading one corpus with both versions of
``crime_mapper`` (the old one extracted with ``git archive``) in separate processes and
comparing the results column by column: dtypes, categories in order, values, rejects and the
per-file reports.

The corpus (built fresh in a temporary folder, deterministic for a seed):

- slices of the bench's raw national force extract (bench/out, when it has been built) and a
  raw extract generated from the bundled Leicestershire month (tests/support/raw_extract.py);
- several hundred damaged copies of force extract rows: broken and doubled quotes, quoted
  line breaks, bare carriage returns, control and undecodable bytes, wrong field counts,
  blank lines, padded and odd values in every mapped column (references, coordinates, dates,
  times, offences, outcomes, flags), cp1252 files, byte order marks;
- each read with the bench profile, the same profile with automatic date format and CRS, and
  with no columns (detected from the header), one file per load and all files in one load;
- the police.uk fuzz corpus of tests/test_load_fuzz.py, in one load.

Usage (from the repository root)::

    .venv/bin/python tools/differential_load.py --old 719a4ee [--files 240] [--keep DIR]

Exit status 0 when every load is identical, 1 otherwise (the differences are printed).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
BENCH_RAW = REPO / "bench" / "out" / "2022-10-national-street-raw-force-extract.csv"
SEED = 15


# --- the corpus -------------------------------------------------------------------------------


def _bench_rows() -> tuple[bytes, list[bytes]]:
    """Header and the first rows of a real force-style extract (bench's, else generated)."""
    if BENCH_RAW.exists():
        with open(BENCH_RAW, "rb") as handle:
            lines = [handle.readline() for _ in range(40_001)]
    else:
        sys.path.insert(0, str(REPO))
        from crime_mapper.core.load.loader import load_extracts
        from crime_mapper.core.release.map_points import map_points_from_history
        from tests.support.raw_extract import make_raw_extract

        month = REPO / "sample_data" / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"
        published = load_extracts([month]).crimes
        extract = make_raw_extract(published, map_points_from_history(published), seed=SEED)
        buffer = BytesIO()
        extract.frame.to_csv(buffer, index=False)
        lines = buffer.getvalue().splitlines(keepends=True)
    lines = [line.rstrip(b"\r\n") for line in lines if line.strip()]
    return lines[0], lines[1:]


def _set(row: bytes, index: int, value: bytes) -> bytes:
    """Replace field `index` of a row (split naively: only rows without quoted commas)."""
    fields = row.split(b",")
    if index < len(fields):
        fields[index] = value
    return b",".join(fields)


def _damage(row: bytes, rng: np.random.Generator, columns: dict[str, int]) -> list[bytes]:
    """One row with one kind of damage (a list: some damage splits a row or adds one)."""
    kind = int(rng.integers(0, 40))
    at = int(rng.integers(0, max(len(row), 1)))
    plain = b'"' not in row  # naive field replacement is only right without quoted commas
    col = columns
    pick = lambda *values: values[int(rng.integers(0, len(values)))]  # noqa: E731
    if kind == 0:
        return [row[:at] + bytes([int(rng.integers(0, 256))]) + row[at + 1 :]]
    if kind == 1:
        return [row[:at]]
    if kind == 2:
        return [row[:at] + b'"' + row[at:]]
    if kind == 3:
        return [row + b',"note" with text after']
    if kind == 4:
        return [row.replace(b'"', b'"line one\r\nline two ', 1) if b'"' in row else row]
    if kind == 5:
        return [row[:at], row[at:]]
    if kind == 6:
        return [row[:at] + b"\r" + row[at:]]
    if kind == 7:
        return [row[:at] + pick(b"\x00", b"\x01", b"\x1b", b"\x7f", b"\x0c") + row[at:]]
    if kind == 8:
        return [row[:at] + pick(b"\xe9", b"\xff\xfe", b"\xc3", b"\x81") + row[at:]]
    if kind == 9:
        return [row.replace(b'"', b'"he said ""stop"", ', 1) if b'"' in row else row]
    if kind == 10:
        return [row + b",extra"]
    if kind == 11:
        return [row.replace(b",", b"", 1)]
    if kind == 12:
        return [b"", row]
    if kind == 13:
        return [row, row]
    if kind == 14:
        return [row + pick(b",", b",,", b",,,")]
    if not plain:
        return [row]
    if kind == 15:  # references with space to strip (ASCII, no-break, em space, tab)
        ref = row.split(b",")[col["crime_ref"]]
        edge = pick(b" ", b"  ", b"\t", "\u00a0".encode(), "\u2003".encode(), b"")
        return [_set(row, col["crime_ref"], pick(edge + ref, ref + edge, edge + ref + edge))]
    if kind == 16:
        return [_set(row, col["crime_ref"], pick(b"", b" ", b'""', b"\xc2\xa0"))]
    if kind in (17, 18):
        value = pick(b" 356720 ", b"3.5672e5", b"inf", b"-inf", b"nan", b"NaN", b"-", b"0",
                     b"356720.5", b"+356720", b"1,2", b" ", b"0x10", b"356_720", b"1e400",
                     b"-0", b"", b"99999999", b"\xc2\xa0356720", b'"356720"')  # fmt: skip
        return [_set(row, col[pick("x", "y")], value)]
    if kind == 19:
        return [_set(_set(row, col["x"], b""), col["y"], b"")]
    if kind == 20:
        return [_set(_set(row, col["x"], pick(b"0", b"1")), col["y"], b"0")]
    if kind == 21:
        return [_set(_set(row, col["x"], b"51.5"), col["y"], b"-1.2")]
    if kind in (22, 23):
        value = pick(b"2022-10-05", b"5/10/2022", b"31/02/2022", b"", b" 05/10/2022 ",
                     b"05/10/22", b"10/05/2022", b"2022-10-05T06:19:00", b"05-10-2022",
                     b"2022-09-30", b"01/11/2022", b"5 Oct 2022", b"2022-10-05 06:19+01:00",
                     b"\xc2\xa005/10/2022")  # fmt: skip
        return [_set(row, col["date"], value)]
    if kind == 24 and "time" in col:
        value = pick(b"", b"25:00", b" 6:19 ", b"06:19:59", b"6.19", b"noon", b"23:59")
        return [_set(row, col["time"], value)]
    if kind == 25:
        value = pick(b"Poaching", b" Burglary - residential ", b"burglary  residential", b"",
                     b"9a", b"ASB", b"Anti-Social Behaviour", b"=HYPERLINK(1)")  # fmt: skip
        return [_set(row, col["offence"], value)]
    if kind == 26 and "outcome" in col:
        value = pick(b"", b" ", b"Under investigation ", b"under investigation", b"Unknown",
                     b"Court result unavailable", b"\xc2\xa0")  # fmt: skip
        return [_set(row, col["outcome"], value)]
    if kind == 27 and "sensitive" in col:
        value = pick(b"Y", b" y ", b"Yes", b"TRUE", b"1", b"0", b"", b"restricted", b"N ")
        return [_set(row, col["sensitive"], value)]
    if kind == 28:
        return [_set(row, col["crime_ref"], "Caf\u00e9/22/1".encode())]
    return [row]


def _force_file(
    header: bytes, rows: list[bytes], rng: np.random.Generator, number: int, cols: dict
) -> bytes:
    start = int(rng.integers(0, max(len(rows) - 300, 1)))
    chosen = [
        f"{number:04x}".encode() + r[4:] for r in rows[start : start + int(rng.integers(5, 300))]
    ]
    rate = float(rng.choice([0.0, 0.01, 0.05, 0.2, 0.6]))
    body: list[bytes] = []
    for row in chosen:
        body.extend(_damage(row, rng, cols) if rng.random() < rate else [row])
    special = number % 17
    if special == 1 and body:
        body[-1] += b',"never closed'
    elif special == 2:
        body = []
    elif special == 3 and body:  # many quoted fields with line breaks: rows span lines
        body = [r.replace(b'"', b'"\n', 1) if i % 3 == 0 else r for i, r in enumerate(body)]
    newline = b"\r\n" if rng.random() < 0.5 else b"\n"
    data = newline.join([header, *body]) + (newline if rng.random() < 0.8 else b"")
    if special == 4:
        data = data.replace(b"\xc2\xa0", b"\xa0").replace("\u00e9".encode(), b"\xe9")  # cp1252
    if rng.random() < 0.05:
        data = b"\xef\xbb\xbf" + data
    return data


def build_corpus(folder: Path, files: int) -> list[dict[str, Any]]:
    """The loads to compare: [{"name", "paths", "profile"}], profiles saved as JSON."""
    sys.path.insert(0, str(REPO))
    from crime_mapper.core.load.mapping_profile import MappingProfile

    header, rows = _bench_rows()
    names = [h.strip() for h in header.decode().split(",")]
    if BENCH_RAW.exists():
        base = MappingProfile.load(BENCH_RAW.with_suffix(".profile.json"))
    else:
        from tests.support.raw_extract import make_profile

        base = make_profile("Leicestershire Police")
    cols = {role: names.index(column) for role, column in base.columns.items()}
    profiles = {
        "given": base,
        "auto-date-crs": MappingProfile.from_dict(
            {**base.__dict__, "date_format": "auto", "crs": "auto", "columns": dict(base.columns)}
        ),
        "detected": MappingProfile(name="no columns"),
    }
    profile_paths = {}
    for key, profile in profiles.items():
        profile_paths[key] = folder / f"profile-{key}.json"
        profile.save(profile_paths[key])

    rng = np.random.default_rng(SEED)
    loads: list[dict[str, Any]] = []
    whole = folder / "2022-10-real-slice.csv"
    whole.write_bytes(b"\n".join([header, *rows]) + b"\n")
    made = [whole]
    for number in range(files):
        month = ("2022-10-", "2022-09-", "")[number % 3]
        path = folder / f"{month}force-fuzz-{number:04d}.csv"
        path.write_bytes(_force_file(header, rows, rng, number, cols))
        made.append(path)
    for key in profiles:
        for path in made:
            loads.append({"name": f"{path.name} [{key}]", "paths": [str(path)],
                          "profile": str(profile_paths[key])})  # fmt: skip
        loads.append({"name": f"all force files [{key}]", "paths": [str(p) for p in made],
                      "profile": str(profile_paths[key])})  # fmt: skip

    sys.path.insert(0, str(REPO / "tests"))
    import test_load_fuzz as police_fuzz

    sources = {
        "street": police_fuzz._rows(police_fuzz.STREET),
        "outcomes": police_fuzz._rows(police_fuzz.OUTCOMES),
        "stop-and-search": police_fuzz._rows(police_fuzz.STOP_SEARCH),
    }
    rng = np.random.default_rng(police_fuzz.SEED)
    police = []
    for number in range(police_fuzz.FILES):
        kind = ("street", "street", "street", "outcomes", "stop-and-search")[number % 5]
        month = "2022-10" if kind == "street" else "2022-07"
        data, _ = police_fuzz._file(*sources[kind], rng, number)
        path = folder / f"{month}-fuzz-{number:03d}-{kind}.csv"
        path.write_bytes(data)
        police.append(str(path))
    loads.append({"name": "police.uk fuzz corpus", "paths": police, "profile": None})
    return loads


# --- loading in a child process ---------------------------------------------------------------

CHILD = r"""
import csv, pickle, sys, warnings
warnings.simplefilter("ignore")
from dataclasses import asdict
import numpy as np, pandas as pd
from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.load.mapping_profile import MappingProfile

def column(series):
    dtype = series.dtype
    categories = list(dtype.categories) if isinstance(dtype, pd.CategoricalDtype) else None
    values = series.astype(object).where(series.notna(), None).tolist()
    values = [repr(v) if isinstance(v, float) else v for v in values]  # NaN, -0.0 exact
    return (str(dtype), categories, values)

def frame(df):
    return {"columns": list(df.columns), "index": repr(df.index),
            "data": {c: column(df[c]) for c in df.columns}}

loads = pickle.load(open(sys.argv[1], "rb"))
csv.field_size_limit(2**31 - 1)
out = {}
for load in loads:
    profile = MappingProfile.load(load["profile"]) if load["profile"] else None
    try:
        r = load_extracts(load["paths"], profile=profile)
        out[load["name"]] = {"crimes": frame(r.crimes), "rejects": frame(r.rejects),
                             "stop_search": frame(r.stop_search),
                             "files": [asdict(f) for f in r.files], "profile": r.profile_name}
    except Exception as exc:
        out[load["name"]] = {"raised": f"{type(exc).__name__}: {exc}"}
pickle.dump(out, open(sys.argv[2], "wb"))
"""


def _run(code_root: Path, loads_file: Path, out_file: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(code_root))
    subprocess.run([sys.executable, "-c", CHILD, str(loads_file), str(out_file)],
                   cwd=code_root, env=env, check=True)  # fmt: skip
    with open(out_file, "rb") as handle:
        return pickle.load(handle)


def _differences(old: Any, new: Any, where: str, found: list[str]) -> None:
    if len(found) > 40:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            if key not in old or key not in new:
                found.append(f"{where}/{key}: only in {'new' if key in new else 'old'}")
            else:
                _differences(old[key], new[key], f"{where}/{key}", found)
    elif isinstance(old, (list, tuple)) and isinstance(new, (list, tuple)):
        if len(old) != len(new):
            found.append(f"{where}: {len(old)} items before, {len(new)} now")
        for i, (a, b) in enumerate(zip(old, new)):
            if a != b:
                _differences(a, b, f"{where}[{i}]", found)
    elif old != new:
        found.append(f"{where}: {old!r:.200} before, {new!r:.200} now")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", required=True, help="the git commit to compare against")
    parser.add_argument("--files", type=int, default=240, help="damaged force files")
    parser.add_argument("--keep", type=Path, help="build the corpus here and keep it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        old_root = work / "old"
        old_root.mkdir(exist_ok=True)
        archive = subprocess.run(["git", "archive", args.old, "crime_mapper"], cwd=REPO,
                                 capture_output=True, check=True).stdout  # fmt: skip
        tarfile.open(fileobj=BytesIO(archive)).extractall(old_root)
        corpus = work / "corpus"
        corpus.mkdir(exist_ok=True)
        loads = build_corpus(corpus, args.files)
        loads_file = work / "loads.pickle"
        loads_file.write_bytes(pickle.dumps(loads))
        old = _run(old_root, loads_file, work / "old.pickle")
        new = _run(REPO, loads_file, work / "new.pickle")
        found: list[str] = []
        _differences(old, new, "", found)
        rows = sum(len(v["crimes"]["data"].get("record_id", (0, 0, []))[2]) for v in old.values()
                   if "crimes" in v)  # fmt: skip
        rejects = sum(len(v["rejects"]["data"].get("reason", (0, 0, []))[2])
                      for v in old.values() if "rejects" in v)  # fmt: skip
        reasons: dict[str, int] = {}
        for v in old.values():
            for reason in v.get("rejects", {}).get("data", {}).get("reason", (0, 0, []))[2]:
                reasons[reason] = reasons.get(reason, 0) + 1
        print(f"{len(loads)} loads; {rows:,} accepted and {rejects:,} rejected rows before")
        print("rejection reasons covered: " + json.dumps(dict(sorted(reasons.items()))))
        if found:
            print("DIFFERENT:\n" + "\n".join(found[:40]))
            return 1
        print("identical: every crimes table, reject, stop-and-search table and file report")
        return 0


if __name__ == "__main__":
    sys.exit(main())
