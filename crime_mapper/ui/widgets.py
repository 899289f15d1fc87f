"""Small widget helpers the dock's panels share.

Why: every panel asks for files and folders the same way (a path field with a browse button,
where typing or pasting a path works too), and the set-up of each field was written out line by
line nine times. :func:`file_widget` is that set-up once, so every field behaves alike and a
new panel's field is one call; :func:`file_paths` reads a field's paths back the one way.
"""

from __future__ import annotations

import html
from typing import Any, Optional

from qgis.core import QgsField, QgsMapLayer, QgsSettings, QgsVectorLayer, QgsWkbTypes
from qgis.gui import QgsFieldComboBox, QgsFileWidget, QgsMapLayerComboBox
from qgis.PyQt.QtCore import QCoreApplication, QEvent, QObject, Qt
from qgis.PyQt.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QToolTip,
    QWidget,
)

from ..compat import FIELD_NAME_ROLE, layer_abstract, layer_title
from ..core.common.text_file import shown_line, shown_text
from ..core.common.vocabulary import VOCABULARY_CONTEXT


def tr_noop(text: str) -> str:
    """Marks a text for the translation template in the calling module's context; the
    module's tr() translates it where it is shown (a choice's label kept apart from its
    data, so code compares the data and the label can be translated)."""
    return text


def vocabulary_text(text: str) -> str:
    """A core vocabulary's label (e.g. a hotspot method's) in QGIS's language."""
    return QCoreApplication.translate(VOCABULARY_CONTEXT, text)


#: How many characters a path or text field shows at the least.
FIELD_CHARACTERS = 12

#: What the field asks for -> QgsFileWidget's storage mode.
MODES = {
    "open": QgsFileWidget.StorageMode.GetFile,
    "open_many": QgsFileWidget.StorageMode.GetMultipleFiles,
    "save": QgsFileWidget.StorageMode.SaveFile,
    "folder": QgsFileWidget.StorageMode.GetDirectory,
}


def file_widget(
    parent: Optional[QWidget],
    mode: str,
    *,
    object_name: str = "",
    file_filter: str = "",
    title: str = "",
    tooltip: str = "",
    placeholder: str = "",
) -> QgsFileWidget:
    """A path field with a browse button. ``mode``: "open", "open_many", "save" or "folder"."""
    if mode not in MODES:
        raise ValueError(f"unknown file widget mode {mode!r}: one of {', '.join(MODES)}")
    widget = QgsFileWidget(parent)
    widget.setStorageMode(MODES[mode])
    if object_name:
        widget.setObjectName(object_name)
    if file_filter:
        widget.setFilter(file_filter)
    if title:
        widget.setDialogTitle(title)
    if tooltip:
        widget.setToolTip(tooltip)
    if placeholder:
        widget.lineEdit().setPlaceholderText(placeholder)
    if mode == "open_many":
        widget.fileChanged.connect(lambda path: _files_tooltip(widget, path))
    readable_width(widget.lineEdit())
    return widget


#: QGIS's own tooltip of a field holding several files (QgsFileWidget, translated by QGIS).
_FILES_TOOLTIP = "Selected files:<br><ul><li>%1</li></ul><br>"


def _files_tooltip(widget: QgsFileWidget, path: str) -> None:
    """The tooltip QGIS gives a field holding several files, with their names escaped.
    Why: QgsFileWidget lists the files in an HTML tooltip with their names as they are, so a
    file named ``<b>x</b>.csv`` showed as a bold "x.csv" and ``<img src=...>`` as an image.
    QGIS sets its tooltip just before it emits ``fileChanged``; this replaces it, the same
    text for ordinary names (one file: QGIS leaves no tooltip)."""
    if '" "' not in path:
        return
    names = (html.escape(p, quote=False) for p in QgsFileWidget.splitFilePaths(path))
    text = QCoreApplication.translate("QgsFileWidget", _FILES_TOOLTIP)
    widget.lineEdit().setToolTip(text.replace("%1", "</li><li>".join(names)))


def readable_width(edit: QLineEdit) -> QLineEdit:
    """``edit`` at least :data:`FIELD_CHARACTERS` wide. Why: in a narrow form (see
    :func:`narrow_form`) a long label then goes above the field instead of squeezing the field
    to a sliver beside it, where a path or a name could not be read."""
    edit.setMinimumWidth(edit.fontMetrics().averageCharWidth() * FIELD_CHARACTERS)
    return edit


