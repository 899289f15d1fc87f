"""Translations (issue 14, section 1): the template is current, a translator's .ts is compiled
into the plugin package with Qt's real lrelease, and the plugin installs it for QGIS's locale.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from qgis.PyQt.QtCore import QCoreApplication

REPO = Path(__file__).resolve().parent.parent
GERMAN = "Monatliche Veröffentlichung"


def _tool(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _built_german_translator(ts: str, source_tree: Path, tmp_path: Path) -> Any:
    """Install ``ts`` as the German translation the way a release does: into the source tree,
    compiled by the plugin build, loaded by the plugin's own translator installer."""
    from crime_mapper.plugin import _install_translator

    (source_tree / "crime_mapper" / "i18n" / "crime_mapper_de.ts").write_text(ts, "utf-8")
    i18n = _tool("build_plugin").assemble(tmp_path / "build", root=source_tree) / "i18n"
    return _install_translator("de_DE", i18n)


def _translation(language: str, translation: str) -> str:
    """A translator's .ts: the template's "Monthly release" (the dock's first tab) translated."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n'
        f'<TS version="2.1" language="{language}">\n<context>\n'
        "    <name>CrimeMapperDock</name>\n    <message>\n"
        "        <source>Monthly release</source>\n"
        f"        <translation>{translation}</translation>\n"
        "    </message>\n</context>\n</TS>\n"
    )


@pytest.fixture
def source_tree(tmp_path: Path) -> Path:
    """A plugin source tree like the repository's: metadata, package, template, one .ts."""
    root = tmp_path / "src"
    package = root / "crime_mapper"
    (package / "i18n").mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    shutil.copyfile(REPO / "metadata.txt", root / "metadata.txt")
    shutil.copyfile(
        REPO / "crime_mapper" / "i18n" / "crime_mapper.ts", package / "i18n" / "crime_mapper.ts"
    )
    (package / "i18n" / "crime_mapper_de.ts").write_text(_translation("de", GERMAN), "utf-8")
    (package / "i18n" / "crime_mapper_fr.qm").write_bytes(b"stale, never shipped")
    return root


def test_the_committed_template_is_current():
    """Every tr() text in the package is in the template: run `make translations` if not."""
    template = _tool("translation_template")
    committed = (REPO / "crime_mapper" / "i18n" / "crime_mapper.ts").read_text(encoding="utf-8")
    assert template.template_text() == committed, "run `make translations`"


def test_the_package_compiles_translations_and_ships_no_sources(source_tree, tmp_path):
    build = _tool("build_plugin")
    assert build.lrelease() is not None, "tools/ensure_setup.sh installs qttools5-dev-tools"
    plugin = build.assemble(tmp_path / "build", root=source_tree)
    zip_path = build.write_zip(plugin, tmp_path / "crime_mapper.zip")
    names = set(zipfile.ZipFile(zip_path).namelist())
    assert "crime_mapper/i18n/crime_mapper_de.qm" in names
    assert not [n for n in names if n.endswith(".ts")]  # sources and template stay home
    assert "crime_mapper/i18n/crime_mapper_fr.qm" not in names  # only freshly compiled ones
    assert (plugin / "i18n" / "crime_mapper_de.qm").read_bytes()[:4] == b"\x3c\xb8\x64\x18"


def test_a_broken_translation_fails_the_build(source_tree, tmp_path):
    build = _tool("build_plugin")
    (source_tree / "crime_mapper" / "i18n" / "crime_mapper_cy.ts").write_text(
        "<TS><context>", encoding="utf-8"
    )
    with pytest.raises(SystemExit, match="lrelease failed on .*crime_mapper_cy.ts"):
        build.assemble(tmp_path / "build", root=source_tree)


