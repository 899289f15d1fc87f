"""The column-mapping profile dialog and its dock buttons, with real widgets on real files.

Why: analysts build a force's profile once and reuse it every month, so what the dialog
proposes, validates and saves must be exactly what the loader reads back; and the preview
must show the offences that would be rejected before a load is run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.load.mapping_profile import (
    DEFAULT_OFFENCE_TABLE,
    MappingProfile,
    ProfileError,
)
from crime_mapper.ui.dock import CrimeMapperDock
from crime_mapper.ui.profile_dialog import UNMAPPED_BRUSH, ProfileDialog
from tests.support.force_extract import COLUMNS, make_force_extract

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_PROFILE = ROOT / "crime_mapper" / "resources" / "profiles" / "example_force_rms.json"
EXPECTED_COLUMNS = COLUMNS


@pytest.fixture
def extract(tmp_path: Path) -> Path:
    """A force export shaped like a records-system extract (cp1252, BNG, UK dates)."""
    path = tmp_path / "force-extract.csv"
    make_force_extract(path, encoding="cp1252")
    return path


@pytest.fixture
def dialog_factory(qgis_iface):
    """Dialogs made by a test, closed and deleted afterwards."""
    made: list[ProfileDialog] = []

    def make(**kwargs) -> ProfileDialog:
        dialog = ProfileDialog(**kwargs)
        made.append(dialog)
        return dialog

    yield make
    for dialog in made:
        dialog.close()
        dialog.deleteLater()


def test_dialog_proposes_the_force_extract_columns(extract: Path, dialog_factory) -> None:
    dialog = dialog_factory(extract_path=extract)
    assert dialog.head is not None and dialog.head.header[:3] == ["CrimeRef", "Easting", "Northing"]
    for role, column in EXPECTED_COLUMNS.items():
        assert dialog.role_column(role) == column, role
    assert dialog.role_column("category") is None
    # every role has a row whose choices are the extract's columns plus "(none)"
    combo = dialog.role_combos["location"]
    choices = [combo.itemText(i) for i in range(combo.count())]
    assert choices == ["(none)", *dialog.head.header]
    assert dialog.profile().columns == EXPECTED_COLUMNS
    assert dialog.validation_errors() == []
    assert dialog.save_button.isEnabled()
    assert dialog.unmapped_offences() == []
    assert dialog.preview_table.rowCount() == 20


def test_save_then_load_round_trips_and_loads_the_extract(
    extract: Path, tmp_path: Path, dialog_factory
) -> None:
    dialog = dialog_factory(extract_path=extract)
    dialog.name_edit.setText("Leicestershire RMS")
    dialog.crs_combo.setCurrentIndex(dialog.crs_combo.findData("EPSG:27700"))
    dialog.date_format_combo.setEditText("%d/%m/%Y %H:%M")
    dialog.encoding_combo.setCurrentIndex(dialog.encoding_combo.findText("cp1252"))
    dialog.reported_by_edit.setText("Leicestershire Police")
    assert dialog.save_button.isEnabled(), dialog.validation_errors()

    saved = dialog.save_to(tmp_path / "leics")  # .json is added
    assert saved == tmp_path / "leics.json" and dialog.saved_path == saved
    loaded = MappingProfile.load(saved)
    assert loaded == dialog.profile()
    assert loaded.crs == "EPSG:27700" and loaded.encoding == "cp1252"
    assert loaded.date_format == "%d/%m/%Y %H:%M" and loaded.columns == EXPECTED_COLUMNS

    # reopening the saved profile (with the extract) shows the same settings
    again = dialog_factory(profile_path=saved, extract_path=extract)
    assert again.profile() == loaded
    # and the loader reads the extract with it, every row accounted for
    result = load_extracts([extract], profile=loaded)
    assert len(result.crimes) == 60 and len(result.rejects) == 0
    assert (result.crimes["reported_by"] == "Leicestershire Police").all()


def test_missing_required_role_disables_save(extract: Path, tmp_path: Path, dialog_factory) -> None:
    dialog = dialog_factory(extract_path=extract)
    assert dialog.save_button.isEnabled()
    dialog.set_role_column("date", None)
    assert not dialog.save_button.isEnabled()
    assert "Date" in dialog.validation_label.text()
    with pytest.raises(ProfileError, match="Date"):
        dialog.save_to(tmp_path / "p.json")
    assert not (tmp_path / "p.json").exists()

    dialog.set_role_column("date", "OffenceDate")
    dialog.set_role_column("offence", None)
    assert not dialog.save_button.isEnabled()
    assert "Offence column or a police.uk category" in dialog.validation_label.text()
    dialog.set_role_column("offence", "Offence")
    assert dialog.save_button.isEnabled()

    dialog.date_format_combo.setEditText("dd/mm/yyyy")  # not a strftime format
    assert not dialog.save_button.isEnabled()
    assert "strftime" in dialog.validation_label.text()


def test_a_name_pasted_with_a_lone_surrogate_disables_save(
    extract: Path, tmp_path: Path, dialog_factory
) -> None:
    """A name holding a lone UTF-16 surrogate (Qt keeps one pasted) was saved, and the
    profile could then never be opened again; the dialog says why before Save."""
    dialog = dialog_factory(extract_path=extract)
    dialog.name_edit.setText("Leics \ud800")
    assert dialog.profile().name == "Leics \ud800"
    assert not dialog.save_button.isEnabled()
    assert "lone UTF-16 surrogate" in dialog.validation_label.text()
    with pytest.raises(ProfileError, match="name 'Leics \\\\ud800'"):
        dialog.save_to(tmp_path / "p.json")
    assert not (tmp_path / "p.json").exists()
    dialog.name_edit.setText("Leics")
    assert dialog.save_button.isEnabled()


def test_preview_lists_and_highlights_an_unmapped_offence(
    extract: Path, tmp_path: Path, dialog_factory
) -> None:
    lines = extract.read_text(encoding="cp1252").splitlines()
    lines[3] = lines[3].replace(lines[3].split(",")[5], "Poaching")  # 3rd data row
    extract.write_text("\n".join(lines) + "\n", encoding="cp1252")

    dialog = dialog_factory(extract_path=extract)
    assert dialog.unmapped_offences() == ["Poaching"]
    rows = dialog.preview_rows()
    assert len(rows) == 20
    assert [r.line for r in rows if r.category is None] == [3]
    assert "1 of 20 rows unmapped" in dialog.unmapped_label.text()
    assert "Poaching" in dialog.unmapped_label.text()
    item = dialog.preview_table.item(2, 2)
    assert item.text() == "UNMAPPED"
    assert item.background().color() == UNMAPPED_BRUSH.color()
    assert dialog.preview_table.item(0, 2).text() == rows[0].category
    # an unmapped offence is a warning, not a reason to refuse saving
    assert dialog.save_button.isEnabled()

    # pointing the profile at an edited copy of the offence table maps it (a table given in
    # the profile replaces the bundled one, so the copy keeps the bundled rows)
    table = tmp_path / "offences.csv"
    bundled = DEFAULT_OFFENCE_TABLE.read_text(encoding="utf-8-sig").rstrip("\n")
    table.write_text(bundled + "\nPoaching,Other crime\n", encoding="utf-8")
    dialog.offence_table_edit.setText(str(table))
    assert dialog.unmapped_offences() == []
    assert dialog.preview_rows()[2].category == "Other crime"
    assert "All 20 rows map" in dialog.unmapped_label.text()


def test_missing_offence_table_is_a_validation_error(
    extract: Path, tmp_path: Path, dialog_factory
) -> None:
    dialog = dialog_factory(extract_path=extract)
    dialog.offence_table_edit.setText(str(tmp_path / "absent.csv"))
    assert not dialog.save_button.isEnabled()
    assert "Offence table not found" in dialog.validation_label.text()


def test_example_profile_opens_without_an_extract(dialog_factory) -> None:
    example = MappingProfile.load(EXAMPLE_PROFILE)
    assert example.crs == "EPSG:27700" and example.columns == EXPECTED_COLUMNS
    dialog = dialog_factory(profile_path=EXAMPLE_PROFILE)
    assert dialog.head is None
    assert dialog.role_column("x") == "Easting"
    assert dialog.profile() == example
    assert dialog.save_button.isEnabled()


def test_example_profile_loads_a_force_extract(extract: Path) -> None:
    result = load_extracts([extract], profile=MappingProfile.load(EXAMPLE_PROFILE))
    assert len(result.crimes) == 60 and len(result.rejects) == 0
    assert (result.crimes["source_crs"] == "EPSG:27700").all()


def test_dock_profile_buttons_set_the_saved_profile(
    qgis_iface, extract: Path, tmp_path: Path, flush_events
) -> None:
    dock = CrimeMapperDock(qgis_iface)
    try:
        assert dock.new_profile_button.text() == "New profile from extract…"
        assert dock.edit_profile_button.text() == "Edit profile…"
        assert dock.profile_path() is None

        dialog = dock.open_profile_dialog(extract_path=str(extract))
        assert dialog.isVisible() and dialog.parent() is dock
        saved = dialog.save_to(tmp_path / "force.json")
        assert dock.profile_path() == str(saved)
        assert json.loads(saved.read_text())["columns"] == EXPECTED_COLUMNS

        # "Edit profile…" opens the saved file; saving elsewhere moves the picker there
        edit = dock.open_profile_dialog(profile_path=dock.profile_path())
        assert edit.profile() == MappingProfile.load(saved)
        edit.name_edit.setText("Renamed")
        renamed = edit.save_to(tmp_path / "renamed.json")
        assert dock.profile_path() == str(renamed)
        assert MappingProfile.load(renamed).name == "Renamed"

        # a running load disables the profile buttons with the rest of the form
        dock._set_running(True)
        assert not dock.new_profile_button.isEnabled()
        assert not dock.edit_profile_button.isEnabled()
        dock._set_running(False)
        assert dock.edit_profile_button.isEnabled()
    finally:
        dock.shutdown()
        dock.deleteLater()
        flush_events()
