"""The dock shows the analyst's names as they are: a file, folder, force, area or offence
named like HTML is shown literally in labels, tooltips and the message bar.

Why: Qt shows a label's or a tooltip's text as rich text when it looks like HTML (its
AutoText), and QGIS's message bar always shows HTML. A file named ``<b>Leak gate passed</b>``
read as bold words the dock never wrote, ``<img src=x>`` as a broken image in place of the
name, and ``<a href=...>`` put a link in the bar that opened when clicked. Labels that show
data are now plain text (ui.widgets.plain_label), tooltips made from data are escaped
(ui.widgets.plain_tooltip) and the bar's text is escaped (ui.task_runner.notify). The real
dock, real files and QGIS's own message bar item (pytest-qgis, QT_QPA_PLATFORM=offscreen).
"""

from __future__ import annotations

import pytest
from qgis.core import Qgis, QgsSettings
from qgis.gui import QgsFileWidget, QgsMessageBarItem
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QTextDocument
from qgis.PyQt.QtWidgets import QLabel, QTextBrowser

from crime_mapper.core.qa.findings import Finding
from crime_mapper.core.qa.report import QaReport
from crime_mapper.ui.task_runner import notify
from crime_mapper.ui.widgets import plain_tooltip
from tests.support.force_extract import make_force_extract

#: Names an analyst's files or cells can hold that Qt would read as HTML, by case (no "/":
#: each is a file's name; Qt needs no closing tag).
HOSTILE = {
    "bold": "<b>Leak gate passed",
    "image": "<img src=x>",
    "link": "<a href=mailto:x>open",
    "entity": "&lt;i&gt;",
}
CASES = sorted(HOSTILE)


@pytest.fixture(autouse=True)
def _settings_kept():
    """The plugin's settings as they were before the test: the tabs remember a history
    field's paths and recent configurations, and a hostile one left behind would show in
    every later test's dock."""
    settings = QgsSettings()
    ours = [k for k in settings.allKeys() if k.startswith("crime_mapper/")]
    before = {key: settings.value(key) for key in ours}
    yield
    for key in settings.allKeys():
        if key.startswith("crime_mapper/") and key not in before:
            settings.remove(key)
    for key, value in before.items():
        settings.setValue(key, value)


def _as_shown(text: str) -> str:
    """What Qt shows of a tooltip's (or an AutoText label's) text: read as HTML when Qt
    takes it for rich text (Qt.mightBeRichText, QToolTip's and QLabel's test), else as is."""
    if not Qt.mightBeRichText(text):
        return text
    document = QTextDocument()
    document.setHtml(text)
    return document.toPlainText()


def _qa_report(force: str, findings: list[Finding]) -> QaReport:
    """A QA report of October 2022 for ``force`` (a police.uk month of 100 rows, one month of
    history) with ``findings``: what the QA tab shows."""
    return QaReport(
        month="2022-10",
        force=force,
        source_format="police.uk",
        rows=100,
        history_months=["2022-09"],
        findings=findings,
        checks=[],
    )


def _plain(label: QLabel, wanted: str) -> None:
    """``label`` holds ``wanted`` and shows its text as plain text."""
    assert wanted in label.text(), label.text()
    assert label.textFormat() == Qt.TextFormat.PlainText, label.objectName()


@pytest.mark.parametrize("case", CASES)
def test_the_load_list_s_tooltip_shows_a_file_s_name(dock, tmp_path, case):
    path = tmp_path / f"{HOSTILE[case]}.csv"
    dock.add_inputs([str(path)])
    item = dock.inputs_list.item(0)
    assert item.text() == str(path)
    assert _as_shown(item.toolTip()) == str(path), item.toolTip()


@pytest.mark.parametrize("case", CASES)
def test_the_hotspots_tab_names_the_last_load_as_it_is(dock, tmp_path, case):
    gpkg = tmp_path / f"{HOSTILE[case]}.gpkg"
    dock.hotspots_panel.set_crimes_source(str(gpkg))
    _plain(dock.hotspots_panel.source_label, f"Crimes of the last load: {gpkg.name}")
    assert dock.hotspots_panel.status_label.textFormat() == Qt.TextFormat.PlainText


