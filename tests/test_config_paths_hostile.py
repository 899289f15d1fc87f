"""Paths in a release configuration that cannot be made into a path for the month.

Why: ``~someone/releases/{month}`` names the home folder of a user who may not exist on this
computer (a configuration copied from a colleague's machine); ``expanduser`` then raised a
RuntimeError, which escaped ``release`` as a traceback, Processing's monthly release as a
Python error, and the dock's problem list on every change of its form. A placeholder other
than {month} (``{mon}``) was already a ConfigError, but the Processing algorithm let that
escape as well. Each is now a clear error naming the path, from every front end.

The bundled configuration with one path changed, real files in tmp_path, the real command
line, the real Processing algorithm and the real dock.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomllib

from crime_mapper.core.common.text_file import shown_path
from crime_mapper.core.monthly.config import ConfigError, read_config
from crime_mapper.core.monthly.release import MonthlyReleaseError, run_monthly_release
from tests.support.monthly_config import MONTH, cli, config_file

UNKNOWN_HOME = "~crime_mapper_no_such_user_zz/releases/{month}"
BAD_PATHS = [
    pytest.param("release__output", UNKNOWN_HOME, "crime_mapper_no_such_user_zz", id="~user"),
    pytest.param("anonymise__rules", "~crime_mapper_no_such_user_zz", "no_such", id="~user-bare"),
    pytest.param("release__output", "out/{mon}", "the only placeholder", id="placeholder"),
]


@pytest.mark.parametrize("key, value, says", BAD_PATHS)
def test_the_command_line_says_what_is_wrong_with_exit_2(tmp_path, key, value, says):
    path = config_file(tmp_path, **{key: value})
    done = cli("release", path, "--month", MONTH)
    assert done.returncode == 2, done.stderr[-3000:]
    assert says in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("key, value, says", BAD_PATHS)
def test_the_release_refuses_it_as_a_check_failure(tmp_path, key, value, says):
    """run_monthly_release is what the Processing algorithm and the dock's task run: its
    MonthlyReleaseError is the one failure they turn into a message."""
    config = read_config(config_file(tmp_path, **{key: value}))
    with pytest.raises(MonthlyReleaseError, match=says) as failure:
        run_monthly_release(config, MONTH)
    assert failure.value.step == "check"
    with pytest.raises(ConfigError, match=says):  # (the config's own error, as before)
        config.problems(MONTH)


def test_the_processing_algorithm_reports_it_as_an_algorithm_error(provider, tmp_path):
    import processing
    from qgis.core import QgsProcessingException

    path = config_file(tmp_path, release__output=UNKNOWN_HOME)
    with pytest.raises(QgsProcessingException, match="crime_mapper_no_such_user_zz"):
        processing.run("crime_mapper:monthly_release", {"CONFIG": str(path), "MONTH": MONTH})


def test_the_dock_lists_it_as_a_problem(qgis_iface, qgis_new_project, qtbot, tmp_path):
    from crime_mapper.ui.dock import CrimeMapperDock

    dock = CrimeMapperDock(qgis_iface)
    qtbot.addWidget(dock)
    try:
        panel = dock.guided_panel
        assert panel.open_config(config_file(tmp_path, release__output=UNKNOWN_HOME))
        panel.set_month(MONTH)
        problems = panel.problems()
        assert any("crime_mapper_no_such_user_zz" in p for p in problems), problems
    finally:
        dock.shutdown()


def test_a_known_home_still_expands(tmp_path: Path) -> None:
    """The control: ``~`` of the user running the release is their home folder."""
    config = read_config(config_file(tmp_path, release__output="~/releases/{month}"))
    assert config.output_dir(MONTH) == Path.home() / "releases" / MONTH


TOO_LONG = "x" * 300  # (a name longer than the system allows: 255 bytes on Linux)
LONG_PATHS = [
    ("load__inputs", [f"/tmp/{TOO_LONG}"], "load", "Extract not found"),
    ("load__profile", f"/tmp/{TOO_LONG}.json", "load", "Mapping profile not found"),
    ("anonymise__rules", f"/tmp/{TOO_LONG}.json", "anonymise", "Release rules not found"),
    ("anonymise__salt_file", f"/tmp/{TOO_LONG}", "anonymise", "Salt file not found"),
    ("qa__history", [f"/tmp/{TOO_LONG}"], "check", "QA input not found"),
    ("publish__summaries_history", [f"/tmp/{TOO_LONG}"], "publish", "history not found"),
]


@pytest.mark.parametrize("key, value, step, says", LONG_PATHS, ids=[k for k, *_ in LONG_PATHS])
def test_a_path_too_long_for_the_system_is_a_problem_not_a_crash(tmp_path, key, value, step, says):
    """Path.exists raises OSError (ENAMETOOLONG) for such a name: the configuration's checks
    raised it, which crashed the dock's problem list on every change of its form and
    escaped the release as a traceback. It is now "not found", under its step."""
    path = tmp_path / "release.json"
    data = tomllib.loads(config_file(tmp_path).read_text(encoding="utf-8"))
    table, name = key.split("__")
    data[table][name] = value
    path.write_text(json.dumps(data), encoding="utf-8")
    found = read_config(path).problems_by_step(MONTH)
    # (the path as every message shows it: cut in the middle, core.common.text_file.shown_path)
    shown = shown_path(value[0] if isinstance(value, list) else value)
    assert any(says in p and shown in p for p in found[step]), found
    with pytest.raises(MonthlyReleaseError, match=says):
        run_monthly_release(read_config(path), MONTH)


def test_an_input_path_too_long_is_named_not_blamed_on_the_output(tmp_path):
    """The command ran inside one "cannot write OUT" guard, reads included: an extract path
    longer than the system allows was reported as "cannot write outputs in OUT: File name
    too long", naming the wrong path."""
    long_input = f"/tmp/{TOO_LONG}.csv"
    salt = tmp_path / "secret" / "release.salt"
    config_file(tmp_path)  # (makes the salt)
    done = cli(
        "anonymise", long_input, "--points", long_input, "--salt-file", str(salt),
        "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert done.returncode == 2, done.stderr[-2000:]
    assert "cannot use /tmp/xxx" in done.stderr and "File name too long" in done.stderr
    assert "cannot write" not in done.stderr and "Traceback" not in done.stderr
