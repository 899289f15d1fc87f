"""Create or edit a column-mapping profile without writing JSON by hand.

An analyst opens the dialog on a force extract (only its first rows are read: the header
for the column choices, twenty data rows for the preview) or on a saved profile, picks
which column plays which role, and saves the profile as JSON through
``MappingProfile.save``. The roles, their meanings and the header-variant detection all
come from ``crime_mapper.core.load.mapping_profile``, so the dialog never disagrees with the loader.

The preview shows how the first rows' offences map to police.uk categories with the profile
as it stands, because an unmapped offence is the commonest reason a force extract loses
rows; seeing it before the monthly load lets the analyst fix the table first.

Everything the user can do has a method tests call without a modal ``exec``:
``load_extract``, ``load_profile``, ``set_role_column``, ``profile``, ``validation_errors``,
``preview_rows``, ``unmapped_offences`` and ``save_to``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

from qgis.PyQt.QtCore import QCoreApplication, pyqtSignal
from qgis.PyQt.QtGui import QBrush, QColor
from qgis.PyQt.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core.common.text_file import shown_line
from ..core.load.extract_head import PREVIEW_ROWS, ExtractHead, read_extract_head
from ..core.load.mapping_profile import (
    DEFAULT_OFFENCE_TABLE,
    ROLES,
    MappingProfile,
    ProfileError,
    detect_columns,
)
from ..core.load.profile_checks import (
    ROLE_TITLES,
    PreviewRow,
    category_preview,
    profile_problems,
    unmapped_values,
)
from .widgets import ShownLabel, plain_tooltip, tr_noop

PathLike = Union[str, Path]


def tr(text: str) -> str:
    """The text in QGIS's language (tools/translation_template.py collects it)."""
    return QCoreApplication.translate("ProfileDialog", text)


# Every choice keeps its value as the item's data and shows a label through tr(): code
# reads the data, never the text shown, so the labels can be translated.
NONE_TEXT = tr_noop("(none)")
#: The profile's "let the reader decide" value (date format, encoding, CRS).
AUTO = "auto"
CRS_CHOICES: tuple[tuple[str, str], ...] = (
    (AUTO, tr_noop("Auto (guess from the coordinate values)")),
    ("EPSG:27700", tr_noop("EPSG:27700 British National Grid")),
    ("EPSG:4326", tr_noop("EPSG:4326 WGS84 longitude / latitude")),
    ("EPSG:2157", tr_noop("EPSG:2157 Irish Transverse Mercator")),
)
ENCODINGS = (AUTO, "utf-8", "cp1252")
DELIMITERS: tuple[tuple[str, str], ...] = (
    (",", tr_noop("Comma ,")),
    (";", tr_noop("Semicolon ;")),
    ("\t", tr_noop("Tab")),
    ("|", tr_noop("Pipe |")),
)
DATE_FORMATS = (
    "auto",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d",
    "%d-%b-%Y %H:%M",
)
UNMAPPED_BRUSH = QBrush(QColor(255, 205, 160))


def _fill_editable(combo: QComboBox, values: tuple[str, ...]) -> None:
    """An editable choice's values, each its own data; "auto" is shown translated."""
    for value in values:
        combo.addItem(tr("auto") if value == AUTO else value, value)


def _editable_value(combo: QComboBox) -> str:
    """The value of an editable choice: the data of the item whose text is shown (so a
    translated "auto" reads as "auto"), else the text the user typed."""
    text = combo.currentText().strip()
    index = combo.findText(text)
    data = combo.itemData(index) if index >= 0 else None
    return str(data) if data else text


def _set_editable(combo: QComboBox, value: str) -> None:
    """Show ``value`` in an editable choice, added as an item when it is not one."""
    index = combo.findData(value)
    if index < 0:
        combo.addItem(value, value)
        index = combo.count() - 1
    combo.setCurrentIndex(index)


