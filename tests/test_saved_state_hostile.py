"""What the dock reads back from a project and from the user's settings, when it is damaged
or hostile: a project file may come from someone else, and settings files are edited by
hand and copied between machines. Each entry of the wrong shape is reported or ignored, the
form starts afresh where it cannot be read, and no value is silently turned into another
(a text where a list of files belongs is not split into its characters).

Real QGIS, the real dock, a real project's entries and the user's real settings (removed
again after each test)."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from qgis.core import QgsProject, QgsSettings

from crime_mapper.ui.guided_release import SETTINGS_PREFIX, STATE_TEXT, STEPS
from crime_mapper.ui.summaries_panel import HISTORY_SETTING
from tests.support.json_edits import json_places, replaced
from tests.support.monthly_config import MONTH, config_file

SCOPE = "crime_mapper"
#: Values a damaged or hostile entry holds in place of the one written there.
HOSTILE = (
    None, True, 0, -1, 2.5, 10**40, "", "\x00", "running", "done", "../../etc", "<b>x</b>",
    [], ["done"], [1, [2]], {}, {"a": 1}, {"done": "done"},
)  # fmt: skip
USER_KEYS = (
    f"{SETTINGS_PREFIX}/last_profile",
    f"{SETTINGS_PREFIX}/last_salt_file",
    f"{SETTINGS_PREFIX}/last_output",
    f"{SETTINGS_PREFIX}/last_map_points",
    f"{SETTINGS_PREFIX}/recent_configs",
    f"{SETTINGS_PREFIX}/add_layers_when_done",
    HISTORY_SETTING,
)


@pytest.fixture
def dock(qgis_iface, qgis_new_project, qtbot):
    from crime_mapper.ui.dock import CrimeMapperDock

    settings = QgsSettings()
    kept = {key: settings.value(key) for key in USER_KEYS if settings.contains(key)}
    widget = CrimeMapperDock(qgis_iface)
    qtbot.addWidget(widget)
    yield widget
    widget.shutdown()
    for key in USER_KEYS:
        settings.remove(key)
    for key, value in kept.items():
        settings.setValue(key, value)


def _saved_state(panel, tmp_path) -> dict[str, Any]:
    """The state entry the dock writes for a configured form, as JSON."""
    assert panel.open_config(config_file(tmp_path))
    panel.set_month(MONTH)
    text, found = QgsProject.instance().readEntry(SCOPE, "release/state", "")
    assert found
    return json.loads(text)


def _outputs(tmp_path) -> dict[str, Any]:
    """A results entry as the dock writes it after a run (one finished step)."""
    return {
        "version": 1,
        "month": MONTH,
        "out_dir": str(tmp_path / "out"),
        "manifest": str(tmp_path / "out" / "release_manifest.json"),
        "steps": [
            {"name": "load", "status": "done", "outputs": [], "summary": {"rows": 3}, "note": ""}
        ],
        "release": None,
        "load": None,
        "hotspots": [],
        "project": None,
        "qa_report": None,
    }


def _restore(panel, state: Any = None, outputs: Any = None) -> None:
    """Write the entries (a text as is, anything else as its JSON) and restore the form."""
    project = QgsProject.instance()
    for key, value in (("release/state", state), ("release/outputs", outputs)):
        if value is None:
            project.removeEntry(SCOPE, key)
        else:
            project.writeEntry(SCOPE, key, value if isinstance(value, str) else json.dumps(value))
    panel.restore()


def _states_are_known(panel) -> bool:
    return all(panel.state(s) in STATE_TEXT and panel.state(s) != "running" for s in STEPS)


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[1, 2]",
        "5",
        '"text"',
        "null",
        "{",
        pytest.param(DEEP, id="nested-deep"),
        pytest.param('{"config": ' + DEEP + "}", id="config-nested-deep"),
    ],
)
def test_a_state_entry_that_is_no_state_is_reported_and_the_form_starts_afresh(
    dock, tmp_path, text
):
    panel = dock.guided_panel
    _saved_state(panel, tmp_path)
    _restore(panel, state=text)
    assert panel.month() == "" and _states_are_known(panel)


@pytest.mark.parametrize(
    "key, value",
    [
        ("config_path", 5),
        ("config_path", ["a.toml"]),
        ("config", []),
        ("config", "release.toml"),
        ("states", ["done"] * 5),
        ("states", {"load": {"done": 1}, "anonymise": ["done"], "publish": "running"}),
        ("month", ["2022-10"]),
        ("month", {"m": 1}),
    ],
)
def test_a_state_entry_with_a_value_of_the_wrong_type_never_crashes_the_dock(
    dock, tmp_path, key, value
):
    panel = dock.guided_panel
    state = _saved_state(panel, tmp_path)
    _restore(panel, state=dict(state, **{key: value}))
    assert _states_are_known(panel)
    assert panel.month() in ("", MONTH)
    if key in ("states", "month"):  # the configuration is still read
        assert panel.config().to_dict() == state["config"]
        assert panel.month() == ("" if key == "month" else MONTH)
        assert all(panel.state(s) == "not run" for s in STEPS)


def test_a_saved_state_and_results_restore_as_written(dock, tmp_path):
    """The control for the damaged cases: undamaged entries restore the form and results."""
    panel = dock.guided_panel
    state = _saved_state(panel, tmp_path)
    state["states"] = dict.fromkeys(STEPS, "not run") | {"load": "done"}
    _restore(panel, state=state, outputs=_outputs(tmp_path))
    assert panel.month() == MONTH and panel.state("load") == "done"
    assert panel.config().to_dict() == state["config"]
    assert "2022-10" in panel.summary_view.toPlainText()


@pytest.mark.parametrize("seed", range(3))
def test_every_value_of_the_saved_entries_replaced_with_hostile_ones(dock, tmp_path, seed):
    """Each value (and each list or object) of a real state and results entry, in turn,
    replaced by a value of another type: the dock never raises, and never shows a step as
    running or in a state it does not know."""
    panel = dock.guided_panel
    state, outputs = _saved_state(panel, tmp_path), _outputs(tmp_path)
    rng = random.Random(seed)
    for path in json_places(state):
        _restore(panel, state=replaced(state, path, rng.choice(HOSTILE)), outputs=outputs)
        assert _states_are_known(panel), path
    for path in json_places(outputs):
        _restore(panel, state=state, outputs=replaced(outputs, path, rng.choice(HOSTILE)))
        assert _states_are_known(panel), path
        assert panel.month() == MONTH
    for text in ("garbage", "[1]", DEEP, "5"):
        _restore(panel, state=state, outputs=text)
        assert panel.summary_view.toPlainText() == "" and panel.month() == MONTH


@pytest.mark.parametrize(
    "stored, kind, files",
    [
        ('{"kind": "file", "paths": ["a.csv", "b.gpkg"]}', "file", '"a.csv" "b.gpkg"'),
        ('{"kind": "file", "paths": "points.csv"}', "file", ""),
        ('{"kind": "file", "paths": ["a.csv", 5]}', "file", ""),
        ('{"kind": 5, "paths": ["a.csv"]}', "history", ""),
        ('{"kind": "elsewhere", "paths": ["a.csv"]}', "history", ""),
        ('["file"]', "history", ""),
        ("not json", "history", ""),
        pytest.param(DEEP, "history", "", id="nested-deep"),
    ],
)
def test_the_last_map_points_setting_is_used_only_when_whole(dock, stored, kind, files):
    QgsSettings().setValue(f"{SETTINGS_PREFIX}/last_map_points", stored)
    panel = dock.guided_panel
    _restore(panel)
    assert panel.points_kind.currentData() == kind
    assert panel.points_widget.filePath() == files


@pytest.mark.parametrize("value", [5, ["a.toml", 7, "", None], {"a": 1}, 2.5])
def test_recent_configurations_keep_only_paths(dock, value):
    QgsSettings().setValue(f"{SETTINGS_PREFIX}/recent_configs", value)
    recent = dock.guided_panel._recent()
    assert recent == (["a.toml"] if isinstance(value, list) else [])


@pytest.mark.parametrize("value", [["a.csv", "b.csv"], 5, {"x": 1}])
def test_remembered_paths_of_another_type_leave_their_fields_empty(qgis_iface, dock, value):
    settings = QgsSettings()
    for key in USER_KEYS[:3]:
        settings.setValue(key, value)
    settings.setValue(HISTORY_SETTING, value)
    panel = dock.guided_panel
    _restore(panel)
    assert panel.profile_widget.filePath() == "" and panel.salt_widget.filePath() == ""
    assert panel.output_edit.text() == ""
    from crime_mapper.ui.dock import CrimeMapperDock

    again = CrimeMapperDock(qgis_iface)
    try:
        assert again.summaries_panel.history.filePath() == ""
    finally:
        again.shutdown()


def test_remembered_paths_that_are_text_are_offered(qgis_iface, dock):
    """The control: the same settings holding paths fill the fields."""
    settings = QgsSettings()
    settings.setValue(f"{SETTINGS_PREFIX}/last_profile", "force.profile.json")
    settings.setValue(f"{SETTINGS_PREFIX}/last_output", "out/{month}")
    panel = dock.guided_panel
    _restore(panel)
    assert panel.profile_widget.filePath() == "force.profile.json"
    assert panel.output_edit.text() == "out/{month}"


@pytest.mark.parametrize(
    "stored, checked",
    [
        (True, True), (False, False), ("true", True), ("false", False), (" FALSE ", False),
        ("1", True), ("0", False), (0, False), (1, True),
        ("", True), ("banana", True), ("off", True), (2, True), (2.5, True), (None, True),
        ([], True), (["false"], True), ([False], True), ({"a": 1}, True), ("x" * 100_000, True),
    ],
)  # fmt: skip
def test_add_layers_when_done_reads_only_an_on_or_off_value(qgis_iface, dock, stored, checked):
    """A stored list or map made the dock fail (setChecked refused it: TypeError), and any
    other text ("", "banana") was turned into a choice by Qt's rule: now only what Qt writes
    for a flag (or 0/1) is read, and anything else is the default (on)."""
    from crime_mapper.ui.dock import CrimeMapperDock

    QgsSettings().setValue(f"{SETTINGS_PREFIX}/add_layers_when_done", stored)
    again = CrimeMapperDock(qgis_iface)
    try:
        assert again.guided_panel.add_when_done_check.isChecked() is checked
    finally:
        again.shutdown()


@pytest.mark.parametrize("key", ["last_output", "last_profile", "last_salt_file"])
def test_a_remembered_path_holding_a_nul_is_a_problem_not_a_crash(dock, key):
    """A NUL in a remembered path reached the form, and the form's checks (realpath) raised
    a ValueError out of restore(): the dock could not start a new project. Now the path is
    a problem named in the form, like any other."""
    QgsSettings().setValue(f"{SETTINGS_PREFIX}/{key}", "out\x00/{month}")
    panel = dock.guided_panel
    _restore(panel)
    panel.set_month("2022-10")
    problems = panel.problems()
    assert any("NUL" in p for p in problems), problems


def test_a_nul_typed_into_a_path_field_is_a_problem_not_a_crash(dock, tmp_path):
    """The same for a path typed or pasted: each change of the form checks it (in a slot,
    where pytest-qt reports any exception raised)."""
    panel = dock.guided_panel
    assert panel.open_config(config_file(tmp_path))
    panel.set_month(MONTH)
    panel.output_edit.setText(str(tmp_path / "out\x00"))
    assert any("NUL" in p for p in panel.problems())


@pytest.mark.parametrize("audit_html", [None, "", "audit\x00.html"])
def test_saved_results_whose_audit_page_is_no_path_restore_no_results(dock, tmp_path, audit_html):
    """The results entry was read with no audit page (or one naming no file), and showing it
    then raised (TypeError, ValueError) out of the dock's restore of the project."""
    from crime_mapper.core.monthly.outputs_json import plain
    from crime_mapper.core.release.pipeline import ReleaseOutputs

    panel = dock.guided_panel
    state, outputs = _saved_state(panel, tmp_path), _outputs(tmp_path)
    public = tmp_path / "out" / "public"
    release = plain(
        ReleaseOutputs(public / "a.csv", None, public / "a.json", public / "a.html",
                       public / "manifest.json", None, {}, rows_in=3)
    )  # fmt: skip
    _restore(panel, state=state, outputs=dict(outputs, release=release))
    assert "Open the audit in a browser" in panel.summary_view.toPlainText()  # (the control)
    _restore(
        panel, state=state, outputs=dict(outputs, release=dict(release, audit_html=audit_html))
    )
    assert panel.summary_view.toPlainText() == "" and panel.month() == MONTH