def test_without_lrelease_the_package_is_english_and_says_so(
    source_tree, tmp_path, monkeypatch, capsys
):
    build = _tool("build_plugin")
    monkeypatch.delenv("LRELEASE", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no lrelease anywhere on it
    monkeypatch.setattr(build.shutil, "which", lambda name: None)  # nor at Qt's own path
    plugin = build.assemble(tmp_path / "build", root=source_tree)
    assert not list(plugin.rglob("*.qm"))
    assert "lrelease not found" in capsys.readouterr().err
    monkeypatch.setenv("LRELEASE", str(tmp_path / "no-such-lrelease"))
    with pytest.raises(SystemExit, match="cannot run lrelease"):
        build.assemble(tmp_path / "build", root=source_tree)


def test_the_plugin_installs_the_translation_for_the_locale(source_tree, tmp_path, qgis_app):
    from crime_mapper.plugin import _install_translator, translation_file

    build = _tool("build_plugin")
    i18n = build.assemble(tmp_path / "build", root=source_tree) / "i18n"
    assert translation_file("de_AT", i18n) == i18n / "crime_mapper_de.qm"  # the language's
    assert translation_file("en_GB", i18n) is None  # the plugin's own English
    shutil.copyfile(i18n / "crime_mapper_de.qm", i18n / "crime_mapper_de_CH.qm")
    assert translation_file("de_CH", i18n) == i18n / "crime_mapper_de_CH.qm"  # country first

    assert _install_translator("en_GB", i18n) is None
    translator = _install_translator("de_DE", i18n)
    assert translator is not None
    try:
        assert QCoreApplication.translate("CrimeMapperDock", "Monthly release") == GERMAN
        assert QCoreApplication.translate("CrimeMapperDock", "Load") == "Load"  # untranslated
    finally:
        QCoreApplication.removeTranslator(translator)
    assert QCoreApplication.translate("CrimeMapperDock", "Monthly release") == "Monthly release"


#: The dock's panels outside the guided tab: each wraps its texts in its own tr() context.
PANELS = {
    "hotspots_panel": "HotspotsPanel",
    "profile_dialog": "ProfileDialog",
    "publish_panel": "PublishPanel",
    "qa_panel": "QaPanel",
    "release_panel": "ReleasePanel",
    "summaries_panel": "SummariesPanel",
    "webmap_panel": "WebmapPanel",
}


#: The dock itself (tab titles and the Load tab) and the task runner (the message bar's title,
#: the one text it shows): the same pattern, with the texts each must contribute.
DOCK_MODULES = {
    "dock": (
        "CrimeMapperDock",
        ("Load", "Web map", "Add files…", "Load failed: {error}", "Loading {count} input(s)…"),
    ),
    "task_runner": ("TaskRunner", ("Crime mapper",)),
}


@pytest.mark.parametrize("module", sorted(PANELS) + sorted(DOCK_MODULES))
def test_every_panel_contributes_its_texts_to_the_template(module):
    template = _tool("translation_template")
    found = template.messages(REPO / "crime_mapper" / "ui" / f"{module}.py")
    context, texts = DOCK_MODULES.get(module, (PANELS.get(module, ""), ()))
    assert len(found) >= min(2, len(texts) or 2), f"{module}: its texts are not wrapped in tr()"
    assert {found_context for found_context, _text, _line in found} == {context}
    assert set(texts) <= {text for _context, text, _line in found}, module
    committed = (REPO / "crime_mapper" / "i18n" / "crime_mapper.ts").read_text(encoding="utf-8")
    assert f"<name>{context}</name>" in committed
    assert f'<location filename="../../crime_mapper/ui/{module}.py"/>' in committed


def test_the_load_tab_shows_its_translation(source_tree, tmp_path, qgis_iface):
    """A translator's texts reach the dock: the Load tab's title and run button, the message-bar
    title the task runner gives every notice, and a composed message whose {paths} the
    translation moves; texts the .ts leaves out stay English."""
    from qgis.core import Qgis

    from crime_mapper.ui.dock import CrimeMapperDock

    ts = _translation("de", "Laden").replace("Monthly release", "Load")
    ts = ts.replace(
        "</context>",
        "    <message>\n        <source>Not found: {paths}</source>\n"
        "        <translation>{paths}: nicht gefunden</translation>\n"
        "    </message>\n</context>\n<context>\n    <name>TaskRunner</name>\n"
        "    <message>\n        <source>Crime mapper</source>\n"
        "        <translation>Kriminalitätskarte</translation>\n    </message>\n</context>",
    )
    translator = _built_german_translator(ts, source_tree, tmp_path)
    assert translator is not None
    dock = None
    try:
        dock = CrimeMapperDock(qgis_iface)
        titles = [dock.tabs.tabText(i) for i in range(dock.tabs.count())]
        assert titles[1] == "Laden"
        assert "Web map" in titles and "Release" in titles  # not in this .ts: English
        assert dock.load_button.text() == "Laden"
        assert dock.add_files_button.text() == "Add files…"
        missing = str(tmp_path / "no-such-extract.csv")
        dock.add_inputs([missing])
        dock.set_output_dir(str(tmp_path / "out"))
        qgis_iface.messageBar().clear_messages()
        assert dock.start_load() is False
        warnings = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Warning)
        assert warnings == [f"Kriminalitätskarte:{missing}: nicht gefunden"]
    finally:
        if dock is not None:
            dock.shutdown()
        QCoreApplication.removeTranslator(translator)


