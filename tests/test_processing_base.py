"""The shared Processing base (processing/base.py) and the crime_mapper logger, on real QGIS.

Help text: QGIS renders ``shortHelpString`` as HTML, so before the base escaped it, help such as
"On or near <label>" lost everything from the ``<`` on. Each registered algorithm's help is
rendered here the way QGIS renders it (a QTextDocument) and must read back exactly as written.
"""

from __future__ import annotations

from qgis.core import Qgis, QgsApplication
from qgis.PyQt.QtGui import QTextDocument

from crime_mapper.logger import LOG_TAG, get_logger, log_message, qgis_level
from crime_mapper.processing.base import GROUPS, CrimeMapperAlgorithm, help_html, split_paths
from crime_mapper.processing.provider import algorithm_classes


def rendered(html_text: str) -> str:
    document = QTextDocument()
    document.setHtml(html_text)
    return document.toPlainText()


def test_help_html_keeps_angle_brackets_ampersands_and_line_breaks():
    text = "On or near <label> & <YYYY-MM>-<force>-street.csv\nsecond line"
    html_text = help_html(text)
    assert "<label>" not in html_text and "&lt;label&gt;" in html_text
    assert rendered(html_text).splitlines() == [
        "On or near <label> & <YYYY-MM>-<force>-street.csv",
        "second line",
    ]


def test_every_algorithm_help_survives_rendering(provider):
    registry = QgsApplication.processingRegistry()
    seen_angle_bracket = False
    for cls in algorithm_classes():
        assert issubclass(cls, CrimeMapperAlgorithm), cls
        alg = registry.algorithmById(f"crime_mapper:{cls().name()}")
        assert alg is not None
        plain = alg.help_text()
        assert plain, cls
        # What QGIS shows is what the algorithm wrote, character for character (bar the
        # collapsing of runs of spaces that HTML does, which the help does not use).
        assert rendered(alg.shortHelpString()) == plain.replace("\r\n", "\n"), cls
        seen_angle_bracket |= "<" in plain
        assert alg.groupId() in GROUPS and alg.group() == GROUPS[alg.groupId()]
        clone = alg.createInstance()
        assert type(clone) is type(alg) and clone is not alg
    # The anonymise help names the file pattern <YYYY-MM>-<force>-street.csv: the case that
    # used to vanish.
    assert seen_angle_bracket
    anonymise = registry.algorithmById("crime_mapper:anonymise")
    assert "<YYYY-MM>-<force>-street.csv" in rendered(anonymise.shortHelpString())


def test_split_paths_keeps_quoted_and_listed_paths():
    assert split_paths("a.csv; b.zip\n c ;;") == ["a.csv", "b.zip", "c"]
    assert split_paths(['"x y/a.csv"', "b;c", None]) == ["x y/a.csv", "b", "c"]


def test_logger_writes_to_the_qgis_log_under_one_tag():
    received: list[tuple[str, str, object]] = []

    def on_message(message, tag, level):
        received.append((message, tag, level))

    log = QgsApplication.messageLog()
    log.messageReceived.connect(on_message)
    try:
        get_logger().warning("a warning from %s", "the core")
        get_logger().info("plain info")
        log_message("a success", Qgis.MessageLevel.Success)
        import logging

        logging.getLogger("crime_mapper.core.example").error("from a core module")
    finally:
        log.messageReceived.disconnect(on_message)
    assert ("a warning from the core", LOG_TAG, Qgis.MessageLevel.Warning) in received
    assert ("plain info", LOG_TAG, Qgis.MessageLevel.Info) in received
    assert ("a success", LOG_TAG, Qgis.MessageLevel.Success) in received
    assert ("from a core module", LOG_TAG, Qgis.MessageLevel.Critical) in received
    # installed once: a second get_logger() adds no second handler (no duplicated lines)
    assert len(get_logger().handlers) == 1
    assert qgis_level(10) == Qgis.MessageLevel.Info
