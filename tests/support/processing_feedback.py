"""A Processing feedback that keeps what the dialog's log is given as warnings, for tests that
assert what an algorithm warned about (one class for every such test)."""

from __future__ import annotations

from qgis.core import QgsProcessingFeedback


class WarningsFeedback(QgsProcessingFeedback):
    """The warnings a Processing dialog shows, kept in ``warnings``."""

    def __init__(self) -> None:
        super().__init__()
        self.warnings: list[str] = []

    def pushWarning(self, warning: str) -> None:  # noqa: N802 - QGIS API
        self.warnings.append(warning)
        super().pushWarning(warning)
