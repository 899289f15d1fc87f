"""The gated web map export from inside QGIS runs in a child Python process
(qgis_bridge.webmap_process, core.publish.webmap_child/webmap_process): real QGIS, real
Processing runs, real child processes.

- the same bytes as the export made inside QGIS (no separate Python found: the fall-back),
  from file layers, a delimited text layer and memory layers with hostile names;
- the same messages: a leak the gate refuses, a bad input;
- cancel mid-way, a child killed mid-way, and hostile children (garbage, a false result, a
  failure exit, silence, a hang) all refuse and leave the previous export as it was, with no
  staging folder and no process behind.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from qgis.core import QgsProcessingException, QgsProcessingFeedback, QgsVectorLayer

from crime_mapper.core.common.feedback import Cancelled, Feedback
from crime_mapper.core.publish import webmap_process
from crime_mapper.core.publish.webmap_child import ERROR_KINDS, read_request
from crime_mapper.core.publish.webmap_process import (
    ChildExportError,
    export_in_child,
    failure_from_event,
    more_bytes,
    request_bytes,
    result_from_dict,
    result_to_dict,
)
from crime_mapper.qgis_bridge.release_process import PACKAGE_PARENT, child_environment
from tests.support.fake_python import install_fake_python
from tests.support.forking import files_in, group_gone
from tests.support.webmap_release import points_csv

REPO = Path(__file__).resolve().parent.parent
OCT = REPO / "sample_data" / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"
FORCE = REPO / "sample_data" / "force"
RAW = FORCE / "2022-10-leicestershire-force-extract.csv"
PROFILE = FORCE / "leicestershire-force-extract.profile.json"
LSOAS = REPO / "sample_data" / "boundaries" / "LSOA_Dec_2011_BSC_leicester_city.geojson"
ALG = "crime_mapper:export_webmap"
HOSTILE = "</script><img src=x onerror=alert(1)>"


@pytest.fixture
def fake_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    return install_fake_python(tmp_path, monkeypatch)


def _no_python(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CRIME_MAPPER_PYTHON", str(tmp_path / "no-python-here"))


class Recorder(QgsProcessingFeedback):
    """The run's messages; cancels once progress reaches ``cancel_at``."""

    def __init__(self, cancel_at: float = 101.0) -> None:
        super().__init__()
        self.infos: list[str] = []
        self.errors: list[str] = []
        self.cancel_at = cancel_at

    def pushInfo(self, info: str) -> None:  # noqa: N802 - QGIS API
        self.infos.append(info)
        super().pushInfo(info)

    def reportError(self, error: str, fatalError: bool = False) -> None:  # noqa: N803
        self.errors.append(error)
        super().reportError(error, fatalError)

    def setProgress(self, progress: float) -> None:  # noqa: N802 - QGIS API
        super().setProgress(progress)
        if progress >= self.cancel_at:
            self.cancel()


def _points_layer(tmp_path: Path) -> QgsVectorLayer:
    uri = f"file://{points_csv(tmp_path)}?type=csv&xField=longitude&yField=latitude&crs=EPSG:4326"
    layer = QgsVectorLayer(uri, "points", "delimitedtext")
    assert layer.isValid()
    return layer


def _memory_copy(layer: QgsVectorLayer, rename: dict[str, str]) -> QgsVectorLayer:
    """``layer`` as a memory layer, with some text values replaced (hostile names)."""
    from qgis.core import QgsFeatureRequest

    copy = layer.materialize(QgsFeatureRequest())
    assert copy.providerType() == "memory"
    copy.startEditing()
    for feature in copy.getFeatures():
        for field, value in rename.items():
            if feature.id() % 7 == 0:
                copy.changeAttributeValue(feature.id(), copy.fields().indexOf(field), value)
    assert copy.commitChanges()
    return copy


def _params(tmp_path: Path, out: Path, **more: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "RELEASE": [str(OCT)],
        "RAW_FILES": [str(RAW)],
        "PROFILE": str(PROFILE),
        "MAP_POINTS": _points_layer(tmp_path),
        "LABEL_FIELD": "label",
        "TILES": 1,
        "OUTPUT": str(out),
    }
    params.update(more)
    return params