@pytest.mark.parametrize("mark", ["\u202e", "\x1b[2K", "\u200f"])
def test_a_label_shows_a_name_s_bidi_override_or_control_character_escaped(dock, tmp_path, mark):
    """A name's bidi override reordered the rest of the label's line ("gpkg.evil" read
    backwards as a different file), and a control character hid or erased what followed;
    the labels that show names show those characters escaped, as the bar and the log do."""
    gpkg = tmp_path / f"crimes{mark}lave.gpkg"
    dock.hotspots_panel.set_crimes_source(str(gpkg))
    shown = dock.hotspots_panel.source_label.text()
    assert mark not in shown and ascii(mark)[1:-1] in shown, ascii(shown)
    missing = tmp_path / f"history{mark}.csv"
    dock.summaries_panel.history.setFilePath(str(missing))
    shown = dock.summaries_panel.history_status.text()
    assert mark not in shown and "History not found" in shown, ascii(shown)
    assert plain_tooltip(f"a{mark}b") == f"a{ascii(mark)[1:-1]}b"


@pytest.mark.parametrize("case", CASES)
def test_the_guided_release_names_a_missing_extract_as_it_is(dock, tmp_path, case):
    panel = dock.guided_panel
    panel.set_month("2022-10")
    panel.output_edit.setText(str(tmp_path / "release"))
    missing = tmp_path / f"{HOSTILE[case]}.csv"
    panel.inputs_widget.setFilePath(str(missing))
    label = panel.step_problems["load"]
    _plain(label, str(missing))
    assert not label.isHidden()
    # "Run this step" says why it is off: the same problem, in its tooltip
    button = panel.step_buttons["load"]
    assert not button.isEnabled()
    assert str(missing) in _as_shown(button.toolTip()), button.toolTip()
    assert panel.release_problems.textFormat() == Qt.TextFormat.PlainText


@pytest.mark.parametrize("case", CASES)
def test_a_recent_configuration_s_tooltip_shows_its_path(dock, tmp_path, case):
    from tests.support.monthly_config import config_file

    panel = dock.guided_panel
    source = config_file(tmp_path)
    path = tmp_path / f"{HOSTILE[case]}.toml"
    path.write_bytes(source.read_bytes())
    assert panel.open_config(path)
    combo = panel.recent_combo
    index = combo.findData(str(path))
    assert index > 0 and combo.itemText(index) == path.name
    tooltip = combo.itemData(index, Qt.ItemDataRole.ToolTipRole)
    assert _as_shown(tooltip) == str(path), tooltip


@pytest.mark.parametrize("case", CASES)
def test_a_field_of_several_files_lists_their_names_as_they_are(dock, tmp_path, case):
    """QgsFileWidget's own tooltip of several files is HTML, names as they are (QGIS)."""
    hostile = tmp_path / f"{HOSTILE[case]}.csv"
    other = tmp_path / "2022-10-street.csv"
    field = dock.guided_panel.inputs_widget
    field.setFilePath(f'"{hostile}" "{other}"')
    shown = _as_shown(field.lineEdit().toolTip())
    assert str(hostile) in shown and str(other) in shown, field.lineEdit().toolTip()


def test_a_field_of_ordinary_files_keeps_qgis_s_own_tooltip(dock, tmp_path):
    paths = f'"{tmp_path / "2022-09-street.csv"}" "{tmp_path / "2022-10-street.csv"}"'
    bare = QgsFileWidget()
    bare.setStorageMode(QgsFileWidget.StorageMode.GetMultipleFiles)
    bare.setFilePath(paths)
    field = dock.guided_panel.inputs_widget
    field.setFilePath(paths)
    assert field.lineEdit().toolTip() == bare.lineEdit().toolTip() != ""


@pytest.mark.parametrize("case", CASES)
def test_the_summaries_tab_names_a_missing_history_as_it_is(dock, tmp_path, case):
    missing = tmp_path / f"{HOSTILE[case]}.csv"
    dock.summaries_panel.history.setFilePath(str(missing))
    label = dock.summaries_panel.history_status
    _plain(label, f"History not found: {missing}")
    assert not label.isHidden()