def test_a_panel_shows_its_translation(source_tree, tmp_path, qgis_iface):
    """A translator's texts for the Summaries tab reach the built panel: a form label (its module's
    tr()) and the run button (its tr_noop() run_label, shown by the shared publishing tab)."""
    from qgis.PyQt.QtWidgets import QFormLayout

    from crime_mapper.ui.summaries_panel import SummariesPanel

    ts = _translation("de", "Frühere Monate").replace("CrimeMapperDock", "SummariesPanel")
    ts = ts.replace("<source>Monthly release</source>", "<source>History</source>")
    ts = ts.replace(  # a tab's own text, marked with tr_noop and shown by the shared tab
        "</context>",
        "    <message>\n        <source>Make summaries</source>\n"
        "        <translation>Zusammenfassungen erstellen</translation>\n    </message>\n"
        "</context>",
    )
    translator = _built_german_translator(ts, source_tree, tmp_path)
    assert translator is not None
    try:
        panel = SummariesPanel(qgis_iface)
        form = panel.layout().itemAt(0).layout()
        assert isinstance(form, QFormLayout)
        label = form.labelForField(panel.history)
        assert label is not None and label.text() == "Frühere Monate"
        assert form.labelForField(panel.team).text() == "Team information"  # untranslated
        assert panel.run_button.text() == "Zusammenfassungen erstellen"
        assert panel.cancel_button.text() == "Cancel"  # PublishPanel's: not in this .ts
        panel.shutdown()
    finally:
        QCoreApplication.removeTranslator(translator)


def _messages(context: str, pairs: dict[str, str]) -> str:
    """One .ts context holding ``pairs`` (source -> translation)."""
    from xml.sax.saxutils import escape

    body = "".join(
        f"    <message>\n        <source>{escape(source)}</source>\n"
        f"        <translation>{escape(text)}</translation>\n    </message>\n"
        for source, text in pairs.items()
    )
    return f"<context>\n    <name>{context}</name>\n{body}</context>\n"


#: German for a few choices of each panel: (context, source, translation).
CHOICES = {
    "Vocabulary": {
        "Kernel density surface": "Kerndichte-Oberfläche",
        "Natural breaks (Jenks)": "Natürliche Unterbrechungen (Jenks)",
        "Raster cell size (metres)": "Rasterzellengröße (Meter)",
    },
    "HotspotsPanel": {"Raster cell size": "Rasterzellengröße"},
    "ProfileDialog": {"auto": "automatisch", "(none)": "(keine)", "Tab": "Tabulator"},
    "QaPanel": {"Per area (LSOA)": "Je Gebiet (LSOA)"},
    "ReleasePanel": {"Map points GeoPackage": "Kartenpunkte-GeoPackage"},
    "WebmapPanel": {"None": "Keine"},
}


