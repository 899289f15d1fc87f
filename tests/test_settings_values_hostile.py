"""Hostile values in the user's QGIS settings (QgsSettings: an .ini an older version, a hand
edit or a copied profile can leave anything in), read by the real QgsSettings.

Why: the dock's own settings were hardened (tests/test_saved_state_hostile.py); the setting
naming the Python the release's child runs in (``crime_mapper/release/python``) is read by
the release, the anonymise step and the web map export, and each must end in the one
message naming the setting, never a traceback.
"""

from __future__ import annotations

from typing import Any

import pytest
from qgis.core import QgsSettings

from crime_mapper.qgis_bridge import release_process


@pytest.fixture
def python_setting(qgis_app, monkeypatch):
    """Sets the Python setting for one test (the variable, which comes first, unset), and
    puts back what the user's settings held."""
    monkeypatch.delenv(release_process.PYTHON_ENV, raising=False)
    settings = QgsSettings()
    key = release_process.PYTHON_SETTING
    kept = settings.value(key) if settings.contains(key) else None

    def put(value: Any) -> None:
        settings.setValue(key, value)

    yield put
    settings.remove(key)
    if kept is not None:
        settings.setValue(key, kept)


@pytest.mark.parametrize(
    "value",
    ["py\x00thon", "/usr/bin/python3\x00", "\x00"],
    ids=["a NUL inside", "a NUL at the end", "a NUL alone"],
)
def test_a_python_setting_holding_a_nul_is_refused_naming_the_setting(python_setting, value):
    python_setting(value)
    with pytest.raises(release_process.PythonNotFound) as caught:
        release_process.find_python()
    message = str(caught.value)
    assert release_process.PYTHON_SETTING in message and "\\x00" in message, message
    assert "a path cannot hold a NUL character" in message, message


def test_the_anonymise_step_finds_no_python_in_a_setting_holding_a_nul(python_setting, monkeypatch):
    """Processing's anonymise asks for its child's Python the same way (it ran
    find_python, which raised ValueError: embedded null byte)."""
    from crime_mapper.qgis_bridge import anonymise_process

    monkeypatch.setattr(anonymise_process, "_python", None)
    python_setting("python3\x00")
    assert anonymise_process._find_python() is None
    assert anonymise_process.python_version("python3\x00") is None


@pytest.mark.parametrize(
    "value", [["python3"], 3, "", "   "], ids=["a list", "a number", "empty", "spaces"]
)
def test_a_python_setting_that_is_no_path_is_no_setting(python_setting, value):
    """A list or a number is no path (not str() of it), and blank is none given: the
    interpreter is then searched for as without the setting."""
    python_setting(value)
    assert release_process._configured_python() == ""


# --- a path holding a NUL, from a setting or a hand-edited file ----------------------------------

RECENT = "crime_mapper/release/recent_configs"


@pytest.fixture
def dock(qgis_iface, qgis_new_project, qtbot):
    from crime_mapper.ui.dock import CrimeMapperDock

    settings = QgsSettings()
    kept = settings.value(RECENT) if settings.contains(RECENT) else None
    widget = CrimeMapperDock(qgis_iface)
    qtbot.addWidget(widget)
    yield widget
    widget.shutdown()
    settings.remove(RECENT)
    if kept is not None:
        settings.setValue(RECENT, kept)


def test_a_recent_configuration_holding_a_nul_is_a_message_not_a_traceback(dock, tmp_path):
    """The recent configurations are a setting: a path holding a NUL reached read_config,
    whose stat raised ValueError ("embedded null byte") out of the combo box's slot."""
    from crime_mapper.ui.guided_release import SETTINGS_PREFIX

    assert f"{SETTINGS_PREFIX}/recent_configs" == RECENT
    path = str(tmp_path / "release\x00.toml")
    QgsSettings().setValue(RECENT, [path])
    panel = dock.guided_panel
    panel._refresh_recent()
    assert panel.recent_combo.itemData(1) == path
    assert panel.open_config(path) is False  # (said on the message bar)
    assert panel._config_path is None


@pytest.mark.parametrize(
    "reader",
    ["config", "rules", "team json", "team csv", "families", "profile"],
)
def test_every_settings_file_named_with_a_nul_is_refused_naming_it(tmp_path, reader):
    from crime_mapper.core.load.mapping_profile import load_profile
    from crime_mapper.core.monthly.config import read_config
    from crime_mapper.core.publish.summaries_run import read_families
    from crime_mapper.core.publish.summaries_team import read_team
    from crime_mapper.core.release.rules import ReleaseRules

    read, suffix = {
        "config": (read_config, ".toml"),
        "rules": (ReleaseRules.load, ".json"),
        "team json": (read_team, ".json"),
        "team csv": (read_team, ".csv"),
        "families": (read_families, ".csv"),
        "profile": (load_profile, ".json"),
    }[reader]
    with pytest.raises(ValueError) as caught:  # (each reader's error is a ValueError)
        read(str(tmp_path / f"file\x00{suffix}"))
    message = str(caught.value)
    assert type(caught.value) is not ValueError, message  # (not "embedded null byte")
    assert "file\\x00" in message, message


def test_a_team_csv_that_is_a_fifo_is_refused_not_waited_on(tmp_path):
    """open() of a FIFO waits for a writer: the summaries never started. The team JSON was
    refused already (it reads through text_file.read_text_file)."""
    import os

    from crime_mapper.core.publish.summaries_team import TeamError, read_team

    fifo = tmp_path / "team.csv"
    os.mkfifo(fifo)
    with pytest.raises(
        TeamError, match=r"team.csv: \[Errno 22\] a named pipe \(FIFO\), not a file"
    ):
        read_team(fifo)