def _previous(out: Path) -> Path:
    previous = out / "map"
    previous.mkdir(parents=True)
    (previous / "index.html").write_text("previous", encoding="utf-8")
    return previous


def _left_alone(out: Path) -> None:
    """The previous export as it was, and nothing staged beside it."""
    assert files_in(out / "map") == {"index.html": b"previous"}
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]


# --- the same bytes ---------------------------------------------------------------------------


def test_processing_exports_in_a_child_with_the_same_bytes(
    provider, tmp_path, fake_python, monkeypatch
):
    import processing

    hoods = QgsVectorLayer(str(LSOAS), "lsoas", "ogr")
    more = {"NEIGHBOURHOODS": hoods, "CODE_FIELD": "LSOA11CD", "NAME_FIELD": "LSOA11NM"}
    child = processing.run(ALG, _params(tmp_path, tmp_path / "child", **more))
    assert fake_python["starts"]() == ["-m crime_mapper.core.publish.webmap_child"]
    _no_python(monkeypatch, tmp_path)
    feedback = Recorder()
    here = processing.run(ALG, _params(tmp_path, tmp_path / "here", **more), feedback=feedback)
    assert any("no separate Python was found" in info for info in feedback.infos)
    assert len(fake_python["starts"]()) == 1  # (the fall-back ran here)
    assert {k: v for k, v in child.items() if k not in ("FOLDER", "INDEX")} == {
        k: v for k, v in here.items() if k not in ("FOLDER", "INDEX")
    }
    made = files_in(tmp_path / "child" / "map")
    assert "data/areas.js" in made and made == files_in(tmp_path / "here" / "map")


def test_memory_layers_with_hostile_names_go_to_the_child(
    provider, tmp_path, fake_python, monkeypatch
):
    """A memory layer's map points and neighbourhoods (which the child could not open) are
    read here and handed over: the same bytes as the export made here, hostile names kept
    as text."""
    import processing

    points = _memory_copy(_points_layer(tmp_path), {})
    hoods = _memory_copy(QgsVectorLayer(str(LSOAS), "lsoas", "ogr"), {"LSOA11NM": HOSTILE})
    more = {
        "MAP_POINTS": points,
        "NEIGHBOURHOODS": hoods,
        "CODE_FIELD": "LSOA11CD",
        "NAME_FIELD": "LSOA11NM",
    }
    processing.run(ALG, _params(tmp_path, tmp_path / "child", **more))
    assert len(fake_python["starts"]()) == 1
    _no_python(monkeypatch, tmp_path)
    processing.run(ALG, _params(tmp_path, tmp_path / "here", **more))
    made = files_in(tmp_path / "child" / "map")
    assert made == files_in(tmp_path / "here" / "map")
    page = b"".join(made.values())
    assert HOSTILE.encode() not in page and b"onerror=alert(1)" in page  # (escaped, as text)


# --- the same messages ------------------------------------------------------------------------


def _moved_release(tmp_path: Path) -> Path:
    """The October release with one crime published at a raw location (the gate refuses)."""
    from crime_mapper.core.load.loader import load_extracts
    from crime_mapper.core.load.mapping_profile import load_profile

    raw = load_extracts([str(RAW)], profile=load_profile(PROFILE)).crimes
    located = raw[raw["has_location"]]
    street = pd.read_csv(OCT, dtype=str, keep_default_na=False)
    street.loc[0, "Longitude"] = f"{located['longitude'].iloc[0]:.6f}"
    street.loc[0, "Latitude"] = f"{located['latitude'].iloc[0]:.6f}"
    path = tmp_path / "2022-10-moved-street.csv"
    street.to_csv(path, index=False)
    return path


def _refusal(params: dict[str, Any]) -> str:
    import processing

    with pytest.raises(QgsProcessingException) as caught:
        processing.run(ALG, params)
    return str(caught.value)


