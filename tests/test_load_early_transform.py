"""A force extract's WGS84 transform started early gives the load the transform read_force
would have made.

Issue 15: the transform (PROJ, 0.3 s for 500,000 rows) used to start only once read_force
had the coordinates; it now starts on the scan's provisional coordinates, beside the rows'
checks (readers.EarlyTransform, textscan.scan_body's ``on_numbers``). Those coordinates are
provisional: the checks may send the file to be parsed again. So read_force takes the early
result only when its own coordinates are bit for bit the ones it started from, with the same
CRS. Here: damaged and hostile force files load identically with and without it, and it is
refused whenever its inputs differ in any bit.
"""

from __future__ import annotations

import dataclasses
import sys
from io import BytesIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.load import readers, textscan
from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.load.mapping_profile import MappingProfile
from tests.support.raw_extract import make_raw_extract

ROOT = Path(__file__).resolve().parent.parent
LEICS_OCT = ROOT / "sample_data" / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"
sys.path.insert(0, str(ROOT / "tools"))
import differential_load  # noqa: E402


@pytest.fixture(scope="module")
def force_csv() -> tuple[bytes, MappingProfile]:
    from crime_mapper.core.release.map_points import map_points_from_history

    published = load_extracts([LEICS_OCT]).crimes
    extract = make_raw_extract(published, map_points_from_history(published), seed=16)
    buffer = BytesIO()
    extract.frame.to_csv(buffer, index=False)
    return buffer.getvalue(), extract.profile


def _facts(result) -> tuple:
    crimes = result.crimes
    categories = {
        c: list(crimes[c].cat.categories)
        for c in crimes.columns
        if isinstance(crimes[c].dtype, pd.CategoricalDtype)
    }
    files = [{k: v for k, v in vars(f).items() if k != "seconds"} for f in result.files]
    return crimes, categories, result.rejects, files


def _load_both_ways(path: Path, profile: MappingProfile, monkeypatch) -> list:
    """The load with the early transform, then without it; the early transform's takes."""
    taken: list[bool] = []
    take = readers.EarlyTransform.take

    def spy(self, *args):
        result = take(self, *args)
        taken.append(result is not None)
        return result

    with monkeypatch.context() as patch:
        # every body large enough for the checks beside the parse (where it starts)
        patch.setattr(textscan, "_CHECK_BESIDE_FROM_BYTES", 0)
        patch.setattr(textscan, "_HALVES_FROM_BYTES", 0)
        patch.setattr(readers.EarlyTransform, "take", spy)
        early = _facts(load_extracts([path], profile=profile))
        takes = list(taken)
        patch.setattr(readers.EarlyTransform, "start", lambda self, numbers: None)
        late = _facts(load_extracts([path], profile=profile))
    pd.testing.assert_frame_equal(early[0], late[0])
    assert early[1] == late[1]
    pd.testing.assert_frame_equal(early[2], late[2])
    assert early[3] == late[3]
    for column in ("longitude", "latitude"):
        assert early[0][column].to_numpy().tobytes() == late[0][column].to_numpy().tobytes()
    return takes


@pytest.mark.parametrize("crs", ["EPSG:27700", "auto", "EPSG:4326"])
def test_damaged_force_files_load_the_same_with_the_early_transform(
    crs, force_csv, tmp_path, monkeypatch
):
    """Damaged copies (wrong field counts, quoted line breaks, odd and blank coordinates,
    spaces, control bytes...) of a force extract, with the profile's CRS given, guessed and
    wrong (degrees for metres: every point outside the UK), load identically; the early
    transform is taken on clean files and on some damaged ones, and refused on others."""
    data, profile = force_csv
    profile = dataclasses.replace(profile, crs=crs)
    header, *rows = [r for r in data.split(b"\n") if r]
    names = header.decode().split(",")
    columns = {role: names.index(c) for role, c in profile.columns.items() if c in names}
    rng = np.random.default_rng(25)
    takes = []
    for number in range(14):
        body = []
        for row in rows[:250]:
            if number and rng.random() < 0.02 * (number % 5):
                body.extend(differential_load._damage(row, rng, columns))
            else:
                body.append(row)
        path = tmp_path / f"force-{number}.csv"
        path.write_bytes(b"\n".join([header, *body]) + (b"\n" if number % 3 else b""))
        takes.append(_load_both_ways(path, profile, monkeypatch))
    assert takes[0] == [True]  # the clean file
    assert any(t == [True] for t in takes[1:]), takes
    assert any(t != [True] for t in takes[1:]), takes  # (refused, or never started)


