"""The dock's child-process release (qgis_bridge.release_process, release_child): finding the
Python to run it inside QGIS, the protocol's refusals, and the outputs' round trip through
JSON (what the dock keeps in the project and hands to a later single step).

The whole path (dock -> child -> files, cancel, single steps) is driven in
tests/test_guided_release.py; these are the parts that do not need a release to run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from crime_mapper.core.monthly.outputs_json import outputs_from_dict, outputs_to_dict
from crime_mapper.core.monthly.release import LoadStep, MonthlyOutputs, StepRecord
from crime_mapper.core.release.pipeline import ReleaseOutputs
from crime_mapper.qgis_bridge import release_process
from crime_mapper.qgis_bridge.release_process import (
    PythonNotFound,
    child_environment,
    find_python,
    hotspot_from_dict,
)

VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"


def _version(python: str) -> str:
    done = subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_inside_qgis_sys_executable_is_not_python_yet_one_is_found(monkeypatch, tmp_path):
    """In the QGIS desktop sys.executable is the QGIS program: the child's Python is found
    beside QGIS's Python or on PATH, with the same version."""
    qgis = tmp_path / "qgis"
    qgis.write_text("#!/bin/sh\nexit 3\n")
    qgis.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(qgis))
    monkeypatch.delenv("CRIME_MAPPER_PYTHON", raising=False)
    python = find_python()
    assert Path(python).name.startswith("python") and python != str(qgis)
    assert _version(python) == VERSION


def test_a_named_python_is_used_or_refused_with_what_to_set(monkeypatch, tmp_path):
    monkeypatch.setenv("CRIME_MAPPER_PYTHON", sys.executable)
    assert find_python() == sys.executable
    fake = tmp_path / "python-elsewhere"
    fake.write_text("#!/bin/sh\necho 2.7\n")
    fake.chmod(0o755)
    monkeypatch.setenv("CRIME_MAPPER_PYTHON", str(fake))
    with pytest.raises(PythonNotFound) as caught:
        find_python()
    text = str(caught.value)
    assert str(fake) in text and "Python 2.7" in text
    assert "CRIME_MAPPER_PYTHON" in text and "crime_mapper/release/python" in text


def test_the_child_gets_the_docks_import_path_first(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/somewhere/else")
    env = child_environment()
    entries = env["PYTHONPATH"].split(":")
    assert entries[0] == str(release_process.PACKAGE_PARENT)
    assert "/somewhere/else" in entries  # extended, never replaced


@pytest.mark.parametrize("request_line", ["", "not json\n", "[1, 2]\n", '{"config": 1}\n'])
def test_the_child_refuses_a_bad_request_in_words(request_line):
    child = subprocess.run(
        [sys.executable, "-m", release_process.CHILD_MODULE],
        input=request_line,
        capture_output=True,
        text=True,
        env=child_environment(),
        timeout=120,
        check=False,
    )
    lines = [json.loads(line) for line in child.stdout.splitlines()]
    assert child.returncode == 4, child.stderr[-2000:]
    assert [event["event"] for event in lines] == ["error"]
    assert "the dock's request could not be read" in lines[0]["message"]


def test_outputs_round_trip_through_json(tmp_path):
    out = tmp_path / "2022-10"
    release = ReleaseOutputs(
        public_csv=out / "public" / "a.csv",
        public_gpkg=out / "public" / "a.gpkg",
        audit_json=out / "public" / "audit.json",
        audit_html=out / "public" / "audit.html",
        manifest=out / "public" / "release_manifest.json",
        qml=None,
        audit={"categories": [{"category": "Drugs", "published_at_map_point": 3}]},
        rows_in=3,
        published_rows=3,
        gate_passed=True,
        reconciles=True,
    )
    outputs = MonthlyOutputs(
        "2022-10",
        out,
        [StepRecord("load", "done", [out / "internal" / "crimes.gpkg"], {"rows_read": 3})],
        out / "manifest.json",
        release=release,
        load=LoadStep([out / "x"], str(out / "internal" / "crimes.gpkg"), {}, True),
        hotspots=[
            {
                "kind": "kde",
                "path": str(out / "internal" / "k.tif"),
                "title": "KDE",
                "legend_text": "",
                "crs": "EPSG:27700",
                "crimes": 3,
                "cells": 9,
            }
        ],
        qa_report=out / "qa" / "qa_report.json",
    )
    data = json.loads(json.dumps(outputs_to_dict(outputs)))
    again = outputs_from_dict(data, hotspot_from_dict)
    assert again.release == release
    assert again.steps == outputs.steps
    assert again.load.crimes == str(out / "internal" / "crimes.gpkg")
    assert again.hotspots[0].path == out / "internal" / "k.tif" and again.hotspots[0].is_raster
    assert again.qa_report == outputs.qa_report
    back = outputs_to_dict(again)
    assert {k: v for k, v in back.items() if k != "hotspots"} == {
        k: v for k, v in data.items() if k != "hotspots"
    }
    assert outputs_to_dict(outputs_from_dict(back, hotspot_from_dict)) == back  # stable
    with pytest.raises(ValueError):
        outputs_from_dict({**data, "version": 99})
    with pytest.raises(ValueError):
        outputs_from_dict({"version": 1})
