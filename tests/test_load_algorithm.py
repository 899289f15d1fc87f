"""crime_mapper:load_extracts through Processing: processing.run, results loaded into the
project, a model, cancellation, and a real `qgis_process.bin run` in a subprocess."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from qgis.core import (
    QgsApplication,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProject,
    QgsVectorLayer,
)

from crime_mapper.processing.base import split_paths
from crime_mapper.qgis_bridge.layers import CRIMES_TABLE, gpkg_uri
from crime_mapper.qgis_bridge.run_load import run_load
from tests.support.qgis_process import child_env, plugin_folder

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "police-uk"
LEICS_SEP = SAMPLE / "2022-09"
LEICS_OCT_ZIP = SAMPLE / "2022-10.zip"
NORTHUMBRIA = SAMPLE / "2022-07"
ALG = "crime_mapper:load_extracts"


def _params(tmp_path: Path, inputs) -> dict:
    return {
        "INPUT": inputs,
        "OUTPUT": str(tmp_path / "crimes.gpkg"),
        "REJECTS": str(tmp_path / "rejects.csv"),
        "REPORT": str(tmp_path / "report.json"),
    }


def test_split_paths_accepts_separators_and_lists():
    assert split_paths("a.csv; b.zip\n c ;;") == ["a.csv", "b.zip", "c"]
    assert split_paths(['"x y/a.csv"', "b;c"]) == ["x y/a.csv", "b", "c"]
    assert split_paths(None) == [] and split_paths("  ") == []


def test_algorithm_metadata(provider):
    alg = QgsApplication.processingRegistry().algorithmById(ALG)
    assert alg is not None
    assert alg.name() == "load_extracts" and alg.group() == "1. Load"
    assert "separated by ';'" in alg.shortHelpString()
    names = [p.name() for p in alg.parameterDefinitions()]
    assert names == ["INPUT", "PROFILE", "OUTPUT", "REJECTS", "REPORT"]
    assert (
        alg.parameterDefinition("PROFILE").flags() & alg.parameterDefinition("PROFILE").FlagOptional
    )


def test_a_run_that_can_read_no_input_fails_and_replaces_nothing(provider, tmp_path):
    """A PNG named .csv alone: the run reported the file's error, exited 0 and replaced the
    previous load's GeoPackage with one of no crime."""
    import processing
    from qgis.core import QgsProcessingException

    params = _params(tmp_path, str(LEICS_SEP))
    processing.run(ALG, params)
    before = {key: Path(params[key]).read_bytes() for key in ("OUTPUT", "REJECTS", "REPORT")}
    picture = tmp_path / "picture.csv"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    with pytest.raises(QgsProcessingException, match="no input could be read as crimes"):
        processing.run(ALG, {**params, "INPUT": str(picture)})
    assert {key: Path(params[key]).read_bytes() for key in before} == before


def test_processing_run_gives_the_same_outputs_as_the_dock(provider, tmp_path):
    import processing

    alg_dir, dock_dir = tmp_path / "alg", tmp_path / "dock"
    inputs = f"{LEICS_SEP};{LEICS_OCT_ZIP}"
    result = processing.run(ALG, _params(alg_dir, inputs))
    assert result["CRIMES_COUNT"] == 4685 + 4836
    assert result["REJECTED_COUNT"] == 0
    assert result["CRIMES_LAYER"] == gpkg_uri(alg_dir / "crimes.gpkg", CRIMES_TABLE)
    assert result["STOP_SEARCH_LAYER"] == ""
    assert "Rows read" in result["REPORT_TEXT"]
    for key in ("OUTPUT", "REJECTS", "REPORT"):
        assert Path(result[key]).is_file()
    assert (alg_dir / "crimes.qml").is_file()

    dock = run_load([LEICS_SEP, LEICS_OCT_ZIP], dock_dir)
    assert json.loads(Path(result["REPORT"]).read_text()) == json.loads(
        dock.report_json.read_text()
    )
    layer = QgsVectorLayer(result["CRIMES_LAYER"], "c", "ogr")
    assert layer.featureCount() == dock.crimes
    assert layer.renderer().type() == "categorizedSymbol"
    with sqlite3.connect(result["OUTPUT"]) as a, sqlite3.connect(dock.gpkg) as b:
        query = "SELECT * FROM crimes ORDER BY fid"
        assert a.execute(query).fetchall() == b.execute(query).fetchall()


def test_repeated_input_values_and_stop_search(provider, tmp_path):
    import processing

    result = processing.run(ALG, _params(tmp_path, [str(NORTHUMBRIA), str(LEICS_SEP)]))
    assert result["CRIMES_COUNT"] == 4308 + 4685
    stops = QgsVectorLayer(result["STOP_SEARCH_LAYER"], "s", "ogr")
    assert stops.isValid() and stops.featureCount() == 385


