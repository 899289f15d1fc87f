"""The Python the release, the anonymise and the web map export run their child in is named
by the CRIME_MAPPER_PYTHON variable or the crime_mapper/release/python QGIS setting: a value
anyone can set. Each message naming it shows it escaped (text_file.shown_path), so a newline
in it cannot start a line of the message's own ("Leak gate: passed") and a bidi override
cannot reorder it.

The hostile interpreter here is a real script: it answers the version check (so it is
chosen) and removes itself, so that starting the child then fails, as an interpreter
uninstalled between the two would."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from crime_mapper.core.publish.webmap_process import ChildExportError, export_in_child
from crime_mapper.qgis_bridge import anonymise_process, release_process, webmap_process

FORGED = "Leak gate: passed"


def _hostile_name() -> str:
    return "python\n" + FORGED + "\u202eevil"


def _gone_after_asked(tmp_path: Path) -> str:
    """An interpreter with a hostile name that answers this Python's version, then is gone."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    path = tmp_path / _hostile_name()
    path.write_text(f'#!/bin/sh\necho {version}\nrm -f -- "$0"\n', encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def _assert_escaped(message: str, python: str) -> None:
    assert "could not start" in message or "none was found" in message, message
    assert "\n" not in message and "\u202e" not in message, repr(message)
    assert not any(line.startswith(FORGED) for line in message.splitlines()), message
    assert "python\\nLeak gate: passed\\u202eevil" in message, message
    assert python not in message


def test_a_hostile_configured_python_that_does_not_run_is_named_escaped(monkeypatch, tmp_path):
    """Not there: find_python's refusal lists it (the dock's release error, the web map's
    note that it exports inside QGIS)."""
    python = str(tmp_path / _hostile_name())
    monkeypatch.setenv(release_process.PYTHON_ENV, python)
    with pytest.raises(release_process.PythonNotFound) as caught:
        release_process.find_python()
    _assert_escaped(str(caught.value), python)


def test_the_release_task_names_a_hostile_python_escaped(monkeypatch, tmp_path):
    from crime_mapper.core.monthly.config import read_config
    from tests.support.monthly_config import config_file

    python = _gone_after_asked(tmp_path)
    monkeypatch.setenv(release_process.PYTHON_ENV, python)
    task = release_process.ChildReleaseTask(
        read_config(config_file(tmp_path)), "2022-10", other_crimes=[]
    )
    assert not task.run()
    assert task.python == python  # (it was chosen, then could not start)
    _assert_escaped(task.error or "", python)


def test_the_anonymise_child_names_a_hostile_python_escaped(monkeypatch, tmp_path):
    python = _gone_after_asked(tmp_path)
    monkeypatch.setenv(release_process.PYTHON_ENV, python)
    monkeypatch.setattr(anonymise_process, "_python", None)
    chosen = anonymise_process._find_python()
    assert chosen == python
    with pytest.raises(anonymise_process.ChildFailed) as caught:
        anonymise_process.StartedChild(chosen)
    _assert_escaped(str(caught.value), python)


def test_the_web_map_export_names_a_hostile_python_escaped(monkeypatch, tmp_path):
    python = _gone_after_asked(tmp_path)
    monkeypatch.setenv(release_process.PYTHON_ENV, python)
    chosen = webmap_process.child_python()
    assert chosen == python
    with pytest.raises(ChildExportError) as caught:
        export_in_child(chosen, b"", tmp_path / "map")
    _assert_escaped(str(caught.value), python)
