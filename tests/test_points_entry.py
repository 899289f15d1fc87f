"""The manifest's map points entry (issue 15): the fingerprint joins exact-str columns without
a str() per value, and a map points file read for a release is hashed once, as it was read.
Both must give exactly the entry the direct forms give."""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from crime_mapper.core.release import pipeline, release_files
from crime_mapper.core.release.map_points import write_map_points_csv
from crime_mapper.core.release.map_points_files import history_points
from crime_mapper.core.release.release_files import map_points_file_entry, points_fingerprint
from tests.support.plain_cli import HISTORY


def _direct_fingerprint(points) -> str:
    """points_fingerprint as it was written before the shortcut: str() of every value."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(points.longitude, dtype="<f8").tobytes())
    digest.update(np.ascontiguousarray(points.latitude, dtype="<f8").tobytes())
    for column in (points.label, points.lsoa_code, points.lsoa_name):
        digest.update("\x1f".join(str(v) for v in column).encode("utf-8"))
    return digest.hexdigest()


class Loud(str):
    def __str__(self) -> str:
        return self.upper()


def _objects(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


HOSTILE = {
    "plain": ["High Street", "", "Mill Lane"],
    "subclass-with-its-own-str": ["High Street", Loud("quiet lane"), ""],
    "numpy-str": [np.str_("High Street"), "x", ""],
    "not-text": [None, 3, 2.5],
    "separators-and-nul": ["a\x1fb", "c\x00d", "\u00e9\U0001f600"],
    "empty": [],
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
@pytest.mark.parametrize("container", ["array", "list"])
def test_the_fingerprint_is_the_str_of_every_value(kind, container):
    values = HOSTILE[kind]
    n = len(values)
    column = _objects(values) if container == "array" else list(values)
    points = SimpleNamespace(
        longitude=np.linspace(-1, 1, n), latitude=np.linspace(50, 51, n),
        label=column, lsoa_code=column[::-1], lsoa_name=column,
    )  # fmt: skip
    assert points_fingerprint(points) == _direct_fingerprint(points)


def test_the_real_map_points_fingerprint():
    points = history_points(list(HISTORY))
    assert points_fingerprint(points) == _direct_fingerprint(points)


def test_a_map_points_file_is_hashed_once_and_described_as_read(tmp_path, monkeypatch):
    path = tmp_path / "points.csv"
    write_map_points_csv(history_points(list(HISTORY)), path)
    hashed: list[str] = []
    real = release_files.sha256_file

    def counted(file):
        hashed.append(Path(file).name)
        return real(file)

    monkeypatch.setattr(release_files, "sha256_file", counted)
    resolved, entry = pipeline.resolve_points(str(path), None, pipeline.Feedback())
    assert hashed == ["points.csv"]
    direct = map_points_file_entry(resolved, str(path))  # (the file is unchanged)
    assert entry == direct and list(entry) == list(direct)
    assert entry["files"] == [release_files.file_entry(path)]
