"""The panels' shared widget helpers (ui/widgets.py) on real QGIS file widgets: a field is set
up the one way, and its paths are read back the one way, whatever the user typed or pasted."""

from __future__ import annotations

import pytest
from qgis.gui import QgsFileWidget

from crime_mapper.ui.widgets import file_paths, file_widget


def test_a_field_is_set_up_as_asked(qgis_iface):
    widget = file_widget(
        None, "open_many", object_name="f", file_filter="CSV (*.csv)", tooltip="tip",
        placeholder="choose",
    )  # fmt: skip
    assert widget.storageMode() == QgsFileWidget.StorageMode.GetMultipleFiles
    assert (widget.objectName(), widget.filter(), widget.toolTip()) == ("f", "CSV (*.csv)", "tip")
    assert widget.lineEdit().placeholderText() == "choose"
    with pytest.raises(ValueError, match="open_many"):
        file_widget(None, "many")


@pytest.mark.parametrize(
    "typed, paths",
    [
        ("", []),
        ("/data/a.csv", ["/data/a.csv"]),
        ('"/data/a b.csv" "/data/c.csv"', ["/data/a b.csv", "/data/c.csv"]),
        ('  "/data/a.csv"  ', ["/data/a.csv"]),
        ('""', []),
    ],
)
def test_the_paths_of_a_field_are_read_back_one_way(qgis_iface, typed, paths):
    widget = file_widget(None, "open_many")
    widget.setFilePath(typed)
    assert file_paths(widget) == paths