@pytest.mark.parametrize("case", CASES)
def test_the_qa_tab_shows_a_force_and_an_area_as_they_are(dock, case):
    name = HOSTILE[case]
    finding = Finding(
        check="area_spike",
        key="E02000001",
        severity="high",
        title="A neighbourhood doubled",
        explanation=f"{name} (E02000001) had 40 crimes against a usual 12-20.",
        rows=40,
    )
    report = _qa_report(f"{name} Police", [finding])
    panel = dock.qa_panel
    panel.show_report(report)
    _plain(panel.verdict_label, f"{name} Police 2022-10: ")
    item = panel.findings_table.item(0, 1)
    assert item.text() == "A neighbourhood doubled"
    assert _as_shown(item.toolTip()) == finding.explanation, item.toolTip()


@pytest.fixture
def dialogs():
    """Profile dialogs made by a test, closed and deleted afterwards."""
    made = []
    yield made
    for dialog in made:
        dialog.close()
        dialog.deleteLater()


@pytest.mark.parametrize("case", CASES)
def test_the_profile_dialog_names_an_extract_and_its_offences_as_they_are(
    qgis_iface, tmp_path, dialogs, case
):
    from crime_mapper.ui.profile_dialog import ProfileDialog

    name = HOSTILE[case]
    extract = tmp_path / f"{name}.csv"
    make_force_extract(extract)
    lines = extract.read_text(encoding="utf-8").splitlines()
    cells = lines[3].split(",")
    cells[5] = name  # an offence the table does not know
    lines[3] = ",".join(cells)
    extract.write_text("\n".join(lines) + "\n", encoding="utf-8")

    dialog = ProfileDialog(extract_path=extract)
    dialogs.append(dialog)
    assert dialog.head is not None
    _plain(dialog.source_label, f"{extract.name}: ")
    assert _as_shown(dialog.source_label.toolTip()) == str(extract)
    assert dialog.unmapped_offences() == [name]
    _plain(dialog.unmapped_label, repr(name))
    assert dialog.validation_label.textFormat() == Qt.TextFormat.PlainText


def _bar_shows(qgis_iface, level) -> list[str]:
    """What QGIS's message bar shows of each message pushed at ``level``: the text each
    would have in QgsMessageBarItem, the item QgsMessageBar.pushMessage makes of it
    (pytest-qgis's bar keeps "title:text")."""
    shown = []
    for message in qgis_iface.messageBar().get_messages(level):
        title, _, text = message.partition(":")
        item = QgsMessageBarItem(title, text, level, 0)
        shown.append(item.findChild(QTextBrowser).toPlainText())
        item.deleteLater()
    return shown


@pytest.mark.parametrize("case", CASES)
def test_the_message_bar_shows_a_name_as_it_is(qgis_iface, case):
    bar = qgis_iface.messageBar()
    bar.clear_messages()
    text = f"Extract not found: /data/{HOSTILE[case]}.csv"
    notify(qgis_iface, text, Qgis.MessageLevel.Critical)
    assert _bar_shows(qgis_iface, Qgis.MessageLevel.Critical) == [f"Crime mapper: {text}"]


def test_the_dock_s_start_refusal_names_a_file_as_it_is_in_the_bar(dock, qgis_iface, tmp_path):
    """A real refusal of the Load tab: its extract is not there."""
    qgis_iface.messageBar().clear_messages()
    missing = tmp_path / f"{HOSTILE['link']}.csv"
    dock.add_inputs([str(missing)])
    dock.set_output_dir(str(tmp_path / "out"))
    assert dock.start_load() is False
    shown = _bar_shows(qgis_iface, Qgis.MessageLevel.Warning)
    assert shown == [f"Crime mapper: Not found: {missing}"], shown


def test_ordinary_texts_are_unchanged():
    """A name with nothing Qt would read as HTML is left exactly as it was."""
    from crime_mapper.ui.widgets import plain_tooltip

    for text in ("/data/2022-10-leicestershire-street.csv", "Extract not found: a b\nc", ""):
        assert plain_tooltip(text) == text
    assert _as_shown(plain_tooltip("Stop & search  (2022)\nnext")) == "Stop & search  (2022)\nnext"


def test_plain_tooltip_keeps_spaces_and_lines_of_a_hostile_name():
    from crime_mapper.ui.widgets import plain_tooltip

    text = "  a  <b>x</b>\n\tb &amp; c"
    assert _as_shown(plain_tooltip(text)) == text


