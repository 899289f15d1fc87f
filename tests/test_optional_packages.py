"""Without scipy, QGIS still starts the plugin, loading works, and the steps that need scipy
say so clearly when they run (issue 14, section 3).

scipy is hidden from a child process by a directory put first on PYTHONPATH whose
``scipy/__init__.py`` raises ImportError, exactly what a QGIS without python3-scipy does.
The children are the real ``qgis_process.bin`` (every call used to abort while the provider
loaded) and a plain Python that starts the plugin and its provider the way the desktop does.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from crime_mapper.core.common.dependencies import MissingDependency, require
from tests.support.qgis_process import REPO, child_env, qgis_process_env, run_qgis_process

NORTHUMBRIA = REPO / "sample_data" / "police-uk" / "2022-07"
SCIPY_STEPS = ("hotspots_kde", "hotspots_gi")


@pytest.fixture(scope="module")
def no_scipy(tmp_path_factory) -> Path:
    """A PYTHONPATH entry that makes `import scipy` fail."""
    root = tmp_path_factory.mktemp("no_scipy")
    (root / "scipy").mkdir()
    (root / "scipy" / "__init__.py").write_text(
        "raise ImportError(\"No module named 'scipy'\")\n", encoding="utf-8"
    )
    return root


def test_require_names_the_package_the_step_and_the_fix():
    with pytest.raises(MissingDependency) as caught:
        require("no_such_package_xyz.sub", "Kernel density")
    message = str(caught.value)
    assert caught.value.package == "no_such_package_xyz"
    assert message.startswith("Kernel density needs the Python package 'no_such_package_xyz'")
    assert "restart QGIS" in message
    assert isinstance(caught.value, ImportError)  # callers catching ImportError still do
    assert require("json", "anything") is json


_START_UP = """
import sys
from qgis.core import QgsApplication
app = QgsApplication([], False); app.initQgis()
import crime_mapper.plugin, crime_mapper.ui.dock
from crime_mapper.processing.provider import CrimeMapperProvider
provider = CrimeMapperProvider()
assert QgsApplication.processingRegistry().addProvider(provider)
print(sorted(a.id() for a in provider.algorithms()))
print("scipy" in sys.modules)
"""


def test_plugin_and_provider_start_without_scipy(no_scipy):
    """What QGIS does at start-up: import the plugin, register the provider, build every
    algorithm's parameters. No scipy import may happen (or fail) on that path."""
    run = subprocess.run(
        [sys.executable, "-c", _START_UP],
        env=child_env([no_scipy, REPO]),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    algorithms, scipy_imported = run.stdout.strip().splitlines()[-2:]
    for step in (*SCIPY_STEPS, "load_extracts", "anonymise"):
        assert f"crime_mapper:{step}" in algorithms
    assert scipy_imported == "False"


def test_qgis_process_without_scipy_loads_and_explains(no_scipy, tmp_path):
    """qgis_process lists the algorithms and loads; kernel density fails with the fix."""
    env = qgis_process_env(tmp_path, prepend_pythonpath=[no_scipy])
    listed = run_qgis_process(["list"], env)
    assert listed.returncode == 0, listed.stderr[-3000:]
    assert "crime_mapper:load_extracts" in listed.stdout
    assert "crime_mapper:hotspots_kde" in listed.stdout

    crimes = tmp_path / "out" / "crimes.gpkg"
    load = run_qgis_process(
        [
            "--json",
            "run",
            "crime_mapper:load_extracts",
            "--",
            f"INPUT={NORTHUMBRIA}",
            f"OUTPUT={crimes}",
            f"REJECTS={tmp_path / 'out' / 'rejects.csv'}",
            f"REPORT={tmp_path / 'out' / 'report.json'}",
        ],
        env,
    )
    assert load.returncode == 0, load.stdout[-2000:] + load.stderr[-2000:]
    assert json.loads(load.stdout)["results"]["CRIMES_COUNT"] > 0

    kde_out = tmp_path / "out" / "kde.tif"
    kde = run_qgis_process(
        ["run", "crime_mapper:hotspots_kde", "--", f"INPUT={crimes}", f"OUTPUT={kde_out}"], env
    )
    assert kde.returncode != 0
    said = kde.stdout + kde.stderr
    assert "Kernel density needs the Python package 'scipy'" in said, said[-3000:]
    assert "python3-scipy" in said
    assert not kde_out.exists()
