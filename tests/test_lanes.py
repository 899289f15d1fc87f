"""tests/support/lanes.py: which lane of `make test` runs a test that does not reach QGIS.

(tests/test_lanes_collect.py checks the two lanes' selections on real test files.)
"""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

from tests.support.lanes import CORE_ON_340_PER_CENT, REPO, relative_path, runs_on_340


def test_a_fixed_share_of_files_goes_to_the_340_lane() -> None:
    names = [f"tests/test_{i:05d}_{word}.py" for i in range(4000) for word in ("a", "bc")]
    share = 100 * sum(map(runs_on_340, names)) / len(names)
    assert abs(share - CORE_ON_340_PER_CENT) < 3


def test_the_choice_is_the_paths_crc() -> None:
    """The same on every machine and run (not Python's salted hash of a str)."""
    for name in ("tests/test_anonymise.py", "tests/test_getis_ord.py", "tests/test_cli.py"):
        assert runs_on_340(name) is (zlib.crc32(name.encode()) % 100 < CORE_ON_340_PER_CENT)
    assert runs_on_340("tests/test_getis_ord.py")
    assert not runs_on_340("tests/test_anonymise.py")


def test_paths_are_taken_from_the_repository_root() -> None:
    assert relative_path(REPO / "tests" / "test_lanes.py") == "tests/test_lanes.py"
    assert relative_path(Path("tests/test_lanes.py").resolve()) == "tests/test_lanes.py"


def test_a_file_outside_the_repository_keeps_its_absolute_path(tmp_path: Path) -> None:
    outside = tmp_path / "test_x.py"
    assert relative_path(outside) == outside.resolve().as_posix()


def test_this_modules_tests_are_marked_as_their_file_goes(request: pytest.FixtureRequest) -> None:
    """This module reaches no QGIS, so conftest marks its tests lane340 exactly when its file
    goes to the 3.40 lane."""
    assert request.node.get_closest_marker("qgis") is None
    marked = request.node.get_closest_marker("lane340") is not None
    assert marked is runs_on_340("tests/test_lanes.py")


def test_a_test_that_reaches_qgis_is_never_marked_lane340(
    request: pytest.FixtureRequest, qgis_new_project
) -> None:
    """It runs on both lanes whatever its file (the fixture starts QGIS)."""
    assert request.node.get_closest_marker("qgis") is not None
    assert request.node.get_closest_marker("lane340") is None
