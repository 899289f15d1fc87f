"""The monthly release projects its crimes for the hotspots once: the hotspot check made as
soon as the crimes are read (core.hotspots.cell_budget) hands its projection to the hotspots
step, which reads the same crimes back from the crimes GeoPackage and projected them again
(0.33 s of CPU on the national month). Taken only for exactly the same points, so the
hotspot layers are the same bytes.

Real runs: the bundled release (sample_data/release.toml) with real QGIS; the projection is
counted where it chooses its CRS (core.common.projection.choose_crs, called once per
projection), the real function running underneath.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from crime_mapper.core.common import projection
from crime_mapper.core.hotspots.cell_budget import Projected, project_for_hotspots
from crime_mapper.core.monthly.config import read_config
from crime_mapper.core.monthly.release import run_monthly_release
from tests.support.monthly_config import MONTH, config_file

LON = np.array([-1.14, -1.13, -1.12, -1.10])
LAT = np.array([52.63, 52.64, 52.62, 52.61])


def test_an_answer_is_given_back_only_for_its_own_points():
    x, y, crs = project_for_hotspots(LON, LAT)
    known = Projected(LON, LAT, x, y, crs)
    again = project_for_hotspots(LON.copy(), LAT.copy(), known=known)
    assert again[0] is x and again[1] is y and again[2] == crs
    moved = LON.copy()
    moved[2] += 1e-9
    other = project_for_hotspots(moved, LAT, known=known)
    assert other[0] is not x and other[0][2] != x[2]
    np.testing.assert_array_equal(other[0], project_for_hotspots(moved, LAT)[0])
    reordered = project_for_hotspots(LON[::-1], LAT[::-1], known=known)
    np.testing.assert_array_equal(reordered[0], x[::-1])


def _release(tmp_path: Path, monkeypatch, reuse: bool) -> tuple[int, dict[str, bytes]]:
    """(how many times the crimes were projected, the hotspot files' bytes) of the bundled
    release with hotspots, without QA or publishing; ``reuse`` False: every answer refused."""
    from crime_mapper.qgis_bridge.monthly_release import QgisStepRunners

    config = read_config(config_file(tmp_path))
    config.qa.enabled = False
    config.publish.summaries = config.publish.web_map = config.publish.project = False
    calls: list[int] = []
    choose = projection.choose_crs

    def counted(lon, lat, *args, **kwargs):
        calls.append(np.size(lon))
        return choose(lon, lat, *args, **kwargs)

    monkeypatch.setattr(projection, "choose_crs", counted)
    if not reuse:
        monkeypatch.setattr(Projected, "answers", lambda self, lon, lat: False)
    done = run_monthly_release(config, MONTH, runners=QgisStepRunners())
    monkeypatch.undo()
    located = max(calls)
    files = {p.name: p.read_bytes() for p in (done.out_dir / "internal").glob("hotspots_*")}
    assert {name.rsplit(".", 1)[1] for name in files} == {"gpkg", "tif", "qml"}, sorted(files)
    return calls.count(located), files


def test_the_hotspots_step_takes_the_checks_projection_and_writes_the_same_bytes(
    tmp_path, monkeypatch
):
    once, reused = _release(tmp_path / "reused", monkeypatch, reuse=True)
    twice, projected = _release(tmp_path / "projected", monkeypatch, reuse=False)
    assert (once, twice) == (1, 2)
    assert reused == projected
