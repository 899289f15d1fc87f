"""Outputs named as inputs, or as folders, in the release and publish algorithms.

Why: a hostile-input run of check_release, build_map_points and release_qa found each would
write an output over a file it read and report success: the gate report over the very CSV it
had just passed (or over the raw extract), the map points GeoPackage over the police.uk
history CSV it was built from, the saved QA history over this month's extract or the QA
report. An output that was an existing folder failed only after the work, as "[Errno 21]
Is a directory", with a staging folder left behind. Each is now refused by name before
anything is read or written. Real files: the bundled police.uk months and force extract.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from qgis.core import QgsProcessingException, QgsVectorLayer

from tests.support.summaries_release import make_release

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data"
SEPT = SAMPLE / "police-uk" / "2022-09" / "2022-09-leicestershire-street.csv"
OCT = SAMPLE / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"
EXTRACT = SAMPLE / "force" / "2022-10-leicestershire-force-extract.csv"
PROFILE = SAMPLE / "force" / "leicestershire-force-extract.profile.json"
QA_HISTORY = SAMPLE / "qa" / "leicester-city-2021-10-to-2022-09.qa_history.json"


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> dict:
    """A real public release of the force extract and its map points (plain command line)."""
    return make_release(tmp_path_factory.mktemp("outputs_hostile"))


def _points(path: Path) -> QgsVectorLayer:
    uri = f"file://{path}?delimiter=,&xField=longitude&yField=latitude&crs=EPSG:4326"
    layer = QgsVectorLayer(uri, "points", "delimitedtext")
    assert layer.isValid()
    return layer


def _stages(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".crime_mapper-stage"))


# --- check_release --------------------------------------------------------------------------


@pytest.mark.parametrize("over", ["checked", "raw"])
def test_a_gate_report_over_an_input_is_refused(provider, release, tmp_path, over):
    """The report over the CSV it checked replaced the CSV (and the run passed)."""
    import processing

    public = tmp_path / "public.csv"
    raw = tmp_path / "extract.csv"
    shutil.copy(release["csv"], public)
    shutil.copy(EXTRACT, raw)
    target = public if over == "checked" else raw
    before = target.read_bytes()
    params = {
        "RAW_FILES": [str(raw)],
        "PROFILE": str(PROFILE),
        "MAP_POINTS": _points(release["points"]),
        "RELEASE_FILE": str(public),
        "REPORT": str(target),
    }
    with pytest.raises(QgsProcessingException, match=r"The gate report .* is an input"):
        processing.run("crime_mapper:check_release", params)
    assert target.read_bytes() == before
    # the control: a report of its own is written and the release passes
    params["REPORT"] = str(tmp_path / "report.json")
    assert processing.run("crime_mapper:check_release", params)["PASSED"] == 1


# --- build_map_points -----------------------------------------------------------------------


def test_map_points_over_their_history_are_refused(provider, tmp_path):
    """The GeoPackage written over the history CSV replaced it."""
    import processing

    history = tmp_path / "2022-09-leicestershire-street.csv"
    shutil.copy(SEPT, history)
    with pytest.raises(QgsProcessingException, match=r"The map points .* is an input"):
        processing.run(
            "crime_mapper:build_map_points",
            {"MODE": 1, "HISTORY": [str(history)], "OUTPUT": str(history)},
        )
    assert history.read_bytes() == SEPT.read_bytes()


def test_map_points_over_their_points_layer_are_refused(provider, tmp_path):
    """A map points layer rebuilt onto its own GeoPackage replaced the file."""
    import processing

    first = tmp_path / "points.gpkg"
    processing.run(
        "crime_mapper:build_map_points", {"MODE": 1, "HISTORY": [str(SEPT)], "OUTPUT": str(first)}
    )
    before = first.read_bytes()
    layer = QgsVectorLayer(f"{first}|layername=map_points", "points", "ogr")
    assert layer.isValid()
    with pytest.raises(QgsProcessingException, match=r"The map points .* is an input"):
        processing.run(
            "crime_mapper:build_map_points",
            {"MODE": 0, "POINTS": layer, "LABEL_FIELD": "label", "OUTPUT": str(first)},
        )
    assert first.read_bytes() == before


def test_map_points_onto_a_folder_are_refused_before_the_work(provider, tmp_path):
    import processing

    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(
        QgsProcessingException,
        match=r"Map points GeoPackage \(OUTPUT\) is a folder, not a file: .*out",
    ):
        processing.run(
            "crime_mapper:build_map_points",
            {"MODE": 1, "HISTORY": [str(SEPT)], "OUTPUT": str(folder)},
        )
    assert list(folder.iterdir()) == [] and _stages(tmp_path) == []


# --- release_qa -----------------------------------------------------------------------------


def _qa(tmp_path: Path, **more) -> dict:
    import processing

    return processing.run(
        "crime_mapper:release_qa",
        {
            "CRIMES_FILES": [str(tmp_path / "month.csv")],
            "HISTORY": [str(tmp_path / "history.json")],
            "OUTPUT_FOLDER": str(tmp_path / "qa"),
            **more,
        },
    )


@pytest.fixture
def qa_inputs(tmp_path) -> Path:
    shutil.copy(OCT, tmp_path / "month.csv")
    shutil.copy(QA_HISTORY, tmp_path / "history.json")
    shutil.copy(SEPT, tmp_path / "september.csv")
    return tmp_path


@pytest.mark.parametrize(
    "save, what",
    [
        ("month.csv", "is an input"),
        ("september.csv", "is an input"),
        ("qa/qa_report.json", "are one file"),
        ("qa", "is a folder, not a file"),
    ],
)
def test_a_saved_qa_history_over_an_input_or_the_report_is_refused(provider, qa_inputs, save, what):
    """SAVE_HISTORY over this month's extract, a history CSV or the report replaced it;
    on a folder the run failed after writing the report, with a bare "[Errno 21]"."""
    tmp_path = qa_inputs
    (tmp_path / "qa").mkdir()
    files = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    history = [str(tmp_path / "history.json"), str(tmp_path / "september.csv")]
    with pytest.raises(
        QgsProcessingException,
        match=f"(The QA history|Save QA history \\(SAVE_HISTORY\\)) .*{what}",
    ):
        _qa(tmp_path, HISTORY=history, SAVE_HISTORY=str(tmp_path / save))
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == files
    assert _stages(tmp_path) == []


def test_a_report_folder_that_is_a_file_is_refused_by_name(provider, qa_inputs):
    tmp_path = qa_inputs
    with pytest.raises(
        QgsProcessingException,
        match=r"QA report folder \(OUTPUT_FOLDER\) is a file, not a folder: .*month.csv",
    ):
        _qa(tmp_path, OUTPUT_FOLDER=str(tmp_path / "month.csv"))
    assert (tmp_path / "month.csv").read_bytes() == OCT.read_bytes()


def test_the_rolling_qa_history_may_be_saved_over_itself(provider, qa_inputs):
    """The control: ``HISTORY=H.json`` and ``SAVE_HISTORY=H.json`` is the README's rolling
    file, rewritten with this month added."""
    tmp_path = qa_inputs
    _qa(tmp_path, SAVE_HISTORY=str(tmp_path / "history.json"))
    saved = json.loads((tmp_path / "history.json").read_text(encoding="utf-8"))
    months = [m["month"] for m in saved["months"]]
    assert months[-1] == "2022-10" and len(months) == 12


def test_the_command_line_map_points_over_their_history_are_refused(tmp_path, capsys):
    """``map-points history H.csv --out H.csv`` replaced the history with the map points
    and exited 0."""
    from crime_mapper.cli import main

    history = tmp_path / "2022-09-leicestershire-street.csv"
    shutil.copy(SEPT, history)
    assert main(["map-points", "history", str(history), "--out", str(history)]) != 0
    assert "is an input" in capsys.readouterr().err
    assert history.read_bytes() == SEPT.read_bytes()