@pytest.mark.parametrize("case", CASES)
def test_the_log_panel_shows_a_hostile_name_as_given(qgis_app, case):
    """QGIS's Log Messages panel shows a message as HTML: a name like a tag vanished or
    turned bold, ``&lt;`` read as "<" and a link opened when clicked. Read back from
    QGIS's own panel, for the panels' messages and the logger's records alike."""
    from qgis.gui import QgsMessageLogViewer
    from qgis.PyQt.QtWidgets import QPlainTextEdit

    from crime_mapper.logger import get_logger, log_message

    viewer = QgsMessageLogViewer()
    name = HOSTILE[case]
    log_message(f"Could not read {name}.csv", Qgis.MessageLevel.Warning)
    get_logger().warning("Leak gate refused %s.gpkg", name)
    qgis_app.processEvents()
    shown = "\n".join(w.toPlainText() for w in viewer.findChildren(QPlainTextEdit))
    assert f"Could not read {name}.csv" in shown
    assert f"Leak gate refused {name}.gpkg" in shown


# --- QGIS's layer and field pickers -------------------------------------------------------------
def _hostile_gpkg(folder, name: str):
    """A real GeoPackage named ``name``.gpkg holding a point layer ``name`` (EPSG:27700) with a
    text field and a whole-number field both named ``name`` (+ "_n"), and one point."""
    from osgeo import ogr, osr

    path = folder / f"{name}.gpkg"
    source = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    crs = osr.SpatialReference()
    crs.ImportFromEPSG(27700)
    layer = source.CreateLayer("crimes", crs, ogr.wkbPoint)  # (GDAL refuses such a name here)
    layer.CreateField(ogr.FieldDefn(name, ogr.OFTString))
    layer.CreateField(ogr.FieldDefn(f"{name}_n", ogr.OFTInteger))
    feature = ogr.Feature(layer.GetLayerDefn())
    feature.SetField(0, "Main Street")
    feature.SetField(1, 3)
    feature.SetGeometry(ogr.CreateGeometryFromWkt("POINT (450000 300000)"))
    layer.CreateFeature(feature)
    if name != "crimes":  # (GDAL's rename keeps the GeoPackage's own tables in step)
        source.ExecuteSQL(f'ALTER TABLE crimes RENAME TO "{name}"')
    source = None  # (closes and writes the file)
    return path


def _added_layer(path, name: str):
    """The layer ``name`` of the GeoPackage ``path``, added to the project."""
    from qgis.core import QgsProject, QgsVectorLayer

    layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
    assert layer.isValid(), path
    QgsProject.instance().addMapLayer(layer)
    return layer


def _item_tooltip(combo, row: int) -> str:
    """The tooltip Qt shows over ``row`` of ``combo``'s open list: a real tooltip event at the
    item, as the mouse resting on it sends ("" when none is shown)."""
    from qgis.PyQt.QtCore import QEvent
    from qgis.PyQt.QtGui import QHelpEvent
    from qgis.PyQt.QtWidgets import QApplication, QToolTip

    combo.showPopup()
    view = combo.view()
    at = view.visualRect(combo.model().index(row, 0)).center()
    QToolTip.hideText()
    QApplication.sendEvent(
        view.viewport(), QHelpEvent(QEvent.Type.ToolTip, at, view.mapToGlobal(at))
    )
    text = QToolTip.text() if QToolTip.isVisible() else ""
    combo.hidePopup()
    return text


@pytest.mark.parametrize("case", CASES)
def test_the_layer_pickers_list_a_layer_as_it_is(dock, tmp_path, case):
    """QGIS's layer picker puts a layer's name and source into an HTML tooltip as they are
    (QgsMapLayerModel, ToolTipRole): a GeoPackage layer named ``<img src=x>`` showed an
    image over its item in the list. The dock's pickers show it literally, and the layer is
    chosen as before."""
    name = HOSTILE[case]
    path = _hostile_gpkg(tmp_path, name)
    layer = _added_layer(path, name)
    for combo in (dock.hotspots_panel.source_combo, dock.release_panel.points_layer_combo):
        combo.setLayer(layer)
        assert combo.currentLayer() is layer and combo.currentText() == name
        shown = _as_shown(_item_tooltip(combo, combo.currentIndex()))
        assert shown.splitlines() == [f"{name} (Point - EPSG:27700)", layer.publicSource()], shown
        assert str(path) in shown
    # choosing the layer still gives the release its label fields
    assert dock.release_panel.label_field_combo.layer() is layer