def test_the_gate_refuses_with_the_same_message(provider, tmp_path, fake_python, monkeypatch):
    moved = _moved_release(tmp_path)
    out_child, out_here = tmp_path / "child", tmp_path / "here"
    _previous(out_child)
    _previous(out_here)
    there = _refusal(_params(tmp_path, out_child, RELEASE=[str(moved)]))
    assert len(fake_python["starts"]()) == 1
    _no_python(monkeypatch, tmp_path)
    here = _refusal(_params(tmp_path, out_here, RELEASE=[str(moved)]))
    assert there.startswith("The leak gate refused the web map:")
    assert there.replace(str(out_child), "OUT") == here.replace(str(out_here), "OUT")
    _left_alone(out_child)
    _left_alone(out_here)


def test_a_bad_input_gives_the_same_message(provider, tmp_path, fake_python, monkeypatch):
    # (a file that is there, so that the inputs' check before the run lets it through)
    bad = tmp_path / "2022-10-bad-street.csv"
    bad.write_text("not,a,street,table\n1,2,3,4\n", encoding="utf-8")
    params = _params(tmp_path, tmp_path / "out", RELEASE=[str(bad)])
    there = _refusal(params)
    assert len(fake_python["starts"]()) == 1
    _no_python(monkeypatch, tmp_path)
    assert _refusal(params) == there and str(bad.name) in there


def test_neighbourhoods_read_while_the_child_opens_the_raw_side(
    provider, tmp_path, fake_python, monkeypatch
):
    """The outlines are read here once the child has started (it opens the raw side
    meanwhile); if reading them fails, the child is stopped and the error is the one the
    export made here gives, with nothing written and no process left."""
    hoods = QgsVectorLayer(str(LSOAS), "lsoas", "ogr")
    bad = {"NEIGHBOURHOODS": hoods, "CODE_FIELD": "", "NAME_FIELD": ""}
    out = tmp_path / "out"
    _previous(out)
    there = _refusal(_params(tmp_path, out, **bad))  # (the child stopped, maybe unborn)
    _left_alone(out)
    _no_python(monkeypatch, tmp_path)
    assert _refusal(_params(tmp_path, out, **bad)) == there
    assert "code or name field" in there
    _left_alone(out)


def test_a_child_given_no_second_part_refuses(tmp_path):
    """The request's second part never comes (the caller's input ends): refused."""
    out = tmp_path / "out"
    _previous(out)
    request = request_bytes([OCT], out / "map", settings={"tiles": "none"})
    with pytest.raises(ChildExportError, match="request could not be read"):
        export_in_child(
            sys.executable,
            request,
            out / "map",
            more=b"7\nabcdefg",
            env=child_environment(),
            cwd=str(PACKAGE_PARENT),
        )
    _left_alone(out)


# --- cancel, a killed child, hostile children -------------------------------------------------


def test_cancel_mid_way_leaves_the_previous_export(provider, tmp_path, fake_python):
    import processing

    out = tmp_path / "out"
    _previous(out)
    feedback = Recorder(cancel_at=10.0)
    with pytest.raises(QgsProcessingException, match="cancelled; nothing was changed"):
        processing.run(ALG, _params(tmp_path, out), feedback=feedback)
    assert len(fake_python["starts"]()) == 1
    _left_alone(out)


class CancelAt(Feedback):
    """Cancelled once the child reports ``at`` percent (the relay's own reading of it)."""

    def __init__(self, at: float) -> None:
        self.at, self.cancelled = at, False

    def set_progress(self, percent: float) -> None:
        self.cancelled = self.cancelled or percent >= self.at

    def is_cancelled(self) -> bool:
        return self.cancelled


def test_a_cancel_the_child_sees_after_its_last_check_keeps_the_previous_export(tmp_path):
    """The child is past its last check (95 %, gated) when the Cancel pressed on that
    progress reaches it: it swaps only if its caller, asked, says so, and the caller has
    been cancelled by then. (Before the question, this child moved its map into place.)"""
    out = tmp_path / "out"
    _previous(out)
    started: list[int] = []
    held = functools.partial(time.sleep, 0.5)  # (the child's hold after its last check)
    request = request_bytes([OCT], out / "map", settings={"tiles": "none", "before_commit": held})
    with pytest.raises(Cancelled):
        export_in_child(
            sys.executable,
            request,
            out / "map",
            CancelAt(95),
            env=child_environment(),
            cwd=str(PACKAGE_PARENT),
            on_started=started.append,
        )
    _left_alone(out)
    assert group_gone(started[0])


