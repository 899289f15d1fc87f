"""The one ``crime_mapper`` logger, written to the QGIS message log under the tag crime_mapper.

Why Python's logging and not ``QgsMessageLog`` calls: the QGIS-free core can log too
(``logging.getLogger(__name__)`` under ``crime_mapper.core``) without importing QGIS, and every
record, from any module or worker thread, reaches the analyst's Log Messages panel under one
tag. The handler is installed once, on first use, and only on the ``crime_mapper`` logger (never
the root logger), so other plugins' logging is untouched.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from qgis.core import Qgis, QgsMessageLog

from .core.common.text_file import shown_text

#: The tab of QGIS's Log Messages panel that crime_mapper writes to.
LOG_TAG = "crime_mapper"
LOGGER_NAME = "crime_mapper"

_LEVELS = (
    (logging.ERROR, Qgis.MessageLevel.Critical),
    (logging.WARNING, Qgis.MessageLevel.Warning),
)


def qgis_level(levelno: int) -> Any:
    """The QGIS message level for a logging level (debug and info are both Info)."""
    for threshold, level in _LEVELS:
        if levelno >= threshold:
            return level
    return Qgis.MessageLevel.Info


class QgisLogHandler(logging.Handler):
    """Forwards records to QgsMessageLog (thread-safe: QGIS queues it to the main thread),
    shown as :func:`log_message` shows them."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = logged_text(self.format(record))
            QgsMessageLog.logMessage(text, LOG_TAG, qgis_level(record.levelno))
        except Exception:  # noqa: BLE001 - logging must never raise into the caller
            self.handleError(record)


def get_logger() -> logging.Logger:
    """The ``crime_mapper`` logger, with the QGIS log handler installed exactly once."""
    logger = logging.getLogger(LOGGER_NAME)
    if not any(isinstance(handler, QgisLogHandler) for handler in logger.handlers):
        handler = QgisLogHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    return logger


def log_message(text: str, level: Any = Qgis.MessageLevel.Info) -> None:
    """Write text at a QGIS message level (Info, Success, Warning, Critical) under the tag.

    For callers that already hold a QGIS level (the panels' notify); everything else uses
    :func:`get_logger`. The text is shown escaped (core.common.text_file.shown_text): a
    message quoting a file name or a cell with an ESC sequence, a bare CR or a bidi
    override must not hide or reorder what it says in the log (or in the terminal QGIS
    echoes its log to).
    """
    QgsMessageLog.logMessage(logged_text(text), LOG_TAG, level)


def logged_text(text: str) -> str:
    """``text`` as the Log Messages panel must be given it to show it as written: control
    characters escaped (core.common.text_file.shown_text) and HTML escaped. Why the HTML:
    the panel shows a message as HTML, so a file named ``<b>x</b>.csv`` read as a bold
    "x.csv", ``&lt;`` as "<", and ``<a href=...>`` put a link in the log that opened. (A log
    file QGIS may also write gets the escaped text: a name with "<" or "&" reads as
    ``&lt;`` there, the price of a panel that shows what the files hold.)"""
    return html.escape(shown_text(text), quote=False)