@pytest.mark.parametrize("case", CASES)
def test_the_field_pickers_list_a_field_as_it_is(dock, tmp_path, case):
    """QGIS's field picker puts a field's name into an HTML tooltip as it is (QgsFieldModel)."""
    name = HOSTILE[case]
    layer = _added_layer(_hostile_gpkg(tmp_path, name), name)
    pickers = (
        (dock.release_panel.label_field_combo, name, "string"),
        (dock.hotspots_panel.choropleth_field, f"{name}_n", "integer"),  # (numbers only)
    )
    for combo, field, kind in pickers:
        combo.setLayer(layer)
        combo.setField(field)
        assert combo.currentField() == field
        shown = _as_shown(_item_tooltip(combo, combo.currentIndex()))
        lines = shown.splitlines()
        assert lines[0] == field and lines[1].lower().startswith(kind) and len(lines) == 2, shown


def test_a_picker_shows_a_name_s_newline_on_its_line(dock, tmp_path):
    """A layer named with a newline put a line of its own into the picker's tooltip."""
    name = "crimes\nLeak gate: passed"
    layer = _added_layer(_hostile_gpkg(tmp_path, "crimes"), "crimes")
    layer.setName(name)
    combo = dock.hotspots_panel.source_combo
    combo.setLayer(layer)
    shown = _item_tooltip(combo, combo.currentIndex())
    assert shown.splitlines()[0] == "crimes\\nLeak gate: passed (Point - EPSG:27700)", shown


def test_a_picker_shows_a_layer_s_title_and_abstract_as_they_are(dock, tmp_path):
    """QGIS names a layer by its server title when it has one, and adds its abstract (which a
    GeoPackage's metadata or the plugin's own layers carry): shown literally too, the
    abstract's own lines kept (QGIS 3.38 moved both to the layer's server properties)."""
    from crime_mapper.compat import set_layer_title_and_abstract

    path = _hostile_gpkg(tmp_path, "crimes")
    layer = _added_layer(path, "crimes")
    set_layer_title_and_abstract(layer, "<b>Title</b>", "First <i>line</i>\nsecond & last")
    combo = dock.release_panel.points_layer_combo
    combo.setLayer(layer)
    shown = _as_shown(_item_tooltip(combo, combo.currentIndex()))
    assert shown.splitlines() == [
        "<b>Title</b> (Point - EPSG:27700)",
        "First <i>line</i>",
        "second & last",
        layer.publicSource(),
    ], shown


def test_a_picker_s_empty_item_has_no_tooltip_as_before(dock):
    combo = dock.release_panel.points_layer_combo
    combo.setLayer(None)
    assert combo.currentIndex() == 0 and _item_tooltip(combo, 0) == ""