#: How many characters a narrow combo box is sized to: its longest choice no longer sets the
#: tab's width (the list that drops down still shows every choice in full).
COMBO_CHARACTERS = 12


def narrow_form(form: QFormLayout) -> QFormLayout:
    """``form`` laid out for a dock at the side of QGIS (300-450 px wide): a row whose label
    and field do not fit side by side puts its label above its field, and fields take the
    width there is. Why: a long label ("Mapping profile (optional)") beside a field set the
    tab's minimum width, so the tab scrolled sideways and the field's "..." was out of sight."""
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    return form


def add_row(form: QFormLayout, label: str, widget: QWidget) -> None:
    """A row of ``form``: ``label`` beside ``widget``, or with no label ``widget`` across the
    whole form (a check box's text is longer than the field column of a narrow dock)."""
    if label:
        form.addRow(label, widget)
    else:
        form.addRow(widget)


def narrow_combo(combo: QComboBox, characters: int = COMBO_CHARACTERS) -> QComboBox:
    """``combo`` sized to ``characters`` rather than to its longest choice (a layer's name, a
    method's label), so it fits a narrow dock and grows with it; the choice's full text is
    its tooltip's job where it matters."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(characters)
    return combo


def button_grid(buttons: list[QWidget], columns: int = 2) -> QGridLayout:
    """``buttons`` in rows of ``columns``, each as wide as the others: a row of three or four
    buttons is wider than a dock at the side of QGIS, and a push button's text cannot wrap."""
    grid = QGridLayout()
    for index, button in enumerate(buttons):
        grid.addWidget(button, index // columns, index % columns)
    for column in range(columns):
        grid.setColumnStretch(column, 1)
    return grid


class ShownLabel(QLabel):
    """A label that shows its text as given. Why: a QLabel shows a text that looks like HTML
    (Qt's AutoText) as rich text, and a label that shows what the analyst's files hold (a
    file's name, a neighbourhood, a force, a message quoting them) then rendered a file named
    ``<b>x</b>.csv`` as a bold "x.csv", and ``<img src=...>`` or a link in its place; and a
    name's bidi override (``\u202e``) or control character reordered or hid the rest of the
    line. Plain text, with those characters escaped (core.common.text_file.shown_text, as the
    message bar and the log show them); the text's own lines are kept."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)  # (parent) or (text, parent), as QLabel
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(super().text())

    def setText(self, text: Optional[str]) -> None:  # noqa: N802 - Qt's name
        super().setText(shown_text(text or ""))


#: How a tooltip that Qt would read as HTML shows its text as given: every space and line
#: kept, no wrapping, as Qt shows a plain tooltip (QToolTip's documented way).
_PLAIN_TOOLTIP = "<p style='white-space:pre'>{text}</p>"


def plain_tooltip(text: str) -> str:
    """``text`` (a path, a problem naming a file, a finding) as a tooltip that shows it as
    given. Why: a tooltip has no text format of its own; Qt shows it as rich text when it
    looks like HTML (a tag, or "&lt;", on its first line), so a file named
    ``<a href=...>x</a>.csv`` showed a link. A text holding "<" or "&" is escaped into a
    paragraph that keeps its spaces and lines; any other text is left as it is (Qt shows it
    as plain text)."""
    text = shown_text(text)  # (a name's bidi override or control character, escaped)
    if "<" not in text and "&" not in text:
        return text
    escaped = html.escape(text, quote=False).replace("\n", "<br>")
    return _PLAIN_TOOLTIP.format(text=escaped)


def layer_tooltip(layer: QgsMapLayer) -> str:
    """What QGIS's layer picker says of ``layer`` in its list's tooltip (its title or name,
    geometry and CRS, abstract, source), as a tooltip that shows it as given: each name on a
    line of its own (:func:`shown_line`: a newline in a name starts no line), the whole
    through :func:`plain_tooltip`."""
    title = shown_line(layer_title(layer) or layer.name())
    if layer.isSpatial() and layer.crs().isValid():
        crs = layer.crs().authid()
        if isinstance(layer, QgsVectorLayer):
            title += f" ({QgsWkbTypes.displayString(layer.wkbType())} - {crs})"
        else:
            title += f" ({crs})"
    lines = [title]
    abstract = layer_abstract(layer)
    if abstract:
        lines += [shown_line(line) for line in abstract.splitlines()]
    lines.append(shown_line(layer.publicSource()))
    return plain_tooltip("\n".join(lines))


def field_tooltip(field: QgsField) -> str:
    """What QGIS's field picker says of ``field`` in its list's tooltip (alias and name,
    type, comment), as :func:`layer_tooltip` shows a layer's."""
    name = f"{field.alias()} ({field.name()})" if field.alias() else field.name()
    lines = [shown_line(name), shown_line(field.displayType(True))]
    if field.comment():
        lines.append(shown_line(field.comment()))
    return plain_tooltip("\n".join(lines))


def _picker_item_tooltip(combo: QComboBox, row: int) -> str:
    """The plain tooltip of a QGIS picker's list item ("" for its empty or extra items, which
    QGIS gives none either)."""
    if isinstance(combo, QgsMapLayerComboBox):
        layer = combo.layer(row)
        return layer_tooltip(layer) if layer is not None else ""
    if isinstance(combo, QgsFieldComboBox) and combo.layer() is not None:
        name = combo.model().data(combo.model().index(row, 0), FIELD_NAME_ROLE)
        fields = combo.layer().fields()
        index = fields.lookupField(name) if isinstance(name, str) else -1
        return field_tooltip(fields.at(index)) if index >= 0 else ""
    return ""


class _PlainItemTooltips(QObject):
    """Shows a QGIS picker's list items' tooltips as plain text (see :func:`plain_pickers`)."""

    def __init__(self, combo: QComboBox) -> None:
        super().__init__(combo)
        self._combo = combo
        combo.view().viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() != QEvent.Type.ToolTip:
            return False
        view = self._combo.view()
        index = view.indexAt(event.pos())  # (a QHelpEvent)
        text = _picker_item_tooltip(self._combo, index.row()) if index.isValid() else ""
        if not text:
            return False  # Qt's own handling: QGIS gives these items no tooltip
        QToolTip.showText(event.globalPos(), text, view.viewport(), view.visualRect(index))
        return True


def plain_pickers(*combos: QComboBox) -> None:
    """QGIS's layer and field pickers (QgsMapLayerComboBox, QgsFieldComboBox) show their list
    items' tooltips as plain text. Why: QGIS writes a layer's name, title, abstract and source
    and a field's name, alias and comment into an HTML tooltip as they are (QgsMapLayerModel
    and QgsFieldModel, ToolTipRole, 3.22 to 3.40), so a GeoPackage layer or a field named
    ``<img src=x>`` showed an image, ``<a href=...>`` a link.

    How: an event filter on the list's viewport shows :func:`layer_tooltip` /
    :func:`field_tooltip` instead. Not a proxy model under the combo: the pickers keep a
    pointer to their own proxy and react to its rows (QgsMapLayerComboBox's layerChanged on
    rows added or removed), and a model between them and the combo changed the order the
    combo saw a change in: removing the chosen layer emitted layerChanged(None) while
    another layer was chosen. QGIS's models hold no tooltip of their own to set either
    (their setData refuses ToolTipRole)."""
    for combo in combos:
        _PlainItemTooltips(combo)


def file_paths(widget: QgsFileWidget) -> list[str]:
    """The paths in a field: a multiple-file value ("a" "b", quoted) or one path; blank
    entries dropped, and spaces or stray quotes around a path removed (as pasted)."""
    paths = (p.strip().strip('"') for p in QgsFileWidget.splitFilePaths(widget.filePath()))
    return [p for p in paths if p]


def setting_text(key: str) -> str:
    """A text the user's QGIS settings hold for ``key``; "" when it holds anything else.
    Why: settings files are edited by hand and copied between machines, and ``str()`` of a
    list or a number would put a path the user never chose into a field."""
    value = QgsSettings().value(key, "")
    return value if isinstance(value, str) else ""


#: The texts a settings file holds for on and off: Qt writes "true"/"false" (and a hand
#: edit or another tool "1"/"0"); case and spaces around them do not matter.
_FLAG_TEXTS = {"true": True, "false": False, "1": True, "0": False}


def setting_flag(key: str, default: bool) -> bool:
    """An on/off choice the user's QGIS settings hold for ``key``; ``default`` when it holds
    anything else. Why not ``value(key, default, type=bool)``: Qt converts any other text
    ("yes", "off", "") by its own rule, so a hand-edited value silently turned a choice on or
    off, and a list or a map came back as a list or a map, which ``setChecked`` refused with
    a TypeError: the dock could not be made at all."""
    value = QgsSettings().value(key, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        return _FLAG_TEXTS.get(value.strip().lower(), default)
    return default
