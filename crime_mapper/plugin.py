"""The plugin object QGIS creates through ``classFactory``: toolbar, menu, dock and provider.

Why it is this small: everything that does work lives in ``core`` (pure Python),
``qgis_bridge`` (layers, tasks) and ``processing``; the plugin only wires those into the QGIS
interface and, just as important, removes every trace of itself again on ``unload()`` so that
reloading the plugin (Plugin Reloader, upgrades from the plugin manager) leaves no duplicate
toolbars, docks or providers behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

from qgis.core import QgsApplication
from qgis.PyQt.QtCore import QCoreApplication, Qt, QTranslator
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QAction, QMenu, QToolBar, QWidget

from . import ICON_PATH
from .core.common.text_file import shown_line
from .logger import get_logger

LOG = get_logger()

if TYPE_CHECKING:
    from qgis.gui import QgisInterface

    from .processing.provider import CrimeMapperProvider
    from .ui.dock import CrimeMapperDock

MENU_NAME = "&Crime mapper"
TOOLBAR_NAME = "Crime mapper"
TOOLBAR_OBJECT_NAME = "crime_mapper_toolbar"
ACTION_OBJECT_NAME = "crime_mapper_show_dock"
DOCK_OBJECT_NAME = "crime_mapper_dock"


class CrimeMapperPlugin:
    """QGIS plugin instance: one per load; ``unload()`` undoes ``initGui()`` completely."""

    def __init__(self, iface: QgisInterface) -> None:
        self.iface = iface
        self.translator = _install_translator()
        self.provider: Optional[CrimeMapperProvider] = None
        self.action: Optional[QAction] = None
        self.toolbar: Optional[QToolBar] = None
        self.dock: Optional[CrimeMapperDock] = None

    # --- Processing -------------------------------------------------------------------------
    def initProcessing(self) -> None:
        """Register the Processing provider.

        QGIS calls this on its own for ``hasProcessingProvider=yes`` plugins where there is
        no GUI (``qgis_process``); the desktop calls only ``initGui``, which calls this too.
        Calling it again while registered does nothing.
        """
        if self.provider is not None:
            return
        from .processing.provider import CrimeMapperProvider
        from .qgis_bridge.transforms import install_fallback

        install_fallback()

        provider = CrimeMapperProvider()
        if QgsApplication.processingRegistry().addProvider(provider):
            self.provider = provider
        else:
            LOG.warning(
                "Processing provider 'crime_mapper' is already registered; not adding another"
            )

    # --- GUI --------------------------------------------------------------------------------
    def initGui(self) -> None:
        """Add the provider, a toolbar with the dock's toggle action, the menu entry, the dock."""
        self.initProcessing()
        if self.action is not None:  # already initialised: keep exactly one of everything
            return
        main_window = self.iface.mainWindow()

        from .ui.dock import CrimeMapperDock

        self.dock = CrimeMapperDock(self.iface, main_window)
        self.dock.setObjectName(DOCK_OBJECT_NAME)
        self.iface.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        # QGIS shows a dock when it is added; the panel opens when the user asks for it.
        self.dock.hide()

        self.action = QAction(QIcon(str(ICON_PATH)), "Crime mapper", main_window)
        self.action.setObjectName(ACTION_OBJECT_NAME)
        self.action.setToolTip("Show or hide the Crime mapper panel")
        self.action.setCheckable(True)
        self.action.toggled.connect(self._on_action_toggled)
        self.dock.visibilityChanged.connect(self._on_dock_visibility_changed)

        self.toolbar = self.iface.addToolBar(TOOLBAR_NAME)
        self.toolbar.setObjectName(TOOLBAR_OBJECT_NAME)
        self.toolbar.addAction(self.action)
        # Vector menu, matching category=Vector in metadata.txt.
        self.iface.addPluginToVectorMenu(MENU_NAME, self.action)

    def _on_action_toggled(self, checked: bool) -> None:
        if self.dock is not None:
            self.dock.setUserVisible(checked)

    def _on_dock_visibility_changed(self, visible: bool) -> None:
        # Keeps the toolbar button in step when the user closes the dock with its own button.
        # Tabbed-away docks report invisible too; isUserVisible tells "closed" apart from that.
        if self.action is not None and self.dock is not None:
            self.action.setChecked(self.dock.isUserVisible())

    def unload(self) -> None:
        """Remove everything initGui/initProcessing added; safe to call more than once."""
        if self.dock is not None:
            dock, self.dock = self.dock, None
            try:
                dock.visibilityChanged.disconnect(self._on_dock_visibility_changed)
            except TypeError:
                pass
            dock.shutdown()
            self.iface.removeDockWidget(dock)
            dock.deleteLater()

        if self.action is not None:
            action, self.action = self.action, None
            self.iface.removePluginVectorMenu(MENU_NAME, action)
            _delete_empty_menus(self.iface.mainWindow(), MENU_NAME)
            if self.toolbar is not None:
                self.toolbar.removeAction(action)
            action.deleteLater()

        if self.toolbar is not None:
            toolbar, self.toolbar = self.toolbar, None
            self.iface.mainWindow().removeToolBar(toolbar)
            toolbar.deleteLater()

        if self.provider is not None:
            provider, self.provider = self.provider, None
            # The registry owns (and deletes) the provider once removed.
            QgsApplication.processingRegistry().removeProvider(provider)

        if self.translator is not None:
            QCoreApplication.removeTranslator(self.translator)
            self.translator = None


