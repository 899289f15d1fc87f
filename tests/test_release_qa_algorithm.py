"""crime_mapper:release_qa through Processing: the same report as the command line, findings
reported but never failing the run, bad inputs refused with a clear message."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from qgis.core import (
    QgsApplication,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsVectorLayer,
)

from crime_mapper.cli import main
from tests.support import qa_faults as faults
from tests.support.processing_feedback import WarningsFeedback as Warnings

ALG = "crime_mapper:release_qa"


@pytest.fixture(scope="module")
def points_layer(tmp_path_factory):
    csv = tmp_path_factory.mktemp("points") / "points.csv"
    police = faults.SAMPLES / "police-uk"
    assert main(["map-points", "history", str(police / "2022-09"), str(police / "2022-10.zip"),
                 "--out", str(csv)]) == 0  # fmt: skip
    uri = f"file://{csv}?type=csv&xField=longitude&yField=latitude&crs=EPSG:4326&detectTypes=yes"
    layer = QgsVectorLayer(uri, "map points", "delimitedtext")
    assert layer.isValid() and layer.featureCount() > 1000
    return layer, csv


def test_algorithm_matches_the_command_line(provider, tmp_path, points_layer):
    import processing

    layer, csv = points_layer
    result = processing.run(ALG, {
        "CRIMES_FILES": [str(faults.BUNDLED_RAW)],
        "PROFILE": str(faults.BUNDLED_PROFILE),
        "HISTORY": [str(faults.BUNDLED_HISTORY)],
        "MAP_POINTS": layer,
        "LABEL_FIELD": "label",
        "OUTPUT_FOLDER": str(tmp_path / "alg"),
        "SAVE_HISTORY": str(tmp_path / "alg" / "history.json"),
    })  # fmt: skip
    assert result["HIGH"] == 0
    assert result["VERDICT"].startswith("no high-severity findings")
    alg = json.loads(open(result["REPORT_JSON"], encoding="utf-8").read())
    assert (tmp_path / "alg" / "history.json").exists()
    assert main(["qa", str(faults.BUNDLED_RAW), "--profile", str(faults.BUNDLED_PROFILE),
                 "--history", str(faults.BUNDLED_HISTORY), "--points", str(csv),
                 "--out", str(tmp_path / "cli")]) == 0  # fmt: skip
    cli = json.loads((tmp_path / "cli" / "qa_report.json").read_text(encoding="utf-8"))
    assert alg["findings"] == cli["findings"] and alg["counts"] == cli["counts"]


def test_high_findings_are_reported_not_raised(provider, tmp_path):
    import processing

    broken = faults.drop_week(pd.read_csv(faults.BUNDLED_RAW, dtype=str, keep_default_na=False))
    path = tmp_path / "2022-10-force-extract.csv"
    broken.to_csv(path, index=False)
    result = processing.run(ALG, {
        "CRIMES_FILES": [str(path)],
        "PROFILE": str(faults.BUNDLED_PROFILE),
        "HISTORY": [str(faults.BUNDLED_HISTORY)],
        "OUTPUT_FOLDER": str(tmp_path / "out"),
    })  # fmt: skip
    assert result["HIGH"] >= 1
    html = (tmp_path / "out" / "qa_report.html").read_text(encoding="utf-8")
    assert "8–14 October 2022" in html


def test_bad_inputs_are_refused(provider, tmp_path):
    import processing

    with pytest.raises(QgsProcessingException, match="No crimes given"):
        processing.run(ALG, {"HISTORY": [str(faults.BUNDLED_HISTORY)],
                             "OUTPUT_FOLDER": str(tmp_path)})  # fmt: skip
    bad = tmp_path / "history.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(QgsProcessingException, match="not a QA history file"):
        processing.run(ALG, {"CRIMES_FILES": [str(faults.BUNDLED_MONTH)],
                             "HISTORY": [str(bad)], "OUTPUT_FOLDER": str(tmp_path)})  # fmt: skip


def test_a_history_month_left_out_is_a_warning(provider, tmp_path):
    """A later month given as history was left out of the baseline in silence. The warning
    names the file on one line, its control characters escaped (a folder named with a
    Unicode line break, NEL, and "Leak gate: passed" put a line of its own into a log
    viewer; Processing itself takes no path holding a newline); the report keeps its name
    exactly."""
    import processing

    history = json.loads(faults.BUNDLED_HISTORY.read_text(encoding="utf-8"))
    folder = tmp_path / "out\x85Leak gate: passed"
    folder.mkdir()
    later = folder / "later.json"
    later.write_text(json.dumps([{**history[0], "month": "2022-11"}]), encoding="utf-8")
    feedback = Warnings()
    result = processing.run(ALG, {
        "CRIMES_FILES": [str(faults.BUNDLED_MONTH)],
        "HISTORY": [str(faults.BUNDLED_HISTORY), str(later)],
        "OUTPUT_FOLDER": str(tmp_path / "out"),
    }, feedback=feedback)  # fmt: skip
    line = f"2022-11 from {later}: not before the release month 2022-10, left out"
    shown = line.replace("\x85", "\\x85")
    assert feedback.warnings == [f"History month left out: {shown}"]
    report = json.loads(open(result["REPORT_JSON"], encoding="utf-8").read())
    assert report["history_left_out"] == [line] and len(report["history_months"]) == 12


def test_a_far_distance_that_is_no_number_is_refused(provider, tmp_path):
    """FAR=nan reached the report, whose JSON could then not be written (a ValueError
    traceback: "Out of range float values are not JSON compliant")."""
    import processing

    out = tmp_path / "out"
    with pytest.raises(QgsProcessingException, match="far distance must be a positive number"):
        processing.run(ALG, {"CRIMES_FILES": [str(faults.BUNDLED_MONTH)], "FAR": "nan",
                             "HISTORY": [str(faults.BUNDLED_HISTORY)],
                             "OUTPUT_FOLDER": str(out)})  # fmt: skip
    assert not out.exists()


def _files(folder) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden stage folders included), by its relative path."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_cancel_past_95_percent_keeps_the_previous_outputs(provider, tmp_path):
    """A Cancel pressed after the QA's last check (its 95%) was not read again: the run
    replaced the reports and the saved history and ended as done."""
    import processing

    out = tmp_path / "out"
    params = {
        "CRIMES_FILES": [str(faults.BUNDLED_MONTH)],
        "HISTORY": [str(faults.BUNDLED_HISTORY)],
        "OUTPUT_FOLDER": str(out),
        "SAVE_HISTORY": str(out / "history.json"),
    }
    processing.run(ALG, params)
    before = _files(out)
    assert {"qa_report.json", "qa_report.html", "history.json"} <= set(before)
    broken = faults.drop_week(pd.read_csv(faults.BUNDLED_RAW, dtype=str, keep_default_na=False))
    extract = tmp_path / "2022-10-force-extract.csv"
    broken.to_csv(extract, index=False)  # (another month's report: a replacement would show)
    feedback = QgsProcessingFeedback()
    seen: list[float] = []

    def cancel_late(progress: float) -> None:
        seen.append(progress)
        if progress >= 95:
            feedback.cancel()

    feedback.progressChanged.connect(cancel_late)
    alg = QgsApplication.processingRegistry().createAlgorithmById(ALG)
    changed = {**params, "CRIMES_FILES": [str(extract)], "PROFILE": str(faults.BUNDLED_PROFILE)}
    _, ok = alg.run(changed, QgsProcessingContext(), feedback)
    assert feedback.isCanceled() and min(p for p in seen if p >= 95) == 95  # (cancelled at 95%)
    assert not ok
    assert _files(out) == before


def test_anonymise_records_the_qa_report(provider, tmp_path, points_layer):
    import secrets

    import processing

    layer, _ = points_layer
    qa = processing.run(ALG, {
        "CRIMES_FILES": [str(faults.BUNDLED_RAW)], "PROFILE": str(faults.BUNDLED_PROFILE),
        "HISTORY": [str(faults.BUNDLED_HISTORY)], "MAP_POINTS": layer,
        "OUTPUT_FOLDER": str(tmp_path / "qa"),
    })  # fmt: skip
    salt = tmp_path / "secret.salt"
    salt.write_bytes(secrets.token_bytes(32))
    out = tmp_path / "release"
    result = processing.run("crime_mapper:anonymise", {
        "CRIMES_FILES": [str(faults.BUNDLED_RAW)], "PROFILE": str(faults.BUNDLED_PROFILE),
        "MAP_POINTS": layer, "LABEL_FIELD": "label", "SALT_FILE": str(salt),
        "QA_REPORT": qa["REPORT_JSON"],
        "PUBLIC_CSV": str(out / "2022-10-leicestershire-street.csv"),
        "PUBLIC_LAYER": str(out / "2022-10-leicestershire-street.gpkg"),
        "AUDIT_JSON": str(out / "audit.json"), "AUDIT_HTML": str(out / "audit.html"),
        "MANIFEST": str(out / "release_manifest.json"),
    })  # fmt: skip
    manifest = json.loads(open(result["MANIFEST"], encoding="utf-8").read())
    assert manifest["release_qa"]["verdict"] == qa["VERDICT"]
    assert manifest["release_qa"]["counts"]["high"] == qa["HIGH"]
