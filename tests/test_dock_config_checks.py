"""The dock's form is read by the release configuration's own reader: a setting typed or
pasted into the Monthly release tab is refused, or kept, exactly as the same setting in a
configuration file is.

Why: the form built its ReleaseConfig itself, with none of the reader's text checks. A NUL
pasted into the force name, the web map's title or a field name was accepted, saved, and
the saved file then refused when it was opened next month; and the form's str.strip took
U+001C-U+001F, U+0085 and Unicode spaces off a text's ends, which the file keeps (a force
"Leics\\x1f" was "Leics" from the dock and "Leics\\x1f" from the file). The real dock under
QT_QPA_PLATFORM=offscreen (pytest-qgis), the bundled configuration in tmp_path, the real
reader and writer.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from qgis.core import Qgis

from crime_mapper.core.monthly.config import ConfigError, read_config
from tests.support.monthly_config import MONTH, config_file


@pytest.fixture
def panel(qgis_iface, qgis_new_project, qtbot, tmp_path):
    from crime_mapper.ui.dock import CrimeMapperDock

    dock = CrimeMapperDock(qgis_iface)
    qtbot.addWidget(dock)
    guided = dock.guided_panel
    assert guided.open_config(config_file(tmp_path))
    guided.set_month(MONTH)
    assert guided.problems() == []  # (the bundled month is ready: any problem is the test's)
    qgis_iface.messageBar().clear_messages()
    yield guided
    dock.shutdown()


#: The form's text fields: (its label, the configuration's key, how to type into it).
TEXT_FIELDS = [
    ("Force", "release.force", lambda p, v: p.force_edit.setText(v)),
    ("Title", "publish.title", lambda p, v: p.webmap_title_edit.setText(v)),
    ("Code field", "publish.neighbourhoods.code_field", lambda p, v: p.hood_code_edit.setText(v)),
    (
        "Name field",
        "publish.neighbourhoods.name_field",
        lambda p, v: p.hood_widgets["name_field"].setText(v),
    ),
    ("Folder", "release.output", lambda p, v: p.output_edit.setText(v)),
    ("Rules", "anonymise.rules", lambda p, v: p.rules_widget.setFilePath(v)),
]
FIELD_IDS = [label for label, _key, _type in TEXT_FIELDS]


def _file_verdict(tmp_path: Path, key: str, value: str) -> Any:
    """What the configuration's reader makes of the bundled file with ``key`` set to
    ``value``: the ReleaseConfig's content, or the ConfigError's words without the path."""
    data = read_config(config_file(tmp_path)).to_dict()
    *tables, name = key.split(".")
    place = data
    for table in tables:
        place = place[table]
    place[name] = value
    path = tmp_path / "typed.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    try:
        return read_config(path).to_dict()
    except ConfigError as exc:
        assert exc.key == key
        return str(exc).removeprefix(f"{path}: ")


def _dock_verdict(panel: Any) -> Any:
    try:
        return panel.config().to_dict()
    except ConfigError as exc:
        return str(exc)


@pytest.mark.parametrize("label, key, type_into", TEXT_FIELDS, ids=FIELD_IDS)
def test_a_nul_typed_into_a_field_is_refused_as_from_a_file(
    panel, qgis_iface, tmp_path, label, key, type_into
):
    """Refused under the month and folder naming the field, the run and every step's button
    off, Save refused on the message bar with nothing written; the same words as the file's
    refusal."""
    type_into(panel, "Leicester\x00shire")
    said = _file_verdict(tmp_path, key, "Leicester\x00shire")
    assert isinstance(said, str) and "NUL" in said
    assert panel.problems() == [f"{label}: {said}"]
    assert panel.release_problems.text() == f"• {label}: {said}"
    assert not panel.release_problems.isHidden()
    assert panel.problems_view.text().startswith("Not ready")
    assert not panel.run_button.isEnabled()
    assert not any(button.isEnabled() for button in panel.step_buttons.values())
    assert not panel.run_release() and panel.current_task() is None

    target = tmp_path / "saved.toml"
    assert panel.save_config(target) is None
    assert not target.exists()
    warnings = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Warning)
    assert any(f"The configuration was not saved: {label}: {said}" in m for m in warnings)

    type_into(panel, "Leicestershire")  # put right, the form is whole again
    assert panel.problems() == [] or key == "anonymise.rules"
    assert panel.save_config(target) == target
    assert read_config(target).to_dict() == panel.config().to_dict()


@pytest.mark.parametrize("label, key, type_into", TEXT_FIELDS[:4], ids=FIELD_IDS[:4])
@pytest.mark.parametrize("value", ["Leics\x1f", "\x1cLeics", "Leics\x85", "\xa0Leics\u2028"])
def test_a_text_the_file_keeps_is_kept_as_written(panel, tmp_path, label, key, type_into, value):
    """str.strip took these ends off in the form; the file's reader keeps them (only
    spaces, tabs and line breaks are taken off), and so does the form now: saved and
    opened again, it is the same."""
    type_into(panel, value)
    config = panel.config()
    assert config.to_dict() == _file_verdict(tmp_path, key, value)
    target = panel.save_config(tmp_path / "saved.toml")
    assert target is not None and read_config(target).to_dict() == config.to_dict()


@pytest.mark.parametrize("label, key, type_into", TEXT_FIELDS[:4], ids=FIELD_IDS[:4])
def test_ordinary_spaces_at_the_ends_are_taken_off_as_from_a_file(
    panel, tmp_path, label, key, type_into
):
    """The control: what both take off, both take off."""
    type_into(panel, " \tLeics shire\r\n ")
    assert panel.config().to_dict() == _file_verdict(tmp_path, key, " \tLeics shire\r\n ")
    assert "Leics shire" in json.dumps(panel.config().to_dict())


# --- fuzz: hostile texts in every text field, the dock's verdict is the file's --------------

PIECES = ["\x00", "\x1f", "\x1c", "\x7f", "\x85", "\xa0", "\u2028", "\u202e", " ", "\t", "\r\n"]
PIECES += ["\x1b[31m", "{month}", '"', "\\", "\U0001f6a8", "a", "Leics", "é"]


def _hostile(rng: random.Random) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 6)))


@pytest.mark.parametrize("seed", range(3))
def test_every_text_field_gives_the_files_verdict(panel, tmp_path, seed):
    """Random texts built from control characters, Unicode spaces and ordinary text, typed
    into each text field: the dock refuses exactly what the file refuses, with the same
    words (after the field's label), and keeps exactly what the file keeps."""
    rng = random.Random(seed)
    as_opened = read_config(config_file(tmp_path)).to_dict()
    for label, key, type_into in TEXT_FIELDS:
        for _ in range(6):
            value = _hostile(rng)
            type_into(panel, value)
            file_said = _file_verdict(tmp_path, key, value)
            dock_said = _dock_verdict(panel)
            assert dock_said == file_said, (label, value)
            if isinstance(file_said, str):
                assert panel.problems() == [f"{label}: {file_said}"], (label, value)
        place: Any = as_opened
        for name in key.split("."):
            place = place.get(name, "")  # (a field the file leaves out is empty)
        type_into(panel, place)  # (as the file has it, for the next field's comparison)
