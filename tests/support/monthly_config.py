"""The bundled monthly release configuration (sample_data/release.toml) made runnable in a
test's folder, and the command line that runs it.

Why here: the monthly release's own tests and a dozen others (the dock's, Processing's, the
release process's, the forked steps') run the bundled month the same way; they imported
these from test_monthly_release, a test module.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import tomllib

from crime_mapper.core.monthly import toml_lite
from crime_mapper.core.release.release_files import create_salt_file
from tests.support.forking import files_in
from tests.support.qgis_process import REPO, child_env

SAMPLE = REPO / "sample_data"
MONTH = "2022-10"


def config_file(tmp_path: Path, out: str = "out/{month}", **changes: str) -> Path:
    """The bundled configuration, with the output and the salt inside tmp_path."""
    salt = tmp_path / "secret" / "release.salt"
    if not salt.exists():
        create_salt_file(salt)
    text = (SAMPLE / "release.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    base = SAMPLE
    data["release"]["output"] = str(tmp_path / out)
    data["anonymise"]["salt_file"] = str(salt)
    data["load"]["inputs"] = [str(base / p) for p in data["load"]["inputs"]]
    data["load"]["profile"] = str(base / data["load"]["profile"])
    data["anonymise"]["map_points"]["paths"] = [
        str(base / p) for p in data["anonymise"]["map_points"]["paths"]
    ]
    data["qa"]["history"] = [str(base / h) for h in data["qa"]["history"]]
    hoods = data["publish"]["neighbourhoods"]
    history = data["publish"].get("summaries_history", [])
    data["publish"]["summaries_history"] = [str(base / p) for p in history]
    for key in ("boundaries", "lookup", "names", "lsoa_population"):
        hoods[key] = str(base / hoods[key])
    for key in ("team", "families"):  # (the summaries' files, where the sample names one)
        if data["publish"].get(key):
            data["publish"][key] = str(base / data["publish"][key])
    for key, value in changes.items():
        table, name = key.split("__")
        data[table][name] = value
    path = tmp_path / "release.toml"
    path.write_text(toml_lite.dumps(data), encoding="utf-8")
    return path


def quick_config(tmp_path: Path) -> Any:
    """The bundled release without release QA, hotspots or publishing: the anonymise step
    comes straight after the load, whose GeoPackage is then written beside it."""
    from crime_mapper.core.monthly.config import read_config

    config = read_config(config_file(tmp_path))
    config.qa.enabled = False
    config.hotspots.enabled = False
    config.publish.summaries = config.publish.web_map = config.publish.project = False
    config.publish.summaries_history = []  # (used by neither: the publish step would warn)
    return config


def publish_config(tmp_path: Path) -> Any:
    """The bundled release without release QA or hotspots: load, anonymise and publish (the
    web map and the summaries)."""
    from crime_mapper.core.monthly.config import read_config

    config = read_config(config_file(tmp_path))
    config.hotspots.enabled = False
    config.qa.enabled = False
    return config


def fewer_crimes(config: Any, tmp_path: Path) -> None:
    """The month's extract again with its last crime left out: the load writes new bytes,
    so an earlier manifest no longer describes the month's files."""
    source = config.input_paths(MONTH)[0]
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    edited = tmp_path / "edited" / source.name
    edited.parent.mkdir()
    edited.write_text("".join(lines[:-1]), encoding="utf-8")
    config.inputs = [str(edited)]


def step_runners(publish_beside: bool) -> Any:
    """The monthly release's plain-Python step runners, the web map made beside the
    summaries (a forked child) or not."""
    from crime_mapper.core.monthly.release import StepRunners

    runners = StepRunners()
    runners.publish_beside = publish_beside
    return runners


def released_before(tmp_path: Path) -> tuple[Any, Path, dict[str, bytes]]:
    """(config, its month's folder, the map's files): a release with publishing made once
    (the web map not beside), as the previous month a test's run must leave alone."""
    from crime_mapper.core.monthly.release import run_monthly_release

    config = publish_config(tmp_path)
    done = run_monthly_release(config, MONTH, runners=step_runners(False))
    return config, done.out_dir, files_in(done.out_dir / "map")


def left_behind(out_dir: Path) -> list[str]:
    """Staging or set-aside folders a release left in its month's folder."""
    return [p.name for p in out_dir.iterdir() if ".staging-" in p.name or ".old-" in p.name]


def folder_files(folder: Path) -> dict[str, bytes]:
    """A release folder's files and their bytes, the QGIS project left out."""
    return files_in(folder, skip={"release.qgz"})


def cli(*args: object) -> subprocess.CompletedProcess:
    """``python -m crime_mapper.cli ARGS`` in this Python, with QGIS on its path."""
    return subprocess.run(
        [sys.executable, "-m", "crime_mapper.cli", *map(str, args)],
        cwd=REPO,
        env=child_env([REPO]),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def break_anonymise(monkeypatch: Any) -> ValueError:
    """Make the release pipeline's anonymise step raise (the error it raises is returned):
    a monthly release then fails in its anonymise step, after the load committed."""
    from crime_mapper.core.release import pipeline

    broke = ValueError("the anonymise step broke")

    def run_anonymise(*args: Any, **kwargs: Any) -> Any:
        raise broke

    monkeypatch.setattr(pipeline, "run_anonymise", run_anonymise)
    return broke