def test_choices_show_their_translation_and_keep_their_values(
    source_tree, tmp_path, qgis_iface, qgis_new_project
):
    """Every choice's label goes through tr() while the code reads the item's data: in German
    the combo boxes show German labels and the panels still pick the same methods, profile
    values, views, sources and basemaps. The template holds each label."""
    from crime_mapper.ui.hotspots_panel import HotspotsPanel
    from crime_mapper.ui.profile_dialog import ProfileDialog
    from crime_mapper.ui.qa_panel import QaPanel
    from crime_mapper.ui.release_panel import SOURCE_GPKG, ReleasePanel
    from crime_mapper.ui.webmap_panel import WebmapPanel

    committed = (REPO / "crime_mapper" / "i18n" / "crime_mapper.ts").read_text(encoding="utf-8")
    for pairs in CHOICES.values():
        for source in pairs:
            assert f"<source>{source}</source>" in committed, source
    ts = _translation("de", GERMAN).replace(
        "</TS>", "".join(_messages(c, pairs) for c, pairs in CHOICES.items()) + "</TS>"
    )
    translator = _built_german_translator(ts, source_tree, tmp_path)
    assert translator is not None
    panels = []
    try:
        hotspots = HotspotsPanel(qgis_iface)
        panels.append(hotspots)
        combo = hotspots.method_combo
        assert combo.itemText(combo.findData("kde")) == "Kerndichte-Oberfläche"
        hotspots.set_method("kde")
        assert hotspots.method() == "kde"
        assert hotspots.cell_label.text() == "Rasterzellengröße"
        assert hotspots.cell_spin.toolTip() == "Rasterzellengröße (Meter)"
        classes = hotspots.classification_combo
        assert classes.itemText(classes.findData("jenks")) == "Natürliche Unterbrechungen (Jenks)"
        assert classes.itemText(classes.findData("quantile")) == "Quantile (equal count)"

        dialog = ProfileDialog()
        assert dialog.encoding_combo.currentText() == "automatisch"
        assert dialog.date_format_combo.currentText() == "automatisch"
        assert dialog.role_combos["x"].itemText(0) == "(keine)"
        dialog.delimiter_combo.setCurrentIndex(dialog.delimiter_combo.findData("\t"))
        assert dialog.delimiter_combo.currentText() == "Tabulator"
        profile = dialog.profile()
        assert (profile.encoding, profile.date_format, profile.delimiter) == ("auto", "auto", "\t")
        dialog.encoding_combo.setCurrentIndex(dialog.encoding_combo.findData("cp1252"))
        dialog.date_format_combo.setEditText("%d/%m/%Y")  # typed: the text is the value
        assert (dialog.encoding(), dialog.date_format()) == ("cp1252", "%d/%m/%Y")
        dialog.set_profile(profile)  # "auto" from a profile file shows translated again
        assert dialog.encoding_combo.currentText() == "automatisch"
        assert dialog.profile().encoding == "auto"

        qa = QaPanel(qgis_iface)
        panels.append(qa)
        qa.when_combo.setCurrentIndex(qa.when_combo.findData("area"))
        assert qa.when_combo.currentText() == "Je Gebiet (LSOA)"
        assert qa.when_combo.currentData() == "area"

        release = ReleasePanel(qgis_iface)
        panels.append(release)
        assert release.source_combo.itemText(SOURCE_GPKG) == "Kartenpunkte-GeoPackage"
        assert release.source_combo.itemData(SOURCE_GPKG) == "gpkg"

        webmap = WebmapPanel(qgis_iface)
        panels.append(webmap)
        webmap.tiles.setCurrentIndex(webmap.tiles.findData("none"))
        assert webmap.tiles.currentText() == "Keine" and webmap.tiles.currentData() == "none"
    finally:
        for panel in panels:
            panel.shutdown()
        QCoreApplication.removeTranslator(translator)


def test_only_qt_translate_calls_are_messages(tmp_path):
    """``bytes.translate(None, b"...")`` (the leak gate's hex test) is not a message; a
    ``QCoreApplication.translate(context, text)`` and a vocabulary's ``tr_noop`` under
    ``TR_CONTEXT`` are."""
    module = tmp_path / "sample.py"
    module.write_text(
        'TR_CONTEXT = "Vocabulary"\n'
        'LABEL = tr_noop("Kernel density surface")\n'
        'ok = b"ab".translate(None, b"0123456789abcdef")\n'
        'shown = QCoreApplication.translate("Dock", "Load")\n',
        encoding="utf-8",
    )
    found = _tool("translation_template").messages(module)
    assert [(c, t) for c, t, _line in found] == [
        ("Vocabulary", "Kernel density surface"),
        ("Dock", "Load"),
    ]


def test_a_translation_that_does_not_load_is_named_on_one_line_in_the_log(tmp_path, qgis_app):
    """The plugin's folder lies under the user's QGIS profile, whose name is theirs: a
    folder named ``out\\nLeak gate: passed`` put a line of its own into the log."""
    import logging

    from crime_mapper.logger import get_logger
    from crime_mapper.plugin import _install_translator

    i18n = tmp_path / "out\nLeak gate: passed"
    i18n.mkdir()
    (i18n / "crime_mapper_de.qm").write_bytes(b"not a translation")
    lines: list[str] = []

    class Lines(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    handler = Lines()
    get_logger().addHandler(handler)
    try:
        assert _install_translator("de_DE", i18n) is None
    finally:
        get_logger().removeHandler(handler)
    shown = f"{tmp_path}/out\\nLeak gate: passed/crime_mapper_de.qm"
    assert lines == [f"could not load the translation {shown}"], lines