def test_a_coordinate_that_is_not_plain_is_transformed_again(force_csv, tmp_path, monkeypatch):
    """A coordinate pandas reads as a number but the checks do not prove plain (an exponent,
    a leading plus, spaces): the file is parsed again and its own transform is made."""
    data, profile = force_csv
    header, *rows = [r for r in data.split(b"\n") if r]
    names = header.decode().split(",")
    x = names.index(profile.columns["x"])
    for odd in (b"4.5e5", b"+450000", b" 450000", b"450000.000000000000001"):
        fields = rows[5].split(b",")
        if b'"' in rows[5]:
            continue
        fields[x] = odd
        body = [*rows[:5], b",".join(fields), *rows[6:200]]
        path = tmp_path / "odd.csv"
        path.write_bytes(b"\n".join([header, *body]) + b"\n")
        _load_both_ways(path, profile, monkeypatch)


def test_take_refuses_any_other_bits_or_crs():
    early = readers.EarlyTransform("x", "y", "EPSG:27700")
    x = np.array([450000.0, 0.0, np.nan, 451000.5])
    y = np.array([300000.0, 300001.0, np.nan, 299999.25])
    early.start({"x": x.copy(), "y": y.copy()})
    got = early.take(x, y, "EPSG:27700")
    assert got is not None
    expected = readers.geography.to_wgs84(x, y, "EPSG:27700")
    lon, lat = got()
    assert lon.tobytes() == expected[0].tobytes() and lat.tobytes() == expected[1].tobytes()
    negative_zero = x.copy()
    negative_zero[1] = -0.0
    other_nan = x.copy()
    other_nan.view(np.uint64)[2] = 0x7FF8000000000001  # another NaN: its payload differs
    assert other_nan.tobytes() != x.tobytes()
    for xs, ys, crs in [
        (negative_zero, y, "EPSG:27700"),
        (other_nan, y, "EPSG:27700"),
        (x, y[::-1].copy(), "EPSG:27700"),
        (x[:3], y[:3], "EPSG:27700"),
        (x.astype(np.float32), y, "EPSG:27700"),
        (x, y, "EPSG:29903"),
        (x, y, "epsg:27700"),
    ]:
        assert early.take(xs, ys, crs) is None, (xs, ys, crs)


def test_nothing_starts_without_both_columns():
    early = readers.EarlyTransform("x", "y", "EPSG:27700")
    early.start({"x": np.zeros(3)})
    assert early.take(np.zeros(3), np.zeros(3), "EPSG:27700") is None
    same = readers.EarlyTransform("x", "x", "EPSG:27700")
    same.start({"x": np.zeros(3)})
    assert same.take(np.zeros(3), np.zeros(3), "EPSG:27700") is None


def test_a_refused_transform_has_finished_before_another_starts(monkeypatch):
    """Two transforms never run at once (a pyproj before 3.1 shares a transformer's PROJ
    context between threads): a refused early transform is waited for, its error unwanted."""
    import time

    finished = []

    def slow(x, y, crs):
        time.sleep(0.2)
        finished.append(crs)
        raise ValueError("not wanted")

    monkeypatch.setattr(readers.geography, "to_wgs84", slow)
    early = readers.EarlyTransform("x", "y", "EPSG:27700")
    early.start({"x": np.zeros(3), "y": np.zeros(3)})
    assert early.take(np.ones(3), np.zeros(3), "EPSG:27700") is None
    assert finished == ["EPSG:27700"]