def test_a_child_whose_caller_goes_away_before_its_swap_keeps_the_previous_export(tmp_path):
    """The child's question before its swap meets the end of its input (its caller went
    away, or a caller that does not know the question): it cancels, exit code 3."""
    out = tmp_path / "out"
    _previous(out)
    request = request_bytes([OCT], out / "map", settings={"tiles": "none"})
    done = subprocess.run(
        [sys.executable, "-m", "crime_mapper.core.publish.webmap_child"],
        input=request + more_bytes(None),
        capture_output=True,
        env=child_environment(),
        cwd=str(PACKAGE_PARENT),
        timeout=120,
        check=False,
    )
    events = [json.loads(line)["event"] for line in done.stdout.splitlines()]
    assert events[-2:] == ["ready", "cancelled"], done.stderr[-2000:]
    assert done.returncode == 3
    _left_alone(out)


def test_a_child_killed_mid_way_refuses(tmp_path):
    """The real child, killed (SIGKILL) once it has reported progress: refused, the previous
    export kept, its staging folder and its own forked child gone."""
    out = tmp_path / "out"
    _previous(out)
    started: list[int] = []

    class KillAt(Feedback):
        def set_progress(self, percent: float) -> None:
            if percent >= 35 and started and not getattr(self, "killed", False):
                self.killed = True
                os.kill(started[0], signal.SIGKILL)

    request = request_bytes(
        [OCT], out / "map", raw=[str(RAW)], points=str(points_csv(tmp_path)),
        profile_path=PROFILE,
        # (it waits before its swap until killed: since the staging child forked before the
        # raw read (webmap_early), a child faster than this process's reading of its
        # progress had moved its map into place before the kill)
        settings={"tiles": "none", "before_commit": signal.pause},
    )  # fmt: skip
    with pytest.raises(ChildExportError, match="ended without a result"):
        export_in_child(
            sys.executable,
            request,
            out / "map",
            KillAt(),
            env=child_environment(),
            cwd=str(PACKAGE_PARENT),
            on_started=started.append,
        )
    _left_alone(out)
    assert group_gone(started[0])


@pytest.mark.parametrize(
    "mode, says",
    [
        ("garbage", "said something it should not"),
        ("false_result", "sent a result that cannot be read"),
        ("exit_after_finished", "ended without a result (exit code 3)"),
        ("silent", "ended without a result (exit code 0)"),
        ("hang", "said nothing for"),
    ],
)
def test_a_hostile_child_is_refused(provider, tmp_path, fake_python, monkeypatch, mode, says):
    import processing

    monkeypatch.setenv("CM_FAKE_MODE", mode)
    result = {
        "out_dir": str(tmp_path / "out" / "map"),
        "index": str(tmp_path / "out" / "map" / "index.html"),
        "crimes": 1, "mapped": 1, "points": 1, "months": ["2022-10"], "bytes": 1,
        "gate": "Leak gate passed", "warnings": [], "seconds": 0.1, "beside": True,
    }  # fmt: skip
    monkeypatch.setenv("CM_FAKE_RESULT", json.dumps(result))
    monkeypatch.setattr(webmap_process, "SILENCE_S", 2.0)
    out = tmp_path / "out"
    _previous(out)
    with pytest.raises(QgsProcessingException) as caught:
        processing.run(ALG, _params(tmp_path, out))
    assert says in str(caught.value) and "the export is refused" in str(caught.value)
    assert len(fake_python["starts"]()) == 1
    _left_alone(out)


# --- the protocol's pieces --------------------------------------------------------------------