#: Characters that break a label's line (Qt breaks at each), and how a name shows them.
LINE_BREAKS = {"\n": "\\n", "\r": "\\r", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _one_line(text: str) -> bool:
    return not any(mark in text for mark in LINE_BREAKS)


@pytest.mark.parametrize("mark", sorted(LINE_BREAKS))
def test_a_label_shows_a_name_on_one_line(dock, tmp_path, dialogs, mark):
    """A file named ``a\\nLeak gate: passed.csv`` put a line of its own into a label, which
    read as the dock's; the labels show a name's line break escaped, on the name's line."""
    from crime_mapper.ui.profile_dialog import ProfileDialog

    escaped = LINE_BREAKS[mark]
    gpkg = tmp_path / f"crimes{mark}Leak gate: passed.gpkg"
    gpkg.write_bytes(b"")
    dock.hotspots_panel.set_crimes_source(str(gpkg))
    shown = dock.hotspots_panel.source_label.text()
    assert shown == f"Crimes of the last load: crimes{escaped}Leak gate: passed.gpkg", ascii(shown)

    missing = [tmp_path / f"history{mark}Leak gate: passed.csv", tmp_path / "2022-10.csv"]
    dock.summaries_panel.history.setFilePath(" ".join(f'"{p}"' for p in missing))
    shown = dock.summaries_panel.history_status.text()
    # one line a missing file: the label's own lines kept, the name's break escaped
    assert shown.split("\n") == [
        f"History not found: {tmp_path}/history{escaped}Leak gate: passed.csv",
        f"History not found: {missing[1]}",
    ], ascii(shown)

    extract = tmp_path / f"a{mark}Leak gate: passed.csv"
    make_force_extract(extract)
    dialog = ProfileDialog(extract_path=extract)
    dialogs.append(dialog)
    shown = dialog.source_label.text()
    assert _one_line(shown) and shown.startswith(f"a{escaped}Leak gate: passed.csv: "), ascii(shown)

    report = _qa_report(f"Leicestershire{mark}Leak gate: passed", [])
    dock.qa_panel.show_report(report)
    shown = dock.qa_panel.verdict_label.text()
    assert _one_line(shown), ascii(shown)
    assert shown.startswith(f"Leicestershire{escaped}Leak gate: passed 2022-10: "), ascii(shown)


# --- names in lists, tooltips and failure messages stay on their line ---------------------------
#: A name that is both: a line of its own and a tag (no "/": a file's name).
FORGED = "a\nLeak gate: passed <b>x"


@pytest.mark.parametrize("mark", sorted(LINE_BREAKS))
def test_the_load_list_shows_a_name_on_one_line(dock, tmp_path, mark):
    """A file named ``a\\nLeak gate: passed.csv`` put a line of its own into the load list
    and its tooltip; the list shows it escaped on its line, and loads the file as named."""
    path = tmp_path / f"a{mark}Leak gate: passed <b>x.csv"
    dock.add_inputs([str(path)])
    item = dock.inputs_list.item(0)
    wanted = f"{tmp_path}/a{LINE_BREAKS[mark]}Leak gate: passed <b>x.csv"
    assert item.text() == wanted, ascii(item.text())
    assert _as_shown(item.toolTip()) == wanted, ascii(item.toolTip())
    assert dock.input_paths() == [str(path)]  # (the load reads the file as it is named)
    dock.add_inputs([str(path)])  # once each, as before
    assert dock.inputs_list.count() == 1


def test_the_load_s_refusal_names_a_missing_file_on_one_line(dock, qgis_iface, tmp_path):
    qgis_iface.messageBar().clear_messages()
    missing = tmp_path / f"{FORGED}.csv"
    dock.add_inputs([str(missing)])
    dock.set_output_dir(str(tmp_path / "out"))
    assert dock.start_load() is False
    shown = _bar_shows(qgis_iface, Qgis.MessageLevel.Warning)
    wanted = f"Crime mapper: Not found: {tmp_path}/a\\nLeak gate: passed <b>x.csv"
    assert shown == [wanted], shown


def test_a_recent_configuration_is_listed_on_one_line(dock, tmp_path):
    from tests.support.monthly_config import config_file

    panel = dock.guided_panel
    path = tmp_path / f"{FORGED}.toml"
    path.write_bytes(config_file(tmp_path).read_bytes())
    assert panel.open_config(path)
    combo = panel.recent_combo
    index = combo.findData(str(path))
    assert combo.itemText(index) == "a\\nLeak gate: passed <b>x.toml", combo.itemText(index)
    tooltip = _as_shown(combo.itemData(index, Qt.ItemDataRole.ToolTipRole))
    assert tooltip == f"{tmp_path}/a\\nLeak gate: passed <b>x.toml", ascii(tooltip)


def test_the_profile_dialog_s_source_tooltip_is_one_line(qgis_iface, tmp_path, dialogs):
    from crime_mapper.ui.profile_dialog import ProfileDialog

    extract = tmp_path / f"{FORGED}.csv"
    make_force_extract(extract)
    dialog = ProfileDialog(extract_path=extract)
    dialogs.append(dialog)
    tooltip = _as_shown(dialog.source_label.toolTip())
    assert tooltip == f"{tmp_path}/a\\nLeak gate: passed <b>x.csv", ascii(tooltip)


def test_the_guided_release_s_result_buttons_name_a_folder_on_one_line(dock, qtbot, tmp_path):
    """A result button's tooltip says what it opens and where: a release folder named with a
    newline put a line of its own under it."""
    from tests.support.monthly_config import config_file

    panel = dock.guided_panel
    assert panel.open_config(config_file(tmp_path, out=f"{FORGED}/{{month}}"))
    panel.set_month("2022-10")
    button = panel.step_buttons["load"]
    assert button.isEnabled(), button.toolTip()
    with qtbot.waitSignal(panel.releaseFinished, timeout=300_000) as blocker:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert blocker.args == [True], panel.summary_view.toPlainText()
    report = panel.result_buttons[("load", "report")]
    assert report.isEnabled()
    lines = _as_shown(report.toolTip()).split("\n")
    folder = f"{tmp_path}/a\\nLeak gate: passed <b>x/2022-10"
    assert len(lines) == 2 and lines[1] == f"{folder}/internal/validation_report.txt", lines


def test_the_hotspots_tab_s_failure_names_a_file_on_one_line(
    dock, qgis_iface, tmp_path, wait_until
):
    """A run that cannot open its points quotes the file: a newline in the file's name
    started a line of its own in the status label and the message bar."""
    qgis_iface.messageBar().clear_messages()
    panel = dock.hotspots_panel
    bad = tmp_path / f"{FORGED}.gpkg"
    bad.write_bytes(b"not a GeoPackage")
    panel.set_crimes_source(str(bad))
    panel.set_method("grid")
    panel.output_edit.setFilePath(str(tmp_path / "grid.gpkg"))
    outcome: list[bool] = []
    panel.runFinished.connect(outcome.append)
    assert panel.start_run()
    wait_until(lambda: bool(outcome), "the hotspot run")
    assert outcome == [False]
    wanted = (
        f"Hotspots: cannot open the point layer {tmp_path}/a\\nLeak gate: passed <b>x.gpkg"
        "|layername=crimes"
    )
    assert panel.status_label.text() == wanted, ascii(panel.status_label.text())
    assert panel.status_label.textFormat() == Qt.TextFormat.PlainText
    assert _bar_shows(qgis_iface, Qgis.MessageLevel.Critical) == [f"Crime mapper: {wanted}"]


def test_the_profile_dialog_lists_a_column_on_one_line(qgis_iface, tmp_path, dialogs):
    """An extract's header cell can hold a newline (a quoted CSV cell): the column's name put
    a line of its own into every role's list; it is chosen and saved as it is named."""
    import csv

    from crime_mapper.ui.profile_dialog import ProfileDialog

    extract = tmp_path / "extract.csv"
    make_force_extract(extract)
    with extract.open(newline="", encoding="utf-8") as source:
        rows = list(csv.reader(source))
    column = "Notes\nLeak gate: passed"
    rows = [rows[0] + [column]] + [row + ["x"] for row in rows[1:]]
    with extract.open("w", newline="", encoding="utf-8") as target:
        csv.writer(target).writerows(rows)

    dialog = ProfileDialog(extract_path=extract)
    dialogs.append(dialog)
    role, combo = next(iter(dialog.role_combos.items()))
    index = combo.findData(column)
    assert index > 0 and combo.itemText(index) == "Notes\\nLeak gate: passed", combo.itemText(index)
    dialog.set_role_column(role, column)
    assert dialog.role_column(role) == column
    other = "Other\nLeak gate: passed"  # (a column the extract lacks, as a profile names it)
    dialog.set_role_column(role, other)
    assert combo.currentText() == "Other\\nLeak gate: passed" and dialog.role_column(role) == other
    # a profile naming it, shown over an extract that lacks it
    dialog.set_profile(dialog.profile())
    assert dialog.role_column(role) == other, combo.currentText()
    assert combo.currentText() == "Other\\nLeak gate: passed (not in this extract)"


def test_the_hotspots_tab_refuses_an_output_under_a_file_naming_it_on_one_line(
    dock, qgis_iface, tmp_path
):
    """An output whose folder is a file raised FileExistsError out of the Run button (QGIS's
    Python error dialog, the file's name as it was); now a message naming it on one line."""
    qgis_iface.messageBar().clear_messages()
    panel = dock.hotspots_panel
    crimes = _hostile_gpkg(tmp_path, "crimes")
    panel.set_crimes_source(str(crimes))
    panel.set_method("grid")
    blocker = tmp_path / FORGED
    blocker.write_text("a file, not a folder", encoding="utf-8")
    panel.output_edit.setFilePath(str(blocker / "grid.gpkg"))
    assert panel.start_run() is False
    shown = _bar_shows(qgis_iface, Qgis.MessageLevel.Warning)
    folder = f"{tmp_path}/a\\nLeak gate: passed <b>x"
    assert shown == [f"Crime mapper: The output's folder cannot be made: {folder} (File exists)"], (
        shown
    )
    assert blocker.read_text(encoding="utf-8") == "a file, not a folder"


def test_the_qa_tab_shows_a_finding_s_area_and_file_on_their_lines(dock):
    """An area's code (an extract's LSOA column) and a file's name are read from the
    analyst's files: a newline in them put a line of its own into the findings list, its
    tooltip and the explanation under it."""
    code = "E01\nLeak gate: passed <b>x"
    finding = Finding(
        check="area_count",
        key=code,
        severity="high",
        title=f"LSOA {code}: 0 crimes, far fewer than usual",
        explanation=f"LSOA {code} has 0 crimes this month against 40 a month on average.",
        rows=0,
        areas=[code],
        lines=[f"{code}.csv:2-9"],
    )
    report = _qa_report("Leicestershire Police", [finding])
    panel = dock.qa_panel
    panel.show_report(report)
    shown = "E01\\nLeak gate: passed <b>x"
    item = panel.findings_table.item(0, 1)
    assert item.text() == f"LSOA {shown}: 0 crimes, far fewer than usual", ascii(item.text())
    explanation = f"LSOA {shown} has 0 crimes this month against 40 a month on average."
    assert _as_shown(item.toolTip()) == explanation, ascii(item.toolTip())
    panel.findings_table.clearSelection()
    panel.findings_table.selectRow(0)
    assert panel.explanation_view.toPlainText().split("\n") == [
        explanation,
        f"Areas: {shown}",
        f"Lines: {shown}.csv:2-9",
    ], ascii(panel.explanation_view.toPlainText())


def test_the_profile_dialog_s_preview_shows_an_offence_on_one_line(qgis_iface, tmp_path, dialogs):
    """An offence cell can hold a newline (a quoted CSV cell): it put a line of its own into
    the preview's row, which could read as another row or as the dialog's own words."""
    import csv

    from crime_mapper.ui.profile_dialog import ProfileDialog

    extract = tmp_path / "extract.csv"
    make_force_extract(extract)
    with extract.open(newline="", encoding="utf-8") as source:
        rows = list(csv.reader(source))
    offence = "Theft\nLeak gate: passed <b>x"
    rows[3][5] = offence  # (an offence the table does not know, as in the test above)
    with extract.open("w", newline="", encoding="utf-8") as target:
        csv.writer(target).writerows(rows)

    dialog = ProfileDialog(extract_path=extract)
    dialogs.append(dialog)
    assert dialog.unmapped_offences() == [offence]
    table = dialog.preview_table
    shown = [table.item(row, 1).text() for row in range(table.rowCount())]
    assert "Theft\\nLeak gate: passed <b>x" in shown, shown
    assert all(_one_line(text) for text in shown), shown


def test_the_log_names_a_load_s_output_folder_on_one_line(dock, tmp_path, repo_root, wait_until):
    """The plugin's log line "Load started: 1 input(s) -> FOLDER" printed an output folder
    named ``out\\nLeak gate: passed`` on two lines, the second read as the plugin's own."""
    import logging

    from crime_mapper.logger import get_logger

    lines: list[str] = []

    class Lines(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    out = tmp_path / "out\nLeak gate: passed"
    dock.add_inputs(
        [str(repo_root / "sample_data/police-uk/2022-07/2022-07-northumbria-street.csv")]
    )
    dock.set_output_dir(str(out))
    outcomes: list[bool] = []
    dock.loadFinished.connect(outcomes.append)
    handler = Lines()
    get_logger().addHandler(handler)
    try:
        assert dock.start_load() is True
        wait_until(lambda: bool(outcomes), "the dock's load to finish")
    finally:
        get_logger().removeHandler(handler)
    assert outcomes == [True], dock.report_view.toPlainText()
    assert lines[0] == f"Load started: 1 input(s) -> {tmp_path}/out\\nLeak gate: passed"
    assert (out / "crimes.gpkg").is_file()  # (written where it was asked to be)
