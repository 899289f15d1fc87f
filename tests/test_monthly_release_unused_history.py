"""A summaries history that no step of the release uses is said, as a warning of the publish
step, never ignored without a word.

Why: ``[publish] summaries_history`` gives the web map and the neighbourhood summaries their
earlier months. A configuration that set it while making neither (``web_map = false`` and
``summaries = false``) ran and published the month with the history silently unused, and
the analyst who set it believed it was used. It is a warning, not a problem: the release
runs as it would without the history (nothing else changes), the publish step says so, the
command line prints it on stderr naming the step, and the manifest keeps it.

Every run is real: the bundled month (sample_data/release.toml), whose configuration sets a
history, read by the configuration file's own reader, with release QA, the hotspots and the
QGIS project off.
"""

from __future__ import annotations

import json
from pathlib import Path

from crime_mapper.core.monthly.config import read_config
from crime_mapper.core.monthly.release import StepRunners, run_monthly_release
from tests.support.monthly_config import MONTH, cli, config_file

#: the publish step's warning (its start: the rest says why and what to do)
UNUSED = "the summaries history (publish.summaries_history) was not used"


def _config_path(tmp_path: Path, web_map: bool, summaries: bool) -> Path:
    """The bundled configuration (its history set) making the given publications only."""
    return config_file(
        tmp_path,
        publish__web_map=web_map,
        publish__summaries=summaries,
        publish__project=False,
        qa__enabled=False,
        hotspots__enabled=False,
    )


def test_the_configuration_reader_keeps_the_history_and_does_not_refuse(tmp_path: Path) -> None:
    config = read_config(_config_path(tmp_path, web_map=False, summaries=False))
    assert config.publish.summaries_history  # (the bundled history, read as written)
    assert config.problems(MONTH) == []  # a warning, never a refusal: the release runs
    [said] = config.unused_settings()
    assert said.startswith(UNUSED), said
    # (what to do, naming the keys the analyst can change)
    assert "publish.web_map" in said and "publish.summaries" in said, said


def test_a_history_something_uses_is_no_warning(tmp_path: Path) -> None:
    for web_map, summaries in ((True, False), (False, True), (True, True)):
        config = read_config(_config_path(tmp_path, web_map=web_map, summaries=summaries))
        assert config.unused_settings() == [], (web_map, summaries)
    config = read_config(_config_path(tmp_path, web_map=False, summaries=False))
    config.publish.summaries_history = []
    assert config.unused_settings() == []


def test_the_release_runs_and_its_publish_step_warns(tmp_path: Path) -> None:
    config = read_config(_config_path(tmp_path, web_map=False, summaries=False))
    outputs = run_monthly_release(config, MONTH, runners=StepRunners())
    publish = outputs.step("publish")
    assert publish is not None and publish.status == "done"
    assert [w for w in publish.warnings if w.startswith(UNUSED)] == publish.warnings
    assert len(publish.warnings) == 1, publish.warnings
    # nothing published besides the public release: the history changed nothing
    assert not (outputs.out_dir / "map").exists()
    assert not (outputs.out_dir / "neighbourhoods").exists()
    assert [f"publish: {publish.warnings[0]}"] == [
        line for line in outputs.warning_lines() if UNUSED in line
    ]
    manifest = json.loads(outputs.manifest.read_text(encoding="utf-8"))
    warnings = {step["step"]: step["warnings"] for step in manifest["steps"]}
    assert warnings["publish"] == publish.warnings
    assert not [w for step, texts in warnings.items() if step != "publish" for w in texts
                if UNUSED in w]  # fmt: skip


def test_the_command_line_prints_the_warning_and_exits_0(tmp_path: Path) -> None:
    path = _config_path(tmp_path, web_map=False, summaries=False)
    run = cli("release", path, "--month", MONTH, "--no-qgis")
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    errors = run.stderr.splitlines()
    said = [line for line in errors if UNUSED in line]
    assert len(said) == 1, run.stderr
    assert said[0].startswith(f"crime_mapper: warning: publish: {UNUSED}: "), run.stderr
    summary = run.stdout.split("- publish: done", 1)[1].split("Manifest", 1)[0]
    assert f"    Warning: {UNUSED}" in summary, run.stdout


def test_the_dock_shows_the_warning_after_the_run(dock, qgis_iface, qtbot, tmp_path):
    """The Monthly release tab keeps a history the form does not show (a setting of the
    opened file): an analyst who unticks the web map and the summaries is told on the
    message bar that it was not used; the release is not refused."""
    from qgis.core import Qgis
    from qgis.PyQt.QtCore import Qt

    panel = dock.guided_panel
    assert panel.open_config(_config_path(tmp_path, web_map=True, summaries=True))
    panel.set_month(MONTH)
    panel.webmap_check.setChecked(False)
    panel.summaries_check.setChecked(False)
    assert panel.problems() == [] and panel.run_button.isEnabled()
    qgis_iface.messageBar().clear_messages()
    with qtbot.waitSignal(panel.releaseFinished, timeout=600_000) as blocker:
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [True], panel.summary_view.toPlainText()
    bar = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Warning)
    assert [m for m in bar if f"Release warning: publish: {UNUSED}: " in m], bar
    assert f"    Warning: {UNUSED}" in panel.summary_view.toPlainText()