class ProfileDialog(QDialog):
    """Build, check and save a MappingProfile for one force's extracts."""

    #: Emitted with the saved file's path after a successful save.
    profileSaved = pyqtSignal(str)  # noqa: N815 (Qt signal naming)

    def __init__(
        self,
        parent: Optional[QWidget] = None,
        *,
        extract_path: Optional[PathLike] = None,
        profile_path: Optional[PathLike] = None,
        profile: Optional[MappingProfile] = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Column-mapping profile"))
        self.setObjectName("crime_mapper_profile_dialog")
        self.head: Optional[ExtractHead] = None
        self.profile_path: Optional[Path] = None
        self.saved_path: Optional[Path] = None
        self._offence_mapping: dict[str, str] = {}  # overrides kept from a loaded profile
        self._updating = False
        self._build_ui()
        if profile_path is not None:
            self.load_profile(profile_path)
        elif profile is not None:
            self.set_profile(profile)
        if extract_path is not None:
            self.load_extract(extract_path, propose=profile_path is None and profile is None)
        self.refresh()

    # --- UI -------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        layout = QVBoxLayout(self)

        source_row = QHBoxLayout()
        self.source_label = ShownLabel(
            tr("No extract read yet: columns come from the profile."), self
        )
        self.source_label.setWordWrap(True)
        self.read_extract_button = QPushButton(tr("Read columns from extract…"), self)
        source_row.addWidget(self.source_label, 1)
        source_row.addWidget(self.read_extract_button)
        layout.addLayout(source_row)

        general = QFormLayout()
        self.name_edit = QLineEdit(MappingProfile().name, self)
        general.addRow(tr("Profile name"), self.name_edit)
        layout.addLayout(general)

        roles_box = QGroupBox(tr("Which column holds what"), self)
        roles_form = QFormLayout(roles_box)
        self.role_combos: dict[str, QComboBox] = {}
        for role, meaning in ROLES.items():
            combo = QComboBox(roles_box)
            combo.setObjectName(f"crime_mapper_role_{role}")
            combo.setToolTip(meaning)
            combo.addItem(tr(NONE_TEXT), "")
            label = QLabel(ROLE_TITLES.get(role, role), roles_box)
            label.setToolTip(meaning)
            roles_form.addRow(label, combo)
            self.role_combos[role] = combo
            combo.currentIndexChanged.connect(lambda *_: self.refresh())
        layout.addWidget(roles_box)

        reading_box = QGroupBox(tr("How to read it"), self)
        reading = QFormLayout(reading_box)
        self.crs_combo = QComboBox(reading_box)
        for code, text in CRS_CHOICES:
            self.crs_combo.addItem(tr(text), code)
        self.crs_combo.setToolTip(tr("Coordinate reference system of the x / y columns"))
        reading.addRow(tr("Coordinates CRS"), self.crs_combo)
        self.date_format_combo = QComboBox(reading_box)
        self.date_format_combo.setEditable(True)
        _fill_editable(self.date_format_combo, DATE_FORMATS)
        self.date_format_combo.setToolTip(
            tr(
                "'auto' reads ISO and day-first UK dates. Otherwise a strftime format; when a time "
                "column is chosen it applies to 'date time' (e.g. %d/%m/%Y %H:%M)"
            )
        )
        reading.addRow(tr("Date format"), self.date_format_combo)
        self.encoding_combo = QComboBox(reading_box)
        _fill_editable(self.encoding_combo, ENCODINGS)
        reading.addRow(tr("Encoding"), self.encoding_combo)
        self.delimiter_combo = QComboBox(reading_box)
        for value, text in DELIMITERS:
            self.delimiter_combo.addItem(tr(text), value)
        reading.addRow(tr("Delimiter"), self.delimiter_combo)
        self.reported_by_edit = QLineEdit(reading_box)
        self.reported_by_edit.setPlaceholderText(tr("e.g. Leicestershire Police (when no column)"))
        reading.addRow(tr("Reported by"), self.reported_by_edit)
        self.falls_within_edit = QLineEdit(reading_box)
        self.falls_within_edit.setPlaceholderText(tr("Defaults to Reported by"))
        reading.addRow(tr("Falls within"), self.falls_within_edit)
        table_row = QHBoxLayout()
        self.offence_table_edit = QLineEdit(reading_box)
        self.offence_table_edit.setPlaceholderText(f"Bundled table ({DEFAULT_OFFENCE_TABLE.name})")
        self.offence_table_button = QPushButton(tr("Browse…"), reading_box)
        table_row.addWidget(self.offence_table_edit, 1)
        table_row.addWidget(self.offence_table_button)
        reading.addRow(tr("Offence table (CSV)"), table_row)
        layout.addWidget(reading_box)

        preview_box = QGroupBox(f"Preview: offences of the first {PREVIEW_ROWS} rows", self)
        preview = QVBoxLayout(preview_box)
        self.preview_table = QTableWidget(0, 3, preview_box)
        self.preview_table.setObjectName("crime_mapper_profile_preview")
        self.preview_table.setHorizontalHeaderLabels(["Row", "Offence", "police.uk category"])
        self.preview_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview_table.verticalHeader().setVisible(False)
        self.preview_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        preview.addWidget(self.preview_table)
        self.unmapped_label = ShownLabel(preview_box)  # quotes offence values
        self.unmapped_label.setWordWrap(True)
        self.unmapped_label.setObjectName("crime_mapper_profile_unmapped")
        preview.addWidget(self.unmapped_label)
        layout.addWidget(preview_box, 1)

        self.validation_label = ShownLabel(self)
        self.validation_label.setWordWrap(True)
        self.validation_label.setObjectName("crime_mapper_profile_validation")
        layout.addWidget(self.validation_label)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        layout.addWidget(self.buttons)

        self.read_extract_button.clicked.connect(self._choose_extract)
        self.offence_table_button.clicked.connect(self._choose_offence_table)
        self.buttons.accepted.connect(self._save_clicked)
        self.buttons.rejected.connect(self.reject)
        # Qt passes the new index or text; these slots recompute from the whole form instead
        for combo in (self.crs_combo, self.date_format_combo):
            combo.currentIndexChanged.connect(lambda *_: self.refresh())
        self.date_format_combo.editTextChanged.connect(lambda *_: self.refresh())
        self.encoding_combo.currentIndexChanged.connect(lambda *_: self._reread_extract())
        self.delimiter_combo.currentIndexChanged.connect(lambda *_: self._reread_extract())
        self.offence_table_edit.textChanged.connect(lambda *_: self.refresh())
        # (a text that could not be saved, such as a pasted lone surrogate, disables Save)
        for edit in (self.name_edit, self.reported_by_edit, self.falls_within_edit):
            edit.textChanged.connect(lambda *_: self._refresh_validation())

    # --- filling the form -------------------------------------------------------------------
    def load_extract(self, path: PathLike, propose: bool = True) -> bool:
        """Read an extract's header and first rows; with ``propose``, choose the columns
        detect_columns recognises. False (and the message shown) if it cannot be read."""
        try:
            head = read_extract_head(path, self.encoding(), self._delimiter_value())
        except ProfileError as exc:
            self.source_label.setText(str(exc))
            return False
        self.head = head
        self.source_label.setText(
            tr("{name}: {n_header} columns, {encoding}, first {n_rows} rows read").format(
                name=shown_line(head.path.name),  # (a newline in it starts no line)
                n_header=len(head.header),
                encoding=head.encoding,
                n_rows=len(head.rows),
            )
        )
        self.source_label.setToolTip(plain_tooltip(shown_line(head.path)))  # (on one line)
        self._set_combo_data(self.delimiter_combo, head.delimiter, head.delimiter)
        chosen = {role: self.role_column(role) for role in ROLES}
        if propose:
            chosen = dict(detect_columns(head.header, head.rows))
        self._fill_role_combos(head.header, chosen)
        self.refresh()
        return True

    def load_profile(self, path: PathLike) -> None:
        """Show a saved profile (raises ProfileError when it is not a valid profile)."""
        profile = MappingProfile.load(path)
        self.profile_path = Path(path)
        self.set_profile(profile)

    def set_profile(self, profile: MappingProfile) -> None:
        """Put every setting of ``profile`` into the form."""
        self._updating = True
        try:
            self.name_edit.setText(profile.name)
            header = self.head.header if self.head else []
            self._fill_role_combos(header, dict(profile.columns))
            self._set_combo_data(self.crs_combo, profile.crs or "auto", profile.crs)
            _set_editable(self.date_format_combo, profile.date_format or AUTO)
            _set_editable(self.encoding_combo, profile.encoding or AUTO)
            delimiter = profile.delimiter or ","
            self._set_combo_data(self.delimiter_combo, delimiter, repr(delimiter))
            self.reported_by_edit.setText(profile.reported_by)
            self.falls_within_edit.setText(profile.falls_within)
            self.offence_table_edit.setText(profile.offence_table or "")
            self._offence_mapping = dict(profile.offence_mapping)
        finally:
            self._updating = False
        self.refresh()

    def set_role_column(self, role: str, column: Optional[str]) -> None:
        """Choose the column for a role (None or "" for none); unknown columns are added."""
        combo = self.role_combos[role]
        if not column:
            combo.setCurrentIndex(0)
            return
        index = combo.findData(column)
        if index < 0:
            combo.addItem(shown_line(column), column)  # (a newline in it starts no line)
            index = combo.count() - 1
        combo.setCurrentIndex(index)

    def role_column(self, role: str) -> Optional[str]:
        """The column chosen for a role, or None."""
        return self.role_combos[role].currentData() or None

    def _fill_role_combos(self, header: list[str], chosen: dict[str, str]) -> None:
        """Offer the header's columns (plus any the profile names that it lacks) to every
        role, keeping ``chosen`` selected."""
        updating, self._updating = self._updating, True
        try:
            for role, combo in self.role_combos.items():
                combo.blockSignals(True)
                combo.clear()
                combo.addItem(tr(NONE_TEXT), "")
                for column in header:  # (each on one line: a header cell can hold a newline)
                    combo.addItem(shown_line(column), column)
                wanted = chosen.get(role)
                if wanted and combo.findData(wanted) < 0:
                    text = tr("{column} (not in this extract)").format(column=shown_line(wanted))
                    combo.addItem(text, wanted)
                combo.setCurrentIndex(max(combo.findData(wanted or ""), 0))
                combo.blockSignals(False)
        finally:
            self._updating = updating

    @staticmethod
    def _set_combo_data(combo: QComboBox, value: str, text: str) -> None:
        index = combo.findData(value)
        if index < 0:
            combo.addItem(text, value)
            index = combo.count() - 1
        combo.blockSignals(True)
        combo.setCurrentIndex(index)
        combo.blockSignals(False)

    def _delimiter_value(self) -> str:
        return self.delimiter_combo.currentData() or ","

    def date_format(self) -> str:
        """The date format chosen or typed ("auto" when none)."""
        return _editable_value(self.date_format_combo) or AUTO

    def encoding(self) -> str:
        """The encoding chosen or typed ("auto" when none)."""
        return _editable_value(self.encoding_combo) or AUTO

    def _reread_extract(self) -> None:
        """Encoding or delimiter changed: read the extract again, keeping the choices."""
        if self._updating:
            return
        if self.head is not None:
            self.load_extract(self.head.path, propose=False)
        else:
            self.refresh()

    # --- the profile -----------------------------------------------------------------------
    def profile(self) -> MappingProfile:
        """The profile the form describes (only the roles given a column are saved)."""
        columns = {role: column for role in ROLES if (column := self.role_column(role))}
        table = self.offence_table_edit.text().strip()
        return MappingProfile(
            name=self.name_edit.text().strip() or MappingProfile().name,
            columns=columns,
            crs=self.crs_combo.currentData() or "auto",
            date_format=self.date_format(),
            encoding=self.encoding(),
            delimiter=self._delimiter_value(),
            reported_by=self.reported_by_edit.text().strip(),
            falls_within=self.falls_within_edit.text().strip(),
            offence_table=table or None,
            offence_mapping=dict(self._offence_mapping),
        )

    def validation_errors(self) -> list[str]:
        """Why the profile cannot be saved yet; empty when it can (core.load.profile_checks)."""
        return profile_problems(self.profile())

    def is_valid(self) -> bool:
        return not self.validation_errors()

    # --- preview ---------------------------------------------------------------------------
    def preview_rows(self) -> list[PreviewRow]:
        """How the first rows' offences map with the current profile, as a load would do it."""
        return category_preview(self.profile(), self.head)

    def unmapped_offences(self) -> list[str]:
        """Distinct preview values that map to no police.uk category, in order of appearance."""
        try:
            return unmapped_values(self.preview_rows())
        except ProfileError:
            return []

    def refresh(self) -> None:
        """Recompute the preview and the validation, and enable Save only when valid."""
        if self._updating:
            return
        self._refresh_preview()
        self._refresh_validation()

    def _refresh_validation(self) -> None:
        """Say why the profile cannot be saved yet, and enable Save only when it can."""
        if self._updating:
            return
        errors = self.validation_errors()
        if errors:
            self.validation_label.setText(
                "Cannot save yet:\n" + "\n".join(f"• {e}" for e in errors)
            )
        else:
            self.validation_label.setText(tr("Ready to save."))
        self.save_button.setEnabled(not errors)

    def _refresh_preview(self) -> None:
        table = self.preview_table
        table.setRowCount(0)
        try:
            rows = self.preview_rows()
        except ProfileError as exc:
            self.unmapped_label.setText(tr("Cannot map offences: {exc}").format(exc=exc))
            return
        if self.head is None:
            self.unmapped_label.setText(tr("Read an extract to preview how its offences map."))
            return
        if not rows:
            self.unmapped_label.setText(tr("Choose an Offence (or category) column to preview."))
            return
        table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            items = [
                QTableWidgetItem(str(row.line)),
                QTableWidgetItem(shown_line(row.value)),  # (a cell's newline starts no line)
                QTableWidgetItem(row.category or "UNMAPPED"),
            ]
            for column, item in enumerate(items):
                if row.category is None:
                    item.setBackground(UNMAPPED_BRUSH)
                    item.setToolTip(
                        tr(
                            "Not in the offence table: this row would be rejected as "
                            "unknown_category"
                        )
                    )
                table.setItem(i, column, item)
        unmapped = [r for r in rows if r.category is None]
        if unmapped:
            names = ", ".join(repr(v) for v in self.unmapped_offences())
            self.unmapped_label.setText(
                tr(
                    "{n_unmapped} of {n_rows} rows unmapped: {names}. Add them to the offence "
                    "table, or these rows will be rejected (unknown_category)."
                ).format(n_unmapped=len(unmapped), n_rows=len(rows), names=names)
            )
        else:
            self.unmapped_label.setText(
                tr("All {n_rows} rows map to a police.uk category.").format(n_rows=len(rows))
            )

    # --- saving ----------------------------------------------------------------------------
    def save_to(self, path: PathLike) -> Path:
        """Write the profile as JSON to ``path``; raises ProfileError when it is not valid."""
        errors = self.validation_errors()
        if errors:
            raise ProfileError(" ".join(errors))
        path = Path(path)
        if path.suffix.lower() != ".json":
            path = path.with_name(path.name + ".json")
        self.profile().save(path)
        self.saved_path = path
        self.profile_path = path
        self.profileSaved.emit(str(path))
        return path

    def _default_save_path(self) -> str:
        if self.profile_path is not None:
            return str(self.profile_path)
        if self.head is not None:
            return str(self.head.path.with_name(f"{self.head.path.stem}-profile.json"))
        return "profile.json"

    def _save_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Save column-mapping profile",
            self._default_save_path(),
            "Column-mapping profile (*.json)",
        )
        if not path:
            return
        try:
            self.save_to(path)
        except (OSError, ProfileError) as exc:
            self.validation_label.setText(tr("Not saved: {exc}").format(exc=exc))
            return
        self.accept()

    def _choose_extract(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Read columns from a force extract",
            "",
            "CSV extract (*.csv *.CSV *.txt);;All files (*)",
        )
        if path:
            # a fresh profile takes the detected columns; an edited one keeps its choices
            self.load_extract(
                path,
                propose=self.profile_path is None and not any(self.role_column(r) for r in ROLES),
            )

    def _choose_offence_table(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Offence mapping table", "", "CSV (offence,category) (*.csv);;All files (*)"
        )
        if path:
            self.offence_table_edit.setText(path)