def test_results_load_into_the_project_styled(provider, qgis_new_project, tmp_path):
    import processing

    processing.runAndLoadResults(ALG, _params(tmp_path, str(NORTHUMBRIA)))
    layers = {layer.name(): layer for layer in QgsProject.instance().mapLayers().values()}
    crimes = layers["Crimes 2022-07 (Northumbria Police)"]
    assert crimes.featureCount() == 4308
    assert crimes.renderer().type() == "categorizedSymbol"
    assert crimes.renderer().classAttribute() == "crime_type"
    assert crimes.attributeDisplayName(crimes.fields().indexOf("lsoa_code")) == "LSOA code"
    stops = layers["Stop and search — Crimes 2022-07 (Northumbria Police)"]
    assert stops.featureCount() == 385


def test_empty_input_is_a_clear_error(provider, tmp_path):
    import processing

    with pytest.raises(QgsProcessingException):
        processing.run(ALG, _params(tmp_path, " ; "))


def test_cancelled_run_leaves_previous_outputs(provider, tmp_path):
    import processing

    processing.run(ALG, _params(tmp_path, str(LEICS_SEP)))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    feedback = QgsProcessingFeedback()
    feedback.cancel()
    alg = QgsApplication.processingRegistry().createAlgorithmById(ALG)
    context = QgsProcessingContext()
    _, ok = alg.run(_params(tmp_path, str(NORTHUMBRIA)), context, feedback)
    assert not ok
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_algorithm_in_a_model(provider, tmp_path):
    """The model designer's view: the algorithm as a child with a model string input."""
    import processing
    from qgis.core import (
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildParameterSource,
        QgsProcessingModelOutput,
        QgsProcessingModelParameter,
        QgsProcessingParameterString,
    )

    model = QgsProcessingModelAlgorithm("load month", "crime_mapper tests")
    model.addModelParameter(
        QgsProcessingParameterString("extracts", "Extracts"),
        QgsProcessingModelParameter("extracts"),
    )
    child = QgsProcessingModelChildAlgorithm(ALG)
    child.setChildId("load")
    child.addParameterSources(
        "INPUT", [QgsProcessingModelChildParameterSource.fromModelParameter("extracts")]
    )
    outputs = {}
    for name in ("OUTPUT", "REJECTS", "REPORT"):
        output = QgsProcessingModelOutput(f"{name.lower()}_file")
        output.setChildId("load")
        output.setChildOutputName(name)
        outputs[f"{name.lower()}_file"] = output
    child.setModelOutputs(outputs)
    model.addChildAlgorithm(child)

    result = processing.run(
        model,
        {
            "extracts": str(LEICS_SEP),
            "load:output_file": str(tmp_path / "m.gpkg"),
            "load:rejects_file": str(tmp_path / "m.csv"),
            "load:report_file": str(tmp_path / "m.json"),
        },
    )
    assert Path(result["load:output_file"]).is_file()
    layer = QgsVectorLayer(gpkg_uri(tmp_path / "m.gpkg", CRIMES_TABLE), "m", "ogr")
    assert layer.featureCount() == 4685


def test_qgis_process_run(tmp_path):
    """`qgis_process.bin run crime_mapper:load_extracts` in a subprocess, isolated profile."""
    exe = shutil.which("qgis_process.bin") or "/usr/bin/qgis_process.bin"
    assert Path(exe).exists(), "qgis_process.bin is installed with the Debian qgis package"
    # the plugin comes from QGIS_PLUGINPATH; PYTHONPATH is extended, never replaced
    env = child_env(
        drop_checkout=True,
        QGIS_PLUGINPATH=str(plugin_folder(tmp_path)),
        QGIS_CUSTOM_CONFIG_PATH=str(tmp_path / "profile"),
    )
    enable = subprocess.run(
        [exe, "plugins", "enable", "crime_mapper"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert enable.returncode == 0, enable.stderr
    out = tmp_path / "out"
    run = subprocess.run(
        [
            exe,
            "--json",
            "run",
            ALG,
            "--",
            f"INPUT={NORTHUMBRIA};{LEICS_OCT_ZIP}",
            f"OUTPUT={out / 'c.gpkg'}",
            f"REJECTS={out / 'r.csv'}",
            f"REPORT={out / 'r.json'}",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    results = json.loads(run.stdout)["results"]
    assert results["CRIMES_COUNT"] == 4308 + 4836
    assert results["OUTPUT"] == str(out / "c.gpkg")
    report = json.loads((out / "r.json").read_text())
    assert report["reconciles"] is True
    layer = QgsVectorLayer(gpkg_uri(out / "c.gpkg", CRIMES_TABLE), "c", "ogr")
    assert layer.featureCount() == 4308 + 4836


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