def test_result_round_trip_and_malformed_results():
    from crime_mapper.core.publish.webmap_export import WebmapResult

    result = WebmapResult(
        out_dir=Path("/x/map"), index=Path("/x/map/index.html"), crimes=3, mapped=2,
        points=1, months=["2022-10"], bytes=10, gate="passed", warnings=["w"], seconds=1.5,
        beside=True,
    )  # fmt: skip
    assert result_from_dict(json.loads(json.dumps(result_to_dict(result)))) == result
    good = result_to_dict(result)
    for key, bad in (
        ("crimes", "3"), ("crimes", True), ("crimes", -1), ("months", "2022-10"),
        ("warnings", [1]), ("gate", ""), ("index", None), ("seconds", "1"), ("beside", 1),
    ):  # fmt: skip
        with pytest.raises(ValueError):
            result_from_dict({**good, key: bad})
    with pytest.raises(ValueError):
        result_from_dict(["not", "an", "object"])


def test_failures_come_back_as_their_own_class_and_message():
    import importlib

    for kind, (module, name) in ERROR_KINDS.items():
        exc = failure_from_event({"event": "failed", "kind": kind, "message": "why: <x>"})
        assert type(exc) is getattr(importlib.import_module(module), name)
        assert str(exc) == "why: <x>"
    exc = failure_from_event(
        {"kind": "OSError", "errno": 2, "strerror": "No such file", "filename": "/a b"}
    )
    assert isinstance(exc, FileNotFoundError) and str(exc) == str(
        FileNotFoundError(2, "No such file", "/a b")
    )
    unknown = failure_from_event({"kind": "SystemExit", "message": "m"})
    assert type(unknown) is ChildExportError


def test_request_reading_refuses_short_or_unsized_requests(tmp_path):
    import io

    body = request_bytes([OCT], tmp_path / "map", settings={"tiles": "none"})
    request = read_request(io.BytesIO(body))
    assert request["releases"] == [str(OCT)] and request["settings"] == {"tiles": "none"}
    for broken in (b"", b"abc\n", b"0\n", body[:-1], b"%d\n" % (1 << 40)):
        with pytest.raises(ValueError):
            read_request(io.BytesIO(broken))


def test_a_cancel_before_the_start_starts_nothing(tmp_path):
    class AlreadyCancelled(Feedback):
        def is_cancelled(self) -> bool:
            return True

    with pytest.raises(Cancelled):
        export_in_child("/nonexistent/python", b"", tmp_path / "map", AlreadyCancelled())


def test_each_error_kind_is_named_by_the_module_that_defines_it():
    """ReleaseInputError was named by core.release.release_files, which only imports it:
    the child compares the module, so every such refusal (a raw file given twice) came back
    as an unexpected error, a traceback in the log and "The web map export failed:
    ReleaseInputError: ..." in front of the message."""
    import importlib

    for kind, (module, name) in ERROR_KINDS.items():
        assert getattr(importlib.import_module(module), name).__module__ == module, kind


def test_a_refused_raw_input_reaches_processing_as_its_message(provider, tmp_path):
    """End to end, through the child process: the message alone, no traceback."""
    import shutil

    import processing
    from qgis.core import QgsProcessingException, QgsProcessingFeedback, QgsVectorLayer

    from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE
    from tests.support.summaries_release import make_release

    release = make_release(tmp_path / "release")
    twice = tmp_path / "again.csv"
    shutil.copy(FORCE_EXTRACT, twice)
    uri = f"file://{release['points']}?delimiter=,&xField=longitude&yField=latitude&crs=EPSG:4326"
    points = QgsVectorLayer(uri, "points", "delimitedtext")
    errors: list[str] = []
    feedback = QgsProcessingFeedback()
    feedback.reportError = lambda text, fatal=False: errors.append(text)  # noqa: ARG005
    params = {
        "RELEASE": [str(release["csv"])],
        "RAW_FILES": [str(FORCE_EXTRACT), str(twice)],
        "PROFILE": str(FORCE_PROFILE),
        "MAP_POINTS": points,
        "TILES": 1,
        "OUTPUT": str(tmp_path / "out"),
    }
    with pytest.raises(
        QgsProcessingException, match=r"^[^\n]*again.csv holds the same bytes"
    ) as exc:
        processing.run("crime_mapper:export_webmap", params, feedback=feedback)
    assert "export failed" not in str(exc.value)
    assert not any("Traceback" in e for e in errors), errors