I18N_DIR = Path(__file__).resolve().parent / "i18n"


def qgis_locale() -> str:
    """The locale QGIS runs its own interface in ("de", "pt_BR", "en_GB"): the user's
    override from Settings > Options > General, else the system's."""
    if hasattr(QgsApplication, "locale"):
        return str(QgsApplication.locale() or "")
    from qgis.core import QgsSettings

    return str(QgsSettings().value("locale/userLocale", "") or "")


def translation_file(locale: str, folder: Path = I18N_DIR) -> Optional[Path]:
    """crime_mapper_<language>_<COUNTRY>.qm for ``locale``, else crime_mapper_<language>.qm,
    else None (the plugin's own English)."""
    locale = locale.replace("-", "_").split(".", 1)[0]
    names = [locale, locale.split("_", 1)[0]] if locale else []
    for name in dict.fromkeys(names):
        path = folder / f"crime_mapper_{name}.qm"
        if path.is_file():
            return path
    return None


def _install_translator(
    locale: Optional[str] = None, folder: Path = I18N_DIR
) -> Optional[QTranslator]:
    """Install the compiled translation for QGIS's locale, when the package has one.

    The .qm files are compiled from crime_mapper/i18n/crime_mapper_<locale>.ts when the plugin
    is packaged (tools/build_plugin.py, with Qt's lrelease); the template translators start
    from is crime_mapper/i18n/crime_mapper.ts (`make translations`).
    """
    path = translation_file(qgis_locale() if locale is None else locale, folder)
    if path is None:
        return None
    translator = QTranslator()
    if not translator.load(str(path)):
        LOG.warning("could not load the translation %s", shown_line(path))  # (one line)
        return None
    QCoreApplication.installTranslator(translator)
    return translator


def _delete_empty_menus(main_window: QWidget, title: str) -> None:
    """Delete the emptied "&Crime mapper" submenu QGIS leaves behind.

    QgisApp.removePluginVectorMenu() detaches an emptied plugin submenu from the Vector menu
    but never deletes it (QGIS 3.22), so every reload would leak a QMenu and its action; the
    next addPluginToVectorMenu() creates a fresh submenu anyway.
    """
    for menu in main_window.findChildren(QMenu):
        if menu.title() == title and not menu.actions():
            menu.deleteLater()
