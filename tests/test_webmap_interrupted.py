"""``webmap`` stopped by Ctrl-C (SIGINT) or SIGTERM at each moment of its staging and swap
leaves the previous map whole (or, once the new one is in place, the new one) and nothing
beside it.

Why: the staging folder (``.map.staging-*``) was registered for removal only once it was
made and held, and once the folder was written it was removed by nobody until the gate
began (an interrupt between any two lines there left it beside the map until the next
export); the swap set the previous map aside (``.map.old-*``) and put it back only when
the second rename failed with an OSError, so an interrupt between the two renames left no
map at all, the previous one hidden, and the new one removed; one just after them left
the previous map beside the new one. Now the staging folder is named (and so removed on
any interrupt) before it is made, and the swap puts the previous map back, or removes it,
whatever is raised (core.publish.webmap_export._swap_folder).

The real command line (the sample's September street CSV, no raw crimes) over a real
previous export of October, interrupted at the first line of the export's code run once
each moment has come (tests.support.interrupted_cli).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.interrupted_cli import assert_stopped_in_order, interrupted_cli
from tests.support.qgis_process import REPO, child_env

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")

OCT = REPO / "sample_data" / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"
SEP = REPO / "sample_data" / "police-uk" / "2022-09" / "2022-09-leicestershire-street.csv"
TRACED = ["crime_mapper.core.publish.webmap_export", "crime_mapper.core.publish.webmap_staging"]
STAGING = "any(n.startswith('.map.staging-') for n in names)"
ASIDE = "any(n.startswith('.map.old-') for n in names)"

#: moment -> (when it has come, whether the new map is in place after the interrupt)
MOMENTS = {
    "staging folder made": (STAGING, False),
    "folder written, before the gate": (
        f"{STAGING} and frame.f_code.co_name == '_gate_and_commit'",
        False,
    ),
    "previous map set aside": (f"'map' not in names and {ASIDE}", False),
    "new map in place": (f"'map' in names and {ASIDE} and not {STAGING}", True),
}


def _export(csv: Path, out: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "crime_mapper.cli", "webmap", csv, "--out", out, "--tiles", "none"],
        cwd=REPO, env=child_env([REPO]), capture_output=True, text=True, timeout=600,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]


def _files(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (by its path inside it) and its SHA-256."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """The previous export (October) and, for comparison, the new one made whole
    (September), each made by the command line once."""
    base = tmp_path_factory.mktemp("webmap_interrupted")
    _export(OCT, base / "previous")
    _export(SEP, base / "new")
    return base


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("moment", list(MOMENTS))
def test_an_interrupted_webmap_leaves_one_whole_map_and_nothing_beside(
    tmp_path, exports, moment, name
):
    out = tmp_path / "out"
    shutil.copytree(exports / "previous", out, symlinks=True)
    previous = _files(out / "map")
    when, new_in_place = MOMENTS[moment]
    done = interrupted_cli(
        name,
        out,
        TRACED,
        when,
        ["webmap", SEP, "--out", out, "--tiles", "none"],
    )
    assert_stopped_in_order(done, name)
    assert sorted(os.listdir(out)) == ["map"], done.stderr[-3000:]
    new = _files(exports / "new" / "map")
    assert new != previous  # (the two exports differ: which one is in place is seen)
    assert _files(out / "map") == (new if new_in_place else previous)
