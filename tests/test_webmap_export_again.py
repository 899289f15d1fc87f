"""The web map exported beside its release (``<release>/map``, as the README advises) can
be exported again from the same folder: the folder's files inside the export (its copies of
the release's CSVs, under ``map/downloads``) or inside a staging folder a killed export left
(``.map.staging-...``) are not read as inputs (core.publish.webmap_inputs.
scan_release_inputs' ``skip``). The second export read every crime twice and was refused as
"the same file given twice" (found by a hostile-input sweep). Real police.uk month, real
exports.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from crime_mapper.core.publish.webmap_export import WebmapOptions, export_webmap
from crime_mapper.core.publish.webmap_inputs import WebmapInputError, scan_release_inputs

STREET = Path(__file__).resolve().parents[1] / "sample_data/police-uk/2022-10"
STREET = STREET / "2022-10-leicestershire-street.csv"


def _export(folder: Path, out: Path):
    return export_webmap(WebmapOptions(inputs=[folder], out_dir=out, tiles="none"))


def test_a_release_folder_exports_its_map_again(tmp_path):
    release = tmp_path / "2022-10"
    release.mkdir()
    shutil.copy(STREET, release)
    first = _export(release, release / "map")
    assert (release / "map" / "downloads").is_dir()
    second = _export(release, release / "map")
    assert (second.crimes, second.points) == (first.crimes, first.points)


def test_a_staging_folder_left_beside_the_map_is_not_read(tmp_path):
    release = tmp_path / "2022-10"
    release.mkdir()
    shutil.copy(STREET, release)
    first = _export(release, release / "map")
    left = release / ".map.staging-1-2-abc" / "downloads"
    left.mkdir(parents=True)
    shutil.copy(STREET, left / "2022-10-street.csv")
    assert _export(release, release / "map").crimes == first.crimes
    names = [f.name for f in scan_release_inputs([release], skip=release / "map")]
    assert names == [STREET.name]


def test_another_folders_copy_is_still_read(tmp_path):
    """(the control: only the export's own folder is left out; a copy elsewhere in the
    input folder is an input, and the same month twice is refused as before)"""
    release = tmp_path / "2022-10"
    (release / "other").mkdir(parents=True)
    shutil.copy(STREET, release)
    shutil.copy(STREET, release / "other" / "2022-10-street.csv")
    with pytest.raises(WebmapInputError, match="given twice"):
        _export(release, release / "map")
