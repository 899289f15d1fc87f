"""Which tests reach QGIS (tests/support/qgis_reach.py), the split `make test` runs on.

`make test` runs every test on QGIS 3.22 and only the tests marked ``qgis`` on 3.40 (README,
"Tests"). A test wrongly left unmarked would hide a QGIS 3.40 difference, so these tests
prove each way a test can reach QGIS is seen: an import (direct, or through a support
module), a child process, a fixture. This module itself reaches none of them: it imports
only the reader, and the one test that asks for a QGIS fixture is marked for it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.qgis_reach import REPO, module_reason, reason_in_source

TESTS = REPO / "tests"
QP = "qgis_" + "process"


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("from qgis.core import QgsProject\n", "imports qgis.core"),
        ("import qgis\n", "imports qgis"),
        ("def f():\n    from osgeo import ogr\n", "imports osgeo"),
        ("from crime_mapper.qgis_bridge import layers\n", "imports crime_mapper.qgis_bridge"),
        ("from crime_mapper.ui.dock import CrimeMapperDock\n", "imports crime_mapper.ui.dock"),
        # the command line's release and load --gpkg use QGIS whenever it can be imported
        ("from crime_mapper.cli import main\n", "imports crime_mapper.cli"),
        ("from crime_mapper import cli\n", "imports crime_mapper.cli"),
        ("from pytestqt.qtbot import QtBot\n", "imports pytestqt.qtbot"),
        ("import importlib\nm = importlib.import_module('qgis.core')\n", "imports qgis.core"),
        ("m = __import__('crime_mapper.ui.dock')\n", "imports crime_mapper.ui.dock"),
        ("import subprocess\n", "starts another process"),
        ("from subprocess import run\n", "starts another process"),
        ("import multiprocessing\n", "starts another process"),
        ("import os\nos.system('x')\n", "starts another process"),
        ("import os\nos.execv('x', [])\n", "starts another process"),
        ("from os import posix_spawn\n", "starts another process"),
        ("import sys\nargs = [sys.executable, '-c', '']\n", "starts another process"),
        ("cmd = ['" + QP + ".bin', 'run']\n", "starts another process"),
    ],
)
def test_each_way_into_qgis_is_seen(source: str, reason: str) -> None:
    assert reason_in_source(source, "tests") == reason


@pytest.mark.parametrize(
    "source",
    [
        "from crime_mapper.core.gate.leak_gate import check_folder\n",
        "import pandas as pd\nimport numpy\nfrom jinja2 import Environment\n",
        # fork copies this process; the core's children never import QGIS (test_layout)
        "import os\npid = os.fork()\n",
        # (spelt in two halves here, so that this module's own strings don't name it)
        '"""Runs like subprocess, or the ' + QP + ' command, would."""\nx = 1\n',
        "# subprocess.run(['" + QP + "'])\nx = 1\n",
        "from tests.support.raw_extract import write_raw_extract\n",
    ],
)
def test_code_that_reaches_no_qgis_is_left_to_one_version(source: str) -> None:
    assert reason_in_source(source, "tests") == ""


def test_a_support_module_is_followed_to_the_end() -> None:
    """summaries_release imports QGIS; a test importing only it is marked, and so is one
    importing a support module that imports summaries_release."""
    direct = "from tests.support.summaries_release import anything\n"
    assert reason_in_source(direct, "tests") == (
        "tests/support/summaries_release.py imports qgis.core"
    )
    importers = [
        path
        for path in sorted((TESTS / "support").glob("*.py"))
        if "summaries_release" in path.read_text(encoding="utf-8")
        and path.name != "summaries_release.py"
    ]
    for path in importers:
        assert module_reason(path), path


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        # bench's runner loads QGIS layers for the cases run inside QGIS
        ("import bench.run_bench\n", "bench/run_bench.py imports crime_mapper.qgis_bridge"),
        # a tool imported by its bare name, tools/ put on the path by the test
        ("import differential_load\n", "tools/differential_load.py starts another process"),
        # a bare name that is no tool of ours
        ("import json\nimport textwrap\n", ""),
    ],
)
def test_the_repositorys_bench_and_tools_modules_are_followed(source: str, reason: str) -> None:
    assert reason_in_source(source, "tests").startswith(reason)
    assert bool(reason_in_source(source, "tests")) is bool(reason)


def test_relative_imports_are_read_from_their_package() -> None:
    source = "from .summaries_release import anything\n"
    assert reason_in_source(source, "tests.support") == (
        "tests/support/summaries_release.py imports qgis.core"
    )


def test_children_declared_without_qgis_are_not_counted_but_imports_still_are(
    tmp_path: Path,
) -> None:
    """plain_cli's children run with QGIS unimportable (and fail if it loaded): its tests need
    one QGIS version. The declaration waives only the child processes."""
    plain = "import subprocess\nCHILDREN_WITHOUT_QGIS = True\n"
    assert reason_in_source(plain, "tests") == ""
    with_qgis = "import subprocess\nCHILDREN_WITHOUT_QGIS = True\nimport qgis.core\n"
    assert reason_in_source(with_qgis, "tests") == "imports qgis.core"
    not_true = "import subprocess\nCHILDREN_WITHOUT_QGIS = 1\n"
    assert reason_in_source(not_true, "tests") == "starts another process"
    plain_cli = (TESTS / "support" / "plain_cli.py").read_text(encoding="utf-8")
    assert "CHILDREN_WITHOUT_QGIS = True" in plain_cli
    assert 'sys.modules["qgis"] = None' in plain_cli, "the declaration must stay true"


@pytest.mark.parametrize(
    ("module", "marked"),
    [
        ("test_dock_narrow.py", True),
        ("test_monthly_release.py", True),
        ("test_processing_parameters.py", True),
        ("test_cli.py", True),
        ("test_plugin.py", True),
        ("test_anonymise.py", False),
        ("test_getis_ord.py", False),
        ("test_qgis_reach.py", False),
    ],
)
def test_real_test_modules(module: str, marked: bool) -> None:
    assert bool(module_reason(TESTS / module)) is marked, module_reason(TESTS / module)


def test_a_test_asking_for_no_qgis_fixture_is_not_marked(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """pytest-qgis's autouse qgis_show_map asks for qgis_iface; that alone marks nothing."""
    assert "qgis_iface" in request.node.fixturenames
    assert request.node.get_closest_marker("qgis") is None


def test_a_test_asking_for_a_qgis_fixture_is_marked(
    request: pytest.FixtureRequest, qgis_new_project
) -> None:
    marker = request.node.get_closest_marker("qgis")
    assert marker is not None
    # (qgis_new_project asks for qgis_iface, which comes first by name)
    assert marker.args == ("fixture qgis_iface is pytest_qgis.plugin's",)


def test_one_of_our_fixtures_that_imports_qgis_is_marked(
    request: pytest.FixtureRequest, provider
) -> None:
    """conftest's provider imports the plugin's Processing provider inside its body."""
    marker = request.node.get_closest_marker("qgis")
    assert marker is not None
    assert marker.args == ("fixture provider imports crime_mapper.processing.provider",)
