"""Every tab of the dock fits a dock docked at the side of QGIS, 360 and 420 px wide: no
sideways scrolling, and no field, browse button or button cut off at the right.

Why: analysts keep the dock at the side of the map, 300-450 px wide. Five tabs (Load,
Release, Hotspots, Summaries, Web map) were wider than that: long labels beside their fields,
rows of three buttons, combo boxes as wide as their longest choice and long check-box texts
set each tab's minimum width, so their scroll areas scrolled sideways and the right ends of
fields, the "..." buttons and buttons such as "Cancel" or "Create new salt..." were out of
sight. The real dock under QT_QPA_PLATFORM=offscreen (pytest-qgis), laid out at each width.
"""

from __future__ import annotations

import pytest
from qgis.PyQt.QtCore import QPoint, QRect
from qgis.PyQt.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QScrollArea,
    QWidget,
)

#: The widgets an analyst types into or presses.
INPUTS = (QAbstractButton, QComboBox, QLineEdit, QAbstractSpinBox)


def _laid_out(dock, qtbot, width: int) -> None:
    dock.resize(width, 900)
    dock.show()
    qtbot.waitExposed(dock)


def _scroll_area(dock, index: int) -> QScrollArea:
    page = dock.tabs.widget(index)
    assert isinstance(page, QScrollArea), dock.tabs.tabText(index)
    return page


def _cut_off(area: QScrollArea) -> list[str]:
    """The visible inputs that do not lie wholly inside the scroll area's viewport (left to
    right: a tab's height scrolls, so only the horizontal extent is checked)."""
    viewport = area.viewport()
    inside = viewport.rect()
    problems = []
    for widget in area.widget().findChildren(QWidget):
        if not isinstance(widget, INPUTS) or not widget.isVisibleTo(area.widget()):
            continue
        if isinstance(widget.parent(), INPUTS):
            continue  # a part of a field (a spin box's line edit, a combo's button)
        if widget.objectName() == "qt_scrollarea_hcontainer":
            continue
        top_left = widget.mapTo(viewport, QPoint(0, 0))
        rect = QRect(top_left, widget.size())
        if rect.left() < inside.left() or rect.right() > inside.right():
            text = widget.text() if hasattr(widget, "text") else ""
            name = widget.objectName() or type(widget).__name__
            problems.append(f"{name} {text!r} at x {rect.left()}..{rect.right()}")
    return problems


@pytest.mark.parametrize("width", [360, 420])
def test_every_tab_fits_a_narrow_dock(dock, qtbot, width):
    _laid_out(dock, qtbot, width)
    problems = {}
    for index in range(dock.tabs.count()):
        dock.tabs.setCurrentIndex(index)
        area = _scroll_area(dock, index)
        qtbot.wait(10)
        name = dock.tabs.tabText(index)
        found = []
        if area.horizontalScrollBar().isVisible():
            found.append(
                f"scrolls sideways: content needs {area.widget().minimumSizeHint().width()} px, "
                f"viewport {area.viewport().width()} px"
            )
        found += _cut_off(area)
        if found:
            problems[name] = found
    assert problems == {}, problems
